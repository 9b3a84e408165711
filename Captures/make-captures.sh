#!/usr/bin/env bash
# Build Portolan's test captures from real traffic between network namespaces.
#
#   sudo Captures/make-captures.sh            (Debian 12; run as root; about 2 min; every capture)
#   sudo Captures/make-captures.sh expected   (only recompute the expected files from the captures)
#   sudo Captures/make-captures.sh issue11-seq  (only issue11/retransmit, zero-window, gap: the T, G, W
#                                                letters; the other captures are left as they are)
#   sudo Captures/make-captures.sh issue11    (only the captures in issue11/; issue11-expected: only
#                                              recompute their expected files)
#
# Packages it uses (installed below when missing):
#   apt-get install -y --no-install-recommends tcpdump tshark iproute2 iptables nftables ethtool \
#       socat ncat nginx-light dnsmasq-base curl dnsutils openssl python3
#
# SAFETY: every packet stays inside the namespaces this script creates. The bridge lives in its own
# namespace (pt-sw) with only our veths attached; no namespace has a default route; the "outside"
# host and the fake Mission Control address exist only on that bridge; the VLAN hosts hang off two
# userspace switch namespaces joined by a veth trunk; the issue-11 router (pt-rt) forwards only
# between the bridge and master-3's namespace (pt-s1), reached by specific routes to 10.10.2.0/24 and
# fd00:10:2::/64. Nothing is added to the host's own network namespace. Everything is removed on
# exit (trap EXIT).
#
# Output (next to this script; the issue-11 captures in issue11/): NAME.pcap / NAME.pcapng,
# NAME.inventory.yaml, NAME.expected.tsv
# (the counts come from the capture through expected-counts.py; the verdicts from NAME.flows.tsv,
# which is reasoned by hand from the seed documents — see README.md).
set -euo pipefail
[[ $(id -u) == 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }

PKGS=(tcpdump tshark iproute2 iptables nftables ethtool socat ncat nginx-light dnsmasq-base curl dnsutils openssl python3)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORACLE=$HERE/expected-counts.py
OUT=${PORTOLAN_CAPTURES_OUT:-$HERE}
WORK=/tmp/portolan-captures
NS_ALL=(pt-sw pt-m1 pt-m2 pt-a1 pt-a2 pt-d1 pt-d2 pt-out pt-mc pt-vs1 pt-vs2 pt-va1 pt-va2 pt-vb1 pt-vb2 pt-rt pt-s1)
HOSTS=(m1 m2 a1 a2 d1 d2 out mc)
declare -A V4=([m1]=10.10.0.11 [m2]=10.10.0.12 [a1]=10.10.0.21 [a2]=10.10.0.22
               [d1]=10.10.0.31 [d2]=10.10.0.32 [out]=198.51.100.7 [mc]=52.5.224.56)
declare -A P4=([m1]=24 [m2]=24 [a1]=24 [a2]=24 [d1]=24 [d2]=24 [out]=24 [mc]=32)
declare -A V6=([m1]=fd00:10::11 [m2]=fd00:10::12 [a1]=fd00:10::21 [a2]=fd00:10::22
               [d1]=fd00:10::31 [d2]=fd00:10::32 [out]=2001:db8:51::7)
declare -A MAC=([m1]=02:00:0a:0a:00:0b [m2]=02:00:0a:0a:00:0c [a1]=02:00:0a:0a:00:15
                [a2]=02:00:0a:0a:00:16 [d1]=02:00:0a:0a:00:1f [d2]=02:00:0a:0a:00:20
                [out]=02:00:c6:33:64:07 [mc]=02:00:34:05:e0:38)

CAP_PID=
BG_PIDS=()
CAPS=()
CAPLOGS=()
DEST=$OUT

log() { printf '== %s\n' "$*" >&2; }
nsx() { local h=$1; shift; ip netns exec "pt-$h" "$@"; }

cleanup() {
    set +e
    [[ -n $CAP_PID ]] && kill -INT "$CAP_PID" 2>/dev/null
    for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for h in "${HOSTS[@]}"; do
        [[ -f $WORK/$h/nginx.pid ]] && kill "$(cat "$WORK/$h/nginx.pid")" 2>/dev/null
        for f in "$WORK/$h"/dnsmasq*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null; done
    done
    sleep 0.3
    # any process still inside one of our namespaces was started by this script
    for ns in "${NS_ALL[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Topology: namespace pt-sw holds bridge br0; every host namespace has eth0 (a veth) on it.
# ---------------------------------------------------------------------------------------------
build_topology() {
    cleanup; set -e
    rm -rf "$WORK"; mkdir -p "$WORK"
    ip netns add pt-sw
    ip -n pt-sw link set lo up
    ip netns exec pt-sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n pt-sw link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n pt-sw link set br0 address 02:00:00:00:00:fe
    for h in "${HOSTS[@]}"; do
        ip netns add "pt-$h"
        nsx "$h" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
        ip -n pt-sw link add "v-$h" type veth peer name eth0 netns "pt-$h"
        ip -n pt-sw link set "v-$h" master br0
        ip netns exec pt-sw ethtool -K "v-$h" tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "pt-$h" link set lo up
        ip -n "pt-$h" link set eth0 address "${MAC[$h]}" addrgenmode none
        # real checksums on the wire and one segment per send, as a NIC without offloads shows
        nsx "$h" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "pt-$h" addr add "${V4[$h]}/${P4[$h]}" dev eth0
        [[ -n ${V6[$h]:-} ]] && ip -n "pt-$h" addr add "${V6[$h]}/64" dev eth0 nodad
        ip -n pt-sw link set "v-$h" up
        ip -n "pt-$h" link set eth0 up
        # On-link routes only (one L2 segment); deliberately NO default route anywhere.
        case $h in
            out) ip -n pt-out route add 10.10.0.0/24 dev eth0
                 ip -n pt-out -6 route add fd00:10::/64 dev eth0 ;;
            mc)  ip -n pt-mc route add 10.10.0.0/24 dev eth0 ;;
            *)   ip -n "pt-$h" route add 198.51.100.0/24 dev eth0
                 ip -n "pt-$h" route add 52.5.224.56/32 dev eth0
                 ip -n "pt-$h" -6 route add 2001:db8:51::/64 dev eth0 ;;
        esac
    done
    ip -n pt-sw link set br0 up
}

# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------
write_helpers() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=portolan-test" -addext "subjectAltName=DNS:mcsvc.dynatrace.com,DNS:master.mesos,DNS:dynatrace.local" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

    # responder.sh MODE WORD: answer one request on stdin/stdout (socat EXEC child).
    #   http: read the request head up to the empty line, answer HTTP/1.0 200 with WORD, exit (FIN)
    #   line: read one line, answer WORD, exit
    #   hold: like http, then keep the connection open for 4 s (the client closes first)
    cat >"$WORK/responder.sh" <<'EOF'
#!/bin/sh
mode=$1; word=$2
while IFS= read -r l; do
    l=$(printf '%s' "$l" | tr -d '\r')
    [ "$mode" = line ] && break
    [ -z "$l" ] && break
done
if [ "$mode" = line ]; then printf '%s\n' "$word"; exit 0; fi
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s\n' $((${#word} + 1)) "$word"
[ "$mode" = hold ] && sleep 4
exit 0
EOF
    chmod +x "$WORK/responder.sh"

    # udpecho.py PORT: answer every datagram (v4 and v6) with "echo:" + payload
    cat >"$WORK/udpecho.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"echo:" + data, peer)
EOF

    # rstserver.py PORT: answer an HTTP request, then abort the connection (SO_LINGER 0 -> RST)
    cat >"$WORK/rstserver.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d: break
        buf += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ncosmos ok")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
EOF

    # abortclient.py HOST PORT: send a request, read the answer, then abort (RST)
    cat >"$WORK/abortclient.py" <<'EOF'
import socket, struct, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
c.sendall(b"GET /v2/apps HTTP/1.0\r\nHost: marathon\r\n\r\n")
time.sleep(0.3)
c.recv(4096)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
EOF

    # session.py server PORT | client HOST PORT: a long-lived session (ZooKeeper/Hazelcast-like).
    # The server pushes a heartbeat every 0.4 s and the client only ever answers one, so the first
    # frame of a capture started mid-session is (all but certainly) server -> client.
    cat >"$WORK/session.py" <<'EOF'
import socket, sys, time
if sys.argv[1] == "server":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(1)
    c, _ = s.accept()
    n = 0
    while True:
        n += 1
        c.sendall(b"heartbeat %d\n" % n)
        if not c.recv(1024):
            break
        time.sleep(0.4)
else:
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])))
    while True:
        d = c.recv(1024)
        if not d:
            break
        c.sendall(b"ack\n")
EOF
}

write_tagger() {
    # tagger.py TRUNK ACCESS=TPID/VID[,TPID/VID] ...: a tiny userspace VLAN switch (the kernel here
    # has no 8021q module and no tc vlan action). A frame from an access port gets that port's tag
    # stack pushed (outer tag first) and goes out on the trunk; a frame from the trunk whose stack
    # matches an access port is popped and delivered there. The kernel moves the outer tag of a
    # received frame into metadata; PACKET_AUXDATA gives it back.
    cat >"$WORK/tagger.py" <<'EOF'
import select, socket, struct, sys
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
def open_port(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((name, 0))
    return s
def receive(s):
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(64))
    if addr[2] == socket.PACKET_OUTGOING:
        return None
    for level, kind, c in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(c) >= 20:
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", c[:20])
            if status & TP_STATUS_VLAN_VALID:
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data
trunk = open_port(sys.argv[1])
access = {}
for spec in sys.argv[2:]:
    name, tags = spec.split("=")
    stack = b"".join(struct.pack("!HH", int(t.split("/")[0], 16), int(t.split("/")[1])) for t in tags.split(","))
    access[name] = (open_port(name), stack)
stack_of = {p.fileno(): st for p, st in access.values()}
while True:
    ready, _, _ = select.select([trunk] + [p for p, _ in access.values()], [], [])
    for s in ready:
        frame = receive(s)
        if not frame:
            continue
        if s is trunk:
            for p, st in access.values():
                if frame[12:12 + len(st)] == st:
                    p.send(frame[:12] + frame[12 + len(st):])
                    break
        else:
            trunk.send(frame[:12] + stack_of[s.fileno()] + frame[12:])
EOF
}

# bg HOST CMD...: start a server inside a namespace, remember its pid
bg() { local h=$1; shift; ip netns exec "pt-$h" "$@" >/dev/null 2>&1 & BG_PIDS+=($!); }
tcp_responder() { bg "$1" socat "TCP-LISTEN:$2,pf=ip6,ipv6only=0,reuseaddr,fork" "EXEC:$WORK/responder.sh $3 $4"; }

start_nginx() { # HOST "listen lines" WORD
    local h=$1 listens=$2 word=$3 d=$WORK/$1
    mkdir -p "$d/tmp"
    cat >"$d/nginx.conf" <<EOF
daemon on; worker_processes 1; pid $d/nginx.pid; error_log $d/error.log;
events { worker_connections 64; }
http {
    access_log off; client_body_temp_path $d/tmp; proxy_temp_path $d/tmp;
    fastcgi_temp_path $d/tmp; uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    server { $listens  location / { default_type text/plain; return 200 "$word\n"; } }
}
EOF
    nsx "$h" nginx -c "$d/nginx.conf" -p "$d"
}

start_dnsmasq() { # HOST PORT
    local h=$1 port=$2
    mkdir -p "$WORK/$h"
    nsx "$h" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="${V4[$h]}" --listen-address="${V6[$h]}" --port="$port" \
        --pid-file="$WORK/$h/dnsmasq-$port.pid" --user=root --group=root \
        --host-record=leader.mesos,10.10.0.11,fd00:10::11 \
        --host-record=master.mesos,10.10.0.11 --host-record=marathon.mesos,10.10.0.12 \
        --txt-record=_portolan.mesos,"portolan test zone"
}

start_servers() {
    # DC/OS masters: Admin Router (nginx 80/443), DNS Dispatcher (dnsmasq 53), Mesos DNS (61053 on m1)
    for h in m1 m2; do
        start_nginx "$h" "listen 80; listen [::]:80; listen 443 ssl; listen [::]:443 ssl;" "adminrouter-$h"
        start_dnsmasq "$h" 53
    done
    start_dnsmasq m1 61053
    tcp_responder m1 5050 http mesos-master-state
    tcp_responder m1 8080 hold marathon-apps          # the RSTO flow: client aborts first
    tcp_responder m2 8080 http marathon-apps
    tcp_responder m2 2181 line imok                   # ZooKeeper four-letter word
    tcp_responder m2 9200 http elasticsearch-on-a-master   # wrong-role
    tcp_responder m2 25 line 220-mail                 # unexpected-port (SMTP)
    tcp_responder m2 6379 line PONG                   # wrong-role (agent task-port range)
    bg m2 python3 "$WORK/rstserver.py" 7070           # the RSTR flow: server aborts
    bg m1 python3 "$WORK/udpecho.py" 9999             # unexpected UDP port, answered
    # DC/OS agents: Mesos Agent 5051, Admin Router Agent 61001; a1 also serves 5050 (wrong-role)
    for h in a1 a2; do tcp_responder "$h" 5051 http mesos-agent-state; done
    tcp_responder a2 10101 http task-healthy          # a Marathon task's advertised port
    tcp_responder a1 61001 http adminrouter-agent
    tcp_responder a1 5050 http mesos-master-on-an-agent
    # Dynatrace nodes: NGINX 8022 (TLS), 443 redirected to 8022 by a PREROUTING rule (as the
    # Dynatrace document says), Hazelcast, Cassandra, Elasticsearch, Nodekeeper, 8443
    for h in d1 d2; do
        start_nginx "$h" "listen 8022 ssl; listen [::]:8022 ssl;" "dynatrace-ui-$h"
        nsx "$h" iptables -t nat -A PREROUTING -p tcp --dport 443 -j REDIRECT --to-ports 8022
        nsx "$h" ip6tables -t nat -A PREROUTING -p tcp --dport 443 -j REDIRECT --to-ports 8022
        tcp_responder "$h" 9042 line cassandra-ready
        tcp_responder "$h" 9300 line es-transport
        tcp_responder "$h" 7001 line cassandra-gossip
    done
    tcp_responder d2 5701 line hazelcast-member
    tcp_responder d2 9200 http elasticsearch
    tcp_responder d2 8443 http oneagent-ack
    tcp_responder d2 8018 http nodekeeper
    # Mission Control (fake, address only inside the bridge)
    start_nginx mc "listen 443 ssl;" "mission-control-ok"
    sleep 1
}

# ---------------------------------------------------------------------------------------------
# Capture helpers
# ---------------------------------------------------------------------------------------------
cap_start() { # NAME HOST IFACE [tcpdump args...]
    local name=$1 h=$2 ifc=$3; shift 3
    rm -f "$WORK/$name.raw"
    ip netns exec "pt-$h" tcpdump -Z root -n -U -s 262144 -i "$ifc" "$@" -w "$WORK/$name.raw" \
        2>"$WORK/$name.tcpdump.log" &
    CAP_PID=$!
    for _ in $(seq 100); do grep -q 'listening on' "$WORK/$name.tcpdump.log" 2>/dev/null && break; sleep 0.05; done
    sleep 0.5
}
cap_stop() {
    sleep 0.8
    kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=
}
step() { sleep 0.25; }
C() { nsx "$@" || true; }   # a client; failures (resets, timeouts) are the point of some flows

http()  { C "$1" curl -s -o /dev/null --connect-timeout "${3:-3}" --max-time 5 "$2"; step; }
https() { C "$1" curl -sk -o /dev/null --connect-timeout 3 --max-time 5 "$2"; step; }
line()  { printf '%s\n' "$4" | C "$1" socat -t 2 - "TCP:$2:$3" >/dev/null; step; }
dig_()  { local h=$1; shift; C "$h" dig +tries=1 +timeout=1 "$@" >/dev/null; step; }   # HOST then dig args

# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------
scenario_dcos() {
    log "dcos-cluster: DC/OS masters and agents (Ethernet, pcap, microseconds)"
    cap_start dcos-cluster sw br0
    http a1 http://10.10.0.11:5050/master/state                 # Mesos Master
    http a2 http://10.10.0.12:8080/v2/apps                      # Marathon
    http a1 http://10.10.0.11/                                  # Admin Router 80
    https out https://10.10.0.12/                               # Admin Router 443 from outside
    line m1 10.10.0.12 2181 ruok                                # ZooKeeper
    dig_ a1 @10.10.0.11 leader.mesos A                          # DNS Dispatcher UDP 53
    dig_ a2 +tcp @10.10.0.12 master.mesos A                     # DNS Dispatcher TCP 53
    dig_ a2 -p 61053 @10.10.0.11 leader.mesos A                 # Mesos DNS UDP 61053
    http m1 http://10.10.0.22:5051/state                        # Mesos Agent
    http m1 http://10.10.0.22:10101/health                      # Marathon health check of a task port
    http m1 http://10.10.0.21:5050/master/state                 # wrong-role: 5050 on an agent
    http a2 http://10.10.0.12:9200/                             # wrong-role: 9200 on a master
    line a1 10.10.0.12 25 'EHLO portolan'                       # unexpected-port TCP 25
    C a1 socat -t 1 - UDP:10.10.0.11:9999 <<<"hello" >/dev/null; step   # unexpected-port UDP 9999
    line m1 10.10.0.12 6379 PING                                # wrong-role: agent task-port range
    http a2 'http://[fd00:10::11]/'                             # IPv6 Admin Router 80
    http a1 'http://[fd00:10::12]:8080/v2/apps'                 # IPv6 Marathon
    dig_ a1 @fd00:10::11 leader.mesos AAAA                      # IPv6 DNS Dispatcher UDP 53
    C a2 python3 "$WORK/abortclient.py" 10.10.0.11 8080; step   # RSTO: client aborts
    http a1 http://10.10.0.12:7070/package/list                 # RSTR: server aborts
    cap_stop
    cp "$WORK/dcos-cluster.raw" "$DEST/dcos-cluster.pcap"
}

scenario_dynatrace() {
    log "dynatrace-cluster: Dynatrace Managed nodes (Ethernet, pcapng, nanoseconds)"
    # a second tcpdump on the same bridge keeps only 96 bytes of each frame: same flows, same
    # original lengths, truncated payloads (and TLS records)
    ip netns exec pt-sw tcpdump -Z root -n -U -s 96 -i br0 -w "$WORK/dynatrace-snaplen96.raw" \
        2>"$WORK/dynatrace-snaplen96.tcpdump.log" &
    local snap_pid=$!
    for _ in $(seq 100); do grep -q 'listening on' "$WORK/dynatrace-snaplen96.tcpdump.log" 2>/dev/null && break; sleep 0.05; done
    cap_start dynatrace-cluster sw br0 --time-stamp-precision=nano
    line d1 10.10.0.32 5701 hz-join                             # Hazelcast
    line d2 10.10.0.31 9042 OPTIONS                             # Cassandra CQL
    http d1 http://10.10.0.32:9200/_cluster/health              # Elasticsearch
    line d2 '[fd00:10::31]' 9300 es-handshake                      # Elasticsearch transport, IPv6
    line d1 10.10.0.32 7001 gossip                              # Cassandra inter-node
    http d1 http://10.10.0.32:8443/communication                # 8443 between nodes
    http d1 http://10.10.0.32:8018/nodekeeper/health            # Nodekeeper
    https d2 https://10.10.0.31:8022/rest/health                # NGINX 8022 between nodes
    C d1 curl -sk -o /dev/null --tls-max 1.2 --max-time 5 \
        --resolve mcsvc.dynatrace.com:443:52.5.224.56 https://mcsvc.dynatrace.com/health; step  # Mission Control
    C d2 curl -sk -o /dev/null --tls-max 1.2 --max-time 5 \
        --resolve mcsvc.dynatrace.com:443:52.5.224.56 https://mcsvc.dynatrace.com/health; step
    https out https://10.10.0.31/                               # UI from the data center (443 -> 8022)
    https out 'https://[fd00:10::32]/'                          # same over IPv6
    line out 10.10.0.32 5701 hz-probe                           # outside-to-internal Hazelcast
    line out 10.10.0.32 9042 OPTIONS                            # outside-to-internal Cassandra
    cap_stop
    kill -INT "$snap_pid"; wait "$snap_pid" || true
    editcap -F pcapng "$WORK/dynatrace-cluster.raw" "$DEST/dynatrace-cluster.pcapng"
    cp "$WORK/dynatrace-snaplen96.raw" "$DEST/dynatrace-snaplen96.pcap"
}

firewall_on() {
    nsx m1 iptables  -A INPUT -p tcp --dport 8123 -j DROP
    nsx m1 iptables  -A INPUT -p tcp --dport 7070 -j REJECT --reject-with tcp-reset
    nsx m1 iptables  -A INPUT -p tcp --dport 22   -j DROP
    nsx m1 iptables  -A INPUT -p udp --dport 53   -j REJECT --reject-with icmp-admin-prohibited
    nsx m1 ip6tables -A INPUT -p tcp --dport 8181 -j DROP
    nsx m1 ip6tables -A INPUT -p udp --dport 61053 -j REJECT --reject-with icmp6-port-unreachable
    nsx m2 iptables  -A INPUT -p tcp --dport 9090 -j REJECT --reject-with icmp-admin-prohibited
    nsx m2 iptables  -A INPUT -p tcp --dport 15055 -j REJECT --reject-with icmp-port-unreachable
    nsx m2 iptables  -A INPUT -p udp --dport 62053 -j REJECT --reject-with icmp-port-unreachable
    nsx m2 iptables  -A INPUT -p udp --dport 53   -j DROP
    nsx m2 ip6tables -A INPUT -p tcp --dport 5050 -j REJECT --reject-with icmp6-adm-prohibited
    # the Dynatrace nodes use nftables directly
    nsx d1 nft -f - <<'EOF'
table inet portolan {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 9200 reject with tcp reset
        udp dport 9999 drop
    }
}
EOF
    nsx d2 nft -f - <<'EOF'
table inet portolan {
    chain input {
        type filter hook input priority 0; policy accept;
        ip saddr 198.51.100.0/24 tcp dport 7199 drop
        ip saddr 198.51.100.0/24 tcp dport 8021 reject with icmpx admin-prohibited
    }
}
EOF
}
firewall_off() {
    for h in m1 m2; do nsx "$h" iptables -F INPUT; nsx "$h" ip6tables -F INPUT; done
    for h in d1 d2; do nsx "$h" nft delete table inet portolan; done
}

scenario_blocked() {
    log "blocked: DROP, REJECT tcp-reset, ICMP unreachable, closed ports (Ethernet, pcap)"
    firewall_on
    cap_start blocked sw br0
    http a1 http://10.10.0.11:5050/master/state                 # expected, for contrast
    http a1 http://10.10.0.11:8123/v1/version 2.5               # DROP -> blocked-drop
    http a1 http://10.10.0.11:7070/package/list                 # REJECT tcp-reset -> blocked-rst
    http a2 http://10.10.0.12:9090/v1/jobs                      # icmp-admin-prohibited (TCP)
    http a1 http://10.10.0.12:15055/history/last                # icmp-port-unreachable (TCP)
    http a2 http://10.10.0.11:1050/system/health/v1             # no listener -> kernel RST
    dig_ a1 @10.10.0.11 leader.mesos A                          # icmp-admin-prohibited (UDP)
    dig_ a2 -p 62053 @10.10.0.12 leader.mesos A                 # icmp-port-unreachable (UDP)
    dig_ a2 -p 61053 @10.10.0.12 leader.mesos A                 # no listener -> kernel ICMP port unreachable
    dig_ a1 @10.10.0.12 leader.mesos A                          # UDP DROP -> blocked-drop
    C a1 timeout 2.5 nc -z -w 2 10.10.0.11 22; step             # DROP on an unlisted port
    http a1 'http://[fd00:10::11]:8181/exhibitor/v1/cluster/status' 2.5   # IPv6 DROP
    http a2 'http://[fd00:10::12]:5050/master/state'            # ICMPv6 admin prohibited
    dig_ a2 -p 61053 @fd00:10::11 leader.mesos AAAA             # ICMPv6 port unreachable (UDP)
    http out http://10.10.0.31:9200/                            # outside + RST (nftables)
    C out timeout 2.5 nc -z -w 2 10.10.0.32 7199; step          # outside + DROP (nftables)
    http out http://10.10.0.32:8021/rest/health 2               # outside + icmpx admin-prohibited
    (echo datagram-1; sleep 0.3; echo datagram-2) | C a2 ncat -u --send-only 10.10.0.31 9999; step  # UDP DROP, unlisted port
    cap_stop
    firewall_off
    cp "$WORK/blocked.raw" "$DEST/blocked.pcap"
}

scenario_vxlan() {
    log "vxlan-overlay: VXLAN on UDP 64000 between the agents (Ethernet, pcap)"
    # Virtual Networks (dcos-navstar) use VXLAN on UDP 64000. The source port is pinned to 64000
    # too (srcport 64000 64001), so the tunnel is one bidirectional outer UDP flow.
    for h in a1 a2; do
        local peer=a2 n=21; [[ $h == a2 ]] && { peer=a1; n=22; }
        nsx "$h" ip link add vtep1024 type vxlan id 1024 dstport 64000 srcport 64000 64001 \
            local "${V4[$h]}" remote "${V4[$peer]}" dev eth0 nolearning
        nsx "$h" ip link set vtep1024 address "02:00:0a:0a:40:$n" addrgenmode none mtu 1420
        nsx "$h" ethtool -K vtep1024 tx off tso off gso off gro off >/dev/null 2>&1 || true
        nsx "$h" ip addr add "10.10.64.$n/24" dev vtep1024
        nsx "$h" ip link set vtep1024 up
    done
    # static neighbours on the overlay, as navstar programs them: no ARP inside the tunnel
    nsx a1 ip neigh replace 10.10.64.22 lladdr 02:00:0a:0a:40:22 dev vtep1024 nud permanent
    nsx a2 ip neigh replace 10.10.64.21 lladdr 02:00:0a:0a:40:21 dev vtep1024 nud permanent
    local vb=()
    vb+=("$(ip netns exec pt-a2 socat TCP-LISTEN:10100,reuseaddr,fork "EXEC:$WORK/responder.sh http marathon-task" >/dev/null 2>&1 & echo $!)")
    vb+=("$(ip netns exec pt-a1 socat TCP-LISTEN:6379,reuseaddr,fork "EXEC:$WORK/responder.sh line PONG" >/dev/null 2>&1 & echo $!)")
    BG_PIDS+=("${vb[@]}")
    sleep 0.5
    cap_start vxlan-overlay sw br0
    http a1 http://10.10.64.22:10100/health                     # inside the tunnel: task port
    line a2 10.10.64.21 6379 PING                               # inside the tunnel: redis task
    http a1 http://10.10.0.22:5051/state                        # plain (not tunnelled) for contrast
    cap_stop
    kill "${vb[@]}" 2>/dev/null || true
    for h in a1 a2; do nsx "$h" ip link del vtep1024; done
    cp "$WORK/vxlan-overlay.raw" "$DEST/vxlan-overlay.pcap"
}

scenario_midstream() {
    log "midstream: capture starts after two long-lived connections were opened"
    local sp=()
    sp+=("$(ip netns exec pt-m1 python3 "$WORK/session.py" server 2181 >/dev/null 2>&1 & echo $!)")
    sp+=("$(ip netns exec pt-d1 python3 "$WORK/session.py" server 5701 >/dev/null 2>&1 & echo $!)")
    BG_PIDS+=("${sp[@]}")
    sleep 0.5
    sp+=("$(ip netns exec pt-m2 python3 "$WORK/session.py" client 10.10.0.11 2181 >/dev/null 2>&1 & echo $!)")
    sp+=("$(ip netns exec pt-d2 python3 "$WORK/session.py" client 10.10.0.31 5701 >/dev/null 2>&1 & echo $!)")
    BG_PIDS+=("${sp[@]}")
    sleep 1.2                                                   # handshakes happen now, uncaptured
    cap_start midstream sw br0 --time-stamp-precision=nano   # classic pcap, nanosecond magic
    sleep 1.0
    http a1 http://10.10.0.11:5050/master/state                 # a complete flow, for contrast
    sleep 1.0
    cap_stop                                                    # sessions still open: no FIN seen
    kill "${sp[@]}" 2>/dev/null || true
    cp "$WORK/midstream.raw" "$DEST/midstream.pcap"
}

scenario_sll2() {
    log "sll2-any: tcpdump -i any inside agent a1 (Linux cooked v2)"
    cap_start sll2-any a1 any -y LINUX_SLL2
    http a1 http://10.10.0.11:5050/master/state                 # Mesos Master
    dig_ a1 @10.10.0.11 leader.mesos A                          # DNS Dispatcher
    http m2 http://10.10.0.21:5051/state                        # a1 serves Mesos Agent
    http out http://10.10.0.21:61001/                           # Admin Router Agent from outside
    http a1 'http://[fd00:10::12]:8080/v2/apps'                 # IPv6 Marathon
    http a1 http://10.10.0.12:1050/system/health/v1             # no listener: kernel RST
    C a1 socat -t 1 - UDP:198.51.100.7:9999 <<<"hello" >/dev/null; step   # outside has no listener: ICMP
    cap_stop
    cp "$WORK/sll2-any.raw" "$DEST/sll2-any.pcap"
}

scenario_multi_if() {
    log "agent-two-interfaces: dumpcap -i eth0 -i lo inside agent a1 (pcapng, two interfaces)"
    rm -f "$WORK/agent-two-interfaces.pcapng"
    ip netns exec pt-a1 dumpcap -q -i eth0 -i lo -w "$WORK/agent-two-interfaces.pcapng" \
        2>"$WORK/agent-two-interfaces.dumpcap.log" &
    CAP_PID=$!
    for _ in $(seq 100); do [[ -s $WORK/agent-two-interfaces.pcapng ]] && break; sleep 0.05; done
    sleep 0.8
    http a1 http://10.10.0.11:5050/master/state                 # on eth0
    http a1 http://127.0.0.1:5051/state                         # on lo: the agent asks itself
    http a1 'http://[::1]:61001/'                               # on lo, IPv6
    http m2 http://10.10.0.21:5051/state                        # on eth0, a1 serves
    cap_stop
    cp "$WORK/agent-two-interfaces.pcapng" "$DEST/agent-two-interfaces.pcapng"
}

scenario_vlan() {
    log "vlan-trunk: 802.1Q VLAN 100 and 802.1ad QinQ 300/100 on a trunk (Ethernet, pcap)"
    # va1/va2 on VLAN 100 and vb1/vb2 on QinQ 300/100 reuse the SAME addresses (two tenants):
    # the same 5-tuple appears on both tag stacks and must stay two flows when VLANs are in the key.
    local ns pair sw host port addr mac
    for ns in pt-vs1 pt-vs2 pt-va1 pt-va2 pt-vb1 pt-vb2; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    for ns in pt-vs1 pt-vs2; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    ip -n pt-vs1 link add trk type veth peer name trk netns pt-vs2
    for pair in "pt-vs1 pt-va1 acc1 10.10.0.41 02:00:0a:0a:00:29" "pt-vs2 pt-va2 acc1 10.10.0.51 02:00:0a:0a:00:33" \
                "pt-vs1 pt-vb1 acc2 10.10.0.41 02:00:0a:0b:00:29" "pt-vs2 pt-vb2 acc2 10.10.0.51 02:00:0a:0b:00:33"; do
        read -r sw host port addr mac <<<"$pair"
        ip netns exec "$host" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$sw" link add "$port" type veth peer name eth0 netns "$host"
        ip -n "$host" link set eth0 address "$mac"
        ip netns exec "$host" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "$host" addr add "$addr/24" dev eth0
        ip -n "$host" link set eth0 up
        ip -n "$sw" link set "$port" up
    done
    for ns in pt-vs1 pt-vs2; do
        ip netns exec "$ns" ethtool -K trk tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "$ns" link set trk up
        ip netns exec "$ns" python3 "$WORK/tagger.py" trk acc1=8100/100 acc2=88a8/300,8100/100 >/dev/null 2>&1 &
        BG_PIDS+=($!)
    done
    ip netns exec pt-va2 socat TCP-LISTEN:5050,reuseaddr,fork "EXEC:$WORK/responder.sh http mesos-master-vlan100" >/dev/null 2>&1 & BG_PIDS+=($!)
    ip netns exec pt-vb2 socat TCP-LISTEN:5050,reuseaddr,fork "EXEC:$WORK/responder.sh http mesos-master-qinq" >/dev/null 2>&1 & BG_PIDS+=($!)
    ip netns exec pt-vb1 socat TCP-LISTEN:5051,reuseaddr,fork "EXEC:$WORK/responder.sh http mesos-agent-qinq" >/dev/null 2>&1 & BG_PIDS+=($!)
    mkdir -p "$WORK/va2"
    ip netns exec pt-va2 dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address=10.10.0.51 --port=53 --pid-file="$WORK/va2/dnsmasq-53.pid" --user=root --group=root \
        --host-record=leader.mesos,10.10.0.51
    sleep 0.7
    cap_start vlan-trunk vs1 trk
    # same addresses on both tag stacks, distinct client ports (41001, 41002): distinct 5-tuples
    C va1 curl -s -o /dev/null --local-port 41001 --max-time 5 http://10.10.0.51:5050/master/state; step
    C vb1 curl -s -o /dev/null --local-port 41002 --max-time 5 http://10.10.0.51:5050/master/state; step
    C va1 dig +tries=1 +timeout=1 @10.10.0.51 leader.mesos A >/dev/null; step
    C vb2 curl -s -o /dev/null --max-time 5 http://10.10.0.41:5051/state; step
    cap_stop
    cp "$WORK/vlan-trunk.raw" "$DEST/vlan-trunk.pcap"
    log "vlan-same-tuple: one 5-tuple on VLAN 100 and on QinQ 300/100"
    cap_start vlan-same-tuple vs1 trk
    # the same client port on both tag stacks: an identical 5-tuple in two VLAN contexts
    C va1 curl -s -o /dev/null --local-port 41000 --max-time 5 http://10.10.0.51:5050/master/state; step
    C vb1 curl -s -o /dev/null --local-port 41000 --max-time 5 http://10.10.0.51:5050/master/state; step
    cap_stop
    cp "$WORK/vlan-same-tuple.raw" "$DEST/vlan-same-tuple.pcap"
    kill "$(cat "$WORK/va2/dnsmasq-53.pid")" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Issue 11: rotated pieces, reused 5-tuples, IP fragments, PMTU messages, one-sided captures.
# These scenarios add a router namespace pt-rt (10.10.0.1 / fd00:10::1 on the bridge) and a
# server pt-s1 (master-3, 10.10.2.11 / fd00:10:2::11) behind it on a link whose router end has
# MTU 1280. The clients reach 10.10.2.0/24 and fd00:10:2::/64 through pt-rt by specific routes;
# still no default route anywhere, and every address is private or documentation space.
# ---------------------------------------------------------------------------------------------
ISSUE11=(rotated-m1 rotated-m2 reused-tuple fragments pmtu oneway-in oneway-out)

build_routed() {
    ip netns add pt-rt; ip netns add pt-s1
    for ns in pt-rt pt-s1; do
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
    done
    ip netns exec pt-rt sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    ip -n pt-sw link add v-rt type veth peer name eth0 netns pt-rt
    ip -n pt-sw link set v-rt master br0
    ip -n pt-rt link add eth1 type veth peer name eth0 netns pt-s1
    ip -n pt-rt link set eth0 address 02:00:0a:0a:00:01 addrgenmode none
    ip -n pt-rt link set eth1 address 02:00:0a:0a:02:01 addrgenmode none mtu 1280   # the MTU-1280 hop
    ip -n pt-s1 link set eth0 address 02:00:0a:0a:02:0b addrgenmode none
    for ifc in "pt-sw v-rt" "pt-rt eth0" "pt-rt eth1" "pt-s1 eth0"; do
        set -- $ifc; ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
    done
    ip -n pt-rt addr add 10.10.0.1/24 dev eth0;  ip -n pt-rt addr add fd00:10::1/64 dev eth0 nodad
    ip -n pt-rt addr add 10.10.2.1/24 dev eth1;  ip -n pt-rt addr add fd00:10:2::1/64 dev eth1 nodad
    ip -n pt-s1 addr add 10.10.2.11/24 dev eth0; ip -n pt-s1 addr add fd00:10:2::11/64 dev eth0 nodad
    # a forwarding router solicits neighbours from its link-local address (none without this)
    ip -n pt-rt addr add fe80::1/64 dev eth0 nodad; ip -n pt-rt addr add fe80::1/64 dev eth1 nodad
    ip -n pt-sw link set v-rt up
    ip -n pt-rt link set eth0 up; ip -n pt-rt link set eth1 up; ip -n pt-s1 link set eth0 up
    ip -n pt-s1 route add 10.10.0.0/24 via 10.10.2.1
    ip -n pt-s1 -6 route add fd00:10::/64 via fd00:10:2::1
    for h in a1 a2; do
        ip -n "pt-$h" route add 10.10.2.0/24 via 10.10.0.1
        ip -n "pt-$h" -6 route add fd00:10:2::/64 via fd00:10::1
    done
}

write_issue11_helpers() {
    # ticker.py server PORT | client HOST PORT N INTERVAL: a long-lived line session; the client
    # sends "tick i" every INTERVAL s, the server answers "tock i"; the client closes first.
    cat >"$WORK/ticker.py" <<'EOF'
import socket, sys, time
if sys.argv[1] == "server":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(1)
    c, _ = s.accept()
    while True:
        d = c.recv(1024)
        if not d:
            break
        c.sendall(d.replace(b"tick", b"tock"))
    c.close()
else:
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])))
    for i in range(1, int(sys.argv[4]) + 1):
        c.sendall(b"tick %d\n" % i)
        c.recv(1024)
        time.sleep(float(sys.argv[5]))
    c.close()
EOF
    # reopen.py PORT GAP: serve one HTTP request, close the listening socket for GAP s, then
    # listen again and serve one more (a restarted service)
    cat >"$WORK/reopen.py" <<'EOF'
import socket, sys, time
def serve_one(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(1)
    c, _ = s.accept()
    s.close()                        # no listener from here on: a SYN now gets a RST
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d: break
        buf += d
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 14\r\n\r\nmarathon-apps\n")
    while c.recv(4096):              # the client closes first (its FIN), then we close
        pass
    c.close()
port, gap = int(sys.argv[1]), float(sys.argv[2])
serve_one(port)
time.sleep(gap)
serve_one(port)
EOF
    # reuse.py HOST PORT SPORT DELAY...: connect from the same source port SPORT (SO_REUSEADDR)
    # once per DELAY (seconds after start); each connection sends one HTTP request, reads the
    # answer and closes first. A refused connection (RST) is reported and the next one follows.
    cat >"$WORK/reuse.py" <<'EOF'
import socket, struct, sys, time
host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.time()
for delay in map(float, sys.argv[4:]):
    time.sleep(max(0, t0 + delay - time.time()))
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("0.0.0.0", sport))
    try:
        c.connect((host, port))
    except ConnectionRefusedError:
        print("refused", flush=True)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        continue
    c.sendall(b"GET /v2/apps HTTP/1.0\r\nHost: marathon\r\n\r\n")
    buf = b""
    while b"marathon-apps" not in buf:
        d = c.recv(4096)
        if not d: break
        buf += d
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    print("ok", flush=True)
EOF
    # fragecho.py PORT: answer every datagram (v4 and v6, up to 64 KiB) with "echo:" + payload
    cat >"$WORK/fragecho.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(b"echo:" + data, peer)
EOF
    # udpsend.py HOST PORT SIZE [TTL] [SPORT]: one datagram of SIZE bytes (IP TTL / hop limit TTL),
    # then wait up to 1 s for an answer; with TTL 1 a second datagram with the default TTL follows
    # from the same socket (the same flow)
    cat >"$WORK/udpsend.py" <<'EOF'
import socket, sys
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ttl = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "-" else None
sport = int(sys.argv[5]) if len(sys.argv) > 5 else 0
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
s.settimeout(1.0)
payload = bytes((i * 7 + 13) & 0xff for i in range(size))
sends = [ttl, None] if ttl else [None]
for t in sends:
    if t:
        if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, t)
        else: s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, t)
    else:
        if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 64)
        else: s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
    s.sendto(payload, (host, port))
    try:
        s.recvfrom(65535)
    except (socket.timeout, OSError):
        pass
EOF
    # bulk.py server PORT | client HOST PORT SIZE: the client uploads SIZE bytes (TCP, DF set as
    # Linux always does), half-closes, reads "received N", closes
    cat >"$WORK/bulk.py" <<'EOF'
import socket, sys
if sys.argv[1] == "server":
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(sys.argv[2]))); s.listen(4)
    while True:
        c, _ = s.accept()
        n = 0
        while True:
            d = c.recv(65536)
            if not d: break
            n += len(d)
        c.sendall(b"received %d\n" % n)
        c.close()
else:
    host = sys.argv[2]
    c = socket.create_connection((host, int(sys.argv[3])), timeout=10)
    c.sendall(bytes((i * 31 + 7) & 0xff for i in range(int(sys.argv[4]))))
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
EOF
}

capn_start() { # NAME NS IFACE [tcpdump args...]: one of several captures running at once
    local name=$1 ns=$2 ifc=$3; shift 3
    # --immediate-mode: the last frames are written before the capture is stopped; it uses one
    # ring slot per snaplen, so -B gives it room for a burst (checked in capn_stop)
    ip netns exec "$ns" tcpdump -Z root -n -U --immediate-mode -B 65536 -s 262144 -i "$ifc" "$@" \
        2>"$WORK/$name.tcpdump.log" &
    CAPS+=($!); CAPLOGS+=("$WORK/$name.tcpdump.log")
    for _ in $(seq 100); do grep -q 'listening on' "$WORK/$name.tcpdump.log" 2>/dev/null && break; sleep 0.05; done
}
capn_stop() {
    sleep 1.2
    local p; for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" || true; done
    CAPS=()
    for p in "${CAPLOGS[@]}"; do
        grep -q '^0 packets dropped by kernel' "$p" || { echo "capture lost packets: $(cat "$p")" >&2; return 1; }
    done
    CAPLOGS=()
}

scenario_rotated() {
    log "rotated: m1 cut by size (dumpcap -b filesize:2), m2 cut by time (tcpdump -G 1), one long session m2 -> m1 2181 across the pieces"
    # tcpdump 4.99.3's -C counts in units of 1,000,000 bytes (no k suffix yet): far larger than
    # these captures, so the size cut is dumpcap's ring-buffer option (kB units), writing pcapng
    local d=$WORK/rot; rm -rf "$d"; mkdir -p "$d"
    local tp; tp=$(ip netns exec pt-m1 python3 "$WORK/ticker.py" server 2181 >/dev/null 2>&1 & echo $!)
    BG_PIDS+=("$tp")
    sleep 0.5
    ip netns exec pt-m1 dumpcap -q -i eth0 -b filesize:2 -w "$d/rotated-m1.pcapng" 2>"$WORK/rotated-m1.dumpcap.log" &
    CAPS+=($!)
    for _ in $(seq 100); do ls "$d"/rotated-m1_*.pcapng >/dev/null 2>&1 && break; sleep 0.05; done
    capn_start rotated-m2 pt-m2 eth0 -G 1 -w "$d/rotated-m2-%H%M%S.pcap"
    sleep 0.5
    C m2 python3 "$WORK/ticker.py" client 10.10.0.11 2181 14 0.3 &    # about 4.5 s, in the background
    local tk=$!
    sleep 0.4
    http a1 http://10.10.0.11:5050/master/state                 # short flows while it runs
    dig_ a1 @10.10.0.11 leader.mesos A
    sleep 0.6
    http a2 http://10.10.0.12:8080/v2/apps
    sleep 0.6
    http m1 http://10.10.0.12:8080/v2/apps
    dig_ a2 @10.10.0.12 master.mesos A
    sleep 0.6
    http a2 http://10.10.0.11:5050/master/state
    wait "$tk" || true
    sleep 1.2                                                   # let -G start one more piece
    dig_ a2 @10.10.0.11 leader.mesos A
    capn_stop
    kill "$tp" 2>/dev/null || true
    # name the pieces in capture order: NAME-00.EXT, NAME-01.EXT, ... (the names dumpcap and
    # tcpdump -G write carry a sequence number and a time stamp, which sort in capture order)
    local i=0 f
    for f in $(ls "$d"/rotated-m1_*.pcapng | sort); do
        cp "$f" "$DEST/$(printf 'rotated-m1-%02d.pcapng' $i)"; i=$((i + 1))
    done
    i=0
    for f in $(ls "$d"/rotated-m2-*.pcap | sort); do
        cp "$f" "$DEST/$(printf 'rotated-m2-%02d.pcap' $i)"; i=$((i + 1))
    done
    chmod 644 "$DEST"/rotated-m*   # dumpcap writes its files 0600
}

scenario_reused() {
    log "reused-tuple: three connections from 10.10.0.21:41100 to 10.10.0.11:8080 (one refused)"
    # TIME_WAIT of connection 1 stays on the client (it closes first); tcp_tw_reuse lets a connect
    # from the same port reuse it after a second, as a connection pool does
    nsx a1 sysctl -qw net.ipv4.tcp_tw_reuse=1
    bg m1 python3 "$WORK/reopen.py" 8080 2.4
    sleep 0.5
    capn_start reused-tuple pt-sw br0 -w "$DEST/reused-tuple.pcap"
    C a1 python3 "$WORK/reuse.py" 10.10.0.11 8080 41100 0 1.3 3.2 >"$WORK/reuse.out"
    capn_stop
    [[ $(tr '\n' ' ' <"$WORK/reuse.out") == "ok refused ok " ]] \
        || { echo "reused-tuple: client saw $(tr '\n' ' ' <"$WORK/reuse.out")" >&2; return 1; }
}

scenario_pmtu() {
    log "pmtu: TCP uploads a1 -> s1 across the MTU-1280 hop (ICMP 3/4, ICMPv6 Packet Too Big), UDP with TTL 1"
    bg s1 python3 "$WORK/bulk.py" server 8080
    bg s1 python3 "$WORK/fragecho.py" 9999
    sleep 0.5
    capn_start pmtu pt-sw br0 -w "$DEST/pmtu.pcap"
    C a1 python3 "$WORK/bulk.py" client 10.10.2.11 8080 12000; step
    C a1 python3 "$WORK/bulk.py" client fd00:10:2::11 8080 12000; step
    C a1 python3 "$WORK/udpsend.py" 10.10.2.11 9999 64 1; step    # TTL 1: time exceeded, then answered
    capn_stop
}

scenario_fragments() {
    log "fragments: 3500-byte UDP datagrams both ways over MTU 1280 (IPv4 and IPv6), captured at s1"
    nsx s1 ip link set eth0 mtu 1280
    nsx a2 ip link set eth0 mtu 1280
    mkdir -p "$WORK/s1"
    # a big TXT record: the answer (EDNS, 4096) is about 3 KB, fragmented by dnsmasq's host
    local txt; txt=$(python3 -c 'print(",".join("\"chunk%02d-%s\"" % (i, "x" * 190) for i in range(15)))')
    nsx s1 dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address=10.10.2.11 --listen-address=fd00:10:2::11 --port=53 --edns-packet-max=4096 \
        --pid-file="$WORK/s1/dnsmasq-53.pid" --user=root --group=root \
        --host-record=leader.mesos,10.10.0.11 "--txt-record=big.mesos,$txt"
    # a stateless ACL on the router's bridge side drops UDP 9998 by port: only the first fragment
    # carries the port, so the later fragments pass and reach s1 without their first
    nsx rt nft -f - <<'EOF'
table netdev portolan_acl {
    chain ingress {
        type filter hook ingress device "eth0" priority 0; policy accept;
        udp dport 9998 drop
    }
}
EOF
    sleep 0.5
    capn_start fragments pt-s1 eth0 -w "$DEST/fragments.pcap"
    C a2 python3 "$WORK/udpsend.py" 10.10.2.11 9999 3500; step          # request and echo fragmented (v4)
    C a2 python3 "$WORK/udpsend.py" fd00:10:2::11 9999 3500; step       # the same over IPv6
    dig_ a2 +bufsize=4096 +ignore @10.10.2.11 big.mesos TXT             # small query, 3 KB answer (v4)
    dig_ a2 +bufsize=4096 +ignore @fd00:10:2::11 big.mesos TXT          # the same over IPv6
    C a2 python3 "$WORK/udpsend.py" 10.10.2.11 9998 3000; step          # first fragment dropped on the way
    capn_stop
    nsx rt nft delete table netdev portolan_acl
    kill "$(cat "$WORK/s1/dnsmasq-53.pid")" 2>/dev/null || true
    nsx s1 ip link set eth0 mtu 1500
    nsx a2 ip link set eth0 mtu 1500
}

scenario_oneway() {
    log "oneway-in / oneway-out: tcpdump -Q in and -Q out at the same time on agent a1"
    local d=$WORK/oneway; rm -rf "$d"; mkdir -p "$d"
    bg a2 python3 "$WORK/fragecho.py" 40001           # a service on an unlisted ephemeral port
    sleep 0.5
    capn_start oneway-in pt-a1 eth0 -Q in -w "$d/oneway-in.pcap"
    capn_start oneway-out pt-a1 eth0 -Q out -w "$d/oneway-out.pcap"
    sleep 0.5
    http a1 http://10.10.0.11:5050/master/state                 # a1 is the client
    http m2 http://10.10.0.21:5051/state                        # a1 is the server
    dig_ a1 @10.10.0.11 leader.mesos A                          # UDP 53, answered
    C a1 python3 "$WORK/udpsend.py" 10.10.0.22 40001 32 - 50002; step   # UDP 50002 -> 40001, answered
    capn_stop
    cp "$d/oneway-in.pcap" "$d/oneway-out.pcap" "$DEST/"
}

run_issue11() {
    local DEST=$DEST/issue11   # the issue-11 captures live in Captures/issue11/
    build_topology
    build_routed
    mkdir -p "$DEST"
    write_helpers
    write_issue11_helpers
    # the servers these scenarios talk to
    start_dnsmasq m1 53
    start_dnsmasq m2 53
    tcp_responder m1 5050 http mesos-master-state
    tcp_responder m2 8080 http marathon-apps
    tcp_responder a1 5051 http mesos-agent-state
    sleep 0.5
    scenario_rotated
    scenario_reused
    scenario_pmtu
    scenario_fragments
    scenario_oneway
    cleanup; set -e
}

# the inventory of the issue-11 captures: the cluster plus master-3 behind the router
write_inventory_issue11() { # NAME
    write_inventory "$1" "  - 10.10.2.0/24         # behind the router pt-rt (MTU-1280 hop)
  - fd00:10:2::/64
" "  - address: 10.10.2.11
    name: master-3
    roles: [dcos-master]
  - address: fd00:10:2::11
    name: master-3
    roles: [dcos-master]"
}

validate_issue11() {
    local n
    n=$(ls "$DEST"/rotated-m1-*.pcapng | wc -l); ((n >= 3)) || { echo "validate: rotated-m1 has $n pieces" >&2; return 1; }
    n=$(ls "$DEST"/rotated-m2-*.pcap | wc -l); ((n >= 3)) || { echo "validate: rotated-m2 has $n pieces" >&2; return 1; }
    local node k
    for node in m1 m2; do   # the long session has frames in at least three pieces of each node
        k=0
        for f in "$DEST"/rotated-$node-*.pcap*; do
            tshark -n -r "$f" -Y 'tcp.port == 2181' 2>/dev/null | grep -q . && k=$((k + 1))
        done
        ((k >= 3)) || { echo "validate: rotated-$node: the 2181 session is in $k pieces" >&2; return 1; }
        log "ok  rotated-$node: 2181 session in $k pieces"
    done
    need reused-tuple.pcap 3 'tcp.srcport == 41100 && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    need reused-tuple.pcap 1 'tcp.dstport == 41100 && tcp.flags.reset == 1'
    need fragments.pcap 6 'ip.frag_offset > 0' -o ip.defragment:FALSE
    need fragments.pcap 6 'ipv6.fraghdr.offset > 0' -o ipv6.defragment:FALSE
    # the datagram to UDP 9998 lost its first fragment at the router: its later fragments are here,
    # never reassembled, and no frame shows port 9998
    need fragments.pcap 2 'ip.frag_offset > 0 && !ip.reassembled_in && !ip.fragments' -2
    if tshark -n -r "$DEST/fragments.pcap" -Y 'udp.port == 9998' 2>/dev/null | grep -q .; then
        echo "validate: fragments.pcap shows the first fragment to UDP 9998" >&2; return 1
    fi
    need pmtu.pcap 1 'icmp.type == 3 && icmp.code == 4'
    need pmtu.pcap 1 'icmpv6.type == 2'
    need pmtu.pcap 1 'icmp.type == 11 && udp.dstport == 9999'
    need oneway-in.pcap 1 'udp.srcport == 40001 && udp.dstport == 50002'
    need oneway-out.pcap 1 'udp.srcport == 50002 && udp.dstport == 40001'
    if tshark -n -r "$DEST/oneway-in.pcap" -Y 'ip.src == 10.10.0.21 || ipv6.src == fd00:10::21' 2>/dev/null | grep -q .; then
        echo "validate: oneway-in.pcap has a frame sent by a1" >&2; return 1
    fi
    if tshark -n -r "$DEST/oneway-out.pcap" -Y '(ip && ip.src != 10.10.0.21) || (ipv6 && ipv6.src != fd00:10::21)' 2>/dev/null | grep -q .; then
        echo "validate: oneway-out.pcap has a frame a1 did not send" >&2; return 1
    fi
}

expected_issue11() {
    local node
    for node in m1 m2; do   # the pieces of one node, read as one stream
        mergecap -a -w "$WORK/rotated-$node.merged" $(ls "$DEST"/rotated-$node-*.pcap* | sort)
        python3 "$ORACLE" --flows "$HERE/rotated-$node.flows.tsv" \
            "$WORK/rotated-$node.merged" >"$DEST/rotated-$node.expected.tsv"
    done
    expected reused-tuple reused-tuple.pcap --connections
    expected fragments fragments.pcap --fragments
    expected pmtu pmtu.pcap
    expected oneway-in oneway-in.pcap
    expected oneway-out oneway-out.pcap
}

write_inventory() { # NAME [extra yaml lines for networks] [extra host lines]
    cat >"$DEST/$1.inventory.yaml" <<EOF
# Inventory for $1.* (made by make-captures.sh). Everything else (198.51.100.7,
# 2001:db8:51::7, Mission Control 52.5.224.56) is outside the cluster.
networks:
  - 10.10.0.0/24
  - fd00:10::/64
${2:-}hosts:
  - address: 10.10.0.11
    name: master-1
    roles: [dcos-master]
  - address: fd00:10::11
    name: master-1
    roles: [dcos-master]
  - address: 10.10.0.12
    name: master-2
    roles: [dcos-master]
  - address: fd00:10::12
    name: master-2
    roles: [dcos-master]
  - address: 10.10.0.21
    name: agent-1
    roles: [dcos-agent]
  - address: fd00:10::21
    name: agent-1
    roles: [dcos-agent]
  - address: 10.10.0.22
    name: agent-2
    roles: [dcos-agent]
  - address: fd00:10::22
    name: agent-2
    roles: [dcos-agent]
  - address: 10.10.0.31
    name: dynatrace-1
    roles: [dynatrace-node]
  - address: fd00:10::31
    name: dynatrace-1
    roles: [dynatrace-node]
  - address: 10.10.0.32
    name: dynatrace-2
    roles: [dynatrace-node]
  - address: fd00:10::32
    name: dynatrace-2
    roles: [dynatrace-node]
${3:-}
EOF
}

expected() { # NAME FILE [extra args for expected-counts.py]
    local name=$1 file=$2; shift 2
    python3 "$ORACLE" --flows "$HERE/$name.flows.tsv" "$@" "$DEST/$file" >"$DEST/$name.expected.tsv"
}

# validate: what each capture is for must be visible to tshark (fails the run otherwise)
need() { # FILE MIN FILTER [tshark args...]: at least MIN frames match FILTER
    local f=$1 min=$2 filter=$3; shift 3
    local n; n=$(tshark -n -r "$DEST/$f" "$@" -Y "$filter" 2>/dev/null | wc -l)
    if ((n < min)); then echo "validate: $f has $n frames matching '$filter', wanted >= $min" >&2; return 1; fi
    log "ok  $f: $n x $filter"
}
validate() {
    need blocked.pcap 3 'tcp.flags.reset == 1 && tcp.flags.ack == 1 && tcp.seq == 1'
    need blocked.pcap 6 'icmp.type == 3'
    need blocked.pcap 1 'icmp.type == 3 && icmp.code == 13'
    need blocked.pcap 1 'icmp.type == 3 && icmp.code == 3'
    need blocked.pcap 1 'icmpv6.type == 1 && icmpv6.code == 1'
    need blocked.pcap 1 'icmpv6.type == 1 && icmpv6.code == 4'
    need blocked.pcap 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.analysis.retransmission'
    need vxlan-overlay.pcap 10 'vxlan.vni == 1024 && tcp' -d udp.port==64000,vxlan
    need sll2-any.pcap 40 'sll.pkttype == 0 || sll.pkttype == 4'
    need dynatrace-cluster.pcapng 2 'tls.handshake.extensions_server_name == "mcsvc.dynatrace.com"'
    need dynatrace-cluster.pcapng 2 'ipv6 && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    need vlan-trunk.pcap 10 'vlan.id == 100 && !ieee8021ad'
    need vlan-trunk.pcap 10 'ieee8021ad.id == 300 && vlan.id == 100'
    need vlan-same-tuple.pcap 2 'tcp.srcport == 41000 && tcp.flags.syn == 1 && tcp.flags.ack == 0'
    need agent-two-interfaces.pcapng 10 'frame.interface_id == 1'
    need midstream.pcap 10 'tcp.port == 2181'
    need dynatrace-snaplen96.pcap 20 'frame.cap_len < frame.len'
    if tshark -n -r "$DEST/midstream.pcap" -Y 'tcp.port in {2181 5701} && tcp.flags.syn == 1' 2>/dev/null | grep -q .; then
        echo "validate: midstream.pcap shows a SYN of a long-lived session" >&2; return 1
    fi
    [[ $(capinfos -T -E "$DEST/sll2-any.pcap" 2>/dev/null | tail -1 | cut -f2) == linux-sll2 ]] \
        || { echo "validate: sll2-any.pcap is not LINUX_SLL2" >&2; return 1; }
}


# ---------------------------------------------------------------------------------------------
# issue11-seq: captures for the history letters that need sequence numbers (T, G, W). Its own
# three namespaces: sq-a1 (agent-1, 10.10.0.21) - sq-rt (router, netem) - sq-m3 (master-3,
# 10.10.2.11, the issue-11 inventory's host behind the router), offloads off so every segment is
# one frame. Captured at agent-1, so a segment netem drops after it left is seen once and again.
# ---------------------------------------------------------------------------------------------
SEQ_NS=(sq-a1 sq-rt sq-m3)
seq_cleanup() {
    set +e
    for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; done
    for ns in "${SEQ_NS[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}
seq_topology() {
    seq_cleanup; set -e
    for ns in "${SEQ_NS[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    ip link add sqa type veth peer name sqra
    ip link add sqm type veth peer name sqrm
    ip link set sqa netns sq-a1; ip -n sq-a1 link set sqa name eth0
    ip link set sqra netns sq-rt; ip -n sq-rt link set sqra name eth0
    ip link set sqrm netns sq-rt; ip -n sq-rt link set sqrm name eth1
    ip link set sqm netns sq-m3; ip -n sq-m3 link set sqm name eth0
    ip -n sq-a1 link set eth0 address 02:00:0a:0a:00:15
    ip -n sq-m3 link set eth0 address 02:00:0a:0a:02:0b
    ip -n sq-a1 addr add 10.10.0.21/24 dev eth0
    ip -n sq-rt addr add 10.10.0.1/24 dev eth0
    ip -n sq-rt addr add 10.10.2.1/24 dev eth1
    ip -n sq-m3 addr add 10.10.2.11/24 dev eth0
    ip netns exec sq-rt sysctl -qw net.ipv4.ip_forward=1
    local ns ifc
    for ns in sq-a1 sq-m3; do
        ip -n "$ns" link set eth0 up
        ip netns exec "$ns" ethtool -K eth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    done
    for ifc in eth0 eth1; do
        ip -n sq-rt link set "$ifc" up
        ip netns exec sq-rt ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    done
    ip -n sq-a1 route add default via 10.10.0.1
    ip -n sq-m3 route add default via 10.10.2.1
    # sack and timestamps as Linux has them; no ECN
    cat >"$WORK/bulk.py" <<'PY'
import socket, sys, time
# bulk.py server PORT RCVBUF PAUSE | client HOST PORT SEND: the client sends SEND bytes and
# shuts down; the server (receive buffer RCVBUF, reading nothing for PAUSE s) answers with as
# many bytes as it read and closes.
if sys.argv[1] == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if int(sys.argv[3]): s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(sys.argv[3]))
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(1)
    c, _ = s.accept()
    time.sleep(float(sys.argv[4]))
    n = 0
    while True:
        d = c.recv(65536)
        if not d: break
        n += len(d)
    c.sendall(b"r" * n); c.close()
else:
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])))
    c.sendall(b"s" * int(sys.argv[4])); c.shutdown(socket.SHUT_WR)
    while c.recv(65536): pass
    c.close()
PY
}
seq_transfer() { # NAME SEND RCVBUF PAUSE: one bulk connection a1 -> master-3:5050, captured at a1
    local name=$1
    ip netns exec sq-m3 python3 "$WORK/bulk.py" server 5050 "$3" "$4" & local srv=$!
    sleep 0.5
    CAPS=(); CAPLOGS=()
    capn_start "$name" sq-a1 eth0 -w "$WORK/$name.pcap" tcp port 5050
    ip netns exec sq-a1 timeout 120 python3 "$WORK/bulk.py" client 10.10.2.11 5050 "$2"
    wait "$srv" || true
    capn_stop
}
run_issue11_seq() {
    local DEST=$DEST/issue11
    mkdir -p "$DEST" "$WORK"
    trap seq_cleanup EXIT
    seq_topology
    # retransmit: 3 % of the segments lost each way at the router (tc netem loss where the kernel
    # has sch_netem, else an nftables forward rule dropping at random): a1's lost data is seen
    # twice (T), the server's lost data once, late (out of order, no gap)
    if ip netns exec sq-rt tc qdisc add dev eth1 root netem loss 3% 2>/dev/null; then
        ip netns exec sq-rt tc qdisc add dev eth0 root netem loss 3%
    else
        ip netns exec sq-rt nft add table inet loss
        ip netns exec sq-rt nft add chain inet loss drops '{ type filter hook forward priority 0; }'
        ip netns exec sq-rt nft add rule inet loss drops tcp dport 5050 numgen random mod 100 '<' 3 drop
        ip netns exec sq-rt nft add rule inet loss drops tcp sport 5050 numgen random mod 100 '<' 3 drop
    fi
    seq_transfer retransmit 400000 0 0
    ip netns exec sq-rt tc qdisc del dev eth1 root 2>/dev/null || true
    ip netns exec sq-rt tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns exec sq-rt nft delete table inet loss 2>/dev/null || true
    # zero-window: the server's receive buffer is small and it reads nothing for 2 s
    seq_transfer zero-window 300000 4096 2
    # gap: a clean transfer, then one data segment of a1 removed from the capture only
    seq_transfer gap-clean 60000 0 0
    local frame
    frame=$(tshark -n -r "$WORK/gap-clean.pcap" -Y 'ip.src == 10.10.0.21 && tcp.len > 0' -T fields -e frame.number | sed -n 5p)
    editcap "$WORK/gap-clean.pcap" "$WORK/gap.pcap" "$frame"
    cp "$WORK/retransmit.pcap" "$WORK/zero-window.pcap" "$WORK/gap.pcap" "$DEST/"
    seq_cleanup; trap - EXIT
    for n in retransmit zero-window gap; do write_inventory_issue11 "$n"; done
    (HERE=$HERE/issue11; for n in retransmit zero-window gap; do expected "$n" "$n.pcap"; done)
    python3 "$HERE/issue11/seq-letters.py" "$DEST"/retransmit.pcap "$DEST"/zero-window.pcap "$DEST"/gap.pcap \
        >"$DEST/seq-letters.expected.tsv"
    need retransmit.pcap 3 'tcp.analysis.retransmission && ip.src == 10.10.0.21'
    need zero-window.pcap 1 'tcp.analysis.zero_window && ip.src == 10.10.2.11'
    need gap.pcap 1 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment'
}

main() {
    local only=${1:-all}
    # A full run stages everything in $WORK/stage and copies it out only when every step worked,
    # so a failed run never leaves new captures next to old expected files.
    #   all (default): every capture; issue11: only the issue-11 captures (rotated-*, reused-tuple,
    #   fragments, pmtu, oneway-*); expected / issue11-expected: only recompute expected files.
    DEST=$OUT
    local old=1 new=1
    case $only in
        all|expected) ;;
        issue11|issue11-expected) old=0 ;;
        issue11-seq) DEST=$OUT; run_issue11_seq; return ;;
        *) echo "usage: $0 [all|expected|issue11|issue11-expected|issue11-seq]" >&2; exit 2 ;;
    esac
    if [[ $only != *expected ]]; then
        DEST=$WORK/stage
        if ((old)); then
            build_topology
            mkdir -p "$DEST"
            write_helpers
            start_servers
            scenario_dcos
            scenario_dynatrace
            scenario_blocked
            scenario_vxlan
            scenario_midstream
            scenario_sll2
            scenario_multi_if
            write_tagger
            scenario_vlan
            cleanup; set -e
            rm -rf /tmp/portolan-captures.keep; cp -r "$DEST" /tmp/portolan-captures.keep
        fi
        run_issue11   # its build_topology starts again from an empty $WORK
        mkdir -p "$DEST"
        if ((old)); then cp /tmp/portolan-captures.keep/* "$DEST/"; rm -rf /tmp/portolan-captures.keep; fi
        trap - EXIT
    fi
    if ((old)); then
    for n in dcos-cluster dynatrace-cluster dynatrace-snaplen96 blocked midstream sll2-any agent-two-interfaces; do write_inventory "$n"; done
    write_inventory vxlan-overlay "  - 10.10.64.0/24        # the VXLAN overlay (containers on the agents)
" "  - address: 10.10.64.0/24
    name: overlay
    roles: [dcos-agent]"
    for n in vlan-trunk vlan-same-tuple; do
        write_inventory "$n" "" "  - address: 10.10.0.41        # on VLAN 100 and again on QinQ 300/100
    name: agent-vlan
    roles: [dcos-agent]
  - address: 10.10.0.51        # on VLAN 100 and again on QinQ 300/100
    name: master-vlan
    roles: [dcos-master]"
    done
    log "validate the captures with tshark"
    validate
    log "expected flows (counts from the captures via tshark)"
    expected dcos-cluster dcos-cluster.pcap
    expected dynatrace-cluster dynatrace-cluster.pcapng
    # the same traffic cut at 96 bytes: the same flows (same reasoning file) and the same counts
    python3 "$HERE/expected-counts.py" --flows "$HERE/dynatrace-cluster.flows.tsv" \
        "$DEST/dynatrace-snaplen96.pcap" >"$DEST/dynatrace-snaplen96.expected.tsv"
    expected blocked blocked.pcap
    expected vxlan-overlay vxlan-overlay.pcap --vxlan-port 64000
    python3 "$HERE/expected-counts.py" --flows "$HERE/vxlan-overlay.outer.flows.tsv" --outer \
        "$DEST/vxlan-overlay.pcap" >"$DEST/vxlan-overlay.outer.expected.tsv"
    expected midstream midstream.pcap
    expected sll2-any sll2-any.pcap
    expected agent-two-interfaces agent-two-interfaces.pcapng
    expected vlan-trunk vlan-trunk.pcap
    # two flows share one 5-tuple here, so this file adds a vlan column (and is not NAME.expected.tsv)
    python3 "$HERE/expected-counts.py" --flows "$HERE/vlan-same-tuple.flows.tsv" --vlan-column \
        "$DEST/vlan-same-tuple.pcap" >"$DEST/vlan-same-tuple.by-vlan.tsv"
    fi
    if ((new)); then
        # in Captures/issue11/ (its own folder, so the tests that take every Captures/*.expected.tsv
        # and Captures/*.pcap do not meet them before the analyzer handles these cases)
        (
            HERE=$HERE/issue11 DEST=$DEST/issue11
            mkdir -p "$DEST"
            for n in "${ISSUE11[@]}"; do write_inventory_issue11 "$n"; done
            log "validate the issue-11 captures with tshark"
            validate_issue11
            log "issue-11 expected flows"
            expected_issue11
        )
    fi
    if [[ $DEST != "$OUT" ]]; then cp -r "$DEST"/. "$OUT"/; fi
    mkdir -p "$WORK"
    python3 "$ORACLE" --summary "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/issue11/*.pcap "$OUT"/issue11/*.pcapng >"$WORK/summary.txt"
    # keep README.md's accounting table in step with the captures
    if [[ $OUT == "$HERE" ]]; then
        python3 - "$HERE/README.md" "$WORK/summary.txt" <<'PY'
import re, sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- BEGIN accounting (generated by make-captures.sh) -->\n", "<!-- END accounting -->"
text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: begin + table + end, text, flags=re.S)
open(readme, "w").write(text)
PY
    fi
    ls -l "$OUT"/*.pcap "$OUT"/*.pcapng >&2
}

main "$@"
