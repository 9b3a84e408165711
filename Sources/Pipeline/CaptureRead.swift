import CStop
import CaptureFile
import FlowAnalysis
import LiveCapture
import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `-f`/filter words and `-c` select of the frames read (tcpdump's meaning): frames that do
/// not match the filter are counted as `filtered`; reading stops after `remaining` matching ones.
public struct ReadSelection: Sendable {
    public var filter: OfflineFilter?
    /// Matching frames still to read (`UInt64.max`: no -c).
    public var remaining: UInt64

    public init(filter: OfflineFilter? = nil, count: UInt64? = nil) {
        self.filter = filter
        self.remaining = count ?? .max
    }

    /// Nothing selected: every frame of every file, read by the plain loop (no check per frame).
    public var isEverything: Bool { filter == nil && remaining == .max }
}

/// Capture files into an analyzer: the one packet loop (`drain`) that `analyze`, `bench`, the
/// byte ranges (SplitRead.swift) and Benchmarks/ run.
public enum CaptureRead {
    /// Reads every file into one analyzer — on this thread, or with `threads` > 1 each file cut
    /// into byte ranges read on that many threads — and returns it and each file's error (a
    /// damaged file is read up to the damage and its error noted in the analyzer's source).
    public static func files(_ paths: [String], configuration: AnalyzerConfiguration, threads: Int = 1,
                             minimumRange: Int = SplitRead.minimumRange, selection: ReadSelection = ReadSelection(),
                             progress: inout Progress) -> (FlowAnalyzer, [String?]) {
        var selection = selection
        var analyzer = FlowAnalyzer(configuration: configuration)
        var errors: [String?] = []
        for path in paths {
            // Interrupted (analyze on SIGINT/SIGTERM/SIGHUP): the files not begun are not read.
            if Interrupt.requested { break }
            let index = analyzer.addSource(name: path)
            do {
                let file = try MappedFile(path: path)
                analyzer.reserveFlows(forCaptureBytes: file.count)
                if !selection.isEverything {
                    try selected(file, into: &analyzer, sourceIndex: index, selection: &selection, progress: &progress)
                } else if threads > 1 {
                    try SplitRead.read(file, into: &analyzer, sourceIndex: index, threads: threads,
                                       minimumRange: minimumRange, progress: &progress)
                } else {
                    try whole(file, into: &analyzer, sourceIndex: index, progress: &progress)
                }
                progress.finish()
                errors.append(nil)
            } catch let e {
                progress.finish()
                analyzer.noteSourceError(index, e.description)
                errors.append(e.description)
            }
        }
        return (analyzer, errors)
    }

    /// Every group of files into one analyzer, a source per group: the pieces of a group fed in
    /// order to the same source, their frames numbered on across the pieces (the analyzer records
    /// each piece, so reports can name the file and its own frame number). Each piece is read as
    /// `files` reads a file (cut into byte ranges with `threads` > 1), so the result does not
    /// depend on `threads`. Returns the analyzer and each file's error, by group and piece.
    public static func groups(_ groups: [[String]], configuration: AnalyzerConfiguration, threads: Int = 1,
                              minimumRange: Int = SplitRead.minimumRange, selection: ReadSelection = ReadSelection(),
                              progress: inout Progress) -> (FlowAnalyzer, [String?]) {
        // Every file alone (one file, vantage points): the loop of `files`, as it always was.
        if groups.allSatisfy({ $0.count == 1 }) {
            return files(groups.map { $0[0] }, configuration: configuration, threads: threads,
                         minimumRange: minimumRange, selection: selection, progress: &progress)
        }
        var selection = selection
        var analyzer = FlowAnalyzer(configuration: configuration)
        var errors: [String?] = []
        for paths in groups {
            guard let name = paths.first, !Interrupt.requested else { break }
            let index = analyzer.addSource(name: name)
            var framesBefore: UInt64 = 0
            var groupErrors: [String] = []
            for path in paths where !Interrupt.requested {
                let before = analyzer.sourceTotals(index)
                var error: String? = nil
                do {
                    let file = try MappedFile(path: path)
                    analyzer.reserveFlows(forCaptureBytes: file.count)
                    if !selection.isEverything {
                        try selected(file, into: &analyzer, sourceIndex: index, framesBefore: framesBefore,
                                     selection: &selection, progress: &progress)
                    } else if threads > 1 {
                        try SplitRead.read(file, into: &analyzer, sourceIndex: index, framesBefore: framesBefore,
                                           threads: threads, minimumRange: minimumRange, progress: &progress)
                    } else {
                        try whole(file, into: &analyzer, sourceIndex: index, framesBefore: framesBefore,
                                  progress: &progress)
                    }
                } catch let e {
                    error = ownCount(e, framesBefore: framesBefore)
                }
                progress.finish()
                framesBefore = notePiece(&analyzer, index, path: path, of: paths.count, framesBefore: framesBefore,
                                         before: before, error: error)
                if let error { groupErrors.append(error) }
                errors.append(error)
            }
            if !groupErrors.isEmpty { analyzer.noteSourceError(index, groupErrors.joined(separator: "; ")) }
        }
        return (analyzer, errors)
    }

    /// A piece's error with its own packet count (the reader counted the earlier pieces' frames too).
    /// Out of line, as the other bookkeeping below: the packet loop inlined beside them stays lean.
    @inline(never)
    static func ownCount(_ e: CaptureFileError, framesBefore: UInt64) -> String {
        CaptureFileError(path: e.path, offset: e.offset, reason: e.reason, detail: e.detail,
                         packetsBefore: e.packetsBefore >= framesBefore ? e.packetsBefore - framesBefore : e.packetsBefore)
            .description
    }

    /// Records a piece read into source `index` (when the source has several); returns the frames so far.
    @inline(never)
    static func notePiece(_ analyzer: inout FlowAnalyzer, _ index: UInt32, path: String, of count: Int,
                          framesBefore: UInt64, before: (packets: UInt64, bytes: UInt64), error: String?) -> UInt64 {
        let after = analyzer.sourceTotals(index)
        let packets = after.packets &- before.packets
        if count > 1 {
            analyzer.addPiece(index, SourcePiece(name: path, framesBefore: framesBefore, packets: packets,
                                                 bytes: after.bytes &- before.bytes, error: error))
        }
        return framesBefore &+ packets
    }

    /// Every packet of `file` (already added to `analyzer` as `sourceIndex`) on this thread; its
    /// frames numbered after `framesBefore` (a later piece of the source's capture).
    /// Throws the error that ended reading, after every packet before it is in `analyzer`.
    /// Always inlined: as a call of its own (analyzer behind a pointer) the loop measured slower.
    @inline(__always)
    public static func whole(_ file: MappedFile, into analyzer: inout FlowAnalyzer, sourceIndex: UInt32,
                             framesBefore: UInt64 = 0, progress: inout Progress) throws(CaptureFileError) {
        var reader = try CaptureReader(file: file, sourceIndex: sourceIndex)
        if framesBefore > 0 { reader.seek(toRecordAt: Int(reader.offset), packetsBefore: framesBefore) }
        progress.start(name: file.path, total: file.count)
        // The analyzer moved into a local for the loop (its fields stay in registers; a copy would
        // share its tables and copy them on the first write), moved back also when reading fails.
        var a = consume analyzer
        var p = progress
        defer { progress = p }
        do {
            // Unbounded: no per-packet offset check, which costs measurably on this path.
            try drain(&reader, into: &a, bounded: false, to: Int.max, progress: &p)
        } catch {
            analyzer = a
            throw error
        }
        analyzer = a
    }

    /// `whole` with a filter or a count (`-f`, filter words, `-c`): on this thread, whatever
    /// --threads says. Frames the filter rejects are counted as filtered (they keep their frame
    /// numbers); reading stops once `selection.remaining` matching frames were read. A loop of
    /// its own, so that the loop without a selection carries no check per frame.
    static func selected(_ file: MappedFile, into analyzer: inout FlowAnalyzer, sourceIndex: UInt32,
                         framesBefore: UInt64 = 0, selection: inout ReadSelection,
                         progress: inout Progress) throws(CaptureFileError) {
        var reader = try CaptureReader(file: file, sourceIndex: sourceIndex)
        if framesBefore > 0 { reader.seek(toRecordAt: Int(reader.offset), packetsBefore: framesBefore) }
        progress.start(name: file.path, total: file.count)
        var record = CaptureRecord()
        var n = 0
        while selection.remaining > 0, let bytes = try reader.next(&record) {
            if selection.filter?.matches(record, bytes) ?? true {
                analyzer.process(record, bytes)
                selection.remaining &-= 1
            } else {
                analyzer.filteredOut(record)
            }
            n &+= 1
            if n & 0x3F == 0 {
                if portolan_stop_signals() != 0 { break }  // a signal, as in `drain`
                if n & 0x3FFF == 0 { progress.update(Int(record.fileOffset), packets: n) }
            }
        }
    }

    /// The link types of the inputs' first frames (a pcap or snoop file's header link type; a
    /// pcapng file's first packet's), for compiling a filter before anything is analysed.
    /// Inputs that cannot be read are left out (reading reports them), and so is standard input
    /// from a pipe, which can be read once only (its link types are compiled on first sight).
    public static func linkTypes(_ paths: [String]) -> [LinkType] {
        var out: [LinkType] = []
        for path in paths {
            if CaptureInput.isStandardInputStream(path) { continue }
            guard let file = try? MappedFile(path: path), var reader = try? CaptureReader(file: file) else { continue }
            if let t = reader.fileLinkType {
                out.append(t)
                continue
            }
            var record = CaptureRecord()
            if (try? reader.next(&record)) != nil { out.append(record.linkType) }
        }
        return out
    }

    /// The packet loop: feeds `analyzer` the reader's packets up to the end of the file or, when
    /// `bounded`, up to the first record starting at or after offset `stop`. Always inlined, so
    /// that `bounded` is a constant in each caller and the unbounded loop carries no check.
    /// A signal (`Interrupt`) ends it within 64 packets, at a packet boundary.
    @inline(__always)
    static func drain(_ reader: inout CaptureReader, into analyzer: inout FlowAnalyzer, bounded: Bool, to stop: Int,
                      progress: inout Progress) throws(CaptureFileError) {
        var record = CaptureRecord()
        var n = 0
        while !bounded || Int(reader.offset) < stop, let bytes = try reader.next(&record) {
            analyzer.process(record, bytes)
            n &+= 1
            // Every 64 packets (the branch the progress bar needed anyway, so no packet pays more
            // than before): a signal stops the loop here; a check on every packet measured +4
            // instructions/packet.
            if n & 0x3F == 0 {
                if portolan_stop_signals() != 0 { break }
                if n & 0x3FFF == 0 { progress.update(Int(record.fileOffset), packets: n) }
            }
        }
    }
}

/// `analyze` on SIGINT, SIGTERM and SIGHUP (Sources/CStop): the handler counts the signal; the
/// packet loop stops at the next packet boundary, the files not begun are not read, and the
/// command writes the report of what was read, marked partial.
public enum Interrupt {
    /// Installs the handler (once, before reading).
    public static func install() { _ = portolan_stop_install() }
    /// Default actions again, count back to zero.
    public static func uninstall() { portolan_stop_uninstall() }
    /// Signals received so far.
    public static var signals: Int32 { portolan_stop_signals() }
    /// Some signal asked the run to stop.
    public static var requested: Bool { portolan_stop_signals() != 0 }
    /// The last signal received (0: none).
    public static var signal: Int32 { portolan_stop_last() }
    /// Counts `signo` as the handler would (tests).
    public static func simulate(_ signo: Int32) { portolan_stop_raise(signo) }
}
