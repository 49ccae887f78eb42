//! A minimal JSON writer for the hot records: packet records of `pcap --format json/jsonl`
//! and `hex --format jsonl`, a million and more per capture. They are written straight into
//! a reused byte buffer, without building serde structs or `Value` trees first.
//!
//! The output is byte-identical to serde_json's compact form: the same string escaping
//! (`\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00XX`, everything else as
//! it is) and the same number formatting. The tests check that against serde_json.

use std::ops::Range;

/// How a byte is written inside a JSON string: 0 as it is, else the letter after `\`
/// (`u` for the `\u00XX` form). The same choices as serde_json.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Every byte as two lowercase hex digits, looked up instead of computed.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_DIGITS[i >> 4], HEX_DIGITS[i & 15]];
        i += 1;
    }
    t
};

/// Writes `s` as a JSON string (quotes included).
#[inline]
pub fn str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    str_body(out, s);
    out.push(b'"');
}

/// Writes the inside of a JSON string: `s` escaped, without the quotes. Most strings (ids,
/// labels, topics) have nothing to escape: that is found eight bytes at a time and they are
/// copied in one piece. Past the first byte to escape (JSON payloads are full of quotes),
/// bytes are escaped one by one into a stack block copied out when full.
#[inline]
pub fn str_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    match first_to_escape(bytes) {
        None => out.extend_from_slice(bytes),
        Some(first) => {
            out.extend_from_slice(&bytes[..first]);
            escape_from(out, &bytes[first..]);
        }
    }
}

/// [`str_body`] from the first byte to escape on (kept apart: its stack block would
/// otherwise weigh on every call).
#[inline(never)]
fn escape_from(out: &mut Vec<u8>, bytes: &[u8]) {
    // Room for a full block of input plus one escaped byte (at most 6).
    const BLOCK: usize = 256;
    let mut block = [0u8; BLOCK + 6];
    let mut n = 0;
    for &b in bytes {
        match ESCAPE[usize::from(b)] {
            0 => {
                block[n] = b;
                n += 1;
            }
            b'u' => {
                let [hi, lo] = HEX_PAIRS[usize::from(b)];
                block[n..n + 6].copy_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
                n += 6;
            }
            e => {
                block[n..n + 2].copy_from_slice(&[b'\\', e]);
                n += 2;
            }
        }
        if n >= BLOCK {
            out.extend_from_slice(&block[..n]);
            n = 0;
        }
    }
    out.extend_from_slice(&block[..n]);
}

/// Index of the first byte that must be escaped.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    let scan = |base: usize, chunk: &[u8]| {
        chunk
            .iter()
            .position(|&b| ESCAPE[usize::from(b)] != 0)
            .map(|k| base + k)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        // A chunk that is not 8 bytes cannot happen; all-zero bytes would be scanned.
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if needs_escape(word) {
            return scan(base, chunk);
        }
        base += 8;
    }
    scan(base, chunks.remainder())
}

/// True when one of the eight bytes is a control character, `"` or `\` (the classic
/// "has a byte less than n / equal to n" bit tricks; exact for the word as a whole).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below(word, 0x20) | below(quote, 1) | below(backslash, 1)) & HIGH != 0
}

/// Writes a string, or `null`.
pub fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes an unsigned integer; the small ones (most offsets, lengths, values) directly.
#[inline]
pub fn uint(out: &mut Vec<u8>, v: impl Into<u64>) {
    let v = v.into();
    if v < 10 {
        out.push(b'0' + v as u8);
    } else if v < 100 {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
    } else {
        large_uint(out, v);
    }
}

/// Two decimal digits per lookup, as itoa does.
static DEC_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Digits of `v >= 10` into a fixed 20-byte block appended whole, then cut to length: a
/// fixed-size copy is a couple of moves, a copy of variable length a call to memcpy.
#[inline(never)]
fn large_uint(out: &mut Vec<u8>, mut v: u64) {
    let n = v.ilog10() as usize + 1;
    let mut buf = [0u8; 20];
    let mut i = n;
    while v >= 100 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DEC_PAIRS[(v % 100) as usize]);
        v /= 100;
    }
    if v >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DEC_PAIRS[v as usize]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + n);
}

/// Writes a `usize` (offsets, lengths, indexes).
#[inline]
pub fn size(out: &mut Vec<u8>, v: usize) {
    uint(out, v as u64);
}

/// Writes a signed integer.
pub fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Writes `true` or `false`.
pub fn bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Writes a float as serde_json does: with the same formatter (zmij, shortest round-trip
/// form), `null` when not finite.
pub fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends `bytes` as lowercase hex digits (no quotes: hex needs no escaping).
pub fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 8 {
        // Most fields are a few bytes: no zero-filling first.
        for &b in bytes {
            out.extend_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
        return;
    }
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    for (pair, &b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
}

/// Appends the hex of `bytes[range]` (clamped), bytes inside `masks` as `**`: the same text
/// as [`raw_hex`](super::raw_hex) with no separator. Returns the bytes when none was masked.
pub fn hex_masked<'b>(
    out: &mut Vec<u8>,
    bytes: &'b [u8],
    range: Range<usize>,
    masks: &[Range<usize>],
) -> Option<&'b [u8]> {
    let end = range.end.min(bytes.len());
    let start = range.start.min(end);
    let bytes = &bytes[start..end];
    if masks.iter().all(|m| m.end <= start || m.start >= end) {
        hex(out, bytes);
        return Some(bytes);
    }
    for (i, &b) in bytes.iter().enumerate() {
        if super::is_masked(masks, start + i) {
            out.extend_from_slice(b"**");
        } else {
            out.extend_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
    }
    None
}

/// Writes a `[…]` of strings.
pub fn str_array<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        str(out, s.as_ref());
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        str(&mut out, s);
        out
    }

    #[test]
    fn escapes_like_serde_json() {
        let tricky = [
            "",
            "plain",
            "quote \" and backslash \\",
            "\\\"\\",
            "tab\tnewline\ncr\rbackspace\u{8}formfeed\u{c}",
            "\u{0}\u{1}\u{1f}\u{7f}\u{80}\u{9f}",
            "ünïcödé ✓ 🦀 \u{2028}\u{2029}",
            "\\x80\\u{1b} (already escaped text)",
            "\"",
            "ends with control\u{1b}",
        ];
        for s in tricky {
            let ours = string(s);
            let theirs = serde_json::to_vec(s).ok();
            assert_eq!(Some(&ours), theirs.as_ref(), "{s:?}");
            let back: Option<String> = serde_json::from_slice(&ours).ok();
            assert_eq!(back.as_deref(), Some(s));
        }
        // Every escape at every position of a word and its tail.
        for len in 0..20 {
            for at in 0..len {
                for special in ["\"", "\\", "\u{0}", "\u{1f}", "\n"] {
                    let mut s: String = "a".repeat(len);
                    s.replace_range(at..at + 1, special);
                    assert_eq!(Some(string(&s)), serde_json::to_vec(&s).ok(), "{s:?}");
                }
            }
        }
        // Bytes next to the special ones (0x1f/0x20, 0x21/0x22/0x23, 0x5b/0x5c/0x5d, 0x7f, 0x80+).
        let near = "\u{1f} !\"#[\\]\u{7f}\u{80}ÿ";
        for a in near.chars() {
            for b in near.chars() {
                let s: String = [a, 'x', 'x', 'x', 'x', 'x', 'x', b, a].iter().collect();
                assert_eq!(Some(string(&s)), serde_json::to_vec(&s).ok(), "{s:?}");
            }
        }
        // Long strings: escapes across the 256-byte blocks.
        for len in [255, 256, 257, 300, 1000] {
            let s: String = (0..len)
                .map(|i| ['a', '"', '\u{1}', 'é', '\\', '✓'][i % 6])
                .collect();
            assert_eq!(Some(string(&s)), serde_json::to_vec(&s).ok(), "{len}");
            let s = format!("{}\"{}", "x".repeat(len), "\u{0}".repeat(len));
            assert_eq!(Some(string(&s)), serde_json::to_vec(&s).ok(), "{len}");
        }
        // Every single character below 0x80, and a few beyond.
        for c in (0u32..0x100).chain([0x2028, 0xfeff, 0x10ffff]) {
            let s = char::from_u32(c).map(String::from).unwrap_or_default();
            assert_eq!(Some(string(&s)), serde_json::to_vec(&s).ok(), "U+{c:04X}");
        }
    }

    #[test]
    fn numbers_like_serde_json() {
        let powers = (0..20).flat_map(|e| {
            let p = 10u64.pow(e);
            [p - 1, p, p + 1]
        });
        for v in [0u64, 12345, u64::from(u32::MAX), u64::MAX]
            .into_iter()
            .chain(powers)
        {
            let mut out = Vec::new();
            uint(&mut out, v);
            assert_eq!(Some(out), serde_json::to_vec(&v).ok());
        }
        for v in [
            0.0,
            0.5,
            1.0,
            0.005223,
            1e-7,
            123456.789,
            1e21,
            -0.0,
            f64::NAN,
        ] {
            let mut out = Vec::new();
            float(&mut out, v);
            assert_eq!(Some(out), serde_json::to_vec(&v).ok(), "{v}");
        }
    }

    #[test]
    fn hex_with_and_without_masks() {
        let r = |start, end| Range { start, end };
        let bytes = [0x00, 0x0f, 0xa5, 0xff, 0x10];
        let mut out = Vec::new();
        hex(&mut out, &bytes);
        assert_eq!(out, b"000fa5ff10");
        let long: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        hex(&mut out, &long);
        assert_eq!(String::from_utf8(out).ok(), Some(hex::encode(&long)));
        let cases: [(Range<usize>, &[Range<usize>]); 5] = [
            (0..5, &[]),
            (1..4, &[r(2, 3)]),
            (0..9, &[0..1, 4..9]),
            (r(3, 2), &[r(0, 5)]),
            (0..5, &[r(7, 9)]),
        ];
        for (range, masks) in cases {
            let mut out = Vec::new();
            let plain = hex_masked(&mut out, &bytes, range.clone(), masks);
            assert!(plain.is_none() || !out.contains(&b'*'));
            let want = super::super::raw_hex(&bytes, range, masks, "");
            assert_eq!(String::from_utf8(out).ok(), Some(want));
        }
    }

    #[test]
    fn arrays_and_options() {
        let mut out = Vec::new();
        str_array(&mut out, &["a", "b\"c"]);
        out.push(b' ');
        str_array::<&str>(&mut out, &[]);
        out.push(b' ');
        opt_str(&mut out, None);
        out.push(b' ');
        bool(&mut out, true);
        assert_eq!(
            String::from_utf8(out).ok().as_deref(),
            Some(r#"["a","b\"c"] [] null true"#)
        );
    }
}
