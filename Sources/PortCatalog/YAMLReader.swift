import Yams

/// Walks a Yams node tree with positions: every error names `file:line:column`.
struct YAMLReader {
    let file: String

    func error(_ node: Node?, _ message: String) -> CatalogError {
        if let m = node?.mark { return CatalogError(file: file, line: m.line, column: m.column, message) }
        return CatalogError(file: file, message)
    }

    /// Composes the single document; YAML syntax errors keep libyaml's position.
    func compose(_ text: String) throws(CatalogError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let e as YamlError {
            switch e {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
                 let .composer(context, problem, mark, _):
                let ctx = context.map { "\($0.text) " } ?? ""
                throw CatalogError(file: file, line: mark.line, column: mark.column, "YAML syntax: \(ctx)\(problem)")
            case let .reader(problem, _, _, _):
                throw CatalogError(file: file, "YAML: \(problem)")
            default:
                throw CatalogError(file: file, "YAML: \(e)")
            }
        } catch {
            throw CatalogError(file: file, "YAML: \(error)")
        }
    }

    /// The pairs of a mapping, checking every key against `allowed` and refusing repeated keys.
    func mapping(_ node: Node, _ what: String, allowed: [String]) throws(CatalogError) -> [String: (key: Node, value: Node)] {
        guard let map = node.mapping else { throw error(node, "\(what) must be a mapping (key: value)") }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in map {
            guard let key = k.scalar?.string else { throw error(k, "\(what): keys must be plain words") }
            guard allowed.contains(key) else {
                throw error(k, "unknown key '\(key)' in \(what) (allowed: \(allowed.joined(separator: ", ")))")
            }
            if let first = out[key] {
                throw error(k, "duplicate key '\(key)' in \(what) (first at line \(first.key.mark?.line ?? 0))")
            }
            out[key] = (k, v)
        }
        return out
    }

    func isNull(_ node: Node) -> Bool {
        guard let s = node.scalar else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    func string(_ node: Node, _ what: String) throws(CatalogError) -> String {
        guard let s = node.scalar else { throw error(node, "\(what) must be a single value, not a list or mapping") }
        return s.string
    }

    /// An optional text field: nil when absent or null.
    func optionalString(_ pair: (key: Node, value: Node)?, _ what: String) throws(CatalogError) -> String? {
        guard let pair, !isNull(pair.value) else { return nil }
        return try string(pair.value, what)
    }

    func required(_ map: [String: (key: Node, value: Node)], _ key: String, in what: String, at node: Node) throws(CatalogError) -> Node {
        guard let v = map[key]?.value, !isNull(v) else { throw error(node, "\(what) needs '\(key)'") }
        return v
    }

    func list(_ node: Node, _ what: String) throws(CatalogError) -> [Node] {
        if isNull(node) { return [] }
        guard let seq = node.sequence else { throw error(node, "\(what) must be a list") }
        return Array(seq)
    }

    func bool(_ node: Node, _ what: String) throws(CatalogError) -> Bool {
        let s = try string(node, what).lowercased()
        switch s {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(what) must be true or false, not '\(s)'")
        }
    }
}
