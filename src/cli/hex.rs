//! `hex`: read pasted bytes, decode every packet in order, print.

use super::args::OutputFormat;
use super::config::{HexConfig, Input};
use super::{read_source, CliError, Outcome};
use mqtt_dissect::codec::diag::Severity;
use mqtt_dissect::codec::roundtrip;
use mqtt_dissect::codec::stream::{frame, Frame};
use mqtt_dissect::codec::tree::{self, Value};
use mqtt_dissect::codec::{Decoded, PacketType};
use mqtt_dissect::dissect::version::VersionTracker;
use mqtt_dissect::present::advice::{protocol_version_remedy, ClientRequest};
use mqtt_dissect::present::{json, pretty, table, PacketReport, Report};
use mqtt_dissect::transport::hextext::parse_hex_text;
use std::io::Write;

/// Turns the configured input into bytes; unusable input is a usage error (exit 2).
pub fn input_bytes(input: &Input) -> Result<Vec<u8>, CliError> {
    let (text, what) = match input {
        Input::BinaryFile(p) => {
            let bytes = read_source(p.as_deref())?;
            if bytes.is_empty() {
                return Err(CliError::Usage(
                    "empty input: the binary file has no bytes".into(),
                ));
            }
            return Ok(bytes);
        }
        Input::Args(s) => (s.clone(), "the arguments"),
        Input::TextFile(p) => {
            let raw = read_source(p.as_deref())?;
            let text = String::from_utf8(raw).map_err(|e| {
                CliError::Usage(format!(
                    "the input is not text (invalid UTF-8 at byte {}); for a raw binary file use -b FILE",
                    e.utf8_error().valid_up_to()
                ))
            })?;
            (
                text,
                if p.is_some() {
                    "the file"
                } else {
                    "standard input"
                },
            )
        }
    };
    parse_hex_text(&text).map_err(|e| CliError::Usage(format!("cannot read hex from {what}: {e}")))
}

/// Decodes every packet of `bytes` in order.
pub fn dissect<'a>(bytes: &'a [u8], cfg: &HexConfig) -> Report<'a> {
    let mut tracker = VersionTracker::new(cfg.protocol);
    let mut packets = Vec::new();
    let mut pos = 0;
    let mut client: Option<ClientRequest> = None;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let (len, incomplete, stop) = match frame(rest) {
            Frame::Complete { len } => (len, None, false),
            Frame::Incomplete(n) => (rest.len(), Some(n), true),
            Frame::Invalid => (rest.len(), None, true),
        };
        let assumed = tracker.decode(&rest[..len], cfg.direction);
        let index = packets.len() + 1;
        let mut p = PacketReport::new(index, pos, assumed.decoded);
        p.source = assumed.source;
        p.direction = cfg.direction;
        p.version_reason = assumed.reason;
        p.alternative = assumed.alternative.map(|b| *b);
        p.incomplete = incomplete;
        if let Some(c) = client_request(&p.decoded, index) {
            client = Some(c);
        }
        p.advice = protocol_version_remedy(&p.decoded, client);
        if cfg.roundtrip {
            p.roundtrip = Some(roundtrip::check(&p.decoded));
        }
        packets.push(p);
        pos += len;
        if stop {
            break;
        }
    }
    Report {
        input_len: bytes.len(),
        packets,
    }
}

/// What a CONNECT asked for, read from its field tree so that a malformed CONNECT (a level
/// changed by hand, say) still counts.
fn client_request(d: &Decoded<'_>, index: usize) -> Option<ClientRequest> {
    if d.packet_type != PacketType::CONNECT {
        return None;
    }
    let level = match tree::find(&d.tree, "connect.protocol_level")?.value {
        Value::UInt(v) => u8::try_from(v).ok()?,
        _ => return None,
    };
    let name_is_mqisdp = matches!(
        tree::find(&d.tree, "connect.protocol_name").map(|n| n.value),
        Some(Value::Str(s)) if s.0 == b"MQIsdp"
    );
    Some(ClientRequest {
        level,
        name_is_mqisdp,
        index,
    })
}

/// Runs `hex`: exit 0 when every packet is whole and without errors, 1 otherwise.
pub fn run<W: Write>(cfg: &HexConfig, out: &mut W) -> Result<Outcome, CliError> {
    let bytes = input_bytes(&cfg.input)?;
    let report = dissect(&bytes, cfg);
    let opts = &cfg.present;
    match cfg.format {
        OutputFormat::Pretty => {
            pretty::write(out, &report, opts)?;
            pretty::write_summary(out, &report, opts)?;
        }
        OutputFormat::Json => json::write(out, &report, opts)?,
        OutputFormat::Jsonl => json::write_lines(out, &report, opts)?,
        OutputFormat::Table => table::write(out, &report, opts)?,
    }
    let bad = report.packets.iter().any(|p| {
        p.incomplete.is_some()
            || p.decoded
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
    });
    Ok(if bad {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}
