import Testing
@testable import PortCatalog

/// The port tables as the port-by-port walk built them before the walk went run by run
/// (issue 12, start-up): every port of both transports visited, a segment opened at each port
/// where an entry starts or just after one ends, the best entry per role kept per port. The
/// compiled tables must be these, array for array (the best entries read back per port).
private func portWalkTables(_ c: CompiledCatalog)
    -> (segment: [UInt32], starts: [UInt32], ids: [Int32], best: [Int32]) {
    let entries = c.entries
    let R = c.roleCount
    let served = entries.indices.filter { entries[$0].ports != nil && entries[$0].scope != .outbound }
    var segment = [UInt32](repeating: 0, count: 2 << 16)
    var starts: [UInt32] = [0, 0]
    var ids: [Int32] = []
    var best = [Int32](repeating: -1, count: 2 * R << 16)
    for t in Transport.allCases {
        let mine = served.filter { entries[$0].transport == t }
        let byLow = mine.sorted { entries[$0].ports!.lowerBound < entries[$1].ports!.lowerBound }
        let byEnd = mine.sorted { entries[$0].ports!.upperBound < entries[$1].ports!.upperBound }
        var a = 0, b = 0
        var active: [Int] = []
        var current: UInt32 = 0
        var bestHere = [Int32](repeating: -1, count: R)
        let base = Int(t.rawValue) << 16
        for port in 0...65535 {
            var changed = false
            while b < byEnd.count && Int(entries[byEnd[b]].ports!.upperBound) < port {
                if let at = active.firstIndex(of: byEnd[b]) { active.remove(at: at) }
                b += 1
                changed = true
            }
            while a < byLow.count && Int(entries[byLow[a]].ports!.lowerBound) == port {
                let id = byLow[a]
                let at = active.partitioningIndex { c.entryRank[$0] > c.entryRank[id] }
                active.insert(id, at: at)
                a += 1
                changed = true
            }
            if changed {
                if active.isEmpty {
                    current = 0
                } else {
                    current = UInt32(starts.count - 1)
                    ids.append(contentsOf: active.map { Int32($0) })
                    starts.append(UInt32(ids.count))
                }
                for r in 0..<R {
                    bestHere[r] = active.first(where: { c.entryRoles[$0].contains(r) }).map { Int32($0) } ?? -1
                }
            }
            segment[base | port] = current
            for r in 0..<R where bestHere[r] >= 0 {
                best[(Int(t.rawValue) * R + r) << 16 | port] = bestHere[r]
            }
        }
    }
    return (segment, starts, ids, best)
}

@Suite struct CompiledTablesTests {
    private func expectPortWalkTables(_ c: CompiledCatalog) {
        let want = portWalkTables(c)
        #expect(c.portSegment == want.segment)
        #expect(c.segmentStart == want.starts)
        #expect(c.candidateIDs == want.ids)
        // The best entry per role is kept per segment: read back per port, it is the walk's.
        let R = c.roleCount
        var perPort = [Int32](repeating: -1, count: 2 * R << 16)
        for t in Transport.allCases {
            for port in 0...65535 {
                let s = Int(c.portSegment[Int(t.rawValue) << 16 | port])
                for r in 0..<R { perPort[(Int(t.rawValue) * R + r) << 16 | port] = c.bestBySegment[s * R + r] }
            }
        }
        #expect(perPort == want.best)
        #expect(c.bestBySegment.count == (c.segmentStart.count - 1) * R)
    }

    @Test func builtInTablesAreThoseOfThePortWalk() throws {
        let c = try CompiledCatalog.builtIn()
        #expect(c.candidateIDs.count > 0)
        expectPortWalkTables(c)
    }

    /// Ranges that nest, touch, end at 65535 and start at 1, on both transports.
    @Test func edgeRangesGiveThePortWalkTables() throws {
        let yaml = """
            id: edges
            title: Edges
            roles:
              - name: a
              - name: b
            components:
              - name: x
            entries:
              - {component: x, protocol: tcp, port: 1, roles: [a]}
              - {component: x, protocol: tcp, port: 1-10, roles: [b]}
              - {component: x, protocol: tcp, port: 10-11, roles: [a]}
              - {component: x, protocol: tcp, port: 12, roles: [a, b]}
              - {component: x, protocol: tcp, port: 65535, roles: [b]}
              - {component: x, protocol: tcp, port: 60000-65535, roles: [a]}
              - {component: x, protocol: udp, port: 1-65535, roles: [a]}
              - {component: x, protocol: udp, port: 53, roles: [b]}
              - {component: x, protocol: udp, port: 53, roles: [a]}
            """
        let c = CompiledCatalog([try Catalog.parse(yaml: yaml, file: "edges.yaml")])
        expectPortWalkTables(c)
        #expect(c.candidates(.tcp, 0).count == 0)
        #expect(c.candidates(.tcp, 1).count == 2)
        #expect(c.candidates(.tcp, 13).count == 0)
        #expect(c.candidates(.tcp, 65535).count == 2)
        #expect(c.candidates(.udp, 0).count == 0)
        #expect(c.candidates(.udp, 53).count == 3)
    }

    @Test func syntheticTablesAreThoseOfThePortWalk() throws {
        let c = CompiledCatalog([try Catalog.parse(yaml: syntheticCatalogYAML(count: 2_000), file: "synthetic.yaml")])
        expectPortWalkTables(c)
    }
}
