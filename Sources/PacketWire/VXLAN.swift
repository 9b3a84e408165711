/// VXLAN (RFC 7348): flags (I bit = VNI valid), reserved, 24-bit VNI, reserved; Ethernet follows.
@usableFromInline enum VXLAN {
    @inlinable static var flags: Int { 0 }
    @inlinable static var vni: Int { flags + 4 }
    @inlinable static var headerLength: Int { vni + 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .vxlan, .truncated, needed: headerLength) }
        c.at += headerLength
        return .ethernet
    }
}
