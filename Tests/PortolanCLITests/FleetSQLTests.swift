import Foundation
import Testing
import TestSupport

// Issue 15: many nodes' `analyze --format jsonl` outputs queried together with DuckDB (the
// script is Tests/PortolanCLITests/fleet-sql.py, the README's "A fleet's JSON Lines in SQL"):
// blocked flows per node and component, and the catalog entries no node ever saw. Each capture of
// Captures/ is one node. The answers are checked against the same sums made here from the files.

private let duckdbAvailable: Bool = {
    guard let python = toolPath("python3"), let r = try? runProgram(python, ["-c", "import duckdb"]) else { return false }
    return r.status == 0
}()

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary) && duckdbAvailable,
                "needs portolan built and python3 with duckdb (pip install duckdb)"))
struct FleetSQLTests {
    @Test func blockedFlowsPerNodeAndRequiredPortsNeverSeen() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/nodes", withIntermediateDirectories: true)
        var flowsByNode: [String: [[String: Any]]] = [:]
        for capture in fleetCaptures {
            var node = (capture as NSString).lastPathComponent
            for ext in [".pcapng", ".pcap"] where node.hasSuffix(ext) { node.removeLast(ext.count) }
            let r = try portolanCapture(["analyze", "--no-progress", "--format", "jsonl"] + inventoryArguments(capture) + [capture])
            #expect(r.status == 0 || r.status == 1, "\(r.err)")
            let flows = jsonlFlows(r.out)
            if flows.isEmpty { continue }  // a node with no flow has nothing to say
            flowsByNode[node] = flows
            try r.out.write(toFile: "\(dir)/nodes/\(node).jsonl", atomically: false, encoding: .utf8)
        }
        let catalog = try portolanCapture(["catalog", "list", "--format", "json"])
        #expect(catalog.status == 0)
        try catalog.out.write(toFile: dir + "/catalog.json", atomically: false, encoding: .utf8)

        let script = repositoryRoot + "/Tests/PortolanCLITests/fleet-sql.py"
        let r = try runProgram(toolPath("python3")!, [script, dir + "/nodes", dir + "/catalog.json"])
        #expect(r.status == 0, "\(r.err)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: [[Any]]])

        // Blocked flows per node and component.
        var expectedBlocked: [String: Int] = [:]
        for (node, flows) in flowsByNode {
            for f in flows where (f["verdict"] as? String)?.hasPrefix("blocked-") == true {
                expectedBlocked["\(node)|\(f["component"] as? String ?? "unknown")", default: 0] += 1
            }
        }
        var gotBlocked: [String: Int] = [:]
        for row in answer["blocked"] ?? [] { gotBlocked["\(row[0])|\(row[1])"] = (row[2] as? NSNumber)?.intValue }
        #expect(!expectedBlocked.isEmpty)
        #expect(gotBlocked == expectedBlocked)

        // Open-edition catalog entries with ports that no flow of any node has as its server port.
        let catalogs = try #require(try JSONSerialization.jsonObject(with: Data(catalog.out.utf8)) as? [[String: Any]])
        let seen = Set(flowsByNode.values.joined().map { "\($0["proto"] as? String ?? "")/\(uint($0["server_port"]))" })
        var expectedUnseen: Set<String> = []
        var entries = 0
        for c in catalogs {
            for e in c["entries"] as? [[String: Any]] ?? [] {
                guard let ports = e["ports"] as? [NSNumber], ports.count == 2, e["edition"] as? String == "open" else { continue }
                entries += 1
                let proto = e["proto"] as? String ?? ""
                let hit = seen.contains { s in
                    let parts = s.split(separator: "/")
                    guard parts.count == 2, String(parts[0]) == proto, let p = Int(parts[1]) else { return false }
                    return p >= ports[0].intValue && p <= ports[1].intValue
                }
                if !hit { expectedUnseen.insert("\(e["catalog"] ?? "")|\(e["component"] ?? "")|\(proto)|\(ports[0])|\(ports[1])") }
            }
        }
        let gotUnseen = Set((answer["unseen"] ?? []).map { $0.map { "\($0)" }.joined(separator: "|") })
        #expect(!expectedUnseen.isEmpty && expectedUnseen.count < entries)
        #expect(gotUnseen == expectedUnseen)
    }
}
