#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import PacketWire
import Testing

// Issue 14, finding 5: a mapped capture cut shorter by another process while it is read made the
// reader fault (SIGBUS, exit 135). The reader checks the file's size before each window of the
// mapping and ends with a typed error naming the file and the offset.

@Suite struct ShrinkTests {
    @Test func aFileCutWhileItIsReadEndsWithAnErrorNotASIGBUS() throws {
        let tmp = TempFile("shrink")
        var writer = try PcapWriter(path: tmp.path, linkType: .ethernet, snaplen: 0)
        let data = [UInt8](repeating: 0x5A, count: 1500)
        try data.withUnsafeBytes { raw in
            for i in 0..<20_000 { try writer.write(CaptureRecord(timestampNanos: Int64(i)), raw) }
        }
        try writer.close()
        var reader = try CaptureReader(path: tmp.path)
        var record = CaptureRecord()
        var packets = 0
        for _ in 0..<1_000 where try reader.next(&record) != nil { packets += 1 }
        #expect(packets == 1_000)
        let cut = 6_000_000
        #expect(truncate(tmp.path, off_t(cut)) == 0)
        var caught: CaptureFileError?
        do {
            while try reader.next(&record) != nil { packets += 1 }
        } catch {
            caught = error
        }
        let e = try #require(caught, "read \(packets) packets to the end of a file cut to \(cut) bytes")
        #expect(e.reason == .truncated)
        #expect(e.path == tmp.path)
        #expect(e.offset.map { $0 > 1_500_000 && $0 <= UInt64(cut) } == true, "\(e)")
        #expect(e.detail.contains("shrank to \(cut) bytes"), "\(e)")
        #expect(packets < 20_000)
        // Later calls give the same error.
        #expect(throws: CaptureFileError.self) { _ = try reader.next(&record) }
    }
}
