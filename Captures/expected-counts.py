#!/usr/bin/env python3
"""Derive Portolan's expected flow rows from a capture, independently of Portolan, with tshark.

    expected-counts.py --flows NAME.flows.tsv [--vxlan-port 64000 | --outer] CAPTURE > NAME.expected.tsv
    expected-counts.py --list [--vxlan-port 64000 | --outer] CAPTURE      # every flow tshark sees
    expected-counts.py --summary CAPTURE...                               # frame accounting (README)
    expected-counts.py --flows F --connections CAPTURE   # TCP 5-tuples split into connections (Zeek)
    expected-counts.py --flows F --fragments CAPTURE     # IP fragments counted on their datagram's flow

Counting rules (see README.md):
- A flow is TCP or UDP, keyed by the unordered pair of (address, port) endpoints.
- packets/bytes per direction: frames and their original wire length (tshark frame.len: the whole
  Ethernet frame with its 14-byte header, or the SLL2 frame with its 20-byte header).
- An ICMP/ICMPv6 error (v4 types 3, 4, 5, 11, 12; v6 types 1-4) belongs to the flow it quotes and is
  counted on the side opposite to the quoted packet's sender (for our captures: the server side).
- A VXLAN frame (with --vxlan-port) belongs to its innermost flow; with --outer to the outer UDP flow.
- VLAN tags (802.1Q and 802.1ad, outer first) are part of the flow key: the same 5-tuple under
  another tag stack is another flow. NAME.flows.tsv names the stack in an optional 11th column
  ("100", "300.100"); untagged flows leave it out.
- Anything else (ARP, ICMPv6 neighbour discovery and MLD, ICMP echo) is not a flow.
- state is Zeek's conn_state computed from the TCP flags (UDP: SF both ways, S0 client only, SHR
  server only); ICMP errors do not change it. It must equal the state reasoned in NAME.flows.tsv.
- direction is observed when the client's SYN or the server's SYN-ACK is in the capture (TCP), or
  the client sent the first datagram (UDP); inferred otherwise.
- --connections: a TCP 5-tuple holds several connections, as in Zeek's conn.log. A SYN without ACK
  starts a new connection when the current one has ended (a FIN from both sides, or any RST, which
  covers REJ) or when its sequence number differs from the current connection's SYN sent by the
  same side (not a retransmission). ICMP errors go to the tuple's current connection. tshark's
  tcp.stream must agree (one stream per connection, a new one per connection) or this script fails.
  Rows of one 5-tuple in NAME.flows.tsv are matched to its connections in order.
- --fragments: tshark reassembles the datagrams (ip.fragment / ipv6.fragment list the frames of each
  one); every fragment is counted, with its own frame length, on the flow of its reassembled
  datagram. The grouping is checked against a second reading without reassembly, by (source,
  destination, IP id / IPv6 fragment id) with the first fragment at offset 0. Fragments whose
  datagram was never reassembled because its first fragment is missing are not a flow
  ("ip-fragment-without-first").

The .flows.tsv file holds, per flow, what cannot be counted: the component and verdicts reasoned
from the seed documents. Every row must match exactly one flow in the capture and every flow must
be matched by one row, or this script fails. Rows come out in the order of each flow's first frame.
"""
import argparse
import collections
import subprocess
import sys

FIELDS = ["frame.number", "frame.len", "frame.protocols",
          "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "tcp.flags", "udp.srcport", "udp.dstport",
          "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "vlan.id", "ieee8021ad.id"]
EXTRA_FIELDS = {"connections": ["tcp.seq_raw", "tcp.stream"],
                "fragments": ["ip.fragment", "ipv6.fragment", "ip.flags.mf", "ip.frag_offset",
                              "ipv6.fraghdr.offset", "ipv6.fraghdr.more"]}
ICMP4_ERRORS = {3, 4, 5, 11, 12}
ICMP6_ERRORS = {1, 2, 3, 4}
HEADER = ("proto client client_port server server_port component verdict verdicts direction state "
          "client_packets server_packets client_bytes server_bytes").split()


def packets(path, vxlan_port=None, extra=()):
    fields = FIELDS + list(extra)
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    if vxlan_port:
        cmd += ["-d", "udp.port==%d,vxlan" % vxlan_port]
    else:
        # never let a heuristic decode inside UDP 4789/64000 when we want the outer view
        cmd += ["--disable-protocol", "vxlan"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        row = {f: (c.split(",") if c else []) for f, c in zip(fields, cols)}
        yield row


def fragment_groups(path):
    """Without reassembly: frames of each fragmented datagram by (src, dst, id), and which groups
    have their first fragment (offset 0)."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-Y", "(ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr) && !icmp && !icmpv6",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for f in ("frame.number", "ip.src", "ip.dst", "ip.id", "ip.frag_offset",
              "ipv6.src", "ipv6.dst", "ipv6.fraghdr.ident", "ipv6.fraghdr.offset"):
        cmd += ["-e", f]
    groups = collections.defaultdict(list)
    has_first = set()
    for line in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines():
        fno, s4, d4, id4, off4, s6, d6, id6, off6 = (line.split("\t") + [""] * 9)[:9]
        key = (s4, d4, id4) if s4 else (s6, d6, id6)
        off = off4 if s4 else off6
        groups[key].append(int(fno))
        if int(off or 0) == 0:
            has_first.add(key)
    return groups, has_first


def layers(row):
    """The frame's IP/transport layers in order: [(kind, values dict)]."""
    seen = collections.Counter()
    result = []
    for proto in row["frame.protocols"][0].split(":"):
        if proto not in ("ip", "ipv6", "tcp", "udp", "icmp", "icmpv6", "vxlan", "arp", "vlan", "ieee8021ad"):
            continue
        i = seen[proto]
        seen[proto] += 1
        vals = {}
        for f in FIELDS:
            if f.startswith(proto + "."):
                v = row[f]
                vals[f.split(".", 1)[1]] = v[i] if i < len(v) else None
        result.append((proto, vals))
    return result


class Flow:
    def __init__(self, proto, first_sender, first_frame):
        self.proto, self.first = proto, first_frame
        self.first_sender = first_sender   # endpoint that sent (or, for an ICMP error, was quoted as sending) first
        self.pk = collections.Counter()   # endpoint -> packets sent (ICMP errors: on the far side)
        self.by = collections.Counter()
        self.flags = collections.defaultdict(list)  # endpoint -> list of TCP flag ints
        self.data_pk = collections.Counter()         # transport packets only (not ICMP errors)
        self.icmp = 0


def tag_stack(ls):
    """VLAN ids (outer first, dot-separated) of the tags in front of the first IP layer of ls."""
    ids = []
    for k, v in ls:
        if k in ("ip", "ipv6"):
            break
        if k in ("vlan", "ieee8021ad") and v.get("id") is not None:
            ids.append(v["id"])
    return ".".join(ids)


def classify(row, mode):
    """-> ('flow', proto, src_ep, dst_ep, flags, is_icmp_error, vlans) or ('nonflow', kind)"""
    ls = layers(row)
    kinds = [k for k, _ in ls]
    if not any(k in ("ip", "ipv6") for k in kinds):
        return ("nonflow", "arp" if "arp" in kinds else "non-ip")
    # ICMP error quoting a flow
    for idx, (k, v) in enumerate(ls):
        if k in ("icmp", "icmpv6") and v.get("type") is not None:
            t = int(v["type"])
            if (k == "icmp" and t in ICMP4_ERRORS) or (k == "icmpv6" and t in ICMP6_ERRORS):
                rest = ls[idx + 1:]
                ip = next(((kk, vv) for kk, vv in rest if kk in ("ip", "ipv6")), None)
                tr = next(((kk, vv) for kk, vv in rest if kk in ("tcp", "udp")), None)
                if ip and tr:
                    q_src = (ip[1]["src"], int(tr[1]["srcport"]))
                    q_dst = (ip[1]["dst"], int(tr[1]["dstport"]))
                    # the error travels back: count it as sent by the quoted destination's side
                    return ("flow", tr[0], q_dst, q_src, None, True, tag_stack(ls))
                return ("nonflow", "%s-error-unquoted" % k)
            return ("nonflow", "%s-type-%d" % (k, t))
    if mode == "inner" and "vxlan" in kinds:
        ls = ls[kinds.index("vxlan") + 1:]
        kinds = [k for k, _ in ls]
        if not any(k in ("ip", "ipv6") for k in kinds):
            return ("nonflow", "vxlan-inner-non-ip")
    ip = next(((k, v) for k, v in ls if k in ("ip", "ipv6")), None)
    tr = next(((k, v) for k, v in ls if k in ("tcp", "udp")), None)
    if ip is None or tr is None:
        other = [k for k in kinds if k not in ("ip", "ipv6")]
        return ("nonflow", "ip-" + (other[0] if other else "other"))
    src = (ip[1]["src"], int(tr[1]["srcport"]))
    dst = (ip[1]["dst"], int(tr[1]["dstport"]))
    flags = int(tr[1]["flags"], 16) if tr[0] == "tcp" and tr[1].get("flags") else None
    return ("flow", tr[0], src, dst, flags, False, tag_stack(ls))


class Conn:
    """The current connection on one TCP 5-tuple (--connections)."""
    def __init__(self, number):
        self.number, self.fins, self.rst, self.syn = number, set(), False, None   # syn: (sender, seq)


def is_fragment(row):
    """A piece of a larger datagram (an IPv6 atomic fragment, offset 0 and no more, is not)."""
    def set_(name):
        v = row.get(name) or []
        return bool(v) and v[0] not in ("0", "False")
    return set_("ip.flags.mf") or set_("ip.frag_offset") or set_("ipv6.fraghdr.more") or set_("ipv6.fraghdr.offset")


def collect(path, mode, vxlan_port, connections=False, fragments=False):
    flows = {}
    nonflow = collections.Counter()
    nonflow_bytes = collections.Counter()
    total = [0, 0]
    extra = (EXTRA_FIELDS["connections"] if connections else []) + (EXTRA_FIELDS["fragments"] if fragments else [])
    rows = list(packets(path, vxlan_port if mode == "inner" else None, extra))
    fragmap = {}    # frame number -> classification of its reassembled datagram
    if fragments:
        for row in rows:
            members = row.get("ip.fragment") or row.get("ipv6.fragment") or []
            if members:
                c = classify(row, mode)
                for m in members:
                    fragmap[int(m)] = c
        groups, has_first = fragment_groups(path)
        # the same datagrams by (src, dst, id): every complete group is one reassembly list
        for key, frames in groups.items():
            got = {fragmap[f][:4] if f in fragmap else None for f in frames}
            if key in has_first and (len(got) != 1 or None in got):
                sys.exit("%s: fragments %s of %s are not one reassembled datagram in tshark" % (path, frames, key))
            if key not in has_first and got != {None}:
                sys.exit("%s: fragments %s of %s have no first fragment but were reassembled" % (path, frames, key))
    conns = {}      # 5-tuple key -> current Conn
    streams = collections.defaultdict(set)   # flow key -> tshark tcp.stream values
    for row in rows:
        flen = int(row["frame.len"][0])
        fno = int(row["frame.number"][0])
        total[0] += 1
        total[1] += flen
        if fno in fragmap:
            c = fragmap[fno]
            if c[0] == "flow" and not row.get("ip.fragment") and not row.get("ipv6.fragment"):
                c = c[:4] + (None,) + c[5:]   # a fragment carries no TCP flags of its own
        elif fragments and is_fragment(row):
            c = ("nonflow", "ip-fragment-without-first")
        else:
            c = classify(row, mode)
        if c[0] == "nonflow":
            nonflow[c[1]] += 1
            nonflow_bytes[c[1]] += flen
            continue
        _, proto, src, dst, flags, is_err, vlans = c
        key = (proto, frozenset((src, dst)), vlans, 0)
        if connections and proto == "tcp":
            tup = key[:3]
            cur = conns.get(tup)
            if not is_err and flags is not None:
                seq = int(row["tcp.seq_raw"][0]) if row.get("tcp.seq_raw") else None
                if flags & SYN and not flags & ACK:
                    if cur is not None and (cur.rst or len(cur.fins) == 2 or
                                            (cur.syn is not None and cur.syn[0] == src and cur.syn[1] != seq)):
                        cur = None
                    if cur is None:
                        cur = conns[tup] = Conn(len([k for k in flows if k[:3] == tup]))
                    if cur.syn is None:
                        cur.syn = (src, seq)
                if cur is None:
                    cur = conns[tup] = Conn(0)
                if flags & FIN:
                    cur.fins.add(src)
                if flags & RST:
                    cur.rst = True
                if row.get("tcp.stream"):
                    streams[tup + (cur.number,)].add(row["tcp.stream"][0])
            key = tup + ((cur.number if cur else 0),)
        fl = flows.get(key)
        if fl is None:
            # an ICMP error seen first still means its quoted sender (dst here) started the flow
            fl = flows[key] = Flow(proto, dst if is_err else src, fno)
        fl.pk[src] += 1
        fl.by[src] += flen
        if is_err:
            fl.icmp += 1
        else:
            fl.data_pk[src] += 1
            if flags is not None:
                fl.flags[src].append(flags)
    if connections:
        # tshark's own split (tcp.stream) must give the same connections
        seen = {}
        for key, ss in streams.items():
            if len(ss) != 1:
                sys.exit("%s: connection %s spans tshark tcp.streams %s" % (path, key, sorted(ss)))
            s = next(iter(ss))
            if s in seen:
                sys.exit("%s: connections %s and %s share tcp.stream %s" % (path, seen[s], key, s))
            seen[s] = key
    return flows, nonflow, nonflow_bytes, total


SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def zeek_state(fl, client, server):
    if fl.proto == "udp":
        c, s = fl.data_pk[client] > 0, fl.data_pk[server] > 0
        return "SF" if c and s else ("S0" if c else ("SHR" if s else "OTH"))
    cf, sf = fl.flags[client], fl.flags[server]
    has = lambda fs, bit, without=0: any(f & bit and not f & without for f in fs)
    orig_syn = has(cf, SYN, ACK)
    resp_synack = any(f & SYN and f & ACK for f in sf)
    ofin, sfin, orst, srst = has(cf, FIN), has(sf, FIN), has(cf, RST), has(sf, RST)
    if not orig_syn and not resp_synack:
        return "OTH"
    if orig_syn and not resp_synack:
        if srst:
            return "REJ"
        if orst:
            return "RSTOS0"
        if ofin:
            return "SH"
        return "S0"
    if not orig_syn:
        return "RSTRH" if srst else ("SHR" if sfin else "OTH")
    if orst:
        return "RSTO"
    if srst:
        return "RSTR"
    if ofin and sfin:
        return "SF"
    return "S2" if ofin else ("S3" if sfin else "S1")


def observed_direction(fl, client, server):
    if fl.proto == "tcp":
        syn = any(f & SYN and not f & ACK for f in fl.flags[client])
        synack = any(f & SYN and f & ACK for f in fl.flags[server])
        return "observed" if syn or synack else "inferred"
    return "observed" if fl.first_sender == client else "inferred"


def read_spec(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if cols[0] == "proto":
                continue
            if len(cols) < 9:
                sys.exit("%s:%d: expected 10 tab-separated columns, got %d" % (path, n, len(cols)))
            rows.append((n, cols))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows")
    ap.add_argument("--vxlan-port", type=int)
    ap.add_argument("--outer", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--vlan-column", action="store_true", help="append a vlan column (tag stack, outer first)")
    ap.add_argument("--connections", action="store_true", help="split TCP 5-tuples into connections")
    ap.add_argument("--fragments", action="store_true", help="count IP fragments on their datagram's flow")
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    mode = "outer" if a.outer or not a.vxlan_port else "inner"

    if a.summary:
        print("| file | frames | bytes | TCP/UDP flow frames | of which ICMP errors | not a flow |")
        print("|---|---|---|---|---|---|")
        for path in a.captures:
            vx = 64000 if "vxlan" in path else None
            name = path.rsplit("/", 1)[-1]
            parts = path.rstrip("/").split("/")
            label = "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "issue11" else name
            flows, nonflow, nbytes, total = collect(path, "inner" if vx else "outer", vx,
                                                    connections=name.startswith("reused"),
                                                    fragments=name.startswith("fragments"))
            fp = sum(sum(f.pk.values()) for f in flows.values())
            icmp = sum(f.icmp for f in flows.values())
            nf = ", ".join("%s %d (%d B)" % (k, v, nbytes[k]) for k, v in sorted(nonflow.items())) or "none"
            print("| %s | %d | %d | %d in %d flows | %d | %s |" % (
                label, total[0], total[1], fp, len(flows), icmp, nf))
        return

    path = a.captures[0]
    flows, nonflow, nbytes, total = collect(path, mode, a.vxlan_port, a.connections, a.fragments)

    if a.list or not a.flows:
        for key, fl in sorted(flows.items(), key=lambda kv: kv[1].first):
            eps = sorted(key[1], key=lambda e: e != fl.first_sender)
            c, s = eps[0], eps[-1]
            print("%s%s\t%s:%d -> %s:%d\tfirst=%d pk=%d/%d by=%d/%d icmp=%d state(first-sender)=%s" % (
                fl.proto, " vlan " + key[2] if key[2] else "", c[0], c[1], s[0], s[1], fl.first, fl.pk[c], fl.pk[s], fl.by[c], fl.by[s],
                fl.icmp, zeek_state(fl, c, s)))
        print("nonflow:", dict(nonflow), file=sys.stderr)
        return

    spec = read_spec(a.flows)
    used = set()
    rows = []   # (first frame, row): the expected file lists flows in the order they start
    errors = []
    for n, cols in spec:
        proto, client, server, sport, component, verdict, verdicts, direction, state = cols[:9]
        vlans = cols[10] if len(cols) > 10 else ""
        sport = int(sport)
        matches = [k for k in flows if k[0] == proto and k[2] == vlans and (server, sport) in k[1]
                   and any(ep[0] == client and ep != (server, sport) for ep in k[1])]
        if a.connections and len({k[:3] for k in matches}) == 1:
            # the connections of one 5-tuple: rows take them in order
            matches = sorted((k for k in matches if k not in used), key=lambda k: flows[k].first)[:1]
        if len(matches) != 1:
            errors.append("%s:%d: %s %s -> %s:%d matches %d flows in %s" % (
                a.flows, n, proto, client, server, sport, len(matches), path))
            continue
        key = matches[0]
        used.add(key)
        fl = flows[key]
        cep = next(ep for ep in key[1] if ep != (server, sport))
        sep = (server, sport)
        st = zeek_state(fl, cep, sep)
        dr = observed_direction(fl, cep, sep)
        if st != state:
            errors.append("%s:%d: state reasoned %s, capture says %s (%s -> %s:%d)" % (
                a.flows, n, state, st, client, server, sport))
        if dr != direction:
            errors.append("%s:%d: direction reasoned %s, capture says %s (%s -> %s:%d)" % (
                a.flows, n, direction, dr, client, server, sport))
        rows.append((fl.first, "\t".join(str(x) for x in (
            proto, client, cep[1], server, sport, component, verdict, verdicts, direction, state,
            fl.pk[cep], fl.pk[sep], fl.by[cep], fl.by[sep]) + ((key[2] or "-",) if a.vlan_column else ()))))
    for key, fl in flows.items():
        if key not in used:
            eps = sorted(key[1])
            errors.append("%s: flow %s %s:%d <-> %s:%d%s (first frame %d) has no row in %s" % (
                path, key[0], eps[0][0], eps[0][1], eps[1][0], eps[1][1],
                " vlan " + key[2] if key[2] else "", fl.first, a.flows))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    header = HEADER + (["vlan"] if a.vlan_column else [])
    print("\n".join(["\t".join(header)] + [r for _, r in sorted(rows)]))


if __name__ == "__main__":
    main()
