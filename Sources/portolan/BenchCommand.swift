import ArgumentParser
import CaptureFile
import Dispatch
import FlowAnalysis
import PacketWire
import PortCatalog
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
    @Option(help: "Analyzer threads for the last stage (flows split by canonical flow hash).") var threads: Int = 1
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
            let t0 = BenchClock.now()
            let stats: SynthStatistics
            do { stats = try TrafficSynth(config).write(path: path) } catch {
                BenchOutput.error("\(error)")
                throw ExitCode(2)
            }
            let secs = BenchClock.seconds(since: t0)
            print("generated \(stats.packets) packets, \(stats.conversations) conversations, "
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
        let analyzerConfig = AnalyzerConfiguration(
            classifier: CompiledClassifier(catalog), roles: InventoryRoles(inventory))
        let decoder = PacketDecoder(options: analyzerConfig.decoderOptions)

        if let only {
            // One stage, once, nothing else: callgrind's marginal instructions per packet.
            switch only {
            case "read": print(try Stages.read(mapped).packets)
            case "decode": print(try Stages.decode(mapped, decoder))
            case "classify": print(try Stages.classify(mapped, decoder, catalog))
            default:
                let s = try Stages.analyze(mapped, analyzerConfig, threads: threads)
                print(s.flows.count, s.accounting.total.packets)
            }
            return
        }

        // Warm the page cache and count.
        var totals = Totals()
        do { totals = try Stages.read(mapped) } catch {
            BenchOutput.error("\(error)")
            throw ExitCode(2)
        }
        print("capture: \(path): \(totals.packets) packets, \(totals.wireBytes) bytes on the wire")
        print("")

        // 3. The stages.
        var rows: [StageResult] = []
        func measure(_ name: String, _ body: () throws -> Void) rethrows {
            var best = Double.infinity
            var peak = 0
            for _ in 0..<repeats {
                PeakMemory.reset()
                let t0 = BenchClock.now()
                try body()
                best = min(best, BenchClock.seconds(since: t0))
                peak = max(peak, PeakMemory.read())
            }
            rows.append(StageResult(name: name, seconds: best, peakBytes: peak))
        }
        var check = 0
        try measure("read (walk mapped file)") { check &+= Int(try Stages.read(mapped).packets) }
        try measure("read + decode") { check &+= try Stages.decode(mapped, decoder) }
        try measure("read + decode + classify") { check &+= try Stages.classify(mapped, decoder, catalog) }
        var single: AnalysisSnapshot?
        try measure("analyze (1 thread)") { single = try Stages.analyze(mapped, analyzerConfig, threads: 1) }
        var parallel: AnalysisSnapshot?
        if threads > 1 {
            try measure("analyze (\(threads) threads)") {
                parallel = try Stages.analyze(mapped, analyzerConfig, threads: threads)
            }
        }
        BenchOutput.blackHole(check)

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
            print("")
            print("flows: \(single.flows.count); packets accounted: \(single.accounting.total.packets)")
            if let parallel {
                let same = Stages.sameResults(single, parallel)
                print("\(threads) threads: results " + (same ? "identical to 1 thread" : "DIFFER from 1 thread"))
                if let one = rows.first(where: { $0.name == "analyze (1 thread)" }), let n = rows.last {
                    print("\(threads) threads: speed-up " + BenchOutput.fixed(one.seconds / n.seconds, 2) + "×")
                }
            }
        }
    }
}

struct StageResult {
    var name: String
    var seconds: Double
    var peakBytes: Int
}

struct Totals {
    var packets: UInt64 = 0
    var wireBytes: UInt64 = 0
}

/// The measured loops. Each walks the whole mapping with its own reader.
enum Stages {
    static func read(_ file: MappedFile) throws -> Totals {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var t = Totals()
        while let bytes = try reader.next(&record) {
            t.packets &+= 1
            t.wireBytes &+= UInt64(record.originalLength)
            BenchOutput.blackHole(bytes.count)
        }
        return t
    }

    static func decode(_ file: MappedFile, _ decoder: PacketDecoder) throws -> Int {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var summary = PacketSummary()
        var ported = 0
        while let bytes = try reader.next(&record) {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            if summary.inner.hasPorts { ported &+= 1 }
        }
        return ported
    }

    /// Decode, then look both ports up in the compiled catalog (what classification costs per
    /// packet when the server side is not yet known).
    static func classify(_ file: MappedFile, _ decoder: PacketDecoder, _ catalog: CompiledCatalog) throws -> Int {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var summary = PacketSummary()
        var hits = 0
        while let bytes = try reader.next(&record) {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            let ip = summary.inner
            guard ip.hasPorts, let t = Transport(ip.proto) else { continue }
            hits &+= catalog.candidates(t, ip.destinationPort).count
            hits &+= catalog.candidates(t, ip.sourcePort).count
        }
        return hits
    }

    static func analyze(_ file: MappedFile, _ config: AnalyzerConfiguration, threads: Int) throws -> AnalysisSnapshot {
        if threads == 1 {
            var analyzer = FlowAnalyzer(configuration: config)
            let source = analyzer.addSource(name: file.path)
            var reader = try CaptureReader(file: file, sourceIndex: source)
            var record = CaptureRecord()
            while let bytes = try reader.next(&record) {
                analyzer.process(record, bytes)
            }
            return analyzer.snapshot()
        }
        return try ParallelAnalysis.run(file, config, threads: threads)
    }

    /// Same flows (in first-frame order) and the same accounting.
    static func sameResults(_ a: AnalysisSnapshot, _ b: AnalysisSnapshot) -> Bool {
        func sorted(_ s: AnalysisSnapshot) -> [FlowRecord] {
            s.flows.sorted { $0.firstFrame < $1.firstFrame }
        }
        return sorted(a) == sorted(b) && a.accounting.normalized() == b.accounting.normalized()
            && a.hosts == b.hosts && a.outbound == b.outbound && a.sources == b.sources
    }
}

/// `--threads N`: every thread maps and walks the whole file, but gives its analyzer only the
/// packets that map to it, so each flow sees all its packets, in order, on one thread; the
/// snapshots are then merged.
///
/// A TCP packet outside any tunnel maps by a direction-independent hash of its 5-tuple; every
/// other packet by a hash of its outer address pair (as RSS does in its 2-tuple mode), so a
/// tunnel's carrier flows (whose two directions often differ in UDP source port) and the inner
/// flows they carry stay together, and UDP never needs to know which ports are tunnels. An ICMP
/// error maps by the header it quotes (5-tuple for TCP, else addresses), so it meets its flow;
/// frames without IP go to thread 0. A peek at the bytes decides for plain Ethernet/VLAN +
/// IPv4/IPv6 frames carrying TCP, UDP, GRE or IP-in-IP, so only the owner decodes them; other
/// frames are decoded by every thread. Limit: an inner flow whose packets cross different
/// tunnel endpoint pairs is split.
enum ParallelAnalysis {
    /// The owner hash of a decoded packet; nil for frames without IP.
    @inline(__always)
    static func flowHash(_ s: inout PacketSummary) -> UInt64? {
        let o = s.outer
        if o.version == 0 { return nil }
        if s.tunnelDepth > 0 { return endpoints(o.source, o.destination) }
        if s.quoted.version != 0 {
            let q = s.quoted
            if q.proto == .tcp && q.hasPorts {
                return tuple(q.source, q.sourcePort, q.destination, q.destinationPort)
            }
            return endpoints(q.source, q.destination)
        }
        if o.proto == .tcp && o.hasPorts { return tuple(o.source, o.sourcePort, o.destination, o.destinationPort) }
        return endpoints(o.source, o.destination)
    }

    /// The owner hash read straight from the bytes, or nil when the decoder must decide (other
    /// link types, MPLS/PPPoE, ICMP, IPv6 extension headers, TCP fragments or short headers).
    /// Equal to `flowHash` of the decoded summary for every frame it answers.
    @inline(__always)
    static func peek(_ b: UnsafeRawBufferPointer, _ linkType: LinkType) -> UInt64? {
        guard linkType == .ethernet, b.count >= 14 else { return nil }
        // Every load below is at an offset checked against b.count just before it.
        var off = 12
        var et = b.be16(off)
        var tags = 0
        while et == 0x8100 || et == 0x88A8 || et == 0x9100 {
            tags += 1
            guard tags <= 4, off + 6 <= b.count else { return nil }
            off += 4
            et = b.be16(off)
        }
        off += 2
        if et == 0x0800 {
            guard off + 20 <= b.count, b[off] >> 4 == 4 else { return nil }
            let ihl = Int(b[off] & 0x0F) * 4
            let proto = b[off + 9]
            guard ihl >= 20 else { return nil }
            let src = IPAddress(v4: b.be32(off + 12)), dst = IPAddress(v4: b.be32(off + 16))
            if proto == 6 {
                // Unfragmented or first fragment, a whole TCP header inside the stated length.
                let total = Int(b.be16(off + 2))
                guard b.be16(off + 6) & 0x1FFF == 0, total >= ihl + 20, off + ihl + 20 <= b.count else { return nil }
                return tuple(src, b.be16(off + ihl), dst, b.be16(off + ihl + 2))
            }
            return plain(proto) ? endpoints(src, dst) : nil
        }
        if et == 0x86DD {
            guard off + 40 <= b.count, b[off] >> 4 == 6 else { return nil }
            let next = b[off + 6]
            let src = IPAddress(high: b.be64(off + 8), low: b.be64(off + 16))
            let dst = IPAddress(high: b.be64(off + 24), low: b.be64(off + 32))
            if next == 6 {
                guard Int(b.be16(off + 4)) >= 20, off + 60 <= b.count else { return nil }
                return tuple(src, b.be16(off + 40), dst, b.be16(off + 42))
            }
            return plain(next) ? endpoints(src, dst) : nil
        }
        return nil
    }

    /// UDP, GRE, IPv4-in-IP, IPv6-in-IP: never an ICMP error at this layer, mapped by addresses.
    @inline(__always) static func plain(_ proto: UInt8) -> Bool {
        proto == 17 || proto == 47 || proto == 4 || proto == 41
    }

    @inline(__always)
    static func endpoints(_ a: IPAddress, _ b: IPAddress) -> UInt64 {
        // Sum of the two address hashes: the same whichever side sent the packet.
        mix(mix(a.high ^ mix(a.low)) &+ mix(b.high ^ mix(b.low)))
    }

    @inline(__always)
    static func tuple(_ a: IPAddress, _ ap: UInt16, _ b: IPAddress, _ bp: UInt16) -> UInt64 {
        mix(mix(a.high ^ mix(a.low ^ UInt64(ap) << 48)) &+ mix(b.high ^ mix(b.low ^ UInt64(bp) << 48)) ^ 6)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func run(_ file: MappedFile, _ config: AnalyzerConfiguration, threads: Int) throws -> AnalysisSnapshot {
        let results = UnsafeMutableBufferPointer<Result<AnalysisSnapshot, CaptureFileError>?>.allocate(capacity: threads)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: threads) { me in
            slots[me] = Result { () throws(CaptureFileError) -> AnalysisSnapshot in
                try part(file, config, me, threads)
            }
        }
        var parts: [AnalysisSnapshot] = []
        for r in results { parts.append(try r!.get()) }
        return AnalysisSnapshot.merging(parts)
    }

    static func part(_ file: MappedFile, _ config: AnalyzerConfiguration, _ me: Int, _ threads: Int)
        throws(CaptureFileError) -> AnalysisSnapshot {
        var analyzer = FlowAnalyzer(configuration: config)
        let source = analyzer.addSource(name: file.path)
        let decoder = PacketDecoder(options: config.decoderOptions)
        // Its own mapping of the file: readers release the pages behind them, and on a shared
        // mapping the thread ahead would release pages the other has yet to read.
        let own = file.isMapped ? try MappedFile(path: file.path) : file
        var reader = try CaptureReader(file: own, sourceIndex: source)
        var record = CaptureRecord()
        var summary = PacketSummary()
        let n = UInt64(threads)
        let mine = UInt64(me)
        while let bytes = try reader.next(&record) {
            if let h = peek(bytes, record.linkType) {
                if h % n == mine { analyzer.process(record, bytes) }
                continue
            }
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            let owner = flowHash(&summary).map { $0 % n } ?? 0
            if owner == mine { analyzer.process(record, summary: summary) }
        }
        return analyzer.snapshot()
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) fileprivate func be16(_ o: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) fileprivate func be32(_ o: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inline(__always) fileprivate func be64(_ o: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self))
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

/// Peak resident set size of this process (Linux VmHWM), reset between stages through
/// /proc/self/clear_refs ("5" resets the high-water mark, Linux ≥ 4.0).
enum PeakMemory {
    static func reset() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        if fd < 0 { return }
        _ = "5".withCString { Glibc.write(fd, $0, 1) }
        close(fd)
    }

    static func read() -> Int {
        let fd = open("/proc/self/status", O_RDONLY)
        if fd < 0 { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return 0 }
        let text = String(decoding: buf[0..<n], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}

enum BenchOutput {
    static func error(_ s: String) {
        let line = "portolan bench: \(s)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    @inline(never) static func blackHole<T>(_ x: T) {}

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
            print(line)
            if n == 0 { print(String(repeating: "-", count: line.count)) }
        }
    }
}

extension AnalysisSnapshot {
    /// Merges the snapshots of analyzers that saw disjoint sets of flows of the same sources
    /// (`--threads`): flows in first-frame order, accounting summed, host coverage and outbound
    /// status combined (an entry is exercised, a destination reached, if it was in any part).
    static func merging(_ parts: [AnalysisSnapshot]) -> AnalysisSnapshot {
        guard var out = parts.first else { return AnalysisSnapshot() }
        for p in parts.dropFirst() {
            for (i, s) in p.sources.enumerated() where i < out.sources.count {
                out.sources[i].packets += s.packets
                out.sources[i].bytes += s.bytes
                if out.sources[i].error == nil { out.sources[i].error = s.error }
            }
            out.accounting = out.accounting.adding(p.accounting)
            for (i, h) in p.hosts.enumerated() where i < out.hosts.count {
                let used = Set(out.hosts[i].exercised.map(\.entryID)).union(h.exercised.map(\.entryID))
                let all = (out.hosts[i].exercised + out.hosts[i].unexercised).sorted { $0.entryID < $1.entryID }
                out.hosts[i].exercised = all.filter { used.contains($0.entryID) }
                out.hosts[i].unexercised = all.filter { !used.contains($0.entryID) }
            }
            for (i, o) in p.outbound.enumerated() where i < out.outbound.count {
                out.outbound[i].attempts += o.attempts
                out.outbound[i].reached = out.outbound[i].reached || o.reached
            }
        }
        out.flows = mergeByFirstFrame(parts.map(\.flows))
        return out
    }
}

/// Merges flow lists each already in first-frame order (an analyzer of one source lists flows in
/// creation order) without sorting the records: the first frames are read once, the merge runs
/// on them, and each record is copied once into place.
func mergeByFirstFrame(_ lists: [[FlowRecord]]) -> [FlowRecord] {
    let frames = lists.map { l in l.withUnsafeBufferPointer { b in b.map { $0.firstFrame } } }
    for f in frames where zip(f, f.dropFirst()).contains(where: { $0 > $1 }) {
        return lists.flatMap { $0 }.sorted { $0.firstFrame < $1.firstFrame }
    }
    var out: [FlowRecord] = []
    out.reserveCapacity(frames.reduce(0) { $0 + $1.count })
    var next = [Int](repeating: 0, count: lists.count)
    while true {
        var best = -1
        var bestFrame = UInt64.max
        for k in 0..<frames.count where next[k] < frames[k].count && frames[k][next[k]] < bestFrame {
            best = k
            bestFrame = frames[k][next[k]]
        }
        if best < 0 { return out }
        out.append(lists[best][next[best]])
        next[best] += 1
    }
}

extension Accounting {
    func adding(_ b: Accounting) -> Accounting {
        var a = self
        a.total = a.total + b.total
        a.flows = a.flows + b.flows
        a.icmpMatched = a.icmpMatched + b.icmpMatched
        a.otherIP = a.otherIP + b.otherIP
        a.fragments = a.fragments + b.fragments
        a.icmpUnmatched = a.icmpUnmatched + b.icmpUnmatched
        a.nonIP = a.nonIP + b.nonIP
        a.undecodable = a.undecodable + b.undecodable
        a.truncated = a.truncated + b.truncated
        a.truncatedInFlows = a.truncatedInFlows + b.truncatedInFlows
        a.tunnelled = a.tunnelled + b.tunnelled
        a.evictedFlows += b.evictedFlows
        a.otherIPByProtocol = Self.merge(a.otherIPByProtocol, b.otherIPByProtocol, key: { $0.proto.rawValue },
                                         sortKey: { $0.proto.rawValue }) { ($0.proto, $0.tally + $1.tally) }
        a.nonIPByEtherType = Self.merge(a.nonIPByEtherType, b.nonIPByEtherType, key: { $0.etherType.rawValue },
                                        sortKey: { $0.etherType.rawValue }) { ($0.etherType, $0.tally + $1.tally) }
        a.undecodableBy = Self.merge(a.undecodableBy, b.undecodableBy,
                                     key: { UInt16($0.layer.rawValue) << 8 | UInt16($0.reason.rawValue) },
                                     sortKey: { UInt16($0.layer.rawValue) << 8 | UInt16($0.reason.rawValue) }) {
            ($0.layer, $0.reason, $0.tally + $1.tally)
        }
        return a
    }

    /// Sums keyed tallies; keeps the order of `a`, then new keys of `b`.
    static func merge<T, K: Hashable, S: Comparable>(
        _ a: [T], _ b: [T], key: (T) -> K, sortKey: (T) -> S, combine: (T, T) -> T
    ) -> [T] {
        var out = a
        var index: [K: Int] = [:]
        for (i, x) in out.enumerated() { index[key(x)] = i }
        for x in b {
            if let i = index[key(x)] { out[i] = combine(out[i], x) } else {
                index[key(x)] = out.count
                out.append(x)
            }
        }
        return out.sorted { sortKey($0) < sortKey($1) }
    }

    /// The keyed lists in key order (a merge cannot know first-seen order).
    func normalized() -> Accounting {
        var a = self
        a.otherIPByProtocol.sort { $0.proto.rawValue < $1.proto.rawValue }
        a.nonIPByEtherType.sort { $0.etherType.rawValue < $1.etherType.rawValue }
        a.undecodableBy.sort { ($0.layer.rawValue, $0.reason.rawValue) < ($1.layer.rawValue, $1.reason.rawValue) }
        return a
    }
}
