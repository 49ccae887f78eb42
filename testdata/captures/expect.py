#!/usr/bin/env python3
"""Decode a capture with tshark, check it against what its scenario did, write <name>.expected.json.

Usage: expect.py CAPTURE SCENARIO BROKER_PORT [--ws]

tshark's PDML (which keeps fields in wire order) is turned into one record per MQTT packet,
grouped by TCP connection and direction. The scenario's intent (INTENT below: the packets the
client scripts sent and the answers they waited for) is then asserted against that decode; any
difference makes this script exit 1, so make-captures.sh fails loudly instead of committing a
capture that does not show what it claims. The expected file holds the decode (what tests assert)
plus the list of intent checks that passed.

For WebSocket captures tshark 4.0 shows no MQTT; the MQTT packets are then decoded here from the
WebSocket payloads tshark unmasks (a small decoder, below) and the file says so.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict

TYPES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
         8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}
PROPS = {0x01: "payload_format_indicator", 0x02: "message_expiry_interval", 0x03: "content_type",
         0x08: "response_topic", 0x09: "correlation_data", 0x0B: "subscription_identifier",
         0x11: "session_expiry_interval", 0x12: "assigned_client_identifier", 0x13: "server_keep_alive",
         0x15: "authentication_method", 0x16: "authentication_data", 0x17: "request_problem_information",
         0x18: "will_delay_interval", 0x19: "request_response_information", 0x1A: "response_information",
         0x1C: "server_reference", 0x1F: "reason_string", 0x21: "receive_maximum", 0x22: "topic_alias_maximum",
         0x23: "topic_alias", 0x24: "maximum_qos", 0x25: "retain_available", 0x26: "user_property",
         0x27: "maximum_packet_size", 0x28: "wildcard_subscription_available",
         0x29: "subscription_identifier_available", 0x2A: "shared_subscription_available"}
BINARY_PROPS = {0x09, 0x16}


def tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip()


def capinfo(path):
    out = subprocess.run(["capinfos", "-t", "-E", "-M", path], capture_output=True, text=True).stdout
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return {"file_type": info.get("File type"), "encapsulation": info.get("File encapsulation")}


def text_or_hex(b):
    try:
        s = b.decode("utf-8")
        if all(c.isprintable() for c in s):
            return {"text": s, "len": len(b)}
    except UnicodeDecodeError:
        pass
    if len(b) > 64:
        import hashlib
        return {"len": len(b), "sha256": hashlib.sha256(b).hexdigest(), "hex_prefix": b[:16].hex()}
    return {"hex": b.hex(), "len": len(b)}


# --------------------------------------------------------------------------
# tshark PDML → packet records
# --------------------------------------------------------------------------
def parse_props(node):
    """Properties of one mqtt.properties / mqtt.will_properties node, in wire order."""
    out = []
    cur = None
    for f in node:
        n = f.get("name")
        if n == "mqtt.property_id":
            pid = int(f.get("show"), 16)
            cur = {"id": pid, "name": PROPS.get(pid, f"0x{pid:02x}")}
            out.append(cur)
        elif cur is None:
            continue
        elif n in ("mqtt.prop_number", "mqtt.property.topic_alias", "mqtt.property.max_qos"):
            cur["value"] = int(f.get("show"))
        elif n == "mqtt.property.content_type":
            cur["value"] = f.get("show")
        elif n == "mqtt.prop_string":
            cur["value"] = bytes.fromhex(f.get("value")).hex() if cur["id"] in BINARY_PROPS \
                else bytes.fromhex(f.get("value")).decode("utf-8", "replace")
        elif n == "mqtt.prop_key":
            cur["key"] = f.get("show")
        elif n == "mqtt.prop_value":
            cur["value"] = f.get("show")
    return [props_entry(p) for p in out]


def props_entry(p):
    if p["id"] == 0x26:
        return {"user_property": [p.get("key"), p.get("value")]}
    return {p["name"]: p.get("value")}


def mqtt_record(proto):
    """One <proto name="mqtt"> → a normalized record."""
    rec = OrderedDict()
    flat = []
    for f in proto.iter("field"):
        flat.append(f)
    def first(name, conv=str):
        for f in flat:
            if f.get("name") == name:
                return conv(f.get("show"))
        return None
    def allv(name, conv=str):
        return [conv(f.get("show")) for f in flat if f.get("name") == name]
    raw = lambda name: next((bytes.fromhex(f.get("value") or "") for f in flat if f.get("name") == name), None)
    t = first("mqtt.msgtype", int)
    rec["type"] = TYPES.get(t, f"type{t}")
    props = None
    will_props = None
    for f in proto.iter("field"):
        if f.get("name") == "mqtt.properties" and props is None:
            props = parse_props(f)
        if f.get("name") == "mqtt.will_properties":
            will_props = parse_props(f)
    if t == 1:
        rec["protocol_name"] = first("mqtt.protoname")
        rec["protocol_level"] = first("mqtt.ver", int)
        rec["client_id"] = first("mqtt.clientid") or ""
        rec["clean"] = first("mqtt.conflag.cleansess") == "1"
        rec["keep_alive"] = first("mqtt.kalive", int)
        rec["username"] = first("mqtt.username")
        rec["password_present"] = first("mqtt.conflag.passwd") == "1"
        if first("mqtt.conflag.willflag") == "1":
            w = OrderedDict(topic=first("mqtt.willtopic"),
                            payload=text_or_hex(raw("mqtt.willmsg") or b""),
                            qos=first("mqtt.conflag.qos", int), retain=first("mqtt.conflag.retain") == "1")
            if will_props is not None:
                w["properties"] = will_props
            rec["will"] = w
    elif t == 2:
        rec["session_present"] = first("mqtt.conack.flags.sp") == "1"
        rc = first("mqtt.connack.reason_code", int)
        rec["code"] = rc if rc is not None else first("mqtt.conack.val", int)
    elif t == 3:
        rec["qos"] = first("mqtt.qos", int)
        rec["retain"] = first("mqtt.retain") == "1"
        rec["dup"] = first("mqtt.dupflag") == "1"
        tl = first("mqtt.topic_len", int)
        topics = allv("mqtt.topic")
        rec["topic"] = topics[0] if tl else ""
        if not tl and topics:
            rec["topic_resolved_by_tshark"] = topics[-1]
        if rec["qos"]:
            rec["packet_id"] = first("mqtt.msgid", int)
        rec["payload"] = text_or_hex(raw("mqtt.msg") or b"")
    elif t in (4, 5, 6, 7):
        rec["packet_id"] = first("mqtt.msgid", int)
        rc = first(f"mqtt.{TYPES[t].lower()}.reason_code", int)
        if rc is not None:
            rec["reason_code"] = rc
    elif t == 8:
        rec["packet_id"] = first("mqtt.msgid", int)
        topics = allv("mqtt.topic")
        qos = allv("mqtt.sub.qos", int) or allv("mqtt.subscription_options_qos", int)
        rec["filters"] = [OrderedDict(filter=a, qos=b) for a, b in zip(topics, qos)]
    elif t == 9:
        rec["packet_id"] = first("mqtt.msgid", int)
        rec["codes"] = allv("mqtt.suback.reason_code", int) or allv("mqtt.suback.qos", int)
    elif t == 10:
        rec["packet_id"] = first("mqtt.msgid", int)
        rec["filters"] = allv("mqtt.topic")
    elif t == 11:
        rec["packet_id"] = first("mqtt.msgid", int)
        codes = allv("mqtt.unsuback.reason_code", int)
        if codes:
            rec["codes"] = codes
    elif t in (14, 15):
        rc = first(f"mqtt.{TYPES[t].lower()}.reason_code", int)
        if rc is not None:
            rec["reason_code"] = rc
    if props is not None:
        rec["properties"] = props
    return rec


def field(pkt, name):
    for f in pkt.iter("field"):
        if f.get("name") == name:
            return f.get("show")
    return None


def inner_field(pkt, names):
    """The last of these fields in the packet: inside tunnels, the innermost header's."""
    got = None
    for f in pkt.iter("field"):
        if f.get("name") in names:
            got = f
    return got


# Frames without TCP that decode() skipped (only tunnel captures have them).
NOT_TCP = []


def decode(path, port, ws=False, keylog=None):
    # VXLAN on 8472 (the Linux kernel's port) as well as 4789 (tshark's default).
    args = ["tshark", "-r", path, "-T", "pdml", "-d", "udp.port==8472,vxlan"]
    if keylog:
        # MQTT over TLS on 8883 is tshark's default; the key log decrypts it.
        args += ["-o", f"tls.keylog_file:{keylog}"]
    else:
        args += ["-d", f"tcp.port=={port},{'http' if ws else 'mqtt'}"]
    xml = subprocess.run(args, capture_output=True, check=True).stdout
    root = ET.fromstring(xml)
    frames = []
    for pkt in root.iter("packet"):
        fr = OrderedDict()
        fr["frame"] = int(field(pkt, "num") or field(pkt, "frame.number"))
        if field(pkt, "tcp.stream") is None:
            NOT_TCP.append(fr["frame"])  # inside a tunnel: ARP, neighbour discovery
            continue
        fr["stream"] = int(field(pkt, "tcp.stream"))
        src = inner_field(pkt, ("ip.src", "ipv6.src"))
        fr["src"] = src.get("show")
        fr["dst"] = inner_field(pkt, ("ip.dst", "ipv6.dst")).get("show")
        fr["ipv6"] = src.get("name") == "ipv6.src"
        fr["srcport"] = int(field(pkt, "tcp.srcport"))
        fr["dstport"] = int(field(pkt, "tcp.dstport"))
        fr["tcp_len"] = int(field(pkt, "tcp.len") or 0)
        fr["fin"] = field(pkt, "tcp.flags.fin") in ("1", "True")
        fr["rst"] = field(pkt, "tcp.flags.reset") in ("1", "True")
        fr["syn"] = field(pkt, "tcp.flags.syn") in ("1", "True")
        segs = [int(f.get("show")) for f in pkt.iter("field") if f.get("name") == "tcp.segment.count"]
        fr["reassembled_segments"] = segs
        if ws:
            fr["ws"] = ws_frames(pkt)
            fr["http"] = [f.get("show") for f in pkt.iter("field") if f.get("name") in
                          ("http.upgrade", "http.response.code", "websocket.protocol",
                           "http.request.line", "http.response.line")]
        else:
            fr["mqtt"] = [mqtt_record(p) for p in pkt.iter("proto") if p.get("name") == "mqtt"]
        frames.append(fr)
    return frames


# --------------------------------------------------------------------------
# WebSocket: tshark 4.0 decodes the frames but not the MQTT inside; we decode it.
# --------------------------------------------------------------------------
def ws_frames(pkt):
    """WebSocket frames of one packet, in order. tshark puts each frame's (unmasked) binary payload in a
    data.data field of the 'fake-field-wrapper' proto that follows that frame's websocket proto."""
    out = []
    for p in list(pkt):
        if p.tag != "proto":
            continue
        if p.get("name") == "websocket":
            w = {"opcode": None, "fin": None, "masked": None, "payload": b""}
            for f in p.iter("field"):
                n = f.get("name")
                if n == "websocket.opcode":
                    w["opcode"] = int(f.get("show"))
                elif n == "websocket.fin":
                    w["fin"] = f.get("show") in ("1", "True")
                elif n == "websocket.mask":
                    w["masked"] = f.get("show") in ("1", "True")
            out.append(w)
        elif p.get("name") == "fake-field-wrapper" and out:
            for f in p.iter("field"):
                if f.get("name") == "data.data":
                    out[-1]["payload"] += bytes.fromhex(f.get("value") or "")
    return out


def mqtt_from_bytes(buf, level):
    """Minimal decoder for the WS captures: returns (records, rest)."""
    recs = []
    while len(buf) >= 2:
        mult, n, i = 1, 0, 1
        while i < len(buf) and i <= 4:
            b = buf[i]
            n += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        else:
            break
        if len(buf) < i + n:
            break
        h, body = buf[0], buf[i:i + n]
        buf = buf[i + n:]
        t = h >> 4
        r = OrderedDict(type=TYPES.get(t, f"type{t}"))
        r["_size"] = i + n
        def s16(o):
            ln = int.from_bytes(body[o:o + 2], "big")
            return body[o + 2:o + 2 + ln], o + 2 + ln
        if t == 1:
            name, o = s16(0)
            level = body[o]
            flags = body[o + 1]
            r["protocol_name"] = name.decode()
            r["protocol_level"] = level
            r["keep_alive"] = int.from_bytes(body[o + 2:o + 4], "big")
            o += 4
            if level == 5:
                pl, o2 = vbi(body, o)
                o = o2 + pl
            cid, o = s16(o)
            r["client_id"] = cid.decode()
            r["clean"] = bool(flags & 2)
        elif t == 2:
            r["session_present"] = bool(body[0] & 1)
            r["code"] = body[1]
        elif t == 14 and body:
            r["reason_code"] = body[0]
        elif t == 3:
            q = (h >> 1) & 3
            r["qos"] = q
            r["retain"] = bool(h & 1)
            r["dup"] = bool(h & 8)
            topic, o = s16(0)
            r["topic"] = topic.decode()
            if q:
                r["packet_id"] = int.from_bytes(body[o:o + 2], "big")
                o += 2
            if level == 5:
                pl, o2 = vbi(body, o)
                o = o2 + pl
            r["payload"] = text_or_hex(body[o:])
        elif t in (4, 5, 6, 7, 11):
            r["packet_id"] = int.from_bytes(body[:2], "big")
        elif t == 8:
            r["packet_id"] = int.from_bytes(body[:2], "big")
            o = 2
            fl = []
            while o < len(body):
                f, o = s16(o)
                fl.append(OrderedDict(filter=f.decode(), qos=body[o] & 3))
                o += 1
            r["filters"] = fl
        elif t == 9:
            r["packet_id"] = int.from_bytes(body[:2], "big")
            r["codes"] = list(body[2:])
        elif t == 10:
            r["packet_id"] = int.from_bytes(body[:2], "big")
        recs.append(r)
    return recs, buf, level


def vbi(b, o):
    mult, n = 1, 0
    while True:
        x = b[o]
        o += 1
        n += (x & 0x7F) * mult
        mult *= 128
        if not x & 0x80:
            return n, o


def self_decode(path, frames, port):
    """MQTT decoded by expect.py from the raw TCP payloads (for what tshark 4.0 gets wrong)."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "tcp.payload",
                          "-e", "tcp.analysis.retransmission"], capture_output=True, text=True, check=True).stdout
    payload = {}
    for line in out.splitlines():
        num, hx, retr = (line.split("\t") + ["", ""])[:3]
        if retr:
            raise SystemExit(f"expect.py: {path}: retransmission in frame {num}: self-decode assumes none")
        payload[int(num)] = bytes.fromhex(hx.replace(":", "")) if hx else b""
    state = {}
    for fr in frames:
        tshark_view = fr["mqtt"]
        fr["tshark_mqtt"] = [m["type"] for m in tshark_view]
        fr["mqtt"] = []
        data = payload.get(fr["frame"], b"")
        if not data:
            continue
        st = state.setdefault((fr["stream"], fr["srcport"]), {"buf": b"", "level": 4, "pieces": []})
        st["pieces"].append([len(st["buf"]), len(st["buf"]) + len(data), fr["frame"]])
        st["buf"] += data
        recs, rest, _ = mqtt_from_bytes(st["buf"], st["level"])
        for r in recs:
            size = r.pop("_size")
            # how many TCP segments carried bytes of this MQTT packet
            r["segments"] = len([p for p in st["pieces"] if p[0] < size])
            st["pieces"] = [[max(a - size, 0), b - size, f] for a, b, f in st["pieces"] if b - size > 0]
            fr["mqtt"].append(r)
            if r["type"] == "CONNECT":
                st["level"] = r["protocol_level"]
        st["buf"] = rest


def ws_to_mqtt(frames):
    """Per stream and direction: reassemble WS binary message payloads, decode MQTT."""
    state = {}
    for fr in frames:
        key = (fr["stream"], fr["srcport"])
        st = state.setdefault(key, {"buf": b"", "level": 4})
        fr["mqtt"] = []
        fr["ws_summary"] = [{"opcode": w["opcode"], "fin": w["fin"], "masked": w["masked"],
                             "len": len(w["payload"])} for w in fr.get("ws", [])]
        for w in fr.get("ws", []):
            if w["opcode"] in (0, 2):
                st["buf"] += w["payload"]
                recs, st["buf"], st["level"] = mqtt_from_bytes(st["buf"], st["level"])
                for r in recs:
                    r.pop("_size")
                fr["mqtt"].extend(recs)
        for k in fr["mqtt"]:
            if k["type"] == "CONNECT":
                st["level"] = k["protocol_level"]
                state.setdefault((fr["stream"], fr["dstport"]), {"buf": b"", "level": 4})["level"] = k["protocol_level"]


# --------------------------------------------------------------------------
# frames → connections
# --------------------------------------------------------------------------
def connections(frames, port):
    conns = OrderedDict()
    for fr in frames:
        c = conns.get(fr["stream"])
        if c is None:
            c = conns[fr["stream"]] = OrderedDict(stream=fr["stream"], ipv6=fr["ipv6"], client_id=None,
                                                  protocol_level=None, username=None,
                                                  c2s=[], s2c=[], first_fin=None, rst_from=[],
                                                  frames_with_several_mqtt_packets={"c2s": [], "s2c": []},
                                                  reassembled={"c2s": [], "s2c": []})
        d = "s2c" if fr["srcport"] == port else "c2s"
        # A FIN captured after an RST crossed it on the wire: the connection was already reset.
        if fr["fin"] and c["first_fin"] is None and not c["rst_from"]:
            c["first_fin"] = "client" if d == "c2s" else "broker"
        if fr["rst"] and ("client" if d == "c2s" else "broker") not in c["rst_from"]:
            c["rst_from"].append("client" if d == "c2s" else "broker")
        for m in fr["mqtt"]:
            m = OrderedDict([("frame", fr["frame"])] + list(m.items()))
            c[d].append(m)
            if m["type"] == "CONNECT" and c["client_id"] is None:
                c["client_id"] = m["client_id"]
                c["protocol_level"] = m["protocol_level"]
                c["username"] = m.get("username")
        if len(fr["mqtt"]) > 1:
            c["frames_with_several_mqtt_packets"][d].append({"frame": fr["frame"], "mqtt_packets": len(fr["mqtt"])})
        if fr["reassembled_segments"] and fr["mqtt"]:
            c["reassembled"][d].append({"frame": fr["frame"], "segments": max(fr["reassembled_segments"]),
                                        "first_packet": fr["mqtt"][0]["type"]})
    return list(conns.values())


def counts(conns):
    cnt = Counter()
    for c in conns:
        for d in ("c2s", "s2c"):
            for m in c[d]:
                cnt[m["type"]] += 1
    return dict(sorted(cnt.items()))


# --------------------------------------------------------------------------
# Intent: what each scenario sent and received (the clients wait for these answers)
# --------------------------------------------------------------------------
class Checker:
    def __init__(self, conns):
        self.conns = conns
        self.done = []
        self.failed = []

    def ok(self, cond, what):
        (self.done if cond else self.failed).append(what)

    def conn(self, cid, nth=0):
        cs = [c for c in self.conns if c["client_id"] == cid]
        if len(cs) <= nth:
            self.failed.append(f"connection of client id {cid!r} #{nth} present")
            return None
        return cs[nth]

    def seq(self, cid, d, types, nth=0):
        c = self.conn(cid, nth)
        if c is None:
            return None
        got = [m["type"] for m in c[d]]
        self.ok(got == types, f"{cid}#{nth} {d} packet types == {types} (got {got})")
        return c

    def counts(self, want):
        got = counts(self.conns)
        self.ok(got == want, f"packet counts == {want} (got {got})")

    def ids(self, want):
        got = [c["client_id"] for c in self.conns]
        self.ok(got == want, f"client ids in connection order == {want} (got {got})")

    def get(self, cid, d, typ, i=0, nth=0):
        c = self.conn(cid, nth)
        ms = [m for m in (c[d] if c else []) if m["type"] == typ]
        if len(ms) <= i:
            self.failed.append(f"{cid}#{nth} {d} has {typ} number {i}")
            return {}
        return ms[i]

    def eq(self, cid, d, typ, key, want, i=0, nth=0):
        m = self.get(cid, d, typ, i, nth)
        got = m.get(key)
        self.ok(got == want, f"{cid}#{nth} {d} {typ}[{i}].{key} == {want!r} (got {got!r})")

    def has_prop(self, cid, d, typ, prop, i=0, nth=0):
        m = self.get(cid, d, typ, i, nth)
        got = m.get("properties") or []
        self.ok(prop in got, f"{cid}#{nth} {d} {typ}[{i}] has property {prop} (got {got})")

    def lacks_prop(self, cid, d, typ, name, i=0, nth=0):
        m = self.get(cid, d, typ, i, nth)
        got = [list(p)[0] for p in (m.get("properties") or [])]
        self.ok(name not in got, f"{cid}#{nth} {d} {typ}[{i}] has no {name} property (got {got})")


def intent_v31(k):
    k.ids(["v31-retain", "v31-sub", "v31-pub-q0", "v31-pub-q1", "v31-pub-q2"])
    k.counts({"CONNACK": 5, "CONNECT": 5, "DISCONNECT": 5, "PUBACK": 4, "PUBCOMP": 2, "PUBLISH": 8,
              "PUBREC": 2, "PUBREL": 2, "SUBACK": 1, "SUBSCRIBE": 1})
    for c in ("v31-retain", "v31-sub", "v31-pub-q0"):
        k.eq(c, "c2s", "CONNECT", "protocol_name", "MQIsdp")
        k.eq(c, "c2s", "CONNECT", "protocol_level", 3)
        k.eq(c, "c2s", "CONNECT", "username", "alice")
        k.eq(c, "c2s", "CONNECT", "password_present", True)
    k.eq("v31-sub", "c2s", "CONNECT", "will", OrderedDict(topic="v31/will", payload={"text": "v31-sub gone", "len": 12},
                                                          qos=1, retain=False))
    k.eq("v31-sub", "c2s", "CONNECT", "keep_alive", 30)
    k.seq("v31-retain", "c2s", ["CONNECT", "PUBLISH", "DISCONNECT"])
    k.eq("v31-retain", "c2s", "PUBLISH", "retain", True)
    k.seq("v31-sub", "c2s", ["CONNECT", "SUBSCRIBE", "PUBACK", "PUBACK", "PUBREC", "PUBCOMP", "DISCONNECT"])
    k.seq("v31-sub", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH", "PUBLISH", "PUBLISH", "PUBREL"])
    k.eq("v31-sub", "c2s", "SUBSCRIBE", "filters", [OrderedDict(filter="v31/#", qos=2)])
    k.eq("v31-sub", "s2c", "SUBACK", "codes", [2])
    k.eq("v31-sub", "s2c", "PUBLISH", "retain", True, 0)
    k.eq("v31-sub", "s2c", "PUBLISH", "topic", "v31/retained", 0)
    for q in (0, 1, 2):
        k.eq(f"v31-pub-q{q}", "c2s", "PUBLISH", "qos", q)
        k.eq(f"v31-pub-q{q}", "c2s", "PUBLISH", "topic", f"v31/q{q}")
        k.eq("v31-sub", "s2c", "PUBLISH", "topic", f"v31/q{q}", q + 1)
        k.eq("v31-sub", "s2c", "PUBLISH", "qos", q, q + 1)
    k.seq("v31-pub-q2", "c2s", ["CONNECT", "PUBLISH", "PUBREL", "DISCONNECT"])
    k.seq("v31-pub-q2", "s2c", ["CONNACK", "PUBREC", "PUBCOMP"])


def intent_v311_like(k, pfx, level):
    v5 = level == 5
    k.ids([f"{pfx}-retain", f"{pfx}-sub", f"{pfx}-pub"])
    unsub_extra = 0 if v5 else 1  # the 3.1.1 scenario publishes once more after UNSUBSCRIBE
    k.counts({"CONNACK": 3, "CONNECT": 3, "DISCONNECT": 3, "PUBACK": 4, "PUBCOMP": 2,
              "PUBLISH": 8 + unsub_extra, "PUBREC": 2, "PUBREL": 2, "SUBACK": 1, "SUBSCRIBE": 1,
              "UNSUBACK": 1, "UNSUBSCRIBE": 1})
    for c in (f"{pfx}-retain", f"{pfx}-sub", f"{pfx}-pub"):
        k.eq(c, "c2s", "CONNECT", "protocol_name", "MQTT")
        k.eq(c, "c2s", "CONNECT", "protocol_level", level)
        k.eq(c, "c2s", "CONNECT", "username", "alice")
        k.eq(c, "c2s", "CONNECT", "password_present", True)
    k.seq(f"{pfx}-retain", "c2s", ["CONNECT", "PUBLISH", "DISCONNECT"])
    k.seq(f"{pfx}-retain", "s2c", ["CONNACK", "PUBACK"])
    k.eq(f"{pfx}-retain", "c2s", "PUBLISH", "retain", True)
    k.eq(f"{pfx}-sub", "c2s", "CONNECT", "keep_alive", 30)
    will = k.get(f"{pfx}-sub", "c2s", "CONNECT").get("will") or {}
    k.ok(will.get("topic") == f"{pfx}/will" and will.get("qos") == 1 and will.get("payload", {}).get("text") ==
         f"{pfx}-sub gone", f"{pfx}-sub will: {pfx}/will qos 1 '{pfx}-sub gone' (got {will})")
    k.eq(f"{pfx}-sub", "c2s", "SUBSCRIBE", "filters",
         [OrderedDict(filter=f"{pfx}/q0", qos=0), OrderedDict(filter=f"{pfx}/q1", qos=1),
          OrderedDict(filter=f"{pfx}/q2", qos=2), OrderedDict(filter=f"{pfx}/retained", qos=1)])
    k.eq(f"{pfx}-sub", "s2c", "SUBACK", "codes", [0, 1, 2, 1])
    k.seq(f"{pfx}-sub", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH", "PUBLISH", "PUBLISH", "PUBREL", "UNSUBACK"])
    k.seq(f"{pfx}-sub", "c2s", ["CONNECT", "SUBSCRIBE", "PUBACK", "PUBACK", "PUBREC", "PUBCOMP", "UNSUBSCRIBE",
                                "DISCONNECT"])
    k.eq(f"{pfx}-sub", "s2c", "PUBLISH", "retain", True, 0)
    k.eq(f"{pfx}-sub", "s2c", "PUBLISH", "topic", f"{pfx}/retained", 0)
    for q in (0, 1, 2):
        k.eq(f"{pfx}-pub", "c2s", "PUBLISH", "topic", f"{pfx}/q{q}", q)
        k.eq(f"{pfx}-pub", "c2s", "PUBLISH", "qos", q, q)
        k.eq(f"{pfx}-pub", "c2s", "PUBLISH", "payload", {"text": f"{pfx} qos {q}", "len": len(f"{pfx} qos {q}")}, q)
        k.eq(f"{pfx}-sub", "s2c", "PUBLISH", "qos", q, q + 1)
    k.eq(f"{pfx}-sub", "c2s", "UNSUBSCRIBE", "filters", [f"{pfx}/q0"])
    if v5:
        k.eq(f"{pfx}-sub", "s2c", "UNSUBACK", "codes", [0])


def intent_v5_props(k):
    k.ids(["v5-props-sub", "v5-props-pub"])
    k.counts({"CONNACK": 2, "CONNECT": 2, "DISCONNECT": 2, "PUBACK": 5, "PUBLISH": 9, "SUBACK": 1,
              "SUBSCRIBE": 1, "UNSUBACK": 1, "UNSUBSCRIBE": 1})
    s, p = "v5-props-sub", "v5-props-pub"
    for prop in ({"session_expiry_interval": 120}, {"receive_maximum": 10}, {"topic_alias_maximum": 5},
                 {"maximum_packet_size": 65536}, {"user_property": ["role", "subscriber"]}):
        k.has_prop(s, "c2s", "CONNECT", prop)
    k.has_prop(p, "c2s", "CONNECT", {"session_expiry_interval": 30})
    will = k.get(p, "c2s", "CONNECT").get("will") or {}
    k.ok(will.get("topic") == "v5/props/will" and {"content_type": "text/plain"} in will.get("properties", [])
         and {"user_property": ["will", "yes"]} in will.get("properties", []) and
         {"will_delay_interval": 0} in will.get("properties", []),
         f"will with content type, user property, will delay (got {will})")
    k.has_prop(s, "c2s", "SUBSCRIBE", {"subscription_identifier": 42})
    k.has_prop(s, "c2s", "SUBSCRIBE", {"user_property": ["sub", "props"]})
    for prop in ({"payload_format_indicator": 1}, {"message_expiry_interval": 300},
                 {"content_type": "application/json"}, {"response_topic": "v5/props/reply"},
                 {"correlation_data": b"\x01\x02corr-42".hex()}, {"user_property": ["k1", "v1"]},
                 {"user_property": ["k2", "v2"]}, {"topic_alias": 1}):
        k.has_prop(p, "c2s", "PUBLISH", prop, 0)
    k.eq(p, "c2s", "PUBLISH", "topic", "", 1)
    k.eq(p, "c2s", "PUBLISH", "properties", [{"topic_alias": 1}], 1)
    k.eq(p, "c2s", "PUBLISH", "topic_resolved_by_tshark", "v5/props/a", 1)
    k.has_prop(p, "c2s", "PUBLISH", {"topic_alias": 2}, 2)
    k.eq(p, "c2s", "PUBLISH", "topic", "v5/props/b", 3)  # paho resends the topic with the alias
    k.eq(p, "c2s", "DISCONNECT", "reason_code", 4)
    k.has_prop(p, "c2s", "DISCONNECT", {"session_expiry_interval": 0})
    # broker → subscriber: subscription identifier added; mosquitto 2.0.11 does not use topic aliases
    for i in range(5):
        k.has_prop(s, "s2c", "PUBLISH", {"subscription_identifier": 42}, i)
        k.lacks_prop(s, "s2c", "PUBLISH", "topic_alias", i)
    k.eq(s, "s2c", "PUBLISH", "topic", "v5/props/a", 1)
    k.eq(s, "s2c", "PUBLISH", "topic", "v5/props/will", 4)
    k.has_prop(s, "s2c", "PUBLISH", {"correlation_data": b"\x01\x02corr-42".hex()}, 0)
    k.has_prop(s, "c2s", "UNSUBSCRIBE", {"user_property": ["bye", "now"]})
    k.eq(s, "s2c", "UNSUBACK", "codes", [0])
    k.eq(s, "c2s", "DISCONNECT", "reason_code", 0)


def intent_large(k, size=17000):
    k.ids(["large-sub", "large-pub"])
    k.counts({"CONNACK": 2, "CONNECT": 2, "DISCONNECT": 2, "PUBACK": 2, "PUBLISH": 2, "SUBACK": 1, "SUBSCRIBE": 1})
    for cid, d in (("large-pub", "c2s"), ("large-sub", "s2c")):
        m = k.get(cid, d, "PUBLISH")
        k.ok(m.get("payload", {}).get("len") == size and m.get("topic") == "large/blob",
             f"{cid} {d} PUBLISH large/blob with {size} bytes (got {m.get('payload')})")
    c = k.conn("large-pub")
    if c:
        r = [x for x in c["reassembled"]["c2s"] if x["first_packet"] == "PUBLISH"]
        # 1000-byte writes: 1 + 3 + 12 + 2 + 17000 (header, varint, topic, id, payload) = 17018 bytes → 18 segments
        k.ok(len(r) == 1 and r[0]["segments"] == 18, f"large-pub PUBLISH reassembled from 18 segments (got {r})")
    c = k.conn("large-sub")
    if c:
        r = [x for x in c["reassembled"]["s2c"] if x["first_packet"] == "PUBLISH"]
        k.ok(len(r) == 1 and r[0]["segments"] >= 2, f"large-sub PUBLISH spans >= 2 segments (got {r})")


def intent_burst(k, n0=30, n1=10):
    k.ids(["burst-sub", "burst-pub"])
    k.counts({"CONNACK": 2, "CONNECT": 2, "DISCONNECT": 2, "PUBACK": 2 * n1, "PUBLISH": 2 * (n0 + n1),
              "SUBACK": 1, "SUBSCRIBE": 1})
    c = k.conn("burst-pub")
    if c:
        sizes = [x["mqtt_packets"] for x in c["frames_with_several_mqtt_packets"]["c2s"]]
        k.ok(n0 in sizes and n1 in sizes, f"burst-pub sent one segment with {n0} and one with {n1} PUBLISHes "
                                          f"(got segments with {sizes})")
    for i in range(n0):
        k.eq("burst-pub", "c2s", "PUBLISH", "topic", f"burst/q0/{i}", i)
    k.eq("burst-pub", "c2s", "PUBLISH", "packet_id", n0 + 1, n0)  # paho counts QoS 0 publishes in its ids


def intent_split(k):
    k.ids(["split-sub", "split-pub"])
    k.counts({"CONNACK": 2, "CONNECT": 2, "DISCONNECT": 2, "PUBACK": 6, "PUBLISH": 6, "SUBACK": 1, "SUBSCRIBE": 1})
    for i, n in enumerate((2, 1, 6)):
        m = k.get("split-pub", "c2s", "PUBLISH", i)
        k.ok(m.get("topic") == f"split/at-{n}" and m.get("payload", {}).get("len") == 200 and m.get("segments") == 2,
             f"split-pub PUBLISH split/at-{n}: 200 bytes in 2 segments, the first of {n} bytes (got {m})")
        k.eq("split-pub", "c2s", "PUBLISH", "packet_id", i + 1, i)
        k.eq("split-sub", "s2c", "PUBLISH", "topic", f"split/at-{n}", i)


def intent_bad_creds(k):
    k.ids(["bad-pw-311", "no-user-311", "bad-pw-v5", "no-user-v5", "bad-pw-31", "good-pw-311"])
    k.counts({"CONNACK": 6, "CONNECT": 6, "DISCONNECT": 1, "PUBACK": 1, "PUBLISH": 1})
    # mosquitto 2.0.11: 5 / 0x87 (not authorized) for a wrong password and for no user name alike
    for cid, code, lvl in (("bad-pw-311", 5, 4), ("no-user-311", 5, 4), ("bad-pw-v5", 0x87, 5),
                           ("no-user-v5", 0x87, 5), ("bad-pw-31", 5, 3), ("good-pw-311", 0, 4)):
        k.eq(cid, "c2s", "CONNECT", "protocol_level", lvl)
        k.eq(cid, "s2c", "CONNACK", "code", code)
        k.eq(cid, "s2c", "CONNACK", "session_present", False)
        if code:
            k.seq(cid, "c2s", ["CONNECT"])
            k.seq(cid, "s2c", ["CONNACK"])
    for cid in ("bad-pw-311", "bad-pw-v5", "bad-pw-31", "good-pw-311"):
        k.eq(cid, "c2s", "CONNECT", "username", "alice")
    for cid in ("no-user-311", "no-user-v5"):
        k.eq(cid, "c2s", "CONNECT", "username", None)


def intent_ipv6(k):
    k.ids(["v6-sub", "v6-pub", "v6-cli"])
    k.ok(all(c["ipv6"] for c in k.conns), "all connections over IPv6")
    k.counts({"CONNACK": 3, "CONNECT": 3, "DISCONNECT": 3, "PUBACK": 3, "PUBCOMP": 1, "PUBLISH": 4, "PUBREC": 1,
              "PUBREL": 1, "SUBACK": 1, "SUBSCRIBE": 1})
    k.eq("v6-pub", "c2s", "CONNECT", "protocol_level", 4)
    k.eq("v6-cli", "c2s", "PUBLISH", "qos", 2)
    k.eq("v6-sub", "s2c", "PUBLISH", "topic", "v6/cli", 1)


def intent_vxlan(k):
    k.ids(["tun-sub", "tun-pub4", "tun-pub6"])
    k.counts({"CONNACK": 3, "CONNECT": 3, "DISCONNECT": 3, "PUBACK": 2, "PUBCOMP": 2, "PUBLISH": 4, "PUBREC": 2,
              "PUBREL": 2, "SUBACK": 1, "SUBSCRIBE": 1})
    k.ok(not any(c["ipv6"] for c in k.conns), "all MQTT connections over IPv4 inside the tunnels")
    k.seq("tun-sub", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH", "PUBREL"])
    k.eq("tun-sub", "s2c", "PUBLISH", "topic", "tun/v4", 0)
    k.eq("tun-sub", "s2c", "PUBLISH", "topic", "tun/v6", 1)
    k.eq("tun-pub4", "c2s", "CONNECT", "protocol_level", 5)
    k.eq("tun-pub6", "c2s", "CONNECT", "protocol_level", 4)
    k.seq("tun-pub6", "s2c", ["CONNACK", "PUBREC", "PUBCOMP"])


def tls_sessions(k, qos):
    """Each client publishes to its own subscription: QoS 1 gives a PUBACK each way, QoS 2 a
    PUBREC, PUBREL and PUBCOMP each way (in an order that depends on timing)."""
    flow = {0: [], 1: ["PUBACK"], 2: ["PUBCOMP", "PUBREC", "PUBREL"]}
    for cid, q in qos.items():
        c = k.conn(cid)
        got = sorted(m["type"] for m in c["c2s"]) if c else None
        want = sorted(["CONNECT", "SUBSCRIBE", "PUBLISH", "DISCONNECT"] + flow[q])
        k.ok(got == want, f"{cid} c2s packet types (any order) == {want} (got {got})")
        k.eq(cid, "c2s", "PUBLISH", "qos", q)
        k.eq(cid, "s2c", "PUBLISH", "topic", f"tls/{cid}")
        k.eq(cid, "c2s", "PUBLISH", "payload", {"text": f"secret payload of {cid}", "len": len(f"secret payload of {cid}")})


def intent_tls_keylog(k):
    ids = ["tls13-aes256", "tls12-aes128", "tls12-aes256", "tls12-chacha", "tls12-cbc-sha", "tls12-cbc-sha384", None,
           "tls13-chacha", "tls13-aes128"]
    k.ids(ids)
    k.counts({"CONNACK": 8, "CONNECT": 8, "DISCONNECT": 8, "PUBACK": 8, "PUBCOMP": 6, "PUBLISH": 16, "PUBREC": 6,
              "PUBREL": 6, "SUBACK": 8, "SUBSCRIBE": 8})
    tls_sessions(k, {"tls13-aes256": 1, "tls12-aes128": 1, "tls12-aes256": 2, "tls12-chacha": 0, "tls12-cbc-sha": 1,
                     "tls12-cbc-sha384": 2, "tls13-chacha": 2, "tls13-aes128": 1})
    k.ok(not k.conns[6]["c2s"] and not k.conns[6]["s2c"], "the connection without a logged key shows no MQTT")


def intent_tls_ccm(k):
    k.ids(["tls13-ccm", "tls12-ccm", "tls12-ccm256", "tls12-ccm8", "tls12-ccm8-256", "tls13-ccm8"])
    k.counts({"CONNACK": 6, "CONNECT": 6, "DISCONNECT": 6, "PUBACK": 6, "PUBCOMP": 4, "PUBLISH": 12, "PUBREC": 4,
              "PUBREL": 4, "SUBACK": 6, "SUBSCRIBE": 6})
    tls_sessions(k, {"tls13-ccm": 1, "tls12-ccm": 1, "tls12-ccm256": 2, "tls12-ccm8": 1, "tls12-ccm8-256": 0,
                     "tls13-ccm8": 2})


def intent_tunnels(k):
    intent_v311_like(k, "v5", 5)


def intent_unacked(k):
    k.ids(["unacked-sub", "unacked-pub", "qos2-no-pubrel", "unacked-sub", "unacked-sub"])
    k.seq("unacked-sub", "c2s", ["CONNECT", "SUBSCRIBE"], 0)
    k.seq("unacked-sub", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH"], 0)
    k.eq("unacked-sub", "c2s", "CONNECT", "clean", False, 0, 0)
    k.eq("unacked-sub", "s2c", "PUBLISH", "qos", 1, 0, 0)
    k.eq("unacked-sub", "s2c", "PUBLISH", "packet_id", 1, 0, 0)
    k.eq("unacked-sub", "s2c", "PUBLISH", "qos", 2, 1, 0)
    k.eq("unacked-sub", "s2c", "PUBLISH", "packet_id", 2, 1, 0)
    c = k.conn("unacked-sub", 0)
    k.ok(c and c["first_fin"] == "client", "killed subscriber: connection closed by the client without DISCONNECT")
    k.seq("qos2-no-pubrel", "c2s", ["CONNECT", "PUBLISH"])
    k.seq("qos2-no-pubrel", "s2c", ["CONNACK", "PUBREC"])
    k.eq("qos2-no-pubrel", "c2s", "PUBLISH", "packet_id", 7)
    k.eq("qos2-no-pubrel", "s2c", "PUBREC", "packet_id", 7)
    k.seq("unacked-sub", "s2c", ["CONNACK", "PUBLISH", "PUBLISH", "PUBREL"], 1)
    k.seq("unacked-sub", "c2s", ["CONNECT", "PUBACK", "PUBREC", "PUBCOMP", "DISCONNECT"], 1)
    k.eq("unacked-sub", "s2c", "CONNACK", "session_present", True, 0, 1)
    for i in (0, 1):
        k.eq("unacked-sub", "s2c", "PUBLISH", "dup", True, i, 1)
    k.seq("unacked-sub", "c2s", ["CONNECT", "DISCONNECT"], 2)
    k.eq("unacked-sub", "s2c", "CONNACK", "session_present", False, 0, 2)


def intent_takeover(k):
    k.ids(["takeover-311", "takeover-311", "takeover-v5", "takeover-v5"])
    for cid in ("takeover-311", "takeover-v5"):
        k.seq(cid, "c2s", ["CONNECT"], 0)
        k.seq(cid, "s2c", ["CONNACK"], 0)  # mosquitto 2.0.11 sends no DISCONNECT 0x8E, it just closes
        c = k.conn(cid, 0)
        k.ok(c and c["first_fin"] == "broker", f"{cid}: first connection closed by the broker")
        k.seq(cid, "c2s", ["CONNECT", "DISCONNECT"], 1)
        k.seq(cid, "s2c", ["CONNACK"], 1)


def intent_refused_version(k):
    k.ids(["proto-mqtt-6", "proto-mqtt-3", "proto-mqisdp-4", "proto-mqtt-0"])
    for cid, name, lvl in (("proto-mqtt-6", "MQTT", 6), ("proto-mqtt-3", "MQTT", 3),
                           ("proto-mqisdp-4", "MQIsdp", 4), ("proto-mqtt-0", "MQTT", 0)):
        k.eq(cid, "c2s", "CONNECT", "protocol_name", name)
        k.eq(cid, "c2s", "CONNECT", "protocol_level", lvl)
        k.seq(cid, "s2c", ["CONNACK"])
        k.eq(cid, "s2c", "CONNACK", "code", 1)  # 3.1.1-style "unacceptable protocol version"


def intent_keepalive(k):
    k.ids(["ka-watch", "ka-311", "ka-v5"])
    for cid, lvl in (("ka-311", 4), ("ka-v5", 5)):
        k.eq(cid, "c2s", "CONNECT", "keep_alive", 1)
        k.eq(cid, "c2s", "CONNECT", "protocol_level", lvl)
        k.seq(cid, "c2s", ["CONNECT", "PINGREQ"])
        k.seq(cid, "s2c", ["CONNACK", "PINGRESP"])  # mosquitto 2.0.11 sends no DISCONNECT 0x8D to v5 either
        c = k.conn(cid)
        k.ok(c and c["first_fin"] == "broker", f"{cid}: closed by the broker")
    k.seq("ka-watch", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH"])
    k.eq("ka-watch", "s2c", "PUBLISH", "topic", "ka/will/ka-311", 0)
    k.eq("ka-watch", "s2c", "PUBLISH", "topic", "ka/will/ka-v5", 1)


def intent_protocol_errors(k):
    k.ids(["second-connect-311", "second-connect-v5", None])
    for cid in ("second-connect-311", "second-connect-v5"):
        k.seq(cid, "c2s", ["CONNECT", "CONNECT"])
        k.seq(cid, "s2c", ["CONNACK"])  # mosquitto closes without DISCONNECT 0x82 for v5
        c = k.conn(cid)
        k.ok(c and c["first_fin"] == "broker", f"{cid}: closed by the broker")
    c = k.conns[2] if len(k.conns) > 2 else None
    k.ok(c and [m["type"] for m in c["c2s"]] == ["PUBLISH"] and c["s2c"] == [] and
         (c["first_fin"] == "broker" or "broker" in c["rst_from"]),
         "PUBLISH before CONNECT: no answer, closed (FIN or RST) by the broker")


def intent_no_disconnect_will(k):
    k.ids(["will-watch", "will-311", "will-v5"])
    for cid in ("will-311", "will-v5"):
        k.seq(cid, "c2s", ["CONNECT"])
        k.seq(cid, "s2c", ["CONNACK"])
        c = k.conn(cid)
        k.ok(c and c["first_fin"] == "client", f"{cid}: TCP closed by the client without DISCONNECT")
    w = k.get("will-v5", "c2s", "CONNECT").get("will", {})
    k.ok(w.get("retain") is True and {"content_type": "text/plain"} in w.get("properties", []) and
         {"user_property": ["why", "tcp closed"]} in w.get("properties", []), f"will-v5 will properties (got {w})")
    k.seq("will-watch", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH"])
    k.eq("will-watch", "s2c", "PUBLISH", "topic", "will/will-311", 0)
    k.eq("will-watch", "s2c", "PUBLISH", "topic", "will/will-v5", 1)
    k.has_prop("will-watch", "s2c", "PUBLISH", {"content_type": "text/plain"}, 1)
    k.eq("will-watch", "s2c", "PUBLISH", "retain", False, 1)  # a will with retain set is delivered live: retain 0


def intent_ws(k):
    k.ids(["ws-paho-sub", "ws-paho-pub", "ws-paho-v5", "ws-js-sub", "ws-js-pub", "ws-js-v5"])
    k.counts({"CONNACK": 6, "CONNECT": 6, "DISCONNECT": 4, "PUBACK": 4, "PUBCOMP": 2, "PUBLISH": 10, "PUBREC": 2,
              "PUBREL": 2, "SUBACK": 2, "SUBSCRIBE": 2})
    k.seq("ws-paho-sub", "c2s", ["CONNECT", "SUBSCRIBE", "PUBACK", "PUBREC", "PUBCOMP", "DISCONNECT"])
    k.seq("ws-paho-sub", "s2c", ["CONNACK", "SUBACK", "PUBLISH", "PUBLISH", "PUBLISH", "PUBREL"])
    k.seq("ws-paho-pub", "c2s", ["CONNECT", "PUBLISH", "PUBLISH", "PUBLISH", "PUBREL", "DISCONNECT"])
    k.seq("ws-paho-pub", "s2c", ["CONNACK", "PUBACK", "PUBREC", "PUBCOMP"])
    for q in (0, 1, 2):
        k.eq("ws-paho-pub", "c2s", "PUBLISH", "topic", f"ws/paho/q{q}", q)
        k.eq("ws-paho-pub", "c2s", "PUBLISH", "qos", q, q)
    for cid in ("ws-paho-v5", "ws-js-v5"):
        k.eq(cid, "c2s", "CONNECT", "protocol_level", 5)
        k.seq(cid, "s2c", ["CONNACK"])
        k.eq(cid, "s2c", "CONNACK", "code", 1)  # aedes: 3.1.1-style "unacceptable protocol version"
    k.seq("ws-js-sub", "c2s", ["CONNECT", "SUBSCRIBE", "PUBACK", "DISCONNECT"])
    k.seq("ws-js-pub", "c2s", ["CONNECT", "PUBLISH", "PUBLISH", "DISCONNECT"])
    k.eq("ws-js-pub", "c2s", "PUBLISH", "payload", {"text": "x" * 300, "len": 300}, 1)
    k.eq("ws-js-sub", "s2c", "PUBLISH", "topic", "ws/js/b", 1)


def intent_aedes_tcp(k):
    k.ids(["aedes-bad-pw", "aedes-v5", "aedes-v31", "aedes-v311"])
    k.eq("aedes-bad-pw", "s2c", "CONNACK", "code", 4)
    k.eq("aedes-bad-pw", "c2s", "CONNECT", "username", "bad")
    k.eq("aedes-v5", "c2s", "CONNECT", "protocol_level", 5)
    k.seq("aedes-v5", "s2c", ["CONNACK"])
    k.eq("aedes-v5", "s2c", "CONNACK", "code", 1)
    k.eq("aedes-v31", "c2s", "CONNECT", "protocol_name", "MQIsdp")
    for cid in ("aedes-v31", "aedes-v311"):
        k.seq(cid, "c2s", ["CONNECT", "PUBLISH", "DISCONNECT"])
        k.seq(cid, "s2c", ["CONNACK", "PUBACK"])
        k.eq(cid, "s2c", "CONNACK", "code", 0)


INTENT = {
    "v31-session": intent_v31,
    "v311-session": lambda k: intent_v311_like(k, "v311", 4),
    "v5-session": lambda k: intent_v311_like(k, "v5", 5),
    "v5-properties": intent_v5_props,
    "large-payload": intent_large,
    "burst": intent_burst,
    "split-varint": intent_split,
    "bad-credentials": intent_bad_creds,
    "ipv6": intent_ipv6,
    "unacked-qos": intent_unacked,
    "session-takeover": intent_takeover,
    "refused-protocol-version": intent_refused_version,
    "keepalive-expiry": intent_keepalive,
    "protocol-errors": intent_protocol_errors,
    "no-disconnect-will": intent_no_disconnect_will,
    "ws": intent_ws,
    "aedes-tcp": intent_aedes_tcp,
    "vxlan": intent_vxlan,
    "tunnels": intent_tunnels,
    "tls-keylog": intent_tls_keylog,
    "tls-ccm": intent_tls_ccm,
}


def main():
    path, scenario, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ws = "--ws" in sys.argv
    own = "--self-decode" in sys.argv
    notes = [a[len("--note="):] for a in sys.argv if a.startswith("--note=")]
    keylog = next((a[len("--tls-keylog="):] for a in sys.argv if a.startswith("--tls-keylog=")), None)
    frames = decode(path, port, ws, keylog)
    if ws:
        ws_to_mqtt(frames)
        tshark_mqtt = subprocess.run(["tshark", "-r", path, "-Y", "mqtt"], capture_output=True, text=True).stdout
        notes.append("tshark 4.0 decodes the WebSocket frames but shows no MQTT in them "
                     f"(`tshark -Y mqtt` shows {len(tshark_mqtt.splitlines())} frames); the MQTT records here are "
                     "decoded by expect.py from the unmasked WebSocket payloads tshark extracts, and checked "
                     "against what the clients did")
    if own:
        self_decode(path, frames, port)
        tshark_counts = Counter(t for fr in frames for t in fr["tshark_mqtt"])
        notes.append("tshark 4.0 mis-decodes this capture (a remaining-length varint split across TCP segments "
                     f"is not reassembled); its MQTT packet counts are {dict(sorted(tshark_counts.items()))}. The "
                     "MQTT records here are decoded by expect.py from the raw TCP payloads and checked against what "
                     "the client did")
    conns = connections(frames, port)
    k = Checker(conns)
    INTENT[scenario](k)
    name = os.path.basename(path)
    if k.failed:
        print(f"expect.py: {name}: {len(k.failed)} intent check(s) FAILED:", file=sys.stderr)
        for f in k.failed:
            print("  - " + f, file=sys.stderr)
        sys.exit(1)
    if scenario.startswith("tls-"):
        # The session whose key was not logged shows no MQTT (in tshark as in mqtt-dissect).
        out_of_reach = [c for c in conns if not c["c2s"] and not c["s2c"]]
        conns = [c for c in conns if c["c2s"] or c["s2c"]]
        if out_of_reach:
            notes.append(f"{len(out_of_reach)} TLS connection(s) without a logged key show no MQTT and are not listed")
    for c in conns:
        c.pop("stream")
    out = OrderedDict()
    out["file"] = name
    out["scenario"] = scenario
    out["tshark_version"] = tshark_version()
    out.update(capinfo(path))
    out["broker_port"] = port
    out["mqtt_decoded_by"] = ("expect.py from tshark's WebSocket payloads" if ws else
                              "expect.py from the TCP payloads (tshark gets it wrong)" if own else "tshark")
    out["frames"] = len(frames) + len(NOT_TCP)
    if scenario in ("vxlan", "tunnels"):
        # How each frame was carried (tshark's protocol stack), counted.
        stacks = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.protocols",
                                 "-d", "udp.port==8472,vxlan"], capture_output=True, text=True, check=True)
        out["frame_protocols"] = dict(sorted(Counter(stacks.stdout.split()).items()))
    out["mqtt_packet_counts"] = counts(conns)
    out["connections"] = conns
    if own:
        out["tshark_mqtt_per_frame"] = [{"frame": fr["frame"], "tshark": fr["tshark_mqtt"]}
                                        for fr in frames if fr["tshark_mqtt"]]
    if ws:
        out["websocket_frames"] = [
            {"frame": fr["frame"], "dir": "s2c" if fr["srcport"] == port else "c2s", "ws": fr["ws_summary"],
             "http": fr["http"]} for fr in frames if fr.get("ws_summary") or fr.get("http")]
    out["notes"] = notes
    out["checked_intent"] = k.done
    dst = re.sub(r"\.(pcap|pcapng)$", "", path) + ".expected.json"
    with open(dst, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"expect.py: {name}: {sum(out['mqtt_packet_counts'].values())} MQTT packets, "
          f"{len(conns)} connections, {len(k.done)} intent checks passed")


if __name__ == "__main__":
    main()
