import PacketWire

/// Transport protocol of a catalog entry; the raw value indexes the compiled tables.
public enum Transport: UInt8, Sendable, CaseIterable {
    case tcp = 0
    case udp = 1

    /// TCP and UDP; nil for every other IP protocol.
    @inlinable public init?(_ p: IPProtocol) {
        switch p.rawValue {
        case 6: self = .tcp
        case 17: self = .udp
        default: return nil
        }
    }

    /// `tcp` or `udp`, as catalogs and the command line write it.
    public var name: String { self == .tcp ? "tcp" : "udp" }

    public init?(name: String) {
        switch name.lowercased() {
        case "tcp": self = .tcp
        case "udp": self = .udp
        default: return nil
        }
    }
}

/// Who may reach an entry's port.
public enum Scope: String, Sendable, CaseIterable {
    /// Reachable from anywhere (inside or outside the cluster).
    case any
    /// Only cluster nodes need it: the vendor says it can be closed to traffic from outside.
    case cluster
    /// Not a port the host serves: the host connects out to `destinations` on this port.
    case outbound
}

/// Which editions of the product include a component.
public enum Edition: String, Sendable, CaseIterable {
    /// Every edition (also used for products without an edition split).
    case open
    /// Only the enterprise edition (e.g. "Enterprise DC/OS Only").
    case enterprise
}

/// A component as the vendor names it, with its systemd unit when the document gives one.
public struct CatalogComponent: Sendable, Equatable {
    public var name: String
    public var unit: String?
    public var edition: Edition
    public var notes: String?

    public init(name: String, unit: String? = nil, edition: Edition = .open, notes: String? = nil) {
        self.name = name
        self.unit = unit
        self.edition = edition
        self.notes = notes
    }
}

/// One row of a port document: a protocol and port (or range, or "ephemeral") served — or, for
/// scope `outbound`, connected to — by hosts of some roles.
public struct CatalogEntry: Sendable, Equatable {
    public var catalogID: String
    public var component: String
    public var unit: String?
    public var edition: Edition
    public var transport: Transport
    /// Inclusive port range; a single port is `p...p`; nil means "ephemeral" (never matched).
    public var ports: ClosedRange<UInt16>?
    /// Role names, resolved (`all` in the file becomes every role of the catalog).
    public var roles: [String]
    public var scope: Scope
    /// For `outbound`: the allowed destinations (host names, addresses, CIDRs). Empty otherwise.
    public var destinations: [String]
    /// A relation the vendor gives (e.g. "Routed to local port 8022 …").
    public var relation: String?
    public var notes: String?
    /// The document and the row the entry comes from.
    public var source: String
    /// The UDP port carries VXLAN (e.g. DC/OS navstar 64000): the decoder should look inside.
    public var overlay: Bool
    /// Line of the entry in its catalog file (0 when built in code).
    public var line: Int

    public init(catalogID: String, component: String, unit: String? = nil, edition: Edition = .open,
                transport: Transport, ports: ClosedRange<UInt16>?, roles: [String], scope: Scope = .any,
                destinations: [String] = [], relation: String? = nil, notes: String? = nil,
                source: String = "", overlay: Bool = false, line: Int = 0) {
        self.catalogID = catalogID
        self.component = component
        self.unit = unit
        self.edition = edition
        self.transport = transport
        self.ports = ports
        self.roles = roles
        self.scope = scope
        self.destinations = destinations
        self.relation = relation
        self.notes = notes
        self.source = source
        self.overlay = overlay
        self.line = line
    }

    /// `5701`, `5701-5711` or `ephemeral`.
    public var portText: String {
        guard let p = ports else { return "ephemeral" }
        return p.lowerBound == p.upperBound ? "\(p.lowerBound)" : "\(p.lowerBound)-\(p.upperBound)"
    }

    /// Number of ports covered (0 for ephemeral).
    public var width: Int { ports.map { Int($0.upperBound) - Int($0.lowerBound) + 1 } ?? 0 }
}

/// A bad catalog, inventory or role spec: prints as `file:line:column: what is wrong`
/// (or `file: what is wrong` / `what is wrong` when there is no position).
public struct CatalogError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var s = ""
        if let file { s += file + ":" }
        if let line {
            s += "\(line):"
            if let column { s += "\(column):" }
        }
        return s.isEmpty ? message : s + " " + message
    }
}
