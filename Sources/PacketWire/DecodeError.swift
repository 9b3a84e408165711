/// The layer at which decoding stopped or an error was found.
public enum DecodeLayer: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case link, vlan, mpls, pppoe, ppp, arp
    case ipv4, ipv6, ipv6Extension
    case tcp, udp, udpLite, sctp, dccp, icmp, icmpv6
    case gre, vxlan, geneve
    case icmpQuote

    public var description: String {
        switch self {
        case .link: "link"
        case .vlan: "vlan"
        case .mpls: "mpls"
        case .pppoe: "pppoe"
        case .ppp: "ppp"
        case .arp: "arp"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .ipv6Extension: "ipv6-ext"
        case .tcp: "tcp"
        case .udp: "udp"
        case .udpLite: "udplite"
        case .sctp: "sctp"
        case .dccp: "dccp"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .gre: "gre"
        case .vxlan: "vxlan"
        case .geneve: "geneve"
        case .icmpQuote: "icmp-quote"
        }
    }
}

/// Why decoding stopped.
public enum DecodeReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The captured bytes end before the header does (snaplen or damage).
    case truncated
    /// A version field that this layer does not accept.
    case badVersion
    /// A header length field below the minimum or past the packet.
    case badHeaderLength
    /// A total/payload length field that contradicts the captured data in a way that cannot be bounded.
    case badLength
    /// The link type is not one Portolan decodes.
    case unsupportedLinkType
    /// A protocol field (EtherType, address family, …) that the layer cannot follow.
    case unsupportedProtocol
    /// Too many nested headers (tags, labels, extension headers or tunnels).
    case tooDeep

    public var description: String {
        switch self {
        case .truncated: "truncated"
        case .badVersion: "bad version"
        case .badHeaderLength: "bad header length"
        case .badLength: "bad length"
        case .unsupportedLinkType: "unsupported link type"
        case .unsupportedProtocol: "unsupported protocol"
        case .tooDeep: "too many nested headers"
        }
    }
}

/// Where and why a packet's decode stopped early; the layers before it stay valid.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var layer: DecodeLayer
    public var reason: DecodeReason
    /// Offset in the frame where the layer started.
    public var offset: Int
    /// Bytes the layer needed and bytes that were available (for `.truncated`), else 0.
    public var needed: Int
    public var available: Int

    @inlinable public init(layer: DecodeLayer, reason: DecodeReason, offset: Int, needed: Int = 0, available: Int = 0) {
        self.layer = layer
        self.reason = reason
        self.offset = offset
        self.needed = needed
        self.available = available
    }

    public var description: String {
        if reason == .truncated {
            return "\(layer) header at offset \(offset) truncated: needed \(needed) bytes, \(available) captured"
        }
        return "\(layer) at offset \(offset): \(reason)"
    }
}
