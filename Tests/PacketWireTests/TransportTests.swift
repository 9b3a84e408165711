import PacketWire
import Testing

@Suite struct TransportTests {
    @Test func dccpPortsAndDataOffset() {
        let h = ip(4, "10.0.0.1", "10.0.0.2", proto: 33, at: 0, payload: 16).ports(5001, 5002, payload: 0)
        expectSame(decode(Fixtures.dccp), expected(link: 228, etherType: 0, h))
    }

    @Test func tcpHeaderCutAfterPorts() {
        // tcpdump tcp_header_heapoverflow.pcap: 4 bytes of TCP give ports but no flags.
        let s = decode(Fixtures.ethIPv4TCP, length: 14 + 20 + 4)
        #expect(s.outer.hasPorts && s.outer.sourcePort == 40000 && s.outer.destinationPort == 443)
        #expect(!s.outer.hasTCPFlags)
        #expect(s.stop == DecodeError(layer: .tcp, reason: .truncated, offset: 34, needed: 20, available: 4))
    }

    @Test func tcpHeaderCutBeforePorts() {
        let s = decode(Fixtures.ethIPv4TCP, length: 14 + 20 + 3)
        #expect(!s.outer.hasPorts)
        #expect(s.stop == DecodeError(layer: .tcp, reason: .truncated, offset: 34, needed: 20, available: 3))
    }

    @Test func tcpBogusDataOffset() {
        // Data offset 4 words: ports kept, flags not read (tshark gives up there too).
        let s = decode(Fixtures.tcpBadOffset)
        #expect(s.outer.hasPorts && s.outer.sourcePort == 1 && s.outer.destinationPort == 2)
        #expect(!s.outer.hasTCPFlags)
        #expect(s.stop == DecodeError(layer: .tcp, reason: .badHeaderLength, offset: 34))
    }

    @Test func tcpTwelveFlagBits() {
        var b = Fixtures.ethIPv4TCP.bytes
        b[14 + 20 + 12] = 0x5F   // data offset 5, reserved 0xE, NS/AE
        b[14 + 20 + 13] = 0xFF
        let s = decode(b, linkType: 1)
        #expect(s.outer.tcpFlags == 0xFFF)
    }

    @Test func udpLengthBoundsThePayload() {
        var b = Fixtures.qinqIPv4UDP.bytes
        b[22 + 20 + 5] = 9   // UDP length 9 < 12: one byte of payload
        let s = decode(b, linkType: 1)
        #expect(s.outer.transportPayloadLength == 1)
        #expect(s.stop == nil)
    }
}
