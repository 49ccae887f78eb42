#!/bin/sh
# Instructions per packet (callgrind), for mqtt-dissect's no-tree stream decode and for
# rumqttc, on the four issue-8 vectors. Repeatable on a busy machine, unlike wall clock.
# The difference of two runs (20k and 120k packets) cancels the setup cost.
# Run from benches/ after `cargo build --release --bin decode_loop`.
set -e
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/decode_loop "$@" 2>&1 |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for v in pub12 v5pub conn3 conn5; do
  for who in ours rumqttc; do
    a=$(count $v 20000 $who)
    b=$(count $v 120000 $who)
    printf '%s %s %s\n' "$v" "$who" $(( (b - a) / 100000 ))
  done
done
