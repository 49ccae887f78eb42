//! A valid multi-packet stream, cut into chunks chosen by the input and fed through the
//! per-direction [`Framer`] with no gaps, gives exactly the packets (same bytes, same stream
//! offsets, same frame of their first byte) and the same trailing partial packet as when
//! fed whole; [`decode_stream`] over the whole stream agrees on every offset, length and
//! decoded packet. With a small assembly cap, every packet that spans chunks and exceeds
//! the cap is reported `TooLarge` with its exact length, and framing resumes right after it.
//!
//! Input layout: a header (mode, cut seed, largest chunk, small cap), then either
//! - mode bit 7 clear: the rest is the stream itself, cut at its first unframeable byte
//!   (seeds are real packet sequences from test vectors and captures), or
//! - mode bit 7 set: `arbitrary` packets, encoded back to back in one protocol version.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mqtt_dissect::codec::stream::{decode_stream, StreamItem};
use mqtt_dissect::codec::{decode, encode, DecodeOptions, Packet, ProtocolVersion};
use mqtt_dissect::dissect::framer::{Framed, Framer};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Packet {
        bytes: Vec<u8>,
        offset: u64,
        first_frame: u64,
    },
    TooLarge {
        offset: u64,
        len: u64,
    },
    Other(String),
}

fn record(out: &mut Vec<Ev>) -> impl FnMut(Framed<'_>) + '_ {
    move |f| {
        out.push(match f {
            Framed::Packet {
                bytes,
                offset,
                first_frame,
            } => Ev::Packet {
                bytes: bytes.to_vec(),
                offset,
                first_frame,
            },
            Framed::TooLarge { offset, len, .. } => Ev::TooLarge { offset, len },
            other => Ev::Other(format!("{other:?}")),
        })
    }
}

/// Chunk boundaries: a small xorshift generator seeded by the input.
fn chunks(len: usize, mut seed: u64, largest: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    seed |= 1;
    while at < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Mostly small chunks, sometimes whole runs of the stream.
        let n = if seed % 8 == 0 {
            (seed >> 8) as usize % (len - at) + 1
        } else {
            (seed >> 8) as usize % largest + 1
        };
        let end = (at + n).min(len);
        out.push((at, end));
        at = end;
    }
    out
}

fn version_of(b: u8) -> ProtocolVersion {
    match b % 3 {
        0 => ProtocolVersion::V3_1,
        1 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    }
}

fn run(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let mode: u8 = u.arbitrary()?;
    let seed: u64 = u.arbitrary()?;
    let largest = usize::from(u.arbitrary::<u8>()?) + 1;
    let small_cap = usize::from(u.arbitrary::<u8>()?) + 2;
    let version = version_of(mode);

    let stream: Vec<u8> = if mode & 0x80 == 0 {
        let raw = u.take_rest();
        // Keep everything up to the first byte that cannot be framed (a gap-free, framable
        // stream, possibly ending inside a packet).
        let mut end = raw.len();
        for item in decode_stream(raw, DecodeOptions::new(version)) {
            if let StreamItem::Invalid { offset } = item {
                end = offset;
            }
        }
        raw[..end].to_vec()
    } else {
        let mut packets: Vec<Packet<'_>> = Vec::arbitrary(&mut u)?;
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for p in packets.iter_mut() {
            if let Packet::Connect(c) = p {
                c.protocol_level = version.level();
                c.protocol_name = version.protocol_name().into();
            }
            if let Ok(b) = encode(p, version) {
                out.extend_from_slice(&b);
                kept.push(format!("{p:?}"));
            }
        }
        // Compare by Debug text.
        check_decoded(&out, version, Some(&kept));
        out
    };

    // Whole.
    let mut whole = Vec::new();
    let mut f = Framer::new(usize::MAX);
    let mut yes = |_: &[u8]| true;
    f.push(&stream, 0, 0, &mut yes, &mut record(&mut whole));
    let whole_pending = f.pending();
    assert!(
        whole.iter().all(|e| matches!(e, Ev::Packet { .. })),
        "{whole:?}"
    );

    // decode_stream agrees with the framer on offsets and lengths.
    let mut items = decode_stream(&stream, DecodeOptions::new(version));
    for e in &whole {
        let Ev::Packet { bytes, offset, .. } = e else {
            unreachable!()
        };
        match items.next() {
            Some(StreamItem::Packet { offset: o, decoded }) => {
                assert_eq!(o as u64, *offset);
                assert_eq!(decoded.len, bytes.len());
            }
            other => panic!("decode_stream: {other:?} where the framer has a packet at {offset}"),
        }
    }
    match (items.next(), whole_pending) {
        (None, None) => {}
        (Some(StreamItem::Incomplete { offset, have, .. }), Some((o, h, _))) => {
            assert_eq!((offset as u64, have), (o, h));
        }
        (a, b) => panic!("end of stream: decode_stream {a:?}, framer {b:?}"),
    }
    if mode & 0x80 == 0 {
        check_decoded(&stream, version, None);
    }

    // In chunks: frame number = chunk index.
    let cuts = chunks(stream.len(), seed, largest);
    let frame_of = |off: u64| {
        cuts.iter()
            .position(|&(a, b)| (a as u64) <= off && off < b as u64)
            .unwrap() as u64
    };
    let mut split = Vec::new();
    let mut f = Framer::new(usize::MAX);
    for (i, &(a, b)) in cuts.iter().enumerate() {
        f.push(
            &stream[a..b],
            a as u64,
            i as u64,
            &mut yes,
            &mut record(&mut split),
        );
    }
    let expect: Vec<Ev> = whole
        .iter()
        .map(|e| match e {
            Ev::Packet { bytes, offset, .. } => Ev::Packet {
                bytes: bytes.clone(),
                offset: *offset,
                first_frame: frame_of(*offset),
            },
            e => e.clone(),
        })
        .collect();
    assert_eq!(split, expect);
    assert_eq!(f.pending(), whole_pending);

    // In chunks with a small cap: packets that span chunks and exceed it are skipped by
    // their exact length; everything else is as before.
    let mut capped = Vec::new();
    let mut f = Framer::new(small_cap);
    for (i, &(a, b)) in cuts.iter().enumerate() {
        f.push(
            &stream[a..b],
            a as u64,
            i as u64,
            &mut yes,
            &mut record(&mut capped),
        );
    }
    let mut want = expect.iter().peekable();
    for e in &capped {
        match e {
            Ev::Packet { .. } => assert_eq!(Some(e), want.next()),
            Ev::TooLarge { offset, len } => {
                assert!(*len as usize > small_cap);
                match want.peek() {
                    Some(Ev::Packet {
                        bytes, offset: o, ..
                    }) if o == offset => {
                        assert_eq!(bytes.len() as u64, *len);
                        want.next();
                    }
                    // The trailing partial packet, whose length is known.
                    _ => {
                        let (o, _, need) = whole_pending.expect("a pending packet");
                        assert_eq!((o, need.map(|n| n as u64)), (*offset, Some(*len)));
                        assert!(want.next().is_none());
                    }
                }
            }
            Ev::Other(s) => panic!("capped framer: {s}"),
        }
    }
    assert!(want.next().is_none());
    Ok(())
}

/// Decodes the stream packet by packet as a connection would (a CONNECT sets the version)
/// and compares with decode_stream; for generated packets, also with the originals.
fn check_decoded(stream: &[u8], version: ProtocolVersion, originals: Option<&[String]>) {
    let mut opts = DecodeOptions::new(version);
    let mut n = 0;
    for item in decode_stream(stream, DecodeOptions::new(version)) {
        match item {
            StreamItem::Packet { offset, decoded } => {
                let mine = decode(&stream[offset..offset + decoded.len], &opts);
                if let Some(Packet::Connect(_)) = &mine.packet {
                    opts.version = mine.version;
                }
                assert_eq!(mine.packet, decoded.packet);
                assert_eq!(mine.version, decoded.version);
                if let Some(orig) = originals {
                    assert!(decoded.complete);
                    let got = decoded.packet.as_ref().map(|p| format!("{p:?}"));
                    assert_eq!(got.as_deref(), Some(orig[n].as_str()));
                }
                n += 1;
            }
            other => assert!(originals.is_none(), "{other:?}"),
        }
    }
    if let Some(orig) = originals {
        assert_eq!(n, orig.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
