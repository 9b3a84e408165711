import PacketWire

// One-sided captures (`tcpdump -Q in|out`, a span port that sees one direction): every flow shows
// one direction only, so a working flow looks like an unanswered one. A source is one-sided when
// some TCP flow on the wire proves the other direction is missing from it — one side sent a
// SYN-ACK, a pure ACK or data (which acknowledge packets the capture never saw: a client's
// handshake ACK or data, a server's SYN-ACK or data) while its peer sent nothing — and no flow of
// it has packets both ways. A FIN or RST with ACK alone proves nothing (a client giving up sends one). For such a source no `blocked-drop` is
// claimed (the evidence note says why), and a one-way datagram flow between two ports of the same
// kind is directed by the port heuristics TCP uses (the lower port serves), as its first datagram
// may be the answer.

extension FlowAnalyzer {
    /// The one-sided sources (bit per source, `sourceBit`), from every vantage the analyzer keeps.
    func oneSidedSources() -> UInt64 {
        var proof: UInt64 = 0, twoWay: UInt64 = 0
        func look(_ v: Vantage, _ key: FlowKey) {
            let o = v.orig.packets > 0, r = v.resp.packets > 0
            if o && r {
                twoWay |= sourceBit(v.source)
            } else if key.proto == 6 && key.layer == 0 && (o || r) {
                // History H (SYN-ACK), A (pure ACK) or D (data) from the only side that sent.
                let letters: UInt16 = (1 << 1) | (1 << 2) | (1 << 3)
                if v.historySeen & (o ? letters : letters << 8) != 0 { proof |= sourceBit(v.source) }
            }
        }
        forEachFlowState { key, s in
            look(s.current, key)
            if s.best >= 0 { look(finished[Int(s.best)], key) }
        }
        return proof & ~twoWay
    }

    /// This analyzer with `oneSided` (and the source names' hashes for `uid`) computed: what
    /// reports are made from.
    func withOneSidedSources() -> FlowAnalyzer {
        var me = self
        me.oneSided = oneSidedSources()
        me.oneSidedKnown = true
        me.sourceNameHashes = sourceNames.map(FlowAnalyzer.nameHash)
        return me
    }

    /// Whether `v`'s source is one-sided.
    @inline(__always) func isOneSided(_ v: Vantage) -> Bool { oneSided & sourceBit(v.source) != 0 }

    /// The vantage a flow reports (`representative`), with a one-way datagram flow of a one-sided
    /// source turned around when its sender holds the port that serves by TCP's heuristics.
    @inline(__always) func reported(key: FlowKey, state s: FlowState) -> Vantage {
        let v = representative(s)
        // Most sources are not one-sided: one test per flow.
        if oneSided == 0 || key.proto == 6 { return v }
        return turnedAround(v, key: key, carrier: s.carrier)
    }

    /// `v` turned around if it is a one-way datagram flow of a one-sided source whose sender holds
    /// the serving port (`reported`).
    @inline(never) func turnedAround(_ v: Vantage, key: FlowKey, carrier: Bool) -> Vantage {
        guard isOneSided(v), !v.inferred, v.resp.packets == 0, v.orig.packets > 0,
              v.icmpIndex < 0, !carrier, IPProtocol(key.proto).hasPorts
        else { return v }
        let client = v.origIsA ? key.a : key.b, server = v.origIsA ? key.b : key.a
        let clientPort = v.origIsA ? key.aPort : key.bPort, serverPort = v.origIsA ? key.bPort : key.aPort
        let proto = IPProtocol(key.proto)
        let c = serverScore(proto, clientPort, client, key.version)
        let r = serverScore(proto, serverPort, server, key.version)
        guard c != r ? c > r : clientPort < serverPort else { return v }
        var w = v
        swap(&w.orig, &w.resp)
        w.origIsA.toggle()
        w.inferred = true
        // Each history letter now comes from the other side, after a `^` (as Zeek's flip when it
        // creates a connection whose first packet came from a likely server port).
        w.historyCodes = (0, 0)
        w.historyCount = 0
        w.flipped()
        for i in 0..<Int(v.historyCount) { w.appendHistory(UInt8(v.historyCode(i) ^ 1)) }
        w.historySeen = v.historySeen << 8 | v.historySeen >> 8
        return w
    }

    /// A rule verdict's note, with why no blocked-drop was claimed (`Decision.oneSidedNotBlocked`).
    func oneSidedNote(_ note: String) -> String {
        let why = "one-sided capture (the other direction was not captured): not blocked"
        return note.isEmpty ? why : note + "; " + why
    }
}
