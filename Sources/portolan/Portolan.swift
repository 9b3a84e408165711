import ArgumentParser

@main
struct Portolan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portolan",
        abstract: "Packet-capture traffic analyzer for DC/OS and Dynatrace Managed cluster ports.",
        version: "0.1.0",
        subcommands: [
            DecodeCommand.self,
            AnalyzeCommand.self,
            LiveCommand.self,
            InterfacesCommand.self,
            CatalogCommand.self,
            BenchCommand.self,
        ]
    )
}
