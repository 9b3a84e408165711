/// Decoder options fixed for a run.
public struct DecoderOptions: Sendable, Equatable {
    /// UDP destination ports decoded as VXLAN (4789 always; the catalog adds overlay ports such
    /// as DC/OS navstar's 64000). At most 8 are honoured.
    public var vxlanPorts: [UInt16]
    public init(vxlanPorts: [UInt16] = [4789]) {
        self.vxlanPorts = vxlanPorts
    }
}

/// Decodes a frame's headers into a caller-owned `PacketSummary`.
///
/// One `switch` over `Step` drives the layers; each layer lives in its own file (`Ethernet.swift`,
/// `IPv4.swift`, …) with its offsets, checks its bounds once, and returns the next step. Nothing
/// here allocates, touches Foundation or holds class state: decoding a frame only writes the
/// summary the caller lent.
///
/// Link types: 0 NULL, 1 Ethernet, 9/50 PPP, 12/14/101 raw IP, 104 Cisco HDLC, 107 Frame Relay,
/// 108 LOOP, 113 Linux SLL, 228 IPv4, 229 IPv6, 239 NFLOG, 258 PKTAP, 276 Linux SLL2; any other
/// stops at once with `.unsupportedLinkType`. Where the wire leaves a choice, the decoder does what the
/// tshark 4.0 oracle of `../shared/corpus` does (version nibble over EtherType/link type, MPLS
/// payload by first nibble, ports from 4 captured bytes, AH/ESP not walked, tunnels by tshark's
/// UDP port table), except where `CorpusOracleTests.oraclePolicies` says why not.
public struct PacketDecoder: Sendable {
    public var options: DecoderOptions {
        didSet { vxlanPorts = PortSet(options.vxlanPorts) }
    }
    /// `options.vxlanPorts` as a fixed-size value, so the per-packet path never touches an array.
    @usableFromInline var vxlanPorts: PortSet

    public init(options: DecoderOptions = DecoderOptions()) {
        self.options = options
        self.vxlanPorts = PortSet(options.vxlanPorts)
    }

    /// Resets `summary` and fills it from `bytes` (lent for this call only; do not escape it).
    /// Never traps and never reads outside `bytes`: a short or malformed frame keeps every layer
    /// that decoded and says in `summary.stop` where and why decoding ended.
    @inlinable
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into summary: inout PacketSummary) {
        // Ethernet(+802.1Q) → IPv4/IPv6 → TCP/UDP in one pass; anything else layer by layer.
        if linkType.rawValue == 1 && FastPath.decode(bytes, vxlanPorts: vxlanPorts, into: &summary) { return }
        decodeLayered(bytes, linkType: linkType, into: &summary)
    }

    /// `decode` for the flow analyzer. A frame the fast path takes (Ethernet, at most one 802.1Q
    /// tag, IPv4/IPv6, TCP/UDP, no tunnel) writes only the fields the analyzer reads: `vlanCount`,
    /// `vlans.0` (when tagged), `tunnelDepth` (0) and, of `outer`, version, source, destination,
    /// proto, the ports, `hasPorts`, `hasTCPFlags`, `tcpFlags`, `hasICMP` (false) and
    /// `transportPayloadLength`; everything else keeps what an earlier frame left (`inner` is not
    /// copied: with `tunnelDepth == 0` it stands for `outer`). Any other frame is decoded
    /// completely, as `decode` does. Callers that need the whole summary use `decode`.
    @inlinable
    public func decodeForFlows(_ bytes: UnsafeRawBufferPointer, linkType: LinkType,
                               into summary: inout PacketSummary) {
        if linkType.rawValue == 1
            && FastPath.decode(bytes, vxlanPorts: vxlanPorts, into: &summary, complete: false) { return }
        decodeLayered(bytes, linkType: linkType, into: &summary)
    }

    /// The fields of a common frame (Ethernet with at most one 802.1Q tag, IPv4/IPv6, TCP/UDP, no
    /// tunnel) as the fast path reads them, or nil for any other frame (then call `decode`). What
    /// it returns is what `decode` would put in the summary.
    @inlinable @inline(__always)
    public func fastFrame(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> FastFrame? {
        guard let f = PacketDecoder.fastFrameAnyPort(bytes, linkType: linkType), !isVXLAN(f) else { return nil }
        return f
    }

    /// `fastFrame` without the one check that needs the decoder's options: a frame for which
    /// `isVXLAN` is true is a tunnel and must go to `decode`. (Static, so that a caller's loop
    /// reads the port set only for UDP, not the whole decoder for every frame.)
    @inlinable @inline(__always)
    public static func fastFrameAnyPort(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> FastFrame? {
        linkType.rawValue == 1 ? FastPath.parse(bytes) : nil
    }

    /// UDP to one of the VXLAN ports of `options`.
    @inlinable @inline(__always)
    public func isVXLAN(_ f: FastFrame) -> Bool { f.isVXLAN(vxlanPorts) }

    /// The layered decoder: one step per header, every link type and quirk. `decode` takes
    /// `FastPath` first for the common frame; tests compare the two on every input they have.
    @usableFromInline
    func decodeLayered(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into summary: inout PacketSummary) {
        summary = PacketSummary()
        summary.linkType = linkType
        var c = Cursor(count: bytes.count)
        var step: Step
        switch linkType.rawValue {
        case 0: step = .null
        case 1: step = .ethernet
        case 9, 50: step = .pppHDLC
        case 12, 14, 101, 228: step = .ipAny      // raw IP: the version nibble decides (as tshark)
        case 229: step = .ipv6
        case 104: step = .ciscoHDLC
        case 107: step = .frameRelay
        case 108: step = .loop
        case 113: step = .linuxSLL
        case 239: step = .nflog
        case 258: step = .pktap
        case 276: step = .linuxSLL2
        default:
            summary.stop = DecodeError(layer: .link, reason: .unsupportedLinkType, offset: 0)
            return
        }
        let b = bytes
        while true {
            switch step {
            case .done:
                if c.ipCount == 1 { summary.outer = summary.inner }
                return
            case .null: step = NullLoopback.decodeNull(b, &c, &summary)
            case .loop: step = NullLoopback.decodeLoop(b, &c, &summary)
            case .ethernet: step = Ethernet.decode(b, &c, &summary)
            case .etherType(let type): step = c.dispatch(etherType: type, &summary)
            case .vlan: step = VLANTag.decode(b, &c, &summary)
            case .arista: step = AristaVSP.decode(b, &c, &summary)
            case .mpls: step = MPLS.decode(b, &c, &summary)
            case .pppHDLC: step = PPP.decodeHDLC(b, &c, &summary)
            case .pppProtocol: step = PPP.decodeProtocol(b, &c, &summary)
            case .pppoe: step = PPPoE.decode(b, &c, &summary)
            case .ciscoHDLC: step = CiscoHDLC.decode(b, &c, &summary)
            case .frameRelay: step = FrameRelay.decode(b, &c, &summary)
            case .linuxSLL: step = LinuxSLL.decode(b, &c, &summary)
            case .linuxSLL2: step = LinuxSLL2.decode(b, &c, &summary)
            case .nflog: step = NFLOG.decode(b, &c, &summary)
            case .pktap: step = PKTAP.decode(b, &c, &summary)
            case .ipAny: step = IPv4.decodeAnyVersion(b, &c, &summary)
            case .ipv4: step = IPv4.decode(b, &c, &summary)
            case .ipv6: step = IPv6.decode(b, &c, &summary)
            case .ipProtocol(let proto): step = c.dispatch(ipProtocol: proto, &summary)
            case .tcp: step = TCP.decode(b, &c, &summary)
            case .udp: step = UDP.decode(b, &c, &summary, lite: false, vxlanPorts: vxlanPorts)
            case .udpLite: step = UDP.decode(b, &c, &summary, lite: true, vxlanPorts: vxlanPorts)
            case .sctp: step = SCTP.decode(b, &c, &summary)
            case .dccp: step = DCCP.decode(b, &c, &summary)
            case .icmp: step = ICMP.decode(b, &c, &summary, v6: false)
            case .icmpv6: step = ICMP.decode(b, &c, &summary, v6: true)
            case .gre: step = GRE.decode(b, &c, &summary)
            case .vxlan: step = VXLAN.decode(b, &c, &summary)
            case .geneve: step = Geneve.decode(b, &c, &summary)
            case .gtpU: step = GTPU.decode(b, &c, &summary)
            case .vxlanGPE: step = VXLANGPE.decode(b, &c, &summary)
            case .nsh: step = VXLANGPE.decodeNSH(b, &c, &summary)
            case .teredo: step = Teredo.decode(b, &c, &summary)
            case .pim: step = PIM.decode(b, &c, &summary)
            }
        }
    }
}

/// The next header to decode. Each layer's `decode` returns one of these.
@usableFromInline enum Step: Sendable {
    case done
    case null, loop, ethernet, pppHDLC, pppProtocol, pppoe, ciscoHDLC, frameRelay, linuxSLL, linuxSLL2, nflog, pktap
    case etherType(UInt16)
    case vlan, arista, mpls
    /// IPv4 or IPv6 by the version nibble (tshark's "ip" dissector: EtherType 0x0800, raw IP).
    case ipAny
    case ipv4
    /// IPv6 only (EtherType 0x86DD, LINKTYPE_IPV6, IP protocol 41).
    case ipv6
    case ipProtocol(UInt8)
    case tcp, udp, udpLite, sctp, dccp, icmp, icmpv6
    case gre, vxlan, geneve, gtpU, vxlanGPE, nsh, teredo, pim
}

/// Up to 8 UDP ports (the VXLAN ports of `DecoderOptions`) as a plain value.
@usableFromInline struct PortSet: Sendable {
    @usableFromInline var ports: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)
    @usableFromInline var count: Int
    /// Bit `port & 63` of every port: most ports are rejected by one load and one test.
    @usableFromInline var bloom: UInt64

    init(_ list: [UInt16]) {
        var p: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        let n = min(list.count, 8)
        var bloom: UInt64 = 0
        withUnsafeMutableBytes(of: &p) { raw in
            for i in 0..<n {
                raw.storeBytes(of: list[i], toByteOffset: 2 * i, as: UInt16.self)
                bloom |= 1 << UInt64(list[i] & 63)
            }
        }
        ports = p
        count = n
        self.bloom = bloom
    }

    @inlinable @inline(__always)
    func contains(_ port: UInt16) -> Bool {
        if bloom & (1 << UInt64(port & 63)) == 0 { return false }
        if count > 0 && ports.0 == port { return true }
        if count > 1 && ports.1 == port { return true }
        if count > 2 && ports.2 == port { return true }
        if count > 3 && ports.3 == port { return true }
        if count > 4 && ports.4 == port { return true }
        if count > 5 && ports.5 == port { return true }
        if count > 6 && ports.6 == port { return true }
        return count > 7 && ports.7 == port
    }
}

/// Decoding position shared by the layers of one frame. The next header starts at `at`; the bytes
/// of the current datagram end at `end` (the captured length, narrowed by IP total / payload
/// lengths so that Ethernet padding and trailers are never read as headers). `datagramEnd` is
/// where the innermost IP header says its datagram ends (may lie past the capture).
@usableFromInline struct Cursor {
    @usableFromInline var at: Int
    @usableFromInline var end: Int
    @usableFromInline var datagramEnd: Int
    /// IP headers committed so far (1 = only `outer`).
    @usableFromInline var ipCount: Int

    @inlinable init(count: Int) {
        at = 0
        end = count
        datagramEnd = count
        ipCount = 0
    }

    /// Bytes left in the current datagram from `at`.
    @inlinable var available: Int { end - at }

    /// Deepest tunnel nesting followed; deeper ones stop with `.tooDeep`.
    @inlinable static var maxTunnelDepth: UInt8 { 8 }
    /// Most VLAN tags, MPLS labels (each) followed before `.tooDeep`.
    @inlinable static var maxTags: UInt8 { 32 }
    /// Most IPv6 extension headers walked in one chain before `.tooDeep`.
    @inlinable static var maxExtensionHeaders: Int { 128 }

    /// Records where and why decoding stopped (the layer starting at `at`) and ends the walk.
    @inlinable func stop(_ s: inout PacketSummary, _ layer: DecodeLayer, _ reason: DecodeReason, needed: Int = 0) -> Step {
        s.stop = DecodeError(
            layer: layer, reason: reason, offset: at,
            needed: reason == .truncated ? needed : 0,
            available: reason == .truncated ? max(0, end - at) : 0)
        return .done
    }

    /// Makes `h` the newest IP header; the first one becomes `outer` as well.
    @inlinable mutating func commit(_ h: IPHeaderSummary, _ s: inout PacketSummary) {
        if ipCount == 1 { s.outer = s.inner }
        s.inner = h
        ipCount &+= 1  // bounded: one per IP header, and headers are at least 20 bytes
    }

    /// Counts a tunnel crossing; false (after recording `.tooDeep`) when nesting is too deep.
    @inlinable mutating func enterTunnel(_ kind: TunnelKind, _ layer: DecodeLayer, _ s: inout PacketSummary) -> Bool {
        if s.tunnelDepth >= Cursor.maxTunnelDepth {
            _ = stop(&s, layer, .tooDeep)
            return false
        }
        s.tunnelDepth += 1
        if s.tunnel == .none { s.tunnel = kind }
        return true
    }

    /// Records a VLAN id: before the first IP header in `vlans`, after it in `innerVLANs`.
    @inlinable mutating func addVLAN(_ id: UInt16, _ s: inout PacketSummary) -> Bool {
        if ipCount == 0 {
            guard s.vlanCount < Cursor.maxTags else { return false }
            switch s.vlanCount {
            case 0: s.vlans.0 = id
            case 1: s.vlans.1 = id
            case 2: s.vlans.2 = id
            case 3: s.vlans.3 = id
            default: break
            }
            s.vlanCount += 1
        } else {
            guard s.innerVLANCount < Cursor.maxTags else { return false }
            switch s.innerVLANCount {
            case 0: s.innerVLANs.0 = id
            case 1: s.innerVLANs.1 = id
            case 2: s.innerVLANs.2 = id
            case 3: s.innerVLANs.3 = id
            default: break
            }
            s.innerVLANCount += 1
        }
        return true
    }

    /// What an EtherType (or a link header's equivalent) leads to.
    @inlinable func dispatch(etherType type: UInt16, _ s: inout PacketSummary) -> Step {
        if ipCount == 0 { s.etherType = EtherType(type) }
        switch EtherType(type) {
        case .ipv4: return .ipAny          // tshark's "ip" follows the version nibble
        case .ipv6: return .ipv6
        case .vlan, .qinq, .vlanOld: return .vlan
        case .mplsUnicast, .mplsMulticast: return .mpls
        case .pppoeSession: return .pppoe
        case .transparentEthernet: return .ethernet
        case .arista: return .arista
        default: return .done               // ARP, LLDP, 802.3 lengths, …: non-IP, not an error
        }
    }

    /// What follows an IP header (after IPv6 extension headers).
    @inlinable mutating func dispatch(ipProtocol proto: UInt8, _ s: inout PacketSummary) -> Step {
        switch IPProtocol(proto) {
        case .tcp: return .tcp
        case .udp: return .udp
        case .udpLite: return .udpLite
        case .sctp: return .sctp
        case .dccp: return .dccp
        case .icmp: return .icmp
        case .icmpv6: return .icmpv6
        case .gre: return .gre
        case .ipip:
            return enterTunnel(.ipInIP, .ipv4, &s) ? .ipAny : .done
        case .ipv6:
            return enterTunnel(.ipInIP, .ipv6, &s) ? .ipv6 : .done
        case .pim:
            return .pim
        case .ethernet:
            return enterTunnel(.ethernetInIP, .ipv6Extension, &s) ? .ethernet : .done
        default:
            return .done   // AH, ESP, OSPF, …: reported as the protocol, not walked (as the oracle)
        }
    }
}
