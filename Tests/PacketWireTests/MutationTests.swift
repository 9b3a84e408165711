import PacketWire
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeded mutation of real packets (the corpus, or the fixtures when it is absent): bit flips,
/// truncation, corrupted 16-bit length fields, version/IHL bytes, and other link types. Decoding
/// never traps (debug builds check every load's bounds), never hangs (time limit), and every
/// summary stays within the bytes it was given. `PORTOLAN_MUTATIONS` and `PORTOLAN_MUTATION_SEED`
/// run a longer or different campaign (the default is 120,000 inputs, seed 0x5EED0FD3C0).
@Suite struct MutationTests {
    static let iterations = environment("PORTOLAN_MUTATIONS") ?? 120_000
    static let seed = UInt64(environment("PORTOLAN_MUTATION_SEED") ?? 0x5E_ED0F_D3C0)

    static func environment(_ name: String) -> Int? {
        guard let value = getenv(name) else { return nil }
        return Int(String(cString: value))
    }
    static let supportedLinkTypes: [UInt32] = [0, 1, 9, 12, 50, 101, 104, 108, 113, 228, 229, 239, 258, 276]
    static let lengthValues: [UInt16] = [0, 1, 2, 3, 4, 7, 8, 19, 20, 39, 40, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF]
    static let byteValues: [UInt8] = [0x00, 0x01, 0x0F, 0x40, 0x41, 0x45, 0x4F, 0x60, 0x8F, 0xFF, 0x2C, 0x3B, 0x11, 0x06]

    @Test(.timeLimit(.minutes(1)))
    func mutatedPacketsNeverTrapOrHang() {
        var bases: [(linkType: UInt32, bytes: [UInt8])] = allCorpusPackets.map {
            (UInt32($0.linkType.rawValue), Array($0.bytes.prefix(1536)))
        }
        if bases.isEmpty { bases = Fixtures.all.map { ($0.linkType, $0.bytes) } }
        let decoder = PacketDecoder(options: DecoderOptions(vxlanPorts: [4789, 64000]))
        var rng = SplitMix64(seed: Self.seed)
        var buffer = [UInt8](repeating: 0, count: 1536)
        var summary = PacketSummary()
        var stops = 0
        for _ in 0..<Self.iterations {
            let base = bases[Int(rng.next() % UInt64(bases.count))]
            var n = base.bytes.count
            for i in 0..<n { buffer[i] = base.bytes[i] }
            var linkType = base.linkType
            let window = max(1, min(n, 160))   // headers live at the front
            switch rng.next() % 6 {
            case 0:
                for _ in 0..<(1 + rng.next() % 8) {
                    let i = Int(rng.next() % UInt64(window))
                    if i < n { buffer[i] ^= UInt8(1) << UInt8(rng.next() % 8) }
                }
            case 1:
                n = Int(rng.next() % UInt64(n + 1))
            case 2:
                let i = Int(rng.next() % UInt64(window)) & ~1
                if i + 1 < n {
                    let v = Self.lengthValues[Int(rng.next() % UInt64(Self.lengthValues.count))]
                    buffer[i] = UInt8(v >> 8)
                    buffer[i + 1] = UInt8(v & 0xFF)
                }
            case 3:
                let i = Int(rng.next() % UInt64(window))
                if i < n { buffer[i] = Self.byteValues[Int(rng.next() % UInt64(Self.byteValues.count))] }
            case 4:
                linkType = Self.supportedLinkTypes[Int(rng.next() % UInt64(Self.supportedLinkTypes.count))]
            default:
                for _ in 0..<(1 + rng.next() % 4) {
                    let i = Int(rng.next() % UInt64(window))
                    if i < n { buffer[i] = UInt8(truncatingIfNeeded: rng.next()) }
                }
                n = Int(rng.next() % UInt64(n + 1))
            }
            buffer.withUnsafeBytes { raw in
                decoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n]), linkType: LinkType(linkType), into: &summary)
            }
            if !Self.withinBounds(summary, n) {
                Issue.record("summary outside the \(n) bytes given: \(summary)")
                return
            }
            if summary.stop != nil { stops += 1 }
        }
        #expect(stops > Self.iterations / 10, "mutations should hit many decode stops")
    }

    static func withinBounds(_ s: PacketSummary, _ n: Int) -> Bool {
        for h in [s.outer, s.inner] where h.version != 0 {
            if Int(h.offset) + (h.version == 4 ? 20 : 40) > n { return false }
        }
        if let stop = s.stop {
            if stop.offset > n || stop.available > n - min(stop.offset, n) { return false }
        }
        return s.tunnelDepth <= 8 && s.vlanCount <= 32 && s.mplsLabelCount <= 32
    }
}
