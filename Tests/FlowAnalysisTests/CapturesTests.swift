import CaptureFile
import Foundation
import FlowAnalysis
import PacketWire
import PortCatalog
import Testing
import TestSupport

let capturesDir = repositoryRoot + "/Captures"

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }


func readText(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

/// Reads every packet of `paths` (one source each) into an analyzer.
func analyze(_ paths: [String], configuration: AnalyzerConfiguration) -> (FlowAnalyzer, [UInt64], [CaptureFileError?]) {
    var a = FlowAnalyzer(configuration: configuration)
    var counts: [UInt64] = []
    var errors: [CaptureFileError?] = []
    for path in paths {
        let index = a.addSource(name: path)
        var n: UInt64 = 0
        var error: CaptureFileError? = nil
        do {
            var reader = try CaptureReader(path: path, sourceIndex: index)
            var record = CaptureRecord()
            while let bytes = try reader.next(&record) {
                a.process(record, bytes)
                n += 1
            }
        } catch let e {
            error = e
            a.noteSourceError(index, e.description)
        }
        counts.append(n)
        errors.append(error)
    }
    return (a, counts, errors)
}

struct ExpectedFlow {
    var fields: [String: String]
    subscript(_ k: String) -> String { fields[k] ?? "" }
}

func readExpected(_ path: String) -> [ExpectedFlow] {
    guard let text = readText(path) else { return [] }
    let lines = text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) else { return [] }
    return lines.dropFirst().map { line in
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        var d: [String: String] = [:]
        for (i, h) in header.enumerated() where i < cols.count { d[h] = cols[i] }
        return ExpectedFlow(fields: d)
    }
}

/// Compares a snapshot with an expected file; returns one line per disagreement.
func compare(_ snapshot: AnalysisSnapshot, _ expected: [ExpectedFlow], carriersAllowed: Bool) -> [String] {
    var problems: [String] = []
    var used = Set<Int>()
    for e in expected {
        let matches = snapshot.flows.indices.filter { i in
            let f = snapshot.flows[i]
            if let v = e.fields["vlan"], v != (f.vlans.isEmpty ? "-" : f.vlans.map(String.init).joined(separator: ".")) {
                return false
            }
            return f.proto.name == e["proto"] && f.client.text(version: f.ipVersion) == e["client"]
                && String(f.clientPort) == e["client_port"] && f.server.text(version: f.ipVersion) == e["server"]
                && String(f.serverPort) == e["server_port"]
        }
        let label = "\(e["proto"]) \(e["client"]):\(e["client_port"]) → \(e["server"]):\(e["server_port"])"
        // Several connections on one 5-tuple (reused ports): the expected rows in order, one each.
        let rows = expected.filter { x in
            ["proto", "client", "client_port", "server", "server_port", "vlan"].allSatisfy { x.fields[$0] == e.fields[$0] }
        }.count
        guard matches.count == rows, let i = matches.first(where: { !used.contains($0) }) else {
            problems.append("\(label): \(matches.count) matching flows")
            continue
        }
        used.insert(i)
        let f = snapshot.flows[i]
        let got: [String: String] = [
            "component": f.component ?? "-", "verdict": f.verdict.rawValue,
            "verdicts": f.verdicts.map(\.rawValue).joined(separator: ","), "direction": f.direction.rawValue,
            "state": f.state.rawValue, "client_packets": String(f.clientPackets),
            "server_packets": String(f.serverPackets), "client_bytes": String(f.clientBytes),
            "server_bytes": String(f.serverBytes),
        ]
        for (k, v) in got.sorted(by: { $0.key < $1.key }) where e.fields[k] != nil && e[k] != v {
            problems.append("\(label): \(k) is \(v), expected \(e[k])")
        }
    }
    for (i, f) in snapshot.flows.enumerated() where !used.contains(i) && (f.proto == .tcp || f.proto == .udp) {
        if carriersAllowed && f.carries != .none { continue }
        problems.append("extra flow \(f.proto.name) \(f.client.text(version: f.ipVersion)):\(f.clientPort) → "
                        + "\(f.server.text(version: f.ipVersion)):\(f.serverPort)")
    }
    return problems
}

/// The capture file for an expected file NAME(.outer).expected.tsv: NAME.pcap or NAME.pcapng.
func captureFor(_ name: String) -> String? {
    for ext in ["pcap", "pcapng", "pcap.gz", "pcapng.gz"] where fileExists("\(capturesDir)/\(name).\(ext)") {
        return "\(capturesDir)/\(name).\(ext)"
    }
    return nil
}

/// Compiled once for all tests (parsing the built-in YAML is the slow part).
let builtInCatalog: CompiledCatalog? = try? CompiledCatalog.builtIn()

/// `NAME.expected.tsv`, `NAME.outer.expected.tsv` (no decapsulation) and `NAME.by-vlan.tsv` (an
/// extra `vlan` column: the tag stack, outer first, `-` untagged).
let expectedFiles = fileNames(in: capturesDir).filter { $0.hasSuffix(".expected.tsv") || $0.hasSuffix(".by-vlan.tsv") }
    + issue11Expected

/// Issue 11's captures whose cases the analyzer handles, checked where make-captures.sh put them.
let issue11Expected = ["reused-tuple", "oneway-in", "oneway-out", "retransmit", "zero-window", "gap"].map { "issue11/\($0).expected.tsv" }.filter { fileExists("\(capturesDir)/\($0)") }

@Suite struct CapturesTests {
    @Test(.enabled(if: !expectedFiles.isEmpty), arguments: expectedFiles)
    func everyFlowMatchesTheExpectedFile(_ file: String) throws {
        var name = String(file.dropLast(file.hasSuffix(".by-vlan.tsv") ? ".by-vlan.tsv".count : ".expected.tsv".count))
        let outer = name.hasSuffix(".outer")
        if outer { name = String(name.dropLast(".outer".count)) }
        let capture = try #require(captureFor(name), "no capture for \(file)")
        let catalog = try #require(builtInCatalog)
        let inventory = try Inventory.load(path: "\(capturesDir)/\(name).inventory.yaml", catalog: catalog)
        var config = AnalyzerConfiguration(catalog: catalog, inventory: inventory)
        config.tunnels = !outer
        let (a, counts, errors) = analyze([capture], configuration: config)
        #expect(errors == [nil])
        let snapshot = a.snapshot()
        #expect(snapshot.accounting.isBalanced)
        #expect(snapshot.accounting.total.packets == counts[0])
        let expected = readExpected("\(capturesDir)/\(file)")
        #expect(!expected.isEmpty)
        let problems = compare(snapshot, expected, carriersAllowed: !outer)
        #expect(problems.isEmpty, Comment(rawValue: "\(file):\n" + problems.joined(separator: "\n")))
    }
}

/// Issue 11's rotated captures: `issue11/NAME.expected.tsv` for the pieces `issue11/NAME-NN.*`
/// (each node's capture cut into consecutive files), read in name order as one source.
let rotatedExpected = fileNames(in: capturesDir + "/issue11") { $0.hasPrefix("rotated-") && $0.hasSuffix(".expected.tsv") }

/// Reads `pieces` in order into one source, frames numbered on across them (as `analyze` reads
/// consecutive pieces of one capture).
func analyzePieces(_ pieces: [String], configuration: AnalyzerConfiguration) -> (FlowAnalyzer, UInt64, [CaptureFileError?]) {
    var a = FlowAnalyzer(configuration: configuration)
    let index = a.addSource(name: pieces.first ?? "")
    var frames: UInt64 = 0
    var errors: [CaptureFileError?] = []
    for path in pieces {
        do {
            var reader = try CaptureReader(path: path, sourceIndex: index)
            reader.seek(toRecordAt: Int(reader.offset), packetsBefore: frames)
            var record = CaptureRecord()
            while let bytes = try reader.next(&record) {
                a.process(record, bytes)
            }
            frames = reader.packetCount
            errors.append(nil)
        } catch let e {
            errors.append(e)
        }
    }
    return (a, frames, errors)
}

@Suite struct RotatedCapturesTests {
    @Test(.enabled(if: !rotatedExpected.isEmpty), arguments: rotatedExpected)
    func piecesReadAsOneStreamMatchTheExpectedFile(_ file: String) throws {
        let name = String(file.dropLast(".expected.tsv".count))
        let dir = capturesDir + "/issue11"
        let pieces = fileNames(in: dir) { $0.hasPrefix(name + "-") && ($0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng")) }
            .map { dir + "/" + $0 }
        #expect(pieces.count > 1)
        let catalog = try #require(builtInCatalog)
        let inventory = try Inventory.load(path: "\(dir)/\(name).inventory.yaml", catalog: catalog)
        let (a, frames, errors) = analyzePieces(pieces, configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory))
        #expect(errors.allSatisfy { $0 == nil })
        let snapshot = a.snapshot()
        #expect(snapshot.accounting.isBalanced)
        #expect(snapshot.accounting.total.packets == frames)
        let expected = readExpected("\(dir)/\(file)")
        #expect(!expected.isEmpty)
        let problems = compare(snapshot, expected, carriersAllowed: true)
        #expect(problems.isEmpty, Comment(rawValue: "\(file):\n" + problems.joined(separator: "\n")))
    }
}

let corpusFiles = corpusCaptures()

@Suite struct CorpusAccountingTests {
    /// DESIGN contract 1 on every corpus file: every packet read lands in exactly one bucket.
    @Test(.enabled(if: !corpusFiles.isEmpty), arguments: corpusFiles)
    func accountingBalances(_ file: String) throws {
        let catalog = try #require(builtInCatalog)
        let (a, counts, _) = analyze(["\(corpusDirectory)/\(file)"], configuration: AnalyzerConfiguration(catalog: catalog))
        let s = a.snapshot()
        let acc = s.accounting
        #expect(acc.total.packets == counts[0])
        #expect(acc.isBalanced, Comment(rawValue: "\(file): \(acc.parts) != \(acc.total)"))
        #expect(s.sources[0].packets == counts[0])
        // The flows' counts are what the accounting put in flows and matched ICMP errors, plus the
        // tunnelled packets that count in two flows.
        let inFlows = s.flows.reduce(UInt64(0)) { $0 + $1.clientPackets + $1.serverPackets }
        #expect(inFlows == acc.flows.packets + acc.icmpMatched.packets + acc.tunnelled.packets)
        let bytes = s.flows.reduce(UInt64(0)) { $0 + $1.clientBytes + $1.serverBytes }
        #expect(bytes == acc.flows.bytes + acc.icmpMatched.bytes + acc.tunnelled.bytes)
    }
}

@Suite struct VLANKeyTests {
    /// One 5-tuple on VLAN 100 and on QinQ 300/100: two flows with VLANs in the key; without, the
    /// same two connections one after the other on one key (the second SYN after the first's
    /// close starts a new connection), with the same counts.
    @Test(.enabled(if: fileExists(capturesDir + "/vlan-same-tuple.pcap")))
    func sameTupleOnTwoVLANs() throws {
        let catalog = try #require(builtInCatalog)
        let path = capturesDir + "/vlan-same-tuple.pcap"
        let inventory = try Inventory.load(path: capturesDir + "/vlan-same-tuple.inventory.yaml", catalog: catalog)
        let keyed = analyze([path], configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory)).0.snapshot()
        let merged = analyze([path], configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory,
                                                                         vlanInKey: false)).0.snapshot()
        #expect(keyed.flows.map(\.vlans) == [[100], [300, 100]])
        #expect(merged.flows.count == 2)
        #expect(merged.flows.allSatisfy { $0.vlans.isEmpty && $0.component == "Mesos Master" && $0.state == .SF })
        #expect(merged.flows.map(\.clientPackets) == keyed.flows.map(\.clientPackets))
        #expect(merged.flows.map(\.serverBytes) == keyed.flows.map(\.serverBytes))
        #expect(Set(merged.flows.map(\.uid)).count == 2)
    }
}

@Suite struct VantagePointTests {
    /// The same capture given twice (two vantage points that saw the same packets): the same flows,
    /// each listing both files, with the counts of one file (not summed).
    @Test(.enabled(if: fileExists(capturesDir + "/dcos-cluster.pcap")))
    func aCaptureTwiceIsTheSameFlowsSeenByTwoFiles() throws {
        let catalog = try #require(builtInCatalog)
        let path = capturesDir + "/dcos-cluster.pcap"
        let inventory = try Inventory.load(path: capturesDir + "/dcos-cluster.inventory.yaml", catalog: catalog)
        let config = AnalyzerConfiguration(catalog: catalog, inventory: inventory)
        let one = analyze([path], configuration: config).0.snapshot()
        let two = analyze([path, path], configuration: config).0.snapshot()
        #expect(two.flows.count == one.flows.count)
        for (a, b) in zip(one.flows, two.flows) {
            #expect(b.sources == [0, 1])
            #expect(a.clientPackets == b.clientPackets && a.serverPackets == b.serverPackets)
            #expect(a.clientBytes == b.clientBytes && a.serverBytes == b.serverBytes)
            #expect(a.verdicts == b.verdicts && a.state == b.state && a.history == b.history)
            #expect(b.evidenceSource == 0)
        }
        #expect(two.accounting.total.packets == 2 * one.accounting.total.packets)
        #expect(two.accounting.isBalanced)
        #expect(two.sources.map(\.packets) == [one.accounting.total.packets, one.accounting.total.packets])
    }

    /// A client-side capture and a server-side capture of different parts: the flow takes the view
    /// with more packets, and lists both files.
    @Test(.enabled(if: fileExists(capturesDir + "/blocked.pcap")))
    func blockedCaptureMergedWithDcosCapture() throws {
        let catalog = try #require(builtInCatalog)
        let config = AnalyzerConfiguration(catalog: catalog)
        let s = analyze([capturesDir + "/blocked.pcap", capturesDir + "/dcos-cluster.pcap"], configuration: config).0.snapshot()
        let a = analyze([capturesDir + "/blocked.pcap"], configuration: config).0.snapshot()
        let b = analyze([capturesDir + "/dcos-cluster.pcap"], configuration: config).0.snapshot()
        // Ephemeral ports differ between the captures: no flow is shared, nothing is lost.
        #expect(s.flows.count == a.flows.count + b.flows.count)
        #expect(s.accounting.total == a.accounting.total + b.accounting.total)
        #expect(s.flows.allSatisfy { $0.sources.count == 1 })
    }
}

@Suite struct MutationTests {
    /// Seeded mutation of every corpus frame (bytes flipped, frames cut short): the analyzer never
    /// traps, and the accounting still balances.
    @Test(.enabled(if: !corpusFiles.isEmpty))
    func mutatedFramesKeepTheAccountingBalanced() throws {
        let catalog = try #require(builtInCatalog)
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: catalog, maxFlows: 5_000))
        var rng = SplitMix(seed: 0x5EED)
        var fed: UInt64 = 0
        for (i, file) in corpusFiles.enumerated() {
            let index = a.addSource(name: file)
            guard var reader = try? CaptureReader(path: "\(corpusDirectory)/\(file)", sourceIndex: index) else { continue }
            var record = CaptureRecord()
            while let bytes = try? reader.next(&record) {
                var copy = [UInt8](bytes)
                for round in 0..<4 {
                    var m = copy
                    if !m.isEmpty {
                        for _ in 0..<(1 + Int(rng.next() % 4)) {
                            m[Int(rng.next() % UInt64(m.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                        }
                        if round == 3 { m.removeLast(Int(rng.next() % UInt64(m.count))) }
                    }
                    var r = record
                    r.capturedLength = UInt32(m.count)
                    m.withUnsafeBytes { a.process(r, $0) }
                    fed += 1
                }
                copy.removeAll()
            }
            if i % 16 == 0 { _ = a.expire(nowNanos: .max) }
        }
        let s = a.snapshot()
        #expect(s.accounting.total.packets == fed)
        #expect(s.accounting.isBalanced)
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct CompressedInputTests {
    /// A gzip- or zstd-compressed capture gives the same flows as the plain one.
    @Test(.enabled(if: fileExists(capturesDir + "/dcos-cluster.pcap")), arguments: ["gzip", "zstd"])
    func compressedCaptureGivesTheSameFlows(_ tool: String) throws {
        let path = "/usr/bin/\(tool)"
        guard FileManager.default.isExecutableFile(atPath: path) else { return }
        let src = capturesDir + "/dcos-cluster.pcap"
        let dst = NSTemporaryDirectory() + "portolan-flow-\(getpid()).pcap.\(tool == "gzip" ? "gz" : "zst")"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-c", "-q", src]
        FileManager.default.createFile(atPath: dst, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dst))
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        try out.close()
        defer { try? FileManager.default.removeItem(atPath: dst) }
        #expect(p.terminationStatus == 0)
        let catalog = try #require(builtInCatalog)
        let config = AnalyzerConfiguration(catalog: catalog)
        let plain = analyze([src], configuration: config).0.snapshot()
        let (a, _, errors) = analyze([dst], configuration: config)
        #expect(errors == [nil])
        let packed = a.snapshot()
        #expect(packed.flows.count == plain.flows.count)
        #expect(packed.flows.map(\.clientBytes) == plain.flows.map(\.clientBytes))
        #expect(packed.accounting == plain.accounting)
    }
}
