import PacketWire

/// The per-packet accounting: plain counters and fixed-size tables allocated once, so counting a
/// packet never allocates (a snapshot shares the buffers; the next packet copies them once).
///
/// Unchecked `&+` throughout: every count is a UInt64 of packets or of wire bytes (each frame at
/// most 2^32 bytes), so none can overflow before 2^32 frames of 4 GiB each, more than any capture
/// or interface delivers; `&-` only takes back what an `&+` added.
@usableFromInline
struct Counters: Sendable {
    @usableFromInline var total = Tally()
    @usableFromInline var flows = Tally()
    @usableFromInline var icmpMatched = Tally()
    @usableFromInline var otherIP = Tally()
    @usableFromInline var fragments = Tally()
    @usableFromInline var icmpUnmatched = Tally()
    @usableFromInline var nonIP = Tally()
    @usableFromInline var undecodable = Tally()
    @usableFromInline var truncated = Tally()
    @usableFromInline var truncatedInFlows = Tally()
    @usableFromInline var tunnelled = Tally()
    /// Frames read but not matching the capture filter (`-f`, filter words): in `total` and
    /// their source, never decoded.
    @usableFromInline var filtered = Tally()
    @usableFromInline var evictedFlows: UInt64 = 0
    /// Other IP by protocol number: packets at [p], bytes at [256 + p].
    @usableFromInline var otherByProto: [UInt64]
    /// Non-IP by EtherType: up to 31 distinct types, the rest in slot 31 (type 0xFFFF).
    @usableFromInline var etherTypes: [UInt16]
    @usableFromInline var etherCounts: [UInt64]
    @usableFromInline var etherTypeCount: Int = 0
    /// Undecodable by (layer, reason): packets at [i], bytes at [stride + i].
    @usableFromInline var undecodableBy: [UInt64]
    /// Per source: packets at [2s], bytes at [2s + 1], for sources before the current one.
    @usableFromInline var perSource: [UInt64]
    /// The current source and its counts so far (sources come one after another: plain scalars
    /// per packet, folded into `perSource` when the source changes).
    @usableFromInline var currentSource: UInt32 = 0
    @usableFromInline var currentPackets: UInt64 = 0
    @usableFromInline var currentBytes: UInt64 = 0
    /// Frames of the current source counted in one flow by `FlowAnalyzer.processFrame`: in `total`,
    /// in `flows` and in the current source's counts, not yet added to any of them (one tally per
    /// frame instead of three; `fold` and the readers add it).
    @usableFromInline var inFlowPackets: UInt64 = 0
    @usableFromInline var inFlowBytes: UInt64 = 0

    @usableFromInline static let reasons = DecodeReason.allCases.count
    @usableFromInline static let stride = DecodeLayer.allCases.count * DecodeReason.allCases.count

    init() {
        otherByProto = [UInt64](repeating: 0, count: 512)
        etherTypes = [UInt16](repeating: 0, count: 32)
        etherCounts = [UInt64](repeating: 0, count: 64)
        undecodableBy = [UInt64](repeating: 0, count: 2 * Counters.stride)
        perSource = [UInt64](repeating: 0, count: 16)
    }

    /// A frame counted in one flow outside any tunnel (the common frame of `processFrame`): total,
    /// flows and its source — for the current source in the one in-flow tally — and truncation.
    @inlinable @inline(__always) mutating func oneFlowFrame(source: UInt32, wire: UInt32, captured: UInt32) {
        if source == currentSource {
            inFlowPackets &+= 1
            inFlowBytes &+= UInt64(wire)
        } else {
            total.add(wire)
            self.source(source, wire)
            flows.add(wire)
        }
        if captured < wire {
            truncated.add(wire)
            truncatedInFlows.add(wire)
        }
    }

    @inlinable mutating func other(_ proto: UInt8, _ wire: UInt32) {
        otherIP.add(wire)
        otherByProto[Int(proto)] &+= 1
        otherByProto[256 + Int(proto)] &+= UInt64(wire)
    }

    /// An ICMP error counted as unmatched (in `otherIP` under `proto`, and `icmpUnmatched`) or, in a
    /// carrier flow, as a carrier frame, whose quoted flow a byte-range merge found after all: now
    /// in `icmpMatched` or, for the carrier, also `tunnelled` — as `ingest` counts a matched one.
    mutating func icmpErrorMatchedLater(wire: UInt32, carrier: Bool, proto: UInt8) {
        if carrier {
            tunnelled.add(wire)
            return
        }
        otherIP.remove(wire)
        otherByProto[Int(proto)] &-= 1
        otherByProto[256 + Int(proto)] &-= UInt64(wire)
        icmpUnmatched.remove(wire)
        icmpMatched.add(wire)
    }

    @inlinable mutating func nonIPFrame(_ t: EtherType, _ wire: UInt32) {
        nonIP.add(wire)
        var i = 0
        while i < etherTypeCount && etherTypes[i] != t.rawValue { i += 1 }
        if i == etherTypeCount {
            if etherTypeCount < 31 {
                etherTypes[i] = t.rawValue
                etherTypeCount += 1
            } else {
                i = 31
                etherTypes[31] = 0xFFFF
            }
        }
        etherCounts[2 * i] &+= 1
        etherCounts[2 * i + 1] &+= UInt64(wire)
    }

    @inlinable mutating func undecodableFrame(_ e: DecodeError, _ wire: UInt32) {
        undecodable.add(wire)
        let i = Int(e.layer.rawValue) * Counters.reasons + Int(e.reason.rawValue)
        undecodableBy[i] &+= 1
        undecodableBy[Counters.stride + i] &+= UInt64(wire)
    }

    @inlinable mutating func source(_ s: UInt32, _ wire: UInt32) {
        if s != currentSource { switchSource(s) }
        currentPackets &+= 1
        currentBytes &+= UInt64(wire)
    }

    @usableFromInline mutating func switchSource(_ s: UInt32) {
        fold()
        currentSource = min(s, 4095)  // a bound on the table, whatever a caller passes
    }

    /// Moves the current source's counts into `perSource` (and the in-flow tally into `total` and `flows`).
    mutating func fold() {
        let i = 2 * Int(currentSource)
        if i + 1 >= perSource.count { perSource += [UInt64](repeating: 0, count: i + 2 - perSource.count + 16) }
        perSource[i] &+= currentPackets &+ inFlowPackets
        perSource[i + 1] &+= currentBytes &+ inFlowBytes
        let f = Tally(packets: inFlowPackets, bytes: inFlowBytes)
        total = total + f
        flows = flows + f
        currentPackets = 0
        currentBytes = 0
        inFlowPackets = 0
        inFlowBytes = 0
    }

    /// Adds the counts of another part of the same sources (`FlowAnalyzer.merged`).
    mutating func merge(_ other: Counters) {
        var o = other
        o.fold()
        fold()
        total = total + o.total
        flows = flows + o.flows
        icmpMatched = icmpMatched + o.icmpMatched
        otherIP = otherIP + o.otherIP
        fragments = fragments + o.fragments
        icmpUnmatched = icmpUnmatched + o.icmpUnmatched
        nonIP = nonIP + o.nonIP
        undecodable = undecodable + o.undecodable
        truncated = truncated + o.truncated
        truncatedInFlows = truncatedInFlows + o.truncatedInFlows
        tunnelled = tunnelled + o.tunnelled
        filtered = filtered + o.filtered
        evictedFlows &+= o.evictedFlows
        for i in otherByProto.indices { otherByProto[i] &+= o.otherByProto[i] }
        for i in undecodableBy.indices { undecodableBy[i] &+= o.undecodableBy[i] }
        // Non-IP types in first-seen order: this part's first, then the other's new ones.
        for j in 0..<32 where o.etherCounts[2 * j] > 0 {
            let t = o.etherTypes[j]
            var i = 0
            while i < etherTypeCount && etherTypes[i] != t { i += 1 }
            if i == etherTypeCount {
                if etherTypeCount < 31 && !(j == 31 && t == 0xFFFF) {
                    etherTypes[i] = t
                    etherTypeCount += 1
                } else {
                    i = 31
                    etherTypes[31] = 0xFFFF
                }
            }
            etherCounts[2 * i] &+= o.etherCounts[2 * j]
            etherCounts[2 * i + 1] &+= o.etherCounts[2 * j + 1]
        }
        if o.perSource.count > perSource.count {
            perSource += [UInt64](repeating: 0, count: o.perSource.count - perSource.count)
        }
        for i in o.perSource.indices { perSource[i] &+= o.perSource[i] }
    }

    /// Packets and bytes of source `s`.
    func sourceTally(_ s: Int) -> Tally {
        var t = Tally()
        if 2 * s + 1 < perSource.count { t = Tally(packets: perSource[2 * s], bytes: perSource[2 * s + 1]) }
        if s == Int(currentSource) {
            t = t + Tally(packets: currentPackets &+ inFlowPackets, bytes: currentBytes &+ inFlowBytes)
        }
        return t
    }

    func accounting() -> Accounting {
        var a = Accounting()
        let f = Tally(packets: inFlowPackets, bytes: inFlowBytes)
        a.total = total + f
        a.flows = flows + f
        a.icmpMatched = icmpMatched
        a.otherIP = otherIP
        a.fragments = fragments
        a.icmpUnmatched = icmpUnmatched
        a.nonIP = nonIP
        a.undecodable = undecodable
        a.truncated = truncated
        a.truncatedInFlows = truncatedInFlows
        a.tunnelled = tunnelled
        a.filtered = filtered
        a.evictedFlows = evictedFlows
        for p in 0..<256 where otherByProto[p] > 0 {
            a.otherIPByProtocol.append((IPProtocol(UInt8(p)), Tally(packets: otherByProto[p], bytes: otherByProto[256 + p])))
        }
        for i in 0..<32 where etherCounts[2 * i] > 0 {
            a.nonIPByEtherType.append((EtherType(etherTypes[i]), Tally(packets: etherCounts[2 * i], bytes: etherCounts[2 * i + 1])))
        }
        for l in DecodeLayer.allCases {
            for r in DecodeReason.allCases {
                let i = Int(l.rawValue) * Counters.reasons + Int(r.rawValue)
                if undecodableBy[i] > 0 {
                    a.undecodableBy.append((l, r, Tally(packets: undecodableBy[i], bytes: undecodableBy[Counters.stride + i])))
                }
            }
        }
        return a
    }
}

extension Tally {
    /// Takes back a packet `add` counted: cannot underflow, the same packet was added before.
    mutating func remove(_ wire: UInt32) {
        packets &-= 1
        bytes &-= UInt64(wire)
    }
}
