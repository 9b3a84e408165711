/// Geneve (RFC 8926): version (2 bits) and option length (6 bits, 4-byte units), flags,
/// protocol type (an EtherType; 0x6558 = Ethernet), 24-bit VNI, reserved, then options.
@usableFromInline enum Geneve {
    @inlinable static var versionOptionLength: Int { 0 }
    @inlinable static var flags: Int { versionOptionLength + 1 }
    @inlinable static var proto: Int { flags + 1 }
    @inlinable static var vni: Int { proto + 2 }
    @inlinable static var headerLength: Int { vni + 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .geneve, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let first = b.u8(c.at + versionOptionLength)
        let type = b.be16(c.at + proto)
        guard first >> 6 == 0 else { return c.stop(&s, .geneve, .badVersion) }
        let length = headerLength + Int(first & 0x3F) * 4
        guard c.available >= length else { return c.stop(&s, .geneve, .truncated, needed: length) }
        c.at += length
        return c.dispatch(etherType: type, &s)
    }
}
