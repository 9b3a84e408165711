// The bytes of one capture file: a read-only private mmap of the file, or (for gzip/zstd input,
// pipes and in-memory tests) a heap buffer this object owns. This file and CaptureReader.swift /
// PcapWriter.swift are the only places in CaptureFile that touch raw memory.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import CZstd

/// The whole content of a capture file, read-only, at a stable address for the object's lifetime.
///
/// Regular files are mapped (`mmap`, `PROT_READ`, `MAP_PRIVATE`) and walked in place; readers tell
/// the kernel to drop pages behind them (`releasePages(before:)`), so resident memory does not grow
/// with the file. Pipes, sockets, and gzip (1f 8b) or zstd (28 b5 2f fd) input (recognised by its
/// magic) are streamed (`stream`, CaptureStream.swift): `bytes` is empty and the reader reads on
/// through the stream in bounded memory. In-memory content is copied (and decompressed whole, up to
/// `maxDecompressedBytes`). Pointers into `bytes` stay valid while this object lives; do not let
/// them escape it.
///
/// The mapping covers the file's size when it was opened: data appended later is not seen. A
/// file truncated by another process while it is mapped would make reads past its new end fault
/// (SIGBUS): readers check `sizeIfShrunk(below:)` before each window they walk.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init (a stream is read by the one
    // reader that owns it: streamed files are never cut into byte ranges); the memory is never
    // written after init, and madvise(MADV_DONTNEED) on a read-only file mapping only drops clean pages, which
    // fault back in with the same contents, so concurrent readers are safe.

    /// Default cap on in-memory input decompressed whole, and on size-less files read into memory.
    public static let defaultMaxDecompressedBytes = 2 << 30

    /// Path as given ("<stdin>" for "-", or the name given to an in-memory file); used in errors.
    public let path: String
    /// The file's (decompressed) content.
    public let bytes: UnsafeRawBufferPointer
    /// Compression found on the input.
    public let compression: CaptureCompression
    /// True when `bytes` is a file mapping (pages can be released behind a reader).
    public let isMapped: Bool

    /// Streamed input (a pipe, gzip or zstd): the reader reads on through it; `bytes` is empty.
    public let stream: CaptureStream?
    /// Compressed in-memory input decompressed whole: the memory `bytes` points into.
    private let backing: CaptureStream?
    private let mapBase: UnsafeMutableRawPointer?   // munmap in deinit when isMapped
    private let heapBase: UnsafeMutableRawPointer?  // free in deinit otherwise
    private let mapLength: Int
    /// The mapped file's device and inode (0 when not mapped), to tell it from a file that
    /// replaced it under the same name.
    private let device: UInt64
    private let inode: UInt64
    /// `path` as a C string, made once: the window checks call stat(2) without allocating.
    private let cPath: [CChar]

    public var count: Int { bytes.count }

    /// Maps the file at `path`; "-" is standard input (mapped when it is a regular file). A pipe,
    /// a socket, and gzip or zstd input (from a path or standard input) are streamed instead
    /// (`stream`): read in bounded memory as the reader walks them. Named "<stdin>" in errors.
    public init(path given: String, maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        let isStandardInput = given == "-"
        let path = isStandardInput ? "<stdin>" : given
        self.path = path
        let fd = isStandardInput ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.cError(path, "cannot open the file") }
        var keepDescriptor = false
        defer { if !isStandardInput && !keepDescriptor { close(fd) } }
        var st = stat()
        if fstat(fd, &st) != 0 { throw Self.cError(path, "cannot stat the file") }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR {
            throw CaptureFileError(path: path, offset: nil, reason: .cannotOpen, detail: "is a directory, expected a capture file")
        }
        var raw: (map: UnsafeMutableRawPointer?, heap: UnsafeMutableRawPointer?, count: Int) = (nil, nil, 0)
        var streamFrom: Int32 = -1
        if kind == S_IFREG {
            let size = Int(st.st_size)
            if size == 0 {
                // Empty, or a file that reports no size (procfs): read whatever read() returns.
                let (heap, n) = try Self.readAll(fd: fd, path: path, limit: maxDecompressedBytes)
                raw = (nil, heap, n)
            } else if let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED {
                if Self.sniffCompression(UnsafeRawBufferPointer(start: p, count: size)) != .none {
                    // Compressed: streamed through the decompressor from the start of the file.
                    munmap(p, size)
                    streamFrom = isStandardInput ? dup(fd) : fd
                    if streamFrom < 0 || lseek(streamFrom, 0, SEEK_SET) < 0 {
                        throw Self.cError(path, "cannot read the file from its start")
                    }
                    keepDescriptor = true
                } else {
                    _ = madvise(p, size, MADV_SEQUENTIAL)  // advice only; failure is harmless
                    raw = (p, nil, size)
                }
            } else {
                // A file system without mmap support: streamed with read(2).
                streamFrom = isStandardInput ? dup(fd) : fd
                if streamFrom < 0 || lseek(streamFrom, 0, SEEK_SET) < 0 {
                    throw Self.cError(path, "cannot read the file from its start")
                }
                keepDescriptor = true
            }
        } else {
            // A pipe, socket or device: streamed. Standard input stays open (not ours to close).
            streamFrom = fd
            keepDescriptor = true
        }
        if streamFrom >= 0 {
            let stream = try CaptureStream(fd: streamFrom, owns: streamFrom != 0, path: path)
            self.stream = stream
            self.backing = nil
            self.mapBase = nil
            self.heapBase = nil
            self.mapLength = 0
            self.isMapped = false
            self.device = 0
            self.inode = 0
            self.cPath = []
            self.bytes = UnsafeRawBufferPointer(start: stream.base, count: 0)
            self.compression = stream.compression
            return
        }
        let start = raw.map.map { UnsafeRawPointer($0) } ?? raw.heap.map { UnsafeRawPointer($0) }
        self.stream = nil
        self.backing = nil
        self.mapBase = raw.map
        self.heapBase = raw.heap
        self.mapLength = raw.count
        self.isMapped = raw.map != nil
        self.device = raw.map != nil ? UInt64(st.st_dev) : 0
        self.inode = raw.map != nil ? UInt64(st.st_ino) : 0
        self.cPath = raw.map != nil ? Array(path.utf8CString) : []
        self.bytes = UnsafeRawBufferPointer(start: start, count: raw.count)
        self.compression = .none
    }

    /// An in-memory file holding a copy of `content` (decompressed whole if it is gzip or zstd, up
    /// to `maxDecompressedBytes`); `name` stands for the path in errors. For tests, fuzzing and data
    /// that did not come from a file.
    public convenience init(copying content: UnsafeRawBufferPointer, name: String = "<memory>",
                            maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        self.init(memory: try Self.copyOut(content, name: name, limit: maxDecompressedBytes), name: name)
    }

    /// An in-memory file from a byte array (copied; decompressed if gzip or zstd).
    public convenience init(bytes content: [UInt8], name: String = "<memory>",
                            maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        // A zero-capacity array may have no base address: copy from an empty buffer then.
        let copy = content.withUnsafeBytes { buf in
            Result { () throws(CaptureFileError) in try MappedFile.copyOut(buf, name: name, limit: maxDecompressedBytes) }
        }
        self.init(memory: try copy.get(), name: name)
    }

    /// In-memory content: a heap copy, or compressed input decompressed whole into a stream's memory.
    enum Memory {
        case heap(UnsafeMutableRawPointer, Int)
        case decompressed(CaptureStream)
    }

    private static func copyOut(_ content: UnsafeRawBufferPointer, name: String, limit: Int) throws(CaptureFileError) -> Memory {
        let comp = sniffCompression(content)
        if comp != .none {
            let stream = try CaptureStream(fd: -1, owns: false, path: name, compressed: content)
            try stream.ensure(limit &+ 1)
            guard stream.available <= limit else {
                throw CaptureFileError(path: name, offset: UInt64(stream.consumed), reason: .decompression,
                                       detail: "\(comp) data decompresses to more than the limit of \(limit) bytes; decompress the file first, then it is read mapped")
            }
            return .decompressed(stream)
        }
        let heap = malloc(max(content.count, 1))!
        if let src = content.baseAddress, content.count > 0 { heap.copyMemory(from: src, byteCount: content.count) }
        return .heap(heap, content.count)
    }

    private init(memory: Memory, name: String) {
        self.path = name
        self.stream = nil
        self.mapBase = nil
        self.mapLength = 0
        self.isMapped = false
        self.device = 0
        self.inode = 0
        self.cPath = []
        switch memory {
        case .heap(let heap, let count):
            self.backing = nil
            self.heapBase = heap
            self.bytes = UnsafeRawBufferPointer(start: heap, count: count)
            self.compression = .none
        case .decompressed(let stream):
            self.backing = stream
            self.heapBase = nil
            self.bytes = UnsafeRawBufferPointer(start: stream.base, count: stream.available)
            self.compression = stream.compression
        }
    }

    deinit {
        if let mapBase { munmap(mapBase, mapLength) }
        if let heapBase { free(heapBase) }
    }

    /// Tells the kernel the pages before `offset` will not be read again soon (MADV_DONTNEED), so
    /// they leave this process's resident set. Clean file pages fault back in unchanged if they
    /// are touched again, so pointers handed out earlier stay valid. No effect on heap buffers.
    public func releasePages(before offset: Int) {
        releasePages(from: 0, before: offset)
    }

    /// `releasePages(before:)` for the pages of `start..<offset` only (a reader releases what it
    /// walked since its last release; advising the whole prefix again each time walks page
    /// tables that are already empty).
    public func releasePages(from start: Int, before offset: Int) {
        if let stream { stream.release(from: start, before: offset); return }
        guard isMapped, let mapBase else { return }
        Self.dropPages(mapBase, from: start, before: min(offset, mapLength))
    }

    /// MADV_DONTNEED on the whole pages of `base[start..<end]` (a mapping's clean pages fault back
    /// in unchanged; a stream's anonymous pages are freed).
    static func dropPages(_ base: UnsafeMutableRawPointer, from start: Int, before end: Int) {
        let page = pageSize
        let from = max(0, start) / page * page
        let upTo = end / page * page
        if upTo > from { _ = madvise(base + from, upTo - from, MADV_DONTNEED) }
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// For a mapped file that another process has cut below `needed` bytes since it was mapped
    /// (reading the mapping past the new end would fault with SIGBUS): its size now. Nil when it
    /// is long enough, was replaced under its name, or is not a mapping.
    public func sizeIfShrunk(below needed: Int) -> Int? {
        guard isMapped else { return nil }
        var st = stat()
        guard stat(cPath, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else { return nil }
        let size = Int(st.st_size)
        return size < min(needed, mapLength) ? size : nil
    }

    // MARK: - helpers (not per packet)

    static func cError(_ path: String, _ what: String) -> CaptureFileError {
        let code = errno
        let message = String(cString: strerror(code))
        return CaptureFileError(path: path, offset: nil, reason: .cannotOpen, detail: "\(what): \(message) (errno \(code))")
    }

    static func sniffCompression(_ b: UnsafeRawBufferPointer) -> CaptureCompression {
        if b.count >= 2 && b[0] == 0x1f && b[1] == 0x8b { return .gzip }
        if b.count >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd { return .zstd }
        return .none
    }

    /// Reads a non-seekable descriptor to its end into a malloc'd buffer of at most `limit` bytes.
    static func readAll(fd: Int32, path: String, limit: Int) throws(CaptureFileError) -> (UnsafeMutableRawPointer?, Int) {
        var out = OutputBuffer(limit: limit)
        while true {
            guard out.reserve(1 << 16) else {
                out.release()
                throw CaptureFileError(path: path, offset: UInt64(out.count), reason: .cannotOpen,
                                       detail: "input is larger than the in-memory limit of \(limit) bytes")
            }
            let n = read(fd, out.base! + out.count, out.capacity - out.count)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                out.release()
                throw cError(path, "cannot read the input")
            }
            out.count += n
        }
        return (out.base, out.count)
    }

    /// A growing malloc'd buffer bounded by `limit`.
    struct OutputBuffer {
        var base: UnsafeMutableRawPointer?
        var count = 0
        var capacity = 0
        let limit: Int
        init(limit: Int) { self.limit = limit }
        /// Ensures `extra` free bytes (fewer if only fewer fit under the limit); false when full.
        mutating func reserve(_ extra: Int) -> Bool {
            if capacity - count >= extra { return true }
            if capacity >= limit { return capacity > count }  // at the limit: whatever space is left
            let want = min(limit, max(capacity * 2, count + extra, 1 << 20))
            guard let p = realloc(base, want) else { return false }
            base = p
            capacity = want
            return capacity > count
        }
        mutating func release() { free(base); base = nil; count = 0; capacity = 0 }
    }
}
