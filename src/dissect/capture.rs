//! MQTT conversations out of a capture: which TCP connections carry MQTT (port, or a
//! CONNECT at the start of a stream on any port, or an HTTP Upgrade to WebSocket with the
//! MQTT subprotocol on any port; TLS recognised and reported, not guessed at),
//! per-direction framing (for MQTT over WebSocket: WebSocket frames, then MQTT framing of
//! the unmasked payloads), per-connection state (version, client id, user, keep
//! alive, who is the client), and a record for every packet and every transport event so
//! that nothing in the stream goes unaccounted.

use super::fasthash::FastMap;
use super::framer::{Framed, FramedOut, Framer, SkipReason};
use super::http::{self, Head, HeadBuf, HeadPush};
use super::tls;
use super::tls_decrypt::{KeyLog, TlsDecryptor, TlsNote, TlsOut};
use super::version::{Assumed, VersionTracker};
use super::websocket::{self, WsDecoder, WsNote, WsOut};
use crate::codec::packet::Connect;
use crate::codec::{
    decode, decode_checked, DecodeOptions, Direction, Packet, PacketType, ProtocolVersion,
};
use crate::transport::{
    read_capture, CaptureError, CaptureSummary, CloseKind, Endpoint, GapReason, RecordProblem,
    Side, StreamDir, Timestamp, TransportConfig, TransportEvent, Tunnel,
};
use std::io::Read;
use std::mem::ManuallyDrop;
use std::sync::Arc;

/// What the dissector is told beyond the capture.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// TCP ports that carry MQTT (default 1883).
    pub mqtt_ports: Vec<u16>,
    /// TCP ports that carry MQTT over TLS (default 8883): reported, not decoded.
    pub tls_ports: Vec<u16>,
    /// TCP ports that carry MQTT over WebSocket (none by default): a connection whose
    /// handshake was not captured is decoded as WebSocket frames from its first byte. (A
    /// captured handshake is recognised on any port, and so is a client's masked frame
    /// carrying a CONNECT.)
    pub ws_ports: Vec<u16>,
    /// The version for connections whose CONNECT was not captured (`None`: auto-detect).
    pub protocol: Option<ProtocolVersion>,
    /// Largest MQTT packet assembled from several segments; larger ones are skipped with
    /// their length recorded.
    pub max_packet: usize,
    /// Build field trees (needed for verbose and JSON output, not for summaries).
    pub tree: bool,
    /// Secrets to decrypt TLS connections with (a key log, `--tls-keylog`): MQTT over TLS
    /// whose session is in it is decoded like MQTT over TCP.
    pub tls_keys: Option<Arc<KeyLog>>,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            mqtt_ports: vec![1883],
            tls_ports: vec![8883],
            ws_ports: Vec::new(),
            protocol: None,
            max_packet: 16 << 20,
            tree: true,
            tls_keys: None,
        }
    }
}

/// What a connection turned out to carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnKind {
    /// No payload seen yet.
    Undecided,
    /// MQTT over TCP, or over WebSocket (see [`ConnInfo::websocket`]).
    Mqtt,
    /// An HTTP request that may upgrade the connection to WebSocket carrying MQTT: waiting
    /// for the rest of the handshake.
    HttpUpgrade,
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
    /// The sender of the HTTP request that opened a WebSocket connection.
    Http,
    /// The receiver of a CONNACK.
    ConnAck,
    /// The sender of a CONNECT.
    Connect,
}

/// MQTT over TLS, decrypted: what the ServerHello chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3).
    pub version: u16,
    /// The cipher suite.
    pub suite: u16,
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
    /// For MQTT over WebSocket: what the opening handshake said.
    pub websocket: Option<WsInfo>,
    /// For MQTT over TLS decrypted with a key log: the version and cipher suite.
    pub tls: Option<TlsInfo>,
    /// The innermost tunnel (VXLAN, GRE…) of the frame that opened the connection, if
    /// any: its other frames may have come through others.
    pub tunnel: Option<Tunnel>,
    /// MQTT packets per side (index: `Side::index`).
    pub packets: [u64; 2],
    /// TCP stream bytes sent by each side (index: `Side::index`), whatever they carry
    /// (HTTP, WebSocket framing and TLS records included).
    pub bytes: [u64; 2],
    /// Timestamp of the first frame.
    pub first_ts: Timestamp,
    /// Changes whenever a field other than the counters (`packets`, `bytes`, WebSocket
    /// frames) changes: per-packet consumers compare it instead of every field.
    pub rev: u64,
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
            websocket: None,
            tls: None,
            tunnel: None,
            packets: [0; 2],
            bytes: [0; 2],
            first_ts: ts,
            rev: 0,
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

    /// True when the two differ at most in their counters (packets, bytes, WebSocket
    /// frames), which change with every packet. Destructured in full so that a field added
    /// to `ConnInfo` is not forgotten here.
    pub fn same_but_counters(&self, y: &ConnInfo) -> bool {
        let ConnInfo {
            id,
            a,
            b,
            syn_seen,
            kind,
            client_side,
            client_basis,
            version,
            client_id,
            username,
            keep_alive,
            connect_level,
            sni,
            websocket,
            tls,
            tunnel,
            packets: _,
            bytes: _,
            first_ts,
            rev: _,
        } = self;
        let ws_same = match (websocket, &y.websocket) {
            (None, None) => true,
            (Some(p), Some(q)) => {
                let WsInfo {
                    handshake,
                    path,
                    host,
                    offered,
                    subprotocol,
                    frames: _,
                } = p;
                *handshake == q.handshake
                    && *path == q.path
                    && *host == q.host
                    && *offered == q.offered
                    && *subprotocol == q.subprotocol
            }
            _ => false,
        };
        *id == y.id
            && *a == y.a
            && *b == y.b
            && *syn_seen == y.syn_seen
            && *kind == y.kind
            && *client_side == y.client_side
            && *client_basis == y.client_basis
            && *version == y.version
            && *client_id == y.client_id
            && *username == y.username
            && *keep_alive == y.keep_alive
            && *connect_level == y.connect_level
            && *sni == y.sni
            && *tls == y.tls
            && *tunnel == y.tunnel
            && ws_same
            && *first_ts == y.first_ts
    }

    fn learn_client(&mut self, side: Side, basis: ClientBasis) {
        if basis > self.client_basis {
            self.client_side = Some(side);
            self.client_basis = basis;
            self.rev += 1;
        }
    }

    fn set_kind(&mut self, kind: ConnKind) {
        if self.kind != kind {
            self.kind = kind;
            self.rev += 1;
        }
    }
}

/// The opening handshake of an MQTT over WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsInfo {
    /// False when the handshake was not captured: path, host and subprotocols are unknown.
    pub handshake: bool,
    /// The request target (`/mqtt`).
    pub path: String,
    /// The Host header.
    pub host: Option<String>,
    /// The subprotocols the client offered (Sec-WebSocket-Protocol of the request).
    pub offered: Vec<String>,
    /// The subprotocol the server selected (Sec-WebSocket-Protocol of the 101 response).
    pub subprotocol: Option<String>,
    /// WebSocket frames decoded so far, per sending side (index: `Side::index`).
    pub frames: [u64; 2],
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
    /// Offset of the packet in its direction's byte stream: the TCP stream for MQTT over
    /// TCP; for MQTT over WebSocket, the unmasked MQTT stream (the payloads of the data
    /// frames of that direction, concatenated, counted from the first data frame).
    pub stream_offset: u64,
    /// The decoded packet, with where its version came from.
    pub assumed: Assumed<'a>,
}

impl Record<'_> {
    /// True when the record holds no allocation (the usual packet): dropping it has nothing
    /// to free, and [`Record::release`] skips its drop code. It tests every field of a
    /// packet record that can own memory: a new one must be tested here, or it leaks.
    #[inline]
    pub fn is_borrowed(&self) -> bool {
        match self {
            Record::Packet(p) => {
                let a = &p.assumed;
                a.reason.is_none() && a.alternative.is_none() && a.decoded.is_borrowed()
            }
            Record::Event(_) => false,
        }
    }

    /// Drops a record kept in a `ManuallyDrop` (so that it is not moved again), without
    /// running the drop code of its parts when it holds no allocation: for the usual
    /// packet that code is some 60 instructions of tests that find nothing to free.
    #[inline]
    pub fn release(r: ManuallyDrop<Self>) {
        if !r.is_borrowed() {
            drop(ManuallyDrop::into_inner(r));
        }
    }
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
    /// A TLS connection and the key log (`--tls-keylog`): decrypted from here, no key for
    /// it, an unsupported suite, a record that failed, an alert.
    TlsDecryption {
        /// What.
        note: TlsNote,
    },
    /// An HTTP Upgrade to WebSocket was accepted (101): MQTT over WebSocket follows.
    WebSocket {
        /// The request target.
        path: String,
        /// The Host header.
        host: Option<String>,
        /// The selected subprotocol.
        subprotocol: Option<String>,
    },
    /// MQTT over WebSocket whose handshake was not captured (a `--ws-port`, or a client's
    /// masked frame carrying a CONNECT): decoded as WebSocket frames from the first byte.
    WebSocketWithoutHandshake,
    /// A WebSocket handshake offering MQTT that did not complete: refused (not 101),
    /// unreadable, too long, cut by lost bytes or by the end of the connection. The
    /// connection is not decoded.
    WebSocketNotUpgraded {
        /// The response status, when a response was read.
        status: Option<u16>,
    },
    /// The subprotocol is not MQTT's: the client must offer "mqtt" [MQTT-6.0.0-3] and the
    /// server must select it [MQTT-6.0.0-4] ("mqttv3.1" is accepted for MQTT 3.1).
    WebSocketSubprotocol {
        /// Offered by the client.
        offered: Vec<String>,
        /// Selected by the server.
        selected: Option<String>,
    },
    /// A WebSocket frame worth reporting: ping, pong, close, a text frame
    /// [MQTT-6.0.0-1], wrong masking, a protocol error.
    WebSocketFrame {
        /// What.
        note: WsNote,
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

impl EventKind {
    /// True for events that are problems, not just notes on how a connection travels and
    /// ends (closes, TLS, WebSocket handshakes, pings, pongs and closes).
    pub fn is_problem(&self) -> bool {
        match self {
            EventKind::Closed { .. }
            | EventKind::Tls { .. }
            | EventKind::WebSocket { .. }
            | EventKind::WebSocketWithoutHandshake => false,
            EventKind::WebSocketFrame { note } => note.is_problem(),
            EventKind::TlsDecryption { note } => note.is_problem(),
            _ => true,
        }
    }
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
    /// Of those, connections that carried MQTT over WebSocket.
    pub websocket_connections: u64,
    /// Connections that carried TLS on an MQTT or TLS port.
    pub tls_connections: u64,
    /// TLS connections decrypted with the key log (also counted as MQTT connections, not
    /// as TLS ones).
    pub tls_decrypted: u64,
    /// Bytes of TLS connections sent by clients (by side A when roles are unknown).
    pub tls_bytes_to_server: u64,
    /// Bytes of TLS connections sent by servers.
    pub tls_bytes_to_client: u64,
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
    /// The opening handshake in progress (kind `HttpUpgrade`).
    upgrade: Option<Box<Upgrade>>,
    /// WebSocket frame decoders per side (MQTT over WebSocket).
    ws: Option<Box<[WsDecoder; 2]>>,
    /// WebSocket bytes not decoded after framing was lost, per side.
    ws_lost: [u64; 2],
    /// The start of a TLS ClientHello that spans segments, until it is complete.
    tls_hello: Option<Vec<u8>>,
    /// TLS records being decrypted with the key log (MQTT over TLS).
    tls_dec: Option<Box<TlsDecryptor>>,
}

/// An HTTP Upgrade in progress.
struct Upgrade {
    client: Side,
    req: HeadBuf,
    request: Option<Head>,
    resp: HeadBuf,
    /// Client bytes after the request head, sent before the response was seen.
    early: Vec<u8>,
    early_offset: u64,
}

/// Where and when bytes arrived.
#[derive(Clone, Copy)]
struct At {
    side: Side,
    /// The frame being processed (where a packet completes).
    frame: u64,
    /// The frame that carried these bytes: older than `frame` when transport releases
    /// segments that arrived out of order.
    carried: u64,
    ts: Timestamp,
    start: Timestamp,
}

/// Turns transport events into MQTT records.
pub struct Dissector {
    cfg: CaptureConfig,
    /// What the data path reads of `cfg`, shared: taken per frame, so it must not allocate.
    light: std::sync::Arc<LightConfig>,
    start: Option<Timestamp>,
    /// The newest frame seen and its timestamp: the frame being processed.
    now: (u64, Timestamp),
    conns: FastMap<u64, Conn>,
    summary: DissectSummary,
}

type Sink<'s> = dyn FnMut(&mut Record<'_>) + 's;

impl Dissector {
    /// A dissector with this configuration.
    pub fn new(cfg: CaptureConfig) -> Dissector {
        Dissector {
            light: std::sync::Arc::new(cfg.light()),
            cfg,
            start: None,
            now: (0, Timestamp::default()),
            conns: FastMap::default(),
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
            let port_of = |e: Endpoint| {
                [&cfg.mqtt_ports, &cfg.tls_ports, &cfg.ws_ports]
                    .iter()
                    .any(|ports| ports.contains(&e.port))
            };
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
                upgrade: None,
                ws: None,
                ws_lost: [0; 2],
                tls_hello: None,
                tls_dec: None,
            }
        })
    }

    /// Handles one transport event.
    pub fn event(&mut self, ev: TransportEvent<'_>, sink: &mut Sink<'_>) {
        // Nearly every event: bytes of an MQTT over TCP connection already open, handled
        // here with a small frame; the general path has a large one.
        if let (
            TransportEvent::Data {
                dir,
                frame,
                ts,
                offset,
                data,
            },
            Some(start),
        ) = (&ev, self.start)
        {
            if self.mqtt_tcp_data(dir, *frame, *ts, *offset, data, start, sink) {
                return;
            }
        }
        self.event_general(ev, sink);
    }

    /// Bytes of an MQTT over TCP connection already open (one map lookup, no configuration
    /// to share); false, having done nothing, for any other bytes.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn mqtt_tcp_data(
        &mut self,
        dir: &StreamDir,
        frame: u64,
        ts: Timestamp,
        offset: u64,
        data: &[u8],
        start: Timestamp,
        sink: &mut Sink<'_>,
    ) -> bool {
        let Some(c) = self.conns.get_mut(&dir.conn) else {
            return false;
        };
        if c.info.kind != ConnKind::Mqtt || c.ws.is_some() || c.tls_dec.is_some() {
            return false;
        }
        if frame >= self.now.0 {
            self.now = (frame, ts);
        }
        let side = dir.side;
        c.info.bytes[side.index()] += data.len() as u64;
        let at = At {
            side,
            frame: self.now.0,
            carried: frame,
            ts: self.now.1,
            start,
        };
        let framer = &mut c.framers[side.index()];
        mqtt_data(
            &mut c.info,
            framer,
            &mut c.tracker,
            &mut self.summary,
            self.light.protocol,
            at,
            data,
            offset,
            sink,
        );
        true
    }

    /// [`Self::event`], whatever the event.
    #[inline(never)]
    fn event_general(&mut self, ev: TransportEvent<'_>, sink: &mut Sink<'_>) {
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
            TransportEvent::ConnectionOpened { conn, ts, a, b, syn_seen, initiator, tunnel, .. } => {
                self.open(conn, a, b, syn_seen, initiator, ts).info.tunnel = tunnel;
            }
            TransportEvent::Data { dir, frame, ts, offset, data } => {
                if frame >= self.now.0 {
                    self.now = (frame, ts);
                }
                self.data(dir, frame, ts, offset, &data, sink);
            }
            TransportEvent::Gap { dir, frame, ts, offset, len, seq_start, seq_end, reason } => {
                let Some(c) = self.conns.get_mut(&dir.conn) else { return };
                if c.info.kind == ConnKind::HttpUpgrade {
                    let at = At { side: dir.side, frame, carried: frame, ts, start };
                    let message = format!("{len} byte(s) of the WebSocket handshake were not captured; the connection is not decoded");
                    return self.not_upgraded(dir.conn, at, None, message, sink);
                }
                // TLS records cannot be followed past lost bytes: the decryptor says so.
                if c.tls_dec.is_some() {
                    let at = At { side: dir.side, frame, carried: frame, ts, start };
                    tls_gap(c, at, offset, sink);
                }
                if c.info.kind != ConnKind::Mqtt {
                    return;
                }
                self.summary.gap_bytes += len;
                let side = dir.side;
                // WebSocket framing cannot be found again after lost bytes.
                let ws_lost = match c.ws.as_deref_mut() {
                    Some(d) => {
                        d[side.index()].lost();
                        true
                    }
                    None => false,
                };
                let info = &c.info;
                let mut cut = Vec::new();
                c.framers[side.index()].gap(&mut |f| {
                    if let Framed::Skipped { offset, len, .. } = f {
                        cut.push((offset, len));
                    }
                });
                sink(&mut Record::Event(EventRecord {
                    conn: Some(info),
                    side: Some(side),
                    frame,
                    ts: Some(ts),
                    start,
                    offset: Some(offset),
                    kind: EventKind::Gap { len, seq_start, seq_end, reason },
                    message: format!(
                        "{len} byte(s) of the {} stream were not captured (seq {seq_start}..{seq_end}); {}",
                        direction_name(info, side),
                        if ws_lost {
                            "WebSocket framing is lost: this direction is not decoded further"
                        } else {
                            "decoding resumes at the next packet boundary found"
                        }
                    ),
                }));
                for (off, n) in cut {
                    self.summary.undecodable_bytes += n;
                    sink(&mut Record::Event(EventRecord {
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
            TransportEvent::UnknownLinkType { frame, linktype } => sink(&mut Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::UnknownLinkType { linktype },
                message: format!("link type {linktype} cannot be decoded; its frames are counted and skipped"),
            })),
            TransportEvent::TruncatedRecord { frame, available } => sink(&mut Record::Event(EventRecord {
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
            TransportEvent::BadRecord { frame, problem } => sink(&mut Record::Event(EventRecord {
                conn: None,
                side: None,
                frame,
                ts: None,
                start,
                offset: None,
                kind: EventKind::Transport { what: "bad-record" },
                message: bad_record_message(frame, problem),
            })),
            TransportEvent::ConnectionTableFull { frame, evicted } => sink(&mut Record::Event(EventRecord {
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
                sink(&mut Record::Event(EventRecord {
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
        sink(&mut Record::Event(EventRecord {
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
        let cfg = std::sync::Arc::clone(&self.light);
        let now = self.now;
        let c = self.open(dir.conn, a, b, initiator.is_some(), initiator, ts);
        let side = dir.side;
        let at = At {
            side,
            frame: now.0.max(frame),
            carried: frame,
            ts: if frame >= now.0 { ts } else { now.1 },
            start,
        };
        c.info.bytes[side.index()] += data.len() as u64;
        if c.info.kind == ConnKind::Undecided {
            let unseen = websocket_unseen(&cfg, &c.info, side, data);
            let kind = match unseen {
                Some(_) => ConnKind::Mqtt,
                None => classify(&cfg, &c.info, side, data),
            };
            c.info.set_kind(kind);
            match kind {
                ConnKind::Mqtt => {
                    if let Some((client, why)) = unseen {
                        start_websocket_unseen(c, client, why, at, offset, sink);
                        self.summary.websocket_connections += 1;
                    }
                    self.summary.mqtt_connections += 1;
                }
                ConnKind::HttpUpgrade => {
                    c.info.learn_client(side, ClientBasis::Http);
                    c.upgrade = Some(Box::new(Upgrade {
                        client: side,
                        req: HeadBuf::new(),
                        request: None,
                        resp: HeadBuf::new(),
                        early: Vec::new(),
                        early_offset: 0,
                    }));
                }
                ConnKind::Tls => {
                    if let Some(keys) = &cfg.tls_keys {
                        c.tls_dec = Some(Box::new(TlsDecryptor::new(Arc::clone(keys))));
                    }
                    if tls::looks_like_tls(data) {
                        c.info.learn_client(side, ClientBasis::Connect);
                        if tls::record_complete(data) {
                            c.info.sni = tls::client_hello_sni(data);
                            c.info.rev += 1;
                            announce_tls(c, at, offset, sink);
                        } else {
                            c.tls_hello = Some(Vec::new());
                        }
                    } else {
                        announce_tls(c, at, offset, sink);
                    }
                    self.summary.tls_connections += 1;
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
        if c.tls_dec.is_some() && c.info.kind == ConnKind::Mqtt {
            tls_data(c, &mut self.summary, cfg.protocol, at, offset, data, sink);
            return;
        }
        match c.info.kind {
            ConnKind::Tls => {
                if c.info.direction(side) == Some(Direction::ServerToClient) {
                    self.summary.tls_bytes_to_client += data.len() as u64;
                } else {
                    self.summary.tls_bytes_to_server += data.len() as u64;
                }
                tls_hello_data(c, at, offset, data, sink);
                if c.tls_dec.is_some() {
                    tls_data(c, &mut self.summary, cfg.protocol, at, offset, data, sink);
                }
            }
            ConnKind::HttpUpgrade => {
                self.upgrade_data(dir.conn, at, offset, data, &cfg, sink);
            }
            ConnKind::Mqtt => {
                let summary = &mut self.summary;
                match c.ws.as_deref_mut() {
                    Some(decoders) => {
                        if decoders[side.index()].is_stopped() {
                            c.ws_lost[side.index()] += data.len() as u64;
                            summary.undecodable_bytes += data.len() as u64;
                            return;
                        }
                        ws_data(
                            &mut decoders[side.index()],
                            &mut c.info,
                            &mut c.framers[side.index()],
                            &mut c.tracker,
                            summary,
                            cfg.protocol,
                            at,
                            offset,
                            data,
                            sink,
                        );
                    }
                    None => mqtt_data(
                        &mut c.info,
                        &mut c.framers[side.index()],
                        &mut c.tracker,
                        summary,
                        cfg.protocol,
                        at,
                        data,
                        offset,
                        sink,
                    ),
                }
            }
            ConnKind::Other | ConnKind::Undecided => {}
        }
    }

    /// Bytes of a connection whose HTTP Upgrade is in progress.
    fn upgrade_data(
        &mut self,
        conn: u64,
        at: At,
        offset: u64,
        data: &[u8],
        cfg: &LightConfig,
        sink: &mut Sink<'_>,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(up) = c.upgrade.as_deref_mut() else {
            return;
        };
        let side = at.side;
        if side == up.client {
            if up.request.is_some() {
                // Frames sent before the response arrived: kept for when it does.
                if up.early.len() + data.len() > http::MAX_HEAD {
                    return self.not_upgraded(conn, at, None, "the client sent more than 16 KiB before the server answered the WebSocket upgrade".into(), sink);
                }
                up.early.extend_from_slice(data);
                return;
            }
            match up.req.push(data) {
                HeadPush::Partial => {}
                HeadPush::TooLarge => {
                    // Not a WebSocket handshake worth following; quietly not MQTT.
                    c.upgrade = None;
                    c.info.set_kind(ConnKind::Other);
                    self.summary.other_connections += 1;
                }
                HeadPush::Complete { used } => {
                    let on_mqtt_port = cfg.mqtt_ports.contains(&c.info.a.port)
                        || cfg.mqtt_ports.contains(&c.info.b.port);
                    let wanted = Head::parse(up.req.bytes()).filter(|h| {
                        h.is_request()
                            && h.start[0] == "GET"
                            && h.has_token("upgrade", "websocket")
                            && (on_mqtt_port || offers_mqtt(h))
                    });
                    match wanted {
                        Some(h) => {
                            up.request = Some(h);
                            up.req = HeadBuf::new();
                            up.early.extend_from_slice(&data[used..]);
                            up.early_offset = offset + used as u64;
                        }
                        None => {
                            // Plain HTTP, or WebSocket for something else.
                            c.upgrade = None;
                            c.info.set_kind(ConnKind::Other);
                            self.summary.other_connections += 1;
                        }
                    }
                }
            }
            return;
        }
        if up.request.is_none() {
            let b = up.req.bytes();
            if b.windows(9).any(|w| w.eq_ignore_ascii_case(b"websocket")) {
                return self.not_upgraded(
                    conn,
                    at,
                    None,
                    "the server answered a WebSocket upgrade request that was not seen whole \
                     (bytes lost?); not decoded"
                        .into(),
                    sink,
                );
            }
            // The server spoke first: not an HTTP exchange.
            c.upgrade = None;
            c.info.set_kind(ConnKind::Other);
            self.summary.other_connections += 1;
            return;
        }
        let used = match up.resp.push(data) {
            HeadPush::Partial => return,
            HeadPush::TooLarge => {
                return self.not_upgraded(
                    conn,
                    at,
                    None,
                    format!(
                    "the response to the WebSocket upgrade is longer than {} bytes; not decoded",
                    http::MAX_HEAD
                ),
                    sink,
                )
            }
            HeadPush::Complete { used } => used,
        };
        let Some(resp) = Head::parse(up.resp.bytes()) else {
            return self.not_upgraded(
                conn,
                at,
                None,
                "the response to the WebSocket upgrade cannot be read as HTTP; not decoded".into(),
                sink,
            );
        };
        let status = resp.status();
        if status != Some(101) || !resp.has_token("upgrade", "websocket") {
            let message = match status {
                Some(s) => format!(
                    "WebSocket upgrade refused: HTTP {s} {}; the connection carries no MQTT",
                    resp.start[2]
                ),
                None => "the answer to the WebSocket upgrade is not an HTTP response; not decoded"
                    .to_string(),
            };
            return self.not_upgraded(conn, at, status, message, sink);
        }
        // Accepted: MQTT over WebSocket from here on.
        let Some(up) = c.upgrade.take() else { return };
        let req = up.request.unwrap_or_else(|| Head {
            start: Default::default(),
            headers: Vec::new(),
        });
        let offered = req.tokens("sec-websocket-protocol");
        let selected = resp.header("sec-websocket-protocol").map(str::to_string);
        let info = WsInfo {
            handshake: true,
            path: req.start[1].clone(),
            host: req.header("host").map(str::to_string),
            offered: offered.clone(),
            subprotocol: selected.clone(),
            frames: [0; 2],
        };
        c.info.set_kind(ConnKind::Mqtt);
        c.info.learn_client(up.client, ClientBasis::Http);
        self.summary.mqtt_connections += 1;
        self.summary.websocket_connections += 1;
        let url = format!("ws://{}{}", info.host.as_deref().unwrap_or("?"), info.path);
        let message = match &selected {
            Some(p) => {
                format!("WebSocket connection to {url}, subprotocol \"{p}\": MQTT over WebSocket")
            }
            None => {
                format!("WebSocket connection to {url} without a subprotocol: MQTT over WebSocket")
            }
        };
        let extensions = resp.tokens("sec-websocket-extensions");
        c.info.websocket = Some(info.clone());
        c.info.rev += 1;
        let client_side = up.client;
        sink(&mut Record::Event(EventRecord {
            conn: Some(&c.info),
            side: Some(side),
            frame: at.frame,
            ts: Some(at.ts),
            start: at.start,
            offset: Some(offset),
            kind: EventKind::WebSocket {
                path: info.path.clone(),
                host: info.host.clone(),
                subprotocol: selected.clone(),
            },
            message: if extensions.is_empty() {
                message
            } else {
                format!("{message} (extensions: {})", extensions.join(", "))
            },
        }));
        let offers = offers_mqtt(&req);
        let selected_ok = selected.as_deref().is_some_and(is_mqtt_subprotocol);
        if !offers || !selected_ok {
            let mut why = Vec::new();
            if !offers {
                why.push(format!(
                    "the client did not offer \"mqtt\" (offered: {}) [MQTT-6.0.0-3]",
                    list_or_none(&offered)
                ));
            }
            if !selected_ok {
                why.push(format!(
                    "the server selected {} instead of \"mqtt\" [MQTT-6.0.0-4]",
                    selected
                        .as_deref()
                        .map_or("no subprotocol".to_string(), |s| format!("\"{s}\""))
                ));
            }
            sink(&mut Record::Event(EventRecord {
                conn: Some(&c.info),
                side: Some(side),
                frame: at.frame,
                ts: Some(at.ts),
                start: at.start,
                offset: Some(offset),
                kind: EventKind::WebSocketSubprotocol { offered, selected },
                message: format!("{}; decoded as MQTT all the same", why.join("; ")),
            }));
        }
        c.ws = Some(Box::new([
            WsDecoder::new(client_side == Side::A),
            WsDecoder::new(client_side == Side::B),
        ]));
        // Frames the client sent early, then whatever follows the response head.
        if !up.early.is_empty() {
            let cat = At {
                side: client_side,
                ..at
            };
            self.data_again(conn, cat, up.early_offset, &up.early, cfg, sink);
        }
        if used < data.len() {
            self.data_again(conn, at, offset + used as u64, &data[used..], cfg, sink);
        }
    }

    /// Feeds bytes of an upgraded connection to its WebSocket decoder.
    fn data_again(
        &mut self,
        conn: u64,
        at: At,
        offset: u64,
        data: &[u8],
        cfg: &LightConfig,
        sink: &mut Sink<'_>,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(decoders) = c.ws.as_deref_mut() else {
            return;
        };
        let i = at.side.index();
        ws_data(
            &mut decoders[i],
            &mut c.info,
            &mut c.framers[i],
            &mut c.tracker,
            &mut self.summary,
            cfg.protocol,
            at,
            offset,
            data,
            sink,
        );
    }

    /// The handshake did not complete: the connection is reported and not decoded.
    fn not_upgraded(
        &mut self,
        conn: u64,
        at: At,
        status: Option<u16>,
        message: String,
        sink: &mut Sink<'_>,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.upgrade = None;
        c.info.set_kind(ConnKind::Other);
        self.summary.other_connections += 1;
        sink(&mut Record::Event(EventRecord {
            conn: Some(&c.info),
            side: Some(at.side),
            frame: at.frame,
            ts: Some(at.ts),
            start: at.start,
            offset: None,
            kind: EventKind::WebSocketNotUpgraded { status },
            message,
        }));
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
        if c.info.kind == ConnKind::HttpUpgrade {
            let asked = c.upgrade.as_ref().is_some_and(|u| u.request.is_some());
            let at = At {
                side: by.map_or(Side::A, |d| d.side),
                frame,
                carried: frame,
                ts,
                start,
            };
            if asked {
                self.not_upgraded(
                    conn,
                    at,
                    None,
                    "the connection ended before the WebSocket upgrade was answered; not decoded"
                        .into(),
                    sink,
                );
            } else {
                c.upgrade = None;
                c.info.set_kind(ConnKind::Other);
                self.summary.other_connections += 1;
            }
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        // The key log was never tried (no ServerHello came): encrypted, as without it.
        let undecided = c.tls_dec.as_ref().is_some_and(|d| !d.reported());
        if undecided {
            c.tls_dec = None;
        }
        if c.tls_hello.is_some() || undecided {
            if let Some(hello) = c.tls_hello.take() {
                c.info.sni = tls::client_hello_sni(&hello);
                c.info.rev += 1;
            }
            let at = At {
                side: c.info.client_side.unwrap_or(Side::A),
                frame,
                carried: frame,
                ts,
                start,
            };
            tls_event(&c.info, at, 0, sink);
        }
        if c.info.kind == ConnKind::Mqtt || c.info.kind == ConnKind::Tls {
            for &s in &sides {
                let lost = std::mem::take(&mut c.ws_lost[s.index()]);
                if lost > 0 {
                    sink(&mut Record::Event(EventRecord {
                        conn: Some(&c.info),
                        side: Some(s),
                        frame,
                        ts: Some(ts),
                        start,
                        offset: None,
                        kind: EventKind::Undecodable {
                            len: lost,
                            reason: SkipReason::Resync,
                        },
                        message: format!(
                            "{lost} byte(s) of the {} WebSocket stream were not decoded after its \
                             framing was lost",
                            direction_name(&c.info, s)
                        ),
                    }));
                }
                if let Some((offset, have, need)) = c.framers[s.index()].pending() {
                    self.summary.undecodable_bytes += have as u64;
                    sink(&mut Record::Event(EventRecord {
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
            let message = if c.info.kind == ConnKind::Tls {
                let (to_server, to_client) = match c.info.client_side {
                    Some(s) => (c.info.bytes[s.index()], c.info.bytes[s.other().index()]),
                    None => (c.info.bytes[0], c.info.bytes[1]),
                };
                format!(
                    "{message} (TLS, encrypted: {to_server} byte(s) client→server, {to_client} \
                     byte(s) server→client so far)"
                )
            } else {
                message
            };
            sink(&mut Record::Event(EventRecord {
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

/// True when the request offers an MQTT subprotocol.
fn offers_mqtt(req: &Head) -> bool {
    req.tokens("sec-websocket-protocol")
        .iter()
        .any(|p| is_mqtt_subprotocol(p))
}

/// "mqtt" (MQTT 3.1.1 and 5), or "mqttv3.1" (the name MQTT 3.1 clients use).
fn is_mqtt_subprotocol(p: &str) -> bool {
    p.eq_ignore_ascii_case("mqtt") || p.eq_ignore_ascii_case("mqttv3.1")
}

fn list_or_none(l: &[String]) -> String {
    if l.is_empty() {
        "none".to_string()
    } else {
        l.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The event that reports a TLS connection.
fn tls_event(info: &ConnInfo, at: At, offset: u64, sink: &mut Sink<'_>) {
    let sni = info.sni.clone();
    let message = match &sni {
        Some(n) => format!("TLS connection (server name \"{n}\"): encrypted, not decoded"),
        None => "TLS connection: encrypted, not decoded".to_string(),
    };
    stream_event(info, at, offset, EventKind::Tls { sni }, message, sink);
}

/// Bytes of a TLS connection with a key log: records decrypted, their application data
/// decoded as MQTT (offsets count decrypted bytes), what the decryptor notes reported.
fn tls_data(
    c: &mut Conn,
    summary: &mut DissectSummary,
    protocol: Option<ProtocolVersion>,
    at: At,
    offset: u64,
    data: &[u8],
    sink: &mut Sink<'_>,
) {
    let Conn {
        info,
        framers,
        tracker,
        tls_dec,
        ..
    } = c;
    let Some(dec) = tls_dec.as_deref_mut() else {
        return;
    };
    let side = at.side;
    dec.push(side, data, &mut |o| match o {
        TlsOut::Data { bytes, offset } => mqtt_data(
            info,
            &mut framers[side.index()],
            tracker,
            summary,
            protocol,
            at,
            bytes,
            offset,
            sink,
        ),
        TlsOut::Note { note } => {
            if let TlsNote::Decrypting { version, suite } = note {
                // MQTT from here on: counted as such, not as encrypted bytes.
                info.set_kind(ConnKind::Mqtt);
                info.tls = Some(TlsInfo { version, suite });
                info.rev += 1;
                summary.tls_connections = summary.tls_connections.saturating_sub(1);
                summary.mqtt_connections += 1;
                summary.tls_decrypted += 1;
                let to_client = |s: Side| info.direction(s) == Some(Direction::ServerToClient);
                for s in [Side::A, Side::B] {
                    // Every byte so far, this segment's included, was counted as TLS.
                    let sent = info.bytes[s.index()];
                    let counter = if to_client(s) {
                        &mut summary.tls_bytes_to_client
                    } else {
                        &mut summary.tls_bytes_to_server
                    };
                    *counter = counter.saturating_sub(sent);
                }
            }
            tls_note_event(info, at, offset, note, sink);
        }
    });
}

/// The event of a decryptor's note.
fn tls_note_event(info: &ConnInfo, at: At, offset: u64, note: TlsNote, sink: &mut Sink<'_>) {
    let message = tls_note_message(info, at.side, &note);
    stream_event(
        info,
        at,
        offset,
        EventKind::TlsDecryption { note },
        message,
        sink,
    );
}

/// An event at `offset` in the stream of `at.side`.
fn stream_event(
    info: &ConnInfo,
    at: At,
    offset: u64,
    kind: EventKind,
    message: String,
    sink: &mut Sink<'_>,
) {
    sink(&mut Record::Event(EventRecord {
        conn: Some(info),
        side: Some(at.side),
        frame: at.frame,
        ts: Some(at.ts),
        start: at.start,
        offset: Some(offset),
        kind,
        message,
    }));
}

/// Lost bytes in a TLS connection being decrypted: the direction stops, with a note.
fn tls_gap(c: &mut Conn, at: At, offset: u64, sink: &mut Sink<'_>) {
    let Conn { info, tls_dec, .. } = c;
    let Some(dec) = tls_dec.as_deref_mut() else {
        return;
    };
    dec.gap(at.side, &mut |o| {
        if let TlsOut::Note { note } = o {
            tls_note_event(info, at, offset, note, sink);
        }
    });
}

fn tls_note_message(info: &ConnInfo, side: Side, note: &TlsNote) -> String {
    use super::tls_decrypt::{alert_name, suite_name, version_name};
    let sni = match &info.sni {
        Some(n) => format!(" (server name \"{n}\")"),
        None => String::new(),
    };
    match note {
        TlsNote::Decrypting { version, suite } => format!(
            "{} {}{sni}: decrypted with the key log",
            version_name(*version),
            suite_name(*suite)
        ),
        TlsNote::NoKey { client_random } => format!(
            "TLS connection{sni}: the key log has no secret for client random {client_random}; encrypted, not decoded"
        ),
        TlsNote::UnsupportedSuite { version, suite } => format!(
            "{} {}{sni}: this cipher suite is not decrypted (TLS 1.3, and TLS 1.2 with AES-GCM, ChaCha20-Poly1305 or AES-CBC, are); encrypted, not decoded",
            version_name(*version),
            suite_name(*suite)
        ),
        TlsNote::DecryptFailed { record } => format!(
            "a TLS record of the {} stream (its protected record {}) fails authentication with the key log's secrets: they belong to another session, or the bytes were changed; this direction is not decoded further",
            direction_name(info, side),
            record + 1
        ),
        TlsNote::RecordError { what } => format!(
            "TLS record layer of the {} stream: {what}; this direction is not decoded further",
            direction_name(info, side)
        ),
        TlsNote::Alert { level, description } => {
            let level = match level {
                1 => "warning",
                2 => "fatal",
                _ => "unknown-level",
            };
            format!(
                "TLS alert from the {}: {level} {} ({description})",
                side_role(info, side),
                alert_name(*description)
            )
        }
    }
}

/// Collects a ClientHello that spans segments (bounded by its record length), then
/// reports the connection with its server name. Data from the server first ends the wait.
fn tls_hello_data(c: &mut Conn, at: At, offset: u64, data: &[u8], sink: &mut Sink<'_>) {
    let Some(hello) = c.tls_hello.as_mut() else {
        return;
    };
    let from_client = c.info.client_side.is_none_or(|s| s == at.side);
    if from_client {
        if hello.is_empty() {
            // The first segment (classification already saw it).
            hello.extend_from_slice(&data[..data.len().min(tls::MAX_RECORD)]);
            return;
        }
        let room = tls::MAX_RECORD.saturating_sub(hello.len());
        hello.extend_from_slice(&data[..data.len().min(room)]);
        if !tls::record_complete(hello) && hello.len() < tls::MAX_RECORD {
            return;
        }
    }
    let hello = c.tls_hello.take().unwrap_or_default();
    c.info.sni = tls::client_hello_sni(&hello);
    c.info.rev += 1;
    announce_tls(c, at, offset, sink);
}

/// Reports a TLS connection as encrypted, unless the key log is being tried on it: the
/// decryptor then reports what became of it (decrypted, no key, a suite it cannot do).
fn announce_tls(c: &Conn, at: At, offset: u64, sink: &mut Sink<'_>) {
    if c.tls_dec.is_none() {
        tls_event(&c.info, at, offset, sink);
    }
}

/// MQTT stream bytes of one direction: framing, decoding, a record per packet.
#[allow(clippy::too_many_arguments)]
fn mqtt_data(
    info: &mut ConnInfo,
    framer: &mut Framer,
    tracker: &mut VersionTracker,
    summary: &mut DissectSummary,
    protocol: Option<ProtocolVersion>,
    at: At,
    data: &[u8],
    offset: u64,
    sink: &mut Sink<'_>,
) {
    let carried = at.carried;
    let known = tracker.connect_version().or(protocol);
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
    let mut out = Framing {
        info,
        tracker,
        summary,
        at,
        sink,
    };
    framer.push(data, offset, carried, &mut validate, &mut out);
}

/// The record of a framed packet. Inlined: it is built where it is handed on (large: a
/// copy per packet counts).
#[inline(always)]
fn packet_record<'r>(
    conn: &'r ConnInfo,
    at: At,
    direction: Option<Direction>,
    first_frame: u64,
    stream_offset: u64,
    assumed: Assumed<'r>,
) -> Record<'r> {
    Record::Packet(PacketRecord {
        conn,
        side: at.side,
        direction,
        first_frame,
        frame: at.frame,
        ts: at.ts,
        start: at.start,
        stream_offset,
        assumed,
    })
}

/// What [`mqtt_data`] does with what the framer finds in one direction's bytes.
struct Framing<'c, 's> {
    info: &'c mut ConnInfo,
    tracker: &'c mut VersionTracker,
    summary: &'c mut DissectSummary,
    at: At,
    sink: &'c mut Sink<'s>,
}

impl FramedOut for Framing<'_, '_> {
    // Inlined into the framer's loop over the whole packets of a segment: no call per
    // packet.
    #[inline(always)]
    fn framed(&mut self, f: Framed<'_>) {
        match f {
            Framed::Packet {
                bytes,
                offset,
                first_frame,
            } => self.packet(bytes, offset, first_frame),
            Framed::Skipped {
                offset,
                len,
                reason,
            } => self.skipped(offset, len, reason),
            Framed::TooLarge { offset, len, cap } => self.too_large(offset, len, cap),
        }
    }
}

impl Framing<'_, '_> {
    #[inline(always)]
    fn packet(&mut self, bytes: &[u8], offset: u64, first_frame: u64) {
        let at = self.at;
        let side = at.side;
        let info = &mut *self.info;
        // A framed packet has at least two bytes.
        let t = PacketType(bytes.first().map_or(0, |b| b >> 4));
        if t == PacketType::CONNECT {
            info.learn_client(side, ClientBasis::Connect);
            info.connect_level = connect_level(bytes);
            info.rev += 1;
        } else if t == PacketType::CONNACK {
            info.learn_client(side.other(), ClientBasis::ConnAck);
        }
        let direction = info.direction(side);
        info.packets[side.index()] += 1;
        self.summary.packets += 1;
        // Whether the packet has errors is told on the side: the record is handed on
        // before it could be looked at.
        let mut errors = false;
        match self.tracker.plain(bytes, direction) {
            // The usual packet, decoded straight into the record handed on (large: a copy
            // per packet counts).
            Some((opts, source)) => {
                let assumed = |decoded| Assumed {
                    decoded,
                    source,
                    reason: None,
                    alternative: None,
                };
                if opts.tree {
                    // A tree is an allocation: the record is dropped as usual.
                    (self.sink)(&mut packet_record(
                        info,
                        at,
                        direction,
                        first_frame,
                        offset,
                        assumed(decode_checked(bytes, &opts, &mut errors)),
                    ));
                } else {
                    let mut r = ManuallyDrop::new(packet_record(
                        info,
                        at,
                        direction,
                        first_frame,
                        offset,
                        assumed(decode_checked(bytes, &opts, &mut errors)),
                    ));
                    (self.sink)(&mut r);
                    Record::release(r);
                }
            }
            None => {
                let assumed = self.tracker.decode_checked(bytes, direction, &mut errors);
                // A CONNECT updates the connection the record shows.
                if let Some(Packet::Connect(c)) = &assumed.decoded.packet {
                    learn_connect(info, c, assumed.decoded.version);
                }
                let mut r = packet_record(info, at, direction, first_frame, offset, assumed);
                (self.sink)(&mut r);
            }
        }
        if errors {
            self.summary.packets_with_errors += 1;
        }
    }

    #[cold]
    #[inline(never)]
    fn skipped(&mut self, offset: u64, len: u64, reason: SkipReason) {
        let why = match reason {
            SkipReason::InvalidLength => "the Remaining Length has a 5th byte, so the stream cannot be framed; looking for the next packet",
            SkipReason::Resync => "no packet boundary recognised in them after lost or unframeable bytes",
            SkipReason::CutByGap => "a packet cut by lost bytes",
        };
        let message = format!("{len} byte(s) at stream offset {offset} not decoded: {why}");
        self.undecodable(offset, len, EventKind::Undecodable { len, reason }, message);
    }

    #[cold]
    #[inline(never)]
    fn too_large(&mut self, offset: u64, len: u64, cap: usize) {
        let message = format!("a {len}-byte packet exceeds the {cap}-byte assembly cap; skipped");
        self.undecodable(offset, len, EventKind::TooLarge { len, cap }, message);
    }

    /// Reports `len` bytes at `offset` that are not decoded.
    fn undecodable(&mut self, offset: u64, len: u64, kind: EventKind, message: String) {
        self.summary.undecodable_bytes += len;
        (self.sink)(&mut Record::Event(EventRecord {
            conn: Some(self.info),
            side: Some(self.at.side),
            frame: self.at.frame,
            ts: Some(self.at.ts),
            start: self.at.start,
            offset: Some(offset),
            kind,
            message,
        }));
    }
}

/// What a CONNECT tells about its connection.
fn learn_connect(info: &mut ConnInfo, c: &Connect<'_>, version: ProtocolVersion) {
    // A level that names no version (6, 0…) gives no version, even though the rest was
    // read with the layout it fits.
    info.version = ProtocolVersion::from_level(c.protocol_level).map(|_| version);
    info.client_id = Some(c.client_id.to_string());
    info.username = c.username.map(|u| u.to_string());
    info.keep_alive = Some(c.keep_alive);
    info.rev += 1;
}

/// What a capture record that cannot be used means for the reader, in words.
fn bad_record_message(frame: u64, problem: RecordProblem) -> String {
    let after = format!("the capture record after frame {frame}");
    match problem {
        RecordProblem::MalformedBlock => {
            format!("{after} is a malformed pcapng block (its lengths disagree); skipped")
        }
        RecordProblem::UnknownInterface(i) => format!(
            "{after} names interface {i}, which no interface description block describes; skipped"
        ),
        RecordProblem::TooLarge => {
            format!("{after} is larger than the record size limit; reading stops there")
        }
        RecordProblem::Unrecoverable => format!(
            "{after} cannot be parsed (bad block type or length) and the next record cannot be \
             found; reading stops there"
        ),
    }
}

/// Tells the MQTT framer of a direction that bytes were lost; reports a cut packet.
fn framer_gap(
    info: &ConnInfo,
    framer: &mut Framer,
    summary: &mut DissectSummary,
    at: At,
    why: &str,
    sink: &mut Sink<'_>,
) {
    framer.gap(&mut |f| {
        if let Framed::Skipped { offset, len, .. } = f {
            summary.undecodable_bytes += len;
            sink(&mut Record::Event(EventRecord {
                conn: Some(info),
                side: Some(at.side),
                frame: at.frame,
                ts: Some(at.ts),
                start: at.start,
                offset: Some(offset),
                kind: EventKind::Undecodable {
                    len,
                    reason: SkipReason::CutByGap,
                },
                message: format!("{len} byte(s) of a packet cut by {why} cannot be decoded"),
            }));
        }
    });
}

/// TCP bytes of one direction of an MQTT over WebSocket connection: WebSocket frames,
/// whose data payloads go to the MQTT framer.
#[allow(clippy::too_many_arguments)]
fn ws_data(
    dec: &mut WsDecoder,
    info: &mut ConnInfo,
    framer: &mut Framer,
    tracker: &mut VersionTracker,
    summary: &mut DissectSummary,
    protocol: Option<ProtocolVersion>,
    at: At,
    offset: u64,
    data: &[u8],
    sink: &mut Sink<'_>,
) {
    dec.push(data, offset, &mut |o| match o {
        WsOut::Data {
            bytes,
            offset,
            frames,
        } => {
            if let Some(w) = info.websocket.as_mut() {
                w.frames[at.side.index()] = frames;
            }
            mqtt_data(
                info, framer, tracker, summary, protocol, at, bytes, offset, sink,
            )
        }
        WsOut::Hole => framer_gap(info, framer, summary, at, "a skipped WebSocket frame", sink),
        WsOut::Note { note, offset } => {
            let message = ws_note_message(info, at.side, &note);
            stream_event(
                info,
                at,
                offset,
                EventKind::WebSocketFrame { note },
                message,
                sink,
            );
        }
    });
    if let Some(w) = info.websocket.as_mut() {
        w.frames[at.side.index()] = dec.frames();
    }
}

fn ws_note_message(info: &ConnInfo, side: Side, note: &WsNote) -> String {
    match note {
        WsNote::Text => "text frame: MQTT must be sent in binary WebSocket frames [MQTT-6.0.0-1]; \
             its bytes are decoded as MQTT all the same"
            .to_string(),
        WsNote::Ping { len } => format!("WebSocket ping ({len} byte(s))"),
        WsNote::Pong { len } => format!("WebSocket pong ({len} byte(s))"),
        WsNote::Close { code, reason } => {
            let who = direction_name(info, side);
            match code {
                Some(c) => {
                    let name = close_code_name(*c);
                    if reason.is_empty() {
                        format!("WebSocket close ({who}): {c} {name}")
                    } else {
                        format!("WebSocket close ({who}): {c} {name}, \"{reason}\"")
                    }
                }
                None => format!("WebSocket close ({who}), no status code"),
            }
        }
        WsNote::Masking { masked: true } => {
            "a server frame is masked; servers must not mask (RFC 6455 5.1); later frames not reported"
                .to_string()
        }
        WsNote::Masking { masked: false } => {
            "a client frame is not masked; clients must mask every frame (RFC 6455 5.1); later frames not reported"
                .to_string()
        }
        WsNote::Violation { what } => {
            let s = match *what {
                "non-minimal-length" => "the payload length is not in its shortest form",
                "fragmented-control-frame" => "a control frame without FIN (control frames cannot be fragmented)",
                "control-frame-too-long" => "a control frame with more than 125 payload bytes",
                "reserved-bits" => "reserved bits set without a negotiated extension",
                "data-after-close" => "a data frame after a close frame",
                "continuation-without-message" => "a continuation frame with no message to continue; its bytes are decoded",
                "message-interrupted" => "a new data message before the fragmented one ended",
                "close-payload-of-one-byte" => "a close frame with a 1-byte payload",
                other => other,
            };
            format!("WebSocket protocol error: {s} (RFC 6455)")
        }
        WsNote::Compressed { len } => format!(
            "a compressed WebSocket message ({len} byte(s), permessage-deflate) is not decoded; \
             MQTT decoding resumes at the next packet boundary found"
        ),
        WsNote::ReservedOpcode { opcode, len } => {
            format!("a WebSocket frame with reserved opcode 0x{opcode:X} ({len} byte(s)) is skipped")
        }
        WsNote::BadLength { len } => format!(
            "a WebSocket frame announces {len} payload bytes: the stream is out of step; this \
             direction is not decoded further"
        ),
    }
}

/// The name of a WebSocket close status code (RFC 6455 7.4.1).
pub fn close_code_name(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status received",
        1006 => "abnormal closure",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1015 => "TLS handshake",
        3000..=3999 => "registered",
        4000..=4999 => "private use",
        _ => "unknown",
    }
}

impl CaptureConfig {
    /// The parts of the configuration the data path reads.
    fn light(&self) -> LightConfig {
        LightConfig {
            mqtt_ports: self.mqtt_ports.clone(),
            tls_ports: self.tls_ports.clone(),
            ws_ports: self.ws_ports.clone(),
            protocol: self.protocol,
            tls_keys: self.tls_keys.clone(),
        }
    }
}

struct LightConfig {
    mqtt_ports: Vec<u16>,
    tls_ports: Vec<u16>,
    ws_ports: Vec<u16>,
    protocol: Option<ProtocolVersion>,
    tls_keys: Option<Arc<KeyLog>>,
}

fn classify(cfg: &LightConfig, info: &ConnInfo, side: Side, data: &[u8]) -> ConnKind {
    let on = |ports: &[u16]| ports.contains(&info.a.port) || ports.contains(&info.b.port);
    let _ = side;
    // An HTTP request on any port may open MQTT over WebSocket: the handshake decides.
    if http::looks_like_get(data) && !on(&cfg.tls_ports) {
        return ConnKind::HttpUpgrade;
    }
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

/// Why a connection is taken for MQTT over WebSocket whose handshake was not captured.
#[derive(Clone, Copy)]
enum Unseen {
    /// It uses this `--ws-port`.
    Port(u16),
    /// Its first bytes are a client's masked frame carrying a CONNECT.
    MaskedConnect,
}

/// MQTT over WebSocket whose handshake was not captured (the first bytes of a connection,
/// from `side`, are not an HTTP request): the client side, and why.
fn websocket_unseen(
    cfg: &LightConfig,
    info: &ConnInfo,
    side: Side,
    data: &[u8],
) -> Option<(Side, Unseen)> {
    // A handshake, TLS, or plain MQTT after all (a CONNECT is no WebSocket frame: it would
    // be a continuation with RSV1 set).
    if http::looks_like_get(data) || tls::looks_like_tls(data) || looks_like_connect(data) {
        return None;
    }
    let port = [info.a.port, info.b.port]
        .into_iter()
        .find(|p| cfg.ws_ports.contains(p));
    let masked = websocket::starts_with_masked_connect(data);
    let why = match port {
        Some(p) => Unseen::Port(p),
        None if masked => Unseen::MaskedConnect,
        None => return None,
    };
    // A client's frames are masked: that beats a guess from the ports.
    let client = match info.client_side {
        _ if masked => side,
        Some(c) => c,
        None => side,
    };
    Some((client, why))
}

/// Starts decoding a connection as MQTT over WebSocket from its first byte, and says so.
fn start_websocket_unseen(
    c: &mut Conn,
    client: Side,
    why: Unseen,
    at: At,
    offset: u64,
    sink: &mut Sink<'_>,
) {
    let basis = match why {
        Unseen::Port(_) => ClientBasis::Port,
        Unseen::MaskedConnect => ClientBasis::Connect,
    };
    c.info.learn_client(client, basis);
    c.info.websocket = Some(WsInfo {
        handshake: false,
        path: String::new(),
        host: None,
        offered: Vec::new(),
        subprotocol: None,
        frames: [0; 2],
    });
    c.info.rev += 1;
    c.ws = Some(Box::new([
        WsDecoder::new(client == Side::A),
        WsDecoder::new(client == Side::B),
    ]));
    let why = match why {
        Unseen::Port(p) => format!("port {p} is a --ws-port"),
        Unseen::MaskedConnect => {
            "it starts with a masked WebSocket frame carrying a CONNECT".into()
        }
    };
    sink(&mut Record::Event(EventRecord {
        conn: Some(&c.info),
        side: Some(at.side),
        frame: at.frame,
        ts: Some(at.ts),
        start: at.start,
        offset: Some(offset),
        kind: EventKind::WebSocketWithoutHandshake,
        message: format!(
            "MQTT over WebSocket whose handshake was not captured ({why}): decoded as \
             WebSocket frames from the first byte"
        ),
    }));
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

/// "client", "server", or the endpoint when roles are unknown.
fn side_role(info: &ConnInfo, side: Side) -> String {
    match info.direction(side) {
        Some(Direction::ClientToServer) => "client".to_string(),
        Some(Direction::ServerToClient) => "server".to_string(),
        None => info.endpoint(side).to_string(),
    }
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
