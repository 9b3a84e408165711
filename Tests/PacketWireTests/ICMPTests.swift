import PacketWire
import Testing

@Suite struct ICMPTests {
    @Test func destinationUnreachableQuotesUDP() {
        let s = decode(Fixtures.icmpUnreachUDP)
        var want = expected(link: 1, etherType: 0x0800,
                            ip(4, "192.0.2.1", "10.0.0.2", proto: 1, at: 14, payload: 36).icmp(3, 3, payload: 28))
        want.quoted.version = 4
        want.quoted.source = addr("10.0.0.2")
        want.quoted.destination = addr("198.51.100.7")
        want.quoted.proto = .udp
        want.quoted.hasPorts = true
        want.quoted.sourcePort = 33434
        want.quoted.destinationPort = 53
        expectSame(s, want)
    }

    @Test func packetTooBigQuotesIPv6TCP() {
        let s = decode(Fixtures.icmpv6TooBigTCP)
        var want = expected(link: 1, etherType: 0x86DD,
                            ip(6, "2001:db8::fe", "2001:db8::2", proto: 58, at: 14, payload: 80).icmp(2, 0, payload: 72))
        want.quoted.version = 6
        want.quoted.source = addr("2001:db8::2")
        want.quoted.destination = addr("2001:db8::99")
        want.quoted.proto = .tcp
        want.quoted.hasPorts = true
        want.quoted.sourcePort = 50000
        want.quoted.destinationPort = 80
        expectSame(s, want)
    }

    @Test func quoteTooShortForPorts() {
        // Quote cut 2 bytes into the UDP header: addresses and protocol, no ports.
        let s = decode(Fixtures.icmpUnreachUDP, length: 14 + 20 + 8 + 22)
        #expect(s.quoted.version == 4 && s.quoted.proto == .udp)
        #expect(!s.quoted.hasPorts)
        #expect(s.stop == nil)
    }

    @Test func quoteTooShortForAnIPHeader() {
        // 15 quoted bytes end inside the source address: no quote. (16–19 bytes give a partial
        // quote with source and protocol, as tshark shows; see OracleEdgeTests.)
        let s = decode(Fixtures.icmpUnreachUDP, length: 14 + 20 + 8 + 15)
        #expect(s.outer.hasICMP && s.outer.icmpType == 3)
        #expect(s.quoted == QuotedHeader())
        let partial = decode(Fixtures.icmpUnreachUDP, length: 14 + 20 + 8 + 19)
        #expect(partial.quoted.partial && partial.quoted.source == addr("10.0.0.2") && partial.quoted.destination == .zero)
    }

    @Test func echoIsNotAnError() {
        let s = decode(Fixtures.greKeySeq)
        #expect(s.inner.hasICMP && s.inner.icmpType == 8)
        #expect(s.quoted == QuotedHeader())
    }

    @Test func icmpTruncatedAfterType() {
        let s = decode(Fixtures.icmpUnreachUDP, length: 14 + 20 + 1)
        #expect(!s.outer.hasICMP)
        #expect(s.stop == DecodeError(layer: .icmp, reason: .truncated, offset: 34, needed: 8, available: 1))
    }
}
