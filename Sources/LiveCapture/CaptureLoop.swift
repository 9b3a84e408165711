// Opening an interface with Portolan's defaults, and the loop that feeds its packets to a sink
// until a signal, a duration or a packet count says stop — also on an interface that stays silent.
import CPcap
import PacketWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open an interface.
public struct CaptureSettings: Sendable, Equatable {
    public var device: String
    /// Bytes kept per packet: headers are what the analyzer needs.
    public var snaplen: Int32 = 256
    /// Kernel ring size in MiB.
    public var bufferSizeMiB: Int32 = 32
    public var promiscuous: Bool = true
    /// Deliver each packet as it arrives instead of when a ring block fills or times out.
    public var immediate: Bool = false
    /// Packet buffer timeout (how long the kernel may hold a partly filled block), in ms.
    public var timeoutMilliseconds: Int32 = 100
    /// BPF capture filter as tcpdump takes it; empty captures everything.
    public var filter: String = ""
    /// On a loopback interface, keep the outgoing copy of each packet out of the ring
    /// (PACKET_IGNORE_OUTGOING). Linux shows every loopback packet twice, going out and coming
    /// in; libpcap throws the outgoing copy away anyway, but only after it took ring space and
    /// was counted in `pcap_stats` — so without this a burst overflows twice as early and the
    /// received and dropped counts are double the packets. (A BPF `inbound` filter would do the
    /// same, but libpcap 1.10 then rejects every packet on loopback.)
    public var loopbackIncomingOnly: Bool = true

    public init(device: String) { self.device = device }
}

extension PcapHandle {
    /// Creates, configures and activates a handle for `settings`, installs the filter and puts
    /// it in non-blocking mode. Returns libpcap's activation warning, if any, in `warning`.
    public static func open(_ settings: CaptureSettings, warning: inout String?) throws(PcapError) -> PcapHandle {
        var handle = try PcapHandle(create: settings.device)
        try handle.setSnaplen(settings.snaplen)
        try handle.setPromisc(settings.promiscuous)
        try handle.setTimeout(milliseconds: settings.timeoutMilliseconds)
        try handle.setBufferSize(bytes: settings.bufferSizeMiB &* 1024 &* 1024)
        try handle.setImmediateMode(settings.immediate)
        _ = handle.setNanosecondTimestamps()
        warning = try handle.activate()
        if !settings.filter.isEmpty { try handle.setFilter(settings.filter) }
        if settings.loopbackIncomingOnly && interfaceIsLoopback(settings.device) {
            _ = handle.ignoreOutgoing()  // an older kernel: both copies reach the ring, as before
        }
        try handle.setNonblock(true)
        return handle
    }
}

/// Why a capture loop ended (errors are thrown instead).
public enum StopReason: Sendable, Equatable {
    case signal(Int32)
    case duration
    case count
    /// The tick callback asked to stop.
    case requested
}

/// Monotonic clock in nanoseconds.
public func monotonicNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Wall clock in nanoseconds since the Unix epoch.
public func wallClockNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Polls the handle's selectable fd (and the stop signal's pipe) and dispatches in non-blocking
/// mode, so it never sits inside a blocking `pcap_dispatch` on a silent interface.
public struct CaptureLoop: Sendable {
    public var stop: StopSignal?
    /// Call `tick` this often (nil: never).
    public var intervalNanos: Int64?
    /// Stop after this long (nil: no limit).
    public var durationNanos: Int64?
    /// Stop after this many packets (nil: no limit).
    public var maxPackets: UInt64?
    /// Longest single poll, so a platform without a selectable fd still makes progress.
    public var pollCapMilliseconds: Int32 = 200
    /// End with `.interfaceWentDown` when the interface is taken down (libpcap would wait for it
    /// to come back); checked about every `pollCapMilliseconds`.
    public var failWhenInterfaceDown: Bool = true
    /// On a signal, keep draining this long: the kernel hands a partly filled ring block over only
    /// when its timeout (`CaptureSettings.timeoutMilliseconds`) retires it, so the packets that
    /// arrived just before the signal are readable only after that.
    public var finalDrainMilliseconds: Int32 = 150

    public init(stop: StopSignal? = nil, intervalNanos: Int64? = nil, durationNanos: Int64? = nil, maxPackets: UInt64? = nil) {
        self.stop = stop
        self.intervalNanos = intervalNanos
        self.durationNanos = durationNanos
        self.maxPackets = maxPackets
    }

    /// Dispatches what the ring holds now (blocks the kernel already handed over), at most 64
    /// batches and never beyond `maxPackets`. Used every turn and once more when stopping, so
    /// packets that arrived before a signal or the end of --duration are in the report.
    func drain(
        _ handle: inout PcapHandle, _ firstFrame: UInt64, _ packet: (CaptureRecord, UnsafeRawBufferPointer) -> Void
    ) throws(PcapError) {
        for _ in 0..<64 {
            var limit: Int32 = -1
            if let maxPackets {
                let done = handle.framesDelivered &- firstFrame
                if done >= maxPackets { return }
                limit = Int32(clamping: maxPackets - done)
            }
            if try handle.dispatch(limit, packet) == 0 { return }
        }
    }

    /// After a signal: drains until the block the kernel was filling has timed out and been
    /// read, or `maxPackets` is reached (no dispatch is running here, so `pcap_breakloop` has
    /// nothing to wake; it would only make the next dispatch return empty).
    func finalDrain(
        _ handle: inout PcapHandle, _ firstFrame: UInt64, _ ring: pollfd,
        _ packet: (CaptureRecord, UnsafeRawBufferPointer) -> Void
    ) throws(PcapError) {
        let end = monotonicNanos() &+ Int64(finalDrainMilliseconds) * 1_000_000
        var fd = [ring]
        while true {
            try drain(&handle, firstFrame, packet)
            if let maxPackets, handle.framesDelivered &- firstFrame >= maxPackets { return }
            let left = end &- monotonicNanos()
            if left <= 0 { return }
            let ms = Int32((left + 999_999) / 1_000_000)
            if fd[0].fd >= 0 { _ = poll(&fd, 1, min(ms, 20)) } else { usleep(UInt32(min(ms, 10)) * 1000) }
        }
    }

    /// Runs until a stop condition; hands every packet to `packet` (inside `pcap_dispatch`, on
    /// the ring's bytes) and calls `tick` with `pcap_stats` every interval (return false to stop). A libpcap error —
    /// for example the interface going down — is thrown; packets delivered before it were
    /// already handed to `packet`.
    public func run(
        _ handle: inout PcapHandle,
        packet: (CaptureRecord, UnsafeRawBufferPointer) -> Void,
        tick: (PcapStats?) -> Bool = { _ in true }
    ) throws(PcapError) -> StopReason {
        let start = monotonicNanos()
        let end = durationNanos.map { start &+ $0 }
        var nextTick = intervalNanos.map { start &+ $0 }
        let firstFrame = handle.framesDelivered
        var fds = [pollfd(fd: handle.selectableFD ?? -1, events: Int16(POLLIN), revents: 0)]
        if let stop { fds.append(pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)) }
        let haveFD = fds[0].fd >= 0
        var nextLinkCheck = start

        while true {
            if let signo = stop?.pending() {
                try finalDrain(&handle, firstFrame, fds[0], packet)
                return .signal(signo)
            }
            var now = monotonicNanos()
            var waitNanos = Int64(pollCapMilliseconds) * 1_000_000
            if let end { waitNanos = min(waitNanos, end &- now) }
            if let nextTick { waitNanos = min(waitNanos, nextTick &- now) }
            if waitNanos > 0 {
                // Round up so we wake at or after the deadline, not just before it.
                let ms = Int32((waitNanos + 999_999) / 1_000_000)
                if haveFD {
                    _ = poll(&fds, nfds_t(fds.count), ms)  // EINTR: a signal; seen at the top
                } else {
                    usleep(UInt32(min(ms, 10)) * 1000)
                }
            }
            // Take what is waiting (non-blocking), a bounded number of batches per turn so
            // signals, ticks and deadlines are still looked at under a flood.
            try drain(&handle, firstFrame, packet)
            if let maxPackets, handle.framesDelivered &- firstFrame >= maxPackets { return .count }
            now = monotonicNanos()
            if failWhenInterfaceDown && now >= nextLinkCheck {
                nextLinkCheck = now &+ Int64(pollCapMilliseconds) * 1_000_000
                if interfaceIsUp(handle.device) == false {
                    // Take what the ring still holds before reporting the interface as gone.
                    try drain(&handle, firstFrame, packet)
                    throw PcapError(
                        kind: .interfaceWentDown, call: "SIOCGIFFLAGS", device: handle.device,
                        message: "The interface went down")
                }
            }
            if let end, now >= end {
                try drain(&handle, firstFrame, packet)
                return .duration
            }
            if let interval = intervalNanos, let due = nextTick, now >= due {
                if !tick(try? handle.stats()) { return .requested }
                var next = due &+ interval
                if next <= now { next = now &+ interval }  // skip ticks missed under load
                nextTick = next
            }
        }
    }
}
