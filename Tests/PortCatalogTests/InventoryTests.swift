import Testing
@testable import PortCatalog
import PacketWire

let sampleInventory = """
    networks:            # the cluster's networks
      - 10.10.0.0/24
      - fd00:10::/64
    hosts:
      - address: 10.10.0.11
        name: master-1
        roles: [dcos-master]
      - address: 10.10.0.32/28      # a CIDR is allowed
        roles: [dcos-agent]
      - address: fd00:10::21
        name: dt-1
        roles: dynatrace-node
      - address: 192.168.7.5
        name: outside-the-networks
        roles: [dcos-agent, dynatrace-node]

    """

func addr(_ s: String) -> (IPAddress, UInt8) {
    let p = IPAddress.parse(s)!
    return (p.address, p.version)
}

func expectInventoryError(_ yaml: String, at token: String, plus: Int = 0, _ message: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let c = try CompiledCatalog.builtIn()
    do {
        _ = try Inventory.parse(yaml: yaml, file: "inv.yaml", catalog: c)
        Issue.record("no error", sourceLocation: sourceLocation)
    } catch {
        var want = position(of: token, in: yaml)
        want.column += plus
        #expect(error.description.hasPrefix("inv.yaml:\(want.line):\(want.column): "), "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct InventoryTests {
    @Test func rolesNamesAndMembership() throws {
        let c = try CompiledCatalog.builtIn()
        let inv = try Inventory.parse(yaml: sampleInventory, file: "inv.yaml", catalog: c)
        #expect(inv.hosts.count == 4 && inv.networks.count == 2 && !inv.isEmpty)
        func roles(_ s: String) -> [String] { let (a, v) = addr(s); return c.roleNames(of: inv.roles(of: a, version: v)) }
        func inside(_ s: String) -> Bool { let (a, v) = addr(s); return inv.isInCluster(a, version: v) }
        func name(_ s: String) -> String? { let (a, v) = addr(s); return inv.hostName(of: a, version: v) }
        #expect(roles("10.10.0.11") == ["dcos-master"])
        #expect(roles("10.10.0.32") == ["dcos-agent"] && roles("10.10.0.47") == ["dcos-agent"])
        #expect(roles("10.10.0.48").isEmpty && roles("10.10.0.31").isEmpty)
        #expect(roles("fd00:10::21") == ["dynatrace-node"])
        #expect(roles("192.168.7.5") == ["dcos-agent", "dynatrace-node"])
        #expect(name("10.10.0.11") == "master-1" && name("fd00:10::21") == "dt-1" && name("10.10.0.33") == nil)
        #expect(inside("10.10.0.200") && inside("fd00:10::ffff") && inside("192.168.7.5"))
        #expect(!inside("10.10.1.1") && !inside("8.8.8.8") && !inside("fd00:11::1"))
        // IPv4 and IPv6 stay apart: ::ffff:10.10.0.11 written as IPv6 is not the IPv4 host.
        let mapped = IPAddress.parse("::ffff:10.10.0.11")!
        #expect(inv.roles(of: mapped.address, version: 6).isEmpty)
    }

    @Test func anEmptyInventoryIsAnError() throws {
        let c = try CompiledCatalog.builtIn()
        for (yaml, line) in [("", 1), ("# nothing yet\n", 1), ("hosts: []\nnetworks: []\n", 1), ("\nhosts:\n", 2)] {
            do {
                _ = try Inventory.parse(yaml: yaml, file: "inv.yaml", catalog: c)
                Issue.record("no error for \(yaml.debugDescription)")
            } catch {
                #expect(error.description.hasPrefix("inv.yaml:\(line):"), "\(error)")
                #expect(error.message.contains("no hosts and no networks"), "\(error)")
            }
        }
    }

    @Test func withoutNetworksTheClusterIsTheHosts() throws {
        let c = try CompiledCatalog.builtIn()
        let inv = try Inventory.parse(yaml: "hosts:\n  - address: 10.0.0.1\n    roles: [dcos-master]\n  - address: 10.0.1.0/30\n",
                                      file: "inv.yaml", catalog: c)
        let (a, v) = addr("10.0.0.1"), (b, _) = addr("10.0.0.2"), (d, _) = addr("10.0.1.3")
        #expect(inv.isInCluster(a, version: v) && !inv.isInCluster(b, version: v) && inv.isInCluster(d, version: v))
        #expect(inv.roles(of: d, version: v).isEmpty)  // a host may have no roles
    }

    @Test func roleFlagsCombineWithTheFile() throws {
        let c = try CompiledCatalog.builtIn()
        var inv = try Inventory.parse(yaml: sampleInventory, file: "inv.yaml", catalog: c)
        try inv.addRole("dynatrace-node=10.10.0.11,10.20.0.0/16, 2001:db8::1", catalog: c)
        let (m, v4) = addr("10.10.0.11"), (x, _) = addr("10.20.3.4"), (six, v6) = addr("2001:db8::1")
        #expect(c.roleNames(of: inv.roles(of: m, version: v4)) == ["dcos-master", "dynatrace-node"])
        #expect(c.roleNames(of: inv.roles(of: x, version: v4)) == ["dynatrace-node"])
        #expect(c.roleNames(of: inv.roles(of: six, version: v6)) == ["dynatrace-node"])
        #expect(inv.hostName(of: m, version: v4) == "master-1")

        var empty = Inventory()
        #expect(empty.isEmpty && !empty.isInCluster(m, version: v4))
        try empty.addRole("dcos-master=10.0.0.1", catalog: c)
        #expect(!empty.isEmpty)
    }

    @Test(arguments: [
        ("dcos-mastr=10.0.0.1", "unknown role 'dcos-mastr'"),
        ("dcos-master", "expected ROLE=ADDR"),
        ("dcos-master=", "no address"),
        ("dcos-master=10.0.0.1,,10.0.0.2", "no address"),
        ("dcos-master=10.0.0.256", "bad address '10.0.0.256'"),
        ("dcos-master=10.0.0.0/33", "bad CIDR '10.0.0.0/33'"),
        ("dcos-master=10.0.0.1/24", "host bits set"),
        ("dcos-master=fd00::/129", "prefix length must be 0-128"),
    ])
    func badRoleFlags(_ spec: String, _ message: String) throws {
        let c = try CompiledCatalog.builtIn()
        var inv = Inventory()
        #expect { try inv.addRole(spec, catalog: c) } throws: { error in
            let e = error as! CatalogError
            return e.message.contains(message) && e.message.hasPrefix("--role \(spec):")
        }
        #expect(inv.isEmpty)  // nothing half-added
    }

    @Test func badInventories() throws {
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "10.10.0.0/24", with: "10.10.0.0/40"),
                                 at: "10.10.0.0/40", "bad CIDR '10.10.0.0/40'")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "10.10.0.32/28", with: "10.10.0.33/28"),
                                 at: "10.10.0.33/28", "host bits set beyond /28 (did you mean 10.10.0.32/28?)")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "address: 10.10.0.11", with: "address: 10.10.0.311"),
                                 at: "10.10.0.311", "bad address")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "roles: [dcos-master]", with: "roles: [dcos-mastr]"),
                                 at: "dcos-mastr", "unknown role 'dcos-mastr'")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "    name: dt-1", with: "    nmae: dt-1"),
                                 at: "nmae", "unknown key 'nmae' in a host")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "networks:", with: "network:"),
                                 at: "network:", "unknown key 'network' in the inventory")
        try expectInventoryError(sampleInventory.replacingOccurrences(of: "  - address: 10.10.0.11\n    name: master-1\n", with: "  - name: master-1\n"),
                                 at: "name: master-1", "a host needs 'address'")
    }

    @Test func inventoryRolesCanComeFromAUserCatalog() throws {
        let shop = try Catalog.parse(yaml: goodCatalog, file: "shop.yaml")
        let c = CompiledCatalog([shop])
        let inv = try Inventory.parse(yaml: "hosts:\n  - address: 10.0.0.1\n    roles: [web]\n", file: "i.yaml", catalog: c)
        let (a, v) = addr("10.0.0.1")
        #expect(c.roleNames(of: inv.roles(of: a, version: v)) == ["web"])
        #expect(throws: CatalogError.self) {
            try Inventory.parse(yaml: "hosts:\n  - address: 10.0.0.1\n    roles: [dcos-master]\n", file: "i.yaml", catalog: c)
        }
    }

    @Test func detectsInventoryByContent() {
        #expect(Inventory.looksLikeInventory(yaml: sampleInventory))
        #expect(Inventory.looksLikeInventory(yaml: "networks: [10.0.0.0/8]\n"))
        #expect(!Inventory.looksLikeInventory(yaml: goodCatalog))
        #expect(!Inventory.looksLikeInventory(yaml: "hosts: [\n"))
    }

    @Test func networksParse() {
        #expect(IPNetwork.parse("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork.parse("fd00:10::/64")?.description == "fd00:10::/64")
        #expect(IPNetwork.parse("10.0.0.1")?.isSingleHost == true)
        #expect(IPNetwork.parse("0.0.0.0/0")?.contains(IPAddress(v4: 0x0808_0808), version: 4) == true)
        #expect(IPNetwork.parse("::/0")?.contains(IPAddress(v4: 0x0808_0808), version: 4) == false)
        #expect(IPNetwork.parse("10.0.0.0/") == nil && IPNetwork.parse("10.0.0.0/8/8") == nil && IPNetwork.parse("x") == nil)
    }
}

/// What the analyzer reads from a compiled catalog besides the port tables: outbound entries by
/// port, their parsed destinations, and the port texts; catalogs and inventories made in code.
@Suite struct CompiledFactsTests {
    @Test func outboundEntriesAndDestinations() {
        let catalog = CompiledCatalog([Catalog(id: "t", roleNames: ["web"], entries: [
            CatalogEntry(catalogID: "t", component: "Web", transport: .tcp, ports: 443...443, roles: ["web"]),
            CatalogEntry(catalogID: "t", component: "Upstream", transport: .tcp, ports: 443...443, roles: ["web"],
                         scope: .outbound, destinations: ["upstream.example", "192.0.2.0/24", "2001:db8::1"]),
            CatalogEntry(catalogID: "t", component: "Tasks", transport: .udp, ports: 8000...8010, roles: ["web"]),
        ])])
        #expect(catalog.portTexts == ["443", "443", "8000-8010"])
        #expect(catalog.outboundEntries == [1])
        var seen: [Int32] = []
        catalog.forEachOutbound(.tcp, 443) { seen.append($0) }
        catalog.forEachOutbound(.udp, 443) { seen.append($0) }
        catalog.forEachOutbound(.tcp, 444) { seen.append($0) }
        #expect(seen == [1])
        #expect(catalog.hasOutbound(.tcp, 443) && !catalog.hasOutbound(.udp, 443) && !catalog.hasOutbound(.tcp, 444))
        // Outbound entries stay out of the served candidates.
        #expect(Array(catalog.candidates(.tcp, 443)) == [0])
        let (inside, v4) = IPAddress.parse("192.0.2.77")!
        let (outside, _) = IPAddress.parse("198.51.100.1")!
        let (six, v6) = IPAddress.parse("2001:db8::1")!
        #expect(catalog.hasDestination(1, inside, version: v4))
        #expect(!catalog.hasDestination(1, outside, version: v4))
        #expect(catalog.hasDestination(1, six, version: v6))
        #expect(!catalog.hasDestination(0, inside, version: v4))
    }

    @Test func inventoryFromCode() {
        let (a, v) = IPAddress.parse("10.1.0.5")!
        let (net, _) = IPAddress.parse("10.1.0.0")!
        let inv = Inventory(hosts: [InventoryHost(name: "h", address: a, prefixLength: 32, version: v, roles: RoleSet(bits: 1))],
                            networks: [IPNetwork(address: net, prefixLength: 16, version: v)])
        #expect(inv.roles(of: a, version: v).bits == 1)
        #expect(inv.hostName(of: a, version: v) == "h")
        #expect(inv.isInCluster(IPAddress.parse("10.1.9.9")!.address, version: v))
        #expect(!inv.isEmpty && Inventory().isEmpty)
    }
}
