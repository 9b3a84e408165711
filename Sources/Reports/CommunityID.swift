import FlowAnalysis
import PacketWire

/// Community ID v1 (the flow hash Zeek, Suricata and Arkime print, so flows join with their logs):
/// `1:` + base64(SHA-1(seed (2 bytes, big-endian) · source address · destination address ·
/// protocol · 0 · source port · destination port)), the endpoints ordered so that the smaller
/// address comes first (the smaller port when the addresses are equal). Ports only for TCP, UDP,
/// SCTP, ICMP and ICMPv6; ICMP puts the message type and its counterpart type (echo ↔ echo reply,
/// …) in the ports and is never reordered when the type has no counterpart (one-way), as the spec
/// and Zeek do. Computed only by the formats that print it (JSON, JSON Lines, CSV), once per flow
/// written.
public enum CommunityID {
    /// The ICMP types with a counterpart (request ↔ reply), per the spec.
    static func icmpCounterpart(_ type: UInt8, v6: Bool) -> UInt8? {
        if v6 {
            switch type {
            case 128: return 129
            case 129: return 128
            case 130: return 131
            case 131: return 130
            case 133: return 134
            case 134: return 133
            case 135: return 136
            case 136: return 135
            case 139: return 140
            case 140: return 139
            case 144: return 145
            case 145: return 144
            default: return nil
            }
        }
        switch type {
        case 8: return 0
        case 0: return 8
        case 13: return 14
        case 14: return 13
        case 15: return 16
        case 16: return 15
        case 10: return 9
        case 9: return 10
        case 17: return 18
        case 18: return 17
        default: return nil
        }
    }

    /// The hash of one flow seen from `source` to `destination`. For ICMP (1, 58) `sourcePort` is
    /// the message type and `destinationPort` its code.
    public static func hash(proto: UInt8, version: UInt8, source: IPAddress, destination: IPAddress,
                            sourcePort: UInt16, destinationPort: UInt16, seed: UInt16 = 0) -> String {
        withDigest(proto: proto, version: version, source: source, destination: destination, sourcePort: sourcePort,
                   destinationPort: destinationPort, seed: seed) { base64(prefix: "1:", $0) }
    }

    /// `1:` and the base64 of the flow's hash, written into `out` (no String).
    static func append(_ f: FlowFacts, to out: ByteBuffer) {
        withDigest(proto: f.proto.rawValue, version: f.ipVersion, source: f.client, destination: f.server,
                   sourcePort: f.clientPort, destinationPort: f.serverPort, seed: 0) { d in
            // 2 + 28 bytes for a 20-byte digest.
            let p = out.reserve(2 + (d.count + 2) / 3 * 4)
            p[0] = 0x31
            p[1] = 0x3A
            out.storage.count &+= 2 + base64(d, into: p + 2)
        }
    }

    /// Calls `body` with the SHA-1 digest of the flow's packed tuple (both on the stack).
    @inline(__always)
    static func withDigest<R>(proto: UInt8, version: UInt8, source: IPAddress, destination: IPAddress,
                              sourcePort: UInt16, destinationPort: UInt16, seed: UInt16,
                              _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var sport = sourcePort, dport = destinationPort
        var oneWay = false
        let hasPorts: Bool
        switch proto {
        case 1, 58:
            hasPorts = true
            if let other = icmpCounterpart(UInt8(truncatingIfNeeded: sport), v6: proto == 58) {
                dport = UInt16(other)
            } else {
                oneWay = true
            }
        case 6, 17, 132: hasPorts = true
        default: hasPorts = false
        }
        let ordered = oneWay || less(source, destination, version)
            || (source == destination && hasPorts && sport < dport)
        let (first, second) = ordered ? (source, destination) : (destination, source)
        if !ordered { swap(&sport, &dport) }
        // seed 2 · addresses 2 × 4 or 16 · proto · pad · ports 4: at most 40 bytes, on the stack.
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw -> R in
            var n = 0
            func put(_ b: UInt8) { raw[n] = b; n += 1 }
            put(UInt8(seed >> 8)); put(UInt8(seed & 0xFF))
            func address(_ a: IPAddress) {
                if version == 4 {
                    let v = a.v4Value
                    put(UInt8(v >> 24)); put(UInt8((v >> 16) & 0xFF)); put(UInt8((v >> 8) & 0xFF)); put(UInt8(v & 0xFF))
                } else {
                    for i in stride(from: 56, through: 0, by: -8) { put(UInt8((a.high >> UInt64(i)) & 0xFF)) }
                    for i in stride(from: 56, through: 0, by: -8) { put(UInt8((a.low >> UInt64(i)) & 0xFF)) }
                }
            }
            address(first)
            address(second)
            put(proto); put(0)
            if hasPorts {
                put(UInt8(sport >> 8)); put(UInt8(sport & 0xFF)); put(UInt8(dport >> 8)); put(UInt8(dport & 0xFF))
            }
            return sha1(UnsafeRawBufferPointer(rebasing: raw[0..<n]), body)
        }
    }

    /// SHA-1 (FIPS 180-4 §6.1) of a message of at most 55 bytes — one padded block, which every
    /// Community ID input is (≤ 40 bytes) —, the digest on the stack. Written here rather than
    /// through swift-crypto, which the tests keep as the oracle (`CommunityIDTests`):
    /// `Insecure.SHA1` allocates a context object for every hasher (one allocation per flow
    /// written, which issue 12 rules out) and its wrapper cost ≈ 1,400 instructions a flow over the
    /// ≈ 900 of the compression itself; the one-shot function under it is not a product of the
    /// package.
    @inline(__always)
    static func sha1<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(message.count <= 55, "one SHA-1 block holds at most 55 message bytes")
        // The padded block: the message, 0x80, zeros, the length in bits (big-endian) at 56.
        var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &block) { b in
            if message.count > 0 { UnsafeMutableRawBufferPointer(rebasing: b[0..<message.count]).copyMemory(from: message) }
            b[message.count] = 0x80
            b.storeBytes(of: (UInt64(message.count) &* 8).bigEndian, toByteOffset: 56, as: UInt64.self)
        }
        var h0: UInt32 = 0x6745_2301, h1: UInt32 = 0xEFCD_AB89, h2: UInt32 = 0x98BA_DCFE
        var h3: UInt32 = 0x1032_5476, h4: UInt32 = 0xC3D2_E1F0
        // Masking shifts (&<<, &>>): Swift's << and >> check for shifts of 32 or more.
        @inline(__always) func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x &<< n | x &>> (32 &- n) }
        // The 80-word schedule on the stack (320 bytes), then the four kinds of 20 rounds.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            withUnsafeBytes(of: &block) { b in
                for i in 0..<16 { w[i] = UInt32(bigEndian: b.load(fromByteOffset: i &* 4, as: UInt32.self)) }
            }
            for t in 16..<80 { w[t] = rotl(w[t &- 3] ^ w[t &- 8] ^ w[t &- 14] ^ w[t &- 16], 1) }
            var a = h0, b = h1, c = h2, d = h3, e = h4
            @inline(__always) func round(_ f: UInt32, _ k: UInt32, _ t: Int) {
                let temp = rotl(a, 5) &+ f &+ e &+ k &+ w[t]
                e = d; d = c; c = rotl(b, 30); b = a; a = temp
            }
            for t in 0..<20 { round((b & c) | (~b & d), 0x5A82_7999, t) }
            for t in 20..<40 { round(b ^ c ^ d, 0x6ED9_EBA1, t) }
            for t in 40..<60 { round((b & c) | (b & d) | (c & d), 0x8F1B_BCDC, t) }
            for t in 60..<80 { round(b ^ c ^ d, 0xCA62_C1D6, t) }
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
        }
        var digest: (UInt32, UInt32, UInt32, UInt32, UInt32) =
            (h0.bigEndian, h1.bigEndian, h2.bigEndian, h3.bigEndian, h4.bigEndian)
        return withUnsafeBytes(of: &digest) { body($0) }
    }

    /// Network byte order comparison of two addresses of one version.
    static func less(_ a: IPAddress, _ b: IPAddress, _ version: UInt8) -> Bool {
        version == 4 ? a.v4Value < b.v4Value : (a.high, a.low) < (b.high, b.low)
    }

    /// A flow record's Community ID, client to server (the order does not change the hash).
    public static func of(_ f: FlowRecord) -> String {
        hash(proto: f.proto.rawValue, version: f.ipVersion, source: f.client, destination: f.server,
             sourcePort: f.clientPort, destinationPort: f.serverPort)
    }

    /// The base64 digit of `v` (its low 6 bits), from a literal table (no global array: no
    /// lazy-initialisation check or bounds check on each of the 28 digits).
    @inline(__always) static func digit(_ v: UInt32) -> UInt8 {
        let table: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        return table.utf8Start[Int(v & 63)]
    }

    /// `prefix` (ASCII) and standard base64 of `d` with padding (RFC 4648 §4), in one string.
    static func base64(prefix: StaticString, _ d: UnsafeRawBufferPointer) -> String {
        let length = prefix.utf8CodeUnitCount + (d.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: length) { out in
            let p = out.baseAddress!  // capacity ≥ length > 0
            p.update(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            return prefix.utf8CodeUnitCount + base64(d, into: p + prefix.utf8CodeUnitCount)
        }
    }

    /// Standard base64 of `d` with padding into `out` (room for (d.count + 2) / 3 × 4 bytes); the
    /// number of bytes written.
    @inline(__always) static func base64(_ d: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var o = 0
        var i = 0
        while i + 3 <= d.count {
            let n = UInt32(d[i]) << 16 | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2])
            out[o] = digit(n >> 18)
            out[o + 1] = digit(n >> 12)
            out[o + 2] = digit(n >> 6)
            out[o + 3] = digit(n)
            o += 4
            i += 3
        }
        let rest = d.count - i
        if rest > 0 {
            let n = UInt32(d[i]) << 16 | (rest == 2 ? UInt32(d[i + 1]) << 8 : 0)
            out[o] = digit(n >> 18)
            out[o + 1] = digit(n >> 12)
            out[o + 2] = rest == 2 ? digit(n >> 6) : UInt8(ascii: "=")
            out[o + 3] = UInt8(ascii: "=")
            o += 4
        }
        return o
    }
}
