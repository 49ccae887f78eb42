#!/usr/bin/env bash
# Checks that a change to the pipeline prints exactly what a baseline binary prints: every
# capture of testdata/captures and ../shared/captures (plus the first 150,000 frames of the
# fleet capture when it exists, and a sixth of the pcap_file fuzz seeds), in every output
# the pcap command has: standard output, standard error and exit status.
#
#   benches/compare-output.sh BASELINE_BINARY [NEW_BINARY]
#
# NEW_BINARY defaults to target/release/mqtt-dissect (built first). Prints each difference
# and exits 1 when there is one.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BASE=${1:?usage: compare-output.sh BASELINE_BINARY [NEW_BINARY]}
NEW=${2:-}
if [[ -z $NEW ]]; then
  (cd "$ROOT" && cargo build --release -q) || exit 2
  NEW=$ROOT/target/release/mqtt-dissect
fi
caps=()
while IFS= read -r -d '' f; do caps+=("$f"); done < <(find "$ROOT/testdata/captures" "$ROOT/../shared/captures" \
  -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 2>/dev/null | sort -z)
SUB=$ROOT/target/bench/fleet-sub.pcap
if [[ -f $ROOT/target/bench/fleet.pcap && ! -f $SUB ]] && command -v editcap >/dev/null; then
  editcap -F pcap -r "$ROOT/target/bench/fleet.pcap" "$SUB" 1-150000
fi
[[ -f $SUB ]] && caps+=("$SUB")
# Hostile captures: the pcap_file fuzz target's seeds (every 6th, to keep the run short).
n=0
while IFS= read -r -d '' f; do
  ((n++ % 6 == 0)) && caps+=("$f")
done < <(find "$ROOT/fuzz/corpus/pcap_file" -type f -print0 2>/dev/null | sort -z)
sets=("" "--threads 1" "-V" "--format json" "--format jsonl" "--format jsonl --threads 1"
  "--problems" "--stats" "--stats --threads 1" "--stats --format json" "--check" "--check --threads 1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
diffs=0 runs=0
for c in "${caps[@]}"; do
  for s in "${sets[@]}"; do
    # shellcheck disable=SC2086
    "$BASE" pcap $s "$c" > "$tmp/a" 2> "$tmp/ae"; ea=$?
    # shellcheck disable=SC2086
    "$NEW" pcap $s "$c" > "$tmp/b" 2> "$tmp/be"; eb=$?
    runs=$((runs + 1))
    if ! cmp -s "$tmp/a" "$tmp/b" || ! cmp -s "$tmp/ae" "$tmp/be" || [[ $ea != "$eb" ]]; then
      diffs=$((diffs + 1))
      echo "DIFFERENT: pcap $s $c (exit $ea vs $eb)"
      diff "$tmp/a" "$tmp/b" | head -5
      diff "$tmp/ae" "$tmp/be" | head -3
    fi
  done
done
echo "$runs runs over ${#caps[@]} captures, $diffs different"
((diffs == 0))
