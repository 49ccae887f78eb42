//! Property-based round trips over generated packets of every type, for levels 3, 4 and 5:
//! `decode(encode(p)) == p`, and the re-encoding of what was decoded is byte-identical.

use mqtt_dissect::codec::property::{PropertyType, PROPERTIES, WILL};
use mqtt_dissect::codec::roundtrip::{self, RoundTrip};
use mqtt_dissect::codec::*;
use proptest::prelude::*;

/// Generated data is owned; packets borrow it, so it is leaked for the test's lifetime.
fn leak_bytes(v: Vec<u8>) -> &'static [u8] {
    Box::leak(v.into_boxed_slice())
}

fn mqtt_str() -> impl Strategy<Value = MqttStr<'static>> {
    prop_oneof![
        4 => "[a-zA-Z0-9/_ -]{0,24}".prop_map(|s| MqttStr(leak_bytes(s.into_bytes()))),
        1 => any::<String>().prop_map(|s| MqttStr(leak_bytes(s.into_bytes()))),
        1 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(|b| MqttStr(leak_bytes(b))),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = &'static [u8]> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(leak_bytes)
}

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn prop_value(ty: PropertyType) -> BoxedStrategy<PropValue<'static>> {
    match ty {
        PropertyType::Byte => any::<u8>().prop_map(PropValue::Byte).boxed(),
        PropertyType::TwoByte => any::<u16>().prop_map(PropValue::TwoByte).boxed(),
        PropertyType::FourByte => any::<u32>().prop_map(PropValue::FourByte).boxed(),
        PropertyType::Vbi => (0u32..=268_435_455).prop_map(PropValue::Vbi).boxed(),
        PropertyType::Str => mqtt_str().prop_map(PropValue::Str).boxed(),
        PropertyType::Binary => bytes(16).prop_map(PropValue::Binary).boxed(),
        PropertyType::StrPair => (mqtt_str(), mqtt_str())
            .prop_map(|(k, v)| PropValue::Pair(k, v))
            .boxed(),
    }
}

/// Properties allowed at `place` (a packet type's bit, or WILL), in any order, repeats allowed.
fn props(v5: bool, place: u32) -> BoxedStrategy<Properties<'static>> {
    if !v5 {
        return Just(Properties::new()).boxed();
    }
    let allowed: Vec<_> = PROPERTIES
        .iter()
        .filter(|d| d.places & place != 0)
        .collect();
    if allowed.is_empty() {
        return Just(Properties::new()).boxed();
    }
    let one = proptest::sample::select(allowed).prop_flat_map(|d| {
        let id = d.id;
        prop_value(d.ty).prop_map(move |value| Property { id, value })
    });
    proptest::collection::vec(one, 0..5)
        .prop_map(Properties::from)
        .boxed()
}

fn at(t: PacketType) -> u32 {
    1 << t.0
}

fn code(v5: bool) -> BoxedStrategy<ReasonCode> {
    if v5 {
        any::<u8>().prop_map(ReasonCode).boxed()
    } else {
        Just(ReasonCode(0)).boxed()
    }
}

fn packet(version: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let v5 = version.is_v5();
    let will = (qos(), any::<bool>(), props(v5, WILL), mqtt_str(), bytes(20)).prop_map(
        |(qos, retain, properties, topic, payload)| Will {
            qos,
            retain,
            properties,
            topic,
            payload,
        },
    );
    let connect = (
        any::<bool>(),
        any::<u16>(),
        props(v5, at(PacketType::CONNECT)),
        mqtt_str(),
        proptest::option::of(will),
        proptest::option::of(mqtt_str()),
        proptest::option::of(bytes(20)),
    )
        .prop_map(
            move |(clean_start, keep_alive, properties, client_id, will, username, password)| {
                Packet::Connect(Box::new(Connect {
                    protocol_name: version.protocol_name().into(),
                    protocol_level: version.level(),
                    clean_start,
                    keep_alive,
                    properties,
                    client_id,
                    will,
                    username,
                    password,
                }))
            },
        );
    let connack = (
        any::<bool>(),
        any::<u8>(),
        props(v5, at(PacketType::CONNACK)),
    )
        .prop_map(|(session_present, c, properties)| {
            Packet::ConnAck(ConnAck {
                session_present,
                code: ReasonCode(c),
                properties,
            })
        });
    let publish = (
        any::<bool>(),
        qos(),
        any::<bool>(),
        mqtt_str(),
        1u16..,
        props(v5, at(PacketType::PUBLISH)),
        bytes(64),
    )
        .prop_map(|(dup, qos, retain, topic, id, properties, payload)| {
            Packet::Publish(Publish {
                dup,
                qos,
                retain,
                topic,
                packet_id: (qos != QoS::AtMostOnce).then_some(id),
                properties,
                payload,
            })
        });
    let pubresp = |t: PacketType| {
        (any::<u16>(), code(v5), props(v5, at(t))).prop_map(
            move |(packet_id, reason_code, properties)| {
                let r = PubResponse {
                    packet_id,
                    reason_code,
                    properties,
                };
                match t {
                    PacketType::PUBACK => Packet::PubAck(r),
                    PacketType::PUBREC => Packet::PubRec(r),
                    PacketType::PUBREL => Packet::PubRel(r),
                    _ => Packet::PubComp(r),
                }
            },
        )
    };
    let subscription = (mqtt_str(), qos(), any::<bool>(), any::<bool>(), 0u8..3).prop_map(
        move |(filter, qos, nl, rap, rh)| Subscription {
            filter,
            qos,
            no_local: v5 && nl,
            retain_as_published: v5 && rap,
            retain_handling: if v5 { rh } else { 0 },
        },
    );
    let subscribe = (
        any::<u16>(),
        props(v5, at(PacketType::SUBSCRIBE)),
        proptest::collection::vec(subscription, 0..4),
    )
        .prop_map(|(packet_id, properties, subscriptions)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties,
                subscriptions,
            })
        });
    let suback = (
        any::<u16>(),
        props(v5, at(PacketType::SUBACK)),
        proptest::collection::vec(any::<u8>().prop_map(ReasonCode), 0..4),
    )
        .prop_map(|(packet_id, properties, codes)| {
            Packet::SubAck(SubAck {
                packet_id,
                properties,
                codes,
            })
        });
    let unsubscribe = (
        any::<u16>(),
        props(v5, at(PacketType::UNSUBSCRIBE)),
        proptest::collection::vec(mqtt_str(), 0..4),
    )
        .prop_map(|(packet_id, properties, filters)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties,
                filters,
            })
        });
    let unsuback = (
        any::<u16>(),
        props(v5, at(PacketType::UNSUBACK)),
        proptest::collection::vec(
            any::<u8>().prop_map(ReasonCode),
            if v5 { 0..4 } else { 0..1 },
        ),
    )
        .prop_map(|(packet_id, properties, codes)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                properties,
                codes,
            })
        });
    let disconnect =
        (code(v5), props(v5, at(PacketType::DISCONNECT))).prop_map(|(reason_code, properties)| {
            Packet::Disconnect(Disconnect {
                reason_code,
                properties,
            })
        });
    let mut all: Vec<BoxedStrategy<Packet<'static>>> = vec![
        connect.boxed(),
        connack.boxed(),
        publish.boxed(),
        pubresp(PacketType::PUBACK).boxed(),
        pubresp(PacketType::PUBREC).boxed(),
        pubresp(PacketType::PUBREL).boxed(),
        pubresp(PacketType::PUBCOMP).boxed(),
        subscribe.boxed(),
        suback.boxed(),
        unsubscribe.boxed(),
        unsuback.boxed(),
        Just(Packet::PingReq).boxed(),
        Just(Packet::PingResp).boxed(),
        disconnect.boxed(),
    ];
    if v5 {
        let auth = (code(true), props(true, at(PacketType::AUTH))).prop_map(
            |(reason_code, properties)| {
                Packet::Auth(Auth {
                    reason_code,
                    properties,
                })
            },
        );
        all.push(auth.boxed());
    }
    proptest::strategy::Union::new(all).boxed()
}

fn round_trip(p: &Packet<'static>, version: ProtocolVersion) -> Result<(), TestCaseError> {
    let bytes = encode(p, version).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
    let bytes = leak_bytes(bytes);
    let d = decode(bytes, &DecodeOptions::new(version));
    prop_assert!(d.complete);
    prop_assert_eq!(d.len, bytes.len());
    prop_assert_eq!(
        d.packet.as_ref(),
        Some(p),
        "diagnostics: {:?}",
        d.diagnostics
    );
    prop_assert_eq!(roundtrip::check(&d), RoundTrip::Identical);
    // Without a tree (and its fast paths) the rest is exactly the same.
    let mut plain = decode(
        bytes,
        &DecodeOptions {
            tree: false,
            ..DecodeOptions::new(version)
        },
    );
    plain.tree = d.tree.clone();
    prop_assert_eq!(plain, d);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn round_trip_v3_1(p in packet(ProtocolVersion::V3_1)) {
        round_trip(&p, ProtocolVersion::V3_1)?;
    }

    #[test]
    fn round_trip_v3_1_1(p in packet(ProtocolVersion::V3_1_1)) {
        round_trip(&p, ProtocolVersion::V3_1_1)?;
    }

    #[test]
    fn round_trip_v5(p in packet(ProtocolVersion::V5)) {
        round_trip(&p, ProtocolVersion::V5)?;
    }
}

/// What cannot be encoded is refused with an error naming the field, never a panic.
#[test]
fn encoder_refuses_what_it_cannot_encode() {
    let long = vec![b'a'; 70_000];
    let p = Packet::Publish(Publish {
        topic: MqttStr(&long),
        ..Default::default()
    });
    assert_eq!(
        encode(&p, ProtocolVersion::V3_1_1),
        Err(EncodeError::TooLong {
            field: "publish.topic",
            len: 70_000,
            max: 65_535
        })
    );
    let p = Packet::Subscribe(Subscribe {
        packet_id: 1,
        properties: Properties::new().with(
            PropertyId::SUBSCRIPTION_IDENTIFIER,
            PropValue::Vbi(268_435_456),
        ),
        subscriptions: vec![],
    });
    assert_eq!(
        encode(&p, ProtocolVersion::V5),
        Err(EncodeError::VbiTooLarge {
            field: "property.subscription_identifier",
            value: 268_435_456
        })
    );
    let p = Packet::PubAck(PubResponse {
        packet_id: 1,
        reason_code: ReasonCode(0x10),
        ..Default::default()
    });
    assert!(matches!(
        encode(&p, ProtocolVersion::V3_1_1),
        Err(EncodeError::NotInVersion { .. })
    ));
    let p = Packet::Publish(Publish {
        qos: QoS::AtLeastOnce,
        topic: "t".into(),
        packet_id: None,
        ..Default::default()
    });
    assert!(matches!(
        encode(&p, ProtocolVersion::V5),
        Err(EncodeError::Invalid {
            field: "packet_id",
            ..
        })
    ));
    let p = Packet::Auth(Auth::default());
    assert!(encode(&p, ProtocolVersion::V3_1_1).is_err());
    let p = Packet::PubAck(PubResponse {
        packet_id: 1,
        properties: Properties::new().with(PropertyId::TOPIC_ALIAS, PropValue::Str("x".into())),
        ..Default::default()
    });
    assert!(matches!(
        encode(&p, ProtocolVersion::V5),
        Err(EncodeError::Invalid { .. })
    ));
}

/// A payload that makes the packet exceed the largest Remaining Length is refused.
#[test]
fn encoder_refuses_oversized_packet() {
    let big = vec![0u8; 268_435_456];
    let p = Packet::Publish(Publish {
        topic: "t".into(),
        payload: &big,
        ..Default::default()
    });
    assert!(matches!(
        encode(&p, ProtocolVersion::V3_1_1),
        Err(EncodeError::VbiTooLarge {
            field: "header.remaining_length",
            ..
        })
    ));
}

/// Non-canonical input: the round-trip report names the differing bytes and why.
#[test]
fn non_minimal_vbi_round_trip_report() {
    // PINGREQ with Remaining Length 0 encoded in two bytes.
    let b: &'static [u8] = &[0xc0, 0x80, 0x00];
    let d = decode(b, &DecodeOptions::new(ProtocolVersion::V3_1_1));
    match roundtrip::check(&d) {
        RoundTrip::Differs {
            encoded,
            first,
            original_end,
            encoded_end,
            reasons,
        } => {
            assert_eq!(encoded, vec![0xc0, 0x00]);
            assert_eq!((first, original_end, encoded_end), (1, 2, 1));
            assert!(
                reasons[0].starts_with("vbi-non-minimal at offset 1"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A v5 PUBACK spelling out Success and an empty property block.
    let b: &'static [u8] = &[0x40, 0x04, 0x00, 0x01, 0x00, 0x00];
    let d = decode(b, &DecodeOptions::new(ProtocolVersion::V5));
    assert!(d.diagnostics.is_empty());
    match roundtrip::check(&d) {
        RoundTrip::Differs {
            encoded, reasons, ..
        } => {
            assert_eq!(encoded, vec![0x40, 0x02, 0x00, 0x01]);
            assert!(reasons[0].contains("shortest form"), "{reasons:?}");
        }
        other => panic!("{other:?}"),
    }
}
