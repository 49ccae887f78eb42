//! The decoding cursor: walks a packet's bytes with the nom primitives, records each field
//! in the tree (when one is wanted) and each finding as a diagnostic.

use super::diag::{self, Check, Diagnostic};
use super::fields::{self, FieldDef};
use super::primitives::{self, Vbi, VbiError};
use super::text::ones;
use super::tree::{Meaning, Node, TreeBuilder, Value};
use super::types::{Direction, MqttStr, ProtocolVersion};

/// Decoding of this packet cannot go on; the reason is already in the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop;

pub(crate) type Res<T> = Result<T, Stop>;

pub(crate) struct Cx<'a> {
    /// The packet bytes that are present (from the fixed header on).
    pub buf: &'a [u8],
    pub pos: usize,
    /// End of the region being decoded (the packet, or a property block); never past `buf`.
    pub end: usize,
    /// Where the Remaining Length says the packet ends (may lie past `buf` when truncated).
    pub declared_end: usize,
    pub version: ProtocolVersion,
    pub direction: Option<Direction>,
    pub diags: Vec<Diagnostic>,
    /// Boxed: without a tree, creating and dropping the cursor is then a pointer test.
    pub tree: Option<Box<TreeBuilder<'a>>>,
    /// Set when the bytes cannot be represented as a typed packet (QoS 3, say).
    pub unrepresentable: bool,
}

impl<'a> Cx<'a> {
    pub fn new(
        buf: &'a [u8],
        version: ProtocolVersion,
        direction: Option<Direction>,
        tree: bool,
    ) -> Self {
        Cx {
            buf,
            pos: 0,
            end: buf.len(),
            declared_end: buf.len(),
            version,
            direction,
            diags: Vec::new(),
            tree: tree.then(Box::default),
            unrepresentable: false,
        }
    }

    /// True when the input ends before the packet does.
    #[inline]
    pub fn truncated(&self) -> bool {
        self.declared_end > self.buf.len()
    }

    /// True when the region is exhausted because the packet really ends here (not because
    /// the input was cut short): a field that should follow is missing.
    #[inline]
    pub fn missing_here(&self) -> bool {
        self.at_end() && !(self.truncated() && self.end == self.buf.len())
    }

    #[inline]
    pub fn left(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    /// The spec reference of `check` for this packet's version.
    pub fn spec(&self, check: &'static Check) -> &'static str {
        if self.version.is_v5() {
            check.spec
        } else {
            check.spec_v3
        }
    }

    pub fn diag(
        &mut self,
        check: &'static Check,
        offset: usize,
        len: usize,
        field: Option<&'static FieldDef>,
        message: String,
    ) {
        self.diag_sev(check, check.severity, offset, len, field, message);
    }

    pub fn diag_sev(
        &mut self,
        check: &'static Check,
        severity: diag::Severity,
        offset: usize,
        len: usize,
        field: Option<&'static FieldDef>,
        message: String,
    ) {
        // Ranges always lie inside the bytes that are present.
        let offset = offset.min(self.buf.len());
        let len = len.min(self.buf.len() - offset);
        let spec = self.spec(check);
        self.diags.push(Diagnostic {
            check,
            severity,
            spec,
            offset,
            len,
            field: field.map(|f| f.id),
            message,
        });
    }

    // ---- tree ------------------------------------------------------------------------

    #[inline]
    pub fn leaf(&mut self, field: &'static FieldDef, offset: usize, len: usize, value: Value<'a>) {
        if let Some(t) = self.tree.as_mut() {
            t.push(Node::leaf(field, offset, len, value));
        }
    }

    /// A bit field inside the byte at `offset`.
    #[inline]
    pub fn bits(
        &mut self,
        field: &'static FieldDef,
        offset: usize,
        mask: u8,
        value: Value<'a>,
        meaning: Option<Meaning>,
    ) {
        if let Some(t) = self.tree.as_mut() {
            let mut n = Node::leaf(field, offset, 1, value);
            n.mask = Some(mask);
            n.meaning = meaning;
            t.push(n);
        }
    }

    /// Sets the meaning of the node pushed last at the current level.
    #[inline]
    pub fn meaning(&mut self, m: impl FnOnce() -> Option<Meaning>) {
        if let Some(t) = self.tree.as_mut() {
            if let Some(n) = t.last_mut() {
                n.meaning = m();
            }
        }
    }

    /// Sets the value of the innermost open node (a group whose value is known late).
    #[inline]
    pub fn set_open_value(&mut self, value: Value<'a>) {
        if let Some(n) = self.tree.as_mut().and_then(|t| t.current_mut()) {
            n.value = value;
        }
    }

    #[inline]
    pub fn open(&mut self, field: &'static FieldDef) {
        let pos = self.pos;
        self.open_at(field, pos, Value::None);
    }

    #[inline]
    pub fn open_at(&mut self, field: &'static FieldDef, offset: usize, value: Value<'a>) {
        if let Some(t) = self.tree.as_mut() {
            t.open(Node::leaf(field, offset, 0, value));
        }
    }

    #[inline]
    pub fn close(&mut self) {
        let pos = self.pos;
        if let Some(t) = self.tree.as_mut() {
            t.close(pos);
        }
    }

    // ---- reading ---------------------------------------------------------------------

    /// Reports that `field` needs `need` bytes where fewer are left, and stops.
    #[cold]
    #[inline(never)]
    fn overrun(&mut self, field: &'static FieldDef, need: usize) -> Stop {
        let left = self.left();
        let at = self.pos;
        if self.truncated() && self.end == self.buf.len() {
            // Already reported once, at the Remaining Length.
        } else {
            self.diag(
                &diag::FIELD_OVERRUN,
                at,
                left,
                Some(field),
                format!(
                    "{} needs {need} byte(s) but only {left} remain before the end of the \
                     packet or block at offset {}",
                    field.label, self.end
                ),
            );
        }
        if left > 0 {
            let rest = &self.buf[self.pos..self.end];
            self.leaf(&fields::UNDECODED, at, left, Value::Bytes(rest));
            self.pos = self.end;
        }
        Stop
    }

    /// The bytes left in the region.
    #[inline]
    fn avail(&self) -> &'a [u8] {
        self.buf
            .get(self.pos.min(self.end)..self.end)
            .unwrap_or(&[])
    }

    #[inline]
    pub fn take(&mut self, n: usize, field: &'static FieldDef) -> Res<&'a [u8]> {
        match self.avail().get(..n) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(self.overrun(field, n)),
        }
    }

    /// `N` bytes, for the fixed-size integers.
    #[inline]
    fn array<const N: usize>(&mut self, field: &'static FieldDef) -> Res<[u8; N]> {
        match self.avail().first_chunk::<N>() {
            Some(b) => {
                self.pos += N;
                Ok(*b)
            }
            None => Err(self.overrun(field, N)),
        }
    }

    /// A one-byte field, recorded as a leaf.
    #[inline]
    pub fn u8(&mut self, field: &'static FieldDef) -> Res<u8> {
        let at = self.pos;
        let v = self.u8_raw(field)?;
        self.leaf(field, at, 1, Value::UInt(v.into()));
        Ok(v)
    }

    /// A one-byte field read without a tree node (the caller records bit fields).
    #[inline]
    pub fn u8_raw(&mut self, field: &'static FieldDef) -> Res<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    /// A Two Byte Integer read without a tree node.
    #[inline]
    pub fn u16_raw(&mut self, field: &'static FieldDef) -> Res<u16> {
        Ok(u16::from_be_bytes(self.array::<2>(field)?))
    }

    /// A Two Byte Integer field.
    #[inline]
    pub fn u16(&mut self, field: &'static FieldDef) -> Res<u16> {
        let at = self.pos;
        let v = self.u16_raw(field)?;
        self.leaf(field, at, 2, Value::UInt(v.into()));
        Ok(v)
    }

    /// A Variable Byte Integer field, with the minimal-encoding check.
    pub fn vbi(&mut self, field: &'static FieldDef) -> Res<Vbi> {
        let v = self.vbi_raw(field)?;
        self.leaf(field, self.pos - v.len, v.len, Value::UInt(v.value.into()));
        Ok(v)
    }

    #[inline]
    pub fn vbi_raw(&mut self, field: &'static FieldDef) -> Res<Vbi> {
        // The common case: one byte.
        if let Some(&b) = self.avail().first() {
            if b < 0x80 {
                self.pos += 1;
                return Ok(Vbi {
                    value: b.into(),
                    len: 1,
                });
            }
        }
        self.vbi_long(field)
    }

    #[inline(never)]
    fn vbi_long(&mut self, field: &'static FieldDef) -> Res<Vbi> {
        let at = self.pos;
        match primitives::vbi(self.avail()) {
            Ok((_, v)) => {
                self.pos += v.len;
                if !v.is_minimal() {
                    self.non_minimal(field, at, v);
                }
                Ok(v)
            }
            Err(VbiError::TooLong) => {
                self.diag(
                    &diag::VBI_TOO_LONG,
                    at,
                    4,
                    Some(field),
                    format!(
                        "{}: the 4th byte has its continuation bit set; a Variable Byte \
                         Integer has at most 4 bytes",
                        field.label
                    ),
                );
                Err(Stop)
            }
            Err(VbiError::Incomplete(n)) => Err(self.overrun(field, n + 1)),
        }
    }

    /// Reports a Variable Byte Integer `v` at `at` that is longer than it needs to be.
    #[cold]
    pub fn non_minimal(&mut self, field: &'static FieldDef, at: usize, v: Vbi) {
        self.diag(
            &diag::VBI_NON_MINIMAL,
            at,
            v.len,
            Some(field),
            format!(
                "{} {} is encoded in {} bytes where {} suffice; re-encoding will \
                 change these bytes",
                field.label,
                v.value,
                v.len,
                primitives::vbi_len(v.value)
            ),
        );
    }

    /// A UTF-8 Encoded String field: a node covering length and bytes, a `length` child,
    /// and the string checks of §1.5.4.
    #[inline]
    pub fn string(&mut self, field: &'static FieldDef) -> Res<MqttStr<'a>> {
        Ok(self.string_scan(field)?.0)
    }

    /// [`Cx::string`], also saying what one scan of the bytes found.
    pub fn string_scan(&mut self, field: &'static FieldDef) -> Res<(MqttStr<'a>, Scan)> {
        let at = self.pos;
        let s = self.length_prefixed(field, |b| Value::Str(MqttStr(b)))?;
        let flags = scan(s);
        let valid = flags & NOT_PRINTABLE == 0 || self.utf8_findings(field, at + 2, s, false);
        Ok((
            MqttStr(s),
            Scan {
                valid,
                wildcard: flags & WILDCARD != 0,
            },
        ))
    }

    /// Binary Data: two-byte length and bytes.
    #[inline]
    pub fn binary(&mut self, field: &'static FieldDef) -> Res<&'a [u8]> {
        self.length_prefixed(field, Value::Bytes)
    }

    #[inline]
    fn length_prefixed(
        &mut self,
        field: &'static FieldDef,
        value: fn(&'a [u8]) -> Value<'a>,
    ) -> Res<&'a [u8]> {
        let at = self.pos;
        let n = usize::from(self.u16_raw(field)?);
        if self.tree.is_none() {
            return self.take(n, field);
        }
        self.open_at(field, at, Value::None);
        self.leaf(&fields::LENGTH, at, 2, Value::UInt(n as u64));
        match self.take(n, field) {
            Ok(b) => {
                self.set_open_value(value(b));
                self.close();
                Ok(b)
            }
            Err(stop) => {
                self.close();
                Err(stop)
            }
        }
    }

    /// The §1.5.4 checks on string bytes that start at `offset`; true when they are
    /// well-formed UTF-8.
    #[inline]
    pub fn check_utf8(
        &mut self,
        field: &'static FieldDef,
        offset: usize,
        s: &[u8],
        pair: bool,
    ) -> bool {
        // Printable ASCII (the usual topic or client id) needs none of the checks.
        scan(s) & NOT_PRINTABLE == 0 || self.utf8_findings(field, offset, s, pair)
    }

    /// The §1.5.4 checks for bytes that are not all printable ASCII.
    #[inline(never)]
    fn utf8_findings(
        &mut self,
        field: &'static FieldDef,
        offset: usize,
        s: &[u8],
        pair: bool,
    ) -> bool {
        match std::str::from_utf8(s) {
            Err(e) => {
                let bad = offset + e.valid_up_to();
                let blen = e.error_len().unwrap_or(s.len() - e.valid_up_to());
                let check = if pair {
                    &diag::UTF8_PAIR_INVALID
                } else {
                    &diag::UTF8_INVALID
                };
                self.diag(
                    check,
                    bad,
                    blen,
                    Some(field),
                    format!(
                        "{} is not well-formed UTF-8: invalid byte(s) {} at offset {bad}",
                        field.label,
                        hex_bytes(&s[e.valid_up_to()..e.valid_up_to() + blen])
                    ),
                );
                false
            }
            Ok(text) => {
                if text.starts_with('\u{feff}') {
                    self.diag(
                        &diag::UTF8_BOM,
                        offset,
                        3,
                        Some(field),
                        format!(
                            "{} starts with EF BB BF (U+FEFF); a receiver must keep it, not strip it",
                            field.label
                        ),
                    );
                }
                for (i, c) in text.char_indices() {
                    let at = offset + i;
                    if c == '\0' {
                        self.diag(
                            &diag::UTF8_NULL,
                            at,
                            1,
                            Some(field),
                            format!("{} contains U+0000 at offset {at}", field.label),
                        );
                    } else if c.is_control() {
                        self.diag(
                            &diag::UTF8_CONTROL,
                            at,
                            c.len_utf8(),
                            Some(field),
                            format!(
                                "{} contains control character U+{:04X} at offset {at}",
                                field.label, c as u32
                            ),
                        );
                    } else if is_noncharacter(c) {
                        self.diag(
                            &diag::UTF8_NONCHARACTER,
                            at,
                            c.len_utf8(),
                            Some(field),
                            format!(
                                "{} contains non-character U+{:04X} at offset {at}",
                                field.label, c as u32
                            ),
                        );
                    }
                }
                true
            }
        }
    }

    /// All bytes up to the end of the region (a payload).
    #[inline]
    pub fn rest(&mut self) -> &'a [u8] {
        let r = &self.buf[self.pos.min(self.end)..self.end];
        self.pos = self.end;
        r
    }

    /// Reports bytes left in the region after the last field, and shows them.
    pub fn expect_end(&mut self, what: &str) {
        if self.pos < self.end {
            let at = self.pos;
            let n = self.end - self.pos;
            let rest = self.rest();
            self.leaf(&fields::UNDECODED, at, n, Value::Bytes(rest));
            self.diag(
                &diag::TRAILING_BYTES,
                at,
                n,
                None,
                format!("{n} byte(s) left over after the last field of {what}"),
            );
        }
    }
}

/// `0a 0b 0c` for messages.
pub(crate) fn hex_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// What one pass over a string's bytes found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scan {
    /// Well-formed UTF-8.
    pub valid: bool,
    /// Holds `+` or `#`.
    pub wildcard: bool,
}

pub(crate) const NOT_PRINTABLE: u8 = 1;
pub(crate) const WILDCARD: u8 = 2;

/// [`NOT_PRINTABLE`] and [`WILDCARD`] bits of `s`. Strings of 16 to 32 bytes (topics,
/// client identifiers: the usual case) are read as two overlapping blocks of sixteen bytes,
/// shorter ones as up to two words of overlapping pieces, without a loop.
#[inline]
pub(crate) fn scan(s: &[u8]) -> u8 {
    let n = s.len();
    if n >= 16 {
        if n > 32 {
            return scan_long(s);
        }
        let (head, tail) = (flags16(block(s)), flags16(block(&s[n - 16..])));
        bits16(head.0 | tail.0, head.1 | tail.1)
    } else if n >= 8 {
        // Two words, overlapping when n < 16.
        scan8(word8(s)) | scan8(word8(&s[n - 8..]))
    } else if n >= 4 {
        scan8(u64::from(word4(&s[..4])) | (u64::from(word4(&s[n - 4..])) << 32))
    } else if n > 0 {
        let w = u64::from(s[0]) | (u64::from(s[n / 2]) << 8) | (u64::from(s[n - 1]) << 16);
        // The other five bytes: printable, no wildcard.
        scan8(w | (ones(b'a') & !0xff_ffff))
    } else {
        0
    }
}

/// [`scan`] of more than 32 bytes: a loop (out of line, so that short strings do not pay
/// for its setup).
#[inline(never)]
fn scan_long(s: &[u8]) -> u8 {
    let (mut outside, mut wild) = (false, false);
    let mut chunks = s.chunks_exact(16);
    // The last sixteen bytes too, overlapping what was read (harmless for an or).
    let tail = block(&s[s.len().saturating_sub(16)..]);
    for b in (&mut chunks).map(block).chain([tail]) {
        let (o, w) = flags16(b);
        outside |= o;
        wild |= w;
    }
    bits16(outside, wild)
}

/// The first sixteen bytes of `c` (printable filler when shorter: never the case here).
#[inline]
fn block(c: &[u8]) -> [u8; 16] {
    c.first_chunk().copied().unwrap_or([b'a'; 16])
}

/// Whether a block has a byte outside 0x20..=0x7e, and a `+` or `#` (they differ only in
/// bit 3). A plain loop over a fixed-size block: the compiler makes it a few vector
/// instructions.
#[inline]
fn flags16(b: [u8; 16]) -> (bool, bool) {
    let (mut outside, mut wild) = (0u8, 0u8);
    for x in b {
        outside |= u8::from(!(0x20..0x7f).contains(&x));
        wild |= u8::from(x | 8 == b'+');
    }
    (outside != 0, wild != 0)
}

/// The [`scan`] bits of [`flags16`] results.
#[inline]
fn bits16(outside: bool, wild: bool) -> u8 {
    u8::from(outside) | (u8::from(wild) << 1)
}

fn word8(c: &[u8]) -> u64 {
    u64::from_le_bytes(c.first_chunk().copied().unwrap_or([b'a'; 8]))
}

fn word4(c: &[u8]) -> u32 {
    u32::from_le_bytes(c.first_chunk().copied().unwrap_or([b'a'; 4]))
}

/// The [`scan`] bits of eight bytes.
#[inline]
fn scan8(x: u64) -> u8 {
    bits(outside8(x), wild8(x))
}

/// A high bit in the word for a byte below 0x20 or above 0x7e (x + 1 sets a high bit; a
/// carry out of a byte only happens from one that is already high): the "has less" and
/// "has more" tricks, masked later.
#[inline]
fn outside8(x: u64) -> u64 {
    (x.wrapping_sub(ones(0x20)) & !x) | x.wrapping_add(ones(1)) | x
}

/// A high bit in the word for a `+` or `#` byte: they differ only in bit 3, so one "has
/// zero" trick on x | 8 ^ '+' finds both.
#[inline]
fn wild8(x: u64) -> u64 {
    let y = (x | ones(0x08)) ^ ones(b'+');
    y.wrapping_sub(ones(1)) & !y
}

/// The [`scan`] bits of [`outside8`] and [`wild8`] results.
#[inline]
fn bits(outside: u64, wild: u64) -> u8 {
    u8::from(outside & ones(0x80) != 0) | (u8::from(wild & ones(0x80) != 0) << 1)
}

/// True when the §1.5.4 checks find nothing in `s`: what [`Cx::check_utf8`] reports no
/// diagnostic for, without a cursor (for the no-tree fast paths).
#[inline]
pub(crate) fn utf8_clean(s: &[u8]) -> bool {
    scan(s) & NOT_PRINTABLE == 0 || utf8_clean_slow(s)
}

/// [`utf8_clean`] for bytes that are not all printable ASCII: the findings of
/// `Cx::utf8_findings`, as a yes or no.
#[inline(never)]
pub(crate) fn utf8_clean_slow(s: &[u8]) -> bool {
    match std::str::from_utf8(s) {
        Err(_) => false,
        Ok(text) => {
            !text.starts_with('\u{feff}')
                && text
                    .chars()
                    .all(|c| c != '\0' && !c.is_control() && !is_noncharacter(c))
        }
    }
}

fn is_noncharacter(c: char) -> bool {
    let u = c as u32;
    (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_matches_a_byte_by_byte_check() {
        let slow = |s: &[u8]| {
            s.iter().fold(0, |acc, &b| {
                acc | u8::from(!(0x20..0x7f).contains(&b)) | (u8::from(b == b'+' || b == b'#') << 1)
            })
        };
        const TEXT: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.:;,=";
        let mut cases: Vec<Vec<u8>> = vec![vec![], b"a/b".to_vec(), b"device-1".to_vec()];
        for b in 0..=255u8 {
            // Every length up to past four blocks, the byte at every position.
            for len in 1..=70 {
                for at in 0..len {
                    let mut v = TEXT[..len].to_vec();
                    v[at] = b;
                    cases.push(v);
                }
            }
            // Neighbours that interact through borrows.
            for a in [0x00, 0x01, 0x1f, 0x20, 0x22, 0x7e, 0x7f, 0x80, 0xfe, 0xff] {
                cases.push(vec![b'x', a, b, b'y', b'z', b'w', b'v', b'u', b't']);
                cases.push(vec![b, a, b'+']);
            }
        }
        for c in &cases {
            assert_eq!(scan(c), slow(c), "{c:02x?}");
        }
    }
}
