import CaptureFile
import FlowAnalysis
import PacketWire
import PortCatalog
import Testing
import TrafficSynth

/// Reads every packet of a generated capture (held in memory) through the real reader.
private func packets(_ bytes: [UInt8]) throws -> [(CaptureRecord, [UInt8])] {
    let file = try MappedFile(bytes: bytes)
    var reader = try CaptureReader(file: file)
    var record = CaptureRecord()
    var out: [(CaptureRecord, [UInt8])] = []
    while let b = try reader.next(&record) { out.append((record, Array(b))) }
    return out
}

private func fnv(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
}

@Suite struct TrafficSynthTests {
    let small = SynthConfiguration(packets: 20_000, flows: 2_000, seed: 7)

    @Test func sameSeedSameBytesOtherSeedOtherBytes() {
        let a = TrafficSynth(small).bytes()
        let b = TrafficSynth(small).bytes()
        var other = small
        other.seed = 8
        #expect(a == b)
        #expect(fnv(a) != fnv(TrafficSynth(other).bytes()))
    }

    @Test func exactPacketCountAndStatistics() throws {
        var stats = SynthStatistics()
        var bytes: [UInt8] = []
        stats = TrafficSynth(small).generate { bytes.append(contentsOf: $0) }
        let read = try packets(bytes)
        #expect(read.count == 20_000)
        #expect(stats.packets == 20_000)
        #expect(stats.conversations == 2_000)
        #expect(stats.fileBytes == bytes.count)
        #expect(stats.wireBytes == read.reduce(0) { $0 + Int($1.0.originalLength) })
        #expect(stats.ipv6Packets > 0 && stats.vlanPackets > 0 && stats.icmpErrors > 0 && stats.arpPackets > 0)
        // Timestamps increase and frames are at least Ethernet's minimum.
        for i in 1..<read.count { #expect(read[i].0.timestampNanos > read[i - 1].0.timestampNanos) }
        #expect(read.allSatisfy { $0.0.capturedLength >= 60 && $0.0.capturedLength == $0.0.originalLength })
    }

    @Test func pcapAndPcapngCarryTheSameFrames() throws {
        var ng = small
        ng.format = .pcapng
        let a = try packets(TrafficSynth(small).bytes())
        let b = try packets(TrafficSynth(ng).bytes())
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.1 == y.1)
            #expect(x.0.timestampNanos == y.0.timestampNanos)
        }
    }

    @Test func snaplenTruncatesCapturedBytesOnly() throws {
        var cut = small
        cut.snaplen = 96
        let full = try packets(TrafficSynth(small).bytes())
        let short = try packets(TrafficSynth(cut).bytes())
        for (f, s) in zip(full, short) {
            #expect(s.0.originalLength == f.0.originalLength)
            #expect(Int(s.0.capturedLength) == min(96, f.1.count))
            #expect(s.1 == Array(f.1.prefix(96)))
        }
    }

    @Test func everyFrameDecodesAndTheAnalyzerAccountsForAll() throws {
        let decoder = PacketDecoder()
        var summary = PacketSummary()
        let read = try packets(TrafficSynth(small).bytes())
        for (record, bytes) in read {
            bytes.withUnsafeBytes { decoder.decode($0, linkType: record.linkType, into: &summary) }
            #expect(summary.stop == nil, "frame \(record.frameNumber): \(summary.stop.map { "\($0)" } ?? "")")
            if summary.etherType == .arp { continue }
            #expect(summary.outer.version == 4 || summary.outer.version == 6)
        }

        let catalog = try CompiledCatalog.builtIn()
        var inventory = Inventory()
        for spec in SynthTopology.roleSpecs { try inventory.addRole(spec, catalog: catalog) }
        var analyzer = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: catalog, inventory: inventory))
        _ = analyzer.addSource(name: "synth")
        for (record, bytes) in read { bytes.withUnsafeBytes { analyzer.process(record, $0) } }
        let s = analyzer.snapshot()
        let a = s.accounting
        #expect(a.total.packets == 20_000)
        #expect(a.undecodable.packets == 0)
        #expect(a.icmpUnmatched.packets == 0)
        #expect(a.flows.packets + a.icmpMatched.packets + a.otherIP.packets + a.nonIP.packets == a.total.packets)
        // The mix exercises every verdict.
        let seen = Set(s.flows.map(\.verdict))
        for v in Verdict.allCases { #expect(seen.contains(v), "no \(v.rawValue) flow") }
    }

    @Test func inventoryYAMLNamesEveryHost() {
        let yaml = SynthTopology.inventoryYAML
        #expect(yaml.contains("10.10.0.11") && yaml.contains("fd00:10::11") && yaml.contains("dynatrace-node"))
        #expect(SynthTopology.roleSpecs.count == 3)
    }
}
