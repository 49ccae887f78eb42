//! `pcap --tls-keylog` on the real TLS capture: what a user sees when the key log is right,
//! partial, wrong, missing or not a key log, and when the handshake was not captured.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqtt-dissect"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// JSON Lines records of `cap` with this key log.
fn records_with(cap: &Path, keylog: &Path) -> Vec<Value> {
    let o = run(&[
        "pcap",
        "--format",
        "jsonl",
        "--tls-keylog",
        keylog.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The real capture with this key log.
fn records(keylog: &Path) -> Vec<Value> {
    records_with(&data("tls-keylog.pcap"), keylog)
}

/// This capture with the real key log.
fn records_of(cap: &Path) -> Vec<Value> {
    records_with(cap, &data("tls-keylog.keylog"))
}

fn tls_notes(recs: &[Value]) -> Vec<(u64, String)> {
    recs.iter()
        .filter(|r| r["kind"] == "tls_decryption")
        .map(|r| {
            let what = r["details"]["what"].as_str().unwrap().to_string();
            (r["connection"]["id"].as_u64().unwrap(), what)
        })
        .collect()
}

fn packets_per_conn(recs: &[Value]) -> Vec<(u64, usize)> {
    let mut out: Vec<(u64, usize)> = Vec::new();
    for r in recs.iter().filter(|r| r["record"] == "packet") {
        let id = r["connection"]["id"].as_u64().unwrap();
        match out.last_mut() {
            Some((i, n)) if *i == id => *n += 1,
            _ => out.push((id, 1)),
        }
    }
    out
}

/// MQTT packets per connection when every session decrypts (7 has no logged key).
const WHOLE: [(u64, usize); 8] = [
    (1, 9),
    (2, 9),
    (3, 13),
    (4, 7),
    (5, 9),
    (6, 13),
    (8, 13),
    (9, 9),
];

fn keylog_text() -> String {
    std::fs::read_to_string(data("tls-keylog.keylog")).unwrap()
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mqtt-dissect-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_whole_key_log_decrypts_eight_sessions_and_names_the_ninth() {
    let recs = records(&data("tls-keylog.keylog"));
    let notes = tls_notes(&recs);
    let decrypting: Vec<u64> = notes
        .iter()
        .filter(|(_, w)| w == "decrypting")
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(decrypting, vec![1, 2, 3, 4, 5, 6, 8, 9]);
    assert!(notes.contains(&(7, "no_key".to_string())), "{notes:?}");
    assert_eq!(packets_per_conn(&recs), WHOLE.to_vec());
    // The connection object says how the MQTT travelled.
    let first = recs.iter().find(|r| r["record"] == "packet").unwrap();
    let c = &first["connection"];
    assert_eq!(c["transport"], "tls");
    assert_eq!(c["encrypted"], false);
    assert_eq!(c["tls"]["version"], "TLS 1.3");
    assert_eq!(c["tls"]["suite"], "TLS_AES_256_GCM_SHA384");
    let summary = recs.iter().find(|r| r["record"] == "summary").unwrap();
    assert_eq!(summary["tls_decrypted_connections"], 8);
    assert_eq!(summary["tls_connections"], 1);
}

#[test]
fn application_secrets_alone_are_enough() {
    // Some loggers write only the traffic secrets: the handshake records are skipped, the
    // application records still open.
    let text: String = keylog_text()
        .lines()
        .filter(|l| !l.contains("HANDSHAKE_TRAFFIC_SECRET"))
        .map(|l| format!("{l}\n"))
        .collect();
    let recs = records(&write_temp("app-only.keylog", &text));
    assert_eq!(packets_per_conn(&recs), WHOLE.to_vec());
}

#[test]
fn a_wrong_secret_fails_authentication_and_says_so() {
    // Every secret of every session changed in its last byte.
    let text: String = keylog_text()
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            if !l.starts_with('#') && !l.is_empty() {
                let last = l.pop().unwrap();
                l.push(if last == '0' { '1' } else { '0' });
            }
            format!("{l}\n")
        })
        .collect();
    let recs = records(&write_temp("wrong.keylog", &text));
    assert!(packets_per_conn(&recs).is_empty());
    let notes = tls_notes(&recs);
    let failed: Vec<u64> = notes
        .iter()
        .filter(|(_, w)| w == "decrypt_failed")
        .map(|(c, _)| *c)
        .collect();
    // Both directions of each of the eight sessions stop at their first protected record.
    assert_eq!(failed, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 8, 8, 9, 9]);
    let event = recs
        .iter()
        .find(|r| r["kind"] == "tls_decryption" && r["details"]["what"] == "decrypt_failed")
        .unwrap();
    assert!(
        event["message"]
            .as_str()
            .unwrap()
            .contains("fails authentication"),
        "{event}"
    );
}

#[test]
fn a_file_without_secrets_is_a_usage_error() {
    let p = write_temp("empty.keylog", "# nothing\nnot a key log\n");
    let cap = data("tls-keylog.pcap");
    let o = run(&[
        "pcap",
        "--tls-keylog",
        p.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("holds no TLS secret"), "{err}");
    let o = run(&[
        "pcap",
        "--tls-keylog",
        "/nonexistent/keys",
        cap.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}

#[test]
fn without_the_key_log_everything_stays_encrypted() {
    let cap = data("tls-keylog.pcap");
    let o = run(&["pcap", cap.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("0 MQTT packets"), "{out}");
    assert!(out.contains("9 TLS ("), "{out}");
}

/// The capture without the frames `drop` picks by number (legacy pcap: 24-byte header,
/// 16-byte record headers, little-endian as tcpdump wrote it).
fn without_frames(name: &str, drop: impl Fn(usize) -> bool) -> PathBuf {
    let bytes = std::fs::read(data("tls-keylog.pcap")).unwrap();
    let mut out = bytes[..24].to_vec();
    let (mut at, mut frame) = (24, 1);
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        if !drop(frame) {
            out.extend_from_slice(&bytes[at..at + 16 + len]);
        }
        at += 16 + len;
        frame += 1;
    }
    let p = write_temp(name, "");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn lost_bytes_stop_one_direction_with_a_note() {
    // Frame 12 carries the first connection's SUBSCRIBE record (client→server).
    let recs = records_of(&without_frames("gap.pcap", |f| f == 12));
    let e = recs
        .iter()
        .find(|r| r["kind"] == "tls_decryption" && r["details"]["what"] == "record_error")
        .expect("a record error");
    assert_eq!(e["connection"]["id"], 1);
    assert_eq!(e["direction"], "client_to_server");
    assert!(e["message"].as_str().unwrap().contains("lost"), "{e}");
    let types = |dir: &str| -> Vec<String> {
        recs.iter()
            .filter(|r| {
                r["record"] == "packet" && r["connection"]["id"] == 1 && r["direction"] == dir
            })
            .map(|r| r["packet"]["type"].as_str().unwrap().to_string())
            .collect()
    };
    // Before the gap the client's CONNECT; the server's side goes on to the end.
    assert_eq!(types("client_to_server"), vec!["CONNECT"]);
    assert_eq!(
        types("server_to_client").len(),
        4,
        "{:?}",
        types("server_to_client")
    );
}

#[test]
fn a_session_whose_handshake_was_not_captured_is_named() {
    // Frames 1-9 hold the first connection's TCP and TLS handshakes.
    let recs = records_of(&without_frames("cut.pcap", |f| f <= 9));
    let notes = tls_notes(&recs);
    assert_eq!(notes[0], (1, "record_error".to_string()), "{notes:?}");
    let e = recs.iter().find(|r| r["kind"] == "tls_decryption").unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("handshake was not captured"),
        "{e}"
    );
    // The other sessions are whole.
    assert_eq!(packets_per_conn(&recs), WHOLE[1..].to_vec());
}

#[test]
fn stats_show_decrypted_sessions_by_version_and_the_other_as_tls() {
    let cap = data("tls-keylog.pcap");
    let keylog = data("tls-keylog.keylog");
    let o = run(&[
        "pcap",
        "--stats",
        "--format",
        "json",
        "--tls-keylog",
        keylog.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let conns = doc["files"][0]["stats"]["connections"].as_array().unwrap();
    let row = |c: &Value| {
        (
            c["id"].as_u64().unwrap(),
            c["tls"].as_bool().unwrap(),
            c["version"].as_str().map(str::to_string),
        )
    };
    let v = |s: &str| Some(s.to_string());
    assert_eq!(
        conns.iter().map(row).collect::<Vec<_>>(),
        vec![
            (1, true, v("5.0")),
            (2, true, v("3.1.1")),
            (3, true, v("5.0")),
            (4, true, v("3.1.1")),
            (5, true, v("3.1.1")),
            (6, true, v("5.0")),
            (7, true, None),
            (8, true, v("5.0")),
            (9, true, v("3.1.1")),
        ]
    );
    let outcome = conns[6]["outcome"]["summary"].as_str().unwrap();
    assert!(outcome.starts_with("TLS, encrypted"), "{outcome}");
}

/// The pcap_file fuzz target decrypts with the TLS captures' key logs: its seeds must hold
/// those captures, or the fuzzer never reaches an authenticated record.
#[test]
fn the_fuzz_corpus_holds_the_tls_captures() {
    for name in ["tls-keylog.pcap", "tls-ccm.pcap"] {
        let cap = std::fs::read(data(name)).unwrap();
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pcap_file");
        let found = std::fs::read_dir(&corpus).unwrap().any(|e| {
            let p = e.unwrap().path();
            std::fs::metadata(&p).is_ok_and(|m| m.len() == cap.len() as u64)
                && std::fs::read(&p).is_ok_and(|b| b == cap)
        });
        assert!(
            found,
            "copy testdata/captures/{name} into {}",
            corpus.display()
        );
    }
}

/// tls-ccm.pcap (make-tls-captures.sh ccm): the AES-CCM suites of TLS 1.3 and of embedded
/// TLS 1.2 stacks, each decrypted: all the MQTT packets of each session (9 at QoS 1, 13 at
/// QoS 2, 7 at QoS 0), which tshark decodes the same field by field (diff_tshark).
#[test]
fn every_ccm_suite_decrypts() {
    let recs = records_with(&data("tls-ccm.pcap"), &data("tls-ccm.keylog"));
    let mut suites: Vec<(u64, String, String, usize)> = Vec::new();
    for r in recs.iter().filter(|r| r["record"] == "packet") {
        let c = &r["connection"];
        let id = c["id"].as_u64().unwrap();
        match suites.last_mut() {
            Some(s) if s.0 == id => s.3 += 1,
            _ => suites.push((
                id,
                c["tls"]["version"].as_str().unwrap().to_string(),
                c["tls"]["suite"].as_str().unwrap().to_string(),
                1,
            )),
        }
    }
    let want = [
        ("TLS 1.3", "TLS_AES_128_CCM_SHA256", 9),
        ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 9),
        ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", 13),
        ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", 9),
        ("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", 7),
        ("TLS 1.3", "TLS_AES_128_CCM_8_SHA256", 13),
    ];
    let got: Vec<(&str, &str, usize)> = suites
        .iter()
        .map(|(_, v, s, n)| (v.as_str(), s.as_str(), *n))
        .collect();
    assert_eq!(got, want);
    assert!(
        !recs.iter().any(|r| r["kind"] == "tls_decryption"
            && r["details"]["what"] != "decrypting"
            && r["details"]["what"] != "alert"),
        "a session failed"
    );
}
