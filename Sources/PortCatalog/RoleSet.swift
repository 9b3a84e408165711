/// A set of roles of one `CompiledCatalog`: bit i is `roleNames[i]` (at most 64 roles).
public struct RoleSet: Hashable, Sendable {
    public var bits: UInt64

    @inlinable public init(bits: UInt64 = 0) { self.bits = bits }

    public static let empty = RoleSet()

    @inlinable public var isEmpty: Bool { bits == 0 }
    @inlinable public var count: Int { bits.nonzeroBitCount }

    @inlinable public func contains(_ index: Int) -> Bool {
        index >= 0 && index < 64 && bits & (1 << UInt64(index)) != 0
    }

    @inlinable public mutating func insert(_ index: Int) {
        guard index >= 0 && index < 64 else { return }
        bits |= 1 << UInt64(index)
    }

    @inlinable public func union(_ other: RoleSet) -> RoleSet { RoleSet(bits: bits | other.bits) }
    @inlinable public func intersects(_ other: RoleSet) -> Bool { bits & other.bits != 0 }

    /// Role indices in ascending order.
    public var indices: [Int] {
        var out: [Int] = []
        var b = bits
        while b != 0 {
            out.append(b.trailingZeroBitCount)
            b &= b - 1
        }
        return out
    }
}
