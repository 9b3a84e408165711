import ArgumentParser

// PLACEHOLDER: replaced by the helper that owns `portolan live`.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "live", abstract: "Not built yet.")
    func run() throws { throw ExitCode(2) }
}
