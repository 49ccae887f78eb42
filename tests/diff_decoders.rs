//! Differential test against other MQTT decoders: the npm package `mqtt-packet` (run with the
//! machine's node; installed into a temporary folder by this test) and the Rust crate
//! `mqttbytes` (a dev-dependency). Every packet of the corpus is decoded by all three:
//!
//! - the hex vectors: testdata/vectors/*.hex, the hex literals of tests/codec_vectors.rs,
//!   ../shared/captures/verimqtt/packets/*.bin;
//! - every MQTT packet of every capture (testdata/captures, ../shared/captures), as
//!   `mqtt-dissect pcap --format jsonl` frames them (bytes rebuilt from the top-level fields);
//! - mqtt-packet's own test-suite vectors, extracted as data into
//!   testdata/diff/mqtt-packet-vectors.json (also checked against their expected values).
//!
//! Accept/reject and the field values are compared in a common vocabulary (`Norm`). A
//! difference must be allowed by an entry of testdata/divergences.md (the arms of `allow`
//! name it); anything else fails. mqtt-packet is skipped when node/npm are missing, unless
//! MQTT_DISSECT_DIFF_REQUIRE=1 (as in CI).
//! Run: `cargo test --test diff_decoders -- --nocapture`

mod diff_common;

use diff_common::{Divergences, Tally};
use mqtt_dissect::codec::diag::Severity;
use mqtt_dissect::codec::tree::{Node, Value as V};
use mqtt_dissect::codec::{decode, DecodeOptions, ProtocolVersion};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const MQTT_PACKET: &str = "mqtt-packet@9.0.2";

/// One packet of the corpus.
#[derive(Clone, Debug)]
struct Item {
    origin: String,
    bytes: Vec<u8>,
    /// Protocol level to decode with: 3, 4 or 5.
    level: u8,
    /// For mqtt-packet's own vectors: what its suite expects.
    expected: Option<Value>,
}

/// A decoded packet in the common vocabulary: key → value as text.
type Norm = BTreeMap<String, String>;

#[derive(Debug, Clone)]
enum Outcome {
    Accept(Norm),
    Reject(String),
}

// ---- the corpus ------------------------------------------------------------------------

fn corpus() -> Vec<Item> {
    let mut items = Vec::new();
    let root = diff_common::root();
    // Hex vector files: one packet per non-comment line.
    for entry in std::fs::read_dir(root.join("testdata/vectors")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "hex") {
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                let b = hex::decode(t.replace(' ', "")).expect("hex line");
                items.push(Item {
                    origin: format!("{}:{}", diff_common::display(&p), i + 1),
                    level: clean_level(&b),
                    bytes: b,
                    expected: None,
                });
            }
        }
    }
    // The hex literals of tests/codec_vectors.rs that are whole packets.
    let src = std::fs::read_to_string(root.join("tests/codec_vectors.rs")).unwrap();
    for (n, lit) in src.split("hex(\"").skip(1).enumerate() {
        let Some(end) = lit.find('"') else { continue };
        let digits: String = lit[..end]
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect();
        let Ok(b) = hex::decode(&digits) else {
            continue;
        };
        let d = decode(&b, &DecodeOptions::new(ProtocolVersion::V3_1_1));
        if b.len() >= 2 && d.complete && d.len == b.len() {
            items.push(Item {
                origin: format!("tests/codec_vectors.rs hex literal #{}", n + 1),
                level: clean_level(&b),
                bytes: b,
                expected: None,
            });
        }
    }
    // verimqtt single packets (MQTT 5.0).
    if let Some(shared) = diff_common::shared_captures() {
        let dir = shared.join("verimqtt/packets");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for p in files {
            if p.extension().is_some_and(|e| e == "bin") {
                items.push(Item {
                    origin: diff_common::display(&p),
                    bytes: std::fs::read(&p).unwrap(),
                    level: 5,
                    expected: None,
                });
            }
        }
    }
    // Every packet of every capture, once per distinct (bytes, version).
    let mut seen = BTreeSet::new();
    for path in diff_common::captures() {
        for rec in diff_common::our_pcap_packets(&path, &[]) {
            let Some(b) = diff_common::packet_bytes(&rec["packet"]) else {
                continue;
            };
            let level = match rec["version"].as_str() {
                Some("3.1") => 3,
                Some("5.0") => 5,
                _ => 4,
            };
            if seen.insert((b.clone(), level)) {
                items.push(Item {
                    origin: format!("{} frame {}", diff_common::display(&path), rec["frame"]),
                    bytes: b,
                    level,
                    expected: None,
                });
            }
        }
    }
    // mqtt-packet's test-suite vectors.
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("testdata/diff/mqtt-packet-vectors.json")).unwrap(),
    )
    .unwrap();
    for (i, x) in v["vectors"].as_array().unwrap().iter().enumerate() {
        items.push(Item {
            origin: format!(
                "mqtt-packet-vectors.json #{i} {:?}",
                x["name"].as_str().unwrap_or("")
            ),
            bytes: hex::decode(x["hex"].as_str().unwrap()).unwrap(),
            level: x["version"].as_u64().unwrap_or(4) as u8,
            expected: Some(x["expected"].clone()),
        });
    }
    items
}

/// The level a bare packet decodes cleanly as (a CONNECT says its own): 4, else 5.
fn clean_level(b: &[u8]) -> u8 {
    if b.first().is_some_and(|x| x >> 4 == 1) && b.len() > 8 {
        let d = decode(b, &DecodeOptions::new(ProtocolVersion::V3_1_1));
        return match d.version {
            ProtocolVersion::V3_1 => 3,
            ProtocolVersion::V3_1_1 => 4,
            ProtocolVersion::V5 => 5,
        };
    }
    let ok = |v| decode(b, &DecodeOptions::new(v)).is_ok();
    if ok(ProtocolVersion::V3_1_1) || !ok(ProtocolVersion::V5) {
        4
    } else {
        5
    }
}

fn version(level: u8) -> ProtocolVersion {
    match level {
        3 => ProtocolVersion::V3_1,
        5 => ProtocolVersion::V5,
        _ => ProtocolVersion::V3_1_1,
    }
}

// ---- ours --------------------------------------------------------------------------------

fn val(v: &V<'_>) -> String {
    match v {
        V::None => String::new(),
        V::UInt(n) => n.to_string(),
        V::Bool(b) => u8::from(*b).to_string(),
        V::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        V::Bytes(b) => hex::encode(b),
    }
}

fn ours(item: &Item) -> (Outcome, Vec<&'static str>) {
    let d = decode(&item.bytes, &DecodeOptions::new(version(item.level)));
    let errors: Vec<&'static str> = d
        .diagnostics
        .iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.check.id)
        .collect();
    if !errors.is_empty() || !d.complete || d.len != item.bytes.len() {
        let why = if errors.is_empty() {
            "incomplete or trailing bytes".to_string()
        } else {
            errors.join(",")
        };
        return (Outcome::Reject(why), errors);
    }
    let mut n = Norm::new();
    n.insert("type".into(), d.packet_type.0.to_string());
    let mut sub = 0usize;
    let mut codes = 0usize;
    let mut unsub = 0usize;
    let mut users: Vec<(String, String)> = Vec::new();
    let mut will_users: Vec<(String, String)> = Vec::new();
    let mut sub_ids: Vec<String> = Vec::new();
    let mut will_flag = false;
    fn walk<'t, 'a>(nodes: &'t [Node<'a>], parent: &str, out: &mut Vec<(String, &'t Node<'a>)>) {
        for x in nodes {
            out.push((parent.to_string(), x));
            walk(&x.children, x.field.id, out);
        }
    }
    let mut all = Vec::new();
    walk(&d.tree, "", &mut all);
    let mut in_will = false;
    for (parent, x) in &all {
        let v = val(&x.value);
        let id = x.field.id;
        if id == "will_properties" {
            in_will = true;
        } else if id == "properties" {
            in_will = false;
        }
        let pre = if in_will && (parent.starts_with("will_prop") || parent.starts_with("property"))
        {
            "will.prop."
        } else {
            "prop."
        };
        match id {
            "header.dup" if d.packet_type.0 == 3 => drop(n.insert("dup".into(), v)),
            "header.qos" if d.packet_type.0 == 3 => drop(n.insert("qos".into(), v)),
            "header.retain" if d.packet_type.0 == 3 => drop(n.insert("retain".into(), v)),
            "connect.protocol_name" => drop(n.insert("protocol_name".into(), v)),
            "connect.protocol_level" => drop(n.insert("protocol_level".into(), v)),
            "connect.flags.clean_start" => drop(n.insert("clean".into(), v)),
            "connect.flags.will" => will_flag = v == "1",
            "connect.flags.will_qos" => drop(n.insert("will.qos".into(), v)),
            "connect.flags.will_retain" => drop(n.insert("will.retain".into(), v)),
            "connect.keep_alive" => drop(n.insert("keep_alive".into(), v)),
            "connect.client_id" => drop(n.insert("client_id".into(), v)),
            "connect.will_topic" => drop(n.insert("will.topic".into(), v)),
            "connect.will_payload" => drop(n.insert("will.payload".into(), v)),
            "connect.username" => drop(n.insert("username".into(), v)),
            "connect.password" => drop(n.insert("password".into(), v)),
            "connack.flags.session_present" => drop(n.insert("session_present".into(), v)),
            "connack.return_code" | "connack.reason_code" => drop(n.insert("code".into(), v)),
            "publish.topic" => drop(n.insert("topic".into(), v)),
            "publish.payload" => drop(n.insert("payload".into(), v)),
            "packet_id" => drop(n.insert("packet_id".into(), v)),
            "puback.reason_code"
            | "pubrec.reason_code"
            | "pubrel.reason_code"
            | "pubcomp.reason_code"
            | "disconnect.reason_code"
            | "auth.reason_code" => {
                // Also when implied (length 0): absent means 0x00 (§3.4.2.1, §3.14.2.1…).
                n.insert("reason_code".into(), v);
            }
            "subscribe.topic_filter" => {
                n.insert(format!("sub[{sub}].topic"), v);
                sub += 1;
            }
            "subscribe.requested_qos" | "subscribe.options.qos" => {
                n.insert(format!("sub[{}].qos", sub - 1), v);
            }
            "subscribe.options.no_local" => drop(n.insert(format!("sub[{}].nl", sub - 1), v)),
            "subscribe.options.retain_as_published" => {
                n.insert(format!("sub[{}].rap", sub - 1), v);
            }
            "subscribe.options.retain_handling" => {
                n.insert(format!("sub[{}].rh", sub - 1), v);
            }
            "suback.return_code" | "suback.reason_code" | "unsuback.reason_code" => {
                n.insert(format!("codes[{codes}]"), v);
                codes += 1;
            }
            "unsubscribe.topic_filter" => {
                n.insert(format!("unsub[{unsub}]"), v);
                unsub += 1;
            }
            "property.user_property" => {
                let k = x.children.iter().find(|c| c.field.id.ends_with(".key"));
                let vv = x.children.iter().find(|c| c.field.id.ends_with(".value"));
                if let (Some(k), Some(vv)) = (k, vv) {
                    let pair = (val(&k.value), val(&vv.value));
                    if pre == "will.prop." {
                        will_users.push(pair);
                    } else {
                        users.push(pair);
                    }
                }
            }
            "property.subscription_identifier" => sub_ids.push(v),
            _ if id.starts_with("property.")
                && !id.starts_with("property.user_property")
                && id != "property.id"
                && id != "property.unknown" =>
            {
                n.insert(format!("{pre}{}", &id["property.".len()..]), v);
            }
            _ => {}
        }
    }
    if !will_flag {
        n.remove("will.qos");
        n.remove("will.retain");
    }
    if !sub_ids.is_empty() {
        n.insert("prop.subscription_identifier".into(), sub_ids.join(","));
    }
    put_users(&mut n, "prop.user_property", users);
    put_users(&mut n, "will.prop.user_property", will_users);
    (Outcome::Accept(n), errors)
}

fn put_users(n: &mut Norm, key: &str, mut users: Vec<(String, String)>) {
    if users.is_empty() {
        return;
    }
    users.sort();
    let s: Vec<String> = users.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    n.insert(key.into(), s.join("&"));
}

// ---- mqtt-packet ---------------------------------------------------------------------

fn node_modules() -> Option<PathBuf> {
    let have = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("node") || !have("npm") {
        return None;
    }
    let dir = std::env::temp_dir().join("mqtt-dissect-difftest-npm");
    let nm = dir.join("node_modules");
    if nm.join("mqtt-packet/package.json").is_file() {
        return Some(nm);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let ok = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&dir)
        .arg(MQTT_PACKET)
        .status()
        .is_ok_and(|s| s.success());
    (ok && nm.join("mqtt-packet/package.json").is_file()).then_some(nm)
}

fn mqtt_packet_decode(nm: &std::path::Path, items: &[Item]) -> Vec<Value> {
    let script = diff_common::root().join("testdata/diff/mqtt-packet-decode.js");
    let mut child = Command::new("node")
        .arg(script)
        .arg(nm)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run node");
    let mut input = String::new();
    for it in items {
        input.push_str(&json!({"hex": hex::encode(&it.bytes), "version": it.level}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("node output");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "mqtt-packet-decode.js failed");
    let res: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(res.len(), items.len());
    res
}

fn snake(camel: &str) -> String {
    match camel {
        "maximumQoS" => return "maximum_qos".into(),
        "subscriptionIdentifiersAvailable" => return "subscription_identifier_available".into(),
        _ => {}
    }
    let mut s = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Object(o) if o.contains_key("$hex") => o["$hex"].as_str().unwrap_or("").into(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

const CMDS: &[&str] = &[
    "reserved",
    "connect",
    "connack",
    "publish",
    "puback",
    "pubrec",
    "pubrel",
    "pubcomp",
    "subscribe",
    "suback",
    "unsubscribe",
    "unsuback",
    "pingreq",
    "pingresp",
    "disconnect",
    "auth",
];

fn props(n: &mut Norm, pre: &str, p: &Value) {
    let Some(o) = p.as_object() else { return };
    for (k, v) in o {
        if k == "userProperties" {
            let mut users = Vec::new();
            for (uk, uv) in v.as_object().into_iter().flatten() {
                match uv {
                    Value::Array(a) => users.extend(a.iter().map(|x| (uk.clone(), scalar(x)))),
                    x => users.push((uk.clone(), scalar(x))),
                }
            }
            put_users(n, &format!("{pre}user_property"), users);
        } else {
            n.insert(format!("{pre}{}", snake(k)), scalar(v));
        }
    }
}

/// mqtt-packet's packet object in the common vocabulary.
fn norm_mqtt_packet(p: &Value) -> Norm {
    let mut n = Norm::new();
    let cmd = p["cmd"].as_str().unwrap_or("");
    let t = CMDS.iter().position(|c| *c == cmd).unwrap_or(99);
    n.insert("type".into(), t.to_string());
    let o = p.as_object().cloned().unwrap_or_default();
    for (k, v) in &o {
        let key = match k.as_str() {
            "dup" | "qos" | "retain" if t == 3 => k.clone(),
            "protocolId" => "protocol_name".into(),
            "protocolVersion" => "protocol_level".into(),
            "clean" => "clean".into(),
            "keepalive" => "keep_alive".into(),
            "clientId" => "client_id".into(),
            "username" => "username".into(),
            "password" => "password".into(),
            "sessionPresent" => "session_present".into(),
            "returnCode" => "code".into(),
            "reasonCode" if t == 2 => "code".into(),
            "reasonCode" => "reason_code".into(),
            "topic" if t == 3 => "topic".into(),
            "payload" if t == 3 => "payload".into(),
            "messageId" => "packet_id".into(),
            "properties" => {
                props(&mut n, "prop.", v);
                continue;
            }
            "will" => {
                for (wk, wv) in v.as_object().into_iter().flatten() {
                    match wk.as_str() {
                        "properties" => props(&mut n, "will.prop.", wv),
                        "topic" | "payload" | "qos" | "retain" => {
                            n.insert(format!("will.{wk}"), scalar(wv));
                        }
                        _ => {}
                    }
                }
                continue;
            }
            "subscriptions" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    for (sk, sv) in s.as_object().into_iter().flatten() {
                        n.insert(format!("sub[{i}].{sk}"), scalar(sv));
                    }
                }
                continue;
            }
            "granted" | "reasonCodes" => {
                for (i, c) in v.as_array().into_iter().flatten().enumerate() {
                    n.insert(format!("codes[{i}]"), scalar(c));
                }
                continue;
            }
            "unsubscriptions" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    n.insert(format!("unsub[{i}]"), scalar(s));
                }
                continue;
            }
            _ => continue,
        };
        n.insert(key, scalar(v));
    }
    // Normalise the protocol level: mqtt-packet keeps the bridge bit (0x80) in its own flag.
    if p["bridgeMode"] == true {
        if let Some(l) = n.get_mut("protocol_level") {
            *l = (l.parse::<u32>().unwrap_or(0) | 0x80).to_string();
        }
    }
    n
}

// ---- mqttbytes -------------------------------------------------------------------------

fn mqttbytes_decode(item: &Item) -> Outcome {
    use bytes::BytesMut;
    let mut buf = BytesMut::from(&item.bytes[..]);
    let mut n = Norm::new();
    let qos = |q: u8| q.to_string();
    if item.level == 5 {
        use mqttbytes::v5::*;
        let p = match read(&mut buf, 1 << 28) {
            Ok(p) => p,
            Err(e) => return Outcome::Reject(format!("{e:?}")),
        };
        match p {
            Packet::Connect(c) => {
                n.insert("type".into(), "1".into());
                n.insert("keep_alive".into(), c.keep_alive.to_string());
                n.insert("client_id".into(), c.client_id);
                n.insert("clean".into(), u8::from(c.clean_session).to_string());
                if let Some(w) = c.last_will {
                    n.insert("will.topic".into(), w.topic);
                    n.insert("will.payload".into(), hex::encode(&w.message));
                    n.insert("will.qos".into(), qos(w.qos as u8));
                    n.insert("will.retain".into(), u8::from(w.retain).to_string());
                }
                if let Some(l) = c.login {
                    n.insert("username".into(), l.username);
                    n.insert("password".into(), hex::encode(l.password.as_bytes()));
                }
            }
            Packet::ConnAck(c) => {
                n.insert("type".into(), "2".into());
                n.insert(
                    "session_present".into(),
                    u8::from(c.session_present).to_string(),
                );
                n.insert("code".into(), (c.code as u8).to_string());
            }
            Packet::Publish(p) => {
                n.insert("type".into(), "3".into());
                n.insert("dup".into(), u8::from(p.dup).to_string());
                n.insert("qos".into(), qos(p.qos as u8));
                n.insert("retain".into(), u8::from(p.retain).to_string());
                n.insert("topic".into(), p.topic);
                if p.qos as u8 > 0 {
                    n.insert("packet_id".into(), p.pkid.to_string());
                }
                n.insert("payload".into(), hex::encode(&p.payload));
            }
            Packet::PubAck(p) => ack(&mut n, 4, p.pkid),
            Packet::PubRec(p) => ack(&mut n, 5, p.pkid),
            Packet::PubRel(p) => ack(&mut n, 6, p.pkid),
            Packet::PubComp(p) => ack(&mut n, 7, p.pkid),
            Packet::Subscribe(s) => {
                ack(&mut n, 8, s.pkid);
                for (i, f) in s.filters.into_iter().enumerate() {
                    n.insert(format!("sub[{i}].topic"), f.path);
                    n.insert(format!("sub[{i}].qos"), qos(f.qos as u8));
                    n.insert(format!("sub[{i}].nl"), u8::from(f.nolocal).to_string());
                    n.insert(
                        format!("sub[{i}].rap"),
                        u8::from(f.preserve_retain).to_string(),
                    );
                    n.insert(
                        format!("sub[{i}].rh"),
                        (f.retain_forward_rule as u8).to_string(),
                    );
                }
            }
            Packet::SubAck(s) => {
                ack(&mut n, 9, s.pkid);
                for (i, c) in s.return_codes.into_iter().enumerate() {
                    n.insert(format!("codes[{i}]"), (c as u8).to_string());
                }
            }
            Packet::Unsubscribe(u) => {
                ack(&mut n, 10, u.pkid);
                for (i, t) in u.filters.into_iter().enumerate() {
                    n.insert(format!("unsub[{i}]"), t);
                }
            }
            Packet::UnsubAck(u) => {
                ack(&mut n, 11, u.pkid);
                for (i, c) in u.reasons.into_iter().enumerate() {
                    n.insert(format!("codes[{i}]"), (c as u8).to_string());
                }
            }
            Packet::PingReq => drop(n.insert("type".into(), "12".into())),
            Packet::PingResp => drop(n.insert("type".into(), "13".into())),
            Packet::Disconnect(_) => drop(n.insert("type".into(), "14".into())),
        }
    } else {
        use mqttbytes::v4::*;
        let p = match read(&mut buf, 1 << 28) {
            Ok(p) => p,
            Err(e) => return Outcome::Reject(format!("{e:?}")),
        };
        match p {
            Packet::Connect(c) => {
                n.insert("type".into(), "1".into());
                n.insert("keep_alive".into(), c.keep_alive.to_string());
                n.insert("client_id".into(), c.client_id);
                n.insert("clean".into(), u8::from(c.clean_session).to_string());
                if let Some(w) = c.last_will {
                    n.insert("will.topic".into(), w.topic);
                    n.insert("will.payload".into(), hex::encode(&w.message));
                    n.insert("will.qos".into(), qos(w.qos as u8));
                    n.insert("will.retain".into(), u8::from(w.retain).to_string());
                }
                if let Some(l) = c.login {
                    n.insert("username".into(), l.username);
                    n.insert("password".into(), hex::encode(l.password.as_bytes()));
                }
            }
            Packet::ConnAck(c) => {
                n.insert("type".into(), "2".into());
                n.insert(
                    "session_present".into(),
                    u8::from(c.session_present).to_string(),
                );
                n.insert("code".into(), (c.code as u8).to_string());
            }
            Packet::Publish(p) => {
                n.insert("type".into(), "3".into());
                n.insert("dup".into(), u8::from(p.dup).to_string());
                n.insert("qos".into(), qos(p.qos as u8));
                n.insert("retain".into(), u8::from(p.retain).to_string());
                n.insert("topic".into(), p.topic);
                if p.qos as u8 > 0 {
                    n.insert("packet_id".into(), p.pkid.to_string());
                }
                n.insert("payload".into(), hex::encode(&p.payload));
            }
            Packet::PubAck(p) => ack(&mut n, 4, p.pkid),
            Packet::PubRec(p) => ack(&mut n, 5, p.pkid),
            Packet::PubRel(p) => ack(&mut n, 6, p.pkid),
            Packet::PubComp(p) => ack(&mut n, 7, p.pkid),
            Packet::Subscribe(s) => {
                ack(&mut n, 8, s.pkid);
                for (i, f) in s.filters.into_iter().enumerate() {
                    n.insert(format!("sub[{i}].topic"), f.path);
                    n.insert(format!("sub[{i}].qos"), qos(f.qos as u8));
                }
            }
            Packet::SubAck(s) => {
                ack(&mut n, 9, s.pkid);
                for (i, c) in s.return_codes.into_iter().enumerate() {
                    let code = match c {
                        SubscribeReasonCode::Success(q) => q as u8,
                        SubscribeReasonCode::Failure => 0x80,
                    };
                    n.insert(format!("codes[{i}]"), code.to_string());
                }
            }
            Packet::Unsubscribe(u) => {
                ack(&mut n, 10, u.pkid);
                for (i, t) in u.topics.into_iter().enumerate() {
                    n.insert(format!("unsub[{i}]"), t);
                }
            }
            Packet::UnsubAck(u) => ack(&mut n, 11, u.pkid),
            Packet::PingReq => drop(n.insert("type".into(), "12".into())),
            Packet::PingResp => drop(n.insert("type".into(), "13".into())),
            Packet::Disconnect => drop(n.insert("type".into(), "14".into())),
        }
    }
    if !buf.is_empty() {
        return Outcome::Reject(format!("{} byte(s) left over", buf.len()));
    }
    Outcome::Accept(n)
}

fn ack(n: &mut Norm, t: u8, pkid: u16) {
    n.insert("type".into(), t.to_string());
    n.insert("packet_id".into(), pkid.to_string());
}

/// The keys mqttbytes can express (it keeps no protocol name/level, no properties here).
fn mqttbytes_knows(key: &str) -> bool {
    !(key.starts_with("prop.")
        || key.starts_with("will.prop.")
        || key.starts_with("protocol_")
        || key == "reason_code")
}

// ---- comparison --------------------------------------------------------------------------

/// One difference between us and another decoder on one packet.
#[derive(Debug)]
struct Diff<'a> {
    decoder: &'static str,
    item: &'a Item,
    /// Our error diagnostics (empty when we accept).
    our_errors: &'a [&'static str],
    /// `None` for accept/reject differences.
    key: Option<&'a str>,
    ours: Option<&'a str>,
    theirs: Option<&'a str>,
    /// Their rejection message, for accept/reject differences.
    their_error: Option<&'a str>,
}

/// The entry of testdata/divergences.md that explains a difference, or None.
fn allow(d: &Diff<'_>) -> Option<&'static str> {
    let t = d.item.bytes.first().map_or(0, |b| b >> 4);
    let rl = d.item.bytes.get(1).copied().unwrap_or(0);
    let lenient =
        |ids: &[&str]| !d.our_errors.is_empty() && d.our_errors.iter().all(|e| ids.contains(e));
    match (d.decoder, d.key, d.ours, d.theirs) {
        // Property values the spec limits to 0/1 (or Maximum QoS to 0/1): both others accept.
        (_, None, _, _)
            if d.their_error.is_none()
                && lenient(&["property-bool-value", "maximum-qos-value"]) =>
        {
            Some("LENIENT-PROPERTY-VALUES")
        }
        // "MQIsdp" with level 4: we warn (the spec lets a server go on), mqttbytes refuses.
        ("mqttbytes", None, _, _) if d.their_error == Some("InvalidProtocol") && t == 1 => {
            Some("PROTOCOL-NAME-LEVEL-MISMATCH")
        }
        // mqtt-packet: MQTT 3.1 CONNACK read with a Session Present flag.
        ("mqtt-packet" | "mqtt-packet suite", Some("session_present"), None, Some(_))
            if d.item.level == 3 =>
        {
            Some("MP-31-SESSION-PRESENT")
        }
        // mqtt-packet: a v5 CONNACK without Reason Code and/or Property Length is accepted.
        ("mqtt-packet" | "mqtt-packet suite", None, _, _)
            if t == 2
                && d.their_error.is_none()
                && lenient(&[
                    "property-length-missing",
                    "reason-code-not-allowed",
                    "field-overrun",
                ]) =>
        {
            Some("MP-SHORT-V5-CONNACK")
        }
        // mqtt-packet: an AUTH with Remaining Length 0 is refused.
        ("mqtt-packet", None, _, _) if t == 15 && rl == 0 && d.their_error.is_some() => {
            Some("MP-EMPTY-AUTH")
        }
        // mqttbytes: a v5 DISCONNECT of Remaining Length 0 or 1 is refused.
        ("mqttbytes", None, _, _) if t == 14 && rl < 2 && d.their_error.is_some() => {
            Some("MB-SHORT-DISCONNECT")
        }
        // mqttbytes: no AUTH packet.
        ("mqttbytes", None, _, _) if t == 15 && d.their_error.is_some() => Some("MB-NO-AUTH"),
        // mqttbytes: reserved bits are not checked.
        ("mqttbytes", None, _, _)
            if d.their_error.is_none()
                && lenient(&[
                    "reserved-flags",
                    "pubrel-flags",
                    "subscribe-flags",
                    "unsubscribe-flags",
                    "disconnect-flags",
                    "connack-reserved-flags",
                    "subscription-options-reserved",
                ]) =>
        {
            Some("MB-NO-RESERVED-BIT-CHECKS")
        }
        // mqttbytes: user name and password come as a pair.
        ("mqttbytes", Some("username" | "password"), None, Some("")) => Some("MB-LOGIN-PAIR"),
        _ => None,
    }
}

fn compare(
    decoder: &'static str,
    item: &Item,
    our: &(Outcome, Vec<&'static str>),
    theirs: &Outcome,
    knows: &dyn Fn(&str) -> bool,
    div: &mut Divergences,
    tally: &mut Tally,
) {
    tally.packets += 1;
    let mut record = |d: Diff<'_>, tally: &mut Tally| match allow(&d) {
        Some(id) => {
            div.allow(id);
            tally.allowed += 1;
        }
        None => tally.unexplained.push(format!(
            "{decoder}: {} [{}] level {}: {}",
            item.origin,
            hex::encode(&item.bytes[..item.bytes.len().min(48)]),
            item.level,
            match (d.key, d.their_error) {
                (Some(k), _) => format!("{k}: ours {:?}, theirs {:?}", d.ours, d.theirs),
                (None, Some(e)) => format!("we accept, they reject: {e}"),
                (None, None) => format!("we reject ({}), they accept", d.our_errors.join(",")),
            }
        )),
    };
    match (&our.0, theirs) {
        (Outcome::Reject(_), Outcome::Reject(_)) => {
            tally.fields += 1;
            tally.agreed += 1;
        }
        (Outcome::Accept(_), Outcome::Reject(e)) => {
            tally.fields += 1;
            record(
                Diff {
                    decoder,
                    item,
                    our_errors: &our.1,
                    key: None,
                    ours: None,
                    theirs: None,
                    their_error: Some(e),
                },
                tally,
            );
        }
        (Outcome::Reject(_), Outcome::Accept(_)) => {
            tally.fields += 1;
            record(
                Diff {
                    decoder,
                    item,
                    our_errors: &our.1,
                    key: None,
                    ours: None,
                    theirs: None,
                    their_error: None,
                },
                tally,
            );
        }
        (Outcome::Accept(a), Outcome::Accept(b)) => {
            tally.fields += 1;
            tally.agreed += 1; // accept/accept
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (a.get(k), b.get(k));
                if x.is_none() && !knows(k) {
                    continue;
                }
                if x.is_some() && y.is_none() && !knows(k) {
                    continue;
                }
                tally.fields += 1;
                if x == y {
                    tally.agreed += 1;
                    continue;
                }
                record(
                    Diff {
                        decoder,
                        item,
                        our_errors: &our.1,
                        key: Some(k),
                        ours: x.map(|s| s.as_str()),
                        theirs: y.map(|s| s.as_str()),
                        their_error: None,
                    },
                    tally,
                );
            }
        }
    }
}

fn mqtt_packet_knows(_key: &str) -> bool {
    true
}

#[test]
fn mqttbytes_agrees_on_the_corpus() {
    let items = corpus();
    let mut div = Divergences::load();
    let mut tally = Tally::default();
    for it in &items {
        // mqttbytes is told the version by the caller (v4::read or v5::read); a CONNECT
        // states its own, so the caller picks the reader from the CONNECT's level.
        let mut it = it.clone();
        if it.bytes.first().is_some_and(|b| b >> 4 == 1) {
            let d = decode(&it.bytes, &DecodeOptions::new(version(it.level)));
            it.level = match d.version {
                ProtocolVersion::V3_1 => 3,
                ProtocolVersion::V3_1_1 => 4,
                ProtocolVersion::V5 => 5,
            };
        }
        let it = &it;
        if it.level == 3 {
            // mqttbytes has no MQTT 3.1: it refuses "MQIsdp" (see MB-NO-MQTT31); nothing to compare.
            div.allow("MB-NO-MQTT31");
            continue;
        }
        let our = ours(it);
        let theirs = mqttbytes_decode(it);
        compare(
            "mqttbytes",
            it,
            &our,
            &theirs,
            &mqttbytes_knows,
            &mut div,
            &mut tally,
        );
    }
    div.report("mqttbytes");
    tally.print("mqttbytes agreement");
    tally.check("mqttbytes");
}

#[test]
fn mqtt_packet_agrees_on_the_corpus() {
    let Some(nm) = node_modules() else {
        diff_common::tool_missing("node/npm with the npm package mqtt-packet");
        return;
    };
    let items = corpus();
    let results = mqtt_packet_decode(&nm, &items);
    let mut div = Divergences::load();
    let mut tally = Tally::default();
    for (it, r) in items.iter().zip(&results) {
        let our = ours(it);
        let theirs = if r["ok"] == true {
            Outcome::Accept(norm_mqtt_packet(&r["packet"]))
        } else {
            Outcome::Reject(r["error"].as_str().unwrap_or("").to_string())
        };
        compare(
            "mqtt-packet",
            it,
            &our,
            &theirs,
            &mqtt_packet_knows,
            &mut div,
            &mut tally,
        );
    }
    div.report("mqtt-packet");
    tally.print("mqtt-packet agreement");
    tally.check("mqtt-packet");
}

/// mqtt-packet's own test-suite vectors as a corpus for our decoder, without node: the
/// expected packets (data, in testdata/diff/mqtt-packet-vectors.json) against ours.
#[test]
fn mqtt_packet_suite_vectors_decode_as_its_suite_expects() {
    let items: Vec<Item> = corpus()
        .into_iter()
        .filter(|i| i.expected.is_some())
        .collect();
    assert!(items.len() > 100, "the extracted vectors are missing");
    let mut div = Divergences::load();
    let mut tally = Tally::default();
    for it in &items {
        let exp = it.expected.as_ref().unwrap();
        let theirs = match exp.get("error") {
            Some(e) => Outcome::Reject(e.as_str().unwrap_or("").to_string()),
            None => Outcome::Accept(norm_mqtt_packet(exp)),
        };
        let our = ours(it);
        compare(
            "mqtt-packet suite",
            it,
            &our,
            &theirs,
            &|k: &str| k != "type",
            &mut div,
            &mut tally,
        );
    }
    div.report("mqtt-packet suite");
    tally.print("mqtt-packet suite vectors");
    tally.check("mqtt-packet suite");
}
