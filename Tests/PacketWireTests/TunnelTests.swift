import PacketWire
import Testing

@Suite struct TunnelTests {
    @Test func greWithKeyAndSequence() {
        let s = decode(Fixtures.greKeySeq)
        var want = PacketSummary()
        want.etherType = .ipv4
        want.outer = ip(4, "172.16.0.1", "172.16.0.2", proto: 47, at: 14, payload: 40)
        want.inner = ip(4, "10.1.1.1", "10.2.2.2", proto: 1, at: 46, payload: 8).icmp(8, 0, payload: 0)
        want.tunnelDepth = 1
        want.tunnel = .gre
        expectSame(s, want)
    }

    @Test func vxlanCarriesTaggedEthernet() {
        let s = decode(Fixtures.vxlan)
        var want = PacketSummary()
        want.etherType = .ipv4
        want.outer = ip(4, "192.0.2.10", "192.0.2.20", proto: 17, at: 14, payload: 74).ports(51000, 4789, payload: 66)
        want.inner = ip(4, "10.9.0.1", "10.9.0.2", proto: 6, at: 68, payload: 20).ports(1234, 8080, payload: 0).tcpFlags(0x010)
        want.tunnelDepth = 1
        want.tunnel = .vxlan
        want.innerVLANCount = 1
        want.innerVLANs = (10, 0, 0, 0)
        expectSame(s, want)
    }

    @Test func vxlanPortsComeFromOptions() {
        let plain = decode(Fixtures.vxlan, options: DecoderOptions(vxlanPorts: []))
        #expect(plain.tunnelDepth == 0)
        #expect(plain.inner == plain.outer)
        var moved = Fixtures.vxlan.bytes
        moved[14 + 20 + 2] = 0xFA   // destination port 64000 (DC/OS navstar overlay)
        moved[14 + 20 + 3] = 0x00
        let s = decode(moved, linkType: 1, options: DecoderOptions(vxlanPorts: [4789, 64000]))
        #expect(s.tunnel == .vxlan)
        #expect(s.inner.destinationPort == 8080)
    }

    @Test func geneveWithOptions() {
        let s = decode(Fixtures.geneve)
        var want = PacketSummary()
        want.etherType = .ipv4
        want.outer = ip(4, "192.0.2.10", "192.0.2.30", proto: 17, at: 14, payload: 84).ports(52000, 6081, payload: 76)
        want.inner = ip(6, "fd00::1", "fd00::2", proto: 17, at: 68, payload: 10).ports(4000, 5000, payload: 2)
        want.tunnelDepth = 1
        want.tunnel = .geneve
        expectSame(s, want)
    }

    @Test func ipv6InIPv4() {
        let s = decode(Fixtures.ip6in4)
        var want = PacketSummary()
        want.etherType = .ipv4
        want.outer = ip(4, "192.0.2.1", "192.0.2.2", proto: 41, at: 14, payload: 48)
        want.inner = ip(6, "2001:db8::1", "2001:db8::2", proto: 17, at: 34, payload: 8).ports(1, 2, payload: 0)
        want.tunnelDepth = 1
        want.tunnel = .ipInIP
        expectSame(s, want)
    }

    @Test func ipInIPTooDeep() {
        // Ten nested IPv4 headers: eight tunnels are followed, the ninth stops with .tooDeep.
        let s = decode(Fixtures.ipipTooDeep)
        var want = PacketSummary()
        want.linkType = .raw
        want.outer = ip(4, "10.0.8.1", "10.0.8.2", proto: 4, at: 0, payload: 188)
        want.inner = ip(4, "10.0.0.1", "10.0.0.2", proto: 4, at: 160, payload: 28)
        want.tunnelDepth = 8
        want.tunnel = .ipInIP
        want.stop = DecodeError(layer: .ipv4, reason: .tooDeep, offset: 180)
        expectSame(s, want)
    }

    @Test func greTruncatedInsideOptionalFields() {
        let s = decode(Fixtures.greKeySeq, length: 14 + 20 + 10)
        #expect(s.outer.proto == .gre)
        #expect(s.tunnelDepth == 0)
        #expect(s.stop == DecodeError(layer: .gre, reason: .truncated, offset: 34, needed: 12, available: 10))
    }

    /// One tunnel frame: outer and inner header and the tunnel kind, everything else default.
    func tunnel(
        _ f: Fixture, etherType: UInt16, _ kind: TunnelKind, outer: IPHeaderSummary, inner: IPHeaderSummary,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var want = PacketSummary()
        want.linkType = LinkType(f.linkType)
        want.etherType = EtherType(etherType)
        want.outer = outer
        want.inner = inner
        want.tunnelDepth = 1
        want.tunnel = kind
        expectSame(decode(f), want, sourceLocation: sourceLocation)
    }

    @Test func gtpUserPlane() {
        tunnel(Fixtures.gtpU, etherType: 0x0800, .gtpU,
               outer: ip(4, "10.10.0.1", "10.10.0.2", proto: 17, at: 14, payload: 44).ports(2152, 2152, payload: 36),
               inner: ip(4, "172.20.0.5", "8.8.8.8", proto: 17, at: 50, payload: 8).ports(40000, 53, payload: 0))
    }

    @Test func teredoWithOriginIndicator() {
        tunnel(Fixtures.teredo, etherType: 0x0800, .teredo,
               outer: ip(4, "192.0.2.5", "198.51.100.1", proto: 17, at: 14, payload: 56).ports(50000, 3544, payload: 48),
               inner: ip(6, "2001::1", "2001::2", proto: 59, at: 50, payload: 0))
    }

    @Test func pimRegisterCarriesMulticastPacket() {
        tunnel(Fixtures.pimRegister, etherType: 0x0800, .pimRegister,
               outer: ip(4, "10.0.0.2", "10.0.0.1", proto: 103, at: 14, payload: 36),
               inner: ip(4, "10.0.0.9", "225.0.0.1", proto: 17, at: 42, payload: 8).ports(2468, 2468, payload: 0))
    }

    @Test func greCiscoMetaData() {
        // tcpdump various_gre.pcap: GRE protocol 0x8909, 8 bytes (EtherType first) before IPv4.
        tunnel(Fixtures.greCiscoMetaData, etherType: 0x0800, .gre,
               outer: ip(4, "10.172.64.6", "10.172.64.7", proto: 47, at: 14, payload: 40),
               inner: ip(4, "172.17.1.54", "172.17.1.55", proto: 1, at: 46, payload: 8).icmp(8, 0, payload: 0))
    }

    @Test func vxlanGPEWithNSH() {
        tunnel(Fixtures.vxlanGPENSH, etherType: 0x0800, .vxlanGPE,
               outer: ip(4, "127.0.0.1", "127.0.0.1", proto: 17, at: 14, payload: 68).ports(4790, 4790, payload: 60),
               inner: ip(4, "192.168.0.1", "192.168.0.2", proto: 17, at: 74, payload: 8).ports(10000, 20000, payload: 0))
    }

    @Test func srv6EthernetNextHeader143() {
        tunnel(Fixtures.srv6Ethernet, etherType: 0x86DD, .ethernetInIP,
               outer: ip(6, "a::1", "c::2", proto: 143, at: 14, payload: 62),
               inner: ip(6, "a::2", "e::2", proto: 58, at: 68, payload: 8).icmp(128, 0, payload: 0))
    }
}
