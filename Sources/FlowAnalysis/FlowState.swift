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

/// One direction of a flow: what its sender sent.
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
@usableFromInline
struct Vantage: Sendable, Equatable {
    @usableFromInline var source: UInt32
    /// Whether the originator (client) is endpoint A of the key.
    @usableFromInline var origIsA: Bool
    /// Client and server were inferred (catalog, then port heuristics), not seen in a handshake.
    @usableFromInline var inferred: Bool
    @usableFromInline var orig = SideCounters()
    @usableFromInline var resp = SideCounters()
    /// Zeek history letters in order, one ASCII byte each (up to 16), low byte first.
    @usableFromInline var historyLow: UInt64 = 0
    @usableFromInline var historyHigh: UInt64 = 0
    @usableFromInline var historyCount: UInt8 = 0
    /// Bit per (letter, side) already recorded.
    @usableFromInline var historySeen: UInt16 = 0
    @usableFromInline var firstFrame: UInt64
    @usableFromInline var lastFrame: UInt64
    /// First pure SYN from the originator; first SYN-ACK from the responder.
    @usableFromInline var synFrame: UInt64 = 0
    @usableFromInline var synAckFrame: UInt64 = 0
    /// First RST from the responder.
    @usableFromInline var respRSTFrame: UInt64 = 0
    /// ICMP errors quoting this flow.
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

    @inlinable init(source: UInt32, origIsA: Bool, inferred: Bool, frame: UInt64) {
        self.source = source
        self.origIsA = origIsA
        self.inferred = inferred
        self.firstFrame = frame
        self.lastFrame = frame
    }

    @inlinable var packets: UInt64 { orig.packets &+ resp.packets }

    // MARK: history

    /// Records history letter `code` (upper case; lower-cased for the responder) the first time.
    @inlinable @inline(__always) mutating func history(_ letter: UInt8, bit: UInt16, fromOrig: Bool) {
        let b: UInt16 = fromOrig ? bit : bit << 8
        if historySeen & b != 0 { return }
        historySeen |= b
        let c = UInt64(fromOrig ? letter : letter | 0x20)
        // 16 slots: 8 letters × 2 sides, each recorded once, so this never overflows.
        if historyCount < 8 {
            historyLow |= c << (8 * UInt64(historyCount))
        } else {
            historyHigh |= c << (8 * UInt64(historyCount - 8))
        }
        historyCount &+= 1
    }

    var historyString: String {
        if historyCount == 0 { return "" }
        let n = Int(historyCount)
        return withUnsafeBytes(of: (historyLow.littleEndian, historyHigh.littleEndian)) {
            String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<n]), as: UTF8.self)
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
        lastFrame = frame
    }

    /// UDP and other port protocols: Zeek records `D`/`d` for packets with payload.
    @inlinable mutating func datagram(fromOrig: Bool, payload: UInt32) {
        if payload > 0 { history(0x44, bit: 1 << 3, fromOrig: fromOrig) }  // D
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
                history(0x44, bit: 1 << 3, fromOrig: fromOrig)                  // D
            } else if ack {
                history(0x41, bit: 1 << 2, fromOrig: fromOrig)                  // A
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
            if control & (control &- 1) != 0 {
                if fin && rst { history(0x49, bit: 1 << 6, fromOrig: fromOrig) }  // I
                else { history(0x51, bit: 1 << 7, fromOrig: fromOrig) }           // Q
            } else if syn {
                if ack { history(0x48, bit: 1 << 1, fromOrig: fromOrig) }         // H
                else { history(0x53, bit: 1 << 0, fromOrig: fromOrig) }           // S
            } else if fin {
                history(0x46, bit: 1 << 4, fromOrig: fromOrig)                   // F
            } else {
                history(0x52, bit: 1 << 5, fromOrig: fromOrig)                   // R
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

/// Per-flow state in the table: the vantage currently being fed, a link to the best finished
/// vantage (multi-file runs), and flow-wide facts.
@usableFromInline
struct FlowState: Sendable {
    @usableFromInline var current: Vantage
    /// Index into the analyzer's finished-vantage store of the vantage with the most packets among
    /// the sources already finished for this flow, or -1.
    @usableFromInline var best: Int32 = -1
    /// Bit s = source s saw this flow (bit 63 also stands for every source ≥ 63).
    @usableFromInline var sources: UInt64
    /// Creation order, for stable output: `origin` of the packet that created the flow.
    @usableFromInline var serial: UInt64
    @usableFromInline var firstTs: Int64
    @usableFromInline var lastTs: Int64
    /// For an inner flow: the tunnel that carried it. For a carrier: the tunnel it carries.
    @usableFromInline var tunnel: UInt8
    @usableFromInline var carrier: Bool

    @inlinable init(current: Vantage, serial: UInt64, ts: Int64, tunnel: UInt8, carrier: Bool) {
        self.current = current
        self.sources = sourceBit(current.source)
        self.serial = serial
        self.firstTs = ts
        self.lastTs = ts
        self.tunnel = tunnel
        self.carrier = carrier
    }
}

extension FlowState {
    /// Where a flow began, as one ordered number: source, frame, then the frame's outer flow before
    /// its inner one. Sources are read one after another and frames in order, so this is the
    /// creation order of one analyzer, and the merge order of analyzers that split the packets.
    @inlinable static func origin(_ record: CaptureRecord, inner: Bool) -> UInt64 {
        UInt64(min(record.sourceIndex, 0x3_FFFF)) << 46 | min(record.frameNumber, (1 << 45) - 1) << 1 | (inner ? 1 : 0)
    }

    /// Counts one packet of the flow (`fromA`: sent by endpoint A of the key) and runs the TCP
    /// state machine or the datagram history.
    @inlinable mutating func packet(fromA: Bool, _ h: IPHeaderSummary, wire: UInt32, frame: UInt64, ts: Int64) {
        let fromOrig = fromA == current.origIsA
        let payload = h.transportPayloadLength
        current.count(fromOrig: fromOrig, wire: wire, payload: payload, frame: frame)
        if ts > lastTs { lastTs = ts }
        if ts < firstTs { firstTs = ts }
        if h.proto.rawValue == 6 {  // TCP (raw value: no cross-module static accessor per packet)
            if h.hasTCPFlags { current.tcp(fromOrig: fromOrig, flags: h.tcpFlags, payload: payload, frame: frame) }
        } else {
            current.datagram(fromOrig: fromOrig, payload: payload)
        }
    }
}

@inlinable func sourceBit(_ s: UInt32) -> UInt64 { 1 << UInt64(min(s, 63)) }
