//! `build`, `encode` and `codes`, run as a process: every packet kind in every version
//! built, decoded back by `hex` and re-encoded from its JSON.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mqtt-dissect");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mqtt-dissect");
    if let Some(mut i) = child.stdin.take() {
        i.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn field<'v>(fields: &'v serde_json::Value, id: &str) -> Option<&'v serde_json::Value> {
    for f in fields.as_array()? {
        if f["field"] == id {
            return Some(f);
        }
        if let Some(x) = field(&f["children"], id) {
            return Some(x);
        }
    }
    None
}

fn all_values(fields: &serde_json::Value, id: &str, out: &mut Vec<serde_json::Value>) {
    for f in fields.as_array().into_iter().flatten() {
        if f["field"] == id {
            out.push(f["value"].clone());
        }
        all_values(&f["children"], id, out);
    }
}

/// Builds, decodes the output with `hex --format json`, checks it is clean and of the right
/// type and version, re-encodes the JSON with `encode`, and returns the packet's JSON.
#[track_caller]
fn build_roundtrip(version: &str, args: &[&str], packet_type: &str) -> serde_json::Value {
    let mut full = vec!["build"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--protocol", version]);
    let b = run(&full, "");
    assert_eq!(
        b.code, 0,
        "build {args:?} --protocol {version}: {}",
        b.stderr
    );
    let hex_out = b.stdout.trim().to_string();
    assert!(b.stderr.contains(packet_type), "{}", b.stderr);
    let h = run(
        &[
            "hex",
            "--protocol",
            version,
            "--format",
            "json",
            "--show-secrets",
            &hex_out,
        ],
        "",
    );
    assert_eq!(
        h.code, 0,
        "hex of {args:?} ({version}) not clean:\n{}",
        h.stdout
    );
    let v: serde_json::Value = serde_json::from_str(&h.stdout).expect("json");
    let p = v["packets"][0].clone();
    assert_eq!(p["type"], packet_type);
    let want = match version {
        "5" => "5.0",
        v => v,
    };
    assert_eq!(p["version"], want, "{args:?}");
    assert_eq!(v["packets"].as_array().map(Vec::len), Some(1));
    // encode(JSON) gives the bytes back.
    let e = run(&["encode"], &h.stdout);
    assert_eq!(e.code, 0, "encode: {}", e.stderr);
    assert_eq!(e.stdout.trim(), hex_out, "encode of {args:?} ({version})");
    p
}

const VERSIONS: [&str; 3] = ["3.1", "3.1.1", "5"];

#[test]
fn connect_in_every_version() {
    for v in VERSIONS {
        let p = build_roundtrip(
            v,
            &[
                "connect",
                "--client-id",
                "dev-1",
                "--username",
                "user",
                "--password",
                "pw",
                "--keep-alive",
                "30",
                "--clean",
                "--will-topic",
                "status/dev-1",
                "--will-message",
                "offline",
                "--will-qos",
                "1",
                "--will-retain",
            ],
            "CONNECT",
        );
        let f = &p["fields"];
        let level = match v {
            "3.1" => 3,
            "3.1.1" => 4,
            _ => 5,
        };
        assert_eq!(
            field(f, "connect.protocol_level").map(|x| &x["value"]),
            Some(&level.into())
        );
        let name = if v == "3.1" { "MQIsdp" } else { "MQTT" };
        assert_eq!(
            field(f, "connect.protocol_name").map(|x| &x["value"]),
            Some(&name.into())
        );
        assert_eq!(
            field(f, "connect.client_id").map(|x| &x["value"]),
            Some(&"dev-1".into())
        );
        assert_eq!(
            field(f, "connect.username").map(|x| &x["value"]),
            Some(&"user".into())
        );
        assert_eq!(
            field(f, "connect.password").map(|x| &x["text"]),
            Some(&"pw".into())
        );
        assert_eq!(
            field(f, "connect.keep_alive").map(|x| &x["value"]),
            Some(&30.into())
        );
        assert_eq!(
            field(f, "connect.flags.clean_start").map(|x| &x["value"]),
            Some(&true.into())
        );
        assert_eq!(
            field(f, "connect.flags.will_qos").map(|x| &x["value"]),
            Some(&1.into())
        );
        assert_eq!(
            field(f, "connect.flags.will_retain").map(|x| &x["value"]),
            Some(&true.into())
        );
        assert_eq!(
            field(f, "connect.will_topic").map(|x| &x["value"]),
            Some(&"status/dev-1".into())
        );
        assert_eq!(
            field(f, "connect.will_payload").map(|x| &x["text"]),
            Some(&"offline".into())
        );
    }
    // MQTT 5 properties, will properties and a user property.
    let p = build_roundtrip(
        "5",
        &[
            "connect",
            "--client-id",
            "c",
            "--property",
            "session_expiry_interval=3600",
            "--property",
            "user_property=region=eu",
            "--property",
            "receive_maximum=10",
            "--will-topic",
            "w",
            "--will-property",
            "will_delay_interval=5",
        ],
        "CONNECT",
    );
    let f = &p["fields"];
    assert_eq!(
        field(f, "property.session_expiry_interval").map(|x| &x["value"]),
        Some(&3600.into())
    );
    assert_eq!(
        field(f, "property.receive_maximum").map(|x| &x["value"]),
        Some(&10.into())
    );
    assert_eq!(
        field(f, "property.user_property.key").map(|x| &x["value"]),
        Some(&"region".into())
    );
    assert_eq!(
        field(f, "property.user_property.value").map(|x| &x["value"]),
        Some(&"eu".into())
    );
    assert_eq!(
        field(f, "property.will_delay_interval").map(|x| &x["value"]),
        Some(&5.into())
    );
}

#[test]
fn publish_in_every_version() {
    for v in VERSIONS {
        let p = build_roundtrip(
            v,
            &[
                "publish",
                "--topic",
                "a/b",
                "--message",
                "{\"t\":21}",
                "--retain",
            ],
            "PUBLISH",
        );
        let f = &p["fields"];
        assert_eq!(
            field(f, "publish.topic").map(|x| &x["value"]),
            Some(&"a/b".into())
        );
        assert_eq!(
            field(f, "publish.payload").map(|x| &x["text"]),
            Some(&"{\"t\":21}".into())
        );
        assert_eq!(
            field(f, "header.retain").map(|x| &x["value"]),
            Some(&true.into())
        );
        assert_eq!(field(f, "header.qos").map(|x| &x["value"]), Some(&0.into()));
        let p = build_roundtrip(
            v,
            &[
                "publish",
                "--topic",
                "t",
                "--message-hex",
                "00 ff",
                "--qos",
                "2",
                "--dup",
                "--packet-id",
                "7",
            ],
            "PUBLISH",
        );
        let f = &p["fields"];
        assert_eq!(field(f, "packet_id").map(|x| &x["value"]), Some(&7.into()));
        assert_eq!(field(f, "header.qos").map(|x| &x["value"]), Some(&2.into()));
        assert_eq!(
            field(f, "header.dup").map(|x| &x["value"]),
            Some(&true.into())
        );
        assert_eq!(
            field(f, "publish.payload").map(|x| &x["value"]),
            Some(&"00ff".into())
        );
    }
    let p = build_roundtrip(
        "5",
        &[
            "publish",
            "--topic",
            "t",
            "--message",
            "x",
            "--qos",
            "1",
            "--property",
            "content_type=text/plain",
            "--property",
            "message_expiry_interval=60",
            "--property",
            "correlation_data=hex:0102",
        ],
        "PUBLISH",
    );
    let f = &p["fields"];
    assert_eq!(field(f, "packet_id").map(|x| &x["value"]), Some(&1.into()));
    assert_eq!(
        field(f, "property.content_type").map(|x| &x["value"]),
        Some(&"text/plain".into())
    );
    assert_eq!(
        field(f, "property.correlation_data").map(|x| &x["value"]),
        Some(&"0102".into())
    );
}

#[test]
fn acks_in_every_version() {
    for v in VERSIONS {
        for (cmd, ty) in [
            ("puback", "PUBACK"),
            ("pubrec", "PUBREC"),
            ("pubrel", "PUBREL"),
            ("pubcomp", "PUBCOMP"),
        ] {
            let p = build_roundtrip(v, &[cmd, "--packet-id", "513"], ty);
            assert_eq!(
                field(&p["fields"], "packet_id").map(|x| &x["value"]),
                Some(&513.into())
            );
        }
        let p = build_roundtrip(
            v,
            &["connack", "--session-present", "--code", "0"],
            "CONNACK",
        );
        // MQTT 3.1 has no Session Present: the byte is reserved (3.1 §3.2), bit 0 still set.
        let (id, value) = if v == "3.1" {
            ("connack.flags.reserved", 1.into())
        } else {
            ("connack.flags.session_present", true.into())
        };
        assert_eq!(field(&p["fields"], id).map(|x| &x["value"]), Some(&value));
    }
    let p = build_roundtrip(
        "5",
        &["puback", "--packet-id", "1", "--reason-code", "0x10"],
        "PUBACK",
    );
    assert_eq!(
        field(&p["fields"], "puback.reason_code").map(|x| &x["value"]),
        Some(&16.into())
    );
    let p = build_roundtrip(
        "5",
        &[
            "pubrec",
            "--packet-id",
            "1",
            "--reason-code",
            "0x80",
            "--property",
            "reason_string=quota",
        ],
        "PUBREC",
    );
    assert_eq!(
        field(&p["fields"], "property.reason_string").map(|x| &x["value"]),
        Some(&"quota".into())
    );
    let p = build_roundtrip("5", &["connack", "--code", "0x86"], "CONNACK");
    assert_eq!(
        field(&p["fields"], "connack.reason_code").and_then(|x| x["meaning"]["name"].as_str()),
        Some("Bad User Name or Password")
    );
}

#[test]
fn subscribe_and_unsubscribe_in_every_version() {
    for v in VERSIONS {
        let p = build_roundtrip(
            v,
            &[
                "subscribe",
                "--topic",
                "a/+/c:1",
                "--topic",
                "d/#",
                "--qos",
                "2",
                "--packet-id",
                "10",
            ],
            "SUBSCRIBE",
        );
        let f = &p["fields"];
        assert_eq!(field(f, "packet_id").map(|x| &x["value"]), Some(&10.into()));
        let mut filters = Vec::new();
        all_values(f, "subscribe.topic_filter", &mut filters);
        assert_eq!(
            filters,
            vec![serde_json::json!("a/+/c"), serde_json::json!("d/#")]
        );
        let mut qos = Vec::new();
        let qos_id = if v == "5" {
            "subscribe.options.qos"
        } else {
            "subscribe.requested_qos"
        };
        all_values(f, qos_id, &mut qos);
        assert_eq!(qos, vec![serde_json::json!(1), serde_json::json!(2)]);
        let p = build_roundtrip(
            v,
            &[
                "unsubscribe",
                "--topic",
                "a/+/c",
                "--topic",
                "d/#",
                "--packet-id",
                "11",
            ],
            "UNSUBSCRIBE",
        );
        let mut filters = Vec::new();
        all_values(&p["fields"], "unsubscribe.topic_filter", &mut filters);
        assert_eq!(filters.len(), 2);
    }
    let p = build_roundtrip(
        "5",
        &[
            "subscribe",
            "--topic",
            "x",
            "--no-local",
            "--retain-as-published",
            "--retain-handling",
            "2",
            "--property",
            "subscription_identifier=9",
        ],
        "SUBSCRIBE",
    );
    let f = &p["fields"];
    assert_eq!(
        field(f, "subscribe.options.no_local").map(|x| &x["value"]),
        Some(&true.into())
    );
    assert_eq!(
        field(f, "subscribe.options.retain_handling").map(|x| &x["value"]),
        Some(&2.into())
    );
    assert_eq!(
        field(f, "property.subscription_identifier").map(|x| &x["value"]),
        Some(&9.into())
    );
}

#[test]
fn ping_and_disconnect_in_every_version() {
    for v in VERSIONS {
        build_roundtrip(v, &["pingreq"], "PINGREQ");
        build_roundtrip(v, &["pingresp"], "PINGRESP");
        build_roundtrip(v, &["disconnect"], "DISCONNECT");
    }
    let p = build_roundtrip(
        "5",
        &[
            "disconnect",
            "--reason-code",
            "0x04",
            "--property",
            "session_expiry_interval=0",
        ],
        "DISCONNECT",
    );
    assert_eq!(
        field(&p["fields"], "disconnect.reason_code").and_then(|x| x["meaning"]["name"].as_str()),
        Some("Disconnect with Will Message")
    );
}

#[test]
fn output_formats_read_back() {
    let args = ["build", "publish", "--topic", "a", "--message", "hi"];
    let spaced = run(&args, "").stdout;
    assert_eq!(spaced.trim(), "30 05 00 01 61 68 69");
    for (f, want) in [
        ("raw", "30050001616869"),
        ("escaped", "\\x30\\x05\\x00\\x01\\x61\\x68\\x69"),
        ("c", "{0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69}"),
    ] {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--format", f]);
        let o = run(&a, "");
        assert_eq!(o.stdout.trim(), want);
        let h = run(&["hex", o.stdout.trim()], "");
        assert_eq!(h.code, 0, "{f}: {}", h.stderr);
        assert!(
            h.stdout.contains("Payload: 2 bytes, UTF-8 text"),
            "{}",
            h.stdout
        );
    }
    // Long C arrays wrap and still read back.
    let o = run(
        &[
            "build",
            "connect",
            "--client-id",
            "a-long-client-id",
            "--format",
            "c",
        ],
        "",
    );
    assert!(o.stdout.lines().count() > 1);
    assert_eq!(run(&["hex", &o.stdout], "").code, 0);
    // The byte count goes to stderr, for AT+CIPSEND.
    let o = run(&args, "");
    assert!(
        o.stderr.contains("PUBLISH 7 bytes (MQTT 3.1.1)"),
        "{}",
        o.stderr
    );
}

#[test]
fn build_errors_name_the_field() {
    let o = run(&["build", "publish", "--topic", "a", "--qos", "3"], "");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--qos: QoS 3 does not exist"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "build",
            "connect",
            "--client-id",
            "a",
            "--property",
            "bogus=1",
        ],
        "",
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown property 'bogus'"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "build",
            "connect",
            "--client-id",
            "a",
            "--protocol",
            "5",
            "--property",
            "receive_maximum=70000",
        ],
        "",
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("property.receive_maximum: 70000 is larger than 65535"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "build",
            "connect",
            "--client-id",
            "a",
            "--property",
            "session_expiry_interval=1",
        ],
        "",
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("properties: MQTT 3.1.1 has no such field"),
        "{}",
        o.stderr
    );
    let o = run(
        &[
            "build",
            "puback",
            "--packet-id",
            "1",
            "--reason-code",
            "0x10",
        ],
        "",
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("reason_code"), "{}", o.stderr);
    let long = "x".repeat(70_000);
    let o = run(&["build", "publish", "--topic", &long], "");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("publish.topic: 70000 bytes is longer than the maximum 65535"),
        "{}",
        o.stderr
    );
}

const SEEDS: [&str; 6] = [
    "82 38 00 0A 00 33 2F 73 79 73 2F 61 31 79 79 65 71 67 70 73 4B 6D 2F 6D 71 74 74 5F 66 78 2F 74 68 69 6E 67 2F 73 65 72 76 69 63 65 2F 70 72 6F 70 65 72 74 79 2F 73 65 74 00",
    "90 03 00 0A 01",
    "B0 02 00 0A",
    "40 02 7B 22",
    "20 02 00 00",
    "C0 00",
];

#[test]
fn encode_gives_back_the_original_hex() {
    // A whole input in one document, with a CONNECT deciding the version.
    let connect = "10 14 00 04 4D 51 54 54 04 C2 00 3C 00 01 61 00 01 75 00 02 70 77";
    let input = format!("{connect} {}", SEEDS.join(" "));
    let h = run(&["hex", "--format", "json", "--show-secrets", &input], "");
    assert_eq!(h.code, 0, "{}", h.stdout);
    let e = run(&["encode"], &h.stdout);
    assert_eq!(e.code, 0, "{}", e.stderr);
    let want: Vec<&str> = std::iter::once(connect).chain(SEEDS).collect();
    let got: Vec<&str> = e.stdout.lines().collect();
    assert_eq!(got, want);
    // Each seed alone, in its own document, through a file and through jsonl.
    let dir = std::env::temp_dir().join(format!("mqtt-dissect-enc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for s in SEEDS {
        let h = run(&["hex", "--format", "json", s], "");
        let path = dir.join("p.json");
        std::fs::write(&path, &h.stdout).expect("write");
        let e = run(&["encode", path.to_str().unwrap_or_default()], "");
        assert_eq!(e.stdout.trim(), s, "{}", e.stderr);
        let l = run(&["hex", "--format", "jsonl", s], "");
        let e = run(&["encode", "-", "--format", "raw"], &l.stdout);
        assert_eq!(e.stdout.trim(), s.replace(' ', ""));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn encode_errors_name_the_field() {
    // A masked password cannot be encoded.
    let connect = "10 16 00 04 4D 51 54 54 04 C2 00 3C 00 04 64 65 76 31 00 01 75 00 01 70";
    let h = run(&["hex", "--format", "json", connect], "");
    let e = run(&["encode"], &h.stdout);
    assert_eq!(e.code, 1);
    assert!(
        e.stderr.contains("connect.password: the value is masked"),
        "{}",
        e.stderr
    );
    // A value out of range.
    let h = run(&["hex", "--format", "json", "--show-secrets", connect], "");
    let bad = h.stdout.replacen("\"value\": 60,", "\"value\": 70000,", 1);
    let e = run(&["encode"], &bad);
    assert_eq!(e.code, 1);
    assert!(
        e.stderr
            .contains("connect.keep_alive: 70000 does not fit in two bytes"),
        "{}",
        e.stderr
    );
    // Values only: offsets and raw bytes may be missing.
    let minimal = r#"{"type":"PUBLISH","version":"3.1.1","fields":[
        {"field":"header","children":[{"field":"header.qos","value":1}]},
        {"field":"publish.topic","value":"a/b"},
        {"field":"packet_id","value":5},
        {"field":"publish.payload","value":"6869"}]}"#;
    let e = run(&["encode"], minimal);
    assert_eq!(e.code, 0, "{}", e.stderr);
    assert_eq!(e.stdout.trim(), "32 09 00 03 61 2F 62 00 05 68 69");
    let e = run(&["encode"], "not json");
    assert_eq!(e.code, 2);
}

#[test]
fn codes_table_and_lookup() {
    let o = run(&["codes"], "");
    assert_eq!(o.code, 0);
    for s in [
        "hex",
        "dec",
        "name",
        "packets",
        "meaning",
        "0x86",
        "134",
        "Bad User Name or",
        "Unsupported Protocol",
        "Connection Refused,",
        "Success - Maximum QoS",
        "Failure",
    ] {
        assert!(o.stdout.contains(s), "{s} missing from codes table");
    }
    let hex = run(&["codes", "0x86"], "");
    let dec = run(&["codes", "134"], "");
    assert_eq!(hex.stdout, dec.stdout);
    assert!(hex.stdout.starts_with("0x86 (134)"));
    assert!(hex.stdout.contains("Bad User Name or Password"));
    assert!(hex.stdout.contains("packets:  CONNACK"));
    // 0x00 has several per-packet names.
    let o = run(&["codes", "0"], "");
    for n in [
        "Success",
        "Normal disconnection",
        "Granted QoS 0",
        "Connection Accepted",
    ] {
        assert!(o.stdout.contains(n), "{n}");
    }
    let o = run(&["codes", "1", "--packet", "connack"], "");
    assert!(o
        .stdout
        .contains("Connection Refused, unacceptable protocol version"));
    assert!(!o.stdout.contains("Granted QoS 1"));
    let o = run(&["codes", "--packet", "connack", "--protocol", "3.1.1"], "");
    assert!(o.stdout.contains("0x05"));
    assert!(!o.stdout.contains("0x86"));
    let o = run(&["codes", "0x07"], "");
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("0x07 (7) is not a reason or return code"),
        "{}",
        o.stderr
    );
    let o = run(&["codes", "0x1ff"], "");
    assert_eq!(o.code, 2);
    let o = run(&["codes", "--packet", "bogus"], "");
    assert_eq!(o.code, 2);
}
