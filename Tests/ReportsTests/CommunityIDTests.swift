import Crypto
import Testing
@testable import Reports
import PacketWire

/// The SHA-1 under `CommunityID` is the project's own (one block, no allocation): it must give
/// swift-crypto's digest for every message length it accepts, and the spec's Community IDs.
@Suite struct CommunityIDTests {
    static func hex(_ d: UnsafeRawBufferPointer) -> String {
        d.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined()
    }

    @Test func fipsVectors() {
        // FIPS 180-4 examples (and the empty message).
        let abc = Array("abc".utf8)
        #expect(abc.withUnsafeBytes { CommunityID.sha1($0, Self.hex) } == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect([UInt8]().withUnsafeBytes { CommunityID.sha1($0, Self.hex) } == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let longest = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8.prefix(55))
        #expect(longest.count == 55)
        var reference = Insecure.SHA1()
        reference.update(data: longest)
        let want = reference.finalize().withUnsafeBytes(Self.hex)
        #expect(longest.withUnsafeBytes { CommunityID.sha1($0, Self.hex) } == want)
    }

    @Test func matchesSwiftCryptoOnEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...55 {
            for _ in 0..<40 {
                let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let want = Insecure.SHA1.hash(data: message).withUnsafeBytes(Self.hex)
                let got = message.withUnsafeBytes { CommunityID.sha1($0, Self.hex) }
                #expect(got == want, "length \(length): \(message)")
            }
        }
    }

    /// The examples of the Community ID specification's reference implementation (seed 0).
    @Test func specificationExamples() {
        // TCP 128.232.110.120:34855 → 66.35.250.204:80 (the spec's baseline example).
        let tcp = CommunityID.hash(proto: 6, version: 4, source: IPAddress(v4: 0x80E8_6E78),
                                   destination: IPAddress(v4: 0x4223_FACC), sourcePort: 34855, destinationPort: 80)
        #expect(tcp == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        // The same flow seen from the other side hashes the same.
        let back = CommunityID.hash(proto: 6, version: 4, source: IPAddress(v4: 0x4223_FACC),
                                    destination: IPAddress(v4: 0x80E8_6E78), sourcePort: 80, destinationPort: 34855)
        #expect(back == tcp)
    }
}
