@testable import PacketWire
import Testing

/// Frame Relay (LINKTYPE_FRELAY 107). The fixtures were written with `text2pcap -l 107` from
/// hex built for these tests; what tshark 4.0 decodes of them (`../shared/corpus/oracle.sh`) is
/// spelled out below as its TSV columns, and the decoder must print the same.
@Suite struct FrameRelayTests {
    static let v4 = ip(4, "10.1.0.1", "10.2.0.2", proto: 17, at: 0, payload: 12).ports(40000, 53, payload: 4)
    static let v6 = ip(6, "2001:db8:1::1", "2001:db8:2::2", proto: 6, at: 0, payload: 20)
        .ports(40001, 443, payload: 0).tcpFlags(0x002)

    static func at(_ h: IPHeaderSummary, _ offset: UInt32) -> IPHeaderSummary {
        var h = h
        h.offset = offset
        return h
    }

    @Test func rfc2427NLPID() {
        expectSame(decode(Fixtures.frNLPIDIPv4UDP), expected(link: 107, etherType: 0x0800, Self.at(Self.v4, 4)))
        expectSame(decode(Fixtures.frNLPIDIPv6TCP), expected(link: 107, etherType: 0x86DD, Self.at(Self.v6, 4)))
    }

    @Test func rfc2427SNAPAfterPad() {
        expectSame(decode(Fixtures.frSNAPIPv4UDP), expected(link: 107, etherType: 0x0800, Self.at(Self.v4, 10)))
        expectSame(decode(Fixtures.frSNAPIPv6TCP), expected(link: 107, etherType: 0x86DD, Self.at(Self.v6, 10)))
    }

    @Test func ciscoEncapsulation() {
        expectSame(decode(Fixtures.frCiscoIPv4UDP), expected(link: 107, etherType: 0x0800, Self.at(Self.v4, 4)))
        expectSame(decode(Fixtures.frCiscoIPv6TCP), expected(link: 107, etherType: 0x86DD, Self.at(Self.v6, 4)))
    }

    @Test func q933OnDLCI0IsNotIP() {
        var want = PacketSummary()
        want.linkType = .frameRelay
        expectSame(decode(Fixtures.frQ933), want)
    }

    /// oracle.sh columns 2-19 of each fixture (tshark 4.0.17).
    static let oracle: [(Fixture, String)] = [
        (Fixtures.frNLPIDIPv4UDP, "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t36\t36\t"),
        (Fixtures.frNLPIDIPv6TCP, "107\t6\t2001:db8:1::1\t2001:db8:2::2\t6\t40001\t443\t0x002\t\t\t\t\t\t\t\t64\t64\t"),
        (Fixtures.frSNAPIPv4UDP, "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t42\t42\t"),
        (Fixtures.frSNAPIPv6TCP, "107\t6\t2001:db8:1::1\t2001:db8:2::2\t6\t40001\t443\t0x002\t\t\t\t\t\t\t\t70\t70\t"),
        (Fixtures.frCiscoIPv4UDP, "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t36\t36\t"),
        (Fixtures.frCiscoIPv6TCP, "107\t6\t2001:db8:1::1\t2001:db8:2::2\t6\t40001\t443\t0x002\t\t\t\t\t\t\t\t64\t64\t"),
        (Fixtures.frQ933, "107\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t14\t14\t"),
    ]

    /// Frames where tshark's `fr` dissector makes a choice, with what it decodes (columns 2-19).
    static let edges: [(Fixture, String)] = [
        // 3-octet address (DLCI 6400) and 4-octet address (DLCI 819264), NLPID IP
        (Fixture("addr3", linkType: 107, hex: "18400103cc4500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t37\t37\t"),
        (Fixture("addr4", linkType: 107, hex: "1840020103cc4500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t38\t38\t"),
        // bogus 1-octet address (EA set in the first octet): skipped, DLCI 0, then UI and NLPID IP
        (Fixture("addr1", linkType: 107, hex: "1903cc4500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t35\t35\t"),
        // NLPID PPP (0xCF), then the PPP protocol 0x0021
        (Fixture("ppp", linkType: 107, hex: "184103cf00214500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t38\t38\t"),
        // SNAP OUI 00-80-C2 PID 7: bridged Ethernet without FCS
        (Fixture("bridged", linkType: 107, hex: """
            18410300800080c200070011223344550066778899aa08004500002012340000401154940a0100010a0200029c40\
            0035000c7c6f66726c79
            """), "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t56\t56\t"),
        // a non-UI frame on DLCI 0 is LAPF signalling, not Cisco
        (Fixture("dlci0cisco", linkType: 107, hex: "000108004500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t36\t36\t"),
        // NLPID IP carrying IPv6: the version nibble decides (tshark's "ip")
        (Fixture("nlpidIPv6InCC", linkType: 107, hex: """
            184103cc600000000014064020010db800010000000000000000000120010db80002000000000000000000029c4101bb\
            000003e8000000005002ffffb2860000
            """), "107\t6\t2001:db8:1::1\t2001:db8:2::2\t6\t40001\t443\t0x002\t\t\t\t\t\t\t\t64\t64\t"),
        // Cisco type 0x8100: tshark's Cisco HDLC table does not follow VLAN tags
        (Fixture("ciscoVLAN", linkType: 107, hex: "48c18100000508004500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t40\t40\t"),
        // SNAP PID 0x8100: a SNAP PID is an EtherType, the tag is followed
        (Fixture("snapVLAN", linkType: 107, hex: "48c103800000008100000508004500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t45\t45\t5"),
        // SNAP OUI 00-00-F8 (Cisco 90-compatible): EtherType PIDs too
        (Fixture("snapOUIF8", linkType: 107, hex: "48c103800000f808004500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t4\t10.1.0.1\t10.2.0.2\t17\t40000\t53\t\t\t\t\t\t\t\t\t41\t41\t"),
        // XID control (0xAF): not Cisco
        (Fixture("xid", linkType: 107, hex: "48c1af08004500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t37\t37\t"),
        // only one pad octet: a second 0x00 is the NULL NLPID
        (Fixture("twoPads", linkType: 107, hex: "48c1030000cc4500002012340000401154940a0100010a0200029c400035000c7c6f66726c79"),
         "107\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t38\t38\t"),
    ]

    @Test(arguments: oracle + edges)
    func decodeColumnsMatchTshark(_ f: Fixture, _ line: String) {
        let s = decode(f)
        #expect(s.stop == nil, "\(f.name): \(String(describing: s.stop))")
        #expect(tsvColumns(s, f).dropFirst().joined(separator: "\t") == line, "\(f.name)")
    }

    @Test(arguments: edges.map(\.0))
    func everyPrefixOfTheEdgesIsATruncationOrASubset(_ f: Fixture) {
        let full = decode(f)
        for n in 0..<f.bytes.count {
            let s = decode(f, length: n)
            if let stop = s.stop {
                #expect(stop.reason == .truncated && stop.needed > stop.available, "\(f.name) cut at \(n): \(stop)")
            }
            if s.outer.version != 0 {
                #expect(s.outer.source == full.outer.source && s.outer.offset == full.outer.offset, "\(f.name) cut at \(n)")
            }
        }
    }

    @Test func truncatedHeadersNameWhatTheyNeeded() {
        // Cut inside the address (needed: the address so far, one more octet and the control byte),
        // before the control byte, before the NLPID, inside SNAP, inside the Cisco type.
        let cases: [(Fixture, Int, Int)] = [
            (Fixtures.frNLPIDIPv4UDP, 0, 2), (Fixtures.frNLPIDIPv4UDP, 1, 3), (Fixtures.frNLPIDIPv4UDP, 2, 3),
            (Fixtures.frNLPIDIPv4UDP, 3, 4), (Fixtures.frSNAPIPv4UDP, 4, 5), (Fixtures.frSNAPIPv4UDP, 5, 10),
            (Fixtures.frSNAPIPv4UDP, 9, 10), (Fixtures.frCiscoIPv4UDP, 3, 4),
        ]
        for (f, n, needed) in cases {
            let s = decode(f, length: n)
            #expect(s.stop == DecodeError(layer: .link, reason: .truncated, offset: 0, needed: needed, available: n),
                    "\(f.name) cut at \(n): \(String(describing: s.stop))")
            #expect(s.outer.version == 0)
        }
        #expect(decode(Fixtures.frNLPIDIPv4UDP, length: 3).stop?.description
                == "link header at offset 0 truncated: needed 4 bytes, 3 captured")
    }

    @Test func q922Address() {
        func address(_ bytes: [UInt8]) -> (length: Int, dlci: UInt32) {
            bytes.withUnsafeBytes { FrameRelay.address($0, Cursor(count: bytes.count)) }
        }
        let cases: [([UInt8], Int, UInt32)] = [
            ([0x18, 0x41], 2, 100),                      // 2 octets: 6 + 4 DLCI bits
            ([0xFC, 0xF1], 2, 1023),
            ([0x00, 0x01], 2, 0),
            ([0x18, 0x40, 0x01], 3, 6400),               // 3 octets: 6 + 4 + 6 bits
            ([0x18, 0x40, 0x03], 3, 100),                // 3 octets, D/C set: DL-CORE control, not DLCI
            ([0x18, 0x40, 0x02, 0x01], 4, 819_264),      // 4 octets: 6 + 4 + 7 + 6 bits
            ([0x18, 0x40, 0x02, 0x00, 0x01], 5, 819_264), // a bogus fifth octet is skipped
            ([0x19], 1, 0),                              // EA in the first octet: bogus, DLCI 0
            // cut before EA: length is what one more octet needs
            ([], 1, 0), ([0x18], 2, 0), ([0x18, 0x40], 3, 100), ([0x18, 0x40, 0x02], 4, 12801),
            ([0x18, 0x40, 0x02, 0x00], 5, 12801),
        ]
        for (bytes, length, dlci) in cases {
            let a = address(bytes)
            #expect(a.length == length && a.dlci == dlci, "\(bytes): \(a)")
        }
    }

    @Test func linkTypeName() {
        #expect(LinkType.frameRelay.rawValue == 107 && LinkType.frameRelay.name == "FRELAY")
    }
}
