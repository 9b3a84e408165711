/// What every packet source hands the analyzer with a frame's bytes: a file reader and a live
/// capture fill the same record, so the analyzer cannot tell them apart.
public struct CaptureRecord: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch (pcapng `if_tsoffset` and `if_tsresol` already applied).
    /// `hasTimestamp` is false for pcapng Simple Packet Blocks, which carry none.
    public var timestampNanos: Int64
    public var hasTimestamp: Bool
    /// Bytes captured (the length of the lent buffer).
    public var capturedLength: UInt32
    /// Length of the frame on the wire.
    public var originalLength: UInt32
    public var linkType: LinkType
    /// pcapng interface id within its section (0 for pcap and live).
    public var interfaceID: UInt32
    /// pcapng section number (0-based; 0 for pcap and live).
    public var section: UInt32
    /// 1-based packet number within the source, counting packets only (not other blocks).
    public var frameNumber: UInt64
    /// Byte offset of the record (pcap record header / pcapng block) in the file; 0 for live.
    public var fileOffset: UInt64
    /// Index of the source among several files analysed together (0 for the first / live).
    public var sourceIndex: UInt32

    @inlinable public init(
        timestampNanos: Int64 = 0, hasTimestamp: Bool = true, capturedLength: UInt32 = 0,
        originalLength: UInt32 = 0, linkType: LinkType = .ethernet, interfaceID: UInt32 = 0,
        section: UInt32 = 0, frameNumber: UInt64 = 0, fileOffset: UInt64 = 0, sourceIndex: UInt32 = 0
    ) {
        self.timestampNanos = timestampNanos
        self.hasTimestamp = hasTimestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.linkType = linkType
        self.interfaceID = interfaceID
        self.section = section
        self.frameNumber = frameNumber
        self.fileOffset = fileOffset
        self.sourceIndex = sourceIndex
    }
}
