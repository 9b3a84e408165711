/// Arista vendor-specific EtherType 0xD28B (tshark `avsp`): a timestamp header inserted before
/// the real EtherType. Subtype 1 = timestamp; the version word says 64-bit (8-byte) or 48-bit
/// (6-byte) timestamp (bits 4–7), its low nibble the hardware (R/R2, R3).
@usableFromInline enum AristaVSP {
    @inlinable static var subtype: Int { 0 }
    @inlinable static var version: Int { subtype + 2 }
    @inlinable static var timestamp: Int { version + 2 }
    @inlinable static var minHeaderLength: Int { timestamp }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= minHeaderLength else { return c.stop(&s, .link, .truncated, needed: minHeaderLength) }
        // checked: minHeaderLength bytes at c.at
        let sub = b.be16(c.at + subtype)
        let ver = b.be16(c.at + version)
        guard sub == 1 else { return c.stop(&s, .link, .unsupportedProtocol) }
        let stampLength: Int
        switch (ver >> 4) & 0xF {
        case 1: stampLength = 8
        case 2: stampLength = 6
        default: return c.stop(&s, .link, .unsupportedProtocol)
        }
        let length = timestamp + stampLength + 2
        guard c.available >= length else { return c.stop(&s, .link, .truncated, needed: length) }
        let type = b.be16(c.at + timestamp + stampLength)  // checked: length bytes at c.at
        c.at += length
        return c.dispatch(etherType: type, &s)
    }
}
