//! Which protocol version to decode a packet as.
//!
//! MQTT 3.1.1 and 5.0 share the fixed header but not the rest: 5.0 adds properties and
//! reason codes. A CONNECT says which version its connection speaks; without one (a pasted
//! fragment, a capture that starts mid-connection) the packet is decoded as both 3.1.1 and
//! 5.0 and the reading without errors wins, with the reason stated. [`assume_version`] is the
//! pure decision for one packet; [`VersionTracker`] keeps the state of one byte stream (the
//! CONNECT seen, the version earlier packets settled on) and is what `hex` and a capture's
//! connections use.

use crate::codec::diag::Severity;
use crate::codec::tree::{Node, Value};
use crate::codec::{
    decode, decode_checked, DecodeOptions, Decoded, Direction, PacketType, ProtocolVersion,
};

/// Where the version a packet was decoded as came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// A CONNECT: the packet itself, or one earlier in the same stream.
    Connect,
    /// Forced by the user (`--protocol`).
    Option,
    /// Assumed from how the packet decodes (no CONNECT, no option).
    Auto,
}

impl VersionSource {
    /// `connect`, `option` or `auto`, as the JSON output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionSource::Connect => "connect",
            VersionSource::Option => "option",
            VersionSource::Auto => "auto",
        }
    }
}

/// A packet decoded with a version chosen for it.
#[derive(Clone, Debug)]
pub struct Assumed<'a> {
    /// The reading shown first.
    pub decoded: Decoded<'a>,
    /// Where its version came from.
    pub source: VersionSource,
    /// Why this version, when it was not simply given (a sentence for humans).
    pub reason: Option<String>,
    /// Another reading that also decodes without errors but gives different fields:
    /// both are shown, since the bytes alone cannot tell which is meant.
    /// Boxed: it is rare, and a `Decoded` inline would double the size of every record
    /// moved through the pipeline.
    pub alternative: Option<Box<Decoded<'a>>>,
}

fn errors(d: &Decoded<'_>) -> usize {
    d.diagnostics
        .iter()
        .filter(|x| x.severity == Severity::Error)
        .count()
}

fn first_error(d: &Decoded<'_>) -> String {
    d.diagnostics
        .iter()
        .find(|x| x.severity == Severity::Error)
        .map(|x| format!("{} ({})", x.message, x.check.id))
        .unwrap_or_default()
}

/// The wire-level content of a tree: every node that covers bytes, by position and value.
/// Two readings with the same content differ only in names (a 3.1.1 "return code" and a 5.0
/// "reason code" of the same byte), not in what the bytes say.
fn content<'t>(nodes: &'t [Node<'_>]) -> Vec<(usize, usize, Option<u8>, Value<'t>)> {
    let mut out = Vec::new();
    for root in nodes {
        for n in root.walk() {
            if n.len > 0 {
                out.push((n.offset, n.len, n.mask, n.value));
            }
        }
    }
    out
}

fn other(v: ProtocolVersion) -> ProtocolVersion {
    if v.is_v5() {
        ProtocolVersion::V3_1_1
    } else {
        ProtocolVersion::V5
    }
}

/// Decodes one framed packet (`packet` starts at its fixed header) when no CONNECT and no
/// option gives the version: as MQTT 3.1.1 and as 5.0, keeping the reading without errors.
///
/// - Only one reading is clean: it wins.
/// - Both are clean and say the same (PINGREQ, a two-byte PUBACK): `prior`, else 3.1.1.
/// - Both are clean and differ (a PUBLISH whose payload may start with a Property Length):
///   `prior`, else 3.1.1, with the other reading in [`Assumed::alternative`].
/// - Neither is clean: the one with fewer errors (ties: `prior`, else 3.1.1).
///
/// A CONNECT is always decoded as the level it carries. `prior` is the version earlier
/// packets of the same stream settled on, if any.
pub fn assume_version<'a>(
    packet: &'a [u8],
    direction: Option<Direction>,
    prior: Option<ProtocolVersion>,
) -> Assumed<'a> {
    assume_version_with(packet, direction, prior, true)
}

/// [`assume_version`], with the field tree optional. Comparing two clean readings takes
/// their trees, so those are built for the comparison even when `tree` is off: the choice
/// (and the alternative offered) is the same whether or not the caller wants trees.
pub fn assume_version_with<'a>(
    packet: &'a [u8],
    direction: Option<Direction>,
    prior: Option<ProtocolVersion>,
    tree: bool,
) -> Assumed<'a> {
    let opts = |version| DecodeOptions {
        version,
        direction,
        tree,
    };
    if packet.first().map(|b| b >> 4) == Some(PacketType::CONNECT.0) {
        let decoded = decode(packet, &opts(prior.unwrap_or(ProtocolVersion::V3_1_1)));
        return Assumed {
            decoded,
            source: VersionSource::Connect,
            reason: None,
            alternative: None,
        };
    }
    let preferred = prior.unwrap_or(ProtocolVersion::V3_1_1);
    let why_preferred = if prior.is_some() {
        "the version earlier packets of the input settled on"
    } else {
        "the more widely deployed version"
    };
    let a = decode(packet, &opts(preferred));
    let b = decode(packet, &opts(other(preferred)));
    let (ea, eb) = (errors(&a), errors(&b));
    let name = packet_name(&a);
    let (va, vb) = (a.version, b.version);
    let (decoded, reason, alternative) = if ea == 0 && eb == 0 {
        let same = if tree {
            content(&a.tree) == content(&b.tree)
        } else {
            let with_tree = |version| {
                decode(
                    packet,
                    &DecodeOptions {
                        version,
                        direction,
                        tree: true,
                    },
                )
            };
            let (ta, tb) = (with_tree(a.version), with_tree(b.version));
            content(&ta.tree) == content(&tb.tree)
        };
        if same {
            let r = format!(
                "no CONNECT in the input: this {name} reads the same in MQTT 3.1.1 and 5.0; \
                 shown as {va}"
            );
            (a, r, None)
        } else {
            let r = format!(
                "no CONNECT in the input: this {name} decodes without errors as both MQTT 3.1.1 \
                 and 5.0, with different fields; shown as {va} ({why_preferred}), the {vb} \
                 reading follows; use --protocol to choose"
            );
            (a, r, Some(Box::new(b)))
        }
    } else if ea == 0 {
        let r = format!(
            "no CONNECT in the input: this {name} decodes without errors only as MQTT {va} \
             (as {vb}: {})",
            first_error(&b)
        );
        (a, r, None)
    } else if eb == 0 {
        let r = format!(
            "no CONNECT in the input: this {name} decodes without errors only as MQTT {vb} \
             (as {va}: {})",
            first_error(&a)
        );
        (b, r, None)
    } else if eb < ea {
        let r = format!(
            "no CONNECT in the input: this {name} has errors as both MQTT 3.1.1 and 5.0; shown \
             as {vb}, which gives fewer ({eb} against {ea})"
        );
        (b, r, None)
    } else {
        let r = format!(
            "no CONNECT in the input: this {name} has errors as both MQTT 3.1.1 and 5.0; shown \
             as {va} ({why_preferred}); {ea} error(s) against {eb} as {vb}"
        );
        (a, r, None)
    };
    Assumed {
        decoded,
        source: VersionSource::Auto,
        reason: Some(reason),
        alternative,
    }
}

fn packet_name(d: &Decoded<'_>) -> String {
    match d.packet_type.name() {
        Some(n) => n.to_string(),
        None => format!("packet of type {}", d.packet_type.0),
    }
}

/// The version state of one byte stream (a pasted input, one direction of a connection).
#[derive(Clone, Debug, Default)]
pub struct VersionTracker {
    forced: Option<ProtocolVersion>,
    tree: bool,
    connect: Option<ProtocolVersion>,
    settled: Option<ProtocolVersion>,
}

impl VersionTracker {
    /// A tracker; `forced` is the user's `--protocol`, `None` for auto.
    pub fn new(forced: Option<ProtocolVersion>) -> Self {
        VersionTracker {
            forced,
            tree: true,
            connect: None,
            settled: None,
        }
    }

    /// The same tracker building no field trees (for summaries, where speed matters).
    pub fn without_tree(mut self) -> Self {
        self.tree = false;
        self
    }

    /// The version the CONNECT of this stream asked for, once one was seen.
    pub fn connect_version(&self) -> Option<ProtocolVersion> {
        self.connect
    }

    /// Records a CONNECT seen on the other direction of the same connection.
    pub fn set_connect(&mut self, v: ProtocolVersion) {
        self.connect = Some(v);
    }

    /// Decodes the next framed packet of the stream with the version it should have.
    pub fn decode<'a>(&mut self, packet: &'a [u8], direction: Option<Direction>) -> Assumed<'a> {
        self.decode_checked(packet, direction, &mut false)
    }

    /// How the usual packet is decoded: with the stream's version known (from its CONNECT
    /// or the option), neither a CONNECT nor a CONNACK answering one. Then
    /// [`Self::decode_checked`] is `crate::codec::decode_checked` with these options and
    /// source; `None`: it has more to do. Lets a caller decode straight into where it keeps
    /// the result (a `Decoded` is large: a copy per packet counts).
    #[inline]
    pub fn plain(
        &self,
        packet: &[u8],
        direction: Option<Direction>,
    ) -> Option<(DecodeOptions, VersionSource)> {
        let t = packet.first().map_or(0, |b| b >> 4);
        let (version, source) = match (self.connect, self.forced) {
            _ if t == PacketType::CONNECT.0 => return None,
            (Some(_), _) if t == PacketType::CONNACK.0 => return None,
            (Some(v), _) => (v, VersionSource::Connect),
            (None, Some(v)) => (v, VersionSource::Option),
            (None, None) => return None,
        };
        let opts = DecodeOptions {
            version,
            direction,
            tree: self.tree,
        };
        Some((opts, source))
    }

    /// [`Self::decode`], also setting `errors` to whether the reading shown has an error
    /// (see [`crate::codec::decode_checked`]).
    pub fn decode_checked<'a>(
        &mut self,
        packet: &'a [u8],
        direction: Option<Direction>,
        errors: &mut bool,
    ) -> Assumed<'a> {
        match self.plain(packet, direction) {
            Some((opts, source)) => Assumed {
                decoded: decode_checked(packet, &opts, errors),
                source,
                reason: None,
                alternative: None,
            },
            None => self.decode_unusual(packet, direction, errors),
        }
    }

    /// [`Self::decode_checked`] of the packets [`Self::plain`] leaves out.
    #[inline(never)]
    fn decode_unusual<'a>(
        &mut self,
        packet: &'a [u8],
        direction: Option<Direction>,
        errors: &mut bool,
    ) -> Assumed<'a> {
        let is_connect = packet.first().map(|b| b >> 4) == Some(PacketType::CONNECT.0);
        match self.connect {
            Some(version) if !is_connect => {
                // A CONNACK answering the CONNECT.
                let opts = DecodeOptions {
                    version,
                    direction,
                    tree: self.tree,
                };
                let result = self.connack(packet, &opts);
                *errors = !result.decoded.is_ok();
                result
            }
            _ => self.decode_other(packet, direction, is_connect, errors),
        }
    }

    /// A CONNACK after a CONNECT of this stream.
    #[cold]
    #[inline(never)]
    fn connack<'a>(&mut self, packet: &'a [u8], opts: &DecodeOptions) -> Assumed<'a> {
        let plain = Assumed {
            decoded: decode(packet, opts),
            source: VersionSource::Connect,
            reason: None,
            alternative: None,
        };
        if errors(&plain.decoded) == 0 {
            return plain;
        }
        self.refused_connect(packet, opts.direction, plain)
    }

    /// [`Self::decode`] of a CONNECT, or of a packet whose version is not given.
    #[inline(never)]
    fn decode_other<'a>(
        &mut self,
        packet: &'a [u8],
        direction: Option<Direction>,
        is_connect: bool,
        errors: &mut bool,
    ) -> Assumed<'a> {
        if !is_connect {
            let result = assume_version_with(packet, direction, self.settled, self.tree);
            self.settle(&result);
            *errors = !result.decoded.is_ok();
            return result;
        }
        let result =
            assume_version_with(packet, direction, self.forced.or(self.connect), self.tree);
        if let Some(crate::codec::Packet::Connect(_)) = &result.decoded.packet {
            self.connect = Some(result.decoded.version);
        } else if let Some(v) = packet
            .get(1..)
            .and_then(connect_level)
            .and_then(ProtocolVersion::from_level)
        {
            self.connect = Some(v);
        }
        *errors = !result.decoded.is_ok();
        result
    }

    /// A version assumed without doubt holds for the next packets of the stream.
    fn settle(&mut self, result: &Assumed<'_>) {
        if result.source == VersionSource::Auto && result.alternative.is_none() {
            self.settled = Some(result.decoded.version);
        }
    }

    /// A server that does not speak the client's version answers in one it does speak: a
    /// 3.1.1-only broker sends the 4-byte 3.1.1 CONNACK "unacceptable protocol version" to a
    /// 5.0 CONNECT. When a CONNACK after a CONNECT has errors in the CONNECT's version but
    /// decodes cleanly in another, that other reading is the right one.
    /// `plain` is the CONNACK decoded in the CONNECT's version, with errors.
    fn refused_connect<'a>(
        &mut self,
        packet: &'a [u8],
        direction: Option<Direction>,
        plain: Assumed<'a>,
    ) -> Assumed<'a> {
        let v = plain.decoded.version;
        let alt = decode(
            packet,
            &DecodeOptions {
                version: other(v),
                direction,
                tree: self.tree,
            },
        );
        if errors(&alt) > 0 {
            return plain;
        }
        let reason = format!(
            "the CONNECT asked for MQTT {v}, but this CONNACK has errors as {v} and decodes \
             cleanly as {}: the server answered in the version it speaks",
            alt.version
        );
        let result = Assumed {
            decoded: alt,
            source: VersionSource::Auto,
            reason: Some(reason),
            alternative: None,
        };
        self.settle(&result);
        result
    }
}

/// The protocol level byte of a CONNECT body (after the fixed header's first byte), read
/// without decoding: skips the Remaining Length and the protocol name.
fn connect_level(after_type: &[u8]) -> Option<u8> {
    // Remaining Length: up to 4 bytes, the last without the continuation bit.
    let rl_len = after_type.iter().take(4).position(|b| b & 0x80 == 0)? + 1;
    let body = after_type.get(rl_len..)?;
    let name_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    body.get(2 + name_len).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_what_decode_checked_does() {
        let packets = [
            hex("30 05 00 01 74 68 69"),
            hex("20 02 00 00"),
            hex("20 03 00 00 00"),
            hex("40 02 00 01"),
            hex("10 10 00 04 4d 51 54 54 05 02 00 3c 00 00 03 61 62 63"),
        ];
        let trackers = [
            VersionTracker::new(None),
            VersionTracker::new(Some(ProtocolVersion::V5)),
            {
                let mut t = VersionTracker::new(None).without_tree();
                t.set_connect(ProtocolVersion::V3_1_1);
                t
            },
        ];
        for t in &trackers {
            for p in &packets {
                let Some((opts, source)) = t.plain(p, None) else {
                    continue;
                };
                let mut errors = false;
                let general = t.clone().decode_checked(p, None, &mut errors);
                let mut plain_errors = false;
                let plain = decode_checked(p, &opts, &mut plain_errors);
                assert_eq!(general.decoded, plain);
                assert_eq!(general.source, source);
                assert!(general.reason.is_none() && general.alternative.is_none());
                assert_eq!(errors, plain_errors);
            }
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap_or_default()
    }

    #[test]
    fn same_in_both_versions() {
        let b = hex("40 02 7b 22");
        let a = assume_version(&b, None, None);
        assert_eq!(a.decoded.version, ProtocolVersion::V3_1_1);
        assert!(a.alternative.is_none());
        assert!(a.reason.unwrap_or_default().contains("reads the same"));
    }

    #[test]
    fn only_v5_is_clean() {
        // CONNACK with a Property Length: 3.1.1 has trailing bytes.
        let b = hex("20 03 00 00 00");
        let a = assume_version(&b, None, None);
        assert_eq!(a.decoded.version, ProtocolVersion::V5);
        assert!(a.reason.unwrap_or_default().contains("only as MQTT 5.0"));
    }

    #[test]
    fn only_v3_is_clean() {
        let b = hex("20 02 00 01");
        let a = assume_version(&b, None, None);
        assert_eq!(a.decoded.version, ProtocolVersion::V3_1_1);
    }

    #[test]
    fn both_clean_and_different() {
        // PUBLISH a/b, payload "\0hi": in 5.0 the 00 is an empty Property Length.
        let b = hex("30 08 00 03 61 2f 62 00 68 69");
        let a = assume_version(&b, None, None);
        assert_eq!(a.decoded.version, ProtocolVersion::V3_1_1);
        let alt = a.alternative.expect("both readings shown");
        assert_eq!(alt.version, ProtocolVersion::V5);
    }

    #[test]
    fn connect_decides_and_refusal_in_older_version_is_recognised() {
        let connect = hex("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00");
        let mut t = VersionTracker::new(None);
        let c = t.decode(&connect, None);
        assert_eq!(c.source, VersionSource::Connect);
        assert_eq!(t.connect_version(), Some(ProtocolVersion::V5));
        let connack = hex("20 02 00 01");
        let r = t.decode(&connack, None);
        assert_eq!(r.decoded.version, ProtocolVersion::V3_1_1);
        assert!(r.reason.unwrap_or_default().contains("answered"));
    }

    #[test]
    fn a_malformed_connect_still_sets_the_version() {
        // Level changed from 4 to 5 by hand, without adding the Property Length.
        let connect = hex("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 01 61");
        let mut t = VersionTracker::new(None);
        let c = t.decode(&connect, None);
        assert!(!c.decoded.is_ok());
        assert_eq!(t.connect_version(), Some(ProtocolVersion::V5));
    }

    #[test]
    fn connect_level_is_read_from_raw_bytes() {
        assert_eq!(connect_level(&hex("0d 00 04 4d 51 54 54 05")), Some(5));
        assert_eq!(connect_level(&hex("0d 00")), None);
    }
}
