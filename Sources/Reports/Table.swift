import FlowAnalysis
import PacketWire

/// The human report: a summary by component, the problems grouped by verdict, host coverage and
/// Mission Control, then the accounting. Lines fit `options.width` (100) columns.
struct TableReport {
    let snapshot: AnalysisSnapshot
    let options: ReportOptions
    let summary: TableSummary

    /// From a snapshot that holds its flows.
    init(snapshot: AnalysisSnapshot, options: ReportOptions) {
        var t = TableSummary(options: options)
        for i in snapshot.flows.indices { t.add(snapshot.flows[i]) }
        self.init(snapshot: snapshot, options: options, summary: t)
    }

    /// From a snapshot without flows and the summary of its streamed flows.
    init(snapshot: AnalysisSnapshot, options: ReportOptions, summary: TableSummary) {
        self.snapshot = snapshot
        self.options = options
        self.summary = summary
    }

    func paint(_ s: String, _ code: String) -> String { options.color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { paint(s, "1") }
    func verdictColor(_ v: Verdict) -> String {
        v.isBlocked ? "31" : v == .expected ? "32" : "33"
    }

    /// → or -> (`options.ascii`).
    var arrow: String { options.ascii ? "->" : "→" }
    var dash: String { options.ascii ? "-" : "—" }
    var ellipsis: String { options.ascii ? "..." : "…" }

    /// The report, every line fitted to `options.width` (`fitLines`): a terminal never wraps it.
    func write<Out: TextOutputStream>(to out: inout Out) {
        var text = ""
        writeLines(to: &text)
        out.write(fitLines(text, width: options.width, ascii: options.ascii))
    }

    func writeLines<Out: TextOutputStream>(to out: inout Out) {
        let s = snapshot
        let a = s.accounting
        let fileCount = s.sources.reduce(0) { $0 + $1.files.count }
        var files = fileCount == 1 ? "1 file" : "\(fileCount) files"
        if fileCount != s.sources.count { files += " in \(s.sources.count) group\(s.sources.count == 1 ? "" : "s")" }
        let problems = summary.problemCount
        let head = "Portolan analysis: \(files), \(plural(a.total.packets, "packet")), \(byteText(a.total.bytes)), "
        let flows = "\(plural(UInt64(summary.flowCount), "flow")), \(group(UInt64(problems))) with problems"
        // The counts the reader looks for first go on a line of their own rather than be cut.
        let fits = width(head) + width(flows) <= options.width
        let first = head.dropFirst("Portolan analysis".count).dropLast(fits ? 0 : 1)
        out.write(bold("Portolan analysis") + first + (fits ? "" : "\n  ") + flows + "\n")
        if let p = options.partial { out.write(paint(Sanitize.text("PARTIAL: \(p)"), "31") + "\n") }
        for (g, src) in s.sources.enumerated() {
            guard src.pieces.count > 1 else {
                var line = "  \(Sanitize.text(src.name)): \(plural(src.packets, "packet")), \(byteText(src.bytes))"
                if let e = src.error { line += "\n    " + paint(Sanitize.text("read stopped: \(e)"), "31") }
                out.write(line + "\n")
                continue
            }
            // A group of pieces: read as one stream; its files in reading order.
            out.write("  group \(g + 1), \(src.pieces.count) pieces of one capture read as one stream: "
                      + "\(plural(src.packets, "packet")), \(byteText(src.bytes))\n")
            for p in src.pieces {
                var line = "    \(Sanitize.text(p.name)): \(plural(p.packets, "packet")), \(byteText(p.bytes))"
                if let e = p.error { line += "\n      " + paint(Sanitize.text("read stopped: \(e)"), "31") }
                out.write(line + "\n")
            }
        }
        if !s.inventoryKnown {
            out.write("  no inventory: role verdicts (wrong-role, outside-to-internal) not claimed\n")
        }
        out.write("\n")
        writeComponents(&out)
        writeProblems(&out)
        writeCoverage(&out)
        writeAccounting(&out)
    }

    // MARK: components

    func writeComponents<Out: TextOutputStream>(_ out: inout Out) {
        let rowList = summary.rows
        // The catalog id is added only when two catalogs use one component name.
        var catalogsOf: [String: Int] = [:]
        for r in rowList { if let c = r.component { catalogsOf[c, default: 0] += 1 } }
        let names = rowList.map { r in
            r.component.map { catalogsOf[$0]! > 1 ? "\(Sanitize.text($0)) (\(r.catalogID ?? ""))" : Sanitize.text($0) } ?? "(no catalog entry)"
        }
        var order = Array(rowList.indices)
        order.sort { (rowList[$0].flows, names[$1]) > (rowList[$1].flows, names[$0]) }
        out.write(bold("Components") + "\n")
        // As wide as the longest name, within the width (at least 20 columns).
        let longest = names.reduce(0) { max($0, width($1)) }
        let nameWidth = max(20, min(options.width - 47, longest + 2))
        out.write(pad("COMPONENT", nameWidth) + lpad("FLOWS", 8) + lpad("PACKETS", 11) + lpad("BYTES", 11)
                  + lpad("HOSTS", 7) + lpad("PROBLEMS", 10) + "\n")
        for i in order {
            let r = rowList[i]
            let name = names[i]
            let probs = r.problems > 0 ? paint(lpad(String(r.problems), 10), "33") : lpad("0", 10)
            out.write(pad(clip(name, nameWidth - 1, ascii: options.ascii), nameWidth) + lpad(group(UInt64(r.flows)), 8)
                      + lpad(group(r.packets), 11) + lpad(byteText(r.bytes), 11) + lpad(String(r.hostCount), 7)
                      + probs + "\n")
        }
        if order.isEmpty { out.write("  (no flows)\n") }
        out.write("\n")
    }

    // MARK: problems

    /// Per verdict, its flows grouped by (protocol/port, component, server roles), most flows first:
    /// a header line with the count and the first flow's evidence, then the first flows as
    /// examples (every flow with `--all`).
    func writeProblems<Out: TextOutputStream>(_ out: inout Out) {
        let counts = summary.verdictCounts
        let total = summary.problemCount
        out.write(bold("Problems") + (total == 0 ? ": none\n\n" : "\n"))
        guard total > 0 else { return }
        let groupLimit = options.all ? Int.max : options.maxFlowsPerVerdict
        for v in Verdict.allCases where v != .expected && counts[v.rank] > 0 {
            let n = counts[v.rank]
            let groups = summary.groups(of: v)
            let kinds = groups.count == 1 ? "" : " in \(group(UInt64(groups.count))) groups"
            out.write(paint("\(v.rawValue)", verdictColor(v)) + " (\(plural(UInt64(n), "flow"))\(kinds))"
                      + verdictHint(v) + "\n")
            for g in groups.prefix(groupLimit) { writeGroup(g, &out) }
            if groups.count > groupLimit {
                let rest = groups.dropFirst(groupLimit)
                let flows = rest.reduce(0) { $0 + $1.flows }
                out.write("  \(ellipsis) \(plural(UInt64(rest.count), "more group")) (\(plural(UInt64(flows), "flow"))): --all lists every flow\n")
            }
        }
        out.write("\n")
    }

    /// `  tcp/8123  Mesos DNS  on dcos-master: 3 flows, 3 SYNs, no answer`, then the examples (the
    /// first one's frames are the evidence of that note).
    func writeGroup<Out: TextOutputStream>(_ g: ProblemGroup, _ out: inout Out) {
        guard let first = g.examples.first else { return }
        var what = Sanitize.text(first.component ?? (first.candidates.first ?? "(no catalog entry)"))
        if first.tunnel != .none { what += " in \(first.tunnel.name)" }
        let roles = first.serverRoles.isEmpty ? "" : " on " + Sanitize.text(first.serverRoles.joined(separator: ","))
        var head = "  \(protoName(first.proto))/\(first.serverPort)  \(what)\(roles): \(plural(UInt64(g.flows), "flow"))"
        let evidence = evidenceText(first)
        if !evidence.isEmpty { head += ", " + evidence }
        out.write(head + "\n")
        for f in g.examples { writeFlowLine(f, &out) }
        if g.flows > g.examples.count {
            out.write("      \(ellipsis) \(plural(UInt64(g.flows - g.examples.count), "more flow")) of this kind\n")
        }
    }

    /// The note of a flow's first evidence (`3 SYNs, no answer`).
    func evidenceText(_ f: FlowRecord) -> String {
        var t = ""
        if let note = f.evidence.first?.note, !note.isEmpty { t = Sanitize.text(note) }
        if f.evidence.first?.confidence == .low { t += " (low confidence)" }
        return t
    }

    func verdictHint(_ v: Verdict) -> String {
        switch v {
        case .blockedDrop: " \(dash) connection attempts never answered"
        case .blockedRST: " \(dash) connection attempts answered by RST"
        case .blockedICMP: " \(dash) answered by ICMP destination unreachable"
        case .outsideToInternal: " \(dash) cluster-only ports reached from outside"
        case .wrongRole: " \(dash) port served by a host whose role should not serve it"
        case .unexpectedPort: " \(dash) no catalog lists the port"
        case .expected: ""
        }
    }

    func endpoint(_ a: IPAddress, _ v: UInt8, _ port: UInt16, _ name: String?) -> String {
        let base: String
        if v == 4 {
            base = v4Endpoint(a.v4Value, port)
        } else {
            let t = a.text(version: v)
            base = v == 6 ? "[\(t)]:\(port)" : "\(t):\(port)"
        }
        return name.map { "\(base) (\(Sanitize.text($0)))" } ?? base
    }

    /// The frames of a flow's first evidence, in the file that saw them.
    func framesText(_ f: FlowRecord) -> TextBytes {
        var frames = TextBytes(capacity: 32)
        // Several files: frame numbers are those of the file the flow's view comes from.
        if let e = f.evidence.first, !e.frames.isEmpty {
            let src = Int(f.evidenceSource) < snapshot.sources.count ? snapshot.sources[Int(f.evidenceSource)] : nil
            if let src, src.pieces.count > 1 {
                // Pieces: each frame in its own file, the file named where it changes.
                var last: Int? = nil
                for (i, n) in e.frames.enumerated() {
                    let (p, local) = src.locate(n)
                    if p != last, let p {
                        let name = src.pieces[p].name
                        if i > 0 { frames.add(",") }
                        frames.add(Sanitize.text(name.split(separator: "/").last.map(String.init) ?? name))
                        frames.add("#")
                    } else {
                        frames.add(i > 0 ? ",#" : "#")
                    }
                    last = p
                    frames.add(local)
                }
            } else {
                if snapshot.sources.count > 1, let src {
                    frames.add(Sanitize.text(src.name.split(separator: "/").last.map(String.init) ?? src.name))
                }
                for (i, n) in e.frames.enumerated() {
                    frames.add(i > 0 ? ",#" : "#")
                    frames.add(n)
                }
            }
        }
        return frames
    }

    /// One example flow of a group: endpoints, then state, history, packets, frames, note and
    /// the flow's other verdicts; on two lines when one does not fit.
    func writeFlowLine<Out: TextOutputStream>(_ f: FlowRecord, _ out: inout Out) {
        // Built as UTF-8 bytes (a `String` append costs ≈ 340 instructions, a byte append a few).
        var head = TextBytes(capacity: 96)
        head.add("    ")
        head.add(endpoint(f.client, f.ipVersion, f.clientPort, f.clientName))
        head.add(options.ascii ? " -> " : " → ")
        head.add(endpoint(f.server, f.ipVersion, f.serverPort, f.serverName))
        var detail = TextBytes(capacity: 128)
        if let v = vlanText(f) {
            detail.add("vlan \(v)  ")
        }
        detail.add(f.state.rawValue)
        detail.add(" ")
        detail.add(f.history.isEmpty ? "-" : f.history)
        detail.add(" ")
        detail.add(f.clientPackets)
        detail.add("/")
        detail.add(f.serverPackets)
        detail.add(" pkts")
        let frames = framesText(f)
        if !frames.bytes.isEmpty {
            detail.add(" ")
            detail.bytes += frames.bytes
        }
        if f.verdicts.count > 1 {
            detail.add(" [+")
            for (i, v) in f.verdicts.dropFirst().enumerated() {
                if i > 0 { detail.add(",") }
                detail.add(v.rawValue)
            }
            detail.add("]")
        }
        if head.width + 2 + detail.width <= options.width {
            head.add("  ")
            head.bytes += detail.bytes
            head.add("\n")
            out.write(head.string)
        } else {
            out.write(head.string + "\n")
            out.write("        " + detail.string + "\n")
        }
    }

    // MARK: coverage

    func writeCoverage<Out: TextOutputStream>(_ out: inout Out) {
        let hosts = snapshot.hosts.filter { !$0.unexercised.isEmpty }
        if !snapshot.hosts.isEmpty {
            out.write(bold("Catalog entries never exercised") + " (per inventory host, as server)\n")
            if hosts.isEmpty { out.write("  none\n") }
            for h in hosts {
                let who = Sanitize.text((h.name.map { "\($0) " } ?? "") + h.addresses.joined(separator: ", ")
                    + " [" + h.roles.joined(separator: ",") + "]")
                out.write("  \(who): \(h.unexercised.count) of \(h.unexercised.count + h.exercised.count)\n")
                var lines: [String] = []
                var line = "    "
                for e in h.unexercised {
                    let item = "\(protoName(e.proto))/\(e.ports) \(Sanitize.text(e.component))"
                    if line.count + item.count + 2 > options.width {
                        lines.append(line)
                        line = "    "
                    }
                    line += (line.count > 4 ? "; " : "") + item
                }
                if line.count > 4 { lines.append(line) }
                let limit = options.maxCoverageLines
                for l in lines.prefix(limit) { out.write(l + "\n") }
                if lines.count > limit {
                    let shown = lines.prefix(limit).reduce(0) { $0 + $1.split(separator: ";").count }
                    out.write("    \(ellipsis) \(h.unexercised.count - shown) more (--format json lists them all)\n")
                }
            }
            out.write("\n")
        }
        if !snapshot.outbound.isEmpty {
            out.write(bold("Outbound connections") + " (e.g. Mission Control)\n")
            for o in snapshot.outbound {
                let who = Sanitize.text((o.name.map { "\($0) " } ?? "") + o.address)
                let status = o.reached ? paint("reached", "32")
                    : paint(o.attempts > 0 ? "NOT reached (\(plural(UInt64(o.attempts), "attempt")) unanswered)" : "NOT reached (no attempt seen)", "31")
                out.write("  \(who) \(arrow) \(Sanitize.text(o.entry.component)): \(status)\n")
            }
            out.write("\n")
        }
    }

    // MARK: accounting

    func writeAccounting<Out: TextOutputStream>(_ out: inout Out) {
        let a = snapshot.accounting
        out.write(bold("Accounting") + "\n")
        func row(_ label: String, _ t: Tally, _ note: String = "") {
            let line = pad("  " + label, 34) + lpad(group(t.packets), 12) + " packets" + lpad(group(t.bytes), 16) + " bytes"
            if note.isEmpty {
                out.write(line + "\n")
            } else if width(line) + 2 + width(note) <= options.width {
                out.write(line + "  " + note + "\n")
            } else {
                // A note that does not fit goes under its row rather than being cut.
                out.write(line + "\n" + spaces(36) + note + "\n")
            }
        }
        row("packets in", a.total)
        row("= in flows", a.flows, a.tunnelled.packets > 0 ? "(\(group(a.tunnelled.packets)) tunnelled, in 2 flows)" : "")
        row("+ ICMP errors matched to flows", a.icmpMatched)
        row("+ other IP", a.otherIP)
        for (p, t) in a.otherIPByProtocol { row("    \(protoName(p))", t) }
        if a.icmpUnmatched.packets > 0 { row("    of which unmatched ICMP errors", a.icmpUnmatched) }
        if a.fragments.packets > 0 { row("    of which fragments w/o first", a.fragments) }
        row("+ non-IP", a.nonIP)
        for (e, t) in a.nonIPByEtherType { row("    \(etherTypeText(e))", t) }
        row("+ undecodable", a.undecodable)
        for (l, r, t) in a.undecodableBy { row("    \(l) \(r)", t) }
        if a.filtered.packets > 0 { row("+ filtered (not matching -f)", a.filtered) }
        if a.truncated.packets > 0 {
            row("truncated by snaplen", a.truncated, "(counted above; \(group(a.truncatedInFlows.packets)) in flows)")
        }
        if a.evictedFlows > 0 { out.write("  flows evicted at the table bound: \(group(a.evictedFlows))\n") }
        let parts = a.parts
        if a.isBalanced {
            out.write("  balance: " + paint("OK", "32") + " (sum of parts = packets in, and bytes)\n")
        } else {
            out.write("  balance: " + paint("MISMATCH", "31") + " parts \(parts.packets) packets / \(parts.bytes) bytes\n")
        }
    }
}

/// One line of the component summary.
struct ComponentRow {
    var component: String?
    var catalogID: String?
    var flows = 0
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    /// Distinct hosts (clients and servers) of the row's flows (`RowHostSet`).
    var hostCount = 0
    var problems = 0
}

/// The distinct (row, address) pairs of the table, in one open-addressing set with a
/// multiply–xorshift hash (no SipHash per insert): two inserts per flow, and one set for all rows
/// rather than a set per row (whose nested arrays cost uniqueness checks on every insert).
struct RowHostSet {
    struct Slot {
        var high: UInt64 = 0
        var low: UInt64 = 0
        /// Row + 1; 0: empty.
        var row: Int32 = 0
    }

    var slots: [Slot] = []
    private(set) var count = 0

    @inline(__always) static func hash(_ a: IPAddress, _ row: Int32) -> Int {
        var z = (a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15)) ^ (UInt64(UInt32(bitPattern: row)) &* 0xC2B2_AE3D_27D4_EB4F)
        z ^= z >> 29
        z = z &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: z ^ (z >> 32))
    }

    /// Adds the pair; true when it was not there.
    mutating func insert(_ a: IPAddress, row: Int) -> Bool {
        if (count + 1) * 2 > slots.count { grow() }
        let tag = Int32(row + 1)
        let mask = slots.count - 1
        var i = RowHostSet.hash(a, tag) & mask
        while true {
            let e = slots[i]
            if e.row == 0 { break }
            if e.row == tag && e.low == a.low && e.high == a.high { return false }
            i = (i + 1) & mask
        }
        slots[i] = Slot(high: a.high, low: a.low, row: tag)
        count += 1
        return true
    }

    /// × 4 while small (fewer re-inserts), × 2 from 64 k slots on.
    mutating func grow() {
        let old = slots
        let cap = slots.isEmpty ? 256 : slots.count < 1 << 16 ? slots.count * 4 : slots.count * 2
        slots = [Slot](repeating: Slot(), count: cap)
        count = 0
        for e in old where e.row != 0 { _ = insert(IPAddress(high: e.high, low: e.low), row: Int(e.row) - 1) }
    }
}

/// `ProblemGroup.Key` → index in `TableSummary.problemGroups`, open addressing with the
/// multiply–xorshift hash of `RowHostSet`: a Dictionary with SipHash was ≈ 2,300 instructions an
/// insert and ≈ 390 a lookup, once per problem flow.
struct GroupIndex {
    struct Slot {
        /// verdict, protocol, port and row + 1 packed (0: empty), and the roles.
        var packed: UInt64 = 0
        var roles: UInt64 = 0
        var index: Int32 = 0
    }

    var slots: [Slot] = []
    private(set) var count = 0

    static func pack(_ k: ProblemGroup.Key) -> UInt64 {
        UInt64(k.verdict) << 56 | UInt64(k.proto) << 48 | UInt64(k.port) << 32 | UInt64(UInt32(bitPattern: k.row &+ 1))
    }

    @inline(__always) static func hash(_ packed: UInt64, _ roles: UInt64) -> Int {
        var z = packed ^ (roles &* 0x9E37_79B9_7F4A_7C15)
        z ^= z >> 29
        z = z &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: z ^ (z >> 32))
    }

    /// The index of `key`; when absent, `key` is added with index `next`, which is returned.
    mutating func find(_ key: ProblemGroup.Key, next: Int) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        let packed = GroupIndex.pack(key)
        let mask = slots.count - 1
        var i = GroupIndex.hash(packed, key.roles) & mask
        while true {
            let e = slots[i]
            if e.packed == 0 { break }
            if e.packed == packed && e.roles == key.roles { return Int(e.index) }
            i = (i + 1) & mask
        }
        slots[i] = Slot(packed: packed, roles: key.roles, index: Int32(next))
        count += 1
        return next
    }

    mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.isEmpty ? 64 : old.count * 4)
        let mask = slots.count - 1
        for e in old where e.packed != 0 {
            var i = GroupIndex.hash(e.packed, e.roles) & mask
            while slots[i].packed != 0 { i = (i + 1) & mask }
            slots[i] = e
        }
    }
}

/// Problem flows of one verdict with one protocol and server port, component and server roles.
struct ProblemGroup {
    struct Key: Hashable {
        var verdict: UInt8
        var proto: UInt8
        var port: UInt16
        var row: Int32
        var roles: UInt64
    }
    var key: Key
    var flows: Int
    /// The first flows (the first is the group's evidence).
    var examples: [FlowRecord]
    /// From summaries (`TableSummary.add(_:record:)`): the positions of the first flows in the
    /// stream, whose records `TableSummary.resolveExamples` builds for the groups printed only.
    var positions: [Int] = []
}

/// What the table needs from the flows, gathered one flow at a time: rows per component, counts
/// per primary verdict, and the first problem flows of each verdict. So `analyze --format table`
/// never holds every flow record (`FlowAnalyzer.snapshot(streaming:)`).
public struct TableSummary {
    let limit: Int
    var rows: [ComponentRow] = []
    var rowIndex: [String: Int] = [:]
    /// Component entry id + 1 → row + 1 (0: not seen yet).
    var rowOfComponent: [Int32] = []
    var verdictCounts = [Int](repeating: 0, count: Verdict.allCases.count)
    /// Problem flows by (verdict, protocol, server port, component row, server roles).
    var problemGroups: [ProblemGroup] = []
    var groupIndex = GroupIndex()
    /// Server role lists (record path) as small numbers for the group key: the same partition as
    /// the role bits of the summary path.
    var roleListIDs: [[String]: UInt64] = [:]
    let examples: Int
    /// Groups listed per verdict (`writeProblems`).
    let groupLimit: Int
    var hosts = RowHostSet()
    public private(set) var flowCount = 0

    public init(options: ReportOptions = ReportOptions()) {
        limit = options.maxFlowsPerVerdict
        examples = options.all ? Int.max : options.examplesPerGroup
        groupLimit = options.all ? Int.max : options.maxFlowsPerVerdict
    }

    /// The groups of a verdict, most flows first (first seen first on ties).
    func groups(of v: Verdict) -> [ProblemGroup] {
        groupIndices(of: v).map { problemGroups[$0] }
    }

    /// `groups(of:)` as indices into `problemGroups`.
    func groupIndices(of v: Verdict) -> [Int] {
        problemGroups.indices.filter { problemGroups[$0].key.verdict == UInt8(v.rank) }
            .sorted { (problemGroups[$1].flows, $0) < (problemGroups[$0].flows, $1) }
    }

    /// Builds the example records of the groups the report lists (`writeProblems`: the first
    /// `groupLimit` of each verdict) from the positions `add(_:record:)` kept: `build` gets them
    /// ascending and returns their records in that order (`FlowAnalyzer.flowRecords(at:)`). A
    /// record costs ≈ 6,400 instructions; most groups of a large capture are not listed.
    public mutating func resolveExamples(_ build: ([Int]) -> [FlowRecord]) {
        var wanted: [(group: Int, position: Int)] = []
        for v in Verdict.allCases where v != .expected {
            for g in groupIndices(of: v).prefix(groupLimit) {
                for p in problemGroups[g].positions { wanted.append((g, p)) }
            }
        }
        for g in problemGroups.indices { problemGroups[g].positions = [] }
        guard !wanted.isEmpty else { return }
        wanted.sort { $0.position < $1.position }
        let records = build(wanted.map(\.position))
        for (w, r) in zip(wanted, records) { problemGroups[w.group].examples.append(r) }
    }

    public var problemCount: Int { flowCount - verdictCounts[Verdict.expected.rank] }

    public mutating func add(_ f: FlowRecord) {
        let key = f.component.map { $0 + "\u{0}" + (f.catalogID ?? "") } ?? ""
        let i = row(key, component: f.component, catalogID: f.catalogID)
        var roles: UInt64 = 0
        if f.verdict != .expected && !f.serverRoles.isEmpty {
            if let id = roleListIDs[f.serverRoles] { roles = id } else {
                roles = UInt64(roleListIDs.count + 1)
                roleListIDs[f.serverRoles] = roles
            }
        }
        if let g = count(i, client: f.client, server: f.server, packets: f.clientPackets + f.serverPackets,
                         bytes: f.clientBytes + f.serverBytes, verdict: f.verdict, proto: f.proto.rawValue,
                         port: f.serverPort, roles: roles) {
            problemGroups[g].examples.append(f)
        }
    }

    /// The same from a flow's summary (`FlowAnalyzer.snapshot(streamingSummaries:)`): rows are
    /// found by entry id, and `record` is called only for the first flow of a component. A problem
    /// group keeps its first flows' positions in the stream: call `resolveExamples` before
    /// writing the table.
    public mutating func add(_ f: FlowSummary, record: () -> FlowRecord) {
        let position = flowCount
        let slot = Int(f.componentID) + 1
        if slot >= rowOfComponent.count {
            rowOfComponent += [Int32](repeating: 0, count: slot + 16 - rowOfComponent.count)
        }
        var i = Int(rowOfComponent[slot]) - 1
        if i < 0 {
            if f.componentID < 0 {
                i = row("", component: nil, catalogID: nil)
            } else {
                let r = record()
                i = row(r.component.map { $0 + "\u{0}" + (r.catalogID ?? "") } ?? "", component: r.component,
                        catalogID: r.catalogID)
            }
            rowOfComponent[slot] = Int32(i + 1)
        }
        if let g = count(i, client: f.client, server: f.server, packets: f.packets, bytes: f.bytes,
                         verdict: f.verdict, proto: f.id.proto.rawValue, port: f.id.serverPort,
                         roles: f.serverRoleBits) {
            problemGroups[g].positions.append(position)
        }
    }

    mutating func row(_ key: String, component: String?, catalogID: String?) -> Int {
        if let j = rowIndex[key] { return j }
        let i = rows.count
        rowIndex[key] = i
        rows.append(ComponentRow(component: component, catalogID: catalogID))
        return i
    }

    /// Counts a flow in row `i` and, for a problem flow, its group; returns the group when the
    /// flow is one of its first `examples`.
    mutating func count(_ i: Int, client: IPAddress, server: IPAddress, packets: UInt64, bytes: UInt64,
                        verdict: Verdict, proto: UInt8, port: UInt16, roles: UInt64) -> Int? {
        flowCount += 1
        rows[i].flows += 1
        rows[i].packets += packets
        rows[i].bytes += bytes
        if hosts.insert(server, row: i) { rows[i].hostCount += 1 }
        if hosts.insert(client, row: i) { rows[i].hostCount += 1 }
        let r = verdict.rank
        verdictCounts[r] += 1
        if verdict != .expected {
            rows[i].problems += 1
            let key = ProblemGroup.Key(verdict: UInt8(r), proto: proto, port: port, row: Int32(i), roles: roles)
            let g = groupIndex.find(key, next: problemGroups.count)
            if g < problemGroups.count {
                problemGroups[g].flows += 1
                let kept = problemGroups[g].examples.count + problemGroups[g].positions.count
                return kept < examples ? g : nil
            }
            problemGroups.append(ProblemGroup(key: key, flows: 1, examples: []))
            return problemGroups.count - 1
        }
        return nil
    }
}

/// The table of a snapshot without flows (`FlowAnalyzer.snapshot(streaming:)`) and the summary of
/// the flows streamed from it.
public func writeTable<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, summary: TableSummary,
                                              options: ReportOptions = ReportOptions(), to out: inout Out) {
    TableReport(snapshot: snapshot, options: options, summary: summary).write(to: &out)
}

// MARK: - Text helpers

func pad(_ s: String, _ n: Int) -> String {
    let w = width(s)
    return w >= n ? s : s + spaces(n - w)
}
func lpad(_ s: String, _ n: Int) -> String {
    let w = width(s)
    return w >= n ? s : spaces(n - w) + s
}

/// `n` spaces (`String(repeating: " ", count:)` costs ≈ 2,000 instructions).
func spaces(_ n: Int) -> String {
    String(unsafeUninitializedCapacity: n) { buffer in
        buffer.initialize(repeating: UInt8(ascii: " "))
        return n
    }
}
func clip(_ s: String, _ n: Int, ascii: Bool = false) -> String {
    if width(s) <= n { return s }
    return ascii ? String(s.prefix(max(0, n - 3))) + "..." : String(s.prefix(max(0, n - 1))) + "…"
}

/// Every line of `text` at most `width` columns: a longer line is cut with an ellipsis, so a
/// terminal never wraps a row inside a cell. ANSI colour sequences (the table's own; names are
/// sanitised, so no other ESC reaches here) take no column, and a cut coloured line is reset.
/// With `ascii`, → … — (and the table's only other non-ASCII symbols) become -> ... -.
public func fitLines(_ text: String, width limit: Int, ascii: Bool) -> String {
    // Most lines fit as they are (fewer bytes than columns: a Character is at least one byte) and
    // need no ASCII replacement: copied as bytes, one line at a time, and only the others go
    // through `fitLine`. A CR anywhere (CR LF is one Character, so a line break the split below
    // would not make) sends the whole text the Character way.
    var text = text
    let fast: String? = text.withUTF8 { b in
        if b.contains(0x0D) { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 64)
        var start = 0
        while start <= b.count {
            var end = start
            var high = false
            while end < b.count && b[end] != 0x0A {
                high = high || b[end] >= 0x80
                end += 1
            }
            if start > 0 { out.append(0x0A) }
            let line = UnsafeBufferPointer(rebasing: b[start..<end])
            if (limit <= 0 || line.count <= limit) && !(ascii && high) {
                out.append(contentsOf: line)
            } else {
                out.append(contentsOf: fitLine(String(decoding: line, as: UTF8.self), limit, ascii).utf8)
            }
            start = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
    if let fast { return fast }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.offset > 0 { out += "\n" }
        out += fitLine(String(line.element), limit, ascii)
    }
    return out
}

/// One line of `fitLines`, cut to `limit` columns.
func fitLine(_ line: String, _ limit: Int, _ ascii: Bool) -> String {
    var l = line
    if ascii, l.utf8.contains(where: { $0 >= 0x80 }) {
        l = l.replacingAll("→", "->").replacingAll("…", "...").replacingAll("—", "-").replacingAll("×", "x")
    }
    let coloured = l.utf8.contains(0x1B)
    guard limit > 0, (coloured ? visibleWidth(l) : width(l)) > limit else { return l }
    var visible = 0
    var inEscape = false
    let keep = limit - (ascii ? 3 : 1)
    var cut = ""
    for c in l {
        if inEscape || c == "\u{1B}" {
            inEscape = c != "m"
            cut.append(c)
            continue
        }
        if visible == keep { break }
        cut.append(c)
        visible += 1
    }
    return cut + (ascii ? "..." : "…") + (coloured ? "\u{1B}[0m" : "")
}

/// Characters of `s` outside ANSI `ESC [ … m` sequences.
func visibleWidth(_ s: String) -> Int {
    var n = 0
    var inEscape = false
    for c in s {
        if inEscape || c == "\u{1B}" {
            inEscape = c != "m"
            continue
        }
        n += 1
    }
    return n
}

extension String {
    /// Every `a` replaced by `b` (no Foundation).
    func replacingAll(_ a: String, _ b: String) -> String {
        guard contains(a) else { return self }
        return split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

/// A line of text being built as UTF-8 bytes.
struct TextBytes {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func add(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Decimal, as `String(n)` prints it.
    mutating func add(_ n: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, written from the end
        withUnsafeMutableBytes(of: &digits) { raw in
            var v = n, i = 24
            repeat {
                i -= 1
                raw[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v != 0
            bytes.append(contentsOf: raw[i..<24])
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// `string.count`, as `width` counts it.
    var width: Int { bytes.withUnsafeBufferPointer { utf8Width($0) } ?? string.count }
}

/// `s.count` (Characters) without grapheme breaking when every scalar is a Character of its own:
/// ASCII but CR (CR LF is one Character) and the two symbols the table prints (→, …); anything
/// else is counted by `count`.
func width(_ s: String) -> Int {
    var s = s
    return s.withUTF8 { utf8Width($0) } ?? s.count
}

/// The Characters of UTF-8 `b` when each is one ASCII byte (not CR) or → / …; nil otherwise.
func utf8Width(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
    var n = 0, i = 0
    while i < b.count {
        let c = b[i]
        if c < 0x80 {
            if c == 0x0D { return nil }
            i += 1
        } else if c == 0xE2 && i + 2 < b.count
                    && ((b[i + 1] == 0x86 && b[i + 2] == 0x92) || (b[i + 1] == 0x80 && b[i + 2] == 0xA6)) {
            i += 3  // → U+2192, … U+2026
        } else {
            return nil
        }
        n += 1
    }
    return n
}

/// "1 flow", "2 flows", "1,234 flows".
func plural(_ n: UInt64, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(group(n)) \(word)s" }

/// 1234567 → "1,234,567".
func group(_ n: UInt64) -> String {
    let digits = Array(String(n).utf8)
    var out: [UInt8] = []
    out.reserveCapacity(digits.count + digits.count / 3)
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
        out.append(c)
    }
    return String(decoding: out, as: UTF8.self)
}

/// 1536 → "1.5 KiB".
func byteText(_ n: UInt64) -> String {
    if n < 1024 { return "\(n) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var v = Double(n) / 1024
    var i = 0
    while v >= 1024 && i < units.count - 1 {
        v /= 1024
        i += 1
    }
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[i])"
}

/// "a.b.c.d:port", as `IPAddress.text(version: 4)` and an interpolated port print it, written
/// digit by digit (the interpolations cost ≈ 3,000 instructions per endpoint).
func v4Endpoint(_ v: UInt32, _ port: UInt16) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(21)
    func decimal(_ n: UInt32) {
        if n >= 10 { decimal(n / 10) }
        out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: n % 10))
    }
    decimal(v >> 24)
    out.append(UInt8(ascii: "."))
    decimal((v >> 16) & 0xFF)
    out.append(UInt8(ascii: "."))
    decimal((v >> 8) & 0xFF)
    out.append(UInt8(ascii: "."))
    decimal(v & 0xFF)
    out.append(UInt8(ascii: ":"))
    decimal(UInt32(port))
    return String(decoding: out, as: UTF8.self)
}

/// The `table` format.
enum TableFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        TableReport(snapshot: snapshot, options: options).write(to: &out)
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        var failed = false
        var summary = TableSummary(options: options)
        let failBits = Verdict.bits(failOn)
        let snapshot = analyzer.snapshot(streamingSummaries: { f, record in
            summary.add(f, record: record)
            if f.verdictBits & failBits != 0 { failed = true }
        })
        summary.resolveExamples { analyzer.flowRecords(at: $0) }
        writeTable(snapshot, summary: summary, options: options, to: &out)
        return failed
    }

    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        write(r.snapshot, options: options, to: &out)
        let a = r.snapshot.accounting
        var text = "\nCapture on \(r.interface): \(a.total.packets) packets"
        if let d = r.drops {
            text += "; dropped \(d.kernel) by the kernel, \(d.interface) by the interface"
            if d.any { text += " — verdicts may be incomplete" }
        }
        if r.expiredNotListed > 0 { text += "; \(r.expiredNotListed) expired flows counted but not listed" }
        out.write(text + "\n")
    }
}
