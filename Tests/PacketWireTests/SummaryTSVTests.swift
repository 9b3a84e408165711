import CaptureFile
import PacketWire
import Reports
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SummaryTSVTests {
    @Test func linesHaveNineteenColumns() {
        var out: [UInt8] = []
        SummaryTSV.appendLine(frame: 7, linkType: .ethernet, capturedLength: 60, originalLength: 60,
                              summary: decode(Fixtures.icmpUnreachUDP), inner: false, to: &out)
        let line = String(decoding: out, as: UTF8.self)
        #expect(line == "7\t1\t4\t192.0.2.1\t10.0.0.2\t1\t\t\t\t3\t3\t10.0.0.2\t198.51.100.7\t17\t33434\t53\t60\t60\t\n")
    }

    @Test func tcpFlagsAndVLANs() {
        var out: [UInt8] = []
        var s = decode(Fixtures.vxlan)
        s.vlanCount = 2
        s.vlans = (5, 6, 0, 0)
        SummaryTSV.appendLine(frame: 1, linkType: .ethernet, capturedLength: 1, originalLength: 2,
                              summary: s, inner: true, to: &out)
        #expect(String(decoding: out, as: UTF8.self)
                == "1\t1\t4\t10.9.0.1\t10.9.0.2\t6\t1234\t8080\t0x010\t\t\t\t\t\t\t\t1\t2\t5,6,10\n")
    }

    @Test func noIPHeaderLeavesColumnsEmpty() {
        var out: [UInt8] = []
        SummaryTSV.appendLine(frame: 3, linkType: LinkType(160), capturedLength: 23, originalLength: 23,
                              summary: PacketSummary(), inner: false, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "3\t160\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t23\t23\t\n")
    }

    @Test func ipv6TextMatchesRFC5952() {
        // The word-at-a-time formatter against a plain one written from RFC 5952's rules, on
        // patterns rich in zero runs (ties, runs at either end, single zero groups).
        var rng = SplitMix64(seed: 5952)
        for round in 0..<20000 {
            var groups = [UInt64](repeating: 0, count: 8)
            if round < 256 {
                // Every zero/non-zero pattern once, with values of every digit count.
                for g in 0..<8 where round >> g & 1 == 1 { groups[g] = [0x1, 0x2a, 0xf00, 0xabcd][g % 4] }
            } else {
                for g in 0..<8 where rng.next() % 3 == 0 {
                    groups[g] = rng.next() & [0xF, 0xFF, 0xFFF, 0xFFFF][Int(rng.next() % 4)]
                }
            }
            let high = groups[0] << 48 | groups[1] << 32 | groups[2] << 16 | groups[3]
            let low = groups[4] << 48 | groups[5] << 32 | groups[6] << 16 | groups[7]
            let a = IPAddress(high: high, low: low)
            var out: [UInt8] = []
            SummaryTSV.appendAddress(a, version: 6, &out)
            #expect(String(decoding: out, as: UTF8.self) == rfc5952(groups), "\(groups)")
            #expect(a.text(version: 6) == rfc5952(groups))
        }
    }

    /// RFC 5952 written out plainly: lower case, no leading zeros, the first longest run of two or
    /// more zero groups as "::", and `::ffff:a.b.c.d` for IPv4-mapped addresses.
    func rfc5952(_ groups: [UInt64]) -> String {
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return "::ffff:\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        var best = (start: -1, length: 0)
        var g = 0
        while g < 8 {
            var e = g
            while e < 8 && groups[e] == 0 { e += 1 }
            if e - g > best.length { best = (g, e - g) }
            g = max(e, g + 1)
        }
        let hex = groups.map { String($0, radix: 16) }
        if best.length < 2 { return hex.joined(separator: ":") }
        return hex[0..<best.start].joined(separator: ":") + "::"
            + hex[(best.start + best.length)...].joined(separator: ":")
    }

    @Test func everyIPv4Octet() {
        for o: UInt32 in 0...255 {
            var out: [UInt8] = []
            SummaryTSV.appendAddress(IPAddress(v4: o << 24 | o << 16 | (255 - o) << 8 | o), version: 4, &out)
            #expect(String(decoding: out, as: UTF8.self) == "\(o).\(o).\(255 - o).\(o)")
        }
    }

    /// decode's writer (fast path lines, frame numbers counted on as text, lengths copied) prints
    /// what `appendLine` prints for the full summary: every frame of every capture of Captures/
    /// and of the corpus, with and without --inner.
    @Test func writerMatchesAppendLine() throws {
        var paths = fileNames(in: repositoryRoot + "/Captures") { $0.contains(".pcap") }
            .map { repositoryRoot + "/Captures/" + $0 }
        paths += corpusCaptures().map { corpusDirectory + "/" + $0 }
        #expect(paths.count >= 10)
        let decoder = PacketDecoder(options: DecoderOptions(vxlanPorts: [4789, 8472]))
        var fastFrames = 0
        for path in paths {
            for inner in [false, true] {
                var want: [UInt8] = []
                var summary = PacketSummary()
                var record = CaptureRecord()
                if var reader = try? CaptureReader(path: path) {
                    while let bytes = try? reader.next(&record) {
                        decoder.decode(bytes, linkType: record.linkType, into: &summary)
                        SummaryTSV.appendLine(frame: record.frameNumber, linkType: record.linkType,
                                              capturedLength: record.capturedLength,
                                              originalLength: record.originalLength,
                                              summary: summary, inner: inner, to: &want)
                        if !inner && decoder.fastFrame(bytes, linkType: record.linkType) != nil { fastFrames += 1 }
                    }
                }
                let got = try writerOutput(decoder: decoder, inner: inner, blockSize: SummaryTSV.Writer.minimumBlock + 1024) { frame in
                    guard var reader = try? CaptureReader(path: path) else { return }
                    while let bytes = try? reader.next(&record) { if !frame(record, bytes) { break } }
                }
                #expect(got == want, "\(path) inner: \(inner)")
            }
        }
        #expect(fastFrames > 1000)
    }

    @Test func writerFrameNumbersAcrossDigitCounts() throws {
        // Consecutive numbers are counted on as text; any other number is formatted afresh.
        let numbers: [UInt64] = [1, 2, 9, 10, 11, 99, 100, 101, 7, 8, 999, 1000, 99_999, 100_000, 3,
                                 9_999_999_999, 10_000_000_000, UInt64.max - 1, UInt64.max, 1]
        let frame: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00] + ipv4UDP
        let decoder = PacketDecoder()
        var want: [UInt8] = []
        var record = CaptureRecord()
        record.linkType = .ethernet
        record.capturedLength = UInt32(frame.count)
        record.originalLength = 1514
        for n in numbers {
            frame.withUnsafeBytes { raw in
                var s = PacketSummary()
                decoder.decode(raw, linkType: .ethernet, into: &s)
                SummaryTSV.appendLine(frame: n, linkType: .ethernet, capturedLength: record.capturedLength,
                                      originalLength: 1514, summary: s, inner: false, to: &want)
            }
        }
        let got = try writerOutput(decoder: decoder, inner: false, blockSize: SummaryTSV.Writer.minimumBlock) { write in
            for n in numbers {
                record.frameNumber = n
                _ = frame.withUnsafeBytes { write(record, $0) }
            }
        }
        #expect(String(decoding: got, as: UTF8.self) == String(decoding: want, as: UTF8.self))
        #expect(String(decoding: got, as: UTF8.self).hasPrefix("1\t1\t4\t192.0.2.1\t198.51.100.7\t17\t53\t33434\t"))
    }

    @Test func writerIPv6AddressCacheHitsAndEvictions() throws {
        // 3,000 IPv6 frames over 2,000 addresses: repeats (cache hits), and more addresses than
        // the cache's 1,024 entries (evictions, slot collisions); zero runs of every length.
        var rng = SplitMix64(seed: 6)
        let pool: [(UInt64, UInt64)] = (0..<2000).map { _ in
            let mask: UInt64 = [0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_0000_0000_FFFF, 0xFFFF_0000_0000_0000, 0][Int(rng.next() % 4)]
            return (0xFD00_0000_0000_0000 | rng.next() & mask, rng.next() & [0xFFFF, 0xFFFF_FFFF, UInt64.max][Int(rng.next() % 3)])
        }
        var frames: [[UInt8]] = []
        for _ in 0..<3000 {
            let s = pool[Int(rng.next() % 2000)], d = pool[Int(rng.next() % 300)]
            var f: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xDD, 0x60, 0, 0, 0, 0, 12, 17, 64]
            for v in [s.0, s.1, d.0, d.1] { f += (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
            f += [0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4]
            frames.append(f)
        }
        let decoder = PacketDecoder()
        var want: [UInt8] = []
        for (i, f) in frames.enumerated() {
            f.withUnsafeBytes { raw in
                var s = PacketSummary()
                decoder.decode(raw, linkType: .ethernet, into: &s)
                #expect(s.outer.version == 6 && decoder.fastFrame(raw, linkType: .ethernet) != nil)
                SummaryTSV.appendLine(frame: UInt64(i + 1), linkType: .ethernet, capturedLength: UInt32(f.count),
                                      originalLength: UInt32(f.count), summary: s, inner: false, to: &want)
            }
        }
        let got = try writerOutput(decoder: decoder, inner: false, blockSize: SummaryTSV.Writer.minimumBlock + 4096) { write in
            var record = CaptureRecord()
            record.linkType = .ethernet
            for (i, f) in frames.enumerated() {
                record.frameNumber = UInt64(i + 1)
                record.capturedLength = UInt32(f.count)
                record.originalLength = UInt32(f.count)
                _ = f.withUnsafeBytes { write(record, $0) }
            }
        }
        #expect(got == want)
        #expect(want.count > 3000 * 40)
    }

    /// IPv4 192.0.2.1 → 198.51.100.7, UDP 53 → 33434, 4 bytes of payload.
    let ipv4UDP: [UInt8] = [
        0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7,
        0, 53, 0x82, 0x9A, 0, 12, 0, 0, 1, 2, 3, 4,
    ]

    /// What a `SummaryTSV.Writer` with a block of `blockSize` bytes writes to a file, given the
    /// frames `feed` hands it.
    func writerOutput(decoder: PacketDecoder, inner: Bool, blockSize: Int,
                      _ feed: ((CaptureRecord, UnsafeRawBufferPointer) -> Bool) -> Void) throws -> [UInt8] {
        let path = "/tmp/portolan-summarytsv-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(path) }
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: blockSize)
        defer { block.deallocate() }
        var writer = SummaryTSV.Writer(block: block, decoder: decoder, inner: inner, out: try OutputFile(path: path))
        feed { r, bytes in
            writer.frame(r.frameNumber, linkType: r.linkType, capturedLength: r.capturedLength,
                         originalLength: r.originalLength, bytes)
        }
        try writer.flush()
        try writer.out.close()
        return readWholeFile(path) ?? []
    }

    @Test func decimalEdges() {
        for v: UInt64 in [0, 9, 10, 99, 100, 65535, 4_294_967_295, UInt64.max] {
            var out: [UInt8] = []
            SummaryTSV.appendDecimal(v, &out)
            #expect(String(decoding: out, as: UTF8.self) == String(v))
        }
    }
}

/// Small deterministic PRNG for the property and mutation tests.
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
