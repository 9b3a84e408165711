/// A one-line progress bar (on standard error, only on a terminal: the caller decides), only for
/// runs longer than a second: the share of the file read, bytes, packets, the rate and the time
/// left. `finish` clears it (after each file, and when a signal stops the read).
public struct Progress: Sendable {
    public let enabled: Bool
    var name = ""
    var total = 0
    var started = 0.0
    var lastDraw = 0.0
    var shown = false
    /// Writes a frame of the bar to the terminal (the caller's writer; a lost frame loses nothing).
    let draw: @Sendable (String) -> Void

    public init(enabled: Bool, draw: @escaping @Sendable (String) -> Void = { _ in }) {
        self.enabled = enabled
        self.draw = draw
    }

    public mutating func start(name: String, total: Int) {
        guard enabled else { return }
        self.name = name
        self.total = total  // 0: unknown (a stream): the bar shows the bytes read instead
        started = Timing.now()
    }

    /// `offset` bytes of the file and `packets` packets read so far.
    public mutating func update(_ offset: Int, packets: Int = 0) {
        guard enabled else { return }
        let now = Timing.now()
        // After a second, at most ten redraws a second.
        guard now - started > 1, now - lastDraw > 0.1 else { return }
        lastDraw = now
        draw("\r" + Self.frame(name: name, offset: offset, total: total, packets: packets, seconds: now - started))
        shown = true
    }

    /// One frame, under 80 columns: `[####      ] 45% 1.2 GiB/2.7 GiB, 12.3 M packets, 812 MiB/s, 2 s left  name`
    /// (the name, shortened from the left, only where there is room).
    public static func frame(name: String, offset: Int, total: Int, packets: Int, seconds: Double) -> String {
        if total <= 0 {
            // A stream (a pipe, gzip, zstd): its size is unknown, the bytes read so far are shown.
            let rate = seconds > 0 ? Double(offset) / seconds : 0
            var text = "\(bytes(Double(offset))) read, \(count(Double(packets))) packets, \(bytes(rate))/s"
            let room = 77 - text.count
            if room >= 8 { text += "  " + (name.count > room ? "…" + name.suffix(room - 1) : name) }
            return text.count > 79 ? String(text.prefix(79)) : text
        }
        let fraction = min(1.0, max(0, Double(offset) / Double(max(total, 1))))
        let width = 10
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let rate = seconds > 0 ? Double(offset) / seconds : 0
        var text = "[\(bar)] \(Int(fraction * 100))% \(bytes(Double(offset)))/\(bytes(Double(total))), "
            + "\(count(Double(packets))) packets, \(bytes(rate))/s"
        if rate > 0 && offset < total { text += ", \(duration(Double(total - offset) / rate)) left" }
        let room = 77 - text.count
        if room >= 8 { text += "  " + (name.count > room ? "…" + name.suffix(room - 1) : name) }
        return text.count > 79 ? String(text.prefix(79)) : text
    }

    static func bytes(_ b: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = b, u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(Int(v)) B" : v >= 100 ? "\(Int(v.rounded())) \(units[u])" : "\(oneDecimal(v)) \(units[u])"
    }

    static func count(_ n: Double) -> String {
        n >= 1e9 ? oneDecimal(n / 1e9) + " G" : n >= 1e6 ? oneDecimal(n / 1e6) + " M" : n >= 1e4 ? oneDecimal(n / 1e3) + " k" : String(Int(n))
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded(.up))
        return t < 60 ? "\(t) s" : t < 3600 ? "\(t / 60) min \(t % 60) s" : "\(t / 3600) h \(t % 3600 / 60) min"
    }

    static func oneDecimal(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    public mutating func finish() {
        guard enabled, shown else { return }
        draw("\r" + String(repeating: " ", count: 80) + "\r")
        shown = false
    }
}
