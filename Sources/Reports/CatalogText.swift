import PacketWire
import PortCatalog

/// Text forms of catalogs and lookups for `portolan catalog` (table, JSON, CSV). Kept in the
/// library so tests check the exact output; never used on the per-packet path.
public enum CatalogText {
    /// One lookup result: the entry, its id, and whether it is the one `best` picks.
    public struct Match: Sendable {
        public var id: Int32
        public var entry: CatalogEntry
        public var best: Bool
    }

    /// Entries for (transport, port): the served candidates, most specific first (only those
    /// serving `role` when given; the first is the best), then outbound entries to that port.
    public static func lookup(_ c: CompiledCatalog, _ t: Transport, _ port: UInt16, role: String?) -> [Match] {
        var roles = RoleSet()
        if let role, let i = c.roleIndex(role) { roles.insert(i) }
        var out: [Match] = []
        for id in c.candidates(t, port) where role == nil || c.serves(id, roles: roles) {
            out.append(Match(id: id, entry: c.entries[Int(id)], best: out.isEmpty))
        }
        for id in c.outboundEntries {
            let e = c.entries[Int(id)]
            guard e.transport == t, e.ports?.contains(port) == true, role == nil || c.serves(id, roles: roles) else { continue }
            out.append(Match(id: id, entry: e, best: false))
        }
        return out
    }

    // MARK: JSON

    public static func json(_ s: String) -> String { JSONWriter.quoted(s) }

    static func json(_ s: String?) -> String { s.map { json($0) } ?? "null" }
    static func json(_ list: [String]) -> String { "[" + list.map { json($0) }.joined(separator: ", ") + "]" }

    /// One entry as a JSON object: catalog, component, unit, proto, ports ([low, high] or null
    /// for ephemeral), roles, scope, edition, notes, relation, destinations, overlay, source.
    public static func entryJSON(_ e: CatalogEntry, best: Bool? = nil) -> String {
        var f: [String] = []
        f.append("\"catalog\": \(json(e.catalogID))")
        f.append("\"component\": \(json(e.component))")
        f.append("\"unit\": \(json(e.unit))")
        f.append("\"proto\": \(json(e.transport.name))")
        f.append("\"ports\": " + (e.ports.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"))
        f.append("\"roles\": \(json(e.roles))")
        f.append("\"scope\": \(json(e.scope.rawValue))")
        f.append("\"edition\": \(json(e.edition.rawValue))")
        f.append("\"notes\": \(json(e.notes))")
        f.append("\"relation\": \(json(e.relation))")
        f.append("\"destinations\": \(json(e.destinations))")
        f.append("\"overlay\": \(e.overlay)")
        f.append("\"source\": \(json(e.source))")
        if let best { f.append("\"best\": \(best)") }
        return "{" + f.joined(separator: ", ") + "}"
    }

    public static func lookupJSON(_ matches: [Match]) -> String {
        if matches.isEmpty { return "[]\n" }
        return "[\n" + matches.map { "  " + entryJSON($0.entry, best: $0.best) }.joined(separator: ",\n") + "\n]\n"
    }

    public static func listJSON(_ catalogs: [Catalog]) -> String {
        var parts: [String] = []
        for c in catalogs {
            var s = "  {\n"
            s += "    \"id\": \(json(c.id)),\n"
            s += "    \"title\": \(json(c.title)),\n"
            s += "    \"document\": {\"name\": \(json(c.documentName)), \"version\": \(json(c.documentVersion)), \"file\": \(json(c.documentFile))},\n"
            s += "    \"origin\": \(json(c.origin)),\n"
            s += "    \"roles\": [" + c.roles.map { "{\"name\": \(json($0.name)), \"description\": \(json($0.description))}" }.joined(separator: ", ") + "],\n"
            s += "    \"decisions\": \(json(c.decisions)),\n"
            s += "    \"entries\": [\n" + c.entries.map { "      " + entryJSON($0) }.joined(separator: ",\n") + "\n    ]\n"
            s += "  }"
            parts.append(s)
        }
        return "[\n" + parts.joined(separator: ",\n") + "\n]\n"
    }

    // MARK: CSV

    static func csv(_ s: String) -> String { csvField(s) }

    public static let csvHeader = "catalog,proto,port_low,port_high,component,unit,roles,scope,edition,overlay,relation,destinations,notes,source"

    /// One row per entry; roles and destinations are joined with `;` (as every list in CSV);
    /// `ports` [low, high] of the JSON is port_low, port_high; ephemeral ports are empty.
    public static func listCSV(_ catalogs: [Catalog]) -> String {
        var out = csvHeader + "\n"
        for c in catalogs {
            for e in c.entries {
                let cells: [String] = [
                    e.catalogID, e.transport.name,
                    e.ports.map { "\($0.lowerBound)" } ?? "", e.ports.map { "\($0.upperBound)" } ?? "",
                    e.component, e.unit ?? "", e.roles.joined(separator: ";"), e.scope.rawValue,
                    e.edition.rawValue, e.overlay ? "true" : "false", e.relation ?? "",
                    e.destinations.joined(separator: ";"), e.notes ?? "", e.source,
                ]
                out += cells.map(csv).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    // MARK: Tables

    /// Left-aligned columns separated by two spaces; trailing spaces trimmed.
    /// Rows as aligned columns. With `width`, the widest columns are narrowed (never below their
    /// header, nor below 4) until a row fits, and cells cut with an ellipsis (`...` with `ascii`).
    public static func table(_ rows: [[String]], indent: String = "", width: Int? = nil, ascii: Bool = false) -> String {
        guard let n = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: n)
        let rows = rows.map { $0.map { Sanitize.text($0) } }
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        if let width, let header = rows.first {
            let floor = (0..<n).map { max(min(4, widths[$0]), $0 < header.count ? header[$0].count : 0) }
            func total() -> Int { indent.count + widths.reduce(0, +) + 2 * (n - 1) }
            while total() > width {
                guard let widest = (0..<n).filter({ widths[$0] > floor[$0] }).max(by: { widths[$0] < widths[$1] }) else { break }
                widths[widest] -= 1
            }
        }
        var out = ""
        for r in rows {
            var line = indent
            for (i, c) in r.enumerated() {
                let cell = c.count > widths[i] ? clip(c, widths[i], ascii: ascii) : c
                line += cell
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    static func flags(_ e: CatalogEntry) -> String {
        var f: [String] = []
        if e.overlay { f.append("overlay(vxlan)") }
        if e.relation != nil { f.append("relation") }
        if e.ports == nil { f.append("never-matched") }
        if e.scope == .outbound { f.append("to " + e.destinations.joined(separator: ",")) }
        return f.joined(separator: " ")
    }

    /// Every entry of the catalogs as a table; with `width`, fitted to it (`table`, `fitLines`).
    public static func listTable(_ catalogs: [Catalog], width: Int? = nil, ascii: Bool = false) -> String {
        var out = ""
        for (i, c) in catalogs.enumerated() {
            if i > 0 { out += "\n" }
            var doc = c.documentName
            if !c.documentVersion.isEmpty { doc += (doc.isEmpty ? "" : ", ") + "version \(c.documentVersion)" }
            out += "\(c.id) — \(Sanitize.text(c.title))" + (doc.isEmpty ? "" : " (from \(Sanitize.text(doc)))") + ", \(c.entries.count) entries\n"
            out += "roles: " + c.roles.map(\.name).joined(separator: ", ") + "\n"
            var rows: [[String]] = [["PROTO", "PORTS", "COMPONENT", "UNIT", "ROLES", "SCOPE", "EDITION", "FLAGS"]]
            for e in c.entries {
                rows.append([e.transport.name, e.portText, e.component, e.unit ?? "-",
                             e.roles == c.roleNames ? "all" : e.roles.joined(separator: ","),
                             e.scope.rawValue,
                             e.edition.rawValue, flags(e)])
            }
            // Narrow: leave out UNIT, then EDITION, then FLAGS, while COMPONENT would get fewer than
            // 24 columns; a note says what is not shown.
            var keep = Array(0..<8)
            if let width {
                let natural = (0..<8).map { c in rows.map { Sanitize.text($0[c]).count }.max() ?? 0 }
                for drop in [3, 6, 7] {
                    let others = keep.filter { $0 != 2 }.reduce(0) { $0 + natural[$1] } + 2 * (keep.count - 1) + 2
                    if width - others >= min(24, natural[2]) { break }
                    keep.removeAll { $0 == drop }
                }
                let hidden = [3, 6, 7].filter { !keep.contains($0) }.map { rows[0][$0] }
                if !hidden.isEmpty {
                    out += "(\(hidden.joined(separator: ", ")) not shown at \(width) columns: --width or --format csv)\n"
                }
            }
            out += table(rows.map { r in keep.map { r[$0] } }, indent: "  ", width: width, ascii: ascii)
        }
        return width.map { fitLines(out, width: $0, ascii: ascii) } ?? (ascii ? fitLines(out, width: 0, ascii: true) : out)
    }

    public static func lookupTable(_ matches: [Match], query: String, role: String?) -> String {
        let forRole = role.map { " for role \(Sanitize.text($0))" } ?? ""
        guard !matches.isEmpty else { return "\(query)\(forRole): no catalog entry\n" }
        let served = matches.filter { $0.entry.scope != .outbound }.count
        var out = "\(query)\(forRole): \(matches.count) match\(matches.count == 1 ? "" : "es")"
        if served > 1 { out += " (most specific first; * = chosen when the server's role is \(role ?? "unknown"))" }
        out += "\n"
        var rows: [[String]] = [["", "CATALOG", "COMPONENT", "UNIT", "PORTS", "ROLES", "SCOPE", "EDITION"]]
        for m in matches {
            let e = m.entry
            rows.append([m.best ? "*" : "", e.catalogID, e.component, e.unit ?? "-", e.portText,
                         e.roles.joined(separator: ","), e.scope.rawValue, e.edition.rawValue])
        }
        out += table(rows, indent: "")
        for m in matches {
            let e = m.entry
            var lines: [String] = []
            if e.scope == .outbound { lines.append("outbound to: " + e.destinations.joined(separator: ", ")) }
            if let r = e.relation { lines.append("relation: " + r) }
            if e.overlay { lines.append("overlay: carries VXLAN") }
            if let n = e.notes { lines.append("notes: " + n) }
            lines.append("source: " + e.source)
            out += "\n\(e.catalogID) / \(Sanitize.text(e.component)) (\(e.transport.name)/\(e.portText)):\n"
            for l in lines { out += "  " + Sanitize.text(l) + "\n" }
        }
        return out
    }
}

extension CatalogText {
    /// The inventory as tables (hosts, networks), or, for each of `addresses`, its roles, name and
    /// whether it is in the cluster.
    public static func inventoryText(_ inv: Inventory, catalog: CompiledCatalog, addresses: [String]) -> String {
        if addresses.isEmpty {
            if inv.isEmpty { return "empty inventory: roles unknown, cluster membership unknown\n" }
            var rows: [[String]] = [["ADDRESS", "NAME", "ROLES"]]
            for h in inv.hosts {
                let roles = catalog.roleNames(of: h.roles)
                rows.append([h.network.description, h.name ?? "-", roles.isEmpty ? "-" : roles.joined(separator: ",")])
            }
            var out = "hosts:\n" + table(rows, indent: "  ")
            if inv.networks.isEmpty {
                out += "networks: none declared (the cluster is exactly the hosts above)\n"
            } else {
                out += "networks: " + inv.networks.map(\.description).joined(separator: ", ") + "\n"
            }
            return out
        }
        var rows: [[String]] = [["ADDRESS", "NAME", "ROLES", "CLUSTER"]]
        for text in addresses {
            guard let (a, v) = IPAddress.parse(text).map({ ($0.address, $0.version) }) else {
                rows.append([text, "-", "bad address", "-"])
                continue
            }
            let roles = catalog.roleNames(of: inv.roles(of: a, version: v))
            let inside = inv.isEmpty ? "unknown" : (inv.isInCluster(a, version: v) ? "inside" : "outside")
            rows.append([a.text(version: v), inv.hostName(of: a, version: v) ?? "-",
                         roles.isEmpty ? "-" : roles.joined(separator: ","), inside])
        }
        return table(rows)
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
