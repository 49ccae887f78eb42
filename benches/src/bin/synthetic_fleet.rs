//! Writes a deterministic capture shaped like `make-fleet-capture.sh`'s real broker traffic
//! (two subscribers, five publishers: 3.1.1 and 5.0, QoS 0, 1 and 2, the broker's
//! acknowledgements and forwards), for the instruction budget that CI checks
//! (`benches/icount-guard.sh`): the same bytes on every machine, without a broker or tcpdump.
//!
//! `synthetic_fleet OUT.pcap [ROUNDS]`: each round, every publisher sends one burst of one
//! to three messages; prints the number of MQTT packets written to stdout.

use mqtt_dissect::transport::testing::{ethernet, tcp_packet, PcapWriter};
use mqtt_dissect::transport::{TcpFlags, Timestamp};
use std::net::SocketAddr;

const SYN: TcpFlags = TcpFlags(0x02);
const ACK: TcpFlags = TcpFlags(0x10);
const PSH_ACK: TcpFlags = TcpFlags(0x18);
const SYN_ACK: TcpFlags = TcpFlags(0x12);
const FIN_ACK: TcpFlags = TcpFlags(0x11);

/// One TCP connection to the broker, with both sides' next sequence numbers.
struct Conn {
    client: SocketAddr,
    server: SocketAddr,
    seq: [u32; 2],
    v5: bool,
    next_id: u16,
}

/// The capture being written: frames get consecutive timestamps 10 µs apart.
struct Out {
    w: PcapWriter,
    micros: u64,
    packets: u64,
}

impl Out {
    /// One segment from the client (`side` 0) or the broker (1).
    fn segment(&mut self, c: &mut Conn, side: usize, flags: TcpFlags, payload: &[u8]) {
        let (src, dst) = if side == 0 {
            (c.client, c.server)
        } else {
            (c.server, c.client)
        };
        let ip = tcp_packet(src, dst, c.seq[side], c.seq[1 - side], flags, payload);
        self.micros += 10;
        let ts = Timestamp {
            secs: 1_700_000_000 + (self.micros / 1_000_000) as i64,
            nanos: (self.micros % 1_000_000) as u32 * 1000,
        };
        self.w.packet(ts, &ethernet(&[], &ip));
        let syn_fin = u32::from(flags.0 & 0x03 != 0);
        c.seq[side] = c.seq[side].wrapping_add(payload.len() as u32 + syn_fin);
    }

    /// MQTT packets sent together in one segment.
    fn mqtt(&mut self, c: &mut Conn, side: usize, packets: &[Vec<u8>]) {
        self.packets += packets.len() as u64;
        self.segment(c, side, PSH_ACK, &packets.concat());
    }

    fn open(&mut self, c: &mut Conn, client_id: &str) {
        self.segment(c, 0, SYN, &[]);
        self.segment(c, 1, SYN_ACK, &[]);
        self.segment(c, 0, ACK, &[]);
        self.mqtt(c, 0, &[connect(c.v5, client_id)]);
        let connack = if c.v5 {
            vec![0x20, 3, 0, 0, 0]
        } else {
            vec![0x20, 2, 0, 0]
        };
        self.mqtt(c, 1, &[connack]);
    }

    fn close(&mut self, c: &mut Conn) {
        self.mqtt(c, 0, &[vec![0xe0, 0]]);
        self.segment(c, 0, FIN_ACK, &[]);
        self.segment(c, 1, FIN_ACK, &[]);
        self.segment(c, 0, ACK, &[]);
    }
}

/// A Remaining Length.
fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n % 128) as u8;
        n /= 128;
        out.push(if n > 0 { b | 0x80 } else { b });
        if n == 0 {
            return;
        }
    }
}

/// A packet from its first byte and body.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    varint(body.len(), &mut p);
    p.extend_from_slice(body);
    p
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn connect(v5: bool, client_id: &str) -> Vec<u8> {
    let mut b = Vec::new();
    string(b"MQTT", &mut b);
    b.extend_from_slice(&[if v5 { 5 } else { 4 }, 0x02, 0, 60]);
    if v5 {
        b.push(0);
    }
    string(client_id.as_bytes(), &mut b);
    packet(0x10, &b)
}

fn subscribe(v5: bool, id: u16, filter: &str, qos: u8) -> Vec<u8> {
    let mut b = id.to_be_bytes().to_vec();
    if v5 {
        b.push(0);
    }
    string(filter.as_bytes(), &mut b);
    b.push(qos);
    packet(0x82, &b)
}

fn suback(v5: bool, id: u16, qos: u8) -> Vec<u8> {
    let mut b = id.to_be_bytes().to_vec();
    if v5 {
        b.push(0);
    }
    b.push(qos);
    packet(0x90, &b)
}

fn publish(v5: bool, qos: u8, id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    string(topic.as_bytes(), &mut b);
    if qos > 0 {
        b.extend_from_slice(&id.to_be_bytes());
    }
    if v5 {
        b.push(0);
    }
    b.extend_from_slice(payload);
    packet(0x30 | qos << 1, &b)
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP (the short form brokers send on success).
fn ack(first: u8, id: u16) -> Vec<u8> {
    packet(first, &id.to_be_bytes())
}

impl Conn {
    fn new(n: u8, v5: bool) -> Conn {
        Conn {
            client: SocketAddr::from(([10, 0, 1, n], 40000 + u16::from(n))),
            server: SocketAddr::from(([10, 0, 0, 1], 1883)),
            seq: [1000 * u32::from(n), 7_000_000 + 1000 * u32::from(n)],
            v5,
            next_id: 0,
        }
    }

    fn id(&mut self) -> u16 {
        self.next_id = self.next_id % u16::MAX + 1;
        self.next_id
    }
}

struct Publisher {
    conn: Conn,
    name: &'static str,
    qos: u8,
    topic: String,
    sent: u64,
}

struct Subscriber {
    conn: Conn,
    qos: u8,
    /// Whether it receives only the status topics.
    status_only: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: synthetic_fleet OUT.pcap [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut out = Out {
        w: PcapWriter::new(1, false, false),
        micros: 0,
        packets: 0,
    };
    let mut subs = [
        Subscriber {
            conn: Conn::new(1, false),
            qos: 1,
            status_only: false,
        },
        Subscriber {
            conn: Conn::new(2, true),
            qos: 2,
            status_only: true,
        },
    ];
    for (s, (id, filter)) in subs
        .iter_mut()
        .zip([("sub-311", "fleet/#"), ("sub-5", "fleet/+/status")])
    {
        out.open(&mut s.conn, id);
        let (pid, v5) = (s.conn.id(), s.conn.v5);
        out.mqtt(&mut s.conn, 0, &[subscribe(v5, pid, filter, s.qos)]);
        out.mqtt(&mut s.conn, 1, &[suback(v5, pid, s.qos)]);
    }
    let spec = [
        ("dev-a", false, 0, "telemetry"),
        ("dev-b", true, 0, "telemetry"),
        ("dev-c", false, 1, "status"),
        ("dev-d", true, 1, "status"),
        ("dev-e", true, 2, "status"),
    ];
    let mut pubs: Vec<Publisher> = (3..)
        .zip(spec)
        .map(|(n, (name, v5, qos, kind))| Publisher {
            conn: Conn::new(n, v5),
            name,
            qos,
            topic: format!("fleet/{name}/{kind}"),
            sent: 0,
        })
        .collect();
    for p in &mut pubs {
        out.open(&mut p.conn, p.name);
    }
    for round in 0..rounds {
        for (i, p) in pubs.iter_mut().enumerate() {
            let burst = 1 + (round + i as u64) % 3;
            run_burst(&mut out, p, &mut subs, burst);
        }
    }
    for p in &mut pubs {
        out.close(&mut p.conn);
    }
    for s in &mut subs {
        out.close(&mut s.conn);
    }
    if let Err(e) = std::fs::write(path, out.w.bytes()) {
        eprintln!("cannot write {path}: {e}");
        std::process::exit(1);
    }
    println!("{}", out.packets);
}

/// One burst: the publisher's messages in one segment, the broker's acknowledgements, the
/// QoS 2 exchange, and the forwards to each subscriber with their acknowledgements.
fn run_burst(out: &mut Out, p: &mut Publisher, subs: &mut [Subscriber], burst: u64) {
    let mut sent = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..burst {
        p.sent += 1;
        let payload = format!(
            "{{\"device\":\"{}\",\"seq\":{},\"temp\":21.5}}",
            p.name, p.sent
        );
        let id = if p.qos > 0 { p.conn.id() } else { 0 };
        ids.push(id);
        sent.push(publish(p.conn.v5, p.qos, id, &p.topic, payload.as_bytes()));
    }
    out.mqtt(&mut p.conn, 0, &sent);
    acknowledge(out, &mut p.conn, 0, p.qos, &ids);
    let status = p.topic.ends_with("/status");
    for s in subs.iter_mut().filter(|s| status || !s.status_only) {
        forward(out, p, s, burst);
    }
}

/// The broker forwards the burst to one subscriber at the lower of the two QoS.
fn forward(out: &mut Out, p: &Publisher, s: &mut Subscriber, burst: u64) {
    let qos = p.qos.min(s.qos);
    let mut fwd = Vec::new();
    let mut ids = Vec::new();
    for k in 0..burst {
        let seq = p.sent - burst + 1 + k;
        let payload = format!("{{\"device\":\"{}\",\"seq\":{seq},\"temp\":21.5}}", p.name);
        let id = if qos > 0 { s.conn.id() } else { 0 };
        ids.push(id);
        fwd.push(publish(s.conn.v5, qos, id, &p.topic, payload.as_bytes()));
    }
    out.mqtt(&mut s.conn, 1, &fwd);
    acknowledge(out, &mut s.conn, 1, qos, &ids);
}

/// The receiver's answer to PUBLISHes sent by `sender` (0 client, 1 broker): a bare TCP
/// acknowledgement for QoS 0, PUBACKs for QoS 1, the PUBREC/PUBREL/PUBCOMP exchange for 2.
fn acknowledge(out: &mut Out, c: &mut Conn, sender: usize, qos: u8, ids: &[u16]) {
    let acks = |first| ids.iter().map(|&i| ack(first, i)).collect::<Vec<_>>();
    let receiver = 1 - sender;
    match qos {
        0 => out.segment(c, receiver, ACK, &[]),
        1 => out.mqtt(c, receiver, &acks(0x40)),
        _ => {
            out.mqtt(c, receiver, &acks(0x50));
            out.mqtt(c, sender, &acks(0x62));
            out.mqtt(c, receiver, &acks(0x70));
        }
    }
}
