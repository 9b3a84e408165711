/// PPPoE session header (EtherType 0x8864): version/type, code, session id, payload length;
/// a PPP protocol field follows. The version/type byte (0x11) is not checked: tshark 4.0 decodes
/// the session whatever it holds.
@usableFromInline enum PPPoE {
    @inlinable static var versionType: Int { 0 }
    @inlinable static var code: Int { versionType + 1 }
    @inlinable static var session: Int { code + 1 }
    @inlinable static var payloadLength: Int { session + 2 }
    @inlinable static var headerLength: Int { payloadLength + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .pppoe, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let length = Int(b.be16(c.at + payloadLength))
        c.at += headerLength
        c.end = min(c.end, c.at + length)   // the session length bounds the PPP frame
        return .pppProtocol
    }
}
