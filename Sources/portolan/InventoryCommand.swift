import ArgumentParser
import FlowAnalysis
import Pipeline
import PortCatalog
import Reports

/// `portolan inventory suggest FILE…`: an inventory proposed from the servers the captures show.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Build an inventory from captures.",
        subcommands: [Suggest.self])

    struct Suggest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suggest",
            abstract: "Propose each host's roles from the ports it served, as an inventory YAML to edit.",
            discussion: """
                A host serves a port when it answered a flow to it (no RST, ICMP error or silence). \
                Each host gets the roles whose catalog entries explain the ports it served, the most \
                specific entries first; the evidence (ports, components, flow counts) and a confidence \
                (high, medium, low) are comments above it. The cluster networks are guessed as the /24 \
                or /64 of each host. Edit the file, then pass it to analyze --inventory. Exit status 2 \
                for bad usage or bad input.
                """)

        @Argument(help: ArgumentHelp("Capture files (pcap, pcapng; gzip or zstd compressed too).", valueName: "FILE"))
        var files: [String]

        @Option(name: .customLong("catalog"),
                help: ArgumentHelp("Built-in id or catalog file; repeatable. Default: all built-ins.", valueName: "ID|FILE"))
        var catalogs: [String] = []

        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the inventory to FILE.", valueName: "FILE"))
        var output: String?

        func run() throws {
            guard !files.isEmpty else { throw analyzeFail("no capture file given") }
            let catalog: CompiledCatalog
            do { catalog = try CatalogOptions.compile(catalogs) } catch { throw CatalogOptions.fail(error) }
            var progress = Progress(enabled: false) { _ in }
            // Without an inventory: roles must not steer the analysis the suggestion is made from.
            let config = AnalyzerConfiguration(catalog: catalog, inventory: Inventory())
            let groups: [[String]]
            if files.count == 1 {
                groups = [files]
            } else {
                do { groups = try Pieces.group(Pieces.scan(files), mode: .auto, given: []).map(\.paths) } catch {
                    throw analyzeFail("\(error)")
                }
            }
            let (analyzer, errors) = CaptureRead.groups(groups, configuration: config, progress: &progress)
            var bad = false
            for case let e? in errors {
                printError("error: \(e)")
                bad = true
            }
            if bad { throw ExitCode(2) }
            var suggester = InventorySuggester(catalog: catalog)
            analyzer.forEachFlow { suggester.add($0) }
            let text = InventoryText.suggestionYAML(suggester.finish(), sources: files)
            var out: OutputFile
            do { out = try output.map { p throws(OutputError) in try OutputFile(path: p, inputs: files) } ?? .standardOutput } catch {
                throw analyzeFail("\(error)")
            }
            out.write(text)
            do { try out.close() } catch { throw analyzeFail("\(error)") }
        }
    }
}
