//! Safe display of bytes that came from the wire.

use std::fmt::{self, Write};

/// Renders bytes as text for a human: valid UTF-8 is kept, except control characters
/// (C0, DEL, C1) and the backslash, which become `\n`, `\t`, `\u{1b}`, `\\`…; bytes that
/// are not UTF-8 become `\xNN`. Nothing from the input can move a terminal's cursor.
pub fn escape_bytes(bytes: &[u8]) -> String {
    Escaped(bytes).to_string()
}

/// True when [`Escaped`] would leave the bytes as they are: printable ASCII, no backslash
/// (the usual topic or client id).
pub fn is_plain(bytes: &[u8]) -> bool {
    // Eight bytes at a time: topics and JSON payloads are checked for every packet. The
    // bytes after the last whole word are checked as the last eight bytes (overlapping that
    // word), or fewer than eight as one word filled up with spaces: no byte loop.
    match bytes.last_chunk::<8>() {
        Some(last) => {
            bytes.chunks_exact(8).all(|w| not_plain(word(w)) == 0)
                && not_plain(u64::from_le_bytes(*last)) == 0
        }
        None => not_plain(short_word(bytes)) == 0,
    }
}

/// Copies `src` to the start of `dst` and returns true when it is [plain](is_plain), checking
/// and copying eight bytes at a time in one pass (the summary line's topics and payload
/// previews). `dst` needs eight bytes more than `src`, which may be overwritten; false
/// when it has not.
pub fn copy_plain(src: &[u8], dst: &mut [u8]) -> bool {
    if dst.len() < src.len() + 8 {
        return false;
    }
    // Stopping at the first word that is not plain also keeps the compiler from making
    // this a vectorised check and a call to memcpy: more instructions for short strings.
    for (d, s) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
        let w = word(s);
        if not_plain(w) != 0 {
            return false;
        }
        d.copy_from_slice(&w.to_le_bytes());
    }
    // The bytes after the last whole word: the last eight bytes again, or fewer than eight
    // filled up with (plain) spaces.
    let (tail, at) = match src.last_chunk::<8>() {
        Some(last) => (u64::from_le_bytes(*last), src.len() - 8),
        None => (short_word(src), 0),
    };
    if let Some(d) = dst.get_mut(at..at + 8) {
        d.copy_from_slice(&tail.to_le_bytes());
    }
    not_plain(tail) == 0
}

/// Up to eight bytes as a word (the first in the lowest byte), filled up with spaces.
fn short_word(b: &[u8]) -> u64 {
    b.iter().take(8).enumerate().fold(ones(b' '), |w, (i, &c)| {
        let shift = 8 * i;
        (w & !(0xff << shift)) | (u64::from(c) << shift)
    })
}

/// Eight bytes (a chunk of `chunks_exact(8)`) as a word, the first in the lowest byte.
fn word(chunk: &[u8]) -> u64 {
    // A shorter chunk reads as NULs, which are not plain.
    u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]))
}

/// `b` in every byte of a word.
pub const fn ones(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// Zero when the eight bytes of a word are all [plain](is_plain), else some high bits set.
///
/// A byte is flagged when its own high bit is set (not ASCII), or when an addition or
/// subtraction gives it one: `b - 0x20` (a control character), `b + 1` (DEL), and
/// `(b ^ b'\\') - 1`. A carry or borrow can reach the byte above, but only from a byte that
/// is itself flagged, so the word is flagged exactly when one of its bytes is not plain.
fn not_plain(x: u64) -> u64 {
    let control = x.wrapping_sub(ones(0x20));
    let del = x.wrapping_add(ones(1));
    let backslash = (x ^ ones(b'\\')).wrapping_sub(ones(1));
    (x | control | del | backslash) & ones(0x80)
}

/// The bytes as a `&str` when they are [plain](is_plain): no copy and no escaping needed.
pub fn plain(bytes: &[u8]) -> Option<&str> {
    if is_plain(bytes) {
        // Only printable ASCII: valid UTF-8 as it stands.
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// [`escape_bytes`] as a `Display` that writes straight into the output: no allocation,
/// and printable ASCII (the usual topic or client id) is written in one piece.
#[derive(Clone, Copy, Debug)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = plain(self.0) {
            return f.write_str(s);
        }
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    '\\' => f.write_str("\\\\")?,
                    c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                    c => f.write_char(c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte test that the word-at-a-time code must agree with.
    fn plain_byte(b: u8) -> bool {
        (0x20..0x7f).contains(&b) && b != b'\\'
    }

    #[test]
    fn escapes_controls_and_invalid_bytes() {
        assert_eq!(escape_bytes(b"a/b"), "a/b");
        assert_eq!(escape_bytes(b"\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape_bytes(b"x\xffy"), "x\\xffy");
        assert_eq!(escape_bytes("é\u{85}".as_bytes()), "é\\u{85}");
        assert_eq!(escape_bytes(b"a\\b\n"), "a\\\\b\\n");
        // Plain text is what escaping leaves alone.
        for b in [&b"a/b"[..], b"{\"t\":1}", b""] {
            assert_eq!(plain(b), Some(escape_bytes(b).as_str()));
        }
        for b in [
            &b"x\xffy"[..],
            b"a\\b",
            b"a\tb",
            "\u{85}".as_bytes(),
            "é".as_bytes(),
        ] {
            assert_eq!(plain(b), None);
        }
        // The word-at-a-time check and copy agree with the byte test, at every position of
        // a word, with every byte.
        for len in 1..26 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(is_plain(&v), plain_byte(b), "{len} {at} {b}");
                    let mut dst = vec![0; len + 8];
                    assert_eq!(copy_plain(&v, &mut dst), plain_byte(b), "{len} {at} {b}");
                    if plain_byte(b) {
                        assert_eq!(&dst[..len], &v[..]);
                    }
                }
            }
        }
        // Two bytes that are not plain: the borrow of one must not hide the other.
        for (x, y) in [(0x1f, 0x7f), (0x00, b'\\'), (0x7f, 0x80), (b'\\', 0x1f)] {
            for at in 0..15 {
                let mut v = vec![b'a'; 16];
                v[at] = x;
                v[at + 1] = y;
                assert!(!is_plain(&v));
                assert!(!copy_plain(&v, &mut [0; 24]));
            }
        }
        // Too short a destination copies nothing.
        assert!(!copy_plain(b"abc", &mut [0; 10]));
        assert!(copy_plain(b"", &mut [0; 8]));
    }
}
