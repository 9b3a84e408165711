import FlowAnalysis
import PacketWire

/// Output formats of `portolan analyze` (and `live --format`).
public enum ReportFormat: String, Sendable, CaseIterable {
    /// Human summary: components, problems by verdict, host coverage, accounting (100 columns).
    case table
    /// The whole snapshot as one JSON document.
    case json
    /// One flow per line (JSON Lines).
    case jsonl
    /// One flow per row, with a header row (RFC 4180).
    case csv
    /// One self-contained page: header, role matrix, charts over time, problem groups, coverage.
    case html
}

/// Rendering choices.
public struct ReportOptions: Sendable {
    /// ANSI colour in `table` (the CLI sets it only on a TTY without NO_COLOR).
    public var color: Bool
    /// Terminal width for `table`.
    public var width: Int
    /// `table`: the most problem flows listed per verdict (the rest are counted).
    public var maxFlowsPerVerdict: Int

    /// `table`: lines of never-exercised entries per host (the rest are counted).
    public var maxCoverageLines: Int

    public init(color: Bool = false, width: Int = 100, maxFlowsPerVerdict: Int = 20, maxCoverageLines: Int = 2) {
        self.color = color
        self.width = width
        self.maxFlowsPerVerdict = maxFlowsPerVerdict
        self.maxCoverageLines = maxCoverageLines
    }
}

/// Renders a snapshot as text.
public func render(_ snapshot: AnalysisSnapshot, format: ReportFormat, options: ReportOptions = ReportOptions()) -> String {
    var out = ""
    write(snapshot, format: format, options: options, to: &out)
    return out
}

/// Streams a rendered snapshot into `out` (an `OutputFile`, a `String`, …) piece by piece, so large
/// JSON Lines / CSV outputs never sit in memory whole.
public func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, format: ReportFormat,
                                         options: ReportOptions = ReportOptions(), to out: inout Out) {
    format.writer.write(snapshot, options: options, to: &out)
}

/// What an output format implements, each in a file of its own (Table.swift, JSON.swift,
/// JSONLines.swift, CSV.swift, HTML.swift). A new format is such a type and a `ReportFormat` case.
protocol FormatWriter {
    /// The whole snapshot.
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out)

    /// Everything `analyzer` holds, one record at a time (no format holds every record); whether
    /// a flow has a verdict in `failOn`.
    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool

    /// `live`'s final report: the snapshot with the capture's facts, in `out` where the format
    /// has a place for them, else on `facts`.
    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts)
}

extension ReportFormat {
    var writer: any FormatWriter.Type {
        switch self {
        case .table: TableFormat.self
        case .json: JSONFormat.self
        case .jsonl: JSONLinesFormat.self
        case .csv: CSVFormat.self
        case .html: HTMLFormat.self
        }
    }
}

/// The formats that are one line per flow (and can be streamed a flow at a time as such).
public enum FlowLineFormat: Sendable {
    case jsonl
    case csv
}

/// One flow as a JSON Lines line or a CSV row (with its newline), for writers that stream flows
/// (`FlowAnalyzer.forEachFlow`). `sourceNames` are the snapshot's source names.
public func renderFlow(_ f: FlowRecord, format: FlowLineFormat, sourceNames: [String]) -> String {
    switch format {
    case .csv: return csvRow(f, sourceNames: sourceNames) + "\n"
    case .jsonl:
        var line = ""
        flowJSON(f, sourceNames: sourceNames, into: &line)
        return line + "\n"
    }
}

/// The CSV header line (with its newline).
public var csvHeaderLine: String { csvHeader.joined(separator: ",") + "\n" }

// MARK: - Shared field text

/// "tcp", "udp", "icmp", … ("41" for protocols without a short name).
func protoName(_ p: IPProtocol) -> String { p.name }

func addressText(_ a: IPAddress, _ version: UInt8) -> String { a.text(version: version) }

/// Seconds since the epoch with microseconds, as Zeek prints `ts`: "1700000000.123456".
public func timestampText(_ nanos: Int64) -> String {
    let neg = nanos < 0
    let m = neg ? -(nanos / 1000) : nanos / 1000
    let sec = m / 1_000_000
    let frac = m % 1_000_000
    let f = String(frac)
    return (neg ? "-" : "") + String(sec) + "." + String(repeating: "0", count: max(0, 6 - f.utf8.count)) + f
}

/// TCP flags as letters (tcpdump order: F S R P . U E C; "." for ACK), "" when none.
public func tcpFlagsText(_ flags: UInt16) -> String {
    var s = ""
    if flags & 0x02 != 0 { s += "S" }
    if flags & 0x01 != 0 { s += "F" }
    if flags & 0x04 != 0 { s += "R" }
    if flags & 0x08 != 0 { s += "P" }
    if flags & 0x10 != 0 { s += "." }
    if flags & 0x20 != 0 { s += "U" }
    if flags & 0x40 != 0 { s += "E" }
    if flags & 0x80 != 0 { s += "W" }
    return s
}

/// "100", "300.100" (outermost first); nil when untagged.
func vlanText(_ f: FlowRecord) -> String? {
    f.vlans.isEmpty ? nil : f.vlans.map(String.init).joined(separator: ".")
}

func tunnelText(_ t: TunnelKind) -> String? { t == .none ? nil : t.name }

func fileNames(_ f: FlowRecord, _ names: [String]) -> [String] {
    f.sources.map { Int($0) < names.count ? names[Int($0)] : "source-\($0)" }
}

/// "blocked-rst:3 4;expected:3".
func evidenceText(_ f: FlowRecord) -> String {
    f.evidence.map { e in "\(e.verdict.rawValue):" + e.frames.map(String.init).joined(separator: " ") }
        .joined(separator: ";")
}
