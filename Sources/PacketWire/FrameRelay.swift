/// Frame Relay (LINKTYPE_FRELAY 107): a Q.922 address of 2 to 4 octets (the octet with the EA bit
/// set is the last), then either RFC 2427 multiprotocol encapsulation — UI control 0x03, one
/// optional 0x00 pad, an NLPID (0xCC IP, 0x8E IPv6, 0xCF PPP, 0x80 SNAP: OUI and PID) — or Cisco
/// encapsulation: a 2-byte EtherType right after the address.
///
/// As tshark's `fr` dissector does with its default "FRF 3.2/Cisco HDLC" encapsulation: a control
/// byte other than 0x03 means Cisco, except on DLCI 0 (LAPF signalling) and for XID (0xAF); a
/// 1-octet address (EA already set) is skipped as a bogus address with DLCI 0, and octets after
/// the fourth are skipped until one has EA set; Cisco types are followed only where tshark's
/// `chdlc.protocol` table has a dissector (IPv4, IPv6, MPLS, bridged Ethernet), SNAP PIDs with
/// OUI 00-00-00 or 00-00-F8 as EtherTypes, and OUI 00-80-C2 PIDs 1 and 7 as bridged Ethernet.
@usableFromInline enum FrameRelay {
    /// Q.922 address octet bits.
    @inlinable static var extendedAddress: UInt8 { 0x01 }
    @inlinable static var dlCoreIndicator: UInt8 { 0x02 }
    /// Control bytes: Unnumbered Information (RFC 2427 frames) and XID.
    @inlinable static var unnumberedInformation: UInt8 { 0x03 }
    @inlinable static var exchangeIdentification: UInt8 { 0xAF }
    /// RFC 2427 NLPIDs.
    @inlinable static var nlpidPad: UInt8 { 0x00 }
    @inlinable static var nlpidSNAP: UInt8 { 0x80 }
    @inlinable static var nlpidIPv6: UInt8 { 0x8E }
    @inlinable static var nlpidIP: UInt8 { 0xCC }
    @inlinable static var nlpidPPP: UInt8 { 0xCF }
    /// SNAP after the NLPID: 3-byte OUI, 2-byte PID.
    @inlinable static var snapPID: Int { 3 }
    @inlinable static var snapLength: Int { snapPID + 2 }

    /// The Q.922 address at `c.at`: its length in octets and its DLCI (0 for a bogus 1-octet
    /// address, as tshark). When the frame ends before the octet with EA set, `length` is the
    /// number of bytes needed to read one more octet: more than `c.available`.
    @inlinable static func address(_ b: UnsafeRawBufferPointer, _ c: Cursor) -> (length: Int, dlci: UInt32) {
        guard c.available >= 1 else { return (1, 0) }
        let first = b.u8(c.at)  // checked: 1 byte at c.at
        if first & extendedAddress != 0 { return (1, 0) }
        guard c.available >= 2 else { return (2, 0) }
        let second = b.u8(c.at + 1)  // checked: 2 bytes at c.at
        var dlci = UInt32(first >> 2) << 4 | UInt32(second >> 4)
        if second & extendedAddress != 0 { return (2, dlci) }
        guard c.available >= 3 else { return (3, dlci) }
        var last = 2
        var octet = b.u8(c.at + 2)  // checked: 3 bytes at c.at
        if octet & extendedAddress == 0 {
            // A 4-octet address: 7 more DLCI bits here; octets after the fourth are bogus (skipped).
            dlci = dlci << 7 | UInt32(octet >> 1)
            last = 3
            while true {
                guard c.available > last else { return (last + 1, dlci) }
                octet = b.u8(c.at + last)  // checked: c.available > last
                if octet & extendedAddress != 0 { break }
                last += 1  // < c.available: the loop ends at the frame's end
            }
        }
        // The last octet holds 6 more DLCI bits, or DL-CORE control when its D/C bit is set.
        if octet & dlCoreIndicator == 0 { dlci = dlci << 6 | UInt32(octet >> 2) }
        return (last + 1, dlci)
    }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        let (n, dlci) = address(b, c)
        guard c.available > n else { return c.stop(&s, .link, .truncated, needed: n + 1) }
        let control = b.u8(c.at + n)  // checked: c.available > n
        if control == unnumberedInformation {
            var at = n + 1
            guard c.available > at else { return c.stop(&s, .link, .truncated, needed: at + 1) }
            var nlpid = b.u8(c.at + at)  // checked: c.available > at
            if nlpid == nlpidPad {
                at += 1
                guard c.available > at else { return c.stop(&s, .link, .truncated, needed: at + 1) }
                nlpid = b.u8(c.at + at)  // checked: c.available > at
            }
            at += 1
            switch nlpid {
            case nlpidIP:
                c.at += at
                return c.dispatch(etherType: EtherType.ipv4.rawValue, &s)
            case nlpidIPv6:
                c.at += at
                return c.dispatch(etherType: EtherType.ipv6.rawValue, &s)
            case nlpidPPP:
                c.at += at
                return .pppProtocol
            case nlpidSNAP:
                guard c.available >= at + snapLength else { return c.stop(&s, .link, .truncated, needed: at + snapLength) }
                // checked: at + snapLength bytes at c.at
                let oui = UInt32(b.be16(c.at + at)) << 8 | UInt32(b.u8(c.at + at + 2))
                let pid = b.be16(c.at + at + snapPID)
                c.at += at + snapLength
                switch oui {
                case 0x00_0000, 0x00_00F8: return c.dispatch(etherType: pid, &s)     // EtherType PIDs
                case 0x00_80C2: return pid == 0x0001 || pid == 0x0007 ? .ethernet : .done  // bridged 802.3
                default: return .done
                }
            default:
                return .done  // Q.933, LMI, CLNP, IS-IS, …: signalling and OSI, not IP
            }
        }
        if dlci == 0 || control == exchangeIdentification { return .done }  // LAPF signalling, XID
        guard c.available >= n + 2 else { return c.stop(&s, .link, .truncated, needed: n + 2) }
        let type = b.be16(c.at + n)  // checked: n + 2 bytes at c.at
        c.at += n + 2
        switch EtherType(type) {
        case .ipv4, .ipv6, .mplsUnicast, .mplsMulticast, .transparentEthernet:
            return c.dispatch(etherType: type, &s)
        default:
            // VLAN, PPPoE, ARP, …: tshark's Cisco table has no dissector for them.
            if c.ipCount == 0 { s.etherType = EtherType(type) }
            return .done
        }
    }
}
