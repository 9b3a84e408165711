/// ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, 4 bytes that depend on the type,
/// then for error messages the quoted (inner) IP header and the start of its payload. Errors are
/// ICMPv4 types 3, 4, 5, 11, 12 and ICMPv6 types 1–4; the quote's addresses, protocol (after its
/// own IPv6 extension headers) and ports (when 4 bytes of a port-carrying header were quoted) go
/// to `summary.quoted`. The quote is decoded as tshark does: ICMPv4 follows the quoted version
/// nibble, ICMPv6 accepts IPv6 only.
@usableFromInline enum ICMP {
    @inlinable static var type: Int { 0 }
    @inlinable static var code: Int { type + 1 }
    @inlinable static var checksum: Int { code + 1 }
    @inlinable static var restOfHeader: Int { checksum + 2 }
    @inlinable static var headerLength: Int { restOfHeader + 4 }
    /// Where an error message's quote starts.
    @inlinable static var quote: Int { headerLength }
    /// Bytes an ICMPv4 message needs before tshark 4.0 shows its type and code: it reads the
    /// first 16 bits after the checksum before adding either (ICMPv6 shows them from 2 bytes).
    @inlinable static var v4TypeCodeLength: Int { restOfHeader + 2 }

    @inlinable static func isError(_ type: UInt8, v6: Bool) -> Bool {
        if v6 { return type >= 1 && type <= 4 }
        switch type {
        case 3, 4, 5, 11, 12: return true
        default: return false
        }
    }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary, v6: Bool) -> Step {
        let layer: DecodeLayer = v6 ? .icmpv6 : .icmp
        guard c.available >= (v6 ? code + 1 : v4TypeCodeLength) else {
            return c.stop(&s, layer, .truncated, needed: headerLength)
        }
        // checked: at least code + 1 bytes at c.at (both loads below)
        let t = b.u8(c.at + type)
        s.inner.icmpType = t
        s.inner.icmpCode = b.u8(c.at + code)
        s.inner.hasICMP = true
        s.inner.transportPayloadLength = TransportPorts.statedPayload(c, headerLength: headerLength)
        guard c.available >= headerLength else { return c.stop(&s, layer, .truncated, needed: headerLength) }
        if isError(t, v6: v6) {
            parseQuote(b, at: c.at + quote, end: c.end, v6: v6, &s.quoted)
        }
        return .done
    }

    /// Fills `q` from the quoted datagram at `o..<end`; leaves it empty when not even the quoted
    /// source address was captured. A quote cut inside the fixed header after the source address
    /// gives version, source and protocol with `partial` set, as tshark shows it (IPv4: 16 bytes
    /// up to the end of the options; IPv6: 24–39 bytes, next header not walked).
    @inlinable static func parseQuote(_ b: UnsafeRawBufferPointer, at o: Int, end: Int, v6: Bool, _ q: inout QuotedHeader) {
        guard end - o >= 1 else { return }
        let version = b.u8(o) >> 4  // checked: 1 byte at o
        var at = o
        var limit = end
        var proto: IPProtocol
        if version == 4 && !v6 {
            let p = IPv4.parse(b, at: o, available: end - o)
            if p.failure == .truncated && p.headerLength != 0 {
                // Options cut: tshark reads them before it shows the destination.
                q.version = 4
                q.source = p.header.source
                q.proto = p.header.proto
                q.partial = true
                return
            }
            if p.failure == .truncated && p.headerLength == 0 && end - o >= IPv4.destination {
                // checked: IPv4.destination (16) bytes at o: protocol and source
                q.version = 4
                q.source = IPAddress(v4: b.be32(o + IPv4.source))
                q.proto = IPProtocol(b.u8(o + IPv4.proto))
                q.partial = true
                return
            }
            guard p.headerLength != 0 else { return }
            q.version = 4
            q.source = p.header.source
            q.destination = p.header.destination
            q.proto = p.header.proto
            guard p.failure == nil, p.header.fragmentOffset == 0 else { return }
            at = o + p.headerLength
            limit = min(end, o + p.totalLength)
            proto = p.header.proto
        } else if version == 6 {
            if end - o < IPv6.headerLength {
                guard end - o >= IPv6.destination else { return }
                // checked: IPv6.destination (24) bytes at o: next header and source
                q.version = 6
                q.source = IPAddress(high: b.be64(o + IPv6.source), low: b.be64(o + IPv6.source + 8))
                q.proto = IPProtocol(b.u8(o + IPv6.nextHeader))
                q.partial = true
                return
            }
            var h = IPv6.header(b, at: o)  // checked: IPv6.headerLength bytes at o
            let stated = Int(h.ipPayloadLength)
            if stated != 0 { limit = min(end, o + IPv6.headerLength + stated) }
            at = o + IPv6.headerLength
            let walked = IPv6.walk(b, at: &at, end: limit, &h)
            q.version = 6
            q.source = h.source
            q.destination = h.destination
            q.proto = h.proto
            guard walked == .upper else { return }
            proto = h.proto
        } else {
            return
        }
        // SCTP ports only with the whole common header, as in the outer packet.
        let portBytes = proto.rawValue == 132 ? SCTP.headerLength : TransportPorts.length
        if proto.hasPorts && limit - at >= portBytes {
            // checked: TransportPorts.length bytes at `at`
            q.sourcePort = b.be16(at + TransportPorts.sourcePort)
            q.destinationPort = b.be16(at + TransportPorts.destinationPort)
            q.hasPorts = true
        }
    }
}
