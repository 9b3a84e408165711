import PacketWire
import PortCatalog

/// Groups packets into flows and keeps, per flow, Zeek-style state, per-direction counters and
/// evidence; classifies flows against the catalog when a snapshot or an expiry asks.
///
/// A value type. The per-packet path (`process`) decodes into a reused summary, probes the flow
/// table once (twice for a tunnelled packet: carrier and inner flow), and updates plain values;
/// it allocates only when a flow is created (or the table grows).
///
/// Keys: the canonical 5-tuple plus IP version, the VLAN tag stack (unless `vlanInKey` is off)
/// and the layer (a flow inside a tunnel never merges with a flow on the wire). A tunnelled frame
/// counts in its carrier flow and in its inner flow; the accounting counts it once. An ICMP error
/// is counted in the flow it quotes (on the side it answers for), never as a flow of its own.
/// Non-first fragments carry no ports: they are counted in the flow of their datagram's first
/// fragment (`Fragments.swift`), or as other IP when it never comes.
///
/// Several sources (files, vantage points) are fed one after another, each with its own
/// `sourceIndex`. A flow seen by several sources is one flow listing them all; its counts, state,
/// history and evidence come from the single source that saw the most packets of it (no sum:
/// two vantage points on one path see the same packets).
///
/// Where things are: the packet path and its accounting in `PacketPath.swift`, connection state
/// (Zeek's state machine and history) in `FlowState.swift`, verdicts in `Verdicts.swift`, host
/// coverage and outbound status in `Coverage.swift`, live expiry in `Expiry.swift`, several
/// sources in `VantagePoints.swift`, byte-range parts in `ByteSplit.swift`.
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
    /// `configuration.inventory.isEmpty`, read once: no inventory, so role verdicts are not claimed.
    let rolesUnknown: Bool
    var sourceNames: [String] = []
    var sourceErrors: [UInt32: String] = [:]
    /// Per source made of consecutive pieces: its files, in order (`addPiece`).
    var sourcePieces: [UInt32: [SourcePiece]] = [:]
    var evicted: [FlowRecord] = []
    /// A part after the first of a byte-range split (`ByteSplit.swift`): log, per flow, what the
    /// merge needs to replay on the flow's earlier state, and keep the ICMP errors that found no flow.
    @usableFromInline var logging = false
    @usableFromInline var logs: [FlowLog] = []
    @usableFromInline var pendingICMP: [PendingICMP] = []
    /// Datagrams being fragmented (`Fragments.swift`).
    @usableFromInline var fragmentTable = FragmentTable()
    /// Connections a later one on the same key replaced in the table (`Connections.swift`).
    @usableFromInline var closed: [ClosedFlow] = []
    /// One-sided sources (`OneSided.swift`), computed when reports are made.
    var oneSided: UInt64 = 0
    var oneSidedKnown = false
    /// `nameHash` of each source name, made with `oneSided` (`uid` hashes the name otherwise).
    var sourceNameHashes: [UInt64] = []

    public init(configuration: AnalyzerConfiguration) {
        self.configuration = configuration
        self.decoder = PacketDecoder(options: configuration.decoderOptions)
        self.table = FlowTable(initialCapacity: max(16, configuration.initialCapacity))
        self.vlanInKey = configuration.vlanInKey
        self.maxFlows = configuration.maxFlows
        self.decapsulate = configuration.tunnels
        self.rolesUnknown = configuration.inventory.isEmpty
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

    /// A frame read that the capture filter did not match: counted in the total, its source and
    /// `filtered` (so the balance holds and frame numbers continue), and nothing else.
    public mutating func filteredOut(_ record: CaptureRecord) {
        counters.total.add(record.originalLength)
        counters.source(record.sourceIndex, record.originalLength)
        counters.filtered.add(record.originalLength)
    }

    /// Records why a source stopped early (damaged file); reports print it.
    public mutating func noteSourceError(_ sourceIndex: UInt32, _ message: String) {
        sourceErrors[sourceIndex] = message
    }

    /// Records a file read into `sourceIndex` as its next consecutive piece (frames continue
    /// across the pieces of one source; reports map them back to the file).
    public mutating func addPiece(_ sourceIndex: UInt32, _ piece: SourcePiece) {
        sourcePieces[sourceIndex, default: []].append(piece)
    }

    /// Packets and wire bytes read so far from a source.
    public func sourceTotals(_ sourceIndex: UInt32) -> (packets: UInt64, bytes: UInt64) {
        let t = counters.sourceTally(Int(sourceIndex))
        return (t.packets, t.bytes)
    }

    /// Number of flows: the table's and the connections later ones replaced.
    public var flowCount: Int { table.count + closed.count }
}
