import FlowAnalysis
import PacketWire
import Testing

@Suite struct ConnectionStateTests {
    @Test func fullHandshakeAndCloseIsSF() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN, wire: 74)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK, wire: 74)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, ACK)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, PSHACK, payload: 100, wire: 166)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, PSHACK, payload: 300, wire: 366)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, FINACK)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, FINACK)
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, ACK)
        let s = a.snapshot()
        #expect(s.flows.count == 1)
        let f = s.flows[0]
        #expect(f.client == Pkt.v4("10.0.0.21") && f.clientPort == 40000)
        #expect(f.server == Pkt.v4("10.0.0.11") && f.serverPort == 5050)
        #expect(f.state == .SF)
        #expect(f.history == "ShADdFf")  // the server never sent a pure ACK
        #expect(f.direction == .observed)
        #expect(f.clientPackets == 5 && f.serverPackets == 3)
        #expect(f.clientBytes == 74 + 66 + 166 + 66 + 66 && f.serverBytes == 74 + 366 + 66)
        #expect(f.clientPayloadBytes == 100 && f.serverPayloadBytes == 300)
        #expect(f.component == "Mesos Master")
        #expect(f.verdict == .expected && f.verdicts == [.expected])
        #expect(f.evidence[0].frames == [1])
        #expect(f.firstFrame == 1)
        #expect(f.clientRoles == ["dcos-agent"] && f.serverRoles == ["dcos-master"])
        #expect(s.accounting.isBalanced && s.accounting.flows.packets == 8)
    }

    @Test func unansweredSYNsAreS0AndBlockedDrop() {
        var a = analyzer()
        var p = Pkt()
        for _ in 0..<3 { a.tcp(&p, "10.0.0.21", 40001, "10.0.0.11", 5050, SYN, wire: 74) }
        let f = a.snapshot().flows[0]
        #expect(f.state == .S0)
        #expect(f.history == "S")
        #expect(f.verdict == .blockedDrop)
        #expect(f.verdicts == [.blockedDrop, .expected])
        #expect(f.evidence[0].frames == [1, 3])
        #expect(f.evidence[0].confidence == .high)
        #expect(f.clientPackets == 3 && f.serverPackets == 0)
    }

    @Test func synAnsweredByRSTIsREJAndBlockedRST() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40002, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40002, RSTACK)
        let f = a.snapshot().flows[0]
        #expect(f.state == .REJ)
        #expect(f.history == "Sr")
        #expect(f.verdict == .blockedRST)
        #expect(f.verdicts == [.blockedRST, .expected])
        #expect(f.evidence[0].frames == [1, 2])
    }

    @Test func originatorAbortIsRSTO_responderAbortIsRSTR() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 1, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 1, SYNACK)
        a.tcp(&p, "10.0.0.21", 1, "10.0.0.11", 5050, ACK)
        a.tcp(&p, "10.0.0.21", 1, "10.0.0.11", 5050, RSTACK)
        a.tcp(&p, "10.0.0.21", 2, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 2, SYNACK)
        a.tcp(&p, "10.0.0.21", 2, "10.0.0.11", 5050, ACK)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 2, RST)
        let flows = a.snapshot().flows
        #expect(flows[0].state == .RSTO && flows[0].history == "ShAR")
        #expect(flows[1].state == .RSTR && flows[1].history == "ShAr")
        #expect(flows[0].verdict == .expected && flows[1].verdict == .expected)
    }

    @Test func establishedNotClosedIsS1_halfClosedIsS2() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 3, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 3, SYNACK)
        a.tcp(&p, "10.0.0.21", 3, "10.0.0.11", 5050, ACK)
        a.tcp(&p, "10.0.0.21", 4, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 4, SYNACK)
        a.tcp(&p, "10.0.0.21", 4, "10.0.0.11", 5050, FINACK)
        let flows = a.snapshot().flows
        #expect(flows[0].state == .S1)
        #expect(flows[1].state == .S2)
    }

    @Test func synThenFinWithoutAnswerIsSH_synThenRSTIsRSTOS0() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 5, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.21", 5, "10.0.0.11", 5050, FINACK)
        a.tcp(&p, "10.0.0.21", 6, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.21", 6, "10.0.0.11", 5050, RST)
        let flows = a.snapshot().flows
        #expect(flows[0].state == .SH)
        #expect(flows[1].state == .RSTOS0)
        #expect(flows[1].verdict == .blockedDrop)
    }

    @Test func midstreamFlowIsOTHWithInferredDirection() {
        var a = analyzer()
        var p = Pkt()
        // First packet seen goes from the server (5050 listed for the master's role) to the client.
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 41000, PSHACK, payload: 10)
        a.tcp(&p, "10.0.0.21", 41000, "10.0.0.11", 5050, ACK)
        let f = a.snapshot().flows[0]
        #expect(f.direction == .inferred)
        #expect(f.server == Pkt.v4("10.0.0.11") && f.serverPort == 5050)
        #expect(f.state == .OTH)
        #expect(f.history == "^dA")
        #expect(f.clientPackets == 1 && f.serverPackets == 1)
        #expect(f.verdict == .expected)
    }

    @Test func midstreamWithoutCatalogUsesWellKnownThenLowerPort() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 22, "10.0.0.22", 50000, ACK)       // well-known 22 wins
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.22", 30000, ACK)    // lower port wins
        let flows = a.snapshot().flows
        #expect(flows[0].serverPort == 22 && flows[0].server == Pkt.v4("10.0.0.21"))
        #expect(flows[1].serverPort == 30000 && flows[1].server == Pkt.v4("10.0.0.22"))
        #expect(flows.allSatisfy { $0.direction == .inferred })
    }

    @Test func synAckSeenFirstNamesTheServer() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 42000, SYNACK)
        a.tcp(&p, "10.0.0.21", 42000, "10.0.0.11", 5050, ACK)
        let f = a.snapshot().flows[0]
        #expect(f.direction == .observed)
        #expect(f.server == Pkt.v4("10.0.0.11"))
        #expect(f.history == "^hA")
    }
}

@Suite struct VerdictTests {
    @Test func wrongRoleWhenTheHostDoesNotServeThePort() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.11", 40000, "10.0.0.21", 5050, SYN)       // 5050 on an agent
        a.tcp(&p, "10.0.0.21", 5050, "10.0.0.11", 40000, SYNACK)
        let f = a.snapshot().flows[0]
        #expect(f.verdict == .wrongRole)
        #expect(f.verdicts == [.wrongRole])
        #expect(f.component == "Mesos Master")
        #expect(f.candidates == ["Mesos Master (dcos)"])
    }

    @Test func unexpectedPort() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 25, SYN)
        a.tcp(&p, "10.0.0.11", 25, "10.0.0.21", 40000, SYNACK)
        let f = a.snapshot().flows[0]
        #expect(f.verdict == .unexpectedPort)
        #expect(f.component == nil)
    }

    @Test func outsideToInternal() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "198.51.100.7", 40000, "10.0.0.32", 5701, SYN)
        a.tcp(&p, "10.0.0.32", 5701, "198.51.100.7", 40000, SYNACK)
        let f = a.snapshot().flows[0]
        #expect(f.verdict == .outsideToInternal)
        #expect(f.component == "Hazelcast")
    }

    @Test func outboundMissionControlIsExpectedAndReported() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.31", 40000, "52.5.224.56", 443, SYN)
        a.tcp(&p, "52.5.224.56", 443, "10.0.0.31", 40000, SYNACK)
        let s = a.snapshot()
        #expect(s.flows[0].component == "Mission Control")
        #expect(s.flows[0].verdict == .expected)
        let mc = s.outbound
        #expect(mc.count == 2)
        #expect(mc.first { $0.name == "node-1" }?.reached == true)
        #expect(mc.first { $0.name == "node-2" }?.reached == false)
    }

    @Test func withoutInventoryAmbiguousPortsListCandidates() {
        var a = analyzer(inventory: false)
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 443, SYN)
        a.tcp(&p, "10.0.0.11", 443, "10.0.0.21", 40000, SYNACK)
        a.tcp(&p, "10.0.0.11", 40000, "10.0.0.21", 5050, SYN)   // would be wrong-role with roles
        let s = a.snapshot()
        #expect(s.flows[0].verdict == .expected)
        #expect(s.flows[0].candidates == ["Admin Router (dcos)", "Dynatrace UI (dt)"])
        #expect(s.flows[1].verdicts == [.blockedDrop, .expected])
        #expect(!s.inventoryKnown && s.hosts.isEmpty)
    }

    @Test func udpUnansweredIsLowConfidenceDrop_answeredIsSF() {
        var a = analyzer()
        var p = Pkt()
        a.udp(&p, "10.0.0.21", 50000, "10.0.0.11", 53)
        a.udp(&p, "10.0.0.11", 53, "10.0.0.21", 50000)
        a.udp(&p, "10.0.0.21", 50001, "10.0.0.11", 53)
        let flows = a.snapshot().flows
        #expect(flows[0].state == .SF && flows[0].history == "Dd" && flows[0].verdict == .expected)
        #expect(flows[1].state == .S0 && flows[1].verdict == .blockedDrop)
        #expect(flows[1].evidence[0].confidence == .low)
        #expect(flows[0].component == "DNS Dispatcher")
    }

    @Test func udpReplySeenFirstIsFlipped() {
        var a = analyzer()
        var p = Pkt()
        a.udp(&p, "10.0.0.11", 53, "10.0.0.21", 50000)
        let f = a.snapshot().flows[0]
        #expect(f.server == Pkt.v4("10.0.0.11") && f.serverPort == 53)
        #expect(f.direction == .inferred)
        #expect(f.state == .SHR)
    }

    @Test func icmpUnreachableIsMatchedWithPorts() {
        var a = analyzer()
        var p = Pkt()
        a.udp(&p, "10.0.0.21", 50002, "10.0.0.11", 53)
        a.unreachable(&p, from: "10.0.0.11", to: "10.0.0.21", code: 3, quoting: "10.0.0.21", 50002, "10.0.0.11", 53,
                      proto: .udp)
        // A quote of another port pair does not match.
        a.unreachable(&p, from: "10.0.0.11", to: "10.0.0.21", code: 3, quoting: "10.0.0.21", 50003, "10.0.0.11", 53,
                      proto: .udp)
        let s = a.snapshot()
        let f = s.flows[0]
        #expect(s.flows.count == 1)
        #expect(f.verdict == .blockedICMP)
        #expect(f.verdicts == [.blockedICMP, .expected])
        #expect(f.evidence[0].frames == [2])
        #expect(f.evidence[0].note == "ICMP port unreachable")
        #expect(f.icmpErrors == 1 && f.clientPackets == 1 && f.serverPackets == 1 && f.serverBytes == 90)
        #expect(f.state == .S0)
        #expect(s.accounting.icmpMatched.packets == 1)
        #expect(s.accounting.icmpUnmatched.packets == 1 && s.accounting.otherIP.packets == 1)
        #expect(s.accounting.isBalanced)
    }

    @Test func coverageListsUnexercisedEntries() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK)
        let s = a.snapshot()
        let m = s.hosts.first { $0.name == "master-1" }!
        #expect(m.exercised.map(\.component) == ["Mesos Master"])
        #expect(m.unexercised.map(\.component) == ["Admin Router", "DNS Dispatcher", "Navstar"])
    }
}

@Suite struct TableTests {
    @Test func vlanIsPartOfTheKeyUnlessDisabled() {
        for vlanInKey in [true, false] {
            var a = analyzer(vlanInKey: vlanInKey)
            var p = Pkt()
            a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN, vlan: 10)
            a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN, vlan: 20)
            let s = a.snapshot()
            #expect(s.flows.count == (vlanInKey ? 2 : 1))
            if vlanInKey { #expect(s.flows.map(\.vlan) == [10, 20]) }
        }
    }

    @Test func theWholeTagStackIsTheKey() {
        var a = analyzer()
        var p = Pkt()
        var h = Pkt.header("10.0.0.21", 40000, "10.0.0.11", 5050, proto: .tcp, flags: SYN)
        var s = Pkt.summary(h, vlan: 100)
        a.process(p.record(), summary: s)
        s.vlanCount = 2
        s.vlans = (300, 100, 0, 0)
        a.process(p.record(), summary: s)
        h.tcpFlags = SYNACK
        swap(&h.source, &h.destination)
        swap(&h.sourcePort, &h.destinationPort)
        var r = Pkt.summary(h)
        r.vlanCount = 2
        r.vlans = (300, 100, 0, 0)
        a.process(p.record(), summary: r)
        let flows = a.snapshot().flows
        #expect(flows.map(\.vlans) == [[100], [300, 100]])
        #expect(flows.map(\.vlan) == [100, 100])
        #expect(flows.map(\.serverPackets) == [0, 1])
        // The identity live keeps across intervals tells them apart too.
        #expect(flows[0].id != flows[1].id)
        #expect(flows.map(\.id.vlans) == [[100], [300, 100]])
        #expect(Set(flows.map(\.id)).count == 2)
    }

    @Test func flowIDIsTheKeyAsReportsSeeIt() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK)
        a.tcp(&p, "10.0.0.21", 40001, "10.0.0.11", 5050, SYN)
        let flows = a.snapshot().flows
        #expect(flows.count == 2)
        let id = flows[0].id
        #expect(id.client == Pkt.v4("10.0.0.21") && id.clientPort == 40000 && id.serverPort == 5050)
        #expect(id.proto == .tcp && id.ipVersion == 4 && id.vlans.isEmpty && id.tunnel == .none)
        #expect(id == a.snapshot().flows[0].id && id != flows[1].id)
    }

    /// The precedence is written once (`Verdict.rank`); the declaration, which `allCases` and
    /// reports iterate, follows it.
    @Test func verdictPrecedenceIsTheDeclarationOrder() {
        #expect(Verdict.allCases == Verdict.byRank)
        #expect(Verdict.byRank.map(\.rank) == Array(0..<Verdict.allCases.count))
        for v in Verdict.allCases { #expect(Verdict(rank: v.rank) == v) }
        #expect(Verdict.allCases.filter(\.isBlocked) == [.blockedDrop, .blockedRST, .blockedICMP])
        #expect(Verdict.allCases.map(\.rawValue) == ["blocked-drop", "blocked-rst", "blocked-icmp", "outside-to-internal",
                                                     "wrong-role", "unexpected-port", "expected"])
    }

    @Test func ipv6FlowsAreKeyedAndPrinted() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "fd00:10::21", 40000, "fd00:10::11", 80, SYN)
        a.tcp(&p, "fd00:10::11", 80, "fd00:10::21", 40000, SYNACK)
        let f = a.snapshot().flows[0]
        #expect(f.ipVersion == 6 && f.server.text(version: 6) == "fd00:10::11")
        #expect(f.clientPackets == 1 && f.serverPackets == 1)
    }

    @Test func manyFlowsGrowTheTableAndKeepTheirCounts() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(initialCapacity: 16))
        var p = Pkt()
        let n = 50_000
        for round in 0..<2 {
            for i in 0..<n {
                let src = IPAddress(v4: 0x0A00_0000 | UInt32(i >> 8))
                var h = IPHeaderSummary()
                h.version = 4
                h.source = round == 0 ? src : IPAddress(v4: 0x0A01_0001)
                h.destination = round == 0 ? IPAddress(v4: 0x0A01_0001) : src
                h.proto = .udp
                h.hasPorts = true
                h.sourcePort = round == 0 ? UInt16(1024 + i & 0xFF) : 53
                h.destinationPort = round == 0 ? 53 : UInt16(1024 + i & 0xFF)
                a.process(p.record(wire: 60), summary: Pkt.summary(h))
            }
        }
        let s = a.snapshot()
        #expect(s.flows.count == n)
        #expect(s.flows.allSatisfy { $0.clientPackets == 1 && $0.serverPackets == 1 })
        #expect(s.accounting.flows.packets == UInt64(2 * n))
    }

    @Test func expireRemovesIdleAndClosedFlows() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(
            catalog: testCatalog(), idleTimeoutNanos: 60_000_000_000, closedLingerNanos: 1_000_000_000))
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 1, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 1, RSTACK)
        a.tcp(&p, "10.0.0.21", 2, "10.0.0.11", 5050, SYN)
        a.tcp(&p, "10.0.0.11", 5050, "10.0.0.21", 2, SYNACK)
        a.udp(&p, "10.0.0.21", 3, "10.0.0.11", 53)
        #expect(a.expire(nowNanos: 500_000_000).isEmpty)
        let closed = a.expire(nowNanos: 2_000_000_000)
        #expect(closed.map(\.clientPort) == [1])
        #expect(a.flowCount == 2)
        let idle = a.expire(nowNanos: 100_000_000_000)
        #expect(Set(idle.map(\.clientPort)) == [2, 3])
        #expect(a.flowCount == 0)
        // The table still works after removals.
        a.tcp(&p, "10.0.0.21", 2, "10.0.0.11", 5050, SYN)
        #expect(a.snapshot().flows.count == 1)
    }

    @Test func maxFlowsEvictsAndCounts() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(maxFlows: 10))
        var p = Pkt()
        for i in 0..<25 { a.udp(&p, "10.0.0.21", UInt16(1000 + i), "10.0.0.11", 53) }
        #expect(a.flowCount == 10)
        let s = a.snapshot()
        #expect(s.accounting.evictedFlows == 15)
        #expect(a.expire(nowNanos: 0).count == 15)
    }

    @Test func removalKeepsProbeChainsIntact() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(idleTimeoutNanos: 10, initialCapacity: 16))
        var p = Pkt()
        // Old flows at t=0, then fresh ones; expiring the old ones must not lose the fresh ones.
        for i in 0..<200 {
            let h = Pkt.header("10.0.0.1", UInt16(i), "10.0.0.2", 53, proto: .udp, payload: 1)
            a.process(p.record(wire: 60, ts: 0), summary: Pkt.summary(h))
        }
        for i in 200..<400 {
            let h = Pkt.header("10.0.0.1", UInt16(i), "10.0.0.2", 53, proto: .udp, payload: 1)
            a.process(p.record(wire: 60, ts: 1_000), summary: Pkt.summary(h))
        }
        let gone = a.expire(nowNanos: 1_000 + 5)
        #expect(gone.count == 200)
        for i in 200..<400 {
            let h = Pkt.header("10.0.0.2", 53, "10.0.0.1", UInt16(i), proto: .udp, payload: 1)
            a.process(p.record(wire: 60, ts: 1_001), summary: Pkt.summary(h))
        }
        let s = a.snapshot()
        #expect(s.flows.count == 200)
        #expect(s.flows.allSatisfy { $0.clientPackets == 1 && $0.serverPackets == 1 })
    }
}

@Suite struct MultiSourceTests {
    @Test func aFlowSeenByTwoFilesIsOneFlowWithTheBiggerView() {
        var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: testCatalog()))
        #expect(a.addSource(name: "a.pcap") == 0)
        #expect(a.addSource(name: "b.pcap") == 1)
        var p0 = Pkt(source: 0)
        a.tcp(&p0, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        a.tcp(&p0, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK)
        var p1 = Pkt(source: 1)
        a.tcp(&p1, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        a.tcp(&p1, "10.0.0.11", 5050, "10.0.0.21", 40000, SYNACK)
        a.tcp(&p1, "10.0.0.21", 40000, "10.0.0.11", 5050, ACK)
        let s = a.snapshot()
        #expect(s.flows.count == 1)
        let f = s.flows[0]
        #expect(f.sources == [0, 1])
        #expect(f.evidenceSource == 1)
        #expect(f.clientPackets == 2 && f.serverPackets == 1)
        #expect(s.sources.map(\.packets) == [2, 3])
        #expect(s.accounting.total.packets == 5 && s.accounting.isBalanced)
    }
}

@Suite struct AccountingTests {
    @Test func everyKindOfPacketLandsInOneBucket() {
        var a = analyzer()
        var p = Pkt()
        a.tcp(&p, "10.0.0.21", 40000, "10.0.0.11", 5050, SYN)
        var arp = PacketSummary()
        arp.etherType = .arp
        a.process(p.record(wire: 42), summary: arp)
        var bad = PacketSummary()
        bad.stop = DecodeError(layer: .ipv4, reason: .badHeaderLength, offset: 14)
        a.process(p.record(wire: 50), summary: bad)
        var ospf = Pkt.header("10.0.0.1", 0, "224.0.0.5", 0, proto: IPProtocol(89))
        ospf.hasPorts = false
        a.process(p.record(wire: 80), summary: Pkt.summary(ospf))
        var truncatedTCP = Pkt.header("10.0.0.1", 0, "10.0.0.2", 0, proto: .tcp)
        truncatedTCP.hasPorts = false
        var t = Pkt.summary(truncatedTCP)
        t.stop = DecodeError(layer: .tcp, reason: .truncated, offset: 34, needed: 20, available: 2)
        a.process(CaptureRecord(capturedLength: 36, originalLength: 60, frameNumber: 99), summary: t)
        let acc = a.snapshot().accounting
        #expect(acc.total == Tally(packets: 5, bytes: 66 + 42 + 50 + 80 + 60))
        #expect(acc.flows.packets == 1)
        #expect(acc.nonIP == Tally(packets: 1, bytes: 42))
        #expect(acc.nonIPByEtherType.first?.etherType == .arp)
        #expect(acc.undecodable == Tally(packets: 2, bytes: 110))
        #expect(acc.undecodableBy.count == 2)
        #expect(acc.otherIP == Tally(packets: 1, bytes: 80))
        #expect(acc.truncated == Tally(packets: 1, bytes: 60))
        #expect(acc.isBalanced)
    }

    @Test func vxlanPacketCountsInCarrierAndInnerFlowButOnceInAccounting() {
        var a = analyzer()
        var p = Pkt()
        let outer = Pkt.header("10.0.0.21", 64000, "10.0.0.22", 64000, proto: .udp, payload: 100)
        let inner = Pkt.header("9.0.1.2", 40000, "9.0.2.3", 6379, proto: .tcp, flags: SYN)
        var s = Pkt.summary(outer)
        s.inner = inner
        s.tunnelDepth = 1
        s.tunnel = .vxlan
        a.process(p.record(wire: 124), summary: s)
        let snap = a.snapshot()
        #expect(snap.flows.count == 2)
        let carrier = snap.flows.first { $0.proto == .udp }!
        let innerFlow = snap.flows.first { $0.proto == .tcp }!
        #expect(carrier.carries == .vxlan && carrier.component == "Navstar")
        #expect(carrier.verdict == .expected)    // a carrier is never blocked-drop
        #expect(innerFlow.tunnel == .vxlan && innerFlow.serverPort == 6379)
        #expect(snap.accounting.flows.packets == 1 && snap.accounting.tunnelled.packets == 1)
        #expect(snap.accounting.isBalanced)
    }

    @Test func greCarrierIsAFlowWithOrWithoutDecapsulation() {
        for tunnels in [true, false] {
            var config = AnalyzerConfiguration(catalog: testCatalog())
            config.tunnels = tunnels
            var a = FlowAnalyzer(configuration: config)
            var p = Pkt()
            var outer = Pkt.header("192.0.2.1", 0, "192.0.2.2", 0, proto: .gre)
            outer.hasPorts = false
            let inner = Pkt.header("10.0.0.21", 40000, "10.0.0.11", 5050, proto: .tcp, flags: SYN)
            var s = Pkt.summary(outer)
            s.inner = inner
            s.tunnelDepth = 1
            s.tunnel = .gre
            a.process(p.record(wire: 100), summary: s)
            let snap = a.snapshot()
            #expect(snap.flows.count == (tunnels ? 2 : 1))
            #expect(snap.flows[0].proto == .gre && snap.flows[0].carries == .gre)
            #expect(snap.flows[0].verdicts == [.unexpectedPort])   // never blocked-drop: a carrier
            if tunnels { #expect(snap.flows[1].tunnel == .gre && snap.flows[1].component == "Mesos Master") }
            #expect(snap.accounting.flows.packets == 1 && snap.accounting.isBalanced)
        }
    }
}
