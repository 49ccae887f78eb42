//! UNSUBACK (§3.11).

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::UnsubAck;
use crate::codec::property::Properties;
use crate::codec::types::PacketType;

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<UnsubAck<'a>> {
    let packet_id = super::packet_id(cx, PacketType::UNSUBACK)?;
    if !cx.version.is_v5() {
        super::v3_ack_extra_bytes(cx, PacketType::UNSUBACK);
        return Ok(UnsubAck {
            packet_id,
            properties: Properties::new(),
            codes: Vec::new(),
        });
    }
    let properties = super::properties(cx, PacketType::UNSUBACK)?;
    let mut codes = Vec::new();
    while !cx.at_end() {
        codes.push(super::reason_code(
            cx,
            &fields::UNSUBACK_REASON_CODE,
            PacketType::UNSUBACK,
            "MQTT-3.11.3-2",
        )?);
    }
    if codes.is_empty() {
        let at = cx.pos;
        cx.diag(
            &diag::SUBACK_NO_CODES,
            at,
            0,
            None,
            "MQTT 5 UNSUBACK carries no reason code; it has one per topic filter".into(),
        );
        // The check is shared with SUBACK; UNSUBACK has its own statement.
        if let Some(d) = cx.diags.last_mut() {
            d.spec = "MQTT-3.11.3-1";
        }
    }
    Ok(UnsubAck {
        packet_id,
        properties,
        codes,
    })
}
