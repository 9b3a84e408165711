/// The one sanitiser for text a person reads (the table, CSV cells, errors, warnings, progress,
/// `catalog` text): names come from files (catalogs, inventories, capture file names), so a
/// control character in them must never reach a terminal raw. ESC would start a terminal
/// sequence (colours, window title, clear screen), a line break or carriage return would forge a
/// report line, and bidi overrides reorder what is shown.
///
/// Shown escaped: C0 controls and DEL as `\n`, `\r`, `\t` or `\x1b`; C1 controls (U+0080–U+009F),
/// the line and paragraph separators (U+2028, U+2029) and the bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069) as `\u{202e}`. Everything else, backslashes
/// included, is unchanged, so text without those characters is returned as it is.
public enum Sanitize {
    @inline(__always) static func isUnsafe(_ v: UInt32) -> Bool {
        v < 0x20 || (v >= 0x7F && v <= 0x9F) || (v >= 0x2028 && v <= 0x2029)
            || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
    }

    /// Whether a UTF-8 byte may begin an unsafe character: a C0 control, DEL, or the lead byte of
    /// U+0080–U+00BF (0xC2) or U+2000–U+2FFF (0xE2). A cheap first pass; `text` decides exactly.
    @inline(__always) static func mayStartUnsafe(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xE2
    }

    /// `s` with every unsafe character escaped; with `keepingLineBreaks`, `\n` stays a line break
    /// (for messages whose own text has several lines; the values inserted in them are escaped
    /// before).
    public static func text(_ s: String, keepingLineBreaks: Bool = false) -> String {
        var needed = false
        for b in s.utf8 where mayStartUnsafe(b) && !(keepingLineBreaks && b == 0x0A) {
            needed = true
            break
        }
        guard needed, s.unicodeScalars.contains(where: { isUnsafe($0.value) && !(keepingLineBreaks && $0 == "\n") }) else {
            return s
        }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            let v = u.value
            guard isUnsafe(v), !(keepingLineBreaks && v == 0x0A) else {
                out.unicodeScalars.append(u)
                continue
            }
            switch v {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x80: out += "\\x" + hex2(v)
            default: out += "\\u{" + String(v, radix: 16) + "}"
            }
        }
        return out
    }

    /// A progress frame: its leading carriage return redraws the line; the rest is text.
    public static func progressFrame(_ frame: String) -> String {
        guard frame.utf8.first == 0x0D else { return text(frame) }
        let body = frame.utf8.dropFirst()
        // The clearing frame is "\r", spaces, "\r".
        if body.last == 0x0D && body.dropLast().allSatisfy({ $0 == 0x20 }) { return frame }
        return "\r" + text(String(decoding: body, as: UTF8.self))
    }

    /// Whether a CSV text cell starting with this byte would be read as a formula by a
    /// spreadsheet (`=`, `+`, `-`, `@`, tab, carriage return, as OWASP lists them).
    @inline(__always) static func isFormulaStart(_ b: UInt8) -> Bool {
        b == 0x3D || b == 0x2B || b == 0x2D || b == 0x40 || b == 0x09 || b == 0x0D
    }

    /// A CSV text cell: unsafe characters escaped as in `text`, and a leading `'` when the cell
    /// would start a formula (OWASP's advice). Only text cells come here: numbers are written by
    /// the number path and never start with those characters, so `-1` would stay a number.
    public static func csvText(_ s: String) -> String {
        let t = text(s)
        guard let first = t.utf8.first, isFormulaStart(first) else { return t }
        return "'" + t
    }

    static func hex2(_ v: UInt32) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String([digits[Int(v >> 4) & 15], digits[Int(v) & 15]])
    }
}
