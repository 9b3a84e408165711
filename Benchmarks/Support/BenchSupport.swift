// Shared set-up for the benchmark targets: generated captures, packet views, synthetic flows,
// a large catalog, and the packets/s metric. Nothing here is measured.

import Benchmark
import CaptureFile
import FlowAnalysis
import PacketWire
import PortCatalog
import TrafficSynth

#if canImport(Glibc)
import Glibc
#endif

/// packets/s of one benchmark iteration (larger is better).
public let packetsPerSecond = BenchmarkMetric.custom("packets/s", polarity: .prefersLarger, useScalingFactor: false)

public enum BenchSupport {
    /// A generated capture in /tmp (regenerated each run: generation is deterministic and fast).
    public static func capture(packets: Int, flows: Int, format: SynthFormat = .pcap, snaplen: Int = 65_535) -> MappedFile {
        let path = "/tmp/portolan-benchmarks-\(packets)-\(flows)-\(snaplen).\(format.rawValue)"
        let config = SynthConfiguration(packets: packets, flows: flows, format: format, snaplen: snaplen)
        do {
            _ = try TrafficSynth(config).write(path: path)
            return try MappedFile(path: path)
        } catch {
            fatalError("benchmark set-up: \(error)")
        }
    }

    /// `capture(…)` without its TCP SYN, FIN and RST segments: conversations already in progress,
    /// so reading it again into the analyzer that read it once updates known flows only. (With
    /// the SYNs, each re-read would start new connections on the same 5-tuples, as Zeek does, and
    /// measure connection churn instead of the steady state.)
    public static func midstream(packets: Int, flows: Int, snaplen: Int = 65_535) -> MappedFile {
        let whole = capture(packets: packets, flows: flows, snaplen: snaplen)
        let path = "/tmp/portolan-benchmarks-\(packets)-\(flows)-\(snaplen)-midstream.pcap"
        let decoder = PacketDecoder()
        do {
            var writer = try PcapWriter(path: path, linkType: .ethernet, snaplen: UInt32(snaplen))
            var reader = try CaptureReader(file: whole)
            var record = CaptureRecord()
            var summary = PacketSummary()
            while let bytes = try reader.next(&record) {
                decoder.decode(bytes, linkType: record.linkType, into: &summary)
                let h = summary.outer
                if h.hasTCPFlags && h.tcpFlags & 0x07 != 0 { continue }  // FIN 0x01, SYN 0x02, RST 0x04
                try writer.write(record, bytes)
            }
            try writer.close()
            return try MappedFile(path: path)
        } catch {
            fatalError("benchmark set-up: \(error)")
        }
    }

    /// Every packet of a capture as (record, view into the mapping); the file must stay alive.
    public static func packets(of file: MappedFile) -> [(CaptureRecord, UnsafeRawBufferPointer)] {
        var out: [(CaptureRecord, UnsafeRawBufferPointer)] = []
        do {
            var reader = try CaptureReader(file: file)
            var record = CaptureRecord()
            while let bytes = try reader.next(&record) { out.append((record, bytes)) }
        } catch {
            fatalError("benchmark set-up: \(error)")
        }
        return out
    }

    /// Built-in catalogs (DC/OS 1.8 + Dynatrace Managed).
    public static func builtInCatalog() -> CompiledCatalog {
        do { return try CompiledCatalog.builtIn() } catch { fatalError("benchmark set-up: \(error)") }
    }

    /// The built-in catalogs plus a generated catalog of `entries` single-port and range entries
    /// spread over both transports: lookups must cost the same as with the built-in ones.
    public static func largeCatalog(entries: Int) -> CompiledCatalog {
        do {
            var catalogs = try Catalog.builtInIDs.map { id throws(CatalogError) in try Catalog.builtIn(id) }
            var list: [CatalogEntry] = []
            for i in 0..<entries {
                let t: Transport = i % 3 == 0 ? .udp : .tcp
                let port = UInt16(1024 + (i &* 7919) % 64_000)
                let ports: ClosedRange<UInt16> = i % 10 == 0 ? port...min(port &+ 20, 65_535) : port...port
                list.append(CatalogEntry(catalogID: "bench-large", component: "component-\(i)", transport: t,
                                         ports: ports, roles: ["role-\(i % 8)"], source: "generated #\(i)"))
            }
            let roles = (0..<8).map { (name: "role-\($0)", description: "generated role \($0)") }
            catalogs.append(Catalog(id: "bench-large", title: "10,000 generated entries", roles: roles, entries: list))
            return CompiledCatalog(catalogs)
        } catch {
            fatalError("benchmark set-up: \(error)")
        }
    }

    /// The analyzer configuration `portolan bench` uses: built-in catalogs and the synthetic
    /// cluster's inventory.
    public static func analyzerConfiguration(catalog: CompiledCatalog) -> AnalyzerConfiguration {
        var inventory = Inventory()
        do {
            for spec in SynthTopology.roleSpecs { try inventory.addRole(spec, catalog: catalog) }
        } catch {
            fatalError("benchmark set-up: \(error)")
        }
        return AnalyzerConfiguration(catalog: catalog, inventory: inventory)
    }

    /// Fills `s` as the `k`-th packet of synthetic TCP flow `i` (agent → master, ports from `i`):
    /// packet 0 is the SYN, then ACK/data in both directions. No capture needed, so the flow
    /// table can be driven at a million flows.
    @inline(__always)
    public static func flowPacket(_ i: Int, _ k: Int, into s: inout PacketSummary) {
        s = PacketSummary()
        s.etherType = .ipv4
        // (client, client port) is unique per flow up to 64,000 × 65,536 flows.
        let client = IPAddress(v4: 0x0A0B_0000 &+ UInt32(truncatingIfNeeded: i / 64_000))
        let server = IPAddress(v4: 0x0A0A_000B &+ UInt32(i % 3))
        let clientPort = UInt16(truncatingIfNeeded: 1024 + i % 64_000)
        let fromClient = k % 2 == 0
        var ip = IPHeaderSummary()
        ip.version = 4
        ip.proto = .tcp
        ip.source = fromClient ? client : server
        ip.destination = fromClient ? server : client
        ip.hasPorts = true
        ip.sourcePort = fromClient ? clientPort : 5050
        ip.destinationPort = fromClient ? 5050 : clientPort
        ip.hasTCPFlags = true
        ip.tcpFlags = k == 0 ? 0x002 : (k == 1 ? 0x012 : 0x010)
        ip.ipPayloadLength = 32
        ip.ttl = 64
        s.outer = ip
        s.inner = ip
    }

    /// A record for synthetic packet `n`.
    @inline(__always)
    public static func record(_ n: Int) -> CaptureRecord {
        CaptureRecord(timestampNanos: 1_767_225_600_000_000_000 + Int64(n) * 1000, capturedLength: 66,
                      originalLength: 66, frameNumber: UInt64(n + 1))
    }

    public static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Records packets/s for one iteration that handled `packets` packets since `start`.
    public static func report(_ benchmark: Benchmark, packets: Int, since start: UInt64) {
        let ns = max(now() - start, 1)
        benchmark.measurement(packetsPerSecond, Int(Double(packets) * 1e9 / Double(ns)))
    }
}

/// Holds a value across benchmark iterations; swapped out for the measured loop so the loop
/// mutates a local (no class access, no copy-on-write).
public final class Box<T>: @unchecked Sendable {
    public var value: T
    public init(_ value: T) { self.value = value }
}
