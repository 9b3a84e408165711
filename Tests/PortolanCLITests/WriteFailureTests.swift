import Foundation
import Testing
import TestSupport

// Issue 14, finding 3: a report that cannot be written is exit status 2 with one message, for
// standard output (a full device, a closed pipe with SIGPIPE ignored) and for -o (written to a
// temporary file and renamed, never left partial at the target, never onto an input).

private let binary = portolanBinary
private let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)
private func capture(_ name: String) -> String { repositoryRoot + "/Captures/" + name }

struct ShellRun {
    var status: Int32
    var err: String
}

/// Runs portolan through /bin/sh so that `prelude` can set signal dispositions and limits first;
/// standard output goes to `stdout` (a path, e.g. /dev/full), or to a pipe whose reading end is
/// closed when `stdout` is nil.
func portolanShell(_ args: [String], prelude: String = "", stdout: String?) throws -> ShellRun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", prelude + "; exec \"$0\" \"$@\"", binary] + args
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-wf-\(UInt64.random(in: 0...UInt64.max)).err")
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    p.standardError = try FileHandle(forWritingTo: errURL)
    var pipe: Pipe?
    if let stdout {
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
    } else {
        let pp = Pipe()
        try pp.fileHandleForReading.close()  // every write gets EPIPE
        p.standardOutput = pp
        pipe = pp
    }
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    try p.run()
    try pipe?.fileHandleForWriting.close()
    p.waitUntilExit()
    return ShellRun(status: p.terminationStatus, err: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

private func tempDir() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-wf-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct WriteFailureTests {
    static let commands: [[String]] = {
        var c: [[String]] = []
        for f in ["table", "json", "jsonl", "csv"] {
            c.append(["analyze", "--no-progress", "--format", f, capture("dcos-cluster.pcap")])
        }
        c.append(["decode", capture("dcos-cluster.pcap")])
        c.append(["catalog", "list"])
        c.append(["catalog", "export", "dcos-1.8"])
        c.append(["catalog", "lookup", "tcp/5050"])
        c.append(["catalog", "validate", capture("dcos-cluster.inventory.yaml")])
        c.append(["catalog", "hosts", "--inventory", capture("dcos-cluster.inventory.yaml")])
        return c
    }()

    @Test(arguments: commands)
    func fullDeviceIsExitTwoWithOneMessage(_ args: [String]) throws {
        let r = try portolanShell(args, prelude: ":", stdout: "/dev/full")
        #expect(r.status == 2, "\(args): status \(r.status), stderr \(r.err)")
        let lines = r.err.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("cannot write standard output"), "\(args): \(r.err)")
    }

    @Test(arguments: commands)
    func closedPipeWithSIGPIPEIgnoredIsExitTwo(_ args: [String]) throws {
        let r = try portolanShell(args, prelude: "trap '' PIPE", stdout: nil)
        #expect(r.status == 2, "\(args): status \(r.status), stderr \(r.err)")
        #expect(r.err.contains("cannot write standard output"), "\(args): \(r.err)")
    }

    @Test func outputFileThatCannotBeWrittenLeavesNothing() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/report.jsonl"
        // A file-size limit makes the write fail part-way (EFBIG once SIGXFSZ is ignored).
        let r = try portolanShell(["analyze", "--no-progress", "--format", "jsonl", capture("dcos-cluster.pcap"), "-o", target],
                                  prelude: "trap '' XFSZ; ulimit -f 1", stdout: "/dev/null")
        #expect(r.status == 2, "status \(r.status), stderr \(r.err)")
        #expect(r.err.contains("cannot write \(target)"), "\(r.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "left behind in \(dir)")
    }

    @Test func outputFileIsRenamedWhole() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/report.json"
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        let r = try portolanShell(["analyze", "--no-progress", "--format", "json", capture("dcos-cluster.pcap"), "-o", target],
                                  prelude: ":", stdout: "/dev/null")
        #expect(r.status == 0, "\(r.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.json"])
        let text = try String(contentsOfFile: target, encoding: .utf8)
        #expect(text.hasPrefix("{") && text.hasSuffix("}\n"))
    }

    @Test func outputToADeviceOrThroughASymlinkKeepsWhatIsThere() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try portolanShell(["analyze", "--no-progress", capture("blocked.pcap"), "-o", "/dev/null"], prelude: ":", stdout: "/dev/null")
        #expect(r.status == 0, "\(r.err)")
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR, "/dev/null is no longer a device")
        let real = dir + "/real.json"
        try "old".write(toFile: real, atomically: false, encoding: .utf8)
        #expect(chmod(real, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.json", withDestinationPath: real)
        let s = try portolanShell(["analyze", "--no-progress", "--format", "json", capture("blocked.pcap"), "-o", dir + "/link.json"],
                                  prelude: ":", stdout: "/dev/null")
        #expect(s.status == 0, "\(s.err)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.json") == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8).hasPrefix("{"))
        #expect(stat(real, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.json", "real.json"])
    }

    @Test func outputOntoAnInputIsRefused() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.pcap"
        try FileManager.default.copyItem(atPath: capture("blocked.pcap"), toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.pcap", withDestinationPath: input)
        try FileManager.default.linkItem(atPath: input, toPath: dir + "/hard.pcap")
        for target in [input, dir + "/alias.pcap", dir + "/hard.pcap", dir + "/./in.pcap"] {
            let r = try portolanShell(["analyze", "--no-progress", input, "-o", target], prelude: ":", stdout: "/dev/null")
            #expect(r.status == 2, "\(target): status \(r.status)")
            #expect(r.err.contains("input file"), "\(target): \(r.err)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["alias.pcap", "hard.pcap", "in.pcap"])
    }
}
