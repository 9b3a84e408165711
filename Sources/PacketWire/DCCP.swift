/// DCCP generic header (RFC 4340): ports, data offset (32-bit words), CCVal/CsCov, checksum, …
@usableFromInline enum DCCP {
    @inlinable static var sourcePort: Int { 0 }
    @inlinable static var destinationPort: Int { sourcePort + 2 }
    @inlinable static var dataOffset: Int { destinationPort + 2 }
    @inlinable static var ccvalCscov: Int { dataOffset + 1 }
    @inlinable static var checksum: Int { ccvalCscov + 1 }
    @inlinable static var minHeaderLength: Int { checksum + 2 + 4 }   // + type/X/reserved/seq (short form)

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard TransportPorts.read(b, c, &s) else { return c.stop(&s, .dccp, .truncated, needed: minHeaderLength) }
        guard c.available >= dataOffset + 1 else { return c.stop(&s, .dccp, .truncated, needed: minHeaderLength) }
        let hlen = Int(b.u8(c.at + dataOffset)) * 4  // checked: dataOffset + 1 bytes at c.at
        guard hlen >= minHeaderLength else { return c.stop(&s, .dccp, .badHeaderLength) }
        s.inner.transportPayloadLength = TransportPorts.statedPayload(c, headerLength: hlen)
        guard c.available >= hlen else { return c.stop(&s, .dccp, .truncated, needed: hlen) }
        return .done
    }
}
