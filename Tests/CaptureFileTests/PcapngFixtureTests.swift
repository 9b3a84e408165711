import CaptureFile
import PacketWire
import Testing

/// pcapng built block by block: three sections (little, big, little endian), interfaces with
/// decimal and binary if_tsresol and if_tsoffset, EPB / SPB / OPB, and the blocks a reader skips.
@Suite("pcapng fixtures")
struct PcapngFixtureTests {
    /// Block start offsets are recorded while building, to check `fileOffset`.
    struct Built {
        var bytes: [UInt8] = []
        var packetOffsets: [Int] = []
        var blockOffsets: [Int] = []
        mutating func add(_ block: [UInt8], packet: Bool = false) {
            if packet { packetOffsets.append(bytes.count) }
            blockOffsets.append(bytes.count)
            bytes += block
        }
    }

    static func threeSections() -> Built {
        var f = Built()
        // Section 0, little-endian.
        f.add(shb(big: false, opts: [(4, Array("portolan test".utf8))]))     // shb_userappl
        f.add(idb(big: false, linkType: 1, snaplen: 96))                      // µs (default)
        f.add(idb(big: false, linkType: 101, snaplen: 0, opts: [(9, [9]), (2, Array("eth0".utf8))]))  // ns
        f.add(epb(big: false, interface: 0, ticks: 1_700_000_000_123_456, data: payload(60), original: 60,
                  opts: [(1, Array("a comment".utf8))]), packet: true)
        f.add(block(5, [0, 0, 0, 0] + [UInt8](repeating: 0, count: 8), big: false))   // ISB
        f.add(epb(big: false, interface: 1, ticks: 1_700_000_000_123_456_789, data: payload(41, seed: 1)), packet: true)
        f.add(spb(big: false, original: 100, data: payload(96, seed: 2)), packet: true)  // cut to snaplen 96
        f.add(block(4, [0, 0, 0, 0], big: false))                             // NRB (end record only)
        f.add(block(0xBAD, [0, 0, 0x7f, 0xff, 1, 2, 3, 4], big: false))       // custom block
        f.add(block(0x4000_0BAD, [0, 0, 0x7f, 0xff], big: false))             // custom, do not copy
        f.add(block(0x0A, [0x4b, 0x53, 0x4c, 0x4b, 0, 0, 0, 0], big: false))  // DSB
        f.add(block(0x1234_5678, payload(5), big: false))                     // unknown type
        // Section 1, big-endian.
        f.add(shb(big: true))
        f.add(idb(big: true, linkType: 113, snaplen: 0,
                  opts: [(9, [0x88]), (14, u64Bytes(1000, big: true))]))      // 2^-8 s, +1000 s
        f.add(idb(big: true, linkType: 228, snaplen: 0, opts: [(9, [3])]))    // ms
        f.add(opb(big: true, interface: 1, ticks: 1_700_000_000_123, data: payload(20, seed: 3), original: 1500), packet: true)
        f.add(epb(big: true, interface: 0, ticks: 10 * 256 + 128, data: payload(33, seed: 4)), packet: true)
        f.add(spb(big: true, original: 7, data: payload(7, seed: 5)), packet: true)  // snaplen 0: no limit
        // Section 2, little-endian again; interfaces start over.
        f.add(shb(big: false, minor: 2))
        f.add(idb(big: false, linkType: 276, snaplen: 0, opts: [(14, u64Bytes(UInt64(bitPattern: -5), big: false))]))
        f.add(epb(big: false, interface: 0, ticks: 7_000_001, data: payload(1, seed: 6)), packet: true)
        return f
    }

    @Test("three sections of alternating byte order, every packet block kind")
    func sections() throws {
        let f = Self.threeSections()
        let file = try MappedFile(bytes: f.bytes)
        var reader = try CaptureReader(file: file)
        #expect(reader.format == .pcapng)
        struct Want { var section: UInt32; var interface: UInt32; var linkType: UInt32; var ns: Int64?; var cap: Int; var orig: UInt32; var seed: UInt8 }
        let wants = [
            Want(section: 0, interface: 0, linkType: 1, ns: 1_700_000_000_123_456_000, cap: 60, orig: 60, seed: 0),
            Want(section: 0, interface: 1, linkType: 101, ns: 1_700_000_000_123_456_789, cap: 41, orig: 41, seed: 1),
            Want(section: 0, interface: 0, linkType: 1, ns: nil, cap: 96, orig: 100, seed: 2),
            Want(section: 1, interface: 1, linkType: 228, ns: 1_700_000_000_123_000_000, cap: 20, orig: 1500, seed: 3),
            Want(section: 1, interface: 0, linkType: 113, ns: 1010_500_000_000, cap: 33, orig: 33, seed: 4),
            Want(section: 1, interface: 0, linkType: 113, ns: nil, cap: 7, orig: 7, seed: 5),
            Want(section: 2, interface: 0, linkType: 276, ns: 7_000_001_000 - 5_000_000_000, cap: 1, orig: 1, seed: 6),
        ]
        var record = CaptureRecord()
        for (i, want) in wants.enumerated() {
            let view = try #require(try reader.next(&record), "packet \(i + 1)")
            #expect(Array(view) == payload(want.cap, seed: want.seed), "packet \(i + 1)")
            #expect(view.baseAddress! >= file.bytes.baseAddress! && view.baseAddress! + view.count <= file.bytes.baseAddress! + file.count)
            #expect(record.section == want.section, "packet \(i + 1)")
            #expect(record.interfaceID == want.interface, "packet \(i + 1)")
            #expect(record.linkType.rawValue == want.linkType, "packet \(i + 1)")
            #expect(record.hasTimestamp == (want.ns != nil), "packet \(i + 1)")
            #expect(record.timestampNanos == (want.ns ?? 0), "packet \(i + 1)")
            #expect(record.capturedLength == UInt32(want.cap) && record.originalLength == want.orig, "packet \(i + 1)")
            #expect(record.frameNumber == UInt64(i + 1))
            #expect(record.fileOffset == UInt64(f.packetOffsets[i]), "packet \(i + 1)")
            if i == 3 { #expect(reader.sectionIsBigEndian) }
        }
        #expect(try reader.next(&record) == nil)
        #expect(reader.currentSection == 2 && !reader.sectionIsBigEndian)
    }

    /// Reads one EPB with the given if_tsresol (and optional if_tsoffset) and ticks.
    func stamp(resolution: UInt8?, offset: Int64? = nil, ticks: UInt64) throws -> Int64 {
        var opts: [(UInt16, [UInt8])] = []
        if let resolution { opts.append((9, [resolution])) }
        if let offset { opts.append((14, u64Bytes(UInt64(bitPattern: offset), big: false))) }
        let bytes = shb(big: false) + idb(big: false, linkType: 1, opts: opts)
            + epb(big: false, interface: 0, ticks: ticks, data: payload(4))
        return try readBytes(bytes).records[0].timestampNanos
    }

    @Test("if_tsresol decimal and binary, if_tsoffset, saturation instead of overflow")
    func resolutions() throws {
        #expect(try stamp(resolution: nil, ticks: 1_500_000) == 1_500_000_000)        // default µs
        #expect(try stamp(resolution: 0, ticks: 3) == 3_000_000_000)                   // seconds
        #expect(try stamp(resolution: 3, ticks: 1234) == 1_234_000_000)               // ms
        #expect(try stamp(resolution: 9, ticks: 42) == 42)                             // ns
        #expect(try stamp(resolution: 12, ticks: 1_000_000_123_456) == 1_000_000_123) // ps: divided
        #expect(try stamp(resolution: 0x80, ticks: 2) == 2_000_000_000)                // 2^0
        #expect(try stamp(resolution: 0x88, ticks: 256 * 5 + 64) == 5_250_000_000)     // 2^-8 (test902)
        #expect(try stamp(resolution: 0x80 | 30, ticks: 3 << 30) == 3_000_000_000)     // 2^-30: 128-bit path
        #expect(try stamp(resolution: 0x80 | 64, ticks: 1 << 63) == 500_000_000)       // 2^-64
        #expect(try stamp(resolution: 40, ticks: .max) == 0)                           // 1e-40 s
        #expect(try stamp(resolution: 9, ticks: .max) == .max)                         // year 2554: saturates
        #expect(try stamp(resolution: 6, offset: 100, ticks: 1) == 100_000_001_000)
        #expect(try stamp(resolution: 6, offset: -100, ticks: 0) == -100_000_000_000)
        #expect(try stamp(resolution: 9, offset: Int64.max, ticks: 1) == .max)
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var packets: Int
        var reason: CaptureFileError.Reason
        var offset: Int
        var testDescription: String { name }
    }

    static var damages: [Damage] {
        let head = shb(big: false) + idb(big: false, linkType: 1)
        let good = epb(big: false, interface: 0, ticks: 1, data: payload(60))
        let at = head.count + good.count
        var list: [Damage] = []
        list.append(Damage(name: "unknown interface id", bytes: head + good + epb(big: false, interface: 5, ticks: 1, data: payload(4)),
                           packets: 1, reason: .unknownInterface, offset: at))
        var short = good; short[4] = 8; short[short.count - 4] = 8
        list.append(Damage(name: "block length below 12", bytes: head + good + short, packets: 1, reason: .badBlock, offset: at))
        var odd = good; odd[4] = 13
        list.append(Damage(name: "block length not a multiple of 4", bytes: head + good + odd, packets: 1, reason: .badBlock, offset: at))
        var trailer = good; trailer[trailer.count - 4] &+= 4
        list.append(Damage(name: "trailer differs from header", bytes: head + good + trailer, packets: 1, reason: .badBlock, offset: at))
        var zero = good; zero[4] = 0; zero[5] = 0
        list.append(Damage(name: "zero-length block (would loop)", bytes: head + good + zero, packets: 1, reason: .badBlock, offset: at))
        var huge = good; huge.replaceSubrange(20..<24, with: [0x01, 0x00, 0x04, 0x00])  // caplen 262145
        list.append(Damage(name: "caplen above 262,144", bytes: head + good + huge, packets: 1, reason: .badRecord, offset: at))
        var spill = good; spill[20] = 61  // caplen 61 in a block holding 60
        list.append(Damage(name: "caplen past the block", bytes: head + good + spill, packets: 1, reason: .badRecord, offset: at))
        list.append(Damage(name: "block past the end of file", bytes: head + good + Array(good.dropLast(4)),
                           packets: 1, reason: .truncated, offset: at))
        list.append(Damage(name: "garbage tail shorter than a block header", bytes: head + good + [1, 2, 3, 4, 5],
                           packets: 1, reason: .truncated, offset: at))
        list.append(Damage(name: "SHB version 2.0 in the second section (gopacket test901)",
                           bytes: head + good + shb(big: false, major: 2) + good, packets: 1, reason: .unsupportedVersion, offset: at + 12))
        list.append(Damage(name: "SHB version 0.1 (libpcap pcapng-invalid-vers-1)",
                           bytes: shb(big: false, major: 0, minor: 1) + good, packets: 0, reason: .unsupportedVersion, offset: 12))
        var bom = shb(big: false); bom[8] = 0x11
        list.append(Damage(name: "unknown byte-order magic", bytes: head + good + bom, packets: 1, reason: .badBlock, offset: at + 8))
        list.append(Damage(name: "SPB before any IDB", bytes: shb(big: false) + spb(big: false, original: 4, data: payload(4)),
                           packets: 0, reason: .unknownInterface, offset: 28))
        var opt = shb(big: false, opts: [(4, Array("abcd".utf8))]); opt[26] = 200  // option length 200
        list.append(Damage(name: "SHB option running past the block", bytes: opt + good, packets: 0, reason: .badBlock, offset: 24))
        var iopt = idb(big: false, linkType: 1, opts: [(9, [6])]); iopt[18] = 9
        list.append(Damage(name: "IDB option running past the block", bytes: shb(big: false) + iopt + good,
                           packets: 0, reason: .badBlock, offset: 28 + 16))
        list.append(Damage(name: "interfaces do not carry over into a new section",
                           bytes: head + good + shb(big: true) + epb(big: true, interface: 0, ticks: 1, data: payload(4)),
                           packets: 1, reason: .unknownInterface, offset: at + 28))
        return list
    }

    @Test("damage: good packets first, then a typed error at the damaged block", arguments: damages)
    func damaged(_ d: Damage) {
        let (packets, error) = readExpectingError(d.bytes)
        #expect(packets == d.packets)
        #expect(error?.reason == d.reason, "\(String(describing: error))")
        #expect(error?.offset == UInt64(d.offset), "\(String(describing: error))")
        #expect(error?.packetsBefore == UInt64(d.packets))
        if let text = error?.description {
            #expect(text.hasPrefix("fixture: at byte offset \(d.offset): "))
            #expect(!text.contains("\n"))
        }
    }

    @Test("error text names the block, the numbers and the expectation")
    func errorText() {
        let d = Self.damages[0]
        let (_, error) = readExpectingError(d.bytes)
        #expect(error?.description == "fixture: at byte offset 140: the enhanced packet block names interface 5, but section 0 declares 1 interface (after 1 good packet)")
    }
}
