#!/usr/bin/env bash
# Times mqtt-dissect against tshark on one capture, whole process, in rounds (each command
# once per round), and prints a table of medians, ratios and peak memory (max RSS from
# /usr/bin/time).
#
#   benches/compare-tshark.sh [CAPTURE] [RUNS]
#   ONLY="cat sum ts st" benches/compare-tshark.sh ...   # a subset of the commands (keys below)
#
# CAPTURE defaults to target/bench/fleet.pcap (made by benches/make-fleet-capture.sh);
# RUNS (rounds) defaults to 5. Builds mqtt-dissect in release mode first; installs tshark and GNU
# time when missing. Output goes to /dev/null: what is timed is the decoding and printing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CAP=${1:-$ROOT/target/bench/fleet.pcap}
RUNS=${2:-5}
[[ -f $CAP ]] || { echo "no capture $CAP: run benches/make-fleet-capture.sh first" >&2; exit 2; }
need=()
command -v tshark >/dev/null || need+=(tshark)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
(cd "$ROOT" && cargo build --release -q)
MD=$ROOT/target/release/mqtt-dissect

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The commands, by key. They run in rounds (every command once per round, in this order),
# so that the machine getting faster or slower during the run (it does, by tens of per
# cent on a shared VM) shifts every command alike, and each ratio is the median of the
# ratios of one round.
# shellcheck disable=SC2206
keys=(${ONLY:-cat sum sum1 ts jl jl1 tj st st2})
declare -A cmd=(
  [cat]="cat $CAP"
  [sum]="$MD pcap $CAP"
  [sum1]="$MD pcap --threads 1 $CAP"
  [ts]="tshark -n -r $CAP -Y mqtt"
  [jl]="$MD pcap $CAP --format jsonl"
  [jl1]="$MD pcap --threads 1 $CAP --format jsonl"
  [tj]="tshark -n -r $CAP -Y mqtt -T json"
  [st]="$MD pcap $CAP --stats"
  [st2]="$MD pcap --threads 2 $CAP --stats"
)
declare -A secs rss
# once KEY: one run; appends its wall-clock seconds (microsecond clock) to secs[KEY] and
# keeps the largest max RSS (KiB) in rss[KEY].
once() {
  local s e r
  s=$EPOCHREALTIME
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$tmp/rss" ${cmd[$1]} > /dev/null 2>/dev/null || true
  e=$EPOCHREALTIME
  read -r r < "$tmp/rss"
  secs[$1]+="$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.4f", e - s}') "
  ((r > ${rss[$1]:-0})) && rss[$1]=$r
  return 0
}
for ((i = 0; i < RUNS; i++)); do
  for k in "${keys[@]}"; do once "$k"; done
done
# median VALUES...
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
# ratio A B: the median over the rounds of A's time / B's time.
ratio() {
  [[ -n ${secs[$1]:-} && -n ${secs[$2]:-} ]] || { echo "-"; return; }
  local a b r=() i
  read -r -a a <<< "${secs[$1]}"
  read -r -a b <<< "${secs[$2]}"
  for ((i = 0; i < ${#a[@]}; i++)); do
    r+=("$(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.4f", x / (y > 0 ? y : 1e-9)}')")
  done
  median "${r[@]}" | awk '{printf "%.1f", $1}'
}
t() { read -r -a v <<< "${secs[$1]:-}"; median "${v[@]}"; }
m() { echo "$((${rss[$1]:-0} / 1024))"; }
mbps() { awk -v s="$size" -v t="$(t "$1")" 'BEGIN {printf "%.0f", s / (t > 0 ? t : 1e-9) / 1e6}'; }

size=$(stat -c %s "$CAP")
packets=$("$MD" pcap "$CAP" --format jsonl 2>/dev/null | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
echo "capture: $CAP ($((size / 1000000)) MB, $packets MQTT packets), $RUNS rounds, medians"
echo "mqtt-dissect threads: default ($(nproc) cores: the summary on 2, JSON on $(( $(nproc) < 4 ? $(nproc) + 1 : 5 )), --stats on 1)"
echo "machine: $(nproc) cores, $(tshark -v 2>/dev/null | head -1 | cut -d' ' -f1-3), load $(cut -d' ' -f1 /proc/loadavg)"
echo
# row LABEL KEY RATIO: a table row, left out when KEY was not run.
row() { [[ -n ${secs[$2]:-} ]] || return 0; printf '| %-52s | %9s | %6s MiB | %s |\n' "$1" "$(t "$2")" "$(m "$2")" "$3"; }
printf '| %-52s | %9s | %9s | %s |\n' "command" "median s" "max RSS" "ratio (median of the rounds' ratios)"
printf '|%s|%s|%s|%s|\n' "------------------------------------------------------" "-----------" "-----------" "------------------------------"
row "cat CAPTURE > /dev/null" cat "floor ($(mbps cat) MB/s)"
row "mqtt-dissect pcap CAPTURE" sum "$(ratio ts sum)x faster than tshark -Y mqtt"
row "mqtt-dissect pcap --threads 1 CAPTURE" sum1 "$(ratio ts sum1)x (one thread)"
row "tshark -r CAPTURE -Y mqtt" ts ""
row "mqtt-dissect pcap CAPTURE --format jsonl" jl "$(ratio tj jl)x faster than tshark -T json"
row "mqtt-dissect pcap --threads 1 CAPTURE --format jsonl" jl1 "$(ratio tj jl1)x (one thread)"
row "tshark -r CAPTURE -Y mqtt -T json" tj ""
row "mqtt-dissect pcap CAPTURE --stats" st "$(ratio st cat)x the time of cat ($(mbps st) MB/s)"
row "mqtt-dissect pcap --threads 2 CAPTURE --stats" st2 "$(ratio st2 cat)x the time of cat ($(mbps st2) MB/s)"
