#!/usr/bin/env bash
# Regenerate the TLS captures and their key logs (see README.md, "TLS with a key log"):
#
#   testdata/captures/make-tls-captures.sh        tls-keylog.pcap
#   testdata/captures/make-tls-captures.sh ccm    tls-ccm.pcap
#
# mosquitto on 127.0.0.1:8883 with a fresh self-signed P-256 certificate, restarted once per
# TLS 1.3 cipher suite (ciphers_tls1.3), and paho-mqtt clients whose Python ssl contexts
# write the session secrets to the key log (keylog_filename).
# tls-keylog: TLS 1.3 with each of its three default suites and TLS 1.2 with AES-128-GCM,
# AES-256-GCM, ChaCha20-Poly1305, AES-128-CBC with HMAC-SHA1 (encrypt-then-MAC) and AES-256-CBC
# with HMAC-SHA384 (MAC then encrypt); one more client logs no key.
# ccm: TLS 1.3 with TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 (which clients offer
# only when told to: an OpenSSL configuration file names them), and TLS 1.2 with the four
# ECDHE-ECDSA AES-CCM and CCM_8 suites of embedded TLS stacks.
# expect.py then decodes the capture with tshark and the key log, asserts what the clients
# did, and writes NAME.expected.json.
#
# Needs root (tcpdump on lo), openssl, mosquitto, tcpdump, tshark and paho-mqtt 2.x
# (make-captures.sh installs them).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MODE=${1:-keylog}
case $MODE in
  keylog) NAME=tls-keylog ;;
  ccm) NAME=tls-ccm ;;
  *) echo "usage: $0 [ccm]" >&2; exit 2 ;;
esac
WORK=$(mktemp -d /tmp/mqtt-tls.XXXXXX)
chmod 755 "$WORK"
BROKER_PID=""
CAP_PID=""
log() { printf '[make-tls-captures] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
  kill $BROKER_PID $CAP_PID 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "tcpdump on lo needs root"
for t in openssl mosquitto tcpdump tshark; do
  command -v $t >/dev/null || die "$t is missing (make-captures.sh installs it)"
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -days 3650 -subj "/CN=broker.test" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 644 "$WORK/key.pem"

start_broker() { # $1 = TLS 1.3 suites, $2 = TLS 1.2 suites (OpenSSL's default when empty)
  cat >"$WORK/mosquitto.conf" <<EOF
allow_anonymous true
persistence false
log_dest stderr
listener 8883 127.0.0.1
certfile $WORK/cert.pem
keyfile $WORK/key.pem
ciphers_tls1.3 $1
${2:+ciphers $2}
EOF
  : >"$WORK/mosquitto.log"
  timeout 60 mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 50); do grep -q running "$WORK/mosquitto.log" && return 0; sleep 0.1; done
  cat "$WORK/mosquitto.log" >&2
  die "mosquitto did not start"
}
stop_broker() {
  kill $BROKER_PID 2>/dev/null || true
  wait $BROKER_PID 2>/dev/null || true
  BROKER_PID=""
}
clients() { timeout 60 python3 "$HERE/tls-clients.py" "$WORK/cert.pem" "$WORK/$NAME.keylog" 8883 "$@"; }
# Clients that offer only the TLS 1.3 suites $1 (Python's ssl cannot set them itself).
clients_offering() {
  local suites=$1
  shift
  printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nCiphersuites = %s\n' \
    "$suites" >"$WORK/openssl.cnf"
  OPENSSL_CONF="$WORK/openssl.cnf" clients "$@"
}

timeout 90 tcpdump --immediate-mode -i lo -U -w "$WORK/$NAME.pcap" 'tcp port 8883' 2>"$WORK/tcpdump.err" &
CAP_PID=$!
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done

if [[ $MODE == keylog ]]; then
  start_broker TLS_AES_256_GCM_SHA384
  clients tls13-aes256:1.3::5:1 tls12-aes128:1.2:ECDHE-ECDSA-AES128-GCM-SHA256:4:1 \
    tls12-aes256:1.2:ECDHE-ECDSA-AES256-GCM-SHA384:5:2 tls12-chacha:1.2:ECDHE-ECDSA-CHACHA20-POLY1305:4:0 \
    tls12-cbc-sha:1.2:ECDHE-ECDSA-AES128-SHA:4:1 tls12-cbc-sha384:1.2:ECDHE-ECDSA-AES256-SHA384:5:2:noetm \
    tls13-nokey:1.3::5:1
  stop_broker
  start_broker TLS_CHACHA20_POLY1305_SHA256
  clients tls13-chacha:1.3::5:2
  stop_broker
  start_broker TLS_AES_128_GCM_SHA256
  clients tls13-aes128:1.3::4:1
  stop_broker
else
  CCM12=ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES256-CCM8
  start_broker TLS_AES_128_CCM_SHA256 $CCM12
  clients_offering TLS_AES_128_CCM_SHA256 tls13-ccm:1.3::5:1
  clients tls12-ccm:1.2:ECDHE-ECDSA-AES128-CCM:4:1 tls12-ccm256:1.2:ECDHE-ECDSA-AES256-CCM:5:2 \
    tls12-ccm8:1.2:ECDHE-ECDSA-AES128-CCM8:4:1 tls12-ccm8-256:1.2:ECDHE-ECDSA-AES256-CCM8:5:0
  stop_broker
  start_broker TLS_AES_128_CCM_8_SHA256 $CCM12
  clients_offering TLS_AES_128_CCM_8_SHA256 tls13-ccm8:1.3::4:2
  stop_broker
fi
sleep 0.5
kill -INT $CAP_PID; wait $CAP_PID 2>/dev/null || true
CAP_PID=""

python3 "$HERE/expect.py" "$WORK/$NAME.pcap" $NAME 8883 --tls-keylog="$WORK/$NAME.keylog" ||
  die "$NAME.pcap does not show what was done"
chmod 644 "$WORK/$NAME.pcap" "$WORK/$NAME.keylog"
# The pcap_file fuzz target decrypts with this key log: its seed must be this capture.
CORPUS="$HERE/../../fuzz/corpus/pcap_file"
[[ -f $HERE/$NAME.pcap ]] && rm -f "$CORPUS/$(sha1sum "$HERE/$NAME.pcap" | cut -c1-40)"
cp "$WORK/$NAME.pcap" "$CORPUS/$(sha1sum "$WORK/$NAME.pcap" | cut -c1-40)"
mv "$WORK/$NAME.pcap" "$WORK/$NAME.keylog" "$WORK/$NAME.expected.json" "$HERE/"
log "done: $NAME.pcap, $NAME.keylog"
