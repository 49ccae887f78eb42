//! `mqtt-dissect hex`, run as a process: every accepted input form, the seed vectors, bad
//! input, exit codes, the output formats, colour, secrets and a closed pipe.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mqtt-dissect");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn mqtt-dissect");
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

fn run(args: &[&str], stdin: &str) -> Out {
    run_env(args, stdin, &[])
}

fn hex(input: &str) -> Out {
    run(&["hex", input], "")
}

#[track_caller]
fn has(o: &Out, needle: &str) {
    assert!(
        o.stdout.contains(needle),
        "expected {needle:?} in output:\n{}\nstderr: {}",
        o.stdout,
        o.stderr
    );
}

// Seed 003: the packets people type into AT-command modems (Aliyun IoT example).
const CONNECT: &str = "10 b2 01 00 04 4d 51 54 54 04 c2 00 3c 00 4f 61 31 79 79 65 71 67 70 73 4B 6D 2E 6D 71 74 74 5F 66 78 7C 73 65 63 75 72 65 6D 6F 64 65 3D 32 2C 73 69 67 6E 6D 65 74 68 6F 64 3D 68 6D 61 63 73 68 61 32 35 36 2C 74 69 6D 65 73 74 61 6D 70 3D 31 36 39 31 36 34 38 35 39 34 30 34 31 7C 00 13 6D 71 74 74 5F 66 78 26 61 31 79 79 65 71 67 70 73 4B 6D 00 40 63 38 36 63 39 35 65 66 35 36 63 63 65 61 61 61 36 61 38 33 33 34 65 66 30 39 30 64 36 64 35 63 35 66 61 30 37 63 61 36 65 61 63 32 35 62 30 38 37 32 38 30 36 31 38 38 61 64 62 61 64 34 32 30";
const CONNACK: &str = "20 02 00 00";
const PINGREQ: &str = "C0 00";
const PINGRESP: &str = "D0 00";
const DISCONNECT: &str = "E0 00";
const SUBSCRIBE: &str = "82 38 00 0A 00 33 2F 73 79 73 2F 61 31 79 79 65 71 67 70 73 4B 6D 2F 6D 71 74 74 5F 66 78 2F 74 68 69 6E 67 2F 73 65 72 76 69 63 65 2F 70 72 6F 70 65 72 74 79 2F 73 65 74 00";
const SUBACK: &str = "90 03 00 0A 01";
const UNSUBSCRIBE: &str = "A2 37 00 0A 00 33 2F 73 79 73 2F 61 31 79 79 65 71 67 70 73 4B 6D 2F 6D 71 74 74 5F 66 78 2F 74 68 69 6E 67 2F 73 65 72 76 69 63 65 2F 70 72 6F 70 65 72 74 79 2F 73 65 74";
const UNSUBACK: &str = "B0 02 00 0A";
const PUBLISH: &str = "30 9D 01 00 33 2F 73 79 73 2F 61 31 79 79 65 71 67 70 73 4B 6D 2F 6D 71 74 74 5F 66 78 2F 74 68 69 6E 67 2F 73 65 72 76 69 63 65 2F 70 72 6F 70 65 72 74 79 2F 73 65 74 7B 22 6D 65 74 68 6F 64 22 3A 22 74 68 69 6E 67 2E 73 65 72 76 69 63 65 2E 70 72 6F 70 65 72 74 79 2E 73 65 74 22 2C 22 69 64 22 3A 22 33 34 34 34 36 31 37 31 22 2C 22 70 61 72 61 6D 73 22 3A 7B 22 74 65 6D 70 22 3A 38 38 2C 22 68 75 6D 69 22 3A 37 37 7D 2C 22 76 65 72 73 69 6F 6E 22 3A 22 31 2E 30 2E 30 22 7D";
const PUBACK: &str = "40 02 7B 22";
const TOPIC: &str = "/sys/a1yyeqgpsKm/mqtt_fx/thing/service/property/set";

#[test]
fn seed_003_connect() {
    let o = hex(CONNECT);
    assert_eq!(o.code, 0, "{}", o.stderr);
    has(
        &o,
        "#1 CONNECT  MQTT 3.1.1 (from CONNECT)  181 bytes at offset 0",
    );
    has(&o, "Remaining Length: 178");
    has(&o, "Protocol Name: \"MQTT\"");
    has(&o, "Protocol Level: 4 (MQTT 3.1.1)");
    has(&o, "1... .... = User Name Flag: Set");
    has(&o, ".1.. .... = Password Flag: Set");
    has(&o, ".... ..1. = Clean Start: Set");
    has(&o, "Keep Alive: 60");
    has(
        &o,
        "Client ID: \"a1yyeqgpsKm.mqtt_fx|securemode=2,signmethod=hmacsha256,timestamp=1691648594041|\" (79 bytes)",
    );
    has(&o, "User Name: \"mqtt_fx&a1yyeqgpsKm\" (19 bytes)");
    has(&o, "Password: ******** (64 bytes");
    assert!(!o.stdout.contains("c86c95ef"), "password leaked");
}

#[test]
fn seed_003_acks_and_pings() {
    let o = hex(CONNACK);
    assert_eq!(o.code, 0);
    has(&o, "Return Code: 0x00 (Connection Accepted)");
    for (h, name) in [
        (PINGREQ, "PINGREQ"),
        (PINGRESP, "PINGRESP"),
        (DISCONNECT, "DISCONNECT"),
    ] {
        let o = hex(h);
        assert_eq!(o.code, 0);
        has(
            &o,
            &format!("#1 {name}  MQTT 3.1.1 (assumed)  2 bytes at offset 0"),
        );
        has(&o, "reads the same in MQTT 3.1.1 and 5.0");
    }
    let o = hex(SUBACK);
    assert_eq!(o.code, 0);
    has(&o, "Packet Identifier: 10");
    has(&o, "Return Code: 0x01 (Success - Maximum QoS 1)");
    has(&o, "decodes without errors only as MQTT 3.1.1");
    let o = hex(UNSUBACK);
    assert_eq!(o.code, 0);
    has(&o, "#1 UNSUBACK");
    has(&o, "Packet Identifier: 10");
    let o = hex(PUBACK);
    assert_eq!(o.code, 0);
    has(&o, "Packet Identifier: 31522");
}

#[test]
fn seed_003_subscribe_unsubscribe() {
    let o = hex(SUBSCRIBE);
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, "Packet Identifier: 10");
    has(&o, &format!("Topic Filter: \"{TOPIC}\" (51 bytes)"));
    has(&o, "Requested QoS: 0 (At most once delivery)");
    let o = hex(UNSUBSCRIBE);
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, &format!("Topic Filter: \"{TOPIC}\" (51 bytes)"));
}

#[test]
fn seed_003_publish_json_payload_pretty_printed() {
    let o = hex(PUBLISH);
    assert_eq!(o.code, 0);
    has(
        &o,
        "#1 PUBLISH  MQTT 3.1.1 (assumed)  160 bytes at offset 0",
    );
    has(&o, "Remaining Length: 157");
    has(&o, &format!("Topic Name: \"{TOPIC}\" (51 bytes)"));
    has(&o, "Payload: 104 bytes, JSON");
    // Pretty-printed, keys in their original order.
    let method = o.stdout.find("\"method\": \"thing.service.property.set\",");
    let id = o.stdout.find("\"id\": \"34446171\",");
    assert!(
        method.is_some() && id.is_some() && method < id,
        "{}",
        o.stdout
    );
    has(&o, "\"temp\": 88,");
    has(&o, "\"humi\": 77");
    has(&o, "\"version\": \"1.0.0\"");
    // Other payload modes.
    let o = run(&["hex", "--payload", "hex", PUBLISH], "");
    has(&o, "Payload: 104 bytes, binary");
    has(
        &o,
        "0000  7b 22 6d 65 74 68 6f 64  22 3a 22 74 68 69 6e 67  |{\"method\":\"thing|",
    );
    let o = run(&["hex", "--payload", "text", PUBLISH], "");
    has(&o, "{\"method\":\"thing.service.property.set\",\"id\"");
}

#[test]
fn seed_003_whole_session_in_one_input() {
    let all = [
        CONNECT,
        CONNACK,
        SUBSCRIBE,
        SUBACK,
        PUBLISH,
        PUBACK,
        UNSUBSCRIBE,
        UNSUBACK,
        PINGREQ,
        PINGRESP,
        DISCONNECT,
    ]
    .join("\n");
    let o = run(&["hex"], &all);
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(
        &o,
        "#2 CONNACK  MQTT 3.1.1 (from CONNECT)  4 bytes at offset 181",
    );
    has(&o, "#11 DISCONNECT  MQTT 3.1.1 (from CONNECT)");
    has(&o, "11 packet(s) in ");
    has(&o, ": 11 clean");
}

/// Every paste form of the issue gives the same CONNACK.
#[test]
fn every_input_form() {
    let forms = [
        "20 02 00 01",
        "20020001",
        "0x20 0x02 0x00 0x01",
        "0x20,0x02,0x00,0x01,",
        "0X20, 0X02, 0X00, 0X01",
        "{0x20, 0x02, 0x00, 0x01}",
        "unsigned char pkt[] = {0x20, 0x02, 0x00, 0x01};",
        "\\x20\\x02\\x00\\x01",
        "20:02:00:01",
        "20 02\n00 01\n",
        "00000000: 2002 0001                                ....\n",
        "00000000  20 02 00 01                                       | ...|\n00000004\n",
    ];
    for f in forms {
        let o = run(&["hex"], f);
        assert_eq!(o.code, 0, "form {f:?}: {}", o.stderr);
        has(
            &o,
            "Return Code: 0x01 (Connection Refused, unacceptable protocol version)",
        );
        let o = hex(f);
        assert_eq!(o.code, 0, "form {f:?} as an argument: {}", o.stderr);
        has(&o, "#1 CONNACK");
    }
    // Several arguments are joined; `-` reads stdin.
    let o = run(&["hex", "20", "02", "00", "01"], "");
    has(&o, "#1 CONNACK");
    let o = run(&["hex", "-"], "20 02 00 01");
    has(&o, "#1 CONNACK");
}

#[test]
fn text_and_binary_files() {
    let dir = std::env::temp_dir().join(format!("mqtt-dissect-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = dir.join("pkt.txt");
    std::fs::write(&text, "# a CONNACK\n20 02 00 01\n").expect("write");
    let bin = dir.join("pkt.bin");
    std::fs::write(&bin, [0x20, 0x02, 0x00, 0x01]).expect("write");
    for args in [
        vec!["hex", "-f", text.to_str().unwrap_or_default()],
        vec!["hex", "-b", bin.to_str().unwrap_or_default()],
    ] {
        let o = run(&args, "");
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        has(&o, "#1 CONNACK");
    }
    let o = run(&["hex", "-b", "-"], "\u{c0}\u{0}");
    // U+00C0 is two bytes in UTF-8: c3 80 — a raw binary stdin is taken byte for byte.
    has(&o, "bytes");
    let o = run(&["hex", "-f", "/nonexistent/x.txt"], "");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot read /nonexistent/x.txt"),
        "{}",
        o.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_exit_2_with_position() {
    let o = hex("20 02 0");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("odd number of hex digits (5)"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("line 1, column 7"), "{}", o.stderr);
    let o = run(&["hex"], "20 02\n00 zz\n");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("non-hex character 'z' at line 2, column 4"),
        "{}",
        o.stderr
    );
    let o = run(&["hex"], "  \n");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("empty input"), "{}", o.stderr);
    let o = run(&["hex", "--protocol", "4.2", "c0 00"], "");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown protocol version '4.2'"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn malformed_packet_is_exit_1_with_the_diagnostic() {
    // SUBSCRIBE with Packet Identifier 0.
    let o = hex("82 06 00 00 00 01 61 00");
    assert_eq!(o.code, 1, "{}", o.stdout);
    has(
        &o,
        "error [MQTT-2.3.1-1] SUBSCRIBE with Packet Identifier 0",
    );
    has(&o, "(packet-id-zero)");
    // The diagnostic sits under the field it concerns.
    let field = o.stdout.find("Packet Identifier: 0");
    let diag = o.stdout.find("error [MQTT-2.3.1-1]");
    assert!(field.is_some() && field < diag);
    // Reserved connect flag in a 3.1.1 CONNECT, under the bit.
    let o = hex("10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 61");
    assert_eq!(o.code, 1);
    has(&o, ".... ...1 = Reserved: Set");
    has(&o, "error [MQTT-3.1.2-3]");
}

#[test]
fn trailing_partial_packet_needs_more_bytes() {
    let o = hex("c0 00 30 05 00 03 61 2f");
    assert_eq!(o.code, 1);
    has(&o, "#2 PUBLISH");
    has(&o, "need 1 more byte(s)");
    has(&o, "the last packet needs 1 more byte(s)");
    let o = run(&["hex", "--format", "json", "c0 00 30 05 00 03 61 2f"], "");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["packets"][1]["complete"], false);
    assert_eq!(v["packets"][1]["missing"]["bytes"], 1);
}

#[test]
fn version_assumption_and_both_readings() {
    // CONNACK with a property length: only 5.0 is clean.
    let o = hex("20 03 00 00 00");
    assert_eq!(o.code, 0);
    has(&o, "#1 CONNACK  MQTT 5.0 (assumed)");
    has(&o, "decodes without errors only as MQTT 5.0");
    // PUBLISH whose payload may begin with a property length: both shown.
    let o = hex("30 08 00 03 61 2f 62 00 68 69");
    assert_eq!(o.code, 0);
    has(&o, "#1 PUBLISH  MQTT 3.1.1 (assumed)");
    has(&o, "#1 also reads as MQTT 5.0:");
    // Forced version.
    let o = run(&["hex", "--protocol", "5", "20 03 00 00 00"], "");
    has(&o, "MQTT 5.0 (from --protocol)");
    // A 5.0 CONNECT refused by a 3.1.1-only broker.
    let o = hex("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00 20 02 00 01");
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, "#2 CONNACK  MQTT 3.1.1 (assumed)");
    has(&o, "the server answered in the version it speaks");
}

#[test]
fn protocol_version_remedy() {
    // 3.1.1 CONNACK return code 1 after a 5.0 CONNECT.
    let o = hex("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00 20 02 00 01");
    has(&o, "advice: The server refused the connection because it does not accept the MQTT protocol version");
    has(&o, "3 = MQTT 3.1 (protocol name \"MQIsdp\"), 4 = MQTT 3.1.1 (\"MQTT\"), 5 = MQTT 5.0 (\"MQTT\")");
    has(&o, "The client asked for level 5 (MQTT 5.0) in packet #1.");
    has(&o, "protocol=mqtt.MQTTv311");
    has(&o, "or enable that version on the broker");
    // The classic hand edit: level 4 changed to 5 without adding the Property Length. The
    // CONNECT is malformed, but what it asked for still counts.
    let o =
        hex("10 16 00 04 4D 51 54 54 05 C2 00 3C 00 04 64 65 76 31 00 01 75 00 01 70 20 02 00 01");
    assert_eq!(o.code, 1);
    has(&o, "Client ID needs 1124 byte(s)");
    has(&o, "The client asked for level 5 (MQTT 5.0) in packet #1.");
    // v5 0x84 alone: no CONNECT in the input.
    let o = hex("20 03 00 84 00");
    has(&o, "Reason Code: 0x84 (Unsupported Protocol Version)");
    has(&o, "The CONNECT is not in the input");
    // 3.1 client.
    let o = hex("10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 61 20 02 00 01");
    has(
        &o,
        "The client asked for level 3 (MQTT 3.1) in packet #1. MQTT 3.1 is obsolete",
    );
    // JSON carries it too.
    let o = run(&["hex", "--format", "json", "20 02 00 01"], "");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert!(v["packets"][0]["advice"][0]
        .as_str()
        .unwrap_or_default()
        .contains("does not accept the MQTT protocol version"));
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

#[test]
fn json_output_parses_back() {
    let o = run(&["hex", "--format", "json", CONNECT], "");
    assert_eq!(o.code, 0);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("valid JSON");
    assert_eq!(v["input_length"], 181);
    let p = &v["packets"][0];
    assert_eq!(p["type"], "CONNECT");
    assert_eq!(p["version"], "3.1.1");
    assert_eq!(p["version_source"], "connect");
    assert_eq!(p["length"], 181);
    assert_eq!(p["complete"], true);
    let f = &p["fields"];
    let cid = field(f, "connect.client_id").expect("client id");
    assert_eq!(cid["offset"], 13);
    assert_eq!(cid["len"], 81);
    assert_eq!(
        cid["value"],
        "a1yyeqgpsKm.mqtt_fx|securemode=2,signmethod=hmacsha256,timestamp=1691648594041|"
    );
    assert_eq!(cid["label"], "Client ID");
    assert!(cid["raw"]
        .as_str()
        .unwrap_or_default()
        .starts_with("004f6131"));
    let ka = field(f, "connect.keep_alive").expect("keep alive");
    assert_eq!(
        (ka["offset"].as_u64(), ka["value"].as_u64()),
        (Some(11), Some(60))
    );
    let uflag = field(f, "connect.flags.username").expect("flag");
    assert_eq!(uflag["value"], true);
    assert_eq!(uflag["mask"], 128);
    let level = field(f, "connect.protocol_level").expect("level");
    assert_eq!(level["meaning"]["name"], "MQTT 3.1.1");
    let pw = field(f, "connect.password").expect("password");
    assert_eq!(pw["value"], "********");
    assert_eq!(pw["masked"], true);
    assert!(
        !o.stdout.contains("6338366339"),
        "password bytes leaked in raw"
    );
    // With --show-secrets.
    let o = run(&["hex", "--format", "json", "--show-secrets", CONNECT], "");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("valid JSON");
    let pw = field(&v["packets"][0]["fields"], "connect.password").expect("password");
    assert_eq!(pw.get("masked"), None);
    assert_eq!(
        pw["text"],
        "c86c95ef56cceaaa6a8334ef090d6d5c5fa07ca6eac25b0872806188adbad420"
    );
    // Diagnostics in JSON, at packet level and on their node.
    let o = run(&["hex", "--format", "json", "82 06 00 00 00 01 61 00"], "");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("valid JSON");
    let d = &v["packets"][0]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["check"], "packet-id-zero");
    assert_eq!(d["spec"], "MQTT-2.3.1-1");
    let pid = field(&v["packets"][0]["fields"], "packet_id").expect("packet id");
    assert_eq!(pid["diagnostics"][0]["check"], "packet-id-zero");
}

#[test]
fn jsonl_is_one_packet_a_line() {
    let input = [CONNECT, CONNACK, PUBLISH].join(" ");
    let o = run(&["hex", "--format", "jsonl"], &input);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    let types: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["type"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(types, ["CONNECT", "CONNACK", "PUBLISH"]);
}

#[test]
fn table_output() {
    let o = run(&["hex", "--format", "table", SUBACK], "");
    assert_eq!(o.code, 0);
    has(&o, "#1 SUBACK");
    for col in [
        "offset", "len", "raw", "field", "value", "meaning", "problems",
    ] {
        has(&o, col);
    }
    has(&o, "Packet Identifier");
    has(&o, "Success - Maximum QoS 1");
    let o = run(&["hex", "--format", "table", "82 06 00 00 00 01 61 00"], "");
    assert_eq!(o.code, 1);
    has(&o, "packet-id-zero");
}

#[test]
fn roundtrip_report() {
    let o = run(&["hex", "--roundtrip", CONNECT], "");
    has(&o, "roundtrip: identical");
    // Non-minimal Remaining Length (0x82 0x00 for 2).
    let o = run(&["hex", "--roundtrip", "40 82 00 00 01"], "");
    has(&o, "roundtrip: differs");
    has(&o, "vbi-non-minimal");
    let o = run(
        &["hex", "--roundtrip", "--format", "json", "40 82 00 00 01"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["packets"][0]["roundtrip"]["result"], "differs");
    assert_eq!(v["packets"][0]["roundtrip"]["encoded"], "40020001");
}

#[test]
fn color_always_never_and_no_color() {
    let o = run(&["hex", "--color", "always", CONNECT], "");
    assert!(
        o.stdout.contains("\x1b["),
        "no ANSI codes with --color always"
    );
    let o = run(&["hex", "--color", "never", CONNECT], "");
    assert!(!o.stdout.contains('\x1b'));
    let o = run_env(&["hex", CONNECT], "", &[("NO_COLOR", "1")]);
    assert!(!o.stdout.contains('\x1b'));
    let o = run_env(&["hex", "--color", "auto", CONNECT], "", &[]);
    assert!(!o.stdout.contains('\x1b'), "auto colours a pipe");
    // The letter marks of the hex dump stand in for colour.
    let o = run(&["hex", "--color", "never", CONNACK], "");
    has(
        &o,
        "A=Header Flags B=Remaining Length C=Acknowledge Flags D=Return Code",
    );
}

#[test]
fn wire_strings_cannot_drive_the_terminal() {
    // PUBLISH topic "a" with payload ESC [ 2 J.
    let o = run(
        &["hex", "--payload", "text", "30 07 00 01 61 1b 5b 32 4a"],
        "",
    );
    assert!(!o.stdout.contains('\x1b'), "{}", o.stdout);
    has(&o, "\\u{1b}[2J");
}

#[test]
fn secrets_masked_unless_asked() {
    let o = hex(CONNECT);
    has(&o, "********");
    assert!(!o.stdout.contains("c86c95ef"));
    has(&o, "00 40 ** ** ** **");
    let o = run(&["hex", "--show-secrets", CONNECT], "");
    has(
        &o,
        "Password: \"c86c95ef56cceaaa6a8334ef090d6d5c5fa07ca6eac25b0872806188adbad420\" (64 bytes)",
    );
    // Authentication Data (v5 CONNECT property 0x16).
    let auth = "10 18 00 04 4d 51 54 54 05 02 00 3c 0a 15 00 01 78 16 00 03 73 65 63 00 01 61";
    let o = hex(auth);
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, "Authentication Data (0x16): ********");
    assert!(!o.stdout.contains("\"sec\""));
    let o = run(&["hex", "--show-secrets", auth], "");
    has(&o, "Authentication Data (0x16): \"sec\"");
}

#[test]
fn closed_pipe_exits_quietly() {
    let many = vec![PUBLISH; 2000].join(" ");
    let mut child = Command::new(BIN)
        .args(["hex", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(many.as_bytes());
    });
    {
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("one line");
        assert!(first.starts_with("#1 PUBLISH"), "{first}");
    } // stdout closed here
    let o = child.wait_with_output().expect("wait");
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `--from`: who sent the packets. It turns on the checks that depend on the direction, and
/// the output says which was assumed.
#[test]
fn from_says_who_sent_the_packets() {
    // 5.0 PUBLISH with Subscription Identifier 1: only a server may send one.
    let publish = "30 07 0001 74 02 0b01 78";
    let o = run(&["hex", "--protocol", "5", "--from", "client", publish], "");
    assert_eq!(o.code, 1, "{}", o.stdout);
    has(
        &o,
        "#1 PUBLISH  MQTT 5.0 (from --protocol)  9 bytes at offset 0  client → server",
    );
    has(
        &o,
        "error [MQTT-3.3.4-6] a PUBLISH from the client carries a Subscription Identifier",
    );
    let o = run(&["hex", "--protocol", "5", "--from", "server", publish], "");
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, "9 bytes at offset 0  server → client");
    let o = run(&["hex", "--protocol", "5", publish], "");
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(!o.stdout.contains("→"), "{}", o.stdout);

    // 5.0 DISCONNECT with Session Expiry Interval 10: only a client may send one.
    let disconnect = "e0 07 00 05 11 0000000a";
    for format in ["json", "jsonl"] {
        let args = [
            "hex",
            "--protocol",
            "5",
            "--from",
            "server",
            "--format",
            format,
        ];
        let o = run(&[&args[..], &[disconnect]].concat(), "");
        assert_eq!(o.code, 1, "{}", o.stdout);
        let text = match format {
            "jsonl" => o.stdout.lines().next().unwrap_or_default(),
            _ => o.stdout.as_str(),
        };
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let p = if format == "json" {
            &v["packets"][0]
        } else {
            &v
        };
        assert_eq!(p["direction"], "server_to_client", "{format}");
        let check = &p["diagnostics"][0]["check"];
        assert_eq!(check, "server-disconnect-session-expiry", "{format}");
    }
    let args = [
        "hex",
        "--protocol",
        "5",
        "--from",
        "client",
        "--format",
        "jsonl",
    ];
    let o = run(&[&args[..], &[disconnect]].concat(), "");
    assert_eq!(o.code, 0, "{}", o.stdout);
    has(&o, "\"direction\":\"client_to_server\"");

    let o = run(&["hex", "--from", "broker", "c0 00"], "");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("possible values: client, server"),
        "{}",
        o.stderr
    );
}
