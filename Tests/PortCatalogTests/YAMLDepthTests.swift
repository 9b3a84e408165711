import Testing
@testable import PortCatalog

// Issue 14, finding 4: deeply nested YAML overflowed the parser's stack (SIGSEGV). The depth is
// measured before parsing; too deep is a file:line:column error.

private func depthError(_ body: () throws -> Void) -> CatalogError? {
    do { try body() } catch let e as CatalogError { return e } catch { return nil }
    return nil
}

@Suite struct YAMLDepthTests {
    @Test func fiftyThousandNestedFlowSequencesAreAnError() throws {
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n"
        let c = depthError { _ = try Catalog.parse(yaml: deep, file: "deep.yaml") }
        #expect(c?.description == "deep.yaml:1:\(YAMLDepth.limit): YAML nested deeper than \(YAMLDepth.limit) levels")
        let catalog = try CompiledCatalog.builtIn()
        let inv = depthError { _ = try Inventory.parse(yaml: "hosts: " + deep, file: "inv.yaml", catalog: catalog) }
        #expect(inv?.line == 1 && inv?.message.contains("nested deeper") == true, "\(String(describing: inv))")
        #expect(!Inventory.looksLikeInventory(yaml: "hosts: " + deep))
    }

    @Test func nestedMappingsAndBlockSequencesAreCountedToo() {
        let braces = "a: " + String(repeating: "{b: ", count: 3_000) + "c" + String(repeating: "}", count: 3_000) + "\n"
        #expect(depthError { _ = try Catalog.parse(yaml: braces, file: "m.yaml") }?.message.contains("nested deeper") == true)
        let dashes = String(repeating: "- ", count: 5_000) + "x\n"
        let d = depthError { _ = try Catalog.parse(yaml: dashes, file: "d.yaml") }
        #expect(d?.line == 1 && d?.message.contains("nested deeper") == true, "\(String(describing: d))")
        var indented = ""
        for level in 0..<3_000 { indented += String(repeating: " ", count: level) + "k:\n" }
        let i = depthError { _ = try Catalog.parse(yaml: indented, file: "i.yaml") }
        #expect(i?.line == YAMLDepth.limit + 1 && i?.message.contains("nested deeper") == true, "\(String(describing: i))")
    }

    @Test func quotesCommentsAndBlockScalarsDoNotCount() {
        let many = String(repeating: "[", count: 500)
        let text = """
            id: x   # \(many)
            title: '\(many)'
            description: "\(many)\\"\(many)"
            note: |
              \(many)
              \(many)
            """
        #expect(YAMLDepth.firstTooDeep(text) == nil)
        #expect(YAMLDepth.firstTooDeep("a: " + String(repeating: "[", count: 90) + String(repeating: "]", count: 90)) == nil)
        // A quote that ends mid-line does not hide what follows it.
        let after = "a: 'x\n y' " + String(repeating: "[", count: 200)
        #expect(YAMLDepth.firstTooDeep(after)?.line == 2)
    }

    @Test func builtInCatalogsAreWellWithinTheLimit() throws {
        for id in Catalog.builtInIDs {
            #expect(YAMLDepth.firstTooDeep(try Catalog.resolve(id).yaml) == nil, "\(id)")
        }
    }
}
