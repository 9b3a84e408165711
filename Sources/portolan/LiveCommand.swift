import ArgumentParser
import CaptureFile
import LiveCapture
import PacketWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `portolan live`: capture on an interface and analyse as the packets arrive.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture on an interface and report flows and verdicts as they happen.",
        discussion: """
            Needs root or CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode). On a terminal the \
            table is refreshed every --interval seconds; otherwise one JSON object per line and \
            interval is written (usable with jq). Stops on Ctrl-C/SIGTERM, --duration or --count, \
            then prints the final report. Exit status: 0 no finding in --fail-on, 1 finding, \
            2 bad input, usage or capture fault.
            """
    )

    @Option(name: [.customShort("i"), .long], help: "Interface to capture on (see `portolan interfaces`).")
    var interface: String

    @Argument(help: "Capture filter (BPF), as tcpdump takes it, e.g. `tcp port 443 or udp`.")
    var filter: [String] = []

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var count: UInt64?

    @Option(help: "Seconds between table refreshes / JSON lines.")
    var interval: Double = 1

    @Option(name: .customShort("w"), help: "Also write the captured packets to this pcap file.")
    var write: String?

    @Option(help: "Bytes kept per packet (headers are what the analysis needs).")
    var snaplen: Int32 = 256

    @Option(name: .customLong("buffer-size"), help: "Kernel capture buffer, in MiB.")
    var bufferSize: Int32 = 32

    @Flag(name: .customLong("no-promiscuous"), help: "Do not put the interface into promiscuous mode.")
    var noPromiscuous = false

    @Flag(help: "Deliver packets as they arrive instead of in short batches.")
    var immediate = false

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which an idle flow expires and is reported.")
    var idleTimeout: Double = 60

    @Option(name: .customLong("max-flows"), help: "Most flows kept in memory; beyond it the oldest idle are evicted (and counted).")
    var maxFlows: Int = 100_000

    @Option(name: .customShort("Z"), help: "After opening the interface, switch to this user (as tcpdump -Z).")
    var user: String?

    func validate() throws {
        if write == "-" { throw ValidationError("-w - is not supported: standard output carries the report") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        if count == 0 { throw ValidationError("--count must be at least 1") }
        if !(interval > 0) { throw ValidationError("--interval must be a positive number of seconds") }
        if !(64...262_144).contains(snaplen) { throw ValidationError("--snaplen must be between 64 and 262144") }
        if !(1...4096).contains(bufferSize) { throw ValidationError("--buffer-size must be between 1 and 4096 MiB") }
        if !(idleTimeout > 0) { throw ValidationError("--idle-timeout must be a positive number of seconds") }
        if maxFlows < 1 { throw ValidationError("--max-flows must be at least 1") }
    }

    var settings: CaptureSettings {
        var s = CaptureSettings(device: interface)
        s.snaplen = snaplen
        s.bufferSizeMiB = bufferSize
        s.promiscuous = !noPromiscuous
        s.immediate = immediate
        s.filter = filter.joined(separator: " ")
        return s
    }

    func run() throws {
        let stop: StopSignal
        do { stop = try StopSignal.install() } catch { liveFail("\(error)") }

        var warning: String?
        var handle: PcapHandle
        do {
            handle = try PcapHandle.open(settings, warning: &warning)
        } catch {
            liveFail(Self.explain(error))
        }
        if let warning { liveWarn("warning: \(interface): \(warning)") }
        let linkName = handle.linkType.name ?? "LINKTYPE \(handle.linkType.rawValue)"
        // As tcpdump says it; tests wait for this line before sending traffic.
        liveWarn("portolan live: listening on \(interface), link-type \(linkName), snapshot length \(handle.snapshot) bytes, buffer \(bufferSize) MiB")
        if let user {
            do { try Privileges.drop(toUser: user) } catch { liveFail("\(error)") }
        }

        var session = LiveSession(
            source: "live:\(interface)", linkType: handle.linkType, snaplen: UInt32(handle.snapshot),
            output: isatty(STDOUT_FILENO) != 0 ? .table : .jsonLines)
        // Opened after dropping privileges, as tcpdump does: the file belongs to the -Z user.
        if let write {
            do { try session.openWriter(path: write) } catch { liveFail("cannot write \(write): \(error)") }
        }

        let loop = CaptureLoop(
            stop: stop, intervalNanos: Int64(interval * 1e9), durationNanos: duration.map { Int64($0 * 1e9) },
            maxPackets: count)
        var fault: String?
        var reason: StopReason?
        do {
            reason = try loop.run(
                &handle, packet: { record, bytes in session.packet(record, bytes) },
                tick: { stats in session.tick(stats: stats) })
        } catch {
            fault = Self.explain(error)
        }
        let stats = try? handle.stats()
        let status = session.finish(stats: stats, reason: reason, fault: fault)
        let problem = fault ?? session.writeError
        if let problem { liveWarn("portolan live: \(problem)") }
        throw ExitCode(problem != nil ? 2 : status)
    }

    /// libpcap's message, plus what the user can do about it.
    static func explain(_ error: PcapError) -> String {
        switch error.kind {
        case .noSuchDevice:
            let names = (try? CaptureInterface.findAll().map(\.name)) ?? []
            let list = names.isEmpty ? "none found" : names.joined(separator: ", ")
            return "no such interface \"\(error.device ?? "")\" (\(error.message)); interfaces that exist: \(list)"
        case .permissionDenied:
            return "\(error): no permission to capture; run as root or grant CAP_NET_RAW (and CAP_NET_ADMIN), e.g. setcap cap_net_raw,cap_net_admin=eip portolan"
        case .interfaceNotUp:
            return "\(error): the interface is down; bring it up (ip link set \(error.device ?? "IFACE") up)"
        case .badFilter:
            return "\(error)"
        case .interfaceWentDown:
            return "capture ended: interface \"\(error.device ?? "")\" went down or away: \(error.message)"
        case .other:
            return "\(error)"
        }
    }
}

/// What `portolan live` keeps while capturing.
struct LiveSession {
    enum Output { case table, jsonLines }

    let source: String
    let linkType: LinkType
    let snaplen: UInt32
    let output: Output
    let startNanos = wallClockNanos()
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var writeError: String?
    var writer: PcapWriter?

    init(source: String, linkType: LinkType, snaplen: UInt32, output: Output) {
        self.source = source
        self.linkType = linkType
        self.snaplen = snaplen
        self.output = output
    }

    mutating func openWriter(path: String) throws(CaptureFileError) {
        writer = try PcapWriter(path: path, linkType: linkType, snaplen: snaplen, nanosecond: true)
    }

    /// Flushes the -w file so that what is on disk is a valid capture; notes the first error.
    mutating func flushWriter() {
        guard writeError == nil, writer != nil else { return }
        do { try writer!.flush() } catch { writeError = "writing \(writer!.path): \(error)" }
    }

    mutating func packet(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) {
        packets &+= 1
        self.bytes &+= UInt64(record.originalLength)
        if writer != nil && writeError == nil {
            do { try writer!.write(record, bytes) } catch { writeError = "writing \(writer!.path): \(error)" }
        }
    }

    /// Every interval: flush the file, print a table or a JSON line. False stops the capture.
    mutating func tick(stats: PcapStats?) -> Bool {
        flushWriter()
        let line = "{\"type\":\"interval\",\"packets\":\(packets),\"bytes\":\(bytes)\(liveDropsJSON(stats))}"
        liveOut(line + "\n")
        return writeError == nil
    }

    mutating func finish(stats: PcapStats?, reason: StopReason?, fault: String?) -> Int32 {
        flushWriter()
        if let w = writer.take() {
            do { try w.close() } catch { if writeError == nil { writeError = "closing \(w.path): \(error)" } }
        }
        let incomplete = stats?.anyDropped ?? false
        let line = "{\"type\":\"final\",\"packets\":\(packets),\"bytes\":\(bytes)\(liveDropsJSON(stats)),\"incomplete\":\(incomplete)}"
        if incomplete, let stats {
            liveWarn("portolan live: \(stats.droppedByKernel) packets dropped by the kernel, \(stats.droppedByInterface) by the interface: verdicts may be incomplete")
        }
        liveOut(line + "\n")
        return 0
    }
}

func liveDropsJSON(_ stats: PcapStats?) -> String {
    guard let stats else { return ",\"drops\":null" }
    return ",\"drops\":{\"received\":\(stats.received),\"kernel\":\(stats.droppedByKernel),\"interface\":\(stats.droppedByInterface)}"
}

/// Writes all of `text` to a file descriptor, unbuffered (each JSON line reaches a pipe at once).
func liveWrite(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

func liveOut(_ text: String) { liveWrite(STDOUT_FILENO, text) }

/// Writes a line to standard error.
func liveWarn(_ message: String) { liveWrite(STDERR_FILENO, message + "\n") }

/// Writes to standard error and exits with status 2 (bad input, usage or fault).
func liveFail(_ message: String) -> Never {
    liveWarn("portolan live: " + message)
    exit(2)
}

/// A JSON string literal.
func liveJSONString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
