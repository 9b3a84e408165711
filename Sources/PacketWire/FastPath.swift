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

    @inlinable @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, vxlanPorts: PortSet, into s: inout PacketSummary) -> Bool {
        let count = b.count
        guard count >= minFrame + VLANTag.headerLength else { return false }
        // checked: minFrame + 4 bytes at 0 (every load of the link layer and the first 20 bytes
        // after it, with or without the tag)
        var type = b.be16(Ethernet.etherType)
        var o = Ethernet.headerLength
        var vlanCount: UInt8 = 0
        var vlan: UInt16 = 0
        if type == 0x8100 {
            vlan = b.be16(o + VLANTag.tci) & 0x0FFF
            type = b.be16(o + VLANTag.etherType)
            o &+= VLANTag.headerLength  // 14 + 4: no overflow
            vlanCount = 1
        }
        var h = IPHeaderSummary()
        var end = count
        var datagramEnd: Int
        if type == 0x0800 {
            // checked: IPv4.minHeaderLength bytes at o (by the frame check above)
            let vihl = b.u8(o + IPv4.versionIHL)
            guard vihl >> 4 == 4 else { return false }
            let hlen = Int(vihl & 0x0F) &* 4
            let total = Int(b.be16(o + IPv4.totalLength))
            let frag = b.be16(o + IPv4.flagsFragment)
            // Fragments, TSO's total length 0, bad lengths and cut options take the layered way.
            guard hlen >= IPv4.minHeaderLength, total >= hlen, frag & 0x3FFF == 0, hlen <= count &- o else {
                return false
            }
            h.version = 4
            h.source = IPAddress(v4: b.be32(o + IPv4.source))
            h.destination = IPAddress(v4: b.be32(o + IPv4.destination))
            h.proto = IPProtocol(b.u8(o + IPv4.proto))
            h.ttl = b.u8(o + IPv4.ttl)
            h.ipPayloadLength = UInt32(truncatingIfNeeded: total &- hlen)  // total ≥ hlen
            datagramEnd = o &+ total  // < 2^17 + frame length
            h.offset = UInt32(truncatingIfNeeded: o)
            o &+= hlen
        } else if type == 0x86DD {
            guard count &- o >= IPv6.headerLength else { return false }
            // checked: IPv6.headerLength bytes at o
            guard b.u8(o) >> 4 == 6 else { return false }
            let stated = Int(b.be16(o + IPv6.payloadLength))
            let next = b.u8(o + IPv6.nextHeader)
            // Jumbograms / offload (length 0) and extension headers take the layered way.
            guard stated != 0, !IPv6.isExtension(next) else { return false }
            h.version = 6
            h.source = IPAddress(high: b.be64(o + IPv6.source), low: b.be64(o + IPv6.source + 8))
            h.destination = IPAddress(high: b.be64(o + IPv6.destination), low: b.be64(o + IPv6.destination + 8))
            h.proto = IPProtocol(next)
            h.ttl = b.u8(o + IPv6.hopLimit)
            h.ipPayloadLength = UInt32(truncatingIfNeeded: stated)
            h.offset = UInt32(truncatingIfNeeded: o)
            o &+= IPv6.headerLength
            datagramEnd = o &+ stated  // < 2^16 + frame length
        } else {
            return false
        }
        if datagramEnd < end { end = datagramEnd }
        let available = end &- o  // may be negative when the datagram is shorter than its header
        switch h.proto.rawValue {
        case 6:
            guard available >= TCP.minHeaderLength else { return false }
            // checked: TCP.minHeaderLength bytes at o
            let field = b.be16(o + TCP.offsetFlags)
            let thlen = Int(field >> 12) &* 4
            guard thlen >= TCP.minHeaderLength, available >= thlen else { return false }
            h.sourcePort = b.be16(o + TCP.sourcePort)
            h.destinationPort = b.be16(o + TCP.destinationPort)
            h.hasPorts = true
            h.tcpFlags = field & 0x0FFF
            h.hasTCPFlags = true
            h.transportPayloadLength = UInt32(truncatingIfNeeded: max(0, datagramEnd &- o &- thlen))
        case 17:
            guard available >= UDP.headerLength else { return false }
            // checked: UDP.headerLength bytes at o
            let src = b.be16(o + UDP.sourcePort), dst = b.be16(o + UDP.destinationPort)
            // Any port that may start a tunnel (or Teredo) takes the layered way.
            guard !isTunnelPort(src), !isTunnelPort(dst), !vxlanPorts.contains(dst) else { return false }
            let stated = Int(b.be16(o + UDP.length))
            h.sourcePort = src
            h.destinationPort = dst
            h.hasPorts = true
            h.transportPayloadLength = stated >= UDP.headerLength
                ? UInt32(truncatingIfNeeded: stated &- UDP.headerLength)
                : UInt32(truncatingIfNeeded: max(0, datagramEnd &- o &- UDP.headerLength))
        default:
            return false
        }
        s.fill(etherType: EtherType(type), vlanCount: vlanCount, vlan: vlan, header: h)
        return true
    }

    /// UDP ports the layered decoder treats as tunnels on either side (`UDP.decode`).
    @inlinable @inline(__always)
    static func isTunnelPort(_ p: UInt16) -> Bool {
        p == UDP.genevePort || p == UDP.mplsPort || p == UDP.gtpUserPort || p == UDP.vxlanGPEPort
            || p == UDP.teredoPort
    }
}

extension PacketSummary {
    /// The whole summary of an untunnelled Ethernet frame: every field written once.
    @inlinable @inline(__always)
    mutating func fill(etherType: EtherType, vlanCount: UInt8, vlan: UInt16, header: IPHeaderSummary) {
        self = PacketSummary()
        self.linkType = .ethernet
        self.etherType = etherType
        self.vlanCount = vlanCount
        self.vlans.0 = vlan
        self.outer = header
        self.inner = header
    }
}
