//! `encode`: the JSON of `hex --format json` (the whole output, one packet, a list of packets
//! or `jsonl` lines) back to bytes. Only field ids and values are read: offsets, raw bytes
//! and lengths are recomputed by the encoder.

use super::args::EncodeArgs;
use super::build::encode_checked;
use super::props::{self, def_by_field, OwnedProperty, OwnedValue};
use super::{format_bytes, read_source, CliError, Outcome};
use mqtt_dissect::codec::fields::{self, FieldKind};
use mqtt_dissect::codec::{
    Auth, ConnAck, Connect, Disconnect, MqttStr, Packet, PacketType, Properties, ProtocolVersion,
    PubResponse, Publish, QoS, ReasonCode, SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe,
    Will,
};
use mqtt_dissect::present::json::{JsonNode, JsonPacket, JsonReport};
use serde::Deserialize;
use std::io::Write;

#[derive(Deserialize)]
#[serde(untagged)]
enum Doc {
    Report(JsonReport),
    Packet(Box<JsonPacket>),
    List(Vec<JsonPacket>),
}

/// Reads the packets of any of the accepted shapes.
fn packets(text: &str) -> Result<Vec<JsonPacket>, CliError> {
    match serde_json::from_str::<Doc>(text) {
        Ok(Doc::Report(r)) => return Ok(r.packets),
        Ok(Doc::Packet(p)) => return Ok(vec![*p]),
        Ok(Doc::List(l)) => return Ok(l),
        Err(_) => {}
    }
    // jsonl: one packet a line.
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let p: JsonPacket = serde_json::from_str(line).map_err(|e| {
            CliError::Usage(format!(
                "line {}: not the JSON of `mqtt-dissect hex --format json` or `jsonl`: {e}",
                i + 1
            ))
        })?;
        out.push(p);
    }
    if out.is_empty() {
        return Err(CliError::Usage("empty input: no JSON packets found".into()));
    }
    Ok(out)
}

/// Runs `encode`: one line of bytes per packet.
pub fn run<W: Write>(a: &EncodeArgs, out: &mut W) -> Result<Outcome, CliError> {
    let raw = read_source(a.file.as_deref())?;
    let text = String::from_utf8(raw)
        .map_err(|_| CliError::Usage("the input is not UTF-8 text (JSON expected)".into()))?;
    for (i, p) in packets(&text)?.iter().enumerate() {
        let bytes = encode_packet(p)
            .map_err(|e| CliError::Failed(format!("packet #{} ({}): {e}", i + 1, p.packet_type)))?;
        writeln!(out, "{}", format_bytes(&bytes, a.format))?;
    }
    Ok(Outcome::Clean)
}

/// A field value that owns its bytes.
#[derive(Debug)]
enum Val {
    None,
    Int(u64),
    Bool(bool),
    Bytes(Vec<u8>),
}

#[derive(Debug)]
struct F {
    id: String,
    value: Val,
    children: Vec<F>,
}

fn owned(n: &JsonNode) -> Result<F, String> {
    let id = n.field.as_str();
    let def = fields::by_id(id).ok_or_else(|| format!("{id}: unknown field id"))?;
    if n.masked {
        return Err(format!(
            "{id}: the value is masked (********); print the JSON with --show-secrets to encode it"
        ));
    }
    let v = &n.value;
    let value = match def.kind {
        FieldKind::Group => Val::None,
        _ if v.is_null() => Val::None,
        FieldKind::UInt => Val::Int(
            v.as_u64()
                .ok_or_else(|| format!("{id}: expected a non-negative integer, found {v}"))?,
        ),
        FieldKind::Bool => Val::Bool(
            v.as_bool()
                .ok_or_else(|| format!("{id}: expected true or false, found {v}"))?,
        ),
        FieldKind::Str if n.invalid_utf8 => {
            // The value is escaped text; the bytes are in `raw`, after the length prefix.
            let raw = hex::decode(&n.raw).map_err(|e| format!("{id}: raw is not hex: {e}"))?;
            Val::Bytes(raw.get(2..).unwrap_or_default().to_vec())
        }
        FieldKind::Str => Val::Bytes(
            v.as_str()
                .ok_or_else(|| format!("{id}: expected a string, found {v}"))?
                .as_bytes()
                .to_vec(),
        ),
        FieldKind::Bytes => {
            let h = v
                .as_str()
                .ok_or_else(|| format!("{id}: expected a hex string, found {v}"))?;
            Val::Bytes(hex::decode(h).map_err(|e| format!("{id}: '{h}' is not hex: {e}"))?)
        }
    };
    if matches!(id, "undecoded" | "property.unknown") {
        return Err(format!(
            "{id}: bytes the decoder could not interpret cannot be encoded as a field"
        ));
    }
    Ok(F {
        id: id.to_string(),
        value,
        children: n.children.iter().map(owned).collect::<Result<_, _>>()?,
    })
}

fn walk<'f>(fields: &'f [F], out: &mut Vec<&'f F>) {
    for f in fields {
        out.push(f);
        walk(&f.children, out);
    }
}

/// The first field with this id, anywhere below `fields`.
fn find<'f>(fields: &'f [F], id: &str) -> Option<&'f F> {
    let mut all = Vec::new();
    walk(fields, &mut all);
    all.into_iter().find(|f| f.id == id)
}

fn uint(fields: &[F], id: &str) -> Result<Option<u64>, String> {
    match find(fields, id).map(|f| &f.value) {
        None | Some(Val::None) => Ok(None),
        Some(Val::Int(v)) => Ok(Some(*v)),
        Some(_) => Err(format!("{id}: expected a number")),
    }
}

fn u8_of(fields: &[F], id: &str) -> Result<Option<u8>, String> {
    uint(fields, id)?
        .map(|v| u8::try_from(v).map_err(|_| format!("{id}: {v} does not fit in a byte")))
        .transpose()
}

fn u16_of(fields: &[F], id: &str) -> Result<Option<u16>, String> {
    uint(fields, id)?
        .map(|v| u16::try_from(v).map_err(|_| format!("{id}: {v} does not fit in two bytes")))
        .transpose()
}

fn flag(fields: &[F], id: &str) -> Result<bool, String> {
    match find(fields, id).map(|f| &f.value) {
        None | Some(Val::None) => Ok(false),
        Some(Val::Bool(b)) => Ok(*b),
        Some(Val::Int(v)) => Ok(*v != 0),
        Some(_) => Err(format!("{id}: expected true or false")),
    }
}

fn bytes<'f>(fields: &'f [F], id: &str) -> Result<Option<&'f [u8]>, String> {
    match find(fields, id).map(|f| &f.value) {
        None | Some(Val::None) => Ok(None),
        Some(Val::Bytes(b)) => Ok(Some(b)),
        Some(_) => Err(format!("{id}: expected a string or hex bytes")),
    }
}

fn qos(v: Option<u8>, id: &str) -> Result<QoS, String> {
    let v = v.unwrap_or(0);
    QoS::from_u8(v).ok_or_else(|| format!("{id}: QoS {v} cannot be encoded (0, 1 or 2)"))
}

fn packet_id(fields: &[F]) -> Result<u16, String> {
    u16_of(fields, "packet_id")?.ok_or_else(|| "packet_id: missing".to_string())
}

/// The properties of the top-level group `group` (`properties`, `will_properties`).
fn group_props(fields: &[F], group: &str) -> Result<Vec<OwnedProperty>, String> {
    let Some(g) = fields.iter().find(|f| f.id == group) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for p in g.children.iter().filter(|c| c.id.starts_with("property.")) {
        let def = def_by_field(&p.id).ok_or_else(|| format!("{}: not a property", p.id))?;
        let value = match &p.value {
            Val::Int(v) => OwnedValue::Int(*v),
            Val::Bytes(b) => OwnedValue::Bytes(b.clone()),
            Val::None | Val::Bool(_) => {
                let key = bytes(&p.children, "property.user_property.key")?;
                let val = bytes(&p.children, "property.user_property.value")?;
                match (key, val) {
                    (Some(k), Some(v)) => OwnedValue::Pair(k.to_vec(), v.to_vec()),
                    _ => return Err(format!("{}: missing value", p.id)),
                }
            }
        };
        out.push(OwnedProperty { def, value });
    }
    Ok(out)
}

fn code_of(fields: &[F], ids: &[&str]) -> Result<ReasonCode, String> {
    for id in ids {
        if let Some(v) = u8_of(fields, id)? {
            return Ok(ReasonCode(v));
        }
    }
    Ok(ReasonCode(0))
}

fn codes_of(fields: &[F], ids: &[&str]) -> Result<Vec<ReasonCode>, String> {
    fields
        .iter()
        .filter(|f| ids.contains(&f.id.as_str()))
        .map(|f| match f.value {
            Val::Int(v) => u8::try_from(v)
                .map(ReasonCode)
                .map_err(|_| format!("{}: {v} does not fit in a byte", f.id)),
            _ => Err(format!("{}: expected a number", f.id)),
        })
        .collect()
}

/// One JSON packet → bytes.
fn encode_packet(p: &JsonPacket) -> Result<Vec<u8>, String> {
    let t = PacketType::from_name(p.packet_type.trim())
        .ok_or_else(|| format!("type: unknown packet type '{}'", p.packet_type))?;
    let version = ProtocolVersion::parse(&p.version)
        .ok_or_else(|| format!("version: unknown protocol version '{}'", p.version))?;
    let fields: Vec<F> = p.fields.iter().map(owned).collect::<Result<_, _>>()?;
    let props_owned = group_props(&fields, "properties")?;
    let will_owned = group_props(&fields, "will_properties")?;
    let properties: Properties<'_> = props::borrow(&props_owned)?;
    let f = &fields[..];
    let packet = match t {
        PacketType::CONNECT => {
            let level = u8_of(f, "connect.protocol_level")?.unwrap_or(version.level());
            let will_topic = bytes(f, "connect.will_topic")?;
            let will = if flag(f, "connect.flags.will")? || will_topic.is_some() {
                Some(Will {
                    qos: qos(
                        u8_of(f, "connect.flags.will_qos")?,
                        "connect.flags.will_qos",
                    )?,
                    retain: flag(f, "connect.flags.will_retain")?,
                    properties: props::borrow(&will_owned)?,
                    topic: MqttStr(will_topic.unwrap_or_default()),
                    payload: bytes(f, "connect.will_payload")?.unwrap_or_default(),
                })
            } else {
                None
            };
            Packet::Connect(Box::new(Connect {
                protocol_name: MqttStr(
                    bytes(f, "connect.protocol_name")?
                        .unwrap_or(version.protocol_name().as_bytes()),
                ),
                protocol_level: level,
                clean_start: flag(f, "connect.flags.clean_start")?,
                keep_alive: u16_of(f, "connect.keep_alive")?.unwrap_or(0),
                properties,
                client_id: MqttStr(bytes(f, "connect.client_id")?.unwrap_or_default()),
                will,
                username: bytes(f, "connect.username")?.map(MqttStr),
                password: bytes(f, "connect.password")?,
            }))
        }
        PacketType::CONNACK => Packet::ConnAck(ConnAck {
            // MQTT 3.1 shows the whole first byte as reserved (it has no Session Present);
            // its bit 0 is what the typed packet keeps.
            session_present: flag(f, "connack.flags.session_present")?
                || (version == ProtocolVersion::V3_1
                    && u8_of(f, "connack.flags.reserved")?.is_some_and(|b| b & 1 != 0)),
            code: code_of(f, &["connack.return_code", "connack.reason_code"])?,
            properties,
        }),
        PacketType::PUBLISH => {
            let q = qos(u8_of(f, "header.qos")?, "header.qos")?;
            Packet::Publish(Publish {
                dup: flag(f, "header.dup")?,
                qos: q,
                retain: flag(f, "header.retain")?,
                topic: MqttStr(bytes(f, "publish.topic")?.unwrap_or_default()),
                packet_id: u16_of(f, "packet_id")?,
                properties,
                payload: bytes(f, "publish.payload")?.unwrap_or_default(),
            })
        }
        PacketType::PUBACK | PacketType::PUBREC | PacketType::PUBREL | PacketType::PUBCOMP => {
            let name = p.packet_type.to_ascii_lowercase();
            let r = PubResponse {
                packet_id: packet_id(f)?,
                reason_code: code_of(f, &[&format!("{name}.reason_code")])?,
                properties,
            };
            match t {
                PacketType::PUBACK => Packet::PubAck(r),
                PacketType::PUBREC => Packet::PubRec(r),
                PacketType::PUBREL => Packet::PubRel(r),
                _ => Packet::PubComp(r),
            }
        }
        PacketType::SUBSCRIBE => {
            let mut subscriptions = Vec::new();
            for s in f.iter().filter(|x| x.id == "subscribe.subscription") {
                let c = &s.children[..];
                let q = match u8_of(c, "subscribe.options.qos")? {
                    Some(v) => Some(v),
                    None => u8_of(c, "subscribe.requested_qos")?,
                };
                subscriptions.push(Subscription {
                    filter: MqttStr(
                        bytes(c, "subscribe.topic_filter")?
                            .ok_or("subscribe.topic_filter: missing")?,
                    ),
                    qos: qos(q, "subscribe.options.qos")?,
                    no_local: flag(c, "subscribe.options.no_local")?,
                    retain_as_published: flag(c, "subscribe.options.retain_as_published")?,
                    retain_handling: u8_of(c, "subscribe.options.retain_handling")?.unwrap_or(0),
                });
            }
            Packet::Subscribe(Subscribe {
                packet_id: packet_id(f)?,
                properties,
                subscriptions,
            })
        }
        PacketType::SUBACK => Packet::SubAck(SubAck {
            packet_id: packet_id(f)?,
            properties,
            codes: codes_of(f, &["suback.return_code", "suback.reason_code"])?,
        }),
        PacketType::UNSUBSCRIBE => {
            let mut filters = Vec::new();
            for x in f.iter().filter(|x| x.id == "unsubscribe.topic_filter") {
                match &x.value {
                    Val::Bytes(b) => filters.push(MqttStr(b)),
                    _ => return Err("unsubscribe.topic_filter: expected a string".into()),
                }
            }
            Packet::Unsubscribe(Unsubscribe {
                packet_id: packet_id(f)?,
                properties,
                filters,
            })
        }
        PacketType::UNSUBACK => Packet::UnsubAck(UnsubAck {
            packet_id: packet_id(f)?,
            properties,
            codes: codes_of(f, &["unsuback.reason_code"])?,
        }),
        PacketType::PINGREQ => Packet::PingReq,
        PacketType::PINGRESP => Packet::PingResp,
        PacketType::DISCONNECT => Packet::Disconnect(Disconnect {
            reason_code: code_of(f, &["disconnect.reason_code"])?,
            properties,
        }),
        PacketType::AUTH => Packet::Auth(Auth {
            reason_code: code_of(f, &["auth.reason_code"])?,
            properties,
        }),
        _ => {
            return Err(format!(
                "type: packet type {} cannot be encoded",
                p.packet_type
            ))
        }
    };
    encode_checked(&packet, version).map_err(|e| e.to_string())
}
