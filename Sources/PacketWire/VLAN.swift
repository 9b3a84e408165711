/// One 802.1Q (0x8100), 802.1ad S-tag (0x88A8) or pre-standard QinQ (0x9100) tag after its TPID:
/// the tag control information (priority, DEI, 12-bit VLAN id), then the next EtherType.
/// Stacks of any depth are walked one tag per step, up to `Cursor.maxTags`. A tag cut after its
/// 2-byte TCI still records its VLAN id.
@usableFromInline enum VLANTag {
    @inlinable static var tci: Int { 0 }
    @inlinable static var etherType: Int { tci + 2 }
    @inlinable static var headerLength: Int { etherType + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= etherType else { return c.stop(&s, .vlan, .truncated, needed: headerLength) }
        // checked: etherType (2) bytes at c.at
        let id = b.be16(c.at + tci) & 0x0FFF
        guard c.addVLAN(id, &s) else { return c.stop(&s, .vlan, .tooDeep) }
        // A tag cut after its TCI still names its VLAN (as tshark shows it).
        guard c.available >= headerLength else { return c.stop(&s, .vlan, .truncated, needed: headerLength) }
        let type = b.be16(c.at + etherType)  // checked: headerLength bytes at c.at
        c.at += headerLength
        return c.dispatch(etherType: type, &s)
    }
}
