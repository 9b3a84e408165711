import TestSupport
import PacketWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Decoding allocates nothing per packet. glibc's `mallinfo2()` reports the heap bytes in use; after a
/// warm-up pass, decoding every corpus packet (or every fixture) twice more must not change it.
/// Other tests running in parallel allocate too, so the measurement is retried (for up to a
/// minute) until one window is quiet; a decoder that kept memory per packet (≥ 32 bytes a malloc
/// chunk, 17,000 decodes a window) could never show a zero delta. Transient allocations (malloc then free in
/// the same call) leave no trace here.
/// (The exact check — malloc *calls*, including transient ones — is done with valgrind, see the
/// decoder workstream report: `portolan decode` makes the same number of heap allocations for a
/// 1-packet file as for the 4,709-packet pcpp__many-protocols.pcap.)
@Suite struct AllocationTests {
    #if os(Linux) && arch(x86_64)
    /// glibc's `mallinfo2()` (not exported by the Glibc module) via dlsym. It returns a struct of
    /// ten `size_t` by hidden pointer — on x86-64 SysV the caller passes the result buffer as the
    /// first argument and gets it back — so this C signature calls it exactly. Returns
    /// uordblks + hblkhd (bytes in use in the arenas and in mmapped chunks).
    static func heapInUse() -> Int? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
        typealias Mallinfo2 = @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
        let call = unsafeBitCast(symbol, to: Mallinfo2.self)
        var info: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &info) { _ = call($0.baseAddress) }
        return info.7 + info.4
    }

    @Test(.enabled(if: heapInUse() != nil))
    func decodingDoesNotGrowTheHeap() {
        var inputs: [(LinkType, [UInt8])] = allCorpusPackets.map { ($0.linkType, $0.bytes) }
        if inputs.isEmpty { inputs = Fixtures.all.map { (LinkType($0.linkType), $0.bytes) } }
        let decoder = PacketDecoder()
        var summary = PacketSummary()
        var checksum = 0
        func pass() {
            for (linkType, bytes) in inputs {
                bytes.withUnsafeBytes { decoder.decode($0, linkType: linkType, into: &summary) }
                checksum &+= Int(summary.outer.sourcePort)
            }
        }
        #expect(!corpusAvailable || inputs.count > 8000)
        pass()
        var clean = false
        var deltas: [Int] = []
        deltas.reserveCapacity(4096)
        // Retry short windows until one is quiet (other suites finish within seconds).
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while !clean && ContinuousClock.now < deadline {
            let before = Self.heapInUse() ?? 0
            for _ in 0..<2 { pass() }
            let after = Self.heapInUse() ?? 0
            let delta = after - before
            if deltas.count < 4096 { deltas.append(delta) }
            clean = delta == 0
        }
        #expect(clean, "heap in use changed in every window of \(inputs.count) packets × 2: \(deltas.prefix(20))")
        #expect(checksum != 0)
    }
    #endif
}
