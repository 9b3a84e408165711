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
        (slots, lists) = CompiledClassifier.candidateLists(compiled)
    }

    /// The compiled candidates then the outbound entries of the port (Transport, port) → index
    /// into `lists`; consecutive ports with the same list share it. Built once: a flow's
    /// classification then never builds an array.
    let slots: [UInt32]
    let lists: [[Int32]]

    public func candidateIDs(_ proto: IPProtocol, _ port: UInt16) -> [Int32] {
        guard let t = Transport(proto) else { return [] }
        return lists[Int(slots[Int(t.rawValue) << 16 | Int(port)])]
    }

    static func candidateLists(_ compiled: CompiledCatalog) -> ([UInt32], [[Int32]]) {
        var slots = [UInt32](repeating: 0, count: 2 << 16)
        var lists: [[Int32]] = [[]]
        for t in [Transport.tcp, Transport.udp] {
            let outbound = compiled.outboundEntries.filter { compiled.entries[Int($0)].transport == t }
            var prev: [Int32] = []
            var prevSlot: UInt32 = 0
            for port in 0...Int(UInt16.max) {
                let p = UInt16(port)
                let c = compiled.candidates(t, p)
                // Same list as the previous port? (compared in place, no array made)
                var n = 0
                var same = true
                for id in c {
                    if n >= prev.count || prev[n] != id { same = false; break }
                    n += 1
                }
                if same {
                    for id in outbound where compiled.entries[Int(id)].ports?.contains(p) ?? false {
                        if n >= prev.count || prev[n] != id { same = false; break }
                        n += 1
                    }
                }
                if !same || n != prev.count {
                    var ids = Array(c)
                    for id in outbound where compiled.entries[Int(id)].ports?.contains(p) ?? false { ids.append(id) }
                    if ids.isEmpty {
                        prevSlot = 0
                    } else {
                        prevSlot = UInt32(lists.count)
                        lists.append(ids)
                    }
                    prev = ids
                }
                slots[Int(t.rawValue) << 16 | port] = prevSlot
            }
        }
        return (slots, lists)
    }

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
