// The pcap handle: the one place Portolan calls libpcap on a capture. Every method names the C
// call it makes; a failing call throws `PcapError` with libpcap's own message.
import CPcap
import PacketWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What libpcap counted for a handle (`pcap_stats`).
public struct PcapStats: Sendable, Equatable {
    /// Packets the filter accepted (`ps_recv`; on Linux this includes the ones dropped below).
    public var received: UInt64
    /// Packets the kernel dropped for lack of buffer space (`ps_drop`).
    public var droppedByKernel: UInt64
    /// Packets the interface or its driver dropped (`ps_ifdrop`).
    public var droppedByInterface: UInt64

    public init(received: UInt64 = 0, droppedByKernel: UInt64 = 0, droppedByInterface: UInt64 = 0) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }

    /// True when anything was lost before Portolan saw it: verdicts may then be incomplete.
    public var anyDropped: Bool { droppedByKernel > 0 || droppedByInterface > 0 }

    /// Adds the change from `last` to `now` of libpcap's 32-bit counters (received, kernel drops,
    /// interface drops), wrapping: a counter that passed 2^32 since `last` still adds its change.
    mutating func add(_ now: (UInt32, UInt32, UInt32), since last: inout (UInt32, UInt32, UInt32)) {
        received &+= UInt64(now.0 &- last.0)
        droppedByKernel &+= UInt64(now.1 &- last.1)
        droppedByInterface &+= UInt64(now.2 &- last.2)
        last = now
    }
}

/// State lent to the C callback for the duration of one `pcap_dispatch` call.
@usableFromInline struct DispatchContext {
    @usableFromInline var body: (CaptureRecord, UnsafeRawBufferPointer) -> Void
    @usableFromInline var record: CaptureRecord
    /// Timestamps are in nanoseconds (`PCAP_TSTAMP_PRECISION_NANO` was accepted) rather than µs.
    @usableFromInline var nanosecondTimestamps: Bool

    @usableFromInline init(
        body: @escaping (CaptureRecord, UnsafeRawBufferPointer) -> Void, record: CaptureRecord,
        nanosecondTimestamps: Bool
    ) {
        self.body = body
        self.record = record
        self.nanosecondTimestamps = nanosecondTimestamps
    }
}

/// The C callback: fills the record from the pcap header and lends the ring's bytes to `body`.
private let dispatchCallback: pcap_handler = { user, header, bytes in
    // pcap_dispatch passes back the `user` pointer we gave it and always a header and bytes.
    guard let user, let header, let bytes else { return }
    let context = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DispatchContext.self)
    let h = header.pointee
    let fraction = Int64(h.ts.tv_usec)
    context.pointee.record.timestampNanos =
        Int64(h.ts.tv_sec) &* 1_000_000_000 &+ (context.pointee.nanosecondTimestamps ? fraction : fraction &* 1000)
    context.pointee.record.capturedLength = h.caplen
    context.pointee.record.originalLength = h.len
    context.pointee.record.frameNumber &+= 1  // a UInt64 frame counter cannot wrap in practice
    // caplen is the length of the buffer libpcap lends us (pcap_pkthdr contract).
    context.pointee.body(context.pointee.record, UnsafeRawBufferPointer(start: bytes, count: Int(h.caplen)))
}

/// A libpcap capture handle (`pcap_t`), closed with `pcap_close` when it goes away.
///
/// Create it with `pcap_create`, set options, `activate()`, then set a filter and dispatch.
/// Not thread-safe, like the `pcap_t` it wraps.
public struct PcapHandle: ~Copyable {
    @usableFromInline let raw: OpaquePointer
    /// The interface name given to `pcap_create` (or "dead" for `pcap_open_dead`).
    public let device: String
    /// Frame number of the last packet handed out (frame numbers are 1-based).
    public var framesDelivered: UInt64 { lastFrame }
    @usableFromInline var lastFrame: UInt64 = 0
    /// Whether `pcap_set_tstamp_precision(NANO)` was accepted.
    public private(set) var nanosecondTimestamps = false

    /// `pcap_create(device)`.
    public init(create device: String) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(device, &errbuf) else {
            throw PcapError(kind: .other, call: "pcap_create", device: device, message: cString(errbuf))
        }
        raw = handle
        self.device = device
    }

    /// `pcap_open_dead(linktype, snaplen)`: a handle that captures nothing, for compiling filters.
    public init(openDead dlt: Int32, snaplen: Int32) throws(PcapError) {
        guard let handle = pcap_open_dead(dlt, snaplen) else {
            throw PcapError(kind: .other, call: "pcap_open_dead", device: nil, message: "out of memory")
        }
        raw = handle
        device = "dead"
    }

    deinit { pcap_close(raw) }

    // MARK: options (before activate)

    /// `pcap_set_snaplen`.
    public func setSnaplen(_ snaplen: Int32) throws(PcapError) {
        try check(pcap_set_snaplen(raw, snaplen), "pcap_set_snaplen")
    }

    /// `pcap_set_promisc`.
    public func setPromisc(_ on: Bool) throws(PcapError) {
        try check(pcap_set_promisc(raw, on ? 1 : 0), "pcap_set_promisc")
    }

    /// `pcap_set_timeout` (the packet buffer timeout, in milliseconds).
    public func setTimeout(milliseconds: Int32) throws(PcapError) {
        try check(pcap_set_timeout(raw, milliseconds), "pcap_set_timeout")
    }

    /// `pcap_set_buffer_size` (the kernel ring, in bytes).
    public func setBufferSize(bytes: Int32) throws(PcapError) {
        try check(pcap_set_buffer_size(raw, bytes), "pcap_set_buffer_size")
    }

    /// `pcap_set_immediate_mode`.
    public func setImmediateMode(_ on: Bool) throws(PcapError) {
        try check(pcap_set_immediate_mode(raw, on ? 1 : 0), "pcap_set_immediate_mode")
    }

    /// `pcap_set_tstamp_precision(NANO)`; false when the device only offers microseconds.
    public mutating func setNanosecondTimestamps() -> Bool {
        nanosecondTimestamps = pcap_set_tstamp_precision(raw, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        return nanosecondTimestamps
    }

    /// `pcap_activate`. Returns libpcap's warning text when it activated with a warning
    /// (for example `PCAP_WARNING_PROMISC_NOTSUP`), nil on plain success.
    @discardableResult
    public func activate() throws(PcapError) -> String? {
        let status = pcap_activate(raw)
        if status == 0 { return nil }
        let text = message(status)
        if status > 0 { return text }
        let kind: PcapError.Kind =
            switch status {
            case PCAP_ERROR_NO_SUCH_DEVICE: .noSuchDevice
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED: .permissionDenied
            case PCAP_ERROR_IFACE_NOT_UP: .interfaceNotUp
            default: .other
            }
        throw PcapError(kind: kind, call: "pcap_activate", device: device, message: text, status: status)
    }

    // MARK: after activate

    /// `pcap_datalink`, as the DLT_ value libpcap reports.
    public var datalink: Int32 { pcap_datalink(raw) }

    /// The pcap LINKTYPE_ for `pcap_datalink` (the value written to files and given to the decoder).
    public var linkType: LinkType { LinkType.fromDLT(pcap_datalink(raw)) }

    /// `pcap_snapshot`: the snapshot length in effect.
    public var snapshot: Int32 { pcap_snapshot(raw) }

    /// The filter installed by the last `setFilter` (nil: none).
    public private(set) var filter: String? = nil

    /// `pcap_compile` + `pcap_freecode`: checks a capture filter without installing it (works on
    /// a `pcap_open_dead` handle, so filters can be checked without privileges).
    public func compile(_ expression: String) throws(PcapError) {
        try withCompiled(expression) { _ in }
    }

    /// `pcap_lookupnet` + `pcap_compile` + `pcap_setfilter` + `pcap_freecode`: installs a BPF
    /// capture filter written as tcpdump takes it.
    public mutating func setFilter(_ expression: String) throws(PcapError) {
        try withCompiled(expression) { (program: inout bpf_program) throws(PcapError) in
            if pcap_setfilter(raw, &program) != 0 {
                throw PcapError(
                    kind: .other, call: "pcap_setfilter", device: device,
                    message: String(cString: pcap_geterr(raw)), status: -1)
            }
        }
        filter = expression
    }

    private func withCompiled(
        _ expression: String, _ body: (inout bpf_program) throws(PcapError) -> Void
    ) throws(PcapError) {
        var netmask = UInt32(PCAP_NETMASK_UNKNOWN)
        var net: bpf_u_int32 = 0
        var mask: bpf_u_int32 = 0
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        // The netmask only matters for "ip broadcast"; an interface without IPv4 has none.
        if device != "dead", pcap_lookupnet(device, &net, &mask, &errbuf) == 0 { netmask = mask }
        var program = bpf_program()
        if pcap_compile(raw, &program, expression, 1, netmask) != 0 {
            throw PcapError(
                kind: .badFilter(expression: expression), call: "pcap_compile", device: device,
                message: String(cString: pcap_geterr(raw)), status: -1)
        }
        defer { pcap_freecode(&program) }
        try body(&program)
    }

    /// `pcap_fileno` + `setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING)` (Linux ≥ 4.20): the
    /// kernel stops putting packets this host sends into the ring. False when not supported.
    public func ignoreOutgoing() -> Bool {
        #if os(Linux)
        let solPacket: Int32 = 263  // SOL_PACKET, <linux/socket.h>
        let packetIgnoreOutgoing: Int32 = 23  // PACKET_IGNORE_OUTGOING, <linux/if_packet.h>
        var on: Int32 = 1
        return setsockopt(pcap_fileno(raw), solPacket, packetIgnoreOutgoing, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        #else
        return false
        #endif
    }

    /// `pcap_setnonblock`.
    public func setNonblock(_ on: Bool) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        if pcap_setnonblock(raw, on ? 1 : 0, &errbuf) != 0 {
            throw PcapError(kind: .other, call: "pcap_setnonblock", device: device, message: cString(errbuf))
        }
    }

    /// `pcap_get_selectable_fd`: a descriptor to `poll` for readability, or nil when the platform has none.
    public var selectableFD: Int32? {
        let fd = pcap_get_selectable_fd(raw)
        return fd >= 0 ? fd : nil
    }

    /// `pcap_dispatch(count)`: hands each waiting packet to `body` as a `CaptureRecord` and the
    /// bytes in libpcap's buffer (the kernel ring on Linux), lent for the call only — do not
    /// escape the pointer. Returns the number of packets handed out (0 when none was waiting in
    /// non-blocking mode, or after `pcap_breakloop`). `count` ≤ 0 means all that are waiting.
    @inlinable
    public mutating func dispatch(
        _ count: Int32, sourceIndex: UInt32 = 0, _ body: (CaptureRecord, UnsafeRawBufferPointer) -> Void
    ) throws(PcapError) -> Int {
        let record = CaptureRecord(linkType: linkType, frameNumber: lastFrame, sourceIndex: sourceIndex)
        let (status, last) = withoutActuallyEscaping(body) { body in
            var context = DispatchContext(body: body, record: record, nanosecondTimestamps: nanosecondTimestamps)
            let status = withUnsafeMutablePointer(to: &context) { pointer in
                callDispatch(count, UnsafeMutableRawPointer(pointer))
            }
            return (status, context.record.frameNumber)
        }
        lastFrame = last
        if status >= 0 { return Int(status) }
        if status == PCAP_ERROR_BREAK { return 0 }
        throw dispatchError(status)
    }

    @usableFromInline func callDispatch(_ count: Int32, _ context: UnsafeMutableRawPointer) -> Int32 {
        pcap_dispatch(raw, count, dispatchCallback, context.assumingMemoryBound(to: UInt8.self))
    }

    /// An error returned by `pcap_dispatch`, sorted: a device that went down or away is its own kind.
    @usableFromInline func dispatchError(_ status: Int32) -> PcapError {
        let text = message(status)
        let lower = text.lowercased()
        let wentDown =
            status == PCAP_ERROR_IFACE_NOT_UP || status == PCAP_ERROR_NO_SUCH_DEVICE
            || lower.contains("went down") || lower.contains("disappeared") || lower.contains("no such device")
            || lower.contains("network is down")
        return PcapError(
            kind: wentDown ? .interfaceWentDown : .other, call: "pcap_dispatch", device: device, message: text,
            status: status)
    }

    /// `pcap_breakloop`: makes the current or next `dispatch` return early.
    public func breakloop() { pcap_breakloop(raw) }

    /// Running 64-bit totals behind `stats()` and the last 32-bit counters seen.
    var statTotals = PcapStats()
    var lastRaw: (UInt32, UInt32, UInt32) = (0, 0, 0)

    /// `pcap_stats`, as 64-bit totals since the handle was activated. libpcap's counters are
    /// 32-bit and wrap after 2^32 packets (hours on a busy 10G link); each call adds the change
    /// since the previous one, so totals stay right as long as it is called at least once per
    /// wrap (the capture loop calls it every interval).
    public mutating func stats() throws(PcapError) -> PcapStats {
        var s = pcap_stat()
        if pcap_stats(raw, &s) != 0 {
            throw PcapError(kind: .other, call: "pcap_stats", device: device, message: String(cString: pcap_geterr(raw)))
        }
        statTotals.add(
            (UInt32(truncatingIfNeeded: s.ps_recv), UInt32(truncatingIfNeeded: s.ps_drop),
             UInt32(truncatingIfNeeded: s.ps_ifdrop)), since: &lastRaw)
        return statTotals
    }

    /// libpcap's text for a status: `pcap_geterr` when it says something, else `pcap_statustostr`.
    func message(_ status: Int32) -> String {
        let text = String(cString: pcap_geterr(raw))
        if !text.isEmpty { return text }
        return String(cString: pcap_statustostr(status))
    }

    private func check(_ status: Int32, _ call: String) throws(PcapError) {
        if status != 0 {
            throw PcapError(kind: .other, call: call, device: device, message: message(status), status: status)
        }
    }
}

extension LinkType {
    /// The LINKTYPE_ for a DLT_ value from `pcap_datalink`. They are equal except for a few
    /// historical DLTs whose numbers differ between platforms (libpcap's `dlt_to_linktype`).
    public static func fromDLT(_ dlt: Int32) -> LinkType {
        #if os(OpenBSD)
        if dlt == 14 { return .raw }  // OpenBSD's DLT_RAW
        #endif
        switch dlt {
        case 12: return .raw  // DLT_RAW everywhere but OpenBSD (where 12 is DLT_LOOP)
        case 15: return LinkType(102)  // DLT_SLIP_BSDOS
        case 16: return LinkType(103)  // DLT_PPP_BSDOS
        case 19: return LinkType(106)  // DLT_ATM_CLIP (Linux)
        default: return LinkType(UInt32(bitPattern: dlt))
        }
    }
}

/// The text in a NUL-terminated errbuf that libpcap filled.
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }  // errbuf is never empty
}

/// Whether `name` is a loopback interface (`IFF_LOOPBACK`).
public func interfaceIsLoopback(_ name: String) -> Bool {
    if case .flags(let f) = interfaceFlags(name) { return f & Int32(IFF_LOOPBACK) != 0 }
    return false
}

/// Whether the interface `name` is administratively up (`IFF_UP`), nil when the question does
/// not apply (a pseudo-device such as "any") or cannot be asked; false when it is gone.
/// libpcap keeps waiting on an interface that was taken down; the capture loop uses this to end
/// the capture with an error instead.
public func interfaceIsUp(_ name: String) -> Bool? {
    if name == "any" { return nil }
    switch interfaceFlags(name) {
    case .flags(let f): return f & Int32(IFF_UP) != 0
    case .gone: return false
    case .unknown: return nil
    }
}

enum InterfaceFlags {
    case flags(Int32)
    /// ENODEV / ENXIO: no interface by that name (any more).
    case gone
    case unknown
}

/// `SIOCGIFFLAGS` on a datagram socket.
func interfaceFlags(_ name: String) -> InterfaceFlags {
    #if os(Linux)
    if name.utf8.count >= Int(IFNAMSIZ) { return .unknown }
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    if fd < 0 { return .unknown }
    defer { close(fd) }
    var request = ifreq()
    withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { buffer in
        for (i, byte) in name.utf8.enumerated() { buffer[i] = byte }  // length checked above; NUL from init
    }
    if ioctl(fd, UInt(SIOCGIFFLAGS), &request) != 0 {
        return errno == ENODEV || errno == ENXIO ? .gone : .unknown
    }
    return .flags(Int32(request.ifr_ifru.ifru_flags))
    #else
    return .unknown
    #endif
}
