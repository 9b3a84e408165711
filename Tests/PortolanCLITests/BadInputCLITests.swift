import Foundation
import Testing
import TestSupport

// Issue 14: bad catalogs and inventories through the command line (nested YAML, role limits,
// scale), each an exit status 2 with a file:line:column message and never a crash.

struct Captured {
    var status: Int32
    var out: String
    var err: String
}

/// Runs portolan with standard output and error to files (read back as bytes, lossily decoded).
func portolanCapture(_ args: [String]) throws -> Captured {
    let r = try portolanRun(args, stdin: nil)
    return Captured(status: r.status, out: r.text, err: r.err)
}

/// The one process runner of the CLI tests: standard input from `stdin` (a path; /dev/null when
/// nil), standard output and error to temporary files read back after exit (a pipe could fill
/// and block a process that writes more than the pipe holds before anyone reads it).
func portolanRun(_ args: [String], stdin: String?) throws -> IORun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: portolanBinary)
    p.arguments = args
    let dir = FileManager.default.temporaryDirectory
    let tag = UInt64.random(in: 0...UInt64.max)
    let outURL = dir.appendingPathComponent("portolan-run-\(tag).out")
    let errURL = dir.appendingPathComponent("portolan-run-\(tag).err")
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

func scratchDirectory() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-bi-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary), "build portolan first (swift build)"))
struct BadInputCLITests {
    @Test func deeplyNestedYAMLIsAPositionedErrorEverywhere() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let deep = dir + "/deep.yaml"
        try (String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n")
            .write(toFile: deep, atomically: false, encoding: .utf8)
        let blocked = repositoryRoot + "/Captures/blocked.pcap"
        for args in [["catalog", "validate", deep], ["analyze", "--no-progress", "--catalog", deep, blocked],
                     ["analyze", "--no-progress", "--inventory", deep, blocked], ["catalog", "hosts", "--inventory", deep],
                     ["catalog", "list", "--catalog", deep]] {
            let r = try portolanCapture(args)
            #expect(r.status == 2, "\(args): status \(r.status)")
            #expect(r.err.contains("\(deep):1:") && r.err.contains("nested deeper"), "\(args): \(r.err.prefix(300))")
        }
    }
}
