import PacketWire
import PortCatalog

extension FlowAnalyzer {
    // MARK: - Snapshot

    /// Every flow classified, the accounting, coverage per inventory host and outbound status.
    public func snapshot() -> AnalysisSnapshot {
        snapshot(includeFlows: true)
    }

    /// The sources with what was read from each (and their pieces).
    public var sourceInfos: [SourceInfo] {
        sourceNames.enumerated().map { i, name in
            let t = counters.sourceTally(i)
            return SourceInfo(name: name, packets: t.packets, bytes: t.bytes, error: sourceErrors[UInt32(i)],
                              pieces: sourcePieces[UInt32(i)] ?? [])
        }
    }

    /// The snapshot without building every flow record when `includeFlows` is false (then `flows`,
    /// `hosts` and `outbound` are empty): for callers that stream the flows with `forEachFlow`.
    public func snapshot(includeFlows: Bool) -> AnalysisSnapshot {
        if !oneSidedKnown { return withOneSidedSources().snapshot(includeFlows: includeFlows) }
        let flows = includeFlows ? flowRecords() : []
        return AnalysisSnapshot(
            sources: sourceInfos, flows: flows, accounting: counters.accounting(),
            inventoryKnown: !configuration.inventory.isEmpty,
            hosts: includeFlows ? coverage(flows) : [], outbound: includeFlows ? outboundStatus(flows) : [],
            vlanInKey: vlanInKey)
    }

    /// Streams every flow, classified and in creation order, to `visit`, and returns the snapshot
    /// without `flows` but with `hosts` and `outbound` computed from them: reports of millions of
    /// flows (JSON Lines, CSV, the table's summary) never hold every record at once.
    public func snapshot(streaming visit: (FlowRecord) throws -> Void) rethrows -> AnalysisSnapshot {
        try snapshot(streamingSummaries: { _, record in try visit(record()) })
    }

    /// Streams every flow in creation order as a summary (plain values, no string or array made)
    /// and a function that builds its full record, for reports that count most flows and print
    /// few (the table); returns the snapshot as `snapshot(streaming:)` does.
    public func snapshot(streamingSummaries visit: (FlowSummary, () -> FlowRecord) throws -> Void) rethrows
        -> AnalysisSnapshot {
        if let me = readyForReports() { return try me.snapshot(streamingSummaries: visit) }
        return try classified { key, s, v, f, d, clientBits, serverBits in
            try visit(f) {
                record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
            }
        }
    }

    /// Streams every flow in creation order as its facts (plain values, no string or array made:
    /// JSON Lines, JSON and CSV write them without a `FlowRecord`; `record(_:)` makes one); returns
    /// the snapshot as `snapshot(streaming:)` does.
    public func snapshot(streamingFacts visit: (FlowFacts) throws -> Void) rethrows -> AnalysisSnapshot {
        if let me = readyForReports() { return try me.snapshot(streamingFacts: visit) }
        return try classified { key, s, v, _, d, clientBits, serverBits in
            try visit(facts(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits))
        }
    }

    /// This analyzer with what reports read computed (one-sided sources; the source names' hashes
    /// that each flow's uid mixes in, once per source rather than per flow), or nil when it has it.
    /// The streaming forms call it before they make the closures that read the analyzer.
    func readyForReports() -> FlowAnalyzer? {
        if !oneSidedKnown { return withOneSidedSources() }
        if sourceNameHashes.count < sourceNames.count {
            var me = self
            me.sourceNameHashes = sourceNames.map(FlowAnalyzer.nameHash)
            return me
        }
        return nil
    }

    /// Every flow in creation order with its reported vantage, summary and decision; host coverage
    /// counted on the way. The snapshot without flows, with `hosts` and `outbound`.
    @inline(__always)
    func classified(_ visit: (FlowKey, FlowState, Vantage, FlowSummary, Decision, UInt64, UInt64) throws -> Void) rethrows
        -> AnalysisSnapshot {
        var acc = CoverageAccumulator(catalog: configuration.catalog)
        // The inventory read in place: a local copy made the runtime instantiate its Dictionary's
        // and Set's metadata on the first run, two scans of the binary's conformances (≈ 0.9 M
        // instructions of a 9.8 M start-up).
        let rolesKnown = !configuration.inventory.isEmpty
        try forEachFlowState { key, s in
            let v = reported(key: key, state: s)
            let clientBits = rolesKnown ? configuration.inventory.roles(of: v.origIsA ? key.a : key.b, version: key.version).bits : 0
            let serverBits = rolesKnown ? configuration.inventory.roles(of: v.origIsA ? key.b : key.a, version: key.version).bits : 0
            let (f, d) = summary(key: key, state: s, vantage: v, clientBits: clientBits, serverBits: serverBits)
            // Closures passed straight as arguments: non-escaping, no context allocated.
            if rolesKnown {
                acc.add(f) {
                    record(key: key, state: s, vantage: v, decision: d, clientBits: clientBits, serverBits: serverBits)
                }
            }
            try visit(key, s, v, f, d, clientBits, serverBits)
        }
        var s = snapshot(includeFlows: false)
        s.hosts = coverage(acc)
        s.outbound = outboundStatus(acc)
        return s
    }

    /// Every flow, classified, in creation order.
    public func flowRecords() -> [FlowRecord] {
        var out: [FlowRecord] = []
        out.reserveCapacity(table.count + closed.count)
        forEachFlow { out.append($0) }
        return out
    }

    /// The records of the flows at `positions` (ascending) of the creation order the streaming
    /// snapshots follow: for a report that picks the few flows it prints after counting them all
    /// (the table's problem groups, `TableSummary.resolveExamples`).
    public func flowRecords(at positions: [Int]) -> [FlowRecord] {
        if !oneSidedKnown { return withOneSidedSources().flowRecords(at: positions) }
        var out: [FlowRecord] = []
        out.reserveCapacity(positions.count)
        var i = 0, next = 0
        forEachFlowState { key, s in
            if next < positions.count && positions[next] == i {
                out.append(record(key: key, state: s))
                next += 1
            }
            i += 1
        }
        return out
    }

    /// Calls `body` with each flow, classified, in creation order, one record at a time (a JSON
    /// Lines or CSV writer never holds millions of records at once).
    public func forEachFlow(_ body: (FlowRecord) throws -> Void) rethrows {
        if !oneSidedKnown { return try withOneSidedSources().forEachFlow(body) }
        try forEachFlowState { try body(record(key: $0, state: $1)) }
    }
}

/// The flows that make `--fail-on` trigger: how many, and how many have each listed verdict (a
/// flow with two listed verdicts counts under both, once in `flows`).
public struct FailOnTally: Sendable, Equatable {
    public let failBits: UInt8
    public private(set) var flows = 0
    /// By `Verdict.rank`.
    public private(set) var byRank = [Int](repeating: 0, count: Verdict.byRank.count)

    public init(_ failOn: Set<Verdict>) { failBits = Verdict.bits(failOn) }

    /// Counts a flow with these verdicts (`FlowSummary.verdictBits`); false when none is listed.
    @discardableResult
    public mutating func add(verdictBits: UInt8) -> Bool {
        let hit = verdictBits & failBits
        guard hit != 0 else { return false }
        flows += 1
        for v in Verdict.byRank where hit & (1 << UInt8(v.rank)) != 0 { byRank[v.rank] += 1 }
        return true
    }

    public mutating func add(_ f: FlowRecord) { add(verdictBits: Verdict.bits(f.verdicts)) }

    public mutating func add(_ other: FailOnTally) {
        flows += other.flows
        for i in byRank.indices { byRank[i] += other.byRank[i] }
    }

    /// The listed verdicts some flow has, in precedence order, with their flows.
    public var perVerdict: [(Verdict, Int)] { Verdict.byRank.compactMap { byRank[$0.rank] > 0 ? ($0, byRank[$0.rank]) : nil } }
}

extension FlowAnalyzer {
    /// The `--fail-on` tally over every flow (classified as the reports classify them). A second
    /// walk over the flows, made only when the report said `--fail-on` triggered.
    public func failOnTally(_ failOn: Set<Verdict>) -> FailOnTally {
        var t = FailOnTally(failOn)
        _ = snapshot(streamingSummaries: { f, _ in t.add(verdictBits: f.verdictBits) })
        return t
    }
}
