//! Differential test against Wireshark: every capture in testdata/captures and
//! ../shared/captures is decoded by `tshark -T json -x` (MQTT preferences pinned) and by
//! `mqtt-dissect pcap --format jsonl --show-secrets`. Packets are matched per TCP connection
//! and direction, in order; inside a packet, fields are matched by their Wireshark
//! display-filter name (from our field registry) and the packet-relative offset where they
//! end, and every field both decode is compared. A difference must be one that
//! testdata/divergences.md lists (the `allow` arms below name the entry); anything else fails.
//!
//! Skipped when tshark is absent, unless MQTT_DISSECT_DIFF_REQUIRE=1 (as in CI).
//! Run: `cargo test --test diff_tshark -- --nocapture`

mod diff_common;

use diff_common::{display, Divergences, Tally};
use mqtt_dissect::codec::fields::{FieldKind, FIELDS};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The MQTT preferences, pinned (these are Wireshark 4.0's defaults, written out so a
/// changed default or a user's preferences file cannot change what is compared).
const TSHARK_PREFS: &[&str] = &[
    "-o",
    "tcp.desegment_tcp_streams:TRUE",
    "-o",
    "tcp.analyze_sequence_numbers:TRUE",
    "-o",
    "mqtt.default_version:None",
    "-o",
    "mqtt.show_msg_as_text:FALSE",
];

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One field as tshark shows it.
#[derive(Clone, Debug)]
struct TsField {
    name: String,
    /// The displayed value ("" for FT_NONE).
    value: String,
    /// The raw bytes' hex (bit fields: the masked value).
    raw: String,
    pos: i64,
    len: i64,
    /// Wireshark's ftenum (2 boolean, 4..11 unsigned, 26 string, 28 counted string, 30 bytes).
    ftype: u64,
    /// Not from the packet's bytes (`[generated]` in Wireshark).
    generated: bool,
}

/// One MQTT PDU as tshark shows it.
#[derive(Debug)]
struct TsPdu {
    frame: u64,
    src: String,
    dst: String,
    /// Fields by (name, end offset relative to the packet start).
    fields: Vec<(String, i64, TsField)>,
    hdrflags: Option<u8>,
    len: Option<u64>,
    /// Wireshark raised its "unknown version" expert item on this PDU.
    unknown_version: bool,
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn raw_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) if a.first().is_some_and(|x| x.is_array()) => a.iter().collect(),
        other => vec![other],
    }
}

fn collect(obj: &serde_json::Map<String, Value>, out: &mut Vec<TsField>, unknown: &mut bool) {
    for (k, v) in obj {
        if k.ends_with("_raw") {
            continue;
        }
        if k == "_ws.expert" {
            for e in as_list(v) {
                if let Some(o) = e.as_object() {
                    if o.contains_key("mqtt.unknown_version") {
                        *unknown = true;
                    }
                }
            }
            continue;
        }
        if k.ends_with("_tree") || !k.starts_with("mqtt.") {
            for sub in as_list(v) {
                if let Some(o) = sub.as_object() {
                    collect(o, out, unknown);
                }
            }
            continue;
        }
        let raws = obj
            .get(&format!("{k}_raw"))
            .map(raw_list)
            .unwrap_or_default();
        for (i, val) in as_list(v).into_iter().enumerate() {
            let raw = raws.get(i).copied();
            let r = |j: usize| raw.and_then(|r| r.get(j));
            let field = TsField {
                name: k.clone(),
                value: val.as_str().unwrap_or("").to_string(),
                raw: r(0).and_then(|x| x.as_str()).unwrap_or("").to_string(),
                pos: r(1).and_then(|x| x.as_i64()).unwrap_or(-1),
                len: r(2).and_then(|x| x.as_i64()).unwrap_or(0),
                ftype: r(4).and_then(|x| x.as_u64()).unwrap_or(0),
                generated: false,
            };
            let mut field = field;
            if raw.is_none() {
                if field.value.is_empty() {
                    // A zero-length string: tshark gives no raw; it ends where the field
                    // before it (its length prefix) ends.
                    let end = out.last().map_or(-1, |f| f.pos + f.len);
                    field.pos = end;
                } else {
                    // A generated field (the topic Wireshark looks up from a Topic Alias).
                    field.generated = true;
                }
            }
            out.push(field);
            if let Some(o) = val.as_object() {
                collect(o, out, unknown);
            }
        }
    }
}

fn tshark_pdus(path: &Path, ports: &BTreeSet<u16>) -> Vec<TsPdu> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-n", "-T", "json", "--no-duplicate-keys", "-x"])
        .args(TSHARK_PREFS)
        // VXLAN on the Linux kernel's port too (tshark knows 4789 only).
        .args(["-d", "udp.port==8472,vxlan"]);
    for p in ports {
        cmd.args(["-d", &format!("tcp.port=={p},mqtt")]);
    }
    if let Some(k) = diff_common::keylog_of(path) {
        cmd.args(["-o", &format!("tls.keylog_file:{}", k.display())]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("tshark JSON");
    let mut pdus = Vec::new();
    for pkt in doc.as_array().into_iter().flatten() {
        let layers = &pkt["_source"]["layers"];
        let Some(mqtt) = layers.get("mqtt") else {
            continue;
        };
        let frame = layers["frame"]["frame.number"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let tcp = &layers["tcp"];
        // Inside tunnels a packet has several IP headers (an array with duplicate keys
        // merged): the connection is the innermost one's, the last before TCP.
        let stack = s(&layers["frame"]["frame.protocols"]);
        let inner_v4 = stack.rfind(":ip:") > stack.rfind(":ipv6:");
        let innermost = |name: &str| match &layers[name] {
            Value::Array(a) => a.last().cloned().unwrap_or(Value::Null),
            v => v.clone(),
        };
        let (src, dst) = if inner_v4 {
            let ip = innermost("ip");
            (
                format!("{}:{}", s(&ip["ip.src"]), s(&tcp["tcp.srcport"])),
                format!("{}:{}", s(&ip["ip.dst"]), s(&tcp["tcp.dstport"])),
            )
        } else {
            let ip = innermost("ipv6");
            (
                format!("[{}]:{}", s(&ip["ipv6.src"]), s(&tcp["tcp.srcport"])),
                format!("[{}]:{}", s(&ip["ipv6.dst"]), s(&tcp["tcp.dstport"])),
            )
        };
        for m in as_list(mqtt) {
            let Some(o) = m.as_object() else { continue };
            let mut fields = Vec::new();
            let mut unknown = false;
            collect(o, &mut fields, &mut unknown);
            let start = fields
                .iter()
                .find(|f| f.name == "mqtt.hdrflags")
                .map(|f| f.pos)
                .unwrap_or(-1);
            let hdrflags = fields
                .iter()
                .find(|f| f.name == "mqtt.hdrflags")
                .and_then(|f| u8::from_str_radix(f.value.trim_start_matches("0x"), 16).ok());
            let len = fields
                .iter()
                .find(|f| f.name == "mqtt.len")
                .and_then(|f| f.value.parse().ok());
            pdus.push(TsPdu {
                frame,
                src: src.clone(),
                dst: dst.clone(),
                fields: fields
                    .into_iter()
                    .map(|f| (f.name.clone(), f.pos + f.len - start, f))
                    .collect(),
                hdrflags,
                len,
                unknown_version: unknown,
            });
        }
    }
    pdus
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// One of our fields, under its Wireshark name.
#[derive(Clone, Debug)]
struct OurField {
    id: String,
    kind: FieldKind,
    value: Value,
    raw: String,
    len: i64,
}

fn our_fields(nodes: &Value, out: &mut Vec<(String, i64, OurField)>) {
    for n in nodes.as_array().into_iter().flatten() {
        let id = n["field"].as_str().unwrap_or("");
        if let Some(def) = FIELDS.iter().find(|f| f.id == id) {
            if let Some(ws) = def.wireshark {
                let offset = n["offset"].as_i64().unwrap_or(0);
                let len = n["len"].as_i64().unwrap_or(0);
                out.push((
                    ws.to_string(),
                    offset + len,
                    OurField {
                        id: id.to_string(),
                        kind: def.kind,
                        value: n["value"].clone(),
                        raw: n["raw"].as_str().unwrap_or("").to_string(),
                        len,
                    },
                ));
            }
        }
        our_fields(&n["children"], out);
    }
}

/// Wireshark names we map fields to.
fn registry_names() -> BTreeSet<&'static str> {
    FIELDS.iter().filter_map(|f| f.wireshark).collect()
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The string body's hex of one of our string/bytes fields (its raw less the 2-byte length
/// prefix, when the field has one).
fn body_hex(f: &OurField) -> String {
    match &f.value {
        Value::String(s) if f.kind == FieldKind::Bytes => s.clone(),
        Value::String(s) => hex::encode(s.as_bytes()),
        _ => f.raw.clone(),
    }
}

/// Does tshark's value equal ours? `Ok(())` when they agree, `Err(why)` when not.
fn same_value(o: &OurField, t: &TsField) -> Result<(), String> {
    match (&o.value, o.kind) {
        (_, FieldKind::Group) => Ok(()),
        (Value::Bool(b), _) => match parse_num(&t.value) {
            Some(n) if (n != 0) == *b => Ok(()),
            _ => Err(format!("ours {b}, tshark {:?}", t.value)),
        },
        (Value::Number(n), _) => match parse_num(&t.value) {
            Some(v) if Some(v) == n.as_u64() => Ok(()),
            _ => Err(format!("ours {n}, tshark {:?}", t.value)),
        },
        (Value::String(ours), FieldKind::Bytes) => {
            if t.ftype == 30 {
                let theirs = t.value.replace(':', "").to_lowercase();
                if theirs == ours.to_lowercase() {
                    return Ok(());
                }
                return Err(format!("ours {ours}, tshark {theirs}"));
            }
            // tshark shows these as text.
            let bytes = hex::decode(ours).unwrap_or_default();
            match std::str::from_utf8(&bytes) {
                Ok(text) if text == t.value => Ok(()),
                _ => Err(format!("ours bytes {ours}, tshark text {:?}", t.value)),
            }
        }
        (Value::String(ours), _) => {
            if *ours == t.value {
                Ok(())
            } else {
                Err(format!("ours {ours:?}, tshark {:?}", t.value))
            }
        }
        (other, _) => Err(format!("ours {other}, tshark {:?}", t.value)),
    }
}

/// What a difference is about, for the `allow` arms.
#[derive(Debug)]
enum Diff<'a> {
    /// A packet only we decode.
    OnlyOurs { rec: &'a Value },
    /// A packet only tshark decodes.
    OnlyTshark { pdu: &'a TsPdu },
    /// A field name both decode at the same place, with different values.
    Value {
        rec: &'a Value,
        pdu: &'a TsPdu,
        ours: &'a OurField,
        theirs: &'a TsField,
        why: String,
    },
    /// A field only we show.
    FieldOnlyOurs {
        rec: &'a Value,
        pdu: &'a TsPdu,
        name: &'a str,
        ours: &'a OurField,
    },
    /// A field only tshark shows.
    FieldOnlyTshark {
        rec: &'a Value,
        pdu: &'a TsPdu,
        theirs: &'a TsField,
    },
}

/// The entry of testdata/divergences.md that explains a difference, or None.
fn allow(d: &Diff<'_>, file: &str) -> Option<&'static str> {
    match d {
        // A packet split so that its Remaining Length straddles two TCP segments: Wireshark
        // 4.0's tcp_dissect_pdus asks for 2 bytes and reads garbage (and loses the stream).
        Diff::OnlyOurs { rec }
        | Diff::FieldOnlyOurs { rec, .. }
        | Diff::Value { rec, .. }
        | Diff::FieldOnlyTshark { rec, .. }
            if file.ends_with("split-varint.pcap") && rec["direction"] == "client_to_server" =>
        {
            Some("WS-SPLIT-REMAINING-LENGTH")
        }
        Diff::OnlyTshark { pdu }
            if file.ends_with("split-varint.pcap") && pdu.dst.ends_with(":1883") =>
        {
            Some("WS-SPLIT-REMAINING-LENGTH")
        }
        // MQTT over WebSocket: Wireshark 4.0 shows none of it.
        Diff::OnlyOurs { rec } if rec["connection"].to_string().contains("websocket") => {
            Some("WS-NO-WEBSOCKET")
        }
        // Reason codes that the spec says are implied when absent: we show them with length 0.
        Diff::FieldOnlyOurs { ours, .. } if ours.len == 0 && ours.id.ends_with("reason_code") => {
            Some("IMPLIED-REASON-CODE")
        }
        // A CONNECT of an unknown protocol level: we stop after the level, Wireshark goes on.
        Diff::FieldOnlyTshark { rec, theirs, .. }
            if rec["packet"]["type"] == "CONNECT"
                && has_diag(rec, "protocol-level-unknown")
                && !theirs.generated =>
        {
            Some("WS-UNKNOWN-LEVEL-CONNECT")
        }
        // Wireshark without a version (no CONNECT, or one of an unknown level).
        Diff::Value {
            rec, pdu, theirs, ..
        }
        | Diff::FieldOnlyTshark { rec, pdu, theirs }
            if tshark_version_unknown(rec, pdu) && version_dependent(&theirs.name) =>
        {
            Some("WS-UNKNOWN-VERSION")
        }
        Diff::FieldOnlyOurs { rec, pdu, name, .. }
            if tshark_version_unknown(rec, pdu) && version_dependent(name) =>
        {
            Some("WS-UNKNOWN-VERSION")
        }
        // A 3.x server refusing a 5.0 CONNECT answers in its own version (we decode it so).
        Diff::FieldOnlyTshark { rec, theirs, .. }
            if refusal_in_server_version(rec) && version_dependent(&theirs.name) =>
        {
            Some("REFUSAL-IN-SERVER-VERSION")
        }
        Diff::FieldOnlyOurs { rec, name, .. }
            if refusal_in_server_version(rec) && version_dependent(name) =>
        {
            Some("REFUSAL-IN-SERVER-VERSION")
        }
        // The Topic Name Wireshark fills in from its alias map is a generated field; ours is
        // the (empty) Topic Name on the wire.
        Diff::FieldOnlyTshark { theirs, .. } if theirs.name == "mqtt.topic" && theirs.generated => {
            Some("WS-TOPIC-ALIAS-MAP")
        }
        Diff::FieldOnlyOurs { rec, ours, .. }
            if ours.id == "publish.topic"
                && ours.value == ""
                && rec["packet"]["fields"]
                    .to_string()
                    .contains("property.topic_alias") =>
        {
            Some("WS-TOPIC-ALIAS-MAP")
        }
        // Property Length of 2+ bytes: Wireshark shows the bytes as a big-endian integer.
        Diff::Value { ours, theirs, .. } if theirs.name == "mqtt.property_len" && ours.len > 1 => {
            Some("WS-PROPERTY-LENGTH-DISPLAY")
        }
        // A Property Length that runs past the packet (malformed): Wireshark reads on into
        // the next fields as properties; we stop there with a diagnostic.
        Diff::FieldOnlyTshark { rec, theirs, .. }
            if has_diag(rec, "field-overrun") && theirs.name.starts_with("mqtt.prop") =>
        {
            Some("MALFORMED-PROPERTY-LENGTH")
        }
        Diff::FieldOnlyOurs { rec, name, .. }
            if has_diag(rec, "field-overrun") && name.starts_with("mqtt.prop") =>
        {
            Some("MALFORMED-PROPERTY-LENGTH")
        }
        // Binary data that Wireshark types as a string.
        Diff::Value { ours, theirs, .. }
            if ours.kind == FieldKind::Bytes
                && theirs.ftype != 30
                && body_hex_matches(ours, theirs) =>
        {
            Some("WS-BINARY-AS-TEXT")
        }
        _ => None,
    }
}

fn has_diag(rec: &Value, check: &str) -> bool {
    rec["packet"]["diagnostics"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["check"] == check))
}

/// Wireshark decodes this packet without knowing the version: it raised "unknown version"
/// (no CONNECT captured), or the connection's CONNECT had a level other than 3, 4 or 5.
fn tshark_version_unknown(rec: &Value, pdu: &TsPdu) -> bool {
    pdu.unknown_version
        || (rec["connection"]["version"].is_null() && rec["packet"]["type"] != "CONNECT")
}

/// We decoded this packet in another version than the connection's CONNECT asked for,
/// because it only decodes cleanly so (a 3.1.1 server's CONNACK refusing a 5.0 client).
fn refusal_in_server_version(rec: &Value) -> bool {
    rec["version_assumed"] == true
        && !rec["connection"]["version"].is_null()
        && rec["connection"]["version"] != rec["version"]
}

/// Fields whose presence, name or place depends on the protocol version.
fn version_dependent(name: &str) -> bool {
    name.ends_with("reason_code")
        || name.starts_with("mqtt.prop")
        || name.starts_with("mqtt.subscription_options")
        || matches!(
            name,
            "mqtt.conack.val"
                | "mqtt.suback.qos"
                | "mqtt.sub.qos"
                | "mqtt.msg"
                | "mqtt.topic"
                | "mqtt.conack.flags"
                | "mqtt.conack.flags.sp"
                | "mqtt.conack.flags.reserved"
        )
}

/// Wireshark's raw bytes of a string-typed field equal our binary value.
fn body_hex_matches(ours: &OurField, theirs: &TsField) -> bool {
    let h = body_hex(ours);
    theirs.raw.eq_ignore_ascii_case(&h)
}

fn describe(d: &Diff<'_>, file: &str) -> String {
    match d {
        Diff::OnlyOurs { rec } => format!(
            "{file}: frame {} {}→{}: only we decode a {} (ours: {})",
            rec["frame"],
            s(&rec["src"]),
            s(&rec["dst"]),
            s(&rec["packet"]["type"]),
            rec["packet"]["diagnostics"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|d| s(&d["id"]).to_string())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default()
        ),
        Diff::OnlyTshark { pdu } => format!(
            "{file}: frame {} {}→{}: only tshark decodes a packet (type byte {:?}, len {:?})",
            pdu.frame, pdu.src, pdu.dst, pdu.hdrflags, pdu.len
        ),
        Diff::Value {
            rec,
            ours,
            theirs,
            why,
            ..
        } => format!(
            "{file}: frame {} {} {}: {} ({}) differs: {why}",
            rec["frame"],
            s(&rec["packet"]["type"]),
            s(&rec["version"]),
            theirs.name,
            ours.id
        ),
        Diff::FieldOnlyOurs {
            rec, name, ours, ..
        } => format!(
            "{file}: frame {} {} {}: {name} ({} = {}) only in ours",
            rec["frame"],
            s(&rec["packet"]["type"]),
            s(&rec["version"]),
            ours.id,
            ours.value
        ),
        Diff::FieldOnlyTshark { rec, theirs, .. } => format!(
            "{file}: frame {} {} {}: {} = {:?} only in tshark",
            rec["frame"],
            s(&rec["packet"]["type"]),
            s(&rec["version"]),
            theirs.name,
            theirs.value
        ),
    }
}

/// Longest common subsequence of two packet lists, by (fixed-header byte, remaining length).
fn align(ours: &[&Value], theirs: &[&TsPdu]) -> Vec<(Option<usize>, Option<usize>)> {
    let sig_o = |r: &Value| {
        let f = &r["packet"]["fields"];
        let h = f
            .as_array()
            .and_then(|a| a.iter().find(|n| n["field"] == "header"))
            .and_then(|n| n["value"].as_u64());
        let l = f
            .as_array()
            .and_then(|a| a.iter().find(|n| n["field"] == "header.remaining_length"))
            .and_then(|n| n["value"].as_u64());
        (h, l)
    };
    let so: Vec<_> = ours.iter().map(|r| sig_o(r)).collect();
    let st: Vec<_> = theirs
        .iter()
        .map(|p| (p.hdrflags.map(u64::from), p.len))
        .collect();
    let (n, m) = (so.len(), st.len());
    let mut dp = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            dp[i][j] = if so[i] == st[j] {
                dp[i + 1][j + 1] + 1
            } else {
                dp[i + 1][j].max(dp[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && so[i] == st[j] {
            out.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j >= m || (i < n && dp[i + 1][j] >= dp[i][j + 1]) {
            out.push((Some(i), None));
            i += 1;
        } else {
            out.push((None, Some(j)));
            j += 1;
        }
    }
    out
}

fn compare_packet(
    rec: &Value,
    pdu: &TsPdu,
    names: &BTreeSet<&str>,
    file: &str,
    div: &mut Divergences,
    tally: &mut Tally,
) {
    let mut ours = Vec::new();
    our_fields(&rec["packet"]["fields"], &mut ours);
    let mut theirs: BTreeMap<(&str, i64), Vec<&TsField>> = BTreeMap::new();
    for (name, end, f) in &pdu.fields {
        if names.contains(name.as_str()) {
            theirs.entry((name.as_str(), *end)).or_default().push(f);
        }
    }
    let mut matched: BTreeSet<(&str, i64, usize)> = BTreeSet::new();
    let mut seen: BTreeMap<(&str, i64), usize> = BTreeMap::new();
    let record = |d: Diff<'_>, tally: &mut Tally, div: &mut Divergences| match allow(&d, file) {
        Some(id) => {
            div.allow(id);
            tally.allowed += 1;
        }
        None => tally.unexplained.push(describe(&d, file)),
    };
    for (name, end, o) in &ours {
        let k = (name.as_str(), *end);
        let idx = seen.entry(k).or_default();
        let cand = theirs.get(&k).and_then(|v| v.get(*idx));
        *idx += 1;
        match cand {
            Some(t) => {
                matched.insert((k.0, k.1, *idx - 1));
                tally.fields += 1;
                match same_value(o, t) {
                    Ok(()) => tally.agreed += 1,
                    Err(why) => record(
                        Diff::Value {
                            rec,
                            pdu,
                            ours: o,
                            theirs: t,
                            why,
                        },
                        tally,
                        div,
                    ),
                }
            }
            None => record(
                Diff::FieldOnlyOurs {
                    rec,
                    pdu,
                    name,
                    ours: o,
                },
                tally,
                div,
            ),
        }
    }
    for ((name, end), list) in &theirs {
        for (i, t) in list.iter().enumerate() {
            if !matched.contains(&(*name, *end, i)) {
                record(
                    Diff::FieldOnlyTshark {
                        rec,
                        pdu,
                        theirs: t,
                    },
                    tally,
                    div,
                );
            }
        }
    }
}

#[test]
fn tshark_agrees_on_every_capture() {
    if !tshark_available() {
        diff_common::tool_missing("tshark");
        return;
    }
    let mut div = Divergences::load();
    let mut tally = Tally::default();
    let names = registry_names();
    for path in diff_common::captures() {
        let file = display(&path);
        let ours = diff_common::our_pcap_packets(&path, &[]);
        let ports: BTreeSet<u16> = ours
            .iter()
            // Over WebSocket the port carries HTTP first, over TLS records (tshark decodes
            // MQTT on 8883 inside TLS by default): decoding it as MQTT would be noise.
            .filter(|r| {
                !matches!(
                    r["connection"]["transport"].as_str(),
                    Some("websocket" | "tls")
                )
            })
            .filter_map(|r| r["connection"]["server"].as_str())
            .filter_map(|s| s.rsplit(':').next()?.parse().ok())
            .filter(|p| *p != 1883)
            .collect();
        let theirs = tshark_pdus(&path, &ports);
        // Per direction (src → dst), in order.
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut by_o: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
        for r in &ours {
            let k = (s(&r["src"]).to_string(), s(&r["dst"]).to_string());
            if !by_o.contains_key(&k) {
                keys.push(k.clone());
            }
            by_o.entry(k).or_default().push(r);
        }
        let mut by_t: BTreeMap<(String, String), Vec<&TsPdu>> = BTreeMap::new();
        for p in &theirs {
            let k = (p.src.clone(), p.dst.clone());
            if !by_o.contains_key(&k) && !by_t.contains_key(&k) {
                keys.push(k.clone());
            }
            by_t.entry(k).or_default().push(p);
        }
        let mut file_packets = 0;
        for k in keys {
            let o = by_o.get(&k).cloned().unwrap_or_default();
            let t = by_t.get(&k).cloned().unwrap_or_default();
            for (i, j) in align(&o, &t) {
                let d = match (i, j) {
                    (Some(i), Some(j)) => {
                        file_packets += 1;
                        tally.packets += 1;
                        compare_packet(o[i], t[j], &names, &file, &mut div, &mut tally);
                        continue;
                    }
                    (Some(i), None) => Diff::OnlyOurs { rec: o[i] },
                    (None, Some(j)) => Diff::OnlyTshark { pdu: t[j] },
                    (None, None) => unreachable!(),
                };
                match allow(&d, &file) {
                    Some(id) => {
                        div.allow(id);
                        tally.allowed += 1;
                    }
                    None => tally.unexplained.push(describe(&d, &file)),
                }
            }
        }
        eprintln!(
            "{file}: {file_packets} packets compared ({} ours, {} tshark)",
            ours.len(),
            theirs.len()
        );
    }
    div.report("tshark");
    tally.print("tshark agreement");
    tally.check("tshark");
}
