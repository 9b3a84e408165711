import ArgumentParser
import CaptureFile
import Dispatch
import FlowAnalysis
import PacketWire
import Pipeline
import PortCatalog
import Reports
import TrafficSynth

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Generate a deterministic capture (or use --file) and measure each stage.",
        discussion: """
            Without --file, generates a realistic capture (TrafficSynth: Ethernet with some VLAN tags, \
            mostly IPv4 with some IPv6, TCP sessions, UDP, ICMP errors, IMIX sizes; flows to catalog \
            ports on DC/OS masters and agents and Dynatrace nodes, plus unexpected and blocked ones), \
            then runs read, decode, classify and the full analysis over the mapped file and prints \
            packets/s, Gbit/s (original frame lengths) and the peak resident memory of each stage. \
            --write FILE keeps the generated capture for others (compare.sh, callgrind).
            """
    )

    @Option(help: "Packets to generate.") var packets: Int = 1_000_000
    @Option(help: "Conversations to generate.") var flows: Int = 10_000
    @Option(help: "Generator seed (same seed, same bytes).") var seed: UInt64 = 1
    @Option(help: "Measure this capture instead of generating one.") var file: String?
    @Option(help: "Analyzer threads for the last stage (the file cut into byte ranges).") var threads: Int = 1
    @Option(help: "Write the generated capture to FILE (kept).") var write: String?
    @Option(help: "Format of the generated capture: pcap or pcapng.") var format: String = "pcap"
    @Option(help: "Bytes captured per generated frame at most.") var snaplen: Int = 65_535
    @Option(help: "Conversations in progress at once in the generated capture.") var concurrent: Int = 8_192
    @Option(help: "Times each stage runs; the fastest run is reported.") var repeats: Int = 3
    @Flag(help: "Only generate (with --write); measure nothing.") var generateOnly = false
    @Flag(help: "With --file: give the analyzer TrafficSynth's inventory (for captures it generated).")
    var synthInventory = false
    @Option(help: ArgumentHelp("Run one stage once and print its result only (for callgrind): read, decode, classify or analyze.",
                               visibility: .hidden))
    var only: String?

    func validate() throws {
        if packets < 0 || flows < 1 { throw ValidationError("--packets must be ≥ 0 and --flows ≥ 1") }
        if threads < 1 || threads > 64 { throw ValidationError("--threads must be between 1 and 64") }
        if repeats < 1 { throw ValidationError("--repeats must be ≥ 1") }
        if SynthFormat(rawValue: format) == nil { throw ValidationError("--format must be pcap or pcapng") }
        if snaplen < 64 || snaplen > 262_144 { throw ValidationError("--snaplen must be between 64 and 262144") }
        if generateOnly && write == nil { throw ValidationError("--generate-only needs --write FILE") }
        if file != nil && write != nil { throw ValidationError("--write writes a generated capture; not with --file") }
        if let only, !["read", "decode", "classify", "analyze"].contains(only) {
            throw ValidationError("--only must be read, decode, classify or analyze")
        }
    }

    func run() throws {
        // 1. The capture.
        var path: String
        var temporary = false
        if let file {
            path = file
        } else {
            let fmt = SynthFormat(rawValue: format)!
            path = write ?? "/tmp/portolan-bench-\(getpid()).\(fmt.rawValue)"
            temporary = write == nil
            let config = SynthConfiguration(
                packets: packets, flows: flows, seed: seed, format: fmt, snaplen: snaplen,
                concurrentFlows: concurrent)
            let t0 = Timing.now()
            let stats: SynthStatistics
            do { stats = try TrafficSynth(config).write(path: path) } catch {
                BenchOutput.error("\(error)")
                throw ExitCode(2)
            }
            let secs = Timing.seconds(since: t0)
            emit("generated \(stats.packets) packets, \(stats.conversations) conversations, "
                + "\(stats.fileBytes) bytes (\(stats.wireBytes) on the wire) "
                + (temporary ? "" : "to \(path) ") + "in " + BenchOutput.fixed(secs, 2) + " s ("
                + BenchOutput.rate(Double(stats.packets) / max(secs, 1e-9)) + " packets/s)")
            if generateOnly { return }
        }
        defer { if temporary { unlink(path) } }

        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch {
            BenchOutput.error("\(error)")
            throw ExitCode(2)
        }

        // 2. What the stages share: built-in catalogs, the synthetic cluster's inventory.
        let catalog: CompiledCatalog
        var inventory = Inventory()
        do {
            catalog = try CompiledCatalog.builtIn()
            if file == nil || synthInventory {
                for spec in SynthTopology.roleSpecs { try inventory.addRole(spec, catalog: catalog) }
            }
        } catch {
            BenchOutput.error("\(error)")
            throw ExitCode(2)
        }
        let analyzerConfig = AnalyzerConfiguration(catalog: catalog, inventory: inventory)
        let decoder = PacketDecoder(options: analyzerConfig.decoderOptions)

        if let only {
            // One stage, once, nothing else: callgrind's marginal instructions per packet.
            switch only {
            case "read": emit("\(try Stages.read(mapped).packets)")
            case "decode": emit("\(try Stages.decode(mapped, decoder))")
            case "classify": emit("\(try Stages.classify(mapped, decoder, catalog))")
            default:
                let s = try analyze(mapped, analyzerConfig, threads: threads)
                emit("\(s.flows.count) \(s.accounting.total.packets)")
            }
            return
        }

        // Warm the page cache and count.
        var totals = Totals()
        do { totals = try Stages.read(mapped) } catch {
            BenchOutput.error("\(error)")
            throw ExitCode(2)
        }
        emit("capture: \(path): \(totals.packets) packets, \(totals.wireBytes) bytes on the wire")
        emit("")

        // 3. The stages.
        var rows: [StageResult] = []
        func measure(_ name: String, _ body: () throws -> Void) rethrows {
            var best = Double.infinity
            var peak = 0
            for _ in 0..<repeats {
                PeakMemory.reset()
                let t0 = Timing.now()
                try body()
                best = min(best, Timing.seconds(since: t0))
                peak = max(peak, PeakMemory.read())
            }
            rows.append(StageResult(name: name, seconds: best, peakBytes: peak))
        }
        var check = 0
        try measure("read (walk mapped file)") { check &+= Int(try Stages.read(mapped).packets) }
        try measure("read + decode") { check &+= try Stages.decode(mapped, decoder) }
        try measure("read + decode + classify") { check &+= try Stages.classify(mapped, decoder, catalog) }
        var single: AnalysisSnapshot?
        try measure("analyze (1 thread)") { single = try analyze(mapped, analyzerConfig, threads: 1) }
        var parallel: AnalysisSnapshot?
        if threads > 1 {
            try measure("analyze (\(threads) threads)") {
                parallel = try analyze(mapped, analyzerConfig, threads: threads)
            }
        }
        Stages.blackHole(check)

        // 4. The table.
        let header = ["stage", "seconds", "packets/s", "Gbit/s", "ns/packet", "peak RSS MiB"]
        var table: [[String]] = [header]
        for r in rows {
            let pps = Double(totals.packets) / r.seconds
            table.append([
                r.name, BenchOutput.fixed(r.seconds, 3), BenchOutput.rate(pps),
                BenchOutput.fixed(Double(totals.wireBytes) * 8 / r.seconds / 1e9, 2),
                BenchOutput.fixed(r.seconds * 1e9 / Double(max(totals.packets, 1)), 1),
                BenchOutput.fixed(Double(r.peakBytes) / 1_048_576, 1),
            ])
        }
        BenchOutput.printTable(table)
        if let single {
            emit("")
            emit("flows: \(single.flows.count); packets accounted: \(single.accounting.total.packets)")
            if let parallel {
                let same = Stages.sameResults(single, parallel)
                emit("\(threads) threads: results " + (same ? "identical to 1 thread" : "DIFFER from 1 thread"))
                if let one = rows.first(where: { $0.name == "analyze (1 thread)" }), let n = rows.last {
                    emit("\(threads) threads: speed-up " + BenchOutput.fixed(one.seconds / n.seconds, 2) + "×")
                }
            }
        }
    }
}

extension BenchCommand {
    /// `Stages.analyze`, saying on standard error what the byte ranges did.
    func analyze(_ file: MappedFile, _ config: AnalyzerConfiguration, threads: Int) throws -> AnalysisSnapshot {
        let (snapshot, ranges) = try Stages.analyze(file, config, threads: threads)
        if let outcome = ranges {
            let f = { (x: Double) in BenchOutput.fixed(x, 3) }
            BenchOutput.error("byte ranges: \(outcome.ranges); thread CPU s " + outcome.rangeCPU.map(f).joined(separator: " ")
                + "; wall s " + outcome.rangeWall.map(f).joined(separator: " ") + "; merge s " + f(outcome.mergeWall))
            if let at = outcome.resumedAt {
                BenchOutput.error("the range at byte offset \(at) could not be appended exactly: read on one thread from there")
            }
        }
        return snapshot
    }
}

struct StageResult {
    var name: String
    var seconds: Double
    var peakBytes: Int
}

enum BenchOutput {
    static func error(_ s: String) {
        OutputFile.printError("portolan bench: \(s)")
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if s.contains("e") { return String(Int(r)) }
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < digits { s += String(repeating: "0", count: digits - have) }
            if digits == 0 { s = String(s[..<dot]) }
        } else if digits > 0 {
            s += "." + String(repeating: "0", count: digits)
        }
        return s
    }

    /// 12.3 M, 456.7 k.
    static func rate(_ v: Double) -> String {
        if v >= 1e6 { return fixed(v / 1e6, 2) + " M" }
        if v >= 1e3 { return fixed(v / 1e3, 1) + " k" }
        return fixed(v, 0)
    }

    static func printTable(_ rows: [[String]]) {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        for (n, r) in rows.enumerated() {
            var line = ""
            for (i, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += i == 0 ? c + pad : "  " + pad + c
            }
            emit(line)
            if n == 0 { emit(String(repeating: "-", count: line.count)) }
        }
    }
}

/// One line of bench's report on standard output, written at once (the stages between lines take seconds).
private func emit(_ text: String) { say(text + "\n") }
