/// The first four bytes that TCP, UDP, UDP-Lite, SCTP and DCCP share: source and destination
/// port. Like tshark, ports are reported as soon as these four bytes were captured, even when the
/// rest of the transport header was not (corpus README, surprise 13).
@usableFromInline enum TransportPorts {
    @inlinable static var sourcePort: Int { 0 }
    @inlinable static var destinationPort: Int { sourcePort + 2 }
    @inlinable static var length: Int { destinationPort + 2 }

    /// Reads the ports into `s.inner` when the four bytes are there; false otherwise.
    @inlinable static func read(_ b: UnsafeRawBufferPointer, _ c: Cursor, _ s: inout PacketSummary) -> Bool {
        guard c.available >= length else { return false }
        // checked: length bytes at c.at
        s.inner.sourcePort = b.be16(c.at + sourcePort)
        s.inner.destinationPort = b.be16(c.at + destinationPort)
        s.inner.hasPorts = true
        return true
    }

    /// Payload bytes after a transport header of `headerLength` as the IP lengths state them.
    @inlinable static func statedPayload(_ c: Cursor, headerLength: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: max(0, c.datagramEnd - c.at - headerLength))
    }
}
