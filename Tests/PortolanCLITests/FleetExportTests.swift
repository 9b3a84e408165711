import Foundation
import Testing
import TestSupport

// Issue 15: the fleet's systems read what Portolan writes. `analyze --format prometheus` passes
// Prometheus's own checker and carries the JSON report's totals; `--ipfix` reaches Debian's
// nfcapd, and nfdump reads back exactly the flows, ports and per-direction packets and bytes of
// `analyze --format jsonl`. Tests that need promtool or nfcapd skip when they are absent (CI
// installs them: .ci/live-packages.txt).

/// Every capture of Captures/ (and its issue11 folder), each analysed on its own.
let fleetCaptures: [String] = {
    let top = fileNames(in: repositoryRoot + "/Captures") { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        .map { repositoryRoot + "/Captures/" + $0 }
    let more = fileNames(in: repositoryRoot + "/Captures/issue11") { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        .map { repositoryRoot + "/Captures/issue11/" + $0 }
    return top + more
}()

/// The capture's inventory (NAME.inventory.yaml beside it), when there is one, as analyze takes it.
func inventoryArguments(_ capture: String) -> [String] {
    var base = capture
    for ext in [".pcapng", ".pcap"] where base.hasSuffix(ext) { base.removeLast(ext.count) }
    let path = base + ".inventory.yaml"
    return FileManager.default.fileExists(atPath: path) ? ["--inventory", path] : []
}

func toolPath(_ name: String) -> String? {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
        return dir + "/" + name
    }
    return nil
}

/// Runs a program to completion, standard output and error to files.
func runProgram(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> Captured {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let dir = try scratchDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    FileManager.default.createFile(atPath: dir + "/err", contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    try p.run()
    p.waitUntilExit()
    return Captured(status: p.terminationStatus,
                    out: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: dir + "/out"))) ?? Data(), as: UTF8.self),
                    err: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: dir + "/err"))) ?? Data(), as: UTF8.self))
}

/// The JSON Lines report's flows.
func jsonlFlows(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

func uint(_ v: Any?) -> UInt64 { (v as? NSNumber)?.uint64Value ?? 0 }

/// One sample of the exposition: its family name, labels and value.
struct Sample {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Parses the exposition's sample lines (labels unescaped).
func parseExposition(_ text: String) -> [Sample] {
    var out: [Sample] = []
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let s = String(line)
        guard let space = s.lastIndex(of: " "), let value = Double(s[s.index(after: space)...]) else { continue }
        let head = s[..<space]
        guard let brace = head.firstIndex(of: "{") else {
            out.append(Sample(name: String(head), labels: [:], value: value))
            continue
        }
        var labels: [String: String] = [:]
        var i = head.index(after: brace)
        while i < head.endIndex && head[i] != "}" {
            let eq = head[i...].firstIndex(of: "=")!
            let key = String(head[i..<eq])
            var j = head.index(eq, offsetBy: 2)  // past ="
            var value = ""
            while head[j] != "\"" {
                if head[j] == "\\" {
                    j = head.index(after: j)
                    value.append(head[j] == "n" ? "\n" : head[j])
                } else {
                    value.append(head[j])
                }
                j = head.index(after: j)
            }
            labels[key] = value
            i = head.index(after: j)
            if i < head.endIndex && head[i] == "," { i = head.index(after: i) }
        }
        out.append(Sample(name: String(head[..<brace]), labels: labels, value: value))
    }
    return out
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary), "build portolan first (swift build)"))
struct PrometheusFormatTests {
    /// Every capture: promtool accepts the exposition, and its counters are the JSON report's
    /// totals (frames, bytes, evictions) and the JSON Lines flows summed per label set.
    @Test(arguments: fleetCaptures)
    func promtoolAcceptsItAndValuesAreTheReportTotals(_ capture: String) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/portolan.prom"
        let args = ["analyze", "--no-progress"] + inventoryArguments(capture) + [capture]
        let r = try portolanCapture(args + ["--format", "prometheus", "-o", file])
        #expect(r.status == 0 || r.status == 1, "\(r.err)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        if let promtool = toolPath("promtool") {
            let check = try runProgram("/bin/sh", ["-c", "\(promtool) check metrics < '\(file)'"])
            #expect(check.status == 0, "promtool on \(capture): \(check.out) \(check.err)")
        }
        // HELP and TYPE for every family, `portolan_` names, counters end in _total.
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            types[String(parts[2])] = String(parts[3])
            #expect(text.contains("# HELP \(parts[2]) "), "no HELP for \(parts[2])")
        }
        for (name, type) in types {
            #expect(name.hasPrefix("portolan_"))
            #expect(type != "counter" || name.hasSuffix("_total"), "\(name)")
        }
        let samples = parseExposition(text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }

        let json = try JSONSerialization.jsonObject(with: Data(try portolanCapture(args + ["--format", "json"]).out.utf8)) as! [String: Any]
        let accounting = json["accounting"] as! [String: Any]
        let total = accounting["total"] as! [String: Any]
        #expect(value("portolan_packets_total") == Double(uint(total["packets"])))
        #expect(value("portolan_bytes_total") == Double(uint(total["bytes"])))
        #expect(value("portolan_flow_evictions_total") == Double(uint(accounting["evicted_flows"])))
        #expect(value("portolan_active_flows") == 0)
        #expect(value("portolan_build_info", ["version": "0.1.0"]) == 1)
        for stop in accounting["undecodable_by"] as! [[String: Any]] {
            #expect(value("portolan_decode_stops_total", ["layer": stop["layer"] as! String, "reason": stop["reason"] as! String])
                == Double(uint(stop["packets"])))
        }

        // Per label set: flows, packets and bytes as the JSON Lines flows sum them.
        struct Key: Hashable { var catalog, component, verdict, proto: String }
        var expected: [Key: (flows: Double, packets: Double, bytes: Double)] = [:]
        let flows = jsonlFlows(try portolanCapture(args + ["--format", "jsonl"]).out)

        for f in flows {
            let k = Key(catalog: f["catalog"] as? String ?? "none", component: f["component"] as? String ?? "unknown",
                        verdict: f["verdict"] as! String, proto: f["proto"] as! String)
            var e = expected[k] ?? (0, 0, 0)
            e.flows += 1
            e.packets += Double(uint(f["client_packets"]) + uint(f["server_packets"]))
            e.bytes += Double(uint(f["client_bytes"]) + uint(f["server_bytes"]))
            expected[k] = e
        }
        var got: [Key: (flows: Double, packets: Double, bytes: Double)] = [:]
        let flowFamilies: Set = ["portolan_flows_total", "portolan_flow_packets_total", "portolan_flow_bytes_total"]
        for s in samples where flowFamilies.contains(s.name) {
            let k = Key(catalog: s.labels["catalog"] ?? "?", component: s.labels["component"] ?? "?",
                        verdict: s.labels["verdict"] ?? "?", proto: s.labels["proto"] ?? "?")
            #expect(s.labels["role"] != nil)
            var e = got[k] ?? (0, 0, 0)
            switch s.name {
            case "portolan_flows_total": e.flows += s.value
            case "portolan_flow_packets_total": e.packets += s.value
            case "portolan_flow_bytes_total": e.bytes += s.value
            default: Issue.record("unexpected family \(s.name)")
            }
            got[k] = e
        }
        #expect(got.count == expected.count, "\(capture): label sets \(got.keys) vs \(expected.keys)")
        for (k, e) in expected {
            let g = got[k]
            #expect(g?.flows == e.flows && g?.packets == e.packets && g?.bytes == e.bytes, "\(capture) \(k): \(String(describing: g)) vs \(e)")
        }
        // No raw port or address in a label value.
        for s in samples {
            for (k, v) in s.labels where k != "proto" {  // proto: a protocol number when it has no name
                #expect(!v.contains("10.10.") && Int(v) == nil, "label value \(v) in \(s.name)")
            }
        }
    }
}
