//! Safe display of bytes that came from the wire.

/// Renders bytes as text for a human: valid UTF-8 is kept, except control characters
/// (C0, DEL, C1) and the escape character, which become `\n`, `\t`, `\u{1b}`…; bytes that
/// are not UTF-8 become `\xNN`. Nothing from the input can move a terminal's cursor.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
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
