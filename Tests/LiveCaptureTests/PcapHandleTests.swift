// The libpcap wrapper on its own: filters, errors, interfaces, and the capture loop on the host's
// loopback (root only; traffic goes to 127.0.0.1 and nowhere else).
import Testing
import PacketWire
@testable import LiveCapture
#if canImport(Glibc)
import Glibc
#endif

let isRoot = getuid() == 0

@Suite struct PcapHandleTests {
    @Test func filterThatCompiles() throws {
        let handle = try PcapHandle(openDead: 1, snaplen: 256)  // DLT_EN10MB
        try handle.compile("tcp port 80 or (udp and not port 53)")
    }

    @Test func rejectedFilterCarriesLibpcapMessageAndExpression() throws {
        let handle = try PcapHandle(openDead: 1, snaplen: 256)
        let error = #expect(throws: PcapError.self) { try handle.compile("tcp port eighty") }
        #expect(error?.kind == .badFilter(expression: "tcp port eighty"))
        #expect(error?.call == "pcap_compile")
        #expect(error?.message.isEmpty == false)
        #expect(error?.description.contains("\"tcp port eighty\"") == true)
        let syntax = #expect(throws: PcapError.self) { try handle.compile("host (") }
        #expect(syntax?.message.contains("syntax error") == true)
    }

    @Test func dltNumbersBecomeLinkTypes() {
        #expect(LinkType.fromDLT(1) == .ethernet)
        #expect(LinkType.fromDLT(12) == .raw)
        #expect(LinkType.fromDLT(113) == .linuxSLL)
        #expect(LinkType.fromDLT(276) == .linuxSLL2)
    }

    @Test func statsCountersSurviveThe32BitWrap() {
        var totals = PcapStats()
        var last: (UInt32, UInt32, UInt32) = (0, 0, 0)
        totals.add((4_000_000_000, 10, 0), since: &last)
        totals.add((4_294_967_295, 20, 1), since: &last)
        totals.add((704, 30, 1), since: &last)  // received wrapped: 4,294,967,296 + 704
        #expect(totals.received == 4_294_967_296 + 704)
        #expect(totals.droppedByKernel == 30 && totals.droppedByInterface == 1)
        #expect(totals.anyDropped)
        #expect(!PcapStats(received: 5).anyDropped)
    }

    @Test func interfacesIncludeLoopback() throws {
        let all = try CaptureInterface.findAll()
        let lo = try #require(all.first { $0.name == "lo" })
        #expect(lo.isLoopback)
        #expect(lo.isUp)
        #expect(lo.flagNames.contains("Loopback"))
        if isRoot || lo.addresses.count > 0 {
            #expect(lo.addresses.contains { $0.text == "127.0.0.1/8" })
        }
    }

    @Test(.enabled(if: isRoot, "needs root to open interfaces"))
    func missingInterfaceIsNoSuchDevice() throws {
        var warning: String?
        let error = #expect(throws: PcapError.self) {
            _ = try PcapHandle.open(CaptureSettings(device: "portolan-none0"), warning: &warning)
        }
        #expect(error?.kind == .noSuchDevice)
        #expect(error?.call == "pcap_activate")
        #expect(error?.device == "portolan-none0")
    }

    @Test(.enabled(if: isRoot, "needs root to open interfaces"))
    func idleInterfaceStopsAtDurationAndCount() throws {
        var settings = CaptureSettings(device: "lo")
        settings.filter = "udp port 9"  // nothing is sent there
        var warning: String?
        var handle = try PcapHandle.open(settings, warning: &warning)
        let t0 = monotonicNanos()
        var ticks = 0
        let reason = try CaptureLoop(intervalNanos: 100_000_000, durationNanos: 500_000_000)
            .run(&handle, packet: { _, _ in }, tick: { _ in ticks += 1; return true })
        let elapsed = monotonicNanos() - t0
        #expect(reason == .duration)
        #expect(elapsed >= 500_000_000 && elapsed < 2_000_000_000)
        #expect(ticks >= 3 && ticks <= 5)
        // --count alone on a silent interface: the tick can still end it (as the CLI's
        // duration does); here a tick that says stop.
        var calls = 0
        let reason2 = try CaptureLoop(intervalNanos: 100_000_000, maxPackets: 10)
            .run(&handle, packet: { _, _ in }, tick: { _ in calls += 1; return calls < 3 })
        #expect(reason2 == .requested)
    }

    @Test(.enabled(if: isRoot, "needs root to open interfaces"))
    func capturesUDPOnLoopbackWithRecordsFilled() throws {
        let port = UInt16(40000 + getpid() % 20000)
        var settings = CaptureSettings(device: "lo")
        settings.filter = "udp dst port \(port)"
        settings.snaplen = 128
        var warning: String?
        var handle = try PcapHandle.open(settings, warning: &warning)
        #expect(handle.linkType == .ethernet)
        #expect(handle.snapshot == 128)
        let before = wallClockNanos()
        try sendUDP(toLoopbackPort: port, count: 50, payloadSize: 300)
        var records: [CaptureRecord] = []
        var firstBytes: [UInt8] = []
        let reason = try CaptureLoop(durationNanos: 3_000_000_000, maxPackets: 50).run(&handle) { record, bytes in
            records.append(record)
            if firstBytes.isEmpty { firstBytes = Array(bytes) }
        }
        #expect(reason == .count)
        try #require(records.count == 50)
        #expect(records.map(\.frameNumber) == Array(1...50))
        for r in records {
            #expect(r.capturedLength == 128)
            #expect(r.originalLength == 14 + 20 + 8 + 300)
            #expect(r.linkType == .ethernet)
            #expect(r.timestampNanos >= before - 1_000_000_000 && r.timestampNanos < wallClockNanos() + 1_000_000_000)
        }
        // Ethernet type IPv4, IP protocol UDP, destination port as sent.
        #expect(firstBytes.count == 128)
        #expect(firstBytes[12] == 0x08 && firstBytes[13] == 0x00)
        #expect(firstBytes[14 + 9] == 17)
        #expect(UInt16(firstBytes[36]) << 8 | UInt16(firstBytes[37]) == port)
        let stats = try handle.stats()
        // Only the incoming copy of each loopback packet reaches the ring (PACKET_IGNORE_OUTGOING).
        #expect(stats.received == 50)
        #expect(stats.droppedByKernel == 0)
    }
}

/// Sends `count` UDP datagrams to 127.0.0.1:`port` (loopback only).
func sendUDP(toLoopbackPort port: UInt16, count: Int, payloadSize: Int) throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let payload = [UInt8](repeating: 0x5A, count: payloadSize)
    for _ in 0..<count {
        let sent = withUnsafePointer(to: &address) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, payload, payload.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(sent == payloadSize)
    }
}
