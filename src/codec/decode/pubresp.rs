//! PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4–§3.7): one shape, four reason-code tables.

use super::{DecodeOptions, Decoded};
use crate::codec::cursor::{Cx, Res};
use crate::codec::fields::{self, FieldDef};
use crate::codec::list::List;
use crate::codec::packet::{Packet, PubResponse};
use crate::codec::property::Properties;
use crate::codec::reason::{self, ReasonCode};
use crate::codec::types::PacketType;

/// An acknowledgement without a tree in its usual short form: the Packet Identifier, and
/// in 5.0 a reason code its table knows, no properties. Anything else goes down the
/// general path, which raises whatever diagnostics apply, so the result is the same.
// Inlined into `decode`; a fallback to the general path also writes the return slot.
#[inline(always)]
pub(super) fn fast<'a>(input: &'a [u8], opts: &DecodeOptions, errors: &mut bool) -> Decoded<'a> {
    let Some((t, flags, rl, packet_id, reason_code)) = read(input, opts) else {
        return super::general(input, opts, errors);
    };
    let r = PubResponse {
        packet_id,
        reason_code,
        properties: Properties::new(),
    };
    let bytes = input.get(..2 + usize::from(rl)).unwrap_or_default();
    Decoded {
        bytes,
        packet_type: t,
        flags,
        remaining_length: Some(rl.into()),
        len: bytes.len(),
        complete: true,
        version: opts.version,
        packet: Some(match t {
            PacketType::PUBACK => Packet::PubAck(r),
            PacketType::PUBREC => Packet::PubRec(r),
            PacketType::PUBREL => Packet::PubRel(r),
            _ => Packet::PubComp(r),
        }),
        diagnostics: List::new(),
        tree: List::new(),
    }
}

/// Type, flags, Remaining Length, Packet Identifier and reason code of a short form.
#[inline(always)]
fn read(input: &[u8], opts: &DecodeOptions) -> Option<(PacketType, u8, u8, u16, ReasonCode)> {
    let &[first, rl, hi, lo, ..] = input else {
        return None;
    };
    let t = PacketType(first >> 4);
    let flags = first & 0x0f;
    let expected = if t == PacketType::PUBREL { 2 } else { 0 };
    let packet_id = u16::from_be_bytes([hi, lo]);
    if !(PacketType::PUBACK.0..=PacketType::PUBCOMP.0).contains(&t.0)
        || flags != expected
        || packet_id == 0
    {
        return None;
    }
    let reason_code = match (rl, opts.version.is_v5()) {
        (2, _) => ReasonCode::SUCCESS,
        (3, true) => {
            let code = *input.get(4)?;
            reason::lookup(opts.version, t, code)?;
            ReasonCode(code)
        }
        _ => return None,
    };
    Some((t, flags, rl, packet_id, reason_code))
}

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
