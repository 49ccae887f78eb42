#!/usr/bin/env bash
# Instructions the pcap pipeline executes, per thread, under callgrind: repeatable on a busy
# machine, unlike wall-clock times. Runs on the first 150,000 frames of the fleet capture
# (334,080 MQTT packets), made from target/bench/fleet.pcap when missing.
#
#   benches/pipeline-icount.sh [PCAP OPTIONS...]     e.g. --stats --threads 1
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SUB=$ROOT/target/bench/fleet-sub.pcap
[[ -f $SUB ]] || editcap -F pcap -r "$ROOT/target/bench/fleet.pcap" "$SUB" 1-150000
(cd "$ROOT" && cargo build --release -q)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out/cg" \
  "$ROOT/target/release/mqtt-dissect" pcap "$@" "$SUB" > /dev/null 2> "$out/log" || true
packets=334080
for f in "$out"/cg-*; do
  ir=$(awk '/^summary:/ {print $2; exit}' "$f")
  [[ -n $ir ]] || continue
  printf 'thread %s: %s instructions, %s per packet\n' "${f##*-}" "$ir" "$((ir / packets))"
done
