import FlowAnalysis
import PacketWire
import PortCatalog

/// Builds decoded packets for the analyzer without a decoder.
struct Pkt {
    var frame: UInt64 = 0
    var source: UInt32 = 0
    /// Next sequence number per direction ("src:sport>dst:dport") and the last SYN's, so TCP
    /// packets fed with `FlowAnalyzer.tcp` are numbered as a stack numbers them.
    var nextSeq: [String: UInt32] = [:]
    var synSeq: [String: UInt32] = [:]

    /// Numbers a TCP header: the sender's next sequence number (a SYN right after a SYN is its
    /// retransmission: the same number), the receiver's as acknowledgement.
    mutating func number(_ h: inout IPHeaderSummary, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16) {
        let key = "\(src):\(sport)>\(dst):\(dport)", back = "\(dst):\(dport)>\(src):\(sport)"
        let f = h.tcpFlags
        var seq = nextSeq[key] ?? UInt32(truncatingIfNeeded: key.utf8.reduce(7) { $0 &* 31 &+ Int($1) }) & 0xFFFF_F000
        if f & 0x12 == 0x02, let s = synSeq[key], nextSeq[key] == s &+ 1 { seq = s }
        if f & 0x02 != 0 { synSeq[key] = seq }
        h.tcpSeq = seq
        h.tcpAck = f & 0x10 != 0 ? nextSeq[back] ?? 0 : 0
        let used = (f & 0x04 != 0 ? 0 : h.transportPayloadLength) + (f & 0x02 != 0 ? 1 : 0) + (f & 0x01 != 0 ? 1 : 0)
        nextSeq[key] = seq &+ used
    }

    static func v4(_ s: String) -> IPAddress { IPAddress.parse(s)!.address }

    static func header(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, proto: IPProtocol,
                       flags: UInt16? = nil, payload: UInt32 = 0) -> IPHeaderSummary {
        var h = IPHeaderSummary()
        let (s, v) = IPAddress.parse(src)!
        h.version = v
        h.source = s
        h.destination = IPAddress.parse(dst)!.address
        h.proto = proto
        if proto.hasPorts {
            h.hasPorts = true
            h.sourcePort = sport
            h.destinationPort = dport
        }
        if let flags {
            h.hasTCPFlags = true
            h.tcpFlags = flags
            h.tcpWindow = 65_535  // an open window (0 would be a zero-window letter)
        }
        h.transportPayloadLength = payload
        return h
    }

    static func summary(_ h: IPHeaderSummary, vlan: UInt16? = nil) -> PacketSummary {
        var s = PacketSummary()
        s.etherType = h.version == 6 ? .ipv6 : .ipv4
        s.outer = h
        s.inner = h
        if let vlan {
            s.vlanCount = 1
            s.vlans.0 = vlan
        }
        return s
    }

    mutating func record(wire: UInt32 = 100, ts: Int64? = nil) -> CaptureRecord {
        frame += 1
        return CaptureRecord(timestampNanos: ts ?? Int64(frame) * 1_000_000, capturedLength: wire,
                             originalLength: wire, frameNumber: frame, sourceIndex: source)
    }
}

let SYN: UInt16 = 0x02
let SYNACK: UInt16 = 0x12
let ACK: UInt16 = 0x10
let PSHACK: UInt16 = 0x18
let FINACK: UInt16 = 0x11
let RST: UInt16 = 0x04
let RSTACK: UInt16 = 0x14

extension FlowAnalyzer {
    /// Feeds a TCP packet.
    mutating func tcp(_ p: inout Pkt, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, _ flags: UInt16,
                      payload: UInt32 = 0, wire: UInt32 = 66, vlan: UInt16? = nil) {
        var h = Pkt.header(src, sport, dst, dport, proto: .tcp, flags: flags, payload: payload)
        p.number(&h, src, sport, dst, dport)
        process(p.record(wire: wire), summary: Pkt.summary(h, vlan: vlan))
    }

    mutating func udp(_ p: inout Pkt, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                      payload: UInt32 = 20, wire: UInt32 = 62) {
        let h = Pkt.header(src, sport, dst, dport, proto: .udp, payload: payload)
        process(p.record(wire: wire), summary: Pkt.summary(h))
    }

    /// An ICMP destination unreachable from `from` quoting a packet src:sport → dst:dport.
    mutating func unreachable(_ p: inout Pkt, from: String, to: String, code: UInt8, quoting src: String, _ sport: UInt16,
                              _ dst: String, _ dport: UInt16, proto: IPProtocol, wire: UInt32 = 90) {
        let v6 = from.contains(":")
        var h = Pkt.header(from, 0, to, 0, proto: v6 ? .icmpv6 : .icmp)
        h.hasICMP = true
        h.icmpType = v6 ? 1 : 3
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

/// A small catalog in the shape of DC/OS and Dynatrace, built in code: roles dcos-master (bit 0),
/// dcos-agent (bit 1), dynatrace-node (bit 2).
func testCatalog() -> CompiledCatalog {
    func entry(_ catalog: String, _ component: String, _ t: Transport, _ ports: ClosedRange<UInt16>, _ roles: [String],
               scope: Scope = .any, destinations: [String] = [], overlay: Bool = false) -> CatalogEntry {
        CatalogEntry(catalogID: catalog, component: component, transport: t, ports: ports, roles: roles, scope: scope,
                     destinations: destinations, overlay: overlay)
    }
    let master = "dcos-master", agent = "dcos-agent", node = "dynatrace-node"
    let dcos = Catalog(id: "dcos", roleNames: [master, agent], entries: [
        entry("dcos", "Mesos Master", .tcp, 5050...5050, [master]),
        entry("dcos", "Mesos Agent", .tcp, 5051...5051, [agent]),
        entry("dcos", "Admin Router", .tcp, 443...443, [master]),
        entry("dcos", "DNS Dispatcher", .udp, 53...53, [master]),
        entry("dcos", "Agent tasks", .tcp, 5052...8079, [agent]),
        entry("dcos", "Navstar", .udp, 64000...64000, [master, agent], overlay: true),
    ])
    let dt = Catalog(id: "dt", roleNames: [node], entries: [
        entry("dt", "Dynatrace UI", .tcp, 443...443, [node]),
        entry("dt", "Hazelcast", .tcp, 5701...5711, [node], scope: .cluster),
        entry("dt", "Mission Control", .tcp, 443...443, [node], scope: .outbound,
              destinations: ["mcsvc.dynatrace.com", "52.5.224.56"]),
    ])
    return CompiledCatalog([dcos, dt])
}

/// Five named hosts in 10.0.0.0/24, the cluster's network.
func testInventory() -> Inventory {
    func host(_ a: String, _ name: String, _ bits: UInt64) -> InventoryHost {
        InventoryHost(name: name, address: Pkt.v4(a), prefixLength: 32, version: 4, roles: RoleSet(bits: bits))
    }
    return Inventory(
        hosts: [host("10.0.0.11", "master-1", 1), host("10.0.0.21", "agent-1", 2), host("10.0.0.22", "agent-2", 2),
                host("10.0.0.31", "node-1", 4), host("10.0.0.32", "node-2", 4)],
        networks: [IPNetwork(address: Pkt.v4("10.0.0.0"), prefixLength: 24, version: 4)])
}

func analyzer(inventory: Bool = true, vlanInKey: Bool = true) -> FlowAnalyzer {
    var a = FlowAnalyzer(configuration: AnalyzerConfiguration(
        catalog: testCatalog(), inventory: inventory ? testInventory() : Inventory(), vlanInKey: vlanInKey))
    _ = a.addSource(name: "test.pcap")
    return a
}
