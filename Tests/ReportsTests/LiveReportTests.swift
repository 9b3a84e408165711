import FlowAnalysis
import Foundation
import Reports
import Testing

// `live`'s text is built with the JSON writer; these pin it to the documents it extends: the final
// JSON is the analyze document with `type` and `capture` first, the interval line is the live
// fields followed by `intervalJSONLine`'s.

@Suite(.enabled(if: haveCaptures && builtInCatalog != nil, "Captures/ or the built-in catalogs missing"))
struct LiveReportTests {
    func final(_ s: AnalysisSnapshot, drops: CaptureDrops?) -> LiveFinal {
        LiveFinal(interface: "eth\"0", stopped: "SIGINT", fault: nil, elapsedNanos: 2_345_000_000, snapshot: s,
                  expiredTotal: 3, expiredNotListed: 1,
                  counts: [LiveCount(component: "", verdict: .expected, flows: 2),
                           LiveCount(component: "mesos-master", verdict: .blockedDrop, flows: 1)],
                  findings: 4, drops: drops)
    }

    func render(_ r: LiveFinal, _ format: ReportFormat) -> (out: String, facts: String) {
        var out = "", facts = ""
        writeLiveFinal(r, format: format, to: &out, facts: &facts)
        return (out, facts)
    }

    @Test func finalReportWrapsTheAnalyzeReport() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        for drops in [nil, CaptureDrops(received: 10, kernel: 2, interface: 0)] {
            let r = final(s, drops: drops)
            let csv = render(r, .csv)
            #expect(csv.out == Reports.render(s, format: .csv))
            let prefix = "portolan live: capture "
            #expect(csv.facts.hasPrefix(prefix) && csv.facts.hasSuffix("}\n"))
            let capture = String(csv.facts.dropFirst(prefix.count).dropLast())
            let facts = try #require(try JSONSerialization.jsonObject(with: Data(capture.utf8)) as? [String: Any])
            #expect(facts["interface"] as? String == "eth\"0" && facts["stopped"] as? String == "SIGINT")
            #expect(facts["elapsed"] as? Double == 2.345 && facts["findings"] as? Int == 4)
            #expect(facts["incomplete"] as? Bool == (drops != nil))
            #expect((facts["counts"] as? [[String: Any]])?.first?["component"] is NSNull)
            #expect(capture.hasPrefix("{\"interface\":\"eth\\\"0\",\"stopped\":\"SIGINT\",\"elapsed\":2.345,"))

            let json = render(r, .json)
            #expect(json.facts.isEmpty)
            #expect(json.out == "{\"type\":\"final\",\"capture\":" + capture + "," + Reports.render(s, format: .json).dropFirst())
            let jsonl = render(r, .jsonl)
            #expect(jsonl.out == Reports.render(s, format: .jsonl) + "{\"type\":\"final\",\"capture\":" + capture + "}\n")
            let table = render(r, .table)
            #expect(table.out.hasPrefix(Reports.render(s, format: .table)))
            #expect(table.out.hasSuffix("; 1 expired flows counted but not listed\n"))
        }
    }

    @Test func intervalLineLeadsWithTheLiveFields() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let expired = Array(s.flows.prefix(2))
        let problems = s.flows.filter(\.isProblem).prefix(1).map { $0 }
        let stats = IntervalStats(startNanos: 1_000_000_000, endNanos: 2_000_000_000, packets: 5, bytes: 300,
                                  kernelDrops: 0, interfaceDrops: 0)
        let i = LiveInterval(interface: "lo", elapsedNanos: 1_000_000, snapshot: s, expiredNow: expired,
                             newProblems: problems, expiredListed: expired, expiredTotal: 2,
                             counts: [LiveCount(component: "x", verdict: .expected, flows: 1)], stats: stats,
                             drops: CaptureDrops(received: 5, kernel: 0, interface: 0))
        var line = ""
        writeLiveInterval(i, view: .jsonLines, to: &line)
        let names = s.sources.map(\.name)
        let a = s.accounting
        let records = expired.map { renderFlow($0, format: .jsonl, sourceNames: names).dropLast() }.joined(separator: ",")
        let tail = intervalJSONLine(stats, flows: expired + s.flows, newProblems: problems, sourceNames: names,
                                    evictedFlows: a.evictedFlows)
        let head = "{\"type\":\"interval\",\"interface\":\"lo\",\"elapsed\":0.001,\"total_packets\":\(a.total.packets)"
            + ",\"total_bytes\":\(a.total.bytes),\"active_flows\":\(s.flows.count),\"expired_flows\":2"
            + ",\"counts\":[{\"component\":\"x\",\"verdict\":\"expected\",\"flows\":1}]"
            + ",\"drops\":{\"received\":5,\"kernel\":0,\"interface\":0},\"incomplete\":false"
            + ",\"expired\":[" + records + "],"
        #expect(line == head + tail.dropFirst() + "\n")
    }
}
