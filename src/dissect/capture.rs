//! MQTT conversations out of a capture: which TCP connections carry MQTT (port, or a
//! CONNECT at the start of a stream on any port; TLS recognised and reported, not guessed
//! at), per-direction framing, per-connection state (version, client id, user, keep
//! alive, who is the client), and a record for every packet and every transport event so
//! that nothing in the stream goes unaccounted.

use super::framer::{Framed, Framer, SkipReason};
use super::tls;
use super::version::{Assumed, VersionTracker};
use crate::codec::{decode, DecodeOptions, Direction, Packet, PacketType, ProtocolVersion};
use crate::transport::{
    read_capture, CaptureError, CaptureSummary, CloseKind, Endpoint, GapReason, Side, StreamDir,
    Timestamp, TransportConfig, TransportEvent,
};
use std::collections::HashMap;
use std::io::Read;

/// What the dissector is told beyond the capture.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// TCP ports that carry MQTT (default 1883).
    pub mqtt_ports: Vec<u16>,
    /// TCP ports that carry MQTT over TLS (default 8883): reported, not decoded.
    pub tls_ports: Vec<u16>,
    /// The version for connections whose CONNECT was not captured (`None`: auto-detect).
    pub protocol: Option<ProtocolVersion>,
    /// Largest MQTT packet assembled from several segments; larger ones are skipped with
    /// their length recorded.
    pub max_packet: usize,
    /// Build field trees (needed for verbose and JSON output, not for summaries).
    pub tree: bool,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            mqtt_ports: vec![1883],
            tls_ports: vec![8883],
            protocol: None,
            max_packet: 16 << 20,
            tree: true,
        }
    }
}

/// What a connection turned out to carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnKind {
    /// No payload seen yet.
    Undecided,
    /// MQTT over TCP.
    Mqtt,
    /// TLS (MQTT over TLS, presumably): encrypted, not decoded.
    Tls,
    /// Something else; ignored.
    Other,
}

/// How the client side of a connection was decided, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientBasis {
    /// Not known.
    Unknown,
    /// The side that sent the TCP SYN.
    Syn,
    /// The side that does not use the MQTT (or TLS) port.
    Port,
    /// The receiver of a CONNACK.
    ConnAck,
    /// The sender of a CONNECT.
    Connect,
}

/// What is known about one TCP connection.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// Connection number (1, 2, … in order of first appearance).
    pub id: u64,
    /// Endpoint A (the SYN sender when seen).
    pub a: Endpoint,
    /// Endpoint B.
    pub b: Endpoint,
    /// Whether the TCP handshake was seen (else: picked up mid-stream).
    pub syn_seen: bool,
    /// What the connection carries.
    pub kind: ConnKind,
    /// Which side is the MQTT client, when known.
    pub client_side: Option<Side>,
    /// How that was decided.
    pub client_basis: ClientBasis,
    /// The protocol version of the CONNECT, when one was seen.
    pub version: Option<ProtocolVersion>,
    /// Client identifier from the CONNECT (escaped for display).
    pub client_id: Option<String>,
    /// User name from the CONNECT (escaped; the password is never kept).
    pub username: Option<String>,
    /// Keep alive from the CONNECT.
    pub keep_alive: Option<u16>,
    /// The protocol level byte of the CONNECT (kept even when the level is unknown) and
    /// whether its protocol name was "MQIsdp".
    pub connect_level: Option<(u8, bool)>,
    /// Server name of a TLS ClientHello.
    pub sni: Option<String>,
    /// MQTT packets per side (index: `Side::index`).
    pub packets: [u64; 2],
    /// Stream bytes per side.
    pub bytes: [u64; 2],
    /// Timestamp of the first frame.
    pub first_ts: Timestamp,
}

impl ConnInfo {
    fn new(
        id: u64,
        a: Endpoint,
        b: Endpoint,
        syn_seen: bool,
        initiator: Option<Side>,
        ts: Timestamp,
    ) -> Self {
        ConnInfo {
            id,
            a,
            b,
            syn_seen,
            kind: ConnKind::Undecided,
            client_side: initiator,
            client_basis: if initiator.is_some() {
                ClientBasis::Syn
            } else {
                ClientBasis::Unknown
            },
            version: None,
            client_id: None,
            username: None,
            keep_alive: None,
            connect_level: None,
            sni: None,
            packets: [0; 2],
            bytes: [0; 2],
            first_ts: ts,
        }
    }

    /// The endpoint of a side.
    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::A => self.a,
            Side::B => self.b,
        }
    }

    /// The client's endpoint, when known.
    pub fn client(&self) -> Option<Endpoint> {
        self.client_side.map(|s| self.endpoint(s))
    }

    /// The server's endpoint, when known.
    pub fn server(&self) -> Option<Endpoint> {
        self.client_side.map(|s| self.endpoint(s.other()))
    }

    /// The MQTT direction of bytes sent by `side`, when roles are known.
    pub fn direction(&self, side: Side) -> Option<Direction> {
        self.client_side.map(|c| {
            if c == side {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            }
        })
    }

    fn learn_client(&mut self, side: Side, basis: ClientBasis) {
        if basis > self.client_basis {
            self.client_side = Some(side);
            self.client_basis = basis;
        }
    }
}

/// One MQTT packet of the capture.
#[derive(Debug)]
pub struct PacketRecord<'a> {
    /// The connection (as known after this packet).
    pub conn: &'a ConnInfo,
    /// The sending side.
    pub side: Side,
    /// Client→server or server→client, when roles are known.
    pub direction: Option<Direction>,
    /// Frame that carried the packet's first byte.
    pub first_frame: u64,
    /// Frame that completed it.
    pub frame: u64,
    /// Timestamp of the completing frame.
    pub ts: Timestamp,
    /// Timestamp of the first TCP frame of the capture (for relative times).
    pub start: Timestamp,
    /// Offset of the packet in its direction's TCP stream.
    pub stream_offset: u64,
    /// The decoded packet, with where its version came from.
    pub assumed: Assumed<'a>,
}

/// Something in the capture that is not an MQTT packet but must be accounted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Stream bytes never captured; decoding resumes at the next recognisable packet.
    Gap {
        /// Missing bytes.
        len: u64,
        /// Sequence number of the first missing byte.
        seq_start: u32,
        /// Sequence number after the last.
        seq_end: u32,
        /// Why transport gave up on them.
        reason: GapReason,
    },
    /// Stream bytes that could not be decoded as MQTT.
    Undecodable {
        /// How many.
        len: u64,
        /// Why.
        reason: SkipReason,
    },
    /// A packet larger than the assembly cap, skipped.
    TooLarge {
        /// Its announced length.
        len: u64,
        /// The cap.
        cap: usize,
    },
    /// The stream ended inside a packet.
    Incomplete {
        /// Bytes of it present.
        have: u64,
        /// Its total length, when the Remaining Length was complete.
        total: Option<u64>,
    },
    /// A TLS connection on an MQTT port (or the TLS port).
    Tls {
        /// Server name from the ClientHello, when present.
        sni: Option<String>,
    },
    /// A direction or connection ended.
    Closed {
        /// How.
        kind: CloseKind,
    },
    /// A frame with a link type that cannot be decoded (once per link type).
    UnknownLinkType {
        /// LINKTYPE_ number.
        linktype: u32,
    },
    /// The capture file ends inside a record.
    TruncatedRecord {
        /// Bytes of the record present.
        available: u64,
    },
    /// Other transport findings (bad records, retransmitted or overlapping bytes that
    /// differ, buffer caps, dropped fragments, a full connection table).
    Transport {
        /// A short name (`retransmission-differs`, `buffer-cap`, …).
        what: &'static str,
    },
}

/// One non-packet record.
#[derive(Debug)]
pub struct EventRecord<'a> {
    /// The connection concerned, if any.
    pub conn: Option<&'a ConnInfo>,
    /// The side concerned, if any.
    pub side: Option<Side>,
    /// Frame.
    pub frame: u64,
    /// Timestamp, when the event has one.
    pub ts: Option<Timestamp>,
    /// Timestamp of the first TCP frame of the capture (for relative times).
    pub start: Timestamp,
    /// Stream offset, for stream events.
    pub offset: Option<u64>,
    /// What.
    pub kind: EventKind,
    /// A sentence for humans.
    pub message: String,
}

/// What the dissector reports, in capture order.
// Records are handed to the sink one at a time and never stored; boxing the packet
// variant would cost an allocation per packet.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Record<'a> {
    /// An MQTT packet.
    Packet(PacketRecord<'a>),
    /// Anything else worth knowing.
    Event(EventRecord<'a>),
}

/// Counters over the whole capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DissectSummary {
    /// TCP connections seen.
    pub connections: u64,
    /// Connections that carried MQTT.
    pub mqtt_connections: u64,
    /// Connections that carried TLS on an MQTT or TLS port.
    pub tls_connections: u64,
    /// Connections ignored as not MQTT.
    pub other_connections: u64,
    /// MQTT packets decoded.
    pub packets: u64,
    /// Packets with at least one error diagnostic.
    pub packets_with_errors: u64,
    /// Stream bytes that could not be decoded as MQTT.
    pub undecodable_bytes: u64,
    /// Stream bytes lost in gaps on MQTT connections.
    pub gap_bytes: u64,
}

struct Conn {
    info: ConnInfo,
    framers: [Framer; 2],
    tracker: VersionTracker,
    closed: [bool; 2],
}

/// Turns transport events into MQTT records.
pub struct Dissector {
    cfg: CaptureConfig,
    start: Option<Timestamp>,
    conns: HashMap<u64, Conn>,
    summary: DissectSummary,
}

type Sink<'s> = dyn FnMut(Record<'_>) + 's;

impl Dissector {
    /// A dissector with this configuration.
    pub fn new(cfg: CaptureConfig) -> Dissector {
        Dissector {
            cfg,
            start: None,
            conns: HashMap::new(),
            summary: DissectSummary::default(),
        }
    }

    /// The counters so far.
    pub fn summary(&self) -> &DissectSummary {
        &self.summary
    }

    fn open(
        &mut self,
        conn: u64,
        a: Endpoint,
        b: Endpoint,
        syn: bool,
        init: Option<Side>,
        ts: Timestamp,
    ) -> &mut Conn {
        let (cfg, summary) = (&self.cfg, &mut self.summary);
        self.conns.entry(conn).or_insert_with(|| {
            summary.connections += 1;
            let mut info = ConnInfo::new(conn, a, b, syn, init, ts);
            // The side on the broker port is the server, unless a SYN said otherwise.
            let port_of =
                |e: Endpoint| cfg.mqtt_ports.contains(&e.port) || cfg.tls_ports.contains(&e.port);
            if port_of(b) && !port_of(a) {
                info.learn_client(Side::A, ClientBasis::Port);
            } else if port_of(a) && !port_of(b) {
                info.learn_client(Side::B, ClientBasis::Port);
            }
            Conn {
                info,
                framers: [Framer::new(cfg.max_packet), Framer::new(cfg.max_packet)],
                tracker: if cfg.tree {
                    VersionTracker::new(cfg.protocol)
                } else {
                    VersionTracker::new(cfg.protocol).without_tree()
                },
                closed: [false; 2],
            }
        })
    }

    /// Handles one transport event.
    pub fn event(&mut self, ev: TransportEvent<'_>, sink: &mut Sink<'_>) {
        if self.start.is_none() {
            self.start = match &ev {
                TransportEvent::ConnectionOpened { ts, .. } | TransportEvent::Data { ts, .. } => {
                    Some(*ts)
                }
                _ => None,
            };
        }
        let start = self.start.unwrap_or_default();
        match ev {
            TransportEvent::ConnectionOpened { conn, ts, a, b, syn_seen, initiator, .. } => {
                self.open(conn, a, b, syn_seen, initiator, ts);
            }
            TransportEvent::Data { dir, frame, ts, offset, data } => {
                self.data(dir, frame, ts, offset, &data, sink);
            }
            TransportEvent::Gap { dir, frame, ts, offset, len, seq_start, seq_end, reason } => {
                let Some(c) = self.conns.get_mut(&dir.conn) else { return };
                if c.info.kind != ConnKind::Mqtt {
                    return;
                }
                self.summary.gap_bytes += len;
                let side = dir.side;
                let info = &c.info;
                let mut cut = Vec::new();
                c.framers[side.index()].gap(&mut |f| {
                    if let Framed::Skipped { offset, len, .. } = f {
                        cut.push((offset, len));
                    }
                });
                sink(Record::Event(EventRecord {
                    conn: Some(info),
                    side: Some(side),
                    frame,
                    ts: Some(ts),
                    start,
                    offset: Some(offset),
                    kind: EventKind::Gap { len, seq_start, seq_end, reason },
                    message: format!(
                        "{len} byte(s) of the {} stream were not captured (seq {seq_start}..{seq_end}); \
                         decoding resumes at the next packet boundary found",
                        direction_name(info, side)
                    ),
                }));
                for (off, n) in cut {
                    self.summary.undecodable_bytes += n;
                    sink(Record::Event(EventRecord {
                        conn: Some(info),
                        side: Some(side),
                        frame,
                        ts: Some(ts),
                        start,
                        offset: Some(off),
                        kind: EventKind::Undecodable { len: n, reason: SkipReason::CutByGap },
                        message: format!("{n} byte(s) of a packet cut by the gap cannot be decoded"),
                    }));
                }
            }
            TransportEvent::Closed { conn, by, kind, frame, ts } => self.closed(conn, by, kind, frame, ts, sink),
            TransportEvent::UnknownLinkType { frame, linktype } => sink(Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::UnknownLinkType { linktype },
                message: format!("link type {linktype} cannot be decoded; its frames are counted and skipped"),
            })),
            TransportEvent::TruncatedRecord { frame, available } => sink(Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::TruncatedRecord { available },
                message: format!(
                    "the capture file ends inside record {frame} ({available} byte(s) of it present); \
                     everything before it was decoded"
                ),
            })),
            TransportEvent::Retransmission { dir, frame, ts, len, differs: Some(true), .. } => {
                self.transport_note(dir, frame, ts, "retransmission-differs", format!(
                    "a retransmitted segment ({len} bytes) carries bytes that differ from the first \
                     transmission; the first-seen bytes are decoded"
                ), sink);
            }
            TransportEvent::Overlap { dir, frame, ts, overlap_len, differs: Some(true), .. } => {
                self.transport_note(dir, frame, ts, "overlap-differs", format!(
                    "an overlapping segment rewrites {overlap_len} byte(s) with different values; the \
                     first-seen bytes are decoded"
                ), sink);
            }
            TransportEvent::BufferCapReached { dir, frame, buffered } => {
                self.transport_note(dir, frame, Timestamp::default(), "buffer-cap", format!(
                    "out-of-order buffer cap reached with {buffered} byte(s) held; the oldest hole is \
                     given up as lost"
                ), sink);
            }
            TransportEvent::BadRecord { frame, problem } => sink(Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::Transport { what: "bad-record" },
                message: format!("capture record {frame} cannot be used: {problem:?}"),
            })),
            TransportEvent::ConnectionTableFull { frame, evicted } => sink(Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::Transport { what: "connection-table-full" },
                message: format!("connection table full: connection #{evicted} was dropped to make room"),
            })),
            TransportEvent::Fragment { frame, ts, outcome: crate::transport::FragmentOutcome::Discarded { reason, bytes, .. }, .. } => {
                sink(Record::Event(EventRecord {
                    conn: None,
                    side: None,
                    frame,
                    ts: Some(ts),
                    start,
                    offset: None,
                    kind: EventKind::Transport { what: "fragments-dropped" },
                    message: format!("IP fragments ({bytes} bytes) dropped: {reason:?}"),
                }))
            }
            _ => {}
        }
    }

    fn transport_note(
        &mut self,
        dir: StreamDir,
        frame: u64,
        ts: Timestamp,
        what: &'static str,
        message: String,
        sink: &mut Sink<'_>,
    ) {
        let start = self.start.unwrap_or_default();
        let Some(c) = self.conns.get(&dir.conn) else {
            return;
        };
        if c.info.kind != ConnKind::Mqtt {
            return;
        }
        sink(Record::Event(EventRecord {
            conn: Some(&c.info),
            side: Some(dir.side),
            frame,
            ts: Some(ts),
            start,
            offset: None,
            kind: EventKind::Transport { what },
            message,
        }));
    }

    fn data(
        &mut self,
        dir: StreamDir,
        frame: u64,
        ts: Timestamp,
        offset: u64,
        data: &[u8],
        sink: &mut Sink<'_>,
    ) {
        let start = self.start.unwrap_or_default();
        let initiator = dir
            .from_initiator
            .map(|i| if i { dir.side } else { dir.side.other() });
        let (a, b) = match dir.side {
            Side::A => (dir.from, dir.to),
            Side::B => (dir.to, dir.from),
        };
        let cfg = self.cfg.clone_light();
        let c = self.open(dir.conn, a, b, initiator.is_some(), initiator, ts);
        let side = dir.side;
        c.info.bytes[side.index()] += data.len() as u64;
        if c.info.kind == ConnKind::Undecided {
            let kind = classify(&cfg, &c.info, side, data);
            c.info.kind = kind;
            match kind {
                ConnKind::Mqtt => self.summary.mqtt_connections += 1,
                ConnKind::Tls => {
                    self.summary.tls_connections += 1;
                    let c = self.conns.get_mut(&dir.conn);
                    if let Some(c) = c {
                        c.info.sni = tls::client_hello_sni(data);
                        if tls::looks_like_tls(data) {
                            c.info.learn_client(side, ClientBasis::Connect);
                        }
                        let sni = c.info.sni.clone();
                        let message = match &sni {
                            Some(n) => format!(
                                "TLS connection (server name \"{n}\"): encrypted, not decoded"
                            ),
                            None => "TLS connection: encrypted, not decoded".to_string(),
                        };
                        sink(Record::Event(EventRecord {
                            conn: Some(&c.info),
                            side: Some(side),
                            frame,
                            ts: Some(ts),
                            start,
                            offset: Some(offset),
                            kind: EventKind::Tls { sni },
                            message,
                        }));
                    }
                    return;
                }
                ConnKind::Other => {
                    self.summary.other_connections += 1;
                    return;
                }
                ConnKind::Undecided => return,
            }
        }
        let Some(c) = self.conns.get_mut(&dir.conn) else {
            return;
        };
        if c.info.kind != ConnKind::Mqtt {
            return;
        }
        let Conn {
            info,
            framers,
            tracker,
            ..
        } = c;
        let summary = &mut self.summary;
        let known = tracker.connect_version().or(cfg.protocol);
        let mut validate = |p: &[u8]| {
            let try_v = |v| {
                decode(
                    p,
                    &DecodeOptions {
                        version: v,
                        direction: None,
                        tree: false,
                    },
                )
                .is_ok()
            };
            match known {
                Some(v) => try_v(v),
                None => try_v(ProtocolVersion::V3_1_1) || try_v(ProtocolVersion::V5),
            }
        };
        framers[side.index()].push(data, offset, frame, &mut validate, &mut |f| match f {
            Framed::Packet { bytes, offset, first_frame } => {
                match bytes.first().map(|b| PacketType(b >> 4)) {
                    Some(PacketType::CONNECT) => {
                        info.learn_client(side, ClientBasis::Connect);
                        info.connect_level = connect_level(bytes);
                    }
                    Some(PacketType::CONNACK) => info.learn_client(side.other(), ClientBasis::ConnAck),
                    _ => {}
                }
                let direction = info.direction(side);
                let assumed = tracker.decode(bytes, direction);
                if let Some(Packet::Connect(c)) = &assumed.decoded.packet {
                    info.version = Some(assumed.decoded.version);
                    info.client_id = Some(c.client_id.to_string());
                    info.username = c.username.map(|u| u.to_string());
                    info.keep_alive = Some(c.keep_alive);
                }
                info.packets[side.index()] += 1;
                summary.packets += 1;
                if !assumed.decoded.is_ok() {
                    summary.packets_with_errors += 1;
                }
                sink(Record::Packet(PacketRecord {
                    conn: info,
                    side,
                    direction,
                    first_frame,
                    frame,
                    ts,
                    start,
                    stream_offset: offset,
                    assumed,
                }));
            }
            Framed::Skipped { offset, len, reason } => {
                summary.undecodable_bytes += len;
                let why = match reason {
                    SkipReason::InvalidLength => "the Remaining Length has a 5th byte, so the stream cannot be framed; looking for the next packet",
                    SkipReason::Resync => "no packet boundary recognised in them after lost or unframeable bytes",
                    SkipReason::CutByGap => "a packet cut by lost bytes",
                };
                sink(Record::Event(EventRecord {
                    conn: Some(info),
                    side: Some(side),
                    frame,
                    ts: Some(ts),
                    start,
                    offset: Some(offset),
                    kind: EventKind::Undecodable { len, reason },
                    message: format!("{len} byte(s) at stream offset {offset} not decoded: {why}"),
                }));
            }
            Framed::TooLarge { offset, len, cap } => {
                summary.undecodable_bytes += len;
                sink(Record::Event(EventRecord {
                    conn: Some(info),
                    side: Some(side),
                    frame,
                    ts: Some(ts),
                    start,
                    offset: Some(offset),
                    kind: EventKind::TooLarge { len, cap },
                    message: format!("a {len}-byte packet exceeds the {cap}-byte assembly cap; skipped"),
                }));
            }
        });
    }

    fn closed(
        &mut self,
        conn: u64,
        by: Option<StreamDir>,
        kind: CloseKind,
        frame: u64,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        let start = self.start.unwrap_or_default();
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let sides: Vec<Side> = match (kind, by) {
            (CloseKind::Fin, Some(d)) => vec![d.side],
            _ => vec![Side::A, Side::B],
        };
        if c.info.kind == ConnKind::Mqtt || c.info.kind == ConnKind::Tls {
            for &s in &sides {
                if let Some((offset, have, need)) = c.framers[s.index()].pending() {
                    self.summary.undecodable_bytes += have as u64;
                    sink(Record::Event(EventRecord {
                        conn: Some(&c.info),
                        side: Some(s),
                        frame,
                        ts: Some(ts),
                        start,
                        offset: Some(offset),
                        kind: EventKind::Incomplete {
                            have: have as u64,
                            total: need.map(|n| n as u64),
                        },
                        message: match need {
                            Some(n) => format!(
                                "the stream ends inside a packet: {have} of {n} byte(s) present"
                            ),
                            None => {
                                format!("the stream ends inside a packet header ({have} byte(s))")
                            }
                        },
                    }));
                }
            }
            let who = by.map(|d| direction_name(&c.info, d.side));
            let message = match (kind, who) {
                (CloseKind::Fin, Some(w)) => format!("FIN: the {w} direction ends"),
                (CloseKind::Rst, Some(w)) => format!("RST: the connection is reset ({w})"),
                (CloseKind::EndOfCapture, _) => {
                    "the capture ends with the connection open".to_string()
                }
                (k, _) => format!("connection ends: {k:?}"),
            };
            sink(Record::Event(EventRecord {
                conn: Some(&c.info),
                side: by.map(|d| d.side),
                frame,
                ts: Some(ts),
                start,
                offset: None,
                kind: EventKind::Closed { kind },
                message,
            }));
        }
        for s in sides {
            c.closed[s.index()] = true;
        }
        if c.closed == [true, true] {
            self.conns.remove(&conn);
        }
    }

    /// Ends the capture: connections still open were reported by transport's close events.
    pub fn finish(self) -> DissectSummary {
        self.summary
    }
}

impl CaptureConfig {
    /// The parts of the configuration the data path reads (cheap to copy per event).
    fn clone_light(&self) -> LightConfig {
        LightConfig {
            mqtt_ports: self.mqtt_ports.clone(),
            tls_ports: self.tls_ports.clone(),
            protocol: self.protocol,
        }
    }
}

struct LightConfig {
    mqtt_ports: Vec<u16>,
    tls_ports: Vec<u16>,
    protocol: Option<ProtocolVersion>,
}

fn classify(cfg: &LightConfig, info: &ConnInfo, side: Side, data: &[u8]) -> ConnKind {
    let on = |ports: &[u16]| ports.contains(&info.a.port) || ports.contains(&info.b.port);
    let _ = side;
    if tls::looks_like_tls(data) && (on(&cfg.mqtt_ports) || on(&cfg.tls_ports)) {
        return ConnKind::Tls;
    }
    if on(&cfg.tls_ports) && !on(&cfg.mqtt_ports) {
        return ConnKind::Tls;
    }
    if on(&cfg.mqtt_ports) || looks_like_connect(data) {
        return ConnKind::Mqtt;
    }
    ConnKind::Other
}

/// The protocol level of a CONNECT and whether its name is "MQIsdp", read from the raw
/// bytes so that a CONNECT with an unknown level still tells what it asked for.
fn connect_level(packet: &[u8]) -> Option<(u8, bool)> {
    let (rest, _) = crate::codec::primitives::vbi(packet.get(1..)?).ok()?;
    let (rest, name) = crate::codec::primitives::length_prefixed(rest).ok()?;
    Some((*rest.first()?, name == b"MQIsdp"))
}

/// A CONNECT with protocol name MQTT or MQIsdp at the start of `data`.
pub fn looks_like_connect(data: &[u8]) -> bool {
    if data.first() != Some(&0x10) {
        return false;
    }
    let Ok((rest, _)) = crate::codec::primitives::vbi(&data[1..]) else {
        return false;
    };
    rest.starts_with(b"\x00\x04MQTT") || rest.starts_with(b"\x00\x06MQIsdp")
}

fn direction_name(info: &ConnInfo, side: Side) -> String {
    match info.direction(side) {
        Some(Direction::ClientToServer) => "client→server".to_string(),
        Some(Direction::ServerToClient) => "server→client".to_string(),
        None => format!("{}→{}", info.endpoint(side), info.endpoint(side.other())),
    }
}

/// Reads a whole capture and reports every MQTT record to `sink`.
pub fn dissect_capture<R: Read>(
    reader: R,
    tcfg: &TransportConfig,
    cfg: CaptureConfig,
    sink: &mut Sink<'_>,
) -> Result<(CaptureSummary, DissectSummary), CaptureError> {
    let mut d = Dissector::new(cfg);
    let summary = read_capture(reader, tcfg, &mut |ev| d.event(ev, sink))?;
    Ok((summary, d.finish()))
}
