import CaptureFile
import FlowAnalysis
import PacketWire
import PortCatalog
import Testing

/// Reads `paths` into `parts` analyzers (each keeping its part of the frames) and merges them.
func analyzeInParts(_ paths: [String], parts: Int, configuration: AnalyzerConfiguration) -> FlowAnalyzer? {
    var analyzers: [FlowAnalyzer] = []
    for part in 0..<parts {
        var a = FlowAnalyzer(configuration: configuration)
        for path in paths {
            let index = a.addSource(name: path)
            do {
                var reader = try CaptureReader(path: path, sourceIndex: index)
                var record = CaptureRecord()
                while let bytes = try reader.next(&record) { a.process(record, bytes, part: part, of: parts) }
            } catch let e {
                a.noteSourceError(index, e.description)
            }
        }
        analyzers.append(a)
    }
    return FlowAnalyzer.merged(analyzers)
}

/// Every field of two snapshots that a report prints.
func expectSame(_ a: AnalysisSnapshot, _ b: AnalysisSnapshot, _ what: String) {
    #expect(a.flows == b.flows, Comment(rawValue: "\(what): flows differ"))
    #expect(a.accounting == b.accounting, Comment(rawValue: "\(what): accounting differs"))
    #expect(a.accounting.otherIPByProtocol.map { "\($0.proto.rawValue) \($0.tally)" }
            == b.accounting.otherIPByProtocol.map { "\($0.proto.rawValue) \($0.tally)" })
    #expect(a.accounting.nonIPByEtherType.map { "\($0.etherType.rawValue) \($0.tally)" }
            == b.accounting.nonIPByEtherType.map { "\($0.etherType.rawValue) \($0.tally)" })
    #expect(a.accounting.undecodableBy.map { "\($0.layer) \($0.reason) \($0.tally)" }
            == b.accounting.undecodableBy.map { "\($0.layer) \($0.reason) \($0.tally)" })
    #expect(a.sources == b.sources && a.hosts == b.hosts && a.outbound == b.outbound,
            Comment(rawValue: "\(what): sources, hosts or outbound differ"))
}

@Suite struct ParallelTests {
    /// `--threads 2`: the merged analyzers give exactly one analyzer's snapshot, or decline (nil,
    /// the caller then reads on one thread) — only for a flow spread over two parts.
    @Test(.enabled(if: !corpusFiles.isEmpty || !expectedFiles.isEmpty))
    func twoPartsMergeToTheSingleThreadResult() throws {
        let catalog = try #require(builtInCatalog)
        var runs: [([String], AnalyzerConfiguration)] = []
        for file in corpusFiles { runs.append((["\(corpusDir)/\(file)"], AnalyzerConfiguration(catalog: catalog))) }
        for file in expectedFiles where file.hasSuffix(".expected.tsv") && !file.hasSuffix(".outer.expected.tsv") {
            let name = String(file.dropLast(".expected.tsv".count))
            guard let capture = captureFor(name) else { continue }
            let inventory = try Inventory.load(path: "\(capturesDir)/\(name).inventory.yaml", catalog: catalog)
            runs.append(([capture], AnalyzerConfiguration(catalog: catalog, inventory: inventory)))
        }
        // Several files at once: several vantage points.
        let two = ["dcos-cluster.pcap", "blocked.pcap"].map { "\(capturesDir)/\($0)" }
        if two.allSatisfy(fileExists) { runs.append((two, AnalyzerConfiguration(catalog: catalog))) }
        var declined: [String] = []
        for (paths, config) in runs {
            let one = analyze(paths, configuration: config).0.snapshot()
            for parts in [2, 3] {
                guard let merged = analyzeInParts(paths, parts: parts, configuration: config) else {
                    declined.append("\(paths.last!.split(separator: "/").last!) (\(parts))")
                    continue
                }
                expectSame(merged.snapshot(), one, "\(paths) in \(parts) parts")
            }
        }
        // Only captures with an inner flow carried between several tunnel endpoint pairs decline:
        // ERSPAN copies from two sensors, PIM Registers from two routers.
        #expect(declined.allSatisfy { $0.contains("erspan") || $0.contains("pim") },
                Comment(rawValue: "declined: \(declined)"))
    }
}
