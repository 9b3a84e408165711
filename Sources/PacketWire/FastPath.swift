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

    /// `complete: false` (`PacketDecoder.decodeForFlows`) writes only the fields the flow analyzer
    /// reads and leaves the rest of `s` as it was: no reset of the 272-byte summary, no copy to `inner`.
    @inlinable @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, vxlanPorts: PortSet, into s: inout PacketSummary,
                       complete: Bool = true) -> Bool {
        let count = b.count
        guard count >= minFrame + VLANTag.headerLength else { return false }
        // First every check, keeping only offsets and lengths; then, with nothing left that can
        // fail, one straight run of stores into `s` (no temporaries, no field written twice).
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
            guard vihl >> 4 == 4 else { return false }
            let hlen = Int(vihl & 0x0F) &* 4
            let total = Int(b.be16(ip + IPv4.totalLength))
            let frag = b.be16(ip + IPv4.flagsFragment)
            // Fragments, TSO's total length 0, bad lengths and cut options take the layered way.
            guard hlen >= IPv4.minHeaderLength, total >= hlen, frag & 0x3FFF == 0, hlen <= count &- ip else {
                return false
            }
            v4 = true
            proto = b.u8(ip + IPv4.proto)
            ipPayload = UInt32(truncatingIfNeeded: total &- hlen)  // total ≥ hlen
            at = ip &+ hlen
            datagramEnd = ip &+ total  // < 2^17 + frame length
        } else if type == 0x86DD {
            guard count &- ip >= IPv6.headerLength else { return false }
            // checked: IPv6.headerLength bytes at ip
            guard b.u8(ip) >> 4 == 6 else { return false }
            let stated = Int(b.be16(ip + IPv6.payloadLength))
            proto = b.u8(ip + IPv6.nextHeader)
            // Jumbograms / offload (length 0) and extension headers take the layered way.
            guard stated != 0, !IPv6.isExtension(proto) else { return false }
            v4 = false
            ipPayload = UInt32(truncatingIfNeeded: stated)
            at = ip &+ IPv6.headerLength
            datagramEnd = at &+ stated  // < 2^16 + frame length
        } else {
            return false
        }
        let available = min(count, datagramEnd) &- at  // ≥ 0: the datagram holds its own header
        let isTCP = proto == 6
        var tcpFlags: UInt16 = 0
        let transportPayload: Int
        if isTCP {
            guard available >= TCP.minHeaderLength else { return false }
            // checked: TCP.minHeaderLength bytes at `at`
            let field = b.be16(at + TCP.offsetFlags)
            let thlen = Int(field >> 12) &* 4
            guard thlen >= TCP.minHeaderLength, available >= thlen else { return false }
            tcpFlags = field & 0x0FFF
            transportPayload = max(0, datagramEnd &- at &- thlen)
        } else if proto == 17 {
            guard available >= UDP.headerLength else { return false }
            // checked: UDP.headerLength bytes at `at`
            let src = b.be16(at + UDP.sourcePort), dst = b.be16(at + UDP.destinationPort)
            // Any port that may start a tunnel (or Teredo) takes the layered way.
            guard !isTunnelPort(src), !isTunnelPort(dst), !vxlanPorts.contains(dst) else { return false }
            let stated = Int(b.be16(at + UDP.length))
            transportPayload = stated >= UDP.headerLength
                ? stated &- UDP.headerLength : max(0, datagramEnd &- at &- UDP.headerLength)
        } else {
            return false
        }

        if !complete {
            // The flow fields only (listed at `PacketDecoder.decodeForFlows`): one store each.
            s.vlanCount = vlanCount
            // checked: the tag's TCI lies inside the frame check
            if vlanCount != 0 { s.vlans.0 = b.be16(Ethernet.headerLength + VLANTag.tci) & 0x0FFF }
            s.tunnelDepth = 0
            // checked: the IPv4 / IPv6 header at ip, above
            if v4 {
                s.outer.version = 4
                s.outer.source = IPAddress(v4: b.be32(ip + IPv4.source))
                s.outer.destination = IPAddress(v4: b.be32(ip + IPv4.destination))
            } else {
                s.outer.version = 6
                s.outer.source = IPAddress(high: b.be64(ip + IPv6.source), low: b.be64(ip + IPv6.source + 8))
                s.outer.destination = IPAddress(high: b.be64(ip + IPv6.destination),
                                                low: b.be64(ip + IPv6.destination + 8))
            }
            s.outer.proto = IPProtocol(proto)
            // checked: 8 (UDP) or 20 (TCP) bytes at `at`, above
            s.outer.sourcePort = b.be16(at + TransportPorts.sourcePort)
            s.outer.destinationPort = b.be16(at + TransportPorts.destinationPort)
            s.outer.hasPorts = true
            s.outer.hasTCPFlags = isTCP
            s.outer.tcpFlags = tcpFlags
            s.outer.hasICMP = false
            s.outer.transportPayloadLength = UInt32(truncatingIfNeeded: transportPayload)
            return true
        }
        s = PacketSummary()
        s.etherType = EtherType(type)
        s.vlanCount = vlanCount
        // checked: the tag's TCI lies inside the frame check
        s.vlans.0 = vlanCount != 0 ? b.be16(Ethernet.headerLength + VLANTag.tci) & 0x0FFF : 0
        s.outer.offset = UInt32(truncatingIfNeeded: ip)
        // checked: the IPv4 / IPv6 header at ip, above
        if v4 {
            s.outer.version = 4
            s.outer.source = IPAddress(v4: b.be32(ip + IPv4.source))
            s.outer.destination = IPAddress(v4: b.be32(ip + IPv4.destination))
            s.outer.ttl = b.u8(ip + IPv4.ttl)
        } else {
            s.outer.version = 6
            s.outer.source = IPAddress(high: b.be64(ip + IPv6.source), low: b.be64(ip + IPv6.source + 8))
            s.outer.destination = IPAddress(high: b.be64(ip + IPv6.destination), low: b.be64(ip + IPv6.destination + 8))
            s.outer.ttl = b.u8(ip + IPv6.hopLimit)
        }
        s.outer.proto = IPProtocol(proto)
        s.outer.ipPayloadLength = ipPayload
        // checked: 8 (UDP) or 20 (TCP) bytes at `at`, above
        s.outer.sourcePort = b.be16(at + TransportPorts.sourcePort)
        s.outer.destinationPort = b.be16(at + TransportPorts.destinationPort)
        s.outer.hasPorts = true
        s.outer.hasTCPFlags = isTCP
        s.outer.tcpFlags = tcpFlags
        s.outer.transportPayloadLength = UInt32(truncatingIfNeeded: transportPayload)
        s.inner = s.outer  // one IP header: `inner` is `outer`
        return true
    }

    /// UDP ports the layered decoder treats as tunnels on either side (`UDP.decode`).
    @inlinable @inline(__always)
    static func isTunnelPort(_ p: UInt16) -> Bool {
        p == UDP.genevePort || p == UDP.mplsPort || p == UDP.gtpUserPort || p == UDP.vxlanGPEPort
            || p == UDP.teredoPort
    }
}
