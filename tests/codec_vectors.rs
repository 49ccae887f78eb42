//! Real vectors decoded to whole expected values: the hex examples of the seed documents
//! (../shared/seeds/003: what people type into AT-command modems), the MQTT 5 packets of
//! ../shared/captures/verimqtt (each with Wireshark's decode beside it), and the seed 002
//! CONNECT/CONNACK. Every one must also re-encode to exactly its bytes.

use mqtt_dissect::codec::roundtrip::{self, RoundTrip};
use mqtt_dissect::codec::*;

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    ::hex::decode(clean).expect("test vector hex")
}

/// Decodes, asserts a clean decode of the whole input, a canonical round trip, and returns
/// the typed packet (owned through a leak: test vectors live for the whole test run).
fn clean(bytes: Vec<u8>, v: ProtocolVersion) -> (Packet<'static>, Decoded<'static>) {
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let d = decode(bytes, &DecodeOptions::new(v));
    assert!(
        d.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        d.diagnostics
    );
    assert!(d.complete);
    assert_eq!(d.len, bytes.len(), "the vector is one whole packet");
    assert_eq!(roundtrip::check(&d), RoundTrip::Identical);
    (d.packet.clone().expect("typed packet"), d)
}

const SEED_TOPIC: &str = "/sys/a1yyeqgpsKm/mqtt_fx/thing/service/property/set";

#[test]
fn seed_003_connect_with_long_client_id_user_and_password() {
    let b = hex(
        "10 b2 01 00 04 4d 51 54 54 04 c2 00 3c 00 4f 61 31 79 79 65 71 67 70 73 4B 6D 2E 6D 71 \
         74 74 5F 66 78 7C 73 65 63 75 72 65 6D 6F 64 65 3D 32 2C 73 69 67 6E 6D 65 74 68 6F 64 \
         3D 68 6D 61 63 73 68 61 32 35 36 2C 74 69 6D 65 73 74 61 6D 70 3D 31 36 39 31 36 34 38 \
         35 39 34 30 34 31 7C 00 13 6D 71 74 74 5F 66 78 26 61 31 79 79 65 71 67 70 73 4B 6D 00 \
         40 63 38 36 63 39 35 65 66 35 36 63 63 65 61 61 61 36 61 38 33 33 34 65 66 30 39 30 64 \
         36 64 35 63 35 66 61 30 37 63 61 36 65 61 63 32 35 62 30 38 37 32 38 30 36 31 38 38 61 \
         64 62 61 64 34 32 30",
    );
    let (p, d) = clean(b, ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::Connect(Box::new(Connect {
            protocol_name: "MQTT".into(),
            protocol_level: 4,
            clean_start: true,
            keep_alive: 60,
            properties: Properties::new(),
            client_id:
                "a1yyeqgpsKm.mqtt_fx|securemode=2,signmethod=hmacsha256,timestamp=1691648594041|"
                    .into(),
            will: None,
            username: Some("mqtt_fx&a1yyeqgpsKm".into()),
            password: Some(b"c86c95ef56cceaaa6a8334ef090d6d5c5fa07ca6eac25b0872806188adbad420"),
        }))
    );
    assert_eq!(d.remaining_length, Some(178));
    assert_eq!(d.version, ProtocolVersion::V3_1_1);
    // Field offsets as a person counts them in the hex: client id length at byte 13.
    let id = tree::find(&d.tree, "connect.client_id").unwrap();
    assert_eq!((id.offset, id.len), (13, 2 + 79));
    let kal = tree::find(&d.tree, "connect.keep_alive").unwrap();
    assert_eq!(
        (kal.offset, kal.len, kal.value),
        (11, 2, tree::Value::UInt(60))
    );
    let user_flag = tree::find(&d.tree, "connect.flags.username").unwrap();
    assert_eq!((user_flag.offset, user_flag.mask), (10, Some(0x80)));
}

#[test]
fn seed_003_connack_ping_disconnect() {
    let (p, d) = clean(hex("20 02 00 00"), ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::ConnAck(ConnAck {
            session_present: false,
            code: ReasonCode(0),
            properties: Properties::new()
        })
    );
    let rc = tree::find(&d.tree, "connack.return_code").unwrap();
    assert_eq!(rc.meaning.as_ref().unwrap().name, "Connection Accepted");
    assert_eq!(
        clean(hex("C0 00"), ProtocolVersion::V3_1_1).0,
        Packet::PingReq
    );
    assert_eq!(
        clean(hex("D0 00"), ProtocolVersion::V3_1_1).0,
        Packet::PingResp
    );
    assert_eq!(
        clean(hex("E0 00"), ProtocolVersion::V3_1_1).0,
        Packet::Disconnect(Disconnect::default())
    );
}

#[test]
fn seed_003_subscribe_suback_unsubscribe_unsuback() {
    let mut sub = hex("82 38 00 0A 00 33");
    sub.extend_from_slice(SEED_TOPIC.as_bytes());
    sub.push(0);
    let (p, _) = clean(sub, ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::Subscribe(Subscribe {
            packet_id: 10,
            properties: Properties::new(),
            subscriptions: vec![Subscription {
                filter: SEED_TOPIC.into(),
                qos: QoS::AtMostOnce,
                ..Default::default()
            }],
        })
    );
    let (p, d) = clean(hex("90 03 00 0A 01"), ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::SubAck(SubAck {
            packet_id: 10,
            properties: Properties::new(),
            codes: vec![ReasonCode(1)]
        })
    );
    let code = tree::find(&d.tree, "suback.return_code").unwrap();
    assert_eq!(
        code.meaning.as_ref().unwrap().name,
        "Success - Maximum QoS 1"
    );

    let mut unsub = hex("A2 37 00 0A 00 33");
    unsub.extend_from_slice(SEED_TOPIC.as_bytes());
    let (p, _) = clean(unsub, ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::Unsubscribe(Unsubscribe {
            packet_id: 10,
            properties: Properties::new(),
            filters: vec![SEED_TOPIC.into()]
        })
    );
    let (p, _) = clean(hex("B0 02 00 0A"), ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::UnsubAck(UnsubAck {
            packet_id: 10,
            properties: Properties::new(),
            codes: vec![]
        })
    );
}

#[test]
fn seed_003_publish_with_json_payload_and_puback() {
    let b = hex(
        "30 9D 01 00 33 2F 73 79 73 2F 61 31 79 79 65 71 67 70 73 4B 6D 2F 6D 71 74 74 5F 66 78 \
         2F 74 68 69 6E 67 2F 73 65 72 76 69 63 65 2F 70 72 6F 70 65 72 74 79 2F 73 65 74 7B 22 \
         6D 65 74 68 6F 64 22 3A 22 74 68 69 6E 67 2E 73 65 72 76 69 63 65 2E 70 72 6F 70 65 72 \
         74 79 2E 73 65 74 22 2C 22 69 64 22 3A 22 33 34 34 34 36 31 37 31 22 2C 22 70 61 72 61 \
         6D 73 22 3A 7B 22 74 65 6D 70 22 3A 38 38 2C 22 68 75 6D 69 22 3A 37 37 7D 2C 22 76 65 \
         72 73 69 6F 6E 22 3A 22 31 2E 30 2E 30 22 7D",
    );
    let (p, d) = clean(b, ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: SEED_TOPIC.into(),
            packet_id: None,
            properties: Properties::new(),
            payload: br#"{"method":"thing.service.property.set","id":"34446171","params":{"temp":88,"humi":77},"version":"1.0.0"}"#,
        })
    );
    assert_eq!(d.remaining_length, Some(157));
    let (p, _) = clean(hex("40 02 7B 22"), ProtocolVersion::V3_1_1);
    assert_eq!(
        p,
        Packet::PubAck(PubResponse {
            packet_id: 0x7b22,
            ..Default::default()
        })
    );
}

/// Every hex block of seed 003 decodes cleanly as 3.1.1 (read from ../shared when present).
#[test]
fn seed_003_every_hex_block_decodes_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not present", dir.display());
        return;
    };
    let mut seen = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with("003_") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        // In the code block, a line of hex pairs after a "# NAME" heading is one packet.
        let mut in_code = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            let t = line.trim();
            let is_hex = t.len() >= 5
                && t.split_whitespace()
                    .all(|w| w.len() == 2 && w.chars().all(|c| c.is_ascii_hexdigit()));
            if in_code && is_hex {
                clean(hex(t), ProtocolVersion::V3_1_1);
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 11, "seed 003 has 11 hex packets in its code block");
}

/// Seed 002: MQTTX CLI connects with MQTT 5.0, Clean Start 1, Session Expiry Interval 300,
/// Keep Alive 60, user admin / password public; broker.emqx.io answers Success with its
/// capabilities. The bytes are built from that description.
#[test]
fn seed_002_v5_connect_and_connack() {
    let b = hex("10 2f 00 04 4d 51 54 54 05 c2 00 3c 05 11 00 00 01 2c \
         00 0e 6d 71 74 74 78 5f 37 64 38 66 34 61 31 62 \
         00 05 61 64 6d 69 6e 00 06 70 75 62 6c 69 63");
    let (p, _) = clean(b, ProtocolVersion::V3_1_1); // the CONNECT's own level decides
    assert_eq!(
        p,
        Packet::Connect(Box::new(Connect {
            protocol_name: "MQTT".into(),
            protocol_level: 5,
            clean_start: true,
            keep_alive: 60,
            properties: Properties::new().with(
                PropertyId::SESSION_EXPIRY_INTERVAL,
                PropValue::FourByte(300)
            ),
            client_id: "mqttx_7d8f4a1b".into(),
            will: None,
            username: Some("admin".into()),
            password: Some(b"public"),
        }))
    );
    let b = hex("20 13 00 00 10 27 00 10 00 00 25 01 2a 01 29 01 22 ff ff 28 01");
    let (p, d) = clean(b, ProtocolVersion::V5);
    assert_eq!(
        p,
        Packet::ConnAck(ConnAck {
            session_present: false,
            code: ReasonCode(0),
            properties: Properties::new()
                .with(
                    PropertyId::MAXIMUM_PACKET_SIZE,
                    PropValue::FourByte(1_048_576)
                )
                .with(PropertyId::RETAIN_AVAILABLE, PropValue::Byte(1))
                .with(
                    PropertyId::SHARED_SUBSCRIPTION_AVAILABLE,
                    PropValue::Byte(1)
                )
                .with(
                    PropertyId::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
                    PropValue::Byte(1)
                )
                .with(PropertyId::TOPIC_ALIAS_MAXIMUM, PropValue::TwoByte(65535))
                .with(
                    PropertyId::WILDCARD_SUBSCRIPTION_AVAILABLE,
                    PropValue::Byte(1)
                ),
        })
    );
    let rc = tree::find(&d.tree, "connack.reason_code").unwrap();
    assert_eq!(rc.meaning.as_ref().unwrap().name, "Success");
}

fn verimqtt(name: &str) -> Option<Vec<u8>> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/verimqtt/packets")
        .join(format!("{name}.bin"));
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!("skipped: {} not present", p.display());
            None
        }
    }
}

fn topic_publish<'a>(props: Properties<'a>, packet_id: Option<u16>) -> Packet<'a> {
    Packet::Publish(Publish {
        qos: if packet_id.is_some() {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        },
        topic: "topic".into(),
        packet_id,
        properties: props,
        payload: b"message",
        ..Default::default()
    })
}

/// The MQTT 5 packets of verimqtt, with the values Wireshark shows in the .txt beside each.
#[test]
fn verimqtt_v5_packets() {
    let v5 = ProtocolVersion::V5;
    let cases: Vec<(&str, Packet<'static>)> = vec![
        ("normal_publish", topic_publish(Properties::new(), None)),
        (
            "publish_packet_identifier",
            topic_publish(Properties::new(), Some(1)),
        ),
        (
            "property_binary_data",
            topic_publish(
                Properties::new().with(
                    PropertyId::CORRELATION_DATA,
                    PropValue::Binary(b"binary_data"),
                ),
                None,
            ),
        ),
        (
            "property_four_byte",
            topic_publish(
                Properties::new().with(
                    PropertyId::MESSAGE_EXPIRY_INTERVAL,
                    PropValue::FourByte(4_294_967_295),
                ),
                None,
            ),
        ),
        (
            "property_one_byte",
            topic_publish(
                Properties::new().with(PropertyId::PAYLOAD_FORMAT_INDICATOR, PropValue::Byte(1)),
                None,
            ),
        ),
        (
            "property_two_byte",
            topic_publish(
                Properties::new().with(PropertyId::TOPIC_ALIAS, PropValue::TwoByte(65535)),
                None,
            ),
        ),
        (
            "property_utf8_pair_string",
            topic_publish(
                Properties::new().with(
                    PropertyId::USER_PROPERTY,
                    PropValue::Pair("utf8_key".into(), "utf8_value".into()),
                ),
                None,
            ),
        ),
        (
            "property_utf8_string",
            topic_publish(
                Properties::new().with(PropertyId::RESPONSE_TOPIC, PropValue::Str("utf8".into())),
                None,
            ),
        ),
        (
            "property_variable_byte",
            topic_publish(
                Properties::new().with(
                    PropertyId::SUBSCRIPTION_IDENTIFIER,
                    PropValue::Vbi(268_435_455),
                ),
                None,
            ),
        ),
        (
            "normal_disconnect",
            Packet::Disconnect(Disconnect::default()),
        ),
        (
            "disconnect_reason",
            Packet::Disconnect(Disconnect {
                reason_code: ReasonCode(0),
                properties: Properties::new().with(
                    PropertyId::USER_PROPERTY,
                    PropValue::Pair("disconnect".into(), "user_property".into()),
                ),
            }),
        ),
        (
            "normal_connect",
            Packet::Connect(Box::new(Connect {
                protocol_name: "MQTT".into(),
                protocol_level: 5,
                clean_start: true,
                keep_alive: 60,
                properties: Properties::new()
                    .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20)),
                ..Default::default()
            })),
        ),
        (
            "connect_user",
            Packet::Connect(Box::new(Connect {
                protocol_name: "MQTT".into(),
                protocol_level: 5,
                clean_start: true,
                keep_alive: 60,
                properties: Properties::new()
                    .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20)),
                username: Some("user".into()),
                ..Default::default()
            })),
        ),
        (
            "connect_password",
            Packet::Connect(Box::new(Connect {
                protocol_name: "MQTT".into(),
                protocol_level: 5,
                clean_start: true,
                keep_alive: 60,
                properties: Properties::new()
                    .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20)),
                password: Some(b"password"),
                ..Default::default()
            })),
        ),
        (
            "connect_will",
            Packet::Connect(Box::new(Connect {
                protocol_name: "MQTT".into(),
                protocol_level: 5,
                clean_start: true,
                keep_alive: 60,
                properties: Properties::new()
                    .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20)),
                will: Some(Will {
                    properties: Properties::new().with(
                        PropertyId::CONTENT_TYPE,
                        PropValue::Str("will_conetent_type_value".into()),
                    ),
                    topic: "will_topic".into(),
                    payload: b"will_payload",
                    ..Default::default()
                }),
                ..Default::default()
            })),
        ),
        (
            "connect_all",
            Packet::Connect(Box::new(Connect {
                protocol_name: "MQTT".into(),
                protocol_level: 5,
                clean_start: true,
                keep_alive: 60,
                properties: Properties::new()
                    .with(
                        PropertyId::USER_PROPERTY,
                        PropValue::Pair("connect".into(), "user_property".into()),
                    )
                    .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20)),
                client_id: "connect_id".into(),
                will: Some(Will {
                    properties: Properties::new().with(
                        PropertyId::CONTENT_TYPE,
                        PropValue::Str("will_content_type".into()),
                    ),
                    topic: "will_topic".into(),
                    payload: b"will_payload",
                    ..Default::default()
                }),
                username: Some("user".into()),
                password: Some(b"password"),
            })),
        ),
    ];
    for (name, expected) in cases {
        let Some(b) = verimqtt(name) else { return };
        let (p, _) = clean(b, v5);
        assert_eq!(p, expected, "{name}");
    }
}

/// BOM_packet: a topic that starts with U+FEFF. The BOM is kept, not stripped
/// [MQTT-1.5.4-3], and said so with a note.
#[test]
fn verimqtt_bom_is_kept_and_noted() {
    let Some(b) = verimqtt("BOM_packet") else {
        return;
    };
    let b: &'static [u8] = Box::leak(b.into_boxed_slice());
    let d = decode(b, &DecodeOptions::new(ProtocolVersion::V5));
    let Some(Packet::Publish(p)) = &d.packet else {
        panic!("{d:?}")
    };
    assert_eq!(p.topic.as_str(), Some("\u{feff}BOM\u{feff}BOM"));
    assert_eq!(d.diagnostics.len(), 1);
    let n = &d.diagnostics[0];
    assert_eq!(
        (n.check.id, n.offset, n.len, n.spec),
        ("utf8-bom", 4, 3, "MQTT-1.5.4-3")
    );
    assert_eq!(roundtrip::check(&d), RoundTrip::Identical);
}

/// Short forms of v5 acknowledgements decode to their implied values.
#[test]
fn v5_short_forms_imply_success() {
    let v5 = ProtocolVersion::V5;
    for t in [0x40u8, 0x50, 0x62, 0x70] {
        let (p, d) = clean(vec![t, 2, 0, 7], v5);
        assert_eq!(p.packet_id(), Some(7));
        let rc = d
            .tree
            .iter()
            .find(|n| n.field.id.ends_with(".reason_code"))
            .unwrap();
        assert_eq!((rc.len, rc.value), (0, tree::Value::UInt(0)));
    }
    // Length 3: reason code, no property length.
    let (p, _) = clean(hex("40 03 00 07 10"), v5);
    assert_eq!(
        p,
        Packet::PubAck(PubResponse {
            packet_id: 7,
            reason_code: ReasonCode(0x10),
            properties: Properties::new()
        })
    );
    let (p, _) = clean(hex("e0 01 8e"), v5);
    assert_eq!(
        p,
        Packet::Disconnect(Disconnect {
            reason_code: ReasonCode(0x8e),
            properties: Properties::new()
        })
    );
    assert_eq!(clean(hex("f0 00"), v5).0, Packet::Auth(Auth::default()));
    assert_eq!(
        clean(hex("e0 00"), v5).0,
        Packet::Disconnect(Disconnect::default())
    );
}

/// MQTT 3.1: protocol name MQIsdp, level 3 (as the suricata-verify captures carry).
#[test]
fn mqtt_31_connect() {
    let (p, d) = clean(
        hex("10 16 00 06 4d 51 49 73 64 70 03 02 00 3c 00 08 63 6c 69 65 6e 74 2d 31"),
        ProtocolVersion::V5,
    );
    assert_eq!(d.version, ProtocolVersion::V3_1);
    assert_eq!(
        p,
        Packet::Connect(Box::new(Connect {
            protocol_name: "MQIsdp".into(),
            protocol_level: 3,
            clean_start: true,
            keep_alive: 60,
            client_id: "client-1".into(),
            ..Default::default()
        }))
    );
}

/// A stream of packets back to back, a CONNECT switching the version, and a partial tail.
#[test]
fn stream_of_packets_with_partial_tail() {
    use mqtt_dissect::codec::stream::{decode_stream, Needed, StreamItem};
    let mut b = hex("10 10 00 04 4d 51 54 54 05 02 00 3c 03 21 00 14 00 00"); // v5 CONNECT
    b.extend(hex("e0 01 04")); // v5 DISCONNECT with Will
    b.extend(hex("30 0a 00 01 61")); // partial PUBLISH: 5 of 12 bytes
    let items: Vec<_> = decode_stream(&b, DecodeOptions::new(ProtocolVersion::V3_1_1)).collect();
    assert_eq!(items.len(), 3);
    match &items[1] {
        StreamItem::Packet { offset, decoded } => {
            assert_eq!(*offset, 18);
            assert_eq!(decoded.version, ProtocolVersion::V5);
            assert!(decoded.diagnostics.is_empty(), "{:?}", decoded.diagnostics);
        }
        other => panic!("{other:?}"),
    }
    match &items[2] {
        StreamItem::Incomplete {
            offset,
            have,
            needed,
        } => {
            assert_eq!((*offset, *have, *needed), (21, 5, Needed::Exactly(7)));
        }
        other => panic!("{other:?}"),
    }
}
