// Frame layouts for TrafficSynth: each function writes headers in network byte order at
// `p + o` into the generator's chunk buffer, which always has room for a whole record
// (Generator.maxRecord is reserved before every packet).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func put8(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt8) {
    p.storeBytes(of: v, toByteOffset: o, as: UInt8.self)
}
@inline(__always) func put16(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt16) {
    p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt16.self)
}
@inline(__always) func put32(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt32.self)
}
@inline(__always) func put64(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt64) {
    p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt64.self)
}
@inline(__always) func putMAC(_ p: UnsafeMutableRawPointer, _ o: Int, _ mac: UInt64) {
    put16(p, o, UInt16(truncatingIfNeeded: mac >> 32))
    put32(p, o + 2, UInt32(truncatingIfNeeded: mac))
}

/// One's-complement sum of `n` bytes (big-endian 16-bit words, odd tail padded with zero).
@inline(__always) func sum16(_ p: UnsafeMutableRawPointer, _ o: Int, _ n: Int) -> UInt64 {
    var s: UInt64 = 0
    var i = 0
    while i + 1 < n {
        s &+= UInt64(p.load(fromByteOffset: o + i, as: UInt8.self)) << 8
            | UInt64(p.load(fromByteOffset: o + i + 1, as: UInt8.self))
        i += 2
    }
    if i < n { s &+= UInt64(p.load(fromByteOffset: o + i, as: UInt8.self)) << 8 }
    return s
}

@inline(__always) func fold(_ sum: UInt64) -> UInt16 {
    var s = sum
    while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
    return ~UInt16(truncatingIfNeeded: s)
}

@inline(__always) func words(_ v: UInt64) -> UInt64 {
    (v >> 48) &+ ((v >> 32) & 0xFFFF) &+ ((v >> 16) & 0xFFFF) &+ (v & 0xFFFF)
}

/// Source and destination of one packet.
struct Ends {
    var v6: Bool
    var srcHi: UInt64, srcLo: UInt64
    var dstHi: UInt64, dstLo: UInt64
    var srcPort: UInt16, dstPort: UInt16

    var reversed: Ends {
        Ends(v6: v6, srcHi: dstHi, srcLo: dstLo, dstHi: srcHi, dstLo: srcLo, srcPort: dstPort, dstPort: srcPort)
    }

    /// Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 793 / RFC 8200 §8.1).
    @inline(__always) func pseudo(_ proto: UInt8, _ length: Int) -> UInt64 {
        if v6 {
            return words(srcHi) &+ words(srcLo) &+ words(dstHi) &+ words(dstLo) &+ UInt64(length) &+ UInt64(proto)
        }
        return words(srcLo & 0xFFFF_FFFF) &+ words(dstLo & 0xFFFF_FFFF) &+ UInt64(length) &+ UInt64(proto)
    }
}

/// Writes an IPv4 (20-byte) or IPv6 (40-byte) header; returns its length.
@inline(__always)
func writeIP(_ p: UnsafeMutableRawPointer, _ o: Int, _ e: Ends, proto: UInt8, payload: Int, id: UInt16, ttl: UInt8) -> Int {
    if e.v6 {
        put32(p, o, 0x6000_0000)
        put16(p, o + 4, UInt16(payload))
        put8(p, o + 6, proto)
        put8(p, o + 7, ttl)
        put64(p, o + 8, e.srcHi)
        put64(p, o + 16, e.srcLo)
        put64(p, o + 24, e.dstHi)
        put64(p, o + 32, e.dstLo)
        return 40
    }
    put8(p, o, 0x45)
    put8(p, o + 1, 0)
    put16(p, o + 2, UInt16(20 + payload))
    put16(p, o + 4, id)
    put16(p, o + 6, 0x4000)   // DF
    put8(p, o + 8, ttl)
    put8(p, o + 9, proto)
    put16(p, o + 10, 0)
    put32(p, o + 12, UInt32(truncatingIfNeeded: e.srcLo))
    put32(p, o + 16, UInt32(truncatingIfNeeded: e.dstLo))
    put16(p, o + 10, fold(sum16(p, o, 20)))
    return 20
}

enum TCPOptions { case none, syn, timestamps }

/// IP + TCP headers for a segment with `payload` zero bytes; returns (IP packet length, header bytes).
@inline(__always)
func writeTCP(
    _ p: UnsafeMutableRawPointer, _ o: Int, _ e: Ends, seq: UInt32, ack: UInt32, flags: UInt16,
    options: TCPOptions, payload: Int, id: UInt16, ttl: UInt8, tsval: UInt32
) -> (Int, Int) {
    let optLen = switch options { case .none: 0; case .syn: 20; case .timestamps: 12 }
    let tcpLen = 20 + optLen
    let ipLen = writeIP(p, o, e, proto: 6, payload: tcpLen + payload, id: id, ttl: ttl)
    let t = o + ipLen
    put16(p, t, e.srcPort)
    put16(p, t + 2, e.dstPort)
    put32(p, t + 4, seq)
    put32(p, t + 8, ack)
    put16(p, t + 12, UInt16(tcpLen / 4) << 12 | flags)
    put16(p, t + 14, 64_240)
    put16(p, t + 16, 0)
    put16(p, t + 18, 0)
    switch options {
    case .none: break
    case .syn:
        // MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (Linux's SYN layout).
        put32(p, t + 20, 0x0204_05B4)
        put16(p, t + 24, 0x0402)
        put16(p, t + 26, 0x080A)
        put32(p, t + 28, tsval)
        put32(p, t + 32, 0)
        put32(p, t + 36, 0x0103_0307)
    case .timestamps:
        put32(p, t + 20, 0x0101_080A)
        put32(p, t + 24, tsval)
        put32(p, t + 28, tsval &- 7)
    }
    put16(p, t + 16, fold(e.pseudo(6, tcpLen + payload) &+ sum16(p, t, tcpLen)))
    return (ipLen + tcpLen + payload, ipLen + tcpLen)
}

/// IP + UDP headers for a datagram with `payload` zero bytes; returns (IP packet length, header bytes).
@inline(__always)
func writeUDP(_ p: UnsafeMutableRawPointer, _ o: Int, _ e: Ends, payload: Int, id: UInt16, ttl: UInt8) -> (Int, Int) {
    let ipLen = writeIP(p, o, e, proto: 17, payload: 8 + payload, id: id, ttl: ttl)
    let u = o + ipLen
    put16(p, u, e.srcPort)
    put16(p, u + 2, e.dstPort)
    put16(p, u + 4, UInt16(8 + payload))
    put16(p, u + 6, 0)
    var c = fold(e.pseudo(17, 8 + payload) &+ sum16(p, u, 8))
    if c == 0 { c = 0xFFFF }
    put16(p, u + 6, c)
    return (ipLen + 8 + payload, ipLen + 8)
}

/// IP + ICMP/ICMPv6 header (8 bytes) followed by `body` bytes already in place (a quote) or
/// zeros (`bodyIsZero`); returns (IP packet length, bytes written including the body).
@inline(__always)
func writeICMP(
    _ p: UnsafeMutableRawPointer, _ o: Int, _ e: Ends, type: UInt8, code: UInt8, rest: UInt32,
    body: Int, bodyIsZero: Bool, id: UInt16, ttl: UInt8
) -> (Int, Int) {
    let proto: UInt8 = e.v6 ? 58 : 1
    let ipLen = writeIP(p, o, e, proto: proto, payload: 8 + body, id: id, ttl: ttl)
    let m = o + ipLen
    put8(p, m, type)
    put8(p, m + 1, code)
    put16(p, m + 2, 0)
    put32(p, m + 4, rest)
    var s = sum16(p, m, bodyIsZero ? 8 : 8 + body)
    if e.v6 { s &+= e.pseudo(58, 8 + body) }
    put16(p, m + 2, fold(s))
    return (ipLen + 8 + body, bodyIsZero ? ipLen + 8 : ipLen + 8 + body)
}

extension Generator {
    /// Writes the Ethernet header (and 802.1Q tag) for a frame of the conversation; returns its length.
    @inline(__always)
    func writeEthernet(_ p: UnsafeMutableRawPointer, _ c: Conversation, fromClient: Bool, etherType: UInt16) -> Int {
        putMAC(p, 0, fromClient ? c.serverMAC : c.clientMAC)
        putMAC(p, 6, fromClient ? c.clientMAC : c.serverMAC)
        var o = 12
        if c.vlan != 0 {
            put16(p, o, 0x8100)
            put16(p, o + 2, c.vlan)
            o += 4
        }
        put16(p, o, etherType)
        return o + 2
    }

    @inline(__always) func ends(_ c: Conversation, fromClient: Bool) -> Ends {
        let e = Ends(v6: c.v6, srcHi: c.clientHi, srcLo: c.clientLo, dstHi: c.serverHi, dstLo: c.serverLo,
                     srcPort: c.clientPort, dstPort: c.serverPort)
        return fromClient ? e : e.reversed
    }

    /// IMIX data payload for a TCP segment with `headers` bytes of headers (frame sizes 64, 594
    /// and 1518 with FCS, 7:4:1).
    @inline(__always) mutating func imixPayload(headers: Int) -> Int {
        let r = rng.below(12)
        let frame = r < 7 ? 60 : (r < 11 ? 590 : 1514)
        return max(0, frame - headers)
    }

    mutating func emitPacket(_ c: inout Conversation) {
        let p = frameStart
        let k = Int(c.k)
        let last = Int(c.length) - 1
        let ttl: UInt8 = c.v6 ? 64 : 64
        c.k &+= 1
        c.ipID &+= 1
        let tsval = UInt32(truncatingIfNeeded: clock / 1_000_000)
        let ethertype: UInt16 = c.v6 ? 0x86DD : 0x0800
        if c.v6 { stats.ipv6Packets += 1 }
        if c.vlan != 0 { stats.vlanPackets += 1 }

        switch c.behaviour {
        case .tcpSession:
            let tcpHeader = 32
            if k == 0 {
                let l2 = writeEthernet(p, c, fromClient: true, etherType: ethertype)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: true), seq: c.clientSeq, ack: 0, flags: 0x002,
                                      options: .syn, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                c.clientSeq &+= 1
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else if k == 1 {
                let l2 = writeEthernet(p, c, fromClient: false, etherType: ethertype)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: false), seq: c.serverSeq, ack: c.clientSeq, flags: 0x012,
                                      options: .syn, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                c.serverSeq &+= 1
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else if k == 2 || k == last {
                let l2 = writeEthernet(p, c, fromClient: true, etherType: ethertype)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: true), seq: c.clientSeq, ack: c.serverSeq, flags: 0x010,
                                      options: .timestamps, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else if k == last - 2 || k == last - 1 {
                let fromClient = k == last - 2
                let l2 = writeEthernet(p, c, fromClient: fromClient, etherType: ethertype)
                let (seq, ack) = fromClient ? (c.clientSeq, c.serverSeq) : (c.serverSeq, c.clientSeq)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: fromClient), seq: seq, ack: ack, flags: 0x011,
                                      options: .timestamps, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                if fromClient { c.clientSeq &+= 1 } else { c.serverSeq &+= 1 }
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else {
                // Data: the first segment is the client's request, then mostly the server's answer.
                let fromClient = k == 3 || rng.below(100) < 35
                let l2 = writeEthernet(p, c, fromClient: fromClient, etherType: ethertype)
                let payload = imixPayload(headers: l2 + (c.v6 ? 40 : 20) + tcpHeader)
                let (seq, ack) = fromClient ? (c.clientSeq, c.serverSeq) : (c.serverSeq, c.clientSeq)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: fromClient), seq: seq, ack: ack,
                                      flags: payload > 0 ? 0x018 : 0x010, options: .timestamps, payload: payload,
                                      id: c.ipID, ttl: ttl, tsval: tsval)
                if fromClient { c.clientSeq &+= UInt32(payload) } else { c.serverSeq &+= UInt32(payload) }
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            }

        case .udpExchange, .udpDrop:
            let fromClient = c.behaviour == .udpDrop || k % 2 == 0
            let l2 = writeEthernet(p, c, fromClient: fromClient, etherType: ethertype)
            let payload = fromClient ? 32 + rng.below(32) : 80 + rng.below(400)
            let (n, h) = writeUDP(p, l2, ends(c, fromClient: fromClient), payload: payload, id: c.ipID, ttl: ttl)
            finishRecord(length: l2 + n, headerEnd: l2 + h)

        case .tcpDrop:
            let l2 = writeEthernet(p, c, fromClient: true, etherType: ethertype)
            let (n, h) = writeTCP(p, l2, ends(c, fromClient: true), seq: c.clientSeq, ack: 0, flags: 0x002,
                                  options: .syn, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
            finishRecord(length: l2 + n, headerEnd: l2 + h)

        case .tcpReset:
            if k == 0 {
                let l2 = writeEthernet(p, c, fromClient: true, etherType: ethertype)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: true), seq: c.clientSeq, ack: 0, flags: 0x002,
                                      options: .syn, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else {
                let l2 = writeEthernet(p, c, fromClient: false, etherType: ethertype)
                let (n, h) = writeTCP(p, l2, ends(c, fromClient: false), seq: 0, ack: c.clientSeq &+ 1, flags: 0x014,
                                      options: .none, payload: 0, id: 0, ttl: ttl, tsval: tsval)
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            }

        case .udpICMP, .tcpICMP:
            let isTCP = c.behaviour == .tcpICMP
            if k % 2 == 0 {
                let l2 = writeEthernet(p, c, fromClient: true, etherType: ethertype)
                let (n, h) = isTCP
                    ? writeTCP(p, l2, ends(c, fromClient: true), seq: c.clientSeq, ack: 0, flags: 0x002,
                               options: .syn, payload: 0, id: c.ipID, ttl: ttl, tsval: tsval)
                    : writeUDP(p, l2, ends(c, fromClient: true), payload: 48, id: c.ipID, ttl: ttl)
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            } else {
                // The error comes from the server (UDP, port unreachable) or from the firewall
                // (TCP, administratively prohibited) and quotes the refused packet whole.
                let l2 = writeEthernet(p, c, fromClient: false, etherType: ethertype)
                var e = ends(c, fromClient: false)
                if isTCP {
                    if c.v6 { (e.srcHi, e.srcLo) = SynthTopology.v6(.firewall, 0) } else {
                        e.srcLo = UInt64(SynthTopology.v4(.firewall, 0))
                    }
                }
                let ipHeader = c.v6 ? 40 : 20
                let quoteAt = l2 + ipHeader + 8
                let (q, qh) = isTCP
                    ? writeTCP(p, quoteAt, ends(c, fromClient: true), seq: c.clientSeq, ack: 0, flags: 0x002,
                               options: .syn, payload: 0, id: c.ipID &- 1, ttl: ttl - 1, tsval: tsval)
                    : writeUDP(p, quoteAt, ends(c, fromClient: true), payload: 48, id: c.ipID &- 1, ttl: ttl - 1)
                memset(p + quoteAt + qh, 0, q - qh)
                let (type, code): (UInt8, UInt8) = c.v6 ? (1, isTCP ? 1 : 4) : (3, isTCP ? 13 : 3)
                let (n, h) = writeICMP(p, l2, e, type: type, code: code, rest: 0, body: q, bodyIsZero: false,
                                       id: c.ipID, ttl: 255)
                stats.icmpErrors += 1
                finishRecord(length: l2 + n, headerEnd: l2 + h)
            }

        case .icmpEcho:
            let fromClient = k % 2 == 0
            let l2 = writeEthernet(p, c, fromClient: fromClient, etherType: ethertype)
            let type: UInt8 = c.v6 ? (fromClient ? 128 : 129) : (fromClient ? 8 : 0)
            let rest = UInt32(c.echoID) << 16 | UInt32(k / 2 + 1)
            let (n, h) = writeICMP(p, l2, ends(c, fromClient: fromClient), type: type, code: 0, rest: rest,
                                   body: 56, bodyIsZero: true, id: c.ipID, ttl: ttl)
            finishRecord(length: l2 + n, headerEnd: l2 + h)

        case .arp:
            let request = k == 0
            let l2: Int
            if request {
                putMAC(p, 0, 0xFFFF_FFFF_FFFF)
                putMAC(p, 6, c.clientMAC)
                var o = 12
                if c.vlan != 0 { put16(p, o, 0x8100); put16(p, o + 2, c.vlan); o += 4 }
                put16(p, o, 0x0806)
                l2 = o + 2
            } else {
                l2 = writeEthernet(p, c, fromClient: false, etherType: 0x0806)
            }
            put16(p, l2, 1)          // Ethernet
            put16(p, l2 + 2, 0x0800) // IPv4
            put8(p, l2 + 4, 6)
            put8(p, l2 + 5, 4)
            put16(p, l2 + 6, request ? 1 : 2)
            let (shaMAC, spa, thaMAC, tpa) = request
                ? (c.clientMAC, c.clientLo, UInt64(0), c.serverLo)
                : (c.serverMAC, c.serverLo, c.clientMAC, c.clientLo)
            putMAC(p, l2 + 8, shaMAC)
            put32(p, l2 + 14, UInt32(truncatingIfNeeded: spa))
            putMAC(p, l2 + 18, thaMAC)
            put32(p, l2 + 24, UInt32(truncatingIfNeeded: tpa))
            stats.arpPackets += 1
            finishRecord(length: l2 + 28, headerEnd: l2 + 28)
        }
    }
}
