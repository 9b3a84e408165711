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

    /// Packets that arrived just before SIGINT sit in a ring block the kernel has not handed
    /// over yet (it does so when the block's timeout expires): they are still read and counted.
    @Test func sigintDrainsTheLastRingBlock() throws {
        let lab = NetLab()
        let ns = try lab.namespace("drain")
        let burst = try compileC(burstSource, name: "burst3")
        for run in 0..<3 {
            let live = try lab.portolan(ns, ["live", "-i", "lo", "--interval", "100", "--fail-on", "none", "udp", "dst", "port", "7300"])
            usleep(200_000)
            try lab.exec(ns, [burst, "127.0.0.1", "7300", "12", "32"])
            live.signal(SIGINT)
            #expect(live.wait(timeout: 10) == 0, "\(live.stderr)")
            let facts = try #require(captureFacts(live.stdout), "\(live.stdout)")
            #expect(facts["packets"] as? Int == 12, "run \(run): \(facts)")
        }
    }

    /// With a long --interval the -w file is still flushed every second.
    @Test func writtenFileIsFlushedEverySecond() throws {
        let lab = NetLab()
        let ns = try lab.namespace("wflush")
        let burst = try compileC(burstSource, name: "burst3")
        let file = FileManager.default.temporaryDirectory.path + "/portolan-test-\(getpid())/\(lab.id)-wflush.pcap"
        let live = try lab.portolan(ns, ["live", "-i", "lo", "--interval", "60", "-w", file, "udp", "dst", "port", "7301"])
        try lab.exec(ns, [burst, "127.0.0.1", "7301", "20", "64"])
        usleep(1_600_000)  // the ring block times out (100 ms), then a flush within a second
        #expect(try records(file).count == 20)
        live.signal(SIGKILL)
        live.wait(timeout: 5)
    }

    /// A file system that fills up (here a file-size limit, EFBIG) ends the -w file on a record
    /// boundary, and live ends with status 2 and the reason.
    @Test func fullFileSystemEndsTheFileOnARecordBoundary() throws {
        let lab = NetLab()
        let ns = try lab.namespace("wfull")
        let burst = try compileC(burstSource, name: "burst3")
        let file = FileManager.default.temporaryDirectory.path + "/portolan-test-\(getpid())/\(lab.id)-wfull.pcap"
        let live = try lab.spawn(ns, ["sh", "-c", "trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\"", portolanBinary,
                                      "live", "-i", "lo", "--interval", "0.5", "--duration", "5", "-w", file, "udp", "dst", "port", "7302"])
        #expect(live.waitForStderr("listening on", timeout: 20), "\(live.stderr)")
        try lab.exec(ns, [burst, "127.0.0.1", "7302", "400", "100"])
        let status = live.wait(timeout: 15)
        #expect(status == 2, "\(live.stderr)")
        #expect(live.stderr.contains(file), "\(live.stderr)")
        // Every record whole: the reader reaches the end of the file without an error.
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? -1
        let n = try records(file).count
        #expect(n > 0 && size == 24 + n * (16 + 14 + 20 + 8 + 100), "\(n) records in \(size) bytes")
        #expect(size <= 16 * 512)
    }

    /// Standard output a FIFO that nobody reads while the packets arrive: the interval lines wait
    /// in their queue (or are dropped), the capture loop goes on and no packet is lost to it; with
    /// a 1 MiB ring, a loop blocked on the write lost most of them.
    @Test func aStdoutNobodyReadsCostsNoPacket() throws {
        let lab = NetLab()
        let ns = try lab.namespace("slowout")
        let burst = try compileC(burstSource, name: "burst3")
        let fifo = FileManager.default.temporaryDirectory.path + "/portolan-test-\(getpid())/\(lab.id)-out.fifo"
        try FileManager.default.createDirectory(atPath: (fifo as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Opened first (without waiting for a writer), read only once the packets are sent.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let live = try lab.spawn(ns, ["sh", "-c", "exec \"$0\" \"$@\" > '\(fifo)'", portolanBinary, "live", "-i", "lo",
                                      "--interval", "0.1", "--buffer-size", "1", "--fail-on", "none",
                                      "udp", "dst", "portrange", "7400-7499"])
        #expect(live.waitForStderr("listening on", timeout: 20), "\(live.stderr)")
        try lab.exec(ns, [burst, "127.0.0.1", "7400", "20000", "200", "100", "10000"], timeout: 60)
        live.signal(SIGINT)
        _ = fcntl(reader, F_SETFL, 0)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(reader, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        #expect(live.wait(timeout: 30) == 0, "\(live.stderr)")
        let out = String(decoding: data, as: UTF8.self)
        let facts = try #require(captureFacts(out), "\(out.suffix(500))\n\(live.stderr)")
        #expect(facts["packets"] as? Int == 20000, "\(facts)\n\(live.stderr)")
        #expect(drops(facts)?.kernel == 0, "\(facts)")
        #expect(last("interval", in: out) != nil)
    }
}
