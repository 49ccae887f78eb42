#!/usr/bin/env python3
"""Client drivers for make-captures.sh: one function per scenario.

Usage: clients.py SCENARIO   (broker address from $BROKER_HOST / $BROKER_PORT,
$BROKER_HOST6 for the IPv6 scenario).

Every scenario is sequenced with explicit waits (CONNACK, SUBACK, message
received, flow completed) so the MQTT packets on each connection are the
same on every run. Real clients are used where they can do the job
(mosquitto_pub/mosquitto_sub, paho-mqtt 2.x); a small raw-socket client
(class Raw) builds the packets no well-behaved client sends (unacked flows,
a second CONNECT, a wrong protocol level, silence past the keep alive).
Every wait is bounded; a scenario that does not see what it expects exits
non-zero, so make-captures.sh fails loudly.
"""
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HOST = os.environ.get("BROKER_HOST", "127.0.0.1")
HOST6 = os.environ.get("BROKER_HOST6", "::1")
PORT = int(os.environ.get("BROKER_PORT", "1883"))
T = 5.0  # default timeout for every wait


def die(msg):
    print(f"clients.py: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        die(msg)


# --------------------------------------------------------------------------
# Raw MQTT encoding (just enough for the scenarios)
# --------------------------------------------------------------------------
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)
NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
         7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
         12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH"}


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def s16(x):
    if isinstance(x, str):
        x = x.encode()
    return struct.pack("!H", len(x)) + x


def prop_block(props):
    """props: list of (id, kind, value); kind in b1 b2 b4 vbi str bin pair."""
    out = bytearray()
    for pid, kind, val in props:
        out += vbi(pid)
        if kind == "b1":
            out += struct.pack("!B", val)
        elif kind == "b2":
            out += struct.pack("!H", val)
        elif kind == "b4":
            out += struct.pack("!I", val)
        elif kind == "vbi":
            out += vbi(val)
        elif kind in ("str", "bin"):
            out += s16(val)
        elif kind == "pair":
            out += s16(val[0]) + s16(val[1])
    return vbi(len(out)) + bytes(out)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + vbi(len(body)) + body


def p_connect(client_id, level=4, name="MQTT", clean=True, keepalive=60, will=None,
              username=None, password=None, props=None, will_props=None):
    flags = 0x02 if clean else 0
    payload = s16(client_id)
    if will:
        wt, wp, wq, wr = will
        flags |= 0x04 | (wq << 3) | (0x20 if wr else 0)
        if level == 5:
            payload += prop_block(will_props or [])
        payload += s16(wt) + s16(wp)
    if username is not None:
        flags |= 0x80
        payload += s16(username)
    if password is not None:
        flags |= 0x40
        payload += s16(password)
    var = s16(name) + bytes([level, flags]) + struct.pack("!H", keepalive)
    if level == 5:
        var += prop_block(props or [])
    return packet(CONNECT, 0, var + payload)


def p_publish(topic, payload, qos=0, pid=None, retain=False, dup=False, v5=False, props=None):
    flags = (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    var = s16(topic)
    if qos:
        var += struct.pack("!H", pid)
    if v5:
        var += prop_block(props or [])
    if isinstance(payload, str):
        payload = payload.encode()
    return packet(PUBLISH, flags, var + payload)


def p_ack(ptype, pid):
    return packet(ptype, 2 if ptype == PUBREL else 0, struct.pack("!H", pid))


def p_subscribe(pid, filters, v5=False, props=None):
    body = struct.pack("!H", pid)
    if v5:
        body += prop_block(props or [])
    for f, opts in filters:
        body += s16(f) + bytes([opts])
    return packet(SUBSCRIBE, 2, body)


def p_disconnect(v5=False, rc=0):
    if v5 and rc:
        return packet(DISCONNECT, 0, bytes([rc]))
    return packet(DISCONNECT, 0, b"")


P_PINGREQ = packet(PINGREQ, 0, b"")


class Raw:
    """A blocking raw-socket MQTT client with a packet reader."""

    def __init__(self, host=None, port=None, name=""):
        host = host or HOST
        port = port or PORT
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.settimeout(T)
        self.s.connect((host, port))
        self.buf = b""
        self.name = name

    def send(self, *pkts):
        self.s.sendall(b"".join(pkts))

    def _fill(self, timeout):
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            data = b""
        if not data:
            return False
        self.buf += data
        return True

    def recv(self, timeout=T):
        """Next packet as (type, flags, body); None on timeout; 'EOF' on close."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                mult, n, i = 1, 0, 1
                while i < len(self.buf):
                    b = self.buf[i]
                    n += (b & 0x7F) * mult
                    mult *= 128
                    i += 1
                    if not b & 0x80:
                        break
                else:
                    i = None
                if i is not None and len(self.buf) >= i + n and not (self.buf[i - 1] & 0x80):
                    h = self.buf[0]
                    body = self.buf[i:i + n]
                    self.buf = self.buf[i + n:]
                    return (h >> 4, h & 0x0F, body)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r = self._fill(left)
            if r is None:
                return None
            if r is False:
                return "EOF"

    def expect(self, ptype, timeout=T):
        p = self.recv(timeout)
        check(isinstance(p, tuple) and p[0] == ptype,
              f"{self.name}: expected {NAMES[ptype]}, got {p if not isinstance(p, tuple) else NAMES[p[0]]}")
        return p

    def until_eof(self, timeout=T):
        """Read packets until the broker closes; returns the packet types seen."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(left > 0, f"{self.name}: broker did not close the connection in {timeout}s")
            p = self.recv(left)
            if p == "EOF":
                return seen
            if p is None:
                continue
            seen.append(p)

    def close(self):
        self.s.close()


def pid_of(pkt):
    body = pkt[2]
    tl = struct.unpack("!H", body[:2])[0]
    return struct.unpack("!H", body[2 + tl:4 + tl])[0]


# --------------------------------------------------------------------------
# paho-mqtt helpers
# --------------------------------------------------------------------------
import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402
from paho.mqtt.reasoncodes import ReasonCode  # noqa: E402

V31, V311, V5 = mqtt.MQTTv31, mqtt.MQTTv311, mqtt.MQTTv5


class PacedSock:
    """Wraps a socket; while `chunks` is non-empty each send() writes at most
    chunks[0] bytes and pauses, so with TCP_NODELAY each write is one segment
    (loopback's GSO would otherwise glue them together unpredictably)."""

    def __init__(self, sock):
        self._s = sock
        self.chunks = []
        self.held = None  # when a bytearray: send() only collects, flush() writes it all at once

    def flush(self):
        data, self.held = bytes(self.held), None
        self._s.sendall(data)

    def send(self, buf, *a):
        if self.held is not None:
            self.held += buf
            return len(buf)
        if not self.chunks:
            return self._s.send(buf, *a)
        n = self._s.send(buf[:self.chunks[0]], *a)
        if n == self.chunks[0]:
            self.chunks.pop(0)
        else:
            self.chunks[0] -= n
        time.sleep(0.004)
        return n

    def __getattr__(self, k):
        return getattr(self._s, k)


class PahoClient(mqtt.Client):
    sockopts = ()
    paced = False

    def _create_socket_connection(self):
        fam = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        for lvl, opt, val in self.sockopts:
            s.setsockopt(lvl, opt, val)
        s.settimeout(self._connect_timeout)
        s.connect((self._host, self._port))
        return PacedSock(s) if self.paced else s


class P:
    """A paho client driven synchronously: every call waits for its answer."""

    def __init__(self, cid, proto, host=None, port=None, user=None, pw=None, will=None,
                 will_props=None, clean=True, transport="tcp", sockopts=(), paced=False):
        self.cid, self.proto = cid, proto
        self.host, self.port = host or HOST, port or PORT
        kw = {}
        if proto != V5:
            kw["clean_session"] = clean
        self.clean = clean
        self.c = PahoClient(mqtt.CallbackAPIVersion.VERSION2, client_id=cid, protocol=proto,
                            transport=transport, **kw)
        self.c.sockopts = sockopts
        self.c.paced = paced
        if user is not None:
            self.c.username_pw_set(user, pw)
        if will:
            self.c.will_set(*will, properties=will_props)
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None
        self.msgs = queue.Queue()
        self.subacks = {}
        self.unsubacks = {}
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = lambda c, u, f, rc, p: self.disconnected.set()
        self.c.on_message = lambda c, u, m: self.msgs.put(m)
        self.c.on_subscribe = lambda c, u, mid, rcs, p: self._ev(self.subacks, mid, rcs)
        self.c.on_unsubscribe = lambda c, u, mid, rcs, p: self._ev(self.unsubacks, mid, rcs)
        self._lock = threading.Lock()
        self._events = {}

    def _on_connect(self, c, u, flags, rc, props):
        self.connack = (flags, rc, props)
        self.connected.set()

    def _ev(self, d, mid, val):
        with self._lock:
            d[mid] = val
            ev = self._events.setdefault((id(d), mid), threading.Event())
        ev.set()

    def _wait(self, d, mid, what):
        with self._lock:
            ev = self._events.setdefault((id(d), mid), threading.Event())
        check(ev.wait(T), f"{self.cid}: no {what} for mid {mid}")
        return d[mid]

    def connect(self, keepalive=60, props=None, expect_ok=True):
        kw = {}
        if self.proto == V5:
            kw["clean_start"] = self.clean
            kw["properties"] = props
        self.c.connect(self.host, self.port, keepalive, **kw)
        self.c.loop_start()
        check(self.connected.wait(T), f"{self.cid}: no CONNACK")
        if expect_ok:
            check(not self.connack[1].is_failure, f"{self.cid}: refused: {self.connack[1]}")
        return self

    def sub(self, topics, props=None):
        rc, mid = self.c.subscribe(topics, properties=props)
        check(rc == 0, f"{self.cid}: subscribe failed")
        return self._wait(self.subacks, mid, "SUBACK")

    def unsub(self, topics, props=None):
        rc, mid = self.c.unsubscribe(topics, properties=props)
        check(rc == 0, f"{self.cid}: unsubscribe failed")
        return self._wait(self.unsubacks, mid, "UNSUBACK")

    def pub(self, topic, payload, qos=0, retain=False, props=None):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=props)
        info.wait_for_publish(T)
        check(info.is_published(), f"{self.cid}: publish to {topic!r} not completed")
        return info

    def get(self, n=1):
        out = []
        for _ in range(n):
            try:
                out.append(self.msgs.get(timeout=T))
            except queue.Empty:
                die(f"{self.cid}: expected {n} messages, got {len(out)}")
        return out

    def disconnect(self, rc=None, props=None):
        self.c.disconnect(reasoncode=rc, properties=props)
        self.disconnected.wait(T)
        self.c.loop_stop()


def props(ptype, **kv):
    p = Properties(ptype)
    for k, v in kv.items():
        setattr(p, k, v)
    return p


def cli(args, timeout=10):
    """Run a mosquitto CLI client to completion."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return r


def cli_sub_start(args):
    """Start mosquitto_sub with -d and wait until it has its SUBACK."""
    p = subprocess.Popen(args + ["-d"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + T
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "received SUBACK" in line:
            return p, lines
    p.kill()
    die("mosquitto_sub: no SUBACK: " + "".join(lines))


def cli_sub_finish(p, lines):
    try:
        p.wait(timeout=T)  # not communicate(): it would skip what readline() buffered
        out = p.stdout.read()
    except subprocess.TimeoutExpired:
        p.kill()
        die("mosquitto_sub did not finish")
    lines.append(out)
    check(p.returncode == 0, "mosquitto_sub failed: " + "".join(lines))
    return "".join(lines)


def settle(t=0.2):
    time.sleep(t)


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------
def sc_v31_session():
    """MQTT 3.1 (MQIsdp) with mosquitto_sub/mosquitto_pub: QoS 0/1/2, retained, will, user/password."""
    pubargs = ["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-V", "mqttv31", "-u", "alice", "-P", "secret"]
    r = cli(pubargs + ["-i", "v31-retain", "-t", "v31/retained", "-m", "retained v31", "-q", "1", "-r"])
    check(r.returncode == 0, "retained publish: " + r.stderr)
    p, lines = cli_sub_start(["mosquitto_sub", "-h", HOST, "-p", str(PORT), "-V", "mqttv31", "-i", "v31-sub",
                              "-u", "alice", "-P", "secret", "-t", "v31/#", "-q", "2", "-C", "4", "-W", "10",
                              "--will-topic", "v31/will", "--will-payload", "v31-sub gone", "--will-qos", "1",
                              "-k", "30"])
    for q in (0, 1, 2):
        r = cli(pubargs + ["-i", f"v31-pub-q{q}", "-t", f"v31/q{q}", "-m", f"v31 qos {q}", "-q", str(q)])
        check(r.returncode == 0, f"publish q{q}: " + r.stderr)
        settle(0.1)
    out = cli_sub_finish(p, lines)
    for want in ("retained v31", "v31 qos 0", "v31 qos 1", "v31 qos 2"):
        check(want in out, f"mosquitto_sub did not print {want!r}")


def sc_v311_session():
    """MQTT 3.1.1: paho + mosquitto_pub; QoS 0/1/2, retained, will, user/password, unsubscribe."""
    r = cli(["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-V", "mqttv311", "-i", "v311-retain",
             "-u", "alice", "-P", "secret", "-t", "v311/retained", "-m", "retained v311", "-q", "1", "-r"])
    check(r.returncode == 0, "retained publish: " + r.stderr)
    sub = P("v311-sub", V311, user="alice", pw="secret", will=("v311/will", b"v311-sub gone", 1, False))
    sub.connect(keepalive=30)
    rcs = sub.sub([("v311/q0", 0), ("v311/q1", 1), ("v311/q2", 2), ("v311/retained", 1)])
    check([int(x.value) for x in rcs] == [0, 1, 2, 1], f"v311 suback {rcs}")
    m = sub.get(1)[0]
    check(m.retain and m.topic == "v311/retained" and m.qos == 1, "retained message")
    pub = P("v311-pub", V311, user="alice", pw="secret")
    pub.connect(keepalive=30)
    for q in (0, 1, 2):
        pub.pub(f"v311/q{q}", f"v311 qos {q}".encode(), qos=q)
        m = sub.get(1)[0]
        check(m.topic == f"v311/q{q}" and m.qos == q, f"v311 q{q} delivery")
    sub.unsub(["v311/q0"])
    pub.pub("v311/q0", b"v311 after unsubscribe", qos=0)
    settle(0.2)
    check(sub.msgs.empty(), "got a message after unsubscribe")
    pub.disconnect()
    sub.disconnect()


def sc_v5_session():
    """MQTT 5: paho + mosquitto_pub -V 5; QoS 0/1/2, retained, will, user/password, unsubscribe."""
    r = cli(["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-V", "5", "-i", "v5-retain",
             "-u", "alice", "-P", "secret", "-t", "v5/retained", "-m", "retained v5", "-q", "1", "-r"])
    check(r.returncode == 0, "retained publish: " + r.stderr)
    sub = P("v5-sub", V5, user="alice", pw="secret", will=("v5/will", b"v5-sub gone", 1, False))
    sub.connect(keepalive=30)
    rcs = sub.sub([("v5/q0", 0), ("v5/q1", 1), ("v5/q2", 2), ("v5/retained", 1)])
    check([int(x.value) for x in rcs] == [0, 1, 2, 1], f"v5 suback {rcs}")
    m = sub.get(1)[0]
    check(m.retain and m.topic == "v5/retained", "retained message")
    pub = P("v5-pub", V5, user="alice", pw="secret")
    pub.connect(keepalive=30)
    for q in (0, 1, 2):
        pub.pub(f"v5/q{q}", f"v5 qos {q}".encode(), qos=q)
        m = sub.get(1)[0]
        check(m.topic == f"v5/q{q}" and m.qos == q, f"v5 q{q} delivery")
    sub.unsub(["v5/q0"])
    pub.disconnect()
    sub.disconnect()


def sc_v5_properties():
    """MQTT 5 properties in CONNECT, PUBLISH, SUBSCRIBE, will and DISCONNECT; topic alias c2s."""
    sub = P("v5-props-sub", V5)
    sub.connect(keepalive=30, props=props(PacketTypes.CONNECT, SessionExpiryInterval=120, ReceiveMaximum=10,
                                          TopicAliasMaximum=5, MaximumPacketSize=65536,
                                          UserProperty=[("role", "subscriber")]))
    sp = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=42, UserProperty=[("sub", "props")])
    rcs = sub.sub([("v5/props/#", 1)], props=sp)
    check([int(x.value) for x in rcs] == [1], f"suback {rcs}")
    wp = props(PacketTypes.WILLMESSAGE, WillDelayInterval=0, ContentType="text/plain",
               UserProperty=[("will", "yes")])
    pub = P("v5-props-pub", V5, will=("v5/props/will", b"pub left with will", 1, False), will_props=wp)
    pub.connect(keepalive=30, props=props(PacketTypes.CONNECT, SessionExpiryInterval=30,
                                          UserProperty=[("role", "publisher")]))
    pp = props(PacketTypes.PUBLISH, PayloadFormatIndicator=1, MessageExpiryInterval=300,
               ContentType="application/json", ResponseTopic="v5/props/reply",
               CorrelationData=b"\x01\x02corr-42", UserProperty=[("k1", "v1"), ("k2", "v2")], TopicAlias=1)
    pub.pub("v5/props/a", b'{"n":1}', qos=1, props=pp)
    m = sub.get(1)[0]
    check(m.topic == "v5/props/a", "first aliased publish")
    check(getattr(m.properties, "SubscriptionIdentifier", None) == [42], f"sub id {m.properties}")
    check(m.properties.CorrelationData == b"\x01\x02corr-42", "correlation data")
    # alias-only PUBLISH: empty topic, Topic Alias 1
    pub.pub("", b'{"n":2}', qos=1, props=props(PacketTypes.PUBLISH, TopicAlias=1))
    m = sub.get(1)[0]
    check(m.topic == "v5/props/a" and m.payload == b'{"n":2}', f"alias-only publish delivered as {m.topic!r}")
    pub.pub("v5/props/b", b"qos0 with alias 2", qos=0, props=props(PacketTypes.PUBLISH, TopicAlias=2))
    sub.get(1)
    pub.pub("v5/props/b", b"again via alias 2", qos=0, props=props(PacketTypes.PUBLISH, TopicAlias=2))
    sub.get(1)
    # the publisher leaves with reason 0x04 (Disconnect with Will Message): the will fires
    pub.disconnect(rc=ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"),
                   props=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
    m = sub.get(1)[0]
    check(m.topic == "v5/props/will" and m.properties.ContentType == "text/plain", "will with properties")
    sub.unsub(["v5/props/#"], props=props(PacketTypes.UNSUBSCRIBE, UserProperty=[("bye", "now")]))
    sub.disconnect(props=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))


LARGE_SIZE = 17000  # remaining length needs a 3-byte varint (> 16383)
LARGE_CHUNKS = [1000] * 40


def sc_large_payload():
    """One 17000-byte PUBLISH written in paced chunks: 2 bytes, then 1000-byte segments."""
    mss = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1), (socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1000)]
    sub = P("large-sub", V311, sockopts=mss)
    sub.connect()
    sub.sub([("large/#", 1)])
    pub = P("large-pub", V311, sockopts=mss, paced=True)
    pub.connect()
    payload = bytes((i * 7 + 3) % 256 for i in range(LARGE_SIZE))
    pub.c.socket().chunks = list(LARGE_CHUNKS)
    pub.pub("large/blob", payload, qos=1)
    pub.c.socket().chunks = []
    m = sub.get(1)[0]
    check(m.payload == payload, "large payload mismatch")
    pub.disconnect()
    sub.disconnect()


SPLITS = [2, 1, 6]  # bytes in the first segment: in the varint / after the first byte / in the topic


def sc_split_varint():
    """PUBLISHes (200-byte payload, 2-byte remaining length) whose first TCP segment ends inside the
    remaining-length varint, right after the first byte, and inside the topic."""
    sub = P("split-sub", V311)
    sub.connect()
    sub.sub([("split/#", 1)])
    pub = P("split-pub", V311, sockopts=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)], paced=True)
    pub.connect()
    for n in SPLITS:
        pub.c.socket().chunks = [n, 1000]
        pub.pub(f"split/at-{n}", bytes([0x41 + n]) * 200, qos=1)
        pub.c.socket().chunks = []
        m = sub.get(1)[0]
        check(m.topic == f"split/at-{n}" and len(m.payload) == 200, "split delivery")
    pub.disconnect()
    sub.disconnect()


BURST_Q0, BURST_Q1 = 30, 10


def sc_burst():
    """Many small PUBLISHes that paho writes while the socket wrapper holds them, then sent with one
    write (TCP_NODELAY): one TCP segment carries them all. (TCP_CORK was tried: Linux still split
    the burst into several segments, differently on each run.)"""
    sub = P("burst-sub", V311)
    sub.connect()
    sub.sub([("burst/#", 1)])
    # the publisher runs paho's loop by hand (no thread) so each publish() writes at once
    pub = PahoClient(mqtt.CallbackAPIVersion.VERSION2, client_id="burst-pub", protocol=V311)
    pub.sockopts = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    pub.paced = True
    done = set()
    pub.on_publish = lambda c, u, mid, rc, p: done.add(mid)
    ok = threading.Event()
    pub.on_connect = lambda *a: ok.set()
    pub.connect(HOST, PORT, 60)
    deadline = time.monotonic() + T
    while not ok.is_set() and time.monotonic() < deadline:
        pub.loop(0.05)
    check(ok.is_set(), "burst-pub: no CONNACK")
    sock = pub.socket()
    mids = []
    for qos, n in ((0, BURST_Q0), (1, BURST_Q1)):
        sock.held = bytearray()
        for i in range(n):
            mids.append(pub.publish(f"burst/q{qos}/{i}", f"m{i}".encode(), qos=qos).mid)
        sock.flush()
        deadline = time.monotonic() + T
        while time.monotonic() < deadline and not set(mids) <= done:
            pub.loop(0.05)
        check(set(mids) <= done, "burst-pub: publishes not completed")
    sub.get(BURST_Q0 + BURST_Q1)
    pub.disconnect()
    pub.loop(0.1)
    sub.disconnect()


def sc_bad_credentials():
    """Broker with allow_anonymous false + password file: refused CONNACKs in 3.1, 3.1.1 and 5."""
    base = ["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-t", "bad/creds", "-m", "x"]
    # mosquitto 2.0.11 answers every credential failure with 5 / 0x87 (not authorized); it never
    # sends 4 / 0x86 (bad user name or password). The 3.1.1 code 4 comes from aedes (ws scenario).
    cases = [
        ["-V", "mqttv311", "-i", "bad-pw-311", "-u", "alice", "-P", "wrong"],
        ["-V", "mqttv311", "-i", "no-user-311"],
        ["-V", "5", "-i", "bad-pw-v5", "-u", "alice", "-P", "wrong"],
        ["-V", "5", "-i", "no-user-v5"],
        ["-V", "mqttv31", "-i", "bad-pw-31", "-u", "alice", "-P", "wrong"],
    ]
    for args in cases:
        r = cli(base + args)
        check(r.returncode != 0, f"{args}: was not refused")
        check("refused" in (r.stderr + r.stdout).lower() or "not auth" in (r.stderr + r.stdout).lower(),
              f"{args}: unexpected message {r.stderr!r}")
        settle(0.1)
    r = cli(base + ["-V", "mqttv311", "-i", "good-pw-311", "-u", "alice", "-P", "secret", "-q", "1"])
    check(r.returncode == 0, "good password refused: " + r.stderr)


def sc_ipv6():
    """A v5 and a v3.1.1 session over [::1]."""
    sub = P("v6-sub", V5, host=HOST6)
    sub.connect()
    sub.sub([("v6/#", 1)])
    pub = P("v6-pub", V311, host=HOST6)
    pub.connect()
    pub.pub("v6/hello", b"over ipv6", qos=1)
    m = sub.get(1)[0]
    check(m.payload == b"over ipv6", "ipv6 delivery")
    r = cli(["mosquitto_pub", "-h", HOST6, "-p", str(PORT), "-V", "5", "-i", "v6-cli", "-t", "v6/cli",
             "-m", "mosquitto_pub over ipv6", "-q", "2"])
    check(r.returncode == 0, "mosquitto_pub -h ::1: " + r.stderr)
    sub.get(1)
    pub.disconnect()
    sub.disconnect()


# ---- session analysis (issue 5) ------------------------------------------
def _unacked_child():
    """Child process: raw persistent-session subscriber that never acks; killed by the parent."""
    r = Raw(name="unacked-sub")
    r.send(p_connect("unacked-sub", clean=False, keepalive=60))
    r.expect(CONNACK)
    r.send(p_subscribe(1, [("unacked/#", 2)]))
    r.expect(SUBACK)
    print("SUBSCRIBED", flush=True)
    got = []
    while len(got) < 2:
        p = r.expect(PUBLISH)
        got.append(p)
    print("GOT", " ".join(f"q{(p[1] >> 1) & 3}:{pid_of(p)}" for p in got), flush=True)
    time.sleep(30)  # killed (SIGKILL) by the parent before this ends


def sc_unacked_qos():
    """Unacknowledged QoS 1/2 flows: a subscriber killed without acking, redelivery with DUP on
    reconnect, and a QoS 2 publisher that never sends PUBREL."""
    child = subprocess.Popen([sys.executable, __file__, "_unacked_child"], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        check(line.strip() == "SUBSCRIBED", f"child: {line!r}")
        pub = P("unacked-pub", V311)
        pub.connect()
        pub.pub("unacked/q1", b"qos1 never acked", qos=1)
        pub.pub("unacked/q2", b"qos2 never acked", qos=2)
        pub.disconnect()
        line = child.stdout.readline()
        check(line.strip() == "GOT q1:1 q2:2", f"child: {line!r}")
        settle(0.2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(T)
    settle(0.3)
    # a QoS 2 publisher that stops after PUBREC (no PUBREL), then closes TCP without DISCONNECT
    r = Raw(name="qos2-no-pubrel")
    r.send(p_connect("qos2-no-pubrel"))
    r.expect(CONNACK)
    r.send(p_publish("unacked/q2-stalled", "qos2 released never", qos=2, pid=7))
    r.expect(PUBREC)
    settle(0.2)
    r.close()
    settle(0.3)
    # the killed subscriber comes back: session present, broker redelivers with DUP; now it acks
    r = Raw(name="unacked-sub-again")
    r.send(p_connect("unacked-sub", clean=False))
    p = r.expect(CONNACK)
    check(p[2][0] & 1 == 1, "session present expected")
    seen = {}
    for _ in range(2):
        p = r.expect(PUBLISH)
        seen[(p[1] >> 1) & 3] = p
    check(set(seen) == {1, 2}, f"redelivery {seen}")
    check(all(p[1] & 8 for p in seen.values()), "redelivered PUBLISH without DUP")
    r.send(p_ack(PUBACK, pid_of(seen[1])))
    r.send(p_ack(PUBREC, pid_of(seen[2])))
    p = r.expect(PUBREL)
    r.send(p_ack(PUBCOMP, struct.unpack("!H", p[2][:2])[0]))
    settle(0.1)
    # clean the session away
    r.send(p_disconnect())
    r.close()
    settle(0.2)
    r = Raw(name="unacked-sub-clean")
    r.send(p_connect("unacked-sub", clean=True))
    r.expect(CONNACK)
    r.send(p_disconnect())
    r.close()


def sc_session_takeover():
    """Two clients with one client id, in 3.1.1 (old connection closed) and in 5 (DISCONNECT 0x8E)."""
    for cid, level in (("takeover-311", 4), ("takeover-v5", 5)):
        a = Raw(name=cid + "-a")
        a.send(p_connect(cid, level=level, keepalive=60))
        a.expect(CONNACK)
        settle(0.1)
        b = Raw(name=cid + "-b")
        b.send(p_connect(cid, level=level, keepalive=60))
        b.expect(CONNACK)
        seen = a.until_eof()
        # MQTT 5 says DISCONNECT 0x8E (Session taken over); mosquitto 2.0.11 just closes the
        # old connection in both versions. Accept either; the capture records which.
        print(f"{cid}: old connection got {[(NAMES[x[0]], x[2].hex()) for x in seen]}", file=sys.stderr)
        check(seen == [] or (level == 5 and [x[0] for x in seen] == [DISCONNECT] and seen[0][2][:1] == b"\x8e"),
              f"{cid}: old connection got {seen}")
        a.close()
        b.send(p_disconnect(v5=(level == 5)))
        b.close()
        settle(0.1)


def sc_refused_protocol_version():
    """CONNECTs with protocol levels/names mosquitto does not accept; what it answers is recorded."""
    cases = [("MQTT", 6, "proto-mqtt-6"), ("MQTT", 3, "proto-mqtt-3"), ("MQIsdp", 4, "proto-mqisdp-4"),
             ("MQTT", 0, "proto-mqtt-0")]
    for name, level, cid in cases:
        r = Raw(name=cid)
        r.send(p_connect(cid, level=level, name=name))
        seen = r.until_eof()
        print(f"{name} level {level}: {[(NAMES[p[0]], p[2].hex()) for p in seen]}", file=sys.stderr)
        r.close()
        settle(0.1)


def sc_keepalive_expiry():
    """Clients with keep alive 1 s that ping once, then go silent: the broker closes them and their
    wills fire to a watcher."""
    watch = P("ka-watch", V5)
    watch.connect()
    watch.sub([("ka/will/#", 1)])
    for cid, level in (("ka-311", 4), ("ka-v5", 5)):
        r = Raw(name=cid)
        r.send(p_connect(cid, level=level, keepalive=1, will=(f"ka/will/{cid}", f"{cid} timed out", 1, False)))
        r.expect(CONNACK)
        r.send(P_PINGREQ)
        r.expect(PINGRESP)
        t0 = time.monotonic()
        seen = r.until_eof(timeout=15)
        dt = time.monotonic() - t0
        print(f"{cid}: closed after {dt:.2f}s silent, got {[(NAMES[p[0]], p[2].hex()) for p in seen]}",
              file=sys.stderr)
        check(dt >= 1.0, f"{cid}: closed too early ({dt:.2f}s)")
        r.close()
        m = watch.get(1)[0]
        check(m.topic == f"ka/will/{cid}", f"will {m.topic}")
    watch.disconnect()


def sc_protocol_errors():
    """A second CONNECT on one connection (3.1.1 and 5), and a PUBLISH before CONNECT."""
    for cid, level in (("second-connect-311", 4), ("second-connect-v5", 5)):
        r = Raw(name=cid)
        r.send(p_connect(cid, level=level))
        r.expect(CONNACK)
        settle(0.1)
        r.send(p_connect(cid, level=level))
        seen = r.until_eof()
        print(f"{cid}: after second CONNECT got {[(NAMES[p[0]], p[2].hex()) for p in seen]}", file=sys.stderr)
        r.close()
        settle(0.1)
    r = Raw(name="publish-before-connect")
    r.send(p_publish("early/bird", "before connect", qos=0))
    seen = r.until_eof()
    print(f"publish-before-connect: got {seen}", file=sys.stderr)
    r.close()


def sc_no_disconnect_will():
    """Clients that close TCP without DISCONNECT: their wills (3.1.1, and 5 with will properties) fire."""
    watch = P("will-watch", V5)
    watch.connect()
    watch.sub([("will/#", 1)])
    r = Raw(name="will-311")
    r.send(p_connect("will-311", will=("will/will-311", "will-311 vanished", 1, False)))
    r.expect(CONNACK)
    settle(0.1)
    r.close()
    m = watch.get(1)[0]
    check(m.topic == "will/will-311", "will-311 will")
    r = Raw(name="will-v5")
    r.send(p_connect("will-v5", level=5, will=("will/will-v5", "will-v5 vanished", 1, True),
                     will_props=[(0x03, "str", "text/plain"), (0x26, "pair", ("why", "tcp closed"))]))
    r.expect(CONNACK)
    settle(0.1)
    r.close()
    m = watch.get(1)[0]
    check(m.topic == "will/will-v5" and m.properties.ContentType == "text/plain", "will-v5 will")
    watch.disconnect()


# ---- MQTT over WebSocket (aedes) ----------------------------------------
def sc_ws_paho():
    """paho over WebSocket (subprotocol mqtt) against aedes: 3.1.1 QoS 0/1/2; then a v5 paho client
    that aedes refuses."""
    wsport = int(os.environ["WS_PORT"])
    sub = P("ws-paho-sub", V311, port=wsport, transport="websockets")
    sub.c.ws_set_options(path="/mqtt")
    sub.connect()
    sub.sub([("ws/#", 2)])
    pub = P("ws-paho-pub", V311, port=wsport, transport="websockets")
    pub.c.ws_set_options(path="/mqtt")
    pub.connect()
    for q in (0, 1, 2):
        pub.pub(f"ws/paho/q{q}", f"paho ws qos {q}".encode(), qos=q)
    for m in sub.get(3):
        pass
    pub.disconnect()
    sub.disconnect()
    v5 = P("ws-paho-v5", V5, port=wsport, transport="websockets")
    v5.c.ws_set_options(path="/mqtt")
    try:
        v5.c.connect(HOST, wsport, 60)
        v5.c.loop_start()
        v5.connected.wait(3)
        v5.disconnected.wait(3)
        print(f"ws-paho-v5: connack={v5.connack}", file=sys.stderr)
    finally:
        v5.c.loop_stop()


def sc_aedes_tcp():
    """aedes over plain TCP: a wrong password gets 3.1.1 return code 4 (mosquitto 2.0.11 never sends 4),
    a v5 client gets refused by this 3.1.1-only broker, a 3.1 and a 3.1.1 client get in."""
    port = os.environ["AEDES_TCP_PORT"]
    base = ["mosquitto_pub", "-h", HOST, "-p", port, "-t", "aedes/tcp", "-m", "x"]
    r = cli(base + ["-V", "mqttv311", "-i", "aedes-bad-pw", "-u", "bad", "-P", "wrong"])
    check(r.returncode != 0 and "bad user name or password" in r.stderr.lower(), "aedes bad pw: " + r.stderr)
    settle(0.1)
    r = cli(base + ["-V", "5", "-i", "aedes-v5"])
    check(r.returncode != 0, "aedes accepted v5: " + r.stderr)
    print(f"aedes-v5: {r.stderr.strip()}", file=sys.stderr)
    settle(0.1)
    for v, cid in (("mqttv31", "aedes-v31"), ("mqttv311", "aedes-v311")):
        r = cli(base + ["-V", v, "-i", cid, "-q", "1"])
        check(r.returncode == 0, f"{cid}: " + r.stderr)
        settle(0.1)


SCENARIOS = {
    "aedes-tcp": sc_aedes_tcp,
    "v31-session": sc_v31_session,
    "v311-session": sc_v311_session,
    "v5-session": sc_v5_session,
    "v5-properties": sc_v5_properties,
    "large-payload": sc_large_payload,
    "burst": sc_burst,
    "split-varint": sc_split_varint,
    "bad-credentials": sc_bad_credentials,
    "ipv6": sc_ipv6,
    "unacked-qos": sc_unacked_qos,
    "session-takeover": sc_session_takeover,
    "refused-protocol-version": sc_refused_protocol_version,
    "keepalive-expiry": sc_keepalive_expiry,
    "protocol-errors": sc_protocol_errors,
    "no-disconnect-will": sc_no_disconnect_will,
    "ws-paho": sc_ws_paho,
    "_unacked_child": _unacked_child,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        die("usage: clients.py {" + ",".join(SCENARIOS) + "}")
    SCENARIOS[sys.argv[1]]()
