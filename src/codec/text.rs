//! Safe display of bytes that came from the wire.

use std::fmt::{self, Write};

/// Renders bytes as text for a human: valid UTF-8 is kept, except control characters
/// (C0, DEL, C1) and the backslash, which become `\n`, `\t`, `\u{1b}`, `\\`…; bytes that
/// are not UTF-8 become `\xNN`. Nothing from the input can move a terminal's cursor.
pub fn escape_bytes(bytes: &[u8]) -> String {
    Escaped(bytes).to_string()
}

/// [`escape_bytes`] as a `Display` that writes straight into the output: no allocation,
/// and printable ASCII (the usual topic or client id) is written in one piece.
#[derive(Clone, Copy, Debug)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = |b: &u8| (0x20..0x7f).contains(b) && *b != b'\\';
        if self.0.iter().all(plain) {
            // Only printable ASCII: it is valid UTF-8 as it stands.
            return f.write_str(std::str::from_utf8(self.0).map_err(|_| fmt::Error)?);
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
    }
}
