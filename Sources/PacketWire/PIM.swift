/// PIM (RFC 7761), IP protocol 103: version (4 bits) and type (4 bits), reserved, checksum. A
/// version-2 Register (type 1) carries, after 4 bytes of flags (B, N), the multicast packet it
/// tunnels to the rendezvous point; tshark shows that packet as a further IP layer, and so do we.
@usableFromInline enum PIM {
    @inlinable static var versionType: Int { 0 }
    @inlinable static var reserved: Int { versionType + 1 }
    @inlinable static var checksum: Int { reserved + 1 }
    @inlinable static var headerLength: Int { checksum + 2 }
    @inlinable static var registerFlagsLength: Int { 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return .done }   // PIM itself is not followed further
        guard b.u8(c.at + versionType) == 0x21 else { return .done }  // checked: headerLength bytes; v2 Register
        guard c.available >= headerLength + registerFlagsLength + 1 else { return .done }  // a null register
        c.at += headerLength + registerFlagsLength
        return c.enterTunnel(.pimRegister, .ipv4, &s) ? .ipAny : .done
    }
}
