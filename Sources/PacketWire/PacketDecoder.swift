/// Decoder options fixed for a run.
public struct DecoderOptions: Sendable, Equatable {
    /// UDP destination ports decoded as VXLAN (4789 always; the catalog adds overlay ports such
    /// as DC/OS navstar's 64000). At most 8 are honoured.
    public var vxlanPorts: [UInt16]
    public init(vxlanPorts: [UInt16] = [4789]) {
        self.vxlanPorts = vxlanPorts
    }
}

/// Decodes a frame's headers into a caller-owned `PacketSummary`.
/// PLACEHOLDER: the decoder helper replaces this file with the real implementation.
public struct PacketDecoder: Sendable {
    public var options: DecoderOptions
    public init(options: DecoderOptions = DecoderOptions()) { self.options = options }

    /// Resets `summary` and fills it from `bytes` (lent for this call only).
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into summary: inout PacketSummary) {
        summary = PacketSummary()
        summary.linkType = linkType
        summary.stop = DecodeError(layer: .link, reason: .unsupportedLinkType, offset: 0)
    }
}
