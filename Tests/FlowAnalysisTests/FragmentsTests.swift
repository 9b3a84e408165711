import CaptureFile
import Foundation
@testable import FlowAnalysis
import PacketWire
import PortCatalog
import Testing

extension FlowAnalyzer {
    /// Feeds one fragment of datagram `id` from src:sport to dst:dport: the first (offset 0, ports
    /// read, `payload` = the whole datagram's UDP payload as UDP states it) or a later one at
    /// `offset` carrying `payload` bytes.
    mutating func fragment(_ p: inout Pkt, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                           id: UInt32, offset: UInt16, more: Bool, payload: UInt32, wire: UInt32,
                           proto: IPProtocol = .udp, ts: Int64? = nil) {
        var h = Pkt.header(src, sport, dst, dport, proto: proto, payload: payload)
        if offset != 0 {
            h.hasPorts = false
            h.sourcePort = 0
            h.destinationPort = 0
        }
        h.isFragment = true
        h.fragmentOffset = offset
        h.moreFragments = more
        h.fragmentID = id
        process(p.record(wire: wire, ts: ts), summary: Pkt.summary(h))
    }

    /// An ICMP/ICMPv6 error of any type quoting src:sport → dst:dport.
    mutating func icmpError(_ p: inout Pkt, from: String, to: String, type: UInt8, code: UInt8, quoting src: String,
                            _ sport: UInt16, _ dst: String, _ dport: UInt16, proto: IPProtocol, wire: UInt32 = 90) {
        let v6 = from.contains(":")
        var h = Pkt.header(from, 0, to, 0, proto: v6 ? .icmpv6 : .icmp)
        h.hasICMP = true
        h.icmpType = type
        h.icmpCode = code
        var s = Pkt.summary(h)
        s.quoted.version = v6 ? 6 : 4
        s.quoted.source = IPAddress.parse(src)!.address
        s.quoted.destination = IPAddress.parse(dst)!.address
        s.quoted.proto = proto
        s.quoted.hasPorts = true
        s.quoted.sourcePort = sport
        s.quoted.destinationPort = dport
        process(p.record(wire: wire), summary: s)
    }
}

@Suite struct FragmentTests {
    /// A 3-fragment request and its 3-fragment answer: every fragment in the flow, on its side.
    @Test(arguments: [("10.0.0.22", "10.0.0.11"), ("fd00::22", "fd00::11")])
    func fragmentsInOrderCountInTheirFlow(_ hosts: (String, String)) {
        let (c, s) = hosts
        var a = analyzer()
        var p = Pkt()
        a.fragment(&p, c, 40000, s, 53, id: 7, offset: 0, more: true, payload: 3000, wire: 1270)
        a.fragment(&p, c, 0, s, 0, id: 7, offset: 1248, more: true, payload: 1248, wire: 1270)
        a.fragment(&p, c, 0, s, 0, id: 7, offset: 2496, more: false, payload: 512, wire: 546)
        a.fragment(&p, s, 53, c, 40000, id: 9, offset: 0, more: true, payload: 3000, wire: 1270)
        a.fragment(&p, s, 0, c, 0, id: 9, offset: 1248, more: true, payload: 1248, wire: 1270)
        a.fragment(&p, s, 0, c, 0, id: 9, offset: 2496, more: false, payload: 512, wire: 546)
        let snap = a.snapshot()
        #expect(snap.flows.count == 1)
        let f = snap.flows[0]
        #expect(f.clientPackets == 3 && f.serverPackets == 3)
        #expect(f.clientBytes == 3086 && f.serverBytes == 3086)
        // UDP states the whole datagram's payload in the first fragment: counted once.
        #expect(f.clientPayloadBytes == 3000 && f.serverPayloadBytes == 3000)
        #expect(f.fragments == 6)
        #expect(f.state == .SF)
        #expect(snap.accounting.flows.packets == 6)
        #expect(snap.accounting.otherIP.packets == 0 && snap.accounting.fragments.packets == 0)
        #expect(snap.accounting.isBalanced)
    }

    /// Later fragments before their first one (out of order): pending, then added to the flow.
    @Test func outOfOrderFragmentsJoinTheFlowWhenTheFirstComes() {
        var a = analyzer()
        var p = Pkt()
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 1, offset: 2496, more: false, payload: 512, wire: 546)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 1, offset: 1248, more: true, payload: 1248, wire: 1270)
        var mid = a.snapshot()
        #expect(mid.flows.isEmpty)
        #expect(mid.accounting.fragments == Tally(packets: 2, bytes: 1816))
        #expect(mid.accounting.otherIP == Tally(packets: 2, bytes: 1816))
        a.fragment(&p, "10.0.0.22", 40000, "10.0.0.11", 53, id: 1, offset: 0, more: true, payload: 3000, wire: 1270)
        mid = a.snapshot()
        #expect(mid.flows.count == 1)
        #expect(mid.flows[0].clientPackets == 3 && mid.flows[0].clientBytes == 3086)
        #expect(mid.flows[0].fragments == 3)
        #expect(mid.accounting.fragments.packets == 0 && mid.accounting.otherIP.packets == 0)
        #expect(mid.accounting.otherIPByProtocol.isEmpty)
        #expect(mid.accounting.flows.packets == 3)
        #expect(mid.accounting.isBalanced)
    }

    /// A datagram whose first fragment never comes: its fragments stay other IP, on their line.
    @Test func fragmentsWithoutAFirstAreAccountedOnTheirLine() {
        var a = analyzer()
        var p = Pkt()
        a.udp(&p, "10.0.0.22", 40000, "10.0.0.11", 53)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 5, offset: 1248, more: true, payload: 1248, wire: 1270)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 5, offset: 2496, more: false, payload: 512, wire: 550)
        let snap = a.snapshot()
        #expect(snap.accounting.fragments == Tally(packets: 2, bytes: 1820))
        #expect(snap.accounting.otherIP == Tally(packets: 2, bytes: 1820))
        #expect(snap.flows.count == 1 && snap.flows[0].packets == 1 && snap.flows[0].fragments == 0)
        #expect(snap.accounting.isBalanced)
    }

    /// A later fragment more than 30 s of capture time after its first: the entry expired.
    @Test func fragmentsAfterTheLifetimeAreNotAttributed() {
        var a = analyzer()
        var p = Pkt()
        a.fragment(&p, "10.0.0.22", 40000, "10.0.0.11", 53, id: 3, offset: 0, more: true, payload: 3000, wire: 1270,
                   ts: 1_000_000_000)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 3, offset: 1248, more: true, payload: 1248, wire: 1270,
                   ts: 30_000_000_000)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 3, offset: 2496, more: false, payload: 512, wire: 546,
                   ts: 32_000_000_000)
        let snap = a.snapshot()
        #expect(snap.flows[0].clientPackets == 2)
        #expect(snap.accounting.fragments == Tally(packets: 1, bytes: 546))
        #expect(snap.accounting.isBalanced)
    }

    /// More live datagrams than the table holds: the oldest are replaced (their later fragments
    /// then have no first fragment), the newest stay, and the table never grows.
    @Test func aFullTableReplacesTheOldest() {
        var a = analyzer()
        var p = Pkt()
        let n: UInt32 = 40_000
        for id in 0..<n {
            a.fragment(&p, "10.0.0.22", 40000, "10.0.0.11", 53, id: id, offset: 0, more: true, payload: 3000, wire: 1270,
                       ts: 1_000_000_000 + Int64(id))
        }
        #expect(a.fragmentTable.entries.count == FragmentTable.capacity)
        #expect(a.fragmentTable.replaced == UInt64(n) - UInt64(a.fragmentTable.liveCount))
        #expect(a.fragmentTable.liveCount > FragmentTable.capacity * 9 / 10)
        for id in 0..<100 {
            a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: UInt32(id), offset: 1248, more: false, payload: 100, wire: 150,
                       ts: 2_000_000_000)
        }
        for id in (n - 100)..<n {
            a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: id, offset: 1248, more: false, payload: 100, wire: 150,
                       ts: 2_000_000_000)
        }
        let snap = a.snapshot()
        #expect(snap.accounting.fragments.packets >= 95, "the oldest datagrams were replaced")
        #expect(snap.flows[0].clientPackets == UInt64(n) + 200 - snap.accounting.fragments.packets)
        #expect(snap.flows[0].clientPackets >= UInt64(n) + 100, "the newest datagrams are all attributed")
        #expect(a.fragmentTable.entries.count == FragmentTable.capacity)
        #expect(snap.accounting.isBalanced)
    }

    /// A flow removed by live expiry: its datagram's later fragment must not land in the flow that
    /// now holds its table position.
    @Test func aRemovedFlowsFragmentsDoNotLandInAnother() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: testCatalog(), inventory: testInventory(),
                                                                  idleTimeoutNanos: 10_000_000_000))
        _ = a.addSource(name: "live:eth0")
        var p = Pkt()
        a.fragment(&p, "10.0.0.22", 40000, "10.0.0.11", 53, id: 4, offset: 0, more: true, payload: 3000, wire: 1270,
                   ts: 1_000_000_000)
        let h = Pkt.header("10.0.0.21", 41000, "10.0.0.11", 53, proto: .udp, payload: 20)
        a.process(p.record(wire: 62, ts: 20_000_000_000), summary: Pkt.summary(h))
        // The first flow expires; the second moves into its table position.
        let gone = a.expire(nowNanos: 25_000_000_000)
        #expect(gone.count == 1 && gone[0].clientPort == 40000)
        #expect(a.flowCount == 1)
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 4, offset: 1248, more: false, payload: 100, wire: 150,
                   ts: 25_000_000_000)
        let snap = a.snapshot()
        #expect(snap.flows.count == 1 && snap.flows[0].packets == 1 && snap.flows[0].clientPort == 41000)
        #expect(snap.accounting.fragments.packets == 1)
        #expect(snap.accounting.isBalanced)
    }

    /// The same datagram id from another capture source (a second vantage point) is another datagram.
    @Test func fragmentsOfAnotherSourceAreNotMixed() {
        var a = analyzer()
        _ = a.addSource(name: "b.pcap")
        var p = Pkt()
        a.fragment(&p, "10.0.0.22", 40000, "10.0.0.11", 53, id: 8, offset: 0, more: true, payload: 3000, wire: 1270)
        p.source = 1
        a.fragment(&p, "10.0.0.22", 0, "10.0.0.11", 0, id: 8, offset: 1248, more: false, payload: 100, wire: 150)
        let snap = a.snapshot()
        #expect(snap.flows[0].packets == 1)
        #expect(snap.accounting.fragments.packets == 1)
    }
}

@Suite struct InformationalICMPTests {
    /// Fragmentation needed, Packet Too Big and time exceeded are matched and reported by kind,
    /// never `blocked-icmp`; a port unreachable still is.
    @Test func pathMTUAndTimeExceededDoNotBlock() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, ACK)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, PSHACK, payload: 1400, wire: 1466)
        a.icmpError(&p, from: "10.0.0.1", to: "10.0.0.21", type: 3, code: 4, quoting: "10.0.0.21", 40000,
                    "10.0.0.11", 5050, proto: .tcp)
        a.icmpError(&p, from: "10.0.0.1", to: "10.0.0.21", type: 3, code: 4, quoting: "10.0.0.21", 40000,
                    "10.0.0.11", 5050, proto: .tcp)
        a.icmpError(&p, from: "10.0.0.1", to: "10.0.0.21", type: 11, code: 0, quoting: "10.0.0.21", 40000,
                    "10.0.0.11", 5050, proto: .tcp)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, ACK)
        a.tcp(&p, "fd00::21", 40001, "fd00::11", 5050, SYN)
        a.tcp(&p, "fd00::11", 5050, "fd00::21", 40001, SYNACK)
        a.icmpError(&p, from: "fd00::1", to: "fd00::21", type: 2, code: 0, quoting: "fd00::21", 40001,
                    "fd00::11", 5050, proto: .tcp)
        a.icmpError(&p, from: "fd00::1", to: "fd00::21", type: 3, code: 0, quoting: "fd00::21", 40001,
                    "fd00::11", 5050, proto: .tcp)
        a.udp(&p, "10.0.0.21", 41000, "10.0.0.11", 9999)
        a.unreachable(&p, from: "10.0.0.11", to: "10.0.0.21", code: 3, quoting: "10.0.0.21", 41000, "10.0.0.11", 9999,
                      proto: .udp)
        let snap = a.snapshot()
        let v4 = snap.flows.first { $0.serverPort == 5050 && $0.ipVersion == 4 }!
        #expect(!v4.verdicts.contains(.blockedICMP))
        #expect(v4.verdict == .expected)
        #expect(v4.icmpErrors == 3)
        #expect(v4.icmpKinds == [ICMPKind(type: 3, code: 4, count: 2, firstFrame: 5),
                                 ICMPKind(type: 11, code: 0, count: 1, firstFrame: 7)])
        let v6 = snap.flows.first { $0.serverPort == 5050 && $0.ipVersion == 6 }!
        #expect(!v6.verdicts.contains(.blockedICMP))
        #expect(v6.icmpKinds.map { "\($0.type)/\($0.code):\($0.count)" } == ["2/0:1", "3/0:1"])
        let udp = snap.flows.first { $0.serverPort == 9999 }!
        #expect(udp.verdicts.contains(.blockedICMP))
        #expect(udp.icmpKinds == [ICMPKind(type: 3, code: 3, count: 1, firstFrame: 14)])
    }

    /// More than 4 kinds: the first 4 kept, the rest counted.
    @Test func kindsBeyondFourAreCounted() {
        var a = analyzer()
        var p = Pkt()
        a.udp(&p, "10.0.0.21", 41000, "10.0.0.11", 9999)
        for (t, c) in [(11, 0), (11, 1), (12, 0), (3, 4), (5, 1), (5, 1)] as [(UInt8, UInt8)] {
            a.icmpError(&p, from: "10.0.0.1", to: "10.0.0.21", type: t, code: c, quoting: "10.0.0.21", 41000,
                        "10.0.0.11", 9999, proto: .udp)
        }
        let f = a.snapshot().flows[0]
        #expect(f.icmpKinds.map { "\($0.type)/\($0.code):\($0.count)" } == ["3/4:1", "11/0:1", "11/1:1", "12/0:1"])
        #expect(f.icmpOtherKinds == 2)
        #expect(!f.verdicts.contains(.blockedICMP))
    }
}

@Suite struct FragmentFloodTests {
    /// A file of 1,000,000 distinct fragment ids (IPv6, 32-bit ids), written with the project's
    /// pcap writer: half the datagrams have a first fragment then a later one, half only a later
    /// one. Every fragment is counted, the table stays at its fixed size, and the run is timed.
    @Test func aMillionFragmentIDs() throws {
        let path = NSTemporaryDirectory() + "portolan-fragflood-\(getpid()).pcap"
        let keep = ProcessInfo.processInfo.environment["PORTOLAN_KEEP_FLOOD"]
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: path) } }
        let n = 1_000_000
        var written: UInt64 = 0
        do {
            var w = try PcapWriter(path: keep ?? path, linkType: .ethernet, snaplen: 0)
            var frame = [UInt8](repeating: 0, count: 14 + 40 + 8 + 16)
            frame[12] = 0x86; frame[13] = 0xDD
            frame[14] = 0x60
            frame[14 + 6] = 44  // next header: Fragment
            frame[14 + 7] = 64
            frame[14 + 8] = 0xFD; frame[14 + 23] = 0x22  // fd00::22
            frame[14 + 24] = 0xFD; frame[14 + 39] = 0x11  // fd00::11
            func put(_ id: Int, first: Bool) throws {
                frame[54] = 17
                frame[56] = first ? 0 : 0x05; frame[57] = first ? 1 : 0x00  // offset 0 + M, or offset 1280
                frame[58] = UInt8(truncatingIfNeeded: id >> 24); frame[59] = UInt8(truncatingIfNeeded: id >> 16)
                frame[60] = UInt8(truncatingIfNeeded: id >> 8); frame[61] = UInt8(truncatingIfNeeded: id)
                frame[18] = 0; frame[19] = 24  // payload length: fragment header + 16
                // First fragment: UDP 40000 → 9999, length 2000 (the whole datagram).
                frame[62] = first ? 0x9C : 0; frame[63] = first ? 0x40 : 0
                frame[64] = first ? 0x27 : 0; frame[65] = first ? 0x0F : 0
                frame[66] = first ? 0x07 : 0; frame[67] = first ? 0xD0 : 0
                let record = CaptureRecord(timestampNanos: 1_000_000_000 + Int64(written) * 1000,
                                           capturedLength: UInt32(frame.count), originalLength: UInt32(frame.count),
                                           frameNumber: written + 1, sourceIndex: 0)
                try frame.withUnsafeBytes { try w.write(record, $0) }
                written += 1
            }
            for id in 0..<n {
                if id % 2 == 0 { try put(id, first: true) }
                try put(id, first: false)
            }
            try w.close()
        }
        let catalog = try #require(builtInCatalog)
        let clock = ContinuousClock()
        let start = clock.now
        let (a, counts, errors) = analyze([keep ?? path], configuration: AnalyzerConfiguration(catalog: catalog))
        let elapsed = clock.now - start
        #expect(errors == [nil])
        #expect(counts[0] == written)
        let s = a.snapshot()
        #expect(s.accounting.total.packets == written)
        #expect(s.accounting.isBalanced)
        #expect(s.flows.count == 1)
        // Each first fragment finds its later one right after it: all in the flow.
        #expect(s.flows[0].clientPackets == UInt64(n))
        #expect(s.flows[0].fragments == UInt64(n))
        #expect(s.accounting.fragments.packets == UInt64(n / 2))
        #expect(a.fragmentTable.entries.count == FragmentTable.capacity)
        print("fragment flood: \(written) packets, \(n) ids, analyzed in \(elapsed)")
    }
}

/// Issue 11's fragment and path-MTU captures (Captures/issue11): every flow as its expected file
/// says, the orphan fragments on their accounting line, and the same with the capture cut anywhere.
@Suite struct FragmentCaptureTests {
    static let dir = capturesDir + "/issue11"

    @Test(.enabled(if: fileExists(FragmentCaptureTests.dir + "/fragments.pcap")), arguments: ["fragments", "pmtu"])
    func everyFlowMatchesTheExpectedFile(_ name: String) throws {
        let catalog = try #require(builtInCatalog)
        let inventory = try Inventory.load(path: "\(FragmentCaptureTests.dir)/\(name).inventory.yaml", catalog: catalog)
        let config = AnalyzerConfiguration(catalog: catalog, inventory: inventory)
        let path = "\(FragmentCaptureTests.dir)/\(name).pcap"
        let (a, counts, errors) = analyze([path], configuration: config)
        #expect(errors == [nil])
        let snapshot = a.snapshot()
        #expect(snapshot.accounting.isBalanced)
        #expect(snapshot.accounting.total.packets == counts[0])
        let expected = readExpected("\(FragmentCaptureTests.dir)/\(name).expected.tsv")
        #expect(!expected.isEmpty)
        let problems = compare(snapshot, expected, carriersAllowed: false)
        #expect(problems.isEmpty, Comment(rawValue: "\(name):\n" + problems.joined(separator: "\n")))
        if name == "fragments" {
            // Captures/README.md: ip-fragment-without-first 2 (1820 B).
            #expect(snapshot.accounting.fragments == Tally(packets: 2, bytes: 1820))
            #expect(snapshot.flows.map(\.fragments).sorted() == [3, 3, 6, 6])
        } else {
            #expect(snapshot.flows.allSatisfy { !$0.verdicts.contains(.blockedICMP) })
            #expect(snapshot.flows.map { $0.icmpKinds.map { "\($0.type)/\($0.code):\($0.count)" } }
                    == [["3/4:8"], ["2/0:8"], ["11/0:1"]])
        }
        // Cut anywhere (what --threads does): the same report.
        let capture = LoadedCapture(path, sourceIndex: 0)
        for cut in 1..<capture.records.count {
            let (b, _) = analyzeCut([(path, capture)], cuts: [[cut]], configuration: config)
            expectSame(b.snapshot(), snapshot, "\(name) cut at \(cut)")
        }
    }
}

@Suite struct FragmentSplitTests {
    /// Fragments on both sides of every cut (a later fragment before its first, a first before
    /// its later ones, an orphan, a datagram from each side): the appended analyzer reports what
    /// one analyzer does, and no cut is declined.
    @Test func everyCutOfFragmentedDatagrams() {
        var packets: [(CaptureRecord, PacketSummary)] = []
        var p = Pkt()
        func frag(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, id: UInt32, offset: UInt16,
                  more: Bool, wire: UInt32) {
            var h = Pkt.header(src, sport, dst, dport, proto: .udp, payload: offset == 0 ? 3000 : wire - 20)
            if offset != 0 {
                h.hasPorts = false
                h.sourcePort = 0
                h.destinationPort = 0
            }
            h.isFragment = true
            h.fragmentOffset = offset
            h.moreFragments = more
            h.fragmentID = id
            packets.append((p.record(wire: wire), Pkt.summary(h)))
        }
        let c = "10.0.0.22", s = "10.0.0.11"
        frag(c, 0, s, 0, id: 1, offset: 2496, more: false, wire: 546)        // before its first
        frag(c, 40000, s, 53, id: 1, offset: 0, more: true, wire: 1270)
        frag(c, 0, s, 0, id: 1, offset: 1248, more: true, wire: 1270)
        frag(s, 53, c, 40000, id: 2, offset: 0, more: true, wire: 1270)
        frag(s, 0, c, 0, id: 2, offset: 1248, more: true, wire: 1270)
        frag(c, 0, s, 0, id: 9, offset: 1248, more: true, wire: 900)         // never a first
        frag(s, 0, c, 0, id: 2, offset: 2496, more: false, wire: 546)
        frag(c, 0, s, 0, id: 3, offset: 1248, more: true, wire: 1270)       // before its first
        frag(c, 0, s, 0, id: 3, offset: 2496, more: false, wire: 546)
        frag(c, 40000, s, 53, id: 3, offset: 0, more: true, wire: 1270)
        frag(s, 53, c, 40000, id: 4, offset: 0, more: true, wire: 1270)
        frag(s, 0, c, 0, id: 4, offset: 1248, more: false, wire: 700)
        var one = analyzer()
        for (r, s) in packets { one.process(r, summary: s) }
        let whole = one.snapshot()
        #expect(whole.flows.count == 1 && whole.flows[0].packets == 11)
        #expect(whole.accounting.fragments.packets == 1)
        for cut in 1..<packets.count {
            guard let a = appendedAt(cut, packets) else {
                Issue.record("cut at \(cut) declined")
                continue
            }
            expectSame(a.snapshot(), whole, "cut at \(cut)")
        }
    }
}
