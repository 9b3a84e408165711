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

    public init(fd: Int32) {
        self.fd = fd
        owned = false
        path = fd == 1 ? "standard output" : fd == 2 ? "standard error" : "descriptor \(fd)"
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    /// Creates or truncates `path`.
    public init(path: String) throws(OutputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError(path: path, message: String(cString: strerror(errno))) }
        self.fd = fd
        owned = true
        self.path = path
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    public static var standardOutput: OutputFile { OutputFile(fd: STDOUT_FILENO) }
    public static var standardError: OutputFile { OutputFile(fd: STDERR_FILENO) }

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
        var off = 0
        while off < buffer.count && error == nil {
            let n = buffer.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                error = OutputError(path: path, message: String(cString: strerror(errno)))
            } else {
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if let error { throw error }
    }

    /// Flushes and closes (when opened here).
    public mutating func close() throws(OutputError) {
        try flush()
        if owned && systemClose(fd) != 0 && error == nil {
            error = OutputError(path: path, message: String(cString: strerror(errno)))
        }
        if let error { throw error }
    }

    /// One line on standard error, written at once (messages, warnings).
    @discardableResult
    public static func printError(_ line: String) -> Bool {
        var e = OutputFile.standardError
        e.write(line)
        e.buffer.append(0x0A)
        return (try? e.flush()) != nil
    }
}

/// write(2) and close(2) under names `OutputFile`'s own methods do not shadow.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
