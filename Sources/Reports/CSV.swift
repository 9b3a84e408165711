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

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
func csvField(_ s: String) -> String {
    if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }
    return s
}

func csvRow(_ f: FlowRecord, sourceNames: [String]) -> String {
    let fields: [String] = [
        protoName(f.proto), String(f.ipVersion), addressText(f.client, f.ipVersion), String(f.clientPort),
        addressText(f.server, f.ipVersion), String(f.serverPort), f.clientName ?? "", f.serverName ?? "",
        f.component ?? "", f.catalogID ?? "", f.candidates.joined(separator: ";"), f.verdict.rawValue,
        f.verdicts.map(\.rawValue).joined(separator: ";"), evidenceText(f), f.state.rawValue, f.history,
        f.direction.rawValue, String(f.clientPackets), String(f.serverPackets), String(f.clientBytes),
        String(f.serverBytes), String(f.clientPayloadBytes), String(f.serverPayloadBytes), String(f.icmpErrors),
        timestampText(f.firstTimestamp), timestampText(f.lastTimestamp), String(f.firstFrame), vlanText(f) ?? "",
        tunnelText(f.tunnel) ?? "", tunnelText(f.carries) ?? "", fileNames(f, sourceNames).joined(separator: ";"),
        Int(f.evidenceSource) < sourceNames.count ? sourceNames[Int(f.evidenceSource)] : "",
    ]
    return fields.map(csvField).joined(separator: ",")
}

extension String {
    func replacingAll(_ a: Character, with b: String) -> String {
        var out = ""
        for c in self {
            if c == a { out += b } else { out.append(c) }
        }
        return out
    }
}
