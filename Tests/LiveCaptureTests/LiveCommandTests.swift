// `portolan live` end to end, in network namespaces made by each test (root only; skipped
// otherwise and when `ip netns` is unavailable). See NetLab.swift for the safety rule.
import CaptureFile
import Foundation
import PacketWire
import Testing
import TestSupport

/// Sends COUNT UDP datagrams of SIZE bytes to ADDRESS:PORT, as fast as one core can or at most
/// RATE per second; with PORTS, to PORT … PORT+PORTS-1 in turn (that many flows).
let burstSource = """
    #include <arpa/inet.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/socket.h>
    #include <time.h>
    static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
    int main(int argc, char **argv) {
        if (argc < 5 || argc > 7) { fprintf(stderr, "usage: burst ADDRESS PORT COUNT SIZE [PORTS [RATE]]\\n"); return 2; }
        long count = atol(argv[3]); int size = atoi(argv[4]); int port = atoi(argv[2]);
        int ports = argc >= 6 ? atoi(argv[5]) : 1;
        double rate = argc == 7 ? atof(argv[6]) : 0;
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) { perror("socket"); return 1; }
        struct sockaddr_in to; memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) return 2;
        char buf[2048]; memset(buf, 0x5a, sizeof buf);
        long sent = 0;
        double start = now();
        for (long i = 0; i < count; i++) {
            if (rate > 0 && i % 1000 == 0) {
                double ahead = i / rate - (now() - start);
                if (ahead > 0) { struct timespec d = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) }; nanosleep(&d, 0); }
            }
            to.sin_port = htons(port + (int)(i % ports));
            if (sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof to) == size) sent++;
        }
        printf("%ld\\n", sent);
        return sent == count ? 0 : 1;
    }
    """

/// The last line of portolan's JSON-lines output whose "type" is `type`.
func last(_ type: String, in output: String) -> [String: Any]? {
    jsonLines(output).last { $0["type"] as? String == type }
}

/// The "capture" object of the final report (JSON format): packets, drops, why it stopped.
func captureFacts(_ output: String) -> [String: Any]? {
    last("final", in: output)?["capture"] as? [String: Any]
}

func drops(_ object: [String: Any]?) -> (received: Int, kernel: Int, interface: Int)? {
    guard let d = object?["drops"] as? [String: Any] else { return nil }
    return (d["received"] as? Int ?? -1, d["kernel"] as? Int ?? -1, d["interface"] as? Int ?? -1)
}

@Suite(.serialized, .enabled(if: canRunLab, "needs root, `ip netns` and a built portolan"))
struct LiveCommandTests {
    /// 200,000 UDP datagrams (100,000 a second) on a fresh namespace's loopback at the default
    /// settings: every one is captured and the report says nothing was dropped. The rate keeps
    /// the test honest on a slow, shared CI machine running the debug build: the 32 MiB ring
    /// must absorb what the sender gets ahead of the analyzer.
    @Test func burstOnLoopbackIsCapturedWithoutDrops() throws {
        let lab = NetLab()
        let ns = try lab.namespace("burst")
        let burst = try compileC(burstSource, name: "burst3")
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--count", "200000", "--duration", "40", "--interval", "1", "--fail-on", "none", "udp", "dst", "port", "7000"])
        let sent = try lab.exec(ns, [burst, "127.0.0.1", "7000", "200000", "64", "1", "100000"], timeout: 30)
        #expect(sent.status == 0 && sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "200000")
        let status = live.wait(timeout: 45)
        #expect(status == 0, "\(live.stderr)")
        let final = try #require(captureFacts(live.stdout), "\(live.stdout)\n\(live.stderr)")
        #expect(final["packets"] as? Int == 200_000)
        let d = try #require(drops(final))
        #expect(d.kernel == 0 && d.interface == 0)
        // Only the incoming copy of each loopback packet reaches the ring (`inbound`).
        #expect(d.received == 200_000)
        #expect(final["incomplete"] as? Bool != true)
    }

    /// Kernel drops are counted exactly: the capture is frozen (SIGSTOP) while 200,000
    /// datagrams arrive over a veth into a 1 MiB ring; captured + dropped = sent.
    @Test func dropsAreCountedWhenTheRingOverflows() throws {
        let lab = NetLab()
        let a = try lab.namespace("cap")
        let b = try lab.namespace("send")
        try lab.link(a, "v0", "10.201.0.1/24", b, "v0", "10.201.0.2/24")
        let burst = try compileC(burstSource, name: "burst3")
        let live = try lab.portolan(a, ["live", "-i", "v0", "--buffer-size", "1", "--duration", "3", "--interval", "0.5", "--fail-on", "none", "udp", "port", "7000"])
        live.signal(SIGSTOP)
        let sent = try lab.exec(b, [burst, "10.201.0.1", "7000", "200000", "64"], timeout: 30)
        live.signal(SIGCONT)
        #expect(sent.status == 0)
        #expect(live.wait(timeout: 20) == 0, "\(live.stderr)")
        let final = try #require(captureFacts(live.stdout), "\(live.stdout)\n\(live.stderr)")
        let captured = try #require(final["packets"] as? Int)
        let d = try #require(drops(final))
        #expect(d.kernel > 0)
        #expect(captured + d.kernel == 200_000)
        #expect(d.received == 200_000)
        #expect(final["incomplete"] as? Bool == true)
        #expect(live.stderr.contains("may be incomplete"))
    }

    /// On a silent interface: --duration ends on time, SIGINT and SIGTERM end at once, each with
    /// a final report.
    @Test func silentInterfaceStopsOnDurationAndSignals() throws {
        let lab = NetLab()
        let ns = try lab.namespace("idle")
        let t0 = Date()
        let timed = try lab.portolan(ns, ["live", "-i", "lo", "--count", "5", "--duration", "1.5"])
        #expect(timed.wait(timeout: 10) == 0)
        let elapsed = Date().timeIntervalSince(t0)
        #expect(elapsed >= 1.5 && elapsed < 8)
        #expect(captureFacts(timed.stdout)?["packets"] as? Int == 0)

        for signo in [SIGINT, SIGTERM] {
            let live = try lab.portolan(ns, ["live", "-i", "lo", "--count", "5"])
            usleep(300_000)
            let sent = Date()
            live.signal(signo)
            #expect(live.wait(timeout: 5) == 0, "signal \(signo): \(live.stderr)")
            #expect(Date().timeIntervalSince(sent) < 3)
            #expect(last("final", in: live.stdout) != nil, "signal \(signo): \(live.stdout)")
        }
    }

    /// Idle flows expire and are still in the final report; at --max-flows the table evicts,
    /// and says how many.
    @Test func idleFlowsExpireAndTheTableStaysBounded() throws {
        let lab = NetLab()
        let ns = try lab.namespace("expire")
        let burst = try compileC(burstSource, name: "burst3")
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--idle-timeout", "0.4", "--max-flows", "10", "--interval", "0.3", "--duration", "2.5", "--fail-on", "none", "udp", "dst", "portrange", "7100-7199"])
        // 50 flows, one datagram each: 40 evicted on arrival, the other 10 expire when idle.
        try lab.exec(ns, [burst, "127.0.0.1", "7100", "50", "16", "50"])
        #expect(live.wait(timeout: 10) == 0, "\(live.stderr)")
        let intervals = jsonLines(live.stdout).filter { $0["type"] as? String == "interval" }
        #expect(intervals.allSatisfy { ($0["active_flows"] as? Int ?? 99) <= 10 })
        #expect(intervals.last?["active_flows"] as? Int == 0)
        // Each expired flow is reported whole in the interval it expired in, exactly once.
        let expired = intervals.flatMap { $0["expired"] as? [[String: Any]] ?? [] }
        #expect(expired.count == 50)
        #expect(Set(expired.compactMap { $0["server_port"] as? Int }) == Set(7100..<7150))
        let final = try #require(last("final", in: live.stdout))
        let facts = try #require(final["capture"] as? [String: Any])
        #expect(facts["evicted_flows"] as? Int == 40)
        #expect(facts["expired_flows"] as? Int == 50)
        #expect(facts["flows"] as? Int == 50)
        #expect((final["flows"] as? [[String: Any]])?.count == 50)
        #expect(facts["packets"] as? Int == 50)
    }

    /// On a terminal: a table refreshed each interval, then the table report.
    @Test func terminalGetsARefreshedTable() throws {
        guard let script = which("script") else { return }
        let lab = NetLab()
        let ns = try lab.namespace("tty")
        let r = try lab.exec(ns, [script, "-qfec", "\(portolanBinary) live -i lo --duration 1.2 --interval 0.5 --fail-on none", "/dev/null"], timeout: 15)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("\u{1B}[H\u{1B}[2J"))
        #expect(r.stdout.contains("COMPONENT"))
        #expect(r.stdout.contains("Capture on lo: "))
        #expect(!r.stdout.contains("\"type\":\"interval\""))
    }

    /// The -w file is flushed every interval: killed without warning (SIGKILL), it still holds,
    /// whole and valid, every packet captured before the last interval.
    @Test func writtenFileIsValidAfterEveryInterval() throws {
        let lab = NetLab()
        let ns = try lab.namespace("flush")
        let burst = try compileC(burstSource, name: "burst3")
        let file = FileManager.default.temporaryDirectory.path + "/portolan-test-\(getpid())/\(lab.id)-flush.pcap"
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--interval", "0.2", "-w", file, "udp", "dst", "port", "7003"])
        try lab.exec(ns, [burst, "127.0.0.1", "7003", "300", "200"])
        usleep(800_000)  // the ring block times out (100 ms), then at least one interval passes
        live.signal(SIGKILL)
        live.wait(timeout: 5)
        var reader = try CaptureReader(path: file)
        var record = CaptureRecord()
        var n = 0
        while let bytes = try reader.next(&record) {
            n += 1
            #expect(record.originalLength == 14 + 20 + 8 + 200 && bytes.count == 242)
            #expect(record.frameNumber == UInt64(n))
        }
        #expect(n == 300)
        #expect(reader.fileLinkType == .ethernet && reader.snapshotLength == 256)
    }

    /// --count ends the capture after exactly that many packets.
    @Test func countStopsAfterThatManyPackets() throws {
        let lab = NetLab()
        let ns = try lab.namespace("count")
        let burst = try compileC(burstSource, name: "burst3")
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--count", "1000", "--duration", "20", "--fail-on", "none", "udp", "dst", "port", "7001"])
        try lab.exec(ns, [burst, "127.0.0.1", "7001", "5000", "32"])
        #expect(live.wait(timeout: 25) == 0)
        #expect(captureFacts(live.stdout)?["packets"] as? Int == 1000)
    }

    /// An interface deleted during the capture: what was captured is reported, then the error,
    /// exit status 2.
    @Test func interfaceGoingAwayEndsWithReportAndStatus2() throws {
        let lab = NetLab()
        let a = try lab.namespace("down-a")
        let b = try lab.namespace("down-b")
        try lab.link(a, "v0", "10.202.0.1/24", b, "v0", "10.202.0.2/24")
        let burst = try compileC(burstSource, name: "burst3")
        let file = "/tmp/\(lab.id)-down.pcap"
        defer { unlink(file) }
        let live = try lab.portolan(a, ["live", "-i", "v0", "--duration", "20", "--interval", "0.2", "-w", file, "udp", "port", "7002"])
        try lab.exec(b, [burst, "10.202.0.1", "7002", "25", "100"])
        usleep(400_000)
        try lab.sh(["ip", "-n", a, "link", "set", "v0", "down"])
        let status = live.wait(timeout: 10)
        #expect(status == 2)
        #expect(live.stderr.contains("went down"), "\(live.stderr)")
        let facts = captureFacts(live.stdout)
        #expect(facts?["packets"] as? Int == 25, "\(live.stdout)")
        #expect(facts?["stopped"] as? String == "fault")
        #expect((facts?["error"] as? String)?.contains("went down") == true)
        // What was captured is also written, as a valid file.
        var reader = try CaptureReader(path: file)
        var record = CaptureRecord()
        var n = 0
        while try reader.next(&record) != nil { n += 1 }
        #expect(n == 25)

        let live2 = try lab.portolan(b, ["live", "-i", "v0", "--duration", "20", "--interval", "0.2"])
        try lab.sh(["ip", "-n", b, "link", "del", "v0"])
        #expect(live2.wait(timeout: 10) == 2)
        #expect(live2.stderr.contains("v0"), "\(live2.stderr)")
        #expect(last("final", in: live2.stdout) != nil)
    }

    /// Bad input: a missing interface (lists the real ones), a filter libpcap rejects (its
    /// message and the expression), no permission (says what to do). Exit 2, no hang.
    @Test func badInputIsAClearMessageAndStatus2() throws {
        let lab = NetLab()
        let ns = try lab.namespace("bad")
        let missing = try lab.exec(ns, [portolanBinary, "live", "-i", "nosuch0", "--duration", "1"], timeout: 10)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such interface \"nosuch0\""), "\(missing.stderr)")
        #expect(missing.stderr.contains("lo"))

        let filter = try lab.exec(ns, [portolanBinary, "live", "-i", "lo", "--duration", "1", "tcp", "port", "eighty"], timeout: 10)
        #expect(filter.status == 2)
        #expect(filter.stderr.contains("\"tcp port eighty\""), "\(filter.stderr)")
        #expect(filter.stderr.contains("pcap_compile"))

        // An unprivileged user (no CAP_NET_RAW) cannot open the interface.
        if let setpriv = which("setpriv") {
            let copy = try privateCopyOfPortolan()
            let denied = try lab.exec(
                ns, [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", copy, "live", "-i", "lo", "--duration", "1"],
                timeout: 10)
            #expect(denied.status == 2)
            #expect(denied.stderr.contains("run as root or grant CAP_NET_RAW"), "\(denied.stderr)")
        }

        let noInterface = try runTool([portolanBinary, "live", "--duration", "1"], timeout: 10)
        #expect(noInterface.status == 2)
        #expect(noInterface.stderr.contains("missing -i IFACE") && noInterface.stderr.contains("lo"))
        let usage = try runTool([portolanBinary, "live", "-i", "lo", "--count", "0"], timeout: 10)
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--count must be at least 1"))
        let verdict = try runTool([portolanBinary, "live", "-i", "lo", "--fail-on", "blocked,bogus"], timeout: 10)
        #expect(verdict.status == 2)
        #expect(verdict.stderr.contains("unknown verdict 'bogus'"))
    }

    /// -Z USER: the capture runs as that user after opening the interface (the -w file it
    /// creates belongs to the user, as with tcpdump -Z).
    @Test func dropsPrivilegesWithZ() throws {
        let lab = NetLab()
        let ns = try lab.namespace("priv")
        let live = try lab.portolan(ns, ["live", "-i", "lo", "-Z", "nobody", "--duration", "30"])
        usleep(300_000)
        let status = try String(contentsOfFile: "/proc/\(live.pid)/status", encoding: .utf8)
        let uidLine = status.split(whereSeparator: \.isNewline).first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uidLine.split(whereSeparator: \.isWhitespace).dropFirst().allSatisfy { $0 == "65534" }, "\(uidLine)")
        live.signal(SIGINT)
        #expect(live.wait(timeout: 5) == 0, "\(live.stderr)")

        let unknown = try lab.exec(ns, [portolanBinary, "live", "-i", "lo", "-Z", "no-such-user-x", "--duration", "1"], timeout: 10)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no-such-user-x"))
    }
}

/// A copy of the binary an unprivileged user can execute (the build folder may not be reachable).
func privateCopyOfPortolan() throws -> String {
    let dir = FileManager.default.temporaryDirectory.path + "/portolan-test-bin-\(getpid())"
    let path = dir + "/portolan"
    if FileManager.default.isExecutableFile(atPath: path) { return path }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    try FileManager.default.copyItem(atPath: portolanBinary, toPath: path)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

@Suite(.enabled(if: canRunLab, "needs root, `ip netns` and a built portolan"))
struct InterfacesCommandTests {
    /// `portolan interfaces` inside a namespace lists exactly what is there, with flags and addresses.
    @Test func listsNamespaceInterfacesWithAddresses() throws {
        let lab = NetLab()
        let a = try lab.namespace("if-a")
        let b = try lab.namespace("if-b")
        try lab.link(a, "v0", "10.203.0.1/24", b, "v0", "10.203.0.2/24")
        try lab.sh(["ip", "-n", a, "addr", "add", "fd00:203::1/64", "dev", "v0", "nodad"])
        let table = try lab.exec(a, [portolanBinary, "interfaces"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("v0 [Up, Running"), "\(table.stdout)")
        #expect(table.stdout.contains("inet  10.203.0.1/24"))
        #expect(table.stdout.contains("inet6 fd00:203::1/64"))
        #expect(table.stdout.contains("lo [Up, Running, Loopback"))

        let json = try lab.exec(a, [portolanBinary, "interfaces", "--format", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let v0 = try #require(list.first { $0["name"] as? String == "v0" })
        #expect(v0["up"] as? Bool == true)
        #expect((v0["addresses"] as? [String])?.contains("10.203.0.1/24") == true)
        #expect(list.first { $0["name"] as? String == "lo" }?["loopback"] as? Bool == true)
    }
}
