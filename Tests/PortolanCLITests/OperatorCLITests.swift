import Foundation
import Testing
import TestSupport

// Issue 13: the operator's habits — inputs that are not captures (always exit 2, one line, no
// report), the --fail-on summary line, tcpdump's -r/-c/filter words, completions, catalog export.

private let binary = portolanBinary
private let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)
private func capture(_ name: String) -> String { repositoryRoot + "/Captures/" + name }

struct IORun {
    var status: Int32
    var out: Data
    var err: String
    var text: String { String(decoding: out, as: UTF8.self) }
    var errLines: [Substring] { err.split(separator: "\n") }
}

/// Runs portolan with standard input from `stdin` (a path; /dev/null when nil), standard output
/// and error to files; the process runner is `portolanCapture`'s.
func portolanIO(_ args: [String], stdin: String? = nil) throws -> IORun {
    try portolanRun(args, stdin: stdin)
}

private func scratch() throws -> String { try scratchDirectory() }

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct NotACaptureTests {
    /// A missing path, a directory, a text file, a gzipped text file and an empty file: exit 2,
    /// one line naming the input, nothing on standard output — with --allow-damaged too, and also
    /// when a good capture comes first on the command line.
    @Test func anInputThatIsNoCaptureIsExit2WithOneLineAndNoReport() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = dir + "/notes.pcap"
        try "hello, not a capture\n".write(toFile: text, atomically: false, encoding: .utf8)
        let gz = dir + "/notes.pcap.gz"
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(text)' > '\(gz)'"]
        try gzip.run()
        gzip.waitUntilExit()
        let empty = dir + "/empty.pcap"
        FileManager.default.createFile(atPath: empty, contents: Data())
        let inputs = [dir + "/missing.pcap", dir, text, gz, empty]
        for bad in inputs {
            for extra in [[], ["--allow-damaged"], ["--allow-damaged", "--fail-on", "problems"]] {
                for format in ["table", "json"] {
                    let args = ["analyze", "--no-progress", "--format", format] + extra + [capture("blocked.pcap"), bad]
                    let r = try portolanIO(args)
                    #expect(r.status == 2, "\(args): status \(r.status)")
                    #expect(r.out.isEmpty, "\(args): a report was printed: \(r.text.prefix(200))")
                    #expect(r.errLines.count == 1 && r.err.contains(bad), "\(args): \(r.err)")
                }
            }
            let d = try portolanIO(["decode", capture("blocked.pcap"), bad])
            #expect(d.status == 2 && d.out.isEmpty && d.errLines.count == 1 && d.err.contains(bad), "decode \(bad): \(d.err)")
        }
        // The gzipped text is named as such, not as corrupt gzip.
        let r = try portolanIO(["analyze", gz])
        #expect(r.err.contains("gzip data does not start with a pcap"), "\(r.err)")
    }

    /// Standard input is read once: checked, then analysed (the check must not consume it).
    @Test func standardInputIsCheckedAndStillAnalysed() throws {
        let viaStdin = try portolanIO(["analyze", "--format", "json", "-"], stdin: capture("blocked.pcap"))
        let direct = try portolanIO(["analyze", "--format", "json", capture("blocked.pcap")])
        #expect(viaStdin.status == direct.status)
        let a = try #require(try JSONSerialization.jsonObject(with: viaStdin.out) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: direct.out) as? [String: Any])
        #expect((a["flows"] as? [Any])?.count == (b["flows"] as? [Any])?.count)
        #expect(((a["flows"] as? [Any])?.count ?? 0) > 0)
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not a capture\n".write(toFile: dir + "/text", atomically: false, encoding: .utf8)
        let textIn = try portolanIO(["analyze", "--allow-damaged", "-"], stdin: dir + "/text")
        #expect(textIn.status == 2 && textIn.out.isEmpty && textIn.errLines.count == 1, "\(textIn.err)")
    }
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct FailOnLineTests {
    /// The line names the verdicts asked, the flows that have one, and each verdict's flows,
    /// counted from the JSON report of the same run; no line when --fail-on does not trigger.
    @Test(arguments: ["blocked.pcap", "dcos-cluster.pcap", "vlan-trunk.pcap"])
    func failOnPrintsWhichVerdictsAndHowManyFlows(_ name: String) throws {
        let inventory = capture(name.split(separator: ".")[0] + ".inventory.yaml")
        for spec in ["problems", "blocked-rst,unexpected-port", "blocked"] {
            let r = try portolanIO(["analyze", "--format", "json", "--inventory", inventory, "--fail-on", spec, capture(name)])
            let report = try #require(try JSONSerialization.jsonObject(with: r.out) as? [String: Any])
            let flows = try #require(report["flows"] as? [[String: Any]])
            let asked: Set<String> = spec == "problems" ? ["blocked-drop", "blocked-rst", "blocked-icmp", "outside-to-internal", "wrong-role", "unexpected-port"]
                : spec == "blocked" ? ["blocked-drop", "blocked-rst", "blocked-icmp"] : Set(spec.split(separator: ",").map(String.init))
            let order = ["blocked-drop", "blocked-rst", "blocked-icmp", "outside-to-internal", "wrong-role", "unexpected-port"]
            var hits = 0
            var per: [String: Int] = [:]
            for f in flows {
                let v = Set(f["verdicts"] as? [String] ?? []).intersection(asked)
                if !v.isEmpty { hits += 1 }
                for x in v { per[x, default: 0] += 1 }
            }
            if hits == 0 {
                #expect(r.status == 0 && r.err.isEmpty, "\(spec): \(r.err)")
            } else {
                let parts = order.compactMap { v in per[v].map { "\(v) \($0)" } }.joined(separator: ", ")
                #expect(r.status == 1)
                #expect(r.err == "portolan: --fail-on \(spec): \(hits) flow\(hits == 1 ? "" : "s") (\(parts)); exit 1\n", "\(r.err)")
            }
        }
    }
}

private let tcpdumpPath = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `tcpdump -r FILE -w OUT EXPR`: the frames libpcap's filter keeps, as a pcap file.
private func tcpdumpFilter(_ file: String, _ expression: String, to out: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tcpdumpPath!)
    p.arguments = ["-r", file, "-w", out] + expression.split(separator: " ").map(String.init)
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "tcpdump \(expression)")
}

/// A flow as JSON with the fields that name frames or files taken out (tcpdump's output file
/// numbers its frames anew and has another name; the uid hashes them too).
private func comparable(_ flow: [String: Any]) -> String {
    var f = flow
    for k in ["uid", "evidence", "first_frame", "evidence_file", "files"] { f.removeValue(forKey: k) }
    if let icmp = f["icmp"] as? [[String: Any]] { f["icmp"] = icmp.map { $0.filter { $0.key != "first_frame" } } }
    let data = try? JSONSerialization.data(withJSONObject: f, options: [.sortedKeys])
    return String(decoding: data ?? Data(), as: UTF8.self)
}

@Suite(.enabled(if: binaryPresent && tcpdumpPath != nil, "needs portolan (swift build) and tcpdump"))
struct CaptureFilterTests {
    static let cases: [(String, String)] = [
        ("dcos-cluster.pcap", "tcp port 5050"), ("dcos-cluster.pcap", "udp"),
        ("dcos-cluster.pcap", "host 10.10.0.11 and not port 53"), ("blocked.pcap", "tcp"),
        ("blocked.pcap", "icmp or tcp port 9090"), ("vlan-trunk.pcap", "vlan and tcp"),
        ("sll2-any.pcap", "tcp"), ("dynatrace-cluster.pcapng", "tcp and not port 443"),
        ("vxlan-overlay.pcap", "udp and not port 53"),
    ]

    /// A filter gives exactly the flows of `tcpdump -r FILE -w - EXPR | portolan analyze -`,
    /// whichever way it is written; the frames left out are `filtered` and the balance holds.
    @Test(arguments: cases)
    func filterGivesTheFlowsOfTcpdumpsSelection(_ name: String, _ expression: String) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kept = dir + "/kept.pcap"
        try tcpdumpFilter(capture(name), expression, to: kept)
        let reference = try portolanIO(["analyze", "--format", "json", "-"], stdin: kept)
        let ref = try #require(try JSONSerialization.jsonObject(with: reference.out) as? [String: Any])
        let refFlows = (ref["flows"] as? [[String: Any]] ?? []).map(comparable)
        let refTotal = ((ref["accounting"] as? [String: Any])?["total"] as? [String: Any])?["packets"] as? Int
        let all = try portolanIO(["analyze", "--format", "json", capture(name)])
        let allTotal = (((try JSONSerialization.jsonObject(with: all.out) as? [String: Any])?["accounting"] as? [String: Any])?["total"]
            as? [String: Any])?["packets"] as? Int
        let words = expression.split(separator: " ").map(String.init)
        for args in [[capture(name)] + words, ["-r", capture(name)] + words, ["-f", expression, capture(name)], ["-n", capture(name), "-f", expression]] {
            let r = try portolanIO(["analyze", "--format", "json"] + args)
            let report = try #require(try JSONSerialization.jsonObject(with: r.out) as? [String: Any], "\(args): \(r.err)")
            let flows = (report["flows"] as? [[String: Any]] ?? []).map(comparable)
            #expect(flows == refFlows, "\(args)")
            let a = try #require(report["accounting"] as? [String: Any])
            let filtered = (a["filtered"] as? [String: Any])?["packets"] as? Int ?? 0
            let total = (a["total"] as? [String: Any])?["packets"] as? Int
            #expect(a["balanced"] as? Bool == true)
            #expect(total == allTotal && filtered == (allTotal ?? 0) - (refTotal ?? 0), "\(args): \(a)")
        }
        #expect(!refFlows.isEmpty)
    }

    /// decode with a filter prints the matching frames with their frame numbers in the file:
    /// each line is the unfiltered decode's line for that frame, and the lines are tcpdump's
    /// selection (compared without the frame column, which tcpdump's file numbers anew).
    @Test(arguments: cases)
    func decodeWithAFilterKeepsFrameNumbers(_ name: String, _ expression: String) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kept = dir + "/kept.pcap"
        try tcpdumpFilter(capture(name), expression, to: kept)
        let full = Set(try portolanIO(["decode", capture(name)]).text.split(separator: "\n"))
        let filtered = try portolanIO(["decode", capture(name)] + expression.split(separator: " ").map(String.init))
        #expect(filtered.status == 0, "\(filtered.err)")
        let lines = filtered.text.split(separator: "\n")
        #expect(lines.allSatisfy(full.contains))
        let reference = try portolanIO(["decode", kept]).text.split(separator: "\n")
        func tail(_ l: Substring) -> Substring { l.drop(while: { $0 != "\t" }) }
        #expect(lines.map(tail) == reference.map(tail) && !lines.isEmpty)
        let two = try portolanIO(["decode", "-c", "2", "-f", expression, capture(name)]).text.split(separator: "\n")
        #expect(two == Array(lines.prefix(2)))
    }

    /// -c N: N matching packets analysed, the frames before the last of them that did not
    /// match counted as filtered; a bad expression is exit 2 with libpcap's message.
    @Test func countAndBadFilters() throws {
        let r = try portolanIO(["analyze", "--format", "json", "-c", "5", capture("blocked.pcap"), "udp"])
        let a = try #require((try JSONSerialization.jsonObject(with: r.out) as? [String: Any])?["accounting"] as? [String: Any])
        let total = (a["total"] as? [String: Any])?["packets"] as? Int ?? 0
        let filtered = (a["filtered"] as? [String: Any])?["packets"] as? Int ?? 0
        #expect(total - filtered == 5 && a["balanced"] as? Bool == true, "\(a)")
        let decoded = try portolanIO(["decode", capture("blocked.pcap"), "udp"]).text.split(separator: "\n")
        let lastFrame = Int(decoded[4].prefix(while: { $0 != "\t" }))
        #expect(total == lastFrame)

        let bad = try portolanIO(["analyze", capture("blocked.pcap"), "tcp", "prot", "22"])
        #expect(bad.status == 2 && bad.out.isEmpty && bad.errLines.count == 1 && bad.err.contains("syntax error"), "\(bad.err)")
        let wrongLink = try portolanIO(["decode", capture("sll2-any.pcap"), "ether", "host", "1:2:3:4:5:6"])
        #expect(wrongLink.status == 2 && wrongLink.out.isEmpty && wrongLink.err.contains("LINUX_SLL2"), "\(wrongLink.err)")
        // A missing second file is still a missing file, not the start of a filter.
        let missing = try portolanIO(["analyze", capture("blocked.pcap"), "/nonexistent/x.pcap", "tcp"])
        #expect(missing.status == 2 && missing.err.contains("/nonexistent/x.pcap: cannot open"), "\(missing.err)")
    }
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct CompletionTests {
    /// The function of one subcommand in the bash script (from its name to the closing brace).
    private func bashFunction(_ script: String, _ name: String) -> String {
        guard let start = script.range(of: "\n\(name)() {") else { return "" }
        let rest = script[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n}\n")?.lowerBound ?? rest.endIndex)])
    }

    /// Capture arguments keep filename completion and --format offers its values, in bash, zsh
    /// and fish, for analyze and decode (and live's --format, -w).
    @Test func completionsCompleteFilesAndFormatValues() throws {
        let bash = try portolanIO(["--generate-completion-script", "bash"]).text
        for command in ["_portolan_analyze", "_portolan_decode"] {
            let f = bashFunction(bash, command)
            let positional = try #require(f.range(of: "# Offer positional completions"), "\(command): no positional completions")
            #expect(f[positional.upperBound...].contains("__portolan_add_completions -f"), "\(command): \(f)")
            #expect(f.contains("'-r')\n        __portolan_add_completions -f"), "\(command)")
        }
        let analyze = bashFunction(bash, "_portolan_analyze")
        #expect(analyze.contains("'--format')\n        __portolan_add_completions -W 'table'$'\\n''json'$'\\n''jsonl'$'\\n''csv'$'\\n''html'$'\\n''prometheus'"), "\(analyze)")
        #expect(analyze.contains("'--fail-on')\n        __portolan_add_completions -W 'blocked-drop'"), "\(analyze)")
        let live = bashFunction(bash, "_portolan_live")
        #expect(live.contains("'--format')\n        __portolan_add_completions -W 'table'"), "\(live)")
        #expect(live.contains("'-w')\n        __portolan_add_completions -f"), "\(live)")

        let zsh = try portolanIO(["--generate-completion-script", "zsh"]).text
        #expect(zsh.contains("'*:FILE… \\[EXPRESSION\\]:_files'"))
        #expect(zsh.contains("('table' 'json' 'jsonl' 'csv' 'html' 'prometheus')"))
        let fish = try portolanIO(["--generate-completion-script", "fish"]).text
        #expect(fish.contains("__portolan_should_offer_completions_for_positional \"portolan analyze\" -ge 1' -F"), "fish")
        #expect(fish.contains("-rfka 'table json jsonl csv html prometheus'"))
    }
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct CatalogWorkflowTests {
    /// `catalog export ID --id NEW` loads beside ID (`--catalog mine.yaml --catalog dcos-1.8`),
    /// where the plain export is refused for the duplicate id and says so in its first line.
    @Test func exportWithANewIDLoadsBesideItsOrigin() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try portolanIO(["catalog", "export", "dcos-1.8"])
        #expect(plain.status == 0 && plain.text.hasPrefix("# Exported from catalog dcos-1.8. To load it beside dcos-1.8"))
        try plain.out.write(to: URL(fileURLWithPath: dir + "/plain.yaml"))
        let refused = try portolanIO(["analyze", "--catalog", dir + "/plain.yaml", "--catalog", "dcos-1.8", capture("blocked.pcap")])
        #expect(refused.status == 2 && refused.err.contains("catalog id 'dcos-1.8' is used by both"), "\(refused.err)")

        let renamed = try portolanIO(["catalog", "export", "dcos-1.8", "--id", "mine"])
        #expect(renamed.status == 0 && renamed.text.contains("\nid: mine\n") && !renamed.text.contains("\nid: dcos-1.8\n"))
        let mine = dir + "/mine.yaml"
        try renamed.out.write(to: URL(fileURLWithPath: mine))
        let both = try portolanIO(["analyze", "--format", "json", "--catalog", mine, "--catalog", "dcos-1.8", capture("dcos-cluster.pcap")])
        #expect(both.status == 0, "\(both.err)")
        let flows = try #require((try JSONSerialization.jsonObject(with: both.out) as? [String: Any])?["flows"] as? [[String: Any]])
        #expect(flows.contains { $0["catalog"] as? String == "mine" })
        let listed = try portolanIO(["catalog", "validate", mine])
        #expect(listed.status == 0 && listed.text.contains("catalog mine,"), "\(listed.err)")
        let bad = try portolanIO(["catalog", "export", "dcos-1.8", "--id", "my catalog"])
        #expect(bad.status == 2 && bad.out.isEmpty && bad.err.contains("bad catalog id"))
    }

    /// `catalog validate [CATALOG…] --inventory FILE` accepts exactly the pairs analyze accepts,
    /// and rejects the others with the same message (an unknown role, positioned).
    @Test func validateWithAnInventoryRejectsWhatAnalyzeRejects() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shop = dir + "/shop.yaml"
        try """
            id: shop
            title: Shop
            roles:
              - name: shop-web
                description: the web servers
            components:
              - name: Shop web
            entries:
              - component: Shop web
                protocol: tcp
                port: 8080
                roles: [shop-web]
            """.write(toFile: shop, atomically: false, encoding: .utf8)
        let shopHosts = dir + "/shop-hosts.yaml"
        try "hosts:\n  - address: 10.10.0.11\n    roles: [shop-web]\n".write(toFile: shopHosts, atomically: false, encoding: .utf8)
        let unknown = dir + "/unknown.yaml"
        try "hosts:\n  - address: 10.10.0.11\n    roles: [nosuch]\n".write(toFile: unknown, atomically: false, encoding: .utf8)
        let blocked = capture("blocked.inventory.yaml")
        let cases: [([String], String, Int32)] = [
            ([], blocked, 0), (["--catalog", "dynatrace-managed"], blocked, 2), ([], unknown, 2), ([], shopHosts, 2),
            (["--catalog", shop], shopHosts, 0), (["--catalog", shop], blocked, 2),
            (["--catalog", shop, "--catalog", "dcos-1.8"], blocked, 2), (["--catalog", shop, "--catalog", "dcos-1.8"], shopHosts, 0),
            (["--catalog", shop, "--catalog", "dcos-1.8", "--catalog", "dynatrace-managed"], blocked, 0),
        ]
        for (catalogs, inventory, expected) in cases {
            let a = try portolanIO(["analyze", "-o", "/dev/null", "--no-progress"] + catalogs + ["--inventory", inventory, capture("vlan-trunk.pcap")])
            let v = try portolanIO(["catalog", "validate"] + catalogs + ["--inventory", inventory])
            #expect(a.status == expected && v.status == expected, "\(catalogs) \(inventory): analyze \(a.status) \(a.err), validate \(v.status) \(v.err)")
            if expected == 2 {
                // The same positioned message (analyze prefixes "error: ").
                let message = a.err.replacingOccurrences(of: "error: ", with: "")
                #expect(message.contains("unknown role") && v.err.contains(message.trimmingCharacters(in: .newlines)), "\(a.err) | \(v.err)")
            }
        }
        // The catalog as a file to validate too, as `analyze --catalog shop.yaml` loads it.
        let positional = try portolanIO(["catalog", "validate", shop, "--inventory", shopHosts])
        #expect(positional.status == 0, "\(positional.err)")
    }
}
