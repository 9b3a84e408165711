import PacketWire
import Testing

/// Every fixture cut at every length: never a trap, and what a prefix yields is a subset of what
/// the whole frame yields — a cut frame never invents an address, port or flag. A stop caused by
/// the cut is `.truncated`, names a layer that starts inside the prefix and needs more than it had.
@Suite struct TruncationTests {
    static let sweep: [Fixture] = [
        Fixtures.ethIPv4TCP, Fixtures.qinqIPv4UDP, Fixtures.ipv6ExtUDP, Fixtures.icmpUnreachUDP,
        Fixtures.icmpv6TooBigTCP, Fixtures.greKeySeq, Fixtures.vxlan, Fixtures.geneve, Fixtures.mpls,
        Fixtures.pppoe, Fixtures.nflog, Fixtures.jumbogram, Fixtures.arista, Fixtures.linuxSLL2,
        Fixtures.ipv4OptionsSCTP, Fixtures.ip6in4, Fixtures.nullBEv6, Fixtures.loopV6, Fixtures.dccp,
        Fixtures.gtpU, Fixtures.teredo, Fixtures.pimRegister, Fixtures.greCiscoMetaData, Fixtures.vxlanGPENSH,
        Fixtures.srv6Ethernet, Fixtures.mplsControlWord, Fixtures.linuxSLL, Fixtures.ciscoHDLC, Fixtures.pppHDLC,
        Fixtures.frNLPIDIPv4UDP, Fixtures.frNLPIDIPv6TCP, Fixtures.frSNAPIPv4UDP, Fixtures.frSNAPIPv6TCP,
        Fixtures.frCiscoIPv4UDP, Fixtures.frCiscoIPv6TCP, Fixtures.frQ933,
    ]

    @Test(arguments: sweep)
    func everyPrefix(_ f: Fixture) {
        let full = decode(f)
        #expect(full.stop == nil, "fixture \(f.name) decodes completely")
        for n in 0..<f.bytes.count {
            let s = decode(f, length: n)
            checkSubset(s.outer, of: full.outer, n: n, f.name)
            checkSubset(s.inner, of: full.inner, n: n, f.name)
            if s.quoted.version != 0 {
                // A partial quote (cut inside the quoted header) has its source, not its destination.
                #expect(s.quoted.source == full.quoted.source)
                #expect(s.quoted.partial || s.quoted.destination == full.quoted.destination)
                #expect(!(s.quoted.partial && s.quoted.hasPorts))
                if s.quoted.hasPorts { #expect(s.quoted.sourcePort == full.quoted.sourcePort) }
            }
            #expect(s.vlanCount <= full.vlanCount && s.mplsLabelCount <= full.mplsLabelCount)
            #expect(s.tunnelDepth <= full.tunnelDepth)
            if let stop = s.stop {
                #expect(stop.reason == .truncated, "\(f.name) cut at \(n): \(stop)")
                #expect(stop.offset <= n && stop.offset + stop.available == min(n, stop.offset + stop.available))
                #expect(stop.needed > stop.available, "\(f.name) cut at \(n): \(stop)")
            }
        }
    }

    func checkSubset(_ got: IPHeaderSummary, of full: IPHeaderSummary, n: Int, _ name: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard got.version != 0 else { return }
        // A prefix may end before a tunnel's inner header: then `got` may be the full outer.
        #expect(got.offset + (got.version == 4 ? 20 : 40) <= n, "\(name) at \(n)", sourceLocation: sourceLocation)
        if got.offset != full.offset { return }
        #expect(got.source == full.source && got.destination == full.destination, "\(name) at \(n)", sourceLocation: sourceLocation)
        if got.hasPorts {
            #expect(got.sourcePort == full.sourcePort && got.destinationPort == full.destinationPort,
                    "\(name) at \(n)", sourceLocation: sourceLocation)
        }
        if got.hasTCPFlags { #expect(got.tcpFlags == full.tcpFlags, "\(name) at \(n)", sourceLocation: sourceLocation) }
        if got.hasICMP { #expect(got.icmpType == full.icmpType, "\(name) at \(n)", sourceLocation: sourceLocation) }
    }
}
