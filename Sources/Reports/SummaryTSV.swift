import PacketWire

/// The 19 tab-separated columns of the corpus oracle (`../shared/corpus/oracle.sh`) for one
/// decoded frame, appended as bytes to a caller-owned buffer: `portolan decode` and the corpus
/// tests share this so the tests check exactly what the command prints. No String is built; once
/// the buffer has capacity, appending a line allocates nothing.
///
/// Columns: frame, linktype, ipver, src, dst, proto, sport, dport, tcpflags (0x%03x), icmptype,
/// icmpcode, in_src, in_dst, in_proto, in_sport, in_dport, caplen, origlen, vlans (outermost
/// first, comma separated). Absent values are empty.
public enum SummaryTSV {
    public static let headerLine =
        "#frame\tlinktype\tipver\tsrc\tdst\tproto\tsport\tdport\ttcpflags\ticmptype\ticmpcode\t"
        + "in_src\tin_dst\tin_proto\tin_sport\tin_dport\tcaplen\toriglen\tvlans\n"

    /// Appends one line (with its newline). `inner` selects the innermost IP header for the main
    /// columns (and the VLAN tags before it) instead of the outermost.
    public static func appendLine(
        frame: UInt64, linkType: LinkType, capturedLength: UInt32, originalLength: UInt32,
        summary s: PacketSummary, inner: Bool, to out: inout [UInt8]
    ) {
        let tab: UInt8 = 9
        appendDecimal(frame, &out); out.append(tab)
        appendDecimal(UInt64(linkType.rawValue), &out); out.append(tab)
        let h = inner ? s.inner : s.outer
        if h.version != 0 {
            appendDecimal(UInt64(h.version), &out); out.append(tab)
            appendAddress(h.source, version: h.version, &out); out.append(tab)
            appendAddress(h.destination, version: h.version, &out); out.append(tab)
            appendDecimal(UInt64(h.proto.rawValue), &out); out.append(tab)
            if h.hasPorts {
                appendDecimal(UInt64(h.sourcePort), &out); out.append(tab)
                appendDecimal(UInt64(h.destinationPort), &out); out.append(tab)
            } else {
                out.append(tab); out.append(tab)
            }
            if h.hasTCPFlags { appendFlags(h.tcpFlags, &out) }
            out.append(tab)
            if h.hasICMP {
                appendDecimal(UInt64(h.icmpType), &out); out.append(tab)
                appendDecimal(UInt64(h.icmpCode), &out); out.append(tab)
            } else {
                out.append(tab); out.append(tab)
            }
            let q = s.quoted
            if h.hasICMP && q.version != 0 {
                appendAddress(q.source, version: q.version, &out); out.append(tab)
                if !q.partial { appendAddress(q.destination, version: q.version, &out) }
                out.append(tab)
                appendDecimal(UInt64(q.proto.rawValue), &out); out.append(tab)
                if q.hasPorts {
                    appendDecimal(UInt64(q.sourcePort), &out); out.append(tab)
                    appendDecimal(UInt64(q.destinationPort), &out); out.append(tab)
                } else {
                    out.append(tab); out.append(tab)
                }
            } else {
                for _ in 0..<5 { out.append(tab) }
            }
        } else {
            for _ in 0..<14 { out.append(tab) }
        }
        appendDecimal(UInt64(capturedLength), &out); out.append(tab)
        appendDecimal(UInt64(originalLength), &out); out.append(tab)
        var written = 0
        let outerTags = min(Int(s.vlanCount), 4)
        for i in 0..<outerTags {
            if written > 0 { out.append(UInt8(ascii: ",")) }
            appendDecimal(UInt64(s.vlan(i)), &out)
            written += 1
        }
        if inner && s.inner.version != 0 && s.inner.offset != s.outer.offset {
            let tags = s.innerVLANs
            for i in 0..<min(Int(s.innerVLANCount), 4) {
                if written > 0 { out.append(UInt8(ascii: ",")) }
                appendDecimal(UInt64(i == 0 ? tags.0 : i == 1 ? tags.1 : i == 2 ? tags.2 : tags.3), &out)
                written += 1
            }
        }
        out.append(10)
    }

    @inlinable public static func appendDecimal(_ value: UInt64, _ out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1   // at most 20 digits for a UInt64
            }
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    static func appendFlags(_ flags: UInt16, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "x"))
        out.append(hexDigit(UInt8(truncatingIfNeeded: (flags >> 8) & 0xF)))
        out.append(hexDigit(UInt8(truncatingIfNeeded: (flags >> 4) & 0xF)))
        out.append(hexDigit(UInt8(truncatingIfNeeded: flags & 0xF)))
    }

    @inline(__always) static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? v &+ 48 : v &+ 87
    }

    /// Dotted quad for IPv4; RFC 5952 for IPv6 (lower case, longest run of ≥ 2 zero groups
    /// compressed, first on ties; `::ffff:a.b.c.d` for IPv4-mapped), as `IPAddress.text`.
    public static func appendAddress(_ a: IPAddress, version: UInt8, _ out: inout [UInt8]) {
        if version == 4 {
            appendDottedQuad(a.v4Value, &out)
            return
        }
        if a.isV4Mapped {
            for ch in "::ffff:".utf8 { out.append(ch) }
            appendDottedQuad(a.v4Value, &out)
            return
        }
        @inline(__always) func group(_ g: Int) -> UInt16 {
            let word = g < 4 ? a.high : a.low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (g & 3)))
        }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var g = 0
        while g < 8 {
            if g == bestStart {
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: ":"))
                g += bestLength
                continue
            }
            if g > 0 && g != bestStart + bestLength { out.append(UInt8(ascii: ":")) }
            let v = group(g)
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let d = UInt8(truncatingIfNeeded: (v >> UInt16(shift)) & 0xF)
                if d != 0 || started || shift == 0 {
                    out.append(hexDigit(d))
                    started = true
                }
            }
            g += 1
        }
    }

    static func appendDottedQuad(_ v: UInt32, _ out: inout [UInt8]) {
        appendDecimal(UInt64(v >> 24), &out); out.append(UInt8(ascii: "."))
        appendDecimal(UInt64((v >> 16) & 0xFF), &out); out.append(UInt8(ascii: "."))
        appendDecimal(UInt64((v >> 8) & 0xFF), &out); out.append(UInt8(ascii: "."))
        appendDecimal(UInt64(v & 0xFF), &out)
    }
}
