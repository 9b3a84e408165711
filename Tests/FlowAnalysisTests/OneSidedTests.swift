import FlowAnalysis
import PacketWire
import PortCatalog
import Testing

/// One-sided captures: a source whose TCP flows prove the other direction is missing, and that has
/// no flow with packets both ways, claims no blocked-drop.
@Suite struct OneSidedTests {
    static func tcp(_ a: inout FlowAnalyzer, _ p: inout Pkt, sport: UInt16, _ flags: [UInt16]) {
        for f in flags {
            a.process(p.record(wire: 66), summary: Pkt.summary(
                Pkt.header("10.0.0.1", sport, "10.0.0.2", 5050, proto: .tcp, flags: f)))
        }
    }

    static func udp(_ a: inout FlowAnalyzer, _ p: inout Pkt, _ sport: UInt16, _ dport: UInt16) {
        a.process(p.record(wire: 80), summary: Pkt.summary(
            Pkt.header("10.0.0.1", sport, "10.0.0.3", dport, proto: .udp, payload: 20)))
    }

    @Test func clientSideOnlyCaptureClaimsNoDrop() {
        var a = analyzer()
        var p = Pkt()
        // The client's handshake ACK and data: it received a SYN-ACK this capture never saw.
        OneSidedTests.tcp(&a, &p, sport: 40000, [SYN, ACK, PSHACK, FINACK])
        OneSidedTests.tcp(&a, &p, sport: 40001, [SYN, SYN])
        OneSidedTests.udp(&a, &p, 50002, 40001)
        let flows = a.snapshot().flows
        #expect(flows.allSatisfy { !$0.verdicts.contains(.blockedDrop) })
        #expect(flows[1].evidence.contains { $0.note.contains("one-sided capture") })
        // Datagram between two unlisted ports: the lower one serves (here the receiver).
        #expect(flows[2].clientPort == 50002 && flows[2].direction == .observed)
    }

    @Test func oneFlowBothWaysMakesTheCaptureTwoSided() {
        var a = analyzer()
        var p = Pkt()
        OneSidedTests.tcp(&a, &p, sport: 40000, [SYN, ACK, PSHACK, FINACK])
        OneSidedTests.tcp(&a, &p, sport: 40001, [SYN, SYN])
        a.process(p.record(wire: 66), summary: Pkt.summary(
            Pkt.header("10.0.0.2", 5050, "10.0.0.1", 40000, proto: .tcp, flags: ACK)))
        let flows = a.snapshot().flows
        #expect(flows[1].verdicts.contains(.blockedDrop))
    }

    /// A reply seen without its request, between two unlisted ports: the receiver's higher port
    /// makes it the client (inferred), as TCP's heuristics would.
    @Test func oneWayDatagramFollowsThePortHeuristics() {
        var a = analyzer()
        var p = Pkt()
        OneSidedTests.tcp(&a, &p, sport: 40000, [SYN, ACK, PSHACK, FINACK])
        a.process(p.record(wire: 80), summary: Pkt.summary(
            Pkt.header("10.0.0.3", 40001, "10.0.0.1", 50002, proto: .udp, payload: 20)))
        let f = a.snapshot().flows[1]
        #expect(f.clientPort == 50002 && f.serverPort == 40001)
        #expect(f.direction == .inferred && f.state == .SHR && f.history == "^d")
        #expect(f.clientPackets == 0 && f.serverPackets == 1 && f.serverBytes == 80)
    }
}
