import PacketWire

/// Catalogs compiled once per run into dense lookup tables.
///
/// Layout (all plain arrays, built in `init`, never mutated):
/// - `portSegment[t << 16 | port]`: the segment of the port — a run of ports whose candidate set
///   is the same. Segment 0 is the empty set.
/// - `segmentStart[s] ..< segmentStart[s + 1]`: the segment's candidate entry ids in
///   `candidateIDs`, most specific first (single port, then narrower ranges; catalog order on ties).
/// - `bestBySegment[s * roleCount + r]`: the most specific entry of segment s serving role r, or -1
///   (per segment, not per port: a per-port table was 2 × 65,536 × roles slots to fill at start-up).
/// Every lookup is a fixed number of array reads whatever the catalog size; nothing allocates.
/// Ephemeral and outbound entries are not in the tables (they are not ports a host serves);
/// outbound ones are listed in `outboundEntries`.
public struct CompiledCatalog: Sendable {
    public let catalogs: [Catalog]
    /// All entries of all catalogs in order; an entry id is its index here.
    public let entries: [CatalogEntry]
    /// Role bit i is `roleNames[i]`: the union of the catalogs' roles, first declaration first.
    public let roleNames: [String]
    /// Role set of each entry, by entry id.
    public let entryRoles: [RoleSet]
    /// UDP ports that carry VXLAN (for `DecoderOptions.vxlanPorts`), ascending.
    public let overlayUDPPorts: [UInt16]
    /// Entries with scope `outbound` (e.g. Dynatrace Mission Control), by id.
    public let outboundEntries: [Int32]
    /// Per entry: the destinations that are addresses or CIDRs, parsed once (host names are not
    /// resolved, so they match nothing). Empty for entries that are not outbound.
    public let destinationNetworks: [[IPNetwork]]
    /// Per entry: `CatalogEntry.portText` (`5701`, `5701-5711`, `ephemeral`), made once.
    public let portTexts: [String]
    /// The outbound entries with ports, as plain values (a `CatalogEntry` copy retains its strings).
    let outboundPorts: [OutboundPorts]
    /// Bit `t << 16 | port` set when an outbound entry lists (t, port).
    @usableFromInline let outboundPortBits: [UInt64]

    @usableFromInline let roleIndexByName: [String: Int]
    @usableFromInline let roleCount: Int
    @usableFromInline let roleMask: UInt64
    @usableFromInline let entryRank: [UInt32]
    @usableFromInline let portSegment: [UInt32]
    @usableFromInline let segmentStart: [UInt32]
    @usableFromInline let candidateIDs: [Int32]
    @usableFromInline let bestBySegment: [Int32]

    /// Most roles a compiled catalog can hold (`RoleSet` is 64 bits). Roles beyond are dropped;
    /// `compile(_:)` refuses them instead.
    public static let maxRoles = 64

    /// Compiles catalogs, refusing what `init` would silently accept: two catalogs with one id,
    /// more than 64 roles.
    public static func compile(_ catalogs: [Catalog]) throws(CatalogError) -> CompiledCatalog {
        var ids: [String: String] = [:]
        for c in catalogs {
            if let other = ids[c.id] {
                throw CatalogError("catalog id '\(c.id)' is used by both \(other) and \(c.origin)")
            }
            ids[c.id] = c.origin
        }
        var names: Set<String> = []
        for c in catalogs { for r in c.roles { names.insert(r.name) } }
        guard names.count <= maxRoles else {
            throw CatalogError("the catalogs declare \(names.count) roles; at most \(maxRoles) can be used together")
        }
        return CompiledCatalog(catalogs)
    }

    /// The built-in catalogs, compiled.
    public static func builtIn() throws(CatalogError) -> CompiledCatalog {
        var list: [Catalog] = []
        for id in Catalog.builtInIDs { list.append(try Catalog.builtIn(id)) }
        return CompiledCatalog(list)
    }

    public init(_ catalogs: [Catalog]) {
        self.catalogs = catalogs
        let entries = catalogs.flatMap(\.entries)
        self.entries = entries

        var names: [String] = []
        var index: [String: Int] = [:]
        for c in catalogs {
            for r in c.roles where index[r.name] == nil && names.count < Self.maxRoles {
                index[r.name] = names.count
                names.append(r.name)
            }
        }
        roleNames = names
        roleIndexByName = index
        let R = names.count
        roleCount = R
        roleMask = R >= 64 ? ~0 : (UInt64(1) << UInt64(R)) - 1

        var eroles: [RoleSet] = []
        eroles.reserveCapacity(entries.count)
        for e in entries {
            var s = RoleSet()
            for r in e.roles { if let i = index[r] { s.insert(i) } }
            eroles.append(s)
        }
        entryRoles = eroles

        // Specificity rank: narrower first, then entry order (earlier catalog, earlier row).
        let served = entries.indices.filter { entries[$0].ports != nil && entries[$0].scope != .outbound }
        let ordered = served.sorted { (entries[$0].width, $0) < (entries[$1].width, $1) }
        var rank = [UInt32](repeating: .max, count: entries.count)
        for (i, id) in ordered.enumerated() { rank[id] = UInt32(i) }
        entryRank = rank

        // The runs of equal segment, in port order over both transports: (end, segment).
        var runEnds: [Int] = []
        var runSegments: [UInt32] = []
        var starts: [UInt32] = [0, 0]
        var ids: [Int32] = []
        var best = [Int32](repeating: -1, count: R)  // segment 0: the empty set
        for t in Transport.allCases {
            let mine = served.filter { entries[$0].transport == t }
            let byLow = mine.sorted { entries[$0].ports!.lowerBound < entries[$1].ports!.lowerBound }
            let byEnd = mine.sorted { entries[$0].ports!.upperBound < entries[$1].ports!.upperBound }
            // The candidate set changes only where an entry starts or just after one ends; between
            // two such ports the segment is the same, so each run is filled at once (a port-by-port
            // walk of 2 × 65,536 ports was ≈ 15 M instructions per run).
            var a = 0, b = 0
            var active: [Int] = []   // entry ids sorted by rank
            var current: UInt32 = 0
            let base = Int(t.rawValue) << 16
            var port = 0
            while port <= 65535 {
                var changed = false
                // Remove entries that ended at port - 1.
                while b < byEnd.count && Int(entries[byEnd[b]].ports!.upperBound) < port {
                    let id = byEnd[b]
                    if let at = active.firstIndex(of: id) { active.remove(at: at) }
                    b += 1
                    changed = true
                }
                while a < byLow.count && Int(entries[byLow[a]].ports!.lowerBound) == port {
                    let id = byLow[a]
                    let at = active.partitioningIndex { rank[$0] > rank[id] }
                    active.insert(id, at: at)
                    a += 1
                    changed = true
                }
                if changed {
                    if active.isEmpty {
                        current = 0
                    } else {
                        current = UInt32(starts.count - 1)
                        ids.append(contentsOf: active.map { Int32($0) })
                        starts.append(UInt32(ids.count))
                        for r in 0..<R {
                            best.append(active.first(where: { eroles[$0].contains(r) }).map { Int32($0) } ?? -1)
                        }
                    }
                }
                // The run ends where the next entry starts or just after the next one ends.
                var end = 65536
                if a < byLow.count { end = min(end, Int(entries[byLow[a]].ports!.lowerBound)) }
                if b < byEnd.count { end = min(end, Int(entries[byEnd[b]].ports!.upperBound) + 1) }
                runEnds.append(base + end)
                runSegments.append(current)
                port = end
            }
        }
        // Every slot is written once, by its run: no zeroing first (512 KiB, ≈ 0.5 M instructions).
        portSegment = [UInt32](unsafeUninitializedCapacity: 2 << 16) { slots, count in
            var from = 0
            for (i, end) in runEnds.enumerated() {
                slots[from..<end].initialize(repeating: runSegments[i])
                from = end
            }
            precondition(from == 2 << 16)
            count = from
        }
        segmentStart = starts
        candidateIDs = ids
        bestBySegment = best

        // Sorted and deduplicated without a Set<UInt16>: its first use checks UInt16's Hashable
        // conformance against the binary's whole conformance list (≈ 0.4 M instructions).
        var overlay: [UInt16] = []
        for e in entries where e.overlay && e.transport == .udp && e.scope != .outbound {
            if let p = e.ports { for port in p { overlay.append(port) } }
        }
        overlay.sort()
        var unique: [UInt16] = []
        for p in overlay where unique.last != p { unique.append(p) }
        overlayUDPPorts = unique
        outboundEntries = entries.indices.filter { entries[$0].scope == .outbound }.map { Int32($0) }
        destinationNetworks = entries.map { $0.destinations.compactMap(Self.destinationNetwork) }
        portTexts = entries.map(\.portText)
        outboundPorts = outboundEntries.compactMap { id in
            entries[Int(id)].ports.map {
                OutboundPorts(id: id, transport: entries[Int(id)].transport, low: $0.lowerBound, high: $0.upperBound)
            }
        }
        var outboundBits = [UInt64](repeating: 0, count: (2 << 16) / 64)
        for o in outboundPorts {
            for port in o.low...o.high {
                let i = Int(o.transport.rawValue) << 16 | Int(port)
                outboundBits[i >> 6] |= 1 << UInt64(i & 63)
            }
        }
        outboundPortBits = outboundBits
    }

    /// `ADDR` or `ADDR/LEN` as a network; nil for a host name.
    static func destinationNetwork(_ d: String) -> IPNetwork? {
        if let slash = d.firstIndex(of: "/") {
            guard let (net, v) = IPAddress.parse(d[..<slash]), let len = Int(d[d.index(after: slash)...]) else {
                return nil
            }
            return IPNetwork(address: net, prefixLength: UInt8(max(0, min(len, v == 4 ? 32 : 128))), version: v)
        }
        guard let (addr, v) = IPAddress.parse(Substring(d)) else { return nil }
        return IPNetwork(address: addr, prefixLength: v == 4 ? 32 : 128, version: v)
    }

    /// Whether entry `id` (outbound) names this address among its destinations.
    public func hasDestination(_ id: Int32, _ a: IPAddress, version: UInt8) -> Bool {
        destinationNetworks[Int(id)].contains { $0.contains(a, version: version) }
    }

    /// Whether some outbound entry lists (transport, port). O(1), no allocation.
    @inlinable public func hasOutbound(_ t: Transport, _ port: UInt16) -> Bool {
        let i = Int(t.rawValue) << 16 | Int(port)
        return outboundPortBits[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    /// The outbound entries listing (transport, port), in entry order; allocates nothing.
    public func forEachOutbound(_ t: Transport, _ port: UInt16, _ body: (Int32) -> Void) {
        for o in outboundPorts where o.transport == t && o.low <= port && port <= o.high { body(o.id) }
    }

    public func roleIndex(_ name: String) -> Int? { roleIndexByName[name] }

    /// The role set for role names; unknown names are ignored.
    public func roleSet(_ names: [String]) -> RoleSet {
        var s = RoleSet()
        for n in names { if let i = roleIndexByName[n] { s.insert(i) } }
        return s
    }

    public func roleNames(of set: RoleSet) -> [String] { set.indices.filter { $0 < roleNames.count }.map { roleNames[$0] } }

    /// Every candidate entry id for (transport, port), most specific first. O(1), no allocation.
    @inlinable public func candidates(_ t: Transport, _ port: UInt16) -> CandidateList {
        let s = Int(portSegment[Int(t.rawValue) << 16 | Int(port)])
        let lo = Int(segmentStart[s])
        return CandidateList(storage: candidateIDs, start: lo, count: Int(segmentStart[s + 1]) - lo)
    }

    /// The segment of (transport, port): ports of one segment have the same candidates (a key for
    /// what reports make of them once), `0 ..< candidateSegmentCount`.
    @inlinable public func candidateSegment(_ t: Transport, _ port: UInt16) -> Int {
        Int(portSegment[Int(t.rawValue) << 16 | Int(port)])
    }

    public var candidateSegmentCount: Int { segmentStart.count - 1 }

    /// The best entry id for a server host with `roles`: the most specific candidate serving one
    /// of them, -1 if none. With empty `roles` (unknown host) it is the most specific candidate
    /// for any role (`candidates(t, port).first`), -1 if none. O(1) per role held, no allocation.
    @inlinable public func best(_ t: Transport, _ port: UInt16, roles: RoleSet) -> Int32 {
        if roles.bits == 0 {
            let c = candidates(t, port)
            return c.count == 0 ? -1 : c[0]
        }
        var bits = roles.bits & roleMask
        var result: Int32 = -1
        var resultRank = UInt32.max
        let segment = Int(portSegment[Int(t.rawValue) << 16 | Int(port)])
        while bits != 0 {
            let r = bits.trailingZeroBitCount
            bits &= bits &- 1  // clears the lowest set bit; bits != 0 so no underflow
            let id = bestBySegment[segment * roleCount + r]
            if id >= 0 && entryRank[Int(id)] < resultRank {
                result = id
                resultRank = entryRank[Int(id)]
            }
        }
        return result
    }

    /// Whether entry `id` is served by a host holding one of `roles`.
    @inlinable public func serves(_ id: Int32, roles: RoleSet) -> Bool {
        entryRoles[Int(id)].bits & roles.bits != 0
    }
}

/// An outbound entry's ports, as plain values (a `CatalogEntry` copy retains its strings; a tuple
/// with a `ClosedRange<UInt16>` costs a conformance check of its generic metadata at start-up).
struct OutboundPorts: Sendable {
    var id: Int32
    var transport: Transport
    var low: UInt16
    var high: UInt16
}

/// A view of the candidate entry ids of one (transport, port): `count`, and `[i]` → entry id.
/// Holds a reference to the compiled table; it does not copy or allocate.
public struct CandidateList: RandomAccessCollection, Sendable {
    @usableFromInline let storage: [Int32]
    @usableFromInline let start: Int
    public let count: Int

    @inlinable init(storage: [Int32], start: Int, count: Int) {
        self.storage = storage
        self.start = start
        self.count = count
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public subscript(i: Int) -> Int32 { storage[start + i] }
}

extension Array {
    /// First index whose element satisfies `belongs` (which must be false then true along the array).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
