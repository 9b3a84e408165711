/// Ethernet II / 802.3 header: destination, source, then an EtherType (or an 802.3 length,
/// ≤ 1500, which is not followed). Padding after a short IP packet is never read: the IP layer
/// narrows the cursor to its total length.
@usableFromInline enum Ethernet {
    @inlinable static var destination: Int { 0 }
    @inlinable static var source: Int { destination + 6 }
    @inlinable static var etherType: Int { source + 6 }
    @inlinable static var headerLength: Int { etherType + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        let type = b.be16(c.at + etherType)  // checked: headerLength bytes at c.at
        c.at += headerLength
        return c.dispatch(etherType: type, &s)
    }
}
