/// IPv6 header (RFC 8200) and the extension headers walked after it: Hop-by-Hop (0), Routing (43),
/// Fragment (44), Destination Options (60). AH, ESP, Mobility and the rest end the walk and are
/// reported as the protocol (as the oracle does). The payload length bounds the datagram. A
/// payload length of 0 before a Hop-by-Hop header takes the Jumbo Payload option's 32-bit length
/// (jumbograms, BIG TCP) and is malformed (`.badLength`) without one; 0 without Hop-by-Hop
/// (segmentation offload) means "what was captured".
@usableFromInline enum IPv6 {
    @inlinable static var versionClassFlow: Int { 0 }
    @inlinable static var payloadLength: Int { versionClassFlow + 4 }
    @inlinable static var nextHeader: Int { payloadLength + 2 }
    @inlinable static var hopLimit: Int { nextHeader + 1 }
    @inlinable static var source: Int { hopLimit + 1 }
    @inlinable static var destination: Int { source + 16 }
    @inlinable static var headerLength: Int { destination + 16 }

    /// Generic extension header: next header, length in 8-octet units beyond the first 8.
    @inlinable static var extNextHeader: Int { 0 }
    @inlinable static var extLength: Int { extNextHeader + 1 }
    @inlinable static var extMinLength: Int { 8 }
    /// Fragment header: next header, reserved, offset (13 bits) / flags, identification.
    @inlinable static var fragOffsetFlags: Int { 2 }
    @inlinable static var fragHeaderLength: Int { fragOffsetFlags + 6 }
    /// Jumbo Payload option (RFC 2675) inside Hop-by-Hop.
    @inlinable static var jumboOptionType: UInt8 { 0xC2 }

    @inlinable static func isExtension(_ n: UInt8) -> Bool { n == 0 || n == 43 || n == 44 || n == 60 }

    /// Reads the fixed header at `o`; caller checked `headerLength` bytes.
    @inlinable @inline(__always)
    static func header(_ b: UnsafeRawBufferPointer, at o: Int) -> IPHeaderSummary {
        var h = IPHeaderSummary()
        h.version = 6
        h.offset = UInt32(truncatingIfNeeded: o)
        // checked by the caller: headerLength bytes at o (every load below)
        h.source = IPAddress(high: b.be64(o + source), low: b.be64(o + source + 8))
        h.destination = IPAddress(high: b.be64(o + destination), low: b.be64(o + destination + 8))
        h.proto = IPProtocol(b.u8(o + nextHeader))
        h.ttl = b.u8(o + hopLimit)
        h.ipPayloadLength = UInt32(b.be16(o + payloadLength))
        return h
    }

    /// Result of walking an extension-header chain.
    @usableFromInline enum Walk: Equatable {
        /// Reached an upper-layer protocol (or 59 / AH / ESP / …) at the cursor.
        case upper
        /// A non-first fragment: no upper-layer header here.
        case laterFragment
        case stopped(DecodeReason, needed: Int)
    }

    /// Walks extension headers from `at` (below `end`), updating `h.proto` with each next-header
    /// value read and the fragment fields.
    @inlinable static func walk(_ b: UnsafeRawBufferPointer, at: inout Int, end: Int, _ h: inout IPHeaderSummary) -> Walk {
        var count = 0
        while isExtension(h.proto.rawValue) {
            count += 1
            guard count <= Cursor.maxExtensionHeaders else { return .stopped(.tooDeep, needed: 0) }
            // Like tshark 4.0, a Routing header cut short still reports its next-header byte when
            // captured, Hop-by-Hop and Destination Options need their length byte too, and a cut
            // Fragment header reports nothing.
            guard end - at >= (h.proto.rawValue == 43 ? 1 : 2) else {
                return .stopped(.truncated, needed: h.proto.rawValue == 44 ? fragHeaderLength : extMinLength)
            }
            let next = IPProtocol(b.u8(at + extNextHeader))  // checked: 1 byte at `at`
            if h.proto.rawValue == 44 {
                guard end - at >= fragHeaderLength else { return .stopped(.truncated, needed: fragHeaderLength) }
                // checked: fragHeaderLength bytes at `at`
                let field = b.be16(at + fragOffsetFlags)
                h.proto = next
                h.isFragment = true
                h.fragmentOffset = field & 0xFFF8
                h.moreFragments = field & 1 != 0
                h.fragmentID = b.be32(at + fragOffsetFlags + 2)
                at += fragHeaderLength
                if h.fragmentOffset != 0 { return .laterFragment }
                continue
            }
            h.proto = next
            guard end - at >= 2 else { return .stopped(.truncated, needed: extMinLength) }
            let length = (Int(b.u8(at + extLength)) + 1) * 8  // checked: 2 bytes at `at`
            guard end - at >= length else { return .stopped(.truncated, needed: length) }
            at += length
        }
        return .upper
    }

    /// The Jumbo Payload option's length among Hop-by-Hop options in `options..<end` (checked).
    @inlinable static func jumboLength(_ b: UnsafeRawBufferPointer, options: Int, end: Int) -> UInt32? {
        var o = options
        while o < end {
            let type = b.u8(o)  // checked: o < end ≤ the checked header end
            if type == 0 { o += 1; continue }       // Pad1
            guard end - o >= 2 else { return nil }
            let length = Int(b.u8(o + 1))  // checked: 2 bytes at o
            if type == jumboOptionType && length == 4 && end - o >= 6 {
                return b.be32(o + 2)  // checked: 6 bytes at o
            }
            o += 2 + length
        }
        return nil
    }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= 1 else { return c.stop(&s, .ipv6, .truncated, needed: headerLength) }
        guard b.u8(c.at) >> 4 == 6 else { return c.stop(&s, .ipv6, .badVersion) }  // checked: 1 byte
        guard c.available >= headerLength else { return c.stop(&s, .ipv6, .truncated, needed: headerLength) }
        let start = c.at
        var h = header(b, at: start)  // checked: headerLength bytes at c.at
        let stated = Int(h.ipPayloadLength)
        if stated != 0 {
            c.datagramEnd = start + headerLength + stated
        } else if h.proto.rawValue == 0 {
            // Payload length 0 before a Hop-by-Hop header: a jumbogram (RFC 2675) or Linux BIG TCP
            // must carry a Jumbo Payload option; without one the packet is malformed and, as
            // tshark does, nothing after the fixed header is read.
            let hbh = start + headerLength
            let length = c.end - hbh >= 2 ? (Int(b.u8(hbh + extLength)) + 1) * 8 : extMinLength  // checked: 2 bytes at hbh
            guard c.end - hbh >= length else {
                c.commit(h, &s)
                c.at = hbh
                return c.stop(&s, .ipv6Extension, .truncated, needed: length)
            }
            let jumbo = jumboLength(b, options: hbh + 2, end: hbh + length)  // checked: length bytes at hbh
            // RFC 2675: a jumbo length must exceed 65535 (tshark rejects smaller ones too).
            guard let jumbo, jumbo > 0xFFFF else {
                c.commit(h, &s)
                c.at = hbh
                return c.stop(&s, .ipv6, .badLength)
            }
            h.ipPayloadLength = jumbo
            c.datagramEnd = hbh + Int(jumbo)
        } else {
            // Payload length 0 without Hop-by-Hop: segmentation offload; bound by the capture.
            c.datagramEnd = c.end
            h.ipPayloadLength = UInt32(max(0, c.end - start - headerLength))
        }
        c.end = min(c.end, c.datagramEnd)
        var at = start + headerLength
        let walked = walk(b, at: &at, end: c.end, &h)
        // A later fragment's bytes all continue the transport payload (no transport header here).
        if walked == .laterFragment { h.transportPayloadLength = UInt32(truncatingIfNeeded: max(0, c.datagramEnd - at)) }
        c.commit(h, &s)
        c.at = at
        switch walked {
        case .upper: return .ipProtocol(h.proto.rawValue)
        case .laterFragment: return .done
        case .stopped(let reason, let needed): return c.stop(&s, .ipv6Extension, reason, needed: needed)
        }
    }
}
