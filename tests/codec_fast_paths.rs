//! The no-tree fast paths give what the general decoder gives. CONNECT: on clean CONNECTs
//! of 3.1, 3.1.1 and 5.0 with every field (which it takes), on every single-byte mutation
//! of them (which it mostly leaves to the general path), on insertions, deletions,
//! truncations and trailing bytes, and on generated and randomly mutated CONNECTs.
//! PUBLISH: every single-byte mutation of clean ones with every property.

use mqtt_dissect::codec::property::{PropertyType, PROPERTIES, WILL};
use mqtt_dissect::codec::stream::{decode_stream, StreamItem};
use mqtt_dissect::codec::*;
use proptest::prelude::*;

fn will_props<'a>(c: &Connect<'a>) -> Option<Properties<'a>> {
    c.will.as_ref().map(|w| w.properties.clone())
}

/// Tree on or off, the same result (the tree aside); and the property blocks answer every
/// lookup the same way (their equality compares the properties, not what `get` uses).
fn same_without_tree(b: &[u8]) {
    for (version, direction) in [
        (ProtocolVersion::V3_1_1, None),
        (ProtocolVersion::V5, None),
        (ProtocolVersion::V5, Some(Direction::ClientToServer)),
    ] {
        let opts = DecodeOptions {
            version,
            direction,
            tree: true,
        };
        let d = decode(b, &opts);
        let mut plain = decode(
            b,
            &DecodeOptions {
                tree: false,
                ..opts
            },
        );
        assert!(plain.tree.is_empty());
        if let (Some(Packet::Connect(x)), Some(Packet::Connect(y))) = (&plain.packet, &d.packet) {
            for (p, q) in [
                (Some(x.properties.clone()), Some(y.properties.clone())),
                (will_props(x), will_props(y)),
            ] {
                if let (Some(p), Some(q)) = (p, q) {
                    for id in 0..64 {
                        assert_eq!(p.get(PropertyId(id)), q.get(PropertyId(id)), "{b:02x?}");
                    }
                }
            }
        }
        plain.tree = d.tree.clone();
        assert_eq!(plain, d, "{b:02x?}");
    }
}

fn connect<'a>(version: ProtocolVersion) -> Connect<'a> {
    Connect {
        protocol_name: version.protocol_name().into(),
        protocol_level: version.level(),
        clean_start: true,
        keep_alive: 60,
        ..Connect::default()
    }
}

fn a_will<'a>(qos: QoS, retain: bool, topic: &'a str, payload: &'a [u8]) -> Will<'a> {
    Will {
        qos,
        retain,
        properties: Properties::new(),
        topic: topic.into(),
        payload,
    }
}

fn hex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// Clean CONNECTs: no diagnostic at all, so the fast path takes every one of them.
fn seeds() -> Vec<Vec<u8>> {
    use ProtocolVersion::*;
    let mut out = vec![
        // The benchmark's 3.1.1 and 5.0 CONNECTs with every field.
        hex("103900044D51545404EE003C00086465766963652D31000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574"),
        hex("105000044D51545405EE003C08110000007821000A00086465766963652D310D03000A746578742F706C61696E000B6465762F312F737461746500076F66666C696E650005616C6963650006736563726574"),
    ];
    let mut add = |c: Connect<'_>, v: ProtocolVersion| {
        out.push(encode(&Packet::Connect(Box::new(c)), v).unwrap());
    };

    // 3.1: every field; the smallest; a client id of 23 characters, some not ASCII.
    add(
        Connect {
            client_id: "client-31".into(),
            will: Some(a_will(QoS::AtLeastOnce, true, "will/31", b"bye")),
            username: Some("user".into()),
            password: Some(b"pw"),
            ..connect(V3_1)
        },
        V3_1,
    );
    add(
        Connect {
            client_id: "c".into(),
            clean_start: false,
            ..connect(V3_1)
        },
        V3_1,
    );
    add(
        Connect {
            client_id: "ünïcödé-client-ïd-23chr".into(),
            will: Some(a_will(
                QoS::ExactlyOnce,
                false,
                "wïll/tøpic",
                "déjà".as_bytes(),
            )),
            username: Some("Jürgen".into()),
            ..connect(V3_1)
        },
        V3_1,
    );

    // 3.1.1: an empty client id with Clean Session; strings of 8 to 16 bytes and longer;
    // a payload and password that are not text.
    add(
        Connect {
            client_id: "".into(),
            username: Some("a-user-name-of-16".into()),
            ..connect(V3_1_1)
        },
        V3_1_1,
    );
    add(
        Connect {
            client_id: "sixteen-bytes-id".into(),
            keep_alive: 0,
            will: Some(a_will(
                QoS::AtMostOnce,
                true,
                "a/rather/long/will/topic/with/levels",
                &[0xff, 0x00, 0x80, 0x7f],
            )),
            username: Some("Ünïcødé user name with spaces".into()),
            password: Some(&[0, 1, 2, 0xfe, 0xff]),
            clean_start: false,
            ..connect(V3_1_1)
        },
        V3_1_1,
    );

    // 5.0: every CONNECT and Will property, with user properties repeated.
    let props = Properties::new()
        .with(
            PropertyId::SESSION_EXPIRY_INTERVAL,
            PropValue::FourByte(3600),
        )
        .with(PropertyId::RECEIVE_MAXIMUM, PropValue::TwoByte(20))
        .with(PropertyId::MAXIMUM_PACKET_SIZE, PropValue::FourByte(65536))
        .with(PropertyId::TOPIC_ALIAS_MAXIMUM, PropValue::TwoByte(0))
        .with(PropertyId::REQUEST_RESPONSE_INFORMATION, PropValue::Byte(1))
        .with(PropertyId::REQUEST_PROBLEM_INFORMATION, PropValue::Byte(0))
        .with(
            PropertyId::USER_PROPERTY,
            PropValue::Pair("k".into(), "v".into()),
        )
        .with(
            PropertyId::USER_PROPERTY,
            PropValue::Pair("clé".into(), "valeur-ü".into()),
        )
        .with(
            PropertyId::AUTHENTICATION_METHOD,
            PropValue::Str("SCRAM-SHA-1".into()),
        )
        .with(
            PropertyId::AUTHENTICATION_DATA,
            PropValue::Binary(&[1, 2, 3]),
        );
    let will_props = Properties::new()
        .with(PropertyId::PAYLOAD_FORMAT_INDICATOR, PropValue::Byte(1))
        .with(PropertyId::MESSAGE_EXPIRY_INTERVAL, PropValue::FourByte(10))
        .with(
            PropertyId::CONTENT_TYPE,
            PropValue::Str("application/json".into()),
        )
        .with(
            PropertyId::RESPONSE_TOPIC,
            PropValue::Str("reply/to/me".into()),
        )
        .with(PropertyId::CORRELATION_DATA, PropValue::Binary(b"\x00\xff"))
        .with(PropertyId::WILL_DELAY_INTERVAL, PropValue::FourByte(5))
        .with(
            PropertyId::USER_PROPERTY,
            PropValue::Pair("a".into(), "".into()),
        );
    add(
        Connect {
            properties: props.clone(),
            client_id: "v5-client".into(),
            will: Some(Will {
                properties: will_props.clone(),
                ..a_will(QoS::AtLeastOnce, false, "dev/état", b"{\"online\":false}")
            }),
            username: Some("alice".into()),
            password: Some(b"secret"),
            ..connect(V5)
        },
        V5,
    );
    // A payload that says UTF-8 and is (not ASCII): the fast path leaves the check to the
    // general one. Without the indicator, any bytes.
    add(
        Connect {
            client_id: "x".into(),
            will: Some(Will {
                properties: will_props,
                ..a_will(QoS::AtMostOnce, false, "t", "hors-ligne é".as_bytes())
            }),
            ..connect(V5)
        },
        V5,
    );
    add(
        Connect {
            client_id: "x".into(),
            will: Some(a_will(QoS::AtMostOnce, false, "t", &[0xc3, 0x28, 0xff])),
            ..connect(V5)
        },
        V5,
    );
    // A password without a user name (5.0 allows it), an empty client id without Clean
    // Start, no properties.
    add(
        Connect {
            client_id: "".into(),
            clean_start: false,
            password: Some(b"token"),
            ..connect(V5)
        },
        V5,
    );
    // Two-byte Remaining Length and Property Length.
    let long = "x".repeat(150);
    add(
        Connect {
            properties: Properties::new().with(
                PropertyId::USER_PROPERTY,
                PropValue::Pair("long".into(), long.as_str().into()),
            ),
            client_id: "long-props".into(),
            will: Some(Will {
                properties: Properties::new().with(
                    PropertyId::CONTENT_TYPE,
                    PropValue::Str(long.as_str().into()),
                ),
                ..a_will(QoS::AtMostOnce, false, "t", b"p")
            }),
            ..connect(V5)
        },
        V5,
    );
    out
}

#[test]
fn seeds_are_clean_and_decode_the_same_without_a_tree() {
    for s in seeds() {
        let d = decode(&s, &DecodeOptions::new(ProtocolVersion::V3_1_1));
        assert!(d.diagnostics.is_empty(), "{s:02x?}: {:?}", d.diagnostics);
        assert!(matches!(d.packet, Some(Packet::Connect(_))));
        same_without_tree(&s);
    }
}

/// Every byte of every seed set to every value: each finding of the general decoder, and
/// every field the fast path reads, is reached.
#[test]
fn every_single_byte_mutation_decodes_the_same_without_a_tree() {
    for s in seeds() {
        for i in 0..s.len() {
            for x in 0..=255u8 {
                if x == s[i] {
                    continue;
                }
                let mut m = s.clone();
                m[i] = x;
                same_without_tree(&m);
            }
        }
    }
}

/// A byte removed or inserted anywhere (lengths disagree), every truncation, and bytes
/// after the packet.
#[test]
fn shifted_truncated_and_extended_connects_decode_the_same_without_a_tree() {
    for s in seeds() {
        for i in 0..s.len() {
            let mut m = s.clone();
            m.remove(i);
            same_without_tree(&m);
            for x in [0, 1, 0x26, 0x7f, 0x80, 0xff] {
                let mut m = s.clone();
                m.insert(i, x);
                same_without_tree(&m);
            }
        }
        for n in 0..s.len() {
            same_without_tree(&s[..n]);
        }
        let mut m = s.clone();
        m.extend_from_slice(&[0xe0, 0x00, 0x10]);
        same_without_tree(&m);
    }
}

/// A CONNECT in a stream sets the version of the packets after it, fast path or not.
#[test]
fn stream_takes_the_version_of_a_fast_connect() {
    for s in seeds() {
        let Some(Packet::Connect(c)) = decode(&s, &DecodeOptions::default()).packet else {
            panic!("CONNECT")
        };
        let level = c.protocol_level;
        let mut b = s.clone();
        b.extend_from_slice(&[0xc0, 0x00]);
        for tree in [false, true] {
            let opts = DecodeOptions {
                tree,
                ..DecodeOptions::new(ProtocolVersion::V3_1_1)
            };
            let mut it = decode_stream(&b, opts);
            assert!(matches!(it.next(), Some(StreamItem::Packet { .. })));
            assert_eq!(it.options().version.level(), level);
            let Some(StreamItem::Packet { decoded, .. }) = it.next() else {
                panic!("PINGREQ")
            };
            assert_eq!(decoded.version.level(), level);
        }
    }
}

/// Strings with each §1.5.4 finding (and wildcards, and none) in every string field of a
/// CONNECT: client id, Will Topic, user name, and string properties of both blocks.
#[test]
fn every_string_finding_in_every_string_field_decodes_the_same_without_a_tree() {
    let specials: &[&[u8]] = &[
        b"",
        b"plain",
        b"a+b",
        b"a/#",
        "\u{feff}bom".as_bytes(),
        "x\u{feff}".as_bytes(),
        b"nul\0",
        b"del\x7f",
        b"tab\t",
        "c1\u{85}".as_bytes(),
        "nonchar\u{ffff}".as_bytes(),
        "nonchar\u{fdd0}".as_bytes(),
        "nonchar\u{1fffe}".as_bytes(),
        "fine-ünïcødé-€-😀".as_bytes(),
        b"\xed\xa0\x80",
        b"\xc0\x80",
        b"cut\xe2\x82",
        b"\xff",
        b"long-printable-string-over-16",
        b"long-string-with-nul-at-end-\0",
    ];
    for &x in specials {
        let x = MqttStr(x);
        for v in [
            ProtocolVersion::V3_1,
            ProtocolVersion::V3_1_1,
            ProtocolVersion::V5,
        ] {
            let base = Connect {
                client_id: "id".into(),
                will: Some(a_will(QoS::AtMostOnce, false, "t", b"p")),
                username: Some("u".into()),
                ..connect(v)
            };
            let mut variants = vec![
                Connect {
                    client_id: x,
                    ..base.clone()
                },
                Connect {
                    will: Some(Will {
                        topic: x,
                        ..a_will(QoS::AtMostOnce, false, "t", b"p")
                    }),
                    ..base.clone()
                },
                Connect {
                    username: Some(x),
                    ..base.clone()
                },
            ];
            if v.is_v5() {
                for (id, will) in [
                    (PropertyId::AUTHENTICATION_METHOD, false),
                    (PropertyId::CONTENT_TYPE, true),
                    (PropertyId::RESPONSE_TOPIC, true),
                ] {
                    let p = Properties::new().with(id, PropValue::Str(x));
                    variants.push(if will {
                        Connect {
                            will: Some(Will {
                                properties: p,
                                ..a_will(QoS::AtMostOnce, false, "t", b"p")
                            }),
                            ..base.clone()
                        }
                    } else {
                        Connect {
                            properties: p,
                            ..base.clone()
                        }
                    });
                }
                for pair in [
                    PropValue::Pair(x, "v".into()),
                    PropValue::Pair("k".into(), x),
                ] {
                    let p = Properties::new().with(PropertyId::USER_PROPERTY, pair);
                    variants.push(Connect {
                        properties: p.clone(),
                        ..base.clone()
                    });
                    variants.push(Connect {
                        will: Some(Will {
                            properties: p,
                            ..a_will(QoS::AtMostOnce, false, "t", b"p")
                        }),
                        ..base.clone()
                    });
                }
            }
            for c in variants {
                let b = encode(&Packet::Connect(Box::new(c)), v).unwrap();
                same_without_tree(&b);
            }
        }
    }
}

/// Clean PUBLISH packets of 3.1.1 and 5.0, the latter with every PUBLISH property.
fn publish_seeds() -> Vec<(Vec<u8>, ProtocolVersion)> {
    let mut out = vec![
        // The benchmark's.
        (hex("300A0003612F6268656C6C6F"), ProtocolVersion::V3_1_1),
        (
            hex("32260003612F620007170101020000003C230003030003742F6A2600016B00017668656C6C6F2121"),
            ProtocolVersion::V5,
        ),
    ];
    let publish = |qos, properties, topic: &'static str, payload: &'static [u8]| {
        Packet::Publish(Publish {
            dup: false,
            qos,
            retain: true,
            topic: topic.into(),
            packet_id: (qos != QoS::AtMostOnce).then_some(7),
            properties,
            payload,
        })
    };
    let every = Properties::new()
        .with(PropertyId::PAYLOAD_FORMAT_INDICATOR, PropValue::Byte(0))
        .with(PropertyId::MESSAGE_EXPIRY_INTERVAL, PropValue::FourByte(60))
        .with(PropertyId::TOPIC_ALIAS, PropValue::TwoByte(4))
        .with(
            PropertyId::RESPONSE_TOPIC,
            PropValue::Str("réponse/ici".into()),
        )
        .with(PropertyId::CORRELATION_DATA, PropValue::Binary(&[9, 0xff]))
        .with(
            PropertyId::USER_PROPERTY,
            PropValue::Pair("k".into(), "v".into()),
        )
        .with(PropertyId::SUBSCRIPTION_IDENTIFIER, PropValue::Vbi(300))
        .with(PropertyId::SUBSCRIPTION_IDENTIFIER, PropValue::Vbi(1))
        .with(
            PropertyId::CONTENT_TYPE,
            PropValue::Str("text/plain".into()),
        );
    for (p, v) in [
        (
            publish(QoS::AtLeastOnce, Properties::new(), "a/b/c", b"\xff\x00"),
            ProtocolVersion::V3_1_1,
        ),
        (
            publish(QoS::ExactlyOnce, every, "sensor/température", b"20 C"),
            ProtocolVersion::V5,
        ),
        // A payload that is not text, without a Payload Format Indicator.
        (
            publish(
                QoS::AtMostOnce,
                Properties::new().with(PropertyId::SUBSCRIPTION_IDENTIFIER, PropValue::Vbi(200)),
                "t",
                "20 °C".as_bytes(),
            ),
            ProtocolVersion::V5,
        ),
    ] {
        out.push((encode(&p, v).unwrap(), v));
    }
    out
}

#[test]
fn every_single_byte_mutation_of_a_publish_decodes_the_same_without_a_tree() {
    for (s, v) in publish_seeds() {
        let d = decode(&s, &DecodeOptions::new(v));
        assert!(d.diagnostics.is_empty(), "{s:02x?}: {:?}", d.diagnostics);
        for i in 0..s.len() {
            for x in 0..=255u8 {
                let mut m = s.clone();
                m[i] = x;
                same_without_tree(&m);
            }
        }
    }
}

fn leak<T: ?Sized>(v: Box<T>) -> &'static T {
    Box::leak(v)
}

/// Mostly printable text, sometimes any string, sometimes any bytes.
fn text() -> impl Strategy<Value = MqttStr<'static>> {
    prop_oneof![
        8 => "[a-zA-Z0-9/_ .-]{0,30}".prop_map(|s| MqttStr(leak(s.into_bytes().into_boxed_slice()))),
        2 => any::<String>().prop_map(|s| MqttStr(leak(s.into_bytes().into_boxed_slice()))),
        1 => proptest::collection::vec(any::<u8>(), 0..12)
            .prop_map(|b| MqttStr(leak(b.into_boxed_slice()))),
    ]
}

fn bytes() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        3 => "[ -~]{0,20}".prop_map(|s| leak(s.into_bytes().into_boxed_slice())),
        1 => proptest::collection::vec(any::<u8>(), 0..20).prop_map(|b| leak(b.into_boxed_slice())),
    ]
}

/// Mostly the values a client sends (so that the fast path is taken), sometimes any.
fn value(ty: PropertyType) -> BoxedStrategy<PropValue<'static>> {
    match ty {
        PropertyType::Byte => prop_oneof![4 => 0u8..=1, 1 => any::<u8>()]
            .prop_map(PropValue::Byte)
            .boxed(),
        PropertyType::TwoByte => prop_oneof![4 => 1u16.., 1 => Just(0)]
            .prop_map(PropValue::TwoByte)
            .boxed(),
        PropertyType::FourByte => prop_oneof![4 => 1u32.., 1 => Just(0)]
            .prop_map(PropValue::FourByte)
            .boxed(),
        PropertyType::Vbi => (0u32..=268_435_455).prop_map(PropValue::Vbi).boxed(),
        PropertyType::Str => text().prop_map(PropValue::Str).boxed(),
        PropertyType::Binary => bytes().prop_map(PropValue::Binary).boxed(),
        PropertyType::StrPair => (text(), text())
            .prop_map(|(k, v)| PropValue::Pair(k, v))
            .boxed(),
    }
}

/// Properties of `place`, sometimes one of anywhere (misplaced), repeats possible.
fn props(place: u32) -> BoxedStrategy<Properties<'static>> {
    let allowed: Vec<_> = PROPERTIES
        .iter()
        .filter(|d| d.places & place != 0)
        .collect();
    let one = prop_oneof![
        8 => proptest::sample::select(allowed),
        1 => proptest::sample::select(PROPERTIES.iter().collect::<Vec<_>>()),
    ]
    .prop_flat_map(|d| {
        let id = d.id;
        value(d.ty).prop_map(move |value| Property { id, value })
    });
    proptest::collection::vec(one, 0..6)
        .prop_map(Properties::from)
        .boxed()
}

fn generated() -> impl Strategy<Value = Vec<u8>> {
    let version = prop_oneof![
        Just(ProtocolVersion::V3_1),
        Just(ProtocolVersion::V3_1_1),
        Just(ProtocolVersion::V5)
    ];
    version.prop_flat_map(|version| {
        let v5 = version.is_v5();
        let (props, will_props) = if v5 {
            (props(1 << PacketType::CONNECT.0), props(WILL))
        } else {
            (
                Just(Properties::new()).boxed(),
                Just(Properties::new()).boxed(),
            )
        };
        let will = (0u8..3, any::<bool>(), will_props, text(), bytes()).prop_map(
            |(q, retain, properties, topic, payload)| Will {
                qos: QoS::from_u8(q).unwrap(),
                retain,
                properties,
                topic,
                payload,
            },
        );
        (
            any::<bool>(),
            any::<u16>(),
            props,
            text(),
            proptest::option::of(will),
            proptest::option::of(text()),
            proptest::option::of(bytes()),
        )
            .prop_map(
                move |(
                    clean_start,
                    keep_alive,
                    properties,
                    client_id,
                    will,
                    username,
                    password,
                )| {
                    let c = Connect {
                        clean_start,
                        keep_alive,
                        properties,
                        client_id,
                        will,
                        username,
                        password,
                        ..connect(version)
                    };
                    encode(&Packet::Connect(Box::new(c)), version).unwrap()
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn generated_connects_decode_the_same_without_a_tree(b in generated()) {
        same_without_tree(&b);
    }

    #[test]
    fn mutated_generated_connects_decode_the_same_without_a_tree(
        b in generated(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut m = b.clone();
        for (i, x) in edits {
            let i = i.index(m.len());
            m[i] = x;
        }
        same_without_tree(&m);
    }
}
