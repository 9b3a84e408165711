/// PPP (LINKTYPE_PPP 9, PPP_SERIAL 50, PPTP's GRE 0x880B, PPPoE sessions): optional HDLC address
/// and control bytes `ff 03`, then a 1- or 2-byte protocol (protocol-field compression: an odd
/// first byte is the whole field). Frames starting 0x0F / 0x8F are Cisco HDLC (as tshark).
@usableFromInline enum PPP {
    @inlinable static var address: Int { 0 }
    @inlinable static var control: Int { address + 1 }
    @inlinable static var hdlcLength: Int { control + 1 }

    @inlinable static func decodeHDLC(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= 1 else { return c.stop(&s, .ppp, .truncated, needed: hdlcLength) }
        switch b.u8(c.at + address) {  // checked: 1 byte at c.at
        case 0x0F, 0x8F: return .ciscoHDLC
        case 0xFF:
            guard c.available >= hdlcLength else { return c.stop(&s, .ppp, .truncated, needed: hdlcLength) }
            c.at += hdlcLength
        default: break   // address and control compressed away
        }
        return .pppProtocol
    }

    @inlinable static func decodeProtocol(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        guard c.available >= 1 else { return c.stop(&s, .ppp, .truncated, needed: 2) }
        var proto = UInt16(b.u8(c.at))  // checked: 1 byte at c.at
        if proto & 1 != 0 {
            c.at += 1
        } else {
            guard c.available >= 2 else { return c.stop(&s, .ppp, .truncated, needed: 2) }
            proto = b.be16(c.at)  // checked: 2 bytes at c.at
            c.at += 2
        }
        switch proto {
        case 0x0021: return c.dispatch(etherType: EtherType.ipv4.rawValue, &s)
        case 0x0057: return c.dispatch(etherType: EtherType.ipv6.rawValue, &s)
        case 0x0281: return c.dispatch(etherType: EtherType.mplsUnicast.rawValue, &s)
        case 0x0283: return c.dispatch(etherType: EtherType.mplsMulticast.rawValue, &s)
        default: return .done   // LCP, IPCP, CHAP, …: PPP control traffic, not IP
        }
    }
}
