@testable import PacketWire
import TestSupport
import Testing

/// `PacketDecoder.decode` takes `FastPath` for the common Ethernet(+VLAN) → IPv4/IPv6 → TCP/UDP
/// frame; the layered decoder is the reference. Every corpus frame, every fixture and seeded
/// mutations of them (biased to the header bytes the fast path reads) must give the same summary
/// both ways, decoded into a summary left dirty by a tunnelled, quoted, tagged frame.
@Suite struct FastPathTests {
    static let decoder = PacketDecoder(options: DecoderOptions(vxlanPorts: [4789, 64000]))

    /// A summary with every field set by an earlier frame (VXLAN: tunnel, inner VLANs, ...).
    static func dirtySummary() -> PacketSummary {
        var s = PacketSummary()
        Fixtures.vxlan.bytes.withUnsafeBytes { decoder.decode($0, linkType: LinkType(Fixtures.vxlan.linkType), into: &s) }
        s.quoted.version = 4
        s.quoted.hasPorts = true
        s.mplsLabelCount = 3
        s.stop = DecodeError(layer: .tcp, reason: .truncated, offset: 7, needed: 20, available: 3)
        return s
    }

    /// Decodes `bytes` both ways; returns whether the fast path took it, records a difference.
    static func compare(_ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ what: @autoclosure () -> String) -> Bool {
        var fast = dirtySummary()
        decoder.decode(bytes, linkType: linkType, into: &fast)
        var layered = PacketSummary()
        decoder.decodeLayered(bytes, linkType: linkType, into: &layered)
        if fast != layered {
            Issue.record("\(what()): fast path \(fast) != layered \(layered)")
        }
        // decodeForFlows: the fields the flow analyzer reads are the layered decoder's, whatever
        // an earlier frame left in the summary.
        var flows = dirtySummary()
        decoder.decodeForFlows(bytes, linkType: linkType, into: &flows)
        let h = flows.outer, l = layered.outer
        if flows.vlanCount != layered.vlanCount || (layered.vlanCount > 0 && flows.vlans.0 != layered.vlans.0)
            || flows.tunnelDepth != layered.tunnelDepth || h.version != l.version || h.source != l.source
            || h.destination != l.destination || h.proto != l.proto || h.sourcePort != l.sourcePort
            || h.destinationPort != l.destinationPort || h.hasPorts != l.hasPorts || h.hasTCPFlags != l.hasTCPFlags
            || h.tcpFlags != l.tcpFlags || h.hasICMP != l.hasICMP || h.transportPayloadLength != l.transportPayloadLength
            || (flows.tunnelDepth == 0 && layered.inner != layered.outer) {
            Issue.record("\(what()): decodeForFlows \(flows) differs from layered \(layered) in a flow field")
        }
        var probe = dirtySummary()
        return linkType.rawValue == 1 && FastPath.decode(bytes, vxlanPorts: decoder.vxlanPorts, into: &probe)
    }

    @Test func commonFramesTakeTheFastPath() {
        Fixtures.ethIPv4TCP.bytes.withUnsafeBytes { raw in
            #expect(Self.compare(raw, .ethernet, "ethIPv4TCP"))
        }
        // Stacked tags, extension headers, ICMP errors and tunnels go the layered way.
        for f in [Fixtures.qinqIPv4UDP, Fixtures.ipv6ExtUDP, Fixtures.icmpUnreachUDP, Fixtures.vxlan, Fixtures.geneve] {
            f.bytes.withUnsafeBytes { raw in
                #expect(!Self.compare(raw, LinkType(f.linkType), f.name), "\(f.name)")
            }
        }
    }

    @Test func fixturesAndCorpusAgree() {
        for f in Fixtures.all {
            f.bytes.withUnsafeBytes { raw in _ = Self.compare(raw, LinkType(f.linkType), f.name) }
        }
        var taken = 0
        for p in allCorpusPackets {
            p.bytes.withUnsafeBytes { raw in
                if Self.compare(raw, p.linkType, "corpus frame \(p.frameNumber) (\(p.bytes.count) bytes)") { taken += 1 }
            }
        }
        if !allCorpusPackets.isEmpty { #expect(taken > 1000, "the fast path should take many corpus frames") }
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedFramesAgree() {
        var bases: [[UInt8]] = allCorpusPackets.filter { $0.linkType.rawValue == 1 }.map { Array($0.bytes.prefix(512)) }
        bases += Fixtures.all.filter { $0.linkType == 1 }.map(\.bytes)
        var rng = SplitMix64(seed: 0xFA57_0A7B)
        var buffer = [UInt8](repeating: 0, count: 512)
        var taken = 0
        let iterations = 60_000
        // Offsets the fast path reads: EtherType, tag, IP version/lengths/flags/protocol, ports,
        // UDP length, TCP data offset (with and without a tag, IPv4 and IPv6).
        let hot = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 32, 33, 36, 37, 38, 39, 40, 41,
                   42, 43, 44, 45, 46, 47, 50, 51, 54, 55, 58, 59, 62, 63, 66, 67]
        let values: [UInt8] = [0x00, 0x01, 0x04, 0x05, 0x06, 0x11, 0x2C, 0x3A, 0x40, 0x45, 0x46, 0x4F, 0x50,
                               0x60, 0x81, 0x86, 0xDD, 0x08, 0x12, 0x15, 0x17, 0xB5, 0xC1, 0xD8, 0xE8, 0xF0, 0xFF]
        for _ in 0..<iterations {
            let base = bases[Int(rng.next() % UInt64(bases.count))]
            var n = base.count
            for i in 0..<n { buffer[i] = base[i] }
            for _ in 0..<(1 + rng.next() % 3) {
                switch rng.next() % 4 {
                case 0:
                    let i = hot[Int(rng.next() % UInt64(hot.count))]
                    if i < n { buffer[i] = values[Int(rng.next() % UInt64(values.count))] }
                case 1:
                    let i = hot[Int(rng.next() % UInt64(hot.count))]
                    if i < n { buffer[i] ^= UInt8(1) << UInt8(rng.next() % 8) }
                case 2:
                    n = Int(rng.next() % UInt64(n + 1))
                default:
                    let i = Int(rng.next() % UInt64(max(1, min(n, 80))))
                    if i < n { buffer[i] = UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            let stop = buffer.withUnsafeBytes { raw in
                if Self.compare(UnsafeRawBufferPointer(rebasing: raw[0..<n]), .ethernet, "mutated \(Array(raw[0..<min(n, 80)]))") {
                    taken += 1
                }
                return false
            }
            if stop { return }
        }
        // Without the corpus the bases are the few Ethernet fixtures: fewer stay on the fast path.
        #expect(taken > iterations / (corpusAvailable ? 10 : 50), "mutations should keep many frames on the fast path (\(taken) of \(iterations))")
    }
}
