//! Round-trip checks: re-encode a decoded packet and compare with the bytes it came from.

use super::decode::Decoded;
use super::diag;
use super::encode::{encode, EncodeError};

/// What re-encoding a decoded packet gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundTrip {
    /// The encoder wrote exactly the original bytes.
    Identical,
    /// The encoder wrote other bytes: where they differ, and why.
    Differs {
        /// The re-encoded packet.
        encoded: Vec<u8>,
        /// Offset of the first differing byte (the same in both).
        first: usize,
        /// End of the differing range in the original (exclusive).
        original_end: usize,
        /// End of the differing range in the re-encoding (exclusive).
        encoded_end: usize,
        /// Explanations, from what the decoder found.
        reasons: Vec<String>,
    },
    /// No typed packet could be decoded, so nothing can be re-encoded.
    NotDecoded,
    /// The typed packet could not be encoded.
    NotEncodable(EncodeError),
}

/// Re-encodes `d.packet` and compares with `d.bytes`.
pub fn check(d: &Decoded<'_>) -> RoundTrip {
    let Some(p) = &d.packet else {
        return RoundTrip::NotDecoded;
    };
    let encoded = match encode(p, d.version) {
        Ok(e) => e,
        Err(e) => return RoundTrip::NotEncodable(e),
    };
    let original = d.bytes;
    if encoded == original {
        return RoundTrip::Identical;
    }
    let first = original
        .iter()
        .zip(&encoded)
        .take_while(|(a, b)| a == b)
        .count();
    let tail = original[first..]
        .iter()
        .rev()
        .zip(encoded[first..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let original_end = original.len() - tail;
    let encoded_end = encoded.len() - tail;
    let mut reasons: Vec<String> = d
        .diagnostics
        .iter()
        .filter(|x| {
            x.check == &diag::VBI_NON_MINIMAL
                || x.check == &diag::TRAILING_BYTES
                || x.check == &diag::ACK_LENGTH_V3
                || x.check == &diag::REASON_CODE_IN_V3
                || x.check == &diag::NONZERO_LENGTH
                || x.check == &diag::CONNECT_EXTRA_PAYLOAD
                || x.check == &diag::PROPERTY_UNKNOWN
                || x.check == &diag::RESERVED_FLAGS
                || x.check.id.ends_with("-flags")
                || x.check.id.starts_with("connect-reserved")
                || x.check.id.starts_with("will-")
                || x.check.id.starts_with("subscription-options")
        })
        .map(|x| format!("{} at offset {}: {}", x.check.id, x.offset, x.message))
        .collect();
    if reasons.is_empty() && encoded.len() < original.len() {
        reasons.push(
            "the encoder writes the shortest form: a Success reason code and empty \
             properties that the original spelled out are implied instead"
                .to_string(),
        );
    }
    if reasons.is_empty() {
        reasons.push("the original is not in the canonical form the encoder writes".into());
    }
    RoundTrip::Differs {
        encoded,
        first,
        original_end,
        encoded_end,
        reasons,
    }
}
