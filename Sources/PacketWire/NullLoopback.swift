/// LINKTYPE_NULL (0) and LINKTYPE_LOOP (108): a 4-byte address family before the IP packet.
///
/// NULL writes the AF in the capturing host's byte order, LOOP always big-endian. The values
/// differ per OS for IPv6 (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS).
@usableFromInline enum NullLoopback {
    @inlinable static var family: Int { 0 }
    @inlinable static var headerLength: Int { family + 4 }

    @inlinable static var afInet: UInt32 { 2 }
    @inlinable static var afInet6BSD: UInt32 { 24 }
    @inlinable static var afInet6FreeBSD: UInt32 { 28 }
    @inlinable static var afInet6Darwin: UInt32 { 30 }

    @inlinable static func decodeNull(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        // PPP in HDLC framing sometimes appears on NULL links (tshark checks ff 03 first).
        if c.available >= 2 && b.be16(c.at) == 0xFF03 {  // checked: 2 bytes at c.at
            return .pppHDLC
        }
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        var v = b.le32(c.at + family)
        // Byte-order repair as libpcap/tshark do it: read as little-endian, swap when the value
        // only makes sense swapped. A value above 1500 is taken as an EtherType; the corpus quirk
        // `0f 00 08 00` (PcapPlusPlus null_loopback.pcap) thus becomes EtherType 0x0800 after the
        // 16-bit truncation tshark applies.
        if v & 0xFFFF_0000 != 0 {
            if v & 0xFF00_0000 == 0 && v & 0x00FF_0000 < 0x0006_0000 {
                v >>= 16
            } else {
                v = v.byteSwapped
            }
        } else if v & 0xFF == 0 && v & 0xFF00 < 0x0600 {
            v = UInt32(UInt16(truncatingIfNeeded: v).byteSwapped)
        }
        c.at += headerLength
        if v > 1500 { return c.dispatch(etherType: UInt16(truncatingIfNeeded: v), &s) }
        return family(v, &c, &s)
    }

    @inlinable static func decodeLoop(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        let v = b.be32(c.at + family)  // checked: headerLength bytes at c.at
        c.at += headerLength
        return family(v, &c, &s)
    }

    @inlinable static func family(_ v: UInt32, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        switch v {
        case afInet: return c.dispatch(etherType: EtherType.ipv4.rawValue, &s)
        case afInet6BSD, afInet6FreeBSD, afInet6Darwin: return c.dispatch(etherType: EtherType.ipv6.rawValue, &s)
        default:
            c.at -= headerLength
            return c.stop(&s, .link, .unsupportedProtocol)
        }
    }
}
