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

/// `name` on PATH (the python3 that .ci/setup installed duckdb for), then in the system folders.
func toolPath(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    for dir in path + ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
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
    /// A collector address that is not HOST:PORT, or where nothing listens, is exit 2 with one
    /// message naming it; an unknown format names prometheus among the formats.
    @Test func badCollectorAndFormatUsage() throws {
        let blocked = repositoryRoot + "/Captures/blocked.pcap"
        let bad = try portolanCapture(["analyze", "--no-progress", "--ipfix", "nohost", blocked])
        #expect(bad.status == 2 && bad.err.contains("--ipfix: 'nohost' is not HOST:PORT"), "\(bad.err)")
        // Port 9 (discard) on loopback: nobody listens, the kernel refuses the later datagrams.
        let refused = try portolanCapture(["analyze", "--no-progress", "--format", "jsonl", "--ipfix", "127.0.0.1:9", blocked])
        #expect(refused.status == 2 && refused.err.contains("messages not sent") && refused.err.contains("127.0.0.1:9"), "\(refused.err)")
        let format = try portolanCapture(["analyze", "--format", "xml", blocked])
        #expect(format.status == 2 && format.err.contains("prometheus"))
        let metrics = try portolanCapture(["live", "-i", "lo", "--metrics", "nonsense"])
        #expect(metrics.status == 2 && metrics.err.contains("--metrics must be [ADDR:]PORT"), "\(metrics.err)")
    }

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

/// nfcapd on 127.0.0.1:`port` writing into `dir`, for one test; stopped by `stop()`.
final class Collector {
    let process = Process()
    let dir: String
    let log: String

    init(port: Int, dir: String) throws {
        self.dir = dir
        log = dir + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        // The test process blocks most signals and a child inherits the mask: nfcapd would never
        // see the SIGTERM that makes it close its file. python3 clears the mask, then execs it.
        process.executableURL = URL(fileURLWithPath: toolPath("python3")!)
        process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                             toolPath("nfcapd")!, "-b", "127.0.0.1", "-p", String(port), "-w", dir, "-t", "3600"]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready once the port is taken (its log is buffered until it exits). Bounded: 10 s.
        for _ in 0..<200 {
            if !udpPortFree(port) { return }
            usleep(50_000)
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGTERM: nfcapd closes its file (renamed nfcapd.YYYYMMDDhhmm) and exits.
    func stop() -> String {
        // The datagrams are in its socket already (loopback delivers at send time); let it read them.
        usleep(300_000)
        process.terminate()
        for _ in 0..<200 where process.isRunning { usleep(50_000) }  // bounded: 10 s, then killed
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }
}

/// Whether 127.0.0.1:`port`/udp can be bound (no one listens there).
func udpPortFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = in_port_t(UInt16(port).bigEndian)
    a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return withUnsafePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// nfdump's CSV records of every file in `dir`, as dictionaries by column name.
func nfdumpRecords(_ dir: String) throws -> [[String: String]] {
    let r = try runProgram(toolPath("nfdump")!, ["-R", dir, "-o", "csv"], environment: ["TZ": "UTC"])
    var header: [String] = []
    var out: [[String: String]] = []
    for line in r.out.split(separator: "\n") {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if cells.first == "ts" {
            header = cells
            continue
        }
        guard header.count > 10, cells.count >= header.count else { continue }  // summary lines
        out.append(Dictionary(uniqueKeysWithValues: zip(header, cells)))
    }
    return out
}

/// nfdump's flag string ("...AP.SF": C E U A P R S F) and Portolan's ("SFP.", "." = ACK) as one form.
func flagLetters(nfdump s: String) -> Set<Character> { Set(s.filter { $0 != "." }) }
func flagLetters(portolan s: String?) -> Set<Character> {
    Set((s ?? "").map { c -> Character in c == "." ? "A" : c == "W" ? "C" : c })
}

private let ipfixTools = toolPath("nfcapd") != nil && toolPath("nfdump") != nil

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary) && ipfixTools,
                "needs portolan built and Debian's nfdump (nfcapd, nfdump)"))
struct IPFIXCollectorTests {
    /// One capture exported to a real nfcapd: nfdump reads back one record per direction that has
    /// packets, with exactly the flows, ports, packets, bytes, TCP flags, VLAN and duration that
    /// `analyze --format jsonl` reports.
    @Test(arguments: fleetCaptures.enumerated().map { ($0.offset, $0.element) })
    func nfdumpReadsBackTheJSONLinesFlows(_ index: Int, _ capture: String) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/flows", withIntermediateDirectories: true)
        let port = 42_000 + Int(getpid() % 500) * 40 + index  // < 62,040: one per case (they run in parallel)
        let collector = try Collector(port: port, dir: dir + "/flows")
        let args = ["analyze", "--no-progress", "--format", "jsonl"] + inventoryArguments(capture) + [capture]
        let r = try portolanCapture(args + ["--ipfix", "127.0.0.1:\(port)"])
        let log = collector.stop()
        #expect(r.status == 0 || r.status == 1, "\(r.err)")
        #expect(log.contains("Sequence Errors: 0, Bad Packets: 0") || !log.contains("Flows:"), "\(log)")

        var expected: [String] = []
        for f in jsonlFlows(r.out) {
            let proto = (f["proto"] as! String).uppercased()
            let vlan = (f["vlan"] as? [Int])?.first.map(String.init) ?? "0"  // outermost tag
            let firstMicros = Int(((f["first_ts"] as! NSNumber).doubleValue * 1e6).rounded())
            let lastMicros = Int(((f["last_ts"] as! NSNumber).doubleValue * 1e6).rounded())
            let millis = lastMicros / 1000 - firstMicros / 1000
            let tcp = proto == "TCP"
            let c = f["client"] as! String, s = f["server"] as! String
            let cp = uint(f["client_port"]), sp = uint(f["server_port"])
            if uint(f["client_packets"]) > 0 {
                expected.append("\(proto) \(c):\(cp) > \(s):\(sp) \(uint(f["client_packets"]))p \(uint(f["client_bytes"]))B "
                                + "flags \(tcp ? String(flagLetters(portolan: f["client_flags"] as? String).sorted()) : "") vlan \(vlan) \(millis)ms")
            }
            if uint(f["server_packets"]) > 0 {
                expected.append("\(proto) \(s):\(sp) > \(c):\(cp) \(uint(f["server_packets"]))p \(uint(f["server_bytes"]))B "
                                + "flags \(tcp ? String(flagLetters(portolan: f["server_flags"] as? String).sorted()) : "") vlan \(vlan) \(millis)ms")
            }
        }
        var got: [String] = []
        for n in try nfdumpRecords(dir + "/flows") {
            let millis = Int((Double(n["td"] ?? "") ?? -1) * 1000 + 0.5)
            let proto = n["pr"] ?? ""
            got.append("\(proto) \(n["sa"]!):\(n["sp"]!) > \(n["da"]!):\(n["dp"]!) \(n["ipkt"]!)p \(n["ibyt"]!)B "
                       + "flags \(proto == "TCP" ? String(flagLetters(nfdump: n["flg"] ?? "").sorted()) : "") vlan \(n["svln"] ?? "?") \(millis)ms")
            #expect(n["opkt"] == "0" && n["obyt"] == "0")
        }
        #expect(got.sorted() == expected.sorted(), "\(capture)")
    }

    /// The measurement behind one record per direction: nfcapd 1.7.1 reads RFC 5103's
    /// reversePacketDeltaCount and reverseOctetDeltaCount (as out packets and bytes), but its
    /// reverseTcpControlBits overwrites the forward tcpControlBits — a SYN that got no answer
    /// shows no flags at all.
    @Test func biflowReverseCountsSurviveButForwardFlagsDoNot() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/flows", withIntermediateDirectories: true)
        let port = 41_000 + Int(getpid() % 1000)  // below every port of the test above
        let collector = try Collector(port: port, dir: dir + "/flows")
        let capture = repositoryRoot + "/Captures/blocked.pcap"
        let r = try portolanCapture(["analyze", "--no-progress", "--format", "jsonl", "--ipfix", "127.0.0.1:\(port)", "--ipfix-biflow", capture])
        _ = collector.stop()
        let flows = jsonlFlows(r.out)
        let records = try nfdumpRecords(dir + "/flows")
        #expect(records.count == flows.count)
        var flagsLost = 0
        for f in flows {
            let n = records.first { $0["sa"] == f["client"] as? String && $0["sp"] == String(uint(f["client_port"])) }
            #expect(n?["ipkt"] == String(uint(f["client_packets"])) && n?["opkt"] == String(uint(f["server_packets"])))
            #expect(n?["ibyt"] == String(uint(f["client_bytes"])) && n?["obyt"] == String(uint(f["server_bytes"])))
            if f["proto"] as? String == "tcp", let n,
               flagLetters(nfdump: n["flg"] ?? "") != flagLetters(portolan: f["client_flags"] as? String) {
                flagsLost += 1
            }
        }
        #expect(flagsLost > 0, "nfcapd now keeps the forward flags of a biflow: biflow could be the default")
    }
}
