//! PINGREQ and PINGRESP (§3.12, §3.13): no variable header, no payload.

use crate::codec::cursor::Cx;
use crate::codec::diag;

pub(super) fn decode(cx: &mut Cx<'_>) {
    if !cx.at_end() {
        let at = cx.pos;
        let n = cx.left();
        cx.diag(
            &diag::NONZERO_LENGTH,
            at,
            n,
            None,
            format!("PINGREQ/PINGRESP have Remaining Length 0; {n} byte(s) follow"),
        );
        super::undecoded(cx, at);
    }
}
