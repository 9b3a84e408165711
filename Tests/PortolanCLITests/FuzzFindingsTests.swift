import Foundation
import Testing
import TestSupport

// Inputs the libFuzzer harness (Tests/Fuzz) found, kept as fixtures in Tests/Fixtures: every
// report format reads each without a crash (a status, never a signal).
// - fuzz-html-extreme-times.pcapng: timestamps near both ends of Int64; the HTML report's time
//   axis overflowed (bin edges and the span), a Swift arithmetic trap.

private let binaryPresent = FileManager.default.isExecutableFile(atPath: portolanBinary)

@Suite(.enabled(if: binaryPresent, "build portolan first (swift build)"))
struct FuzzFindingsTests {
    @Test("fuzz findings: every format ends with a status, not a signal",
          arguments: ["table", "json", "jsonl", "csv", "html", "prometheus"])
    func noCrash(_ format: String) throws {
        let fixtures = repositoryRoot + "/Tests/Fixtures"
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasPrefix("fuzz-") }
        #expect(!names.isEmpty)
        for name in names {
            let r = try portolanCapture(["analyze", "--no-progress", "--allow-damaged", "--format", format, fixtures + "/" + name])
            #expect(r.status >= 0 && r.status <= 2, "\(name) --format \(format): status \(r.status): \(r.err)")
            if format == "html" { #expect(r.out.hasSuffix("</html>\n"), "\(name): the page is whole") }
        }
    }
}
