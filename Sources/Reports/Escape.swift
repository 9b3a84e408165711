/// The one HTML escaper of every page Portolan writes (next to `JSONWriter.appendString`, the
/// one JSON escaper): `&`, `<`, `>`, `"` and `'` become character references, so a string from a
/// capture file, a catalog or an inventory is text in element content and in quoted attributes.
/// Control characters other than tab and newline become U+FFFD (HTML forbids them as text).
public func htmlEscaped(_ s: String) -> String {
    var out: [UInt8] = []
    appendHTMLEscaped(s, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// `s` escaped as `htmlEscaped` does, appended as UTF-8 bytes.
func appendHTMLEscaped(_ s: String, to out: inout [UInt8]) {
    // Fast path: most names, addresses and verdicts need nothing.
    let plain = s.utf8.withContiguousStorageIfAvailable { buf -> Bool in
        for b in buf where b < 0x20 || b == 0x26 || b == 0x3C || b == 0x3E || b == 0x22 || b == 0x27 || b == 0x7F {
            return false
        }
        return true
    } ?? false
    if plain {
        out.append(contentsOf: s.utf8)
        return
    }
    for b in s.utf8 {
        switch b {
        case 0x26: out.append(contentsOf: "&amp;".utf8)
        case 0x3C: out.append(contentsOf: "&lt;".utf8)
        case 0x3E: out.append(contentsOf: "&gt;".utf8)
        case 0x22: out.append(contentsOf: "&quot;".utf8)
        case 0x27: out.append(contentsOf: "&#39;".utf8)
        case 0x09, 0x0A: out.append(b)
        case 0..<0x20, 0x7F: out.append(contentsOf: "\u{FFFD}".utf8)
        default: out.append(b)
        }
    }
}
