//! JSON output: its own serde types, separate from the codec's, so the format is a stable
//! contract (`--format json` is one document, `jsonl` one packet a line). The same types are
//! read back by `encode`, which needs only the field ids and values.

use super::{masks, raw_hex, Options, PacketReport, Report};
use crate::codec::diag::Diagnostic;
use crate::codec::roundtrip::RoundTrip;
use crate::codec::stream::Needed;
use crate::codec::text::escape_bytes;
use crate::codec::tree::{Node, Value};
use crate::codec::Decoded;
use serde::{Deserialize, Serialize};
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
    for p in &r.packets {
        serde_json::to_writer(&mut *w, &packet(p, opts))?;
        writeln!(w)?;
    }
    Ok(())
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
}
