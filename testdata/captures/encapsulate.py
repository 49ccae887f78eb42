#!/usr/bin/env python3
"""Re-encapsulate the frames of an Ethernet pcap in tunnels, as an overlay network or a port
mirror would carry them, for tunnel kinds this machine's kernel cannot make.

    encapsulate.py IN.pcap OUT.pcap

Frame i (from 0) goes through tunnel KINDS[i % len(KINDS)], so every kind carries packets of
every connection in both directions. The outer packets go from 10.99.0.1 (or fd99::1) to
10.99.0.2 (fd99::2) when the inner TCP segment goes to port 1883, and back otherwise.
Timestamps are kept. Checksums (IPv4 header, GRE) are computed; UDP checksums are 0, which
IPv4 allows. Deterministic: the same input gives the same bytes.
"""
import struct
import sys

MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
V4 = (bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2]))
V6 = (bytes.fromhex("fd99" + "00" * 13 + "01"), bytes.fromhex("fd99" + "00" * 13 + "02"))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, to_server, ident):
    src, dst = V4 if to_server else V4[::-1]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(proto, payload, to_server):
    src, dst = V6 if to_server else V6[::-1]
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src, dst) + payload


def eth(ethertype, payload, to_server, vlan=None):
    a, b = (MAC_A, MAC_B) if to_server else (MAC_B, MAC_A)
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return b + a + tag + struct.pack("!H", ethertype) + payload


def gre(ptype, payload, checksum=False, key=None, seq=None):
    flags = (0x80 if checksum else 0) | (0x20 if key is not None else 0) | (0x10 if seq is not None else 0)
    opt = b""
    if checksum:
        opt += b"\0\0\0\0"
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq)
    h = struct.pack("!BBH", flags, 0, ptype) + opt
    if checksum:
        c = csum(h + payload)
        h = h[:4] + struct.pack("!H", c) + h[6:]
    return h + payload


def udp(dport, payload, sport=49152):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def vxlan(vni, frame):
    return struct.pack("!II", 0x08000000, vni << 8) + frame


def geneve(ptype, vni, payload, options=b""):
    assert len(options) % 4 == 0
    return struct.pack("!BBHI", len(options) // 4, 0, ptype, vni << 8) + options + payload


def erspan2(frame, session=7, index=0x1234):
    # Ver 1, VLAN 0, COS 0, En 0, T 0, session id; reserved, index.
    return struct.pack("!HHI", 0x1000, session & 0x3FF, index & 0xFFFFF) + frame


def erspan3(frame, session=9, ts=0x01020304):
    # Ver 2, session; timestamp; SGT 0; P/FT/HW ID/D/Gra/O with O set; then an 8-byte
    # platform subheader (platform id 3, no meaning needed here).
    h = struct.pack("!HHIHH", 0x2000, session & 0x3FF, ts, 0, 0x0001)
    return h + struct.pack("!II", 3 << 26, 0) + frame


# Each kind: (name, function(inner_ip_packet, to_server, i) -> outer Ethernet frame).
KINDS = [
    ("gre", lambda ip, s, i: eth(0x0800, ipv4(47, gre(0x0800, ip), s, i), s)),
    ("ip6gre-csum-key-seq", lambda ip, s, i: eth(0x86DD, ipv6(47, gre(0x0800, ip, True, 5, i), s), s)),
    ("gretap-vlan", lambda ip, s, i: eth(0x0800, ipv4(47, gre(0x6558, eth(0x0800, ip, s, vlan=100)), s, i), s)),
    ("erspan2", lambda ip, s, i: eth(0x0800, ipv4(47, gre(0x88BE, erspan2(eth(0x0800, ip, s)), seq=i), s, i), s)),
    ("erspan3", lambda ip, s, i: eth(0x0800, ipv4(47, gre(0x22EB, erspan3(eth(0x0800, ip, s)), seq=i), s, i), s)),
    ("geneve-eth-options", lambda ip, s, i: eth(0x0800, ipv4(17, udp(6081, geneve(
        0x6558, 77, eth(0x0800, ip, s), options=struct.pack("!HBB", 0x0103, 0x80, 1) + b"opt1")), s, i), s)),
    ("geneve-ip", lambda ip, s, i: eth(0x0800, ipv4(17, udp(6081, geneve(0x0800, 78, ip)), s, i), s)),
    ("ipip", lambda ip, s, i: eth(0x0800, ipv4(4, ip, s, i), s)),
    ("4in6", lambda ip, s, i: eth(0x86DD, ipv6(4, ip, s), s)),
    ("vxlan-in-gre", lambda ip, s, i: eth(0x0800, ipv4(47, gre(0x0800, ipv4(17, udp(
        4789, vxlan(42, eth(0x0800, ip, s))), s, i)), s, i), s)),
]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    assert linktype == 1, "Ethernet captures only"
    out = [data[:24]]
    at, i = 24, 0
    while at + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        assert struct.unpack("!H", frame[12:14])[0] == 0x0800, "IPv4 frames only"
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
        name, wrap = KINDS[i % len(KINDS)]
        outer = wrap(ip, dport == 1883, i)
        out.append(struct.pack(end + "IIII", sec, frac, len(outer), len(outer)) + outer)
        i += 1
    open(dst, "wb").write(b"".join(out))
    print(f"encapsulate.py: {i} frames through {len(KINDS)} kinds of tunnel", file=sys.stderr)


if __name__ == "__main__":
    main()
