// TrafficSynth: a deterministic, realistic capture generator for `portolan bench`, the
// Benchmarks package and compare.sh. Same configuration → byte-identical file.
//
// The traffic: Ethernet (some 802.1Q tags), mostly IPv4 with some IPv6, TCP sessions with
// handshake, data and FIN, UDP request/response, SYNs that are dropped or reset, ICMP/ICMPv6
// destination-unreachable errors quoting the packet they refuse, ICMP echo and a little ARP.
// Flows go to catalog ports on DC/OS masters and agents and Dynatrace nodes, plus unexpected,
// wrong-role, outside-to-internal and blocked ones. Data packet sizes follow the simple IMIX
// (7:4:1 of 64/594/1518-byte frames with FCS). Payload bytes are zero, so checksums are real
// and cheap.
//
// Records are written straight into a large buffer handed out in chunks; nothing is allocated
// per packet.

import PacketWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum SynthFormat: String, Sendable, CaseIterable {
    case pcap, pcapng
}

public struct SynthConfiguration: Sendable, Equatable {
    /// Packets to generate (exactly this many).
    public var packets: Int
    /// Conversations to generate (fewer when `packets` cannot hold their minimal length).
    public var flows: Int
    public var seed: UInt64
    public var format: SynthFormat
    /// pcap timestamps in nanoseconds (else microseconds); pcapng always writes ns resolution.
    public var nanosecond: Bool
    /// Bytes captured per frame at most (original lengths are always the full frame).
    public var snaplen: Int
    /// Conversations in progress at once (their packets interleave).
    public var concurrentFlows: Int
    public var ipv6Percent: Int
    public var vlanPercent: Int
    /// Timestamp of the first packet (2026-01-01T00:00:00Z by default).
    public var startNanos: Int64

    public init(
        packets: Int = 1_000_000, flows: Int = 10_000, seed: UInt64 = 1, format: SynthFormat = .pcap,
        nanosecond: Bool = true, snaplen: Int = 65_535, concurrentFlows: Int = 8_192,
        ipv6Percent: Int = 10, vlanPercent: Int = 15, startNanos: Int64 = 1_767_225_600_000_000_000
    ) {
        self.packets = packets
        self.flows = flows
        self.seed = seed
        self.format = format
        self.nanosecond = nanosecond
        self.snaplen = snaplen
        self.concurrentFlows = concurrentFlows
        self.ipv6Percent = ipv6Percent
        self.vlanPercent = vlanPercent
        self.startNanos = startNanos
    }
}

/// What was generated.
public struct SynthStatistics: Sendable, Equatable {
    public var packets = 0
    public var conversations = 0
    /// Sum of original frame lengths (what crossed the wire, without FCS).
    public var wireBytes = 0
    public var capturedBytes = 0
    /// Bytes of the file (headers, records and padding).
    public var fileBytes = 0
    public var ipv6Packets = 0
    public var vlanPackets = 0
    public var icmpErrors = 0
    public var arpPackets = 0
    public var firstTimestampNanos: Int64 = 0
    public var lastTimestampNanos: Int64 = 0
    public init() {}
}

public struct SynthError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

public struct TrafficSynth: Sendable {
    public let configuration: SynthConfiguration

    public init(_ configuration: SynthConfiguration) {
        self.configuration = configuration
    }

    /// Generates the capture and hands it out in chunks of about `chunkBytes` (each lent for
    /// the duration of the call). Returns what was generated.
    public func generate(
        chunkBytes: Int = 8 << 20, _ consume: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> SynthStatistics {
        var gen = Generator(configuration, chunkBytes: max(chunkBytes, 1 << 16))
        defer { gen.deallocate() }
        try gen.run(consume)
        return gen.stats
    }

    /// The whole capture in memory.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        _ = generate { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the capture to `path` (created or truncated).
    public func write(path: String) throws(SynthError) -> SynthStatistics {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw SynthError(path: path, message: String(cString: strerror(errno))) }
        var failure: SynthError?
        let stats = generate { chunk in
            if failure != nil { return }
            var done = 0
            while done < chunk.count {
                let n = Glibc.write(fd, chunk.baseAddress! + done, chunk.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = SynthError(path: path, message: String(cString: strerror(errno)))
                    return
                }
                done += n
            }
        }
        if close(fd) != 0 && failure == nil {
            failure = SynthError(path: path, message: String(cString: strerror(errno)))
        }
        if let failure { throw failure }
        return stats
    }
}

// MARK: - Flow templates

/// What a conversation does on the wire.
enum Behaviour: UInt8 {
    /// Handshake, data (bulk), FIN/FIN/ACK: 6 packets + data.
    case tcpSession
    /// Request/response pairs: 2 packets + a few more.
    case udpExchange
    /// Three SYNs, never answered (blocked-drop).
    case tcpDrop
    /// SYN answered by RST (blocked-rst).
    case tcpReset
    /// UDP request answered by ICMP port unreachable from the server, twice (blocked-icmp).
    case udpICMP
    /// SYN answered by ICMP administratively prohibited from the firewall, twice (blocked-icmp).
    case tcpICMP
    /// Two UDP requests, never answered (blocked-drop).
    case udpDrop
    /// Two echo request/reply pairs.
    case icmpEcho
    /// ARP request and reply.
    case arp

    var minimumLength: Int {
        switch self {
        case .tcpSession: 6
        case .udpExchange: 2
        case .tcpDrop: 3
        case .tcpReset: 2
        case .udpICMP: 4
        case .tcpICMP: 4
        case .udpDrop: 2
        case .icmpEcho: 4
        case .arp: 2
        }
    }

    /// Relative share of the extra (data) packets.
    var bulkFactor: Double {
        switch self {
        case .tcpSession: 1.0
        case .udpExchange: 0.1
        default: 0
        }
    }
}

struct Template {
    var client: HostGroup
    var server: HostGroup
    var behaviour: Behaviour
    /// Server ports to pick from; `range` when non-empty picks uniformly in it instead.
    var ports: [UInt16]
    var range: ClosedRange<UInt16>? = nil
    /// Out of 1000 conversations.
    var weight: Int
}

/// The mix, per 1000 conversations. Ports come from the seed documents (DC/OS 1.8, Dynatrace
/// Managed); the "unexpected" ones are outside every catalog.
let templates: [Template] = [
    // expected: agents to masters (Mesos, ZooKeeper, Marathon, Exhibitor, Admin Router, Cosmos, DNS…)
    Template(client: .agent, server: .master, behaviour: .tcpSession,
             ports: [5050, 2181, 8080, 8181, 443, 80, 7070, 8123, 15055, 1050, 9090, 15101, 15201, 9990, 3888],
             weight: 215),
    // expected: masters to agents (Mesos agent, Admin Router agent, diagnostics)
    Template(client: .master, server: .agent, behaviour: .tcpSession, ports: [5051, 61001, 61002], weight: 100),
    // expected: all-role ports between agents
    Template(client: .agent, server: .agent, behaviour: .tcpSession,
             ports: [61003, 61053, 61420, 61421, 62053, 62080, 62501, 62502, 62503], weight: 70),
    // expected: Marathon tasks on advertised agent ports
    Template(client: .agent, server: .agent, behaviour: .tcpSession, ports: [], range: 20000...31999, weight: 90),
    // expected: Dynatrace cluster-internal ports between nodes
    Template(client: .dynatrace, server: .dynatrace, behaviour: .tcpSession,
             ports: [8443, 5701, 5702, 5703, 9042, 7000, 7001, 7199, 9200, 9300, 8018, 8019, 8020, 8021, 8022],
             weight: 100),
    // expected: OneAgents / browsers outside to the Dynatrace UI and ingest ports
    Template(client: .outside, server: .dynatrace, behaviour: .tcpSession, ports: [443, 8443], weight: 60),
    // expected: outbound to Mission Control
    Template(client: .dynatrace, server: .missionControl, behaviour: .tcpSession, ports: [443], weight: 10),
    // expected: DNS to masters
    Template(client: .agent, server: .master, behaviour: .udpExchange, ports: [53], weight: 90),
    // expected: Mesos DNS / spartan on all roles
    Template(client: .agent, server: .agent, behaviour: .udpExchange, ports: [61053, 62053], weight: 40),
    // outside-to-internal: outside clients reaching Dynatrace cluster-only ports
    Template(client: .outside, server: .dynatrace, behaviour: .tcpSession, ports: [9042, 5701, 8018, 9200], weight: 20),
    // wrong-role: master-only ports served by agents
    Template(client: .agent, server: .agent, behaviour: .tcpSession, ports: [5050, 2181, 8080, 15055], weight: 20),
    // unexpected-port: TCP above every catalog range
    Template(client: .agent, server: .master, behaviour: .tcpSession, ports: [], range: 33000...60000, weight: 40),
    // unexpected-port: UDP services no catalog lists (NTP, syslog, SNMP)
    Template(client: .agent, server: .master, behaviour: .udpExchange, ports: [123, 514, 161], weight: 20),
    // blocked-drop: SYNs to Dynatrace storage ports from agents
    Template(client: .agent, server: .dynatrace, behaviour: .tcpDrop, ports: [9042, 5701, 7000], weight: 30),
    // blocked-rst: Enterprise-only ports on an open-edition master
    Template(client: .agent, server: .master, behaviour: .tcpReset, ports: [8200, 1337, 8888, 8101], weight: 30),
    // blocked-icmp: UDP to closed ports (port unreachable)
    Template(client: .agent, server: .master, behaviour: .udpICMP, ports: [161, 514, 5353], weight: 20),
    // blocked-icmp: outside SYNs refused by the firewall (administratively prohibited)
    Template(client: .outside, server: .master, behaviour: .tcpICMP, ports: [22, 2181, 5050], weight: 20),
    // blocked-drop: UDP requests never answered
    Template(client: .agent, server: .master, behaviour: .udpDrop, ports: [62053, 61053], weight: 10),
    Template(client: .agent, server: .master, behaviour: .icmpEcho, ports: [0], weight: 10),
    Template(client: .agent, server: .master, behaviour: .arp, ports: [0], weight: 5),
]

/// Template index for each of the 1000 per-mille slots.
let templateBySlot: [UInt8] = {
    var out: [UInt8] = []
    for (i, t) in templates.enumerated() {
        out += [UInt8](repeating: UInt8(i), count: t.weight)
    }
    precondition(out.count == 1000, "template weights must add up to 1000")
    return out
}()

/// Ephemeral client ports: 32768 + (flow mod 28000). 28001 is coprime with every group size,
/// so two conversations share a client address and port only when they are ≥ 1.1 M apart.
let ephemeralBase = 32768
let ephemeralCount = 28000

// MARK: - Random numbers

@inline(__always) func mix64(_ x: UInt64) -> UInt64 {
    // splitmix64 finaliser
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

struct RNG {
    var state: UInt64
    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    @inline(__always) mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

// MARK: - Conversations

struct Conversation {
    var template: UInt8 = 0
    var behaviour: Behaviour = .tcpSession
    var v6 = false
    var vlan: UInt16 = 0
    var clientHi: UInt64 = 0, clientLo: UInt64 = 0
    var serverHi: UInt64 = 0, serverLo: UInt64 = 0
    var clientPort: UInt16 = 0
    var serverPort: UInt16 = 0
    var clientMAC: UInt64 = 0
    var serverMAC: UInt64 = 0
    /// Next packet's index in the conversation and the planned total.
    var k: UInt32 = 0
    var length: UInt32 = 0
    var clientSeq: UInt32 = 0
    var serverSeq: UInt32 = 0
    var ipID: UInt16 = 0
    var echoID: UInt16 = 0
}

/// The per-conversation parameters, a pure function of (seed, index).
@inline(__always) func conversationHash(_ seed: UInt64, _ index: Int) -> UInt64 {
    mix64(seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(index))
}

/// The share of the extra packets a conversation gets (0 for fixed-length behaviours):
/// a Pareto-like weight, so a few conversations carry most of the data.
@inline(__always) func bulkWeight(_ h: UInt64, _ b: Behaviour) -> Double {
    let f = b.bulkFactor
    if f == 0 { return 0 }
    let u = (Double((h >> 11) & 0xF_FFFF) + 1) / Double(0x10_0000)  // (0, 1]
    return f * min(pow(u, -0.8), 2000)
}

@inline(__always) func behaviourOf(_ h: UInt64, index: Int) -> (UInt8, Behaviour) {
    // Conversation 0 is always a TCP session, so there is somewhere to put the data packets.
    let t = index == 0 ? 0 : templateBySlot[Int(h % 1000)]
    return (t, templates[Int(t)].behaviour)
}

// MARK: - Generator

struct Generator {
    let cfg: SynthConfiguration
    var stats = SynthStatistics()
    var rng: RNG

    var buffer: UnsafeMutableRawPointer
    let capacity: Int
    var used = 0

    var slots: [Conversation] = []
    var nextConversation = 0
    var conversationCount = 0
    var extraPackets = 0
    var totalWeight = 0.0
    var extraRemainder = 0
    var bulkOrdinal = 0
    var clock: Int64

    /// Largest record: pcapng EPB header (28) + frame + padding (3) + trailer (4).
    static let maxFrame = 1600
    static let maxRecord = 28 + maxFrame + 8

    init(_ cfg: SynthConfiguration, chunkBytes: Int) {
        self.cfg = cfg
        self.rng = RNG(state: mix64(cfg.seed ^ 0x5EED))
        self.capacity = chunkBytes + Generator.maxRecord
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.clock = cfg.startNanos
    }

    func deallocate() { buffer.deallocate() }

    // MARK: planning

    /// Decides how many conversations fit and how the extra packets are shared.
    mutating func plan() {
        let packets = max(cfg.packets, 0)
        var minimum = 0
        var count = 0
        var weight = 0.0
        for i in 0..<max(cfg.flows, 1) {
            let h = conversationHash(cfg.seed, i)
            let (_, b) = behaviourOf(h, index: i)
            if minimum + b.minimumLength > packets { break }
            minimum += b.minimumLength
            weight += bulkWeight(h, b)
            count += 1
        }
        conversationCount = count
        extraPackets = packets - minimum
        totalWeight = weight
        // Floors lose less than one packet per bulk conversation; hand those out one each to the
        // first bulk conversations in start order.
        var floors = 0
        if weight > 0 {
            for i in 0..<count {
                let h = conversationHash(cfg.seed, i)
                let (_, b) = behaviourOf(h, index: i)
                let w = bulkWeight(h, b)
                if w > 0 { floors += Int(Double(extraPackets) * w / weight) }
            }
        }
        extraRemainder = extraPackets - floors
    }

    mutating func start(_ index: Int) -> Conversation {
        let h = conversationHash(cfg.seed, index)
        var r = RNG(state: h)
        let (t, b) = behaviourOf(h, index: index)
        let tpl = templates[Int(t)]
        var c = Conversation()
        c.template = t
        c.behaviour = b
        c.v6 = b != .arp && r.below(100) < cfg.ipv6Percent
        let clientCount = SynthTopology.count(tpl.client)
        let serverCount = SynthTopology.count(tpl.server)
        let lap = index / ephemeralCount
        let clientIndex = (index &+ lap) % clientCount
        var serverIndex = r.below(serverCount)
        if tpl.client == tpl.server && serverIndex == clientIndex { serverIndex = (serverIndex + 1) % serverCount }
        c.clientPort = UInt16(ephemeralBase + index % ephemeralCount)
        if let range = tpl.range {
            c.serverPort = range.lowerBound &+ UInt16(r.below(Int(range.upperBound - range.lowerBound) + 1))
        } else {
            c.serverPort = tpl.ports[r.below(tpl.ports.count)]
        }
        if c.v6 {
            (c.clientHi, c.clientLo) = SynthTopology.v6(tpl.client, clientIndex)
            (c.serverHi, c.serverLo) = SynthTopology.v6(tpl.server, serverIndex)
        } else {
            c.clientLo = UInt64(SynthTopology.v4(tpl.client, clientIndex))
            c.serverLo = UInt64(SynthTopology.v4(tpl.server, serverIndex))
        }
        if r.below(100) < cfg.vlanPercent && tpl.client != .outside && tpl.server != .outside {
            c.vlan = 100 &* UInt16(tpl.server.rawValue &+ 1)   // 100 masters, 200 agents, 300 Dynatrace
        }
        // Locally administered MACs named after the host; traffic to hosts outside the cluster
        // goes through the gateway's MAC.
        c.clientMAC = 0x0200_0000_0000 | UInt64(UInt32(truncatingIfNeeded: mix64(c.clientLo ^ c.clientHi)))
        c.serverMAC = 0x0200_0000_0000 | UInt64(UInt32(truncatingIfNeeded: mix64(c.serverLo ^ c.serverHi)))
        c.clientSeq = UInt32(truncatingIfNeeded: r.next())
        c.serverSeq = UInt32(truncatingIfNeeded: r.next())
        c.ipID = UInt16(truncatingIfNeeded: r.next())
        c.echoID = UInt16(truncatingIfNeeded: index)
        var length = b.minimumLength
        let w = bulkWeight(h, b)
        if w > 0 && totalWeight > 0 {
            length += Int(Double(extraPackets) * w / totalWeight)
            if bulkOrdinal < extraRemainder { length += 1 }
            bulkOrdinal += 1
        }
        c.length = UInt32(length)
        return c
    }

    // MARK: main loop

    mutating func run(_ consume: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        plan()
        writeFileHeader()
        let window = max(1, min(cfg.concurrentFlows, conversationCount))
        slots.reserveCapacity(window)
        while nextConversation < conversationCount && slots.count < window {
            slots.append(start(nextConversation))
            nextConversation += 1
        }
        stats.conversations = conversationCount
        stats.firstTimestampNanos = clock
        var emitted = 0
        let target = max(cfg.packets, 0)
        while !slots.isEmpty && emitted < target {
            let j = rng.below(slots.count)
            var c = slots[j]
            emitPacket(&c)
            emitted += 1
            slots[j] = c
            if c.k >= c.length {
                if nextConversation < conversationCount {
                    slots[j] = start(nextConversation)
                    nextConversation += 1
                } else {
                    slots.swapAt(j, slots.count - 1)
                    slots.removeLast()
                }
            }
            if used >= capacity - Generator.maxRecord {
                try consume(UnsafeRawBufferPointer(start: buffer, count: used))
                stats.fileBytes += used
                used = 0
            }
        }
        stats.lastTimestampNanos = clock
        if used > 0 {
            try consume(UnsafeRawBufferPointer(start: buffer, count: used))
            stats.fileBytes += used
            used = 0
        }
    }

    // MARK: file format

    mutating func writeFileHeader() {
        let p = buffer
        switch cfg.format {
        case .pcap:
            p.storeBytes(of: cfg.nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4 as UInt32, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: 2 as UInt16, toByteOffset: 4, as: UInt16.self)
            p.storeBytes(of: 4 as UInt16, toByteOffset: 6, as: UInt16.self)
            p.storeBytes(of: 0 as UInt32, toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: 0 as UInt32, toByteOffset: 12, as: UInt32.self)
            p.storeBytes(of: UInt32(cfg.snaplen), toByteOffset: 16, as: UInt32.self)
            p.storeBytes(of: 1 as UInt32, toByteOffset: 20, as: UInt32.self)
            used = 24
        case .pcapng:
            // Section Header Block, no options.
            p.storeBytes(of: 0x0A0D_0D0A as UInt32, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: 28 as UInt32, toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: 0x1A2B_3C4D as UInt32, toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: 1 as UInt16, toByteOffset: 12, as: UInt16.self)
            p.storeBytes(of: 0 as UInt16, toByteOffset: 14, as: UInt16.self)
            p.storeBytes(of: UInt64.max, toByteOffset: 16, as: UInt64.self)   // section length unknown
            p.storeBytes(of: 28 as UInt32, toByteOffset: 24, as: UInt32.self)
            // Interface Description Block: Ethernet, snaplen, if_tsresol = 9 (ns).
            let q = p + 28
            q.storeBytes(of: 1 as UInt32, toByteOffset: 0, as: UInt32.self)
            q.storeBytes(of: 32 as UInt32, toByteOffset: 4, as: UInt32.self)
            q.storeBytes(of: 1 as UInt16, toByteOffset: 8, as: UInt16.self)
            q.storeBytes(of: 0 as UInt16, toByteOffset: 10, as: UInt16.self)
            q.storeBytes(of: UInt32(cfg.snaplen), toByteOffset: 12, as: UInt32.self)
            q.storeBytes(of: 9 as UInt16, toByteOffset: 16, as: UInt16.self)     // if_tsresol
            q.storeBytes(of: 1 as UInt16, toByteOffset: 18, as: UInt16.self)
            q.storeBytes(of: 9 as UInt8, toByteOffset: 20, as: UInt8.self)
            q.storeBytes(of: 0 as UInt8, toByteOffset: 21, as: UInt8.self)
            q.storeBytes(of: 0 as UInt16, toByteOffset: 22, as: UInt16.self)
            q.storeBytes(of: 0 as UInt32, toByteOffset: 24, as: UInt32.self)     // opt_endofopt
            q.storeBytes(of: 32 as UInt32, toByteOffset: 28, as: UInt32.self)
            used = 28 + 32
        }
    }

    /// Finishes the record whose frame (of `length` bytes) was laid out at the record's data
    /// offset; `headerEnd` is where the zero payload starts.
    @inline(__always)
    mutating func finishRecord(length: Int, headerEnd: Int) {
        let rec = buffer + used
        let dataOffset = cfg.format == .pcap ? 16 : 28
        let frame = rec + dataOffset
        var wire = length
        if wire < 60 {
            // Ethernet minimum frame: pad with zeros (the IP lengths still say the truth).
            wire = 60
        }
        let caplen = min(wire, cfg.snaplen)
        if caplen > headerEnd { memset(frame + headerEnd, 0, caplen - headerEnd) }
        switch cfg.format {
        case .pcap:
            let sec = clock / 1_000_000_000
            let frac = clock % 1_000_000_000
            rec.storeBytes(of: UInt32(truncatingIfNeeded: sec), toByteOffset: 0, as: UInt32.self)
            rec.storeBytes(of: UInt32(truncatingIfNeeded: cfg.nanosecond ? frac : frac / 1000), toByteOffset: 4, as: UInt32.self)
            rec.storeBytes(of: UInt32(caplen), toByteOffset: 8, as: UInt32.self)
            rec.storeBytes(of: UInt32(wire), toByteOffset: 12, as: UInt32.self)
            used += 16 + caplen
        case .pcapng:
            let padded = (caplen + 3) & ~3
            let total = 28 + padded + 4
            memset(frame + caplen, 0, padded - caplen)
            rec.storeBytes(of: 6 as UInt32, toByteOffset: 0, as: UInt32.self)
            rec.storeBytes(of: UInt32(total), toByteOffset: 4, as: UInt32.self)
            rec.storeBytes(of: 0 as UInt32, toByteOffset: 8, as: UInt32.self)
            let ts = UInt64(clock)
            rec.storeBytes(of: UInt32(truncatingIfNeeded: ts >> 32), toByteOffset: 12, as: UInt32.self)
            rec.storeBytes(of: UInt32(truncatingIfNeeded: ts), toByteOffset: 16, as: UInt32.self)
            rec.storeBytes(of: UInt32(caplen), toByteOffset: 20, as: UInt32.self)
            rec.storeBytes(of: UInt32(wire), toByteOffset: 24, as: UInt32.self)
            (rec + 28 + padded).storeBytes(of: UInt32(total), as: UInt32.self)
            used += total
        }
        stats.packets += 1
        stats.wireBytes += wire
        stats.capturedBytes += caplen
        // Gaps of 0.2–4.2 µs: a busy 10 Gbit/s mirror port.
        clock += 200 + Int64(rng.below(4000))
    }

    /// Where the next frame is laid out.
    @inline(__always) var frameStart: UnsafeMutableRawPointer {
        buffer + used + (cfg.format == .pcap ? 16 : 28)
    }
}
