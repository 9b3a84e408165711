import Testing
@testable import PortCatalog
import PacketWire

/// A small valid catalog; each bad fixture changes one line of it.
let goodCatalog = """
    id: shop
    title: Shop ports
    document:
      name: Shop runbook
      version: "2"
    roles:
      - name: web
        description: Web front ends
      - name: db
    components:
      - name: nginx
        unit: nginx.service
      - name: postgres
        edition: enterprise
      - name: Mission Control
    entries:
      - component: nginx
        protocol: tcp
        port: 443
        roles: [web]
        scope: any
        row: "table 1 / 443"
      - component: postgres
        protocol: tcp
        port: 5432
        roles: db
        scope: cluster
      - component: nginx
        protocol: udp
        port: 8000-8010
        roles: all
      - component: Mission Control
        protocol: tcp
        port: 443
        roles: all
        scope: outbound
        destinations: [mc.example.com, 192.0.2.7, 2001:db8::/32]

    """

/// Where `token` occurs (the `occurrence`-th time, 1-based) in `text`: 1-based line and column.
func position(of token: String, in text: String, occurrence: Int = 1) -> (line: Int, column: Int) {
    var seen = 0
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var rest = line[...]
        while let r = rest.firstRange(of: token) {
            seen += 1
            if seen == occurrence { return (i + 1, line.distance(from: line.startIndex, to: r.lowerBound) + 1) }
            rest = rest[r.upperBound...]
        }
    }
    return (0, 0)
}

/// Parses `yaml` as a catalog, expects an error at `token` whose message contains `message`.
func expectCatalogError(_ yaml: String, at token: String, occurrence: Int = 1, plus: Int = 0, _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let c = try Catalog.parse(yaml: yaml, file: "bad.yaml")
        Issue.record("no error; loaded \(c.entries.count) entries", sourceLocation: sourceLocation)
    } catch {
        var want = position(of: token, in: yaml, occurrence: occurrence)
        want.column += plus
        #expect(error.file == "bad.yaml", sourceLocation: sourceLocation)
        #expect(error.line == want.line && error.column == want.column,
                "\(error) — expected at \(want.line):\(want.column)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("bad.yaml:\(want.line):\(want.column): "), sourceLocation: sourceLocation)
    }
}

func replacing(_ old: String, _ new: String, in text: String = goodCatalog) -> String {
    precondition(text.contains(old), "fixture lacks \(old)")
    return text.replacingOccurrences(of: old, with: new)
}

import Foundation

@Suite struct CatalogValidationTests {
    @Test func goodCatalogLoads() throws {
        let c = try Catalog.parse(yaml: goodCatalog, file: "good.yaml")
        #expect(c.id == "shop" && c.title == "Shop ports" && c.documentName == "Shop runbook" && c.documentVersion == "2")
        #expect(c.roles.map(\.name) == ["web", "db"] && c.roles[0].description == "Web front ends")
        #expect(c.entries.count == 4)
        #expect(c.entries[0].source == "Shop runbook: table 1 / 443")
        #expect(c.entries[1].source == "Shop runbook: line 23")
        #expect(c.entries[1].roles == ["db"] && c.entries[1].edition == .enterprise && c.entries[1].unit == nil)
        #expect(c.entries[2].roles == ["web", "db"] && c.entries[2].ports == 8000...8010 && c.entries[2].scope == .any)
        #expect(c.entries[3].destinations == ["mc.example.com", "192.0.2.7", "2001:db8::/32"])
        #expect(c.entries[0].line == 17)
    }

    @Test func unknownRole() {
        expectCatalogError(replacing("roles: [web]", "roles: [web, cache]"), at: "cache", "unknown role 'cache'")
        expectCatalogError(replacing("roles: db", "roles: dbs"), at: "dbs", "unknown role 'dbs'")
    }

    @Test func portOutOfRange() {
        expectCatalogError(replacing("port: 5432", "port: 70000"), at: "70000", "port 70000 out of range")
        expectCatalogError(replacing("port: 5432", "port: 0"), at: "port: 0", plus: 6, "port 0 out of range")
        expectCatalogError(replacing("port: 8000-8010", "port: 8000-65536"), at: "8000-65536", "port 65536 out of range")
        expectCatalogError(replacing("port: 5432", "port: -5"), at: "-5", "bad port")
        expectCatalogError(replacing("port: 5432", "port: web"), at: "port: web", plus: 6, "bad port 'web'")
    }

    @Test func rangeUpsideDown() {
        expectCatalogError(replacing("port: 8000-8010", "port: 8010-8000"), at: "8010-8000", "range upside down: 8010-8000")
    }

    @Test func unknownProtocol() {
        expectCatalogError(replacing("protocol: udp", "protocol: sctp"), at: "sctp", "unknown protocol 'sctp' (tcp or udp)")
    }

    @Test func duplicateEntry() {
        let dup = goodCatalog + """
              - component: nginx
                protocol: tcp
                port: 443
                roles: all

            """
        expectCatalogError(dup, at: "port: 443", occurrence: 3, plus: 6, "duplicate entry: tcp/443 for web already listed at line 17 (nginx)")
        // The same port for another role, or outbound, is not a duplicate.
        let other = goodCatalog + """
              - component: postgres
                protocol: tcp
                port: 443
                roles: [db]

            """
        #expect(throws: Never.self) { try Catalog.parse(yaml: other, file: "ok.yaml") }
    }

    @Test func unknownKey() {
        expectCatalogError(replacing("    scope: cluster", "    scop: cluster"), at: "scop:", "unknown key 'scop' in an entry")
        expectCatalogError(replacing("title: Shop ports", "titel: Shop ports"), at: "titel", "unknown key 'titel' in the catalog")
        expectCatalogError(replacing("unit: nginx.service", "units: nginx.service"), at: "units", "unknown key 'units' in a component")
    }

    @Test func otherMistakes() {
        expectCatalogError(replacing("  - component: postgres", "  - component: postgress"), at: "postgress", "unknown component 'postgress'")
        expectCatalogError(replacing("scope: cluster", "scope: internal"), at: "internal", "unknown scope 'internal'")
        expectCatalogError(replacing("edition: enterprise", "edition: pro"), at: "pro", "unknown edition 'pro'")
        expectCatalogError(replacing("    scope: any\n", "    scope: any\n    scope: cluster\n"), at: "scope", occurrence: 2, "duplicate key 'scope'")
        expectCatalogError(replacing("    roles: [web]\n    scope: any\n", "    roles: [web]\n    scope: any\n    destinations: [a.example]\n"),
                           at: "destinations", "destinations are only for scope outbound")
        expectCatalogError(replacing("destinations: [mc.example.com", "destinations: [mc.example.com/x"), at: "mc.example.com/x", "bad destination")
        expectCatalogError(replacing("    roles: [web]\n", "    roles: [web]\n    overlay: true\n"), at: "true", "overlay is only for a udp port")
        expectCatalogError(replacing("  - name: db\n", "  - name: all\n"), at: "name: all", plus: 6, "bad role name 'all'")
        expectCatalogError(replacing("id: shop", "id: my/shop"), at: "my/shop", "bad catalog id")
    }

    @Test func yamlSyntaxErrorKeepsItsPosition() {
        let broken = replacing("roles: [web]", "roles: [web")
        do {
            _ = try Catalog.parse(yaml: broken, file: "broken.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.file == "broken.yaml" && error.line != nil && error.column != nil, "\(error)")
            #expect(error.message.hasPrefix("YAML syntax"))
        }
    }

    @Test func missingPiecesAreNamed() {
        #expect(throws: CatalogError.self) { try Catalog.parse(yaml: "", file: "empty.yaml") }
        #expect(throws: CatalogError.self) { try Catalog.parse(yaml: "- a\n- b\n", file: "list.yaml") }
        expectCatalogError(replacing("    port: 5432\n", ""), at: "component: postgres", "an entry needs 'port'")
    }

    @Test func loadNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-catalog-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mine.yaml").path
        try replacing("protocol: udp", "protocol: icmp").write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try Catalog.load(path: path)
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix("\(path):29:15: unknown protocol 'icmp'"), "\(error)")
        }
        do {
            _ = try Catalog.resolve(dir.appendingPathComponent("nope.yaml").path)
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("neither a built-in catalog"))
        }
    }

    @Test func exportedBuiltInsRoundTrip() throws {
        for id in Catalog.builtInIDs {
            let text = try Catalog.builtInYAML(id)
            let again = try Catalog.parse(yaml: text, file: "\(id).yaml")
            let original = try Catalog.builtIn(id)
            #expect(again.entries == original.entries)
            #expect(text.hasPrefix("# Portolan port catalog"))
        }
    }
}
