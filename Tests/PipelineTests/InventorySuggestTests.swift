import FlowAnalysis
import Foundation
import PacketWire
import Pipeline
import PortCatalog
import Reports
import Testing
import TestSupport

// `inventory suggest` on every capture of Captures/ that has a hand-written inventory: the
// suggestion proposes the roles the hand-written file gives to every host that served a
// catalogued port, and `analyze` with the suggested file gives every flow the same verdicts.
//
// The one exception is by construction: in dcos-cluster.pcap agent-1 (10.10.0.21) answers on
// tcp/5050, a port only dcos-master serves, to show wrong-role; it serves nothing else, so the
// only evidence says master and no reading of the ports can propose dcos-agent. Its flow is the
// only one whose verdicts differ (wrong-role by hand, expected with the suggestion).

private let captures = repositoryRoot + "/Captures"
private let catalog = Result { () throws(CatalogError) in try CompiledCatalog.builtIn() }

/// (capture files, hand-written inventory), for each capture in Captures/ and Captures/issue11.
private func cases() -> [(files: [String], inventory: String)] {
    var out: [(files: [String], inventory: String)] = []
    for dir in [captures, captures + "/issue11"] {
        for inv in fileNames(in: dir, { $0.hasSuffix(".inventory.yaml") }) {
            let base = String(inv.dropLast(".inventory.yaml".count))
            let files = fileNames(in: dir) { n in
                (n == base + ".pcap" || n == base + ".pcapng" || (n.hasPrefix(base + "-") && (n.hasSuffix(".pcap") || n.hasSuffix(".pcapng"))))
            }.map { dir + "/" + $0 }
            if !files.isEmpty { out.append((files, dir + "/" + inv)) }
        }
    }
    return out
}

private func analyze(_ files: [String], _ inventory: Inventory) throws -> FlowAnalyzer {
    var progress = Progress(enabled: false)
    let groups = files.count == 1 ? [files] : try Pieces.group(Pieces.scan(files), mode: .auto, given: []).map(\.paths)
    let (a, errors) = CaptureRead.groups(groups, configuration: AnalyzerConfiguration(catalog: try catalog.get(), inventory: inventory),
                                         progress: &progress)
    #expect(errors.allSatisfy { $0 == nil }, "\(files): \(errors)")
    return a
}

private func verdicts(_ a: FlowAnalyzer) -> [FlowID: [Verdict]] {
    var d: [FlowID: [Verdict]] = [:]
    a.forEachFlow { d[$0.id, default: []] += $0.verdicts }
    return d
}

@Test(.enabled(if: FileManager.default.fileExists(atPath: captures + "/dcos-cluster.pcap")))
func suggestedInventoriesMatchTheHandWrittenOnes() throws {
    let c = try catalog.get()
    let all = cases()
    #expect(all.count >= 15, "captures with an inventory: \(all.map(\.inventory))")
    var exceptions: [String] = []
    for (files, invPath) in all {
        let name = (invPath as NSString).lastPathComponent
        var suggester = InventorySuggester(catalog: c)
        try analyze(files, Inventory()).forEachFlow { suggester.add($0) }
        let suggestion = suggester.finish()
        let yaml = InventoryText.suggestionYAML(suggestion, sources: files)
        // The text is an inventory `--inventory` loads.
        let suggested = try Inventory.parse(yaml: yaml, file: "suggested-\(name)", catalog: c)
        let hand = try Inventory.load(path: invPath, catalog: c)
        let handAnalyzer = try analyze(files, hand)
        var handVerdicts: [FlowID: [Verdict]] = [:]
        var servedVerdicts: [String: Set<Verdict>] = [:]
        handAnalyzer.forEachFlow { r in
            handVerdicts[r.id, default: []] += r.verdicts
            servedVerdicts[r.server.text(version: r.ipVersion), default: []].insert(r.verdict)
        }
        var excepted: Set<String> = []
        for h in suggestion.hosts {
            let address = h.address.text(version: h.version)
            let want = hand.roles(of: h.address, version: h.version)
            let got = suggested.roles(of: h.address, version: h.version)
            if got == want { continue }
            // Only a host whose every answered flow is wrong-role by hand may differ.
            #expect(servedVerdicts[address]?.contains(.expected) != true,
                    "\(name): \(address) suggested \(c.roleNames(of: got)), hand-written \(c.roleNames(of: want))")
            excepted.insert(address)
            exceptions.append("\(name) \(address)")
        }
        let sugVerdicts = verdicts(try analyze(files, suggested))
        #expect(Set(sugVerdicts.keys) == Set(handVerdicts.keys), "\(name): the flows differ")
        for (id, v) in handVerdicts where sugVerdicts[id] != v {
            let server = id.server.text(version: id.ipVersion)
            #expect(excepted.contains(server),
                    "\(name): \(id.proto.name) \(id.client.text(version: id.ipVersion)) → \(server):\(id.serverPort) hand \(v), suggested \(sugVerdicts[id] ?? [])")
        }
    }
    // The exception the captures were built with, and no other.
    #expect(exceptions == ["dcos-cluster.inventory.yaml 10.10.0.21"])
}

@Test(.enabled(if: FileManager.default.fileExists(atPath: captures + "/dcos-cluster.pcap")))
func suggestionEvidenceAndConfidence() throws {
    let c = try catalog.get()
    var suggester = InventorySuggester(catalog: c)
    try analyze([captures + "/dcos-cluster.pcap"], Inventory()).forEachFlow { suggester.add($0) }
    let s = suggester.finish()
    let yaml = InventoryText.suggestionYAML(s, sources: ["dcos-cluster.pcap"])
    // master-2 answered on tcp/6379 and tcp/9200 too: one role (master), low confidence, and the
    // ports that will be wrong-role named.
    let m2 = try #require(s.hosts.first { $0.address.text(version: $0.version) == "10.10.0.12" })
    #expect(c.roleNames(of: RoleSet(bits: m2.roles.reduce(0) { $0 | 1 << UInt64($1) })) == ["dcos-master"])
    #expect(m2.confidence == .low)
    #expect(m2.unexplained.map(\.text) == ["tcp/6379", "tcp/9200"])
    #expect(yaml.contains("  #   tcp/5050 Mesos Master (1 flow)\n  #   tcp/8080 Marathon (1 flow)"))
    #expect(yaml.contains("networks:\n  - 10.10.0.0/24\n  - fd00:10::/64\n"))
    #expect(yaml.contains("  - address: 10.10.0.11\n    name: dcos-master-1\n    roles: [dcos-master]\n"))
    // Blocked flows are not served: blocked.pcap's 10.10.0.11 answered tcp/5050 only (udp/53 got an
    // ICMP error); 10.10.0.32 answered nothing, its role comes from the attempts, confidence low.
    var b = InventorySuggester(catalog: c)
    try analyze([captures + "/blocked.pcap"], Inventory()).forEachFlow { b.add($0) }
    let bs = b.finish()
    let m1 = try #require(bs.hosts.first { $0.address.text(version: $0.version) == "10.10.0.11" })
    #expect(m1.served.map(\.text) == ["tcp/5050"])
    let d2 = try #require(bs.hosts.first { $0.address.text(version: $0.version) == "10.10.0.32" })
    #expect(d2.served.isEmpty && d2.unanswered.map(\.text) == ["tcp/7199", "tcp/8021"] && d2.confidence == .low)
    #expect(bs.roleNames[d2.roles[0]] == "dynatrace-node")
}

@Test func suggestionTextQuotesAndSanitisesNames() {
    #expect(InventoryText.scalar("dcos-master") == "dcos-master")
    #expect(InventoryText.scalar("yes") == "\"yes\"")
    #expect(InventoryText.scalar("a b\n\u{1b}[31m") == "\"a b\\n\\u001b[31m\"")
    #expect(InventoryText.hostName("my role/x") == "my-role-x")
    #expect(InventoryText.comment("evil\nhosts: []") == "evil\\nhosts: []")
}
