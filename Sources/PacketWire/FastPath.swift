/// The common frame in one pass: Ethernet, at most one 802.1Q tag, IPv4 (unfragmented, options
/// allowed) or IPv6 (no extension headers), then a whole TCP or UDP header that leads to no tunnel.
/// Bounds: one check on the frame's length up front covers Ethernet, the tag and a 20-byte IPv4
/// header or the first 40 bytes after Ethernet; IP options, the IPv6 header and the transport
/// header are each checked against the datagram before they are read.
///
/// It fills the summary exactly as the layered decoder would, or returns false having written
/// nothing, and the layered decoder runs instead: anything else (other link types, stacked tags,
/// fragments, extension headers, ICMP, tunnel ports, a length of 0, any truncation or bad field)
/// goes the layered way, which knows every quirk. `FastPathTests` decodes the corpus and mutated
/// frames both ways and compares whole summaries.
@usableFromInline enum FastPath {
    /// Ethernet + 20-byte IPv4 header, the least a fast frame can be (the transport is checked
    /// against the datagram later).
    @inlinable static var minFrame: Int { Ethernet.headerLength + IPv4.minHeaderLength }

    /// Fills `s` from a frame `parse` takes (`FastFrame.store`), or returns false having written nothing.
    @inlinable @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, vxlanPorts: PortSet, into s: inout PacketSummary,
                       complete: Bool = true) -> Bool {
        guard let f = parse(b), !f.isVXLAN(vxlanPorts) else { return false }
        f.store(into: &s, complete: complete)
        return true
    }

    /// The frame's fields if the fast path takes it, else nil (having read nothing that matters).
    /// The caller then checks `FastFrame.isVXLAN` (the port set is read only for UDP that way).
    @inlinable @inline(__always)
    static func parse(_ b: UnsafeRawBufferPointer) -> FastFrame? {
        let count = b.count
        guard count >= minFrame + VLANTag.headerLength else { return nil }
        // First every check, keeping only offsets and lengths; then the fields.
        // checked: minFrame + 4 bytes at 0 (every load of the link layer and the first 20 bytes
        // after it, with or without the tag)
        var type = b.be16(Ethernet.etherType)
        var ip = Ethernet.headerLength
        var vlanCount: UInt8 = 0
        if type == 0x8100 {
            type = b.be16(ip + VLANTag.etherType)
            ip &+= VLANTag.headerLength  // 14 + 4: no overflow
            vlanCount = 1
        }
        let v4: Bool
        let proto: UInt8
        let ipPayload: UInt32
        let at: Int           // transport header
        let datagramEnd: Int
        if type == 0x0800 {
            // checked: IPv4.minHeaderLength bytes at ip (by the frame check above)
            let vihl = b.u8(ip + IPv4.versionIHL)
            guard vihl >> 4 == 4 else { return nil }
            let hlen = Int(vihl & 0x0F) &* 4
            let total = Int(b.be16(ip + IPv4.totalLength))
            let frag = b.be16(ip + IPv4.flagsFragment)
            // Fragments, TSO's total length 0, bad lengths and cut options take the layered way.
            guard hlen >= IPv4.minHeaderLength, total >= hlen, frag & 0x3FFF == 0, hlen <= count &- ip else {
                return nil
            }
            v4 = true
            proto = b.u8(ip + IPv4.proto)
            ipPayload = UInt32(truncatingIfNeeded: total &- hlen)  // total ≥ hlen
            at = ip &+ hlen
            datagramEnd = ip &+ total  // < 2^17 + frame length
        } else if type == 0x86DD {
            guard count &- ip >= IPv6.headerLength else { return nil }
            // checked: IPv6.headerLength bytes at ip
            guard b.u8(ip) >> 4 == 6 else { return nil }
            let stated = Int(b.be16(ip + IPv6.payloadLength))
            proto = b.u8(ip + IPv6.nextHeader)
            // Jumbograms / offload (length 0) and extension headers take the layered way.
            guard stated != 0, !IPv6.isExtension(proto) else { return nil }
            v4 = false
            ipPayload = UInt32(truncatingIfNeeded: stated)
            at = ip &+ IPv6.headerLength
            datagramEnd = at &+ stated  // < 2^16 + frame length
        } else {
            return nil
        }
        let available = min(count, datagramEnd) &- at  // ≥ 0: the datagram holds its own header
        let isTCP = proto == 6
        var tcpFlags: UInt16 = 0
        var tcpSeq: UInt32 = 0, tcpAck: UInt32 = 0, tcpWindow: UInt16 = 0
        let transportPayload: Int
        if isTCP {
            guard available >= TCP.minHeaderLength else { return nil }
            // checked: TCP.minHeaderLength bytes at `at`
            let field = b.be16(at + TCP.offsetFlags)
            let thlen = Int(field >> 12) &* 4
            guard thlen >= TCP.minHeaderLength, available >= thlen else { return nil }
            tcpFlags = field & 0x0FFF
            tcpSeq = b.be32(at + TCP.sequence)
            tcpAck = b.be32(at + TCP.acknowledgement)
            tcpWindow = b.be16(at + TCP.window)
            transportPayload = max(0, datagramEnd &- at &- thlen)
        } else if proto == 17 {
            guard available >= UDP.headerLength else { return nil }
            // checked: UDP.headerLength bytes at `at`
            let src = b.be16(at + UDP.sourcePort), dst = b.be16(at + UDP.destinationPort)
            // Any port that may start a tunnel (or Teredo) takes the layered way.
            guard !isTunnelPort(src), !isTunnelPort(dst) else { return nil }
            let stated = Int(b.be16(at + UDP.length))
            transportPayload = stated >= UDP.headerLength
                ? stated &- UDP.headerLength : max(0, datagramEnd &- at &- UDP.headerLength)
        } else {
            return nil
        }

        let source: IPAddress, destination: IPAddress, ttl: UInt8
        // checked: the IPv4 / IPv6 header at ip, above
        if v4 {
            source = IPAddress(v4: b.be32(ip + IPv4.source))
            destination = IPAddress(v4: b.be32(ip + IPv4.destination))
            ttl = b.u8(ip + IPv4.ttl)
        } else {
            source = IPAddress(high: b.be64(ip + IPv6.source), low: b.be64(ip + IPv6.source + 8))
            destination = IPAddress(high: b.be64(ip + IPv6.destination), low: b.be64(ip + IPv6.destination + 8))
            ttl = b.u8(ip + IPv6.hopLimit)
        }
        return FastFrame(
            etherType: type, vlanCount: vlanCount,
            // checked: the tag's TCI lies inside the frame check
            vlan: vlanCount != 0 ? b.be16(Ethernet.headerLength + VLANTag.tci) & 0x0FFF : 0,
            version: v4 ? 4 : 6, proto: proto, ipOffset: ip, ttl: ttl, source: source, destination: destination,
            ipPayloadLength: ipPayload,
            // checked: 8 (UDP) or 20 (TCP) bytes at `at`, above
            sourcePort: b.be16(at + TransportPorts.sourcePort),
            destinationPort: b.be16(at + TransportPorts.destinationPort),
            tcpFlags: tcpFlags, transportPayloadLength: UInt32(truncatingIfNeeded: transportPayload),
            tcpSeq: tcpSeq, tcpAck: tcpAck, tcpWindow: tcpWindow)
    }

    /// UDP ports the layered decoder treats as tunnels on either side (`UDP.decode`).
    @inlinable @inline(__always)
    static func isTunnelPort(_ p: UInt16) -> Bool {
        p == UDP.genevePort || p == UDP.mplsPort || p == UDP.gtpUserPort || p == UDP.vxlanGPEPort
            || p == UDP.teredoPort
    }
}

/// What the fast path read of a frame it takes: every check done, every field the summary gets
/// from it. `PacketDecoder.fastFrame` hands it out for callers (the flow analyzer) that want the
/// fields in registers rather than in a `PacketSummary`.
public struct FastFrame: Sendable {
    public var etherType: UInt16
    /// 0 or 1 (one 802.1Q tag), and its VLAN id.
    public var vlanCount: UInt8
    public var vlan: UInt16
    /// 4 or 6.
    public var version: UInt8
    public var proto: UInt8
    /// Offset of the IP header in the frame.
    public var ipOffset: Int
    public var ttl: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var ipPayloadLength: UInt32
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// 12 bits, 0 for UDP.
    public var tcpFlags: UInt16
    public var transportPayloadLength: UInt32
    /// TCP sequence and acknowledgement numbers and window (0 for UDP).
    public var tcpSeq: UInt32
    public var tcpAck: UInt32
    public var tcpWindow: UInt16

    @inlinable public var isTCP: Bool { proto == 6 }

    /// UDP to one of the decoder's VXLAN ports: a tunnel, for the layered decoder.
    @inlinable @inline(__always)
    func isVXLAN(_ ports: PortSet) -> Bool { proto == 17 && ports.contains(destinationPort) }

    /// Writes the frame into `s` as the layered decoder would. `complete: false` writes only the
    /// fields the flow analyzer reads (listed at `PacketDecoder.decodeForFlows`) and leaves the
    /// rest of `s` as it was: no reset of the 272-byte summary, no copy to `inner`.
    @inlinable @inline(__always)
    public func store(into s: inout PacketSummary, complete: Bool) {
        // With nothing left that can fail, one straight run of stores into `s`, one store each.
        if complete {
            s = PacketSummary()
            s.etherType = EtherType(etherType)
            s.outer.offset = UInt32(truncatingIfNeeded: ipOffset)
            s.outer.ttl = ttl
            s.outer.ipPayloadLength = ipPayloadLength
        }
        // The fields the flow analyzer reads.
        s.vlanCount = vlanCount
        if vlanCount != 0 { s.vlans.0 = vlan }
        s.tunnelDepth = 0
        s.outer.version = version
        s.outer.source = source
        s.outer.destination = destination
        s.outer.proto = IPProtocol(proto)
        s.outer.sourcePort = sourcePort
        s.outer.destinationPort = destinationPort
        s.outer.hasPorts = true
        s.outer.hasTCPFlags = isTCP
        s.outer.tcpFlags = tcpFlags
        s.outer.tcpSeq = tcpSeq
        s.outer.tcpAck = tcpAck
        s.outer.tcpWindow = tcpWindow
        s.outer.hasICMP = false
        s.outer.transportPayloadLength = transportPayloadLength
        if complete { s.inner = s.outer }  // one IP header: `inner` is `outer`
    }

    @inlinable init(etherType: UInt16, vlanCount: UInt8, vlan: UInt16, version: UInt8, proto: UInt8, ipOffset: Int,
                    ttl: UInt8, source: IPAddress, destination: IPAddress, ipPayloadLength: UInt32,
                    sourcePort: UInt16, destinationPort: UInt16, tcpFlags: UInt16, transportPayloadLength: UInt32,
                    tcpSeq: UInt32 = 0, tcpAck: UInt32 = 0, tcpWindow: UInt16 = 0) {
        self.tcpSeq = tcpSeq
        self.tcpAck = tcpAck
        self.tcpWindow = tcpWindow
        self.etherType = etherType
        self.vlanCount = vlanCount
        self.vlan = vlan
        self.version = version
        self.proto = proto
        self.ipOffset = ipOffset
        self.ttl = ttl
        self.source = source
        self.destination = destination
        self.ipPayloadLength = ipPayloadLength
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tcpFlags = tcpFlags
        self.transportPayloadLength = transportPayloadLength
    }
}
