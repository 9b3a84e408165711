import FlowAnalysis
import PacketWire

/// A tiny JSON writer: keys in the order written, strings escaped per RFC 8259.
struct JSONWriter {
    var out: String
    var needComma: [Bool] = [false]

    init(into s: String = "") { out = s }

    mutating func comma() {
        if needComma[needComma.count - 1] { out += "," }
        needComma[needComma.count - 1] = true
    }

    mutating func key(_ k: String) {
        comma()
        appendString(k)
        out += ":"
        needComma[needComma.count - 1] = false
    }

    mutating func beginObject(_ k: String? = nil) {
        if let k { key(k) } else { comma() }
        out += "{"
        needComma[needComma.count - 1] = true
        needComma.append(false)
    }

    mutating func endObject() {
        needComma.removeLast()
        out += "}"
    }

    mutating func beginArray(_ k: String? = nil) {
        if let k { key(k) } else { comma() }
        out += "["
        needComma[needComma.count - 1] = true
        needComma.append(false)
    }

    mutating func endArray() {
        needComma.removeLast()
        out += "]"
    }

    mutating func value(_ s: String?) {
        comma()
        if let s { appendString(s) } else { out += "null" }
    }

    mutating func value<I: BinaryInteger>(_ n: I) {
        comma()
        out += String(n)
    }

    mutating func value(_ b: Bool) {
        comma()
        out += b ? "true" : "false"
    }

    mutating func raw(_ text: String) {
        comma()
        out += text
    }

    mutating func field(_ k: String, _ s: String?) { key(k); value(s) }
    mutating func field<I: BinaryInteger>(_ k: String, _ n: I) { key(k); value(n) }
    mutating func field(_ k: String, _ b: Bool) { key(k); value(b) }
    mutating func field(_ k: String, _ list: [String]) {
        beginArray(k)
        for s in list { value(s) }
        endArray()
    }

    mutating func appendString(_ s: String) {
        // Fast path: nothing to escape (the common case: names, addresses, verdicts).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// One flow as a JSON object (the fields of JSON Lines, CSV and the `flows` array of JSON).
func flowJSON(_ f: FlowRecord, sourceNames: [String], into out: inout String) {
    var w = JSONWriter(into: out)
    writeFlow(f, sourceNames: sourceNames, &w)
    out = w.out
}

func writeFlow(_ f: FlowRecord, sourceNames: [String], _ w: inout JSONWriter) {
    w.beginObject()
    w.field("proto", protoName(f.proto))
    w.field("ip_version", f.ipVersion)
    w.field("client", addressText(f.client, f.ipVersion))
    w.field("client_port", f.clientPort)
    w.field("server", addressText(f.server, f.ipVersion))
    w.field("server_port", f.serverPort)
    w.field("client_name", f.clientName)
    w.field("server_name", f.serverName)
    w.field("client_roles", f.clientRoles)
    w.field("server_roles", f.serverRoles)
    w.field("component", f.component)
    w.field("catalog", f.catalogID)
    w.field("candidates", f.candidates)
    w.field("verdict", f.verdict.rawValue)
    w.field("verdicts", f.verdicts.map(\.rawValue))
    w.beginArray("evidence")
    for e in f.evidence {
        w.beginObject()
        w.field("verdict", e.verdict.rawValue)
        w.beginArray("frames")
        for fr in e.frames { w.value(fr) }
        w.endArray()
        w.field("confidence", e.confidence.rawValue)
        w.field("note", e.note)
        w.endObject()
    }
    w.endArray()
    w.field("state", f.state.rawValue)
    w.field("history", f.history)
    w.field("direction", f.direction.rawValue)
    w.field("client_packets", f.clientPackets)
    w.field("server_packets", f.serverPackets)
    w.field("client_bytes", f.clientBytes)
    w.field("server_bytes", f.serverBytes)
    w.field("client_payload_bytes", f.clientPayloadBytes)
    w.field("server_payload_bytes", f.serverPayloadBytes)
    if f.proto == .tcp {
        w.field("client_flags", tcpFlagsText(f.clientTCPFlags))
        w.field("server_flags", tcpFlagsText(f.serverTCPFlags))
    } else {
        w.field("client_flags", nil as String?)
        w.field("server_flags", nil as String?)
    }
    w.field("icmp_errors", f.icmpErrors)
    w.key("first_ts"); w.raw(timestampText(f.firstTimestamp))
    w.key("last_ts"); w.raw(timestampText(f.lastTimestamp))
    w.field("first_frame", f.firstFrame)
    w.field("vlan", vlanText(f))
    w.field("tunnel", tunnelText(f.tunnel))
    w.field("carries", tunnelText(f.carries))
    let names = fileNames(f, sourceNames)
    w.field("evidence_file", Int(f.evidenceSource) < sourceNames.count ? sourceNames[Int(f.evidenceSource)] : nil)
    w.field("files", names)
    w.endObject()
}

func writeTally(_ k: String, _ t: Tally, _ w: inout JSONWriter) {
    w.beginObject(k)
    w.field("packets", t.packets)
    w.field("bytes", t.bytes)
    w.endObject()
}

func writeAccounting(_ a: Accounting, _ w: inout JSONWriter) {
    w.beginObject("accounting")
    writeTally("total", a.total, &w)
    writeTally("flows", a.flows, &w)
    writeTally("icmp_errors_matched", a.icmpMatched, &w)
    writeTally("other_ip", a.otherIP, &w)
    writeTally("non_ip", a.nonIP, &w)
    writeTally("undecodable", a.undecodable, &w)
    w.field("balanced", a.isBalanced)
    writeTally("truncated", a.truncated, &w)
    writeTally("truncated_in_flows", a.truncatedInFlows, &w)
    writeTally("tunnelled", a.tunnelled, &w)
    writeTally("fragments", a.fragments, &w)
    writeTally("icmp_errors_unmatched", a.icmpUnmatched, &w)
    w.beginArray("other_ip_by_protocol")
    for (p, t) in a.otherIPByProtocol {
        w.beginObject()
        w.field("proto", protoName(p))
        w.field("packets", t.packets)
        w.field("bytes", t.bytes)
        w.endObject()
    }
    w.endArray()
    w.beginArray("non_ip_by_ethertype")
    for (e, t) in a.nonIPByEtherType {
        w.beginObject()
        w.field("ethertype", etherTypeText(e))
        w.field("packets", t.packets)
        w.field("bytes", t.bytes)
        w.endObject()
    }
    w.endArray()
    w.beginArray("undecodable_by")
    for (l, r, t) in a.undecodableBy {
        w.beginObject()
        w.field("layer", l.description)
        w.field("reason", r.description)
        w.field("packets", t.packets)
        w.field("bytes", t.bytes)
        w.endObject()
    }
    w.endArray()
    w.field("evicted_flows", a.evictedFlows)
    w.endObject()
}

func etherTypeText(_ e: EtherType) -> String {
    switch e {
    case .arp: "arp"
    case .rarp: "rarp"
    case .lldp: "lldp"
    case .pppoeDiscovery: "pppoe-discovery"
    default: "0x" + String(repeating: "0", count: 4 - String(e.rawValue, radix: 16).count) + String(e.rawValue, radix: 16)
    }
}

func entryJSON(_ e: EntryRef, _ w: inout JSONWriter) {
    w.beginObject()
    w.field("catalog", e.catalogID)
    w.field("component", e.component)
    w.field("proto", protoName(e.proto))
    w.field("ports", e.ports)
    w.endObject()
}

func writeJSON<Out: TextOutputStream>(_ s: AnalysisSnapshot, to out: inout Out) {
    var w = JSONWriter()
    w.beginObject()
    w.beginArray("sources")
    for src in s.sources {
        w.beginObject()
        w.field("name", src.name)
        w.field("packets", src.packets)
        w.field("bytes", src.bytes)
        w.field("error", src.error)
        w.endObject()
    }
    w.endArray()
    w.field("inventory", s.inventoryKnown)
    w.field("vlan_in_key", s.vlanInKey)
    w.field("flow_count", s.flows.count)
    w.beginObject("verdict_counts")
    for (v, n) in s.verdictCounts { w.field(v.rawValue, n) }
    w.endObject()
    writeAccounting(s.accounting, &w)
    w.beginArray("hosts")
    for h in s.hosts {
        w.beginObject()
        w.field("name", h.name)
        w.field("addresses", h.addresses)
        w.field("roles", h.roles)
        w.beginArray("exercised")
        for e in h.exercised { entryJSON(e, &w) }
        w.endArray()
        w.beginArray("unexercised")
        for e in h.unexercised { entryJSON(e, &w) }
        w.endArray()
        w.endObject()
    }
    w.endArray()
    w.beginArray("outbound")
    for o in s.outbound {
        w.beginObject()
        w.field("name", o.name)
        w.field("address", o.address)
        w.field("component", o.entry.component)
        w.field("catalog", o.entry.catalogID)
        w.field("reached", o.reached)
        w.field("attempts", o.attempts)
        w.endObject()
    }
    w.endArray()
    w.beginArray("flows")
    out.write(w.out)
    w.out = ""
    let names = s.sources.map(\.name)
    for f in s.flows {
        writeFlow(f, sourceNames: names, &w)
        if w.out.utf8.count > 1 << 16 {
            out.write(w.out)
            w.out = ""
        }
    }
    w.endArray()
    w.endObject()
    w.out += "\n"
    out.write(w.out)
}

// MARK: - Live: one compact line per interval

/// What the live loop knows about an interval besides the flows.
public struct IntervalStats: Sendable {
    public var startNanos: Int64
    public var endNanos: Int64
    public var packets: UInt64
    public var bytes: UInt64
    /// Kernel / interface drops reported by the capture during the interval, when known.
    public var kernelDrops: UInt64?
    public var interfaceDrops: UInt64?
    public init(startNanos: Int64, endNanos: Int64, packets: UInt64 = 0, bytes: UInt64 = 0,
                kernelDrops: UInt64? = nil, interfaceDrops: UInt64? = nil) {
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.packets = packets
        self.bytes = bytes
        self.kernelDrops = kernelDrops
        self.interfaceDrops = interfaceDrops
    }
}

/// One JSON line for a live interval: packets, drops, flow counts per component and per verdict
/// over `flows` (e.g. the snapshot's flows plus those expired in the interval), and the problem
/// flows first seen in the interval (full flow objects). No trailing newline.
public func intervalJSONLine(_ interval: IntervalStats, flows: [FlowRecord], newProblems: [FlowRecord],
                             sourceNames: [String] = [], evictedFlows: UInt64 = 0) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.key("start"); w.raw(timestampText(interval.startNanos))
    w.key("end"); w.raw(timestampText(interval.endNanos))
    w.field("packets", interval.packets)
    w.field("bytes", interval.bytes)
    w.key("kernel_drops")
    if let d = interval.kernelDrops { w.value(d) } else { w.raw("null") }
    w.key("interface_drops")
    if let d = interval.interfaceDrops { w.value(d) } else { w.raw("null") }
    w.field("evicted_flows", evictedFlows)
    w.field("flows", flows.count)
    var byComponent: [String: Int] = [:]
    var byVerdict = [Int](repeating: 0, count: Verdict.allCases.count)
    for f in flows {
        byComponent[f.component ?? "(none)", default: 0] += 1
        byVerdict[f.verdict.rank] += 1
    }
    w.beginObject("components")
    for k in byComponent.keys.sorted() { w.field(k, byComponent[k]!) }
    w.endObject()
    w.beginObject("verdicts")
    for v in Verdict.allCases where byVerdict[v.rank] > 0 { w.field(v.rawValue, byVerdict[v.rank]) }
    w.endObject()
    w.beginArray("new_problems")
    for f in newProblems { writeFlow(f, sourceNames: sourceNames, &w) }
    w.endArray()
    w.endObject()
    return w.out
}
