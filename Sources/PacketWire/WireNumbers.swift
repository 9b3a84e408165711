// Wire numbers as open newtypes: an unknown value is a statistic, never a failure.

/// A pcap / pcapng LINKTYPE_ value (https://www.tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public static func < (a: LinkType, b: LinkType) -> Bool { a.rawValue < b.rawValue }

    public static let null = LinkType(0)
    public static let ethernet = LinkType(1)
    public static let ppp = LinkType(9)
    public static let rawOpenBSD = LinkType(12)
    public static let rawBSDOS = LinkType(14)
    public static let pppSerial = LinkType(50)
    public static let raw = LinkType(101)
    public static let cHDLC = LinkType(104)
    public static let frameRelay = LinkType(107)
    public static let loop = LinkType(108)
    public static let linuxSLL = LinkType(113)
    public static let ipv4 = LinkType(228)
    public static let ipv6 = LinkType(229)
    public static let nflog = LinkType(239)
    public static let linuxSLL2 = LinkType(276)

    /// The short name tcpdump uses for the link types Portolan decodes; `nil` for others.
    public var name: String? {
        switch rawValue {
        case 0: "NULL"
        case 1: "EN10MB"
        case 9: "PPP"
        case 12, 14, 101: "RAW"
        case 50: "PPP_SERIAL"
        case 104: "C_HDLC"
        case 107: "FRELAY"
        case 108: "LOOP"
        case 113: "LINUX_SLL"
        case 228: "IPV4"
        case 229: "IPV6"
        case 239: "NFLOG"
        case 276: "LINUX_SLL2"
        default: nil
        }
    }
}

/// An Ethernet type / protocol identifier (IEEE 802 EtherType).
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let ipv4 = EtherType(0x0800)
    public static let arp = EtherType(0x0806)
    public static let transparentEthernet = EtherType(0x6558)
    public static let rarp = EtherType(0x8035)
    public static let vlan = EtherType(0x8100)
    public static let ipv6 = EtherType(0x86DD)
    public static let mplsUnicast = EtherType(0x8847)
    public static let mplsMulticast = EtherType(0x8848)
    public static let pppoeDiscovery = EtherType(0x8863)
    public static let pppoeSession = EtherType(0x8864)
    public static let qinq = EtherType(0x88A8)
    public static let vlanOld = EtherType(0x9100)
    public static let lldp = EtherType(0x88CC)
    /// Arista's vendor-specific timestamp header (tshark `avsp`).
    public static let arista = EtherType(0xD28B)
}

/// An IP protocol / IPv6 next-header number.
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let hopByHop = IPProtocol(0)
    public static let icmp = IPProtocol(1)
    public static let igmp = IPProtocol(2)
    public static let ipip = IPProtocol(4)
    public static let tcp = IPProtocol(6)
    public static let udp = IPProtocol(17)
    public static let dccp = IPProtocol(33)
    public static let ipv6 = IPProtocol(41)
    public static let routing = IPProtocol(43)
    public static let fragment = IPProtocol(44)
    public static let gre = IPProtocol(47)
    public static let esp = IPProtocol(50)
    public static let ah = IPProtocol(51)
    public static let icmpv6 = IPProtocol(58)
    public static let noNextHeader = IPProtocol(59)
    public static let destinationOptions = IPProtocol(60)
    public static let pim = IPProtocol(103)
    public static let sctp = IPProtocol(132)
    public static let mobility = IPProtocol(135)
    public static let udpLite = IPProtocol(136)
    /// Ethernet frames in IPv6 (RFC 8986 SRv6 L2 endpoints).
    public static let ethernet = IPProtocol(143)

    /// Lower-case name as operators know it (`tcp`, `udp`, `icmp`, …); the number for others.
    public var name: String {
        switch rawValue {
        case 1: "icmp"
        case 2: "igmp"
        case 4: "ipip"
        case 6: "tcp"
        case 17: "udp"
        case 33: "dccp"
        case 41: "ipv6"
        case 47: "gre"
        case 50: "esp"
        case 51: "ah"
        case 58: "icmpv6"
        case 89: "ospf"
        case 103: "pim"
        case 112: "vrrp"
        case 132: "sctp"
        case 136: "udplite"
        default: String(rawValue)
        }
    }

    /// Protocols whose header starts with a 16-bit source and destination port.
    @inlinable public var hasPorts: Bool {
        switch rawValue {
        case 6, 17, 33, 132, 136: true
        default: false
        }
    }
}
