//! Rendering decoded packets: `pretty` (field tree and marked hex dump), `json`, `jsonl`,
//! `table`, and the reason-code tables of `codes`.
//!
//! Every printer writes to any `W: io::Write` and is tested by printing into a `Vec<u8>`.
//! Strings from the wire are printed through [`escape_bytes`](crate::codec::text::escape_bytes)
//! only: nothing in a packet can move a terminal's cursor. Passwords and authentication data
//! are masked unless [`Options::show_secrets`] is set.

pub mod advice;
pub mod capture;
pub mod codes;
mod format;
pub mod json;
mod jsonw;
pub mod line;
pub mod payload;
pub mod pretty;
pub mod stats;
pub mod style;
pub mod table;

use crate::codec::roundtrip::RoundTrip;
use crate::codec::stream::Needed;
use crate::codec::tree::{Node, Value};
use crate::codec::{Decoded, Direction};
use crate::dissect::version::VersionSource;
use std::ops::Range;

/// How a PUBLISH payload (and a Will Payload) is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PayloadMode {
    /// JSON pretty-printed when it parses, else UTF-8 text, else a hex dump.
    #[default]
    Auto,
    /// As text (invalid bytes escaped).
    Text,
    /// As a hex dump.
    Hex,
    /// Pretty-printed JSON (text with a note when it does not parse).
    Json,
}

/// What every printer needs to know beyond the packets.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Use ANSI colours.
    pub color: bool,
    /// Show passwords and authentication data instead of `********`.
    pub show_secrets: bool,
    /// How payloads are shown.
    pub payload: PayloadMode,
}

/// One packet of the input with everything said about it.
#[derive(Clone, Debug)]
pub struct PacketReport<'a> {
    /// 1-based position in the input.
    pub index: usize,
    /// Offset of the packet's first byte in the input.
    pub offset: usize,
    /// The reading shown.
    pub decoded: Decoded<'a>,
    /// Where its version came from.
    pub source: VersionSource,
    /// Who sent it, when known (`hex --from`).
    pub direction: Option<Direction>,
    /// Why that version, when it was assumed.
    pub version_reason: Option<String>,
    /// A second reading, also without errors, when the version cannot be told.
    pub alternative: Option<Decoded<'a>>,
    /// Set when the input ends inside this packet.
    pub incomplete: Option<Needed>,
    /// The round-trip check, when asked for.
    pub roundtrip: Option<RoundTrip>,
    /// Troubleshooting advice (e.g. the protocol-version remedy for a refused CONNECT).
    pub advice: Vec<String>,
}

impl<'a> PacketReport<'a> {
    /// A report with nothing but the decoded packet.
    pub fn new(index: usize, offset: usize, decoded: Decoded<'a>) -> Self {
        PacketReport {
            index,
            offset,
            decoded,
            source: VersionSource::Option,
            direction: None,
            version_reason: None,
            alternative: None,
            incomplete: None,
            roundtrip: None,
            advice: Vec::new(),
        }
    }
}

/// Everything decoded from one input.
#[derive(Clone, Debug, Default)]
pub struct Report<'a> {
    /// Length of the input in bytes.
    pub input_len: usize,
    /// The packets, in input order.
    pub packets: Vec<PacketReport<'a>>,
}

/// Byte ranges (relative to the packet) holding secret values, to be masked.
pub(crate) fn secret_ranges(nodes: &[Node<'_>]) -> Vec<Range<usize>> {
    // Recursive rather than `Node::walk`: no allocation for the usual packet without secrets.
    fn collect(nodes: &[Node<'_>], out: &mut Vec<Range<usize>>) {
        for n in nodes {
            if n.field.secret {
                let value_len = match n.value {
                    Value::Bytes(b) => b.len(),
                    Value::Str(s) => s.len(),
                    _ => n.len,
                }
                .min(n.len);
                let end = n.offset + n.len;
                out.push(end - value_len..end);
            }
            collect(&n.children, out);
        }
    }
    let mut out = Vec::new();
    collect(nodes, &mut out);
    out
}

/// The secret ranges to mask under these options (none with `--show-secrets`).
pub(crate) fn masks(nodes: &[Node<'_>], opts: &Options) -> Vec<Range<usize>> {
    if opts.show_secrets {
        Vec::new()
    } else {
        secret_ranges(nodes)
    }
}

pub(crate) fn is_masked(masks: &[Range<usize>], i: usize) -> bool {
    masks.iter().any(|r| r.contains(&i))
}

/// Hex of `bytes[range]` (clamped), masked bytes as `**`, joined by `sep`.
pub(crate) fn raw_hex(
    bytes: &[u8],
    range: Range<usize>,
    masks: &[Range<usize>],
    sep: &str,
) -> String {
    let end = range.end.min(bytes.len());
    let start = range.start.min(end);
    let mut s = String::with_capacity((end - start) * (2 + sep.len()));
    for (i, b) in bytes[start..end].iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        if is_masked(masks, start + i) {
            s.push_str("**");
        } else {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    s
}

/// Gives a table a width when standard output is not a terminal (comfy-table measures a
/// terminal itself): `COLUMNS`, else 120 columns, so that long cells wrap in files too.
pub(crate) fn fit_width(t: &mut comfy_table::Table) {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|&w| w >= 40)
            .unwrap_or(120);
        t.set_width(width);
    }
}
