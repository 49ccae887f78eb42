//! Decoding: bytes → typed packet + field tree + diagnostics, in one pass.

mod auth;
mod connack;
mod connect;
mod disconnect;
mod ping;
mod publish;
mod pubresp;
mod suback;
mod subscribe;
mod unsuback;
mod unsubscribe;

use super::cursor::{Cx, Res};
use super::diag::{self, Diagnostic, Severity};
use super::fields::{self, FieldDef};
use super::list::List;
use super::packet::Packet;
use super::primitives::{self, VbiError};
use super::reason::{self, ReasonCode};
use super::tree::{Meaning, Node, Value};
use super::types::{Direction, PacketType, ProtocolVersion};

/// What the decoder needs to know beyond the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// The protocol version of the connection. A CONNECT carries its own and ignores this.
    pub version: ProtocolVersion,
    /// Who sent the packet, when known (enables direction-dependent checks).
    pub direction: Option<Direction>,
    /// Build the field tree (costs allocations; not needed for summaries).
    pub tree: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            version: ProtocolVersion::V3_1_1,
            direction: None,
            tree: true,
        }
    }
}

impl DecodeOptions {
    /// Options for `version` with the tree on.
    pub fn new(version: ProtocolVersion) -> Self {
        DecodeOptions {
            version,
            ..Default::default()
        }
    }
}

/// The result of decoding one packet: as much as could be decoded, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The packet's bytes that were present (from the fixed header on).
    pub bytes: &'a [u8],
    /// Packet type from the fixed header.
    pub packet_type: PacketType,
    /// The four flag bits of the fixed header.
    pub flags: u8,
    /// The Remaining Length, when it could be read.
    pub remaining_length: Option<u32>,
    /// Bytes of input this packet occupies (all of them when the input is cut short).
    pub len: usize,
    /// True when the input held the whole packet.
    pub complete: bool,
    /// The version the packet was decoded as (a CONNECT's own level, else the option).
    pub version: ProtocolVersion,
    /// The typed packet; `None` when the bytes cannot be represented (truncated, QoS 3…).
    pub packet: Option<Packet<'a>>,
    /// Findings, in byte order of discovery (usually none: a [`List`] then costs nothing).
    pub diagnostics: List<Diagnostic>,
    /// The field tree (empty unless asked for).
    pub tree: List<Node<'a>>,
}

impl Decoded<'_> {
    /// True when the result holds no allocation (the usual packet: no findings, no tree,
    /// a packet that [`Packet::is_borrowed`]). A new field that can own memory must be
    /// tested here (a test checks the answer against an allocation counter).
    #[inline]
    pub fn is_borrowed(&self) -> bool {
        !self.diagnostics.is_allocated()
            && !self.tree.is_allocated()
            && self.packet.as_ref().is_none_or(Packet::is_borrowed)
    }

    /// The worst severity among the diagnostics.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }

    /// True when no diagnostic is an error.
    pub fn is_ok(&self) -> bool {
        self.worst() != Some(Severity::Error)
    }
}

/// Decodes the packet at the start of `input`. Never panics; whatever the bytes, the
/// result holds every field decoded before a fault and a diagnostic saying where and why.
pub fn decode<'a>(input: &'a [u8], opts: &DecodeOptions) -> Decoded<'a> {
    decode_checked(input, opts, &mut false)
}

/// [`decode`], also setting `errors` to whether a diagnostic is an error (what
/// [`Decoded::is_ok`] denies): known here, and a caller that builds the result in place
/// cannot look at it before handing it on.
pub fn decode_checked<'a>(input: &'a [u8], opts: &DecodeOptions, errors: &mut bool) -> Decoded<'a> {
    // The fast paths take only packets without findings, and call the general path for
    // the rest: every result is built in the return slot.
    *errors = false;
    match input.first().map(|b| PacketType(b >> 4)) {
        _ if opts.tree => general(input, opts, errors),
        Some(PacketType::PUBLISH) => publish::fast(input, opts, errors),
        Some(PacketType::PUBACK | PacketType::PUBREC)
        | Some(PacketType::PUBREL | PacketType::PUBCOMP) => pubresp::fast(input, opts, errors),
        Some(PacketType::CONNECT) => match connect::fast(input) {
            Some(d) => d,
            None => general(input, opts, errors),
        },
        _ => general(input, opts, errors),
    }
}

/// [`decode_checked`] with a cursor: every check, the tree when asked for.
// Out of line: the fast paths keep a small frame.
#[inline(never)]
fn general<'a>(input: &'a [u8], opts: &DecodeOptions, errors: &mut bool) -> Decoded<'a> {
    let mut cx = Cx::new(input, opts.version, opts.direction, opts.tree);
    let (packet_type, flags, remaining_length, packet) = decode_in(&mut cx, input);
    let end = cx.buf.len();
    let complete = !cx.truncated() && remaining_length.is_some();
    let tree = match cx.tree.take() {
        Some(t) => (*t).finish(end, &cx.diags).into(),
        None => List::new(),
    };
    *errors = cx.diags.iter().any(|d| d.severity == Severity::Error);
    Decoded {
        bytes: cx.buf,
        packet_type,
        flags,
        remaining_length,
        len: end,
        complete,
        version: cx.version,
        packet: if cx.unrepresentable { None } else { packet },
        diagnostics: cx.diags.into(),
        tree,
    }
}

fn decode_in<'a>(
    cx: &mut Cx<'a>,
    input: &'a [u8],
) -> (PacketType, u8, Option<u32>, Option<Packet<'a>>) {
    let Some(&first) = input.first() else {
        cx.diag(
            &diag::TRUNCATED,
            0,
            0,
            None,
            "no bytes: a packet has at least 2 (type and Remaining Length)".into(),
        );
        return (PacketType::RESERVED, 0, None, None);
    };
    let packet_type = PacketType(first >> 4);
    let flags = first & 0x0f;
    header_node(cx, packet_type, flags);
    cx.pos = 1;
    let rl = match primitives::vbi(&input[1..]) {
        Ok((_, v)) => v,
        Err(VbiError::TooLong) => {
            cx.diag(
                &diag::VBI_TOO_LONG,
                1,
                4,
                Some(&fields::REMAINING_LENGTH),
                "Remaining Length: the 4th byte has its continuation bit set; a Variable \
                 Byte Integer has at most 4 bytes, so the packet's length is unknown"
                    .into(),
            );
            undecoded(cx, 1);
            return (packet_type, flags, None, None);
        }
        Err(VbiError::Incomplete(n)) => {
            cx.declared_end = usize::MAX;
            cx.diag(
                &diag::TRUNCATED,
                1,
                n,
                Some(&fields::REMAINING_LENGTH),
                format!(
                    "the input ends inside the Remaining Length ({} byte(s) of it present)",
                    n
                ),
            );
            undecoded(cx, 1);
            return (packet_type, flags, None, None);
        }
    };
    // Widening: the VBI is at most 268,435,455, so this cannot overflow.
    let total = 1 + rl.len + rl.value as usize;
    cx.declared_end = total;
    let present = total.min(input.len());
    cx.buf = &input[..present];
    cx.end = present;
    // Already read above: check and show it without reading it again.
    cx.pos = 1 + rl.len;
    if !rl.is_minimal() {
        cx.non_minimal(&fields::REMAINING_LENGTH, 1, rl);
    }
    cx.leaf(
        &fields::REMAINING_LENGTH,
        1,
        rl.len,
        Value::UInt(rl.value.into()),
    );
    if total > input.len() {
        cx.diag(
            &diag::TRUNCATED,
            1,
            rl.len,
            Some(&fields::REMAINING_LENGTH),
            format!(
                "Remaining Length {} announces a {total}-byte packet but only {} byte(s) are \
                 present; {} missing",
                rl.value,
                input.len(),
                total - input.len()
            ),
        );
    }
    check_header_flags(cx, packet_type, flags);
    let packet = body(cx, packet_type, flags).unwrap_or_default();
    (packet_type, flags, Some(rl.value), packet)
}

fn body<'a>(cx: &mut Cx<'a>, t: PacketType, flags: u8) -> Res<Option<Packet<'a>>> {
    Ok(Some(match t {
        PacketType::CONNECT => Packet::Connect(Box::new(connect::decode(cx)?)),
        PacketType::CONNACK => Packet::ConnAck(connack::decode(cx)?),
        PacketType::PUBLISH => Packet::Publish(publish::decode(cx, flags)?),
        PacketType::PUBACK => Packet::PubAck(pubresp::decode(cx, t)?),
        PacketType::PUBREC => Packet::PubRec(pubresp::decode(cx, t)?),
        PacketType::PUBREL => Packet::PubRel(pubresp::decode(cx, t)?),
        PacketType::PUBCOMP => Packet::PubComp(pubresp::decode(cx, t)?),
        PacketType::SUBSCRIBE => Packet::Subscribe(subscribe::decode(cx)?),
        PacketType::SUBACK => Packet::SubAck(suback::decode(cx)?),
        PacketType::UNSUBSCRIBE => Packet::Unsubscribe(unsubscribe::decode(cx)?),
        PacketType::UNSUBACK => Packet::UnsubAck(unsuback::decode(cx)?),
        PacketType::PINGREQ => {
            ping::decode(cx);
            Packet::PingReq
        }
        PacketType::PINGRESP => {
            ping::decode(cx);
            Packet::PingResp
        }
        PacketType::DISCONNECT => Packet::Disconnect(disconnect::decode(cx)?),
        PacketType::AUTH => match auth::decode(cx)? {
            Some(a) => Packet::Auth(a),
            None => return Ok(None),
        },
        _ => {
            cx.diag(
                &diag::RESERVED_PACKET_TYPE,
                0,
                1,
                Some(&fields::HEADER_TYPE),
                "packet type 0 is reserved and must not be used".into(),
            );
            let at = cx.pos;
            undecoded(cx, at);
            return Ok(None);
        }
    }))
}

/// Shows every byte from `at` to the end of the region as undecoded.
pub(crate) fn undecoded<'a>(cx: &mut Cx<'a>, at: usize) {
    cx.pos = at;
    if at < cx.end {
        let rest = cx.rest();
        cx.leaf(&fields::UNDECODED, at, rest.len(), Value::Bytes(rest));
    }
}

fn header_node(cx: &mut Cx<'_>, t: PacketType, flags: u8) {
    if cx.tree.is_none() {
        cx.pos = 1;
        return;
    }
    let first = (t.0 << 4) | flags;
    cx.open_at(&fields::HEADER, 0, Value::UInt(first.into()));
    let name = t.name().unwrap_or("Reserved");
    cx.bits(
        &fields::HEADER_TYPE,
        0,
        0xf0,
        Value::UInt(t.0.into()),
        Some(Meaning::name(name)),
    );
    if t == PacketType::PUBLISH {
        dup_and_qos_bits(cx, flags);
        cx.bits(
            &fields::HEADER_RETAIN,
            0,
            0x01,
            Value::Bool(flags & 1 != 0),
            None,
        );
    } else if v31_qos1_flags(cx, t) {
        // MQTT 3.1 gives PUBREL, SUBSCRIBE and UNSUBSCRIBE a real DUP flag and QoS 1
        // ("Retries are handled in the same way as PUBLISH messages"); only Retain is unused.
        dup_and_qos_bits(cx, flags);
        cx.bits(
            &fields::HEADER_RETAIN_RESERVED,
            0,
            0x01,
            Value::UInt((flags & 1).into()),
            None,
        );
    } else {
        cx.bits(
            &fields::HEADER_RESERVED,
            0,
            0x0f,
            Value::UInt(flags.into()),
            None,
        );
    }
    cx.pos = 1;
    cx.close();
}

/// MQTT 3.1 PUBREL, SUBSCRIBE and UNSUBSCRIBE: DUP, QoS 1, Retain unused (3.1 §3.6, §3.8, §3.10).
fn v31_qos1_flags(cx: &Cx<'_>, t: PacketType) -> bool {
    cx.version == ProtocolVersion::V3_1
        && matches!(
            t,
            PacketType::PUBREL | PacketType::SUBSCRIBE | PacketType::UNSUBSCRIBE
        )
}

/// The DUP flag and QoS bits of a fixed header (PUBLISH, and 3.1's retried packets).
fn dup_and_qos_bits(cx: &mut Cx<'_>, flags: u8) {
    let qos = (flags >> 1) & 3;
    cx.bits(
        &fields::HEADER_DUP,
        0,
        0x08,
        Value::Bool(flags & 8 != 0),
        None,
    );
    cx.bits(
        &fields::HEADER_QOS,
        0,
        0x06,
        Value::UInt(qos.into()),
        Some(qos_meaning(qos)),
    );
}

fn check_header_flags(cx: &mut Cx<'_>, t: PacketType, flags: u8) {
    // 3.1 allows DUP on a retried PUBREL/SUBSCRIBE/UNSUBSCRIBE; the rest must still be 0010.
    let flags = if v31_qos1_flags(cx, t) {
        flags & 0x07
    } else {
        flags
    };
    let (expected, check) = match t {
        PacketType::PUBLISH | PacketType::RESERVED => return,
        PacketType::PUBREL => (2, &diag::PUBREL_FLAGS),
        PacketType::SUBSCRIBE => (2, &diag::SUBSCRIBE_FLAGS),
        PacketType::UNSUBSCRIBE => (2, &diag::UNSUBSCRIBE_FLAGS),
        PacketType::DISCONNECT => (0, &diag::DISCONNECT_FLAGS),
        PacketType::AUTH => (0, &diag::AUTH_FLAGS),
        _ => (0, &diag::RESERVED_FLAGS),
    };
    if flags != expected {
        cx.diag(
            check,
            0,
            1,
            Some(&fields::HEADER_RESERVED),
            format!(
                "{t} fixed header flags are {flags:04b}; they must be {expected:04b} \
                 (a receiver closes the connection)"
            ),
        );
    }
}

/// The meaning of a QoS value (3 is malformed).
pub(super) fn qos_meaning(q: u8) -> Meaning {
    match super::types::QoS::from_u8(q) {
        Some(q) => Meaning::name(q.name()),
        None => Meaning::name("Reserved (malformed)"),
    }
}

/// Reads a reason/return code byte into `field`, names it, and checks it against the
/// packet's own table.
pub(super) fn reason_code(
    cx: &mut Cx<'_>,
    field: &'static FieldDef,
    packet: PacketType,
    statement: &'static str,
) -> Res<ReasonCode> {
    let at = cx.pos;
    let code = cx.u8(field)?;
    let version = cx.version;
    match reason::lookup(version, packet, code) {
        Some(info) => {
            cx.meaning(|| Some(reason_meaning(info)));
        }
        None => {
            let elsewhere: Vec<&str> = if version.is_v5() {
                reason::v5_entries(code).map(|r| r.name).collect()
            } else {
                Vec::new()
            };
            let (check, msg) = if let Some(name) = elsewhere.first() {
                (
                    &diag::REASON_CODE_NOT_ALLOWED,
                    format!(
                        "0x{code:02X} ({name}) is a reason code, but not one {packet} may carry"
                    ),
                )
            } else {
                (
                    &diag::REASON_CODE_UNKNOWN,
                    format!(
                        "0x{code:02X} ({code}) is not a {packet} {} defined by MQTT {version}",
                        if version.is_v5() {
                            "reason code"
                        } else {
                            "return code"
                        }
                    ),
                )
            };
            cx.meaning(|| Some(Meaning::name(format!("Unknown (0x{code:02X})"))));
            cx.diag(check, at, 1, Some(field), msg);
            // The packet's own statement is the precise reference.
            if let Some(d) = cx.diags.last_mut() {
                d.spec = statement;
            }
        }
    }
    Ok(ReasonCode(code))
}

pub(super) fn reason_meaning(info: &'static reason::ReasonInfo) -> Meaning {
    Meaning::with_detail(info.name, info.meaning)
}

/// A zero-length node for a value the wire omitted (short forms of v5 packets).
pub(super) fn implied(cx: &mut Cx<'_>, field: &'static FieldDef, packet: PacketType, code: u8) {
    let at = cx.pos;
    cx.leaf(field, at, 0, Value::UInt(code.into()));
    let name = reason::lookup(cx.version, packet, code).map_or("Success", |r| r.name);
    cx.meaning(|| {
        Some(Meaning::with_detail(
            name,
            "omitted on the wire: the short form implies it",
        ))
    });
}

/// A 3.x acknowledgement is the Packet Identifier alone (Remaining Length 2): report and
/// show whatever follows (often an MQTT 5 reason code and properties).
pub(super) fn v3_ack_extra_bytes(cx: &mut Cx<'_>, t: PacketType) {
    if cx.at_end() {
        return;
    }
    let at = cx.pos;
    let n = cx.left();
    cx.diag(
        &diag::ACK_LENGTH_V3,
        at,
        n,
        None,
        format!(
            "{t} in MQTT {} has Remaining Length 2 (the Packet Identifier only); {n} more \
             byte(s) follow (an MQTT 5 reason code and properties?)",
            cx.version
        ),
    );
    undecoded(cx, at);
}

/// A non-zero Packet Identifier [MQTT-2.2.1-3].
pub(super) fn packet_id(cx: &mut Cx<'_>, what: PacketType) -> Res<u16> {
    let at = cx.pos;
    let id = cx.u16(&fields::PACKET_ID)?;
    if id == 0 {
        cx.diag(
            &diag::PACKET_ID_ZERO,
            at,
            2,
            Some(&fields::PACKET_ID),
            format!("{what} with Packet Identifier 0; identifiers are 1..65535"),
        );
    }
    Ok(id)
}

/// The property block of a v5 packet, with the packet type's placement rules.
pub(super) fn properties<'a>(
    cx: &mut Cx<'a>,
    t: PacketType,
) -> Res<super::property::Properties<'a>> {
    super::property::decode_block(cx, &fields::PROPERTIES, 1 << t.0, t.name().unwrap_or("?"))
}
