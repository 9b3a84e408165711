import Testing
@testable import PortCatalog

/// A synthetic catalog of `count` entries over 8 roles: mostly single ports, every tenth a range,
/// alternating TCP/UDP, no duplicates.
func syntheticCatalogYAML(count: Int) -> String {
    var s = "id: synthetic\ntitle: Synthetic \(count)\nroles:\n"
    for r in 0..<8 { s += "  - name: r\(r)\n" }
    s += "components:\n"
    for c in 0..<100 { s += "  - name: c\(c)\n" }
    s += "entries:\n"
    for i in 0..<count {
        let proto = i % 2 == 0 ? "tcp" : "udp"
        let port: String
        if i % 10 == 0 {
            let low = (i * 7) % 60_000 + 1
            port = "\(low)-\(low + i % 500 + 1)"
        } else {
            port = "\((i * 13) % 65_535 + 1)"
        }
        s += "  - {component: c\(i % 100), protocol: \(proto), port: \(port), roles: [r\(i % 8)]}\n"
    }
    return s
}

/// Reference answer by brute force, per role: the narrowest entry serving it, first on ties.
func bruteBest(_ c: CompiledCatalog, _ t: Transport, _ port: UInt16) -> [Int32] {
    var best = [Int32](repeating: -1, count: c.roleNames.count)
    for (i, e) in c.entries.enumerated() where e.transport == t && e.scope != .outbound {
        guard let p = e.ports, p.contains(port) else { continue }
        for role in c.entryRoles[i].indices where best[role] < 0 || e.width < c.entries[Int(best[role])].width {
            best[role] = Int32(i)
        }
    }
    return best
}

@Suite struct ScaleTests {
    @Test func tenThousandEntriesCompileAndLookUpInConstantTime() throws {
        let clock = ContinuousClock()
        let yaml = syntheticCatalogYAML(count: 10_000)
        var big: CompiledCatalog!
        let compileTime = try clock.measure {
            big = CompiledCatalog([try Catalog.parse(yaml: yaml, file: "synthetic.yaml")])
        }
        #expect(big.entries.count == 10_000)
        #expect(compileTime < .seconds(60), "parse + compile took \(compileTime)")

        // Correct against brute force on a spread of ports and every role.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let port = UInt16.random(in: 1...65535, using: &rng)
            let t: Transport = Bool.random(using: &rng) ? .tcp : .udp
            let want = bruteBest(big, t, port)
            for role in 0..<8 {
                var rs = RoleSet()
                rs.insert(role)
                #expect(big.best(t, port, roles: rs) == want[role], "\(t.name)/\(port) r\(role)")
            }
            let list = big.candidates(t, port)
            let widths = list.map { big.entries[Int($0)].width }
            #expect(widths == widths.sorted(), "candidates of \(t.name)/\(port) not most specific first")
        }

        // Same cost per lookup as the two small built-in catalogs (generous bound: shared CI cores).
        let small = try CompiledCatalog.builtIn()
        func run(_ c: CompiledCatalog) -> (Duration, Int64) {
            var sum: Int64 = 0
            var port: UInt16 = 1
            var roles = RoleSet()
            roles.insert(1)
            let d = clock.measure {
                for i in 0..<400_000 {
                    port = port &* 25_173 &+ 13_849  // LCG over all 16-bit ports
                    let t: Transport = i & 1 == 0 ? .tcp : .udp
                    sum &+= Int64(c.best(t, port, roles: roles)) &+ Int64(c.candidates(t, port).count)
                }
            }
            return (d, sum)
        }
        _ = run(small)  // warm up
        let (smallTime, _) = run(small)
        let (bigTime, checksum) = run(big)
        #expect(checksum != 0)
        let ratio = Double(bigTime.components.attoseconds / 1_000_000_000 + bigTime.components.seconds * 1_000_000_000)
            / Double(max(1, smallTime.components.attoseconds / 1_000_000_000 + smallTime.components.seconds * 1_000_000_000))
        #expect(ratio < 4, "10,000-entry lookups took \(bigTime) vs \(smallTime) for the built-ins (×\(ratio))")
    }
}
