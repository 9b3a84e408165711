// Input that cannot be mapped — a pipe, a socket, gzip or zstd — read in bounded memory while the
// reader walks it. The bytes land in one reservation of address space that is never moved, so a
// record that straddles two reads is contiguous and every pointer the reader hands out stays put;
// the reader releases the pages behind it (MADV_DONTNEED frees anonymous memory), so resident
// memory is the read-ahead plus one release stride, whatever the length of the input.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import CZstd

/// The growing content of a streamed input. Not per packet: the reader calls `ensure` only from
/// its slow paths, when the record at hand is not all there yet.
public final class CaptureStream: @unchecked Sendable {
    // @unchecked: one reader owns a stream (a streamed file is never cut into byte ranges); the
    // mutable state is touched only from that reader's slow paths.

    /// Start of the reservation; bytes 0..<available hold the input read so far.
    let base: UnsafeMutableRawPointer
    let capacity: Int
    public private(set) var available = 0
    /// The input ended (or failed: `failure`).
    public private(set) var ended = false
    var failure: CaptureFileError?
    let path: String
    let fd: Int32
    let ownsDescriptor: Bool
    public private(set) var compression: CaptureCompression = .none
    /// Compressed bytes taken from the descriptor so far (decompression errors name this offset).
    var consumed = 0

    // Compressed input: a read buffer and the decompressor's state.
    private var inBuffer: UnsafeMutableRawPointer?
    private var inStart = 0, inEnd = 0
    private var inputEnded = false
    private var zlib: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private var frameOpen = false  // zstd: the last call left a frame unfinished

    /// Bytes read (or decompressed) per read call at most.
    static let chunk = 1 << 20
    static let inputChunk = 1 << 18

    /// Reads the first bytes of `fd` (the descriptor is closed with the stream when `owns`), sniffs
    /// gzip/zstd and reads on through the decompressor when it finds one. `compressed` instead of a
    /// descriptor: that compressed input, copied (in-memory files).
    init(fd: Int32, owns: Bool, path: String,
         compressed: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws(CaptureFileError) {
        self.fd = fd
        self.ownsDescriptor = owns
        self.path = path
        // Address space only (MAP_NORESERVE): pages exist while they hold unread input. The
        // largest reservation the system grants bounds the input's length.
        var got: (UnsafeMutableRawPointer, Int)? = nil
        for shift in [42, 39, 36, 33, 30] {
            let size = 1 << shift
            if let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
               p != MAP_FAILED {
                got = (p, size)
                break
            }
        }
        guard let (p, size) = got else {
            if owns { close(fd) }
            throw MappedFile.cError(path, "cannot reserve address space to stream the input")
        }
        base = p
        capacity = size
        if fd < 0 {
            // In memory: the whole input is the compressed buffer.
            compression = MappedFile.sniffCompression(compressed)
            inBuffer = malloc(max(compressed.count, 1))!
            if let src = compressed.baseAddress { inBuffer!.copyMemory(from: src, byteCount: compressed.count) }
            inEnd = compressed.count
            inputEnded = true
            try startDecompressor()
            return
        }
        // A pipe's default 64 KiB buffer costs a read per 64 KiB and stalls the writer early;
        // ask for 1 MiB (the unprivileged maximum by default). Refused: the default stays.
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO { _ = fcntl(fd, 1031 /* F_SETPIPE_SZ, Linux */, 1 << 20) }
        // Enough to see a magic number: 4 bytes, or the end of the input.
        while available < 4 && !ended { try readRaw(into: base + available, count: Self.chunk) }
        let head = UnsafeRawBufferPointer(start: base, count: available)
        compression = MappedFile.sniffCompression(head)
        if compression != .none {
            // What was read is compressed input: hand it to the decompressor.
            inBuffer = malloc(max(Self.inputChunk, available))!
            inBuffer!.copyMemory(from: base, byteCount: available)
            inEnd = available
            inputEnded = ended
            ended = false
            available = 0
            try startDecompressor()
        }
    }

    deinit {
        munmap(base, capacity)
        if ownsDescriptor && fd >= 0 { close(fd) }
        if let zlib { inflateEnd(zlib); zlib.deallocate() }
        if let zstd { ZSTD_freeDCtx(zstd) }
        free(inBuffer)
    }

    /// Reads until at least `target` bytes are available, or the input ends; throws a read or
    /// decompression error (the bytes read before it stay available). Each read asks for a chunk,
    /// so a caller that needs one more record gets many.
    public func ensure(_ target: Int) throws(CaptureFileError) {
        if let failure { throw failure }
        while available < target && !ended {
            guard available < capacity else {
                fail(CaptureFileError(path: path, offset: UInt64(available), reason: .cannotOpen,
                                      detail: "the input is longer than the \(capacity >> 30) GiB of address space reserved to stream it; give it as a file path instead"))
                throw failure!
            }
            let room = min(capacity - available, Self.chunk)
            do {
                if compression == .none {
                    try readRaw(into: base + available, count: room)
                } else {
                    try decompress(room)
                }
            } catch {
                fail(error)
                throw error
            }
        }
    }

    private func fail(_ error: CaptureFileError) {
        failure = error
        ended = true
    }

    /// Gives the pages of `start..<end` back to the system (they hold input already walked).
    func release(from start: Int, before end: Int) {
        MappedFile.dropPages(base, from: start, before: min(end, available))
    }

    /// One read(2) into `to` (at most `count` bytes); sets `ended` at the end of the input.
    private func readRaw(into to: UnsafeMutableRawPointer, count: Int) throws(CaptureFileError) {
        let n = try readSome(into: to, count: count)
        if n > 0 { available += n } else { ended = true }
    }

    /// read(2) once, again after EINTR; 0 at the end of the input.
    private func readSome(into to: UnsafeMutableRawPointer, count: Int) throws(CaptureFileError) -> Int {
        while true {
            let n = read(fd, to, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw MappedFile.cError(path, "cannot read the input")
        }
    }

    // MARK: - compressed input

    private func startDecompressor() throws(CaptureFileError) {
        switch compression {
        case .gzip:
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // 15 + 32: maximum window, accept a gzip or zlib header.
            guard inflateInit2_(z, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                throw CaptureFileError(path: path, offset: 0, reason: .decompression, detail: "cannot initialise zlib")
            }
            zlib = z
        case .zstd:
            guard let ctx = ZSTD_createDCtx() else {
                throw CaptureFileError(path: path, offset: 0, reason: .decompression, detail: "cannot initialise zstd")
            }
            zstd = ctx
        case .none:
            break
        }
    }

    /// Refills the compressed input buffer when it is empty; false at the end of the input.
    private func moreInput() throws(CaptureFileError) -> Bool {
        if inStart < inEnd { return true }
        if inputEnded { return false }
        inStart = 0
        inEnd = try readSome(into: inBuffer!, count: Self.inputChunk)
        if inEnd == 0 { inputEnded = true }
        return inEnd > 0
    }

    /// Decompresses up to `room` bytes at `available`; sets `ended` at the end of the data.
    private func decompress(_ room: Int) throws(CaptureFileError) {
        let before = available
        while available == before && !ended {
            let haveInput = try moreInput()
            if compression == .gzip {
                try inflateStep(room: room, haveInput: haveInput)
            } else {
                try zstdStep(room: room, haveInput: haveInput)
            }
        }
    }

    private func inflateStep(room: Int, haveInput: Bool) throws(CaptureFileError) {
        guard let z = zlib else { return }
        if !haveInput {
            throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                   detail: "gzip data ends before the end of its compressed stream")
        }
        let inCount = inEnd - inStart
        z.pointee.next_in = (inBuffer! + inStart).assumingMemoryBound(to: UInt8.self)
        z.pointee.avail_in = UInt32(inCount)
        z.pointee.next_out = (base + available).assumingMemoryBound(to: UInt8.self)
        z.pointee.avail_out = UInt32(room)
        let rc = inflate(z, Z_NO_FLUSH)
        let used = inCount - Int(z.pointee.avail_in)
        inStart += used
        consumed += used
        available += room - Int(z.pointee.avail_out)
        switch rc {
        case Z_STREAM_END:
            // Concatenated gzip members continue; anything else after the end is ignored, as gzip does.
            if try moreInput(), inEnd - inStart >= 1, inBuffer!.load(fromByteOffset: inStart, as: UInt8.self) == 0x1f {
                inflateReset(z)
            } else {
                ended = true
            }
        case Z_OK, Z_BUF_ERROR:
            break  // more input or more room next time
        default:
            let message = z.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
            throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                   detail: "gzip data is corrupt (\(message))")
        }
    }

    private func zstdStep(room: Int, haveInput: Bool) throws(CaptureFileError) {
        guard let ctx = zstd else { return }
        if !haveInput {
            if frameOpen {
                throw CaptureFileError(path: path, offset: UInt64(consumed), reason: .decompression,
                                       detail: "zstd data ends before the end of its frame")
            }
            ended = true
            return
        }
        var inBuf = ZSTD_inBuffer(src: inBuffer! + inStart, size: inEnd - inStart, pos: 0)
        var outBuf = ZSTD_outBuffer(dst: base + available, size: room, pos: 0)
        let rc = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
        if ZSTD_isError(rc) != 0 {
            throw CaptureFileError(path: path, offset: UInt64(consumed + inBuf.pos), reason: .decompression,
                                   detail: "zstd data is corrupt (\(String(cString: ZSTD_getErrorName(rc))))")
        }
        inStart += inBuf.pos
        consumed += inBuf.pos
        available += outBuf.pos
        frameOpen = rc != 0
    }
}
