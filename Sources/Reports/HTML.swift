import FlowAnalysis
import PacketWire
import PortCatalog

// The `html` format: one self-contained page (no network, no external script, font or style) that
// answers "does the cluster's traffic match the vendors' port lists, and where not?". It holds
// summaries gathered one flow at a time, never every flow: the page says how to get the JSON Lines.

/// The `html` format.
enum HTMLFormat: FormatWriter {
    static func write<Out: TextOutputStream>(_ snapshot: AnalysisSnapshot, options: ReportOptions, to out: inout Out) {
        var s = HTMLSummary(timeSampleEvery: 1)
        for f in snapshot.flows { s.add(f) }
        HTMLPage(snapshot: snapshot, summary: s, failOn: nil, live: nil).write(to: &out)
    }

    static func stream<Out: TextOutputStream>(_ analyzer: FlowAnalyzer, options: ReportOptions, failOn: Set<Verdict>,
                                              to out: inout Out) -> Bool {
        var failed = false
        let failBits = Verdict.bits(failOn)
        var s = HTMLSummary(catalog: analyzer.configuration.catalog, inventory: analyzer.configuration.inventory,
                            flowCount: analyzer.flowCount)
        let snapshot = analyzer.snapshot(streamingSummaries: { f, record in
            s.add(f, record: record)
            if f.verdictBits & failBits != 0 { failed = true }
        })
        var page = HTMLPage(snapshot: snapshot, summary: s, failOn: failOn, live: nil)
        page.partial = options.partial
        page.write(to: &out)
        return failed
    }

    static func writeLiveFinal<Out: TextOutputStream, Facts: TextOutputStream>(
        _ r: LiveFinal, options: ReportOptions, to out: inout Out, facts: inout Facts
    ) {
        var s = HTMLSummary(timeSampleEvery: 1)
        for f in r.snapshot.flows { s.add(f) }
        HTMLPage(snapshot: r.snapshot, summary: s, failOn: nil, live: r).write(to: &out)
    }
}

/// `live --html FILE`: the final report as a page, written besides the report on standard output.
/// `failOn` is live's --fail-on (for the exit status the header states).
public func writeLiveHTML<Out: TextOutputStream>(_ r: LiveFinal, failOn: Set<Verdict>, to out: inout Out) {
    var s = HTMLSummary(timeSampleEvery: 1)
    for f in r.snapshot.flows { s.add(f) }
    HTMLPage(snapshot: r.snapshot, summary: s, failOn: failOn, live: r).write(to: &out)
}

// MARK: - Summary gathered while streaming

/// One component's totals.
struct HTMLComponent {
    var name: String?
    var catalogID: String?
    var flows = 0
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var problems = 0
}

/// A matrix cell's (component, protocol, port) item.
struct HTMLCellItem: Hashable {
    var cell: Int
    var component: Int
    var proto: UInt8
    var port: UInt16
}

/// A problem group: verdict → (component, protocol, port); its servers.
struct HTMLGroupKey: Hashable {
    var verdict: Int
    var component: Int
    var proto: UInt8
    var port: UInt16
}

struct HTMLServer {
    var address: IPAddress
    var version: UInt8
    var flows = 0
    /// The first flows of this server in the group (records are built only for these).
    var examples: [FlowRecord] = []
}

struct HTMLGroup {
    var key: HTMLGroupKey
    var flows = 0
    var servers: [HTMLServer] = []
    var serverIndex: [IPAddress: Int] = [:]
}

/// A flow's place in time (of every flow, or of one in `sampleEvery` when there are many).
struct HTMLTimeSample {
    var first: Int64
    var last: Int64
    var bytes: UInt64
    var component: Int32
    var verdict: UInt8
}

/// What the page needs from the flows, gathered one flow at a time (as `TableSummary` for the
/// table): components, the role matrix, problem groups with a few example records, the flows'
/// times. Records are built only for listed examples and time samples.
struct HTMLSummary {
    static let examplesPerServer = 2
    static let serversPerGroup = 6
    static let groupsPerVerdict = 25

    var catalog: CompiledCatalog?
    var inventory: Inventory?
    /// The catalogs of the run (known when streamed from an analyzer).
    var catalogIDs: [String] = []
    var components: [HTMLComponent] = []
    var componentIndex: [String: Int] = [:]
    /// Component entry id + 1 → component + 1 (0: not seen yet).
    var componentOfEntry: [Int32] = []
    var roleLabels: [String] = []
    var roleIndex: [String: Int] = [:]
    var roleOfBits: [UInt64: Int] = [:]
    /// Cell (client role × 4096 + server role) → flows and worst verdict rank.
    var cells: [Int: (flows: Int, worst: Int)] = [:]
    var cellItems: [HTMLCellItem: (flows: Int, worst: Int)] = [:]
    var verdictCounts = [Int](repeating: 0, count: Verdict.byRank.count)
    var verdictBytes = [UInt64](repeating: 0, count: Verdict.byRank.count)
    var groups: [HTMLGroup] = []
    var groupIndex: [HTMLGroupKey: Int] = [:]
    /// Records kept per verdict (bounded, so a million problem flows keep a few hundred).
    var recordsKept = [Int](repeating: 0, count: Verdict.byRank.count)
    var samples: [HTMLTimeSample] = []
    let sampleEvery: Int
    var flowCount = 0
    var totalFlows: Int

    /// For records (`write`, live): every flow's time is known.
    init(timeSampleEvery: Int) {
        sampleEvery = timeSampleEvery
        totalFlows = 0
    }

    /// For summaries streamed from an analyzer of `flowCount` flows: times come from the records of
    /// one flow in `sampleEvery` (about 50,000 records at most), the totals from every summary.
    init(catalog: CompiledCatalog, inventory: Inventory, flowCount: Int) {
        self.catalog = catalog
        self.inventory = inventory
        catalogIDs = catalog.catalogs.map(\.id)
        sampleEvery = max(1, flowCount / 50_000)
        totalFlows = flowCount
    }

    var problemCount: Int { flowCount - verdictCounts[Verdict.expected.rank] }
    var sampled: Bool { sampleEvery > 1 }

    mutating func component(key: String, name: String?, catalogID: String?) -> Int {
        if let i = componentIndex[key] { return i }
        components.append(HTMLComponent(name: name, catalogID: catalogID))
        componentIndex[key] = components.count - 1
        return components.count - 1
    }

    mutating func role(_ names: [String]) -> Int {
        let label = names.isEmpty ? "outside" : names.joined(separator: "+")
        if let i = roleIndex[label] { return i }
        roleLabels.append(label)
        roleIndex[label] = roleLabels.count - 1
        return roleLabels.count - 1
    }

    mutating func role(bits: UInt64) -> Int {
        if let i = roleOfBits[bits] { return i }
        let i = role(catalog?.roleNames(of: RoleSet(bits: bits)) ?? [])
        roleOfBits[bits] = i
        return i
    }

    /// A flow from a snapshot that holds its records.
    mutating func add(_ f: FlowRecord) {
        let c = component(key: f.component.map { $0 + "\u{0}" + (f.catalogID ?? "") } ?? "", name: f.component,
                          catalogID: f.catalogID)
        let cr = role(f.clientRoles), sr = role(f.serverRoles)
        count(f.id, component: c, clientRole: cr, serverRole: sr, packets: f.packets, bytes: f.bytes,
              verdict: f.verdict, record: { f })
    }

    /// A flow's summary streamed from an analyzer; `record` is called for listed flows and time samples.
    mutating func add(_ f: FlowSummary, record: () -> FlowRecord) {
        let slot = Int(f.componentID) + 1
        if slot >= componentOfEntry.count {
            componentOfEntry += [Int32](repeating: 0, count: slot + 16 - componentOfEntry.count)
        }
        var c = Int(componentOfEntry[slot]) - 1
        if c < 0 {
            if let catalog, f.componentID >= 0, Int(f.componentID) < catalog.entries.count {
                let e = catalog.entries[Int(f.componentID)]
                c = component(key: e.component + "\u{0}" + e.catalogID, name: e.component, catalogID: e.catalogID)
            } else {
                c = component(key: "", name: nil, catalogID: nil)
            }
            componentOfEntry[slot] = Int32(c + 1)
        }
        var cr = 0, sr = 0
        if let inventory {
            cr = role(bits: inventory.isEmpty ? 0 : inventory.roles(of: f.client, version: f.ipVersion).bits)
            sr = role(bits: inventory.isEmpty ? 0 : inventory.roles(of: f.server, version: f.ipVersion).bits)
        }
        count(f.id, component: c, clientRole: cr, serverRole: sr, packets: f.packets, bytes: f.bytes,
              verdict: f.verdict, record: record)
    }

    mutating func count(_ id: FlowID, component c: Int, clientRole: Int, serverRole: Int, packets: UInt64,
                        bytes: UInt64, verdict: Verdict, record: () -> FlowRecord) {
        let index = flowCount
        flowCount += 1
        let rank = verdict.rank
        components[c].flows += 1
        components[c].packets += packets
        components[c].bytes += bytes
        verdictCounts[rank] += 1
        verdictBytes[rank] += bytes
        let cell = clientRole * 4096 + serverRole
        cells[cell, default: (0, rank)].flows += 1
        if rank < cells[cell]!.worst { cells[cell]!.worst = rank }
        let item = HTMLCellItem(cell: cell, component: c, proto: id.proto.rawValue, port: id.serverPort)
        cellItems[item, default: (0, rank)].flows += 1
        if rank < cellItems[item]!.worst { cellItems[item]!.worst = rank }

        var built: FlowRecord?
        if verdict.isProblem {
            components[c].problems += 1
            let key = HTMLGroupKey(verdict: rank, component: c, proto: id.proto.rawValue, port: id.serverPort)
            var g: Int
            if let i = groupIndex[key] {
                g = i
            } else {
                g = groups.count
                groups.append(HTMLGroup(key: key))
                groupIndex[key] = g
            }
            groups[g].flows += 1
            var s: Int
            if let i = groups[g].serverIndex[id.server] {
                s = i
            } else {
                s = groups[g].servers.count
                groups[g].servers.append(HTMLServer(address: id.server, version: id.ipVersion))
                groups[g].serverIndex[id.server] = s
            }
            groups[g].servers[s].flows += 1
            // Enough records for the groups and servers the page can list, however many flows.
            let cap = HTMLSummary.groupsPerVerdict * HTMLSummary.serversPerGroup * HTMLSummary.examplesPerServer
            if groups[g].servers[s].examples.count < HTMLSummary.examplesPerServer && recordsKept[rank] < cap * 4 {
                let r = record()
                built = r
                groups[g].servers[s].examples.append(r)
                recordsKept[rank] += 1
            }
        }
        if index % sampleEvery == 0 || index == totalFlows - 1 {
            let r = built ?? record()
            samples.append(HTMLTimeSample(first: r.firstTimestamp, last: r.lastTimestamp, bytes: bytes,
                                          component: Int32(c), verdict: UInt8(rank)))
        }
    }
}

// MARK: - The page

/// A verdict's colour class, symbol and plain-words meaning.
func verdictSymbol(_ v: Verdict) -> String {
    switch v {
    case .blockedDrop: "✖"
    case .blockedRST: "⊘"
    case .blockedICMP: "⚠"
    case .outsideToInternal: "⇥"
    case .wrongRole: "◆"
    case .unexpectedPort: "?"
    case .expected: "✓"
    }
}

func verdictMeaning(_ v: Verdict) -> String {
    switch v {
    case .blockedDrop: "connection attempts never answered"
    case .blockedRST: "connection attempts answered by RST"
    case .blockedICMP: "answered by ICMP destination unreachable"
    case .outsideToInternal: "cluster-only ports reached from outside"
    case .wrongRole: "port served by a host whose role should not serve it"
    case .unexpectedPort: "no catalog lists the port"
    case .expected: "as the catalogs list it"
    }
}

/// The page text, built as UTF-8 bytes: `raw` for the page's own markup, `text` for every string
/// that comes from a file, a catalog or an inventory (escaped).
struct HTMLText {
    var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1 << 16) }
    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }
    mutating func text(_ s: String) { appendHTMLEscaped(s, to: &bytes) }
    mutating func num(_ n: Int) { appendDecimal(n, to: &bytes) }
    mutating func num(_ n: UInt64) { appendDecimal(n, to: &bytes) }
    /// `v` with one decimal ("12.3"), as `num1` writes it.
    mutating func num1(_ v: Double) {
        var t = Int((v * 10).rounded())
        if t < 0 {
            bytes.append(UInt8(ascii: "-"))
            t = -t
        }
        appendDecimal(t / 10, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(t % 10))
    }
    mutating func flush<Out: TextOutputStream>(to out: inout Out) {
        out.write(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }
}

struct HTMLPage {
    let snapshot: AnalysisSnapshot
    let summary: HTMLSummary
    /// --fail-on of the run (nil: not known, e.g. `render`).
    let failOn: Set<Verdict>?
    let live: LiveFinal?
    /// Reading stopped early (analyze on a signal): why and what was read.
    var partial: String? = nil

    static let bins = 60

    func write<Out: TextOutputStream>(to out: inout Out) {
        var h = HTMLText()
        head(&h)
        header(&h)
        h.flush(to: &out)
        verdictSummary(&h)
        matrix(&h)
        h.flush(to: &out)
        charts(&h)
        h.flush(to: &out)
        problems(&h)
        h.flush(to: &out)
        componentsTable(&h)
        coverage(&h)
        accounting(&h)
        h.raw("<footer><p>Written by portolan. This page holds summaries; every flow with its verdicts and evidence is in the JSON Lines report: <code>")
        h.text(jsonlCommand)
        h.raw("</code> (one JSON object per flow, same verdicts and frame numbers).</p></footer>\n")
        h.raw(Self.script)
        h.raw("</main>\n</body>\n</html>\n")
        h.flush(to: &out)
    }

    var fileNames: String {
        snapshot.sources.map { n in n.name.contains(" ") ? "'" + n.name + "'" : n.name }.joined(separator: " ")
    }

    var jsonlCommand: String {
        live != nil ? "portolan live … --format jsonl > flows.jsonl"
            : "portolan analyze \(fileNames) --format jsonl -o flows.jsonl"
    }

    func head(_ h: inout HTMLText) {
        h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        // Records script errors in the page itself (tests read it from the DOM).
        h.raw("<script>window.addEventListener('error',function(e){document.documentElement.setAttribute('data-js-error',String(e.message))});</script>\n")
        h.raw("<title>Portolan report — ")
        h.text(live.map { "live on " + $0.interface } ?? snapshot.sources.map(\.name).joined(separator: ", "))
        h.raw("</title>\n<style>\n")
        h.raw(Self.style)
        h.raw("</style>\n</head>\n<body>\n<main>\n")
    }

    // MARK: header

    /// The columns of the capture file table. A column is a header and a cell maker, so a group
    /// column (vantage point or piece) is one more element here.
    var sourceColumns: [(header: String, numeric: Bool, cell: (Int, SourceInfo) -> String)] {
        [
            ("File", false, { _, s in s.name }),
            ("Packets", true, { _, s in group(s.packets) }),
            ("Bytes", true, { _, s in byteText(s.bytes) }),
            ("Read", false, { _, s in s.error.map { "stopped: " + $0 } ?? "complete" }),
        ]
    }

    func header(_ h: inout HTMLText) {
        let a = snapshot.accounting
        let s = summary
        h.raw("<header>\n<h1>Portolan report</h1>\n<p class=\"lead\">")
        if let live {
            h.raw("Live capture on <b>")
            h.text(live.interface)
            h.raw("</b>, ")
            h.raw(liveSeconds(live.elapsedNanos))
            h.raw(" s, stopped by ")
            h.text(live.fault != nil ? "fault" : live.stopped)
            h.raw(". ")
        }
        h.raw(group(a.total.packets) + " packets, " + byteText(a.total.bytes) + ", " + group(UInt64(s.flowCount))
              + " flows, <b>" + group(UInt64(s.problemCount)) + "</b> with problems.</p>\n")
        if let partial {
            h.raw("<p class=\"bad\"><b>Partial report:</b> ")
            h.text(partial)
            h.raw("</p>\n")
        }
        h.raw("<div class=\"facts\">\n<table class=\"files\">\n<caption>Capture files</caption>\n<thead><tr>")
        let cols = sourceColumns
        for c in cols { h.raw(c.numeric ? "<th class=\"n\">" : "<th>"); h.text(c.header); h.raw("</th>") }
        h.raw("</tr></thead>\n<tbody>\n")
        for (i, src) in snapshot.sources.enumerated() {
            h.raw(src.error != nil ? "<tr class=\"bad\">" : "<tr>")
            for c in cols { h.raw(c.numeric ? "<td class=\"n\">" : "<td>"); h.text(c.cell(i, src)); h.raw("</td>") }
            h.raw("</tr>\n")
        }
        if snapshot.sources.isEmpty { h.raw("<tr><td colspan=\"\(cols.count)\">(none)</td></tr>\n") }
        h.raw("</tbody>\n</table>\n<dl>\n")
        h.raw("<dt>Time span</dt><dd>")
        if let (first, last) = timeSpan {
            h.raw((s.sampled ? "≈ " : "") + dateText(first) + " → " + dateText(last) + " (" + durationText(last.subtractingReportingOverflow(first).overflow ? .max : last - first) + ")")
        } else {
            h.raw("no flows")
        }
        h.raw("</dd>\n<dt>Catalogs</dt><dd>")
        h.text(catalogText)
        h.raw("</dd>\n<dt>Inventory</dt><dd>")
        if snapshot.inventoryKnown {
            h.raw("given: \(snapshot.hosts.count) host\(snapshot.hosts.count == 1 ? "" : "s") with catalog roles")
        } else {
            h.raw("<span class=\"warn\">none</span>: role verdicts (wrong-role, outside-to-internal) not claimed; every host is “outside”")
        }
        h.raw("</dd>\n<dt>Accounting</dt><dd>")
        if a.isBalanced {
            h.raw("<span class=\"ok\">✓ balanced</span>: every packet is in exactly one bucket (see Accounting)")
        } else {
            h.raw("<span class=\"bad\">✖ MISMATCH</span>: parts " + group(a.parts.packets) + " packets ≠ " + group(a.total.packets))
        }
        h.raw("</dd>\n<dt>Exit status</dt><dd>")
        h.raw(exitStatusText)
        if let live, let d = live.drops {
            h.raw("</dd>\n<dt>Drops</dt><dd>")
            h.raw("\(d.kernel) by the kernel, \(d.interface) by the interface")
            if d.any { h.raw(" — <span class=\"bad\">verdicts may be incomplete</span>") }
        }
        h.raw("</dd>\n</dl>\n</div>\n</header>\n")
    }

    var catalogText: String {
        if !summary.catalogIDs.isEmpty { return summary.catalogIDs.joined(separator: ", ") }
        // A snapshot does not name its catalogs: those the flows and hosts were attributed to.
        var ids: [String] = []
        for c in summary.components { if let id = c.catalogID, !ids.contains(id) { ids.append(id) } }
        for host in snapshot.hosts {
            for e in host.exercised + host.unexercised where !ids.contains(e.catalogID) { ids.append(e.catalogID) }
        }
        return ids.isEmpty ? "no entry matched" : ids.joined(separator: ", ")
    }

    var exitStatusText: String {
        let unreadable = snapshot.sources.contains { $0.error != nil }
        var t = ""
        if unreadable { t += "<b>2</b> (a file could not be read to its end; 0/1 as below with --allow-damaged). " }
        guard let failOn else {
            return t + (summary.problemCount > 0 ? "with --fail-on problems: <b>1</b>" : "with --fail-on problems: <b>0</b>")
        }
        let hit = Verdict.byRank.filter { failOn.contains($0) && summary.verdictCounts[$0.rank] > 0 }
        if failOn.isEmpty {
            t += "<b>0</b> (no --fail-on given); with --fail-on problems: <b>\(summary.problemCount > 0 ? 1 : 0)</b>"
        } else if hit.isEmpty {
            t += "<b>0</b>: no flow has a verdict in --fail-on " + Verdict.byRank.filter(failOn.contains).map(\.rawValue).joined(separator: ",")
        } else {
            t += "<b>1</b>: flows with " + hit.map(\.rawValue).joined(separator: ", ") + " (in --fail-on)"
        }
        return t
    }

    /// First and last timestamps of the flows (of the sample, when sampled).
    var timeSpan: (Int64, Int64)? {
        guard let f = summary.samples.first else { return nil }
        var lo = f.first, hi = f.last
        for s in summary.samples {
            lo = min(lo, s.first)
            hi = max(hi, s.last)
        }
        return (lo, hi)
    }

    // MARK: verdict summary

    func verdictSummary(_ h: inout HTMLText) {
        h.raw("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<ul class=\"chips\">\n")
        for v in Verdict.byRank {
            let n = summary.verdictCounts[v.rank]
            h.raw("<li class=\"chip v\(v.rank)\(n == 0 ? " zero" : "")\"><div class=\"chiphead\"><span class=\"sym\">\(verdictSymbol(v))</span> \(v.rawValue)</div>")
            h.raw("<div class=\"count\">" + group(UInt64(n)) + " flow" + (n == 1 ? "" : "s") + "</div><small>" + verdictMeaning(v) + "</small></li>\n")
        }
        h.raw("</ul>\n</section>\n")
    }

    // MARK: role matrix

    func componentName(_ c: Int) -> String {
        summary.components[c].name ?? "(no catalog entry)"
    }

    func matrix(_ h: inout HTMLText) {
        let s = summary
        h.raw("<section id=\"matrix\">\n<h2>Who talks to whom</h2>\n<p class=\"note\">Rows: the client's inventory roles; columns: the server's. “outside”: not a host of the inventory. A cell lists the components and server ports seen (flows in brackets), coloured by its worst verdict.</p>\n")
        guard !s.cells.isEmpty else {
            h.raw("<p>(no flows)</p>\n</section>\n")
            return
        }
        var clientRoles = Set<Int>(), serverRoles = Set<Int>()
        for k in s.cells.keys {
            clientRoles.insert(k / 4096)
            serverRoles.insert(k % 4096)
        }
        func order(_ set: Set<Int>) -> [Int] {
            set.sorted { a, b in
                let la = s.roleLabels[a], lb = s.roleLabels[b]
                if (la == "outside") != (lb == "outside") { return lb == "outside" }
                return la < lb
            }
        }
        let rows = order(clientRoles), cols = order(serverRoles)
        var itemsOf: [Int: [(HTMLCellItem, Int, Int)]] = [:]
        for (k, v) in s.cellItems { itemsOf[k.cell, default: []].append((k, v.flows, v.worst)) }
        h.raw("<div class=\"scroll\"><table class=\"matrix\">\n<thead><tr><th class=\"corner\">client ↓ · server →</th>")
        for c in cols { h.raw("<th>"); h.text(s.roleLabels[c]); h.raw("</th>") }
        h.raw("</tr></thead>\n<tbody>\n")
        for r in rows {
            h.raw("<tr><th>")
            h.text(s.roleLabels[r])
            h.raw("</th>")
            for c in cols {
                let key = r * 4096 + c
                guard let cell = s.cells[key] else {
                    h.raw("<td class=\"empty\"></td>")
                    continue
                }
                let v = Verdict(rank: cell.worst)
                h.raw("<td class=\"v\(v.rank)\"><div class=\"cellhead\"><span class=\"sym\">\(verdictSymbol(v))</span> \(v.rawValue) · \(group(UInt64(cell.flows)))</div><ul>")
                var items = itemsOf[key] ?? []
                items.sort { ($0.2, -$0.1, $0.0.component, $0.0.port, $0.0.proto) < ($1.2, -$1.1, $1.0.component, $1.0.port, $1.0.proto) }
                for (it, n, w) in items.prefix(6) {
                    h.raw("<li class=\"t\(w)\" title=\"\(Verdict(rank: w).rawValue)\"><span class=\"sym\">\(verdictSymbol(Verdict(rank: w)))</span> ")
                    h.text(componentName(it.component))
                    h.raw(" <span class=\"port\">" + IPProtocol(rawValue: it.proto).name + "/" + String(it.port) + "</span> (" + group(UInt64(n)) + ")</li>")
                }
                if items.count > 6 { h.raw("<li class=\"more\">+ \(items.count - 6) more</li>") }
                h.raw("</ul></td>")
            }
            h.raw("</tr>\n")
        }
        h.raw("</tbody>\n</table></div>\n</section>\n")
    }

    // MARK: charts

    /// The start of bin `k` (saturating: timestamps from files may span all of Int64).
    static func edge(_ start: Int64, _ k: Int, _ width: Int64) -> Int64 {
        let (offset, o1) = Int64(k).multipliedReportingOverflow(by: width)
        let (t, o2) = start.addingReportingOverflow(offset)
        return o1 || o2 ? .max : t
    }

    func charts(_ h: inout HTMLText) {
        let s = summary
        h.raw("<section id=\"time\">\n<h2>Traffic over time</h2>\n")
        guard let (start, end) = timeSpan else {
            h.raw("<p>(no flows)</p>\n</section>\n")
            return
        }
        let bins = Self.bins
        // Timestamps come from files and may span all of Int64: the span and offsets are taken
        // as unsigned differences (end ≥ start), and bin edges saturate.
        let span = UInt64(bitPattern: end &- start)
        let width = Int64(span / UInt64(bins) + 1)
        func bin(_ t: Int64) -> Int {
            guard t > start else { return 0 }
            return min(bins - 1, Int(UInt64(bitPattern: t &- start) / UInt64(width)))
        }

        // Top components by bytes get a series each; the rest is "other".
        let topN = 8
        let ranked = s.components.indices.sorted { (s.components[$0].bytes, $1) > (s.components[$1].bytes, $0) }
        var seriesOf = [Int](repeating: topN, count: s.components.count)
        for (i, c) in ranked.prefix(topN).enumerated() { seriesOf[c] = i }
        let compSeries = min(topN, ranked.count) + (ranked.count > topN ? 1 : 0)
        // Flat (series × bins) while adding up: nested arrays would check uniqueness on every add.
        let vCount = Verdict.byRank.count
        var cb = [Double](repeating: 0, count: (topN + 1) * bins), cf = cb
        var vb = [Double](repeating: 0, count: vCount * bins), vf = vb
        for x in s.samples {
            let b0 = bin(x.first), b1 = bin(max(x.first, x.last))
            let share = Double(x.bytes) / Double(b1 - b0 + 1)
            let cs = seriesOf[Int(x.component)] * bins, vs = Int(x.verdict) * bins
            cf[cs + b0] += 1
            vf[vs + b0] += 1
            for b in b0...b1 {
                cb[cs + b] += share
                vb[vs + b] += share
            }
        }
        func rows(_ flat: [Double], _ n: Int) -> [[Double]] { (0..<n).map { Array(flat[$0 * bins..<($0 + 1) * bins]) } }
        var compBytes = rows(cb, topN + 1), compFlows = rows(cf, topN + 1)
        var verdBytes = rows(vb, vCount), verdFlows = rows(vf, vCount)
        // A sample's shape, scaled to the exact totals of every flow.
        var exactCompBytes = [Double](repeating: 0, count: topN + 1), exactCompFlows = exactCompBytes
        for (c, comp) in s.components.enumerated() {
            exactCompBytes[seriesOf[c]] += Double(comp.bytes)
            exactCompFlows[seriesOf[c]] += Double(comp.flows)
        }
        func scale(_ series: inout [[Double]], _ exact: [Double]) {
            for i in series.indices {
                let sum = series[i].reduce(0, +)
                if sum > 0 { series[i] = series[i].map { $0 * exact[i] / sum } }
            }
        }
        scale(&compBytes, exactCompBytes)
        scale(&compFlows, exactCompFlows)
        scale(&verdBytes, s.verdictBytes.map { Double($0) })
        scale(&verdFlows, s.verdictCounts.map { Double($0) })

        h.raw("<p class=\"note\">\(bins) intervals of " + durationText(width) + " from " + dateText(start)
              + ". Bytes: a flow's bytes spread evenly over the intervals it lasted; new flows: counted in the interval of the flow's first packet.")
        if s.sampled {
            h.raw(" Times are from one flow in \(group(UInt64(s.sampleEvery))) (\(group(UInt64(s.samples.count))) flows), scaled to the exact totals of every series.")
        }
        h.raw(" Hover a bar for its numbers.</p>\n")
        var compNames: [String] = ranked.prefix(topN).map(componentName)
        if compSeries > topN { compNames.append("other components") }
        let compDefs = compNames.enumerated().map { (name: $0.element, cls: "c\($0.offset)") }
        let verdDefs = Verdict.byRank.map { (name: verdictSymbol($0) + " " + $0.rawValue, cls: "v\($0.rank)") }
        h.raw("<div class=\"charts\">\n")
        chart(&h, title: "Bytes per interval, by component", series: compDefs, values: compBytes, bytes: true, start: start, width: width)
        chart(&h, title: "New flows per interval, by component", series: compDefs, values: compFlows, bytes: false, start: start, width: width)
        chart(&h, title: "Bytes per interval, by verdict", series: verdDefs, values: verdBytes, bytes: true, start: start, width: width)
        chart(&h, title: "New flows per interval, by verdict", series: verdDefs, values: verdFlows, bytes: false, start: start, width: width)
        h.raw("</div>\n</section>\n")
    }

    /// A stacked bar chart as inline SVG: one bar per interval, one colour per series, a
    /// `<title>` per bar with every series' value (the tooltip, and text for screen readers).
    func chart(_ h: inout HTMLText, title: String, series: [(name: String, cls: String)], values: [[Double]],
               bytes: Bool, start: Int64, width: Int64) {
        let bins = Self.bins
        let w = 640.0, ht = 170.0, left = 64.0, bottom = 22.0, top = 8.0
        var totals = [Double](repeating: 0, count: bins)
        for i in series.indices { for b in 0..<bins { totals[b] += values[i][b] } }
        let peak = totals.max() ?? 0
        // Counts get whole-number ticks (at least 0…4).
        let maxY = bytes ? niceCeiling(peak) : max(4, (niceCeiling(peak) / 4).rounded(.up) * 4)
        func fmt(_ v: Double) -> String { bytes ? byteText(UInt64(v.rounded())) : group(UInt64(v.rounded())) }
        h.raw("<figure class=\"chart\">\n<figcaption>")
        h.text(title)
        h.raw("</figcaption>\n<svg viewBox=\"0 0 \(Int(w)) \(Int(ht))\" role=\"img\" aria-label=\"")
        h.text(title)
        h.raw("\">\n")
        let plotH = ht - bottom - top, plotW = w - left - 4
        for k in 0...4 {
            let y = top + plotH - plotH * Double(k) / 4
            h.raw("<line class=\"grid\" x1=\"\(Int(left))\" x2=\"\(Int(w - 4))\" y1=\"\(num1(y))\" y2=\"\(num1(y))\"/>")
            h.raw("<text class=\"axis\" x=\"\(Int(left - 4))\" y=\"\(num1(y + 4))\" text-anchor=\"end\">" + fmt(maxY * Double(k) / 4) + "</text>\n")
        }
        let barW = plotW / Double(bins)
        for b in 0..<bins where totals[b] > 0 {
            h.raw("<g><title>")
            h.text(timeOfDay(Self.edge(start, b, width)) + " – " + fmt(totals[b]))
            for i in series.indices where values[i][b] > 0 {
                h.raw("\n")
                h.text(series[i].name + ": " + fmt(values[i][b]))
            }
            h.raw("</title>")
            var y = top + plotH
            for i in series.indices where values[i][b] > 0 {
                let barH = maxY > 0 ? plotH * values[i][b] / maxY : 0
                y -= barH
                // Written piece by piece: a page has thousands of these.
                h.raw("<rect class=\"")
                h.raw(series[i].cls)
                h.raw("\" x=\"")
                h.num1(left + Double(b) * barW + 0.5)
                h.raw("\" y=\"")
                h.num1(y)
                h.raw("\" width=\"")
                h.num1(max(barW - 1, 0.5))
                h.raw("\" height=\"")
                h.num1(max(barH, 0.3))
                h.raw("\"/>")
            }
            h.raw("</g>\n")
        }
        for (k, anchor) in [(0, "start"), (bins / 2, "middle"), (bins, "end")] {
            let x = left + Double(k) * barW
            h.raw("<text class=\"axis\" x=\"\(num1(x))\" y=\"\(Int(ht - 6))\" text-anchor=\"\(anchor)\">" + timeOfDay(Self.edge(start, k, width)) + "</text>")
        }
        h.raw("\n</svg>\n<ul class=\"legend\">")
        for (i, s) in series.enumerated() {
            let total = values[i].reduce(0, +)
            h.raw("<li><span class=\"sw \(s.cls)\"></span>")
            h.text(s.name)
            h.raw(" <small>" + fmt(total) + "</small></li>")
        }
        h.raw("</ul>\n</figure>\n")
    }

    // MARK: problems

    func problems(_ h: inout HTMLText) {
        let s = summary
        h.raw("<section id=\"problems\">\n<h2>Problem flows</h2>\n")
        guard s.problemCount > 0 else {
            h.raw("<p class=\"ok\">✓ none: every flow is as the catalogs list it.</p>\n</section>\n")
            return
        }
        h.raw("<p class=\"note\">Grouped by verdict, then server port and component, then server. Frame numbers are those of the file named, for Wireshark’s Go to packet (Ctrl+G). Up to \(HTMLSummary.groupsPerVerdict) groups per verdict, \(HTMLSummary.serversPerGroup) servers per group and \(HTMLSummary.examplesPerServer) example flows per server are listed; every flow: <code>")
        h.text(jsonlCommand)
        h.raw("</code>.</p>\n<p class=\"filter\" hidden><label>Filter: <input type=\"search\" id=\"filter\" placeholder=\"address, port, component…\"></label></p>\n")
        var byVerdict = [[Int]](repeating: [], count: Verdict.byRank.count)
        for (i, g) in s.groups.enumerated() { byVerdict[g.key.verdict].append(i) }
        for v in Verdict.byRank where v.isProblem && s.verdictCounts[v.rank] > 0 {
            let n = s.verdictCounts[v.rank]
            var list = byVerdict[v.rank]
            list.sort { (s.groups[$0].flows, $1) > (s.groups[$1].flows, $0) }
            h.raw("<details open class=\"verdict\"><summary class=\"v\(v.rank)\"><span class=\"sym\">\(verdictSymbol(v))</span> <b>\(v.rawValue)</b> — " + group(UInt64(n)) + " flow" + (n == 1 ? "" : "s") + " in \(list.count) group\(list.count == 1 ? "" : "s") · " + verdictMeaning(v) + "</summary>\n")
            h.raw("<table class=\"flows\">\n<thead><tr><th>Server</th><th class=\"n\">Flows</th><th>Example client</th><th>State</th><th class=\"n\">Pkts c/s</th><th>Evidence frames</th><th>Note</th></tr></thead>\n")
            for gi in list.prefix(HTMLSummary.groupsPerVerdict) {
                let g = s.groups[gi]
                h.raw("<tbody class=\"grp\"><tr class=\"gh\"><th colspan=\"7\"><span class=\"port\">" + IPProtocol(rawValue: g.key.proto).name + "/" + String(g.key.port) + "</span> ")
                h.text(componentName(g.key.component))
                h.raw(" — " + group(UInt64(g.flows)) + " flow\(g.flows == 1 ? "" : "s") to \(g.servers.count) server\(g.servers.count == 1 ? "" : "s")</th></tr>\n")
                let servers = g.servers.sorted { ($0.flows, $1.address) > ($1.flows, $0.address) }
                for srv in servers.prefix(HTMLSummary.serversPerGroup) {
                    let rows = max(1, srv.examples.count)
                    for (k, f) in srv.examples.enumerated() {
                        h.raw("<tr>")
                        if k == 0 {
                            h.raw("<td rowspan=\"\(rows)\" class=\"addr\">")
                            h.text(f.server.text(version: f.ipVersion))
                            if let name = f.serverName { h.raw(" <small>"); h.text(name); h.raw("</small>") }
                            if !f.serverRoles.isEmpty { h.raw(" <small class=\"roles\">["); h.text(f.serverRoles.joined(separator: ",")); h.raw("]</small>") }
                            h.raw("</td><td rowspan=\"\(rows)\" class=\"n\">" + group(UInt64(srv.flows)) + "</td>")
                        }
                        h.raw("<td class=\"addr\">")
                        h.text(f.client.text(version: f.ipVersion) + ":" + String(f.clientPort))
                        if let name = f.clientName { h.raw(" <small>"); h.text(name); h.raw("</small>") }
                        h.raw("</td><td>")
                        h.text(f.state.rawValue + " " + (f.history.isEmpty ? "-" : f.history))
                        h.raw("</td><td class=\"n\">\(f.clientPackets)/\(f.serverPackets)</td><td class=\"frames\">")
                        let e = f.evidence.first { $0.verdict == v } ?? f.evidence.first
                        if let e, !e.frames.isEmpty {
                            h.raw(e.frames.map { "#" + String($0) }.joined(separator: " "))
                            if Int(f.evidenceSource) < snapshot.sources.count {
                                h.raw(" <small>in ")
                                h.text(baseName(snapshot.sources[Int(f.evidenceSource)].name))
                                h.raw("</small>")
                            }
                        } else {
                            h.raw("#" + String(f.firstFrame))
                        }
                        h.raw("</td><td>")
                        var note = e?.note ?? ""
                        if e?.confidence == .low { note += note.isEmpty ? "low confidence" : " (low confidence)" }
                        if f.tunnel != .none { note += (note.isEmpty ? "" : "; ") + "in " + f.tunnel.name }
                        if let vl = vlanText(f) { note += (note.isEmpty ? "" : "; ") + "vlan " + vl }
                        if f.verdicts.count > 1 {
                            note += (note.isEmpty ? "" : "; ") + "also " + f.verdicts.filter { $0 != v }.map(\.rawValue).joined(separator: ",")
                        }
                        h.text(note)
                        h.raw("</td></tr>\n")
                    }
                    if srv.examples.isEmpty {
                        h.raw("<tr><td class=\"addr\">")
                        h.text(srv.address.text(version: srv.version))
                        h.raw("</td><td class=\"n\">" + group(UInt64(srv.flows)) + "</td><td colspan=\"5\" class=\"note\">(no example kept; see the JSON Lines)</td></tr>\n")
                    }
                }
                if servers.count > HTMLSummary.serversPerGroup {
                    let rest = servers.dropFirst(HTMLSummary.serversPerGroup)
                    h.raw("<tr class=\"more\"><td colspan=\"7\">+ \(rest.count) more server\(rest.count == 1 ? "" : "s") with " + group(UInt64(rest.reduce(0) { $0 + $1.flows })) + " flows</td></tr>\n")
                }
                h.raw("</tbody>\n")
            }
            if list.count > HTMLSummary.groupsPerVerdict {
                let rest = list.dropFirst(HTMLSummary.groupsPerVerdict)
                h.raw("<tbody><tr class=\"more\"><td colspan=\"7\">+ \(rest.count) more groups with " + group(UInt64(rest.reduce(0) { $0 + s.groups[$1].flows })) + " flows (see the JSON Lines)</td></tr></tbody>\n")
            }
            h.raw("</table>\n</details>\n")
        }
        h.raw("</section>\n")
    }

    // MARK: components

    func componentsTable(_ h: inout HTMLText) {
        let s = summary
        h.raw("<section id=\"components\">\n<h2>Components</h2>\n<table class=\"sortable\">\n<thead><tr><th>Component</th><th>Catalog</th><th class=\"n\">Flows</th><th class=\"n\">Packets</th><th class=\"n\">Bytes</th><th class=\"n\">Problems</th></tr></thead>\n<tbody>\n")
        let order = s.components.indices.sorted { (s.components[$0].flows, $1) > (s.components[$1].flows, $0) }
        for i in order.prefix(300) {
            let c = s.components[i]
            h.raw("<tr><td>")
            h.text(componentName(i))
            h.raw("</td><td>")
            h.text(c.catalogID ?? "")
            h.raw("</td><td class=\"n\" data-v=\"\(c.flows)\">" + group(UInt64(c.flows)) + "</td><td class=\"n\" data-v=\"\(c.packets)\">" + group(c.packets)
                  + "</td><td class=\"n\" data-v=\"\(c.bytes)\">" + byteText(c.bytes) + "</td><td class=\"n" + (c.problems > 0 ? " warn" : "") + "\" data-v=\"\(c.problems)\">" + group(UInt64(c.problems)) + "</td></tr>\n")
        }
        if s.components.isEmpty { h.raw("<tr><td colspan=\"6\">(no flows)</td></tr>\n") }
        h.raw("</tbody>\n</table>\n</section>\n")
    }

    // MARK: coverage

    func coverage(_ h: inout HTMLText) {
        h.raw("<section id=\"coverage\">\n<h2>Catalog coverage</h2>\n")
        guard snapshot.inventoryKnown else {
            h.raw("<p class=\"note\">No inventory given: coverage is per inventory host (give one with --inventory).</p>\n</section>\n")
            return
        }
        h.raw("<p class=\"note\">Per inventory host, as server: the catalog entries its roles serve that no flow exercised.</p>\n")
        h.raw("<table class=\"sortable\">\n<thead><tr><th>Host</th><th>Roles</th><th class=\"n\">Exercised</th><th class=\"n\">Never exercised</th><th>Entries never exercised</th></tr></thead>\n<tbody>\n")
        for host in snapshot.hosts {
            let total = host.exercised.count + host.unexercised.count
            h.raw("<tr><td class=\"addr\">")
            if let n = host.name { h.raw("<b>"); h.text(n); h.raw("</b> ") }
            h.text(host.addresses.joined(separator: ", "))
            h.raw("</td><td>")
            h.text(host.roles.joined(separator: ", "))
            h.raw("</td><td class=\"n\" data-v=\"\(host.exercised.count)\">\(host.exercised.count) of \(total)</td>")
            h.raw("<td class=\"n\(host.unexercised.isEmpty ? "" : " warn")\" data-v=\"\(host.unexercised.count)\">\(host.unexercised.count)</td><td class=\"entries\">")
            for (i, e) in host.unexercised.prefix(40).enumerated() {
                if i > 0 { h.raw(", ") }
                h.raw("<span class=\"port\">")
                h.text(protoName(e.proto) + "/" + e.ports)
                h.raw("</span> ")
                h.text(e.component)
            }
            if host.unexercised.count > 40 { h.raw(", … \(host.unexercised.count - 40) more (--format json lists them all)") }
            if host.unexercised.isEmpty { h.raw("<span class=\"ok\">✓ all exercised</span>") }
            h.raw("</td></tr>\n")
        }
        h.raw("</tbody>\n</table>\n")
        if !snapshot.outbound.isEmpty {
            h.raw("<h3>Outbound destinations</h3>\n<table>\n<thead><tr><th>Host</th><th>Must reach</th><th>Status</th></tr></thead>\n<tbody>\n")
            for o in snapshot.outbound {
                h.raw("<tr><td class=\"addr\">")
                if let n = o.name { h.raw("<b>"); h.text(n); h.raw("</b> ") }
                h.text(o.address)
                h.raw("</td><td>")
                h.text(o.entry.component + " (" + protoName(o.entry.proto) + "/" + o.entry.ports + ")")
                if o.reached {
                    h.raw("</td><td class=\"v6\"><span class=\"sym\">✓</span> reached</td></tr>\n")
                } else {
                    h.raw("</td><td class=\"v0\"><span class=\"sym\">✖</span> NOT reached (" + (o.attempts > 0 ? "\(o.attempts) attempt\(o.attempts == 1 ? "" : "s") unanswered" : "no attempt seen") + ")</td></tr>\n")
                }
            }
            h.raw("</tbody>\n</table>\n")
        }
        h.raw("</section>\n")
    }

    // MARK: accounting

    func accounting(_ h: inout HTMLText) {
        let a = snapshot.accounting
        h.raw("<section id=\"accounting\">\n<h2>Accounting</h2>\n<table class=\"acct\">\n<thead><tr><th></th><th class=\"n\">Packets</th><th class=\"n\">Bytes</th><th></th></tr></thead>\n<tbody>\n")
        func row(_ label: String, _ t: Tally, _ note: String = "", sub: Bool = false) {
            h.raw(sub ? "<tr class=\"sub\"><td>" : "<tr><td>")
            h.text(label)
            h.raw("</td><td class=\"n\">" + group(t.packets) + "</td><td class=\"n\">" + group(t.bytes) + "</td><td>")
            h.text(note)
            h.raw("</td></tr>\n")
        }
        row("packets in", a.total)
        row("= in flows", a.flows, a.tunnelled.packets > 0 ? "\(group(a.tunnelled.packets)) tunnelled, in 2 flows" : "")
        row("+ ICMP errors matched to flows", a.icmpMatched)
        row("+ other IP", a.otherIP)
        for (p, t) in a.otherIPByProtocol { row(protoName(p), t, sub: true) }
        if a.icmpUnmatched.packets > 0 { row("of which unmatched ICMP errors", a.icmpUnmatched, sub: true) }
        if a.fragments.packets > 0 { row("of which non-first fragments", a.fragments, sub: true) }
        row("+ non-IP", a.nonIP)
        for (e, t) in a.nonIPByEtherType { row(etherTypeText(e), t, sub: true) }
        row("+ undecodable", a.undecodable)
        for (l, r, t) in a.undecodableBy { row("\(l) \(r)", t, sub: true) }
        if a.filtered.packets > 0 { row("+ filtered (not matching -f)", a.filtered) }
        if a.truncated.packets > 0 {
            row("truncated by snaplen", a.truncated, "counted above; \(group(a.truncatedInFlows.packets)) in flows")
        }
        h.raw("</tbody>\n</table>\n")
        if a.evictedFlows > 0 { h.raw("<p>Flows evicted at the table bound: " + group(a.evictedFlows) + "</p>\n") }
        if a.isBalanced {
            h.raw("<p class=\"ok\">✓ balance OK: the sum of the parts equals the packets in, and the bytes.</p>\n")
        } else {
            h.raw("<p class=\"bad\">✖ balance MISMATCH: parts " + group(a.parts.packets) + " packets / " + group(a.parts.bytes) + " bytes.</p>\n")
        }
        h.raw("</section>\n")
    }

    // MARK: style and script

    static let style = """
    :root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6570;--line:#d5d9de;--panel:#f5f7f9;
    --v0:#D55E00;--v1:#CC79A7;--v2:#E69F00;--v3:#0072B2;--v4:#F0E442;--v5:#56B4E9;--v6:#009E73;
    --t0:#fbe0cf;--t1:#f6e1ee;--t2:#fcecc9;--t3:#cfe3f2;--t4:#fbf7c9;--t5:#ddf0fb;--t6:#d3efe5;
    --c0:#332288;--c1:#88CCEE;--c2:#44AA99;--c3:#117733;--c4:#999933;--c5:#DDCC77;--c6:#CC6677;--c7:#882255;--c8:#BBBBBB}
    @media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e4e7ea;--muted:#9aa4ae;--line:#363c44;--panel:#1e2227;
    --t0:#4a2a16;--t1:#46293b;--t2:#4a3a14;--t3:#16324a;--t4:#47441a;--t5:#1c3a4c;--t6:#143d31;
    --c0:#7b6fd6;--c8:#777}}
    *{box-sizing:border-box}
    body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 "DejaVu Sans",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
    main{max-width:1360px;margin:0 auto;padding:16px 24px 40px}
    h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}
    .lead{font-size:16px;margin:0 0 12px}.note{color:var(--muted);margin:4px 0 10px}
    code,.addr,.port,.frames{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
    .facts{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:8px 28px;align-items:start}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}dt{font-weight:bold}dd{margin:0}
    table{border-collapse:collapse;width:100%;margin:4px 0 8px}caption{text-align:left;font-weight:bold;padding:0 0 4px}
    th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
    thead th{background:var(--panel);position:sticky;top:0}
    .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    .ok{color:var(--v6);font-weight:bold}.bad{color:var(--v0);font-weight:bold}.warn{color:#b25400;font-weight:bold}
    @media (prefers-color-scheme:dark){.warn{color:var(--v2)}}
    tr.bad td{color:var(--v0)}
    .sym{font-weight:bold}
    .chips{list-style:none;display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;padding:0;margin:0}
    .chip{border:1px solid var(--line);border-left:8px solid;padding:6px 10px;border-radius:4px}
    .chip.zero{opacity:.55}.chip small{color:var(--muted);display:block;line-height:1.3}
    .chiphead{font-weight:bold;font-size:13px}.chip .count{font-size:18px;font-weight:bold}
    .chip.v0{border-left-color:var(--v0)}.chip.v1{border-left-color:var(--v1)}.chip.v2{border-left-color:var(--v2)}.chip.v3{border-left-color:var(--v3)}
    .chip.v4{border-left-color:var(--v4)}.chip.v5{border-left-color:var(--v5)}.chip.v6{border-left-color:var(--v6)}
    td.v0,summary.v0{background:var(--t0)}td.v1,summary.v1{background:var(--t1)}td.v2,summary.v2{background:var(--t2)}td.v3,summary.v3{background:var(--t3)}
    td.v4,summary.v4{background:var(--t4)}td.v5,summary.v5{background:var(--t5)}td.v6,summary.v6{background:var(--t6)}
    td.v0,td.v1,td.v2,td.v3,td.v4,td.v5,td.v6{border-left:6px solid}
    td.v0{border-left-color:var(--v0)}td.v1{border-left-color:var(--v1)}td.v2{border-left-color:var(--v2)}td.v3{border-left-color:var(--v3)}
    td.v4{border-left-color:var(--v4)}td.v5{border-left-color:var(--v5)}td.v6{border-left-color:var(--v6)}
    .scroll{overflow-x:auto}.matrix th{white-space:nowrap}.matrix td{min-width:170px}.matrix td.empty{background:repeating-linear-gradient(45deg,transparent 0 6px,var(--panel) 6px 12px)}
    .matrix .corner{color:var(--muted);font-weight:normal;font-size:12px}
    .cellhead{font-weight:bold;margin-bottom:2px}.matrix ul{margin:0;padding-left:0;list-style:none;font-size:12.5px}.matrix li.more{color:var(--muted)}
    .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:12px 24px}
    figure.chart{margin:0}figcaption{font-weight:bold;margin-bottom:2px}
    svg{width:100%;height:auto;display:block}svg .grid{stroke:var(--line);stroke-width:1}svg .axis{fill:var(--muted);font-size:11px}
    rect.v0,.sw.v0{fill:var(--v0);background:var(--v0)}rect.v1,.sw.v1{fill:var(--v1);background:var(--v1)}rect.v2,.sw.v2{fill:var(--v2);background:var(--v2)}
    rect.v3,.sw.v3{fill:var(--v3);background:var(--v3)}rect.v4,.sw.v4{fill:var(--v4);background:var(--v4)}rect.v5,.sw.v5{fill:var(--v5);background:var(--v5)}rect.v6,.sw.v6{fill:var(--v6);background:var(--v6)}
    rect.c0,.sw.c0{fill:var(--c0);background:var(--c0)}rect.c1,.sw.c1{fill:var(--c1);background:var(--c1)}rect.c2,.sw.c2{fill:var(--c2);background:var(--c2)}
    rect.c3,.sw.c3{fill:var(--c3);background:var(--c3)}rect.c4,.sw.c4{fill:var(--c4);background:var(--c4)}rect.c5,.sw.c5{fill:var(--c5);background:var(--c5)}
    rect.c6,.sw.c6{fill:var(--c6);background:var(--c6)}rect.c7,.sw.c7{fill:var(--c7);background:var(--c7)}rect.c8,.sw.c8{fill:var(--c8);background:var(--c8)}
    .legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12.5px}.legend small{color:var(--muted)}
    .sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border:1px solid var(--line)}
    details.verdict{margin:10px 0}summary{cursor:pointer;padding:5px 8px;border-radius:3px}
    tr.gh th{background:var(--panel);font-weight:normal}tr.gh .port{font-weight:bold}tr.more td{color:var(--muted)}
    .roles{color:var(--muted)}td.entries{font-size:12.5px}tr.sub td:first-child{padding-left:26px;color:var(--muted)}
    th.sortable-h{cursor:pointer}th.sortable-h:after{content:" ⇅";color:var(--muted);font-weight:normal}
    footer{margin-top:28px;color:var(--muted);font-size:12.5px}
    @media print{body{font-size:11px}main{max-width:none;padding:0}.filter{display:none!important}thead th{position:static}
    *{-webkit-print-color-adjust:exact;print-color-adjust:exact}section,tbody.grp,figure,tr{break-inside:avoid}
    .charts{grid-template-columns:1fr 1fr}h2{break-after:avoid}}
    @media (max-width:900px){.facts{grid-template-columns:1fr}}

    """

    /// Sorting of `.sortable` tables and the problem filter; the page reads the same without it.
    static let script = """
    <script>
    (function(){
    document.querySelectorAll('table.sortable').forEach(function(t){
      t.querySelectorAll('thead th').forEach(function(th,col){
        th.classList.add('sortable-h');
        th.addEventListener('click',function(){
          var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.getAttribute('data-dir')!=='asc';
          th.setAttribute('data-dir',asc?'asc':'desc');
          rows.sort(function(a,b){
            var x=a.cells[col],y=b.cells[col];if(!x||!y)return 0;
            var p=x.getAttribute('data-v'),q=y.getAttribute('data-v');
            var r=(p!==null&&q!==null)?(Number(p)-Number(q)):x.textContent.localeCompare(y.textContent);
            return asc?r:-r;});
          rows.forEach(function(r){body.appendChild(r);});
        });
      });
    });
    var f=document.getElementById('filter');
    if(f){f.parentNode.parentNode.hidden=false;
      f.addEventListener('input',function(){
        var q=f.value.toLowerCase();
        document.querySelectorAll('#problems tbody.grp').forEach(function(g){
          g.hidden=q!==''&&g.textContent.toLowerCase().indexOf(q)<0;});
      });}
    window.addEventListener('load',function(){document.documentElement.setAttribute('data-load-ms',String(Math.round(performance.now())));});
    document.documentElement.setAttribute('data-js','ok');
    })();
    </script>

    """
}

// MARK: - Numbers and times

func num1(_ v: Double) -> String {
    let t = Int((v * 10).rounded())
    return t < 0 ? "-" + num1(-v) : "\(t / 10).\(t % 10)"
}

/// The smallest 1, 2, 2.5 or 5 × 10^k at least `v` (the top of a chart's axis).
func niceCeiling(_ v: Double) -> Double {
    guard v > 0 else { return 1 }
    var p = 1.0
    while p * 10 <= v { p *= 10 }
    while p > v { p /= 10 }
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * p >= v { return m * p }
    return 10 * p
}

func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// Nanoseconds since the epoch as "2024-05-01 12:34:56 UTC".
func dateText(_ nanos: Int64) -> String {
    // Floor division without overflow at Int64.min.
    let secs = nanos >= 0 ? nanos / 1_000_000_000 : (nanos + 1) / 1_000_000_000 - 1
    var days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
    let rem = secs - days * 86_400
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let doe = days - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(y)-\(two(m))-\(two(d)) \(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60)) UTC"
}

/// "12:34:56" (UTC), with milliseconds when the chart's intervals are short.
func timeOfDay(_ nanos: Int64) -> String {
    let full = dateText(nanos)
    let t = full.split(separator: " ")[1]
    let ms = ((nanos % 1_000_000_000) + 1_000_000_000) % 1_000_000_000 / 1_000_000
    let f = String(ms)
    return t + "." + String(repeating: "0", count: 3 - f.count) + f
}

/// "1 h 2 min", "3.5 s", "12 ms".
func durationText(_ nanos: Int64) -> String {
    let n = max(nanos, 0)
    if n < 1_000_000 { return "\(n / 1000) µs" }
    if n < 1_000_000_000 { return "\(n / 1_000_000) ms" }
    if n < 60_000_000_000 {
        let tenths = n / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }
    let s = n / 1_000_000_000
    if s < 3600 { return "\(s / 60) min \(s % 60) s" }
    return "\(s / 3600) h \(s / 60 % 60) min"
}
