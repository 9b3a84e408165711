import FlowAnalysis
import PacketWire
import PortCatalog
import Testing

/// Connections, not 5-tuples: a pure SYN on a closed connection starts a new one (Zeek).
@Suite struct ConnectionsTests {
    static func feed(_ a: inout FlowAnalyzer, _ p: inout Pkt, _ exchange: [(Bool, UInt16, UInt32)]) {
        for (fromClient, flags, payload) in exchange {
            let h = fromClient
                ? Pkt.header("10.0.0.1", 40000, "10.0.0.2", 5050, proto: .tcp, flags: flags, payload: payload)
                : Pkt.header("10.0.0.2", 5050, "10.0.0.1", 40000, proto: .tcp, flags: flags, payload: payload)
            a.process(p.record(wire: 66 + payload), summary: Pkt.summary(h))
        }
    }

    static let working: [(Bool, UInt16, UInt32)] = [
        (true, SYN, 0), (false, SYNACK, 0), (true, ACK, 0), (true, PSHACK, 10), (false, PSHACK, 20),
        (true, FINACK, 0), (false, FINACK, 0), (true, ACK, 0),
    ]

    @Test func aSYNAfterTheCloseStartsANewConnection() {
        var a = analyzer()
        var p = Pkt()
        ConnectionsTests.feed(&a, &p, ConnectionsTests.working)
        ConnectionsTests.feed(&a, &p, [(true, SYN, 0), (false, RSTACK, 0)])
        ConnectionsTests.feed(&a, &p, ConnectionsTests.working)
        let flows = a.snapshot().flows
        #expect(flows.map(\.state) == [.SF, .REJ, .SF])
        #expect(flows.map(\.firstFrame) == [1, 9, 11])
        #expect(flows.map(\.clientPackets) == [5, 1, 5])
        #expect(flows.map(\.serverPackets) == [3, 1, 3])
        #expect(flows[1].verdicts.contains(.blockedRST))
        #expect(Set(flows.map(\.uid)).count == 3)
        #expect(a.flowCount == 3)
    }

    /// Zeek's `IsReuse` on an open connection: a SYN with another initial sequence number is a new
    /// attempt (two unanswered attempts from one port: two S0 rows), one with the same number a
    /// retransmission; the SYN of a SYN-ACK seen first is not a new connection either.
    @Test func aSYNWithAnotherSequenceNumberIsANewConnection() {
        var a = analyzer()
        var p = Pkt()
        func syn(_ seq: UInt32, fromClient: Bool = true, flags: UInt16 = SYN, ack: UInt32 = 0) {
            var h = fromClient
                ? Pkt.header("10.0.0.1", 40000, "10.0.0.2", 5050, proto: .tcp, flags: flags)
                : Pkt.header("10.0.0.2", 5050, "10.0.0.1", 40000, proto: .tcp, flags: flags)
            h.tcpSeq = seq
            h.tcpAck = ack
            a.process(p.record(wire: 66), summary: Pkt.summary(h))
        }
        syn(1_000)
        syn(1_000)            // retransmitted: the same connection
        syn(9_000)            // a new ISN: a new connection
        syn(9_000)
        var flows = a.snapshot().flows
        #expect(flows.map(\.state) == [.S0, .S0])
        #expect(flows.map(\.clientPackets) == [2, 2])
        #expect(flows.map(\.history) == ["S", "S"])

        // A SYN-ACK seen before its SYN (the pair reordered): the SYN is the same connection.
        a = analyzer()
        syn(7_000, fromClient: false, flags: SYNACK, ack: 3_001)
        syn(3_000)
        flows = a.snapshot().flows
        #expect(flows.count == 1)
        #expect(flows.first?.clientPackets == 1)
    }

    /// A SYN retransmitted before any answer, and one after a RST (Zeek: the RST closed the
    /// connection, so the retransmission is a new attempt).
    @Test func aRetransmittedSYNIsTheSameConnectionUntilItCloses() {
        var a = analyzer()
        var p = Pkt()
        ConnectionsTests.feed(&a, &p, [(true, SYN, 0), (true, SYN, 0), (false, RSTACK, 0), (true, SYN, 0)])
        let flows = a.snapshot().flows
        #expect(flows.map(\.clientPackets) == [2, 1])
        #expect(flows.map(\.state) == [.REJ, .S0])
    }

    /// The same capture read twice gives the same uids (they depend on the source name, frame and key).
    @Test func uidsAreStable() {
        func run() -> [String] {
            var a = analyzer()
            var p = Pkt()
            ConnectionsTests.feed(&a, &p, ConnectionsTests.working + ConnectionsTests.working)
            return a.snapshot().flows.map(\.uid)
        }
        let first = run()
        #expect(first.count == 2 && first == run())
    }

    /// Live: a connection a new one replaced is reported by the next expiry, the new one stays.
    @Test func expiryReportsReplacedConnections() {
        var a = analyzer()
        var p = Pkt()
        ConnectionsTests.feed(&a, &p, ConnectionsTests.working)
        ConnectionsTests.feed(&a, &p, [(true, SYN, 0)])
        let out = a.expire(nowNanos: 9_000_000)
        #expect(out.map(\.state) == [.SF])
        #expect(a.flowCount == 1)
        #expect(a.snapshot().flows.map(\.state) == [.S0])
    }

    /// Two vantage points that saw the same connections on one 5-tuple: each connection is one
    /// flow listing both files, with one file's counts (not the key's latest connection for all).
    @Test(.enabled(if: fileExists(capturesDir + "/issue11/reused-tuple.pcap")))
    func vantagePointsMatchConnectionsInOrder() throws {
        let catalog = try #require(builtInCatalog)
        let path = capturesDir + "/issue11/reused-tuple.pcap"
        let config = AnalyzerConfiguration(catalog: catalog)
        let one = analyze([path], configuration: config).0.snapshot().flows
        let two = analyze([path, path], configuration: config).0.snapshot().flows
        #expect(one.map(\.state) == [.SF, .REJ, .SF])
        #expect(two.map(\.state) == one.map(\.state))
        #expect(two.map(\.uid) == one.map(\.uid))
        #expect(two.allSatisfy { $0.sources == [0, 1] })
        #expect(two.map(\.clientPackets) == one.map(\.clientPackets))
        #expect(two.map(\.serverBytes) == one.map(\.serverBytes))
    }

    /// Flows come out in the order they began even when a key's later connection holds a table
    /// slot made before other flows' (the walk merges those and the closed connections into the
    /// rest of the table instead of sorting every flow).
    @Test func flowsInterleavedWithALaterConnectionComeInTheOrderTheyBegan() {
        var a = analyzer()
        var p = Pkt()
        func feed(_ port: UInt16, _ exchange: [(Bool, UInt16, UInt32)]) {
            for (fromClient, flags, payload) in exchange {
                let h = fromClient
                    ? Pkt.header("10.0.0.1", port, "10.0.0.2", 5050, proto: .tcp, flags: flags, payload: payload)
                    : Pkt.header("10.0.0.2", 5050, "10.0.0.1", port, proto: .tcp, flags: flags, payload: payload)
                a.process(p.record(wire: 66 + payload), summary: Pkt.summary(h))
            }
        }
        feed(40000, ConnectionsTests.working)              // frames 1–8
        feed(40001, ConnectionsTests.working)              // 9–16
        feed(40000, [(true, SYN, 0), (false, RSTACK, 0)])  // 17–18: the key's second connection
        feed(40002, ConnectionsTests.working)              // 19–26
        feed(40000, ConnectionsTests.working)              // 27–34: its third
        let flows = a.snapshot().flows
        #expect(flows.map(\.firstFrame) == [1, 9, 17, 19, 27])
        #expect(flows.map(\.state) == [.SF, .SF, .REJ, .SF, .SF])
        #expect(a.flowCount == 5)
    }

    /// The same, each file cut in two at every point (`--threads`): the single-thread result.
    @Test(.enabled(if: fileExists(capturesDir + "/issue11/reused-tuple.pcap")))
    func vantagePointsCutAnywhere() throws {
        let catalog = try #require(builtInCatalog)
        let path = capturesDir + "/issue11/reused-tuple.pcap"
        let config = AnalyzerConfiguration(catalog: catalog)
        let files = [0, 1].map { (path, LoadedCapture(path, sourceIndex: UInt32($0))) }
        let one = analyzeCut(files, cuts: [[], []], configuration: config).0.snapshot()
        let n = files[0].1.records.count
        for cut in 1..<n {
            for cuts in [[[cut], []], [[], [cut]], [[cut], [cut]]] {
                let (a, _) = analyzeCut(files, cuts: cuts, configuration: config)
                expectSame(a.snapshot(), one, "two files cut at \(cuts)")
            }
        }
    }
}
