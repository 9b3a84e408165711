import PacketWire

// Connections, not 5-tuples (Zeek's `TCPSessionAdapter::IsReuse`): a SYN without ACK on a TCP
// flow one of whose endpoints has closed (FIN) or reset (RST) starts a new connection on the same
// key; so does one on an open connection whose sequence number is not the originator's initial
// one (a new SYN, not a retransmitted one: Zeek's "SYN_seq_jump" / "active_connection_reuse"),
// except the SYN of a SYN-ACK seen first. The old connection leaves the table's slot for `closed`, keeping
// its counts, state, history and evidence; the new one takes the slot. Reports list both, in the
// order they began, each with its own `uid`.

/// A connection that a later one on the same key replaced in the table.
@usableFromInline
struct ClosedFlow: Sendable {
    @usableFromInline var key: FlowKey
    @usableFromInline var state: FlowState
    /// In a continuation part (`ByteSplit.swift`): its log, for the merge.
    @usableFromInline var log: FlowLog

    @usableFromInline init(key: FlowKey, state: FlowState, log: FlowLog) {
        self.key = key
        self.state = state
        self.log = log
    }
}

extension Vantage {
    /// One endpoint sent FIN or RST (Zeek's `IsClosed`: either endpoint `did_close`). Closed and
    /// reset are the last two endpoint states and no packet leaves them.
    @inlinable var hasClosed: Bool {
        orig.state.rawValue >= EndpointState.closed.rawValue || resp.state.rawValue >= EndpointState.closed.rawValue
    }

    /// A pure SYN with sequence number `synSeq` on this open connection is a new connection (Zeek's
    /// `IsReuse` when not closed): its number is not the originator's initial one (0 when the
    /// originator's numbers were never seen, as Zeek's), and it is not the SYN of a SYN-ACK the
    /// originator was seen to send first (the pair reordered).
    @inlinable func isReuse(synSeq: UInt32) -> Bool {
        if packets == 0 || synSeq == orig.seqStart { return false }
        if orig.state == .synAckSent && resp.state == .inactive && synSeq == resp.seqStart { return false }
        return true
    }
}

extension FlowAnalyzer {
    /// A pure SYN (SYN without ACK): the only packet that may start a new connection on a known key.
    @inlinable @inline(__always) static func isPureSYN(proto: UInt8, flags: UInt16, hasFlags: Bool) -> Bool {
        proto == 6 && hasFlags && flags & (TCPFlag.syn | TCPFlag.ack) == TCPFlag.syn
    }

    /// The pure SYN about to be counted in the flow at `pos` starts a new connection if the
    /// flow's connection has closed: the old one moves to `closed`, a fresh one (the SYN's sender
    /// is its client) takes the slot.
    @usableFromInline @inline(never)
    mutating func startConnectionIfClosed(_ pos: Int, fromA: Bool, synSeq: UInt32, _ record: CaptureRecord) {
        var old = table.states[pos]
        // A continuation part starts one at every pure SYN: the merge joins those the real state
        // does not start (`ByteSplit.swift`).
        guard old.current.hasClosed || old.current.isReuse(synSeq: synSeq) || (logging && old.current.packets > 0),
              old.current.source == record.sourceIndex
        else { return }
        old.chained = true
        let v = Vantage(source: record.sourceIndex, origIsA: fromA, inferred: false, frame: record.frameNumber)
        // Another vantage point already saw a later connection on this key: this is that one,
        // seen from here (vantage points see a key's connections in the same order).
        if old.best >= 0, let next = nextClosed(after: origin(key: table.keys[pos], state: old), key: table.keys[pos]) {
            table.states[pos] = closed[next].state
            closed[next] = ClosedFlow(key: table.keys[pos], state: old, log: FlowLog())
            finishVantage(at: pos, key: table.keys[pos])
            table.states[pos].current = v
            finishedSources[Int(table.states[pos].best)] |= sourceBit(record.sourceIndex)
            if record.timestampNanos < table.states[pos].firstTs { table.states[pos].firstTs = record.timestampNanos }
            return
        }
        closed.append(ClosedFlow(key: table.keys[pos], state: old, log: logging ? logs[pos] : FlowLog()))
        table.states[pos] = FlowState(current: v, ts: record.timestampNanos, tunnel: old.tunnel, carrier: old.carrier)
        table.states[pos].chained = true
        if logging { logs[pos] = FlowLog() }
        nextSerial &+= 1  // one per connection started: cannot reach 2^64
    }

    /// The closed connection on `key` that began first after `origin` (nil: none).
    func nextClosed(after origin: UInt64, key: FlowKey) -> Int? {
        var best: Int? = nil
        var bestOrigin = UInt64.max
        for (i, c) in closed.enumerated() where c.key == key {
            let o = self.origin(key: c.key, state: c.state)
            if o > origin && o < bestOrigin {
                best = i
                bestOrigin = o
            }
        }
        return best
    }

    /// A vantage point's first packet on a key that had several connections: its view starts on
    /// the key's first connection (the slot then holds that one; the one it held goes to `closed`).
    @usableFromInline mutating func rewindToFirstConnection(_ pos: Int) {
        guard let first = nextClosed(after: 0, key: table.keys[pos]) else { return }
        let o = origin(key: table.keys[pos], state: table.states[pos])
        if origin(key: closed[first].key, state: closed[first].state) > o { return }
        let held = table.states[pos]
        table.states[pos] = closed[first].state
        closed[first] = ClosedFlow(key: table.keys[pos], state: held, log: FlowLog())
    }

    /// Every flow (the table's and the closed connections) in the order they began: `body` gets
    /// the key and the state.
    ///
    /// Unless flows were removed (`reordered`), the table's flows on a key with one connection are
    /// in the order they began: then only the others (a key's later connection holds the key's
    /// slot, `chained`) and the closed connections are sorted (`laterConnections`) and merged into
    /// them, rather than sorting 16 bytes per flow of the whole table (15 MiB at a million flows,
    /// and as much again for the sort's buffer, at the report's peak of memory). The order is the
    /// same: by origin, then table position, then closed index (as the stable sort of
    /// `forEachFlowStateSorted`).
    @inline(__always) func forEachFlowState(_ body: (FlowKey, FlowState) throws -> Void) rethrows {
        if closed.isEmpty && !table.reordered {
            for i in table.keys.indices { try body(table.keys[i], table.states[i]) }
            return
        }
        guard !table.reordered, unchainedInOrigin() else { return try forEachFlowStateSorted(body) }
        let extra = laterConnections()
        let n = table.count
        var j = 0
        for i in 0...n {
            // i == n: after the table's last flow, the extras left.
            if i < n && table.states[i].chained { continue }
            let o = i < n ? origin(key: table.keys[i], state: table.states[i]) : UInt64.max
            while j < extra.count && (i == n || extra[j].origin < o || (extra[j].origin == o && extra[j].rank < i)) {
                let r = extra[j].rank
                j += 1
                if r < n {
                    try body(table.keys[r], table.states[r])
                } else {
                    let c = closed[r - n]
                    try body(c.key, c.state)
                }
            }
            if i < n { try body(table.keys[i], table.states[i]) }
        }
    }

    /// The table's `chained` flows and the closed connections by origin: rank is the table
    /// position, or the table's count + the closed index.
    @inline(never) func laterConnections() -> [(origin: UInt64, rank: Int)] {
        var extra: [(origin: UInt64, rank: Int)] = []
        extra.reserveCapacity(closed.count)
        for i in table.keys.indices where table.states[i].chained {
            extra.append((origin(key: table.keys[i], state: table.states[i]), i))
        }
        let n = table.count
        for (i, c) in closed.enumerated() { extra.append((origin(key: c.key, state: c.state), n + i)) }
        extra.sort { $0.origin != $1.origin ? $0.origin < $1.origin : $0.rank < $1.rank }
        return extra
    }

    /// `forEachFlowState` over a table whose flows were removed (or are out of order): every flow
    /// sorted by origin.
    @inline(never) func forEachFlowStateSorted(_ body: (FlowKey, FlowState) throws -> Void) rethrows {
        // Table positions as i ≥ 0, closed connections as -1 - index.
        var order: [(origin: UInt64, at: Int)] = []
        order.reserveCapacity(table.count + closed.count)
        for i in table.keys.indices { order.append((origin(key: table.keys[i], state: table.states[i]), i)) }
        for (i, c) in closed.enumerated() { order.append((origin(key: c.key, state: c.state), -1 - i)) }
        order.sort { $0.origin < $1.origin }
        for (_, at) in order {
            if at >= 0 {
                try body(table.keys[at], table.states[at])
            } else {
                let c = closed[-1 - at]
                try body(c.key, c.state)
            }
        }
    }

    /// Whether the table's flows on keys with one connection are in the order they began.
    @inline(never) func unchainedInOrigin() -> Bool {
        var last: UInt64 = 0
        for i in table.keys.indices where !table.states[i].chained {
            let o = origin(key: table.keys[i], state: table.states[i])
            if o < last { return false }
            last = o
        }
        return true
    }

    /// FNV-1a of a source name (the multiplication wraps on purpose).
    static func nameHash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// Zeek-like connection id: "C" and the base-62 digits of a hash of where the connection began
    /// (source name, frame, key). Deterministic, so reports are reproducible and `--threads` agrees.
    func uid(key: FlowKey, state s: FlowState) -> String {
        FlowAnalyzer.withUID(uidHash(key: key, state: s)) { String(decoding: $0, as: UTF8.self) }
    }

    /// The number the uid spells.
    func uidHash(key: FlowKey, state s: FlowState) -> UInt64 {
        let o = origin(key: key, state: s)
        let source = Int(o >> 46)
        // The source name's hash, then the origin and the key's hash mixed in; wraps on purpose.
        var h = source < sourceNameHashes.count ? sourceNameHashes[source]
            : source < sourceNames.count ? FlowAnalyzer.nameHash(sourceNames[source]) : FlowAnalyzer.nameHash("")
        h ^= (o &* 0x9E37_79B9_7F4A_7C15)
        h ^= key.hash &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return h
    }

    /// "C" and at most 11 base-62 digits of `h`, in a buffer on the stack.
    static func withUID<R>(_ h: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var buf: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &buf) { b in
            let n = writeUID(h, into: b.baseAddress!.assumingMemoryBound(to: UInt8.self))  // 16 bytes ≥ 12
            return body(UnsafeRawBufferPointer(rebasing: b[0..<n]))
        }
    }

    /// Writes "C" and the base-62 digits of `h` (least significant first: the uid's spelling) into
    /// `out` (room for 12 bytes); returns the length.
    @inline(__always) static func writeUID(_ h: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let digits: StaticString = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        out[0] = UInt8(ascii: "C")
        var n = 1
        var x = h
        repeat {
            out[n] = digits.utf8Start[Int(x % 62)]
            n &+= 1
            x /= 62
        } while x != 0
        return n
    }
}
