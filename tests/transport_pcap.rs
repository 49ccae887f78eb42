//! Capture files written by the test code, read back through `read_capture`.

use mqtt_dissect::transport::testing::{
    self, ethernet, ipv4_fragments, ipv6, loopback, sll, sll2, tcp, tcp_packet, ts, PcapNgWriter,
    PcapWriter, Recorder,
};
use mqtt_dissect::transport::{
    read_capture, CaptureError, CaptureSummary, CloseKind, FragmentDiscard, FragmentOutcome,
    RecordProblem, Side, TcpFlags, Timestamp, TransportConfig, TransportEvent, Tunnel, TunnelKind,
};
use std::io::Read;
use std::net::SocketAddr;

const SYN: TcpFlags = TcpFlags::SYN;
const SYNACK: TcpFlags = TcpFlags(0x12);
const ACK: TcpFlags = TcpFlags::ACK;
const PSHACK: TcpFlags = TcpFlags(0x18);
const FINACK: TcpFlags = TcpFlags(0x11);

fn c4() -> SocketAddr {
    "192.168.1.10:50000".parse().unwrap()
}
fn s4() -> SocketAddr {
    "192.168.1.1:1883".parse().unwrap()
}
fn c6() -> SocketAddr {
    "[2001:db8::10]:50000".parse().unwrap()
}
fn s6() -> SocketAddr {
    "[2001:db8::1]:1883".parse().unwrap()
}

/// A whole conversation as IP packets: handshake, "hello" → , ← "world", FIN, FIN.
fn conversation(c: SocketAddr, s: SocketAddr) -> Vec<Vec<u8>> {
    vec![
        tcp_packet(c, s, 100, 0, SYN, b""),
        tcp_packet(s, c, 900, 101, SYNACK, b""),
        tcp_packet(c, s, 101, 901, ACK, b""),
        tcp_packet(c, s, 101, 901, PSHACK, b"hello"),
        tcp_packet(s, c, 901, 106, PSHACK, b"world"),
        tcp_packet(c, s, 106, 906, FINACK, b""),
        tcp_packet(s, c, 906, 107, FINACK, b""),
    ]
}

fn run_with(bytes: &[u8], cfg: &TransportConfig) -> (Recorder, CaptureSummary) {
    let mut rec = Recorder::new();
    let summary = read_capture(bytes, cfg, &mut |e| rec.push(e)).expect("capture reads");
    let t = &summary.tcp;
    assert_eq!(
        t.payload_bytes,
        t.delivered_bytes + t.retransmitted_bytes + t.overlap_bytes + t.ignored_bytes
    );
    (rec, summary)
}

fn run(bytes: &[u8]) -> (Recorder, CaptureSummary) {
    run_with(bytes, &TransportConfig::default())
}

fn run_err(bytes: &[u8]) -> CaptureError {
    read_capture(bytes, &TransportConfig::default(), &mut |_| {}).unwrap_err()
}

/// Checks the conversation came through whole: streams, closes, frame numbers.
fn assert_conversation(rec: &Recorder) {
    assert_eq!(rec.stream(1, Side::A, b'.'), b"hello");
    assert_eq!(rec.stream(1, Side::B, b'.'), b"world");
    let kinds: Vec<(u64, Side, CloseKind)> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            TransportEvent::Closed {
                by: Some(d),
                kind,
                frame,
                ..
            } => Some((*frame, d.side, *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![(6, Side::A, CloseKind::Fin), (7, Side::B, CloseKind::Fin)]
    );
    let data_frames: Vec<u64> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            TransportEvent::Data { frame, dir, .. } => {
                assert_eq!(dir.from_initiator, Some(dir.side == Side::A));
                Some(*frame)
            }
            _ => None,
        })
        .collect();
    assert_eq!(data_frames, vec![4, 5]);
}

fn data_ts(rec: &Recorder) -> Vec<Timestamp> {
    rec.events
        .iter()
        .filter_map(|e| match e {
            TransportEvent::Data { ts, .. } => Some(*ts),
            _ => None,
        })
        .collect()
}

fn pcap_of(linktype: u32, be: bool, nanos: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapWriter::new(linktype, be, nanos);
    for (i, f) in frames.iter().enumerate() {
        w.packet(
            Timestamp {
                secs: 1_700_000_000 + i as i64,
                nanos: 123_456_789,
            },
            f,
        );
    }
    w.into_bytes()
}

#[test]
fn pcap_little_endian_microseconds_ethernet() {
    let frames: Vec<_> = conversation(c4(), s4())
        .iter()
        .map(|p| ethernet(&[], p))
        .collect();
    let (rec, sum) = run(&pcap_of(1, false, false, &frames));
    assert_conversation(&rec);
    assert_eq!(
        data_ts(&rec),
        vec![
            Timestamp {
                secs: 1_700_000_003,
                nanos: 123_456_000
            },
            Timestamp {
                secs: 1_700_000_004,
                nanos: 123_456_000
            }
        ]
    );
    assert_eq!(sum.format, "pcap");
    assert_eq!(sum.frames, 7);
    assert_eq!(sum.frames_per_linktype.get(&1), Some(&7));
    assert_eq!(sum.tcp.connections, 1);
    assert_eq!(sum.tcp.open_at_end, 0);
    assert_eq!(sum.tcp.delivered_bytes, 10);
}

#[test]
fn pcap_big_endian_nanoseconds_raw_ip() {
    let (rec, sum) = run(&pcap_of(101, true, true, &conversation(c4(), s4())));
    assert_conversation(&rec);
    assert_eq!(data_ts(&rec)[0].nanos, 123_456_789);
    assert_eq!(sum.frames_per_linktype.get(&101), Some(&7));
}

#[test]
fn raw_ip_link_types_12_and_14() {
    for lt in [12, 14, 228] {
        let (rec, _) = run(&pcap_of(lt, false, false, &conversation(c4(), s4())));
        assert_conversation(&rec);
    }
}

#[test]
fn vlan_and_qinq() {
    let conv = conversation(c4(), s4());
    let frames: Vec<_> = conv
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 0 {
                ethernet(&[(0x8100, 42)], p)
            } else {
                ethernet(&[(0x88a8, 100), (0x8100, 200)], p)
            }
        })
        .collect();
    let (rec, sum) = run(&pcap_of(1, false, false, &frames));
    assert_conversation(&rec);
    assert_eq!(sum.non_ip_frames, 0);
}

#[test]
fn linux_cooked_sll_and_sll2() {
    let conv = conversation(c4(), s4());
    let f1: Vec<_> = conv.iter().map(|p| sll(p)).collect();
    assert_conversation(&run(&pcap_of(113, false, false, &f1)).0);
    let f2: Vec<_> = conversation(c6(), s6()).iter().map(|p| sll2(p)).collect();
    let (rec, _) = run(&pcap_of(276, false, false, &f2));
    assert_conversation(&rec);
    match &rec.events[0] {
        TransportEvent::ConnectionOpened { a, b, .. } => {
            assert_eq!(a.to_string(), "[2001:db8::10]:50000");
            assert_eq!(b.to_string(), "[2001:db8::1]:1883");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bsd_loopback_null_and_loop_both_byte_orders() {
    let v4: Vec<_> = conversation(c4(), s4())
        .iter()
        .map(|p| loopback(2, false, p))
        .collect();
    assert_conversation(&run(&pcap_of(0, false, false, &v4)).0);
    let v6: Vec<_> = conversation(c6(), s6())
        .iter()
        .map(|p| loopback(30, true, p))
        .collect();
    assert_conversation(&run(&pcap_of(108, false, false, &v6)).0);
    let v6le: Vec<_> = conversation(c6(), s6())
        .iter()
        .map(|p| loopback(24, false, p))
        .collect();
    assert_conversation(&run(&pcap_of(0, true, false, &v6le)).0);
}

/// IPv6 with hop-by-hop, routing, destination options and AH before TCP.
fn ipv6_with_extensions(
    c: SocketAddr,
    s: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    p: &[u8],
) -> Vec<u8> {
    let oct = |a: SocketAddr| match a.ip() {
        std::net::IpAddr::V6(x) => x.octets(),
        _ => unreachable!(),
    };
    let mut body = vec![43, 0, 1, 4, 0, 0, 0, 0]; // hop-by-hop (PadN) → routing
    body.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]); // routing, 8 bytes → dest opts
    body.extend_from_slice(&[51, 0, 1, 4, 0, 0, 0, 0]); // dest opts → AH
    body.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]); // AH, 12 bytes → TCP
    body.extend_from_slice(&tcp(c, s, seq, ack, flags, p));
    ipv6(oct(c), oct(s), 0, &body)
}

#[test]
fn raw_ipv6_with_extension_headers() {
    let (c, s) = (c6(), s6());
    let pkts = vec![
        ipv6_with_extensions(c, s, 100, 0, SYN, b""),
        ipv6_with_extensions(s, c, 900, 101, SYNACK, b""),
        ipv6_with_extensions(c, s, 101, 901, ACK, b""),
        ipv6_with_extensions(c, s, 101, 901, PSHACK, b"hello"),
        ipv6_with_extensions(s, c, 901, 106, PSHACK, b"world"),
        ipv6_with_extensions(c, s, 106, 906, FINACK, b""),
        ipv6_with_extensions(s, c, 906, 107, FINACK, b""),
    ];
    let (rec, sum) = run(&pcap_of(101, false, false, &pkts));
    assert_conversation(&rec);
    assert_eq!(sum.malformed_frames + sum.truncated_frames, 0);
}

#[test]
fn unknown_link_type_is_reported_once_and_counted() {
    let (rec, sum) = run(&pcap_of(147, false, false, &[vec![1, 2, 3], vec![4, 5]]));
    assert_eq!(
        rec.events,
        vec![TransportEvent::UnknownLinkType {
            frame: 1,
            linktype: 147
        }]
    );
    assert_eq!(sum.unknown_linktype_frames, 2);
    assert_eq!(sum.frames, 2);
}

#[test]
fn non_ip_and_non_tcp_are_counted() {
    let mut arp = vec![0u8; 12];
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.resize(60, 0);
    let udp = testing::ipv4(
        [1, 1, 1, 1],
        [2, 2, 2, 2],
        17,
        1,
        0,
        &[0, 53, 0, 53, 0, 8, 0, 0],
    );
    let (rec, sum) = run(&pcap_of(1, false, false, &[arp, ethernet(&[], &udp)]));
    assert!(rec.events.is_empty());
    assert_eq!((sum.non_ip_frames, sum.non_tcp_packets), (1, 1));
}

#[test]
fn pcapng_sections_interfaces_resolutions_and_spb() {
    let conv = conversation(c4(), s4());
    let mut w = PcapNgWriter::new();
    w.section(false)
        .interface(1, None) // Ethernet, microseconds
        .interface(101, Some(9)) // raw IP, nanoseconds
        .epb(0, 1_700_000_000_000_001, &ethernet(&[], &conv[0]))
        .epb(1, 1_700_000_001_000_000_002, &conv[1])
        .epb(0, 1_700_000_002_000_003, &ethernet(&[], &conv[2]))
        .epb(1, 1_700_000_003_123_456_789, &conv[3]);
    // Second section, big-endian: interface numbers start again.
    w.section(true)
        .interface(276, Some(0x80 | 20)) // SLL2, 2^-20 s units
        .epb(0, (1_700_000_004u64 << 20) + (1 << 19), &sll2(&conv[4]))
        .spb(&sll2(&conv[5]))
        .epb(0, 1_700_000_006u64 << 20, &sll2(&conv[6]));
    let (rec, sum) = run(w.bytes());
    assert_conversation(&rec);
    assert_eq!(
        data_ts(&rec),
        vec![
            Timestamp {
                secs: 1_700_000_003,
                nanos: 123_456_789
            },
            Timestamp {
                secs: 1_700_000_004,
                nanos: 500_000_000
            }
        ]
    );
    assert_eq!(sum.format, "pcapng");
    assert_eq!(sum.frames, 7);
    assert_eq!(
        sum.frames_per_linktype.into_iter().collect::<Vec<_>>(),
        vec![(1, 2), (101, 2), (276, 3)]
    );
}

#[test]
fn pcapng_bad_blocks_are_skipped() {
    let conv = conversation(c4(), s4());
    let mut w = PcapNgWriter::new();
    w.section(false).interface(101, None).epb(0, 1, &conv[0]);
    // An EPB whose caplen (1000) is more than its block holds.
    let mut bad = vec![0u8; 20];
    bad[12..16].copy_from_slice(&1000u32.to_le_bytes());
    bad.extend_from_slice(&[0u8; 8]);
    w.raw_block(6, &bad);
    w.epb(5, 2, &conv[1]); // no interface 5
    for p in &conv[1..] {
        w.epb(0, 3, p);
    }
    let (rec, sum) = run(w.bytes());
    assert_eq!(rec.stream(1, Side::A, b'.'), b"hello");
    assert_eq!(rec.stream(1, Side::B, b'.'), b"world");
    let bad: Vec<_> = rec
        .events
        .iter()
        .filter(|e| matches!(e, TransportEvent::BadRecord { .. }))
        .cloned()
        .collect();
    assert_eq!(
        bad,
        vec![
            TransportEvent::BadRecord {
                frame: 1,
                problem: RecordProblem::MalformedBlock
            },
            TransportEvent::BadRecord {
                frame: 2,
                problem: RecordProblem::UnknownInterface(5)
            },
        ]
    );
    assert_eq!(sum.bad_records, 2);
    assert_eq!(sum.frames, 7);
}

#[test]
fn truncated_last_record_keeps_everything_before() {
    let conv = conversation(c4(), s4());
    let mut bytes = pcap_of(101, false, false, &conv[..5]);
    bytes.truncate(bytes.len() - 7);
    let (rec, sum) = run(&bytes);
    assert_eq!(rec.stream(1, Side::A, b'.'), b"hello");
    let last = conv[4].len() as u64 + 16 - 7;
    assert!(rec.events.contains(&TransportEvent::TruncatedRecord {
        frame: 5,
        available: last
    }));
    assert!(sum.truncated_last_record);
    assert_eq!(sum.frames, 4);
    // pcapng too.
    let mut w = PcapNgWriter::new();
    w.section(false)
        .interface(101, None)
        .epb(0, 1, &conv[0])
        .epb(0, 2, &conv[1]);
    let mut b = w.into_bytes();
    b.truncate(b.len() - 3);
    let (rec, sum) = run(&b);
    assert!(rec
        .events
        .iter()
        .any(|e| matches!(e, TransportEvent::TruncatedRecord { frame: 2, .. })));
    assert_eq!(sum.frames, 1);
}

#[test]
fn absurd_caplen_does_not_allocate() {
    let mut w = PcapWriter::new(101, false, false);
    w.packet(ts(1, 0), &conversation(c4(), s4())[0]);
    w.record(ts(2, 0), 0xffff_fff0, 0xffff_fff0, &[0x45; 10]);
    let (rec, sum) = run(w.bytes());
    assert!(rec.events.contains(&TransportEvent::TruncatedRecord {
        frame: 2,
        available: 26
    }));
    assert_eq!(sum.frames, 1);
    // With plenty of bytes behind the lie, reading stops at the record size cap.
    let mut w = PcapWriter::new(101, false, false);
    w.record(ts(2, 0), 0x4000_0000, 0x4000_0000, &vec![0u8; 600_000]);
    let cfg = TransportConfig {
        max_record_size: 128 * 1024,
        ..TransportConfig::default()
    };
    let (rec, _) = run_with(w.bytes(), &cfg);
    assert_eq!(
        rec.events,
        vec![TransportEvent::BadRecord {
            frame: 0,
            problem: RecordProblem::TooLarge
        }]
    );
}

#[test]
fn record_larger_than_the_initial_buffer() {
    // A 300 kB raw IPv4 packet (total length 0, as offloaded segments show).
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
    let mut p = tcp_packet(c4(), s4(), 1, 0, PSHACK, &payload);
    p[2] = 0;
    p[3] = 0;
    let (rec, _) = run(&pcap_of(101, false, false, &[p]));
    assert_eq!(rec.stream(1, Side::A, b'.'), payload);
}

#[test]
fn header_errors() {
    let pcap = pcap_of(1, false, false, &[]);
    match run_err(&pcap[..10]) {
        CaptureError::TruncatedHeader {
            format: "pcap",
            needed: 24,
            have: 10,
        } => {}
        e => panic!("{e:?}"),
    }
    let mut w = PcapNgWriter::new();
    w.section(false);
    match run_err(&w.bytes()[..20]) {
        CaptureError::TruncatedHeader {
            format: "pcapng",
            needed: 28,
            have: 20,
        } => {}
        e => panic!("{e:?}"),
    }
    let e = run_err(b"Hello, this is not a capture at all");
    match &e {
        CaptureError::NotACapture { first_bytes } => assert_eq!(first_bytes, b"Hello, this is n"),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("48 65 6c 6c 6f"), "{e}");
    assert!(matches!(run_err(b""), CaptureError::Empty));
    assert!(matches!(
        run_err(&[0xd4, 0xc3]),
        CaptureError::TruncatedHeader { .. }
    ));
}

/// A reader that hands out one byte per `read`, like a slow pipe.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(out)) => {
                *out = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn short_reads_like_a_pipe() {
    let mut w = PcapNgWriter::new();
    w.section(false).interface(101, None);
    for p in conversation(c4(), s4()) {
        w.epb(0, 1, &p);
    }
    let mut rec = Recorder::new();
    read_capture(Trickle(w.bytes()), &TransportConfig::default(), &mut |e| {
        rec.push(e)
    })
    .unwrap();
    assert_conversation(&rec);
}

#[test]
fn ipv4_fragments_reassembled_out_of_order() {
    let payload: Vec<u8> = (0..100u8).collect();
    let conv = conversation(c4(), s4());
    let mut whole = tcp_packet(c4(), s4(), 101, 901, PSHACK, &payload);
    whole[4..6].copy_from_slice(&77u16.to_be_bytes());
    whole[6] = 0; // clear DF
    let frags = ipv4_fragments(&whole, 48); // 120 bytes of TCP: 48 + 48 + 24
    assert_eq!(frags.len(), 3);
    let mut lone = tcp_packet(c4(), s4(), 9, 0, PSHACK, b"never completed");
    lone[4..6].copy_from_slice(&78u16.to_be_bytes());
    lone[6] = 0;
    let lone = ipv4_fragments(&lone, 16);
    let frames = vec![
        conv[0].clone(),
        conv[1].clone(),
        conv[2].clone(),
        frags[2].clone(),
        frags[0].clone(),
        lone[0].clone(),
        frags[1].clone(),
    ];
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert_eq!(rec.stream(1, Side::A, b'.'), payload);
    let fr: Vec<_> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            TransportEvent::Fragment {
                frame, id, outcome, ..
            } => Some((*frame, *id, *outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fr,
        vec![
            (
                7,
                77,
                FragmentOutcome::Reassembled {
                    fragments: 3,
                    len: 120
                }
            ),
            (
                7,
                78,
                FragmentOutcome::Discarded {
                    reason: FragmentDiscard::EndOfCapture,
                    fragments: 1,
                    bytes: 16
                }
            ),
        ]
    );
    assert_eq!((sum.ip_fragments, sum.reassembled_datagrams), (4, 1));
}

#[test]
fn ipv6_fragments_reassembled() {
    let (c, s) = (c6(), s6());
    let oct = |a: SocketAddr| match a.ip() {
        std::net::IpAddr::V6(x) => x.octets(),
        _ => unreachable!(),
    };
    let payload = b"split across two IPv6 fragments, with a dest-opts header first".to_vec();
    // Fragmentable part: destination options, then TCP.
    let mut part = vec![6, 0, 1, 4, 0, 0, 0, 0];
    part.extend_from_slice(&tcp(c, s, 101, 901, PSHACK, &payload));
    let (a, b) = part.split_at(32);
    let frag = |off: u16, more: bool, data: &[u8]| {
        let mut body = vec![60, 0];
        body.extend_from_slice(&(off | u16::from(more)).to_be_bytes());
        body.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        body.extend_from_slice(data);
        ipv6(oct(c), oct(s), 44, &body)
    };
    let conv = conversation(c, s);
    let frames = vec![
        conv[0].clone(),
        conv[1].clone(),
        frag(32, false, b),
        frag(0, true, a),
    ];
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert_eq!(rec.stream(1, Side::A, b'.'), payload);
    assert_eq!(sum.reassembled_datagrams, 1);
    assert!(rec.events.iter().any(|e| matches!(
        e,
        TransportEvent::Fragment {
            id: 0xdead_beef,
            outcome: FragmentOutcome::Reassembled { fragments: 2, .. },
            ..
        }
    )));
}

#[test]
fn lost_segment_in_a_capture_is_a_gap_with_exact_range() {
    let (c, s) = (c4(), s4());
    let frames = vec![
        tcp_packet(c, s, 100, 0, SYN, b""),
        tcp_packet(s, c, 900, 101, SYNACK, b""),
        tcp_packet(c, s, 101, 901, PSHACK, b"aaaa"),
        // 105..109 "bbbb" lost
        tcp_packet(c, s, 109, 901, PSHACK, b"cccc"),
        tcp_packet(s, c, 901, 113, ACK, b""),
    ];
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert_eq!(rec.stream(1, Side::A, b'-'), b"aaaa----cccc");
    assert!(rec.events.iter().any(|e| matches!(
        e,
        TransportEvent::Gap {
            frame: 5,
            offset: 4,
            len: 4,
            seq_start: 105,
            seq_end: 109,
            ..
        }
    )));
    assert_eq!(sum.tcp.gap_bytes, 4);
}

/// Generates a long pcap on the fly (never held in memory whole): one connection
/// sending `segments` segments of 1400 bytes.
struct Generated {
    buf: Vec<u8>,
    pos: usize,
    next_seg: u32,
    segments: u32,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next_seg == self.segments {
                return Ok(0);
            }
            let i = self.next_seg;
            self.next_seg += 1;
            let payload = vec![(i % 251) as u8; 1400];
            let p = tcp_packet(c4(), s4(), 1 + i * 1400, 1, PSHACK, &payload);
            let mut w = PcapWriter::new(101, false, false);
            w.packet(ts(i64::from(i), 0), &p);
            let rec = w.into_bytes();
            self.buf = if i == 0 { rec } else { rec[24..].to_vec() };
            self.pos = 0;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn long_capture_is_streamed() {
    let segments = 6000u32; // 8.4 MB of payload through a 256 kB read buffer
    let input = Generated {
        buf: Vec::new(),
        pos: 0,
        next_seg: 0,
        segments,
    };
    let mut delivered = 0u64;
    let summary = read_capture(input, &TransportConfig::default(), &mut |e| {
        if let TransportEvent::Data { offset, data, .. } = e {
            assert_eq!(offset, delivered);
            assert!(data.iter().all(|b| *b == data[0]));
            delivered += data.len() as u64;
        }
    })
    .unwrap();
    assert_eq!(delivered, u64::from(segments) * 1400);
    assert_eq!(summary.frames, u64::from(segments));
    assert_eq!(summary.tcp.open_at_end, 1);
}

/// IP in IP, `n` times over.
fn in_ipip(ip: &[u8], n: usize) -> Vec<u8> {
    let mut p = ip.to_vec();
    for _ in 0..n {
        p = testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 4, 7, 0, &p);
    }
    p
}

#[test]
fn a_conversation_through_tunnels_up_to_the_depth_bound() {
    use mqtt_dissect::transport::tunnel::MAX_DEPTH;
    let conv = conversation(c4(), s4());
    // The deepest nesting decoded: the conversation is whole.
    let frames: Vec<Vec<u8>> = conv
        .iter()
        .map(|p| in_ipip(p, usize::from(MAX_DEPTH)))
        .collect();
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert_conversation(&rec);
    assert_eq!(sum.tunnels.ip_in_ip, 7 * u64::from(MAX_DEPTH));
    assert_eq!((sum.tunnels.too_deep, sum.non_tcp_packets), (0, 0));
    // One more is too deep: counted, nothing decoded, and no connection.
    let frames: Vec<Vec<u8>> = conv
        .iter()
        .map(|p| in_ipip(p, usize::from(MAX_DEPTH) + 1))
        .collect();
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert!(rec.events.is_empty(), "{:?}", rec.events);
    assert_eq!(sum.tunnels.too_deep, 7);
    assert_eq!(sum.tcp.connections, 0);
}

/// An IP packet in GRE with `key`, in IPv4.
fn in_gre_key(ip: &[u8], key: u32) -> Vec<u8> {
    let mut gre = vec![0x20, 0, 0x08, 0x00];
    gre.extend_from_slice(&key.to_be_bytes());
    gre.extend_from_slice(ip);
    testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 47, 1, 0, &gre)
}

fn opened_tunnel(rec: &Recorder) -> Option<Tunnel> {
    match &rec.events[0] {
        TransportEvent::ConnectionOpened { tunnel, .. } => *tunnel,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_connection_names_the_innermost_tunnel_of_its_first_frame() {
    let conv = conversation(c4(), s4());
    let gre = |key| Tunnel {
        kind: TunnelKind::Gre,
        id: Some(key),
    };
    // All in GRE with key 7.
    let frames: Vec<Vec<u8>> = conv.iter().map(|p| in_gre_key(p, 7)).collect();
    let (rec, _) = run(&pcap_of(101, false, false, &frames));
    assert_conversation(&rec);
    assert_eq!(opened_tunnel(&rec), Some(gre(7)));
    // The first frame IP in IP inside GRE key 9 (the innermost is IP in IP), the others in
    // GRE key 7: still one connection, told apart by its endpoints alone.
    let frames: Vec<Vec<u8>> = conv
        .iter()
        .enumerate()
        .map(|(i, p)| match i {
            0 => in_gre_key(&in_ipip(p, 1), 9),
            _ => in_gre_key(p, 7),
        })
        .collect();
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    assert_conversation(&rec);
    let ipip = Tunnel {
        kind: TunnelKind::IpInIp,
        id: None,
    };
    assert_eq!(opened_tunnel(&rec), Some(ipip));
    assert_eq!((sum.tunnels.gre, sum.tunnels.ip_in_ip), (7, 1));
    // No tunnel, no name.
    let (rec, _) = run(&pcap_of(101, false, false, &conv));
    assert_eq!(opened_tunnel(&rec), None);
}

#[test]
fn fragments_inside_a_tunnel_and_a_fragmented_tunnel() {
    let conv = conversation(c4(), s4());
    let mut frames = Vec::new();
    for (i, p) in conv.iter().enumerate() {
        if i == 3 {
            // The inner packet in fragments, each in its own GRE packet; then the outer
            // packet of the next one in fragments.
            for f in testing::ipv4_fragments(p, 16) {
                let mut gre = vec![0, 0, 0x08, 0x00];
                gre.extend_from_slice(&f);
                frames.push(testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 47, 1, 0, &gre));
            }
        } else if i == 4 {
            frames.extend(testing::ipv4_fragments(&in_ipip(p, 1), 16));
        } else {
            frames.push(in_ipip(p, 1));
        }
    }
    let (rec, sum) = run(&pcap_of(101, false, false, &frames));
    // The fragments add frames: the streams, not the frame numbers, are the conversation's.
    assert_eq!(rec.stream(1, Side::A, b'.'), b"hello");
    assert_eq!(rec.stream(1, Side::B, b'.'), b"world");
    assert_eq!((sum.tunnels.gre, sum.tunnels.ip_in_ip), (2, 6));
    assert_eq!(sum.reassembled_datagrams, 2);
}

#[test]
fn cut_and_foreign_tunnels_are_counted_not_decoded() {
    let inner = tcp_packet(c4(), s4(), 100, 0, SYN, b"");
    let gre_cut = testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 47, 1, 0, &[0x30, 0, 0x08]);
    let mut pptp = vec![0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0];
    pptp.extend_from_slice(&inner);
    let pptp = testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 47, 2, 0, &pptp);
    // VXLAN carrying an ARP frame (as a real overlay does between the MQTT packets).
    let mut vx = vec![0xc0, 0, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 42, 0];
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    arp.resize(60, 0);
    vx.extend_from_slice(&arp);
    let len = (vx.len() as u16).to_be_bytes();
    vx[4..6].copy_from_slice(&len);
    let vx = testing::ipv4([10, 9, 0, 1], [10, 9, 0, 2], 17, 3, 0, &vx);
    let (rec, sum) = run(&pcap_of(101, false, false, &[gre_cut, pptp, vx]));
    assert!(rec.events.is_empty());
    assert_eq!(
        (sum.truncated_frames, sum.non_tcp_packets, sum.non_ip_frames),
        (1, 1, 1)
    );
    assert_eq!((sum.tunnels.gre, sum.tunnels.vxlan), (0, 1));
}
