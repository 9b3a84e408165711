import PacketWire
import PortCatalog

// A flow as the streamed formats (JSON Lines, JSON, CSV) print it, made from the analyzer's state
// without a string or an array: the formats write its fields straight into their output buffer.
// `FlowRecord` is made from the same value (`FlowAnalyzer.record(_:)`), so the record and the
// streamed bytes come from one decision, one evidence list and one note text.

/// What an evidence note says (README.md "Verdicts"), as plain values. `write(to:)` spells it.
public enum EvidenceNote: Sendable, Equatable {
    case synsNoAnswer(UInt64)
    case datagramsNoAnswer(UInt64)
    case rstAnswer
    case unreachable(version: UInt8, code: UInt8)
    case outboundDestination
    case noCatalogPort(IPProtocol, UInt16)
    case rolesUnknown
    case serverNotInInventory
    case clusterOnlyFromOutside
    case none
    /// "served by" the server's roles (bit i: `CompiledCatalog.roleNames[i]`).
    case servedBy(roleBits: UInt64)
    case noCatalogProtocol(IPProtocol)
}

/// Where a note's text goes: literal pieces, catalog text (role names: the sink escapes it as its
/// format needs) and numbers.
public protocol NoteSink {
    mutating func write(_ s: StaticString)
    mutating func write(text: String)
    mutating func write(decimal: UInt64)
}

/// A note as a `String` (`FlowRecord`'s evidence, `unreachableText`).
struct StringNoteSink: NoteSink {
    var text = ""
    mutating func write(_ s: StaticString) { text += s.description }
    mutating func write(text t: String) { text += t }
    mutating func write(decimal n: UInt64) { text += String(n) }
}

extension EvidenceNote {
    /// The note's text; with `oneSided`, why no blocked-drop was claimed (`Decision.oneSidedNotBlocked`).
    public func write<S: NoteSink>(to s: inout S, roleNames: [String], oneSided: Bool = false) {
        if oneSided {
            if self != .none {
                write(to: &s, roleNames: roleNames)
                s.write("; ")
            }
            s.write("one-sided capture (the other direction was not captured): not blocked")
            return
        }
        write(to: &s, roleNames: roleNames)
    }

    func write<S: NoteSink>(to s: inout S, roleNames: [String]) {
        switch self {
        case .synsNoAnswer(let n):
            if n == 1 { s.write("1 SYN, no answer") } else { s.write(decimal: n); s.write(" SYNs, no answer") }
        case .datagramsNoAnswer(let n):
            if n == 1 {
                s.write("1 datagram, no answer, no ICMP")
            } else {
                s.write(decimal: n)
                s.write(" datagrams, no answer, no ICMP")
            }
        case .rstAnswer: s.write("SYN answered by RST")
        case .unreachable(let version, let code): writeUnreachable(version: version, code: code, to: &s)
        case .outboundDestination: s.write("outbound destination")
        case .noCatalogPort(let p, let port):
            s.write("no catalog lists ")
            s.write(text: p.name)
            s.write(" ")
            s.write(decimal: UInt64(port))
        case .rolesUnknown: s.write("roles unknown")
        case .serverNotInInventory: s.write("server not in the inventory")
        case .clusterOnlyFromOutside: s.write("cluster-only port reached from outside")
        case .none: break
        case .servedBy(let bits):
            s.write("served by ")
            var any = false
            for (i, n) in roleNames.enumerated() where i < 64 && bits & (1 << UInt64(i)) != 0 {
                if any { s.write(",") }
                s.write(text: n)
                any = true
            }
            // `names` of an empty set joined: "".
            if !any { s.write("unknown role") }
        case .noCatalogProtocol(let p):
            s.write("no catalog lists ")
            s.write(text: p.name)
        }
    }
}

/// "port unreachable", "administratively prohibited", … for a destination-unreachable code.
func writeUnreachable<S: NoteSink>(version: UInt8, code: UInt8, to s: inout S) {
    if version == 6 {
        switch code {
        case 0: s.write("ICMPv6 no route")
        case 1: s.write("ICMPv6 administratively prohibited")
        case 3: s.write("ICMPv6 address unreachable")
        case 4: s.write("ICMPv6 port unreachable")
        case 5: s.write("ICMPv6 source address failed policy")
        case 6: s.write("ICMPv6 reject route")
        default: s.write("ICMPv6 unreachable code "); s.write(decimal: UInt64(code))
        }
        return
    }
    switch code {
    case 0: s.write("ICMP net unreachable")
    case 1: s.write("ICMP host unreachable")
    case 2: s.write("ICMP protocol unreachable")
    case 3: s.write("ICMP port unreachable")
    case 9, 10: s.write("ICMP network/host administratively prohibited")
    case 13: s.write("ICMP communication administratively prohibited")
    default: s.write("ICMP unreachable code "); s.write(decimal: UInt64(code))
    }
}

/// One verdict's evidence: one or two frames (in the flow's evidence source) and its note.
public struct EvidenceItem: Sendable {
    public var verdict: Verdict
    public var frame0: UInt64
    public var frame1: UInt64
    /// 1 or 2.
    public var frameCount: Int
    public var confidence: Confidence
    public var note: EvidenceNote
    /// The note ends with why no blocked-drop was claimed (a one-sided source).
    public var oneSided: Bool
}

/// One flow with every field a `FlowRecord` has, as plain values (no string but the inventory's
/// host names, no array).
public struct FlowFacts: Sendable, FlowIdentified {
    public let id: FlowID
    /// Inventory names, when known.
    public let clientName: String?
    public let serverName: String?
    /// The client's and server's roles (bit i: `CompiledCatalog.roleNames[i]`).
    public let clientRoleBits: UInt64
    public let serverRoleBits: UInt64
    public let carries: TunnelKind
    public let state: ConnState
    public let direction: FlowDirection
    public let clientPackets: UInt64
    public let serverPackets: UInt64
    public let clientBytes: UInt64
    public let serverBytes: UInt64
    public let icmpErrorBytes: UInt64
    public let firstTimestamp: Int64
    public let lastTimestamp: Int64
    /// Bit s: source s saw the flow (bit 63 also stands for every source ≥ 63).
    public let sourceBits: UInt64
    /// The number `uid` spells (`withUID`).
    public let uidHash: UInt64
    /// The catalog's candidate segment of the server port when the candidates are listed
    /// (`CompiledCatalog.candidateSegment`), -1 otherwise: a key for text made once per segment.
    public let candidateSegment: Int
    let v: Vantage
    let ic: ICMPTally
    let d: Decision

    init(id: FlowID, clientName: String?, serverName: String?, clientRoleBits: UInt64, serverRoleBits: UInt64,
         carries: TunnelKind, proto: UInt8, sourceBits: UInt64, uidHash: UInt64, candidateSegment: Int, firstTs: Int64,
         lastTs: Int64, vantage v: Vantage, icmp ic: ICMPTally, decision d: Decision) {
        self.id = id
        self.clientName = clientName
        self.serverName = serverName
        self.clientRoleBits = clientRoleBits
        self.serverRoleBits = serverRoleBits
        self.carries = carries
        state = v.connState(proto: proto)
        direction = v.inferred ? .inferred : .observed
        // The quoting-originator errors are a part of all errors: the `&-` cannot underflow.
        clientPackets = v.orig.packets &+ (ic.icmpPackets &- ic.icmpQuotingOrigPackets)
        serverPackets = v.resp.packets &+ ic.icmpQuotingOrigPackets
        clientBytes = v.orig.bytes &+ (ic.icmpBytes &- ic.icmpQuotingOrigBytes)
        serverBytes = v.resp.bytes &+ ic.icmpQuotingOrigBytes
        icmpErrorBytes = ic.icmpBytes
        firstTimestamp = firstTs
        lastTimestamp = lastTs
        self.sourceBits = sourceBits
        self.uidHash = uidHash
        self.candidateSegment = candidateSegment
        self.v = v
        self.ic = ic
        self.d = d
    }

    public var tunnel: TunnelKind { id.tunnel }
    /// The VLAN tag stack packed as in the key: `vlanCount`, `vlan(_:)`.
    public var vlanCount: Int { Int((id.vlanStack >> 48) & 0xF) }
    /// Tag `i` (< `vlanCount`), outermost first.
    public func vlan(_ i: Int) -> UInt16 { UInt16(truncatingIfNeeded: id.vlanStack >> UInt64(36 - 12 * i)) & 0x0FFF }

    /// The entry naming the flow's component (-1: none).
    public var componentID: Int32 { d.componentID }
    /// The entry the flow exercised (-1: none, or wrong-role).
    public var entryID: Int32 { d.entryID }
    /// 0: no candidates; 1: every candidate when several components list the port; 2: always.
    public var candidateListing: UInt8 { d.listCandidates }
    public var verdict: Verdict { d.primary }
    /// Bit `Verdict.rank` for each verdict.
    public var verdictBits: UInt8 { d.bits }

    public var clientPayloadBytes: UInt64 { v.orig.payload }
    public var serverPayloadBytes: UInt64 { v.resp.payload }
    public var clientTCPFlags: UInt16 { v.orig.flags }
    public var serverTCPFlags: UInt16 { v.resp.flags }
    public var icmpErrors: UInt64 { ic.icmpPackets }
    public var icmpType: UInt8 { ic.icmpType }
    public var icmpCode: UInt8 { ic.icmpCode }
    public var fragments: UInt64 { ic.fragments }
    public var icmpKindCount: Int { Int(ic.kindCount) }
    public var icmpOtherKinds: UInt64 { ic.otherKinds }
    public var firstFrame: UInt64 { v.firstFrame }
    public var lastFrame: UInt64 { v.lastFrame }
    public var evidenceSource: UInt32 { v.source }

    /// The history letters, in a buffer on the stack.
    public func withHistory<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { v.withHistory(body) }

    /// The `uid` ("C" and base-62 digits), in a buffer on the stack.
    public func withUID<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { FlowAnalyzer.withUID(uidHash, body) }

    /// Writes the uid into `out` (room for 12 bytes); returns its length.
    public func writeUID(into out: UnsafeMutablePointer<UInt8>) -> Int { FlowAnalyzer.writeUID(uidHash, into: out) }

    /// Writes the history letters into `out` (room for 24 bytes); returns their count.
    public func writeHistory(into out: UnsafeMutablePointer<UInt8>) -> Int { v.writeHistory(into: out) }

    /// The ICMP errors by kind, ordered by (type, code) as `FlowRecord.icmpKinds`.
    public func forEachICMPKind(_ body: (ICMPKind) -> Void) {
        // Distinct (type, code) pairs, at most 4: each round takes the least above the last one.
        var last = -1
        for _ in 0..<Int(ic.kindCount) {
            var best = -1, at = 0
            for i in 0..<Int(ic.kindCount) {
                let k = ic.kind(i)
                let key = Int(k.type) << 8 | Int(k.code)
                if key > last && (best < 0 || key < best) { best = key; at = i }
            }
            if best < 0 { return }
            last = best
            let k = ic.kind(at)
            body(ICMPKind(type: k.type, code: k.code, count: k.count, firstFrame: k.firstFrame))
        }
    }

    /// Every verdict's evidence, in precedence order.
    public func forEachEvidence(_ body: (EvidenceItem) -> Void) {
        let first = v.firstFrame
        let syn = v.synFrame
        var bits = d.bits
        while bits != 0 {
            let verdict = Verdict(rank: bits.trailingZeroBitCount)
            bits &= bits &- 1  // bits != 0 in the loop: no underflow
            var e = EvidenceItem(verdict: verdict, frame0: first, frame1: 0, frameCount: 1, confidence: .high,
                                 note: .none, oneSided: false)
            switch verdict {
            case .blockedDrop where id.proto == .tcp:
                e.frame0 = syn
                if v.lastFrame != syn { e.frame1 = v.lastFrame; e.frameCount = 2 }
                e.note = .synsNoAnswer(v.orig.packets)
            case .blockedDrop:
                if v.lastFrame != first { e.frame1 = v.lastFrame; e.frameCount = 2 }
                e.confidence = .low
                e.note = .datagramsNoAnswer(v.orig.packets)
            case .blockedRST:
                e.frame0 = syn
                e.frame1 = v.respRSTFrame
                e.frameCount = 2
                e.note = .rstAnswer
            case .blockedICMP:
                e.frame0 = ic.unreachableFrame
                e.note = .unreachable(version: ic.icmpVersion, code: ic.icmpCode)
            default:
                switch d.rule {
                case .outboundDestination: e.note = .outboundDestination
                case .noCatalogPort: e.note = .noCatalogPort(id.proto, id.serverPort)
                case .rolesUnknown: e.note = .rolesUnknown
                case .serverNotInInventory: e.note = .serverNotInInventory
                case .clusterOnlyFromOutside: e.note = .clusterOnlyFromOutside
                case .none: e.note = .none
                case .servedBy: e.note = .servedBy(roleBits: serverRoleBits)
                case .noCatalogProtocol: e.note = .noCatalogProtocol(id.proto)
                }
                if d.rule != .noCatalogProtocol && syn != 0 && syn != first {
                    e.frame1 = syn
                    e.frameCount = 2
                }
                e.oneSided = d.oneSidedNotBlocked
            }
            body(e)
        }
    }
}

extension CompiledCatalog {
    /// The candidates a flow to (transport, port) lists: "component (catalog)" of every entry
    /// listing the port, most specific first, each once.
    public func candidateTexts(_ t: Transport, _ port: UInt16) -> [String] {
        var comps: [String] = []
        for id in candidates(t, port) {
            let c = "\(entries[Int(id)].component) (\(entries[Int(id)].catalogID))"
            if !comps.contains(c) { comps.append(c) }
        }
        return comps
    }
}
