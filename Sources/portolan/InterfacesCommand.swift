import ArgumentParser
import LiveCapture
import Reports

/// `portolan interfaces`: what libpcap can capture on (pcap_findalldevs), with flags and addresses.
struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces available for live capture, with flags and addresses.",
        discussion: "The names are what `portolan live -i` takes. Needs no privileges, but some platforms list fewer interfaces to unprivileged users."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() throws {
        let all: [CaptureInterface]
        do {
            all = try CaptureInterface.findAll()
        } catch {
            liveWarn("portolan interfaces: \(error)")
            throw ExitCode(2)
        }
        let rows = all.map { dev in
            InterfaceRow(name: dev.name, description: dev.description, flags: dev.flagNames, loopback: dev.isLoopback,
                         up: dev.isUp, running: dev.isRunning, addresses: dev.addresses.map { ($0.version, $0.text) })
        }
        switch format {
        case .table: say(InterfaceText.table(rows))
        case .json: say(InterfaceText.json(rows))
        }
    }
}
