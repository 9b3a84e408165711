import FlowAnalysis
import PacketWire

/// A tiny JSON writer into UTF-8 bytes (appending to a `String` is several times slower): keys in
/// the order written, strings escaped per RFC 8259.
struct JSONWriter {
    var bytes = ByteBuffer()
    /// Per open container (bit = nesting depth, at most 64): whether a value was written, so the
    /// next one needs a comma.
    var needComma: UInt64 = 0
    var depth: UInt64 = 0

    init() {}

    /// The text so far.
    var out: String { bytes.string }

    /// Hands the text written so far to `sink` and starts over (keeping the nesting).
    mutating func flush<Out: TextOutputStream>(to sink: inout Out) {
        bytes.flush(to: &sink)
    }

    @inline(__always) mutating func ascii(_ s: StaticString) {
        bytes.append(s)
    }

    /// Appends a string's UTF-8 bytes (one copy from its contiguous storage when it has one).
    @inline(__always) mutating func utf8(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func comma() {
        let bit: UInt64 = 1 << (depth & 63)
        if needComma & bit != 0 { bytes.append(0x2C) }
        needComma |= bit
    }

    /// Keys are this file's own literals: nothing to escape. Written with one capacity check
    /// (≈ 40 keys a flow: this is most of a JSON Lines line's cost).
    @inline(__always) mutating func key(_ k: StaticString) {
        let bit: UInt64 = 1 << (depth & 63)
        let n = k.utf8CodeUnitCount
        let s = bytes.storage
        if s.capacity &- s.count < n &+ 4 { s.grow(n &+ 4) }
        var p = s.base + s.count
        if needComma & bit != 0 { p.pointee = 0x2C; p += 1 }
        p.pointee = 0x22
        (p + 1).update(from: k.utf8Start, count: n)
        p += n &+ 1
        p[0] = 0x22
        p[1] = 0x3A
        s.count = p + 2 - s.base
        // The value's comma() sets the bit again without writing a comma.
        needComma &= ~bit
    }

    /// A key made at run time (verdict and component names), written as the literal keys are.
    mutating func key(text k: String) {
        comma()
        bytes.append(0x22)
        utf8(k)
        bytes.append(0x22)
        bytes.append(0x3A)
        needComma &= ~(1 << (depth & 63))
    }

    mutating func open(_ bracket: UInt8) {
        bytes.append(bracket)
        needComma |= 1 << (depth & 63)
        depth += 1
        needComma &= ~(1 << (depth & 63))
    }

    mutating func close(_ bracket: UInt8) {
        depth -= 1
        bytes.append(bracket)
    }

    mutating func beginObject(_ k: StaticString) {
        key(k)
        open(0x7B)
    }

    mutating func beginObject() {
        comma()
        open(0x7B)
    }

    mutating func endObject() { close(0x7D) }

    mutating func beginArray(_ k: StaticString) {
        key(k)
        open(0x5B)
    }

    mutating func beginArray() {
        comma()
        open(0x5B)
    }

    mutating func endArray() { close(0x5D) }

    mutating func value(_ s: String?) {
        comma()
        if let s { appendString(s) } else { ascii("null") }
    }

    mutating func value<I: BinaryInteger>(_ n: I) {
        comma()
        appendInteger(n)
    }

    mutating func value(_ b: Bool) {
        comma()
        if b { ascii("true") } else { ascii("false") }
    }

    mutating func raw(_ text: String) {
        comma()
        utf8(text)
    }

    /// Seconds since the epoch with microseconds, unquoted (`timestampText`, without a String).
    mutating func timestamp(_ nanos: Int64) {
        comma()
        appendTimestamp(nanos, to: &bytes)
    }

    /// Ends a JSON Lines line: a newline, and the next object starts without a comma.
    mutating func endLine() {
        bytes.append(0x0A)
        needComma = 0
    }

    /// An address as a JSON string, formatted straight into the buffer (never needs escaping).
    mutating func address(_ k: StaticString, _ a: IPAddress, _ version: UInt8) {
        key(k)
        comma()
        bytes.append(0x22)
        a.withText(version: version) { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
    }

    mutating func field(_ k: StaticString, _ s: String?) { key(k); value(s) }
    mutating func field<I: BinaryInteger>(_ k: StaticString, _ n: I) { key(k); value(n) }
    mutating func field(_ k: StaticString, _ b: Bool) { key(k); value(b) }
    mutating func field(_ k: StaticString, _ list: [String]) {
        beginArray(k)
        for s in list { value(s) }
        endArray()
    }

    mutating func appendInteger<I: BinaryInteger>(_ n: I) { appendDecimal(n, to: &bytes) }

    /// `s` as a JSON string literal: the one escaper of every JSON Portolan prints.
    static func quoted(_ s: String) -> String {
        var w = JSONWriter()
        w.appendString(s)
        return w.out
    }

    mutating func appendString(_ s: String) { bytes.appendJSONString(s) }
}

/// Appends the decimal digits of `n` (no `String` on the way).
func appendDecimal<I: BinaryInteger, B: ByteAppending>(_ n: I, to bytes: inout B) {
    if n < 0 { bytes.append(0x2D) }
    let m = UInt64(n.magnitude)  // every magnitude written here fits in 64 bits
    if m < 10 {
        bytes.append(0x30 &+ UInt8(m))
        return
    }
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, in a fixed 24-byte buffer
    withUnsafeMutableBytes(of: &digits) { buf in
        let count = writeDecimal(m, buf.baseAddress!.assumingMemoryBound(to: UInt8.self))
        bytes.appendRaw(UnsafeRawBufferPointer(rebasing: buf[..<count]))
    }
}

/// `timestampText` as bytes: "1700000000.123456" (microseconds, six digits), "-1.500000" before 1970.
func appendTimestamp<B: ByteAppending>(_ nanos: Int64, to bytes: inout B) {
    var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 28 bytes at most (`writeTimestamp`)
    withUnsafeMutableBytes(of: &text) { buf in
        let count = writeTimestamp(nanos, buf.baseAddress!.assumingMemoryBound(to: UInt8.self))
        bytes.appendRaw(UnsafeRawBufferPointer(rebasing: buf[..<count]))
    }
}

/// One flow as a JSON object (the fields of JSON Lines, CSV and the `flows` array of JSON).
func flowJSON(_ f: FlowRecord, sourceNames: SourceFiles, into out: inout String) {
    var w = JSONWriter()
    writeFlow(f, sourceNames: sourceNames, &w)
    out += w.out
}

func writeFlow(_ f: FlowRecord, sourceNames: SourceFiles, _ w: inout JSONWriter) {
    w.beginObject()
    w.field("uid", f.uid)
    w.field("community_id", CommunityID.of(f))
    w.field("proto", protoName(f.proto))
    w.field("ip_version", f.ipVersion)
    w.address("client", f.client, f.ipVersion)
    w.field("client_port", f.clientPort)
    w.address("server", f.server, f.ipVersion)
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
    let pieces = sourceNames.inPieces(f)
    w.beginArray("evidence")
    for e in f.evidence {
        w.beginObject()
        w.field("verdict", e.verdict.rawValue)
        w.beginArray("frames")
        if pieces {
            // Frames numbered in their own file: "file" names it, or "files" per frame when they span pieces.
            let located = e.frames.map { sourceNames.locate(f, $0) }
            for l in located { w.value(l.frame) }
            w.endArray()
            let files = located.map { $0.file ?? "" }
            if let first = files.first, files.allSatisfy({ $0 == first }) {
                w.field("file", first)
            } else {
                w.field("files", files)
            }
        } else {
            for fr in e.frames { w.value(fr) }
            w.endArray()
        }
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
    w.field("fragments", f.fragments)
    w.beginArray("icmp")
    for k in f.icmpKinds {
        w.beginObject()
        w.field("type", k.type)
        w.field("code", k.code)
        w.field("count", k.count)
        w.field("first_frame", k.firstFrame)
        w.endObject()
    }
    if f.icmpOtherKinds > 0 {
        w.beginObject()
        w.field("type", nil as String?)
        w.field("code", nil as String?)
        w.field("count", f.icmpOtherKinds)
        w.field("first_frame", nil as String?)
        w.endObject()
    }
    w.endArray()
    w.key("first_ts"); w.timestamp(f.firstTimestamp)
    w.key("last_ts"); w.timestamp(f.lastTimestamp)
    w.key("duration"); w.timestamp(durationNanos(f))
    w.field("first_frame", pieces ? sourceNames.locateInPieces(f, f.firstFrame).frame : f.firstFrame)
    w.beginArray("vlan")
    for v in f.vlans { w.value(v) }
    w.endArray()
    w.field("tunnel", tunnelText(f.tunnel))
    w.field("carries", tunnelText(f.carries))
    w.field("evidence_file", pieces ? sourceNames.locateInPieces(f, f.firstFrame).file : sourceNames.name(f))
    w.field("files", sourceNames.fileNames(f))
    w.endObject()
}

func writeTally(_ k: StaticString, _ t: Tally, _ w: inout JSONWriter) {
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
    // Only with a capture filter that left frames out: reports without one keep their bytes.
    if a.filtered.packets > 0 { writeTally("filtered", a.filtered, &w) }
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
    // [low, high] as in catalog outputs (null: ephemeral).
    if let r = portRange(e.ports) {
        w.beginArray("ports")
        w.value(r.low)
        w.value(r.high)
        w.endArray()
    } else {
        w.field("ports", nil as String?)
    }
    w.endObject()
}

/// "8182-32000" → (8182, 32000), "5050" → (5050, 5050), "ephemeral" → nil.
func portRange(_ text: String) -> (low: Int, high: Int)? {
    let parts = text.split(separator: "-")
    guard let low = parts.first.flatMap({ Int($0) }) else { return nil }
    return (low, parts.count > 1 ? Int(parts[1]) ?? low : low)
}

/// The `json` format: one document.
enum JSONFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ s: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        var j = JSONReportStream(s, to: &out)
        for i in s.flows.indices { j.add(s.flows[i], to: &out) }
        j.finish(s, to: &out)
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        var failed = false
        var stream = JSONReportStream(analyzer.snapshot(includeFlows: false), to: &out) { w in
            if let p = options.partial {
                w.field("partial", true)
                w.field("partial_reason", p)
            }
        }
        let failBits = Verdict.bits(failOn)
        let text = FlowText(.json, analyzer: analyzer, sources: stream.names)
        let tail = analyzer.snapshot(streamingFacts: { f in
            if text.direct {
                stream.add(f, text: text, to: &out)
            } else {
                stream.add(analyzer.record(f), to: &out)
            }
            if f.verdictBits & failBits != 0 { failed = true }
        })
        stream.finish(tail, to: &out)
        return failed
    }

    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        var stream = JSONReportStream(r.snapshot, to: &out) { w in
            w.field("type", "final")
            w.key("capture")
            writeCapture(r, &w)
        }
        for f in r.snapshot.flows { stream.add(f, to: &out) }
        stream.finish(r.snapshot, to: &out)
    }
}

/// The JSON report written while the flows stream: the head (sources, inventory, accounting),
/// then each flow, then what needs every flow (counts per verdict, host coverage, outbound). The
/// document is the same whether the flows come from a snapshot or from
/// `FlowAnalyzer.snapshot(streaming:)`.
public struct JSONReportStream {
    var w = JSONWriter()
    let names: SourceFiles
    var flowCount = 0
    var verdictCounts = [Int](repeating: 0, count: Verdict.allCases.count)

    /// Writes the head; `head` needs its sources, flags and accounting (not its flows).
    public init<Out: TextOutputStream>(_ head: AnalysisSnapshot, to out: inout Out) {
        self.init(head, to: &out) { _ in }
    }

    /// Writes the head after fields of the caller's own (live's `type` and `capture`).
    init<Out: TextOutputStream>(_ head: AnalysisSnapshot, to out: inout Out, leading: (inout JSONWriter) -> Void) {
        names = SourceFiles(head.sources)
        w.beginObject()
        leading(&w)
        // One entry per file; `group` numbers the sources (a group of pieces read as one stream).
        w.beginArray("sources")
        for (g, src) in head.sources.enumerated() {
            for file in src.files {
                w.beginObject()
                w.field("name", file.name)
                w.field("group", g + 1)
                w.field("packets", file.packets)
                w.field("bytes", file.bytes)
                w.field("error", file.error)
                w.endObject()
            }
        }
        w.endArray()
        w.field("inventory", head.inventoryKnown)
        w.field("vlan_in_key", head.vlanInKey)
        writeAccounting(head.accounting, &w)
        w.beginArray("flows")
        w.flush(to: &out)
    }

    public mutating func add<Out: TextOutputStream>(_ f: FlowRecord, to out: inout Out) {
        flowCount += 1
        verdictCounts[f.verdict.rank] += 1
        writeFlow(f, sourceNames: names, &w)
        if w.bytes.count > 1 << 16 { w.flush(to: &out) }
    }

    /// A flow written from its facts (the same bytes as `add(FlowRecord)`).
    mutating func add<Out: TextOutputStream>(_ f: FlowFacts, text: FlowText, to out: inout Out) {
        flowCount += 1
        verdictCounts[f.verdict.rank] += 1
        w.comma()
        text.json(f, w.bytes)
        if w.bytes.count > 1 << 16 { w.flush(to: &out) }
    }

    /// Writes the tail; `tail` needs its hosts and outbound status.
    public mutating func finish<Out: TextOutputStream>(_ tail: AnalysisSnapshot, to out: inout Out) {
        w.endArray()
        w.field("flow_count", flowCount)
        w.beginObject("verdict_counts")
        for v in Verdict.allCases where verdictCounts[v.rank] > 0 {
            w.key(text: v.rawValue)
            w.value(verdictCounts[v.rank])
        }
        w.endObject()
        w.beginArray("hosts")
        for h in tail.hosts {
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
        for o in tail.outbound {
            w.beginObject()
            w.field("name", o.name)
            w.field("addresses", [o.address])
            w.field("component", o.entry.component)
            w.field("catalog", o.entry.catalogID)
            w.field("reached", o.reached)
            w.field("attempts", o.attempts)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.bytes.append(0x0A)
        w.flush(to: &out)
    }
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
    writeIntervalFields(interval, flows: flows, newProblems: newProblems, sourceNames: SourceFiles(names: sourceNames),
                        evictedFlows: evictedFlows, &w)
    w.endObject()
    return w.out
}

/// The fields of `intervalJSONLine`, into an object the caller has open.
func writeIntervalFields(_ interval: IntervalStats, flows: [FlowRecord], newProblems: [FlowRecord],
                         sourceNames: SourceFiles, evictedFlows: UInt64, _ w: inout JSONWriter) {
    w.key("start"); w.raw(timestampText(interval.startNanos))
    w.key("end"); w.raw(timestampText(interval.endNanos))
    w.field("packets", interval.packets)
    w.field("bytes", interval.bytes)
    // This interval's drops; `drops` (the live line) counts since the start. Flows per component
    // and verdict are the live line's `counts`, the shape of the final report's.
    w.beginObject("interval_drops")
    w.key("kernel")
    if let d = interval.kernelDrops { w.value(d) } else { w.raw("null") }
    w.key("interface")
    if let d = interval.interfaceDrops { w.value(d) } else { w.raw("null") }
    w.endObject()
    w.field("evicted_flows", evictedFlows)
    w.field("flows", flows.count)
    w.beginArray("new_problems")
    for f in newProblems { writeFlow(f, sourceNames: sourceNames, &w) }
    w.endArray()
}
