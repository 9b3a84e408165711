import FlowAnalysis
import PacketWire
import Prometheus

/// Portolan's version, as `portolan --version` and `portolan_build_info` say it.
public let portolanVersion = "0.1.0"

/// The `prometheus` format: the text exposition of the run's metric families, written once (for
/// node_exporter's textfile collector); `live --metrics` serves the same families, updated every
/// interval, from a `FlowMetrics`.
enum PrometheusFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        var m = FlowMetrics()
        for f in snapshot.flows { m.flowEnded(f) }
        m.capture(snapshot.accounting, activeFlows: 0, drops: nil)
        out.write(m.text())
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        var m = FlowMetrics()
        var failed = false
        let s = analyzer.snapshot { f in
            m.flowEnded(f)
            if !failed && f.verdicts.contains(where: failOn.contains) { failed = true }
        }
        // A file's flows have all ended when the file does: none is active.
        m.capture(s.accounting, activeFlows: 0, drops: nil)
        out.write(m.text())
        return failed
    }

    /// Every flow of the run counts as ended (expired ones and those active at the stop); the
    /// capture's drops are a family of their own.
    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        var m = FlowMetrics()
        for f in r.snapshot.flows { m.flowEnded(f) }
        m.capture(r.snapshot.accounting, activeFlows: 0, drops: r.drops)
        out.write(m.text())
    }
}

/// A family's whole name (already `portolan_…` with its unit suffix) and its HELP text.
private func family(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// The metric families of a run, on swift-prometheus's counters and gauges.
///
/// A flow is counted when it ends — at the end of a file, or in `live` when it expires, is
/// evicted or the capture stops — under the catalog, component, verdict, protocol and server role
/// it ended with, as a flow exporter counts (the same moment IPFIX exports it). Counting at the
/// end keeps every labelled counter monotonic (an active flow's verdict can still change) and
/// keeps the packet path free of classification: the packet path only bumps the analyzer's own
/// counters; this type is fed once per interval from the session's expired flows and accounting.
/// `portolan_active_flows` counts the flows still open; `portolan_packets_total` and
/// `portolan_bytes_total` count every captured frame at once, open flows included.
///
/// Label values come from the catalog, the inventory and a fixed set of names: never a port or an
/// address. A flow no catalog entry explains counts under `component="unknown"`. Values are
/// escaped by swift-prometheus as the exposition format requires (backslash, quote, line feed).
public struct FlowMetrics {
    let registry = PrometheusCollectorRegistry()
    private var series: [FlowLabels: (flows: Counter, packets: Counter, bytes: Counter)] = [:]
    /// Counters set from a running total: the value already added, by series (name and labels).
    private var raised: [String: UInt64] = [:]
    private let active: Gauge

    /// The labels of one series of the flow families.
    struct FlowLabels: Hashable {
        var catalog: String
        var component: String
        var verdict: Verdict
        var proto: String
        var role: String
    }

    public init(version: String = portolanVersion) {
        active = registry.makeGauge(descriptor: family("portolan_active_flows", "Flows open now (not yet counted in portolan_flows_total)."))
        let build = registry.makeGauge(descriptor: family("portolan_build_info", "Portolan's version; always 1."),
                                       labels: [("version", version)])
        build.set(to: 1.0)
    }

    /// The label values of `f`: catalog and component of the entry that applies ("none" and
    /// "unknown" when none does), the primary verdict, the protocol name and the server's roles
    /// from the inventory (sorted, comma-separated; "none" without an inventory or a listed host).
    static func labels(_ f: FlowRecord) -> FlowLabels {
        // Names from catalogs and inventories pass the terminal sanitiser first (the exposition is
        // read on terminals too); swift-prometheus then escapes backslash, quote and line feed.
        FlowLabels(catalog: Sanitize.text(f.catalogID ?? "none"), component: Sanitize.text(f.component ?? "unknown"),
                   verdict: f.verdict, proto: protoName(f.proto),
                   role: f.serverRoles.isEmpty ? "none" : Sanitize.text(f.serverRoles.sorted().joined(separator: ",")))
    }

    /// Counts one flow that ended: once in `portolan_flows_total`, its packets and bytes (both
    /// directions) in `portolan_flow_packets_total` and `portolan_flow_bytes_total`.
    public mutating func flowEnded(_ f: FlowRecord) {
        let l = Self.labels(f)
        let c: (flows: Counter, packets: Counter, bytes: Counter)
        if let known = series[l] {
            c = known
        } else {
            let labels = [("catalog", l.catalog), ("component", l.component), ("verdict", l.verdict.rawValue),
                          ("proto", l.proto), ("role", l.role)]
            c = (registry.makeCounter(descriptor: family("portolan_flows_total",
                                                         "Flows that ended, by the catalog entry, verdict, protocol and server role they ended with."),
                                      labels: labels),
                 registry.makeCounter(descriptor: family("portolan_flow_packets_total",
                                                         "Packets of the flows that ended (both directions)."), labels: labels),
                 registry.makeCounter(descriptor: family("portolan_flow_bytes_total",
                                                         "Bytes on the wire of the flows that ended (both directions)."), labels: labels))
            series[l] = c
        }
        c.flows.increment(by: Int64(1))
        c.packets.increment(by: Int64(clamping: f.packets))
        c.bytes.increment(by: Int64(clamping: f.bytes))
    }

    /// The capture's running totals: every frame, decode stops by layer and reason, evictions,
    /// the flows open now, and the capture's drops (live).
    public mutating func capture(_ a: Accounting, activeFlows: Int, drops: CaptureDrops?) {
        raise("portolan_packets_total", [], "Frames captured (every frame, open flows included).", a.total.packets)
        raise("portolan_bytes_total", [], "Bytes on the wire of the frames captured.", a.total.bytes)
        for (layer, reason, t) in a.undecodableBy {
            raise("portolan_decode_stops_total", [("layer", layer.description), ("reason", reason.description)],
                  "Frames whose decoding stopped, by the layer and the reason.", t.packets)
        }
        raise("portolan_flow_evictions_total", [], "Flows evicted to keep the flow table within its bound.", a.evictedFlows)
        if let drops {
            let help = "Frames the capture dropped before Portolan saw them, by where (libpcap's statistics)."
            raise("portolan_capture_drops_total", [("stage", "kernel")], help, drops.kernel)
            raise("portolan_capture_drops_total", [("stage", "interface")], help, drops.interface)
        }
        active.set(to: Double(activeFlows))
    }

    /// Brings a counter up to the running total `value` (a total never goes down; a smaller value
    /// leaves the counter where it is).
    private mutating func raise(_ name: String, _ labels: [(String, String)], _ help: String, _ value: UInt64) {
        let key = name + "\u{0}" + labels.map { $0.0 + "\u{1}" + $0.1 }.joined(separator: "\u{0}")
        let c = labels.isEmpty ? registry.makeCounter(descriptor: family(name, help))
            : registry.makeCounter(descriptor: family(name, help), labels: labels)
        let before = raised[key] ?? 0
        if value > before {
            c.increment(by: Int64(clamping: value - before))
            raised[key] = value
        }
    }

    /// The exposition now: swift-prometheus's, with the families sorted by name and each family's
    /// samples sorted (the registry emits them in hash order, which differs from run to run), so
    /// that the same run gives the same bytes — a textfile that diffs, a golden test.
    public func bytes() -> [UInt8] {
        let raw = registry.emitToBuffer()
        var families: [(name: ArraySlice<UInt8>, head: [ArraySlice<UInt8>], samples: [ArraySlice<UInt8>])] = []
        for line in raw.split(separator: 0x0A) {
            if line.starts(with: Array("# HELP ".utf8)) || line.starts(with: Array("# TYPE ".utf8)) {
                let name = line.dropFirst(7).prefix { $0 != 0x20 }
                if families.last?.name.elementsEqual(name) != true { families.append((name, [], [])) }
                families[families.count - 1].head.append(line)
            } else if !families.isEmpty {
                families[families.count - 1].samples.append(line)
            }
        }
        families.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        for f in families {
            for l in f.head + f.samples.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                out += l
                out.append(0x0A)
            }
        }
        return out
    }

    public func text() -> String { String(decoding: bytes(), as: UTF8.self) }
}
