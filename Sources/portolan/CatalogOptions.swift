import ArgumentParser
import PortCatalog
import Reports

/// Catalog and inventory options shared by `analyze`, `live` and `catalog`:
/// `--catalog ID|FILE` (repeatable; both built-ins by default), `--inventory FILE`,
/// `--role ROLE=ADDR[,ADDR|CIDR…]` (repeatable; combines with the file).
struct CatalogOptions: ParsableArguments {
    @Option(name: .customLong("catalog"),
            help: ArgumentHelp("A built-in catalog id (\(Catalog.builtInIDs.joined(separator: ", "))) or a catalog file; repeatable. Default: all built-ins.",
                               valueName: "ID|FILE"),
            completion: .file(extensions: ["yaml", "yml"]))
    var catalogs: [String] = []

    @Option(name: .customLong("inventory"),
            help: ArgumentHelp("Inventory file: which addresses are which hosts, roles and cluster networks.", valueName: "FILE"),
            completion: .file(extensions: ["yaml", "yml"]))
    var inventory: String?

    @Option(name: .customLong("role"),
            help: ArgumentHelp("Give addresses a role, e.g. dcos-master=10.0.0.11,10.0.0.12 or dcos-agent=10.0.1.0/24; repeatable.",
                               valueName: "ROLE=ADDR,…"))
    var roles: [String] = []

    init() {}

    /// The options as plain values.
    var values: CatalogValues { CatalogValues(catalogs: catalogs, inventory: inventory, roles: roles) }

    func load() throws -> (CompiledCatalog, Inventory) { try values.load() }

    func resolve() throws(CatalogError) -> (CompiledCatalog, Inventory) { try values.resolve() }

    /// Compiles the given ids/files (all built-ins when empty). The same argument twice counts once.
    static func compile(_ idsOrPaths: [String]) throws(CatalogError) -> CompiledCatalog {
        try CatalogValues.compile(idsOrPaths)
    }

    /// Prints `error: …` to standard error and returns the exit code for bad input (2).
    static func fail(_ error: any Error) -> ExitCode {
        CatalogValues.fail(error)
    }
}

/// `CatalogOptions` as plain values: no property wrappers, so a plain command line
/// (`PlainCommandLine`) makes them without ArgumentParser.
struct CatalogValues: Equatable {
    var catalogs: [String]
    var inventory: String?
    var roles: [String]

    /// The catalogs, compiled, and the inventory; a bad catalog, inventory or role prints
    /// `file:line:column: what is wrong` and exits with status 2. Nothing is half-loaded.
    func load() throws -> (CompiledCatalog, Inventory) {
        do {
            return try resolve()
        } catch {
            throw Self.fail(error)
        }
    }

    /// As `load()`, throwing the `CatalogError` instead of exiting.
    func resolve() throws(CatalogError) -> (CompiledCatalog, Inventory) {
        let compiled = try Self.compile(catalogs)
        var inv = Inventory()
        if let inventory {
            inv = try Inventory.load(path: inventory, catalog: compiled)
        }
        for spec in roles { try inv.addRole(spec, catalog: compiled) }
        return (compiled, inv)
    }

    /// Compiles the given ids/files (all built-ins when empty). The same argument twice counts once.
    static func compile(_ idsOrPaths: [String]) throws(CatalogError) -> CompiledCatalog {
        var seen: Set<String> = []
        var list: [Catalog] = []
        for s in idsOrPaths.isEmpty ? Catalog.builtInIDs : idsOrPaths where seen.insert(s).inserted {
            list.append(try Catalog.resolve(s))
        }
        return try CompiledCatalog.compile(list)
    }

    /// Prints `error: …` to standard error and returns the exit code for bad input (2).
    static func fail(_ error: any Error) -> ExitCode {
        OutputFile.printError("error: \(error)")
        return ExitCode(2)
    }
}
