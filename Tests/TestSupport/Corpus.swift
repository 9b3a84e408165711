// What several test targets share: where the repository and the corpus of ../shared are, and
// directory listings (the corpus is used in place, never copied into the repository).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The repository root: three levels above this file (Tests/TestSupport/Corpus.swift).
public let repositoryRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The `portolan` that `swift build` / `swift test` build (debug); tests that run it skip when it is absent.
public let portolanBinary = repositoryRoot + "/.build/debug/portolan"

/// `../shared/corpus` beside the repository.
public let corpusDirectory = repositoryRoot + "/../shared/corpus"

/// Whether the corpus is there (tests that need it skip when it is not).
public let corpusAvailable: Bool = {
    var st = stat()
    return stat(corpusDirectory + "/README.md", &st) == 0
}()

/// The corpus's captures: every file with an oracle (`NAME.oracle.tsv`), sorted.
public func corpusCaptures() -> [String] {
    fileNames(in: corpusDirectory) { $0.hasSuffix(".oracle.tsv") }.map { String($0.dropLast(".oracle.tsv".count)) }
}

/// The names in directory `path` (not `.` and `..`) that `keep` accepts, sorted; none when it
/// cannot be read.
public func fileNames(in path: String, _ keep: (String) -> Bool = { _ in true }) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." && keep(name) { names.append(name) }
    }
    return names.sorted()
}
