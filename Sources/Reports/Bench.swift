/// The text of `portolan bench`: numbers with a fixed number of decimals, rates, the stage table.
public enum BenchText {
    /// `v` with `digits` decimals ("-" when not finite).
    public static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if s.contains("e") { return String(Int(r)) }
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < digits { s += String(repeating: "0", count: digits - have) }
            if digits == 0 { s = String(s[..<dot]) }
        } else if digits > 0 {
            s += "." + String(repeating: "0", count: digits)
        }
        return s
    }

    /// 12.3 M, 456.7 k.
    public static func rate(_ v: Double) -> String {
        if v >= 1e6 { return fixed(v / 1e6, 2) + " M" }
        if v >= 1e3 { return fixed(v / 1e3, 1) + " k" }
        return fixed(v, 0)
    }

    /// The lines of a table: the first row is the header, underlined; the first column
    /// left-aligned, the others right-aligned.
    public static func table(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        var widths = [Int](repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var lines: [String] = []
        for (n, r) in rows.enumerated() {
            var line = ""
            for (i, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += i == 0 ? c + pad : "  " + pad + c
            }
            lines.append(line)
            if n == 0 { lines.append(String(repeating: "-", count: line.count)) }
        }
        return lines
    }

    /// The stage table: seconds, packets/s, Gbit/s (original frame lengths), ns/packet, peak RSS.
    public static func stages(_ rows: [(name: String, seconds: Double, peakBytes: Int)], packets: UInt64,
                              wireBytes: UInt64) -> [String] {
        var table: [[String]] = [["stage", "seconds", "packets/s", "Gbit/s", "ns/packet", "peak RSS MiB"]]
        for r in rows {
            table.append([
                r.name, fixed(r.seconds, 3), rate(Double(packets) / r.seconds),
                fixed(Double(wireBytes) * 8 / r.seconds / 1e9, 2),
                fixed(r.seconds * 1e9 / Double(max(packets, 1)), 1),
                fixed(Double(r.peakBytes) / 1_048_576, 1),
            ])
        }
        return Self.table(table)
    }
}
