/// A capture file that cannot be opened, read or written: names the file, the byte offset where
/// the problem was found (when there is one) and, in one sentence, what was expected and what was
/// found. Readers throw it only after every good packet before the damage was delivered.
public struct CaptureFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of problem, for callers that branch on it (tests, exit codes).
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        /// open/fstat/mmap/read failed (the detail carries the C library's message).
        case cannotOpen = "cannot-open"
        /// The magic number is not pcap, pcapng, snoop, gzip or zstd.
        case notACaptureFile = "not-a-capture-file"
        /// pcap major version other than 2, pcapng SHB major version other than 1, snoop version
        /// other than 2 to 5.
        case unsupportedVersion = "unsupported-version"
        /// Non-zero reserved bits in the pcap LinkType field; a snoop datalink type with no pcap
        /// link type.
        case badLinkType = "bad-link-type"
        /// The file ends inside a header, a record or a block.
        case truncated
        /// A pcapng block whose length or layout is impossible (length < 12, not a multiple of 4,
        /// header and trailer lengths differ, too short for its type, option past the block,
        /// unknown byte-order magic).
        case badBlock = "bad-block"
        /// A packet record whose captured length is above the maximum or above what its block holds.
        case badRecord = "bad-record"
        /// A pcapng packet that names an interface no IDB of its section declared.
        case unknownInterface = "unknown-interface"
        /// gzip / zstd data that is corrupt, cut short, or larger than the decompression cap.
        case decompression
        /// A write, flush or close of a capture file failed.
        case write
    }

    public let path: String
    /// Byte offset in the (decompressed) file where the problem is; nil when there is no offset
    /// (the file could not be opened).
    public let offset: UInt64?
    public let reason: Reason
    /// What was expected and what was found, without the path and offset.
    public let detail: String
    /// Packets delivered before the error (0 when reading had not started).
    public let packetsBefore: UInt64

    public init(path: String, offset: UInt64?, reason: Reason, detail: String, packetsBefore: UInt64 = 0) {
        self.path = path
        self.offset = offset
        self.reason = reason
        self.detail = detail
        self.packetsBefore = packetsBefore
    }

    /// One sentence: `path: at byte offset N: detail (after K packets).`
    public var description: String {
        var text = path
        if let offset { text += ": at byte offset \(offset)" }
        text += ": " + detail
        if packetsBefore > 0 { text += " (after \(packetsBefore) good packet\(packetsBefore == 1 ? "" : "s"))" }
        return text
    }
}
