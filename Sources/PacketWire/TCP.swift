/// TCP header (RFC 9293): ports, sequence and acknowledgement numbers, data offset + 12 flag bits
/// (0x100 NS/AE, 0xE00 reserved), window, checksum, urgent pointer, options.
/// Ports need 4 captured bytes; flags need 16 (tshark 4.0 reads the window before it adds the
/// flags) and a data offset of at least 5 words (tshark gives up before the flags on a bogus
/// offset).
@usableFromInline enum TCP {
    @inlinable static var sourcePort: Int { 0 }
    @inlinable static var destinationPort: Int { sourcePort + 2 }
    @inlinable static var sequence: Int { destinationPort + 2 }
    @inlinable static var acknowledgement: Int { sequence + 4 }
    @inlinable static var offsetFlags: Int { acknowledgement + 4 }
    @inlinable static var window: Int { offsetFlags + 2 }
    @inlinable static var checksum: Int { window + 2 }
    @inlinable static var urgent: Int { checksum + 2 }
    @inlinable static var minHeaderLength: Int { urgent + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard TransportPorts.read(b, c, &s) else { return c.stop(&s, .tcp, .truncated, needed: minHeaderLength) }
        guard c.available >= window + 2 else { return c.stop(&s, .tcp, .truncated, needed: minHeaderLength) }
        // checked: window + 2 bytes at c.at
        let field = b.be16(c.at + offsetFlags)
        let hlen = Int(field >> 12) * 4
        guard hlen >= minHeaderLength else { return c.stop(&s, .tcp, .badHeaderLength) }
        s.inner.tcpFlags = field & 0x0FFF
        s.inner.tcpSeq = b.be32(c.at + sequence)
        s.inner.tcpAck = b.be32(c.at + acknowledgement)
        s.inner.tcpWindow = b.be16(c.at + window)
        s.inner.hasTCPFlags = true
        s.inner.transportPayloadLength = TransportPorts.statedPayload(c, headerLength: hlen)
        guard c.available >= hlen else { return c.stop(&s, .tcp, .truncated, needed: hlen) }
        return .done
    }
}
