import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports
import Testing

/// Goldens from packets built here (no capture involved): every verdict, IPv4 and IPv6, a VLAN
/// stack, a VXLAN carrier and its inner flow, an ICMP error, non-IP and undecodable frames.
func syntheticSnapshot() -> AnalysisSnapshot { syntheticAnalyzer().snapshot() }

func syntheticAnalyzer() -> FlowAnalyzer {
    func entry(_ component: String, _ t: Transport, _ ports: ClosedRange<UInt16>, _ roles: [String],
               scope: Scope = .any, destinations: [String] = [], overlay: Bool = false) -> CatalogEntry {
        CatalogEntry(catalogID: "demo", component: component, transport: t, ports: ports, roles: roles, scope: scope,
                     destinations: destinations, overlay: overlay)
    }
    let catalog = CompiledCatalog([Catalog(id: "demo", roleNames: ["master", "agent"], entries: [
        entry("Master API", .tcp, 5050...5050, ["master"]),
        entry("Agent API", .tcp, 5051...5051, ["agent"]),
        entry("DNS", .udp, 53...53, ["master"]),
        entry("Grid", .tcp, 5701...5711, ["master"], scope: .cluster),
        entry("Overlay", .udp, 64000...64000, ["master", "agent"], overlay: true),
        entry("Task ports", .tcp, 10000...20000, ["agent"]),
        entry("Control", .tcp, 443...443, ["master"], scope: .outbound, destinations: ["192.0.2.10"]),
    ])])
    func host(_ a: String, _ n: String, _ bits: UInt64) -> InventoryHost {
        let (addr, v) = IPAddress.parse(a)!
        return InventoryHost(name: n, address: addr, prefixLength: v == 4 ? 32 : 128, version: v, roles: RoleSet(bits: bits))
    }
    let inventory = Inventory(
        hosts: [host("10.0.0.1", "m1", 1), host("fd00::1", "m1", 1), host("10.0.0.2", "a1", 2), host("10.0.0.3", "a2", 2)],
        networks: [IPNetwork(address: IPAddress.parse("10.0.0.0")!.address, prefixLength: 24, version: 4)])
    var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory))
    _ = a.addSource(name: "synthetic-1.pcap")
    _ = a.addSource(name: "synthetic-2.pcap")
    var frame: UInt64 = 0
    var source: UInt32 = 0
    func header(_ src: String, _ sp: UInt16, _ dst: String, _ dp: UInt16, _ proto: IPProtocol, _ flags: UInt16? = nil,
                _ payload: UInt32 = 0) -> IPHeaderSummary {
        var h = IPHeaderSummary()
        let (s, v) = IPAddress.parse(src)!
        h.version = v
        h.source = s
        h.destination = IPAddress.parse(dst)!.address
        h.proto = proto
        h.hasPorts = proto.hasPorts
        h.sourcePort = sp
        h.destinationPort = dp
        if let flags { h.hasTCPFlags = true; h.tcpFlags = flags }
        h.transportPayloadLength = payload
        return h
    }
    func feed(_ s: PacketSummary, _ wire: UInt32) {
        frame += 1
        a.process(CaptureRecord(timestampNanos: 1_700_000_000_000_000_000 + Int64(frame) * 1_000_000, capturedLength: wire,
                                originalLength: wire, frameNumber: frame, sourceIndex: source), summary: s)
    }
    func ip(_ h: IPHeaderSummary, vlans: [UInt16] = []) -> PacketSummary {
        var s = PacketSummary()
        s.etherType = h.version == 6 ? .ipv6 : .ipv4
        s.outer = h
        s.inner = h
        s.vlanCount = UInt8(vlans.count)
        if vlans.count > 0 { s.vlans.0 = vlans[0] }
        if vlans.count > 1 { s.vlans.1 = vlans[1] }
        return s
    }
    /// Sequence numbers as a TCP stack sends them (SYN and FIN count one), an open window.
    func numbered(_ h: inout IPHeaderSummary, fromClient: Bool, _ f: UInt16, _ payload: UInt32,
                  _ seqs: inout (client: UInt32, server: UInt32)) {
        // A repeated SYN is a retransmission: the same initial number.
        if f == 0x02 { seqs.client = 1_000 }
        h.tcpSeq = fromClient ? seqs.client : seqs.server
        h.tcpAck = f & 0x10 != 0 ? (fromClient ? seqs.server : seqs.client) : 0
        h.tcpWindow = 64_240
        let used = payload + (f & 0x02 != 0 ? 1 : 0) + (f & 0x01 != 0 ? 1 : 0)
        if fromClient { seqs.client &+= used } else { seqs.server &+= used }
    }
    func tcp(_ c: String, _ cp: UInt16, _ s: String, _ sp: UInt16, _ flags: [(Bool, UInt16, UInt32)], vlans: [UInt16] = []) {
        var seqs: (client: UInt32, server: UInt32) = (1_000, 5_000)
        for (fromClient, f, payload) in flags {
            var h = fromClient ? header(c, cp, s, sp, .tcp, f, payload) : header(s, sp, c, cp, .tcp, f, payload)
            numbered(&h, fromClient: fromClient, f, payload, &seqs)
            feed(ip(h, vlans: vlans), 66 + payload)
        }
    }
    let handshake: [(Bool, UInt16, UInt32)] = [(true, 0x02, 0), (false, 0x12, 0), (true, 0x10, 0), (true, 0x18, 120),
                                               (false, 0x18, 900), (true, 0x11, 0), (false, 0x11, 0), (true, 0x10, 0)]
    tcp("10.0.0.2", 40001, "10.0.0.1", 5050, handshake)                       // expected
    tcp("10.0.0.1", 40002, "10.0.0.2", 5050, handshake)                       // wrong-role
    tcp("10.0.0.2", 40003, "10.0.0.1", 25, handshake)                         // unexpected-port
    tcp("198.51.100.7", 40004, "10.0.0.1", 5701, handshake)                   // outside-to-internal
    tcp("10.0.0.2", 40005, "10.0.0.1", 5050, [(true, 0x02, 0), (true, 0x02, 0)])   // blocked-drop
    tcp("10.0.0.2", 40006, "10.0.0.1", 5050, [(true, 0x02, 0), (false, 0x14, 0)])  // blocked-rst
    tcp("fd00::2", 40007, "fd00::1", 5050, handshake, vlans: [300, 100])      // IPv6, QinQ
    tcp("10.0.0.1", 40008, "192.0.2.10", 443, handshake)                      // outbound
    tcp("10.0.0.1", 5050, "10.0.0.3", 40009, [(true, 0x18, 10), (false, 0x10, 0)])  // mid-stream
    // UDP answered, UDP unanswered, UDP refused by ICMP.
    feed(ip(header("10.0.0.2", 50000, "10.0.0.1", 53, .udp, nil, 30)), 72)
    feed(ip(header("10.0.0.1", 53, "10.0.0.2", 50000, .udp, nil, 60)), 102)
    feed(ip(header("10.0.0.2", 50001, "10.0.0.1", 53, .udp, nil, 30)), 72)
    feed(ip(header("10.0.0.2", 50002, "10.0.0.1", 9999, .udp, nil, 5)), 47)
    var icmp = header("10.0.0.1", 0, "10.0.0.2", 0, .icmp)
    icmp.hasICMP = true
    icmp.icmpType = 3
    icmp.icmpCode = 3
    var e = ip(icmp)
    e.quoted.version = 4
    e.quoted.source = IPAddress.parse("10.0.0.2")!.address
    e.quoted.destination = IPAddress.parse("10.0.0.1")!.address
    e.quoted.proto = .udp
    e.quoted.hasPorts = true
    e.quoted.sourcePort = 50002
    e.quoted.destinationPort = 9999
    feed(e, 75)
    // VXLAN on the overlay port carrying a task connection.
    var innerSeqs: (client: UInt32, server: UInt32) = (1_000, 5_000)
    for (fromClient, f, payload) in handshake {
        var outer = header(fromClient ? "10.0.0.2" : "10.0.0.3", 64000, fromClient ? "10.0.0.3" : "10.0.0.2", 64000, .udp, nil,
                           payload + 70)
        outer.transportPayloadLength = payload + 62
        var inner = fromClient ? header("9.0.0.2", 40010, "9.0.0.3", 12000, .tcp, f, payload)
            : header("9.0.0.3", 12000, "9.0.0.2", 40010, .tcp, f, payload)
        numbered(&inner, fromClient: fromClient, f, payload, &innerSeqs)
        var s = ip(outer)
        s.inner = inner
        s.tunnelDepth = 1
        s.tunnel = .vxlan
        feed(s, 116 + payload)
    }
    var arp = PacketSummary()
    arp.etherType = .arp
    feed(arp, 42)
    var bad = PacketSummary()
    bad.stop = DecodeError(layer: .ipv4, reason: .badHeaderLength, offset: 14)
    feed(bad, 60)
    // The second vantage point sees the expected flow again, with fewer packets.
    source = 1
    frame = 0
    tcp("10.0.0.2", 40001, "10.0.0.1", 5050, Array(handshake.prefix(3)))
    return a
}

@Suite struct SyntheticGoldenTests {
    @Test(arguments: ReportFormat.allCases)
    func everyVerdictInEveryFormat(_ format: ReportFormat) throws {
        let s = syntheticSnapshot()
        #expect(s.accounting.isBalanced)
        let ext = format == .table ? "txt" : format.rawValue
        try checkGolden(render(s, format: format), "synthetic.\(ext)")
    }

    @Test func syntheticCoversEveryVerdict() {
        let s = syntheticSnapshot()
        let seen = Set(s.flows.flatMap(\.verdicts))
        #expect(seen == Set(Verdict.allCases))
    }
}

@Suite struct StreamingTests {
    /// The streamed table (running summary, no records kept) and streamed coverage are the same as
    /// the report of the whole snapshot.
    @Test func streamedTableEqualsTheWholeSnapshotTable() {
        let a = syntheticAnalyzer()
        var summary = TableSummary()
        var streamed: [FlowRecord] = []
        let s = a.snapshot { f in
            summary.add(f)
            streamed.append(f)
        }
        #expect(s.flows.isEmpty)
        var text = ""
        writeTable(s, summary: summary, to: &text)
        let whole = a.snapshot()
        #expect(text == render(whole, format: .table))
        #expect(streamed == whole.flows)
        #expect(s.hosts == whole.hosts && s.outbound == whole.outbound)

        // From summaries (records built only for new components and listed problems): the same table.
        var fromSummaries = TableSummary()
        var built = 0
        let s2 = a.snapshot(streamingSummaries: { f, record in
            fromSummaries.add(f, record: { built += 1; return record() })
            let r = record()
            #expect(f.verdict == r.verdict && Verdict.bits(r.verdicts) == f.verdictBits && f.entryID == r.entryID)
            #expect(f.packets == r.packets && f.bytes == r.bytes && f.client == r.client && f.server == r.server)
        })
        fromSummaries.resolveExamples { positions in
            built += positions.count
            return a.flowRecords(at: positions)
        }
        var text2 = ""
        writeTable(s2, summary: fromSummaries, to: &text2)
        #expect(text2 == text)
        #expect(s2.hosts == whole.hosts && s2.outbound == whole.outbound)
        #expect(built < streamed.count)

        var json = ""
        var stream = JSONReportStream(a.snapshot(includeFlows: false), to: &json)
        let tail = a.snapshot { stream.add($0, to: &json) }
        stream.finish(tail, to: &json)
        #expect(json == render(whole, format: .json))
    }
}

@Suite struct TimestampTests {
    /// JSON and CSV write timestamps as bytes; they read as `timestampText` does.
    @Test func bytesMatchTimestampText() throws {
        var f = try #require(syntheticSnapshot().flows.first)
        let column = try #require(csvHeader.firstIndex(of: "first_ts"))
        for v: Int64 in [0, 1, 999, 1_000, 1_000_000_000, 1_700_000_000_123_456_789, -1, -1_500_000, -2_000_000_999,
                         Int64.max, Int64.min + 1] {
            f.firstTimestamp = v
            let row = renderFlow(f, format: .csv, sourceNames: ["a"]).dropLast().split(separator: ",", omittingEmptySubsequences: false)
            #expect(String(row[column]) == timestampText(v))
            let line = renderFlow(f, format: .jsonl, sourceNames: ["a"])
            #expect(line.contains("\"first_ts\":\(timestampText(v)),"))
        }
    }
}

@Suite struct EscapingTests {
    /// Names from user catalogs may hold quotes, commas, backslashes and control characters: JSON
    /// and CSV stay parseable and give the name back unchanged.
    @Test func awkwardNamesRoundTrip() throws {
        var f = try #require(syntheticSnapshot().flows.first)
        let name = "Odd \"name\", with\\ back\tslash\nand \u{1} bell — ünï"
        f.component = name
        f.firstTimestamp = -1_500_000
        let line = renderFlow(f, format: .jsonl, sourceNames: ["a.pcap"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(obj["component"] as? String == name)
        #expect((obj["first_ts"] as? NSNumber)?.doubleValue == -0.0015)
        #expect((obj["client_bytes"] as? NSNumber)?.uint64Value == f.clientBytes)
        // CSV is read by people and spreadsheets: control characters are shown escaped
        // (Sanitize.csvText), quotes and commas quoted; a negative timestamp stays a number.
        let row = renderFlow(f, format: .csv, sourceNames: ["a.pcap"])
        #expect(row.contains("\"Odd \"\"name\"\", with\\ back\\tslash\\nand \\x01 bell — ünï\""), "\(row)")
        #expect(row.contains(",-0.001500,"))
    }
}
