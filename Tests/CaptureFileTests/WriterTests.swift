#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import PacketWire
import Testing

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

@Suite("PcapWriter")
struct WriterTests {
    static func sample(_ i: Int) -> (CaptureRecord, [UInt8]) {
        let data = payload(1 + (i * 37) % 1500, seed: UInt8(truncatingIfNeeded: i))
        let record = CaptureRecord(timestampNanos: 1_700_000_000_000_000_000 + Int64(i) * 1_234_567_891,
                                   capturedLength: UInt32(data.count), originalLength: UInt32(data.count + i % 3),
                                   linkType: .linuxSLL)
        return (record, data)
    }

    @Test("round trip, nanosecond and microsecond; the file is valid after every flush", arguments: [true, false])
    func roundTrip(nanosecond: Bool) throws {
        let tmp = TempFile("writer")
        var writer = try PcapWriter(path: tmp.path, linkType: .linuxSLL, snaplen: 65535, nanosecond: nanosecond)
        #expect(fileSize(tmp.path) == 24, "the header is on disk at once")
        for i in 0..<500 {
            let (record, data) = Self.sample(i)
            try data.withUnsafeBytes { try writer.write(record, $0) }
        }
        #expect(fileSize(tmp.path) == 24, "records are buffered until flush")
        try writer.flush()
        // Valid after a flush: exactly the 500 records, clean end of file.
        var reader = try CaptureReader(path: tmp.path)
        var record = CaptureRecord()
        var count = 0
        while try reader.next(&record) != nil { count += 1 }
        #expect(count == 500)
        for i in 500..<1000 {
            let (record, data) = Self.sample(i)
            try data.withUnsafeBytes { try writer.write(record, $0) }
        }
        #expect(writer.packetsWritten == 1000)
        let expectedSize = writer.bytesWritten
        try writer.close()
        #expect(UInt64(fileSize(tmp.path)) == expectedSize)

        reader = try CaptureReader(path: tmp.path)
        #expect(reader.format == .pcap(nanosecond: nanosecond, bigEndian: false, modified: false))
        #expect(reader.fileLinkType == .linuxSLL && reader.snapshotLength == 65535)
        for i in 0..<1000 {
            let (want, data) = Self.sample(i)
            let view = try #require(try reader.next(&record))
            #expect(Array(view) == data)
            let expectedTime = nanosecond ? want.timestampNanos : want.timestampNanos / 1000 * 1000
            #expect(record.timestampNanos == expectedTime)
            #expect(record.capturedLength == want.capturedLength && record.originalLength == want.originalLength)
            #expect(record.linkType == .linuxSLL)
        }
        #expect(try reader.next(&record) == nil)
    }

    @Test("snaplen cuts the data, not the original length; timestamps outside pcap's range are clamped")
    func limits() throws {
        let tmp = TempFile("limits")
        var writer = try PcapWriter(path: tmp.path, linkType: .ethernet, snaplen: 100)
        let data = payload(2000)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            try writer.write(CaptureRecord(timestampNanos: -5, originalLength: 2000), raw)
            try writer.write(CaptureRecord(timestampNanos: .max, originalLength: 0), raw)
        }
        try writer.close()
        let (records, views, error) = try readBytes(readRaw(tmp.path))
        #expect(error == nil)
        #expect(records.map(\.capturedLength) == [100, 100])
        #expect(records.map(\.originalLength) == [2000, 100])
        #expect(views[0] == Array(data.prefix(100)))
        #expect(records[0].timestampNanos == 0)
        #expect(records[1].timestampNanos == Int64(UInt32.max) * 1_000_000_000 + 854_775_807)
    }

    @Test("records larger than the buffer are written through")
    func writeThrough() throws {
        let tmp = TempFile("big")
        var writer = try PcapWriter(path: tmp.path, linkType: LinkType(231), snaplen: 4 << 20)  // D-Bus: 128 MiB max
        let data = payload(3 << 19)  // 1.5 MiB > the 1 MiB buffer
        try data.withUnsafeBytes { try writer.write(CaptureRecord(timestampNanos: 1), $0) }
        try data.withUnsafeBytes { try writer.write(CaptureRecord(timestampNanos: 2), UnsafeRawBufferPointer(rebasing: $0.prefix(10))) }
        try writer.close()
        #expect(fileSize(tmp.path) == 24 + 16 + (3 << 19) + 16 + 10)
        let (records, views, error) = try readBytes(readRaw(tmp.path))
        #expect(error == nil && records.count == 2 && views[0] == data && views[1] == Array(data.prefix(10)))
    }

    @Test("errors: cannot create, write after close")
    func errors() throws {
        do {
            _ = try PcapWriter(path: "/nonexistent/out.pcap", linkType: .ethernet, snaplen: 0)
            Issue.record("no error")
        } catch {
            #expect(error.reason == .write)
            #expect(error.description == "/nonexistent/out.pcap: cannot create the file: No such file or directory (errno 2)")
        }
        let tmp = TempFile("closed")
        var writer = try PcapWriter(path: tmp.path, linkType: .ethernet, snaplen: 0)
        let copy = writer
        try copy.close()
        do {
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in try writer.write(CaptureRecord(), raw) }
            Issue.record("no error")
        } catch {
            #expect((error as? CaptureFileError)?.reason == .write)
        }
    }
}
