//! Any bytes, each protocol level and direction: decode never panics, every diagnostic and
//! every tree node lies inside the input, decoding without a tree gives the same result,
//! and the stream decoder agrees on offsets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_dissect::codec::stream::{decode_stream, StreamItem};
use mqtt_dissect::codec::{decode, fields, DecodeOptions, Direction, ProtocolVersion};

fuzz_target!(|data: &[u8]| {
    for version in [
        ProtocolVersion::V3_1,
        ProtocolVersion::V3_1_1,
        ProtocolVersion::V5,
    ] {
        for direction in [
            None,
            Some(Direction::ClientToServer),
            Some(Direction::ServerToClient),
        ] {
            let d = decode(
                data,
                &DecodeOptions {
                    version,
                    direction,
                    tree: true,
                },
            );
            assert!(d.len <= data.len());
            for x in &d.diagnostics {
                assert!(x.offset + x.len <= d.bytes.len(), "{x}");
            }
            for root in &d.tree {
                for n in root.walk() {
                    assert!(n.offset + n.len <= d.bytes.len(), "{}", n.field.id);
                    assert!(fields::by_id(n.field.id).is_some());
                }
            }
            // Without a tree (the fast paths), the same result.
            let mut plain = decode(
                data,
                &DecodeOptions {
                    version,
                    direction,
                    tree: false,
                },
            );
            assert!(plain.tree.is_empty());
            plain.tree = d.tree.clone();
            assert_eq!(plain, d);
        }
        let mut next = 0;
        for item in decode_stream(data, DecodeOptions::new(version)) {
            match item {
                StreamItem::Packet { offset, decoded } => {
                    assert_eq!(offset, next);
                    next = offset + decoded.len;
                }
                StreamItem::Incomplete { offset, have, .. } => {
                    assert_eq!(offset, next);
                    assert_eq!(offset + have, data.len());
                }
                StreamItem::Invalid { offset } => assert_eq!(offset, next),
            }
        }
    }
});
