import PacketWire

// The packet path: one frame from the mapped bytes to the counters and the flow it belongs to.
extension FlowAnalyzer {

    /// Decodes one frame and accounts for it. `bytes` is only read during the call.
    ///
    /// Transparent: the whole common-frame path lands in the caller's packet loop (the reader's
    /// fields stay in registers, no call per packet). `@inline(__always)` on an `@inlinable`
    /// function was not honoured across modules in `analyze`'s loop (a call per packet remained).
    @_transparent
    public mutating func process(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        processFrame(record, bytes)
    }

    /// The per-packet path in one function. The common frame (`PacketDecoder.fastFrame`) of a flow
    /// already in the table and fed by the same source is counted here from the fields in
    /// registers through `oneFlowFrame`, the accounting `newFlow` uses too, with no summary
    /// written or read and no call. Any other frame goes `ingest`'s way.
    @inlinable @inline(__always)
    mutating func processFrame(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        if let f = PacketDecoder.fastFrameAnyPort(bytes, linkType: record.linkType), !decoder.isVXLAN(f) {
            let vlan = vlanInKey && f.vlanCount != 0
                ? FlowKey.vlanStack(count: 1, vlans: (f.vlan, 0, 0, 0)) : 0
            let (key, fromA) = FlowKey.make(src: f.source, sport: f.sourcePort, dst: f.destination,
                                            dport: f.destinationPort, proto: f.proto, version: f.version,
                                            vlan: vlan, layer: 0)
            let hash = key.hash
            let pos = table.find(key, hash: hash)
            if pos < 0 {
                f.store(into: &summary, complete: false)
                newFlow(key, hash: hash, fromA: fromA, record)
                return
            }
            if table.states[pos].current.source == record.sourceIndex
                && record.sourceIndex == counters.currentSource {
                oneFlowFrame(pos, fromA: fromA, proto: f.proto, payload: f.transportPayloadLength, flags: f.tcpFlags,
                             hasFlags: f.isTCP,
                             seg: TCPSegment(seq: f.tcpSeq, ack: f.tcpAck, window: f.tcpWindow,
                                             complete: record.capturedLength >= record.originalLength),
                             record)
                return
            }
            // A new flow, or a known one from another source: the general way.
            f.store(into: &summary, complete: false)
        } else {
            decoder.decode(bytes, linkType: record.linkType, into: &summary)
        }
        // One call site: the record is copied for it on this path only.
        ingest(record)
    }

    /// The common frame (`processFrame`) of a flow not in the table: `ingest` and `update` for a
    /// frame in one new flow outside any tunnel, with the key, hash and probe already done.
    @usableFromInline @inline(never)
    mutating func newFlow(_ key: FlowKey, hash: UInt64, fromA: Bool, _ record: CaptureRecord) {
        let pos = create(key, hash: hash, fromA: fromA, summary.outer, tunnel: 0, carrier: false, record: record)
        oneFlowFrame(pos, fromA: fromA, proto: summary.outer.proto.rawValue, payload: summary.outer.transportPayloadLength,
                     flags: summary.outer.tcpFlags, hasFlags: summary.outer.hasTCPFlags,
                     seg: TCPSegment(seq: summary.outer.tcpSeq, ack: summary.outer.tcpAck, window: summary.outer.tcpWindow,
                                     complete: record.capturedLength >= record.originalLength),
                     record)
    }

    // MARK: - Accounting: the rules every path shares

    /// A frame in exactly one flow (the one at `pos`), outside any tunnel, from the source being
    /// read: what `ingest` and `update` do for such a frame, the frame's accounting then the flow's.
    /// Transparent, as `countPacket`: with `@inline(__always)` each was called out of line from the
    /// read loop (not honoured across modules; PERFORMANCE.md, issue 12 second half).
    @usableFromInline @_transparent
    mutating func oneFlowFrame(_ pos: Int, fromA: Bool, proto: UInt8, payload: UInt32, flags: UInt16, hasFlags: Bool,
                               seg: TCPSegment, _ record: CaptureRecord) {
        counters.oneFlowFrame(source: record.sourceIndex, wire: record.originalLength, captured: record.capturedLength)
        countPacket(pos, fromA: fromA, proto: proto, payload: payload, flags: flags, hasFlags: hasFlags, seg: seg,
                    record)
    }

    /// Counts one packet in the flow at `pos` (sent by endpoint A when `fromA`) and logs it for a
    /// continuation part: the one update of a flow per packet, whichever path the frame took.
    @usableFromInline @_transparent
    mutating func countPacket(_ pos: Int, fromA: Bool, proto: UInt8, payload: UInt32, flags: UInt16, hasFlags: Bool,
                              seg: TCPSegment, _ record: CaptureRecord) {
        // A SYN on a closed connection, or with another initial sequence number, starts a new one
        // (`Connections.swift`): rare, tested cheaply.
        if _slowPath(FlowAnalyzer.isPureSYN(proto: proto, flags: flags, hasFlags: hasFlags))
            && (table.states[pos].current.hasClosed || logging || table.states[pos].current.isReuse(synSeq: seg.seq)) {
            startConnectionIfClosed(pos, fromA: fromA, synSeq: seg.seq, record)
        }
        // One access to the element: the whole update happens in place.
        let events = table.states[pos].packet(fromA: fromA, proto: proto, payload: payload, flags: flags,
                                              hasFlags: hasFlags, wire: record.originalLength,
                                              frame: record.frameNumber, ts: record.timestampNanos, seg: seg)
        if _slowPath(logging) {
            logPacket(pos, fromA: fromA, proto: proto, flags: flags, hasFlags: hasFlags, payload: payload,
                      frame: record.frameNumber, seg: seg, events: events)
        }
    }

    /// Accounts for one frame already decoded (tests, or callers that decode themselves).
    public mutating func process(_ record: CaptureRecord, summary decoded: PacketSummary) {
        summary = decoded
        ingest(record)
    }

    // MARK: - Per packet

    /// The VLAN tag stack of the frame (all kept tags, outermost first), or 0.
    @inlinable var keyVLAN: UInt64 {
        @inline(__always) get {
        guard vlanInKey, summary.vlanCount > 0 else { return 0 }
        return FlowKey.vlanStack(count: summary.vlanCount, vlans: summary.vlans)
        }
    }

    @usableFromInline mutating func ingest(_ record: CaptureRecord) {
        let wire = record.originalLength
        counters.total.add(wire)
        counters.source(record.sourceIndex, wire)
        let truncated = record.capturedLength < record.originalLength
        if truncated { counters.truncated.add(wire) }

        // Fields are read from `summary` in place: a copy of an 80-byte header per packet shows.
        guard summary.outer.version != 0 else {
            if let stop = summary.stop {
                counters.undecodableFrame(stop, wire)
            } else {
                counters.nonIPFrame(summary.etherType, wire)
            }
            return
        }
        let vlan = keyVLAN
        if _slowPath(summary.outer.isFragment) && summary.tunnelDepth == 0 && summary.outer.fragmentOffset != 0
            && laterFragment(vlan: vlan, record: record) { return }
        let carrier = summary.tunnelDepth > 0
        let tunnelled = carrier && decapsulate
        let tunnel = summary.tunnel.rawValue
        var inFlows = 0

        // The outer (or only) IP header.
        if summary.outer.hasPorts {
            update(inner: false, layer: 0, vlan: vlan, tunnel: 0, carrier: carrier, record: record)
            inFlows += 1
            if _slowPath(summary.outer.isFragment) && !carrier { firstFragment(vlan: vlan, record: record) }
        } else if carrier
                    && (summary.outer.proto == .gre || summary.outer.proto == .ipip || summary.outer.proto == .ipv6) {
            // A GRE / IP-in-IP carrier: a flow between the tunnel endpoints, ports 0.
            update(inner: false, layer: 0, vlan: vlan, tunnel: 0, carrier: true, record: record)
            inFlows += 1
        }
        var matched = false
        if tunnelled {
            if summary.inner.version != 0 {
                if summary.inner.hasPorts {
                    update(inner: true, layer: tunnel, vlan: vlan, tunnel: tunnel, carrier: false, record: record)
                    inFlows += 1
                } else if summary.inner.hasICMP && summary.quoted.version != 0 {
                    matched = matchICMPError(summary.inner, layer: tunnel, vlan: vlan, record: record)
                }
            }
        } else if summary.outer.hasICMP && summary.quoted.version != 0 {
            matched = matchICMPError(summary.outer, layer: 0, vlan: vlan, record: record)
        }

        if inFlows > 0 {
            counters.flows.add(wire)
            // In two flows: carrier and inner flow (or the inner flow an ICMP error quotes).
            if inFlows > 1 || matched { counters.tunnelled.add(wire) }
            if truncated { counters.truncatedInFlows.add(wire) }
        } else if matched {
            counters.icmpMatched.add(wire)
        } else if let stop = summary.stop {
            counters.undecodableFrame(stop, wire)
        } else {
            let h = tunnelled && summary.inner.version != 0 ? summary.inner : summary.outer
            counters.other(h.proto.rawValue, wire)
            if h.isFragment && h.fragmentOffset != 0 { counters.fragments.add(wire) }
            if h.hasICMP && summary.quoted.version != 0 { counters.icmpUnmatched.add(wire) }
        }
        if _slowPath(logging) { notePendingAccounting(record.frameNumber, inFlows: inFlows, tunnelled: tunnelled) }
    }

    /// How an ICMP error of this frame left pending (`matchICMPError`) was counted, so the merge can
    /// move it to the matched counts if an earlier part holds its flow.
    @usableFromInline mutating func notePendingAccounting(_ frame: UInt64, inFlows: Int, tunnelled: Bool) {
        guard let last = pendingICMP.last, last.frame == frame, last.counted == .unset else { return }
        let h = tunnelled && summary.inner.version != 0 ? summary.inner : summary.outer
        let counted: PendingICMP.Counted
        if inFlows > 0 {
            counted = .carrierFlow
        } else if summary.stop != nil || (h.isFragment && h.fragmentOffset != 0) {
            counted = .elsewhere
        } else {
            counted = .otherIP
        }
        pendingICMP[pendingICMP.count - 1].counted = counted
        pendingICMP[pendingICMP.count - 1].proto = h.proto.rawValue
    }

    /// Counts one packet in the flow of the outer or inner header of `summary` (created if new).
    @usableFromInline mutating func update(inner: Bool, layer: UInt8, vlan: UInt64, tunnel: UInt8, carrier: Bool,
                                           record: CaptureRecord) {
        // A copy of the header: this is the general way (new flows, tunnels, other sources); the
        // common frame of a known flow never comes here (`processFrame`).
        let h = inner ? summary.inner : summary.outer
        let (key, fromA) = FlowKey.make(src: h.source, sport: h.sourcePort, dst: h.destination,
                                        dport: h.destinationPort, proto: h.proto.rawValue, version: h.version,
                                        vlan: vlan, layer: layer)
        let hash = key.hash
        var pos = table.find(key, hash: hash)
        if pos < 0 {
            pos = create(key, hash: hash, fromA: fromA, h, tunnel: carrier ? summary.tunnel.rawValue : tunnel,
                         carrier: carrier, record: record)
        } else if table.states[pos].current.source != record.sourceIndex {
            switchSource(pos, key: key, fromA: fromA, h, record: record)
        }
        count(pos, fromA: fromA, h, record)
    }

    /// Counts the packet of header `h` in the flow at `pos`.
    @usableFromInline @inline(__always)
    mutating func count(_ pos: Int, fromA: Bool, _ h: borrowing IPHeaderSummary, _ record: CaptureRecord) {
        countPacket(pos, fromA: fromA, proto: h.proto.rawValue, payload: h.transportPayloadLength, flags: h.tcpFlags,
                    hasFlags: h.hasTCPFlags,
                    seg: TCPSegment(seq: h.tcpSeq, ack: h.tcpAck, window: h.tcpWindow,
                                    complete: record.capturedLength >= record.originalLength),
                    record)
    }

    @usableFromInline mutating func create(_ key: FlowKey, hash: UInt64, fromA: Bool, _ h: IPHeaderSummary,
                                           tunnel: UInt8, carrier: Bool, record: CaptureRecord) -> Int {
        if maxFlows > 0 && table.count >= maxFlows { evictOne() }
        let (origIsA, inferred) = decideOriginator(fromA: fromA, h)
        var v = Vantage(source: record.sourceIndex, origIsA: origIsA, inferred: inferred, frame: record.frameNumber)
        if origIsA != fromA { v.flipped() }
        let state = FlowState(current: v, ts: record.timestampNanos, tunnel: tunnel, carrier: carrier)
        nextSerial &+= 1  // one per flow created: cannot reach 2^64
        if _slowPath(logging) { logs.append(FlowLog()) }
        return table.insert(key, hash: hash, state: state)
    }

    /// Counts an ICMP/ICMPv6 error in the flow it quotes; false when no such flow is known.
    @usableFromInline mutating func matchICMPError(_ h: IPHeaderSummary, layer: UInt8, vlan: UInt64,
                                                   record: CaptureRecord) -> Bool {
        let q = summary.quoted
        if q.partial { return false }   // quote cut before its destination: cannot name a flow
        if q.proto.hasPorts && !q.hasPorts { return false }
        let (key, fromA) = FlowKey.make(src: q.source, sport: q.hasPorts ? q.sourcePort : 0, dst: q.destination,
                                        dport: q.hasPorts ? q.destinationPort : 0, proto: q.proto.rawValue,
                                        version: q.version, vlan: vlan, layer: layer)
        let unreachable = (h.proto == .icmp || h.proto == .icmpv6)
            && icmpErrorBlocks(v6: h.proto == .icmpv6, type: h.icmpType, code: h.icmpCode)
        let hash = key.hash
        let pos = table.find(key, hash: hash)
        if pos < 0 {
            if _slowPath(logging) {
                // An earlier part may hold the flow: the merge matches it there (`ByteSplit.swift`).
                pendingICMP.append(PendingICMP(
                    key: key, fromA: fromA, unreachable: unreachable,
                    type: h.icmpType, code: h.icmpCode, v6: h.proto == .icmpv6, wire: record.originalLength,
                    frame: record.frameNumber, ts: record.timestampNanos, source: record.sourceIndex))
            }
            return false
        }
        if table.states[pos].current.source != record.sourceIndex {
            // Seen by another vantage point only: this source's view starts with the error.
            var quotedHeader = IPHeaderSummary()
            quotedHeader.proto = q.proto
            quotedHeader.hasPorts = q.hasPorts
            quotedHeader.sourcePort = q.sourcePort
            quotedHeader.destinationPort = q.destinationPort
            quotedHeader.source = q.source
            quotedHeader.destination = q.destination
            quotedHeader.version = q.version
            switchSource(pos, key: key, fromA: fromA, quotedHeader, record: record)
        }
        countICMPError(pos, fromA: fromA, unreachable: unreachable, type: h.icmpType, code: h.icmpCode,
                       v6: h.proto == .icmpv6, wire: record.originalLength, frame: record.frameNumber,
                       ts: record.timestampNanos)
        return true
    }

    /// Counts an ICMP error quoting the flow at `pos`: a packet endpoint A sent when `fromA`.
    @usableFromInline mutating func countICMPError(_ pos: Int, fromA: Bool, unreachable: Bool, type: UInt8,
                                                   code: UInt8, v6: Bool, wire: UInt32, frame: UInt64, ts: Int64) {
        if ts > table.states[pos].lastTs { table.states[pos].lastTs = ts }
        var i = Int(table.states[pos].current.icmpIndex)
        if i < 0 {
            i = icmp.count
            icmp.append(ICMPTally())
            table.states[pos].current.icmpIndex = Int32(i)
        }
        // Packet and byte counts: cannot overflow (see `Counters`).
        icmp[i].icmpPackets &+= 1
        icmp[i].icmpBytes &+= UInt64(wire)
        if fromA == table.states[pos].current.origIsA {
            icmp[i].icmpQuotingOrigPackets &+= 1
            icmp[i].icmpQuotingOrigBytes &+= UInt64(wire)
        }
        icmp[i].addKind(type: type, code: code, count: 1, frame: frame)
        if unreachable && icmp[i].unreachableFrame == 0 {
            icmp[i].unreachableFrame = frame
            icmp[i].icmpType = type
            icmp[i].icmpCode = code
            icmp[i].icmpVersion = v6 ? 6 : 4
        }
    }
}
