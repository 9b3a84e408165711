import Reports

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The columns of the terminal on standard output (TIOCGWINSZ), nil when it is not a terminal.
func terminalColumns() -> Int? {
    guard isatty(STDOUT_FILENO) != 0 else { return nil }
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}

/// The table's width (`Terminal.width`): `--width`, the terminal when writing to it, `COLUMNS`, 100.
func reportWidth(option: Int?, toStandardOutput: Bool) -> Int {
    Terminal.width(option: option, terminalColumns: toStandardOutput ? terminalColumns() : nil,
                   columnsVariable: environment("COLUMNS"))
}

/// `catalog list`'s width (`Terminal.listWidth`): nil when neither option, terminal nor COLUMNS says.
func listWidth(option: Int?) -> Int? {
    Terminal.listWidth(option: option, terminalColumns: terminalColumns(), columnsVariable: environment("COLUMNS"))
}

/// Whether → and … may be printed: the locale is UTF-8 (`Terminal.isUTF8`).
func localeIsUTF8() -> Bool {
    Terminal.isUTF8(lcAll: environment("LC_ALL"), lcCType: environment("LC_CTYPE"), lang: environment("LANG"))
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
