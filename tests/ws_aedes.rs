//! testdata/captures/ws-aedes.pcap: real MQTT over WebSocket (aedes behind `ws`, paho and
//! the npm mqtt client, which sends packets as many 1–2-byte frames). The MQTT decoded out
//! of the WebSocket frames matches the expected file written from the capture run.

use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig};
use mqtt_dissect::present::capture::record_json;
use mqtt_dissect::present::Options;
use mqtt_dissect::transport::TransportConfig;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(path("ws-aedes.expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn records() -> (Vec<Value>, mqtt_dissect::dissect::capture::DissectSummary) {
    let file = std::fs::File::open(path("ws-aedes.pcap")).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    let (_, sum) = dissect_capture(
        std::io::BufReader::new(file),
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut |r| {
            i += 1;
            out.push(record_json(r, i, &Options::default()));
        },
    )
    .unwrap();
    (out, sum)
}

/// The field of a decoded packet's tree, by name (first match, depth first).
fn field<'a>(fields: &'a Value, name: &str) -> Option<&'a Value> {
    for f in fields.as_array()? {
        let n = f["field"].as_str().unwrap_or("");
        if n == name || n.ends_with(&format!(".{name}")) {
            return Some(&f["value"]);
        }
        if let Some(v) = field(&f["children"], name) {
            return Some(v);
        }
    }
    None
}

#[test]
fn mqtt_over_websocket_matches_the_expected_file() {
    let exp = expected();
    let (recs, sum) = records();
    let packets: Vec<&Value> = recs.iter().filter(|r| r["record"] == "packet").collect();

    // Counts per type.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for p in &packets {
        *counts
            .entry(p["packet"]["type"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let want: BTreeMap<String, u64> =
        serde_json::from_value(exp["mqtt_packet_counts"].clone()).unwrap();
    assert_eq!(counts, want);
    assert_eq!(sum.websocket_connections, 6);
    assert_eq!(sum.mqtt_connections, 6);
    assert_eq!(sum.other_connections, 0);
    assert_eq!(sum.undecodable_bytes, 0);
    assert_eq!(sum.packets_with_errors, 0);
    assert!(packets
        .iter()
        .all(|p| p["packet"]["diagnostics"].as_array().unwrap().is_empty()));

    // Per connection, in order: client id, and each direction's packets with the frame that
    // completed them and their key fields.
    let mut conn_ids: Vec<u64> = Vec::new();
    for p in &packets {
        let id = p["connection"]["id"].as_u64().unwrap();
        if !conn_ids.contains(&id) {
            conn_ids.push(id);
        }
    }
    let conns = exp["connections"].as_array().unwrap();
    assert_eq!(conn_ids.len(), conns.len());
    for (id, ec) in conn_ids.iter().zip(conns) {
        let mine: Vec<&&Value> = packets
            .iter()
            .filter(|p| p["connection"]["id"] == *id)
            .collect();
        let client_id = ec["client_id"].as_str().unwrap();
        assert_eq!(mine.last().unwrap()["connection"]["client_id"], client_id);
        assert_eq!(mine[0]["connection"]["transport"], "websocket");
        for (dir, key) in [("client_to_server", "c2s"), ("server_to_client", "s2c")] {
            let got: Vec<&&&Value> = mine.iter().filter(|p| p["direction"] == dir).collect();
            let want = ec[key].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{client_id} {key}");
            for (g, w) in got.iter().zip(want) {
                let what = format!("{client_id} {key} frame {}", w["frame"]);
                assert_eq!(g["packet"]["type"], w["type"], "{what}");
                assert_eq!(g["frame"], w["frame"], "{what}");
                let f = &g["packet"]["fields"];
                if let Some(t) = w.get("topic") {
                    assert_eq!(field(f, "topic"), Some(t), "{what}");
                }
                if let Some(q) = w.get("qos") {
                    assert_eq!(field(f, "qos"), Some(q), "{what}");
                }
                if let Some(id) = w.get("packet_id") {
                    assert_eq!(field(f, "packet_id"), Some(id), "{what}");
                }
                if let Some(c) = w.get("client_id") {
                    assert_eq!(field(f, "client_id"), Some(c), "{what}");
                }
                if let Some(l) = w.get("protocol_level") {
                    assert_eq!(field(f, "protocol_level"), Some(l), "{what}");
                }
                if let (Some(code), "CONNACK") = (w.get("code"), w["type"].as_str().unwrap()) {
                    assert_eq!(
                        field(f, "return_code").or(field(f, "reason_code")),
                        Some(code),
                        "{what}"
                    );
                }
                if let Some(payload) = w.get("payload") {
                    let hex = field(f, "payload").and_then(Value::as_str).unwrap();
                    assert_eq!(
                        Some(hex.len() as u64 / 2),
                        payload["len"].as_u64(),
                        "{what}"
                    );
                    if let Some(text) = payload["text"].as_str() {
                        assert_eq!(hex, hex::encode(text), "{what}");
                    }
                }
            }
        }
    }

    // The refused v5 clients: CONNECT level 5, CONNACK return code 1.
    let refused: Vec<&str> = packets
        .iter()
        .filter(|p| p["packet"]["type"] == "CONNACK")
        .filter(|p| field(&p["packet"]["fields"], "return_code") == Some(&Value::from(1)))
        .map(|p| p["connection"]["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(refused, ["ws-paho-v5", "ws-js-v5"]);

    // WebSocket frames per direction, as tshark counted them.
    let mut frames = [0u64; 2];
    for f in exp["websocket_frames"].as_array().unwrap() {
        let n = f["ws"].as_array().unwrap().len() as u64;
        frames[usize::from(f["dir"] == "s2c")] += n;
    }
    let mut mine = [0u64; 2];
    let mut seen = Vec::new();
    for p in packets.iter().rev() {
        let id = p["connection"]["id"].as_u64().unwrap();
        if !seen.contains(&id) {
            seen.push(id);
            let w = &p["connection"]["websocket"]["frames"];
            mine[0] += w["from_a"].as_u64().unwrap();
            mine[1] += w["from_b"].as_u64().unwrap();
        }
    }
    assert_eq!(mine, frames);

    // The handshakes.
    let ws: Vec<&Value> = recs
        .iter()
        .filter(|r| r["record"] == "event" && r["kind"] == "websocket")
        .collect();
    assert_eq!(ws.len(), 6);
    for e in ws {
        assert_eq!(e["details"]["path"], "/mqtt");
        assert_eq!(e["details"]["subprotocol"], "mqtt");
        assert_eq!(e["details"]["host"], "127.0.0.1:1884");
    }
}

#[test]
fn cli_lines_and_jsonl() {
    let bin = env!("CARGO_BIN_EXE_mqtt-dissect");
    let f = path("ws-aedes.pcap");
    let out = Command::new(bin).arg("pcap").arg(&f).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let connects = text
        .lines()
        .filter(|l| l.contains(" CONNECT ") && l.contains("client_id="))
        .count();
    assert_eq!(connects, 6, "{text}");
    assert!(
        text.contains("over WebSocket ws://127.0.0.1:1884/mqtt"),
        "{text}"
    );
    assert!(text.contains("\"ws/js/b\" 300B"), "{text}");
    assert!(
        text.contains(
            "6 TCP connections (6 MQTT (6 over WebSocket), 0 TLS, 0 other), 40 MQTT packets"
        ),
        "{text}"
    );

    let out = Command::new(bin)
        .args(["pcap", "--format", "jsonl"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ws = lines
        .iter()
        .filter(|l| l["record"] == "event" && l["kind"] == "websocket")
        .count();
    assert_eq!(ws, 6);
    let summary = lines.last().unwrap();
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["websocket_connections"], 6);
    assert_eq!(summary["packets"], 40);
}
