import PacketWire
import PortCatalog

// Verdict rules (README.md "Verdicts"), decided when a snapshot or an expiry asks, never per packet:
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
// The primary verdict is the first in precedence (`Verdict.rank`) order: blocked-drop, blocked-rst,
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
    /// A blocked-drop not claimed because the flow's source is one-sided (`OneSided.swift`).
    var oneSidedNotBlocked = false

    mutating func add(_ v: Verdict) { bits |= 1 << UInt8(v.rank) }
    var primary: Verdict { bits == 0 ? .expected : Verdict(rank: bits.trailingZeroBitCount) }
}

/// A flow as reports that aggregate need it (the table's components and verdict counts, host
/// coverage): plain values, made without strings or arrays. The full `FlowRecord` is built only
/// for the flows a report prints.
public struct FlowSummary: Sendable, FlowIdentified {
    public var id: FlowID
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
    /// The server's roles in the inventory (bit i: `CompiledCatalog.roleNames[i]`), 0 when unknown.
    public var serverRoleBits: UInt64 = 0

    public func has(_ v: Verdict) -> Bool { verdictBits & (1 << UInt8(v.rank)) != 0 }
}

extension Verdict {
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
    /// Who is the client, from the first packet a vantage sees of a flow. A TCP SYN names its
    /// sender, a SYN-ACK its receiver (observed). Otherwise (mid-stream TCP) the server is the side
    /// whose port the catalog lists (for that host's role when an inventory is given), then the
    /// well-known (< 1024) port, then the lower port (inferred). UDP and other datagram protocols:
    /// the first sender is the client (observed) unless only the sender's port is a likely server
    /// port (catalog or well-known), as for a reply seen without its request (inferred).
    ///
    /// Always inlined: called out of line from a mutating caller, the analyzer itself is copied
    /// to pass it.
    @usableFromInline @inline(__always)
    func decideOriginator(fromA: Bool, _ h: IPHeaderSummary) -> (origIsA: Bool, inferred: Bool) {
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
    @usableFromInline @inline(__always) func serverScore(_ proto: IPProtocol, _ port: UInt16, _ addr: IPAddress, _ version: UInt8) -> Int {
        // The catalog and inventory are read in place (a local copy retains each of their arrays).
        if let t = Transport(proto), !configuration.catalog.candidates(t, port).isEmpty {
            if !rolesUnknown {
                let roles = configuration.inventory.roles(of: addr, version: version)
                if !roles.isEmpty && configuration.catalog.best(t, port, roles: roles) >= 0 { return 3 }
            }
            return 2
        }
        return port < 1024 ? 1 : 0
    }

    /// Builds the report value of a flow and classifies it.
    func record(key: FlowKey, state s: FlowState) -> FlowRecord {
        let v = reported(key: key, state: s)
        let client = v.origIsA ? key.a : key.b
        let server = v.origIsA ? key.b : key.a
        let clientBits = configuration.inventory.roles(of: client, version: key.version).bits
        let serverBits = configuration.inventory.roles(of: server, version: key.version).bits
        let d = decide(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits)
        return record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
    }

    /// The summary of a flow and its decision, with no string and no array made.
    func summary(key: FlowKey, state s: FlowState, vantage v: Vantage, clientBits: UInt64,
                 serverBits: UInt64) -> (FlowSummary, Decision) {
        let d = decide(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits)
        let ic = icmp(of: v)
        let f = FlowSummary(
            id: flowID(key: key, vantage: v, state: s), componentID: d.componentID, entryID: d.entryID,
            // Packet and byte counts: cannot overflow (see `Counters`).
            verdict: d.primary, verdictBits: d.bits, packets: v.orig.packets &+ v.resp.packets &+ ic.icmpPackets,
            bytes: v.orig.bytes &+ v.resp.bytes &+ ic.icmpBytes, serverRoleBits: serverBits)
        return (f, d)
    }

    /// The key in client/server order (the vantage's originator is the client).
    func flowID(key: FlowKey, vantage v: Vantage, state s: FlowState) -> FlowID {
        FlowID(proto: IPProtocol(key.proto), ipVersion: key.version, client: v.origIsA ? key.a : key.b,
               clientPort: v.origIsA ? key.aPort : key.bPort, server: v.origIsA ? key.b : key.a,
               serverPort: v.origIsA ? key.bPort : key.aPort, vlanStack: key.vlan,
               tunnel: s.carrier ? .none : TunnelKind(rawValue: s.tunnel))
    }

    func record(key: FlowKey, state s: FlowState, vantage v: Vantage, decision d: Decision, clientBits: UInt64,
                serverBits: UInt64) -> FlowRecord {
        record(facts(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits))
    }

    /// A flow's facts: what its record holds, as plain values (`FlowFacts`).
    func facts(key: FlowKey, state s: FlowState, vantage v: Vantage, decision d: Decision, clientBits: UInt64,
               serverBits: UInt64) -> FlowFacts {
        let inventory = configuration.inventory
        // No inventory, no names: skip the two lookups.
        let named = !inventory.isEmpty
        var segment = -1
        if d.listCandidates != 0, let t = Transport(IPProtocol(key.proto)) {
            segment = configuration.catalog.candidateSegment(t, v.origIsA ? key.bPort : key.aPort)
        }
        return FlowFacts(
            id: flowID(key: key, vantage: v, state: s),
            clientName: named ? inventory.hostName(of: v.origIsA ? key.a : key.b, version: key.version) : nil,
            serverName: named ? inventory.hostName(of: v.origIsA ? key.b : key.a, version: key.version) : nil,
            clientRoleBits: clientBits, serverRoleBits: serverBits,
            carries: s.carrier ? TunnelKind(rawValue: s.tunnel) : .none, proto: key.proto, sourceBits: sources(of: s),
            uidHash: uidHash(key: key, state: s), candidateSegment: segment, firstTs: s.firstTs, lastTs: s.lastTs, vantage: v, icmp: icmp(of: v),
            decision: d)
    }

    /// The report value of a flow's facts: component, candidates, verdicts and evidence (frames
    /// and notes) spelled out.
    public func record(_ f: FlowFacts) -> FlowRecord {
        let catalog = configuration.catalog
        let roleNames = catalog.roleNames
        let sources: [UInt32]
        let bits = f.sourceBits
        if bits & (bits &- 1) == 0 {  // a flow has at least one source, so bits != 0: no underflow
            sources = singleSourceLists[bits.trailingZeroBitCount & 63]
        } else {
            var list: [UInt32] = []
            for i in 0..<64 where bits & (1 << UInt64(i)) != 0 { list.append(UInt32(i)) }
            sources = list
        }
        let vlans = f.id.vlanStack == 0 ? [] : FlowKey.vlanIDs(f.id.vlanStack)

        var r = FlowRecord(
            id: f.id, clientName: f.clientName, serverName: f.serverName,
            clientRoles: names(f.clientRoleBits, roleNames), serverRoles: names(f.serverRoleBits, roleNames),
            vlan: vlans.last ?? 0, vlans: vlans, tunnel: f.tunnel, carries: f.carries,
            component: nil, catalogID: nil, entryID: f.entryID, candidates: [], verdict: f.verdict, verdicts: [],
            evidence: [], state: f.state, history: f.v.historyString, direction: f.direction,
            clientPackets: f.clientPackets, serverPackets: f.serverPackets, clientBytes: f.clientBytes,
            serverBytes: f.serverBytes, clientPayloadBytes: f.clientPayloadBytes, serverPayloadBytes: f.serverPayloadBytes,
            clientTCPFlags: f.clientTCPFlags, serverTCPFlags: f.serverTCPFlags, icmpErrors: f.icmpErrors,
            icmpErrorBytes: f.icmpErrorBytes, icmpType: f.icmpType, icmpCode: f.icmpCode,
            firstTimestamp: f.firstTimestamp, lastTimestamp: f.lastTimestamp, firstFrame: f.firstFrame,
            evidenceSource: f.evidenceSource, sources: sources)
        r.fragments = f.fragments
        if f.icmpKindCount > 0 { r.icmpKinds = f.ic.kindList }
        r.icmpOtherKinds = f.icmpOtherKinds
        r.lastFrame = f.lastFrame
        r.uid = f.withUID { String(decoding: $0, as: UTF8.self) }
        if f.componentID >= 0 {
            r.component = catalog.entries[Int(f.componentID)].component
            r.catalogID = catalog.entries[Int(f.componentID)].catalogID
        }
        if f.candidateListing != 0, let t = Transport(r.proto) {
            let comps = catalog.candidateTexts(t, r.serverPort)
            if f.candidateListing == 2 || comps.count > 1 { r.candidates = comps }
        }
        var evidence: [VerdictEvidence] = []
        evidence.reserveCapacity(f.verdictBits.nonzeroBitCount)
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(f.verdictBits.nonzeroBitCount)
        f.forEachEvidence { e in
            var note = StringNoteSink()
            e.note.write(to: &note, roleNames: roleNames, oneSided: e.oneSided)
            evidence.append(VerdictEvidence(verdict: e.verdict, frames: e.frameCount == 2 ? [e.frame0, e.frame1] : [e.frame0],
                                            confidence: e.confidence, note: note.text))
            verdicts.append(e.verdict)
        }
        r.evidence = evidence
        r.verdicts = verdicts
        return r
    }

    func names(_ bits: UInt64, _ roleNames: [String]) -> [String] {
        if bits == 0 { return [] }
        var out: [String] = []
        for (i, n) in roleNames.enumerated() where i < 64 && bits & (1 << UInt64(i)) != 0 { out.append(n) }
        return out
    }

    /// Verdicts (README.md "Verdicts"): the rule verdict from the catalog and the inventory, plus every
    /// blocked verdict the packets show; the primary one is the first in precedence order.
    func decide(key: FlowKey, state s: FlowState, vantage v: Vantage, clientBits: UInt64,
                serverBits: UInt64) -> Decision {
        let server = v.origIsA ? key.b : key.a
        let serverPort = v.origIsA ? key.bPort : key.aPort
        let ic = icmp(of: v)
        var d = Decision()

        // Rule verdict. The compiled catalog is read in place: a local copy would retain and
        // release each of its arrays per flow.
        if let t = Transport(IPProtocol(key.proto)) {
            var outbound: Int32 = -1
            if configuration.catalog.hasOutbound(t, serverPort) {
                configuration.catalog.forEachOutbound(t, serverPort) { id in
                    if outbound < 0 && configuration.catalog.hasDestination(id, server, version: key.version) { outbound = id }
                }
            }
            let candidates = configuration.catalog.candidates(t, serverPort)
            let firstServing: Int32 = candidates.isEmpty ? -1 : candidates[0]
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
            } else if case let forRole = configuration.catalog.best(t, serverPort, roles: RoleSet(bits: serverBits)),
                      forRole >= 0 {
                d.componentID = forRole
                d.entryID = forRole
                let client = v.origIsA ? key.a : key.b
                if configuration.catalog.entries[Int(forRole)].scope == .cluster
                    && !configuration.inventory.isInCluster(client, version: key.version) {
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

        // Blocked verdicts (carriers of tunnels are one-way by nature: never blocked-drop; nor is
        // a flow of a one-sided capture, whose answers were not captured).
        let oneWay = isOneSided(v)
        if key.proto == 6 {
            let clientTalked = v.historySeen & ((1 << 2) | (1 << 3)) != 0  // A or D from the client
            if v.synFrame != 0 && v.resp.packets == 0 && ic.icmpPackets == 0 && !clientTalked {
                if oneWay { d.oneSidedNotBlocked = true } else { d.add(.blockedDrop) }
            }
            if v.synFrame != 0 && v.respRSTFrame != 0 && v.synAckFrame == 0 { d.add(.blockedRST) }
        } else if !(s.carrier && s.tunnel != TunnelKind.none.rawValue) && v.orig.packets > 0 && v.resp.packets == 0
                    && ic.icmpPackets == 0 && !isGroupAddress(server, version: key.version)
                    && IPProtocol(key.proto).hasPorts {
            if oneWay { d.oneSidedNotBlocked = true } else { d.add(.blockedDrop) }
        }
        if ic.unreachableFrame != 0 { d.add(.blockedICMP) }
        return d
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
    var s = StringNoteSink()
    writeUnreachable(version: version, code: code, to: &s)
    return s.text
}
