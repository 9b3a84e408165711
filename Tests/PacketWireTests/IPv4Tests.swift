import PacketWire
import Testing

@Suite struct IPv4Tests {
    @Test func optionsAreSkippedByIHL() {
        // IHL 6 (router alert option), raw IP link: SCTP ports read after the 24-byte header.
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 132, at: 0, payload: 28).ports(2905, 2905, payload: 16)
        expectSame(decode(Fixtures.ipv4OptionsSCTP), expected(link: 101, etherType: 0, h))
    }

    @Test func totalLengthZeroIsBoundedByCapture() {
        // TSO / BIG TCP: total length 0, so the payload is what was captured (140 - 20 bytes).
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 6, at: 14, payload: 120).ports(443, 50000, payload: 100).tcpFlags(0x018)
        expectSame(decode(Fixtures.tsoZeroLength), expected(link: 1, etherType: 0x0800, h))
    }

    @Test func laterFragmentHasNoPorts() {
        var b = Fixtures.ethIPv4TCP.bytes
        b[14 + 6] = 0x00
        b[14 + 7] = 0xB9   // fragment offset 185 × 8 = 1480, checksum not rechecked by decoders
        let s = decode(b, linkType: 1)
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 6, at: 14, payload: 20).fragment(offset: 1480, more: false, id: 0x1234, data: 20)
        expectSame(s, expected(link: 1, etherType: 0x0800, h))
    }

    @Test func firstFragmentKeepsPorts() {
        var b = Fixtures.ethIPv4TCP.bytes
        b[14 + 6] = 0x20   // MF, offset 0
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 6, at: 14, payload: 20)
            .fragment(offset: 0, more: true, id: 0x1234).ports(40000, 443, payload: 0).tcpFlags(0x002)
        expectSame(decode(b, linkType: 1), expected(link: 1, etherType: 0x0800, h))
    }

    @Test func parseSmallIHL() {
        // IHL 4 (16 bytes) is below the minimum: no usable header, as tshark shows no addresses.
        let s = decode(Fixtures.ipv4SmallIHL)
        #expect(s.outer.version == 0)
        #expect(s.etherType == .ipv4)
        #expect(s.stop == DecodeError(layer: .ipv4, reason: .badHeaderLength, offset: 14))
    }

    @Test func totalLengthBelowHeaderLength() {
        let s = decode(Fixtures.ipv4TotalBelowIHL)
        #expect(s.outer.version == 0)
        #expect(s.stop == DecodeError(layer: .ipv4, reason: .badLength, offset: 14))
    }

    @Test func badVersionUnderRawLink() {
        var b = Fixtures.ipv4OptionsSCTP.bytes
        b[0] = 0x56
        let s = decode(b, linkType: 101)
        #expect(s.outer.version == 0)
        #expect(s.stop == DecodeError(layer: .ipv4, reason: .badVersion, offset: 0))
    }

    @Test func truncatedOptionsKeepAddresses() {
        // 22 of the 24 header bytes: addresses and protocol are valid, the payload is not reached.
        let s = decode(Fixtures.ipv4OptionsSCTP, length: 22)
        #expect(s.outer.version == 4)
        #expect(s.outer.source == addr("10.0.0.1"))
        #expect(s.outer.proto == .sctp)
        #expect(!s.outer.hasPorts)
        #expect(s.stop == DecodeError(layer: .ipv4, reason: .truncated, offset: 0, needed: 24, available: 22))
    }

    @Test func ethertype0800CarryingIPv6FollowsTheNibble() {
        // tcpdump kday1.pcap: tshark decodes EtherType 0x0800 + version 6 as IPv6; so do we.
        var b = Array(Fixtures.ipv6ExtUDP.bytes)
        b[12] = 0x08
        b[13] = 0x00
        let s = decode(b, linkType: 1)
        #expect(s.outer.version == 6)
        #expect(s.etherType == .ipv4)
    }
}
