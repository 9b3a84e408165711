import ArgumentParser
import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports

/// `portolan analyze FILE…`: flows, verdicts and accounting of capture files.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse capture files: flows, components, verdicts, accounting.",
        discussion: """
            Several files are several vantage points analysed together: a flow seen in more than one \
            file is one flow that lists every file; its counts, state and evidence come from the file \
            that saw the most packets of it (packets are not summed across files). gzip- and \
            zstd-compressed captures are read directly.

            Exit status: 0 when no flow has a verdict listed in --fail-on (default: none), 1 when at \
            least one does, 2 for bad usage or bad input. A damaged file is reported up to the damage \
            (its error is printed with the file and byte offset) and makes the status 2, unless \
            --allow-damaged is given, which makes it a warning.
            """)

    @Argument(help: ArgumentHelp("Capture files (pcap, pcapng; gzip or zstd compressed too).", valueName: "FILE"))
    var files: [String]

    @OptionGroup var catalogOptions: CatalogOptions

    @Option(name: .customLong("format"), help: "Output format: table, json, jsonl or csv.")
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

    @Flag(name: .customLong("no-progress"), help: "No progress bar (it is shown only on a terminal anyway).")
    var noProgress = false

    func run() throws {
        guard let fmt = ReportFormat(rawValue: format) else {
            throw analyzeFail("unknown --format '\(format)' (table, json, jsonl, csv)")
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
        var analyzer: FlowAnalyzer
        var errors: [String?]
        (analyzer, errors) = read(config, threads: threads, progress: !noProgress && isatty(STDERR_FILENO) != 0)
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
        let noColor = (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty == false
        let options = ReportOptions(color: toTerminal && !noColor && fmt == .table)
        var out: FileOutput
        if let output {
            guard let o = FileOutput(path: output) else {
                throw analyzeFail("cannot write \(output): \(String(cString: strerror(errno)))")
            }
            out = o
        } else {
            out = FileOutput(fd: STDOUT_FILENO)
        }
        // Flows are streamed one record at a time: JSON Lines and CSV rows as they come, the table
        // from a running summary, JSON between its head and its tail. No format holds every record.
        var failed = false
        switch fmt {
        case .jsonl, .csv:
            if fmt == .csv { out.write(csvHeaderLine) }
            let names = analyzer.sources
            _ = analyzer.snapshot { f in
                out.write(renderFlow(f, format: fmt, sourceNames: names))
                if !failed && f.verdicts.contains(where: failSet.contains) { failed = true }
            }
        case .table:
            var summary = TableSummary(options: options)
            let failBits = Verdict.bits(failSet)
            let snapshot = analyzer.snapshot(streamingSummaries: { f, record in
                summary.add(f, record: record)
                if f.verdictBits & failBits != 0 { failed = true }
            })
            writeTable(snapshot, summary: summary, options: options, to: &out)
        case .json:
            var stream = JSONReportStream(analyzer.snapshot(includeFlows: false), to: &out)
            let tail = analyzer.snapshot { f in
                stream.add(f, to: &out)
                if !failed && f.verdicts.contains(where: failSet.contains) { failed = true }
            }
            stream.finish(tail, to: &out)
        }
        guard out.close() || output == nil else {
            throw analyzeFail("cannot write \(output ?? "-"): \(String(cString: strerror(errno)))")
        }
        if badInput { throw ExitCode(2) }
        if failed { throw ExitCode(1) }
    }
}

extension AnalyzeCommand {
    /// Reads every file into an analyzer — on this thread, or with `threads` > 1 each file cut into
    /// byte ranges read on that many threads (SplitRead.swift) — and returns it and each file's
    /// error (a damaged file is read up to the damage).
    func read(_ config: AnalyzerConfiguration, threads: Int, progress showProgress: Bool) -> (FlowAnalyzer, [String?]) {
        var analyzer = FlowAnalyzer(configuration: config)
        var progress = Progress(enabled: showProgress)
        var errors: [String?] = []
        for path in files {
            let index = analyzer.addSource(name: path)
            do {
                let file = try MappedFile(path: path)
                analyzer.reserveFlows(forCaptureBytes: file.count)
                if threads > 1 {
                    try SplitRead.read(file, into: &analyzer, sourceIndex: index, threads: threads,
                                       minimumRange: splitMinimumBytes, progress: &progress)
                } else {
                    // The same loop as `SplitRead.walk` without its per-packet offset check: through
                    // `walk`, measured 597 instructions/packet against 585 (and 593 with a second
                    // loop in `walk`, where `FlowTable.find` was no longer inlined).
                    var reader = try CaptureReader(file: file, sourceIndex: index)
                    var record = CaptureRecord()
                    var n = 0
                    progress.start(name: path, total: file.count)
                    while let bytes = try reader.next(&record) {
                        analyzer.process(record, bytes)
                        n &+= 1
                        if n & 0x3FFF == 0 { progress.update(Int(record.fileOffset)) }
                    }
                }
                progress.finish()
                errors.append(nil)
            } catch let e {
                progress.finish()
                analyzer.noteSourceError(index, e.description)
                errors.append(e.description)
            }
        }
        return (analyzer, errors)
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
        let p = part.trimmingCharacters(in: .whitespaces)
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
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Prints `error: …` and returns exit status 2 (usage or bad input).
func analyzeFail(_ message: String) -> ExitCode {
    printError("error: \(message)")
    return ExitCode(2)
}

/// Buffered writes to a file descriptor (the report may be large: JSON Lines of millions of flows).
struct FileOutput: TextOutputStream {
    let fd: Int32
    let owned: Bool
    var buffer: [UInt8] = []
    var failed = false

    init(fd: Int32) {
        self.fd = fd
        owned = false
        buffer.reserveCapacity(1 << 16)
    }

    init?(path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        self.fd = fd
        owned = true
        buffer.reserveCapacity(1 << 16)
    }

    mutating func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var off = 0
        while off < buffer.count && !failed {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                failed = true
            } else {
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes (when opened here); false when any write failed.
    mutating func close() -> Bool {
        flush()
        if owned && Glibc.close(fd) != 0 { failed = true }
        return !failed
    }
}

/// A one-line progress bar on standard error, only on a terminal, only for runs longer than a second.
struct Progress {
    let enabled: Bool
    var name = ""
    var total = 0
    var started = 0.0
    var lastDraw = 0.0
    var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    mutating func start(name: String, total: Int) {
        guard enabled else { return }
        self.name = name
        self.total = max(total, 1)
        started = Timing.now()
    }

    mutating func update(_ offset: Int) {
        guard enabled else { return }
        let now = Timing.now()
        // After a second, at most ten redraws a second.
        guard now - started > 1, now - lastDraw > 0.1 else { return }
        lastDraw = now
        let fraction = min(1.0, Double(offset) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let label = name.count > 40 ? "…" + name.suffix(39) : name
        printErrorRaw("\r[\(bar)] \(Int(fraction * 100))% \(label)")
        shown = true
    }

    mutating func finish() {
        guard enabled, shown else { return }
        printErrorRaw("\r" + String(repeating: " ", count: 80) + "\r")
        shown = false
    }

    func printErrorRaw(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
