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
/// with the file. gzip (1f 8b) and zstd (28 b5 2f fd) input is recognised by its magic and
/// decompressed into memory, up to `maxDecompressedBytes`. Pointers into `bytes` stay valid while
/// this object lives; do not let them escape it.
///
/// The mapping covers the file's size when it was opened: data appended later is not seen. A
/// file truncated by another process while it is mapped would make reads past its new end fault
/// (SIGBUS): readers check `sizeIfShrunk(below:)` before each window they walk.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the memory is never written after
    // init, and madvise(MADV_DONTNEED) on a read-only file mapping only drops clean pages, which
    // fault back in with the same contents, so concurrent readers are safe.

    /// Default cap on decompressed gzip/zstd input (and on non-seekable input read into memory).
    public static let defaultMaxDecompressedBytes = 2 << 30

    /// Path as given ("<stdin>" for "-", or the name given to an in-memory file); used in errors.
    public let path: String
    /// The file's (decompressed) content.
    public let bytes: UnsafeRawBufferPointer
    /// Compression found on the input.
    public let compression: CaptureCompression
    /// True when `bytes` is a file mapping (pages can be released behind a reader).
    public let isMapped: Bool

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

    /// Maps (or reads and decompresses) the file at `path`; "-" is standard input (mapped when it
    /// is a regular file, read into memory when it is a pipe), named "<stdin>" in errors.
    public init(path given: String, maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        let isStandardInput = given == "-"
        let path = isStandardInput ? "<stdin>" : given
        self.path = path
        let fd = isStandardInput ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.cError(path, "cannot open the file") }
        defer { if !isStandardInput { close(fd) } }
        var st = stat()
        if fstat(fd, &st) != 0 { throw Self.cError(path, "cannot stat the file") }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR {
            throw CaptureFileError(path: path, offset: nil, reason: .cannotOpen, detail: "is a directory, expected a capture file")
        }
        var raw: (map: UnsafeMutableRawPointer?, heap: UnsafeMutableRawPointer?, count: Int)
        if kind == S_IFREG {
            let size = Int(st.st_size)
            if size == 0 {
                // Empty, or a file that reports no size (procfs): read whatever read() returns.
                let (heap, n) = try Self.readAll(fd: fd, path: path, limit: maxDecompressedBytes)
                raw = (nil, heap, n)
            } else {
                if let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED {
                    _ = madvise(p, size, MADV_SEQUENTIAL)  // advice only; failure is harmless
                    raw = (p, nil, size)
                } else if size <= maxDecompressedBytes {
                    // A file system without mmap support: read it into memory instead.
                    let (heap, n) = try Self.readAll(fd: fd, path: path, limit: maxDecompressedBytes)
                    raw = (nil, heap, n)
                } else {
                    throw Self.cError(path, "cannot map the file (\(size) bytes) into memory")
                }
            }
        } else {
            // A pipe or device: no mapping possible, read it into memory up to the cap.
            let (heap, n) = try Self.readAll(fd: fd, path: path, limit: maxDecompressedBytes)
            raw = (nil, heap, n)
        }
        let start = raw.map.map { UnsafeRawPointer($0) } ?? raw.heap.map { UnsafeRawPointer($0) }
        let content = UnsafeRawBufferPointer(start: start, count: raw.count)
        let comp = Self.sniffCompression(content)
        if comp == .none {
            self.mapBase = raw.map
            self.heapBase = raw.heap
            self.mapLength = raw.count
            self.isMapped = raw.map != nil
            self.device = raw.map != nil ? UInt64(st.st_dev) : 0
            self.inode = raw.map != nil ? UInt64(st.st_ino) : 0
            self.cPath = raw.map != nil ? Array(path.utf8CString) : []
            self.bytes = content
            self.compression = .none
            return
        }
        // Decompress, then drop the compressed input.
        let result: Result<(UnsafeMutableRawPointer?, Int), CaptureFileError> =
            Result { () throws(CaptureFileError) in try Self.decompress(content, comp, path: path, limit: maxDecompressedBytes) }
        if let m = raw.map { munmap(m, raw.count) }
        if let h = raw.heap { free(h) }
        let (out, n) = try result.get()
        self.mapBase = nil
        self.heapBase = out
        self.mapLength = 0
        self.isMapped = false
        self.device = 0
        self.inode = 0
        self.cPath = []
        self.bytes = UnsafeRawBufferPointer(start: out.map { UnsafeRawPointer($0) }, count: n)
        self.compression = comp
    }

    /// An in-memory file holding a copy of `content` (decompressed if it is gzip or zstd); `name`
    /// stands for the path in errors. For tests, fuzzing and data that did not come from a file.
    public convenience init(copying content: UnsafeRawBufferPointer, name: String = "<memory>",
                            maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        let (heap, n, comp) = try Self.copyOut(content, name: name, limit: maxDecompressedBytes)
        self.init(adopting: heap, count: n, name: name, compression: comp)
    }

    /// An in-memory file from a byte array (copied; decompressed if gzip or zstd).
    public convenience init(bytes content: [UInt8], name: String = "<memory>",
                            maxDecompressedBytes: Int = MappedFile.defaultMaxDecompressedBytes) throws(CaptureFileError) {
        // A zero-capacity array may have no base address: copy from an empty buffer then.
        let copy = content.withUnsafeBytes { buf in
            Result { () throws(CaptureFileError) in try MappedFile.copyOut(buf, name: name, limit: maxDecompressedBytes) }
        }
        let (heap, n, comp) = try copy.get()
        self.init(adopting: heap, count: n, name: name, compression: comp)
    }

    private init(adopting heap: UnsafeMutableRawPointer?, count: Int, name: String, compression: CaptureCompression) {
        self.path = name
        self.mapBase = nil
        self.mapLength = 0
        self.isMapped = false
        self.device = 0
        self.inode = 0
        self.cPath = []
        self.heapBase = heap
        self.bytes = UnsafeRawBufferPointer(start: heap.map { UnsafeRawPointer($0) }, count: count)
        self.compression = compression
    }

    private static func copyOut(_ content: UnsafeRawBufferPointer, name: String, limit: Int)
        throws(CaptureFileError) -> (UnsafeMutableRawPointer?, Int, CaptureCompression) {
        let comp = sniffCompression(content)
        if comp != .none {
            let (out, n) = try decompress(content, comp, path: name, limit: limit)
            return (out, n, comp)
        }
        let heap = malloc(max(content.count, 1))!
        if let src = content.baseAddress, content.count > 0 { heap.copyMemory(from: src, byteCount: content.count) }
        return (heap, content.count, .none)
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
        guard isMapped, let mapBase else { return }
        let page = Self.pageSize
        let from = max(0, start) / page * page
        let upTo = min(offset, mapLength) / page * page
        if upTo > from { _ = madvise(mapBase + from, upTo - from, MADV_DONTNEED) }
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

    static func decompress(_ input: UnsafeRawBufferPointer, _ kind: CaptureCompression, path: String,
                           limit: Int) throws(CaptureFileError) -> (UnsafeMutableRawPointer?, Int) {
        switch kind {
        case .gzip: return try gunzip(input, path: path, limit: limit)
        case .zstd: return try unzstd(input, path: path, limit: limit)
        case .none: return (nil, 0)
        }
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

    static func gunzip(_ input: UnsafeRawBufferPointer, path: String, limit: Int) throws(CaptureFileError) -> (UnsafeMutableRawPointer?, Int) {
        var out = OutputBuffer(limit: limit)
        var stream = z_stream()
        // 15 + 32: maximum window, accept a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CaptureFileError(path: path, offset: 0, reason: .decompression, detail: "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0  // input bytes handed to zlib and used
        let base = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        while true {
            if !out.reserve(1 << 20) {
                out.release()
                throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                       detail: "gzip data decompresses to more than the limit of \(limit) bytes; decompress the file first, then it is read mapped")
            }
            let inChunk = min(input.count - consumed, 1 << 30)  // avail_in is 32 bits
            stream.next_in = base + consumed
            stream.avail_in = UInt32(inChunk)
            let outChunk = min(out.capacity - out.count, 1 << 30)
            stream.next_out = (out.base! + out.count).assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(outChunk)
            let rc = inflate(&stream, Z_NO_FLUSH)
            let usedIn = inChunk - Int(stream.avail_in)
            let produced = outChunk - Int(stream.avail_out)
            consumed += usedIn
            out.count += produced
            if rc == Z_STREAM_END {
                // Concatenated gzip members continue; anything else after the end is ignored, as gzip does.
                if input.count - consumed >= 2 && input[consumed] == 0x1f && input[consumed + 1] == 0x8b {
                    inflateReset(&stream)
                    continue
                }
                break
            }
            if rc == Z_OK { continue }
            if rc == Z_BUF_ERROR && usedIn == 0 && produced == 0 {
                if consumed == input.count {
                    out.release()
                    throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                           detail: "gzip data ends before the end of its compressed stream")
                }
                continue  // output space ran out; reserve grows it
            }
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
            out.release()
            throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                   detail: "gzip data is corrupt (\(message))")
        }
        return (out.base, out.count)
    }

    static func unzstd(_ input: UnsafeRawBufferPointer, path: String, limit: Int) throws(CaptureFileError) -> (UnsafeMutableRawPointer?, Int) {
        var out = OutputBuffer(limit: limit)
        guard let ctx = ZSTD_createDCtx() else {
            throw CaptureFileError(path: path, offset: 0, reason: .decompression, detail: "cannot initialise zstd")
        }
        defer { ZSTD_freeDCtx(ctx) }
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var last = 0
        while true {
            if !out.reserve(1 << 20) {
                out.release()
                throw CaptureFileError(path: path, offset: UInt64(inBuf.pos), reason: .decompression,
                                       detail: "zstd data decompresses to more than the limit of \(limit) bytes; decompress the file first, then it is read mapped")
            }
            var outBuf = ZSTD_outBuffer(dst: out.base! + out.count, size: out.capacity - out.count, pos: 0)
            last = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
            out.count += outBuf.pos
            if ZSTD_isError(last) != 0 {
                let message = String(cString: ZSTD_getErrorName(last))
                out.release()
                throw CaptureFileError(path: path, offset: UInt64(inBuf.pos), reason: .decompression,
                                       detail: "zstd data is corrupt (\(message))")
            }
            if inBuf.pos == inBuf.size && outBuf.pos < outBuf.size {
                // All input used and zstd did not fill the output: done, or cut short mid-frame.
                if last != 0 {
                    out.release()
                    throw CaptureFileError(path: path, offset: UInt64(inBuf.pos), reason: .decompression,
                                           detail: "zstd data ends before the end of its frame")
                }
                break
            }
        }
        return (out.base, out.count)
    }
}
