//! AUTH (§3.15), MQTT 5 only.

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::Auth;
use crate::codec::types::PacketType;

/// `None` when the packet cannot be an AUTH at all (MQTT 3.x).
pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<Option<Auth<'a>>> {
    let t = PacketType::AUTH;
    if !cx.version.is_v5() {
        cx.diag(
            &diag::AUTH_NOT_IN_V3,
            0,
            1,
            Some(&fields::HEADER_TYPE),
            format!(
                "packet type 15 (AUTH) does not exist in MQTT {}; it is reserved there",
                cx.version
            ),
        );
        let at = cx.pos;
        super::undecoded(cx, at);
        return Ok(None);
    }
    if cx.at_end() {
        super::implied(cx, &fields::AUTH_REASON_CODE, t, 0);
        return Ok(Some(Auth::default()));
    }
    let reason_code = super::reason_code(cx, &fields::AUTH_REASON_CODE, t, "MQTT-3.15.2-1")?;
    let properties = if cx.missing_here() {
        let at = cx.pos;
        cx.diag(
            &diag::PROPERTY_LENGTH_MISSING,
            at,
            0,
            Some(&fields::PROPERTY_LENGTH),
            "AUTH with a reason code must carry a Property Length (only the 0-length form \
             may omit both)"
                .into(),
        );
        Default::default()
    } else {
        super::properties(cx, t)?
    };
    cx.expect_end("AUTH");
    Ok(Some(Auth {
        reason_code,
        properties,
    }))
}
