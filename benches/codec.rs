//! Codec benchmarks: decode (with and without the field tree) and encode per packet kind,
//! stream framing alone, and the same bytes through rumqttc's decoder for comparison.
//!
//! Run: `cd benches && cargo bench --bench codec` (HTML reports in benches/target/criterion).

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mqtt_dissect::codec::stream::{decode_stream, frame, Frame, StreamItem};
use mqtt_dissect::codec::{decode, encode, DecodeOptions, ProtocolVersion};
use std::hint::black_box;

/// Packets back to back per iteration, so per-call overhead is amortised the same way for
/// every decoder.
const BATCH: usize = 1000;

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    hex_decode(&clean)
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

/// The packets of issue 8: a 12-byte QoS 0 PUBLISH, a 40-byte v5 PUBLISH with 5
/// properties, and a CONNECT with every field (3.1.1 and 5.0).
fn vectors() -> Vec<(&'static str, ProtocolVersion, Vec<u8>)> {
    vec![
        (
            "publish_qos0_12B_v311",
            ProtocolVersion::V3_1_1,
            hex("30 0a 00 03 61 2f 62 68 65 6c 6c 6f"),
        ),
        (
            "publish_v5_40B_5props",
            ProtocolVersion::V5,
            // `mqtt-dissect build publish --protocol 5 --topic a/b --qos 1 --packet-id 7
            //  --message 'hello!!' --property payload_format_indicator=1
            //  --property message_expiry_interval=60 --property topic_alias=3
            //  --property content_type=t/j --property user_property=k=v`
            hex("32260003612F620007170101020000003C230003030003742F6A2600016B00017668656C6C6F2121"),
        ),
        (
            "connect_all_fields_v311",
            ProtocolVersion::V3_1_1,
            // `build connect --client-id device-1 --clean --will-topic dev/1/state
            //  --will-message offline --will-qos 1 --will-retain --username alice
            //  --password secret --keep-alive 60` (and for 5.0: session expiry, receive
            //  maximum, a will content type)
            hex("103900044D51545404EE003C00086465766963652D31000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574"),
        ),
        (
            "connect_all_fields_v5",
            ProtocolVersion::V5,
            hex("105000044D51545405EE003C08110000007821000A00086465766963652D310D03000A746578742F706C61696E000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574"),
        ),
    ]
}

fn repeated(p: &[u8]) -> Vec<u8> {
    p.repeat(BATCH)
}

fn bench_decode(c: &mut Criterion) {
    for (name, v, p) in vectors() {
        let d = decode(&p, &DecodeOptions::new(v));
        assert!(d.diagnostics.is_empty(), "{name}: {:?}", d.diagnostics);
        assert_eq!(d.len, p.len(), "{name}");
        let stream = repeated(&p);
        let mut g = c.benchmark_group(format!("decode/{name}"));
        g.throughput(Throughput::Elements(BATCH as u64));
        g.bench_function("mqtt-dissect (no tree)", |b| {
            let opts = DecodeOptions {
                version: v,
                direction: None,
                tree: false,
            };
            b.iter(|| {
                let mut n = 0;
                for item in decode_stream(black_box(&stream), opts) {
                    if let StreamItem::Packet { decoded, .. } = item {
                        n += usize::from(decoded.packet.is_some());
                    }
                }
                assert_eq!(n, BATCH);
            })
        });
        g.bench_function("mqtt-dissect (field tree)", |b| {
            let opts = DecodeOptions::new(v);
            b.iter(|| {
                let mut n = 0;
                for item in decode_stream(black_box(&stream), opts) {
                    if let StreamItem::Packet { decoded, .. } = item {
                        n += decoded.tree.len();
                    }
                }
                black_box(n)
            })
        });
        g.bench_function("rumqttc", |b| {
            b.iter_batched_ref(
                || BytesMut::from(&stream[..]),
                |buf| {
                    let mut n = 0;
                    if v.is_v5() {
                        while !buf.is_empty() {
                            match rumqttc::v5::mqttbytes::v5::Packet::read(buf, None) {
                                Ok(p) => {
                                    black_box(&p);
                                    n += 1
                                }
                                Err(e) => panic!("rumqttc v5: {e:?}"),
                            }
                        }
                    } else {
                        while !buf.is_empty() {
                            match rumqttc::mqttbytes::v4::read(buf, 1 << 20) {
                                Ok(p) => {
                                    black_box(&p);
                                    n += 1
                                }
                                Err(e) => panic!("rumqttc v4: {e:?}"),
                            }
                        }
                    }
                    assert_eq!(n, BATCH);
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

fn bench_encode(c: &mut Criterion) {
    for (name, v, p) in vectors() {
        let d = decode(&p, &DecodeOptions::new(v));
        let Some(packet) = d.packet else { continue };
        let mut g = c.benchmark_group(format!("encode/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("mqtt-dissect", |b| b.iter(|| encode(black_box(&packet), v)));
        g.finish();
    }
}

/// Stream framing alone: finding where each packet ends (what the capture pipeline does
/// before it decodes), over the same back-to-back packets as the decode benchmarks.
fn bench_frame(c: &mut Criterion) {
    for (name, _, p) in vectors() {
        let stream = repeated(&p);
        let mut g = c.benchmark_group(format!("frame/{name}"));
        g.throughput(Throughput::Elements(BATCH as u64));
        g.bench_function("mqtt-dissect", |b| {
            b.iter(|| {
                let mut rest = black_box(&stream[..]);
                let mut n = 0;
                while let Frame::Complete { len } = frame(rest) {
                    rest = &rest[len..];
                    n += 1;
                }
                assert_eq!(n, BATCH);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_decode, bench_encode, bench_frame);
criterion_main!(benches);
