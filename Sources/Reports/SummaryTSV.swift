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

    /// `portolan decode`'s per-frame work in one call: decodes a frame and formats its line into
    /// a block the caller allocated once, handing the block to `OutputFile` when it fills. A frame
    /// the decoder's fast path takes (Ethernet, at most one 802.1Q tag, IPv4/IPv6, TCP/UDP, no
    /// tunnel: nearly every frame of a busy link) is formatted straight from its `FastFrame`, with
    /// no `PacketSummary` reset and copy; its line is the one `appendLine` prints for
    /// `decode`'s summary of it (`SummaryTSVTests` compares the two on every capture).
    public struct Writer {
        let decoder: PacketDecoder
        let inner: Bool
        let base: UnsafeMutablePointer<UInt8>
        /// Bytes formatted and not yet handed to `out`; at most `limit + maxLine`.
        var count = 0
        let limit: Int
        /// The previous frame number's digits (the last 32 bytes of the block) and their count;
        /// see `frameNumber`. "0" before frame 1.
        let frameText: UnsafeMutablePointer<UInt8>
        var frameDigits = 1
        /// IPv6 texts of the addresses seen last (`Cursor.v6`), 64 KiB of the block.
        let addressCache: UnsafeMutableRawPointer
        var lastFrame: UInt64 = 0
        var summary = PacketSummary()
        public var out: OutputFile

        /// `block` (at least `minimumBlock` bytes; its last 64 KiB hold the IPv6 address cache, the
        /// rest the lines, written out in chunks of nearly that size) stays the caller's and must
        /// outlive the writer.
        public init(block: UnsafeMutableBufferPointer<UInt8>, decoder: PacketDecoder, inner: Bool, out: OutputFile) {
            precondition(block.count >= Writer.minimumBlock)
            base = block.baseAddress!
            frameText = base + (block.count - 32)
            frameText.initialize(repeating: 0, count: 32)
            frameText[0] = 0x30
            addressCache = UnsafeMutableRawPointer(frameText - Cursor.cacheBytes)
            addressCache.initializeMemory(as: UInt8.self, repeating: 0, count: Cursor.cacheBytes)
            limit = block.count - 32 - Cursor.cacheBytes - maxLine
            self.decoder = decoder
            self.inner = inner
            self.out = out
        }

        /// The smallest block: the cache, the frame number and two lines.
        public static var minimumBlock: Int { Cursor.cacheBytes + 32 + 2 * maxLine }

        /// Decodes `bytes` (frame `number` of its file, as the capture record gives it) and formats
        /// its line. Returns false once a write has failed (`out.error`): the caller stops reading.
        public mutating func frame(_ number: UInt64, linkType: LinkType, capturedLength: UInt32,
                                   originalLength: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool {
            var c = Cursor(base + count)
            frameNumber(number, &c)
            if !(linkType.rawValue == 1
                 && c.fastLine(bytes, decoder, addressCache, capturedLength: capturedLength,
                             originalLength: originalLength)) {
                decoder.decode(bytes, linkType: linkType, into: &summary)
                c.line(linkType: linkType, capturedLength: capturedLength, originalLength: originalLength,
                       summary: summary, inner: inner)
            }
            count &+= c.n
            if _slowPath(count >= limit) { return handOver() }
            return true
        }

        /// Writes out the formatted lines (straight from the block).
        @inline(never)
        mutating func handOver() -> Bool {
            let n = count
            count = 0
            try? out.flush(then: UnsafeRawBufferPointer(start: base, count: n))
            return out.error == nil
        }

        /// Writes out every formatted line (before an error message, and at the end).
        public mutating func flush() throws(OutputError) {
            let n = count
            count = 0
            try out.flush(then: UnsafeRawBufferPointer(start: base, count: n))
        }

        /// The frame number's digits, from the previous line's when it is the next number (every
        /// frame without a filter): one added to the text, not the number formatted again.
        @inline(__always)
        mutating func frameNumber(_ frame: UInt64, _ c: inout Cursor) {
            let t = frameText
            if frame == lastFrame &+ 1 {
                var i = frameDigits &- 1
                while i >= 0 && t[i] == 0x39 { t[i] = 0x30; i &-= 1 }
                if i >= 0 {
                    t[i] &+= 1
                } else {  // 99…9 + 1: a 1 and one more 0
                    t[0] = 0x31
                    t[frameDigits] = 0x30
                    frameDigits &+= 1
                }
            } else {
                var d = Cursor(t)
                d.decimal(frame)
                frameDigits = d.n
            }
            // ≤ 20 digits: three 8-byte copies.
            let from = UnsafeRawPointer(t), to = UnsafeMutableRawPointer(c.p + c.n)
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
            c.n &+= frameDigits
            lastFrame = frame
        }
    }

    /// Writes into a buffer of `maxLine` bytes; `n` bytes written so far. Stores may reach a few
    /// bytes past the text (whole words of a table entry or a run of tabs); the next field
    /// overwrites them, and `maxLine` leaves room beyond the longest line.
    struct Cursor {
        let p: UnsafeMutablePointer<UInt8>
        var n = 0
        init(_ p: UnsafeMutablePointer<UInt8>) { self.p = p }

        @inline(__always) mutating func byte(_ b: UInt8) { p[n] = b; n &+= 1 }
        @inline(__always) mutating func tab() { byte(9) }
        /// `k` ≤ 16 tabs: two 8-byte stores.
        @inline(__always) mutating func tabs(_ k: Int) {
            let raw = UnsafeMutableRawPointer(p + n)
            raw.storeBytes(of: 0x0909_0909_0909_0909 as UInt64, as: UInt64.self)
            raw.storeBytes(of: 0x0909_0909_0909_0909 as UInt64, toByteOffset: 8, as: UInt64.self)
            n &+= k
        }
        /// Up to 8 bytes of text in one store (little-endian: the first byte lowest), `k` of them kept.
        @inline(__always) mutating func word(_ w: UInt64, _ k: Int) {
            UnsafeMutableRawPointer(p + n).storeBytes(of: w.littleEndian, as: UInt64.self)
            n &+= k
        }

        /// Digits `v` < 100 (two of them) at `at`, from the reports' digit-pair table.
        @inline(__always) func pair(_ v: UInt64, at: Int) {
            let d = UnsafeRawPointer(digitPairs).loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: v) &* 2, as: UInt16.self)
            UnsafeMutableRawPointer(p + at).storeBytes(of: d, as: UInt16.self)
        }

        /// Two digits per table read (a digit at a time cost ≈ 700 instructions a line).
        @inline(__always) mutating func decimal(_ value: UInt64) { n &+= writeDecimal(value, p + n) }

        /// `decimal` without a loop for the values a line mostly holds (< 100,000: ports, lengths,
        /// VLAN ids): the digit pairs combined into one store.
        @inline(__always) mutating func small(_ v: UInt32) {
            @inline(__always) func pairText(_ x: UInt32) -> UInt32 {
                UInt32(UnsafeRawPointer(digitPairs).loadUnaligned(fromByteOffset: Int(x) &* 2, as: UInt16.self))
            }
            let raw = UnsafeMutableRawPointer(p + n)
            if v < 100 {
                if v < 10 { byte(UInt8(truncatingIfNeeded: v) &+ 48) } else { pair(UInt64(v), at: n); n &+= 2 }
            } else if v < 10_000 {
                let hi = v / 100
                let text = pairText(hi) | pairText(v &- hi &* 100) << 16  // "0hll" below 1,000
                let three = v < 1_000
                raw.storeBytes(of: (text >> (three ? 8 : 0)).littleEndian, as: UInt32.self)
                n &+= three ? 3 : 4
            } else if v < 100_000 {
                let top = v / 10_000, rest = v &- top &* 10_000
                let hi = rest / 100
                let text = UInt64(top &+ 48) | UInt64(pairText(hi)) << 8 | UInt64(pairText(rest &- hi &* 100)) << 24
                raw.storeBytes(of: text.littleEndian, as: UInt64.self)
                n &+= 5
            } else {
                decimal(UInt64(v))
            }
        }

        /// A dotted quad: per octet one load and one store of its table entry, the dot after it.
        @inline(__always) mutating func quad(_ v: UInt32) {
            @inline(__always) func octet(_ o: UInt32) {
                let t = IPAddress.octetText.loadUnaligned(fromByteOffset: Int(o & 0xFF) &* 4, as: UInt32.self)
                UnsafeMutableRawPointer(p + n).storeBytes(of: t, as: UInt32.self)
                n &+= Int(truncatingIfNeeded: (t.littleEndian >> 24) &- 48)
                p[n] = 0x2E
                n &+= 1
            }
            octet(v >> 24); octet(v >> 16); octet(v >> 8); octet(v)
            n &-= 1  // without the last dot
        }

        @inline(__always) mutating func address(_ a: IPAddress, _ version: UInt8) {
            if version == 4 { quad(a.v4Value) } else { n &+= a.writeText(version: version, into: p + n) }
        }

        @inline(__always) mutating func flags(_ f: UInt16) {
            // "0x" and three hex digits (12 bits), stored as one word.
            let d2 = UInt64(hexDigit(UInt8(truncatingIfNeeded: (f >> 8) & 0xF)))
            let d1 = UInt64(hexDigit(UInt8(truncatingIfNeeded: (f >> 4) & 0xF)))
            let d0 = UInt64(hexDigit(UInt8(truncatingIfNeeded: f & 0xF)))
            word(0x7830 | d2 << 16 | d1 << 24 | d0 << 32, 5)
        }

        /// 1,024 entries of 64 bytes: the address (16 bytes), its text's length (8), the text (40:
        /// an IPv6 text is at most 39 bytes).
        static var cacheBytes: Int { 1024 * 64 }

        /// An IPv6 address's text, copied from the cache when the address's entry holds it (a
        /// capture repeats its addresses: ≈ 25 instructions instead of ≈ 270), else written by
        /// `IPAddress.writeText` and kept in the entry. Direct-mapped by a multiplicative hash.
        @inline(__always) mutating func v6(_ a: IPAddress, _ cache: UnsafeMutableRawPointer) {
            let slot = Int(truncatingIfNeeded: ((a.high ^ a.low) &* 0x9E37_79B9_7F4A_7C15) >> 54)  // 0..<1024
            let e = cache + slot &* 64
            let to = UnsafeMutableRawPointer(p + n)
            let length = e.loadUnaligned(fromByteOffset: 16, as: Int.self)
            if length != 0 && e.loadUnaligned(as: UInt64.self) == a.high
                && e.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == a.low {
                for w in 0..<5 {
                    to.storeBytes(of: e.loadUnaligned(fromByteOffset: 24 &+ 8 &* w, as: UInt64.self), toByteOffset: 8 &* w,
                                  as: UInt64.self)
                }
                n &+= length
            } else {
                let k = a.writeText(version: 6, into: p + n)
                e.storeBytes(of: a.high, as: UInt64.self)
                e.storeBytes(of: a.low, toByteOffset: 8, as: UInt64.self)
                e.storeBytes(of: k, toByteOffset: 16, as: Int.self)
                for w in 0..<5 {
                    e.storeBytes(of: to.loadUnaligned(fromByteOffset: 8 &* w, as: UInt64.self),
                                 toByteOffset: 24 &+ 8 &* w, as: UInt64.self)
                }
                n &+= k
            }
        }

        /// The line (after the frame number) of a frame the decoder's fast path takes, as `line`
        /// prints `decode`'s summary of it: one IP header (so `--inner` changes nothing), TCP or
        /// UDP ports, no ICMP, at most one VLAN tag. The fields are used where they are read, so
        /// what decode does not print (sequence numbers, lengths, TTL) is never loaded. Returns
        /// false having written nothing for any other frame (then `decode` and `line`).
        @inline(never)
        mutating func fastLine(_ bytes: UnsafeRawBufferPointer, _ decoder: PacketDecoder,
                               _ cache: UnsafeMutableRawPointer,
                               capturedLength: UInt32, originalLength: UInt32) -> Bool {
            guard let f = PacketDecoder.fastFrameAnyPort(bytes, linkType: .ethernet), !decoder.isVXLAN(f) else {
                return false
            }
            // "\t1\t4\t" or "\t1\t6\t": the link type (Ethernet) and the IP version.
            word(0x09_3409_3109 | UInt64(f.version == 4 ? 0 : 2) << 24, 5)
            if f.version == 4 {
                quad(f.source.v4Value); tab()
                quad(f.destination.v4Value); tab()
            } else {
                v6(f.source, cache); tab()
                v6(f.destination, cache); tab()
            }
            if f.proto == 6 { word(0x09_36, 2) } else { word(0x09_3731, 3) }  // TCP or UDP only
            small(UInt32(f.sourcePort)); tab()
            small(UInt32(f.destinationPort)); tab()
            if f.proto == 6 { flags(f.tcpFlags) }
            tabs(8)  // after the flags; ICMP type and code; the five quoted columns
            lengths(capturedLength, originalLength)
            if f.vlanCount != 0 { small(UInt32(f.vlan)) }
            byte(10)
            return true
        }

        mutating func line(frame: UInt64, linkType: LinkType, capturedLength: UInt32, originalLength: UInt32,
                           summary s: PacketSummary, inner: Bool) {
            decimal(frame)
            line(linkType: linkType, capturedLength: capturedLength, originalLength: originalLength,
                 summary: s, inner: inner)
        }

        /// The caplen and origlen columns, each with its tab; a frame captured whole (the two
        /// equal) copies the first one's text.
        @inline(__always) mutating func lengths(_ captured: UInt32, _ original: UInt32) {
            let start = n
            small(captured)
            let k = n &- start
            tab()
            if original == captured {
                // ≤ 10 digits: two 8-byte copies.
                let raw = UnsafeMutableRawPointer(p)
                raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self), toByteOffset: n, as: UInt64.self)
                raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: start &+ 8, as: UInt64.self), toByteOffset: n &+ 8,
                               as: UInt64.self)
                n &+= k
            } else {
                small(original)
            }
            tab()
        }

        /// The line after the frame number.
        mutating func line(linkType: LinkType, capturedLength: UInt32, originalLength: UInt32,
                           summary s: PacketSummary, inner: Bool) {
            tab()
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
            lengths(capturedLength, originalLength)
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.maxTextLength + 8) { buf in
            var c = Cursor(buf.baseAddress!)
            c.address(a, version)
            out.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress, count: c.n))
        }
    }
}
