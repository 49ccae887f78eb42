#!/usr/bin/env bash
# Times mqtt-dissect against tshark on one capture, whole process, several runs, and prints
# a table of medians, ratios and peak memory (max RSS from /usr/bin/time).
#
#   benches/compare-tshark.sh [CAPTURE] [RUNS]
#
# CAPTURE defaults to target/bench/fleet.pcap (made by benches/make-fleet-capture.sh);
# RUNS defaults to 5. Builds mqtt-dissect in release mode first; installs tshark and GNU
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

# run NAME CMD...: RUNS timings; prints "median_seconds max_rss_kib"
run() {
  local times=() rss=0 t r
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %M' -o /tmp/compare-time.$$ "$@" > /dev/null 2>/dev/null || true
    read -r t r < /tmp/compare-time.$$
    times+=("$t")
    ((r > rss)) && rss=$r
  done
  rm -f /tmp/compare-time.$$
  printf '%s\n' "${times[@]}" | sort -g | awk -v rss="$rss" '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s %s\n", m, rss}'
}

size=$(stat -c %s "$CAP")
packets=$("$MD" pcap "$CAP" --format jsonl 2>/dev/null | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
echo "capture: $CAP ($((size / 1000000)) MB, $packets MQTT packets), $RUNS runs each, medians"
echo "mqtt-dissect threads: default ($(nproc) cores: the summary on 2, JSON on $(( $(nproc) < 4 ? $(nproc) + 1 : 5 )))"
echo "machine: $(nproc) cores, $(tshark -v | head -1 | cut -d' ' -f1-3), load $(cut -d' ' -f1 /proc/loadavg)"
echo
read -r cat_t cat_m < <(run cat "$CAP")
read -r sum_t sum_m < <(run "$MD" pcap "$CAP")
read -r sum1_t sum1_m < <(run "$MD" pcap --threads 1 "$CAP")
read -r ts_t ts_m < <(run tshark -n -r "$CAP" -Y mqtt)
read -r jl_t jl_m < <(run "$MD" pcap "$CAP" --format jsonl)
read -r jl1_t jl1_m < <(run "$MD" pcap --threads 1 "$CAP" --format jsonl)
read -r tj_t tj_m < <(run tshark -n -r "$CAP" -Y mqtt -T json)
read -r st_t st_m < <(run "$MD" pcap "$CAP" --stats)
read -r st1_t st1_m < <(run "$MD" pcap --threads 1 "$CAP" --stats)
ratio() { python3 -c "print(f'{$1/max($2,1e-9):.1f}')"; }
mbps() { python3 -c "print(f'{$size/max($1,1e-9)/1e6:.0f}')"; }
printf '| %-52s | %9s | %9s | %s |\n' "command" "median s" "max RSS" "ratio"
printf '|%s|%s|%s|%s|\n' "------------------------------------------------------" "-----------" "-----------" "------------------------------"
printf '| %-52s | %9s | %6s MiB | %s |\n' "cat CAPTURE > /dev/null" "$cat_t" "$((cat_m / 1024))" "floor ($(mbps "$cat_t") MB/s)"
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap CAPTURE" "$sum_t" "$((sum_m / 1024))" "$(ratio "$ts_t" "$sum_t")x faster than tshark -Y mqtt"
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap --threads 1 CAPTURE" "$sum1_t" "$((sum1_m / 1024))" "$(ratio "$ts_t" "$sum1_t")x (one thread)"
printf '| %-52s | %9s | %6s MiB | %s |\n' "tshark -r CAPTURE -Y mqtt" "$ts_t" "$((ts_m / 1024))" ""
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap CAPTURE --format jsonl" "$jl_t" "$((jl_m / 1024))" "$(ratio "$tj_t" "$jl_t")x faster than tshark -T json"
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap --threads 1 CAPTURE --format jsonl" "$jl1_t" "$((jl1_m / 1024))" "$(ratio "$tj_t" "$jl1_t")x (one thread)"
printf '| %-52s | %9s | %6s MiB | %s |\n' "tshark -r CAPTURE -Y mqtt -T json" "$tj_t" "$((tj_m / 1024))" ""
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap CAPTURE --stats" "$st_t" "$((st_m / 1024))" "$(ratio "$st_t" "$cat_t")x the time of cat ($(mbps "$st_t") MB/s)"
printf '| %-52s | %9s | %6s MiB | %s |\n' "mqtt-dissect pcap --threads 1 CAPTURE --stats" "$st1_t" "$((st1_m / 1024))" "$(ratio "$st1_t" "$cat_t")x the time of cat ($(mbps "$st1_t") MB/s)"
