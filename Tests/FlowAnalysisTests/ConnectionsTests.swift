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
}
