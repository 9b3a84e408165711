import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports
import Testing
import TestSupport

/// Golden reports of real captures. Regenerate with `PORTOLAN_UPDATE_GOLDEN=1 swift test --filter ReportsTests`
/// and review the diff.
let goldenDir = repositoryRoot + "/Tests/ReportsTests/Golden"
let capturesDir = repositoryRoot + "/Captures"
let updateGolden = ProcessInfo.processInfo.environment["PORTOLAN_UPDATE_GOLDEN"] == "1"
let builtInCatalog: CompiledCatalog? = try? CompiledCatalog.builtIn()
let haveCaptures = FileManager.default.fileExists(atPath: capturesDir + "/blocked.pcap")

/// Analyses captures (by file name in Captures/), naming the sources by file name only.
func analyzer(_ names: [String], inventory: String?) throws -> FlowAnalyzer {
    let catalog = try #require(builtInCatalog)
    let inv = try inventory.map { try Inventory.load(path: "\(capturesDir)/\($0)", catalog: catalog) } ?? Inventory()
    var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: catalog, inventory: inv))
    for name in names {
        let index = a.addSource(name: name)
        var reader = try CaptureReader(path: "\(capturesDir)/\(name)", sourceIndex: index)
        var record = CaptureRecord()
        while let bytes = try reader.next(&record) { a.process(record, bytes) }
    }
    return a
}

/// `analyzer`'s snapshot.
func snapshot(_ names: [String], inventory: String?) throws -> AnalysisSnapshot {
    try analyzer(names, inventory: inventory).snapshot()
}

/// FNV-1a of a file: the goldens of a capture record the capture they were made from
/// (`Golden/inputs.tsv`), so a regenerated capture (new ephemeral ports and timestamps) is not
/// mistaken for a rendering change.
func fingerprint(_ path: String) -> String {
    guard let d = FileManager.default.contents(atPath: path) else { return "-" }
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in d { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return String(h, radix: 16)
}

func recordedInputs() -> [String: String] {
    guard let t = try? String(contentsOfFile: goldenDir + "/inputs.tsv", encoding: .utf8) else { return [:] }
    var d: [String: String] = [:]
    for line in t.split(separator: "\n") {
        let c = line.split(separator: "\t")
        if c.count == 2 { d[String(c[0])] = String(c[1]) }
    }
    return d
}

/// True when the goldens were made from these captures as they are now. After a regeneration the
/// capture goldens are not compared (the synthetic ones still are) until PORTOLAN_UPDATE_GOLDEN=1.
func inputsUnchanged(_ names: [String]) -> Bool {
    let rec = recordedInputs()
    if updateGolden {
        var all = rec
        for n in names { all[n] = fingerprint("\(capturesDir)/\(n)") }
        let text = all.keys.sorted().map { "\($0)\t\(all[$0]!)" }.joined(separator: "\n") + "\n"
        try? text.write(toFile: goldenDir + "/inputs.tsv", atomically: true, encoding: .utf8)
        return true
    }
    return names.allSatisfy { rec[$0] == fingerprint("\(capturesDir)/\($0)") }
}

func checkGolden(_ text: String, _ file: String) throws {
    let path = "\(goldenDir)/\(file)"
    if updateGolden || !FileManager.default.fileExists(atPath: path) {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if !updateGolden { Issue.record("recorded missing golden \(file); review and commit it") }
        return
    }
    let want = try String(contentsOfFile: path, encoding: .utf8)
    if want != text {
        let got = text.split(separator: "\n", omittingEmptySubsequences: false)
        let exp = want.split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(got.count, exp.count)).first { got[$0] != exp[$0] } ?? min(got.count, exp.count)
        let g = i < got.count ? String(got[i]) : "<end>"
        let e = i < exp.count ? String(exp[i]) : "<end>"
        Issue.record(Comment(rawValue: "\(file) differs at line \(i + 1):\n got: \(g)\nwant: \(e)\n(PORTOLAN_UPDATE_GOLDEN=1 regenerates)"))
    }
}

@Suite(.enabled(if: haveCaptures)) struct GoldenTests {
    @Test(arguments: ReportFormat.allCases)
    func blockedCaptureWithInventory(_ format: ReportFormat) throws {
        guard inputsUnchanged(["blocked.pcap"]) else { return }
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let ext = format == .table ? "txt" : format.rawValue
        try checkGolden(render(s, format: format), "blocked.\(ext)")
    }

    @Test func tableWithoutInventoryAndTwoFiles() throws {
        guard inputsUnchanged(["vxlan-overlay.pcap", "midstream.pcap"]) else { return }
        let s = try snapshot(["vxlan-overlay.pcap", "midstream.pcap"], inventory: nil)
        try checkGolden(render(s, format: .table), "vxlan-midstream-no-inventory.txt")
    }

    @Test func colourOnlyWhenAsked() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        #expect(!render(s, format: .table).contains("\u{1B}["))
        #expect(render(s, format: .table, options: ReportOptions(color: true)).contains("\u{1B}[31m"))
    }

    @Test func tableFitsInOneHundredColumns() throws {
        for (files, inv) in [(["blocked.pcap"], "blocked.inventory.yaml"), (["dcos-cluster.pcap"], "dcos-cluster.inventory.yaml"),
                             (["dynatrace-cluster.pcapng"], "dynatrace-cluster.inventory.yaml")] {
            let text = render(try snapshot(files, inventory: inv), format: .table)
            for line in text.split(separator: "\n") { #expect(line.count <= 100, "\(line)") }
        }
    }

    @Test func jsonLinesAndCSVHaveOneFlowPerLine() throws {
        let s = try snapshot(["dcos-cluster.pcap"], inventory: "dcos-cluster.inventory.yaml")
        let jsonl = render(s, format: .jsonl).split(separator: "\n")
        #expect(jsonl.count == s.flows.count)
        for line in jsonl {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["uid", "proto", "client", "client_port", "server", "server_port", "component", "catalog", "candidates",
                        "verdict", "verdicts", "state", "history", "direction", "client_packets", "server_packets",
                        "client_bytes", "server_bytes", "first_ts", "last_ts", "first_frame", "evidence", "vlan",
                        "tunnel", "files"] {
                #expect(obj.keys.contains(key), "missing \(key)")
            }
            #expect(obj["client_port"] is NSNumber)
        }
        let csv = render(s, format: .csv).split(separator: "\n")
        #expect(csv.count == s.flows.count + 1)
        #expect(csv[0].hasPrefix("uid,community_id,proto,ip_version,client,client_port,server,server_port"))
        // Each connection its own uid, as Zeek's conn.log: unique within the report.
        let uids = jsonl.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["uid"] as? String
        }
        #expect(Set(uids).count == s.flows.count && uids.allSatisfy { $0.hasPrefix("C") })
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(render(s, format: .json).utf8)) as? [String: Any])
        #expect((whole["flows"] as? [Any])?.count == s.flows.count)
        #expect(((whole["accounting"] as? [String: Any])?["balanced"] as? Bool) == true)
    }

    @Test func intervalLineIsOneJSONObject() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let line = intervalJSONLine(IntervalStats(startNanos: 0, endNanos: 1_000_000_000, packets: 59, bytes: 4848,
                                                  kernelDrops: 0),
                                    flows: s.flows, newProblems: s.flows.filter(\.isProblem).prefix(2).map { $0 })
        #expect(!line.contains("\n"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        // One shape (issue 13): flows by component and verdict only in the live line's `counts`,
        // this interval's drops in `interval_drops` beside the live line's cumulative `drops`.
        #expect(obj["verdicts"] == nil && obj["components"] == nil && obj["kernel_drops"] == nil)
        #expect(obj["flows"] as? Int == s.flows.count)
        #expect((obj["new_problems"] as? [Any])?.count == 2)
        #expect((obj["interval_drops"] as? [String: Any])?["kernel"] as? Int == 0)
    }
}
