import FlowAnalysis
import PacketWire

/// The report of everything `analyzer` holds, in `format`, streamed to `out` one record at a time:
/// JSON Lines and CSV rows as they come, the table from a running summary, JSON between its head
/// and its tail. No format holds every record. Returns whether a flow has a verdict in `failOn`.
public func writeReport<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, format: ReportFormat,
                                               options: ReportOptions = ReportOptions(),
                                               failOn: Set<Verdict> = [], to out: inout Out) -> Bool {
    var failed = false
    switch format {
    case .jsonl:
        let names = analyzer.sources
        _ = analyzer.snapshot { f in
            out.write(renderFlow(f, format: .jsonl, sourceNames: names))
            if !failed && f.verdicts.contains(where: failOn.contains) { failed = true }
        }
    case .csv:
        out.write(csvHeaderLine)
        let names = analyzer.sources
        _ = analyzer.snapshot { f in
            out.write(renderFlow(f, format: .csv, sourceNames: names))
            if !failed && f.verdicts.contains(where: failOn.contains) { failed = true }
        }
    case .table:
        var summary = TableSummary(options: options)
        let failBits = Verdict.bits(failOn)
        let snapshot = analyzer.snapshot(streamingSummaries: { f, record in
            summary.add(f, record: record)
            if f.verdictBits & failBits != 0 { failed = true }
        })
        writeTable(snapshot, summary: summary, options: options, to: &out)
    case .json:
        var stream = JSONReportStream(analyzer.snapshot(includeFlows: false), to: &out)
        let tail = analyzer.snapshot { f in
            stream.add(f, to: &out)
            if !failed && f.verdicts.contains(where: failOn.contains) { failed = true }
        }
        stream.finish(tail, to: &out)
    }
    return failed
}
