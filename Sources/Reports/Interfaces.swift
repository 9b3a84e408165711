/// One capture interface as `portolan interfaces` lists it.
public struct InterfaceRow: Sendable {
    public var name: String
    public var description: String?
    public var flags: [String]
    public var loopback: Bool
    public var up: Bool
    public var running: Bool
    /// (IP version, address text).
    public var addresses: [(version: UInt8, text: String)]

    public init(name: String, description: String?, flags: [String], loopback: Bool, up: Bool, running: Bool,
                addresses: [(version: UInt8, text: String)]) {
        self.name = name
        self.description = description
        self.flags = flags
        self.loopback = loopback
        self.up = up
        self.running = running
        self.addresses = addresses
    }
}

/// `portolan interfaces`' text.
public enum InterfaceText {
    /// One line per interface as tcpdump -D numbers them, then one indented line per address.
    public static func table(_ all: [InterfaceRow]) -> String {
        var out = ""
        for (i, dev) in all.enumerated() {
            out += "\(i + 1).\(dev.name)"
            if let d = dev.description, !d.isEmpty { out += " (\(d))" }
            if !dev.flags.isEmpty { out += " [\(dev.flags.joined(separator: ", "))]" }
            out += "\n"
            for a in dev.addresses { out += "    \(a.version == 4 ? "inet " : "inet6") \(a.text)\n" }
        }
        return out
    }

    /// One JSON array of the interfaces, with its newline.
    public static func json(_ all: [InterfaceRow]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for dev in all {
            w.beginObject()
            w.field("name", dev.name)
            if let d = dev.description { w.field("description", d) }
            w.beginArray("flags")
            for f in dev.flags { w.value(f) }
            w.endArray()
            w.field("loopback", dev.loopback)
            w.field("up", dev.up)
            w.field("running", dev.running)
            w.beginArray("addresses")
            for a in dev.addresses { w.value(a.text) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.bytes.append(0x0A)
        return w.out
    }
}
