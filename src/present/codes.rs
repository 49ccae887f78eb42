//! The reason-code tables of `codes`.

use crate::codec::reason::ReasonInfo;
use comfy_table::{presets, ContentArrangement, Table};
use std::io::{self, Write};

/// One entry to show, with the protocol versions it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct CodeRow {
    /// `5.0`, `3.1, 3.1.1` or `3.1.1`.
    pub versions: &'static str,
    /// The entry.
    pub info: &'static ReasonInfo,
}

fn packets(info: &ReasonInfo) -> String {
    info.packets
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the entries as a table: hex, decimal, name, versions, packets, meaning, hint.
pub fn write_table<W: Write>(w: &mut W, rows: &[CodeRow]) -> io::Result<()> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    super::fit_width(&mut t);
    t.set_header(vec![
        "hex", "dec", "name", "MQTT", "packets", "meaning", "hint",
    ]);
    for r in rows {
        t.add_row(vec![
            format!("0x{:02X}", r.info.code),
            r.info.code.to_string(),
            r.info.name.to_string(),
            r.versions.to_string(),
            packets(r.info),
            r.info.meaning.to_string(),
            r.info.hint.unwrap_or("").to_string(),
        ]);
    }
    writeln!(w, "{t}")
}

/// Writes every entry of one code in full: one block per (name, packets).
pub fn write_detail<W: Write>(w: &mut W, code: u8, rows: &[CodeRow]) -> io::Result<()> {
    writeln!(w, "0x{code:02X} ({code})")?;
    for r in rows {
        writeln!(w)?;
        writeln!(w, "  {}", r.info.name)?;
        writeln!(w, "    MQTT:     {}", r.versions)?;
        writeln!(w, "    packets:  {}", packets(r.info))?;
        writeln!(w, "    meaning:  {}", r.info.meaning)?;
        if let Some(h) = r.info.hint {
            writeln!(w, "    hint:     {h}")?;
        }
    }
    Ok(())
}
