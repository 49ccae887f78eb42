//! Safe display of bytes that came from the wire.

use std::fmt::{self, Write};

/// Renders bytes as text for a human: valid UTF-8 is kept, except control characters
/// (C0, DEL, C1) and the backslash, which become `\n`, `\t`, `\u{1b}`, `\\`…; bytes that
/// are not UTF-8 become `\xNN`. Nothing from the input can move a terminal's cursor.
pub fn escape_bytes(bytes: &[u8]) -> String {
    Escaped(bytes).to_string()
}

/// The bytes as they are, when [`Escaped`] would not change them (printable ASCII, no
/// backslash): the common case of a topic or client id, with no copy and no formatting.
pub fn plain(bytes: &[u8]) -> Option<&str> {
    let plain = |b: &u8| (0x20..0x7f).contains(b) && *b != b'\\';
    if bytes.iter().all(plain) {
        // Only printable ASCII: valid UTF-8 as it stands.
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Appends [`Escaped`]`(bytes)` to `out`; printable ASCII is copied in one piece, without
/// the formatting machinery (summaries of millions of packets spend their time here).
pub fn push_escaped(out: &mut String, bytes: &[u8]) {
    match plain(bytes) {
        Some(s) => out.push_str(s),
        None => {
            let _ = write!(out, "{}", Escaped(bytes));
        }
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
        for b in [&b"a/b"[..], b"x\xffy", b"a\\b", "\u{85}".as_bytes(), b""] {
            let mut s = String::from(">");
            push_escaped(&mut s, b);
            assert_eq!(s, format!(">{}", escape_bytes(b)));
        }
    }
}
