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

/// pcap_file (the owned-records check): IP fragments that timed out were reported in the
/// order of a hash map, which differs between runs; now oldest first, so a capture prints
/// the same every time.
#[test]
fn fragment_timeouts_reported_in_arrival_order() {
    use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
    use mqtt_dissect::transport::TransportConfig;
    let data = hex::decode("d4c3b2a1020004000000000000000000000004006500000000f153650000000028000000280000004500002800004010400626ce0a0000220a0000019c40075b00000064000000005002fffff7e0000000f153650100000028000000280000004500002800004000400626ce0a00f7000a000002075b9c40000001f4000000655012fffff5db000000f15365020000002800000028000000450000280000405e400626ce0a0000020a0001000000000000100065000001f55010fffff5dc000000f15365030000001a0000001a0000004500001a00000004400666d80a1700000000000000046465763200f153650400000024000000240000004500002400002002400646d0370000020a00000165300000101000044d5154540402003c00f106000000000024000000240000004500002400002000400646d20a0000020a00f6fe9c40075b00000065000001f55018ffff00f1a1b2cd3400002c0000002c0032004500002c0000b200400626ffffffff09000100ffffffffffffffffffffffffffffffffffffffffffff004000400626ce2a0000020a0000019c40075b00000083000001f95011fffff5b90000").unwrap();
    let run = || {
        let mut events = Vec::new();
        let _ = dissect_capture(
            &data[..],
            &TransportConfig::default(),
            CaptureConfig::default(),
            &mut |r| {
                if let Record::Event(e) = r {
                    events.push(std::mem::take(&mut e.message));
                }
            },
        );
        events
    };
    let first = run();
    assert!(
        first
            .iter()
            .filter(|m| m.contains("dropped: Timeout"))
            .count()
            >= 2,
        "{first:?}"
    );
    for _ in 0..16 {
        assert_eq!(run(), first);
    }
}

/// pcap_file: a pcapng block whose length (11) is shorter than a block's own 12-byte frame
/// made pcap-parser 0.16 compute `len - 12` and overflow (a panic with overflow checks,
/// a 4 GiB read without). The reader now stops there with a transport event.
#[test]
fn pcapng_block_shorter_than_its_frame() {
    use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
    use mqtt_dissect::transport::TransportConfig;
    let data = hex::decode("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff21000000010000800b00000020000000000001010800062200330a2100274e026b248f3c0054750000000b0101011a0800062200330a2100274e026b01").unwrap();
    let mut messages = Vec::new();
    let r = dissect_capture(
        &data[..],
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut |r| {
            if let Record::Event(e) = r {
                messages.push(std::mem::take(&mut e.message));
            }
        },
    );
    assert!(r.is_ok());
    assert!(
        messages.iter().any(|m| m.contains("cannot be parsed")),
        "{messages:?}"
    );
}
