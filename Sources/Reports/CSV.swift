import FlowAnalysis
import PacketWire

/// CSV columns, in order. Lists are joined with `;`; evidence is `verdict:frame frame;…`.
public let csvHeader = [
    "proto", "ip_version", "client", "client_port", "server", "server_port", "client_name", "server_name",
    "component", "catalog", "candidates", "verdict", "verdicts", "evidence", "state", "history", "direction",
    "client_packets", "server_packets", "client_bytes", "server_bytes", "client_payload_bytes",
    "server_payload_bytes", "icmp_errors", "first_ts", "last_ts", "first_frame", "vlan", "tunnel", "carries",
    "files", "evidence_file",
]

/// Appends one field with RFC 4180 quoting: a field with a comma, quote or line break is quoted,
/// its quotes doubled.
func appendCSVField(_ s: String, to out: inout String) {
    if !s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        out += s
        return
    }
    out += "\""
    for c in s.unicodeScalars {
        if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
    }
    out += "\""
}

func csvField(_ s: String) -> String {
    var out = ""
    appendCSVField(s, to: &out)
    return out
}

func csvRow(_ f: FlowRecord, sourceNames: [String]) -> String {
    var out = ""
    out.reserveCapacity(256)
    var first = true
    func add(_ s: String) {
        if !first { out += "," }
        first = false
        appendCSVField(s, to: &out)
    }
    func addList(_ list: [String], _ sep: String) {
        if !first { out += "," }
        first = false
        var joined = ""
        for (i, x) in list.enumerated() {
            if i > 0 { joined += sep }
            joined += x
        }
        appendCSVField(joined, to: &out)
    }
    add(protoName(f.proto))
    add(String(f.ipVersion))
    add(addressText(f.client, f.ipVersion))
    add(String(f.clientPort))
    add(addressText(f.server, f.ipVersion))
    add(String(f.serverPort))
    add(f.clientName ?? "")
    add(f.serverName ?? "")
    add(f.component ?? "")
    add(f.catalogID ?? "")
    addList(f.candidates, ";")
    add(f.verdict.rawValue)
    addList(f.verdicts.map(\.rawValue), ";")
    add(evidenceText(f))
    add(f.state.rawValue)
    add(f.history)
    add(f.direction.rawValue)
    add(String(f.clientPackets))
    add(String(f.serverPackets))
    add(String(f.clientBytes))
    add(String(f.serverBytes))
    add(String(f.clientPayloadBytes))
    add(String(f.serverPayloadBytes))
    add(String(f.icmpErrors))
    add(timestampText(f.firstTimestamp))
    add(timestampText(f.lastTimestamp))
    add(String(f.firstFrame))
    add(vlanText(f) ?? "")
    add(tunnelText(f.tunnel) ?? "")
    add(tunnelText(f.carries) ?? "")
    addList(fileNames(f, sourceNames), ";")
    add(Int(f.evidenceSource) < sourceNames.count ? sourceNames[Int(f.evidenceSource)] : "")
    return out
}
