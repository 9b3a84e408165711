import CaptureFile
import PacketWire
import Testing

/// Classic pcap, every magic and byte order, built byte by byte here.
///
/// Little-endian µs file header (24 bytes), as `xxd` shows it:
///   d4c3 b2a1 0200 0400 0000 0000 0000 0000 ffff 0000 0100 0000
///   magic     major minor thiszone  sigfigs   snaplen   linktype
/// then per record: seconds, fraction, caplen, len (16 bytes; modified variant 24 bytes).
@Suite("pcap fixtures")
struct PcapFixtureTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var big: Bool
        var magic: UInt32
        var testDescription: String { "\(big ? "BE" : "LE") \(String(magic, radix: 16))" }
        var nano: Bool { magic == 0xA1B2_3C4D }
        var modified: Bool { magic == 0xA1B2_CD34 }
        var headerSize: Int { modified ? 24 : 16 }
    }

    static let variants: [Variant] = [false, true].flatMap { big in
        [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34].map { Variant(big: big, magic: $0) }
    }

    @Test("records, timestamps, offsets and views", arguments: variants)
    func variant(_ v: Variant) throws {
        let maxFraction: UInt32 = v.nano ? 999_999_999 : 999_999
        let records = [
            PcapRecordSpec(1_700_000_000, v.nano ? 123_456_789 : 123_456, payload(60)),
            PcapRecordSpec(0x8000_0000, 0, payload(14, seed: 7), original: 1514),  // past 2038, snaplen-cut
            PcapRecordSpec(0xFFFF_FFFF, maxFraction, [], original: 0),            // last second of 2106
        ]
        let bytes = makePcap(big: v.big, magic: v.magic, linkField: 113, records: records)
        let file = try MappedFile(bytes: bytes)
        var reader = try CaptureReader(file: file, sourceIndex: 3)
        #expect(reader.format == .pcap(nanosecond: v.nano, bigEndian: v.big, modified: v.modified))
        #expect(reader.fileLinkType == .linuxSLL)
        #expect(reader.versionMajor == 2 && reader.versionMinor == 4 && reader.snapshotLength == 65535)
        var record = CaptureRecord()
        var offset = 24
        for (i, spec) in records.enumerated() {
            let view = try #require(try reader.next(&record))
            #expect(Array(view) == spec.data)
            #expect(view.baseAddress == file.bytes.baseAddress! + offset + v.headerSize, "a view into the file, not a copy")
            let scale: Int64 = v.nano ? 1 : 1000
            #expect(record.timestampNanos == Int64(spec.seconds) * 1_000_000_000 + Int64(spec.fraction) * scale)
            #expect(record.hasTimestamp)
            #expect(record.capturedLength == UInt32(spec.data.count))
            #expect(record.originalLength == spec.original)
            #expect(record.linkType == .linuxSLL)
            #expect(record.frameNumber == UInt64(i + 1))
            #expect(record.fileOffset == UInt64(offset))
            #expect(record.sourceIndex == 3 && record.section == 0 && record.interfaceID == 0)
            offset += v.headerSize + spec.data.count
        }
        #expect(try reader.next(&record) == nil)
        #expect(try reader.next(&record) == nil, "end of file stays end of file")
        #expect(reader.packetCount == 3)
        #expect(record.timestampNanos == 4_294_967_295_999_999_000 || v.nano)
    }

    @Test("fractions at or above one second carry into the seconds (timestamp_invalid_*)")
    func largeFractions() throws {
        let us = try readBytes(makePcap(records: [PcapRecordSpec(10, 1_500_000, payload(4))]))
        #expect(us.records[0].timestampNanos == 11_500_000_000)
        let ns = try readBytes(makePcap(magic: 0xA1B2_3C4D, records: [PcapRecordSpec(10, 0xFFFF_FFFF, payload(4))]))
        #expect(ns.records[0].timestampNanos == 10_000_000_000 + 4_294_967_295)
    }

    @Test("link type field: low 16 bits, FCS bits accepted, reserved bits rejected")
    func linkTypeField() throws {
        // 0x24000001: FCS present (bit 26), FCS length 2 × 16 bits, link type 1.
        let bytes = makePcap(linkField: 0x2400_0001, records: [PcapRecordSpec(1, 0, payload(20))])
        let reader = try CaptureReader(file: MappedFile(bytes: bytes))
        #expect(reader.fileLinkType == .ethernet)
        #expect(reader.fcsLength == 4)
        #expect(try readBytes(bytes).records[0].linkType == .ethernet)

        // libpcap__linktype-reserved-field-not-zero.pcap: 0x00300000 → tshark refuses the file.
        let (packets, error) = readExpectingError(makePcap(linkField: 0x0030_0000, records: [PcapRecordSpec(1, 0, payload(20))]))
        #expect(packets == 0)
        #expect(error?.reason == .badLinkType)
        #expect(error?.offset == 20)
        #expect(error?.description.contains("0x00300000") == true)
    }

    @Test("version: major must be 2; 2.5 is read; 2.2 and 2.3 lengths are unswapped as libpcap does")
    func versions() throws {
        let rec = [PcapRecordSpec(1, 0, payload(60), original: 1514)]
        let (_, error) = readExpectingError(makePcap(major: 1, records: rec))
        #expect(error?.reason == .unsupportedVersion)
        #expect(error?.offset == 4)
        #expect(try readBytes(makePcap(minor: 5, records: rec)).records.count == 1)
        // 2.2: caplen and len always swapped in the file.
        let old = try readBytes(makePcap(minor: 2, records: rec, swapLengths: true))
        #expect(old.records[0].capturedLength == 60 && old.records[0].originalLength == 1514)
        // 2.3: swapped only when caplen > len.
        let maybe = try readBytes(makePcap(minor: 3, records: rec, swapLengths: true))
        #expect(maybe.records[0].capturedLength == 60 && maybe.records[0].originalLength == 1514)
        let straight = try readBytes(makePcap(minor: 3, records: rec))
        #expect(straight.records[0].capturedLength == 60 && straight.records[0].originalLength == 1514)
    }

    @Test("captured length above 262,144 ends reading after the good packets (suricata tls_DER)")
    func captureTooLarge() throws {
        var bytes = makePcap(records: [PcapRecordSpec(1, 0, payload(60)), PcapRecordSpec(2, 0, payload(60))])
        let second = 24 + 16 + 60
        bytes.replaceSubrange((second + 8)..<(second + 12), with: [0x01, 0x00, 0x04, 0x00])  // 262145
        let (records, data, error) = try readBytes(bytes)
        #expect(records.count == 1 && data[0] == payload(60))
        let e = try #require(error)
        #expect(e.reason == .badRecord)
        #expect(e.offset == UInt64(second))
        #expect(e.packetsBefore == 1)
        #expect(e.description == "fixture: at byte offset 100: the pcap record header says 262145 captured bytes, more than the maximum of 262144 (after 1 good packet)")
    }

    @Test("a record past the end of the file, and a cut record header, are truncation errors")
    func truncatedRecord() throws {
        let bytes = makePcap(records: [PcapRecordSpec(1, 0, payload(60)), PcapRecordSpec(2, 0, payload(60))])
        let (n1, e1) = readExpectingError(Array(bytes.dropLast(1)))
        #expect(n1 == 1 && e1?.reason == .truncated && e1?.offset == 100)
        let (n2, e2) = readExpectingError(Array(bytes.prefix(100 + 7)))
        #expect(n2 == 1 && e2?.reason == .truncated && e2?.offset == 100)
    }

    @Test("after an error, next throws the same error again")
    func stickyError() throws {
        let bytes = Array(makePcap(records: [PcapRecordSpec(1, 0, payload(60))]).dropLast(3))
        var reader = try CaptureReader(file: MappedFile(bytes: bytes))
        var record = CaptureRecord()
        var first: CaptureFileError?
        do { _ = try reader.next(&record) } catch { first = error }
        var second: CaptureFileError?
        do { _ = try reader.next(&record) } catch { second = error }
        #expect(first != nil && first == second)
    }

    @Test("not a capture: empty, too short, unknown magic")
    func notCaptures() throws {
        let (_, empty) = readExpectingError([])
        #expect(empty?.reason == .truncated && empty?.offset == 0)
        #expect(empty?.description == "fixture: at byte offset 0: the file is empty; expected a pcap, pcapng or snoop file header")
        let (_, short) = readExpectingError([0xd4, 0xc3, 0xb2])
        #expect(short?.reason == .truncated)
        let (_, gif) = readExpectingError(Array("GIF89a......".utf8))
        #expect(gif?.reason == .notACaptureFile)
        let (_, header) = readExpectingError(Array(makePcap(records: []).prefix(20)))
        #expect(header?.reason == .truncated)
        #expect(try readBytes(makePcap(records: [])).records.isEmpty)
    }
}
