import PacketWire

// `--threads N` on one large capture: the file is cut into N byte ranges at record boundaries,
// each range is analysed on its own thread by its own analyzer, and the analyzers are merged in
// file order (`appendContinuation`) into exactly what one analyzer reading the whole file reports.
//
// A part after the first does not know the flows' earlier history. Most of what it keeps merges
// as it is: packet and byte counts add, TCP flags OR, timestamps take min/max, history letters
// keep their first occurrences in order (a letter depends on its packet only), ICMP tallies add.
// What does not is Zeek's TCP endpoint state machine, whose step depends on the state reached so
// far, and the evidence frames and client side, which depend on who the earlier part decided the
// client was. For those, a later part logs per flow the few packets that can move the state:
//
// - every packet with SYN, FIN or RST ("control");
// - until a side has sent a control packet or one with payload ("terminal"): its first packet
//   after the part's start or after the last control packet, and its first with payload.
//
// Why that is enough (`Vantage.step`), whatever state the earlier part left: a packet without
// SYN/FIN/RST changes only its sender, and only if the sender is inactive; a terminal packet
// always takes its sender out of inactive, for good. A payload-less one does too, unless its
// sender is the responder while the originator is in SYN-sent — which only a control packet can
// change. So between two control packets a side's payload-less packets after its first change
// nothing (the first moved it out of inactive, or each like it leaves it there), and a
// side that moved can change its peer's next step only if the peer is still inactive, when
// the peer's next packet is its first of the stretch and logged anyway. The merge replays
// the log with `Vantage.step` on the earlier state, and takes the evidence frames from the logged
// SYN/RST packets. A log holds 30 packets; a flow whose log overflowed and that the earlier parts
// also saw cannot be replayed, and the merge says so (the caller then reads that range again,
// continuing the earlier analyzer: slower, never wrong).
//
// An ICMP error whose flow a later part has not seen may quote a flow of an earlier part: it is
// kept (`PendingICMP`) with how it was counted, and the merge matches it there.
//
// Connections (`Connections.swift`): a pure SYN starts a new connection when the flow's
// connection has closed, which a later part cannot know for a flow that began earlier. So a part
// starts a connection at every pure SYN on a flow it knows; each of its connections then begins
// with a pure SYN (always logged, as a control packet) and holds no other pure SYN. The merge
// walks each key's connections in order on the real state: one whose SYN finds it closed is a
// new connection (its own state, exact since its SYN); any other is appended to the one before
// as a later part's view of a flow is (the replay above), which is what the sequential read did.
// A SYN whose sequence number is not the connection's initial one also starts a new connection
// (`Vantage.isReuse`): the log keeps each side's first sequence number in the part for that.
//
// Sequence letters (T, G, W; `FlowState.swift`): a part numbers a flow it did not see begin from
// its own first packets, as Zeek numbers a connection seen mid-stream. `seqJoinable` accepts the
// part's view only where that provably gives what the sequential read gave: per side, its first
// sequence number in the part is the highest the side sent before (or a SYN that restarts the
// numbers on both), nothing of it was out of order at the cut, the side was not reset (unless it
// sent no payload since), and no later SYN of it; an acknowledgement of its stream before its
// first packet in the part lies within what was seen; the part saw no zero window and no gap that
// could count (gaps cannot while a side is partial, reset or closed from elsewhere than
// established); and its retransmissions are the side's first (the earlier ranges saw none, so
// their letters fall where they fell in the part). Otherwise the merge declines and the range is
// read on one thread: exact either way.

/// The logged packets of one flow in a later part (see above), 56 bytes: up to 30 packets as
/// 6-bit codes (SYN, FIN, RST, ACK, sent by A, with payload), and apart from them the frames the
/// merge may need as evidence: each side's first pure SYN, first SYN-ACK and first RST.
@usableFromInline
struct FlowLog: Sendable {
    @usableFromInline var codes: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// Frame − the flow's first frame in the part + 1 (0 = none): pure SYN from A, from B,
    /// SYN-ACK from A, from B, RST from A, from B.
    @usableFromInline var evidence: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0)
    @usableFromInline var count: UInt8 = 0
    /// A packet that had to be logged did not fit (or an evidence frame was too far from the first).
    @usableFromInline var overflowed = false
    /// Bit 0: A has sent a terminal packet (SYN/FIN/RST or payload); bit 1: B.
    @usableFromInline var terminal: UInt8 = 0
    /// Bit per side: its next packet is logged (its first, or the first after a control packet).
    @usableFromInline var pending: UInt8 = 3

    // Sequence tracking (see "Sequence letters" above).
    /// `SeqEvent` bits of the part's packets, before Zeek's state conditions.
    @usableFromInline var seqEvents: UInt8 = 0
    /// Bit 0: A has sent a packet in the part, bit 1: B; bits 2, 3: that first packet had SYN (A, B).
    @usableFromInline var seqSent: UInt8 = 0
    /// The sequence number of each side's first packet in the part (A, B).
    @usableFromInline var firstSeq: (UInt32, UInt32) = (0, 0)
    /// Bit 0: A sent payload in the part, bit 1: B.
    @usableFromInline var seqPayload: UInt8 = 0
    /// Bit 0: `preAck.0` is set, bit 1: `preAck.1`.
    @usableFromInline var preAckSet: UInt8 = 0
    /// The highest acknowledgement of each side's stream (A, B) sent before that side's first
    /// packet in the part.
    @usableFromInline var preAck: (UInt32, UInt32) = (0, 0)

    @usableFromInline init() {}

    static let capacity = 30

    /// Code: bits 0–2 the FIN, SYN and RST flag bits as sent, 3 ACK, 4 sent by A, 5 with payload.
    @usableFromInline static func code(flags: UInt16, fromA: Bool, payload: Bool) -> UInt64 {
        UInt64(flags & 0x07) | (flags & TCPFlag.ack != 0 ? 8 : 0) | (fromA ? 16 : 0) | (payload ? 32 : 0)
    }

    func code(_ i: Int) -> UInt64 {
        let word = i < 10 ? codes.0 : i < 20 ? codes.1 : codes.2
        return word >> (6 * UInt64(i % 10)) & 0x3F
    }

    @usableFromInline mutating func append(_ c: UInt64) {
        let i = Int(count)
        guard i < FlowLog.capacity else {
            overflowed = true
            return
        }
        let bits = c << (6 * UInt64(i % 10))
        if i < 10 { codes.0 |= bits } else if i < 20 { codes.1 |= bits } else { codes.2 |= bits }
        count &+= 1  // i < capacity (checked above): cannot overflow
    }

    /// Evidence slot `k` (see `evidence`), as a part-local frame offset + 1.
    func evidence(_ k: Int) -> UInt32 {
        withUnsafeBytes(of: evidence) { $0.load(fromByteOffset: 4 * k, as: UInt32.self) }
    }

    @usableFromInline mutating func noteEvidence(_ k: Int, _ value: UInt32) {
        if evidence(k) != 0 { return }
        withUnsafeMutableBytes(of: &evidence) { $0.storeBytes(of: value, toByteOffset: 4 * k, as: UInt32.self) }
    }
}

/// An ICMP error a later part could not match, and how that part counted it.
@usableFromInline
struct PendingICMP: Sendable {
    @usableFromInline enum Counted: UInt8, Sendable {
        case unset
        /// Its frame was in a carrier flow (`flows`): matching adds it to `tunnelled`.
        case carrierFlow
        /// In `otherIP` (protocol `proto`) and `icmpUnmatched`.
        case otherIP
        /// Undecodable or a fragment: matching it cannot be accounted here.
        case elsewhere
    }
    @usableFromInline var key: FlowKey
    @usableFromInline var fromA: Bool
    @usableFromInline var unreachable: Bool
    @usableFromInline var type: UInt8
    @usableFromInline var code: UInt8
    @usableFromInline var v6: Bool
    @usableFromInline var wire: UInt32
    @usableFromInline var frame: UInt64
    @usableFromInline var ts: Int64
    @usableFromInline var source: UInt32
    @usableFromInline var counted: Counted = .unset
    @usableFromInline var proto: UInt8 = 0

    @usableFromInline init(key: FlowKey, fromA: Bool, unreachable: Bool, type: UInt8, code: UInt8, v6: Bool,
                           wire: UInt32, frame: UInt64, ts: Int64, source: UInt32) {
        self.key = key
        self.source = source
        self.fromA = fromA
        self.unreachable = unreachable
        self.type = type
        self.code = code
        self.v6 = v6
        self.wire = wire
        self.frame = frame
        self.ts = ts
    }
}

extension FlowAnalyzer {
    /// Makes this analyzer a later part of a byte-range split: it logs what `appendContinuation`
    /// needs. Call before the first packet.
    public mutating func beginContinuationPart() {
        precondition(table.count == 0, "beginContinuationPart after packets")
        logging = true
    }

    /// Logs a TCP packet of the flow at `pos` if it may move the flow's state (see the top of the file).
    @usableFromInline mutating func logPacket(_ pos: Int, fromA: Bool, proto: UInt8, flags: UInt16, hasFlags: Bool,
                                              payload: UInt32, frame: UInt64, seg: TCPSegment, events: UInt8) {
        guard proto == 6, hasFlags else { return }
        let side: UInt8 = fromA ? 1 : 2
        // Retransmissions by side (bit 0: A, bit 3: B); zero windows and gaps as they are.
        if payload > 0 { logs[pos].seqPayload |= side }
        logs[pos].seqEvents |= events & ~SeqEvent.retransmission
            | (events & SeqEvent.retransmission != 0 ? (fromA ? 1 : 8) : 0)
        if logs[pos].seqSent & side == 0 {
            logs[pos].seqSent |= side
            if flags & TCPFlag.syn != 0 { logs[pos].seqSent |= side << 2 }
            if fromA { logs[pos].firstSeq.0 = seg.seq } else { logs[pos].firstSeq.1 = seg.seq }
        }
        // An acknowledgement of the peer's stream before the peer's first packet here.
        let peer: UInt8 = fromA ? 2 : 1
        if flags & TCPFlag.ack != 0 && logs[pos].seqSent & peer == 0 {
            if fromA {
                if logs[pos].preAckSet & 2 == 0 || seqDelta(seg.ack, logs[pos].preAck.1) > 0 { logs[pos].preAck.1 = seg.ack }
            } else {
                if logs[pos].preAckSet & 1 == 0 || seqDelta(seg.ack, logs[pos].preAck.0) > 0 { logs[pos].preAck.0 = seg.ack }
            }
            logs[pos].preAckSet |= peer
        }
        let control = flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst) != 0
        let l = logs[pos]
        if !control && l.terminal & side != 0 { return }  // most packets
        let log = control || l.pending & side != 0 || payload > 0
        if control || payload > 0 { logs[pos].terminal |= side }
        guard log else { return }
        logs[pos].append(FlowLog.code(flags: flags, fromA: fromA, payload: payload > 0))
        if control {
            let syn = flags & TCPFlag.syn != 0, ack = flags & TCPFlag.ack != 0, rst = flags & TCPFlag.rst != 0
            let first = table.states[pos].current.firstFrame
            let offset = frame >= first && frame - first < UInt64(UInt32.max) ? UInt32(frame - first) + 1 : 0
            if offset == 0 { logs[pos].overflowed = true }
            let b = fromA ? 0 : 1
            if syn && !ack { logs[pos].noteEvidence(b, offset) }
            if syn && ack { logs[pos].noteEvidence(2 + b, offset) }
            if rst { logs[pos].noteEvidence(4 + b, offset) }
        }
        // After SYN/FIN/RST, each side's next packet may act differently; after a packet without
        // them only its sender's state can have moved, which no later packet without them depends on.
        logs[pos].pending = control ? 3 : l.pending & ~side
    }

    /// Appends the analysis of the next byte range of the same capture (`part`, made with
    /// `beginContinuationPart` and fed the packets right after this analyzer's last one, its frames
    /// numbered from 1), as if this analyzer had read them itself. `framesBefore`: the packets this
    /// analyzer read. Returns false, changing nothing, when the result would not be exact (see the
    /// top of the file); the caller then feeds this analyzer the part's packets itself.
    public mutating func appendContinuation(_ part: FlowAnalyzer, framesBefore: UInt64) -> Bool {
        guard part.logging, part.logs.count == part.table.count, sourceNames == part.sourceNames,
              !table.reordered, !part.table.reordered, maxFlows == 0, part.maxFlows == 0,
              part.finished.isEmpty, part.sourceErrors.isEmpty
        else { return false }
        // Every probe first, in a loop of independent lookups (their cache misses overlap; at a
        // million flows this pass is most of the merge), then the checks and the updates. The
        // part's keys are distinct, so flows inserted below never answer a probe of this pass, and
        // nothing below moves a flow of this analyzer.
        var found = [Int32](repeating: -1, count: part.table.count)
        for pos in part.table.keys.indices {
            let key = part.table.keys[pos]
            found[pos] = Int32(truncatingIfNeeded: table.find(key, hash: key.hash))
        }
        let pendingFound = part.pendingICMP.map { table.find($0.key, hash: $0.key.hash) }

        // A part's connections on one key (`Connections.swift`) form a chain: its closed ones in
        // order, then its table entry. A part cannot tell whether a pure SYN on a flow it knows
        // finds the connection closed (the flow may have begun in an earlier range), so it starts a
        // connection at each; the merge walks each chain on the real state and joins a connection
        // to the one before it where the sequential read would not have started a new one.
        let chainOf = part.closed.map { part.table.find($0.key, hash: $0.key.hash) }
        if chainOf.contains(where: { $0 < 0 }) { return false }

        // Check first, change after: a flow this source saw in both that cannot be replayed (its
        // log overflowed), an ICMP error that would match here a flow of another source (the
        // sequential read would have started this source's view of it from the error), or one
        // counted where it cannot be moved from.
        var chainState = [Vantage?](repeating: nil, count: part.table.count)
        func check(_ chain: Int, _ s: FlowState, _ log: FlowLog) -> Bool {
            var v: Vantage
            if let w = chainState[chain] {
                v = w
            } else {
                let mine = Int(found[chain])
                guard mine >= 0, table.states[mine].current.source == s.current.source else {
                    chainState[chain] = s.current
                    return true
                }
                v = table.states[mine].current
            }
            if FlowAnalyzer.startsConnection(log, on: v) {
                chainState[chain] = s.current
                return true
            }
            if log.overflowed && part.table.keys[chain].proto == 6 { return false }
            if part.table.keys[chain].proto == 6 && !FlowAnalyzer.seqJoinable(log, on: v, key: part.table.keys[chain]) {
                return false
            }
            if part.table.keys[chain].proto == 6 {
                // As `continueFlow` does (before the replay: a side reset before the part keeps its numbers).
                let same = v.origIsA == s.current.origIsA
                FlowAnalyzer.joinSeq(&v.orig, w: same ? s.current.orig : s.current.resp,
                                     restarted: log.seqSent & ((v.origIsA ? 1 : 2) << 2) != 0)
                FlowAnalyzer.joinSeq(&v.resp, w: same ? s.current.resp : s.current.orig,
                                     restarted: log.seqSent & ((v.origIsA ? 2 : 1) << 2) != 0)
                v.orig.retransmissions &+= same ? s.current.orig.retransmissions : s.current.resp.retransmissions
                v.resp.retransmissions &+= same ? s.current.resp.retransmissions : s.current.orig.retransmissions
            }
            FlowAnalyzer.replay(&v, log)
            chainState[chain] = v
            return true
        }
        for (c, chain) in zip(part.closed, chainOf) where !check(chain, c.state, c.log) { return false }
        for pos in part.table.keys.indices where !check(pos, part.table.states[pos], part.logs[pos]) { return false }
        for (p, mine) in zip(part.pendingICMP, pendingFound) where mine >= 0 {
            if p.counted != .carrierFlow && p.counted != .otherIP { return false }
            if table.states[mine].current.source != p.source { return false }
        }
        // A key with several connections that several sources saw: the sequential read matches a
        // source's connections to the earlier sources' one by one (`switchSource`,
        // `startConnectionIfClosed`); not replayed here.
        for pos in part.table.keys.indices where found[pos] >= 0 {
            let mine = table.states[Int(found[pos])]
            if mine.chained && (mine.best >= 0 || mine.current.source != part.table.states[pos].current.source) {
                return false
            }
        }

        guard let fragmentJoin = planFragmentJoin(part, framesBefore: framesBefore) else { return false }

        var counts = part.counters
        // Frame numbers shift by the frames of the earlier parts: the sum is the frame's number in
        // the whole source, which fits as the source's own frame numbers do (cannot overflow).
        // ICMP errors first: they came before the part's own packets of the flows they quote.
        for (p, pos) in zip(part.pendingICMP, pendingFound) where pos >= 0 {
            countICMPError(pos, fromA: p.fromA, unreachable: p.unreachable, type: p.type, code: p.code, v6: p.v6,
                           wire: p.wire, frame: p.frame &+ framesBefore, ts: p.ts)
            counts.icmpErrorMatchedLater(wire: p.wire, carrier: p.counted == .carrierFlow, proto: p.proto)
        }

        // Per chain: this analyzer's position holding it, once its first connection is placed.
        var slot = [Int](repeating: -1, count: part.table.count)
        func place(_ chain: Int, _ key: FlowKey, _ state: FlowState, _ log: FlowLog) {
            var s = state
            s.current.firstFrame &+= framesBefore
            var tally: ICMPTally? = nil
            if s.current.icmpIndex >= 0 {
                var t = part.icmp[Int(s.current.icmpIndex)]
                if t.unreachableFrame != 0 { t.unreachableFrame &+= framesBefore }
                t.shiftKindFrames(by: framesBefore)
                tally = t
            }
            let mine = slot[chain] >= 0 ? slot[chain] : Int(found[chain])
            if mine >= 0 && (slot[chain] >= 0 || table.states[mine].current.source == s.current.source) {
                slot[chain] = mine
                if !(key.proto == 6 && FlowAnalyzer.startsConnection(log, on: table.states[mine].current)) {
                    continueFlow(at: mine, with: s, tally: tally, log: log, proto: key.proto)
                    return
                }
                // This connection begins with a pure SYN on a closed one: a new connection.
                table.states[mine].chained = true
                closed.append(ClosedFlow(key: key, state: table.states[mine], log: FlowLog()))
                s.chained = true
                s.current.icmpIndex = -1
                if let tally { s.current.icmpIndex = addICMPTally(tally) }
                table.states[mine] = s
                return
            }
            s.current.icmpIndex = -1
            if let tally { s.current.icmpIndex = addICMPTally(tally) }
            if mine < 0 {
                slot[chain] = table.insert(key, hash: key.hash, state: s)
            } else {
                // First seen by this source in this part: what `switchSource` does, with the
                // vantage the part built from the same packets.
                slot[chain] = mine
                finishVantage(at: mine, key: key)
                table.states[mine].current = s.current
                finishedSources[Int(table.states[mine].best)] |= sourceBit(s.current.source)
                if s.firstTs < table.states[mine].firstTs { table.states[mine].firstTs = s.firstTs }
                if s.lastTs > table.states[mine].lastTs { table.states[mine].lastTs = s.lastTs }
            }
        }
        // In the part's creation order (a chain was created where its table entry is), so flows new
        // to this analyzer are inserted in the order the sequential read creates them.
        var members = [[Int]](repeating: [], count: chainOf.isEmpty ? 0 : part.table.count)
        for (i, chain) in chainOf.enumerated() { members[chain].append(i) }
        for pos in part.table.keys.indices {
            if !members.isEmpty {
                for i in members[pos] { place(pos, part.closed[i].key, part.closed[i].state, part.closed[i].log) }
            }
            place(pos, part.table.keys[pos], part.table.states[pos], part.logs[pos])
        }
        counters.merge(counts)
        applyFragmentJoin(fragmentJoin)
        return true
    }

    /// Folds a later part's view of a flow (`later`, frames already shifted) into the flow at `pos`.
    mutating func continueFlow(at pos: Int, with later: FlowState, tally: ICMPTally?, log: FlowLog, proto: UInt8) {
        var v = table.states[pos].current
        let w = later.current
        let same = v.origIsA == w.origIsA
        let o = same ? w.orig : w.resp, r = same ? w.resp : w.orig
        // Counts of two parts of one flow: packets and bytes cannot overflow (see `Counters`).
        v.orig.packets &+= o.packets
        v.orig.bytes &+= o.bytes
        v.orig.payload &+= o.payload
        v.orig.flags |= o.flags
        v.resp.packets &+= r.packets
        v.resp.bytes &+= r.bytes
        v.resp.payload &+= r.payload
        v.resp.flags |= r.flags
        v.lastFrame = w.lastFrame
        // History: the later part's first occurrences, in order, after this part's. It has no
        // sequence letters (`seqJoinable`); its `^` was the part's own guess at its first packet.
        let skipFlip = w.historyCount > 0 && w.historyCode(0) >> 1 == Vantage.indexFlip ? 1 : 0
        for i in skipFlip..<Int(w.historyCount) {
            let code = w.historyCode(i)
            let fromOrig = (code & 1 == 0) == same
            if code >> 1 == Vantage.indexT {
                v.appendHistory(UInt8(Vantage.indexT << 1 | (fromOrig ? 0 : 1)))
            } else if code >> 1 < Vantage.indexT {
                v.history(Vantage.historyLetters[code >> 1], bit: 1 << UInt16(code >> 1), fromOrig: fromOrig)
            }
        }
        if proto == 6 {
            // Retransmissions: the earlier parts saw none from a side the part saw some from.
            // (the earlier count is 0: the sum cannot overflow)
            v.orig.retransmissions &+= same ? w.orig.retransmissions : w.resp.retransmissions
            v.resp.retransmissions &+= same ? w.resp.retransmissions : w.orig.retransmissions
            FlowAnalyzer.joinSeq(&v.orig, w: same ? w.orig : w.resp,
                                 restarted: log.seqSent & ((v.origIsA ? 1 : 2) << 2) != 0)
            FlowAnalyzer.joinSeq(&v.resp, w: same ? w.resp : w.orig,
                                 restarted: log.seqSent & ((v.origIsA ? 2 : 1) << 2) != 0)
        }
        if proto == 6 {
            // The evidence frames as `Vantage.tcp` records them: the first pure SYN from the
            // client, SYN-ACK from the server, RST from the server, if the earlier parts had none.
            let client = v.origIsA ? 0 : 1, server = 1 - client
            // Frames are 1-based, so firstFrame ≥ 1; an evidence offset is ≤ the part's frames.
            let base = w.firstFrame &- 1
            if v.synFrame == 0, log.evidence(client) != 0 { v.synFrame = base &+ UInt64(log.evidence(client)) }
            if v.synAckFrame == 0, log.evidence(2 + server) != 0 {
                v.synAckFrame = base &+ UInt64(log.evidence(2 + server))
            }
            if v.respRSTFrame == 0, log.evidence(4 + server) != 0 {
                v.respRSTFrame = base &+ UInt64(log.evidence(4 + server))
            }
            for i in 0..<Int(log.count) {
                let c = log.code(i)
                let flags = UInt16(c & 0x07) | (c & 8 != 0 ? TCPFlag.ack : 0)
                let fromOrig = (c & 16 != 0) == v.origIsA
                let payload: UInt32 = c & 32 != 0 ? 1 : 0
                if fromOrig {
                    Vantage.step(&v.orig, &v.resp, isOrig: true, origState: v.orig.state, flags: flags, payload: payload)
                } else {
                    Vantage.step(&v.resp, &v.orig, isOrig: false, origState: v.orig.state, flags: flags, payload: payload)
                }
            }
        }
        if var t = tally {
            if !same {
                // The quoting-originator errors are a part of all errors: cannot underflow.
                t.icmpQuotingOrigPackets = t.icmpPackets &- t.icmpQuotingOrigPackets
                t.icmpQuotingOrigBytes = t.icmpBytes &- t.icmpQuotingOrigBytes
            }
            if v.icmpIndex < 0 {
                v.icmpIndex = addICMPTally(t)
            } else {
                let i = Int(v.icmpIndex)
                icmp[i].icmpPackets &+= t.icmpPackets  // counts: cannot overflow (see `Counters`)
                icmp[i].icmpBytes &+= t.icmpBytes
                icmp[i].icmpQuotingOrigPackets &+= t.icmpQuotingOrigPackets
                icmp[i].icmpQuotingOrigBytes &+= t.icmpQuotingOrigBytes
                icmp[i].mergeDetail(t)
                if icmp[i].unreachableFrame == 0 && t.unreachableFrame != 0 {
                    icmp[i].unreachableFrame = t.unreachableFrame
                    icmp[i].icmpType = t.icmpType
                    icmp[i].icmpCode = t.icmpCode
                    icmp[i].icmpVersion = t.icmpVersion
                }
            }
        }
        table.states[pos].current = v
        if later.firstTs < table.states[pos].firstTs { table.states[pos].firstTs = later.firstTs }
        if later.lastTs > table.states[pos].lastTs { table.states[pos].lastTs = later.lastTs }
    }

    /// Whether a part's flow whose log is `log` starts a new connection on the earlier state `v`: its
    /// first packet (always logged) is a pure SYN and `v`'s connection has closed, or the SYN's
    /// sequence number makes it a new one (`Vantage.isReuse`).
    static func startsConnection(_ log: FlowLog, on v: Vantage) -> Bool {
        guard log.count > 0 else { return false }
        let c = log.code(0)
        guard c & UInt64(TCPFlag.syn) != 0 && c & 8 == 0 else { return false }
        let synSeq = c & 16 != 0 ? log.firstSeq.0 : log.firstSeq.1
        return v.hasClosed || v.isReuse(synSeq: synSeq)
    }

    /// Whether a later part's view of a TCP flow the earlier parts saw (`log`) joins the earlier
    /// state `v` exactly as far as sequence numbers go (see "Sequence letters" at the top).
    static func seqJoinable(_ log: FlowLog, on v: Vantage, key: FlowKey) -> Bool {
        if log.seqEvents & SeqEvent.zeroWindow != 0 { return false }
        // Gaps count only while both sides are established (or closed from there); a side
        // partial, reset or closed otherwise never gets there, so then no gap counts here or in
        // the real state. Otherwise the part cannot tell which of its gaps count.
        func never(_ e: SideCounters) -> Bool {
            e.state == .partial || e.state == .reset || (e.state == .closed && e.prevState != .established)
        }
        let gapsCannotCount = never(v.orig) || never(v.resp)
        if log.seqEvents & SeqEvent.gap != 0 && !gapsCannotCount { return false }
        for sideA in [true, false] {
            let x = sideA == v.origIsA ? v.orig : v.resp
            let bit: UInt8 = sideA ? 1 : 2
            let own = x.seqBits & SeqBits.own != 0
            if log.preAckSet & bit != 0 && own && !gapsCannotCount {
                var a = sideA ? log.preAck.0 : log.preAck.1
                if x.seqBits & SeqBits.fin != 0 && seqDelta(a, x.seqFin) >= 0 { a = x.seqFin &- 1 }
                if seqDelta(a, x.seqContig) > 0 { return false }
            }
            // Retransmissions the part saw from this side are the real ones (the numbers are the
            // same from its first packet on, checked below) and their letters fall where they fell
            // in the part if the earlier parts saw none; after a RST from it they would not be
            // (Zeek trusts no number after one), which the part's own state may not know.
            if log.seqEvents & (sideA ? 1 : 8) != 0 {
                if x.retransmissions != 0 { return false }
                for i in 0..<Int(log.count) {
                    let c = log.code(i)
                    if c & UInt64(TCPFlag.rst) != 0 && (c & 16 != 0) == sideA { return false }
                }
            }
            guard log.seqSent & bit != 0, own else { continue }
            // A SYN after this side's first packet here restarts its numbers or not depending on
            // its state, which the part does not know.
            var syns = 0
            for i in 0..<Int(log.count) {
                let c = log.code(i)
                if c & UInt64(TCPFlag.syn) != 0 && (c & 16 != 0) == sideA { syns += 1 }
            }
            if syns > (log.seqSent & (bit << 2) != 0 ? 1 : 0) { return false }
            // After its RST a side's numbers are not trusted (they stay where they were): the part
            // cannot know that, which matters only for payload (a retransmission) and for gaps,
            // which no longer count once a side is reset.
            if x.state == .reset && log.seqPayload & bit == 0 && log.seqSent & (bit << 2) == 0 { continue }
            if x.state == .reset || x.seqBits & SeqBits.outOfOrder != 0 { return false }
            let first = sideA ? log.firstSeq.0 : log.firstSeq.1
            if log.seqSent & (bit << 2) != 0 {
                // The part's first packet from this side had SYN or RST. A SYN restarts the numbers
                // here as on the real state, except a retransmitted SYN (same number) in SYN-sent,
                // which leaves them: the same only if nothing followed the first SYN.
                switch x.state {
                case .established, .partial: continue
                case .synSent, .synAckSent:
                    if first != x.seqStart { continue }
                    if x.seqLast == first &+ 1 && x.seqContig == first &+ 1 && log.seqPayload & bit == 0 { continue }
                    return false
                default: return false
                }
            }
            if first != x.seqLast { return false }
            let edge = x.seqBits & SeqBits.fin != 0 && x.seqFin == x.seqLast ? x.seqLast &- 1 : x.seqLast
            if x.seqContig != edge { return false }
        }
        return true
    }

    /// One side's sequence state after a later part that joined (`seqJoinable`): the part's
    /// numbers from where it took over, the earlier start and counts.
    static func joinSeq(_ v: inout SideCounters, w: SideCounters, restarted: Bool) {
        if v.state == .reset && v.seqBits & SeqBits.own != 0 { return }  // numbers frozen (`seqJoinable`)
        if w.seqBits & SeqBits.own != 0 {
            // The part's first packet from this side was a SYN (`seqJoinable`): its start is the
            // real one; otherwise the part's start is its guess from a packet mid-stream.
            let start = v.seqBits & SeqBits.own != 0 && !restarted ? v.seqStart : w.seqStart
            let fin = v.seqBits & SeqBits.fin != 0 && w.seqBits & SeqBits.fin == 0
            let earlierFin = v.seqFin
            v.seqLast = w.seqLast
            v.seqContig = w.seqContig
            v.seqHole = w.seqHole
            v.seqFin = fin ? earlierFin : w.seqFin
            v.seqBits = w.seqBits | (fin ? SeqBits.fin : 0)
            v.seqStart = start
        } else if v.seqBits & SeqBits.own == 0 && w.seqBits & SeqBits.set != 0 {
            v.seqStart = w.seqStart
            v.seqLast = w.seqLast
            v.seqContig = w.seqContig
            v.seqBits = w.seqBits
        }
    }

    /// Replays `log` on `v`'s endpoint states as `continueFlow` does.
    static func replay(_ v: inout Vantage, _ log: FlowLog) {
        for i in 0..<Int(log.count) {
            let c = log.code(i)
            let flags = UInt16(c & 0x07) | (c & 8 != 0 ? TCPFlag.ack : 0)
            let payload: UInt32 = c & 32 != 0 ? 1 : 0
            if (c & 16 != 0) == v.origIsA {
                Vantage.step(&v.orig, &v.resp, isOrig: true, origState: v.orig.state, flags: flags, payload: payload)
            } else {
                Vantage.step(&v.resp, &v.orig, isOrig: false, origState: v.orig.state, flags: flags, payload: payload)
            }
        }
    }

    /// Adds a tally to the ICMP side table; its index for `Vantage.icmpIndex`.
    mutating func addICMPTally(_ t: ICMPTally) -> Int32 {
        icmp.append(t)
        return Int32(icmp.count - 1)
    }
}
