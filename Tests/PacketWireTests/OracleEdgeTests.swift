import PacketWire
import Reports
import Testing

// Regression tests for disagreements with the tshark 4.0 oracle found on captures outside the
// shared corpus (loopback / network-namespace captures with tcpdump and dumpcap, and crafted
// frames). Each rule below was checked against tshark on the same bytes.

enum EdgeFixtures {
    // ICMPv6 time exceeded captured with `tcpdump -i any -s 96` (SLL2): the quoted IPv6 header is
    // cut 4 bytes into its destination address. tshark shows the quote's source and next header.
    // tcpdump -nn -XX:
    //   07:17:01.248833 ifb0  In  IP6 fd99::2 > fd99::1: ICMP6, time exceeded in-transit [|icmp6]
    //       0x0000:  86dd 0000 0000 0002 0001 0006 3a8a f1a2  ............:...
    //       0x0010:  59ab 0000 6002 0fa3 0070 3a40 fd99 0000  Y...`....p:@....
    //       0x0020:  0000 0000 0000 0000 0000 0002 fd99 0000  ................
    //       0x0030:  0000 0000 0000 0000 0000 0001 0300 1a11  ................
    //       0x0040:  0000 0000 6001 4d45 0040 3a01 fd99 0000  ....`.ME.@:.....
    //       0x0050:  0000 0000 0000 0000 0000 0001 fd97 0000  ................
    static let sll2TimeExceededSnap96 = Fixture("sll2TimeExceededSnap96", linkType: 276, hex: """
        86dd000000000002000100063a8af1a259ab000060020fa300703a40fd990000000000000000000000000002fd990000\
        00000000000000000000000103001a110000000060014d4500403a01fd990000000000000000000000000001fd970000
        """)

    // ICMP time exceeded captured on a veth with `tcpdump -s 60`: the quoted IPv4 header is cut
    // 2 bytes into its destination address (18 of 20 bytes).
    // tcpdump -nn -XX:
    //   07:16:53.750162 IP 10.99.0.2 > 10.99.0.1:  [|icmp]
    //       0x0000:  7206 18f6 8cbc 3a8a f1a2 59ab 0800 45c0  r.....:...Y...E.
    //       0x0010:  0070 37ed 0000 4001 2d18 0a63 0002 0a63  .p7...@.-..c...c
    //       0x0020:  0001 0b00 f4ff 0000 0000 4500 0054 1f6d  ..........E..T.m
    //       0x0030:  4000 0101 4576 0a63 0001 0a61            @...Ev.c...a
    static let timeExceededSnap60 = Fixture("timeExceededSnap60", linkType: 1, hex: """
        720618f68cbc3a8af1a259ab080045c0007037ed000040012d180a6300020a6300010b00f4ff00000000450000541f6d\
        4000010145760a6300010a61
        """)

    // The quoted IPv4 header has a 12-byte record-route option (IHL 8) cut after 2 of its bytes:
    // tshark reads the options before it shows the destination, so only source and protocol.
    // tcpdump -nn -XX:
    //   07:22:49.196257 IP 192.0.2.1 > 10.0.0.2: ICMP time exceeded in-transit, length 30
    //       0x0000:  0011 2233 4455 0066 7788 99aa 0800 4500  .."3DU.fw.....E.
    //       0x0010:  0032 1234 0000 4001 9c94 c000 0201 0a00  .2.4..@.........
    //       0x0020:  0002 0b00 f8ff 0000 0000 4800 0028 1234  ..........H..(.4
    //       0x0030:  0000 4011 264a 0a00 0002 c633 6407 070b  ..@.&J.....3d...
    static let quoteOptionsCut = Fixture("quoteOptionsCut", linkType: 1, hex: """
        0011223344550066778899aa0800450000321234000040019c94c00002010a0000020b00f8ff00000000480000281234\
        00004011264a0a000002c6336407070b
        """)

    // Port unreachable quoting SCTP with only 8 bytes of its 12-byte common header: tshark shows
    // no quoted ports (SCTP ports need the whole common header).
    // tcpdump -nn -XX:
    //   07:22:49.196257 IP 192.0.2.1 > 10.0.0.2: ICMP 198.51.100.7 protocol 132 port 5002 unreachable, length 36
    //       0x0000:  0011 2233 4455 0066 7788 99aa 0800 4500  .."3DU.fw.....E.
    //       0x0010:  0038 1234 0000 4001 9c8e c000 0201 0a00  .8.4..@.........
    //       0x0020:  0002 0303 d5e9 0000 0000 4500 0020 1234  ..........E....4
    //       0x0030:  0000 4084 33ea 0a00 0002 c633 6407 1389  ..@.3......3d...
    //       0x0040:  138a 0000 0000                           ......
    static let quoteShortSCTP = Fixture("quoteShortSCTP", linkType: 1, hex: """
        0011223344550066778899aa0800450000381234000040019c8ec00002010a0000020303d5e900000000450000201234\
        0000408433ea0a000002c63364071389138a00000000
        """)

    // MPLS: label 100, then the GAL (13, bottom of stack), an associated channel header with
    // channel type 0x0021 (IPv4), then IPv4/UDP. tshark decodes the IPv4 channel.
    // tcpdump -nn -XX:
    //   07:22:49.196257 MPLS (label 100, tc 0, ttl 64) (label 13, tc 0, [S], ttl 1)
    //       0x0000:  0011 2233 4455 0066 7788 99aa 8847 0006  .."3DU.fw....G..
    //       0x0010:  4040 0000 d101 1000 0021 4500 001c 1234  @@.......!E....4
    //       0x0020:  0000 4011 549b 0a00 0001 0a00 0002 03e8  ..@.T...........
    //       0x0030:  07d0 0008 e023                           .....#
    static let mplsGALChannelIPv4 = Fixture("mplsGALChannelIPv4", linkType: 1, hex: """
        0011223344550066778899aa8847000640400000d101100000214500001c123400004011549b0a0000010a00000203e8\
        07d00008e023
        """)

    // PPPoE session whose version/type byte is 0x21 instead of 0x11: tshark decodes the session
    // all the same. tcpdump -nn -XX:
    //   07:22:49.196787  [ver 2]PPPoE  [ses 0x1234] IP truncated-ip - 10 bytes missing! 100.64.0.1.1000 > 100.64.0.2.53: …
    //       0x0000:  0011 2233 4455 0066 7788 99aa 8864 2100  .."3DU.fw....d!.
    //       0x0010:  1234 0021 0021 4500 0029 1234 0000 4011  .4.!.!E..).4..@.
    //       0x0020:  a00d 6440 0001 6440 0002 03e8 0035 0015  ..d@..d@.....5..
    //       0x0030:  5fb7 6162 6364 6566 6768 696a 6b6c 6d    _.abcdefghijklm
    static let pppoeVersion2 = Fixture("pppoeVersion2", linkType: 1, hex: """
        0011223344550066778899aa8864210012340021002145000029123400004011a00d644000016440000203e800350015\
        5fb76162636465666768696a6b6c6d
        """)
}

@Suite struct OracleEdgeTests {
    @Test func quotedIPv6CutInDestinationIsPartial() {
        let s = decode(EdgeFixtures.sll2TimeExceededSnap96)
        #expect(s.outer.version == 6 && s.outer.hasICMP && s.outer.icmpType == 3)
        #expect(s.quoted.version == 6 && s.quoted.partial)
        #expect(s.quoted.source == addr("fd99::1"))
        #expect(s.quoted.destination == .zero && !s.quoted.hasPorts)
        #expect(s.quoted.proto == .icmpv6)
        #expect(tsvColumns(s, EdgeFixtures.sll2TimeExceededSnap96)[11...15] == ["fd99::1", "", "58", "", ""])
        // 23 quoted bytes (source incomplete): no quote at all.
        let cut = decode(EdgeFixtures.sll2TimeExceededSnap96, length: 20 + 40 + 8 + 23)
        #expect(cut.quoted.version == 0)
    }

    @Test func quotedIPv4CutInDestinationIsPartial() {
        let s = decode(EdgeFixtures.timeExceededSnap60)
        #expect(s.quoted.version == 4 && s.quoted.partial)
        #expect(s.quoted.source == addr("10.99.0.1") && s.quoted.proto == .icmp)
        #expect(tsvColumns(s, EdgeFixtures.timeExceededSnap60)[11...13] == ["10.99.0.1", "", "1"])
        #expect(decode(EdgeFixtures.timeExceededSnap60, length: 14 + 20 + 8 + 15).quoted.version == 0)
        // The whole 20-byte header: a complete quote.
        var whole = EdgeFixtures.timeExceededSnap60.bytes
        whole += [0x00, 0x02]
        let w = decode(whole, linkType: 1)
        #expect(w.quoted.version == 4 && !w.quoted.partial && w.quoted.destination == addr("10.97.0.2"))
    }

    @Test func quotedIPv4OptionsCutIsPartial() {
        let s = decode(EdgeFixtures.quoteOptionsCut)
        #expect(s.quoted.version == 4 && s.quoted.partial && s.quoted.proto == .udp)
        #expect(s.quoted.source == addr("10.0.0.2") && s.quoted.destination == .zero)
    }

    @Test func quotedSCTPNeedsWholeCommonHeader() {
        let s = decode(EdgeFixtures.quoteShortSCTP)
        #expect(s.quoted.version == 4 && !s.quoted.partial && s.quoted.proto == .sctp)
        #expect(s.quoted.destination == addr("198.51.100.7"))
        #expect(!s.quoted.hasPorts)
    }

    @Test func tcpFlagsNeedSixteenBytes() {
        // Ethernet 14 + IPv4 20 + TCP: flags from 16 captured TCP bytes (tshark reads the window first).
        for n in [4, 13, 14, 15] {
            let s = decode(Fixtures.ethIPv4TCP, length: 34 + n)
            #expect(s.outer.hasPorts && !s.outer.hasTCPFlags, "TCP cut at \(n)")
        }
        let s = decode(Fixtures.ethIPv4TCP, length: 34 + 16)
        #expect(s.outer.hasTCPFlags && s.outer.tcpFlags == 0x002)
    }

    @Test func icmpv4TypeNeedsSixBytesICMPv6Two() {
        for n in 2...5 {
            #expect(!decode(Fixtures.icmpUnreachUDP, length: 34 + n).outer.hasICMP, "ICMP cut at \(n)")
        }
        let s = decode(Fixtures.icmpUnreachUDP, length: 34 + 6)
        #expect(s.outer.hasICMP && s.outer.icmpType == 3 && s.outer.icmpCode == 3)
        let v6 = decode(Fixtures.icmpv6TooBigTCP, length: 54 + 2)
        #expect(v6.outer.hasICMP && v6.outer.icmpType == 2 && v6.outer.icmpCode == 0)
    }

    @Test func sctpPortsNeedWholeCommonHeader() {
        // Raw IPv4 with a 24-byte header, then SCTP.
        for n in [4, 8, 11] {
            let s = decode(Fixtures.ipv4OptionsSCTP, length: 24 + n)
            #expect(s.outer.proto == .sctp && !s.outer.hasPorts, "SCTP cut at \(n)")
        }
        #expect(decode(Fixtures.ipv4OptionsSCTP, length: 24 + 12).outer.hasPorts)
    }

    @Test func optionsHeaderNeedsItsLengthByte() {
        // ipv6ExtUDP: IPv6, Hop-by-Hop (next 60), Destination Options (next 44), Fragment, UDP.
        #expect(decode(Fixtures.ipv6ExtUDP, length: 54 + 1).outer.proto == IPProtocol(0))
        #expect(decode(Fixtures.ipv6ExtUDP, length: 54 + 2).outer.proto == IPProtocol(60))
        #expect(decode(Fixtures.ipv6ExtUDP, length: 62 + 1).outer.proto == IPProtocol(60))
        #expect(decode(Fixtures.ipv6ExtUDP, length: 62 + 2).outer.proto == IPProtocol(44))
    }

    @Test func nflogPayloadCutIsNotDecoded() {
        // NFLOG: 4-byte header, two TLVs (16 bytes), payload TLV header (4), IPv4 29 bytes + pad.
        let full = decode(Fixtures.nflog)
        #expect(full.outer.version == 4 && full.outer.hasPorts)
        let cut = decode(Fixtures.nflog, length: 24 + 20 + 4)
        #expect(cut.outer.version == 0)
        #expect(cut.stop?.layer == .link && cut.stop?.reason == .truncated)
    }

    @Test func mplsGALAssociatedChannel() {
        let s = decode(EdgeFixtures.mplsGALChannelIPv4)
        #expect(s.mplsLabelCount == 2 && s.stop == nil)
        #expect(s.outer.version == 4 && s.outer.source == addr("10.0.0.1") && s.outer.hasPorts)
        // GAL followed directly by IPv4 (no channel header): nothing after the labels.
        var b = EdgeFixtures.mplsGALChannelIPv4.bytes
        b.removeSubrange(22..<26)
        let bare = decode(b, linkType: 1)
        #expect(bare.outer.version == 0 && bare.stop?.reason == .unsupportedProtocol)
    }

    @Test func vlanTagCutAfterTCIKeepsItsID() {
        // qinqIPv4UDP: 802.1ad S-tag 200, 802.1Q tag 2001, IPv4/UDP. Cut 2 bytes into the second tag.
        let s = decode(Fixtures.qinqIPv4UDP, length: 14 + 4 + 2)
        #expect(s.vlanCount == 2 && s.vlan(0) == 200 && s.vlan(1) == 2001)
        #expect(s.stop?.layer == .vlan && s.stop?.reason == .truncated)
        let one = decode(Fixtures.qinqIPv4UDP, length: 14 + 4 + 1)
        #expect(one.vlanCount == 1 && one.vlan(0) == 200)
    }

    @Test func pppoeVersionByteNotChecked() {
        let s = decode(EdgeFixtures.pppoeVersion2)
        #expect(s.outer.version == 4 && s.outer.destination == addr("100.64.0.2") && s.outer.destinationPort == 53)
    }

    @Test(arguments: [EdgeFixtures.sll2TimeExceededSnap96, EdgeFixtures.timeExceededSnap60, EdgeFixtures.quoteOptionsCut,
                      EdgeFixtures.quoteShortSCTP, EdgeFixtures.mplsGALChannelIPv4, EdgeFixtures.pppoeVersion2])
    func everyPrefixIsSafe(_ f: Fixture) {
        for n in 0...f.bytes.count {
            let s = decode(f, length: n)
            if s.quoted.partial { #expect(s.quoted.destination == .zero && !s.quoted.hasPorts) }
        }
    }
}

/// The 19 decode columns of one frame.
func tsvColumns(_ s: PacketSummary, _ f: Fixture) -> [String] {
    var line: [UInt8] = []
    SummaryTSV.appendLine(frame: 1, linkType: LinkType(f.linkType), capturedLength: UInt32(f.bytes.count),
                          originalLength: UInt32(f.bytes.count), summary: s, inner: false, to: &line)
    return String(decoding: line.dropLast(), as: UTF8.self)
        .split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
}
