//! MQTT over WebSocket (and TLS) in captures written by the test code: the HTTP Upgrade,
//! WebSocket frames of every shape, and what the dissector makes of them.

use mqtt_dissect::dissect::analysis::Analyzer;
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, DissectSummary};
use mqtt_dissect::dissect::websocket::build::{binary, frame};
use mqtt_dissect::present::capture::record_json;
use mqtt_dissect::present::Options;
use mqtt_dissect::transport::testing::{ethernet, tcp_packet, ts, PcapWriter};
use mqtt_dissect::transport::{TcpFlags, TransportConfig};
use proptest::prelude::*;
use serde_json::Value;
use std::net::SocketAddr;

const KEY: [u8; 4] = [0xa1, 0x5c, 0x07, 0xe3];

/// One TCP connection, a frame per segment, handshake first.
struct Conv {
    c: SocketAddr,
    s: SocketAddr,
    cseq: u32,
    sseq: u32,
    frames: Vec<Vec<u8>>,
}

impl Conv {
    fn new(port: u16) -> Conv {
        let c: SocketAddr = "10.0.0.2:51000".parse().unwrap();
        let s: SocketAddr = format!("10.0.0.1:{port}").parse().unwrap();
        let mut v = Conv {
            c,
            s,
            cseq: 1000,
            sseq: 5000,
            frames: Vec::new(),
        };
        v.push(true, TcpFlags::SYN, b"");
        v.push(false, TcpFlags(0x12), b"");
        v.push(true, TcpFlags::ACK, b"");
        v
    }

    fn push(&mut self, from_client: bool, flags: TcpFlags, payload: &[u8]) {
        let (src, dst, seq, ack) = if from_client {
            (self.c, self.s, self.cseq, self.sseq)
        } else {
            (self.s, self.c, self.sseq, self.cseq)
        };
        self.frames.push(ethernet(
            &[],
            &tcp_packet(src, dst, seq, ack, flags, payload),
        ));
        let adv = payload.len() as u32 + u32::from(flags.0 & 0x03 != 0);
        if from_client {
            self.cseq = self.cseq.wrapping_add(adv);
        } else {
            self.sseq = self.sseq.wrapping_add(adv);
        }
    }

    /// Client bytes, one segment.
    fn client(&mut self, payload: &[u8]) -> &mut Conv {
        self.push(true, TcpFlags(0x18), payload);
        self
    }

    /// Server bytes, one segment.
    fn server(&mut self, payload: &[u8]) -> &mut Conv {
        self.push(false, TcpFlags(0x18), payload);
        self
    }

    /// Client bytes that were never captured.
    fn lose_client(&mut self, n: u32) -> &mut Conv {
        self.cseq = self.cseq.wrapping_add(n);
        self
    }

    fn close(&mut self) -> &mut Conv {
        self.push(true, TcpFlags(0x11), b"");
        self.push(false, TcpFlags(0x11), b"");
        self
    }

    fn pcap(&self) -> Vec<u8> {
        let mut w = PcapWriter::new(1, false, false);
        for (i, f) in self.frames.iter().enumerate() {
            w.packet(ts(1_700_000_000, i as u32 * 1000), f);
        }
        w.into_bytes()
    }
}

fn dissect(pcap: &[u8]) -> (Vec<Value>, DissectSummary) {
    dissect_with(pcap, CaptureConfig::default())
}

fn dissect_with(pcap: &[u8], cfg: CaptureConfig) -> (Vec<Value>, DissectSummary) {
    let mut out = Vec::new();
    let mut index = 0;
    let (_, summary) = dissect_capture(pcap, &TransportConfig::default(), cfg, &mut |r| {
        index += 1;
        out.push(record_json(r, index, &Options::default()));
    })
    .expect("capture reads");
    (out, summary)
}

/// (type, first frame, frame, stream offset, direction) of every packet.
fn packets(recs: &[Value]) -> Vec<(String, u64, u64, u64, String)> {
    recs.iter()
        .filter(|r| r["record"] == "packet")
        .map(|r| {
            (
                r["packet"]["type"].as_str().unwrap().to_string(),
                r["first_frame"].as_u64().unwrap(),
                r["frame"].as_u64().unwrap(),
                r["stream_offset"].as_u64().unwrap(),
                r["direction"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn types(recs: &[Value]) -> Vec<String> {
    packets(recs).into_iter().map(|p| p.0).collect()
}

fn events<'a>(recs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| r["record"] == "event" && r["kind"] == kind)
        .collect()
}

/// Packets decoded without a diagnostic.
fn clean(recs: &[Value]) -> bool {
    recs.iter()
        .filter(|r| r["record"] == "packet")
        .all(|r| r["packet"]["diagnostics"].as_array().unwrap().is_empty())
}

const REQUEST: &[u8] = b"GET /mqtt HTTP/1.1\r\nHost: broker.example:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

/// CONNECT 3.1.1, client id "c", keep alive 60, clean session.
const CONNECT: &[u8] = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c";
const CONNACK: &[u8] = b"\x20\x02\x00\x00";
const PINGREQ: &[u8] = b"\xc0\x00";
const PINGRESP: &[u8] = b"\xd0\x00";
const DISCONNECT: &[u8] = b"\xe0\x00";

/// PUBLISH QoS 0 to "a/b".
fn publish(payload: &[u8]) -> Vec<u8> {
    let mut body = b"\x00\x03a/b".to_vec();
    body.extend_from_slice(payload);
    let mut p = vec![0x30];
    let mut n = body.len();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        p.push(b);
        if n == 0 {
            break;
        }
    }
    p.extend(body);
    p
}

fn upgraded(port: u16) -> Conv {
    let mut v = Conv::new(port);
    v.client(REQUEST).server(RESPONSE);
    v
}

#[test]
fn upgrade_on_any_port_split_across_segments() {
    let mut v = Conv::new(8080);
    let (a, b) = REQUEST.split_at(40);
    v.client(a).client(b); // frames 4, 5
    let (a, b) = RESPONSE.split_at(RESPONSE.len() - 1);
    v.server(a).server(b); // frames 6, 7: the head ends in the second
    v.client(&binary(Some(KEY), CONNECT)); // 8
    v.server(&binary(None, CONNACK)); // 9
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    let ws = events(&recs, "websocket");
    assert_eq!(ws.len(), 1, "{recs:#?}");
    assert_eq!(ws[0]["frame"], 7);
    assert_eq!(ws[0]["details"]["path"], "/mqtt");
    assert_eq!(ws[0]["details"]["host"], "broker.example:8080");
    assert_eq!(ws[0]["details"]["subprotocol"], "mqtt");
    assert_eq!(
        packets(&recs),
        [
            ("CONNECT".into(), 8, 8, 0, "client_to_server".into()),
            ("CONNACK".into(), 9, 9, 0, "server_to_client".into()),
        ]
    );
    assert!(clean(&recs));
    let conn = &recs[1]["connection"];
    assert_eq!(conn["transport"], "websocket");
    assert_eq!(conn["client_id"], "c");
    assert_eq!(conn["websocket"]["frames"]["from_a"], 1);
    assert_eq!(sum.mqtt_connections, 1);
    assert_eq!(sum.websocket_connections, 1);
    assert_eq!(sum.other_connections, 0);
    assert!(events(&recs, "websocket_subprotocol").is_empty());
}

#[test]
fn packet_split_across_frames_and_several_packets_in_one_frame() {
    let mut v = upgraded(9001); // frames 4, 5
                                // CONNECT in three masked frames, in three segments.
    v.client(&binary(Some(KEY), &CONNECT[..1])); // 6
    v.client(&binary(Some([1, 2, 3, 4]), &CONNECT[1..7])); // 7
    v.client(&binary(Some(KEY), &CONNECT[7..])); // 8
                                                 // CONNACK, a PUBLISH and the first byte of a PINGRESP in one frame; the rest in the next.
    let mut s = CONNACK.to_vec();
    s.extend(publish(b"hello"));
    s.push(PINGRESP[0]);
    v.server(&binary(None, &s)); // 9
    v.server(&binary(None, &PINGRESP[1..])); // 10
                                             // Three packets in one frame, and two frames in one segment.
    let mut c = publish(b"x");
    c.extend(PINGREQ);
    c.extend(publish(b"yz"));
    let mut seg = binary(Some(KEY), &c);
    seg.extend(binary(Some(KEY), DISCONNECT));
    v.client(&seg); // 11
    v.close();
    let (recs, _) = dissect(&v.pcap());
    let p = packets(&recs);
    let got: Vec<(&str, u64, u64, u64)> = p.iter().map(|x| (x.0.as_str(), x.1, x.2, x.3)).collect();
    let pub_x = publish(b"x").len() as u64;
    assert_eq!(
        got,
        [
            ("CONNECT", 6, 8, 0),
            ("CONNACK", 9, 9, 0),
            ("PUBLISH", 9, 9, 4),
            ("PINGRESP", 9, 10, 4 + publish(b"hello").len() as u64),
            ("PUBLISH", 11, 11, CONNECT.len() as u64),
            ("PINGREQ", 11, 11, CONNECT.len() as u64 + pub_x),
            ("PUBLISH", 11, 11, CONNECT.len() as u64 + pub_x + 2),
            (
                "DISCONNECT",
                11,
                11,
                CONNECT.len() as u64 + pub_x + 2 + publish(b"yz").len() as u64
            ),
        ]
    );
    assert!(clean(&recs));
    let publish_text: Vec<&str> = recs
        .iter()
        .filter(|r| r["packet"]["type"] == "PUBLISH")
        .map(|r| r["connection"]["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(publish_text, ["c", "c", "c"]);
    // Only the upgrade is reported besides the closes: masking was right everywhere.
    assert!(events(&recs, "websocket_frame").is_empty(), "{recs:#?}");
}

#[test]
fn every_split_of_the_client_stream_gives_the_same_packets() {
    let mut stream = REQUEST.to_vec();
    let ws_start = stream.len();
    stream.extend(frame(false, 2, Some(KEY), &CONNECT[..5], false));
    stream.extend(frame(true, 9, Some(KEY), b"ping", false));
    stream.extend(frame(true, 0, Some([9, 8, 7, 6]), &CONNECT[5..], true));
    stream.extend(binary(Some(KEY), &publish(&[0x55; 200])));
    let mut want: Option<Vec<String>> = None;
    for cut in (1..stream.len()).step_by(3) {
        let mut v = Conv::new(80);
        v.client(&stream[..cut.min(ws_start)]);
        if cut < ws_start {
            v.client(&stream[cut..ws_start]);
        }
        v.server(RESPONSE);
        if cut > ws_start {
            v.client(&stream[ws_start..cut]);
            v.client(&stream[cut..]);
        } else {
            v.client(&stream[ws_start..]);
        }
        v.server(&binary(None, CONNACK));
        let (recs, _) = dissect(&v.pcap());
        let t = types(&recs);
        assert!(clean(&recs), "cut {cut}");
        assert_eq!(events(&recs, "websocket").len(), 1, "cut {cut}");
        let pings: Vec<_> = events(&recs, "websocket_frame")
            .into_iter()
            .filter(|e| e["details"]["what"] == "ping")
            .collect();
        assert_eq!(pings.len(), 1, "cut {cut}");
        match &want {
            None => want = Some(t),
            Some(w) => assert_eq!(&t, w, "cut {cut}"),
        }
    }
    assert_eq!(want.unwrap(), ["CONNECT", "PUBLISH", "CONNACK"]);
}

#[test]
fn fragmented_message_with_interleaved_ping_and_64_bit_length() {
    let mut v = upgraded(1884);
    let mut seg = frame(false, 2, Some(KEY), &CONNECT[..3], false);
    seg.extend(frame(true, 9, Some(KEY), b"", false)); // ping inside the message
    seg.extend(frame(false, 0, Some(KEY), &CONNECT[3..9], true)); // 64-bit length form
    v.client(&seg); // 6
    v.server(&frame(true, 0xA, None, b"", false)); // 7: pong
    v.client(&frame(true, 0, Some(KEY), &CONNECT[9..], false)); // 8
    v.server(&binary(None, CONNACK)); // 9
                                      // A 70,000-byte publish in one frame with a 64-bit length, over many segments.
    let big = publish(&vec![b'z'; 70_000]);
    let f = binary(None, &big);
    assert_eq!(f[1], 127);
    let segs: Vec<&[u8]> = f.chunks(1400).collect();
    for s in &segs {
        v.server(s);
    }
    v.close();
    let (recs, _) = dissect(&v.pcap());
    let p = packets(&recs);
    assert_eq!(
        p.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["CONNECT", "CONNACK", "PUBLISH"]
    );
    assert_eq!((p[0].1, p[0].2), (6, 8));
    assert_eq!((p[2].1, p[2].2), (10, 9 + segs.len() as u64));
    assert_eq!(
        recs.iter()
            .find(|r| r["packet"]["type"] == "PUBLISH")
            .unwrap()["packet"]["length"],
        big.len()
    );
    assert!(clean(&recs));
    let notes: Vec<String> = events(&recs, "websocket_frame")
        .iter()
        .map(|e| {
            let d = &e["details"];
            format!(
                "{}{}",
                d["what"].as_str().unwrap(),
                d["error"]
                    .as_str()
                    .map(|x| format!(":{x}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    // The 6-byte payload in the 64-bit form is not the shortest encoding.
    assert_eq!(notes, ["ping", "protocol_error:non-minimal-length", "pong"]);
}

#[test]
fn text_frame_is_diagnosed_and_decoded() {
    let mut v = upgraded(1884);
    v.client(&frame(true, 1, Some(KEY), CONNECT, false));
    v.server(&binary(None, CONNACK));
    let (recs, _) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT", "CONNACK"]);
    let t = events(&recs, "websocket_frame");
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["details"]["what"], "text");
    assert_eq!(t[0]["details"]["spec"], "MQTT-6.0.0-1");
    assert!(t[0]["message"].as_str().unwrap().contains("[MQTT-6.0.0-1]"));
    assert_eq!(t[0]["frame"], 6);
}

#[test]
fn ping_pong_and_close() {
    let mut v = upgraded(1884);
    v.client(&binary(Some(KEY), CONNECT));
    v.server(&binary(None, CONNACK));
    v.client(&frame(true, 9, Some(KEY), b"hi", false));
    v.server(&frame(true, 0xA, None, b"hi", false));
    v.client(&frame(true, 8, Some(KEY), b"\x03\xe8bye", false));
    v.server(&frame(true, 8, None, b"\x03\xe8", false));
    v.close();
    let (recs, _) = dissect(&v.pcap());
    let w: Vec<(String, Value, String)> = events(&recs, "websocket_frame")
        .iter()
        .map(|e| {
            (
                e["details"]["what"].as_str().unwrap().to_string(),
                e["details"]["code"].clone(),
                e["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        w,
        [
            ("ping".into(), Value::Null, "client_to_server".into()),
            ("pong".into(), Value::Null, "server_to_client".into()),
            ("close".into(), 1000.into(), "client_to_server".into()),
            ("close".into(), 1000.into(), "server_to_client".into()),
        ]
    );
    let close = events(&recs, "websocket_frame")[2];
    assert_eq!(close["details"]["reason"], "bye");
    assert_eq!(close["details"]["code_name"], "normal closure");
}

#[test]
fn masking_violations_are_noted_once_per_direction() {
    let mut v = upgraded(1884);
    v.client(&binary(None, CONNECT)); // unmasked client frame
    v.client(&binary(None, PINGREQ));
    v.server(&binary(Some(KEY), CONNACK)); // masked server frame
    let (recs, _) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT", "PINGREQ", "CONNACK"]);
    let m: Vec<&Value> = events(&recs, "websocket_frame")
        .into_iter()
        .filter(|e| e["details"]["what"] == "masking")
        .collect();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["details"]["masked"], false);
    assert_eq!(m[0]["direction"], "client_to_server");
    assert_eq!(m[1]["details"]["masked"], true);
}

#[test]
fn refused_upgrade_is_not_decoded() {
    let mut v = Conv::new(1884);
    v.client(REQUEST);
    v.server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    v.client(&binary(Some(KEY), CONNECT));
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    assert!(types(&recs).is_empty());
    let e = events(&recs, "websocket_not_upgraded");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["details"]["status"], 400);
    assert!(events(&recs, "websocket").is_empty());
    assert_eq!(sum.mqtt_connections, 0);
    assert_eq!(sum.other_connections, 1);
}

#[test]
fn unanswered_upgrade_and_plain_http_are_not_mqtt() {
    let mut v = Conv::new(8080);
    v.client(REQUEST);
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    assert_eq!(events(&recs, "websocket_not_upgraded").len(), 1);
    assert_eq!(sum.other_connections, 1);

    let mut v = Conv::new(80);
    v.client(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    v.server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let (recs, sum) = dissect(&v.pcap());
    assert!(recs.iter().all(|r| r["record"] != "packet"), "{recs:#?}");
    assert!(events(&recs, "websocket_not_upgraded").is_empty());
    assert_eq!(sum.other_connections, 1);

    // A WebSocket for another protocol is not MQTT either.
    let mut v = Conv::new(80);
    v.client(
        &REQUEST
            .to_vec()
            .replace_all(b"protocol: mqtt", b"protocol: chat"),
    );
    v.server(
        &RESPONSE
            .to_vec()
            .replace_all(b"Protocol: mqtt", b"Protocol: chat"),
    );
    v.client(&binary(Some(KEY), CONNECT));
    let (recs, sum) = dissect(&v.pcap());
    assert!(types(&recs).is_empty());
    assert_eq!(sum.other_connections, 1);
}

/// An upgrade where the client offers "mqttv3.1, chat" and the server selects "chat", then
/// a CONNECT.
fn chat_selected() -> Conv {
    let mut v = Conv::new(1884);
    v.client(
        &REQUEST
            .to_vec()
            .replace_all(b"protocol: mqtt", b"protocol: mqttv3.1, chat"),
    );
    v.server(
        &RESPONSE
            .to_vec()
            .replace_all(b"Protocol: mqtt", b"Protocol: chat"),
    );
    v.client(&binary(Some(KEY), CONNECT));
    v
}

#[test]
fn wrong_subprotocol_is_a_diagnostic() {
    let v = chat_selected();
    let (recs, _) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT"]);
    let e = events(&recs, "websocket_subprotocol");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["details"]["selected"], "chat");
    assert_eq!(
        e[0]["details"]["offered"],
        serde_json::json!(["mqttv3.1", "chat"])
    );
    assert!(e[0]["message"].as_str().unwrap().contains("[MQTT-6.0.0-4]"));

    // No subprotocol offered, on the MQTT port: decoded, both rules broken.
    let mut v = Conv::new(1883);
    v.client(
        &REQUEST
            .to_vec()
            .replace_all(b"sec-websocket-protocol: mqtt\r\n", b""),
    );
    v.server(
        &RESPONSE
            .to_vec()
            .replace_all(b"Sec-WebSocket-Protocol: mqtt\r\n", b""),
    );
    v.client(&binary(Some(KEY), CONNECT));
    let (recs, _) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT"]);
    let m = events(&recs, "websocket_subprotocol")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("[MQTT-6.0.0-3]") && m.contains("[MQTT-6.0.0-4]"),
        "{m}"
    );
}

#[test]
fn client_frames_sent_with_the_request_wait_for_the_response() {
    let mut v = Conv::new(1884);
    let mut seg = REQUEST.to_vec();
    seg.extend(binary(Some(KEY), CONNECT));
    v.client(&seg); // 4
    let mut seg = RESPONSE.to_vec();
    seg.extend(binary(None, CONNACK));
    v.server(&seg); // 5
    let (recs, _) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT", "CONNACK"]);
    assert!(clean(&recs));
}

#[test]
fn absurd_frame_length_stops_the_direction() {
    let mut v = upgraded(1884);
    v.client(&binary(Some(KEY), CONNECT));
    let mut bad = vec![0x82, 127];
    bad.extend(u64::MAX.to_be_bytes());
    bad.extend([1, 2, 3, 4, 5]);
    v.server(&bad);
    v.server(&binary(None, CONNACK));
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT"]);
    let e = events(&recs, "websocket_frame");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["details"]["what"], "bad_length");
    // The bytes after it are counted, and reported at the end.
    assert_eq!(sum.undecodable_bytes, binary(None, CONNACK).len() as u64);
    assert_eq!(events(&recs, "undecodable").len(), 1);
}

#[test]
fn lost_bytes_stop_websocket_decoding_of_that_direction() {
    let mut v = upgraded(1884);
    v.client(&binary(Some(KEY), CONNECT)); // 6
    v.server(&binary(None, CONNACK)); // 7
    let lost = binary(Some(KEY), PINGREQ);
    v.lose_client(lost.len() as u32);
    let after = binary(Some(KEY), DISCONNECT);
    v.client(&after);
    v.server(&binary(None, PINGRESP));
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT", "CONNACK", "PINGRESP"]);
    let gap = events(&recs, "gap");
    assert_eq!(gap.len(), 1, "{recs:#?}");
    assert!(gap[0]["message"]
        .as_str()
        .unwrap()
        .contains("WebSocket framing is lost"));
    assert_eq!(sum.gap_bytes, lost.len() as u64);
    assert_eq!(sum.undecodable_bytes, after.len() as u64);
    assert_eq!(events(&recs, "undecodable").len(), 1);

    // Lost bytes inside the handshake: not decoded, said why.
    let mut v = Conv::new(1884);
    v.client(&REQUEST[..10]);
    v.lose_client(5);
    v.client(&REQUEST[15..]);
    v.server(RESPONSE);
    v.client(&binary(Some(KEY), CONNECT));
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    assert!(types(&recs).is_empty(), "{recs:#?}");
    let e = events(&recs, "websocket_not_upgraded");
    assert_eq!(e.len(), 1);
    assert!(e[0]["message"].as_str().unwrap().contains("not captured"));
    assert_eq!(sum.other_connections, 1);
}

#[test]
fn tls_is_reported_with_sni_and_byte_counts() {
    let hello = client_hello("broker.example");
    // On the TLS port, the ClientHello split over two segments.
    let mut v = Conv::new(8883);
    v.client(&hello[..20]).client(&hello[20..]);
    v.server(&[0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x00]);
    v.client(&[0x17, 0x03, 0x03, 0x00, 0x01, 0xff]);
    v.close();
    let (recs, sum) = dissect(&v.pcap());
    let t = events(&recs, "tls");
    assert_eq!(t.len(), 1, "{recs:#?}");
    assert_eq!(t[0]["details"]["sni"], "broker.example");
    assert_eq!(t[0]["connection"]["encrypted"], true);
    assert_eq!(t[0]["connection"]["transport"], "tls");
    assert_eq!(t[0]["connection"]["sni"], "broker.example");
    assert_eq!(sum.tls_connections, 1);
    assert_eq!(sum.tls_bytes_to_server, hello.len() as u64 + 6);
    assert_eq!(sum.tls_bytes_to_client, 7);
    let closed = events(&recs, "closed");
    assert!(closed.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("encrypted"));

    // On the MQTT port: TLS too.
    let mut v = Conv::new(1883);
    v.client(&hello);
    let (recs, sum) = dissect(&v.pcap());
    assert_eq!(events(&recs, "tls").len(), 1);
    assert_eq!(sum.tls_connections, 1);

    // On another port: not MQTT.
    let mut v = Conv::new(443);
    v.client(&hello);
    let (recs, sum) = dissect(&v.pcap());
    assert!(recs.is_empty(), "{recs:#?}");
    assert_eq!((sum.tls_connections, sum.other_connections), (0, 1));
}

/// A ClientHello with a server name.
fn client_hello(name: &str) -> Vec<u8> {
    let mut sni = vec![0x00];
    sni.extend((name.len() as u16).to_be_bytes());
    sni.extend(name.as_bytes());
    let mut list = (sni.len() as u16).to_be_bytes().to_vec();
    list.extend(sni);
    let mut ext = vec![0x00, 0x00];
    ext.extend((list.len() as u16).to_be_bytes());
    ext.extend(list);
    let mut body = vec![0x03, 0x03];
    body.extend([0u8; 32]);
    body.extend([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    body.extend((ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![0x01, 0x00];
    hs.extend((body.len() as u16).to_be_bytes());
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend((hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

trait ReplaceAll {
    fn replace_all(self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl ReplaceAll for Vec<u8> {
    fn replace_all(self, from: &[u8], to: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.len() {
            if self[i..].starts_with(from) {
                out.extend_from_slice(to);
                i += from.len();
            } else {
                out.push(self[i]);
                i += 1;
            }
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever follows the handshake, in whatever segments: no panic, and every byte is
    /// either decoded or accounted for.
    #[test]
    fn arbitrary_websocket_streams_never_panic(
        client in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6),
        server in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6),
        head_cut in 0usize..REQUEST.len(),
    ) {
        let mut v = Conv::new(1884);
        v.client(&REQUEST[..head_cut]);
        v.client(&REQUEST[head_cut..]);
        v.server(RESPONSE);
        for i in 0..client.len().max(server.len()) {
            if let Some(c) = client.get(i) { if !c.is_empty() { v.client(c); } }
            if let Some(s) = server.get(i) { if !s.is_empty() { v.server(s); } }
        }
        v.close();
        let (recs, sum) = dissect(&v.pcap());
        prop_assert_eq!(events(&recs, "websocket").len(), 1);
        prop_assert_eq!(sum.websocket_connections, 1);
    }

    /// Arbitrary handshakes (random header text, cut anywhere, random answers): no panic.
    #[test]
    fn arbitrary_handshakes_never_panic(
        mid in proptest::collection::vec(any::<u8>(), 0..200),
        answer in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 0usize..400,
        status in prop_oneof![Just(&b"HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\n"[..]), Just(&b"HTTP/1.1 "[..]), Just(&b""[..])],
    ) {
        let mut req = b"GET /x HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: mqtt\r\n".to_vec();
        req.extend(&mid);
        req.extend(b"\r\n\r\n");
        req.extend(&mid);
        let cut = cut.min(req.len());
        let mut resp = status.to_vec();
        resp.extend(&answer);
        let mut v = Conv::new(80);
        v.client(&req[..cut.max(1)]);
        if cut.max(1) < req.len() {
            v.client(&req[cut.max(1)..]);
        }
        if !resp.is_empty() {
            v.server(&resp);
        }
        v.client(&binary(Some(KEY), CONNECT));
        v.close();
        let (_, sum) = dissect(&v.pcap());
        prop_assert_eq!(sum.connections, 1);
    }

    /// Well-formed frames of random sizes carrying a packet sequence decode to the same
    /// packets however the MQTT stream is cut into frames.
    #[test]
    fn any_framing_gives_the_same_packets(cuts in proptest::collection::vec(1usize..40, 1..30)) {
        let mut mqtt = CONNECT.to_vec();
        mqtt.extend(publish(b"some payload here"));
        mqtt.extend(PINGREQ);
        mqtt.extend(publish(&[7; 150]));
        mqtt.extend(DISCONNECT);
        let mut v = upgraded(1884);
        let mut pos = 0;
        let mut i = 0;
        let mut seg = Vec::new();
        while pos < mqtt.len() {
            let n = cuts[i % cuts.len()].min(mqtt.len() - pos);
            let op = if i == 0 { 2 } else { 0 };
            let fin = pos + n == mqtt.len();
            seg.extend(frame(fin, op, Some([i as u8, 3, 5, 7]), &mqtt[pos..pos + n], n % 3 == 0));
            if i % 2 == 1 {
                seg.extend(frame(true, 9, Some(KEY), b"", false));
            }
            if seg.len() > 50 {
                v.client(&seg);
                seg.clear();
            }
            pos += n;
            i += 1;
        }
        if !seg.is_empty() {
            v.client(&seg);
        }
        let (recs, _) = dissect(&v.pcap());
        prop_assert_eq!(types(&recs), ["CONNECT", "PUBLISH", "PINGREQ", "PUBLISH", "DISCONNECT"]);
        prop_assert!(clean(&recs));
    }
}

fn ws_ports(ports: &[u16]) -> CaptureConfig {
    CaptureConfig {
        ws_ports: ports.to_vec(),
        ..CaptureConfig::default()
    }
}

/// A capture that starts after the handshake (and after the CONNECT), on a `--ws-port`:
/// decoded as WebSocket frames from the first byte, whichever side speaks first, and with
/// nothing without the option.
#[test]
fn ws_port_decodes_a_connection_whose_handshake_was_not_captured() {
    for server_first in [true, false] {
        let mut v = Conv::new(8083);
        if server_first {
            v.server(&binary(None, &publish(b"hello")));
        }
        v.client(&binary(Some(KEY), PINGREQ));
        v.server(&binary(None, PINGRESP));
        v.client(&binary(Some(KEY), &publish(b"up")));
        // Without the TCP handshake either: the port tells the client.
        v.frames.drain(..3);
        let pcap = v.pcap();
        let (recs, summary) = dissect_with(&pcap, ws_ports(&[8083]));
        let mut want = vec![
            ("PINGREQ", "client_to_server"),
            ("PINGRESP", "server_to_client"),
            ("PUBLISH", "client_to_server"),
        ];
        if server_first {
            want.insert(0, ("PUBLISH", "server_to_client"));
        }
        let got: Vec<(String, String)> = packets(&recs).into_iter().map(|p| (p.0, p.4)).collect();
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(t, d)| (t.to_string(), d.to_string()))
            .collect();
        assert_eq!(got, want, "server first: {server_first}");
        assert!(clean(&recs), "{recs:#?}");
        let e = events(&recs, "websocket_without_handshake");
        assert_eq!(e.len(), 1, "{recs:#?}");
        assert_eq!(
            e[0]["message"],
            "MQTT over WebSocket whose handshake was not captured (port 8083 is a --ws-port): \
             decoded as WebSocket frames from the first byte"
        );
        let ws = &recs.iter().find(|r| r["record"] == "packet").unwrap()["connection"]["websocket"];
        assert_eq!(ws["handshake"], false, "{ws}");
        assert_eq!(
            (summary.mqtt_connections, summary.websocket_connections),
            (1, 1)
        );
        assert!(events(&recs, "websocket_frame").is_empty(), "{recs:#?}");
        // Without --ws-port the connection is not MQTT.
        let (recs, summary) = dissect(&pcap);
        assert!(packets(&recs).is_empty());
        assert_eq!(summary.mqtt_connections, 0);
    }
    // A plain CONNECT on a --ws-port is plain MQTT.
    let mut v = Conv::new(8083);
    v.client(CONNECT).server(CONNACK);
    let (recs, summary) = dissect_with(&v.pcap(), ws_ports(&[8083]));
    assert_eq!(types(&recs), ["CONNECT", "CONNACK"]);
    assert!(clean(&recs), "{recs:#?}");
    assert_eq!(
        (summary.mqtt_connections, summary.websocket_connections),
        (1, 0)
    );
}

/// On any port, a connection that starts with a client's masked frame carrying a CONNECT is
/// MQTT over WebSocket; other first frames are not taken for it.
#[test]
fn a_masked_connect_frame_is_mqtt_over_websocket_on_any_port() {
    let mut v = Conv::new(40123);
    v.client(&binary(Some(KEY), CONNECT));
    v.server(&binary(None, CONNACK));
    v.client(&binary(Some(KEY), DISCONNECT));
    v.close();
    let (recs, summary) = dissect(&v.pcap());
    assert_eq!(types(&recs), ["CONNECT", "CONNACK", "DISCONNECT"]);
    assert!(clean(&recs), "{recs:#?}");
    let e = events(&recs, "websocket_without_handshake");
    assert_eq!(e.len(), 1);
    let m = e[0]["message"].as_str().unwrap();
    assert!(
        m.contains("starts with a masked WebSocket frame carrying a CONNECT"),
        "{m}"
    );
    assert_eq!(summary.websocket_connections, 1);
    // An unmasked frame, or a masked frame of something else: not MQTT.
    for first in [binary(None, CONNECT), binary(Some(KEY), PINGREQ)] {
        let mut v = Conv::new(40124);
        v.client(&first);
        let (recs, summary) = dissect(&v.pcap());
        assert!(packets(&recs).is_empty());
        assert_eq!(summary.mqtt_connections, 0);
    }
}

/// The analysis' problems of a capture: (id, severity, spec, count).
fn problems(pcap: &[u8]) -> Vec<(String, String, String, u64)> {
    let mut a = Analyzer::default();
    dissect_capture(
        pcap,
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut |r| a.record(r),
    )
    .expect("capture reads");
    a.finish()
        .problems
        .iter()
        .map(|p| {
            let severity = format!("{:?}", p.severity);
            (p.id.to_string(), severity, p.spec.to_string(), p.count)
        })
        .collect()
}

/// A WebSocket connection, its pings and its close are no problems; a text frame, a wrong
/// subprotocol and a refused upgrade are, under MQTT over WebSocket (§6).
#[test]
fn the_analysis_counts_websocket_problems_not_websocket_traffic() {
    let mut v = upgraded(1884);
    v.client(&binary(Some(KEY), CONNECT));
    v.server(&binary(None, CONNACK));
    v.client(&frame(true, 0x9, Some(KEY), b"hi", false)); // ping
    v.server(&frame(true, 0xa, None, b"hi", false)); // pong
    v.client(&binary(Some(KEY), DISCONNECT));
    v.client(&frame(true, 0x8, Some(KEY), &[0x03, 0xe8], false)); // close 1000
    v.server(&frame(true, 0x8, None, &[0x03, 0xe8], false));
    v.close();
    assert_eq!(problems(&v.pcap()), []);

    let mut v = upgraded(1884);
    v.client(&frame(true, 1, Some(KEY), CONNECT, false));
    let want = ("websocket-frame", "Warning", "§6", 1);
    let got = problems(&v.pcap());
    let got: Vec<_> = got
        .iter()
        .map(|p| (p.0.as_str(), p.1.as_str(), p.2.as_str(), p.3))
        .collect();
    assert_eq!(got, [want]);

    let v = chat_selected();
    let got = problems(&v.pcap());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].2.as_str()),
        ("websocket-subprotocol", "§6")
    );

    let mut v = Conv::new(1884);
    v.client(REQUEST);
    v.server(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    let got = problems(&v.pcap());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].2.as_str()),
        ("websocket-not-upgraded", "§6")
    );
}
