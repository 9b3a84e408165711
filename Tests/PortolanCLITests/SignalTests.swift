import Foundation
import Testing
import TestSupport

// Issue 14 finding 6 and issue 13 finding 9: `analyze` on SIGINT, SIGTERM and SIGHUP stops
// reading, writes the report of what was read marked partial and exits 128 + the signal; a
// signal while the report is written stops the writing and never leaves a cut -o file.

private let binary = portolanBinary
private let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)

private func tempDir() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-sig-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Captures/dcos-cluster.pcap's records `times` times over (its header once): a capture as long
/// as wanted, from real bytes.
private func repeatedCapture(_ path: String, times: Int) throws {
    let src = try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Captures/dcos-cluster.pcap"))
    let records = src.subdata(in: 24..<src.count)
    var block = Data()
    for _ in 0..<100 { block.append(records) }
    FileManager.default.createFile(atPath: path, contents: src.prefix(24))
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try h.seekToEnd()
    for _ in 0..<(times / 100) { try h.write(contentsOf: block) }
    try h.close()
}

/// Waits until process `pid` has `path` mapped (reading has begun: the handler is installed).
private func waitUntilMapped(_ pid: Int32, _ path: String) -> Bool {
    for _ in 0..<3000 {
        if let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8), maps.contains(path) { return true }
        usleep(10_000)
    }
    return false
}

private struct Started {
    let process: Process
    let errURL: URL
    var err: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
}

private func start(_ args: [String], stdout: Any? = nil) throws -> Started {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-sig-\(UInt64.random(in: 0...UInt64.max)).err")
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    p.standardError = try FileHandle(forWritingTo: errURL)
    p.standardOutput = stdout ?? FileHandle.nullDevice
    try p.run()
    return Started(process: p, errURL: errURL)
}

@Suite(.serialized, .enabled(if: binaryPresent, "build portolan first (swift build)"))
struct SignalTests {
    static let cases: [(format: String, signal: Int32)] = [("json", SIGINT), ("table", SIGTERM), ("jsonl", SIGHUP), ("csv", SIGINT)]

    /// A signal during reading: exit 128 + signal, the report of what was read, marked partial in
    /// each format; nothing else left in the folder.
    @Test func signalWhileReadingWritesAPartialReport() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/long.pcap"
        // A million packets: a debug build reads for seconds.
        try repeatedCapture(capture, times: 5_300)
        for (format, signal) in Self.cases {
            let target = dir + "/report.\(format)"
            let run = try start(["analyze", "--no-progress", "--format", format, capture, "-o", target])
            defer { try? FileManager.default.removeItem(at: run.errURL) }
            #expect(waitUntilMapped(run.process.processIdentifier, capture))
            kill(run.process.processIdentifier, signal)
            run.process.waitUntilExit()
            #expect(run.process.terminationReason == .exit, "\(format): killed by the signal")
            #expect(run.process.terminationStatus == 128 + signal, "\(format): \(run.err)")
            #expect(run.err.contains("interrupted by"), "\(format): \(run.err)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.hasPrefix(".") }, "a temporary file left")
            #expect(FileManager.default.fileExists(atPath: target))
            let text = try String(contentsOfFile: target, encoding: .utf8)
            let lines = text.split(separator: "\n")
            switch format {
            case "json":
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                #expect(object?["partial"] as? Bool == true)
                #expect((object?["partial_reason"] as? String)?.hasPrefix("interrupted by SIGINT") == true)
                let read = (object?["sources"] as? [[String: Any]])?.first?["packets"] as? Int ?? -1
                #expect(read < 1_001_700, "read \(read) packets: the whole file")
            case "table":
                #expect(lines.count > 1 && lines[1].hasPrefix("PARTIAL: interrupted by SIGTERM"), "\(text.prefix(300))")
            case "jsonl":
                for line in lines { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
                let last = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any]
                #expect(last?["type"] as? String == "partial")
            default:
                #expect(lines.last?.hasPrefix("# partial: interrupted by SIGINT") == true, "\(lines.last ?? "")")
            }
        }
    }

    /// Without a signal the report has no partial mark (the golden tests hold every byte).
    @Test func noSignalNoMark() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["analyze", "--no-progress", "--format", "jsonl", repositoryRoot + "/Captures/dcos-cluster.pcap"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(!String(decoding: data, as: UTF8.self).contains("partial"))
    }

    /// A signal while the report is written to a pipe that is full (nobody reads it yet): the
    /// writing stops at the next flush and the status is 130.
    @Test func signalWhileWritingStopsTheWriting() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/short.pcap"
        try repeatedCapture(capture, times: 500)
        let pipe = Pipe()
        let run = try start(["analyze", "--no-progress", "--format", "jsonl", capture], stdout: pipe)
        defer { try? FileManager.default.removeItem(at: run.errURL) }
        try pipe.fileHandleForWriting.close()
        // The pipe full: the report is being written (reading is over).
        let fd = pipe.fileHandleForReading.fileDescriptor
        var queued: Int32 = 0
        for _ in 0..<6000 where queued < 65_536 {
            _ = ioctl(fd, UInt(FIONREAD), &queued)
            if queued < 65_536 { usleep(10_000) }
        }
        #expect(queued >= 65_536, "the report never filled the pipe")
        kill(run.process.processIdentifier, SIGINT)
        let rest = pipe.fileHandleForReading.readDataToEndOfFile()
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 130, "\(run.err)")
        #expect(run.err.contains("interrupted by SIGINT while writing the report"), "\(run.err)")
        // Stopped: not every flow was written (a whole report of this capture is far larger).
        let whole = try start(["analyze", "--no-progress", "--format", "jsonl", capture, "-o", dir + "/whole.jsonl"])
        whole.process.waitUntilExit()
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/whole.jsonl")[.size] as? Int ?? 0
        #expect(size > 1 << 20 && Int(queued) + rest.count < size / 2, "\(queued) + \(rest.count) of \(size) bytes")
    }
}
