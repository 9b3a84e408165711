/// GRE (RFC 2784/2890, and PPTP's enhanced GRE version 1, RFC 2637): flags and version, protocol
/// (an EtherType), then optional checksum+reserved (C or R), key (K), sequence (S), PPTP
/// acknowledgement (version 1, A) and, with R, source-route entries up to a zero-length one.
/// Payloads: IPv4/IPv6, transparent Ethernet (0x6558), ERSPAN I/II (0x88BE) and III (0x22EB),
/// WCCP redirect (0x883E), PPP (0x880B), Cisco MetaData (0x8909: an EtherType and 6 bytes of
/// SGT tag before the payload, as tshark reads it inside GRE), MPLS, or any other EtherType.
@usableFromInline enum GRE {
    @inlinable static var flagsVersion: Int { 0 }
    @inlinable static var proto: Int { flagsVersion + 2 }
    @inlinable static var minHeaderLength: Int { proto + 2 }

    @inlinable static var checksumPresent: UInt16 { 0x8000 }
    @inlinable static var routingPresent: UInt16 { 0x4000 }
    @inlinable static var keyPresent: UInt16 { 0x2000 }
    @inlinable static var sequencePresent: UInt16 { 0x1000 }
    @inlinable static var ackPresent: UInt16 { 0x0080 }

    @inlinable static var erspanIILength: Int { 8 }
    @inlinable static var erspanIIILength: Int { 12 }
    @inlinable static var erspanIIIPlatformLength: Int { 8 }
    @inlinable static var wccpRedirectLength: Int { 4 }
    @inlinable static var ciscoMetaDataLength: Int { 8 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= minHeaderLength else { return c.stop(&s, .gre, .truncated, needed: minHeaderLength) }
        // checked: minHeaderLength bytes at c.at
        let flags = b.be16(c.at + flagsVersion)
        let type = b.be16(c.at + proto)
        let version = flags & 7
        guard version <= 1 else { return c.stop(&s, .gre, .badVersion) }
        var length = minHeaderLength
        if flags & (checksumPresent | routingPresent) != 0 { length += 4 }
        if flags & keyPresent != 0 { length += 4 }
        if flags & sequencePresent != 0 { length += 4 }
        if version == 1 && flags & ackPresent != 0 { length += 4 }
        guard c.available >= length else { return c.stop(&s, .gre, .truncated, needed: length) }
        if flags & routingPresent != 0 {
            // Source route entries: address family (2), SRE offset (1), SRE length (1), data.
            while true {
                guard c.available >= length + 4 else { return c.stop(&s, .gre, .truncated, needed: length + 4) }
                let sreLength = Int(b.u8(c.at + length + 3))  // checked: length + 4 bytes at c.at
                length += 4 + sreLength
                if sreLength == 0 { break }
            }
            guard c.available >= length else { return c.stop(&s, .gre, .truncated, needed: length) }
        }
        let sequenced = flags & sequencePresent != 0
        c.at += length
        guard c.enterTunnel(.gre, .gre, &s) else { return .done }
        switch type {
        case 0x6558:
            return .ethernet
        case 0x88BE:
            // ERSPAN type II has a sequence number in GRE and an 8-byte header; type I neither.
            if sequenced {
                guard c.available >= erspanIILength else { return c.stop(&s, .gre, .truncated, needed: erspanIILength) }
                c.at += erspanIILength
            }
            return .ethernet
        case 0x22EB:
            guard c.available >= erspanIIILength else { return c.stop(&s, .gre, .truncated, needed: erspanIIILength) }
            // checked: erspanIIILength bytes at c.at; the O bit announces a platform sub-header.
            let extra = b.u8(c.at + erspanIIILength - 1) & 1 != 0 ? erspanIIIPlatformLength : 0
            guard c.available >= erspanIIILength + extra else {
                return c.stop(&s, .gre, .truncated, needed: erspanIIILength + extra)
            }
            c.at += erspanIIILength + extra
            return .ethernet
        case 0x883E:
            // WCCP v2 inserts a 4-byte redirect header unless an IPv4 header follows directly.
            guard c.available >= 1 else { return c.stop(&s, .gre, .truncated, needed: 1) }
            if b.u8(c.at) >> 4 != 4 {  // checked: 1 byte at c.at
                guard c.available >= wccpRedirectLength else {
                    return c.stop(&s, .gre, .truncated, needed: wccpRedirectLength)
                }
                c.at += wccpRedirectLength
            }
            return .ipAny
        case 0x880B:
            return .pppHDLC
        case 0x8909:
            guard c.available >= ciscoMetaDataLength else {
                return c.stop(&s, .gre, .truncated, needed: ciscoMetaDataLength)
            }
            let inner = b.be16(c.at)  // checked: ciscoMetaDataLength bytes at c.at
            c.at += ciscoMetaDataLength
            return c.dispatch(etherType: inner, &s)
        default:
            return c.dispatch(etherType: type, &s)
        }
    }
}
