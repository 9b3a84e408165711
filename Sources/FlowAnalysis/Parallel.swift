import PacketWire

// `--threads N`: every thread walks the whole input, but its analyzer takes only the frames that
// belong to it, so each flow sees all its packets, in order, on one thread; the analyzers are
// then merged (`FlowAnalyzer.merged`) into one that reports exactly what a single analyzer would.
//
// A TCP frame outside any tunnel belongs to part `hash(5-tuple) mod N`, every other frame to
// `hash(outer IP address pair) mod N` (direction-independent, as RSS's 2-tuple mode), so a
// tunnel's carrier flows (whose two directions often differ in UDP source port) and the inner
// flows they carry stay together, and UDP never needs to know which ports are tunnels. An ICMP
// error belongs to the header it quotes (5-tuple for TCP, else addresses), so it meets its flow;
// frames without IP go to part 0. For Ethernet/VLAN frames of IPv4/IPv6 carrying TCP, UDP, GRE
// or IP-in-IP a peek at the bytes decides and only the owner decodes; other frames are decoded
// by every part. (The split is the bench's, which spread TCP by 5-tuple for balance.)
//
// Limit: an inner flow carried between different tunnel endpoint pairs (ERSPAN copies from two
// sensors, ECMP across VTEPs) lands on two parts; `merged` finds the key twice and returns nil,
// and the caller analyses on one thread instead.

extension FlowAnalyzer {
    /// Processes the frame if part `part` of `parts` owns it (see above); other frames are ignored.
    @inlinable public mutating func process(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer, part: Int,
                                            of parts: Int) {
        if let h = FlowPartition.peek(bytes, record.linkType) {
            if FlowPartition.part(h, of: parts) == part { process(record, bytes) }
            return
        }
        decoder.decode(bytes, linkType: record.linkType, into: &summary)
        let owner = FlowPartition.owner(summary).map { FlowPartition.part($0, of: parts) } ?? 0
        if owner == part { ingest(record) }
    }

    /// One analyzer for analyzers that were fed disjoint parts of the same sources (`process(_:_:part:of:)`):
    /// flows in creation order, the accounting and per-source counts summed. nil when a flow key
    /// is in two parts (an inner flow between different tunnel endpoint pairs) or a part removed
    /// flows (live): then only one analyzer over everything gives the right answer.
    public static func merged(_ parts: [FlowAnalyzer]) -> FlowAnalyzer? {
        guard var out = parts.first else { return nil }
        if parts.count == 1 { return out }
        if parts.contains(where: { $0.table.reordered || $0.maxFlows > 0 }) { return nil }
        let keys = parts.map(\.table.keys)
        let states = parts.map(\.table.states)
        let origins = parts.map(\.finishedOrigin)
        var total = 0
        var offsets: [Int32] = []
        var icmpOffsets: [Int32] = []
        var finished: [Vantage] = []
        var finishedSources: [UInt64] = []
        var finishedOrigin: [UInt64] = []
        var icmp: [ICMPTally] = []
        for p in parts {
            total += p.table.count
            offsets.append(Int32(finished.count))
            icmpOffsets.append(Int32(icmp.count))
            for var v in p.finished {
                if v.icmpIndex >= 0 { v.icmpIndex += Int32(icmp.count) }
                finished.append(v)
            }
            finishedSources += p.finishedSources
            finishedOrigin += p.finishedOrigin
            icmp += p.icmp
        }
        var table = FlowTable(initialCapacity: total)
        var heads = [Int](repeating: 0, count: parts.count)
        // k-way merge on the creation order (origin: source, frame, layer), parts being few.
        while true {
            var best = -1
            var bestSerial = UInt64.max
            for i in 0..<parts.count where heads[i] < keys[i].count {
                let state = states[i][heads[i]]
                let s = state.best < 0
                    ? FlowState.origin(source: state.current.source, frame: state.current.firstFrame,
                                       inner: keys[i][heads[i]].layer != 0)
                    : origins[i][Int(state.best)]
                if best < 0 || s < bestSerial {
                    best = i
                    bestSerial = s
                }
            }
            if best < 0 { break }
            let pos = heads[best]
            heads[best] += 1
            let key = keys[best][pos]
            var state = states[best][pos]
            if state.best >= 0 { state.best += offsets[best] }
            if state.current.icmpIndex >= 0 { state.current.icmpIndex += icmpOffsets[best] }
            let h = key.hash
            if table.find(key, hash: h) >= 0 { return nil }
            _ = table.insert(key, hash: h, state: state)
        }
        out.table = table
        out.finished = finished
        out.finishedSources = finishedSources
        out.finishedOrigin = finishedOrigin
        out.icmp = icmp
        for p in parts.dropFirst() {
            out.counters.merge(p.counters)
            for (s, e) in p.sourceErrors where out.sourceErrors[s] == nil { out.sourceErrors[s] = e }
        }
        return out
    }
}

/// Which part of `--threads N` a frame belongs to.
public enum FlowPartition {
    /// The owner hash of a decoded frame; nil for frames without IP (part 0).
    @inlinable static func owner(_ s: PacketSummary) -> UInt64? {
        if s.outer.version == 0 { return nil }
        if s.tunnelDepth > 0 { return endpoints(s.outer.source, s.outer.destination) }
        if s.quoted.version != 0 {
            if s.quoted.proto == .tcp && s.quoted.hasPorts {
                return tuple(s.quoted.source, s.quoted.sourcePort, s.quoted.destination, s.quoted.destinationPort)
            }
            return endpoints(s.quoted.source, s.quoted.destination)
        }
        if s.outer.proto == .tcp && s.outer.hasPorts {
            return tuple(s.outer.source, s.outer.sourcePort, s.outer.destination, s.outer.destinationPort)
        }
        return endpoints(s.outer.source, s.outer.destination)
    }

    /// The owner hash read straight from the bytes, or nil when the decoder must decide (other
    /// link types, MPLS/PPPoE, ICMP, IPv6 extension headers, TCP fragments, short headers). Equal
    /// to `owner` of the decoded summary for every frame it answers: the same fields, the same
    /// functions.
    @inlinable static func peek(_ b: UnsafeRawBufferPointer, _ linkType: LinkType) -> UInt64? {
        guard linkType == .ethernet, b.count >= 14 else { return nil }
        // Every load below is at an offset checked against b.count just before it.
        var off = 12
        var et = be16(b, off)
        var tags = 0
        while et == 0x8100 || et == 0x88A8 || et == 0x9100 {
            tags += 1
            guard tags <= 4, off + 6 <= b.count else { return nil }
            off += 4
            et = be16(b, off)
        }
        off += 2
        if et == 0x0800 {
            guard off + 20 <= b.count, b[off] >> 4 == 4 else { return nil }
            let ihl = Int(b[off] & 0x0F) * 4
            let proto = b[off + 9]
            guard ihl >= 20 else { return nil }
            let src = IPAddress(v4: be32(b, off + 12)), dst = IPAddress(v4: be32(b, off + 16))
            if proto == 6 {
                // Unfragmented or first fragment, a whole TCP header inside the stated length.
                let total = Int(be16(b, off + 2))
                guard be16(b, off + 6) & 0x1FFF == 0, total >= ihl + 20, off + ihl + 20 <= b.count else { return nil }
                return tuple(src, be16(b, off + ihl), dst, be16(b, off + ihl + 2))
            }
            return plain(proto) ? endpoints(src, dst) : nil
        }
        if et == 0x86DD {
            guard off + 40 <= b.count, b[off] >> 4 == 6 else { return nil }
            let next = b[off + 6]
            let src = IPAddress(high: be64(b, off + 8), low: be64(b, off + 16))
            let dst = IPAddress(high: be64(b, off + 24), low: be64(b, off + 32))
            if next == 6 {
                guard Int(be16(b, off + 4)) >= 20, off + 60 <= b.count else { return nil }
                return tuple(src, be16(b, off + 40), dst, be16(b, off + 42))
            }
            return plain(next) ? endpoints(src, dst) : nil
        }
        return nil
    }

    /// A TCP 5-tuple's hash: the address pair's with each port folded into its address.
    @inlinable @inline(__always) static func tuple(_ a: IPAddress, _ ap: UInt16, _ b: IPAddress, _ bp: UInt16) -> UInt64 {
        endpoints(IPAddress(high: a.high, low: a.low ^ UInt64(ap) << 48),
                  IPAddress(high: b.high, low: b.low ^ UInt64(bp) << 48)) ^ 6
    }

    /// UDP, GRE, IPv4-in-IP, IPv6-in-IP: never an ICMP error at this layer, mapped by addresses.
    @inlinable @inline(__always) static func plain(_ proto: UInt8) -> Bool {
        proto == 17 || proto == 47 || proto == 4 || proto == 41
    }

    @inlinable @inline(__always) static func endpoints(_ a: IPAddress, _ b: IPAddress) -> UInt64 {
        // Sums and xor of the two addresses: the same whichever side sent the packet.
        mix((a.low &+ b.low) ^ mix((a.high &+ b.high) ^ (a.low ^ b.low) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// The part (of `parts`) of an owner hash: the high word of hash × parts (no division).
    @inlinable @inline(__always) static func part(_ h: UInt64, of parts: Int) -> Int {
        Int(truncatingIfNeeded: h.multipliedFullWidth(by: UInt64(parts)).high)
    }

    @inlinable @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // Callers check `o + size <= b.count` first.
    @inlinable @inline(__always) static func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inlinable @inline(__always) static func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inlinable @inline(__always) static func be64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
}
