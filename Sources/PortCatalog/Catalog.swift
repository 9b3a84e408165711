import Foundation  // resource bundle and file reading only; never on the per-packet path

/// A port catalog: the ports one vendor document lists, per role. Built-in catalogs are resource
/// files transcribed from the seed documents; users write their own in the same YAML format
/// (README.md, "Port catalogs and inventories"). Loading is all or nothing: a bad file throws and yields no catalog.
public struct Catalog: Sendable {
    public var id: String
    public var title: String
    /// The source document: its name, version and (optionally) file.
    public var documentName: String
    public var documentVersion: String
    public var documentFile: String?
    /// The roles this catalog knows, in file order.
    public var roles: [(name: String, description: String)]
    /// How the document's oddities and ambiguities were read (free text, one item per decision).
    public var decisions: [String]
    public var components: [CatalogComponent]
    public var entries: [CatalogEntry]
    /// The file the catalog was loaded from; `builtin:<id>` for built-ins.
    public var origin: String
    /// The YAML text it was parsed from (what `portolan catalog export` prints).
    public var yaml: String

    public init(id: String, title: String, documentName: String = "", documentVersion: String = "",
                documentFile: String? = nil, roles: [(name: String, description: String)],
                decisions: [String] = [], components: [CatalogComponent] = [], entries: [CatalogEntry],
                origin: String = "", yaml: String = "") {
        self.id = id
        self.title = title
        self.documentName = documentName
        self.documentVersion = documentVersion
        self.documentFile = documentFile
        self.roles = roles
        self.decisions = decisions
        self.components = components
        self.entries = entries
        self.origin = origin
        self.yaml = yaml
    }

    /// A catalog made in code (tests, tools): roles without descriptions, entries as given.
    public init(id: String, roleNames: [String], entries: [CatalogEntry]) {
        self.init(id: id, title: id, roles: roleNames.map { (name: $0, description: "") }, entries: entries,
                  origin: "code:\(id)")
    }

    public var roleNames: [String] { roles.map(\.name) }

    /// IDs of the catalogs shipped as resources of this target.
    public static let builtInIDs: [String] = ["dcos-1.8", "dynatrace-managed"]

    /// The YAML text of a built-in catalog, as shipped.
    public static func builtInYAML(_ id: String) throws(CatalogError) -> String {
        guard builtInIDs.contains(id) else {
            throw CatalogError("unknown built-in catalog '\(id)' (built-in: \(builtInIDs.joined(separator: ", ")))")
        }
        guard let text = resourceText(id) else {
            throw CatalogError("built-in catalog '\(id)' not found: the resource bundle Portolan_PortCatalog.resources must sit next to the portolan binary")
        }
        return text
    }

    public static func builtIn(_ id: String) throws(CatalogError) -> Catalog {
        let text = try builtInYAML(id)
        return try parse(yaml: text, file: "builtin:\(id)")
    }

    /// Loads a catalog file; errors name `path:line:column`.
    public static func load(path: String) throws(CatalogError) -> Catalog {
        let text = try readText(path)
        return try parse(yaml: text, file: path)
    }

    /// A built-in ID, or else a file path.
    public static func resolve(_ idOrPath: String) throws(CatalogError) -> Catalog {
        if builtInIDs.contains(idOrPath) { return try builtIn(idOrPath) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: idOrPath, isDirectory: &isDir), !isDir.boolValue else {
            throw CatalogError("'\(idOrPath)' is neither a built-in catalog (\(builtInIDs.joined(separator: ", "))) nor a readable file")
        }
        return try load(path: idOrPath)
    }

    /// What `catalog export` prints: the catalog's YAML after one comment line. With `newID`, the
    /// top-level `id:` line says `newID` (checked by parsing the result again), so the export can
    /// be loaded beside the catalog it came from; without, the comment says to rename it, since
    /// two catalogs with one id cannot be loaded together.
    public func exportYAML(renamedTo newID: String?) throws(CatalogError) -> String {
        var text = yaml.hasSuffix("\n") ? yaml : yaml + "\n"
        guard let newID else {
            return "# Exported from catalog \(id). To load it beside \(id) (--catalog FILE --catalog \(id)), give it "
                + "an id of its own: edit `id:` below, or export with --id NEW.\n" + text
        }
        guard CatalogParser.isName(newID) else {
            throw CatalogError("bad catalog id '\(newID)' for --id (letters, digits, '.', '_' and '-' only)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The top-level key sits at column 0; nested `id:` keys (none today) would be indented.
        guard let i = lines.firstIndex(where: { $0.hasPrefix("id:") }) else {
            throw CatalogError("catalog \(id): no top-level `id:` line to rename; export without --id and edit it")
        }
        lines[i] = "id: \(newID)"
        text = lines.joined(separator: "\n")
        let renamed = try Catalog.parse(yaml: text, file: "catalog export --id \(newID)")
        guard renamed.id == newID else {
            throw CatalogError("catalog \(id): renaming to '\(newID)' did not take; export without --id and edit it")
        }
        return "# Exported from catalog \(id) with its id renamed to \(newID).\n" + text
    }

    /// Parses catalog YAML; `file` is only used in error messages and `origin`.
    public static func parse(yaml: String, file: String) throws(CatalogError) -> Catalog {
        var catalog = try CatalogParser(file: file).parse(yaml)
        catalog.origin = file
        catalog.yaml = yaml
        return catalog
    }

    /// The shipped YAML of a built-in. Reads through `Bundle.module` when the resource bundle sits
    /// next to the executable; otherwise from the source tree this was built from (development
    /// builds, tests). Never reaches the generated accessor's fatalError: without either, nil.
    static func resourceText(_ id: String) -> String? {
        let beside = Bundle.main.bundleURL.appendingPathComponent("Portolan_PortCatalog.resources").path
        if FileManager.default.fileExists(atPath: beside) {
            if let url = Bundle.module.url(forResource: id, withExtension: "yaml", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: id, withExtension: "yaml"),
               let data = FileManager.default.contents(atPath: url.path) {
                return String(data: data, encoding: .utf8)
            }
        }
        var source = URL(fileURLWithPath: #filePath)
        source.deleteLastPathComponent()
        let path = source.appendingPathComponent("Resources/\(id).yaml").path
        return FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
    }

    static func readText(_ path: String) throws(CatalogError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogError(file: path, "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogError(file: path, "not UTF-8 text")
        }
        return text
    }
}
