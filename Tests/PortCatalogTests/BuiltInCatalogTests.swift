import Foundation
import Testing
import TestSupport
@testable import PortCatalog
import PacketWire

/// ../shared/seeds relative to the repository root (three levels above this file).
let seedsDirectory = URL(fileURLWithPath: repositoryRoot + "/../shared/seeds").standardizedFileURL.path
let seedsPresent = FileManager.default.fileExists(atPath: seedsDirectory + "/000_6cff00a1074e582d.txt")

func builtIns() throws -> CompiledCatalog { try CompiledCatalog.builtIn() }

/// The catalog entry that transcribes a document row, if any.
func entry(for row: DocumentRow, in c: CompiledCatalog) -> CatalogEntry? {
    c.entries.first {
        $0.catalogID == row.catalog && $0.transport == row.transport && $0.ports == row.range
            && $0.component == row.component && ($0.scope == .outbound) == (row.scope == .outbound)
    }
}

@Suite struct BuiltInCatalogTests {
    /// The binary carries the built-in YAML and its parse (BuiltInCatalogs.swift): they must be
    /// what Resources/*.yaml gives today.
    @Test("BuiltInCatalogs.swift is what Resources/*.yaml gives (PORTOLAN_UPDATE_BUILTIN=1 rewrites it)")
    func embeddedCatalogsMatchTheFiles() throws {
        let want = try BuiltInSource.render(ids: Catalog.builtInIDs, resources: repositoryRoot + "/Sources/PortCatalog/Resources")
        let have = (try? String(contentsOfFile: BuiltInSource.path, encoding: .utf8)) ?? ""
        if ProcessInfo.processInfo.environment["PORTOLAN_UPDATE_BUILTIN"] == "1" && have != want {
            try want.write(toFile: BuiltInSource.path, atomically: true, encoding: .utf8)
            return
        }
        #expect(have == want, "Sources/PortCatalog/BuiltInCatalogs.swift is stale: PORTOLAN_UPDATE_BUILTIN=1 swift test --filter BuiltInCatalogTests")
        for id in Catalog.builtInIDs {
            let text = try String(contentsOfFile: repositoryRoot + "/Sources/PortCatalog/Resources/\(id).yaml", encoding: .utf8)
            #expect(try Catalog.builtInYAML(id) == text)
            let parsed = try Catalog.parse(yaml: text, file: "builtin:\(id)")
            let built = try Catalog.builtIn(id)
            #expect(built.entries == parsed.entries && built.components == parsed.components)
            #expect(built.roles.map(\.name) == parsed.roles.map(\.name) && built.roles.map(\.description) == parsed.roles.map(\.description))
            #expect(built.decisions == parsed.decisions && built.title == parsed.title && built.origin == parsed.origin)
            #expect(built.documentFile == parsed.documentFile && built.documentName == parsed.documentName)
            #expect(built.documentVersion == parsed.documentVersion && built.yaml == parsed.yaml)
        }
    }

    /// A copy of the binary alone in a folder has its catalogs (no resource bundle beside it).
    @Test("a copy of portolan alone in an empty folder analyses with the built-in catalogs")
    func binaryAloneHasItsCatalogs() throws {
        guard FileManager.default.isExecutableFile(atPath: portolanBinary) else { return }
        let dir = FileManager.default.temporaryDirectory.path + "/portolan-alone-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: portolanBinary, toPath: dir + "/portolan")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dir + "/portolan")
        p.arguments = ["analyze", "--no-progress", "--format", "jsonl", repositoryRoot + "/Captures/dcos-cluster.pcap"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("\"component\":\"Mesos Master\"") && text.contains("\"catalog\":\"dcos-1.8\""))
    }

    @Test func builtInsLoadAndCompile() throws {
        let c = try builtIns()
        #expect(c.catalogs.map(\.id) == ["dcos-1.8", "dynatrace-managed"])
        #expect(c.roleNames == ["dcos-master", "dcos-agent", "dynatrace-node"])
        #expect(c.entries.count == DocumentRows.dcos.count + DocumentRows.dynatrace.count)
        #expect(c.overlayUDPPorts == [64000])
        #expect(c.outboundEntries.map { c.entries[Int($0)].component } == ["Dynatrace Mission Control"])
        #expect(c.catalogs[0].documentFile == "000_6cff00a1074e582d.txt")
        #expect(c.catalogs[1].documentFile == "003_d3af4cb53dcf4eca.txt")
        #expect(!c.catalogs[0].decisions.isEmpty && !c.catalogs[1].decisions.isEmpty)
    }

    @Test(arguments: DocumentRows.dcos + DocumentRows.dynatrace)
    func everyDocumentRowIsInTheCatalog(_ row: DocumentRow) throws {
        let c = try builtIns()
        let e = try #require(entry(for: row, in: c), "missing: \(row)")
        #expect(e.roles == row.roles)
        #expect(e.unit == row.unit)
        #expect(e.edition == row.edition)
        #expect(e.scope == row.scope)
        #expect(e.overlay == (row.transport == .udp && row.ports == "64000"))
        #expect(e.source.contains(row.section), "source '\(e.source)' does not cite section \(row.section)")
        if row.ports != "ephemeral" && row.scope != .outbound {
            #expect(e.source.contains(row.ports.replacingOccurrences(of: "-", with: ", ")) || e.source.contains(row.ports))
        }
    }

    @Test func catalogsHoldNothingBeyondTheDocuments() throws {
        let c = try builtIns()
        for e in c.entries {
            let known = (DocumentRows.dcos + DocumentRows.dynatrace).contains {
                $0.catalog == e.catalogID && $0.transport == e.transport && $0.range == e.ports && $0.component == e.component
            }
            #expect(known, "entry not in the document rows: \(e.catalogID) \(e.transport.name)/\(e.portText) \(e.component)")
        }
    }

    @Test func decisionsOnOddRows() throws {
        let c = try builtIns()
        // pkgpanda's "Ephemeral": listed, never matched.
        let pkgpanda = try #require(c.entries.first { $0.component == "System Package Manager API" })
        #expect(pkgpanda.ports == nil && pkgpanda.portText == "ephemeral")
        #expect(pkgpanda.notes?.contains("never matches") == true)
        // Holes in the agent task ranges stay holes.
        let agent = c.roleSet(["dcos-agent"])
        for hole: UInt16 in [2181, 3888, 5050, 5051, 8080, 8081, 8181] {
            let best = c.best(.tcp, hole, roles: agent)
            #expect(best == -1 || c.entries[Int(best)].component != DocumentRows.task, "hole \(hole) filled")
        }
        #expect(c.candidates(.tcp, 8081).isEmpty)
        // Mission Control.
        let mc = c.entries[Int(c.outboundEntries[0])]
        #expect(mc.destinations == DocumentRows.missionControl)
        #expect(mc.ports == 443...443 && mc.transport == .tcp)
        // 443 → 8022 relation on both sides.
        let dt443 = try #require(c.entries.first { $0.catalogID == "dynatrace-managed" && $0.ports == 443...443 && $0.scope == .any })
        #expect(dt443.relation?.contains("8022") == true)
        let dt8022 = try #require(c.entries.first { $0.ports == 8022...8022 })
        #expect(dt8022.relation?.contains("443") == true)
        // Ambiguous rows carry their decision in the entry.
        let dt8443 = try #require(c.entries.first { $0.ports == 8443...8443 })
        #expect(dt8443.notes?.contains("Decision") == true)
        let dt8019 = try #require(c.entries.first { $0.ports == 8019...8019 })
        #expect(dt8019.notes?.contains("Decision") == true)
    }
}

/// Lookups for every (protocol, port, role) the documents list return that row's component.
@Suite struct DocumentLookupTests {
    @Test func everyPortOfEveryRowForEveryRole() throws {
        let c = try builtIns()
        var checked = 0
        for row in DocumentRows.dcos + DocumentRows.dynatrace where row.scope != .outbound {
            guard let range = row.range else { continue }
            for role in row.roles {
                let roles = c.roleSet([role])
                for port in range {
                    let id = c.best(row.transport, port, roles: roles)
                    guard id >= 0 else {
                        Issue.record("\(row.transport.name)/\(port) role \(role): no entry (row \(row))")
                        continue
                    }
                    let e = c.entries[Int(id)]
                    if e.component != row.component || e.catalogID != row.catalog {
                        Issue.record("\(row.transport.name)/\(port) role \(role): got \(e.component), want \(row.component)")
                    }
                    #expect(c.candidates(row.transport, port).contains(id))
                    checked += 1
                }
            }
        }
        #expect(checked > 30_000)
    }

    @Test func overlapsKeepEveryCandidateMostSpecificFirst() throws {
        let c = try builtIns()
        func names(_ t: Transport, _ p: UInt16) -> [String] { c.candidates(t, p).map { c.entries[Int($0)].component } }
        #expect(names(.tcp, 443) == ["Admin Router Service", "Dynatrace Managed UI, OneAgent and REST API"])
        #expect(names(.tcp, 8443) == ["Monitoring data from OneAgent, nodes within Dynatrace Managed cluster", DocumentRows.task])
        #expect(names(.tcp, 5705) == ["Hazelcast In-memory data grid platform", DocumentRows.task])
        #expect(names(.tcp, 8020) == ["Dynatrace Managed UI and REST API", DocumentRows.task])
        #expect(names(.tcp, 1050) == ["Diagnostics", DocumentRows.task])
        #expect(names(.udp, 64000) == ["Virtual Networks"])
        #expect(names(.udp, 443).isEmpty)
        #expect(names(.tcp, 32001).isEmpty)

        let master = c.roleSet(["dcos-master"]), agent = c.roleSet(["dcos-agent"]), dt = c.roleSet(["dynatrace-node"])
        func best(_ p: UInt16, _ r: RoleSet) -> String? {
            let id = c.best(.tcp, p, roles: r)
            return id < 0 ? nil : c.entries[Int(id)].component
        }
        #expect(best(443, master) == "Admin Router Service")
        #expect(best(443, dt) == "Dynatrace Managed UI, OneAgent and REST API")
        #expect(best(443, agent) == nil)
        #expect(best(443, RoleSet()) == "Admin Router Service")  // unknown role: most specific, catalog order on ties
        #expect(best(5701, agent) == DocumentRows.task)
        #expect(best(5701, dt) == "Hazelcast In-memory data grid platform")
        #expect(best(5701, master) == nil)
        #expect(best(5701, agent.union(dt)) == "Hazelcast In-memory data grid platform")  // node with both roles
        #expect(best(1050, master.union(agent)) == "Diagnostics")
        #expect(best(9042, agent) == DocumentRows.task)
        // Outbound Mission Control is not a served port.
        #expect(!c.candidates(.tcp, 443).contains(c.outboundEntries[0]))
    }

    @Test func transportFromIPProtocol() {
        #expect(Transport(IPProtocol.tcp) == .tcp)
        #expect(Transport(IPProtocol.udp) == .udp)
        #expect(Transport(IPProtocol.icmp) == nil)
    }
}

/// The explicit row lists above checked against the seed documents themselves.
@Suite(.enabled(if: seedsPresent, "seed documents not found at ../shared/seeds"))
struct SeedDocumentTests {
    @Test func dcosTablesMatchTheRowList() throws {
        let text = try String(contentsOfFile: seedsDirectory + "/000_6cff00a1074e582d.txt", encoding: .utf8)
        var section = "", proto: Transport = .tcp
        var parsed: [DocumentRow] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("## ") { section = String(line.dropFirst(3)); continue }
            if line.hasPrefix("### ") { proto = Transport(name: String(line.dropFirst(4)))!; continue }
            guard line.hasPrefix("|"), !line.hasPrefix("|Port"), !line.hasPrefix("|---") else { continue }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("<!--") }
            #expect(cells.count == 2 || cells.count == 3, "odd row: \(line)")
            let port = cells[0].lowercased()
            var text = cells[1]
            let enterprise = text.contains("(Enterprise DC/OS Only)")
            var unit: String?
            let ticked = (cells.count == 3 ? cells[2] : text).split(separator: "`", omittingEmptySubsequences: false)
            if ticked.count >= 3 { unit = String(ticked[1]) }
            for junk in ["(Enterprise DC/OS Only)", "(default)"] { text = text.replacingOccurrences(of: junk, with: "") }
            if let u = unit { text = text.replacingOccurrences(of: "(`\(u)`)", with: "") }
            let component = text.trimmingCharacters(in: .whitespaces)
            parsed.append(DocumentRows.d(section, proto, port, component, unit, enterprise: enterprise))
        }
        #expect(parsed.count == DocumentRows.dcos.count)
        for (p, want) in zip(parsed, DocumentRows.dcos) {
            #expect(p.description == want.description)
            #expect(p.unit == want.unit && p.edition == want.edition && p.roles == want.roles, "\(p)")
        }
        // And the catalog has every parsed row (not only the hand-written list).
        let c = try builtIns()
        for row in parsed { #expect(entry(for: row, in: c) != nil, "catalog lacks \(row)") }
    }

    @Test func dynatraceRowsMatchTheRowList() throws {
        let text = try String(contentsOfFile: seedsDirectory + "/003_d3af4cb53dcf4eca.txt", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let rowPattern = try Regex(#"^(\d{3,5}(?:-\d{3,5})?(?:, \d{3,5})*)(?: 1)? (.+)$"#)
        let c = try builtIns()
        var portsSeen = 0
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("Outbound communication") { break }
            guard let m = line.wholeMatch(of: rowPattern), let portsText = m.output[1].substring,
                  let component = m.output[2].substring else { continue }
            // The note, if any, is the next line; a "can be closed" note makes the row cluster-only.
            let next = i + 1 < lines.count ? lines[i + 1] : ""
            let closable = next.firstMatch(of: rowPattern) == nil && next.contains("can be closed to traffic")
            for part in portsText.split(separator: ", ") {
                let bounds = part.split(separator: "-").map { UInt16($0)! }
                for port in bounds[0]...bounds[bounds.count - 1] {
                    let e = try #require(c.entries.first {
                        $0.catalogID == "dynatrace-managed" && $0.scope != .outbound && $0.ports?.contains(port) == true
                    }, "no entry for \(port)")
                    #expect(e.component == String(component))
                    #expect(e.scope == (closable ? .cluster : .any), "\(port): scope \(e.scope)")
                    #expect(e.source.contains(String(portsText)), "\(port): source \(e.source)")
                    portsSeen += 1
                }
            }
        }
        #expect(portsSeen == 1 + 1 + 1 + 1 + 2 + 1 + 11 + 4 + 2)
        let paragraph = try #require(lines.first { $0.contains("mandatory management connection") })
        let host = try #require(paragraph.firstMatch(of: try Regex(#"https://([a-z.]+)"#))?.output[1].substring)
        let ips = paragraph.matches(of: try Regex(#"\d+\.\d+\.\d+\.\d+"#)).map { String(paragraph[$0.range]) }
        let mc = c.entries[Int(c.outboundEntries[0])]
        #expect(mc.destinations == [String(host)] + ips)
        #expect(paragraph.contains("HTTPS (port 443)") && mc.ports == 443...443)
    }
}
