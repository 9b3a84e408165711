import CaptureFile
import Dispatch
import FlowAnalysis
import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a capture into an analyzer in byte ranges (`analyze --threads N`): the file is cut into N byte ranges at
/// record (pcap) or block (pcapng) boundaries, read on N threads by N analyzers, and the analyzers
/// are appended in file order (`FlowAnalyzer.appendContinuation`, FlowAnalysis/ByteSplit.swift) —
/// the same result as one analyzer reading the file. Each thread walks only its share of the
/// mapping, so the walk, memory-bound on large files, is split too.
///
/// A cut is found by a heuristic (`CaptureReader.recordBoundary`) and trusted only when the range
/// before it ends exactly on it. Whenever a range cannot be appended exactly (the cut was not a
/// boundary, the range hit damage, a pcapng section or interface block came before it, a flow's
/// log overflowed), the analyzer so far reads the rest of the file itself, on one thread: slower,
/// never different.
public enum SplitRead {
    /// Smallest range worth a thread (`analyze --split-minimum-bytes` lowers it for tests).
    public static let minimumRange = 4 << 20

    /// What `read` did, for `bench` and tests: ranges read in parallel, and whether it had to
    /// finish on one thread.
    public struct Outcome: Sendable {
        public var ranges = 1
        public var resumedAt: Int? = nil
        /// Per range: seconds of its thread's CPU time and of wall-clock time; then the merge's wall-clock seconds.
        public var rangeCPU: [Double] = []
        public var rangeWall: [Double] = []
        public var mergeWall = 0.0
    }

    /// Reads `file` (already added to `analyzer` as `sourceIndex`) on up to `threads` threads into
    /// `analyzer`, its frames numbered after `framesBefore` (a later piece of the source's capture).
    /// Throws the error that ended reading (after every packet before it is in `analyzer`).
    @discardableResult
    public static func read(_ file: MappedFile, into analyzer: inout FlowAnalyzer, sourceIndex: UInt32,
                     framesBefore: UInt64 = 0, threads: Int,
                     minimumRange: Int = SplitRead.minimumRange,
                     progress: inout Progress) throws(CaptureFileError) -> Outcome {
        var first = try CaptureReader(file: file, sourceIndex: sourceIndex)
        if framesBefore > 0 { first.seek(toRecordAt: Int(first.offset), packetsBefore: framesBefore) }
        var found: [Int] = []
        if threads > 1 && first.canSplit && file.count >= 2 * max(1, minimumRange) {
            try first.prepareSplit()
            let parts = min(threads, file.count / max(1, minimumRange))
            for target in targets(first, parts: parts) {
                if let b = first.recordBoundary(atOrAfter: target), b > (found.last ?? Int(first.offset)) {
                    found.append(b)
                }
            }
        }
        let start = first
        let cuts = found
        progress.start(name: file.path, total: cuts.first ?? file.count)
        if cuts.isEmpty {
            try walk(&first, into: &analyzer, to: Int.max, progress: &progress)
            progress.finish()
            return Outcome()
        }

        // Range k: [start k, cut k); the last range runs to the end of the file.
        let ranges = cuts.count + 1
        let slots = UnsafeMutableBufferPointer<Part?>.allocate(capacity: ranges)
        slots.initialize(repeating: nil)
        defer {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        slots[0] = Part(analyzer: analyzer, reader: start)
        for k in 1..<ranges {
            var a = FlowAnalyzer(configuration: analyzer.configuration)
            for name in analyzer.sources { _ = a.addSource(name: name) }
            a.beginContinuationPart()
            a.reserveFlows(forCaptureBytes: (k < cuts.count ? cuts[k] : file.count) - cuts[k - 1])
            slots[k] = Part(analyzer: a, reader: start)
        }
        nonisolated(unsafe) let parts = slots
        let shared = progress
        DispatchQueue.concurrentPerform(iterations: ranges) { k in
            // Each iteration touches its own slot only.
            var part = parts[k]!
            var p = k == 0 ? shared : Progress(enabled: false)
            let wall0 = Timing.now(), cpu0 = Timing.now(CLOCK_THREAD_CPUTIME_ID)
            // A copy of the reader that read the preamble: pcapng sections and interfaces.
            if k > 0 { part.reader.seek(toRecordAt: cuts[k - 1], packetsBefore: 0) }
            do throws(CaptureFileError) {
                try walk(&part.reader, into: &part.analyzer, to: k < cuts.count ? cuts[k] : Int.max, progress: &p)
            } catch {
                part.error = error
            }
            if k == 0 { p.finish() }
            part.cpu = Timing.seconds(since: cpu0, CLOCK_THREAD_CPUTIME_ID)
            part.wall = Timing.seconds(since: wall0)
            parts[k] = part
        }

        // Append the ranges in order while each ends where the next begins. Where each range's
        // reader stopped, and after how many packets, stays known once its analyzer is gone.
        var outcome = Outcome(ranges: ranges, rangeCPU: slots.map { $0!.cpu }, rangeWall: slots.map { $0!.wall })
        let merge0 = Timing.now()
        let readers = slots.map { $0!.reader }
        analyzer = slots[0]!.analyzer
        if let e = slots[0]!.error { throw e }
        var frames = readers[0].packetCount
        for k in 1..<ranges {
            let next = slots[k]!
            // pcapng: a section header or interface block in the range before means this range
            // was read with the interfaces from before it.
            let structureChanged = readers[k - 1].structureBlocks != start.structureBlocks
            if readers[k - 1].offset == UInt64(cuts[k - 1]) && next.error == nil && !structureChanged
                && analyzer.appendContinuation(next.analyzer, framesBefore: frames) {
                frames &+= readers[k].packetCount
                slots[k] = nil  // its tables can go now
                continue
            }
            // Read the rest here: from where the analyzer's packets end, with the state of the
            // reader that got there (pcapng: its section and interfaces).
            var reader = readers[k - 1]
            outcome.resumedAt = Int(reader.offset)
            reader.seek(toRecordAt: Int(reader.offset), packetsBefore: frames)
            try walk(&reader, into: &analyzer, to: Int.max, progress: &progress)
            break
        }
        outcome.mergeWall = Timing.seconds(since: merge0)
        return outcome
    }

    /// Where to cut for `parts` ranges of about as many packets each (packets, not bytes, are the
    /// work): the packet density sampled in 64 windows of 64 KiB spread over the file, each
    /// standing for the stretch up to the next. Byte offsets; `recordBoundary` finds the cut.
    static func targets(_ reader: CaptureReader, parts: Int) -> [Int] {
        let start = Int(reader.offset), size = reader.file.count - start
        let samples = 64, window = 64 << 10
        var density: [Double] = []
        for i in 0..<samples {
            let at = start + Int(Int64(size) * Int64(i) / Int64(samples))
            guard let b = reader.recordBoundary(atOrAfter: at) else {
                density.append(density.last ?? 1)
                continue
            }
            let (n, bytes) = reader.countPackets(from: b, before: b + window)
            density.append(bytes > 0 ? Double(n) / Double(bytes) : density.last ?? 1)
        }
        let stretch = Double(size) / Double(samples)
        let total = density.reduce(0, +) * stretch
        var out: [Int] = []
        var cumulative = 0.0, i = 0
        for k in 1..<parts {
            let goal = total * Double(k) / Double(parts)
            while i < samples - 1 && cumulative + density[i] * stretch < goal {
                cumulative += density[i] * stretch
                i += 1
            }
            let within = density[i] > 0 ? (goal - cumulative) / density[i] : 0
            out.append(start + min(size, Int(Double(i) * stretch + within)))
        }
        return out
    }

    struct Part {
        var analyzer: FlowAnalyzer
        /// Its reader: where it stopped and after how many packets of the range.
        var reader: CaptureReader
        var error: CaptureFileError? = nil
        var cpu = 0.0
        var wall = 0.0
    }

    /// Feeds `analyzer` the packets from the reader's offset up to offset `stop` (the reader stops at
    /// the first record starting at or after it) or the end of the file.
    static func walk(_ reader: inout CaptureReader, into analyzer: inout FlowAnalyzer, to stop: Int,
                     progress: inout Progress) throws(CaptureFileError) {
        // Locals for the loop (the reader's and analyzer's fields stay in registers), written back
        // at the end, also when the reader throws.
        var r = reader, a = analyzer
        defer {
            reader = r
            analyzer = a
        }
        try CaptureRead.drain(&r, into: &a, bounded: true, to: stop, progress: &progress)
    }
}
