import FlowAnalysis
import PacketWire

/// The report of everything `analyzer` holds, in `format`, streamed to `out` one record at a time:
/// JSON Lines and CSV rows as they come, the table from a running summary, JSON between its head
/// and its tail. No format holds every record. Returns whether a flow has a verdict in `failOn`.
public func writeReport<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, format: ReportFormat,
                                               options: ReportOptions = ReportOptions(),
                                               failOn: Set<Verdict> = [], to out: inout Out) -> Bool {
    format.writer.stream(analyzer, options: options, failOn: failOn, to: &out)
}

/// `live`'s final report: the snapshot's report in `format` with the capture's facts — in the JSON
/// document (`type`, `capture` first), as a last JSON Lines object, under the table, or (CSV has
/// no place for them) as one line on `facts`.
public func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
    _ r: LiveFinal, format: ReportFormat, options: ReportOptions = ReportOptions(), to out: inout Out, facts: inout Facts
) {
    format.writer.writeLiveFinal(r, options: options, to: &out, facts: &facts)
}
