/// A one-line progress bar (on standard error, only on a terminal: the caller decides), only for
/// runs longer than a second.
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

    public mutating func update(_ offset: Int) {
        guard enabled else { return }
        let now = Timing.now()
        // After a second, at most ten redraws a second.
        guard now - started > 1, now - lastDraw > 0.1 else { return }
        lastDraw = now
        let label = name.count > 40 ? "…" + name.suffix(39) : name
        if total <= 0 {
            draw("\r\(offset >> 20) MiB read \(label)")
            shown = true
            return
        }
        let fraction = min(1.0, Double(offset) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        draw("\r[\(bar)] \(Int(fraction * 100))% \(label)")
        shown = true
    }

    public mutating func finish() {
        guard enabled, shown else { return }
        draw("\r" + String(repeating: " ", count: 80) + "\r")
        shown = false
    }
}
