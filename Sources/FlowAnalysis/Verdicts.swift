import PacketWire

// Verdict rules (DESIGN.md "Verdicts"), decided when a snapshot or an expiry asks, never per packet:
//
// Rule verdict, exactly one per TCP/UDP flow, from the server port and the inventory:
// - the server is a listed destination of an outbound entry on that port (Mission Control) → expected;
// - no entry lists (protocol, server port) → unexpected-port (also every non-TCP/UDP flow: SCTP,
//   GRE and IP-in-IP carriers — no catalog describes them);
// - roles unknown (no inventory, or a server the inventory does not list) → expected, component =
//   the most specific candidate, `candidates` = every component when several list the port;
// - an entry serves one of the server's roles → expected, or outside-to-internal when that entry
//   is cluster-scoped and the client is outside the cluster;
// - otherwise → wrong-role, component = the most specific candidate (what the port would be).
// Blocked verdicts, added to it:
// - blocked-drop, TCP: the client's SYN was seen, the server sent nothing, no ICMP error quoted
//   the flow, and the client sent no ACK/data (a one-sided capture of a working connection shows
//   the client's ACKs). Confidence high.
// - blocked-drop, UDP (and other datagram protocols): the client sent, the server never did, no
//   ICMP error, the server is not a multicast/broadcast address, and the flow is not a tunnel
//   carrier (VXLAN/Geneve carriers are often one-way). Confidence low: a datagram service may not
//   answer at all.
// - blocked-rst: the client's SYN was answered by the server's RST without a SYN-ACK (Zeek REJ).
// - blocked-icmp: an ICMP/ICMPv6 destination unreachable quoting the flow (the note names the code).
// The primary verdict is the first in `Verdict.allCases` order: blocked-drop, blocked-rst,
// blocked-icmp, outside-to-internal, wrong-role, unexpected-port, expected.

/// Why the rule verdict of a flow was reached: the note its evidence prints.
@usableFromInline
enum RuleNote: UInt8, Sendable {
    case outboundDestination, noCatalogPort, rolesUnknown, serverNotInInventory, clusterOnlyFromOutside, none,
         servedBy, noCatalogProtocol
}

/// A flow's verdicts as plain values: decided without a string or an array, so reports that only
/// count flows (the table) never format the flows they do not print. `record` turns it into
/// evidence with frames and notes.
@usableFromInline
struct Decision: Sendable {
    /// Bit `Verdict.rank` for each verdict that applies.
    var bits: UInt8 = 0
    var rule: RuleNote = .none
    /// The entry naming the flow's component (-1: none).
    var componentID: Int32 = -1
    /// The entry the flow exercised (-1: none, or wrong-role).
    var entryID: Int32 = -1
    /// 1: list the candidates when several components list the port; 2: list them always.
    var listCandidates: UInt8 = 0

    mutating func add(_ v: Verdict) { bits |= 1 << UInt8(v.rank) }
    var primary: Verdict { bits == 0 ? .expected : Verdict(rank: bits.trailingZeroBitCount) }
}

/// A flow as reports that aggregate need it (the table's components and verdict counts, host
/// coverage): plain values, made without strings or arrays. The full `FlowRecord` is built only
/// for the flows a report prints.
public struct FlowSummary: Sendable {
    public var proto: IPProtocol
    public var ipVersion: UInt8
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    /// The entry whose component the flow is attributed to (`FlowRecord.component`), -1 for none.
    public var componentID: Int32
    /// `FlowRecord.entryID`: the entry the flow exercised (-1: none, or wrong-role).
    public var entryID: Int32
    /// The primary verdict.
    public var verdict: Verdict
    /// Bit `Verdict.rank` for each verdict of the flow (`FlowRecord.verdicts`).
    public var verdictBits: UInt8
    /// `clientPackets + serverPackets` and `clientBytes + serverBytes` of the record.
    public var packets: UInt64
    public var bytes: UInt64

    public func has(_ v: Verdict) -> Bool { verdictBits & (1 << UInt8(v.rank)) != 0 }
}

extension Verdict {
    /// The verdict of precedence `rank` (`allCases` builds an array on every call).
    @inlinable public init(rank: Int) {
        switch rank {
        case 0: self = .blockedDrop
        case 1: self = .blockedRST
        case 2: self = .blockedICMP
        case 3: self = .outsideToInternal
        case 4: self = .wrongRole
        case 5: self = .unexpectedPort
        default: self = .expected
        }
    }

    /// The bit set of `verdicts` (bit `rank` each), as `FlowSummary.verdictBits`.
    public static func bits<S: Sequence>(_ verdicts: S) -> UInt8 where S.Element == Verdict {
        var b: UInt8 = 0
        for v in verdicts { b |= 1 << UInt8(v.rank) }
        return b
    }
}

/// Shared one-element `sources` lists: a flow seen by one source costs no allocation.
let singleSourceLists: [[UInt32]] = (0..<64).map { [UInt32($0)] }

extension FlowAnalyzer {
    /// The vantage whose counts a flow reports: the one with the most packets (ties: the earlier source).
    func representative(_ s: FlowState) -> Vantage {
        guard s.best >= 0 else { return s.current }
        let b = finished[Int(s.best)]
        return s.current.packets > b.packets ? s.current : b
    }

    /// Builds the report value of a flow and classifies it.
    func record(key: FlowKey, state s: FlowState) -> FlowRecord {
        let v = representative(s)
        let client = v.origIsA ? key.a : key.b
        let server = v.origIsA ? key.b : key.a
        let roles = configuration.roles
        let clientBits = roles.roleBits(of: client, version: key.version)
        let serverBits = roles.roleBits(of: server, version: key.version)
        var memo = CandidateMemo(enabled: false)
        let d = decide(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits, memo: &memo)
        return record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
    }

    /// The summary of a flow and its decision, with no string and no array made.
    func summary(key: FlowKey, state s: FlowState, vantage v: Vantage, clientBits: UInt64,
                 serverBits: UInt64, memo: inout CandidateMemo) -> (FlowSummary, Decision) {
        let d = decide(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits, memo: &memo)
        let ic = icmp(of: v)
        let f = FlowSummary(
            proto: IPProtocol(key.proto), ipVersion: key.version, client: v.origIsA ? key.a : key.b,
            clientPort: v.origIsA ? key.aPort : key.bPort, server: v.origIsA ? key.b : key.a,
            serverPort: v.origIsA ? key.bPort : key.aPort, componentID: d.componentID, entryID: d.entryID,
            verdict: d.primary, verdictBits: d.bits, packets: v.orig.packets &+ v.resp.packets &+ ic.icmpPackets,
            bytes: v.orig.bytes &+ v.resp.bytes &+ ic.icmpBytes)
        return (f, d)
    }

    func record(key: FlowKey, state s: FlowState, vantage v: Vantage, decision d: Decision, clientBits: UInt64,
                serverBits: UInt64) -> FlowRecord {
        let client = v.origIsA ? key.a : key.b
        let server = v.origIsA ? key.b : key.a
        let clientPort = v.origIsA ? key.aPort : key.bPort
        let serverPort = v.origIsA ? key.bPort : key.aPort
        let proto = IPProtocol(key.proto)
        let version = key.version
        let roles = configuration.roles
        let roleNames = configuration.classifier.roleNameList
        let ic = icmp(of: v)

        let sources: [UInt32]
        let bits = self.sources(of: s)
        if bits & (bits &- 1) == 0 {
            sources = singleSourceLists[bits.trailingZeroBitCount & 63]
        } else {
            var list: [UInt32] = []
            for i in 0..<64 where bits & (1 << UInt64(i)) != 0 { list.append(UInt32(i)) }
            sources = list
        }
        let vlans = key.vlan == 0 ? [] : FlowKey.vlanIDs(key.vlan)

        var r = FlowRecord(
            proto: proto, ipVersion: version, client: client, clientPort: clientPort, server: server,
            serverPort: serverPort, clientName: roles.name(of: client, version: version),
            serverName: roles.name(of: server, version: version),
            clientRoles: names(clientBits, roleNames), serverRoles: names(serverBits, roleNames),
            vlan: vlans.last ?? 0, vlans: vlans, tunnel: s.carrier ? .none : TunnelKind(rawValue: s.tunnel),
            carries: s.carrier ? TunnelKind(rawValue: s.tunnel) : .none,
            component: nil, catalogID: nil, entryID: -1, candidates: [], verdict: .expected, verdicts: [],
            evidence: [], state: v.connState(proto: key.proto), history: v.historyString,
            direction: v.inferred ? .inferred : .observed,
            clientPackets: v.orig.packets &+ (ic.icmpPackets &- ic.icmpQuotingOrigPackets),
            serverPackets: v.resp.packets &+ ic.icmpQuotingOrigPackets,
            clientBytes: v.orig.bytes &+ (ic.icmpBytes &- ic.icmpQuotingOrigBytes),
            serverBytes: v.resp.bytes &+ ic.icmpQuotingOrigBytes, clientPayloadBytes: v.orig.payload, serverPayloadBytes: v.resp.payload,
            clientTCPFlags: v.orig.flags, serverTCPFlags: v.resp.flags, icmpErrors: ic.icmpPackets,
            icmpErrorBytes: ic.icmpBytes, icmpType: ic.icmpType, icmpCode: ic.icmpCode,
            firstTimestamp: s.firstTs, lastTimestamp: s.lastTs, firstFrame: v.firstFrame,
            evidenceSource: v.source, sources: sources)
        describe(&r, vantage: v, decision: d)
        return r
    }

    func names(_ bits: UInt64, _ roleNames: [String]) -> [String] {
        if bits == 0 { return [] }
        var out: [String] = []
        for (i, n) in roleNames.enumerated() where i < 64 && bits & (1 << UInt64(i)) != 0 { out.append(n) }
        return out
    }

    /// Verdicts (DESIGN.md): the rule verdict from the catalog and the inventory, plus every
    /// blocked verdict the packets show; the primary one is the first in precedence order.
    func decide(key: FlowKey, state s: FlowState, vantage v: Vantage, clientBits: UInt64,
                serverBits: UInt64, memo: inout CandidateMemo) -> Decision {
        // The existentials are used in place: a local copy retains and releases every array they hold, per flow.
        let proto = IPProtocol(key.proto)
        let server = v.origIsA ? key.b : key.a
        let serverPort = v.origIsA ? key.bPort : key.aPort
        let ic = icmp(of: v)
        var d = Decision()

        // Rule verdict.
        if key.proto == 6 || key.proto == 17 {
            var outbound: Int32 = -1, firstServing: Int32 = -1, forRole: Int32 = -1
            if !memo.lookup(key.proto, serverPort, serverBits, &firstServing, &forRole) {
                let infos = configuration.classifier.entryInfos
                var anyOutbound = false
                configuration.classifier.forEachCandidate(proto, serverPort) { id in
                    if infos[Int(id)].scope == .outbound {
                        anyOutbound = true
                        if outbound < 0 && infos[Int(id)].hasDestination(server, version: key.version) { outbound = id }
                    } else {
                        if firstServing < 0 { firstServing = id }
                        if forRole < 0 && infos[Int(id)].roleBits & serverBits != 0 { forRole = id }
                    }
                }
                // An outbound entry depends on the server address too: never remembered.
                if !anyOutbound { memo.store(key.proto, serverPort, serverBits, firstServing, forRole) }
            }
            if outbound >= 0 {
                d.componentID = outbound
                d.entryID = outbound
                d.add(.expected)
                d.rule = .outboundDestination
            } else if firstServing < 0 {
                d.add(.unexpectedPort)
                d.rule = .noCatalogPort
            } else if rolesUnknown || serverBits == 0 {
                // Roles unknown for this server: the most specific entry, and every candidate when
                // several components list the port.
                d.componentID = firstServing
                d.entryID = firstServing
                d.listCandidates = 1
                d.add(.expected)
                d.rule = rolesUnknown ? .rolesUnknown : .serverNotInInventory
            } else if forRole >= 0 {
                d.componentID = forRole
                d.entryID = forRole
                let client = v.origIsA ? key.a : key.b
                if configuration.classifier.entryInfos[Int(forRole)].scope == .cluster
                    && !configuration.roles.inCluster(client, version: key.version) {
                    d.add(.outsideToInternal)
                    d.rule = .clusterOnlyFromOutside
                } else {
                    d.add(.expected)
                    d.rule = .none
                }
            } else {
                // Listed, but not for this host's roles: name what the port would be.
                d.componentID = firstServing
                d.listCandidates = 2
                d.add(.wrongRole)
                d.rule = .servedBy
            }
        } else {
            d.add(.unexpectedPort)
            d.rule = .noCatalogProtocol
        }

        // Blocked verdicts (carriers of tunnels are one-way by nature: never blocked-drop).
        if key.proto == 6 {
            let clientTalked = v.historySeen & ((1 << 2) | (1 << 3)) != 0  // A or D from the client
            if v.synFrame != 0 && v.resp.packets == 0 && ic.icmpPackets == 0 && !clientTalked { d.add(.blockedDrop) }
            if v.synFrame != 0 && v.respRSTFrame != 0 && v.synAckFrame == 0 { d.add(.blockedRST) }
        } else if !(s.carrier && s.tunnel != TunnelKind.none.rawValue) && v.orig.packets > 0 && v.resp.packets == 0
                    && ic.icmpPackets == 0 && !isGroupAddress(server, version: key.version) && proto.hasPorts {
            d.add(.blockedDrop)
        }
        if ic.unreachableFrame != 0 { d.add(.blockedICMP) }
        return d
    }

    /// The record's component, candidates, verdicts and evidence (frames and notes) from a decision.
    func describe(_ r: inout FlowRecord, vantage v: Vantage, decision d: Decision) {
        let infos = configuration.classifier.entryInfos
        let first = v.firstFrame
        let ic = icmp(of: v)
        if d.componentID >= 0 {
            r.component = infos[Int(d.componentID)].component
            r.catalogID = infos[Int(d.componentID)].catalogID
        }
        r.entryID = d.entryID
        if d.listCandidates != 0 {
            var comps: [String] = []
            for id in configuration.classifier.candidateIDs(r.proto, r.serverPort) where infos[Int(id)].scope != .outbound {
                let c = "\(infos[Int(id)].component) (\(infos[Int(id)].catalogID))"
                if !comps.contains(c) { comps.append(c) }
            }
            if d.listCandidates == 2 || comps.count > 1 { r.candidates = comps }
        }
        let startFrames = v.synFrame != 0 && v.synFrame != first ? [first, v.synFrame] : [first]
        var evidence: [VerdictEvidence] = []
        evidence.reserveCapacity(d.bits.nonzeroBitCount)
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(d.bits.nonzeroBitCount)
        var bits = d.bits
        while bits != 0 {
            let verdict = Verdict(rank: bits.trailingZeroBitCount)
            bits &= bits &- 1
            verdicts.append(verdict)
            switch verdict {
            case .blockedDrop where r.proto == .tcp:
                var frames = [v.synFrame]
                if v.lastFrame != v.synFrame { frames.append(v.lastFrame) }
                evidence.append(VerdictEvidence(verdict: .blockedDrop, frames: frames,
                                                note: "\(v.orig.packets) SYN(s), no answer"))
            case .blockedDrop:
                var frames = [first]
                if v.lastFrame != first { frames.append(v.lastFrame) }
                evidence.append(VerdictEvidence(verdict: .blockedDrop, frames: frames, confidence: .low,
                                                note: "\(v.orig.packets) datagram(s), no answer, no ICMP"))
            case .blockedRST:
                evidence.append(VerdictEvidence(verdict: .blockedRST, frames: [v.synFrame, v.respRSTFrame],
                                                note: "SYN answered by RST"))
            case .blockedICMP:
                evidence.append(VerdictEvidence(verdict: .blockedICMP, frames: [ic.unreachableFrame],
                                                note: unreachableText(version: ic.icmpVersion, code: ic.icmpCode)))
            default:
                let note: String
                switch d.rule {
                case .outboundDestination: note = "outbound destination"
                case .noCatalogPort: note = "no catalog lists \(r.proto.name) \(r.serverPort)"
                case .rolesUnknown: note = "roles unknown"
                case .serverNotInInventory: note = "server not in the inventory"
                case .clusterOnlyFromOutside: note = "cluster-only port reached from outside"
                case .none: note = ""
                case .servedBy:
                    let roleText = r.serverRoles.joined(separator: ",")
                    note = "served by \(roleText.isEmpty ? "unknown role" : roleText)"
                case .noCatalogProtocol: note = "no catalog lists \(r.proto.name)"
                }
                let frames = d.rule == .noCatalogProtocol ? [first] : startFrames
                evidence.append(VerdictEvidence(verdict: verdict, frames: frames, note: note))
            }
        }
        r.evidence = evidence
        r.verdicts = verdicts
        r.verdict = verdicts.first ?? .expected
    }

    // MARK: - Coverage and outbound

    /// Per inventory host (single addresses and CIDRs), the entries its roles serve, split into
    /// exercised (some flow with this host as server was attributed to the entry) and not.
    func coverage(_ flows: [FlowRecord]) -> [HostCoverage] {
        var acc = CoverageAccumulator(outbound: configuration.classifier.entryInfos.filter { $0.scope == .outbound })
        for i in flows.indices { acc.add(flows[i]) }
        return coverage(acc)
    }

    func outboundStatus(_ flows: [FlowRecord]) -> [OutboundStatus] {
        var acc = CoverageAccumulator(outbound: configuration.classifier.entryInfos.filter { $0.scope == .outbound })
        for i in flows.indices { acc.add(flows[i]) }
        return outboundStatus(acc)
    }

    func coverage(_ acc: CoverageAccumulator) -> [HostCoverage] {
        let roles = configuration.roles
        guard !roles.isUnknown else { return [] }
        let infos = configuration.classifier.entryInfos
        let roleNames = configuration.classifier.roleNameList
        // Group inventory items by name (unnamed items stand alone).
        var groups: [[HostInfo]] = []
        var byName: [String: Int] = [:]
        for h in roles.hostInfos where h.roleBits != 0 {
            if let n = h.name, let g = byName[n] {
                groups[g].append(h)
            } else {
                if let n = h.name { byName[n] = groups.count }
                groups.append([h])
            }
        }
        // Each host looks up its addresses among the servers the flows exercised (a CIDR item
        // scans the distinct servers, not the flows).
        let byServer = acc.byServer
        var out: [HostCoverage] = []
        for g in groups {
            let bits = g.reduce(UInt64(0)) { $0 | $1.roleBits }
            var used = Set<Int32>()
            for h in g {
                if h.prefixLength >= (h.version == 4 ? 32 : 128) {
                    if let e = byServer[ServerKey(address: h.address, version: h.version)] { used.formUnion(e) }
                } else {
                    for (k, e) in byServer where h.contains(k.address, version: k.version) { used.formUnion(e) }
                }
            }
            var ex: [EntryRef] = [], un: [EntryRef] = []
            for (i, e) in infos.enumerated() where e.roleBits & bits != 0 && e.scope != .outbound && e.ports != nil {
                let ref = EntryRef(entryID: Int32(i), catalogID: e.catalogID, component: e.component, proto: e.proto,
                                   ports: e.portText)
                if used.contains(Int32(i)) { ex.append(ref) } else { un.append(ref) }
            }
            let addrs = g.map(\.addressText)
            out.append(HostCoverage(name: g[0].name, address: addrs[0], addresses: addrs, roles: names(bits, roleNames),
                                    exercised: ex, unexercised: un))
        }
        return out
    }

    /// Per inventory host with a role that an outbound entry names (Dynatrace nodes → Mission
    /// Control): whether any flow from it to one of the entry's destinations was answered.
    func outboundStatus(_ acc: CoverageAccumulator) -> [OutboundStatus] {
        let roles = configuration.roles
        guard !roles.isUnknown else { return [] }
        let infos = configuration.classifier.entryInfos
        var out: [OutboundStatus] = []
        let outbound = infos.filter { $0.scope == .outbound }
        guard !outbound.isEmpty else { return [] }
        let toDestinations = acc.toDestinations
        for (i, e) in infos.enumerated() where e.scope == .outbound {
            let ref = EntryRef(entryID: Int32(i), catalogID: e.catalogID, component: e.component, proto: e.proto,
                               ports: e.portText)
            var groups: [[HostInfo]] = []
            var byName: [String: Int] = [:]
            for h in roles.hostInfos where h.roleBits & e.roleBits != 0 {
                if let n = h.name, let g = byName[n] {
                    groups[g].append(h)
                } else {
                    if let n = h.name { byName[n] = groups.count }
                    groups.append([h])
                }
            }
            for g in groups {
                var attempts = 0
                var reached = false
                for f in toDestinations where f.proto == e.proto
                    && g.contains(where: { $0.contains(f.client, version: f.ipVersion) })
                    && (e.ports?.contains(f.serverPort) ?? false) && e.hasDestination(f.server, version: f.ipVersion) {
                    attempts += 1
                    if f.serverPackets > f.icmpErrors && !f.verdicts.contains(where: \.isBlocked) { reached = true }
                }
                out.append(OutboundStatus(name: g[0].name, address: g.map(\.addressText).joined(separator: ", "),
                                          entry: ref, reached: reached, attempts: attempts))
            }
        }
        return out
    }
}

/// A server address of some flow.
struct ServerKey: Hashable {
    var address: IPAddress
    var version: UInt8
}

/// What host coverage and outbound status need from the flows, gathered one flow at a time: the
/// entries each server exercised, and the (few) flows to an outbound destination.
struct CoverageAccumulator {
    let outbound: [EntryInfo]
    var byServer: [ServerKey: Set<Int32>] = [:]
    var toDestinations: [FlowRecord] = []

    init(outbound: [EntryInfo]) { self.outbound = outbound }

    mutating func add(_ f: FlowRecord) {
        if f.entryID >= 0 { byServer[ServerKey(address: f.server, version: f.ipVersion), default: []].insert(f.entryID) }
        if !outbound.isEmpty && outbound.contains(where: { $0.hasDestination(f.server, version: f.ipVersion) }) {
            toDestinations.append(f)
        }
    }

    /// The same from a summary: the record is built only for a flow to an outbound destination.
    mutating func add(_ f: FlowSummary, record: () -> FlowRecord) {
        if f.entryID >= 0 { byServer[ServerKey(address: f.server, version: f.ipVersion), default: []].insert(f.entryID) }
        if !outbound.isEmpty && outbound.contains(where: { $0.hasDestination(f.server, version: f.ipVersion) }) {
            toDestinations.append(record())
        }
    }
}

/// Multicast and broadcast destinations: datagrams to them are never answered from that address.
func isGroupAddress(_ a: IPAddress, version: UInt8) -> Bool {
    if version == 4 {
        let v = a.v4Value
        return v >> 28 == 0xE || v == 0xFFFF_FFFF || v & 0xFF == 0xFF
    }
    return a.high >> 56 == 0xFF
}

/// "port unreachable", "administratively prohibited", … for a destination-unreachable code.
public func unreachableText(version: UInt8, code: UInt8) -> String {
    if version == 6 {
        switch code {
        case 0: return "ICMPv6 no route"
        case 1: return "ICMPv6 administratively prohibited"
        case 3: return "ICMPv6 address unreachable"
        case 4: return "ICMPv6 port unreachable"
        case 5: return "ICMPv6 source address failed policy"
        case 6: return "ICMPv6 reject route"
        default: return "ICMPv6 unreachable code \(code)"
        }
    }
    switch code {
    case 0: return "ICMP net unreachable"
    case 1: return "ICMP host unreachable"
    case 2: return "ICMP protocol unreachable"
    case 3: return "ICMP port unreachable"
    case 9, 10: return "ICMP network/host administratively prohibited"
    case 13: return "ICMP communication administratively prohibited"
    default: return "ICMP unreachable code \(code)"
    }
}

/// What `decide`'s walk of the candidates found for (protocol, server port, server role bits):
/// the first entry serving the port and the first serving one of the roles. Many flows share a
/// port, so a snapshot remembers the answer in a direct-mapped table (one allocation per snapshot)
/// instead of walking the catalog through its existential per flow. Ports with an outbound
/// candidate are not remembered: their answer depends on the server address.
struct CandidateMemo {
    /// Slot: proto << 16 | port, with bit 63 set when used; the role bits; firstServing and forRole.
    var keys: [UInt64]
    var roleBits: [UInt64]
    var found: [UInt64]

    init(enabled: Bool) {
        let n = enabled ? 4096 : 0
        keys = [UInt64](repeating: 0, count: n)
        roleBits = [UInt64](repeating: 0, count: n)
        found = [UInt64](repeating: 0, count: n)
    }

    @inline(__always) func slot(_ proto: UInt8, _ port: UInt16, _ bits: UInt64) -> Int {
        var z = (UInt64(proto) << 16 | UInt64(port)) &* 0x9E37_79B9_7F4A_7C15 ^ bits &* 0xC2B2_AE3D_27D4_EB4F
        z ^= z >> 31
        return Int(truncatingIfNeeded: z) & (keys.count - 1)
    }

    func lookup(_ proto: UInt8, _ port: UInt16, _ bits: UInt64, _ firstServing: inout Int32,
                _ forRole: inout Int32) -> Bool {
        if keys.isEmpty { return false }
        let i = slot(proto, port, bits)
        guard keys[i] == 1 << 63 | UInt64(proto) << 16 | UInt64(port) && roleBits[i] == bits else { return false }
        firstServing = Int32(truncatingIfNeeded: found[i] >> 32)
        forRole = Int32(truncatingIfNeeded: found[i])
        return true
    }

    mutating func store(_ proto: UInt8, _ port: UInt16, _ bits: UInt64, _ firstServing: Int32, _ forRole: Int32) {
        if keys.isEmpty { return }
        let i = slot(proto, port, bits)
        keys[i] = 1 << 63 | UInt64(proto) << 16 | UInt64(port)
        roleBits[i] = bits
        found[i] = UInt64(UInt32(bitPattern: firstServing)) << 32 | UInt64(UInt32(bitPattern: forRole))
    }
}
