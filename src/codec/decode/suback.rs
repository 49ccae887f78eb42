//! SUBACK (§3.9).

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::SubAck;
use crate::codec::property::Properties;
use crate::codec::types::PacketType;

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<SubAck<'a>> {
    let packet_id = super::packet_id(cx, PacketType::SUBACK)?;
    let v5 = cx.version.is_v5();
    let properties = if v5 {
        super::properties(cx, PacketType::SUBACK)?
    } else {
        Properties::new()
    };
    let (field, statement) = if v5 {
        (&fields::SUBACK_REASON_CODE, "MQTT-3.9.3-2")
    } else {
        (&fields::SUBACK_RETURN_CODE, "§3.9.3")
    };
    let mut codes = Vec::new();
    while !cx.at_end() {
        codes.push(super::reason_code(
            cx,
            field,
            PacketType::SUBACK,
            statement,
        )?);
    }
    if codes.is_empty() {
        let at = cx.pos;
        cx.diag(
            &diag::SUBACK_NO_CODES,
            at,
            0,
            None,
            "SUBACK carries no return code; it has one per topic filter of the SUBSCRIBE".into(),
        );
    }
    Ok(SubAck {
        packet_id,
        properties,
        codes,
    })
}
