import ArgumentParser
import CaptureFile
import FlowAnalysis
import FlowExport
import LiveCapture
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

            tcpdump habits: `portolan analyze x.pcap tcp port 22` or `portolan analyze -r x.pcap tcp \
            port 22` or `-f 'tcp port 22'`. Without -r, the leading words that name existing files \
            (or -, standard input) are the files and the first other word starts the filter; with -r, \
            every word is the filter. The filter is compiled by libpcap for each link type and applied \
            before the analysis; frames that do not match are counted as filtered in the accounting. \
            -c N stops after N matching packets. With a filter or -c the files are read on one thread.

            Exit status: 0 when no flow has a verdict listed in --fail-on (default: none), 1 when at \
            least one does, 2 for bad usage or bad input. An input that is not a capture file (missing, \
            a directory, not pcap, pcapng or snoop) is exit status 2 with one line and no report, \
            --allow-damaged or not. A damaged file is reported up to the damage (its error is printed \
            with the file and byte offset) and makes the status 2, unless --allow-damaged is given, \
            which makes it a warning.

            On SIGINT, SIGTERM or SIGHUP reading stops at the next packet and the report of what \
            was read is written, marked partial; the exit status is then 130, 143 or 129. A signal \
            while the report is written stops it (a -o file is then not written at all) with the \
            same status.
            """)

    @Argument(help: ArgumentHelp("Capture files (pcap, pcapng; gzip or zstd compressed too), then optionally a capture filter (BPF words, as tcpdump takes them).",
                                 valueName: "FILE… [EXPRESSION]"),
              completion: .file())
    var words: [String] = []

    @OptionGroup(title: "tcpdump habits") var readOptions: ReadOptions

    @OptionGroup var catalogOptions: CatalogOptions

    @Option(name: .customLong("format"), help: "Output format: table, json, jsonl, csv, html (one self-contained page; write it with -o) or prometheus (metric families for node_exporter's textfile collector).",
            completion: .list(ReportFormat.allCases.map(\.rawValue)))
    var format: String = AnalyzeCommand.defaultFormat

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the report to FILE.", valueName: "FILE"),
            completion: .file())
    var output: String?

    @Option(name: .customLong("fail-on"),
            help: ArgumentHelp("Exit 1 when a flow has one of these verdicts (comma-separated; 'problems' = every verdict but expected).",
                               valueName: "VERDICT,…"),
            completion: .list(failOnWords))
    var failOn: String?

    @Flag(name: .customLong("no-vlan-key"), help: "Ignore VLAN ids when keying flows.")
    var noVLANKey = false

    @Flag(name: .customLong("no-tunnels"), help: "Do not analyse flows inside tunnels (only the carriers).")
    var noTunnels = false

    @Flag(name: .customLong("allow-damaged"), help: "A damaged file is a warning, not exit status 2.")
    var allowDamaged = false

    @Option(help: "Analyse on N threads (each file cut into N byte ranges; the same results as one thread).")
    var threads: Int = AnalyzeCommand.defaultThreads

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

    @Option(name: .customLong("ipfix"),
            help: ArgumentHelp("Also export every flow as IPFIX records over UDP to this collector (README: IPFIX export).",
                               valueName: "HOST:PORT"))
    var ipfix: String?

    /// Measurement only: RFC 5103 biflow records instead of one record per direction (README says
    /// why biflow is not the default).
    @Flag(name: .customLong("ipfix-biflow"), help: .hidden)
    var ipfixBiflow = false

    @Flag(name: .customLong("no-progress"), help: "No progress bar (it is shown only on a terminal anyway).")
    var noProgress = false

    @Flag(name: .customLong("all"), help: "Table: list every problem flow (default: the largest groups and a few flows of each).")
    var all = false

    @Option(name: .customLong("width"),
            help: ArgumentHelp("Table width in columns (default: the terminal's, else COLUMNS, else 100).", valueName: "N"))
    var width: Int?

    /// The defaults, also those of `PlainCommandLine`.
    static let defaultFormat = "table"
    static let defaultThreads = 1

    func run() throws {
        try values.run()
    }

    /// The command line as plain values (no property wrappers): what `analyze` runs with.
    var values: AnalyzeValues {
        AnalyzeValues(words: words, read: readOptions.values, catalog: catalogOptions.values, format: format,
                      output: output, failOn: failOn, noVLANKey: noVLANKey, noTunnels: noTunnels,
                      allowDamaged: allowDamaged, threads: threads, splitMinimumBytes: splitMinimumBytes,
                      sameCapture: sameCapture, vantagePoints: vantagePoints, groupGlobs: groupGlobs, ipfix: ipfix,
                      ipfixBiflow: ipfixBiflow, noProgress: noProgress, all: all, width: width)
    }
}


/// `analyze`'s options as plain values: made from the parsed `AnalyzeCommand`, or directly by
/// `PlainCommandLine` without ArgumentParser (start-up). Every field is one option; the memberwise
/// initializer makes both places name them all.
struct AnalyzeValues: Equatable {
    var words: [String]
    var read: ReadValues
    var catalog: CatalogValues
    var format: String
    var output: String?
    var failOn: String?
    var noVLANKey: Bool
    var noTunnels: Bool
    var allowDamaged: Bool
    var threads: Int
    var splitMinimumBytes: Int
    var sameCapture: Bool
    var vantagePoints: Bool
    var groupGlobs: [String]
    var ipfix: String?
    var ipfixBiflow: Bool
    var noProgress: Bool
    var all: Bool
    var width: Int?

    func run() throws {
        guard let fmt = ReportFormat(rawValue: format) else {
            throw analyzeFail("unknown --format '\(format)' (table, json, jsonl, csv, html, prometheus)")
        }
        let failSet: Set<Verdict>
        switch parseVerdicts(failOn) {
        case .success(let s): failSet = s
        case .failure(let e): throw analyzeFail(e.message)
        }
        let files: [String], expression: String?
        do { (files, expression) = try read.inputs(positional: words) } catch { throw analyzeFail(error.message) }
        guard !files.isEmpty else { throw analyzeFail("no capture file given") }
        guard threads >= 1 && threads <= 256 else { throw analyzeFail("--threads must be between 1 and 256") }
        // Every input is a capture before anything is read: a mistyped path is exit 2 with one
        // line and no report, with --allow-damaged too (it covers damage inside a capture only).
        try checkInputs(files, fail: analyzeFail)
        let selection: ReadSelection
        do { selection = try read.selection(files: files, expression: expression) } catch { throw analyzeFail(error.message) }
        let (catalog, inventory) = try catalog.load()
        // Opened first: a collector address that cannot be used costs no analysis.
        var exporter: IPFIXExporter?
        if let ipfix {
            do { exporter = try IPFIXExporter(destination: ipfix, biflow: ipfixBiflow) } catch {
                throw analyzeFail("--ipfix: \(error)")
            }
        }
        // From here a signal stops reading at the next packet; the report says what was read.
        Interrupt.install()

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
                                                    minimumRange: splitMinimumBytes, selection: selection,
                                                    progress: &progress)
        let stoppedBy = Interrupt.requested ? Interrupt.signal : nil
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
        var options = ReportOptions(color: toTerminal && !noColor && fmt == .table,
                                    width: reportWidth(option: width, toStandardOutput: output == nil),
                                    all: all, ascii: !localeIsUTF8())
        if let stoppedBy {
            options.partial = AnalyzeCommand.partialReason(stoppedBy, analyzer.sourceInfos, files: files)
            printError("portolan analyze: \(options.partial!); the report says partial")
        }
        var out: OutputFile
        do { out = try output.map { p throws(OutputError) in try OutputFile(path: p, inputs: files) } ?? .standardOutput } catch {
            throw analyzeFail("\(error)")
        }
        // A signal from here on stops the writing: the -o target is then never a cut report.
        let signalsBeforeWriting = Interrupt.signals
        out.stopAfterSignals = signalsBeforeWriting
        let failed = writeReport(analyzer, format: fmt, options: options, failOn: failSet, to: &out)
        do { try out.close() } catch {
            if Interrupt.signals > signalsBeforeWriting {
                printError("error: \(error) while writing the report" + (output.map { "; \($0) was not written" } ?? ""))
                throw ExitCode(128 + Interrupt.signal)
            }
            throw analyzeFail("\(error)")
        }
        if exporter != nil && stoppedBy == nil {
            // Every flow of a file has ended when the file does.
            let now = wallClockNanos()
            analyzer.forEachFlow { exporter!.export($0, ended: true, nowNanos: now) }
            exporter!.flush()
            if let failure = exporter!.firstFailure {
                throw analyzeFail("--ipfix: \(exporter!.sendFailures) of \(exporter!.messages) messages not sent (\(failure))")
            }
        }
        if let stoppedBy { throw ExitCode(128 + stoppedBy) }
        if badInput { throw ExitCode(2) }
        if failed {
            printError(failOnLine(analyzer.failOnTally(failSet), given: failOn ?? ""))
            throw ExitCode(1)
        }
    }
}

extension AnalyzeCommand {
    /// "interrupted by SIGINT: reading stopped after 1234 packets of big.pcap; not read: c.pcap".
    static func partialReason(_ signo: Int32, _ sources: [SourceInfo], files: [String]) -> String {
        let packets = sources.reduce(UInt64(0)) { $0 + $1.packets }
        let read = Set(sources.flatMap { $0.pieces.isEmpty ? [$0.name] : $0.pieces.map(\.name) })
        var text = "interrupted by \(signalName(signo)): reading stopped after \(packets) packets"
        if let last = sources.last { text += " (in \(last.pieces.last?.name ?? last.name))" }
        let unread = files.filter { !read.contains($0) }
        if !unread.isEmpty { text += "; not read: " + unread.joined(separator: ", ") }
        return text
    }
}

struct AnalyzeUsageError: Error {
    var message: String
}

/// The words --fail-on takes, offered by the shell completions.
let failOnWords = Verdict.byRank.map(\.rawValue) + ["problems", "blocked", "none"]

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

/// Checks every input (`CaptureInput.check`) before anything is read; one line per bad input
/// (through `fail`, which prints it), then exit status 2.
func checkInputs(_ paths: [String], fail: (String) -> ExitCode) throws {
    var bad: ExitCode?
    for path in paths {
        do { try CaptureInput.check(path) } catch { bad = fail("\(error)") }
    }
    if let bad { throw bad }
}

func printError(_ s: String) {
    OutputFile.printError(s)
}

/// Prints `error: …` and returns exit status 2 (usage or bad input).
func analyzeFail(_ message: String) -> ExitCode {
    printError("error: \(message)")
    return ExitCode(2)
}
