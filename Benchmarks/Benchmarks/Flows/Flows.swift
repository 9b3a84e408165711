// The flow table at 10 thousand and 1 million flows (insert: summaries straight into the table;
// update: frames through the CLI's loop), the whole analyze pipeline, and report
// rendering with 100,000 flows.
import Benchmark
import BenchSupport
import CaptureFile
import FlowAnalysis
import PacketWire
import Pipeline
import Reports

let withMemory: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident, packetsPerSecond]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // No peakMemoryResident by default: its sampler allocates while a benchmark runs, and the
        // per-packet loops are pinned at zero allocations.
        metrics: [.wallClock, .throughput, .mallocCountTotal, packetsPerSecond],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 20
    )
    let catalog = BenchSupport.builtInCatalog()
    let config = BenchSupport.analyzerConfiguration(catalog: catalog)

    for flows in [10_000, 1_000_000] {
        let label = flows == 10_000 ? "10k" : "1M"

        // Insert: a new table each iteration (allocates as the table grows).
        Benchmark("Flow insert \(label) flows", configuration: .init(metrics: withMemory)) { benchmark in
            var analyzer = FlowAnalyzer(configuration: config)
            var summary = PacketSummary()
            benchmark.startMeasurement()
            let t0 = BenchSupport.now()
            for i in 0..<flows {
                BenchSupport.flowPacket(i, 0, into: &summary)
                analyzer.process(BenchSupport.record(i), summary: summary)
            }
            benchmark.stopMeasurement()
            BenchSupport.report(benchmark, packets: flows, since: t0)
            blackHole(analyzer.flowCount)
        }

        // Update: a capture whose conversations the analyzer has already seen, read again through
        // the loop `portolan analyze` runs (`CaptureRead.whole`: frames into `process(record, bytes)`),
        // so known flows take the CLI's path. No allocation per packet.
        let updates = BenchSupport.midstream(packets: 2 * flows, flows: flows, snaplen: 96)
        let updatePackets = BenchSupport.packets(of: updates).count
        let box = Box(FlowAnalyzer(configuration: config))
        Benchmark("Flow update \(label) flows", configuration: .init(warmupIterations: 1)) { benchmark in
            var analyzer = FlowAnalyzer(configuration: config)
            swap(&analyzer, &box.value)
            var progress = Pipeline.Progress(enabled: false)
            do {
                if analyzer.flowCount == 0 {
                    let source = analyzer.addSource(name: updates.path)
                    try CaptureRead.whole(updates, into: &analyzer, sourceIndex: source, progress: &progress)
                }
                benchmark.startMeasurement()
                let t0 = BenchSupport.now()
                try CaptureRead.whole(updates, into: &analyzer, sourceIndex: 0, progress: &progress)
                benchmark.stopMeasurement()
                BenchSupport.report(benchmark, packets: updatePackets, since: t0)
            } catch {
                fatalError("\(error)")
            }
            swap(&analyzer, &box.value)
        }
    }

    // The whole pipeline over a generated capture: walk, decode, flows, snapshot.
    let file = BenchSupport.capture(packets: 200_000, flows: 20_000)
    Benchmark("Analyze pipeline 200k packets", configuration: .init(metrics: withMemory)) { benchmark in
        do {
            var analyzer = FlowAnalyzer(configuration: config)
            let source = analyzer.addSource(name: file.path)
            var progress = Pipeline.Progress(enabled: false)
            benchmark.startMeasurement()
            let t0 = BenchSupport.now()
            try CaptureRead.whole(file, into: &analyzer, sourceIndex: source, progress: &progress)
            let snapshot = analyzer.snapshot()
            benchmark.stopMeasurement()
            BenchSupport.report(benchmark, packets: Int(snapshot.accounting.total.packets), since: t0)
            blackHole(snapshot.flows.count)
        } catch {
            fatalError("\(error)")
        }
    }

    // The per-packet part of the pipeline once every flow exists: no allocation per packet. The
    // capture without SYN/FIN/RST, so that reading it again updates the same connections.
    let steadyFile = BenchSupport.midstream(packets: 200_000, flows: 20_000)
    let steady = Box(FlowAnalyzer(configuration: config))
    let steadyPackets = BenchSupport.packets(of: steadyFile).count
    Benchmark("Analyze steady state 200k packets") { benchmark in
        do {
            var analyzer = FlowAnalyzer(configuration: config)
            swap(&analyzer, &steady.value)
            var progress = Pipeline.Progress(enabled: false)
            if analyzer.flowCount == 0 {
                let source = analyzer.addSource(name: steadyFile.path)
                try CaptureRead.whole(steadyFile, into: &analyzer, sourceIndex: source, progress: &progress)
            }
            benchmark.startMeasurement()
            let t0 = BenchSupport.now()
            try CaptureRead.whole(steadyFile, into: &analyzer, sourceIndex: 0, progress: &progress)
            benchmark.stopMeasurement()
            BenchSupport.report(benchmark, packets: steadyPackets, since: t0)
            swap(&analyzer, &steady.value)
        } catch {
            fatalError("\(error)")
        }
    }

    // The flows of a capture written as JSON Lines, as `analyze --format jsonl` streams them (each
    // line from the flow's facts into one reused buffer, to /dev/null). The texts a run repeats are
    // escaped once and kept, so the allocations are a fixed set-up, not one per flow: the
    // threshold pins them (20,000 flows; one allocation per flow would add 20,000).
    let jsonlFile = BenchSupport.capture(packets: 200_000, flows: 20_000)
    let jsonl = Box(FlowAnalyzer(configuration: config))
    Benchmark("JSONL flows 20k", configuration: .init(maxIterations: 10)) { benchmark in
        do {
            var analyzer = FlowAnalyzer(configuration: config)
            swap(&analyzer, &jsonl.value)
            if analyzer.flowCount == 0 {
                let source = analyzer.addSource(name: jsonlFile.path)
                var progress = Pipeline.Progress(enabled: false)
                try CaptureRead.whole(jsonlFile, into: &analyzer, sourceIndex: source, progress: &progress)
            }
            var out = try OutputFile(path: "/dev/null")
            benchmark.startMeasurement()
            let t0 = BenchSupport.now()
            _ = writeReport(analyzer, format: .jsonl, to: &out)
            try out.flush()
            benchmark.stopMeasurement()
            BenchSupport.report(benchmark, packets: analyzer.flowCount, since: t0)
            try out.close()
            swap(&analyzer, &jsonl.value)
        } catch {
            fatalError("\(error)")
        }
    }

    // Report rendering: a snapshot of 100,000 flows.
    var builder = FlowAnalyzer(configuration: config)
    var summary = PacketSummary()
    for i in 0..<100_000 {
        for k in 0..<3 {
            BenchSupport.flowPacket(i, k, into: &summary)
            builder.process(BenchSupport.record(3 * i + k), summary: summary)
        }
    }
    let snapshot = builder.snapshot()
    for format in [ReportFormat.table, .json, .csv] {
        Benchmark("Report \(format.rawValue) 100k flows", configuration: .init(metrics: withMemory, maxIterations: 5)) { benchmark in
            let t0 = BenchSupport.now()
            let text = render(snapshot, format: format)
            BenchSupport.report(benchmark, packets: snapshot.flows.count, since: t0)
            blackHole(text.utf8.count)
        }
    }
}
