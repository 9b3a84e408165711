@testable import PortCatalog

/// Every row of the two seed documents, transcribed independently of the catalog files
/// (../shared/seeds/000_6cff00a1074e582d.txt and 003_d3af4cb53dcf4eca.txt). The seed-parsing
/// tests check this list against the documents themselves when they are present.
struct DocumentRow: Sendable, CustomStringConvertible {
    var catalog: String
    var section: String
    var transport: Transport
    /// `443`, `1025-2180` or `ephemeral`
    var ports: String
    var roles: [String]
    var component: String
    var unit: String?
    var edition: Edition
    var scope: Scope

    var description: String { "\(catalog) \(section) \(transport.name)/\(ports) \(component)" }

    var range: ClosedRange<UInt16>? {
        if ports == "ephemeral" { return nil }
        let p = ports.split(separator: "-").map { UInt16($0)! }
        return p[0]...p[p.count - 1]
    }
}

enum DocumentRows {
    static let all = ["dcos-master", "dcos-agent"]
    static let master = ["dcos-master"]
    static let agent = ["dcos-agent"]
    static let task = "Default advertised port ranges (for Marathon health checks)"

    static func d(_ section: String, _ t: Transport, _ ports: String, _ component: String, _ unit: String?,
                  enterprise: Bool = false) -> DocumentRow {
        let roles = section == "All roles" ? all : section == "Master" ? master : agent
        return DocumentRow(catalog: "dcos-1.8", section: section, transport: t, ports: ports, roles: roles,
                           component: component, unit: unit, edition: enterprise ? .enterprise : .open, scope: .any)
    }

    static let dcos: [DocumentRow] = [
        d("All roles", .tcp, "61003", "REX-Ray", "dcos-rexray.service"),
        d("All roles", .tcp, "61053", "Mesos DNS", "dcos-mesos-dns.service"),
        d("All roles", .tcp, "61420", "Erlang Port Mapping Daemon", "dcos-epmd.service"),
        d("All roles", .tcp, "61421", "Layer 4 Load Balancer", "dcos-minuteman.service"),
        d("All roles", .tcp, "62053", "DNS Dispatcher", "dcos-spartan.service"),
        d("All roles", .tcp, "62080", "Virtual Network Service", "dcos-navstar.service"),
        d("All roles", .tcp, "62501", "DNS Dispatcher", "dcos-spartan.service"),
        d("All roles", .tcp, "62502", "Virtual Network Service", "dcos-navstar.service"),
        d("All roles", .tcp, "62503", "Layer 4 Load Balancer", "dcos-minuteman.service"),
        d("All roles", .udp, "61053", "Mesos DNS", "dcos-mesos-dns.service"),
        d("All roles", .udp, "62053", "DNS Dispatcher", "dcos-spartan.service"),
        d("All roles", .udp, "64000", "Virtual Networks", "dcos-navstar.service"),
        d("Master", .tcp, "53", "DNS Dispatcher", "dcos-spartan.service"),
        d("Master", .tcp, "80", "Admin Router Service", "dcos-adminrouter.service"),
        d("Master", .tcp, "443", "Admin Router Service", "dcos-adminrouter.service"),
        d("Master", .tcp, "1050", "Diagnostics", "dcos-3dt.service"),
        d("Master", .tcp, "1337", "Secrets", "dcos-secrets.service", enterprise: true),
        d("Master", .tcp, "2181", "ZooKeeper", "dcos-exhibitor.service"),
        d("Master", .tcp, "3888", "Exhibitor, or ZooKeeper and Exhibitor", "dcos-exhibitor.service"),
        d("Master", .tcp, "5050", "Mesos Master", "dcos-mesos-master.service"),
        d("Master", .tcp, "7070", "Package service", "dcos-cosmos.service"),
        d("Master", .tcp, "8080", "Marathon", "dcos-marathon.service"),
        d("Master", .tcp, "8101", "Identity and Access Management", "dcos-bouncer.service", enterprise: true),
        d("Master", .tcp, "8123", "Mesos DNS", "dcos-mesos-dns.service"),
        d("Master", .tcp, "8181", "Exhibitor and ZooKeeper", "dcos-exhibitor.service"),
        d("Master", .tcp, "8200", "Vault", "dcos-vault.service", enterprise: true),
        d("Master", .tcp, "9090", "DC/OS Jobs (Metronome)", "dcos-metronome.service"),
        d("Master", .tcp, "9990", "Package service", "dcos-cosmos.service"),
        d("Master", .tcp, "8888", "DC/OS Certificate Authority", "dcos-ca.service", enterprise: true),
        d("Master", .tcp, "15055", "History Service", "dcos-history-service.service"),
        d("Master", .tcp, "15101", "Marathon libprocess", "dcos-marathon.service"),
        d("Master", .tcp, "15201", "DC/OS Jobs (Metronome) libprocess", "dcos-metronome.service"),
        d("Master", .tcp, "62500", "Network Metrics Aggregator", "dcos-networking_api.service", enterprise: true),
        d("Master", .tcp, "ephemeral", "System Package Manager API", "dcos-pkgpanda-api.service"),
        d("Master", .udp, "53", "DNS Dispatcher", "dcos-spartan.service"),
        d("Agent", .tcp, "5051", "Mesos Agent", "dcos-mesos-slave.service"),
        d("Agent", .tcp, "61001", "Admin Router Agent", "dcos-adminrouter-agent"),
        d("Agent", .tcp, "61002", "Diagnostics", "dcos-3dt.service"),
        d("Agent", .tcp, "1025-2180", task, nil),
        d("Agent", .tcp, "2182-3887", task, nil),
        d("Agent", .tcp, "3889-5049", task, nil),
        d("Agent", .tcp, "5052-8079", task, nil),
        d("Agent", .tcp, "8082-8180", task, nil),
        d("Agent", .tcp, "8182-32000", task, nil),
    ]

    static func t(_ ports: String, _ component: String, _ scope: Scope) -> DocumentRow {
        DocumentRow(catalog: "dynatrace-managed", section: "Incoming ports", transport: .tcp, ports: ports,
                    roles: ["dynatrace-node"], component: component, unit: nil, edition: .open, scope: scope)
    }

    /// Rows of several ports ("9042, 7000, 7001, 7199") are one DocumentRow per port; "8020, 8021"
    /// is the range entry the catalog decided on.
    static let dynatrace: [DocumentRow] = [
        t("443", "Dynatrace Managed UI, OneAgent and REST API", .any),
        t("8443", "Monitoring data from OneAgent, nodes within Dynatrace Managed cluster", .any),
        t("8018", "Nodekeeper", .cluster),
        t("8019", "Upgrade UI", .any),
        t("8020-8021", "Dynatrace Managed UI and REST API", .cluster),
        t("8022", "Dynatrace Managed UI and REST API (NGINX)", .cluster),
        t("5701-5711", "Hazelcast In-memory data grid platform", .cluster),
        t("9042", "Cassandra-based Hypercube storage", .cluster),
        t("7000", "Cassandra-based Hypercube storage", .cluster),
        t("7001", "Cassandra-based Hypercube storage", .cluster),
        t("7199", "Cassandra-based Hypercube storage", .cluster),
        t("9200", "Elasticsearch-based search engine", .cluster),
        t("9300", "Elasticsearch-based search engine", .cluster),
        DocumentRow(catalog: "dynatrace-managed", section: "Outbound communication to Dynatrace Mission Control",
                    transport: .tcp, ports: "443", roles: ["dynatrace-node"], component: "Dynatrace Mission Control",
                    unit: nil, edition: .open, scope: .outbound),
    ]

    static let missionControl = ["mcsvc.dynatrace.com", "52.5.224.56", "52.200.165.10", "52.221.165.63", "13.228.109.33"]
}
