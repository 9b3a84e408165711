// Before anything is read: is each input a capture file at all? A missing path, a directory or a
// text file is a usage mistake, not damage inside a capture, so the commands refuse it with exit
// status 2 before any report is written — whatever `--allow-damaged` says.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import CZstd

public enum CaptureInput {
    /// `path` is "-" and standard input is not a regular file (a pipe, a socket, a terminal): it
    /// can be read once only, so nothing may scan it before the analysis reads it.
    public static func isStandardInputStream(_ path: String) -> Bool {
        guard path == "-" else { return false }
        var st = stat()
        return fstat(0, &st) != 0 || st.st_mode & S_IFMT != S_IFREG
    }

    /// Throws when `path` is no capture file Portolan can read: it does not exist or cannot be
    /// opened, is a directory, or does not start with a pcap, pcapng or snoop header (after gzip or
    /// zstd). Damage after the header is not looked for (reading reports it, at its offset).
    /// Only the first 64 KiB are read, with pread (nothing is consumed: "-" as a regular file is
    /// read again from its start by the analysis); a compressed file has only its first bytes
    /// inflated. A pipe or other non-regular input ("-" from a pipe, `<(…)`) cannot be peeked at
    /// without consuming it: it is only checked to exist, and reading reports what it holds.
    public static func check(_ path: String) throws(CaptureFileError) {
        let isStandardInput = path == "-"
        let name = isStandardInput ? "<stdin>" : path
        var st = stat()
        if isStandardInput ? fstat(0, &st) != 0 : stat(path, &st) != 0 {
            throw MappedFile.cError(name, "cannot open the file")
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR {
            throw CaptureFileError(path: name, offset: nil, reason: .cannotOpen, detail: "is a directory, expected a capture file")
        }
        guard kind == S_IFREG else { return }
        let fd = isStandardInput ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw MappedFile.cError(name, "cannot open the file") }
        var head = [UInt8](repeating: 0, count: headBytes)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        if !isStandardInput { close(fd) }
        if n < 0 { throw MappedFile.cError(name, "cannot read the file") }
        let start = head.prefix(n).withUnsafeBytes { MappedFile.sniffCompression($0) }
        if start == .none {
            // The header checks of the reader itself, on the first bytes. A pcapng section header
            // longer than what was read is not a reason to refuse the file.
            do {
                _ = try CaptureReader(file: MappedFile(bytes: Array(head.prefix(n)), name: name))
            } catch let e where !(e.reason == .truncated && n == headBytes) {
                throw e
            } catch {}
            return
        }
        // Compressed: the first 4 decompressed bytes must be a capture's magic. A stream that is
        // corrupt further on is damage, reported when the file is read.
        let magic: [UInt8]? = head.prefix(n).withUnsafeBytes { inflatePrefix($0, start, count: 4) }
        guard let magic, magic.count == 4 else { return }
        let value = UInt32(magic[0]) | UInt32(magic[1]) << 8 | UInt32(magic[2]) << 16 | UInt32(magic[3]) << 24
        if !CaptureReader.isCaptureMagic(value) {
            let kindName = start == .gzip ? "gzip" : "zstd"
            throw CaptureFileError(
                path: name, offset: 0, reason: .notACaptureFile,
                detail: "the \(kindName) data does not start with a pcap, pcapng or snoop header (magic \(hex(value, width: 8)))")
        }
    }

    /// How much of a file the check reads.
    static let headBytes = 64 << 10

    /// The first `count` decompressed bytes of `input` (nil when the stream is corrupt at once).
    static func inflatePrefix(_ input: UnsafeRawBufferPointer, _ kind: CaptureCompression, count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var produced = 0
        switch kind {
        case .gzip:
            var stream = z_stream()
            guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
            defer { inflateEnd(&stream) }
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            out.withUnsafeMutableBytes { o in
                stream.next_out = o.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                if rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR { produced = count - Int(stream.avail_out) }
            }
        case .zstd:
            guard let ctx = ZSTD_createDCtx() else { return nil }
            defer { ZSTD_freeDCtx(ctx) }
            var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            out.withUnsafeMutableBytes { o in
                var outBuf = ZSTD_outBuffer(dst: o.baseAddress, size: count, pos: 0)
                let rc = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
                if ZSTD_isError(rc) == 0 { produced = outBuf.pos }
            }
        case .none:
            return nil
        }
        return Array(out.prefix(produced))
    }
}

extension CaptureReader {
    /// The first four bytes (little-endian) of a file this reader opens: pcap (each byte order,
    /// µs, ns, modified), pcapng's section header, snoop's "snoo".
    static func isCaptureMagic(_ magic: UInt32) -> Bool {
        switch magic {
        case 0x0A0D_0D0A, 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1, 0xA1B2_CD34, 0x34CD_B2A1, 0x6F6F_6E73: true
        default: false
        }
    }
}
