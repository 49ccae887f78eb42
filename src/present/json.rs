//! JSON output: its own serde types, separate from the codec's, so the format is a stable
//! contract (`--format json` is one document, `jsonl` one packet a line). The same types are
//! read back by `encode`, which needs only the field ids and values.

use super::{jsonw, masks, raw_hex, Options, PacketReport, Report};
use crate::codec::diag::{Diagnostic, Severity};
use crate::codec::fields::FieldDef;
use crate::codec::roundtrip::RoundTrip;
use crate::codec::stream::Needed;
use crate::codec::text::{escape_bytes, Escaped};
use crate::codec::tree::{Node, Value};
use crate::codec::{Decoded, Direction, PacketType, ProtocolVersion};
use crate::dissect::version::VersionSource;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

/// The value written for a masked secret.
pub const MASKED: &str = "********";

/// The whole output of `--format json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonReport {
    /// Bytes of input.
    pub input_length: usize,
    /// Every packet, in input order.
    pub packets: Vec<JsonPacket>,
}

/// One packet (`jsonl` writes one per line).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonPacket {
    /// 1-based position in the input.
    #[serde(default)]
    pub index: usize,
    /// Offset of the first byte in the input.
    #[serde(default)]
    pub offset: usize,
    /// Bytes of the packet present in the input.
    #[serde(default)]
    pub length: usize,
    /// Packet type name (`CONNECT`…), or `Reserved(0)`.
    #[serde(rename = "type")]
    pub packet_type: String,
    /// Protocol version decoded as: `3.1`, `3.1.1` or `5.0`.
    pub version: String,
    /// Where the version came from: `connect`, `option` or `auto`.
    #[serde(default)]
    pub version_source: String,
    /// Who sent the packet, when known: `client_to_server` or `server_to_client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Why the version was assumed (for `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_reason: Option<String>,
    /// True when the input held the whole packet.
    #[serde(default)]
    pub complete: bool,
    /// Bytes missing when the input ends inside the packet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<JsonMissing>,
    /// Every finding about the packet.
    #[serde(default)]
    pub diagnostics: Vec<JsonDiagnostic>,
    /// The field tree.
    pub fields: Vec<JsonNode>,
    /// The round-trip check, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roundtrip: Option<JsonRoundTrip>,
    /// Troubleshooting advice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<String>,
    /// Another clean reading in the other version, when the version cannot be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Box<JsonPacket>>,
}

/// How many bytes a cut-short packet lacks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonMissing {
    /// Bytes missing (a minimum when `exact` is false).
    pub bytes: usize,
    /// False when the Remaining Length itself is cut, so only a minimum is known.
    pub exact: bool,
}

/// One field of the tree.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonNode {
    /// Stable field id (`connect.client_id`).
    pub field: String,
    /// Human label.
    #[serde(default)]
    pub label: String,
    /// Offset relative to the packet start.
    #[serde(default)]
    pub offset: usize,
    /// Length in bytes.
    #[serde(default)]
    pub len: usize,
    /// The bytes in hex (`**` for masked bytes).
    #[serde(default)]
    pub raw: String,
    /// For bit fields: the bit mask within the byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<u8>,
    /// The value: number, boolean, string, hex string for binary data, null for groups.
    #[serde(default)]
    pub value: serde_json::Value,
    /// True when the value is hidden (`********`); `--show-secrets` shows it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub masked: bool,
    /// For binary data that is valid UTF-8: the same bytes as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// True for a string that is not valid UTF-8 (its value is escaped text).
    #[serde(default, skip_serializing_if = "is_false")]
    pub invalid_utf8: bool,
    /// What the value means.
    #[serde(default)]
    pub meaning: Option<JsonMeaning>,
    /// Nested fields.
    #[serde(default)]
    pub children: Vec<JsonNode>,
    /// Findings about this field.
    #[serde(default)]
    pub diagnostics: Vec<JsonDiagnostic>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A value's meaning.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonMeaning {
    /// Short name.
    pub name: String,
    /// Explanation.
    #[serde(default)]
    pub detail: Option<String>,
}

/// One finding.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonDiagnostic {
    /// `error`, `warning` or `note`.
    pub severity: String,
    /// Check id (`vbi-non-minimal`).
    pub check: String,
    /// Spec statement or section.
    pub spec: String,
    /// Offset relative to the packet start.
    pub offset: usize,
    /// Bytes concerned.
    pub len: usize,
    /// Field id, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Explanation.
    pub message: String,
}

/// The round-trip result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonRoundTrip {
    /// `identical`, `differs`, `not_decoded` or `not_encodable`.
    pub result: String,
    /// The re-encoded bytes in hex (for `differs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded: Option<String>,
    /// Differing byte range in the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_range: Option<[usize; 2]>,
    /// Differing byte range in the re-encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded_range: Option<[usize; 2]>,
    /// Why they differ, or why re-encoding was not possible.
    #[serde(default)]
    pub reasons: Vec<String>,
}

fn diagnostic(d: &Diagnostic) -> JsonDiagnostic {
    JsonDiagnostic {
        severity: d.severity.to_string(),
        check: d.check.id.to_string(),
        spec: d.spec.to_string(),
        offset: d.offset,
        len: d.len,
        field: d.field.map(str::to_string),
        message: d.message.clone(),
    }
}

fn node(n: &Node<'_>, d: &Decoded<'_>, masks: &[Range<usize>], opts: &Options) -> JsonNode {
    let masked = n.field.secret && !opts.show_secrets;
    let mut text = None;
    let mut invalid_utf8 = false;
    let value = if masked {
        serde_json::Value::String(MASKED.into())
    } else {
        match n.value {
            Value::None => serde_json::Value::Null,
            Value::UInt(v) => v.into(),
            Value::Bool(b) => b.into(),
            Value::Str(s) => match s.as_str() {
                Some(t) => t.into(),
                None => {
                    invalid_utf8 = true;
                    escape_bytes(s.0).into()
                }
            },
            Value::Bytes(b) => {
                text = std::str::from_utf8(b)
                    .ok()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                hex::encode(b).into()
            }
        }
    };
    JsonNode {
        field: n.field.id.to_string(),
        label: n.field.label.to_string(),
        offset: n.offset,
        len: n.len,
        raw: raw_hex(d.bytes, n.offset..n.offset + n.len, masks, ""),
        mask: n.mask,
        value,
        masked,
        text,
        invalid_utf8,
        meaning: n.meaning.as_ref().map(|m| JsonMeaning {
            name: m.name.to_string(),
            detail: m.detail.as_ref().map(|x| x.to_string()),
        }),
        children: n.children.iter().map(|c| node(c, d, masks, opts)).collect(),
        diagnostics: n
            .diagnostics
            .iter()
            .filter_map(|&i| d.diagnostics.get(i))
            .map(diagnostic)
            .collect(),
    }
}

fn roundtrip(rt: &RoundTrip) -> JsonRoundTrip {
    let plain = |result: &str, reasons: Vec<String>| JsonRoundTrip {
        result: result.into(),
        encoded: None,
        original_range: None,
        encoded_range: None,
        reasons,
    };
    match rt {
        RoundTrip::Identical => plain("identical", Vec::new()),
        RoundTrip::Differs {
            encoded,
            first,
            original_end,
            encoded_end,
            reasons,
        } => JsonRoundTrip {
            result: "differs".into(),
            encoded: Some(hex::encode(encoded)),
            original_range: Some([*first, *original_end]),
            encoded_range: Some([*first, *encoded_end]),
            reasons: reasons.clone(),
        },
        RoundTrip::NotDecoded => plain(
            "not_decoded",
            vec!["the packet could not be decoded into typed fields".into()],
        ),
        RoundTrip::NotEncodable(e) => plain("not_encodable", vec![e.to_string()]),
    }
}

fn decoded_packet(d: &Decoded<'_>, opts: &Options) -> JsonPacket {
    let masks = masks(&d.tree, opts);
    JsonPacket {
        index: 0,
        offset: 0,
        length: d.len,
        packet_type: d.packet_type.to_string(),
        version: d.version.to_string(),
        version_source: String::new(),
        direction: None,
        version_reason: None,
        complete: d.complete,
        missing: None,
        diagnostics: d.diagnostics.iter().map(diagnostic).collect(),
        fields: d.tree.iter().map(|n| node(n, d, &masks, opts)).collect(),
        roundtrip: None,
        advice: Vec::new(),
        alternative: None,
    }
}

/// The JSON form of one packet report.
pub fn packet(p: &PacketReport<'_>, opts: &Options) -> JsonPacket {
    let mut j = decoded_packet(&p.decoded, opts);
    j.index = p.index;
    j.offset = p.offset;
    j.version_source = p.source.as_str().to_string();
    j.direction = p.direction.map(|d| direction_name(d).to_string());
    j.version_reason = p.version_reason.clone();
    j.missing = p.incomplete.map(|n| match n {
        Needed::Exactly(bytes) => JsonMissing { bytes, exact: true },
        Needed::AtLeast(bytes) => JsonMissing {
            bytes,
            exact: false,
        },
    });
    j.roundtrip = p.roundtrip.as_ref().map(roundtrip);
    j.advice = p.advice.clone();
    j.alternative = p.alternative.as_ref().map(|alt| {
        let mut a = decoded_packet(alt, opts);
        a.index = p.index;
        a.offset = p.offset;
        a.version_source = p.source.as_str().to_string();
        Box::new(a)
    });
    j
}

/// A direction as JSON names it.
pub fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client_to_server",
        Direction::ServerToClient => "server_to_client",
    }
}

/// The JSON form of a whole report.
pub fn report(r: &Report<'_>, opts: &Options) -> JsonReport {
    JsonReport {
        input_length: r.input_len,
        packets: r.packets.iter().map(|p| packet(p, opts)).collect(),
    }
}

/// Writes the report as one pretty-printed JSON document.
pub fn write<W: Write>(w: &mut W, r: &Report<'_>, opts: &Options) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &report(r, opts))?;
    writeln!(w)
}

/// Writes one compact JSON document per packet, one per line.
pub fn write_lines<W: Write>(w: &mut W, r: &Report<'_>, opts: &Options) -> io::Result<()> {
    let mut buf = Vec::with_capacity(FLUSH_AT);
    let mut writer = PacketWriter::new();
    for p in &r.packets {
        writer.write(&mut buf, &p.view(), opts);
        buf.push(b'\n');
        if buf.len() >= FLUSH_AT {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Buffered JSON is handed to the writer once it holds this much: few, large writes.
pub(crate) const FLUSH_AT: usize = 64 << 10;

/// What the JSON form of a packet is made from, borrowed: from a [`PacketReport`], or from
/// a capture's packet record without copying its decoded packet into a report.
pub(crate) struct PacketView<'r, 'a> {
    pub index: usize,
    pub offset: usize,
    pub decoded: &'r Decoded<'a>,
    pub source: VersionSource,
    /// Written when given (a capture's record says it beside the packet).
    pub direction: Option<Direction>,
    pub version_reason: Option<&'r str>,
    pub alternative: Option<&'r Decoded<'a>>,
    pub incomplete: Option<Needed>,
    pub roundtrip: Option<&'r RoundTrip>,
    pub advice: &'r [String],
}

impl<'a> PacketReport<'a> {
    pub(crate) fn view(&self) -> PacketView<'_, 'a> {
        PacketView {
            index: self.index,
            offset: self.offset,
            decoded: &self.decoded,
            source: self.source,
            direction: self.direction,
            version_reason: self.version_reason.as_deref(),
            alternative: self.alternative.as_ref(),
            incomplete: self.incomplete,
            roundtrip: self.roundtrip.as_ref(),
            advice: &self.advice,
        }
    }
}

/// A group's key and its JSON.
type Group = (Vec<NodeKey>, Box<[u8]>);

/// A field and the start of its nodes' JSON.
type FieldPrefix = (&'static FieldDef, Box<[u8]>);

/// Writes the compact JSON of [`packet`] straight into a buffer: the same bytes serde_json
/// writes for a [`JsonPacket`], without building one. Keeps what repeats from packet to
/// packet; one writer serves a whole run.
pub(crate) struct PacketWriter {
    /// `{"field":"<id>","label":"<label>","offset":` by field, direct-mapped by the field's
    /// address: the registry's fields are few and every node starts with one.
    prefixes: Vec<Option<FieldPrefix>>,
    /// Packet type names as JSON strings, by type number (0-15).
    type_names: Vec<Box<[u8]>>,
    /// Reused for escaped text.
    scratch: String,
    /// Groups (nodes with children) already written, by everything their JSON is made of:
    /// the fixed header of every packet, connect flags… are written once and then copied.
    groups: Vec<Option<Group>>,
    /// Reused for the key of the group being written.
    key: Vec<NodeKey>,
}

/// Everything a node's own JSON is made of, when that is numbers and static text only (no
/// strings or binary data from the packet, no diagnostics, nothing masked), as plain words:
/// two nodes with equal keys are written the same. Texts are compared by address and
/// length, as they are `'static`.
type NodeKey = [u64; 11];

fn node_key(n: &Node<'_>, d: &Decoded<'_>, masks: &[Range<usize>]) -> Option<NodeKey> {
    if n.field.secret || !n.diagnostics.is_empty() || !masks.is_empty() {
        return None;
    }
    let text = |c: &Cow<'static, str>| match c {
        Cow::Borrowed(s) => Some([s.as_ptr() as u64, s.len() as u64]),
        Cow::Owned(_) => None,
    };
    let (meaning, name, detail) = match &n.meaning {
        None => (0, [0; 2], [0; 2]),
        Some(m) => match &m.detail {
            None => (1, text(&m.name)?, [0; 2]),
            Some(x) => (2, text(&m.name)?, text(x)?),
        },
    };
    let (kind, value) = match n.value {
        Value::None => (0, 0),
        Value::UInt(v) => (1, v),
        Value::Bool(b) => (2, u64::from(b)),
        Value::Str(_) | Value::Bytes(_) => return None,
    };
    // The bytes `raw` shows, clamped as `hex_masked` clamps them.
    let end = (n.offset + n.len).min(d.bytes.len());
    let bytes = &d.bytes[n.offset.min(end)..end];
    let mut raw = [0; 8];
    raw.get_mut(..bytes.len())?.copy_from_slice(bytes);
    let mask = n.mask.map_or(0, |m| 0x100 | u64::from(m));
    Some([
        n.field as *const FieldDef as u64,
        n.offset as u64,
        n.len as u64,
        u64::from_le_bytes(raw),
        bytes.len() as u64 | mask << 8 | kind << 24 | meaning << 32,
        value,
        name[0],
        name[1],
        detail[0],
        detail[1],
        n.children.len() as u64,
    ])
}

/// Appends the keys of `n` and all below it (depth first); false when one has none.
fn group_key(
    n: &Node<'_>,
    d: &Decoded<'_>,
    masks: &[Range<usize>],
    key: &mut Vec<NodeKey>,
) -> bool {
    match node_key(n, d, masks) {
        Some(k) => key.push(k),
        None => return false,
    }
    n.children.iter().all(|c| group_key(c, d, masks, key))
}

/// A group's key hashed (FxHash's mixing) to pick its slot.
fn key_hash(key: &[NodeKey]) -> u64 {
    key.iter().flatten().fold(0u64, |h, &w| {
        (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

impl PacketWriter {
    const PREFIX_SLOTS: usize = 512;
    const GROUP_SLOTS: usize = 1024;

    pub(crate) fn new() -> Self {
        PacketWriter {
            prefixes: vec![None; Self::PREFIX_SLOTS],
            type_names: (0..16)
                .map(|t| {
                    let mut name = Vec::new();
                    jsonw::str(&mut name, &PacketType(t).to_string());
                    name.into()
                })
                .collect(),
            scratch: String::new(),
            groups: vec![None; Self::GROUP_SLOTS],
            key: Vec::new(),
        }
    }

    /// One packet.
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, p: &PacketView<'_, '_>, opts: &Options) {
        self.packet_head(out, p.index, p.offset, p.decoded, p.source);
        if let Some(d) = p.direction {
            out.extend_from_slice(b",\"direction\":\"");
            out.extend_from_slice(direction_name(d).as_bytes());
            out.push(b'"');
        }
        if let Some(reason) = p.version_reason {
            out.extend_from_slice(b",\"version_reason\":");
            jsonw::str(out, reason);
        }
        out.extend_from_slice(b",\"complete\":");
        jsonw::bool(out, p.decoded.complete);
        if let Some(n) = p.incomplete {
            let (bytes, exact) = match n {
                Needed::Exactly(b) => (b, true),
                Needed::AtLeast(b) => (b, false),
            };
            out.extend_from_slice(b",\"missing\":{\"bytes\":");
            jsonw::size(out, bytes);
            out.extend_from_slice(b",\"exact\":");
            jsonw::bool(out, exact);
            out.push(b'}');
        }
        self.body(out, p.decoded, opts);
        if let Some(rt) = p.roundtrip {
            out.extend_from_slice(b",\"roundtrip\":");
            write_roundtrip(out, rt);
        }
        if !p.advice.is_empty() {
            out.extend_from_slice(b",\"advice\":");
            jsonw::str_array(out, p.advice);
        }
        if let Some(alt) = p.alternative {
            out.extend_from_slice(b",\"alternative\":");
            self.packet_head(out, p.index, p.offset, alt, p.source);
            out.extend_from_slice(b",\"complete\":");
            jsonw::bool(out, alt.complete);
            self.body(out, alt, opts);
            out.push(b'}');
        }
        out.push(b'}');
    }

    /// `{"index":…` up to `version_source`.
    fn packet_head(
        &self,
        out: &mut Vec<u8>,
        index: usize,
        offset: usize,
        d: &Decoded<'_>,
        source: VersionSource,
    ) {
        out.extend_from_slice(b"{\"index\":");
        jsonw::size(out, index);
        out.extend_from_slice(b",\"offset\":");
        jsonw::size(out, offset);
        out.extend_from_slice(b",\"length\":");
        jsonw::size(out, d.len);
        out.extend_from_slice(b",\"type\":");
        match self.type_names.get(usize::from(d.packet_type.0)) {
            Some(name) => out.extend_from_slice(name),
            None => jsonw::str(out, &d.packet_type.to_string()),
        }
        out.extend_from_slice(b",\"version\":");
        out.extend_from_slice(version_json(d.version));
        out.extend_from_slice(match source {
            VersionSource::Connect => b",\"version_source\":\"connect\"",
            VersionSource::Option => b",\"version_source\":\"option\"",
            VersionSource::Auto => b",\"version_source\":\"auto\"",
        });
    }

    /// `,"diagnostics":[…],"fields":[…]`.
    fn body(&mut self, out: &mut Vec<u8>, d: &Decoded<'_>, opts: &Options) {
        out.extend_from_slice(b",\"diagnostics\":[");
        for (i, x) in d.diagnostics.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_diagnostic(out, x);
        }
        out.extend_from_slice(b"],\"fields\":[");
        let masks = masks(&d.tree, opts);
        for (i, n) in d.tree.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.node(out, n, d, &masks, opts);
        }
        out.push(b']');
    }

    /// The start of a node of `field`, up to its offset.
    fn prefix(&mut self, out: &mut Vec<u8>, field: &'static FieldDef) {
        let slot = &mut self.prefixes[(field as *const FieldDef as usize
            / std::mem::align_of::<FieldDef>())
            % Self::PREFIX_SLOTS];
        match slot {
            Some((f, prefix)) if std::ptr::eq(*f, field) => out.extend_from_slice(prefix),
            _ => {
                let mut prefix = b"{\"field\":".to_vec();
                jsonw::str(&mut prefix, field.id);
                prefix.extend_from_slice(b",\"label\":");
                jsonw::str(&mut prefix, field.label);
                prefix.extend_from_slice(b",\"offset\":");
                out.extend_from_slice(&prefix);
                *slot = Some((field, prefix.into_boxed_slice()));
            }
        }
    }

    /// One node of the tree, as [`node`] builds it; a group seen before is copied.
    fn node(
        &mut self,
        out: &mut Vec<u8>,
        n: &Node<'_>,
        d: &Decoded<'_>,
        masks: &[Range<usize>],
        opts: &Options,
    ) {
        if n.children.is_empty() {
            return self.write_node(out, n, d, masks, opts);
        }
        self.key.clear();
        if !group_key(n, d, masks, &mut self.key) {
            return self.write_node(out, n, d, masks, opts);
        }
        let slot = (key_hash(&self.key) % Self::GROUP_SLOTS as u64) as usize;
        if let Some((key, json)) = &self.groups[slot] {
            if *key == self.key {
                return out.extend_from_slice(json);
            }
        }
        let start = out.len();
        let key = std::mem::take(&mut self.key);
        self.write_node(out, n, d, masks, opts);
        // Direct-mapped: a group replaces the one in its slot (bounded memory).
        self.groups[slot] = Some((key, out[start..].into()));
    }

    /// One node, written out.
    fn write_node(
        &mut self,
        out: &mut Vec<u8>,
        n: &Node<'_>,
        d: &Decoded<'_>,
        masks: &[Range<usize>],
        opts: &Options,
    ) {
        self.prefix(out, n.field);
        jsonw::size(out, n.offset);
        out.extend_from_slice(b",\"len\":");
        jsonw::size(out, n.len);
        out.extend_from_slice(b",\"raw\":\"");
        let raw_start = out.len();
        let raw_bytes = jsonw::hex_masked(out, d.bytes, n.offset..n.offset + n.len, masks);
        let raw = raw_bytes.map(|b| (b, raw_start..out.len()));
        out.push(b'"');
        if let Some(m) = n.mask {
            out.extend_from_slice(b",\"mask\":");
            jsonw::uint(out, m);
        }
        out.extend_from_slice(b",\"value\":");
        let masked = n.field.secret && !opts.show_secrets;
        if masked {
            jsonw::str(out, MASKED);
            out.extend_from_slice(b",\"masked\":true");
        } else {
            match n.value {
                Value::None => out.extend_from_slice(b"null"),
                Value::UInt(v) => jsonw::uint(out, v),
                Value::Bool(b) => jsonw::bool(out, b),
                Value::Str(s) => match s.as_str() {
                    Some(t) => jsonw::str(out, t),
                    None => {
                        self.scratch.clear();
                        // Writing into a String cannot fail.
                        let _ = write!(self.scratch, "{}", Escaped(s.0));
                        jsonw::str(out, &self.scratch);
                        out.extend_from_slice(b",\"invalid_utf8\":true");
                    }
                },
                Value::Bytes(b) => {
                    out.push(b'"');
                    match raw {
                        // Binary data is usually the node's own bytes (a payload): its hex
                        // was just written as `raw`.
                        Some((r, hex)) if std::ptr::eq(r, b) => out.extend_from_within(hex),
                        _ => jsonw::hex(out, b),
                    }
                    out.push(b'"');
                    if let Some(t) = std::str::from_utf8(b).ok().filter(|t| !t.is_empty()) {
                        out.extend_from_slice(b",\"text\":");
                        jsonw::str(out, t);
                    }
                }
            }
        }
        if n.meaning.is_none() && n.children.is_empty() && n.diagnostics.is_empty() {
            // Most nodes: one copy for the whole end.
            out.extend_from_slice(b",\"meaning\":null,\"children\":[],\"diagnostics\":[]}");
            return;
        }
        out.extend_from_slice(b",\"meaning\":");
        match &n.meaning {
            None => out.extend_from_slice(b"null"),
            Some(m) => {
                out.extend_from_slice(b"{\"name\":");
                jsonw::str(out, &m.name);
                out.extend_from_slice(b",\"detail\":");
                jsonw::opt_str(out, m.detail.as_deref());
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"children\":[");
        for (i, c) in n.children.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.node(out, c, d, masks, opts);
        }
        out.extend_from_slice(b"],\"diagnostics\":[");
        let mut first = true;
        for x in n.diagnostics.iter().filter_map(|&i| d.diagnostics.get(i)) {
            if !first {
                out.push(b',');
            }
            first = false;
            write_diagnostic(out, x);
        }
        out.extend_from_slice(b"]}");
    }
}

/// The version as a JSON string (what `version_str` gives, quoted).
pub(crate) fn version_json(v: ProtocolVersion) -> &'static [u8] {
    match v {
        ProtocolVersion::V3_1 => b"\"3.1\"",
        ProtocolVersion::V3_1_1 => b"\"3.1.1\"",
        ProtocolVersion::V5 => b"\"5.0\"",
    }
}

pub(crate) fn version_str(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::V3_1 => "3.1",
        ProtocolVersion::V3_1_1 => "3.1.1",
        ProtocolVersion::V5 => "5.0",
    }
}

fn write_diagnostic(out: &mut Vec<u8>, d: &Diagnostic) {
    out.extend_from_slice(b"{\"severity\":");
    jsonw::str(
        out,
        match d.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        },
    );
    out.extend_from_slice(b",\"check\":");
    jsonw::str(out, d.check.id);
    out.extend_from_slice(b",\"spec\":");
    jsonw::str(out, d.spec);
    out.extend_from_slice(b",\"offset\":");
    jsonw::size(out, d.offset);
    out.extend_from_slice(b",\"len\":");
    jsonw::size(out, d.len);
    if let Some(f) = d.field {
        out.extend_from_slice(b",\"field\":");
        jsonw::str(out, f);
    }
    out.extend_from_slice(b",\"message\":");
    jsonw::str(out, &d.message);
    out.push(b'}');
}

fn write_roundtrip(out: &mut Vec<u8>, rt: &RoundTrip) {
    let (result, reasons): (&str, Vec<String>) = match rt {
        RoundTrip::Identical => ("identical", Vec::new()),
        RoundTrip::Differs {
            encoded,
            first,
            original_end,
            encoded_end,
            reasons,
        } => {
            out.extend_from_slice(b"{\"result\":\"differs\",\"encoded\":\"");
            jsonw::hex(out, encoded);
            out.extend_from_slice(b"\",\"original_range\":[");
            jsonw::size(out, *first);
            out.push(b',');
            jsonw::size(out, *original_end);
            out.extend_from_slice(b"],\"encoded_range\":[");
            jsonw::size(out, *first);
            out.push(b',');
            jsonw::size(out, *encoded_end);
            out.extend_from_slice(b"],\"reasons\":");
            jsonw::str_array(out, reasons);
            out.push(b'}');
            return;
        }
        RoundTrip::NotDecoded => (
            "not_decoded",
            vec!["the packet could not be decoded into typed fields".into()],
        ),
        RoundTrip::NotEncodable(e) => ("not_encodable", vec![e.to_string()]),
    };
    out.extend_from_slice(b"{\"result\":");
    jsonw::str(out, result);
    out.extend_from_slice(b",\"reasons\":");
    jsonw::str_array(out, &reasons);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode, DecodeOptions, ProtocolVersion};

    #[test]
    fn json_and_jsonl_into_a_vec() {
        let bytes = [0x40, 0x02, 0x00, 0x07, 0xc0, 0x00];
        let opts = DecodeOptions::new(ProtocolVersion::V3_1_1);
        let r = Report {
            input_len: 6,
            packets: vec![
                PacketReport::new(1, 0, decode(&bytes[..4], &opts)),
                PacketReport::new(2, 4, decode(&bytes[4..], &opts)),
            ],
        };
        let mut out = Vec::new();
        assert!(write(&mut out, &r, &Options::default()).is_ok());
        let back: Result<JsonReport, _> = serde_json::from_slice(&out);
        let back = back.ok();
        assert_eq!(back.as_ref().map(|b| b.packets.len()), Some(2));
        let pid = back.as_ref().and_then(|b| {
            b.packets[0]
                .fields
                .iter()
                .find(|f| f.field == "packet_id")
                .cloned()
        });
        assert_eq!(
            pid.map(|f| (f.offset, f.value)),
            Some((2, serde_json::json!(7)))
        );
        let mut lines = Vec::new();
        assert!(write_lines(&mut lines, &r, &Options::default()).is_ok());
        assert_eq!(lines.iter().filter(|&&b| b == b'\n').count(), 2);
    }

    /// An MQTT string: two length bytes, then the bytes.
    fn mqtt_str(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    /// A packet from its first byte and body (Remaining Length below 128).
    fn packet_bytes(first: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![first, body.len() as u8];
        v.extend_from_slice(body);
        v
    }

    /// Packets whose JSON needs escaping, masking, `invalid_utf8`, `text`, diagnostics…
    fn tricky_packets() -> Vec<Vec<u8>> {
        let tricky: &[u8] = b"q\"u\\o\n\x00\x1b\x7f\xc3\xa9\xff";
        let mut connect = mqtt_str(b"MQTT");
        connect.extend_from_slice(&[4, 0xc2, 0, 60]);
        connect.extend(mqtt_str(tricky));
        connect.extend(mqtt_str(b"us\"er"));
        connect.extend(mqtt_str(b"pa\x01ss"));
        let mut publish = mqtt_str(b"a/\"b\\\n/\xe2\x9c\x93");
        publish.extend_from_slice(b"{\"k\":\"\x01\"}");
        let mut binary = mqtt_str(b"t");
        binary.extend_from_slice(&[0x00, 0xff, b'x']);
        let mut v5_connack = vec![0, 0x80, 6, 0x1f];
        v5_connack.extend(mqtt_str(b"\t\x08\x0c"));
        vec![
            packet_bytes(0x10, &connect),
            packet_bytes(0x30, &publish),
            packet_bytes(0x33, &binary),
            packet_bytes(0x20, &v5_connack),
            packet_bytes(0x82, &[0, 1, 0, 1, b'#', 3]),
            vec![0x00, 0x00],
            vec![0x30, 0x10, 0x00],
            vec![0x30, 0xff],
        ]
    }

    #[test]
    fn hand_written_json_is_serde_json_byte_for_byte() {
        let packets = tricky_packets();
        // One writer throughout, each packet twice: what it keeps (field prefixes, groups)
        // must not change what it writes.
        let mut writer = PacketWriter::new();
        for show_secrets in [false, true] {
            let opts = Options {
                show_secrets,
                ..Options::default()
            };
            for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                for (i, bytes) in packets.iter().enumerate() {
                    let d = decode(bytes, &DecodeOptions::new(version));
                    let mut p = PacketReport::new(i + 1, 3 * i, d.clone());
                    p.roundtrip = Some(crate::codec::roundtrip::check(&d));
                    p.incomplete = (i % 2 == 0).then_some(Needed::Exactly(i));
                    p.version_reason = Some("why \"this\"\n".into());
                    p.advice = vec!["advice \u{1}".into(), "two".into()];
                    p.alternative = (i % 3 == 0).then(|| d.clone());
                    let directions = [
                        None,
                        Some(Direction::ClientToServer),
                        Some(Direction::ServerToClient),
                    ];
                    p.direction = directions[i % 3];
                    let mut ours = Vec::new();
                    writer.write(&mut ours, &p.view(), &opts);
                    let mut again = Vec::new();
                    writer.write(&mut again, &p.view(), &opts);
                    assert_eq!(ours, again);
                    let reference = packet(&p, &opts);
                    let theirs = serde_json::to_vec(&reference).ok();
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(theirs.as_deref().unwrap_or_default()),
                        "packet {i}, {version}, show_secrets {show_secrets}"
                    );
                    let back: Option<JsonPacket> = serde_json::from_slice(&ours).ok();
                    assert_eq!(back.as_ref(), Some(&reference));
                }
            }
        }
    }

    #[test]
    fn tricky_packets_cover_what_they_should() {
        let mut out = Vec::new();
        let opts = DecodeOptions::new(ProtocolVersion::V3_1_1);
        let mut writer = PacketWriter::new();
        for bytes in tricky_packets() {
            let r = PacketReport::new(1, 0, decode(&bytes, &opts));
            writer.write(&mut out, &r.view(), &Options::default());
        }
        let text = String::from_utf8_lossy(&out);
        for want in [
            "\"invalid_utf8\":true",
            "\"masked\":true",
            "\"text\":",
            "\\u0001",
            "\\\"",
            "\"type\":\"Reserved(0)\"",
        ] {
            assert!(text.contains(want), "{want}");
        }
    }

    #[test]
    fn version_json_is_version_str_quoted() {
        for v in [
            ProtocolVersion::V3_1,
            ProtocolVersion::V3_1_1,
            ProtocolVersion::V5,
        ] {
            assert_eq!(
                serde_json::to_vec(version_str(v)).ok().as_deref(),
                Some(version_json(v))
            );
            assert_eq!(version_str(v), v.to_string());
        }
    }
}
