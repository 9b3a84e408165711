import ArgumentParser

// PLACEHOLDER: replaced by the helper that owns `portolan analyze`.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analyze", abstract: "Not built yet.")
    func run() throws { throw ExitCode(2) }
}
