/// Open-addressing flow table over flat storage: `index` is a power-of-two array of slots
/// (0 = empty, else the hash's top 32 bits and the dense position + 1), probed linearly; keys and
/// states live in two dense arrays in creation order (until removals swap the last one into the
/// hole). Grows by rehashing at 50 % load. Nothing here allocates except `insert` when the dense
/// arrays or the index grow.
@usableFromInline
struct FlowTable: Sendable {
    @usableFromInline var index: [UInt64]
    @usableFromInline var keys: [FlowKey]
    @usableFromInline var states: [FlowState]
    @usableFromInline var mask: Int
    /// A removal moved a flow: the dense order is no longer the creation order.
    var reordered = false

    init(initialCapacity: Int = 1024) {
        var cap = 16
        while cap < initialCapacity * 2 { cap <<= 1 }
        index = [UInt64](repeating: 0, count: cap)
        mask = cap - 1
        keys = []
        states = []
        keys.reserveCapacity(initialCapacity)
        states.reserveCapacity(initialCapacity)
    }

    @inlinable var count: Int { keys.count }

    /// Room for `flows` flows in the dense arrays. The index, whose pages are all written when it
    /// is made, is sized for them only up to 2^20 slots (8 MiB, the size it reaches at 512 k
    /// flows anyway); beyond that it grows with the flows.
    mutating func reserve(_ flows: Int) {
        if flows > keys.capacity { keys.reserveCapacity(flows) }
        if flows > states.capacity { states.reserveCapacity(flows) }
        var cap = index.count
        while cap < flows * 2 && cap < 1 << 20 { cap <<= 1 }
        if cap > index.count { rehash(cap) }
    }

    /// Dense position of `key`, or -1. Always inlined: the per-packet loop keeps the probe inline.
    @inlinable @inline(__always) func find(_ key: FlowKey, hash h: UInt64) -> Int {
        let tag = h >> 32
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = index[i]
            if e == 0 { return -1 }
            if e >> 32 == tag {
                let pos = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) - 1
                if keys[pos] == key { return pos }
            }
            i = (i + 1) & mask
        }
    }

    /// Appends a new flow (the caller checked it is absent) and returns its dense position.
    @usableFromInline mutating func insert(_ key: FlowKey, hash h: UInt64, state: FlowState) -> Int {
        if (keys.count + 1) * 2 > index.count { grow() }
        let pos = keys.count
        keys.append(key)
        states.append(state)
        place(hash: h, pos: pos)
        return pos
    }

    @usableFromInline mutating func place(hash h: UInt64, pos: Int) {
        var i = Int(truncatingIfNeeded: h) & mask
        while index[i] != 0 { i = (i + 1) & mask }
        index[i] = (h >> 32) << 32 | UInt64(pos + 1)
    }

    mutating func grow() {
        rehash(index.count * 2)
    }

    mutating func rehash(_ cap: Int) {
        index = [UInt64](repeating: 0, count: cap)
        mask = cap - 1
        for pos in keys.indices { place(hash: keys[pos].hash, pos: pos) }
    }

    /// Index slot holding dense position `pos`.
    func slot(of pos: Int) -> Int {
        var i = Int(truncatingIfNeeded: keys[pos].hash) & mask
        while Int(truncatingIfNeeded: index[i] & 0xFFFF_FFFF) != pos + 1 { i = (i + 1) & mask }
        return i
    }

    /// Removes the flow at dense position `pos`: backward-shift deletion in the index, then the last
    /// flow moves into the hole of the dense arrays.
    mutating func remove(at pos: Int) {
        var hole = slot(of: pos)
        var i = (hole + 1) & mask
        while index[i] != 0 {
            let home = Int(truncatingIfNeeded: keys[Int(index[i] & 0xFFFF_FFFF) - 1].hash) & mask
            // Move entry i back into the hole unless its home lies cyclically in (hole, i].
            let inRange = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !inRange {
                index[hole] = index[i]
                hole = i
            }
            i = (i + 1) & mask
        }
        index[hole] = 0
        let last = keys.count - 1
        if pos != last {
            reordered = true
            let s = slot(of: last)
            keys[pos] = keys[last]
            states[pos] = states[last]
            index[s] = (index[s] >> 32) << 32 | UInt64(pos + 1)
        }
        keys.removeLast()
        states.removeLast()
    }
}
