/// An IPv4 or IPv6 address as a 16-byte value (network byte order in `high`/`low`, big-endian
/// numerically: `high` holds bytes 0–7). IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`);
/// the version travels beside the address (`IPHeaderSummary.version`, flow keys), so an IPv6
/// packet that really carries `::ffff:a.b.c.d` stays distinct where the version is kept.
public struct IPAddress: Hashable, Sendable, Comparable {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// IPv4 from its 32-bit value in host order (`0x0A000001` is 10.0.0.1).
    @inlinable public init(v4 value: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(value)
    }

    public static let zero = IPAddress(high: 0, low: 0)

    @inlinable public var isV4Mapped: Bool { high == 0 && (low >> 32) == 0x0000_FFFF }
    @inlinable public var v4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    @inlinable public static func < (a: IPAddress, b: IPAddress) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Byte `i` (0…15) in network order.
    @inlinable public func byte(_ i: Int) -> UInt8 {
        i < 8 ? UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            : UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * (i - 8)))
    }

    /// Text form: dotted quad for IPv4-mapped values when `version == 4`, otherwise RFC 5952
    /// (lower case, longest run of two or more zero groups compressed, first run on ties).
    public func text(version: UInt8) -> String {
        withText(version: version) { String(decoding: $0, as: UTF8.self) }
    }

    /// "0  1" … "2553": each octet's digits padded to three bytes, then its length as an ASCII
    /// digit (a literal: no global array to initialise, no bounds check). `writeText` and decode's
    /// line writer read it, four bytes an octet.
    @inlinable public static var octetText: UnsafeRawPointer {
        UnsafeRawPointer(("""
            0  11  12  13  14  15  16  17  18  19  110 211 212 213 214 215 2\
            16 217 218 219 220 221 222 223 224 225 226 227 228 229 230 231 2\
            32 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 2\
            48 249 250 251 252 253 254 255 256 257 258 259 260 261 262 263 2\
            64 265 266 267 268 269 270 271 272 273 274 275 276 277 278 279 2\
            80 281 282 283 284 285 286 287 288 289 290 291 292 293 294 295 2\
            96 297 298 299 2100310131023103310431053106310731083109311031113\
            1123113311431153116311731183119312031213122312331243125312631273\
            1283129313031313132313331343135313631373138313931403141314231433\
            1443145314631473148314931503151315231533154315531563157315831593\
            1603161316231633164316531663167316831693170317131723173317431753\
            1763177317831793180318131823183318431853186318731883189319031913\
            1923193319431953196319731983199320032013202320332043205320632073\
            2083209321032113212321332143215321632173218321932203221322232233\
            2243225322632273228322932303231323232333234323532363237323832393\
            2403241324232433244324532463247324832493250325132523253325432553
            """ as StaticString).utf8Start)
    }

    /// The longest text: an IPv6 address with an IPv4 tail ("ffff:…:255.255.255.255", 45 bytes).
    public static let maxTextLength = 46

    /// Calls `body` with the address's text (dotted quad, or RFC 5952 IPv6 as tshark prints it)
    /// in a buffer on the stack: the report writers copy it without a String.
    @inlinable
    public func withText<R>(version: UInt8, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buf) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = writeText(version: version, into: p)
            return body(UnsafeRawBufferPointer(start: p, count: n))
        }
    }

    /// Writes the text into `out` (room for `maxTextLength` bytes); returns its length.
    public func writeText(version: UInt8, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        func byte(_ b: UInt8) { out[n] = b; n += 1 }
        // Each octet's text from a table (its digits in the low bytes, its length in the top one):
        // four bytes stored (at most 5 past the text, within the buffer), the dot after it.
        // Unrolled, into a local cursor (a loop over the octets measured +270 instructions a
        // decoded packet).
        @inline(__always) func quad(_ v: UInt32, at start: Int) -> Int {
            var at = start
            @inline(__always) func octet(_ o: UInt32) {
                let t = IPAddress.octetText.loadUnaligned(fromByteOffset: Int(o & 0xFF) &* 4, as: UInt32.self)
                UnsafeMutableRawPointer(out + at).storeBytes(of: t, as: UInt32.self)
                at &+= Int(truncatingIfNeeded: (t.littleEndian >> 24) &- 48)
                out[at] = 0x2E
                at &+= 1
            }
            octet(v >> 24); octet(v >> 16); octet(v >> 8); octet(v)
            return at - 1  // without the last dot
        }
        if version == 4 { return quad(v4Value, at: 0) }
        // RFC 5952 §5: ::ffff:a.b.c.d keeps the dotted quad (as tshark prints it).
        if high == 0 && (low >> 32) == 0x0000_FFFF {
            for c in "::ffff:".utf8 { byte(c) }
            return quad(v4Value, at: n)
        }
        // Group g (0…7) is bits 112 - 16g … of high:low.
        @inline(__always) func group(_ g: Int) -> UInt64 {
            (g < 4 ? high >> UInt64(48 &- 16 &* g) : low >> UInt64(112 &- 16 &* g)) & 0xFFFF
        }
        // Bit g set for each zero group; after k - 1 rounds of `runs &= runs >> 1`, bit g is set
        // when groups g…g+k-1 are all zero, so the last non-zero round gives the longest run's
        // length and its lowest bit the first such run (RFC 5952: the first of equal runs).
        var zeros: UInt32 = 0
        for g in 0..<8 where group(g) == 0 { zeros |= 1 << UInt32(g) }
        var bestStart = 8, bestEnd = 8
        if zeros & (zeros >> 1) != 0 {  // a run of two or more
            var runs = zeros, length = 0, last = zeros
            while runs != 0 { last = runs; length &+= 1; runs &= runs >> 1 }
            bestStart = last.trailingZeroBitCount
            bestEnd = bestStart &+ length
        }
        // Each group's hex digits as one 4-byte word (the first digit lowest), leading zeros
        // dropped by a shift: ≤ 3 bytes stored past the text, the longest (39 bytes) stays well
        // within `maxTextLength`. Unrolled over the eight groups (constant shifts, no loop).
        @inline(__always) func emit(_ g: Int) {
            if g == bestStart {
                out[n] = 0x3A; out[n &+ 1] = 0x3A
                n &+= 2
                return
            }
            if g > bestStart && g < bestEnd { return }  // inside the "::"
            if g != 0 && g != bestEnd { out[n] = 0x3A; n &+= 1 }
            let v = UInt32(truncatingIfNeeded: group(g))
            let nibbles = v == 0 ? 1 : (35 &- v.leadingZeroBitCount) >> 2  // 1…4 digits
            // Nibble 3 (the most significant) in byte 0 … nibble 0 in byte 3.
            let spread = (v >> 12) & 0xF | (v >> 8 & 0xF) << 8 | (v >> 4 & 0xF) << 16 | (v & 0xF) << 24
            // '0' + d, and 39 more ('a' - '9' - 1) where d > 9.
            let letters = ((spread &+ 0x0606_0606) >> 4) & 0x0101_0101
            let text = spread &+ 0x3030_3030 &+ letters &* 39
            UnsafeMutableRawPointer(out + n).storeBytes(of: (text >> UInt32(32 &- 8 &* nibbles)).littleEndian,
                                                       as: UInt32.self)
            n &+= nibbles
        }
        emit(0); emit(1); emit(2); emit(3); emit(4); emit(5); emit(6); emit(7)
        return n
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; returns the address and its version.
    public static func parse(_ text: Substring) -> (address: IPAddress, version: UInt8)? {
        if !text.contains(":") {
            guard let v = parseV4(text) else { return nil }
            return (IPAddress(v4: v), 4)
        }
        return parseV6(text).map { ($0, 6) }
    }

    public static func parse(_ text: String) -> (address: IPAddress, version: UInt8)? {
        parse(text[...])
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    static func parseV6(_ text: Substring) -> IPAddress? {
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var sawDouble = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ s: String, into out: inout [UInt16]) -> Bool {
            if s.isEmpty { return true }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1 && p.contains(".") {
                    guard let v4 = parseV4(p) else { return false }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard !p.isEmpty, p.count <= 4, let g = UInt16(p, radix: 16) else { return false }
                    out.append(g)
                }
            }
            return true
        }
        guard parseGroups(halves[0], into: &groups) else { return nil }
        if halves.count == 2 {
            sawDouble = true
            guard parseGroups(halves[1], into: &tail) else { return nil }
        }
        let total = groups.count + tail.count
        if sawDouble {
            guard total <= 7 else { return nil }
            groups += [UInt16](repeating: 0, count: 8 - total) + tail
        } else {
            guard total == 8 else { return nil }
        }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(groups[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(groups[i]) }
        return IPAddress(high: hi, low: lo)
    }
}

extension String {
    fileprivate func components(separatedBy sep: String) -> [String] {
        var out: [String] = []
        var rest = self[...]
        while let r = rest.firstRange(of: sep) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}

extension Substring {
    fileprivate func components(separatedBy sep: String) -> [String] {
        String(self).components(separatedBy: sep)
    }
}
