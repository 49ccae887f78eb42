//! One malformed packet per conformance check of `codec::diag::CHECKS`.
//!
//! Every vector is a hand-written hex packet with a comment per field. For each one the
//! suite asserts which check fires, on which bytes (offset and length relative to the
//! packet start), with which severity and spec statement (MQTT 5.0 and 3.1.1 ids differ,
//! so both are tested where they do), and that no other check fires unless listed.
//! Most vectors also carry the corrected packet, which must not raise the check.
//!
//! Meta-tests run the whole table: every check in `CHECKS` fires at least once, every
//! diagnostic range lies inside the packet, and every tree node uses a registered field.

use mqtt_dissect::codec::diag::{Diagnostic, Severity, CHECKS};
use mqtt_dissect::codec::fields::FIELDS;
use mqtt_dissect::codec::tree::{self, Node, Value};
use mqtt_dissect::codec::{decode, DecodeOptions, Decoded, Direction, Packet, ProtocolVersion};
use std::collections::BTreeSet;

use Direction::{ClientToServer, ServerToClient};
use ProtocolVersion::{V3_1, V3_1_1, V5};
use Severity::{Error, Note, Warning};

// ---- helpers ---------------------------------------------------------------------------

/// Hex with `//` comments to the end of the line; whitespace is ignored.
fn bytes(hex: &str) -> Vec<u8> {
    let digits: String = hex
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    hex::decode(&digits).unwrap_or_else(|e| panic!("bad hex {digits:?}: {e}"))
}

/// Decodes `hex` (leaked, so the result can be returned) with the field tree on.
fn decode_dir(
    hex: &str,
    version: ProtocolVersion,
    direction: Option<Direction>,
) -> Decoded<'static> {
    let b: &'static [u8] = Box::leak(bytes(hex).into_boxed_slice());
    decode(
        b,
        &DecodeOptions {
            version,
            direction,
            tree: true,
        },
    )
}

fn diag(hex: &str, version: ProtocolVersion) -> Decoded<'static> {
    decode_dir(hex, version, None)
}

fn ids(d: &Decoded<'_>) -> Vec<&'static str> {
    d.diagnostics.iter().map(|x| x.check.id).collect()
}

fn listing(d: &Decoded<'_>) -> String {
    d.diagnostics
        .iter()
        .map(|x| format!("\n  {x}"))
        .collect::<String>()
}

/// The diagnostic `id` on exactly bytes `offset..offset+len`.
fn assert_check<'d>(d: &'d Decoded<'_>, id: &str, offset: usize, len: usize) -> &'d Diagnostic {
    assert!(
        CHECKS.iter().any(|c| c.id == id),
        "{id} is not a registered check"
    );
    d.diagnostics
        .iter()
        .find(|x| x.check.id == id && x.offset == offset && x.len == len)
        .unwrap_or_else(|| {
            panic!(
                "expected {id} at {offset}..{} in {:02x?}; got:{}",
                offset + len,
                d.bytes,
                listing(d)
            )
        })
}

fn assert_no_check(d: &Decoded<'_>, id: &str) {
    assert!(
        !ids(d).contains(&id),
        "{id} must not fire on {:02x?}; got:{}",
        d.bytes,
        listing(d)
    );
}

fn node<'d>(d: &'d Decoded<'static>, id: &str) -> &'d Node<'static> {
    tree::find(&d.tree, id).unwrap_or_else(|| panic!("no tree node {id} in {:#?}", d.tree))
}

/// A string or bytes field's value as text.
fn text(d: &Decoded<'static>, id: &str) -> String {
    match node(d, id).value {
        Value::Str(s) => String::from_utf8_lossy(s.0).into_owned(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        ref v => panic!("{id} is {v:?}, not text"),
    }
}

fn uint(d: &Decoded<'static>, id: &str) -> u64 {
    match node(d, id).value {
        Value::UInt(v) => v,
        ref v => panic!("{id} is {v:?}, not an integer"),
    }
}

fn meaning(d: &Decoded<'static>, id: &str) -> String {
    node(d, id)
        .meaning
        .as_ref()
        .map(|m| m.name.to_string())
        .unwrap_or_default()
}

// ---- the vector table ------------------------------------------------------------------

/// A malformed packet and the one finding it is written to provoke.
struct Vector {
    /// The check id that must fire.
    check: &'static str,
    version: ProtocolVersion,
    direction: Option<Direction>,
    hex: &'static str,
    /// Expected byte range (offset, len) of the diagnostic.
    at: (usize, usize),
    severity: Severity,
    /// Expected spec statement for `version`.
    spec: &'static str,
    /// Other checks that this packet legitimately raises as well.
    also: &'static [&'static str],
    /// The same packet corrected: must not raise `check`.
    fixed: Option<&'static str>,
}

const BASE: Vector = Vector {
    check: "",
    version: V5,
    direction: None,
    hex: "",
    at: (0, 0),
    severity: Error,
    spec: "",
    also: &[],
    fixed: None,
};

impl Vector {
    fn decode(&self) -> Decoded<'static> {
        decode_dir(self.hex, self.version, self.direction)
    }

    /// Decodes, asserts the finding (range, severity, spec) and that nothing unexpected fired.
    fn run(&self) -> Decoded<'static> {
        let d = self.decode();
        let found = assert_check(&d, self.check, self.at.0, self.at.1);
        assert_eq!(found.severity, self.severity, "{}: severity", self.check);
        assert_eq!(found.spec, self.spec, "{}: spec statement", self.check);
        assert!(!found.message.is_empty());
        for x in &d.diagnostics {
            assert!(
                x.check.id == self.check || self.also.contains(&x.check.id),
                "{}: unexpected {}:{}",
                self.check,
                x.check.id,
                listing(&d)
            );
        }
        d
    }

    fn run_fixed(&self) -> Option<Decoded<'static>> {
        let hex = self.fixed?;
        let d = decode_dir(hex, self.version, self.direction);
        assert_no_check(&d, self.check);
        Some(d)
    }
}

// Framing -------------------------------------------------------------------------------

const VBI_TOO_LONG: Vector = Vector {
    check: "vbi-too-long",
    version: V3_1_1,
    hex: "
        c0           // PINGREQ
        ff ff ff ff  // Remaining Length: the 4th byte still has the continuation bit
        01
    ",
    at: (1, 4),
    spec: "§2.2.3",
    fixed: Some("c0 00"),
    ..BASE
};
const VBI_TOO_LONG_V5: Vector = Vector {
    version: V5,
    spec: "§1.5.5",
    ..VBI_TOO_LONG
};
const VBI_NON_MINIMAL: Vector = Vector {
    check: "vbi-non-minimal",
    version: V5,
    hex: "
        c0     // PINGREQ
        80 00  // Remaining Length 0 in two bytes where 00 would do
    ",
    at: (1, 2),
    severity: Warning,
    spec: "MQTT-1.5.5-1",
    fixed: Some("c0 00"),
    ..BASE
};
const VBI_NON_MINIMAL_V3: Vector = Vector {
    version: V3_1_1,
    spec: "§2.2.3",
    ..VBI_NON_MINIMAL
};
const VBI_NON_MINIMAL_PROPERTY: Vector = Vector {
    check: "vbi-non-minimal",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        07        // Remaining Length 7
        00 01 61  // Topic Name \"a\"
        03        // Property Length 3
        0b 81 00  // Subscription Identifier 1 in two bytes
    ",
    at: (7, 2),
    severity: Warning,
    spec: "MQTT-1.5.5-1",
    fixed: Some("30 06 00 01 61 02 0b 01"),
    ..BASE
};
const RESERVED_PACKET_TYPE: Vector = Vector {
    check: "reserved-packet-type",
    version: V3_1_1,
    hex: "
        00  // packet type 0, flags 0
        00  // Remaining Length 0
    ",
    at: (0, 1),
    spec: "§2.2.1",
    fixed: Some("c0 00"),
    ..BASE
};
const RESERVED_PACKET_TYPE_V5: Vector = Vector {
    version: V5,
    spec: "§2.1.2",
    ..RESERVED_PACKET_TYPE
};
const AUTH_NOT_IN_V3: Vector = Vector {
    check: "auth-not-in-v3",
    version: V3_1_1,
    hex: "
        f0     // type 15 (AUTH in MQTT 5)
        02     // Remaining Length 2
        00 00  // (left undecoded)
    ",
    at: (0, 1),
    spec: "§2.2.1",
    ..BASE
};
const RESERVED_FLAGS: Vector = Vector {
    check: "reserved-flags",
    version: V3_1_1,
    hex: "
        21  // CONNACK with flags 0001
        02  // Remaining Length 2
        00  // Acknowledge Flags
        00  // Return Code 0 Accepted
    ",
    at: (0, 1),
    spec: "MQTT-2.2.2-1",
    fixed: Some("20 02 00 00"),
    ..BASE
};
const RESERVED_FLAGS_V5: Vector = Vector {
    version: V5,
    hex: "
        21  // CONNACK with flags 0001
        03  // Remaining Length 3
        00  // Acknowledge Flags
        00  // Reason Code 0 Success
        00  // Property Length 0
    ",
    spec: "MQTT-2.1.3-1",
    fixed: Some("20 03 00 00 00"),
    ..RESERVED_FLAGS
};
const PUBREL_FLAGS: Vector = Vector {
    check: "pubrel-flags",
    version: V3_1_1,
    hex: "
        60     // PUBREL with flags 0000 (must be 0010)
        02     // Remaining Length 2
        00 07  // Packet Identifier 7
    ",
    at: (0, 1),
    spec: "MQTT-3.6.1-1",
    fixed: Some("62 02 00 07"),
    ..BASE
};
const SUBSCRIBE_FLAGS: Vector = Vector {
    check: "subscribe-flags",
    version: V3_1_1,
    hex: "
        80        // SUBSCRIBE with flags 0000 (must be 0010)
        06        // Remaining Length 6
        00 01     // Packet Identifier 1
        00 01 61  // Topic Filter \"a\"
        01        // Requested QoS 1
    ",
    at: (0, 1),
    spec: "MQTT-3.8.1-1",
    fixed: Some("82 06 00 01 00 01 61 01"),
    ..BASE
};
const UNSUBSCRIBE_FLAGS: Vector = Vector {
    check: "unsubscribe-flags",
    version: V3_1_1,
    hex: "
        a0        // UNSUBSCRIBE with flags 0000 (must be 0010)
        05        // Remaining Length 5
        00 01     // Packet Identifier 1
        00 01 61  // Topic Filter \"a\"
    ",
    at: (0, 1),
    spec: "MQTT-3.10.1-1",
    fixed: Some("a2 05 00 01 00 01 61"),
    ..BASE
};
const DISCONNECT_FLAGS: Vector = Vector {
    check: "disconnect-flags",
    version: V5,
    hex: "
        e1  // DISCONNECT with flags 0001
        01  // Remaining Length 1
        04  // Reason Code 0x04 Disconnect with Will Message
    ",
    at: (0, 1),
    spec: "MQTT-3.14.1-1",
    fixed: Some("e0 01 04"),
    ..BASE
};
const AUTH_FLAGS: Vector = Vector {
    check: "auth-flags",
    version: V5,
    hex: "
        f2  // AUTH with flags 0010
        00  // Remaining Length 0 (Success)
    ",
    at: (0, 1),
    spec: "MQTT-3.15.1-1",
    fixed: Some("f0 00"),
    ..BASE
};
const PUBLISH_QOS_3: Vector = Vector {
    check: "publish-qos-3",
    version: V3_1_1,
    hex: "
        36        // PUBLISH, QoS bits 11
        05        // Remaining Length 5
        00 01 61  // Topic Name \"a\"
        00 09     // Packet Identifier 9 (read as if QoS > 0)
    ",
    at: (0, 1),
    spec: "MQTT-3.3.1-4",
    fixed: Some("32 05 00 01 61 00 09"),
    ..BASE
};
const PUBLISH_DUP_QOS0: Vector = Vector {
    check: "publish-dup-qos0",
    version: V3_1_1,
    hex: "
        38        // PUBLISH, DUP 1, QoS 0
        03        // Remaining Length 3
        00 01 61  // Topic Name \"a\"
    ",
    at: (0, 1),
    spec: "MQTT-3.3.1-2",
    fixed: Some("30 03 00 01 61"),
    ..BASE
};
const TRUNCATED: Vector = Vector {
    check: "truncated",
    version: V3_1_1,
    hex: "
        30        // PUBLISH QoS 0
        05        // Remaining Length 5, but only 3 bytes follow
        00 01 61  // Topic Name \"a\"
    ",
    at: (1, 1),
    spec: "§2.2.3",
    fixed: Some("30 03 00 01 61"),
    ..BASE
};
const TRUNCATED_V5: Vector = Vector {
    version: V5,
    spec: "§2.1.4",
    fixed: Some("30 04 00 01 61 00"),
    ..TRUNCATED
};
const TRUNCATED_IN_VBI: Vector = Vector {
    check: "truncated",
    version: V3_1_1,
    hex: "
        30  // PUBLISH QoS 0
        80  // Remaining Length: continuation bit set, then the input ends
    ",
    at: (1, 1),
    spec: "§2.2.3",
    ..BASE
};
const FIELD_OVERRUN: Vector = Vector {
    check: "field-overrun",
    version: V3_1_1,
    hex: "
        30     // PUBLISH QoS 0
        03     // Remaining Length 3
        00 05  // Topic Name length 5 ...
        61     // ... but one byte is left in the packet
    ",
    at: (4, 1),
    spec: "§2.2.3",
    fixed: Some("30 03 00 01 61"),
    ..BASE
};
const FIELD_OVERRUN_PROPERTIES: Vector = Vector {
    check: "field-overrun",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        06        // Remaining Length 6
        00 01 61  // Topic Name \"a\"
        09        // Property Length 9, past the packet end
        01 00     // Payload Format Indicator 0: two bytes left
    ",
    at: (5, 1),
    spec: "§2.1.4",
    fixed: Some("30 06 00 01 61 02 01 00"),
    ..BASE
};
const TRAILING_BYTES: Vector = Vector {
    check: "trailing-bytes",
    version: V3_1_1,
    hex: "
        20  // CONNACK
        03  // Remaining Length 3 (3.1.1 CONNACK has 2)
        00  // Acknowledge Flags
        00  // Return Code 0 Accepted
        ff  // left over
    ",
    at: (4, 1),
    spec: "§2.2.3",
    fixed: Some("20 02 00 00"),
    ..BASE
};
const NONZERO_LENGTH: Vector = Vector {
    check: "nonzero-length",
    version: V3_1_1,
    hex: "
        d0  // PINGRESP
        01  // Remaining Length 1
        00  // extra byte
    ",
    at: (2, 1),
    spec: "§3.12.1",
    fixed: Some("d0 00"),
    ..BASE
};
const ACK_LENGTH_V3: Vector = Vector {
    check: "ack-length-v3",
    version: V3_1_1,
    hex: "
        40     // PUBACK
        03     // Remaining Length 3
        00 01  // Packet Identifier 1
        00     // an MQTT 5 reason code
    ",
    at: (4, 1),
    spec: "§3.4.1",
    fixed: Some("40 02 00 01"),
    ..BASE
};
const ACK_LENGTH_V3_UNSUBACK: Vector = Vector {
    check: "ack-length-v3",
    version: V3_1,
    hex: "
        b0     // UNSUBACK
        04     // Remaining Length 4
        00 01  // Packet Identifier 1
        00 00  // MQTT 5 Property Length and reason code
    ",
    at: (4, 2),
    spec: "§3.4.1",
    fixed: Some("b0 02 00 01"),
    ..BASE
};
const REASON_CODE_IN_V3: Vector = Vector {
    check: "reason-code-in-v3",
    version: V3_1_1,
    hex: "
        e0  // DISCONNECT
        01  // Remaining Length 1 (3.1.1 DISCONNECT has 0)
        8e  // an MQTT 5 reason code (0x8E Session taken over)
    ",
    at: (2, 1),
    spec: "§3.14.1",
    fixed: Some("e0 00"),
    ..BASE
};

// Strings -------------------------------------------------------------------------------

const UTF8_INVALID: Vector = Vector {
    check: "utf8-invalid",
    version: V3_1_1,
    hex: "
        30     // PUBLISH QoS 0
        04     // Remaining Length 4
        00 02  // Topic Name length 2
        61 ff  // \"a\" then 0xFF, never valid in UTF-8
    ",
    at: (5, 1),
    spec: "MQTT-1.5.3-1",
    fixed: Some("30 04 00 02 61 62"),
    ..BASE
};
const UTF8_INVALID_V5: Vector = Vector {
    version: V5,
    hex: "
        30     // PUBLISH QoS 0
        05     // Remaining Length 5
        00 02  // Topic Name length 2
        61 ff  // \"a\" then 0xFF
        00     // Property Length 0
    ",
    spec: "MQTT-1.5.4-1",
    fixed: Some("30 05 00 02 61 62 00"),
    ..UTF8_INVALID
};
const UTF8_SURROGATE: Vector = Vector {
    check: "utf8-invalid",
    version: V3_1_1,
    hex: "
        30        // PUBLISH QoS 0
        05        // Remaining Length 5
        00 03     // Topic Name length 3
        ed a0 80  // U+D800 (a surrogate) encoded as UTF-8: not well-formed
    ",
    at: (4, 1),
    spec: "MQTT-1.5.3-1",
    fixed: Some("30 05 00 03 e2 82 ac"),
    ..BASE
};
const UTF8_NULL: Vector = Vector {
    check: "utf8-null",
    version: V3_1_1,
    hex: "
        30     // PUBLISH QoS 0
        04     // Remaining Length 4
        00 02  // Topic Name length 2
        61 00  // \"a\" U+0000
    ",
    at: (5, 1),
    spec: "MQTT-1.5.3-2",
    fixed: Some("30 04 00 02 61 62"),
    ..BASE
};
const UTF8_NULL_V5: Vector = Vector {
    version: V5,
    hex: "
        30     // PUBLISH QoS 0
        05     // Remaining Length 5
        00 02  // Topic Name length 2
        61 00  // \"a\" U+0000
        00     // Property Length 0
    ",
    spec: "MQTT-1.5.4-2",
    fixed: Some("30 05 00 02 61 62 00"),
    ..UTF8_NULL
};
const UTF8_BOM: Vector = Vector {
    check: "utf8-bom",
    version: V3_1_1,
    hex: "
        30        // PUBLISH QoS 0
        06        // Remaining Length 6
        00 04     // Topic Name length 4
        ef bb bf  // U+FEFF (BOM)
        61        // \"a\"
    ",
    at: (4, 3),
    severity: Note,
    spec: "MQTT-1.5.3-3",
    fixed: Some("30 03 00 01 61"),
    ..BASE
};
const UTF8_BOM_V5: Vector = Vector {
    version: V5,
    hex: "
        30           // PUBLISH QoS 0
        07           // Remaining Length 7
        00 04        // Topic Name length 4
        ef bb bf 61  // BOM \"a\"
        00           // Property Length 0
    ",
    spec: "MQTT-1.5.4-3",
    fixed: Some("30 04 00 01 61 00"),
    ..UTF8_BOM
};
const UTF8_PAIR_INVALID: Vector = Vector {
    check: "utf8-pair-invalid",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        0b        // Remaining Length 11
        00 01 61  // Topic Name \"a\"
        07        // Property Length 7
        26        // User Property
        00 01 ff  //   key: 0xFF, not UTF-8
        00 01 62  //   value \"b\"
    ",
    at: (9, 1),
    spec: "MQTT-1.5.7-1",
    also: &["utf8-invalid"],
    fixed: Some("30 0b 00 01 61 07 26 00 01 6b 00 01 62"),
    ..BASE
};
const UTF8_CONTROL: Vector = Vector {
    check: "utf8-control",
    version: V3_1_1,
    hex: "
        30     // PUBLISH QoS 0
        04     // Remaining Length 4
        00 02  // Topic Name length 2
        61 01  // \"a\" U+0001
    ",
    at: (5, 1),
    severity: Warning,
    spec: "§1.5.3",
    fixed: Some("30 04 00 02 61 62"),
    ..BASE
};
const UTF8_CONTROL_C1: Vector = Vector {
    check: "utf8-control",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        06        // Remaining Length 6
        00 03     // Topic Name length 3
        61 c2 85  // \"a\" U+0085 (NEL, a C1 control)
        00        // Property Length 0
    ",
    at: (5, 2),
    severity: Warning,
    spec: "§1.5.4",
    fixed: Some("30 06 00 03 61 c3 a9 00"),
    ..BASE
};
const UTF8_NONCHARACTER: Vector = Vector {
    check: "utf8-noncharacter",
    version: V3_1_1,
    hex: "
        30        // PUBLISH QoS 0
        05        // Remaining Length 5
        00 03     // Topic Name length 3
        ef bf bf  // U+FFFF, a non-character
    ",
    at: (4, 3),
    severity: Warning,
    spec: "§1.5.3",
    fixed: Some("30 05 00 03 ef bf bd"),
    ..BASE
};
const UTF8_NONCHARACTER_FDD0: Vector = Vector {
    check: "utf8-noncharacter",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        06        // Remaining Length 6
        00 03     // Topic Name length 3
        ef b7 90  // U+FDD0, a non-character
        00        // Property Length 0
    ",
    at: (4, 3),
    severity: Warning,
    spec: "§1.5.4",
    ..BASE
};

// Packet identifiers --------------------------------------------------------------------

const PACKET_ID_ZERO: Vector = Vector {
    check: "packet-id-zero",
    version: V3_1_1,
    hex: "
        32        // PUBLISH QoS 1
        05        // Remaining Length 5
        00 01 61  // Topic Name \"a\"
        00 00     // Packet Identifier 0
    ",
    at: (5, 2),
    spec: "MQTT-2.3.1-1",
    fixed: Some("32 05 00 01 61 00 01"),
    ..BASE
};
const PACKET_ID_ZERO_V5: Vector = Vector {
    check: "packet-id-zero",
    version: V5,
    hex: "
        82        // SUBSCRIBE
        07        // Remaining Length 7
        00 00     // Packet Identifier 0
        00        // Property Length 0
        00 01 61  // Topic Filter \"a\"
        00        // Subscription Options: QoS 0
    ",
    at: (2, 2),
    spec: "MQTT-2.2.1-3",
    fixed: Some("82 07 00 01 00 00 01 61 00"),
    ..BASE
};

// MQTT 5 properties ---------------------------------------------------------------------

const PROPERTY_LENGTH_MISSING: Vector = Vector {
    check: "property-length-missing",
    version: V5,
    hex: "
        20  // CONNACK
        02  // Remaining Length 2: no Property Length
        00  // Acknowledge Flags
        00  // Reason Code 0 Success
    ",
    at: (4, 0),
    spec: "MQTT-2.2.2-1",
    fixed: Some("20 03 00 00 00"),
    ..BASE
};
const PROPERTY_LENGTH_MISSING_AUTH: Vector = Vector {
    check: "property-length-missing",
    version: V5,
    hex: "
        f0  // AUTH
        01  // Remaining Length 1
        18  // Reason Code 0x18 Continue authentication; no Property Length
    ",
    at: (3, 0),
    spec: "MQTT-2.2.2-1",
    fixed: Some("f0 02 18 00"),
    ..BASE
};
const PROPERTY_UNKNOWN: Vector = Vector {
    check: "property-unknown",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        07        // Remaining Length 7
        00 01 61  // Topic Name \"a\"
        02        // Property Length 2
        7f 00     // property 0x7F (undefined) and a byte
        78        // Payload \"x\"
    ",
    at: (6, 1),
    spec: "§2.2.2.2",
    fixed: Some("30 07 00 01 61 02 01 00 78"),
    ..BASE
};
const PROPERTY_NOT_ALLOWED: Vector = Vector {
    check: "property-not-allowed",
    version: V5,
    hex: "
        30              // PUBLISH QoS 0
        09              // Remaining Length 9
        00 01 61        // Topic Name \"a\"
        05              // Property Length 5
        11 00 00 00 0a  // Session Expiry Interval 10: a CONNECT/CONNACK/DISCONNECT property
    ",
    at: (6, 5),
    spec: "§2.2.2.2",
    fixed: Some("30 09 00 01 61 05 02 00 00 00 0a"),
    ..BASE
};
const PROPERTY_NOT_ALLOWED_WILL: Vector = Vector {
    check: "property-not-allowed",
    version: V5,
    hex: "
        10                 // CONNECT
        19                 // Remaining Length 25
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        06                 // Connect Flags: Will Flag, Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
        03                 // Will Property Length 3
        23 00 01           // Topic Alias 1: not a Will Property
        00 01 74           // Will Topic \"t\"
        00 01 6d           // Will Payload \"m\"
    ",
    at: (18, 3),
    spec: "§2.2.2.2",
    fixed: Some(
        "10 1b 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31
         05 18 00 00 00 05 00 01 74 00 01 6d",
    ),
    ..BASE
};
const PROPERTY_DUPLICATE: Vector = Vector {
    check: "property-duplicate",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        0a        // Remaining Length 10
        00 01 61  // Topic Name \"a\"
        06        // Property Length 6
        23 00 01  // Topic Alias 1
        23 00 02  // Topic Alias 2 again
    ",
    at: (5, 7),
    spec: "§2.2.2.2",
    fixed: Some("30 07 00 01 61 03 23 00 01"),
    ..BASE
};
const PROPERTY_DUPLICATE_SUBSCRIBE: Vector = Vector {
    check: "property-duplicate",
    version: V5,
    hex: "
        82        // SUBSCRIBE
        0b        // Remaining Length 11
        00 01     // Packet Identifier 1
        04        // Property Length 4
        0b 01     // Subscription Identifier 1
        0b 02     // Subscription Identifier 2: only a PUBLISH may repeat it
        00 01 61  // Topic Filter \"a\"
        00        // Subscription Options
    ",
    at: (4, 5),
    spec: "§2.2.2.2",
    fixed: Some("82 09 00 01 02 0b 01 00 01 61 00"),
    ..BASE
};
const PROPERTY_BOOL_VALUE: Vector = Vector {
    check: "property-bool-value",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        07        // Remaining Length 7
        00 01 61  // Topic Name \"a\"
        02        // Property Length 2
        01 02     // Payload Format Indicator 2 (0 or 1 only)
        78        // Payload \"x\"
    ",
    at: (6, 2),
    spec: "§3.2.2.3",
    fixed: Some("30 07 00 01 61 02 01 01 78"),
    ..BASE
};
const MAXIMUM_QOS_VALUE: Vector = Vector {
    check: "maximum-qos-value",
    version: V5,
    hex: "
        20     // CONNACK
        05     // Remaining Length 5
        00     // Acknowledge Flags
        00     // Reason Code Success
        02     // Property Length 2
        24 02  // Maximum QoS 2 (only 0 or 1 may be sent)
    ",
    at: (5, 2),
    spec: "§3.2.2.3.4",
    fixed: Some("20 05 00 00 02 24 01"),
    ..BASE
};
const RECEIVE_MAXIMUM_ZERO: Vector = Vector {
    check: "receive-maximum-zero",
    version: V5,
    hex: "
        20        // CONNACK
        06        // Remaining Length 6
        00 00     // Acknowledge Flags, Reason Code Success
        03        // Property Length 3
        21 00 00  // Receive Maximum 0
    ",
    at: (5, 3),
    spec: "§3.1.2.11.3",
    fixed: Some("20 06 00 00 03 21 00 0a"),
    ..BASE
};
const MAXIMUM_PACKET_SIZE_ZERO: Vector = Vector {
    check: "maximum-packet-size-zero",
    version: V5,
    hex: "
        20              // CONNACK
        08              // Remaining Length 8
        00 00           // Acknowledge Flags, Reason Code Success
        05              // Property Length 5
        27 00 00 00 00  // Maximum Packet Size 0
    ",
    at: (5, 5),
    spec: "§3.1.2.11.4",
    fixed: Some("20 08 00 00 05 27 00 00 04 00"),
    ..BASE
};
const TOPIC_ALIAS_ZERO: Vector = Vector {
    check: "topic-alias-zero",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        07        // Remaining Length 7
        00 01 61  // Topic Name \"a\"
        03        // Property Length 3
        23 00 00  // Topic Alias 0
    ",
    at: (6, 3),
    spec: "MQTT-3.3.2-8",
    fixed: Some("30 07 00 01 61 03 23 00 01"),
    ..BASE
};
const SUBSCRIPTION_ID_ZERO: Vector = Vector {
    check: "subscription-identifier-zero",
    version: V5,
    hex: "
        82        // SUBSCRIBE
        09        // Remaining Length 9
        00 01     // Packet Identifier 1
        02        // Property Length 2
        0b 00     // Subscription Identifier 0
        00 01 61  // Topic Filter \"a\"
        00        // Subscription Options
    ",
    at: (5, 2),
    spec: "§3.3.2.3.8",
    fixed: Some("82 09 00 01 02 0b 01 00 01 61 00"),
    ..BASE
};
const AUTH_DATA_WITHOUT_METHOD: Vector = Vector {
    check: "auth-data-without-method",
    version: V5,
    hex: "
        20              // CONNACK
        08              // Remaining Length 8
        00 00           // Acknowledge Flags, Reason Code Success
        05              // Property Length 5
        16 00 02 aa bb  // Authentication Data, but no Authentication Method
    ",
    at: (4, 6),
    spec: "§3.1.2.11.10",
    fixed: Some("20 0e 00 00 0b 15 00 03 61 62 63 16 00 02 aa bb"),
    ..BASE
};
const PAYLOAD_NOT_UTF8: Vector = Vector {
    check: "payload-not-utf8",
    version: V5,
    hex: "
        30        // PUBLISH QoS 0
        08        // Remaining Length 8
        00 01 61  // Topic Name \"a\"
        02        // Property Length 2
        01 01     // Payload Format Indicator 1: UTF-8
        78 ff     // Payload \"x\" 0xFF
    ",
    at: (9, 1),
    severity: Warning,
    spec: "§3.3.2.3.2",
    fixed: Some("30 08 00 01 61 02 01 00 78 ff"),
    ..BASE
};
const RESPONSE_TOPIC_WILDCARD: Vector = Vector {
    check: "response-topic-wildcard",
    version: V5,
    hex: "
        30              // PUBLISH QoS 0
        09              // Remaining Length 9
        00 01 61        // Topic Name \"a\"
        05              // Property Length 5
        08 00 02 61 23  // Response Topic \"a#\"
    ",
    at: (6, 5),
    spec: "MQTT-3.3.2-14",
    fixed: Some("30 09 00 01 61 05 08 00 02 61 62"),
    ..BASE
};
const SUBSCRIPTION_ID_FROM_CLIENT: Vector = Vector {
    check: "subscription-id-from-client",
    version: V5,
    direction: Some(ClientToServer),
    hex: "
        30        // PUBLISH QoS 0, sent by the client
        06        // Remaining Length 6
        00 01 61  // Topic Name \"a\"
        02        // Property Length 2
        0b 01     // Subscription Identifier 1
    ",
    at: (5, 3),
    spec: "MQTT-3.3.4-6",
    fixed: Some("30 04 00 01 61 00"),
    ..BASE
};
const SERVER_DISCONNECT_SESSION_EXPIRY: Vector = Vector {
    check: "server-disconnect-session-expiry",
    version: V5,
    direction: Some(ServerToClient),
    hex: "
        e0              // DISCONNECT, sent by the server
        07              // Remaining Length 7
        00              // Reason Code Normal disconnection
        05              // Property Length 5
        11 00 00 00 00  // Session Expiry Interval 0
    ",
    at: (3, 6),
    spec: "MQTT-3.14.2-2",
    fixed: Some("e0 02 00 00"),
    ..BASE
};

// CONNECT -------------------------------------------------------------------------------

const PROTOCOL_NAME: Vector = Vector {
    check: "protocol-name",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 58  // Protocol Name \"MQTX\"
        04                 // Protocol Level 4
        02                 // Connect Flags: Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
    ",
    at: (2, 6),
    spec: "MQTT-3.1.2-1",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const PROTOCOL_NAME_LEVEL: Vector = Vector {
    check: "protocol-name-level",
    version: V3_1_1,
    hex: "
        10                       // CONNECT
        10                       // Remaining Length 16
        00 06 4d 51 49 73 64 70  // Protocol Name \"MQIsdp\" (MQTT 3.1) ...
        04                       // ... with Protocol Level 4 (3.1.1)
        02                       // Connect Flags: Clean Session
        00 3c                    // Keep Alive 60
        00 02 63 31              // Client Identifier \"c1\"
    ",
    at: (2, 9),
    severity: Warning,
    spec: "MQTT-3.1.2-1",
    fixed: Some("10 10 00 06 4d 51 49 73 64 70 03 02 00 3c 00 02 63 31"),
    ..BASE
};
const PROTOCOL_LEVEL_UNKNOWN: Vector = Vector {
    check: "protocol-level-unknown",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        06                 // Protocol Level 6: no such version
        02                 // Connect Flags: Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client ID \"c1\" (read with the 3.1.1 layout, which fits)
    ",
    at: (8, 1),
    spec: "MQTT-3.1.2-2",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const PROTOCOL_LEVEL_BRIDGE: Vector = Vector {
    check: "protocol-level-bridge",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        84                 // Protocol Level 4 with the bridge bit 0x80 (mosquitto)
        02                 // Connect Flags: Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
    ",
    at: (8, 1),
    severity: Note,
    spec: "§3.1.2.2",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const CONNECT_RESERVED_FLAG: Vector = Vector {
    check: "connect-reserved-flag",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        03                 // Connect Flags: Clean Session + reserved bit 0
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
    ",
    at: (9, 1),
    spec: "MQTT-3.1.2-3",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const WILL_QOS_WITHOUT_WILL: Vector = Vector {
    check: "will-qos-without-will",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        0a                 // Connect Flags: Will QoS 1, Clean Session, no Will Flag
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
    ",
    at: (9, 1),
    spec: "MQTT-3.1.2-13",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const WILL_QOS_WITHOUT_WILL_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        0f                 // Remaining Length 15
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        0a                 // Connect Flags: Will QoS 1, Clean Start, no Will Flag
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
    ",
    spec: "MQTT-3.1.2-11",
    fixed: Some("10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31"),
    ..WILL_QOS_WITHOUT_WILL
};
const WILL_RETAIN_WITHOUT_WILL: Vector = Vector {
    check: "will-retain-without-will",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        22                 // Connect Flags: Will Retain, Clean Session, no Will Flag
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
    ",
    at: (9, 1),
    spec: "MQTT-3.1.2-15",
    fixed: Some("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"),
    ..BASE
};
const WILL_RETAIN_WITHOUT_WILL_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        0f                 // Remaining Length 15
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        22                 // Connect Flags: Will Retain, Clean Start, no Will Flag
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
    ",
    spec: "MQTT-3.1.2-13",
    fixed: Some("10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31"),
    ..WILL_RETAIN_WITHOUT_WILL
};
const WILL_QOS_3: Vector = Vector {
    check: "will-qos-3",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        14                 // Remaining Length 20
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        1e                 // Connect Flags: Will QoS 3, Will Flag, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
        00 01 74           // Will Topic \"t\"
        00 01 6d           // Will Payload \"m\"
    ",
    at: (9, 1),
    spec: "MQTT-3.1.2-14",
    fixed: Some("10 14 00 04 4d 51 54 54 04 0e 00 3c 00 02 63 31 00 01 74 00 01 6d"),
    ..BASE
};
const WILL_QOS_3_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        16                 // Remaining Length 22
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        1e                 // Connect Flags: Will QoS 3, Will Flag, Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
        00                 // Will Property Length 0
        00 01 74           // Will Topic \"t\"
        00 01 6d           // Will Payload \"m\"
    ",
    spec: "MQTT-3.1.2-12",
    fixed: Some("10 16 00 04 4d 51 54 54 05 0e 00 3c 00 00 02 63 31 00 00 01 74 00 01 6d"),
    ..WILL_QOS_3
};
const WILL_FIELDS_MISSING: Vector = Vector {
    check: "will-fields-missing",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        06                 // Connect Flags: Will Flag, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"; no Will Topic / Payload
    ",
    at: (16, 0),
    spec: "MQTT-3.1.2-9",
    fixed: Some("10 14 00 04 4d 51 54 54 04 06 00 3c 00 02 63 31 00 01 74 00 01 6d"),
    ..BASE
};
const WILL_PAYLOAD_MISSING_V5: Vector = Vector {
    check: "will-fields-missing",
    version: V5,
    hex: "
        10                 // CONNECT
        13                 // Remaining Length 19
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        06                 // Connect Flags: Will Flag, Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
        00                 // Will Property Length 0
        00 01 74           // Will Topic \"t\"; the Will Payload is missing
    ",
    at: (21, 0),
    spec: "MQTT-3.1.2-9",
    fixed: Some("10 16 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31 00 00 01 74 00 01 6d"),
    ..BASE
};
const USERNAME_MISSING: Vector = Vector {
    check: "username-missing",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0e                 // Remaining Length 14
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        82                 // Connect Flags: User Name Flag, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"; no User Name
    ",
    at: (16, 0),
    spec: "MQTT-3.1.2-19",
    fixed: Some("10 11 00 04 4d 51 54 54 04 82 00 3c 00 02 63 31 00 01 75"),
    ..BASE
};
const USERNAME_MISSING_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        0f                 // Remaining Length 15
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        82                 // Connect Flags: User Name Flag, Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"; no User Name
    ",
    at: (17, 0),
    spec: "MQTT-3.1.2-17",
    fixed: Some("10 12 00 04 4d 51 54 54 05 82 00 3c 00 00 02 63 31 00 01 75"),
    ..USERNAME_MISSING
};
const PASSWORD_MISSING: Vector = Vector {
    check: "password-missing",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        11                 // Remaining Length 17
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        c2                 // Connect Flags: User Name, Password, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
        00 01 75           // User Name \"u\"; no Password
    ",
    at: (19, 0),
    spec: "MQTT-3.1.2-21",
    fixed: Some("10 14 00 04 4d 51 54 54 04 c2 00 3c 00 02 63 31 00 01 75 00 01 70"),
    ..BASE
};
const PASSWORD_MISSING_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        0f                 // Remaining Length 15
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        42                 // Connect Flags: Password only (allowed in 5.0), Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"; no Password
    ",
    at: (17, 0),
    spec: "MQTT-3.1.2-19",
    fixed: Some("10 12 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 01 70"),
    ..PASSWORD_MISSING
};
const CONNECT_EXTRA_PAYLOAD: Vector = Vector {
    check: "connect-extra-payload",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        11                 // Remaining Length 17
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        02                 // Connect Flags: Clean Session only
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
        00 01 75           // a User Name without its flag
    ",
    at: (16, 3),
    spec: "MQTT-3.1.2-18",
    fixed: Some("10 11 00 04 4d 51 54 54 04 82 00 3c 00 02 63 31 00 01 75"),
    ..BASE
};
const CONNECT_EXTRA_PAYLOAD_V5: Vector = Vector {
    version: V5,
    hex: "
        10                 // CONNECT
        12                 // Remaining Length 18
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        02                 // Connect Flags: Clean Start only
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
        00 01 75           // a User Name without its flag
    ",
    at: (17, 3),
    spec: "MQTT-3.1.2-16",
    fixed: Some("10 12 00 04 4d 51 54 54 05 82 00 3c 00 00 02 63 31 00 01 75"),
    ..CONNECT_EXTRA_PAYLOAD
};
const PASSWORD_WITHOUT_USERNAME: Vector = Vector {
    check: "password-without-username",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        11                 // Remaining Length 17
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        42                 // Connect Flags: Password without User Name, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
        00 01 70           // Password \"p\"
    ",
    at: (9, 1),
    spec: "MQTT-3.1.2-22",
    fixed: Some("10 14 00 04 4d 51 54 54 04 c2 00 3c 00 02 63 31 00 01 75 00 01 70"),
    ..BASE
};
const CLIENT_ID_EMPTY_PERSISTENT: Vector = Vector {
    check: "client-id-empty-persistent",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        0c                 // Remaining Length 12
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        00                 // Connect Flags: Clean Session 0
        00 3c              // Keep Alive 60
        00 00              // Client Identifier \"\"
    ",
    at: (12, 2),
    spec: "MQTT-3.1.3-7",
    fixed: Some("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00"),
    ..BASE
};
const CLIENT_ID_V31_LENGTH: Vector = Vector {
    check: "client-id-v31-length",
    version: V3_1,
    hex: "
        10                       // CONNECT
        26                       // Remaining Length 38
        00 06 4d 51 49 73 64 70  // Protocol Name \"MQIsdp\"
        03                       // Protocol Level 3
        02                       // Connect Flags: Clean Session
        00 3c                    // Keep Alive 60
        00 18                    // Client Identifier length 24 (3.1 allows 23)
        61 62 63 64 65 66 67 68 69 6a 6b 6c  // abcdefghijkl
        6d 6e 6f 70 71 72 73 74 75 76 77 78  // mnopqrstuvwx
    ",
    at: (14, 26),
    severity: Warning,
    spec: "§3.1 CONNECT",
    fixed: Some(
        "10 25 00 06 4d 51 49 73 64 70 03 02 00 3c 00 17
         61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77",
    ),
    ..BASE
};

// CONNACK -------------------------------------------------------------------------------

const CONNACK_RESERVED_FLAGS: Vector = Vector {
    check: "connack-reserved-flags",
    version: V3_1_1,
    hex: "
        20  // CONNACK
        02  // Remaining Length 2
        02  // Acknowledge Flags: bit 1 set (reserved)
        00  // Return Code 0 Accepted
    ",
    at: (2, 1),
    // 3.1.1 states the rule in §3.2.2.1 without a statement number.
    spec: "§3.2.2.1",
    fixed: Some("20 02 00 00"),
    ..BASE
};
const CONNACK_SESSION_PRESENT_ON_FAILURE: Vector = Vector {
    check: "connack-session-present-on-failure",
    version: V3_1_1,
    hex: "
        20  // CONNACK
        02  // Remaining Length 2
        01  // Session Present 1 ...
        05  // ... with Return Code 5 Not authorized
    ",
    at: (2, 2),
    spec: "MQTT-3.2.2-4",
    fixed: Some("20 02 00 05"),
    ..BASE
};
const CONNACK_SESSION_PRESENT_ON_FAILURE_V5: Vector = Vector {
    version: V5,
    hex: "
        20  // CONNACK
        03  // Remaining Length 3
        01  // Session Present 1 ...
        87  // ... with Reason Code 0x87 Not authorized
        00  // Property Length 0
    ",
    spec: "MQTT-3.2.2-6",
    fixed: Some("20 03 00 87 00"),
    ..CONNACK_SESSION_PRESENT_ON_FAILURE
};

// Reason codes --------------------------------------------------------------------------

const REASON_CODE_NOT_ALLOWED: Vector = Vector {
    check: "reason-code-not-allowed",
    version: V5,
    hex: "
        40     // PUBACK
        03     // Remaining Length 3
        00 01  // Packet Identifier 1
        04     // 0x04 Disconnect with Will Message: a DISCONNECT code, not a PUBACK one
    ",
    at: (4, 1),
    spec: "MQTT-3.4.2-1",
    fixed: Some("40 03 00 01 10"),
    ..BASE
};
const REASON_CODE_NOT_ALLOWED_SUBACK: Vector = Vector {
    check: "reason-code-not-allowed",
    version: V5,
    hex: "
        90     // SUBACK
        04     // Remaining Length 4
        00 01  // Packet Identifier 1
        00     // Property Length 0
        10     // 0x10 No matching subscribers: a PUBACK/PUBREC code
    ",
    at: (5, 1),
    spec: "MQTT-3.9.3-2",
    fixed: Some("90 04 00 01 00 02"),
    ..BASE
};
const REASON_CODE_UNKNOWN: Vector = Vector {
    check: "reason-code-unknown",
    version: V5,
    hex: "
        40     // PUBACK
        03     // Remaining Length 3
        00 01  // Packet Identifier 1
        7f     // 0x7F: not a reason code anywhere
    ",
    at: (4, 1),
    spec: "MQTT-3.4.2-1",
    fixed: Some("40 03 00 01 00"),
    ..BASE
};
const REASON_CODE_UNKNOWN_CONNACK_V3: Vector = Vector {
    check: "reason-code-unknown",
    version: V3_1_1,
    hex: "
        20  // CONNACK
        02  // Remaining Length 2
        00  // Acknowledge Flags
        06  // Return Code 6 (3.1.1 defines 0..5)
    ",
    at: (3, 1),
    spec: "§3.2.2.3",
    fixed: Some("20 02 00 05"),
    ..BASE
};
const REASON_CODE_UNKNOWN_SUBACK_V3: Vector = Vector {
    check: "reason-code-unknown",
    version: V3_1_1,
    hex: "
        90     // SUBACK
        04     // Remaining Length 4
        00 01  // Packet Identifier 1
        02     // Return Code 2 (granted QoS 2)
        03     // Return Code 3: 3.1.1 allows 0, 1, 2, 0x80
    ",
    at: (5, 1),
    spec: "§3.9.3",
    fixed: Some("90 04 00 01 02 80"),
    ..BASE
};

// PUBLISH and topics --------------------------------------------------------------------

const TOPIC_WILDCARD: Vector = Vector {
    check: "topic-wildcard",
    version: V3_1_1,
    hex: "
        30              // PUBLISH QoS 0
        05              // Remaining Length 5
        00 03 61 2f 2b  // Topic Name \"a/+\"
    ",
    at: (6, 1),
    spec: "MQTT-3.3.2-2",
    fixed: Some("30 05 00 03 61 2f 62"),
    ..BASE
};
const TOPIC_WILDCARD_WILL: Vector = Vector {
    check: "topic-wildcard",
    version: V5,
    hex: "
        10                 // CONNECT
        16                 // Remaining Length 22
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        05                 // Protocol Level 5
        06                 // Connect Flags: Will Flag, Clean Start
        00 3c              // Keep Alive 60
        00                 // Property Length 0
        00 02 63 31        // Client Identifier \"c1\"
        00                 // Will Property Length 0
        00 01 23           // Will Topic \"#\"
        00 01 6d           // Will Payload \"m\"
    ",
    at: (20, 1),
    spec: "MQTT-3.3.2-2",
    fixed: Some("10 16 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31 00 00 01 74 00 01 6d"),
    ..BASE
};
const TOPIC_EMPTY: Vector = Vector {
    check: "topic-empty",
    version: V3_1_1,
    hex: "
        30     // PUBLISH QoS 0
        03     // Remaining Length 3
        00 00  // Topic Name \"\"
        78     // Payload \"x\"
    ",
    at: (2, 2),
    spec: "MQTT-4.7.3-1",
    fixed: Some("30 04 00 01 61 78"),
    ..BASE
};
const TOPIC_EMPTY_WILL: Vector = Vector {
    check: "topic-empty",
    version: V3_1_1,
    hex: "
        10                 // CONNECT
        13                 // Remaining Length 19
        00 04 4d 51 54 54  // Protocol Name \"MQTT\"
        04                 // Protocol Level 4
        06                 // Connect Flags: Will Flag, Clean Session
        00 3c              // Keep Alive 60
        00 02 63 31        // Client Identifier \"c1\"
        00 00              // Will Topic \"\"
        00 01 6d           // Will Payload \"m\"
    ",
    at: (16, 2),
    spec: "MQTT-4.7.3-1",
    fixed: Some("10 14 00 04 4d 51 54 54 04 06 00 3c 00 02 63 31 00 01 74 00 01 6d"),
    ..BASE
};
const TOPIC_EMPTY_NO_ALIAS: Vector = Vector {
    check: "topic-empty-no-alias",
    version: V5,
    hex: "
        30     // PUBLISH QoS 0
        04     // Remaining Length 4
        00 00  // Topic Name \"\"
        00     // Property Length 0: no Topic Alias
        78     // Payload \"x\"
    ",
    at: (2, 2),
    spec: "§3.3.2.3.4",
    fixed: Some("30 07 00 00 03 23 00 01 78"),
    ..BASE
};

// SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK -------------------------------------------

const SUBSCRIBE_NO_FILTERS: Vector = Vector {
    check: "subscribe-no-filters",
    version: V3_1_1,
    hex: "
        82     // SUBSCRIBE
        02     // Remaining Length 2
        00 01  // Packet Identifier 1; no filters
    ",
    at: (4, 0),
    spec: "MQTT-3.8.3-3",
    fixed: Some("82 06 00 01 00 01 61 01"),
    ..BASE
};
const SUBSCRIBE_NO_FILTERS_V5: Vector = Vector {
    version: V5,
    hex: "
        82     // SUBSCRIBE
        03     // Remaining Length 3
        00 01  // Packet Identifier 1
        00     // Property Length 0; no filters
    ",
    at: (5, 0),
    spec: "MQTT-3.8.3-2",
    fixed: Some("82 07 00 01 00 00 01 61 01"),
    ..SUBSCRIBE_NO_FILTERS
};
const UNSUBSCRIBE_NO_FILTERS: Vector = Vector {
    check: "unsubscribe-no-filters",
    version: V3_1_1,
    hex: "
        a2     // UNSUBSCRIBE
        02     // Remaining Length 2
        00 01  // Packet Identifier 1; no filters
    ",
    at: (4, 0),
    spec: "MQTT-3.10.3-2",
    fixed: Some("a2 05 00 01 00 01 61"),
    ..BASE
};
const ACK_NO_CODES: Vector = Vector {
    check: "ack-no-codes",
    version: V3_1_1,
    hex: "
        90     // SUBACK
        02     // Remaining Length 2
        00 01  // Packet Identifier 1; no return codes
    ",
    at: (4, 0),
    spec: "MQTT-3.9.3-1",
    fixed: Some("90 03 00 01 00"),
    ..BASE
};
const ACK_NO_CODES_UNSUBACK: Vector = Vector {
    check: "ack-no-codes",
    version: V5,
    hex: "
        b0     // UNSUBACK
        03     // Remaining Length 3
        00 01  // Packet Identifier 1
        00     // Property Length 0; no reason codes
    ",
    at: (5, 0),
    spec: "MQTT-3.11.3-1",
    fixed: Some("b0 04 00 01 00 00"),
    ..BASE
};
const SUBSCRIPTION_OPTIONS_RESERVED: Vector = Vector {
    check: "subscription-options-reserved",
    version: V5,
    hex: "
        82        // SUBSCRIBE
        07        // Remaining Length 7
        00 01     // Packet Identifier 1
        00        // Property Length 0
        00 01 61  // Topic Filter \"a\"
        c1        // Subscription Options: reserved bits 7..6 set, QoS 1
    ",
    at: (8, 1),
    spec: "MQTT-3.8.3-5",
    fixed: Some("82 07 00 01 00 00 01 61 01"),
    ..BASE
};
const SUBSCRIPTION_OPTIONS_RESERVED_V3: Vector = Vector {
    check: "subscription-options-reserved",
    version: V3_1_1,
    hex: "
        82        // SUBSCRIBE
        06        // Remaining Length 6
        00 01     // Packet Identifier 1
        00 01 61  // Topic Filter \"a\"
        05        // Requested QoS byte 0x05: bit 2 is reserved in 3.1.1 (No Local in 5.0)
    ",
    at: (7, 1),
    spec: "MQTT-3-8.3-4",
    fixed: Some("82 06 00 01 00 01 61 01"),
    ..BASE
};
const SUBSCRIPTION_QOS_3: Vector = Vector {
    check: "subscription-qos-3",
    version: V3_1_1,
    hex: "
        82        // SUBSCRIBE
        06        // Remaining Length 6
        00 01     // Packet Identifier 1
        00 01 61  // Topic Filter \"a\"
        03        // Requested QoS 3
    ",
    at: (7, 1),
    spec: "MQTT-3-8.3-4",
    fixed: Some("82 06 00 01 00 01 61 02"),
    ..BASE
};
const SUBSCRIPTION_QOS_3_V5: Vector = Vector {
    version: V5,
    hex: "
        82        // SUBSCRIBE
        07        // Remaining Length 7
        00 01     // Packet Identifier 1
        00        // Property Length 0
        00 01 61  // Topic Filter \"a\"
        03        // Subscription Options: Maximum QoS 3
    ",
    at: (8, 1),
    spec: "§3.8.3.1",
    fixed: Some("82 07 00 01 00 00 01 61 02"),
    ..SUBSCRIPTION_QOS_3
};
const RETAIN_HANDLING_3: Vector = Vector {
    check: "retain-handling-3",
    version: V5,
    hex: "
        82        // SUBSCRIBE
        07        // Remaining Length 7
        00 01     // Packet Identifier 1
        00        // Property Length 0
        00 01 61  // Topic Filter \"a\"
        31        // Subscription Options: Retain Handling 3, QoS 1
    ",
    at: (8, 1),
    spec: "§3.8.3.1",
    fixed: Some("82 07 00 01 00 00 01 61 21"),
    ..BASE
};
const NO_LOCAL_SHARED: Vector = Vector {
    check: "no-local-shared",
    version: V5,
    hex: "
        82     // SUBSCRIBE
        10     // Remaining Length 16
        00 01  // Packet Identifier 1
        00     // Property Length 0
        00 0a 24 73 68 61 72 65 2f 67 2f 61  // Topic Filter \"$share/g/a\"
        04     // Subscription Options: No Local, QoS 0
    ",
    at: (17, 1),
    spec: "MQTT-3.8.3-4",
    fixed: Some("82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 61 00"),
    ..BASE
};
const FILTER_EMPTY: Vector = Vector {
    check: "filter-empty",
    version: V3_1_1,
    hex: "
        82     // SUBSCRIBE
        05     // Remaining Length 5
        00 01  // Packet Identifier 1
        00 00  // Topic Filter \"\"
        00     // Requested QoS 0
    ",
    at: (4, 2),
    spec: "MQTT-4.7.3-1",
    fixed: Some("82 06 00 01 00 01 61 00"),
    ..BASE
};
const FILTER_EMPTY_UNSUBSCRIBE: Vector = Vector {
    check: "filter-empty",
    version: V5,
    hex: "
        a2     // UNSUBSCRIBE
        05     // Remaining Length 5
        00 01  // Packet Identifier 1
        00     // Property Length 0
        00 00  // Topic Filter \"\"
    ",
    at: (5, 2),
    spec: "MQTT-4.7.3-1",
    fixed: Some("a2 06 00 01 00 00 01 61"),
    ..BASE
};
const FILTER_HASH_MISPLACED: Vector = Vector {
    check: "filter-hash-misplaced",
    version: V3_1_1,
    hex: "
        82                    // SUBSCRIBE
        0a                    // Remaining Length 10
        00 01                 // Packet Identifier 1
        00 05 61 2f 23 2f 62  // Topic Filter \"a/#/b\"
        00                    // Requested QoS 0
    ",
    at: (8, 1),
    spec: "MQTT-4.7.1-2",
    fixed: Some("82 08 00 01 00 03 61 2f 23 00"),
    ..BASE
};
const FILTER_HASH_MISPLACED_V5: Vector = Vector {
    version: V5,
    hex: "
        82                    // SUBSCRIBE
        0b                    // Remaining Length 11
        00 01                 // Packet Identifier 1
        00                    // Property Length 0
        00 05 61 2f 23 2f 62  // Topic Filter \"a/#/b\"
        00                    // Subscription Options
    ",
    at: (9, 1),
    spec: "MQTT-4.7.1-1",
    fixed: Some("82 09 00 01 00 00 03 61 2f 23 00"),
    ..FILTER_HASH_MISPLACED
};
const FILTER_PLUS_MISPLACED: Vector = Vector {
    check: "filter-plus-misplaced",
    version: V3_1_1,
    hex: "
        82           // SUBSCRIBE
        07           // Remaining Length 7
        00 01        // Packet Identifier 1
        00 02 61 2b  // Topic Filter \"a+\"
        00           // Requested QoS 0
    ",
    at: (7, 1),
    spec: "MQTT-4.7.1-3",
    fixed: Some("82 08 00 01 00 03 61 2f 2b 00"),
    ..BASE
};
const FILTER_PLUS_MISPLACED_V5: Vector = Vector {
    check: "filter-plus-misplaced",
    version: V5,
    hex: "
        a2                 // UNSUBSCRIBE
        09                 // Remaining Length 9
        00 01              // Packet Identifier 1
        00                 // Property Length 0
        00 04 61 2f 62 2b  // Topic Filter \"a/b+\"
    ",
    at: (10, 1),
    spec: "MQTT-4.7.1-2",
    fixed: Some("a2 09 00 01 00 00 04 61 2f 62 2f"),
    ..BASE
};
const SHARED_NAME_INVALID: Vector = Vector {
    check: "shared-name-invalid",
    version: V5,
    hex: "
        82     // SUBSCRIBE
        11     // Remaining Length 17
        00 01  // Packet Identifier 1
        00     // Property Length 0
        00 0b 24 73 68 61 72 65 2f  // Topic Filter \"$share/ ...
        67 2b 2f 61                 //   g+/a\": ShareName \"g+\"
        00     // Subscription Options
    ",
    at: (14, 2),
    spec: "MQTT-4.8.2-1",
    fixed: Some("82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 61 00"),
    ..BASE
};
const SHARED_FILTER_MISSING: Vector = Vector {
    check: "shared-filter-missing",
    version: V5,
    hex: "
        82     // SUBSCRIBE
        0e     // Remaining Length 14
        00 01  // Packet Identifier 1
        00     // Property Length 0
        00 08 24 73 68 61 72 65 2f 67  // Topic Filter \"$share/g\": no filter after it
        00     // Subscription Options
    ",
    at: (7, 8),
    spec: "MQTT-4.8.2-2",
    fixed: Some("82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 61 00"),
    ..BASE
};

/// Every vector of the suite.
static ALL: &[&Vector] = &[
    &VBI_TOO_LONG,
    &VBI_TOO_LONG_V5,
    &VBI_NON_MINIMAL,
    &VBI_NON_MINIMAL_V3,
    &VBI_NON_MINIMAL_PROPERTY,
    &RESERVED_PACKET_TYPE,
    &RESERVED_PACKET_TYPE_V5,
    &AUTH_NOT_IN_V3,
    &RESERVED_FLAGS,
    &RESERVED_FLAGS_V5,
    &PUBREL_FLAGS,
    &SUBSCRIBE_FLAGS,
    &UNSUBSCRIBE_FLAGS,
    &DISCONNECT_FLAGS,
    &AUTH_FLAGS,
    &PUBLISH_QOS_3,
    &PUBLISH_DUP_QOS0,
    &TRUNCATED,
    &TRUNCATED_V5,
    &TRUNCATED_IN_VBI,
    &FIELD_OVERRUN,
    &FIELD_OVERRUN_PROPERTIES,
    &TRAILING_BYTES,
    &NONZERO_LENGTH,
    &ACK_LENGTH_V3,
    &ACK_LENGTH_V3_UNSUBACK,
    &REASON_CODE_IN_V3,
    &UTF8_INVALID,
    &UTF8_INVALID_V5,
    &UTF8_SURROGATE,
    &UTF8_NULL,
    &UTF8_NULL_V5,
    &UTF8_BOM,
    &UTF8_BOM_V5,
    &UTF8_PAIR_INVALID,
    &UTF8_CONTROL,
    &UTF8_CONTROL_C1,
    &UTF8_NONCHARACTER,
    &UTF8_NONCHARACTER_FDD0,
    &PACKET_ID_ZERO,
    &PACKET_ID_ZERO_V5,
    &PROPERTY_LENGTH_MISSING,
    &PROPERTY_LENGTH_MISSING_AUTH,
    &PROPERTY_UNKNOWN,
    &PROPERTY_NOT_ALLOWED,
    &PROPERTY_NOT_ALLOWED_WILL,
    &PROPERTY_DUPLICATE,
    &PROPERTY_DUPLICATE_SUBSCRIBE,
    &PROPERTY_BOOL_VALUE,
    &MAXIMUM_QOS_VALUE,
    &RECEIVE_MAXIMUM_ZERO,
    &MAXIMUM_PACKET_SIZE_ZERO,
    &TOPIC_ALIAS_ZERO,
    &SUBSCRIPTION_ID_ZERO,
    &AUTH_DATA_WITHOUT_METHOD,
    &PAYLOAD_NOT_UTF8,
    &RESPONSE_TOPIC_WILDCARD,
    &SUBSCRIPTION_ID_FROM_CLIENT,
    &SERVER_DISCONNECT_SESSION_EXPIRY,
    &PROTOCOL_NAME,
    &PROTOCOL_NAME_LEVEL,
    &PROTOCOL_LEVEL_UNKNOWN,
    &PROTOCOL_LEVEL_BRIDGE,
    &CONNECT_RESERVED_FLAG,
    &WILL_QOS_WITHOUT_WILL,
    &WILL_QOS_WITHOUT_WILL_V5,
    &WILL_RETAIN_WITHOUT_WILL,
    &WILL_RETAIN_WITHOUT_WILL_V5,
    &WILL_QOS_3,
    &WILL_QOS_3_V5,
    &WILL_FIELDS_MISSING,
    &WILL_PAYLOAD_MISSING_V5,
    &USERNAME_MISSING,
    &USERNAME_MISSING_V5,
    &PASSWORD_MISSING,
    &PASSWORD_MISSING_V5,
    &CONNECT_EXTRA_PAYLOAD,
    &CONNECT_EXTRA_PAYLOAD_V5,
    &PASSWORD_WITHOUT_USERNAME,
    &CLIENT_ID_EMPTY_PERSISTENT,
    &CLIENT_ID_V31_LENGTH,
    &CONNACK_RESERVED_FLAGS,
    &CONNACK_SESSION_PRESENT_ON_FAILURE,
    &CONNACK_SESSION_PRESENT_ON_FAILURE_V5,
    &REASON_CODE_NOT_ALLOWED,
    &REASON_CODE_NOT_ALLOWED_SUBACK,
    &REASON_CODE_UNKNOWN,
    &REASON_CODE_UNKNOWN_CONNACK_V3,
    &REASON_CODE_UNKNOWN_SUBACK_V3,
    &TOPIC_WILDCARD,
    &TOPIC_WILDCARD_WILL,
    &TOPIC_EMPTY,
    &TOPIC_EMPTY_WILL,
    &TOPIC_EMPTY_NO_ALIAS,
    &SUBSCRIBE_NO_FILTERS,
    &SUBSCRIBE_NO_FILTERS_V5,
    &UNSUBSCRIBE_NO_FILTERS,
    &ACK_NO_CODES,
    &ACK_NO_CODES_UNSUBACK,
    &SUBSCRIPTION_OPTIONS_RESERVED,
    &SUBSCRIPTION_OPTIONS_RESERVED_V3,
    &SUBSCRIPTION_QOS_3,
    &SUBSCRIPTION_QOS_3_V5,
    &RETAIN_HANDLING_3,
    &NO_LOCAL_SHARED,
    &FILTER_EMPTY,
    &FILTER_EMPTY_UNSUBSCRIBE,
    &FILTER_HASH_MISPLACED,
    &FILTER_HASH_MISPLACED_V5,
    &FILTER_PLUS_MISPLACED,
    &FILTER_PLUS_MISPLACED_V5,
    &SHARED_NAME_INVALID,
    &SHARED_FILTER_MISSING,
];

// ---- one test per check ----------------------------------------------------------------

/// Runs a vector and its correction.
fn both(v: &Vector) -> Decoded<'static> {
    v.run_fixed();
    v.run()
}

// Framing

#[test]
fn vbi_too_long() {
    let d = both(&VBI_TOO_LONG);
    both(&VBI_TOO_LONG_V5);
    // The fixed header byte was read before the fault.
    assert_eq!(uint(&d, "header.type"), 12);
    assert_eq!(d.remaining_length, None);
    assert!(d.packet.is_none());
}

#[test]
fn vbi_non_minimal() {
    let d = both(&VBI_NON_MINIMAL);
    assert!(d.diagnostics[0].message.contains("2 bytes where 1 suffice"));
    // A warning only: the packet decodes.
    assert!(d.is_ok());
    assert_eq!(d.packet, Some(Packet::PingReq));
    assert_eq!(node(&d, "header.remaining_length").len, 2);
    both(&VBI_NON_MINIMAL_V3);
    let d = both(&VBI_NON_MINIMAL_PROPERTY);
    assert_eq!(uint(&d, "property.subscription_identifier"), 1);
    assert_eq!(text(&d, "publish.topic"), "a");
}

#[test]
fn reserved_packet_type() {
    let d = both(&RESERVED_PACKET_TYPE);
    assert_eq!(meaning(&d, "header.type"), "Reserved");
    assert!(d.packet.is_none());
    both(&RESERVED_PACKET_TYPE_V5);
}

#[test]
fn auth_not_in_v3() {
    let d = AUTH_NOT_IN_V3.run();
    assert!(d.packet.is_none());
    assert!(d.diagnostics[0].message.contains("3.1.1"));
    // The same bytes are an AUTH in MQTT 5 (length 2: reason code, property length).
    let ok = diag("f0 02 00 00", V5);
    assert_no_check(&ok, "auth-not-in-v3");
    assert!(matches!(ok.packet, Some(Packet::Auth(_))));
}

#[test]
fn reserved_flags() {
    let d = both(&RESERVED_FLAGS);
    assert_eq!(uint(&d, "connack.return_code"), 0);
    assert_eq!(uint(&d, "header.reserved"), 1);
    assert!(d.diagnostics[0].message.contains("0001"));
    let d = both(&RESERVED_FLAGS_V5);
    assert_eq!(uint(&d, "connack.reason_code"), 0);
}

#[test]
fn pubrel_flags() {
    let d = both(&PUBREL_FLAGS);
    assert_eq!(uint(&d, "packet_id"), 7);
    assert!(d.diagnostics[0].message.contains("0010"));
}

#[test]
fn subscribe_flags() {
    let d = both(&SUBSCRIBE_FLAGS);
    assert_eq!(text(&d, "subscribe.topic_filter"), "a");
}

#[test]
fn unsubscribe_flags() {
    let d = both(&UNSUBSCRIBE_FLAGS);
    assert_eq!(text(&d, "unsubscribe.topic_filter"), "a");
}

#[test]
fn disconnect_flags() {
    let d = both(&DISCONNECT_FLAGS);
    assert_eq!(uint(&d, "disconnect.reason_code"), 4);
}

#[test]
fn auth_flags() {
    both(&AUTH_FLAGS);
}

#[test]
fn publish_qos_3() {
    let d = both(&PUBLISH_QOS_3);
    // Unrepresentable as a typed packet, but the tree keeps every field.
    assert!(d.packet.is_none());
    assert_eq!(text(&d, "publish.topic"), "a");
    assert_eq!(uint(&d, "packet_id"), 9);
    assert_eq!(uint(&d, "header.qos"), 3);
}

#[test]
fn publish_dup_qos0() {
    let d = both(&PUBLISH_DUP_QOS0);
    assert_eq!(text(&d, "publish.topic"), "a");
}

#[test]
fn truncated() {
    let d = both(&TRUNCATED);
    assert!(!d.complete);
    assert_eq!(text(&d, "publish.topic"), "a");
    assert!(d.diagnostics[0].message.contains("2 missing"));
    both(&TRUNCATED_V5);
    let d = TRUNCATED_IN_VBI.run();
    assert_eq!(d.remaining_length, None);
    // No bytes at all: still a diagnostic, at 0..0.
    let d = diag("", V5);
    assert_check(&d, "truncated", 0, 0);
}

#[test]
fn field_overrun() {
    let d = both(&FIELD_OVERRUN);
    assert!(d.diagnostics[0].message.contains("needs 5 byte(s)"));
    assert!(tree::find(&d.tree, "undecoded").is_some());
    let d = both(&FIELD_OVERRUN_PROPERTIES);
    assert_eq!(text(&d, "publish.topic"), "a");
    assert_eq!(uint(&d, "properties.length"), 9);
    // Where the block ends is unknown, so its bytes are shown undecoded rather than read
    // as properties (which would take payload bytes for property ids).
    assert!(tree::find(&d.tree, "property.payload_format_indicator").is_none());
    assert!(tree::find(&d.tree, "undecoded").is_some());
}

#[test]
fn trailing_bytes() {
    let d = both(&TRAILING_BYTES);
    assert_eq!(uint(&d, "connack.return_code"), 0);
    assert_eq!(text(&d, "undecoded"), "\u{fffd}");
}

#[test]
fn nonzero_length() {
    let d = both(&NONZERO_LENGTH);
    assert_eq!(uint(&d, "header.type"), 13);
    let d = diag("c0 02 00 00", V5);
    assert_check(&d, "nonzero-length", 2, 2);
}

#[test]
fn ack_length_v3() {
    let d = both(&ACK_LENGTH_V3);
    assert_eq!(uint(&d, "packet_id"), 1);
    let d = both(&ACK_LENGTH_V3_UNSUBACK);
    assert_eq!(uint(&d, "packet_id"), 1);
    // In MQTT 5 the same PUBACK is the legal 3-byte form.
    assert!(diag("40 03 00 01 00", V5).diagnostics.is_empty());
}

#[test]
fn reason_code_in_v3() {
    let d = both(&REASON_CODE_IN_V3);
    assert_eq!(d.packet, Some(Packet::Disconnect(Default::default())));
    // The same bytes are a legal MQTT 5 DISCONNECT.
    assert!(diag("e0 01 8e", V5).diagnostics.is_empty());
}

// Strings

#[test]
fn utf8_invalid() {
    let d = both(&UTF8_INVALID);
    assert!(d.diagnostics[0].message.contains("ff"));
    // The invalid bytes are shown as they are, not replaced.
    assert!(matches!(node(&d, "publish.topic").value, Value::Str(s) if s.0 == b"a\xff"));
    both(&UTF8_INVALID_V5);
    both(&UTF8_SURROGATE);
}

#[test]
fn utf8_null() {
    let d = both(&UTF8_NULL);
    assert!(d.diagnostics[0].message.contains("U+0000"));
    both(&UTF8_NULL_V5);
}

#[test]
fn utf8_bom_is_kept() {
    let d = both(&UTF8_BOM);
    assert_eq!(text(&d, "publish.topic"), "\u{feff}a");
    assert!(d.is_ok());
    both(&UTF8_BOM_V5);
}

#[test]
fn utf8_pair_invalid() {
    let d = both(&UTF8_PAIR_INVALID);
    assert_check(&d, "utf8-invalid", 9, 1);
    assert_eq!(text(&d, "property.user_property.value"), "b");
}

#[test]
fn utf8_control() {
    let d = both(&UTF8_CONTROL);
    assert!(d.diagnostics[0].message.contains("U+0001"));
    let d = both(&UTF8_CONTROL_C1);
    assert!(d.diagnostics[0].message.contains("U+0085"));
}

#[test]
fn utf8_noncharacter() {
    let d = both(&UTF8_NONCHARACTER);
    assert!(d.diagnostics[0].message.contains("U+FFFF"));
    UTF8_NONCHARACTER_FDD0.run();
}

// Packet identifiers

#[test]
fn packet_id_zero() {
    let d = both(&PACKET_ID_ZERO);
    assert_eq!(text(&d, "publish.topic"), "a");
    let d = both(&PACKET_ID_ZERO_V5);
    assert_eq!(text(&d, "subscribe.topic_filter"), "a");
}

// MQTT 5 properties

#[test]
fn property_length_missing() {
    let d = both(&PROPERTY_LENGTH_MISSING);
    assert_eq!(uint(&d, "connack.reason_code"), 0);
    assert!(d.diagnostics[0].message.contains("3.1.1 CONNACK"));
    let d = both(&PROPERTY_LENGTH_MISSING_AUTH);
    assert_eq!(uint(&d, "auth.reason_code"), 0x18);
}

#[test]
fn property_unknown() {
    let d = both(&PROPERTY_UNKNOWN);
    assert!(d.diagnostics[0].message.contains("0x7F (127)"));
    assert!(meaning(&d, "property.unknown").contains("0x7F"));
    // The block length is known, so decoding goes on after it.
    assert_eq!(text(&d, "publish.payload"), "x");
}

#[test]
fn property_not_allowed() {
    let d = both(&PROPERTY_NOT_ALLOWED);
    assert!(d.diagnostics[0]
        .message
        .contains("Session Expiry Interval (0x11) is not allowed in PUBLISH"));
    assert_eq!(uint(&d, "property.session_expiry_interval"), 10);
    let d = both(&PROPERTY_NOT_ALLOWED_WILL);
    assert!(d.diagnostics[0].message.contains("Will Properties"));
    assert_eq!(text(&d, "connect.will_topic"), "t");
}

#[test]
fn property_duplicate() {
    let d = both(&PROPERTY_DUPLICATE);
    assert!(d.diagnostics[0].message.contains("Topic Alias"));
    both(&PROPERTY_DUPLICATE_SUBSCRIBE);
}

#[test]
fn repeatable_properties_are_not_duplicates() {
    // Two User Properties on a CONNACK.
    let d = diag(
        "20 11 00 00 0e
         26 00 01 6b 00 01 76  26 00 01 6b 00 01 77",
        V5,
    );
    assert!(d.diagnostics.is_empty(), "{}", listing(&d));
    // Two Subscription Identifiers on a server's PUBLISH.
    let d = decode_dir("30 08 00 01 61 04 0b 01 0b 02", V5, Some(ServerToClient));
    assert!(d.diagnostics.is_empty(), "{}", listing(&d));
}

#[test]
fn property_bool_value() {
    let d = both(&PROPERTY_BOOL_VALUE);
    assert!(d.diagnostics[0]
        .message
        .contains("Payload Format Indicator is 2"));
    assert_eq!(text(&d, "publish.payload"), "x");
}

#[test]
fn property_bool_value_on_connack_availability() {
    // Retain Available 2, Shared Subscription Available 5.
    let d = diag("20 07 00 00 04 25 02 2a 05", V5);
    assert_check(&d, "property-bool-value", 5, 2);
    assert_check(&d, "property-bool-value", 7, 2);
}

#[test]
fn maximum_qos_value() {
    let d = both(&MAXIMUM_QOS_VALUE);
    assert_eq!(uint(&d, "property.maximum_qos"), 2);
}

#[test]
fn receive_maximum_zero() {
    both(&RECEIVE_MAXIMUM_ZERO);
}

#[test]
fn maximum_packet_size_zero() {
    both(&MAXIMUM_PACKET_SIZE_ZERO);
}

#[test]
fn topic_alias_zero() {
    let d = both(&TOPIC_ALIAS_ZERO);
    assert_eq!(text(&d, "publish.topic"), "a");
}

#[test]
fn subscription_identifier_zero() {
    let d = both(&SUBSCRIPTION_ID_ZERO);
    assert_eq!(text(&d, "subscribe.topic_filter"), "a");
}

#[test]
fn auth_data_without_method() {
    let d = both(&AUTH_DATA_WITHOUT_METHOD);
    assert!(
        matches!(node(&d, "property.authentication_data").value, Value::Bytes(b) if b == [0xaa, 0xbb])
    );
}

#[test]
fn payload_not_utf8() {
    let d = both(&PAYLOAD_NOT_UTF8);
    assert!(d.diagnostics[0].message.contains("0x99"));
    assert!(matches!(d.packet, Some(Packet::Publish(ref p)) if p.payload == b"x\xff"));
}

#[test]
fn response_topic_wildcard() {
    let d = both(&RESPONSE_TOPIC_WILDCARD);
    assert_eq!(text(&d, "property.response_topic"), "a#");
}

// Direction-dependent checks

#[test]
fn subscription_id_from_client() {
    let d = both(&SUBSCRIPTION_ID_FROM_CLIENT);
    assert_eq!(uint(&d, "property.subscription_identifier"), 1);
    // Unknown direction, or the server's PUBLISH: no finding.
    for dir in [None, Some(ServerToClient)] {
        let d = decode_dir(SUBSCRIPTION_ID_FROM_CLIENT.hex, V5, dir);
        assert!(d.diagnostics.is_empty(), "{dir:?}: {}", listing(&d));
    }
}

#[test]
fn server_disconnect_session_expiry() {
    let d = both(&SERVER_DISCONNECT_SESSION_EXPIRY);
    assert_eq!(uint(&d, "disconnect.reason_code"), 0);
    assert_eq!(uint(&d, "property.session_expiry_interval"), 0);
    for dir in [None, Some(ClientToServer)] {
        let d = decode_dir(SERVER_DISCONNECT_SESSION_EXPIRY.hex, V5, dir);
        assert!(d.diagnostics.is_empty(), "{dir:?}: {}", listing(&d));
    }
}

// CONNECT

#[test]
fn protocol_name() {
    let d = both(&PROTOCOL_NAME);
    assert!(d.diagnostics[0].message.contains("\"MQTX\""));
    assert_eq!(text(&d, "connect.client_id"), "c1");
}

#[test]
fn protocol_name_level() {
    let d = both(&PROTOCOL_NAME_LEVEL);
    assert_eq!(text(&d, "connect.client_id"), "c1");
    // "MQTT" with level 3 is the other mismatch.
    let d = diag("10 0e 00 04 4d 51 54 54 03 02 00 3c 00 02 63 31", V3_1);
    assert_check(&d, "protocol-name-level", 2, 7);
}

#[test]
fn protocol_level_unknown() {
    let d = both(&PROTOCOL_LEVEL_UNKNOWN);
    assert!(d.diagnostics[0].message.contains("0x84"));
    assert!(meaning(&d, "connect.protocol_level").contains("Unknown level 6"));
    assert_eq!(uint(&d, "connect.keep_alive"), 60);
    // The rest fits the 3.1.1 layout, so it is decoded that way, and a note says so.
    assert_eq!(text(&d, "connect.client_id"), "c1");
    let note = &d.diagnostics[1];
    assert_eq!(
        (note.check.id, note.severity),
        ("protocol-level-unknown", Severity::Note)
    );
    assert!(
        note.message.contains("MQTT 3.1.1 layout"),
        "{}",
        note.message
    );
    // When no layout fits, what every version shares is decoded and the rest is shown
    // undecoded.
    let d = diag("10 0b 00 04 4d 51 54 54 06 02 00 3c ff", V3_1_1);
    assert_check(&d, "protocol-level-unknown", 8, 1);
    assert_eq!(uint(&d, "connect.keep_alive"), 60);
    assert_eq!(node(&d, "undecoded").offset, 12);
}

#[test]
fn protocol_level_bridge() {
    let d = both(&PROTOCOL_LEVEL_BRIDGE);
    assert_no_check(&d, "protocol-level-unknown");
    assert_eq!(d.version, V3_1_1);
    assert!(meaning(&d, "connect.protocol_level").contains("bridge"));
    assert_eq!(text(&d, "connect.client_id"), "c1");
}

#[test]
fn connect_reserved_flag() {
    let d = both(&CONNECT_RESERVED_FLAG);
    assert_eq!(text(&d, "connect.client_id"), "c1");
}

#[test]
fn will_qos_without_will() {
    let d = both(&WILL_QOS_WITHOUT_WILL);
    assert_eq!(uint(&d, "connect.flags.will_qos"), 1);
    let d = both(&WILL_QOS_WITHOUT_WILL_V5);
    assert_eq!(text(&d, "connect.client_id"), "c1");
}

#[test]
fn will_retain_without_will() {
    both(&WILL_RETAIN_WITHOUT_WILL);
    both(&WILL_RETAIN_WITHOUT_WILL_V5);
}

#[test]
fn will_qos_3() {
    let d = both(&WILL_QOS_3);
    assert!(d.packet.is_none());
    assert_eq!(text(&d, "connect.will_topic"), "t");
    assert_eq!(text(&d, "connect.will_payload"), "m");
    both(&WILL_QOS_3_V5);
}

#[test]
fn will_fields_missing() {
    let d = both(&WILL_FIELDS_MISSING);
    assert_eq!(text(&d, "connect.client_id"), "c1");
    let d = both(&WILL_PAYLOAD_MISSING_V5);
    assert_eq!(text(&d, "connect.will_topic"), "t");
    assert!(d.diagnostics[0].message.contains("Will Payload"));
}

#[test]
fn username_missing() {
    let d = both(&USERNAME_MISSING);
    assert_eq!(text(&d, "connect.client_id"), "c1");
    both(&USERNAME_MISSING_V5);
}

#[test]
fn password_missing() {
    let d = both(&PASSWORD_MISSING);
    assert_eq!(text(&d, "connect.username"), "u");
    both(&PASSWORD_MISSING_V5);
}

#[test]
fn connect_extra_payload() {
    let d = both(&CONNECT_EXTRA_PAYLOAD);
    assert!(d.diagnostics[0].message.contains("User Name"));
    assert_eq!(text(&d, "connect.client_id"), "c1");
    both(&CONNECT_EXTRA_PAYLOAD_V5);
}

#[test]
fn password_without_username() {
    let d = both(&PASSWORD_WITHOUT_USERNAME);
    assert_eq!(text(&d, "connect.password"), "p");
    // MQTT 5 allows a password without a user name.
    let d = diag(
        "10 12 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 01 70",
        V5,
    );
    assert!(d.diagnostics.is_empty(), "{}", listing(&d));
}

#[test]
fn client_id_empty_persistent() {
    let d = both(&CLIENT_ID_EMPTY_PERSISTENT);
    assert_eq!(text(&d, "connect.client_id"), "");
    // MQTT 5 allows it (the server assigns an identifier).
    let d = diag("10 0d 00 04 4d 51 54 54 05 00 00 3c 00 00 00", V5);
    assert!(d.diagnostics.is_empty(), "{}", listing(&d));
}

#[test]
fn client_id_v31_length() {
    let d = both(&CLIENT_ID_V31_LENGTH);
    assert!(d.diagnostics[0].message.contains("24 characters"));
    assert_eq!(text(&d, "connect.client_id").len(), 24);
}

// CONNACK

#[test]
fn connack_reserved_flags() {
    let d = both(&CONNACK_RESERVED_FLAGS);
    assert_eq!(uint(&d, "connack.return_code"), 0);
}

#[test]
fn connack_session_present_on_failure() {
    let d = both(&CONNACK_SESSION_PRESENT_ON_FAILURE);
    assert!(meaning(&d, "connack.return_code").contains("not authorized"));
    both(&CONNACK_SESSION_PRESENT_ON_FAILURE_V5);
}

// Reason codes

#[test]
fn reason_code_not_allowed() {
    let d = both(&REASON_CODE_NOT_ALLOWED);
    assert!(d.diagnostics[0]
        .message
        .contains("Disconnect with Will Message"));
    assert!(meaning(&d, "puback.reason_code").contains("0x04"));
    both(&REASON_CODE_NOT_ALLOWED_SUBACK);
}

#[test]
fn reason_code_unknown() {
    let d = both(&REASON_CODE_UNKNOWN);
    assert_eq!(uint(&d, "packet_id"), 1);
    let d = both(&REASON_CODE_UNKNOWN_CONNACK_V3);
    assert!(d.diagnostics[0].message.contains("0x06"));
    let d = both(&REASON_CODE_UNKNOWN_SUBACK_V3);
    assert!(meaning(&d, "suback.return_code").contains("QoS 2"));
}

// PUBLISH and topics

#[test]
fn topic_wildcard() {
    let d = both(&TOPIC_WILDCARD);
    assert!(d.diagnostics[0].message.contains("'+'"));
    let d = both(&TOPIC_WILDCARD_WILL);
    assert_eq!(text(&d, "connect.will_payload"), "m");
}

#[test]
fn topic_empty() {
    let d = both(&TOPIC_EMPTY);
    assert_eq!(text(&d, "publish.payload"), "x");
    let d = both(&TOPIC_EMPTY_WILL);
    assert_eq!(text(&d, "connect.will_payload"), "m");
}

#[test]
fn topic_empty_no_alias() {
    let d = both(&TOPIC_EMPTY_NO_ALIAS);
    assert_eq!(text(&d, "publish.payload"), "x");
    assert_no_check(&d, "topic-empty");
}

// SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK

#[test]
fn subscribe_no_filters() {
    let d = both(&SUBSCRIBE_NO_FILTERS);
    assert_eq!(uint(&d, "packet_id"), 1);
    both(&SUBSCRIBE_NO_FILTERS_V5);
}

#[test]
fn unsubscribe_no_filters() {
    let d = both(&UNSUBSCRIBE_NO_FILTERS);
    assert_eq!(uint(&d, "packet_id"), 1);
}

#[test]
fn ack_no_codes() {
    let d = both(&ACK_NO_CODES);
    assert_eq!(uint(&d, "packet_id"), 1);
    both(&ACK_NO_CODES_UNSUBACK);
}

#[test]
fn subscription_options_reserved() {
    let d = both(&SUBSCRIPTION_OPTIONS_RESERVED);
    assert_eq!(uint(&d, "subscribe.options.reserved"), 3);
    assert_eq!(uint(&d, "subscribe.options.qos"), 1);
    both(&SUBSCRIPTION_OPTIONS_RESERVED_V3);
}

#[test]
fn subscription_qos_3() {
    let d = both(&SUBSCRIPTION_QOS_3);
    assert!(d.packet.is_none());
    assert_eq!(text(&d, "subscribe.topic_filter"), "a");
    both(&SUBSCRIPTION_QOS_3_V5);
}

#[test]
fn retain_handling_3() {
    let d = both(&RETAIN_HANDLING_3);
    assert_eq!(uint(&d, "subscribe.options.retain_handling"), 3);
}

#[test]
fn no_local_shared() {
    let d = both(&NO_LOCAL_SHARED);
    assert_eq!(text(&d, "subscribe.topic_filter"), "$share/g/a");
    // In 3.1.1 there are no shared subscriptions and bit 2 is simply reserved.
    let d = diag("82 10 00 01 00 0a 24 73 68 61 72 65 2f 67 2f 61 04", V3_1_1);
    assert_no_check(&d, "no-local-shared");
}

#[test]
fn filter_empty() {
    both(&FILTER_EMPTY);
    both(&FILTER_EMPTY_UNSUBSCRIBE);
}

#[test]
fn filter_hash_misplaced() {
    let d = both(&FILTER_HASH_MISPLACED);
    assert_eq!(text(&d, "subscribe.topic_filter"), "a/#/b");
    both(&FILTER_HASH_MISPLACED_V5);
}

#[test]
fn filter_plus_misplaced() {
    both(&FILTER_PLUS_MISPLACED);
    both(&FILTER_PLUS_MISPLACED_V5);
}

#[test]
fn shared_name_invalid() {
    let d = both(&SHARED_NAME_INVALID);
    assert_eq!(text(&d, "subscribe.topic_filter"), "$share/g+/a");
}

#[test]
fn shared_filter_missing() {
    both(&SHARED_FILTER_MISSING);
}

// ---- unknown values are shown with their number ---------------------------------------

#[test]
fn unknown_reason_codes_show_their_number() {
    let cases: &[(&str, ProtocolVersion, &str, &str)] = &[
        ("40 03 00 01 7f", V5, "puback.reason_code", "0x7F"),
        ("e0 01 7f", V5, "disconnect.reason_code", "0x7F"),
        ("f0 02 7f 00", V5, "auth.reason_code", "0x7F"),
        ("90 04 00 01 00 7f", V5, "suback.reason_code", "0x7F"),
        ("b0 04 00 01 00 7f", V5, "unsuback.reason_code", "0x7F"),
        ("20 03 00 7f 00", V5, "connack.reason_code", "0x7F"),
        ("20 02 00 7f", V3_1_1, "connack.return_code", "0x7F"),
        ("90 03 00 01 7f", V3_1_1, "suback.return_code", "0x7F"),
    ];
    for &(hex, v, field, num) in cases {
        let d = diag(hex, v);
        assert!(
            meaning(&d, field).contains(num),
            "{hex}: meaning {:?}",
            meaning(&d, field)
        );
        assert!(
            d.diagnostics.iter().any(|x| x.message.contains(num)),
            "{hex}:{}",
            listing(&d)
        );
    }
}

#[test]
fn unknown_property_ids_show_their_number() {
    // 0x7F, and 0x80 0x01 = 128 (a two-byte property id).
    for (hex, num) in [
        ("30 07 00 01 61 02 7f 00 78", "0x7F"),
        ("30 07 00 01 61 02 80 01 78", "0x80"),
    ] {
        let d = diag(hex, V5);
        assert!(meaning(&d, "property.unknown").contains(num), "{hex}");
        assert!(d.diagnostics[0].message.contains(num), "{hex}");
        assert_eq!(text(&d, "publish.payload"), "x");
    }
}

// ---- meta-tests over the whole table ---------------------------------------------------

/// Checks that need a connection's earlier packets: one packet alone cannot fire them.
/// `tests/analysis_*.rs` fires each of them from captures.
const STATEFUL: &[&str] = &[
    "connect-twice",
    "packet-before-connect",
    "packet-before-connack",
    "packet-id-in-use",
    "ack-unknown-id",
    "flow-unacknowledged",
    "suback-code-count",
    "unsuback-code-count",
    "topic-alias-above-maximum",
    "topic-alias-unknown",
    "topic-alias-resolved",
    "keep-alive-exceeded",
    "pingreq-unanswered",
    "receive-maximum-exceeded-by-client",
    "receive-maximum-exceeded-by-server",
    "packet-too-large-by-client",
    "packet-too-large-by-server",
    "qos-above-maximum",
    "retain-not-available",
];

#[test]
fn every_check_fires_at_least_once() {
    let mut fired = BTreeSet::new();
    for v in ALL {
        let d = v.decode();
        fired.extend(ids(&d));
    }
    let missing: Vec<_> = CHECKS
        .iter()
        .map(|c| c.id)
        .filter(|id| !fired.contains(id) && !STATEFUL.contains(id))
        .collect();
    assert!(missing.is_empty(), "checks no vector triggers: {missing:?}");
}

#[test]
fn every_vector_fires_its_check_and_its_correction_does_not() {
    let mut fixed = 0;
    for v in ALL {
        v.run();
        fixed += usize::from(v.run_fixed().is_some());
    }
    assert!(
        fixed * 10 >= ALL.len() * 9,
        "{fixed} of {} vectors have a correction",
        ALL.len()
    );
}

#[test]
fn corrections_are_clean() {
    // A corrected packet raises nothing at all (except the one deliberately odd payload).
    for v in ALL {
        let Some(hex) = v.fixed else { continue };
        let d = decode_dir(hex, v.version, v.direction);
        assert!(
            d.diagnostics.is_empty(),
            "{} fixed: {hex}:{}",
            v.check,
            listing(&d)
        );
        assert!(d.complete, "{} fixed: {hex}", v.check);
    }
}

fn all_decodes() -> Vec<Decoded<'static>> {
    let mut out = Vec::new();
    for v in ALL {
        out.push(v.decode());
        if let Some(hex) = v.fixed {
            out.push(decode_dir(hex, v.version, v.direction));
        }
    }
    out
}

#[test]
fn diagnostic_ranges_lie_inside_the_packet() {
    for d in all_decodes() {
        for x in &d.diagnostics {
            assert!(
                x.offset + x.len <= d.bytes.len(),
                "{x} outside {} bytes {:02x?}",
                d.bytes.len(),
                d.bytes
            );
            if let Some(f) = x.field {
                assert!(
                    FIELDS.iter().any(|r| r.id == f),
                    "{x}: field {f} not registered"
                );
            }
        }
    }
}

#[test]
fn tree_nodes_use_registered_fields_and_lie_inside_the_packet() {
    for d in all_decodes() {
        for root in &d.tree {
            for n in root.walk() {
                assert!(
                    FIELDS.iter().any(|r| std::ptr::eq(*r, n.field)),
                    "node {} is not in FIELDS",
                    n.field.id
                );
                assert!(
                    n.offset + n.len <= d.bytes.len(),
                    "node {} at {}..{} outside {:02x?}",
                    n.field.id,
                    n.offset,
                    n.offset + n.len,
                    d.bytes
                );
                for &i in &n.diagnostics {
                    assert!(i < d.diagnostics.len());
                }
            }
        }
        // Every diagnostic is attached to some node.
        let attached: usize = d
            .tree
            .iter()
            .flat_map(|r| r.walk())
            .map(|n| n.diagnostics.len())
            .sum();
        assert_eq!(attached, d.diagnostics.len(), "{:02x?}", d.bytes);
    }
}

#[test]
fn spec_ids_follow_the_packet_version() {
    // A v3.1.1 CONNECT decoded with v5 options reports 3.1.1 statements.
    let d = diag(&WILL_QOS_WITHOUT_WILL.hex.replace("10 ", "11 "), V5);
    assert_eq!(d.version, V3_1_1);
    for x in &d.diagnostics {
        assert_eq!(x.spec, x.check.spec_v3, "{x}");
    }
}

#[test]
fn truncations_of_every_vector_keep_ranges_inside() {
    for v in ALL {
        let b = bytes(v.hex);
        for n in 0..b.len() {
            let cut: &'static [u8] = Box::leak(b[..n].to_vec().into_boxed_slice());
            let d = decode(cut, &DecodeOptions::new(v.version));
            assert!(!d.diagnostics.is_empty(), "{}: cut at {n}", v.check);
            for x in &d.diagnostics {
                assert!(x.offset + x.len <= n, "{}: cut at {n}: {x}", v.check);
            }
        }
    }
}

/// Found in review: Payload Format Indicator 1 in the Will Properties applies to the Will
/// Payload just as it does to a PUBLISH payload.
#[test]
fn will_payload_not_utf8_under_payload_format_indicator() {
    let hex = "
        10 18                   // CONNECT, Remaining Length 24
        00 04 4d 51 54 54 05    // MQTT, level 5
        06 00 3c 00             // flags: will, clean start; keep alive 60; no properties
        00 01 63                // client id \"c\"
        02 01 01                // Will Properties: Payload Format Indicator 1
        00 01 74                // Will Topic \"t\"
        00 02 ff fe             // Will Payload: not UTF-8
    ";
    let d = diag(hex, V5);
    assert_check(&d, "payload-not-utf8", 24, 1);
    assert_eq!(text(&d, "connect.will_topic"), "t");
}
