import CaptureFile
import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `../shared/corpus` beside the repository (the repo root is three levels above this file).
let corpusDirectory: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/../shared/corpus"
}()

let corpusAvailable: Bool = {
    var st = stat()
    return stat(corpusDirectory + "/README.md", &st) == 0
}()

/// Capture files of the corpus that have an oracle, sorted.
func corpusCaptures() -> [String] {
    guard let dir = opendir(corpusDirectory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasSuffix(".oracle.tsv") { names.append(String(name.dropLast(".oracle.tsv".count))) }
    }
    return names.sorted()
}

/// One packet copied out of a capture file.
struct CorpusPacket {
    var linkType: LinkType
    var capturedLength: UInt32
    var originalLength: UInt32
    var frameNumber: UInt64
    var bytes: [UInt8]
}

/// Every packet the reader delivers from `name` (up to a damaged spot), and the error if any.
func corpusPackets(_ name: String) -> (packets: [CorpusPacket], error: CaptureFileError?) {
    var packets: [CorpusPacket] = []
    do {
        var reader = try CaptureReader(path: corpusDirectory + "/" + name)
        var record = CaptureRecord()
        while let bytes = try reader.next(&record) {
            packets.append(CorpusPacket(
                linkType: record.linkType, capturedLength: record.capturedLength,
                originalLength: record.originalLength, frameNumber: record.frameNumber, bytes: Array(bytes)))
        }
        return (packets, nil)
    } catch {
        return (packets, error)
    }
}

/// All packets of all corpus files (empty when the corpus is absent).
let allCorpusPackets: [CorpusPacket] = corpusAvailable ? corpusCaptures().flatMap { corpusPackets($0).packets } : []

func readWholeFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65536, f) }
        if n == 0 { break }
        out += chunk[0..<n]
    }
    return out
}
