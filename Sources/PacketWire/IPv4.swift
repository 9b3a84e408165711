/// IPv4 header (RFC 791). Bounds: the 20-byte fixed header is checked once; options up to the
/// IHL are checked before the payload is entered. The datagram is bounded by the total length
/// (Ethernet padding dropped); a total length of 0 (TSO / Linux BIG TCP) means "what was
/// captured". Only the offset-0 fragment carries a transport header.
@usableFromInline enum IPv4 {
    @inlinable static var versionIHL: Int { 0 }
    @inlinable static var tos: Int { versionIHL + 1 }
    @inlinable static var totalLength: Int { tos + 1 }
    @inlinable static var identification: Int { totalLength + 2 }
    @inlinable static var flagsFragment: Int { identification + 2 }
    @inlinable static var ttl: Int { flagsFragment + 2 }
    @inlinable static var proto: Int { ttl + 1 }
    @inlinable static var checksum: Int { proto + 1 }
    @inlinable static var source: Int { checksum + 2 }
    @inlinable static var destination: Int { source + 4 }
    @inlinable static var minHeaderLength: Int { destination + 4 }

    /// Outcome of reading one IPv4 header at some offset.
    @usableFromInline struct Parsed {
        @usableFromInline var header = IPHeaderSummary()
        @usableFromInline var headerLength = 0
        /// Bytes of the datagram from the header start as stated (TSO 0 replaced by `available`).
        @usableFromInline var totalLength = 0
        /// nil when the header is usable (its addresses are valid).
        @usableFromInline var failure: DecodeReason? = nil
        @usableFromInline var needed = 0
        @inlinable init() {}
    }

    /// Reads the header at `o` with `available` bytes of datagram from there. On `.truncated`
    /// (fewer than 20 bytes) or a bad version / IHL / total length nothing is usable, as with
    /// tshark, which then shows no addresses; truncated options are the caller's concern.
    @inlinable @inline(__always)
    static func parse(_ b: UnsafeRawBufferPointer, at o: Int, available: Int) -> Parsed {
        var p = Parsed()
        guard available >= minHeaderLength else {
            p.failure = .truncated
            p.needed = minHeaderLength
            return p
        }
        // checked: minHeaderLength bytes at o (every load below in this function)
        let vihl = b.u8(o + versionIHL)
        guard vihl >> 4 == 4 else { p.failure = .badVersion; return p }
        let hlen = Int(vihl & 0x0F) * 4
        guard hlen >= minHeaderLength else { p.failure = .badHeaderLength; return p }
        var total = Int(b.be16(o + totalLength))
        if total == 0 {
            total = available          // TSO / BIG TCP: bound by what was captured
        } else if total < hlen {
            p.failure = .badLength
            return p
        }
        let frag = b.be16(o + flagsFragment)
        p.header.version = 4
        p.header.offset = UInt32(truncatingIfNeeded: o)
        p.header.source = IPAddress(v4: b.be32(o + source))
        p.header.destination = IPAddress(v4: b.be32(o + destination))
        p.header.proto = IPProtocol(b.u8(o + proto))
        p.header.ttl = b.u8(o + ttl)
        p.header.fragmentOffset = (frag & 0x1FFF) &* 8   // 13 bits × 8 < 65536
        p.header.moreFragments = frag & 0x2000 != 0
        p.header.isFragment = p.header.moreFragments || p.header.fragmentOffset != 0
        // Only a fragment's id names something (its datagram); 0 otherwise, as the fast path leaves it.
        if p.header.isFragment { p.header.fragmentID = UInt32(b.be16(o + identification)) }
        p.header.ipPayloadLength = UInt32(max(0, total - hlen))
        p.headerLength = hlen
        p.totalLength = total
        if hlen > available {
            p.failure = .truncated
            p.needed = hlen
        }
        return p
    }

    /// EtherType 0x0800, raw IP, LINKTYPE_IPV4, IP-in-IP: IPv4 or IPv6 by the version nibble.
    @inlinable static func decodeAnyVersion(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= 1 else { return c.stop(&s, .ipv4, .truncated, needed: minHeaderLength) }
        switch b.u8(c.at) >> 4 {  // checked: 1 byte at c.at
        case 4: return .ipv4
        case 6: return .ipv6
        default: return c.stop(&s, .ipv4, .badVersion)
        }
    }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        let p = parse(b, at: c.at, available: c.available)
        if let failure = p.failure, p.headerLength == 0 {
            return c.stop(&s, .ipv4, failure, needed: p.needed)
        }
        var header = p.header
        // A later fragment's bytes all continue the transport payload (no transport header here).
        if header.fragmentOffset != 0 { header.transportPayloadLength = header.ipPayloadLength }
        c.commit(header, &s)
        if p.failure != nil { return c.stop(&s, .ipv4, .truncated, needed: p.needed) }
        c.datagramEnd = c.at + p.totalLength
        c.end = min(c.end, c.datagramEnd)
        c.at += p.headerLength
        if p.header.fragmentOffset != 0 { return .done }   // no transport header in later fragments
        return .ipProtocol(p.header.proto.rawValue)
    }
}
