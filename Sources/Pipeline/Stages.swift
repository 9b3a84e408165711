import CaptureFile
import FlowAnalysis
import PacketWire
import PortCatalog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Packets and bytes on the wire of a capture.
public struct Totals: Sendable {
    public var packets: UInt64 = 0
    public var wireBytes: UInt64 = 0
    public init() {}
}

/// The loops `portolan bench` measures, each a prefix of the analysis: walk, decode, classify,
/// analyze. Each walks the whole mapping with its own reader.
/// One measured stage of `bench`: its fastest run and the peak resident memory over its runs.
public struct StageResult: Sendable {
    public var name: String
    public var seconds: Double
    public var peakBytes: Int
}

public enum Stages {
    /// Runs `body` `repeats` times: the fastest wall-clock time and the highest peak RSS.
    public static func measure(_ name: String, repeats: Int, _ body: () throws -> Void) rethrows -> StageResult {
        var best = Double.infinity
        var peak = 0
        for _ in 0..<max(1, repeats) {
            PeakMemory.reset()
            let t0 = Timing.now()
            try body()
            best = min(best, Timing.seconds(since: t0))
            peak = max(peak, PeakMemory.read())
        }
        return StageResult(name: name, seconds: best, peakBytes: peak)
    }

    public static func read(_ file: MappedFile) throws(CaptureFileError) -> Totals {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var t = Totals()
        while let bytes = try reader.next(&record) {
            t.packets &+= 1
            t.wireBytes &+= UInt64(record.originalLength)
            blackHole(bytes.count)
        }
        return t
    }

    public static func decode(_ file: MappedFile, _ decoder: PacketDecoder) throws(CaptureFileError) -> Int {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var summary = PacketSummary()
        var ported = 0
        while let bytes = try reader.next(&record) {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            if summary.inner.hasPorts { ported &+= 1 }
        }
        return ported
    }

    /// Decode, then look both ports up in the compiled catalog (what classification costs per
    /// packet when the server side is not yet known).
    public static func classify(_ file: MappedFile, _ decoder: PacketDecoder, _ catalog: CompiledCatalog) throws(CaptureFileError) -> Int {
        var reader = try CaptureReader(file: file)
        var record = CaptureRecord()
        var summary = PacketSummary()
        var hits = 0
        while let bytes = try reader.next(&record) {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
            let ip = summary.inner
            guard ip.hasPorts, let t = Transport(ip.proto) else { continue }
            hits &+= catalog.candidates(t, ip.destinationPort).count
            hits &+= catalog.candidates(t, ip.sourcePort).count
        }
        return hits
    }

    /// The whole analysis, as `analyze` runs it (byte ranges with `threads` > 1; then also what
    /// the ranges did).
    public static func analyze(_ file: MappedFile, _ config: AnalyzerConfiguration,
                               threads: Int) throws(CaptureFileError) -> (AnalysisSnapshot, SplitRead.Outcome?) {
        var analyzer = FlowAnalyzer(configuration: config)
        let source = analyzer.addSource(name: file.path)
        var progress = Progress(enabled: false)
        if threads == 1 {
            try CaptureRead.whole(file, into: &analyzer, sourceIndex: source, progress: &progress)
            return (analyzer.snapshot(), nil)
        }
        let outcome = try SplitRead.read(file, into: &analyzer, sourceIndex: source, threads: threads,
                                         progress: &progress)
        return (analyzer.snapshot(), outcome)
    }

    /// Same flows (in first-frame order) and the same accounting.
    public static func sameResults(_ a: AnalysisSnapshot, _ b: AnalysisSnapshot) -> Bool {
        func sorted(_ s: AnalysisSnapshot) -> [FlowRecord] {
            s.flows.sorted { $0.firstFrame < $1.firstFrame }
        }
        return sorted(a) == sorted(b) && a.accounting.normalized() == b.accounting.normalized()
            && a.hosts == b.hosts && a.outbound == b.outbound && a.sources == b.sources
    }

    /// Keeps a value alive and opaque to the optimizer (a measured loop's result).
    @inline(never) public static func blackHole<T>(_ x: T) {}
}

extension Accounting {
    /// The keyed lists in key order (a merge cannot know first-seen order).
    public func normalized() -> Accounting {
        var a = self
        a.otherIPByProtocol.sort { $0.proto.rawValue < $1.proto.rawValue }
        a.nonIPByEtherType.sort { $0.etherType.rawValue < $1.etherType.rawValue }
        a.undecodableBy.sort { ($0.layer.rawValue, $0.reason.rawValue) < ($1.layer.rawValue, $1.reason.rawValue) }
        return a
    }
}

/// Peak resident set size of this process (Linux VmHWM), reset between stages through
/// /proc/self/clear_refs ("5" resets the high-water mark, Linux ≥ 4.0). 0 where there is no /proc.
public enum PeakMemory {
    public static func reset() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        if fd < 0 { return }
        _ = "5".withCString { write(fd, $0, 1) }
        close(fd)
    }

    public static func read() -> Int {
        let fd = open("/proc/self/status", O_RDONLY)
        if fd < 0 { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = buf.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return 0 }
        let text = String(decoding: buf[0..<n], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}

/// read(2), under a name `PeakMemory.read` does not shadow.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
