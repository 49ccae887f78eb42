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
#[derive(Default)]
pub struct Line(Vec<u8>);

impl Line {
    /// Empties the line, keeping its capacity.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Shortens the line to `len` bytes (a length it had before).
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The line as bytes, for writing out.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Appends text.
    pub fn push_str(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// Appends a character.
    pub fn push(&mut self, c: char) {
        match u8::try_from(c) {
            Ok(b) if b.is_ascii() => self.0.push(b),
            _ => self.push_str(c.encode_utf8(&mut [0; 4])),
        }
    }

    /// Bytes the caller has checked with [`text::is_plain`].
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// Drops trailing spaces (the padding of empty columns).
    pub fn trim_end(&mut self) {
        while self.0.last().is_some_and(u8::is_ascii_whitespace) {
            self.0.pop();
        }
    }

    /// The line as a `String`.
    pub fn into_string(self) -> String {
        // Always UTF-8 (see the type); lossy conversion only to stay panic-free.
        String::from_utf8(self.0)
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
                out.0.push(HEX[usize::from(b >> 4)]);
                out.0.push(HEX[usize::from(b & 15)]);
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
pub(super) fn push_num(out: &mut Line, mut n: u64, width: usize, zeros: bool) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = buf.len() - i;
    if zeros {
        out.push_str(&"00000000000000000000"[..width.saturating_sub(digits).min(20)]);
    } else {
        pad(out, width.saturating_sub(digits));
    }
    // Byte by byte: a handful of digits is cheaper than a call to memcpy.
    for &d in &buf[i..] {
        out.0.push(d);
    }
}

/// Appends `n` spaces (the summary's columns are at most 16 wide).
pub(super) fn pad(out: &mut Line, n: usize) {
    const SPACES: &str = "                                ";
    out.push_str(&SPACES[..n.min(SPACES.len())]);
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
    push_num(out, m % 1_000_000, 6, true);
}
