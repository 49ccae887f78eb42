//! Shared formatting of field values for the human printers (pretty, table).

use super::Options;
use crate::codec::fields::FieldKind;
use crate::codec::text::escape_bytes;
use crate::codec::tree::{Node, Value};

/// The mask shown for a secret value.
pub(crate) const MASK: &str = "********";

/// True for fields holding a reason or return code, shown in hex like the spec tables.
pub(crate) fn is_code(n: &Node<'_>) -> bool {
    n.field.id.ends_with("reason_code") || n.field.id.ends_with("return_code")
}

/// True for a byte whose bits are broken out in children (header, connect flags…).
pub(crate) fn has_bit_children(n: &Node<'_>) -> bool {
    !n.children.is_empty() && n.children.iter().all(|c| c.mask.is_some())
}

/// A value as one line of text, without the meaning.
pub(crate) fn value_text(n: &Node<'_>, opts: &Options) -> String {
    if n.field.secret && !opts.show_secrets {
        let len = match n.value {
            Value::Bytes(b) => b.len(),
            Value::Str(s) => s.len(),
            _ => n.len,
        };
        return format!("{MASK} ({len} bytes, --show-secrets to show)");
    }
    match n.value {
        Value::None => String::new(),
        Value::UInt(v) if is_code(n) => format!("0x{v:02X}"),
        Value::UInt(v) if has_bit_children(n) => format!("0x{v:02x}"),
        Value::UInt(v) => v.to_string(),
        Value::Bool(b) => if b { "Set" } else { "Not set" }.to_string(),
        Value::Str(s) => format!("\"{}\"", escape_bytes(s.0)),
        Value::Bytes(b) => bytes_text(b, n.field.kind),
    }
}

/// Binary data in one line: text when it is printable UTF-8, else (shortened) hex.
pub(crate) fn bytes_text(b: &[u8], _kind: FieldKind) -> String {
    const MAX: usize = 32;
    if b.is_empty() {
        return "(empty)".into();
    }
    if let Ok(s) = std::str::from_utf8(b) {
        if !s
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return format!("\"{}\" ({} bytes)", escape_bytes(b), b.len());
        }
    }
    let shown: Vec<String> = b.iter().take(MAX).map(|x| format!("{x:02x}")).collect();
    let more = if b.len() > MAX { " …" } else { "" };
    format!("{}{more} ({} bytes)", shown.join(" "), b.len())
}

/// Wireshark-style bit picture of `mask` in `byte`: `1... ....`, `...0 0...`.
pub(crate) fn bit_picture(byte: u8, mask: u8) -> String {
    let mut s = String::with_capacity(9);
    for bit in (0..8).rev() {
        if bit == 3 {
            s.push(' ');
        }
        let m = 1u8 << bit;
        s.push(if mask & m == 0 {
            '.'
        } else if byte & m != 0 {
            '1'
        } else {
            '0'
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        assert_eq!(bit_picture(0xc2, 0x80), "1... ....");
        assert_eq!(bit_picture(0xc2, 0x18), "...0 0...");
        assert_eq!(bit_picture(0x10, 0xf0), "0001 ....");
    }
}
