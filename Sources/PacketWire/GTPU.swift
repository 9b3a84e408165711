/// GTP-U version 1 (3GPP TS 29.281) on UDP 2152: flags (version 3 bits, PT, E, S, PN), message
/// type, length, TEID; with any of E/S/PN a 4-byte block (sequence, N-PDU, next extension type)
/// and then extension headers (length in 4-byte units, last byte = next type). Message type 255
/// (G-PDU) carries an IP packet; other messages carry none.
@usableFromInline enum GTPU {
    @inlinable static var flags: Int { 0 }
    @inlinable static var messageType: Int { flags + 1 }
    @inlinable static var length: Int { messageType + 1 }
    @inlinable static var teid: Int { length + 2 }
    @inlinable static var headerLength: Int { teid + 4 }
    @inlinable static var optionalLength: Int { 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .udp, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let f = b.u8(c.at + flags)
        let type = b.u8(c.at + messageType)
        guard f >> 5 == 1 && f & 0x10 != 0 else { return .done }   // not GTPv1 / GTP' : no IP
        var at = c.at + headerLength
        if f & 0x07 != 0 {
            guard c.end - at >= optionalLength else { return c.stop(&s, .udp, .truncated, needed: optionalLength) }
            var next = b.u8(at + optionalLength - 1)  // checked: optionalLength bytes at `at`
            at += optionalLength
            var count = 0
            while next != 0 {
                count += 1
                guard count <= Cursor.maxExtensionHeaders else { return c.stop(&s, .udp, .tooDeep) }
                guard c.end - at >= 1 else { return c.stop(&s, .udp, .truncated, needed: 4) }
                let units = Int(b.u8(at))  // checked: 1 byte at `at`
                guard units > 0 else { return c.stop(&s, .udp, .badHeaderLength) }
                guard c.end - at >= units * 4 else { return c.stop(&s, .udp, .truncated, needed: units * 4) }
                next = b.u8(at + units * 4 - 1)  // checked: units * 4 bytes at `at`
                at += units * 4
            }
        }
        guard type == 255 else { return .done }
        c.at = at
        return .ipAny
    }
}
