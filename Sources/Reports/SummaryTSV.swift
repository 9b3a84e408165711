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

    /// The longest line: 19 columns, four addresses of `IPAddress.maxTextLength`, numbers and
    /// eight VLAN tags fit well within it.
    static let maxLine = 512

    /// Appends one line (with its newline). `inner` selects the innermost IP header for the main
    /// columns (and the VLAN tags before it) instead of the outermost. The line is formatted into
    /// a stack buffer with plain stores and appended with one copy.
    public static func appendLine(
        frame: UInt64, linkType: LinkType, capturedLength: UInt32, originalLength: UInt32,
        summary s: PacketSummary, inner: Bool, to out: inout [UInt8]
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLine) { buf in
            var c = Cursor(buf.baseAddress!)
            c.line(frame: frame, linkType: linkType, capturedLength: capturedLength, originalLength: originalLength,
                   summary: s, inner: inner)
            out.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress, count: c.n))
        }
    }

    /// Writes into a buffer of `maxLine` bytes; `n` bytes written so far.
    struct Cursor {
        let p: UnsafeMutablePointer<UInt8>
        var n = 0
        init(_ p: UnsafeMutablePointer<UInt8>) { self.p = p }

        @inline(__always) mutating func byte(_ b: UInt8) { p[n] = b; n &+= 1 }
        @inline(__always) mutating func tab() { byte(9) }
        @inline(__always) mutating func tabs(_ k: Int) { for _ in 0..<k { byte(9) } }

        @inline(__always) mutating func decimal(_ value: UInt64) {
            if value < 10 {
                byte(UInt8(truncatingIfNeeded: value) &+ 48)
                return
            }
            var digits = 0
            var v = value
            while v > 0 { digits &+= 1; v /= 10 }
            v = value
            var i = n &+ digits
            n = i
            while v > 0 {
                i &-= 1
                p[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
        }

        @inline(__always) mutating func address(_ a: IPAddress, _ version: UInt8) {
            n &+= a.writeText(version: version, into: p + n)
        }

        mutating func flags(_ f: UInt16) {
            byte(UInt8(ascii: "0")); byte(UInt8(ascii: "x"))
            byte(hexDigit(UInt8(truncatingIfNeeded: (f >> 8) & 0xF)))
            byte(hexDigit(UInt8(truncatingIfNeeded: (f >> 4) & 0xF)))
            byte(hexDigit(UInt8(truncatingIfNeeded: f & 0xF)))
        }

        mutating func line(frame: UInt64, linkType: LinkType, capturedLength: UInt32, originalLength: UInt32,
                           summary s: PacketSummary, inner: Bool) {
            decimal(frame); tab()
            decimal(UInt64(linkType.rawValue)); tab()
            let h = inner ? s.inner : s.outer
            if h.version != 0 {
                decimal(UInt64(h.version)); tab()
                address(h.source, h.version); tab()
                address(h.destination, h.version); tab()
                decimal(UInt64(h.proto.rawValue)); tab()
                if h.hasPorts {
                    decimal(UInt64(h.sourcePort)); tab()
                    decimal(UInt64(h.destinationPort)); tab()
                } else {
                    tabs(2)
                }
                if h.hasTCPFlags { flags(h.tcpFlags) }
                tab()
                if h.hasICMP {
                    decimal(UInt64(h.icmpType)); tab()
                    decimal(UInt64(h.icmpCode)); tab()
                } else {
                    tabs(2)
                }
                let q = s.quoted
                if h.hasICMP && q.version != 0 {
                    address(q.source, q.version); tab()
                    if !q.partial { address(q.destination, q.version) }
                    tab()
                    decimal(UInt64(q.proto.rawValue)); tab()
                    if q.hasPorts {
                        decimal(UInt64(q.sourcePort)); tab()
                        decimal(UInt64(q.destinationPort)); tab()
                    } else {
                        tabs(2)
                    }
                } else {
                    tabs(5)
                }
            } else {
                tabs(14)
            }
            decimal(UInt64(capturedLength)); tab()
            decimal(UInt64(originalLength)); tab()
            var written = 0
            for i in 0..<min(Int(s.vlanCount), 4) {
                if written > 0 { byte(UInt8(ascii: ",")) }
                decimal(UInt64(s.vlan(i)))
                written += 1
            }
            if inner && s.inner.version != 0 && s.inner.offset != s.outer.offset {
                let tags = s.innerVLANs
                for i in 0..<min(Int(s.innerVLANCount), 4) {
                    if written > 0 { byte(UInt8(ascii: ",")) }
                    decimal(UInt64(i == 0 ? tags.0 : i == 1 ? tags.1 : i == 2 ? tags.2 : tags.3))
                    written += 1
                }
            }
            byte(10)
        }
    }

    /// One number's decimal digits appended (tests check the formatting through this).
    public static func appendDecimal(_ value: UInt64, _ out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var c = Cursor(buf.baseAddress!)
            c.decimal(value)
            out.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress, count: c.n))
        }
    }

    @inline(__always) static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? v &+ 48 : v &+ 87
    }

    /// Dotted quad for IPv4; RFC 5952 for IPv6 (lower case, longest run of ≥ 2 zero groups
    /// compressed, first on ties; `::ffff:a.b.c.d` for IPv4-mapped): `IPAddress.writeText`.
    public static func appendAddress(_ a: IPAddress, version: UInt8, _ out: inout [UInt8]) {
        a.withText(version: version) { out.append(contentsOf: $0) }
    }
}
