//! `pcap --stats` (tables and JSON) and `pcap --check` (exit status for CI), run as a process.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mqtt-dissect");

fn cap(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("COLUMNS", "200")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn stats_tables() {
    let (code, out, err) = run(&["pcap", &cap("unacked-qos.pcap"), "--stats"]);
    assert_eq!(code, 0, "{err}");
    // No progress line when stderr is not a terminal.
    assert!(err.is_empty(), "{err}");
    for want in [
        "Connections (5)",
        "Outcomes",
        "Acknowledged flows",
        "Topics (3)",
        "Packet types",
        "Problems",
        "127.0.0.1:58826 → 127.0.0.1:1883",
        "qos2-no-pubrel",
        "closed by the client without DISCONNECT (TCP FIN)",
        "accepted (session resumed); DISCONNECT from the client",
        "warning flow-unacknowledged ×2",
        "QoS 2 PUBLISH",
        "flow-unacknowledged",
        "28, 40",
        "unacked/q2-stalled",
        "0/0/3",
        "0 protocol error(s), 0 failure reason code(s)",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // The packet list is not printed.
    assert!(!out.contains("(closed)"), "{out}");
}

#[test]
fn stats_refused_version_has_the_diagnosis() {
    let (code, out, _) = run(&["pcap", &cap("refused-protocol-version.pcap"), "--stats"]);
    assert_eq!(code, 0, "--stats alone does not fail");
    // The client id is read even though level 6 does not exist (layout guessed).
    assert!(
        out.contains("Connection #1 (proto-mqtt-6) was refused:"),
        "{out}"
    );
    assert!(out.contains("The client asked for level 6"), "{out}");
    assert!(
        out.contains("The client asked for level 3 (MQTT 3.1)"),
        "{out}"
    );
    // The general part is said once.
    assert_eq!(out.matches("What to change").count(), 1, "{out}");
    assert!(out.contains("refused: CONNACK return code 0x01"), "{out}");
}

#[test]
fn stats_json() {
    let (code, out, err) = run(&[
        "pcap",
        &cap("session-takeover.pcap"),
        &cap("keepalive-expiry.pcap"),
        "--stats",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("one JSON document");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let conns = files[0]["stats"]["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 4);
    assert_eq!(conns[0]["client_id"], "takeover-311");
    assert_eq!(conns[0]["outcome"]["end"], "taken_over");
    assert_eq!(conns[0]["outcome"]["taken_over_by"], 2);
    assert_eq!(conns[1]["took_over"], 1);
    assert_eq!(conns[1]["outcome"]["end"], "disconnect");
    assert_eq!(conns[1]["outcome"]["by"], "client");
    assert_eq!(conns[0]["packets"]["client_to_server"], 1);
    assert!(files[0].get("check").is_none());
    let ka = &files[1]["stats"];
    let c = ka["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "ka-311")
        .unwrap();
    assert_eq!(c["outcome"]["will_fires"], true);
    assert_eq!(c["outcome"]["will_topic"], "ka/will/ka-311");
    assert!(c["outcome"]["keep_alive_expired_after"].as_f64().unwrap() > 1.5);
    assert_eq!(c["keep_alive"], 1);
    let w = ka["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "ka-watch")
        .unwrap();
    let flow = &w["flows"][0];
    assert_eq!(flow["kind"], "qos1");
    assert_eq!(flow["direction"], "server_to_client");
    assert_eq!(flow["completed"], 2);
    assert!(flow["median"].as_f64().is_some());
    assert_eq!(ka["problems"][0]["id"], "keep-alive-exceeded");
    assert_eq!(ka["problems"][0]["count"], 2);
    let types = ka["packet_types"].as_array().unwrap();
    assert!(types
        .iter()
        .any(|t| t["packet_type"] == "PINGREQ" && t["client_to_server"] == 2));
    let topics = ka["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 2);
    assert_eq!(topics[0]["qos"], serde_json::json!([0, 1, 0]));
}

#[test]
fn check_exit_status() {
    // Clean captures pass.
    let (code, out, _) = run(&["pcap", &cap("v5-session.pcap"), "--check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("check passed"), "{out}");
    // Unacknowledged flows are not protocol errors.
    let (code, _, _) = run(&["pcap", &cap("unacked-qos.pcap"), "--check"]);
    assert_eq!(code, 0);
    // Failure reason codes fail.
    let (code, out, _) = run(&["pcap", &cap("bad-credentials.pcap"), "--check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("failure-code"), "{out}");
    assert!(
        out.contains("CONNACK reason code 0x87 (Not authorized)"),
        "{out}"
    );
    assert!(
        out.contains("check FAILED: 0 protocol error(s), 5 failure reason code(s)"),
        "{out}"
    );
    // Protocol errors fail.
    let (code, out, _) = run(&["pcap", &cap("protocol-errors.pcap"), "--check"]);
    assert_eq!(code, 1);
    assert!(out.contains("connect-twice [MQTT-3.1.0-2]"), "{out}");
    assert!(
        out.contains("packet-before-connect [MQTT-3.1.0-1]"),
        "{out}"
    );
    // One failing file among several fails the run.
    let (code, _, _) = run(&[
        "pcap",
        &cap("v5-session.pcap"),
        &cap("protocol-errors.pcap"),
        "--check",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn check_json_and_with_stats() {
    let (code, out, _) = run(&[
        "pcap",
        &cap("protocol-errors.pcap"),
        "--check",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["check"]["passed"], false);
    assert_eq!(v["check"]["protocol_errors"], 3);
    let items = v["check"]["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], "connect-twice");
    assert_eq!(items[0]["kind"], "protocol_error");
    assert_eq!(items[0]["frame"], 8);
    assert_eq!(items[0]["client_id"], "second-connect-311");
    // Both: the tables and then the check list, and the exit status of the check.
    let (code, out, _) = run(&["pcap", &cap("protocol-errors.pcap"), "--check", "--stats"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Outcomes") && out.contains("check FAILED"),
        "{out}"
    );
}

#[test]
fn listing_shows_stateful_diagnostics_and_outcomes() {
    let (code, out, _) = run(&["pcap", &cap("v5-properties.pcap")]);
    assert_eq!(code, 0);
    // The alias-only PUBLISH shows its resolved topic, marked.
    assert!(out.contains("\"v5/props/a\" (via alias 1)"), "{out}");
    // The close event says how the connection ended.
    assert!(
        out.contains("— accepted; DISCONNECT from the client with reason code 0x04 (Disconnect with Will Message); the will message (\"v5/props/will\") is published"),
        "{out}"
    );
    let (_, out, _) = run(&["pcap", &cap("protocol-errors.pcap"), "--problems"]);
    assert!(out.contains("error connect-twice [MQTT-3.1.0-2]"), "{out}");
    // JSON records carry the analysis diagnostics too.
    let (_, out, _) = run(&["pcap", &cap("protocol-errors.pcap"), "--format", "jsonl"]);
    assert!(out.contains("\"packet-before-connect\""), "{out}");
    // And -V shows the resolved topic on the topic field.
    let (_, out, _) = run(&[
        "pcap",
        &cap("v5-properties.pcap"),
        "-V",
        "--type",
        "publish",
    ]);
    assert!(out.contains("resolved from Topic Alias 1"), "{out}");
}
