//! Property tests: any split/order/duplication of a stream reassembles to the stream;
//! any bytes as a capture never panic and keep the accounting exact.

use mqtt_dissect::transport::testing::{tcp_packet, PcapNgWriter, PcapWriter, Recorder};
use mqtt_dissect::transport::{
    read_capture, Endpoint, Side, TcpFlags, TcpReassembler, TcpSegment, Timestamp, TransportConfig,
};
use proptest::prelude::*;

fn ep(port: u16) -> Endpoint {
    Endpoint {
        addr: "10.1.1.1".parse().unwrap(),
        port,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Cut a stream into segments, shuffle them, repeat some (with the same bytes, so
    /// overlaps agree): the delivered stream is the original, without gaps.
    #[test]
    fn any_order_and_duplication_reassembles(
        len in 1usize..3000,
        isn in any::<u32>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        extra in prop::collection::vec((any::<prop::sample::Index>(), 1usize..200), 0..20),
        order in any::<prop::sample::Index>(),
        syn in any::<bool>(),
    ) {
        let stream: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(len)).collect();
        points.push(0);
        points.push(len);
        points.sort_unstable();
        points.dedup();
        let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
        for (at, l) in &extra {
            let s = at.index(len);
            segs.push((s, (s + l).min(len)));
        }
        // Rotate the order by a random amount and interleave from both ends.
        let r = order.index(segs.len());
        segs.rotate_left(r);
        let mut shuffled = Vec::new();
        while !segs.is_empty() {
            shuffled.push(segs.remove(0));
            if let Some(x) = segs.pop() {
                shuffled.push(x);
            }
        }
        if !syn {
            // Mid-stream pickup: the first segment seen must start the stream.
            shuffled.retain(|s| *s != (0, points[1]));
            shuffled.insert(0, (0, points[1]));
        }
        let mut r = TcpReassembler::new(&TransportConfig::default());
        let mut rec = Recorder::new();
        let mut sink = |e: mqtt_dissect::transport::TransportEvent<'_>| rec.push(e);
        let start = isn.wrapping_add(1);
        if syn {
            let s = TcpSegment { src: ep(1), dst: ep(2), seq: isn, ack: 0, flags: TcpFlags::SYN, payload: &[], tunnel: None };
            r.segment(0, Timestamp::default(), &s, &mut sink);
        }
        for (i, (a, b)) in shuffled.iter().enumerate() {
            let s = TcpSegment {
                src: ep(1),
                dst: ep(2),
                seq: start.wrapping_add(*a as u32),
                ack: 0,
                flags: TcpFlags::ACK,
                payload: &stream[*a..*b],
                tunnel: None,
            };
            r.segment(i as u64 + 1, Timestamp::default(), &s, &mut sink);
        }
        r.finish(0, Timestamp::default(), &mut sink);
        let st = r.stats().clone();
        prop_assert_eq!(rec.stream(1, Side::A, b'?'), stream);
        prop_assert_eq!(st.gap_bytes, 0);
        prop_assert_eq!(
            st.payload_bytes,
            st.delivered_bytes + st.retransmitted_bytes + st.overlap_bytes + st.ignored_bytes
        );
    }

    /// Mutated and cut captures never panic, and the accounting holds.
    #[test]
    fn mutated_captures_never_panic(
        ng in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let c: std::net::SocketAddr = "10.0.0.1:1000".parse().unwrap();
        let s: std::net::SocketAddr = "10.0.0.2:1883".parse().unwrap();
        let pkts = [
            tcp_packet(c, s, 1, 0, TcpFlags::SYN, b""),
            tcp_packet(s, c, 9, 2, TcpFlags(0x12), b""),
            tcp_packet(c, s, 2, 10, TcpFlags(0x18), b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00"),
            tcp_packet(s, c, 10, 16, TcpFlags(0x18), b"\x20\x02\x00\x00"),
            tcp_packet(c, s, 16, 14, TcpFlags(0x11), b""),
        ];
        let mut bytes = if ng {
            let mut w = PcapNgWriter::new();
            w.section(false).interface(101, Some(9));
            for (i, p) in pkts.iter().enumerate() {
                w.epb(0, i as u64, p);
            }
            w.spb(&pkts[0]);
            w.into_bytes()
        } else {
            let mut w = PcapWriter::new(101, false, false);
            for (i, p) in pkts.iter().enumerate() {
                w.packet(Timestamp { secs: i as i64, nanos: 0 }, p);
            }
            w.into_bytes()
        };
        let n = bytes.len();
        for (at, v) in &flips {
            // Leave the file header alone half of the time.
            let i = at.index(n);
            bytes[i] = *v;
        }
        bytes.truncate(cut.index(n + 1));
        let mut rec = Recorder::new();
        if let Ok(sum) = read_capture(&bytes[..], &TransportConfig::default(), &mut |e| rec.push(e)) {
            let t = &sum.tcp;
            prop_assert_eq!(
                t.payload_bytes,
                t.delivered_bytes + t.retransmitted_bytes + t.overlap_bytes + t.ignored_bytes
            );
        }
    }
}

/// Long-running mutation loop over the shared captures (run with `--ignored`;
/// `TRANSPORT_MUTATIONS=N` sets the number of mutants per file).
#[test]
#[ignore]
fn mutate_shared_captures() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    let n: u64 = std::env::var("TRANSPORT_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for f in files {
        let orig = std::fs::read(&f).unwrap();
        for _ in 0..n {
            let mut b = orig.clone();
            for _ in 0..(next() % 16 + 1) {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            if next() % 4 == 0 {
                b.truncate((next() % (b.len() as u64 + 1)) as usize);
            }
            let cfg = TransportConfig {
                max_buffer_per_direction: 4096,
                max_connections: 3,
                ..TransportConfig::default()
            };
            let mut rec = Recorder::new();
            if let Ok(sum) = read_capture(&b[..], &cfg, &mut |e| rec.push(e)) {
                let t = &sum.tcp;
                assert_eq!(
                    t.payload_bytes,
                    t.delivered_bytes + t.retransmitted_bytes + t.overlap_bytes + t.ignored_bytes,
                    "{}",
                    f.display()
                );
            }
        }
    }
}
