/// Apple PKTAP (LINKTYPE_PKTAP 258): a little-endian header whose first word is its own length
/// and whose second (`pth_type_next`) is the DLT of the packet that follows (Ethernet in practice).
@usableFromInline enum PKTAP {
    @inlinable static var headerLengthField: Int { 0 }
    @inlinable static var dlt: Int { headerLengthField + 4 }
    @inlinable static var minHeaderLength: Int { dlt + 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= minHeaderLength else { return c.stop(&s, .link, .truncated, needed: minHeaderLength) }
        // checked: minHeaderLength bytes at c.at
        let length = Int(b.le32(c.at + headerLengthField))
        let next = b.le32(c.at + dlt)
        guard length >= minHeaderLength else { return c.stop(&s, .link, .badHeaderLength) }
        guard length <= c.available else { return c.stop(&s, .link, .truncated, needed: length) }
        c.at += length
        switch next {
        case 1: return .ethernet
        case 0: return .null
        case 12, 14, 101, 228: return .ipAny
        case 229: return .ipv6
        default:
            c.at -= length
            return c.stop(&s, .link, .unsupportedProtocol)
        }
    }
}
