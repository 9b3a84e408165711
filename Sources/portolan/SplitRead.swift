import CaptureFile
import Dispatch
import Glibc
import FlowAnalysis
import PacketWire

/// `--threads N` on pcap files: each file is cut into N byte ranges at record boundaries, read on
/// N threads by N analyzers, and the analyzers are appended in file order
/// (`FlowAnalyzer.appendContinuation`, FlowAnalysis/ByteSplit.swift) — the same result as one
/// analyzer reading the file. Each thread walks only its share of the mapping, so the walk,
/// memory-bound on large files, is split too.
///
/// A cut is found by a heuristic (`CaptureReader.pcapRecordBoundary`) and trusted only when the
/// range before it ends exactly on it. Whenever a range cannot be appended exactly (the cut was
/// not a boundary, the range hit damage, a flow's log overflowed), the analyzer so far reads the
/// rest of the file itself, on one thread: slower, never different.
enum SplitRead {
    /// Smallest range worth a thread (`analyze --split-minimum-bytes` lowers it for tests).
    static let minimumRange = 4 << 20

    /// What `read` did, for `bench` and tests: ranges read in parallel, and whether it had to
    /// finish on one thread.
    struct Outcome {
        var ranges = 1
        var resumedAt: Int? = nil
        /// Per range: seconds of its thread's CPU time and of wall-clock time; then the merge's wall-clock seconds.
        var rangeCPU: [Double] = []
        var rangeWall: [Double] = []
        var mergeWall = 0.0
    }

    /// Reads `file` (already added to `analyzer` as `sourceIndex`) on up to `threads` threads into
    /// `analyzer`. Throws the error that ended reading (after every packet before it is in `analyzer`).
    @discardableResult
    static func read(_ file: MappedFile, into analyzer: inout FlowAnalyzer, sourceIndex: UInt32, threads: Int,
                     minimumRange: Int = SplitRead.minimumRange,
                     progress: inout Progress) throws(CaptureFileError) -> Outcome {
        var first = try CaptureReader(file: file, sourceIndex: sourceIndex)
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
        slots[0] = Part(analyzer: analyzer)
        for k in 1..<ranges {
            var a = FlowAnalyzer(configuration: analyzer.configuration)
            for name in analyzer.sources { _ = a.addSource(name: name) }
            a.beginContinuationPart()
            a.reserveFlows(forCaptureBytes: (k < cuts.count ? cuts[k] : file.count) - cuts[k - 1])
            slots[k] = Part(analyzer: a)
        }
        nonisolated(unsafe) let parts = slots
        let shared = progress
        DispatchQueue.concurrentPerform(iterations: ranges) { k in
            // Each iteration touches its own slot only.
            var part = parts[k]!
            var p = k == 0 ? shared : Progress(enabled: false)
            let wall0 = SplitRead.clock(CLOCK_MONOTONIC), cpu0 = SplitRead.clock(CLOCK_THREAD_CPUTIME_ID)
            defer {
                parts[k]!.cpu = SplitRead.clock(CLOCK_THREAD_CPUTIME_ID) - cpu0
                parts[k]!.wall = SplitRead.clock(CLOCK_MONOTONIC) - wall0
            }
            do throws(CaptureFileError) {
                // A copy of the reader that read the preamble: pcapng sections and interfaces.
                var reader = start
                if k > 0 { reader.seek(toRecordAt: cuts[k - 1], packetsBefore: 0) }
                let structure = reader.structureBlocks
                part.error = nil
                defer {
                    part.reached = Int(reader.offset)
                    part.packets = reader.packetCount - (k > 0 ? 0 : start.packetCount)
                    part.structureChanged = reader.structureBlocks != structure
                    part.reader = reader
                }
                try walk(&reader, into: &part.analyzer, to: k < cuts.count ? cuts[k] : Int.max, progress: &p)
            } catch {
                part.error = error
            }
            if k == 0 { p.finish() }
            parts[k] = part
        }

        // Append the ranges in order while each ends where the next begins.
        var outcome = Outcome(ranges: ranges, rangeCPU: slots.map { $0!.cpu }, rangeWall: slots.map { $0!.wall })
        let merge0 = clock(CLOCK_MONOTONIC)
        let readers = slots.map { $0!.reader }
        let structureChanged = slots.map { $0!.structureChanged }
        analyzer = slots[0]!.analyzer
        var reached = slots[0]!.reached
        var frames = slots[0]!.packets
        if let e = slots[0]!.error { throw e }
        for k in 1..<ranges {
            let next = slots[k]!
            if reached == cuts[k - 1] && next.error == nil && !structureChanged[k - 1]
                && analyzer.appendContinuation(next.analyzer, framesBefore: frames) {
                reached = next.reached
                frames &+= next.packets
                slots[k] = nil  // its tables can go now
                continue
            }
            // Read the rest here: from where the analyzer's packets end, with the state of the
            // reader that got there (pcapng: its section and interfaces).
            outcome.resumedAt = reached
            guard var reader = readers[k - 1] else { preconditionFailure("range \(k - 1) ran") }
            reader.seek(toRecordAt: reached, packetsBefore: frames)
            try walk(&reader, into: &analyzer, to: Int.max, progress: &progress)
            break
        }
        outcome.mergeWall = clock(CLOCK_MONOTONIC) - merge0
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
        var reached = 0
        var packets: UInt64 = 0
        var error: CaptureFileError? = nil
        var cpu = 0.0
        var wall = 0.0
        /// pcapng: a section header or interface block in the range (the ranges after it were
        /// read with the interfaces from before it).
        var structureChanged = false
        /// The reader where it stopped.
        var reader: CaptureReader? = nil
    }

    static func clock(_ id: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(id, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
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
        var record = CaptureRecord()
        var n = 0
        while Int(r.offset) < stop, let bytes = try r.next(&record) {
            a.process(record, bytes)
            n &+= 1
            if n & 0x3FFF == 0 { progress.update(Int(record.fileOffset)) }
        }
    }
}
