import Benchmark
import TrafficSynth

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 20
    )

    Benchmark("Synth 100k packets") { benchmark in
        let synth = TrafficSynth(SynthConfiguration(packets: 100_000, flows: 10_000))
        var total = 0
        for _ in benchmark.scaledIterations {
            let stats = synth.generate { chunk in total &+= chunk.count }
            blackHole(stats)
        }
        blackHole(total)
    }
}
