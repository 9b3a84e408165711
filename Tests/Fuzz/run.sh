#!/usr/bin/env bash
# The libFuzzer harness (Sources/PortolanFuzz/Fuzz.swift): builds it (release, for speed) with libFuzzer and
# AddressSanitizer in its own scratch folder (the root's `swift build`/`swift test` never build it)
# and runs it for SECONDS (default 120), seeded with the capture files of Captures/ and of
# ../shared/corpus (when present). A finding stops it: exit status not 0, the input kept as
# crash-*/leak-*/timeout-* in the work folder it prints.
#   Tests/Fuzz/run.sh [SECONDS] [extra libFuzzer options…]
#   Tests/Fuzz/run.sh 0 crash-1234…       (replay one input)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
seconds="${1:-120}"
shift || true
scratch="$root/.build-fuzz"

# SwiftPM's --sanitize=fuzzer links libFuzzer but instruments C targets only: without
# -sanitize-coverage the Swift modules have no coverage counters and libFuzzer runs blind.
flags=(--package-path "$here" -c release --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
swift build "${flags[@]}" --product PortolanFuzz 2>&1 | grep -E "error|warning: unre|complete" || true
bin="$(swift build "${flags[@]}" --show-bin-path)/PortolanFuzz"
[ -x "$bin" ] || { echo "fuzz: build failed"; exit 1; }

if [ "$seconds" = 0 ]; then
    exec "$bin" -runs=1 "$@"
fi

work="$(mktemp -d /tmp/portolan-fuzz.XXXXXX)"
mkdir -p "$work/corpus" "$work/seeds"
# Seeds: capture files only (not the TSV, YAML and PNG beside them).
for d in "$root/Captures" "$root/Captures/issue11" "$root/../shared/corpus"; do
    [ -d "$d" ] || continue
    find "$d" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.snoop' -o -name '*.cap' \
        -o -name '*.gz' -o -name '*.zst' -o -name '*.ntar' \) -size -2M -exec cp {} "$work/seeds/" \;
done
echo "fuzz: $(ls "$work/seeds" | wc -l) seeds, $seconds s, work folder $work"
# -max_len: mutated inputs up to 64 KiB (seeds are larger; libFuzzer mutates their beginning).
# -rss_limit_mb: a 16 MiB decompression bound and flow tables stay far below it.
set +e
"$bin" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix="$work/" -print_final_stats=1 "$@" > "$work/log" 2>&1
rc=$?
set -e
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|==[0-9]+==|Test unit written" "$work/log" | tail -n 20
if [ "$rc" -ne 0 ]; then
    tail -n 60 "$work/log"
    echo "fuzz: FINDING (exit $rc); inputs in $work"
    exit 1
fi
echo "fuzz: no finding in $seconds s"
rm -rf "$work"
