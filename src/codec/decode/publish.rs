//! PUBLISH (§3.3).

use super::{DecodeOptions, Decoded};
use crate::codec::cursor::{self, Cx, Res};
use crate::codec::diag::{self, Severity};
use crate::codec::fields;
use crate::codec::list::List;
use crate::codec::packet::Packet;
use crate::codec::packet::Publish;
use crate::codec::primitives;
use crate::codec::property::{self, Properties, PropertyId};
use crate::codec::topic;
use crate::codec::tree::Value;
use crate::codec::types::{Direction, MqttStr, PacketType, QoS};

/// The identifiers a PUBLISH's properties may have.
const ALLOWED: u64 = property::allowed_in(1 << PacketType::PUBLISH.0);
/// A PUBLISH carries one Subscription Identifier per matching subscription.
const REPEATABLE: u64 =
    1 << PropertyId::USER_PROPERTY.0 | 1 << PropertyId::SUBSCRIPTION_IDENTIFIER.0;

/// A PUBLISH without a tree when nothing about it is unusual: straight-line code for the
/// most common packet. Anything else goes down the general path, which raises whatever
/// diagnostics apply, so the result is the same either way.
// Inlined into `decode`; a fallback to the general path also writes the return slot.
#[inline(always)]
pub(super) fn fast<'a>(input: &'a [u8], opts: &DecodeOptions, errors: &mut bool) -> Decoded<'a> {
    let Some(p) = read(input, opts) else {
        return super::general(input, opts, errors);
    };
    Decoded {
        bytes: p.buf,
        packet_type: PacketType::PUBLISH,
        flags: p.flags,
        remaining_length: Some(p.remaining_length),
        len: p.buf.len(),
        complete: true,
        version: opts.version,
        packet: Some(Packet::Publish(Publish {
            dup: p.flags & 0x08 != 0,
            qos: QoS::from_u8((p.flags >> 1) & 3).unwrap_or_default(),
            retain: p.flags & 1 != 0,
            topic: MqttStr(p.topic),
            packet_id: p.packet_id,
            properties: p.properties,
            payload: p.payload,
        })),
        diagnostics: List::new(),
        tree: List::new(),
    }
}

/// What [`fast`] read.
struct Parts<'a> {
    buf: &'a [u8],
    flags: u8,
    remaining_length: u32,
    topic: &'a [u8],
    packet_id: Option<u16>,
    properties: Properties<'a>,
    payload: &'a [u8],
}

#[inline(always)]
fn read<'a>(input: &'a [u8], opts: &DecodeOptions) -> Option<Parts<'a>> {
    let (&first, after) = input.split_first()?;
    let flags = first & 0x0f;
    let qos_bits = (flags >> 1) & 3;
    if first >> 4 != PacketType::PUBLISH.0 || qos_bits == 3 || (flags & 0x08 != 0 && qos_bits == 0)
    {
        return None;
    }
    let rl = primitives::minimal_vbi(after)?;
    let buf = input.get(..1 + rl.len + rl.value as usize)?;
    let mut pos = 1 + rl.len;
    let n = usize::from(u16::from_be_bytes(*buf.get(pos..)?.first_chunk()?));
    let topic = buf.get(pos + 2..pos + 2 + n)?;
    // Empty, wildcard or not printable ASCII: checks with findings to report.
    if n == 0 || cursor::scan(topic) != 0 {
        return None;
    }
    pos += 2 + n;
    let packet_id = if qos_bits > 0 {
        let id = u16::from_be_bytes(*buf.get(pos..)?.first_chunk()?);
        if id == 0 {
            return None;
        }
        pos += 2;
        Some(id)
    } else {
        None
    };
    let properties = if opts.version.is_v5() {
        let p = property::fast_block(buf, &mut pos, ALLOWED, REPEATABLE)?;
        if opts.direction == Some(Direction::ClientToServer)
            && p.may_have(PropertyId::SUBSCRIPTION_IDENTIFIER)
        {
            return None;
        }
        p
    } else {
        Properties::new()
    };
    let payload = &buf[pos..];
    // No properties in 3.x: no payload check either.
    if !properties.is_empty()
        && !payload.is_ascii()
        && properties
            .get(PropertyId::PAYLOAD_FORMAT_INDICATOR)
            .is_some()
    {
        return None;
    }
    Some(Parts {
        buf,
        flags,
        remaining_length: rl.value,
        topic,
        packet_id,
        properties,
        payload,
    })
}

pub(super) fn decode<'a>(cx: &mut Cx<'a>, flags: u8) -> Res<Publish<'a>> {
    let dup = flags & 0x08 != 0;
    let qos_bits = (flags >> 1) & 3;
    let retain = flags & 1 != 0;
    if qos_bits == 3 {
        cx.unrepresentable = true;
        cx.diag(
            &diag::PUBLISH_QOS_3,
            0,
            1,
            Some(&fields::HEADER_QOS),
            "QoS bits are 11 (QoS 3), which does not exist: malformed; decoding the rest as if \
             a Packet Identifier follows the topic"
                .into(),
        );
    }
    if dup && qos_bits == 0 {
        cx.diag(
            &diag::PUBLISH_DUP_QOS0,
            0,
            1,
            Some(&fields::HEADER_DUP),
            "DUP is 1 on a QoS 0 PUBLISH; it must be 0".into(),
        );
    }
    let topic_at = cx.pos;
    let (topic, scan) = cx.string_scan(&fields::PUBLISH_TOPIC)?;
    if scan.wildcard {
        for (check, off, len, msg) in topic::check_name(topic.0) {
            cx.diag(
                check,
                topic_at + 2 + off,
                len,
                Some(&fields::PUBLISH_TOPIC),
                msg,
            );
        }
    }
    let packet_id = if qos_bits > 0 {
        Some(super::packet_id(cx, PacketType::PUBLISH)?)
    } else {
        None
    };
    let v5 = cx.version.is_v5();
    let props_at = cx.pos;
    let properties = if v5 {
        super::properties(cx, PacketType::PUBLISH)?
    } else {
        Properties::new()
    };
    if topic.is_empty() {
        if !v5 {
            cx.diag(
                &diag::TOPIC_EMPTY,
                topic_at,
                2,
                Some(&fields::PUBLISH_TOPIC),
                "zero-length Topic Name; a topic has at least one character".into(),
            );
        } else if properties.get(PropertyId::TOPIC_ALIAS).is_none() {
            cx.diag(
                &diag::TOPIC_EMPTY_NO_ALIAS,
                topic_at,
                2,
                Some(&fields::PUBLISH_TOPIC),
                "zero-length Topic Name without a Topic Alias property: Protocol Error".into(),
            );
        }
    }
    if cx.direction == Some(Direction::ClientToServer)
        && properties
            .get(PropertyId::SUBSCRIPTION_IDENTIFIER)
            .is_some()
    {
        let span = cx.pos - props_at;
        cx.diag(
            &diag::SUBSCRIPTION_ID_FROM_CLIENT,
            props_at,
            span,
            Some(&fields::P_SUBSCRIPTION_IDENTIFIER),
            "a PUBLISH from the client carries a Subscription Identifier; only the server \
             may send it"
                .into(),
        );
    }
    let at = cx.pos;
    let payload = cx.rest();
    cx.leaf(
        &fields::PUBLISH_PAYLOAD,
        at,
        payload.len(),
        Value::Bytes(payload),
    );
    // An ASCII payload is UTF-8 whatever the indicator says: only look it up otherwise.
    let maybe_bad = !payload.is_ascii();
    if let Some(pfi) = maybe_bad
        .then(|| properties.get(PropertyId::PAYLOAD_FORMAT_INDICATOR))
        .flatten()
    {
        if pfi.as_u32() == Some(1) {
            if let Err(e) = std::str::from_utf8(payload) {
                let bad = at + e.valid_up_to();
                cx.diag_sev(
                    &diag::PAYLOAD_NOT_UTF8,
                    Severity::Warning,
                    bad,
                    e.error_len().unwrap_or(1),
                    Some(&fields::PUBLISH_PAYLOAD),
                    format!(
                        "Payload Format Indicator is 1 (UTF-8) but the payload is not valid \
                         UTF-8 at offset {bad}; a receiver may answer 0x99 Payload format invalid"
                    ),
                );
            }
        }
    }
    Ok(Publish {
        dup,
        qos: QoS::from_u8(qos_bits).unwrap_or_default(),
        retain,
        topic,
        packet_id,
        properties,
        payload,
    })
}
