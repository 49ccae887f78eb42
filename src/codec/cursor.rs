//! The decoding cursor: walks a packet's bytes with the nom primitives, records each field
//! in the tree (when one is wanted) and each finding as a diagnostic.

use super::diag::{self, Check, Diagnostic};
use super::fields::{self, FieldDef};
use super::primitives::{self, Vbi, VbiError};
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
    pub tree: Option<TreeBuilder<'a>>,
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
            tree: tree.then(TreeBuilder::default),
            unrepresentable: false,
        }
    }

    /// True when the input ends before the packet does.
    pub fn truncated(&self) -> bool {
        self.declared_end > self.buf.len()
    }

    /// True when the region is exhausted because the packet really ends here (not because
    /// the input was cut short): a field that should follow is missing.
    pub fn missing_here(&self) -> bool {
        self.at_end() && !(self.truncated() && self.end == self.buf.len())
    }

    pub fn left(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

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

    pub fn leaf(&mut self, field: &'static FieldDef, offset: usize, len: usize, value: Value<'a>) {
        if let Some(t) = self.tree.as_mut() {
            t.push(Node::leaf(field, offset, len, value));
        }
    }

    /// A bit field inside the byte at `offset`.
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
    pub fn meaning(&mut self, m: impl FnOnce() -> Option<Meaning>) {
        if let Some(t) = self.tree.as_mut() {
            if let Some(n) = t.last_mut() {
                n.meaning = m();
            }
        }
    }

    /// Sets the value of the innermost open node (a group whose value is known late).
    pub fn set_open_value(&mut self, value: Value<'a>) {
        if let Some(n) = self.tree.as_mut().and_then(|t| t.current_mut()) {
            n.value = value;
        }
    }

    pub fn open(&mut self, field: &'static FieldDef) {
        let pos = self.pos;
        self.open_at(field, pos, Value::None);
    }

    pub fn open_at(&mut self, field: &'static FieldDef, offset: usize, value: Value<'a>) {
        if let Some(t) = self.tree.as_mut() {
            t.open(Node::leaf(field, offset, 0, value));
        }
    }

    pub fn close(&mut self) {
        let pos = self.pos;
        if let Some(t) = self.tree.as_mut() {
            t.close(pos);
        }
    }

    // ---- reading ---------------------------------------------------------------------

    /// Reports that `field` needs `need` bytes where fewer are left, and stops.
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

    pub fn take(&mut self, n: usize, field: &'static FieldDef) -> Res<&'a [u8]> {
        let avail = &self.buf[self.pos.min(self.end)..self.end];
        match primitives::bytes(n)(avail) {
            Ok((_, b)) => {
                self.pos += n;
                Ok(b)
            }
            Err(_) => Err(self.overrun(field, n)),
        }
    }

    fn fixed<T>(
        &mut self,
        field: &'static FieldDef,
        n: usize,
        parse: fn(&[u8]) -> nom::IResult<&[u8], T>,
    ) -> Res<T> {
        let avail = &self.buf[self.pos.min(self.end)..self.end];
        match parse(avail) {
            Ok((_, v)) => {
                self.pos += n;
                Ok(v)
            }
            Err(_) => Err(self.overrun(field, n)),
        }
    }

    /// A one-byte field, recorded as a leaf.
    pub fn u8(&mut self, field: &'static FieldDef) -> Res<u8> {
        let at = self.pos;
        let v = self.fixed(field, 1, primitives::u8_)?;
        self.leaf(field, at, 1, Value::UInt(v.into()));
        Ok(v)
    }

    /// A one-byte field read without a tree node (the caller records bit fields).
    pub fn u8_raw(&mut self, field: &'static FieldDef) -> Res<u8> {
        self.fixed(field, 1, primitives::u8_)
    }

    /// A Two Byte Integer field.
    pub fn u16(&mut self, field: &'static FieldDef) -> Res<u16> {
        let at = self.pos;
        let v = self.fixed(field, 2, primitives::u16_)?;
        self.leaf(field, at, 2, Value::UInt(v.into()));
        Ok(v)
    }

    /// A Variable Byte Integer field, with the minimal-encoding check.
    pub fn vbi(&mut self, field: &'static FieldDef) -> Res<Vbi> {
        let v = self.vbi_raw(field)?;
        self.leaf(field, self.pos - v.len, v.len, Value::UInt(v.value.into()));
        Ok(v)
    }

    pub fn vbi_raw(&mut self, field: &'static FieldDef) -> Res<Vbi> {
        let at = self.pos;
        let avail = &self.buf[self.pos.min(self.end)..self.end];
        match primitives::vbi(avail) {
            Ok((_, v)) => {
                self.pos += v.len;
                if !v.is_minimal() {
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

    /// A UTF-8 Encoded String field: a node covering length and bytes, a `length` child,
    /// and the string checks of §1.5.4.
    pub fn string(&mut self, field: &'static FieldDef) -> Res<MqttStr<'a>> {
        let at = self.pos;
        let s = self.length_prefixed(field, |b| Value::Str(MqttStr(b)))?;
        self.check_utf8(field, at + 2, s, false);
        Ok(MqttStr(s))
    }

    /// Binary Data: two-byte length and bytes.
    pub fn binary(&mut self, field: &'static FieldDef) -> Res<&'a [u8]> {
        self.length_prefixed(field, Value::Bytes)
    }

    fn length_prefixed(
        &mut self,
        field: &'static FieldDef,
        value: fn(&'a [u8]) -> Value<'a>,
    ) -> Res<&'a [u8]> {
        let at = self.pos;
        let n = self.fixed(field, 2, primitives::u16_)?;
        let n = usize::from(n);
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

    /// The §1.5.4 checks on string bytes that start at `offset`.
    pub fn check_utf8(&mut self, field: &'static FieldDef, offset: usize, s: &[u8], pair: bool) {
        // Printable ASCII (the usual topic or client id) needs none of the checks below.
        if s.iter().all(|&b| (0x20..0x7f).contains(&b)) {
            return;
        }
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
            }
        }
    }

    /// All bytes up to the end of the region (a payload).
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

fn is_noncharacter(c: char) -> bool {
    let u = c as u32;
    (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE
}
