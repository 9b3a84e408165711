import ArgumentParser

// PLACEHOLDER: replaced by the helper that owns `portolan catalog`.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "Not built yet.")
    func run() throws { throw ExitCode(2) }
}
