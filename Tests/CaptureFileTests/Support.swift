// Helpers shared by the CaptureFile tests: byte builders (corpus location and listings: TestSupport).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import PacketWire
import TestSupport



func readText(_ path: String) throws -> String {
    let file = try MappedFile(path: path)
    return String(decoding: file.bytes, as: UTF8.self)
}

/// What the oracle says about one frame that is a packet.
struct OracleFrame: Equatable, CustomStringConvertible {
    var linkType: String
    var captured: UInt32
    var original: UInt32
    var description: String { "lt=\(linkType) cap=\(captured) len=\(original)" }
}

struct Oracle {
    var frames: [OracleFrame] = []
    var tsharkFailed = false
}

func loadOracle(_ capture: String) throws -> Oracle {
    var oracle = Oracle()
    for line in try readText(corpusDirectory + "/" + capture + ".oracle.tsv").split(separator: "\n") {
        if line.hasPrefix("#tshark-exit") { oracle.tsharkFailed = true }
        if line.hasPrefix("#") { continue }
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard cols.count >= 18, cols[1] != "-" else { continue }  // "-": not a packet (custom block)
        oracle.frames.append(OracleFrame(linkType: String(cols[1]), captured: UInt32(cols[16]) ?? .max,
                                         original: UInt32(cols[17]) ?? .max))
    }
    return oracle
}

/// Our link type as the oracle prints it (tshark's WTAP_ENCAP maps several LINKTYPEs to one).
func oracleLinkType(_ lt: LinkType) -> String {
    switch lt.rawValue {
    case 12, 14: "101"
    case 50: "9"
    case 112: "104"
    case 16, 18, 19: "106"
    case 11: "100"
    default: String(lt.rawValue)
    }
}

/// Reads every packet; returns the frames and the error that ended reading, if any.
func readAll(_ file: MappedFile) -> (frames: [OracleFrame], records: [CaptureRecord], error: CaptureFileError?) {
    var frames: [OracleFrame] = []
    var records: [CaptureRecord] = []
    do {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        while let bytes = try reader.next(&record) {
            precondition(bytes.count == Int(record.capturedLength))
            frames.append(OracleFrame(linkType: oracleLinkType(record.linkType), captured: record.capturedLength,
                                      original: record.originalLength))
            records.append(record)
        }
    } catch {
        return (frames, records, error)
    }
    return (frames, records, nil)
}

/// Little/big-endian byte builder for fixtures.
struct Bytes {
    var data: [UInt8] = []
    var big = false
    init(big: Bool = false) { self.big = big }
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) {
        if big { data += [UInt8(v >> 8), UInt8(v & 0xff)] } else { data += [UInt8(v & 0xff), UInt8(v >> 8)] }
    }
    mutating func u32(_ v: UInt32) {
        let b = (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
        data += big ? b.reversed() : b
    }
    mutating func u64(_ v: UInt64) {
        let b = (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        data += big ? b.reversed() : b
    }
    mutating func raw(_ b: [UInt8]) { data += b }
    mutating func pad4() { while data.count % 4 != 0 { data.append(0) } }
}

// MARK: - fixture builders

/// A packet for fixtures: `count` bytes 0, 1, 2, … offset by `seed`, so views can be checked.
func payload(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &+ Int(seed)) }
}

struct PcapRecordSpec {
    var seconds: UInt32
    var fraction: UInt32
    var data: [UInt8]
    var original: UInt32
    init(_ seconds: UInt32, _ fraction: UInt32, _ data: [UInt8], original: UInt32? = nil) {
        self.seconds = seconds
        self.fraction = fraction
        self.data = data
        self.original = original ?? UInt32(data.count)
    }
}

/// A classic pcap file. `magic` is written in the file's byte order (a1b2c3d4 µs, a1b23c4d ns,
/// a1b2cd34 modified); modified records get the 8 extra bytes (ifindex, protocol, type, pad).
func makePcap(big: Bool = false, magic: UInt32 = 0xA1B2_C3D4, major: UInt16 = 2, minor: UInt16 = 4,
              snaplen: UInt32 = 65535, linkField: UInt32 = 1, records: [PcapRecordSpec],
              swapLengths: Bool = false) -> [UInt8] {
    var b = Bytes(big: big)
    b.u32(magic); b.u16(major); b.u16(minor); b.u32(0); b.u32(0); b.u32(snaplen); b.u32(linkField)
    for r in records {
        b.u32(r.seconds); b.u32(r.fraction)
        if swapLengths { b.u32(r.original); b.u32(UInt32(r.data.count)) } else { b.u32(UInt32(r.data.count)); b.u32(r.original) }
        if magic == 0xA1B2_CD34 { b.u32(3); b.u16(0x0800); b.u8(0); b.u8(0) }
        b.raw(r.data)
    }
    return b.data
}

/// pcapng option list (code, value) ending with opt_endofopt.
func options(_ list: [(UInt16, [UInt8])], big: Bool) -> [UInt8] {
    if list.isEmpty { return [] }
    var b = Bytes(big: big)
    for (code, value) in list { b.u16(code); b.u16(UInt16(value.count)); b.raw(value); b.pad4() }
    b.u16(0); b.u16(0)
    return b.data
}

/// One pcapng block: type, total length, body padded to 4, total length.
func block(_ type: UInt32, _ body: [UInt8], big: Bool) -> [UInt8] {
    var padded = body
    while padded.count % 4 != 0 { padded.append(0) }
    var b = Bytes(big: big)
    b.u32(type); b.u32(UInt32(12 + padded.count)); b.raw(padded); b.u32(UInt32(12 + padded.count))
    return b.data
}

func shb(big: Bool, major: UInt16 = 1, minor: UInt16 = 0, opts: [(UInt16, [UInt8])] = []) -> [UInt8] {
    var b = Bytes(big: big)
    b.u32(0x1A2B_3C4D); b.u16(major); b.u16(minor); b.u64(UInt64.max)
    b.raw(options(opts, big: big))
    return block(0x0A0D_0D0A, b.data, big: big)
}

func idb(big: Bool, linkType: UInt16, snaplen: UInt32 = 0, opts: [(UInt16, [UInt8])] = []) -> [UInt8] {
    var b = Bytes(big: big)
    b.u16(linkType); b.u16(0); b.u32(snaplen)
    b.raw(options(opts, big: big))
    return block(1, b.data, big: big)
}

func epb(big: Bool, interface: UInt32, ticks: UInt64, data: [UInt8], original: UInt32? = nil,
         opts: [(UInt16, [UInt8])] = []) -> [UInt8] {
    var b = Bytes(big: big)
    b.u32(interface); b.u32(UInt32(ticks >> 32)); b.u32(UInt32(ticks & 0xFFFF_FFFF))
    b.u32(UInt32(data.count)); b.u32(original ?? UInt32(data.count))
    b.raw(data); b.pad4()
    b.raw(options(opts, big: big))
    return block(6, b.data, big: big)
}

func opb(big: Bool, interface: UInt16, ticks: UInt64, data: [UInt8], original: UInt32? = nil) -> [UInt8] {
    var b = Bytes(big: big)
    b.u16(interface); b.u16(0); b.u32(UInt32(ticks >> 32)); b.u32(UInt32(ticks & 0xFFFF_FFFF))
    b.u32(UInt32(data.count)); b.u32(original ?? UInt32(data.count))
    b.raw(data)
    return block(2, b.data, big: big)
}

func spb(big: Bool, original: UInt32, data: [UInt8]) -> [UInt8] {
    var b = Bytes(big: big)
    b.u32(original); b.raw(data)
    return block(3, b.data, big: big)
}

func u64Bytes(_ v: UInt64, big: Bool) -> [UInt8] { var b = Bytes(big: big); b.u64(v); return b.data }

/// Reads everything from in-memory bytes.
func readBytes(_ bytes: [UInt8], name: String = "fixture") throws(CaptureFileError)
    -> (records: [CaptureRecord], data: [[UInt8]], error: CaptureFileError?) {
    let file = try MappedFile(bytes: bytes, name: name)
    var reader = try CaptureReader(file: file)
    var records: [CaptureRecord] = []
    var data: [[UInt8]] = []
    var record = CaptureRecord()
    do {
        while let view = try reader.next(&record) {
            records.append(record)
            data.append(Array(view))
        }
    } catch {
        return (records, data, error)
    }
    return (records, data, nil)
}

/// The error a whole read (including init) ends with, and the packets before it.
func readExpectingError(_ bytes: [UInt8]) -> (packets: Int, error: CaptureFileError?) {
    do {
        let (records, _, error) = try readBytes(bytes)
        return (records.count, error)
    } catch {
        return (0, error)
    }
}
