#if canImport(Glibc)
import TestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CaptureFile
import PacketWire
import Testing

/// Deterministic PRNG (SplitMix64) so every mutation run is reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Reads `bytes` to the end under the invariants every input must keep, damaged or not: no trap,
/// a bounded number of packets, views inside the file, offsets increasing, a sane error.
/// Returns (packets, error).
@discardableResult
func checkedRead(_ bytes: [UInt8], label: String, maxDecompressed: Int = 64 << 20) -> (Int, CaptureFileError?) {
    let file: MappedFile
    do {
        file = try MappedFile(bytes: bytes, name: label, maxDecompressedBytes: maxDecompressed)
    } catch {
        #expect(error.reason == .decompression, "\(label): \(error)")
        return (0, error)
    }
    var reader: CaptureReader
    do {
        reader = try CaptureReader(file: file)
    } catch {
        #expect(error.offset.map { $0 <= UInt64(file.count) } ?? false, "\(label): \(error)")
        return (0, error)
    }
    let lower = UInt(bitPattern: file.bytes.baseAddress!)
    let upper = lower + UInt(file.count)
    let bound = file.count / 12 + 1  // every packet record/block takes at least 12 bytes
    var record = CaptureRecord()
    var packets = 0
    var lastOffset: UInt64? = nil
    do {
        while let view = try reader.next(&record) {
            packets += 1
            if packets > bound {
                Issue.record("\(label): more packets than the file can hold (hang?)")
                return (packets, nil)
            }
            let start = UInt(bitPattern: view.baseAddress ?? file.bytes.baseAddress!)
            if !(start >= lower && start + UInt(view.count) <= upper) {
                Issue.record("\(label): packet \(packets) view outside the file")
            }
            if view.count != Int(record.capturedLength) { Issue.record("\(label): view/caplen mismatch") }
            if let lastOffset, record.fileOffset <= lastOffset { Issue.record("\(label): offsets not increasing") }
            lastOffset = record.fileOffset
            if record.frameNumber != UInt64(packets) { Issue.record("\(label): frame numbers") }
        }
    } catch {
        if let o = error.offset, o > UInt64(file.count) { Issue.record("\(label): error offset past the end: \(error)") }
        if error.packetsBefore != UInt64(packets) { Issue.record("\(label): packetsBefore \(error.packetsBefore) != \(packets)") }
        if error.description.contains("\n") { Issue.record("\(label): multi-line error") }
        // Sticky: the same error again.
        do { _ = try reader.next(&record); Issue.record("\(label): next after an error returned") } catch let again {
            if again != error { Issue.record("\(label): a different error after the first") }
        }
        return (packets, error)
    }
    return (packets, nil)
}

@Suite("Truncation and mutation")
struct RobustnessTests {
    static let pcapRecords = [
        PcapRecordSpec(1, 1, payload(60)), PcapRecordSpec(2, 2, payload(1)), PcapRecordSpec(3, 3, []),
        PcapRecordSpec(4, 4, payload(33)),
    ]

    @Test("pcap cut at every length: complete records, then .truncated at the cut record", arguments: [false, true])
    func pcapTruncationSweep(modified: Bool) {
        let full = makePcap(magic: modified ? 0xA1B2_CD34 : 0xA1B2_C3D4, records: Self.pcapRecords)
        let h = modified ? 24 : 16
        var boundaries = [24]
        for r in Self.pcapRecords { boundaries.append(boundaries.last! + h + r.data.count) }
        #expect(boundaries.last == full.count)
        for length in 0...full.count {
            let (packets, error) = checkedRead(Array(full.prefix(length)), label: "pcap[..<\(length)]")
            if length < 24 {
                #expect(packets == 0 && error?.reason == .truncated && error?.offset == 0, "length \(length)")
                continue
            }
            let complete = boundaries.filter { $0 <= length }.count - 1
            #expect(packets == complete, "length \(length)")
            if boundaries.contains(length) {
                #expect(error == nil, "length \(length): \(String(describing: error))")
            } else {
                #expect(error?.reason == .truncated, "length \(length)")
                #expect(error?.offset == UInt64(boundaries[complete]), "length \(length): \(String(describing: error))")
            }
        }
    }

    @Test("pcapng cut at every length: complete blocks, then .truncated at the cut block")
    func pcapngTruncationSweep() {
        let f = PcapngFixtureTests.threeSections()
        let boundaries = f.blockOffsets + [f.bytes.count]
        for length in 0...f.bytes.count {
            let (packets, error) = checkedRead(Array(f.bytes.prefix(length)), label: "pcapng[..<\(length)]")
            let expectedPackets = f.packetOffsets.filter { start in
                boundaries.first { $0 > start }! <= length
            }.count
            #expect(packets == expectedPackets, "length \(length)")
            if length > 0 && boundaries.contains(length) {
                #expect(error == nil, "length \(length): \(String(describing: error))")
            } else {
                let cut = boundaries.last { $0 <= length }!
                #expect(error?.reason == .truncated, "length \(length): \(String(describing: error))")
                #expect(error?.offset == UInt64(cut), "length \(length): \(String(describing: error))")
            }
        }
    }

    /// Offsets of length fields worth corrupting: pcap caplen/len, pcapng block length, trailer
    /// and captured length of every packet block.
    static func lengthFields(_ bytes: [UInt8]) -> [Int] {
        guard let file = try? MappedFile(bytes: bytes), file.compression == .none,
              var reader = try? CaptureReader(file: file) else { return [] }
        var fields: [Int] = []
        var record = CaptureRecord()
        while let view = try? reader.next(&record) {
            let at = Int(record.fileOffset)
            if case .pcap = reader.format {
                fields += [at + 8, at + 12]
            } else {
                let end = view.baseAddress! - file.bytes.baseAddress! + view.count
                fields += [at + 4, at + 20, (end + 3) & ~3]  // trailer sits after padding (no options)
            }
        }
        return fields.filter { $0 + 4 <= bytes.count }
    }

    static func mutate(_ original: [UInt8], fields: [Int], rng: inout SplitMix64) -> [UInt8] {
        var b = original
        guard !b.isEmpty else { return [UInt8(truncatingIfNeeded: rng.next())] }
        switch rng.next() % 7 {
        case 0:  // a few bit flips anywhere
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] ^= 1 << UInt8(rng.next() % 8)
            }
        case 1:  // bit flips in the file / first block headers
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(min(b.count, 64)))
                b[i] ^= 1 << UInt8(rng.next() % 8)
            }
        case 2:  // truncation
            b.removeLast(Int(rng.next() % UInt64(b.count)))
        case 3:  // a corrupted length field
            let interesting: [UInt32] = [0, 1, 4, 8, 11, 12, 13, 16, 28, 32, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                         0xFFFF_FFFC, 262_144, 262_145, 65535, 65536]
            let at = fields.isEmpty ? Int(rng.next() % UInt64(max(1, b.count - 3))) : fields[Int(rng.next() % UInt64(fields.count))]
            guard at + 4 <= b.count else { break }
            let old = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
            let choices = interesting + [old &+ 1, old &- 1, old &+ 4, old &- 4, old.byteSwapped, UInt32(truncatingIfNeeded: rng.next())]
            var value = choices[Int(rng.next() % UInt64(choices.count))]
            if rng.next() % 2 == 0 { value = value.byteSwapped }  // both byte orders
            for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        case 4:  // a random aligned word
            let at = Int(rng.next() % UInt64(max(1, b.count / 4))) * 4
            let value = UInt32(truncatingIfNeeded: rng.next())
            for k in 0..<4 where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        case 5:  // a duplicated slice (repeated blocks / records)
            let from = Int(rng.next() % UInt64(b.count))
            let len = min(b.count - from, 1 + Int(rng.next() % 256))
            let to = Int(rng.next() % UInt64(b.count + 1))
            b.insert(contentsOf: b[from..<(from + len)], at: to)
        default:  // a deleted slice
            let from = Int(rng.next() % UInt64(b.count))
            let len = min(b.count - from, 1 + Int(rng.next() % 64))
            b.removeSubrange(from..<(from + len))
        }
        return b
    }

    /// Inputs for the mutation run: every corpus file (first 256 KiB; available or not) and the
    /// fixtures.
    static func mutationInputs() -> [(String, [UInt8])] {
        var inputs: [(String, [UInt8])] = [
            ("fixture.pcap", makePcap(records: pcapRecords)),
            ("fixture-modified-be.pcap", makePcap(big: true, magic: 0xA1B2_CD34, records: pcapRecords)),
            ("fixture.pcapng", PcapngFixtureTests.threeSections().bytes),
        ]
        if corpusAvailable {
            for name in corpusCaptures() {
                guard let file = try? MappedFile(path: corpusDirectory + "/" + name) else { continue }
                if file.compression != .none {
                    // Mutate the compressed bytes themselves.
                    if let raw = try? readRaw(corpusDirectory + "/" + name) { inputs.append((name, raw)) }
                    continue
                }
                inputs.append((name, Array(file.bytes.prefix(256 << 10))))
            }
        }
        return inputs
    }

    @Test("seeded mutation of the corpus and fixtures: at least 20,000 inputs, no trap, no hang")
    func mutation() {
        let inputs = Self.mutationInputs()
        let perInput = max(300, 20_000 / inputs.count + 1)
        var total = 0
        var errors = 0
        for (index, (name, bytes)) in inputs.enumerated() {
            var rng = SplitMix64(seed: 0x5EED_0000 + UInt64(index))
            let fields = Self.lengthFields(bytes)
            for i in 0..<perInput {
                let mutated = Self.mutate(bytes, fields: fields, rng: &rng)
                let (_, error) = checkedRead(mutated, label: "\(name) mutation \(i) (seed \(0x5EED_0000 + index))")
                total += 1
                if error != nil { errors += 1 }
            }
        }
        print("mutation: \(inputs.count) inputs, \(total) mutated reads, \(errors) ended in an error")
        #expect(total >= 20_000)
        #expect(errors > total / 10, "mutations should mostly hit checks: \(errors) errors in \(total)")
    }
}

/// The raw bytes of a file without decompression (to mutate compressed inputs).
func readRaw(_ path: String) throws -> [UInt8] {
    var st = stat()
    guard stat(path, &st) == 0, let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out = [UInt8](repeating: 0, count: Int(st.st_size))
    let n = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
    return Array(out.prefix(n))
}
