import ArgumentParser
import PortCatalog
import Reports

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "List, look up, validate and export port catalogs.",
        discussion: """
            Built-in catalogs: \(Catalog.builtInIDs.joined(separator: ", ")). Your own catalogs and \
            inventories are YAML files (see "Port catalogs and inventories" in the README); start one with `portolan catalog export ID`.
            Bad input exits with status 2 and a file:line:column message.
            """,
        subcommands: [List.self, Lookup.self, Validate.self, Export.self, Hosts.self]
    )

    enum ListFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }
    enum LookupFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    // Every command names itself: ArgumentParser derives a missing name from the type with
    // String(describing:), whose runtime conformance lookups cost 1.3–4 M instructions per
    // nested command on every run of any command (it builds the whole command tree first).
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Print every entry of the catalogs.")

        @Option(name: .customLong("catalog"), help: ArgumentHelp("Built-in id or catalog file; repeatable. Default: all built-ins.", valueName: "ID|FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var catalogs: [String] = []

        @Option(help: "table, json or csv.")
        var format: ListFormat = .table

        @Option(name: .customLong("width"),
                help: ArgumentHelp("Table width in columns (default: the terminal's, else COLUMNS; piped: every cell whole).", valueName: "N"))
        var width: Int?

        func run() throws {
            let compiled: CompiledCatalog
            do { compiled = try CatalogOptions.compile(catalogs) } catch { throw CatalogOptions.fail(error) }
            switch format {
            case .table: say(CatalogText.listTable(compiled.catalogs, width: listWidth(option: width), ascii: !localeIsUTF8()))
            case .json: say(CatalogText.listJSON(compiled.catalogs))
            case .csv: say(CatalogText.listCSV(compiled.catalogs))
            }
        }
    }

    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lookup",
            abstract: "Show which components a protocol and port belong to.",
            discussion: """
                Prints every candidate, most specific first (a single port before a range); with --role, \
                only those the role serves, the first being the one the analyzer picks. Outbound \
                entries to that port (the host connects out) follow. Exit status 1 when nothing matches.
                """)

        @Argument(help: ArgumentHelp("PROTO/PORT, e.g. tcp/5701 or udp/64000.", valueName: "PROTO/PORT"))
        var query: String

        @Option(help: ArgumentHelp("Only entries served by this role (e.g. dynatrace-node).", valueName: "ROLE"))
        var role: String?

        @Option(name: .customLong("catalog"), help: ArgumentHelp("Built-in id or catalog file; repeatable. Default: all built-ins.", valueName: "ID|FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var catalogs: [String] = []

        @Option(help: "table or json.")
        var format: LookupFormat = .table

        func run() throws {
            let parts = query.lowercased().split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let t = Transport(name: String(parts[0])),
                  parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let p = UInt16(parts[1]), p > 0 else {
                throw CatalogOptions.fail(CatalogError("bad PROTO/PORT '\(query)' (e.g. tcp/5701 or udp/64000; port 1-65535)"))
            }
            let compiled: CompiledCatalog
            do { compiled = try CatalogOptions.compile(catalogs) } catch { throw CatalogOptions.fail(error) }
            if let role, compiled.roleIndex(role) == nil {
                throw CatalogOptions.fail(CatalogError("unknown role '\(role)' (known: \(compiled.roleNames.joined(separator: ", ")))"))
            }
            let matches = CatalogText.lookup(compiled, t, p, role: role)
            switch format {
            case .table: say(CatalogText.lookupTable(matches, query: "\(t.name)/\(p)", role: role))
            case .json: say(CatalogText.lookupJSON(matches))
            }
            if matches.isEmpty { throw ExitCode(1) }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check catalog and inventory files.",
            discussion: """
                The kind of each file is detected by its content: a mapping with `hosts` or `networks` \
                (and no `entries`) is an inventory, anything else is checked as a catalog. Inventory \
                roles are checked against the built-in catalogs (or the --catalog ones) plus the catalogs \
                given in the same call. Each catalog is also compiled as analyze compiles it (at most \
                \(CompiledCatalog.maxRoles) roles). With --inventory, the catalogs given (files and --catalog, \
                else the built-ins) are compiled together and the inventory checked against them, exactly \
                as `analyze --catalog … --inventory FILE` loads them. Every file is checked; problems print \
                as file:line:column, and the exit status is 2 if any file is bad.
                """)

        @Argument(help: ArgumentHelp("Catalog or inventory files.", valueName: "FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var files: [String] = []

        @Option(name: .customLong("catalog"), help: ArgumentHelp("Catalogs whose roles inventories may use; repeatable. Default: all built-ins.", valueName: "ID|FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var catalogs: [String] = []

        @Option(name: .customLong("inventory"), help: ArgumentHelp("An inventory to check with the catalogs given, as analyze loads them together.", valueName: "FILE"),
                completion: .file(extensions: ["yaml", "yml"]))
        var inventory: String?

        func run() throws {
            if files.isEmpty && inventory == nil {
                OutputFile.printError("error: give catalog or inventory files, or --inventory FILE (see 'portolan catalog validate --help')")
                throw ExitCode(2)
            }
            var failed = false
            var loaded: [Catalog] = []
            var inventories: [(path: String, text: String)] = []
            for path in files {
                let text: String
                do { text = try Validate.read(path) } catch {
                    report(error); failed = true; continue
                }
                if Inventory.looksLikeInventory(yaml: text) {
                    inventories.append((path, text))
                    continue
                }
                do {
                    let c = try Catalog.parse(yaml: text, file: path)
                    // The limits analyze applies when it compiles this catalog.
                    do { _ = try CompiledCatalog.compile([c]) } catch { throw CatalogError(file: path, error.message) }
                    loaded.append(c)
                    say("ok: \(Sanitize.text(path)): catalog \(c.id), \(c.entries.count) entries, roles \(c.roleNames.joined(separator: ", "))\n")
                } catch {
                    report(error); failed = true
                }
            }
            if !inventories.isEmpty {
                let compiled: CompiledCatalog
                do {
                    let base = try CatalogOptions.compile(catalogs)
                    compiled = try CompiledCatalog.compile(base.catalogs + loaded.filter { c in !base.catalogs.contains { $0.id == c.id } })
                } catch {
                    throw CatalogOptions.fail(error)
                }
                for (path, text) in inventories {
                    do {
                        let inv = try Inventory.parse(yaml: text, file: path, catalog: compiled)
                        say("ok: \(Sanitize.text(path)): inventory, \(inv.hosts.count) hosts, \(inv.networks.count) networks\n")
                    } catch {
                        report(error); failed = true
                    }
                }
            }
            if let inventory {
                do {
                    var list: [Catalog] = []
                    for id in catalogs { list.append(try Catalog.resolve(id)) }
                    list += loaded
                    if list.isEmpty { for id in Catalog.builtInIDs { list.append(try Catalog.builtIn(id)) } }
                    let compiled = try CompiledCatalog.compile(list)
                    let inv = try Inventory.load(path: inventory, catalog: compiled)
                    say("ok: \(Sanitize.text(inventory)): inventory, \(inv.hosts.count) hosts, \(inv.networks.count) networks, with catalogs \(list.map(\.id).joined(separator: ", "))\n")
                } catch {
                    report(error); failed = true
                }
            }
            if failed { throw ExitCode(2) }
        }

        func report(_ error: any Error) {
            OutputFile.printError("\(error)")
        }

        static func read(_ path: String) throws(CatalogError) -> String {
            guard let data = readWholeFile(path) else { throw CatalogError(file: path, "cannot read file") }
            guard let text = String(validating: data, as: UTF8.self) else { throw CatalogError(file: path, "not UTF-8 text") }
            return text
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Print a catalog's YAML, as a start for your own.",
            discussion: "The first line is a comment. Without --id it says to rename the catalog: two catalogs with one id cannot be loaded together.")

        @Argument(help: ArgumentHelp("Built-in catalog id (\(Catalog.builtInIDs.joined(separator: ", "))) or a catalog file.", valueName: "ID"))
        var id: String

        @Option(name: .customLong("id"),
                help: ArgumentHelp("Give the exported catalog this id, so that it loads beside the one it came from (--catalog mine.yaml --catalog dcos-1.8).",
                                   valueName: "NEW"))
        var newID: String?

        func run() throws {
            do {
                let c = try Catalog.resolve(id)
                say(try c.exportYAML(renamedTo: newID))
            } catch {
                throw CatalogOptions.fail(error)
            }
        }
    }

    struct Hosts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hosts",
            abstract: "Show what an inventory and --role flags say about addresses.",
            discussion: """
                Without ADDR, prints the hosts and networks. With ADDR…, prints each address's roles, \
                name, and whether it is inside the cluster.
                """)

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: ArgumentHelp("Addresses to classify.", valueName: "ADDR"))
        var addresses: [String] = []

        func run() throws {
            let (compiled, inventory) = try catalog.load()
            say(CatalogText.inventoryText(inventory, catalog: compiled, addresses: addresses))
        }
    }
}

/// Writes `text` to standard output at once; a failed write is exit status 2 with its message.
func say(_ text: String) {
    var out = OutputFile.standardOutput
    out.write(text)
    do { try out.flush() } catch {
        OutputFile.printError("error: \(error)")
        exit(2)
    }
}

/// The bytes of the file at `path`, or nil when it cannot be read.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
    }
}
