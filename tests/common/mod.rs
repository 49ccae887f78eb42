//! Helpers shared by the `pcap_*` tests: run the capture dissector and keep owned copies
//! of what it reported, check that every stream byte is accounted for, and small
//! conversions of decoded packets into the shapes the expected files use.

#![allow(dead_code)]

use mqtt_dissect::codec::{
    decode, DecodeOptions, Decoded, Direction, PacketType, PropValue, Properties, ProtocolVersion,
};
use mqtt_dissect::dissect::capture::{
    CaptureConfig, ConnInfo, ConnKind, DissectSummary, Dissector, EventKind, Record,
};
use mqtt_dissect::dissect::version::VersionSource;
use mqtt_dissect::transport::{
    read_capture, CaptureError, CaptureSummary, CloseKind, Side, Timestamp, TransportConfig,
    TransportEvent,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One MQTT packet as the dissector reported it (owned).
#[derive(Clone, Debug)]
pub struct Pkt {
    pub conn: u64,
    pub side: Side,
    pub direction: Option<Direction>,
    pub frame: u64,
    pub first_frame: u64,
    pub ts: Timestamp,
    pub stream_offset: u64,
    pub version: ProtocolVersion,
    pub source: VersionSource,
    pub reason: Option<String>,
    pub packet_type: PacketType,
    pub bytes: Vec<u8>,
    /// Ids of the diagnostics (`check.id`).
    pub diags: Vec<String>,
    /// True when no diagnostic is an error.
    pub ok: bool,
    /// Client id of the connection when the packet was reported.
    pub client_id: Option<String>,
}

impl Pkt {
    /// The packet decoded again (the dissector's records borrow; this owns its bytes).
    pub fn decoded(&self) -> Decoded<'_> {
        decode(
            &self.bytes,
            &DecodeOptions {
                version: self.version,
                direction: self.direction,
                tree: false,
            },
        )
    }

    pub fn type_name(&self) -> &'static str {
        self.packet_type.name().unwrap_or("RESERVED")
    }

    pub fn c2s(&self) -> bool {
        self.direction == Some(Direction::ClientToServer)
    }
}

/// One event (owned).
#[derive(Clone, Debug)]
pub struct Ev {
    pub conn: Option<u64>,
    pub side: Option<Side>,
    pub frame: u64,
    pub offset: Option<u64>,
    pub kind: EventKind,
    pub message: String,
}

/// Everything a capture produced.
#[derive(Debug)]
pub struct Run {
    pub packets: Vec<Pkt>,
    pub events: Vec<Ev>,
    /// Packets and events in the order they were reported: `Ok(packet index)` or
    /// `Err(event index)`.
    pub order: Vec<Result<usize, usize>>,
    /// The latest state of every connection that appeared in a record.
    pub conns: BTreeMap<u64, ConnInfo>,
    /// Frames that delivered stream bytes, per (connection, side), from transport.
    pub data_frames: BTreeMap<(u64, Side), Vec<u64>>,
    /// Stream bytes delivered per (connection, side), from transport.
    pub delivered: BTreeMap<(u64, Side), u64>,
    pub capture: CaptureSummary,
    pub summary: DissectSummary,
}

impl Run {
    pub fn conn(&self, id: u64) -> &ConnInfo {
        self.conns
            .get(&id)
            .unwrap_or_else(|| panic!("connection #{id} in no record"))
    }

    /// MQTT connections in order of their number.
    pub fn mqtt_conns(&self) -> Vec<&ConnInfo> {
        self.conns
            .values()
            .filter(|c| c.kind == ConnKind::Mqtt)
            .collect()
    }

    pub fn packets_of(&self, conn: u64) -> Vec<&Pkt> {
        self.packets.iter().filter(|p| p.conn == conn).collect()
    }

    /// Packet counts per type name.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for p in &self.packets {
            *m.entry(p.type_name().to_string()).or_insert(0) += 1;
        }
        m
    }

    pub fn types(&self) -> Vec<&'static str> {
        self.packets.iter().map(|p| p.type_name()).collect()
    }

    pub fn events_where(&self, f: impl Fn(&EventKind) -> bool) -> Vec<&Ev> {
        self.events.iter().filter(|e| f(&e.kind)).collect()
    }
}

/// Runs the dissector over a capture held in memory or read from a reader.
pub fn dissect<R: std::io::Read>(reader: R, cfg: CaptureConfig) -> Result<Run, CaptureError> {
    dissect_with(reader, &TransportConfig::default(), cfg)
}

pub fn dissect_with<R: std::io::Read>(
    reader: R,
    tcfg: &TransportConfig,
    cfg: CaptureConfig,
) -> Result<Run, CaptureError> {
    let mut d = Dissector::new(cfg);
    let mut packets = Vec::new();
    let mut events = Vec::new();
    let mut order = Vec::new();
    let mut conns: BTreeMap<u64, ConnInfo> = BTreeMap::new();
    let mut data_frames: BTreeMap<(u64, Side), Vec<u64>> = BTreeMap::new();
    let mut delivered: BTreeMap<(u64, Side), u64> = BTreeMap::new();
    let capture = read_capture(reader, tcfg, &mut |ev| {
        if let TransportEvent::Data {
            dir, frame, data, ..
        } = &ev
        {
            let f = data_frames.entry((dir.conn, dir.side)).or_default();
            if f.last() != Some(frame) {
                f.push(*frame);
            }
            *delivered.entry((dir.conn, dir.side)).or_default() += data.len() as u64;
        }
        d.event(ev, &mut |r| match r {
            Record::Packet(p) => {
                conns.insert(p.conn.id, p.conn.clone());
                let dec = &p.assumed.decoded;
                order.push(Ok(packets.len()));
                packets.push(Pkt {
                    conn: p.conn.id,
                    side: p.side,
                    direction: p.direction,
                    frame: p.frame,
                    first_frame: p.first_frame,
                    ts: p.ts,
                    stream_offset: p.stream_offset,
                    version: dec.version,
                    source: p.assumed.source,
                    reason: p.assumed.reason.clone(),
                    packet_type: dec.packet_type,
                    bytes: dec.bytes.to_vec(),
                    diags: dec
                        .diagnostics
                        .iter()
                        .map(|x| x.check.id.to_string())
                        .collect(),
                    ok: dec.is_ok(),
                    client_id: p.conn.client_id.clone(),
                });
            }
            Record::Event(e) => {
                if let Some(c) = e.conn {
                    conns.insert(c.id, c.clone());
                }
                order.push(Err(events.len()));
                events.push(Ev {
                    conn: e.conn.map(|c| c.id),
                    side: e.side,
                    frame: e.frame,
                    offset: e.offset,
                    kind: e.kind.clone(),
                    message: e.message.clone(),
                });
            }
        });
    })?;
    let summary = d.finish();
    let t = &capture.tcp;
    assert_eq!(
        t.payload_bytes,
        t.delivered_bytes + t.retransmitted_bytes + t.overlap_bytes + t.ignored_bytes,
        "transport accounts for every TCP payload byte"
    );
    Ok(Run {
        packets,
        events,
        order,
        conns,
        data_frames,
        delivered,
        capture,
        summary,
    })
}

pub fn dissect_file(path: &Path, cfg: CaptureConfig) -> Run {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    dissect(std::io::BufReader::new(f), cfg)
        .unwrap_or_else(|e| panic!("{}: cannot be read: {e}", path.display()))
}

/// Every stream byte of every MQTT connection is in a packet or in an event (undecodable,
/// too large, incomplete at the end), and every gap is reported. Returns the number of
/// stream bytes checked.
pub fn assert_accounted(run: &Run, what: &str) -> u64 {
    let mut total = 0;
    let mut gaps_reported = 0u64;
    for ev in &run.events {
        if let EventKind::Gap { len, .. } = ev.kind {
            gaps_reported += len;
        }
    }
    assert_eq!(
        gaps_reported, run.summary.gap_bytes,
        "{what}: gap events vs summary"
    );
    for c in run.mqtt_conns() {
        // Over WebSocket the stream also holds the HTTP handshake and frame headers; that
        // layer's accounting is asserted in tests/ws_capture.rs and tests/ws_aedes.rs.
        if c.websocket.is_some() {
            continue;
        }
        // Over TLS the packets tile the decrypted stream of each direction, from 0.
        if c.tls.is_some() {
            for side in [Side::A, Side::B] {
                let mut next = 0;
                for p in run
                    .packets
                    .iter()
                    .filter(|p| p.conn == c.id && p.side == side)
                {
                    assert_eq!(
                        p.stream_offset, next,
                        "{what}: conn #{} {side:?}: packets tile the decrypted stream",
                        c.id
                    );
                    next += p.bytes.len() as u64;
                }
            }
            continue;
        }
        for side in [Side::A, Side::B] {
            let delivered = run.delivered.get(&(c.id, side)).copied().unwrap_or(0);
            assert_eq!(
                c.bytes[side.index()],
                delivered,
                "{what}: conn #{} {side:?}: bytes the dissector saw vs transport delivered",
                c.id
            );
            let in_packets: u64 = run
                .packets
                .iter()
                .filter(|p| p.conn == c.id && p.side == side)
                .map(|p| p.bytes.len() as u64)
                .sum();
            let in_events: u64 = run
                .events
                .iter()
                .filter(|e| e.conn == Some(c.id) && e.side == Some(side))
                .map(|e| match e.kind {
                    EventKind::Undecodable { len, .. } | EventKind::TooLarge { len, .. } => len,
                    EventKind::Incomplete { have, .. } => have,
                    _ => 0,
                })
                .sum();
            assert_eq!(
                in_packets + in_events,
                delivered,
                "{what}: conn #{} {side:?}: {in_packets} bytes in packets + {in_events} in events \
                 != {delivered} delivered",
                c.id
            );
            // Packets tile the stream: each starts where the previous one (or a skipped
            // range) ended.
            total += delivered;
        }
    }
    total
}

/// The repository's own captures.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/captures")
        .join(name)
}

/// ../shared/captures, when present.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    p.is_dir().then_some(p)
}

/// The name a property has in the expected files: its spec name in snake case.
pub fn prop_name(id: mqtt_dissect::codec::PropertyId) -> String {
    id.name().to_ascii_lowercase().replace(' ', "_")
}

/// Properties in the expected files' shape: `[{name: value}, …]` in wire order, user
/// properties as `[key, value]`, binary data in hex.
pub fn props_json(props: &Properties<'_>) -> Value {
    Value::Array(
        props
            .iter()
            .map(|p| {
                let v = match p.value {
                    PropValue::Byte(x) => json!(x),
                    PropValue::TwoByte(x) => json!(x),
                    PropValue::FourByte(x) | PropValue::Vbi(x) => json!(x),
                    PropValue::Str(s) => json!(String::from_utf8_lossy(s.as_bytes())),
                    PropValue::Binary(b) => json!(hex::encode(b)),
                    PropValue::Pair(k, v) => json!([
                        String::from_utf8_lossy(k.as_bytes()),
                        String::from_utf8_lossy(v.as_bytes())
                    ]),
                };
                let mut m = serde_json::Map::new();
                m.insert(prop_name(p.id), v);
                Value::Object(m)
            })
            .collect(),
    )
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The first closing event per side, and whether it was a FIN or a RST.
pub fn closes(run: &Run, conn: u64) -> Vec<(Option<Side>, CloseKind, u64)> {
    run.events
        .iter()
        .filter(|e| e.conn == Some(conn))
        .filter_map(|e| match e.kind {
            EventKind::Closed { kind } => Some((e.side, kind, e.frame)),
            _ => None,
        })
        .collect()
}

/// SHA-256 (FIPS 180-4), for the digests of large payloads in the expected files.
pub fn sha256(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// Every pcap and pcapng file under testdata/captures and ../shared/captures (when
/// present), sorted.
pub fn all_captures() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("testdata/captures"),
        root.join("../shared/captures"),
    ];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.to_string_lossy().to_string();
            if p.is_dir() {
                dirs.push(p);
            } else if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}
