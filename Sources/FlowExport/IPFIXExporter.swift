import FlowAnalysis
import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--ipfix HOST:PORT`: flows as IPFIX records over UDP to a collector.
///
/// Called when flows end (and, in `live`, for long flows every active timeout), never per packet.
/// Templates go first and again every `templateInterval` seconds or `templateEveryMessages`
/// messages, whichever comes first (RFC 7011 §8.4: over UDP a collector that started late, or lost
/// a datagram, learns them again). Records are packed into messages of at most 1,400 bytes; a
/// message is sent when the next record does not fit and at `flush`.
public struct IPFIXExporter {
    public private(set) var encoder: IPFIXEncoder
    let socket: UDPSocket
    public var templateIntervalNanos: Int64 = 10_000_000_000
    public var templateEveryMessages = 64
    private var lastTemplateNanos: Int64 = .min
    private var messagesSinceTemplate = 0

    /// What was sent: flows, records (a flow is one record per direction that has packets), messages.
    public private(set) var flows: UInt64 = 0
    public private(set) var records: UInt64 = 0
    public private(set) var messages: UInt64 = 0
    /// Messages the socket refused (a collector down answers with ICMP port unreachable), and the
    /// first reason. The capture goes on.
    public private(set) var sendFailures: UInt64 = 0
    public private(set) var firstFailure: String?

    /// A flow partly exported already (live's active timeout): the counts sent so far and the time
    /// of the last packet they covered.
    struct Sent {
        var clientPackets: UInt64 = 0
        var serverPackets: UInt64 = 0
        var clientBytes: UInt64 = 0
        var serverBytes: UInt64 = 0
        var lastTimestamp: Int64 = 0
    }

    /// One connection: its 5-tuple, VLANs and tunnel, and its first packet (a reused 5-tuple is
    /// another connection).
    struct ConnectionKey: Hashable {
        var id: FlowID
        var first: Int64
    }

    private var sent: [ConnectionKey: Sent] = [:]

    public init(destination: String, observationDomain: UInt32 = 1, biflow: Bool = false) throws(ExportError) {
        socket = try UDPSocket(destination)
        encoder = IPFIXEncoder(observationDomain: observationDomain, biflow: biflow)
    }

    public var destination: String { socket.destination }

    /// Exports what `f` has not exported yet. `ended`: the flow is over (forget it); otherwise an
    /// active-timeout record of a flow that goes on. Nothing is sent for a flow with no new packet.
    public mutating func export(_ f: FlowRecord, ended: Bool, nowNanos: Int64) {
        let key = ConnectionKey(id: f.id, first: f.firstTimestamp)
        let before = sent[key]
        let b = before ?? Sent()
        let cp = f.clientPackets &- b.clientPackets
        let sp = f.serverPackets &- b.serverPackets
        if ended {
            if before != nil { sent.removeValue(forKey: key) }
        } else {
            sent[key] = Sent(clientPackets: f.clientPackets, serverPackets: f.serverPackets, clientBytes: f.clientBytes,
                             serverBytes: f.serverBytes, lastTimestamp: f.lastTimestamp)
        }
        guard cp > 0 || sp > 0 else { return }
        let start = before == nil ? f.firstTimestamp : b.lastTimestamp
        let component = utf8Cut(f.component ?? "unknown")
        let catalog = utf8Cut(f.catalogID ?? "")
        let verdict = utf8Cut(f.verdict.rawValue)
        let v6 = f.ipVersion == 6
        func bits(_ a: IPAddress) -> IPAddressBits { IPAddressBits(high: a.high, low: a.low) }
        let isTCP = f.proto == .tcp
        var r = IPFIXRecord(
            ipVersion: v6 ? 6 : 4, source: bits(f.client), destination: bits(f.server), sourcePort: f.clientPort,
            destinationPort: f.serverPort, proto: f.proto.rawValue, tcpFlags: isTCP ? f.clientTCPFlags : 0,
            vlan: f.vlans.first ?? 0, startMillis: start / 1_000_000, endMillis: f.lastTimestamp / 1_000_000,
            packets: cp, octets: f.clientBytes &- b.clientBytes, component: component, catalog: catalog, verdict: verdict)
        if encoder.biflow {
            r.reversePackets = sp
            r.reverseOctets = f.serverBytes &- b.serverBytes
            r.reverseTCPFlags = isTCP ? f.serverTCPFlags : 0
            add(r, nowNanos: nowNanos)
        } else {
            if cp > 0 { add(r, nowNanos: nowNanos) }
            if sp > 0 {
                r.source = bits(f.server)
                r.destination = bits(f.client)
                r.sourcePort = f.serverPort
                r.destinationPort = f.clientPort
                r.tcpFlags = isTCP ? f.serverTCPFlags : 0
                r.packets = sp
                r.octets = f.serverBytes &- b.serverBytes
                add(r, nowNanos: nowNanos)
            }
        }
        flows += 1
    }

    /// Live's active timeout: every flow of `active` whose last export (or first packet) is at
    /// least `timeoutNanos` old is exported for what it has done since.
    public mutating func exportLong(_ active: [FlowRecord], timeoutNanos: Int64, nowNanos: Int64) {
        for f in active {
            let since = sent[ConnectionKey(id: f.id, first: f.firstTimestamp)]?.lastTimestamp ?? f.firstTimestamp
            if f.lastTimestamp - since >= timeoutNanos || nowNanos - since >= timeoutNanos {
                export(f, ended: false, nowNanos: nowNanos)
            }
        }
    }

    private mutating func add(_ r: borrowing IPFIXRecord, nowNanos: Int64) {
        if !encoder.isOpen { open(nowNanos) }
        if !encoder.append(r) {
            send()
            open(nowNanos)
            _ = encoder.append(r)  // always fits an empty message (strings are cut)
        }
        records += 1
    }

    /// Begins a message, with the templates when they are due.
    private mutating func open(_ nowNanos: Int64) {
        encoder.begin(exportSeconds: UInt32(truncatingIfNeeded: wallSeconds()))
        if lastTemplateNanos == .min || nowNanos - lastTemplateNanos >= templateIntervalNanos
            || messagesSinceTemplate >= templateEveryMessages {
            encoder.appendTemplates()
            lastTemplateNanos = nowNanos
            messagesSinceTemplate = 0
        }
    }

    /// Sends the open message, if it holds anything.
    public mutating func flush() {
        if encoder.isOpen && encoder.hasContent { send() }
    }

    private mutating func send() {
        encoder.finish()
        let n = encoder.count
        let failure = encoder.buffer.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        if let failure {
            sendFailures += 1
            if firstFailure == nil { firstFailure = "sending to \(socket.destination): \(String(cString: strerror(failure)))" }
        }
        messages += 1
        messagesSinceTemplate += 1
        encoder.close()
    }
}

func wallSeconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return ts.tv_sec
}
