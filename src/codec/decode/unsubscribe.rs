//! UNSUBSCRIBE (§3.10).

use crate::codec::cursor::{Cx, Res};
use crate::codec::diag;
use crate::codec::fields;
use crate::codec::packet::Unsubscribe;
use crate::codec::property::Properties;
use crate::codec::topic;
use crate::codec::types::PacketType;

pub(super) fn decode<'a>(cx: &mut Cx<'a>) -> Res<Unsubscribe<'a>> {
    let packet_id = super::packet_id(cx, PacketType::UNSUBSCRIBE)?;
    let v5 = cx.version.is_v5();
    let properties = if v5 {
        super::properties(cx, PacketType::UNSUBSCRIBE)?
    } else {
        Properties::new()
    };
    let mut filters = Vec::new();
    while !cx.at_end() {
        let at = cx.pos;
        let f = cx.string(&fields::UNSUBSCRIBE_TOPIC_FILTER)?;
        for (check, off, len, msg) in topic::check_filter(f.0, v5) {
            let (off, len) = if f.is_empty() {
                (at, 2)
            } else {
                (at + 2 + off, len)
            };
            cx.diag(
                check,
                off,
                len,
                Some(&fields::UNSUBSCRIBE_TOPIC_FILTER),
                msg,
            );
        }
        filters.push(f);
    }
    if filters.is_empty() {
        let at = cx.pos;
        cx.diag(
            &diag::UNSUBSCRIBE_NO_FILTERS,
            at,
            0,
            None,
            "UNSUBSCRIBE carries no topic filter; at least one is required".into(),
        );
    }
    Ok(Unsubscribe {
        packet_id,
        properties,
        filters,
    })
}
