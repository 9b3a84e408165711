import CaptureFile
import PacketWire
import Testing
import TestSupport

/// Solaris snoop (RFC 1761): a real file written by Wireshark's `editcap -F snoop` from frames 1-4,
/// 13, 22, 23 and 28 of Captures/blocked.pcap, and files built byte by byte for the damage the
/// reader must name.
///
/// File header (16 bytes): "snoop\0\0\0", version 2, datalink 4 (DL_ETHER). Each record: original
/// length, included length, record length (24 + data + pad to 4), cumulative drops, seconds,
/// microseconds, all big-endian, then the data and the pad.
@Suite("snoop fixtures")
struct SnoopFixtureTests {
    // tshark -r sub.snoop (tshark 4.0.17):
    //       1   0.000000   10.10.0.21 → 10.10.0.11   TCP 74 56544 → 5050 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=249746300 TSecr=0 WS=1024
    //       2   0.000026   10.10.0.11 → 10.10.0.21   TCP 74 5050 → 56544 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=4076836561 TSecr=249746300 WS=1024
    //       3   0.000051   10.10.0.21 → 10.10.0.11   TCP 66 56544 → 5050 [ACK] Seq=1 Ack=1 Win=64512 Len=0 TSval=249746300 TSecr=4076836561
    //       4   0.000171   10.10.0.21 → 10.10.0.11   HTTP 157 GET /master/state HTTP/1.1 
    //       5   2.061124 02:00:34:05:e0:38 → 02:00:0a:0a:00:1f ARP 42 Who has 10.10.0.31? Tell 52.5.224.56
    //       6   3.298017   10.10.0.22 → 10.10.0.12   TCP 74 47926 → 9090 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=2188192543 TSecr=0 WS=1024
    //       7   3.298041   10.10.0.12 → 10.10.0.22   ICMP 102 Destination unreachable (Communication administratively filtered)
    //       8   4.098076   10.10.0.21 → 10.10.0.11   DNS 95 Standard query 0x6dcb A leader.mesos OPT
    // xxd -g 4 sub.snoop:
    //   00000000: 736e6f6f 70000000 00000002 00000004  snoop...........
    //   00000010: 0000004a 0000004a 00000064 00000000  ...J...J...d....
    //   00000020: 6b0140b3 00074219 02000a0a 000b0200  k.@...B.........
    //   00000030: 0a0a0015 08004500 003cfaf6 40004006  ......E..<..@.@.
    //   00000040: 2b920a0a 00150a0a 000bdce0 13ba91ee  +...............
    //   00000050: 4bab0000 0000a002 faf08845 00000204  K..........E....
    //   00000060: 05b40402 080a0ee2 d37c0000 00000103  .........|......
    //   00000070: 030a0000 0000004a 0000004a 00000064  .......J...J...d
    //   00000080: 00000000 6b0140b3 00074233 02000a0a  ....k.@...B3....
    //   00000090: 00150200 0a0a000b 08004500 003c0000  ..........E..<..
    //   000000a0: 40004006 26890a0a 000b0a0a 001513ba  @.@.&...........
    //   000000b0: dce0c2c9 5ffc91ee 4baca012 fe88d804  ...._...K.......
    //   000000c0: 00000204 05b40402 080af2ff 96d10ee2  ................
    //   000000d0: d37c0103 030a0000 00000042 00000042  .|.........B...B
    //   000000e0: 0000005c 00000000 6b0140b3 0007424c  ...\....k.@...BL
    //   000000f0: 02000a0a 000b0200 0a0a0015 08004500  ..............E.
    //   00000100: 0034faf7 40004006 2b990a0a 00150a0a  .4..@.@.+.......
    //   00000110: 000bdce0 13ba91ee 4bacc2c9 5ffd8010  ........K..._...
    //   00000120: 003f051e 00000101 080a0ee2 d37cf2ff  .?...........|..
    //   00000130: 96d10000 0000009d 0000009d 000000b8  ................
    //   00000140: 00000000 6b0140b3 000742c4 02000a0a  ....k.@...B.....
    //   00000150: 000b0200 0a0a0015 08004500 008ffaf8  ..........E.....
    //   00000160: 40004006 2b3d0a0a 00150a0a 000bdce0  @.@.+=..........
    //   00000170: 13ba91ee 4bacc2c9 5ffd8018 003fc014  ....K..._....?..
    //   00000180: 00000101 080a0ee2 d37df2ff 96d14745  .........}....GE
    //   00000190: 54202f6d 61737465 722f7374 61746520  T /master/state 
    //   000001a0: 48545450 2f312e31 0d0a486f 73743a20  HTTP/1.1..Host: 
    //   000001b0: 31302e31 302e302e 31313a35 3035300d  10.10.0.11:5050.
    //   000001c0: 0a557365 722d4167 656e743a 20637572  .User-Agent: cur
    //   000001d0: 6c2f372e 38382e31 0d0a4163 63657074  l/7.88.1..Accept
    //   000001e0: 3a202a2f 2a0d0a0d 0a000000 0000002a  : */*..........*
    //   000001f0: 0000002a 00000044 00000000 6b0140b5  ...*...D....k.@.
    //   00000200: 000830dd 02000a0a 001f0200 3405e038  ..0.........4..8
    //   00000210: 08060001 08000604 00010200 3405e038  ............4..8
    //   00000220: 3405e038 00000000 00000a0a 001f0000  4..8............
    //   00000230: 0000004a 0000004a 00000064 00000000  ...J...J...d....
    //   00000240: 6b0140b6 000bce3a 02000a0a 000c0200  k.@....:........
    //   00000250: 0a0a0016 08004500 003cdb28 40004006  ......E..<.(@.@.
    //   00000260: 4b5e0a0a 00160a0a 000cbb36 2382dac4  K^.........6#...
    //   00000270: f6090000 0000a002 faf0dbc2 00000204  ................
    //   00000280: 05b40402 080a826d 2b1f0000 00000103  .......m+.......
    //   00000290: 030a0000 00000066 00000066 00000080  .......f...f....
    //   000002a0: 00000000 6b0140b6 000bce52 02000a0a  ....k.@....R....
    //   000002b0: 00160200 0a0a000c 080045c0 0058b8c3  ..........E..X..
    //   000002c0: 00004001 acec0a0a 000c0a0a 0016030d  ..@.............
    //   000002d0: 11570000 00004500 003cdb28 40004006  .W....E..<.(@.@.
    //   000002e0: 4b5e0a0a 00160a0a 000cbb36 2382dac4  K^.........6#...
    //   000002f0: f6090000 0000a002 faf0dbc2 00000204  ................
    //   00000300: 05b40402 080a826d 2b1f0000 00000103  .......m+.......
    //   00000310: 030a0000 0000005f 0000005f 00000078  ......._..._...x
    //   00000320: 00000000 6b0140b7 0008c135 02000a0a  ....k.@....5....
    //   00000330: 000b0200 0a0a0015 08004500 00516966  ..........E..Qif
    //   00000340: 00004011 fd020a0a 00150a0a 000bb8d3  ..@.............
    //   00000350: 0035003d 1c3d6dcb 01200001 00000000  .5.=.=m.. ......
    //   00000360: 0001066c 65616465 72056d65 736f7300  ...leader.mesos.
    //   00000370: 00010001 00002904 d0000000 00000c00  ......).........
    //   00000380: 0a000813 43b013a7 348e6e00           ....C...4.n.
    static let hex = """
        736e6f6f7000000000000002000000040000004a0000004a00000064000000006b0140b30007421902000a0a000b0200\
        0a0a001508004500003cfaf6400040062b920a0a00150a0a000bdce013ba91ee4bab00000000a002faf0884500000204\
        05b40402080a0ee2d37c000000000103030a00000000004a0000004a00000064000000006b0140b30007423302000a0a\
        001502000a0a000b08004500003c00004000400626890a0a000b0a0a001513badce0c2c95ffc91ee4baca012fe88d804\
        0000020405b40402080af2ff96d10ee2d37c0103030a000000000042000000420000005c000000006b0140b30007424c\
        02000a0a000b02000a0a0015080045000034faf7400040062b990a0a00150a0a000bdce013ba91ee4bacc2c95ffd8010\
        003f051e00000101080a0ee2d37cf2ff96d100000000009d0000009d000000b8000000006b0140b3000742c402000a0a\
        000b02000a0a001508004500008ffaf8400040062b3d0a0a00150a0a000bdce013ba91ee4bacc2c95ffd8018003fc014\
        00000101080a0ee2d37df2ff96d1474554202f6d61737465722f737461746520485454502f312e310d0a486f73743a20\
        31302e31302e302e31313a353035300d0a557365722d4167656e743a206375726c2f372e38382e310d0a416363657074\
        3a202a2f2a0d0a0d0a0000000000002a0000002a00000044000000006b0140b5000830dd02000a0a001f02003405e038\
        0806000108000604000102003405e0383405e0380000000000000a0a001f00000000004a0000004a0000006400000000\
        6b0140b6000bce3a02000a0a000c02000a0a001608004500003cdb28400040064b5e0a0a00160a0a000cbb362382dac4\
        f60900000000a002faf0dbc20000020405b40402080a826d2b1f000000000103030a0000000000660000006600000080\
        000000006b0140b6000bce5202000a0a001602000a0a000c080045c00058b8c300004001acec0a0a000c0a0a0016030d\
        1157000000004500003cdb28400040064b5e0a0a00160a0a000cbb362382dac4f60900000000a002faf0dbc200000204\
        05b40402080a826d2b1f000000000103030a00000000005f0000005f00000078000000006b0140b70008c13502000a0a\
        000b02000a0a0015080045000051696600004011fd020a0a00150a0a000bb8d30035003d1c3d6dcb0120000100000000\
        0001066c6561646572056d65736f73000001000100002904d000000000000c000a00081343b013a7348e6e00
        """

    static var bytes: [UInt8] { hexBytes(hex) }
    /// The frames of Captures/blocked.pcap that editcap wrote into the fixture, and where their
    /// records start (record lengths 100, 100, 92, 184, 68, 100, 128, 120).
    static let pcapFrames: [UInt64] = [1, 2, 3, 4, 13, 22, 23, 28]
    static let offsets = [16, 116, 216, 308, 492, 560, 660, 788]
    static let fileEnd = 908

    @Test("the editcap file: every record field, views into the file, the same packets as the pcap it came from")
    func editcapFile() throws {
        let file = try MappedFile(bytes: Self.bytes, name: "sub.snoop")
        #expect(file.count == Self.fileEnd)
        var reader = try CaptureReader(file: file, sourceIndex: 2)
        #expect(reader.format == .snoop(version: 2, shomiti: false))
        #expect(reader.format.description == "snoop (version 2)")
        #expect(reader.fileLinkType == .ethernet)
        #expect(reader.fcsLength == nil && reader.snapshotLength == 0)
        #expect(reader.versionMajor == 0 && reader.versionMinor == 0)
        #expect(reader.sectionIsBigEndian && reader.currentSection == 0 && reader.structureBlocks == 0)
        #expect(!reader.canSplit, "--threads reads a snoop file on one thread")
        #expect(reader.recordBoundary(atOrAfter: 17) == nil)
        let sample = reader.countPackets(from: 16, before: Self.fileEnd)
        #expect(sample.packets == 8 && sample.bytes == Self.fileEnd - 16)
        #expect(reader.offset == 16 && reader.packetCount == 0)

        var pcap = try CaptureReader(path: repositoryRoot + "/Captures/blocked.pcap")
        var original: [(record: CaptureRecord, data: [UInt8])] = []
        var r = CaptureRecord()
        while let view = try pcap.next(&r), original.count < 8 {
            if Self.pcapFrames.contains(r.frameNumber) { original.append((r, Array(view))) }
        }
        #expect(original.count == 8)

        var record = CaptureRecord()
        for (i, want) in original.enumerated() {
            let view = try #require(try reader.next(&record))
            #expect(Array(view) == want.data, "frame \(i + 1)")
            #expect(view.baseAddress == file.bytes.baseAddress! + Self.offsets[i] + 24, "a view into the file, not a copy")
            #expect(record.timestampNanos == want.record.timestampNanos && record.hasTimestamp)
            #expect(record.capturedLength == want.record.capturedLength)
            #expect(record.originalLength == want.record.originalLength)
            #expect(record.linkType == .ethernet)
            #expect(record.frameNumber == UInt64(i + 1))
            #expect(record.fileOffset == UInt64(Self.offsets[i]))
            #expect(record.sourceIndex == 2 && record.section == 0 && record.interfaceID == 0)
        }
        #expect(record.timestampNanos == 1_795_244_215_573_749_000)  // tshark: 1795244215.573749
        #expect(try reader.next(&record) == nil)
        #expect(try reader.next(&record) == nil, "end of file stays end of file")
        #expect(reader.packetCount == 8 && reader.offset == UInt64(Self.fileEnd))
    }

    @Test("cut at every length: the packets before the cut, then a truncation error naming the cut record")
    func everyPrefix() {
        let bytes = Self.bytes
        let ends = Array(Self.offsets.dropFirst()) + [Self.fileEnd]
        for n in 0..<bytes.count {
            let (packets, error) = readExpectingError(Array(bytes.prefix(n)))
            let complete = ends.filter { $0 <= n }.count
            #expect(packets == complete, "cut at \(n)")
            if n == Self.offsets[0] || ends.contains(n) {
                #expect(error == nil, "cut at \(n): a record boundary is a clean end")
            } else {
                #expect(error?.reason == .truncated, "cut at \(n)")
                #expect(error?.offset == UInt64(n < Self.offsets[0] ? 0 : Self.offsets[complete]), "cut at \(n)")
                #expect(error?.packetsBefore == UInt64(complete), "cut at \(n)")
            }
        }
        let (_, header) = readExpectingError(Array(bytes.prefix(12)))
        #expect(header?.description == "fixture: at byte offset 0: the snoop file header needs 16 bytes, the file has 12")
        let (_, cut) = readExpectingError(Array(bytes.dropLast(1)))
        #expect(cut?.description == "fixture: at byte offset 788: the snoop record is 120 bytes long, but the file ends after 119 (after 7 good packets)")
    }

    @Test("gzip and zstd snoop files are read like the plain file")
    func compressed() throws {
        let plain = try readBytes(Self.bytes)
        for packed in [gzip(Self.bytes), zstd(Self.bytes)] {
            let got = try readBytes(packed)
            #expect(got.error == nil)
            #expect(got.data == plain.data)
            #expect(got.records == plain.records)
        }
        #expect(plain.records.count == 8)
    }

    // MARK: - built byte by byte

    struct Record {
        var data: [UInt8]
        var original: UInt32? = nil
        var included: UInt32? = nil
        /// The record length; nil: 24 + data padded to a multiple of 4.
        var length: UInt32? = nil
        var seconds: UInt32 = 1_700_000_000
        var microseconds: UInt32 = 0
        var padding: Int { length.map { Int($0) - 24 - data.count } ?? (4 - data.count % 4) % 4 }
    }

    static func makeSnoop(version: UInt32 = 2, datalink: UInt32 = 4, _ records: [Record]) -> [UInt8] {
        var b = Bytes(big: true)
        b.raw(Array("snoop".utf8) + [0, 0, 0]); b.u32(version); b.u32(datalink)
        for r in records {
            b.u32(r.original ?? UInt32(r.data.count)); b.u32(r.included ?? UInt32(r.data.count))
            b.u32(r.length ?? UInt32(24 + r.data.count + r.padding)); b.u32(0)
            b.u32(r.seconds); b.u32(r.microseconds)
            b.raw(r.data); b.raw([UInt8](repeating: 0, count: max(0, r.padding)))
        }
        return b.data
    }

    @Test("damaged records end reading after the good packets, naming the record's offset")
    func damagedRecords() throws {
        let good = Record(data: payload(60))
        let second = 16 + 84
        let cases: [(String, Record, String)] = [
            ("included past the record", Record(data: payload(60), length: 80),
             "the snoop record length 80 cannot hold its 24-byte header and 60 captured bytes"),
            ("record shorter than its header", Record(data: [], length: 20),
             "the snoop record length 20 cannot hold its 24-byte header and 0 captured bytes"),
            ("included above the maximum", Record(data: payload(8), included: 262_145),
             "the snoop record header says 262145 captured bytes, more than the maximum of 262144"),
            ("original above the maximum", Record(data: payload(8), original: 262_145),
             "the snoop record header says the packet was 262145 bytes long, more than the maximum of 262144"),
        ]
        for (name, bad, detail) in cases {
            let (records, data, error) = try readBytes(Self.makeSnoop([good, bad, good]))
            #expect(records.count == 1 && data[0] == payload(60), "\(name)")
            let e = try #require(error, "\(name)")
            #expect(e.reason == .badRecord, "\(name)")
            #expect(e.offset == UInt64(second) && e.packetsBefore == 1, "\(name)")
            #expect(e.detail == detail, "\(name)")
        }
    }

    @Test("accepted as Wireshark reads them: odd record lengths, included > original, a record of 0 bytes, µs ≥ 1 s")
    func acceptedQuirks() throws {
        let records = [
            Record(data: payload(61), length: 24 + 61 + 6),                     // 91: not a multiple of 4
            Record(data: payload(60), original: 10, seconds: 5, microseconds: 1_500_000),
            Record(data: [], original: 1514, seconds: 0xFFFF_FFFF, microseconds: 999_999),
        ]
        let (got, data, error) = try readBytes(Self.makeSnoop(records))
        #expect(error == nil)
        #expect(got.count == 3)
        #expect(data == [payload(61), payload(60), []])
        let offsets: [UInt64] = [16, 107, 191]  // 16 + 91, then + 84
        #expect(got.map(\.fileOffset) == offsets)
        #expect(got[1].capturedLength == 60 && got[1].originalLength == 10)
        #expect(got[1].timestampNanos == 6_500_000_000)
        #expect(got[2].capturedLength == 0 && got[2].originalLength == 1514)
        #expect(got[2].timestampNanos == 4_294_967_295_999_999_000)
        let frames: [UInt64] = [1, 2, 3]
        #expect(got.map(\.frameNumber) == frames)
    }

    @Test("file header: magic, version, datalink type; a file of just the header has no packets")
    func header() throws {
        let empty = try CaptureReader(file: MappedFile(bytes: Self.makeSnoop(datalink: 0x8000_0005, [])))
        #expect(empty.fileLinkType == LinkType(226))
        #expect(try readBytes(Self.makeSnoop([])).records.isEmpty)

        for version: UInt32 in [0, 1, 6] {
            let (_, e) = readExpectingError(Self.makeSnoop(version: version, [Record(data: payload(4))]))
            #expect(e?.reason == .unsupportedVersion && e?.offset == 8, "version \(version)")
        }
        let (_, unknown) = readExpectingError(Self.makeSnoop(datalink: 26, [Record(data: payload(4))]))
        #expect(unknown?.reason == .badLinkType && unknown?.offset == 12)
        #expect(unknown?.detail == "the snoop datalink type 26 is unknown or has no pcap link type")

        var notSnoop = Self.makeSnoop([Record(data: payload(4))])
        notSnoop[5] = 0x79  // "snoopy"
        let (_, magic) = readExpectingError(notSnoop)
        #expect(magic?.reason == .notACaptureFile && magic?.offset == 0)
        let (_, empty0) = readExpectingError([])
        #expect(empty0?.description == "fixture: at byte offset 0: the file is empty; expected a pcap, pcapng or snoop file header")
    }

    @Test("Shomiti Surveyor: versions 3-5, or version 2 whose first record has a 16-byte trailer in its padding")
    func shomiti() throws {
        let v3 = try CaptureReader(file: MappedFile(bytes: Self.makeSnoop(version: 3, datalink: 10, [Record(data: payload(4))])))
        #expect(v3.format == .snoop(version: 3, shomiti: true))
        #expect(v3.format.description == "snoop (Shomiti Surveyor, version 3)")
        #expect(v3.fileLinkType == .ethernet && v3.fcsLength == 4)
        let trailer = Self.makeSnoop(version: 2, datalink: 4, [Record(data: payload(64), length: 24 + 64 + 16)])
        let v2 = try CaptureReader(file: MappedFile(bytes: trailer))
        #expect(v2.format == .snoop(version: 2, shomiti: true) && v2.fcsLength == 4)
        #expect(try readBytes(trailer).data == [payload(64)])
        let shortPad = Self.makeSnoop(version: 2, datalink: 4, [Record(data: payload(64), length: 24 + 64 + 12)])
        #expect(try CaptureReader(file: MappedFile(bytes: shortPad)).format == .snoop(version: 2, shomiti: false))
        // Surveyor 802.11 keeps a radio header of its own: no pcap link type.
        let (_, radio) = readExpectingError(Self.makeSnoop(version: 4, datalink: 18, [Record(data: payload(4))]))
        #expect(radio?.reason == .badLinkType)
        #expect(radio?.detail == "the Shomiti Surveyor datalink type 18 is unknown or has no pcap link type")
    }

    @Test("datalink types map to the LINKTYPE_ values Wireshark reads them as")
    func linkTypes() {
        let snoop: [UInt32: UInt32?] = [0: 1, 2: 6, 4: 1, 8: 10, 9: 0, 14: 0, 16: 122, 18: 123,
                                        0x8000_0005: 226, 1: nil, 3: nil, 10: nil, 26: nil, 0x8000_0004: nil]
        for (datalink, want) in snoop {
            #expect(CaptureReader.snoopLinkType(datalink, shomiti: false)?.rawValue == want, "snoop \(datalink)")
        }
        let surveyor: [UInt32: UInt32?] = [0: 1, 4: 1, 10: 1, 12: 1, 19: 1, 2: 6, 11: 6, 13: 6, 14: 6, 8: 10,
                                           9: nil, 18: nil, 0x8000_0005: nil]
        for (datalink, want) in surveyor {
            #expect(CaptureReader.snoopLinkType(datalink, shomiti: true)?.rawValue == want, "Shomiti \(datalink)")
        }
    }

    @Test("after an error, next throws the same error again")
    func stickyError() throws {
        var reader = try CaptureReader(file: MappedFile(bytes: Array(Self.bytes.prefix(100))))
        var record = CaptureRecord()
        var first: CaptureFileError?
        do { _ = try reader.next(&record) } catch { first = error }
        var second: CaptureFileError?
        do { _ = try reader.next(&record) } catch { second = error }
        #expect(first != nil && first == second && first?.offset == 16)
    }
}

private func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let hi = it.next(), let lo = it.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
    return out
}
