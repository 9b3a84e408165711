import PacketWire

extension FlowAnalyzer {
    // MARK: - Live: expiry and eviction

    /// Removes and returns flows idle longer than `idleTimeoutNanos`, TCP flows closed (both FINs
    /// or a RST) and quiet for `closedLingerNanos`, connections a new one on their key replaced,
    /// and flows evicted since the last call.
    public mutating func expire(nowNanos: Int64) -> [FlowRecord] {
        oneSided = oneSidedSources()
        var out = evicted
        evicted = []
        // Connections a later one replaced on their key have ended: reported now, in order.
        for c in closed {
            out.append(record(key: c.key, state: c.state))
            if c.state.best >= 0 { finished[Int(c.state.best)] = Vantage(source: 0, origIsA: true, inferred: false, frame: 0) }
        }
        closed = []
        let idle = configuration.idleTimeoutNanos
        let linger = configuration.closedLingerNanos
        var pos = table.count - 1
        while pos >= 0 {
            let s = table.states[pos]
            // Wraps only for timestamps 292 years apart; a clock that went back gives a negative
            // quiet time, which expires nothing.
            let quiet = nowNanos &- s.lastTs
            var done = false
            if let idle, quiet >= idle { done = true }
            if !done && table.keys[pos].proto == 6 && quiet >= linger {
                let v = s.current
                done = (v.orig.state == .closed && v.resp.state == .closed) || v.orig.state == .reset
                    || v.resp.state == .reset
            }
            if done {
                out.append(record(key: table.keys[pos], state: s))
                if s.best >= 0 { finished[Int(s.best)] = Vantage(source: 0, origIsA: true, inferred: false, frame: 0) }
                table.remove(at: pos)
            }
            pos -= 1
        }
        return out
    }

    /// At `maxFlows`: evict the least recently seen of up to 8 sampled flows.
    mutating func evictOne() {
        guard table.count > 0 else { return }
        // A hash: the multiplications wrap on purpose.
        var x = nextSerial &* 0x9E37_79B9_7F4A_7C15
        var victim = -1
        var oldest = Int64.max
        for _ in 0..<min(8, table.count) {
            x ^= x >> 31
            x = x &* 0xBF58_476D_1CE4_E5B9
            let p = Int(x % UInt64(table.count))
            if table.states[p].lastTs < oldest {
                oldest = table.states[p].lastTs
                victim = p
            }
        }
        evicted.append(record(key: table.keys[victim], state: table.states[victim]))
        table.remove(at: victim)
        counters.evictedFlows &+= 1  // one per flow evicted: cannot reach 2^64
    }

}
