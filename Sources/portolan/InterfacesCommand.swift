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
        switch format {
        case .table: say(Self.table(all))
        case .json: say(Self.json(all) + "\n")
        }
    }

    /// One line per interface as tcpdump -D numbers them, then one indented line per address.
    static func table(_ all: [CaptureInterface]) -> String {
        var out = ""
        for (i, dev) in all.enumerated() {
            out += "\(i + 1).\(dev.name)"
            if let d = dev.description, !d.isEmpty { out += " (\(d))" }
            if !dev.flagNames.isEmpty { out += " [\(dev.flagNames.joined(separator: ", "))]" }
            out += "\n"
            for a in dev.addresses { out += "    \(a.version == 4 ? "inet " : "inet6") \(a.text)\n" }
        }
        return out
    }

    static func json(_ all: [CaptureInterface]) -> String {
        let items = all.map { dev in
            var fields = ["\"name\":\(CatalogText.json(dev.name))"]
            if let d = dev.description { fields.append("\"description\":\(CatalogText.json(d))") }
            fields.append("\"flags\":[\(dev.flagNames.map(CatalogText.json).joined(separator: ","))]")
            fields.append("\"loopback\":\(dev.isLoopback)")
            fields.append("\"up\":\(dev.isUp)")
            fields.append("\"running\":\(dev.isRunning)")
            fields.append("\"addresses\":[\(dev.addresses.map { CatalogText.json($0.text) }.joined(separator: ","))]")
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
