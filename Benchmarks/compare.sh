#!/usr/bin/env bash
# Benchmarks/compare.sh FILE — portolan analyze against the C yardstick and the tools an
# operator would otherwise use, on the same capture with a warm page cache.
#
# Each tool does the closest job to `portolan analyze` that it has (see the "does" column of
# the table); each is timed by hyperfine (median of RUNS runs after one warm-up; tools that
# take more than a few seconds per run get SLOW_RUNS). Prints one Markdown table: median wall
# time, CPU time (user + system, mean; a tool that sleeps at shutdown or runs threads shows it
# here), packets/s, and packets/s relative to portolan analyze.
#
# Environment:
#   RUNS=5 SLOW_RUNS=2      runs per command (fast / slow tools)
#   PORTOLAN=path           the portolan binary (default: release build in .build-release)
#   ANALYZE_ARGS="..."      extra arguments for portolan analyze
#   SKIP="tshark argus"     tools to leave out
#   NO_INSTALL=1            do not apt-get install missing tools (skip them instead)
#   OUT=dir                 where hyperfine's JSON and the tools' output go (default: mktemp)
set -euo pipefail

if [[ $# -lt 1 || ! -f "$1" ]]; then
    echo "usage: Benchmarks/compare.sh CAPTURE.pcap" >&2
    exit 2
fi
FILE=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-2}
SKIP=" ${SKIP:-} "
OUT=${OUT:-$(mktemp -d /tmp/portolan-compare.XXXXXX)}
mkdir -p "$OUT"
NOTES=()

note() { NOTES+=("$1"); echo "note: $1" >&2; }
skipped() { [[ "$SKIP" == *" $1 "* ]]; }

# --- tools -------------------------------------------------------------------------------
need() { # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ -z "${NO_INSTALL:-}" ]] && command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
        if apt-cache policy "$2" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            echo "installing $2 for $1" >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || true
        fi
    fi
    command -v "$1" >/dev/null 2>&1 && return 0
    note "$1 not installed (package $2 not available here): skipped"
    return 1
}

command -v hyperfine >/dev/null || need hyperfine hyperfine || { echo "hyperfine is required" >&2; exit 2; }

PORTOLAN=${PORTOLAN:-}
if [[ -z "$PORTOLAN" ]]; then
    echo "building portolan (release, .build-release)…" >&2
    (cd "$ROOT" && swift build -c release --scratch-path .build-release --product portolan 2>&1 | tail -1) >&2
    PORTOLAN="$ROOT/.build-release/release/portolan"
fi
make -s -C "$HERE/reference" portolan-ref >&2
REF="$HERE/reference/portolan-ref"

# --- the capture --------------------------------------------------------------------------
SIZE=$(stat -c %s "$FILE")
echo "warming the page cache with $FILE ($SIZE bytes)…" >&2
cat "$FILE" >/dev/null
PACKETS=$("$REF" --read-only "$FILE" | awk '{print $2}')
echo "$PACKETS packets" >&2
# A 100-packet copy measures each tool's fixed cost (start-up, shutdown waits), so the table can
# also show packets/s net of it.
TINY="$OUT/tiny.pcap"
tcpdump -r "$FILE" -c 100 -w "$TINY" 2>/dev/null

# --- commands: name | command | what it does ------------------------------------------------
NAMES=(); CMDS=(); DOES=(); SLOW=()
add() { NAMES+=("$1"); CMDS+=("$2"); DOES+=("$3"); SLOW+=("${4:-0}"); }

if "$PORTOLAN" analyze ${ANALYZE_ARGS:-} "$TINY" >/dev/null 2>&1; then
    add "portolan analyze" "$PORTOLAN analyze ${ANALYZE_ARGS:-} '$FILE' >/dev/null" \
        "mmap walk, decode (tunnels, ICMP quotes), flows with state, catalog verdicts, report; no DPI"
else
    # Before `portolan analyze` exists: the same pipeline through `portolan bench --only analyze`
    # (walk, decode, FlowAnalyzer, snapshot with verdicts; no report rendering).
    note "portolan analyze is not usable in this build: measured 'portolan bench --only analyze' (no report rendering)"
    add "portolan analyze" "$PORTOLAN bench --file '$FILE' --only analyze >/dev/null" \
        "mmap walk, decode (tunnels, ICMP quotes), flows with state, catalog verdicts (snapshot); no report; no DPI"
fi
if "$PORTOLAN" analyze --help 2>/dev/null | grep -q -- '--threads'; then
    add "portolan analyze --threads 2" "$PORTOLAN analyze --threads 2 ${ANALYZE_ARGS:-} '$FILE' >/dev/null" \
        "as above, the file cut into 2 byte ranges read on 2 threads, appended exactly"
else
    add "portolan bench --only analyze" "$PORTOLAN bench --file '$FILE' --only analyze >/dev/null" \
        "the analyze pipeline without the report (walk, decode, flows, verdict snapshot), 1 thread"
    add "portolan bench --only analyze --threads 2" "$PORTOLAN bench --file '$FILE' --only analyze --threads 2 >/dev/null" \
        "the analyze pipeline (no report), the file cut into 2 byte ranges on 2 threads"
fi
add "C reference (mmap)" "'$REF' '$FILE' >/dev/null" \
    "mmap walk, decode Eth/VLAN/IPv4/IPv6/TCP/UDP/ICMP, open-addressing flow table, port table; no report"
add "C reference (libpcap)" "'$REF' --libpcap '$FILE' >/dev/null" \
    "the same work, reading with libpcap pcap_next_ex"
add "libpcap pcap_next_ex loop" "'$REF' --libpcap --read-only '$FILE' >/dev/null" \
    "reads every record with pcap_next_ex, no decode: the reading floor"
if ! skipped tcpdump && need tcpdump tcpdump; then
    add "tcpdump -q -nn -r" "tcpdump -q -nn -r '$FILE' >/dev/null 2>&1" \
        "decodes and prints one line per packet; no flows, no DPI" 1
fi
if ! skipped tshark && need tshark tshark; then
    add "tshark -q -z conv,tcp -z conv,udp" "tshark -n -q -z conv,tcp -z conv,udp -r '$FILE' >/dev/null 2>&1" \
        "full dissection of every layer (payload dissectors included), TCP/UDP conversation table" 1
fi
if ! skipped ndpiReader && need ndpiReader libndpi-bin; then
    add "ndpiReader -i" "ndpiReader -q -i '$FILE' >/dev/null 2>&1" \
        "flows plus DPI (nDPI protocol detection on the first packets of each flow)" 1
fi
if ! skipped argus && need argus argus-server; then
    add "argus -r" "argus -r '$FILE' -w '$OUT/out.argus' >/dev/null 2>&1" \
        "bidirectional flow records with TCP state (no DPI), written to a file" 1
fi
if ! skipped pmacctd && need pmacctd pmacct; then
    cat >"$OUT/pmacctd.conf" <<EOF
daemonize: false
pcap_savefile: $FILE
pcap_savefile_wait: false
aggregate: src_host, dst_host, src_port, dst_port, proto, vlan
plugins: print
print_output_file: $OUT/pmacct.csv
print_output: csv
print_refresh_time: 86400
EOF
    add "pmacctd (pcap_savefile, print)" "pmacctd -f '$OUT/pmacctd.conf' >/dev/null 2>&1" \
        "unidirectional 5-tuple+VLAN aggregates (no state, no DPI); includes pmacct's fixed shutdown wait" 1
fi
if ! skipped nfpcapd && need nfpcapd nfdump; then
    add "nfpcapd -r" "rm -rf '$OUT/nfcapd' && mkdir -p '$OUT/nfcapd' && nfpcapd -r '$FILE' -w '$OUT/nfcapd' >/dev/null 2>&1" \
        "NetFlow-style unidirectional flow records (no state beyond flags, no DPI) written to nfcapd files" 1
fi

# --- run ----------------------------------------------------------------------------------
for i in "${!NAMES[@]}"; do
    runs=$RUNS
    warmup=1
    # The page cache is already warm; slow tools get no warm-up run.
    [[ "${SLOW[$i]}" == 1 ]] && runs=$SLOW_RUNS && warmup=0
    echo "== ${NAMES[$i]} ($runs runs)" >&2
    hyperfine --style none --warmup "$warmup" --runs "$runs" --ignore-failure --export-json "$OUT/$i.json" \
        "${CMDS[$i]}" >&2 || note "${NAMES[$i]}: hyperfine failed"
    tiny=${CMDS[$i]//"'$FILE'"/"'$TINY'"}
    tiny=${tiny//": $FILE"/": $TINY"}
    if [[ "${NAMES[$i]}" == pmacctd* ]]; then
        sed "s|^pcap_savefile: .*|pcap_savefile: $TINY|" "$OUT/pmacctd.conf" >"$OUT/pmacctd-tiny.conf"
        tiny=${tiny//pmacctd.conf/pmacctd-tiny.conf}
    fi
    hyperfine --style none --runs 2 --ignore-failure --export-json "$OUT/$i.tiny.json" "$tiny" >/dev/null 2>&1 || true
done

# --- table --------------------------------------------------------------------------------
python3 - "$OUT" "$PACKETS" "$SIZE" "$FILE" "${#NAMES[@]}" "${NAMES[@]}" "${DOES[@]}" <<'EOF'
import json, os, sys, datetime, statistics
out, packets, size, path, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
names, does = sys.argv[6:6 + n], sys.argv[6 + n:6 + 2 * n]
rows = []
for i in range(n):
    f = os.path.join(out, f"{i}.json")
    if not os.path.exists(f):
        rows.append((names[i], None, does[i])); continue
    r = json.load(open(f))["results"][0]
    if any(c != 0 for c in r.get("exit_codes", [])):
        rows.append((names[i], None, does[i] + f" (exit status {r['exit_codes'][0]})")); continue
    fixed = None
    ft = os.path.join(out, f"{i}.tiny.json")
    if os.path.exists(ft):
        fixed = min(json.load(open(ft))["results"][0]["times"])
    rows.append((names[i], statistics.median(r["times"]), does[i], fixed, r.get("user", 0) + r.get("system", 0)))
base = rows[0][1] if rows and rows[0][1] else None
load = open("/proc/loadavg").read().split()[:3]
cpus = os.cpu_count()
print(f"capture: {path} — {packets:,} packets, {size / 2**20:,.0f} MiB; {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; "
      f"warm page cache; median of hyperfine runs; {cpus} CPUs, load average at the end {' '.join(load)}")
print()
print("| tool | median s | CPU s | packets/s | speed vs portolan analyze | fixed s (100 pkts) | packets/s net of fixed | what it does |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for row in rows:
    name, t, d = row[0], row[1], row[2]
    if t is None:
        print(f"| {name} | — | — | — | — | — | — | {d} (failed) |"); continue
    fixed = row[3]
    pps = packets / t
    ratio = f"{base / t:.2f}×" if base else "—"
    net = f"{packets / (t - fixed) / 1e6:.2f} M" if fixed is not None and t > fixed else "—"
    fx = f"{fixed:.3f}" if fixed is not None else "—"
    print(f"| {name} | {t:.3f} | {row[4]:.3f} | {pps / 1e6:.2f} M | {ratio} | {fx} | {net} | {d} |")
EOF
for n in "${NOTES[@]}"; do echo "- $n"; done
echo "(raw hyperfine JSON in $OUT)" >&2
