//! Where fields are inside a packet's bytes, for the byte ranges of stateful diagnostics.
//! Everything is bounds-checked: a range that cannot be found falls back to the fixed header.

use crate::codec::primitives::{vbi, vbi_len};
use crate::codec::{PropValue, Properties, PropertyId};

/// Length of the fixed header (type byte and Remaining Length).
pub fn header_len(bytes: &[u8]) -> usize {
    match bytes.get(1..).map(vbi) {
        Some(Ok((rest, _))) => bytes.len() - rest.len(),
        _ => 1.min(bytes.len()),
    }
}

/// `(offset, len)` clamped into the packet.
pub fn clamp(bytes: &[u8], offset: usize, len: usize) -> (usize, usize) {
    if offset.saturating_add(len) <= bytes.len() {
        (offset, len)
    } else {
        (0, 1.min(bytes.len()))
    }
}

/// The Packet Identifier right after the fixed header (acks, SUBSCRIBE, SUBACK…).
pub fn id_after_header(bytes: &[u8]) -> (usize, usize) {
    clamp(bytes, header_len(bytes), 2)
}

/// The Packet Identifier of a PUBLISH.
pub fn publish_id(bytes: &[u8], topic_len: usize) -> (usize, usize) {
    clamp(bytes, header_len(bytes) + 2 + topic_len, 2)
}

/// The last `n` bytes (the codes of a SUBACK/UNSUBACK).
pub fn tail(bytes: &[u8], n: usize) -> (usize, usize) {
    if n == 0 || n > bytes.len() {
        (bytes.len(), 0)
    } else {
        (bytes.len() - n, n)
    }
}

fn value_len(v: &PropValue<'_>) -> usize {
    match v {
        PropValue::Byte(_) => 1,
        PropValue::TwoByte(_) => 2,
        PropValue::FourByte(_) => 4,
        PropValue::Vbi(x) => vbi_len(*x),
        PropValue::Str(s) => 2 + s.len(),
        PropValue::Binary(b) => 2 + b.len(),
        PropValue::Pair(a, b) => 4 + a.len() + b.len(),
    }
}

/// The whole property `id` (identifier and value) in the block starting at `start` (its
/// Property Length), when the block decoded as `props`.
pub fn property(
    bytes: &[u8],
    start: usize,
    props: &Properties<'_>,
    id: PropertyId,
) -> Option<(usize, usize)> {
    let (rest, _) = vbi(bytes.get(start..)?).ok()?;
    let mut at = bytes.len() - rest.len();
    for p in props.iter() {
        let len = vbi_len(p.id.0) + value_len(&p.value);
        if p.id == id {
            return (at + len <= bytes.len()).then_some((at, len));
        }
        at += len;
    }
    None
}
