//! SUBSCRIBE (§3.8).

use super::qos_meaning;
use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::{Subscribe, Subscription};
use crate::codec::property::Properties;
use crate::codec::topic;
use crate::codec::tree::{Meaning, Value};
use crate::codec::types::{PacketType, QoS};

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<Subscribe<'a>> {
    let packet_id = super::packet_id(cx, PacketType::SUBSCRIBE)?;
    let v5 = cx.version.is_v5();
    let properties = if v5 {
        super::properties(cx, PacketType::SUBSCRIBE)?
    } else {
        Properties::new()
    };
    let mut subscriptions = Vec::new();
    while !cx.at_end() {
        cx.open(&fields::SUBSCRIBE_SUBSCRIPTION);
        let r = subscription(cx, v5);
        cx.close();
        subscriptions.push(r?);
    }
    if subscriptions.is_empty() {
        let at = cx.pos;
        cx.diag(
            &diag::SUBSCRIBE_NO_FILTERS,
            at,
            0,
            None,
            "SUBSCRIBE carries no topic filter; at least one is required".into(),
        );
    }
    Ok(Subscribe {
        packet_id,
        properties,
        subscriptions,
    })
}

fn subscription<'a>(cx: &mut Cx<'a>, v5: bool) -> Res<Subscription<'a>> {
    let at = cx.pos;
    let filter = cx.string(&fields::SUBSCRIBE_TOPIC_FILTER)?;
    for (check, off, len, msg) in topic::check_filter(filter.0, v5) {
        let off = if filter.is_empty() { at } else { at + 2 + off };
        let len = if filter.is_empty() { 2 } else { len };
        cx.diag(check, off, len, Some(&fields::SUBSCRIBE_TOPIC_FILTER), msg);
    }
    let o_at = cx.pos;
    let field = if v5 {
        &fields::SUBSCRIBE_OPTIONS
    } else {
        &fields::SUBSCRIBE_REQUESTED_QOS
    };
    let b = cx.u8_raw(field)?;
    let qos = b & 3;
    let s = Subscription {
        filter,
        qos: QoS::from_u8(qos).unwrap_or_default(),
        no_local: v5 && b & 0x04 != 0,
        retain_as_published: v5 && b & 0x08 != 0,
        retain_handling: if v5 { (b >> 4) & 3 } else { 0 },
    };
    if v5 {
        cx.open_at(field, o_at, Value::UInt(b.into()));
        cx.bits(
            &fields::SUBSCRIBE_OPTIONS_QOS,
            o_at,
            0x03,
            Value::UInt(qos.into()),
            Some(qos_meaning(qos)),
        );
        cx.bits(
            &fields::SUBSCRIBE_OPTIONS_NO_LOCAL,
            o_at,
            0x04,
            Value::Bool(s.no_local),
            None,
        );
        cx.bits(
            &fields::SUBSCRIBE_OPTIONS_RAP,
            o_at,
            0x08,
            Value::Bool(s.retain_as_published),
            None,
        );
        cx.bits(
            &fields::SUBSCRIBE_OPTIONS_RETAIN_HANDLING,
            o_at,
            0x30,
            Value::UInt(s.retain_handling.into()),
            Some(Meaning::name(match s.retain_handling {
                0 => "send retained messages at subscribe time",
                1 => "send retained messages only if the subscription is new",
                2 => "do not send retained messages",
                _ => "Reserved (protocol error)",
            })),
        );
        cx.bits(
            &fields::SUBSCRIBE_OPTIONS_RESERVED,
            o_at,
            0xc0,
            Value::UInt((b >> 6).into()),
            None,
        );
        cx.close();
    } else {
        cx.bits(
            field,
            o_at,
            0xff,
            Value::UInt(b.into()),
            Some(qos_meaning(qos)),
        );
    }
    let reserved = if v5 { b & 0xc0 } else { b & 0xfc };
    if reserved != 0 {
        cx.diag(
            &diag::SUBSCRIPTION_OPTIONS_RESERVED,
            o_at,
            1,
            Some(field),
            if v5 {
                format!("subscription options 0x{b:02X}: bits 7..6 are reserved and must be 0")
            } else {
                format!("requested QoS byte 0x{b:02X}: the upper 6 bits are reserved and must be 0")
            },
        );
    }
    if qos == 3 {
        cx.unrepresentable = true;
        cx.diag(
            &diag::SUBSCRIPTION_QOS_3,
            o_at,
            1,
            Some(field),
            "subscription QoS 3 does not exist".into(),
        );
    }
    if s.retain_handling == 3 {
        cx.unrepresentable = true;
        cx.diag(
            &diag::RETAIN_HANDLING_3,
            o_at,
            1,
            Some(&fields::SUBSCRIBE_OPTIONS_RETAIN_HANDLING),
            "Retain Handling 3 is reserved: Protocol Error".into(),
        );
    }
    if v5 && s.no_local && filter.0.starts_with(b"$share/") {
        cx.diag(
            &diag::NO_LOCAL_SHARED,
            o_at,
            1,
            Some(&fields::SUBSCRIBE_OPTIONS_NO_LOCAL),
            "No Local on a shared subscription is a Protocol Error".into(),
        );
    }
    Ok(s)
}
