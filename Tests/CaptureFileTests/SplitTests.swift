import TestSupport
import CaptureFile
import Glibc
import PacketWire
import Testing

/// `analyze --threads` cuts pcap files at record boundaries found by a heuristic
/// (`pcapRecordBoundary`) and reads ranges from there (`seek(toRecordAt:packetsBefore:)`).
@Suite struct SplitTests {
    static let repoCaptures = repositoryRoot + "/Captures"

    /// The pcap files of Captures/ and of the corpus (pcapng: `pcapngCutsReadLikeTheWholeFile`).
    static func pcapFiles() -> [String] {
        var out: [String] = []
        for (dir, names) in [(repoCaptures, fileNames(in: repoCaptures) { $0.hasSuffix(".pcap") }), (corpusDirectory, corpusCaptures())] {
            for name in names {
                guard let file = try? MappedFile(path: dir + "/" + name),
                      let reader = try? CaptureReader(file: file), reader.canSplit, reader.fileLinkType != nil
                else { continue }
                out.append(dir + "/" + name)
            }
        }
        return out
    }


    /// From almost any offset the heuristic finds the next real record (a later one, or a place
    /// that is no record — which the walk of the range before refuses — are rare); on the
    /// project's captures always the next one.
    @Test func boundariesAreTheNextRecord() throws {
        var probes = 0, exact = 0, none = 0, wrong = 0
        for path in SplitTests.pcapFiles() {
            let file = try MappedFile(path: path)
            var reader = try CaptureReader(file: file)
            var record = CaptureRecord()
            var offsets: [Int] = []
            while (try? reader.next(&record)) ?? nil != nil { offsets.append(Int(record.fileOffset)) }
            guard let firstRecord = offsets.first else { continue }
            let splitter = try CaptureReader(file: file)
            let ours = path.hasPrefix(SplitTests.repoCaptures)
            let step = max(1, (file.count - firstRecord) / 97)
            for o in stride(from: firstRecord, to: file.count, by: step) {
                probes += 1
                let next = offsets.first(where: { $0 >= o })
                let found = splitter.pcapRecordBoundary(atOrAfter: o)
                if found == next {
                    exact += 1
                    continue
                }
                #expect(!ours, Comment(rawValue: "\(path): from \(o) found \(String(describing: found)), next record at \(String(describing: next))"))
                guard let found else {
                    none += 1
                    continue
                }
                // A later real record is a good cut too (the range before reads every record that
                // starts before it); a place that is no record is refused by the walk before it.
                if !offsets.contains(found) { wrong += 1 }
            }
        }
        // About 97 probes per file: the project's 8 pcap files alone, or with the corpus's.
        #expect(probes > (corpusAvailable ? 1000 : 700), Comment(rawValue: "\(probes) probes"))
        #expect(exact * 100 > probes * 95, Comment(rawValue: "\(exact) of \(probes) exact, \(none) none, \(wrong) wrong"))
        #expect(wrong * 100 < probes, Comment(rawValue: "\(wrong) of \(probes) probes found no record"))
    }

    /// A reader seeked to a record reads exactly the records a full walk reads from there, with
    /// frame numbers after `packetsBefore`, and reports damage at the same offset.
    @Test func seekReadsTheRestOfTheFile() throws {
        for path in SplitTests.pcapFiles().filter({ $0.hasPrefix(SplitTests.repoCaptures) }) {
            let file = try MappedFile(path: path)
            var reader = try CaptureReader(file: file)
            var record = CaptureRecord()
            var all: [(CaptureRecord, [UInt8])] = []
            while let b = try reader.next(&record) { all.append((record, Array(b))) }
            for k in [1, all.count / 2, all.count - 1] where k > 0 && k < all.count {
                var part = try CaptureReader(file: file)
                part.seek(toRecordAt: Int(all[k].0.fileOffset), packetsBefore: UInt64(k))
                var i = k
                while let b = try part.next(&record) {
                    #expect(record == all[i].0 && Array(b) == all[i].1, Comment(rawValue: "\(path) record \(i)"))
                    i += 1
                }
                #expect(i == all.count)
            }
        }
    }

    /// pcapng files of Captures/ and of the corpus, cut where `pcapngBlockBoundary` says: a copy
    /// of the reader that read the preamble, seeked there, reads exactly the packets the whole
    /// walk reads from there on — or, if a section header or interface block came between, the
    /// cut is one `analyze --threads` refuses (`structureBlocks` moved).
    @Test func pcapngCutsReadLikeTheWholeFile() throws {
        var cuts = 0, real = 0
        let names = (fileNames(in: SplitTests.repoCaptures) { $0.hasSuffix(".pcapng") }.map { SplitTests.repoCaptures + "/" + $0 })
            + corpusCaptures().map { corpusDirectory + "/" + $0 }
        for path in names {
            guard let file = try? MappedFile(path: path), var prepared = try? CaptureReader(file: file),
                  prepared.fileLinkType == nil, (try? prepared.prepareSplit()) != nil else { continue }
            let blocks = SplitTests.blockOffsets(file.bytes)
            var whole = prepared
            var record = CaptureRecord()
            var packets: [(UInt64, [UInt8])] = []
            var structureAt: [UInt64] = []  // structure blocks seen up to each packet
            while let b = try? whole.next(&record) {
                packets.append((record.fileOffset, Array(b)))
                structureAt.append(whole.structureBlocks)
            }
            let step = max(4, file.count / 23)
            for o in stride(from: Int(prepared.offset), to: file.count, by: step) {
                guard let cut = prepared.pcapngBlockBoundary(atOrAfter: o) else { continue }
                cuts += 1
                #expect(cut >= o && cut % 4 == 0)
                // A place inside a block that looks like blocks: the walk of the range before
                // never lands there, so the cut is refused. Counted, and rare.
                guard blocks.contains(cut) else { continue }
                real += 1
                guard let first = packets.firstIndex(where: { $0.0 >= UInt64(cut) }),
                      structureAt[first] == prepared.structureBlocks else { continue }
                var part = prepared
                part.seek(toRecordAt: cut, packetsBefore: UInt64(first))
                var i = first
                while i < packets.count, let b = try? part.next(&record) {
                    #expect(record.fileOffset == packets[i].0 && Array(b) == packets[i].1,
                            Comment(rawValue: "\(path): cut at \(cut), packet \(i)"))
                    i += 1
                }
                #expect(i == packets.count, Comment(rawValue: "\(path): cut at \(cut) read \(i - first) of \(packets.count - first)"))
            }
        }
        #expect(cuts > (corpusAvailable ? 100 : 40), Comment(rawValue: "\(cuts) cuts"))
        #expect(real * 10 > cuts * 9, Comment(rawValue: "\(real) of \(cuts) cuts are blocks"))
    }

    /// Offsets of every pcapng block, walked by their lengths (each section's byte order from its
    /// header's magic), up to the first that does not fit.
    static func blockOffsets(_ b: UnsafeRawBufferPointer) -> Set<Int> {
        var out: Set<Int> = []
        var off = 0
        var big = false
        while off + 12 <= b.count {
            let type = b.loadUnaligned(fromByteOffset: off, as: UInt32.self)
            if type == 0x0A0D_0D0A {
                big = b.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self) == 0x4D3C_2B1A
            }
            let raw = b.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self)
            let length = Int(big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            guard length >= 12, length % 4 == 0, off + length <= b.count else { break }
            out.insert(off)
            off += length
        }
        return out
    }
}
