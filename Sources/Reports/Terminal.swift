/// How wide and which characters: the choices of the table and of `catalog list` for the terminal
/// they print on. The executable reads the terminal and the environment; the decisions are here
/// so that tests check them.
public enum Terminal {
    /// The width to print for: `--width` when given; else the terminal's columns when standard
    /// output is a terminal that reports them; else `COLUMNS` when it is a number; else 100 (the
    /// width reports had before, so a report written to a file or pipe keeps its bytes).
    /// Never below 40: narrower, no row is readable.
    public static func width(option: Int?, terminalColumns: Int?, columnsVariable: String?) -> Int {
        if let option { return max(40, option) }
        if let t = terminalColumns, t > 0 { return max(40, t) }
        if let c = columnsVariable, let n = Int(c), n > 0 { return max(40, n) }
        return 100
    }

    /// The width for a listing (`catalog list`): as `width`, but nil (every cell whole) when
    /// nothing says how wide: a listing piped to a file or to grep keeps every character.
    public static func listWidth(option: Int?, terminalColumns: Int?, columnsVariable: String?) -> Int? {
        if option == nil && (terminalColumns ?? 0) <= 0 && Int(columnsVariable ?? "").map({ $0 > 0 }) != true { return nil }
        return width(option: option, terminalColumns: terminalColumns, columnsVariable: columnsVariable)
    }

    /// Whether the locale's character set is UTF-8: the first of LC_ALL, LC_CTYPE, LANG that is
    /// set and not empty decides (as setlocale does); none set is the C locale, so not UTF-8.
    public static func isUTF8(lcAll: String?, lcCType: String?, lang: String?) -> Bool {
        for v in [lcAll, lcCType, lang] {
            guard let v, !v.isEmpty else { continue }
            let l = v.lowercased()
            return l.contains("utf-8") || l.contains("utf8")
        }
        return false
    }
}
