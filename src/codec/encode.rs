//! Encoding: typed packet → bytes, symmetric to the decoder. Every length is converted
//! with a check; what cannot be encoded is refused with an error naming the field.

use super::packet::*;
use super::primitives::VBI_MAX;
use super::property::{PropValue, Properties};
use super::reason::ReasonCode;
use super::types::{MqttStr, ProtocolVersion, QoS};
use std::fmt;

/// Why a packet could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A string or binary field is longer than its two-byte length can say.
    TooLong {
        /// The field, by registry id.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A Variable Byte Integer value above 268,435,455.
    VbiTooLarge {
        /// The field, by registry id.
        field: &'static str,
        /// The value.
        value: u64,
    },
    /// Something this protocol version cannot carry (properties or reason codes in 3.x…).
    NotInVersion {
        /// The field, by registry id.
        field: &'static str,
        /// The version.
        version: ProtocolVersion,
    },
    /// A value the field cannot take.
    Invalid {
        /// The field, by registry id.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { field, len, max } => {
                write!(f, "{field}: {len} bytes is longer than the maximum {max}")
            }
            EncodeError::VbiTooLarge { field, value } => write!(
                f,
                "{field}: {value} exceeds the largest Variable Byte Integer, {VBI_MAX}"
            ),
            EncodeError::NotInVersion { field, version } => {
                write!(f, "{field}: MQTT {version} has no such field")
            }
            EncodeError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for EncodeError {}

type R = Result<(), EncodeError>;

/// Encodes `packet` for `version` (a CONNECT uses its own protocol level when known).
pub fn encode(packet: &Packet<'_>, version: ProtocolVersion) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(packet, version, &mut out)?;
    Ok(out)
}

/// Appends the encoding of `packet` to `out`. On error `out` is left as it was.
pub fn encode_into(packet: &Packet<'_>, version: ProtocolVersion, out: &mut Vec<u8>) -> R {
    let mut body = Vec::new();
    let version = match packet {
        Packet::Connect(c) => ProtocolVersion::from_level(c.protocol_level).unwrap_or(version),
        _ => version,
    };
    let w = &mut W {
        out: &mut body,
        v5: version.is_v5(),
        version,
    };
    let flags = match packet {
        Packet::Connect(c) => {
            w.connect(c)?;
            0
        }
        Packet::ConnAck(c) => {
            w.u8(u8::from(c.session_present));
            w.u8(c.code.0);
            w.props_if_v5(&c.properties, "connack")?;
            0
        }
        Packet::Publish(p) => {
            w.publish(p)?;
            (u8::from(p.dup) << 3) | ((p.qos as u8) << 1) | u8::from(p.retain)
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubComp(r) => {
            w.pub_response(r)?;
            0
        }
        Packet::PubRel(r) => {
            w.pub_response(r)?;
            2
        }
        Packet::Subscribe(s) => {
            w.subscribe(s)?;
            2
        }
        Packet::SubAck(s) => {
            w.u16(s.packet_id);
            w.props_if_v5(&s.properties, "suback")?;
            for c in &s.codes {
                w.u8(c.0);
            }
            0
        }
        Packet::Unsubscribe(u) => {
            w.u16(u.packet_id);
            w.props_if_v5(&u.properties, "unsubscribe")?;
            for f in &u.filters {
                w.string(*f, "unsubscribe.topic_filter")?;
            }
            2
        }
        Packet::UnsubAck(u) => {
            w.u16(u.packet_id);
            if w.v5 {
                w.props(&u.properties, "unsuback")?;
                for c in &u.codes {
                    w.u8(c.0);
                }
            } else if !u.codes.is_empty() {
                return Err(w.not_in_version("unsuback.reason_code"));
            } else {
                w.no_props(&u.properties)?;
            }
            0
        }
        Packet::PingReq | Packet::PingResp => 0,
        Packet::Disconnect(d) => {
            w.short_form(d.reason_code, &d.properties, "disconnect.reason_code", true)?;
            0
        }
        Packet::Auth(a) => {
            if !w.v5 {
                return Err(w.not_in_version("auth"));
            }
            w.short_form(a.reason_code, &a.properties, "auth.reason_code", false)?;
            0
        }
    };
    let len = body.len();
    if len > VBI_MAX as usize {
        return Err(EncodeError::VbiTooLarge {
            field: "header.remaining_length",
            value: len as u64,
        });
    }
    out.reserve(len + 5);
    out.push((packet.packet_type().0 << 4) | flags);
    push_vbi(out, len as u32);
    out.extend_from_slice(&body);
    Ok(())
}

/// Appends the minimal Variable Byte Integer encoding of `v` (which must be ≤ VBI_MAX).
pub fn push_vbi(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let mut b = (v & 0x7f) as u8;
        v >>= 7;
        if v > 0 {
            b |= 0x80;
        }
        out.push(b);
        if v == 0 {
            break;
        }
    }
}

struct W<'o> {
    out: &'o mut Vec<u8>,
    v5: bool,
    version: ProtocolVersion,
}

impl W<'_> {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn vbi(&mut self, v: u32, field: &'static str) -> R {
        if v > VBI_MAX {
            return Err(EncodeError::VbiTooLarge {
                field,
                value: v.into(),
            });
        }
        push_vbi(self.out, v);
        Ok(())
    }
    fn binary(&mut self, b: &[u8], field: &'static str) -> R {
        let n = u16::try_from(b.len()).map_err(|_| EncodeError::TooLong {
            field,
            len: b.len(),
            max: 65_535,
        })?;
        self.u16(n);
        self.out.extend_from_slice(b);
        Ok(())
    }
    fn string(&mut self, s: MqttStr<'_>, field: &'static str) -> R {
        self.binary(s.0, field)
    }
    fn not_in_version(&self, field: &'static str) -> EncodeError {
        EncodeError::NotInVersion {
            field,
            version: self.version,
        }
    }

    fn no_props(&self, p: &Properties<'_>) -> R {
        if p.is_empty() {
            Ok(())
        } else {
            Err(self.not_in_version("properties"))
        }
    }

    fn props_if_v5(&mut self, p: &Properties<'_>, what: &'static str) -> R {
        if self.v5 {
            self.props(p, what)
        } else {
            self.no_props(p)
        }
    }

    /// Property Length and the properties, in the order given.
    fn props(&mut self, p: &Properties<'_>, _what: &'static str) -> R {
        let mut block = Vec::new();
        let mut bw = W {
            out: &mut block,
            v5: true,
            version: self.version,
        };
        for prop in p.iter() {
            let Some(def) = prop.id.def() else {
                return Err(EncodeError::Invalid {
                    field: "property.id",
                    reason: format!("unknown property identifier 0x{:02X}", prop.id.0),
                });
            };
            if prop.value.ty() != def.ty {
                return Err(EncodeError::Invalid {
                    field: def.field.id,
                    reason: format!(
                        "{} takes a {:?} value, not {:?}",
                        def.name,
                        def.ty,
                        prop.value.ty()
                    ),
                });
            }
            bw.vbi(prop.id.0, "property.id")?;
            match prop.value {
                PropValue::Byte(v) => bw.u8(v),
                PropValue::TwoByte(v) => bw.u16(v),
                PropValue::FourByte(v) => bw.u32(v),
                PropValue::Vbi(v) => bw.vbi(v, def.field.id)?,
                PropValue::Str(s) => bw.string(s, def.field.id)?,
                PropValue::Binary(b) => bw.binary(b, def.field.id)?,
                PropValue::Pair(k, v) => {
                    bw.string(k, "property.user_property.key")?;
                    bw.string(v, "property.user_property.value")?;
                }
            }
        }
        let n = u32::try_from(block.len()).map_err(|_| EncodeError::VbiTooLarge {
            field: "properties.length",
            value: block.len() as u64,
        })?;
        self.vbi(n, "properties.length")?;
        self.out.extend_from_slice(&block);
        Ok(())
    }

    fn connect(&mut self, c: &Connect<'_>) -> R {
        self.string(c.protocol_name, "connect.protocol_name")?;
        self.u8(c.protocol_level);
        let mut flags = 0u8;
        if c.username.is_some() {
            flags |= 0x80;
        }
        if c.password.is_some() {
            flags |= 0x40;
        }
        if let Some(w) = &c.will {
            flags |= 0x04 | ((w.qos as u8) << 3);
            if w.retain {
                flags |= 0x20;
            }
        }
        if c.clean_start {
            flags |= 0x02;
        }
        self.u8(flags);
        self.u16(c.keep_alive);
        self.props_if_v5(&c.properties, "connect")?;
        self.string(c.client_id, "connect.client_id")?;
        if let Some(w) = &c.will {
            self.props_if_v5(&w.properties, "will")?;
            self.string(w.topic, "connect.will_topic")?;
            self.binary(w.payload, "connect.will_payload")?;
        }
        if let Some(u) = c.username {
            self.string(u, "connect.username")?;
        }
        if let Some(p) = c.password {
            self.binary(p, "connect.password")?;
        }
        Ok(())
    }

    fn publish(&mut self, p: &Publish<'_>) -> R {
        self.string(p.topic, "publish.topic")?;
        match (p.qos, p.packet_id) {
            (QoS::AtMostOnce, None) => {}
            (QoS::AtMostOnce, Some(_)) => {
                return Err(EncodeError::Invalid {
                    field: "packet_id",
                    reason: "a QoS 0 PUBLISH has no Packet Identifier".into(),
                })
            }
            (_, Some(id)) => self.u16(id),
            (_, None) => {
                return Err(EncodeError::Invalid {
                    field: "packet_id",
                    reason: "a QoS 1 or 2 PUBLISH needs a Packet Identifier".into(),
                })
            }
        }
        self.props_if_v5(&p.properties, "publish")?;
        self.out.extend_from_slice(p.payload);
        Ok(())
    }

    fn pub_response(&mut self, r: &PubResponse<'_>) -> R {
        self.u16(r.packet_id);
        if !self.v5 {
            if r.reason_code != ReasonCode::SUCCESS {
                return Err(self.not_in_version("reason_code"));
            }
            return self.no_props(&r.properties);
        }
        // Shortest form: omit what the receiver would imply (§3.4.2.1).
        if r.reason_code == ReasonCode::SUCCESS && r.properties.is_empty() {
            return Ok(());
        }
        self.u8(r.reason_code.0);
        if !r.properties.is_empty() {
            self.props(&r.properties, "ack")?;
        }
        Ok(())
    }

    /// DISCONNECT and AUTH: nothing for Success without properties; DISCONNECT may also
    /// drop the Property Length when there are no properties.
    fn short_form(
        &mut self,
        code: ReasonCode,
        props: &Properties<'_>,
        field: &'static str,
        may_omit_prop_len: bool,
    ) -> R {
        if !self.v5 {
            if code != ReasonCode::SUCCESS {
                return Err(self.not_in_version(field));
            }
            return self.no_props(props);
        }
        if code == ReasonCode::SUCCESS && props.is_empty() {
            return Ok(());
        }
        self.u8(code.0);
        if !(may_omit_prop_len && props.is_empty()) {
            self.props(props, field)?;
        }
        Ok(())
    }

    fn subscribe(&mut self, s: &Subscribe<'_>) -> R {
        self.u16(s.packet_id);
        self.props_if_v5(&s.properties, "subscribe")?;
        for sub in &s.subscriptions {
            self.string(sub.filter, "subscribe.topic_filter")?;
            let mut o = sub.qos as u8;
            if self.v5 {
                if sub.retain_handling > 2 {
                    return Err(EncodeError::Invalid {
                        field: "subscribe.options.retain_handling",
                        reason: format!("{} is not 0, 1 or 2", sub.retain_handling),
                    });
                }
                o |= (u8::from(sub.no_local) << 2)
                    | (u8::from(sub.retain_as_published) << 3)
                    | (sub.retain_handling << 4);
            } else if sub.no_local || sub.retain_as_published || sub.retain_handling != 0 {
                return Err(self.not_in_version("subscribe.options"));
            }
            self.u8(o);
        }
        Ok(())
    }
}
