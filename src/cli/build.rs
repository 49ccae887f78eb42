//! `build`: a packet from flags, printed as bytes.

use super::args::{BuildCommand, BuildCommon};
use super::config::parse_version;
use super::props::{self, OwnedProperty};
use super::{format_bytes, parse_code, CliError, Outcome};
use mqtt_dissect::codec::diag::Severity;
use mqtt_dissect::codec::{
    self, ConnAck, Connect, DecodeOptions, Disconnect, MqttStr, Packet, Properties,
    ProtocolVersion, PubResponse, Publish, QoS, ReasonCode, Subscribe, Subscription, Unsubscribe,
    Will,
};
use std::io::Write;

fn qos(v: u8, what: &str) -> Result<QoS, CliError> {
    QoS::from_u8(v)
        .ok_or_else(|| CliError::Usage(format!("{what}: QoS {v} does not exist (0, 1 or 2)")))
}

fn parse_props(list: &[String]) -> Result<Vec<OwnedProperty>, CliError> {
    list.iter().map(|s| props::parse(s)).collect()
}

fn borrow_props(list: &[OwnedProperty]) -> Result<Properties<'_>, CliError> {
    props::borrow(list).map_err(|e| CliError::Usage(format!("--property {e}")))
}

/// A subscription `FILTER[:QOS]`: the suffix is a QoS only when it is 0, 1 or 2, so filters
/// that contain ':' still work.
fn split_filter(s: &str, default: QoS) -> (&str, QoS) {
    if let Some((f, q)) = s.rsplit_once(':') {
        if let Ok(n) = q.parse::<u8>() {
            if let Some(q) = QoS::from_u8(n) {
                return (f, q);
            }
        }
    }
    (s, default)
}

/// Runs `build`: prints the packet, with its length on stderr.
pub fn run<W: Write>(cmd: BuildCommand, out: &mut W) -> Result<Outcome, CliError> {
    let common: BuildCommon = match &cmd {
        BuildCommand::Connect(a) => a.common.clone(),
        BuildCommand::Connack(a) => a.common.clone(),
        BuildCommand::Publish(a) => a.common.clone(),
        BuildCommand::Puback(a)
        | BuildCommand::Pubrec(a)
        | BuildCommand::Pubrel(a)
        | BuildCommand::Pubcomp(a) => a.common.clone(),
        BuildCommand::Subscribe(a) => a.common.clone(),
        BuildCommand::Unsubscribe(a) => a.common.clone(),
        BuildCommand::Pingreq(a) | BuildCommand::Pingresp(a) => a.common.clone(),
        BuildCommand::Disconnect(a) => a.common.clone(),
    };
    let version = parse_version(&common.protocol)?;
    let owned = parse_props(&common.properties)?;
    let properties = borrow_props(&owned)?;
    let will_owned = match &cmd {
        BuildCommand::Connect(a) => parse_props(&a.will_properties)?,
        _ => Vec::new(),
    };
    let payload_hex;
    let packet = match &cmd {
        BuildCommand::Connect(a) => Packet::Connect(Box::new(Connect {
            protocol_name: MqttStr(version.protocol_name().as_bytes()),
            protocol_level: version.level(),
            clean_start: a.clean,
            keep_alive: a.keep_alive,
            properties,
            client_id: MqttStr(a.client_id.as_bytes()),
            will: match &a.will_topic {
                Some(t) => Some(Will {
                    qos: qos(a.will_qos, "--will-qos")?,
                    retain: a.will_retain,
                    properties: borrow_props(&will_owned)?,
                    topic: MqttStr(t.as_bytes()),
                    payload: a.will_message.as_deref().unwrap_or("").as_bytes(),
                }),
                None => None,
            },
            username: a.username.as_deref().map(|u| MqttStr(u.as_bytes())),
            password: a.password.as_deref().map(str::as_bytes),
        })),
        BuildCommand::Connack(a) => Packet::ConnAck(ConnAck {
            session_present: a.session_present,
            code: ReasonCode(parse_code(&a.code, "--code")?),
            properties,
        }),
        BuildCommand::Publish(a) => {
            let q = qos(a.qos, "--qos")?;
            payload_hex = match &a.message_hex {
                Some(h) => mqtt_dissect::transport::hextext::parse_hex_text(h)
                    .map_err(|e| CliError::Usage(format!("--message-hex: {e}")))?,
                None => Vec::new(),
            };
            let payload: &[u8] = match (&a.message, &a.message_hex) {
                (Some(m), _) => m.as_bytes(),
                (None, Some(_)) => &payload_hex,
                (None, None) => b"",
            };
            let packet_id =
                match (q, a.packet_id) {
                    (QoS::AtMostOnce, Some(_)) => return Err(CliError::Usage(
                        "--packet-id: a QoS 0 PUBLISH has no Packet Identifier (add --qos 1 or 2)"
                            .into(),
                    )),
                    (QoS::AtMostOnce, None) => None,
                    (_, id) => Some(id.unwrap_or(1)),
                };
            Packet::Publish(Publish {
                dup: a.dup,
                qos: q,
                retain: a.retain,
                topic: MqttStr(a.topic.as_bytes()),
                packet_id,
                properties,
                payload,
            })
        }
        BuildCommand::Puback(a)
        | BuildCommand::Pubrec(a)
        | BuildCommand::Pubrel(a)
        | BuildCommand::Pubcomp(a) => {
            let r = PubResponse {
                packet_id: a.packet_id,
                reason_code: ReasonCode(parse_code(&a.reason_code, "--reason-code")?),
                properties,
            };
            match cmd {
                BuildCommand::Puback(_) => Packet::PubAck(r),
                BuildCommand::Pubrec(_) => Packet::PubRec(r),
                BuildCommand::Pubrel(_) => Packet::PubRel(r),
                _ => Packet::PubComp(r),
            }
        }
        BuildCommand::Subscribe(a) => {
            let default = qos(a.qos, "--qos")?;
            let subscriptions = a
                .topics
                .iter()
                .map(|t| {
                    let (filter, q) = split_filter(t, default);
                    Subscription {
                        filter: MqttStr(filter.as_bytes()),
                        qos: q,
                        no_local: a.no_local,
                        retain_as_published: a.retain_as_published,
                        retain_handling: a.retain_handling,
                    }
                })
                .collect();
            Packet::Subscribe(Subscribe {
                packet_id: a.packet_id,
                properties,
                subscriptions,
            })
        }
        BuildCommand::Unsubscribe(a) => Packet::Unsubscribe(Unsubscribe {
            packet_id: a.packet_id,
            properties,
            filters: a.topics.iter().map(|t| MqttStr(t.as_bytes())).collect(),
        }),
        BuildCommand::Pingreq(_) => Packet::PingReq,
        BuildCommand::Pingresp(_) => Packet::PingResp,
        BuildCommand::Disconnect(a) => Packet::Disconnect(Disconnect {
            reason_code: ReasonCode(parse_code(&a.reason_code, "--reason-code")?),
            properties,
        }),
    };
    let bytes = encode_checked(&packet, version)?;
    writeln!(out, "{}", format_bytes(&bytes, common.format))?;
    out.flush()?;
    report_to_stderr(&bytes, version);
    Ok(Outcome::Clean)
}

/// Encodes, naming the field the encoder refuses.
pub fn encode_checked(packet: &Packet<'_>, version: ProtocolVersion) -> Result<Vec<u8>, CliError> {
    codec::encode(packet, version).map_err(|e| CliError::Failed(format!("cannot encode: {e}")))
}

/// The length (what AT+CIPSEND-style commands ask for) and anything the decoder would
/// object to, on stderr so that stdout stays the bytes alone.
fn report_to_stderr(bytes: &[u8], version: ProtocolVersion) {
    let d = codec::decode(bytes, &DecodeOptions::new(version));
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "{} {} bytes (MQTT {version})",
        d.packet_type,
        bytes.len()
    );
    for x in d
        .diagnostics
        .iter()
        .filter(|x| x.severity >= Severity::Warning)
    {
        let _ = writeln!(
            err,
            "{} [{}] {} ({})",
            x.severity, x.spec, x.message, x.check.id
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_qos_suffix() {
        assert_eq!(
            split_filter("a/b:1", QoS::AtMostOnce),
            ("a/b", QoS::AtLeastOnce)
        );
        assert_eq!(
            split_filter("a:b", QoS::AtMostOnce),
            ("a:b", QoS::AtMostOnce)
        );
        assert_eq!(
            split_filter("a/#", QoS::ExactlyOnce),
            ("a/#", QoS::ExactlyOnce)
        );
    }
}
