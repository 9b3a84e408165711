import PacketWire

/// An address with a prefix length: `10.10.0.0/24`, `fd00:10::/64`, or a single address
/// (`/32`, `/128`). IPv4 networks only contain IPv4 addresses and IPv6 only IPv6.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The network address (host bits zero).
    public var address: IPAddress
    /// 0…32 for IPv4, 0…128 for IPv6.
    public var prefixLength: UInt8
    /// 4 or 6.
    public var version: UInt8

    public init(address: IPAddress, prefixLength: UInt8, version: UInt8) {
        self.version = version
        self.prefixLength = prefixLength
        self.address = Self.masked(address, bits: Self.bits(prefixLength, version: version))
    }

    /// Prefix length in the 128-bit (IPv4-mapped) representation.
    @inlinable static func bits(_ prefixLength: UInt8, version: UInt8) -> Int {
        version == 4 ? 96 + Int(prefixLength) : Int(prefixLength)
    }

    @inlinable static func masked(_ a: IPAddress, bits: Int) -> IPAddress {
        let hiMask: UInt64 = bits >= 64 ? ~0 : (bits <= 0 ? 0 : ~0 << UInt64(64 - bits))
        let loMask: UInt64 = bits >= 128 ? ~0 : (bits <= 64 ? 0 : ~0 << UInt64(128 - bits))
        return IPAddress(high: a.high & hiMask, low: a.low & loMask)
    }

    /// Whether the network holds a host address of that version.
    @inlinable public func contains(_ a: IPAddress, version v: UInt8) -> Bool {
        v == version && Self.masked(a, bits: Self.bits(prefixLength, version: version)) == address
    }

    public var isSingleHost: Bool { prefixLength == (version == 4 ? 32 : 128) }

    public var description: String {
        isSingleHost ? address.text(version: version) : "\(address.text(version: version))/\(prefixLength)"
    }

    /// Parses `ADDR` or `ADDR/LEN`; nil when malformed (see `parseChecked` for the reason).
    public static func parse(_ text: String) -> IPNetwork? {
        if case .success(let n) = parseChecked(text) { return n }
        return nil
    }

    /// Parses `ADDR` or `ADDR/LEN`, refusing host bits set beyond the prefix; the failure says why.
    public static func parseChecked(_ text: String) -> Result<IPNetwork, CatalogError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let parsed = IPAddress.parse(parts[0]) else {
            return .failure(CatalogError("bad address '\(text)' (IPv4 a.b.c.d or IPv6, optionally /prefix)"))
        }
        let (addr, version) = parsed
        let maxLen = version == 4 ? 32 : 128
        var len = maxLen
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit),
                  let l = Int(parts[1]), l <= maxLen else {
                return .failure(CatalogError("bad CIDR '\(text)': prefix length must be 0-\(maxLen) for IPv\(version)"))
            }
            len = l
        }
        let net = IPNetwork(address: addr, prefixLength: UInt8(len), version: version)
        guard net.address == addr else {
            return .failure(CatalogError("bad CIDR '\(text)': host bits set beyond /\(len) (did you mean \(net)?)"))
        }
        return .success(net)
    }
}
