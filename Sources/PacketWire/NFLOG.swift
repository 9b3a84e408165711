/// Linux NFLOG (LINKTYPE_NFLOG 239): family, version, resource id, then TLVs (length and type in
/// host byte order — little-endian in practice — length including the 4-byte TLV header, padded
/// to 4). TLV type 9 (NFULA_PAYLOAD) holds the IP packet of the header's family; a payload TLV
/// cut by the snap length is not decoded (tshark shows nothing of it either).
@usableFromInline enum NFLOG {
    @inlinable static var family: Int { 0 }
    @inlinable static var version: Int { family + 1 }
    @inlinable static var resourceID: Int { version + 1 }
    @inlinable static var headerLength: Int { resourceID + 2 }
    @inlinable static var tlvLength: Int { 0 }
    @inlinable static var tlvType: Int { tlvLength + 2 }
    @inlinable static var tlvHeaderLength: Int { tlvType + 2 }
    @inlinable static var payloadType: UInt16 { 9 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        let af = b.u8(c.at + family)  // checked: headerLength bytes at c.at
        c.at += headerLength
        while true {
            guard c.available >= tlvHeaderLength else {
                return c.stop(&s, .link, .truncated, needed: tlvHeaderLength)
            }
            // checked: tlvHeaderLength bytes at c.at
            let length = Int(b.le16(c.at + tlvLength))
            let type = b.le16(c.at + tlvType) & 0x7FFF
            guard length >= tlvHeaderLength else { return c.stop(&s, .link, .badLength) }
            if type == payloadType {
                // tshark 4.0 dissects the payload only when the whole TLV was captured.
                guard length <= c.available else { return c.stop(&s, .link, .truncated, needed: length) }
                c.end = c.at + length
                c.at += tlvHeaderLength
                switch af {
                case 2: return c.dispatch(etherType: EtherType.ipv4.rawValue, &s)
                case 10: return c.dispatch(etherType: EtherType.ipv6.rawValue, &s)
                default:
                    c.at -= tlvHeaderLength
                    return c.stop(&s, .link, .unsupportedProtocol)
                }
            }
            let padded = (length + 3) & ~3   // length ≤ 65535, cannot overflow
            guard padded <= c.available else { return c.stop(&s, .link, .truncated, needed: padded) }
            c.at += padded
        }
    }
}
