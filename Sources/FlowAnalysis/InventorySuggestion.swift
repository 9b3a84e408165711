import PacketWire
import PortCatalog

// `portolan inventory suggest`: roles proposed from the servers a capture shows.
//
// A host "serves" (protocol, port) when it was the server of a flow that it answered: it sent
// something back and the flow has no blocked verdict (a SYN answered by RST, an ICMP error or
// silence say the port is closed, not served). Flows to an outbound destination (Mission Control)
// need no role and are left out, as are loopback addresses (every host has them).
//
// Roles from the catalogs' entries: a port served by entries of one role names that role. When
// several roles list a port, the most specific entries count (a single port before a range: a
// DC/OS agent's "user tasks" range 5052-8079 lists 6379 too, but a Dynatrace Cassandra entry for
// 9042 is the better explanation of 9042). Per host:
// 1. each role scores the ports it explains with one of the port's most specific entries, then
//    the ports it explains at all, then the flows; the best role is proposed;
// 2. another role is added when it explains, among the ports still unexplained, at least half as
//    many as the first role does (a host serving master and Dynatrace ports alike runs both; a
//    master that also answered on one or two agent ports is a master with wrong-role flows);
// 3. ties between roles go to the role proposed for more other hosts of the same capture, then to
//    catalog order, and lower the confidence.
// A host that answered no catalogued port but was tried on some (every flow blocked: a firewall
// in the way) gets its roles from those attempts, with confidence low: the clients' intent is
// the only evidence, and without a role the flows to it would lose outside-to-internal.
// Confidence: high when at least two ports are explained by most specific entries and every
// catalogued port served is explained; low when some catalogued port served is not (those flows
// would be wrong-role with this proposal, which may be right) or the evidence is only ranges;
// medium otherwise (one port, or a tie).

/// One (protocol, port) a host served, with the catalog's view of it.
public struct ServedPort: Sendable, Equatable {
    public var transport: Transport
    public var port: UInt16
    /// Flows the host served on it.
    public var flows: Int
    /// Components of the port's most specific entries (each once).
    public var components: [String]
    /// Roles any entry for the port serves, and those of its most specific entries.
    public var roles: RoleSet
    public var specificRoles: RoleSet

    public var text: String { "\(transport.name)/\(port)" }
    public var catalogued: Bool { !roles.isEmpty }
}

public enum SuggestionConfidence: String, Sendable {
    case high, medium, low
}

/// A host the suggestion names: its address, proposed roles, evidence and confidence.
public struct SuggestedHost: Sendable {
    public var address: IPAddress
    public var version: UInt8
    /// Proposed role indices, first the strongest (indices into `CompiledCatalog.roleNames`).
    public var roles: [Int]
    public var confidence: SuggestionConfidence
    /// Every port served, catalogued ones first in port order.
    public var served: [ServedPort]
    /// Catalogued ports none of the proposed roles serves (wrong-role under this proposal).
    public var unexplained: [ServedPort]
    /// Roles that tied with a proposed one (the choice was not forced by the evidence).
    public var tiedWith: [Int]
    /// For a host that answered no catalogued port: the catalogued ports clients tried (flows with
    /// a blocked verdict), which the roles come from instead (confidence low).
    public var unanswered: [ServedPort] = []
    public var flows: Int { served.reduce(0) { $0 + $1.flows } }
}

/// The result: proposed hosts (address order, IPv4 first), guessed cluster networks, and servers
/// observed but not proposed (ports no catalog lists, loopback) with the reason.
public struct InventorySuggestion: Sendable {
    public var hosts: [SuggestedHost]
    public var networks: [IPNetwork]
    public var notProposed: [(address: IPAddress, version: UInt8, served: [ServedPort], reason: String)]
    public var roleNames: [String]
}

/// Collects served ports from flow records (stream them in with `add`), then `finish`.
public struct InventorySuggester {
    let catalog: CompiledCatalog
    struct HostKey: Hashable { var address: IPAddress; var version: UInt8 }
    struct PortKey: Hashable { var transport: UInt8; var port: UInt16 }
    var served: [HostKey: [PortKey: Int]] = [:]
    var uncatalogued: [HostKey: [PortKey: Int]] = [:]
    var loopback: [HostKey: [PortKey: Int]] = [:]
    /// Catalogued ports clients tried and the host did not answer (blocked): evidence only for a
    /// host that answered no catalogued port at all.
    var attempted: [HostKey: [PortKey: Int]] = [:]

    public init(catalog: CompiledCatalog) { self.catalog = catalog }

    /// Counts the flow when its server answered it (see the top of this file).
    public mutating func add(_ r: FlowRecord) {
        guard let t = Transport(r.proto) else { return }
        let host = HostKey(address: r.server, version: r.ipVersion)
        let port = PortKey(transport: t.rawValue, port: r.serverPort)
        // `serverPackets` counts ICMP errors quoting the client too: more than every ICMP error of the
        // flow means the server itself sent something.
        guard r.serverPackets > r.icmpErrors, !r.verdicts.contains(where: \.isBlocked) else {
            if !isLoopback(r.server, version: r.ipVersion) && !catalog.candidates(t, r.serverPort).isEmpty {
                attempted[host, default: [:]][port, default: 0] += 1
            }
            return
        }
        if isLoopback(r.server, version: r.ipVersion) {
            loopback[host, default: [:]][port, default: 0] += 1
            return
        }
        if catalog.hasOutbound(t, r.serverPort) {
            var isDestination = false
            catalog.forEachOutbound(t, r.serverPort) { id in
                if catalog.hasDestination(id, r.server, version: r.ipVersion) { isDestination = true }
            }
            if isDestination { return }
        }
        if catalog.candidates(t, r.serverPort).isEmpty {
            uncatalogued[host, default: [:]][port, default: 0] += 1
        } else {
            served[host, default: [:]][port, default: 0] += 1
        }
    }

    func servedPort(_ k: PortKey, flows: Int) -> ServedPort {
        let t = Transport(rawValue: k.transport) ?? .tcp
        let c = catalog.candidates(t, k.port)
        var roles = RoleSet(), specific = RoleSet()
        var components: [String] = []
        let narrowest = c.isEmpty ? 0 : catalog.entries[Int(c[0])].width
        for id in c {
            let e = catalog.entries[Int(id)]
            roles = roles.union(catalog.entryRoles[Int(id)])
            if e.width == narrowest {
                specific = specific.union(catalog.entryRoles[Int(id)])
                if !components.contains(e.component) { components.append(e.component) }
            }
        }
        return ServedPort(transport: t, port: k.port, flows: flows, components: components, roles: roles,
                          specificRoles: specific)
    }

    static func order(_ a: HostKey, _ b: HostKey) -> Bool {
        if a.version != b.version { return a.version < b.version }
        return (a.address.high, a.address.low) < (b.address.high, b.address.low)
    }

    func ports(_ m: [PortKey: Int]) -> [ServedPort] {
        m.keys.sorted { ($0.transport, $0.port) < ($1.transport, $1.port) }.map { servedPort($0, flows: m[$0]!) }
    }

    public func finish() -> InventorySuggestion {
        let roleCount = catalog.roleNames.count
        struct Pending { var key: HostKey; var ports: [ServedPort]; var attemptsOnly: Bool }
        var pending = served.keys.map { Pending(key: $0, ports: ports(served[$0]!), attemptsOnly: false) }
        for (k, m) in attempted where served[k] == nil {
            pending.append(Pending(key: k, ports: ports(m), attemptsOnly: true))
        }
        pending.sort { Self.order($0.key, $1.key) }

        /// (specific ports, ports, flows) a role explains among `ports`.
        func score(_ r: Int, _ ports: [ServedPort]) -> (Int, Int, Int) {
            var s = 0, a = 0, f = 0
            for p in ports where p.roles.contains(r) {
                a += 1
                f += p.flows
                if p.specificRoles.contains(r) { s += 1 }
            }
            return (s, a, f)
        }
        // First pass without context: the best role of each host, to break ties in the second.
        var hostsPerRole = [Int](repeating: 0, count: roleCount)
        for h in pending {
            let scores = (0..<roleCount).map { score($0, h.ports) }
            guard let top = scores.max(by: { $0 < $1 }), top.1 > 0 else { continue }
            let tied = (0..<roleCount).filter { scores[$0] == top }
            if tied.count == 1 { hostsPerRole[tied[0]] += 1 }
        }

        var hosts: [SuggestedHost] = []
        for h in pending {
            var remaining = h.ports
            var chosen: [Int] = []
            var tiedWith: [Int] = []
            var firstSpecific = 0
            while true {
                let scores = (0..<roleCount).map { score($0, remaining) }
                guard let top = scores.max(by: { $0 < $1 }), top.1 > 0 else { break }
                var tied = (0..<roleCount).filter { scores[$0] == top && !chosen.contains($0) }
                guard !tied.isEmpty else { break }
                // Context, then catalog order.
                tied.sort { (-hostsPerRole[$0], $0) < (-hostsPerRole[$1], $1) }
                let pick = tied[0]
                if chosen.isEmpty {
                    firstSpecific = max(top.0, 1)
                } else if top.0 * 2 < firstSpecific {
                    break
                }
                chosen.append(pick)
                tiedWith += tied.dropFirst().filter { !tiedWith.contains($0) }
                remaining.removeAll { $0.roles.contains(pick) }
                if remaining.isEmpty { break }
            }
            let all = RoleSet(bits: chosen.reduce(UInt64(0)) { $0 | 1 << UInt64($1) })
            let unexplained = h.ports.filter { !$0.roles.intersects(all) }
            let specific = h.ports.filter { $0.specificRoles.intersects(all) }.count
            let confidence: SuggestionConfidence
            if !unexplained.isEmpty || specific == 0 || h.attemptsOnly {
                confidence = .low
            } else if specific >= 2 && tiedWith.isEmpty {
                confidence = .high
            } else {
                confidence = .medium
            }
            var list = h.attemptsOnly ? [] : h.ports
            if let other = uncatalogued[h.key] { list += ports(other) }
            hosts.append(SuggestedHost(address: h.key.address, version: h.key.version, roles: chosen,
                                       confidence: confidence, served: list, unexplained: unexplained,
                                       tiedWith: tiedWith, unanswered: h.attemptsOnly ? h.ports : []))
        }

        var networks: [IPNetwork] = []
        for h in hosts {
            let n = Self.network(around: h.address, version: h.version)
            if !networks.contains(n) { networks.append(n) }
        }
        var notProposed: [(address: IPAddress, version: UInt8, served: [ServedPort], reason: String)] = []
        for k in uncatalogued.keys.sorted(by: Self.order) where served[k] == nil {
            notProposed.append((k.address, k.version, ports(uncatalogued[k]!), "no catalog lists the ports it serves"))
        }
        for k in loopback.keys.sorted(by: Self.order) {
            notProposed.append((k.address, k.version, ports(loopback[k]!), "a loopback address (every host has it)"))
        }
        return InventorySuggestion(hosts: hosts, networks: networks, notProposed: notProposed,
                                   roleNames: catalog.roleNames)
    }

    /// The /24 (IPv4) or /64 (IPv6) holding an address: a guess at the cluster network, to edit.
    static func network(around a: IPAddress, version: UInt8) -> IPNetwork {
        if version == 4 {
            return IPNetwork(address: IPAddress(v4: a.v4Value & 0xFFFF_FF00), prefixLength: 24, version: 4)
        }
        return IPNetwork(address: IPAddress(high: a.high, low: 0), prefixLength: 64, version: 6)
    }
}

/// 127.0.0.0/8 and ::1.
func isLoopback(_ a: IPAddress, version: UInt8) -> Bool {
    version == 4 ? a.v4Value >> 24 == 127 : a.high == 0 && a.low == 1
}
