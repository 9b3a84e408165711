import PacketWire

/// A flow's canonical key: the two endpoints ordered so that A→B and B→A give the same key
/// (endpoint A is the smaller (address, port)), plus protocol, IP version, the VLAN tag stack
/// (packed by `FlowKey.vlanStack`; 0 when untagged or VLANs are not part of the key) and the layer: 0 for a frame's outer headers, else the raw value
/// of the tunnel kind that carried the inner headers (so an inner flow never merges with a plain one).
@usableFromInline
struct FlowKey: Equatable, Sendable {
    // 48 bytes, no padding: two addresses, the VLAN stack and one word packing the rest, so the
    // probe compares six words and the hash reads `meta` as it is.
    @usableFromInline var a: IPAddress
    @usableFromInline var b: IPAddress
    @usableFromInline var vlan: UInt64
    /// aPort in bits 48–63, bPort 32–47, proto 24–31, version 16–23, layer 8–15 (bits 0–7 zero).
    @usableFromInline var meta: UInt64

    @inlinable var aPort: UInt16 { UInt16(truncatingIfNeeded: meta >> 48) }
    @inlinable var bPort: UInt16 { UInt16(truncatingIfNeeded: meta >> 32) }
    @inlinable var proto: UInt8 { UInt8(truncatingIfNeeded: meta >> 24) }
    @inlinable var version: UInt8 { UInt8(truncatingIfNeeded: meta >> 16) }
    @inlinable var layer: UInt8 { UInt8(truncatingIfNeeded: meta >> 8) }

    @inlinable @inline(__always) static func meta(aPort: UInt16, bPort: UInt16, proto: UInt8, version: UInt8,
                                                  layer: UInt8) -> UInt64 {
        UInt64(aPort) << 48 | UInt64(bPort) << 32 | UInt64(proto) << 24 | UInt64(version) << 16 | UInt64(layer) << 8
    }

    @inlinable init(a: IPAddress, b: IPAddress, aPort: UInt16, bPort: UInt16, proto: UInt8, version: UInt8,
                    vlan: UInt64, layer: UInt8) {
        self.a = a
        self.b = b
        self.vlan = vlan
        self.meta = FlowKey.meta(aPort: aPort, bPort: bPort, proto: proto, version: version, layer: layer)
    }

    /// Word by word (IPAddress's synthesized `==` lives in another module and is not inlinable).
    @inlinable static func == (x: FlowKey, y: FlowKey) -> Bool {
        x.a.low == y.a.low && x.b.low == y.b.low && x.meta == y.meta && x.a.high == y.a.high
            && x.b.high == y.b.high && x.vlan == y.vlan
    }

    /// The canonical key of a packet from (src, sport) to (dst, dport), and whether the sender is A.
    @inlinable static func make(src: IPAddress, sport: UInt16, dst: IPAddress, dport: UInt16, proto: UInt8,
                                version: UInt8, vlan: UInt64, layer: UInt8) -> (FlowKey, fromA: Bool) {
        let srcFirst = src.high != dst.high ? src.high < dst.high
            : src.low != dst.low ? src.low < dst.low : sport <= dport
        if srcFirst {
            return (FlowKey(a: src, b: dst, aPort: sport, bPort: dport, proto: proto, version: version,
                            vlan: vlan, layer: layer), true)
        }
        return (FlowKey(a: dst, b: src, aPort: dport, bPort: sport, proto: proto, version: version,
                        vlan: vlan, layer: layer), false)
    }

    /// The VLAN tag stack as one value: the number of tags kept (≤ 4) in bits 48–51, the ids
    /// (12 bits each) outermost first from bit 36 down. 0 when untagged.
    @inlinable static func vlanStack(_ s: PacketSummary) -> UInt64 {
        vlanStack(count: s.vlanCount, vlans: s.vlans)
    }

    /// The same from the two fields (the per-packet caller passes these rather than the 272-byte
    /// summary, which would be copied with a `memcpy` for every tagged frame).
    @inlinable @inline(__always) static func vlanStack(count: UInt8, vlans t: (UInt16, UInt16, UInt16, UInt16))
        -> UInt64 {
        let n = min(count, 4)
        if n == 0 { return 0 }
        var v = UInt64(n) << 48 | UInt64(t.0 & 0x0FFF) << 36
        if n > 1 { v |= UInt64(t.1 & 0x0FFF) << 24 }
        if n > 2 { v |= UInt64(t.2 & 0x0FFF) << 12 }
        if n > 3 { v |= UInt64(t.3 & 0x0FFF) }
        return v
    }

    /// The ids of a packed stack, outermost first.
    static func vlanIDs(_ v: UInt64) -> [UInt16] {
        let n = Int((v >> 48) & 0xF)
        return (0..<n).map { UInt16(truncatingIfNeeded: v >> UInt64(36 - 12 * $0)) & 0x0FFF }
    }

    /// 64-bit hash (multiply–xorshift: each word multiplied by its own odd constant, then one
    /// avalanche round; not keyed: flow tables of captures are not adversarial enough to need
    /// SipHash, and linear probing with a good mix keeps chains short). The table uses the low
    /// bits for the slot and the high 32 as a tag.
    @inlinable var hash: UInt64 {
        @inline(__always) get {
        // The multiplications wrap on purpose: they mix bits, they do not count.
        var h = (a.low ^ meta) &* 0x9E37_79B9_7F4A_7C15
        h ^= (b.low ^ vlan) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= (a.high ^ (b.high &* 0x100_0000_01B3)) &* 0x1656_67B1_9E37_79F9
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
        }
    }
}
