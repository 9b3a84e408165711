import Foundation
import TestSupport
@testable import PortCatalog

/// Writes Sources/PortCatalog/BuiltInCatalogs.swift: each built-in catalog's YAML text (what
/// `catalog export` prints) and the catalog it parses to, as Swift values, so the binary carries
/// them and starts without parsing YAML. The YAML files in Resources/ are the source;
/// BuiltInCatalogTests checks that this file is what they give today
/// (`PORTOLAN_UPDATE_BUILTIN=1 swift test --filter BuiltInCatalogTests` rewrites it).
enum BuiltInSource {
    static var path: String { repositoryRoot + "/Sources/PortCatalog/BuiltInCatalogs.swift" }

    static func render(ids: [String], resources: String) throws -> String {
        var out = """
        // Generated from Resources/*.yaml by Tests/PortCatalogTests/BuiltInSource.swift: do not edit.
        // PORTOLAN_UPDATE_BUILTIN=1 swift test --filter BuiltInCatalogTests rewrites it; the test
        // fails when it is not what the YAML gives. Built-ins start without a YAML parse (issue 12).

        extension Catalog {
            static let builtInText: [String: String] = [

        """
        var catalogs: [Catalog] = []
        for id in ids {
            let text = try String(contentsOfFile: resources + "/\(id).yaml", encoding: .utf8)
            catalogs.append(try Catalog.parse(yaml: text, file: "builtin:\(id)"))
            var hashes = "#"
            while text.contains("\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
            // The line break before a closing delimiter is not part of the string: one more.
            out += "        \(literal(id)): \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
        }
        out += "    ]\n\n    static let builtInParsed: [String: Catalog] = [\n"
        for c in catalogs {
            out += "        \(literal(c.id)): Catalog(\n"
            out += "            id: \(literal(c.id)), title: \(literal(c.title)),\n"
            out += "            documentName: \(literal(c.documentName)), documentVersion: \(literal(c.documentVersion)),\n"
            out += "            documentFile: \(optional(c.documentFile)),\n"
            out += "            roles: [\(c.roles.map { "(name: \(literal($0.name)), description: \(literal($0.description)))" }.joined(separator: ", "))],\n"
            out += "            decisions: [\n\(c.decisions.map { "                \(literal($0)),\n" }.joined())            ],\n"
            out += "            components: [\n"
            for k in c.components {
                out += "                CatalogComponent(name: \(literal(k.name)), unit: \(optional(k.unit)), edition: .\(k.edition.rawValue), notes: \(optional(k.notes))),\n"
            }
            out += "            ],\n            entries: [\n"
            for e in c.entries {
                let ports = e.ports.map { "\($0.lowerBound)...\($0.upperBound)" } ?? "nil"
                out += "                CatalogEntry(catalogID: \(literal(e.catalogID)), component: \(literal(e.component)), "
                    + "unit: \(optional(e.unit)), edition: .\(e.edition.rawValue), transport: .\(e.transport.name), "
                    + "ports: \(ports), roles: [\(e.roles.map(literal).joined(separator: ", "))], scope: .\(e.scope.rawValue), "
                    + "destinations: [\(e.destinations.map(literal).joined(separator: ", "))], relation: \(optional(e.relation)), "
                    + "notes: \(optional(e.notes)), source: \(literal(e.source)), overlay: \(e.overlay), line: \(e.line)),\n"
            }
            out += "            ],\n            origin: \(literal(c.origin))),\n"
        }
        out += "    ]\n}\n"
        return out
    }

    static func optional(_ s: String?) -> String { s.map(literal) ?? "nil" }

    /// A Swift string literal: every character that is not plain printable ASCII escaped.
    static func literal(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case " "..."~": out.unicodeScalars.append(u)
            default: out += "\\u{\(String(u.value, radix: 16))}"
            }
        }
        return out + "\""
    }
}
