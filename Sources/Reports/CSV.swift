import FlowAnalysis
import PacketWire

/// CSV columns: the fields of a JSON Lines flow, in the same order and with the same names
/// (Schema/flow.v1.json). Lists are joined with `;`; null is an empty cell; evidence is
/// `verdict:frame frame;…` and icmp `type/code:count;…`.
public let csvHeader = [
    "uid", "community_id", "proto", "ip_version", "client", "client_port", "server", "server_port", "client_name",
    "server_name", "client_roles", "server_roles", "component", "catalog", "candidates", "verdict", "verdicts", "evidence",
    "state", "history", "direction", "client_packets", "server_packets", "client_bytes", "server_bytes",
    "client_payload_bytes", "server_payload_bytes", "client_flags", "server_flags", "icmp_errors", "fragments", "icmp",
    "first_ts", "last_ts", "duration", "first_frame", "vlan", "tunnel", "carries", "evidence_file", "files",
]

/// Appends one text field: `Sanitize.csvText` (controls escaped, a formula start neutralised),
/// then RFC 4180 quoting (a field with a comma or quote is quoted, its quotes doubled).
func appendCSVField<B: ByteAppending>(_ s: String, to out: inout B) {
    var s = s
    let plain = s.withUTF8 { buf -> Bool in
        if let first = buf.first, Sanitize.isFormulaStart(first) { return false }
        for b in buf where b == 0x2C || b == 0x22 || Sanitize.mayStartUnsafe(b) { return false }
        out.appendRaw(UnsafeRawBufferPointer(buf))
        return true
    }
    if plain { return }
    var t = Sanitize.csvText(s)
    guard t.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 }) else {
        t.withUTF8 { out.appendRaw(UnsafeRawBufferPointer($0)) }
        return
    }
    out.append(0x22)
    for b in t.utf8 {
        if b == 0x22 { out.append(0x22) }
        out.append(b)
    }
    out.append(0x22)
}

func csvField(_ s: String) -> String {
    var out: [UInt8] = []
    appendCSVField(s, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// CSV rows (UTF-8 bytes appended in place into a reused buffer; a `String` per field would be
/// several times slower).
struct CSVLine {
    var bytes = ByteBuffer(capacity: 512)
    var first = true

    init() {}

    mutating func separator() {
        if !first { bytes.append(0x2C) }
        first = false
    }

    /// Ends the row: a newline, and the next field starts a row.
    mutating func endRow() {
        bytes.append(0x0A)
        first = true
    }

    mutating func add(_ s: String) {
        separator()
        appendCSVField(s, to: &bytes)
    }

    /// An address (never quoted: digits, dots, colons, hex letters).
    mutating func add(_ a: IPAddress, _ version: UInt8) {
        separator()
        a.withText(version: version) { bytes.append(contentsOf: $0) }
    }

    /// Seconds since the epoch with microseconds (`timestampText`; nothing to quote).
    mutating func addTimestamp(_ nanos: Int64) {
        separator()
        appendTimestamp(nanos, to: &bytes)
    }

    mutating func add<I: BinaryInteger>(_ n: I) {
        separator()
        appendDecimal(n, to: &bytes)
    }

    mutating func add(_ list: [String], _ sep: UInt8) {
        separator()
        if list.isEmpty { return }
        if list.count == 1 { appendCSVField(list[0], to: &bytes); return }
        var joined: [UInt8] = []
        for (i, x) in list.enumerated() {
            if i > 0 { joined.append(sep) }
            joined.append(contentsOf: x.utf8)
        }
        appendCSVField(String(decoding: joined, as: UTF8.self), to: &bytes)
    }
}

/// One row, without its newline (live's lines and tests).
func csvRow(_ f: FlowRecord, sourceNames: SourceFiles) -> String {
    var l = CSVLine()
    csvRow(f, sourceNames: sourceNames, into: &l)
    return l.bytes.string
}

/// Appends one row (without its newline) to `l`.
func csvRow(_ f: FlowRecord, sourceNames: SourceFiles, into l: inout CSVLine) {
    l.add(f.uid)
    l.add(CommunityID.of(f))
    l.add(protoName(f.proto))
    l.add(f.ipVersion)
    l.add(f.client, f.ipVersion)
    l.add(f.clientPort)
    l.add(f.server, f.ipVersion)
    l.add(f.serverPort)
    l.add(f.clientName ?? "")
    l.add(f.serverName ?? "")
    l.add(f.clientRoles, 0x3B)
    l.add(f.serverRoles, 0x3B)
    l.add(f.component ?? "")
    l.add(f.catalogID ?? "")
    l.add(f.candidates, 0x3B)
    l.add(f.verdict.rawValue)
    l.add(f.verdicts.map(\.rawValue), 0x3B)
    l.add(evidenceText(f, sourceNames))
    l.add(f.state.rawValue)
    l.add(f.history)
    l.add(f.direction.rawValue)
    l.add(f.clientPackets)
    l.add(f.serverPackets)
    l.add(f.clientBytes)
    l.add(f.serverBytes)
    l.add(f.clientPayloadBytes)
    l.add(f.serverPayloadBytes)
    l.add(f.proto == .tcp ? tcpFlagsText(f.clientTCPFlags) : "")
    l.add(f.proto == .tcp ? tcpFlagsText(f.serverTCPFlags) : "")
    l.add(f.icmpErrors)
    l.add(f.fragments)
    l.add(icmpKindsText(f))
    l.addTimestamp(f.firstTimestamp)
    l.addTimestamp(f.lastTimestamp)
    l.addTimestamp(durationNanos(f))
    l.add(sourceNames.locate(f, f.firstFrame).frame)
    l.add(f.vlans.map(String.init), 0x3B)
    l.add(tunnelText(f.tunnel) ?? "")
    l.add(tunnelText(f.carries) ?? "")
    l.add(sourceNames.evidenceFile(f) ?? "")
    l.add(sourceNames.fileNames(f), 0x3B)
}

/// The `csv` format: a header row, then one row per flow.
enum CSVFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        out.write(csvHeader.joined(separator: ",") + "\n")
        let names = SourceFiles(snapshot.sources)
        var l = CSVLine()
        for f in snapshot.flows {
            csvRow(f, sourceNames: names, into: &l)
            l.endRow()
            if l.bytes.count >= 1 << 16 { l.bytes.flush(to: &out) }
        }
        l.bytes.flush(to: &out)
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        let failBits = Verdict.bits(failOn)
        var failed: UInt8 = 0
        out.write(csvHeaderLine)
        let names = SourceFiles(analyzer.sourceInfos)
        // One row buffer for every flow, handed to the output every 64 KiB; each row written from
        // the flow's facts (FlowBytes.swift): no record, no String per flow.
        let text = FlowText(.csv, analyzer: analyzer, sources: names)
        var l = CSVLine()
        let b = l.bytes
        _ = analyzer.snapshot(streamingFacts: { f in
            if text.direct {
                text.csv(f, b)
                b.append(0x0A)
            } else {
                csvRow(analyzer.record(f), sourceNames: names, into: &l)
                l.endRow()
            }
            if b.count >= 1 << 16 { b.flush(to: &out) }
            failed |= f.verdictBits & failBits
        })
        l.bytes.flush(to: &out)
        // A last line that is no flow row: the rows before it are not every flow.
        if let p = options.partial { out.write("# partial: " + Sanitize.text(p) + "\n") }
        return failed != 0
    }

    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        var w = JSONWriter()
        writeCapture(r, &w)
        facts.write("portolan live: capture " + w.out + "\n")
        write(r.snapshot, options: options, to: &out)
    }
}

/// The ICMP errors of a flow by kind, `type/code:count` joined with `;` (`other:count` for kinds
/// beyond the kept ones).
func icmpKindsText(_ f: FlowRecord) -> String {
    var parts = f.icmpKinds.map { "\($0.type)/\($0.code):\($0.count)" }
    if f.icmpOtherKinds > 0 { parts.append("other:\(f.icmpOtherKinds)") }
    return parts.joined(separator: ";")
}
