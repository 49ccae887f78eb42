#!/usr/bin/env bash
# Makes the large benchmark capture from real broker traffic: mosquitto on loopback, two
# subscribers (3.1.1 QoS 1 and 5.0 QoS 2), publishers with mosquitto_pub -l (3.1.1 and 5.0,
# QoS 0, 1 and 2), everything recorded by tcpdump on lo. About a million MQTT packets.
#
#   benches/make-fleet-capture.sh [OUT.pcap] [SCALE]
#
# OUT defaults to target/bench/fleet.pcap; SCALE (default 1) multiplies the message counts.
# Needs root (tcpdump); installs mosquitto, mosquitto-clients and tcpdump when missing.
# Loopback only; every process is bounded in time and killed on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../target/bench/fleet.pcap}
SCALE=${2:-1}
PORT=1883
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d /tmp/fleet.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

need=()
for pair in mosquitto:mosquitto mosquitto_pub:mosquitto-clients tcpdump:tcpdump; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 100
persistence false
log_dest none
CONF
chmod 755 "$WORK"
timeout 600 mosquitto -c "$WORK/mosquitto.conf" & PIDS+=($!)
sleep 0.5

timeout 600 tcpdump -i lo -s 0 -B 65536 -U -w "$OUT" "tcp port $PORT" 2>"$WORK/tcpdump.log" & TCPDUMP=$!
PIDS+=($TCPDUMP)
sleep 1

timeout 600 mosquitto_sub -p $PORT -V mqttv311 -q 1 -t 'fleet/#' -i sub-311 > /dev/null & SUB1=$!
timeout 600 mosquitto_sub -p $PORT -V mqttv5 -q 2 -t 'fleet/+/status' -i sub-5 > /dev/null & SUB2=$!
PIDS+=($SUB1 $SUB2)
sleep 0.5

n0=$((150000 * SCALE)); n1=$((40000 * SCALE)); n2=$((15000 * SCALE))
pub() { # id version qos count topic
  seq -f "{\"device\":\"$1\",\"seq\":%g,\"temp\":21.5}" 1 "$4" |
    timeout 600 mosquitto_pub -p $PORT -V "$2" -q "$3" -i "$1" -t "$5" -l
}
pub dev-a mqttv311 0 "$n0" fleet/dev-a/telemetry &
pub dev-b mqttv5 0 "$n0" fleet/dev-b/telemetry &
pub dev-c mqttv311 1 "$n1" fleet/dev-c/status &
pub dev-d mqttv5 1 "$n1" fleet/dev-d/status &
pub dev-e mqttv5 2 "$n2" fleet/dev-e/status &
wait %4 %5 %6 %7 %8 2>/dev/null || wait
sleep 2
kill $SUB1 $SUB2 2>/dev/null || true
sleep 1
kill -INT $TCPDUMP 2>/dev/null || true
wait $TCPDUMP 2>/dev/null || true
cat "$WORK/tcpdump.log" >&2
ls -l "$OUT" >&2
