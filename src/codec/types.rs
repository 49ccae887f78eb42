//! Small wire types shared by every packet: packet type, protocol version, QoS, strings.

use std::fmt;

/// The MQTT control packet type: the high nibble of the first byte.
///
/// An open newtype: type 0 (reserved) and any other value survive decoding so they
/// can be shown with their number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PacketType(pub u8);

impl PacketType {
    /// 0: reserved, forbidden on the wire.
    pub const RESERVED: PacketType = PacketType(0);
    /// 1: client request to connect.
    pub const CONNECT: PacketType = PacketType(1);
    /// 2: connect acknowledgement.
    pub const CONNACK: PacketType = PacketType(2);
    /// 3: publish message.
    pub const PUBLISH: PacketType = PacketType(3);
    /// 4: publish acknowledgement (QoS 1).
    pub const PUBACK: PacketType = PacketType(4);
    /// 5: publish received (QoS 2, part 1).
    pub const PUBREC: PacketType = PacketType(5);
    /// 6: publish release (QoS 2, part 2).
    pub const PUBREL: PacketType = PacketType(6);
    /// 7: publish complete (QoS 2, part 3).
    pub const PUBCOMP: PacketType = PacketType(7);
    /// 8: subscribe request.
    pub const SUBSCRIBE: PacketType = PacketType(8);
    /// 9: subscribe acknowledgement.
    pub const SUBACK: PacketType = PacketType(9);
    /// 10: unsubscribe request.
    pub const UNSUBSCRIBE: PacketType = PacketType(10);
    /// 11: unsubscribe acknowledgement.
    pub const UNSUBACK: PacketType = PacketType(11);
    /// 12: ping request.
    pub const PINGREQ: PacketType = PacketType(12);
    /// 13: ping response.
    pub const PINGRESP: PacketType = PacketType(13);
    /// 14: disconnect notification.
    pub const DISCONNECT: PacketType = PacketType(14);
    /// 15: authentication exchange (MQTT 5 only).
    pub const AUTH: PacketType = PacketType(15);

    /// Upper-case name as the specification writes it (`CONNECT`, `PUBACK`…),
    /// or `None` for the reserved type 0 and values above 15.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "CONNECT",
            2 => "CONNACK",
            3 => "PUBLISH",
            4 => "PUBACK",
            5 => "PUBREC",
            6 => "PUBREL",
            7 => "PUBCOMP",
            8 => "SUBSCRIBE",
            9 => "SUBACK",
            10 => "UNSUBSCRIBE",
            11 => "UNSUBACK",
            12 => "PINGREQ",
            13 => "PINGRESP",
            14 => "DISCONNECT",
            15 => "AUTH",
            _ => return None,
        })
    }

    /// Parses a name such as `connack` or `PUBLISH` (case-insensitive).
    pub fn from_name(name: &str) -> Option<PacketType> {
        (1..=15)
            .map(PacketType)
            .find(|t| t.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Reserved({})", self.0),
        }
    }
}

/// The protocol version, named by the protocol level byte of CONNECT.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name "MQIsdp", level 3.
    V3_1,
    /// MQTT 3.1.1: protocol name "MQTT", level 4.
    V3_1_1,
    /// MQTT 5.0: protocol name "MQTT", level 5.
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte carried in CONNECT.
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V3_1 => 3,
            ProtocolVersion::V3_1_1 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The version for a protocol level byte; the mosquitto bridge bit (0x80) is ignored.
    pub fn from_level(level: u8) -> Option<ProtocolVersion> {
        match level & 0x7f {
            3 => Some(ProtocolVersion::V3_1),
            4 => Some(ProtocolVersion::V3_1_1),
            5 => Some(ProtocolVersion::V5),
            _ => None,
        }
    }

    /// The protocol name this version puts in CONNECT.
    pub fn protocol_name(self) -> &'static str {
        match self {
            ProtocolVersion::V3_1 => "MQIsdp",
            _ => "MQTT",
        }
    }

    /// Parses `3.1`, `3.1.1`, `5`, `5.0` (also `3`, `4` as levels, `31`, `311`).
    pub fn parse(s: &str) -> Option<ProtocolVersion> {
        match s.trim().to_ascii_lowercase().trim_start_matches('v') {
            "3.1" | "31" | "3" => Some(ProtocolVersion::V3_1),
            "3.1.1" | "311" | "4" => Some(ProtocolVersion::V3_1_1),
            "5" | "5.0" | "50" => Some(ProtocolVersion::V5),
            _ => None,
        }
    }

    /// True for MQTT 5.0, the only version with properties and reason codes everywhere.
    pub fn is_v5(self) -> bool {
        self == ProtocolVersion::V5
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolVersion::V3_1 => "3.1",
            ProtocolVersion::V3_1_1 => "3.1.1",
            ProtocolVersion::V5 => "5.0",
        })
    }
}

/// Quality of service level.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub enum QoS {
    /// 0: at most once.
    #[default]
    AtMostOnce = 0,
    /// 1: at least once.
    AtLeastOnce = 1,
    /// 2: exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for 0, 1 or 2; `None` for 3 (malformed on the wire) and above.
    pub fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    /// The human name, as Wireshark and the spec use it.
    pub fn name(self) -> &'static str {
        match self {
            QoS::AtMostOnce => "At most once delivery",
            QoS::AtLeastOnce => "At least once delivery",
            QoS::ExactlyOnce => "Exactly once delivery",
        }
    }
}

/// Who sent a packet, when it is known (from a capture's CONNECT/CONNACK or the port).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Direction {
    /// Sent by the client to the server.
    ClientToServer,
    /// Sent by the server to the client.
    ServerToClient,
}

/// An MQTT "UTF-8 Encoded String" as it is on the wire: the bytes after the two-byte length.
///
/// The bytes are kept even when they are not valid UTF-8, because showing a broken string
/// is the point of a dissector; [`MqttStr::as_str`] says whether it is valid.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MqttStr<'a>(pub &'a [u8]);

impl<'a> MqttStr<'a> {
    /// The string, when the bytes are valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.0).ok()
    }

    /// The raw bytes (without the length prefix).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the string has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> From<&'a str> for MqttStr<'a> {
    fn from(s: &'a str) -> Self {
        MqttStr(s.as_bytes())
    }
}

impl fmt::Debug for MqttStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => write!(f, "MqttStr(invalid UTF-8 {:02x?})", self.0),
        }
    }
}

/// Shows the string with invalid bytes as `\xNN` and control characters escaped, so that
/// nothing from the wire can drive a terminal.
impl fmt::Display for MqttStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::codec::text::Escaped(self.0), f)
    }
}
