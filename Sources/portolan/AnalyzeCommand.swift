import ArgumentParser
import CaptureFile
import FlowAnalysis
import PacketWire
import Pipeline
import PortCatalog
import Reports

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `portolan analyze FILE…`: flows, verdicts and accounting of capture files.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse capture files: flows, components, verdicts, accounting.",
        discussion: """
            Several files are first grouped, from the files themselves: files with the same link type \
            and interface description whose time ranges follow one another without overlapping are \
            consecutive pieces of one capture (tcpdump -C/-G, dumpcap -b, editcap -c) and are read as \
            one stream, in time order; files that overlap in time are vantage points. A line per group \
            on standard error (table format) and the report's sources say what was decided; \
            --same-capture, --vantage-points and --group override it. A flow seen by more than one \
            vantage point is one flow that lists every file; its counts, state and evidence come from \
            the vantage point that saw the most packets of it (packets are not summed across vantage \
            points). gzip- and zstd-compressed captures are read directly.

            Exit status: 0 when no flow has a verdict listed in --fail-on (default: none), 1 when at \
            least one does, 2 for bad usage or bad input. A damaged file is reported up to the damage \
            (its error is printed with the file and byte offset) and makes the status 2, unless \
            --allow-damaged is given, which makes it a warning.
            """)

    @Argument(help: ArgumentHelp("Capture files (pcap, pcapng; gzip or zstd compressed too).", valueName: "FILE"))
    var files: [String]

    @OptionGroup var catalogOptions: CatalogOptions

    @Option(name: .customLong("format"), help: "Output format: table, json, jsonl, csv or html (one self-contained page; write it with -o).")
    var format: String = "table"

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the report to FILE.", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("fail-on"),
            help: ArgumentHelp("Exit 1 when a flow has one of these verdicts (comma-separated; 'problems' = every verdict but expected).",
                               valueName: "VERDICT,…"))
    var failOn: String?

    @Flag(name: .customLong("no-vlan-key"), help: "Ignore VLAN ids when keying flows.")
    var noVLANKey = false

    @Flag(name: .customLong("no-tunnels"), help: "Do not analyse flows inside tunnels (only the carriers).")
    var noTunnels = false

    @Flag(name: .customLong("allow-damaged"), help: "A damaged file is a warning, not exit status 2.")
    var allowDamaged = false

    @Option(help: "Analyse on N threads (each file cut into N byte ranges; the same results as one thread).")
    var threads: Int = 1

    /// Tests: cut files as small as twice this (default 4 MiB per range), so that `--threads`
    /// runs its cut, merge and fallback paths on small captures too.
    @Option(name: .customLong("split-minimum-bytes"), help: .hidden)
    var splitMinimumBytes: Int = SplitRead.minimumRange

    @Flag(name: .customLong("same-capture"),
          help: "Every file is a piece of one capture: read them as one stream, in the order of their first packet.")
    var sameCapture = false

    @Flag(name: .customLong("vantage-points"), help: "Every file is its own vantage point (no pieces).")
    var vantagePoints = false

    @Option(name: .customLong("group"),
            help: ArgumentHelp("The files matching GLOB (path or file name) are pieces of one capture; repeatable.",
                               valueName: "GLOB"))
    var groupGlobs: [String] = []

    @Flag(name: .customLong("no-progress"), help: "No progress bar (it is shown only on a terminal anyway).")
    var noProgress = false

    @Flag(name: .customLong("all"), help: "Table: list every problem flow (default: the largest groups and a few flows of each).")
    var all = false

    @Option(name: .customLong("width"),
            help: ArgumentHelp("Table width in columns (default: the terminal's, else COLUMNS, else 100).", valueName: "N"))
    var width: Int?

    func run() throws {
        guard let fmt = ReportFormat(rawValue: format) else {
            throw analyzeFail("unknown --format '\(format)' (table, json, jsonl, csv, html)")
        }
        let failSet: Set<Verdict>
        switch parseVerdicts(failOn) {
        case .success(let s): failSet = s
        case .failure(let e): throw analyzeFail(e.message)
        }
        guard !files.isEmpty else { throw analyzeFail("no capture file given") }
        guard threads >= 1 && threads <= 256 else { throw analyzeFail("--threads must be between 1 and 256") }
        let (catalog, inventory) = try catalogOptions.load()

        var config = AnalyzerConfiguration(catalog: catalog, inventory: inventory, vlanInKey: !noVLANKey)
        config.tunnels = !noTunnels
        var progress = Progress(enabled: !noProgress && isatty(STDERR_FILENO) != 0) { frame in
            var terminal = OutputFile.standardError
            terminal.write(Sanitize.progressFrame(frame))
            try? terminal.flush()
        }
        if sameCapture && vantagePoints { throw analyzeFail("--same-capture and --vantage-points exclude each other") }
        if sameCapture && !groupGlobs.isEmpty { throw analyzeFail("--same-capture and --group exclude each other") }
        let mode: Pieces.Mode = sameCapture ? .sameCapture : vantagePoints ? .vantagePoints : .auto
        let groups: [Pieces.Group]
        if files.count == 1 || (mode == .vantagePoints && groupGlobs.isEmpty) {
            // Nothing to decide: no scan.
            groups = files.enumerated().map { i, p in
                Pieces.Group(files: [Pieces.Scan(path: p, index: i, signature: "", first: nil, last: nil, packets: 0)],
                             why: .single)
            }
        } else {
            do { groups = try Pieces.group(Pieces.scan(files), mode: mode, given: groupGlobs) } catch {
                throw analyzeFail("\(error)")
            }
        }
        if files.count > 1 && fmt == .table {
            for line in Pieces.describe(groups) { printError(line) }
        }
        let (analyzer, errors) = CaptureRead.groups(groups.map(\.paths), configuration: config, threads: threads,
                                                    minimumRange: splitMinimumBytes, progress: &progress)
        var badInput = false
        for case let e? in errors {
            if allowDamaged {
                printError("warning: \(e)")
            } else {
                printError("error: \(e)")
                badInput = true
            }
        }
        let toTerminal = output == nil && isatty(STDOUT_FILENO) != 0
        let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        let options = ReportOptions(color: toTerminal && !noColor && fmt == .table,
                                    width: reportWidth(option: width, toStandardOutput: output == nil),
                                    all: all, ascii: !localeIsUTF8())
        var out: OutputFile
        do { out = try output.map { p throws(OutputError) in try OutputFile(path: p, inputs: files) } ?? .standardOutput } catch {
            throw analyzeFail("\(error)")
        }
        let failed = writeReport(analyzer, format: fmt, options: options, failOn: failSet, to: &out)
        do { try out.close() } catch { throw analyzeFail("\(error)") }
        if badInput { throw ExitCode(2) }
        if failed { throw ExitCode(1) }
    }
}

struct AnalyzeUsageError: Error {
    var message: String
}

/// The --fail-on grammar of analyze and live: "blocked-drop,wrong-role" → verdicts;
/// "problems" (or "problem", "any") = all but expected; "blocked" = the blocked ones;
/// "none", "" or nil = none.
func parseVerdicts(_ text: String?) -> Result<Set<Verdict>, AnalyzeUsageError> {
    guard let text, !text.isEmpty else { return .success([]) }
    var out = Set<Verdict>()
    for part in text.split(separator: ",") {
        let p = String(part.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if p == "none" {
            continue
        } else if p == "problems" || p == "problem" || p == "any" {
            out.formUnion(Verdict.allCases.filter(\.isProblem))
        } else if p == "blocked" {
            out.formUnion(Verdict.allCases.filter(\.isBlocked))
        } else if let v = Verdict(rawValue: p) {
            out.insert(v)
        } else {
            let names = Verdict.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(AnalyzeUsageError(message: "unknown verdict '\(p)' in --fail-on (\(names), problems, blocked)"))
        }
    }
    return .success(out)
}

func printError(_ s: String) {
    OutputFile.printError(s)
}

/// Prints `error: …` and returns exit status 2 (usage or bad input).
func analyzeFail(_ message: String) -> ExitCode {
    printError("error: \(message)")
    return ExitCode(2)
}
