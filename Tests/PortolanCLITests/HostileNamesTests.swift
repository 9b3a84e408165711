import Foundation
import Testing
import TestSupport

// Issue 14, finding 1: names from catalogs, inventories and capture file names reach the table,
// CSV, JSON, errors and `catalog` text. None may bring a raw control character to the reader (ESC
// sequences, forged lines, carriage returns, bidi overrides); CSV cells must not start formulas;
// JSON keeps the exact names (escaped as JSON).

private let evil = "evil\u{1B}]0;pwned\u{07}\u{1B}[2J"
private let forged = "line\nforged: balance OK"
private let carriage = "cr\rX\u{202E}bidi\u{85}c1"
private let markup = "<script>alert(1)</script>\"'"
private let formula = "=cmd|' /C calc'!A0"
private let minus = "-2+3"

/// A YAML double-quoted scalar for `s` (YAML's escapes for the controls).
private func yamlQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || (u.value >= 0x7F && u.value <= 0x9F) || u.value >= 0x2000 {
                out += String(format: "\\u%04X", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

private struct Fixture {
    var dir: String
    var catalog: String
    var inventory: String
    var capture: String
    var truncated: String
    var badInventory: String
    var badCatalog: String
}

private func makeFixture() throws -> Fixture {
    let dir = try scratchDirectory()
    let components = [evil, forged, carriage, markup, formula, minus]
    var c = "id: hostile\ntitle: \(yamlQuoted("Hostile " + evil))\nroles: [master, agent]\ncomponents:\n"
    for name in components { c += "  - name: \(yamlQuoted(name))\n    notes: \(yamlQuoted(forged))\n" }
    c += "entries:\n"
    let ports: [(String, Int)] = [("tcp", 5050), ("tcp", 8123), ("tcp", 7070), ("tcp", 9090), ("udp", 53), ("tcp", 1050)]
    for (i, (proto, port)) in ports.enumerated() {
        c += "  - {component: \(yamlQuoted(components[i])), protocol: \(proto), port: \(port), roles: [agent], notes: \(yamlQuoted(evil))}\n"
    }
    let catalog = dir + "/hostile.yaml"
    try c.write(toFile: catalog, atomically: false, encoding: .utf8)
    var inv = "networks: [10.10.0.0/24]\nhosts:\n"
    let hosts: [(String, String, String)] = [("10.10.0.11", evil, "master"), ("10.10.0.21", forged, "agent"),
                                              ("10.10.0.12", carriage, "master"), ("10.10.0.22", markup, "agent")]
    for (a, n, r) in hosts { inv += "  - {address: \(a), name: \(yamlQuoted(n)), roles: [\(r)]}\n" }
    let inventory = dir + "/hosts.yaml"
    try inv.write(toFile: inventory, atomically: false, encoding: .utf8)
    // Capture file names with ESC and a line break (Linux allows both).
    let capture = dir + "/cap\u{1B}[31mred\nforged.pcap"
    try FileManager.default.copyItem(atPath: repositoryRoot + "/Captures/blocked.pcap", toPath: capture)
    let data = try Data(contentsOf: URL(fileURLWithPath: capture))
    let truncated = dir + "/cut\u{1B}]0;t\u{07}.pcap"
    try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: truncated))
    let badInventory = dir + "/bad\u{1B}[2J.yaml"
    try "hosts:\n  - {address: 10.10.0.11, roles: [\(yamlQuoted("no\u{1B}[2Jrole\nforged"))]}\n"
        .write(toFile: badInventory, atomically: false, encoding: .utf8)
    let badCatalog = dir + "/badcat.yaml"
    try "id: b\nroles: [r]\ncomponents: [{name: x}]\nentries:\n  - {component: \(yamlQuoted(evil + forged)), protocol: tcp, port: 1, roles: [r]}\n"
        .write(toFile: badCatalog, atomically: false, encoding: .utf8)
    return Fixture(dir: dir, catalog: catalog, inventory: inventory, capture: capture, truncated: truncated,
                   badInventory: badInventory, badCatalog: badCatalog)
}

/// The raw control characters in `text` other than line breaks: C0, DEL, and (unless JSON, which
/// may carry them escaped or as they are) C1 controls and bidi overrides.
private func rawControls(_ text: String, json: Bool = false) -> [String] {
    var found: [String] = []
    for u in text.unicodeScalars {
        let v = u.value
        let c0 = (v < 0x20 && v != 0x0A) || v == 0x7F
        let other = (v >= 0x80 && v <= 0x9F) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        if c0 || (!json && other) { found.append(String(format: "U+%04X", v)) }
    }
    return found
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary), "build portolan first (swift build)"))
struct HostileNamesTests {
    @Test func noRawControlCharacterInAnyOutput() throws {
        let f = try makeFixture()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let withCatalog = ["--catalog", f.catalog, "--inventory", f.inventory]
        var runs: [(args: [String], json: Bool)] = []
        for format in ["table", "csv", "json", "jsonl", "prometheus"] {
            runs.append((["analyze", "--no-progress", "--format", format] + withCatalog + [f.capture], format.hasPrefix("json")))
            runs.append((["analyze", "--no-progress", "--format", format, "--allow-damaged"] + withCatalog + [f.capture, f.truncated], format.hasPrefix("json")))
        }
        runs.append((["analyze", "--no-progress"] + withCatalog + [f.truncated], false))
        runs.append((["analyze", "--no-progress", f.dir + "/missing\u{1B}[2J\n.pcap"], false))
        runs.append((["decode", f.truncated], false))
        runs.append((["analyze", "--no-progress", "--catalog", f.catalog, "--inventory", f.badInventory, f.capture], false))
        runs.append((["analyze", "--no-progress", "--catalog", f.badCatalog, f.capture], false))
        for format in ["table", "csv", "json"] {
            runs.append((["catalog", "list", "--catalog", f.catalog, "--format", format], format == "json"))
        }
        runs.append((["catalog", "lookup", "tcp/5050", "--catalog", f.catalog], false))
        runs.append((["catalog", "lookup", "tcp/5050", "--catalog", f.catalog, "--format", "json"], true))
        runs.append((["catalog", "hosts"] + withCatalog, false))
        runs.append((["catalog", "hosts"] + withCatalog + ["10.10.0.11", "10.10.0.21", "bad\u{1B}[2J"], false))
        runs.append((["catalog", "validate", f.catalog, f.badCatalog, f.badInventory, f.capture], false))
        runs.append((["catalog", "validate", f.catalog, "--inventory", f.inventory], false))
        for (args, json) in runs {
            let r = try portolanCapture(args)
            #expect(r.status == 0 || r.status == 1 || r.status == 2, "\(args)")
            // decode's lines are tab-separated columns of numbers and addresses.
            let out = args[0] == "decode" ? r.out.replacingOccurrences(of: "\t", with: " ") : r.out
            #expect(rawControls(out, json: json).isEmpty, "stdout of \(args): \(rawControls(out, json: json).prefix(8)) in \(out.debugDescription.prefix(400))")
            #expect(rawControls(r.err).isEmpty, "stderr of \(args): \(rawControls(r.err).prefix(8)) in \(r.err.debugDescription.prefix(400))")
            // A name's line break never starts a line of its own.
            for line in (r.out + r.err).split(separator: "\n") {
                #expect(!line.hasPrefix("forged"), "forged line in \(args): \(line)")
            }
        }
    }

    @Test func namesAreShownEscapedAndCSVCellsDoNotStartFormulas() throws {
        let f = try makeFixture()
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let withCatalog = ["--catalog", f.catalog, "--inventory", f.inventory]
        let table = try portolanCapture(["analyze", "--no-progress"] + withCatalog + [f.capture])
        #expect(table.out.contains("evil\\x1b]0;pwned\\x07\\x1b[2J"), "\(table.out)")
        #expect(table.out.contains("line\\nforged: balance OK"))
        #expect(table.out.contains("cr\\rX\\u{202e}bidi\\u{85}c1"))
        #expect(table.out.contains("cap\\x1b[31mred\\nforged.pcap"))
        let csv = try portolanCapture(["analyze", "--no-progress", "--format", "csv"] + withCatalog + [f.capture])
        #expect(csv.out.contains(",'=cmd|' /C calc'!A0,"), "\(csv.out)")
        #expect(csv.out.contains(",'-2+3,"))
        #expect(csv.out.contains(",\"<script>alert(1)</script>\"\"'\","))
        // Numbers are never prefixed.
        for line in csv.out.split(separator: "\n").dropFirst() {
            #expect(!line.contains(",'0,") && !line.contains(",'1,"))
        }
        let list = try portolanCapture(["catalog", "list", "--catalog", f.catalog, "--format", "csv"])
        #expect(list.out.contains(",'=cmd|' /C calc'!A0,") && list.out.contains("evil\\x1b]0;pwned"), "\(list.out)")
        // JSON keeps the exact names.
        let json = try portolanCapture(["analyze", "--no-progress", "--format", "json"] + withCatalog + [f.capture])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        let flows = object?["flows"] as? [[String: Any]] ?? []
        let components = Set(flows.compactMap { $0["component"] as? String })
        #expect(components.isSuperset(of: [evil, forged, carriage, markup, formula, minus]), "\(components)")
        let names = Set(flows.compactMap { $0["client_name"] as? String } + flows.compactMap { $0["server_name"] as? String })
        #expect(names.isSuperset(of: [evil, forged, carriage, markup]), "\(names)")
        let bad = try portolanCapture(["analyze", "--no-progress", "--catalog", f.catalog, "--inventory", f.badInventory, f.capture])
        #expect(bad.status == 2 && bad.err.contains("unknown role 'no\\x1b[2Jrole\\nforged'") && bad.err.contains("bad\\x1b[2J.yaml:2:"), "\(bad.err)")
    }
}
