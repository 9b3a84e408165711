import FlowAnalysis
import PacketWire

/// The `jsonl` format: one JSON object per flow and line (the objects of the JSON document's
/// `flows`).
enum JSONLinesFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        let names = SourceFiles(snapshot.sources)
        for f in snapshot.flows {
            var line = ""
            flowJSON(f, sourceNames: names, into: &line)
            line += "\n"
            out.write(line)
        }
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        var failed = false
        let names = SourceFiles(analyzer.sourceInfos)
        _ = analyzer.snapshot { f in
            out.write(renderFlow(f, format: .jsonl, sources: names))
            if !failed && f.verdicts.contains(where: failOn.contains) { failed = true }
        }
        if let p = options.partial {
            // A last line that says the lines before it are not every flow.
            var w = JSONWriter()
            w.beginObject()
            w.field("type", "partial")
            w.field("partial_reason", p)
            w.endObject()
            w.bytes.append(0x0A)
            w.flush(to: &out)
        }
        return failed
    }

    /// The flows, then the capture's facts as a last object: `{"type":"final","capture":{…}}`.
    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        write(r.snapshot, options: options, to: &out)
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "final")
        w.key("capture")
        writeCapture(r, &w)
        w.endObject()
        w.bytes.append(0x0A)
        w.flush(to: &out)
    }
}
