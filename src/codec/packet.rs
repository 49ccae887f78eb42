//! Typed MQTT packets. They borrow the bytes they were decoded from.

use super::property::Properties;
use super::reason::ReasonCode;
use super::types::{MqttStr, PacketType, QoS};

/// Any MQTT control packet.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// CONNECT, boxed: it is by far the largest packet, and every other packet would
    /// otherwise be as large (one allocation per connection instead of copies of it on
    /// every packet).
    Connect(Box<Connect<'a>>),
    /// CONNACK.
    ConnAck(ConnAck<'a>),
    /// PUBLISH.
    Publish(Publish<'a>),
    /// PUBACK.
    PubAck(PubResponse<'a>),
    /// PUBREC.
    PubRec(PubResponse<'a>),
    /// PUBREL.
    PubRel(PubResponse<'a>),
    /// PUBCOMP.
    PubComp(PubResponse<'a>),
    /// SUBSCRIBE.
    Subscribe(Subscribe<'a>),
    /// SUBACK.
    SubAck(SubAck<'a>),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe<'a>),
    /// UNSUBACK.
    UnsubAck(UnsubAck<'a>),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect<'a>),
    /// AUTH (MQTT 5 only).
    Auth(Auth<'a>),
}

impl Packet<'_> {
    /// True when the packet holds no allocation: a PUBLISH, PUBACK, PUBREC, PUBREL or
    /// PUBCOMP whose properties refer to its bytes, a PINGREQ or a PINGRESP (false for
    /// the rest, which may).
    #[inline]
    pub fn is_borrowed(&self) -> bool {
        match self {
            Packet::Publish(p) => p.properties.is_borrowed(),
            Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
                r.properties.is_borrowed()
            }
            Packet::PingReq | Packet::PingResp => true,
            _ => false,
        }
    }

    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::CONNECT,
            Packet::ConnAck(_) => PacketType::CONNACK,
            Packet::Publish(_) => PacketType::PUBLISH,
            Packet::PubAck(_) => PacketType::PUBACK,
            Packet::PubRec(_) => PacketType::PUBREC,
            Packet::PubRel(_) => PacketType::PUBREL,
            Packet::PubComp(_) => PacketType::PUBCOMP,
            Packet::Subscribe(_) => PacketType::SUBSCRIBE,
            Packet::SubAck(_) => PacketType::SUBACK,
            Packet::Unsubscribe(_) => PacketType::UNSUBSCRIBE,
            Packet::UnsubAck(_) => PacketType::UNSUBACK,
            Packet::PingReq => PacketType::PINGREQ,
            Packet::PingResp => PacketType::PINGRESP,
            Packet::Disconnect(_) => PacketType::DISCONNECT,
            Packet::Auth(_) => PacketType::AUTH,
        }
    }

    /// The packet identifier, for the packet types that carry one.
    pub fn packet_id(&self) -> Option<u16> {
        match self {
            Packet::Publish(p) => p.packet_id,
            Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
                Some(p.packet_id)
            }
            Packet::Subscribe(p) => Some(p.packet_id),
            Packet::SubAck(p) => Some(p.packet_id),
            Packet::Unsubscribe(p) => Some(p.packet_id),
            Packet::UnsubAck(p) => Some(p.packet_id),
            _ => None,
        }
    }
}

/// CONNECT: the client asks to connect.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Connect<'a> {
    /// "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1).
    pub protocol_name: MqttStr<'a>,
    /// The protocol level byte as sent (3, 4, 5; 0x80 set by mosquitto bridges).
    pub protocol_level: u8,
    /// Clean Start (v5) / Clean Session (3.x).
    pub clean_start: bool,
    /// Keep alive in seconds.
    pub keep_alive: u16,
    /// CONNECT properties (MQTT 5).
    pub properties: Properties<'a>,
    /// Client identifier.
    pub client_id: MqttStr<'a>,
    /// The will message, when the Will Flag is set.
    pub will: Option<Will<'a>>,
    /// User name, when its flag is set.
    pub username: Option<MqttStr<'a>>,
    /// Password, when its flag is set.
    pub password: Option<&'a [u8]>,
}

/// The will message of a CONNECT.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Will<'a> {
    /// Will QoS.
    pub qos: QoS,
    /// Will Retain.
    pub retain: bool,
    /// Will properties (MQTT 5).
    pub properties: Properties<'a>,
    /// Will topic.
    pub topic: MqttStr<'a>,
    /// Will payload.
    pub payload: &'a [u8],
}

/// CONNACK: the server's answer to CONNECT.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConnAck<'a> {
    /// Session Present flag.
    pub session_present: bool,
    /// Reason code (v5) or return code (3.x).
    pub code: ReasonCode,
    /// CONNACK properties (MQTT 5).
    pub properties: Properties<'a>,
}

/// PUBLISH: an application message.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Publish<'a> {
    /// DUP flag.
    pub dup: bool,
    /// QoS level.
    pub qos: QoS,
    /// RETAIN flag.
    pub retain: bool,
    /// Topic name (may be empty in v5 when a Topic Alias is used).
    pub topic: MqttStr<'a>,
    /// Packet identifier; present exactly when QoS > 0.
    pub packet_id: Option<u16>,
    /// PUBLISH properties (MQTT 5).
    pub properties: Properties<'a>,
    /// Application payload.
    pub payload: &'a [u8],
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PubResponse<'a> {
    /// Packet identifier of the PUBLISH being acknowledged.
    pub packet_id: u16,
    /// Reason code (v5); Success when omitted.
    pub reason_code: ReasonCode,
    /// Properties (v5).
    pub properties: Properties<'a>,
}

/// One topic filter of a SUBSCRIBE with its options.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Subscription<'a> {
    /// Topic filter.
    pub filter: MqttStr<'a>,
    /// Maximum QoS (requested QoS in 3.x).
    pub qos: QoS,
    /// No Local (v5).
    pub no_local: bool,
    /// Retain As Published (v5).
    pub retain_as_published: bool,
    /// Retain Handling 0..2 (v5).
    pub retain_handling: u8,
}

/// SUBSCRIBE.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Subscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (v5).
    pub properties: Properties<'a>,
    /// The filters, in order.
    pub subscriptions: Vec<Subscription<'a>>,
}

/// SUBACK.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SubAck<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (v5).
    pub properties: Properties<'a>,
    /// One reason/return code per filter of the SUBSCRIBE.
    pub codes: Vec<ReasonCode>,
}

/// UNSUBSCRIBE.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Unsubscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (v5).
    pub properties: Properties<'a>,
    /// The filters, in order.
    pub filters: Vec<MqttStr<'a>>,
}

/// UNSUBACK.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UnsubAck<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// Properties (v5).
    pub properties: Properties<'a>,
    /// One reason code per filter (v5 only; empty in 3.x).
    pub codes: Vec<ReasonCode>,
}

/// DISCONNECT.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Disconnect<'a> {
    /// Reason code (v5); Normal disconnection when omitted.
    pub reason_code: ReasonCode,
    /// Properties (v5).
    pub properties: Properties<'a>,
}

/// AUTH (MQTT 5 only).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Auth<'a> {
    /// Reason code; Success when omitted.
    pub reason_code: ReasonCode,
    /// Properties.
    pub properties: Properties<'a>,
}
