//! The limits of the capture pipeline on hostile captures (issue 6), end to end through
//! `dissect_capture`: memory is spent only on bytes the capture really holds (a counting
//! global allocator measures the largest single allocation and the peak of live bytes),
//! the reassembly buffer cap and the connection table cap announce themselves, and time
//! stays linear when a 1 MB packet arrives one byte per TCP segment.

use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, EventKind, Record};
use mqtt_dissect::transport::testing::{tcp_packet, ts, PcapNgWriter, PcapWriter};
use mqtt_dissect::transport::{GapReason, TcpFlags, TransportConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Per thread, while armed: the largest single allocation, and the peak of bytes allocated
/// and not yet freed since arming.
struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn note(add: usize, sub: usize) {
    let _ = ARMED.try_with(|a| {
        if a.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(add)));
            let _ = LIVE.try_with(|l| {
                let v = l.get() + add as i64 - sub as i64;
                l.set(v);
                let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
            });
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size(), 0);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size, layout.size());
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What a dissection cost and reported.
struct Run {
    largest: usize,
    peak: i64,
    events: Vec<(EventKind, String)>,
    packets: Vec<usize>,
    table_full: usize,
    elapsed: Duration,
    /// CPU time of this thread, where the system tells it (Linux): unlike the wall clock it
    /// does not depend on what else the machine is running.
    cpu: Option<Duration>,
}

/// Time this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn dissect(file: &[u8], tcfg: &TransportConfig, cfg: CaptureConfig) -> Run {
    let mut events = Vec::new();
    let mut packets = Vec::new();
    let mut table_full = 0;
    // Room so that collecting records does not count as the pipeline's memory.
    events.reserve(4096);
    packets.reserve(4096);
    LARGEST.with(|l| l.set(0));
    LIVE.with(|l| l.set(0));
    PEAK.with(|l| l.set(0));
    ARMED.with(|a| a.set(true));
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let res = dissect_capture(file, tcfg, cfg, &mut |r| match r {
        Record::Packet(p) => packets.push(p.assumed.decoded.bytes.len()),
        Record::Event(e) => {
            if e.kind
                == (EventKind::Transport {
                    what: "connection-table-full",
                })
            {
                table_full += 1;
            }
            if events.len() < 4096 {
                events.push((e.kind.clone(), std::mem::take(&mut e.message)))
            }
        }
    });
    let elapsed = start.elapsed();
    let cpu = thread_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    ARMED.with(|a| a.set(false));
    res.expect("a capture");
    Run {
        largest: LARGEST.with(|l| l.get()),
        peak: PEAK.with(|l| l.get()),
        events,
        packets,
        table_full,
        elapsed,
        cpu,
    }
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

fn client() -> SocketAddr {
    "10.0.0.2:40000".parse().unwrap()
}
fn server() -> SocketAddr {
    "10.0.0.1:1883".parse().unwrap()
}

const CONNECT: &[u8] = &[
    0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, b'd', b'e',
    b'v', b'1',
];
const PA: TcpFlags = TcpFlags(0x18);

/// A pcap (raw IP) of a handshake and a CONNECT from the client; returns the writer and
/// the client's next sequence number.
fn connected() -> (PcapWriter, u32) {
    let mut w = PcapWriter::new(101, false, false);
    let (c, s) = (client(), server());
    w.packet(ts(1, 0), &tcp_packet(c, s, 100, 0, TcpFlags::SYN, &[]));
    w.packet(
        ts(1, 1),
        &tcp_packet(s, c, 500, 101, TcpFlags::SYN | TcpFlags::ACK, &[]),
    );
    w.packet(ts(1, 2), &tcp_packet(c, s, 101, 501, TcpFlags::ACK, &[]));
    w.packet(ts(1, 3), &tcp_packet(c, s, 101, 501, PA, CONNECT));
    (w, 101 + CONNECT.len() as u32)
}

fn has(run: &Run, f: impl Fn(&EventKind) -> bool) -> bool {
    run.events.iter().any(|(k, _)| f(k))
}

/// The read buffer starts at 256 KiB whatever the file; everything else must be backed by
/// bytes of the input.
const FIXED: usize = 256 * KIB;

#[test]
fn huge_caplen_costs_only_the_bytes_present() {
    let (mut w, seq) = connected();
    let publish = [0x30, 0x05, 0x00, 0x01, b't', b'h', b'i'];
    let seg = tcp_packet(client(), server(), seq, 501, PA, &publish);
    // Claims 2 GB, then 10 MB, each followed by a handful of bytes.
    w.record(ts(2, 0), 0x7fff_ffff, 0x7fff_ffff, &seg);
    let file = w.into_bytes();
    let run = dissect(&file, &TransportConfig::default(), CaptureConfig::default());
    assert!(
        run.largest <= FIXED + 64 * KIB,
        "largest allocation {}",
        run.largest
    );
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
    assert_eq!(run.packets, vec![CONNECT.len()]);
    assert!(
        has(&run, |k| matches!(k, EventKind::TruncatedRecord { .. }))
            || has(&run, |k| matches!(
                k,
                EventKind::Transport { what: "bad-record" }
            )),
        "{:?}",
        run.events
    );

    let (mut w, _) = connected();
    w.record(ts(2, 0), 10 * MIB as u32, 10 * MIB as u32, &[0x45; 1000]);
    let file = w.into_bytes();
    let run = dissect(&file, &TransportConfig::default(), CaptureConfig::default());
    assert!(
        run.largest <= FIXED + 64 * KIB,
        "largest allocation {}",
        run.largest
    );
    assert!(has(&run, |k| matches!(
        k,
        EventKind::TruncatedRecord { .. }
    )));
}

#[test]
fn pcapng_huge_block_length_costs_only_the_bytes_present() {
    let seg = tcp_packet(client(), server(), 101, 501, PA, CONNECT);
    let mut ng = PcapNgWriter::new();
    ng.section(false).interface(101, None).epb(0, 1, &seg);
    let mut file = ng.into_bytes();
    // An EPB that says it is 4 GB long, then a few bytes.
    file.extend_from_slice(&6u32.to_le_bytes());
    file.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    file.extend_from_slice(&[0; 64]);
    let run = dissect(&file, &TransportConfig::default(), CaptureConfig::default());
    assert!(
        run.largest <= FIXED + 64 * KIB,
        "largest allocation {}",
        run.largest
    );
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
    assert_eq!(run.packets, vec![CONNECT.len()]);
    assert!(!run.events.is_empty());
}

/// A PUBLISH announcing 256 MB whose Remaining Length arrives one byte per segment, then
/// 64 KiB of it in 1 KiB segments.
fn huge_publish() -> Vec<u8> {
    let (mut w, mut seq) = connected();
    for b in [0x30u8, 0xff, 0xff, 0xff, 0x7f] {
        w.packet(
            ts(2, 0),
            &tcp_packet(client(), server(), seq, 501, PA, &[b]),
        );
        seq += 1;
    }
    for _ in 0..64 {
        let chunk = [b'x'; KIB];
        w.packet(
            ts(2, 1),
            &tcp_packet(client(), server(), seq, 501, PA, &chunk),
        );
        seq += KIB as u32;
    }
    w.into_bytes()
}

#[test]
fn huge_remaining_length_split_across_segments_is_skipped_by_the_cap() {
    let file = huge_publish();
    let run = dissect(&file, &TransportConfig::default(), CaptureConfig::default());
    assert!(
        run.largest <= FIXED + 64 * KIB,
        "largest allocation {}",
        run.largest
    );
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
    assert_eq!(run.packets, vec![CONNECT.len()]);
    let total = 1 + 4 + 268_435_455u64;
    assert!(
        has(&run, |k| *k
            == EventKind::TooLarge {
                len: total,
                cap: 16 << 20
            }),
        "{:?}",
        run.events
    );
}

#[test]
fn huge_remaining_length_without_a_cap_holds_only_what_arrived() {
    let file = huge_publish();
    let cfg = CaptureConfig {
        max_packet: usize::MAX,
        ..CaptureConfig::default()
    };
    let run = dissect(&file, &TransportConfig::default(), cfg);
    // The partial packet (64 KiB + 5) is the only buffer that grows with the stream.
    assert!(
        run.largest <= FIXED + 64 * KIB,
        "largest allocation {}",
        run.largest
    );
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
    let total = 1 + 4 + 268_435_455u64;
    assert!(
        has(&run, |k| *k
            == EventKind::Incomplete {
                have: 5 + 64 * KIB as u64,
                total: Some(total)
            }),
        "{:?}",
        run.events
    );
}

#[test]
fn reassembly_buffer_cap_produces_its_event() {
    let (mut w, seq) = connected();
    // A hole of 100 bytes, then 16 KiB out of order with a 4 KiB buffer.
    for i in 0..16u32 {
        let chunk = [0xc0u8, 0x00].repeat(KIB / 2);
        let at = seq + 100 + i * KIB as u32;
        w.packet(
            ts(3, i),
            &tcp_packet(client(), server(), at, 501, PA, &chunk),
        );
    }
    let file = w.into_bytes();
    let tcfg = TransportConfig {
        max_buffer_per_direction: 4 * KIB,
        ..TransportConfig::default()
    };
    let run = dissect(&file, &tcfg, CaptureConfig::default());
    assert!(
        has(&run, |k| matches!(
            k,
            EventKind::Transport { what: "buffer-cap" }
        )),
        "{:?}",
        run.events
    );
    assert!(
        has(&run, |k| matches!(
            k,
            EventKind::Gap {
                reason: GapReason::BufferCap,
                ..
            }
        )),
        "{:?}",
        run.events
    );
    // After the gap the PINGREQs are found again.
    assert!(run.packets.iter().filter(|&&n| n == 2).count() > 1000);
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
}

#[test]
fn many_connections_hit_the_table_cap_and_memory_stays_flat() {
    let conns = 3000u32;
    let mut w = PcapWriter::new(101, false, false);
    for i in 0..conns {
        let c: SocketAddr = format!("10.{}.{}.{}:{}", i >> 16, (i >> 8) & 255, i & 255, 40000)
            .parse()
            .unwrap();
        w.packet(ts(1, i), &tcp_packet(c, server(), 1, 1, PA, CONNECT));
    }
    let file = w.into_bytes();
    let tcfg = TransportConfig {
        max_connections: 16,
        ..TransportConfig::default()
    };
    let run = dissect(&file, &tcfg, CaptureConfig::default());
    assert_eq!(run.packets.len(), conns as usize);
    assert_eq!(run.table_full, conns as usize - 16);
    // 16 connections' worth of state, whatever the number of connections in the file.
    assert!(run.peak <= (2 * MIB) as i64, "peak {}", run.peak);
}

#[test]
fn one_megabyte_packet_one_byte_per_segment_through_the_capture_pipeline() {
    let body = MIB;
    let mut pkt = vec![0x30, 0x80, 0x80, 0x40, 0x00, 0x01, b't'];
    pkt.resize(4 + body, b'x');
    assert_eq!(pkt.len(), 4 + body);
    let (mut w, seq) = connected();
    for (i, b) in pkt.iter().enumerate() {
        let seg = tcp_packet(client(), server(), seq + i as u32, 501, PA, &[*b]);
        w.packet(ts(2, (i % 1_000_000) as u32), &seg);
    }
    let file = w.into_bytes();
    let run = dissect(&file, &TransportConfig::default(), CaptureConfig::default());
    assert_eq!(run.packets, vec![CONNECT.len(), pkt.len()]);
    eprintln!(
        "1 MiB PUBLISH in {} one-byte segments ({} MB of pcap): {:?} wall, {:?} CPU",
        pkt.len(),
        file.len() / MIB,
        run.elapsed,
        run.cpu
    );
    // Release builds take well under a second of CPU (fuzz/README.md has the numbers);
    // debug builds are 10–30 times slower.
    let bound = if cfg!(debug_assertions) {
        Duration::from_secs(30)
    } else {
        Duration::from_secs(1)
    };
    let took = run.cpu.unwrap_or(run.elapsed);
    assert!(took < bound, "{took:?}");
}

/// Terminal escapes in a client id, a user name and a topic reach the capture records
/// escaped: nothing the library hands out for display carries a raw control character.
#[test]
fn wire_strings_in_records_are_escaped() {
    let id = b"\x1b]0;pwned\x07\x1b[2J";
    let user = b"u\x9b31m";
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x82, 0x00, 0x3c];
    body.extend_from_slice(&(id.len() as u16).to_be_bytes());
    body.extend_from_slice(id);
    body.extend_from_slice(&(user.len() as u16).to_be_bytes());
    body.extend_from_slice(user);
    let mut connect = vec![0x10, body.len() as u8];
    connect.extend_from_slice(&body);
    // A PUBLISH whose topic is not valid UTF-8 and holds an escape: a protocol error whose
    // diagnostic quotes it.
    let publish = [0x30, 0x08, 0x00, 0x03, 0x1b, b'[', 0xff, b'h', b'i', b'!'];
    let mut w = PcapWriter::new(101, false, false);
    let (c, s) = (client(), server());
    w.packet(ts(1, 0), &tcp_packet(c, s, 1, 1, PA, &connect));
    let seq = 1 + connect.len() as u32;
    w.packet(ts(1, 1), &tcp_packet(c, s, seq, 1, PA, &publish));
    let file = w.into_bytes();
    let mut seen = 0;
    let clean = |s: &str| assert!(!s.chars().any(char::is_control), "{s:?}");
    dissect_capture(
        &file[..],
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut |r| match r {
            Record::Packet(p) => {
                seen += 1;
                let c = p.conn;
                for s in [&c.client_id, &c.username].into_iter().flatten() {
                    clean(s);
                }
                assert!(c.client_id.as_deref().unwrap().contains("\\u{1b}]0;pwned"));
                for d in &p.assumed.decoded.diagnostics {
                    clean(&d.message);
                }
                if let Some(r) = &p.assumed.reason {
                    clean(r);
                }
            }
            Record::Event(e) => clean(&e.message),
        },
    )
    .unwrap();
    assert_eq!(seen, 2);
}

/// `Decoded::is_borrowed`, which lets a record skip its drop code, holds only when decoding
/// left nothing allocated: a wrong "borrowed" would leak memory on every such packet. Every
/// packet type, clean and with each byte changed or the packet cut, both versions, with and
/// without a tree.
#[test]
fn a_borrowed_decode_holds_no_allocation() {
    use mqtt_dissect::codec::{decode, DecodeOptions, ProtocolVersion};
    let vectors = [
        "300b0003612f6268656c6c6f21",
        "320b0003612f62000168656c6c6f",
        "32160003612f6200010c01012300052600016b0001766869",
        "40020001",
        "4009000110051f00026f6b",
        "50020001",
        "62020001",
        "70020001",
        "c000",
        "d000",
        "820800010003612f6201",
        "9003000101",
        "a20700010003612f62",
        "b0020001",
        "100f00044d5154540402003c0003636964",
        "20020000",
        "e000",
        "e0028e00",
        "f000",
    ];
    let (mut borrowed, mut owned) = (0, 0);
    for v in vectors {
        let clean = hex::decode(v).unwrap();
        let mut inputs = vec![clean.clone()];
        for i in 0..clean.len() {
            inputs.push(clean[..i].to_vec());
            for x in [0x00, 0xff, clean[i] ^ 0x01, clean[i] ^ 0x80] {
                let mut m = clean.clone();
                m[i] = x;
                inputs.push(m);
            }
        }
        for input in &inputs {
            for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                for tree in [false, true] {
                    let opts = DecodeOptions {
                        version,
                        direction: None,
                        tree,
                    };
                    LIVE.with(|l| l.set(0));
                    ARMED.with(|a| a.set(true));
                    let d = decode(input, &opts);
                    ARMED.with(|a| a.set(false));
                    let live = LIVE.with(|l| l.get());
                    if d.is_borrowed() {
                        assert_eq!(
                            live,
                            0,
                            "{} as {version:?}, tree {tree}",
                            hex::encode(input)
                        );
                        borrowed += 1;
                    } else if live > 0 {
                        owned += 1;
                    }
                }
            }
        }
    }
    // Both kinds were seen, many times.
    assert!(
        borrowed > 200 && owned > 2000,
        "{borrowed} borrowed, {owned} owned"
    );
}
