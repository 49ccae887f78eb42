//! Application payloads: pretty JSON, text or a hex dump.

use super::PayloadMode;
use crate::codec::text::escape_bytes;

/// How a payload ended up being shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Pretty-printed JSON.
    Json,
    /// UTF-8 text.
    Text,
    /// A hex dump.
    Hex,
    /// Nothing to show.
    Empty,
}

impl Shown {
    /// A word for the header line.
    pub fn name(self) -> &'static str {
        match self {
            Shown::Json => "JSON",
            Shown::Text => "UTF-8 text",
            Shown::Hex => "binary",
            Shown::Empty => "empty",
        }
    }
}

/// The payload as display lines (safe for a terminal), and how it was shown.
pub fn render(payload: &[u8], mode: PayloadMode) -> (Shown, Vec<String>) {
    if payload.is_empty() {
        return (Shown::Empty, Vec::new());
    }
    let text = std::str::from_utf8(payload).ok();
    let json = || -> Option<Vec<String>> {
        let v: serde_json::Value = serde_json::from_str(text?).ok()?;
        let s = serde_json::to_string_pretty(&v).ok()?;
        Some(s.lines().map(|l| escape_bytes(l.as_bytes())).collect())
    };
    match mode {
        PayloadMode::Hex => (Shown::Hex, hex_dump_lines(payload)),
        PayloadMode::Text => (Shown::Text, text_lines(payload)),
        PayloadMode::Json => match json() {
            Some(lines) => (Shown::Json, lines),
            None => {
                let mut lines = vec!["(not valid JSON; shown as text)".to_string()];
                lines.extend(text_lines(payload));
                (Shown::Text, lines)
            }
        },
        PayloadMode::Auto => {
            let structured = text.is_some_and(|t| {
                let t = t.trim_start();
                t.starts_with('{') || t.starts_with('[')
            });
            if structured {
                if let Some(lines) = json() {
                    return (Shown::Json, lines);
                }
            }
            match text {
                Some(t) if !t.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)) => {
                    (Shown::Text, text_lines(payload))
                }
                _ => (Shown::Hex, hex_dump_lines(payload)),
            }
        }
    }
}

fn text_lines(payload: &[u8]) -> Vec<String> {
    payload
        .split(|&b| b == b'\n')
        .map(|l| escape_bytes(l.strip_suffix(b"\r").unwrap_or(l)))
        .collect()
}

/// `hexdump -C`-style lines: offset, 16 bytes, ASCII.
pub fn hex_dump_lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::new();
            for (k, b) in chunk.iter().enumerate() {
                if k == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:04x}  {hex:<49} |{ascii}|", i * 16)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_json_text_hex() {
        let (s, l) = render(br#"{"a":1}"#, PayloadMode::Auto);
        assert_eq!(s, Shown::Json);
        assert_eq!(l, vec!["{", "  \"a\": 1", "}"]);
        assert_eq!(render(b"hello", PayloadMode::Auto).0, Shown::Text);
        assert_eq!(render(b"\x00\x01", PayloadMode::Auto).0, Shown::Hex);
        assert_eq!(render(b"\x1b[2J", PayloadMode::Text).1, vec!["\\u{1b}[2J"]);
    }
}
