// Helpers shared by the CaptureFile tests: corpus location, directory listing, byte builders.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import PacketWire

/// `../shared/corpus` relative to the repository root (three levels above this file).
let corpusDirectory: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/../shared/corpus"
}()

let corpusAvailable: Bool = {
    var st = stat()
    return stat(corpusDirectory + "/README.md", &st) == 0
}()

/// Capture files of the corpus (everything that is not an oracle, script or text file), sorted.
func corpusCaptures() -> [String] {
    guard let dir = opendir(corpusDirectory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasPrefix(".") || name.hasSuffix(".tsv") || name.hasSuffix(".md") || name.hasSuffix(".sh") { continue }
        names.append(name)
    }
    return names.sorted()
}

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
