import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports
import Testing
import TestSupport

// One schema for flows (issue 13, #7): the json, jsonl and csv outputs of every capture in
// Captures/ validate against Schema/flow.v1.json with python3's jsonschema (installed by
// .ci/setup; the test is skipped without it), properties and CSV columns in the schema's order;
// and every community_id equals the reference implementation's (python3 `communityid`).

let schemaPath = repositoryRoot + "/Schema/flow.v1.json"
private let script = repositoryRoot + "/Tests/ReportsTests/Scripts/validate_flows.py"

/// Runs python3; its output goes through a file (reading a pipe with FileHandle traps on EINTR
/// while other tests' processes signal).
private func python(_ args: [String]) -> (status: Int32, out: String) {
    let outPath = NSTemporaryDirectory() + "portolan-python-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).txt"
    guard FileManager.default.createFile(atPath: outPath, contents: nil),
          let handle = FileHandle(forWritingAtPath: outPath) else { return (127, "cannot create \(outPath)") }
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    p.standardOutput = handle
    p.standardError = handle
    do { try p.run() } catch { return (127, "\(error)") }
    p.waitUntilExit()
    try? handle.close()
    return (p.terminationStatus, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
}

private let haveJSONSchema = python(["-c", "import jsonschema"]).status == 0
private let haveCommunityID = python(["-c", "import communityid"]).status == 0

/// Every capture of Captures/ and Captures/issue11 (rotated pieces as one group of files each),
/// with its inventory when it has one.
private func captureSets() -> [(names: [String], inventory: String?)] {
    var out: [(names: [String], inventory: String?)] = []
    for dir in ["", "issue11/"] {
        let all = fileNames(in: capturesDir + "/" + dir) { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        var rotated: [String: [String]] = [:]
        for n in all {
            let base = n.replacingOccurrences(of: ".pcapng", with: "").replacingOccurrences(of: ".pcap", with: "")
            if base.hasPrefix("rotated-"), let dash = base.lastIndex(of: "-") {
                rotated[String(base[..<dash]), default: []].append(dir + n)
                continue
            }
            let inv = dir + base + ".inventory.yaml"
            out.append(([dir + n], FileManager.default.fileExists(atPath: capturesDir + "/" + inv) ? inv : nil))
        }
        for (base, names) in rotated.sorted(by: { $0.key < $1.key }) {
            let inv = dir + base + ".inventory.yaml"
            out.append((names.sorted(), FileManager.default.fileExists(atPath: capturesDir + "/" + inv) ? inv : nil))
        }
    }
    return out
}

/// Writes json, jsonl and csv of every capture set into the temporary folder `dir`; their paths.
private func writeOutputs(_ dir: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var paths: [String] = []
    for (i, set) in captureSets().enumerated() {
        let s = try snapshot(set.names, inventory: set.inventory)
        for (format, ext) in [(ReportFormat.json, "json"), (.jsonl, "jsonl"), (.csv, "csv")] {
            let path = "\(dir)/\(i)-\((set.names[0] as NSString).lastPathComponent).\(ext)"
            try render(s, format: format).write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
    }
    return paths
}

@Suite(.enabled(if: haveCaptures)) struct SchemaTests {
    @Test(.enabled(if: haveJSONSchema)) func everyOutputOfEveryCaptureValidates() throws {
        let dir = NSTemporaryDirectory() + "portolan-schema-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = try writeOutputs(dir)
        #expect(paths.count >= 3 * 17)
        let r = python([script, schemaPath] + paths)
        #expect(r.status == 0, "\(r.out)")
        // Something was checked: flows in each format.
        #expect(r.out.contains("checked: json ") && !r.out.contains("json 0,") && !r.out.contains("csv 0"), "\(r.out)")
    }

    @Test(.enabled(if: haveJSONSchema)) func theValidatorRejectsWhatTheSchemaForbids() throws {
        let dir = NSTemporaryDirectory() + "portolan-schema-bad-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = try snapshot(["vlan-trunk.pcap"], inventory: nil)
        let line = String(render(s, format: .jsonl).split(separator: "\n")[0])
        // A QinQ VLAN as the old dotted string, a field renamed, a CSV with the old column order.
        for (name, bad) in [("vlan", line.replacingOccurrences(of: #""vlan":[300,100]"#, with: #""vlan":"300.100""#)
                                        .replacingOccurrences(of: #""vlan":[100]"#, with: #""vlan":"100""#)),
                            ("proto", line.replacingOccurrences(of: #""proto":"#, with: #""protocol":"#))] {
            #expect(bad != line, "\(name): the sample did not change")
            try (bad + "\n").write(toFile: "\(dir)/bad-\(name).jsonl", atomically: true, encoding: .utf8)
            #expect(python([script, schemaPath, "\(dir)/bad-\(name).jsonl"]).status == 1, "\(name)")
        }
        var csv = render(s, format: .csv).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        csv[0] = csv[0].replacingOccurrences(of: "evidence_file,files", with: "files,evidence_file")
        try csv.joined(separator: "\n").write(toFile: "\(dir)/bad.csv", atomically: true, encoding: .utf8)
        #expect(python([script, schemaPath, "\(dir)/bad.csv"]).status == 1)
    }

    @Test(.enabled(if: haveJSONSchema && haveCommunityID)) func communityIDsMatchTheReference() throws {
        let dir = NSTemporaryDirectory() + "portolan-schema-cid-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = try writeOutputs(dir).filter { $0.hasSuffix(".jsonl") }
        let r = python([script, "--community-id", schemaPath] + paths)
        #expect(r.status == 0, "\(r.out)")
        #expect(!r.out.contains("community_id 0"), "\(r.out)")
    }

    /// The flows' fields in CSV are those of JSON Lines, in the same order (also without python).
    @Test func csvColumnsAreTheJSONLinesFields() throws {
        let s = try snapshot(["dcos-cluster.pcap"], inventory: "dcos-cluster.inventory.yaml")
        let first = String(render(s, format: .jsonl).split(separator: "\n")[0])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(Set(obj.keys) == Set(csvHeader))
        // Order: each key's position in the line.
        let positions = csvHeader.map { first.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        let schema = try String(contentsOfFile: schemaPath, encoding: .utf8)
        let schemaPositions = csvHeader.map { schema.range(of: "\n    \"\($0)\": {")?.lowerBound }
        #expect(schemaPositions.allSatisfy { $0 != nil }, "a CSV column missing from the schema's properties")
        #expect(schemaPositions.compactMap { $0 } == schemaPositions.compactMap { $0 }.sorted())
    }

    /// Community ID v1 of known flows (the spec's test vectors, computed with the reference
    /// implementation, python3 `communityid` 1.5.0): TCP both ways, UDP, ICMP echo both ways,
    /// ICMPv6 neighbour solicitation, a one-way ICMP type, SCTP, GRE.
    @Test func communityIDVectors() throws {
        func a(_ t: String) -> (IPAddress, UInt8) { IPAddress.parse(t)! }
        let (s4, _) = a("128.232.110.120"), (d4, _) = a("66.35.250.204")
        #expect(CommunityID.hash(proto: 6, version: 4, source: s4, destination: d4, sourcePort: 34855, destinationPort: 80)
                == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        #expect(CommunityID.hash(proto: 6, version: 4, source: d4, destination: s4, sourcePort: 80, destinationPort: 34855)
                == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        let (u1, _) = a("192.168.1.52"), (u2, _) = a("8.8.8.8")
        #expect(CommunityID.hash(proto: 17, version: 4, source: u1, destination: u2, sourcePort: 54585, destinationPort: 53)
                == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")
        let (i1, _) = a("192.168.0.89"), (i2, _) = a("192.168.0.1")
        #expect(CommunityID.hash(proto: 1, version: 4, source: i1, destination: i2, sourcePort: 8, destinationPort: 0)
                == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        #expect(CommunityID.hash(proto: 1, version: 4, source: i2, destination: i1, sourcePort: 0, destinationPort: 0)
                == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        let (v1, _) = a("fe80::200:86ff:fe05:80da"), (v2, _) = a("fe80::260:97ff:fe07:69ea")
        #expect(CommunityID.hash(proto: 58, version: 6, source: v1, destination: v2, sourcePort: 135, destinationPort: 0)
                == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=")
        // Port unreachable has no counterpart: one-way, never reordered.
        let (o1, _) = a("10.0.0.2"), (o2, _) = a("10.0.0.1")
        #expect(CommunityID.hash(proto: 1, version: 4, source: o1, destination: o2, sourcePort: 3, destinationPort: 3)
                == "1:LhjXG72oBqb/FpYqPl9LboG4/B4=")
        #expect(CommunityID.hash(proto: 1, version: 4, source: o2, destination: o1, sourcePort: 3, destinationPort: 3)
                == "1:sn6MAmXQ6UD1gYE1XbV3XTNewrk=")
        let (c1, _) = a("192.168.170.8"), (c2, _) = a("192.168.170.56")
        #expect(CommunityID.hash(proto: 132, version: 4, source: c1, destination: c2, sourcePort: 7, destinationPort: 80)
                == "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=")
        // No ports for GRE.
        let (g1, _) = a("192.168.1.1"), (g2, _) = a("192.168.1.2")
        #expect(CommunityID.hash(proto: 47, version: 4, source: g1, destination: g2, sourcePort: 0, destinationPort: 0)
                == "1:bOytK/sGNzEv+22bss3rOLLvqFA=")
        #expect(CommunityID.hash(proto: 47, version: 4, source: g2, destination: g1, sourcePort: 9, destinationPort: 9)
                == "1:bOytK/sGNzEv+22bss3rOLLvqFA=")
    }
}
