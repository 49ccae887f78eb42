#!/usr/bin/env bash
# Makes a large capture (default 8 rounds, about 600 MB) for the memory measurement of
# issue 8: benches/make-fleet-capture.sh run ROUNDS times in a row (each round has its own
# client connections, as a broker sees over a longer time), appended with mergecap.
#
#   benches/make-large-capture.sh [OUT.pcap] [ROUNDS]
#
# OUT defaults to target/bench/fleet-large.pcap. Needs what make-fleet-capture.sh needs,
# plus mergecap (wireshark-common, installed with tshark when missing).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../target/bench/fleet-large.pcap}
ROUNDS=${2:-8}
command -v mergecap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wireshark-common >/dev/null
}
WORK=$(mktemp -d /tmp/fleet-large.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
parts=()
for ((r = 1; r <= ROUNDS; r++)); do
  "$HERE/make-fleet-capture.sh" "$WORK/round-$r.pcap" 1 2>/dev/null
  parts+=("$WORK/round-$r.pcap")
done
mkdir -p "$(dirname "$OUT")"
mergecap -a -F pcap -w "$OUT" "${parts[@]}"
ls -l "$OUT" >&2
