import FlowAnalysis
import Foundation
import PortCatalog
import Testing

/// Issue 11's captures for the history letters that need sequence numbers (Captures/issue11:
/// retransmit, zero-window, gap, made by `make-captures.sh issue11-seq`): each connection's T, W
/// and G letters per side are the ones `seq-letters.py` derives from tshark's fields with Zeek's
/// rules, and every cut of each capture (`--threads`) reports exactly what one reader does.
@Suite struct SeqLettersTests {
    static let dir = capturesDir + "/issue11"
    static let expectedFile = dir + "/seq-letters.expected.tsv"

    /// capture → rows (client port, side, T, W, G).
    static func expected() -> [String: [(port: UInt16, side: String, t: Int, w: Int, g: Int)]] {
        guard let text = try? String(contentsOfFile: expectedFile, encoding: .utf8) else { return [:] }
        var rows: [String: [(port: UInt16, side: String, t: Int, w: Int, g: Int)]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            rows[f[0], default: []].append((UInt16(f[2])!, f[5], Int(f[9])!, Int(f[10])!, Int(f[11])!))
        }
        return rows
    }

    static let captures = ["retransmit.pcap", "zero-window.pcap", "gap.pcap"].filter { fileExists(dir + "/" + $0) }

    @Test(.enabled(if: fileExists(expectedFile)), arguments: captures)
    func lettersAreZeeksRules(_ file: String) throws {
        let rows = try #require(SeqLettersTests.expected()[file])
        let catalog = try #require(builtInCatalog)
        let name = String(file.dropLast(".pcap".count))
        let inventory = try Inventory.load(path: "\(SeqLettersTests.dir)/\(name).inventory.yaml", catalog: catalog)
        let (a, _, errors) = analyze([SeqLettersTests.dir + "/" + file],
                                     configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory))
        #expect(errors == [nil])
        let flows = a.snapshot().flows
        for row in rows {
            let flow = try #require(flows.first { $0.clientPort == row.port }, "no flow from port \(row.port)")
            let letters = Array(flow.history)
            let (t, w, g): (Character, Character, Character) = row.side == "client" ? ("T", "W", "G") : ("t", "w", "g")
            #expect(letters.filter { $0 == t }.count == row.t, "\(file) \(row.side) T in \(flow.history)")
            #expect(letters.filter { $0 == w }.count == row.w, "\(file) \(row.side) W in \(flow.history)")
            #expect(letters.filter { $0 == g }.count == row.g, "\(file) \(row.side) G in \(flow.history)")
        }
        // The captures exist for these letters: each shows at least one.
        #expect(rows.contains { $0.t + $0.w + $0.g > 0 })
    }

    /// `--threads`: every capture cut at 40 points gives the single reader's report (declined
    /// ranges are read on one thread, as `analyze` does).
    @Test(arguments: captures)
    func everyCutGivesTheSingleResult(_ file: String) throws {
        let catalog = try #require(builtInCatalog)
        let name = String(file.dropLast(".pcap".count))
        let inventory = try Inventory.load(path: "\(SeqLettersTests.dir)/\(name).inventory.yaml", catalog: catalog)
        let config = AnalyzerConfiguration(catalog: catalog, inventory: inventory)
        let path = SeqLettersTests.dir + "/" + file
        let capture = LoadedCapture(path, sourceIndex: 0)
        let one = analyzeCut([(path, capture)], cuts: [[]], configuration: config).0.snapshot()
        #expect(one.flows.count == 1)
        for cut in ByteSplitTests.cutPoints(capture.records.count, limit: 40) {
            let (a, _) = analyzeCut([(path, capture)], cuts: [[cut]], configuration: config)
            expectSame(a.snapshot(), one, "\(file) cut at \(cut)")
        }
    }
}
