import CaptureFile
import FlowAnalysis
import Foundation
import PacketWire
import PortCatalog
import Reports
import Testing
import TestSupport

// The `html` format: well-formed (a strict parser), structure pinned by golden outlines, rendered by
// headless Chromium without script errors, strings from files escaped, a million flows summarised.

let scriptsDir = repositoryRoot + "/Tests/ReportsTests/Scripts"

/// An executable on PATH (or nil).
func onPath(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

let python3 = onPath("python3")
let chromium = onPath("chromium") ?? onPath("chromium-browser")

struct Ran {
    var status: Int32
    var out: String
    var err: String
    var seconds: Double
}

/// Everything until end of file. `FileHandle.readDataToEndOfFile` traps on EINTR, which a child
/// process of another test running at the same time (SIGCHLD) can cause; this retries.
func readAll(_ h: FileHandle) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let fd = h.fileDescriptor
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            data.append(contentsOf: buffer[0..<n])
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

/// Runs `exe` with `args`, killing it after `timeout` seconds.
func run(_ exe: String, _ args: [String], timeout: Double = 120) throws -> Ran {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let start = Date()
    try p.run()
    let timer = DispatchWorkItem { if p.isRunning { p.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
    // Both pipes read on their own so that neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        errData = readAll(err.fileHandleForReading)
        errDone.signal()
    }
    let o = readAll(out.fileHandleForReading)
    errDone.wait()
    p.waitUntilExit()
    timer.cancel()
    return Ran(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
               err: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(start))
}

/// Every capture file of Captures/ (pcap, pcapng), with its inventory when it has one.
func captureFiles() -> [(name: String, inventory: String?)] {
    fileNames(in: capturesDir) { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { name in
        let stem = name.hasSuffix(".pcapng") ? String(name.dropLast(7)) : String(name.dropLast(5))
        let inv = stem + ".inventory.yaml"
        return (name, FileManager.default.fileExists(atPath: "\(capturesDir)/\(inv)") ? inv : nil)
    }
}

/// The page of a capture, streamed from the analyzer as `analyze --format html` writes it.
func htmlReport(_ name: String, inventory: String?, catalog: CompiledCatalog? = nil,
                failOn: Set<Verdict> = []) throws -> (page: String, failed: Bool) {
    let cat = try catalog ?? #require(builtInCatalog)
    let inv = try inventory.map { try Inventory.load(path: $0.hasPrefix("/") ? $0 : "\(capturesDir)/\($0)", catalog: cat) }
        ?? Inventory()
    var a = FlowAnalyzer(configuration: AnalyzerConfiguration(catalog: cat, inventory: inv))
    let index = a.addSource(name: name)
    var reader = try CaptureReader(path: "\(capturesDir)/\(name)", sourceIndex: index)
    var record = CaptureRecord()
    while let bytes = try reader.next(&record) { a.process(record, bytes) }
    var page = ""
    let failed = writeReport(a, format: .html, failOn: failOn, to: &page)
    return (page, failed)
}

func scratchFile(_ name: String, _ text: String) throws -> String {
    let dir = NSTemporaryDirectory() + "portolan-html-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = "\(dir)/\(name)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The strict checker's outline of a page; records its complaints as issues.
func checkedOutline(_ path: String) throws -> String {
    let r = try run(try #require(python3), [scriptsDir + "/html_check.py", path])
    #expect(r.status == 0, "\(path) is not well-formed:\n\(r.err)")
    return r.out
}

/// Headless Chromium, as root too (no sandbox there), without a GPU, with a profile of its own
/// (tests run in parallel, and a profile is locked by one browser).
func runChromium(_ extra: [String]) throws -> Ran {
    let profile = NSTemporaryDirectory() + "portolan-chromium-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: profile) }
    return try run(try #require(chromium),
                   ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--disable-extensions", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile] + extra)
}

/// Loads a page in Chromium (and takes its screenshot at 1400×1000 when `screenshot` is given, in
/// the same run); returns the script problems and the DOM. Problems: the DOM attribute the page's
/// first script sets on `window.onerror`, a last script that did not finish, console errors on
/// stderr.
func chromiumLoad(_ path: String, screenshot: String? = nil) throws -> (problems: [String], dom: String) {
    var args = ["--dump-dom"]
    if let screenshot { args += ["--screenshot=" + screenshot, "--window-size=1400,1000"] }
    let r = try runChromium(args + ["file://" + path])
    var problems: [String] = []
    if r.status != 0 { problems.append("chromium exited \(r.status): \(r.err.suffix(500))") }
    if r.out.contains("data-js-error=\"") { problems.append("script error recorded in the DOM") }
    if !r.out.contains("data-js=\"ok\"") { problems.append("the page's script did not finish") }
    for line in r.err.split(separator: "\n") where line.contains("CONSOLE") || line.contains("Uncaught") {
        problems.append(String(line))
    }
    return (problems, r.out)
}

@Suite struct HTMLEscapeTests {
    @Test func escapesTheFiveCharacters() {
        #expect(htmlEscaped("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;")
        #expect(htmlEscaped("plain 10.0.0.1:80 → ü") == "plain 10.0.0.1:80 → ü")
        #expect(htmlEscaped("tab\tnl\nnul\u{0}") == "tab\tnl\nnul\u{FFFD}")
        #expect(htmlEscaped("") == "")
    }
}

@Suite(.enabled(if: haveCaptures && python3 != nil, "needs Captures/ and python3"))
struct HTMLStructureTests {
    /// Each capture's page is well-formed; its outline (sections, headings, problem groups, table
    /// sizes) matches Golden/html/<capture>.outline.
    @Test(arguments: captureFiles().map(\.name))
    func wellFormedWithGoldenOutline(_ name: String) throws {
        let inv = captureFiles().first { $0.name == name }?.inventory
        let (page, _) = try htmlReport(name, inventory: inv)
        let path = try scratchFile(name + ".html", page)
        let outline = try checkedOutline(path)
        #expect(outline.contains("section#matrix") && outline.contains("section#problems")
                && outline.contains("section#accounting"))
        // The outline's first line names the capture it was made from: a regenerated capture
        // (other flows, other counts) is not mistaken for a rendering change.
        let stamp = "# \(name) \(fingerprint("\(capturesDir)/\(name)"))\n"
        let golden = "\(goldenDir)/html/\(name).outline"
        let recorded = (try? String(contentsOfFile: golden, encoding: .utf8)) ?? ""
        if updateGolden || recorded.isEmpty || recorded.hasPrefix(stamp) {
            try FileManager.default.createDirectory(atPath: goldenDir + "/html", withIntermediateDirectories: true)
            try checkGolden(stamp + outline, "html/\(name).outline")
        }
        // Self-contained: nothing fetched from anywhere.
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<link"))
    }

    /// The snapshot path (records in hand, as `live` has them) gives the same sections.
    @Test func snapshotPathWellFormed() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let path = try scratchFile("blocked-snapshot.html", render(s, format: .html))
        let outline = try checkedOutline(path)
        #expect(outline.contains("h2 Problem flows") && outline.contains("summary ✖ blocked-drop"))
    }

    /// The header states the exit status --fail-on gives, and `writeReport` returns it.
    @Test func exitStatusInHeader() throws {
        let (page, failed) = try htmlReport("blocked.pcap", inventory: "blocked.inventory.yaml", failOn: [.blockedRST])
        #expect(failed)
        #expect(page.contains("<b>1</b>: flows with blocked-rst (in --fail-on)"))
        let (quiet, ok) = try htmlReport("dcos-cluster.pcap", inventory: "dcos-cluster.inventory.yaml", failOn: [.blockedDrop])
        #expect(!ok)
        #expect(quiet.contains("<b>0</b>: no flow has a verdict in --fail-on blocked-drop"))
    }

    /// Problem flows cite frame numbers and the file each is in.
    @Test func problemsCiteFramesAndFile() throws {
        let (page, _) = try htmlReport("blocked.pcap", inventory: "blocked.inventory.yaml")
        #expect(page.contains("<td class=\"frames\">#"))
        #expect(page.contains("<small>in blocked.pcap</small>"))
    }
}

@Suite(.enabled(if: python3 != nil, "needs python3"))
struct HTMLCheckerTests {
    /// The strict checker is not vacuous: each of these pages is refused.
    @Test(arguments: [
        "<!DOCTYPE html><html><body><p>open</body></html>",
        "<!DOCTYPE html><html><body><b><i>x</b></i></body></html>",
        "<!DOCTYPE html><html><body><p class=x>unquoted</p></body></html>",
        "<!DOCTYPE html><html><body><p>a & b</p></body></html>",
        "<!DOCTYPE html><html><body><p>&nbsp;</p></body></html>",
        "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"x.css\"></head><body></body></html>",
        "<!DOCTYPE html><html><body><script src=\"x.js\"></script></body></html>",
        "<html><body></body></html>",
    ])
    func refusesBrokenPages(_ page: String) throws {
        let path = try scratchFile("broken-\(abs(page.hashValue)).html", page)
        let r = try run(try #require(python3), [scriptsDir + "/html_check.py", path])
        #expect(r.status == 1, "accepted: \(page)")
    }
}

@Suite(.enabled(if: haveCaptures && python3 != nil, "needs Captures/ and python3"))
struct HTMLLiveTests {
    /// `live --html`'s page: the capture's facts in the header, well-formed.
    @Test func liveFinalPage() throws {
        let s = try snapshot(["blocked.pcap"], inventory: "blocked.inventory.yaml")
        let r = LiveFinal(interface: "eth<0>", stopped: "SIGINT", fault: nil, elapsedNanos: 12_345_000_000, snapshot: s,
                          expiredTotal: 0, expiredNotListed: 0, counts: [], findings: 3,
                          drops: CaptureDrops(received: 10, kernel: 2, interface: 0))
        var page = ""
        writeLiveHTML(r, failOn: [.blockedDrop], to: &page)
        #expect(page.contains("Live capture on <b>eth&lt;0&gt;</b>, 12.345 s, stopped by SIGINT."))
        #expect(page.contains("2 by the kernel, 0 by the interface — <span class=\"bad\">verdicts may be incomplete</span>"))
        #expect(page.contains("<b>1</b>: flows with blocked-drop (in --fail-on)"))
        _ = try checkedOutline(try scratchFile("live.html", page))
    }
}

/// Component, catalog and host names with markup in them.
let hostileCatalog = """
    id: evil-co
    title: "Catalog <b>bold</b> & 'quoted'"
    document:
      name: "Runbook \\"<i>\\""
      version: "1"
    roles:
      - name: web
    components:
      - name: "<script>window.pwned=1</script> & \\"Co\\" 'x'"
      - name: "A&B <img src=x onerror=alert(1)>"
    entries:
      - component: "<script>window.pwned=1</script> & \\"Co\\" 'x'"
        protocol: tcp
        port: 8080
        roles: [web]
        scope: any
        row: "row <1>"
      - component: "A&B <img src=x onerror=alert(1)>"
        protocol: udp
        port: 53
        roles: [web]
        scope: any
        row: "row 2"

    """

let hostileInventory = """
    hosts:
      - address: 10.10.0.11
        name: "<script>alert('host')</script>"
        roles: [web]
      - address: 10.10.0.12
        name: "m&m \\"two\\""
        roles: [web]

    """

@Suite(.enabled(if: haveCaptures, "needs Captures/"))
struct HTMLHostileNamesTests {
    @Test func namesRenderAsText() throws {
        let catPath = try scratchFile("hostile.yaml", hostileCatalog)
        let invPath = try scratchFile("hostile-inventory.yaml", hostileInventory)
        let catalog = try CompiledCatalog.compile([Catalog.load(path: catPath)])
        let (page, _) = try htmlReport("dcos-cluster.pcap", inventory: invPath, catalog: catalog)
        #expect(page.contains("&lt;script&gt;window.pwned=1&lt;/script&gt; &amp; &quot;Co&quot; &#39;x&#39;"))
        #expect(page.contains("A&amp;B &lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains("&lt;script&gt;alert(&#39;host&#39;)&lt;/script&gt;"))
        #expect(page.contains("m&amp;m &quot;two&quot;"))
        #expect(!page.contains("<script>window.pwned") && !page.contains("<img") && !page.contains("<script>alert"))
        let path = try scratchFile("hostile.html", page)
        if python3 != nil { _ = try checkedOutline(path) }
        if chromium != nil {
            let (problems, dom) = try chromiumLoad(path)
            #expect(problems == [], "\(problems)")
            // The text is in the DOM as text, and no element was made of it.
            #expect(dom.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"))
            #expect(!dom.contains("<img"))
        }
    }
}

@Suite(.enabled(if: haveCaptures && chromium != nil && python3 != nil,
                "needs Captures/, python3 and chromium (Debian's chromium package; .ci/setup installs it)"))
struct HTMLChromiumTests {
    /// Every capture's page loads in headless Chromium without a script error, and its screenshot
    /// is a page with content (much larger than a blank page's, many colours).
    @Test func everyCaptureRenders() throws {
        let blankPath = try scratchFile("blank.html", "<!DOCTYPE html><html><body></body></html>")
        let blankPNG = blankPath + ".png"
        _ = try runChromium(["--screenshot=" + blankPNG, "--window-size=1400,1000", "file://" + blankPath])
        let blankSize = (try? FileManager.default.attributesOfItem(atPath: blankPNG)[.size] as? Int) ?? 0
        #expect(blankSize > 0, "chromium wrote no screenshot of a blank page")
        for (name, inv) in captureFiles() {
            let (page, _) = try htmlReport(name, inventory: inv)
            let path = try scratchFile(name + ".html", page)
            let png = path + ".png"
            try? FileManager.default.removeItem(atPath: png)
            let problems = try chromiumLoad(path, screenshot: png).problems
            #expect(problems == [], "\(name): \(problems)")
            let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            #expect(size > blankSize * 5, "\(name): screenshot \(size) bytes, blank page \(blankSize)")
            let info = try run(try #require(python3), [scriptsDir + "/png_info.py", png, name == "dcos-cluster.pcap" ? "400" : "0"])
            let fields = info.out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(fields.count == 3 && fields[0] == 1400 && fields[1] == 1000, "\(name): \(info.out) \(info.err)")
            if name == "dcos-cluster.pcap" { #expect(fields.count == 3 && fields[2] > 50, "distinct colours: \(info.out)") }
        }
    }
}

/// The binary the million-flow test runs: PORTOLAN_BINARY (e.g. a release build), else the debug one.
let millionFlowsBinary = ProcessInfo.processInfo.environment["PORTOLAN_BINARY"] ?? portolanBinary

/// A million flows: the page stays a summary (< 5 MB) and Chromium loads it in < 3 s. Generating
/// (2.3 GB) and analysing the capture with the debug binary takes minutes: set PORTOLAN_SLOW_TESTS=1.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PORTOLAN_SLOW_TESTS"] == "1"
                && FileManager.default.isExecutableFile(atPath: millionFlowsBinary) && chromium != nil,
                "set PORTOLAN_SLOW_TESTS=1 (needs the portolan binary and chromium)"))
struct HTMLMillionFlowsTests {
    @Test func millionFlowsStaySmallAndFast() throws {
        let portolanBinary = millionFlowsBinary
        let dir = NSTemporaryDirectory() + "portolan-html-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pcap = dir + "/1m-flows.pcap", html = dir + "/1m-flows.html"
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        let gen = try run(portolanBinary, ["bench", "--flows", "1020000", "--packets", "10200000", "--write", pcap, "--generate-only"],
                          timeout: 1800)
        #expect(gen.status == 0, "\(gen.err)")
        let r = try run(portolanBinary, ["analyze", pcap, "--format", "html", "-o", html, "--no-progress"], timeout: 1800)
        #expect(r.status == 0 || r.status == 1, "\(r.err)")
        let size = (try FileManager.default.attributesOfItem(atPath: html)[.size] as? Int) ?? 0
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let flows = page.firstMatch(of: #/, ([0-9,]+) flows, /#).flatMap { Int($0.1.replacingOccurrences(of: ",", with: "")) } ?? 0
        #expect(flows >= 1_000_000, "flows in the capture: \(flows)")
        #expect(size > 10_000 && size < 5_000_000, "page of 1 M flows: \(size) bytes")
        let dom = try runChromium(["--dump-dom", "file://" + html])
        #expect(dom.out.contains("data-js=\"ok\"") && !dom.out.contains("data-js-error=\""))
        let loadMs = dom.out.firstMatch(of: /data-load-ms="(\d+)"/).flatMap { Int($0.1) }
        #expect(loadMs != nil && loadMs! < 3000, "load event after \(loadMs.map(String.init) ?? "?") ms")
        #expect(dom.seconds < 10, "chromium ran \(dom.seconds) s")
    }
}
