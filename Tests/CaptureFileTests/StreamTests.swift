#if canImport(Glibc)
import Glibc
#endif
import CaptureFile
import Foundation
import PacketWire
import Testing

#if canImport(Glibc)
/// Writes `bytes` into a new pipe from another thread, in pieces of uneven sizes (1 byte to a few
/// KiB, with pauses), so records and blocks straddle every read the stream makes. Returns the
/// path of the pipe's read end (/dev/fd/N: opened again, it is the same pipe) and its descriptor.
func pipeFeeding(_ bytes: [UInt8], pieces: Bool = true) -> (path: String, fd: Int32) {
    signal(SIGPIPE, SIG_IGN)  // a test that stops reading early ends the writer with EPIPE
    var ends: [Int32] = [0, 0]
    precondition(pipe(&ends) == 0)
    let writeEnd = ends[1]
    let thread = Thread {
        var at = 0
        var step = 1
        bytes.withUnsafeBytes { raw in
            while at < raw.count {
                let n = pieces ? min(raw.count - at, step) : raw.count - at
                let w = write(writeEnd, raw.baseAddress! + at, n)
                if w <= 0 { break }
                at += w
                step = step * 7 % 8191 + 1
                if pieces && at % 97 == 0 { usleep(200) }
            }
        }
        close(writeEnd)
    }
    thread.start()
    return ("/dev/fd/\(ends[0])", ends[0])
}

@Suite("Streamed input: pipes, gzip and zstd in bounded memory")
struct StreamTests {
    func records(_ file: MappedFile) throws -> [String] {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var out: [String] = []
        while let view = try reader.next(&record) {
            out.append("\(record.frameNumber) \(record.fileOffset) \(record.timestampNanos) \(record.linkType.rawValue) "
                       + "\(record.originalLength) \(Array(view).reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })")
        }
        return out
    }

    /// A pcap of `count` records of uneven sizes (60 to 1,500 bytes).
    func manyRecords(_ count: Int) -> [UInt8] {
        makePcap(records: (0..<count).map { i in PcapRecordSpec(UInt32(i), UInt32(i % 1000), payload(60 + (i * 131) % 1441, seed: UInt8(i & 0xFF))) })
    }

    @Test("a pipe fed in uneven pieces gives the records of the same bytes in memory (pcap, pcapng sections, snoop)")
    func pipeMatchesMemory() throws {
        for (name, bytes) in [("pcap", manyRecords(3000)), ("pcapng", PcapngFixtureTests.threeSections().bytes)] {
            let want = try records(MappedFile(bytes: bytes))
            let (path, fd) = pipeFeeding(bytes)
            defer { close(fd) }
            let file = try MappedFile(path: path)
            #expect(file.stream != nil && !file.isMapped && file.count == 0, "\(name)")
            let got = try records(file)
            #expect(got.count == want.count && got == want, "\(name): \(got.count) records, want \(want.count)")
        }
    }

    @Test("gzip and zstd files are streamed, not decompressed whole, and read like the plain file")
    func compressedFilesStream() throws {
        let plain = manyRecords(2000)
        let want = try records(MappedFile(bytes: plain))
        for (name, packed, kind) in [("gz", gzip(plain), CaptureCompression.gzip), ("zst", zstd(plain), .zstd),
                                     ("gz-members", gzip(Array(plain.prefix(70_001))) + gzip(Array(plain.dropFirst(70_001))), .gzip)] {
            let tmp = TempFile(name)
            tmp.write(packed)
            let file = try MappedFile(path: tmp.path)
            #expect(file.stream != nil && file.compression == kind, "\(name)")
            #expect(try records(file) == want, "\(name)")
            // And through a pipe.
            let (path, fd) = pipeFeeding(packed)
            defer { close(fd) }
            #expect(try records(MappedFile(path: path)) == want, "\(name) piped")
        }
    }

    @Test("a stream cut inside a record or inside the compressed data: every whole record, then a typed error")
    func cutStreams() throws {
        let plain = manyRecords(500)
        let all = try records(MappedFile(bytes: plain))
        // Plain, cut in a record: the same error as for the file.
        let cut = Array(plain.prefix(plain.count - 700))
        let (path, fd) = pipeFeeding(cut)
        defer { close(fd) }
        let expected = readExpectingError(cut)
        var reader = try CaptureReader(file: MappedFile(path: path))
        var record = CaptureRecord()
        var n = 0
        do {
            while try reader.next(&record) != nil { n += 1 }
            Issue.record("no error")
        } catch {
            #expect(error.reason == .truncated && error.reason == expected.error?.reason)
            #expect(error.offset == expected.error?.offset, "\(error)")
        }
        #expect(n == expected.packets && n > 400)
        // gzip cut in the middle: the records decompressed before the cut, then .decompression.
        let packed = gzip(plain)
        let tmp = TempFile("gzcut")
        tmp.write(Array(packed.prefix(packed.count / 2)))
        var gzReader = try CaptureReader(file: MappedFile(path: tmp.path))
        var m = 0
        do {
            while try gzReader.next(&record) != nil { m += 1 }
            Issue.record("no error")
        } catch {
            #expect(error.reason == .decompression, "\(error)")
            #expect(error.description.contains("gzip data ends before the end"), "\(error)")
        }
        #expect(m > 0 && m < all.count, "\(m) of \(all.count)")
        #expect(throws: CaptureFileError.self) { try gzReader.next(&record) }  // the same error again
    }

    @Test("a 160 MiB stream through a pipe keeps under 72 MiB resident")
    func residentBounded() throws {
        var b = makePcap(records: [])
        let data = payload(1500)
        b.reserveCapacity(115_000 * 1516 + 24)
        for i in 0..<115_000 {
            var h = Bytes()
            h.u32(UInt32(i)); h.u32(0); h.u32(1500); h.u32(1500)
            b += h.data
            b += data
        }
        let (path, fd) = pipeFeeding(b, pieces: false)
        defer { close(fd) }
        let file = try MappedFile(path: path)
        var reader = try CaptureReader(file: file)
        b = []  // the feeding thread keeps its own copy
        let (packets, peak) = try walkMeasuringResident(&reader, file)
        #expect(packets == 115_000)
        #expect(peak > 0, "smaps found the reservation")
        print("resident peak of the stream: \(peak >> 20) MiB of 166 MiB streamed")
        #expect(peak < 72 << 20, "resident \(peak >> 20) MiB")
    }
}
#endif
