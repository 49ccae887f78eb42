#!/usr/bin/env bash
# Runs one fuzz target for a while without writing into the checkout:
#   fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
# New inputs go to $FUZZ_SCRATCH/TARGET (default /tmp/fuzz-corpus/TARGET), listed first;
# the committed seeds in fuzz/corpus/TARGET are only read. Crashes land in
# fuzz/artifacts/TARGET (git-ignored). Built without AddressSanitizer (the crate has no
# `unsafe`; ASan's quarantine alone exceeds the 256 MB RSS limit), with debug assertions.
set -euo pipefail
cd "$(dirname "$0")"
target=$1
secs=${2:-1800}
shift $(( $# >= 2 ? 2 : 1 ))
scratch=${FUZZ_SCRATCH:-/tmp/fuzz-corpus}/$target
mkdir -p "$scratch" "corpus/$target"
limits=()
case $target in
  pcap_file|decode_packet|hex_input) limits=(-rss_limit_mb=256 -malloc_limit_mb=64) ;;
esac
dict=()
case $target in
  structured_roundtrip) ;;
  hex_input) dict=(-dict=hex.dict) ;;
  pcap_file) dict=(-dict=pcap.dict) ;;
  *) dict=(-dict=mqtt.dict) ;;
esac
exec nice -n 19 cargo +nightly fuzz run --sanitizer none "$target" "$scratch" "corpus/$target" -- \
  -max_total_time="$secs" -timeout=10 -print_final_stats=1 "${limits[@]}" "${dict[@]}" "$@"
