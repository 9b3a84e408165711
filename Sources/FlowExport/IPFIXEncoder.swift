/// IPFIX (RFC 7011) messages, written by hand into one reused buffer: the message header, the
/// template set, data sets of flow records. Every number is big-endian (network order).
///
/// Templates (256 IPv4, 257 IPv6) carry, in this order: source and destination address (8/12 or
/// 27/28), sourceTransportPort (7), destinationTransportPort (11), protocolIdentifier (4),
/// tcpControlBits (6), vlanId (58), flowStartMilliseconds (152), flowEndMilliseconds (153),
/// packetDeltaCount (2), octetDeltaCount (1), then Portolan's enterprise-specific elements (PEN
/// 32473) component (1), catalog (2) and verdict (3), variable-length UTF-8 strings. A flow is
/// two records, one per direction (source = the sender of that direction); see README "IPFIX
/// export" for why not an RFC 5103 biflow.
public struct IPFIXEncoder {
    /// A message never exceeds this, so that it fits a 1,500-byte MTU with IP and UDP headers
    /// (and tunnel headroom): no IP fragmentation of the export.
    public static let maxMessage = 1_400
    /// The documentation Private Enterprise Number of RFC 5612, for Portolan's own elements.
    public static let enterprise: UInt32 = 32473
    /// The longest string element: longer names are cut (at a UTF-8 boundary), so that a record of
    /// the largest template always fits a message.
    public static let maxString = 200

    public static let templateIPv4: UInt16 = 256
    public static let templateIPv6: UInt16 = 257

    /// The message being written; `count` bytes are used.
    public private(set) var buffer: [UInt8]
    public private(set) var count = 0
    /// Data records sent before the current message (RFC 7011 §3.1: the header's sequence number).
    public private(set) var sequence: UInt32 = 0
    private var recordsInMessage: UInt32 = 0
    /// The data set being written: where its header is and its template (0: none open).
    private var setStart = 0
    private var setTemplate: UInt16 = 0
    public let observationDomain: UInt32
    /// RFC 5103 biflow: the reverse direction's packets, octets and flags in the same record
    /// (reverse elements: PEN 29305). Off by default: see README "IPFIX export".
    public let biflow: Bool

    public init(observationDomain: UInt32 = 1, biflow: Bool = false) {
        self.observationDomain = observationDomain
        self.biflow = biflow
        buffer = [UInt8](repeating: 0, count: Self.maxMessage)
    }

    /// Whether a message is open (header written).
    public var isOpen: Bool { count > 0 }
    /// Whether the open message holds any record or template set besides its header.
    public var hasContent: Bool { count > 16 }

    // MARK: Writing

    @inline(__always) private mutating func put8(_ v: UInt8) {
        buffer[count] = v
        count += 1
    }

    @inline(__always) private mutating func put16(_ v: UInt16) {
        buffer[count] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[count + 1] = UInt8(truncatingIfNeeded: v)
        count += 2
    }

    @inline(__always) private mutating func put32(_ v: UInt32) {
        put16(UInt16(truncatingIfNeeded: v >> 16))
        put16(UInt16(truncatingIfNeeded: v))
    }

    @inline(__always) private mutating func put64(_ v: UInt64) {
        put32(UInt32(truncatingIfNeeded: v >> 32))
        put32(UInt32(truncatingIfNeeded: v))
    }

    private mutating func patch16(at i: Int, _ v: UInt16) {
        buffer[i] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[i + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// Starts a message: the 16-byte header (RFC 7011 §3.1), its length and sequence number filled
    /// in by `finish`.
    public mutating func begin(exportSeconds: UInt32) {
        count = 0
        recordsInMessage = 0
        setTemplate = 0
        put16(10)  // version
        put16(0)  // length, patched
        put32(exportSeconds)
        put32(sequence)
        put32(observationDomain)
    }

    /// Forgets the finished message (the next record begins another).
    public mutating func close() { count = 0 }

    // MARK: Templates

    /// One field specifier: the element id, its length (65535: variable), and the enterprise
    /// number when it is not an IANA element (the enterprise bit set in the id).
    private mutating func field(_ id: UInt16, _ length: UInt16, enterprise: UInt32 = 0) {
        if enterprise == 0 {
            put16(id)
            put16(length)
        } else {
            put16(id | 0x8000)
            put16(length)
            put32(enterprise)
        }
    }

    /// Bytes of the template set `appendTemplates` writes.
    var templateSetBytes: Int { 4 + 2 * (4 + 11 * 4 + 3 * 8 + (biflow ? 3 * 8 : 0)) }

    /// Appends the template set with both templates (closing an open data set first). The message
    /// must be open and have room (`templateSetBytes`).
    public mutating func appendTemplates() {
        closeSet()
        let start = count
        put16(2)  // template set id
        put16(0)  // length, patched
        for v6 in [false, true] {
            put16(v6 ? Self.templateIPv6 : Self.templateIPv4)
            put16(biflow ? 17 : 14)  // field count
            field(v6 ? 27 : 8, v6 ? 16 : 4)  // sourceIPv4/IPv6Address
            field(v6 ? 28 : 12, v6 ? 16 : 4)  // destinationIPv4/IPv6Address
            field(7, 2)  // sourceTransportPort
            field(11, 2)  // destinationTransportPort
            field(4, 1)  // protocolIdentifier
            field(6, 2)  // tcpControlBits (RFC 7125: two octets)
            field(58, 2)  // vlanId
            field(152, 8)  // flowStartMilliseconds
            field(153, 8)  // flowEndMilliseconds
            field(2, 8)  // packetDeltaCount
            field(1, 8)  // octetDeltaCount
            if biflow {
                field(2, 8, enterprise: 29305)  // reversePacketDeltaCount
                field(1, 8, enterprise: 29305)  // reverseOctetDeltaCount
                field(6, 2, enterprise: 29305)  // reverseTcpControlBits
            }
            field(1, 0xFFFF, enterprise: Self.enterprise)  // component
            field(2, 0xFFFF, enterprise: Self.enterprise)  // catalog
            field(3, 0xFFFF, enterprise: Self.enterprise)  // verdict
        }
        patch16(at: start + 2, UInt16(count - start))
    }

    // MARK: Records

    /// Bytes `r` takes in a data set (without the set header).
    public func recordBytes(_ r: borrowing IPFIXRecord) -> Int {
        (biflow ? 18 : 0) + (r.ipVersion == 6 ? 32 : 8) + 2 + 2 + 1 + 2 + 2 + 8 + 8 + 8 + 8
            + Self.stringBytes(r.component) + Self.stringBytes(r.catalog) + Self.stringBytes(r.verdict)
    }

    @inline(__always) static func stringBytes(_ s: ArraySlice<UInt8>) -> Int { (s.count < 255 ? 1 : 3) + s.count }

    /// Appends `r` to the open message; false (nothing written) when it does not fit: finish the
    /// message, send it and begin another.
    public mutating func append(_ r: borrowing IPFIXRecord) -> Bool {
        let template = r.ipVersion == 6 ? Self.templateIPv6 : Self.templateIPv4
        let needed = recordBytes(r) + (setTemplate == template ? 0 : 4)
        guard count + needed <= Self.maxMessage else { return false }
        if setTemplate != template {
            closeSet()
            setStart = count
            setTemplate = template
            put16(template)
            put16(0)  // length, patched by closeSet
        }
        if r.ipVersion == 6 {
            put64(r.source.high)
            put64(r.source.low)
            put64(r.destination.high)
            put64(r.destination.low)
        } else {
            put32(UInt32(truncatingIfNeeded: r.source.low))
            put32(UInt32(truncatingIfNeeded: r.destination.low))
        }
        put16(r.sourcePort)
        put16(r.destinationPort)
        put8(r.proto)
        put16(r.tcpFlags)
        put16(r.vlan)
        put64(UInt64(bitPattern: r.startMillis))
        put64(UInt64(bitPattern: r.endMillis))
        put64(r.packets)
        put64(r.octets)
        if biflow {
            put64(r.reversePackets)
            put64(r.reverseOctets)
            put16(r.reverseTCPFlags)
        }
        putString(r.component)
        putString(r.catalog)
        putString(r.verdict)
        recordsInMessage += 1
        return true
    }

    /// A variable-length element (RFC 7011 §7): one length byte, or 255 and two length bytes.
    private mutating func putString(_ s: ArraySlice<UInt8>) {
        if s.count < 255 {
            put8(UInt8(s.count))
        } else {
            put8(255)
            put16(UInt16(s.count))
        }
        for b in s {
            buffer[count] = b
            count += 1
        }
    }

    private mutating func closeSet() {
        guard setTemplate != 0 else { return }
        patch16(at: setStart + 2, UInt16(count - setStart))
        setTemplate = 0
    }

    /// Closes the message: patches its length and counts its records into the sequence number.
    /// The message is `buffer[0..<count]` until the next `begin`.
    public mutating func finish() {
        closeSet()
        patch16(at: 2, UInt16(count))
        sequence &+= recordsInMessage
        recordsInMessage = 0
    }
}

/// One direction of a flow, as the templates carry it: plain values, the strings already UTF-8
/// and cut to `IPFIXEncoder.maxString`.
public struct IPFIXRecord {
    public var ipVersion: UInt8
    public var source: IPAddressBits
    public var destination: IPAddressBits
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var proto: UInt8
    public var tcpFlags: UInt16
    public var vlan: UInt16
    public var startMillis: Int64
    public var endMillis: Int64
    public var packets: UInt64
    public var octets: UInt64
    /// Biflow only: the other direction's.
    public var reversePackets: UInt64 = 0
    public var reverseOctets: UInt64 = 0
    public var reverseTCPFlags: UInt16 = 0
    public var component: ArraySlice<UInt8>
    public var catalog: ArraySlice<UInt8>
    public var verdict: ArraySlice<UInt8>

    public init(ipVersion: UInt8, source: IPAddressBits, destination: IPAddressBits, sourcePort: UInt16,
                destinationPort: UInt16, proto: UInt8, tcpFlags: UInt16, vlan: UInt16, startMillis: Int64, endMillis: Int64,
                packets: UInt64, octets: UInt64, component: ArraySlice<UInt8>, catalog: ArraySlice<UInt8>,
                verdict: ArraySlice<UInt8>) {
        self.ipVersion = ipVersion
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.proto = proto
        self.tcpFlags = tcpFlags
        self.vlan = vlan
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.packets = packets
        self.octets = octets
        self.component = component
        self.catalog = catalog
        self.verdict = verdict
    }
}

/// An address as 128 bits (IPv4 in the low 32).
public struct IPAddressBits: Sendable, Equatable {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// `s` as UTF-8, cut to at most `limit` bytes at a character boundary.
func utf8Cut(_ s: String, _ limit: Int = IPFIXEncoder.maxString) -> ArraySlice<UInt8> {
    let bytes = Array(s.utf8)
    guard bytes.count > limit else { return bytes[...] }
    var end = limit
    while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a multi-byte character
    return bytes[..<end]
}
