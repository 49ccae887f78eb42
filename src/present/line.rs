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
/// The bytes live in `buf[..len]`; `buf` is kept longer than the text so that padding and
/// numbers can be written as fixed-size blocks (the extra bytes are overwritten later)
/// instead of calls to `memcpy`/`memset` of a few bytes each.
#[derive(Default)]
pub struct Line {
    buf: Vec<u8>,
    len: usize,
}

/// Room kept after the text for fixed-size writes.
const SLACK: usize = 64;

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

    /// Makes `buf` long enough for `n` more bytes plus the slack.
    #[inline]
    fn room(&mut self, n: usize) {
        let need = self.len.saturating_add(n).saturating_add(SLACK);
        if need > self.buf.len() {
            self.grow(need);
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
        self.room(1);
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// Bytes the caller has checked with [`text::is_plain`] (or ASCII it made).
    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.room(b.len());
        let at = self.len;
        if b.len() <= 16 {
            // Short strings (names, ids, arrows): a loop beats a call to memcpy.
            for (d, s) in self.buf[at..at + b.len()].iter_mut().zip(b) {
                *d = *s;
            }
        } else {
            self.buf[at..at + b.len()].copy_from_slice(b);
        }
        self.len += b.len();
    }

    /// Writes `block` (a fixed size, so no call to memcpy) and keeps the first `n` bytes.
    #[inline]
    fn block(&mut self, block: &[u8; 32], n: usize) {
        self.room(32);
        let at = self.len;
        self.buf[at..at + 32].copy_from_slice(block);
        self.len += n.min(32);
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

fn preview(out: &mut Line, payload: &[u8]) {
    const MAX: usize = 40;
    let cut = &payload[..payload.len().min(MAX)];
    if text::is_plain(cut) {
        // The usual JSON or text payload: no escaping to do.
        out.push('"');
        out.bytes(cut);
        out.push('"');
        if payload.len() > MAX {
            out.push('…');
        }
        return;
    }
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
            push_num(out, c.keep_alive.into(), 0, false);
            if c.clean_start {
                out.push_str(" clean");
            }
            if let Some(w) = &c.will {
                out.push_str(" will=");
                quoted(out, w.topic.0);
                out.push_str(" q");
                push_num(out, w.qos as u64, 0, false);
            }
        }
        Packet::ConnAck(c) => {
            reason_name(out, v, PacketType::CONNACK, c.code);
            if c.session_present {
                out.push_str(" session_present");
            }
        }
        Packet::Publish(p) => {
            out.push('q');
            push_num(out, p.qos as u64, 0, false);
            if let Some(id) = p.packet_id {
                out.push_str(" id=");
                push_num(out, id.into(), 0, false);
            }
            let resolved = match p.topic.is_empty() {
                true => crate::dissect::analysis::resolved_topic(d),
                false => None,
            };
            match resolved {
                // An alias-only PUBLISH whose topic the analysis resolved.
                Some((a, t)) => write!(out, " \"{t}\" (via alias {a})")?,
                None => {
                    out.push(' ');
                    quoted(out, p.topic.0);
                    if let Some(a) = p
                        .properties
                        .get(crate::codec::PropertyId::TOPIC_ALIAS)
                        .and_then(|x| x.as_u32())
                    {
                        out.push_str(" alias=");
                        push_num(out, a.into(), 0, false);
                    }
                }
            }
            if p.retain {
                out.push_str(" retain");
            }
            if p.dup {
                out.push_str(" dup");
            }
            out.push(' ');
            push_num(out, p.payload.len() as u64, 0, false);
            out.push_str("B ");
            preview(out, p.payload);
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            out.push_str("id=");
            push_num(out, r.packet_id.into(), 0, false);
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

/// Appends `n` right-aligned in `width` columns (or zero-padded), without `core::fmt`:
/// the summary writes several numbers per packet and formatting machinery dominated it.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

pub(super) fn push_num(out: &mut Line, mut n: u64, width: usize, zeros: bool) {
    // Most numbers in a summary line are ids, sizes and qos: one or two digits.
    if n < 10 && width <= 1 {
        out.byte(b'0' + n as u8);
        return;
    }
    let total = digits(n).max(width.min(32));
    // Padding first, as one fixed-size block; the digits overwrite its end.
    out.block(if zeros { &ZEROS } else { &SPACES }, total);
    let mut i = out.len;
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        out.buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        out.buf[i - 2..i].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        out.buf[i - 1] = b'0' + n as u8;
    }
}

const SPACES: [u8; 32] = [b' '; 32];
const ZEROS: [u8; 32] = [b'0'; 32];

/// Appends `n` spaces (the summary's columns are at most 16 wide).
pub(super) fn pad(out: &mut Line, n: usize) {
    out.block(&SPACES, n);
}

/// Appends `bytes` escaped and in double quotes.
pub(super) fn quoted(out: &mut Line, bytes: &[u8]) {
    out.push('"');
    if text::is_plain(bytes) {
        out.bytes(bytes);
    } else {
        let _ = write!(out, "{}", Escaped(bytes));
    }
    out.push('"');
}

pub(super) fn digits(n: u64) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 1
}

/// Seconds since the start with 6 decimals, right-aligned in 11 columns, with integer
/// arithmetic (float formatting is slow and can round a 1.0000005 up).
pub(super) fn write_time(out: &mut Line, ts: Timestamp, start: Timestamp) {
    let nanos = (ts.secs.saturating_sub(start.secs))
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.nanos) - i64::from(start.nanos));
    let micros = nanos / 1000;
    let m = micros.unsigned_abs();
    let whole = m / 1_000_000;
    let sign = usize::from(micros < 0);
    pad(out, 4usize.saturating_sub(digits(whole) + sign));
    if sign == 1 {
        out.push('-');
    }
    push_num(out, whole, 0, false);
    out.push('.');
    push_micros(out, (m % 1_000_000) as u32);
}

/// Appends `n` (below 1,000,000) as exactly six digits: every line with a new frame has one,
/// and three digit pairs need neither a loop nor a digit count.
fn push_micros(out: &mut Line, n: u32) {
    let pair = |x: u32| {
        let d = (x % 100) as usize * 2;
        [PAIRS[d], PAIRS[d + 1]]
    };
    let (a, b, c) = (pair(n / 10_000), pair(n / 100), pair(n));
    let mut block = ZEROS;
    block[..6].copy_from_slice(&[a[0], a[1], b[0], b[1], c[0], c[1]]);
    out.block(&block, 6);
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            let ts = Timestamp::new(secs, nanos);
            let micros = ((secs - start.secs) * 1_000_000_000
                + (i64::from(ts.nanos) - i64::from(start.nanos)))
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
