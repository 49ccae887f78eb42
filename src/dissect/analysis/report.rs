//! What the analysis of a capture found: plain data, rendered by `present::stats`.

use crate::codec::diag::Severity;
use crate::codec::{Direction, PacketType, ProtocolVersion};
use crate::transport::{Endpoint, Timestamp, Tunnel};

/// Who did something on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The MQTT client.
    Client,
    /// The broker.
    Server,
}

/// The answer to the CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// No CONNECT was captured (picked up mid-stream, or not MQTT at all).
    NoConnect,
    /// A CONNECT, but no CONNACK was captured.
    NoAnswer,
    /// CONNACK with a success code.
    Accepted {
        /// Frame of the CONNACK.
        frame: u64,
        /// Session Present.
        session_present: bool,
    },
    /// CONNACK with a failure code.
    Refused {
        /// Frame of the CONNACK.
        frame: u64,
        /// The return code (3.x) or reason code (5.0).
        code: u8,
        /// The version the CONNACK was decoded as.
        version: ProtocolVersion,
    },
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// A DISCONNECT packet.
    Disconnect {
        /// Who sent it.
        by: Role,
        /// Its reason code (0 in 3.x).
        code: u8,
        /// Frame.
        frame: u64,
    },
    /// The broker ended it because another connection used the same client identifier
    /// (v5 DISCONNECT 0x8E, or a new CONNECT with that client id while it was open).
    TakenOver {
        /// The connection that took the session over, when it is in the capture.
        by_conn: Option<u64>,
        /// Frame of the DISCONNECT or of the close.
        frame: u64,
    },
    /// TCP ended without a DISCONNECT.
    TcpClose {
        /// Who closed first, when known.
        by: Option<Role>,
        /// A reset rather than a FIN.
        rst: bool,
        /// Frame.
        frame: u64,
    },
    /// The capture ends with the connection open.
    Open,
}

/// The outcome of one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The CONNACK's verdict.
    pub acceptance: Acceptance,
    /// How it ended.
    pub end: End,
    /// The broker publishes the will message: the CONNECT had one and the connection did
    /// not end with a client DISCONNECT 0x00.
    pub will_fires: bool,
    /// The topic of that will message.
    pub will_topic: Option<String>,
    /// The broker closed the connection after more than 1.5 × keep alive without a packet
    /// from the client: seconds of silence.
    pub keep_alive_expired: Option<f64>,
}

/// The kinds of acknowledged flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowKind {
    /// PUBLISH QoS 1 → PUBACK.
    Qos1,
    /// PUBLISH QoS 2 → PUBREC → PUBREL → PUBCOMP.
    Qos2,
    /// SUBSCRIBE → SUBACK.
    Subscribe,
    /// UNSUBSCRIBE → UNSUBACK.
    Unsubscribe,
}

impl FlowKind {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            FlowKind::Qos1 => "QoS 1 PUBLISH",
            FlowKind::Qos2 => "QoS 2 PUBLISH",
            FlowKind::Subscribe => "SUBSCRIBE",
            FlowKind::Unsubscribe => "UNSUBSCRIBE",
        }
    }

    /// A QoS 1 or QoS 2 PUBLISH: what the receiver's Receive Maximum counts.
    pub fn is_publish(self) -> bool {
        matches!(self, FlowKind::Qos1 | FlowKind::Qos2)
    }
}

/// Flow counts and times of one kind and direction on one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowStats {
    /// Which flow.
    pub kind: FlowKind,
    /// Who sent the request (PUBLISH, SUBSCRIBE, UNSUBSCRIBE).
    pub direction: Option<Direction>,
    /// Flows completed.
    pub completed: u64,
    /// Flows completed with a failure reason code.
    pub failed: u64,
    /// Flows never completed before the connection ended.
    pub unacknowledged: u64,
    /// Shortest time from request to completion, in seconds.
    pub min: Option<f64>,
    /// Median (over at most a few thousand samples per connection).
    pub median: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

/// What one connection did.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnSummary {
    /// Connection number.
    pub id: u64,
    /// The client's endpoint, when roles are known.
    pub client: Option<Endpoint>,
    /// The broker's endpoint, when roles are known.
    pub server: Option<Endpoint>,
    /// Endpoint A and B (when roles are unknown).
    pub a: Endpoint,
    /// Endpoint B.
    pub b: Endpoint,
    /// TLS: encrypted, with the server name of the ClientHello.
    pub tls: Option<Option<String>>,
    /// The innermost tunnel of the frame that opened the connection, if any.
    pub tunnel: Option<Tunnel>,
    /// Client identifier.
    pub client_id: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Protocol version of the CONNECT.
    pub version: Option<ProtocolVersion>,
    /// The protocol level byte and whether the name was MQIsdp.
    pub connect_level: Option<(u8, bool)>,
    /// Keep alive of the CONNECT (seconds).
    pub keep_alive: Option<u16>,
    /// First and last timestamps seen.
    pub first_ts: Timestamp,
    /// Last timestamp seen.
    pub last_ts: Timestamp,
    /// MQTT packets client→server, server→client (A→B, B→A when roles are unknown).
    pub packets: [u64; 2],
    /// Stream bytes in the same order.
    pub bytes: [u64; 2],
    /// Outcome.
    pub outcome: Outcome,
    /// This connection took over the session of another one (same client identifier).
    pub took_over: Option<u64>,
    /// Flow statistics.
    pub flows: Vec<FlowStats>,
    /// Problems on this connection: check id, severity, count.
    pub problems: Vec<(&'static str, Severity, u64)>,
}

impl ConnSummary {
    /// Seconds from first to last frame.
    pub fn duration(&self) -> f64 {
        seconds_between(self.first_ts, self.last_ts)
    }
}

/// Seconds from `a` to `b`.
pub fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    b.secs.wrapping_sub(a.secs) as f64 + (f64::from(b.nanos) - f64::from(a.nanos)) / 1e9
}

/// Messages on one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicStats {
    /// The topic (escaped for display); the "other topics" bucket has none.
    pub topic: Option<String>,
    /// PUBLISH packets client→server.
    pub published: u64,
    /// PUBLISH packets server→client.
    pub delivered: u64,
    /// PUBLISH packets whose direction is unknown.
    pub unknown_direction: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Messages at QoS 0, 1, 2.
    pub qos: [u64; 3],
    /// Messages with RETAIN.
    pub retained: u64,
    /// Messages whose topic came from a Topic Alias.
    pub via_alias: u64,
}

impl TopicStats {
    /// All messages.
    pub fn messages(&self) -> u64 {
        self.published + self.delivered + self.unknown_direction
    }
}

/// Packets of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeStats {
    /// The type.
    pub packet_type: PacketType,
    /// Client→server.
    pub client_to_server: u64,
    /// Server→client.
    pub server_to_client: u64,
    /// Direction unknown.
    pub unknown: u64,
    /// Bytes (whole packets).
    pub bytes: u64,
}

/// One kind of problem across the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemGroup {
    /// Check id (or `failure-code`, `undecodable`).
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Spec statement of the first occurrence.
    pub spec: &'static str,
    /// What the check is about.
    pub title: &'static str,
    /// Occurrences.
    pub count: u64,
    /// Frames of the first occurrences.
    pub frames: Vec<u64>,
    /// Connections of the first occurrences (distinct).
    pub connections: Vec<u64>,
    /// The message of the first occurrence.
    pub example: String,
}

/// What makes `--check` fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// An error diagnostic (malformed packet or protocol error).
    ProtocolError,
    /// A failure reason / return code.
    FailureCode,
}

/// One entry of the `--check` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckItem {
    /// Which kind.
    pub kind: CheckKind,
    /// Frame.
    pub frame: u64,
    /// Connection.
    pub conn: Option<u64>,
    /// Client identifier of the connection.
    pub client_id: Option<String>,
    /// Packet type, when about a packet.
    pub packet: Option<PacketType>,
    /// Check id (`failure-code` for reason codes).
    pub id: &'static str,
    /// Spec statement.
    pub spec: &'static str,
    /// What was found.
    pub message: String,
}

/// Everything the analysis found in one capture.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Connections in order of their number.
    pub connections: Vec<ConnSummary>,
    /// Connections not kept because of the cap.
    pub connections_not_kept: u64,
    /// Topics by message count (most first), at most the topic cap.
    pub topics: Vec<TopicStats>,
    /// Messages of topics beyond the cap.
    pub other_topics: Option<TopicStats>,
    /// Distinct topics beyond the cap (counted until the topic table is full).
    pub other_topic_count: u64,
    /// Per packet type, in type order.
    pub packet_types: Vec<TypeStats>,
    /// Problems by kind, errors first.
    pub problems: Vec<ProblemGroup>,
    /// The `--check` list (capped).
    pub check_items: Vec<CheckItem>,
    /// Protocol errors in total.
    pub protocol_errors: u64,
    /// Failure reason codes in total.
    pub failure_codes: u64,
}

impl Analysis {
    /// True when `--check` passes.
    pub fn check_passed(&self) -> bool {
        self.protocol_errors == 0 && self.failure_codes == 0
    }
}
