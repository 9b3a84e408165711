import ArgumentParser
import Testing
@testable import portolan

/// `PlainCommandLine.analyze` (start-up without ArgumentParser's reflection) must give, for every
/// line it takes, the values ArgumentParser gives (`AnalyzeCommand.values`), field for field; and it
/// must leave every other line to ArgumentParser.
@Suite struct PlainCommandLineTests {
    static let plainLines: [[String]] = [
        ["analyze"],
        ["analyze", "x.pcap"],
        ["analyze", "help"],
        ["analyze", "--no-progress", "-o", "/dev/null", "a.pcap"],
        ["analyze", "--format", "jsonl", "a.pcap", "b.pcap.gz", "tcp", "port", "22"],
        ["analyze", "--format=csv", "--threads=4", "a.pcap"],
        ["analyze", "a.pcap", "--no-progress", "b.pcap", "--format", "json", "not", "port 53"],
        ["analyze", "-r", "a.pcap", "-r", "b.pcap", "tcp", "port", "22"],
        ["analyze", "-f", "tcp port 22", "-c", "10", "-n", "a.pcap"],
        ["analyze", "--catalog", "dcos-1.8", "--catalog=x.yaml", "--inventory", "inv.yaml",
         "--role", "dcos-master=10.0.0.1,10.0.0.2", "--role", "r=1.2.3.0/24", "a.pcap"],
        ["analyze", "--fail-on", "problems", "--no-vlan-key", "--no-tunnels", "--allow-damaged",
         "--same-capture", "--all", "--width", "80", "a.pcap", "b.pcap"],
        ["analyze", "--vantage-points", "--group", "*.pcap", "--group=b*", "--ipfix", "127.0.0.1:4739",
         "--ipfix-biflow", "--split-minimum-bytes", "4096", "a", "b"],
        ["analyze", "--output", "r.json", "--fail-on=blocked-drop,wrong-role", "--threads", "+3", "a.pcap"],
        ["analyze", "--format", "prometheus", "--width=120", "--inventory=i.yaml", "a=b.pcap"],
    ]

    static let otherLines: [[String]] = [
        [], ["decode", "a.pcap"], ["help", "analyze"], ["--version"],
        ["analyze", "--help"], ["analyze", "-h"], ["analyze", "--help-hidden"], ["analyze", "--version"],
        ["analyze", "--", "a.pcap"], ["analyze", "-"], ["analyze", "a.pcap", "-"], ["analyze", ""],
        ["analyze", "--format"], ["analyze", "--format", "--no-progress", "a.pcap"], ["analyze", "--format="],
        ["analyze", "--threads", "x", "a.pcap"], ["analyze", "-c", "-1", "a.pcap"], ["analyze", "--width", "1e3"],
        ["analyze", "--format", "a", "--format", "b"], ["analyze", "-o", "x", "--output", "y"],
        ["analyze", "--no-progress", "--no-progress"], ["analyze", "--no-progress=1"], ["analyze", "-nc", "5"],
        ["analyze", "-o=x", "a.pcap"], ["analyze", "-o", "-", "a.pcap"], ["analyze", "--bogus", "a.pcap"],
        ["analyze", "--generate-completion-script", "bash"], ["analyze", "--experimental-dump-help"],
        ["analyze", "---completion"],
    ]

    @Test(arguments: plainLines)
    func plainLineIsArgumentParsersValue(_ line: [String]) throws {
        let plain = try #require(PlainCommandLine.analyze(line[...]), "\(line) is plain")
        let parsed = try #require(try Portolan.parseAsRoot(line) as? AnalyzeCommand)
        #expect(plain == parsed.values)
    }

    @Test(arguments: otherLines)
    func otherLinesAreArgumentParsers(_ line: [String]) {
        #expect(PlainCommandLine.analyze(line[...]) == nil, "\(line)")
    }
}
