#!/usr/bin/env bash
# Keeps the pcap pipeline fast: counts the instructions it executes per MQTT packet (under
# valgrind, which counts the same on a busy machine as on a quiet one) on a capture made by
# benches/src/bin/synthetic_fleet.rs (the same bytes everywhere), one thread, and fails when
# a mode goes over its budget in benches/icount-budget.txt. CI runs it.
#
#   benches/icount-guard.sh            # check against the budgets
#
# A change that makes a mode slower on purpose raises its budget in the same commit, saying
# why; one that makes it faster lowers it (about 10% above the new count), so that the next
# slip is caught.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUDGET=$HERE/icount-budget.txt
ROUNDS=2000
if ! command -v valgrind >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
(cd "$ROOT" && cargo build --release -q)
(cd "$HERE" && cargo build --profile bench -q --bin synthetic_fleet)
MD=$ROOT/target/release/mqtt-dissect
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
packets=$("$HERE/target/release/synthetic_fleet" "$tmp/fleet.pcap" "$ROUNDS")
echo "capture: synthetic fleet, $ROUNDS rounds, $packets MQTT packets"
# The budgets are for well-formed traffic: a capture with findings would measure other paths.
"$MD" pcap --check "$tmp/fleet.pcap" > "$tmp/check" || {
  tail -n 20 "$tmp/check"
  echo "the synthetic capture is not clean MQTT (pcap --check failed)"
  exit 1
}
over=0
while read -r mode budget opts; do
  [[ -z $mode || $mode == \#* ]] && continue
  # shellcheck disable=SC2086
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$tmp/cg" \
    "$MD" pcap $opts "$tmp/fleet.pcap" > /dev/null 2> "$tmp/log" || {
    tail -n 20 "$tmp/log"
    echo "$mode: mqtt-dissect pcap $opts failed"
    exit 1
  }
  ir=$(awk '/^summary:/ {print $2}' "$tmp/cg")
  per=$((ir / packets))
  if ((per > budget)); then
    verdict="OVER BUDGET"
    over=1
  else
    verdict=ok
  fi
  printf '%-8s %6d instructions per packet (budget %6d, pcap %s): %s\n' \
    "$mode" "$per" "$budget" "$opts" "$verdict"
done < "$BUDGET"
if ((over)); then
  echo "a mode went over its instruction budget (benches/icount-budget.txt says how to proceed)"
  exit 1
fi
