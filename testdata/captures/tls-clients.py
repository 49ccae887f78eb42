#!/usr/bin/env python3
"""MQTT over TLS clients for make-tls-captures.sh (paho-mqtt 2.x, Python's ssl).

    tls-clients.py CERT KEYLOG PORT NAME...

Each NAME is one connection: CLIENT_ID:TLS:CIPHERS:MQTT:QOS[:noetm], e.g.
tls12-gcm:1.2:ECDHE-ECDSA-AES128-GCM-SHA256:4:1. TLS is 1.2 or 1.3; CIPHERS (TLS 1.2 only) may
be empty; MQTT is 4 (3.1.1) or 5; "noetm" turns encrypt_then_mac off (CBC suites then MAC
before encrypting). A client id ending in "-nokey" writes no key log. Each client subscribes to tls/CLIENT_ID, publishes one
message there at QOS, waits for it to come back, and disconnects.
"""
import ssl
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def run(cert, keylog, port, spec):
    cid, tls, ciphers, level, qos, *flags = spec.split(":")
    qos = int(qos)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert)
    if not cid.endswith("-nokey"):
        ctx.keylog_filename = keylog
    v = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    if ciphers:
        ctx.set_ciphers(ciphers)
    if "noetm" in flags:
        ctx.options |= 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 3)
    proto = mqtt.MQTTv5 if level == "5" else mqtt.MQTTv311
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=proto)
    c.tls_set_context(ctx)
    subscribed, got = threading.Event(), threading.Event()
    c.on_subscribe = lambda *a: subscribed.set()
    c.on_message = lambda *a: got.set()
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    c.subscribe(f"tls/{cid}", qos=qos)
    if not subscribed.wait(5):
        sys.exit(f"{cid}: no SUBACK")
    info = c.publish(f"tls/{cid}", f"secret payload of {cid}".encode(), qos=qos)
    if qos:
        info.wait_for_publish(5)
    if not got.wait(5):
        sys.exit(f"{cid}: own message not delivered")
    sock = c.socket()
    suite = sock.cipher()[0] if hasattr(sock, "cipher") else "?"
    c.disconnect()
    c.loop_stop()
    print(f"tls-clients.py: {cid}: TLS {tls} {suite}, MQTT level {level}, QoS {qos}: ok", file=sys.stderr)


def main():
    cert, keylog, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for spec in sys.argv[4:]:
        run(cert, keylog, port, spec)


if __name__ == "__main__":
    main()
