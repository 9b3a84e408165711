import PacketWire

// IP fragments (IPv4 and IPv6) are counted in their datagram's flow without reassembly. A first
// fragment (offset 0, more-fragments set) carries the ports and makes or updates the flow as any
// packet does; `FragmentTable` then remembers (source, destination, protocol, IP id or IPv6
// fragment id, version, VLAN stack, capture source) → that flow, so each later fragment is
// counted in it on the same side. A later fragment that comes before its first one (out of
// order) leaves its counts pending in the same entry; the first fragment adds them to its flow.
// A fragment whose first fragment never comes (or whose entry expired or was replaced) stays in
// "other IP" and in the accounting's "fragments without a first fragment".
//
// The table is fixed: `FragmentTable.capacity` entries allocated once, in buckets of 8 probed
// together; an entry lives `FragmentTable.lifetime` of capture time; a new entry takes a free or
// expired slot of its bucket, else replaces the bucket's oldest. Nothing grows per packet.

/// One remembered datagram: its first fragment's flow, or the counts of the later fragments that
/// came before it.
@usableFromInline
struct FragmentEntry: Sendable {
    @usableFromInline var src: IPAddress = .zero
    @usableFromInline var dst: IPAddress = .zero
    @usableFromInline var vlan: UInt64 = 0
    /// The flow key's hash: the flow at `pos` is the datagram's only while its key still hashes so
    /// (a live eviction moves another flow into a freed position).
    @usableFromInline var flowHash: UInt64 = 0
    /// Capture time the entry was made (or its first fragment came): it expires `lifetime` later.
    @usableFromInline var ts: Int64 = 0
    /// The last pending fragment's time (a byte-range merge checks it against the expiry).
    @usableFromInline var lastTs: Int64 = 0
    @usableFromInline var pendingBytes: UInt64 = 0
    @usableFromInline var pendingPayload: UInt64 = 0
    /// The last pending fragment's frame.
    @usableFromInline var lastFrame: UInt64 = 0
    @usableFromInline var id: UInt32 = 0
    @usableFromInline var source: UInt32 = 0
    /// The flow's table position, -1 while the first fragment has not come.
    @usableFromInline var pos: Int32 = -1
    @usableFromInline var pendingPackets: UInt32 = 0
    @usableFromInline var proto: UInt8 = 0
    /// 0: a free slot.
    @usableFromInline var version: UInt8 = 0
    /// The datagram's sender is endpoint A of the flow's key.
    @usableFromInline var fromA: Bool = false

    @usableFromInline init() {}

    @inlinable func same(_ h: IPHeaderSummary, vlan: UInt64, source: UInt32) -> Bool {
        id == h.fragmentID && version == h.version && proto == h.proto.rawValue && src == h.source
            && dst == h.destination && self.vlan == vlan && self.source == source
    }
}

/// Fixed-size open-addressing table of datagrams being fragmented (see the top of the file).
@usableFromInline
struct FragmentTable: Sendable {
    @usableFromInline static let capacity = 16384
    @usableFromInline static let bucket = 8
    /// 30 s of capture time, as a host's reassembly timeout.
    @usableFromInline static let lifetime: Int64 = 30_000_000_000

    @usableFromInline var entries: [FragmentEntry]
    /// Live entries replaced because their bucket was full.
    @usableFromInline var replaced: UInt64 = 0
    /// Entries ever made: 0 means the table was never used.
    @usableFromInline var made: UInt64 = 0

    /// Empty until the first fragment: the table is allocated once, when a capture has fragments.
    init() {
        entries = []
    }

    @inlinable static func live(_ e: FragmentEntry, at ts: Int64) -> Bool {
        e.version != 0 && ts &- e.ts <= lifetime && e.ts &- ts <= lifetime
    }

    @inlinable static func bucketStart(_ h: IPHeaderSummary, vlan: UInt64, source: UInt32) -> Int {
        // Multiplications mix bits, they do not count: wrapping is meant.
        var x = (h.source.low ^ UInt64(h.fragmentID) << 8 ^ UInt64(h.proto.rawValue)) &* 0x9E37_79B9_7F4A_7C15
        x ^= (h.destination.low ^ vlan ^ UInt64(source) << 40) &* 0xC2B2_AE3D_27D4_EB4F
        x ^= (h.source.high ^ (h.destination.high &* 0x100_0000_01B3)) &* 0x1656_67B1_9E37_79F9
        x ^= x >> 31
        return Int(truncatingIfNeeded: x >> 16) & (capacity - 1) & ~(bucket - 1)
    }

    /// The slot of this datagram's live entry, or -1.
    @inlinable func find(_ h: IPHeaderSummary, vlan: UInt64, source: UInt32, ts: Int64) -> Int {
        if entries.isEmpty { return -1 }
        let start = FragmentTable.bucketStart(h, vlan: vlan, source: source)
        // In place: a copy of each 112-byte entry probed shows in a flood of fragments.
        return entries.withUnsafeBufferPointer { b in
            for i in start..<start + FragmentTable.bucket
            where b[i].id == h.fragmentID && b[i].version != 0 && b[i].same(h, vlan: vlan, source: source) {
                return FragmentTable.live(b[i], at: ts) ? i : -1
            }
            return -1
        }
    }

    /// A slot for a new entry of this datagram: its own expired one, a free or expired slot, or
    /// the bucket's oldest (counted in `replaced` when it was live).
    @inlinable mutating func claim(_ h: IPHeaderSummary, vlan: UInt64, source: UInt32, ts: Int64) -> Int {
        if entries.isEmpty { entries = [FragmentEntry](repeating: FragmentEntry(), count: FragmentTable.capacity) }
        let start = FragmentTable.bucketStart(h, vlan: vlan, source: source)
        let (oldest, replacing) = entries.withUnsafeBufferPointer { b -> (Int, Bool) in
            var oldest = start
            for i in start..<start + FragmentTable.bucket {
                if b[i].version == 0 || !FragmentTable.live(b[i], at: ts) || b[i].same(h, vlan: vlan, source: source) {
                    return (i, false)
                }
                if b[i].ts < b[oldest].ts { oldest = i }
            }
            return (oldest, true)
        }
        if replacing { replaced &+= 1 }  // one per replacement: cannot overflow
        var e = FragmentEntry()
        e.src = h.source
        e.dst = h.destination
        e.vlan = vlan
        e.id = h.fragmentID
        e.proto = h.proto.rawValue
        e.version = h.version
        e.source = source
        e.ts = ts
        e.lastTs = ts
        entries[oldest] = e
        made &+= 1  // one per entry made: cannot overflow
        return oldest
    }

    /// Entries in use (tests).
    var liveCount: Int { entries.reduce(0) { $0 + ($1.version != 0 ? 1 : 0) } }
}

extension FlowAnalyzer {
    /// The ICMP/fragment side tally of the flow at `pos`, made when missing.
    @usableFromInline mutating func sideTally(_ pos: Int) -> Int {
        var i = Int(table.states[pos].current.icmpIndex)
        if i < 0 {
            i = icmp.count
            icmp.append(ICMPTally())
            table.states[pos].current.icmpIndex = Int32(i)
        }
        return i
    }

    /// A first fragment (outside any tunnel) whose flow `ingest` has just counted: remember its
    /// datagram, and add to the flow the later fragments that came before it.
    @usableFromInline mutating func firstFragment(vlan: UInt64, record: CaptureRecord) {
        let h = summary.outer
        let (key, fromA) = FlowKey.make(src: h.source, sport: h.sourcePort, dst: h.destination,
                                        dport: h.destinationPort, proto: h.proto.rawValue, version: h.version,
                                        vlan: vlan, layer: 0)
        let hash = key.hash
        let pos = table.find(key, hash: hash)
        // Offset 0 without more fragments (an IPv6 atomic fragment) is a whole datagram.
        guard pos >= 0, h.moreFragments else { return }
        icmp[sideTally(pos)].fragments &+= 1  // packet counts: cannot overflow
        let ts = record.timestampNanos
        var slot = fragmentTable.find(h, vlan: vlan, source: record.sourceIndex, ts: ts)
        if slot >= 0 && fragmentTable.entries[slot].pos < 0 {
            // Later fragments came first: their counts join the flow now, out of "other IP".
            let e = fragmentTable.entries[slot]
            addFragments(pos, fromA: fromA, packets: UInt64(e.pendingPackets), bytes: e.pendingBytes,
                         payload: e.pendingPayload, firstTs: e.ts, lastTs: e.lastTs)
            counters.fragmentsFound(packets: UInt64(e.pendingPackets), bytes: e.pendingBytes, proto: e.proto)
        }
        if slot < 0 || fragmentTable.entries[slot].pos >= 0 {
            slot = fragmentTable.claim(h, vlan: vlan, source: record.sourceIndex, ts: ts)
        }
        fragmentTable.entries[slot].pos = Int32(truncatingIfNeeded: pos)
        fragmentTable.entries[slot].flowHash = hash
        fragmentTable.entries[slot].fromA = fromA
        fragmentTable.entries[slot].ts = ts
        fragmentTable.entries[slot].pendingPackets = 0
        fragmentTable.entries[slot].pendingBytes = 0
        fragmentTable.entries[slot].pendingPayload = 0
    }

    /// A later fragment (outside any tunnel): counted in its datagram's flow (true, with the frame's
    /// accounting done), or left pending for its first fragment (false: `ingest` counts it as
    /// other IP and a fragment without a first fragment).
    @usableFromInline mutating func laterFragment(vlan: UInt64, record: CaptureRecord) -> Bool {
        let h = summary.outer
        let ts = record.timestampNanos
        let wire = record.originalLength
        // UDP states its whole datagram's payload in the first fragment: the rest adds none.
        let payload = h.proto == .udp ? 0 : UInt64(h.transportPayloadLength)
        var slot = fragmentTable.find(h, vlan: vlan, source: record.sourceIndex, ts: ts)
        if slot >= 0 {
            let e = fragmentTable.entries[slot]
            if e.pos >= 0 {
                let pos = Int(e.pos)
                guard pos < table.count, table.keys[pos].hash == e.flowHash,
                      table.states[pos].current.source == record.sourceIndex
                else { return false }
                addFragments(pos, fromA: e.fromA, packets: 1, bytes: UInt64(wire), payload: payload,
                             firstTs: ts, lastTs: ts, frame: record.frameNumber)
                counters.flows.add(wire)
                if record.capturedLength < wire { counters.truncatedInFlows.add(wire) }
                return true
            }
        } else {
            slot = fragmentTable.claim(h, vlan: vlan, source: record.sourceIndex, ts: ts)
        }
        // Pending: bounded by the entry's lifetime; counts cannot overflow (see `Counters`).
        fragmentTable.entries[slot].pendingPackets &+= 1
        fragmentTable.entries[slot].pendingBytes &+= UInt64(wire)
        fragmentTable.entries[slot].pendingPayload &+= payload
        if ts > fragmentTable.entries[slot].lastTs { fragmentTable.entries[slot].lastTs = ts }
        fragmentTable.entries[slot].lastFrame = record.frameNumber
        return false
    }

    /// Counts fragments in the flow at `pos`, sent by endpoint A when `fromA`: packets, bytes and
    /// payload on that side, no TCP state or history (a later fragment has no transport header).
    mutating func addFragments(_ pos: Int, fromA: Bool, packets: UInt64, bytes: UInt64, payload: UInt64,
                               firstTs: Int64, lastTs: Int64, frame: UInt64 = 0) {
        let fromOrig = fromA == table.states[pos].current.origIsA
        // Packet and byte counts: cannot overflow (see `Counters`).
        if fromOrig {
            table.states[pos].current.orig.packets &+= packets
            table.states[pos].current.orig.bytes &+= bytes
            table.states[pos].current.orig.payload &+= payload
        } else {
            table.states[pos].current.resp.packets &+= packets
            table.states[pos].current.resp.bytes &+= bytes
            table.states[pos].current.resp.payload &+= payload
        }
        if frame > table.states[pos].current.lastFrame { table.states[pos].current.lastFrame = frame }
        if lastTs > table.states[pos].lastTs { table.states[pos].lastTs = lastTs }
        if firstTs < table.states[pos].firstTs { table.states[pos].firstTs = firstTs }
        icmp[sideTally(pos)].fragments &+= packets
    }
}

extension Counters {
    /// Later fragments counted as other IP (protocol `proto`) and as fragments without a first
    /// fragment, whose first fragment came after all: now in flows, as `ingest` counts one.
    mutating func fragmentsFound(packets: UInt64, bytes: UInt64, proto: UInt8) {
        // Takes back exactly what `ingest` added for these fragments: cannot underflow.
        otherIP.packets &-= packets
        otherIP.bytes &-= bytes
        otherByProto[Int(proto)] &-= packets
        otherByProto[256 + Int(proto)] &-= bytes
        fragments.packets &-= packets
        fragments.bytes &-= bytes
        flows.packets &+= packets
        flows.bytes &+= bytes
    }
}

// MARK: - Byte ranges (`ByteSplit.swift`)

// A later range's fragment table is joined to the earlier one's as one thread would have
// updated it: the range's pending fragments (no first fragment in the range) go to the flow an
// earlier first fragment named, or join its pending counts, or become entries; a first fragment
// of the range takes the earlier range's pending fragments of its datagram. Where that cannot be
// told from the two tables — an entry of the range replaced another, pending fragments that
// outlived the earlier entry, a datagram id reused while its earlier entry lived, a full bucket —
// the range is declined and read on one thread.

/// What `appendContinuation` does to fragments, planned before anything changes.
struct FragmentJoin {
    var table: FragmentTable
    /// A range's pending fragments counted in a flow of the earlier ranges (its position).
    var intoFlows: [(pos: Int, entry: FragmentEntry)] = []
    /// Earlier pending fragments taken by a first fragment of the range (the flow's key, sender A).
    var intoRangeFlows: [(key: FlowKey, fromA: Bool, entry: FragmentEntry)] = []
    /// Entries of the range whose flow position is the merged position of `key`.
    var remap: [(slot: Int, key: FlowKey)] = []
}

extension FragmentEntry {
    /// The header fields the table's probes read.
    var header: IPHeaderSummary {
        var h = IPHeaderSummary()
        h.version = version
        h.source = src
        h.destination = dst
        h.proto = IPProtocol(proto)
        h.fragmentID = id
        return h
    }
}

extension FragmentTable {
    /// A slot a new entry can take without replacing a live one, or nil.
    func room(_ h: IPHeaderSummary, vlan: UInt64, source: UInt32, ts: Int64) -> Int? {
        let start = FragmentTable.bucketStart(h, vlan: vlan, source: source)
        for i in start..<start + FragmentTable.bucket {
            let e = entries[i]
            if e.version == 0 || !FragmentTable.live(e, at: ts) || e.same(h, vlan: vlan, source: source) { return i }
        }
        return nil
    }
}

extension FlowAnalyzer {
    /// The join of `part`'s fragment table (see above), or nil when it would not be exact.
    func planFragmentJoin(_ part: FlowAnalyzer, framesBefore: UInt64) -> FragmentJoin? {
        var join = FragmentJoin(table: fragmentTable)
        let pt = part.fragmentTable
        if pt.made == 0 { return join }
        if pt.replaced > 0 { return nil }
        if join.table.entries.isEmpty {
            join.table.entries = [FragmentEntry](repeating: FragmentEntry(), count: FragmentTable.capacity)
        }
        for var e in pt.entries where e.version != 0 {
            if e.lastFrame != 0 { e.lastFrame &+= framesBefore }  // a frame number of the source: fits
            let h = e.header
            let slot = join.table.find(h, vlan: e.vlan, source: e.source, ts: e.ts)
            if e.pos < 0 {
                if slot >= 0 {
                    let t = join.table.entries[slot]
                    guard FragmentTable.live(t, at: e.lastTs) else { return nil }
                    if t.pos >= 0 {
                        let pos = Int(t.pos)
                        if pos < table.count && table.keys[pos].hash == t.flowHash
                            && table.states[pos].current.source == e.source {
                            e.fromA = t.fromA
                            join.intoFlows.append((pos, e))
                        }
                        // Else one thread leaves them where they are: fragments without a first.
                    } else {
                        // Pending counts of one datagram add (cannot overflow, see `Counters`).
                        join.table.entries[slot].pendingPackets &+= e.pendingPackets
                        join.table.entries[slot].pendingBytes &+= e.pendingBytes
                        join.table.entries[slot].pendingPayload &+= e.pendingPayload
                        join.table.entries[slot].lastTs = max(t.lastTs, e.lastTs)
                        join.table.entries[slot].lastFrame = e.lastFrame
                    }
                } else {
                    guard let s = join.table.room(h, vlan: e.vlan, source: e.source, ts: e.ts) else { return nil }
                    join.table.entries[s] = e
                }
            } else {
                let key = part.table.keys[Int(e.pos)]
                var target = slot
                if slot >= 0 {
                    let t = join.table.entries[slot]
                    if t.pos >= 0 { return nil }
                    join.intoRangeFlows.append((key, e.fromA, t))
                } else {
                    guard let s = join.table.room(h, vlan: e.vlan, source: e.source, ts: e.ts) else { return nil }
                    target = s
                }
                join.table.entries[target] = e
                join.remap.append((target, key))
            }
        }
        join.table.made &+= pt.made  // entries ever made: cannot overflow
        return join
    }

    /// Applies a planned join once the range's flows are merged (their positions are final).
    mutating func applyFragmentJoin(_ join: FragmentJoin) {
        fragmentTable = join.table
        for (pos, e) in join.intoFlows {
            addFragments(pos, fromA: e.fromA, packets: UInt64(e.pendingPackets), bytes: e.pendingBytes,
                         payload: e.pendingPayload, firstTs: e.ts, lastTs: e.lastTs, frame: e.lastFrame)
            counters.fragmentsFound(packets: UInt64(e.pendingPackets), bytes: e.pendingBytes, proto: e.proto)
        }
        for (key, fromA, e) in join.intoRangeFlows {
            let pos = table.find(key, hash: key.hash)
            guard pos >= 0 else { continue }
            addFragments(pos, fromA: fromA, packets: UInt64(e.pendingPackets), bytes: e.pendingBytes,
                         payload: e.pendingPayload, firstTs: e.ts, lastTs: e.lastTs)
            counters.fragmentsFound(packets: UInt64(e.pendingPackets), bytes: e.pendingBytes, proto: e.proto)
        }
        for (slot, key) in join.remap {
            fragmentTable.entries[slot].pos = Int32(truncatingIfNeeded: table.find(key, hash: key.hash))
            fragmentTable.entries[slot].flowHash = key.hash
        }
    }
}
