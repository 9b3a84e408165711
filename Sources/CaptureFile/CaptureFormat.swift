/// How the bytes of a capture file are laid out, as sniffed from its magic number (never from its
/// name).
public enum CaptureFormat: Sendable, Equatable, CustomStringConvertible {
    /// Classic libpcap: one file header, then records. `modified` is Alexey Kuznetzov's variant
    /// (magic a1b2cd34, 24-byte record header); its timestamps are microseconds.
    case pcap(nanosecond: Bool, bigEndian: Bool, modified: Bool)
    /// pcapng: byte order is per section and is in `CaptureReader.sectionIsBigEndian`.
    case pcapng
    /// Solaris snoop (RFC 1761; big-endian, microseconds). `shomiti`: a Shomiti/Finisar Surveyor
    /// file (versions 3–5, or version 2 with Surveyor trailers in the record padding).
    case snoop(version: UInt32, shomiti: Bool)

    public var description: String {
        switch self {
        case let .pcap(nanosecond, bigEndian, modified):
            "pcap (\(modified ? "modified, " : "")\(nanosecond ? "ns" : "µs"), \(bigEndian ? "big" : "little")-endian)"
        case .pcapng: "pcapng"
        case let .snoop(version, shomiti): "snoop (\(shomiti ? "Shomiti Surveyor, " : "")version \(version))"
        }
    }
}

/// Compression found on the input and undone before reading.
public enum CaptureCompression: String, Sendable, Equatable {
    case none, gzip, zstd
}
