//! Captures written by the test code (transport::testing) and read through the whole
//! pipeline (file → link → IP → TCP reassembly → framing → codec), asserting the MQTT
//! packets and events that come out: segmentation of every kind, lost, retransmitted,
//! overlapping and reordered segments, link types, file formats, truncation, mid-stream
//! pickup, port and CONNECT detection, TLS, and unframeable bytes.

mod common;

use common::*;
use mqtt_dissect::codec::{Packet, PacketType, ProtocolVersion};
use mqtt_dissect::dissect::capture::{CaptureConfig, ClientBasis, ConnKind, EventKind};
use mqtt_dissect::dissect::framer::SkipReason;
use mqtt_dissect::dissect::version::VersionSource;
use mqtt_dissect::transport::testing::{
    ethernet, loopback, sll, sll2, tcp_packet, PcapNgWriter, PcapWriter,
};
use mqtt_dissect::transport::{CloseKind, GapReason, Side, TcpFlags, Timestamp};
use std::net::SocketAddr;

const SYN: TcpFlags = TcpFlags::SYN;
const SYNACK: TcpFlags = TcpFlags(0x12);
const ACK: TcpFlags = TcpFlags::ACK;
const PSHACK: TcpFlags = TcpFlags(0x18);
const FINACK: TcpFlags = TcpFlags(0x11);

const CISN: u32 = 1000;
const SISN: u32 = 70000;

// ---- MQTT packets -------------------------------------------------------------------

fn vbi(mut n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        v.push(b);
        if n == 0 {
            return v;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    p.extend(vbi(body.len()));
    p.extend_from_slice(body);
    p
}

fn mqtt_str(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

/// CONNECT, 3.1.1, clean session, keep alive 60.
fn connect(id: &str) -> Vec<u8> {
    let mut b = mqtt_str("MQTT");
    b.extend_from_slice(&[4, 0x02, 0, 60]);
    b.extend(mqtt_str(id));
    packet(0x10, &b)
}

/// CONNECT, 5.0, clean start, keep alive 30, no properties.
fn connect_v5(id: &str) -> Vec<u8> {
    let mut b = mqtt_str("MQTT");
    b.extend_from_slice(&[5, 0x02, 0, 30, 0]);
    b.extend(mqtt_str(id));
    packet(0x10, &b)
}

fn connack() -> Vec<u8> {
    vec![0x20, 2, 0, 0]
}

fn publish(topic: &str, payload: &[u8], qos: u8, id: u16) -> Vec<u8> {
    let mut b = mqtt_str(topic);
    if qos > 0 {
        b.extend_from_slice(&id.to_be_bytes());
    }
    b.extend_from_slice(payload);
    packet(0x30 | (qos << 1), &b)
}

fn puback(id: u16) -> Vec<u8> {
    let [a, b] = id.to_be_bytes();
    vec![0x40, 2, a, b]
}

const PINGREQ: [u8; 2] = [0xc0, 0];
const PINGRESP: [u8; 2] = [0xd0, 0];
const DISCONNECT: [u8; 2] = [0xe0, 0];

// ---- TCP conversations --------------------------------------------------------------

fn c4() -> SocketAddr {
    "10.0.0.2:50000".parse().unwrap()
}
fn s4() -> SocketAddr {
    "10.0.0.1:1883".parse().unwrap()
}

/// One TCP connection: segments at explicit stream offsets of each direction.
#[derive(Clone, Copy)]
struct Tcp {
    c: SocketAddr,
    s: SocketAddr,
}

impl Tcp {
    fn new(c: SocketAddr, s: SocketAddr) -> Tcp {
        Tcp { c, s }
    }
    fn handshake(&self) -> Vec<Vec<u8>> {
        vec![
            tcp_packet(self.c, self.s, CISN, 0, SYN, b""),
            tcp_packet(self.s, self.c, SISN, CISN + 1, SYNACK, b""),
            tcp_packet(self.c, self.s, CISN + 1, SISN + 1, ACK, b""),
        ]
    }
    /// Client bytes at stream offset `off`.
    fn c(&self, off: usize, data: &[u8]) -> Vec<u8> {
        tcp_packet(
            self.c,
            self.s,
            CISN + 1 + off as u32,
            SISN + 1,
            PSHACK,
            data,
        )
    }
    /// Server bytes at stream offset `off`.
    fn s(&self, off: usize, data: &[u8]) -> Vec<u8> {
        tcp_packet(
            self.s,
            self.c,
            SISN + 1 + off as u32,
            CISN + 1,
            PSHACK,
            data,
        )
    }
    /// The server acknowledges client bytes up to `c_off` (its own stream at `s_off`).
    fn s_ack(&self, s_off: usize, c_off: usize) -> Vec<u8> {
        tcp_packet(
            self.s,
            self.c,
            SISN + 1 + s_off as u32,
            CISN + 1 + c_off as u32,
            ACK,
            b"",
        )
    }
    fn fins(&self, c_off: usize, s_off: usize) -> Vec<Vec<u8>> {
        vec![
            tcp_packet(
                self.c,
                self.s,
                CISN + 1 + c_off as u32,
                SISN + 1 + s_off as u32,
                FINACK,
                b"",
            ),
            tcp_packet(
                self.s,
                self.c,
                SISN + 1 + s_off as u32,
                CISN + 2 + c_off as u32,
                FINACK,
                b"",
            ),
        ]
    }
}

/// A conversation written in order: each call sends one segment.
struct Conv {
    t: Tcp,
    co: usize,
    so: usize,
    frames: Vec<Vec<u8>>,
}

impl Conv {
    fn new(c: SocketAddr, s: SocketAddr) -> Conv {
        let t = Tcp::new(c, s);
        Conv {
            frames: t.handshake(),
            t,
            co: 0,
            so: 0,
        }
    }
    fn c(&mut self, data: &[u8]) -> &mut Conv {
        self.frames.push(self.t.c(self.co, data));
        self.co += data.len();
        self
    }
    fn s(&mut self, data: &[u8]) -> &mut Conv {
        self.frames.push(self.t.s(self.so, data));
        self.so += data.len();
        self
    }
    fn close(&mut self) -> Vec<Vec<u8>> {
        let mut f = std::mem::take(&mut self.frames);
        f.extend(self.t.fins(self.co, self.so));
        f
    }
}

fn stamp(i: usize) -> Timestamp {
    Timestamp {
        secs: 1_700_000_000 + i as i64,
        nanos: 123_456_789,
    }
}

/// A microsecond Ethernet pcap of IP packets.
fn ether_pcap(ips: &[Vec<u8>]) -> Vec<u8> {
    pcap_of(1, false, false, ips, |ip| ethernet(&[], ip))
}

fn pcap_of(
    linktype: u32,
    big_endian: bool,
    nanos: bool,
    ips: &[Vec<u8>],
    wrap: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let mut w = PcapWriter::new(linktype, big_endian, nanos);
    for (i, ip) in ips.iter().enumerate() {
        w.packet(stamp(i), &wrap(ip));
    }
    w.into_bytes()
}

fn run(bytes: &[u8]) -> Run {
    run_cfg(bytes, CaptureConfig::default())
}

fn run_cfg(bytes: &[u8], cfg: CaptureConfig) -> Run {
    let r = dissect(bytes, cfg).expect("capture reads");
    assert_accounted(&r, "hand-built capture");
    r
}

/// (frame, side, type, stream offset) of every packet.
fn rows(r: &Run) -> Vec<(u64, Side, &'static str, u64)> {
    r.packets
        .iter()
        .map(|p| (p.frame, p.side, p.type_name(), p.stream_offset))
        .collect()
}

fn topics(r: &Run) -> Vec<String> {
    r.packets
        .iter()
        .filter_map(|p| match p.decoded().packet {
            Some(Packet::Publish(x)) => Some(text(x.topic.as_bytes())),
            _ => None,
        })
        .collect()
}

/// Events other than closes.
fn notable(r: &Run) -> Vec<&Ev> {
    r.events_where(|k| !matches!(k, EventKind::Closed { .. }))
}

/// The baseline session: every packet in its own segment.
fn session() -> Vec<Vec<u8>> {
    let mut c = Conv::new(c4(), s4());
    c.c(&connect("dev-1"))
        .s(&connack())
        .c(&publish("a/b", b"hello", 1, 7))
        .s(&puback(7))
        .c(&PINGREQ)
        .s(&PINGRESP)
        .c(&DISCONNECT);
    c.close()
}

fn assert_session(r: &Run) {
    let a = Side::A;
    let b = Side::B;
    assert_eq!(
        rows(r),
        vec![
            (4, a, "CONNECT", 0),
            (5, b, "CONNACK", 0),
            (6, a, "PUBLISH", 19),
            (7, b, "PUBACK", 4),
            (8, a, "PINGREQ", 33),
            (9, b, "PINGRESP", 8),
            (10, a, "DISCONNECT", 35),
        ]
    );
    for p in &r.packets {
        assert!(p.ok, "{p:?}");
        assert_eq!(p.source, VersionSource::Connect);
        assert_eq!(p.version, ProtocolVersion::V3_1_1);
        assert_eq!(p.client_id.as_deref(), Some("dev-1"));
        assert_eq!(p.c2s(), p.side == Side::A);
    }
    let c = r.conn(1);
    assert_eq!(c.kind, ConnKind::Mqtt);
    assert!(c.syn_seen);
    assert_eq!(c.client_side, Some(Side::A));
    assert_eq!(c.client_basis, ClientBasis::Connect);
    assert_eq!(c.keep_alive, Some(60));
    assert_eq!(c.packets, [4, 3]);
    assert!(notable(r).is_empty(), "{:?}", notable(r));
    let closes: Vec<(Option<Side>, CloseKind, u64)> = closes(r, 1);
    assert_eq!(
        closes,
        vec![
            (Some(Side::A), CloseKind::Fin, 11),
            (Some(Side::B), CloseKind::Fin, 12)
        ]
    );
    assert_eq!(topics(r), ["a/b"]);
}

#[test]
fn baseline_session_over_ethernet() {
    let r = run(&ether_pcap(&session()));
    assert_session(&r);
    assert_eq!(r.capture.format, "pcap");
    // Microsecond file: the nanoseconds written are cut to microseconds.
    assert_eq!(
        r.packets[2].ts,
        Timestamp {
            secs: 1_700_000_005,
            nanos: 123_456_000
        }
    );
}

#[test]
fn vlan_and_qinq() {
    let one = pcap_of(1, false, false, &session(), |ip| {
        ethernet(&[(0x8100, 100)], ip)
    });
    assert_session(&run(&one));
    let two = pcap_of(1, false, false, &session(), |ip| {
        ethernet(&[(0x88a8, 10), (0x8100, 200)], ip)
    });
    assert_session(&run(&two));
}

#[test]
fn null_and_loop_link_types() {
    // LINKTYPE_NULL: the address family in the writer's byte order (here little endian).
    let null = pcap_of(0, false, false, &session(), |ip| loopback(2, false, ip));
    assert_session(&run(&null));
    // A big-endian NULL file from a big-endian host.
    let null_be = pcap_of(0, true, false, &session(), |ip| loopback(2, true, ip));
    assert_session(&run(&null_be));
    // LINKTYPE_LOOP (108): always big endian.
    let lp = pcap_of(108, false, false, &session(), |ip| loopback(2, true, ip));
    assert_session(&run(&lp));
}

#[test]
fn raw_ip_sll_and_sll2() {
    assert_session(&run(&pcap_of(101, false, false, &session(), |ip| {
        ip.to_vec()
    })));
    assert_session(&run(&pcap_of(113, false, false, &session(), sll)));
    assert_session(&run(&pcap_of(276, false, false, &session(), sll2)));
}

#[test]
fn nanosecond_pcap_keeps_nanoseconds() {
    let r = run(&pcap_of(1, false, true, &session(), |ip| ethernet(&[], ip)));
    assert_session(&r);
    assert_eq!(
        r.packets[0].ts,
        Timestamp {
            secs: 1_700_000_003,
            nanos: 123_456_789
        }
    );
}

#[test]
fn ipv6_session() {
    let c: SocketAddr = "[2001:db8::10]:50000".parse().unwrap();
    let s: SocketAddr = "[2001:db8::1]:1883".parse().unwrap();
    let mut conv = Conv::new(c, s);
    conv.c(&connect("dev-1"))
        .s(&connack())
        .c(&publish("a/b", b"hello", 1, 7))
        .s(&puback(7))
        .c(&PINGREQ)
        .s(&PINGRESP)
        .c(&DISCONNECT);
    let r = run(&ether_pcap(&conv.close()));
    assert_session(&r);
    let k = r.conn(1);
    assert_eq!(k.client().unwrap().addr, c.ip());
    assert_eq!(k.server().unwrap().addr, s.ip());
    assert_eq!(k.server().unwrap().port, 1883);
}

#[test]
fn pcapng_two_interfaces_epb_and_spb() {
    // Interface 0: Ethernet, microseconds. Interface 1: raw IP, nanoseconds (tsresol 9).
    let frames = session();
    let mut w = PcapNgWriter::new();
    w.section(false).interface(1, None).interface(101, Some(9));
    for (i, f) in frames.iter().enumerate() {
        match i % 3 {
            0 => w.epb(0, 1_700_000_000_000_000 + i as u64, &ethernet(&[], f)),
            1 => w.epb(1, 1_700_000_000_000_000_000 + i as u64, f),
            _ => w.spb(&ethernet(&[], f)),
        };
    }
    let r = run(w.bytes());
    assert_session(&r);
    assert_eq!(r.capture.format, "pcapng");
    // Frame 4 (index 3): interface 0, microseconds; frame 5 (index 4): interface 1, ns.
    assert_eq!(
        r.packets[0].ts,
        Timestamp {
            secs: 1_700_000_000,
            nanos: 3_000
        }
    );
    assert_eq!(
        r.packets[1].ts,
        Timestamp {
            secs: 1_700_000_000,
            nanos: 4
        }
    );
}

#[test]
fn pcapng_big_endian_section_then_little_endian_section() {
    let frames = session();
    let mut w = PcapNgWriter::new();
    w.section(true).interface(1, None);
    for f in &frames[..6] {
        w.epb(0, 1, &ethernet(&[], f));
    }
    // A new section forgets the interfaces: the raw-IP interface is number 0 again.
    w.section(false).interface(101, None);
    for f in &frames[6..] {
        w.epb(0, 2, f);
    }
    assert_session(&run(w.bytes()));
}

#[test]
fn several_packets_in_one_segment() {
    let mut all = connect("burst");
    let pubs: Vec<Vec<u8>> = (0..5)
        .map(|i| publish(&format!("t/{i}"), b"x", 0, 0))
        .collect();
    for p in &pubs {
        all.extend(p);
    }
    all.extend(PINGREQ);
    let mut c = Conv::new(c4(), s4());
    c.c(&all).s(&connack());
    let r = run(&ether_pcap(&c.close()));
    let types: Vec<&str> = r.types();
    assert_eq!(
        types,
        ["CONNECT", "PUBLISH", "PUBLISH", "PUBLISH", "PUBLISH", "PUBLISH", "PINGREQ", "CONNACK"]
    );
    let mut off = 0;
    for p in &r.packets[..7] {
        assert_eq!((p.first_frame, p.frame), (4, 4));
        assert_eq!(p.stream_offset, off);
        off += p.bytes.len() as u64;
    }
    assert_eq!(off, all.len() as u64);
    assert_eq!(topics(&r), ["t/0", "t/1", "t/2", "t/3", "t/4"]);
    assert!(notable(&r).is_empty());
}

#[test]
fn one_packet_across_many_segments() {
    let payload: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let big = publish("big/one", &payload, 1, 9);
    let mut c = Conv::new(c4(), s4());
    c.c(&connect("big")).s(&connack());
    for chunk in big.chunks(500) {
        c.c(chunk);
    }
    c.s(&puback(9));
    let r = run(&ether_pcap(&c.close()));
    assert_eq!(r.types(), ["CONNECT", "CONNACK", "PUBLISH", "PUBACK"]);
    let p = &r.packets[2];
    // 5014 bytes in 11 segments: frames 6..=16.
    assert_eq!(big.len(), 5014);
    assert_eq!((p.first_frame, p.frame), (6, 16));
    let Some(Packet::Publish(x)) = p.decoded().packet else {
        panic!()
    };
    assert_eq!(x.payload, &payload[..]);
    assert_eq!(x.packet_id, Some(9));
    assert_eq!(r.packets[3].frame, 17);
}

/// A Remaining Length split after its first byte, a segment holding only the fixed
/// header byte, and a 3-byte Remaining Length cut after each of its bytes.
#[test]
fn remaining_length_split_across_segments() {
    let p2 = publish("split/2", &[b'a'; 200], 1, 1); // Remaining Length: 2 bytes
    let p3 = publish("split/3", &[b'b'; 20_000], 1, 2); // 3 bytes
    assert_eq!(&p2[..3], &[0x32, 0xd3, 0x01]);
    assert_eq!(&p3[..4], &[0x32, 0xab, 0x9c, 0x01]);
    let mut c = Conv::new(c4(), s4());
    c.c(&connect("splitter")).s(&connack());
    c.c(&p2[..2]).c(&p2[2..]); // frames 6, 7
    c.c(&p2[..1]).c(&p2[1..]); // frames 8, 9 (the same bytes again, as a new packet)
    c.c(&p3[..2]).c(&p3[2..3]).c(&p3[3..4]).c(&p3[4..]); // frames 10..=13
    let r = run(&ether_pcap(&c.close()));
    assert_eq!(
        r.types(),
        ["CONNECT", "CONNACK", "PUBLISH", "PUBLISH", "PUBLISH"]
    );
    let spans: Vec<(u64, u64, usize)> = r.packets[2..]
        .iter()
        .map(|p| (p.first_frame, p.frame, p.bytes.len()))
        .collect();
    assert_eq!(
        spans,
        [(6, 7, p2.len()), (8, 9, p2.len()), (10, 13, p3.len())]
    );
    for p in &r.packets {
        assert!(p.ok, "{:?}", p.diags);
    }
    assert_eq!(topics(&r), ["split/2", "split/2", "split/3"]);
}

/// Segments captured out of order are decoded in stream order.
#[test]
fn out_of_order_segments() {
    let t = Tcp::new(c4(), s4());
    let con = connect("ooo");
    let (a, b, c) = (
        publish("o/a", b"1", 0, 0),
        publish("o/b", b"2", 0, 0),
        publish("o/c", b"3", 0, 0),
    );
    let oa = con.len();
    let ob = oa + a.len();
    let oc = ob + b.len();
    let end = oc + c.len();
    let mut f = t.handshake();
    f.push(t.c(0, &con)); // 4
    f.push(t.s(0, &connack())); // 5
    f.push(t.c(oa, &a)); // 6
    f.push(t.c(oc, &c)); // 7: ahead of b
    f.push(t.c(ob, &b)); // 8: fills the hole
    f.extend(t.fins(end, 4));
    let r = run(&ether_pcap(&f));
    assert_eq!(topics(&r), ["o/a", "o/b", "o/c"]);
    let spans: Vec<(u64, u64, u64)> = r.packets[2..]
        .iter()
        .map(|p| (p.first_frame, p.frame, p.stream_offset))
        .collect();
    // Reported in stream order once the hole is filled (by frame 8): c was carried by
    // frame 7 (first_frame) but completes only when frame 8 fills the hole (frame), as
    // Wireshark reports reassembled PDUs.
    assert_eq!(
        spans,
        [(6, 6, oa as u64), (8, 8, ob as u64), (7, 8, oc as u64)]
    );
    let order: Vec<u64> = r.packets.iter().map(|p| p.stream_offset).collect();
    assert_eq!(order, [0, 0, oa as u64, ob as u64, oc as u64]);
    assert!(notable(&r).is_empty(), "{:?}", notable(&r));
}

/// A packet split over two segments that arrive in reverse order.
#[test]
fn out_of_order_halves_of_one_packet() {
    let t = Tcp::new(c4(), s4());
    let con = connect("ooo");
    let p = publish("o/half", &[b'z'; 100], 1, 3);
    let o = con.len();
    let mut f = t.handshake();
    f.push(t.c(0, &con));
    f.push(t.c(o + 50, &p[50..])); // 5: second half first
    f.push(t.c(o, &p[..50])); // 6
    f.push(t.s(0, &connack()));
    f.extend(t.fins(o + p.len(), 4));
    let r = run(&ether_pcap(&f));
    assert_eq!(r.types(), ["CONNECT", "PUBLISH", "CONNACK"]);
    assert_eq!(r.packets[1].bytes, p);
    // first_frame carried the first byte (6); the packet completes while frame 6 is
    // processed (its second half, frame 5, was waiting for it).
    assert_eq!((r.packets[1].first_frame, r.packets[1].frame), (6, 6));
}

/// Retransmissions are not decoded twice; one that carries different bytes is reported
/// and the first-seen bytes win.
#[test]
fn retransmitted_segments() {
    let t = Tcp::new(c4(), s4());
    let con = connect("rtx");
    let p = publish("r/x", b"first", 1, 5);
    let o = con.len();
    let mut f = t.handshake();
    f.push(t.c(0, &con)); // 4
    f.push(t.s(0, &connack())); // 5
    f.push(t.c(o, &p)); // 6
    f.push(t.c(o, &p)); // 7: identical retransmission
    f.push(t.c(0, &con)); // 8: the CONNECT again
    let mut changed = p.clone();
    let n = changed.len();
    changed[n - 5..].copy_from_slice(b"other");
    f.push(t.c(o, &changed)); // 9: same sequence numbers, different bytes
    f.push(t.s(4, &puback(5))); // 10
    f.extend(t.fins(o + p.len(), 8));
    let r = run(&ether_pcap(&f));
    assert_eq!(r.types(), ["CONNECT", "CONNACK", "PUBLISH", "PUBACK"]);
    let Some(Packet::Publish(x)) = r.packets[2].decoded().packet else {
        panic!()
    };
    assert_eq!(x.payload, b"first");
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].frame, 9);
    assert_eq!(
        ev[0].kind,
        EventKind::Transport {
            what: "retransmission-differs"
        }
    );
    assert_eq!(ev[0].side, Some(Side::A));
    assert_eq!(
        r.capture.tcp.retransmitted_bytes,
        (p.len() * 2 + con.len()) as u64
    );
}

/// Overlapping segments: only the new bytes of the later one are used; different bytes in
/// the overlap are reported.
#[test]
fn overlapping_segments() {
    let t = Tcp::new(c4(), s4());
    let con = connect("ovl");
    let a = publish("v/a", b"0123456789", 0, 0);
    let b = publish("v/b", b"abcdefghij", 0, 0);
    let mut stream = con.clone();
    stream.extend(&a);
    stream.extend(&b);
    let cut1 = con.len() + 8; // inside a
    let cut2 = con.len() + a.len() + 4; // inside b
    let mut f = t.handshake();
    f.push(t.c(0, &stream[..cut1])); // 4
    f.push(t.c(cut1 - 5, &stream[cut1 - 5..cut2])); // 5: 5 bytes again, the same
    let mut wrong = stream[cut2 - 3..].to_vec();
    wrong[0] ^= 0xff; // the first overlapping byte differs
    f.push(t.c(cut2 - 3, &wrong)); // 6
    f.push(t.s(0, &connack()));
    f.extend(t.fins(stream.len(), 4));
    let r = run(&ether_pcap(&f));
    assert_eq!(r.types(), ["CONNECT", "PUBLISH", "PUBLISH", "CONNACK"]);
    assert_eq!(r.packets[1].bytes, a);
    assert_eq!(r.packets[2].bytes, b);
    assert_eq!(
        (r.packets[1].first_frame, r.packets[1].frame),
        (4, 5),
        "a completes in the overlapping segment"
    );
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        (ev[0].frame, &ev[0].kind),
        (
            6,
            &EventKind::Transport {
                what: "overlap-differs"
            }
        )
    );
    assert_eq!(r.capture.tcp.overlap_bytes, 5 + 3);
}

/// A lost segment that held whole packets: a gap with its sequence range, and decoding
/// goes on with the next packet.
#[test]
fn lost_segment_between_packets() {
    let t = Tcp::new(c4(), s4());
    let con = connect("lossy");
    let ps: Vec<Vec<u8>> = (1..=4)
        .map(|i| publish(&format!("l/{i}"), b"data", 1, i))
        .collect();
    let mut offs = vec![con.len()];
    for p in &ps {
        offs.push(offs.last().unwrap() + p.len());
    }
    let end = *offs.last().unwrap();
    let mut f = t.handshake();
    f.push(t.c(0, &con)); // 4
    f.push(t.s(0, &connack())); // 5
    f.push(t.c(offs[0], &ps[0])); // 6
                                  // ps[1] is never captured.
    f.push(t.c(offs[2], &ps[2])); // 7
    f.push(t.c(offs[3], &ps[3])); // 8
    f.push(t.s_ack(4, end)); // 9: the broker acknowledges everything
    f.extend(t.fins(end, 4));
    let r = run(&ether_pcap(&f));
    assert_eq!(topics(&r), ["l/1", "l/3", "l/4"]);
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let gap_start = CISN + 1 + offs[1] as u32;
    assert_eq!(
        ev[0].kind,
        EventKind::Gap {
            len: ps[1].len() as u64,
            seq_start: gap_start,
            seq_end: gap_start + ps[1].len() as u32,
            reason: GapReason::AckedUnseen,
        }
    );
    assert_eq!(ev[0].offset, Some(offs[1] as u64));
    assert_eq!(ev[0].frame, 9);
    assert!(ev[0].message.contains("seq "), "{}", ev[0].message);
    // The packets after the gap keep their stream offsets.
    let after: Vec<u64> = r.packets[3..].iter().map(|p| p.stream_offset).collect();
    assert_eq!(after, [offs[2] as u64, offs[3] as u64]);
    assert_eq!(r.summary.gap_bytes, ps[1].len() as u64);
    assert_eq!(r.summary.undecodable_bytes, 0);
}

/// A lost segment in the middle of a packet: the gap, the part before it (cut), the rest
/// after it (skipped while looking for a boundary), then the next packet.
#[test]
fn lost_segment_inside_a_packet() {
    let t = Tcp::new(c4(), s4());
    let con = connect("lossy");
    let p1 = publish("m/1", &[b'1'; 40], 0, 0);
    let p2 = publish("m/2", &[b'2'; 60], 0, 0);
    let p3 = publish("m/3", &[b'3'; 10], 0, 0);
    let p4 = publish("m/4", &[b'4'; 10], 0, 0);
    let mut stream = con.clone();
    for p in [&p1, &p2, &p3, &p4] {
        stream.extend(p);
    }
    let o2 = con.len() + p1.len();
    let a = o2 + 10; // segment A ends 10 bytes into p2
    let b = o2 + 30; // lost: 20 bytes of p2
    let o3 = o2 + p2.len();
    let mut f = t.handshake();
    f.push(t.c(0, &stream[..a])); // 4: CONNECT, p1, 10 bytes of p2
    f.push(t.c(b, &stream[b..])); // 5: the rest of p2, p3, p4
    f.push(t.s_ack(0, stream.len())); // 6
    f.extend(t.fins(stream.len(), 0));
    let r = run(&ether_pcap(&f));
    assert_eq!(topics(&r), ["m/1", "m/3", "m/4"]);
    let ev: Vec<(EventKind, Option<u64>)> = notable(&r)
        .iter()
        .map(|e| (e.kind.clone(), e.offset))
        .collect();
    assert_eq!(
        ev,
        vec![
            (
                EventKind::Gap {
                    len: 20,
                    seq_start: CISN + 1 + a as u32,
                    seq_end: CISN + 1 + b as u32,
                    reason: GapReason::AckedUnseen
                },
                Some(a as u64)
            ),
            (
                EventKind::Undecodable {
                    len: 10,
                    reason: SkipReason::CutByGap
                },
                Some(o2 as u64)
            ),
            (
                EventKind::Undecodable {
                    len: (o3 - b) as u64,
                    reason: SkipReason::Resync
                },
                Some(b as u64)
            ),
        ]
    );
    assert_eq!(r.packets[2].stream_offset, o3 as u64);
    assert_eq!(r.summary.undecodable_bytes, 10 + (o3 - b) as u64);
}

/// The capture ends in the middle of its last record: what came before is decoded and an
/// event says the file was cut.
#[test]
fn truncated_last_record() {
    let full = ether_pcap(&session());
    // The last record is the server's FIN (54 bytes of Ethernet + IP + TCP + padding).
    let cut = &full[..full.len() - 20];
    let r = dissect(cut, CaptureConfig::default()).expect("a cut record is not fatal");
    assert_accounted(&r, "truncated");
    assert_eq!(r.packets.len(), 7);
    assert!(r.capture.truncated_last_record);
    let ev = r.events_where(|k| matches!(k, EventKind::TruncatedRecord { .. }));
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].frame, 12);
    // 16-byte record header + 60-byte frame, less the 20 cut off.
    assert_eq!(
        ev[0].kind,
        EventKind::TruncatedRecord {
            available: 16 + 60 - 20
        }
    );
    assert!(ev[0].message.contains("everything before it was decoded"));
    // The server's FIN was lost with the record: the connection ends with the capture.
    let closes = closes(&r, 1);
    assert_eq!(closes[0], (Some(Side::A), CloseKind::Fin, 11));
    assert_eq!(closes.last().unwrap().1, CloseKind::EndOfCapture);
}

/// A capture cut inside a packet's payload: the packets before it are decoded and the
/// partial one is reported as incomplete at the end.
#[test]
fn stream_ends_inside_a_packet() {
    let t = Tcp::new(c4(), s4());
    let con = connect("cut");
    let p = publish("cut/here", &[b'c'; 300], 1, 1);
    let mut f = t.handshake();
    f.push(t.c(0, &con));
    f.push(t.c(con.len(), &p[..100]));
    let r = run(&ether_pcap(&f));
    assert_eq!(r.types(), ["CONNECT"]);
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        ev[0].kind,
        EventKind::Incomplete {
            have: 100,
            total: Some(p.len() as u64)
        }
    );
    assert_eq!(ev[0].offset, Some(con.len() as u64));
}

/// No SYN, no CONNECT: the roles come from the port and the version is assumed (or
/// forced with the protocol option).
#[test]
fn mid_stream_pickup() {
    let t = Tcp::new(c4(), s4());
    let v5_puback = vec![0x40, 4, 0, 7, 0x10, 0]; // reason 0x10 "No matching subscribers"
    let f = vec![
        t.s(0, &publish("mid/x", b"hi", 1, 7)), // 1: the broker delivers
        t.c(0, &v5_puback),                     // 2: the client acks, in 5.0 form
        t.c(v5_puback.len(), &PINGREQ),         // 3
    ];
    let r = run(&ether_pcap(&f));
    let c = r.conn(1);
    assert!(!c.syn_seen);
    assert_eq!(c.client_side, Some(Side::B), "side B sent from port 50000");
    assert_eq!(c.client().unwrap().port, 50000);
    assert_eq!(c.client_basis, ClientBasis::Port);
    assert_eq!(c.version, None);
    assert_eq!(c.client_id, None);
    assert_eq!(r.types(), ["PUBLISH", "PUBACK", "PINGREQ"]);
    for p in &r.packets {
        assert_eq!(p.source, VersionSource::Auto, "{p:?}");
        assert!(p.reason.as_deref().unwrap().contains("no CONNECT"));
        assert_eq!(p.c2s(), p.side == Side::B);
    }
    // The v5-only PUBACK is read as 5.0.
    assert_eq!(r.packets[1].version, ProtocolVersion::V5);
    let Some(Packet::PubAck(a)) = r.packets[1].decoded().packet else {
        panic!()
    };
    assert_eq!(a.reason_code.0, 0x10);

    let forced = run_cfg(
        &ether_pcap(&f),
        CaptureConfig {
            protocol: Some(ProtocolVersion::V5),
            ..CaptureConfig::default()
        },
    );
    for p in &forced.packets {
        assert_eq!(p.source, VersionSource::Option);
        assert_eq!(p.version, ProtocolVersion::V5);
    }
}

/// MQTT on a port nobody said: found by its CONNECT; without one it needs the port option.
#[test]
fn nonstandard_port() {
    let s: SocketAddr = "10.0.0.1:9999".parse().unwrap();
    let mut conv = Conv::new(c4(), s);
    conv.c(&connect_v5("odd-port")).s(&[0x20, 3, 0, 0, 0]);
    let r = run(&ether_pcap(&conv.close()));
    assert_eq!(r.types(), ["CONNECT", "CONNACK"]);
    assert_eq!(r.conn(1).version, Some(ProtocolVersion::V5));
    assert_eq!(r.packets[1].version, ProtocolVersion::V5);
    assert_eq!(r.summary.mqtt_connections, 1);

    // Picked up mid-stream: no CONNECT, so not MQTT unless the port is given.
    let t = Tcp::new(c4(), s);
    let f = vec![
        t.c(0, &publish("p/q", b"x", 0, 0)),
        t.s(0, &PINGRESP),
        t.c(7 + 1, &PINGREQ),
    ];
    let r = run(&ether_pcap(&f));
    assert!(r.packets.is_empty());
    assert_eq!(r.summary.other_connections, 1);
    let r = run_cfg(
        &ether_pcap(&f),
        CaptureConfig {
            mqtt_ports: vec![1883, 9999],
            ..CaptureConfig::default()
        },
    );
    assert_eq!(r.types(), ["PUBLISH", "PINGRESP", "PINGREQ"]);
    assert_eq!(r.conn(1).client_side, Some(Side::A));
}

/// A TLS ClientHello with a server name.
fn client_hello(sni: &str) -> Vec<u8> {
    let name = sni.as_bytes();
    let mut ext = vec![0, 0]; // server_name
    let list_len = 3 + name.len();
    ext.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
    ext.extend_from_slice(&(list_len as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0x11; 32]);
    hello.push(0); // session id
    hello.extend_from_slice(&[0, 2, 0x13, 0x01]); // one cipher suite
    hello.extend_from_slice(&[1, 0]); // null compression
    hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    hello.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&hello);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

#[test]
fn tls_on_8883_and_on_1883() {
    for port in [8883u16, 1883] {
        let s: SocketAddr = format!("10.0.0.1:{port}").parse().unwrap();
        let mut conv = Conv::new(c4(), s);
        conv.c(&client_hello("broker.example.com"))
            .s(&[0x16, 3, 3, 0, 4, 2, 0, 0, 0])
            .c(&[0x17, 3, 3, 0, 2, 0x10, 0x0c]); // application data that looks like CONNECT
        let r = run(&ether_pcap(&conv.close()));
        assert!(r.packets.is_empty(), "port {port}: {:?}", r.types());
        let ev = r.events_where(|k| matches!(k, EventKind::Tls { .. }));
        assert_eq!(ev.len(), 1, "port {port}");
        assert_eq!(
            ev[0].kind,
            EventKind::Tls {
                sni: Some("broker.example.com".into())
            }
        );
        assert_eq!((ev[0].frame, ev[0].side), (4, Some(Side::A)));
        assert!(ev[0].message.contains("\"broker.example.com\""));
        let c = r.conn(1);
        assert_eq!(c.kind, ConnKind::Tls);
        assert_eq!(c.sni.as_deref(), Some("broker.example.com"));
        assert_eq!(c.client_side, Some(Side::A));
        assert_eq!(r.summary.tls_connections, 1);
        assert_eq!(r.summary.mqtt_connections, 0);
    }
}

/// A Remaining Length with a fifth byte cannot be framed: the bytes are reported and
/// decoding resumes at the next packet.
#[test]
fn five_byte_remaining_length_then_next_segment() {
    let bad = [0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 1, b'x'];
    let mut c = Conv::new(c4(), s4());
    c.c(&connect("five"))
        .s(&connack())
        .c(&bad)
        .c(&publish("after/bad", b"ok", 0, 0));
    let r = run(&ether_pcap(&c.close()));
    assert_eq!(r.types(), ["CONNECT", "CONNACK", "PUBLISH"]);
    assert_eq!(topics(&r), ["after/bad"]);
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        ev[0].kind,
        EventKind::Undecodable {
            len: bad.len() as u64,
            reason: SkipReason::InvalidLength
        }
    );
    assert_eq!(ev[0].offset, Some(connect("five").len() as u64));
    assert_eq!(ev[0].frame, 6);
}

/// The same, with the next packet in the same segment as the bad bytes.
#[test]
fn five_byte_remaining_length_then_packet_in_same_segment() {
    let bad = [0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 1, b'x'];
    let mut seg = bad.to_vec();
    seg.extend(publish("same/seg", b"ok", 0, 0));
    seg.extend(PINGREQ);
    let mut c = Conv::new(c4(), s4());
    c.c(&connect("five")).s(&connack()).c(&seg);
    let r = run(&ether_pcap(&c.close()));
    assert_eq!(topics(&r), ["same/seg"]);
    assert_eq!(r.types(), ["CONNECT", "CONNACK", "PUBLISH", "PINGREQ"]);
    let ev = notable(&r);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        ev[0].kind,
        EventKind::Undecodable {
            len: bad.len() as u64,
            reason: SkipReason::InvalidLength
        }
    );
}

/// Two connections at once, interleaved, keep their own state.
#[test]
fn interleaved_connections() {
    let c2: SocketAddr = "10.0.0.3:50001".parse().unwrap();
    let a = Tcp::new(c4(), s4());
    let b = Tcp::new(c2, s4());
    let (ca, cb) = (connect("one"), connect_v5("two"));
    let mut f = a.handshake();
    f.extend(b.handshake());
    f.push(b.c(0, &cb));
    f.push(a.c(0, &ca));
    f.push(a.s(0, &connack()));
    f.push(b.s(0, &[0x20, 3, 0, 0, 0]));
    f.push(b.c(cb.len(), &[0xe0, 1, 0x04])); // v5 DISCONNECT with will message
    f.push(a.c(ca.len(), &DISCONNECT));
    let r = run(&ether_pcap(&f));
    let got: Vec<(u64, Option<String>, &str, ProtocolVersion)> = r
        .packets
        .iter()
        .map(|p| (p.conn, p.client_id.clone(), p.type_name(), p.version))
        .collect();
    let one = Some("one".to_string());
    let two = Some("two".to_string());
    use ProtocolVersion::{V3_1_1, V5};
    assert_eq!(
        got,
        vec![
            (2, two.clone(), "CONNECT", V5),
            (1, one.clone(), "CONNECT", V3_1_1),
            (1, one.clone(), "CONNACK", V3_1_1),
            (2, two.clone(), "CONNACK", V5),
            (2, two, "DISCONNECT", V5),
            (1, one, "DISCONNECT", V3_1_1),
        ]
    );
    let Some(Packet::Disconnect(d)) = r.packets[4].decoded().packet else {
        panic!()
    };
    assert_eq!(d.reason_code.0, 4);
    assert_eq!(r.packets[4].packet_type, PacketType::DISCONNECT);
}
