#!/usr/bin/env bash
# Benchmarks/targets.sh — measures issue 12's targets in one run and prints a Markdown table.
#
#   instructions (callgrind, repeatable): marginal instructions per packet of each output format
#   and of `decode` on a 100,000-packet capture (run on it − run on its 24-byte header), the C
#   reference's, and the whole run on the header-only capture (start-up);
#   wall time (noisy, alternating runs, medians): `--format jsonl -o FILE` on a 10-million-packet
#   capture against the C reference, and the same capture piped (`cat FILE | portolan analyze -`)
#   against by path, with peak RSS.
#
# Environment:
#   PORTOLAN=path   the portolan binary (default: a release build in .build-targets, with
#                   --static-swift-stdlib as the README installs it)
#   BIG=path        the 10 M-packet capture (default: generated into /tmp once)
#   RUNS=5          alternating runs per wall-time pair
#   SKIP_WALL=1     instructions only
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-5}
WORK=$(mktemp -d /tmp/portolan-targets.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for tool in valgrind hyperfine; do
    command -v $tool >/dev/null || { echo "$tool is required (apt-get install $tool)" >&2; exit 2; }
done

PORTOLAN=${PORTOLAN:-}
if [[ -z "$PORTOLAN" ]]; then
    echo "building portolan (release, static Swift runtime, .build-targets)…" >&2
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-targets \
        --product portolan 2>&1 | tail -1) >&2
    PORTOLAN="$ROOT/.build-targets/release/portolan"
fi
# valgrind 3.19 cannot read Swift's DWARF 5; symbols stay, so per-function costs still show.
cp "$PORTOLAN" "$WORK/portolan" && strip --strip-debug "$WORK/portolan"
P="$WORK/portolan"
make -s -C "$HERE/reference" portolan-ref >&2
REF="$HERE/reference/portolan-ref"

SMALL="$WORK/100k.pcap"
"$P" bench --packets 100000 --flows 10000 --write "$SMALL" --generate-only >/dev/null
head -c 24 "$SMALL" >"$WORK/empty.pcap"
FLOWS=$("$P" analyze --no-progress --format jsonl "$SMALL" | wc -l)

instructions() { # instructions CMD… → total instructions of the run
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg" "$@" >/dev/null 2>"$WORK/vg" || true
    awk '/^summary:/ {print $2}' "$WORK/cg"
}
marginal() { # marginal "ARGS with @CAPTURE@ placeholder" → instr/packet
    local full empty
    full=$(instructions "${@//@CAPTURE@/$SMALL}")
    empty=$(instructions "${@//@CAPTURE@/$WORK/empty.pcap}")
    awk -v a="$full" -v b="$empty" 'BEGIN { printf "%.0f", (a - b) / 100000 }'
}

echo "| what | measured | target |"
echo "|---|---:|---|"
ref=$(marginal "$REF" @CAPTURE@)
table=$(marginal "$P" analyze --no-progress -o "$WORK/out" @CAPTURE@)
echo "| C reference, instr/packet (100 k packets, $FLOWS flows) | $ref | — |"
echo "| table, instr/packet | $table ($(awk -v a="$table" -v b="$ref" 'BEGIN{printf "%.2f", a/b}')× the C reference) | ≤ 1.25× |"
for f in jsonl json csv; do
    v=$(marginal "$P" analyze --no-progress --format $f -o "$WORK/out" @CAPTURE@)
    per=$(awk -v a="$v" -v b="$table" -v f="$FLOWS" 'BEGIN{printf "%.0f", (a - b) * 100000 / f}')
    echo "| $f, instr/packet | $v ($(awk -v a="$v" -v b="$table" 'BEGIN{printf "%.2f", a/b}')× table; $per per flow above it) | ≤ 1.25× table; ≤ 1,500 per flow |"
done
dec=$(marginal "$P" decode @CAPTURE@)
echo "| decode, instr/packet | $dec | ≤ 600 |"
for f in table jsonl; do
    s=$(instructions "$P" analyze --no-progress --format $f -o "$WORK/out" "$WORK/empty.pcap")
    echo "| start-up, analyze --format $f on an empty capture | $(awk -v a="$s" 'BEGIN{printf "%.1f M", a/1e6}') | ≤ 10 M |"
done
s=$(instructions "$REF" "$WORK/empty.pcap")
echo "| start-up, the C reference | $(awk -v a="$s" 'BEGIN{printf "%.1f M", a/1e6}') | — |"

[[ -n "${SKIP_WALL:-}" ]] && exit 0

BIG=${BIG:-/tmp/portolan-targets-10m.pcap}
if [[ ! -f "$BIG" ]]; then
    echo "generating $BIG (10 M packets, 100 k conversations)…" >&2
    "$P" bench --packets 10000000 --flows 100000 --write "$BIG" --generate-only >/dev/null
fi
cat "$BIG" >/dev/null  # warm page cache

# One run: prints "seconds peak-KiB".
timed() { /usr/bin/time -f "%e %M" -o "$WORK/t" bash -c "$1" >/dev/null 2>&1; cat "$WORK/t"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

: >"$WORK/a"; : >"$WORK/b"; : >"$WORK/c"; : >"$WORK/d"; : >"$WORK/rss"
for ((i = 0; i < RUNS; i++)); do
    timed "'$REF' '$BIG'" | awk '{print $1}' >>"$WORK/a"
    timed "'$P' analyze --no-progress --format jsonl -o '$WORK/big.jsonl' '$BIG'" | awk '{print $1}' >>"$WORK/b"
    timed "'$P' analyze --no-progress -o '$WORK/big.txt' '$BIG'" | awk '{print $1}' >>"$WORK/c"
    timed "cat '$BIG' | '$P' analyze --no-progress -o '$WORK/big.txt' -" >"$WORK/one"
    awk '{print $1}' "$WORK/one" >>"$WORK/d"; awk '{print $2}' "$WORK/one" >>"$WORK/rss"
done
a=$(median <"$WORK/a"); b=$(median <"$WORK/b"); c=$(median <"$WORK/c"); d=$(median <"$WORK/d")
rss=$(sort -n "$WORK/rss" | tail -1)
echo "| 10 M packets, jsonl -o FILE vs the C reference (median of $RUNS, alternating) | $b s vs $a s: $(awk -v a="$b" -v b="$a" 'BEGIN{printf "%.2f", a/b}')× | ≤ 1.15× |"
echo "| 10 M packets piped vs by path (table) | $d s vs $c s: $(awk -v a="$d" -v b="$c" 'BEGIN{printf "%.2f", a/b}')×; peak RSS piped $(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}') MiB | ≤ 1.3×; ≤ 128 MiB |"
