import ArgumentParser
import CaptureFile
import LiveCapture
import PacketWire
import Pipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// tcpdump's reading options, shared by `analyze` and `decode`: `-r FILE` (repeatable), a
/// capture filter as `-f EXPR` or as the words after the files, `-c N`, `-n`.
struct ReadOptions: ParsableArguments {
    @Option(name: .customShort("r"),
            help: ArgumentHelp("Read this capture file (repeatable), as tcpdump -r. With -r, every positional word is the filter expression.",
                               valueName: "FILE"),
            completion: .file())
    var read: [String] = []

    @Option(name: .customShort("f"),
            help: ArgumentHelp("Capture filter (BPF, as tcpdump and tshark -f take it). Frames that do not match are counted as filtered.",
                               valueName: "EXPR"))
    var filter: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after N packets (those matching the filter), as tcpdump -c.", valueName: "N"))
    var count: UInt64?

    @Flag(name: .customShort("n"), help: "Accepted for tcpdump habits: Portolan never resolves names or ports.")
    var numeric = false

    /// The options as plain values (what `analyze` and `decode` run with).
    var values: ReadValues { ReadValues(read: read, filter: filter, count: count, numeric: numeric) }

    func inputs(positional words: [String]) throws(ReadUsageError) -> (files: [String], expression: String?) {
        try values.inputs(positional: words)
    }

    func selection(files: [String], expression: String?) throws(ReadUsageError) -> ReadSelection {
        try values.selection(files: files, expression: expression)
    }
}

/// `ReadOptions` as plain values: no property wrappers, so a plain command line
/// (`PlainCommandLine`) makes them without ArgumentParser.
struct ReadValues: Equatable {
    var read: [String]
    var filter: String?
    var count: UInt64?
    var numeric: Bool

    /// The capture files and the filter expression, from -r, -f and the positional words.
    ///
    /// - With `-r`: the `-r` files; every positional word is the expression (tcpdump's rule).
    /// - With `-f` (and no `-r`): every positional word is a file.
    /// - Otherwise the leading words that name an existing file (or `-`, standard input) are the
    ///   files and the first word that does not starts the expression, to the end. A first word
    ///   that looks like a capture's path (it has a `/` or a capture suffix: .pcap, .pcapng, .cap,
    ///   .gz, .zst, …) is a file that does not exist, reported as such, not a filter. The first
    ///   word is always a file.
    func inputs(positional words: [String]) throws(ReadUsageError) -> (files: [String], expression: String?) {
        if !read.isEmpty {
            if filter != nil && !words.isEmpty {
                throw ReadUsageError("give the filter either as -f EXPR or as words after the options, not both")
            }
            return (read, filter ?? (words.isEmpty ? nil : words.joined(separator: " ")))
        }
        if filter != nil { return (words, filter) }
        var files: [String] = []
        var rest = words[...]
        while let w = rest.first, files.isEmpty || w == "-" || Self.exists(w) || Self.looksLikeCapturePath(w) {
            files.append(w)
            rest = rest.dropFirst()
        }
        return (files, rest.isEmpty ? nil : rest.joined(separator: " "))
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static let captureSuffixes = [".pcap", ".pcapng", ".cap", ".dmp", ".snoop", ".gz", ".zst", ".zstd", ".ntar", ".erf"]

    static func looksLikeCapturePath(_ word: String) -> Bool {
        let lower = word.lowercased()
        return word.contains("/") || captureSuffixes.contains { lower.hasSuffix($0) }
    }

    /// The selection for the reader: the filter compiled for the inputs' link types (libpcap's
    /// message as a usage error when it does not compile) and the count.
    func selection(files: [String], expression: String?) throws(ReadUsageError) -> ReadSelection {
        if count == 0 { throw ReadUsageError("-c must be at least 1") }
        guard let expression, !expression.allSatisfy({ $0 == " " }) else { return ReadSelection(count: count) }
        do {
            let filter = try OfflineFilter(expression: expression, linkTypes: CaptureRead.linkTypes(files))
            return ReadSelection(filter: filter, count: count)
        } catch {
            throw ReadUsageError("\(error)")
        }
    }
}

struct ReadUsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
