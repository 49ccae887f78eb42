//! The analysis stage over the real captures of `testdata/captures` (what mosquitto really
//! does) and over hand-built captures for what no broker here does (server→client topic
//! aliases, aliases above the maximum, SUBACK with the wrong code count, …).

use mqtt_dissect::codec::diag::Severity;
use mqtt_dissect::dissect::analysis::{
    resolved_topic, Acceptance, Analysis, Analyzer, ConnSummary, End, FlowKind, Role,
};
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::present::stats::refusal_explanation;
use mqtt_dissect::transport::testing::{ethernet, tcp_packet, ts, PcapWriter};
use mqtt_dissect::transport::{TcpFlags, TransportConfig};
use std::net::SocketAddr;
use std::path::Path;

/// What a test needs of one record after the analysis saw it.
#[derive(Debug, Clone)]
struct Seen {
    frame: u64,
    conn: u64,
    what: String,
    /// (check id, severity, spec, offset, len, message)
    diags: Vec<(String, Severity, String, usize, usize, String)>,
    resolved: Option<(u16, String)>,
    packet_len: usize,
    message: String,
}

fn analyse(bytes: &[u8], tree: bool) -> (Vec<Seen>, Analysis) {
    let mut a = Analyzer::default();
    let mut seen = Vec::new();
    let cfg = CaptureConfig {
        tree,
        ..CaptureConfig::default()
    };
    dissect_capture(bytes, &TransportConfig::default(), cfg, &mut |r| {
        a.record(r);
        match &*r {
            Record::Packet(p) => {
                let d = &p.assumed.decoded;
                if tree {
                    // The resolved topic is also on the topic field of the tree.
                    if let Some((al, t)) = resolved_topic(d) {
                        let n = mqtt_dissect::codec::tree::find(&d.tree, "publish.topic")
                            .expect("topic node");
                        let m = n.meaning.as_ref().expect("meaning on the topic");
                        assert!(m.name.contains(&t) && m.name.contains(&al.to_string()));
                    }
                }
                seen.push(Seen {
                    frame: p.frame,
                    conn: p.conn.id,
                    what: d.packet_type.to_string(),
                    diags: d
                        .diagnostics
                        .iter()
                        .map(|x| {
                            (
                                x.check.id.to_string(),
                                x.severity,
                                x.spec.to_string(),
                                x.offset,
                                x.len,
                                x.message.clone(),
                            )
                        })
                        .collect(),
                    resolved: resolved_topic(d),
                    packet_len: d.bytes.len(),
                    message: String::new(),
                });
            }
            Record::Event(e) => seen.push(Seen {
                frame: e.frame,
                conn: e.conn.map_or(0, |c| c.id),
                what: format!("{:?}", e.kind),
                diags: Vec::new(),
                resolved: None,
                packet_len: 0,
                message: e.message.clone(),
            }),
        }
    })
    .expect("capture decodes");
    // Every diagnostic range lies inside its packet.
    for s in &seen {
        for d in &s.diags {
            assert!(d.3 + d.4 <= s.packet_len, "{d:?} outside {}", s.packet_len);
        }
    }
    (seen, a.finish())
}

fn capture(name: &str) -> (Vec<Seen>, Analysis) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (s1, a1) = analyse(&bytes, false);
    // The same with field trees (as -V and JSON decode).
    let (_, a2) = analyse(&bytes, true);
    assert_eq!(a1, a2, "the analysis does not depend on the tree");
    (s1, a1)
}

fn conn<'a>(a: &'a Analysis, client_id: &str, nth: usize) -> &'a ConnSummary {
    a.connections
        .iter()
        .filter(|c| c.client_id.as_deref() == Some(client_id))
        .nth(nth)
        .unwrap_or_else(|| panic!("no connection #{nth} of {client_id}: {:#?}", a.connections))
}

fn problem_count(c: &ConnSummary, id: &str) -> u64 {
    c.problems.iter().find(|p| p.0 == id).map_or(0, |p| p.2)
}

fn group<'a>(a: &'a Analysis, id: &str) -> &'a mqtt_dissect::dissect::analysis::ProblemGroup {
    a.problems
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no problem {id}: {:#?}", a.problems))
}

fn diag_of<'a>(
    s: &'a [Seen],
    frame: u64,
    what: &str,
    id: &str,
) -> &'a (String, Severity, String, usize, usize, String) {
    s.iter()
        .filter(|x| x.frame == frame && x.what == what)
        .flat_map(|x| x.diags.iter())
        .find(|d| d.0 == id)
        .unwrap_or_else(|| {
            panic!(
                "no {id} on {what} frame {frame}: {:#?}",
                s.iter().filter(|x| x.frame == frame).collect::<Vec<_>>()
            )
        })
}

/// The frames of the packets with a finding of check `id`.
fn flagged(seen: &[Seen], id: &str) -> Vec<u64> {
    seen.iter()
        .filter(|s| s.diags.iter().any(|d| d.0 == id))
        .map(|s| s.frame)
        .collect()
}

// ---- real captures -----------------------------------------------------------------------

#[test]
fn unacked_qos_flows_are_reported_at_the_end_of_their_connection() {
    let (seen, a) = capture("unacked-qos.pcap");
    // The killed subscriber: QoS 1 id 1 and QoS 2 id 2 delivered (frame 28), never acked.
    let sub = conn(&a, "unacked-sub", 0);
    assert_eq!(problem_count(sub, "flow-unacknowledged"), 2);
    assert!(matches!(
        sub.outcome.end,
        End::TcpClose {
            by: Some(Role::Client),
            rst: false,
            ..
        }
    ));
    let q1 = sub.flows.iter().find(|f| f.kind == FlowKind::Qos1).unwrap();
    let q2 = sub.flows.iter().find(|f| f.kind == FlowKind::Qos2).unwrap();
    assert_eq!((q1.completed, q1.unacknowledged), (0, 1));
    assert_eq!((q2.completed, q2.unacknowledged), (0, 1));
    // The QoS 2 publisher that never sends PUBREL.
    let stalled = conn(&a, "qos2-no-pubrel", 0);
    assert_eq!(problem_count(stalled, "flow-unacknowledged"), 1);
    let g = group(&a, "flow-unacknowledged");
    assert_eq!(g.count, 3);
    assert_eq!(g.frames, vec![28, 40]);
    assert_eq!(g.severity, Severity::Warning);
    let close = seen
        .iter()
        .find(|s| s.conn == stalled.id && s.message.contains("unacknowledged"))
        .expect("the close event says so");
    assert!(
        close
            .message
            .contains("QoS 2 PUBLISH id 7 (frame 40, PUBREC in frame 41, no PUBREL)"),
        "{}",
        close.message
    );
    // The reconnect resumes the session; redelivered with DUP and acked: complete, with times.
    let again = conn(&a, "unacked-sub", 1);
    assert_eq!(
        again.outcome.acceptance,
        Acceptance::Accepted {
            frame: 51,
            session_present: true
        }
    );
    for f in &again.flows {
        assert_eq!((f.completed, f.unacknowledged), (1, 0), "{f:?}");
        assert!(f.min.unwrap() > 0.0 && f.min <= f.median && f.median <= f.max);
    }
    // The publisher's flows completed.
    let publ = conn(&a, "unacked-pub", 0);
    assert!(publ
        .flows
        .iter()
        .all(|f| f.completed == 1 && f.unacknowledged == 0));
    assert!(matches!(
        publ.outcome.end,
        End::Disconnect {
            by: Role::Client,
            code: 0,
            ..
        }
    ));
    // Not a protocol error: --check passes.
    assert!(a.check_passed(), "{:#?}", a.check_items);
    // Topics: each published once, delivered twice (killed subscriber, then redelivery).
    let t = a
        .topics
        .iter()
        .find(|t| t.topic.as_deref() == Some("unacked/q2"))
        .unwrap();
    assert_eq!((t.published, t.delivered, t.qos), (1, 2, [0, 0, 3]));
}

#[test]
fn session_takeover_by_the_same_client_id() {
    let (_, a) = capture("session-takeover.pcap");
    for id in ["takeover-311", "takeover-v5"] {
        let old = conn(&a, id, 0);
        let new = conn(&a, id, 1);
        assert_eq!(
            old.outcome.end,
            match old.outcome.end {
                End::TakenOver { frame, .. } => End::TakenOver {
                    by_conn: Some(new.id),
                    frame
                },
                ref e => panic!("{id}: {e:?}"),
            }
        );
        assert_eq!(new.took_over, Some(old.id));
        assert!(matches!(
            new.outcome.end,
            End::Disconnect {
                by: Role::Client,
                ..
            }
        ));
    }
    assert!(a.check_passed());
}

#[test]
fn refused_protocol_version_gets_the_diagnosis() {
    let (_, a) = capture("refused-protocol-version.pcap");
    assert_eq!(a.connections.len(), 4);
    let levels: Vec<u8> = a
        .connections
        .iter()
        .map(|c| c.connect_level.unwrap().0)
        .collect();
    assert_eq!(levels, vec![6, 3, 4, 0]);
    for c in &a.connections {
        assert!(
            matches!(c.outcome.acceptance, Acceptance::Refused { code: 1, .. }),
            "{c:?}"
        );
        assert!(matches!(
            c.outcome.end,
            End::TcpClose {
                by: Some(Role::Server),
                ..
            }
        ));
        let why = refusal_explanation(c).join("\n");
        assert!(why.contains("Unacceptable protocol version"), "{why}");
        let level = c.connect_level.unwrap().0;
        assert!(why.contains(&format!("asked for level {level}")), "{why}");
        assert!(why.contains("What to change"), "{why}");
        assert!(why.contains("MQTTv311"), "{why}");
    }
    let why = refusal_explanation(&a.connections[1]).join("\n");
    assert!(why.contains("MQTT 3.1 is obsolete"), "{why}");
    let why = refusal_explanation(&a.connections[2]).join("\n");
    assert!(why.contains("\"MQIsdp\" belongs to level 3 only"), "{why}");
    // Four failure codes (and the unknown levels are protocol errors): --check fails.
    assert_eq!(a.failure_codes, 4);
    assert!(!a.check_passed());
    assert!(a
        .check_items
        .iter()
        .any(|i| i.message.contains("return code 0x01") && i.frame == 6));
}

#[test]
fn keep_alive_expiry_and_the_will() {
    let (_, a) = capture("keepalive-expiry.pcap");
    for id in ["ka-311", "ka-v5"] {
        let c = conn(&a, id, 0);
        let gap = c
            .outcome
            .keep_alive_expired
            .unwrap_or_else(|| panic!("{id}: {c:?}"));
        assert!(gap > 1.5, "{gap}");
        assert!(matches!(
            c.outcome.end,
            End::TcpClose {
                by: Some(Role::Server),
                ..
            }
        ));
        assert!(c.outcome.will_fires);
        assert_eq!(
            c.outcome.will_topic.as_deref(),
            Some(format!("ka/will/{id}").as_str())
        );
        assert_eq!(problem_count(c, "keep-alive-exceeded"), 1);
        // The PINGREQ was answered.
        assert_eq!(problem_count(c, "pingreq-unanswered"), 0);
    }
    let watch = conn(&a, "ka-watch", 0);
    assert!(watch.outcome.keep_alive_expired.is_none());
    assert!(!watch.outcome.will_fires);
    let g = group(&a, "keep-alive-exceeded");
    assert_eq!(g.spec, "MQTT-3.1.2-24"); // the first is 3.1.1
}

#[test]
fn second_connect_and_packets_before_connect() {
    let (seen, a) = capture("protocol-errors.pcap");
    let d = diag_of(&seen, 8, "CONNECT", "connect-twice");
    assert_eq!(
        (d.1, d.2.as_str(), d.3, d.4),
        (Severity::Error, "MQTT-3.1.0-2", 0, 1)
    );
    assert!(d.5.contains("frame 4"), "{}", d.5);
    diag_of(&seen, 19, "CONNECT", "connect-twice");
    let d = diag_of(&seen, 26, "PUBLISH", "packet-before-connect");
    assert_eq!((d.1, d.2.as_str()), (Severity::Error, "MQTT-3.1.0-1"));
    let early = a
        .connections
        .iter()
        .find(|c| c.client_id.is_none())
        .unwrap();
    assert_eq!(early.outcome.acceptance, Acceptance::NoConnect);
    assert!(matches!(
        early.outcome.end,
        End::TcpClose {
            rst: true,
            by: Some(Role::Server),
            ..
        }
    ));
    assert_eq!(a.protocol_errors, 3);
    assert!(!a.check_passed());
}

#[test]
fn closing_tcp_without_disconnect_fires_the_will() {
    let (_, a) = capture("no-disconnect-will.pcap");
    for id in ["will-311", "will-v5"] {
        let c = conn(&a, id, 0);
        assert!(
            matches!(
                c.outcome.end,
                End::TcpClose {
                    by: Some(Role::Client),
                    ..
                }
            ),
            "{c:?}"
        );
        assert!(c.outcome.will_fires);
    }
    assert!(!conn(&a, "will-watch", 0).outcome.will_fires);
}

#[test]
fn client_to_server_topic_aliases_are_resolved() {
    let (seen, a) = capture("v5-properties.pcap");
    // Frame 24: alias-only PUBLISH (alias 1, set in frame 17 to v5/props/a).
    let p = seen
        .iter()
        .find(|s| s.frame == 24 && s.what == "PUBLISH")
        .unwrap();
    assert_eq!(p.resolved, Some((1, "v5/props/a".to_string())));
    let d = diag_of(&seen, 24, "PUBLISH", "topic-alias-resolved");
    assert_eq!(d.1, Severity::Note);
    assert!(d.5.contains("set in frame 17"));
    // Only notes there: no alias problem.
    assert!(a.problems.iter().all(|p| !p.id.starts_with("topic-alias")));
    let t = a
        .topics
        .iter()
        .find(|t| t.topic.as_deref() == Some("v5/props/a"))
        .unwrap();
    assert_eq!((t.published, t.via_alias), (2, 1));
    // v5 DISCONNECT 0x04: with will message.
    let pb = conn(&a, "v5-props-pub", 0);
    assert!(matches!(
        pb.outcome.end,
        End::Disconnect {
            by: Role::Client,
            code: 4,
            ..
        }
    ));
    assert!(pb.outcome.will_fires);
    assert!(a.check_passed(), "{:#?}", a.check_items);
}

#[test]
fn bad_credentials_are_failure_codes() {
    let (_, a) = capture("bad-credentials.pcap");
    assert_eq!(a.failure_codes, 5);
    assert_eq!(a.protocol_errors, 0);
    let ok = a
        .connections
        .iter()
        .filter(|c| matches!(c.outcome.acceptance, Acceptance::Accepted { .. }))
        .count();
    assert_eq!(ok, 1);
}

#[test]
fn every_shared_capture_analyses_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/captures");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if ext != "pcap" && ext != "pcapng" {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let (_, a) = analyse(&bytes, false);
        // No false alarms from the stateful checks on real traffic.
        for g in &a.problems {
            assert!(
                ![
                    "packet-id-in-use",
                    "ack-unknown-id",
                    "suback-code-count",
                    "unsuback-code-count",
                    "topic-alias-unknown",
                    "topic-alias-above-maximum",
                    "packet-before-connack"
                ]
                .contains(&g.id),
                "{}: {g:?}",
                p.display()
            );
        }
    }
}

// ---- hand-built captures -------------------------------------------------------------------

const SYN: TcpFlags = TcpFlags::SYN;
const SYNACK: TcpFlags = TcpFlags(0x12);
const ACK: TcpFlags = TcpFlags::ACK;
const PSHACK: TcpFlags = TcpFlags(0x18);
const FINACK: TcpFlags = TcpFlags(0x11);

/// Hex with spaces.
fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// One TCP connection written into a pcap: handshake, packets either way, optional FINs.
struct Conv {
    c: SocketAddr,
    s: SocketAddr,
    cseq: u32,
    sseq: u32,
}

struct Cap {
    w: PcapWriter,
    /// Time in tenths of a second.
    t: i64,
    frames: u64,
}

impl Cap {
    fn new() -> Cap {
        Cap {
            w: PcapWriter::new(1, false, false),
            t: 0,
            frames: 0,
        }
    }

    fn put(&mut self, ip: Vec<u8>) {
        self.t += 1;
        self.frames += 1;
        self.w.packet(
            ts(1_700_000_000 + self.t / 10, (self.t % 10) as u32 * 100_000),
            &ethernet(&[], &ip),
        );
    }

    fn open(&mut self, port: u16) -> Conv {
        let c: SocketAddr = format!("10.0.0.2:{port}").parse().unwrap();
        let s: SocketAddr = "10.0.0.1:1883".parse().unwrap();
        self.put(tcp_packet(c, s, 1000, 0, SYN, b""));
        self.put(tcp_packet(s, c, 5000, 1001, SYNACK, b""));
        self.put(tcp_packet(c, s, 1001, 5001, ACK, b""));
        Conv {
            c,
            s,
            cseq: 1001,
            sseq: 5001,
        }
    }

    fn client(&mut self, k: &mut Conv, hex: &str) {
        let b = h(hex);
        self.put(tcp_packet(k.c, k.s, k.cseq, k.sseq, PSHACK, &b));
        k.cseq += b.len() as u32;
    }

    fn server(&mut self, k: &mut Conv, hex: &str) {
        let b = h(hex);
        self.put(tcp_packet(k.s, k.c, k.sseq, k.cseq, PSHACK, &b));
        k.sseq += b.len() as u32;
    }

    fn client_fin(&mut self, k: &mut Conv) {
        self.put(tcp_packet(k.c, k.s, k.cseq, k.sseq, FINACK, b""));
        k.cseq += 1;
    }

    fn server_fin(&mut self, k: &mut Conv) {
        self.put(tcp_packet(k.s, k.c, k.sseq, k.cseq, FINACK, b""));
        k.sseq += 1;
    }

    /// The frame number the next record gets.
    fn next_frame(&self) -> u64 {
        self.frames + 1
    }
}

// v5 CONNECT, client id "c", keep alive 60, Topic Alias Maximum 2.
const CONNECT_V5_TAM2: &str = "10 11 00044d515454 05 02 003c 03 220002 0001 63";
// v5 CONNACK, Topic Alias Maximum 1.
const CONNACK_V5_TAM1: &str = "20 06 00 00 03 220001";

#[test]
fn hand_built_v5_aliases_flows_and_acks() {
    let mut cap = Cap::new();
    let mut k = cap.open(40000);
    cap.client(&mut k, CONNECT_V5_TAM2);
    cap.server(&mut k, CONNACK_V5_TAM1);
    let set = cap.next_frame();
    cap.server(&mut k, "30 0a 0003612f62 03 230001 78"); // "a/b" sets alias 1 (server→client)
    let alias_only = cap.next_frame();
    cap.server(&mut k, "30 07 0000 03 230001 78"); // alias-only alias 1
    let above = cap.next_frame();
    cap.server(&mut k, "30 08 000163 03 230003 78"); // "c", alias 3 > client's maximum 2
    let unknown = cap.next_frame();
    cap.server(&mut k, "30 07 0000 03 230002 78"); // alias 2 never set server→client
    let c_above = cap.next_frame();
    cap.client(&mut k, "30 08 000164 03 230002 78"); // "d", alias 2 > server's maximum 1
    let c_unknown = cap.next_frame();
    cap.client(&mut k, "30 07 0000 03 230001 78"); // alias 1 was set server→client only
    cap.client(&mut k, "82 0b 0005 00 000161 00 000162 00"); // SUBSCRIBE id 5, 2 filters
    let suback = cap.next_frame();
    cap.server(&mut k, "90 04 0005 00 00"); // SUBACK with 1 code
    cap.client(&mut k, "a2 09 0006 00 000161 000162"); // UNSUBSCRIBE id 6, 2 filters
    let unsuback = cap.next_frame();
    cap.server(&mut k, "b0 04 0006 00 00"); // UNSUBACK with 1 code
    let puback = cap.next_frame();
    cap.client(&mut k, "40 02 0009"); // PUBACK for id 9: nothing in flight
    cap.client(&mut k, "32 07 000174 0007 00 78"); // QoS 1 id 7
    let reuse = cap.next_frame();
    cap.client(&mut k, "32 07 000174 0007 00 78"); // id 7 again, no DUP
    cap.server(&mut k, "40 02 0007");
    cap.client(&mut k, "3a 07 000174 0008 00 78"); // QoS 1 id 8 …
    cap.client(&mut k, "3a 07 000174 0008 00 78"); // … resent with DUP: not a reuse
    cap.server(&mut k, "40 02 0008");
    let ping = cap.next_frame();
    cap.client(&mut k, "c0 00"); // PINGREQ, never answered
    cap.client_fin(&mut k);
    cap.server_fin(&mut k);
    let (seen, a) = analyse(cap.w.bytes(), true);

    // Server→client alias resolved; its own space.
    let p = seen.iter().find(|s| s.frame == alias_only).unwrap();
    assert_eq!(p.resolved, Some((1, "a/b".to_string())));
    let _ = set;
    let d = diag_of(&seen, above, "PUBLISH", "topic-alias-above-maximum");
    assert_eq!((d.1, d.2.as_str()), (Severity::Error, "MQTT-3.3.2-10"));
    // The property 23 00 03 is at offset 2+3 (topic) +1 (property length) = 6.
    assert_eq!((d.3, d.4), (6, 3));
    assert!(
        d.5.contains("Maximum 2") && d.5.contains("client") && d.5.contains("CONNECT"),
        "{}",
        d.5
    );
    let d = diag_of(&seen, unknown, "PUBLISH", "topic-alias-unknown");
    assert_eq!((d.1, d.3, d.4), (Severity::Error, 5, 3));
    let d = diag_of(&seen, c_above, "PUBLISH", "topic-alias-above-maximum");
    assert_eq!(d.2, "MQTT-3.3.2-9");
    assert!(
        d.5.contains("Maximum 1") && d.5.contains("CONNACK"),
        "{}",
        d.5
    );
    let d = diag_of(&seen, c_unknown, "PUBLISH", "topic-alias-unknown");
    assert!(d.5.contains("client→server"), "{}", d.5);

    // SUBACK/UNSUBACK code counts, on the code bytes.
    let d = diag_of(&seen, suback, "SUBACK", "suback-code-count");
    assert_eq!(
        (d.1, d.2.as_str(), d.3, d.4),
        (Severity::Error, "MQTT-3.9.3-1", 5, 1)
    );
    assert!(
        d.5.contains("1 return/reason code(s) for the 2 topic filter(s)"),
        "{}",
        d.5
    );
    let d = diag_of(&seen, unsuback, "UNSUBACK", "unsuback-code-count");
    assert_eq!((d.2.as_str(), d.3, d.4), ("MQTT-3.11.3-1", 5, 1));

    // Acks for unknown ids and reuse in flight, on the Packet Identifier.
    let d = diag_of(&seen, puback, "PUBACK", "ack-unknown-id");
    assert_eq!((d.1, d.3, d.4), (Severity::Warning, 2, 2));
    let d = diag_of(&seen, reuse, "PUBLISH", "packet-id-in-use");
    assert_eq!(
        (d.1, d.2.as_str(), d.3, d.4),
        (Severity::Error, "MQTT-2.2.1-3", 5, 2)
    );
    assert!(seen
        .iter()
        .all(|s| s.diags.iter().filter(|d| d.0 == "packet-id-in-use").count() <= 1));
    assert_eq!(group(&a, "packet-id-in-use").count, 1);

    // PINGREQ without PINGRESP, reported when the connection ends.
    let g = group(&a, "pingreq-unanswered");
    assert_eq!(g.frames, vec![ping]);

    let c = &a.connections[0];
    assert!(matches!(
        c.outcome.end,
        End::TcpClose {
            by: Some(Role::Client),
            ..
        }
    ));
    let q1 = c.flows.iter().find(|f| f.kind == FlowKind::Qos1).unwrap();
    // id 7: the first is abandoned by the reuse, the second completes; id 8 completes.
    assert_eq!((q1.completed, q1.unacknowledged), (2, 1));
    let sub = c
        .flows
        .iter()
        .find(|f| f.kind == FlowKind::Subscribe)
        .unwrap();
    assert_eq!(sub.completed, 1);
    // Topics: resolved alias counted under its topic.
    let t = a
        .topics
        .iter()
        .find(|t| t.topic.as_deref() == Some("a/b"))
        .unwrap();
    assert_eq!((t.delivered, t.via_alias), (2, 1));
    assert!(!a.check_passed());
}

/// Receive Maximum, both ways: the client's CONNECT allows the server 1 QoS 1/2 PUBLISH in
/// flight, the server's CONNACK allows the client 2. A retransmission (DUP) starts no flow;
/// a PUBREC with a failure code ends one, a successful PUBREC does not.
#[test]
fn hand_built_receive_maximum_in_both_directions() {
    const BY_CLIENT: &str = "receive-maximum-exceeded-by-client";
    const BY_SERVER: &str = "receive-maximum-exceeded-by-server";
    let mut cap = Cap::new();
    let mut k = cap.open(40010);
    cap.client(&mut k, "10 11 00044d515454 05 02 003c 03 210001 0001 72"); // Receive Maximum 1
    let connack = cap.next_frame();
    cap.server(&mut k, "20 06 00 00 03 210002"); // Receive Maximum 2
    let mut over_client = Vec::new();
    cap.client(&mut k, "32 07 000174 0001 00 78");
    cap.client(&mut k, "32 07 000174 0002 00 78");
    over_client.push(cap.next_frame());
    cap.client(&mut k, "32 07 000174 0003 00 78"); // 3 in flight
    cap.client(&mut k, "3a 07 000174 0003 00 78"); // DUP: the same flow
    cap.server(&mut k, "40 02 0001");
    over_client.push(cap.next_frame());
    cap.client(&mut k, "32 07 000174 0004 00 78"); // 2, 3, 4
    for id in ["0002", "0003", "0004"] {
        cap.server(&mut k, &format!("40 02 {id}"));
    }
    cap.server(&mut k, "32 07 000174 0001 00 78");
    let over_server = cap.next_frame();
    cap.server(&mut k, "32 07 000174 0002 00 78"); // 2 in flight, 1 allowed
    cap.client(&mut k, "40 02 0001");
    cap.client(&mut k, "40 02 0002");
    // QoS 2: a failed PUBREC ends the flow, a successful one leaves it in flight.
    cap.client(&mut k, "34 07 000174 0010 00 78");
    cap.server(&mut k, "50 03 0010 80");
    cap.client(&mut k, "34 07 000174 0011 00 78");
    cap.client(&mut k, "34 07 000174 0012 00 78"); // 2 in flight: allowed
    cap.server(&mut k, "50 02 0011");
    over_client.push(cap.next_frame());
    cap.client(&mut k, "34 07 000174 0013 00 78"); // 3 in flight
    let (seen, a) = analyse(cap.w.bytes(), false);

    let flagged = |id: &str| flagged(&seen, id);
    assert_eq!(flagged(BY_CLIENT), over_client);
    assert_eq!(flagged(BY_SERVER), vec![over_server]);
    let d = diag_of(&seen, over_client[0], "PUBLISH", BY_CLIENT);
    assert_eq!(
        (d.1, d.2.as_str(), d.3, d.4),
        (Severity::Error, "MQTT-3.3.4-7", 0, 1)
    );
    assert_eq!(
        d.5,
        format!(
            "3 QoS 1/2 PUBLISH packets from the client are now unacknowledged (no PUBACK, \
             PUBCOMP, or PUBREC with a failure code yet), more than the Receive Maximum of 2 \
             the server announced in its CONNACK (frame {connack}): the server may disconnect \
             with 0x93 Receive Maximum exceeded"
        )
    );
    let d = diag_of(&seen, over_server, "PUBLISH", BY_SERVER);
    assert_eq!((d.1, d.2.as_str()), (Severity::Error, "MQTT-3.3.4-9"));
    assert!(
        d.5.starts_with("2 QoS 1/2 PUBLISH packets from the server"),
        "{}",
        d.5
    );
    assert!(
        d.5.contains("Receive Maximum of 1 the client announced in its CONNECT"),
        "{}",
        d.5
    );
    assert_eq!(group(&a, BY_CLIENT).count, 3);
    assert_eq!(group(&a, BY_SERVER).count, 1);
    assert!(!a.check_passed());
}

/// Bytes lost from the capture may hold the acknowledgements that freed places: after a gap
/// the Receive Maximum is not checked on that connection.
#[test]
fn hand_built_receive_maximum_is_not_checked_after_lost_bytes() {
    let mut cap = Cap::new();
    let mut k = cap.open(40013);
    cap.client(&mut k, "10 0e 00044d515454 05 02 003c 00 0001 72");
    cap.server(&mut k, "20 06 00 00 03 210002"); // Receive Maximum 2
    cap.client(&mut k, "32 07 000174 0001 00 78");
    cap.client(&mut k, "32 07 000174 0002 00 78");
    k.sseq += 4; // the PUBACK of 1 is not captured
    cap.server(&mut k, "40 02 0002");
    cap.client(&mut k, "32 07 000174 0003 00 78"); // acknowledges the lost bytes
    cap.client(&mut k, "32 07 000174 0004 00 78"); // 1, 3 and 4 seem to be in flight
    let (seen, a) = analyse(cap.w.bytes(), false);
    assert!(
        a.problems.iter().any(|p| p.id == "capture-gap"),
        "{:#?}",
        a.problems
    );
    assert!(seen
        .iter()
        .all(|s| s.diags.iter().all(|d| !d.0.starts_with("receive-maximum"))));
    // Without the gap, the same packets go over the maximum.
    let mut cap = Cap::new();
    let mut k = cap.open(40014);
    cap.client(&mut k, "10 0e 00044d515454 05 02 003c 00 0001 72");
    cap.server(&mut k, "20 06 00 00 03 210002");
    cap.client(&mut k, "32 07 000174 0001 00 78");
    cap.client(&mut k, "32 07 000174 0002 00 78");
    cap.server(&mut k, "40 02 0002");
    cap.client(&mut k, "32 07 000174 0003 00 78");
    let over = cap.next_frame();
    cap.client(&mut k, "32 07 000174 0004 00 78");
    let (seen, _) = analyse(cap.w.bytes(), false);
    diag_of(&seen, over, "PUBLISH", "receive-maximum-exceeded-by-client");
}

/// What a CONNECT or CONNACK announces bounds the other side (5.0): Maximum Packet Size
/// both ways, and the server's Maximum QoS and Retain Available for the client's PUBLISHes.
#[test]
fn hand_built_connect_and_connack_limits() {
    let mut cap = Cap::new();
    let mut k = cap.open(40015);
    let connect = cap.next_frame();
    cap.client(
        &mut k,
        "10 13 00044d515454 05 02 003c 05 2700000014 0001 63",
    ); // max 20 bytes
    let connack = cap.next_frame();
    // Maximum Packet Size 16, Maximum QoS 1, Retain Available 0.
    cap.server(&mut k, "20 0c 00 00 09 2700000010 2401 2500");
    let qos2 = cap.next_frame();
    cap.client(&mut k, "34 07 000174 0001 00 78");
    cap.client(&mut k, "32 07 000174 0003 00 78"); // QoS 1: allowed
    let retained = cap.next_frame();
    cap.client(&mut k, "31 05 000174 00 78");
    let big = cap.next_frame();
    cap.client(&mut k, "30 0f 000174 00 78 78 78 78 78 78 78 78 78 78 78"); // 17 bytes
    cap.client(&mut k, "30 0e 000174 00 78 78 78 78 78 78 78 78 78 78"); // 16 bytes: allowed
    let big_from_server = cap.next_frame();
    cap.server(
        &mut k,
        "30 13 000174 00 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78",
    ); // 21 bytes
    cap.server(&mut k, "35 07 000174 0002 00 78"); // the server may: QoS 2, retained
    let (seen, a) = analyse(cap.w.bytes(), false);

    let flagged = |id: &str| flagged(&seen, id);
    assert_eq!(flagged("qos-above-maximum"), [qos2]);
    assert_eq!(flagged("retain-not-available"), [retained]);
    assert_eq!(flagged("packet-too-large-by-client"), [big]);
    assert_eq!(flagged("packet-too-large-by-server"), [big_from_server]);
    let d = diag_of(&seen, qos2, "PUBLISH", "qos-above-maximum");
    assert_eq!((d.1, d.2.as_str()), (Severity::Error, "MQTT-3.2.2-11"));
    assert_eq!(
        d.5,
        format!(
            "a QoS 2 PUBLISH, above the Maximum QoS of 1 the server announced in its CONNACK \
             (frame {connack}): the server may disconnect with 0x9B QoS not supported"
        )
    );
    let d = diag_of(&seen, retained, "PUBLISH", "retain-not-available");
    assert_eq!((d.1, d.2.as_str()), (Severity::Error, "MQTT-3.2.2-14"));
    let d = diag_of(&seen, big, "PUBLISH", "packet-too-large-by-client");
    assert_eq!((d.2.as_str(), d.3, d.4), ("MQTT-3.2.2-15", 0, 17));
    assert_eq!(
        d.5,
        format!(
            "a 17-byte packet from the client, larger than the Maximum Packet Size of 16 the \
             server announced in its CONNACK (frame {connack}): the server may disconnect with \
             0x95 Packet too large"
        )
    );
    let d = diag_of(
        &seen,
        big_from_server,
        "PUBLISH",
        "packet-too-large-by-server",
    );
    assert_eq!(d.2, "MQTT-3.1.2-24");
    assert!(
        d.5.contains(&format!(
            "Maximum Packet Size of 20 the client announced in its CONNECT (frame {connect})"
        )),
        "{}",
        d.5
    );
    assert_eq!(a.protocol_errors, 4);
}

/// Without a Receive Maximum property the limit is 65,535: never reached by a few flows,
/// and 3.1.1 has no such limit at all.
#[test]
fn hand_built_receive_maximum_defaults_and_3_1_1() {
    let mut cap = Cap::new();
    let mut k = cap.open(40011);
    cap.client(&mut k, "10 0e 00044d515454 05 02 003c 00 0001 72");
    cap.server(&mut k, "20 03 00 00 00");
    for id in 1..=40u16 {
        cap.client(&mut k, &format!("32 07 000174 {id:04x} 00 78"));
    }
    let mut k = cap.open(40012);
    cap.client(&mut k, "10 0d 00044d515454 04 02 003c 0001 73");
    cap.server(&mut k, "20 02 00 00");
    for id in 1..=40u16 {
        cap.client(&mut k, &format!("32 06 000174 {id:04x} 78"));
    }
    let (seen, a) = analyse(cap.w.bytes(), false);
    assert!(seen
        .iter()
        .all(|s| s.diags.iter().all(|d| !d.0.starts_with("receive-maximum"))));
    assert_eq!(a.connections.len(), 2);
}

#[test]
fn hand_built_takeover_by_disconnect_0x8e_and_packet_before_connack() {
    let mut cap = Cap::new();
    let mut a1 = cap.open(40001);
    cap.client(&mut a1, "10 10 00044d515454 05 02 003c 00 0003 646576"); // v5 "dev"
    cap.server(&mut a1, "20 03 00 00 00");
    let mut a2 = cap.open(40002);
    cap.client(&mut a2, "10 10 00044d515454 05 02 003c 00 0003 646576");
    cap.server(&mut a2, "20 03 00 00 00");
    let dis = cap.next_frame();
    cap.server(&mut a1, "e0 01 8e"); // Session taken over
    cap.server_fin(&mut a1);
    cap.client_fin(&mut a1);
    // 3.1.1: a PUBLISH from the server before its CONNACK; the capture ends open.
    let mut b = cap.open(40003);
    cap.client(&mut b, "10 0d 00044d515454 04 02 003c 0001 62");
    let early = cap.next_frame();
    cap.server(&mut b, "30 05 000174 7878");
    cap.server(&mut b, "20 02 00 00");
    let (seen, a) = analyse(cap.w.bytes(), false);

    let old = &a.connections[0];
    assert_eq!(
        old.outcome.end,
        End::TakenOver {
            by_conn: Some(a.connections[1].id),
            frame: dis
        }
    );
    assert!(a.failure_codes >= 1, "0x8E is a failure code");
    let d = diag_of(&seen, early, "PUBLISH", "packet-before-connack");
    assert_eq!(d.1, Severity::Error);
    let open = a
        .connections
        .iter()
        .find(|c| c.client_id.as_deref() == Some("b"))
        .unwrap();
    assert_eq!(open.outcome.end, End::Open);
    assert!(matches!(
        open.outcome.acceptance,
        Acceptance::Accepted { .. }
    ));
    assert!(!open.outcome.will_fires);
}

#[test]
fn hand_built_session_resume_makes_unknown_acks_notes() {
    let mut cap = Cap::new();
    let mut k = cap.open(40004);
    cap.client(&mut k, "10 0d 00044d515454 04 00 003c 0001 72"); // clean session 0
    cap.server(&mut k, "20 02 01 00"); // session present
    let rel = cap.next_frame();
    cap.client(&mut k, "62 02 0003"); // PUBREL for a flow of the previous connection
    let (seen, a) = analyse(cap.w.bytes(), false);
    let d = diag_of(&seen, rel, "PUBREL", "ack-unknown-id");
    assert_eq!(d.1, Severity::Note);
    assert!(d.5.contains("resumed"), "{}", d.5);
    assert!(a.check_passed());
}

#[test]
fn garbage_and_truncated_captures_do_not_panic() {
    let mut cap = Cap::new();
    let mut k = cap.open(40005);
    cap.client(&mut k, CONNECT_V5_TAM2);
    cap.server(&mut k, CONNACK_V5_TAM1);
    cap.server(&mut k, "30 07 0000 03 230001 78");
    cap.client(
        &mut k,
        "90 02 0001 b0 02 0001 40 02 0000 50 02 0001 62 02 0001 70 02 0001",
    );
    cap.client(&mut k, "ff ff ff ff ff 00 01");
    let bytes = cap.w.into_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        let mut a = Analyzer::default();
        let _ = dissect_capture(
            &bytes[..cut],
            &TransportConfig::default(),
            CaptureConfig::default(),
            &mut |r| a.record(r),
        );
        let _ = a.finish();
    }
    let mut x: u64 = 1;
    for _ in 0..200 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (x >> 33) as usize % b.len();
            b[i] ^= (x >> 20) as u8;
        }
        let mut a = Analyzer::default();
        let _ = dissect_capture(
            &b[..],
            &TransportConfig::default(),
            CaptureConfig::default(),
            &mut |r| a.record(r),
        );
        let _ = a.finish();
    }
}

#[test]
fn hand_built_keep_alive_gap_between_client_packets() {
    let mut cap = Cap::new();
    let mut k = cap.open(40006);
    cap.client(&mut k, "10 0d 00044d515454 04 02 0001 0001 6b"); // keep alive 1 s
    cap.server(&mut k, "20 02 00 00");
    cap.t += 30; // 3 s of silence
    let late = cap.next_frame();
    cap.client(&mut k, "c0 00");
    cap.server(&mut k, "d0 00");
    let (seen, a) = analyse(cap.w.bytes(), false);
    let d = diag_of(&seen, late, "PINGREQ", "keep-alive-exceeded");
    assert_eq!((d.1, d.2.as_str()), (Severity::Warning, "MQTT-3.1.2-24"));
    assert!(d.5.contains("keep alive (1 s)"), "{}", d.5);
    // The capture ends with it open: no expiry verdict, no will.
    assert_eq!(a.connections[0].outcome.end, End::Open);
    assert!(a.connections[0].outcome.keep_alive_expired.is_none());
}

/// Every check that needs connection state (excluded from the one-packet vectors of
/// codec_malformed.rs) fires somewhere in these tests' captures.
#[test]
fn every_stateful_check_fires() {
    use mqtt_dissect::codec::diag::CHECKS;
    let stateful = [
        "connect-twice",
        "packet-before-connect",
        "packet-before-connack",
        "packet-id-in-use",
        "ack-unknown-id",
        "flow-unacknowledged",
        "suback-code-count",
        "unsuback-code-count",
        "topic-alias-above-maximum",
        "topic-alias-unknown",
        "topic-alias-resolved",
        "keep-alive-exceeded",
        "pingreq-unanswered",
        "receive-maximum-exceeded-by-client",
        "receive-maximum-exceeded-by-server",
        "packet-too-large-by-client",
        "packet-too-large-by-server",
        "qos-above-maximum",
        "retain-not-available",
    ];
    let mut fired = std::collections::BTreeSet::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/captures");
    let mut inputs: Vec<Vec<u8>> = [
        "unacked-qos.pcap",
        "protocol-errors.pcap",
        "keepalive-expiry.pcap",
        "v5-properties.pcap",
    ]
    .iter()
    .map(|n| std::fs::read(dir.join(n)).unwrap())
    .collect();
    let mut cap = Cap::new();
    let mut k = cap.open(40007);
    cap.client(&mut k, CONNECT_V5_TAM2);
    cap.server(&mut k, "30 0a 0003612f62 03 230003 78"); // before CONNACK, alias 3 > 2
    cap.server(&mut k, CONNACK_V5_TAM1);
    cap.server(&mut k, "30 07 0000 03 230002 78");
    cap.client(&mut k, "82 0b 0005 00 000161 00 000162 00");
    cap.server(&mut k, "90 04 0005 00 00");
    cap.client(&mut k, "a2 09 0006 00 000161 000162");
    cap.server(&mut k, "b0 04 0006 00 00");
    cap.client(&mut k, "40 02 0009");
    cap.client(&mut k, "32 07 000174 0007 00 78");
    cap.client(&mut k, "32 07 000174 0007 00 78");
    cap.client(&mut k, "c0 00");
    // Receive Maximum 1 both ways, and two PUBLISHes in flight each way.
    let mut r = cap.open(40008);
    cap.client(&mut r, "10 11 00044d515454 05 02 003c 03 210001 0001 72");
    cap.server(&mut r, "20 06 00 00 03 210001");
    for id in ["0001", "0002"] {
        cap.client(&mut r, &format!("32 07 000174 {id} 00 78"));
        cap.server(&mut r, &format!("32 07 000174 {id} 00 78"));
    }
    // Limits of a CONNECT and a CONNACK, each broken once.
    let mut m = cap.open(40009);
    cap.client(
        &mut m,
        "10 13 00044d515454 05 02 003c 05 2700000014 0001 63",
    );
    cap.server(&mut m, "20 0c 00 00 09 2700000008 2401 2500");
    cap.client(&mut m, "35 07 000174 0001 00 78");
    cap.server(
        &mut m,
        "30 13 000174 00 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78",
    );
    inputs.push(cap.w.into_bytes());
    for b in &inputs {
        let (seen, a) = analyse(b, false);
        fired.extend(a.problems.iter().map(|p| p.id.to_string()));
        for s in &seen {
            fired.extend(s.diags.iter().map(|d| d.0.clone()));
        }
    }
    for id in stateful {
        assert!(CHECKS.iter().any(|c| c.id == id), "{id} is registered");
        assert!(fired.contains(id), "{id} never fired: {fired:?}");
    }
}

#[test]
fn hand_built_takeovers_follow_the_client_id_index() {
    let connect = |cid: &str| {
        let id = hex::encode(cid);
        format!(
            "10 {:02x} 00044d515454 04 02 003c {:04x} {id}",
            12 + cid.len(),
            cid.len()
        )
    };
    let mut cap = Cap::new();
    // Three connections of "dev" that all stay open: each takes over the one before.
    for port in [41001, 41002, 41003] {
        let mut k = cap.open(port);
        cap.client(&mut k, &connect("dev"));
        cap.server(&mut k, "20 02 00 00");
    }
    // A second CONNECT changes the client id a connection is known by.
    let mut x = cap.open(41004);
    cap.client(&mut x, &connect("x"));
    cap.client(&mut x, &connect("dev2"));
    let mut y = cap.open(41005);
    cap.client(&mut y, &connect("dev2"));
    // A connection that ended is not taken over.
    let mut g = cap.open(41006);
    cap.client(&mut g, &connect("gone"));
    cap.client_fin(&mut g);
    cap.server_fin(&mut g);
    let mut g2 = cap.open(41007);
    cap.client(&mut g2, &connect("gone"));
    let (_, a) = analyse(cap.w.bytes(), false);

    let dev: Vec<&ConnSummary> = (0..3).map(|n| conn(&a, "dev", n)).collect();
    assert_eq!(dev[0].took_over, None);
    assert_eq!(dev[1].took_over, Some(dev[0].id));
    assert_eq!(dev[2].took_over, Some(dev[1].id), "the most recent holder");
    assert_eq!(conn(&a, "dev2", 1).took_over, Some(conn(&a, "dev2", 0).id));
    assert_eq!(conn(&a, "gone", 1).took_over, None);
}
