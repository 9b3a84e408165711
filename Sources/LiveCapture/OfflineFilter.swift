import CPcap
import PacketWire

/// A capture filter (BPF, as tcpdump takes it) for frames read from files: `pcap_open_dead` +
/// `pcap_compile` once per link type, `pcap_offline_filter` per frame — what `tcpdump -r FILE EXPR`
/// does. A capture's frames can have several link types (pcapng interfaces); each gets its own
/// program, compiled up front for the link types given and on first sight for any other.
///
/// Per frame: one compare of the link type with the last one, then libpcap's BPF interpreter on
/// the frame's bytes (no allocation). Only readers given a filter call `matches`: without one the
/// packet loop has no filter check at all (`CaptureRead.drain`).
public struct OfflineFilter: Sendable {
    /// The expression as given.
    public let expression: String
    /// Programs per link type (a handful at most), each owned by its `Program`.
    @usableFromInline var programs: [Program]
    /// The program of the last frame's link type; nil when it could not be compiled for it (its
    /// frames never match; `failures` says why).
    @usableFromInline var current: Program?
    @usableFromInline var currentLinkType: LinkType
    /// Link types the expression cannot be compiled for, with libpcap's message.
    public private(set) var failures: [(linkType: LinkType, message: String)] = []

    /// The BPF snapshot length given to `pcap_open_dead`: the largest any reader delivers, so
    /// that no filter reads past it (the frame's own captured length bounds the program anyway).
    static let snaplen: Int32 = 262_144

    /// Compiles `expression` for each of `linkTypes` (at least Ethernet, so a syntax error is
    /// found whatever the files hold). Throws libpcap's message for the first that fails.
    public init(expression: String, linkTypes: [LinkType]) throws(PcapError) {
        self.expression = expression
        programs = []
        var seen: [LinkType] = []
        for t in [LinkType.ethernet] + linkTypes where !seen.contains(t) {
            seen.append(t)
            programs.append(try Program(expression, t))
        }
        current = programs[0]
        currentLinkType = programs[0].linkType
    }

    /// Whether the frame matches. `bytes` are the captured bytes; the original length is the
    /// record's (BPF's `len`, as libpcap gives it from a file).
    @inlinable
    public mutating func matches(_ record: CaptureRecord, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if record.linkType != currentLinkType { select(record.linkType) }
        guard let program = current, let base = bytes.baseAddress else { return false }
        return program.matches(base, captured: UInt32(bytes.count), original: record.originalLength)
    }

    /// A frame of another link type than the last: its program, compiled now if new.
    @usableFromInline
    mutating func select(_ linkType: LinkType) {
        currentLinkType = linkType
        if let p = programs.first(where: { $0.linkType == linkType }) {
            current = p
            return
        }
        if failures.contains(where: { $0.linkType == linkType }) {
            current = nil
            return
        }
        do {
            let p = try Program(expression, linkType)
            programs.append(p)
            current = p
        } catch {
            failures.append((linkType, error.message))
            current = nil
        }
    }

    /// One compiled program; immutable after init, freed with it.
    @usableFromInline
    final class Program: @unchecked Sendable {
        // @unchecked: the program is written once in init and only read after; libpcap's
        // pcap_offline_filter reads it without writing.
        let linkType: LinkType
        @usableFromInline let program: UnsafeMutablePointer<bpf_program>

        init(_ expression: String, _ linkType: LinkType) throws(PcapError) {
            self.linkType = linkType
            guard let dead = pcap_open_dead(linkType.dlt, OfflineFilter.snaplen) else {
                throw PcapError(kind: .other, call: "pcap_open_dead", device: nil, message: "out of memory")
            }
            defer { pcap_close(dead) }
            // Compiled into a local first: a class whose stored properties are all set runs its
            // deinit when init throws, which must not free a program that was never compiled.
            var compiled = bpf_program()
            // Netmask unknown: only "ip broadcast" needs one, and a file has no interface to ask.
            if pcap_compile(dead, &compiled, expression, 1, UInt32(PCAP_NETMASK_UNKNOWN)) != 0 {
                let message = String(cString: pcap_geterr(dead))
                let name = linkType.name ?? "LINKTYPE \(linkType.rawValue)"
                throw PcapError(kind: .badFilter(expression: expression), call: "pcap_compile", device: nil,
                                message: message + (linkType == .ethernet ? "" : " (link type \(name))"), status: -1)
            }
            program = .allocate(capacity: 1)
            program.initialize(to: compiled)
        }

        deinit {
            pcap_freecode(program)
            program.deallocate()
        }

        @inlinable
        func matches(_ base: UnsafeRawPointer, captured: UInt32, original: UInt32) -> Bool {
            var header = pcap_pkthdr()
            header.caplen = captured
            header.len = original
            return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
        }
    }
}

extension LinkType {
    /// The DLT_ value libpcap's `pcap_open_dead` takes for this LINKTYPE_ (the inverse of
    /// `fromDLT`: equal but for a few historical values).
    public var dlt: Int32 {
        switch rawValue {
        case 101: return 12  // LINKTYPE_RAW → DLT_RAW
        case 102: return 15
        case 103: return 16
        case 106: return 19
        default: return Int32(bitPattern: rawValue)
        }
    }
}
