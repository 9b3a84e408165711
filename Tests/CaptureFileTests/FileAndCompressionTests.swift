#if canImport(Glibc)
import TestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import CZlib
import CZstd
import PacketWire
import Testing

func gzip(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    // windowBits 15 + 16: write a gzip wrapper.
    precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var source = input
    let produced = source.withUnsafeMutableBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            stream.next_in = src.baseAddress
            stream.avail_in = UInt32(src.count)
            stream.next_out = dst.baseAddress
            stream.avail_out = UInt32(dst.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return dst.count - Int(stream.avail_out)
        }
    }
    return Array(out.prefix(produced))
}

func zstd(_ input: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let n = out.withUnsafeMutableBytes { dst in
        input.withUnsafeBytes { src in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3) }
    }
    precondition(ZSTD_isError(n) == 0)
    return Array(out.prefix(n))
}

/// A scratch file under /tmp, removed when the test ends.
struct TempFile: ~Copyable {
    let path: String
    init(_ tag: String) {
        var template = Array("/tmp/portolan-capfile-\(tag)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0)
        close(fd)
        path = String(cString: template)
    }
    func write(_ bytes: [UInt8]) {
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
    deinit { unlink(path) }
}

@Suite("Files and compression")
struct FileAndCompressionTests {
    static let plain = PcapngFixtureTests.threeSections().bytes

    func packets(_ file: MappedFile) throws -> [[UInt8]] {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var out: [[UInt8]] = []
        while let view = try reader.next(&record) { out.append(Array(view)) }
        return out
    }

    @Test("gzip and zstd input is sniffed from the magic and read like the plain file")
    func compressed() throws {
        let want = try packets(MappedFile(bytes: Self.plain))
        #expect(want.count == 7)
        let gz = try MappedFile(bytes: gzip(Self.plain))
        #expect(gz.compression == .gzip)
        #expect(try packets(gz) == want)
        let zs = try MappedFile(bytes: zstd(Self.plain))
        #expect(zs.compression == .zstd)
        #expect(try packets(zs) == want)
        // Concatenated gzip members (cat a.gz b.gz) are one stream.
        let pcap = makePcap(records: [PcapRecordSpec(1, 0, payload(60))])
        let joined = gzip(Array(pcap.prefix(30))) + gzip(Array(pcap.dropFirst(30)))
        #expect(try packets(MappedFile(bytes: joined)) == [payload(60)])
    }

    @Test("damaged or oversized compressed input is a .decompression error")
    func damagedCompression() {
        let gz = gzip(Self.plain)
        let zs = zstd(Self.plain)
        var bad = gz; bad[bad.count / 2] ^= 0xFF; bad[bad.count / 2 + 1] ^= 0xFF
        for (name, bytes) in [("gzip cut", Array(gz.prefix(gz.count / 2))), ("zstd cut", Array(zs.prefix(zs.count / 2))),
                              ("gzip corrupt", bad)] {
            do {
                _ = try MappedFile(bytes: bytes, name: name)
                Issue.record("\(name): no error")
            } catch {
                #expect(error.reason == .decompression, "\(name): \(error)")
                #expect(error.description.hasPrefix("\(name): at byte offset "))
            }
        }
        do {
            _ = try MappedFile(bytes: zs, name: "capped", maxDecompressedBytes: 100)
            Issue.record("no cap error")
        } catch {
            #expect(error.reason == .decompression)
            #expect(error.description.contains("limit of 100 bytes"), "\(error)")
        }
    }

    @Test("the corpus gzip file (scapy macos.pcapng.gz) decompresses to pcapng", .enabled(if: corpusAvailable))
    func corpusGzip() throws {
        let file = try MappedFile(path: corpusDirectory + "/scapy__macos.pcapng.gz")
        #expect(file.compression == .gzip)
        #expect(try CaptureReader(file: file).format == .pcapng)
    }

    @Test("files are mapped, not copied; open errors carry the C library's message")
    func mapping() throws {
        let tmp = TempFile("map")
        tmp.write(Self.plain)
        let file = try MappedFile(path: tmp.path)
        #expect(file.isMapped && file.count == Self.plain.count && file.compression == .none)
        #expect(try packets(file) == packets(MappedFile(bytes: Self.plain)))
        do {
            _ = try MappedFile(path: "/nonexistent/trace.pcap")
            Issue.record("no error")
        } catch {
            #expect(error.reason == .cannotOpen && error.offset == nil)
            #expect(error.description == "/nonexistent/trace.pcap: cannot open the file: No such file or directory (errno 2)")
        }
        do {
            _ = try CaptureReader(path: "/tmp")
            Issue.record("no error")
        } catch {
            #expect(error.reason == .cannotOpen)
        }
        let empty = TempFile("empty")
        do {
            _ = try CaptureReader(path: empty.path)
            Issue.record("no error")
        } catch {
            #expect(error.reason == .truncated && error.offset == 0)
        }
    }

    /// Runs `body` with standard input replaced by `fd`.
    func withStandardInput<T>(_ fd: Int32, _ body: () throws -> T) rethrows -> T {
        let saved = dup(0)
        dup2(fd, 0)
        defer { dup2(saved, 0); close(saved) }
        return try body()
    }

    @Test("\"-\" reads standard input: mapped when it is a file, streamed when it is a pipe")
    func standardInput() throws {
        let tmp = TempFile("stdin")
        tmp.write(Self.plain)
        let fd = open(tmp.path, O_RDONLY)
        defer { close(fd) }
        let mapped = try withStandardInput(fd) { try MappedFile(path: "-") }
        #expect(mapped.isMapped && mapped.path == "<stdin>")
        #expect(try packets(mapped).count == 7)

        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let small = makePcap(records: [PcapRecordSpec(1, 0, payload(60))])  // fits the pipe buffer
        _ = small.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        defer { close(ends[0]) }
        let piped = try withStandardInput(ends[0]) { try MappedFile(path: "-") }
        #expect(!piped.isMapped && piped.stream != nil && piped.count == 0)  // streamed (StreamTests)
        #expect(try packets(piped) == [payload(60)])
    }

    @Test("64-bit offsets: a sparse pcapng with a packet beyond 4 GiB")
    func beyondFourGiB() throws {
        // SHB, IDB, then three 2 GiB custom blocks whose bodies are holes, then an EPB at ≈ 6 GiB.
        let tmp = TempFile("sparse")
        let head = shb(big: false) + idb(big: false, linkType: 1)
        let blockLength: UInt64 = 2 << 30
        let packet = epb(big: false, interface: 0, ticks: 5, data: payload(64, seed: 9))
        let f = fopen(tmp.path, "wb")!
        _ = head.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        var at = UInt64(head.count)
        for _ in 0..<3 {
            var header = Bytes(); header.u32(0xBAD); header.u32(UInt32(blockLength))
            fseeko(f, off_t(at), SEEK_SET)
            _ = header.data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fseeko(f, off_t(at + blockLength - 4), SEEK_SET)
            _ = header.data.suffix(4).withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            at += blockLength
        }
        _ = packet.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        var reader = try CaptureReader(path: tmp.path)
        var record = CaptureRecord()
        let view = try #require(try reader.next(&record))
        #expect(Array(view) == payload(64, seed: 9))
        #expect(record.fileOffset == at && at > 6 << 30)
        #expect(try reader.next(&record) == nil)
        #expect(reader.offset == at + UInt64(packet.count))
    }
}
