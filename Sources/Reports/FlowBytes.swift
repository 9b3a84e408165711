import FlowAnalysis
import PacketWire
import PortCatalog

// The streamed flows of JSON Lines, JSON and CSV, written from `FlowFacts` straight into the
// format's reused `ByteBuffer`: field names and punctuation as literal runs, numbers through a
// digit-pair table, addresses, history, uid and Community ID formatted in place, and every text
// that comes from the catalog, the inventory or the file names escaped once per run and copied
// from `FlowText`'s arena afterwards. No `FlowRecord`, no String per field, no allocation per flow
// once each text has been seen (pinned by the Benchmarks threshold `Flows.JSONL flows`).

/// "00", "01", … "99": two digits per table read (a computed literal: no global to initialise).
@inline(__always) var digitPairs: UnsafePointer<UInt8> {
    let s: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    return s.utf8Start
}

/// The decimal digits of `value` written at `p` (room for 20 bytes; nothing is stored past the
/// digits); returns how many. The one decimal formatter of
/// the reports: `ByteBuffer.appendDecimal`, decode's `SummaryTSV.Cursor.decimal` and the generic
/// `appendDecimal` of JSON, CSV and HTML write through it. Two digits per table read, back to
/// front; values below 100 (most of decode's columns) without a loop.
@inline(__always) func writeDecimal(_ value: UInt64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
    let pairs = UnsafeRawPointer(digitPairs)
    @inline(__always) func pair(_ v: UInt64, at i: Int) {
        let d = pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: v) &* 2, as: UInt16.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: d, as: UInt16.self)
    }
    if value < 100 {
        if value < 10 {
            p[0] = UInt8(truncatingIfNeeded: value) &+ 48
            return 1
        }
        pair(value, at: 0)
        return 2
    }
    var digits: Int
    if value < 10_000 {
        digits = value < 1_000 ? 3 : 4
    } else if value < 1_000_000 {
        digits = value < 100_000 ? 5 : 6
    } else {
        digits = 7
        var t = value / 10_000_000
        while t > 0 { digits &+= 1; t /= 10 }
    }
    var i = digits
    var v = value
    while v >= 100 {
        let q = v / 100
        i &-= 2
        pair(v &- q &* 100, at: i)
        v = q
    }
    if v >= 10 {
        pair(v, at: i &- 2)
    } else {
        p[i &- 1] = UInt8(truncatingIfNeeded: v) &+ 48
    }
    return digits
}

/// `timestampText` written at `p` (room for 28 bytes): "1700000000.123456" (six digits of
/// microseconds), "-1.500000" before 1970; returns how many bytes. The one timestamp formatter
/// of the reports (`ByteBuffer.appendTimestamp`, the generic `appendTimestamp`).
@inline(__always) func writeTimestamp(_ nanos: Int64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
    let neg = nanos < 0
    let m = neg ? -(nanos / 1000) : nanos / 1000  // nanos / 1000 > Int64.min: the negation fits
    var n = 0
    if neg {
        p[0] = 0x2D
        n = 1
    }
    n &+= writeDecimal(UInt64(m / 1_000_000), p + n)
    p[n] = 0x2E
    var frac = Int(m % 1_000_000)
    let pairs = digitPairs
    var at = n &+ 5
    for _ in 0..<3 {
        let r = (frac % 100) &* 2
        frac /= 100
        p[at] = pairs[r]
        p[at &+ 1] = pairs[r &+ 1]
        at &-= 2
    }
    return n &+ 7
}

extension ByteBuffer {
    /// Room for `n` more bytes; the pointer to the first of them.
    @inline(__always) func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        let s = storage
        if s.capacity &- s.count < n { s.grow(n) }
        return s.base + s.count
    }

    /// Counts `n` bytes written at `reserve`'s pointer.
    @inline(__always) func advance(_ n: Int) { storage.count &+= n }

    /// The decimal digits of `n` (`writeDecimal`), in place.
    @inline(__always) func appendDecimal(_ n: UInt64) {
        if n < 10 {
            append(0x30 &+ UInt8(truncatingIfNeeded: n))
            return
        }
        storage.count &+= writeDecimal(n, reserve(20))
    }

    /// `timestampText` in place (`writeTimestamp`).
    @inline(__always) func appendTimestamp(_ nanos: Int64) {
        storage.count &+= writeTimestamp(nanos, reserve(28))
    }

    /// An address's text in place (never needs escaping or quoting).
    @inline(__always) func appendAddress(_ a: IPAddress, _ version: UInt8) {
        let p = reserve(IPAddress.maxTextLength)
        storage.count &+= a.writeText(version: version, into: p)
    }

    /// TCP flags as letters (`tcpFlagsText`).
    @inline(__always) func appendTCPFlags(_ flags: UInt16) {
        storage.count &+= writeTCPFlags(flags, reserve(8))
    }

    /// `s` escaped for the inside of a JSON string (RFC 8259), without the quotes.
    func appendJSONEscaped(_ s: String) {
        var s = s
        let plain = s.withUTF8 { buf -> Bool in
            for b in buf where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            append(contentsOf: buf)
            return true
        }
        if plain { return }
        for b in s.utf8 {
            switch b {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                append("\\u00")
                append(hex.utf8Start[Int(b >> 4)])
                append(hex.utf8Start[Int(b & 0xF)])
            default:
                append(b)
            }
        }
    }

    /// `s` as a JSON string literal.
    func appendJSONString(_ s: String) {
        append(0x22)
        appendJSONEscaped(s)
        append(0x22)
    }
}

/// An evidence note written inside a JSON string: catalog text escaped, the rest as it is (the
/// literal pieces of `EvidenceNote.write` have nothing to escape).
struct JSONNoteSink: NoteSink {
    let bytes: ByteBuffer
    mutating func write(_ s: StaticString) { bytes.append(s) }
    mutating func write(text: String) { bytes.appendJSONEscaped(text) }
    mutating func write(decimal: UInt64) { bytes.appendDecimal(decimal) }
}

@inline(__always) func verdictName(_ v: Verdict) -> StaticString {
    switch v {
    case .blockedDrop: "blocked-drop"
    case .blockedRST: "blocked-rst"
    case .blockedICMP: "blocked-icmp"
    case .outsideToInternal: "outside-to-internal"
    case .wrongRole: "wrong-role"
    case .unexpectedPort: "unexpected-port"
    case .expected: "expected"
    }
}

@inline(__always) func stateName(_ s: ConnState) -> StaticString {
    switch s {
    case .S0: "S0"
    case .S1: "S1"
    case .SF: "SF"
    case .REJ: "REJ"
    case .S2: "S2"
    case .S3: "S3"
    case .RSTO: "RSTO"
    case .RSTR: "RSTR"
    case .RSTOS0: "RSTOS0"
    case .RSTRH: "RSTRH"
    case .SH: "SH"
    case .SHR: "SHR"
    case .OTH: "OTH"
    }
}

/// `durationNanos` of a flow's facts.
@inline(__always) func durationNanos(first: Int64, last: Int64) -> Int64 {
    let l = last / 1000, f = first / 1000
    guard l > f else { return 0 }
    let (d, overflow) = l.subtractingReportingOverflow(f)
    return overflow || d > Int64.max / 1000 ? .max : d * 1000
}

/// The texts a run's flows repeat, each escaped once for the format and kept in one arena:
/// component and catalog per entry, candidate lists per port segment, role names, role lists,
/// protocol names, source file names. A span is `offset << 24 | length` with bit 63 set once made.
/// A class with fixed tables behind pointers: the writer is never copied, and reading a table
/// costs no uniqueness, bounds or exclusivity check (each index is checked where it is made).
final class FlowText {
    enum Kind { case json, csv }
    let kind: Kind
    /// Read only to make a text the first time.
    let catalog: CompiledCatalog
    let sources: SourceFiles
    let roleNames: [String]
    let arena = ByteBuffer(capacity: 4096)
    let entryCount: Int, segmentCount: Int, roleCount: Int, sourceCount: Int
    let entryText: UnsafeMutablePointer<UInt64>
    let candidateText: UnsafeMutablePointer<UInt64>
    /// Per segment: how many distinct candidates (listing mode 1 prints only more than one).
    let candidateCount: UnsafeMutablePointer<Int32>
    let roleText: UnsafeMutablePointer<UInt64>
    let protoText: UnsafeMutablePointer<UInt64>
    let sourceText: UnsafeMutablePointer<UInt64>
    /// CSV: joined and escaped lists, by bit set (roles; files of several sources).
    var roleSetText: [UInt64: UInt64] = [:]
    var fileSetText: [UInt64: UInt64] = [:]
    let nullEntry: StaticString

    init(_ kind: Kind, analyzer: FlowAnalyzer, sources: SourceFiles) {
        self.kind = kind
        let catalog = analyzer.configuration.catalog
        self.catalog = catalog
        self.sources = sources
        roleNames = catalog.roleNames
        entryCount = catalog.entries.count
        segmentCount = catalog.candidateSegmentCount
        roleCount = min(roleNames.count, 64)
        sourceCount = sources.names.count
        func table<T: FixedWidthInteger>(_ n: Int, _: T.Type) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        entryText = table(entryCount, UInt64.self)
        candidateText = table(segmentCount, UInt64.self)
        candidateCount = table(segmentCount, Int32.self)
        roleText = table(roleCount, UInt64.self)
        protoText = table(256, UInt64.self)
        sourceText = table(sourceCount, UInt64.self)
        nullEntry = kind == .json ? "\"component\":null,\"catalog\":null" : ","
    }

    deinit {
        entryText.deallocate()
        candidateText.deallocate()
        candidateCount.deallocate()
        roleText.deallocate()
        protoText.deallocate()
        sourceText.deallocate()
    }

    /// Every streamed flow can be written from its facts: no source is made of pieces (whose
    /// frames and files are named per piece: those flows go through `FlowRecord`).
    var direct: Bool { !sources.anyPieces }

    /// Appends the text `make` writes to the arena; its span.
    func span(_ make: (ByteBuffer) -> Void) -> UInt64 {
        let start = arena.count
        make(arena)
        return 1 << 63 | UInt64(start) << 24 | UInt64(arena.count - start)
    }

    @inline(__always) func put(_ span: UInt64, _ b: ByteBuffer) {
        b.append(arena.storage.base + Int((span >> 24) & 0x7F_FFFF_FFFF), Int(span & 0xFF_FFFF))
    }

    /// A text field: a JSON string, or a CSV cell (sanitised, quoted when it must be).
    func text(_ s: String, into b: ByteBuffer) {
        if kind == .json {
            b.appendJSONString(s)
        } else {
            var c = b
            appendCSVField(s, to: &c)
        }
    }

    @inline(__always) func proto(_ p: IPProtocol, _ b: ByteBuffer) {
        let i = Int(p.rawValue)  // < 256: the table's size
        if protoText[i] == 0 { protoText[i] = span { text(protoName(p), into: $0) } }
        put(protoText[i], b)
    }

    /// JSON: `"component":…,"catalog":…`; CSV: the two cells.
    @inline(__always) func entry(_ id: Int32, _ b: ByteBuffer) {
        guard id >= 0 && Int(id) < entryCount else { return b.append(nullEntry) }
        let i = Int(id)
        if entryText[i] == 0 { makeEntry(i) }
        put(entryText[i], b)
    }

    @inline(never) func makeEntry(_ i: Int) {
        let e = catalog.entries[i]
        entryText[i] = span { a in
            if kind == .json { a.append("\"component\":") }
            text(e.component, into: a)
            a.append(kind == .json ? ",\"catalog\":" : ",")
            text(e.catalogID, into: a)
        }
    }

    /// The candidates as `FlowRecord.candidates`: JSON an array, CSV one cell joined with `;`.
    @inline(__always) func candidates(_ f: FlowFacts, _ b: ByteBuffer) {
        let seg = f.candidateSegment
        if seg >= 0 && seg < segmentCount {
            if candidateText[seg] == 0 { makeCandidates(f, seg) }
            if f.candidateListing == 2 || candidateCount[seg] > 1 { return put(candidateText[seg], b) }
        }
        if kind == .json { b.append("[]") }
    }

    @inline(never) func makeCandidates(_ f: FlowFacts, _ seg: Int) {
        let comps = Transport(f.proto).map { catalog.candidateTexts($0, f.serverPort) } ?? []
        candidateCount[seg] = Int32(comps.count)
        candidateText[seg] = span { a in list(comps, a) }
    }

    /// A list of texts: JSON an array of strings; CSV one cell of the texts joined with `;`.
    func list(_ items: [String], _ a: ByteBuffer) {
        if kind == .json {
            a.append(0x5B)
            for (i, s) in items.enumerated() {
                if i > 0 { a.append(0x2C) }
                a.appendJSONString(s)
            }
            a.append(0x5D)
        } else if !items.isEmpty {
            var c = a
            appendCSVField(items.joined(separator: ";"), to: &c)
        }
    }

    /// The role names of `bits`: JSON an array, CSV a cell.
    func roles(_ bits: UInt64, _ b: ByteBuffer) {
        if bits == 0 { return kind == .json ? b.append("[]") : () }
        if kind == .csv {
            if let s = roleSetText[bits] { return put(s, b) }
            let s = span { a in list(roleList(bits), a) }
            roleSetText[bits] = s
            return put(s, b)
        }
        b.append(0x5B)
        var first = true
        var rest = bits
        while rest != 0 {
            let i = rest.trailingZeroBitCount
            rest &= rest &- 1  // rest != 0: no underflow
            guard i < roleCount else { break }  // `names` lists only roles the catalog has
            if !first { b.append(0x2C) }
            first = false
            if roleText[i] == 0 { roleText[i] = span { $0.appendJSONString(roleNames[i]) } }
            put(roleText[i], b)
        }
        b.append(0x5D)
    }

    func roleList(_ bits: UInt64) -> [String] {
        var out: [String] = []
        for (i, n) in roleNames.enumerated() where i < 64 && bits & (1 << UInt64(i)) != 0 { out.append(n) }
        return out
    }

    /// The name of source `i` (`SourceFiles.fileNames` for a source that is one file).
    func sourceName(_ i: Int) -> String { i < sources.names.count ? sources.names[i] : "source-\(i)" }

    /// The evidence source's file: JSON a string or null, CSV a cell (empty for none).
    @inline(__always) func evidenceFile(_ i: Int, _ b: ByteBuffer) {
        guard i < sourceCount else { return kind == .json ? b.append("null") : () }
        if sourceText[i] == 0 { sourceText[i] = span { text(sources.names[i], into: $0) } }
        put(sourceText[i], b)
    }

    /// Every file that saw the flow: JSON an array, CSV a cell joined with `;`.
    func files(_ bits: UInt64, _ b: ByteBuffer) {
        if bits & (bits &- 1) == 0 && bits.trailingZeroBitCount < sourceCount {
            // One file (the common case): its name.
            if kind == .json { b.append(0x5B) }
            evidenceFile(bits.trailingZeroBitCount, b)
            if kind == .json { b.append(0x5D) }
            return
        }
        if kind == .json {
            b.append(0x5B)
            var first = true
            var rest = bits
            while rest != 0 {
                let i = rest.trailingZeroBitCount
                rest &= rest &- 1  // rest != 0: no underflow
                if !first { b.append(0x2C) }
                first = false
                if i < sourceCount {
                    evidenceFile(i, b)
                } else {
                    b.appendJSONString(sourceName(i))
                }
            }
            b.append(0x5D)
            return
        }
        if let s = fileSetText[bits] { return put(s, b) }
        let s = span { a in
            var names: [String] = []
            for i in 0..<64 where bits & (1 << UInt64(i)) != 0 { names.append(sourceName(i)) }
            list(names, a)
        }
        fileSetText[bits] = s
        put(s, b)
    }
}

extension FlowText {
    /// One flow as a JSON object (`writeFlow`'s bytes), without a newline.
    func json(_ f: FlowFacts, _ b: ByteBuffer) {
        b.append("{\"uid\":\"")
        b.advance(f.writeUID(into: b.reserve(12)))
        b.append("\",\"community_id\":\"")
        CommunityID.append(f, to: b)
        b.append("\",\"proto\":")
        proto(f.proto, b)
        b.append(",\"ip_version\":")
        b.appendDecimal(UInt64(f.ipVersion))
        b.append(",\"client\":\"")
        b.appendAddress(f.client, f.ipVersion)
        b.append("\",\"client_port\":")
        b.appendDecimal(UInt64(f.clientPort))
        b.append(",\"server\":\"")
        b.appendAddress(f.server, f.ipVersion)
        b.append("\",\"server_port\":")
        b.appendDecimal(UInt64(f.serverPort))
        b.append(",\"client_name\":")
        if let n = f.clientName { b.appendJSONString(n) } else { b.append("null") }
        b.append(",\"server_name\":")
        if let n = f.serverName { b.appendJSONString(n) } else { b.append("null") }
        b.append(",\"client_roles\":")
        roles(f.clientRoleBits, b)
        b.append(",\"server_roles\":")
        roles(f.serverRoleBits, b)
        b.append(0x2C)
        entry(f.componentID, b)
        b.append(",\"candidates\":")
        candidates(f, b)
        b.append(",\"verdict\":\"")
        b.append(verdictName(f.verdict))
        b.append("\",\"verdicts\":[")
        var bits = f.verdictBits
        var first = true
        while bits != 0 {
            if !first { b.append(0x2C) }
            first = false
            b.append(0x22)
            b.append(verdictName(Verdict(rank: bits.trailingZeroBitCount)))
            b.append(0x22)
            bits &= bits &- 1  // bits != 0: no underflow
        }
        b.append("],\"evidence\":[")
        first = true
        let roleNames = self.roleNames
        f.forEachEvidence { e in
            if !first { b.append(0x2C) }
            first = false
            b.append("{\"verdict\":\"")
            b.append(verdictName(e.verdict))
            b.append("\",\"frames\":[")
            b.appendDecimal(e.frame0)
            if e.frameCount == 2 {
                b.append(0x2C)
                b.appendDecimal(e.frame1)
            }
            b.append(e.confidence == .high ? "],\"confidence\":\"high\",\"note\":\"" : "],\"confidence\":\"low\",\"note\":\"")
            var sink = JSONNoteSink(bytes: b)
            e.note.write(to: &sink, roleNames: roleNames, oneSided: e.oneSided)
            b.append("\"}")
        }
        b.append("],\"state\":\"")
        b.append(stateName(f.state))
        b.append("\",\"history\":\"")
        b.advance(f.writeHistory(into: b.reserve(24)))
        b.append(f.direction == .observed ? "\",\"direction\":\"observed\",\"client_packets\":"
                 : "\",\"direction\":\"inferred\",\"client_packets\":")
        b.appendDecimal(f.clientPackets)
        b.append(",\"server_packets\":")
        b.appendDecimal(f.serverPackets)
        b.append(",\"client_bytes\":")
        b.appendDecimal(f.clientBytes)
        b.append(",\"server_bytes\":")
        b.appendDecimal(f.serverBytes)
        b.append(",\"client_payload_bytes\":")
        b.appendDecimal(f.clientPayloadBytes)
        b.append(",\"server_payload_bytes\":")
        b.appendDecimal(f.serverPayloadBytes)
        if f.proto == .tcp {
            b.append(",\"client_flags\":\"")
            b.appendTCPFlags(f.clientTCPFlags)
            b.append("\",\"server_flags\":\"")
            b.appendTCPFlags(f.serverTCPFlags)
            b.append("\",\"icmp_errors\":")
        } else {
            b.append(",\"client_flags\":null,\"server_flags\":null,\"icmp_errors\":")
        }
        b.appendDecimal(f.icmpErrors)
        b.append(",\"fragments\":")
        b.appendDecimal(f.fragments)
        b.append(",\"icmp\":[")
        first = true
        f.forEachICMPKind { k in
            if !first { b.append(0x2C) }
            first = false
            b.append("{\"type\":")
            b.appendDecimal(UInt64(k.type))
            b.append(",\"code\":")
            b.appendDecimal(UInt64(k.code))
            b.append(",\"count\":")
            b.appendDecimal(k.count)
            b.append(",\"first_frame\":")
            b.appendDecimal(k.firstFrame)
            b.append(0x7D)
        }
        if f.icmpOtherKinds > 0 {
            if !first { b.append(0x2C) }
            b.append("{\"type\":null,\"code\":null,\"count\":")
            b.appendDecimal(f.icmpOtherKinds)
            b.append(",\"first_frame\":null}")
        }
        b.append("],\"first_ts\":")
        b.appendTimestamp(f.firstTimestamp)
        b.append(",\"last_ts\":")
        b.appendTimestamp(f.lastTimestamp)
        b.append(",\"duration\":")
        b.appendTimestamp(durationNanos(first: f.firstTimestamp, last: f.lastTimestamp))
        b.append(",\"first_frame\":")
        b.appendDecimal(f.firstFrame)
        b.append(",\"vlan\":[")
        for i in 0..<f.vlanCount {
            if i > 0 { b.append(0x2C) }
            b.appendDecimal(UInt64(f.vlan(i)))
        }
        b.append("],\"tunnel\":")
        if f.tunnel == .none { b.append("null") } else { b.appendJSONString(f.tunnel.name) }
        b.append(",\"carries\":")
        if f.carries == .none { b.append("null") } else { b.appendJSONString(f.carries.name) }
        b.append(",\"evidence_file\":")
        evidenceFile(Int(f.evidenceSource), b)
        b.append(",\"files\":")
        files(f.sourceBits, b)
        b.append(0x7D)
    }

    /// One flow as a CSV row (`csvRow`'s bytes), without its newline.
    func csv(_ f: FlowFacts, _ b: ByteBuffer) {
        // uid, Community ID, numbers, addresses, verdict and state names, history, flags, the
        // evidence and icmp cells: letters, digits and `.:;/+=- ^` that never start a formula
        // (a uid starts with C, a Community ID with 1): nothing to sanitise or quote.
        b.advance(f.writeUID(into: b.reserve(12)))
        b.append(0x2C)
        CommunityID.append(f, to: b)
        b.append(0x2C)
        proto(f.proto, b)
        b.append(0x2C)
        b.appendDecimal(UInt64(f.ipVersion))
        b.append(0x2C)
        b.appendAddress(f.client, f.ipVersion)
        b.append(0x2C)
        b.appendDecimal(UInt64(f.clientPort))
        b.append(0x2C)
        b.appendAddress(f.server, f.ipVersion)
        b.append(0x2C)
        b.appendDecimal(UInt64(f.serverPort))
        b.append(0x2C)
        if let n = f.clientName { text(n, into: b) }
        b.append(0x2C)
        if let n = f.serverName { text(n, into: b) }
        b.append(0x2C)
        roles(f.clientRoleBits, b)
        b.append(0x2C)
        roles(f.serverRoleBits, b)
        b.append(0x2C)
        entry(f.componentID, b)
        b.append(0x2C)
        candidates(f, b)
        b.append(0x2C)
        b.append(verdictName(f.verdict))
        b.append(0x2C)
        var bits = f.verdictBits
        var first = true
        while bits != 0 {
            if !first { b.append(0x3B) }
            first = false
            b.append(verdictName(Verdict(rank: bits.trailingZeroBitCount)))
            bits &= bits &- 1  // bits != 0: no underflow
        }
        b.append(0x2C)
        first = true
        f.forEachEvidence { e in
            if !first { b.append(0x3B) }
            first = false
            b.append(verdictName(e.verdict))
            b.append(0x3A)
            b.appendDecimal(e.frame0)
            if e.frameCount == 2 {
                b.append(0x20)
                b.appendDecimal(e.frame1)
            }
        }
        b.append(0x2C)
        b.append(stateName(f.state))
        b.append(0x2C)
        b.advance(f.writeHistory(into: b.reserve(24)))
        b.append(f.direction == .observed ? ",observed," : ",inferred,")
        b.appendDecimal(f.clientPackets)
        b.append(0x2C)
        b.appendDecimal(f.serverPackets)
        b.append(0x2C)
        b.appendDecimal(f.clientBytes)
        b.append(0x2C)
        b.appendDecimal(f.serverBytes)
        b.append(0x2C)
        b.appendDecimal(f.clientPayloadBytes)
        b.append(0x2C)
        b.appendDecimal(f.serverPayloadBytes)
        b.append(0x2C)
        if f.proto == .tcp { b.appendTCPFlags(f.clientTCPFlags) }
        b.append(0x2C)
        if f.proto == .tcp { b.appendTCPFlags(f.serverTCPFlags) }
        b.append(0x2C)
        b.appendDecimal(f.icmpErrors)
        b.append(0x2C)
        b.appendDecimal(f.fragments)
        b.append(0x2C)
        first = true
        f.forEachICMPKind { k in
            if !first { b.append(0x3B) }
            first = false
            b.appendDecimal(UInt64(k.type))
            b.append(0x2F)
            b.appendDecimal(UInt64(k.code))
            b.append(0x3A)
            b.appendDecimal(k.count)
        }
        if f.icmpOtherKinds > 0 {
            if !first { b.append(0x3B) }
            b.append("other:")
            b.appendDecimal(f.icmpOtherKinds)
        }
        b.append(0x2C)
        b.appendTimestamp(f.firstTimestamp)
        b.append(0x2C)
        b.appendTimestamp(f.lastTimestamp)
        b.append(0x2C)
        b.appendTimestamp(durationNanos(first: f.firstTimestamp, last: f.lastTimestamp))
        b.append(0x2C)
        b.appendDecimal(f.firstFrame)
        b.append(0x2C)
        for i in 0..<f.vlanCount {
            if i > 0 { b.append(0x3B) }
            b.appendDecimal(UInt64(f.vlan(i)))
        }
        b.append(0x2C)
        if f.tunnel != .none { text(f.tunnel.name, into: b) }
        b.append(0x2C)
        if f.carries != .none { text(f.carries.name, into: b) }
        b.append(0x2C)
        evidenceFile(Int(f.evidenceSource), b)
        b.append(0x2C)
        files(f.sourceBits, b)
    }
}
