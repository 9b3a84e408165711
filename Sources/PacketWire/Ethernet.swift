/// Ethernet II / 802.3 header: destination, source, then an EtherType, or an 802.3 length
/// (≤ 1500) followed by LLC; of LLC only SNAP with a zero OUI (RFC 1042: `aa aa 03 00 00 00`
/// then an EtherType) is followed. Padding after a short IP packet is never read: the IP layer
/// narrows the cursor to its total length.
@usableFromInline enum Ethernet {
    @inlinable static var destination: Int { 0 }
    @inlinable static var source: Int { destination + 6 }
    @inlinable static var etherType: Int { source + 6 }
    @inlinable static var headerLength: Int { etherType + 2 }
    /// RFC 1042 LLC/SNAP: DSAP, SSAP, control, OUI, then the EtherType.
    @inlinable static var snapEtherType: Int { 6 }
    @inlinable static var snapLength: Int { snapEtherType + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        let type = b.be16(c.at + etherType)  // checked: headerLength bytes at c.at
        c.at += headerLength
        if type <= 1500 && c.available >= snapLength
            && b.be32(c.at) == 0xAAAA_0300 && b.be16(c.at + 4) == 0 {  // checked: snapLength bytes at c.at
            let inner = b.be16(c.at + snapEtherType)  // checked: snapLength bytes at c.at
            c.at += snapLength
            return c.dispatch(etherType: inner, &s)
        }
        return c.dispatch(etherType: type, &s)
    }
}
