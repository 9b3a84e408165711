@testable import FlowAnalysis
import Testing

@Suite struct LayoutTests {
    /// Memory per flow stays small enough for millions of flows: the key, the state and about two
    /// index slots (8 bytes each, load ≤ 50 %).
    @Test func perFlowFootprint() {
        #expect(MemoryLayout<FlowKey>.stride == 48)
        #expect(MemoryLayout<FlowState>.stride <= 128, "\(MemoryLayout<FlowState>.stride) bytes of state")
        let perFlow = MemoryLayout<FlowKey>.stride + MemoryLayout<FlowState>.stride + 16
        #expect(perFlow <= 192, "\(MemoryLayout<FlowState>.stride) bytes of state")
    }
}
