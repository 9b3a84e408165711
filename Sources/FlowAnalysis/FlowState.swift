import PacketWire

/// Zeek's TCP endpoint states (`TCP_ENDPOINT_*`), from which the connection state is derived.
@usableFromInline
enum EndpointState: UInt8, Sendable {
    case inactive = 0, synSent, synAckSent, partial, established, closed, reset
}

/// Which sequence fields of a `SideCounters` are set.
@usableFromInline
enum SeqBits {
    /// `seqStart`, `seqLast`, `seqContig` hold values (from this side's packets or the peer's ACK).
    @usableFromInline static let set: UInt8 = 1
    /// … from a packet this side sent (Zeek's `init_endpoint`, not `init_peer`).
    @usableFromInline static let own: UInt8 = 2
    @usableFromInline static let outOfOrder: UInt8 = 4
    @usableFromInline static let fin: UInt8 = 8
}

/// `a - b` as a signed distance in sequence space (Zeek's `seq_delta`).
@inlinable @inline(__always) func seqDelta(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

/// 1, 10, 100, …: where Zeek records a scaled history letter again (`ScaledHistoryEntry`, base 10).
@inlinable func isScaledThreshold(_ n: UInt16) -> Bool {
    n == 1 || n == 10 || n == 100 || n == 1_000 || n == 10_000
}

/// One more event (saturating at 65,535: no letter after 10,000).
@inlinable @inline(__always) func bump(_ c: inout UInt16) { if c < UInt16.max { c &+= 1 } }

/// TCP flag bits as the decoder reports them.
@usableFromInline
enum TCPFlag {
    @usableFromInline static let fin: UInt16 = 0x01
    @usableFromInline static let syn: UInt16 = 0x02
    @usableFromInline static let rst: UInt16 = 0x04
    @usableFromInline static let ack: UInt16 = 0x10
}

/// One direction of a flow: what its sender sent. Its UInt64 counts use `&+`: packets and wire
/// bytes cannot overflow 64 bits (see `Counters`).
@usableFromInline
struct SideCounters: Sendable, Equatable {
    @usableFromInline var packets: UInt64 = 0
    /// Original (wire) length of the frames.
    @usableFromInline var bytes: UInt64 = 0
    /// Transport payload bytes as the headers state them.
    @usableFromInline var payload: UInt64 = 0

    // Fields by decreasing size (the UInt64s, the UInt32s, the UInt16s, the bytes): 55 bytes
    // without padding, so the next field of `Vantage` can take the 56th (Swift lays a struct's
    // field after the previous one's size, not its stride).

    // Sequence state of what this side sent (Zeek's `TCP_Endpoint` and, for gaps, its
    // reassembler's delivered edge), absolute 32-bit numbers compared modulo 2^32 (`seqDelta`).
    /// Zeek's `StartSeq`: the initial sequence number, or the one before the first seen.
    @usableFromInline var seqStart: UInt32 = 0
    /// Zeek's `LastSeq`: one past the highest sequence number sent (SYN and FIN count one).
    @usableFromInline var seqLast: UInt32 = 0
    /// Data seen without a hole up to here (Zeek's `last_reassem_seq`), or acknowledged by the peer.
    @usableFromInline var seqContig: UInt32 = 0
    /// Start of the data seen beyond a hole (`SeqBits.outOfOrder`): everything from there to
    /// `seqLast` counts as seen (one block, where Zeek keeps a list).
    @usableFromInline var seqHole: UInt32 = 0
    /// One past the FIN (`SeqBits.fin`): Zeek caps the peer's acknowledgements at the FIN.
    @usableFromInline var seqFin: UInt32 = 0
    /// Retransmissions, zero windows and content gaps (Zeek's `rxmt_cnt`, `win0_cnt`, `gap_cnt`):
    /// the letter is recorded at 1, 10, 100, 1000 and 10,000 of each. 16 bits, saturating: Zeek
    /// would record a sixth at 100,000 (8 bytes a flow saved for an event no flow has that often).
    @usableFromInline var retransmissions: UInt16 = 0
    @usableFromInline var zeroWindows: UInt16 = 0
    @usableFromInline var gaps: UInt16 = 0
    /// OR of the TCP flags sent.
    @usableFromInline var flags: UInt16 = 0
    @usableFromInline var state: EndpointState = .inactive
    @usableFromInline var prevState: EndpointState = .inactive
    /// `SeqBits`: which of the sequence fields above are set.
    @usableFromInline var seqBits: UInt8 = 0

    @inlinable init() {}

    @inlinable mutating func set(_ s: EndpointState) {
        prevState = state
        state = s
    }
}

/// Everything one vantage point (one source) saw of a flow: the two directions (originator and
/// responder, Zeek's `orig`/`resp`, which are the client and the server), the TCP state machine,
/// the history and the evidence frames. Frame numbers are 1-based within the source; 0 = none.
///
/// A flow's state is 192 bytes, most of it this: frames after the first are kept as 32-bit
/// offsets from it (a flow spanning more than 4 G frames of one source keeps its last ones
/// saturated), the history as 5-bit letter codes (24 at most), each side's sequence state in its
/// `SideCounters`, and the ICMP errors quoting the flow (few flows have any) in the analyzer's side
/// table at `icmpIndex`.
@usableFromInline
struct Vantage: Sendable {
    // Declared in an order that leaves no padding: each 55-byte side followed by a byte, then the
    // UInt32s, the UInt64s, the rest (163 bytes; `LayoutTests`).
    @usableFromInline var orig = SideCounters()
    @usableFromInline var historyCount: UInt8 = 0
    @usableFromInline var resp = SideCounters()
    /// Whether the originator (client) is endpoint A of the key.
    @usableFromInline var origIsA: Bool
    @usableFromInline var source: UInt32
    /// Frame − firstFrame of the last packet; (frame − firstFrame + 1) of the evidence frames, 0 = none.
    @usableFromInline var lastOffset: UInt32 = 0
    @usableFromInline var synOffset: UInt32 = 0
    @usableFromInline var synAckOffset: UInt32 = 0
    @usableFromInline var respRSTOffset: UInt32 = 0
    /// Index of this vantage's ICMP errors in `FlowAnalyzer.icmp`, -1 for none.
    @usableFromInline var icmpIndex: Int32 = -1
    @usableFromInline var firstFrame: UInt64
    /// Zeek history letters in order, 5 bits each (`historyLetters` index × 2, + 1 for the
    /// responder), slots 0–11 in `.0`, 12–23 in `.1`.
    @usableFromInline var historyCodes: (UInt64, UInt64) = (0, 0)
    /// Bit per (letter, side) already recorded.
    @usableFromInline var historySeen: UInt16 = 0
    /// Client and server were inferred (catalog, then port heuristics), not seen in a handshake.
    @usableFromInline var inferred: Bool

    @inlinable init(source: UInt32, origIsA: Bool, inferred: Bool, frame: UInt64) {
        self.source = source
        self.origIsA = origIsA
        self.inferred = inferred
        self.firstFrame = frame
    }

    /// A frame's offset from the first (saturated; a frame before the first, which one source's
    /// frames never are, counts as the first).
    @inlinable @inline(__always) func offset(_ frame: UInt64) -> UInt32 {
        frame > firstFrame ? UInt32(clamping: frame &- firstFrame) : 0  // frame > firstFrame: no underflow
    }

    // The getters below add an offset of at most frame − firstFrame back to firstFrame (≤ the frame,
    // cannot overflow); `offset &- 1` runs only when offset != 0; `min(…, UInt32.max − 1) &+ 1`
    // stays ≤ UInt32.max.
    @inlinable var lastFrame: UInt64 {
        get { firstFrame &+ UInt64(lastOffset) }
        set { lastOffset = offset(newValue) }
    }
    /// First pure SYN from the originator; first SYN-ACK from the responder.
    @inlinable var synFrame: UInt64 {
        get { synOffset == 0 ? 0 : firstFrame &+ UInt64(synOffset &- 1) }
        set { synOffset = newValue == 0 ? 0 : min(offset(newValue), UInt32.max - 1) &+ 1 }
    }
    @inlinable var synAckFrame: UInt64 {
        get { synAckOffset == 0 ? 0 : firstFrame &+ UInt64(synAckOffset &- 1) }
        set { synAckOffset = newValue == 0 ? 0 : min(offset(newValue), UInt32.max - 1) &+ 1 }
    }
    /// First RST from the responder.
    @inlinable var respRSTFrame: UInt64 {
        get { respRSTOffset == 0 ? 0 : firstFrame &+ UInt64(respRSTOffset &- 1) }
        set { respRSTOffset = newValue == 0 ? 0 : min(offset(newValue), UInt32.max - 1) &+ 1 }
    }

    @inlinable var packets: UInt64 { orig.packets &+ resp.packets }  // packet counts: cannot overflow

    // MARK: history

    /// Records history letter `letter` (upper case; lower-cased for the responder) the first
    /// time; `bit` is 1 << its index in `historyLetters` (the once-per-side letters S H A D F R I Q).
    @inlinable @inline(__always) mutating func history(_ letter: UInt8, bit: UInt16, fromOrig: Bool) {
        let b: UInt16 = fromOrig ? bit : bit << 8
        if historySeen & b != 0 { return }
        historySeen |= b
        appendHistory(UInt8(bit.trailingZeroBitCount << 1 | (fromOrig ? 0 : 1)))
    }

    /// Most letters a history keeps (Zeek's is unbounded; 8 once-letters per side and the
    /// scaled ones at 1, 10, 100, … fit unless a flow has thousands of retransmissions, gaps and
    /// zero windows on both sides).
    @usableFromInline static let historyCapacity = 24

    /// Appends one letter code (`historyLetters` index × 2 + 1 for the responder); dropped when full.
    @inlinable mutating func appendHistory(_ code: UInt8) {
        let i = Int(historyCount)
        guard i < Vantage.historyCapacity else { return }
        if i < 12 {
            historyCodes.0 |= UInt64(code) << (5 * UInt64(i))
        } else {
            historyCodes.1 |= UInt64(code) << (5 * UInt64(i - 12))
        }
        historyCount &+= 1  // i < capacity: cannot overflow
    }

    /// The code of history letter `i` (< `historyCount`).
    @usableFromInline func historyCode(_ i: Int) -> Int {
        i < 12 ? Int(historyCodes.0 >> (5 * UInt64(i)) & 0x1F) : Int(historyCodes.1 >> (5 * UInt64(i - 12)) & 0x1F)
    }

    /// A scaled letter (T, G, W: Zeek's `ScaledHistoryEntry`): recorded when `count` reaches 1, 10, 100, …
    @inlinable mutating func scaledHistory(_ index: Int, count: UInt16, fromOrig: Bool) {
        if isScaledThreshold(count) { appendHistory(UInt8(index << 1 | (fromOrig ? 0 : 1))) }
    }

    /// The letters of the history codes: the once-letters in bit order, then T (retransmission),
    /// G (content gap), W (zero window), ^ (the first packet's sender is not the client).
    static let historyLetters: [UInt8] = Array("SHADFRIQTGW^".utf8)
    @usableFromInline static let indexT = 8, indexG = 9, indexW = 10, indexFlip = 11

    var historyString: String { withHistory { String(decoding: $0, as: UTF8.self) } }

    /// The history letters in a buffer on the stack.
    func withHistory<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var bytes: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &bytes) { buf in
            let n = writeHistory(into: buf.baseAddress!.assumingMemoryBound(to: UInt8.self))  // 24 bytes: the capacity
            return body(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// Writes the history letters into `out` (room for `historyCapacity` bytes); returns their count.
    @inline(__always) func writeHistory(into out: UnsafeMutablePointer<UInt8>) -> Int {
        let letters: StaticString = "SHADFRIQTGW^"
        let n = Int(historyCount)
        var codes = historyCodes.0
        for i in 0..<n {
            if i == 12 { codes = historyCodes.1 }
            let code = Int(codes & 0x1F)
            codes >>= 5
            // 0x20: ASCII lower case; '^' has no case.
            out[i] = letters.utf8Start[code >> 1] | (code & 1 == 0 || code >> 1 == Vantage.indexFlip ? 0 : 0x20)
        }
        return n
    }

    /// Starts the history with `^` (Zeek's `FlipRoles` when a connection is created): the first
    /// packet's sender is not the client.
    @inlinable mutating func flipped() {
        appendHistory(UInt8(Vantage.indexFlip << 1))
    }

    // MARK: packets

    /// Counts one packet of the flow in the direction it went.
    @inlinable mutating func count(fromOrig: Bool, wire: UInt32, payload: UInt32, frame: UInt64) {
        if fromOrig {
            orig.packets &+= 1
            orig.bytes &+= UInt64(wire)
            orig.payload &+= UInt64(payload)
        } else {
            resp.packets &+= 1
            resp.bytes &+= UInt64(wire)
            resp.payload &+= UInt64(payload)
        }
        lastOffset = offset(frame)
    }

    /// UDP and other port protocols: Zeek records `D`/`d` for packets with payload.
    @inlinable mutating func datagram(fromOrig: Bool, payload: UInt32) {
        if payload > 0 { history(UInt8(ascii: "D"), bit: 1 << 3, fromOrig: fromOrig) }
    }

    /// TCP: history letters (Zeek's `update_history`) and the endpoint state machine (Zeek's
    /// `UpdateStateMachine`), without sequence numbers (so a repeated SYN is recorded once).
    @inlinable mutating func tcp(fromOrig: Bool, flags: UInt16, payload: UInt32, frame: UInt64) {
        if fromOrig { orig.flags |= flags } else { resp.flags |= flags }
        let control = flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst)
        let ack = flags & TCPFlag.ack != 0

        // Fast path, most packets of a connection: no SYN/FIN/RST, endpoint established.
        if control == 0 {
            if payload > 0 {
                history(UInt8(ascii: "D"), bit: 1 << 3, fromOrig: fromOrig)
            } else if ack {
                history(UInt8(ascii: "A"), bit: 1 << 2, fromOrig: fromOrig)
            }
            // Without SYN/FIN/RST only an inactive endpoint moves (to partial or established).
            if (fromOrig ? orig.state : resp.state) != .inactive { return }
        } else {
            let syn = control & TCPFlag.syn != 0
            let fin = control & TCPFlag.fin != 0
            let rst = control & TCPFlag.rst != 0
            // Evidence frames.
            if syn && !ack && fromOrig && synFrame == 0 { synFrame = frame }
            if syn && ack && !fromOrig && synAckFrame == 0 { synAckFrame = frame }
            if rst && !fromOrig && respRSTFrame == 0 { respRSTFrame = frame }
            // History: one control flag gives its letter, several give I (FIN+RST) or Q.
            if control & (control &- 1) != 0 {  // control != 0 in this branch: no underflow
                if fin && rst { history(UInt8(ascii: "I"), bit: 1 << 6, fromOrig: fromOrig) }
                else { history(UInt8(ascii: "Q"), bit: 1 << 7, fromOrig: fromOrig) }
            } else if syn {
                if ack { history(UInt8(ascii: "H"), bit: 1 << 1, fromOrig: fromOrig) }
                else { history(UInt8(ascii: "S"), bit: 1 << 0, fromOrig: fromOrig) }
            } else if fin {
                history(UInt8(ascii: "F"), bit: 1 << 4, fromOrig: fromOrig)
            } else {
                history(UInt8(ascii: "R"), bit: 1 << 5, fromOrig: fromOrig)
            }
        }
        if fromOrig {
            Vantage.step(&orig, &resp, isOrig: true, origState: orig.state, flags: flags, payload: payload)
        } else {
            Vantage.step(&resp, &orig, isOrig: false, origState: orig.state, flags: flags, payload: payload)
        }
    }

    /// Zeek's endpoint state machine for a packet sent by `ep`.
    @inlinable static func step(_ ep: inout SideCounters, _ peer: inout SideCounters, isOrig: Bool,
                                origState: EndpointState, flags: UInt16, payload: UInt32) {
        let syn = flags & TCPFlag.syn != 0
        let fin = flags & TCPFlag.fin != 0
        let rst = flags & TCPFlag.rst != 0
        let ack = flags & TCPFlag.ack != 0
        switch ep.state {
        case .inactive:
            if syn {
                if isOrig {
                    ep.set(ack ? .synAckSent : .synSent)
                } else {
                    if !ack && peer.state == .synAckSent { peer.set(.established) }
                    if peer.state == .synSent { peer.set(.established) }
                    ep.set(.established)
                }
            }
            if fin { ep.set(.closed) }
            if rst { ep.set(.reset) }
            if ep.state == .inactive {
                if !isOrig && payload == 0 && origState == .synSent {
                    // An ACK of the SYN before the SYN-ACK (some stacks do this): not a partial connection.
                } else if ack && peer.state == .established {
                    ep.set(.established)
                } else {
                    ep.set(.partial)
                }
            }
        case .synSent, .synAckSent:
            if fin { ep.set(.closed) }
            if rst { ep.set(.reset) }
        case .established, .partial:
            if syn && ep.state == .partial && peer.state == .inactive && !ack { ep.set(.synSent) }
            if fin && !rst {
                ep.set(.closed)
                // The peer's FIN then RST was a normal close after all.
                if peer.state == .reset && peer.prevState == .closed { peer.set(.closed) }
            }
            if rst { ep.set(.reset) }
        case .closed:
            if rst && peer.state != .closed { ep.set(.reset) }
        case .reset:
            break
        }
    }

    /// Zeek's `conn_state` for this vantage.
    func connState(proto: UInt8) -> ConnState {
        if proto != 6 {
            // UDP and the other port protocols: active = sent at least one packet.
            let o = orig.packets > 0, r = resp.packets > 0
            if o { return r ? .SF : .S0 }
            return r ? .SHR : .OTH
        }
        let os = orig.state, rs = resp.state
        let oInactive = os == .inactive || os == .partial
        let rInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synAckSent || (os == .reset && orig.payload == 0 && resp.payload == 0) {
                return .REJ
            }
            return oInactive ? .RSTRH : .RSTR
        }
        if os == .reset {
            if rInactive { return historyMatchesRSTOS0 ? .RSTOS0 : .OTH }
            return .RSTO
        }
        if rs == .closed && os == .closed { return .SF }
        if os == .closed { return rInactive ? .SH : .S2 }
        if rs == .closed { return oInactive ? .SHR : .S3 }
        if os == .synSent && rs == .inactive { return .S0 }
        if os == .established && rs == .established { return .S1 }
        return .OTH
    }

    /// Zeek's `^?S[^HAFGIQ]*R.*` on the history.
    var historyMatchesRSTOS0: Bool {
        withHistory { h in
            var chars = h[...]
            if chars.first == UInt8(ascii: "^") { chars = chars.dropFirst() }
            guard chars.first == UInt8(ascii: "S") else { return false }
            for c in chars.dropFirst() {
                if c == UInt8(ascii: "R") { return true }
                // H A F G I Q
                if c == 0x48 || c == 0x41 || c == 0x46 || c == 0x47 || c == 0x49 || c == 0x51 { return false }
            }
            return false
        }
    }
}

/// Zeek `conn.log` connection states.
public enum ConnState: String, Sendable, CaseIterable {
    case S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH
}

/// Per-flow state in the table: the vantage currently being fed, a link to the flow's entry in
/// the multi-source side table (flows seen by several sources), and flow-wide facts. 192 bytes
/// (`LayoutTests`).
@usableFromInline
struct FlowState: Sendable {
    @usableFromInline var current: Vantage
    /// For an inner flow: the tunnel that carried it. For a carrier: the tunnel it carries.
    @usableFromInline var tunnel: UInt8
    @usableFromInline var carrier: Bool
    /// Its key has had several connections (`Connections.swift`): some are in `closed`.
    @usableFromInline var chained = false
    /// Index into the analyzer's multi-source side table (`finished`, `finishedSources`,
    /// `finishedOrigin`), or -1 while only one source saw the flow.
    @usableFromInline var best: Int32 = -1
    @usableFromInline var firstTs: Int64
    @usableFromInline var lastTs: Int64

    @inlinable init(current: Vantage, ts: Int64, tunnel: UInt8, carrier: Bool) {
        self.current = current
        self.firstTs = ts
        self.lastTs = ts
        self.tunnel = tunnel
        self.carrier = carrier
    }
}

/// ICMP errors quoting one vantage of a flow (a side table: most flows have none).
@usableFromInline
struct ICMPTally: Sendable, Equatable {
    @usableFromInline var icmpPackets: UInt64 = 0
    @usableFromInline var icmpBytes: UInt64 = 0
    /// Of those: errors quoting a packet the originator sent (they travel to the originator, so
    /// reports count them on the responder's side, as the error answers the client's packet).
    @usableFromInline var icmpQuotingOrigPackets: UInt64 = 0
    @usableFromInline var icmpQuotingOrigBytes: UInt64 = 0
    /// First destination-unreachable: its frame, type and code.
    @usableFromInline var unreachableFrame: UInt64 = 0
    @usableFromInline var icmpType: UInt8 = 0
    @usableFromInline var icmpCode: UInt8 = 0
    @usableFromInline var icmpVersion: UInt8 = 0

    // Fragments and ICMP detail (issue 11): the side table also holds them, per vantage.
    /// Fragmented packets of the flow (first fragments included).
    @usableFromInline var fragments: UInt64 = 0
    /// Distinct (type, code) of the ICMP errors quoting the flow, first `kindCount` used; errors of
    /// further kinds are counted in `otherKinds`.
    @usableFromInline var kinds: (ICMPKindTally, ICMPKindTally, ICMPKindTally, ICMPKindTally) =
        (ICMPKindTally(), ICMPKindTally(), ICMPKindTally(), ICMPKindTally())
    @usableFromInline var kindCount: UInt8 = 0
    @usableFromInline var otherKinds: UInt64 = 0
    @usableFromInline init() {}
}

extension FlowState {
    /// Where a flow began, as one ordered number: source, frame, then the frame's outer flow before
    /// its inner one. Sources are read one after another and frames in order, so this is the
    /// creation order of one analyzer, and the merge order of analyzers that split the packets.
    @inlinable static func origin(source: UInt32, frame: UInt64, inner: Bool) -> UInt64 {
        UInt64(min(source, 0x3_FFFF)) << 46 | min(frame, (1 << 45) - 1) << 1 | (inner ? 1 : 0)
    }

    /// Counts one packet of the flow (`fromA`: sent by endpoint A of the key) and runs the TCP
    /// state machine, the sequence tracking or the datagram history. Returns the packet's raw
    /// sequence events (`SeqEvent`), which only a continuation part (`ByteSplit.swift`) reads.
    @inlinable mutating func packet(fromA: Bool, proto: UInt8, payload: UInt32, flags: UInt16, hasFlags: Bool,
                                    wire: UInt32, frame: UInt64, ts: Int64, seg: TCPSegment) -> UInt8 {
        let fromOrig = fromA == current.origIsA
        current.count(fromOrig: fromOrig, wire: wire, payload: payload, frame: frame)
        if ts > lastTs { lastTs = ts }
        if ts < firstTs { firstTs = ts }
        if proto == 6 {  // TCP (raw value: no cross-module static accessor per packet)
            guard hasFlags else { return 0 }
            return current.segment(fromOrig: fromOrig, flags: flags, payload: payload, frame: frame, seg: seg)
        }
        current.datagram(fromOrig: fromOrig, payload: payload)
        return 0
    }
}

/// What the sequence tracking reads of a TCP header besides the flags.
@usableFromInline
struct TCPSegment: Sendable {
    @usableFromInline var seq: UInt32
    @usableFromInline var ack: UInt32
    @usableFromInline var window: UInt16
    /// The whole payload was captured (Zeek delivers no data from a cut segment: a later ACK of
    /// it is a content gap).
    @usableFromInline var complete: Bool

    @inlinable init(seq: UInt32, ack: UInt32, window: UInt16, complete: Bool) {
        self.seq = seq
        self.ack = ack
        self.window = window
        self.complete = complete
    }
}

/// Raw sequence events of one packet, before Zeek's state conditions (for `ByteSplit.swift`).
@usableFromInline
enum SeqEvent {
    @usableFromInline static let retransmission: UInt8 = 1
    @usableFromInline static let zeroWindow: UInt8 = 2
    /// An acknowledgement beyond the data seen of the peer's stream.
    @usableFromInline static let gap: UInt8 = 4
}

extension Vantage {
    /// One TCP segment, in the order of Zeek's `TCPSessionAdapter::DeliverPacket`: the sender's
    /// sequence start (`init_endpoint`), the history letter (`update_history`), a zero window
    /// (`update_window`), the peer's start from the ACK (`init_peer`), a retransmission
    /// (`update_last_seq`), the state machine, content gaps in the peer's stream revealed by the
    /// ACK (`AckReceived`, after the state machine), then the sender's own data as seen
    /// (`DataSent`).
    @inlinable @inline(__always)
    mutating func segment(fromOrig: Bool, flags: UInt16, payload: UInt32, frame: UInt64, seg: TCPSegment) -> UInt8 {
        // Most packets of a connection are in order: tested and applied inline (`inOrder`), the
        // rest out of line, so this part stays small enough to inline into the read loop.
        let letter = fromOrig
            ? Vantage.inOrder(&orig, &resp, flags: flags, payload: payload, seg: seg)
            : Vantage.inOrder(&resp, &orig, flags: flags, payload: payload, seg: seg)
        if _fastPath(letter != Vantage.declined) {
            // `tcp`'s only work for such a segment: its letter, D or A, the first time.
            if letter != 0 { history(letter == 1 << 3 ? UInt8(ascii: "D") : UInt8(ascii: "A"), bit: letter, fromOrig: fromOrig) }
            return 0
        }
        return segmentFull(fromOrig: fromOrig, flags: flags, payload: payload, frame: frame, seg: seg)
    }

    /// `inOrder`: the segment needs the full steps (`segmentFull`).
    @usableFromInline static let declined: UInt16 = 0xFFFF

    /// The common TCP segment, sent by `ep`: no SYN/FIN/RST, a window, both endpoints past
    /// inactive (the peer only matters when the segment acknowledges) and the sender not reset,
    /// data beyond what it sent before (no retransmission), an acknowledgement not beyond what was
    /// seen of the peer's stream (no gap), and data that continues the sender's stream without a
    /// hole. Then `segmentFull` would only add the flags to the sender's, move its last and
    /// contiguous sequence numbers and record the history letter (D with data, else A with an
    /// ACK): done here but the letter, whose bit it returns (0 for none). `declined`, with nothing
    /// changed, for any other segment.
    @inlinable @inline(__always)
    static func inOrder(_ ep: inout SideCounters, _ peer: inout SideCounters, flags: UInt16, payload: UInt32,
                        seg: TCPSegment) -> UInt16 {
        let ack = flags & TCPFlag.ack != 0
        // Not inactive (0) nor reset (6): one unsigned comparison.
        guard flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst) == 0, seg.window != 0,
              ep.state.rawValue &- 1 < EndpointState.reset.rawValue &- 1 else { return declined }
        if ack {
            guard peer.state != .inactive else { return declined }
            var a = seg.ack
            if _slowPath(peer.seqBits & SeqBits.fin != 0) && seqDelta(a, peer.seqFin) >= 0 { a = peer.seqFin &- 1 }
            guard seqDelta(a, peer.seqContig) <= 0 else { return declined }
        }
        let end = seg.seq &+ payload
        if payload == 0 {
            if seqDelta(end, ep.seqLast) > 0 { ep.seqLast = end }
        } else {
            guard seqDelta(end, ep.seqLast) > 0 else { return declined }
            if seg.complete && ep.seqBits & SeqBits.own != 0 && seqDelta(seg.seq, ep.seqStart) > 0
                && seqDelta(end, ep.seqContig) > 0 {
                guard seqDelta(seg.seq, ep.seqContig) <= 0, ep.seqBits & SeqBits.outOfOrder == 0 else {
                    return declined
                }
                ep.seqContig = end
            }
            ep.seqLast = end
        }
        ep.flags |= flags
        return payload > 0 ? 1 << 3 : ack ? 1 << 2 : 0
    }

    /// Every step of `segment` (see there), out of line: the packets `inOrder` declines.
    @usableFromInline @inline(never)
    mutating func segmentFull(fromOrig: Bool, flags: UInt16, payload: UInt32, frame: UInt64, seg: TCPSegment) -> UInt8 {
        var raw: UInt8 = 0
        let w: Bool, t: Bool
        if fromOrig {
            (w, t) = Vantage.beforeState(&orig, &resp, flags: flags, payload: payload, seg: seg, raw: &raw)
        } else {
            (w, t) = Vantage.beforeState(&resp, &orig, flags: flags, payload: payload, seg: seg, raw: &raw)
        }

        // Most packets of a connection change nothing here: no SYN/FIN/RST, no flag bit this side
        // has not sent before, the history letter (D or A) already recorded, and the endpoint
        // past inactive. `tcp` would return having done nothing.
        var skip = false
        if flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst) == 0 {
            let sent = fromOrig ? orig.flags : resp.flags
            let letter: UInt16 = payload > 0 ? 1 << 3 : flags & TCPFlag.ack != 0 ? 1 << 2 : 0
            let seen = historySeen & (fromOrig ? letter : letter << 8) == (fromOrig ? letter : letter << 8)
            let state = fromOrig ? orig.state : resp.state
            skip = flags & ~sent == 0 && seen && state != .inactive
        }
        if !skip { tcp(fromOrig: fromOrig, flags: flags, payload: payload, frame: frame) }
        if _slowPath(w) {
            if fromOrig { bump(&orig.zeroWindows) } else { bump(&resp.zeroWindows) }
            scaledHistory(Vantage.indexW, count: fromOrig ? orig.zeroWindows : resp.zeroWindows, fromOrig: fromOrig)
        }
        if _slowPath(t) {
            if fromOrig { bump(&orig.retransmissions) } else { bump(&resp.retransmissions) }
            scaledHistory(Vantage.indexT, count: fromOrig ? orig.retransmissions : resp.retransmissions,
                          fromOrig: fromOrig)
        }
        if flags & TCPFlag.ack != 0 {
            let n = fromOrig ? Vantage.acked(&resp, &orig, ack: seg.ack, partial: inferred, raw: &raw)
                             : Vantage.acked(&orig, &resp, ack: seg.ack, partial: inferred, raw: &raw)
            if _slowPath(n > 0) { gapped(n, streamOfOrig: !fromOrig) }
        }
        if payload > 0 && seg.complete && flags & TCPFlag.rst == 0 {
            if fromOrig {
                Vantage.delivered(&orig, seq: seg.seq, flags: flags, payload: payload)
            } else {
                Vantage.delivered(&resp, seq: seg.seq, flags: flags, payload: payload)
            }
        }
        return raw
    }

    /// Before the state machine: the sender's sequence start, whether the packet is a zero window
    /// (W) and whether it retransmits (T), and the peer's start from an ACK while it is inactive.
    @inlinable @inline(__always)
    static func beforeState(_ ep: inout SideCounters, _ peer: inout SideCounters, flags: UInt16, payload: UInt32,
                            seg: TCPSegment, raw: inout UInt8) -> (zeroWindow: Bool, retransmission: Bool) {
        let syn = flags & TCPFlag.syn != 0, fin = flags & TCPFlag.fin != 0, rst = flags & TCPFlag.rst != 0
        // Zeek's segment length: SYN and FIN take one sequence number; a RST's payload none.
        var segLen = rst ? 0 : payload
        if syn { segLen &+= 1 }
        if fin { segLen &+= 1 }
        let end = seg.seq &+ segLen  // modulo 2^32, as sequence numbers are
        if _slowPath(ep.state == .inactive || syn) { initEndpoint(&ep, syn: syn, seq: seg.seq, end: end) }
        if _slowPath(fin) {
            ep.seqFin = end  // Zeek's FIN_seq: one past the FIN
            ep.seqBits |= SeqBits.fin
        }

        var zeroWindow = false
        if _slowPath(seg.window == 0) && !rst {
            raw |= SeqEvent.zeroWindow
            zeroWindow = peer.state != .closed && ep.state != .reset
        }
        if _slowPath(flags & TCPFlag.ack != 0 && peer.state == .inactive) {
            // Zeek's `init_peer`: number the peer's bytes as if its SYN had been seen.
            peer.seqStart = seg.ack &- 1
            peer.seqLast = seg.ack &- 1
            peer.seqContig = seg.ack
            peer.seqBits = SeqBits.set
        }

        // Zeek's `update_last_seq`.
        let delta = seqDelta(end, ep.seqLast)
        var retransmission = false
        if _slowPath((syn || rst) && (delta > 1_048_576 || delta < -1_048_576)) {
            // A SYN or RST far from the sequence seen: not trusted.
        } else if _slowPath(fin && ep.seqLast == ep.seqStart &+ 1) {
            ep.seqLast = end  // only the SYN seen before this FIN (a connection over 2 GB)
        } else if _slowPath(ep.state == .reset) {
            // Nothing after a RST is trusted.
        } else if delta > 0 {
            ep.seqLast = end
        } else if payload > 0 {
            retransmission = true
            raw |= SeqEvent.retransmission
        }
        return (zeroWindow, retransmission)
    }

    /// Zeek's `init_endpoint`: where a side's sequence numbers start, from its first packet (or a
    /// SYN that restarts them).
    @usableFromInline static func initEndpoint(_ ep: inout SideCounters, syn: Bool, seq: UInt32, end: UInt32) {
        var start: UInt32
        var last = end
        switch ep.state {
        case .inactive:
            if syn {
                start = seq
            } else {
                start = seq &- 1  // as if the SYN had been seen, the first packet not a duplicate
                last = seq
            }
        case .synSent, .synAckSent:
            guard syn && seq != ep.seqStart else { return }
            start = seq
        case .established, .partial:
            start = seq
        case .reset:
            guard syn && ep.prevState == .inactive else { return }
            start = seq
        case .closed:
            return
        }
        ep.seqStart = start
        ep.seqLast = last
        ep.seqContig = start &+ 1
        ep.seqBits = SeqBits.set | SeqBits.own
    }

    /// Zeek's `AckReceived` on the stream of `ep` (acknowledged by `peer`): the content gaps the
    /// acknowledgement reveals (holes in what was seen of the stream), and the stream then counts
    /// as seen up to it. Returns the number of holes.
    @inlinable @inline(__always)
    static func acked(_ ep: inout SideCounters, _ peer: inout SideCounters, ack: UInt32, partial: Bool,
                      raw: inout UInt8) -> UInt32 {
        var a = ack
        if _slowPath(ep.seqBits & SeqBits.fin != 0) && seqDelta(a, ep.seqFin) >= 0 { a = ep.seqFin &- 1 }
        guard _slowPath(seqDelta(a, ep.seqContig) > 0) else { return 0 }
        return ackedAbove(&ep, &peer, ack: a, partial: partial, raw: &raw)
    }

    @usableFromInline @inline(never)
    static func ackedAbove(_ ep: inout SideCounters, _ peer: inout SideCounters, ack a: UInt32, partial: Bool,
                           raw: inout UInt8) -> UInt32 {
        guard ep.seqBits & SeqBits.own != 0, seqDelta(a, ep.seqStart) > 0 else {
            // Only the peer's ACKs numbered this side (Zeek's inactive endpoint: no gap).
            if ep.seqBits & SeqBits.set != 0 && seqDelta(a, ep.seqStart) > 0 { ep.seqContig = a }
            return 0
        }
        raw |= SeqEvent.gap
        var holes: UInt32 = 0
        if ep.seqBits & SeqBits.outOfOrder != 0 && seqDelta(ep.seqHole, a) < 0 {
            if seqDelta(ep.seqHole, ep.seqContig) > 0 { holes &+= 1 }
            ep.seqContig = seqDelta(ep.seqLast, ep.seqHole) > 0 ? ep.seqLast : ep.seqHole
            ep.seqBits &= ~SeqBits.outOfOrder
            if seqDelta(a, ep.seqContig) > 0 {
                holes &+= 1
                ep.seqContig = a
            }
        } else {
            holes = 1
            ep.seqContig = a
        }
        // Zeek: a partial connection's first ACKs (relative 1 or 2) are not gaps.
        if partial && a &- ep.seqStart <= 2 { return 0 }
        // Zeek counts a gap only while both sides are established or closed cleanly from there.
        func clean(_ s: SideCounters) -> Bool {
            s.state == .established || (s.state == .closed && s.prevState == .established)
        }
        return clean(ep) && clean(peer) ? holes : 0
    }

    /// Records `n` content gaps of the originator's stream (`streamOfOrig`) or the responder's.
    @usableFromInline mutating func gapped(_ n: UInt32, streamOfOrig: Bool) {
        for _ in 0..<n {
            if streamOfOrig { bump(&orig.gaps) } else { bump(&resp.gaps) }
            scaledHistory(Vantage.indexG, count: streamOfOrig ? orig.gaps : resp.gaps, fromOrig: streamOfOrig)
        }
    }

    /// Zeek's `DataSent` into the reassembler, without the bytes: the sender's data seen extends
    /// the edge seen without a hole, or lies beyond a hole.
    @inlinable @inline(__always)
    static func delivered(_ ep: inout SideCounters, seq: UInt32, flags: UInt16, payload: UInt32) {
        guard ep.seqBits & SeqBits.own != 0 else { return }
        let start = flags & TCPFlag.syn != 0 ? seq &+ 1 : seq
        if _slowPath(seqDelta(start, ep.seqStart) <= 0) { return }  // before the start: Zeek's underflow
        let end = start &+ payload
        if seqDelta(end, ep.seqContig) <= 0 { return }  // seen or acknowledged already
        if _fastPath(seqDelta(start, ep.seqContig) <= 0) {
            ep.seqContig = end
            if _slowPath(ep.seqBits & SeqBits.outOfOrder != 0) && seqDelta(end, ep.seqHole) >= 0 {
                // The hole is filled: the data beyond it was seen (one block: any later hole in it too).
                if seqDelta(ep.seqLast, end) > 0 { ep.seqContig = ep.seqLast }
                ep.seqBits &= ~SeqBits.outOfOrder
            }
        } else if ep.seqBits & SeqBits.outOfOrder == 0 || seqDelta(start, ep.seqHole) < 0 {
            ep.seqHole = start
            ep.seqBits |= SeqBits.outOfOrder
        }
    }
}

@inlinable func sourceBit(_ s: UInt32) -> UInt64 { 1 << UInt64(min(s, 63)) }
