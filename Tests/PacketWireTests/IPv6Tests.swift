import PacketWire
import Testing

@Suite struct IPv6Tests {
    @Test func hopByHopDestinationFragmentThenUDP() {
        let h = ip(6, "2001:db8::1", "2001:db8::2", proto: 17, at: 14, payload: 34)
            .fragment(offset: 0, more: true, id: 0xDEAD_BEEF).ports(5353, 53, payload: 2)
        expectSame(decode(Fixtures.ipv6ExtUDP), expected(link: 1, etherType: 0x86DD, h))
    }

    @Test func laterFragmentReportsNextHeaderWithoutPorts() {
        let h = ip(6, "2001:db8::1", "2001:db8::2", proto: 17, at: 14, payload: 24).fragment(offset: 1480, more: false, id: 0xDEAD_BEEF, data: 16)
        expectSame(decode(Fixtures.ipv6LaterFragment), expected(link: 1, etherType: 0x86DD, h))
    }

    @Test func jumbogramUsesJumboPayloadLength() {
        // Payload length 0 + Jumbo Payload option 70000: the datagram is longer than the capture.
        let h = ip(6, "2001:db8::1", "2001:db8::2", proto: 6, at: 14, payload: 70000)
            .ports(443, 50000, payload: 70000 - 8 - 20).tcpFlags(0x010)
        expectSame(decode(Fixtures.jumbogram), expected(link: 1, etherType: 0x86DD, h))
    }

    @Test func payloadLengthZeroWithoutJumboOption() {
        // tcpdump ipv6_missing_jumbo_payload_option.pcap: malformed; stop before the HBH header.
        var b = Fixtures.jumbogram.bytes
        b[14 + 40 + 2] = 0x01   // PadN instead of the jumbo option type
        let s = decode(b, linkType: 1)
        #expect(s.outer.version == 6)
        #expect(s.outer.proto == .hopByHop)
        #expect(!s.outer.hasPorts)
        #expect(s.stop == DecodeError(layer: .ipv6, reason: .badLength, offset: 54))
    }

    @Test func udpLiteOnLinkTypeIPv6() {
        let h = ip(6, "2001:db8::1", "2001:db8::2", proto: 136, at: 0, payload: 12).ports(7000, 7001, payload: 4)
        expectSame(decode(Fixtures.udpLite), expected(link: 229, etherType: 0, h))
    }

    @Test func truncatedExtensionChainReportsLastNextHeader() {
        // Three 8-byte HBH headers, then a header cut after 2 of its 40 bytes: like tshark, its
        // next-header byte (17) is reported, and the walk stops there.
        let s = decode(Fixtures.ipv6ChainTruncated)
        let h = ip(6, "::1", "::2", proto: 17, at: 0, payload: 26)
        var want = expected(link: 229, etherType: 0, h)
        want.stop = DecodeError(layer: .ipv6Extension, reason: .truncated, offset: 64, needed: 40, available: 2)
        expectSame(s, want)
    }

    @Test func badVersionUnderEtherType86DD() {
        let s = decode(Fixtures.ipv6BadVersion)
        #expect(s.outer.version == 0)
        #expect(s.stop == DecodeError(layer: .ipv6, reason: .badVersion, offset: 14))
    }

    @Test func headerCutBeforeDestination() {
        // As tcpdump ipv6_invalid_length.pcap: 39 bytes of a 40-byte header are no IP header.
        let s = decode(Fixtures.ipv6ExtUDP, length: 14 + 39)
        #expect(s.outer.version == 0)
        #expect(s.stop == DecodeError(layer: .ipv6, reason: .truncated, offset: 14, needed: 40, available: 39))
    }

    @Test func sixtyChainedExtensionHeadersAreWalked() {
        // libpcap ipv6_ext_headers.pcap has ~60; build 100 Destination Options headers.
        var b: [UInt8] = [0x60, 0, 0, 0, 0, 0, 60, 64] + [UInt8](repeating: 0, count: 32)
        b[23] = 1   // source ::1
        b[39] = 2   // destination ::2
        for i in 0..<100 { b += [i == 99 ? 17 : 60, 0, 1, 4, 0, 0, 0, 0] }
        b += [0x12, 0x34, 0x00, 0x35, 0, 8, 0, 0]
        let plen = b.count - 40
        b[4] = UInt8(plen >> 8)
        b[5] = UInt8(plen & 0xFF)
        let s = decode(b, linkType: 229)
        #expect(s.stop == nil)
        #expect(s.outer.proto == .udp)
        #expect(s.outer.hasPorts && s.outer.sourcePort == 0x1234 && s.outer.destinationPort == 53)
    }

    @Test func extensionChainTooDeep() {
        var b: [UInt8] = [0x60, 0, 0, 0, 0, 0, 60, 64] + [UInt8](repeating: 0, count: 32)
        for _ in 0..<200 { b += [60, 0, 1, 4, 0, 0, 0, 0] }
        let plen = b.count - 40
        b[4] = UInt8(plen >> 8)
        b[5] = UInt8(plen & 0xFF)
        let s = decode(b, linkType: 229)
        #expect(s.stop?.layer == .ipv6Extension)
        #expect(s.stop?.reason == .tooDeep)
    }
}
