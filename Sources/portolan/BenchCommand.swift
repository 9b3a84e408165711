import ArgumentParser

// PLACEHOLDER: replaced by the helper that owns `portolan bench`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Not built yet.")
    func run() throws { throw ExitCode(2) }
}
