// Capture interfaces as libpcap lists them (`pcap_findalldevs`).
import CPcap
import PacketWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One interface libpcap can capture on.
public struct CaptureInterface: Sendable, Equatable {
    public struct Address: Sendable, Equatable {
        public var address: IPAddress
        /// 4 or 6.
        public var version: UInt8
        /// Prefix length from the netmask, nil when libpcap gives none.
        public var prefixLength: Int?
        public var broadcast: IPAddress?

        /// "10.0.0.1/24", "fe80::1/64".
        public var text: String {
            let a = address.text(version: version)
            return prefixLength.map { "\(a)/\($0)" } ?? a
        }
    }

    public var name: String
    public var description: String?
    /// `PCAP_IF_*` flags.
    public var flags: UInt32
    public var addresses: [Address]

    public var isLoopback: Bool { flags & UInt32(PCAP_IF_LOOPBACK) != 0 }
    public var isUp: Bool { flags & UInt32(PCAP_IF_UP) != 0 }
    public var isRunning: Bool { flags & UInt32(PCAP_IF_RUNNING) != 0 }
    public var isWireless: Bool { flags & UInt32(PCAP_IF_WIRELESS) != 0 }

    /// "connected", "disconnected", "not applicable" or nil when unknown.
    public var connectionStatus: String? {
        switch flags & UInt32(PCAP_IF_CONNECTION_STATUS) {
        case UInt32(PCAP_IF_CONNECTION_STATUS_CONNECTED): "connected"
        case UInt32(PCAP_IF_CONNECTION_STATUS_DISCONNECTED): "disconnected"
        case UInt32(PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE): "not applicable"
        default: nil
        }
    }

    /// Flag names as tcpdump -D prints them: "Up", "Running", "Loopback", "Wireless", and the status.
    public var flagNames: [String] {
        var names: [String] = []
        if isUp { names.append("Up") }
        if isRunning { names.append("Running") }
        if isLoopback { names.append("Loopback") }
        if isWireless { names.append("Wireless") }
        if let connectionStatus { names.append(connectionStatus.prefix(1).uppercased() + connectionStatus.dropFirst()) }
        return names
    }

    /// `pcap_findalldevs` + `pcap_freealldevs`.
    public static func findAll() throws(PcapError) -> [CaptureInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        if pcap_findalldevs(&list, &errbuf) != 0 {
            throw PcapError(kind: .other, call: "pcap_findalldevs", device: nil, message: cString(errbuf))
        }
        defer { if let list { pcap_freealldevs(list) } }
        var result: [CaptureInterface] = []
        var node = list
        while let dev = node {
            var addresses: [Address] = []
            var entry = dev.pointee.addresses
            while let a = entry {
                if let (address, version) = ipAddress(a.pointee.addr) {
                    let prefix = ipAddress(a.pointee.netmask).map { prefixLength($0.0, version: version) }
                    let broadcast = ipAddress(a.pointee.broadaddr)?.0
                    addresses.append(Address(address: address, version: version, prefixLength: prefix, broadcast: broadcast))
                }
                entry = a.pointee.next
            }
            result.append(
                CaptureInterface(
                    name: String(cString: dev.pointee.name),
                    description: dev.pointee.description.map { String(cString: $0) },
                    flags: dev.pointee.flags, addresses: addresses))
            node = dev.pointee.next
        }
        return result
    }
}

/// An IPv4 or IPv6 socket address as an `IPAddress`; nil for other families (link layer, …).
private func ipAddress(_ sa: UnsafeMutablePointer<sockaddr>?) -> (IPAddress, UInt8)? {
    guard let sa else { return nil }
    switch Int32(sa.pointee.sa_family) {
    case AF_INET:
        return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
            (IPAddress(v4: UInt32(bigEndian: sin.pointee.sin_addr.s_addr)), 4)
        }
    case AF_INET6:
        return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
            var high: UInt64 = 0
            var low: UInt64 = 0
            withUnsafeBytes(of: sin6.pointee.sin6_addr) { bytes in
                for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
                for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
            }
            return (IPAddress(high: high, low: low), 6)
        }
    default:
        return nil
    }
}

/// Leading one bits of a netmask.
private func prefixLength(_ mask: IPAddress, version: UInt8) -> Int {
    if version == 4 { return mask.v4Value.leadingZeroBitCount == 0 ? (~mask.v4Value).leadingZeroBitCount : 0 }
    let h = (~mask.high).leadingZeroBitCount
    return h < 64 ? h : 64 + (~mask.low).leadingZeroBitCount
}
