import ArgumentParser
import CaptureFile
import FlowAnalysis
import PortCatalog
import Reports
import LiveCapture
import PacketWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `portolan live`: capture on an interface and analyse as the packets arrive.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture on an interface and report flows and verdicts as they happen.",
        discussion: """
            Needs root or CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode). On a terminal the \
            table is refreshed every --interval seconds; otherwise one JSON object per line and \
            interval is written (usable with jq). Stops on Ctrl-C/SIGTERM, --duration or --count, \
            then prints the final report. Exit status: 0 no finding in --fail-on, 1 finding, \
            2 bad input, usage or capture fault.
            """
    )

    @Option(name: [.customShort("i"), .customLong("interface")], help: ArgumentHelp("Interface to capture on (see `portolan interfaces`); required.", valueName: "name"))
    var interfaceOption: String?

    /// The -i interface (checkOptions made sure there is one).
    var interface: String { interfaceOption ?? "" }

    @Argument(help: "Capture filter (BPF), as tcpdump takes it, e.g. `tcp port 443 or udp`.")
    var filter: [String] = []

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var count: UInt64?

    @Option(help: "Seconds between table refreshes / JSON lines.")
    var interval: Double = 1

    @Option(name: .customShort("w"), help: ArgumentHelp("Also write the captured packets to this pcap file.", valueName: "file"))
    var write: String?

    @Option(help: "Bytes kept per packet (headers are what the analysis needs).")
    var snaplen: Int32 = 256

    @Option(name: .customLong("buffer-size"), help: "Kernel capture buffer, in MiB.")
    var bufferSize: Int32 = 32

    @Flag(name: .customLong("no-promiscuous"), help: "Do not put the interface into promiscuous mode.")
    var noPromiscuous = false

    @Flag(help: "Deliver packets as they arrive instead of in short batches.")
    var immediate = false

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which an idle flow expires and is reported.")
    var idleTimeout: Double = 60

    @Option(name: .customLong("close-linger"), help: "Seconds a TCP flow closed by FINs or a RST is kept (for late packets) before it expires and is reported.")
    var closeLinger: Double = 5

    @Option(name: .customLong("max-flows"), help: "Most flows kept in memory; beyond it the oldest idle are evicted (and counted).")
    var maxFlows: Int = 100_000

    @OptionGroup var catalogOptions: CatalogOptions

    @Option(help: "Final report format: table, json, jsonl or csv (default: table on a terminal, else json).")
    var format: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a flow has one of these verdicts (comma-separated; 'problems' = every verdict but expected, 'blocked' = the blocked ones), as analyze.", valueName: "VERDICT,…"))
    var failOn: String = "none"

    @Option(name: .customShort("Z"), help: ArgumentHelp("After opening the interface, switch to this user, as tcpdump -Z (the -w file is then created as that user).", valueName: "user"))
    var user: String?

    /// Option combinations checked in `run()` rather than `validate()`, so that a usage mistake
    /// exits with status 2 like every other bad input (ArgumentParser's validation exits 64).
    func checkOptions() throws(LiveUsageError) {
        if interfaceOption == nil {
            let names = (try? CaptureInterface.findAll().map(\.name)) ?? []
            throw LiveUsageError("missing -i IFACE, the interface to capture on" + (names.isEmpty ? "" : " (one of: \(names.joined(separator: ", ")))"))
        }
        if let format, ReportFormat(rawValue: format) == nil {
            throw LiveUsageError("--format must be one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if write == "-" { throw LiveUsageError("-w - is not supported: standard output carries the report") }
        if case .failure(let e) = parseVerdicts(failOn) { throw LiveUsageError(e.message) }
        // Bounded so that the conversion to Int64 nanoseconds cannot trap.
        if let duration, !(duration > 0 && duration <= 1e8) { throw LiveUsageError("--duration must be a positive number of seconds (at most 1e8)") }
        if count == 0 { throw LiveUsageError("--count must be at least 1") }
        if !(interval >= 0.01 && interval <= 86_400) { throw LiveUsageError("--interval must be between 0.01 and 86400 seconds") }
        if !(64...262_144).contains(snaplen) { throw LiveUsageError("--snaplen must be between 64 and 262144") }
        if !(1...2047).contains(bufferSize) { throw LiveUsageError("--buffer-size must be between 1 and 2047 MiB") }  // pcap_set_buffer_size takes an int
        if !(idleTimeout > 0 && idleTimeout <= 1e8) { throw LiveUsageError("--idle-timeout must be a positive number of seconds (at most 1e8)") }
        if !(closeLinger >= 0 && closeLinger <= 1e8) { throw LiveUsageError("--close-linger must be between 0 and 1e8 seconds") }
        if maxFlows < 1 { throw LiveUsageError("--max-flows must be at least 1") }
    }

    /// --fail-on as a set of verdicts.
    var failOnVerdicts: Set<Verdict> {
        (try? parseVerdicts(failOn).get()) ?? []  // validate() has already refused a bad list
    }

    var settings: CaptureSettings {
        var s = CaptureSettings(device: interface)
        s.snaplen = snaplen
        s.bufferSizeMiB = bufferSize
        s.promiscuous = !noPromiscuous
        s.immediate = immediate
        s.filter = filter.joined(separator: " ")
        return s
    }

    func run() throws {
        do { try checkOptions() } catch { liveFail("\(error.message) (see 'portolan live --help')") }
        // Catalog and inventory first: a mistake there costs no capture.
        let (catalog, inventory) = try catalogOptions.load()
        let stop: StopSignal
        do { stop = try StopSignal.install() } catch { liveFail("\(error)") }

        var warning: String?
        var handle: PcapHandle
        do {
            handle = try PcapHandle.open(settings, warning: &warning)
        } catch {
            liveFail(Self.explain(error))
        }
        if let warning { liveWarn("warning: \(interface): \(warning)") }
        let linkName = handle.linkType.name ?? "LINKTYPE \(handle.linkType.rawValue)"
        // As tcpdump says it; tests wait for this line before sending traffic.
        liveWarn("portolan live: listening on \(interface), link-type \(linkName), snapshot length \(handle.snapshot) bytes, buffer \(bufferSize) MiB")
        if let user {
            do { try Privileges.drop(toUser: user) } catch { liveFail("\(error)") }
        }

        let configuration = AnalyzerConfiguration(
            catalog: catalog, inventory: inventory, idleTimeoutNanos: Int64(idleTimeout * 1e9),
            closedLingerNanos: Int64(closeLinger * 1e9), maxFlows: maxFlows)
        var session = LiveSession(
            interface: interface, linkType: handle.linkType, snaplen: UInt32(handle.snapshot),
            output: isatty(STDOUT_FILENO) != 0 ? .table : .jsonLines, configuration: configuration,
            failOn: failOnVerdicts)
        session.format = format.flatMap(ReportFormat.init(rawValue:)) ?? (session.output == .table ? .table : .json)
        // Opened after dropping privileges, as tcpdump does: the file belongs to the -Z user.
        if let write {
            do { try session.openWriter(path: write) } catch { liveFail("cannot write \(write): \(error)") }
        }

        let loop = CaptureLoop(
            stop: stop, intervalNanos: Int64(interval * 1e9), durationNanos: duration.map { Int64($0 * 1e9) },
            maxPackets: count)
        var fault: String?
        var reason: StopReason?
        do {
            reason = try loop.run(
                &handle, packet: { record, bytes in session.packet(record, bytes) },
                tick: { stats in session.tick(stats: stats) })
        } catch {
            fault = Self.explain(error)
        }
        stop.restoreDefaults()  // a second Ctrl-C during the final report ends the process
        let stats = try? handle.stats()
        let status = session.finish(stats: stats, reason: reason, fault: fault)
        let problem = fault ?? session.writeError
        if let problem { liveWarn("portolan live: \(problem)") }
        throw ExitCode(problem != nil ? 2 : status)
    }

    /// libpcap's message, plus what the user can do about it.
    static func explain(_ error: PcapError) -> String {
        switch error.kind {
        case .noSuchDevice:
            let names = (try? CaptureInterface.findAll().map(\.name)) ?? []
            let list = names.isEmpty ? "none found" : names.joined(separator: ", ")
            return "no such interface \"\(error.device ?? "")\" (\(error.message)); interfaces that exist: \(list)"
        case .permissionDenied:
            return "\(error): no permission to capture; run as root or grant CAP_NET_RAW (and CAP_NET_ADMIN), e.g. setcap cap_net_raw,cap_net_admin=eip portolan"
        case .interfaceNotUp:
            return "\(error): the interface is down; bring it up (ip link set \(error.device ?? "IFACE") up)"
        case .badFilter:
            return "\(error)"
        case .interfaceWentDown:
            return "capture ended: interface \"\(error.device ?? "")\" went down or away: \(error.message)"
        case .other:
            return "\(error)"
        }
    }
}

struct LiveUsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A flow's identity across intervals: the analyzer's key as reports see it.
struct LiveFlowID: Hashable {
    var proto: UInt8
    var client: IPAddress
    var clientPort: UInt16
    var server: IPAddress
    var serverPort: UInt16
    var vlan: UInt16
    var tunnel: UInt8

    init(_ f: FlowRecord) {
        proto = f.proto.rawValue
        client = f.client
        clientPort = f.clientPort
        server = f.server
        serverPort = f.serverPort
        vlan = f.vlan
        tunnel = f.tunnel.rawValue
    }
}

/// What `portolan live` keeps while capturing: the analyzer, the -w file, the flows that
/// expired (kept for the final report, up to a bound; counted always), and what was already said.
struct LiveSession {
    enum Output { case table, jsonLines }

    let source: String
    let linkType: LinkType
    let snaplen: UInt32
    let output: Output
    let interface: String
    let startNanos = wallClockNanos()
    var analyzer: FlowAnalyzer
    var writer: PcapWriter?
    var writeError: String?
    /// Flows that expired or were evicted, for the final report (at most `keepExpired`).
    var expired: [FlowRecord] = []
    let keepExpired: Int
    /// Expired flows beyond `keepExpired`: counted per component and verdict, not listed.
    var expiredNotListed = 0
    var expiredTotal = 0
    var expiredCounts: [LiveCountKey: Int] = [:]
    /// Problem flows already reported in an interval line, with the verdict they had: a flow is
    /// new again when its primary verdict changes. Entries leave with their flow (bounded).
    var reportedProblems: [LiveFlowID: Verdict] = [:]
    var format: ReportFormat = .json
    var last: LiveTotals

    /// Verdicts that make a finding (--fail-on), and findings among expired flows not listed.
    let failOn: Set<Verdict>
    var findingsNotListed = 0

    init(interface: String, linkType: LinkType, snaplen: UInt32, output: Output, configuration: AnalyzerConfiguration,
         failOn: Set<Verdict>) {
        self.failOn = failOn
        self.interface = interface
        self.source = "live:\(interface)"
        self.linkType = linkType
        self.snaplen = snaplen
        self.output = output
        self.analyzer = FlowAnalyzer(configuration: configuration)
        self.keepExpired = max(configuration.maxFlows, 10_000)
        self.last = LiveTotals(nanos: startNanos)
        _ = analyzer.addSource(name: source)  // source 0, as CaptureRecord.sourceIndex says
    }

    mutating func openWriter(path: String) throws(CaptureFileError) {
        writer = try PcapWriter(path: path, linkType: linkType, snaplen: snaplen, nanosecond: true)
    }

    /// Flushes the -w file so that what is on disk is a valid capture; notes the first error.
    mutating func flushWriter() {
        guard writeError == nil, writer != nil else { return }
        do { try writer!.flush() } catch { writeError = "writing \(writer!.path): \(error)" }
    }

    /// Per packet, inside pcap_dispatch on the ring's bytes: analyse, then append to the file.
    mutating func packet(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        analyzer.process(record, bytes)
        if writer != nil && writeError == nil {
            do { try writer!.write(record, bytes) } catch { writeError = "writing \(writer!.path): \(error)" }
        }
    }

    func isFinding(_ f: FlowRecord) -> Bool { f.verdicts.contains(where: failOn.contains) }

    /// Moves idle, closed and evicted flows out of the analyzer into the expired list.
    mutating func collectExpired(now: Int64) -> [FlowRecord] {
        let gone = analyzer.expire(nowNanos: now)
        for f in gone {
            expiredTotal += 1
            expiredCounts[LiveCountKey(f), default: 0] += 1
            if expired.count < keepExpired {
                expired.append(f)
            } else {
                expiredNotListed += 1
                if isFinding(f) { findingsNotListed += 1 }
            }
        }
        return gone
    }

    /// Every interval: expire flows, flush the file, print a table or a JSON line. False stops.
    mutating func tick(stats: PcapStats?) -> Bool {
        flushWriter()
        let now = wallClockNanos()
        let gone = collectExpired(now: now)
        let snapshot = analyzer.snapshot()
        var fresh: [FlowRecord] = []
        for f in gone + snapshot.flows where f.isProblem {
            if reportedProblems.updateValue(f.verdict, forKey: LiveFlowID(f)) != f.verdict { fresh.append(f) }
        }
        for f in gone { reportedProblems.removeValue(forKey: LiveFlowID(f)) }
        switch output {
        case .jsonLines:
            liveOut(intervalLine(snapshot, expiredNow: gone, newProblems: fresh, stats: stats, now: now) + "\n")
        case .table:
            liveOut("\u{1B}[H\u{1B}[2J" + table(snapshot, stats: stats, now: now))
        }
        let a = snapshot.accounting
        last = LiveTotals(nanos: now, packets: a.total.packets, bytes: a.total.bytes,
                          kernelDrops: stats?.droppedByKernel ?? last.kernelDrops,
                          interfaceDrops: stats?.droppedByInterface ?? last.interfaceDrops)
        return writeError == nil
    }

    /// Reports' interval line (this interval's packets and drops, flow counts over the active flows
    /// and those that expired in it, new problem flows), led by the live fields: type, interface,
    /// running totals and whether drops make the verdicts incomplete.
    func intervalLine(_ snapshot: AnalysisSnapshot, expiredNow: [FlowRecord], newProblems: [FlowRecord], stats: PcapStats?, now: Int64) -> String {
        let a = snapshot.accounting
        let interval = IntervalStats(
            startNanos: last.nanos, endNanos: now, packets: a.total.packets &- last.packets,
            bytes: a.total.bytes &- last.bytes,
            kernelDrops: stats.map { $0.droppedByKernel &- last.kernelDrops },
            interfaceDrops: stats.map { $0.droppedByInterface &- last.interfaceDrops })
        let line = intervalJSONLine(
            interval, flows: expiredNow + snapshot.flows, newProblems: newProblems,
            sourceNames: snapshot.sources.map(\.name), evictedFlows: a.evictedFlows)
        var head = "{\"type\":\"interval\",\"interface\":\(liveJSONString(interface))"
        head += ",\"elapsed\":\(liveSeconds(now - startNanos)),\"total_packets\":\(a.total.packets),\"total_bytes\":\(a.total.bytes)"
        head += ",\"active_flows\":\(snapshot.flows.count),\"expired_flows\":\(expiredTotal)"
        head += ",\"counts\":" + countsJSON(counts(snapshot))
        head += liveDropsJSON(stats) + ",\"incomplete\":\(stats?.anyDropped ?? false)"
        // The flows that expired in this interval, whole (Reports' JSON Lines objects, as an array).
        let records = render(AnalysisSnapshot(sources: snapshot.sources, flows: expiredNow), format: .jsonl)
        head += ",\"expired\":[" + records.split(separator: "\n").joined(separator: ",") + "],"
        return head + line.dropFirst()  // Reports' object without its "{"
    }

    func table(_ snapshot: AnalysisSnapshot, stats: PcapStats?, now: Int64) -> String {
        let a = snapshot.accounting
        var out = "portolan live on \(interface) — \(liveSeconds(now - startNanos)) s, \(a.total.packets) packets, \(a.total.bytes) bytes\n"
        out += "flows: \(snapshot.flows.count) active, \(expiredTotal) expired, \(a.evictedFlows) evicted"
        if let stats {
            out += "; dropped: \(stats.droppedByKernel) by the kernel, \(stats.droppedByInterface) by the interface"
            if stats.anyDropped { out += " — verdicts may be incomplete" }
        }
        out += "\n\n"
        let rows = counts(snapshot)
        let width = max(9, rows.map { $0.0.component.count }.max() ?? 0)
        out += livePad("COMPONENT", width) + "  VERDICT              FLOWS\n"
        for (k, n) in rows {
            let name = k.component.isEmpty ? "-" : k.component
            out += livePad(name, width) + "  " + livePad(k.verdict.rawValue, 19) + "  \(n)\n"
        }
        let problems = (expired + snapshot.flows).filter(\.isProblem).suffix(15)
        if !problems.isEmpty {
            out += "\nlatest problem flows:\n"
            for f in problems { out += "  " + liveFlowText(f) + "\n" }
        }
        return out
    }

    /// Counts per (component, verdict) over every flow of the run: expired and active.
    func counts(_ snapshot: AnalysisSnapshot) -> [(LiveCountKey, Int)] {
        var c = expiredCounts
        for f in snapshot.flows { c[LiveCountKey(f), default: 0] += 1 }
        return c.sorted { ($0.key.verdict.rank, $0.key.component) < ($1.key.verdict.rank, $1.key.component) }
            .map { ($0.key, $0.value) }
    }

    /// The final report in `format`, with the capture's own facts (drops, why it stopped);
    /// returns 1 when a flow has a verdict in `failOn` (as analyze), else 0.
    mutating func finish(stats: PcapStats?, reason: StopReason?, fault: String?) -> Int32 {
        flushWriter()
        if let w = writer.take() {
            do { try w.close() } catch { if writeError == nil { writeError = "closing \(w.path): \(error)" } }
        }
        let active = analyzer.snapshot()
        let allCounts = counts(active)
        var snapshot = active
        snapshot.flows = expired + active.flows
        let incomplete = stats?.anyDropped ?? false
        if incomplete, let stats {
            liveWarn("portolan live: \(stats.droppedByKernel) packets dropped by the kernel, \(stats.droppedByInterface) by the interface: verdicts may be incomplete")
        }
        let findings = findingsNotListed + snapshot.flows.count(where: isFinding)
        let a = snapshot.accounting
        var c = "{\"interface\":\(liveJSONString(interface))"
        c += ",\"stopped\":" + liveJSONString(fault != nil ? "fault" : reason.map(liveReasonText) ?? "fault")
        if let fault { c += ",\"error\":\(liveJSONString(fault))" }
        c += ",\"elapsed\":\(liveSeconds(wallClockNanos() - startNanos))"
        c += ",\"packets\":\(a.total.packets),\"bytes\":\(a.total.bytes)"
        c += ",\"flows\":\(snapshot.flows.count + expiredNotListed),\"expired_flows\":\(expiredTotal),\"expired_not_listed\":\(expiredNotListed),\"evicted_flows\":\(a.evictedFlows)"
        c += ",\"counts\":" + countsJSON(allCounts)
        c += ",\"findings\":\(findings)"
        c += liveDropsJSON(stats) + ",\"incomplete\":\(incomplete)"
        if incomplete { c += ",\"warning\":\"packets were dropped before analysis: verdicts may be incomplete\"" }
        c += "}"
        let capture = "\"type\":\"final\",\"capture\":" + c
        var text = render(snapshot, format: format, options: ReportOptions(color: output == .table && getenv("NO_COLOR") == nil))
        switch format {
        case .json:
            text = "{" + capture + "," + text.dropFirst()  // Reports' document without its "{"
        case .jsonl:
            text += "{" + capture + "}\n"
        case .table:
            text += "\nCapture on \(interface): \(a.total.packets) packets"
            if let stats {
                text += "; dropped \(stats.droppedByKernel) by the kernel, \(stats.droppedByInterface) by the interface"
                if incomplete { text += " — verdicts may be incomplete" }
            }
            if expiredNotListed > 0 { text += "; \(expiredNotListed) expired flows counted but not listed" }
            text += "\n"
        case .csv:
            liveWarn("portolan live: capture " + c)
        }
        liveOut(text)
        return findings > 0 ? 1 : 0
    }
}

/// Running totals at the last interval, to report each interval's own packets and drops.
struct LiveTotals {
    var nanos: Int64
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var kernelDrops: UInt64 = 0
    var interfaceDrops: UInt64 = 0
}

func countsJSON(_ counts: [(LiveCountKey, Int)]) -> String {
    "[" + counts.map { k, n in
        "{\"component\":\(k.component.isEmpty ? "null" : liveJSONString(k.component)),\"verdict\":\"\(k.verdict.rawValue)\",\"flows\":\(n)}"
    }.joined(separator: ",") + "]"
}

/// A (component, verdict) bucket of the interval counts.
struct LiveCountKey: Hashable {
    var component: String
    var verdict: Verdict
    init(_ f: FlowRecord) {
        component = f.component ?? ""
        verdict = f.verdict
    }
}

func liveReasonText(_ r: StopReason) -> String {
    switch r {
    case .signal(let s): s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal \(s)"
    case .duration: "duration"
    case .count: "count"
    case .requested: "error"
    }
}

func liveSeconds(_ nanos: Int64) -> String {
    let ms = max(nanos, 0) / 1_000_000
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

func liveFlowText(_ f: FlowRecord) -> String {
    let c = f.client.text(version: f.ipVersion)
    let s = f.server.text(version: f.ipVersion)
    let arrow = f.ipVersion == 6 ? "[\(c)]:\(f.clientPort) → [\(s)]:\(f.serverPort)" : "\(c):\(f.clientPort) → \(s):\(f.serverPort)"
    return "\(livePad(f.verdict.rawValue, 19)) \(f.proto.name) \(arrow) \(f.component ?? "-") \(f.state.rawValue) \(f.history) \(f.clientPackets)/\(f.serverPackets) pkts"
}

func liveDropsJSON(_ stats: PcapStats?) -> String {
    guard let stats else { return ",\"drops\":null" }
    return ",\"drops\":{\"received\":\(stats.received),\"kernel\":\(stats.droppedByKernel),\"interface\":\(stats.droppedByInterface)}"
}

/// Writes all of `text` to a file descriptor, unbuffered (each JSON line reaches a pipe at once).
func liveWrite(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

func liveOut(_ text: String) { liveWrite(STDOUT_FILENO, text) }

/// Writes a line to standard error.
func liveWarn(_ message: String) { liveWrite(STDERR_FILENO, message + "\n") }

/// Writes to standard error and exits with status 2 (bad input, usage or fault).
func liveFail(_ message: String) -> Never {
    liveWarn("portolan live: " + message)
    exit(2)
}

/// A JSON string literal (the one escaper the catalog command uses too).
func liveJSONString(_ s: String) -> String { CatalogText.json(s) }

/// `s` padded with spaces to `width` characters (never cut).
func livePad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
