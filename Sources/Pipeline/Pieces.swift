import CaptureFile
import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Several capture files: which are consecutive pieces of one capture (`tcpdump -C/-G`,
/// `dumpcap -b`, `editcap -c`, one file per hour), read as one stream, and which are vantage
/// points (captures of the same traffic elsewhere, overlapping in time). Decided from the files:
/// their header (link type, snaplen, time resolution; pcapng interface name, description,
/// if_tsresol) and the time of their first and last packet.
public enum Pieces {
    /// How files are grouped: decided from the files, every file one capture, or every file its own.
    public enum Mode: Sendable, Equatable {
        case auto, sameCapture, vantagePoints
    }

    /// What a file says about itself, read before the analysis.
    public struct Scan: Sendable, Equatable {
        public var path: String
        /// Position on the command line.
        public var index: Int
        /// Link type, snaplen and time resolution of the file (every interface of a pcapng file).
        public var signature: String
        public var first: Int64?
        public var last: Int64?
        public var packets: UInt64
        /// The file could not be opened or is damaged (the analysis reports it).
        public var error: String?
        /// Standard input that is a pipe: it can be read once only, so it is not scanned and is a
        /// vantage point of its own.
        public var streamed = false

        public init(path: String, index: Int, signature: String, first: Int64?, last: Int64?, packets: UInt64,
                    error: String? = nil) {
            self.path = path
            self.index = index
            self.signature = signature
            self.first = first
            self.last = last
            self.packets = packets
            self.error = error
        }
    }

    /// Files read as one source, in reading order; `why` says how the group was decided.
    public struct Group: Sendable, Equatable {
        public var files: [Scan]
        public var why: Why
        public var paths: [String] { files.map(\.path) }
        public init(files: [Scan], why: Why) {
            self.files = files
            self.why = why
        }
    }

    public enum Why: String, Sendable {
        /// One file that follows no other in time (or `--vantage-points`).
        case single
        /// Consecutive pieces found from the files.
        case pieces
        /// `--same-capture` or `--group`.
        case given
    }

    /// Pieces claimed to be one capture overlap in time.
    public struct OverlapError: Error, CustomStringConvertible, Sendable {
        public var earlier: Scan
        public var later: Scan
        public var description: String {
            "\(earlier.path) (\(Pieces.time(earlier.first)) – \(Pieces.time(earlier.last))) and "
                + "\(later.path) (\(Pieces.time(later.first)) – \(Pieces.time(later.last))) overlap in time: "
                + "\(later.path) starts before \(earlier.path) ends, so they are not consecutive pieces of one "
                + "capture (give them as vantage points, without --same-capture or --group)"
        }
    }

    /// Reads each file's header and walks its records for the first and last timestamps (no
    /// packet is decoded: the walk is memory-bound, cheap beside the analysis).
    public static func scan(_ paths: [String]) -> [Scan] {
        paths.enumerated().map { i, p in scan(p, index: i) }
    }

    public static func scan(_ path: String, index: Int) -> Scan {
        var s = Scan(path: path, index: index, signature: "", first: nil, last: nil, packets: 0)
        if CaptureInput.isStandardInputStream(path) {
            s.streamed = true
            return s
        }
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            s.error = error.description
            return s
        }
        do {
            var reader = try CaptureReader(file: file)
            s.signature = signature(file, reader)
            var record = CaptureRecord()
            while try reader.next(&record) != nil {
                s.packets &+= 1
                guard record.hasTimestamp else { continue }
                if s.first == nil { s.first = record.timestampNanos }
                s.last = max(s.last ?? record.timestampNanos, record.timestampNanos)
            }
        } catch {
            s.error = error.description
        }
        return s
    }

    /// The header fields that pieces of one capture share.
    static func signature(_ file: MappedFile, _ reader: CaptureReader) -> String {
        switch reader.format {
        case .pcapng:
            return pcapngInterfaces(file.bytes)
        default:
            let magic = file.count >= 4 ? file.bytes.loadUnaligned(as: UInt32.self) : 0
            let nanos = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
            return "\(reader.format) linktype \(reader.fileLinkType?.rawValue ?? 0) snaplen \(reader.snapshotLength)"
                + (nanos ? " ns" : "")
        }
    }

    /// pcapng: each interface description block before the first packet (link type, snaplen,
    /// if_name, if_description, if_tsresol), walked from the raw blocks.
    static func pcapngInterfaces(_ b: UnsafeRawBufferPointer) -> String {
        var out = "pcapng"
        var pos = 0
        var big = false
        func u32(_ at: Int) -> UInt32 {
            let v = b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return big ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
        }
        func u16(_ at: Int) -> UInt16 {
            let v = b.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            return big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
        }
        // At most a few blocks: packets come right after the interfaces.
        var blocks = 0
        while pos + 12 <= b.count && blocks < 64 {
            blocks += 1
            if pos + 12 <= b.count && b.loadUnaligned(fromByteOffset: pos, as: UInt32.self) == 0x0A0D_0D0A {
                big = b.loadUnaligned(fromByteOffset: pos + 8, as: UInt32.self) == 0x4D3C_2B1A
            }
            let type = u32(pos), length = Int(u32(pos + 4))
            guard length >= 12, length <= b.count - pos else { break }
            if type == 6 || type == 3 || type == 2 { break }
            if type == 1 && length >= 20 {
                out += " | linktype \(u16(pos + 8)) snaplen \(u32(pos + 12))"
                var o = pos + 16
                while o + 4 <= pos + length - 4 {
                    let code = u16(o), n = Int(u16(o + 2))
                    if code == 0 || o + 4 + n > pos + length - 4 { break }
                    let value = UnsafeRawBufferPointer(rebasing: b[(o + 4)..<(o + 4 + n)])
                    switch code {
                    case 2: out += " name " + String(decoding: value, as: UTF8.self)
                    case 3: out += " description " + String(decoding: value, as: UTF8.self)
                    case 9 where n >= 1: out += " tsresol \(value[0])"
                    default: break
                    }
                    o += 4 + (n + 3) & ~3
                }
            }
            pos += length
        }
        return out
    }

    /// Groups the scanned files. `given`: globs, each naming files that are one capture.
    public static func group(_ scans: [Scan], mode: Mode, given: [String] = []) throws(OverlapError) -> [Group] {
        var groups: [Group] = []
        var rest: [Scan] = []
        var byGlob = Array(repeating: [Scan](), count: given.count)
        for s in scans {
            if s.streamed {
                groups.append(Group(files: [s], why: .single))
                continue
            }
            if let g = given.firstIndex(where: { matches($0, s.path) }) { byGlob[g].append(s) } else { rest.append(s) }
        }
        for files in byGlob where !files.isEmpty {
            groups.append(Group(files: try oneCapture(files), why: .given))
        }
        switch mode {
        case .vantagePoints:
            groups += rest.map { Group(files: [$0], why: .single) }
        case .sameCapture:
            if !rest.isEmpty { groups.append(Group(files: try oneCapture(rest), why: .given)) }
        case .auto:
            groups += decide(rest)
        }
        // Sources in the order of their first file on the command line (every file alone: as given).
        return groups.sorted { ($0.files.map(\.index).min() ?? 0) < ($1.files.map(\.index).min() ?? 0) }
    }

    /// `--group GLOB`: the glob against the path as given, or against its file name.
    static func matches(_ glob: String, _ path: String) -> Bool {
        if fnmatch(glob, path, 0) == 0 { return true }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return fnmatch(glob, name, 0) == 0
    }

    /// Files claimed to be one capture: in the order of their first packet; each must start at or
    /// after the end of the one before.
    static func oneCapture(_ files: [Scan]) throws(OverlapError) -> [Scan] {
        var timed = files.filter { $0.first != nil }.sorted { ($0.first!, $0.path) < ($1.first!, $1.path) }
        for i in timed.indices.dropFirst() where timed[i].first! < timed[i - 1].last! {
            throw OverlapError(earlier: timed[i - 1], later: timed[i])
        }
        for e in files.filter({ $0.first == nil }).sorted(by: { $0.path < $1.path }) { insertByName(e, into: &timed) }
        return timed
    }

    /// The rule: sorted by first packet, a file joins the group (same signature) whose last piece
    /// ended at or before its first packet, the most recent such; otherwise it starts a group
    /// (a vantage point). An empty file joins the group of the file of the same signature whose
    /// name is closest to its own.
    static func decide(_ files: [Scan]) -> [Group] {
        var groups: [Group] = []
        var ends: [Int64] = []
        let timed = files.filter { $0.first != nil }.sorted { ($0.first!, $0.index) < ($1.first!, $1.index) }
        for f in timed {
            var best: Int? = nil
            for (g, group) in groups.enumerated() where group.files[0].signature == f.signature && ends[g] <= f.first! {
                if best == nil || ends[g] > ends[best!] { best = g }
            }
            if let g = best {
                groups[g].files.append(f)
                groups[g].why = .pieces
                ends[g] = max(ends[g], f.last!)
            } else {
                groups.append(Group(files: [f], why: .single))
                ends.append(f.last!)
            }
        }
        for e in files.filter({ $0.first == nil }).sorted(by: { $0.path < $1.path }) {
            var best: (group: Int, shared: Int)? = nil
            if e.error == nil {
                for (g, group) in groups.enumerated() where group.files[0].signature == e.signature {
                    for f in group.files where f.first != nil {
                        let shared = commonPrefix(e.path, f.path)
                        if best == nil || shared > best!.shared { best = (g, shared) }
                    }
                }
            }
            if let b = best {
                insertByName(e, into: &groups[b.group].files)
                groups[b.group].why = .pieces
            } else {
                groups.append(Group(files: [e], why: .single))
            }
        }
        return groups
    }

    /// An empty piece goes before the first piece whose name sorts after its own.
    static func insertByName(_ e: Scan, into files: inout [Scan]) {
        let at = files.firstIndex { $0.path > e.path } ?? files.count
        files.insert(e, at: at)
    }

    static func commonPrefix(_ a: String, _ b: String) -> Int {
        var n = 0
        for (x, y) in zip(a.utf8, b.utf8) {
            if x != y { break }
            n += 1
        }
        return n
    }

    /// A timestamp as UTC "2026-12-07 06:01:37.123456789", or "no packets".
    public static func time(_ nanos: Int64?) -> String {
        guard let nanos else { return "no packets" }
        var seconds = time_t(nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000)
        let fraction = nanos - Int64(seconds) * 1_000_000_000
        var t = tm()
        gmtime_r(&seconds, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var frac = String(fraction)
        frac = String(repeating: "0", count: max(0, 9 - frac.count)) + frac
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday)) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).\(frac)"
    }

    /// One line per group, for stderr: "group 2: 3 consecutive pieces (…): a, b, c".
    public static func describe(_ groups: [Group]) -> [String] {
        groups.enumerated().map { i, g in
            let how: String
            switch g.why {
            case .single: how = "1 file, a vantage point of its own"
            case .pieces: how = "\(g.files.count) consecutive pieces of one capture, read as one stream"
            case .given: how = g.files.count == 1 ? "1 file" : "\(g.files.count) pieces of one capture (as given), read as one stream"
            }
            let span = g.files.count > 1
                ? " [\(time(g.files.compactMap(\.first).min())) – \(time(g.files.compactMap(\.last).max()))]" : ""
            return "group \(i + 1): \(how)\(span): " + g.paths.joined(separator: ", ")
        }
    }
}
