// Walking mapped capture files, decoding a realistic mix, and generating captures.
import Benchmark
import BenchSupport
import CaptureFile
import PacketWire
import TrafficSynth

let withMemory: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident, packetsPerSecond]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // No peakMemoryResident by default: its sampler allocates while a benchmark runs, and the
        // per-packet loops are pinned at zero allocations.
        metrics: [.wallClock, .throughput, .mallocCountTotal, packetsPerSecond],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 30
    )
    let pcap = BenchSupport.capture(packets: 200_000, flows: 20_000)
    let pcapng = BenchSupport.capture(packets: 200_000, flows: 20_000, format: .pcapng)

    for (name, file) in [("Walk mapped pcap 200k packets", pcap), ("Walk mapped pcapng 200k packets", pcapng)] {
        Benchmark(name) { benchmark in
            do {
                var reader = try CaptureReader(file: file)
                var record = CaptureRecord()
                var n = 0
                var bytesSeen = 0
                // The first packet outside the measurement: it reads the pcapng interface block,
                // which allocates its description once per file, not per packet.
                if let first = try reader.next(&record) {
                    n = 1
                    bytesSeen = first.count
                }
                benchmark.startMeasurement()
                let t0 = BenchSupport.now()
                while let bytes = try reader.next(&record) {
                    n &+= 1
                    bytesSeen &+= bytes.count
                }
                benchmark.stopMeasurement()
                BenchSupport.report(benchmark, packets: n, since: t0)
                blackHole(bytesSeen)
            } catch {
                fatalError("\(error)")
            }
        }
    }

    let views = BenchSupport.packets(of: pcap)
    nonisolated(unsafe) let packets = views
    Benchmark("Decode mix 200k packets") { benchmark in
        let decoder = PacketDecoder(options: DecoderOptions(vxlanPorts: [4789, 64000]))
        var summary = PacketSummary()
        var ported = 0
        benchmark.startMeasurement()
        let t0 = BenchSupport.now()
        for (record, bytes) in packets {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            if summary.inner.hasPorts { ported &+= 1 }
        }
        benchmark.stopMeasurement()
        BenchSupport.report(benchmark, packets: packets.count, since: t0)
        blackHole(ported)
    }

    Benchmark("Generate 200k packets", configuration: .init(metrics: withMemory)) { benchmark in
        let synth = TrafficSynth(SynthConfiguration(packets: 200_000, flows: 20_000))
        var total = 0
        let t0 = BenchSupport.now()
        let stats = synth.generate { chunk in total &+= chunk.count }
        BenchSupport.report(benchmark, packets: stats.packets, since: t0)
        blackHole(total)
    }
}
