//! The default human output: per packet a header line, the field tree (offset, raw bytes,
//! label, value, meaning; bit fields Wireshark-style; diagnostics under the field they
//! concern), the payload, advice, the round-trip result and a hex dump with every field's
//! bytes marked.

use super::format::{bit_picture, has_bit_children, value_text};
use super::payload;
use super::style::{Color, Painter};
use super::{masks, raw_hex, Options, PacketReport, Report};
use crate::codec::roundtrip::RoundTrip;
use crate::codec::stream::Needed;
use crate::codec::tree::{Node, Value};
use crate::codec::{Decoded, Direction};
use crate::dissect::version::VersionSource;
use std::io::{self, Write};
use std::ops::Range;

/// Bytes shown in the raw column before it is cut with `…`.
const RAW_BYTES: usize = 7;
/// Width of the raw column.
const RAW_WIDTH: usize = 22;

/// Writes every packet of the report.
pub fn write<W: Write>(w: &mut W, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    for (i, p) in report.packets.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        write_packet(w, p, opts)?;
    }
    Ok(())
}

fn source_text(p: &PacketReport<'_>) -> &'static str {
    match p.source {
        VersionSource::Connect => "from CONNECT",
        VersionSource::Option => "from --protocol",
        VersionSource::Auto => "assumed",
    }
}

/// The header line of a packet, e.g. `#1 CONNECT  MQTT 3.1.1 (from CONNECT)  180 bytes at offset 0`.
pub fn header_line(p: &PacketReport<'_>) -> String {
    let d = &p.decoded;
    let len = match p.incomplete {
        Some(_) => format!("{} bytes (incomplete)", d.len),
        None => format!("{} bytes", d.len),
    };
    let from = match p.direction {
        Some(Direction::ClientToServer) => "  client → server",
        Some(Direction::ServerToClient) => "  server → client",
        None => "",
    };
    format!(
        "#{} {}  MQTT {} ({})  {len} at offset {}{from}",
        p.index,
        d.packet_type,
        d.version,
        source_text(p),
        p.offset
    )
}

/// Writes one packet.
pub fn write_packet<W: Write>(w: &mut W, p: &PacketReport<'_>, opts: &Options) -> io::Result<()> {
    let paint = Painter { on: opts.color };
    writeln!(w, "{}", paint.paint(Color::Bold, &header_line(p)))?;
    if let Some(r) = &p.version_reason {
        writeln!(w, "{} {r}", paint.paint(Color::Cyan, "version:"))?;
    }
    if let Some(needed) = p.incomplete {
        let msg = match needed {
            Needed::Exactly(n) => format!(
                "the input ends inside this packet: need {n} more byte(s) ({} of {} present)",
                p.decoded.len,
                p.decoded.len + n
            ),
            Needed::AtLeast(n) => format!(
                "the input ends inside this packet's Remaining Length: need at least {n} more byte(s)"
            ),
        };
        writeln!(w, "{} {msg}", paint.paint(Color::Red, "incomplete:"))?;
    }
    write_tree(w, &p.decoded, opts)?;
    for line in &p.advice {
        writeln!(w, "{} {line}", paint.paint(Color::Cyan, "advice:"))?;
    }
    if let Some(rt) = &p.roundtrip {
        write_roundtrip(w, rt, &paint)?;
    }
    writeln!(w)?;
    write_hex_dump(w, &p.decoded, opts)?;
    if let Some(alt) = &p.alternative {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            paint.paint(
                Color::Bold,
                &format!("#{} also reads as MQTT {}:", p.index, alt.version)
            )
        )?;
        write_tree(w, alt, opts)?;
    }
    Ok(())
}

fn write_roundtrip<W: Write>(w: &mut W, rt: &RoundTrip, paint: &Painter) -> io::Result<()> {
    let label = paint.paint(Color::Cyan, "roundtrip:");
    match rt {
        RoundTrip::Identical => writeln!(w, "{label} identical: re-encoding gives the same bytes"),
        RoundTrip::Differs {
            encoded,
            first,
            original_end,
            encoded_end,
            reasons,
        } => {
            writeln!(
                w,
                "{label} differs: original bytes {first}..{original_end} are re-encoded as {first}..{encoded_end}"
            )?;
            writeln!(
                w,
                "  re-encoded: {}",
                raw_hex(encoded, 0..encoded.len(), &[], " ")
            )?;
            for r in reasons {
                writeln!(w, "  because: {r}")?;
            }
            Ok(())
        }
        RoundTrip::NotDecoded => writeln!(
            w,
            "{label} not possible: the packet could not be decoded into typed fields"
        ),
        RoundTrip::NotEncodable(e) => writeln!(w, "{label} not possible: {e}"),
    }
}

struct TreeCx<'o, 'd> {
    opts: &'o Options,
    paint: Painter,
    d: &'d Decoded<'d>,
    masks: Vec<Range<usize>>,
    printed: Vec<bool>,
}

/// Writes the field tree of a decoded packet, then any diagnostic not attached to a field.
pub fn write_tree<W: Write>(w: &mut W, d: &Decoded<'_>, opts: &Options) -> io::Result<()> {
    let mut cx = TreeCx {
        opts,
        paint: Painter { on: opts.color },
        d,
        masks: masks(&d.tree, opts),
        printed: vec![false; d.diagnostics.len()],
    };
    writeln!(
        w,
        "{}",
        cx.paint.paint(
            Color::Dim,
            &format!("{:>5}  {:<RAW_WIDTH$}  field", "off", "raw")
        )
    )?;
    for (k, n) in d.tree.iter().enumerate() {
        write_node(w, &mut cx, n, 0, Some(k))?;
    }
    for i in 0..d.diagnostics.len() {
        if !cx.printed[i] {
            write_diag(w, &mut cx, i, 0)?;
        }
    }
    Ok(())
}

fn write_diag<W: Write>(
    w: &mut W,
    cx: &mut TreeCx<'_, '_>,
    i: usize,
    depth: usize,
) -> io::Result<()> {
    let Some(d) = cx.d.diagnostics.get(i) else {
        return Ok(());
    };
    if let Some(p) = cx.printed.get_mut(i) {
        *p = true;
    }
    let sev = cx
        .paint
        .paint(Color::severity(d.severity), &d.severity.to_string());
    writeln!(
        w,
        "{:>5}  {:<RAW_WIDTH$}  {}  {sev} [{}] {} ({})",
        "",
        "",
        "  ".repeat(depth),
        d.spec,
        d.message,
        d.check.id
    )
}

fn raw_column(cx: &TreeCx<'_, '_>, n: &Node<'_>) -> String {
    let shown = n.len.min(RAW_BYTES);
    let mut s = raw_hex(cx.d.bytes, n.offset..n.offset + shown, &cx.masks, " ");
    if n.len > RAW_BYTES {
        s.push('…');
    }
    s
}

fn is_length_child(n: &Node<'_>) -> bool {
    n.field.id == "length" && n.diagnostics.is_empty() && n.children.is_empty()
}

fn write_node<W: Write>(
    w: &mut W,
    cx: &mut TreeCx<'_, '_>,
    n: &Node<'_>,
    depth: usize,
    dump_color: Option<usize>,
) -> io::Result<()> {
    let indent = "  ".repeat(depth);
    let mut label = n.field.label.to_string();
    let mut value = value_text(n, cx.opts);
    let mut children: Vec<&Node<'_>> = n.children.iter().collect();
    // A property: its identifier child goes into the label.
    if let Some(pos) = children
        .iter()
        .position(|c| c.field.id == "property.id" && c.diagnostics.is_empty())
    {
        if let Value::UInt(id) = children[pos].value {
            label = format!("{label} (0x{id:02X})");
            children.remove(pos);
        }
    }
    // A string's length prefix goes into the value.
    if let Some(pos) = children.iter().position(|c| is_length_child(c)) {
        if let (Value::UInt(len), Value::Str(_)) = (children[pos].value, n.value) {
            value = format!("{value} ({len} bytes)");
            children.remove(pos);
        } else if let Value::Bytes(_) = n.value {
            children.remove(pos);
        }
    }
    // A User Property: key = value on one line.
    if n.field.id == "property.user_property" {
        let key = children.iter().find(|c| c.field.id.ends_with(".key"));
        let val = children.iter().find(|c| c.field.id.ends_with(".value"));
        if let (Some(k), Some(v)) = (key, val) {
            if k.diagnostics.is_empty() && v.diagnostics.is_empty() {
                value = format!("{} = {}", value_text(k, cx.opts), value_text(v, cx.opts));
                children.clear();
            }
        }
    }
    let is_payload = matches!(n.field.id, "publish.payload" | "connect.will_payload");
    let payload_lines = match (is_payload, n.value) {
        (true, Value::Bytes(b)) if !b.is_empty() => {
            let (shown, lines) = payload::render(b, cx.opts.payload);
            value = format!("{} bytes, {}", b.len(), shown.name());
            lines
        }
        _ => Vec::new(),
    };
    if let Some(k) = dump_color {
        // The same colour as this field's bytes in the hex dump.
        label = cx.paint.paint(Color::Field(k), &label);
    }
    let mut line = format!(
        "{:>5}  {:<RAW_WIDTH$}  {indent}{label}",
        n.offset,
        cx.paint.paint(Color::Dim, &raw_column(cx, n)),
    );
    if cx.opts.color {
        // Padding was computed on the escape codes: redo it on the visible text.
        let raw = raw_column(cx, n);
        let pad = RAW_WIDTH.saturating_sub(raw.chars().count());
        line = format!(
            "{:>5}  {}{}  {indent}{label}",
            n.offset,
            cx.paint.paint(Color::Dim, &raw),
            " ".repeat(pad)
        );
    }
    if !value.is_empty() {
        line.push_str(": ");
        line.push_str(&value);
    }
    if n.field.kind == crate::codec::fields::FieldKind::Group && value.is_empty() {
        line.push_str(&format!(" ({} bytes)", n.len));
    }
    if let Some(m) = &n.meaning {
        line.push_str(&format!(" ({})", m.name));
    }
    writeln!(w, "{line}")?;
    let cont = format!("{:>5}  {:<RAW_WIDTH$}  {indent}  ", "", "");
    if let Some(detail) = n.meaning.as_ref().and_then(|m| m.detail.as_ref()) {
        writeln!(w, "{cont}{}", cx.paint.paint(Color::Dim, detail))?;
    }
    for l in &payload_lines {
        writeln!(w, "{cont}{l}")?;
    }
    for &i in &n.diagnostics {
        write_diag(w, cx, i, depth + 1)?;
    }
    let byte = cx.d.bytes.get(n.offset).copied().unwrap_or(0);
    for c in children {
        match c.mask {
            Some(mask) if has_bit_children(n) => write_bits(w, cx, c, byte, mask, depth + 1)?,
            _ => write_node(w, cx, c, depth + 1, None)?,
        }
    }
    Ok(())
}

fn write_bits<W: Write>(
    w: &mut W,
    cx: &mut TreeCx<'_, '_>,
    c: &Node<'_>,
    byte: u8,
    mask: u8,
    depth: usize,
) -> io::Result<()> {
    let mut line = format!(
        "{:>5}  {:<RAW_WIDTH$}  {}{} = {}: {}",
        "",
        "",
        "  ".repeat(depth),
        bit_picture(byte, mask),
        c.field.label,
        value_text(c, cx.opts)
    );
    if let Some(m) = &c.meaning {
        line.push_str(&format!(" ({})", m.name));
    }
    writeln!(w, "{line}")?;
    for &i in &c.diagnostics {
        write_diag(w, cx, i, depth + 1)?;
    }
    for g in &c.children {
        write_node(w, cx, g, depth + 1, None)?;
    }
    Ok(())
}

fn mark_letter(k: usize) -> char {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    LETTERS.get(k).map(|&b| b as char).unwrap_or('+')
}

/// Writes a hex dump of the packet, 16 bytes a row, each top-level field's bytes marked: in
/// colour when colour is on, else by a letter row under the bytes and a legend.
pub fn write_hex_dump<W: Write>(w: &mut W, d: &Decoded<'_>, opts: &Options) -> io::Result<()> {
    let paint = Painter { on: opts.color };
    let masks = masks(&d.tree, opts);
    let bytes = d.bytes;
    // Which top-level field each byte belongs to.
    let mut owner: Vec<Option<usize>> = vec![None; bytes.len()];
    for (k, n) in d.tree.iter().enumerate() {
        let end = (n.offset + n.len).min(bytes.len());
        for o in owner.iter_mut().take(end).skip(n.offset) {
            *o = Some(k);
        }
    }
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let base = row * 16;
        let mut hex = String::new();
        let mut marks = String::new();
        let mut ascii = String::new();
        for (i, &b) in chunk.iter().enumerate() {
            let at = base + i;
            if i == 8 {
                hex.push(' ');
                marks.push(' ');
            }
            let masked = super::is_masked(&masks, at);
            let cell = if masked {
                "**".to_string()
            } else {
                format!("{b:02x}")
            };
            let ch = if masked {
                '*'
            } else if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            };
            let field = owner.get(at).copied().flatten();
            match field {
                Some(k) if opts.color => {
                    hex.push_str(&paint.paint(Color::Field(k), &cell));
                    ascii.push_str(&paint.paint(Color::Field(k), &ch.to_string()));
                }
                _ => {
                    hex.push_str(&cell);
                    ascii.push(ch);
                }
            }
            hex.push(' ');
            let starts = at == 0 || owner.get(at - 1).copied().flatten() != field || i == 0;
            marks.push(match field {
                Some(k) if starts => mark_letter(k),
                Some(_) => '-',
                None => ' ',
            });
            marks.push_str("  ");
        }
        let visible = chunk.len() * 3 + usize::from(chunk.len() > 8);
        let pad = " ".repeat(49usize.saturating_sub(visible));
        writeln!(
            w,
            "{}  {hex}{pad} |{ascii}|",
            paint.paint(Color::Dim, &format!("{base:04x}"))
        )?;
        if !opts.color {
            writeln!(w, "      {}", marks.trim_end())?;
        }
    }
    // Legend.
    let mut line = String::from("     ");
    let mut visible = 5;
    for (k, n) in d.tree.iter().enumerate() {
        let entry = if opts.color {
            format!(" {}", paint.paint(Color::Field(k), n.field.label))
        } else {
            format!(" {}={}", mark_letter(k), n.field.label)
        };
        let entry_len = n.field.label.len() + if opts.color { 1 } else { 3 };
        if visible + entry_len > 100 && visible > 5 {
            writeln!(w, "{line}")?;
            line = String::from("     ");
            visible = 5;
        }
        line.push_str(&entry);
        visible += entry_len;
    }
    if visible > 5 {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// A closing line for inputs of several packets or with problems: how many, how many clean.
pub fn write_summary<W: Write>(w: &mut W, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    use crate::codec::diag::Severity;
    let n = report.packets.len();
    let worst = |p: &PacketReport<'_>| p.decoded.worst();
    let errors = report
        .packets
        .iter()
        .filter(|p| worst(p) == Some(Severity::Error) || p.incomplete.is_some())
        .count();
    let warnings = report
        .packets
        .iter()
        .filter(|p| worst(p) == Some(Severity::Warning) && p.incomplete.is_none())
        .count();
    if n <= 1 && errors == 0 && warnings == 0 {
        return Ok(());
    }
    let paint = Painter { on: opts.color };
    let mut s = format!(
        "{n} packet(s) in {} bytes: {} clean",
        report.input_len,
        n - errors - warnings
    );
    if warnings > 0 {
        s.push_str(&format!(", {warnings} with warnings"));
    }
    if errors > 0 {
        s.push_str(&format!(", {errors} with errors"));
    }
    if let Some(p) = report.packets.last() {
        if let Some(needed) = p.incomplete {
            s.push_str(&match needed {
                Needed::Exactly(k) => format!("; the last packet needs {k} more byte(s)"),
                Needed::AtLeast(k) => format!("; the last packet needs at least {k} more byte(s)"),
            });
        }
    }
    writeln!(w)?;
    writeln!(w, "{}", paint.paint(Color::Bold, &s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode, DecodeOptions, ProtocolVersion};

    fn report(bytes: &[u8]) -> Report<'_> {
        let d = decode(bytes, &DecodeOptions::new(ProtocolVersion::V3_1_1));
        Report {
            input_len: bytes.len(),
            packets: vec![PacketReport::new(1, 0, d)],
        }
    }

    fn print(r: &Report<'_>, opts: &Options) -> String {
        let mut out = Vec::new();
        let written = write(&mut out, r, opts);
        assert!(written.is_ok());
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn tree_bits_and_dump_into_a_vec() {
        let bytes = [
            0x10, 0x14, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0xc2, 0x00, 0x3c, 0x00, 0x01,
            b'a', 0x00, 0x01, b'u', 0x00, 0x02, b'p', b'w',
        ];
        let s = print(&report(&bytes), &Options::default());
        assert!(
            s.starts_with("#1 CONNECT  MQTT 3.1.1 (from --protocol)  22 bytes at offset 0"),
            "{s}"
        );
        assert!(s.contains("1... .... = User Name Flag: Set"));
        assert!(s.contains("Password: ******** (2 bytes"));
        assert!(s.contains("00 02 ** **"));
        assert!(s.contains("A=Header Flags"));
        assert!(!s.contains('\x1b'));
        let shown = Options {
            show_secrets: true,
            color: true,
            ..Options::default()
        };
        let s = print(&report(&bytes), &shown);
        assert!(s.contains("\"pw\""));
        assert!(s.contains("\x1b[36m"));
    }
}
