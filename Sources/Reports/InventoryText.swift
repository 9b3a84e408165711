import FlowAnalysis
import PacketWire
import PortCatalog

/// The text of `portolan inventory suggest`: an inventory YAML (the format `--inventory` reads,
/// README "Port catalogs and inventories") with the evidence for each proposal as comments.
///
/// Names come from catalogs (roles, components) and capture file names: in comments they go
/// through `Sanitize.text` (a line break would end the comment and inject YAML); role names in
/// values are written plain only when YAML reads them back as the same string, else quoted.
public enum InventoryText {
    public static func suggestionYAML(_ s: InventorySuggestion, sources: [String]) -> String {
        var out = "# Inventory suggested by `portolan inventory suggest` from:\n"
        for f in sources { out += "#   \(comment(f))\n" }
        out += """
            # Each host has the roles whose catalog entries explain the ports it served (flows it
            # answered); the evidence and a confidence follow each host. Check the roles, name the
            # hosts, merge the addresses of one host, then pass this file to --inventory.

            """
        if s.hosts.isEmpty {
            out += "# No host served a port a catalog lists: nothing to propose.\n"
        }
        out += "# The cluster networks are guessed (the /24 or /64 of each host): give your real ones.\n"
        out += s.networks.isEmpty ? "networks: []\n" : "networks:\n"
        for n in s.networks { out += "  - \(n)\n" }
        out += s.hosts.isEmpty ? "hosts: []\n" : "hosts:\n"
        var counters: [Int: Int] = [:]
        for h in s.hosts {
            let names = h.roles.map { s.roleNames[$0] }
            let first = h.roles.first ?? 0
            counters[first, default: 0] += 1
            let name = hostName(s.roleNames[first]) + "-\(counters[first]!)"
            out += "  # confidence \(h.confidence.rawValue), \(plural(UInt64(h.flows), "flow")) answered:\n"
            for p in h.served { out += portLine(p) }
            if !h.unanswered.isEmpty {
                out += "  # no catalogued port answered; tried by clients (blocked):\n"
                for p in h.unanswered { out += portLine(p) }
            }
            if !h.unexplained.isEmpty {
                let ports = h.unexplained.map { "\($0.text) (\(comment(roleList($0.roles, s))))" }.joined(separator: ", ")
                out += "  # not explained by these roles, so wrong-role with this file: \(ports); add the role if the host is meant to serve it\n"
            }
            if !h.tiedWith.isEmpty {
                let tied = h.tiedWith.map { comment(s.roleNames[$0]) }.joined(separator: ", ")
                out += "  # the evidence fits \(tied) as well\n"
            }
            out += "  - address: \(h.address.text(version: h.version))\n"
            out += "    name: \(name)\n"
            out += "    roles: [\(names.map(scalar).joined(separator: ", "))]\n"
        }
        if !s.notProposed.isEmpty {
            out += "# Servers seen but not proposed:\n"
            for n in s.notProposed {
                let ports = n.served.map { "\($0.text) (\(plural(UInt64($0.flows), "flow")))" }.joined(separator: ", ")
                out += "#   \(n.address.text(version: n.version)) serves \(ports): \(n.reason)\n"
            }
        }
        return out
    }

    static func portLine(_ p: ServedPort) -> String {
        let what = p.components.isEmpty ? "no catalog lists it" : p.components.map(comment).joined(separator: " or ")
        return "  #   \(p.text) \(what) (\(plural(UInt64(p.flows), "flow")))\n"
    }

    static func roleList(_ r: RoleSet, _ s: InventorySuggestion) -> String {
        r.indices.filter { $0 < s.roleNames.count }.map { s.roleNames[$0] }.joined(separator: " or ")
    }

    /// Comment text: on one line, control characters shown escaped.
    public static func comment(_ t: String) -> String { Sanitize.text(t) }

    /// A host name from a role name: letters, digits, '.', '_' and '-' kept, anything else '-'.
    public static func hostName(_ role: String) -> String {
        let mapped = role.unicodeScalars.map { u -> Character in
            let v = u.value
            let ok = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x2E || v == 0x5F || v == 0x2D
            return ok ? Character(u) : "-"
        }
        let s = String(mapped)
        return s.isEmpty || s.first == "-" || s.first == "." ? "host" + s : s
    }

    /// A YAML scalar that reads back as `s`: plain for names of letters, digits, '.', '_', '-'
    /// starting with a letter (and not a YAML boolean or null), else double-quoted with escapes.
    public static func scalar(_ s: String) -> String {
        let reserved: Set<String> = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"]
        if let f = s.unicodeScalars.first, (f.value >= 0x41 && f.value <= 0x5A) || (f.value >= 0x61 && f.value <= 0x7A),
           hostName(s) == s, !reserved.contains(s.lowercased()) {
            return s
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0..<0x20, 0x7F...0x9F, 0x2028...0x2029, 0x202A...0x202E, 0x2066...0x2069:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
