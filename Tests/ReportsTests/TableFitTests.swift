import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
@testable import Reports
import Testing

/// The table at 80, 120 and 200 columns and in the C locale (issue 13, #4 and #5): no line wider
/// than the terminal, nothing cut that fits, ASCII only when asked, problems grouped.
@Suite(.enabled(if: haveCaptures)) struct TableFitTests {
    static let cases: [(String, String?)] = [("blocked.pcap", "blocked.inventory.yaml"),
                                             ("dcos-cluster.pcap", "dcos-cluster.inventory.yaml"),
                                             ("dynatrace-cluster.pcapng", "dynatrace-cluster.inventory.yaml"),
                                             ("vxlan-overlay.pcap", nil)]

    @Test(arguments: [80, 120, 200])
    func everyLineFits(width: Int) throws {
        for (capture, inventory) in Self.cases {
            let s = try snapshot([capture], inventory: inventory)
            let text = render(s, format: .table, options: ReportOptions(width: width))
            for line in text.split(separator: "\n") {
                #expect(line.count <= width, "\(capture) at \(width): \(line)")
            }
            // Every example flow's endpoints are printed whole on their own line, at any width.
            for f in s.flows where f.isProblem && f.client.text(version: f.ipVersion).count < 30 {
                let client = f.ipVersion == 6 ? "[\(f.client.text(version: 6))]:\(f.clientPort)" : "\(f.client.text(version: 4)):\(f.clientPort)"
                #expect(text.contains("    " + client), "\(capture) at \(width): \(client)")
            }
            if width == 200 {
                // Wide enough: nothing cut.
                #expect(!text.contains("…\n"), "\(capture) at 200 cuts a line")
                #expect(!text.contains("…  "), "\(capture) at 200 cuts a component")
            }
        }
    }

    @Test func eightyColumnsKeepTheNumbers() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let text = render(s, format: .table, options: ReportOptions(width: 80))
        // The component table keeps every count column at 80: a long name is cut, not the row.
        #expect(text.contains("Cassandra-based Hypercube stora…        1          2      148 B      2         1\n"))
        // The header's counts are never cut: on a line of their own when they do not fit.
        let narrow = render(s, format: .table, options: ReportOptions(width: 60))
        #expect(narrow.hasPrefix("Portolan analysis: 1 file, 59 packets, 4.7 KiB,\n  18 flows, 17 with problems\n"))
        #expect(text.hasPrefix("Portolan analysis: 1 file, 59 packets, 4.7 KiB, 18 flows, 17 with problems\n"))
        #expect(text.contains("    10.10.0.21:50904 (agent-1) → 10.10.0.11:8123 (master-1)\n        S0 S 3/0 pkts #11,#17 [+expected]\n"))
    }

    @Test func asciiWhenTheLocaleIsNotUTF8() throws {
        for (capture, inventory) in Self.cases {
            let s = try snapshot([capture], inventory: inventory)
            for width in [80, 200] {
                let text = render(s, format: .table, options: ReportOptions(width: width, ascii: true))
                #expect(!text.utf8.contains { $0 >= 0x80 }, "\(capture) at \(width): non-ASCII in the C locale")
                for line in text.split(separator: "\n") { #expect(line.count <= width) }
            }
        }
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let text = render(s, format: .table, options: ReportOptions(width: 80, ascii: true))
        #expect(text.contains("10.10.0.21:50904 (agent-1) -> 10.10.0.11:8123 (master-1)"))
        #expect(text.contains("blocked-drop (6 flows in 6 groups) - connection attempts never answered"))
        #expect(text.contains("...\n"))
    }

    @Test func localeAndWidthDecisions() {
        #expect(Terminal.isUTF8(lcAll: nil, lcCType: nil, lang: "en_US.UTF-8"))
        #expect(!Terminal.isUTF8(lcAll: "C", lcCType: nil, lang: "en_US.UTF-8"))
        #expect(Terminal.isUTF8(lcAll: "", lcCType: "C.utf8", lang: "C"))
        #expect(!Terminal.isUTF8(lcAll: nil, lcCType: nil, lang: nil))
        #expect(!Terminal.isUTF8(lcAll: nil, lcCType: nil, lang: "POSIX"))
        #expect(Terminal.width(option: nil, terminalColumns: nil, columnsVariable: nil) == 100)
        #expect(Terminal.width(option: nil, terminalColumns: nil, columnsVariable: "132") == 132)
        #expect(Terminal.width(option: nil, terminalColumns: 90, columnsVariable: "132") == 90)
        #expect(Terminal.width(option: 200, terminalColumns: 90, columnsVariable: "132") == 200)
        #expect(Terminal.width(option: nil, terminalColumns: nil, columnsVariable: "wide") == 100)
        #expect(Terminal.width(option: 10, terminalColumns: nil, columnsVariable: nil) == 40)
    }

    @Test func fitLinesCutsWithAnEllipsisAndKeepsColour() {
        #expect(fitLines("abcdefghij\nabc", width: 5, ascii: false) == "abcd…\nabc")
        #expect(fitLines("abcdefghij", width: 5, ascii: true) == "ab...")
        #expect(fitLines("a → b …", width: 80, ascii: true) == "a -> b ...")
        // Colour sequences take no column.
        #expect(fitLines("\u{1B}[31mabc\u{1B}[0m", width: 3, ascii: false) == "\u{1B}[31mabc\u{1B}[0m")
        #expect(fitLines("\u{1B}[31mabcdef\u{1B}[0m", width: 3, ascii: false) == "\u{1B}[31mab…\u{1B}[0m")
    }

    @Test func problemsAreGroupedAndPlural() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let text = render(s, format: .table)
        // Two Mesos DNS flows to udp/61053 on dcos-master (IPv4 and IPv6) are one group of 2.
        #expect(text.contains("  udp/61053  Mesos DNS on dcos-master: 2 flows, ICMP port unreachable\n"))
        #expect(text.contains("blocked-icmp (8 flows in 7 groups)"))
        #expect(text.contains(": 1 flow, 1 datagram, no answer, no ICMP (low confidence)"))
        #expect(!text.contains("(s)") && !text.contains(" 1 flows") && !text.contains(" 1 packets"))
        // One example per group at most 1 (maxFlowsPerVerdict groups, examplesPerGroup flows).
        let small = render(s, format: .table, options: ReportOptions(maxFlowsPerVerdict: 2, examplesPerGroup: 1))
        #expect(small.contains("  … 4 more groups (4 flows): --all lists every flow\n"))
        #expect(small.contains("      … 1 more flow of this kind\n"))
        let all = render(s, format: .table, options: ReportOptions(maxFlowsPerVerdict: 2, examplesPerGroup: 1, all: true))
        #expect(!all.contains("more group") && !all.contains("more flow"))
        for f in s.flows where f.isProblem { #expect(all.contains(":\(f.clientPort) ")) }
    }
}

/// `catalog list` at 80, 120 and 200 columns: no line wider, columns left out say so; without a
/// width (piped, no COLUMNS) every cell is whole.
@Test(arguments: [80, 120, 200]) func catalogListFits(width: Int) throws {
    let c = try #require(builtInCatalog)
    let text = CatalogText.listTable(c.catalogs, width: width)
    for line in text.split(separator: "\n") { #expect(line.count <= width, "\(width): \(line)") }
    #expect(text.contains("Mesos DNS") && text.contains("Hazelcast"))
    #expect(text.contains("not shown at") == (width < 200))
    let whole = CatalogText.listTable(c.catalogs)
    #expect(whole.contains("dcos-mesos-dns.service") && !whole.contains("…"))
    let ascii = CatalogText.listTable(c.catalogs, width: width, ascii: true)
    #expect(!ascii.utf8.contains { $0 >= 0x80 })
}
