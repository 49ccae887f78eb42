//! CONNACK (§3.2).

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::ConnAck;
use crate::codec::property::Properties;
use crate::codec::tree::{Meaning, Value};
use crate::codec::types::{PacketType, ProtocolVersion};

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<ConnAck<'a>> {
    let at = cx.pos;
    let b = cx.u8_raw(&fields::CONNACK_FLAGS)?;
    // MQTT 3.1 has no Session Present: its first variable-header byte is "Reserved values.
    // Not used." (3.1 §3.2); the flag and the must-be-zero rule came with 3.1.1.
    let v31 = cx.version == ProtocolVersion::V3_1;
    let session_present = b & 1 != 0;
    if v31 {
        cx.leaf(
            &fields::CONNACK_FLAGS_RESERVED,
            at,
            1,
            Value::UInt(b.into()),
        );
        cx.meaning(|| Some(Meaning::name("reserved in MQTT 3.1 (not used)")));
    } else {
        cx.open_at(&fields::CONNACK_FLAGS, at, Value::UInt(b.into()));
        cx.bits(
            &fields::CONNACK_SESSION_PRESENT,
            at,
            0x01,
            Value::Bool(session_present),
            Some(Meaning::name(if session_present {
                "the server resumed a stored session"
            } else {
                "new session"
            })),
        );
        cx.bits(
            &fields::CONNACK_FLAGS_RESERVED,
            at,
            0xfe,
            Value::UInt((b >> 1).into()),
            None,
        );
        cx.close();
        if b & 0xfe != 0 {
            cx.diag(
                &diag::CONNACK_RESERVED_FLAGS,
                at,
                1,
                Some(&fields::CONNACK_FLAGS_RESERVED),
                format!("acknowledge flags 0x{b:02X}: bits 7..1 are reserved and must be 0"),
            );
        }
    }
    let v5 = cx.version.is_v5();
    let code_at = cx.pos;
    let (field, statement) = if v5 {
        (&fields::CONNACK_REASON_CODE, "MQTT-3.2.2-8")
    } else {
        (&fields::CONNACK_RETURN_CODE, "§3.2.2.3")
    };
    let code = super::reason_code(cx, field, PacketType::CONNACK, statement)?;
    if code.0 != 0 && session_present && !v31 {
        cx.diag(
            &diag::CONNACK_SESSION_PRESENT_ON_FAILURE,
            at,
            code_at + 1 - at,
            Some(&fields::CONNACK_SESSION_PRESENT),
            format!(
                "Session Present is 1 on a refused connection (code 0x{:02X}); it must be 0",
                code.0
            ),
        );
    }
    let properties = if v5 {
        if cx.missing_here() {
            let at = cx.pos;
            cx.diag(
                &diag::PROPERTY_LENGTH_MISSING,
                at,
                0,
                Some(&fields::PROPERTY_LENGTH),
                "MQTT 5 CONNACK without Property Length (0 must be sent when there are no \
                 properties); is this a 3.1.1 CONNACK?"
                    .into(),
            );
            Properties::new()
        } else {
            super::properties(cx, PacketType::CONNACK)?
        }
    } else {
        Properties::new()
    };
    cx.expect_end("CONNACK");
    Ok(ConnAck {
        session_present,
        code,
        properties,
    })
}
