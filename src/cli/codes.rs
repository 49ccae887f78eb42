//! `codes`: reason codes and return codes, all or one.

use super::args::CodesArgs;
use super::config::parse_version;
use super::{parse_code, CliError, Outcome};
use mqtt_dissect::codec::reason::{
    V3_CONNACK_RETURN_CODES, V3_SUBACK_RETURN_CODES, V5_REASON_CODES,
};
use mqtt_dissect::codec::{PacketType, ProtocolVersion};
use mqtt_dissect::present::codes::{write_detail, write_table, CodeRow};
use std::io::Write;

/// Every entry of every table, with the versions it belongs to.
fn all_rows(version: Option<ProtocolVersion>) -> Vec<CodeRow> {
    let mut rows = Vec::new();
    let want = |v: ProtocolVersion| version.is_none_or(|x| x == v);
    if want(ProtocolVersion::V5) {
        rows.extend(V5_REASON_CODES.iter().map(|info| CodeRow {
            versions: "5.0",
            info,
        }));
    }
    let v3 = want(ProtocolVersion::V3_1) || want(ProtocolVersion::V3_1_1);
    if v3 {
        let both = match version {
            Some(ProtocolVersion::V3_1) => "3.1",
            Some(ProtocolVersion::V3_1_1) => "3.1.1",
            _ => "3.1, 3.1.1",
        };
        rows.extend(V3_CONNACK_RETURN_CODES.iter().map(|info| CodeRow {
            versions: both,
            info,
        }));
        for info in V3_SUBACK_RETURN_CODES {
            // MQTT 3.1 has no SUBACK failure code.
            if info.code == 0x80 {
                if want(ProtocolVersion::V3_1_1) {
                    rows.push(CodeRow {
                        versions: "3.1.1",
                        info,
                    });
                }
            } else {
                rows.push(CodeRow {
                    versions: both,
                    info,
                });
            }
        }
    }
    rows
}

/// Runs `codes`.
pub fn run<W: Write>(a: &CodesArgs, out: &mut W) -> Result<Outcome, CliError> {
    let version = a.protocol.as_deref().map(parse_version).transpose()?;
    let packet = match &a.packet {
        Some(p) => Some(PacketType::from_name(p.trim()).ok_or_else(|| {
            CliError::Usage(format!(
                "--packet: unknown packet type '{p}' (connack, puback, pubrec, pubrel, pubcomp, \
                 suback, unsuback, disconnect, auth)"
            ))
        })?),
        None => None,
    };
    let mut rows = all_rows(version);
    if let Some(p) = packet {
        rows.retain(|r| r.info.applies_to(p));
    }
    match &a.code {
        None => {
            if rows.is_empty() {
                return Err(CliError::Failed(
                    "no reason codes for that packet type and version".into(),
                ));
            }
            write_table(out, &rows)?;
        }
        Some(c) => {
            let code = parse_code(c, "CODE")?;
            rows.retain(|r| r.info.code == code);
            if rows.is_empty() {
                return Err(CliError::Failed(format!(
                    "0x{code:02X} ({code}) is not a reason or return code{} in MQTT 3.1, 3.1.1 or 5.0",
                    packet.map(|p| format!(" of {p}")).unwrap_or_default()
                )));
            }
            write_detail(out, code, &rows)?;
        }
    }
    Ok(Outcome::Clean)
}
