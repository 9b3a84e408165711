// Walks a pcap, pcapng or snoop file in place. Every packet is a view into the MappedFile; nothing is
// copied or allocated per packet. The fast paths (`next`) are inlinable and take every
// unchecked load only after one bounds check on `remaining`/the block length, named in a comment;
// everything unusual (other block types, damage, end of file) goes to a non-inlined slow path
// that re-checks and explains.
import PacketWire
import CPrefetch

/// Reads packets from a pcap, pcapng or Solaris snoop capture (format sniffed from the magic
/// number; gzip and zstd input is decompressed by `MappedFile`).
///
/// ```swift
/// var reader = try CaptureReader(path: "trace.pcapng")
/// var record = CaptureRecord()
/// while let bytes = try reader.next(&record) { decoder.decode(bytes, linkType: record.linkType, into: &summary) }
/// ```
/// A damaged file yields every good packet before the damage, then throws a `CaptureFileError`
/// naming the byte offset; after that, `next` throws the same error again.
///
/// Policy, following libpcap and tshark 4.0 (the corpus oracle) where they agree:
/// - The file ends reading: pcap major version ≠ 2, non-zero reserved LinkType bits
///   (0x03FF0000), pcapng SHB major ≠ 1, an unknown byte-order magic, block length < 12 or not
///   a multiple of 4, header/trailer lengths that differ, an SHB/IDB option running past its
///   block, a packet naming an undeclared interface (or an SPB with no IDB), a captured length
///   above 262,144 (D-Bus 128 MiB, EBHSCR 8 MiB) or above what its block holds, and a record or
///   block past the end of the file.
/// - Accepted as tshark does: captured length > original length, captured length > snaplen,
///   any pcap minor version (2.0–2.3 with caplen/len unswapped as libpcap does), timestamp
///   fractions ≥ 1 s (they carry into the seconds), link types tshark does not know.
/// - pcap `thiszone`/`sigfigs` are ignored (as libpcap does); pcapng if_tsresol and
///   if_tsoffset are applied; timestamps outside Int64 nanoseconds saturate.
/// - EPB/OPB/SPB options are not parsed (libpcap does not either); ISB, NRB, DSB, custom and
///   unknown blocks are skipped by their length after the same length checks.
/// - snoop (RFC 1761), as Wireshark's wiretap/snoop.c reads it: versions 2 (Sun) and 3–5
///   (Shomiti/Finisar Surveyor, as is version 2 when the first record's padding holds a Surveyor
///   trailer); the datalink type mapped to a LINKTYPE_ (`snoopLinkType`), an unknown one ends
///   reading; a record whose original or included length is above 262,144 or whose record length
///   cannot hold its 24-byte header and included bytes is damage; a record length that is not a
///   multiple of 4, and included > original, are accepted as Wireshark does. Timestamps are
///   microseconds; `canSplit` is false (`--threads` reads a snoop file on one thread).
public struct CaptureReader {
    /// The file being read; packet views stay valid while it lives.
    public let file: MappedFile
    public let sourceIndex: UInt32
    /// pcap variant, pcapng or snoop, from the magic number.
    public let format: CaptureFormat

    @usableFromInline let base: UnsafeRawPointer
    /// The end of the bytes there are: the file's size, or for a stream what was read so far
    /// (it grows in `streamAhead`, the slow paths' first step).
    @usableFromInline var end: Int
    /// Offset of the next record/block; invariant 0 ≤ pos ≤ end.
    @usableFromInline var pos: Int
    @usableFromInline var packets: UInt64
    /// Byte order of the pcap file or of the current pcapng section (snoop: always big-endian).
    @usableFromInline var bigEndian: Bool
    @usableFromInline let isPcapng: Bool
    /// When `pos` passes this, the next window is checked (`windowCheck`) and pages behind it
    /// are released (Int.max: never, for memory that is not a file mapping).
    @usableFromInline var releaseMark: Int
    /// Pages before this offset were released already.
    var releasedUpTo: Int = 0
    /// pcapng section header and interface description blocks read so far (a byte range read
    /// with a copy of this reader's state is valid only if none comes between).
    public private(set) var structureBlocks: UInt64 = 0
    @usableFromInline var failure: CaptureFileError?

    // pcap
    @usableFromInline var recordHeaderSize: Int
    @usableFromInline var fractionNanos: Int64
    @usableFromInline var pcapLinkType: LinkType
    @usableFromInline var pcapMaxCaptured: UInt32
    /// Records the pcap fast path cannot take: old libpcap (2.0–2.3) wrote caplen and len swapped
    /// (1 always, 2 when caplen > len); `snoopRecords` (3): snoop records, read by `snoopNext`.
    /// 0 for every other pcap file: one test of this byte keeps both off the fast path.
    @usableFromInline var lengthSwap: UInt8
    @usableFromInline static var snoopRecords: UInt8 { 3 }

    // pcapng
    @usableFromInline var section: UInt32
    @usableFromInline var interfaces: [PcapngInterface]

    /// pcap file header fields (zero for pcapng).
    public private(set) var versionMajor: UInt16 = 0
    public private(set) var versionMinor: UInt16 = 0
    public private(set) var snapshotLength: UInt32 = 0
    /// pcap: the file header's FCS length in bytes when the FCS-present bit (0x04000000) is set;
    /// snoop: 4 for Shomiti Surveyor Ethernet, whose frames keep their FCS (as Wireshark assumes).
    public private(set) var fcsLength: UInt8? = nil

    /// Release pages behind the reader every this many bytes. They count in the resident set
    /// until released: 4 MiB keeps that small next to the flow table (every 32 MiB, the capture
    /// was up to 32 MiB of the resident set at the end of reading), for one madvise per 4 MiB.
    @usableFromInline static let releaseStride = 4 << 20
    /// The file's size is checked before each window of this many bytes of a mapping.
    @usableFromInline static let checkWindow = 1 << 20
    @inlinable static var prefetchDistance: Int { 4096 }

    public init(path: String, sourceIndex: UInt32 = 0) throws(CaptureFileError) {
        try self.init(file: MappedFile(path: path), sourceIndex: sourceIndex)
    }

    public init(file: MappedFile, sourceIndex: UInt32 = 0) throws(CaptureFileError) {
        self.file = file
        self.sourceIndex = sourceIndex
        var bytes = file.bytes
        if let stream = file.stream {
            // The file header: pcap's 24 bytes, or snoop's 16 and its first record header (a
            // pcapng section header is read whole by `streamAhead` below). No more: a live
            // `tcpdump -w -` may be slow to send anything else.
            try stream.ensure(40)
            bytes = UnsafeRawBufferPointer(start: bytes.baseAddress, count: stream.available)
        }
        guard bytes.count >= 4, let b = bytes.baseAddress else {
            throw CaptureFileError(path: file.path, offset: 0, reason: .truncated,
                                   detail: bytes.count == 0 ? "the file is empty; expected a pcap, pcapng or snoop file header"
                                       : "the file is only \(bytes.count) bytes; expected a pcap, pcapng or snoop file header")
        }
        base = b
        end = bytes.count
        pos = 0
        packets = 0
        failure = nil
        releaseMark = file.isMapped || file.stream != nil ? 0 : Int.max  // the first window is checked too
        recordHeaderSize = 16
        fractionNanos = 1000
        pcapLinkType = .ethernet
        pcapMaxCaptured = 262_144
        lengthSwap = 0
        section = 0
        interfaces = []
        bigEndian = false

        // safe: count ≥ 4 checked above
        let magic = UInt32(littleEndian: b.loadUnaligned(as: UInt32.self))
        switch magic {
        case 0x0A0D_0D0A:
            isPcapng = true
            format = .pcapng
            try streamAhead()
            // The first SHB sets the byte order and is validated like any other.
            try sectionHeader(first: true)
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1, 0xA1B2_CD34, 0x34CD_B2A1:
            isPcapng = false
            let big = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1 || magic == 0x34CD_B2A1
            let nano = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
            let modified = magic == 0xA1B2_CD34 || magic == 0x34CD_B2A1
            format = .pcap(nanosecond: nano, bigEndian: big, modified: modified)
            bigEndian = big
            recordHeaderSize = modified ? 24 : 16
            fractionNanos = nano ? 1 : 1000
            try readPcapHeader()
        case 0x6F6F_6E73:  // "snoo", the start of snoop's 8-byte magic "snoop\0\0\0"
            isPcapng = false
            let header = try Self.snoopHeader(b, count: end, path: file.path)
            format = .snoop(version: header.version, shomiti: header.shomiti)
            bigEndian = true
            lengthSwap = Self.snoopRecords
            pcapLinkType = header.linkType
            pcapMaxCaptured = maximumCapturedLength(header.linkType)
            if header.shomiti && header.linkType == .ethernet { fcsLength = 4 }
            pos = Self.snoopHeaderLength
        default:
            throw CaptureFileError(
                path: file.path, offset: 0, reason: .notACaptureFile,
                detail: "the magic number \(hex(magic, width: 8)) is not pcap (a1b2c3d4, a1b23c4d, a1b2cd34), pcapng (0a0d0d0a), snoop (\"snoop\"), gzip or zstd")
        }
    }

    /// Packets delivered so far.
    public var packetCount: UInt64 { packets }
    /// Byte offset of the next record or block.
    public var offset: UInt64 { UInt64(pos) }
    /// pcap: the link type in the file header; snoop: the LINKTYPE_ of its datalink type; pcapng: nil.
    public var fileLinkType: LinkType? { isPcapng ? nil : pcapLinkType }
    /// pcapng: number of the current section (0-based).
    public var currentSection: UInt32 { section }
    /// Byte order of the pcap file, or of the current pcapng section.
    public var sectionIsBigEndian: Bool { bigEndian }

    // MARK: - unchecked loads (callers have checked the bounds)

    @inlinable @inline(__always)
    func u32(_ at: Int) -> UInt32 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    /// A little-endian field (pcap fast path: byte-swapped afterwards for big-endian files).
    @inlinable @inline(__always)
    func le32(_ at: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    @inlinable @inline(__always)
    func u16(_ at: Int) -> UInt16 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    // MARK: - next

    /// Next packet: fills `record`, returns its bytes (a view into the mapping, valid while the
    /// reader's `MappedFile` lives), nil at a clean end of file. Throws at damage, after all good
    /// packets; once it has thrown it throws the same error on every later call.
    @_transparent  // into the caller's packet loop: `@inline(__always)` is not honoured across modules
    public mutating func next(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        if _slowPath(pos >= releaseMark) { try windowCheck() }
        if isPcapng { return try nextPcapng(&record) }
        return try nextPcap(&record)
    }

    @inlinable @inline(__always)
    mutating func nextPcap(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        let remaining = end &- pos  // cannot overflow: 0 ≤ pos ≤ end
        let h = recordHeaderSize
        if _fastPath(remaining >= h && lengthSwap == 0) {
            // safe: remaining ≥ recordHeaderSize (16 or 24) covers the four 32-bit header fields
            var seconds = le32(pos), fraction = le32(pos &+ 4), captured = le32(pos &+ 8), original = le32(pos &+ 12)
            if _slowPath(bigEndian) {  // decided once per file; no byte-order choice per field
                seconds = seconds.byteSwapped
                fraction = fraction.byteSwapped
                captured = captured.byteSwapped
                original = original.byteSwapped
            }
            // remaining - h ≥ 0 from the check above
            if _fastPath(captured <= pcapMaxCaptured && Int(captured) <= remaining &- h) {
                let start = pos &+ h
                // A hint only (never faults, any address): the walk waits on memory, one record
                // header per cache line; ask for the line 4 KiB ahead (10 M packets, 3.4 GiB:
                // read 1.31 → 1.01 s; 1 KiB and 2 KiB ahead gain less).
                portolan_prefetch(base + (start &+ Self.prefetchDistance))
                // safe: start + captured ≤ end, checked above
                return yieldPcap(&record, seconds: seconds, fraction: fraction, captured: captured,
                                 original: original, dataAt: start)
            }
        }
        return try pcapSlow(&record)
    }

    /// Fills `record` from a pcap record header whose `captured` bytes at `start` the caller
    /// checked lie inside the file, and steps past the record (the fast and the slow path).
    @usableFromInline @_transparent
    mutating func yieldPcap(_ record: inout CaptureRecord, seconds: UInt32, fraction: UInt32, captured: UInt32,
                            original: UInt32, dataAt start: Int) -> UnsafeRawBufferPointer {
        // ≤ (2^32-1)·1e9 + (2^32-1)·1000 < 2^63: cannot overflow
        record.timestampNanos = Int64(seconds) &* 1_000_000_000 &+ Int64(fraction) &* fractionNanos
        record.hasTimestamp = true
        record.capturedLength = captured
        record.originalLength = original
        record.linkType = pcapLinkType
        record.interfaceID = 0
        record.section = 0
        packets &+= 1  // < 2^64 records fit in any file
        record.frameNumber = packets
        record.fileOffset = UInt64(truncatingIfNeeded: pos)
        record.sourceIndex = sourceIndex
        pos = start &+ Int(captured)  // ≤ end: the caller checked start + captured ≤ end
        return UnsafeRawBufferPointer(start: base + start, count: Int(captured))
    }

    @inlinable @inline(__always)
    mutating func nextPcapng(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        let remaining = end &- pos  // cannot overflow: 0 ≤ pos ≤ end
        if _fastPath(remaining >= 32) {
            // safe: remaining ≥ 32 covers the 28-byte EPB header and the length field
            let type = u32(pos), length = u32(pos &+ 4)
            if _fastPath(type == 6 && length >= 32 && length & 3 == 0 && Int(length) <= remaining) {
                let blockEnd = pos &+ Int(length)  // ≤ end: length ≤ remaining
                let interface = u32(pos &+ 8), captured = u32(pos &+ 20)  // safe: remaining ≥ 32 (above)
                // safe: blockEnd - 4 ≥ pos + 28 since length ≥ 32
                if _fastPath(u32(blockEnd &- 4) == length && Int(interface) < interfaces.count
                             && captured <= length &- 32) {  // length ≥ 32: no underflow
                    let iface = interfaces[Int(interface)]
                    if _fastPath(captured <= iface.maxCaptured) {
                        // safe: offsets 12..<28 lie inside the ≥ 32-byte block checked above
                        let ticks = UInt64(u32(pos &+ 12)) << 32 | UInt64(u32(pos &+ 16))
                        record.timestampNanos = iface.nanoseconds(ticks)
                        record.hasTimestamp = true
                        portolan_prefetch(base + (blockEnd &+ Self.prefetchDistance))  // a hint, as in nextPcap
                        // safe: 28 + captured ≤ length - 4, and the block lies within the file
                        return yield(&record, captured: captured, original: u32(pos &+ 24), interface: interface,
                                     linkType: iface.linkType, dataAt: pos &+ 28, length: Int(length))
                    }
                }
            }
        }
        return try pcapngSlow(&record)
    }

    // MARK: - slow paths (not inlined: damage, rare blocks, end of file)

    /// Before each window of a mapping: releases the pages behind the reader (every
    /// `releaseStride` bytes), and makes sure the file still holds this window and the next (a
    /// record that starts in this one may end in the next). A file cut shorter by another process
    /// ends reading here with an error naming the offset, instead of a SIGBUS.
    @usableFromInline @inline(never)
    mutating func windowCheck() throws(CaptureFileError) {
        if file.stream != nil {
            // A stream cannot shrink: only the release behind the reader.
            if pos - releasedUpTo >= Self.releaseStride {
                file.releasePages(from: releasedUpTo, before: pos)
                releasedUpTo = pos
            }
            releaseMark = pos > Int.max - Self.checkWindow ? Int.max : pos + Self.checkWindow
            return
        }
        if pos - releasedUpTo >= Self.releaseStride {
            file.releasePages(from: releasedUpTo, before: pos)
            releasedUpTo = pos
        }
        let needed = pos > end - 2 * Self.checkWindow ? end : pos + 2 * Self.checkWindow
        if let size = file.sizeIfShrunk(below: needed) {
            throw fail(.truncated, at: pos, "the file shrank to \(size) bytes while it was being read (it had \(end) bytes when opened)")
        }
        releaseMark = pos > Int.max - Self.checkWindow ? Int.max : pos + Self.checkWindow
    }

    /// A streamed input: makes the whole record or block at `pos` available if the input holds it
    /// (it may straddle what was read so far), so the checks that follow see it as in a file.
    /// Reads in chunks: one call serves many records. A read or decompression error ends reading.
    @inline(never)
    mutating func streamAhead() throws(CaptureFileError) {
        guard let stream = file.stream, failure == nil else { return }
        do {
            let header = isPcapng ? 12 : lengthSwap == Self.snoopRecords ? Self.snoopRecordHeaderLength : recordHeaderSize
            try stream.ensure(pos + header)
            end = stream.available
            guard end - pos >= header else { return }  // the input ends here: the caller says so
            var length: Int
            if isPcapng {
                // A section header's length is in its own byte order (its magic at 8).
                let big = u32(pos) == 0x0A0D_0D0A
                    ? UInt32(littleEndian: base.loadUnaligned(fromByteOffset: pos + 8, as: UInt32.self)) == 0x4D3C_2B1A
                    : bigEndian
                let raw = base.loadUnaligned(fromByteOffset: pos + 4, as: UInt32.self)
                length = Int(big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            } else if lengthSwap == Self.snoopRecords {
                length = Int(u32(pos + 8))
            } else {
                // Either length field may be the captured one (old libpcap swapped them).
                length = header + Int(min(max(u32(pos + 8), u32(pos + 12)), pcapMaxCaptured))
            }
            // A length beyond any record is damage the checks report; do not read ahead for it.
            try stream.ensure(pos + min(length, Self.streamMaxRecord))
            end = stream.available
        } catch {
            end = stream.available
            throw fail(error.reason, at: Int(error.offset ?? UInt64(end)), error.detail, sameError: error)
        }
    }

    /// The longest record or block a stream reads ahead for (pcapng's largest, D-Bus, is 128 MiB).
    static var streamMaxRecord: Int { 256 << 20 }

    /// Records the error, stops reading, and returns it for throwing.
    mutating func fail(_ reason: CaptureFileError.Reason, at offset: Int, _ detail: String,
                       sameError: CaptureFileError? = nil) -> CaptureFileError {
        let error = CaptureFileError(path: file.path, offset: sameError.map { $0.offset } ?? UInt64(offset),
                                     reason: reason, detail: detail, packetsBefore: packets)
        failure = error
        pos = end
        return error
    }

    /// End of the file: nil, or the error that ended reading.
    func atEnd() throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        if let failure { throw failure }
        return nil
    }

    mutating func readPcapHeader() throws(CaptureFileError) {
        guard end >= 24 else {
            throw fail(.truncated, at: 0, "the pcap file header needs 24 bytes, the file has \(end)")
        }
        // safe: end ≥ 24 covers the whole file header
        versionMajor = u16(4)
        versionMinor = u16(6)
        snapshotLength = u32(16)
        let linkField = u32(20)
        // libpcap and Wireshark accept only major version 2 (1.x is "archaic"; others unknown).
        guard versionMajor == 2 else {
            throw fail(.unsupportedVersion, at: 4, "pcap major version \(versionMajor) is not supported; expected version 2.x")
        }
        // LinkType field: low 16 bits link type, 0x03FF0000 reserved (must be 0, as libpcap/Wireshark
        // require), 0x04000000 FCS-length-present, 0xF0000000 FCS length in 16-bit words.
        let reserved = linkField & 0x03FF_0000
        guard reserved == 0 else {
            throw fail(.badLinkType, at: 20, "the pcap LinkType field \(hex(linkField, width: 8)) has non-zero reserved bits (\(hex(reserved, width: 8))); expected 0")
        }
        if linkField & 0x0400_0000 != 0 { fcsLength = UInt8(truncatingIfNeeded: (linkField >> 28) * 2) }
        pcapLinkType = LinkType(linkField & 0xFFFF)
        pcapMaxCaptured = maximumCapturedLength(pcapLinkType)
        // Files written by libpcap before 2.4 may have caplen and len swapped (libpcap's rule).
        if versionMinor < 3 { lengthSwap = 1 } else if versionMinor == 3 { lengthSwap = 2 }
        pos = 24
    }

    @usableFromInline @inline(never)
    mutating func pcapSlow(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        if file.stream != nil { try streamAhead() }
        if lengthSwap == Self.snoopRecords { return try snoopNext(&record) }
        let remaining = end - pos
        if remaining == 0 { return try atEnd() }
        let h = recordHeaderSize
        guard remaining >= h else {
            throw fail(.truncated, at: pos, "the file ends \(remaining) bytes into a \(h)-byte pcap record header")
        }
        // safe: remaining ≥ h covers the header fields
        let seconds = u32(pos), fraction = u32(pos + 4)
        var captured = u32(pos + 8), original = u32(pos + 12)
        if lengthSwap == 1 || (lengthSwap == 2 && captured > original) { swap(&captured, &original) }
        guard captured <= pcapMaxCaptured else {
            throw fail(.badRecord, at: pos, "the pcap record header says \(captured) captured bytes, more than the maximum of \(pcapMaxCaptured)")
        }
        guard Int(captured) <= remaining - h else {
            throw fail(.truncated, at: pos, "the pcap record needs \(captured) bytes of packet data after its header, but the file ends after \(remaining - h)")
        }
        // safe: pos + h + captured ≤ end, checked above
        return yieldPcap(&record, seconds: seconds, fraction: fraction, captured: captured, original: original,
                         dataAt: pos + h)
    }

    // MARK: - snoop (RFC 1761)

    /// The snoop file header: the magic "snoop\0\0\0", then version and datalink type (big-endian).
    static var snoopHeaderLength: Int { 16 }
    /// A record header: original length, included length, record length, cumulative drops,
    /// seconds, microseconds (big-endian); the data follows, then padding to the record length.
    static var snoopRecordHeaderLength: Int { 24 }

    /// Checks the snoop file header at `b` (`count` bytes, the first 4 already "snoo") and returns
    /// its version, the LINKTYPE_ of its datalink type, and whether it is a Shomiti Surveyor file:
    /// as Wireshark decides, when the first record's padding could hold a 16-byte Surveyor trailer.
    static func snoopHeader(_ b: UnsafeRawPointer, count: Int, path: String) throws(CaptureFileError)
        -> (version: UInt32, linkType: LinkType, shomiti: Bool) {
        // Bytes 4..<8 of the magic: "p" and three zeros.
        let tail: [UInt8] = [0x70, 0, 0, 0]
        for i in 4..<min(count, 8) where b.load(fromByteOffset: i, as: UInt8.self) != tail[i - 4] {  // safe: i < count
            throw CaptureFileError(path: path, offset: 0, reason: .notACaptureFile,
                                   detail: "the file starts with \"snoo\" but not with the snoop magic \"snoop\" and three zero bytes")
        }
        guard count >= snoopHeaderLength else {
            throw CaptureFileError(path: path, offset: 0, reason: .truncated,
                                   detail: "the snoop file header needs \(snoopHeaderLength) bytes, the file has \(count)")
        }
        func be32(_ at: Int) -> UInt32 { UInt32(bigEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        // safe: count ≥ 16 covers version (8) and datalink type (12)
        let version = be32(8), datalink = be32(12)
        guard (2...5).contains(version) else {
            throw CaptureFileError(path: path, offset: 8, reason: .unsupportedVersion,
                                   detail: "snoop version \(version) is not supported; expected 2 (snoop) or 3 to 5 (Shomiti Surveyor)")
        }
        var shomiti = version > 2
        if !shomiti && count - snoopHeaderLength >= snoopRecordHeaderLength {
            // safe: a whole record header at 16
            let included = UInt64(be32(snoopHeaderLength + 4)), length = UInt64(be32(snoopHeaderLength + 8))
            shomiti = length > 24 + included && length - 24 - included >= 16
        }
        guard let linkType = snoopLinkType(datalink, shomiti: shomiti) else {
            throw CaptureFileError(path: path, offset: 12, reason: .badLinkType,
                                   detail: "the \(shomiti ? "Shomiti Surveyor" : "snoop") datalink type \(datalink) is unknown or has no pcap link type")
        }
        return (version, linkType, shomiti)
    }

    /// The LINKTYPE_ of a snoop datalink type (DLPI's DL_ values), following Wireshark's
    /// wiretap/snoop.c; nil for the types it does not read or reads without a LINKTYPE_ equivalent
    /// (IP over InfiniBand, Surveyor 802.11 with its own radio header).
    public static func snoopLinkType(_ datalink: UInt32, shomiti: Bool) -> LinkType? {
        if shomiti {
            switch datalink {
            case 0, 4, 10, 12, 19: return .ethernet  // 802.3, Ethernet, Fast, Gigabit, 10 Gigabit Ethernet
            case 2, 11, 13, 14: return LinkType(6)   // IEEE 802.5 Token Ring (4 and 16 Mb/s)
            case 8: return LinkType(10)              // FDDI
            default: return nil
            }
        }
        switch datalink {
        case 0, 4: return .ethernet              // DL_CSMACD (802.3), DL_ETHER
        case 2: return LinkType(6)               // DL_TPR: Token Ring
        case 8: return LinkType(10)              // DL_FDDI
        case 9, 14: return .null                 // DL_OTHER, DL_LOOP: Wireshark reads both as BSD loopback
        case 16: return LinkType(122)            // DL_FC: IP over Fibre Channel
        case 18: return LinkType(123)            // DL_IPATM: SunATM, its 4-byte header left in the packet
        case 0x8000_0005: return LinkType(226)   // Solaris private: ipnet(7D)
        default: return nil
        }
    }

    /// Next snoop record, or nil at the end of the file (the pcap paths hand snoop files here).
    @usableFromInline @inline(never)
    mutating func snoopNext(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        let remaining = end - pos
        if remaining == 0 { return try atEnd() }
        let h = Self.snoopRecordHeaderLength
        guard remaining >= h else {
            throw fail(.truncated, at: pos, "the file ends \(remaining) bytes into a \(h)-byte snoop record header")
        }
        // safe: remaining ≥ 24 covers the six header fields
        let original = u32(pos), captured = u32(pos + 4), length = u32(pos + 8)
        let seconds = u32(pos + 16), microseconds = u32(pos + 20)
        guard original <= pcapMaxCaptured else {
            throw fail(.badRecord, at: pos, "the snoop record header says the packet was \(original) bytes long, more than the maximum of \(pcapMaxCaptured)")
        }
        guard captured <= pcapMaxCaptured else {
            throw fail(.badRecord, at: pos, "the snoop record header says \(captured) captured bytes, more than the maximum of \(pcapMaxCaptured)")
        }
        guard Int(length) >= h && Int(captured) <= Int(length) - h else {
            throw fail(.badRecord, at: pos, "the snoop record length \(length) cannot hold its \(h)-byte header and \(captured) captured bytes")
        }
        guard Int(length) <= remaining else {
            throw fail(.truncated, at: pos, "the snoop record is \(length) bytes long, but the file ends after \(remaining)")
        }
        // ≤ (2^32-1)·1e9 + (2^32-1)·1000 < 2^63: cannot overflow
        record.timestampNanos = Int64(seconds) &* 1_000_000_000 &+ Int64(microseconds) &* 1000
        record.hasTimestamp = true
        // safe: pos + 24 + captured ≤ pos + length ≤ end, checked above
        return yield(&record, captured: captured, original: original, interface: 0, linkType: pcapLinkType,
                     dataAt: pos + h, length: Int(length))
    }

    /// Walks pcapng blocks from `pos` until one yields a packet (returned), the file ends (nil),
    /// or damage (thrown).
    @usableFromInline @inline(never)
    mutating func pcapngSlow(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        while true {
            if file.stream != nil { try streamAhead() }
            if pos == end { return try atEnd() }
            if let packet = try block(&record) { return packet }
        }
    }

    /// How errors name a block type (built only when an error is thrown: no allocation otherwise).
    static func blockName(_ type: UInt32) -> String {
        switch type {
        case 0x0A0D_0D0A: "section header block"
        case 1: "interface description block"
        case 2: "obsolete packet block"
        case 3: "simple packet block"
        case 6: "enhanced packet block"
        default: "block of type \(hex(type, width: 8))"
        }
    }

    /// Validates the block at `pos` (length, trailer) and returns its length.
    mutating func blockLength(minimum: Int, type: UInt32) throws(CaptureFileError) -> Int {
        let remaining = end - pos
        guard remaining >= 12 else {
            throw fail(.truncated, at: pos, "the file ends \(remaining) bytes into a pcapng block header (12 bytes needed)")
        }
        // safe: remaining ≥ 12
        let length = Int(u32(pos + 4))
        guard length >= 12 else {
            throw fail(.badBlock, at: pos, "the \(Self.blockName(type)) length is \(length); a pcapng block is at least 12 bytes")
        }
        guard length & 3 == 0 else {
            throw fail(.badBlock, at: pos, "the \(Self.blockName(type)) length \(length) is not a multiple of 4")
        }
        guard length <= remaining else {
            throw fail(.truncated, at: pos, "the \(Self.blockName(type)) is \(length) bytes long but the file ends after \(remaining)")
        }
        // safe: pos + length ≤ end and length ≥ 12
        let trailer = Int(u32(pos + length - 4))
        guard trailer == length else {
            throw fail(.badBlock, at: pos, "the \(Self.blockName(type)) length is \(length) in its header but \(trailer) in its trailer")
        }
        guard length >= minimum else {
            throw fail(.badBlock, at: pos, "the \(Self.blockName(type)) is \(length) bytes long, too short for its fixed fields (\(minimum) bytes)")
        }
        return length
    }

    /// Handles one block at `pos`; returns a packet for EPB/SPB/OPB, nil for other blocks.
    mutating func block(_ record: inout CaptureRecord) throws(CaptureFileError) -> UnsafeRawBufferPointer? {
        let remaining = end - pos
        guard remaining >= 8 else {
            throw fail(.truncated, at: pos, "the file ends \(remaining) bytes into a pcapng block header (12 bytes needed)")
        }
        // safe: remaining ≥ 8
        let type = u32(pos)
        switch type {
        case 0x0A0D_0D0A:
            structureBlocks &+= 1
            try sectionHeader(first: false)
            return nil
        case 1:
            structureBlocks &+= 1
            try interfaceBlock()
            return nil
        case 6, 2:
            let name = type == 6 ? "enhanced packet block" : "obsolete packet block"
            let length = try blockLength(minimum: 32, type: type)
            // safe: length ≥ 32 covers the fixed fields at 8..<28
            let interface = type == 6 ? u32(pos + 8) : UInt32(u16(pos + 8))
            let ticks = UInt64(u32(pos + 12)) << 32 | UInt64(u32(pos + 16))
            let captured = u32(pos + 20), original = u32(pos + 24)
            guard Int(interface) < interfaces.count else {
                throw fail(.unknownInterface, at: pos, "the \(name) names interface \(interface), but section \(section) declares \(interfaces.count) interface\(interfaces.count == 1 ? "" : "s")")
            }
            let iface = interfaces[Int(interface)]
            guard captured <= iface.maxCaptured else {
                throw fail(.badRecord, at: pos, "the \(name) says \(captured) captured bytes, more than the maximum of \(iface.maxCaptured)")
            }
            guard Int(captured) <= length - 32 else {
                throw fail(.badRecord, at: pos, "the \(name) says \(captured) captured bytes, but the \(length)-byte block holds at most \(length - 32)")
            }
            record.timestampNanos = iface.nanoseconds(ticks)
            record.hasTimestamp = true
            return yield(&record, captured: captured, original: original, interface: interface,
                         linkType: iface.linkType, dataAt: pos + 28, length: length)
        case 3:
            let length = try blockLength(minimum: 16, type: 3)
            guard let iface = interfaces.first else {
                throw fail(.unknownInterface, at: pos, "a simple packet block needs interface 0, but section \(section) has no interface description block before it")
            }
            // safe: length ≥ 16 covers the original-length field at 8
            let original = u32(pos + 8)
            // SPB captured length = min(original length, IDB snaplen); snaplen 0 means no limit.
            let captured = iface.snaplen != 0 ? min(original, iface.snaplen) : original
            guard captured <= iface.maxCaptured else {
                throw fail(.badRecord, at: pos, "the simple packet block's packet is \(captured) bytes, more than the maximum of \(iface.maxCaptured)")
            }
            guard Int(captured) <= length - 16 else {
                throw fail(.badRecord, at: pos, "the simple packet block needs \(captured) bytes of packet data, but the \(length)-byte block holds at most \(length - 16)")
            }
            record.timestampNanos = 0
            record.hasTimestamp = false
            return yield(&record, captured: captured, original: original, interface: 0,
                         linkType: iface.linkType, dataAt: pos + 12, length: length)
        default:
            // ISB (5), NRB (4), DSB (10), custom (0xBAD / 0x40000BAD), journal and unknown
            // blocks: skipped by their length.
            let length = try blockLength(minimum: 12, type: type)
            pos += length
            return nil
        }
    }

    /// Fills `record` from a pcapng packet block of `length` bytes at `pos` whose `captured` bytes
    /// at `start` the caller checked lie inside it, and steps past the block (the fast and the slow path).
    @usableFromInline @_transparent
    mutating func yield(_ record: inout CaptureRecord, captured: UInt32, original: UInt32, interface: UInt32,
                        linkType: LinkType, dataAt start: Int, length: Int) -> UnsafeRawBufferPointer {
        record.capturedLength = captured
        record.originalLength = original
        record.linkType = linkType
        record.interfaceID = interface
        record.section = section
        packets &+= 1  // < 2^64 blocks fit in any file
        record.frameNumber = packets
        record.fileOffset = UInt64(truncatingIfNeeded: pos)
        record.sourceIndex = sourceIndex
        pos &+= length  // ≤ end: the caller checked the block lies within the file
        // safe: the caller checked start + captured ≤ block end ≤ file end
        return UnsafeRawBufferPointer(start: base + start, count: Int(captured))
    }

    /// Section Header Block: sets the section's byte order, checks the version, clears interfaces.
    @discardableResult
    mutating func sectionHeader(first: Bool) throws(CaptureFileError) -> Int {
        let remaining = end - pos
        guard remaining >= 12 else {
            throw fail(.truncated, at: pos, "the file ends \(remaining) bytes into a section header block (28 bytes needed)")
        }
        // safe: remaining ≥ 12 covers the byte-order magic at 8
        let bom = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: pos + 8, as: UInt32.self))
        switch bom {
        case 0x1A2B_3C4D: bigEndian = false
        case 0x4D3C_2B1A: bigEndian = true
        default:
            throw fail(.badBlock, at: pos + 8, "the section header block's byte-order magic is \(hex(bom.byteSwapped, width: 8)); expected 1a2b3c4d in either byte order")
        }
        let length = try blockLength(minimum: 28, type: 0x0A0D_0D0A)
        // safe: length ≥ 28 covers version (12, 14) and section length (16)
        let major = u16(pos + 12), minor = u16(pos + 14)
        guard major == 1 else {
            throw fail(.unsupportedVersion, at: pos + 12, "pcapng section header version \(major).\(minor) is not supported; expected 1.x")
        }
        try walkOptions(from: pos + 24, to: pos + length - 4, block: "section header block") { _, _, _ in }
        if !first { section += 1 }
        interfaces.removeAll(keepingCapacity: true)
        pos += length
        return length
    }

    /// Interface Description Block: link type, snaplen, if_tsresol (9), if_tsoffset (14).
    mutating func interfaceBlock() throws(CaptureFileError) {
        let length = try blockLength(minimum: 20, type: 1)
        // safe: length ≥ 20 covers link type (8), reserved (10), snaplen (12)
        let linkType = LinkType(UInt32(u16(pos + 8)))
        var iface = PcapngInterface(linkType: linkType, snaplen: u32(pos + 12),
                                    maxCaptured: maximumCapturedLength(linkType))
        var resolution: UInt8 = 6
        var offsetSeconds: Int64 = 0
        let isBig = bigEndian
        try walkOptions(from: pos + 16, to: pos + length - 4, block: "interface description block") { code, value, count in
            if code == 9 && count >= 1 {
                resolution = value[0]
            } else if code == 14 && count >= 8 {
                let raw = value.loadUnaligned(as: UInt64.self)  // safe: count ≥ 8 checked on this line's branch
                offsetSeconds = Int64(bitPattern: isBig ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
            }
        }
        iface.setResolution(resolution)
        iface.setOffset(seconds: offsetSeconds)
        interfaces.append(iface)
        pos += length
    }

    /// Walks the options between `from` and `to` (the block's trailer); throws when an option runs
    /// past the block. Stops at opt_endofopt (0).
    mutating func walkOptions(from: Int, to: Int, block: String,
                              _ visit: (UInt16, UnsafeRawBufferPointer, Int) -> Void) throws(CaptureFileError) {
        var at = from
        while to - at >= 4 {
            // safe: at + 4 ≤ to ≤ end
            let code = u16(at), count = Int(u16(at + 2))
            if code == 0 { return }
            let padded = (count + 3) & ~3
            guard padded <= to - at - 4 else {
                throw fail(.badBlock, at: at, "option \(code) of the \(block) is \(count) bytes long and runs past the end of the block")
            }
            // safe: at + 4 + count ≤ to ≤ end
            visit(code, UnsafeRawBufferPointer(start: base + at + 4, count: count), count)
            at += 4 + padded
        }
    }
}

// A reader may move to another thread: its pointers address memory that `file` keeps alive and
// that nobody writes.
extension CaptureReader: @unchecked Sendable {}

/// One pcapng interface (IDB) of the current section, with its timestamp conversion ready.
@usableFromInline
struct PcapngInterface: Sendable {
    @usableFromInline var linkType: LinkType
    @usableFromInline var snaplen: UInt32
    @usableFromInline var maxCaptured: UInt32
    /// Nanoseconds per tick when a tick is a whole number of ns (resolutions 1 s … 1 ns, 2^0 … 2^-9).
    @usableFromInline var multiplier: UInt64 = 1000
    /// Decimal resolutions finer than 1 ns: ns = ticks / divisor (used when multiplier == 0).
    @usableFromInline var divisor: UInt64 = 0
    /// Binary resolutions finer than 2^-9 s: ns = ticks·1e9 / 2^shift (multiplier == 0, divisor == 0);
    /// `.max` for decimal resolutions finer than 10^-28 s (always 0 ns).
    @usableFromInline var shift: UInt8 = 0
    /// if_tsoffset in nanoseconds (saturated).
    @usableFromInline var offsetNanos: Int64 = 0

    init(linkType: LinkType, snaplen: UInt32, maxCaptured: UInt32) {
        self.linkType = linkType
        self.snaplen = snaplen
        self.maxCaptured = maxCaptured
    }

    /// if_tsresol: high bit clear = 10^-n s, set = 2^-n s.
    mutating func setResolution(_ value: UInt8) {
        let n = Int(value & 0x7F)
        multiplier = 0
        divisor = 0
        shift = 0
        if value & 0x80 == 0 {
            if n <= 9 {
                multiplier = 1
                for _ in 0..<(9 - n) { multiplier *= 10 }
            } else if n <= 28 {
                divisor = 1
                for _ in 0..<(n - 9) { divisor *= 10 }  // ≤ 10^19 < 2^64
            } else {
                shift = .max  // ticks < 2^64 < 10^29: every timestamp is below 1 ns
            }
        } else if n <= 9 {
            multiplier = 1_000_000_000 >> n  // 2^9 divides 1e9: exact
        } else {
            shift = UInt8(n)
        }
    }

    mutating func setOffset(seconds: Int64) {
        let (v, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        offsetNanos = overflow ? (seconds < 0 ? .min : .max) : v
    }

    /// Ticks since the epoch (before if_tsoffset) to nanoseconds, saturating at Int64's range.
    @inlinable
    func nanoseconds(_ ticks: UInt64) -> Int64 {
        var ns: UInt64
        if _fastPath(multiplier != 0) {
            let (v, overflow) = ticks.multipliedReportingOverflow(by: multiplier)
            ns = overflow ? .max : v
        } else {
            ns = scaledSlow(ticks)
        }
        var result = ns > UInt64(Int64.max) ? Int64.max : Int64(ns)
        if offsetNanos != 0 {
            let (v, overflow) = result.addingReportingOverflow(offsetNanos)
            result = overflow ? (offsetNanos < 0 ? .min : .max) : v
        }
        return result
    }

    @usableFromInline
    func scaledSlow(_ ticks: UInt64) -> UInt64 {
        if divisor != 0 { return ticks / divisor }
        if shift == .max { return 0 }
        // ticks · 1e9 as 128 bits, then shift right by `shift` (10…127).
        let (high, low) = ticks.multipliedFullWidth(by: 1_000_000_000)
        let s = Int(shift)
        if s >= 64 { return high >> UInt64(s - 64) }
        if high >> UInt64(s) != 0 { return .max }  // result needs more than 64 bits
        return high << UInt64(64 - s) | low >> UInt64(s)
    }
}

/// The largest captured length libpcap and Wireshark accept for a link type: 262,144 bytes,
/// except D-Bus (231, 128 MiB) and EBHSCR (279, 8 MiB).
func maximumCapturedLength(_ linkType: LinkType) -> UInt32 {
    switch linkType.rawValue {
    case 231: 128 << 20
    case 279: 8 << 20
    default: 262_144
    }
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, width - digits.count)) + digits
}

// MARK: - Byte ranges (`analyze --threads`)

extension CaptureReader {
    /// Whether the file can be cut into byte ranges read by copies of this reader: a pcap file
    /// without swapped lengths (not snoop: it is read on one thread), or a pcapng file (after `prepareSplit`; a range is then valid only
    /// if no section header or interface block comes before it after the preamble: see `structureBlocks`).
    public var canSplit: Bool { (isPcapng || lengthSwap == 0) && failure == nil }

    /// pcapng: reads the blocks before the first packet block (section header, interfaces, …), so
    /// that copies of this reader can start at later blocks. pcap: nothing to do.
    public mutating func prepareSplit() throws(CaptureFileError) {
        guard isPcapng else { return }
        var record = CaptureRecord()
        while pos < end && end - pos >= 8 {
            let type = u32(pos)  // safe: end - pos ≥ 8
            if type == 6 || type == 3 || type == 2 { return }
            if try block(&record) != nil { return }  // not reached: packet blocks stop above
        }
    }

    /// The first record (pcap) or block (pcapng) boundary at or after `offset` found by
    /// `pcapRecordBoundary` or `pcapngBlockBoundary`.
    public func recordBoundary(atOrAfter offset: Int) -> Int? {
        isPcapng ? pcapngBlockBoundary(atOrAfter: offset) : pcapRecordBoundary(atOrAfter: offset)
    }

    /// pcapng: the first 4-byte-aligned offset at or after `offset` (within `window` bytes) where
    /// `run` consecutive blocks start (`pcapngBlockEnd`), each leading to the next (or the run
    /// reaches the end of the file exactly), the first neither a section header nor an interface block.
    public func pcapngBlockBoundary(atOrAfter offset: Int, run: Int = 8, window: Int = 1 << 20) -> Int? {
        guard isPcapng, failure == nil else { return nil }
        return firstRun(from: (max(offset, 0) + 3) & ~3, step: 4, before: windowEnd(offset, window), run: run) { at, i in
            // safe: pcapngBlockEnd checked 12 bytes at `at`
            guard let next = pcapngBlockEnd(at: at), i > 0 || (u32(at) != 0x0A0D_0D0A && u32(at) != 1) else { return nil }
            return next
        }
    }

    /// The first offset at or after `offset` (and before `offset + window`) where `run`
    /// consecutive plausible pcap records start, each leading exactly to the next (or the run
    /// reaches the end of the file exactly); nil when there is none. Plausible: 0 < captured ≤
    /// original ≤ 262,144 bytes, a sub-second fraction below one second, seconds within a day of
    /// the previous record's and no earlier than a day before the first record's. A heuristic:
    /// the reader of the range before must land exactly on the offset before the cut is trusted.
    public func pcapRecordBoundary(atOrAfter offset: Int, run: Int = 16, window: Int = 1 << 20) -> Int? {
        guard !isPcapng, lengthSwap == 0, failure == nil else { return nil }
        let h = recordHeaderSize
        let fractionLimit: UInt32 = fractionNanos == 1 ? 1_000_000_000 : 1_000_000
        // Not before the first record's time (less a day): runs of zero bytes in payloads read
        // as empty records from 1970.
        let earliest: UInt32 = end - 24 >= h ? u32(24) &- min(u32(24), 86_400) : 0  // safe: a header at 24
        var previousSeconds: UInt32 = 0
        return firstRun(from: max(offset, 24), step: 1, before: windowEnd(offset, window), run: run) { at, i in
            guard end - at >= h else { return nil }
            // safe: end - at ≥ h covers the header fields
            let seconds = u32(at), fraction = u32(at + 4), captured = u32(at + 8), original = u32(at + 12)
            guard captured > 0, captured <= original, original <= 262_144, captured <= pcapMaxCaptured,
                  fraction < fractionLimit, seconds >= earliest, Int(captured) <= end - at - h,
                  i == 0 || (seconds > previousSeconds ? seconds - previousSeconds : previousSeconds - seconds) <= 86_400
            else { return nil }
            previousSeconds = seconds
            return at + h + Int(captured)
        }
    }

    /// `offset + window`, or the end of the file.
    func windowEnd(_ offset: Int, _ window: Int) -> Int { min(end, offset > end - window ? end : offset + window) }

    /// The first candidate offset from `start` (by `step`, before `last`) from which `next` — the
    /// offset after the record or block at `at`, the `i`th of the run, or nil if none is plausible
    /// there — leads through `run` of them, or through at least one to the end of the file exactly.
    func firstRun(from start: Int, step: Int, before last: Int, run: Int,
                  _ next: (_ at: Int, _ i: Int) -> Int?) -> Int? {
        var candidate = start
        while candidate < last {
            var at = candidate, good = 0
            while good < run && at != end {
                guard let n = next(at, good) else {
                    good = -1
                    break
                }
                at = n
                good += 1
            }
            if good > 0 { return candidate }
            candidate += step
        }
        return nil
    }

    /// pcapng: the offset after the block at `at` if its length is ≥ 12, a multiple of 4, inside
    /// the file and repeated in its trailer; else nil.
    func pcapngBlockEnd(at: Int) -> Int? {
        guard end - at >= 12 else { return nil }
        let length = Int(u32(at + 4))  // safe: end - at ≥ 12
        // safe: at + length - 4 ≥ at + 8, inside the file
        guard length >= 12, length & 3 == 0, length <= end - at, Int(u32(at + length - 4)) == length else { return nil }
        return at + length
    }

    /// Continues the walk at `offset`, a record or block boundary (`recordBoundary`), numbering
    /// the frames after `packetsBefore` (the packets before it, when known; 0 numbers them from 1).
    /// pcapng: the section and interfaces stay this reader's. Pages before `offset` are left
    /// alone: other readers may be walking them.
    public mutating func seek(toRecordAt offset: Int, packetsBefore: UInt64) {
        let first = isPcapng ? 0 : lengthSwap == Self.snoopRecords ? Self.snoopHeaderLength : 24
        precondition(offset >= first && offset <= end, "seek(toRecordAt:) outside the file's records")
        pos = offset
        packets = packetsBefore
        releasedUpTo = offset
        releaseMark = file.isMapped ? offset : Int.max  // the window at `offset` is checked first
    }

    /// Packets whose record (pcap) or packet block (pcapng) starts in `from..<before`, walking
    /// record or block lengths from `from` (a boundary), and the bytes walked: a sample of the
    /// file's packet density for placing cuts. Stops early at anything that does not fit.
    public func countPackets(from: Int, before: Int) -> (packets: Int, bytes: Int) {
        var at = from, n = 0
        let stop = min(before, end)
        if isPcapng {
            while at < stop, let next = pcapngBlockEnd(at: at) {
                let type = u32(at)  // safe: pcapngBlockEnd checked 12 bytes at `at`
                if type == 6 || type == 3 || type == 2 { n += 1 }
                at = next
            }
        } else if lengthSwap == Self.snoopRecords {
            let h = Self.snoopRecordHeaderLength
            while at < stop && end - at >= h {
                let length = Int(u32(at + 8))  // safe: end - at ≥ h
                guard length >= h, length <= end - at else { break }
                n += 1
                at += length
            }
        } else {
            let h = recordHeaderSize
            while at < stop && end - at >= h {
                let captured = Int(u32(at + 8))  // safe: end - at ≥ h
                guard captured <= end - at - h else { break }
                n += 1
                at += h + captured
            }
        }
        return (n, at - from)
    }
}
