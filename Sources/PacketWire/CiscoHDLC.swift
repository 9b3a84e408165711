/// Cisco HDLC (LINKTYPE_C_HDLC 104): address (0x0F unicast / 0x8F broadcast), control, then an
/// EtherType-valued protocol (0x0800 IP, 0x86DD IPv6, 0x8035 SLARP, …).
@usableFromInline enum CiscoHDLC {
    @inlinable static var address: Int { 0 }
    @inlinable static var control: Int { address + 1 }
    @inlinable static var proto: Int { control + 1 }
    @inlinable static var headerLength: Int { proto + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        let type = b.be16(c.at + proto)  // checked: headerLength bytes at c.at
        c.at += headerLength
        return c.dispatch(etherType: type, &s)
    }
}
