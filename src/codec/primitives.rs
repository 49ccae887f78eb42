//! nom parsers for the wire primitives of MQTT (§1.5): integers, Variable Byte Integers,
//! length-prefixed strings and binary data. Pure functions of the input.

use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::{IResult, Parser};

/// The largest value a Variable Byte Integer can carry (§1.5.5).
pub const VBI_MAX: u32 = 268_435_455;

/// A decoded Variable Byte Integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vbi {
    /// The value.
    pub value: u32,
    /// How many bytes it took on the wire (1..=4).
    pub len: usize,
}

impl Vbi {
    /// True when no shorter encoding of the value exists [MQTT-1.5.5-1].
    pub fn is_minimal(&self) -> bool {
        self.len == vbi_len(self.value)
    }
}

/// Why a Variable Byte Integer could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VbiError {
    /// The input ended after this many continuation bytes.
    Incomplete(usize),
    /// A fifth byte would be needed: not a valid VBI.
    TooLong,
}

/// Number of bytes the minimal encoding of `v` takes.
pub fn vbi_len(v: u32) -> usize {
    match v {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// A Variable Byte Integer in its minimal encoding, or `None` (absent, cut, too long or not
/// minimal): the fast decoding paths, which leave every finding to the general one. A
/// one-byte value (small packets) skips the loop.
#[inline(always)]
pub fn minimal_vbi(i: &[u8]) -> Option<Vbi> {
    match *i.first()? {
        b @ 0..0x80 => Some(Vbi {
            value: b.into(),
            len: 1,
        }),
        _ => match vbi(i) {
            Ok((_, v)) if v.is_minimal() => Some(v),
            _ => None,
        },
    }
}

/// Reads a Variable Byte Integer (at most 4 bytes).
pub fn vbi(i: &[u8]) -> Result<(&[u8], Vbi), VbiError> {
    let mut value: u32 = 0;
    for (k, &b) in i.iter().take(4).enumerate() {
        value |= u32::from(b & 0x7f) << (7 * k);
        if b & 0x80 == 0 {
            return Ok((&i[k + 1..], Vbi { value, len: k + 1 }));
        }
    }
    if i.len() >= 4 {
        Err(VbiError::TooLong)
    } else {
        Err(VbiError::Incomplete(i.len()))
    }
}

/// Reads one byte.
pub fn u8_(i: &[u8]) -> IResult<&[u8], u8> {
    be_u8(i)
}

/// Reads a Two Byte Integer (big-endian).
pub fn u16_(i: &[u8]) -> IResult<&[u8], u16> {
    be_u16(i)
}

/// Reads a Four Byte Integer (big-endian).
pub fn u32_(i: &[u8]) -> IResult<&[u8], u32> {
    be_u32(i)
}

/// Reads a two-byte length and that many bytes (UTF-8 string or binary data).
pub fn length_prefixed(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, n) = be_u16(i)?;
    take(n).parse(i)
}

/// Reads `n` bytes.
pub fn bytes(n: usize) -> impl Fn(&[u8]) -> IResult<&[u8], &[u8]> {
    move |i| take(n).parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vbi_boundaries() {
        let cases: &[(&[u8], u32)] = &[
            (&[0x00], 0),
            (&[0x7f], 127),
            (&[0x80, 0x01], 128),
            (&[0xff, 0x7f], 16_383),
            (&[0x80, 0x80, 0x01], 16_384),
            (&[0xff, 0xff, 0x7f], 2_097_151),
            (&[0x80, 0x80, 0x80, 0x01], 2_097_152),
            (&[0xff, 0xff, 0xff, 0x7f], VBI_MAX),
        ];
        for (bytes, v) in cases {
            let (rest, got) = vbi(bytes).unwrap();
            assert!(rest.is_empty());
            assert_eq!(
                got,
                Vbi {
                    value: *v,
                    len: bytes.len()
                }
            );
            assert!(got.is_minimal());
        }
        assert_eq!(vbi(&[0x80, 0x00]).unwrap().1, Vbi { value: 0, len: 2 });
        assert!(!vbi(&[0x80, 0x00]).unwrap().1.is_minimal());
        assert_eq!(vbi(&[0xff, 0xff, 0xff, 0xff, 0x01]), Err(VbiError::TooLong));
        assert_eq!(vbi(&[0xff, 0xff]), Err(VbiError::Incomplete(2)));
        assert_eq!(vbi(&[]), Err(VbiError::Incomplete(0)));
    }
}
