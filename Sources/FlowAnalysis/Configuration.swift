import PacketWire
import PortCatalog

/// How a run is set up: the catalog and inventory that classify flows, and table policy.
public struct AnalyzerConfiguration: Sendable {
    /// The active catalogs, compiled: the analyzer reads its tables directly (README.md, "Port
    /// catalogs and inventories"), at flow creation and when flows are classified, never per packet.
    public var catalog: CompiledCatalog
    /// Addresses → roles, and the cluster's networks. Empty: roles unknown.
    public var inventory: Inventory
    /// Put the VLAN tag stack in the flow key (`--no-vlan-key` turns it off): the same 5-tuple on
    /// VLAN 100 and on QinQ 300/100 is two flows.
    public var vlanInKey: Bool
    /// Live: a flow idle this long is expired. nil: never (offline).
    public var idleTimeoutNanos: Int64?
    /// Live: a TCP flow closed (both FINs, or a RST) and quiet this long is expired.
    public var closedLingerNanos: Int64
    /// Live bound on the table; at the bound the least recently seen of a few sampled flows is
    /// evicted (counted, and handed out by `expire`). 0: unbounded.
    public var maxFlows: Int
    /// Initial table capacity (grows by rehashing).
    public var initialCapacity: Int
    /// Analyse the flows inside tunnels (VXLAN, Geneve, GRE, IP-in-IP). Off: only the frame's
    /// outer headers make flows (the carrier view).
    public var tunnels: Bool = true

    /// The compiled catalogs and the inventory (empty: roles unknown). Without a catalog every
    /// TCP/UDP flow is `unexpected-port`.
    public init(catalog: CompiledCatalog = CompiledCatalog([]), inventory: Inventory = Inventory(),
                vlanInKey: Bool = true, idleTimeoutNanos: Int64? = nil, closedLingerNanos: Int64 = 5_000_000_000,
                maxFlows: Int = 0, initialCapacity: Int = 4096) {
        self.catalog = catalog
        self.inventory = inventory
        self.vlanInKey = vlanInKey
        self.idleTimeoutNanos = idleTimeoutNanos
        self.closedLingerNanos = closedLingerNanos
        self.maxFlows = maxFlows
        self.initialCapacity = initialCapacity
    }

    /// Decoder options for this catalog: VXLAN on 4789 and on every overlay UDP port.
    public var decoderOptions: DecoderOptions {
        var ports: [UInt16] = [4789]
        for p in catalog.overlayUDPPorts where !ports.contains(p) { ports.append(p) }
        return DecoderOptions(vxlanPorts: ports)
    }
}
