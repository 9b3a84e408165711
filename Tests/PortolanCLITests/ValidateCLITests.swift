import Foundation
import Testing
import TestSupport

// Issue 14, finding 7: `catalog validate` applies exactly the limits analyze applies, and checks an
// inventory with the catalogs given as analyze loads them together.

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: portolanBinary), "build portolan first (swift build)"))
struct ValidateCLITests {
    @Test func validateAppliesTheRoleLimitAnalyzeApplies() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/many-roles.yaml"
        var y = "id: many\nroles:\n"
        for r in 0..<65 { y += "  - r\(r)\n" }
        y += "components:\n  - name: c\nentries:\n  - {component: c, protocol: tcp, port: 1, roles: [r0]}\n"
        try y.write(toFile: path, atomically: false, encoding: .utf8)
        let analyze = try portolanCapture(["analyze", "--no-progress", "--catalog", path, repositoryRoot + "/Captures/blocked.pcap"])
        #expect(analyze.status == 2 && analyze.err.contains("at most 64"), "\(analyze.err)")
        let validate = try portolanCapture(["catalog", "validate", path])
        #expect(validate.status == 2 && validate.err.contains("at most 64"), "status \(validate.status): \(validate.out) \(validate.err)")
        #expect(!validate.out.contains("ok:"))
    }

    @Test func validateChecksAnInventoryWithTheCatalogsGiven() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let catalog = dir + "/mine.yaml"
        try "id: mine\nroles: [web]\ncomponents:\n  - name: nginx\nentries:\n  - {component: nginx, protocol: tcp, port: 80, roles: [web]}\n"
            .write(toFile: catalog, atomically: false, encoding: .utf8)
        let good = dir + "/good.yaml"
        try "hosts:\n  - {address: 10.0.0.1, roles: [web]}\n".write(toFile: good, atomically: false, encoding: .utf8)
        let bad = dir + "/bad.yaml"
        try "hosts:\n  - {address: 10.0.0.1, roles: [dcos-master]}\n".write(toFile: bad, atomically: false, encoding: .utf8)
        let ok = try portolanCapture(["catalog", "validate", catalog, "--inventory", good])
        #expect(ok.status == 0 && ok.out.contains("ok: \(good): inventory, 1 hosts"), "\(ok.out) \(ok.err)")
        // As analyze --catalog mine.yaml --inventory bad.yaml: the built-ins are not loaded.
        let no = try portolanCapture(["catalog", "validate", catalog, "--inventory", bad])
        #expect(no.status == 2 && no.err.contains("\(bad):2:") && no.err.contains("unknown role 'dcos-master'"), "\(no.err)")
        let analyze = try portolanCapture(["analyze", "--no-progress", "--catalog", catalog, "--inventory", bad, repositoryRoot + "/Captures/blocked.pcap"])
        #expect(analyze.status == 2 && analyze.err.contains("unknown role 'dcos-master'"))
    }
}
