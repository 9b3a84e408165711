import PacketWire

/// What a flow says about the cluster's rules (README.md, "Verdicts"), with a precedence: the
/// first that applies is the primary verdict. `rank` is the one place the precedence is written;
/// `byRank` and `init(rank:)` derive from it, and the declaration (so `allCases`) follows it (a
/// test checks that).
public enum Verdict: String, Sendable, CaseIterable, Comparable {
    case blockedDrop = "blocked-drop"
    case blockedRST = "blocked-rst"
    case blockedICMP = "blocked-icmp"
    case outsideToInternal = "outside-to-internal"
    case wrongRole = "wrong-role"
    case unexpectedPort = "unexpected-port"
    case expected

    /// 0 = highest precedence.
    @inlinable public var rank: Int {
        switch self {
        case .blockedDrop: 0
        case .blockedRST: 1
        case .blockedICMP: 2
        case .outsideToInternal: 3
        case .wrongRole: 4
        case .unexpectedPort: 5
        case .expected: 6
        }
    }

    /// Every verdict in precedence order, made once (`allCases` builds an array on every call).
    public static let byRank: [Verdict] = allCases.sorted { $0.rank < $1.rank }

    /// The verdict of precedence `rank` (ranks past the last give the last, `expected`).
    public init(rank: Int) {
        self = Verdict.byRank[min(max(rank, 0), Verdict.byRank.count - 1)]
    }

    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }

    /// Blocked verdicts and the rule verdicts other than `expected` are problems.
    public var isProblem: Bool { self != .expected }
    public var isBlocked: Bool { rank <= Verdict.blockedICMP.rank }
}

/// How sure a verdict is. UDP `blocked-drop` is `low`: a datagram service may simply not answer.
public enum Confidence: String, Sendable {
    case high, low
}

/// One verdict with the frames that decided it (frame numbers of the flow's evidence source).
public struct VerdictEvidence: Sendable, Equatable {
    public var verdict: Verdict
    public var frames: [UInt64]
    public var confidence: Confidence
    /// A short explanation ("ICMP port unreachable", "no SYN-ACK", "served by dcos-agent", …).
    public var note: String

    public init(verdict: Verdict, frames: [UInt64], confidence: Confidence = .high, note: String = "") {
        self.verdict = verdict
        self.frames = frames
        self.confidence = confidence
        self.note = note
    }
}

/// Whether client and server were seen in a handshake (or, for UDP, the first datagram) or
/// inferred from the catalog and port numbers.
public enum FlowDirection: String, Sendable {
    case observed, inferred
}

/// A flow's identity: everything of the analyzer's flow key (protocol, IP version, both endpoints
/// and ports in client/server order, the whole VLAN tag stack kept in the key, and the tunnel that
/// carried an inner flow). Two records of one analyzer with the same `id` are the same flow; the
/// live command uses it to recognise a flow across intervals (a QinQ 300/100 flow and a VLAN 100
/// flow with the same 5-tuple differ).
public struct FlowID: Hashable, Sendable {
    public var proto: IPProtocol
    public var ipVersion: UInt8
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    /// The VLAN tag stack packed as in the key (`FlowKey.vlanStack`): hashing it makes no array.
    @usableFromInline var vlanStack: UInt64
    /// The tunnel that carried this (inner) flow, `.none` for a flow on the wire.
    public var tunnel: TunnelKind

    public init(proto: IPProtocol, ipVersion: UInt8, client: IPAddress, clientPort: UInt16, server: IPAddress,
                serverPort: UInt16, vlans: [UInt16], tunnel: TunnelKind) {
        func tag(_ i: Int) -> UInt16 { i < vlans.count ? vlans[i] : 0 }
        self.init(proto: proto, ipVersion: ipVersion, client: client, clientPort: clientPort, server: server,
                  serverPort: serverPort,
                  vlanStack: FlowKey.vlanStack(count: UInt8(min(vlans.count, 4)), vlans: (tag(0), tag(1), tag(2), tag(3))),
                  tunnel: tunnel)
    }

    init(proto: IPProtocol, ipVersion: UInt8, client: IPAddress, clientPort: UInt16, server: IPAddress,
         serverPort: UInt16, vlanStack: UInt64, tunnel: TunnelKind) {
        self.proto = proto
        self.ipVersion = ipVersion
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
        self.vlanStack = vlanStack
        self.tunnel = tunnel
    }

    /// The VLAN tag stack, outermost first (empty: untagged, or VLANs not in the key).
    public var vlans: [UInt16] { FlowKey.vlanIDs(vlanStack) }
}

/// A value naming one flow (`FlowRecord`, `FlowSummary`): its endpoints are read through its `id`.
public protocol FlowIdentified {
    var id: FlowID { get }
}

extension FlowIdentified {
    public var proto: IPProtocol { id.proto }
    /// 4 or 6.
    public var ipVersion: UInt8 { id.ipVersion }
    public var client: IPAddress { id.client }
    public var clientPort: UInt16 { id.clientPort }
    public var server: IPAddress { id.server }
    public var serverPort: UInt16 { id.serverPort }
}

/// One flow as reports see it: a plain value, independent of the analyzer.
public struct FlowRecord: Sendable, Equatable, FlowIdentified {
    /// The flow's identity (its key as reports see it): protocol, version, endpoints, VLAN stack, tunnel.
    public var id: FlowID
    /// Inventory names, when known.
    public var clientName: String?
    public var serverName: String?
    public var clientRoles: [String]
    public var serverRoles: [String]
    /// The innermost VLAN id in the key (0 = untagged or VLANs not in the key).
    public var vlan: UInt16
    /// The VLAN tag stack in the key, outermost first (empty = untagged or VLANs not in the key).
    public var vlans: [UInt16]
    /// The tunnel that carried this (inner) flow, `.none` for a flow on the wire.
    public var tunnel: TunnelKind
    /// For a carrier (outer) flow: the tunnel it carries; `.none` otherwise.
    public var carries: TunnelKind

    /// The catalog entry that applies (nil: none applies).
    public var component: String?
    public var catalogID: String?
    public var entryID: Int32
    /// When roles cannot decide (no inventory, or a server the inventory does not list) and several
    /// components list the port: every candidate, "component (catalog)".
    public var candidates: [String]
    public var verdict: Verdict
    public var verdicts: [Verdict]
    public var evidence: [VerdictEvidence]

    public var state: ConnState
    public var history: String
    public var direction: FlowDirection
    /// Frames each side sent. An ICMP error quoting the flow counts on the side it answers for
    /// (an error about the client's packet is the server side's answer), as in the captures' oracle.
    public var clientPackets: UInt64
    public var serverPackets: UInt64
    public var clientBytes: UInt64
    public var serverBytes: UInt64
    public var clientPayloadBytes: UInt64
    public var serverPayloadBytes: UInt64
    public var clientTCPFlags: UInt16
    public var serverTCPFlags: UInt16
    /// ICMP/ICMPv6 errors that quoted this flow (included in the packet counts above).
    public var icmpErrors: UInt64
    public var icmpErrorBytes: UInt64
    /// The first destination-unreachable's type and code (when `icmpErrors > 0`).
    public var icmpType: UInt8
    public var icmpCode: UInt8
    /// Nanoseconds since the epoch.
    public var firstTimestamp: Int64
    public var lastTimestamp: Int64
    /// The flow's first frame in its evidence source.
    public var firstFrame: UInt64
    /// The source (file) whose packets the counts, state and evidence come from: the one that
    /// saw the most packets of this flow.
    public var evidenceSource: UInt32
    /// Every source that saw the flow, ascending.
    public var sources: [UInt32]

    // Fragments and ICMP detail (issue 11).
    /// Fragmented packets of the flow (first fragments included).
    public var fragments: UInt64 = 0
    /// The ICMP errors that quoted the flow by (type, code), in that order: up to 4 kinds.
    public var icmpKinds: [ICMPKind] = []
    /// Errors of kinds beyond those 4.
    public var icmpOtherKinds: UInt64 = 0
    // Pieces (one capture cut into consecutive files): the frame span maps to the files it covers.
    /// The flow's last frame in its evidence source (0 when unknown).
    public var lastFrame: UInt64 = 0
    // Connections (issue 11)
    /// The connection's id, unique within a report and stable across runs and `--threads` (Zeek's
    /// `uid` for the same purpose): several connections on one 5-tuple are told apart by it.
    public var uid: String = ""

    public var packets: UInt64 { clientPackets + serverPackets }
    public var bytes: UInt64 { clientBytes + serverBytes }
    public var isProblem: Bool { verdict.isProblem }
}

/// One input (a file or an interface), or a group of files that are consecutive pieces of one
/// capture read as one stream (`pieces`, in order; its frames are numbered across the pieces).
public struct SourceInfo: Sendable, Equatable {
    public var name: String
    public var packets: UInt64
    public var bytes: UInt64
    /// What stopped reading early, if something did ("file: offset N: …").
    public var error: String?
    /// The files of a group of pieces, in reading order; empty for a plain source.
    public var pieces: [SourcePiece] = []
    public init(name: String, packets: UInt64 = 0, bytes: UInt64 = 0, error: String? = nil,
                pieces: [SourcePiece] = []) {
        self.name = name
        self.packets = packets
        self.bytes = bytes
        self.error = error
        self.pieces = pieces
    }

    /// The files of this source: its pieces, or itself.
    public var files: [SourcePiece] {
        pieces.isEmpty ? [SourcePiece(name: name, framesBefore: 0, packets: packets, bytes: bytes, error: error)] : pieces
    }

    /// The piece holding source frame `frame` (1-based, numbered across the pieces) and the
    /// frame's number within that file; `nil` index when there are no pieces.
    public func locate(_ frame: UInt64) -> (piece: Int?, frame: UInt64) {
        guard pieces.count > 1 else { return (pieces.isEmpty ? nil : 0, frame) }
        // The last piece starting before the frame: its frames are (framesBefore, framesBefore + packets].
        var lo = 0, hi = pieces.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if pieces[mid].framesBefore < frame { lo = mid } else { hi = mid - 1 }
        }
        // Empty pieces share their framesBefore with the next one: step back to a piece with frames.
        while lo > 0 && pieces[lo].packets == 0 { lo -= 1 }
        return (lo, frame > pieces[lo].framesBefore ? frame - pieces[lo].framesBefore : frame)
    }
}

/// One file of a source made of consecutive pieces: its frames are the source's frames
/// `framesBefore + 1 … framesBefore + packets`.
public struct SourcePiece: Sendable, Equatable {
    public var name: String
    public var framesBefore: UInt64
    public var packets: UInt64
    public var bytes: UInt64
    public var error: String?
    public init(name: String, framesBefore: UInt64, packets: UInt64, bytes: UInt64 = 0, error: String? = nil) {
        self.name = name
        self.framesBefore = framesBefore
        self.packets = packets
        self.bytes = bytes
        self.error = error
    }
}

/// Packets and bytes of one accounting bucket.
public struct Tally: Sendable, Equatable {
    public var packets: UInt64
    public var bytes: UInt64
    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
    /// Unchecked: packets and wire bytes in UInt64 cannot overflow (see `Counters`).
    @inlinable public mutating func add(_ wire: UInt32) {
        packets &+= 1
        bytes &+= UInt64(wire)
    }
    public static func + (a: Tally, b: Tally) -> Tally { Tally(packets: a.packets + b.packets, bytes: a.bytes + b.bytes) }
}

/// Every packet in exactly one bucket (the accounting contract, ARCHITECTURE.md):
/// `total = flows + icmpMatched + otherIP + nonIP + undecodable`, for packets and for bytes
/// (original wire lengths).
public struct Accounting: Sendable, Equatable {
    public var total = Tally()
    /// Packets counted in at least one flow (a tunnelled packet counts in its carrier and its
    /// inner flow, but once here).
    public var flows = Tally()
    /// ICMP/ICMPv6 errors that quoted a known flow.
    public var icmpMatched = Tally()
    /// IP packets in no flow: protocols without ports (and not tunnels), ICMP that is not an error
    /// or quotes no known flow, non-first fragments.
    public var otherIP = Tally()
    public var otherIPByProtocol: [(proto: IPProtocol, tally: Tally)] = []
    /// Of `otherIP`: non-first fragments whose first fragment was not seen (or came too late, or
    /// whose datagram the fragment table no longer held), so no flow to count them in.
    public var fragments = Tally()
    /// Of `otherIP`: ICMP errors whose quoted flow was not seen.
    public var icmpUnmatched = Tally()
    /// Frames without IP (ARP, LLDP, …), by EtherType.
    public var nonIP = Tally()
    public var nonIPByEtherType: [(etherType: EtherType, tally: Tally)] = []
    /// Frames whose decode stopped before a flow or a known error could be read, by layer and reason.
    public var undecodable = Tally()
    public var undecodableBy: [(layer: DecodeLayer, reason: DecodeReason, tally: Tally)] = []
    /// Frames captured shorter than on the wire (snaplen); counted in whichever bucket they fell.
    public var truncated = Tally()
    /// Of `truncated`: those that still landed in a flow.
    public var truncatedInFlows = Tally()
    /// Packets counted in two flows: a tunnel's carrier and its inner flow (or the inner flow that
    /// a tunnelled ICMP error quotes). So the flows' packet counts add up to
    /// `flows + icmpMatched + tunnelled`.
    public var tunnelled = Tally()
    /// Frames read that the capture filter (`-f`, filter words) did not match: part of the
    /// balance, never decoded. Reports show it only when it is not zero.
    public var filtered = Tally()
    /// Flows evicted because the table reached `maxFlows` (live).
    public var evictedFlows: UInt64 = 0

    public init() {}

    public var parts: Tally { flows + icmpMatched + otherIP + nonIP + undecodable + filtered }
    public var isBalanced: Bool { parts == total }

    public static func == (a: Accounting, b: Accounting) -> Bool {
        a.total == b.total && a.flows == b.flows && a.icmpMatched == b.icmpMatched && a.otherIP == b.otherIP
            && a.nonIP == b.nonIP && a.undecodable == b.undecodable && a.truncated == b.truncated
            && a.fragments == b.fragments && a.icmpUnmatched == b.icmpUnmatched && a.tunnelled == b.tunnelled
            && a.evictedFlows == b.evictedFlows && a.truncatedInFlows == b.truncatedInFlows && a.filtered == b.filtered
    }
}

/// A catalog entry named for reports.
public struct EntryRef: Sendable, Equatable {
    public var entryID: Int32
    public var catalogID: String
    public var component: String
    public var proto: IPProtocol
    public var ports: String
    public init(entryID: Int32, catalogID: String, component: String, proto: IPProtocol, ports: String) {
        self.entryID = entryID
        self.catalogID = catalogID
        self.component = component
        self.proto = proto
        self.ports = ports
    }
}

/// Per inventory host (the items of one name merged: a host's IPv4 and IPv6 addresses are one
/// host): the catalog entries its roles serve, split into exercised (some flow with the host as
/// server was attributed to the entry) and never exercised in the capture.
public struct HostCoverage: Sendable, Equatable {
    public var name: String?
    /// The first address (or CIDR) of the host.
    public var address: String
    /// Every address (or CIDR) of the host.
    public var addresses: [String]
    public var roles: [String]
    public var exercised: [EntryRef]
    public var unexercised: [EntryRef]
}

/// Per inventory host whose role must reach an outbound destination (Dynatrace Mission Control).
public struct OutboundStatus: Sendable, Equatable {
    public var name: String?
    public var address: String
    public var entry: EntryRef
    /// A flow to one of the destinations got an answer.
    public var reached: Bool
    /// Flows to the destinations (answered or not).
    public var attempts: Int
}

/// Everything a run found, as one Sendable value.
public struct AnalysisSnapshot: Sendable {
    public var sources: [SourceInfo]
    public var flows: [FlowRecord]
    public var accounting: Accounting
    /// Inventory given: role verdicts were claimed.
    public var inventoryKnown: Bool
    public var hosts: [HostCoverage]
    /// Inventory hosts that never reached an outbound destination (Mission Control), and those that did.
    public var outbound: [OutboundStatus]
    public var vlanInKey: Bool

    public init(sources: [SourceInfo] = [], flows: [FlowRecord] = [], accounting: Accounting = Accounting(),
                inventoryKnown: Bool = false, hosts: [HostCoverage] = [], outbound: [OutboundStatus] = [],
                vlanInKey: Bool = true) {
        self.sources = sources
        self.flows = flows
        self.accounting = accounting
        self.inventoryKnown = inventoryKnown
        self.hosts = hosts
        self.outbound = outbound
        self.vlanInKey = vlanInKey
    }

    /// The outbound status of the Mission Control kind (the name reports use for it).
    public var missionControl: [OutboundStatus] { outbound }

    /// Inventory hosts that never reached an outbound destination their role must reach.
    public var unreachedOutbound: [OutboundStatus] { outbound.filter { !$0.reached } }

    /// Flows whose primary verdict is not `expected`.
    public var problemFlows: [FlowRecord] { flows.filter(\.isProblem) }

    /// Flows per primary verdict, in precedence order (verdicts with no flow omitted).
    public var verdictCounts: [(Verdict, Int)] {
        var c = [Int](repeating: 0, count: Verdict.byRank.count)
        for f in flows { c[f.verdict.rank] += 1 }
        return Verdict.byRank.compactMap { c[$0.rank] > 0 ? ($0, c[$0.rank]) : nil }
    }
}
