import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports
import Testing
import TestSupport

/// JSON Lines, JSON and CSV stream their flows from `FlowFacts` (FlowBytes.swift) while a
/// snapshot's report writes `FlowRecord`s: both must give the same bytes, for every capture in
/// Captures/ (with its inventory, and without one), one file at a time and all files as sources
/// of one run.
@Suite(.enabled(if: haveCaptures)) struct StreamedFlowTests {
    static let captures: [String] = {
        let names = (FileManager.default.subpaths(atPath: capturesDir) ?? [])
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }()

    func checkSame(_ a: FlowAnalyzer, _ label: String) {
        let snapshot = a.snapshot()
        for format in [ReportFormat.jsonl, .json, .csv] {
            var streamed = ""
            _ = writeReport(a, format: format, to: &streamed)
            let rendered = render(snapshot, format: format)
            #expect(streamed == rendered, "\(label) \(format.rawValue): streamed bytes differ from the snapshot's")
        }
    }

    @Test func everyCaptureWithAndWithoutInventory() throws {
        #expect(Self.captures.count >= 30)
        for name in Self.captures {
            let stem = name.hasSuffix(".pcapng") ? String(name.dropLast(7)) : String(name.dropLast(5))
            let inv = "\(stem).inventory.yaml"
            let hasInventory = FileManager.default.fileExists(atPath: "\(capturesDir)/\(inv)")
            checkSame(try analyzer([name], inventory: hasInventory ? inv : nil), name)
            if hasInventory { checkSame(try analyzer([name], inventory: nil), name + " without inventory") }
        }
    }

    @Test func everyCaptureAsSourcesOfOneRun() throws {
        checkSame(try analyzer(Self.captures, inventory: "blocked.inventory.yaml"), "all captures")
    }
}
