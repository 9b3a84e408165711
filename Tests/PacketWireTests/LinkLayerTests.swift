import PacketWire
import Testing

/// Ethernet, VLAN tags, Arista AVSP, MPLS, PPPoE and the other link types, one fixture each.
@Suite struct LinkLayerTests {
    @Test func ethernetIPv4TCPWithPaddingTrimmed() {
        // 6 bytes of Ethernet padding after a 40-byte datagram: bounded by the IPv4 total length.
        let s = decode(Fixtures.ethIPv4TCP)
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 6, at: 14, payload: 20).ports(40000, 443, payload: 0).tcpFlags(0x002)
        expectSame(s, expected(link: 1, etherType: 0x0800, h))
    }

    @Test func qinqTagsOutermostFirst() {
        let s = decode(Fixtures.qinqIPv4UDP)
        var want = expected(link: 1, etherType: 0x0800,
                            ip(4, "192.168.1.10", "192.168.1.1", proto: 17, at: 22, payload: 12).ports(5353, 53, payload: 4))
        want.vlanCount = 2
        want.vlans = (200, 2001, 0, 0)
        expectSame(s, want)
        #expect(s.vlan(0) == 200 && s.vlan(1) == 2001)
    }

    @Test func aristaTimestampThenVLAN() {
        let s = decode(Fixtures.arista)
        var want = expected(link: 1, etherType: 0x0800,
                            ip(4, "10.136.1.32", "10.2.23.24", proto: 17, at: 32, payload: 8).ports(9, 9, payload: 0))
        want.vlanCount = 1
        want.vlans = (100, 0, 0, 0)
        expectSame(s, want)
    }

    @Test func mplsTwoLabelsThenIPv4ByNibble() {
        let s = decode(Fixtures.mpls)
        var want = expected(link: 1, etherType: 0x8847,
                            ip(4, "10.5.0.1", "10.5.0.2", proto: 17, at: 22, payload: 8).ports(1000, 2000, payload: 0))
        want.mplsLabelCount = 2
        expectSame(s, want)
    }

    @Test func mplsPseudowireControlWordBeforeEthernet() {
        // A zero first nibble after the bottom label: control word, then Ethernet (RFC 4385).
        let s = decode(Fixtures.mplsControlWord)
        var want = expected(link: 1, etherType: 0x0800,
                            ip(4, "10.7.0.1", "10.7.0.2", proto: 17, at: 36, payload: 8).ports(7, 7, payload: 0))
        want.mplsLabelCount = 1
        expectSame(s, want)
    }

    @Test func mplsLabelStackCutBySnaplen() {
        let s = decode(Fixtures.mpls, length: 14 + 6)
        #expect(s.mplsLabelCount == 1)
        #expect(s.stop == DecodeError(layer: .mpls, reason: .truncated, offset: 18, needed: 4, available: 2))
    }

    @Test func pppoeSessionPPPIPv4() {
        let s = decode(Fixtures.pppoe)
        let h = ip(4, "100.64.0.1", "100.64.0.2", proto: 6, at: 22, payload: 20).ports(5555, 22, payload: 0).tcpFlags(0x012)
        expectSame(s, expected(link: 1, etherType: 0x0800, h))
    }

    @Test func nullLittleEndianAF2() {
        let h = ip(4, "127.0.0.1", "127.0.0.1", proto: 17, at: 4, payload: 8).ports(1111, 2222, payload: 0)
        expectSame(decode(Fixtures.nullLE), expected(link: 0, etherType: 0x0800, h))
    }

    @Test func nullBigEndianAF30IsIPv6() {
        let h = ip(6, "::1", "::1", proto: 17, at: 4, payload: 8).ports(1111, 2222, payload: 0)
        expectSame(decode(Fixtures.nullBEv6), expected(link: 0, etherType: 0x86DD, h))
    }

    @Test func nullEtherTypeQuirk0f000800() {
        // PcapPlusPlus null_loopback.pcap frame 3: tshark reads `0f 00 08 00` as EtherType 0x0800.
        let h = ip(4, "127.0.0.1", "127.0.0.2", proto: 17, at: 4, payload: 8).ports(1, 2, payload: 0)
        expectSame(decode(Fixtures.nullEtherQuirk), expected(link: 0, etherType: 0x0800, h))
    }

    @Test func openBSDLoopAF24BigEndian() {
        let h = ip(6, "fe80::1", "ff02::1", proto: 58, at: 4, payload: 24).icmp(135, 0, payload: 16)
        expectSame(decode(Fixtures.loopV6), expected(link: 108, etherType: 0x86DD, h))
    }

    @Test func linuxSLL() {
        let h = ip(4, "10.0.0.1", "10.0.0.3", proto: 6, at: 16, payload: 20).ports(80, 40001, payload: 0).tcpFlags(0x011)
        expectSame(decode(Fixtures.linuxSLL), expected(link: 113, etherType: 0x0800, h))
    }

    @Test func linuxSLL2() {
        let h = ip(6, "2001:db8::a", "2001:db8::b", proto: 17, at: 20, payload: 16).ports(123, 123, payload: 8)
        expectSame(decode(Fixtures.linuxSLL2), expected(link: 276, etherType: 0x86DD, h))
    }

    @Test func nflogPayloadTLV() {
        // Two TLVs (8 and 8 bytes after padding) before the payload TLV: IPv4 at 4 + 8 + 8 + 4.
        let h = ip(4, "10.0.0.20", "74.82.42.42", proto: 17, at: 24, payload: 9).ports(42585, 53, payload: 1)
        expectSame(decode(Fixtures.nflog), expected(link: 239, etherType: 0x0800, h))
    }

    @Test func ciscoHDLC() {
        let h = ip(4, "10.0.0.1", "10.0.0.9", proto: 1, at: 4, payload: 8).icmp(0, 0, payload: 0)
        expectSame(decode(Fixtures.ciscoHDLC), expected(link: 104, etherType: 0x0800, h))
    }

    @Test func pppInHDLCFraming() {
        let h = ip(4, "10.0.0.1", "10.0.0.9", proto: 17, at: 4, payload: 8).ports(53, 5353, payload: 0)
        expectSame(decode(Fixtures.pppHDLC), expected(link: 9, etherType: 0x0800, h))
        var serial = Fixtures.pppHDLC.bytes
        serial.removeFirst(2)   // address/control compressed away, LINKTYPE_PPP_SERIAL
        var h2 = h
        h2.offset = 2
        expectSame(decode(serial, linkType: 50), expected(link: 50, etherType: 0x0800, h2))
    }

    @Test func unsupportedLinkTypeIsCountedNotDecoded() {
        let s = decode(Fixtures.ethIPv4TCP.bytes, linkType: 147)
        var want = PacketSummary()
        want.linkType = LinkType(147)
        want.stop = DecodeError(layer: .link, reason: .unsupportedLinkType, offset: 0)
        expectSame(s, want)
        #expect(s.stop?.description == "link at offset 0: unsupported link type")
    }

    @Test func vlanStackTooDeep() {
        // 41 stacked 802.1Q tags: the 33rd stops the walk with .tooDeep; the first four ids are kept.
        let s = decode(Fixtures.vlanTooDeep)
        var want = PacketSummary()
        want.etherType = EtherType(0x8100)
        want.vlanCount = 32
        want.vlans = (1, 2, 3, 4)
        want.stop = DecodeError(layer: .vlan, reason: .tooDeep, offset: 14 + 32 * 4)
        expectSame(s, want)
    }

    @Test func truncatedEthernetHeader() {
        let s = decode(Fixtures.ethIPv4TCP, length: 13)
        #expect(s.stop == DecodeError(layer: .link, reason: .truncated, offset: 0, needed: 14, available: 13))
        #expect(s.stop?.description == "link header at offset 0 truncated: needed 14 bytes, 13 captured")
        #expect(s.outer.version == 0)
    }

    @Test func llcSNAPCarryingIPv4() {
        // 802.3 length 36, then RFC 1042 SNAP (aa aa 03, OUI 0) and EtherType 0x0800.
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 17, at: 22, payload: 8).ports(68, 67, payload: 0)
        expectSame(decode(Fixtures.llcSNAP), expected(link: 1, etherType: 0x0800, h))
    }

    @Test func nonIPEtherTypeIsNotAnError() {
        var arp = Fixtures.ethIPv4TCP.bytes
        arp[12] = 0x08
        arp[13] = 0x06
        let s = decode(arp, linkType: 1)
        #expect(s.etherType == .arp)
        #expect(s.outer.version == 0)
        #expect(s.stop == nil)
    }

    @Test func nullUnknownAddressFamily() {
        var b = Fixtures.nullLE.bytes
        b[0] = 7   // AF 7: not IP
        let s = decode(b, linkType: 0)
        #expect(s.stop == DecodeError(layer: .link, reason: .unsupportedProtocol, offset: 0))
    }
}
