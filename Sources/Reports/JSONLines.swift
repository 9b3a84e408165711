import FlowAnalysis
import PacketWire

/// The `jsonl` format: one JSON object per flow and line (the objects of the JSON document's
/// `flows`).
enum JSONLinesFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        let names = SourceFiles(snapshot.sources)
        var w = JSONWriter()
        for f in snapshot.flows {
            writeFlow(f, sourceNames: names, &w)
            w.endLine()
            if w.bytes.count >= 1 << 16 { w.flush(to: &out) }
        }
        w.flush(to: &out)
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        let failBits = Verdict.bits(failOn)
        var failed: UInt8 = 0
        let names = SourceFiles(analyzer.sourceInfos)
        // One buffer for every line, handed to the output every 64 KiB; each line written from the
        // flow's facts (FlowBytes.swift): no record, no String per flow.
        let text = FlowText(.json, analyzer: analyzer, sources: names)
        var w = JSONWriter()
        let b = w.bytes
        _ = analyzer.snapshot(streamingFacts: { f in
            if text.direct {
                text.json(f, b)
                b.append(0x0A)
            } else {
                writeFlow(analyzer.record(f), sourceNames: names, &w)
                w.endLine()
            }
            if b.count >= 1 << 16 { b.flush(to: &out) }
            failed |= f.verdictBits & failBits
        })
        w.flush(to: &out)
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
        return failed != 0
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
