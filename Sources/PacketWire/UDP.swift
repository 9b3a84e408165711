/// UDP header (RFC 768) and UDP-Lite (RFC 3828, same layout with a checksum coverage instead of
/// a length): ports, length, checksum. Decides the UDP tunnels: VXLAN on the configured
/// destination ports; like tshark's port table, on either port: Geneve 6081, MPLS-over-UDP 6635,
/// GTP-U 2152, VXLAN-GPE 4790 and Teredo 3544 (when an IPv6 header follows).
@usableFromInline enum UDP {
    @inlinable static var sourcePort: Int { 0 }
    @inlinable static var destinationPort: Int { sourcePort + 2 }
    @inlinable static var length: Int { destinationPort + 2 }
    @inlinable static var checksum: Int { length + 2 }
    @inlinable static var headerLength: Int { checksum + 2 }

    @inlinable static var genevePort: UInt16 { 6081 }
    @inlinable static var mplsPort: UInt16 { 6635 }
    @inlinable static var gtpUserPort: UInt16 { 2152 }
    @inlinable static var vxlanGPEPort: UInt16 { 4790 }
    @inlinable static var teredoPort: UInt16 { 3544 }

    @inlinable static func decode(
        _ b: UnsafeRawBufferPointer, _ c: inout Cursor, _ s: inout PacketSummary, lite: Bool, vxlanPorts: PortSet
    ) -> Step {
        let layer: DecodeLayer = lite ? .udpLite : .udp
        guard TransportPorts.read(b, c, &s) else { return c.stop(&s, layer, .truncated, needed: headerLength) }
        guard c.available >= headerLength else { return c.stop(&s, layer, .truncated, needed: headerLength) }
        // checked: headerLength bytes at c.at
        let stated = Int(b.be16(c.at + length))
        if !lite && stated >= headerLength {
            s.inner.transportPayloadLength = UInt32(stated - headerLength)
            c.end = min(c.end, c.at + stated)
        } else {
            s.inner.transportPayloadLength = TransportPorts.statedPayload(c, headerLength: headerLength)
        }
        let dst = s.inner.destinationPort
        let src = s.inner.sourcePort
        c.at += headerLength
        if lite { return .done }
        if vxlanPorts.contains(dst) { return c.enterTunnel(.vxlan, .vxlan, &s) ? .vxlan : .done }
        for i in 0..<2 {
            switch i == 0 ? dst : src {   // destination first, then source
            case genevePort: return c.enterTunnel(.geneve, .geneve, &s) ? .geneve : .done
            case mplsPort: return c.enterTunnel(.mplsOverUDP, .mpls, &s) ? .mpls : .done
            case gtpUserPort: return c.enterTunnel(.gtpU, .udp, &s) ? .gtpU : .done
            case vxlanGPEPort: return c.enterTunnel(.vxlanGPE, .vxlan, &s) ? .vxlanGPE : .done
            case teredoPort: return .teredo
            default: continue
            }
        }
        return .done
    }
}
