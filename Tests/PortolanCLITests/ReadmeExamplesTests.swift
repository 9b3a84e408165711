import Foundation
import Testing
import TestSupport

// Issue 13: the README's examples run as written. Every `portolan …` line of the README's code
// blocks that an unprivileged, offline machine can run (no `sudo`, no `live`, nothing written
// outside the folder) is run in order, from a scratch folder holding `Captures` (a link to the
// repository's), with `portolan` on the PATH: none may end in a usage or input error (status 2).
// Files an example writes (`-o cluster.yaml`, `> my-catalog.yaml`) are there for the next ones;
// an example that names a file no earlier example made (the reader's own `cluster.yaml`) is left
// out, and the test says which.

private let binaryPresent = FileManager.default.isExecutableFile(atPath: portolanBinary)

/// The runnable example lines, in order.
func readmeExamples(_ readme: String) -> [String] {
    var out: [String] = []
    var inCode = false
    for raw in readme.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("```") { inCode.toggle(); continue }
        guard inCode else { continue }
        var cmd = line.hasPrefix("$ ") ? String(line.dropFirst(2)) : line
        guard cmd.hasPrefix("portolan ") else { continue }
        // Synopses (FILE…, [options], a|b) are not commands.
        if cmd.contains("…") || cmd.contains("[") || cmd.contains("|") { continue }
        if let hash = cmd.range(of: "  #") { cmd = String(cmd[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        let words = cmd.split(separator: " ")
        if words.count > 1 && (words[1] == "live" || words[1] == "interfaces" || words[1] == "bench") { continue }
        if cmd.contains("/etc/") || cmd.contains("~") || cmd.contains("$") { continue }
        out.append(cmd)
    }
    return out
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct ReadmeExamplesTests {
    @Test("the README's portolan examples run as written (no status 2)")
    func examplesRun() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let examples = readmeExamples(readme)
        #expect(examples.count >= 10, "\(examples)")
        let dir = FileManager.default.temporaryDirectory.path + "/portolan-readme-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/Captures", withDestinationPath: repositoryRoot + "/Captures")
        let binDir = (portolanBinary as NSString).deletingLastPathComponent
        var ran = 0
        var skipped: [String] = []
        for cmd in examples {
            // Files the example reads must exist (made by an earlier example, or in Captures/).
            let words = cmd.split(separator: " ").map(String.init)
            var missing = false
            for (i, w) in words.enumerated() where w.hasSuffix(".yaml") || w.hasSuffix(".pcap") || w.hasSuffix(".pcapng") {
                let written = i > 0 && (words[i - 1] == "-o" || words[i - 1] == ">")
                if !written && !FileManager.default.fileExists(atPath: dir + "/" + w) { missing = true }
            }
            if missing { skipped.append(cmd); continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", cmd + " > /dev/null 2> .err; s=$?; cat .err >&2; exit $s"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            var env = ProcessInfo.processInfo.environment
            env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
            env["NO_COLOR"] = "1"
            p.environment = env
            let err = Pipe()
            p.standardError = err
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 || p.terminationStatus == 1, "\(cmd) → \(p.terminationStatus): \(text)")
            ran += 1
        }
        print("README examples: \(ran) run, \(skipped.count) left out (they read the reader's own files): \(skipped)")
        #expect(ran >= 10)
    }
}
