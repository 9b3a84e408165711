/// MPLS label stack entries (label 20 bits, TC 3, bottom-of-stack 1, TTL 8), then a payload with
/// no protocol field: guessed like tshark (BCP 4928 / RFC 4385) from the first nibble after the
/// bottom label: 4 = IPv4, 6 = IPv6, 0 = pseudowire control word before Ethernet (when Ethernet
/// only makes sense after it), 1 = associated channel header (IPv4/IPv6 channels followed),
/// otherwise Ethernet without control word. After the GAL (label 13) only an associated channel
/// header is accepted.
@usableFromInline enum MPLS {
    @inlinable static var labelEntry: Int { 0 }
    @inlinable static var entryLength: Int { labelEntry + 4 }
    @inlinable static var controlWordLength: Int { 4 }
    /// The Generic Associated Channel Label (RFC 5586).
    @inlinable static var gal: UInt32 { 13 }
    /// Associated channel header: 0001, version, reserved, channel type (a PPP DLL number).
    @inlinable static var achChannelType: Int { 2 }
    @inlinable static var achLength: Int { achChannelType + 2 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        while true {
            guard c.available >= entryLength else { return c.stop(&s, .mpls, .truncated, needed: entryLength) }
            guard s.mplsLabelCount < Cursor.maxTags else { return c.stop(&s, .mpls, .tooDeep) }
            let entry = b.be32(c.at + labelEntry)  // checked: entryLength bytes at c.at
            s.mplsLabelCount += 1
            c.at += entryLength
            if entry & 0x100 != 0 {
                // Generic Associated Channel Label (RFC 5586): only an associated channel header
                // may follow (tshark does not look for IP or Ethernet after it either).
                if entry >> 12 == gal {
                    guard c.available >= 1 else { return c.stop(&s, .mpls, .truncated, needed: achLength) }
                    guard b.u8(c.at) >> 4 == 1 else { return c.stop(&s, .mpls, .unsupportedProtocol) }  // checked: 1 byte
                }
                break
            }
        }
        guard c.available >= 1 else { return c.stop(&s, .mpls, .truncated, needed: 1) }
        switch b.u8(c.at) >> 4 {  // checked: 1 byte at c.at
        case 4: return .ipv4
        case 6: return .ipv6
        case 0:
            // A control word is only assumed when Ethernet does not already parse without it.
            if c.available >= controlWordLength + Ethernet.headerLength {
                // checked: controlWordLength + Ethernet.headerLength bytes at c.at
                let plain = b.be16(c.at + Ethernet.etherType)
                let afterWord = b.be16(c.at + controlWordLength + Ethernet.etherType)
                if !plausibleEtherType(plain) && plausibleEtherType(afterWord) { c.at += controlWordLength }
            }
            return .ethernet
        case 1:
            // Associated channel header (RFC 4385 / 5586): IPv4 and IPv6 channels are decoded
            // (as tshark does); other channels (BFD, OAM, …) end the walk.
            guard c.available >= achLength else { return c.stop(&s, .mpls, .truncated, needed: achLength) }
            switch b.be16(c.at + achChannelType) {  // checked: achLength bytes at c.at
            case 0x0021: c.at += achLength; return .ipv4
            case 0x0057: c.at += achLength; return .ipv6
            default: return c.stop(&s, .mpls, .unsupportedProtocol)
            }
        default:
            return .ethernet
        }
    }

    /// EtherTypes that make a pseudowire payload look like Ethernet.
    @inlinable static func plausibleEtherType(_ t: UInt16) -> Bool {
        switch t {
        case 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8, 0x9100, 0x8847, 0x8848: true
        default: false
        }
    }
}
