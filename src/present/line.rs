//! One summary line per packet, written as bytes into a reused buffer: the summary of a
//! capture with millions of packets spends much of its time here, so numbers, padding and
//! plain-ASCII text are copied without `core::fmt` or UTF-8 re-validation.

use crate::codec::reason;
use crate::codec::text::{self, Escaped};
use crate::codec::{Decoded, Packet, PacketType, ProtocolVersion, ReasonCode};
use crate::transport::Timestamp;
use std::fmt::{self, Write as _};

/// A line of text being built. Only `&str`, `char` and bytes checked to be printable ASCII
/// go in, so it is always UTF-8.
///
/// The bytes live in `buf[..len]`; `buf` is kept longer than the text so that padding,
/// numbers and short text can be written as fixed-size blocks (the extra bytes are
/// overwritten later) instead of calls to `memcpy`/`memset` of a few bytes each.
#[derive(Default)]
pub struct Line {
    buf: Vec<u8>,
    len: usize,
}

impl Line {
    /// Empties the line, keeping its capacity.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Shortens the line to `len` bytes (a length it had before).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The line as bytes, for writing out.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The `N` bytes of the buffer from `start` on (the text from there, then bytes to be
    /// overwritten), when the buffer is that long: for copying text as a fixed-size block.
    pub(super) fn window<const N: usize>(&self, start: usize) -> Option<&[u8; N]> {
        self.buf.get(start..)?.first_chunk::<N>()
    }

    /// Writes `block` after the text (one fixed-size copy, and one length check) and keeps
    /// its first `keep` bytes: the caller makes sure they are ASCII or whole characters.
    #[inline]
    pub(super) fn block<const N: usize>(&mut self, block: &[u8; N], keep: usize) {
        let at = self.len;
        match self
            .buf
            .get_mut(at..)
            .and_then(|s| s.first_chunk_mut::<N>())
        {
            Some(d) => *d = *block,
            None => self.block_grown(block),
        }
        self.len = at + keep.min(N);
    }

    #[cold]
    #[inline(never)]
    fn block_grown<const N: usize>(&mut self, block: &[u8; N]) {
        self.grow(self.len + N);
        if let Some(d) = self.buf.get_mut(self.len..self.len + N) {
            d.copy_from_slice(block);
        }
    }

    #[cold]
    fn grow(&mut self, need: usize) {
        self.buf.resize(need.max(self.buf.len() * 2).max(256), 0);
    }

    /// Appends text.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Appends another line's text.
    pub fn push_line(&mut self, other: &Line) {
        self.bytes(other.as_bytes());
    }

    /// Appends a character.
    #[inline]
    pub fn push(&mut self, c: char) {
        match u8::try_from(c) {
            Ok(b) if b.is_ascii() => self.byte(b),
            _ => self.push_str(c.encode_utf8(&mut [0; 4])),
        }
    }

    /// One ASCII byte.
    #[inline]
    fn byte(&mut self, b: u8) {
        self.block(&[b], 1);
    }

    /// The first `keep` bytes of a word (first byte lowest), `keep` at most 8.
    #[inline]
    fn word(&mut self, w: u64, keep: usize) {
        self.block(&w.to_le_bytes(), keep);
    }

    /// Bytes the caller has checked with [`text::is_plain`] (or ASCII it made).
    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        let (at, end) = (self.len, self.len + b.len());
        if self.buf.len() < end {
            self.grow(end);
        }
        if let Some(d) = self.buf.get_mut(at..end) {
            d.copy_from_slice(b);
            self.len = end;
        }
    }

    /// Appends `b` and returns true when it is plain ([`text::is_plain`]), checked while it
    /// is copied; appends nothing and returns false otherwise.
    fn plain(&mut self, b: &[u8]) -> bool {
        let (at, end) = (self.len, self.len + b.len());
        if self.buf.len() < end + 8 {
            self.grow(end + 8);
        }
        let ok = self
            .buf
            .get_mut(at..)
            .is_some_and(|d| text::copy_plain(b, d));
        if ok {
            self.len = end;
        }
        ok
    }

    /// Inserts `s` at byte `at` (a length the line had before), moving the text after it.
    pub fn insert(&mut self, at: usize, s: &str) {
        let at = at.min(self.len);
        let end = self.len + s.len();
        if self.buf.len() < end {
            self.grow(end);
        }
        // In bounds: the buffer holds `end` bytes.
        self.buf.copy_within(at..self.len, at + s.len());
        self.buf[at..at + s.len()].copy_from_slice(s.as_bytes());
        self.len = end;
    }

    /// Drops trailing spaces (the padding of empty columns).
    pub fn trim_end(&mut self) {
        while self.len > 0 && self.buf[self.len - 1].is_ascii_whitespace() {
            self.len -= 1;
        }
    }

    /// The line as a `String`.
    pub fn into_string(mut self) -> String {
        self.buf.truncate(self.len);
        // Always UTF-8 (see the type); lossy conversion only to stay panic-free.
        String::from_utf8(self.buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

fn reason_name(out: &mut Line, v: ProtocolVersion, t: PacketType, code: ReasonCode) {
    match reason::lookup(v, t, code.0) {
        Some(i) => out.push_str(i.name),
        None => {
            let _ = write!(out, "0x{:02X}", code.0);
        }
    }
}

/// The payload's first bytes, after the opening quote the caller wrote (with what came
/// before it: one block), which goes when the preview is in hex.
fn preview_opened(out: &mut Line, payload: &[u8]) {
    const MAX: usize = 40;
    let cut = &payload[..payload.len().min(MAX)];
    let start = out.len().saturating_sub(1);
    if out.plain(cut) {
        // The usual JSON or text payload: no escaping to do.
        out.byte(b'"');
        if payload.len() > MAX {
            out.push('…');
        }
        return;
    }
    out.truncate(start);
    match std::str::from_utf8(cut) {
        Ok(_) => quoted(out, cut),
        // A multi-byte character cut at the preview's end.
        Err(e) if e.valid_up_to() + 4 >= cut.len() && payload.len() > MAX => {
            quoted(out, &cut[..e.valid_up_to()])
        }
        Err(_) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for b in cut {
                out.byte(HEX[usize::from(b >> 4)]);
                out.byte(HEX[usize::from(b & 15)]);
            }
        }
    }
    if payload.len() > MAX {
        out.push('…');
    }
}

/// The key fields of a packet, on one line.
pub fn details(d: &Decoded<'_>) -> String {
    let mut s = Line::default();
    write_details(&mut s, d);
    s.into_string()
}

/// [`details`] appended to `out` (no allocation of its own: the summary reuses one line).
pub fn write_details(out: &mut Line, d: &Decoded<'_>) {
    let v = d.version;
    let Some(p) = &d.packet else {
        let _ = match d.diagnostics.first() {
            Some(x) => write!(out, "undecodable: {}", x.message),
            None => write!(out, "undecodable"),
        };
        return;
    };
    // Writing into a String cannot fail.
    let _ = write_packet_details(out, d, p, v);
}

fn write_packet_details(
    out: &mut Line,
    d: &Decoded<'_>,
    p: &Packet<'_>,
    v: ProtocolVersion,
) -> std::fmt::Result {
    match p {
        Packet::Connect(c) => {
            match ProtocolVersion::from_level(c.protocol_level) {
                Some(_) => write!(out, "MQTT {v}")?,
                None => write!(out, "level {} (read as {v})", c.protocol_level)?,
            }
            out.push_str(" client_id=");
            quoted(out, c.client_id.0);
            if let Some(u) = c.username {
                out.push_str(" user=");
                quoted(out, u.0);
            }
            if c.password.is_some() {
                out.push_str(" password=yes");
            }
            out.push_str(" keep_alive=");
            push_num(out, c.keep_alive.into(), 0);
            if c.clean_start {
                out.push_str(" clean");
            }
            if let Some(w) = &c.will {
                out.push_str(" will=");
                quoted(out, w.topic.0);
                out.push_str(" q");
                push_num(out, w.qos as u64, 0);
            }
        }
        Packet::ConnAck(c) => {
            reason_name(out, v, PacketType::CONNACK, c.code);
            if c.session_present {
                out.push_str(" session_present");
            }
        }
        Packet::Publish(p) => {
            out.block(&[b'q', b'0' + p.qos as u8], 2);
            if let Some(id) = p.packet_id {
                labeled_num(out, b" id=", id.into());
            }
            let resolved = match p.topic.is_empty() {
                true => crate::dissect::analysis::resolved_topic(d),
                false => None,
            };
            match resolved {
                // An alias-only PUBLISH whose topic the analysis resolved.
                Some((a, t)) => write!(out, " \"{t}\" (via alias {a})")?,
                None => {
                    out.block(b" \"", 2);
                    unquoted(out, p.topic.0);
                    out.byte(b'"');
                    if let Some(a) = p
                        .properties
                        .get(crate::codec::PropertyId::TOPIC_ALIAS)
                        .and_then(|x| x.as_u32())
                    {
                        out.push_str(" alias=");
                        push_num(out, a.into(), 0);
                    }
                }
            }
            if p.retain {
                out.push_str(" retain");
            }
            if p.dup {
                out.push_str(" dup");
            }
            labeled_num(out, b" ", p.payload.len() as u64);
            out.block(b"B \"", 3);
            preview_opened(out, p.payload);
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            labeled_num(out, b"id=", r.packet_id.into());
            if r.reason_code.0 != 0 {
                out.push(' ');
                reason_name(out, v, d.packet_type, r.reason_code);
            }
        }
        Packet::Subscribe(s) => {
            write!(out, "id={} ", s.packet_id)?;
            for (i, x) in s.subscriptions.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(out, "{sep}\"{}\" q{}", x.filter, x.qos as u8)?;
            }
        }
        Packet::SubAck(s) => {
            write!(out, "id={} [", s.packet_id)?;
            for (i, c) in s.codes.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                reason_name(out, v, PacketType::SUBACK, *c);
            }
            out.push(']');
        }
        Packet::Unsubscribe(u) => {
            write!(out, "id={} ", u.packet_id)?;
            for (i, x) in u.filters.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(out, "{sep}\"{x}\"")?;
            }
        }
        Packet::UnsubAck(u) => {
            write!(out, "id={}", u.packet_id)?;
            if !u.codes.is_empty() {
                out.push_str(" [");
                for (i, c) in u.codes.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    reason_name(out, v, PacketType::UNSUBACK, *c);
                }
                out.push(']');
            }
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(x) => {
            if v.is_v5() {
                reason_name(out, v, PacketType::DISCONNECT, x.reason_code);
            }
        }
        Packet::Auth(a) => reason_name(out, v, PacketType::AUTH, a.reason_code),
    }
    Ok(())
}

/// The problems column: the worst finding and how many more.
pub fn problems(d: &Decoded<'_>) -> String {
    let mut s = Line::default();
    write_problems(&mut s, d);
    s.into_string()
}

/// [`problems`] appended to `out`.
pub fn write_problems(out: &mut Line, d: &Decoded<'_>) {
    // The resolved topic of an alias-only PUBLISH shows in the details instead.
    let shown = |x: &&crate::codec::diag::Diagnostic| x.check.id != "topic-alias-resolved";
    let count = d.diagnostics.iter().filter(shown).count();
    // The first of the worst, as a stable sort would give.
    let worst = d
        .diagnostics
        .iter()
        .filter(shown)
        .min_by_key(|x| std::cmp::Reverse(x.severity));
    if let Some(x) = worst {
        let _ = write!(out, "{} {} [{}]", x.severity, x.check.id, x.spec);
        if count > 1 {
            let _ = write!(out, " (+{})", count - 1);
        }
    }
}

const SPACES: [u8; 32] = [b' '; 32];

/// Appends `n` spaces (the summary's columns are at most 16 wide; at most 32 are written).
pub(super) fn pad(out: &mut Line, n: usize) {
    out.block(&SPACES, n);
}

/// Appends `bytes` escaped and in double quotes.
#[inline(always)]
pub(super) fn quoted(out: &mut Line, bytes: &[u8]) {
    out.byte(b'"');
    unquoted(out, bytes);
    out.byte(b'"');
}

/// Appends `bytes` escaped.
#[inline(always)]
fn unquoted(out: &mut Line, bytes: &[u8]) {
    if !out.plain(bytes) {
        let _ = write!(out, "{}", Escaped(bytes));
    }
}

/// Appends `label` (ASCII, at most 8 bytes) and `n`, as one block when `n` has at most
/// eight digits.
#[inline(always)]
fn labeled_num<const L: usize>(out: &mut Line, label: &[u8; L], n: u64) {
    match u32::try_from(n)
        .ok()
        .filter(|&n| u64::from(n) < WORD_DIGITS)
    {
        Some(n) if L <= 8 => {
            let (digits, len) = decimal(n);
            let label = label
                .iter()
                .rev()
                .fold(0u128, |x, &b| x << 8 | u128::from(b));
            out.block(
                &(label | u128::from(digits) << (8 * L)).to_le_bytes(),
                L + len,
            );
        }
        _ => {
            out.bytes(label);
            push_num(out, n, 0);
        }
    }
}

/// The number of decimal digits of `n`.
pub(super) fn digits(n: u64) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 1
}

/// Numbers below this have at most eight digits: one word.
const WORD_DIGITS: u64 = 100_000_000;

/// The eight decimal digits of `n` (below [`WORD_DIGITS`], leading zeros included) as
/// ASCII bytes of a word, the first digit in the lowest byte. The digits are split out of
/// `n` in parallel lanes of the word (4+4, 2+2, 1+1 digits), with multiplications by
/// reciprocals that are exact for these ranges: no loop and no division.
fn digits8(n: u32) -> u64 {
    let n = u64::from(n);
    // Two 32-bit lanes: the first four digits in the low lane.
    let x = (n / 10_000) | ((n % 10_000) << 32);
    // Each lane (below 10,000) into two 16-bit lanes: x / 100 is (x * 10,486) >> 20.
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let x = hundreds | (x - hundreds * 100) << 16;
    // Each 16-bit lane (below 100) into two bytes: x / 10 is (x * 103) >> 10.
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    let x = tens | (x - tens * 10) << 8;
    x | text::ones(b'0')
}

/// `n` (below [`WORD_DIGITS`]) as its digits without leading zeros in the low bytes of a
/// word, and how many there are.
fn decimal(n: u32) -> (u64, usize) {
    let x = digits8(n);
    // Leading zeros are the low bytes equal to '0' (a zero keeps its one digit).
    let zeros = ((x ^ text::ones(b'0')).trailing_zeros() / 8).min(7);
    (x >> (8 * zeros), 8 - zeros as usize)
}

/// Appends `n` right-aligned in `width` columns (at most 32), without `core::fmt`: the
/// summary writes several numbers per packet and formatting machinery dominated it.
#[inline]
pub(super) fn push_num(out: &mut Line, n: u64, width: usize) {
    push_signed(out, false, n, width);
}

/// [`push_num`] with a minus sign before the digits when `negative`. Inlined: a call
/// costs more than its few instructions.
#[inline(always)]
fn push_signed(out: &mut Line, negative: bool, n: u64, width: usize) {
    let width = width.min(32);
    let Some(n) = u32::try_from(n)
        .ok()
        .filter(|&n| u64::from(n) < WORD_DIGITS)
    else {
        return push_long(out, negative, n, width);
    };
    let (word, len) = decimal(n);
    let sign = usize::from(negative);
    if width > len + sign {
        pad(out, width - len - sign);
    }
    if negative {
        out.byte(b'-');
    }
    out.word(word, len);
}

/// [`push_signed`] for numbers of more than eight digits.
#[cold]
#[inline(never)]
fn push_long(out: &mut Line, negative: bool, n: u64, width: usize) {
    pad(out, width.saturating_sub(digits(n) + usize::from(negative)));
    if negative {
        out.byte(b'-');
    }
    // At most twenty digits: the first ones (split once more at most), then eight.
    push_num(out, n / WORD_DIGITS, 0);
    out.word(digits8((n % WORD_DIGITS) as u32), 8);
}

/// Seconds since the start with 6 decimals, right-aligned in 11 columns, with integer
/// arithmetic (float formatting is slow and can round a 1.0000005 up).
pub(super) fn write_time(out: &mut Line, ts: Timestamp, start: Timestamp) {
    let (negative, whole, micros) = elapsed(ts, start);
    push_signed(out, negative, whole, 4);
    // The point and six digits (the last six of eight) as one word.
    let fraction = digits8(micros) >> 16;
    out.word(u64::from(b'.') | (fraction << 8), 7);
}

/// `n` (below `10^width`, `width` from 1 to 8) right-aligned in `width` columns: its
/// digits with the leading zeros but the last as spaces, the first column in the lowest
/// byte of the word.
fn spaced(n: u32, width: u32) -> u64 {
    let x = digits8(n) >> (8 * (8 - width.clamp(1, 8)));
    let zeros = ((x ^ text::ones(b'0')).trailing_zeros() / 8).min(width.max(1) - 1);
    x ^ (((1 << (8 * zeros)) - 1) & text::ones(b'0' ^ b' '))
}

/// The frame and time columns and the space after each (what [`push_num`] with width 7,
/// a space, [`write_time`] and a space write) as one block of 20 bytes, in the usual case:
/// a frame below 10^7, and from 0 to 9,999 seconds after the start. `None` otherwise.
pub(super) fn frame_time_block(frame: u64, ts: Timestamp, start: Timestamp) -> Option<[u8; 32]> {
    let frame = u32::try_from(frame).ok().filter(|&f| f < 10_000_000)?;
    let (negative, whole, micros) = elapsed(ts, start);
    let whole = u32::try_from(whole)
        .ok()
        .filter(|&w| w < 10_000 && !negative)?;
    let frame = spaced(frame, 7) | u64::from(b' ') << 56;
    // The last six of the eight digits, in the low bytes.
    let fraction = digits8(micros) >> 16;
    let time = spaced(whole, 4) | u64::from(b'.') << 32 | fraction << 40;
    let rest = (fraction >> 24) as u32 | u32::from(b' ') << 24;
    let mut b = [0; 32];
    b[..8].copy_from_slice(&frame.to_le_bytes());
    b[8..16].copy_from_slice(&time.to_le_bytes());
    b[16..20].copy_from_slice(&rest.to_le_bytes());
    Some(b)
}

/// The time from `start` to `ts` as a sign, whole seconds and microseconds (below a
/// million), truncated toward zero.
fn elapsed(ts: Timestamp, start: Timestamp) -> (bool, u64, u32) {
    // The usual case, without 64-bit divisions: later than the start, by less than 10^8 s.
    let nanos = i64::from(ts.nanos) - i64::from(start.nanos);
    let later = match ts.secs.checked_sub(start.secs) {
        Some(s) if nanos < 0 => s.checked_sub(1).map(|s| (s, nanos + 1_000_000_000)),
        s => s.map(|s| (s, nanos)),
    };
    if let Some((s, n)) =
        later.filter(|&(s, n)| u64::try_from(s).is_ok_and(|s| s < WORD_DIGITS) && n < 1_000_000_000)
    {
        return (false, s as u64, (n / 1000) as u32);
    }
    let nanos = (ts.secs.saturating_sub(start.secs))
        .saturating_mul(1_000_000_000)
        .saturating_add(nanos);
    let micros = nanos / 1000;
    let m = micros.unsigned_abs();
    (micros < 0, m / 1_000_000, (m % 1_000_000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers against `core::fmt`: every digit count and its edges, the eight-digit word
    /// boundary, `u64::MAX`, and widths below, at and above the digits (at most 32 are
    /// padded, as before).
    #[test]
    fn numbers_match_core_fmt() {
        let mut values = vec![0, u64::from(u32::MAX), u64::MAX, u64::MAX - 1];
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            values.extend([p - 1, p, p + 1, 2 * p - 1, 5 * p]);
            p = next;
        }
        values.extend([p - 1, p, p + 1]);
        for n in values {
            for width in [0, 1, 2, 4, 7, 8, 9, 11, 20, 21, 32, 40] {
                let mut line = Line::default();
                line.push_str("x");
                push_num(&mut line, n, width);
                line.push_str("y");
                let w = width.min(32);
                assert_eq!(line.into_string(), format!("x{n:>w$}y"), "{n} {width}");
            }
        }
    }

    /// A label and a number written as one block against the two written one by one,
    /// around the eight-digit edge of the block and with labels of every length.
    #[test]
    fn labeled_numbers_match_label_then_number() {
        for n in [0, 7, 10, 65_535, 99_999_999, 100_000_000, u64::MAX] {
            let mut want = Line::default();
            want.push_str(" alias=");
            push_num(&mut want, n, 0);
            want.push_str("id=");
            push_num(&mut want, n, 0);
            push_num(&mut want, n, 0);
            let mut line = Line::default();
            labeled_num(&mut line, b" alias=", n);
            labeled_num(&mut line, b"id=", n);
            labeled_num(&mut line, b"", n);
            assert_eq!(line.as_bytes(), want.as_bytes(), "{n}");
        }
    }

    /// A legend inserted before the line being written.
    #[test]
    fn insert_moves_the_text_after() {
        let mut line = Line::default();
        line.push_str("a\nline");
        line.insert(2, "# legend\n");
        line.insert(99, "!");
        assert_eq!(line.into_string(), "a\n# legend\nline!");
    }

    /// Quoted text against [`Escaped`]: every byte at every position of short and long
    /// strings (plain text is copied, anything else escaped).
    #[test]
    fn quoted_matches_escaped() {
        for len in 0..20 {
            for at in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut v: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    if let Some(x) = v.get_mut(at) {
                        *x = b;
                    }
                    let mut line = Line::default();
                    line.push_str("t=");
                    quoted(&mut line, &v);
                    line.push_str(" end");
                    let want = format!("t=\"{}\" end", Escaped(&v));
                    assert_eq!(line.into_string(), want, "{len} {at} {b}");
                }
            }
        }
    }

    /// The frame and time block against the columns written one by one: every digit count
    /// of both, at and beyond the edges of the fast path.
    #[test]
    fn frame_time_block_matches_the_columns() {
        let start = Timestamp::new(1_700_000_000, 250_000_000);
        let frames = [
            0, 1, 9, 10, 99, 100, 12_345, 999_999, 1_000_000, 9_999_999, 10_000_000,
        ];
        const NANOS: i64 = 1_000_000_000;
        // Nanoseconds after the start.
        let offsets: [i64; 9] = [
            0,
            999,
            1_000,
            999_999_999,
            1_000_000_000,
            9_999_999_999_999,
            10_000_000_000_000,
            -1_000,
            -1_000_000_000,
        ];
        for frame in frames {
            for after in offsets {
                let ts = Timestamp::new(
                    start.secs + after.div_euclid(NANOS),
                    u64::from(start.nanos) + after.rem_euclid(NANOS) as u64,
                );
                let mut want = Line::default();
                push_num(&mut want, frame, 7);
                want.push(' ');
                write_time(&mut want, ts, start);
                want.push(' ');
                let fast = frame < 10_000_000 && (0..10_000 * NANOS).contains(&after);
                match frame_time_block(frame, ts, start) {
                    Some(b) => {
                        assert!(fast, "{frame} {ts}");
                        assert_eq!(&b[..20], want.as_bytes(), "{frame} {ts}");
                    }
                    None => assert!(!fast, "{frame} {ts}"),
                }
            }
        }
    }

    /// The time column against `core::fmt` on the same integers: before and after the
    /// start, fractions with leading zeros, and more seconds than the column is wide.
    #[test]
    fn time_column_matches_a_formatted_reference() {
        let start = Timestamp::new(1_700_000_000, 250_000_000);
        for (secs, nanos) in [
            (1_700_000_000, 250_000_000),
            (1_700_000_000, 250_001_000),
            (1_700_000_001, 249_999_999),
            (1_700_000_012, 0),
            (1_700_000_000, 0),
            (1_699_999_990, 999_000_000),
            (1_700_123_456, 987_654_321),
            (1_712_345_678, 5_000),
            (1_900_000_000, 1_000),
            (i64::MAX, 999_999_999),
            (i64::MIN, 0),
        ] {
            let ts = Timestamp::new(secs, nanos);
            // Far from the start, the nanoseconds saturate.
            let micros = secs
                .saturating_sub(start.secs)
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(ts.nanos) - i64::from(start.nanos))
                / 1000;
            let sign = if micros < 0 { "-" } else { "" };
            let m = micros.unsigned_abs();
            let want = format!(
                "{:>11}",
                format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000)
            );
            let mut line = Line::default();
            write_time(&mut line, ts, start);
            assert_eq!(line.into_string(), want, "{secs}.{nanos:09}");
        }
    }
}
