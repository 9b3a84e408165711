import ArgumentParser
import CaptureFile
import FlowAnalysis
import FlowExport
import MetricsHTTP
import PortCatalog
import Reports
import LiveCapture
import PacketWire
import Pipeline
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

    @Option(name: [.customShort("i"), .customLong("interface")], help: ArgumentHelp("Interface to capture on (see `portolan interfaces`); required.", valueName: "name"),
            completion: .custom { _, _, _ in (try? CaptureInterface.findAll().map(\.name)) ?? [] })
    var interfaceOption: String?

    /// The -i interface (checkOptions made sure there is one).
    var interface: String { interfaceOption ?? "" }

    @Argument(help: "Capture filter (BPF), as tcpdump takes it, e.g. `tcp port 443 or udp`.")
    var filter: [String] = []

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: [.customShort("c"), .long], help: "Stop after this many packets.")
    var count: UInt64?

    @Option(help: "Seconds between table refreshes / JSON lines.")
    var interval: Double = 1

    @Option(name: .customShort("w"), help: ArgumentHelp("Also write the captured packets to this pcap file.", valueName: "file"), completion: .file())
    var write: String?

    @Option(name: [.customShort("s"), .long], help: "Bytes kept per packet (headers are what the analysis needs); 0 = 262144, as tcpdump -s 0.")
    var snaplen: Int32 = 256

    @Option(name: .customLong("buffer-size"), help: "Kernel capture buffer, in MiB.")
    var bufferSizeOption: Int32?

    @Option(name: .customShort("B"), help: ArgumentHelp("Kernel capture buffer in KiB, as tcpdump -B (rounded up to whole MiB).", valueName: "KiB"))
    var bufferKiB: Int32?

    @Flag(name: [.customShort("p"), .customLong("no-promiscuous")], help: "Do not put the interface into promiscuous mode (tcpdump -p).")
    var noPromiscuous = false

    @Option(name: .customShort("f"), help: ArgumentHelp("Capture filter (BPF), instead of the trailing words.", valueName: "EXPR"))
    var filterOption: String?

    @Flag(name: .customShort("n"), help: "Accepted for tcpdump habits: Portolan never resolves names or ports.")
    var numeric = false

    @Flag(name: .customShort("D"), help: "List the interfaces that can be captured on and exit (as `portolan interfaces`, tcpdump -D).")
    var listInterfaces = false

    /// --buffer-size in MiB, or -B KiB rounded up to MiB, or 32.
    var bufferSize: Int32 {
        if let bufferKiB { return max(1, Int32((Int64(bufferKiB) + 1023) / 1024)) }
        return bufferSizeOption ?? 32
    }

    /// -s 0 means the largest snapshot, as in tcpdump.
    var snapshotLength: Int32 { snaplen == 0 ? 262_144 : snaplen }

    @Flag(help: "Deliver packets as they arrive instead of in short batches.")
    var immediate = false

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which an idle flow expires and is reported.")
    var idleTimeout: Double = 60

    @Option(name: .customLong("close-linger"), help: "Seconds a TCP flow closed by FINs or a RST is kept (for late packets) before it expires and is reported.")
    var closeLinger: Double = 5

    @Option(name: .customLong("max-flows"), help: "Most flows kept in memory; beyond it the oldest idle are evicted (and counted).")
    var maxFlows: Int = 100_000

    @OptionGroup var catalogOptions: CatalogOptions

    @Option(name: .customLong("metrics"),
            help: ArgumentHelp("Serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR defaults to 127.0.0.1; PORT alone is on loopback).",
                               valueName: "[ADDR:]PORT"))
    var metrics: String?

    @Option(name: .customLong("ipfix"),
            help: ArgumentHelp("Export flows as IPFIX over UDP to this collector: on expiry, long flows every --ipfix-active-timeout.",
                               valueName: "HOST:PORT"))
    var ipfix: String?

    @Option(name: .customLong("ipfix-active-timeout"), help: "Seconds after which a flow still going on is exported for what it did since its last record.")
    var ipfixActiveTimeout: Double = 60

    @Option(help: "Final report format: table, json, jsonl, csv, html or prometheus (default: table on a terminal, else json).",
            completion: .list(ReportFormat.allCases.map(\.rawValue)))
    var format: String?

    @Option(help: ArgumentHelp("Also write the final report as one self-contained HTML page to this file (at the end, from the final snapshot).", valueName: "FILE"), completion: .file())
    var html: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a flow has one of these verdicts (comma-separated; 'problems' = every verdict but expected, 'blocked' = the blocked ones), as analyze.", valueName: "VERDICT,…"), completion: .list(failOnWords))
    var failOn: String = "none"

    @Option(name: .customShort("Z"), help: ArgumentHelp("After opening the interface, switch to this user, as tcpdump -Z (the -w file is then created as that user).", valueName: "user"))
    var user: String?

    /// Option combinations, checked in `run()` so that each message ends with a pointer to
    /// `portolan live --help` (a usage mistake exits with status 2 either way).
    func checkOptions() throws(LiveUsageError) {
        if interfaceOption == nil {
            let names = (try? CaptureInterface.findAll().map(\.name)) ?? []
            throw LiveUsageError("missing -i IFACE, the interface to capture on" + (names.isEmpty ? "" : " (one of: \(names.joined(separator: ", ")))"))
        }
        if let format, ReportFormat(rawValue: format) == nil {
            throw LiveUsageError("--format must be one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if write == "-" { throw LiveUsageError("-w - is not supported: standard output carries the report") }
        if html == "-" { throw LiveUsageError("--html - is not supported: standard output carries the report (use --format html)") }
        if case .failure(let e) = parseVerdicts(failOn) { throw LiveUsageError(e.message) }
        // Bounded so that the conversion to Int64 nanoseconds cannot trap.
        if let duration, !(duration > 0 && duration <= 1e8) { throw LiveUsageError("--duration must be a positive number of seconds (at most 1e8)") }
        if count == 0 { throw LiveUsageError("--count must be at least 1") }
        if !(interval >= 0.01 && interval <= 86_400) { throw LiveUsageError("--interval must be between 0.01 and 86400 seconds") }
        if !(64...262_144).contains(snapshotLength) { throw LiveUsageError("--snaplen must be 0 or between 64 and 262144") }
        if bufferKiB != nil && bufferSizeOption != nil { throw LiveUsageError("give -B KiB or --buffer-size MiB, not both") }
        if let bufferKiB, bufferKiB < 1 { throw LiveUsageError("-B must be at least 1 KiB") }
        if !(1...2047).contains(bufferSize) { throw LiveUsageError("--buffer-size must be between 1 and 2047 MiB") }  // pcap_set_buffer_size takes an int
        if filterOption != nil && !filter.isEmpty { throw LiveUsageError("give the filter either as -f EXPR or as words after the options, not both") }
        if !(idleTimeout > 0 && idleTimeout <= 1e8) { throw LiveUsageError("--idle-timeout must be a positive number of seconds (at most 1e8)") }
        if !(closeLinger >= 0 && closeLinger <= 1e8) { throw LiveUsageError("--close-linger must be between 0 and 1e8 seconds") }
        if maxFlows < 1 { throw LiveUsageError("--max-flows must be at least 1") }
        if let metrics, Self.metricsAddress(metrics) == nil {
            throw LiveUsageError("--metrics must be [ADDR:]PORT (an IPv6 address as [ADDR]:PORT), not '\(metrics)'")
        }
        if let ipfix, UDPSocket.split(ipfix) == nil {
            throw LiveUsageError("--ipfix must be HOST:PORT (an IPv6 address as [ADDR]:PORT), not '\(ipfix)'")
        }
        if !(ipfixActiveTimeout >= 1 && ipfixActiveTimeout <= 1e8) { throw LiveUsageError("--ipfix-active-timeout must be between 1 and 1e8 seconds") }
    }

    /// "9464", ":9464" → 127.0.0.1:9464; "ADDR:PORT", "[V6]:PORT" as given.
    static func metricsAddress(_ text: String) -> (host: String, port: Int)? {
        if let p = UInt16(text.hasPrefix(":") ? String(text.dropFirst()) : text) { return ("127.0.0.1", Int(p)) }
        return UDPSocket.split(text).map { ($0.host, Int($0.port)) }
    }

    /// Whether `host` is this machine's loopback (so the metrics are not served beyond it).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// --fail-on as a set of verdicts.
    var failOnVerdicts: Set<Verdict> {
        (try? parseVerdicts(failOn).get()) ?? []  // validate() has already refused a bad list
    }

    var settings: CaptureSettings {
        var s = CaptureSettings(device: interface)
        s.snaplen = snapshotLength
        s.bufferSizeMiB = bufferSize
        s.promiscuous = !noPromiscuous
        s.immediate = immediate
        s.filter = filterOption ?? filter.joined(separator: " ")
        return s
    }

    func run() throws {
        if listInterfaces {
            try InterfacesCommand.parse([]).run()
            return
        }
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
            configuration: configuration, failOn: failOnVerdicts)
        let view: LiveView = isatty(STDOUT_FILENO) != 0 ? .table : .jsonLines
        // The loop ticks at least once a second so that the -w file is flushed that often; the
        // report is written every `ticksPerReport` ticks, that is every --interval.
        let ticksPerReport = max(1, Int(interval.rounded(.up)))
        var reporter = LiveReporter(
            view: view, format: format.flatMap(ReportFormat.init(rawValue:)) ?? (view == .table ? .table : .json),
            color: view == .table && getenv("NO_COLOR") == nil, failOn: failOnVerdicts, ticksPerReport: ticksPerReport)
        // Opened after dropping privileges, as tcpdump does: the file belongs to the -Z user.
        if let write {
            do { try session.openWriter(path: write) } catch { liveFail("cannot write \(write): \(error)") }
        }
        if let ipfix {
            do { reporter.exporter = try IPFIXExporter(destination: ipfix) } catch { liveFail("--ipfix: \(error)") }
            reporter.activeTimeoutNanos = Int64(ipfixActiveTimeout * 1e9)
        }
        var server: MetricsServer?
        if let metrics, let (host, port) = Self.metricsAddress(metrics) {
            let page = MetricsPage()
            reporter.metrics = FlowMetrics()
            reporter.page = page
            reporter.publishMetrics(session.analyzer.snapshot(includeFlows: false).accounting, activeFlows: 0, stats: nil)
            do { server = try MetricsServer(host: host, port: port, page: page) } catch {
                liveFail("--metrics: cannot serve on \(metrics): \(error)")
            }
            let bound = server!.boundAddress
            if Self.isLoopback(host) {
                liveWarn("portolan live: metrics on http://\(bound)/metrics")
            } else {
                liveWarn("portolan live: metrics on http://\(bound)/metrics, reachable beyond this machine (--metrics \(metrics))")
            }
        }
        defer { server?.close() }
        // Opened now, so that a path that cannot be written costs no capture.
        if let html {
            do { reporter.htmlFile = try OutputFile(path: html) } catch { liveFail("cannot write --html \(html): \(error)") }
        }

        let loop = CaptureLoop(
            stop: stop, intervalNanos: Int64(interval * 1e9 / Double(ticksPerReport)), durationNanos: duration.map { Int64($0 * 1e9) },
            maxPackets: count)
        var fault: String?
        var reason: StopReason?
        do {
            reason = try loop.run(
                &handle, packet: { record, bytes in session.packet(record, bytes) },
                tick: { stats in reporter.tick(&session, stats: stats) })
        } catch {
            fault = Self.explain(error)
        }
        stop.restoreDefaults()  // a second Ctrl-C during the final report ends the process
        let stats = try? handle.stats()
        let (status, tally) = reporter.finish(&session, stats: stats, reason: reason, fault: fault)
        let problem = fault ?? session.writeError ?? (reporter.outputError ?? reporter.out.error).map { "\($0)" }
            ?? reporter.exporter?.firstFailure.map {
                "--ipfix: \(reporter.exporter!.sendFailures) of \(reporter.exporter!.messages) messages not sent (\($0))"
            }
        if let problem { liveWarn("portolan live: \(problem)") }
        if problem == nil && status == 1 { liveWarn(failOnLine(tally, given: failOn)) }
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

/// The wiring between the session (Pipeline) and its text (Reports): standard output carries the
/// intervals and the final report, each written at once (a JSON line reaches a pipe as it is made).
struct LiveReporter {
    let view: LiveView
    let format: ReportFormat
    let color: Bool
    /// --fail-on, for the exit status the --html page states.
    var failOn: Set<Verdict> = []
    /// --html FILE: the final report as a page, besides the report on standard output.
    var htmlFile: OutputFile? = nil
    let ticksPerReport: Int
    var ticks = 0
    var out = OutputFile.standardOutput
    /// --metrics: the families, and the page the server answers with (published every interval).
    var metrics: FlowMetrics?
    var page: MetricsPage?
    /// --ipfix: the exporter, and the active timeout for flows that go on.
    var exporter: IPFIXExporter?
    var activeTimeoutNanos: Int64 = 60_000_000_000

    /// The capture's totals into the families, then the whole exposition to the page at once.
    mutating func publishMetrics(_ a: Accounting, activeFlows: Int, stats: PcapStats?) {
        guard metrics != nil, let page else { return }
        metrics!.capture(a, activeFlows: activeFlows, drops: Self.drops(stats))
        page.publish(metrics!.bytes())
    }

    /// Flows that ended: counted in the metrics, exported to the collector.
    mutating func ended(_ flows: [FlowRecord], now: Int64) {
        if metrics != nil { for f in flows { metrics!.flowEnded(f) } }
        if exporter != nil { for f in flows { exporter!.export(f, ended: true, nowNanos: now) } }
    }
    /// A failed write of an interval line (the run stopped on it).
    var outputError: OutputError?
    /// The interval lines, written off the capture thread (a slow reader costs lines, not packets).
    let lines = QueuedOutput(fd: STDOUT_FILENO)

    /// Flushes the -w file, and every `ticksPerReport` ticks renders one interval; false when the
    /// session should stop (the -w file or standard output cannot be written).
    mutating func tick(_ session: inout LiveSession, stats: PcapStats?) -> Bool {
        ticks += 1
        if ticks % ticksPerReport != 0 {
            session.flushWriter()
            return session.writeError == nil
        }
        let t = session.tick(stats: stats)
        let a = t.snapshot.accounting
        if metrics != nil || exporter != nil {
            ended(t.expiredNow, now: t.now)
            publishMetrics(a, activeFlows: t.snapshot.flows.count, stats: stats)
            if exporter != nil {
                exporter!.exportLong(t.snapshot.flows, timeoutNanos: activeTimeoutNanos, nowNanos: t.now)
                exporter!.flush()
            }
        }
        let interval = IntervalStats(
            startNanos: t.previous.nanos, endNanos: t.now, packets: a.total.packets &- t.previous.packets,
            bytes: a.total.bytes &- t.previous.bytes,
            kernelDrops: stats.map { $0.droppedByKernel &- t.previous.kernelDrops },
            interfaceDrops: stats.map { $0.droppedByInterface &- t.previous.interfaceDrops })
        var report = LiveInterval(
            interface: session.interface, elapsedNanos: t.now - session.startNanos, snapshot: t.snapshot,
            expiredNow: t.expiredNow, newProblems: t.newProblems, expiredListed: session.expired,
            expiredTotal: session.expiredTotal, counts: Self.counts(t.counts), stats: interval, drops: Self.drops(stats))
        report.droppedLines = lines.dropped
        var text = ""
        writeLiveInterval(report, view: view, to: &text)
        // Queued, never written here: a full pipe would stop the capture loop (and the kernel drop).
        lines.enqueue(Array(text.utf8), replacingPending: view == .table)
        return session.writeError == nil && lines.error == nil
    }

    /// The final report; returns 1 when a flow has a verdict in --fail-on (as analyze), else 0.
    /// The --fail-on tally comes along for the summary line.
    mutating func finish(_ session: inout LiveSession, stats: PcapStats?, reason: StopReason?, fault: String?)
        -> (Int32, FailOnTally) {
        // The interval lines first, in order; the final report is then written here.
        if let e = lines.finish(), out.error == nil { outputError = e }
        let (snapshot, counts, findings, endedNow) = session.finish()
        if metrics != nil || exporter != nil {
            ended(endedNow, now: wallClockNanos())
            publishMetrics(snapshot.accounting, activeFlows: 0, stats: stats)
            exporter?.flush()
        }
        if let stats, stats.anyDropped {
            liveWarn("portolan live: \(stats.droppedByKernel) packets dropped by the kernel, \(stats.droppedByInterface) by the interface: verdicts may be incomplete")
        }
        var report = LiveFinal(
            interface: session.interface, stopped: reason.map(liveReasonText) ?? "fault", fault: fault,
            elapsedNanos: wallClockNanos() - session.startNanos, snapshot: snapshot,
            expiredTotal: session.expiredTotal, expiredNotListed: session.expiredNotListed,
            counts: Self.counts(counts), findings: findings, drops: Self.drops(stats))
        report.droppedLines = lines.dropped
        if report.droppedLines > 0 {
            liveWarn("portolan live: \(report.droppedLines) interval \(view == .table ? "refreshes" : "lines") dropped: standard output was not read fast enough (no packet was lost to it)")
        }
        var facts = OutputFile.standardError
        writeLiveFinal(report, format: format, options: ReportOptions(color: color), to: &out, facts: &facts)
        try? facts.flush()
        try? out.flush()
        var tally = session.failOnNotListed
        for f in snapshot.flows { tally.add(f) }
        if var page = htmlFile {
            writeLiveHTML(report, failOn: failOn, to: &page)
            do { try page.close() } catch {
                liveWarn("portolan live: cannot write the --html page: \(error)")
                return (2, tally)
            }
        }
        return (findings > 0 ? 1 : 0, tally)
    }

    static func counts(_ list: [(LiveCountKey, Int)]) -> [LiveCount] {
        list.map { LiveCount(component: $0.0.component, verdict: $0.0.verdict, flows: $0.1) }
    }

    static func drops(_ stats: PcapStats?) -> CaptureDrops? {
        stats.map { CaptureDrops(received: $0.received, kernel: $0.droppedByKernel, interface: $0.droppedByInterface) }
    }
}

func liveReasonText(_ r: StopReason) -> String {
    switch r {
    case .signal(let s): s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : s == SIGHUP ? "SIGHUP" : "signal \(s)"
    case .duration: "duration"
    case .count: "count"
    case .requested: "error"
    }
}

/// Writes a line to standard error.
func liveWarn(_ message: String) { OutputFile.printError(message) }

/// Writes to standard error and exits with status 2 (bad input, usage or fault).
func liveFail(_ message: String) -> Never {
    liveWarn("portolan live: " + message)
    exit(2)
}
