import Foundation
import Testing
import TestSupport

// Issue 15: a real Prometheus server scrapes `portolan live --metrics` while real traffic crosses a
// veth pair between test namespaces, and its query API returns the live report's values. Skips
// without Debian's prometheus (CI installs it: .ci/live-packages.txt).

private let prometheusBinary = which("prometheus")
private let curlBinary = which("curl")

/// One instant query against the Prometheus inside `ns`: every sample's labels and value.
private func query(_ lab: NetLab, _ ns: String, _ port: Int, _ promql: String) throws -> [(labels: [String: String], value: Double)] {
    let q = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
    let r = try lab.exec(ns, ["curl", "-s", "--max-time", "5", "http://127.0.0.1:\(port)/api/v1/query?query=\(q)"])
    guard let doc = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
          let data = doc["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
    return result.map { sample in
        let labels = sample["metric"] as? [String: String] ?? [:]
        let value = ((sample["value"] as? [Any])?.last as? String).flatMap(Double.init) ?? -1
        return (labels, value)
    }
}

@Suite(.serialized, .enabled(if: canRunLab && prometheusBinary != nil && curlBinary != nil,
                             "needs root, `ip netns`, a built portolan, prometheus and curl"))
struct LiveMetricsTests {
    @Test func prometheusScrapesTheCountersOfTheLiveReport() throws {
        let lab = NetLab()
        let server = try lab.namespace("pms")
        let node = try lab.namespace("pmn")
        try lab.link(server, "v0", "10.215.0.1/24", node, "v0", "10.215.0.2/24")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.id)-prom").path
        try FileManager.default.createDirectory(atPath: dir + "/tsdb", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try lab.spawn(server, ["socat", "TCP4-LISTEN:9999,bind=10.215.0.1,reuseaddr,fork", "PIPE"])
        try waitForListeners(lab, server, tcp: [9999], udp: [])

        // portolan and Prometheus both on the node namespace's loopback.
        let metricsPort = 19_464, prometheusPort = 19_090
        let live = try lab.portolan(node, ["live", "-i", "v0", "--metrics", "127.0.0.1:\(metricsPort)", "--idle-timeout", "1",
                                           "--close-linger", "0", "--interval", "1", "--format", "json",
                                           "tcp port 9999 or tcp port 8181"])
        #expect(live.waitForStderr("metrics on http://127.0.0.1:\(metricsPort)/metrics", timeout: 10), "\(live.stderr)")
        let config = """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: portolan
                static_configs: [{ targets: ["127.0.0.1:\(metricsPort)"] }]
            """
        try config.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = try lab.spawn(node, [prometheusBinary!, "--config.file=\(dir)/prometheus.yml",
                                              "--storage.tsdb.path=\(dir)/tsdb", "--web.listen-address=127.0.0.1:\(prometheusPort)"])

        // Real traffic: 4 echoed TCP connections, 2 to a port with no listener (RST).
        for i in 0..<4 {
            let r = try lab.exec(node, ["ncat", "-w", "2", "10.215.0.1", "9999"], stdin: "hello \(i)\n")
            #expect(r.stdout == "hello \(i)\n")
        }
        for _ in 0..<2 { _ = try lab.exec(node, ["ncat", "-w", "1", "10.215.0.1", "8181"]) }

        // Every flow has ended (close-linger 0, idle 1 s) and Prometheus has scraped the interval
        // that counted them: bounded wait, 40 s.
        var flows: Double = 0
        var active: Double = -1
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline {
            flows = try query(lab, node, prometheusPort, "sum(portolan_flows_total)").first?.value ?? 0
            active = try query(lab, node, prometheusPort, "portolan_active_flows").first?.value ?? -1
            if flows == 6 && active == 0 { break }
            usleep(250_000)
        }
        #expect(flows == 6 && active == 0, "Prometheus: \(flows) flows, \(active) active; \(prometheus.stderr.suffix(600))")
        let byLabels = try query(lab, node, prometheusPort, "sum by (component, verdict) (portolan_flows_total)")
        let packets = try query(lab, node, prometheusPort, "sum(portolan_flow_packets_total)").first?.value
        let bytes = try query(lab, node, prometheusPort, "sum(portolan_flow_bytes_total)").first?.value
        let frames = try query(lab, node, prometheusPort, "portolan_packets_total").first?.value
        let frameBytes = try query(lab, node, prometheusPort, "portolan_bytes_total").first?.value
        let up = try query(lab, node, prometheusPort, "up{job=\"portolan\"}").first?.value
        #expect(up == 1)

        live.signal(SIGINT)
        #expect(live.wait(timeout: 15) == 0, "\(live.stderr)")
        let final = try #require(last("final", in: live.stdout))
        let reported = final["flows"] as? [[String: Any]] ?? []
        let total = (final["accounting"] as? [String: Any])?["total"] as? [String: Any]
        #expect(reported.count == 6)
        func n(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? -1 }
        #expect(packets == reported.reduce(0) { $0 + n($1["client_packets"]) + n($1["server_packets"]) })
        #expect(bytes == reported.reduce(0) { $0 + n($1["client_bytes"]) + n($1["server_bytes"]) })
        #expect(frames == n(total?["packets"]) && frameBytes == n(total?["bytes"]))
        var expected: [String: Double] = [:]
        for f in reported { expected["\(f["component"] as? String ?? "unknown")|\(f["verdict"] as? String ?? "")", default: 0] += 1 }
        var got: [String: Double] = [:]
        for s in byLabels { got["\(s.labels["component"] ?? "")|\(s.labels["verdict"] ?? "")"] = s.value }
        #expect(got == expected)
        #expect(expected.keys.contains { $0.hasSuffix("|blocked-rst") }, "\(expected)")
    }

    /// live --ipfix to a real nfcapd: a flow that lasts 3 s with --ipfix-active-timeout 1 is
    /// exported several times, and the records of every flow add up to the final report's
    /// per-direction packets and bytes.
    @Test(.enabled(if: which("nfcapd") != nil && which("nfdump") != nil && which("python3") != nil, "needs nfdump and python3"))
    func liveExportsLongFlowsEveryActiveTimeout() throws {
        let lab = NetLab()
        let server = try lab.namespace("ixs")
        let node = try lab.namespace("ixn")
        try lab.link(server, "v0", "10.216.0.1/24", node, "v0", "10.216.0.2/24")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.id)-ipfix").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try lab.spawn(server, ["socat", "TCP4-LISTEN:9999,bind=10.216.0.1,reuseaddr,fork", "PIPE"])
        try waitForListeners(lab, server, tcp: [9999], udp: [])
        // The test process blocks most signals and children inherit the mask: python3 clears it
        // so that nfcapd sees the SIGTERM that makes it close its file.
        let collector = try lab.spawn(node, [which("python3")!, "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            which("nfcapd")!, "-b", "127.0.0.1", "-p", "4739", "-w", dir, "-t", "3600"])
        try waitForListeners(lab, node, tcp: [], udp: [4739])
        let live = try lab.portolan(node, ["live", "-i", "v0", "--ipfix", "127.0.0.1:4739", "--ipfix-active-timeout", "1",
                                           "--idle-timeout", "30", "--close-linger", "0", "--interval", "1",
                                           "--format", "json", "tcp port 9999"])
        let long = try lab.exec(node, ["sh", "-c", "(for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.5; done) | ncat 10.216.0.1 9999"])
        #expect(long.stdout.split(separator: "\n").count == 6)
        let short = try lab.exec(node, ["ncat", "-w", "2", "10.216.0.1", "9999"], stdin: "once\n")
        #expect(short.stdout == "once\n")
        live.signal(SIGINT)
        #expect(live.wait(timeout: 15) == 0, "\(live.stderr)")
        usleep(300_000)
        collector.signal(SIGTERM)
        #expect(collector.wait(timeout: 15) != nil)
        let final = try #require(last("final", in: live.stdout))
        let flows = final["flows"] as? [[String: Any]] ?? []
        #expect(flows.count == 2)
        let dump = try runTool(["env", "TZ=UTC", "nfdump", "-q", "-R", dir, "-o", "fmt:%sa|%sp|%da|%dp|%ipkt|%ibyt"])
        var sums: [String: (records: Int, packets: Int, bytes: Int)] = [:]
        for line in dump.stdout.split(separator: "\n") {
            let c = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard c.count == 6 else { continue }
            let key = "\(c[0]):\(c[1])>\(c[2]):\(c[3])"
            var e = sums[key] ?? (0, 0, 0)
            e.records += 1
            e.packets += Int(c[4]) ?? -1
            e.bytes += Int(c[5]) ?? -1
            sums[key] = e
        }
        var longest = 0
        for f in flows {
            func n(_ k: String) -> Int { (f[k] as? NSNumber)?.intValue ?? -1 }
            let c = "\(f["client"] ?? ""):\(n("client_port"))", s = "\(f["server"] ?? ""):\(n("server_port"))"
            let up = sums["\(c)>\(s)"], down = sums["\(s)>\(c)"]
            #expect(up?.packets == n("client_packets") && up?.bytes == n("client_bytes"), "\(c)>\(s): \(String(describing: up)) vs \(f)")
            #expect(down?.packets == n("server_packets") && down?.bytes == n("server_bytes"), "\(s)>\(c): \(String(describing: down))")
            longest = max(longest, up?.records ?? 0)
        }
        #expect(longest >= 2, "the 3 s flow was exported once only: \(sums)")
    }
}
