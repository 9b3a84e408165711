/// Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL 113): packet type, ARPHRD type, address length,
/// 8 address bytes, protocol (an EtherType for everything Portolan follows).
@usableFromInline enum LinuxSLL {
    @inlinable static var packetType: Int { 0 }
    @inlinable static var hardwareType: Int { packetType + 2 }
    @inlinable static var addressLength: Int { hardwareType + 2 }
    @inlinable static var address: Int { addressLength + 2 }
    @inlinable static var proto: Int { address + 8 }
    @inlinable static var headerLength: Int { proto + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let type = b.be16(c.at + proto)
        let hatype = b.be16(c.at + hardwareType)
        c.at += headerLength
        if hatype == 824 { return .done }              // ARPHRD_NETLINK: netlink messages
        if type == 0x0007 { return .pppHDLC }          // LINUX_SLL_P_PPPHDLC
        return c.dispatch(etherType: type, &s)
    }
}

/// Linux "cooked" capture v2 (LINKTYPE_LINUX_SLL2 276): protocol first, then reserved, interface
/// index, ARPHRD type, packet type, address length and 8 address bytes.
@usableFromInline enum LinuxSLL2 {
    @inlinable static var proto: Int { 0 }
    @inlinable static var reserved: Int { proto + 2 }
    @inlinable static var interfaceIndex: Int { reserved + 2 }
    @inlinable static var hardwareType: Int { interfaceIndex + 4 }
    @inlinable static var packetType: Int { hardwareType + 2 }
    @inlinable static var addressLength: Int { packetType + 1 }
    @inlinable static var address: Int { addressLength + 1 }
    @inlinable static var headerLength: Int { address + 8 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= headerLength else { return c.stop(&s, .link, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let type = b.be16(c.at + proto)
        let hatype = b.be16(c.at + hardwareType)
        c.at += headerLength
        if hatype == 824 { return .done }
        if type == 0x0007 { return .pppHDLC }
        return c.dispatch(etherType: type, &s)
    }
}
