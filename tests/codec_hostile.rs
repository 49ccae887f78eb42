//! Hostile bytes: no panic, no allocation larger than the input justifies, every
//! diagnostic inside the input, on truncations of every vector at every length, a packet
//! claiming 268 MB, and random bytes.

use mqtt_dissect::codec::stream::decode_stream;
use mqtt_dissect::codec::*;
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Records the largest single allocation made by this thread while armed.
struct Largest;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ARMED.try_with(|a| {
            if a.get() {
                let _ = LARGEST.try_with(|l| l.set(l.get().max(layout.size())));
            }
        });
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ARMED.try_with(|a| {
            if a.get() {
                let _ = LARGEST.try_with(|l| l.set(l.get().max(new_size)));
            }
        });
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Largest = Largest;

/// Decodes `b` as every version with the tree on, checks the invariants, and returns the
/// largest single allocation the decoding made.
fn decode_all_versions(b: &[u8]) -> usize {
    LARGEST.with(|l| l.set(0));
    ARMED.with(|a| a.set(true));
    for v in [
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
                b,
                &DecodeOptions {
                    version: v,
                    direction,
                    tree: true,
                },
            );
            check_invariants(b, &d);
            // Without a tree (and its fast paths) the rest is exactly the same.
            let mut plain = decode(
                b,
                &DecodeOptions {
                    version: v,
                    direction,
                    tree: false,
                },
            );
            plain.tree = d.tree.clone();
            assert_eq!(plain, d);
        }
        for item in decode_stream(b, DecodeOptions::new(v)) {
            if let stream::StreamItem::Packet { offset, decoded } = item {
                check_invariants(&b[offset..], &decoded);
            }
        }
    }
    ARMED.with(|a| a.set(false));
    LARGEST.with(|l| l.get())
}

fn check_invariants(input: &[u8], d: &Decoded<'_>) {
    assert!(d.len <= input.len());
    assert_eq!(d.bytes, &input[..d.len]);
    for x in &d.diagnostics {
        assert!(
            x.offset + x.len <= d.bytes.len(),
            "{x} outside {} bytes",
            d.bytes.len()
        );
    }
    for root in &d.tree {
        for n in root.walk() {
            assert!(n.offset + n.len <= d.bytes.len(), "{} outside", n.field.id);
            assert!(
                fields::by_id(n.field.id).is_some(),
                "{} unregistered",
                n.field.id
            );
        }
    }
    if !d.complete {
        assert!(!d.is_ok(), "an incomplete packet must carry an error");
    }
}

/// What decoding may allocate at most: a small constant plus tree nodes per input byte.
fn budget(input_len: usize) -> usize {
    8192 + 256 * input_len
}

const VECTORS: &[&str] = &[
    "10b20100044d51545404c2003c004f6131797965716770734b6d2e6d7174745f66787c7365637572656d6f64653d322c7369676e6d6574686f643d686d61637368613235362c74696d657374616d703d313639313634383539343034317c00136d7174745f6678266131797965716770734b6d004063383663393565663536636365616161366138333334656630393064366435633566613037636136656163323562303837323830363138386164626164343230",
    "20020000",
    "c000",
    "d000",
    "e000",
    "8238000a00332f7379732f6131797965716770734b6d2f6d7174745f66782f7468696e672f736572766963652f70726f70657274792f73657400",
    "9003000a01",
    "a237000a00332f7379732f6131797965716770734b6d2f6d7174745f66782f7468696e672f736572766963652f70726f70657274792f736574",
    "b002000a",
    "309d0100332f7379732f6131797965716770734b6d2f6d7174745f66782f7468696e672f736572766963652f70726f70657274792f7365747b226d6574686f64223a227468696e672e736572766963652e70726f70657274792e736574222c226964223a223334343436313731222c22706172616d73223a7b2274656d70223a38382c2268756d69223a37377d2c2276657273696f6e223a22312e302e30227d",
    "40027b22",
    "107200044d51545405c6003c1c260007636f6e6e656374000d757365725f70726f7065727479210014000a636f6e6e6563745f69641403001177696c6c5f636f6e74656e745f74797065000a77696c6c5f746f706963000c77696c6c5f7061796c6f6164000475736572000870617373776f7264",
    "e01e001c26000a646973636f6e6e656374000d757365725f70726f7065727479",
    "30260005746f70696317260008757466385f6b6579000a757466385f76616c75656d657373616765",
    "104600044d5154540506003c0321001400001b03001877696c6c5f636f6e6574656e745f747970655f76616c7565000a77696c6c5f746f706963000c77696c6c5f7061796c6f6164",
    "2013000010270010000025012a01290122ffff2801",
    "820c0001030b80010003612f232d",
    "9006000100019180",
    "a2080001000003612f62",
    "b0050001001100",
    "f0081806150003616263",
    "32150003612f6200070c01012300050b05260000000068",
];

fn vectors() -> Vec<Vec<u8>> {
    VECTORS
        .iter()
        .map(|s| {
            let h: String = s.split_whitespace().collect();
            hex::decode(h).expect("vector hex")
        })
        .collect()
}

#[test]
fn every_truncation_of_every_vector() {
    for v in vectors() {
        for n in 0..=v.len() {
            let largest = decode_all_versions(&v[..n]);
            assert!(
                largest <= budget(n),
                "{largest} bytes allocated for a {n}-byte input"
            );
        }
    }
}

/// Tree on or off, every field and diagnostic is the same: the no-tree fast paths stop
/// at anything unusual. Every byte of every vector set to values that trip checks.
#[test]
fn mutated_vectors_decode_the_same_without_a_tree() {
    for v in vectors() {
        for i in 0..v.len() {
            for x in [
                0, 1, 2, 0x06, 0x08, 0x0b, 0x23, 0x26, 0x2b, 0x7f, 0x80, 0xc3, 0xff,
            ] {
                let mut m = v.clone();
                m[i] = x;
                for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                    for direction in [None, Some(Direction::ClientToServer)] {
                        let opts = DecodeOptions {
                            version,
                            direction,
                            tree: true,
                        };
                        let d = decode(&m, &opts);
                        let mut plain = decode(
                            &m,
                            &DecodeOptions {
                                tree: false,
                                ..opts
                            },
                        );
                        plain.tree = d.tree.clone();
                        assert_eq!(plain, d, "{m:02x?}");
                    }
                }
            }
        }
    }
}

#[test]
fn packet_claiming_268_mb_costs_what_it_brings() {
    // PUBLISH with Remaining Length 268,435,455 and 10 bytes behind it.
    let b = [
        0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03, b'a', b'/', b'b', b'x', b'y', b'z', 1, 2,
    ];
    let largest = decode_all_versions(&b);
    assert!(largest <= budget(b.len()), "{largest}");
    let d = decode(&b, &DecodeOptions::new(ProtocolVersion::V3_1_1));
    assert!(!d.complete);
    let t = d
        .diagnostics
        .iter()
        .find(|x| x.check.id == "truncated")
        .unwrap();
    assert_eq!((t.offset, t.len), (1, 4));
    assert!(t.message.contains("268435455"), "{}", t.message);
    // Everything before the cut is still decoded.
    let topic = tree::find(&d.tree, "publish.topic").unwrap();
    assert_eq!(topic.value, tree::Value::Str("a/b".into()));
    // And a property block claiming the maximum inside a small v5 packet.
    let b = [
        0x30, 0x0a, 0x00, 0x01, b't', 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02, 0x03,
    ];
    let largest = decode_all_versions(&b);
    assert!(largest <= budget(b.len()), "{largest}");
}

#[test]
fn five_byte_remaining_length_is_reported_not_trusted() {
    let b = [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00];
    let d = decode(&b, &DecodeOptions::new(ProtocolVersion::V5));
    assert_eq!(d.remaining_length, None);
    assert_eq!(d.diagnostics[0].check.id, "vbi-too-long");
    assert_eq!((d.diagnostics[0].offset, d.diagnostics[0].len), (1, 4));
    assert!(d.packet.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let largest = decode_all_versions(&b);
        prop_assert!(largest <= budget(b.len()));
    }

    /// Random bytes after a plausible first byte reach deeper into each decoder.
    #[test]
    fn random_bodies_never_panic(t in 0u8..16, f in 0u8..16, body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut b = vec![(t << 4) | f];
        mqtt_dissect::codec::encode::push_vbi(&mut b, body.len() as u32);
        b.extend_from_slice(&body);
        let largest = decode_all_versions(&b);
        prop_assert!(largest <= budget(b.len()));
    }
}
