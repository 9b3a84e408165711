@testable import FlowAnalysis
import Testing

@Suite struct LayoutTests {
    /// Memory per flow stays small enough for millions of flows: the key, the state and about two
    /// index slots (8 bytes each, load ≤ 50 %). The state was 128 bytes before the sequence
    /// tracking for Zeek's T, G and W letters (start, last, seen-up-to, hole, FIN and three
    /// counters per side, 8 bytes more of history): 200; 192 with its fields declared so that
    /// nothing is padding (each side 55 bytes, a byte of the vantage in its 56th).
    @Test func perFlowFootprint() {
        #expect(MemoryLayout<FlowKey>.stride == 48)
        #expect(MemoryLayout<SideCounters>.size == 55, "\(MemoryLayout<SideCounters>.size) bytes a side")
        #expect(MemoryLayout<Vantage>.size == 163, "\(MemoryLayout<Vantage>.size) bytes of vantage")
        #expect(MemoryLayout<FlowState>.stride <= 192, "\(MemoryLayout<FlowState>.stride) bytes of state")
        let perFlow = MemoryLayout<FlowKey>.stride + MemoryLayout<FlowState>.stride + 16
        #expect(perFlow <= 256, "\(MemoryLayout<FlowState>.stride) bytes of state")
    }
}
