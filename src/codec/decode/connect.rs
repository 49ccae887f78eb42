//! CONNECT (§3.1).

use super::{qos_meaning, undecoded, Decoded};
use crate::codec::cursor::{self, Cx, Res, Stop};
use crate::codec::diag::{self, Check, Severity};
use crate::codec::fields::{self, FieldDef};
use crate::codec::list::List;
use crate::codec::packet::{Connect, Packet, Will};
use crate::codec::primitives;
use crate::codec::property::{self, Properties, PropertyId};
use crate::codec::topic;
use crate::codec::tree::{Meaning, Value};
use crate::codec::types::{MqttStr, PacketType, ProtocolVersion, QoS};

/// The identifiers a CONNECT's properties may have.
const CONNECT_ALLOWED: u64 = property::allowed_in(1 << PacketType::CONNECT.0);
/// The identifiers Will Properties may have.
const WILL_ALLOWED: u64 = property::allowed_in(property::WILL);
/// Only User Property may repeat in a CONNECT or its Will Properties.
const REPEATABLE: u64 = 1 << PropertyId::USER_PROPERTY.0;

/// A CONNECT without a tree when nothing about it is unusual: straight-line code that
/// makes every check of [`decode`] (and of the fixed header) and gives up with `None` at
/// the first one that would report anything, so that the general path reports it. The
/// result is then the same either way.
// Inlined into its caller: the result is built in its return slot, not copied there.
#[inline(always)]
pub(super) fn fast(input: &[u8]) -> Option<Decoded<'_>> {
    // CONNECT with its reserved flags 0000.
    let (&0x10, after) = input.split_first()? else {
        return None;
    };
    let rl = primitives::minimal_vbi(after)?;
    let buf = input.get(..1 + rl.len + rl.value as usize)?;
    let mut pos = 1 + rl.len;
    // Protocol name and level that go together, and the connect flags: 6 + 1 + 1 + 2
    // bytes for "MQIsdp", 4 + 1 + 1 + 2 for "MQTT".
    let head = buf.get(pos..)?;
    let (version, name_len) = match head {
        [0, 4, b'M', b'Q', b'T', b'T', 4, ..] => (ProtocolVersion::V3_1_1, 4),
        [0, 4, b'M', b'Q', b'T', b'T', 5, ..] => (ProtocolVersion::V5, 4),
        [0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3, ..] => (ProtocolVersion::V3_1, 6),
        _ => return None,
    };
    let protocol_name = MqttStr(&head[2..2 + name_len]);
    pos += 2 + name_len + 1;
    let [b, ka_hi, ka_lo] = *buf.get(pos..)?.first_chunk::<3>()?;
    pos += 3;
    let will = b & 0x04 != 0;
    let will_qos = (b >> 3) & 3;
    let username = b & 0x80 != 0;
    let password = b & 0x40 != 0;
    let clean_start = b & 0x02 != 0;
    // Reserved bit; Will QoS and Retain without a will; Will QoS 3; a password without a
    // user name in 3.1.1.
    if b & 0x01 != 0
        || (!will && b & 0x38 != 0)
        || will_qos == 3
        || (password && !username && version == ProtocolVersion::V3_1_1)
    {
        return None;
    }
    let properties = if version.is_v5() {
        property::fast_block(buf, &mut pos, CONNECT_ALLOWED, REPEATABLE)?
    } else {
        Properties::new()
    };
    let (client_id, _) = fast_text(buf, &mut pos)?;
    match version {
        ProtocolVersion::V3_1_1 if client_id.is_empty() && !clean_start => return None,
        ProtocolVersion::V3_1 => {
            let chars = match std::str::from_utf8(client_id) {
                Ok(s) if !s.is_ascii() => s.chars().count(),
                _ => client_id.len(),
            };
            if chars == 0 || chars > 23 {
                return None;
            }
        }
        _ => {}
    }
    let will = if will {
        // Each field the flags announce must be there (the packet is whole).
        let will_properties = if version.is_v5() {
            property::fast_block(buf, &mut pos, WILL_ALLOWED, REPEATABLE)?
        } else {
            Properties::new()
        };
        let (topic, scan) = fast_text(buf, &mut pos)?;
        if topic.is_empty() || scan & cursor::WILDCARD != 0 {
            return None;
        }
        let payload = fast_binary(buf, &mut pos)?;
        // A payload that says it is UTF-8 would have to be checked.
        if will_properties.may_have(PropertyId::PAYLOAD_FORMAT_INDICATOR) && !payload.is_ascii() {
            return None;
        }
        Some(Will {
            qos: QoS::from_u8(will_qos).unwrap_or_default(),
            retain: b & 0x20 != 0,
            properties: will_properties,
            topic: MqttStr(topic),
            payload,
        })
    } else {
        None
    };
    let username = match username {
        true => Some(MqttStr(fast_text(buf, &mut pos)?.0)),
        false => None,
    };
    let password = match password {
        true => Some(fast_binary(buf, &mut pos)?),
        false => None,
    };
    if pos != buf.len() {
        return None;
    }
    // Filled in place: a CONNECT built on the stack and moved into the box is a copy.
    let mut connect = Box::<Connect>::default();
    connect.protocol_name = protocol_name;
    connect.protocol_level = version.level();
    connect.clean_start = clean_start;
    connect.keep_alive = u16::from_be_bytes([ka_hi, ka_lo]);
    connect.properties = properties;
    connect.client_id = MqttStr(client_id);
    connect.will = will;
    connect.username = username;
    connect.password = password;
    Some(Decoded {
        bytes: buf,
        packet_type: PacketType::CONNECT,
        flags: 0,
        remaining_length: Some(rl.value),
        len: buf.len(),
        complete: true,
        version,
        packet: Some(Packet::Connect(connect)),
        diagnostics: List::new(),
        tree: List::new(),
    })
}

/// Binary Data at `*pos`, wholly inside `buf`.
#[inline(always)]
fn fast_binary<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let n = usize::from(u16::from_be_bytes(*buf.get(*pos..)?.first_chunk()?));
    let b = buf.get(*pos + 2..*pos + 2 + n)?;
    *pos += 2 + n;
    Some(b)
}

/// A UTF-8 Encoded String at `*pos` that the §1.5.4 checks find nothing in, and its
/// [`cursor::scan`] bits.
#[inline(always)]
fn fast_text<'a>(buf: &'a [u8], pos: &mut usize) -> Option<(&'a [u8], u8)> {
    let s = fast_binary(buf, pos)?;
    let scan = cursor::scan(s);
    if scan & cursor::NOT_PRINTABLE != 0 && !cursor::utf8_clean_slow(s) {
        return None;
    }
    Some((s, scan))
}

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<Connect<'a>> {
    let name_at = cx.pos;
    let protocol_name = cx.string(&fields::CONNECT_PROTOCOL_NAME)?;
    let level_at = cx.pos;
    let protocol_level = cx.u8(&fields::CONNECT_PROTOCOL_LEVEL)?;
    let version = ProtocolVersion::from_level(protocol_level);
    cx.meaning(|| Some(level_meaning(protocol_level)));
    check_name_and_level(cx, protocol_name, name_at, protocol_level, level_at);
    let guessed = match version {
        Some(_) => None,
        None => guess_layout(cx.buf, level_at, protocol_level),
    };
    if let Some(v) = guessed {
        cx.diag_sev(
            &diag::PROTOCOL_LEVEL_UNKNOWN,
            Severity::Note,
            level_at,
            1,
            Some(&fields::CONNECT_PROTOCOL_LEVEL),
            format!(
                "the rest of this CONNECT is decoded with the MQTT {v} layout, the one its bytes \
                 fit; a server that does not know level {protocol_level} refuses it without \
                 reading further"
            ),
        );
    }
    let Some(version) = version.or(guessed) else {
        // The rest of the layout depends on the version: decode what all versions share.
        let flags = flags(cx)?;
        let _ = flags;
        cx.u16(&fields::CONNECT_KEEP_ALIVE)?;
        let at = cx.pos;
        if at < cx.end {
            undecoded(cx, at);
        }
        return Err(Stop);
    };
    cx.version = version;
    // Findings made before the level was read cite the statements of the packet's version.
    for d in cx.diags.iter_mut() {
        d.spec = if version.is_v5() {
            d.check.spec
        } else {
            d.check.spec_v3
        };
    }

    let f = flags(cx)?;
    let ka = cx.u16(&fields::CONNECT_KEEP_ALIVE)?;
    cx.meaning(|| {
        Some(if ka == 0 {
            Meaning::with_detail(
                "disabled",
                "keep alive 0: the server does not time out the client",
            )
        } else {
            Meaning::name(format!("{ka} s"))
        })
    });
    let properties = if version.is_v5() {
        super::properties(cx, PacketType::CONNECT)?
    } else {
        Properties::new()
    };

    // Payload [MQTT-3.1.3-1]: Client Identifier, Will Properties, Will Topic, Will Payload,
    // User Name, Password.
    let id_at = cx.pos;
    let client_id = cx.string(&fields::CONNECT_CLIENT_ID)?;
    check_client_id(cx, client_id, id_at, f.clean_start);

    let will = if f.will {
        if cx.missing_here() {
            return Err(missing(
                cx,
                &diag::WILL_FIELDS_MISSING,
                &fields::CONNECT_WILL_TOPIC,
                "Will Flag is set but the payload ends after the Client Identifier: Will \
                 Topic and Will Payload are missing",
            ));
        }
        let will_properties = if version.is_v5() {
            property::decode_block(
                cx,
                &fields::WILL_PROPERTIES,
                property::WILL,
                "Will Properties",
            )?
        } else {
            Properties::new()
        };
        if cx.missing_here() {
            return Err(missing(
                cx,
                &diag::WILL_FIELDS_MISSING,
                &fields::CONNECT_WILL_TOPIC,
                "Will Flag is set but Will Topic and Will Payload are missing",
            ));
        }
        let topic_at = cx.pos;
        let (topic, scan) = cx.string_scan(&fields::CONNECT_WILL_TOPIC)?;
        if topic.is_empty() {
            cx.diag(
                &diag::TOPIC_EMPTY,
                topic_at,
                2,
                Some(&fields::CONNECT_WILL_TOPIC),
                "zero-length Will Topic; a topic has at least one character".into(),
            );
        }
        if scan.wildcard {
            for (check, off, len, msg) in topic::check_name(topic.0) {
                cx.diag(
                    check,
                    topic_at + 2 + off,
                    len,
                    Some(&fields::CONNECT_WILL_TOPIC),
                    msg,
                );
            }
        }
        if cx.missing_here() {
            return Err(missing(
                cx,
                &diag::WILL_FIELDS_MISSING,
                &fields::CONNECT_WILL_PAYLOAD,
                "Will Flag is set but the Will Payload is missing",
            ));
        }
        let payload_at = cx.pos + 2;
        let payload = cx.binary(&fields::CONNECT_WILL_PAYLOAD)?;
        // An ASCII payload is UTF-8 whatever the indicator says.
        let says_utf8 = !payload.is_ascii()
            && will_properties
                .get(PropertyId::PAYLOAD_FORMAT_INDICATOR)
                .and_then(|v| v.as_u32())
                == Some(1);
        if says_utf8 {
            if let Err(e) = std::str::from_utf8(payload) {
                let bad = payload_at + e.valid_up_to();
                cx.diag(
                    &diag::PAYLOAD_NOT_UTF8,
                    bad,
                    e.error_len().unwrap_or(1),
                    Some(&fields::CONNECT_WILL_PAYLOAD),
                    format!(
                        "Will Properties say Payload Format Indicator 1 (UTF-8) but the Will \
                         Payload is not valid UTF-8 at offset {bad}"
                    ),
                );
            }
        }
        Some(Will {
            qos: QoS::from_u8(f.will_qos).unwrap_or_default(),
            retain: f.will_retain,
            properties: will_properties,
            topic,
            payload,
        })
    } else {
        None
    };

    let username = if f.username {
        if cx.missing_here() {
            return Err(missing(
                cx,
                &diag::USERNAME_MISSING,
                &fields::CONNECT_USERNAME,
                "User Name Flag is set but the payload has no User Name",
            ));
        }
        Some(cx.string(&fields::CONNECT_USERNAME)?)
    } else {
        None
    };
    let password = if f.password {
        if cx.missing_here() {
            return Err(missing(
                cx,
                &diag::PASSWORD_MISSING,
                &fields::CONNECT_PASSWORD,
                "Password Flag is set but the payload has no Password",
            ));
        }
        Some(cx.binary(&fields::CONNECT_PASSWORD)?)
    } else {
        None
    };

    if !cx.at_end() {
        let at = cx.pos;
        let n = cx.left();
        let what = if !f.username {
            "a User Name (its flag is not set)"
        } else if !f.password {
            "a Password (its flag is not set)"
        } else {
            "nothing: every field is already present"
        };
        cx.diag(
            &diag::CONNECT_EXTRA_PAYLOAD,
            at,
            n,
            None,
            format!("{n} byte(s) after the last field the flags announce; they may be {what}"),
        );
        undecoded(cx, at);
    }

    Ok(Connect {
        protocol_name,
        protocol_level,
        clean_start: f.clean_start,
        keep_alive: ka,
        properties,
        client_id,
        will,
        username,
        password,
    })
}

/// For a CONNECT with an unknown protocol level: the version whose layout (3.1.1: no
/// properties; 5.0: properties) decodes the rest without errors, so that the client id and
/// the rest can still be shown. Levels above 5 try 5.0 first, others 3.1.1 first.
fn guess_layout(packet: &[u8], level_at: usize, level: u8) -> Option<ProtocolVersion> {
    let order = if level > 5 {
        [ProtocolVersion::V5, ProtocolVersion::V3_1_1]
    } else {
        [ProtocolVersion::V3_1_1, ProtocolVersion::V5]
    };
    order.into_iter().find(|&v| {
        let mut copy = packet.to_vec();
        match copy.get_mut(level_at) {
            Some(b) => *b = v.level(),
            None => return false,
        }
        let opts = crate::codec::DecodeOptions {
            version: v,
            direction: None,
            tree: false,
        };
        let d = super::decode(&copy, &opts);
        d.complete && d.is_ok()
    })
}

fn missing(cx: &mut Cx<'_>, check: &'static Check, field: &'static FieldDef, msg: &str) -> Stop {
    let at = cx.pos;
    cx.diag(check, at, 0, Some(field), msg.to_string());
    Stop
}

fn level_meaning(level: u8) -> Meaning {
    let bridge = if level & 0x80 != 0 { " (bridge)" } else { "" };
    match ProtocolVersion::from_level(level) {
        Some(v) => Meaning::name(format!("MQTT {v}{bridge}")),
        None => Meaning::with_detail(
            format!("Unknown level {level}"),
            "levels are 3 (MQTT 3.1), 4 (3.1.1) and 5 (5.0)",
        ),
    }
}

fn check_name_and_level(
    cx: &mut Cx<'_>,
    name: MqttStr<'_>,
    name_at: usize,
    level: u8,
    level_at: usize,
) {
    let name_len = 2 + name.len();
    let field = Some(&fields::CONNECT_PROTOCOL_NAME);
    match name.0 {
        b"MQTT" | b"MQIsdp" => {}
        _ => cx.diag(
            &diag::PROTOCOL_NAME,
            name_at,
            name_len,
            field,
            format!(
                "protocol name \"{name}\" is neither \"MQTT\" (3.1.1, 5.0) nor \"MQIsdp\" (3.1); \
                 a server may close the connection without CONNACK"
            ),
        ),
    }
    if level & 0x80 != 0 {
        cx.diag(
            &diag::PROTOCOL_LEVEL_BRIDGE,
            level_at,
            1,
            Some(&fields::CONNECT_PROTOCOL_LEVEL),
            format!(
                "protocol level 0x{level:02X} is level {} with the bridge bit (0x80) that \
                 mosquitto bridges set",
                level & 0x7f
            ),
        );
    }
    match ProtocolVersion::from_level(level) {
        None => cx.diag(
            &diag::PROTOCOL_LEVEL_UNKNOWN,
            level_at,
            1,
            Some(&fields::CONNECT_PROTOCOL_LEVEL),
            format!(
                "protocol level {level} is not 3 (MQTT 3.1), 4 (3.1.1) or 5 (5.0); a server \
                 answers CONNACK 0x01 (3.x) or 0x84 (5.0) \"unsupported protocol version\""
            ),
        ),
        Some(v) => {
            let expected = v.protocol_name().as_bytes();
            if (name.0 == b"MQTT" || name.0 == b"MQIsdp") && name.0 != expected {
                cx.diag(
                    &diag::PROTOCOL_NAME_LEVEL,
                    name_at,
                    name_len + 1,
                    field,
                    format!(
                        "protocol name \"{name}\" with level {level}: MQTT {v} uses \"{}\"",
                        v.protocol_name()
                    ),
                );
            }
        }
    }
}

/// The flag bits as nodes, when there is a tree (nothing else needs them).
fn flag_nodes(cx: &mut Cx<'_>, at: usize, b: u8, f: &Flags) {
    if cx.tree.is_none() {
        return;
    }
    cx.open_at(&fields::CONNECT_FLAGS, at, Value::UInt(b.into()));
    cx.bits(
        &fields::CONNECT_FLAG_USERNAME,
        at,
        0x80,
        Value::Bool(f.username),
        None,
    );
    cx.bits(
        &fields::CONNECT_FLAG_PASSWORD,
        at,
        0x40,
        Value::Bool(f.password),
        None,
    );
    cx.bits(
        &fields::CONNECT_FLAG_WILL_RETAIN,
        at,
        0x20,
        Value::Bool(f.will_retain),
        None,
    );
    cx.bits(
        &fields::CONNECT_FLAG_WILL_QOS,
        at,
        0x18,
        Value::UInt(f.will_qos.into()),
        Some(qos_meaning(f.will_qos)),
    );
    cx.bits(
        &fields::CONNECT_FLAG_WILL,
        at,
        0x04,
        Value::Bool(f.will),
        None,
    );
    let clean = if cx.version.is_v5() {
        "start a new session"
    } else {
        "discard any previous session"
    };
    cx.bits(
        &fields::CONNECT_FLAG_CLEAN_START,
        at,
        0x02,
        Value::Bool(f.clean_start),
        Some(Meaning::name(if f.clean_start {
            clean
        } else {
            "resume the session if one exists"
        })),
    );
    cx.bits(
        &fields::CONNECT_FLAG_RESERVED,
        at,
        0x01,
        Value::Bool(b & 1 != 0),
        None,
    );
    cx.close();
}

struct Flags {
    username: bool,
    password: bool,
    will_retain: bool,
    will_qos: u8,
    will: bool,
    clean_start: bool,
}

fn flags(cx: &mut Cx<'_>) -> Res<Flags> {
    let at = cx.pos;
    let b = cx.u8_raw(&fields::CONNECT_FLAGS)?;
    let f = Flags {
        username: b & 0x80 != 0,
        password: b & 0x40 != 0,
        will_retain: b & 0x20 != 0,
        will_qos: (b >> 3) & 3,
        will: b & 0x04 != 0,
        clean_start: b & 0x02 != 0,
    };
    flag_nodes(cx, at, b, &f);

    let fl = Some(&fields::CONNECT_FLAGS);
    if b & 1 != 0 {
        cx.diag(
            &diag::CONNECT_RESERVED_FLAG,
            at,
            1,
            Some(&fields::CONNECT_FLAG_RESERVED),
            "reserved connect flag (bit 0) is 1; it must be 0".into(),
        );
    }
    if !f.will && f.will_qos != 0 {
        cx.diag(
            &diag::WILL_QOS_WITHOUT_WILL,
            at,
            1,
            Some(&fields::CONNECT_FLAG_WILL_QOS),
            format!(
                "Will QoS is {} but the Will Flag is 0; it must then be 0",
                f.will_qos
            ),
        );
    }
    if !f.will && f.will_retain {
        cx.diag(
            &diag::WILL_RETAIN_WITHOUT_WILL,
            at,
            1,
            Some(&fields::CONNECT_FLAG_WILL_RETAIN),
            "Will Retain is 1 but the Will Flag is 0; it must then be 0".into(),
        );
    }
    if f.will_qos == 3 {
        cx.unrepresentable = true;
        cx.diag(
            &diag::WILL_QOS_3,
            at,
            1,
            Some(&fields::CONNECT_FLAG_WILL_QOS),
            "Will QoS is 3, which does not exist (malformed)".into(),
        );
    }
    if f.password && !f.username && cx.version == ProtocolVersion::V3_1_1 {
        cx.diag(
            &diag::PASSWORD_WITHOUT_USERNAME,
            at,
            1,
            fl,
            "Password Flag set without User Name Flag; MQTT 3.1.1 does not allow it (5.0 does)"
                .into(),
        );
    }
    Ok(f)
}

fn check_client_id(cx: &mut Cx<'_>, id: MqttStr<'_>, at: usize, clean: bool) {
    let field = Some(&fields::CONNECT_CLIENT_ID);
    match cx.version {
        ProtocolVersion::V3_1_1 if id.is_empty() && !clean => cx.diag(
            &diag::CLIENT_ID_EMPTY_PERSISTENT,
            at,
            2,
            field,
            "zero-length Client Identifier needs Clean Session 1; the server answers \
             CONNACK 0x02 (identifier rejected)"
                .into(),
        ),
        ProtocolVersion::V3_1 => {
            let chars = id.as_str().map_or(id.len(), |s| s.chars().count());
            if chars == 0 || chars > 23 {
                cx.diag(
                    &diag::CLIENT_ID_V31_LENGTH,
                    at,
                    2 + id.len(),
                    field,
                    format!(
                        "MQTT 3.1 Client Identifier has {chars} characters; 3.1 requires 1 to \
                         23 and servers may answer CONNACK 2 (identifier rejected)"
                    ),
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeOptions;

    fn hex(h: &str) -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap_or_default())
            .collect()
    }

    /// The general path's result, tree aside.
    fn general(b: &[u8]) -> Decoded<'_> {
        let mut d = super::super::decode(b, &DecodeOptions::default());
        d.tree.clear();
        d
    }

    /// Clean CONNECTs of each version are taken; where a mutation is still taken, the
    /// general path finds nothing in it either and decodes it the same.
    #[test]
    fn fast_path_takes_clean_connects_and_agrees() {
        let seeds = [
            // 3.1: MQIsdp, will, user name, password.
            "102f00064d514973647003ee003c0009636c69656e742d3331000777696c6c2f3331000362796500047573657200027077",
            "103900044D51545404EE003C00086465766963652D31000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574",
            "105000044D51545405EE003C08110000007821000A00086465766963652D310D03000A746578742F706C61696E000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574",
        ];
        for s in seeds {
            let s = hex(s);
            let fast = fast(&s).expect("a clean CONNECT takes the fast path");
            assert_eq!(fast, general(&s));
            assert!(fast.diagnostics.is_empty());
            let mut taken = 0;
            for i in 0..s.len() {
                for x in 0..=255u8 {
                    let mut m = s.clone();
                    m[i] = x;
                    if let Some(f) = super::fast(&m) {
                        assert_eq!(f, general(&m), "{m:02x?}");
                        taken += 1;
                    }
                }
            }
            // Client id, topic, user name and payload bytes, keep alive, flags…
            assert!(taken > 1000, "{taken}");
        }
    }
}
