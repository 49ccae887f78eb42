//! Any text → `parse_hex_text` never panics, points its errors at a real line and column,
//! and produces no more bytes than the text holds plus the bounded expansion of `*` lines.
//! The same input, taken as bytes and written out the way people paste them (spaced hex,
//! a hex stream wrapped over lines, `0x` lists, `\x` escapes, a C array, `xxd`,
//! `hexdump -C` with its `*` folding, Wireshark's hex dump), parses back to exactly those
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_dissect::transport::hextext::{parse_hex_text, MAX_REPEAT_BYTES};
use std::fmt::Write;

fn printable(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        b as char
    } else {
        '.'
    }
}

fn formats(data: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
    out.push(("spaced", hex.join(" ")));
    out.push(("upper", hex.join(" ").to_uppercase()));
    out.push(("colons", hex.join(":")));
    let stream = hex.concat();
    let wrapped: Vec<&str> = stream
        .as_bytes()
        .chunks(61) // an odd width: lines end in the middle of a byte
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    out.push(("stream", wrapped.join("\n")));
    out.push((
        "0x list",
        data.iter()
            .map(|b| format!("0x{b:02X},"))
            .collect::<Vec<_>>()
            .join(" "),
    ));
    out.push((
        "escapes",
        data.iter()
            .map(|b| format!("\\x{b:02x}"))
            .collect::<String>(),
    ));
    let mut c = String::from("unsigned char pkt[] = {\n");
    for line in data.chunks(12) {
        c.push_str("  ");
        for b in line {
            let _ = write!(c, "0x{b:02x}, ");
        }
        c.push('\n');
    }
    c.push_str("};\nunsigned int pkt_len = 1;\n");
    out.push(("c array", c));

    // xxd
    let mut x = String::new();
    for (i, line) in data.chunks(16).enumerate() {
        let _ = write!(x, "{:08x}: ", i * 16);
        for j in 0..8 {
            match line.get(2 * j..(2 * j + 2).min(line.len())) {
                Some(g) if !g.is_empty() => {
                    for b in g {
                        let _ = write!(x, "{b:02x}");
                    }
                    if g.len() == 1 {
                        x.push_str("  ");
                    }
                }
                _ => x.push_str("    "),
            }
            x.push(' ');
        }
        x.push(' ');
        x.extend(line.iter().map(|&b| printable(b)));
        x.push('\n');
    }
    out.push(("xxd", x));

    // hexdump -C, folding identical lines into `*` as hexdump does
    let mut h = String::new();
    let mut prev: Option<&[u8]> = None;
    let mut starred = false;
    for (i, line) in data.chunks(16).enumerate() {
        if line.len() == 16 && prev == Some(line) {
            if !starred {
                h.push_str("*\n");
                starred = true;
            }
            continue;
        }
        starred = false;
        prev = Some(line);
        let _ = write!(h, "{:08x}  ", i * 16);
        for j in 0..16 {
            match line.get(j) {
                Some(b) => {
                    let _ = write!(h, "{b:02x} ");
                }
                None => h.push_str("   "),
            }
            if j == 7 {
                h.push(' ');
            }
        }
        h.push_str(" |");
        h.extend(line.iter().map(|&b| printable(b)));
        h.push_str("|\n");
    }
    let _ = writeln!(h, "{:08x}", data.len());
    out.push(("hexdump -C", h));

    // Wireshark "copy as hex + ASCII dump"
    let mut w = String::new();
    for (i, line) in data.chunks(16).enumerate() {
        let _ = write!(w, "{:04x}  ", i * 16);
        for j in 0..16 {
            match line.get(j) {
                Some(b) => {
                    let _ = write!(w, " {b:02x}");
                }
                None => w.push_str("   "),
            }
            if j == 7 {
                w.push(' ');
            }
        }
        w.push_str("   ");
        w.extend(line.iter().map(|&b| printable(b)));
        w.push('\n');
    }
    out.push(("wireshark", w));
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_hex_text(&text) {
        Ok(bytes) => assert!(
            bytes.len() <= text.len() + MAX_REPEAT_BYTES,
            "{} bytes out of {} bytes of text",
            bytes.len(),
            text.len()
        ),
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert!(e.line <= text.split('\n').count(), "{e:?}");
            let _ = e.to_string();
        }
    }
    if data.is_empty() {
        return;
    }
    for (name, text) in formats(data) {
        match parse_hex_text(&text) {
            Ok(bytes) => assert_eq!(bytes, data, "{name}:\n{text}"),
            Err(e) => panic!("{name}: {e}\n{text}"),
        }
    }
});
