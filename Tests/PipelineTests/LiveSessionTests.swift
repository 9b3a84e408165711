import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import Pipeline
import PortCatalog
import Testing
import TestSupport

// LiveSession in process: the packets of a capture replayed as if they had just arrived (issue 13
// finding 1: live coverage must count flows that already expired).

private let capture = repositoryRoot + "/Captures/dcos-cluster.pcap"
private let inventory = repositoryRoot + "/Captures/dcos-cluster.inventory.yaml"

private func configuration(idle: Int64? = nil, linger: Int64 = 0) throws -> AnalyzerConfiguration {
    let c = try CompiledCatalog.builtIn()
    let inv = try Inventory.load(path: inventory, catalog: c)
    return AnalyzerConfiguration(catalog: c, inventory: inv, idleTimeoutNanos: idle, closedLingerNanos: linger,
                                 maxFlows: 100_000)
}

/// Calls `body` with each record of `path`, its timestamps moved so that the last packet is now.
private func replay(_ path: String, _ body: (CaptureRecord, UnsafeRawBufferPointer) -> Void) throws {
    var reader = try CaptureReader(path: path)
    var record = CaptureRecord()
    var last: Int64 = 0
    while try reader.next(&record) != nil { last = record.timestampNanos }
    let shift = Int64(Date().timeIntervalSince1970 * 1e9) - last
    reader = try CaptureReader(path: path)
    while let bytes = try reader.next(&record) {
        record.timestampNanos += shift
        body(record, bytes)
    }
}

/// Each host's exercised and never exercised entries, short enough to read in a failure.
private func coverageLines(_ hosts: [HostCoverage]) -> [String] {
    hosts.map { h in
        "\(h.name ?? h.address): exercised \(h.exercised.map(\.entryID)) never \(h.unexercised.map(\.entryID))"
    }
}

struct LiveSessionTests {
    /// With --close-linger 0 every closed TCP connection expires at the first interval; the final
    /// "never exercised" list is still the offline one (before: every entry whose flows had
    /// expired was listed as never exercised).
    @Test func coverageCountsExpiredFlows() throws {
        let config = try configuration(idle: 60_000_000_000, linger: 0)
        var session = LiveSession(interface: "test0", linkType: .ethernet, snaplen: 262_144, configuration: config,
                                  failOn: [])
        var offline = FlowAnalyzer(configuration: config)
        _ = offline.addSource(name: "test0")
        try replay(capture) { record, bytes in
            session.packet(record, bytes)
            offline.process(record, bytes)
        }
        let interval = session.tick(stats: nil)
        #expect(interval.expiredNow.count > 0, "the test needs flows that expire")
        let expected = offline.snapshot()
        let exercised = expected.hosts.reduce(0) { $0 + $1.exercised.count }
        #expect(exercised > 0, "the test needs exercised entries")
        // The interval's view (the live table) already counts the expired flows.
        #expect(coverageLines(interval.snapshot.hosts) == coverageLines(expected.hosts))
        let final = session.finish()
        #expect(final.snapshot.flows.count == expected.flows.count)
        #expect(coverageLines(final.snapshot.hosts) == coverageLines(expected.hosts))
        #expect(final.snapshot.outbound == expected.outbound)
    }
}

// The progress bar's frame (issue 13 finding 9): share, bytes, packets, rate and time left, and
// it fits 80 columns whatever the name.
struct ProgressFrameTests {
    @Test func frameSaysBytesPacketsRateAndTimeLeft() {
        let f = Progress.frame(name: "/captures/big.pcap", offset: 1 << 30, total: 3 << 30, packets: 2_500_000, seconds: 2)
        #expect(f == "[###       ] 33% 1.0 GiB/3.0 GiB, 2.5 M packets, 512 MiB/s, 4 s left  …big.pcap",
                "\(f)")
        let long = Progress.frame(name: String(repeating: "x", count: 200), offset: 5, total: 10, packets: 7, seconds: 1)
        #expect(long.count <= 80, "\(long)")
        #expect(long.count <= 80 && long.contains("50% 5 B/10 B, 7 packets, 5 B/s, 1 s left  …xxx"), "\(long)")
        let done = Progress.frame(name: "a", offset: 10, total: 10, packets: 7, seconds: 1)
        #expect(!done.contains("left"))
    }
}
