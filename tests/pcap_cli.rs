//! The `pcap` command as a user runs it: the binary on the repository's captures, its
//! summary lines, field trees, JSON and JSON Lines records, filters, stdin, errors, and a
//! reader that goes away.

mod common;

use mqtt_dissect::transport::testing::{ethernet, tcp_packet, PcapNgWriter, PcapWriter};
use mqtt_dissect::transport::{TcpFlags, Timestamp};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mqtt-dissect"))
}

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Summary rows of packets: lines that start with a frame number and are not events.
fn packet_rows(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            // frame, relative time, #connection, …
            let c: Vec<&str> = l.split_whitespace().take(3).collect();
            c.len() == 3
                && c[0].parse::<u64>().is_ok()
                && c[1].parse::<f64>().is_ok()
                && c[1].contains('.')
                && c[2].starts_with('#')
        })
        .filter(|l| !l.contains("(closed)") && !l.contains("(gap)") && !l.contains("(WebSocket)"))
        .collect()
}

/// (frame, packet type) of each packet row.
fn frames_and_types(out: &str) -> Vec<(u64, String)> {
    packet_rows(out)
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let ty_at = cols
                .iter()
                .position(|c| {
                    c.trim_end_matches('*')
                        .chars()
                        .all(|x| x.is_ascii_uppercase())
                        && c.len() > 3
                })
                .unwrap();
            (
                cols[0].parse().unwrap(),
                cols[ty_at].trim_end_matches('*').to_string(),
            )
        })
        .collect()
}

const V5: &str = "testdata/captures/v5-properties.pcap";
const V311: &str = "testdata/captures/v311-session.pcap";

#[test]
fn summary_has_one_line_per_packet() {
    let out = ok(&["pcap", V5]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "# testdata/captures/v5-properties.pcap");
    assert!(lines[1].split_whitespace().eq([
        "frame", "time", "conn", "dir", "client", "id", "packet", "details", "!", "problems"
    ]));
    assert_eq!(
        lines[2],
        "# #1 client 127.0.0.1:48078 → broker 127.0.0.1:1883 (TCP handshake seen; roles from Connect)"
    );
    let rows = packet_rows(&out);
    assert_eq!(rows.len(), 24);
    let want = [
        "      4    0.000352   #1 → v5-props-sub     CONNECT     MQTT 5.0 client_id=\"v5-props-sub\" keep_alive=30 clean",
        "      6    0.000473   #1 ← v5-props-sub     CONNACK     Success",
        "      8    0.001667   #1 → v5-props-sub     SUBSCRIBE   id=1 \"v5/props/#\" q1",
        "      9    0.001782   #1 ← v5-props-sub     SUBACK      id=1 [Granted QoS 1]",
        "     13    0.004987   #2 → v5-props-pub     CONNECT     MQTT 5.0 client_id=\"v5-props-pub\" keep_alive=30 clean will=\"v5/props/will\" q1",
        "     15    0.006348   #2 ← v5-props-pub     CONNACK     Success",
        "     17    0.006960   #2 → v5-props-pub     PUBLISH     q1 id=1 \"v5/props/a\" alias=1 7B \"{\"n\":1}\"",
        "     18    0.007099   #2 ← v5-props-pub     PUBACK      id=1",
    ];
    assert_eq!(&rows[..8], &want);
    assert!(rows.contains(
        // An alias-only PUBLISH shows the topic the alias stands for (session analysis).
        &"     24    0.049633   #2 → v5-props-pub     PUBLISH     q1 id=2 \"v5/props/a\" (via alias 1) 7B \"{\"n\":2}\""
    ));
    assert!(rows.contains(
        &"     37    0.093136   #2 → v5-props-pub     DISCONNECT  Disconnect with Will Message"
    ));
    assert!(
        rows.contains(&"     48    0.136365   #1 ← v5-props-sub     UNSUBACK    id=2 [Success]")
    );
    assert_eq!(
        lines.last().unwrap(),
        &"52 frames, 2 TCP connections (2 MQTT, 0 TLS, 0 other), 24 MQTT packets (0 with errors), 0 byte(s) undecodable, 0 byte(s) lost in gaps"
    );
    // Closes are rows too, marked as events.
    assert!(out.contains("     39    0.093249   #2 ← v5-props-pub     (closed)    FIN: the server→client direction ends"));
}

#[test]
fn verbose_prints_field_trees() {
    let out = ok(&["pcap", "-V", "--conn", "2", "--type", "publish", V5]);
    assert_eq!(frames_and_types(&out).len(), 4);
    for want in [
        "#1 PUBLISH  MQTT 5.0 (from CONNECT)  100 bytes at offset 116",
        "    2  00 0a 76 35 2f 70 72…   Topic Name: \"v5/props/a\" (10 bytes)",
        "   14  00 01                   Packet Identifier: 1",
        "   19  02 00 00 01 2c            Message Expiry Interval (0x02): 300",
        "   60  09 00 09 01 02 63 6f…     Correlation Data (0x09): 01 02 63 6f 72 72 2d 34 32 (9 bytes)",
        "   75  26 00 02 6b 31 00 02…     User Property (0x26): \"k1\" = \"v1\"",
        "0000  32 62 00 0a 76 35 2f 70  72 6f 70 73 2f 61 00 01  |2b..v5/props/a..|",
    ] {
        assert!(out.lines().any(|l| l == want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn jsonl_records_packets_events_and_a_summary() {
    let out = ok(&["pcap", "--format", "jsonl", V5]);
    let recs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = recs.iter().map(|r| r["record"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "packet").count(), 24);
    assert_eq!(kinds.iter().filter(|k| **k == "event").count(), 4);
    assert_eq!(*kinds.last().unwrap(), "summary");
    assert_eq!(kinds.iter().filter(|k| **k == "summary").count(), 1);
    let p = recs.iter().find(|r| r["frame"] == 17).unwrap();
    assert_eq!(p["first_frame"], 17);
    assert_eq!(p["src"], "127.0.0.1:48086");
    assert_eq!(p["dst"], "127.0.0.1:1883");
    assert_eq!(p["direction"], "client_to_server");
    assert_eq!(p["stream_offset"], 116);
    assert_eq!(p["version"], "5.0");
    assert_eq!(p["version_assumed"], false);
    assert_eq!(p["connection"]["id"], 2);
    assert_eq!(p["connection"]["client_id"], "v5-props-pub");
    assert_eq!(p["connection"]["client"], "127.0.0.1:48086");
    assert_eq!(p["connection"]["server"], "127.0.0.1:1883");
    assert_eq!(p["connection"]["keep_alive"], 30);
    assert_eq!(p["packet"]["type"], "PUBLISH");
    assert_eq!(p["packet"]["length"], 100);
    assert_eq!(p["packet"]["diagnostics"], serde_json::json!([]));
    let fields = p["packet"]["fields"].as_array().unwrap();
    let topic = fields
        .iter()
        .find(|f| f["field"] == "publish.topic")
        .unwrap();
    assert_eq!(topic["value"], "v5/props/a");
    assert_eq!(topic["offset"], 2);
    assert_eq!(topic["raw"], "000a76352f70726f70732f61");
    let e = recs.iter().find(|r| r["record"] == "event").unwrap();
    assert_eq!(e["kind"], "closed");
    assert_eq!(e["frame"], 39);
    assert_eq!(e["direction"], "server_to_client");
    let s = recs.last().unwrap();
    assert_eq!(s["file"], V5);
    assert_eq!(s["frames"], 52);
    assert_eq!(s["packets"], 24);
    assert_eq!(s["mqtt_connections"], 2);
    assert_eq!(s["tcp"]["payload_bytes"], 756);
}

#[test]
fn json_is_one_document() {
    let out = ok(&[
        "pcap",
        "--format",
        "json",
        V5,
        "testdata/captures/burst.pcap",
    ]);
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], V5);
    assert_eq!(files[0]["records"].as_array().unwrap().len(), 28);
    assert_eq!(files[0]["summary"]["packets"], 24);
    assert_eq!(files[1]["summary"]["packets"], 108);
    let pubs = files[1]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["packet"]["type"] == "PUBLISH")
        .count();
    assert_eq!(pubs, 80);
}

#[test]
fn filter_by_type() {
    let out = ok(&["pcap", "--type", "subscribe,unsubscribe,suback", V5]);
    assert_eq!(
        frames_and_types(&out),
        [
            (8, "SUBSCRIBE".to_string()),
            (9, "SUBACK".to_string()),
            (46, "UNSUBSCRIBE".to_string())
        ]
    );
    // Events are packets of no type: a type filter leaves them out.
    assert!(!out.contains("(closed)"));
}

#[test]
fn filter_by_client() {
    let out = ok(&["pcap", "--client", "v5-props-pub", V5]);
    let rows = packet_rows(&out);
    assert_eq!(rows.len(), 9);
    assert!(rows
        .iter()
        .all(|r| r.contains("#2 ") && r.contains("v5-props-pub")));
    let none = ok(&["pcap", "--client", "nobody", V5]);
    assert!(packet_rows(&none).is_empty());
}

#[test]
fn filter_by_topic_with_wildcards() {
    let plus = ok(&["pcap", "--type", "publish", "--topic", "v311/+", V311]);
    let frames: Vec<u64> = frames_and_types(&plus).iter().map(|x| x.0).collect();
    assert_eq!(frames, [8, 24, 34, 35, 38, 40, 44, 47, 57]);
    // The SUBSCRIBE of frame 21 has the filter v311/q1 among its four.
    let one = ok(&["pcap", "--topic", "v311/q1", V311]);
    assert_eq!(
        frames_and_types(&one),
        [
            (21, "SUBSCRIBE".to_string()),
            (38, "PUBLISH".to_string()),
            (40, "PUBLISH".to_string())
        ]
    );
    let hash = ok(&["pcap", "--topic", "v5/props/#", V5]);
    let got = frames_and_types(&hash);
    // PUBLISHes under v5/props (the alias-only one has an empty topic) and the SUBSCRIBE
    // and UNSUBSCRIBE of that very filter.
    let frames: Vec<u64> = got.iter().map(|x| x.0).collect();
    assert_eq!(frames, [8, 17, 21, 25, 29, 30, 33, 35, 40, 46]);
    let none = ok(&["pcap", "--topic", "v5/other/+", V5]);
    assert!(packet_rows(&none).is_empty());
}

#[test]
fn filter_by_connection() {
    let out = ok(&["pcap", "--conn", "1", V5]);
    let rows = packet_rows(&out);
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| r.contains("#1 ")));
    let two = ok(&["pcap", "--conn", "1", "--conn", "2", V5]);
    assert_eq!(packet_rows(&two).len(), 24);
}

#[test]
fn filter_by_problems() {
    let out = ok(&[
        "pcap",
        "--problems",
        "testdata/captures/refused-protocol-version.pcap",
    ]);
    let got = frames_and_types(&out);
    assert_eq!(
        got,
        [
            (4, "CONNECT".to_string()),
            (14, "CONNECT".to_string()),
            (24, "CONNECT".to_string()),
            (34, "CONNECT".to_string())
        ]
    );
    assert!(out.contains("! error protocol-level-unknown [MQTT-3.1.2-2]"));
    assert!(out.contains("! warning protocol-name-level [MQTT-3.1.2-1]"));
    let clean = ok(&["pcap", "--problems", V5]);
    assert!(packet_rows(&clean).is_empty());
}

#[test]
fn stdin_dash() {
    let data = std::fs::read(capture("v311-session.pcap")).unwrap();
    let mut child = bin()
        .args(["pcap", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["file"], "-");
    assert_eq!(last["packets"], 32);
    let direct = ok(&["pcap", "--format", "jsonl", V311]);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("\"record\":\"packet\""))
            .count(),
        direct
            .lines()
            .filter(|l| l.contains("\"record\":\"packet\""))
            .count()
    );
}

#[test]
fn not_a_capture_exits_2() {
    let o = run(&["pcap", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        err.trim_end(),
        "mqtt-dissect: error: Cargo.toml: not a pcap or pcapng capture: it starts with 5b 70 61 63 6b 61 67 65 5d 0a 6e 61 6d 65 20 3d (\"[package].name =\")"
    );
}

#[test]
fn truncated_header_exits_2() {
    let dir = std::env::temp_dir().join(format!("pcap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("short.pcap");
    let data = std::fs::read(capture("burst.pcap")).unwrap();
    std::fs::write(&p, &data[..10]).unwrap();
    let o = run(&["pcap", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.ends_with(
            "short.pcap: truncated pcap file header: it needs 24 bytes, the input has 10\n"
        ),
        "{err}"
    );
    let ng = dir.join("short.pcapng");
    let mut w = mqtt_dissect::transport::testing::PcapNgWriter::new();
    w.section(false);
    std::fs::write(&ng, &w.bytes()[..12]).unwrap();
    let o = run(&["pcap", ng.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("short.pcapng: "), "{err}");
    assert!(err.contains("pcapng"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_and_bad_type_exit_2() {
    let o = run(&["pcap", "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot open /nonexistent/x.pcap"));
    let o = run(&["pcap", "--type", "bogus", V5]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--type: 'bogus' is not a packet type"));
}

/// A truncated last record is reported and exits 0: the rest was decoded.
#[test]
fn truncated_last_record_exits_0() {
    let data = std::fs::read(capture("v5-properties.pcap")).unwrap();
    let dir = std::env::temp_dir().join(format!("pcap-cli-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("cut.pcap");
    std::fs::write(&p, &data[..data.len() - 10]).unwrap();
    let out = ok(&["pcap", "--format", "jsonl", p.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let recs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.iter().filter(|r| r["record"] == "packet").count(), 24);
    let t = recs
        .iter()
        .find(|r| r["kind"] == "truncated_record")
        .unwrap_or_else(|| {
            panic!(
                "{:?}",
                recs.iter()
                    .filter(|r| r["record"] == "event")
                    .collect::<Vec<_>>()
            )
        });
    assert_eq!(t["frame"], 52);
    assert_eq!(recs.last().unwrap()["truncated_last_record"], true);
}

/// Transport events in JSON: a TLS connection with its server name.
#[test]
fn jsonl_tls_event() {
    let c = "10.0.0.2:50000".parse().unwrap();
    let s = "10.0.0.1:8883".parse().unwrap();
    let mut hello = vec![0x16, 3, 1, 0, 0x3e, 1, 0, 0, 0x3a, 3, 3];
    hello.extend([0x11; 32]);
    hello.extend([0, 0, 2, 0x13, 1, 1, 0]);
    let name = b"mqtt.example.org";
    let mut ext = vec![
        0,
        0,
        0,
        (name.len() + 5) as u8,
        0,
        (name.len() + 3) as u8,
        0,
        0,
    ];
    ext.push(name.len() as u8);
    ext.extend(name);
    hello.extend([0, ext.len() as u8]);
    hello.extend(&ext);
    let hs_len = hello.len() - 9;
    hello[6..9].copy_from_slice(&(hs_len as u32).to_be_bytes()[1..]);
    let rec_len = hello.len() - 5;
    hello[3..5].copy_from_slice(&(rec_len as u16).to_be_bytes());
    let mut w = PcapWriter::new(1, false, false);
    let t = Timestamp {
        secs: 1_700_000_000,
        nanos: 0,
    };
    for ip in [
        tcp_packet(c, s, 10, 0, TcpFlags::SYN, b""),
        tcp_packet(s, c, 90, 11, TcpFlags(0x12), b""),
        tcp_packet(c, s, 11, 91, TcpFlags(0x18), &hello),
    ] {
        w.packet(t, &ethernet(&[], &ip));
    }
    let mut child = bin()
        .args(["pcap", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(w.bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let recs: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tls: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "tls").collect();
    assert_eq!(tls.len(), 1, "{recs:?}");
    assert_eq!(tls[0]["frame"], 3);
    assert!(tls[0]["message"]
        .as_str()
        .unwrap()
        .contains("\"mqtt.example.org\""));
    assert_eq!(recs.last().unwrap()["tls_connections"], 1);
    assert_eq!(recs.last().unwrap()["packets"], 0);
}

/// `mqtt-dissect pcap big.pcap | head -1`: the reader goes away; the command stops
/// quietly with status 0.
#[test]
fn closed_stdout_exits_0_quietly() {
    for args in [
        vec!["pcap", "-V", "testdata/captures/burst.pcap"],
        vec![
            "pcap",
            "--format",
            "jsonl",
            "testdata/captures/large-payload.pcap",
        ],
        vec!["pcap", "--format", "json", "testdata/captures/burst.pcap"],
    ] {
        let mut child = bin()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        out.read_exact(&mut first).unwrap();
        drop(out);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Every capture of the repository and of ../shared (when present): each output format and
/// filter prints the same bytes and exits the same with the printing thread as on one thread.
#[test]
fn threads_print_what_one_thread_prints() {
    let files = common::all_captures();
    assert!(files.len() >= 20, "{} captures", files.len());
    let options: [&[&str]; 9] = [
        &[],
        &["-V"],
        &["--format", "jsonl"],
        &["--format", "json"],
        &["--problems"],
        &["--type", "publish,puback", "--format", "jsonl"],
        &["--conn", "2", "-V", "--payload", "hex"],
        // The analysis on its own thread.
        &["--stats", "--check"],
        &["--stats", "--check", "--format", "json"],
    ];
    let mut compared = 0;
    for f in &files {
        let f = f.to_string_lossy().to_string();
        for opts in options {
            let mut one = vec!["pcap", "--threads", "1"];
            one.extend_from_slice(opts);
            one.push(&f);
            let mut two = one.clone();
            two[2] = "2";
            let (a, b) = (run(&one), run(&two));
            assert_eq!(a.status.code(), b.status.code(), "{two:?}");
            assert!(a.stdout == b.stdout, "{two:?}: output differs");
            assert_eq!(a.stderr, b.stderr, "{two:?}");
            compared += 1;
        }
    }
    // Several files in one document.
    let all: Vec<String> = files
        .iter()
        .take(6)
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let docs: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|t| {
            let mut args = vec!["pcap", "--threads", t, "--format", "json"];
            args.extend(all.iter().map(String::as_str));
            let o = run(&args);
            let v: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
            assert_eq!(v["files"].as_array().map(Vec::len), Some(all.len()));
            o.stdout
        })
        .collect();
    assert!(docs[0] == docs[1], "several files: output differs");
    assert!(compared >= 140);
}

/// A capture whose reading stops at a record that cannot be used (a pcapng block with an
/// impossible length, so the next one cannot be found): what came before is printed, the reason is
/// on standard error, and the exit status is 1 in every mode, since the file was not read
/// to its end.
#[test]
fn reading_stopped_early_exits_1_and_says_why() {
    let mut w = PcapNgWriter::new();
    w.section(false)
        .interface(1, None)
        .epb(0, 1_700_000_000_000_000, &connect_frame());
    let mut bytes = w.bytes().to_vec();
    // An enhanced packet block whose total length, 7, is below the 12 every block has.
    bytes.extend([6, 0, 0, 0, 7, 0, 0, 0]);
    bytes.extend([0; 16]);
    let why = "reading stopped at the capture record after frame 1, which cannot be used; \
               the rest of the file was not read";
    for args in [
        &["pcap", "--threads", "1", "-"][..],
        &["pcap", "--threads", "2", "-"],
        &["pcap", "--format", "jsonl", "-"],
        &["pcap", "--stats", "--threads", "1", "-"],
        &["pcap", "--stats", "--threads", "2", "-"],
    ] {
        let mut child = bin()
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let o = child.wait_with_output().unwrap();
        let (out, err) = (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        );
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err, format!("mqtt-dissect: -: {why}\n"), "{args:?}");
        if args.contains(&"--stats") {
            assert!(out.contains("Connections (1)"), "{args:?}: {out}");
        } else if args.contains(&"jsonl") {
            let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
            assert_eq!(last["record"], "summary");
            assert_eq!(last["stopped_after_frame"], 1);
            assert!(out.contains(r#""type":"CONNECT""#), "{out}");
        } else {
            assert_eq!(packet_rows(&out).len(), 1, "{out}");
            assert!(out.contains("reading stops there"), "{out}");
        }
    }
}

/// Connection numbers start again with each file, and so do the legends: a capture of one
/// connection given twice has its legend twice (the second was lost when the last legend
/// checked was of the same number).
#[test]
fn each_file_has_its_legends() {
    let mut w = PcapWriter::new(1, false, false);
    let t = Timestamp {
        secs: 1_700_000_000,
        nanos: 0,
    };
    w.packet(t, &connect_frame());
    let dir = std::env::temp_dir().join(format!("pcap-cli-legend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("one.pcap");
    std::fs::write(&f, w.bytes()).unwrap();
    let f = f.to_string_lossy().to_string();
    for threads in ["1", "2"] {
        let out = ok(&["pcap", "--threads", threads, &f, &f]);
        let legends: Vec<&str> = out.lines().filter(|l| l.starts_with("# #1 ")).collect();
        assert_eq!(legends.len(), 2, "--threads {threads}:\n{out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An Ethernet frame with a CONNECT (MQTT 3.1.1, client id "a") from 10.0.0.2:50000 to
/// 10.0.0.1:1883, picked up mid-stream.
fn connect_frame() -> Vec<u8> {
    let c = "10.0.0.2:50000".parse().unwrap();
    let s = "10.0.0.1:1883".parse().unwrap();
    let connect = [
        0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 1, b'a',
    ];
    ethernet(&[], &tcp_packet(c, s, 11, 91, TcpFlags(0x18), &connect))
}

/// `--ws-port`: a connection whose WebSocket handshake was not captured is decoded from its
/// first frame; without the option it is not MQTT.
#[test]
fn ws_port_decodes_websocket_without_its_handshake() {
    use mqtt_dissect::dissect::websocket::build::binary;
    let (c, s) = (
        "10.0.0.2:51000".parse().unwrap(),
        "10.0.0.1:8083".parse().unwrap(),
    );
    let mut w = PcapWriter::new(1, false, false);
    let psh = TcpFlags(0x18);
    let ping = binary(Some([1, 2, 3, 4]), b"\xc0\x00");
    let pong = binary(None, b"\xd0\x00");
    w.packet(
        Timestamp { secs: 1, nanos: 0 },
        &ethernet(&[], &tcp_packet(c, s, 100, 900, psh, &ping)),
    );
    w.packet(
        Timestamp { secs: 2, nanos: 0 },
        &ethernet(&[], &tcp_packet(s, c, 900, 108, psh, &pong)),
    );
    let dir = std::env::temp_dir().join(format!("pcap-cli-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ws.pcap");
    std::fs::write(&file, w.into_bytes()).unwrap();
    let path = file.to_str().unwrap();
    let with = ok(&["pcap", "--ws-port", "8083", path]);
    let types: Vec<String> = frames_and_types(&with).into_iter().map(|f| f.1).collect();
    assert_eq!(types, ["PINGREQ", "PINGRESP"], "{with}");
    assert!(with.contains("handshake not captured"), "{with}");
    let without = ok(&["pcap", path]);
    assert!(frames_and_types(&without).is_empty(), "{without}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Real kernel VXLAN (make-tunnel-captures.sh): VNI 42 over IPv4 on 4789, VNI 4242 over
/// IPv6 on 8472, as tshark reads them. Each connection names the tunnel of its first frame
/// in the legend, the JSON records and the statistics.
#[test]
fn connections_name_their_tunnel() {
    let vxlan = "testdata/captures/vxlan.pcap";
    let out = ok(&["pcap", vxlan]);
    let legends: Vec<&str> = out.lines().filter(|l| l.starts_with("# #")).collect();
    assert_eq!(
        legends,
        [
            "# #1 client 192.168.42.1:37400 → broker 192.168.42.2:1883 (TCP handshake seen; roles from Connect), first frame inside VXLAN VNI 42",
            "# #2 client 192.168.42.1:37412 → broker 192.168.42.2:1883 (TCP handshake seen; roles from Connect), first frame inside VXLAN VNI 42",
            "# #3 client 192.168.43.1:36216 → broker 192.168.43.2:1883 (TCP handshake seen; roles from Connect), first frame inside VXLAN VNI 4242",
        ]
    );
    let out = ok(&["pcap", "--format", "jsonl", vxlan]);
    let mut seen = std::collections::BTreeMap::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(c) = v.get("connection").filter(|c| c.is_object()) {
            seen.insert(c["id"].as_u64().unwrap(), c["tunnel"].clone());
        }
    }
    let vni = |id: u64| serde_json::json!({"kind": "VXLAN", "id": id});
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [(1, vni(42)), (2, vni(42)), (3, vni(4242))]
    );
    let out = ok(&["pcap", "--stats", "--format", "json", vxlan]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let tunnels: Vec<Value> = v["files"][0]["stats"]["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tunnel"].clone())
        .collect();
    assert_eq!(tunnels, [vni(42), vni(42), vni(4242)]);
    // A connection outside tunnels has no "tunnel" member at all.
    let out = ok(&["pcap", "--format", "jsonl", V311]);
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(first["connection"].get("tunnel").is_none(), "{first}");
}
