import FlowAnalysis

/// The one line `analyze` and `live` print on standard error when `--fail-on` makes the exit
/// status 1: what was asked, how many flows, and how many each listed verdict has, e.g.
/// `portolan: --fail-on problems: 3 flows (blocked-rst 2, unexpected-port 1); exit 1`.
/// `given` is the --fail-on text as parsed (verdict names and the words problems, blocked, any,
/// none): nothing in the line comes from a file.
public func failOnLine(_ tally: FailOnTally, given: String) -> String {
    let asked = given.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }.joined(separator: ",")
    let parts = tally.perVerdict.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")
    return "portolan: --fail-on \(asked): \(tally.flows) flow\(tally.flows == 1 ? "" : "s") (\(parts)); exit 1"
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(String(drop(while: { $0 == " " || $0 == "\t" }).reversed()).drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
