import PacketWire
@testable import Reports
import Testing

/// The table pads and clips by Characters; `width` counts them without grapheme breaking when it
/// can, and must agree with `String.count` everywhere.
@Suite struct TextWidthTests {
    @Test func widthIsCharacterCount() {
        let samples = [
            "", "tcp 10.0.0.1:443 → 10.0.0.2:5050", "clipped…", "a\r\nb", "a\rb", "\u{1B}[31mred\u{1B}[0m",
            "café", "cafe\u{301}", "→\u{301}", "…\u{200D}x", "🇫🇷 flag", "👩‍💻", "한국어", "\u{E2}", "x\u{2192}y",
        ]
        for s in samples { #expect(width(s) == s.count, "\(s.debugDescription)") }
        #expect(pad("→", 3) == "→  " && lpad("…", 2) == " …" && clip("abcdef", 4) == "abc…")
        #expect(spaces(0) == "" && spaces(3) == "   " && spaces(40) == String(repeating: " ", count: 40))
    }

    @Test func v4EndpointsAsTextPrintsThem() {
        for (v, port) in [(UInt32(0), UInt16(0)), (0x0A0A_000B, 443), (0xFFFF_FFFF, 65535), (0xC633_6401, 8080),
                          (0x0102_0304, 9)] {
            let a = IPAddress(v4: v)
            #expect(v4Endpoint(v, port) == "\(a.text(version: 4)):\(port)")
        }
    }

    @Test func textBytesAsStringsPrintThem() {
        var t = TextBytes(capacity: 4)
        for n: UInt64 in [0, 7, 10, 1_234_567, UInt64.max] {
            t.add(n)
            t.add("→")
        }
        #expect(t.string == "0→7→10→1234567→\(UInt64.max)→")
        #expect(t.width == t.string.count)
        var cr = TextBytes(capacity: 4)
        cr.add("a\r\nb")
        #expect(cr.width == 3)
    }

    @Test func groupsThousands() {
        #expect(group(0) == "0" && group(999) == "999" && group(1000) == "1,000" && group(1_234_567) == "1,234,567")
        #expect(group(UInt64.max) == "18,446,744,073,709,551,615")
    }
}
