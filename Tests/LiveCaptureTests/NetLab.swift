// Test harness: network namespaces made for one test (unique names, removed even when the test
// fails), processes started inside them, and the built `portolan` binary.
//
// SAFETY: every address used lives on interfaces inside namespaces made here (veth pairs between
// them, or their own loopback). The namespaces get no default route and no link to the host,
// so nothing a test sends can leave them.
import Foundation
import Testing
import TestSupport

/// The repository root, as a URL.
let repoRoot = URL(fileURLWithPath: repositoryRoot)

/// Runs as root, `ip netns` works, and the binary was built: the end-to-end tests can run.
let canRunLab: Bool = {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: portolanBinary) else { return false }
    guard let r = try? runTool(["ip", "netns", "list"], timeout: 10), r.status == 0 else { return false }
    NetLab.removeStale()
    return true
}()

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Resolves a program name through PATH (plus the sbin folders root's PATH may lack).
func which(_ name: String) -> String? {
    if name.hasPrefix("/") { return name }
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin:/usr/local/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// A started process whose output goes to temporary files (so a full pipe never blocks it).
final class Spawned: @unchecked Sendable {
    let process = Process()
    let outURL: URL
    let errURL: URL
    let arguments: [String]

    init(_ arguments: [String], stdin: String? = nil) throws {
        self.arguments = arguments
        // In this run's folder, which a later run removes if anything is left behind.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-test-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tag = UUID().uuidString
        outURL = dir.appendingPathComponent("\(tag).out")
        errURL = dir.appendingPathComponent("\(tag).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        guard let exe = which(arguments[0]) else { throw LabError("\(arguments[0]) not found") }
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(stdin.data(using: .utf8)!)
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds for the process to exit; kills it (and fails) if it does not.
    @discardableResult
    func wait(timeout: Double, sourceLocation: SourceLocation = #_sourceLocation) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("\(arguments.joined(separator: " ")) still running after \(timeout) s", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Waits until standard error contains `text` (e.g. portolan's "listening on").
    func waitForStderr(_ text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    func signal(_ signo: Int32) { kill(pid, signo) }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs a tool to completion (bounded by `timeout`).
@discardableResult
func runTool(_ arguments: [String], timeout: Double = 30, stdin: String? = nil) throws -> ToolResult {
    let p = try Spawned(arguments, stdin: stdin)
    let status = p.wait(timeout: timeout) ?? -1
    return ToolResult(status: status, stdout: p.stdout, stderr: p.stderr)
}

/// Network namespaces (and what runs in them) for one test; all removed on deinit.
final class NetLab: @unchecked Sendable {
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()
    static let prefix = "portolan-t"

    /// "portolan-t<pid>-<n>": unique per test run and per lab.
    let id: String
    private(set) var namespaces: [String] = []
    private var processes: [Spawned] = []

    init() {
        NetLab.lock.lock()
        NetLab.counter += 1
        let n = NetLab.counter
        NetLab.lock.unlock()
        id = "\(NetLab.prefix)\(getpid())-\(n)"
    }

    /// Makes namespace "<id>-<name>" with its loopback up.
    @discardableResult
    func namespace(_ name: String) throws -> String {
        let ns = "\(id)-\(name)"
        try sh(["ip", "netns", "add", ns])
        namespaces.append(ns)
        try sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        return ns
    }

    /// A veth pair: `ifA` with `addrA` (CIDR) in `nsA`, `ifB` with `addrB` in `nsB`, both up.
    func link(_ nsA: String, _ ifA: String, _ addrA: String, _ nsB: String, _ ifB: String, _ addrB: String) throws {
        try sh(["ip", "-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB])
        try sh(["ip", "-n", nsA, "addr", "add", addrA, "dev", ifA])
        try sh(["ip", "-n", nsB, "addr", "add", addrB, "dev", ifB])
        // No DAD: IPv6 addresses are usable at once.
        try sh(["ip", "-n", nsA, "link", "set", ifA, "up"])
        try sh(["ip", "-n", nsB, "link", "set", ifB, "up"])
    }

    /// Runs a command inside `ns` to completion; throws when it fails.
    @discardableResult
    func sh(_ arguments: [String], timeout: Double = 30) throws -> ToolResult {
        let r = try runTool(arguments, timeout: timeout)
        if r.status != 0 { throw LabError("\(arguments.joined(separator: " ")) exited \(r.status): \(r.stderr)") }
        return r
    }

    @discardableResult
    func exec(_ ns: String, _ arguments: [String], timeout: Double = 30, stdin: String? = nil) throws -> ToolResult {
        try runTool(["ip", "netns", "exec", ns] + arguments, timeout: timeout, stdin: stdin)
    }

    /// Starts a process inside `ns`; it is killed when the lab goes away.
    func spawn(_ ns: String, _ arguments: [String], stdin: String? = nil) throws -> Spawned {
        let p = try Spawned(["ip", "netns", "exec", ns] + arguments, stdin: stdin)
        processes.append(p)
        return p
    }

    /// Starts `portolan ARGS` inside `ns` and waits until it is capturing.
    func portolan(_ ns: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Spawned {
        let p = try spawn(ns, [portolanBinary] + arguments)
        if !p.waitForStderr("listening on", timeout: 20) {
            Issue.record("portolan did not start: \(p.stderr)", sourceLocation: sourceLocation)
        }
        return p
    }

    deinit {
        for p in processes { p.stop() }
        for ns in namespaces { NetLab.delete(ns) }
    }

    /// Kills whatever still runs in `ns`, then deletes it.
    static func delete(_ ns: String) {
        if let r = try? runTool(["ip", "netns", "pids", ns], timeout: 10) {
            for pid in r.stdout.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? runTool(["ip", "netns", "del", ns], timeout: 10)
    }

    /// Deletes namespaces and temporary folders (compiled helpers, binary copies) left behind by
    /// test runs whose process is gone (a crash, a kill -9, or simply an earlier run).
    static func removeStale() {
        let tmp = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] {
            for folder in ["portolan-test-bin-", "portolan-test-"] where name.hasPrefix(folder) {
                guard let pid = Int32(name.dropFirst(folder.count)), pid != getpid() else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: "\(tmp)/\(name)") }
            }
        }
        guard let r = try? runTool(["ip", "netns", "list"], timeout: 10) else { return }
        for line in r.stdout.split(whereSeparator: \.isNewline) {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(prefix) else { continue }
            let pidText = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = Int32(pidText), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { delete(name) }
        }
    }
}

/// Parses portolan's JSON lines (one object per line).
func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

/// Compiles a small C program (the burst sender) into a temporary folder.
func compileC(_ source: String, name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portolan-test-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let src = dir.appendingPathComponent("\(name).c")
    let exe = dir.appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: exe.path) { return exe.path }
    try source.write(to: src, atomically: true, encoding: .utf8)
    guard let cc = ["cc", "clang", "gcc"].lazy.compactMap(which).first else { throw LabError("no C compiler") }
    let r = try runTool([cc, "-O2", "-o", exe.path, src.path], timeout: 60)
    if r.status != 0 { throw LabError("cc failed: \(r.stderr)") }
    return exe.path
}
