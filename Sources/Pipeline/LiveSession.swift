import CaptureFile
import FlowAnalysis
import LiveCapture
import PacketWire

/// A (component, verdict) bucket of the live counts.
public struct LiveCountKey: Hashable, Sendable {
    public var component: String
    public var verdict: Verdict
    public init(_ f: FlowRecord) {
        component = f.component ?? ""
        verdict = f.verdict
    }
}

/// Running totals at the last interval, to report each interval's own packets and drops.
public struct LiveTotals: Sendable {
    public var nanos: Int64
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var kernelDrops: UInt64 = 0
    public var interfaceDrops: UInt64 = 0
    public init(nanos: Int64) { self.nanos = nanos }
}

/// What `portolan live` keeps while capturing: the analyzer fed packet by packet, the -w file,
/// the flows that expired (kept for the final report, up to a bound; counted always), and what
/// was already said. No text: Reports renders what `tick` and `finish` return.
public struct LiveSession {
    public let source: String
    public let linkType: LinkType
    public let snaplen: UInt32
    public let interface: String
    public let startNanos = wallClockNanos()
    public var analyzer: FlowAnalyzer
    public var writer: PcapWriter?
    public var writeError: String?
    /// Flows that expired or were evicted, for the final report (at most `keepExpired`).
    public var expired: [FlowRecord] = []
    public let keepExpired: Int
    /// Expired flows beyond `keepExpired`: counted per component and verdict, not listed.
    public var expiredNotListed = 0
    public var expiredTotal = 0
    var expiredCounts: [LiveCountKey: Int] = [:]
    /// Coverage and outbound status of every expired flow, listed or not: the final report's
    /// "never exercised" counts them with the active ones.
    var expiredCoverage: CoverageTally
    /// Problem flows already reported in an interval, with the verdict they had: a flow is new
    /// again when its primary verdict changes. Entries leave with their flow (bounded).
    var reportedProblems: [FlowID: Verdict] = [:]
    public var last: LiveTotals

    /// Verdicts that make a finding (--fail-on), and findings among expired flows not listed.
    public let failOn: Set<Verdict>
    public var findingsNotListed = 0
    /// The --fail-on tally of the expired flows not listed (the listed ones are in the snapshot).
    public var failOnNotListed: FailOnTally

    public init(interface: String, linkType: LinkType, snaplen: UInt32, configuration: AnalyzerConfiguration,
                failOn: Set<Verdict>) {
        self.failOn = failOn
        self.failOnNotListed = FailOnTally(failOn)
        self.interface = interface
        self.source = "live:\(interface)"
        self.linkType = linkType
        self.snaplen = snaplen
        self.analyzer = FlowAnalyzer(configuration: configuration)
        self.keepExpired = max(configuration.maxFlows, 10_000)
        self.expiredCoverage = CoverageTally(configuration: configuration)
        self.last = LiveTotals(nanos: startNanos)
        _ = analyzer.addSource(name: source)  // source 0, as CaptureRecord.sourceIndex says
    }

    public mutating func openWriter(path: String) throws(CaptureFileError) {
        writer = try PcapWriter(path: path, linkType: linkType, snaplen: snaplen, nanosecond: true)
    }

    /// Flushes the -w file so that what is on disk is a valid capture; notes the first error.
    public mutating func flushWriter() {
        guard writeError == nil, writer != nil else { return }
        do { try writer!.flush() } catch { writeError = "writing \(writer!.path): \(error)" }
    }

    /// Per packet, inside pcap_dispatch on the ring's bytes: analyse, then append to the file.
    public mutating func packet(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        analyzer.process(record, bytes)
        if writer != nil && writeError == nil {
            do { try writer!.write(record, bytes) } catch { writeError = "writing \(writer!.path): \(error)" }
        }
    }

    public func isFinding(_ f: FlowRecord) -> Bool { f.verdicts.contains(where: failOn.contains) }

    /// Moves idle, closed and evicted flows out of the analyzer into the expired list.
    mutating func collectExpired(now: Int64) -> [FlowRecord] {
        let gone = analyzer.expire(nowNanos: now)
        for f in gone {
            expiredTotal += 1
            expiredCounts[LiveCountKey(f), default: 0] += 1
            expiredCoverage.add(f)
            if expired.count < keepExpired {
                expired.append(f)
            } else {
                expiredNotListed += 1
                if isFinding(f) {
                    findingsNotListed += 1
                    failOnNotListed.add(f)
                }
            }
        }
        return gone
    }

    /// One interval's state, for Reports.
    public struct Interval {
        public var now: Int64
        public var snapshot: AnalysisSnapshot
        public var expiredNow: [FlowRecord]
        public var newProblems: [FlowRecord]
        public var counts: [(LiveCountKey, Int)]
        /// The totals at the interval's start.
        public var previous: LiveTotals
    }

    /// Every interval: flush the file, expire flows, and what happened since the last interval.
    public mutating func tick(stats: PcapStats?) -> Interval {
        flushWriter()
        let now = wallClockNanos()
        let gone = collectExpired(now: now)
        var snapshot = analyzer.snapshot()
        (snapshot.hosts, snapshot.outbound) = analyzer.coverage(expiredCoverage, plus: snapshot.flows)
        var fresh: [FlowRecord] = []
        for f in gone + snapshot.flows where f.isProblem {
            if reportedProblems.updateValue(f.verdict, forKey: f.id) != f.verdict { fresh.append(f) }
        }
        for f in gone { reportedProblems.removeValue(forKey: f.id) }
        let interval = Interval(now: now, snapshot: snapshot, expiredNow: gone, newProblems: fresh,
                                counts: counts(snapshot), previous: last)
        let a = snapshot.accounting
        var next = LiveTotals(nanos: now)
        next.packets = a.total.packets
        next.bytes = a.total.bytes
        next.kernelDrops = stats?.droppedByKernel ?? last.kernelDrops
        next.interfaceDrops = stats?.droppedByInterface ?? last.interfaceDrops
        last = next
        return interval
    }

    /// Counts per (component, verdict) over every flow of the run: expired and active.
    public func counts(_ snapshot: AnalysisSnapshot) -> [(LiveCountKey, Int)] {
        var c = expiredCounts
        for f in snapshot.flows { c[LiveCountKey(f), default: 0] += 1 }
        return c.sorted { ($0.key.verdict.rank, $0.key.component) < ($1.key.verdict.rank, $1.key.component) }
            .map { ($0.key, $0.value) }
    }

    /// The end of the run: closes the -w file, collects what expired or was evicted since the last
    /// interval; every flow (expired, then active), the counts over the active ones and every
    /// expired one, and the findings (flows with a --fail-on verdict).
    /// `ended`: the flows that ended with the run and no interval reported (expired or evicted
    /// since the last one, and every active flow), for the metrics and the flow export.
    public mutating func finish() -> (snapshot: AnalysisSnapshot, counts: [(LiveCountKey, Int)], findings: Int,
                                      ended: [FlowRecord]) {
        flushWriter()
        if let w = writer.take() {
            do { try w.close() } catch { if writeError == nil { writeError = "closing \(w.path): \(error)" } }
        }
        // Flows evicted (or expired) since the last interval are in no list yet: without this
        // they would miss the report, the counts and --fail-on.
        let gone = collectExpired(now: wallClockNanos())
        let active = analyzer.snapshot()
        let allCounts = counts(active)
        var snapshot = active
        snapshot.flows = expired + active.flows
        // Coverage over every flow of the run: one whose flows all expired was still exercised.
        (snapshot.hosts, snapshot.outbound) = analyzer.coverage(expiredCoverage, plus: active.flows)
        let findings = findingsNotListed + snapshot.flows.count(where: isFinding)
        return (snapshot, allCounts, findings, gone + active.flows)
    }
}
