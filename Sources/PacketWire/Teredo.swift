/// Teredo (RFC 4380) on UDP 3544: IPv6 in UDP, optionally preceded by an authentication
/// indicator (type 0x0001: client id and auth value lengths, then 8-byte nonce and confirmation)
/// and an origin indicator (type 0x0000, 8 bytes). Like tshark's heuristic, only an IPv6 version
/// nibble after them makes it Teredo.
@usableFromInline enum Teredo {
    @inlinable static var indicatorType: Int { 0 }
    @inlinable static var authIDLength: Int { indicatorType + 2 }
    @inlinable static var authValueLength: Int { authIDLength + 1 }
    @inlinable static var authFixedLength: Int { authValueLength + 1 + 8 + 1 }
    @inlinable static var originLength: Int { 8 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        var at = c.at
        if c.end - at >= authFixedLength && b.be16(at + indicatorType) == 0x0001 {  // checked: authFixedLength bytes at `at`
            at += authFixedLength + Int(b.u8(at + authIDLength)) + Int(b.u8(at + authValueLength))
        }
        if c.end - at >= originLength && b.be16(at + indicatorType) == 0x0000 {  // checked: originLength bytes at `at`
            at += originLength
        }
        guard c.end - at >= IPv6.headerLength, b.u8(at) >> 4 == 6 else { return .done }  // checked: 40 bytes at `at`
        c.at = at
        return c.enterTunnel(.teredo, .udp, &s) ? .ipv6 : .done
    }
}
