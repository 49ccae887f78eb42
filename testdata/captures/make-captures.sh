#!/usr/bin/env bash
# Regenerate the real-traffic MQTT captures in this folder (see README.md).
#
#   testdata/captures/make-captures.sh [SCENARIO...]     (default: all)
#
# Starts mosquitto on loopback (127.0.0.1 and ::1 only), records each scenario with tcpdump,
# drives real clients (clients.py: mosquitto_pub/sub, paho-mqtt 2.x, a raw-socket client for
# misbehaviour; ws-clients.js + aedes for MQTT over WebSocket), then expect.py decodes each capture
# with tshark, asserts it shows what the scenario did, and writes <capture>.expected.json.
# Any failure stops the script with a non-zero status.
#
# Needs root (tcpdump on lo). Installs what is missing: mosquitto, mosquitto-clients, tcpdump,
# tshark (apt-get), paho-mqtt (pip), and aedes/ws/mqtt from npm into a temporary folder.
# Environment: SKIP_INSTALL=1 to never install; SKIP_WS=1 to skip the WebSocket part;
# BROKER_PORT=N to force the broker port (default 1883 when free on loopback).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/mqtt-captures.XXXXXX)
chmod 755 "$WORK"
BROKER_PID=""
CAP_PIDS=()
WS_PID=""

log() { printf '[make-captures] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
  local p
  for p in "${CAP_PIDS[@]}" $BROKER_PID $WS_PID; do
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- dependencies
need_apt=()
for pair in mosquitto:mosquitto mosquitto_pub:mosquitto-clients tcpdump:tcpdump tshark:tshark \
            dumpcap:wireshark-common capinfos:wireshark-common; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
if ((${#need_apt[@]})); then
  [[ ${SKIP_INSTALL:-} == 1 ]] && die "missing: ${need_apt[*]} (SKIP_INSTALL=1)"
  [[ $(id -u) == 0 ]] || die "missing ${need_apt[*]}: run as root to install them"
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! python3 -c 'import paho.mqtt, sys; sys.exit(0 if paho.mqtt.__version__ >= "2" else 1)' 2>/dev/null; then
  [[ ${SKIP_INSTALL:-} == 1 ]] && die "paho-mqtt 2.x missing (SKIP_INSTALL=1)"
  log "pip install paho-mqtt 2.x"
  python3 -m pip install -q 'paho-mqtt>=2,<3' 2>/dev/null ||
    python3 -m pip install -q --break-system-packages 'paho-mqtt>=2,<3'
fi
[[ $(id -u) == 0 ]] || die "tcpdump on lo needs root"

# ---------------------------------------------------------------- broker port
port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
p = int(sys.argv[1])
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as mosquitto does: TIME_WAIT is fine
    try:
        s.bind((host, p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
EOF
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
if [[ -z ${BROKER_PORT:-} ]]; then
  if port_free 1883; then BROKER_PORT=1883; else
    BROKER_PORT=$(free_port)
    log "port 1883 is taken on loopback: using $BROKER_PORT (tshark needs -d tcp.port==$BROKER_PORT,mqtt)"
  fi
fi
export BROKER_PORT BROKER_HOST=127.0.0.1 BROKER_HOST6=::1

mosquitto_passwd -b -c "$WORK/passwd" alice secret 2>/dev/null
chmod 600 "$WORK/passwd"
# mosquitto started as root drops to the mosquitto user: let it read the password file
id mosquitto >/dev/null 2>&1 && chown mosquitto "$WORK/passwd"
write_conf() { # $1 = file, $2 = allow_anonymous
  cat >"$1" <<EOF
per_listener_settings false
allow_anonymous $2
password_file $WORK/passwd
persistence false
log_dest stderr
log_type all
listener $BROKER_PORT 127.0.0.1
listener $BROKER_PORT ::1
EOF
}
write_conf "$WORK/open.conf" true
write_conf "$WORK/closed.conf" false

start_broker() { # $1 = conf
  : >"$WORK/mosquitto.log"
  timeout 120 mosquitto -c "$1" >"$WORK/mosquitto.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 50); do
    grep -q "running" "$WORK/mosquitto.log" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$WORK/mosquitto.log" >&2
  die "mosquitto did not start on port $BROKER_PORT"
}
stop_broker() {
  [[ -n $BROKER_PID ]] || return 0
  kill "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

# ---------------------------------------------------------------- recording
# start_capture OUTFILE FILTER KIND   KIND: lo | any | any-sll | nano | pcapng
start_capture() {
  local out=$1 filter=$2 kind=$3 errf="$WORK/cap.$RANDOM.err"
  case $kind in
    lo)      timeout 90 tcpdump --immediate-mode -B 32768 -i lo -U -Z root -w "$out" "$filter" 2>"$errf" & ;;
    nano)    timeout 90 tcpdump --immediate-mode -B 32768 -i lo -U -Z root --time-stamp-precision=nano -w "$out" "$filter" 2>"$errf" & ;;
    any)     timeout 90 tcpdump --immediate-mode -B 32768 -i any -U -Z root -w "$out" "$filter" 2>"$errf" & ;;
    any-sll) timeout 90 tcpdump --immediate-mode -B 32768 -i any -y LINUX_SLL -U -Z root -w "$out" "$filter" 2>"$errf" & ;;
    pcapng)  timeout 90 dumpcap -B 32 -i lo -f "$filter" -w "$out" 2>"$errf" & ;;
  esac
  CAP_PIDS+=($!)
  for _ in $(seq 50); do
    grep -q -e "listening on" -e "Capturing on" "$errf" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$errf" >&2
  die "capture ($kind) did not start"
}
stop_captures() {
  sleep 0.5
  local p
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAP_PIDS=()
}

# run_scenario NAME CONF [KIND:FILE ...]   (default: lo:NAME.pcap)
run_scenario() {
  local name=$1 conf=$2
  shift 2
  local outs=("$@")
  ((${#outs[@]})) || outs=("lo:$name.pcap")
  log "scenario $name"
  start_broker "$WORK/$conf.conf"
  local o
  for o in "${outs[@]}"; do start_capture "$WORK/${o#*:}" "tcp port $BROKER_PORT" "${o%%:*}"; done
  if ! timeout 60 python3 "$HERE/clients.py" "$name" 2>"$WORK/$name.clients.err"; then
    cat "$WORK/$name.clients.err" >&2
    tail -40 "$WORK/mosquitto.log" >&2
    die "scenario $name: clients failed"
  fi
  cat "$WORK/$name.clients.err" >&2
  stop_captures
  stop_broker
  for o in "${outs[@]}"; do
    local f=${o#*:}
    python3 "$HERE/expect.py" "$WORK/$f" "$name" "$BROKER_PORT" ${SELF_DECODE:-} || die "scenario $name: $f does not show what was done"
    chmod 644 "$WORK/$f"
    mv "$WORK/$f" "$HERE/$f"
    mv "$WORK/${f%.pcap*}.expected.json" "$HERE/${f%.pcap*}.expected.json"
  done
}

# ---------------------------------------------------------------- WebSocket (aedes)
run_ws() {
  if [[ ${SKIP_WS:-} == 1 ]]; then log "SKIP_WS=1: WebSocket scenario skipped"; return 0; fi
  if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    log "WARNING: node/npm missing: WebSocket scenario skipped"; return 0
  fi
  log "npm install aedes ws mqtt (into $WORK/node)"
  mkdir -p "$WORK/node"
  cp "$HERE/package.json" "$WORK/node/"
  if ! (cd "$WORK/node" && timeout 300 npm install --no-audit --no-fund --loglevel=error \
        --cache "$WORK/npm-cache" >"$WORK/npm.log" 2>&1); then
    cat "$WORK/npm.log" >&2
    log "WARNING: npm install failed: WebSocket scenario skipped"; return 0
  fi
  local wsport=1884 tcpport=1885 v
  port_free $wsport || wsport=$(free_port)
  port_free $tcpport || tcpport=$(free_port)
  export WS_PORT=$wsport AEDES_TCP_PORT=$tcpport
  v="aedes $(ver aedes), ws $(ver ws), npm mqtt $(ver mqtt)"
  log "scenario ws: $v; WebSocket on 127.0.0.1:$wsport, plain TCP on 127.0.0.1:$tcpport"
  NODE_PATH="$WORK/node/node_modules" timeout 90 node "$HERE/ws-broker.js" "$wsport" "$tcpport" \
    >"$WORK/ws-broker.log" 2>&1 &
  WS_PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/ws-broker.log" && break; sleep 0.1; done
  grep -q listening "$WORK/ws-broker.log" || { cat "$WORK/ws-broker.log" >&2; die "ws broker did not start"; }

  start_capture "$WORK/ws-aedes.pcap" "tcp port $wsport" lo
  timeout 60 python3 "$HERE/clients.py" ws-paho 2>"$WORK/ws.err" || { cat "$WORK/ws.err" >&2; die "ws-paho failed"; }
  NODE_PATH="$WORK/node/node_modules" timeout 60 node "$HERE/ws-clients.js" "$wsport" 2>>"$WORK/ws.err" ||
    { cat "$WORK/ws.err" "$WORK/ws-broker.log" >&2; die "ws-clients.js failed"; }
  cat "$WORK/ws.err" >&2
  stop_captures
  python3 "$HERE/expect.py" "$WORK/ws-aedes.pcap" ws "$wsport" --ws "--note=$v; WebSocket port $wsport" ||
    die "ws-aedes.pcap does not show what was done"

  start_capture "$WORK/aedes-tcp.pcap" "tcp port $tcpport" lo
  timeout 60 python3 "$HERE/clients.py" aedes-tcp || die "aedes-tcp failed"
  stop_captures
  python3 "$HERE/expect.py" "$WORK/aedes-tcp.pcap" aedes-tcp "$tcpport" "--note=$v; plain TCP port $tcpport" ||
    die "aedes-tcp.pcap does not show what was done"

  kill "$WS_PID" 2>/dev/null || true; wait "$WS_PID" 2>/dev/null || true; WS_PID=""
  chmod 644 "$WORK"/*.pcap
  mv "$WORK/ws-aedes.pcap" "$WORK/ws-aedes.expected.json" "$WORK/aedes-tcp.pcap" "$WORK/aedes-tcp.expected.json" "$HERE/"
}
ver() { node -e "console.log(require('$WORK/node/node_modules/$1/package.json').version)"; }

# ---------------------------------------------------------------- scenarios
ALL=(v31-session v311-session v5-session v5-properties large-payload split-varint burst bad-credentials ipv6
     unacked-qos session-takeover refused-protocol-version keepalive-expiry protocol-errors
     no-disconnect-will ws)
want=("$@")
((${#want[@]})) || want=("${ALL[@]}")
for s in "${want[@]}"; do
  case $s in
    v311-session)
      # the link-type set: one run recorded five ways at once
      run_scenario v311-session open lo:v311-session.pcap any:v311-session-any-sll2.pcap \
        any-sll:v311-session-any-sll.pcap nano:v311-session-nano.pcap pcapng:v311-session.pcapng ;;
    bad-credentials) run_scenario bad-credentials closed ;;
    split-varint) SELF_DECODE=--self-decode run_scenario split-varint open ;;
    ws) run_ws ;;
    *) [[ " ${ALL[*]} " == *" $s "* ]] || die "unknown scenario $s"
       run_scenario "$s" open ;;
  esac
done
log "done: $(ls "$HERE" | grep -cE '\.pcap(ng)?$') captures, $(du -ch "$HERE"/*.pcap* | tail -1 | cut -f1) in all"
