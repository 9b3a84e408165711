import Foundation
import Testing
import TestSupport

// Issue 12, streamed input: a pipe, gzip and zstd are read in bounded memory as they arrive, and
// give the report the file gives by path (only the names of the input differ).

private let binary = portolanBinary
private let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)

/// Runs `script` under /bin/sh with $P the binary and $C the Captures folder; returns stdout.
private func sh(_ script: String) throws -> (out: String, status: Int32) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    var env = ProcessInfo.processInfo.environment
    env["P"] = binary
    env["C"] = repositoryRoot + "/Captures"
    env["NO_COLOR"] = "1"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), p.terminationStatus)
}

/// A JSON Lines report without what names the input (uid is a hash that includes it).
private func comparable(_ jsonl: String) -> [String] {
    jsonl.split(separator: "\n").map { line in
        line.replacingOccurrences(of: #""uid":"[^"]*","#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""evidence_file":"[^"]*""#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""files":\[[^\]]*\]"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""file":"[^"]*""#, with: "", options: .regularExpression)
    }
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct StreamedInputTests {
    static let captures = ["dcos-cluster.pcap", "dynatrace-cluster.pcapng", "vlan-trunk.pcap", "sll2-any.pcap"]

    @Test("cat FILE | analyze -, FILE.gz, and zstd through a pipe give the flows of FILE", arguments: captures)
    func sameFlows(_ name: String) throws {
        let byPath = try sh(#"exec "$P" analyze --no-progress --format jsonl "$C"/"# + name)
        #expect(byPath.status == 0)
        let want = comparable(byPath.out)
        #expect(want.count > 1)
        let piped = try sh(#"cat "$C"/"# + name + #" | "$P" analyze --no-progress --format jsonl -"#)
        #expect(piped.status == 0 && comparable(piped.out) == want, "piped")
        let tmp = NSTemporaryDirectory() + "portolan-stream-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: tmp + ".gz") }
        let gz = try sh(#"gzip -c "$C"/"# + name + " > " + tmp + #".gz && "$P" analyze --no-progress --format jsonl "# + tmp + ".gz")
        #expect(gz.status == 0 && comparable(gz.out) == want, "gzip by path")
        let zst = try sh(#"command -v zstd >/dev/null || exit 77; zstd -q -c "$C"/"# + name + #" | "$P" analyze --no-progress --format jsonl -"#)
        if zst.status != 77 { #expect(zst.status == 0 && comparable(zst.out) == want, "zstd piped") }
    }

    @Test("a pipe beside files is a vantage point of its own, read once (not scanned for pieces)")
    func pipeBesideFiles() throws {
        let r = try sh(#"cat "$C"/blocked.pcap | "$P" analyze --no-progress --format json "$C"/dcos-cluster.pcap -"#)
        #expect(r.status == 0 || r.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let sources = try #require(doc["sources"] as? [[String: Any]])
        #expect(sources.count == 2)
        let packets = sources.compactMap { $0["packets"] as? Int }
        let alone = try sh(#"exec "$P" analyze --no-progress --format json "$C"/blocked.pcap"#)
        let aloneDoc = try #require(try JSONSerialization.jsonObject(with: Data(alone.out.utf8)) as? [String: Any])
        let alonePackets = try #require((aloneDoc["sources"] as? [[String: Any]])?.first?["packets"] as? Int)
        #expect(packets.count == 2 && packets[1] == alonePackets, "\(packets) vs \(alonePackets)")
    }
}
