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
    /// The Prometheus text exposition of the run's metric families (node_exporter's textfile
    /// collector), as `live --metrics` serves them.
    case prometheus
}

/// Rendering choices.
public struct ReportOptions: Sendable {
    /// ANSI colour in `table` (the CLI sets it only on a TTY without NO_COLOR).
    public var color: Bool
    /// Terminal width for `table`.
    public var width: Int
    /// `table`: the most problem groups listed per verdict (the rest are counted).
    public var maxFlowsPerVerdict: Int

    /// `table`: lines of never-exercised entries per host (the rest are counted).
    public var maxCoverageLines: Int

    /// Set when reading stopped early (analyze on a signal): why, and what was read. Every format
    /// says so (table and HTML a line at the top, JSON `partial` and `partial_reason` first in the
    /// document, JSON Lines a last `{"type":"partial",…}` line, CSV a last `# partial: …` line).
    /// Nil (every complete run) changes no byte.
    public var partial: String? = nil

    /// `table`: example flows under each problem group (the rest are counted).
    public var examplesPerGroup: Int
    /// `table`: every problem group and every flow of each (`--all`).
    public var all: Bool
    /// `table` and text: `->` and `...` for → and …, for a terminal whose locale is not UTF-8.
    public var ascii: Bool

    public init(color: Bool = false, width: Int = 100, maxFlowsPerVerdict: Int = 20, maxCoverageLines: Int = 2,
                examplesPerGroup: Int = 3, all: Bool = false, ascii: Bool = false) {
        self.color = color
        self.width = width
        self.maxFlowsPerVerdict = maxFlowsPerVerdict
        self.maxCoverageLines = maxCoverageLines
        self.examplesPerGroup = examplesPerGroup
        self.all = all
        self.ascii = ascii
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
/// JSONLines.swift, CSV.swift, HTML.swift,
/// Prometheus.swift). A new format is such a type and a `ReportFormat` case.
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
        case .prometheus: PrometheusFormat.self
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
    renderFlow(f, format: format, sources: SourceFiles(names: sourceNames))
}

/// The same with the snapshot's sources (groups of pieces: frames and files named per file).
public func renderFlow(_ f: FlowRecord, format: FlowLineFormat, sources: SourceFiles) -> String {
    switch format {
    case .csv: return csvRow(f, sourceNames: sources) + "\n"
    case .jsonl:
        var line = ""
        flowJSON(f, sourceNames: sources, into: &line)
        return line + "\n"
    }
}

/// The report's sources, to name a flow's files and its frames: a source made of consecutive
/// pieces numbers its frames across them; reports give each frame's own file and number in it
/// (what Wireshark's "Go to packet" takes in that file).
public struct SourceFiles: Sendable {
    public let sources: [SourceInfo]
    let names: [String]
    /// Some source is several pieces (otherwise every lookup is by name, as for plain files).
    let anyPieces: Bool
    public init(_ sources: [SourceInfo]) {
        self.sources = sources
        names = sources.map(\.name)
        anyPieces = sources.contains { $0.pieces.count > 1 }
    }
    public init(names: [String]) { self.init(names.map { SourceInfo(name: $0) }) }

    /// The flow's evidence source is several pieces.
    @inline(__always) func inPieces(_ f: FlowRecord) -> Bool {
        anyPieces && Int(f.evidenceSource) < sources.count && sources[Int(f.evidenceSource)].pieces.count > 1
    }

    /// A frame of the flow's evidence source: its file (nil when the source is one file) and its number there.
    @inline(__always) func locate(_ f: FlowRecord, _ frame: UInt64) -> (file: String?, frame: UInt64) {
        inPieces(f) ? locateInPieces(f, frame) : (nil, frame)
    }

    func locateInPieces(_ f: FlowRecord, _ frame: UInt64) -> (file: String?, frame: UInt64) {
        let s = sources[Int(f.evidenceSource)]
        let (p, n) = s.locate(frame)
        return (p.map { s.pieces[$0].name }, n)
    }

    /// The evidence source's name.
    @inline(__always) func name(_ f: FlowRecord) -> String? {
        Int(f.evidenceSource) < names.count ? names[Int(f.evidenceSource)] : nil
    }

    /// The file of the flow's first frame.
    @inline(__always) func evidenceFile(_ f: FlowRecord) -> String? {
        guard Int(f.evidenceSource) < names.count else { return nil }
        return inPieces(f) ? locateInPieces(f, f.firstFrame).file : names[Int(f.evidenceSource)]
    }

    /// Every file that saw the flow: of the evidence source, the pieces its frames span; of the
    /// other sources, every piece that has packets.
    func fileNames(_ f: FlowRecord) -> [String] {
        guard anyPieces else { return f.sources.map { Int($0) < names.count ? names[Int($0)] : "source-\($0)" } }
        var out: [String] = []
        for i in f.sources {
            guard Int(i) < sources.count else {
                out.append("source-\(i)")
                continue
            }
            let s = sources[Int(i)]
            if s.pieces.count <= 1 {
                out.append(s.name)
            } else if i == f.evidenceSource {
                let a = s.locate(f.firstFrame).piece ?? 0
                let b = max(a, s.locate(max(f.lastFrame, f.firstFrame)).piece ?? a)
                out += s.pieces[a...b].filter { $0.packets > 0 }.map(\.name)
            } else {
                out += s.pieces.filter { $0.packets > 0 }.map(\.name)
            }
        }
        return out
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
    String(unsafeUninitializedCapacity: 8) { writeTCPFlags(flags, $0.baseAddress!) }
}

/// `tcpFlagsText` written at `p` (room for 8 bytes); returns how many letters. The streamed
/// flows (`ByteBuffer.appendTCPFlags`) write it in place.
@inline(__always) func writeTCPFlags(_ flags: UInt16, _ p: UnsafeMutablePointer<UInt8>) -> Int {
    var n = 0
    @inline(__always) func letter(_ bit: UInt16, _ c: UInt8) {
        if flags & bit != 0 { p[n] = c; n &+= 1 }
    }
    letter(0x02, 0x53); letter(0x01, 0x46); letter(0x04, 0x52); letter(0x08, 0x50)  // S F R P
    letter(0x10, 0x2E); letter(0x20, 0x55); letter(0x40, 0x45); letter(0x80, 0x57)  // . U E W
    return n
}

/// "100", "300.100" (outermost first); nil when untagged.
func vlanText(_ f: FlowRecord) -> String? {
    f.vlans.isEmpty ? nil : f.vlans.map(String.init).joined(separator: ".")
}

/// `last_ts − first_ts` as they print (whole microseconds, so the three fields agree whatever
/// the capture's resolution), in nanoseconds: 0 when the clock went back, Int64.max when the
/// difference does not fit (timestamps come from files).
func durationNanos(_ f: FlowRecord) -> Int64 {
    let last = f.lastTimestamp / 1000, first = f.firstTimestamp / 1000
    guard last > first else { return 0 }
    let (d, overflow) = last.subtractingReportingOverflow(first)
    return overflow || d > Int64.max / 1000 ? .max : d * 1000
}

func tunnelText(_ t: TunnelKind) -> String? { t == .none ? nil : t.name }

/// "blocked-rst:3 4;expected:3"; a source of several pieces: "blocked-rst:3@a.pcap 4@b.pcap".
func evidenceText(_ f: FlowRecord, _ sources: SourceFiles) -> String {
    let pieces = sources.inPieces(f)
    return f.evidence.map { e in
        "\(e.verdict.rawValue):" + e.frames.map { fr in
            guard pieces else { return String(fr) }
            let (file, n) = sources.locate(f, fr)
            return "\(n)@\(file ?? "")"
        }.joined(separator: " ")
    }.joined(separator: ";")
}
