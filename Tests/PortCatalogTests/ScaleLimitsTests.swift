import Testing
@testable import PortCatalog
import PacketWire

// Issue 14, finding 7: checking 100,000 roles was quadratic (each new name compared with every
// earlier one), and 60,000 inventory CIDRs re-sorted the ranges on every insert. Both are now
// linear or n·log n: each bound below is more than five times what the check takes in a debug
// build on a loaded machine, and a small fraction of what the old code took.

@Suite struct ScaleLimitsTests {
    @Test func hundredThousandRolesParseInLinearTime() throws {
        var y = "id: big\nroles:\n"
        for r in 0..<100_000 { y += "  - r\(r)\n" }
        y += "components:\n  - name: c\nentries:\n"
        for i in 0..<1_000 { y += "  - {component: c, protocol: tcp, port: \(i + 1), roles: [r\(i * 97)]}\n" }
        let clock = ContinuousClock()
        var parsed: Catalog?
        let t = try clock.measure { parsed = try Catalog.parse(yaml: y, file: "big.yaml") }
        #expect(parsed?.roles.count == 100_000)
        #expect(t < .seconds(20), "100,000 roles took \(t)")
        // And the catalog is refused as analyze refuses it.
        #expect(throws: CatalogError.self) { _ = try CompiledCatalog.compile([parsed!]) }
    }

    @Test func sixtyThousandInventoryCIDRsLoadInNLogNTime() throws {
        let catalog = try CompiledCatalog.builtIn()
        var y = "networks:\n"
        for i in 0..<10_000 { y += "  - 10.\(i / 256).\(i % 256).0/24\n" }
        y += "hosts:\n"
        for i in 0..<60_000 {
            y += "  - {address: 11.\((i >> 8) & 255).\(i & 255).0/\(24 + i % 5), roles: [dcos-agent]}\n"
        }
        let clock = ContinuousClock()
        var inv: Inventory?
        let t = try clock.measure { inv = try Inventory.parse(yaml: y, file: "big.yaml", catalog: catalog) }
        #expect(inv?.hosts.count == 60_000 && inv?.networks.count == 10_000)
        #expect(t < .seconds(60), "parsing 60,000 CIDRs took \(t)")
        // Without the YAML: the inserts and the duplicate checks alone.
        let built = clock.measure { _ = Inventory(hosts: inv!.hosts, networks: inv!.networks + inv!.networks) }
        #expect(built < .seconds(3), "adding 60,000 CIDRs and 20,000 networks took \(built)")
        // Longest prefix first, file order on ties, as one insert at a time would give.
        var one = Inventory()
        for h in inv!.hosts.prefix(3_000) { one.addHost(h) }
        let batch = Inventory(hosts: Array(inv!.hosts.prefix(3_000)))
        #expect(one.ranges.map(\.network) == batch.ranges.map(\.network))
        let bits = batch.ranges.map { Int(IPNetwork.bits($0.network.prefixLength, version: $0.network.version)) }
        #expect(bits == bits.sorted(by: >))
    }
}
