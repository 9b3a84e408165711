import ArgumentParser
import CaptureFile
import PacketWire
import Pipeline
import Reports


/// `portolan decode FILE… [--inner] [--header]`: one tab-separated line per packet with the 19
/// columns of the corpus oracle (`oracle.sh`), so any capture can be diffed against tshark.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print each packet's decoded headers as the 19 tab-separated columns of the tshark oracle.",
        discussion: """
            Columns: frame (1-based per file), linktype, ipver, src, dst, proto, sport, dport, \
            tcpflags, icmptype, icmpcode, in_src, in_dst, in_proto, in_sport, in_dport (the header \
            quoted by an ICMP error), caplen, origlen, vlans (outermost first). The main columns \
            describe the outermost IP header, or the innermost one with --inner. A damaged file \
            prints every good packet, then one line on stderr naming the file, byte offset and \
            problem; the exit status is then 2.

            A capture filter (trailing BPF words, or -f EXPR; see `portolan analyze --help` for which \
            words are files) prints only the matching frames, each with its frame number in the file \
            (as tshark numbers them; tcpdump -# would number the printed packets from 1). -c N stops \
            after N printed frames.
            """
    )

    @Argument(help: ArgumentHelp("Capture files (pcap or pcapng, optionally gzip or zstd compressed), then optionally a capture filter (BPF words, as tcpdump takes them).",
                                 valueName: "FILE… [EXPRESSION]"),
              completion: .file())
    var words: [String] = []

    @OptionGroup(title: "tcpdump habits") var readOptions: ReadOptions

    @Flag(help: "Describe the innermost IP header (after tunnels) instead of the outermost.")
    var inner = false

    @Flag(help: "Print a '#'-prefixed header line first.")
    var header = false

    @Option(name: .customLong("vxlan-port"), help: "Also decode this UDP destination port as VXLAN (repeatable; 4789 always).")
    var vxlanPorts: [UInt16] = []

    func run() throws {
        let files: [String], expression: String?
        do { (files, expression) = try readOptions.inputs(positional: words) } catch {
            OutputFile.printError("portolan decode: \(error.message)")
            throw ExitCode(2)
        }
        if files.isEmpty {
            // Checked here so that the message carries the usage line.
            OutputFile.printError("Error: give at least one capture file.\nUsage: portolan decode FILE… [--inner] [--header] [--vxlan-port PORT]…", keepingLineBreaks: true)
            throw ExitCode(2)
        }
        // Every input checked first: a mistyped third path prints nothing of the first two.
        try checkInputs(files) { message in
            OutputFile.printError("portolan decode: \(message)")
            return ExitCode(2)
        }
        var selection: ReadSelection
        do { selection = try readOptions.selection(files: files, expression: expression) } catch {
            OutputFile.printError("portolan decode: \(error.message)")
            throw ExitCode(2)
        }
        let decoder = PacketDecoder(options: DecoderOptions(vxlanPorts: [4789] + vxlanPorts))
        var out = OutputFile.standardOutput
        if header { out.write(SummaryTSV.headerLine) }
        var failed = false
        // Lines are formatted into one block allocated here, written out when it fills.
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 18)
        defer { block.deallocate() }
        // `inner` read once: a property wrapper's getter costs hundreds of instructions per packet.
        var writer = SummaryTSV.Writer(block: block, decoder: decoder, inner: inner, out: out)
        // Without a filter or -c (decided once) the loop checks nothing per frame.
        let everything = selection.isEverything
        var record = CaptureRecord()
        var writing = true
        for path in files where writing {
            do {
                var reader = try CaptureReader(path: path)
                if everything {
                    while writing, let bytes = try reader.next(&record) {
                        writing = writer.frame(record.frameNumber, linkType: record.linkType, capturedLength: record.capturedLength,
                                               originalLength: record.originalLength, bytes)
                    }
                } else {
                    while writing && selection.remaining > 0, let bytes = try reader.next(&record) {
                        // Frames the filter rejects are skipped; the printed ones keep their frame numbers.
                        if !(selection.filter?.matches(record, bytes) ?? true) { continue }
                        selection.remaining &-= 1
                        writing = writer.frame(record.frameNumber, linkType: record.linkType, capturedLength: record.capturedLength,
                                               originalLength: record.originalLength, bytes)
                    }
                }
            } catch {
                try? writer.flush()
                OutputFile.printError("portolan decode: \(error)")
                failed = true
            }
        }
        do { try writer.flush() } catch {
            OutputFile.printError("portolan decode: \(error)")
            failed = true
        }
        if failed { throw ExitCode(2) }
    }
}
