import PacketWire

/// The tally of a flow without ICMP errors or fragments (made once: a tally is some 200 bytes).
let noICMPTally = ICMPTally()

/// One (type, code) of the ICMP errors quoting a flow: how many, and the first one's frame.
@usableFromInline
struct ICMPKindTally: Sendable, Equatable {
    @usableFromInline var type: UInt8 = 0
    @usableFromInline var code: UInt8 = 0
    @usableFromInline var count: UInt64 = 0
    @usableFromInline var firstFrame: UInt64 = 0
    @usableFromInline init() {}
}

extension ICMPTally {
    static let kindCapacity = 4

    func kind(_ i: Int) -> ICMPKindTally {
        withUnsafeBytes(of: kinds) { $0.load(fromByteOffset: i * MemoryLayout<ICMPKindTally>.stride, as: ICMPKindTally.self) }
    }

    mutating func setKind(_ i: Int, _ k: ICMPKindTally) {
        withUnsafeMutableBytes(of: &kinds) {
            $0.storeBytes(of: k, toByteOffset: i * MemoryLayout<ICMPKindTally>.stride, as: ICMPKindTally.self)
        }
    }

    /// Counts `count` errors of (type, code), the first at `frame`: in its slot, a new one, or
    /// `otherKinds` once the slots are taken.
    mutating func addKind(type: UInt8, code: UInt8, count: UInt64, frame: UInt64) {
        for i in 0..<Int(kindCount) {
            var k = kind(i)
            if k.type == type && k.code == code {
                k.count &+= count  // error counts: cannot overflow (see `Counters`)
                if frame != 0 && (k.firstFrame == 0 || frame < k.firstFrame) { k.firstFrame = frame }
                setKind(i, k)
                return
            }
        }
        if Int(kindCount) < ICMPTally.kindCapacity {
            var k = ICMPKindTally()
            k.type = type
            k.code = code
            k.count = count
            k.firstFrame = frame
            setKind(Int(kindCount), k)
            kindCount &+= 1  // < kindCapacity: cannot overflow
        } else {
            otherKinds &+= count
        }
    }

    /// Adds another part's fragments and kinds (a byte-range merge of one flow).
    mutating func mergeDetail(_ t: ICMPTally) {
        fragments &+= t.fragments  // packet counts: cannot overflow
        for i in 0..<Int(t.kindCount) {
            let k = t.kind(i)
            addKind(type: k.type, code: k.code, count: k.count, frame: k.firstFrame)
        }
        otherKinds &+= t.otherKinds
    }

    /// Frame numbers of a later byte range moved to the whole source's numbering.
    mutating func shiftKindFrames(by framesBefore: UInt64) {
        for i in 0..<Int(kindCount) {
            var k = kind(i)
            if k.firstFrame != 0 { k.firstFrame &+= framesBefore }  // a frame number of the source: fits
            setKind(i, k)
        }
    }

    /// The kinds in (type, code) order: the same list whichever part saw which kind first.
    var kindList: [ICMPKind] {
        (0..<Int(kindCount)).map { i in
            let k = kind(i)
            return ICMPKind(type: k.type, code: k.code, count: k.count, firstFrame: k.firstFrame)
        }.sorted { ($0.type, $0.code) < ($1.type, $1.code) }
    }
}

/// ICMP errors of one (type, code) that quoted a flow (`FlowRecord.icmpKinds`).
public struct ICMPKind: Sendable, Equatable {
    public var type: UInt8
    public var code: UInt8
    public var count: UInt64
    /// The first such error's frame (in the flow's evidence source).
    public var firstFrame: UInt64
    public init(type: UInt8, code: UInt8, count: UInt64, firstFrame: UInt64) {
        self.type = type
        self.code = code
        self.count = count
        self.firstFrame = firstFrame
    }
}

/// Which ICMP errors make a flow `blocked-icmp` (README.md, "Verdicts"): destination unreachable
/// (ICMPv4 type 3, any code but 4; ICMPv6 type 1, any code). Fragmentation needed (3/4), Packet
/// Too Big (ICMPv6 2), time exceeded (11, ICMPv6 3), parameter problem (12, ICMPv6 4) and the
/// rest are matched and reported but never block: the path answers, the connection goes on.
@inlinable func icmpErrorBlocks(v6: Bool, type: UInt8, code: UInt8) -> Bool {
    v6 ? type == 1 : type == 3 && code != 4
}

extension ICMPTally {
    /// Field by field (the kinds' tuple has no synthesized `==`).
    @usableFromInline static func == (a: ICMPTally, b: ICMPTally) -> Bool {
        guard a.icmpPackets == b.icmpPackets, a.icmpBytes == b.icmpBytes,
              a.icmpQuotingOrigPackets == b.icmpQuotingOrigPackets, a.icmpQuotingOrigBytes == b.icmpQuotingOrigBytes,
              a.unreachableFrame == b.unreachableFrame, a.icmpType == b.icmpType, a.icmpCode == b.icmpCode,
              a.icmpVersion == b.icmpVersion, a.fragments == b.fragments, a.kindCount == b.kindCount,
              a.otherKinds == b.otherKinds
        else { return false }
        for i in 0..<Int(a.kindCount) where a.kind(i) != b.kind(i) { return false }
        return true
    }
}
