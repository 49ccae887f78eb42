//! Troubleshooting advice attached to packets: what people search for when they meet them.

use crate::codec::{Decoded, Packet, ProtocolVersion};

/// The CONNECT a CONNACK answers, when it is in the same input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    /// The protocol level byte the client sent.
    pub level: u8,
    /// The protocol name it sent was "MQIsdp" (3.1) rather than "MQTT".
    pub name_is_mqisdp: bool,
    /// Its 1-based packet index in the input.
    pub index: usize,
}

fn level_name(level: u8) -> String {
    match ProtocolVersion::from_level(level) {
        Some(v) if level & 0x80 == 0 => format!("MQTT {v}"),
        Some(v) => format!("MQTT {v} with the bridge bit 0x80 set"),
        None => "no MQTT version".to_string(),
    }
}

/// For a CONNACK that refuses the protocol version (3.x return code 1, 5.0 reason code 0x84):
/// which levels exist, what the client asked for, and what to change. Empty otherwise.
pub fn protocol_version_remedy(d: &Decoded<'_>, client: Option<ClientRequest>) -> Vec<String> {
    let Some(Packet::ConnAck(c)) = &d.packet else {
        return Vec::new();
    };
    protocol_version_diagnosis(d.version, c.code.0, client)
}

/// The same diagnosis from the CONNACK's version and code alone (capture analysis keeps no
/// packets). Empty unless the code refuses the protocol version.
pub fn protocol_version_diagnosis(
    version: ProtocolVersion,
    code: u8,
    client: Option<ClientRequest>,
) -> Vec<String> {
    let refused = match version {
        ProtocolVersion::V5 => code == 0x84,
        _ => code == 1,
    };
    if !refused {
        return Vec::new();
    }
    let mut out = vec![
        "The server refused the connection because it does not accept the MQTT protocol \
         version the client asked for (\"Connection refused: Unacceptable protocol version\")."
            .to_string(),
        "Protocol levels (byte 7 of the CONNECT variable header, Wireshark mqtt.ver): \
         3 = MQTT 3.1 (protocol name \"MQIsdp\"), 4 = MQTT 3.1.1 (\"MQTT\"), 5 = MQTT 5.0 (\"MQTT\")."
            .to_string(),
    ];
    match client {
        Some(r) => {
            let mut s = format!(
                "The client asked for level {} ({}){}.",
                r.level,
                level_name(r.level),
                if r.index > 0 {
                    format!(" in packet #{}", r.index)
                } else {
                    String::new()
                }
            );
            let v = ProtocolVersion::from_level(r.level);
            if r.name_is_mqisdp && r.level != 3 {
                s.push_str(" Its protocol name \"MQIsdp\" belongs to level 3 only.");
            }
            match v {
                Some(ProtocolVersion::V5) => s.push_str(
                    " Many brokers (older mosquitto 1.x, some cloud IoT platforms) accept only \
                     3.1.1: try MQTT 3.1.1.",
                ),
                Some(ProtocolVersion::V3_1) => s.push_str(
                    " MQTT 3.1 is obsolete and disabled on many brokers: use 3.1.1 (level 4, \
                     name \"MQTT\").",
                ),
                Some(ProtocolVersion::V3_1_1) => s.push_str(
                    " 3.1.1 is the most widely supported level: check that the broker's \
                     listener speaks MQTT at all (not only MQTT 5, not a WebSocket or TLS port) \
                     and how it is configured.",
                ),
                None => s.push_str(
                    " That level does not exist: the client is sending a broken CONNECT.",
                ),
            }
            out.push(s);
        }
        None => out.push(
            "The CONNECT is not in the input: look at its protocol level byte (after \
             00 04 4d 51 54 54 \"MQTT\" or 00 06 ... \"MQIsdp\") to see what the client asked for."
                .to_string(),
        ),
    }
    out.push(
        "What to change: set the client's protocol version to one the broker supports \
         (paho-mqtt Python: mqtt.Client(protocol=mqtt.MQTTv311), or MQTTv5 / MQTTv31; Eclipse \
         Paho Java: options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); \
         mosquitto_pub/sub: -V mqttv311 or -V mqttv5; hand-made packets: the level byte after \
         the protocol name), or enable that version on the broker (mosquitto 2.x speaks 3.1, \
         3.1.1 and 5.0 on a plain `listener 1883`; check its protocol setting and version)."
            .to_string(),
    );
    out
}
