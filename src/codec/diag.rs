//! Conformance diagnostics: what is wrong, where, and which spec statement says so.

use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: legal, but worth knowing (a BOM kept in a string, a bridge flag).
    Note,
    /// A SHOULD-level deviation, or something a receiver MAY treat as malformed.
    Warning,
    /// A Malformed Packet or Protocol Error per the specification.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One kind of check, registered once in [`CHECKS`].
#[derive(Debug, PartialEq, Eq)]
pub struct Check {
    /// Stable kebab-case identifier, e.g. `vbi-non-minimal`.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// The MQTT 5.0 statement id (`MQTT-1.5.5-1`) or section (`§3.1.2.11.10`).
    pub spec: &'static str,
    /// The MQTT 3.1.1 statement id where it differs, else the same as `spec`.
    pub spec_v3: &'static str,
    /// What the check is about, in a few words.
    pub title: &'static str,
}

macro_rules! checks {
    ($($name:ident = $id:literal, $sev:ident, $spec:literal, $spec3:literal, $title:literal;)*) => {
        $(
            #[doc = $title]
            pub static $name: Check = Check {
                id: $id, severity: Severity::$sev, spec: $spec, spec_v3: $spec3, title: $title,
            };
        )*
        /// Every check the codec can raise, each once.
        pub static CHECKS: &[&Check] = &[$(&$name),*];
    };
}

checks! {
    // Framing
    VBI_TOO_LONG = "vbi-too-long", Error, "§1.5.5", "§2.2.3", "Variable Byte Integer longer than 4 bytes";
    VBI_NON_MINIMAL = "vbi-non-minimal", Warning, "MQTT-1.5.5-1", "§2.2.3", "Variable Byte Integer not minimally encoded";
    RESERVED_PACKET_TYPE = "reserved-packet-type", Error, "§2.1.2", "§2.2.1", "Packet type 0 is reserved";
    AUTH_NOT_IN_V3 = "auth-not-in-v3", Error, "§2.1.2", "§2.2.1", "Packet type 15 (AUTH) exists only in MQTT 5";
    RESERVED_FLAGS = "reserved-flags", Error, "MQTT-2.1.3-1", "MQTT-2.2.2-1", "Fixed header flags differ from the value the packet type requires";
    PUBREL_FLAGS = "pubrel-flags", Error, "MQTT-3.6.1-1", "MQTT-3.6.1-1", "PUBREL fixed header flags must be 0010";
    SUBSCRIBE_FLAGS = "subscribe-flags", Error, "MQTT-3.8.1-1", "MQTT-3.8.1-1", "SUBSCRIBE fixed header flags must be 0010";
    UNSUBSCRIBE_FLAGS = "unsubscribe-flags", Error, "MQTT-3.10.1-1", "MQTT-3.10.1-1", "UNSUBSCRIBE fixed header flags must be 0010";
    DISCONNECT_FLAGS = "disconnect-flags", Error, "MQTT-3.14.1-1", "MQTT-3.14.1-1", "DISCONNECT fixed header flags must be 0";
    AUTH_FLAGS = "auth-flags", Error, "MQTT-3.15.1-1", "MQTT-3.15.1-1", "AUTH fixed header flags must be 0";
    PUBLISH_QOS_3 = "publish-qos-3", Error, "MQTT-3.3.1-4", "MQTT-3.3.1-4", "PUBLISH with both QoS bits set (QoS 3)";
    PUBLISH_DUP_QOS0 = "publish-dup-qos0", Error, "MQTT-3.3.1-2", "MQTT-3.3.1-2", "DUP flag set on a QoS 0 PUBLISH";
    TRUNCATED = "truncated", Error, "§2.1.4", "§2.2.3", "The packet ends before the length its Remaining Length announces";
    FIELD_OVERRUN = "field-overrun", Error, "§2.1.4", "§2.2.3", "A field runs past the end of its packet or block";
    TRAILING_BYTES = "trailing-bytes", Error, "§2.1.4", "§2.2.3", "Bytes left over after the last field of the packet";
    NONZERO_LENGTH = "nonzero-length", Error, "§3.12.1", "§3.12.1", "PINGREQ and PINGRESP have Remaining Length 0";
    ACK_LENGTH_V3 = "ack-length-v3", Error, "§3.4.1", "§3.4.1", "In MQTT 3.x this acknowledgement has Remaining Length 2";
    // Strings
    UTF8_INVALID = "utf8-invalid", Error, "MQTT-1.5.4-1", "MQTT-1.5.3-1", "String is not well-formed UTF-8";
    UTF8_NULL = "utf8-null", Error, "MQTT-1.5.4-2", "MQTT-1.5.3-2", "String contains U+0000";
    UTF8_BOM = "utf8-bom", Note, "MQTT-1.5.4-3", "MQTT-1.5.3-3", "String starts with a BOM (U+FEFF), which is kept, not stripped";
    UTF8_PAIR_INVALID = "utf8-pair-invalid", Error, "MQTT-1.5.7-1", "MQTT-1.5.7-1", "A string of a UTF-8 string pair is not well-formed";
    UTF8_CONTROL = "utf8-control", Warning, "§1.5.4", "§1.5.3", "String contains a control character";
    UTF8_NONCHARACTER = "utf8-noncharacter", Warning, "§1.5.4", "§1.5.3", "String contains a Unicode non-character";
    // Packet identifiers
    PACKET_ID_ZERO = "packet-id-zero", Error, "MQTT-2.2.1-3", "MQTT-2.3.1-1", "Packet Identifier 0";
    // MQTT 5 properties
    PROPERTY_LENGTH_MISSING = "property-length-missing", Error, "MQTT-2.2.2-1", "MQTT-2.2.2-1", "Property Length missing";
    PROPERTY_UNKNOWN = "property-unknown", Error, "§2.2.2.2", "§2.2.2.2", "Unknown property identifier";
    PROPERTY_NOT_ALLOWED = "property-not-allowed", Error, "§2.2.2.2", "§2.2.2.2", "Property not allowed in this packet";
    PROPERTY_DUPLICATE = "property-duplicate", Error, "§2.2.2.2", "§2.2.2.2", "Property present more than once";
    PROPERTY_BOOL_VALUE = "property-bool-value", Error, "§3.2.2.3", "§3.2.2.3", "Property that may only be 0 or 1 has another value";
    MAXIMUM_QOS_VALUE = "maximum-qos-value", Error, "§3.2.2.3.4", "§3.2.2.3.4", "Maximum QoS other than 0 or 1";
    RECEIVE_MAXIMUM_ZERO = "receive-maximum-zero", Error, "§3.1.2.11.3", "§3.1.2.11.3", "Receive Maximum 0";
    MAXIMUM_PACKET_SIZE_ZERO = "maximum-packet-size-zero", Error, "§3.1.2.11.4", "§3.1.2.11.4", "Maximum Packet Size 0";
    TOPIC_ALIAS_ZERO = "topic-alias-zero", Error, "MQTT-3.3.2-8", "MQTT-3.3.2-8", "Topic Alias 0";
    SUBSCRIPTION_ID_ZERO = "subscription-identifier-zero", Error, "§3.3.2.3.8", "§3.3.2.3.8", "Subscription Identifier 0";
    AUTH_DATA_WITHOUT_METHOD = "auth-data-without-method", Error, "§3.1.2.11.10", "§3.1.2.11.10", "Authentication Data without Authentication Method";
    PAYLOAD_NOT_UTF8 = "payload-not-utf8", Warning, "§3.3.2.3.2", "§3.3.2.3.2", "Payload Format Indicator says UTF-8 but the payload is not";
    RESPONSE_TOPIC_WILDCARD = "response-topic-wildcard", Error, "MQTT-3.3.2-14", "MQTT-3.3.2-14", "Response Topic contains a wildcard";
    SUBSCRIPTION_ID_FROM_CLIENT = "subscription-id-from-client", Error, "MQTT-3.3.4-6", "MQTT-3.3.4-6", "Client-to-server PUBLISH carries a Subscription Identifier";
    SERVER_DISCONNECT_SESSION_EXPIRY = "server-disconnect-session-expiry", Error, "MQTT-3.14.2-2", "MQTT-3.14.2-2", "Server DISCONNECT carries Session Expiry Interval";
    // CONNECT
    PROTOCOL_NAME = "protocol-name", Error, "MQTT-3.1.2-1", "MQTT-3.1.2-1", "Protocol name is not MQTT (or MQIsdp for 3.1)";
    PROTOCOL_NAME_LEVEL = "protocol-name-level", Warning, "MQTT-3.1.2-1", "MQTT-3.1.2-1", "Protocol name does not match the protocol level";
    PROTOCOL_LEVEL_UNKNOWN = "protocol-level-unknown", Error, "MQTT-3.1.2-2", "MQTT-3.1.2-2", "Protocol level is not 3, 4 or 5";
    PROTOCOL_LEVEL_BRIDGE = "protocol-level-bridge", Note, "§3.1.2.2", "§3.1.2.2", "Bridge bit (0x80) set in the protocol level (mosquitto bridge extension)";
    CONNECT_RESERVED_FLAG = "connect-reserved-flag", Error, "MQTT-3.1.2-3", "MQTT-3.1.2-3", "Reserved connect flag (bit 0) is set";
    WILL_QOS_WITHOUT_WILL = "will-qos-without-will", Error, "MQTT-3.1.2-11", "MQTT-3.1.2-13", "Will QoS set without the Will Flag";
    WILL_RETAIN_WITHOUT_WILL = "will-retain-without-will", Error, "MQTT-3.1.2-13", "MQTT-3.1.2-15", "Will Retain set without the Will Flag";
    WILL_QOS_3 = "will-qos-3", Error, "MQTT-3.1.2-12", "MQTT-3.1.2-14", "Will QoS 3";
    WILL_FIELDS_MISSING = "will-fields-missing", Error, "MQTT-3.1.2-9", "MQTT-3.1.2-9", "Will Flag set but the will fields are missing";
    USERNAME_MISSING = "username-missing", Error, "MQTT-3.1.2-17", "MQTT-3.1.2-19", "User Name Flag set but no User Name";
    PASSWORD_MISSING = "password-missing", Error, "MQTT-3.1.2-19", "MQTT-3.1.2-21", "Password Flag set but no Password";
    CONNECT_EXTRA_PAYLOAD = "connect-extra-payload", Error, "MQTT-3.1.2-16", "MQTT-3.1.2-18", "Payload holds a field whose flag is not set";
    PASSWORD_WITHOUT_USERNAME = "password-without-username", Error, "MQTT-3.1.2-22", "MQTT-3.1.2-22", "Password Flag set without User Name Flag (not allowed in 3.1.1)";
    CLIENT_ID_EMPTY_PERSISTENT = "client-id-empty-persistent", Error, "MQTT-3.1.3-7", "MQTT-3.1.3-7", "Zero-length Client Identifier with Clean Session 0";
    CLIENT_ID_V31_LENGTH = "client-id-v31-length", Warning, "§3.1 CONNECT", "§3.1 CONNECT", "MQTT 3.1 Client Identifier must be 1 to 23 characters";
    // CONNACK
    CONNACK_RESERVED_FLAGS = "connack-reserved-flags", Error, "MQTT-3.2.2-1", "§3.2.2.1", "CONNACK acknowledge flags bits 7..1 are not 0";
    CONNACK_SESSION_PRESENT_ON_FAILURE = "connack-session-present-on-failure", Error, "MQTT-3.2.2-6", "MQTT-3.2.2-4", "Session Present set on a refused connection";
    // Reason codes
    REASON_CODE_NOT_ALLOWED = "reason-code-not-allowed", Error, "§2.4", "§3.2.2.3", "Reason code exists but not for this packet type";
    REASON_CODE_UNKNOWN = "reason-code-unknown", Error, "§2.4", "§3.2.2.3", "Reason code not defined by the specification";
    REASON_CODE_IN_V3 = "reason-code-in-v3", Error, "§3.4.2", "§3.4.2", "Reason code or properties in an MQTT 3.x packet that has none";
    // PUBLISH and topics
    TOPIC_WILDCARD = "topic-wildcard", Error, "MQTT-3.3.2-2", "MQTT-3.3.2-2", "Topic Name contains a wildcard character";
    TOPIC_EMPTY = "topic-empty", Error, "MQTT-4.7.3-1", "MQTT-4.7.3-1", "Zero-length Topic Name";
    TOPIC_EMPTY_NO_ALIAS = "topic-empty-no-alias", Error, "§3.3.2.3.4", "§3.3.2.3.4", "Zero-length Topic Name without a Topic Alias";
    // SUBSCRIBE / UNSUBSCRIBE and filters
    SUBSCRIBE_NO_FILTERS = "subscribe-no-filters", Error, "MQTT-3.8.3-2", "MQTT-3.8.3-3", "SUBSCRIBE without any topic filter";
    UNSUBSCRIBE_NO_FILTERS = "unsubscribe-no-filters", Error, "MQTT-3.10.3-2", "MQTT-3.10.3-2", "UNSUBSCRIBE without any topic filter";
    SUBACK_NO_CODES = "ack-no-codes", Error, "MQTT-3.9.3-1", "MQTT-3.9.3-1", "SUBACK/UNSUBACK without any reason code";
    SUBSCRIPTION_OPTIONS_RESERVED = "subscription-options-reserved", Error, "MQTT-3.8.3-5", "MQTT-3-8.3-4", "Reserved bits of the subscription options are set";
    SUBSCRIPTION_QOS_3 = "subscription-qos-3", Error, "§3.8.3.1", "MQTT-3-8.3-4", "Subscription with Maximum QoS 3";
    RETAIN_HANDLING_3 = "retain-handling-3", Error, "§3.8.3.1", "§3.8.3.1", "Retain Handling 3";
    NO_LOCAL_SHARED = "no-local-shared", Error, "MQTT-3.8.3-4", "MQTT-3.8.3-4", "No Local set on a shared subscription";
    FILTER_EMPTY = "filter-empty", Error, "MQTT-4.7.3-1", "MQTT-4.7.3-1", "Zero-length Topic Filter";
    FILTER_HASH_NOT_LAST = "filter-hash-misplaced", Error, "MQTT-4.7.1-1", "MQTT-4.7.1-2", "'#' must be the last character, alone in its level";
    FILTER_PLUS_NOT_ALONE = "filter-plus-misplaced", Error, "MQTT-4.7.1-2", "MQTT-4.7.1-3", "'+' must occupy a whole level";
    SHARED_NAME_INVALID = "shared-name-invalid", Error, "MQTT-4.8.2-1", "MQTT-4.8.2-1", "Shared subscription name empty or containing / + #";
    SHARED_FILTER_MISSING = "shared-filter-missing", Error, "MQTT-4.8.2-2", "MQTT-4.8.2-2", "Shared subscription without a topic filter after the share name";
    // Stateful checks: they need the connection's earlier packets (dissect::analysis).
    CONNECT_TWICE = "connect-twice", Error, "MQTT-3.1.0-2", "MQTT-3.1.0-2", "A second CONNECT on one network connection";
    PACKET_BEFORE_CONNECT = "packet-before-connect", Error, "MQTT-3.1.0-1", "MQTT-3.1.0-1", "The client's first packet is not a CONNECT";
    PACKET_BEFORE_CONNACK = "packet-before-connack", Error, "MQTT-3.2.0-1", "MQTT-3.2.0-1", "The server's first packet is not a CONNACK (or AUTH)";
    PACKET_ID_IN_USE = "packet-id-in-use", Error, "MQTT-2.2.1-3", "MQTT-2.3.1-2", "Packet Identifier reused while its flow is still in flight";
    ACK_UNKNOWN_ID = "ack-unknown-id", Warning, "§4.3", "§4.3", "Acknowledgement for a Packet Identifier that is not in flight";
    FLOW_UNACKNOWLEDGED = "flow-unacknowledged", Warning, "§4.3", "§4.3", "QoS or subscription flow never completed";
    SUBACK_CODE_COUNT = "suback-code-count", Error, "MQTT-3.9.3-1", "MQTT-3.8.4-5", "SUBACK carries a different number of codes than its SUBSCRIBE has filters";
    UNSUBACK_CODE_COUNT = "unsuback-code-count", Error, "MQTT-3.11.3-1", "MQTT-3.11.3-1", "UNSUBACK carries a different number of codes than its UNSUBSCRIBE has filters";
    TOPIC_ALIAS_ABOVE_MAXIMUM = "topic-alias-above-maximum", Error, "§3.3.2.3.4", "§3.3.2.3.4", "Topic Alias above the Topic Alias Maximum the receiver announced";
    TOPIC_ALIAS_UNKNOWN = "topic-alias-unknown", Error, "§3.3.2.3.4", "§3.3.2.3.4", "Alias-only PUBLISH whose Topic Alias was never set on this connection and direction";
    TOPIC_ALIAS_RESOLVED = "topic-alias-resolved", Note, "§3.3.2.3.4", "§3.3.2.3.4", "Alias-only PUBLISH: the topic comes from an earlier PUBLISH";
    KEEP_ALIVE_EXCEEDED = "keep-alive-exceeded", Warning, "MQTT-3.1.2-22", "MQTT-3.1.2-24", "Nothing from the client for longer than 1.5 times the keep alive";
    PINGREQ_UNANSWERED = "pingreq-unanswered", Warning, "MQTT-3.12.4-1", "MQTT-3.12.4-1", "PINGREQ without a PINGRESP";
    RECEIVE_MAXIMUM_EXCEEDED_BY_CLIENT = "receive-maximum-exceeded-by-client", Error, "MQTT-3.3.4-7", "MQTT-3.3.4-7", "More QoS 1/2 PUBLISH packets unacknowledged from the client than the server's Receive Maximum";
    RECEIVE_MAXIMUM_EXCEEDED_BY_SERVER = "receive-maximum-exceeded-by-server", Error, "MQTT-3.3.4-9", "MQTT-3.3.4-9", "More QoS 1/2 PUBLISH packets unacknowledged from the server than the client's Receive Maximum";
    PACKET_TOO_LARGE_BY_CLIENT = "packet-too-large-by-client", Error, "MQTT-3.2.2-15", "MQTT-3.2.2-15", "A client packet larger than the server's Maximum Packet Size";
    PACKET_TOO_LARGE_BY_SERVER = "packet-too-large-by-server", Error, "MQTT-3.1.2-24", "MQTT-3.1.2-24", "A server packet larger than the client's Maximum Packet Size";
    QOS_ABOVE_MAXIMUM = "qos-above-maximum", Error, "MQTT-3.2.2-11", "MQTT-3.2.2-11", "A client PUBLISH above the server's Maximum QoS";
    RETAIN_NOT_AVAILABLE = "retain-not-available", Error, "MQTT-3.2.2-14", "MQTT-3.2.2-14", "A client PUBLISH with RETAIN set when the server has no retained messages";
}

/// One finding about a packet: which check, where (byte range relative to the start of
/// the packet), and a message that says what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The check that fired.
    pub check: &'static Check,
    /// Severity of this finding (usually the check's default).
    pub severity: Severity,
    /// The spec statement or section for the packet's protocol version.
    pub spec: &'static str,
    /// Offset of the first byte concerned, relative to the start of the packet.
    pub offset: usize,
    /// Number of bytes concerned (0 for "at this point").
    pub len: usize,
    /// The field the finding is about, by registry id, when there is one.
    pub field: Option<&'static str>,
    /// A one-line explanation with the values found.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] at {}..{}: {} ({})",
            self.severity,
            self.spec,
            self.offset,
            self.offset + self.len,
            self.message,
            self.check.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique() {
        let mut ids: Vec<_> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate check id");
        assert!(n >= 60, "{n} checks");
    }
}
