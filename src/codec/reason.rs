//! Reason codes and return codes: every value the specifications define, with its name,
//! the packets whose table lists it, a one-line meaning and, where it helps, a
//! troubleshooting hint.
//!
//! MQTT 5.0 gathers its reason codes in Table 2.6 (§2.4) and gives each packet its own table:
//! CONNACK §3.2.2.2, PUBACK §3.4.2.1, PUBREC §3.5.2.1, PUBREL §3.6.2.1, PUBCOMP §3.7.2.1,
//! SUBACK §3.9.3, UNSUBACK §3.11.3, DISCONNECT §3.14.2.1 and AUTH §3.15.2.1. The value 0x00 has
//! three names there (Success, Normal disconnection, Granted QoS 0), so [`V5_REASON_CODES`] holds
//! one entry per (code, name) with the packets that use that name; no (code, packet) pair appears
//! twice. MQTT 3.1 and 3.1.1 only have the CONNACK return codes 0–5 and the SUBACK return codes
//! ([`V3_CONNACK_RETURN_CODES`], [`V3_SUBACK_RETURN_CODES`]).
//!
//! [`lookup`] answers "what does this byte mean in this packet of this version", and
//! [`v5_entries`] answers "does this code exist at all" for the diagnostic of a code that exists,
//! but not for the packet it was found in.

use std::fmt;

use crate::codec::types::{PacketType, ProtocolVersion};

/// A reason code (MQTT 5.0) or return code (MQTT 3.1/3.1.1) as it is on the wire.
///
/// An open newtype: an unknown code survives decoding and re-encoding and prints its number.
/// The constants name the MQTT 5.0 codes; where one value has several names (0x00), there is a
/// constant for each name.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    /// 0x00 Success (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH).
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    /// 0x00 Normal disconnection (DISCONNECT).
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode(0x00);
    /// 0x00 Granted QoS 0 (SUBACK).
    pub const GRANTED_QOS_0: ReasonCode = ReasonCode(0x00);
    /// 0x01 Granted QoS 1 (SUBACK).
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    /// 0x02 Granted QoS 2 (SUBACK).
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    /// 0x04 Disconnect with Will Message (DISCONNECT).
    pub const DISCONNECT_WITH_WILL_MESSAGE: ReasonCode = ReasonCode(0x04);
    /// 0x10 No matching subscribers (PUBACK, PUBREC).
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    /// 0x11 No subscription existed (UNSUBACK).
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    /// 0x18 Continue authentication (AUTH).
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    /// 0x19 Re-authenticate (AUTH).
    pub const RE_AUTHENTICATE: ReasonCode = ReasonCode(0x19);
    /// 0x80 Unspecified error.
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    /// 0x81 Malformed Packet.
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    /// 0x82 Protocol Error.
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    /// 0x83 Implementation specific error.
    pub const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = ReasonCode(0x83);
    /// 0x84 Unsupported Protocol Version (CONNACK).
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    /// 0x85 Client Identifier not valid (CONNACK).
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    /// 0x86 Bad User Name or Password (CONNACK).
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    /// 0x87 Not authorized.
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    /// 0x88 Server unavailable (CONNACK).
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    /// 0x89 Server busy.
    pub const SERVER_BUSY: ReasonCode = ReasonCode(0x89);
    /// 0x8A Banned (CONNACK).
    pub const BANNED: ReasonCode = ReasonCode(0x8A);
    /// 0x8B Server shutting down (DISCONNECT).
    pub const SERVER_SHUTTING_DOWN: ReasonCode = ReasonCode(0x8B);
    /// 0x8C Bad authentication method.
    pub const BAD_AUTHENTICATION_METHOD: ReasonCode = ReasonCode(0x8C);
    /// 0x8D Keep Alive timeout (DISCONNECT).
    pub const KEEP_ALIVE_TIMEOUT: ReasonCode = ReasonCode(0x8D);
    /// 0x8E Session taken over (DISCONNECT).
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    /// 0x8F Topic Filter invalid.
    pub const TOPIC_FILTER_INVALID: ReasonCode = ReasonCode(0x8F);
    /// 0x90 Topic Name invalid.
    pub const TOPIC_NAME_INVALID: ReasonCode = ReasonCode(0x90);
    /// 0x91 Packet Identifier in use.
    pub const PACKET_IDENTIFIER_IN_USE: ReasonCode = ReasonCode(0x91);
    /// 0x92 Packet Identifier not found (PUBREL, PUBCOMP).
    pub const PACKET_IDENTIFIER_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    /// 0x93 Receive Maximum exceeded (DISCONNECT).
    pub const RECEIVE_MAXIMUM_EXCEEDED: ReasonCode = ReasonCode(0x93);
    /// 0x94 Topic Alias invalid (DISCONNECT).
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    /// 0x95 Packet too large.
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    /// 0x96 Message rate too high (DISCONNECT).
    pub const MESSAGE_RATE_TOO_HIGH: ReasonCode = ReasonCode(0x96);
    /// 0x97 Quota exceeded.
    pub const QUOTA_EXCEEDED: ReasonCode = ReasonCode(0x97);
    /// 0x98 Administrative action (DISCONNECT).
    pub const ADMINISTRATIVE_ACTION: ReasonCode = ReasonCode(0x98);
    /// 0x99 Payload format invalid.
    pub const PAYLOAD_FORMAT_INVALID: ReasonCode = ReasonCode(0x99);
    /// 0x9A Retain not supported.
    pub const RETAIN_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9A);
    /// 0x9B QoS not supported.
    pub const QOS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9B);
    /// 0x9C Use another server.
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    /// 0x9D Server moved.
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);
    /// 0x9E Shared Subscriptions not supported.
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9E);
    /// 0x9F Connection rate exceeded.
    pub const CONNECTION_RATE_EXCEEDED: ReasonCode = ReasonCode(0x9F);
    /// 0xA0 Maximum connect time (DISCONNECT).
    pub const MAXIMUM_CONNECT_TIME: ReasonCode = ReasonCode(0xA0);
    /// 0xA1 Subscription Identifiers not supported.
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA1);
    /// 0xA2 Wildcard Subscriptions not supported.
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA2);

    /// The MQTT 5.0 rule: 0x80 and above is a failure, below 0x80 a success or an
    /// informational outcome. (MQTT 3.x return codes do not follow it: see [`is_failure_in`].)
    pub fn is_failure(self) -> bool {
        self.0 >= 0x80
    }

    /// The entry for this code in `packet`'s own table for `version` (see [`lookup`]).
    pub fn info(self, version: ProtocolVersion, packet: PacketType) -> Option<&'static ReasonInfo> {
        lookup(version, packet, self.0)
    }
}

/// Prints the code as `0x86`, the form people search for.
impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02X}", self.0)
    }
}

impl From<u8> for ReasonCode {
    fn from(v: u8) -> Self {
        ReasonCode(v)
    }
}

impl From<ReasonCode> for u8 {
    fn from(c: ReasonCode) -> Self {
        c.0
    }
}

/// One row of a reason-code table: a code, its name and the packets that use it with that name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ReasonInfo {
    /// The code as on the wire.
    pub code: u8,
    /// The name as the specification writes it, e.g. "Bad User Name or Password".
    pub name: &'static str,
    /// The packets whose table lists this code with this name.
    pub packets: &'static [PacketType],
    /// One line a newcomer understands.
    pub meaning: &'static str,
    /// What to check or change, where there is something useful to say.
    pub hint: Option<&'static str>,
}

impl ReasonInfo {
    /// The code as a [`ReasonCode`].
    pub fn reason_code(&self) -> ReasonCode {
        ReasonCode(self.code)
    }

    /// True when `packet`'s table lists this entry.
    pub fn applies_to(&self, packet: PacketType) -> bool {
        self.packets.contains(&packet)
    }
}

const CONNACK: PacketType = PacketType::CONNACK;
const PUBACK: PacketType = PacketType::PUBACK;
const PUBREC: PacketType = PacketType::PUBREC;
const PUBREL: PacketType = PacketType::PUBREL;
const PUBCOMP: PacketType = PacketType::PUBCOMP;
const SUBACK: PacketType = PacketType::SUBACK;
const UNSUBACK: PacketType = PacketType::UNSUBACK;
const DISCONNECT: PacketType = PacketType::DISCONNECT;
const AUTH: PacketType = PacketType::AUTH;

const PROTOCOL_VERSION_HINT: &str = "Protocol levels: 3 = MQTT 3.1 (protocol name \"MQIsdp\"), \
4 = MQTT 3.1.1, 5 = MQTT 5.0. The server does not accept the level the client put in its \
CONNECT. Set the client's protocol version to one the broker supports (paho-mqtt: \
protocol=MQTTv311, or MQTTv5 / MQTTv31; Java: setMqttVersion(MQTT_VERSION_3_1_1)), or enable \
that version on the broker; MQTT 3.1.1 is the most widely supported.";

const BAD_CREDENTIALS_HINT: &str = "Check the user name and password the client sends \
(spelling, trailing spaces or newlines, the password flag set), and that the account exists on \
the broker and its authentication backend is reachable.";

const NOT_AUTHORIZED_HINT: &str = "The credentials may be right but the account lacks \
permission: check the broker's ACL for this client id/user and topic, and whether a token \
(JWT) has expired or lacks the needed claim.";

const CLIENT_ID_HINT: &str = "An empty client id is only allowed with Clean Start / Clean \
Session set to 1; MQTT 3.1 limits client ids to 23 characters; some brokers also restrict the \
characters or require a prefix. Use a non-empty, unique id that fits these rules.";

const PACKET_TOO_LARGE_HINT: &str = "A packet exceeded the Maximum Packet Size the receiver \
announced (CONNECT/CONNACK property) or the broker's configured limit: send smaller payloads, \
or raise the limit (e.g. mosquitto max_packet_size).";

const QUOTA_HINT: &str = "A limit set by the broker or an administrator (messages per day, \
stored messages, subscriptions, connections) is used up: check the account's quotas.";

const SERVER_REFERENCE_HINT: &str = "Look for the Server Reference property in the same \
packet: it names the server to connect to instead.";

const SESSION_TAKEN_OVER_HINT: &str = "Another connection used the same client id, so the \
broker closed this one. Give every client instance a unique id; two clients sharing an id \
keep kicking each other off.";

const KEEP_ALIVE_HINT: &str = "The broker heard nothing from the client for 1.5 times the Keep \
Alive interval. Make sure the client sends PINGREQ in time (its network loop must run) and that \
no NAT or proxy drops idle connections; raise Keep Alive if the link is slow.";

const TOPIC_ALIAS_HINT: &str = "A PUBLISH used Topic Alias 0 or an alias above the Topic Alias \
Maximum the receiver announced, or an alias not yet mapped to a topic on this connection.";

const RECEIVE_MAXIMUM_HINT: &str = "More QoS 1/2 PUBLISH packets were in flight than the \
receiver's Receive Maximum allows: limit in-flight messages to that value (the CONNECT/CONNACK \
property, 65,535 when absent).";

/// MQTT 5.0 Table 2.6, complete: one entry per (code, name), with the packets whose own table
/// lists the code under that name.
pub static V5_REASON_CODES: &[ReasonInfo] = &[
    ReasonInfo {
        code: 0x00,
        name: "Success",
        packets: &[CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH],
        meaning: "The operation succeeded (connection accepted, message accepted, unsubscribed, authentication done).",
        hint: None,
    },
    ReasonInfo {
        code: 0x00,
        name: "Normal disconnection",
        packets: &[DISCONNECT],
        meaning: "The connection is closed normally; the Will Message is not published.",
        hint: None,
    },
    ReasonInfo {
        code: 0x00,
        name: "Granted QoS 0",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 0.",
        hint: None,
    },
    ReasonInfo {
        code: 0x01,
        name: "Granted QoS 1",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 1.",
        hint: None,
    },
    ReasonInfo {
        code: 0x02,
        name: "Granted QoS 2",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 2.",
        hint: None,
    },
    ReasonInfo {
        code: 0x04,
        name: "Disconnect with Will Message",
        packets: &[DISCONNECT],
        meaning: "The client disconnects on purpose but asks the server to publish its Will Message.",
        hint: None,
    },
    ReasonInfo {
        code: 0x10,
        name: "No matching subscribers",
        packets: &[PUBACK, PUBREC],
        meaning: "The message was accepted, but no subscription currently matches its topic.",
        hint: None,
    },
    ReasonInfo {
        code: 0x11,
        name: "No subscription existed",
        packets: &[UNSUBACK],
        meaning: "Nothing to unsubscribe: the server had no subscription for this topic filter.",
        hint: None,
    },
    ReasonInfo {
        code: 0x18,
        name: "Continue authentication",
        packets: &[AUTH],
        meaning: "Enhanced authentication goes on: another exchange of authentication data is needed.",
        hint: None,
    },
    ReasonInfo {
        code: 0x19,
        name: "Re-authenticate",
        packets: &[AUTH],
        meaning: "The client starts re-authentication on an established connection; failure closes it.",
        hint: None,
    },
    ReasonInfo {
        code: 0x80,
        name: "Unspecified error",
        packets: &[CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT],
        meaning: "A generic failure: the sender does not say why, or no more specific code applies.",
        hint: Some("Look at the Reason String property and the broker's log for the actual cause."),
    },
    ReasonInfo {
        code: 0x81,
        name: "Malformed Packet",
        packets: &[CONNACK, DISCONNECT],
        meaning: "A received packet could not be parsed: it does not follow the specification's format.",
        hint: Some("Decode the last packets the other side received with this tool: a wrong length, a bad string or a bad property is the usual cause."),
    },
    ReasonInfo {
        code: 0x82,
        name: "Protocol Error",
        packets: &[CONNACK, DISCONNECT],
        meaning: "A packet parsed but broke the protocol's rules, e.g. a second CONNECT or a packet out of order.",
        hint: None,
    },
    ReasonInfo {
        code: 0x83,
        name: "Implementation specific error",
        packets: &[CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT],
        meaning: "The packet is valid but this receiver's implementation does not accept it.",
        hint: Some("The Reason String property and the broker's log usually say which rule was hit."),
    },
    ReasonInfo {
        code: 0x84,
        name: "Unsupported Protocol Version",
        packets: &[CONNACK],
        meaning: "The server does not support the MQTT version the client asked for in CONNECT.",
        hint: Some(PROTOCOL_VERSION_HINT),
    },
    ReasonInfo {
        code: 0x85,
        name: "Client Identifier not valid",
        packets: &[CONNACK],
        meaning: "The client id is a valid string, but the server does not allow it.",
        hint: Some(CLIENT_ID_HINT),
    },
    ReasonInfo {
        code: 0x86,
        name: "Bad User Name or Password",
        packets: &[CONNACK],
        meaning: "The server rejected the user name or password: the connection is refused.",
        hint: Some(BAD_CREDENTIALS_HINT),
    },
    ReasonInfo {
        code: 0x87,
        name: "Not authorized",
        packets: &[CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT],
        meaning: "The client is not authorized to do this (connect, publish to or subscribe to this topic).",
        hint: Some(NOT_AUTHORIZED_HINT),
    },
    ReasonInfo {
        code: 0x88,
        name: "Server unavailable",
        packets: &[CONNACK],
        meaning: "The MQTT server is temporarily unavailable, e.g. a service it depends on is down.",
        hint: Some("Retry later with a back-off; check the broker's health and its authentication backend."),
    },
    ReasonInfo {
        code: 0x89,
        name: "Server busy",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The server is too busy to serve this client now; try again later.",
        hint: Some("Reconnect with an increasing delay instead of immediately."),
    },
    ReasonInfo {
        code: 0x8A,
        name: "Banned",
        packets: &[CONNACK],
        meaning: "The client is banned by an administrator (e.g. its IP address or client id is blocked).",
        hint: Some("Reconnecting will not help until the ban is lifted: ask the broker's administrator."),
    },
    ReasonInfo {
        code: 0x8B,
        name: "Server shutting down",
        packets: &[DISCONNECT],
        meaning: "The server is shutting down and closes the connection.",
        hint: None,
    },
    ReasonInfo {
        code: 0x8C,
        name: "Bad authentication method",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The server does not support the authentication method the client named, or it differs from the one in use.",
        hint: Some("Check the Authentication Method property against the methods the broker supports."),
    },
    ReasonInfo {
        code: 0x8D,
        name: "Keep Alive timeout",
        packets: &[DISCONNECT],
        meaning: "The server received nothing for 1.5 times the Keep Alive interval and closed the connection.",
        hint: Some(KEEP_ALIVE_HINT),
    },
    ReasonInfo {
        code: 0x8E,
        name: "Session taken over",
        packets: &[DISCONNECT],
        meaning: "A new connection with the same client id took over this session, so this connection is closed.",
        hint: Some(SESSION_TAKEN_OVER_HINT),
    },
    ReasonInfo {
        code: 0x8F,
        name: "Topic Filter invalid",
        packets: &[SUBACK, UNSUBACK, DISCONNECT],
        meaning: "The topic filter is well formed but the server does not accept it (e.g. too many levels).",
        hint: None,
    },
    ReasonInfo {
        code: 0x90,
        name: "Topic Name invalid",
        packets: &[CONNACK, PUBACK, PUBREC, DISCONNECT],
        meaning: "The topic name is well formed but the server does not accept it.",
        hint: None,
    },
    ReasonInfo {
        code: 0x91,
        name: "Packet Identifier in use",
        packets: &[PUBACK, PUBREC, SUBACK, UNSUBACK],
        meaning: "The packet identifier is already used by another exchange still in progress: the session states disagree.",
        hint: None,
    },
    ReasonInfo {
        code: 0x92,
        name: "Packet Identifier not found",
        packets: &[PUBREL, PUBCOMP],
        meaning: "The receiver knows no QoS 2 exchange with this packet identifier: the session states disagree (normal during recovery).",
        hint: None,
    },
    ReasonInfo {
        code: 0x93,
        name: "Receive Maximum exceeded",
        packets: &[DISCONNECT],
        meaning: "More unacknowledged QoS 1/2 messages were sent than the receiver's Receive Maximum allows.",
        hint: Some(RECEIVE_MAXIMUM_HINT),
    },
    ReasonInfo {
        code: 0x94,
        name: "Topic Alias invalid",
        packets: &[DISCONNECT],
        meaning: "A PUBLISH carried a topic alias of 0 or above the maximum agreed for this connection.",
        hint: Some(TOPIC_ALIAS_HINT),
    },
    ReasonInfo {
        code: 0x95,
        name: "Packet too large",
        packets: &[CONNACK, DISCONNECT],
        meaning: "A packet was larger than the maximum packet size the receiver accepts.",
        hint: Some(PACKET_TOO_LARGE_HINT),
    },
    ReasonInfo {
        code: 0x96,
        name: "Message rate too high",
        packets: &[DISCONNECT],
        meaning: "The client sends messages faster than the server allows.",
        hint: Some("Slow the publishing rate down, or raise the broker's rate limit."),
    },
    ReasonInfo {
        code: 0x97,
        name: "Quota exceeded",
        packets: &[CONNACK, PUBACK, PUBREC, SUBACK, DISCONNECT],
        meaning: "An implementation or administrative limit was exceeded (e.g. messages per day).",
        hint: Some(QUOTA_HINT),
    },
    ReasonInfo {
        code: 0x98,
        name: "Administrative action",
        packets: &[DISCONNECT],
        meaning: "The connection was closed by an administrator, e.g. kicked from the broker's console.",
        hint: None,
    },
    ReasonInfo {
        code: 0x99,
        name: "Payload format invalid",
        packets: &[CONNACK, PUBACK, PUBREC, DISCONNECT],
        meaning: "The payload does not match its Payload Format Indicator (e.g. marked UTF-8 but is not).",
        hint: Some("Either send valid UTF-8 or set the Payload Format Indicator to 0 (unspecified bytes)."),
    },
    ReasonInfo {
        code: 0x9A,
        name: "Retain not supported",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The server does not support retained messages, but a message had the RETAIN flag set.",
        hint: Some("Clear the RETAIN flag (CONNACK's Retain Available property says whether the server supports it)."),
    },
    ReasonInfo {
        code: 0x9B,
        name: "QoS not supported",
        packets: &[CONNACK, DISCONNECT],
        meaning: "A QoS above the Maximum QoS the receiver supports was used.",
        hint: Some("Use a QoS no higher than CONNACK's Maximum QoS property (for a Will Message too)."),
    },
    ReasonInfo {
        code: 0x9C,
        name: "Use another server",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The client should temporarily use another server.",
        hint: Some(SERVER_REFERENCE_HINT),
    },
    ReasonInfo {
        code: 0x9D,
        name: "Server moved",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The server has moved: the client should permanently use another server.",
        hint: Some(SERVER_REFERENCE_HINT),
    },
    ReasonInfo {
        code: 0x9E,
        name: "Shared Subscriptions not supported",
        packets: &[SUBACK, DISCONNECT],
        meaning: "The server does not support shared subscriptions ($share/...) for this client.",
        hint: None,
    },
    ReasonInfo {
        code: 0x9F,
        name: "Connection rate exceeded",
        packets: &[CONNACK, DISCONNECT],
        meaning: "The client connects too often: the connection rate limit was exceeded.",
        hint: Some("Wait before reconnecting and back off between attempts."),
    },
    ReasonInfo {
        code: 0xA0,
        name: "Maximum connect time",
        packets: &[DISCONNECT],
        meaning: "The connection lasted longer than its authorization allows (e.g. the JWT expired).",
        hint: Some("Reconnect with fresh credentials."),
    },
    ReasonInfo {
        code: 0xA1,
        name: "Subscription Identifiers not supported",
        packets: &[SUBACK, DISCONNECT],
        meaning: "The server does not support subscription identifiers, but the SUBSCRIBE carried one.",
        hint: None,
    },
    ReasonInfo {
        code: 0xA2,
        name: "Wildcard Subscriptions not supported",
        packets: &[SUBACK, DISCONNECT],
        meaning: "The server does not support wildcard subscriptions (+ or #) for this client.",
        hint: None,
    },
];

/// MQTT 3.1 and 3.1.1 CONNACK return codes 0–5 (3.1.1 Table 3.1; the same values in 3.1).
pub static V3_CONNACK_RETURN_CODES: &[ReasonInfo] = &[
    ReasonInfo {
        code: 0,
        name: "Connection Accepted",
        packets: &[CONNACK],
        meaning: "The connection is accepted.",
        hint: None,
    },
    ReasonInfo {
        code: 1,
        name: "Connection Refused, unacceptable protocol version",
        packets: &[CONNACK],
        meaning: "The server does not support the MQTT protocol level the client asked for in CONNECT.",
        hint: Some(PROTOCOL_VERSION_HINT),
    },
    ReasonInfo {
        code: 2,
        name: "Connection Refused, identifier rejected",
        packets: &[CONNACK],
        meaning: "The client id is valid UTF-8 but the server does not allow it.",
        hint: Some(CLIENT_ID_HINT),
    },
    ReasonInfo {
        code: 3,
        name: "Connection Refused, Server unavailable",
        packets: &[CONNACK],
        meaning: "The network connection was made, but the MQTT service is unavailable.",
        hint: Some("Retry later with a back-off; check the broker's health and its authentication backend."),
    },
    ReasonInfo {
        code: 4,
        name: "Connection Refused, bad user name or password",
        packets: &[CONNACK],
        meaning: "The user name or password is wrong or malformed.",
        hint: Some(BAD_CREDENTIALS_HINT),
    },
    ReasonInfo {
        code: 5,
        name: "Connection Refused, not authorized",
        packets: &[CONNACK],
        meaning: "The client is not authorized to connect.",
        hint: Some(NOT_AUTHORIZED_HINT),
    },
];

/// MQTT 3.1.1 SUBACK return codes (§3.9.3): the granted maximum QoS, or 0x80 Failure.
/// MQTT 3.1 only knows 0x00–0x02 (see [`lookup`]).
pub static V3_SUBACK_RETURN_CODES: &[ReasonInfo] = &[
    ReasonInfo {
        code: 0x00,
        name: "Success - Maximum QoS 0",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 0.",
        hint: None,
    },
    ReasonInfo {
        code: 0x01,
        name: "Success - Maximum QoS 1",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 1.",
        hint: None,
    },
    ReasonInfo {
        code: 0x02,
        name: "Success - Maximum QoS 2",
        packets: &[SUBACK],
        meaning: "The subscription is accepted; messages will be delivered with at most QoS 2.",
        hint: None,
    },
    ReasonInfo {
        code: 0x80,
        name: "Failure",
        packets: &[SUBACK],
        meaning: "The subscription was refused (MQTT 3.1.1 does not say why: often a topic the client may not read).",
        hint: Some("Check the broker's ACL for this topic filter and the broker's log."),
    },
];

/// The entry for `code` in `packet`'s own table for `version`, or `None` when the code is not
/// allowed there (including packets that carry no reason code in that version).
///
/// MQTT 3.1 has no SUBACK failure code: 0x80 is accepted for 3.1.1 only.
pub fn lookup(
    version: ProtocolVersion,
    packet: PacketType,
    code: u8,
) -> Option<&'static ReasonInfo> {
    match version {
        ProtocolVersion::V5 => V5_REASON_CODES
            .iter()
            .find(|e| e.code == code && e.applies_to(packet)),
        ProtocolVersion::V3_1 | ProtocolVersion::V3_1_1 => {
            let table = match packet {
                PacketType::CONNACK => V3_CONNACK_RETURN_CODES,
                PacketType::SUBACK => V3_SUBACK_RETURN_CODES,
                _ => return None,
            };
            if version == ProtocolVersion::V3_1 && packet == PacketType::SUBACK && code == 0x80 {
                return None;
            }
            table.iter().find(|e| e.code == code)
        }
    }
}

/// Every MQTT 5.0 entry with this code, whatever the packet (for "this code exists, but not for
/// this packet type" diagnostics and the `codes` command). Empty for codes the spec does not define.
pub fn v5_entries(code: u8) -> impl Iterator<Item = &'static ReasonInfo> {
    V5_REASON_CODES.iter().filter(move |e| e.code == code)
}

/// Every entry `packet`'s table allows in `version`, in code order (for `codes --packet`).
pub fn table_for(
    version: ProtocolVersion,
    packet: PacketType,
) -> impl Iterator<Item = &'static ReasonInfo> {
    let table: &'static [ReasonInfo] = match version {
        ProtocolVersion::V5 => V5_REASON_CODES,
        _ if packet == PacketType::CONNACK => V3_CONNACK_RETURN_CODES,
        _ if packet == PacketType::SUBACK => V3_SUBACK_RETURN_CODES,
        _ => &[],
    };
    table
        .iter()
        .filter(move |e| lookup(version, packet, e.code) == Some(*e))
}

/// Whether `code` reports a failure in `packet` of `version`: for MQTT 5.0 the 0x80 rule; for
/// 3.x CONNACK every non-zero return code; for 3.x SUBACK 0x80 (and any other code above 2).
pub fn is_failure_in(version: ProtocolVersion, packet: PacketType, code: u8) -> bool {
    match version {
        ProtocolVersion::V5 => code >= 0x80,
        _ if packet == PacketType::CONNACK => code != 0,
        _ if packet == PacketType::SUBACK => code > 2,
        _ => code >= 0x80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const ALL_PACKETS: [PacketType; 15] = [
        PacketType::CONNECT,
        PacketType::CONNACK,
        PacketType::PUBLISH,
        PacketType::PUBACK,
        PacketType::PUBREC,
        PacketType::PUBREL,
        PacketType::PUBCOMP,
        PacketType::SUBSCRIBE,
        PacketType::SUBACK,
        PacketType::UNSUBSCRIBE,
        PacketType::UNSUBACK,
        PacketType::PINGREQ,
        PacketType::PINGRESP,
        PacketType::DISCONNECT,
        PacketType::AUTH,
    ];

    fn allowed(version: ProtocolVersion, packet: PacketType) -> Vec<u8> {
        (0..=255u8)
            .filter(|&c| lookup(version, packet, c).is_some())
            .collect()
    }

    /// The per-packet tables of MQTT 5.0, written out from the specification's sections.
    #[test]
    fn v5_per_packet_tables_match_the_spec() {
        let expected: [(PacketType, &[u8]); 9] = [
            // §3.2.2.2 Table 3.1 CONNACK
            (
                PacketType::CONNACK,
                &[
                    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C,
                    0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
                ],
            ),
            // §3.4.2.1 PUBACK
            (
                PacketType::PUBACK,
                &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
            ),
            // §3.5.2.1 PUBREC
            (
                PacketType::PUBREC,
                &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
            ),
            // §3.6.2.1 PUBREL
            (PacketType::PUBREL, &[0x00, 0x92]),
            // §3.7.2.1 PUBCOMP
            (PacketType::PUBCOMP, &[0x00, 0x92]),
            // §3.9.3 SUBACK
            (
                PacketType::SUBACK,
                &[
                    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
                ],
            ),
            // §3.11.3 UNSUBACK
            (
                PacketType::UNSUBACK,
                &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91],
            ),
            // §3.14.2.1 DISCONNECT
            (
                PacketType::DISCONNECT,
                &[
                    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F,
                    0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E,
                    0x9F, 0xA0, 0xA1, 0xA2,
                ],
            ),
            // §3.15.2.1 AUTH
            (PacketType::AUTH, &[0x00, 0x18, 0x19]),
        ];
        for (packet, codes) in expected {
            assert_eq!(allowed(ProtocolVersion::V5, packet), codes, "{packet}");
        }
        // Packets without a reason code accept none.
        for packet in [
            PacketType::CONNECT,
            PacketType::PUBLISH,
            PacketType::SUBSCRIBE,
            PacketType::UNSUBSCRIBE,
            PacketType::PINGREQ,
            PacketType::PINGRESP,
            PacketType::RESERVED,
            PacketType(16),
        ] {
            assert!(allowed(ProtocolVersion::V5, packet).is_empty(), "{packet}");
        }
    }

    /// Table 2.6 holds 43 distinct codes (45 rows counting the three names of 0x00).
    #[test]
    fn table_2_6_is_complete() {
        assert_eq!(V5_REASON_CODES.len(), 45);
        let codes: Vec<u8> = V5_REASON_CODES.iter().map(|e| e.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted, "entries are in code order");
        let distinct: HashSet<u8> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), 43);
        let mut expected: Vec<u8> = vec![0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19];
        expected.extend(0x80..=0xA2);
        let mut got: Vec<u8> = distinct.into_iter().collect();
        got.sort_unstable();
        assert_eq!(got, expected);
    }

    #[test]
    fn no_code_packet_pair_is_listed_twice() {
        let mut seen = HashSet::new();
        for e in V5_REASON_CODES {
            assert!(!e.packets.is_empty(), "{:#04x} has packets", e.code);
            for p in e.packets {
                assert!(seen.insert((e.code, *p)), "{:#04x} {p} twice", e.code);
            }
        }
        for table in [V3_CONNACK_RETURN_CODES, V3_SUBACK_RETURN_CODES] {
            let mut seen = HashSet::new();
            for e in table {
                assert!(seen.insert(e.code), "{:#04x} twice", e.code);
            }
        }
    }

    #[test]
    fn names_and_meanings_are_present_and_plain() {
        for e in V5_REASON_CODES
            .iter()
            .chain(V3_CONNACK_RETURN_CODES)
            .chain(V3_SUBACK_RETURN_CODES)
        {
            assert!(!e.name.is_empty());
            assert!(!e.meaning.is_empty() && !e.meaning.contains('\n'));
            assert!(e.meaning.ends_with('.'), "{}", e.name);
            if let Some(h) = e.hint {
                assert!(!h.is_empty() && !h.contains('\n'));
            }
        }
    }

    #[test]
    fn code_0x84_is_only_in_connack() {
        let entries: Vec<_> = v5_entries(0x84).collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].packets, &[PacketType::CONNACK]);
        for p in ALL_PACKETS {
            assert_eq!(
                lookup(ProtocolVersion::V5, p, 0x84).is_some(),
                p == PacketType::CONNACK
            );
        }
    }

    #[test]
    fn whole_entries() {
        assert_eq!(
            lookup(ProtocolVersion::V5, PacketType::CONNACK, 0x86),
            Some(&ReasonInfo {
                code: 0x86,
                name: "Bad User Name or Password",
                packets: &[PacketType::CONNACK],
                meaning:
                    "The server rejected the user name or password: the connection is refused.",
                hint: Some(BAD_CREDENTIALS_HINT),
            })
        );
        assert_eq!(
            lookup(ProtocolVersion::V5, PacketType::DISCONNECT, 0x00),
            Some(&ReasonInfo {
                code: 0x00,
                name: "Normal disconnection",
                packets: &[PacketType::DISCONNECT],
                meaning: "The connection is closed normally; the Will Message is not published.",
                hint: None,
            })
        );
        assert_eq!(
            lookup(ProtocolVersion::V5, PacketType::SUBACK, 0x00).map(|e| e.name),
            Some("Granted QoS 0")
        );
        assert_eq!(
            lookup(ProtocolVersion::V5, PacketType::PUBACK, 0x00).map(|e| e.name),
            Some("Success")
        );
        assert_eq!(
            lookup(ProtocolVersion::V5, PacketType::PUBREL, 0x92),
            Some(&ReasonInfo {
                code: 0x92,
                name: "Packet Identifier not found",
                packets: &[PacketType::PUBREL, PacketType::PUBCOMP],
                meaning: "The receiver knows no QoS 2 exchange with this packet identifier: the session states disagree (normal during recovery).",
                hint: None,
            })
        );
        assert_eq!(
            lookup(ProtocolVersion::V3_1_1, PacketType::CONNACK, 1),
            Some(&ReasonInfo {
                code: 1,
                name: "Connection Refused, unacceptable protocol version",
                packets: &[PacketType::CONNACK],
                meaning: "The server does not support the MQTT protocol level the client asked for in CONNECT.",
                hint: Some(PROTOCOL_VERSION_HINT),
            })
        );
        assert_eq!(
            lookup(ProtocolVersion::V3_1_1, PacketType::SUBACK, 0x80),
            Some(&ReasonInfo {
                code: 0x80,
                name: "Failure",
                packets: &[PacketType::SUBACK],
                meaning: "The subscription was refused (MQTT 3.1.1 does not say why: often a topic the client may not read).",
                hint: Some("Check the broker's ACL for this topic filter and the broker's log."),
            })
        );
    }

    #[test]
    fn protocol_version_hints_name_the_levels_and_the_remedy() {
        for e in [
            lookup(ProtocolVersion::V5, PacketType::CONNACK, 0x84),
            lookup(ProtocolVersion::V3_1_1, PacketType::CONNACK, 1),
            lookup(ProtocolVersion::V3_1, PacketType::CONNACK, 1),
        ] {
            let hint = e.and_then(|e| e.hint).unwrap_or_default();
            for needle in [
                "3 = MQTT 3.1",
                "MQIsdp",
                "4 = MQTT 3.1.1",
                "5 = MQTT 5.0",
                "MQTTv311",
            ] {
                assert!(hint.contains(needle), "{needle} in {hint}");
            }
        }
    }

    #[test]
    fn requested_hints_exist() {
        for code in [
            0x84, 0x85, 0x86, 0x87, 0x8D, 0x8E, 0x93, 0x94, 0x95, 0x97, 0x9C, 0x9D,
        ] {
            for e in v5_entries(code) {
                assert!(e.hint.is_some(), "{code:#04x}");
            }
        }
        for code in 1..=5 {
            assert!(lookup(ProtocolVersion::V3_1_1, PacketType::CONNACK, code)
                .and_then(|e| e.hint)
                .is_some());
        }
        for code in [0x9C, 0x9D] {
            let hint = v5_entries(code).next().and_then(|e| e.hint).unwrap_or("");
            assert!(hint.contains("Server Reference"));
        }
        let hint = v5_entries(0x8E).next().and_then(|e| e.hint).unwrap_or("");
        assert!(hint.contains("same client id"));
        let hint = v5_entries(0x85).next().and_then(|e| e.hint).unwrap_or("");
        assert!(hint.contains("23 characters") && hint.contains("Clean Start"));
    }

    #[test]
    fn v3_tables() {
        for v in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
            assert_eq!(allowed(v, PacketType::CONNACK), vec![0, 1, 2, 3, 4, 5]);
            for p in ALL_PACKETS {
                if p != PacketType::CONNACK && p != PacketType::SUBACK {
                    assert!(allowed(v, p).is_empty(), "{v} {p}");
                }
            }
        }
        assert_eq!(
            allowed(ProtocolVersion::V3_1_1, PacketType::SUBACK),
            vec![0, 1, 2, 0x80]
        );
        assert_eq!(
            allowed(ProtocolVersion::V3_1, PacketType::SUBACK),
            vec![0, 1, 2]
        );
        let names: Vec<&str> = V3_CONNACK_RETURN_CODES.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "Connection Accepted",
                "Connection Refused, unacceptable protocol version",
                "Connection Refused, identifier rejected",
                "Connection Refused, Server unavailable",
                "Connection Refused, bad user name or password",
                "Connection Refused, not authorized",
            ]
        );
    }

    #[test]
    fn v5_entries_for_diagnostics() {
        let names: Vec<&str> = v5_entries(0x00).map(|e| e.name).collect();
        assert_eq!(names, ["Success", "Normal disconnection", "Granted QoS 0"]);
        assert_eq!(v5_entries(0x03).count(), 0);
        assert_eq!(v5_entries(0xA3).count(), 0);
        // 0x04 exists, but not in CONNACK.
        assert!(lookup(ProtocolVersion::V5, PacketType::CONNACK, 0x04).is_none());
        assert_eq!(v5_entries(0x04).count(), 1);
    }

    #[test]
    fn table_for_lists_each_packets_codes() {
        let codes: Vec<u8> = table_for(ProtocolVersion::V5, PacketType::AUTH)
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, [0x00, 0x18, 0x19]);
        let names: Vec<&str> = table_for(ProtocolVersion::V5, PacketType::SUBACK)
            .take(3)
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["Granted QoS 0", "Granted QoS 1", "Granted QoS 2"]);
        assert_eq!(
            table_for(ProtocolVersion::V3_1, PacketType::SUBACK).count(),
            3
        );
        assert_eq!(
            table_for(ProtocolVersion::V3_1_1, PacketType::SUBACK).count(),
            4
        );
        assert_eq!(
            table_for(ProtocolVersion::V3_1_1, PacketType::PUBACK).count(),
            0
        );
        for p in ALL_PACKETS {
            let n = table_for(ProtocolVersion::V5, p).count();
            assert_eq!(n, allowed(ProtocolVersion::V5, p).len());
        }
    }

    #[test]
    fn constants_and_failure_rule() {
        assert_eq!(ReasonCode::SUCCESS, ReasonCode(0));
        assert_eq!(ReasonCode::NORMAL_DISCONNECTION, ReasonCode(0));
        assert_eq!(ReasonCode::GRANTED_QOS_2, ReasonCode(2));
        assert_eq!(ReasonCode::RE_AUTHENTICATE, ReasonCode(0x19));
        assert_eq!(
            ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED,
            ReasonCode(0xA2)
        );
        assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.is_failure());
        assert!(ReasonCode::UNSPECIFIED_ERROR.is_failure());
        assert!(ReasonCode(0xFF).is_failure());
        assert_eq!(ReasonCode(0x86).to_string(), "0x86");
        assert_eq!(ReasonCode(0x7).to_string(), "0x07");
        assert_eq!(
            ReasonCode::BANNED
                .info(ProtocolVersion::V5, PacketType::CONNACK)
                .map(|e| e.name),
            Some("Banned")
        );
        assert!(is_failure_in(
            ProtocolVersion::V3_1_1,
            PacketType::CONNACK,
            1
        ));
        assert!(!is_failure_in(
            ProtocolVersion::V3_1_1,
            PacketType::CONNACK,
            0
        ));
        assert!(!is_failure_in(
            ProtocolVersion::V3_1_1,
            PacketType::SUBACK,
            2
        ));
        assert!(is_failure_in(
            ProtocolVersion::V3_1_1,
            PacketType::SUBACK,
            0x80
        ));
        assert!(!is_failure_in(
            ProtocolVersion::V5,
            PacketType::UNSUBACK,
            0x11
        ));
        assert!(is_failure_in(
            ProtocolVersion::V5,
            PacketType::UNSUBACK,
            0x8F
        ));
    }

    /// Every code with a constant is in Table 2.6, and the names match the constants.
    #[test]
    fn constants_are_in_the_table() {
        let pairs = [
            (
                ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
                "Disconnect with Will Message",
            ),
            (
                ReasonCode::NO_SUBSCRIPTION_EXISTED,
                "No subscription existed",
            ),
            (
                ReasonCode::CONTINUE_AUTHENTICATION,
                "Continue authentication",
            ),
            (ReasonCode::MALFORMED_PACKET, "Malformed Packet"),
            (ReasonCode::PROTOCOL_ERROR, "Protocol Error"),
            (
                ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR,
                "Implementation specific error",
            ),
            (
                ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported Protocol Version",
            ),
            (
                ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
                "Client Identifier not valid",
            ),
            (ReasonCode::NOT_AUTHORIZED, "Not authorized"),
            (ReasonCode::SERVER_UNAVAILABLE, "Server unavailable"),
            (ReasonCode::SERVER_BUSY, "Server busy"),
            (ReasonCode::SERVER_SHUTTING_DOWN, "Server shutting down"),
            (
                ReasonCode::BAD_AUTHENTICATION_METHOD,
                "Bad authentication method",
            ),
            (ReasonCode::KEEP_ALIVE_TIMEOUT, "Keep Alive timeout"),
            (ReasonCode::SESSION_TAKEN_OVER, "Session taken over"),
            (ReasonCode::TOPIC_FILTER_INVALID, "Topic Filter invalid"),
            (ReasonCode::TOPIC_NAME_INVALID, "Topic Name invalid"),
            (
                ReasonCode::PACKET_IDENTIFIER_IN_USE,
                "Packet Identifier in use",
            ),
            (
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
                "Packet Identifier not found",
            ),
            (
                ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
                "Receive Maximum exceeded",
            ),
            (ReasonCode::TOPIC_ALIAS_INVALID, "Topic Alias invalid"),
            (ReasonCode::PACKET_TOO_LARGE, "Packet too large"),
            (ReasonCode::MESSAGE_RATE_TOO_HIGH, "Message rate too high"),
            (ReasonCode::QUOTA_EXCEEDED, "Quota exceeded"),
            (ReasonCode::ADMINISTRATIVE_ACTION, "Administrative action"),
            (ReasonCode::PAYLOAD_FORMAT_INVALID, "Payload format invalid"),
            (ReasonCode::RETAIN_NOT_SUPPORTED, "Retain not supported"),
            (ReasonCode::QOS_NOT_SUPPORTED, "QoS not supported"),
            (ReasonCode::USE_ANOTHER_SERVER, "Use another server"),
            (ReasonCode::SERVER_MOVED, "Server moved"),
            (
                ReasonCode::SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
                "Shared Subscriptions not supported",
            ),
            (
                ReasonCode::CONNECTION_RATE_EXCEEDED,
                "Connection rate exceeded",
            ),
            (ReasonCode::MAXIMUM_CONNECT_TIME, "Maximum connect time"),
            (
                ReasonCode::SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
                "Subscription Identifiers not supported",
            ),
            (ReasonCode::BANNED, "Banned"),
            (
                ReasonCode::BAD_USER_NAME_OR_PASSWORD,
                "Bad User Name or Password",
            ),
            (ReasonCode::UNSPECIFIED_ERROR, "Unspecified error"),
            (
                ReasonCode::NO_MATCHING_SUBSCRIBERS,
                "No matching subscribers",
            ),
            (ReasonCode::GRANTED_QOS_1, "Granted QoS 1"),
            (ReasonCode::RE_AUTHENTICATE, "Re-authenticate"),
            (
                ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED,
                "Wildcard Subscriptions not supported",
            ),
        ];
        for (code, name) in pairs {
            let names: Vec<&str> = v5_entries(code.0).map(|e| e.name).collect();
            assert_eq!(names, [name]);
        }
    }
}
