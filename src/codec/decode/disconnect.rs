//! DISCONNECT (§3.14).

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::Disconnect;
use crate::codec::property::{Properties, PropertyId};
use crate::codec::reason::ReasonCode;
use crate::codec::types::{Direction, PacketType};

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<Disconnect<'a>> {
    let t = PacketType::DISCONNECT;
    if !cx.version.is_v5() {
        if !cx.at_end() {
            let at = cx.pos;
            let n = cx.left();
            cx.diag(
                &diag::REASON_CODE_IN_V3,
                at,
                n,
                None,
                format!(
                    "DISCONNECT in MQTT {} has Remaining Length 0; {n} byte(s) follow (an MQTT 5 \
                     reason code?)",
                    cx.version
                ),
            );
            // The DISCONNECT section is the precise reference.
            if let Some(d) = cx.diags.last_mut() {
                d.spec = "§3.14.1";
            }
            super::undecoded(cx, at);
        }
        return Ok(Disconnect::default());
    }
    if cx.at_end() {
        super::implied(cx, &fields::DISCONNECT_REASON_CODE, t, 0);
        return Ok(Disconnect::default());
    }
    let reason_code: ReasonCode =
        super::reason_code(cx, &fields::DISCONNECT_REASON_CODE, t, "MQTT-3.14.2-1")?;
    let props_at = cx.pos;
    let properties = if cx.at_end() {
        Properties::new()
    } else {
        super::properties(cx, t)?
    };
    if cx.direction == Some(Direction::ServerToClient)
        && properties
            .get(PropertyId::SESSION_EXPIRY_INTERVAL)
            .is_some()
    {
        let span = cx.pos - props_at;
        cx.diag(
            &diag::SERVER_DISCONNECT_SESSION_EXPIRY,
            props_at,
            span,
            Some(&fields::P_SESSION_EXPIRY_INTERVAL),
            "a DISCONNECT from the server carries Session Expiry Interval; only the client may"
                .into(),
        );
    }
    cx.expect_end("DISCONNECT");
    Ok(Disconnect {
        reason_code,
        properties,
    })
}
