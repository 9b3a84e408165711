// Real servers and clients in two namespaces joined by a veth pair; `portolan live` captures on
// the client side. Ground truth comes from the servers' own iptables counters (what was really
// sent each way), and the -w file is analysed offline to give the same flows and verdicts.
// SAFETY: 10.210.0.0/24 exists only on the veth pair between the two namespaces made here.
import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Testing
import TestSupport

let masterAddress = "10.210.0.1"
let agentAddress = "10.210.0.2"
let masterAddress6 = "fd00:210::1"
let agentAddress6 = "fd00:210::2"

/// iptables-save -c: packet counter of the rule whose text contains `match`.
func ruleCount(_ save: String, _ match: String) -> Int? {
    for line in save.split(whereSeparator: \.isNewline) where line.hasPrefix("[") && line.contains(match) {
        let inner = line.dropFirst().prefix { $0 != ":" }
        return Int(inner)
    }
    return nil
}

struct FlowFacts: Hashable, CustomStringConvertible {
    var proto: String
    var client: String
    var clientPort: Int
    var server: String
    var serverPort: Int
    var verdict: String
    var clientPackets: Int
    var serverPackets: Int
    var icmpErrors: Int
    var description: String {
        "\(proto) \(client):\(clientPort) → \(server):\(serverPort) \(verdict) \(clientPackets)/\(serverPackets) icmp \(icmpErrors)"
    }

    init(json f: [String: Any]) {
        proto = f["proto"] as? String ?? "?"
        client = f["client"] as? String ?? "?"
        clientPort = f["client_port"] as? Int ?? -1
        server = f["server"] as? String ?? "?"
        serverPort = f["server_port"] as? Int ?? -1
        verdict = f["verdict"] as? String ?? "?"
        clientPackets = f["client_packets"] as? Int ?? -1
        serverPackets = f["server_packets"] as? Int ?? -1
        icmpErrors = f["icmp_errors"] as? Int ?? -1
    }

    init(_ f: FlowRecord) {
        proto = f.proto == .tcp ? "tcp" : f.proto == .udp ? "udp" : "\(f.proto.rawValue)"
        client = f.client.text(version: f.ipVersion)
        clientPort = Int(f.clientPort)
        server = f.server.text(version: f.ipVersion)
        serverPort = Int(f.serverPort)
        verdict = f.verdict.rawValue
        clientPackets = Int(f.clientPackets)
        serverPackets = Int(f.serverPackets)
        icmpErrors = Int(f.icmpErrors)
    }
}

@Suite(.serialized, .enabled(if: canRunLab, "needs root, `ip netns` and a built portolan"))
struct LiveFlowsTests {
    @Test func flowsVerdictsAndCountsMatchWhatWasSentAndTheFile() throws {
        for tool in ["nginx", "socat", "ncat", "iptables", "iptables-save", "ip6tables", "ip6tables-save"] {
            try #require(which(tool) != nil, "\(tool) is not installed (see .ci/live-packages.txt)")
        }
        let lab = NetLab()
        let master = try lab.namespace("master")
        let agent = try lab.namespace("agent")
        try lab.link(master, "v0", "\(masterAddress)/24", agent, "v0", "\(agentAddress)/24")
        try lab.sh(["ip", "-n", master, "addr", "add", "\(masterAddress6)/64", "dev", "v0", "nodad"])
        try lab.sh(["ip", "-n", agent, "addr", "add", "\(agentAddress6)/64", "dev", "v0", "nodad"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.id)-files").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // Servers on the "master": nginx (Admin Router's port 80), a TCP echo on 9999 (a port the
        // catalog gives agents only), a UDP echo on 53 (DNS Dispatcher). 2181 is dropped, 5050
        // rejected with ICMP, 8181 and UDP 9001 have no listener. Counting rules record what
        // really crossed the wire.
        let conf = """
            daemon off; master_process off; worker_processes 1; pid \(dir)/nginx.pid; error_log stderr;
            events { worker_connections 64; }
            http { access_log off; client_body_temp_path \(dir)/b; proxy_temp_path \(dir)/p;
              fastcgi_temp_path \(dir)/f; uwsgi_temp_path \(dir)/u; scgi_temp_path \(dir)/s;
              server { listen \(masterAddress):80; listen [\(masterAddress6)]:80; location / { return 200 "portolan\\n"; } } }
            """
        try conf.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
        _ = try lab.spawn(master, ["nginx", "-e", "stderr", "-p", dir, "-c", "\(dir)/nginx.conf"])
        _ = try lab.spawn(master, ["socat", "TCP4-LISTEN:9999,bind=\(masterAddress),reuseaddr,fork", "PIPE"])
        _ = try lab.spawn(master, ["socat", "UDP4-RECVFROM:53,bind=\(masterAddress),fork", "PIPE"])
        let rules: [[String]] = [
            ["-A", "INPUT", "-p", "tcp", "--dport", "80"], ["-A", "OUTPUT", "-p", "tcp", "--sport", "80"],
            ["-A", "INPUT", "-p", "tcp", "--dport", "9999"], ["-A", "OUTPUT", "-p", "tcp", "--sport", "9999"],
            ["-A", "INPUT", "-p", "udp", "--dport", "53"], ["-A", "OUTPUT", "-p", "udp", "--sport", "53"],
            ["-A", "INPUT", "-p", "tcp", "--dport", "8181"], ["-A", "OUTPUT", "-p", "tcp", "--sport", "8181"],
            ["-A", "INPUT", "-p", "udp", "--dport", "9001"],
            ["-A", "OUTPUT", "-p", "icmp", "--icmp-type", "destination-unreachable"],
            ["-A", "INPUT", "-p", "tcp", "--dport", "2181", "-j", "DROP"],
            ["-A", "INPUT", "-p", "tcp", "--dport", "5050", "-j", "REJECT"],
        ]
        for r in rules { try lab.sh(["ip", "netns", "exec", master, "iptables"] + r) }
        for r in [["-A", "INPUT", "-p", "tcp", "--dport", "80"], ["-A", "OUTPUT", "-p", "tcp", "--sport", "80"]] {
            try lab.sh(["ip", "netns", "exec", master, "ip6tables"] + r)
        }
        try waitForListeners(lab, master, tcp: [80, 9999], udp: [53])

        let file = "\(dir)/live.pcap"
        let roles = ["--role", "dcos-master=\(masterAddress)", "--role", "dcos-agent=\(agentAddress)"]
        let live = try lab.portolan(
            agent, ["live", "-i", "v0", "--catalog", "dcos-1.8"] + roles
                + ["-w", file, "--interval", "0.5", "--format", "json", "--fail-on", "blocked", "tcp", "or", "udp", "or", "icmp"])

        // Clients on the "agent". The three that wait for a timeout run side by side.
        let slow = [
            try lab.spawn(agent, ["ncat", "-w", "1.5", masterAddress, "2181"]),
            try lab.spawn(agent, ["ncat", "-w", "1.5", masterAddress, "5050"]),
            try lab.spawn(agent, ["ncat", "-w", "1.5", masterAddress, "8181"]),
        ]
        let http = try lab.exec(agent, ["ncat", "-w", "3", masterAddress, "80"], stdin: "GET / HTTP/1.0\r\n\r\n")
        #expect(http.stdout.contains("200 OK") && http.stdout.contains("portolan"), "\(http.stdout)\(http.stderr)")
        let http6 = try lab.exec(agent, ["ncat", "-6", "-w", "3", masterAddress6, "80"], stdin: "GET / HTTP/1.0\r\n\r\n")
        #expect(http6.stdout.contains("200 OK"), "\(http6.stdout)\(http6.stderr)")
        let echo = try lab.exec(agent, ["ncat", "-w", "3", masterAddress, "9999"], stdin: "hello portolan\n")
        #expect(echo.stdout == "hello portolan\n", "\(echo.stderr)")
        let dns = try lab.exec(agent, ["socat", "-T", "1", "-", "UDP4:\(masterAddress):53"], stdin: "q")
        #expect(dns.stdout == "q")
        _ = try lab.exec(agent, ["socat", "-T", "0.5", "-", "UDP4:\(masterAddress):9001"], stdin: "x")
        for p in slow { p.wait(timeout: 10) }
        // The last FIN/ACKs, and two intervals after the last client: on a loaded machine the slow
        // clients may be done before the UDP 9001 datagram, whose problem an interval line must name.
        usleep(1_100_000)
        live.signal(SIGINT)

        // --fail-on blocked: the dropped, rejected and refused connections are findings.
        #expect(live.wait(timeout: 15) == 1, "\(live.stderr)")
        let final = try #require(last("final", in: live.stdout), "\(live.stdout)\n\(live.stderr)")
        let facts = try #require(final["capture"] as? [String: Any])
        #expect(facts["stopped"] as? String == "SIGINT")
        #expect(drops(facts)?.kernel == 0)
        let accounting = final["accounting"] as? [String: Any]
        #expect(accounting?["balanced"] as? Bool == true)
        let flows = (final["flows"] as? [[String: Any]] ?? []).map(FlowFacts.init(json:))
        // Issue 13: one line says what triggered the status, with the flows that did.
        let blockedFlows = (final["flows"] as? [[String: Any]] ?? []).filter {
            ($0["verdicts"] as? [String] ?? []).contains { $0.hasPrefix("blocked-") }
        }.count
        #expect(blockedFlows > 0 && live.stderr.contains("portolan: --fail-on blocked: \(blockedFlows) flows ("), "\(live.stderr)")
        let save = try lab.exec(master, ["iptables-save", "-c"]).stdout

        // The interval lines named each problem flow as it appeared, and no expected one.
        let intervals = jsonLines(live.stdout).filter { $0["type"] as? String == "interval" }
        let announced = intervals.flatMap { $0["new_problems"] as? [[String: Any]] ?? [] }
        #expect(Set(announced.compactMap { $0["server_port"] as? Int }) == [2181, 5050, 8181, 9001, 9999])
        #expect(intervals.allSatisfy { drops($0)?.kernel == 0 })

        func flow(_ proto: String, _ port: Int) -> FlowFacts? {
            let matches = flows.filter { $0.proto == proto && $0.serverPort == port && $0.server == masterAddress }
            #expect(matches.count == 1, "\(proto) \(port): \(flows)")
            return matches.first
        }
        func component(_ port: Int) -> String? {
            (final["flows"] as? [[String: Any]])?.first { $0["server_port"] as? Int == port }?["component"] as? String
        }

        // IPv6: the same server over IPv6 (not in the inventory, so the port's entry decides).
        let save6 = try lab.exec(master, ["ip6tables-save", "-c"]).stdout
        let web6 = try #require(flows.first { $0.server == masterAddress6 && $0.serverPort == 80 }, "\(flows)")
        #expect(web6.verdict == "expected" && web6.client == agentAddress6)
        #expect(web6.clientPackets == ruleCount(save6, "--dport 80"))
        #expect(web6.serverPackets == ruleCount(save6, "--sport 80"))

        let web = try #require(flow("tcp", 80))
        #expect(web.verdict == "expected")
        #expect(component(80) == "Admin Router Service")
        #expect(web.clientPackets == ruleCount(save, "--dport 80"))
        #expect(web.serverPackets == ruleCount(save, "--sport 80"))

        let wrong = try #require(flow("tcp", 9999))
        #expect(wrong.verdict == "wrong-role")
        #expect(wrong.clientPackets == ruleCount(save, "--dport 9999"))
        #expect(wrong.serverPackets == ruleCount(save, "--sport 9999"))

        let udp = try #require(flow("udp", 53))
        #expect(udp.verdict == "expected")
        #expect(component(53) == "DNS Dispatcher")
        #expect(udp.clientPackets == 1 && udp.serverPackets == 1)
        #expect(ruleCount(save, "--dport 53") == 1 && ruleCount(save, "--sport 53") == 1)

        let dropped = try #require(flow("tcp", 2181))
        #expect(dropped.verdict == "blocked-drop")
        #expect(dropped.clientPackets >= 1 && dropped.clientPackets == ruleCount(save, "-j DROP"))
        #expect(dropped.serverPackets == 0 && dropped.icmpErrors == 0)

        let rejected = try #require(flow("tcp", 5050))
        #expect(rejected.verdict == "blocked-icmp")
        #expect(rejected.clientPackets == ruleCount(save, "-j REJECT"))
        // The server side's only answer is the ICMP error (counted in its direction).
        #expect(rejected.icmpErrors == rejected.clientPackets && rejected.serverPackets == rejected.icmpErrors, "\(rejected)")

        let refused = try #require(flow("tcp", 8181))
        #expect(refused.verdict == "blocked-rst")
        #expect(refused.clientPackets == ruleCount(save, "--dport 8181"))
        #expect(refused.serverPackets == ruleCount(save, "--sport 8181"))

        let unreachable = try #require(flow("udp", 9001))
        #expect(unreachable.verdict == "blocked-icmp")
        #expect(unreachable.clientPackets == ruleCount(save, "--dport 9001") && unreachable.icmpErrors == 1)
        // Every ICMP error the master sent (REJECT's and the closed UDP port's) is matched to its flow.
        #expect(rejected.icmpErrors + unreachable.icmpErrors == ruleCount(save, "-A OUTPUT -p icmp"))

        // -w round trip: the file holds every packet the report counted, and the same analysis
        // offline gives the same flows, verdicts and counts.
        let catalog = try CompiledCatalog.compile([Catalog.builtIn("dcos-1.8")])
        var inventory = Inventory()
        try inventory.addRole("dcos-master=\(masterAddress)", catalog: catalog)
        try inventory.addRole("dcos-agent=\(agentAddress)", catalog: catalog)
        var analyzer = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory))
        _ = analyzer.addSource(name: file)
        var reader = try CaptureReader(path: file)
        var record = CaptureRecord()
        var packets = 0
        while let bytes = try reader.next(&record) {
            analyzer.process(record, bytes)
            packets += 1
        }
        #expect(packets == facts["packets"] as? Int)
        let offline = analyzer.snapshot().flows.map(FlowFacts.init)
        #expect(Set(offline) == Set(flows), "offline \(offline)\nlive \(flows)")

        // And `portolan analyze` on the file says the same, with the same exit status.
        let analyze = try runTool(
            [portolanBinary, "analyze", file, "--catalog", "dcos-1.8"] + roles + ["--format", "json", "--fail-on", "blocked"])
        #expect(analyze.status == 1, "\(analyze.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any]
        let analyzed = (document?["flows"] as? [[String: Any]] ?? []).map(FlowFacts.init(json:))
        #expect(Set(analyzed) == Set(flows), "analyze \(analyzed)\nlive \(flows)")
        #expect(document?["verdict_counts"] as? NSDictionary == final["verdict_counts"] as? NSDictionary)
    }
}

/// Waits (≤ 5 s) until `ss` shows the listeners in `ns`.
func waitForListeners(_ lab: NetLab, _ ns: String, tcp: [Int], udp: [Int]) throws {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        let t = try lab.exec(ns, ["ss", "-ltnH"]).stdout
        let u = try lab.exec(ns, ["ss", "-lunH"]).stdout
        if tcp.allSatisfy({ t.contains(":\($0) ") }) && udp.allSatisfy({ u.contains(":\($0) ") }) { return }
        usleep(50_000)
    }
    throw LabError("servers did not start listening")
}

extension LiveFlowsTests {
    /// A TCP connection that closed expires after --close-linger; one that stays open but
    /// quiet does not (its --idle-timeout has not passed).
    @Test func closedTCPExpiresOpenTCPStays() throws {
        let lab = NetLab()
        let master = try lab.namespace("m2")
        let agent = try lab.namespace("a2")
        try lab.link(master, "v0", "10.211.0.1/24", agent, "v0", "10.211.0.2/24")
        _ = try lab.spawn(master, ["socat", "TCP4-LISTEN:9999,bind=10.211.0.1,reuseaddr,fork", "PIPE"])
        try waitForListeners(lab, master, tcp: [9999], udp: [])
        let live = try lab.portolan(
            agent, ["live", "-i", "v0", "--idle-timeout", "20", "--close-linger", "0.3", "--interval", "0.25",
                    "--duration", "2.5", "--format", "json", "tcp"])
        // Held open (stdin stays open for 4 s), one line echoed, then quiet.
        let held = try lab.spawn(agent, ["sh", "-c", "(echo held; sleep 4) | ncat 10.211.0.1 9999"])
        let closed = try lab.exec(agent, ["ncat", "-w", "2", "10.211.0.1", "9999"], stdin: "closed\n")
        #expect(closed.stdout == "closed\n")
        #expect(live.wait(timeout: 10) == 0, "\(live.stderr)")
        held.stop()
        let intervals = jsonLines(live.stdout).filter { $0["type"] as? String == "interval" }
        let expired = intervals.flatMap { $0["expired"] as? [[String: Any]] ?? [] }
        #expect(expired.count == 1, "\(expired)")
        #expect(expired.first?["state"] as? String == "SF")
        #expect(expired.first?["client_payload_bytes"] as? Int == 7)  // "closed\n"
        #expect(intervals.last?["active_flows"] as? Int == 1)
        let final = try #require(last("final", in: live.stdout))
        #expect((final["flows"] as? [[String: Any]])?.count == 2)
        #expect((final["capture"] as? [String: Any])?["expired_flows"] as? Int == 1)
    }
}
