import CStop

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why output could not be written: the path (or "-" for a descriptor) and errno's text.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "cannot write \(path): \(message)" }
}

/// The one writer of what a user reads: buffered writes to a file descriptor (standard output, a
/// -o file, standard error), in large chunks. A failed write is kept (`error`) and stops further
/// writes; `flush()` and `close()` report it.
public struct OutputFile: TextOutputStream {
    public let fd: Int32
    let owned: Bool
    let path: String
    /// Bytes not yet written (public so that line formatters can append to it without a String).
    public var buffer: [UInt8] = []
    public private(set) var error: OutputError?
    @usableFromInline static let chunk = 1 << 16

    /// A -o file's own name until `close()` renames it onto `renameTarget` (`path`, or the file
    /// a symlink at `path` names).
    let temporaryPath: String?
    var renameTarget: String = ""

    /// `analyze`: a signal beyond this many (Sources/CStop counts them) stops the writing; the
    /// write then fails ("interrupted by SIGINT"), and `close()` removes a -o file's temporary
    /// file, so the target is never a truncated report. Nil: signals are not looked at.
    public var stopAfterSignals: Int32? = nil

    public init(fd: Int32) {
        self.fd = fd
        owned = false
        temporaryPath = nil
        path = fd == 1 ? "standard output" : fd == 2 ? "standard error" : "descriptor \(fd)"
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    /// A report to `path`: written to a new file in the same folder and renamed onto `path` by
    /// `close()`, so that the target never holds a partial report. Refused when `path` is one of
    /// `inputs` (the same device and inode, whatever the names).
    public init(path: String, inputs: [String] = []) throws(OutputError) {
        for input in inputs where Self.sameFile(path, input) {
            throw OutputError(path: path, message: "it is the input file \(input); choose another output")
        }
        var st = stat()
        let exists = stat(path, &st) == 0
        if exists && (st.st_mode & S_IFMT) != S_IFREG {
            // A device, pipe or socket (/dev/null, /dev/stdout, a FIFO): written in place, never
            // replaced by a renamed file.
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw OutputError(path: path, message: String(cString: strerror(errno))) }
            self.fd = fd
            owned = true
            temporaryPath = nil
            self.path = path
            buffer.reserveCapacity(Self.chunk + 4096)
            return
        }
        // A symlink to a file: the file it names is replaced, the link stays.
        let target = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { String(target[...$0]) } ?? ""
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var fd: Int32 = -1
        var temporary = ""
        for attempt in 0..<100 {
            temporary = "\(folder).\(name).portolan-\(getpid())-\(attempt)"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw OutputError(path: path, message: String(cString: strerror(errno))) }
        if exists { _ = fchmod(fd, st.st_mode & 0o7777) }  // the report replaces the file with its permissions
        self.fd = fd
        owned = true
        temporaryPath = temporary
        self.path = path
        renameTarget = target
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    /// True when both paths name the same existing file (device and inode).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    public static var standardOutput: OutputFile { OutputFile(fd: STDOUT_FILENO) }
    public static var standardError: OutputFile { OutputFile(fd: STDERR_FILENO) }

    /// Bytes already encoded (the report writers' buffers): one copy, no String.
    mutating func write(utf8 bytes: UnsafeRawBufferPointer) {
        if buffer.isEmpty && bytes.count >= Self.chunk {
            // A writer's whole 64 KiB block: written from its own buffer, not copied into ours
            // first (the copy was ≈ 1,000 instructions per JSON Lines flow).
            try? writeOut(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        flushIfFull()
    }

    public mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { buffer.append(contentsOf: $0) }
        flushIfFull()
    }

    @inlinable public mutating func flushIfFull() {
        if buffer.count >= Self.chunk { try? flush() }
    }

    /// Writes out the buffer; throws the first failure (then and on every later flush).
    public mutating func flush() throws(OutputError) {
        stopIfSignalled()
        if error == nil {
            let (fd, path) = (self.fd, self.path)
            error = buffer.withUnsafeBytes { OutputFile.writeAll(fd, path, $0) }
        }
        buffer.removeAll(keepingCapacity: true)
        if let error { throw error }
    }

    /// Writes `buffer`, then `bytes` straight from the caller's memory (decode's block of lines,
    /// not copied into `buffer` first); throws the first failure, as `flush()` does.
    public mutating func flush(then bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try flush()
        try writeOut(bytes)
    }

    /// Writes `bytes` (the buffer is empty); throws the first failure (then and on every later
    /// write).
    mutating func writeOut(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        stopIfSignalled()
        if error == nil { error = OutputFile.writeAll(fd, path, bytes) }
        if let error { throw error }
    }

    mutating func stopIfSignalled() {
        if error == nil, let limit = stopAfterSignals, portolan_stop_signals() > limit {
            error = OutputError(path: path, message: "interrupted by \(signalName(portolan_stop_last()))")
        }
    }

    /// Every byte of `bytes` to `fd`, or the failure.
    static func writeAll(_ fd: Int32, _ path: String, _ bytes: UnsafeRawBufferPointer) -> OutputError? {
        var off = 0
        while off < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + off, bytes.count - off)  // off < count: a base address
            if n < 0 {
                if errno == EINTR { continue }
                return OutputError(path: path, message: String(cString: strerror(errno)))
            }
            off += n
        }
        return nil
    }

    /// Flushes and closes (when opened here). A -o file is renamed onto its target only when
    /// every byte was written; otherwise the temporary file is removed.
    public mutating func close() throws(OutputError) {
        do { try flush() } catch {}
        if owned && systemClose(fd) != 0 && error == nil {
            error = OutputError(path: path, message: String(cString: strerror(errno)))
        }
        if let temporaryPath {
            if error == nil && rename(temporaryPath, renameTarget) != 0 {
                error = OutputError(path: path, message: String(cString: strerror(errno)))
            }
            if error != nil { unlink(temporaryPath) }
        }
        if let error { throw error }
    }

    /// One line on standard error, written at once (messages, warnings), through `Sanitize.text`
    /// (file names and names from catalogs reach errors); `keepingLineBreaks` for a message whose
    /// own text has several lines.
    @discardableResult
    public static func printError(_ line: String, keepingLineBreaks: Bool = false) -> Bool {
        var e = OutputFile.standardError
        e.write(Sanitize.text(line, keepingLineBreaks: keepingLineBreaks))
        e.buffer.append(0x0A)
        return (try? e.flush()) != nil
    }
}

/// "SIGINT", "SIGTERM", "SIGHUP", else "signal N".
public func signalName(_ signo: Int32) -> String {
    switch signo {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    default: "signal \(signo)"
    }
}

/// write(2) and close(2) under names `OutputFile`'s own methods do not shadow.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
