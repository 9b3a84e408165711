import ArgumentParser

// PLACEHOLDER: replaced by the helper that owns `portolan interfaces`.
struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "interfaces", abstract: "Not built yet.")
    func run() throws { throw ExitCode(2) }
}
