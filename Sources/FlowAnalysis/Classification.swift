import PacketWire

/// Who may reach a catalog entry's port, as the analyzer needs it (mirrors `PortCatalog.Scope`).
public enum EntryScope: UInt8, Sendable {
    /// Reachable from anywhere.
    case any
    /// Cluster nodes only: reaching it from outside is `outside-to-internal`.
    case cluster
    /// Not served by the host: the host connects out to `destinations` (e.g. Mission Control).
    case outbound

    public var name: String {
        switch self {
        case .any: "any"
        case .cluster: "cluster"
        case .outbound: "outbound"
        }
    }
}

/// One catalog entry as the analyzer sees it, copied once at configuration time.
public struct EntryInfo: Sendable, Equatable {
    public var catalogID: String
    public var component: String
    /// 6 (TCP) or 17 (UDP).
    public var proto: IPProtocol
    /// nil = "ephemeral": listed but never matched.
    public var ports: ClosedRange<UInt16>?
    /// Role bits (bit i = role i of the compiled catalog).
    public var roleBits: UInt64
    public var scope: EntryScope
    /// Outbound destinations: names and addresses as the catalog writes them.
    public var destinations: [String]
    /// The UDP port carries VXLAN (DC/OS navstar 64000).
    public var overlay: Bool
    /// `destinations` that are addresses or CIDRs, parsed once: (network, version, prefix bits of
    /// the 128-bit form).
    let destinationNetworks: [(IPAddress, UInt8, Int)]

    public init(catalogID: String, component: String, proto: IPProtocol, ports: ClosedRange<UInt16>?,
                roleBits: UInt64, scope: EntryScope = .any, destinations: [String] = [], overlay: Bool = false) {
        self.catalogID = catalogID
        self.component = component
        self.proto = proto
        self.ports = ports
        self.roleBits = roleBits
        self.scope = scope
        self.destinations = destinations
        self.overlay = overlay
        var nets: [(IPAddress, UInt8, Int)] = []
        for d in destinations {
            if let slash = d.firstIndex(of: "/"), let (net, v) = IPAddress.parse(d[..<slash]),
               let len = Int(d[d.index(after: slash)...]) {
                nets.append((net, v, len + (v == 4 ? 96 : 0)))
            } else if let (addr, v) = IPAddress.parse(d) {
                nets.append((addr, v, 128))
            }
        }
        destinationNetworks = nets
    }

    public static func == (a: EntryInfo, b: EntryInfo) -> Bool {
        a.catalogID == b.catalogID && a.component == b.component && a.proto == b.proto && a.ports == b.ports
            && a.roleBits == b.roleBits && a.scope == b.scope && a.destinations == b.destinations && a.overlay == b.overlay
    }

    /// `5701`, `5701-5711` or `ephemeral`.
    public var portText: String {
        guard let p = ports else { return "ephemeral" }
        return p.lowerBound == p.upperBound ? "\(p.lowerBound)" : "\(p.lowerBound)-\(p.upperBound)"
    }

    /// Whether an outbound entry names this address among its destinations (names are not resolved).
    public func hasDestination(_ a: IPAddress, version: UInt8) -> Bool {
        destinationNetworks.contains { $0.1 == version && prefixMatch(a, $0.0, bits: $0.2) }
    }
}

/// One inventory host as the analyzer sees it.
public struct HostInfo: Sendable, Equatable {
    public var name: String?
    public var address: IPAddress
    public var prefixLength: UInt8
    public var version: UInt8
    public var roleBits: UInt64
    public init(name: String?, address: IPAddress, prefixLength: UInt8, version: UInt8, roleBits: UInt64) {
        self.name = name
        self.address = address
        self.prefixLength = prefixLength
        self.version = version
        self.roleBits = roleBits
    }

    /// `10.0.0.1` or `10.0.0.32/28`.
    public var addressText: String {
        let full: UInt8 = version == 4 ? 32 : 128
        let a = address.text(version: version)
        return prefixLength >= full ? a : "\(a)/\(prefixLength)"
    }

    /// Whether `a` falls inside this host entry (an address or a CIDR).
    public func contains(_ a: IPAddress, version v: UInt8) -> Bool {
        guard v == version else { return false }
        let bits = Int(prefixLength) + (version == 4 ? 96 : 0)
        return prefixMatch(a, address, bits: bits)
    }
}

/// True when the first `bits` bits (of the 128-bit form) of `a` and `b` agree.
@inlinable func prefixMatch(_ a: IPAddress, _ b: IPAddress, bits: Int) -> Bool {
    if bits <= 0 { return true }
    if bits >= 128 { return a == b }
    if bits <= 64 {
        let mask: UInt64 = bits == 64 ? ~0 : ~(~UInt64(0) >> UInt64(bits))
        return (a.high & mask) == (b.high & mask)
    }
    let mask: UInt64 = ~(~UInt64(0) >> UInt64(bits - 64))
    return a.high == b.high && (a.low & mask) == (b.low & mask)
}

/// What the analyzer needs from the port catalog. `PortCatalog.CompiledCatalog` provides it
/// through `StaticCatalog(compiled:)`; tests may build small ones. Used at flow creation (the
/// likely-server test) and when flows are classified (snapshot, expiry), never per packet.
public protocol PortClassifying: Sendable {
    /// Every entry, indexed by entry id.
    var entryInfos: [EntryInfo] { get }
    /// Role names, bit i = `roleNameList[i]`.
    var roleNameList: [String] { get }
    /// Candidate entry ids for (protocol, port), most specific first.
    func candidateIDs(_ proto: IPProtocol, _ port: UInt16) -> [Int32]
    /// The same ids, one at a time, without building an array (default: `candidateIDs`).
    func forEachCandidate(_ proto: IPProtocol, _ port: UInt16, _ body: (Int32) -> Void)
    /// Whether any entry lists (protocol, port): a likely server port. Must not allocate.
    func hasCandidates(_ proto: IPProtocol, _ port: UInt16) -> Bool
    /// UDP ports that carry VXLAN.
    var overlayPorts: [UInt16] { get }
}

extension PortClassifying {
    public func forEachCandidate(_ proto: IPProtocol, _ port: UInt16, _ body: (Int32) -> Void) {
        for id in candidateIDs(proto, port) { body(id) }
    }
}

/// What the analyzer needs from the inventory (addresses → roles, and which networks are the cluster).
public protocol RoleResolving: Sendable {
    /// No inventory: role-dependent verdicts are not claimed.
    var isUnknown: Bool { get }
    func roleBits(of address: IPAddress, version: UInt8) -> UInt64
    func name(of address: IPAddress, version: UInt8) -> String?
    func inCluster(_ address: IPAddress, version: UInt8) -> Bool
    var hostInfos: [HostInfo] { get }
}

/// An in-memory catalog: entries and role names, compiled into per-port candidate lists.
public struct StaticCatalog: PortClassifying {
    public let entryInfos: [EntryInfo]
    public let roleNameList: [String]
    public let overlayPorts: [UInt16]
    /// Per protocol (TCP then UDP) and port: index into `lists` (0 = none).
    let slots: [UInt32]
    let lists: [[Int32]]

    public init(entries: [EntryInfo], roleNames: [String]) {
        entryInfos = entries
        roleNameList = roleNames
        overlayPorts = entries.compactMap { $0.overlay && $0.proto == .udp ? $0.ports?.lowerBound : nil }
        var perPort = [[Int32]](repeating: [], count: 2 * 65536)
        // Most specific first: narrower ranges before wider ones, then file order.
        let order = entries.indices.sorted { a, b in
            let wa = entries[a].ports.map { Int($0.upperBound) - Int($0.lowerBound) } ?? Int.max
            let wb = entries[b].ports.map { Int($0.upperBound) - Int($0.lowerBound) } ?? Int.max
            return wa != wb ? wa < wb : a < b
        }
        for i in order {
            let e = entries[i]
            guard let p = e.ports else { continue }
            let t: Int
            switch e.proto {
            case .tcp: t = 0
            case .udp: t = 1
            default: continue
            }
            for port in p { perPort[t * 65536 + Int(port)].append(Int32(i)) }
        }
        var slots = [UInt32](repeating: 0, count: 2 * 65536)
        var lists: [[Int32]] = [[]]
        var seen: [[Int32]: UInt32] = [:]
        for i in 0..<(2 * 65536) where !perPort[i].isEmpty {
            if let s = seen[perPort[i]] { slots[i] = s; continue }
            let s = UInt32(lists.count)
            lists.append(perPort[i])
            seen[perPort[i]] = s
            slots[i] = s
        }
        self.slots = slots
        self.lists = lists
    }

    /// No entries at all: every TCP/UDP flow is `unexpected-port`.
    public static let empty = StaticCatalog(entries: [], roleNames: [])

    func slot(_ proto: IPProtocol, _ port: UInt16) -> Int {
        switch proto {
        case .tcp: Int(slots[Int(port)])
        case .udp: Int(slots[65536 + Int(port)])
        default: 0
        }
    }

    public func candidateIDs(_ proto: IPProtocol, _ port: UInt16) -> [Int32] { lists[slot(proto, port)] }
    public func hasCandidates(_ proto: IPProtocol, _ port: UInt16) -> Bool { slot(proto, port) != 0 }
}

/// An inventory given as a list of hosts (and optionally the cluster's networks).
public struct StaticInventory: RoleResolving {
    public let hostInfos: [HostInfo]
    public let networks: [HostInfo]
    public init(hosts: [HostInfo] = [], networks: [HostInfo] = []) {
        hostInfos = hosts
        self.networks = networks
    }
    public var isUnknown: Bool { hostInfos.isEmpty && networks.isEmpty }
    public func roleBits(of address: IPAddress, version: UInt8) -> UInt64 {
        var bits: UInt64 = 0
        for h in hostInfos where h.contains(address, version: version) { bits |= h.roleBits }
        return bits
    }
    public func name(of address: IPAddress, version: UInt8) -> String? {
        hostInfos.first { $0.contains(address, version: version) && $0.name != nil }?.name
    }
    public func inCluster(_ address: IPAddress, version: UInt8) -> Bool {
        if !networks.isEmpty { return networks.contains { $0.contains(address, version: version) } }
        return hostInfos.contains { $0.contains(address, version: version) }
    }
}
