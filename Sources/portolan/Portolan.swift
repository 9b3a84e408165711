import ArgumentParser
import Reports

@main
struct Portolan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portolan",
        abstract: "Packet-capture traffic analyzer for DC/OS and Dynatrace Managed cluster ports.",
        version: portolanVersion,
        subcommands: [
            DecodeCommand.self,
            AnalyzeCommand.self,
            LiveCommand.self,
            InterfacesCommand.self,
            CatalogCommand.self,
            InventoryCommand.self,
            BenchCommand.self,
        ]
    )

    /// ArgumentParser exits 64 (EX_USAGE) on a usage error; Portolan's contract is exit status 2
    /// for bad usage as for bad input, so a pipeline gate only has to know 0, 1 and 2.
    static func main() {
        do {
            // A plain `analyze` line skips ArgumentParser's reflection (PlainCommandLine).
            if let plain = PlainCommandLine.analyze(CommandLine.arguments.dropFirst()) {
                try plain.run()
            } else {
                var command = try parseAsRoot()
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                let message = fullMessage(for: error)
                if !message.isEmpty { OutputFile.printError(message, keepingLineBreaks: true) }
                Self.exit(withError: ExitCode(2))
            }
            Self.exit(withError: error)
        }
    }
}
