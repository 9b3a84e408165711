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
    @Option(help: "Measure this capture instead of generating one.", completion: .file()) var file: String?
    @Option(help: "Analyzer threads for the last stage (the file cut into byte ranges).") var threads: Int = 1
    @Option(help: "Write the generated capture to FILE (kept).", completion: .file()) var write: String?
    @Option(help: "Format of the generated capture: pcap or pcapng.", completion: .list(["pcap", "pcapng"])) var format: String = "pcap"
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
                + (temporary ? "" : "to \(path) ") + "in " + BenchText.fixed(secs, 2) + " s ("
                + BenchText.rate(Double(stats.packets) / max(secs, 1e-9)) + " packets/s)")
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
        var check = 0
        rows.append(try Stages.measure("read (walk mapped file)", repeats: repeats) { check &+= Int(try Stages.read(mapped).packets) })
        rows.append(try Stages.measure("read + decode", repeats: repeats) { check &+= try Stages.decode(mapped, decoder) })
        rows.append(try Stages.measure("read + decode + classify", repeats: repeats) {
            check &+= try Stages.classify(mapped, decoder, catalog)
        })
        var single: AnalysisSnapshot?
        rows.append(try Stages.measure("analyze (1 thread)", repeats: repeats) {
            single = try analyze(mapped, analyzerConfig, threads: 1)
        })
        var parallel: AnalysisSnapshot?
        if threads > 1 {
            rows.append(try Stages.measure("analyze (\(threads) threads)", repeats: repeats) {
                parallel = try analyze(mapped, analyzerConfig, threads: threads)
            })
        }
        Stages.blackHole(check)

        // 4. The table.
        for line in BenchText.stages(rows.map { ($0.name, $0.seconds, $0.peakBytes) }, packets: totals.packets,
                                     wireBytes: totals.wireBytes) {
            emit(line)
        }
        if let single {
            emit("")
            emit("flows: \(single.flows.count); packets accounted: \(single.accounting.total.packets)")
            if let parallel {
                let same = Stages.sameResults(single, parallel)
                emit("\(threads) threads: results " + (same ? "identical to 1 thread" : "DIFFER from 1 thread"))
                if let one = rows.first(where: { $0.name == "analyze (1 thread)" }), let n = rows.last {
                    emit("\(threads) threads: speed-up " + BenchText.fixed(one.seconds / n.seconds, 2) + "×")
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
            let f = { (x: Double) in BenchText.fixed(x, 3) }
            BenchOutput.error("byte ranges: \(outcome.ranges); thread CPU s " + outcome.rangeCPU.map(f).joined(separator: " ")
                + "; wall s " + outcome.rangeWall.map(f).joined(separator: " ") + "; merge s " + f(outcome.mergeWall))
            if let at = outcome.resumedAt {
                BenchOutput.error("the range at byte offset \(at) could not be appended exactly: read on one thread from there")
            }
        }
        return snapshot
    }
}

enum BenchOutput {
    static func error(_ s: String) {
        OutputFile.printError("portolan bench: \(s)")
    }
}

/// One line of bench's report on standard output, written at once (the stages between lines take seconds).
private func emit(_ text: String) { say(text + "\n") }
