//! Decodes one vector many times: for instruction counts under callgrind, which are
//! repeatable whatever else the machine is doing. Same path as the criterion bench:
//! `decode_stream` with the tree off over 1000 copies of the packet, or rumqttc's decoder.
//! `cargo build --release --bin decode_loop && valgrind --tool=callgrind target/release/decode_loop v5pub 100000 [rumqttc]`
use bytes::BytesMut;
use mqtt_dissect::codec::stream::{decode_stream, StreamItem};
use mqtt_dissect::codec::{DecodeOptions, ProtocolVersion};
use std::hint::black_box;

const BATCH: usize = 1000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("v5pub");
    if which == "sizes" {
        use mqtt_dissect::codec::*;
        use std::mem::size_of;
        println!(
            "Decoded {} StreamItem {} Packet {} Connect {} Publish {} Properties {} Diagnostic {}",
            size_of::<Decoded>(),
            size_of::<StreamItem>(),
            size_of::<Packet>(),
            size_of::<Connect>(),
            size_of::<Publish>(),
            size_of::<Properties>(),
            size_of::<diag::Diagnostic>()
        );
        return;
    }
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let rumqttc = args.get(3).is_some_and(|s| s == "rumqttc");
    let (hex, v) = match which {
        "pub12" => ("300A0003612F6268656C6C6F", ProtocolVersion::V3_1_1),
        "v5pub" => (
            "32260003612F620007170101020000003C230003030003742F6A2600016B00017668656C6C6F2121",
            ProtocolVersion::V5,
        ),
        "conn3" => (
            "103900044D51545404EE003C00086465766963652D31000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574",
            ProtocolVersion::V3_1_1,
        ),
        "conn5" => (
            "105000044D51545405EE003C08110000007821000A00086465766963652D310D03000A746578742F706C61696E000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574",
            ProtocolVersion::V5,
        ),
        _ => panic!("pub12 | v5pub | conn3 | conn5"),
    };
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let stream = bytes.repeat(BATCH);
    let opts = DecodeOptions {
        version: v,
        direction: None,
        tree: false,
    };
    let mut ok = 0;
    for _ in 0..n.div_ceil(BATCH) {
        if rumqttc {
            let mut buf = BytesMut::from(&stream[..]);
            while !buf.is_empty() {
                if v.is_v5() {
                    let p = rumqttc::v5::mqttbytes::v5::Packet::read(&mut buf, None).unwrap();
                    black_box(&p);
                } else {
                    let p = rumqttc::mqttbytes::v4::read(&mut buf, 1 << 20).unwrap();
                    black_box(&p);
                }
                ok += 1;
            }
            continue;
        }
        for item in decode_stream(black_box(&stream), opts) {
            if let StreamItem::Packet { decoded, .. } = item {
                ok += usize::from(decoded.packet.is_some());
            }
        }
    }
    assert_eq!(ok, n.div_ceil(BATCH) * BATCH);
}
