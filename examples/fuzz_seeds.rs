//! Writes raw seed inputs for the fuzz targets (see fuzz/README.md):
//!
//! ```text
//! cargo run --example fuzz_seeds -- OUT_DIR [CAPTURE…]
//! ```
//!
//! For every capture given (pcap or pcapng), every MQTT packet goes to
//! `OUT_DIR/decode_packet` and `OUT_DIR/roundtrip`, and every direction's packet sequence
//! (up to 4 KiB) to `OUT_DIR/stream_splits` behind that target's 12-byte header.
//! `OUT_DIR/pcap_file` gets small hand-built captures that reach the transport layer's
//! corners (pcapng, odd link types, fragments, retransmissions, lying lengths, many
//! connections), and `OUT_DIR/hex_input` the same packets written in the forms people
//! paste. The result is meant to be minimised with `cargo fuzz cmin` before committing.

use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::transport::testing::{
    ethernet, ipv4_fragments, loopback, sll, sll2, tcp_packet, ts, PcapNgWriter, PcapWriter,
};
use mqtt_dissect::transport::{TcpFlags, TransportConfig};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

const MAX_SEED: usize = 4096;

fn write(dir: &Path, target: &str, prefix: &str, data: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).expect("create seed dir");
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    std::fs::write(d.join(format!("{prefix}-{:016x}", h.finish())), data).expect("write seed");
}

fn from_capture(out: &Path, path: &Path, packets: &mut BTreeSet<Vec<u8>>) {
    let Ok(file) = std::fs::File::open(path) else {
        eprintln!("skipping {}", path.display());
        return;
    };
    let mut streams: BTreeMap<(u64, usize), (u8, Vec<u8>)> = BTreeMap::new();
    let res = dissect_capture(
        std::io::BufReader::new(file),
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut |r| {
            if let Record::Packet(p) = r {
                let bytes = p.assumed.decoded.bytes;
                packets.insert(bytes.to_vec());
                let v = match p.assumed.decoded.version.level() {
                    3 => 0,
                    5 => 2,
                    _ => 1,
                };
                let s = streams
                    .entry((p.conn.id, p.side.index()))
                    .or_insert((v, Vec::new()));
                if s.1.len() + bytes.len() <= MAX_SEED {
                    s.1.extend_from_slice(bytes);
                }
            }
        },
    );
    if let Err(e) = res {
        eprintln!("{}: {e}", path.display());
    }
    for ((conn, side), (v, stream)) in streams {
        if stream.is_empty() {
            continue;
        }
        // mode (version, raw stream), cut seed, largest chunk, small cap
        let mut seed = vec![v];
        seed.extend_from_slice(&(conn * 2 + side as u64 + 1).to_le_bytes());
        seed.extend_from_slice(&[7, 40]);
        seed.extend_from_slice(&stream);
        write(out, "stream_splits", "cap", &seed);
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

const CONNECT: &[u8] = &[
    0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, b'd', b'e',
    b'v', b'1',
];
const CONNACK: &[u8] = &[0x20, 0x02, 0x00, 0x00];
const PUBLISH: &[u8] = &[
    0x32, 0x0a, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x01, b'h', b'e', b'y',
];

/// A short MQTT session as IP packets: handshake, CONNECT, CONNACK, PUBLISH, FIN.
fn session(c: SocketAddr, s: SocketAddr, split_publish: bool) -> Vec<Vec<u8>> {
    let ack = TcpFlags::ACK;
    let pa = TcpFlags::PSH | TcpFlags::ACK;
    let mut v = vec![
        tcp_packet(c, s, 100, 0, TcpFlags::SYN, &[]),
        tcp_packet(s, c, 500, 101, TcpFlags::SYN | ack, &[]),
        tcp_packet(c, s, 101, 501, ack, &[]),
        tcp_packet(c, s, 101, 501, pa, CONNECT),
        tcp_packet(s, c, 501, 119, pa, CONNACK),
    ];
    let seq = 101 + CONNECT.len() as u32;
    if split_publish {
        for (i, b) in PUBLISH.iter().enumerate() {
            v.push(tcp_packet(c, s, seq + i as u32, 505, pa, &[*b]));
        }
    } else {
        v.push(tcp_packet(c, s, seq, 505, pa, PUBLISH));
    }
    let end = seq + PUBLISH.len() as u32;
    v.push(tcp_packet(c, s, end, 505, TcpFlags::FIN | ack, &[]));
    v
}

fn pcap(linktype: u32, frames: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut w = PcapWriter::new(linktype, false, false);
    for (i, f) in frames.into_iter().enumerate() {
        w.packet(ts(1_700_000_000, i as u32), &f);
    }
    w.into_bytes()
}

fn hand_built(out: &Path) {
    let c = addr("10.0.0.2:40000");
    let s = addr("10.0.0.1:1883");
    let ip = session(c, s, false);
    let eth = |ip: &Vec<u8>| ethernet(&[], ip);
    write(out, "pcap_file", "eth", &pcap(1, ip.iter().map(eth)));
    write(out, "pcap_file", "raw", &pcap(101, ip.clone()));
    write(
        out,
        "pcap_file",
        "sll",
        &pcap(113, ip.iter().map(|p| sll(p))),
    );
    write(
        out,
        "pcap_file",
        "sll2",
        &pcap(276, ip.iter().map(|p| sll2(p))),
    );
    write(
        out,
        "pcap_file",
        "null",
        &pcap(0, ip.iter().map(|p| loopback(2, false, p))),
    );
    write(
        out,
        "pcap_file",
        "vlan",
        &pcap(
            1,
            ip.iter()
                .map(|p| ethernet(&[(0x88a8, 100), (0x8100, 200)], p)),
        ),
    );
    // One byte per segment.
    write(
        out,
        "pcap_file",
        "bytewise",
        &pcap(101, session(c, s, true)),
    );
    // IPv6, big-endian nanosecond pcap.
    let ip6 = session(
        addr("[2001:db8::2]:40000"),
        addr("[2001:db8::1]:1883"),
        false,
    );
    let mut w = PcapWriter::new(101, true, true);
    for f in &ip6 {
        w.packet(ts(1, 2), f);
    }
    write(out, "pcap_file", "ipv6-be-ns", &w.into_bytes());
    // Fragments of the CONNECT segment, out of order.
    let mut frags = Vec::new();
    for (i, p) in ip.iter().enumerate() {
        if i == 3 {
            let mut f = ipv4_fragments(p, 16);
            f.reverse();
            frags.extend(f);
        } else {
            frags.push(p.clone());
        }
    }
    write(out, "pcap_file", "frags", &pcap(101, frags));
    // Retransmission with different bytes, overlap and reordering.
    let mut re = ip.clone();
    let mut changed = re[3].clone();
    let n = changed.len();
    changed[n - 1] ^= 0x20;
    re.insert(4, changed);
    re.swap(5, 6);
    write(out, "pcap_file", "retrans", &pcap(101, re));
    // A gap: the CONNECT never captured.
    let mut gap = ip.clone();
    gap.remove(3);
    write(out, "pcap_file", "gap", &pcap(101, gap));
    // Many connections, no handshakes, on any port with a CONNECT.
    let mut many = Vec::new();
    for i in 0..8u16 {
        let c = addr(&format!("10.0.1.{}:{}", i + 1, 50000 + i));
        let s = addr("10.0.0.1:9999");
        many.push(tcp_packet(
            c,
            s,
            1,
            1,
            TcpFlags::PSH | TcpFlags::ACK,
            CONNECT,
        ));
    }
    write(out, "pcap_file", "many", &pcap(101, many));
    // Lying lengths: caplen beyond the file, origlen smaller than caplen, huge caplen.
    let mut w = PcapWriter::new(101, false, false);
    w.packet(ts(1, 0), &ip[3]);
    w.record(ts(2, 0), 0x7fff_ffff, 10, &ip[4]);
    write(out, "pcap_file", "huge-caplen", &w.into_bytes());
    let mut w = PcapWriter::new(101, false, false);
    w.record(ts(1, 0), ip[3].len() as u32, 4, &ip[3]);
    w.record(ts(2, 0), 200, 200, &ip[4]);
    write(out, "pcap_file", "short-origlen-truncated", &w.into_bytes());
    // A PUBLISH announcing 256 MB.
    let mut big = vec![0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, b't'];
    big.extend_from_slice(&[b'x'; 32]);
    let seq = 101 + CONNECT.len() as u32;
    let mut huge = ip[..5].to_vec();
    huge.push(tcp_packet(c, s, seq, 505, TcpFlags::ACK, &big));
    write(out, "pcap_file", "huge-remaining-length", &pcap(101, huge));
    // TLS ClientHello on 8883 with a server name.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x03,
    ];
    hello.extend_from_slice(&[0; 32]);
    hello.push(0);
    hello.extend_from_slice(&[0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    let name = b"broker\x1b[31m.example";
    let mut sni = vec![0x00];
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name);
    let mut list = (sni.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&sni);
    let mut ext = vec![0x00, 0x00];
    ext.extend_from_slice(&(list.len() as u16).to_be_bytes());
    ext.extend_from_slice(&list);
    hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    hello.extend_from_slice(&ext);
    let hs_len = (hello.len() - 9) as u32;
    hello[6..9].copy_from_slice(&hs_len.to_be_bytes()[1..]);
    let rec_len = (hello.len() - 5) as u16;
    hello[3..5].copy_from_slice(&rec_len.to_be_bytes());
    let tls = vec![tcp_packet(
        c,
        addr("10.0.0.1:8883"),
        1,
        1,
        TcpFlags::PSH | TcpFlags::ACK,
        &hello,
    )];
    write(out, "pcap_file", "tls-sni", &pcap(101, tls));
    // WebSocket-ish HTTP upgrade on port 80 (not MQTT by port).
    let ws = vec![tcp_packet(
        c,
        addr("10.0.0.1:80"),
        1,
        1,
        TcpFlags::PSH | TcpFlags::ACK,
        b"GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
    )];
    write(out, "pcap_file", "ws-upgrade", &pcap(101, ws));
    // pcapng: two sections, interfaces with and without if_tsresol, EPB, SPB, an unknown
    // block, and a block whose length field lies.
    let mut ng = PcapNgWriter::new();
    ng.section(false).interface(1, Some(9)).interface(101, None);
    for (i, p) in ip.iter().enumerate() {
        if i % 2 == 0 {
            ng.epb(0, 1_700_000_000_000_000_000 + i as u64, &eth(p));
        } else {
            ng.epb(1, 1_700_000_000_000_000 + i as u64, p);
        }
    }
    ng.raw_block(0x0bad, b"unknown block");
    ng.section(true).interface(101, Some(6));
    ng.spb(&ip[3]);
    write(out, "pcap_file", "ng", &ng.into_bytes());
    let mut ng = PcapNgWriter::new();
    ng.section(false).interface(101, None).epb(0, 1, &ip[3]);
    let mut b = ng.into_bytes();
    let at = b.len();
    b.extend_from_slice(&6u32.to_le_bytes());
    b.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    write(out, "pcap_file", "ng-block-len", &b);
    let _ = at;
}

fn hex_forms(out: &Path, packets: &BTreeSet<Vec<u8>>) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors/seed-003-session.hex"),
    )
    .unwrap_or_default();
    write(out, "hex_input", "seed003", text.as_bytes());
    let fixed: &[&str] = &[
        "10 0c 00 04",
        "0x10, 0x0C, 0x00",
        "\\x10\\x0c\\x00\\x04MQTT",
        "unsigned char pkt[] = {0x10, 0x0c, 0x00, 0x04}; // CONNECT",
        "[16, 12, 0, 4]",
        "b\"\\x10\\x0c\\n\\0\\123\"",
        "00000000: 100c 0004 4d51 5454 0402 003c 0000 0000  ....MQTT...<....\n",
        "00000000  30 0a 00 03 61 2f 62 00  01 68 65 79 00 00 00 00  |0...a/b..hey....|\n\
         00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
         *\n00000040  c0 00                                            |..|\n00000042\n",
        "0000   10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00   ..MQTT...<..\n",
        "0000000 000c 0400 514d 5454\n",
        "/* comment */ 10 0c # more\n// line\n00 04",
        "0000000 020 014 000 004\n",
    ];
    for t in fixed {
        write(out, "hex_input", "form", t.as_bytes());
    }
    for p in packets.iter().filter(|p| p.len() <= 64).take(40) {
        let spaced: Vec<String> = p.iter().map(|b| format!("{b:02x}")).collect();
        write(out, "hex_input", "pkt", spaced.join(" ").as_bytes());
    }
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(args.next().expect("usage: fuzz_seeds OUT_DIR [CAPTURE…]"));
    let mut packets = BTreeSet::new();
    for cap in args {
        from_capture(&out, Path::new(&cap), &mut packets);
    }
    for p in packets.iter().filter(|p| p.len() <= MAX_SEED) {
        write(&out, "decode_packet", "cap", p);
        write(&out, "roundtrip", "cap", p);
    }
    hand_built(&out);
    hex_forms(&out, &packets);
    eprintln!("{} distinct packets", packets.len());
}
