import PacketWire
import PortCatalog

extension FlowAnalyzer {
    /// Per inventory host (single addresses and CIDRs), the entries its roles serve, split into
    /// exercised (some flow with this host as server was attributed to the entry) and not.
    func coverage(_ flows: [FlowRecord]) -> [HostCoverage] {
        var acc = CoverageAccumulator(catalog: configuration.catalog)
        for i in flows.indices { acc.add(flows[i]) }
        return coverage(acc)
    }

    func outboundStatus(_ flows: [FlowRecord]) -> [OutboundStatus] {
        var acc = CoverageAccumulator(catalog: configuration.catalog)
        for i in flows.indices { acc.add(flows[i]) }
        return outboundStatus(acc)
    }

    func coverage(_ acc: CoverageAccumulator) -> [HostCoverage] {
        let inventory = configuration.inventory
        guard !inventory.isEmpty else { return [] }
        let catalog = configuration.catalog
        // Group inventory items by name (unnamed items stand alone).
        let groups = hostGroups { !$0.roles.isEmpty }
        // Each host looks up its addresses among the servers the flows exercised (a CIDR item
        // scans the distinct servers, not the flows).
        let byServer = acc.byServer
        var out: [HostCoverage] = []
        for g in groups {
            let bits = g.reduce(UInt64(0)) { $0 | $1.roles.bits }
            var used = Set<Int32>()
            for h in g {
                if h.network.isSingleHost {
                    if let e = byServer[ServerKey(address: h.address, version: h.version)] { used.formUnion(e) }
                } else {
                    let net = h.network
                    for (k, e) in byServer where net.contains(k.address, version: k.version) { used.formUnion(e) }
                }
            }
            var ex: [EntryRef] = [], un: [EntryRef] = []
            for (i, e) in catalog.entries.enumerated()
            where catalog.entryRoles[i].bits & bits != 0 && e.scope != .outbound && e.ports != nil {
                let ref = entryRef(Int32(i))
                if used.contains(Int32(i)) { ex.append(ref) } else { un.append(ref) }
            }
            let addrs = g.map(\.network.description)
            out.append(HostCoverage(name: g[0].name, address: addrs[0], addresses: addrs,
                                    roles: names(bits, catalog.roleNames), exercised: ex, unexercised: un))
        }
        return out
    }

    /// Per inventory host with a role that an outbound entry names (Dynatrace nodes → Mission
    /// Control): whether any flow from it to one of the entry's destinations was answered.
    func outboundStatus(_ acc: CoverageAccumulator) -> [OutboundStatus] {
        guard !configuration.inventory.isEmpty else { return [] }
        let catalog = configuration.catalog
        var out: [OutboundStatus] = []
        let toDestinations = acc.toDestinations
        for id in catalog.outboundEntries {
            let e = catalog.entries[Int(id)]
            let ref = entryRef(id)
            let entryBits = catalog.entryRoles[Int(id)].bits
            for g in hostGroups({ $0.roles.bits & entryBits != 0 }) {
                var attempts = 0
                var reached = false
                for f in toDestinations where f.proto == ref.proto
                    && g.contains(where: { $0.network.contains(f.client, version: f.ipVersion) })
                    && (e.ports?.contains(f.serverPort) ?? false)
                    && catalog.hasDestination(id, f.server, version: f.ipVersion) {
                    attempts += 1
                    if f.serverPackets > f.icmpErrors && !f.verdicts.contains(where: \.isBlocked) { reached = true }
                }
                out.append(OutboundStatus(name: g[0].name, address: g.map(\.network.description).joined(separator: ", "),
                                          entry: ref, reached: reached, attempts: attempts))
            }
        }
        return out
    }

    /// The inventory's hosts items that `keep` accepts, grouped by name (unnamed items stand alone),
    /// in inventory order.
    func hostGroups(_ keep: (InventoryHost) -> Bool) -> [[InventoryHost]] {
        var groups: [[InventoryHost]] = []
        var byName: [String: Int] = [:]
        for h in configuration.inventory.hosts where keep(h) {
            if let n = h.name, let g = byName[n] {
                groups[g].append(h)
            } else {
                if let n = h.name { byName[n] = groups.count }
                groups.append([h])
            }
        }
        return groups
    }

    /// Entry `id` named for reports.
    func entryRef(_ id: Int32) -> EntryRef {
        let catalog = configuration.catalog
        let e = catalog.entries[Int(id)]
        return EntryRef(entryID: id, catalogID: e.catalogID, component: e.component,
                        proto: e.transport == .tcp ? .tcp : .udp, ports: catalog.portTexts[Int(id)])
    }
}

/// Host coverage and outbound status gathered from flows that leave the analyzer before the
/// report (live: expired and evicted flows). Without it a port whose flows all expired would be
/// reported as never exercised.
public struct CoverageTally {
    var acc: CoverageAccumulator
    /// Nothing to gather without an inventory: coverage is per inventory host.
    let rolesKnown: Bool

    public init(configuration: AnalyzerConfiguration) {
        acc = CoverageAccumulator(catalog: configuration.catalog)
        rolesKnown = !configuration.inventory.isEmpty
    }

    public mutating func add(_ f: FlowRecord) {
        if rolesKnown { acc.add(f) }
    }
}

extension FlowAnalyzer {
    /// `snapshot`'s hosts and outbound status recomputed over the flows `tally` gathered plus
    /// `flows` (the active ones).
    public func coverage(_ tally: CoverageTally, plus flows: [FlowRecord]) -> (hosts: [HostCoverage], outbound: [OutboundStatus]) {
        var acc = tally.acc
        if tally.rolesKnown { for i in flows.indices { acc.add(flows[i]) } }
        return (coverage(acc), outboundStatus(acc))
    }
}

/// A server address of some flow.
struct ServerKey: Hashable {
    var address: IPAddress
    var version: UInt8
}

/// What host coverage and outbound status need from the flows, gathered one flow at a time: the
/// entries each server exercised, and the (few) flows to an outbound destination.
struct CoverageAccumulator {
    let catalog: CompiledCatalog
    var byServer: [ServerKey: Set<Int32>] = [:]
    var toDestinations: [FlowRecord] = []

    init(catalog: CompiledCatalog) { self.catalog = catalog }

    func toOutboundDestination(_ server: IPAddress, version: UInt8) -> Bool {
        catalog.outboundEntries.contains { catalog.hasDestination($0, server, version: version) }
    }

    mutating func add(_ f: FlowRecord) {
        if f.entryID >= 0 { byServer[ServerKey(address: f.server, version: f.ipVersion), default: []].insert(f.entryID) }
        if toOutboundDestination(f.server, version: f.ipVersion) { toDestinations.append(f) }
    }

    /// The same from a summary: the record is built only for a flow to an outbound destination.
    mutating func add(_ f: FlowSummary, record: () -> FlowRecord) {
        if f.entryID >= 0 { byServer[ServerKey(address: f.server, version: f.ipVersion), default: []].insert(f.entryID) }
        if toOutboundDestination(f.server, version: f.ipVersion) { toDestinations.append(record()) }
    }
}
