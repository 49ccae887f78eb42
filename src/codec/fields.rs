//! The field registry: every field id the tree uses, once, with its label, value type and
//! the Wireshark display-filter name where Wireshark has one.

/// The type of value a field carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// A group of other fields; no value of its own.
    Group,
    /// An unsigned integer (byte, two/four-byte integer, VBI, bit field).
    UInt,
    /// A single-bit flag.
    Bool,
    /// A UTF-8 encoded string.
    Str,
    /// Binary data.
    Bytes,
}

/// A registered field.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldDef {
    /// Stable dotted id, e.g. `connect.client_id`.
    pub id: &'static str,
    /// Human label, e.g. `Client ID`.
    pub label: &'static str,
    /// Value type.
    pub kind: FieldKind,
    /// Wireshark display-filter name, when Wireshark has the field.
    pub wireshark: Option<&'static str>,
    /// Masked in human output unless secrets are asked for (passwords, authentication data).
    pub secret: bool,
}

macro_rules! fields {
    ($($name:ident = $id:literal, $label:literal, $kind:ident, $ws:expr, $secret:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $label)]
            pub static $name: FieldDef = FieldDef {
                id: $id, label: $label, kind: FieldKind::$kind, wireshark: $ws, secret: $secret,
            };
        )*
        /// Every field the tree can contain, each once.
        pub static FIELDS: &[&FieldDef] = &[$(&$name),*];
    };
}

fields! {
    // Fixed header
    HEADER = "header", "Header Flags", UInt, Some("mqtt.hdrflags"), false;
    HEADER_TYPE = "header.type", "Packet Type", UInt, Some("mqtt.msgtype"), false;
    HEADER_DUP = "header.dup", "DUP Flag", Bool, Some("mqtt.dupflag"), false;
    HEADER_QOS = "header.qos", "QoS Level", UInt, Some("mqtt.qos"), false;
    HEADER_RETAIN = "header.retain", "Retain", Bool, Some("mqtt.retain"), false;
    HEADER_RESERVED = "header.reserved", "Reserved Flags", UInt, Some("mqtt.hdr_reserved"), false;
    HEADER_RETAIN_RESERVED = "header.retain_reserved", "Reserved (Retain bit)", UInt, Some("mqtt.retain_reserved"), false;
    REMAINING_LENGTH = "header.remaining_length", "Remaining Length", UInt, Some("mqtt.len"), false;
    // Shared pieces
    LENGTH = "length", "Length", UInt, None, false;
    PACKET_ID = "packet_id", "Packet Identifier", UInt, Some("mqtt.msgid"), false;
    PROPERTIES = "properties", "Properties", Group, Some("mqtt.properties"), false;
    WILL_PROPERTIES = "will_properties", "Will Properties", Group, Some("mqtt.will_properties"), false;
    PROPERTY_LENGTH = "properties.length", "Property Length", UInt, Some("mqtt.property_len"), false;
    PROPERTY_ID = "property.id", "Property Identifier", UInt, Some("mqtt.property_id"), false;
    PROPERTY_UNKNOWN = "property.unknown", "Unknown Property", Bytes, Some("mqtt.prop_unknown"), false;
    USER_PROPERTY_KEY = "property.user_property.key", "Key", Str, Some("mqtt.prop_key"), false;
    USER_PROPERTY_VALUE = "property.user_property.value", "Value", Str, Some("mqtt.prop_value"), false;
    UNDECODED = "undecoded", "Undecoded Bytes", Bytes, None, false;
    // CONNECT
    CONNECT_PROTOCOL_NAME = "connect.protocol_name", "Protocol Name", Str, Some("mqtt.protoname"), false;
    CONNECT_PROTOCOL_LEVEL = "connect.protocol_level", "Protocol Level", UInt, Some("mqtt.ver"), false;
    CONNECT_FLAGS = "connect.flags", "Connect Flags", UInt, Some("mqtt.conflags"), false;
    CONNECT_FLAG_USERNAME = "connect.flags.username", "User Name Flag", Bool, Some("mqtt.conflag.uname"), false;
    CONNECT_FLAG_PASSWORD = "connect.flags.password", "Password Flag", Bool, Some("mqtt.conflag.passwd"), false;
    CONNECT_FLAG_WILL_RETAIN = "connect.flags.will_retain", "Will Retain", Bool, Some("mqtt.conflag.retain"), false;
    CONNECT_FLAG_WILL_QOS = "connect.flags.will_qos", "Will QoS", UInt, Some("mqtt.conflag.qos"), false;
    CONNECT_FLAG_WILL = "connect.flags.will", "Will Flag", Bool, Some("mqtt.conflag.willflag"), false;
    CONNECT_FLAG_CLEAN_START = "connect.flags.clean_start", "Clean Start", Bool, Some("mqtt.conflag.cleansess"), false;
    CONNECT_FLAG_RESERVED = "connect.flags.reserved", "Reserved", Bool, Some("mqtt.conflag.reserved"), false;
    CONNECT_KEEP_ALIVE = "connect.keep_alive", "Keep Alive", UInt, Some("mqtt.kalive"), false;
    CONNECT_CLIENT_ID = "connect.client_id", "Client ID", Str, Some("mqtt.clientid"), false;
    CONNECT_WILL_TOPIC = "connect.will_topic", "Will Topic", Str, Some("mqtt.willtopic"), false;
    CONNECT_WILL_PAYLOAD = "connect.will_payload", "Will Payload", Bytes, Some("mqtt.willmsg"), false;
    CONNECT_USERNAME = "connect.username", "User Name", Str, Some("mqtt.username"), false;
    CONNECT_PASSWORD = "connect.password", "Password", Bytes, Some("mqtt.passwd"), true;
    // CONNACK
    CONNACK_FLAGS = "connack.flags", "Acknowledge Flags", UInt, Some("mqtt.conack.flags"), false;
    CONNACK_SESSION_PRESENT = "connack.flags.session_present", "Session Present", Bool, Some("mqtt.conack.flags.sp"), false;
    CONNACK_FLAGS_RESERVED = "connack.flags.reserved", "Reserved", UInt, Some("mqtt.conack.flags.reserved"), false;
    CONNACK_RETURN_CODE = "connack.return_code", "Return Code", UInt, Some("mqtt.conack.val"), false;
    CONNACK_REASON_CODE = "connack.reason_code", "Reason Code", UInt, Some("mqtt.connack.reason_code"), false;
    // PUBLISH
    PUBLISH_TOPIC = "publish.topic", "Topic Name", Str, Some("mqtt.topic"), false;
    PUBLISH_PAYLOAD = "publish.payload", "Payload", Bytes, Some("mqtt.msg"), false;
    // Acknowledgements
    PUBACK_REASON_CODE = "puback.reason_code", "Reason Code", UInt, Some("mqtt.puback.reason_code"), false;
    PUBREC_REASON_CODE = "pubrec.reason_code", "Reason Code", UInt, Some("mqtt.pubrec.reason_code"), false;
    PUBREL_REASON_CODE = "pubrel.reason_code", "Reason Code", UInt, Some("mqtt.pubrel.reason_code"), false;
    PUBCOMP_REASON_CODE = "pubcomp.reason_code", "Reason Code", UInt, Some("mqtt.pubcomp.reason_code"), false;
    // SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK
    SUBSCRIBE_SUBSCRIPTION = "subscribe.subscription", "Subscription", Group, None, false;
    SUBSCRIBE_TOPIC_FILTER = "subscribe.topic_filter", "Topic Filter", Str, Some("mqtt.topic"), false;
    SUBSCRIBE_OPTIONS = "subscribe.options", "Subscription Options", UInt, Some("mqtt.subscription_options"), false;
    SUBSCRIBE_OPTIONS_QOS = "subscribe.options.qos", "Maximum QoS", UInt, Some("mqtt.subscription_options_qos"), false;
    SUBSCRIBE_OPTIONS_NO_LOCAL = "subscribe.options.no_local", "No Local", Bool, Some("mqtt.subscription_options_nl"), false;
    SUBSCRIBE_OPTIONS_RAP = "subscribe.options.retain_as_published", "Retain As Published", Bool, Some("mqtt.subscription_options_rap"), false;
    SUBSCRIBE_OPTIONS_RETAIN_HANDLING = "subscribe.options.retain_handling", "Retain Handling", UInt, Some("mqtt.subscription_options_retain"), false;
    SUBSCRIBE_OPTIONS_RESERVED = "subscribe.options.reserved", "Reserved", UInt, Some("mqtt.subscription_options_reserved"), false;
    SUBSCRIBE_REQUESTED_QOS = "subscribe.requested_qos", "Requested QoS", UInt, Some("mqtt.sub.qos"), false;
    SUBACK_RETURN_CODE = "suback.return_code", "Return Code", UInt, Some("mqtt.suback.qos"), false;
    SUBACK_REASON_CODE = "suback.reason_code", "Reason Code", UInt, Some("mqtt.suback.reason_code"), false;
    UNSUBSCRIBE_TOPIC_FILTER = "unsubscribe.topic_filter", "Topic Filter", Str, Some("mqtt.topic"), false;
    UNSUBACK_REASON_CODE = "unsuback.reason_code", "Reason Code", UInt, Some("mqtt.unsuback.reason_code"), false;
    // DISCONNECT / AUTH
    DISCONNECT_REASON_CODE = "disconnect.reason_code", "Reason Code", UInt, Some("mqtt.disconnect.reason_code"), false;
    AUTH_REASON_CODE = "auth.reason_code", "Reason Code", UInt, Some("mqtt.auth.reason_code"), false;
    // MQTT 5 properties, one field each (values: mqtt.prop_number / mqtt.prop_string in Wireshark)
    P_PAYLOAD_FORMAT_INDICATOR = "property.payload_format_indicator", "Payload Format Indicator", UInt, Some("mqtt.prop_number"), false;
    P_MESSAGE_EXPIRY_INTERVAL = "property.message_expiry_interval", "Message Expiry Interval", UInt, Some("mqtt.prop_number"), false;
    P_CONTENT_TYPE = "property.content_type", "Content Type", Str, Some("mqtt.property.content_type"), false;
    P_RESPONSE_TOPIC = "property.response_topic", "Response Topic", Str, Some("mqtt.prop_string"), false;
    P_CORRELATION_DATA = "property.correlation_data", "Correlation Data", Bytes, Some("mqtt.prop_string"), false;
    P_SUBSCRIPTION_IDENTIFIER = "property.subscription_identifier", "Subscription Identifier", UInt, Some("mqtt.prop_number"), false;
    P_SESSION_EXPIRY_INTERVAL = "property.session_expiry_interval", "Session Expiry Interval", UInt, Some("mqtt.prop_number"), false;
    P_ASSIGNED_CLIENT_IDENTIFIER = "property.assigned_client_identifier", "Assigned Client Identifier", Str, Some("mqtt.prop_string"), false;
    P_SERVER_KEEP_ALIVE = "property.server_keep_alive", "Server Keep Alive", UInt, Some("mqtt.prop_number"), false;
    P_AUTHENTICATION_METHOD = "property.authentication_method", "Authentication Method", Str, Some("mqtt.prop_string"), false;
    P_AUTHENTICATION_DATA = "property.authentication_data", "Authentication Data", Bytes, Some("mqtt.prop_string"), true;
    P_REQUEST_PROBLEM_INFORMATION = "property.request_problem_information", "Request Problem Information", UInt, Some("mqtt.prop_number"), false;
    P_WILL_DELAY_INTERVAL = "property.will_delay_interval", "Will Delay Interval", UInt, Some("mqtt.prop_number"), false;
    P_REQUEST_RESPONSE_INFORMATION = "property.request_response_information", "Request Response Information", UInt, Some("mqtt.prop_number"), false;
    P_RESPONSE_INFORMATION = "property.response_information", "Response Information", Str, Some("mqtt.prop_string"), false;
    P_SERVER_REFERENCE = "property.server_reference", "Server Reference", Str, Some("mqtt.prop_string"), false;
    P_REASON_STRING = "property.reason_string", "Reason String", Str, Some("mqtt.prop_string"), false;
    P_RECEIVE_MAXIMUM = "property.receive_maximum", "Receive Maximum", UInt, Some("mqtt.prop_number"), false;
    P_TOPIC_ALIAS_MAXIMUM = "property.topic_alias_maximum", "Topic Alias Maximum", UInt, Some("mqtt.prop_number"), false;
    P_TOPIC_ALIAS = "property.topic_alias", "Topic Alias", UInt, Some("mqtt.property.topic_alias"), false;
    P_MAXIMUM_QOS = "property.maximum_qos", "Maximum QoS", UInt, Some("mqtt.property.max_qos"), false;
    P_RETAIN_AVAILABLE = "property.retain_available", "Retain Available", UInt, Some("mqtt.prop_number"), false;
    P_USER_PROPERTY = "property.user_property", "User Property", Group, None, false;
    P_MAXIMUM_PACKET_SIZE = "property.maximum_packet_size", "Maximum Packet Size", UInt, Some("mqtt.prop_number"), false;
    P_WILDCARD_SUBSCRIPTION_AVAILABLE = "property.wildcard_subscription_available", "Wildcard Subscription Available", UInt, Some("mqtt.prop_number"), false;
    P_SUBSCRIPTION_IDENTIFIER_AVAILABLE = "property.subscription_identifier_available", "Subscription Identifier Available", UInt, Some("mqtt.prop_number"), false;
    P_SHARED_SUBSCRIPTION_AVAILABLE = "property.shared_subscription_available", "Shared Subscription Available", UInt, Some("mqtt.prop_number"), false;
}

/// The registered field with this id.
pub fn by_id(id: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().copied().find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ids_are_unique() {
        let mut ids: Vec<_> = FIELDS.iter().map(|f| f.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a field id is registered twice");
    }
}
