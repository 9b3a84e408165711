// The output byte buffer every machine-readable format writes into. An Array's append goes
// through its generic path, a uniqueness check and a capacity check per call (≈ 80 instructions
// for a four-byte key on the JSONL profile); this buffer is one capacity check and a copy. Not
// per packet: per field of a report line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable bytes with reference storage: a writer owns one and reuses it line after line. Copies
/// share the storage (a writer is never copied while it writes).
struct ByteBuffer {
    final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        var capacity: Int
        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            base = .allocate(capacity: self.capacity)
        }
        deinit { base.deallocate() }

        @inline(never) func grow(_ needed: Int) {
            let c = max(capacity * 2, count + needed)
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
            b.update(from: base, count: count)
            base.deallocate()
            base = b
            capacity = c
        }
    }

    let storage: Storage

    init(capacity: Int = 1024) { storage = Storage(capacity: capacity) }

    var count: Int { storage.count }
    var isEmpty: Bool { storage.count == 0 }

    @inline(__always) func append(_ b: UInt8) {
        let s = storage
        if s.count == s.capacity { s.grow(1) }
        s.base[s.count] = b
        s.count &+= 1
    }

    /// Up to 16 bytes as two overlapping word copies (a `memcpy` call costs more than the copy
    /// for the short keys, punctuation and values of a report line), longer runs by `memcpy`.
    @inline(__always) func append(_ p: UnsafeRawPointer, _ n: Int) {
        let s = storage
        if s.capacity &- s.count < max(n, 16) { s.grow(max(n, 16)) }
        let dst = UnsafeMutableRawPointer(s.base + s.count)
        if n > 16 {
            dst.copyMemory(from: p, byteCount: n)
        } else if n >= 8 {
            // Bytes 0..<8 and n-8..<n: both inside the source, together all of it.
            dst.storeBytes(of: p.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (dst + (n &- 8)).storeBytes(of: (p + (n &- 8)).loadUnaligned(as: UInt64.self), as: UInt64.self)
        } else if n >= 4 {
            dst.storeBytes(of: p.loadUnaligned(as: UInt32.self), as: UInt32.self)
            (dst + (n &- 4)).storeBytes(of: (p + (n &- 4)).loadUnaligned(as: UInt32.self), as: UInt32.self)
        } else {
            for i in 0..<n { dst.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        }
        s.count &+= n
    }

    @inline(__always) func append(contentsOf b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    @inline(__always) func append(contentsOf b: UnsafeRawBufferPointer) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    func append(contentsOf a: [UInt8]) { a.withUnsafeBufferPointer { append(contentsOf: $0) } }

    @inline(__always) func append(_ s: StaticString) {
        append(s.utf8Start, s.utf8CodeUnitCount)
    }

    func removeAll() { storage.count = 0 }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: storage.count) }

    var string: String { String(decoding: UnsafeBufferPointer(start: storage.base, count: storage.count), as: UTF8.self) }

    /// Hands the bytes to `sink` (straight into an OutputFile's buffer; as a String otherwise) and
    /// empties the buffer.
    func flush<Out: TextOutputStream>(to sink: inout Out) {
        if Out.self == OutputFile.self {
            // The type was just checked: the same memory, seen as what it is.
            withUnsafeMutablePointer(to: &sink) { p in
                UnsafeMutableRawPointer(p).assumingMemoryBound(to: OutputFile.self).pointee.write(utf8: bytes)
            }
        } else {
            sink.write(string)
        }
        removeAll()
    }
}

/// What the number and timestamp formatters write into.
protocol ByteAppending {
    mutating func append(_ b: UInt8)
    mutating func appendRaw(_ b: UnsafeRawBufferPointer)
}

extension ByteBuffer: ByteAppending {
    @inline(__always) func appendRaw(_ b: UnsafeRawBufferPointer) { append(contentsOf: b) }
}

extension Array: ByteAppending where Element == UInt8 {
    @inline(__always) mutating func appendRaw(_ b: UnsafeRawBufferPointer) { append(contentsOf: b) }
}
