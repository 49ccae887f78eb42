//! The captures of other projects in ../shared/captures (skipped when the folder is not
//! there; never copied into the repository):
//! - every capture reads, and every TCP payload byte of its MQTT connections ends up in a
//!   packet or an event (gap, undecodable, incomplete);
//! - suricata-verify: the MQTT field values each `test.yaml` lists (what Suricata's parser
//!   logged) are found in the decoded packets;
//! - peafowl (MQTT 3.1) and verimqtt (3.1.1): the packets and field values tshark 4.0.17
//!   shows (`tshark -r FILE -Y mqtt -T json`, written down here so the test needs no tshark).

mod common;

use common::*;
use mqtt_dissect::codec::{Packet, PropValue, Properties, ProtocolVersion};
use mqtt_dissect::dissect::capture::{CaptureConfig, EventKind};
use mqtt_dissect::dissect::version::VersionSource;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn all_captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            all_captures(&p, out);
        } else if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
            out.push(p);
        }
    }
}

/// Every capture reads without error and accounts for every stream byte.
#[test]
fn every_shared_capture_reads_and_accounts_for_every_byte() {
    let Some(root) = shared() else {
        eprintln!("../shared/captures is not there: skipped");
        return;
    };
    let mut files = Vec::new();
    all_captures(&root, &mut files);
    assert!(files.len() >= 30, "{} captures", files.len());
    let mut bytes = 0;
    let mut packets = 0;
    for f in &files {
        let run = dissect_file(f, CaptureConfig::default());
        let what = f.display().to_string();
        bytes += assert_accounted(&run, &what);
        packets += run.packets.len();
        assert!(run.summary.mqtt_connections > 0, "{what}: no MQTT");
        assert!(!run.packets.is_empty(), "{what}: no packets");
        assert_eq!(run.summary.packets as usize, run.packets.len());
        // Lost bytes are only where the capture lost them (checked with tshark: "previous
        // segment not captured" / "ACKed unseen segment").
        let lost_ok = [
            "mqtt-events-invalid-qos",
            "mqtt-events-missing-connect",
            "mqtt-events-unintroduced",
        ];
        if !lost_ok.iter().any(|n| what.contains(n)) {
            assert_eq!(run.summary.gap_bytes, 0, "{what}: gaps");
        }
        assert_eq!(
            run.summary.undecodable_bytes, 0,
            "{what}: undecodable bytes"
        );
    }
    assert!(bytes > 100_000, "{bytes} stream bytes checked");
    assert!(packets > 250, "{packets} packets");
}

// ---- suricata-verify ------------------------------------------------------------------

/// One `filter` of a test.yaml: how many events, and the `mqtt.*` fields they match.
#[derive(Debug)]
struct Filter {
    count: u64,
    fields: Vec<(String, Value)>,
}

/// A test.yaml, read by hand: the files are a fixed shape (`checks:` of `- filter:` with
/// `count:` and `match:` key/value lines), and the values are plain scalars or YAML flow
/// sequences/mappings. Every scalar is kept as a string.
fn parse_test_yaml(text: &str) -> (Option<String>, Vec<Filter>) {
    let mut pcap = None;
    let mut filters: Vec<Filter> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(p) = t.strip_prefix("pcap:") {
            pcap = Some(p.trim().to_string());
        } else if t.starts_with("- filter:") {
            filters.push(Filter {
                count: 0,
                fields: Vec::new(),
            });
        } else if let Some(f) = filters.last_mut() {
            if let Some(c) = t.strip_prefix("count:") {
                f.count = c.trim().parse().unwrap();
            } else if let Some(k) = t.strip_prefix("has-key:") {
                f.fields.push((k.trim().to_string(), Value::Null));
            } else if t.starts_with("mqtt.") {
                let (k, v) = t.split_once(':').unwrap();
                let v = v.trim();
                let value = if v.starts_with('[') || v.starts_with('{') {
                    Flow(v.as_bytes(), 0).value()
                } else {
                    // A plain or quoted scalar: the rest of the line (it may hold brackets).
                    let q = |c: char| v.len() >= 2 && v.starts_with(c) && v.ends_with(c);
                    if q('"') || q('\'') {
                        Value::String(v[1..v.len() - 1].to_string())
                    } else {
                        Value::String(v.to_string())
                    }
                };
                f.fields.push((k.to_string(), value));
            }
        }
    }
    (pcap, filters)
}

/// A YAML flow value.
struct Flow<'a>(&'a [u8], usize);

impl Flow<'_> {
    fn ws(&mut self) {
        while self.1 < self.0.len() && self.0[self.1] == b' ' {
            self.1 += 1;
        }
    }
    fn peek(&self) -> u8 {
        self.0.get(self.1).copied().unwrap_or(0)
    }
    fn value(&mut self) -> Value {
        self.ws();
        match self.peek() {
            b'[' => {
                self.1 += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.peek() == b']' {
                        self.1 += 1;
                        return Value::Array(items);
                    }
                    items.push(self.value());
                    self.ws();
                    if self.peek() == b',' {
                        self.1 += 1;
                    }
                }
            }
            b'{' => {
                self.1 += 1;
                let mut m = Map::new();
                loop {
                    self.ws();
                    if self.peek() == b'}' {
                        self.1 += 1;
                        return Value::Object(m);
                    }
                    let k = self.scalar(b":");
                    self.1 += 1;
                    let v = self.value();
                    m.insert(k, v);
                    self.ws();
                    if self.peek() == b',' {
                        self.1 += 1;
                    }
                }
            }
            _ => Value::String(self.scalar(b",]}")),
        }
    }
    fn scalar(&mut self, stops: &[u8]) -> String {
        self.ws();
        let q = self.peek();
        if q == b'"' || q == b'\'' {
            self.1 += 1;
            let start = self.1;
            while self.peek() != q {
                self.1 += 1;
            }
            let s = String::from_utf8(self.0[start..self.1].to_vec()).unwrap();
            self.1 += 1;
            return s;
        }
        let start = self.1;
        while self.1 < self.0.len() && !stops.contains(&self.0[self.1]) {
            self.1 += 1;
        }
        String::from_utf8(self.0[start..self.1].to_vec())
            .unwrap()
            .trim()
            .to_string()
    }
}

/// Suricata's property names: the spec name in snake case, and each user property as its
/// own key.
fn suricata_props(props: &Properties<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    for p in props.iter() {
        let (k, v) = match p.value {
            PropValue::Pair(k, v) => (text(k.as_bytes()), json!(text(v.as_bytes()))),
            PropValue::Str(s) => (prop_name(p.id), json!(text(s.as_bytes()))),
            // Suricata logs binary data as text.
            PropValue::Binary(b) => (prop_name(p.id), json!(text(b))),
            v => (prop_name(p.id), json!(v.as_u32().unwrap())),
        };
        m.insert(k, v);
    }
    m
}

/// A decoded packet as Suricata's `mqtt` log object: `{type: {field: value}}`.
fn suricata_view(p: &Pkt) -> (String, Map<String, Value>) {
    let d = p.decoded();
    let mut m = Map::new();
    m.insert("qos".into(), json!((d.flags >> 1) & 3));
    m.insert("retain".into(), json!(d.flags & 1 == 1));
    m.insert("dup".into(), json!(d.flags & 8 == 8));
    let v5 = d.version == ProtocolVersion::V5;
    let name = p.type_name().to_ascii_lowercase();
    let Some(packet) = d.packet else {
        return (name, m);
    };
    let props = |m: &mut Map<String, Value>, ps: &Properties<'_>| {
        if v5 {
            m.insert("properties".into(), Value::Object(suricata_props(ps)));
        }
    };
    match &packet {
        Packet::Connect(c) => {
            m.insert(
                "protocol_string".into(),
                json!(text(c.protocol_name.as_bytes())),
            );
            m.insert("protocol_version".into(), json!(c.protocol_level));
            let flags = json!({
                "username": c.username.is_some(),
                "password": c.password.is_some(),
                "will": c.will.is_some(),
                "will_retain": c.will.as_ref().is_some_and(|w| w.retain),
                "clean_session": c.clean_start,
            });
            m.insert("flags".into(), flags);
            m.insert("client_id".into(), json!(text(c.client_id.as_bytes())));
            if let Some(u) = c.username {
                m.insert("username".into(), json!(text(u.as_bytes())));
            }
            if let Some(pw) = c.password {
                m.insert("password".into(), json!(text(pw)));
            }
            if let Some(w) = &c.will {
                let mut wm = Map::new();
                wm.insert("topic".into(), json!(text(w.topic.as_bytes())));
                wm.insert("message".into(), json!(text(w.payload)));
                props(&mut wm, &w.properties);
                m.insert("will".into(), Value::Object(wm));
            }
            props(&mut m, &c.properties);
        }
        Packet::ConnAck(c) => {
            m.insert("session_present".into(), json!(c.session_present));
            m.insert("return_code".into(), json!(c.code.0));
            props(&mut m, &c.properties);
        }
        Packet::Publish(x) => {
            m.insert("topic".into(), json!(text(x.topic.as_bytes())));
            if let Some(id) = x.packet_id {
                m.insert("message_id".into(), json!(id));
            }
            m.insert("message".into(), json!(text(x.payload)));
            // Suricata skips a message over its configured size and logs the packet's
            // whole length.
            m.insert("skipped_length".into(), json!(d.len));
            props(&mut m, &x.properties);
        }
        Packet::PubAck(x) | Packet::PubRec(x) | Packet::PubRel(x) | Packet::PubComp(x) => {
            m.insert("message_id".into(), json!(x.packet_id));
            // Suricata logs the reason code of v5 packets also when it is left out (it
            // is then 0 by the spec), as the typed packet does.
            if v5 {
                m.insert("reason_code".into(), json!(x.reason_code.0));
            }
            props(&mut m, &x.properties);
        }
        Packet::Subscribe(s) => {
            m.insert("message_id".into(), json!(s.packet_id));
            let t: Vec<Value> = s
                .subscriptions
                .iter()
                .map(|x| json!({"topic": text(x.filter.as_bytes()), "qos": x.qos as u8}))
                .collect();
            m.insert("topics".into(), json!(t));
            props(&mut m, &s.properties);
        }
        Packet::SubAck(s) => {
            m.insert("message_id".into(), json!(s.packet_id));
            let c: Vec<u8> = s.codes.iter().map(|c| c.0).collect();
            m.insert("qos_granted".into(), json!(c));
            props(&mut m, &s.properties);
        }
        Packet::Unsubscribe(u) => {
            m.insert("message_id".into(), json!(u.packet_id));
            let t: Vec<String> = u.filters.iter().map(|x| text(x.as_bytes())).collect();
            m.insert("topics".into(), json!(t));
            props(&mut m, &u.properties);
        }
        Packet::UnsubAck(u) => {
            m.insert("message_id".into(), json!(u.packet_id));
            if v5 {
                let c: Vec<u8> = u.codes.iter().map(|c| c.0).collect();
                m.insert("reason_codes".into(), json!(c));
            }
            props(&mut m, &u.properties);
        }
        Packet::Disconnect(x) => {
            if v5 {
                m.insert("reason_code".into(), json!(x.reason_code.0));
            }
            props(&mut m, &x.properties);
        }
        Packet::Auth(a) => {
            m.insert("reason_code".into(), json!(a.reason_code.0));
            props(&mut m, &a.properties);
        }
        Packet::PingReq | Packet::PingResp => {}
    }
    (name, m)
}

/// Compares an expected test.yaml value (strings throughout) with a decoded one.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(w), Value::String(g)) => {
            // Suricata's log limit: "XXXXXXXXXX[truncated 99990 additional bytes]".
            if let Some((prefix, rest)) = w.split_once("[truncated ") {
                let n: usize = rest
                    .strip_suffix(" additional bytes]")
                    .unwrap()
                    .parse()
                    .unwrap();
                return g.starts_with(prefix) && g.len() == prefix.len() + n;
            }
            w == g
        }
        (Value::String(w), Value::Number(n)) => *w == n.to_string(),
        (Value::String(w), Value::Bool(b)) => *w == b.to_string(),
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(a, b)| same(a, b))
        }
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| same(v, gv))),
        _ => false,
    }
}

fn lookup<'v>(m: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut cur = m.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    Some(cur)
}

/// Fields Suricata logs that come from its own configuration, not from the packet.
const SURICATA_ONLY: &[&str] = &["truncated"];

/// Where Suricata's log and the spec disagree, the spec wins: (folder, field, Suricata's
/// value, the value by the spec).
///
/// The v5 DISCONNECT of these captures is `e0 01 04`: Remaining Length 1, so a Reason
/// Code is present and it is 0x04 "Disconnect with Will Message" (§3.14.2.1: only a
/// Remaining Length of 0 means 0x00). Suricata logs 0; tshark shows 4, as the decoder does.
const SPEC_WINS: &[(&str, &str, &str, &str)] = &[
    ("mqtt-sub-rules", "disconnect.reason_code", "0", "4"),
    ("mqtt-unsub-rules", "disconnect.reason_code", "0", "4"),
    ("mqtt5-sub-userpass", "disconnect.reason_code", "0", "4"),
    ("mqtt5-unsub-qos1", "disconnect.reason_code", "0", "4"),
    ("mqtt5-unsub-qos2", "disconnect.reason_code", "0", "4"),
    ("mqtt5-unsub-userpass", "disconnect.reason_code", "0", "4"),
];

fn check_suricata_folder(
    dir: &Path,
    failures: &mut Vec<String>,
    spec_wins_used: &mut usize,
) -> usize {
    let yaml = std::fs::read_to_string(dir.join("test.yaml")).unwrap();
    let (pcap, filters) = parse_test_yaml(&yaml);
    let pcap = match pcap {
        Some(p) => dir.join(p),
        None => {
            let own: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
                .collect();
            match own.as_slice() {
                [p] => p.clone(),
                _ => return 0,
            }
        }
    };
    let run = dissect_file(&pcap, CaptureConfig::default());
    let views: Vec<(String, Map<String, Value>)> = run.packets.iter().map(suricata_view).collect();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut checked = 0;
    for f in filters.iter().filter(|f| f.count > 0) {
        // Group the fields by message: an event may log a request and its answer.
        let mut groups: Vec<(String, Vec<(String, Value)>)> = Vec::new();
        for (k, v) in &f.fields {
            let rest = k.strip_prefix("mqtt.").unwrap();
            let (ty, field) = rest.split_once('.').unwrap_or((rest, ""));
            if SURICATA_ONLY.contains(&field) {
                continue;
            }
            let spec = SPEC_WINS
                .iter()
                .find(|(n, k, sv, _)| *n == name && *k == rest && v.as_str() == Some(sv));
            let v = match spec {
                Some((_, _, _, by_spec)) => {
                    *spec_wins_used += 1;
                    Value::String(by_spec.to_string())
                }
                None => v.clone(),
            };
            match groups.iter_mut().find(|g| g.0 == ty) {
                Some(g) => g.1.push((field.to_string(), v)),
                None => groups.push((ty.to_string(), vec![(field.to_string(), v)])),
            }
        }
        for (ty, fields) in &groups {
            let matching: Vec<usize> = views
                .iter()
                .enumerate()
                .filter(|(_, (n, m))| {
                    n == ty
                        && fields
                            .iter()
                            .all(|(k, v)| k.is_empty() || lookup(m, k).is_some_and(|g| same(v, g)))
                })
                .map(|(i, _)| i)
                .collect();
            if matching.is_empty() {
                failures.push(format!(
                    "{name}: no {ty} packet has {fields:?}; decoded {ty} packets: {:?}",
                    views.iter().filter(|(n, _)| n == ty).collect::<Vec<_>>()
                ));
            }
            checked += fields.len();
        }
    }
    checked
}

#[test]
fn suricata_verify_field_values() {
    let Some(root) = shared() else {
        eprintln!("../shared/captures is not there: skipped");
        return;
    };
    let sv = root.join("suricata-verify");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&sv)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("test.yaml").exists())
        .collect();
    dirs.sort();
    let mut total = 0;
    let mut with_fields = 0;
    let mut failures = Vec::new();
    let mut spec_wins_used = 0;
    for d in &dirs {
        let n = check_suricata_folder(d, &mut failures, &mut spec_wins_used);
        total += n;
        if n > 0 {
            with_fields += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        spec_wins_used,
        SPEC_WINS.len(),
        "every disagreement is still there"
    );
    assert!(with_fields >= 30, "{with_fields} folders with MQTT fields");
    assert!(total >= 600, "{total} field values checked");
}

fn sv_run(folder: &str, file: &str) -> Option<Run> {
    let p = shared()?.join("suricata-verify").join(folder).join(file);
    Some(dissect_file(&p, CaptureConfig::default()))
}

/// mqtt5-pub-mosquittoprops: every CONNECT, will, PUBLISH, PUBACK and DISCONNECT property,
/// in wire order. Suricata logs the payload format indicators 144 (will) and 88 (PUBLISH)
/// without comment; the spec allows only 0 and 1 ([MQTT-3.1.3-*], §3.3.2.3.2), so the
/// decoder keeps the values and flags both packets as errors: the spec wins.
#[test]
fn mosquittoprops_properties_in_order() {
    let Some(run) = sv_run("mqtt5-pub-mosquittoprops", "input.pcap") else {
        return;
    };
    let get = |t: &str| {
        run.packets
            .iter()
            .find(|p| p.type_name() == t)
            .unwrap_or_else(|| panic!("no {t}"))
    };
    let connect = get("CONNECT");
    let Some(Packet::Connect(c)) = connect.decoded().packet else {
        panic!()
    };
    assert_eq!(
        props_json(&c.properties),
        json!([
            {"maximum_packet_size": 11111},
            {"receive_maximum": 222},
            {"session_expiry_interval": 555},
            {"topic_alias_maximum": 666},
            {"user_property": ["userprop1", "userval1"]},
            {"user_property": ["userprop2", "userval2"]},
        ])
    );
    let w = c.will.unwrap();
    assert_eq!(
        props_json(&w.properties),
        json!([
            {"content_type": "mywilltype"},
            {"correlation_data": hex::encode("1234567")},
            {"message_expiry_interval": 133},
            {"payload_format_indicator": 144},
            {"response_topic": "response_topic1"},
            {"user_property": ["userprop5", "userval5"]},
            {"will_delay_interval": 200},
        ])
    );
    assert!(!connect.ok);
    assert_eq!(connect.diags, ["property-bool-value"]);
    let publish = get("PUBLISH");
    let Some(Packet::Publish(x)) = publish.decoded().packet else {
        panic!()
    };
    assert_eq!(x.payload, b"baabaablacksheep");
    assert_eq!(
        props_json(&x.properties),
        json!([
            {"content_type": "mytype"},
            {"correlation_data": hex::encode("12345")},
            {"message_expiry_interval": 77},
            {"payload_format_indicator": 88},
            {"response_topic": "response_topic1"},
            {"topic_alias": 5},
            {"user_property": ["userprop3", "userval3"]},
        ])
    );
    assert!(!publish.ok, "payload format indicator 88 is an error");
    assert_eq!(publish.diags, ["property-bool-value"]);
    let puback = get("PUBACK");
    let Some(Packet::PubAck(a)) = puback.decoded().packet else {
        panic!()
    };
    assert_eq!((a.packet_id, a.reason_code.0), (1, 0x10));
    let disc = get("DISCONNECT");
    let Some(Packet::Disconnect(x)) = disc.decoded().packet else {
        panic!()
    };
    assert_eq!(
        props_json(&x.properties),
        json!([{"session_expiry_interval": 122}, {"user_property": ["userprop4", "userval4"]}])
    );
}

/// The three "events" captures: what Suricata raises as an anomaly, the decoder reports
/// as a diagnostic.
#[test]
fn suricata_event_captures_are_diagnosed() {
    let Some(run) = sv_run("mqtt-events-invalid-qos", "input.pcap") else {
        return;
    };
    let p = run
        .packets
        .iter()
        .find(|p| p.type_name() == "PUBLISH")
        .unwrap();
    assert_eq!(p.diags, ["publish-qos-3"]);
    let run = sv_run("mqtt-events-unassigned-msgtype", "input.pcap").unwrap();
    let p = run.packets.iter().find(|p| !p.ok).unwrap();
    assert_eq!(p.packet_type.0, 0);
    assert_eq!(p.diags, ["reserved-packet-type"]);
    let run = sv_run("mqtt5-excessiveproplen", "input.pcap").unwrap();
    let p = run.packets.iter().find(|p| !p.ok).unwrap();
    assert_eq!(p.type_name(), "CONNECT");
    assert!(
        p.diags.contains(&"field-overrun".to_string()),
        "{:?}",
        p.diags
    );
}

/// mqtt-events-missing-connect: the connection without a CONNECT gets its roles from the
/// CONNACK and an assumed version; the gap on it is reported.
#[test]
fn missing_connect_is_picked_up() {
    let Some(run) = sv_run("mqtt-events-missing-connect", "input.pcap") else {
        return;
    };
    let first = &run.packets[0];
    assert_eq!(first.type_name(), "CONNACK");
    assert_eq!(first.source, VersionSource::Auto);
    let c = run.conn(first.conn);
    assert_eq!(c.client_id, None);
    assert_eq!(
        c.client_basis,
        mqtt_dissect::dissect::capture::ClientBasis::ConnAck
    );
    let gaps = run.events_where(|k| matches!(k, EventKind::Gap { len: 16, .. }));
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].conn, Some(first.conn));
    let types: Vec<&str> = run
        .packets_of(first.conn)
        .iter()
        .map(|p| p.type_name())
        .collect();
    assert_eq!(
        types,
        [
            "CONNACK",
            "SUBSCRIBE",
            "SUBACK",
            "SUBSCRIBE",
            "SUBACK",
            "PUBLISH",
            "PUBREC",
            "PUBLISH",
            "PUBREC",
            "PUBREL",
            "PUBCOMP",
            "PUBREL",
            "PUBLISH",
            "PUBACK",
            "PUBCOMP",
            "DISCONNECT"
        ]
    );
}

/// mqtt-midstream-split: the capture starts mid-connection (no SYN, no CONNECT).
#[test]
fn midstream_split() {
    let Some(run) = sv_run("mqtt-midstream-split", "mqtt-midstream-split.pcap") else {
        return;
    };
    assert_eq!(run.types(), ["CONNACK", "PUBLISH", "DISCONNECT"]);
    let c = run.conn(run.packets[0].conn);
    assert!(!c.syn_seen);
    for p in &run.packets {
        assert_ne!(p.source, VersionSource::Connect);
        assert!(p.direction.is_some());
    }
}

// ---- peafowl and verimqtt, against tshark -----------------------------------------------

/// (frame, type, fields) per packet as tshark 4.0.17 shows them.
fn check_against(run: &Run, want: &[(u64, &str, Value)]) {
    let got: Vec<(u64, &str)> = run
        .packets
        .iter()
        .map(|p| (p.frame, p.type_name()))
        .collect();
    let w: Vec<(u64, &str)> = want.iter().map(|(f, t, _)| (*f, *t)).collect();
    assert_eq!(got, w);
    for (p, (_, _, fields)) in run.packets.iter().zip(want) {
        assert!(p.ok, "frame {}: {:?}", p.frame, p.diags);
        let (_, view) = suricata_view(p);
        for (k, v) in fields.as_object().unwrap() {
            assert_eq!(
                lookup(&view, k),
                Some(v),
                "frame {} {}: {k}",
                p.frame,
                p.type_name()
            );
        }
    }
}

/// peafowl: one MQTT 3.1 session (MQIsdp, level 3) with paho against a public broker,
/// captured without the handshakes, as pcapng and as pcap. Frame 9 holds a PUBLISH and a
/// DISCONNECT.
#[test]
fn peafowl_mqtt31_session() {
    let Some(root) = shared() else { return };
    let connect = |id: &str| {
        json!({"protocol_string": "MQIsdp", "protocol_version": 3, "client_id": id,
               "flags": {"clean_session": true, "username": false, "password": false,
                         "will": false, "will_retain": false}})
    };
    let ok = json!({"return_code": 0, "session_present": false});
    let ping = json!({"qos": 0});
    let mut want: Vec<(u64, &str, Value)> = vec![
        (1, "CONNECT", connect("paho/34AAE54A75D839566E")),
        (2, "CONNACK", ok.clone()),
        (
            3,
            "SUBSCRIBE",
            json!({"qos": 1, "message_id": 1, "topics": [{"topic": "SampleTopic", "qos": 0}]}),
        ),
        (4, "SUBACK", json!({"message_id": 1, "qos_granted": [0]})),
        (
            5,
            "PUBLISH",
            json!({"topic": "SampleTopic", "qos": 0, "retain": true, "dup": false,
                               "message": "Hello from the Paho blocking client"}),
        ),
        (6, "PINGREQ", ping.clone()),
        (7, "PINGRESP", ping.clone()),
        (8, "CONNECT", connect("paho/DDE4DDAF4108D3E363")),
        (
            9,
            "PUBLISH",
            json!({"topic": "SampleTopic", "qos": 0, "retain": false, "message": "Hello MQTT"}),
        ),
        (9, "DISCONNECT", json!({})),
        (10, "CONNACK", ok),
        (
            11,
            "PUBLISH",
            json!({"topic": "SampleTopic", "qos": 0, "retain": false, "message": "Hello MQTT"}),
        ),
    ];
    for f in 12..=19 {
        want.push((
            f,
            if f % 2 == 0 { "PINGREQ" } else { "PINGRESP" },
            ping.clone(),
        ));
    }
    for f in ["peafowl/mqtt-1.pcapng", "peafowl/mqtt-2.pcap"] {
        let run = dissect_file(&root.join(f), CaptureConfig::default());
        assert_accounted(&run, f);
        check_against(&run, &want);
        for p in &run.packets {
            assert_eq!(p.version, ProtocolVersion::V3_1, "{f}");
            assert_eq!(p.source, VersionSource::Connect, "{f}");
        }
        let conns = run.mqtt_conns();
        assert_eq!(conns.len(), 2);
        assert!(!conns[0].syn_seen);
        assert_eq!(conns[0].keep_alive, Some(5));
        assert_eq!(conns[0].client().unwrap().to_string(), "10.0.1.4:49327");
        assert_eq!(conns[0].server().unwrap().to_string(), "198.41.30.241:1883");
    }
}

/// verimqtt: mosquitto_sub and mosquitto_pub (3.1.1) on loopback.
#[test]
fn verimqtt_mqtt311_session() {
    let Some(root) = shared() else { return };
    let connect = |id: &str| {
        json!({"protocol_string": "MQTT", "protocol_version": 4, "client_id": id,
               "flags": {"clean_session": true, "username": false, "password": false,
                         "will": false, "will_retain": false}})
    };
    let ok = json!({"return_code": 0, "session_present": false});
    let msg = json!({"topic": "test/topic", "qos": 0, "retain": false, "dup": false, "message": "hello mqtt"});
    let want: Vec<(u64, &str, Value)> = vec![
        (19, "CONNECT", connect("mosq-jAwkpCVk9MqvATBMXb")),
        (21, "CONNACK", ok.clone()),
        (
            23,
            "SUBSCRIBE",
            json!({"qos": 1, "message_id": 1, "topics": [{"topic": "test/topic", "qos": 0}]}),
        ),
        (25, "SUBACK", json!({"message_id": 1, "qos_granted": [0]})),
        (35, "CONNECT", connect("mosq-eCw9D14tQ5HCbVaRzn")),
        (37, "CONNACK", ok),
        (39, "PUBLISH", msg.clone()),
        (41, "DISCONNECT", json!({})),
        (45, "PUBLISH", msg),
    ];
    let run = dissect_file(&root.join("verimqtt/mqtt.pcapng"), CaptureConfig::default());
    assert_accounted(&run, "verimqtt");
    check_against(&run, &want);
    let conns: Vec<u64> = run.packets.iter().map(|p| p.conn).collect();
    assert_eq!(conns, [1, 1, 1, 1, 2, 2, 2, 2, 1]);
    for p in &run.packets {
        assert_eq!(p.version, ProtocolVersion::V3_1_1);
        assert_eq!(p.source, VersionSource::Connect);
    }
}
