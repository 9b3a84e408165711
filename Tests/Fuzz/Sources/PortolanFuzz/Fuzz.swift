// libFuzzer entry point: one input is one capture file (pcap, pcapng, snoop; gzip or zstd
// compressed too), taken through everything `analyze` does with it:
//   reader → decoder → analyzer → snapshot → every report format,
// and through the byte-range split (`--threads`), whose report must be byte for byte the
// one-thread report (ARCHITECTURE.md, contract 7). A crash, a sanitizer report, an unbalanced
// accounting or a split that differs is a finding (the last two call abort()).
import CaptureFile
import FlowAnalysis
import Pipeline
import PortCatalog
import Reports

#if canImport(Glibc)
import Glibc
#endif

/// The built-in catalogs and a small inventory (so that role verdicts, coverage and outbound
/// status run too); built once.
let configuration: AnalyzerConfiguration = {
    let catalog = try! CompiledCatalog.builtIn()
    let yaml = """
        networks: [10.10.0.0/24, "fd00:10::/64"]
        hosts:
          - {address: 10.10.0.11, name: master-1, roles: [dcos-master]}
          - {address: "fd00:10::11", name: master-1, roles: [dcos-master]}
          - {address: 10.10.0.21, name: agent-1, roles: [dcos-agent]}
          - {address: 10.10.0.31, name: dynatrace-1, roles: [dynatrace-node]}
          - {address: 10.10.0.0/28, roles: [dcos-agent]}
        """
    let inventory = try! Inventory.parse(yaml: yaml, file: "fuzz-inventory.yaml", catalog: catalog)
    return AnalyzerConfiguration(catalog: catalog, inventory: inventory)
}()

/// Every report format of `analyzer`, concatenated.
func reports(_ analyzer: FlowAnalyzer) -> String {
    var all = ""
    for format in ReportFormat.allCases {
        var text = ""
        _ = writeReport(analyzer, format: format, failOn: [.blockedRST], to: &text)
        all += text
    }
    var partial = ReportOptions()
    partial.partial = "fuzz"
    var text = ""
    _ = writeReport(analyzer, format: .jsonl, options: partial, to: &text)
    return all + text
}

/// Reads `file` on one thread (`threads` 1) or cut into byte ranges, as `analyze` does.
func analyse(_ file: MappedFile, threads: Int) -> FlowAnalyzer {
    var analyzer = FlowAnalyzer(configuration: configuration)
    let index = analyzer.addSource(name: file.path)
    var progress = Progress(enabled: false)
    do {
        if threads > 1 {
            // Ranges of any size: the cut, merge and fallback paths run on small inputs too.
            try SplitRead.read(file, into: &analyzer, sourceIndex: index, threads: threads, minimumRange: 1,
                               progress: &progress)
        } else {
            try CaptureRead.whole(file, into: &analyzer, sourceIndex: index, progress: &progress)
        }
    } catch {
        analyzer.noteSourceError(index, error.description)
    }
    return analyzer
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let file: MappedFile
    do {
        file = try MappedFile(copying: UnsafeRawBufferPointer(start: data, count: size), name: "fuzz.pcap",
                              maxDecompressedBytes: 16 << 20)
    } catch {
        _ = error.description  // the message is built (it names the offset), as analyze prints it
        return 0
    }
    let one = analyse(file, threads: 1)
    let snapshot = one.snapshot()
    if !snapshot.accounting.isBalanced {
        print("accounting not balanced")
        abort()
    }
    let text = reports(one)
    for format in ReportFormat.allCases { _ = render(snapshot, format: format) }
    let split = reports(analyse(file, threads: 3))
    if split != text {
        print("--threads 3 report differs from one thread:\n--- one\n\(text)\n--- split\n\(split)")
        abort()
    }
    return 0
}
