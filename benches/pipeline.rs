//! The capture pipeline, per MQTT packet: reading a pcap from memory, TCP reassembly,
//! framing and decoding (no trees), then the analysis stage, then each printer.
//!
//! The capture is made here (no root, no broker): four 3.1.1 clients that each CONNECT and
//! publish QoS 1 telemetry, acknowledged by the broker, several packets per TCP segment as
//! mosquitto sends them. Whole-process numbers against tshark come from
//! benches/compare-tshark.sh on a real broker capture.
//!
//! Run: `cd benches && cargo bench --bench pipeline`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mqtt_dissect::dissect::analysis::Analyzer;
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::present::capture::{CapturePrinter, JsonPrinter, SummaryPrinter};
use mqtt_dissect::present::Options;
use mqtt_dissect::transport::testing::{ethernet, tcp_packet, PcapWriter};
use mqtt_dissect::transport::{TcpFlags, Timestamp, TransportConfig};
use std::hint::black_box;
use std::io;
use std::net::SocketAddr;

const CLIENTS: u16 = 4;
/// PUBLISH packets per client.
const PUBLISHES: u32 = 5000;
/// MQTT packets per TCP segment.
const PER_SEGMENT: u32 = 4;

fn publish(topic: &str, id: u16, payload: &[u8]) -> Vec<u8> {
    let rl = 2 + topic.len() + 2 + payload.len();
    let mut p = vec![0x32, rl as u8];
    p.extend((topic.len() as u16).to_be_bytes());
    p.extend(topic.as_bytes());
    p.extend(id.to_be_bytes());
    p.extend(payload);
    p
}

/// The capture, and how many MQTT packets it holds.
fn capture() -> (Vec<u8>, u64) {
    let mut w = PcapWriter::new(1, false, false);
    let mut t = Timestamp {
        secs: 1_700_000_000,
        nanos: 0,
    };
    let tick = |t: &mut Timestamp| {
        t.nanos += 10_000;
        if t.nanos >= 1_000_000_000 {
            t.nanos -= 1_000_000_000;
            t.secs += 1;
        }
        *t
    };
    let server: SocketAddr = "127.0.0.1:1883".parse().unwrap();
    let mut packets = 0;
    let clients: Vec<SocketAddr> = (0..CLIENTS)
        .map(|i| format!("127.0.0.1:{}", 40000 + i).parse().unwrap())
        .collect();
    let mut seq = vec![(1000u32, 9000u32); clients.len()];
    for (i, c) in clients.iter().enumerate() {
        let connect = [
            &[0x10, 0x13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 7][..],
            format!("device{i}").as_bytes(),
        ]
        .concat();
        let (cs, ss) = &mut seq[i];
        for (src, dst, sq, ak, flags, data) in [
            (*c, server, *cs, 0, TcpFlags::SYN, Vec::new()),
            (server, *c, *ss, *cs + 1, TcpFlags(0x12), Vec::new()),
            (
                *c,
                server,
                *cs + 1,
                *ss + 1,
                TcpFlags(0x18),
                connect.clone(),
            ),
            (
                server,
                *c,
                *ss + 1,
                *cs + 1 + 21,
                TcpFlags(0x18),
                vec![0x20, 2, 0, 0],
            ),
        ] {
            w.packet(
                tick(&mut t),
                &ethernet(&[], &tcp_packet(src, dst, sq, ak, flags, &data)),
            );
        }
        *cs += 1 + connect.len() as u32;
        *ss += 1 + 4;
        packets += 2;
    }
    for n in 0..PUBLISHES / PER_SEGMENT {
        for (i, c) in clients.iter().enumerate() {
            let (cs, ss) = &mut seq[i];
            let mut pubs = Vec::new();
            let mut acks = Vec::new();
            for k in 0..PER_SEGMENT {
                let id = (n * PER_SEGMENT + k) as u16 % 65535 + 1;
                let payload = format!("{{\"device\":{i},\"seq\":{id},\"temp\":21.5}}");
                pubs.extend(publish(
                    &format!("fleet/device{i}/telemetry"),
                    id,
                    payload.as_bytes(),
                ));
                acks.extend([0x40, 2, (id >> 8) as u8, id as u8]);
                packets += 2;
            }
            let seg = tcp_packet(*c, server, *cs, *ss, TcpFlags(0x18), &pubs);
            w.packet(tick(&mut t), &ethernet(&[], &seg));
            *cs += pubs.len() as u32;
            let seg = tcp_packet(server, *c, *ss, *cs, TcpFlags(0x18), &acks);
            w.packet(tick(&mut t), &ethernet(&[], &seg));
            *ss += acks.len() as u32;
        }
    }
    (w.into_bytes(), packets)
}

fn run(pcap: &[u8], tree: bool, sink: &mut dyn FnMut(&mut Record<'_>)) {
    let cfg = CaptureConfig {
        tree,
        ..CaptureConfig::default()
    };
    dissect_capture(pcap, &TransportConfig::default(), cfg, &mut |r| {
        sink(r)
    })
    .expect("the capture reads");
}

fn bench(c: &mut Criterion) {
    let (pcap, packets) = capture();
    let mut n = 0;
    run(&pcap, false, &mut |r| {
        n += u64::from(matches!(r, Record::Packet(_)))
    });
    assert_eq!(n, packets);
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(packets));
    g.sample_size(20);
    g.bench_function("dissect (no tree)", |b| {
        b.iter(|| {
            run(black_box(&pcap), false, &mut |r| {
                black_box(r);
            })
        })
    });
    g.bench_function("dissect + analysis", |b| {
        b.iter(|| {
            let mut a = Analyzer::default();
            run(black_box(&pcap), false, &mut |r| a.record(r));
            black_box(a.finish())
        })
    });
    g.bench_function("dissect (field trees)", |b| {
        b.iter(|| {
            run(black_box(&pcap), true, &mut |r| {
                black_box(r);
            })
        })
    });
    // Name, with field trees, and how to make the printer.
    type Printer = (&'static str, bool, fn() -> Box<dyn CapturePrinter>);
    let printers: [Printer; 2] = [
        ("summary", false, || {
            Box::new(SummaryPrinter::new(
                io::sink(),
                Options::default(),
                false,
                false,
            ))
        }),
        ("jsonl", true, || {
            Box::new(JsonPrinter::new(io::sink(), Options::default(), true))
        }),
    ];
    for (name, tree, make) in printers {
        g.bench_function(format!("dissect + analysis + {name}"), |b| {
            b.iter(|| {
                let mut a = Analyzer::default();
                let mut p = make();
                run(black_box(&pcap), tree, &mut |r| {
                    a.record(r);
                    p.record(r).expect("io::sink");
                });
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
