import Foundation
import Testing
import TestSupport

// The commands of issue 13 (#11, #4, #5) run end to end.

private func capture(_ name: String) -> String { repositoryRoot + "/Captures/" + name }

@Suite(.enabled(if: FileManager.default.fileExists(atPath: portolanBinary))) struct Issue13CLITests {
    /// `inventory suggest -o FILE`, then `analyze --inventory FILE`: the file loads and names roles.
    @Test func suggestedInventoryFeedsAnalyze() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("suggested-\(UInt64.random(in: 0...UInt64.max)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let s = try portolanCapture(["inventory", "suggest", capture("dynatrace-cluster.pcapng"), "-o", out])
        #expect(s.status == 0, "\(s.err)")
        let yaml = try String(contentsOfFile: out, encoding: .utf8)
        #expect(yaml.contains("  - address: 10.10.0.32\n    name: dynatrace-node-2\n    roles: [dynatrace-node]\n"))
        let a = try portolanCapture(["analyze", capture("dynatrace-cluster.pcapng"), "--inventory", out, "--format", "jsonl"])
        #expect(a.status == 0, "\(a.err)")
        // With the suggestion, the role verdict the hand-written inventory gives is claimed.
        #expect(a.out.split(separator: "\n").filter { $0.contains("\"verdict\":\"outside-to-internal\"") }.count == 2)
        let bad = try portolanCapture(["inventory", "suggest", "/nonexistent.pcap"])
        #expect(bad.status == 2 && bad.out.isEmpty && bad.err.contains("/nonexistent.pcap"))
    }

    /// COLUMNS sets the table's width when standard output is not a terminal; --width wins;
    /// LC_ALL=C prints ASCII.
    @Test func tableWidthAndLocaleFromTheEnvironment() throws {
        func run(_ extra: [String], _ env: [String: String]) throws -> String {
            var args = ["env"] + env.map { "\($0.key)=\($0.value)" } + [portolanBinary, "analyze", capture("blocked.pcap"),
                        "--inventory", capture("blocked.inventory.yaml")]
            args += extra
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = Array(args.dropFirst())
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UInt64.random(in: 0...UInt64.max))")
            FileManager.default.createFile(atPath: url.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: url) }
            p.standardOutput = try FileHandle(forWritingTo: url)
            try p.run()
            p.waitUntilExit()
            return String(decoding: try Data(contentsOf: url), as: UTF8.self)
        }
        let widest = { (t: String) in t.split(separator: "\n").map(\.count).max() ?? 0 }
        let at80 = try run([], ["COLUMNS": "80", "LANG": "C.UTF-8"])
        #expect(widest(at80) == 80 && at80.contains("→"))
        let at200 = try run(["--width", "200"], ["COLUMNS": "80", "LANG": "C.UTF-8"])
        #expect(widest(at200) > 100 && widest(at200) <= 200)
        let c = try run([], ["LC_ALL": "C", "LANG": "C.UTF-8"])
        #expect(!c.utf8.contains { $0 >= 0x80 } && c.contains(" -> "))
    }
}
