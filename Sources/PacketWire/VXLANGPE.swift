/// VXLAN-GPE (UDP 4790): flags, reserved, next protocol (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH),
/// 24-bit VNI, reserved. NSH (RFC 8300): version/flags/TTL and length in 4-byte words (6 bits),
/// MD type, next protocol (same numbers), service path header, context headers.
@usableFromInline enum VXLANGPE {
    @inlinable static var flags: Int { 0 }
    @inlinable static var nextProtocol: Int { flags + 3 }
    @inlinable static var vni: Int { nextProtocol + 1 }
    @inlinable static var headerLength: Int { vni + 4 }

    @inlinable static var nshLengthField: Int { 1 }
    @inlinable static var nshMDType: Int { nshLengthField + 1 }
    @inlinable static var nshNextProtocol: Int { nshMDType + 1 }
    @inlinable static var nshMinLength: Int { nshNextProtocol + 1 + 4 }

    @inlinable static func next(_ proto: UInt8) -> Step {
        switch proto {
        case 1: .ipv4
        case 2: .ipv6
        case 3: .ethernet
        case 4: .nsh
        default: .done
        }
    }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .vxlan, .truncated, needed: headerLength) }
        let proto = b.u8(c.at + nextProtocol)  // checked: headerLength bytes at c.at
        c.at += headerLength
        return next(proto)
    }

    @inlinable static func decodeNSH(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= nshMinLength else { return c.stop(&s, .vxlan, .truncated, needed: nshMinLength) }
        // checked: nshMinLength bytes at c.at
        let length = Int(b.u8(c.at + nshLengthField) & 0x3F) * 4
        let proto = b.u8(c.at + nshNextProtocol)
        guard length >= nshMinLength else { return c.stop(&s, .vxlan, .badHeaderLength) }
        guard c.available >= length else { return c.stop(&s, .vxlan, .truncated, needed: length) }
        c.at += length
        return proto == 4 ? .done : next(proto)
    }
}
