import PacketWire

/// Zeek's TCP endpoint states (`TCP_ENDPOINT_*`), from which the connection state is derived.
@usableFromInline
enum EndpointState: UInt8, Sendable {
    case inactive = 0, synSent, synAckSent, partial, established, closed, reset
}

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
    /// OR of the TCP flags sent.
    @usableFromInline var flags: UInt16 = 0
    @usableFromInline var state: EndpointState = .inactive
    @usableFromInline var prevState: EndpointState = .inactive

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
/// 105 bytes (a flow's state is 128): frames after the first are kept as 32-bit offsets from it
/// (a flow spanning more than 4 G frames of one source keeps its last ones saturated), the
/// history as 4-bit letter codes, and the ICMP errors quoting the flow (few flows have any) in
/// the analyzer's side table at `icmpIndex`.
@usableFromInline
struct Vantage: Sendable, Equatable {
    @usableFromInline var orig = SideCounters()
    @usableFromInline var resp = SideCounters()
    @usableFromInline var source: UInt32
    @usableFromInline var firstFrame: UInt64
    /// Zeek history letters in order, 4 bits each (`historyLetters` index × 2, + 1 for the responder).
    @usableFromInline var historyCodes: UInt64 = 0
    /// Frame − firstFrame of the last packet; (frame − firstFrame + 1) of the evidence frames, 0 = none.
    @usableFromInline var lastOffset: UInt32 = 0
    @usableFromInline var synOffset: UInt32 = 0
    @usableFromInline var synAckOffset: UInt32 = 0
    @usableFromInline var respRSTOffset: UInt32 = 0
    /// Index of this vantage's ICMP errors in `FlowAnalyzer.icmp`, -1 for none.
    @usableFromInline var icmpIndex: Int32 = -1
    /// Bit per (letter, side) already recorded.
    @usableFromInline var historySeen: UInt16 = 0
    @usableFromInline var historyCount: UInt8 = 0
    /// Whether the originator (client) is endpoint A of the key.
    @usableFromInline var origIsA: Bool
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
    /// time; `bit` is 1 << its index in `historyLetters`.
    @inlinable @inline(__always) mutating func history(_ letter: UInt8, bit: UInt16, fromOrig: Bool) {
        let b: UInt16 = fromOrig ? bit : bit << 8
        if historySeen & b != 0 { return }
        historySeen |= b
        let code = UInt64(bit.trailingZeroBitCount << 1 | (fromOrig ? 0 : 1))
        // 16 slots: 8 letters × 2 sides, each recorded once, so this never overflows.
        historyCodes |= code << (4 * UInt64(historyCount))
        historyCount &+= 1
    }

    /// The letters of the history codes, in bit order.
    static let historyLetters: [UInt8] = Array("SHADFRIQ".utf8)

    var historyString: String {
        if historyCount == 0 { return "" }
        var bytes: (UInt64, UInt64) = (0, 0)
        let n = Int(historyCount)
        return withUnsafeMutableBytes(of: &bytes) { buf in
            for i in 0..<n {
                let code = Int(historyCodes >> (4 * UInt64(i)) & 0xF)
                buf[i] = Vantage.historyLetters[code >> 1] | (code & 1 == 0 ? 0 : 0x20)  // 0x20: ASCII lower case
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
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
        var chars = Array(historyString.utf8)
        if chars.first == UInt8(ascii: "^") { chars.removeFirst() }
        guard chars.first == UInt8(ascii: "S") else { return false }
        for c in chars.dropFirst() {
            if c == UInt8(ascii: "R") { return true }
            if "HAFGIQ".utf8.contains(c) { return false }
        }
        return false
    }
}

/// Zeek `conn.log` connection states.
public enum ConnState: String, Sendable, CaseIterable {
    case S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH
}

/// Per-flow state in the table: the vantage currently being fed, a link to the flow's entry in
/// the multi-source side table (flows seen by several sources), and flow-wide facts. 128 bytes.
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
    /// state machine or the datagram history.
    @inlinable mutating func packet(fromA: Bool, proto: UInt8, payload: UInt32, flags: UInt16, hasFlags: Bool,
                                    wire: UInt32, frame: UInt64, ts: Int64) {
        let fromOrig = fromA == current.origIsA
        current.count(fromOrig: fromOrig, wire: wire, payload: payload, frame: frame)
        if ts > lastTs { lastTs = ts }
        if ts < firstTs { firstTs = ts }
        if proto == 6 {  // TCP (raw value: no cross-module static accessor per packet)
            guard hasFlags else { return }
            // Most packets of a connection change nothing: no SYN/FIN/RST, no flag bit this side
            // has not sent before, the history letter (D or A) already recorded, and the
            // endpoint past inactive. `Vantage.tcp` would return having done nothing.
            if flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst) == 0 {
                let sent = fromOrig ? current.orig.flags : current.resp.flags
                let letter: UInt16 = payload > 0 ? 1 << 3 : flags & TCPFlag.ack != 0 ? 1 << 2 : 0
                let seen = current.historySeen & (fromOrig ? letter : letter << 8) == (fromOrig ? letter : letter << 8)
                let state = fromOrig ? current.orig.state : current.resp.state
                if flags & ~sent == 0 && seen && state != .inactive { return }
            }
            current.tcp(fromOrig: fromOrig, flags: flags, payload: payload, frame: frame)
        } else {
            current.datagram(fromOrig: fromOrig, payload: payload)
        }
    }
}

@inlinable func sourceBit(_ s: UInt32) -> UInt64 { 1 << UInt64(min(s, 63)) }
