import PacketWire
import Reports
import Testing

@Suite struct SummaryTSVTests {
    @Test func linesHaveNineteenColumns() {
        var out: [UInt8] = []
        SummaryTSV.appendLine(frame: 7, linkType: .ethernet, capturedLength: 60, originalLength: 60,
                              summary: decode(Fixtures.icmpUnreachUDP), inner: false, to: &out)
        let line = String(decoding: out, as: UTF8.self)
        #expect(line == "7\t1\t4\t192.0.2.1\t10.0.0.2\t1\t\t\t\t3\t3\t10.0.0.2\t198.51.100.7\t17\t33434\t53\t60\t60\t\n")
    }

    @Test func tcpFlagsAndVLANs() {
        var out: [UInt8] = []
        var s = decode(Fixtures.vxlan)
        s.vlanCount = 2
        s.vlans = (5, 6, 0, 0)
        SummaryTSV.appendLine(frame: 1, linkType: .ethernet, capturedLength: 1, originalLength: 2,
                              summary: s, inner: true, to: &out)
        #expect(String(decoding: out, as: UTF8.self)
                == "1\t1\t4\t10.9.0.1\t10.9.0.2\t6\t1234\t8080\t0x010\t\t\t\t\t\t\t\t1\t2\t5,6,10\n")
    }

    @Test func noIPHeaderLeavesColumnsEmpty() {
        var out: [UInt8] = []
        SummaryTSV.appendLine(frame: 3, linkType: LinkType(160), capturedLength: 23, originalLength: 23,
                              summary: PacketSummary(), inner: false, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "3\t160\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t23\t23\t\n")
    }

    @Test func ipv6TextMatchesIPAddressText() {
        // RFC 5952 compression, compared with the reference `IPAddress.text` on many patterns.
        var rng = SplitMix64(seed: 5952)
        for _ in 0..<5000 {
            var groups = [UInt64](repeating: 0, count: 8)
            for g in 0..<8 where rng.next() % 3 == 0 { groups[g] = rng.next() & (rng.next() % 2 == 0 ? 0xF : 0xFFFF) }
            let high = groups[0] << 48 | groups[1] << 32 | groups[2] << 16 | groups[3]
            let low = groups[4] << 48 | groups[5] << 32 | groups[6] << 16 | groups[7]
            let a = IPAddress(high: high, low: low)
            var out: [UInt8] = []
            SummaryTSV.appendAddress(a, version: 6, &out)
            #expect(String(decoding: out, as: UTF8.self) == a.text(version: 6))
        }
    }

    @Test func decimalEdges() {
        for v: UInt64 in [0, 9, 10, 99, 100, 65535, 4_294_967_295, UInt64.max] {
            var out: [UInt8] = []
            SummaryTSV.appendDecimal(v, &out)
            #expect(String(decoding: out, as: UTF8.self) == String(v))
        }
    }
}

/// Small deterministic PRNG for the property and mutation tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
