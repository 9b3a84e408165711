import PacketWire

// Several sources (files, vantage points): which source's view of a flow is reported.
extension FlowAnalyzer {
    /// The sources that saw a flow (bit s = source s; bit 63 also stands for every source ≥ 63).
    func sources(of s: FlowState) -> UInt64 {
        s.best < 0 ? sourceBit(s.current.source) : finishedSources[Int(s.best)]
    }

    /// Where a flow began (`FlowState.origin`): its creation order.
    func origin(key: FlowKey, state s: FlowState) -> UInt64 {
        s.best < 0 ? FlowState.origin(source: s.current.source, frame: s.current.firstFrame, inner: key.layer != 0)
            : finishedOrigin[Int(s.best)]
    }

    /// The ICMP errors of a vantage.
    func icmp(of v: Vantage) -> ICMPTally { v.icmpIndex < 0 ? noICMPTally : icmp[Int(v.icmpIndex)] }

    /// A packet of a known flow from a new source: keep the better of the finished vantages and
    /// start a fresh one for this source.
    @usableFromInline mutating func switchSource(_ pos: Int, key: FlowKey, fromA: Bool, _ h: IPHeaderSummary,
                                                 record: CaptureRecord) {
        if table.states[pos].chained { rewindToFirstConnection(pos) }
        finishVantage(at: pos, key: key)
        let (origIsA, inferred) = decideOriginator(fromA: fromA, h)
        table.states[pos].current = Vantage(source: record.sourceIndex, origIsA: origIsA, inferred: inferred,
                                           frame: record.frameNumber)
        if origIsA != fromA { table.states[pos].current.flipped() }
        finishedSources[Int(table.states[pos].best)] |= sourceBit(record.sourceIndex)
    }

    /// Keeps the flow's current vantage (its source is done with the flow) if it is the best so far.
    @usableFromInline mutating func finishVantage(at pos: Int, key: FlowKey) {
        let cur = table.states[pos].current
        let b = Int(table.states[pos].best)
        if b < 0 {
            finished.append(cur)
            finishedSources.append(sourceBit(cur.source))
            finishedOrigin.append(FlowState.origin(source: cur.source, frame: cur.firstFrame, inner: key.layer != 0))
            table.states[pos].best = Int32(finished.count - 1)
        } else if cur.packets > finished[b].packets {
            finished[b] = cur
        }
    }

    /// The vantage whose counts a flow reports: the one with the most packets (ties: the earlier source).
    func representative(_ s: FlowState) -> Vantage {
        guard s.best >= 0 else { return s.current }
        let b = finished[Int(s.best)]
        return s.current.packets > b.packets ? s.current : b
    }
}
