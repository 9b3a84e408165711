import PacketWire

/// How a run is set up: the catalog and inventory that classify flows, and table policy.
public struct AnalyzerConfiguration: Sendable {
    /// The active catalogs, compiled.
    public var classifier: any PortClassifying
    /// Addresses → roles, and the cluster's networks. Empty: roles unknown.
    public var roles: any RoleResolving
    /// Put the VLAN tag stack in the flow key (`--no-vlan-key` turns it off): the same 5-tuple on
    /// VLAN 100 and on QinQ 300/100 is two flows.
    public var vlanInKey: Bool
    /// Live: a flow idle this long is expired. nil: never (offline).
    public var idleTimeoutNanos: Int64?
    /// Live: a TCP flow closed (both FINs, or a RST) and quiet this long is expired.
    public var closedLingerNanos: Int64
    /// Live bound on the table; at the bound the least recently seen of a few sampled flows is
    /// evicted (counted, and handed out by `expire`). 0: unbounded.
    public var maxFlows: Int
    /// Initial table capacity (grows by rehashing).
    public var initialCapacity: Int
    /// Analyse the flows inside tunnels (VXLAN, Geneve, GRE, IP-in-IP). Off: only the frame's
    /// outer headers make flows (the carrier view).
    public var tunnels: Bool = true

    public init(classifier: any PortClassifying = StaticCatalog.empty, roles: any RoleResolving = StaticInventory(),
                vlanInKey: Bool = true, idleTimeoutNanos: Int64? = nil, closedLingerNanos: Int64 = 5_000_000_000,
                maxFlows: Int = 0, initialCapacity: Int = 4096) {
        self.classifier = classifier
        self.roles = roles
        self.vlanInKey = vlanInKey
        self.idleTimeoutNanos = idleTimeoutNanos
        self.closedLingerNanos = closedLingerNanos
        self.maxFlows = maxFlows
        self.initialCapacity = initialCapacity
    }

    /// Decoder options for this catalog: VXLAN on 4789 and on every overlay UDP port.
    public var decoderOptions: DecoderOptions {
        var ports: [UInt16] = [4789]
        for p in classifier.overlayPorts where !ports.contains(p) { ports.append(p) }
        return DecoderOptions(vxlanPorts: ports)
    }
}

/// Groups packets into flows and keeps, per flow, Zeek-style state, per-direction counters and
/// evidence; classifies flows against the catalog when a snapshot or an expiry asks.
///
/// A value type. The per-packet path (`process`) decodes into a reused summary, probes the flow
/// table once (twice for a tunnelled packet: carrier and inner flow), and updates plain values;
/// it allocates only when a flow is created (or the table grows).
///
/// Keys: the canonical 5-tuple plus IP version, the innermost VLAN id (unless `vlanInKey` is off)
/// and the layer (a flow inside a tunnel never merges with a flow on the wire). A tunnelled frame
/// counts in its carrier flow and in its inner flow; the accounting counts it once. An ICMP error
/// is counted in the flow it quotes (on the side it answers for), never as a flow of its own.
/// Non-first fragments carry no ports: they are counted as other IP, not in a flow.
///
/// Several sources (files, vantage points) are fed one after another, each with its own
/// `sourceIndex`. A flow seen by several sources is one flow listing them all; its counts, state,
/// history and evidence come from the single source that saw the most packets of it (no sum:
/// two vantage points on one path see the same packets).
public struct FlowAnalyzer: Sendable {
    public let configuration: AnalyzerConfiguration
    @usableFromInline let decoder: PacketDecoder
    @usableFromInline var summary = PacketSummary()
    @usableFromInline var table: FlowTable
    @usableFromInline var counters = Counters()
    /// Multi-source side table, at `FlowState.best`: per flow seen by several sources, the best
    /// vantage of the sources already finished, the sources that saw it, and its origin.
    @usableFromInline var finished: [Vantage] = []
    @usableFromInline var finishedSources: [UInt64] = []
    @usableFromInline var finishedOrigin: [UInt64] = []
    /// ICMP errors side table, at `Vantage.icmpIndex`.
    @usableFromInline var icmp: [ICMPTally] = []
    @usableFromInline var nextSerial: UInt64 = 0
    @usableFromInline let vlanInKey: Bool
    @usableFromInline let maxFlows: Int
    @usableFromInline let decapsulate: Bool
    /// `configuration.roles.isUnknown`, read once (per flow through the existential it showed).
    let rolesUnknown: Bool
    var sourceNames: [String] = []
    var sourceErrors: [UInt32: String] = [:]
    var evicted: [FlowRecord] = []
    /// A part after the first of a byte-range split (`ByteSplit.swift`): log, per flow, what the
    /// merge needs to replay on the flow's earlier state, and keep the ICMP errors that found no flow.
    @usableFromInline var logging = false
    @usableFromInline var logs: [FlowLog] = []
    @usableFromInline var pendingICMP: [PendingICMP] = []

    public init(configuration: AnalyzerConfiguration) {
        self.configuration = configuration
        self.decoder = PacketDecoder(options: configuration.decoderOptions)
        self.table = FlowTable(initialCapacity: max(16, configuration.initialCapacity))
        self.vlanInKey = configuration.vlanInKey
        self.maxFlows = configuration.maxFlows
        self.decapsulate = configuration.tunnels
        self.rolesUnknown = configuration.roles.isUnknown
    }

    /// Registers a source (file path or "live:eth0"); its index goes into `CaptureRecord.sourceIndex`.
    public mutating func addSource(name: String) -> UInt32 {
        sourceNames.append(name)
        return UInt32(sourceNames.count - 1)
    }

    /// The registered sources' names, by source index.
    public var sources: [String] { sourceNames }

    /// Reserves room for the flows of a capture of `bytes` bytes (one flow per 1 KiB, at most 4 M):
    /// the table's dense arrays then rarely grow, and a growth copies every flow. Only the
    /// address space is reserved; pages are touched as flows arrive.
    public mutating func reserveFlows(forCaptureBytes bytes: Int) {
        table.reserve(min(bytes / 1024, 4 << 20))
    }

    /// Records why a source stopped early (damaged file); reports print it.
    public mutating func noteSourceError(_ sourceIndex: UInt32, _ message: String) {
        sourceErrors[sourceIndex] = message
    }

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
    func icmp(of v: Vantage) -> ICMPTally { v.icmpIndex < 0 ? ICMPTally() : icmp[Int(v.icmpIndex)] }

    /// Number of flows in the table.
    public var flowCount: Int { table.count }

    /// Decodes one frame and accounts for it. `bytes` is only read during the call.
    ///
    /// Transparent: the whole common-frame path lands in the caller's packet loop (the reader's
    /// fields stay in registers, no call per packet). `@inline(__always)` on an `@inlinable`
    /// function was not honoured across modules in `analyze`'s loop (measured: a call per packet).
    @_transparent
    public mutating func process(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        processFrame(record, bytes)
    }

    /// The per-packet path in one function. The common frame (`PacketDecoder.fastFrame`) of a flow
    /// already in the table and fed by the same source is counted here from the fields in
    /// registers: the same counters and the same `FlowState.packet` as `ingest` and `update`, with
    /// no summary written or read and no call. Any other frame goes `ingest`'s way.
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
                // `ingest` for a frame in one flow, outside any tunnel.
                let wire = record.originalLength
                counters.oneFlowFrame(source: record.sourceIndex, wire: wire, captured: record.capturedLength)
                table.states[pos].packet(fromA: fromA, proto: f.proto, payload: f.transportPayloadLength,
                                         flags: f.tcpFlags, hasFlags: f.isTCP, wire: wire, frame: record.frameNumber,
                                         ts: record.timestampNanos)
                if _slowPath(logging) {
                    logPacket(pos, fromA: fromA, proto: f.proto, flags: f.tcpFlags, hasFlags: f.isTCP,
                              payload: f.transportPayloadLength, frame: record.frameNumber)
                }
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
        counters.oneFlowFrame(source: record.sourceIndex, wire: record.originalLength, captured: record.capturedLength)
        let pos = create(key, hash: hash, fromA: fromA, summary.outer, tunnel: 0, carrier: false, record: record)
        count(pos, fromA: fromA, summary.outer, record)
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
        let carrier = summary.tunnelDepth > 0
        let tunnelled = carrier && decapsulate
        let tunnel = summary.tunnel.rawValue
        var inFlows = 0

        // The outer (or only) IP header.
        if summary.outer.hasPorts {
            update(inner: false, layer: 0, vlan: vlan, tunnel: 0, carrier: carrier, record: record)
            inFlows += 1
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

    /// Counts the packet of header `h` in the flow at `pos` (and logs it for a continuation part).
    @usableFromInline @inline(__always)
    mutating func count(_ pos: Int, fromA: Bool, _ h: borrowing IPHeaderSummary, _ record: CaptureRecord) {
        // One access to the element: the whole update happens in place.
        table.states[pos].packet(fromA: fromA, proto: h.proto.rawValue, payload: h.transportPayloadLength,
                                 flags: h.tcpFlags, hasFlags: h.hasTCPFlags, wire: record.originalLength,
                                 frame: record.frameNumber, ts: record.timestampNanos)
        if _slowPath(logging) {
            logPacket(pos, fromA: fromA, proto: h.proto.rawValue, flags: h.tcpFlags, hasFlags: h.hasTCPFlags,
                      payload: h.transportPayloadLength, frame: record.frameNumber)
        }
    }

    @usableFromInline mutating func create(_ key: FlowKey, hash: UInt64, fromA: Bool, _ h: IPHeaderSummary,
                                           tunnel: UInt8, carrier: Bool, record: CaptureRecord) -> Int {
        if maxFlows > 0 && table.count >= maxFlows { evictOne() }
        let (origIsA, inferred) = decideOriginator(fromA: fromA, h)
        let v = Vantage(source: record.sourceIndex, origIsA: origIsA, inferred: inferred, frame: record.frameNumber)
        let state = FlowState(current: v, ts: record.timestampNanos, tunnel: tunnel, carrier: carrier)
        nextSerial &+= 1
        if _slowPath(logging) { logs.append(FlowLog()) }
        return table.insert(key, hash: hash, state: state)
    }

    /// A packet of a known flow from a new source: keep the better of the finished vantages and
    /// start a fresh one for this source.
    @usableFromInline mutating func switchSource(_ pos: Int, key: FlowKey, fromA: Bool, _ h: IPHeaderSummary,
                                                 record: CaptureRecord) {
        finishVantage(at: pos, key: key)
        let (origIsA, inferred) = decideOriginator(fromA: fromA, h)
        table.states[pos].current = Vantage(source: record.sourceIndex, origIsA: origIsA, inferred: inferred,
                                           frame: record.frameNumber)
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

    /// Who is the client, from the first packet a vantage sees of a flow. A TCP SYN names its
    /// sender, a SYN-ACK its receiver (observed). Otherwise (mid-stream TCP) the server is the side
    /// whose port the catalog lists (for that host's role when an inventory is given), then the
    /// well-known (< 1024) port, then the lower port (inferred). UDP and other datagram protocols:
    /// the first sender is the client (observed) unless only the sender's port is a likely server
    /// port (catalog or well-known), as for a reply seen without its request (inferred).
    @usableFromInline func decideOriginator(fromA: Bool, _ h: IPHeaderSummary) -> (origIsA: Bool, inferred: Bool) {
        if h.proto == .tcp && h.hasTCPFlags && h.tcpFlags & TCPFlag.syn != 0 && h.tcpFlags & TCPFlag.rst == 0 {
            let senderIsClient = h.tcpFlags & TCPFlag.ack == 0
            return (senderIsClient == fromA, false)
        }
        guard h.hasPorts else { return (fromA, false) }
        let src = serverScore(h.proto, h.sourcePort, h.source, h.version)
        let dst = serverScore(h.proto, h.destinationPort, h.destination, h.version)
        if h.proto == .tcp {
            let serverIsSource: Bool
            if src != dst {
                serverIsSource = src > dst
            } else {
                serverIsSource = h.sourcePort < h.destinationPort
            }
            return (serverIsSource != fromA, true)
        }
        // Datagram protocols: flip only on a clear hint.
        if src > 0 && dst == 0 { return (!fromA, true) }
        return (fromA, false)
    }

    /// 3: the catalog lists the port for this host's role; 2: the catalog lists the port;
    /// 1: well-known port (< 1024); 0: none of these.
    @usableFromInline func serverScore(_ proto: IPProtocol, _ port: UInt16, _ addr: IPAddress, _ version: UInt8) -> Int {
        // The existentials are used in place (a local `let c = configuration.classifier` copied
        // and destroyed the box per new flow), and the candidates are visited without an array.
        if configuration.classifier.hasCandidates(proto, port) {
            if !rolesUnknown {
                let bits = configuration.roles.roleBits(of: addr, version: version)
                if bits != 0 {
                    var listed = false
                    let infos = configuration.classifier.entryInfos
                    configuration.classifier.forEachCandidate(proto, port) { id in
                        if !listed && infos[Int(id)].roleBits & bits != 0 && infos[Int(id)].scope != .outbound {
                            listed = true
                        }
                    }
                    if listed { return 3 }
                }
            }
            return 2
        }
        return port < 1024 ? 1 : 0
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
        let unreachable = (h.version == 4 && h.proto == .icmp && h.icmpType == 3)
            || (h.proto == .icmpv6 && h.icmpType == 1)
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
        icmp[i].icmpPackets &+= 1
        icmp[i].icmpBytes &+= UInt64(wire)
        if fromA == table.states[pos].current.origIsA {
            icmp[i].icmpQuotingOrigPackets &+= 1
            icmp[i].icmpQuotingOrigBytes &+= UInt64(wire)
        }
        if unreachable && icmp[i].unreachableFrame == 0 {
            icmp[i].unreachableFrame = frame
            icmp[i].icmpType = type
            icmp[i].icmpCode = code
            icmp[i].icmpVersion = v6 ? 6 : 4
        }
    }

    // MARK: - Live: expiry and eviction

    /// Removes and returns flows idle longer than `idleTimeoutNanos`, TCP flows closed (both FINs
    /// or a RST) and quiet for `closedLingerNanos`, and flows evicted since the last call.
    public mutating func expire(nowNanos: Int64) -> [FlowRecord] {
        var out = evicted
        evicted = []
        let idle = configuration.idleTimeoutNanos
        let linger = configuration.closedLingerNanos
        var pos = table.count - 1
        while pos >= 0 {
            let s = table.states[pos]
            let quiet = nowNanos &- s.lastTs
            var done = false
            if let idle, quiet >= idle { done = true }
            if !done && table.keys[pos].proto == 6 && quiet >= linger {
                let v = s.current
                done = (v.orig.state == .closed && v.resp.state == .closed) || v.orig.state == .reset
                    || v.resp.state == .reset
            }
            if done {
                out.append(record(key: table.keys[pos], state: s))
                if s.best >= 0 { finished[Int(s.best)] = Vantage(source: 0, origIsA: true, inferred: false, frame: 0) }
                table.remove(at: pos)
            }
            pos -= 1
        }
        return out
    }

    /// At `maxFlows`: evict the least recently seen of up to 8 sampled flows.
    mutating func evictOne() {
        guard table.count > 0 else { return }
        var x = nextSerial &* 0x9E37_79B9_7F4A_7C15
        var victim = -1
        var oldest = Int64.max
        for _ in 0..<min(8, table.count) {
            x ^= x >> 31
            x = x &* 0xBF58_476D_1CE4_E5B9
            let p = Int(x % UInt64(table.count))
            if table.states[p].lastTs < oldest {
                oldest = table.states[p].lastTs
                victim = p
            }
        }
        evicted.append(record(key: table.keys[victim], state: table.states[victim]))
        table.remove(at: victim)
        counters.evictedFlows &+= 1
    }

    // MARK: - Snapshot

    /// Every flow classified, the accounting, coverage per inventory host and outbound status.
    public func snapshot() -> AnalysisSnapshot {
        snapshot(includeFlows: true)
    }

    /// The snapshot without building every flow record when `includeFlows` is false (then `flows`,
    /// `hosts` and `outbound` are empty): for callers that stream the flows with `forEachFlow`.
    public func snapshot(includeFlows: Bool) -> AnalysisSnapshot {
        let flows = includeFlows ? flowRecords() : []
        var sources: [SourceInfo] = []
        for (i, name) in sourceNames.enumerated() {
            let t = counters.sourceTally(i)
            sources.append(SourceInfo(name: name, packets: t.packets, bytes: t.bytes, error: sourceErrors[UInt32(i)]))
        }
        let roles = configuration.roles
        return AnalysisSnapshot(
            sources: sources, flows: flows, accounting: counters.accounting(), inventoryKnown: !roles.isUnknown,
            hosts: includeFlows ? coverage(flows) : [], outbound: includeFlows ? outboundStatus(flows) : [],
            vlanInKey: vlanInKey)
    }

    /// Streams every flow, classified and in creation order, to `visit`, and returns the snapshot
    /// without `flows` but with `hosts` and `outbound` computed from them: reports of millions of
    /// flows (JSON Lines, CSV, the table's summary) never hold every record at once.
    public func snapshot(streaming visit: (FlowRecord) throws -> Void) rethrows -> AnalysisSnapshot {
        try snapshot(streamingSummaries: { _, record in try visit(record()) })
    }

    /// Streams every flow in creation order as a summary (plain values, no string or array made)
    /// and a function that builds its full record, for reports that count most flows and print
    /// few (the table); returns the snapshot as `snapshot(streaming:)` does.
    public func snapshot(streamingSummaries visit: (FlowSummary, () -> FlowRecord) throws -> Void) rethrows
        -> AnalysisSnapshot {
        var acc = CoverageAccumulator(outbound: configuration.classifier.entryInfos.filter { $0.scope == .outbound })
        let roles = configuration.roles
        let rolesKnown = !roles.isUnknown
        var memo = CandidateMemo(enabled: true)
        try forEachPosition { pos in
            let key = table.keys[pos]
            let s = table.states[pos]
            let v = representative(s)
            let clientBits = rolesKnown ? roles.roleBits(of: v.origIsA ? key.a : key.b, version: key.version) : 0
            let serverBits = rolesKnown ? roles.roleBits(of: v.origIsA ? key.b : key.a, version: key.version) : 0
            let (f, d) = summary(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits,
                                 memo: &memo)
            // Closures passed straight as arguments: non-escaping, no context allocated.
            if rolesKnown {
                acc.add(f) {
                    record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
                }
            }
            try visit(f) {
                record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
            }
        }
        var s = snapshot(includeFlows: false)
        s.hosts = coverage(acc)
        s.outbound = outboundStatus(acc)
        return s
    }

    /// Every flow, classified, in creation order.
    public func flowRecords() -> [FlowRecord] {
        var out: [FlowRecord] = []
        out.reserveCapacity(table.count)
        forEachFlow { out.append($0) }
        return out
    }

    /// Calls `body` with each flow, classified, in creation order, one record at a time (a JSON
    /// Lines or CSV writer never holds millions of records at once).
    public func forEachFlow(_ body: (FlowRecord) throws -> Void) rethrows {
        try forEachPosition { try body(record(key: table.keys[$0], state: table.states[$0])) }
    }

    /// Dense positions in creation order: the dense order itself unless a flow was removed (live).
    func forEachPosition(_ body: (Int) throws -> Void) rethrows {
        if !table.reordered {
            for i in table.keys.indices { try body(i) }
            return
        }
        var order = Array(table.keys.indices)
        let origins = order.map { origin(key: table.keys[$0], state: table.states[$0]) }
        order.sort { origins[$0] < origins[$1] }
        for i in order { try body(i) }
    }
}
