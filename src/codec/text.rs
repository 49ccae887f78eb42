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
    // Eight bytes at a time: topics and JSON payloads are checked for every packet.
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        if !plain8(u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))) {
            return false;
        }
    }
    words.remainder().iter().all(|b| plain_byte(*b))
}

fn plain_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'\\'
}

/// `b` in every byte of a word.
const fn ones(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// Some byte of `x` is below `n` (n <= 0x80): exact, the classic bit trick.
fn has_less(x: u64, n: u8) -> bool {
    x.wrapping_sub(ones(n)) & !x & ones(0x80) != 0
}

/// Eight bytes, all [plain](plain_byte).
fn plain8(x: u64) -> bool {
    let high = x & ones(0x80) != 0;
    let control = has_less(x, 0x20);
    let del = has_less(x ^ ones(0x7f), 1);
    let backslash = has_less(x ^ ones(b'\\'), 1);
    !(high || control || del || backslash)
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
        // The word-at-a-time check agrees with the byte test, at every position of a word.
        for len in 1..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(is_plain(&v), plain_byte(b), "{len} {at} {b}");
                }
            }
        }
    }
}
