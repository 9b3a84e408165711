// Generated from Resources/*.yaml by Tests/PortCatalogTests/BuiltInSource.swift: do not edit.
// PORTOLAN_UPDATE_BUILTIN=1 swift test --filter BuiltInCatalogTests rewrites it; the test
// fails when it is not what the YAML gives. Built-ins start without a YAML parse (issue 12).

extension Catalog {
    static let builtInText: [String: String] = [
        "dcos-1.8": #"""
# Portolan port catalog: DC/OS 1.8, transcribed from the DC/OS 1.8 "Ports" page
# (seed 000_6cff00a1074e582d.txt). One entry per table row; `row` names the section, the
# protocol, the port and the line of the seed file. Export it with `portolan catalog export dcos-1.8`
# as a start for your own catalog.
id: dcos-1.8
title: DC/OS 1.8 ports
document:
  name: DC/OS 1.8 Ports
  version: "1.8"
  file: 000_6cff00a1074e582d.txt
roles:
  - name: dcos-master
    description: DC/OS master node (the document's "Master" tables).
  - name: dcos-agent
    description: DC/OS agent node, private or public (the document's "Agent" tables).
decisions:
  - "\"All roles\" rows apply to both dcos-master and dcos-agent (roles: all)."
  - "Scope: the document never says a port may be closed to traffic from outside the cluster, so every entry is scope any. Narrow them in your own catalog if your firewall policy says more."
  - "Rows with an extra column (2181, 3888, 8181, 9090, 15101, 15201: the unit in a third column instead of in parentheses) are read as component plus unit, like the others."
  - "The agent's advertised task-port ranges are kept exactly as written, holes included (2181, 3888, 5050-5051, 8080-8081, 8181 are not in any range). 8081 is listed nowhere in the document."
  - "Rows marked \"(Enterprise DC/OS Only)\" and <!-- Enterprise --> (1337, 8101, 8200, 8888, 62500) have edition enterprise."
  - "The pkgpanda row gives no port, only \"Ephemeral\": it is an ephemeral entry (port: ephemeral), listed but never matched against traffic."
  - "UDP 64000 (Virtual Networks, navstar) is marked overlay: it carries VXLAN, and the analyzer decodes it as such."
  - "A port that appears in more than one table (53 and 62053 and 61053 over both TCP and UDP) is one entry per table row; the same component on two ports (Diagnostics 1050 on masters, 61002 on agents) is two entries."
  - "Rows marked Enterprise carry a trailing <!-- Enterprise --> HTML comment after the last cell; it is not a column."
  - "Component names are kept as the document writes them, even where two names share a unit (ZooKeeper / Exhibitor rows, Virtual Network Service / Virtual Networks)."
components:
  - name: "REX-Ray"
    unit: dcos-rexray.service
    edition: open
  - name: "Mesos DNS"
    unit: dcos-mesos-dns.service
    edition: open
  - name: "Erlang Port Mapping Daemon"
    unit: dcos-epmd.service
    edition: open
  - name: "Layer 4 Load Balancer"
    unit: dcos-minuteman.service
    edition: open
    notes: "Minuteman."
  - name: "DNS Dispatcher"
    unit: dcos-spartan.service
    edition: open
    notes: "Spartan."
  - name: "Virtual Network Service"
    unit: dcos-navstar.service
    edition: open
    notes: "Navstar; the document names the same unit \"Virtual Networks\" in the UDP table."
  - name: "Virtual Networks"
    unit: dcos-navstar.service
    edition: open
    notes: "Navstar's VXLAN data plane; the document names the same unit \"Virtual Network Service\" in the TCP table."
  - name: "Admin Router Service"
    unit: dcos-adminrouter.service
    edition: open
    notes: "NGINX in front of the master's HTTP services."
  - name: "Diagnostics"
    unit: dcos-3dt.service
    edition: open
    notes: "3DT; on masters (TCP 1050) and agents (TCP 61002)."
  - name: "Secrets"
    unit: dcos-secrets.service
    edition: enterprise
  - name: "ZooKeeper"
    unit: dcos-exhibitor.service
    edition: open
    notes: "Written with its unit in an extra third column."
  - name: "Exhibitor, or ZooKeeper and Exhibitor"
    unit: dcos-exhibitor.service
    edition: open
    notes: "Name kept as the document writes it; same unit as ZooKeeper."
  - name: "Mesos Master"
    unit: dcos-mesos-master.service
    edition: open
  - name: "Package service"
    unit: dcos-cosmos.service
    edition: open
    notes: "Cosmos."
  - name: "Marathon"
    unit: dcos-marathon.service
    edition: open
  - name: "Identity and Access Management"
    unit: dcos-bouncer.service
    edition: enterprise
    notes: "Bouncer."
  - name: "Exhibitor and ZooKeeper"
    unit: dcos-exhibitor.service
    edition: open
    notes: "Name kept as the document writes it; same unit as ZooKeeper."
  - name: "Vault"
    unit: dcos-vault.service
    edition: enterprise
  - name: "DC/OS Jobs (Metronome)"
    unit: dcos-metronome.service
    edition: open
  - name: "DC/OS Certificate Authority"
    unit: dcos-ca.service
    edition: enterprise
  - name: "History Service"
    unit: dcos-history-service.service
    edition: open
  - name: "Marathon libprocess"
    unit: dcos-marathon.service
    edition: open
    notes: "Marathon's libprocess (Mesos framework) endpoint."
  - name: "DC/OS Jobs (Metronome) libprocess"
    unit: dcos-metronome.service
    edition: open
    notes: "Metronome's libprocess (Mesos framework) endpoint."
  - name: "Network Metrics Aggregator"
    unit: dcos-networking_api.service
    edition: enterprise
  - name: "System Package Manager API"
    unit: dcos-pkgpanda-api.service
    edition: open
    notes: "Pkgpanda."
  - name: "Mesos Agent"
    unit: dcos-mesos-slave.service
    edition: open
  - name: "Admin Router Agent"
    unit: dcos-adminrouter-agent
    edition: open
    notes: "Unit written without .service in the document."
  - name: "Default advertised port ranges (for Marathon health checks)"
    edition: open
    notes: "Mesos agent resources offered to tasks; no DC/OS unit listens on them."
entries:
  - component: "REX-Ray"
    protocol: tcp
    port: 61003
    roles: all
    scope: any
    notes: "The document marks this port \"(default)\": REX-Ray's default listen port, which an operator may change."
    row: "All roles / TCP / 61003 (line 16)"
  - component: "Mesos DNS"
    protocol: tcp
    port: 61053
    roles: all
    scope: any
    row: "All roles / TCP / 61053 (line 17)"
  - component: "Erlang Port Mapping Daemon"
    protocol: tcp
    port: 61420
    roles: all
    scope: any
    row: "All roles / TCP / 61420 (line 18)"
  - component: "Layer 4 Load Balancer"
    protocol: tcp
    port: 61421
    roles: all
    scope: any
    row: "All roles / TCP / 61421 (line 19)"
  - component: "DNS Dispatcher"
    protocol: tcp
    port: 62053
    roles: all
    scope: any
    row: "All roles / TCP / 62053 (line 20)"
  - component: "Virtual Network Service"
    protocol: tcp
    port: 62080
    roles: all
    scope: any
    row: "All roles / TCP / 62080 (line 21)"
  - component: "DNS Dispatcher"
    protocol: tcp
    port: 62501
    roles: all
    scope: any
    row: "All roles / TCP / 62501 (line 22)"
  - component: "Virtual Network Service"
    protocol: tcp
    port: 62502
    roles: all
    scope: any
    row: "All roles / TCP / 62502 (line 23)"
  - component: "Layer 4 Load Balancer"
    protocol: tcp
    port: 62503
    roles: all
    scope: any
    row: "All roles / TCP / 62503 (line 24)"
  - component: "Mesos DNS"
    protocol: udp
    port: 61053
    roles: all
    scope: any
    row: "All roles / UDP / 61053 (line 31)"
  - component: "DNS Dispatcher"
    protocol: udp
    port: 62053
    roles: all
    scope: any
    row: "All roles / UDP / 62053 (line 32)"
  - component: "Virtual Networks"
    protocol: udp
    port: 64000
    roles: all
    scope: any
    overlay: true
    notes: "VXLAN overlay of the DC/OS virtual networks (navstar): the analyzer decodes UDP 64000 as VXLAN."
    row: "All roles / UDP / 64000 (line 33)"
  - component: "DNS Dispatcher"
    protocol: tcp
    port: 53
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 53 (line 41)"
  - component: "Admin Router Service"
    protocol: tcp
    port: 80
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 80 (line 42)"
  - component: "Admin Router Service"
    protocol: tcp
    port: 443
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 443 (line 43)"
  - component: "Diagnostics"
    protocol: tcp
    port: 1050
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 1050 (line 44)"
  - component: "Secrets"
    protocol: tcp
    port: 1337
    roles: [dcos-master]
    scope: any
    notes: "Enterprise DC/OS only."
    row: "Master / TCP / 1337 (line 45)"
  - component: "ZooKeeper"
    protocol: tcp
    port: 2181
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column: the unit sits in a third column instead of in parentheses; read as the unit. The agent task ranges leave a hole at 2181."
    row: "Master / TCP / 2181 (line 46)"
  - component: "Exhibitor, or ZooKeeper and Exhibitor"
    protocol: tcp
    port: 3888
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column (unit in a third column). The agent task ranges leave a hole at 3888."
    row: "Master / TCP / 3888 (line 47)"
  - component: "Mesos Master"
    protocol: tcp
    port: 5050
    roles: [dcos-master]
    scope: any
    notes: "The agent task ranges leave a hole at 5050-5051 (Mesos master and agent)."
    row: "Master / TCP / 5050 (line 48)"
  - component: "Package service"
    protocol: tcp
    port: 7070
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 7070 (line 49)"
  - component: "Marathon"
    protocol: tcp
    port: 8080
    roles: [dcos-master]
    scope: any
    notes: "The agent task ranges leave a hole at 8080-8081; 8081 is listed nowhere in the document."
    row: "Master / TCP / 8080 (line 50)"
  - component: "Identity and Access Management"
    protocol: tcp
    port: 8101
    roles: [dcos-master]
    scope: any
    notes: "Enterprise DC/OS only."
    row: "Master / TCP / 8101 (line 51)"
  - component: "Mesos DNS"
    protocol: tcp
    port: 8123
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 8123 (line 52)"
  - component: "Exhibitor and ZooKeeper"
    protocol: tcp
    port: 8181
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column (unit in a third column). The agent task ranges leave a hole at 8181."
    row: "Master / TCP / 8181 (line 53)"
  - component: "Vault"
    protocol: tcp
    port: 8200
    roles: [dcos-master]
    scope: any
    notes: "Enterprise DC/OS only."
    row: "Master / TCP / 8200 (line 54)"
  - component: "DC/OS Jobs (Metronome)"
    protocol: tcp
    port: 9090
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column (unit in a third column)."
    row: "Master / TCP / 9090 (line 55)"
  - component: "Package service"
    protocol: tcp
    port: 9990
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 9990 (line 56)"
  - component: "DC/OS Certificate Authority"
    protocol: tcp
    port: 8888
    roles: [dcos-master]
    scope: any
    notes: "Enterprise DC/OS only. Listed after 9990 in the document (out of order); kept as written."
    row: "Master / TCP / 8888 (line 57)"
  - component: "History Service"
    protocol: tcp
    port: 15055
    roles: [dcos-master]
    scope: any
    row: "Master / TCP / 15055 (line 58)"
  - component: "Marathon libprocess"
    protocol: tcp
    port: 15101
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column (unit in a third column)."
    row: "Master / TCP / 15101 (line 59)"
  - component: "DC/OS Jobs (Metronome) libprocess"
    protocol: tcp
    port: 15201
    roles: [dcos-master]
    scope: any
    notes: "Row with an extra column (unit in a third column)."
    row: "Master / TCP / 15201 (line 60)"
  - component: "Network Metrics Aggregator"
    protocol: tcp
    port: 62500
    roles: [dcos-master]
    scope: any
    notes: "Enterprise DC/OS only."
    row: "Master / TCP / 62500 (line 61)"
  - component: "System Package Manager API"
    protocol: tcp
    port: ephemeral
    roles: [dcos-master]
    scope: any
    notes: "The document gives no port, only \"Ephemeral\": the API binds a port chosen at start. Kept as an ephemeral entry, which lists the component but never matches a port on the wire."
    row: "Master / TCP / Ephemeral (line 62)"
  - component: "DNS Dispatcher"
    protocol: udp
    port: 53
    roles: [dcos-master]
    scope: any
    row: "Master / UDP / 53 (line 68)"
  - component: "Mesos Agent"
    protocol: tcp
    port: 5051
    roles: [dcos-agent]
    scope: any
    notes: "The agent task ranges leave a hole at 5050-5051."
    row: "Agent / TCP / 5051 (line 76)"
  - component: "Admin Router Agent"
    protocol: tcp
    port: 61001
    roles: [dcos-agent]
    scope: any
    notes: "The document writes the unit without the .service suffix; kept as written (systemd resolves it to dcos-adminrouter-agent.service)."
    row: "Agent / TCP / 61001 (line 77)"
  - component: "Diagnostics"
    protocol: tcp
    port: 61002
    roles: [dcos-agent]
    scope: any
    row: "Agent / TCP / 61002 (line 78)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 1025-2180
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 1025-2180 (line 79)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 2182-3887
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 2182-3887 (line 80)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 3889-5049
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 3889-5049 (line 81)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 5052-8079
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 5052-8079 (line 82)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 8082-8180
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 8082-8180 (line 83)"
  - component: "Default advertised port ranges (for Marathon health checks)"
    protocol: tcp
    port: 8182-32000
    roles: [dcos-agent]
    scope: any
    notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry."
    row: "Agent / TCP / 8182-32000 (line 84)"

"""#,
        "dynatrace-managed": #"""
# Portolan port catalog: Dynatrace Managed cluster nodes, transcribed from the Dynatrace Managed
# "Cluster node ports" page (seed 003_d3af4cb53dcf4eca.txt). One entry per port; `row` names the
# row of the document (a row listing several ports gives one entry per port, or one range).
# Export it with `portolan catalog export dynatrace-managed` as a start for your own catalog.
id: dynatrace-managed
title: Dynatrace Managed cluster node ports
document:
  name: Dynatrace Managed cluster node ports
  version: not stated
  file: 003_d3af4cb53dcf4eca.txt
roles:
  - name: dynatrace-node
    description: Dynatrace Managed cluster node (every node serves every port of this page).
decisions:
  - "Scope cluster only where the document says the port \"can be closed to traffic coming from outside the Dynatrace cluster\" (8018, 8020-8021, 8022, 5701-5711, Cassandra, Elasticsearch); scope any elsewhere."
  - "8443 is scope any: each machine with OneAgent must reach it, and footnote 1 says environments from before 1.166 (and upgraded ones) still use it from outside. Footnote 1 also says new environments need not expose it; on such a cluster, set it to cluster in your own catalog."
  - "8019 (Upgrade UI) is scope any: its row has no note, and the \"These ports can be closed\" note follows the 8020, 8021 row, so it is not read as covering 8019."
  - "8020, 8021 is one row and one range entry 8020-8021. 9042, 7000, 7001, 7199 and 9200, 9300 are rows of several single ports: one entry per port, all citing their row."
  - "443 is redirected by an iptables PREROUTING rule to local port 8022 (relation on both entries); a capture on the node may show either port."
  - "The Mission Control connection is outbound (the node connects to TCP 443 of mcsvc.dynatrace.com or 52.5.224.56, 52.200.165.10, 52.221.165.63, 13.228.109.33); it is not a port the node serves."
  - "Dynatrace Managed has no open/enterprise split: every component is edition open (available in every edition)."
components:
  - name: Dynatrace Managed UI, OneAgent and REST API
    edition: open
    notes: Served by NGINX on 8022 behind an iptables redirect from 443.
  - name: Monitoring data from OneAgent, nodes within Dynatrace Managed cluster
    edition: open
    notes: "\"Used by\" column of the 8443 row, kept as written."
  - name: Nodekeeper
    edition: open
  - name: Upgrade UI
    edition: open
  - name: Dynatrace Managed UI and REST API
    edition: open
  - name: Dynatrace Managed UI and REST API (NGINX)
    edition: open
  - name: Hazelcast In-memory data grid platform
    edition: open
    notes: Responsible for data being evenly distributed among the cluster nodes.
  - name: Cassandra-based Hypercube storage
    edition: open
  - name: Elasticsearch-based search engine
    edition: open
  - name: Dynatrace Mission Control
    edition: open
    notes: Mandatory management connection (license validation, health monitoring, automatic updates) and basic health checks.
entries:
  - component: Dynatrace Managed UI, OneAgent and REST API
    protocol: tcp
    port: 443
    roles: all
    scope: any
    relation: Routed to local port 8022 using an iptables prerouting rule.
    notes: Must remain open to allow incoming traffic from your data center; all Dynatrace communication to the cluster is HTTPS.
    row: "Incoming ports / 443"
  - component: Monitoring data from OneAgent, nodes within Dynatrace Managed cluster
    protocol: tcp
    port: 8443
    roles: all
    scope: any
    notes: >-
      Each monitored machine with OneAgent must access this port; it must remain open between nodes.
      Footnote 1: environments with a cluster version earlier than 1.166 use 8443; new environments
      still use it but need not expose it outside the cluster nodes; upgraded environments keep their
      port settings. Decision: scope any, because OneAgents outside the cluster legitimately reach it
      on older and upgraded clusters (set cluster in your own catalog for a new 1.166+ cluster).
    row: "Incoming ports / 8443 (footnote 1)"
  - component: Nodekeeper
    protocol: tcp
    port: 8018
    roles: all
    scope: cluster
    notes: Can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.
    row: "Incoming ports / 8018"
  - component: Upgrade UI
    protocol: tcp
    port: 8019
    roles: all
    scope: any
    notes: >-
      The row has no note. Decision: scope any, since the document does not say this port can be
      closed to outside traffic (the note after the next row speaks of 8020 and 8021).
    row: "Incoming ports / 8019"
  - component: Dynatrace Managed UI and REST API
    protocol: tcp
    port: 8020-8021
    roles: all
    scope: cluster
    notes: These ports can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.
    row: "Incoming ports / 8020, 8021"
  - component: Dynatrace Managed UI and REST API (NGINX)
    protocol: tcp
    port: 8022
    roles: all
    scope: cluster
    relation: Target of the iptables redirect from 443; can be used as an equivalent to 443 where a non-privileged port is required.
    notes: >-
      Can be closed to traffic coming from outside the Dynatrace cluster. Traffic that arrived on 443
      from outside is seen on 8022 after the redirect only inside the node, not on the wire.
    row: "Incoming ports / 8022"
  - component: Hazelcast In-memory data grid platform
    protocol: tcp
    port: 5701-5711
    roles: all
    scope: cluster
    notes: These ports can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.
    row: "Incoming ports / 5701-5711"
  - component: Cassandra-based Hypercube storage
    protocol: tcp
    port: 9042
    roles: all
    scope: cluster
    notes: Cassandra native protocol (CQL). Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9042, 7000, 7001, 7199"
  - component: Cassandra-based Hypercube storage
    protocol: tcp
    port: 7000
    roles: all
    scope: cluster
    notes: Cassandra inter-node. Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9042, 7000, 7001, 7199"
  - component: Cassandra-based Hypercube storage
    protocol: tcp
    port: 7001
    roles: all
    scope: cluster
    notes: Cassandra inter-node (TLS). Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9042, 7000, 7001, 7199"
  - component: Cassandra-based Hypercube storage
    protocol: tcp
    port: 7199
    roles: all
    scope: cluster
    notes: Cassandra JMX. Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9042, 7000, 7001, 7199"
  - component: Elasticsearch-based search engine
    protocol: tcp
    port: 9200
    roles: all
    scope: cluster
    notes: Elasticsearch HTTP. Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9200, 9300"
  - component: Elasticsearch-based search engine
    protocol: tcp
    port: 9300
    roles: all
    scope: cluster
    notes: Elasticsearch transport (inter-node). Can be closed to traffic coming from outside the Dynatrace cluster.
    row: "Incoming ports / 9200, 9300"
  - component: Dynatrace Mission Control
    protocol: tcp
    port: 443
    roles: all
    scope: outbound
    destinations: [mcsvc.dynatrace.com, 52.5.224.56, 52.200.165.10, 52.221.165.63, 13.228.109.33]
    notes: >-
      Each node connects out over HTTPS (TLS v1.2). May be routed via a proxy, which must allow web
      sockets and support the SNI TLS extension; through a proxy the destination is the proxy.
    row: "Outbound communication to Dynatrace Mission Control"

"""#,
    ]

    static let builtInParsed: [String: Catalog] = [
        "dcos-1.8": Catalog(
            id: "dcos-1.8", title: "DC/OS 1.8 ports",
            documentName: "DC/OS 1.8 Ports", documentVersion: "1.8",
            documentFile: "000_6cff00a1074e582d.txt",
            roles: [(name: "dcos-master", description: "DC/OS master node (the document's \"Master\" tables)."), (name: "dcos-agent", description: "DC/OS agent node, private or public (the document's \"Agent\" tables).")],
            decisions: [
                "\"All roles\" rows apply to both dcos-master and dcos-agent (roles: all).",
                "Scope: the document never says a port may be closed to traffic from outside the cluster, so every entry is scope any. Narrow them in your own catalog if your firewall policy says more.",
                "Rows with an extra column (2181, 3888, 8181, 9090, 15101, 15201: the unit in a third column instead of in parentheses) are read as component plus unit, like the others.",
                "The agent's advertised task-port ranges are kept exactly as written, holes included (2181, 3888, 5050-5051, 8080-8081, 8181 are not in any range). 8081 is listed nowhere in the document.",
                "Rows marked \"(Enterprise DC/OS Only)\" and <!-- Enterprise --> (1337, 8101, 8200, 8888, 62500) have edition enterprise.",
                "The pkgpanda row gives no port, only \"Ephemeral\": it is an ephemeral entry (port: ephemeral), listed but never matched against traffic.",
                "UDP 64000 (Virtual Networks, navstar) is marked overlay: it carries VXLAN, and the analyzer decodes it as such.",
                "A port that appears in more than one table (53 and 62053 and 61053 over both TCP and UDP) is one entry per table row; the same component on two ports (Diagnostics 1050 on masters, 61002 on agents) is two entries.",
                "Rows marked Enterprise carry a trailing <!-- Enterprise --> HTML comment after the last cell; it is not a column.",
                "Component names are kept as the document writes them, even where two names share a unit (ZooKeeper / Exhibitor rows, Virtual Network Service / Virtual Networks).",
            ],
            components: [
                CatalogComponent(name: "REX-Ray", unit: "dcos-rexray.service", edition: .open, notes: nil),
                CatalogComponent(name: "Mesos DNS", unit: "dcos-mesos-dns.service", edition: .open, notes: nil),
                CatalogComponent(name: "Erlang Port Mapping Daemon", unit: "dcos-epmd.service", edition: .open, notes: nil),
                CatalogComponent(name: "Layer 4 Load Balancer", unit: "dcos-minuteman.service", edition: .open, notes: "Minuteman."),
                CatalogComponent(name: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, notes: "Spartan."),
                CatalogComponent(name: "Virtual Network Service", unit: "dcos-navstar.service", edition: .open, notes: "Navstar; the document names the same unit \"Virtual Networks\" in the UDP table."),
                CatalogComponent(name: "Virtual Networks", unit: "dcos-navstar.service", edition: .open, notes: "Navstar's VXLAN data plane; the document names the same unit \"Virtual Network Service\" in the TCP table."),
                CatalogComponent(name: "Admin Router Service", unit: "dcos-adminrouter.service", edition: .open, notes: "NGINX in front of the master's HTTP services."),
                CatalogComponent(name: "Diagnostics", unit: "dcos-3dt.service", edition: .open, notes: "3DT; on masters (TCP 1050) and agents (TCP 61002)."),
                CatalogComponent(name: "Secrets", unit: "dcos-secrets.service", edition: .enterprise, notes: nil),
                CatalogComponent(name: "ZooKeeper", unit: "dcos-exhibitor.service", edition: .open, notes: "Written with its unit in an extra third column."),
                CatalogComponent(name: "Exhibitor, or ZooKeeper and Exhibitor", unit: "dcos-exhibitor.service", edition: .open, notes: "Name kept as the document writes it; same unit as ZooKeeper."),
                CatalogComponent(name: "Mesos Master", unit: "dcos-mesos-master.service", edition: .open, notes: nil),
                CatalogComponent(name: "Package service", unit: "dcos-cosmos.service", edition: .open, notes: "Cosmos."),
                CatalogComponent(name: "Marathon", unit: "dcos-marathon.service", edition: .open, notes: nil),
                CatalogComponent(name: "Identity and Access Management", unit: "dcos-bouncer.service", edition: .enterprise, notes: "Bouncer."),
                CatalogComponent(name: "Exhibitor and ZooKeeper", unit: "dcos-exhibitor.service", edition: .open, notes: "Name kept as the document writes it; same unit as ZooKeeper."),
                CatalogComponent(name: "Vault", unit: "dcos-vault.service", edition: .enterprise, notes: nil),
                CatalogComponent(name: "DC/OS Jobs (Metronome)", unit: "dcos-metronome.service", edition: .open, notes: nil),
                CatalogComponent(name: "DC/OS Certificate Authority", unit: "dcos-ca.service", edition: .enterprise, notes: nil),
                CatalogComponent(name: "History Service", unit: "dcos-history-service.service", edition: .open, notes: nil),
                CatalogComponent(name: "Marathon libprocess", unit: "dcos-marathon.service", edition: .open, notes: "Marathon's libprocess (Mesos framework) endpoint."),
                CatalogComponent(name: "DC/OS Jobs (Metronome) libprocess", unit: "dcos-metronome.service", edition: .open, notes: "Metronome's libprocess (Mesos framework) endpoint."),
                CatalogComponent(name: "Network Metrics Aggregator", unit: "dcos-networking_api.service", edition: .enterprise, notes: nil),
                CatalogComponent(name: "System Package Manager API", unit: "dcos-pkgpanda-api.service", edition: .open, notes: "Pkgpanda."),
                CatalogComponent(name: "Mesos Agent", unit: "dcos-mesos-slave.service", edition: .open, notes: nil),
                CatalogComponent(name: "Admin Router Agent", unit: "dcos-adminrouter-agent", edition: .open, notes: "Unit written without .service in the document."),
                CatalogComponent(name: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, notes: "Mesos agent resources offered to tasks; no DC/OS unit listens on them."),
            ],
            entries: [
                CatalogEntry(catalogID: "dcos-1.8", component: "REX-Ray", unit: "dcos-rexray.service", edition: .open, transport: .tcp, ports: 61003...61003, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "The document marks this port \"(default)\": REX-Ray's default listen port, which an operator may change.", source: "DC/OS 1.8 Ports: All roles / TCP / 61003 (line 16)", overlay: false, line: 128),
                CatalogEntry(catalogID: "dcos-1.8", component: "Mesos DNS", unit: "dcos-mesos-dns.service", edition: .open, transport: .tcp, ports: 61053...61053, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 61053 (line 17)", overlay: false, line: 135),
                CatalogEntry(catalogID: "dcos-1.8", component: "Erlang Port Mapping Daemon", unit: "dcos-epmd.service", edition: .open, transport: .tcp, ports: 61420...61420, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 61420 (line 18)", overlay: false, line: 141),
                CatalogEntry(catalogID: "dcos-1.8", component: "Layer 4 Load Balancer", unit: "dcos-minuteman.service", edition: .open, transport: .tcp, ports: 61421...61421, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 61421 (line 19)", overlay: false, line: 147),
                CatalogEntry(catalogID: "dcos-1.8", component: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, transport: .tcp, ports: 62053...62053, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 62053 (line 20)", overlay: false, line: 153),
                CatalogEntry(catalogID: "dcos-1.8", component: "Virtual Network Service", unit: "dcos-navstar.service", edition: .open, transport: .tcp, ports: 62080...62080, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 62080 (line 21)", overlay: false, line: 159),
                CatalogEntry(catalogID: "dcos-1.8", component: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, transport: .tcp, ports: 62501...62501, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 62501 (line 22)", overlay: false, line: 165),
                CatalogEntry(catalogID: "dcos-1.8", component: "Virtual Network Service", unit: "dcos-navstar.service", edition: .open, transport: .tcp, ports: 62502...62502, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 62502 (line 23)", overlay: false, line: 171),
                CatalogEntry(catalogID: "dcos-1.8", component: "Layer 4 Load Balancer", unit: "dcos-minuteman.service", edition: .open, transport: .tcp, ports: 62503...62503, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / TCP / 62503 (line 24)", overlay: false, line: 177),
                CatalogEntry(catalogID: "dcos-1.8", component: "Mesos DNS", unit: "dcos-mesos-dns.service", edition: .open, transport: .udp, ports: 61053...61053, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / UDP / 61053 (line 31)", overlay: false, line: 183),
                CatalogEntry(catalogID: "dcos-1.8", component: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, transport: .udp, ports: 62053...62053, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: All roles / UDP / 62053 (line 32)", overlay: false, line: 189),
                CatalogEntry(catalogID: "dcos-1.8", component: "Virtual Networks", unit: "dcos-navstar.service", edition: .open, transport: .udp, ports: 64000...64000, roles: ["dcos-master", "dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "VXLAN overlay of the DC/OS virtual networks (navstar): the analyzer decodes UDP 64000 as VXLAN.", source: "DC/OS 1.8 Ports: All roles / UDP / 64000 (line 33)", overlay: true, line: 195),
                CatalogEntry(catalogID: "dcos-1.8", component: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, transport: .tcp, ports: 53...53, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 53 (line 41)", overlay: false, line: 203),
                CatalogEntry(catalogID: "dcos-1.8", component: "Admin Router Service", unit: "dcos-adminrouter.service", edition: .open, transport: .tcp, ports: 80...80, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 80 (line 42)", overlay: false, line: 209),
                CatalogEntry(catalogID: "dcos-1.8", component: "Admin Router Service", unit: "dcos-adminrouter.service", edition: .open, transport: .tcp, ports: 443...443, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 443 (line 43)", overlay: false, line: 215),
                CatalogEntry(catalogID: "dcos-1.8", component: "Diagnostics", unit: "dcos-3dt.service", edition: .open, transport: .tcp, ports: 1050...1050, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 1050 (line 44)", overlay: false, line: 221),
                CatalogEntry(catalogID: "dcos-1.8", component: "Secrets", unit: "dcos-secrets.service", edition: .enterprise, transport: .tcp, ports: 1337...1337, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Enterprise DC/OS only.", source: "DC/OS 1.8 Ports: Master / TCP / 1337 (line 45)", overlay: false, line: 227),
                CatalogEntry(catalogID: "dcos-1.8", component: "ZooKeeper", unit: "dcos-exhibitor.service", edition: .open, transport: .tcp, ports: 2181...2181, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column: the unit sits in a third column instead of in parentheses; read as the unit. The agent task ranges leave a hole at 2181.", source: "DC/OS 1.8 Ports: Master / TCP / 2181 (line 46)", overlay: false, line: 234),
                CatalogEntry(catalogID: "dcos-1.8", component: "Exhibitor, or ZooKeeper and Exhibitor", unit: "dcos-exhibitor.service", edition: .open, transport: .tcp, ports: 3888...3888, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column (unit in a third column). The agent task ranges leave a hole at 3888.", source: "DC/OS 1.8 Ports: Master / TCP / 3888 (line 47)", overlay: false, line: 241),
                CatalogEntry(catalogID: "dcos-1.8", component: "Mesos Master", unit: "dcos-mesos-master.service", edition: .open, transport: .tcp, ports: 5050...5050, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "The agent task ranges leave a hole at 5050-5051 (Mesos master and agent).", source: "DC/OS 1.8 Ports: Master / TCP / 5050 (line 48)", overlay: false, line: 248),
                CatalogEntry(catalogID: "dcos-1.8", component: "Package service", unit: "dcos-cosmos.service", edition: .open, transport: .tcp, ports: 7070...7070, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 7070 (line 49)", overlay: false, line: 255),
                CatalogEntry(catalogID: "dcos-1.8", component: "Marathon", unit: "dcos-marathon.service", edition: .open, transport: .tcp, ports: 8080...8080, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "The agent task ranges leave a hole at 8080-8081; 8081 is listed nowhere in the document.", source: "DC/OS 1.8 Ports: Master / TCP / 8080 (line 50)", overlay: false, line: 261),
                CatalogEntry(catalogID: "dcos-1.8", component: "Identity and Access Management", unit: "dcos-bouncer.service", edition: .enterprise, transport: .tcp, ports: 8101...8101, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Enterprise DC/OS only.", source: "DC/OS 1.8 Ports: Master / TCP / 8101 (line 51)", overlay: false, line: 268),
                CatalogEntry(catalogID: "dcos-1.8", component: "Mesos DNS", unit: "dcos-mesos-dns.service", edition: .open, transport: .tcp, ports: 8123...8123, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 8123 (line 52)", overlay: false, line: 275),
                CatalogEntry(catalogID: "dcos-1.8", component: "Exhibitor and ZooKeeper", unit: "dcos-exhibitor.service", edition: .open, transport: .tcp, ports: 8181...8181, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column (unit in a third column). The agent task ranges leave a hole at 8181.", source: "DC/OS 1.8 Ports: Master / TCP / 8181 (line 53)", overlay: false, line: 281),
                CatalogEntry(catalogID: "dcos-1.8", component: "Vault", unit: "dcos-vault.service", edition: .enterprise, transport: .tcp, ports: 8200...8200, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Enterprise DC/OS only.", source: "DC/OS 1.8 Ports: Master / TCP / 8200 (line 54)", overlay: false, line: 288),
                CatalogEntry(catalogID: "dcos-1.8", component: "DC/OS Jobs (Metronome)", unit: "dcos-metronome.service", edition: .open, transport: .tcp, ports: 9090...9090, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column (unit in a third column).", source: "DC/OS 1.8 Ports: Master / TCP / 9090 (line 55)", overlay: false, line: 295),
                CatalogEntry(catalogID: "dcos-1.8", component: "Package service", unit: "dcos-cosmos.service", edition: .open, transport: .tcp, ports: 9990...9990, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 9990 (line 56)", overlay: false, line: 302),
                CatalogEntry(catalogID: "dcos-1.8", component: "DC/OS Certificate Authority", unit: "dcos-ca.service", edition: .enterprise, transport: .tcp, ports: 8888...8888, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Enterprise DC/OS only. Listed after 9990 in the document (out of order); kept as written.", source: "DC/OS 1.8 Ports: Master / TCP / 8888 (line 57)", overlay: false, line: 308),
                CatalogEntry(catalogID: "dcos-1.8", component: "History Service", unit: "dcos-history-service.service", edition: .open, transport: .tcp, ports: 15055...15055, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / TCP / 15055 (line 58)", overlay: false, line: 315),
                CatalogEntry(catalogID: "dcos-1.8", component: "Marathon libprocess", unit: "dcos-marathon.service", edition: .open, transport: .tcp, ports: 15101...15101, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column (unit in a third column).", source: "DC/OS 1.8 Ports: Master / TCP / 15101 (line 59)", overlay: false, line: 321),
                CatalogEntry(catalogID: "dcos-1.8", component: "DC/OS Jobs (Metronome) libprocess", unit: "dcos-metronome.service", edition: .open, transport: .tcp, ports: 15201...15201, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Row with an extra column (unit in a third column).", source: "DC/OS 1.8 Ports: Master / TCP / 15201 (line 60)", overlay: false, line: 328),
                CatalogEntry(catalogID: "dcos-1.8", component: "Network Metrics Aggregator", unit: "dcos-networking_api.service", edition: .enterprise, transport: .tcp, ports: 62500...62500, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "Enterprise DC/OS only.", source: "DC/OS 1.8 Ports: Master / TCP / 62500 (line 61)", overlay: false, line: 335),
                CatalogEntry(catalogID: "dcos-1.8", component: "System Package Manager API", unit: "dcos-pkgpanda-api.service", edition: .open, transport: .tcp, ports: nil, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: "The document gives no port, only \"Ephemeral\": the API binds a port chosen at start. Kept as an ephemeral entry, which lists the component but never matches a port on the wire.", source: "DC/OS 1.8 Ports: Master / TCP / Ephemeral (line 62)", overlay: false, line: 342),
                CatalogEntry(catalogID: "dcos-1.8", component: "DNS Dispatcher", unit: "dcos-spartan.service", edition: .open, transport: .udp, ports: 53...53, roles: ["dcos-master"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Master / UDP / 53 (line 68)", overlay: false, line: 349),
                CatalogEntry(catalogID: "dcos-1.8", component: "Mesos Agent", unit: "dcos-mesos-slave.service", edition: .open, transport: .tcp, ports: 5051...5051, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "The agent task ranges leave a hole at 5050-5051.", source: "DC/OS 1.8 Ports: Agent / TCP / 5051 (line 76)", overlay: false, line: 355),
                CatalogEntry(catalogID: "dcos-1.8", component: "Admin Router Agent", unit: "dcos-adminrouter-agent", edition: .open, transport: .tcp, ports: 61001...61001, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "The document writes the unit without the .service suffix; kept as written (systemd resolves it to dcos-adminrouter-agent.service).", source: "DC/OS 1.8 Ports: Agent / TCP / 61001 (line 77)", overlay: false, line: 362),
                CatalogEntry(catalogID: "dcos-1.8", component: "Diagnostics", unit: "dcos-3dt.service", edition: .open, transport: .tcp, ports: 61002...61002, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: nil, source: "DC/OS 1.8 Ports: Agent / TCP / 61002 (line 78)", overlay: false, line: 369),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 1025...2180, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 1025-2180 (line 79)", overlay: false, line: 375),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 2182...3887, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 2182-3887 (line 80)", overlay: false, line: 382),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 3889...5049, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 3889-5049 (line 81)", overlay: false, line: 389),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 5052...8079, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 5052-8079 (line 82)", overlay: false, line: 396),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 8082...8180, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 8082-8180 (line 83)", overlay: false, line: 403),
                CatalogEntry(catalogID: "dcos-1.8", component: "Default advertised port ranges (for Marathon health checks)", unit: nil, edition: .open, transport: .tcp, ports: 8182...32000, roles: ["dcos-agent"], scope: .any, destinations: [], relation: nil, notes: "Ports Mesos agents offer to tasks (Marathon apps and their health checks), not a DC/OS unit. The six ranges are kept exactly as written: their holes (2181, 3888, 5050-5051, 8080-8081, 8181) are not filled, so a task on an agent serving one of those ports is not matched by this entry.", source: "DC/OS 1.8 Ports: Agent / TCP / 8182-32000 (line 84)", overlay: false, line: 410),
            ],
            origin: "builtin:dcos-1.8"),
        "dynatrace-managed": Catalog(
            id: "dynatrace-managed", title: "Dynatrace Managed cluster node ports",
            documentName: "Dynatrace Managed cluster node ports", documentVersion: "not stated",
            documentFile: "003_d3af4cb53dcf4eca.txt",
            roles: [(name: "dynatrace-node", description: "Dynatrace Managed cluster node (every node serves every port of this page).")],
            decisions: [
                "Scope cluster only where the document says the port \"can be closed to traffic coming from outside the Dynatrace cluster\" (8018, 8020-8021, 8022, 5701-5711, Cassandra, Elasticsearch); scope any elsewhere.",
                "8443 is scope any: each machine with OneAgent must reach it, and footnote 1 says environments from before 1.166 (and upgraded ones) still use it from outside. Footnote 1 also says new environments need not expose it; on such a cluster, set it to cluster in your own catalog.",
                "8019 (Upgrade UI) is scope any: its row has no note, and the \"These ports can be closed\" note follows the 8020, 8021 row, so it is not read as covering 8019.",
                "8020, 8021 is one row and one range entry 8020-8021. 9042, 7000, 7001, 7199 and 9200, 9300 are rows of several single ports: one entry per port, all citing their row.",
                "443 is redirected by an iptables PREROUTING rule to local port 8022 (relation on both entries); a capture on the node may show either port.",
                "The Mission Control connection is outbound (the node connects to TCP 443 of mcsvc.dynatrace.com or 52.5.224.56, 52.200.165.10, 52.221.165.63, 13.228.109.33); it is not a port the node serves.",
                "Dynatrace Managed has no open/enterprise split: every component is edition open (available in every edition).",
            ],
            components: [
                CatalogComponent(name: "Dynatrace Managed UI, OneAgent and REST API", unit: nil, edition: .open, notes: "Served by NGINX on 8022 behind an iptables redirect from 443."),
                CatalogComponent(name: "Monitoring data from OneAgent, nodes within Dynatrace Managed cluster", unit: nil, edition: .open, notes: "\"Used by\" column of the 8443 row, kept as written."),
                CatalogComponent(name: "Nodekeeper", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Upgrade UI", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Dynatrace Managed UI and REST API", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Dynatrace Managed UI and REST API (NGINX)", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Hazelcast In-memory data grid platform", unit: nil, edition: .open, notes: "Responsible for data being evenly distributed among the cluster nodes."),
                CatalogComponent(name: "Cassandra-based Hypercube storage", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Elasticsearch-based search engine", unit: nil, edition: .open, notes: nil),
                CatalogComponent(name: "Dynatrace Mission Control", unit: nil, edition: .open, notes: "Mandatory management connection (license validation, health monitoring, automatic updates) and basic health checks."),
            ],
            entries: [
                CatalogEntry(catalogID: "dynatrace-managed", component: "Dynatrace Managed UI, OneAgent and REST API", unit: nil, edition: .open, transport: .tcp, ports: 443...443, roles: ["dynatrace-node"], scope: .any, destinations: [], relation: "Routed to local port 8022 using an iptables prerouting rule.", notes: "Must remain open to allow incoming traffic from your data center; all Dynatrace communication to the cluster is HTTPS.", source: "Dynatrace Managed cluster node ports: Incoming ports / 443", overlay: false, line: 48),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Monitoring data from OneAgent, nodes within Dynatrace Managed cluster", unit: nil, edition: .open, transport: .tcp, ports: 8443...8443, roles: ["dynatrace-node"], scope: .any, destinations: [], relation: nil, notes: "Each monitored machine with OneAgent must access this port; it must remain open between nodes. Footnote 1: environments with a cluster version earlier than 1.166 use 8443; new environments still use it but need not expose it outside the cluster nodes; upgraded environments keep their port settings. Decision: scope any, because OneAgents outside the cluster legitimately reach it on older and upgraded clusters (set cluster in your own catalog for a new 1.166+ cluster).", source: "Dynatrace Managed cluster node ports: Incoming ports / 8443 (footnote 1)", overlay: false, line: 56),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Nodekeeper", unit: nil, edition: .open, transport: .tcp, ports: 8018...8018, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.", source: "Dynatrace Managed cluster node ports: Incoming ports / 8018", overlay: false, line: 68),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Upgrade UI", unit: nil, edition: .open, transport: .tcp, ports: 8019...8019, roles: ["dynatrace-node"], scope: .any, destinations: [], relation: nil, notes: "The row has no note. Decision: scope any, since the document does not say this port can be closed to outside traffic (the note after the next row speaks of 8020 and 8021).", source: "Dynatrace Managed cluster node ports: Incoming ports / 8019", overlay: false, line: 75),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Dynatrace Managed UI and REST API", unit: nil, edition: .open, transport: .tcp, ports: 8020...8021, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "These ports can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.", source: "Dynatrace Managed cluster node ports: Incoming ports / 8020, 8021", overlay: false, line: 84),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Dynatrace Managed UI and REST API (NGINX)", unit: nil, edition: .open, transport: .tcp, ports: 8022...8022, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: "Target of the iptables redirect from 443; can be used as an equivalent to 443 where a non-privileged port is required.", notes: "Can be closed to traffic coming from outside the Dynatrace cluster. Traffic that arrived on 443 from outside is seen on 8022 after the redirect only inside the node, not on the wire.", source: "Dynatrace Managed cluster node ports: Incoming ports / 8022", overlay: false, line: 91),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Hazelcast In-memory data grid platform", unit: nil, edition: .open, transport: .tcp, ports: 5701...5711, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "These ports can be closed to traffic coming from outside the Dynatrace cluster; only cluster nodes need access.", source: "Dynatrace Managed cluster node ports: Incoming ports / 5701-5711", overlay: false, line: 101),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Cassandra-based Hypercube storage", unit: nil, edition: .open, transport: .tcp, ports: 9042...9042, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Cassandra native protocol (CQL). Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9042, 7000, 7001, 7199", overlay: false, line: 108),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Cassandra-based Hypercube storage", unit: nil, edition: .open, transport: .tcp, ports: 7000...7000, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Cassandra inter-node. Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9042, 7000, 7001, 7199", overlay: false, line: 115),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Cassandra-based Hypercube storage", unit: nil, edition: .open, transport: .tcp, ports: 7001...7001, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Cassandra inter-node (TLS). Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9042, 7000, 7001, 7199", overlay: false, line: 122),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Cassandra-based Hypercube storage", unit: nil, edition: .open, transport: .tcp, ports: 7199...7199, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Cassandra JMX. Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9042, 7000, 7001, 7199", overlay: false, line: 129),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Elasticsearch-based search engine", unit: nil, edition: .open, transport: .tcp, ports: 9200...9200, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Elasticsearch HTTP. Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9200, 9300", overlay: false, line: 136),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Elasticsearch-based search engine", unit: nil, edition: .open, transport: .tcp, ports: 9300...9300, roles: ["dynatrace-node"], scope: .cluster, destinations: [], relation: nil, notes: "Elasticsearch transport (inter-node). Can be closed to traffic coming from outside the Dynatrace cluster.", source: "Dynatrace Managed cluster node ports: Incoming ports / 9200, 9300", overlay: false, line: 143),
                CatalogEntry(catalogID: "dynatrace-managed", component: "Dynatrace Mission Control", unit: nil, edition: .open, transport: .tcp, ports: 443...443, roles: ["dynatrace-node"], scope: .outbound, destinations: ["mcsvc.dynatrace.com", "52.5.224.56", "52.200.165.10", "52.221.165.63", "13.228.109.33"], relation: nil, notes: "Each node connects out over HTTPS (TLS v1.2). May be routed via a proxy, which must allow web sockets and support the SNI TLS extension; through a proxy the destination is the proxy.", source: "Dynatrace Managed cluster node ports: Outbound communication to Dynatrace Mission Control", overlay: false, line: 150),
            ],
            origin: "builtin:dynatrace-managed"),
    ]
}
