import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import Pipeline
import PortCatalog
import Reports
import Testing
import TestSupport

// Several files: consecutive pieces of one capture (read as one stream) vs vantage points, on the
// rotated captures of two nodes (Captures/issue11/rotated-*) and on dcos-cluster.pcap cut into pieces.

private let issue11 = repositoryRoot + "/Captures/issue11"
private let m1 = fileNames(in: issue11) { $0.hasPrefix("rotated-m1-") && $0.hasSuffix(".pcapng") }.map { issue11 + "/" + $0 }
private let m2 = fileNames(in: issue11) { $0.hasPrefix("rotated-m2-") && $0.hasSuffix(".pcap") }.map { issue11 + "/" + $0 }
private let dcos = repositoryRoot + "/Captures/dcos-cluster.pcap"
private let catalog = Result { () throws(CatalogError) in try CompiledCatalog.builtIn() }

private func configuration(_ inventory: String?) throws -> AnalyzerConfiguration {
    let c = try catalog.get()
    let inv = try inventory.map { p throws(CatalogError) in try Inventory.load(path: p, catalog: c) } ?? Inventory()
    return AnalyzerConfiguration(catalog: c, inventory: inv)
}

private func read(_ groups: [[String]], threads: Int = 1, inventory: String? = nil) throws -> (FlowAnalyzer, [String?]) {
    var progress = Progress(enabled: false)
    return CaptureRead.groups(groups, configuration: try configuration(inventory), threads: threads, minimumRange: 1,
                              progress: &progress)
}

private func json(_ a: FlowAnalyzer) -> String {
    var text = ""
    _ = writeReport(a, format: .json, to: &text)
    return text
}

/// The flows' identity and counts, without file names and frame numbers, sorted.
private func flowLines(_ s: AnalysisSnapshot) -> [String] {
    s.flows.map { f in
        "\(f.proto.name) \(f.client.text(version: f.ipVersion)):\(f.clientPort) \(f.server.text(version: f.ipVersion)):\(f.serverPort) "
            + "\(f.component ?? "-") \(f.verdicts.map(\.rawValue)) \(f.state.rawValue) \(f.history) \(f.direction.rawValue) "
            + "\(f.clientPackets)/\(f.serverPackets) \(f.clientBytes)/\(f.serverBytes)"
    }.sorted()
}

/// The expected file's rows in the same form (proto, endpoints, component, verdicts, state,
/// direction, per-direction packets and bytes).
private func expectedLines(_ path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    let header = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    return lines.dropFirst().map { line in
        let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        var d: [String: String] = [:]
        for (i, h) in header.enumerated() where i < c.count { d[h] = c[i] }
        return "\(d["proto"]!) \(d["client"]!):\(d["client_port"]!) \(d["server"]!):\(d["server_port"]!) \(d["component"]!) "
            + "\(d["verdicts"]!.split(separator: ",").map(String.init)) \(d["state"]!) \(d["direction"]!) "
            + "\(d["client_packets"]!)/\(d["server_packets"]!) \(d["client_bytes"]!)/\(d["server_bytes"]!)"
    }.sorted()
}

/// Drops the history (the expected files do not have it) from `flowLines`.
private func withoutHistory(_ lines: [String]) -> [String] {
    lines.map { l in
        var parts = l.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        // proto, client, server, component…, verdicts…, state, history, direction, packets, bytes: history is 5th from the end.
        parts.remove(at: parts.count - 4)
        return parts.joined(separator: " ")
    }.sorted()
}

/// dcos-cluster.pcap cut into pieces of `per` packets by the project's writer, in `dir`.
private func cut(_ path: String, per: Int, into dir: String) throws -> [String] {
    var reader = try CaptureReader(path: path)
    var record = CaptureRecord()
    var out: [String] = []
    var writer: PcapWriter? = nil
    var n = 0
    while let bytes = try reader.next(&record) {
        if n % per == 0 {
            try writer?.close()
            let name = dir + "/piece-" + String(format: "%02d", out.count) + ".pcap"
            writer = try PcapWriter(path: name, linkType: record.linkType, snaplen: reader.snapshotLength)
            out.append(name)
        }
        try writer!.write(record, bytes)
        n += 1
    }
    try writer?.close()
    return out
}

private func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-pieces-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite(.enabled(if: m1.count == 6 && m2.count == 7, "the rotated captures of Captures/issue11"))
struct PiecesTests {
    /// Each node's pieces, read as one stream, give exactly the flows its expected file lists.
    @Test(arguments: ["m1", "m2"])
    func aNodesPiecesAreOneStream(_ node: String) throws {
        let pieces = node == "m1" ? m1 : m2
        let groups = try Pieces.group(Pieces.scan(pieces), mode: .auto)
        #expect(groups.map(\.paths) == [pieces])
        #expect(groups[0].why == .pieces)
        let (a, errors) = try read(groups.map(\.paths), inventory: "\(issue11)/rotated-\(node).inventory.yaml")
        #expect(errors.allSatisfy { $0 == nil })
        let s = a.snapshot()
        #expect(s.accounting.isBalanced)
        #expect(withoutHistory(flowLines(s)) == (try expectedLines("\(issue11)/rotated-\(node).expected.tsv")))
        // The long session has frames in several pieces: its files are those pieces, its SYN in the first.
        let long = try #require(s.flows.first { $0.serverPort == 2181 })
        let files = SourceFiles(s.sources)
        #expect(s.sources.count == 1 && s.sources[0].pieces.map(\.name) == pieces)
        #expect(s.sources[0].pieces.reduce(0) { $0 + $1.packets } == s.accounting.total.packets)
        let line = renderFlow(long, format: .jsonl, sources: files)
        #expect(line.contains("\"evidence_file\":\"\(pieces[node == "m1" ? 0 : 1])\""), "\(line)")
        #expect(long.state == .SF)
    }

    /// Both nodes' pieces, shuffled on the command line: two groups of pieces, each in time order
    /// (the empty first piece of master-2 joins its own node by name).
    @Test func twoNodesShuffledAreTwoGroups() throws {
        var all = m1 + m2
        var g = SystemRandomNumberGenerator()
        all.shuffle(using: &g)
        let groups = try Pieces.group(Pieces.scan(all), mode: .auto)
        #expect(Set(groups.map(\.paths)) == Set([m1, m2]))
        #expect(groups.allSatisfy { $0.why == .pieces })
        let lines = Pieces.describe(groups)
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("consecutive pieces of one capture") })
        // Read together: the long session is one flow seen by both nodes, counted as one node saw it.
        let (a, errors) = try read(groups.map(\.paths))
        #expect(errors.allSatisfy { $0 == nil })
        let s = a.snapshot()
        let long = try #require(s.flows.first { $0.serverPort == 2181 })
        #expect(long.sources == [0, 1])
        #expect(long.clientPackets == 32 && long.serverPackets == 17)
        // Sources then list every file, with its group.
        var text = ""
        _ = writeReport(a, format: .json, to: &text)
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let sources = report["sources"] as! [[String: Any]]
        #expect(sources.count == 13)
        #expect(Set(sources.map { $0["group"] as! Int }) == [1, 2])
    }

    /// `--vantage-points`: every file alone; `--group GLOB`: the matching files one capture.
    @Test func overrides() throws {
        let scans = Pieces.scan(m1 + m2)
        #expect(try Pieces.group(scans, mode: .vantagePoints).map(\.paths) == (m1 + m2).map { [$0] })
        let given = try Pieces.group(scans, mode: .vantagePoints, given: ["rotated-m2-*"])
        #expect(given.count == 7 && given.contains { $0.paths == m2 && $0.why == .given })
        #expect(try Pieces.group(Pieces.scan(m1), mode: .sameCapture).map(\.paths) == [m1])
    }

    /// Overlapping pieces claimed as one capture: an error naming both files and their times.
    @Test func overlapClaimedAsOneCaptureIsAnError() throws {
        let scans = Pieces.scan([m1[1], m2[2]])
        #expect(throws: Pieces.OverlapError.self) { try Pieces.group(scans, mode: .sameCapture) }
        do {
            _ = try Pieces.group(scans, mode: .sameCapture)
        } catch {
            let text = error.description
            #expect(text.contains(m1[1]) && text.contains(m2[2]) && text.contains("overlap"), "\(text)")
            #expect(text.contains("2026-12-07 05:36:14"), "\(text)")
        }
        // Decided from the files, they are two vantage points.
        #expect(try Pieces.group(scans, mode: .auto).count == 2)
    }

    /// Both nodes at once: `--threads 2` (every piece cut into byte ranges) gives the same report.
    @Test func threadsGiveTheSameReport() throws {
        let groups = try Pieces.group(Pieces.scan(m2 + m1), mode: .auto).map(\.paths)
        let one = json(try read(groups, threads: 1).0)
        #expect(one == json(try read(groups, threads: 2).0))
        #expect(one == json(try read(groups, threads: 3).0))
    }
}

@Suite(.enabled(if: FileManager.default.fileExists(atPath: dcos)))
struct CutCaptureTests {
    /// dcos-cluster.pcap cut into pieces of 30 packets (as `editcap -c 30`): the pieces read as one
    /// stream give the whole file's flows and counts (169 packets in flows), and every frame
    /// named by a piece and its own number is the whole file's frame.
    @Test func piecesGiveTheWholeFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pieces = try cut(dcos, per: 30, into: dir)
        #expect(pieces.count == 7)
        try check(pieces: pieces)
    }

    /// The same with editcap's pieces, when Wireshark's editcap is installed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/editcap"), "editcap not installed"))
    func editcapPiecesGiveTheWholeFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/editcap")
        p.arguments = ["-c", "30", dcos, dir + "/piece.pcap"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let pieces = fileNames(in: dir) { $0.hasSuffix(".pcap") }.map { dir + "/" + $0 }
        #expect(pieces.count == 7)
        try check(pieces: pieces)
    }

    func check(pieces: [String]) throws {
        let inventory = repositoryRoot + "/Captures/dcos-cluster.inventory.yaml"
        // Given in reverse: the order comes from the files' times.
        let groups = try Pieces.group(Pieces.scan(pieces.reversed()), mode: .auto)
        #expect(groups.map(\.paths) == [pieces])
        let (a, errors) = try read(groups.map(\.paths), inventory: inventory)
        #expect(errors.allSatisfy { $0 == nil })
        let whole = try read([[dcos]], inventory: inventory).0.snapshot()
        let s = a.snapshot()
        #expect(flowLines(s) == flowLines(whole))
        #expect(s.flows.reduce(0) { $0 + $1.packets } == 169)
        #expect(s.accounting == whole.accounting)
        // Frames: the piece and its own number point at the whole file's frame.
        let src = s.sources[0]
        for (f, w) in zip(s.flows, whole.flows) {
            #expect(f.firstFrame == w.firstFrame && f.evidence == w.evidence)
            let (p, n) = src.locate(f.firstFrame)
            #expect(p.map { UInt64($0) * 30 + n } == w.firstFrame)
        }
        // The old behaviour (every piece a vantage point) loses packets: why pieces matter.
        let apart = try read(pieces.map { [$0] }, inventory: inventory).0.snapshot()
        #expect(apart.flows.reduce(0) { $0 + $1.packets } < 169)
        // --threads on the pieces: the same report.
        #expect(json(a) == json(try read(groups.map(\.paths), threads: 2, inventory: inventory).0))
        // Evidence frames in two pieces: each named with its own file and number.
        var f = s.flows[0]
        f.evidence = [VerdictEvidence(verdict: .blockedDrop, frames: [29, 31])]
        let line = renderFlow(f, format: .jsonl, sources: SourceFiles(s.sources))
        #expect(line.contains("\"frames\":[29,1],\"files\":[\"\(pieces[0])\",\"\(pieces[1])\"]"), "\(line)")
        #expect(renderFlow(f, format: .csv, sources: SourceFiles(s.sources)).contains("blocked-drop:29@\(pieces[0]) 1@\(pieces[1])"))
    }

    /// Frame numbers across pieces, an empty piece among them.
    @Test func locateSkipsEmptyPieces() {
        let s = SourceInfo(name: "a", packets: 5, pieces: [
            SourcePiece(name: "a", framesBefore: 0, packets: 3), SourcePiece(name: "b", framesBefore: 3, packets: 0),
            SourcePiece(name: "c", framesBefore: 3, packets: 2), SourcePiece(name: "d", framesBefore: 5, packets: 0),
        ])
        #expect([1, 3, 4, 5].map { s.locate($0).piece } == [0, 0, 2, 2])
        #expect([1, 3, 4, 5].map { s.locate($0).frame } == [1, 3, 1, 2])
    }
}
