import PacketWire

/// One `hosts` item of an inventory (or one address of a `--role` flag).
public struct InventoryHost: Sendable, Hashable {
    public var name: String?
    /// Host address, or network address when `prefixLength` is shorter than the address.
    public var address: IPAddress
    public var prefixLength: UInt8
    public var version: UInt8
    public var roles: RoleSet

    public init(name: String? = nil, address: IPAddress, prefixLength: UInt8, version: UInt8, roles: RoleSet) {
        self.name = name
        self.address = address
        self.prefixLength = prefixLength
        self.version = version
        self.roles = roles
    }

    public var network: IPNetwork { IPNetwork(address: address, prefixLength: prefixLength, version: version) }
}

/// Which addresses are which: host addresses and CIDRs with their roles, and the cluster's networks.
///
/// An address has every role of every hosts item that contains it (an exact address and a CIDR
/// combine). It is in the cluster when a declared network or a hosts item contains it; without
/// declared networks the cluster is exactly the hosts the inventory names.
public struct Inventory: Sendable {
    public private(set) var hosts: [InventoryHost] = []
    /// The cluster's declared networks (optional).
    public private(set) var networks: [IPNetwork] = []

    @usableFromInline struct Key: Hashable, Sendable {
        @usableFromInline var address: IPAddress
        @usableFromInline var version: UInt8
        @inlinable init(_ address: IPAddress, _ version: UInt8) { self.address = address; self.version = version }
    }
    /// Single-address hosts: merged roles and the first name given.
    @usableFromInline var exact: [Key: (roles: RoleSet, name: String?)] = [:]
    @usableFromInline struct Range: Sendable {
        @usableFromInline var network: IPNetwork
        @usableFromInline var roles: RoleSet
        @usableFromInline var name: String?
    }
    /// CIDR hosts, longest prefix first.
    @usableFromInline var ranges: [Range] = []

    /// An empty inventory: roles unknown, nothing known to be inside or outside.
    public init() {}

    /// An inventory made in code (tests, tools): `hosts` and `networks` added in order.
    public init(hosts: [InventoryHost], networks: [IPNetwork] = []) {
        for h in hosts { append(h) }
        sortRanges()
        for n in networks { addNetwork(n) }
    }

    public var isEmpty: Bool { hosts.isEmpty && networks.isEmpty }

    /// Roles of the host with this address (empty when unknown). No allocation.
    @inlinable public func roles(of a: IPAddress, version: UInt8) -> RoleSet {
        var r = exact[Key(a, version)]?.roles ?? RoleSet()
        for h in ranges where h.network.contains(a, version: version) { r.bits |= h.roles.bits }
        return r
    }

    /// The name of the host with this address: an exact entry's, else the narrowest named CIDR's.
    public func hostName(of a: IPAddress, version: UInt8) -> String? {
        if let n = exact[Key(a, version)]?.name { return n }
        for h in ranges where h.name != nil && h.network.contains(a, version: version) { return h.name }
        return nil
    }

    /// Inside a declared network or named by a hosts item. False for an empty inventory: check
    /// `isEmpty` before claiming anything is outside.
    @inlinable public func isInCluster(_ a: IPAddress, version: UInt8) -> Bool {
        if exact[Key(a, version)] != nil { return true }
        for h in ranges where h.network.contains(a, version: version) { return true }
        for n in networks where n.contains(a, version: version) { return true }
        return false
    }

    public mutating func addHost(_ host: InventoryHost) {
        append(host)
        guard let last = ranges.last, !host.network.isSingleHost else { return }
        // Into place: after every range at least as long (insertion order on ties).
        let key = Self.bits(last)
        var low = 0, high = ranges.count - 1
        while low < high {
            let mid = (low + high) / 2
            if Self.bits(ranges[mid]) >= key { low = mid + 1 } else { high = mid }
        }
        if low < ranges.count - 1 { ranges.insert(ranges.removeLast(), at: low) }
    }

    /// Adds a host without ordering `ranges`: a whole file is added, then sorted once.
    mutating func append(_ host: InventoryHost) {
        hosts.append(host)
        let net = host.network
        if net.isSingleHost {
            let k = Key(net.address, host.version)
            var v = exact[k] ?? (RoleSet(), nil)
            v.roles.bits |= host.roles.bits
            if v.name == nil { v.name = host.name }
            exact[k] = v
        } else {
            ranges.append(Range(network: net, roles: host.roles, name: host.name))
        }
    }

    static func bits(_ r: Range) -> Int { Int(IPNetwork.bits(r.network.prefixLength, version: r.network.version)) }

    /// Longest prefix first, insertion order on ties.
    mutating func sortRanges() {
        ranges = ranges.indices.sorted { a, b in
            let x = Self.bits(ranges[a]), y = Self.bits(ranges[b])
            return x != y ? x > y : a < b
        }.map { ranges[$0] }
    }

    /// The declared networks, for the duplicate check.
    var networkSet: Set<IPNetwork> = []

    public mutating func addNetwork(_ network: IPNetwork) {
        if networkSet.insert(network).inserted { networks.append(network) }
    }

    /// Adds `ROLE=ADDR[,ADDR|CIDR…]` (the `--role` flag). Repeatable; combines with a file.
    public mutating func addRole(_ spec: String, catalog: CompiledCatalog) throws(CatalogError) {
        guard let eq = spec.firstIndex(of: "=") else {
            throw CatalogError("--role \(spec): expected ROLE=ADDR[,ADDR|CIDR…]")
        }
        let role = String(spec[..<eq]).trimmingSpaces
        guard let index = catalog.roleIndex(role) else {
            throw CatalogError("--role \(spec): unknown role '\(role)' (known: \(catalog.roleNames.joined(separator: ", ")))")
        }
        let list = spec[spec.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard !list.isEmpty, !list.contains(where: \.isEmpty) else {
            throw CatalogError("--role \(spec): no address after '='")
        }
        var roles = RoleSet()
        roles.insert(index)
        var add: [InventoryHost] = []
        for text in list {
            switch IPNetwork.parseChecked(text) {
            case .success(let n):
                add.append(InventoryHost(address: n.address, prefixLength: n.prefixLength, version: n.version, roles: roles))
            case .failure(let e):
                throw CatalogError("--role \(spec): \(e.message)")
            }
        }
        for h in add { addHost(h) }
    }

    /// Loads an inventory file (README.md, "Port catalogs and inventories"); roles must be roles of `catalog`.
    public static func load(path: String, catalog: CompiledCatalog) throws(CatalogError) -> Inventory {
        try parse(yaml: try Catalog.readText(path), file: path, catalog: catalog)
    }

    /// Whether YAML text reads as an inventory rather than a catalog: a top-level mapping with
    /// `hosts` or `networks` and no `entries` (used by `portolan catalog validate`).
    public static func looksLikeInventory(yaml: String) -> Bool {
        guard let root = try? YAMLReader(file: "").compose(yaml), let map = root.mapping else { return false }
        let keys = map.keys.compactMap { $0.scalar?.string }
        return !keys.contains("entries") && (keys.contains("hosts") || keys.contains("networks"))
    }

    public static func parse(yaml: String, file: String, catalog: CompiledCatalog) throws(CatalogError) -> Inventory {
        let r = YAMLReader(file: file)
        var inv = Inventory()
        // An empty inventory would silently leave every role unknown: say so instead.
        let empty = "the inventory names no hosts and no networks (leave out --inventory to analyse without roles)"
        guard let root = try r.compose(yaml) else { throw CatalogError(file: file, line: 1, column: 1, empty) }
        let top = try r.mapping(root, "the inventory", allowed: ["networks", "hosts"])
        if let n = top["networks"] {
            for item in try r.list(n.value, "networks") {
                let text = try r.string(item, "a network")
                switch IPNetwork.parseChecked(text) {
                case .success(let net): inv.addNetwork(net)
                case .failure(let e): throw r.error(item, e.message)
                }
            }
        }
        if let h = top["hosts"] {
            for item in try r.list(h.value, "hosts") {
                let m = try r.mapping(item, "a host", allowed: ["address", "name", "roles"])
                let addrNode = try r.required(m, "address", in: "a host", at: item)
                let text = try r.string(addrNode, "address")
                let net: IPNetwork
                switch IPNetwork.parseChecked(text) {
                case .success(let n): net = n
                case .failure(let e): throw r.error(addrNode, e.message)
                }
                var roles = RoleSet()
                if let rn = m["roles"], !r.isNull(rn.value) {
                    let items = rn.value.scalar != nil ? [rn.value] : try r.list(rn.value, "roles")
                    for node in items {
                        let name = try r.string(node, "role")
                        guard let i = catalog.roleIndex(name) else {
                            throw r.error(node, "unknown role '\(name)' (known: \(catalog.roleNames.joined(separator: ", ")))")
                        }
                        roles.insert(i)
                    }
                }
                let name = try r.optionalString(m["name"], "name")
                inv.append(InventoryHost(name: name, address: net.address, prefixLength: net.prefixLength,
                                         version: net.version, roles: roles))
            }
            inv.sortRanges()
        }
        if inv.hosts.isEmpty && inv.networks.isEmpty { throw r.error(root, empty) }
        return inv
    }
}
