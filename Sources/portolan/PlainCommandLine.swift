import Pipeline

/// `portolan analyze` read without ArgumentParser when its command line is plain: every word a
/// file or filter word, or one of analyze's own options written out in full with a value that is
/// not empty and does not start with `-`, no option given twice unless it is repeatable.
///
/// Why: ArgumentParser builds every command's argument set by reflection at each run (the whole
/// command tree, then analyze's ≈ 30 property wrappers three times over, each first use of a
/// generic wrapper type a scan of the binary's protocol conformances): ≈ 17 M instructions of a
/// 20 M start-up (`Benchmarks/PERFORMANCE.md`, issue 12, second half). An operator's CI runs
/// `analyze` on thousands of small files.
///
/// Anything else — `--help`, `-h`, `--version`, `--`, a word starting with `-` that is not one of
/// the options below, a bad number, an option twice, completion and dump-help requests — returns
/// nil and ArgumentParser parses the whole command line as before: its messages, help and
/// completions are the only ones. `PlainCommandLineTests` checks that for plain command lines this
/// gives the values ArgumentParser gives.
enum PlainCommandLine {
    /// The options when `arguments` (without the program name) is a plain `analyze` line. They
    /// are plain values: making `AnalyzeCommand`'s property wrappers alone costs ≈ 1.6 M
    /// instructions (generic metadata, each checked against the binary's conformances).
    static func analyze(_ arguments: ArraySlice<String>) -> AnalyzeValues? {
        guard arguments.first == "analyze" else { return nil }
        var words: [String] = []
        var read: [String] = [], filter: String?, count: UInt64?, numeric = false
        var catalogs: [String] = [], inventory: String?, roles: [String] = []
        var format = AnalyzeCommand.defaultFormat, output: String?, failOn: String?
        var noVLANKey = false, noTunnels = false, allowDamaged = false, sameCapture = false
        var vantagePoints = false, ipfixBiflow = false, noProgress = false, all = false
        var threads = AnalyzeCommand.defaultThreads, splitMinimumBytes = SplitRead.minimumRange
        var groupGlobs: [String] = [], ipfix: String?, width: Int?
        var given: [String] = []  // the options that may be given once, seen so far

        var i = arguments.index(after: arguments.startIndex)
        while i < arguments.endIndex {
            let word = arguments[i]
            i += 1
            guard let first = word.utf8.first else { return nil }
            guard first == UInt8(ascii: "-") else {
                words.append(word)
                continue
            }
            var name = word
            var attached: String?
            if word.utf8.starts(with: "--".utf8), let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                attached = String(word[word.index(after: eq)...])
            }
            /// The option's value: after `=`, or the next word.
            func value() -> String? {
                let v: String
                if let attached {
                    v = attached
                } else {
                    guard i < arguments.endIndex else { return nil }
                    v = arguments[i]
                    i += 1
                }
                guard let c = v.utf8.first, c != UInt8(ascii: "-") else { return nil }
                return v
            }
            /// A flag: no `=value`, not given before.
            func flag() -> Bool {
                attached == nil && once()
            }
            /// False when an option that may be given once was given before.
            func once() -> Bool {
                let key = name == "-o" ? "--output" : name
                if given.contains(key) { return false }
                given.append(key)
                return true
            }
            switch name {
            // Repeatable options.
            case "-r": guard let v = value() else { return nil }; read.append(v)
            case "--catalog": guard let v = value() else { return nil }; catalogs.append(v)
            case "--role": guard let v = value() else { return nil }; roles.append(v)
            case "--group": guard let v = value() else { return nil }; groupGlobs.append(v)
            // Options with one value.
            case "-f": guard once(), let v = value() else { return nil }; filter = v
            case "-c": guard once(), let v = value(), let n = UInt64(v) else { return nil }; count = n
            case "--inventory": guard once(), let v = value() else { return nil }; inventory = v
            case "--format": guard once(), let v = value() else { return nil }; format = v
            case "-o", "--output": guard once(), let v = value() else { return nil }; output = v
            case "--fail-on": guard once(), let v = value() else { return nil }; failOn = v
            case "--threads": guard once(), let v = value(), let n = Int(v) else { return nil }; threads = n
            case "--split-minimum-bytes": guard once(), let v = value(), let n = Int(v) else { return nil }; splitMinimumBytes = n
            case "--ipfix": guard once(), let v = value() else { return nil }; ipfix = v
            case "--width": guard once(), let v = value(), let n = Int(v) else { return nil }; width = n
            // Flags.
            case "-n": guard flag() else { return nil }; numeric = true
            case "--no-vlan-key": guard flag() else { return nil }; noVLANKey = true
            case "--no-tunnels": guard flag() else { return nil }; noTunnels = true
            case "--allow-damaged": guard flag() else { return nil }; allowDamaged = true
            case "--same-capture": guard flag() else { return nil }; sameCapture = true
            case "--vantage-points": guard flag() else { return nil }; vantagePoints = true
            case "--ipfix-biflow": guard flag() else { return nil }; ipfixBiflow = true
            case "--no-progress": guard flag() else { return nil }; noProgress = true
            case "--all": guard flag() else { return nil }; all = true
            default: return nil
            }
        }

        return AnalyzeValues(
            words: words, read: ReadValues(read: read, filter: filter, count: count, numeric: numeric),
            catalog: CatalogValues(catalogs: catalogs, inventory: inventory, roles: roles), format: format,
            output: output, failOn: failOn, noVLANKey: noVLANKey, noTunnels: noTunnels, allowDamaged: allowDamaged,
            threads: threads, splitMinimumBytes: splitMinimumBytes, sameCapture: sameCapture,
            vantagePoints: vantagePoints, groupGlobs: groupGlobs, ipfix: ipfix, ipfixBiflow: ipfixBiflow,
            noProgress: noProgress, all: all, width: width)
    }
}
