import Foundation
import Testing
import TestSupport
@testable import PortCatalog
import Reports

/// The built binary (swift build / swift test build it); tests skip when it is absent.
let binaryPresent = FileManager.default.isExecutableFile(atPath: portolanBinary)

struct RunResult {
    var status: Int32
    var out: String
    var err: String
}

func portolan(_ args: [String]) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: portolanBinary)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}

/// A scratch directory with the given files.
func scratch(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-cli-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return dir
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct CommandTests {
    @Test func listFormats() throws {
        let csv = try portolan(["catalog", "list", "--format", "csv"])
        #expect(csv.status == 0)
        let lines = csv.out.split(separator: "\n")
        #expect(lines.first.map(String.init) == CatalogText.csvHeader)
        #expect(lines.count == 1 + 58)
        #expect(lines.contains { $0.hasPrefix("dcos-1.8,udp,64000,64000,Virtual Networks,dcos-navstar.service,dcos-master;dcos-agent,any,open,true,") })
        #expect(lines.contains { $0.hasPrefix("dynatrace-managed,tcp,443,443,Dynatrace Mission Control,,dynatrace-node,outbound,open,false,,mcsvc.dynatrace.com;52.5.224.56;52.200.165.10;52.221.165.63;13.228.109.33,") })
        #expect(lines.contains { $0.hasPrefix("dcos-1.8,tcp,,,System Package Manager API,dcos-pkgpanda-api.service,dcos-master,") })

        let json = try portolan(["catalog", "list", "--format", "json", "--catalog", "dynatrace-managed"])
        #expect(json.status == 0)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        #expect(parsed.count == 1)
        #expect(parsed[0]["id"] as? String == "dynatrace-managed")
        #expect((parsed[0]["entries"] as? [Any])?.count == 14)
        #expect((parsed[0]["decisions"] as? [String])?.isEmpty == false)

        let table = try portolan(["catalog", "list"])
        #expect(table.status == 0)
        #expect(table.out.hasPrefix("dcos-1.8 — DC/OS 1.8 ports (from DC/OS 1.8 Ports, version 1.8), 44 entries\nroles: dcos-master, dcos-agent\n  PROTO  PORTS"))
        #expect(table.out.contains("\ndynatrace-managed — Dynatrace Managed cluster node ports"))
        #expect(table.out.contains("  udp    64000       Virtual Networks"))
    }

    @Test func lookupJSON() throws {
        let r = try portolan(["catalog", "lookup", "tcp/5701", "--role", "dynatrace-node", "--format", "json"])
        #expect(r.status == 0)
        let matches = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        #expect(matches.count == 1)
        let m = matches[0]
        #expect(m["catalog"] as? String == "dynatrace-managed")
        #expect(m["component"] as? String == "Hazelcast In-memory data grid platform")
        #expect(m["unit"] is NSNull)
        #expect(m["proto"] as? String == "tcp")
        #expect(m["ports"] as? [Int] == [5701, 5711])
        #expect(m["roles"] as? [String] == ["dynatrace-node"])
        #expect(m["scope"] as? String == "cluster")
        #expect(m["edition"] as? String == "open")
        #expect((m["notes"] as? String)?.contains("closed") == true)
        #expect(m["best"] as? Bool == true)

        let all = try portolan(["catalog", "lookup", "tcp/443", "--format", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as? [[String: Any]])
        #expect(list.map { $0["component"] as? String } == ["Admin Router Service", "Dynatrace Managed UI, OneAgent and REST API", "Dynatrace Mission Control"])
        #expect(list.map { $0["best"] as? Bool } == [true, false, false])
        #expect(list[2]["destinations"] as? [String] == DocumentRows.missionControl)

        let unit = try portolan(["catalog", "lookup", "tcp/1337", "--format", "json"])
        let secrets = try #require(try JSONSerialization.jsonObject(with: Data(unit.out.utf8)) as? [[String: Any]])
        #expect(secrets.first?["unit"] as? String == "dcos-secrets.service" && secrets.first?["edition"] as? String == "enterprise")
    }

    @Test func lookupTableAndStatuses() throws {
        let r = try portolan(["catalog", "lookup", "tcp/8443"])
        #expect(r.status == 0)
        #expect(r.out.hasPrefix("tcp/8443: 2 matches (most specific first; * = chosen when the server's role is unknown)\n"))
        #expect(r.out.contains("\n*  dynatrace-managed  Monitoring data from OneAgent"))
        let udp = try portolan(["catalog", "lookup", "UDP/64000"])
        #expect(udp.status == 0 && udp.out.contains("overlay: carries VXLAN"))

        let none = try portolan(["catalog", "lookup", "tcp/8081"])
        #expect(none.status == 1 && none.out == "tcp/8081: no catalog entry\n")
        let noneJSON = try portolan(["catalog", "lookup", "tcp/2181", "--role", "dcos-agent", "--format", "json"])
        #expect(noneJSON.status == 1 && noneJSON.out == "[]\n")

        for bad in [["tcp/70000"], ["sctp/80"], ["443"], ["tcp/0"], ["tcp/443", "--role", "dcos-mastr"], ["tcp/443", "--catalog", "nope"]] {
            let b = try portolan(["catalog", "lookup"] + bad)
            #expect(b.status == 2, "\(bad): \(b.status)")
            #expect(b.err.hasPrefix("error: "), "\(bad): \(b.err)")
            #expect(b.out.isEmpty)
        }
    }

    @Test func validateReportsEveryFile() throws {
        let dir = try scratch([
            "good.yaml": goodCatalog,
            "bad.yaml": goodCatalog.replacingOccurrences(of: "port: 8000-8010", with: "port: 8010-8000"),
            "inv.yaml": "hosts:\n  - address: 10.0.0.1\n    roles: [web, dcos-master]\n",
            "badinv.yaml": "networks:\n  - 10.0.0.0/33\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = { (n: String) in dir.appendingPathComponent(n).path }
        let r = try portolan(["catalog", "validate", path("good.yaml"), path("bad.yaml"), path("inv.yaml"), path("badinv.yaml")])
        #expect(r.status == 2)
        #expect(r.out == """
            ok: \(path("good.yaml")): catalog shop, 4 entries, roles web, db
            ok: \(path("inv.yaml")): inventory, 1 hosts, 0 networks

            """)
        #expect(r.err == """
            \(path("bad.yaml")):30:11: range upside down: 8010-8000 (write LOW-HIGH)
            \(path("badinv.yaml")):2:5: bad CIDR '10.0.0.0/33': prefix length must be 0-32 for IPv4

            """)
        let ok = try portolan(["catalog", "validate", path("good.yaml")])
        #expect(ok.status == 0 && ok.err.isEmpty)
        // Roles of the inventory must exist: without the shop catalog, 'web' is unknown.
        let inv = try portolan(["catalog", "validate", path("inv.yaml")])
        #expect(inv.status == 2 && inv.err.hasPrefix("\(path("inv.yaml")):3:13: unknown role 'web'"))
    }

    @Test func nothingRunsOnAHalfLoadedCatalog() throws {
        let dir = try scratch([
            "good.yaml": goodCatalog,
            "bad.yaml": goodCatalog.replacingOccurrences(of: "id: shop", with: "id: shop2").replacingOccurrences(of: "protocol: udp", with: "protocol: sctp"),
            "again.yaml": goodCatalog,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = { (n: String) in dir.appendingPathComponent(n).path }
        let r = try portolan(["catalog", "list", "--catalog", path("good.yaml"), "--catalog", path("bad.yaml")])
        #expect(r.status == 2 && r.out.isEmpty)
        #expect(r.err == "error: \(path("bad.yaml")):29:15: unknown protocol 'sctp' (tcp or udp)\n")
        let twice = try portolan(["catalog", "list", "--catalog", path("good.yaml"), "--catalog", path("again.yaml")])
        #expect(twice.status == 2 && twice.out.isEmpty && twice.err.contains("catalog id 'shop' is used by both"))
        let same = try portolan(["catalog", "list", "--catalog", path("good.yaml"), "--catalog", path("good.yaml"), "--format", "csv"])
        #expect(same.status == 0 && same.out.split(separator: "\n").count == 5)
    }

    @Test func exportPrintsTheShippedYAML() throws {
        for id in Catalog.builtInIDs {
            let r = try portolan(["catalog", "export", id])
            #expect(r.status == 0)
            // Issue 13: one comment line first, saying to rename the export before loading it beside its origin.
            let comment = "# Exported from catalog \(id). To load it beside \(id) (--catalog FILE --catalog \(id)), give it an id of its own: edit `id:` below, or export with --id NEW.\n"
            #expect(r.out == comment + (try Catalog.builtInYAML(id)))
        }
        let bad = try portolan(["catalog", "export", "dcos-1.9"])
        #expect(bad.status == 2 && bad.err.contains("neither a built-in catalog"))
    }

    @Test func hostsUsesTheSharedOptions() throws {
        let dir = try scratch(["inv.yaml": sampleInventory])
        defer { try? FileManager.default.removeItem(at: dir) }
        let inv = dir.appendingPathComponent("inv.yaml").path
        let r = try portolan(["catalog", "hosts", "--inventory", inv, "--role", "dynatrace-node=10.10.0.11",
                              "10.10.0.11", "10.10.0.40", "8.8.8.8", "fd00:10::21"])
        #expect(r.status == 0)
        #expect(r.out == """
            ADDRESS      NAME      ROLES                       CLUSTER
            10.10.0.11   master-1  dcos-master,dynatrace-node  inside
            10.10.0.40   -         dcos-agent                  inside
            8.8.8.8      -         -                           outside
            fd00:10::21  dt-1      dynatrace-node              inside

            """)
        let bad = try portolan(["catalog", "hosts", "--role", "dcos-master=10.0.0.0/33"])
        #expect(bad.status == 2 && bad.err == "error: --role dcos-master=10.0.0.0/33: bad CIDR '10.0.0.0/33': prefix length must be 0-32 for IPv4\n")
        let badFile = try portolan(["catalog", "hosts", "--inventory", dir.appendingPathComponent("missing.yaml").path])
        #expect(badFile.status == 2 && badFile.err.contains("cannot read file"))
    }
}
