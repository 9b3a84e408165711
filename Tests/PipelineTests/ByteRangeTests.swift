import CaptureFile
import FlowAnalysis
import Pipeline
import PortCatalog
import Reports
import Testing
import TestSupport

// Byte ranges (`analyze --threads`) in-process: every capture cut into 2 and 3 ranges however
// small it is gives the JSON report and the per-file errors that one thread gives.

private let capturesDirectory = repositoryRoot + "/Captures"
private let captureNames = fileNames(in: capturesDirectory) { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }

/// The JSON report and the per-file errors of reading `paths` on `threads` threads, every range
/// as small as one byte allows.
private let builtIn = Result { () throws(CatalogError) in try CompiledCatalog.builtIn() }

private func report(_ paths: [String], threads: Int, inventory: String? = nil) throws -> (String, [String?]) {
    let catalog = try builtIn.get()
    let inv = try inventory.map { p throws(CatalogError) in try Inventory.load(path: p, catalog: catalog) } ?? Inventory()
    var progress = Progress(enabled: false)
    let (analyzer, errors) = CaptureRead.files(paths, configuration: AnalyzerConfiguration(catalog: catalog, inventory: inv),
                                               threads: threads, minimumRange: 1, progress: &progress)
    var text = ""
    _ = writeReport(analyzer, format: .json, to: &text)
    return (text, errors)
}

@Suite struct ByteRangeTests {
    @Test func capturesAreThere() {
        #expect(captureNames.count >= 10)
    }

    /// The project's captures, with their inventories (verdicts, coverage and outbound depend on it).
    @Test(arguments: captureNames)
    func captureInRanges(_ name: String) throws {
        let path = capturesDirectory + "/" + name
        let base = name.split(separator: ".").first.map(String.init) ?? name
        let inventory = capturesDirectory + "/" + base + ".inventory.yaml"
        let (one, oneErrors) = try report([path], threads: 1, inventory: inventory)
        #expect(one.utf8.count > 1000)
        for threads in [2, 3] {
            let (many, errors) = try report([path], threads: threads, inventory: inventory)
            #expect(errors == oneErrors, "\(name) in \(threads) ranges")
            #expect(many == one, "\(name) in \(threads) ranges: reports differ")
        }
    }

    /// Two files, each cut: a flow seen in both stays one flow.
    @Test func twoFilesInRanges() throws {
        let paths = ["blocked.pcap", "dcos-cluster.pcap"].map { capturesDirectory + "/" + $0 }
        let one = try report(paths, threads: 1)
        let many = try report(paths, threads: 3)
        #expect(many.0 == one.0 && many.1 == one.1)
    }

    /// Every corpus capture (odd link types, pcapng sections, damage, tunnels).
    @Test(.enabled(if: corpusAvailable, "../shared/corpus is absent"))
    func everyCorpusCaptureInRanges() throws {
        var compared = 0
        for name in corpusCaptures() {
            let path = corpusDirectory + "/" + name
            let one = try report([path], threads: 1)
            for threads in [2, 3] {
                let many = try report([path], threads: threads)
                #expect(many.1 == one.1 && many.0 == one.0, "\(name) in \(threads) ranges: \(many.1)")
                compared += 1
            }
        }
        #expect(compared > 200)
    }
}
