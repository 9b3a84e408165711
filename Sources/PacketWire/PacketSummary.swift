/// One decoded IP header and the transport header right after it.
public struct IPHeaderSummary: Sendable, Equatable {
    /// 0 when absent, else 4 or 6.
    public var version: UInt8 = 0
    public var source: IPAddress = .zero
    public var destination: IPAddress = .zero
    /// The IPv4 protocol, or the IPv6 next header after walking HBH/Routing/Fragment/DstOpts.
    public var proto: IPProtocol = IPProtocol(0)
    /// Offset of the IP header in the frame.
    public var offset: UInt32 = 0
    /// IPv4 TTL / IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// Fragment offset in bytes (0 for unfragmented or the first fragment).
    public var fragmentOffset: UInt16 = 0
    public var isFragment: Bool = false
    public var moreFragments: Bool = false
    /// True when `sourcePort`/`destinationPort` were read (TCP, UDP, UDP-Lite, SCTP, DCCP; first fragment only).
    public var hasPorts: Bool = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// True when the TCP flags were read (needs 16 bytes of TCP header, as tshark).
    public var hasTCPFlags: Bool = false
    /// 12 bits: 0x001 FIN … 0x080 CWR, 0x100 NS/AE, 0xE00 reserved.
    public var tcpFlags: UInt16 = 0
    /// TCP sequence and acknowledgement numbers and the (unscaled) window, read with the flags.
    public var tcpSeq: UInt32 = 0
    public var tcpAck: UInt32 = 0
    public var tcpWindow: UInt16 = 0
    public var hasICMP: Bool = false
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// IP payload length as the header states it (bounded by what was captured when the header
    /// says 0, as with TSO / BIG TCP).
    public var ipPayloadLength: UInt32 = 0
    /// Transport payload bytes (after the TCP/UDP/… header) as the lengths state them; in a
    /// non-first fragment, the fragment's data bytes (all of them continue the transport payload).
    public var transportPayloadLength: UInt32 = 0
    /// IPv4 identification or IPv6 Fragment header identification: names a fragment's datagram
    /// together with source, destination and protocol (0 when not a fragment of IPv6).
    public var fragmentID: UInt32 = 0

    @inlinable public init() {}
}

/// The IP header (and ports) quoted inside an ICMP / ICMPv6 error message.
public struct QuotedHeader: Sendable, Equatable {
    /// 0 when the message is not an error or the quote could not be read.
    public var version: UInt8 = 0
    public var source: IPAddress = .zero
    public var destination: IPAddress = .zero
    public var proto: IPProtocol = IPProtocol(0)
    public var hasPorts: Bool = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// True when the quote ends inside the fixed IP header after the source address (an ICMP error
    /// captured with a short snap length): `version`, `source` and `proto` are valid; `destination`
    /// and the ports were not captured. tshark shows the same fields for such a quote.
    public var partial: Bool = false

    @inlinable public init() {}
}

/// How a tunnel was recognised.
public struct TunnelKind: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let none = TunnelKind(rawValue: 0)
    public static let ipInIP = TunnelKind(rawValue: 1)
    public static let gre = TunnelKind(rawValue: 2)
    public static let vxlan = TunnelKind(rawValue: 3)
    public static let geneve = TunnelKind(rawValue: 4)
    public static let mplsOverUDP = TunnelKind(rawValue: 5)
    public static let gtpU = TunnelKind(rawValue: 6)
    public static let pimRegister = TunnelKind(rawValue: 7)
    public static let teredo = TunnelKind(rawValue: 8)
    /// Ethernet directly in IPv6 (next header 143, SRv6 L2 services).
    public static let ethernetInIP = TunnelKind(rawValue: 9)
    public static let vxlanGPE = TunnelKind(rawValue: 10)

    public var name: String {
        switch rawValue {
        case 0: "none"
        case 1: "ip-in-ip"
        case 2: "gre"
        case 3: "vxlan"
        case 4: "geneve"
        case 5: "mpls-udp"
        case 6: "gtp-u"
        case 7: "pim-register"
        case 8: "teredo"
        case 9: "ethernet-in-ip"
        case 10: "vxlan-gpe"
        default: "tunnel-\(rawValue)"
        }
    }
}

/// Everything Portolan reads from one frame, as plain values. The caller owns one and reuses it:
/// `PacketDecoder.decode` resets it and refills it, and allocates nothing.
public struct PacketSummary: Sendable, Equatable {
    public var linkType: LinkType = .ethernet
    /// The EtherType (or equivalent) the link layer ended on; meaningful when `outer.version == 0`
    /// to name the non-IP protocol (ARP, LLDP, …).
    public var etherType: EtherType = EtherType(0)
    /// VLAN ids outermost first (802.1ad S-tags, 802.1Q and 0x9100 tags); up to 4 kept,
    /// `vlanCount` counts them all.
    public var vlanCount: UInt8 = 0
    public var vlans: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
    public var mplsLabelCount: UInt8 = 0
    /// The first IP header of the frame.
    public var outer: IPHeaderSummary = IPHeaderSummary()
    /// The last IP header reached through tunnels; equal to `outer` when `tunnelDepth == 0`.
    public var inner: IPHeaderSummary = IPHeaderSummary()
    /// Number of tunnel encapsulations crossed (0 = no tunnel; bounded, deeper nesting stops
    /// with `.tooDeep`).
    public var tunnelDepth: UInt8 = 0
    /// The outermost tunnel crossed.
    public var tunnel: TunnelKind = .none
    /// VLAN tags met after the first IP header (Ethernet carried by VXLAN, Geneve, GRE TEB, …);
    /// the outer `vlans` are what the frame carried on the wire. Up to 4 ids kept in `innerVLANs`.
    public var innerVLANCount: UInt8 = 0
    public var innerVLANs: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
    /// The header quoted by an ICMP/ICMPv6 error carried by `inner`.
    public var quoted: QuotedHeader = QuotedHeader()
    /// Where decoding stopped early, if it did; every layer before it is valid.
    public var stop: DecodeError? = nil

    @inlinable public init() {}

    @inlinable public func vlan(_ i: Int) -> UInt16 {
        switch i {
        case 0: vlans.0
        case 1: vlans.1
        case 2: vlans.2
        default: vlans.3
        }
    }

    public static func == (a: PacketSummary, b: PacketSummary) -> Bool {
        a.linkType == b.linkType && a.etherType == b.etherType && a.vlanCount == b.vlanCount
            && a.vlans == b.vlans && a.mplsLabelCount == b.mplsLabelCount && a.outer == b.outer
            && a.inner == b.inner && a.tunnelDepth == b.tunnelDepth && a.tunnel == b.tunnel
            && a.innerVLANCount == b.innerVLANCount && a.innerVLANs == b.innerVLANs && a.quoted == b.quoted && a.stop == b.stop
    }
}
