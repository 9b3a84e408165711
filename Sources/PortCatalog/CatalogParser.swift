import PacketWire
import Yams

/// Reads the catalog YAML format (README.md, "Port catalogs and inventories") into a `Catalog`, checking everything the
/// compiled tables rely on: known roles and components, ports in 1…65535, ranges low ≤ high,
/// tcp/udp only, no entry listed twice, no unknown keys.
struct CatalogParser {
    let r: YAMLReader

    init(file: String) { r = YAMLReader(file: file) }

    static let topKeys = ["id", "title", "document", "roles", "decisions", "components", "entries"]
    static let documentKeys = ["name", "version", "file"]
    static let roleKeys = ["name", "description"]
    static let componentKeys = ["name", "unit", "edition", "notes"]
    static let entryKeys = ["component", "protocol", "port", "roles", "scope", "destinations",
                            "relation", "overlay", "notes", "row"]

    func parse(_ text: String) throws(CatalogError) -> Catalog {
        guard let root = try r.compose(text) else { throw r.error(nil, "empty catalog") }
        let top = try r.mapping(root, "the catalog", allowed: Self.topKeys)

        let idNode = try r.required(top, "id", in: "the catalog", at: root)
        let id = try r.string(idNode, "id")
        guard Self.isName(id) else {
            throw r.error(idNode, "bad catalog id '\(id)' (letters, digits, '.', '_' and '-' only)")
        }
        let title = try r.optionalString(top["title"], "title") ?? id

        var docName = "", docVersion = "", docFile: String?
        if let d = top["document"], !r.isNull(d.value) {
            let doc = try r.mapping(d.value, "document", allowed: Self.documentKeys)
            docName = try r.optionalString(doc["name"], "document name") ?? ""
            docVersion = try r.optionalString(doc["version"], "document version") ?? ""
            docFile = try r.optionalString(doc["file"], "document file")
        }

        // Roles.
        var roles: [(name: String, description: String)] = []
        var roleNames: Set<String> = []
        let rolesNode = try r.required(top, "roles", in: "the catalog", at: root)
        for node in try r.list(rolesNode, "roles") {
            var name: String, description = "", at = node
            if node.scalar != nil {
                name = try r.string(node, "role")
            } else {
                let m = try r.mapping(node, "a role", allowed: Self.roleKeys)
                at = try r.required(m, "name", in: "a role", at: node)
                name = try r.string(at, "role name")
                description = try r.optionalString(m["description"], "role description") ?? ""
            }
            guard Self.isName(name), name != "all" else {
                throw r.error(at, "bad role name '\(name)' (letters, digits, '.', '_' and '-'; 'all' is reserved)")
            }
            guard roleNames.insert(name).inserted else { throw r.error(at, "role '\(name)' declared twice") }
            roles.append((name, description))
        }
        guard !roles.isEmpty else { throw r.error(rolesNode, "the catalog declares no roles") }
        let declared = roles.map(\.name)

        var decisions: [String] = []
        if let d = top["decisions"] {
            for node in try r.list(d.value, "decisions") { decisions.append(try r.string(node, "a decision")) }
        }

        // Components.
        var components: [CatalogComponent] = []
        var componentIndex: [String: Int] = [:]
        if let c = top["components"] {
            for node in try r.list(c.value, "components") {
                let m = try r.mapping(node, "a component", allowed: Self.componentKeys)
                let nameNode = try r.required(m, "name", in: "a component", at: node)
                let name = try r.string(nameNode, "component name")
                guard !name.isEmpty else { throw r.error(nameNode, "empty component name") }
                guard componentIndex[name] == nil else { throw r.error(nameNode, "component '\(name)' declared twice") }
                var edition = Edition.open
                if let e = m["edition"], !r.isNull(e.value) {
                    let s = try r.string(e.value, "edition")
                    guard let ed = Edition(rawValue: s) else {
                        throw r.error(e.value, "unknown edition '\(s)' (open or enterprise)")
                    }
                    edition = ed
                }
                componentIndex[name] = components.count
                components.append(CatalogComponent(
                    name: name, unit: try r.optionalString(m["unit"], "unit"), edition: edition,
                    notes: try r.optionalString(m["notes"], "notes")))
            }
        }

        // Entries.
        let entriesNode = try r.required(top, "entries", in: "the catalog", at: root)
        var entries: [CatalogEntry] = []
        var seen: [DuplicateKey: [Int]] = [:]   // entries that may duplicate each other, by key
        let sourcePrefix: String = {
            docName.isEmpty ? id : docName
        }()
        for node in try r.list(entriesNode, "entries") {
            let m = try r.mapping(node, "an entry", allowed: Self.entryKeys)
            let line = node.mark?.line ?? 0

            let compNode = try r.required(m, "component", in: "an entry", at: node)
            let compName = try r.string(compNode, "component")
            guard let ci = componentIndex[compName] else {
                throw r.error(compNode, "unknown component '\(compName)' (declare it under components)")
            }
            let component = components[ci]

            let protoNode = try r.required(m, "protocol", in: "an entry", at: node)
            let protoText = try r.string(protoNode, "protocol")
            guard let transport = Transport(name: protoText) else {
                throw r.error(protoNode, "unknown protocol '\(protoText)' (tcp or udp)")
            }

            let portNode = try r.required(m, "port", in: "an entry", at: node)
            let ports = try parsePorts(portNode)

            let rolesNode = try r.required(m, "roles", in: "an entry", at: node)
            var entryRoles: [String] = []
            if let s = rolesNode.scalar?.string, s == "all" {
                entryRoles = declared
            } else {
                let items = rolesNode.scalar != nil ? [rolesNode] : try r.list(rolesNode, "roles")
                for item in items {
                    let name = try r.string(item, "role")
                    if name == "all" { throw r.error(item, "'all' must stand alone (roles: all)") }
                    guard roleNames.contains(name) else {
                        throw r.error(item, "unknown role '\(name)' (this catalog's roles: \(declared.joined(separator: ", ")))")
                    }
                    if !entryRoles.contains(name) { entryRoles.append(name) }
                }
            }
            guard !entryRoles.isEmpty else { throw r.error(rolesNode, "the entry names no role") }

            var scope = Scope.any
            if let s = m["scope"], !r.isNull(s.value) {
                let text = try r.string(s.value, "scope")
                guard let sc = Scope(rawValue: text) else {
                    throw r.error(s.value, "unknown scope '\(text)' (any, cluster or outbound)")
                }
                scope = sc
            }

            var destinations: [String] = []
            if let d = m["destinations"] {
                guard scope == .outbound else { throw r.error(d.key, "destinations are only for scope outbound") }
                for item in try r.list(d.value, "destinations") {
                    let text = try r.string(item, "destination")
                    guard Self.isDestination(text) else {
                        throw r.error(item, "bad destination '\(text)' (a host name, an address or a CIDR)")
                    }
                    destinations.append(text)
                }
            }
            if scope == .outbound && destinations.isEmpty {
                throw r.error(node, "an outbound entry needs destinations (host names or addresses)")
            }

            var overlay = false
            if let o = m["overlay"] {
                overlay = try r.bool(o.value, "overlay")
                if overlay && (transport != .udp || ports == nil || scope == .outbound) {
                    throw r.error(o.value, "overlay is only for a udp port the host serves (VXLAN)")
                }
            }

            let row = try r.optionalString(m["row"], "row")
            let entry = CatalogEntry(
                catalogID: id, component: component.name, unit: component.unit, edition: component.edition,
                transport: transport, ports: ports, roles: entryRoles, scope: scope, destinations: destinations,
                relation: try r.optionalString(m["relation"], "relation"),
                notes: try r.optionalString(m["notes"], "notes"),
                source: "\(sourcePrefix): \(row ?? "line \(line)")", overlay: overlay, line: line)

            // Duplicate: same protocol and ports (or both ephemeral, same component), same direction,
            // and a role in common — the same row written twice, or two components claiming one port.
            let key = DuplicateKey(entry)
            if let other = seen[key, default: []].lazy.map({ entries[$0] }).first(where: { Self.duplicates($0, entry) }) {
                let shared = other.roles.filter(entry.roles.contains).joined(separator: ", ")
                throw r.error(portNode, "duplicate entry: \(transport.name)/\(entry.portText) for \(shared) already listed at line \(other.line) (\(other.component))")
            }
            seen[key, default: []].append(entries.count)
            entries.append(entry)
        }

        return Catalog(id: id, title: title, documentName: docName, documentVersion: docVersion,
                       documentFile: docFile, roles: roles, decisions: decisions, components: components,
                       entries: entries)
    }

    struct DuplicateKey: Hashable {
        var transport: Transport
        var low: Int, high: Int   // -1, -1 for ephemeral
        var outbound: Bool
        init(_ e: CatalogEntry) {
            transport = e.transport
            low = e.ports.map { Int($0.lowerBound) } ?? -1
            high = e.ports.map { Int($0.upperBound) } ?? -1
            outbound = e.scope == .outbound
        }
    }

    static func duplicates(_ a: CatalogEntry, _ b: CatalogEntry) -> Bool {
        guard a.transport == b.transport, (a.scope == .outbound) == (b.scope == .outbound),
              a.roles.contains(where: b.roles.contains) else { return false }
        if a.ports == nil || b.ports == nil { return a.ports == b.ports && a.component == b.component }
        return a.ports == b.ports
    }

    /// `443`, `5701-5711` or `ephemeral`.
    func parsePorts(_ node: Node) throws(CatalogError) -> ClosedRange<UInt16>? {
        let raw = try r.string(node, "port").trimmingSpaces
        if raw.lowercased() == "ephemeral" { return nil }
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw r.error(node, "bad port '\(raw)' (a number, a range LOW-HIGH, or ephemeral)")
        }
        let values = parts.map { Int($0)! }
        for v in values where !(1...65535).contains(v) {
            throw r.error(node, "port \(v) out of range (1-65535)")
        }
        let low = values[0], high = values.count == 2 ? values[1] : values[0]
        guard low <= high else { throw r.error(node, "range upside down: \(low)-\(high) (write LOW-HIGH)") }
        return UInt16(low)...UInt16(high)
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    /// A host name (letters, digits, '-', '.'), an IPv4/IPv6 address, or a CIDR.
    static func isDestination(_ s: String) -> Bool {
        if IPNetwork.parse(s) != nil { return true }
        guard !s.isEmpty, s.count <= 253, !s.hasPrefix("."), !s.hasPrefix("-") else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == ".") }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
