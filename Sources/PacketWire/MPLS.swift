/// MPLS label stack entries (label 20 bits, TC 3, bottom-of-stack 1, TTL 8), then a payload with
/// no protocol field: guessed like tshark (BCP 4928 / RFC 4385) from the first nibble after the
/// bottom label: 4 = IPv4, 6 = IPv6, 0 = pseudowire control word before Ethernet (when Ethernet
/// only makes sense after it), otherwise Ethernet without control word.
@usableFromInline enum MPLS {
    @inlinable static var labelEntry: Int { 0 }
    @inlinable static var entryLength: Int { labelEntry + 4 }
    @inlinable static var controlWordLength: Int { 4 }

    @inlinable static func decode(_ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary) -> Step {
        while true {
            guard c.available >= entryLength else { return c.stop(&s, .mpls, .truncated, needed: entryLength) }
            guard s.mplsLabelCount < Cursor.maxTags else { return c.stop(&s, .mpls, .tooDeep) }
            let entry = b.be32(c.at + labelEntry)  // checked: entryLength bytes at c.at
            s.mplsLabelCount += 1
            c.at += entryLength
            if entry & 0x100 != 0 { break }
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
            return c.stop(&s, .mpls, .unsupportedProtocol)   // associated channel (RFC 5586)
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
