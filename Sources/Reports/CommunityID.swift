import Crypto
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
            var sha = Insecure.SHA1()
            sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            return sha.finalize().withUnsafeBytes(body)
        }
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
