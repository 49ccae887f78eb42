//! PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4–§3.7): one shape, four reason-code tables.

use crate::codec::cursor::{Cx, Res};
use crate::codec::fields::{self, FieldDef};
use crate::codec::packet::PubResponse;
use crate::codec::property::Properties;
use crate::codec::reason::ReasonCode;
use crate::codec::types::PacketType;

fn reason_field(t: PacketType) -> (&'static FieldDef, &'static str) {
    match t {
        PacketType::PUBACK => (&fields::PUBACK_REASON_CODE, "MQTT-3.4.2-1"),
        PacketType::PUBREC => (&fields::PUBREC_REASON_CODE, "MQTT-3.5.2-1"),
        PacketType::PUBREL => (&fields::PUBREL_REASON_CODE, "MQTT-3.6.2-1"),
        _ => (&fields::PUBCOMP_REASON_CODE, "MQTT-3.7.2-1"),
    }
}

pub(super) fn decode<'a>(cx: &mut Cx<'a>, t: PacketType) -> Res<PubResponse<'a>> {
    let packet_id = super::packet_id(cx, t)?;
    let (field, statement) = reason_field(t);
    if !cx.version.is_v5() {
        super::v3_ack_extra_bytes(cx, t);
        return Ok(PubResponse {
            packet_id,
            reason_code: ReasonCode::SUCCESS,
            properties: Properties::new(),
        });
    }
    if cx.at_end() {
        super::implied(cx, field, t, 0);
        return Ok(PubResponse {
            packet_id,
            reason_code: ReasonCode::SUCCESS,
            properties: Properties::new(),
        });
    }
    let reason_code = super::reason_code(cx, field, t, statement)?;
    let properties = if cx.at_end() {
        Properties::new()
    } else {
        super::properties(cx, t)?
    };
    cx.expect_end(&t.to_string());
    Ok(PubResponse {
        packet_id,
        reason_code,
        properties,
    })
}
