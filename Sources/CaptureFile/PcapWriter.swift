// Writes classic pcap through one fixed buffer and write(2). Records are appended whole, so the
// file on disk is a valid capture after the header is written and after every flush().
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PacketWire

/// Writes a classic pcap file (little-endian, nanosecond magic a1b23c4d by default or microsecond
/// a1b2c3d4), for `portolan live -w` and `portolan bench --write`.
///
/// Records are buffered; `flush()` writes them out, after which the file is a complete, valid
/// capture (every record whole). `close()` flushes and closes; a writer that is dropped without
/// `close()` flushes what it can and closes the file too, but cannot report errors.
/// Copies of a `PcapWriter` share one file and buffer. Not thread-safe.
/// The path "-" writes to standard output.
public struct PcapWriter {
    public let path: String
    public let linkType: LinkType
    public let snaplen: UInt32
    public let nanosecond: Bool
    let sink: Sink

    /// Bytes of packet data above this are not written (the record keeps the original length):
    /// `snaplen`, or 262,144 when `snaplen` is 0, so readers accept the file.
    public var maximumCapturedLength: UInt32 { snaplen == 0 ? 262_144 : snaplen }

    /// Creates (or truncates) `path` and writes the 24-byte file header to it at once.
    public init(path: String, linkType: LinkType, snaplen: UInt32, nanosecond: Bool = true) throws(CaptureFileError) {
        self.path = path
        self.linkType = linkType
        self.snaplen = snaplen
        self.nanosecond = nanosecond
        let fd: Int32
        if path == "-" {
            fd = 1
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { throw Sink.error(path, offset: nil, "cannot create the file") }
        }
        sink = Sink(fd: fd, ownsDescriptor: path != "-", path: path)
        var header = [UInt8](repeating: 0, count: 24)
        put32(&header, 0, nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put16(&header, 4, 2)
        put16(&header, 6, 4)
        put32(&header, 16, snaplen)
        put32(&header, 20, linkType.rawValue & 0xFFFF)
        header.withUnsafeBytes { sink.copyIn($0) }  // the new buffer is empty: 24 bytes fit
        try sink.flush()
    }

    /// Packets written (buffered or flushed).
    public var packetsWritten: UInt64 { sink.packets }
    /// Bytes written to the file so far, including what is still buffered.
    public var bytesWritten: UInt64 { sink.fileOffset + UInt64(sink.used) }

    /// Appends one record: timestamp from `record.timestampNanos` (before 1970 written as 0, after
    /// 2106 as the last representable second), original length `max(record.originalLength, captured)`.
    public mutating func write(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) throws(CaptureFileError) {
        let captured = min(UInt32(clamping: bytes.count), maximumCapturedLength)
        let ns = max(record.timestampNanos, 0)
        let seconds = UInt32(clamping: ns / 1_000_000_000)
        let subsecond = ns % 1_000_000_000
        let fraction = UInt32(nanosecond ? subsecond : subsecond / 1000)
        // 16-byte record header, little-endian like the file header.
        var h = (UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        h.0 = seconds.littleEndian
        h.1 = fraction.littleEndian
        h.2 = captured.littleEndian
        h.3 = max(record.originalLength, captured).littleEndian
        // The whole record goes into the buffer at once, so that a flush never ends inside a
        // record (a failed flush can then cut the file back to a record boundary).
        let whole = 16 + Int(captured) <= Sink.capacity
        try sink.reserve(whole ? 16 + Int(captured) : 16)
        withUnsafeBytes(of: &h) { sink.copyIn($0) }  // reserve made room
        if captured > 0, let data = bytes.baseAddress {
            // safe: captured ≤ bytes.count
            let payload = UnsafeRawBufferPointer(start: data, count: Int(captured))
            if whole { sink.copyIn(payload) } else { try sink.append(payload) }
        }
        sink.packets += 1
    }

    /// Writes buffered records to the file; afterwards the file is a valid capture.
    public mutating func flush() throws(CaptureFileError) {
        try sink.flush()
    }

    /// Flushes and closes the file. Later writes throw.
    public consuming func close() throws(CaptureFileError) {
        try sink.close()
    }
}

private func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
}

private func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) {
    for i in 0..<2 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt16(i))) }
}

// Free functions so the C names do not collide with Sink's own close().
private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
private func writeDescriptor(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

/// The open file and its buffer (one allocation for the writer's life).
final class Sink {
    static let capacity = 1 << 20
    let fd: Int32
    let ownsDescriptor: Bool
    let path: String
    let buffer: UnsafeMutableRawPointer
    var used = 0
    var fileOffset: UInt64 = 0
    var packets: UInt64 = 0
    var closed = false

    init(fd: Int32, ownsDescriptor: Bool, path: String) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.path = path
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Sink.capacity, alignment: 16)
    }

    deinit {
        if !closed {
            try? flush()
            if ownsDescriptor { _ = closeDescriptor(fd) }
        }
        buffer.deallocate()
    }

    static func error(_ path: String, offset: UInt64?, _ what: String) -> CaptureFileError {
        let code = errno
        return CaptureFileError(path: path, offset: offset, reason: .write,
                                detail: "\(what): \(String(cString: strerror(code))) (errno \(code))")
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(CaptureFileError) {
        guard !closed else {
            throw CaptureFileError(path: path, offset: fileOffset, reason: .write, detail: "the pcap writer is already closed")
        }
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count > Sink.capacity - used {
            try flush()
            if bytes.count > Sink.capacity {  // larger than the whole buffer: write through
                try writeAll(src, bytes.count)
                return
            }
        }
        // safe: used + count ≤ capacity, checked above
        (buffer + used).copyMemory(from: src, byteCount: bytes.count)
        used += bytes.count
    }

    /// Makes room for `count` bytes in the buffer (count ≤ capacity), flushing if needed.
    func reserve(_ count: Int) throws(CaptureFileError) {
        guard !closed else {
            throw CaptureFileError(path: path, offset: fileOffset, reason: .write, detail: "the pcap writer is already closed")
        }
        if count > Sink.capacity - used { try flush() }
    }

    /// Copies bytes the caller has made room for with `reserve`.
    func copyIn(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= Sink.capacity - used, "PcapWriter buffer overrun")
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        (buffer + used).copyMemory(from: src, byteCount: bytes.count)
        used += bytes.count
    }

    func flush() throws(CaptureFileError) {
        guard used > 0 else { return }
        let n = used
        used = 0
        let start = fileOffset
        do throws(CaptureFileError) {
            try writeAll(buffer, n)
        } catch {
            endOnRecordBoundary(flushStart: start)
            throw error
        }
    }

    /// After a write failed part-way (a full file system): cuts the file back to the end of the
    /// last record written whole, so that it stays a valid capture. The buffer holds whole
    /// records from `flushStart` on (the file header is flushed alone, first).
    func endOnRecordBoundary(flushStart: UInt64) {
        let written = Int(fileOffset - flushStart)
        var end = 0
        if flushStart > 0 {
            while end + 16 <= written {
                // safe: end + 16 ≤ written ≤ the bytes in the buffer
                let caplen = Int(UInt32(littleEndian: (buffer + end + 8).loadUnaligned(as: UInt32.self)))
                if end + 16 + caplen > written { break }
                end += 16 + caplen
            }
        }
        if ownsDescriptor && ftruncate(fd, off_t(flushStart) + off_t(end)) == 0 {
            fileOffset = flushStart + UInt64(end)
        }
    }

    func writeAll(_ start: UnsafeRawPointer, _ count: Int) throws(CaptureFileError) {
        var done = 0
        while done < count {
            let n = writeDescriptor(fd, start + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Sink.error(path, offset: fileOffset, "cannot write the capture file")
            }
            done += n
            fileOffset += UInt64(n)
        }
    }

    func close() throws(CaptureFileError) {
        guard !closed else { return }
        defer {
            closed = true
        }
        do throws(CaptureFileError) {
            try flush()
        } catch {
            if ownsDescriptor { _ = closeDescriptor(fd) }
            throw error
        }
        if ownsDescriptor && closeDescriptor(fd) != 0 {
            throw Sink.error(path, offset: fileOffset, "cannot close the capture file")
        }
    }
}
