import PacketWire
import PortCatalog

/// The compiled port catalog seen through `PortClassifying`. Entry ids are the compiled catalog's.
/// Outbound entries (which the compiled tables leave out: no host serves them) are appended to
/// the candidates of their ports so that a flow to a listed destination is attributed to them.
public struct CompiledClassifier: PortClassifying {
    public let compiled: CompiledCatalog
    public let entryInfos: [EntryInfo]
    public let roleNameList: [String]
    public let overlayPorts: [UInt16]

    public init(_ compiled: CompiledCatalog) {
        self.compiled = compiled
        roleNameList = compiled.roleNames
        outbound = compiled.outboundEntries.compactMap { id in
            let e = compiled.entries[Int(id)]
            return e.ports.map { (id, e.transport, $0) }
        }
        overlayPorts = compiled.overlayUDPPorts
        entryInfos = compiled.entries.enumerated().map { i, e in
            let scope: EntryScope
            switch e.scope {
            case .any: scope = .any
            case .cluster: scope = .cluster
            case .outbound: scope = .outbound
            }
            return EntryInfo(catalogID: e.catalogID, component: e.component, proto: e.transport == .tcp ? .tcp : .udp,
                             ports: e.ports, roleBits: compiled.entryRoles[i].bits, scope: scope,
                             destinations: e.destinations, overlay: e.overlay)
        }
    }

    public func candidateIDs(_ proto: IPProtocol, _ port: UInt16) -> [Int32] {
        var ids: [Int32] = []
        forEachCandidate(proto, port) { ids.append($0) }
        return ids
    }

    /// The compiled candidates (an allocation-free view), then the outbound entries of the port.
    public func forEachCandidate(_ proto: IPProtocol, _ port: UInt16, _ body: (Int32) -> Void) {
        guard let t = Transport(proto) else { return }
        for id in compiled.candidates(t, port) { body(id) }
        for o in outbound where o.transport == t && o.ports.contains(port) { body(o.id) }
    }

    /// The outbound entries with ports, as plain values (a `CatalogEntry` copy retains its strings).
    let outbound: [(id: Int32, transport: Transport, ports: ClosedRange<UInt16>)]

    public func hasCandidates(_ proto: IPProtocol, _ port: UInt16) -> Bool {
        guard let t = Transport(proto) else { return false }
        return compiled.candidates(t, port).count > 0
    }
}

/// The inventory seen through `RoleResolving`.
public struct InventoryRoles: RoleResolving {
    public let inventory: Inventory
    public let hostInfos: [HostInfo]

    public init(_ inventory: Inventory) {
        self.inventory = inventory
        hostInfos = inventory.hosts.map {
            HostInfo(name: $0.name, address: $0.address, prefixLength: $0.prefixLength, version: $0.version,
                     roleBits: $0.roles.bits)
        }
    }

    public var isUnknown: Bool { inventory.isEmpty }
    public func roleBits(of address: IPAddress, version: UInt8) -> UInt64 { inventory.roles(of: address, version: version).bits }
    public func name(of address: IPAddress, version: UInt8) -> String? { inventory.hostName(of: address, version: version) }
    public func inCluster(_ address: IPAddress, version: UInt8) -> Bool { inventory.isInCluster(address, version: version) }
}

extension AnalyzerConfiguration {
    /// The configuration of CONTRACTS.md: the compiled catalogs and the inventory (empty: roles unknown).
    public init(catalog: CompiledCatalog, inventory: Inventory = Inventory(), vlanInKey: Bool = true,
                idleTimeoutNanos: Int64? = nil, closedLingerNanos: Int64 = 5_000_000_000, maxFlows: Int = 0,
                initialCapacity: Int = 4096) {
        self.init(classifier: CompiledClassifier(catalog), roles: InventoryRoles(inventory), vlanInKey: vlanInKey,
                  idleTimeoutNanos: idleTimeoutNanos, closedLingerNanos: closedLingerNanos, maxFlows: maxFlows,
                  initialCapacity: initialCapacity)
    }

    /// The compiled catalog, when the configuration was made from one.
    public var catalog: CompiledCatalog? { (classifier as? CompiledClassifier)?.compiled }
    /// The inventory, when the configuration was made from one.
    public var inventory: Inventory? { (roles as? InventoryRoles)?.inventory }
}
