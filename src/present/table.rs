//! `--format table`: one row per field (comfy-table), one table per packet.

use super::format::value_text;
use super::pretty::header_line;
use super::{masks, raw_hex, Options, Report};
use crate::codec::tree::{Node, Value};
use crate::codec::Decoded;
use comfy_table::{presets, ContentArrangement, Table};
use std::io::{self, Write};
use std::ops::Range;

/// Raw bytes shown per cell before it is cut with `…`.
const RAW_BYTES: usize = 16;

/// Writes one table per packet, each under its header line.
pub fn write<W: Write>(w: &mut W, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    for (i, p) in report.packets.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        writeln!(w, "{}", header_line(p))?;
        if let Some(r) = &p.version_reason {
            writeln!(w, "version: {r}")?;
        }
        writeln!(w, "{}", table(&p.decoded, opts))?;
        for a in &p.advice {
            writeln!(w, "advice: {a}")?;
        }
        if let Some(alt) = &p.alternative {
            writeln!(w, "#{} also reads as MQTT {}:", p.index, alt.version)?;
            writeln!(w, "{}", table(alt, opts))?;
        }
    }
    Ok(())
}

/// The field table of one packet.
pub fn table(d: &Decoded<'_>, opts: &Options) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    super::fit_width(&mut t);
    t.set_header(vec![
        "offset", "len", "raw", "field", "value", "meaning", "problems",
    ]);
    let masks = masks(&d.tree, opts);
    for n in &d.tree {
        rows(&mut t, n, 0, d, &masks, opts);
    }
    t
}

fn rows(
    t: &mut Table,
    n: &Node<'_>,
    depth: usize,
    d: &Decoded<'_>,
    masks: &[Range<usize>],
    opts: &Options,
) {
    let shown = n.len.min(RAW_BYTES);
    let mut raw = raw_hex(d.bytes, n.offset..n.offset + shown, masks, " ");
    if n.len > RAW_BYTES {
        raw.push_str(" …");
    }
    let value = match (n.field.id, n.value) {
        ("publish.payload", Value::Bytes(b)) if !n.field.secret || opts.show_secrets => {
            super::format::bytes_text(b, n.field.kind)
        }
        _ => value_text(n, opts),
    };
    let meaning = n
        .meaning
        .as_ref()
        .map(|m| match &m.detail {
            Some(detail) => format!("{}: {detail}", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_default();
    let problems: Vec<String> = n
        .diagnostics
        .iter()
        .filter_map(|&i| d.diagnostics.get(i))
        .map(|x| format!("{} [{}] {} ({})", x.severity, x.spec, x.message, x.check.id))
        .collect();
    t.add_row(vec![
        n.offset.to_string(),
        n.len.to_string(),
        raw,
        format!("{}{}", "  ".repeat(depth), n.field.label),
        value,
        meaning,
        problems.join("\n"),
    ]);
    for c in &n.children {
        rows(t, c, depth + 1, d, masks, opts);
    }
}
