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
        if let deep = YAMLDepth.firstTooDeep(text) {
            throw CatalogError(file: file, line: deep.line, column: deep.column,
                               "YAML nested deeper than \(YAMLDepth.limit) levels")
        }
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

/// The nesting depth of a YAML text, measured before parsing: the parser recurses once per level,
/// so a few thousand nested `[` would overflow the stack. Counts flow `[`/`{` outside quotes and
/// comments, plus block levels (each deeper indentation, and each `- `, `? ` or `: ` indicator
/// that opens a node on the same line). Block scalars (`|`, `>` opening a value) are skipped. The count can only
/// be higher than the parser's depth, never lower.
enum YAMLDepth {
    static let limit = 100

    /// The 1-based position where the depth first exceeds `limit`, or nil.
    static func firstTooDeep(_ text: String) -> (line: Int, column: Int)? {
        let b = Array(text.utf8)
        var i = 0
        var line = 1
        var flow = 0
        var indents: [Int] = []
        var blockScalarParent: Int?  // the indentation of the line that opened a block scalar
        var quote: UInt8 = 0  // a quoted scalar may span lines: its continuation is not structure
        while i < b.count {
            // One line: [i, end).
            var end = i
            while end < b.count && b[end] != 0x0A { end += 1 }
            var j = i
            while j < end && b[j] == 0x20 { j += 1 }
            let indent = j - i
            let blank = j == end || b[j] == 0x0D || b[j] == 0x23  // empty or a comment
            if quote != 0 { j = i }
            if let parent = blockScalarParent {
                if blank || indent > parent { i = end + 1; line += 1; continue }
                blockScalarParent = nil
            }
            if flow == 0 && !blank && quote == 0 {
                while let top = indents.last, top >= indent { indents.removeLast() }
                indents.append(indent)
                // Indicators that open a nested node on this line: "- ", "? ", ": ".
                while j + 1 < end && (b[j] == 0x2D || b[j] == 0x3F || b[j] == 0x3A) && (b[j + 1] == 0x20 || b[j + 1] == 0x09) {
                    j += 2
                    while j < end && b[j] == 0x20 { j += 1 }
                    indents.append(j - i)
                    if indents.count > limit { return (line, j - i + 1) }
                }
                if indents.count > limit { return (line, indent + 1) }
            }
            var previous: UInt8 = 0x20
            var k = j
            while k < end {
                let c = b[k]
                if quote == 0x27 {
                    if c == 0x27 { if k + 1 < end && b[k + 1] == 0x27 { k += 1 } else { quote = 0 } }
                } else if quote == 0x22 {
                    if c == 0x5C { k += 1 } else if c == 0x22 { quote = 0 }
                } else if c == 0x23 && (previous == 0x20 || previous == 0x09) {
                    break  // a comment runs to the end of the line
                } else if (c == 0x27 || c == 0x22) && Self.startsToken(previous) {
                    quote = c
                } else if c == 0x5B || c == 0x7B {
                    flow += 1
                    if flow + indents.count > limit { return (line, k - i + 1) }
                } else if (c == 0x5D || c == 0x7D) && flow > 0 {
                    flow -= 1
                } else if flow == 0 && (c == 0x7C || c == 0x3E) && (k == j || (k >= i + 2 && b[k - 2] == 0x3A && b[k - 1] == 0x20))
                            && Self.onlyHeaderFollows(b, k + 1, end) {
                    blockScalarParent = indent
                }
                previous = c
                k += 1
            }
            i = end + 1
            line += 1
        }
        return nil
    }

    static func startsToken(_ previous: UInt8) -> Bool {
        previous == 0x20 || previous == 0x09 || previous == 0x5B || previous == 0x7B || previous == 0x2C || previous == 0x3A || previous == 0x2D
    }

    /// After `|` or `>`: only indentation/chomping indicators and an optional comment.
    static func onlyHeaderFollows(_ b: [UInt8], _ from: Int, _ end: Int) -> Bool {
        var k = from
        while k < end && (b[k] == 0x2B || b[k] == 0x2D || (b[k] >= 0x31 && b[k] <= 0x39)) { k += 1 }
        while k < end && (b[k] == 0x20 || b[k] == 0x09 || b[k] == 0x0D) { k += 1 }
        return k == end || b[k] == 0x23
    }
}
