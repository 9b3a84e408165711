import PacketWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Decoding allocates nothing per packet. glibc's `mallinfo2()` reports the heap bytes in use; after a
/// warm-up pass, decoding every corpus packet (or every fixture) 20 more times must not change
/// it. Other tests running in parallel allocate too, so a measurement is retried a few times and
/// one clean run suffices; a decoder that kept or leaked memory per packet would fail every time.
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
        pass()
        var clean = false
        var deltas: [Int] = []
        deltas.reserveCapacity(8)
        for _ in 0..<8 where !clean {
            let before = Self.heapInUse() ?? 0
            for _ in 0..<20 { pass() }
            let after = Self.heapInUse() ?? 0
            let delta = after - before
            deltas.append(delta)
            clean = delta == 0
        }
        #expect(clean, "heap in use changed while decoding \(inputs.count) packets × 20: \(deltas)")
        #expect(checksum != 0)
    }
    #endif
}
