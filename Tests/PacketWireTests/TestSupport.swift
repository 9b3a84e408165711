import PacketWire
import Testing

/// Decodes a fixture (or a prefix of it) with a fresh summary.
func decode(_ f: Fixture, length: Int? = nil, options: DecoderOptions = DecoderOptions()) -> PacketSummary {
    decode(f.bytes, linkType: f.linkType, length: length, options: options)
}

func decode(_ bytes: [UInt8], linkType: UInt32, length: Int? = nil, options: DecoderOptions = DecoderOptions()) -> PacketSummary {
    var s = PacketSummary()
    let n = length ?? bytes.count
    bytes.withUnsafeBytes { raw in
        PacketDecoder(options: options).decode(
            UnsafeRawBufferPointer(rebasing: raw[0..<n]), linkType: LinkType(linkType), into: &s)
    }
    return s
}

func addr(_ text: String) -> IPAddress {
    IPAddress.parse(text)!.address
}

/// An IP header summary as the decoder should fill it; transport details are added with the
/// modifiers below, so every field of the expected value is spelled out by the test.
func ip(
    _ version: UInt8, _ src: String, _ dst: String, proto: UInt8, at offset: UInt32, payload: UInt32,
    ttl: UInt8 = 64
) -> IPHeaderSummary {
    var h = IPHeaderSummary()
    h.version = version
    h.source = addr(src)
    h.destination = addr(dst)
    h.proto = IPProtocol(proto)
    h.offset = offset
    h.ttl = ttl
    h.ipPayloadLength = payload
    return h
}

extension IPHeaderSummary {
    func ports(_ source: UInt16, _ destination: UInt16, payload: UInt32) -> IPHeaderSummary {
        var h = self
        h.hasPorts = true
        h.sourcePort = source
        h.destinationPort = destination
        h.transportPayloadLength = payload
        return h
    }

    /// TCP flags, with the sequence, acknowledgement (0 without ACK) and window read with them;
    /// the defaults are the numbers every TCP fixture of Fixtures.swift carries (seq 1000, ack
    /// 2000, win 65535, as their tcpdump lines say).
    func tcpFlags(_ flags: UInt16, seq: UInt32 = 1000, ack: UInt32? = nil, window: UInt16 = 65535) -> IPHeaderSummary {
        var h = self
        h.hasTCPFlags = true
        h.tcpFlags = flags
        h.tcpSeq = seq
        h.tcpAck = ack ?? (flags & 0x10 != 0 ? 2000 : 0)
        h.tcpWindow = window
        return h
    }

    func icmp(_ type: UInt8, _ code: UInt8, payload: UInt32) -> IPHeaderSummary {
        var h = self
        h.hasICMP = true
        h.icmpType = type
        h.icmpCode = code
        h.transportPayloadLength = payload
        return h
    }

    /// A fragment of datagram `id`; a later one (offset > 0) carries `data` bytes of transport payload.
    func fragment(offset: UInt16, more: Bool, id: UInt32, data: UInt32 = 0) -> IPHeaderSummary {
        var h = self
        h.isFragment = true
        h.fragmentOffset = offset
        h.moreFragments = more
        h.fragmentID = id
        if offset != 0 { h.transportPayloadLength = data }
        return h
    }
}

/// The expected summary of a frame with one IP header (outer == inner) and no stop.
func expected(link: UInt32, etherType: UInt16, _ h: IPHeaderSummary) -> PacketSummary {
    var s = PacketSummary()
    s.linkType = LinkType(link)
    s.etherType = EtherType(etherType)
    s.outer = h
    s.inner = h
    return s
}

/// Field-by-field comparison (a failing `==` on the whole summary names no field).
func expectSame(_ got: PacketSummary, _ want: PacketSummary, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.linkType == want.linkType, "linkType", sourceLocation: sourceLocation)
    #expect(got.etherType == want.etherType, "etherType", sourceLocation: sourceLocation)
    #expect(got.vlanCount == want.vlanCount, "vlanCount", sourceLocation: sourceLocation)
    #expect(got.vlans == want.vlans, "vlans", sourceLocation: sourceLocation)
    #expect(got.mplsLabelCount == want.mplsLabelCount, "mplsLabelCount", sourceLocation: sourceLocation)
    #expect(got.outer == want.outer, "outer", sourceLocation: sourceLocation)
    #expect(got.inner == want.inner, "inner", sourceLocation: sourceLocation)
    #expect(got.tunnelDepth == want.tunnelDepth, "tunnelDepth", sourceLocation: sourceLocation)
    #expect(got.tunnel == want.tunnel, "tunnel", sourceLocation: sourceLocation)
    #expect(got.innerVLANCount == want.innerVLANCount, "innerVLANCount", sourceLocation: sourceLocation)
    #expect(got.innerVLANs == want.innerVLANs, "innerVLANs", sourceLocation: sourceLocation)
    #expect(got.quoted == want.quoted, "quoted", sourceLocation: sourceLocation)
    #expect(got.stop == want.stop, "stop", sourceLocation: sourceLocation)
    #expect(got == want, sourceLocation: sourceLocation)
}
