// Catalog lookups per packet: the built-in catalogs and a 10,000-entry catalog must cost the same.
import Benchmark
import BenchSupport
import PacketWire
import PortCatalog

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, packetsPerSecond],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 50
    )
    // The ports of a realistic mix: both ports of every TCP/UDP packet of a generated capture.
    let file = BenchSupport.capture(packets: 100_000, flows: 10_000)
    var lookups: [(Transport, UInt16)] = []
    let decoder = PacketDecoder()
    var summary = PacketSummary()
    for (record, bytes) in BenchSupport.packets(of: file) {
        decoder.decode(bytes, linkType: record.linkType, into: &summary)
        guard summary.inner.hasPorts, let t = Transport(summary.inner.proto) else { continue }
        lookups.append((t, summary.inner.destinationPort))
        lookups.append((t, summary.inner.sourcePort))
    }
    let ports = lookups

    for (name, catalog) in [("Catalog lookup built-in", BenchSupport.builtInCatalog()),
                            ("Catalog lookup 10,000 entries", BenchSupport.largeCatalog(entries: 10_000))] {
        Benchmark(name) { benchmark in
            let roles = RoleSet(bits: 0b101)
            var hits = 0
            benchmark.startMeasurement()
            let t0 = BenchSupport.now()
            for (t, port) in ports {
                let c = catalog.candidates(t, port)
                hits &+= c.count
                if c.count > 0 { hits &+= Int(catalog.best(t, port, roles: roles)) }
            }
            benchmark.stopMeasurement()
            BenchSupport.report(benchmark, packets: ports.count, since: t0)
            blackHole(hits)
        }
    }
}
