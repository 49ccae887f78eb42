//! Inputs found by the fuzz targets (fuzz/README.md) or by reading the code while writing
//! them, each named after what it found. Every one of them once crashed, hung or
//! allocated without bound.

use mqtt_dissect::transport::hextext::{parse_hex_text, HexTextErrorKind, MAX_REPEAT_BYTES};

/// hex_input: `*` lines (hexdump/od/xxd folding) were each allowed 1 MiB, so 12 KB of
/// text asked for 200 MiB. Now all of an input's `*` lines share one 1 MiB budget.
#[test]
fn hex_repeat_lines_expand_without_total_bound() {
    let mut text = String::new();
    for i in 0..200u64 {
        text.push_str(&format!(
            "{:08x}  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41\n*\n",
            i * 0x10_0010
        ));
    }
    text.push_str(&format!("{:08x}\n", 200 * 0x10_0010));
    match parse_hex_text(&text) {
        Ok(b) => panic!("{} bytes out of {} bytes of text", b.len(), text.len()),
        Err(e) => {
            assert!(matches!(e.kind, HexTextErrorKind::Repeat { .. }), "{e}");
            // The first `*` line that exceeds the budget is named.
            assert_eq!(e.line, 4, "{e}");
        }
    }
    // Up to the budget, several `*` lines still expand.
    let mut text = String::new();
    let n = 4u64;
    let step = (MAX_REPEAT_BYTES as u64) / n;
    for i in 0..n {
        text.push_str(&format!(
            "{:08x}  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41\n*\n",
            i * step
        ));
    }
    text.push_str(&format!("{:08x}\n", n * step));
    let b = parse_hex_text(&text).expect("within the budget");
    assert_eq!(b.len() as u64, n * step);
    assert!(b.iter().all(|&x| x == 0x41));
}
