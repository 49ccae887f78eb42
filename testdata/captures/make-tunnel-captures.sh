#!/usr/bin/env bash
# Regenerate the tunnel captures in this folder (see README.md, "Tunnels"):
#
#   testdata/captures/make-tunnel-captures.sh
#
# vxlan.pcap is real kernel VXLAN: two network namespaces joined by a veth pair (an
# underlay of 10.99.0.0/24 and fd99::/64 that exists only on this machine), one VXLAN
# device over IPv4 on port 4789 and one over IPv6 on port 8472 (flannel's and Cilium's
# port), mosquitto in one namespace, mosquitto_pub/sub in the other, tcpdump on the veth.
# tunnels.pcap re-encapsulates the frames of v5-session.pcap, one TCP connection per kind
# of tunnel the kernel here cannot make (GRE, gretap, ERSPAN II and III, GENEVE, IP in IP),
# with encapsulate.py. expect.py then decodes both with tshark, asserts the scenarios'
# intent, and writes the .expected.json files. Any failure stops with a non-zero status.
#
# Needs root (namespaces), the vxlan kernel module, mosquitto, mosquitto-clients, tcpdump
# and tshark (make-captures.sh installs them).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/mqtt-tunnels.XXXXXX)
chmod 755 "$WORK"
CLI=mqd-cli-$$
SRV=mqd-srv-$$

log() { printf '[make-tunnel-captures] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
  ip netns pids "$SRV" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$CLI" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.2
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$SRV" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "network namespaces need root"
for t in mosquitto mosquitto_pub mosquitto_sub tcpdump tshark; do
  command -v $t >/dev/null || die "$t is missing (make-captures.sh installs it)"
done

# ---------------------------------------------------------------- the underlay and tunnels
ip netns add "$CLI"
ip netns add "$SRV"
ip link add vcli netns "$CLI" type veth peer name vsrv netns "$SRV"
in_cli() { ip netns exec "$CLI" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }
for side in cli:1 srv:2; do
  ns=mqd-${side%%:*}-$$ n=${side#*:} dev=v${side%%:*}
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add 10.99.0.$n/24 dev "$dev"
  ip -n "$ns" addr add fd99::$n/64 dev "$dev" nodad
  ip -n "$ns" link set "$dev" up
  peer=$((3 - n))
  ip -n "$ns" link add vx4 type vxlan id 42 dstport 4789 local 10.99.0.$n remote 10.99.0.$peer
  ip -n "$ns" link add vx6 type vxlan id 4242 dstport 8472 local fd99::$n remote fd99::$peer
  ip -n "$ns" addr add 192.168.42.$n/24 dev vx4
  ip -n "$ns" addr add 192.168.43.$n/24 dev vx6
  ip -n "$ns" link set vx4 up
  ip -n "$ns" link set vx6 up
done

cat >"$WORK/mosquitto.conf" <<EOF
allow_anonymous true
persistence false
log_dest stderr
listener 1883 192.168.42.2
listener 1883 192.168.43.2
EOF
in_srv timeout 60 mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
for _ in $(seq 50); do grep -q running "$WORK/mosquitto.log" && break; sleep 0.1; done
grep -q running "$WORK/mosquitto.log" || { cat "$WORK/mosquitto.log" >&2; die "mosquitto did not start"; }

in_cli timeout 60 tcpdump --immediate-mode -i vcli -U -w "$WORK/vxlan.pcap" udp 2>"$WORK/tcpdump.err" &
TCPDUMP=$!
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done

# ---------------------------------------------------------------- the scenario
# A 5.0 subscriber over the IPv4 VXLAN, at QoS 2; a 5.0 publisher over the same at QoS 1; a
# 3.1.1 publisher over the IPv6 VXLAN (8472) at QoS 2. The subscriber gets both messages.
in_cli timeout 20 mosquitto_sub -V 5 -h 192.168.42.2 -i tun-sub -q 2 -t 'tun/#' -C 2 -v \
  >"$WORK/sub.out" 2>&1 &
SUB=$!
sleep 1
in_cli timeout 10 mosquitto_pub -V 5 -h 192.168.42.2 -i tun-pub4 -q 1 -t tun/v4 -m 'over VXLAN 4789'
in_cli timeout 10 mosquitto_pub -V 311 -h 192.168.43.2 -i tun-pub6 -q 2 -t tun/v6 -m 'over VXLAN 8472'
wait $SUB || { cat "$WORK/sub.out" >&2; die "the subscriber did not get both messages"; }
sleep 0.5
kill -INT $TCPDUMP; wait $TCPDUMP 2>/dev/null || true
cat "$WORK/sub.out" >&2

python3 "$HERE/expect.py" "$WORK/vxlan.pcap" vxlan 1883 || die "vxlan.pcap does not show what was done"
python3 "$HERE/encapsulate.py" "$HERE/v5-session.pcap" "$WORK/tunnels.pcap"
python3 "$HERE/expect.py" "$WORK/tunnels.pcap" tunnels 1883 || die "tunnels.pcap does not show what was done"
for f in vxlan tunnels; do
  chmod 644 "$WORK/$f.pcap"
  mv "$WORK/$f.pcap" "$WORK/$f.expected.json" "$HERE/"
done
log "done: vxlan.pcap, tunnels.pcap"
