//! The repository's own captures (testdata/captures, made by make-captures.sh with
//! mosquitto, aedes, paho and mosquitto_pub/sub) through the capture dissector, asserted
//! against their `<name>.expected.json`: packet counts per type, and per connection in
//! order its client id, protocol level, user name, and every packet of each direction with
//! the fields the expected file lists (topic, QoS, flags, packet id, codes, payload, will,
//! v5 properties in wire order), the frame it completed in, the segments it crossed, the
//! frames that carried several packets, and who closed the connection.
//!
//! Frame numbers: testdata/captures/README.md says `frame` differs between regenerations,
//! but each expected file is written from its own capture in the same run, so for the
//! committed pair they hold, and they are compared. The same goes for the other fields the
//! README lists as run-dependent (s2c segmentation, first_fin, message expiry 299/300).

mod common;

use common::*;
use mqtt_dissect::codec::{Packet, ProtocolVersion};
use mqtt_dissect::dissect::capture::{CaptureConfig, ConnKind, EventKind};
use mqtt_dissect::dissect::tls_decrypt::KeyLog;
use mqtt_dissect::dissect::version::VersionSource;
use mqtt_dissect::transport::{CloseKind, Side};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn load(name: &str) -> Value {
    let p = testdata(name);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn config_for(exp: &Value) -> CaptureConfig {
    let port = exp["broker_port"].as_u64().expect("broker_port") as u16;
    let mut cfg = CaptureConfig::default();
    if !cfg.mqtt_ports.contains(&port) && !cfg.tls_ports.contains(&port) {
        cfg.mqtt_ports.push(port);
    }
    // A capture of MQTT over TLS comes with the key log its clients wrote.
    let file = exp["file"].as_str().expect("file");
    let keylog = testdata(&format!(
        "{}.keylog",
        file.rsplit_once('.').map_or(file, |p| p.0)
    ));
    if let Ok(text) = std::fs::read_to_string(keylog) {
        cfg.tls_keys = Some(std::sync::Arc::new(KeyLog::parse(&text)));
    }
    cfg
}

/// A payload in the expected file's shape (which of the three is chosen by `want`).
fn payload_json(payload: &[u8], want: &Value) -> Value {
    let mut m = Map::new();
    if want.get("text").is_some() {
        m.insert("text".into(), json!(text(payload)));
    }
    if want.get("hex").is_some() {
        m.insert("hex".into(), json!(hex::encode(payload)));
    }
    m.insert("len".into(), json!(payload.len()));
    if want.get("sha256").is_some() {
        m.insert("sha256".into(), json!(sha256(payload)));
    }
    if let Some(prefix) = want.get("hex_prefix").and_then(Value::as_str) {
        let n = (prefix.len() / 2).min(payload.len());
        m.insert("hex_prefix".into(), json!(hex::encode(&payload[..n])));
    }
    Value::Object(m)
}

fn opt_str(s: Option<mqtt_dissect::codec::MqttStr<'_>>) -> Value {
    match s {
        Some(s) => json!(text(s.as_bytes())),
        None => Value::Null,
    }
}

/// The decoded packet in the expected files' record shape (the keys expect.py writes for
/// its type). `want` is the expected record, consulted only for the payload's shape.
fn actual_record(run: &Run, p: &Pkt, want: &Map<String, Value>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("frame".into(), json!(p.frame));
    r.insert("type".into(), json!(p.type_name()));
    let frames = run
        .data_frames
        .get(&(p.conn, p.side))
        .map(|f| {
            f.iter()
                .filter(|&&x| x >= p.first_frame && x <= p.frame)
                .count()
        })
        .unwrap_or(0);
    r.insert("segments".into(), json!(frames));
    let d = p.decoded();
    let v5 = d.version == ProtocolVersion::V5;
    let rl = d.remaining_length.unwrap_or(0);
    let Some(packet) = &d.packet else {
        // A CONNECT with a protocol level no version has: the decoder stops after the
        // level (the layout of what follows is unknown), so only the name and level exist.
        if p.type_name() == "CONNECT" {
            let mut i = 1;
            while p.bytes[i] & 0x80 != 0 {
                i += 1;
            }
            let n = u16::from_be_bytes([p.bytes[i + 1], p.bytes[i + 2]]) as usize;
            r.insert(
                "protocol_name".into(),
                json!(text(&p.bytes[i + 3..i + 3 + n])),
            );
            r.insert("protocol_level".into(), json!(p.bytes[i + 3 + n]));
        }
        r.insert("undecoded".into(), json!(p.diags));
        return r;
    };
    match packet {
        Packet::Connect(c) => {
            r.insert(
                "protocol_name".into(),
                json!(text(c.protocol_name.as_bytes())),
            );
            r.insert("protocol_level".into(), json!(c.protocol_level));
            r.insert("client_id".into(), json!(text(c.client_id.as_bytes())));
            r.insert("clean".into(), json!(c.clean_start));
            r.insert("keep_alive".into(), json!(c.keep_alive));
            r.insert("username".into(), opt_str(c.username));
            r.insert("password_present".into(), json!(c.password.is_some()));
            if let Some(w) = &c.will {
                let mut wm = Map::new();
                wm.insert("topic".into(), json!(text(w.topic.as_bytes())));
                let want_payload = &want["will"]["payload"];
                wm.insert("payload".into(), payload_json(w.payload, want_payload));
                wm.insert("qos".into(), json!(w.qos as u8));
                wm.insert("retain".into(), json!(w.retain));
                if v5 {
                    wm.insert("properties".into(), props_json(&w.properties));
                }
                r.insert("will".into(), Value::Object(wm));
            }
            if v5 {
                r.insert("properties".into(), props_json(&c.properties));
            }
        }
        Packet::ConnAck(c) => {
            r.insert("session_present".into(), json!(c.session_present));
            r.insert("code".into(), json!(c.code.0));
            if v5 {
                r.insert("properties".into(), props_json(&c.properties));
            }
        }
        Packet::Publish(x) => {
            r.insert("qos".into(), json!(x.qos as u8));
            r.insert("retain".into(), json!(x.retain));
            r.insert("dup".into(), json!(x.dup));
            r.insert("topic".into(), json!(text(x.topic.as_bytes())));
            if let Some(id) = x.packet_id {
                r.insert("packet_id".into(), json!(id));
            }
            r.insert(
                "payload".into(),
                payload_json(x.payload, want.get("payload").unwrap_or(&Value::Null)),
            );
            if v5 {
                r.insert("properties".into(), props_json(&x.properties));
            }
        }
        Packet::PubAck(x) | Packet::PubRec(x) | Packet::PubRel(x) | Packet::PubComp(x) => {
            r.insert("packet_id".into(), json!(x.packet_id));
            // v5: the reason code is on the wire only when the Remaining Length is > 2.
            if v5 && rl > 2 {
                r.insert("reason_code".into(), json!(x.reason_code.0));
            }
            if v5 && rl > 3 {
                r.insert("properties".into(), props_json(&x.properties));
            }
        }
        Packet::Subscribe(s) => {
            r.insert("packet_id".into(), json!(s.packet_id));
            let f: Vec<Value> = s
                .subscriptions
                .iter()
                .map(|x| json!({"filter": text(x.filter.as_bytes()), "qos": x.qos as u8}))
                .collect();
            r.insert("filters".into(), json!(f));
            if v5 {
                r.insert("properties".into(), props_json(&s.properties));
            }
        }
        Packet::SubAck(s) => {
            r.insert("packet_id".into(), json!(s.packet_id));
            let c: Vec<u8> = s.codes.iter().map(|c| c.0).collect();
            r.insert("codes".into(), json!(c));
            if v5 {
                r.insert("properties".into(), props_json(&s.properties));
            }
        }
        Packet::Unsubscribe(u) => {
            r.insert("packet_id".into(), json!(u.packet_id));
            let f: Vec<String> = u.filters.iter().map(|x| text(x.as_bytes())).collect();
            r.insert("filters".into(), json!(f));
            if v5 {
                r.insert("properties".into(), props_json(&u.properties));
            }
        }
        Packet::UnsubAck(u) => {
            r.insert("packet_id".into(), json!(u.packet_id));
            if v5 {
                let c: Vec<u8> = u.codes.iter().map(|c| c.0).collect();
                r.insert("codes".into(), json!(c));
                r.insert("properties".into(), props_json(&u.properties));
            }
        }
        Packet::Disconnect(x) => {
            if v5 && rl > 0 {
                r.insert("reason_code".into(), json!(x.reason_code.0));
            }
            if v5 {
                r.insert("properties".into(), props_json(&x.properties));
            }
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Auth(a) => {
            r.insert("reason_code".into(), json!(a.reason_code.0));
            r.insert("properties".into(), props_json(&a.properties));
        }
    }
    r
}

/// Keys of the expected records that are not compared, and why.
const NOT_COMPARED: &[&str] = &[
    // tshark's own alias resolution; the decoder shows the topic as sent (empty) and the
    // alias property, which are compared.
    "topic_resolved_by_tshark",
];

fn side_name(c: &mqtt_dissect::dissect::capture::ConnInfo, side: Option<Side>) -> Value {
    match (side, c.client_side) {
        (Some(s), Some(cs)) if s == cs => json!("client"),
        (Some(_), Some(_)) => json!("broker"),
        _ => json!(format!("{side:?}")),
    }
}

fn check_capture(expected_name: &str) {
    let exp = load(expected_name);
    let file = exp["file"].as_str().unwrap();
    let run = dissect_file(&testdata(file), config_for(&exp));
    let by_tshark = exp["mqtt_decoded_by"] == "tshark";
    let mut errors: Vec<String> = Vec::new();
    let mut err = |s: String| errors.push(s);

    assert_eq!(
        run.capture.frames,
        exp["frames"].as_u64().unwrap(),
        "{file}: frames"
    );
    assert_accounted(&run, file);
    assert_eq!(
        run.summary.gap_bytes, 0,
        "{file}: loopback captures lose nothing"
    );
    assert_eq!(
        run.summary.undecodable_bytes, 0,
        "{file}: every byte decodes"
    );

    let want_counts: BTreeMap<String, u64> =
        serde_json::from_value(exp["mqtt_packet_counts"].clone()).unwrap();
    assert_eq!(run.counts(), want_counts, "{file}: MQTT packets per type");

    let conns = run.mqtt_conns();
    let want_conns = exp["connections"].as_array().unwrap();
    let got_ids: Vec<Option<&str>> = conns.iter().map(|c| c.client_id.as_deref()).collect();
    let want_ids: Vec<Option<&str>> = want_conns
        .iter()
        // A CONNECT with an unknown level is read with the layout its bytes fit (see
        // unknown_level below), so its client id is known too.
        .map(|c| c["client_id"].as_str())
        .collect();
    assert_eq!(got_ids, want_ids, "{file}: client ids in connection order");

    for (i, (c, w)) in conns.iter().zip(want_conns).enumerate() {
        let at = format!("{file} connection {i} (#{}, {:?})", c.id, c.client_id);
        // Version and user name as remembered for the connection.
        let level = c.connect_level.map(|(l, _)| l);
        if Some(level.map_or(Value::Null, |l| json!(l))) != w.get("protocol_level").cloned() {
            err(format!(
                "{at}: protocol level {level:?}, want {}",
                w["protocol_level"]
            ));
        }
        if json!(c.username) != w["username"] {
            err(format!(
                "{at}: username {:?}, want {}",
                c.username, w["username"]
            ));
        }
        if c.a.addr.is_ipv6() != w["ipv6"].as_bool().unwrap() {
            err(format!("{at}: ipv6 {}", c.a.addr.is_ipv6()));
        }
        assert!(c.syn_seen, "{at}: handshake seen");
        let pkts = run.packets_of(c.id);
        // A CONNECT whose level is no MQTT version (refused-protocol-version: levels 6 and
        // 0) carries the error protocol-level-unknown; the rest is read with the layout its
        // bytes fit (3.1.1 here, as tshark does), so the client id is known.
        let unknown_level = pkts
            .iter()
            .any(|p| p.diags.iter().any(|d| d == "protocol-level-unknown"));
        for p in &pkts {
            assert!(p.direction.is_some(), "{at}: roles known");
            let refused_connack = p.type_name() == "CONNACK"
                && p.version == ProtocolVersion::V3_1_1
                && p.bytes == [0x20, 2, 0, 1];
            if p.source != VersionSource::Connect {
                // Without a usable CONNECT the version is assumed; a 3.1.1-style refusal
                // (return code 1) of a v5 or unknown-level CONNECT is read as 3.1.1.
                if !(c.version.is_none() || refused_connack) {
                    err(format!(
                        "{at}: frame {} version {:?} ({:?})",
                        p.frame, p.source, p.reason
                    ));
                }
            }
            if refused_connack && c.version == Some(ProtocolVersion::V5) {
                let why = p.reason.as_deref().unwrap_or("");
                assert!(
                    why.contains("the server answered in the version it speaks"),
                    "{why}"
                );
            }
            let excused = unknown_level && p.type_name() == "CONNECT";
            if !p.ok && !excused {
                err(format!("{at}: frame {} has errors: {:?}", p.frame, p.diags));
            }
        }
        for (dir, c2s) in [("c2s", true), ("s2c", false)] {
            let got: Vec<&&Pkt> = pkts.iter().filter(|p| p.c2s() == c2s).collect();
            let want = w[dir].as_array().unwrap();
            let gt: Vec<&str> = got.iter().map(|p| p.type_name()).collect();
            let wt: Vec<&str> = want.iter().map(|x| x["type"].as_str().unwrap()).collect();
            if gt != wt {
                err(format!("{at} {dir}: packet types {gt:?}, want {wt:?}"));
                continue;
            }
            for (k, (p, wp)) in got.iter().zip(want).enumerate() {
                let wp = wp.as_object().unwrap();
                let actual = actual_record(&run, p, wp);
                for (key, wv) in wp {
                    if NOT_COMPARED.contains(&key.as_str()) {
                        continue;
                    }
                    if actual.contains_key("undecoded")
                        && ![
                            "type",
                            "frame",
                            "segments",
                            "protocol_name",
                            "protocol_level",
                        ]
                        .contains(&key.as_str())
                    {
                        // Past an unknown protocol level: see unknown_level.
                        assert_eq!(actual["undecoded"], json!(["protocol-level-unknown"]));
                        continue;
                    }
                    match actual.get(key) {
                        Some(av) if av == wv => {}
                        Some(av) => err(format!(
                            "{at} {dir}[{k}] {} frame {}: {key} = {av}, want {wv}",
                            p.type_name(),
                            p.frame
                        )),
                        None => err(format!(
                            "{at} {dir}[{k}] {} frame {}: no {key} (want {wv}); decoded {actual:?}",
                            p.type_name(),
                            p.frame
                        )),
                    }
                }
            }
            // Frames that completed several packets, and packets reassembled from several
            // segments.
            let mut per_frame: BTreeMap<u64, u64> = BTreeMap::new();
            for p in &got {
                *per_frame.entry(p.frame).or_default() += 1;
            }
            let several: Vec<Value> = per_frame
                .iter()
                .filter(|(_, &n)| n > 1)
                .map(|(f, n)| json!({"frame": f, "mqtt_packets": n}))
                .collect();
            // These two lists are tshark's view; where expect.py decoded the MQTT itself
            // (split-varint) they hold tshark's wrong reassembly, and the per-packet
            // `segments` above is the check.
            if by_tshark && json!(several) != w["frames_with_several_mqtt_packets"][dir] {
                err(format!(
                    "{at} {dir}: frames with several packets {several:?}, want {}",
                    w["frames_with_several_mqtt_packets"][dir]
                ));
            }
            let mut reassembled: Vec<Value> = Vec::new();
            for p in got.iter().filter(|p| p.first_frame < p.frame) {
                if reassembled
                    .last()
                    .is_some_and(|l| l["frame"] == json!(p.frame))
                {
                    continue;
                }
                let segs = actual_record(&run, p, &Map::new())["segments"].clone();
                reassembled.push(
                    json!({"frame": p.frame, "segments": segs, "first_packet": p.type_name()}),
                );
            }
            if by_tshark && json!(reassembled) != w["reassembled"][dir] {
                err(format!(
                    "{at} {dir}: reassembled {reassembled:?}, want {}",
                    w["reassembled"][dir]
                ));
            }
        }
        // Who closed the connection.
        let closes = closes(&run, c.id);
        let first_fin = closes
            .iter()
            .find(|(_, k, _)| *k == CloseKind::Fin)
            .map_or(Value::Null, |(s, _, _)| side_name(c, *s));
        if first_fin != w["first_fin"] {
            err(format!(
                "{at}: first FIN from {first_fin}, want {}",
                w["first_fin"]
            ));
        }
        let mut rst: Vec<Value> = Vec::new();
        for (s, k, _) in &closes {
            let n = side_name(c, *s);
            if *k == CloseKind::Rst && !rst.contains(&n) {
                rst.push(n);
            }
        }
        if json!(rst) != w["rst_from"] {
            err(format!("{at}: RST from {rst:?}, want {}", w["rst_from"]));
        }
    }
    assert!(
        errors.is_empty(),
        "{file}: {} mismatch(es):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

macro_rules! captures {
    ($($test:ident => $file:literal,)*) => {
        $(#[test] fn $test() { check_capture($file); })*
        const COVERED: &[&str] = &[$($file),*];
    };
}

captures! {
    aedes_tcp => "aedes-tcp.expected.json",
    bad_credentials => "bad-credentials.expected.json",
    burst => "burst.expected.json",
    ipv6 => "ipv6.expected.json",
    keepalive_expiry => "keepalive-expiry.expected.json",
    large_payload => "large-payload.expected.json",
    no_disconnect_will => "no-disconnect-will.expected.json",
    protocol_errors => "protocol-errors.expected.json",
    refused_protocol_version => "refused-protocol-version.expected.json",
    session_takeover => "session-takeover.expected.json",
    split_varint => "split-varint.expected.json",
    unacked_qos => "unacked-qos.expected.json",
    v31_session => "v31-session.expected.json",
    v311_session_any_sll => "v311-session-any-sll.expected.json",
    v311_session_any_sll2 => "v311-session-any-sll2.expected.json",
    v311_session_nano => "v311-session-nano.expected.json",
    v311_session_pcapng => "v311-session.expected.json",
    v5_properties => "v5-properties.expected.json",
    v5_session => "v5-session.expected.json",
    vxlan => "vxlan.expected.json",
    tls_keylog => "tls-keylog.expected.json",
    tls_ccm => "tls-ccm.expected.json",
    tunnels => "tunnels.expected.json",
}

/// Every expected file in testdata/captures has a test above (ws-aedes has its own).
#[test]
fn every_expected_file_is_tested() {
    let dir = testdata("");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".expected.json")
            && name != "ws-aedes.expected.json"
            && !COVERED.contains(&name.as_str())
        {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "expected files without a test: {missing:?}"
    );
}

/// MQTT over WebSocket is another issue: for now the capture reads without error, its
/// connections are not mistaken for MQTT on port 1884, and nothing is reported as MQTT.
#[test]
fn ws_aedes_reads() {
    let exp = load("ws-aedes.expected.json");
    let run = dissect_file(&testdata("ws-aedes.pcap"), CaptureConfig::default());
    assert_eq!(run.capture.frames, exp["frames"].as_u64().unwrap());
    assert!(run.capture.tcp.connections > 0);
    assert_accounted(&run, "ws-aedes.pcap");
}

/// v311-session.pcap is the same run as the pcapng (the expected file describes the
/// pcapng; tcpdump and dumpcap recorded the same packets): everything but frame
/// numbers matches.
#[test]
fn v311_session_pcap_matches_the_pcapng() {
    let a = dissect_file(&testdata("v311-session.pcap"), CaptureConfig::default());
    let b = dissect_file(&testdata("v311-session.pcapng"), CaptureConfig::default());
    assert_eq!(a.capture.format, "pcap");
    assert_eq!(b.capture.format, "pcapng");
    let strip = |r: &Run| -> Vec<(u64, bool, Vec<u8>, Option<String>)> {
        r.packets
            .iter()
            .map(|p| (p.conn, p.c2s(), p.bytes.clone(), p.client_id.clone()))
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(a.counts(), b.counts());
    assert_eq!(a.packets.len(), 32);
}

/// The large publish: 17,000 bytes, 3-byte Remaining Length, 18 client segments.
#[test]
fn large_payload_details() {
    let run = dissect_file(&testdata("large-payload.pcap"), CaptureConfig::default());
    let big: Vec<&Pkt> = run
        .packets
        .iter()
        .filter(|p| p.type_name() == "PUBLISH")
        .collect();
    assert_eq!(big.len(), 2);
    for p in &big {
        let d = p.decoded();
        assert_eq!(d.remaining_length, Some(17000 + 12 + 2));
        // 17014 as a Variable Byte Integer: 0x76|0x80, 0x04|0x80, 0x01.
        assert_eq!(&p.bytes[..4], &[0x32, 0xf6, 0x84, 0x01]);
        assert!(p.first_frame < p.frame);
        let Some(Packet::Publish(x)) = d.packet else {
            panic!()
        };
        assert_eq!(x.payload.len(), 17000);
    }
    assert_eq!(run.summary.packets, 12);
}

/// The three split PUBLISHes: the first segment ends in the Remaining Length, after the
/// first byte, and inside the topic.
#[test]
fn split_varint_first_segments() {
    let run = dissect_file(&testdata("split-varint.pcap"), CaptureConfig::default());
    let pubs: Vec<&Pkt> = run
        .packets
        .iter()
        .filter(|p| p.type_name() == "PUBLISH" && p.c2s() && p.first_frame < p.frame)
        .collect();
    let topics: Vec<String> = pubs
        .iter()
        .map(|p| match p.decoded().packet {
            Some(Packet::Publish(x)) => text(x.topic.as_bytes()),
            _ => panic!(),
        })
        .collect();
    assert_eq!(topics, ["split/at-2", "split/at-1", "split/at-6"]);
    for p in &pubs {
        // Fixed header, 2-byte Remaining Length (214), topic, packet id, payload.
        assert_eq!(p.bytes.len(), 1 + 2 + 2 + 10 + 2 + 200);
        // The first segment held 2, 1 or 6 bytes of it.
        let first = run.data_frames[&(p.conn, p.side)]
            .iter()
            .filter(|&&f| f >= p.first_frame && f <= p.frame)
            .count();
        assert_eq!(first, 2);
    }
}

/// Refused protocol versions: the connection remembers the level asked for (6, 3, 4 with
/// MQIsdp, 0) and the CONNACKs decode as 3.1.1-style return code 1.
#[test]
fn refused_levels_are_remembered() {
    let run = dissect_file(
        &testdata("refused-protocol-version.pcap"),
        CaptureConfig::default(),
    );
    let levels: Vec<Option<(u8, bool)>> =
        run.mqtt_conns().iter().map(|c| c.connect_level).collect();
    assert_eq!(
        levels,
        [
            Some((6, false)),
            Some((3, false)),
            Some((4, true)),
            Some((0, false))
        ]
    );
    for c in run.mqtt_conns() {
        assert_eq!(c.kind, ConnKind::Mqtt);
    }
    let connacks: Vec<Vec<u8>> = run
        .packets
        .iter()
        .filter(|p| p.type_name() == "CONNACK")
        .map(|p| p.bytes.clone())
        .collect();
    assert_eq!(connacks, vec![vec![0x20, 2, 0, 1]; 4]);
}

/// Session takeover and keep-alive expiry end without a broker DISCONNECT: FIN events.
#[test]
fn closes_are_events() {
    let run = dissect_file(&testdata("session-takeover.pcap"), CaptureConfig::default());
    let fins = run.events_where(|k| {
        matches!(
            k,
            EventKind::Closed {
                kind: CloseKind::Fin
            }
        )
    });
    assert_eq!(fins.len(), 8, "two FINs per connection");
    for e in fins {
        assert!(e.message.starts_with("FIN: the "), "{}", e.message);
    }
}
