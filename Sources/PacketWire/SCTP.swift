/// SCTP common header (RFC 9260): ports, verification tag, checksum; chunks are not walked.
/// Unlike TCP/UDP/DCCP, tshark 4.0 shows SCTP ports only when the whole 12-byte common header
/// was captured, and so do we.
@usableFromInline enum SCTP {
    @inlinable static var sourcePort: Int { 0 }
    @inlinable static var destinationPort: Int { sourcePort + 2 }
    @inlinable static var verificationTag: Int { destinationPort + 2 }
    @inlinable static var checksum: Int { verificationTag + 4 }
    @inlinable static var headerLength: Int { checksum + 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .sctp, .truncated, needed: headerLength) }
        _ = TransportPorts.read(b, c, &s)   // checked above: headerLength ≥ 4 bytes at c.at
        s.inner.transportPayloadLength = TransportPorts.statedPayload(c, headerLength: headerLength)
        return .done
    }
}
