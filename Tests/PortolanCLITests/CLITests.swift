import Foundation
import Testing
import TestSupport

// End-to-end checks of the command line's contracts, on the built binary and the project's own
// captures: exit status 0/1/2, decode's 19 columns, --fail-on gating, damaged input reported up to
// the damage. The per-module behaviour is tested in the other targets.

private let repoRoot = URL(fileURLWithPath: repositoryRoot)
private let binary = portolanBinary
private let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)
private func capture(_ name: String) -> String { repoRoot.appendingPathComponent("Captures/\(name)").path }

private struct Run {
    var status: Int32
    var out: String
    var err: String
}

private func portolan(_ args: [String]) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    // Files, not pipes: a large stdout can never block the child while we wait on stderr.
    let dir = FileManager.default.temporaryDirectory
    let tag = UInt64.random(in: 0...UInt64.max)
    let outURL = dir.appendingPathComponent("portolan-cli-\(tag).out")
    let errURL = dir.appendingPathComponent("portolan-cli-\(tag).err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    p.standardOutput = try FileHandle(forWritingTo: outURL)
    p.standardError = try FileHandle(forWritingTo: errURL)
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    try p.run()
    p.waitUntilExit()
    return Run(status: p.terminationStatus,
               out: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
               err: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Byte offsets of the pcap records of a classic little-endian µs/ns pcap (24-byte file header).
private func pcapRecordOffsets(_ data: Data) -> [Int] {
    var offsets: [Int] = []
    var off = 24
    while off + 16 <= data.count {
        let caplen = Int(data[off + 8]) | Int(data[off + 9]) << 8 | Int(data[off + 10]) << 16 | Int(data[off + 11]) << 24
        guard off + 16 + caplen <= data.count else { break }
        offsets.append(off)
        off += 16 + caplen
    }
    return offsets
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct CLITests {
    @Test func usageErrorsExitTwo() throws {
        for args in [["analyze"], ["analyze", "--format", "xml", capture("blocked.pcap")], ["no-such-command"],
                     ["decode"], ["analyze", capture("blocked.pcap"), "--fail-on", "not-a-verdict"]] {
            let r = try portolan(args)
            #expect(r.status == 2, "\(args): status \(r.status), stderr \(r.err)")
            #expect(!r.err.isEmpty, "\(args): no message on stderr")
        }
        let help = try portolan(["--help"])
        #expect(help.status == 0 && help.out.contains("analyze") && help.out.contains("live"))
    }

    /// Several files: a line per group on stderr; overlapping files claimed as one capture exit 2
    /// with both files named.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: capture("issue11/rotated-m2-06.pcap"))))
    func piecesAndVantagePoints() throws {
        let m1 = (0...5).map { capture("issue11/rotated-m1-0\($0).pcapng") }
        let m2 = (0...6).map { capture("issue11/rotated-m2-0\($0).pcap") }
        let r = try portolan(["analyze", "--no-progress"] + m2.reversed() + m1)
        #expect(r.status == 0, "\(r.err)")
        let groups = r.err.split(separator: "\n").filter { $0.hasPrefix("group ") }
        #expect(groups.count == 2 && groups.allSatisfy { $0.contains("consecutive pieces of one capture") }, "\(r.err)")
        #expect(r.out.contains("13 files in 2 groups"))
        let bad = try portolan(["analyze", "--no-progress", "--same-capture", m1[1], m2[2]])
        #expect(bad.status == 2)
        #expect(bad.err.hasPrefix("error: ") && bad.err.contains(m1[1]) && bad.err.contains(m2[2]) && bad.err.contains("overlap"),
                "\(bad.err)")
        let apart = try portolan(["analyze", "--no-progress", "--vantage-points"] + m1)
        #expect(apart.err.split(separator: "\n").filter { $0.contains("a vantage point of its own") }.count == 6)
    }

    @Test func missingFileIsOneClearLineAndExitTwo() throws {
        for cmd in ["decode", "analyze"] {
            let r = try portolan([cmd, "/nonexistent/portolan-test.pcap"])
            #expect(r.status == 2)
            let lines = r.err.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("/nonexistent/portolan-test.pcap"), "\(r.err)")
        }
    }

    @Test func decodePrintsNineteenColumnsPerPacket() throws {
        let r = try portolan(["decode", capture("dcos-cluster.pcap")])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let records = pcapRecordOffsets(try Data(contentsOf: URL(fileURLWithPath: capture("dcos-cluster.pcap"))))
        #expect(lines.count == records.count && !records.isEmpty)
        for (i, line) in lines.enumerated() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(cols.count == 19, "line \(i + 1): \(cols.count) columns")
            #expect(cols.first.map(String.init) == String(i + 1))
            #expect(cols[1] == "1")  // Ethernet
        }
        let header = try portolan(["decode", "--header", capture("dcos-cluster.pcap")])
        #expect(header.out.hasPrefix("#"))
    }

    @Test func failOnGatesAPipeline() throws {
        let blocked = [capture("blocked.pcap"), "--inventory", capture("blocked.inventory.yaml"), "-o", "/dev/null"]
        #expect(try portolan(["analyze"] + blocked).status == 0)  // findings alone do not fail
        #expect(try portolan(["analyze"] + blocked + ["--fail-on", "blocked-rst"]).status == 1)
        #expect(try portolan(["analyze"] + blocked + ["--fail-on", "problems"]).status == 1)
        let dcos = [capture("dcos-cluster.pcap"), "--inventory", capture("dcos-cluster.inventory.yaml"), "-o", "/dev/null"]
        #expect(try portolan(["analyze"] + dcos + ["--fail-on", "blocked-drop,blocked-icmp"]).status == 0)
        #expect(try portolan(["analyze"] + dcos + ["--fail-on", "wrong-role"]).status == 1)
    }

    @Test func jsonLinesCarryEveryDocumentedField() throws {
        let r = try portolan(["analyze", capture("dcos-cluster.pcap"), "--inventory", capture("dcos-cluster.inventory.yaml"),
                              "--format", "jsonl"])
        #expect(r.status == 0, "\(r.err)")
        let keys = ["proto", "client", "client_port", "server", "server_port", "component", "catalog", "candidates",
                    "verdict", "verdicts", "state", "history", "direction", "client_packets", "server_packets",
                    "client_bytes", "server_bytes", "first_ts", "last_ts", "first_frame", "evidence", "vlan",
                    "tunnel", "files"]
        var flows = 0
        for line in r.out.split(separator: "\n") {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for k in keys { #expect(obj.keys.contains(k), "missing \(k) in \(line.prefix(80))") }
            #expect(obj["client_port"] is NSNumber && obj["server_port"] is NSNumber)
            flows += 1
        }
        #expect(flows > 10)
    }

    @Test func aDamagedFileIsReportedUpToTheDamage() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: capture("blocked.pcap")))
        let records = pcapRecordOffsets(original)
        try #require(records.count > 20)
        // Cut in the middle of record 21: 20 whole records, then a record running past the end.
        let cut = records[20] + 20
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-damaged-\(UInt32.random(in: 0...UInt32.max)).pcap")
        try original.prefix(cut).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }

        let r = try portolan(["analyze", path.path, "--format", "json"])
        #expect(r.status == 2)
        #expect(r.err.contains("byte offset \(records[20])"), "\(r.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let accounting = try #require(report["accounting"] as? [String: Any])
        let total = try #require(accounting["total"] as? [String: Any])
        #expect((total["packets"] as? NSNumber)?.intValue == 20)
        #expect(accounting["balanced"] as? Bool == true)

        let allowed = try portolan(["analyze", path.path, "--allow-damaged", "-o", "/dev/null"])
        #expect(allowed.status == 0)

        let decoded = try portolan(["decode", path.path])
        #expect(decoded.status == 2 && decoded.out.split(separator: "\n").count == 20)
    }

    /// `--threads`: a generated 12 MB pcap (and pcapng) cut into byte ranges reports byte for
    /// byte what one thread reports (JSON: every flow, the accounting), also with a second file,
    /// and a file damaged in its last quarter gives the same report, error line and exit status.
    @Test(arguments: ["pcap", "pcapng"])
    func threadsReportWhatOneThreadReports(_ format: String) throws {
        let dir = FileManager.default.temporaryDirectory
        let tag = UInt32.random(in: 0...UInt32.max)
        let path = dir.appendingPathComponent("portolan-threads-\(tag).\(format)").path
        let damaged = dir.appendingPathComponent("portolan-threads-damaged-\(tag).\(format)").path
        let sections = dir.appendingPathComponent("portolan-threads-sections-\(tag).pcapng").path
        defer {
            for p in [path, damaged, sections] { try? FileManager.default.removeItem(atPath: p) }
        }
        let gen = try portolan(["bench", "--packets", "50000", "--flows", "4000", "--format", format,
                                "--write", path, "--generate-only"])
        try #require(gen.status == 0, "\(gen.err)")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try #require(data.count > 8 << 20)
        try data.prefix(data.count * 7 / 8 + 3).write(to: URL(fileURLWithPath: damaged))

        var runs = [[path], [path, capture("blocked.pcap")], [damaged]]
        if format == "pcapng" {
            // A first section whose one interface has microsecond timestamps, then the generated
            // section (nanoseconds): a range read with the first section's interfaces would
            // misplace every timestamp, so the ranges after the second section header must be
            // read with its own (here: on one thread, from where the first range ends).
            try (microsecondSection() + data).write(to: URL(fileURLWithPath: sections))
            runs.append([sections])
        }
        for files in runs {
            let one = try portolan(["analyze", "--format", "json", "--no-progress"] + files)
            #expect(one.out.count > 100_000)
            #expect(one.status == (files == [damaged] ? 2 : 0))
            for threads in ["2", "3"] {
                let many = try portolan(["analyze", "--format", "json", "--no-progress", "--threads", threads] + files)
                #expect(many.status == one.status && many.err == one.err,
                        "\(files) --threads \(threads): \(many.status) \(many.err)")
                #expect(many.out == one.out, "\(files) --threads \(threads): reports differ")
            }
        }
    }

    /// `--split-minimum-bytes` reaches the byte ranges: two small captures cut into 3 ranges give
    /// one thread's report (every capture, and the corpus, are compared in-process in PipelineTests).
    @Test func splitMinimumBytesCutsSmallFiles() throws {
        for name in ["dcos-cluster.pcap", "dynatrace-cluster.pcapng"] {
            let one = try portolan(["analyze", "--format", "json", "--no-progress", capture(name)])
            let many = try portolan(["analyze", "--format", "json", "--no-progress", "--threads", "3",
                                     "--split-minimum-bytes", "1", capture(name)])
            #expect(one.status == 0 && one.out.count > 1000)
            #expect(many.status == one.status && many.err == one.err && many.out == one.out, "\(name): \(many.err)")
        }
    }
}

/// A pcapng section: header, one Ethernet interface without options (microsecond timestamps),
/// one enhanced packet block with a 60-byte ARP frame.
private func microsecondSection() -> Data {
    var d = Data()
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
    func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
    u32(0x0A0D_0D0A); u32(28); u32(0x1A2B_3C4D); u16(1); u16(0); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u32(28)
    u32(1); u32(20); u16(1); u16(0); u32(0); u32(20)
    let ts: UInt64 = 1_795_000_000_000_000  // µs
    u32(6); u32(32 + 60); u32(0); u32(UInt32(ts >> 32)); u32(UInt32(ts & 0xFFFF_FFFF)); u32(60); u32(60)
    var frame = [UInt8](repeating: 0, count: 60)
    frame[0..<6] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    frame[12] = 0x08
    frame[13] = 0x06
    d.append(contentsOf: frame)
    u32(32 + 60)
    return d
}
