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
/// and error to files.
func portolanIO(_ args: [String], stdin: String? = nil) throws -> IORun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    let dir = FileManager.default.temporaryDirectory
    let tag = UInt64.random(in: 0...UInt64.max)
    let outURL = dir.appendingPathComponent("portolan-op-\(tag).out")
    let errURL = dir.appendingPathComponent("portolan-op-\(tag).err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin ?? "/dev/null"))
    p.standardOutput = try FileHandle(forWritingTo: outURL)
    p.standardError = try FileHandle(forWritingTo: errURL)
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    try p.run()
    p.waitUntilExit()
    return IORun(status: p.terminationStatus, out: (try? Data(contentsOf: outURL)) ?? Data(),
                 err: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
}

private func scratch() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-op-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

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
