import FlowAnalysis
import PacketWire

// `portolan live`'s own text: the interval line or refreshed table, and the final report with
// the capture's facts (drops, why it stopped) around a snapshot's report.

/// Flows of one (component, verdict) bucket over a live run.
public struct LiveCount: Sendable {
    public var component: String
    public var verdict: Verdict
    public var flows: Int
    public init(component: String, verdict: Verdict, flows: Int) {
        self.component = component
        self.verdict = verdict
        self.flows = flows
    }
}

/// What the capture says it received and dropped.
public struct CaptureDrops: Sendable {
    public var received: UInt64
    public var kernel: UInt64
    public var interface: UInt64
    public var any: Bool { kernel > 0 || interface > 0 }
    public init(received: UInt64, kernel: UInt64, interface: UInt64) {
        self.received = received
        self.kernel = kernel
        self.interface = interface
    }
}

/// How live shows its intervals: a refreshed table on a terminal, else one JSON object per line.
public enum LiveView: Sendable {
    case table
    case jsonLines
}

/// One interval of a live run.
public struct LiveInterval {
    public var interface: String
    public var elapsedNanos: Int64
    /// The active flows and the run's accounting.
    public var snapshot: AnalysisSnapshot
    /// Flows that expired in this interval, and problem flows not reported before.
    public var expiredNow: [FlowRecord]
    public var newProblems: [FlowRecord]
    /// Flows that expired over the whole run (listed for the table's latest problems).
    public var expiredListed: [FlowRecord]
    public var expiredTotal: Int
    public var counts: [LiveCount]
    public var stats: IntervalStats
    public var drops: CaptureDrops?
    /// Interval lines dropped so far because standard output was not read fast enough (written
    /// only when not 0).
    public var droppedLines = 0

    public init(interface: String, elapsedNanos: Int64, snapshot: AnalysisSnapshot, expiredNow: [FlowRecord],
                newProblems: [FlowRecord], expiredListed: [FlowRecord], expiredTotal: Int, counts: [LiveCount],
                stats: IntervalStats, drops: CaptureDrops?) {
        self.interface = interface
        self.elapsedNanos = elapsedNanos
        self.snapshot = snapshot
        self.expiredNow = expiredNow
        self.newProblems = newProblems
        self.expiredListed = expiredListed
        self.expiredTotal = expiredTotal
        self.counts = counts
        self.stats = stats
        self.drops = drops
    }
}

/// The end of a live run: every flow (expired and active) and the capture's facts.
public struct LiveFinal {
    public var interface: String
    /// "SIGINT", "SIGTERM", "duration", "count", "error" or "fault".
    public var stopped: String
    public var fault: String?
    public var elapsedNanos: Int64
    public var snapshot: AnalysisSnapshot
    public var expiredTotal: Int
    public var expiredNotListed: Int
    public var counts: [LiveCount]
    public var findings: Int
    public var drops: CaptureDrops?
    /// Interval lines (or table frames) dropped because standard output was not read fast enough.
    public var droppedLines = 0

    public init(interface: String, stopped: String, fault: String?, elapsedNanos: Int64, snapshot: AnalysisSnapshot,
                expiredTotal: Int, expiredNotListed: Int, counts: [LiveCount], findings: Int, drops: CaptureDrops?) {
        self.interface = interface
        self.stopped = stopped
        self.fault = fault
        self.elapsedNanos = elapsedNanos
        self.snapshot = snapshot
        self.expiredTotal = expiredTotal
        self.expiredNotListed = expiredNotListed
        self.counts = counts
        self.findings = findings
        self.drops = drops
    }

    public var incomplete: Bool { drops?.any ?? false }
}

/// One interval: a JSON line (led by the live fields: type, interface, running totals, whether
/// drops make the verdicts incomplete, the flows that expired in it; then `intervalJSONLine`'s
/// fields), or the table after a clear-screen.
public func writeLiveInterval<Out: TextOutputStream>(_ i: LiveInterval, view: LiveView, to out: inout Out) {
    switch view {
    case .jsonLines:
        let a = i.snapshot.accounting
        let names = SourceFiles(i.snapshot.sources)
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "interval")
        w.field("interface", i.interface)
        w.key("elapsed"); w.raw(liveSeconds(i.elapsedNanos))
        w.field("total_packets", a.total.packets)
        w.field("total_bytes", a.total.bytes)
        w.field("active_flows", i.snapshot.flows.count)
        w.field("expired_flows", i.expiredTotal)
        writeCounts(i.counts, &w)
        writeDrops(i.drops, &w)
        w.field("incomplete", i.drops?.any ?? false)
        if i.droppedLines > 0 { w.field("dropped_interval_lines", i.droppedLines) }
        w.beginArray("expired")
        for f in i.expiredNow { writeFlow(f, sourceNames: names, &w) }
        w.endArray()
        writeIntervalFields(i.stats, flows: i.expiredNow + i.snapshot.flows, newProblems: i.newProblems,
                            sourceNames: names, evictedFlows: a.evictedFlows, &w)
        w.endObject()
        w.bytes.append(0x0A)
        w.flush(to: &out)
    case .table:
        out.write("\u{1B}[H\u{1B}[2J" + liveTable(i))
    }
}

func liveTable(_ i: LiveInterval) -> String {
    let a = i.snapshot.accounting
    var out = "portolan live on \(i.interface) — \(liveSeconds(i.elapsedNanos)) s, \(a.total.packets) packets, \(a.total.bytes) bytes\n"
    out += "flows: \(i.snapshot.flows.count) active, \(i.expiredTotal) expired, \(a.evictedFlows) evicted"
    if let d = i.drops {
        out += "; dropped: \(d.kernel) by the kernel, \(d.interface) by the interface"
        if d.any { out += " — verdicts may be incomplete" }
    }
    out += "\n\n"
    let width = max(9, i.counts.map { Sanitize.text($0.component).count }.max() ?? 0)
    out += livePad("COMPONENT", width) + "  VERDICT              FLOWS\n"
    for c in i.counts {
        let name = c.component.isEmpty ? "-" : Sanitize.text(c.component)
        out += livePad(name, width) + "  " + livePad(c.verdict.rawValue, 19) + "  \(c.flows)\n"
    }
    let problems = (i.expiredListed + i.snapshot.flows).filter(\.isProblem).suffix(15)
    if !problems.isEmpty {
        out += "\nlatest problem flows:\n"
        for f in problems { out += "  " + liveFlowText(f) + "\n" }
    }
    return out
}

/// The capture's facts as one JSON object.
func writeCapture(_ r: LiveFinal, _ w: inout JSONWriter) {
    let a = r.snapshot.accounting
    w.beginObject()
    w.field("interface", r.interface)
    w.field("stopped", r.fault != nil ? "fault" : r.stopped)
    if let fault = r.fault { w.field("error", fault) }
    w.key("elapsed"); w.raw(liveSeconds(r.elapsedNanos))
    w.field("packets", a.total.packets)
    w.field("bytes", a.total.bytes)
    w.field("flows", r.snapshot.flows.count + r.expiredNotListed)
    w.field("expired_flows", r.expiredTotal)
    w.field("expired_not_listed", r.expiredNotListed)
    w.field("evicted_flows", a.evictedFlows)
    writeCounts(r.counts, &w)
    w.field("findings", r.findings)
    writeDrops(r.drops, &w)
    w.field("incomplete", r.incomplete)
    if r.incomplete { w.field("warning", "packets were dropped before analysis: verdicts may be incomplete") }
    if r.droppedLines > 0 { w.field("dropped_interval_lines", r.droppedLines) }
    w.endObject()
}

func writeCounts(_ counts: [LiveCount], _ w: inout JSONWriter) {
    w.beginArray("counts")
    for c in counts {
        w.beginObject()
        w.field("component", c.component.isEmpty ? nil : c.component)
        w.field("verdict", c.verdict.rawValue)
        w.field("flows", c.flows)
        w.endObject()
    }
    w.endArray()
}

func writeDrops(_ d: CaptureDrops?, _ w: inout JSONWriter) {
    guard let d else {
        w.key("drops"); w.raw("null")
        return
    }
    w.beginObject("drops")
    w.field("received", d.received)
    w.field("kernel", d.kernel)
    w.field("interface", d.interface)
    w.endObject()
}

/// Seconds with milliseconds: "12.345".
public func liveSeconds(_ nanos: Int64) -> String {
    let ms = max(nanos, 0) / 1_000_000
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

func liveFlowText(_ f: FlowRecord) -> String {
    let c = f.client.text(version: f.ipVersion)
    let s = f.server.text(version: f.ipVersion)
    let arrow = f.ipVersion == 6 ? "[\(c)]:\(f.clientPort) → [\(s)]:\(f.serverPort)" : "\(c):\(f.clientPort) → \(s):\(f.serverPort)"
    return "\(livePad(f.verdict.rawValue, 19)) \(f.proto.name) \(arrow) \(Sanitize.text(f.component ?? "-")) \(f.state.rawValue) \(f.history) \(f.clientPackets)/\(f.serverPackets) pkts"
}

/// `s` padded with spaces to `width` characters (never cut).
func livePad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
