import ArgumentParser
import TrafficSynth

#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Generate a deterministic capture (or use --file) and measure each stage.",
        discussion: """
            Without --file, generates a realistic capture (TrafficSynth: Ethernet with some VLAN tags, \
            mostly IPv4 with some IPv6, TCP sessions, UDP, ICMP errors, IMIX sizes; flows to catalog \
            ports on DC/OS masters and agents and Dynatrace nodes, plus unexpected and blocked ones). \
            --write FILE keeps the generated capture for others (compare.sh, callgrind).
            """
    )

    @Option(help: "Packets to generate.") var packets: Int = 1_000_000
    @Option(help: "Conversations to generate.") var flows: Int = 10_000
    @Option(help: "Generator seed (same seed, same bytes).") var seed: UInt64 = 1
    @Option(help: "Measure this capture instead of generating one.") var file: String?
    @Option(help: "Analyzer threads (flows split by canonical flow hash).") var threads: Int = 1
    @Option(help: "Write the generated capture to FILE.") var write: String?
    @Option(help: "Format of the generated capture: pcap or pcapng.") var format: String = "pcap"
    @Option(help: "Bytes captured per generated frame at most.") var snaplen: Int = 65_535
    @Option(help: "Conversations in progress at once in the generated capture.") var concurrent: Int = 8_192
    @Flag(help: "Only generate (with --write); measure nothing.") var generateOnly = false

    func validate() throws {
        if packets < 0 || flows < 1 { throw ValidationError("--packets must be ≥ 0 and --flows ≥ 1") }
        if threads < 1 || threads > 64 { throw ValidationError("--threads must be between 1 and 64") }
        if SynthFormat(rawValue: format) == nil { throw ValidationError("--format must be pcap or pcapng") }
        if snaplen < 64 || snaplen > 262_144 { throw ValidationError("--snaplen must be between 64 and 262144") }
        if generateOnly && write == nil { throw ValidationError("--generate-only needs --write FILE") }
        if file != nil && write != nil { throw ValidationError("--write writes a generated capture; not with --file") }
    }

    func run() throws {
        let config = SynthConfiguration(
            packets: packets, flows: flows, seed: seed, format: SynthFormat(rawValue: format)!,
            snaplen: snaplen, concurrentFlows: concurrent)
        if let write {
            let t0 = BenchClock.now()
            let stats: SynthStatistics
            do { stats = try TrafficSynth(config).write(path: write) } catch {
                BenchOutput.error("\(error)")
                throw ExitCode(2)
            }
            let secs = BenchClock.seconds(since: t0)
            print("generated \(stats.packets) packets, \(stats.conversations) conversations, "
                + "\(stats.fileBytes) bytes (\(stats.wireBytes) on the wire) to \(write) in "
                + BenchOutput.fixed(secs, 2) + " s")
            if generateOnly { return }
        }
    }
}

enum BenchClock {
    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }
    static func seconds(since t0: timespec) -> Double {
        let t = now()
        return Double(t.tv_sec - t0.tv_sec) + Double(t.tv_nsec - t0.tv_nsec) / 1e9
    }
}

enum BenchOutput {
    static func error(_ s: String) {
        let line = "portolan bench: \(s)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < digits { s += String(repeating: "0", count: digits - have) }
        } else if digits > 0 {
            s += "." + String(repeating: "0", count: digits)
        }
        return s
    }
}
