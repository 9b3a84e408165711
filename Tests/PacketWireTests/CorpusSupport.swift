import CaptureFile
import PacketWire
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif



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
