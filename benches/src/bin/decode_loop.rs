//! Decodes one vector many times: for instruction counts under callgrind, which are
//! repeatable whatever else the machine is doing.
//! `cargo build --release --bin decode_loop && valgrind --tool=callgrind target/release/decode_loop v5pub 100000`
use mqtt_dissect::codec::{decode, DecodeOptions, ProtocolVersion};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("v5pub");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let (hex, v) = match which {
        "pub12" => ("300A0003612F6268656C6C6F", ProtocolVersion::V3_1_1),
        "v5pub" => (
            "32260003612F620007170101020000003C230003030003742F6A2600016B00017668656C6C6F2121",
            ProtocolVersion::V5,
        ),
        _ => panic!("pub12 | v5pub"),
    };
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let opts = DecodeOptions {
        version: v,
        direction: None,
        tree: false,
    };
    let mut ok = 0;
    for _ in 0..n {
        let d = decode(black_box(&bytes), &opts);
        ok += usize::from(d.packet.is_some());
    }
    assert_eq!(ok, n);
}
