//! Capture analysis: a stage between the dissector and the printers that follows each
//! connection's state. It matches QoS and subscription flows by packet identifier, resolves
//! v5 topic aliases per connection and direction, watches keep alive, raises the stateful
//! checks a single packet cannot (a second CONNECT, packets before CONNECT, SUBACK code
//! counts, …) as diagnostics on the packet they are about, and works out how each
//! connection ended. [`Analyzer::finish`] hands back an [`Analysis`] with per-connection,
//! per-topic and per-type statistics and the problems grouped by kind.
//!
//! Memory stays bounded: flow tables hold at most one entry per packet identifier (65,535
//! per direction), alias tables are capped in bytes, topics beyond a cap share an "other
//! topics" bucket, and finished connections keep a compact summary (capped in number).

mod flows;
pub mod report;
mod wire;

pub use report::*;

use crate::codec::diag::{self, Check, Diagnostic, Severity};
use crate::codec::reason::{self, is_failure_in};
use crate::codec::text;
use crate::codec::tree::{Meaning, Node};
use crate::codec::{
    ConnAck, Connect, Decoded, Direction, List, MqttStr, Packet, PacketType, Properties,
    PropertyId, ProtocolVersion, Publish, QoS, SubAck, UnsubAck,
};
use crate::dissect::capture::{ConnInfo, EventKind, EventRecord, PacketRecord, Record};
use crate::dissect::fasthash::{FastMap, FastSet};
use crate::dissect::framer::SkipReason;
use crate::dissect::tls_decrypt::TlsNote;
use crate::transport::{CloseKind, Side, Timestamp};
use flows::{step, Flow, FlowState, FlowTable, Step};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Limits of the analysis.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// Distinct topics tracked; later ones go to the "other topics" bucket.
    pub max_topics: usize,
    /// Connection summaries kept.
    pub max_connections: usize,
    /// Entries of the `--check` list kept (all are counted).
    pub max_check_items: usize,
    /// Frames kept per problem kind.
    pub max_problem_frames: usize,
    /// Bytes of topic names held per connection and direction for topic aliases.
    pub max_alias_bytes: usize,
    /// Latency samples kept per flow kind and connection for the median.
    pub max_latency_samples: usize,
    /// Keep the packet type, topic and latency statistics (what `--stats` reports).
    /// Printing packets needs only the diagnostics, and the topic table costs a hash and a
    /// probe per PUBLISH. Without them, [`Analysis`] lists no packet types, topics or
    /// latencies.
    pub statistics: bool,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            max_topics: 1000,
            max_connections: 100_000,
            max_check_items: 1000,
            max_problem_frames: 20,
            max_alias_bytes: 1 << 20,
            max_latency_samples: 2048,
            statistics: true,
        }
    }
}

impl AnalysisConfig {
    /// For adding diagnostics to packets that are printed: no report follows.
    pub fn for_printing() -> AnalysisConfig {
        AnalysisConfig {
            statistics: false,
            ..AnalysisConfig::default()
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Latency {
    completed: u64,
    failed: u64,
    unacked: u64,
    min: Option<f64>,
    max: Option<f64>,
    samples: Vec<f64>,
    seen: u64,
    rng: u64,
}

impl Latency {
    fn add(&mut self, s: f64, cap: usize) {
        self.completed += 1;
        self.min = Some(self.min.map_or(s, |m| m.min(s)));
        self.max = Some(self.max.map_or(s, |m| m.max(s)));
        self.seen += 1;
        if self.samples.len() < cap {
            self.samples.push(s);
        } else if cap > 0 {
            // Reservoir sampling with a small deterministic generator.
            self.rng = self
                .rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let k = (self.rng >> 33) % self.seen;
            if let Some(slot) = self.samples.get_mut(k as usize) {
                *slot = s;
            }
        }
    }

    fn median(&self) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let mut v = self.samples.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        Some(v[v.len() / 2])
    }
}

/// Topic aliases of one direction: alias → (raw topic bytes, frame that set it).
#[derive(Default)]
struct Aliases {
    map: FastMap<u16, (Box<[u8]>, u64)>,
    /// Bytes of the topics as displayed (escaped): what `max_alias_bytes` caps.
    bytes: usize,
}

/// Every flow kind, in the order the statistics list them.
const FLOW_KINDS: [FlowKind; 4] = [
    FlowKind::Qos1,
    FlowKind::Qos2,
    FlowKind::Subscribe,
    FlowKind::Unsubscribe,
];

struct Live {
    summary: ConnSummary,
    /// `ConnInfo::packets` and `bytes` (A, B) as of the last record: the summary's (client
    /// first) are worked out when the connection ends.
    packets: [u64; 2],
    bytes: [u64; 2],
    client_side: Option<Side>,
    syn_seen: bool,
    connect_frame: Option<u64>,
    connack_seen: bool,
    before_connect_flagged: bool,
    before_connack_flagged: bool,
    will_topic: Option<String>,
    session_resumed: bool,
    flows: [FlowTable; 2],
    aliases: [Aliases; 2],
    /// Topic Alias Maximum that applies to PUBLISHes sent by each side.
    alias_max: [Option<u16>; 2],
    /// The Receive Maximum that bounds the QoS 1/2 PUBLISHes each side has in flight (v5,
    /// once the other side's CONNECT or CONNACK was seen).
    /// `None` in the value: the packet had none (65,535 then).
    recv_max: [Option<Announced<Option<u16>>>; 2],
    /// The Maximum Packet Size that bounds each side's packets (5.0, from the other side's
    /// CONNECT or CONNACK).
    max_packet: [Option<Announced<u32>>; 2],
    /// What the server's CONNACK allows the client to publish (5.0): Maximum QoS, and
    /// whether retained messages are available, each with the CONNACK's frame.
    max_qos: Option<(u8, u64)>,
    retain_unavailable: Option<u64>,
    keep_alive: Option<u16>,
    last_client_ts: Option<Timestamp>,
    pending_ping: Option<(u64, Timestamp)>,
    closed: [bool; 2],
    first_close: Option<(Option<Side>, bool, u64)>,
    disconnect: Option<(Side, u8, u64)>,
    takeover: Option<(u64, u64)>,
    /// By flow kind (in `FLOW_KINDS` order) and sending side; `None` until a flow is seen.
    latency: [[Option<Latency>; 2]; 4],
    problems: Vec<(&'static str, Severity, u64)>,
    /// `ConnInfo::rev` when the fields other than the counters were last copied.
    rev: Option<u64>,
    /// The client identifier this connection is listed under in `Analyzer::by_client`.
    indexed: Option<String>,
    /// By sending side: the topic-table index of its last PUBLISH (with statistics).
    recent_topic: [Option<usize>; 2],
}

impl Live {
    fn new(info: &ConnInfo, ts: Timestamp) -> Live {
        Live {
            summary: ConnSummary {
                id: info.id,
                client: info.client(),
                server: info.server(),
                a: info.a,
                b: info.b,
                tls: None,
                tunnel: info.tunnel,
                client_id: None,
                username: None,
                version: None,
                connect_level: None,
                keep_alive: None,
                first_ts: info.first_ts,
                last_ts: ts,
                packets: [0; 2],
                bytes: [0; 2],
                outcome: Outcome {
                    acceptance: Acceptance::NoConnect,
                    end: End::Open,
                    will_fires: false,
                    will_topic: None,
                    keep_alive_expired: None,
                },
                took_over: None,
                flows: Vec::new(),
                problems: Vec::new(),
            },
            packets: info.packets,
            bytes: info.bytes,
            client_side: info.client_side,
            syn_seen: info.syn_seen,
            connect_frame: None,
            connack_seen: false,
            before_connect_flagged: false,
            before_connack_flagged: false,
            will_topic: None,
            session_resumed: false,
            flows: [FlowTable::default(), FlowTable::default()],
            aliases: [Aliases::default(), Aliases::default()],
            alias_max: [None, None],
            recv_max: [None, None],
            max_packet: [None, None],
            max_qos: None,
            retain_unavailable: None,
            keep_alive: None,
            last_client_ts: None,
            pending_ping: None,
            closed: [false; 2],
            first_close: None,
            disconnect: None,
            takeover: None,
            latency: Default::default(),
            problems: Vec::new(),
            rev: None,
            indexed: None,
            recent_topic: [None; 2],
        }
    }

    #[inline]
    fn update(&mut self, info: &ConnInfo, ts: Timestamp) {
        self.packets = info.packets;
        self.bytes = info.bytes;
        if ts > self.summary.last_ts {
            self.summary.last_ts = ts;
        }
        // Nothing but the counters changed since the last packet: the usual case.
        if self.rev != Some(info.rev) {
            self.refresh(info);
        }
        debug_assert!(self.summary.client_id == info.client_id);
        debug_assert!(self.client_side == info.client_side);
    }

    /// Copies what changed in the connection's description besides the counters.
    #[cold]
    #[inline(never)]
    fn refresh(&mut self, info: &ConnInfo) {
        self.rev = Some(info.rev);
        let s = &mut self.summary;
        s.client = info.client();
        s.server = info.server();
        // Compared first: these change once per connection, and this runs per packet.
        if s.client_id != info.client_id {
            s.client_id.clone_from(&info.client_id);
        }
        if s.username != info.username {
            s.username.clone_from(&info.username);
        }
        s.version = info.version;
        s.connect_level = info.connect_level;
        s.keep_alive = info.keep_alive;
        self.client_side = info.client_side;
        self.syn_seen = info.syn_seen;
    }

    fn role(&self, side: Side) -> Option<Role> {
        self.client_side.map(|c| {
            if c == side {
                Role::Client
            } else {
                Role::Server
            }
        })
    }

    fn direction(&self, side: Side) -> Option<Direction> {
        self.role(side).map(|r| match r {
            Role::Client => Direction::ClientToServer,
            Role::Server => Direction::ServerToClient,
        })
    }

    fn latency(&mut self, kind: FlowKind, sender: Side) -> &mut Latency {
        // The position in `FLOW_KINDS`, without a search per acknowledgement.
        let i = match kind {
            FlowKind::Qos1 => 0,
            FlowKind::Qos2 => 1,
            FlowKind::Subscribe => 2,
            FlowKind::Unsubscribe => 3,
        };
        debug_assert_eq!(FLOW_KINDS[i], kind);
        self.latency[i][sender.index()].get_or_insert_with(Latency::default)
    }

    fn count_problem(&mut self, id: &'static str, severity: Severity) {
        match self.problems.iter_mut().find(|p| p.0 == id) {
            Some(p) => p.2 += 1,
            None => self.problems.push((id, severity, 1)),
        }
    }

    fn fully_closed(&self) -> bool {
        self.closed == [true, true]
    }

    /// The summary's counters: client→server first when roles are known, else A→B first.
    fn set_counters(&mut self) {
        let s = &mut self.summary;
        let ([a, b], [ba, bb]) = (self.packets, self.bytes);
        (s.packets, s.bytes) = match self.client_side {
            Some(Side::B) => ([b, a], [bb, ba]),
            _ => ([a, b], [ba, bb]),
        };
    }

    /// True once CONNECT-first and CONNACK-first can no longer be broken (or were, and
    /// reported): most packets need no order check.
    #[inline]
    fn order_settled(&self) -> bool {
        self.connect_frame.is_some() && (self.connack_seen || self.before_connack_flagged)
    }

    /// CONNECT first, CONNACK first.
    #[cold]
    #[inline(never)]
    fn check_order(&mut self, at: &At<'_>, ptype: PacketType, out: &mut List<Diagnostic>) {
        if at.direction == Some(Direction::ClientToServer)
            && ptype != PacketType::CONNECT
            && self.connect_frame.is_none()
            && self.syn_seen
            && !self.before_connect_flagged
        {
            self.before_connect_flagged = true;
            out.push(at.diag(
                &diag::PACKET_BEFORE_CONNECT,
                at.first_byte(),
                None,
                format!(
                    "{ptype} before any CONNECT on a connection whose start was captured: the \
                     client's first packet must be CONNECT; the server closes the connection"
                ),
            ));
        }
        if at.direction == Some(Direction::ServerToClient)
            && ptype != PacketType::CONNACK
            && ptype != PacketType::AUTH
            && self.connect_frame.is_some()
            && !self.connack_seen
            && !self.before_connack_flagged
        {
            self.before_connack_flagged = true;
            out.push(at.diag(
                &diag::PACKET_BEFORE_CONNACK,
                at.first_byte(),
                None,
                format!("{ptype} from the server before its CONNACK"),
            ));
        }
    }

    /// A packet from the client: silence from it longer than 1.5 × keep alive before it.
    #[inline]
    fn client_sent(&mut self, at: &At<'_>, out: &mut List<Diagnostic>) {
        if let (Some(ka), Some(last)) = (self.keep_alive, self.last_client_ts) {
            if !surely_within(ka, last, at.ts) {
                keep_alive_gap(ka, last, at, out);
            }
        }
        self.last_client_ts = Some(at.ts);
    }

    /// The packets other than PUBLISH and its acknowledgements: a few per connection.
    /// Returns whether the packet has a failure code.
    #[cold]
    #[inline(never)]
    fn other_packet(
        &mut self,
        pkt: &Packet<'_>,
        at: &At<'_>,
        ptype: PacketType,
        samples: Option<usize>,
        out: &mut List<Diagnostic>,
    ) -> bool {
        let v = at.v;
        match pkt {
            Packet::Connect(c) => on_connect(self, c, at, out),
            Packet::ConnAck(c) => on_connack(self, c, at),
            Packet::Subscribe(s) => {
                let range = || wire::id_after_header(at.bytes);
                let n = s.subscriptions.len();
                start_flow(
                    self,
                    at,
                    s.packet_id,
                    FlowKind::Subscribe,
                    n,
                    false,
                    range,
                    out,
                );
            }
            Packet::Unsubscribe(u) => {
                let range = || wire::id_after_header(at.bytes);
                let n = u.filters.len();
                start_flow(
                    self,
                    at,
                    u.packet_id,
                    FlowKind::Unsubscribe,
                    n,
                    false,
                    range,
                    out,
                );
            }
            Packet::SubAck(SubAck {
                packet_id, codes, ..
            })
            | Packet::UnsubAck(UnsubAck {
                packet_id, codes, ..
            }) => {
                let failed = codes.iter().any(|c| is_failure(v, ptype, c.0));
                ack(
                    self,
                    at,
                    *packet_id,
                    ptype,
                    failed,
                    codes.len(),
                    samples,
                    out,
                );
            }
            Packet::PingReq => {
                if let Some((f, _)) = self.pending_ping {
                    out.push(at.diag(
                        &diag::PINGREQ_UNANSWERED,
                        at.first_byte(),
                        None,
                        format!("the PINGREQ of frame {f} got no PINGRESP before this one"),
                    ));
                }
                self.pending_ping = Some((at.frame, at.ts));
            }
            Packet::PingResp => self.pending_ping = None,
            Packet::Disconnect(x) => {
                if self.disconnect.is_none() {
                    self.disconnect = Some((at.side, x.reason_code.0, at.frame));
                }
            }
            // Handled on the per-packet path.
            Packet::Publish(_)
            | Packet::PubAck(_)
            | Packet::PubRec(_)
            | Packet::PubRel(_)
            | Packet::PubComp(_)
            | Packet::Auth(_) => {}
        }
        !failure_codes(v, ptype, Some(pkt)).is_empty()
    }
}

fn dir_name(d: Option<Direction>) -> &'static str {
    match d {
        Some(Direction::ClientToServer) => "client→server",
        Some(Direction::ServerToClient) => "server→client",
        None => "in this direction",
    }
}

fn make(
    check: &'static Check,
    v: ProtocolVersion,
    (offset, len): (usize, usize),
    field: Option<&'static str>,
    message: String,
) -> Diagnostic {
    Diagnostic {
        check,
        severity: check.severity,
        spec: if v.is_v5() { check.spec } else { check.spec_v3 },
        offset,
        len,
        field,
        message,
    }
}

/// The topic an alias-only PUBLISH stands for, as the analyzer attached it: `(alias, topic)`.
pub fn resolved_topic(d: &Decoded<'_>) -> Option<(u16, String)> {
    resolved_alias(d).map(|(a, t, _)| (a, t))
}

/// `(alias, topic, frame that set it)` from the analyzer's note on an alias-only PUBLISH.
fn resolved_alias(d: &Decoded<'_>) -> Option<(u16, String, u64)> {
    let x = d
        .diagnostics
        .iter()
        .find(|x| x.check.id == diag::TOPIC_ALIAS_RESOLVED.id)?;
    let rest = x.message.strip_prefix("Topic Alias ")?;
    let (num, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("stands for \"")?;
    let end = rest.rfind("\" (set in frame ")?;
    let frame = rest[end..]
        .strip_prefix("\" (set in frame ")?
        .strip_suffix(')')?;
    Some((
        num.parse().ok()?,
        rest[..end].to_string(),
        frame.parse().ok()?,
    ))
}

/// Shows the resolved topic of an alias-only PUBLISH in its field tree: what the analyzer
/// does to the packets it sees, for a packet decoded again (with its tree) after analysis.
pub fn show_resolved_topic(d: &mut Decoded<'_>) {
    if let Some((a, t, f)) = resolved_alias(d) {
        mark_resolved(&mut d.tree, a, &t, f);
    }
}

fn mark_resolved(tree: &mut [Node<'_>], a: u16, t: &str, f: u64) {
    if let Some(n) = find_node_mut(tree, "publish.topic") {
        n.meaning = Some(Meaning::with_detail(
            format!("\"{t}\" (resolved from Topic Alias {a})"),
            format!("alias-only PUBLISH: Topic Alias {a} was set to this topic in frame {f}"),
        ));
    }
}

fn find_node_mut<'t, 'a>(nodes: &'t mut [Node<'a>], id: &str) -> Option<&'t mut Node<'a>> {
    for n in nodes.iter_mut() {
        if n.field.id == id {
            return Some(n);
        }
        if let Some(f) = find_node_mut(&mut n.children, id) {
            return Some(f);
        }
    }
    None
}

#[derive(Default)]
struct ProblemAcc {
    severity: Option<Severity>,
    spec: &'static str,
    title: &'static str,
    count: u64,
    frames: Vec<u64>,
    connections: Vec<u64>,
    example: String,
}

/// The open connections: a slab, an index by connection number, and the slots of recently
/// seen connections by connection number modulo `RECENT`. Connection numbers are
/// consecutive, so the packets of up to that many interleaved connections need no hashing.
struct LiveTable {
    slots: Vec<Live>,
    index: FastMap<u64, usize>,
    recent: [Option<(u64, usize)>; RECENT],
}

const RECENT: usize = 16;

impl Default for LiveTable {
    fn default() -> Self {
        LiveTable {
            slots: Vec::new(),
            index: FastMap::default(),
            recent: [None; RECENT],
        }
    }
}

impl LiveTable {
    #[inline]
    fn slot(&mut self, id: u64) -> Option<usize> {
        let r = &mut self.recent[(id % RECENT as u64) as usize];
        match *r {
            Some((i, s)) if i == id => Some(s),
            _ => {
                let s = *self.index.get(&id)?;
                *r = Some((id, s));
                Some(s)
            }
        }
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Live> {
        let s = self.slot(id)?;
        self.slots.get_mut(s)
    }

    #[inline]
    fn get_or_insert_with(&mut self, id: u64, new: impl FnOnce() -> Live) -> &mut Live {
        let s = match self.slot(id) {
            Some(s) if s < self.slots.len() => s,
            _ => self.insert(id, new),
        };
        &mut self.slots[s]
    }

    /// Out of line: once per connection, and it keeps the per-packet path small.
    #[cold]
    #[inline(never)]
    fn insert(&mut self, id: u64, new: impl FnOnce() -> Live) -> usize {
        self.slots.push(new());
        let s = self.slots.len() - 1;
        self.index.insert(id, s);
        self.recent[(id % RECENT as u64) as usize] = Some((id, s));
        s
    }

    /// Takes a connection out; the last slot moves into its place.
    fn remove(&mut self, id: u64) -> Option<Live> {
        let s = self.index.remove(&id)?;
        self.recent = [None; RECENT];
        if s >= self.slots.len() {
            return None;
        }
        let l = self.slots.swap_remove(s);
        if let Some(moved) = self.slots.get(s) {
            self.index.insert(moved.summary.id, s);
        }
        Some(l)
    }
}

/// Messages per topic (for `--stats`).
#[derive(Default)]
struct TopicTable {
    /// Raw topic bytes → index in `stats` (one lookup per PUBLISH, no borrow held). Keyed
    /// by the bytes, not the escaped text: escaping is one-to-one, and the bytes need no
    /// UTF-8 check per PUBLISH.
    map: FastMap<Box<[u8]>, usize>,
    /// The keys of `map` by index, to check a connection's last topic without hashing.
    keys: Vec<Box<[u8]>>,
    stats: Vec<TopicStats>,
    /// The topics past the cap, together.
    other: TopicStats,
    other_names: FastSet<u64>,
}

impl TopicTable {
    /// Counts one PUBLISH; `topic` is the raw topic (or what an alias gave). `recent`: the
    /// index of the last topic its sender published on, tried first (a publisher usually
    /// repeats its topic).
    #[allow(clippy::too_many_arguments)]
    fn count(
        &mut self,
        topic: &[u8],
        via_alias: bool,
        direction: Option<Direction>,
        pb: &Publish<'_>,
        max_topics: usize,
        recent: &mut Option<usize>,
    ) {
        let index = match *recent {
            Some(i) if self.keys.get(i).is_some_and(|k| **k == *topic) => Some(i),
            _ => {
                let i = self.index(topic, max_topics);
                *recent = i;
                i
            }
        };
        let bucket = if let Some(b) = index.and_then(|i| self.stats.get_mut(i)) {
            b
        } else {
            if self.other_names.len() < 100_000 {
                self.other_names.insert(hash(topic));
            }
            &mut self.other
        };
        match direction {
            Some(Direction::ClientToServer) => bucket.published += 1,
            Some(Direction::ServerToClient) => bucket.delivered += 1,
            None => bucket.unknown_direction += 1,
        }
        bucket.bytes += pb.payload.len() as u64;
        bucket.qos[(pb.qos as usize).min(2)] += 1;
        bucket.retained += u64::from(pb.retain);
        bucket.via_alias += u64::from(via_alias);
    }

    /// The index of a topic in `stats`; `None` past the topic cap.
    fn index(&mut self, topic: &[u8], max_topics: usize) -> Option<usize> {
        match self.map.get(topic) {
            Some(&i) => Some(i),
            None if self.map.len() < max_topics => {
                self.map.insert(topic.into(), self.stats.len());
                self.keys.push(topic.into());
                self.stats.push(TopicStats {
                    topic: Some(text::escape_bytes(topic)),
                    ..TopicStats::default()
                });
                Some(self.stats.len() - 1)
            }
            None => None,
        }
    }
}

/// The analysis stage. Feed it every record, in order, before printing it.
pub struct Analyzer {
    cfg: AnalysisConfig,
    live: LiveTable,
    done: Vec<ConnSummary>,
    not_kept: u64,
    topics: TopicTable,
    /// By packet type: client→server, server→client, unknown direction, bytes.
    types: [[u64; 4]; 16],
    problems: BTreeMap<&'static str, ProblemAcc>,
    check_items: Vec<CheckItem>,
    protocol_errors: u64,
    failure_codes: u64,
    /// Client identifier → the live connections that sent a CONNECT with it, for takeovers
    /// (one entry per live connection at most). SipHash: the keys come from the wire.
    by_client: HashMap<String, Vec<u64>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(AnalysisConfig::default())
    }
}

impl Analyzer {
    /// An analyzer with these limits.
    pub fn new(cfg: AnalysisConfig) -> Analyzer {
        Analyzer {
            cfg,
            live: LiveTable::default(),
            done: Vec::new(),
            not_kept: 0,
            topics: TopicTable::default(),
            types: [[0; 4]; 16],
            problems: BTreeMap::new(),
            check_items: Vec::new(),
            protocol_errors: 0,
            failure_codes: 0,
            by_client: HashMap::new(),
        }
    }

    /// Protocol errors and failure codes so far (for `--check`).
    pub fn failures(&self) -> u64 {
        self.protocol_errors + self.failure_codes
    }

    /// Looks at one record: adds the stateful diagnostics to a packet, and a sentence on how
    /// the connection ended to its last close event.
    #[inline]
    pub fn record(&mut self, r: &mut Record<'_>) {
        match r {
            Record::Packet(p) => self.packet(p),
            Record::Event(e) => self.event(e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn problem(
        &mut self,
        id: &'static str,
        severity: Severity,
        spec: &'static str,
        title: &'static str,
        frame: u64,
        conn: Option<u64>,
        message: &str,
    ) {
        let max = self.cfg.max_problem_frames;
        let p = self.problems.entry(id).or_default();
        if p.severity.is_none() {
            p.severity = Some(severity);
            p.spec = spec;
            p.title = title;
            p.example = message.to_string();
        }
        p.severity = p.severity.max(Some(severity));
        p.count += 1;
        if p.frames.len() < max && p.frames.last() != Some(&frame) {
            p.frames.push(frame);
        }
        if let Some(c) = conn {
            if p.connections.len() < max && !p.connections.contains(&c) {
                p.connections.push(c);
            }
        }
    }

    fn check_item(&mut self, item: CheckItem) {
        match item.kind {
            CheckKind::ProtocolError => self.protocol_errors += 1,
            CheckKind::FailureCode => self.failure_codes += 1,
        }
        if self.check_items.len() < self.cfg.max_check_items {
            self.check_items.push(item);
        }
    }

    fn live_mut(&mut self, info: &ConnInfo, ts: Timestamp) -> &mut Live {
        let l = self
            .live
            .get_or_insert_with(info.id, || Live::new(info, ts));
        l.update(info, ts);
        l
    }

    /// A first CONNECT with a client identifier that another open connection uses: that
    /// connection's session is taken over (the most recent one when several match).
    fn takeover(&mut self, info: &ConnInfo, frame: u64, ts: Timestamp, cid: MqttStr<'_>) {
        let first_connect = self
            .live
            .get_mut(info.id)
            .is_none_or(|l| l.connect_frame.is_none());
        if cid.is_empty() || !first_connect {
            return;
        }
        let cid = cid.to_string();
        let Some(ids) = self.by_client.get(&cid) else {
            return;
        };
        let mut old = None;
        for id in ids {
            let Some(l) = self.live.get_mut(*id) else {
                continue;
            };
            if *id != info.id
                && l.connect_frame.is_some()
                && !l.fully_closed()
                && l.disconnect.is_none()
                && l.summary.client_id.as_deref() == Some(cid.as_str())
            {
                l.takeover = Some((info.id, frame));
                old = old.max(Some(*id));
            }
        }
        if let Some(o) = old {
            self.live_mut(info, ts).summary.took_over = Some(o);
        }
    }

    /// Lists a connection that sent a CONNECT under its (current) client identifier.
    fn index_client(&mut self, id: u64) {
        let Some(l) = self.live.get_mut(id) else {
            return;
        };
        if l.indexed == l.summary.client_id {
            return;
        }
        if let Some(old) = l.indexed.take() {
            unindex_client(&mut self.by_client, &old, id);
        }
        if let Some(c) = l.summary.client_id.clone().filter(|c| !c.is_empty()) {
            self.by_client.entry(c.clone()).or_default().push(id);
            l.indexed = Some(c);
        }
    }

    fn packet(&mut self, p: &mut PacketRecord<'_>) {
        let info = p.conn;
        let d = &mut p.assumed.decoded;
        let ptype = d.packet_type;
        let at = At {
            side: p.side,
            direction: p.direction,
            frame: p.frame,
            ts: p.ts,
            v: d.version,
            bytes: d.bytes,
        };

        let statistics = self.cfg.statistics;
        if statistics {
            // Packet type counts: the direction's position is its discriminant (None: 2).
            let t = &mut self.types[usize::from(ptype.0 & 15)];
            t[at.direction.map_or(2, |d| d as usize)] += 1;
            t[3] += d.len as u64;
        }

        // A CONNECT with a client id that another open connection uses: takeover.
        let connect = matches!(d.packet, Some(Packet::Connect(_)));
        if connect {
            if let Some(Packet::Connect(c)) = &d.packet {
                self.takeover(info, at.frame, at.ts, c.client_id);
            }
        }

        let samples = statistics.then_some(self.cfg.max_latency_samples);
        let l = self
            .live
            .get_or_insert_with(info.id, || Live::new(info, at.ts));
        l.update(info, at.ts);
        // Findings follow the codec's, in the order they are found.
        let out = &mut d.diagnostics;
        if !l.order_settled() {
            l.check_order(&at, ptype, out);
        }
        if let Some(m) = l.max_packet[at.side.index()] {
            if d.len as u64 > u64::from(m.value) {
                too_large(m, &at, out);
            }
        }
        if at.direction == Some(Direction::ClientToServer) {
            l.client_sent(&at, out);
        }

        let failed = match &d.packet {
            Some(Packet::Publish(pb)) => {
                let alias = if at.v.is_v5() { alias_of(pb) } else { None };
                // Borrowed in the usual case: no allocation per PUBLISH.
                let (topic, via_alias) = match alias {
                    None => (Cow::Borrowed(pb.topic.0), false),
                    Some(a) => {
                        let max = self.cfg.max_alias_bytes;
                        topic_alias(l, pb, a, &at, max, out, &mut d.tree)
                    }
                };
                if (l.max_qos.is_some() || l.retain_unavailable.is_some())
                    && at.direction == Some(Direction::ClientToServer)
                {
                    beyond_connack(l, pb, &at, out);
                }
                if let Some(id) = pb.packet_id {
                    let kind = if pb.qos == QoS::ExactlyOnce {
                        FlowKind::Qos2
                    } else {
                        FlowKind::Qos1
                    };
                    let range = || wire::publish_id(at.bytes, pb.topic.len());
                    let before = l.flows[at.side.index()].publishes();
                    start_flow(l, &at, id, kind, 0, pb.dup, range, out);
                    // A new flow (not a retransmission) beyond the receiver's maximum.
                    let in_flight = l.flows[at.side.index()].publishes();
                    if let Some(r) = l.recv_max[at.side.index()] {
                        let max = r.value.unwrap_or(u16::MAX);
                        if in_flight > before && in_flight > usize::from(max) {
                            recv_max_exceeded(r, in_flight, &at, out);
                        }
                    }
                }
                if statistics {
                    let max = self.cfg.max_topics;
                    let recent = &mut l.recent_topic[at.side.index()];
                    self.topics
                        .count(&topic, via_alias, at.direction, pb, max, recent);
                }
                false
            }
            // The packet type tells ack() which step of the flow this is.
            Some(
                Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r),
            ) => {
                let failed = is_failure(at.v, ptype, r.reason_code.0);
                ack(l, &at, r.packet_id, ptype, failed, 0, samples, out);
                failed
            }
            Some(pkt) => l.other_packet(pkt, &at, ptype, samples, out),
            None => false,
        };

        if connect {
            self.index_client(info.id);
        }

        // Problems, grouped; the check list. Most packets have none.
        if failed || !d.diagnostics.is_empty() {
            self.packet_problems(info.id, &at, ptype, d, failed);
        }
    }

    /// The problems of one packet (its diagnostics, its failure codes), grouped and listed.
    // Out of line: most packets have none, and the per-packet path stays small.
    #[cold]
    #[inline(never)]
    fn packet_problems(
        &mut self,
        conn_id: u64,
        at: &At<'_>,
        ptype: PacketType,
        d: &Decoded<'_>,
        failed: bool,
    ) {
        let (frame, diagnostics) = (at.frame, &d.diagnostics);
        let failures = if failed {
            failure_codes(at.v, ptype, d.packet.as_ref())
        } else {
            Vec::new()
        };
        let client_id = self
            .live
            .get_mut(conn_id)
            .and_then(|l| l.summary.client_id.clone());
        for x in diagnostics {
            let (id, severity, spec) = (x.check.id, x.severity, x.spec);
            if id == diag::TOPIC_ALIAS_RESOLVED.id {
                continue;
            }
            if let Some(l) = self.live.get_mut(conn_id) {
                l.count_problem(id, severity);
            }
            let title = x.check.title;
            self.problem(id, severity, spec, title, frame, Some(conn_id), &x.message);
            if severity == Severity::Error {
                self.check_item(CheckItem {
                    kind: CheckKind::ProtocolError,
                    frame,
                    conn: Some(conn_id),
                    client_id: client_id.clone(),
                    packet: Some(ptype),
                    id,
                    spec,
                    message: x.message.clone(),
                });
            }
        }
        for code in failures {
            let message = code_text(at.v, ptype, code);
            if let Some(l) = self.live.get_mut(conn_id) {
                l.count_problem("failure-code", Severity::Warning);
            }
            self.problem(
                "failure-code",
                Severity::Warning,
                "§2.4",
                "A reason or return code that reports a failure",
                frame,
                Some(conn_id),
                &format!("{ptype} {message}"),
            );
            self.check_item(CheckItem {
                kind: CheckKind::FailureCode,
                frame,
                conn: Some(conn_id),
                client_id: client_id.clone(),
                packet: Some(ptype),
                id: "failure-code",
                spec: "§2.4",
                message: format!("{ptype} {message}"),
            });
        }
    }

    fn event(&mut self, e: &mut EventRecord<'_>) {
        let frame = e.frame;
        match &e.kind {
            EventKind::Closed { kind } => {
                let Some(info) = e.conn else { return };
                let ts = e.ts.unwrap_or(info.first_ts);
                let l = self.live_mut(info, ts);
                let rst = *kind == CloseKind::Rst;
                match (kind, e.side) {
                    (CloseKind::Fin, Some(s)) => {
                        l.closed[s.index()] = true;
                        if l.first_close.is_none() {
                            l.first_close = Some((Some(s), false, frame));
                        }
                    }
                    (CloseKind::EndOfCapture, _) => l.closed = [true, true],
                    (_, s) => {
                        l.closed = [true, true];
                        if l.first_close.is_none() {
                            l.first_close = Some((s, rst, frame));
                        }
                    }
                }
                if l.fully_closed() {
                    if let Some(l) = self.live.remove(info.id) {
                        let text = self.finalize(l, frame, ts);
                        e.message.push_str(" — ");
                        e.message.push_str(&text);
                    }
                }
            }
            EventKind::Tls { sni } => {
                if let Some(info) = e.conn {
                    let ts = e.ts.unwrap_or(info.first_ts);
                    self.live_mut(info, ts).summary.tls = Some(sni.clone());
                }
            }
            // With a key log, the decryptor's first note stands for the TLS event.
            EventKind::TlsDecryption { note } if !note.is_problem() => {
                if let Some(info) = e.conn {
                    let ts = e.ts.unwrap_or(info.first_ts);
                    let s = &mut self.live_mut(info, ts).summary;
                    if s.tls.is_none() {
                        s.tls = Some(info.sni.clone());
                    }
                }
            }
            // How a connection travels, and ordinary WebSocket traffic.
            other if !other.is_problem() => {}
            other => {
                let (id, severity, title) = match other {
                    EventKind::Gap { .. } => ("capture-gap", Severity::Warning, "Bytes not captured"),
                    EventKind::Undecodable { reason: SkipReason::InvalidLength, .. } => (
                        "undecodable",
                        Severity::Error,
                        "Bytes that cannot be framed as MQTT (Remaining Length longer than 4 bytes)",
                    ),
                    EventKind::Undecodable { .. } => (
                        "undecodable-after-gap",
                        Severity::Warning,
                        "Bytes that cannot be decoded after lost bytes",
                    ),
                    EventKind::TooLarge { .. } => ("too-large", Severity::Warning, "Packet larger than the assembly cap"),
                    EventKind::Incomplete { .. } => ("incomplete", Severity::Warning, "The stream ends inside a packet"),
                    EventKind::TruncatedRecord { .. } => ("truncated-record", Severity::Warning, "The capture file ends inside a record"),
                    EventKind::UnknownLinkType { .. } => ("unknown-link-type", Severity::Warning, "Frames of a link type that cannot be decoded"),
                    EventKind::WebSocketFrame { .. } => ("websocket-frame", Severity::Warning, "WebSocket frames against RFC 6455 or MQTT §6 (text frames, masking, reserved bits…)"),
                    EventKind::WebSocketSubprotocol { .. } => ("websocket-subprotocol", Severity::Warning, "WebSocket handshake without the \"mqtt\" subprotocol"),
                    EventKind::WebSocketNotUpgraded { .. } => ("websocket-not-upgraded", Severity::Warning, "WebSocket handshake that did not complete: not decoded"),
                    EventKind::TlsDecryption { note: TlsNote::Alert { .. } } => ("tls-alert", Severity::Warning, "TLS alerts (fatal, or warnings other than close_notify)"),
                    EventKind::TlsDecryption { .. } => ("tls-decryption", Severity::Warning, "TLS records that could not be decrypted or followed: not decoded"),
                    _ => ("transport", Severity::Note, "Transport findings (retransmissions that differ, caps)"),
                };
                let spec = transport_spec(id);
                let conn = e.conn.map(|c| c.id);
                if let Some(info) = e.conn {
                    let ts = e.ts.unwrap_or(info.first_ts);
                    let l = self.live_mut(info, ts);
                    l.count_problem(id, severity);
                    if matches!(other, EventKind::Gap { .. }) {
                        // The lost bytes may hold acknowledgements that freed places: the
                        // count of PUBLISHes in flight is no longer known to be right.
                        l.recv_max = [None, None];
                    }
                }
                self.problem(id, severity, spec, title, frame, conn, &e.message);
                if severity == Severity::Error {
                    self.check_item(CheckItem {
                        kind: CheckKind::ProtocolError,
                        frame,
                        conn,
                        client_id: e.conn.and_then(|c| c.client_id.clone()),
                        packet: None,
                        id,
                        spec,
                        message: e.message.clone(),
                    });
                }
            }
        }
    }

    /// Ends a connection: unacknowledged flows, unanswered PINGREQ, keep alive, outcome.
    /// Returns a sentence for the close event.
    fn finalize(&mut self, mut l: Live, frame: u64, ts: Timestamp) -> String {
        let conn = l.summary.id;
        l.set_counters();
        if let Some(c) = l.indexed.take() {
            unindex_client(&mut self.by_client, &c, conn);
        }
        let mut notes: Vec<String> = Vec::new();
        let mut found: Vec<(&'static Check, u64, String)> = Vec::new();
        let v = l.summary.version.unwrap_or(ProtocolVersion::V3_1_1);

        // Unacknowledged flows, oldest first.
        let mut open: Vec<(Side, u16, Flow)> = Vec::new();
        for s in [Side::A, Side::B] {
            for (id, f) in l.flows[s.index()].drain() {
                open.push((s, id, f));
            }
        }
        open.sort_by_key(|(_, id, f)| (f.frame, *id));
        let mut listed = Vec::new();
        for (s, id, f) in &open {
            let state = match f.state {
                FlowState::Ack => match f.kind {
                    FlowKind::Qos1 => "no PUBACK".to_string(),
                    FlowKind::Qos2 => "no PUBREC".to_string(),
                    FlowKind::Subscribe => "no SUBACK".to_string(),
                    FlowKind::Unsubscribe => "no UNSUBACK".to_string(),
                },
                FlowState::Rel(r) => format!("PUBREC in frame {r}, no PUBREL"),
                FlowState::Comp(r) => format!("PUBREL in frame {r}, no PUBCOMP"),
            };
            let msg = format!(
                "{} id {id} of frame {} ({}): {state} before the connection ended",
                f.kind.name(),
                f.frame,
                dir_name(l.direction(*s)),
            );
            if listed.len() < 5 {
                listed.push(format!(
                    "{} id {id} (frame {}, {state})",
                    f.kind.name(),
                    f.frame
                ));
            }
            found.push((&diag::FLOW_UNACKNOWLEDGED, f.frame, msg));
            let kind = f.kind;
            l.latency(kind, *s).unacked += 1;
        }
        if !open.is_empty() {
            let more = open.len().saturating_sub(listed.len());
            notes.push(format!(
                "{} unacknowledged flow(s): {}{}",
                open.len(),
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if let Some((f, _)) = l.pending_ping {
            found.push((
                &diag::PINGREQ_UNANSWERED,
                f,
                format!("the PINGREQ of frame {f} got no PINGRESP before the connection ended"),
            ));
            notes.push(format!("the PINGREQ of frame {f} was never answered"));
        }

        // How it ended.
        let client_disconnect = l
            .disconnect
            .filter(|(s, ..)| l.role(*s) == Some(Role::Client));
        let server_disconnect = l
            .disconnect
            .filter(|(s, ..)| l.role(*s) == Some(Role::Server));
        let close_by = l
            .first_close
            .and_then(|(s, _, _)| s.and_then(|s| l.role(s)));
        let end = if let Some((_, code, f)) = client_disconnect {
            End::Disconnect {
                by: Role::Client,
                code,
                frame: f,
            }
        } else if let Some((_, code, f)) = server_disconnect {
            if code == 0x8E {
                End::TakenOver {
                    by_conn: l.takeover.map(|t| t.0),
                    frame: f,
                }
            } else {
                End::Disconnect {
                    by: Role::Server,
                    code,
                    frame: f,
                }
            }
        } else if let (Some((by, tf)), Some((_, _, cf))) = (l.takeover, l.first_close) {
            if cf > tf && close_by != Some(Role::Client) {
                End::TakenOver {
                    by_conn: Some(by),
                    frame: cf,
                }
            } else {
                End::TcpClose {
                    by: close_by,
                    rst: l.first_close.is_some_and(|c| c.1),
                    frame: cf,
                }
            }
        } else if let Some((_, rst, cf)) = l.first_close {
            End::TcpClose {
                by: close_by,
                rst,
                frame: cf,
            }
        } else {
            End::Open
        };
        // Keep alive expiry: the server closed after 1.5 × keep alive of client silence.
        let closed_by_server_or_unknown = matches!(
            end,
            End::TcpClose {
                by: Some(Role::Server) | None,
                ..
            } | End::Disconnect {
                by: Role::Server,
                ..
            }
        );
        if let (Some(ka), Some(last), true) =
            (l.keep_alive, l.last_client_ts, closed_by_server_or_unknown)
        {
            let close_ts = ts;
            let gap = seconds_between(last, close_ts);
            if ka > 0 && gap > 1.5 * f64::from(ka) {
                l.summary.outcome.keep_alive_expired = Some(gap);
                found.push((
                    &diag::KEEP_ALIVE_EXCEEDED,
                    frame,
                    format!(
                        "{gap:.3} s without a packet from the client before the connection was \
                         closed, more than 1.5 × keep alive ({ka} s)"
                    ),
                ));
            }
        }
        let accepted = matches!(l.summary.outcome.acceptance, Acceptance::Accepted { .. });
        let normal_disconnect = matches!(
            end,
            End::Disconnect {
                by: Role::Client,
                code: 0,
                ..
            }
        );
        l.summary.outcome.will_fires =
            l.will_topic.is_some() && accepted && !normal_disconnect && end != End::Open;
        l.summary.outcome.will_topic = l.will_topic.clone();
        l.summary.outcome.end = end;
        l.summary.last_ts = l.summary.last_ts.max(ts);

        for (check, f, msg) in found {
            let spec = if v.is_v5() { check.spec } else { check.spec_v3 };
            l.count_problem(check.id, check.severity);
            self.problem(
                check.id,
                check.severity,
                spec,
                check.title,
                f,
                Some(conn),
                &msg,
            );
            if check.severity == Severity::Error {
                self.check_item(CheckItem {
                    kind: CheckKind::ProtocolError,
                    frame: f,
                    conn: Some(conn),
                    client_id: l.summary.client_id.clone(),
                    packet: None,
                    id: check.id,
                    spec,
                    message: msg,
                });
            }
        }

        // Flow statistics.
        let mut flows = Vec::new();
        let by_kind = FLOW_KINDS.iter().zip(&l.latency);
        let all = by_kind.flat_map(|(k, sides)| [(k, Side::A, &sides[0]), (k, Side::B, &sides[1])]);
        for (kind, side, lat) in all {
            let Some(lat) = lat else { continue };
            flows.push(FlowStats {
                kind: *kind,
                direction: l.direction(side),
                completed: lat.completed,
                failed: lat.failed,
                unacknowledged: lat.unacked,
                min: lat.min,
                median: lat.median(),
                max: lat.max,
            });
        }
        l.summary.flows = flows;
        l.summary.problems = std::mem::take(&mut l.problems);

        let mut text = describe_outcome(&l.summary);
        for n in notes {
            text.push_str("; ");
            text.push_str(&n);
        }
        if self.done.len() < self.cfg.max_connections {
            self.done.push(l.summary);
        } else {
            self.not_kept += 1;
        }
        text
    }

    /// Ends the capture: what is still open is reported as open.
    pub fn finish(mut self) -> Analysis {
        let mut ids: Vec<u64> = self.live.index.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(l) = self.live.remove(id) {
                let (frame, ts) = (0, l.summary.last_ts);
                self.finalize(l, frame, ts);
            }
        }
        self.done.sort_by_key(|c| c.id);
        let mut topics: Vec<TopicStats> = self.topics.stats;
        topics.sort_by(|a, b| {
            b.messages()
                .cmp(&a.messages())
                .then_with(|| a.topic.cmp(&b.topic))
        });
        let other = (self.topics.other.messages() > 0).then_some(self.topics.other);
        let packet_types = self
            .types
            .iter()
            .enumerate()
            .filter(|(_, t)| t[0] + t[1] + t[2] > 0)
            .map(|(i, t)| TypeStats {
                packet_type: PacketType(i as u8),
                client_to_server: t[0],
                server_to_client: t[1],
                unknown: t[2],
                bytes: t[3],
            })
            .collect();
        let mut problems: Vec<ProblemGroup> = self
            .problems
            .into_iter()
            .map(|(id, p)| ProblemGroup {
                id,
                severity: p.severity.unwrap_or(Severity::Note),
                spec: p.spec,
                title: p.title,
                count: p.count,
                frames: p.frames,
                connections: p.connections,
                example: p.example,
            })
            .collect();
        problems.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.count.cmp(&a.count))
                .then(a.id.cmp(b.id))
        });
        Analysis {
            connections: self.done,
            connections_not_kept: self.not_kept,
            topics,
            other_topics: other,
            other_topic_count: self.topics.other_names.len() as u64,
            packet_types,
            problems,
            check_items: self.check_items,
            protocol_errors: self.protocol_errors,
            failure_codes: self.failure_codes,
        }
    }
}

/// Takes connection `id` off the list of client identifier `cid`; an empty list goes.
fn unindex_client(by_client: &mut HashMap<String, Vec<u64>>, cid: &str, id: u64) {
    if let Some(ids) = by_client.get_mut(cid) {
        ids.retain(|x| *x != id);
        if ids.is_empty() {
            by_client.remove(cid);
        }
    }
}

/// Length of the topic as shown (escaped): the unit of the alias table's byte cap.
fn display_len(raw: &[u8]) -> usize {
    if text::is_plain(raw) {
        raw.len()
    } else {
        text::escape_bytes(raw).len()
    }
}

/// Hash of a topic beyond the topic cap, to count the distinct ones.
fn hash(s: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// `return code 1 (Connection Refused, unacceptable protocol version)`.
pub fn code_text(v: ProtocolVersion, t: PacketType, code: u8) -> String {
    let what = if v.is_v5() {
        "reason code"
    } else {
        "return code"
    };
    match reason::lookup(v, t, code) {
        Some(i) => format!("{what} 0x{code:02X} ({})", i.name),
        None => format!("{what} 0x{code:02X}"),
    }
}

fn role_name(r: Option<Role>) -> &'static str {
    match r {
        Some(Role::Client) => "the client",
        Some(Role::Server) => "the server",
        None => "one side",
    }
}

/// How a connection went, in one line: `accepted; closed by the client without DISCONNECT
/// (TCP FIN): the will message "x" is published`.
pub fn describe_outcome(c: &ConnSummary) -> String {
    let o = &c.outcome;
    let v = c.version.unwrap_or(ProtocolVersion::V3_1_1);
    let mut s = match &o.acceptance {
        Acceptance::NoConnect if c.tls.is_some() => "TLS, encrypted".to_string(),
        Acceptance::NoConnect => "no CONNECT captured".to_string(),
        Acceptance::NoAnswer => "CONNECT not answered".to_string(),
        Acceptance::Accepted {
            session_present, ..
        } => {
            if *session_present {
                "accepted (session resumed)".to_string()
            } else {
                "accepted".to_string()
            }
        }
        Acceptance::Refused { code, version, .. } => {
            format!(
                "refused: CONNACK {}",
                code_text(*version, PacketType::CONNACK, *code)
            )
        }
    };
    if let Some(o) = c.took_over {
        s.push_str(&format!("; took over the session of #{o}"));
    }
    s.push_str("; ");
    s.push_str(&match &o.end {
        End::Disconnect { by, code, .. } => {
            let who = role_name(Some(*by));
            if v.is_v5() {
                format!(
                    "DISCONNECT from {who} with {}",
                    code_text(v, PacketType::DISCONNECT, *code)
                )
            } else {
                format!("DISCONNECT from {who}")
            }
        }
        End::TakenOver { by_conn, .. } => match by_conn {
            Some(n) => format!("session taken over by connection #{n} (same client identifier)"),
            None => "session taken over by another connection".to_string(),
        },
        End::TcpClose { by, rst, .. } => format!(
            "closed by {} without DISCONNECT (TCP {})",
            role_name(*by),
            if *rst { "RST" } else { "FIN" }
        ),
        End::Open => "still open at the end of the capture".to_string(),
    });
    if let Some(gap) = o.keep_alive_expired {
        s.push_str(&format!(
            "; keep alive expired ({gap:.1} s without a packet from the client)"
        ));
    }
    if o.will_fires {
        match &o.will_topic {
            Some(t) => s.push_str(&format!("; the will message (\"{t}\") is published")),
            None => s.push_str("; the will message is published"),
        }
    }
    s
}

/// The packet being analysed: who sent it, when, decoded as which version, its bytes.
#[derive(Clone, Copy)]
struct At<'p> {
    side: Side,
    direction: Option<Direction>,
    frame: u64,
    ts: Timestamp,
    v: ProtocolVersion,
    bytes: &'p [u8],
}

impl At<'_> {
    /// A finding about this packet.
    fn diag(
        &self,
        check: &'static Check,
        range: (usize, usize),
        field: Option<&'static str>,
        message: String,
    ) -> Diagnostic {
        make(check, self.v, range, field, message)
    }

    /// The first byte: where a finding about the packet as a whole points.
    fn first_byte(&self) -> (usize, usize) {
        (0, 1.min(self.bytes.len()))
    }
}

/// The Topic Alias of a v5 PUBLISH, when it has one (0 is no alias: the codec flags it).
#[inline]
fn alias_of(pb: &Publish<'_>) -> Option<u16> {
    if !pb.properties.may_have(PropertyId::TOPIC_ALIAS) {
        return None;
    }
    pb.properties
        .get(PropertyId::TOPIC_ALIAS)
        .and_then(|x| x.as_u32())
        .and_then(|x| u16::try_from(x).ok())
        .filter(|a| *a > 0)
}

/// A PUBLISH with a Topic Alias: checks it against the maximum, resolves an alias-only
/// PUBLISH (and shows what it resolved to in the field tree) or records what the alias is
/// set to. Returns the topic and whether the alias gave it.
// Out of line: most PUBLISHes carry no alias.
#[inline(never)]
fn topic_alias<'t>(
    l: &mut Live,
    pb: &Publish<'t>,
    a: u16,
    at: &At<'_>,
    max_alias_bytes: usize,
    out: &mut List<Diagnostic>,
    tree: &mut [Node<'_>],
) -> (Cow<'t, [u8]>, bool) {
    let (side, bytes) = (at.side, at.bytes);
    let from_client = at.direction == Some(Direction::ClientToServer);
    let from_server = at.direction == Some(Direction::ServerToClient);
    let mut topic = Cow::Borrowed(pb.topic.0);
    let mut via_alias = false;
    let props_start =
        wire::header_len(bytes) + 2 + pb.topic.len() + if pb.packet_id.is_some() { 2 } else { 0 };
    let range = wire::property(bytes, props_start, &pb.properties, PropertyId::TOPIC_ALIAS)
        .unwrap_or((0, 1.min(bytes.len())));
    if let Some(max) = l.alias_max[side.index()] {
        if a > max {
            let mut x = at.diag(
                &diag::TOPIC_ALIAS_ABOVE_MAXIMUM,
                range,
                Some("property.topic_alias"),
                format!(
                    "Topic Alias {a} is above the Topic Alias Maximum {max} the {} announced in its {}",
                    if from_client { "server" } else if from_server { "client" } else { "receiver" },
                    if from_client { "CONNACK" } else if from_server { "CONNECT" } else { "CONNECT/CONNACK" },
                ),
            );
            x.spec = if from_server {
                "MQTT-3.3.2-10"
            } else {
                "MQTT-3.3.2-9"
            };
            out.push(x);
        }
    }
    let table = &mut l.aliases[side.index()];
    if pb.topic.is_empty() {
        match table.map.get(&a) {
            Some((raw, set_frame)) => {
                let t = text::escape_bytes(raw);
                topic = Cow::Owned(raw.to_vec());
                via_alias = true;
                mark_resolved(tree, a, &t, *set_frame);
                out.push(at.diag(
                    &diag::TOPIC_ALIAS_RESOLVED,
                    range,
                    Some("property.topic_alias"),
                    format!("Topic Alias {a} stands for \"{t}\" (set in frame {set_frame})"),
                ));
            }
            None => {
                let mut x = at.diag(
                    &diag::TOPIC_ALIAS_UNKNOWN,
                    range,
                    Some("property.topic_alias"),
                    format!(
                        "alias-only PUBLISH with Topic Alias {a}, which no earlier PUBLISH {} on this connection set",
                        dir_name(l.direction(side))
                    ),
                );
                if !l.syn_seen || l.connect_frame.is_none() {
                    x.severity = Severity::Note;
                    x.message
                        .push_str(" (the capture may have started after it was set)");
                }
                out.push(x);
                topic = Cow::Owned(format!("(unknown alias {a})").into_bytes());
            }
        }
    } else {
        let old = table.map.get(&a).map_or(0, |(t, _)| display_len(t));
        let len = display_len(&topic);
        if table.bytes - old + len <= max_alias_bytes {
            table.bytes = table.bytes - old + len;
            table.map.insert(a, (topic.as_ref().into(), at.frame));
        }
    }
    (topic, via_alias)
}

/// A CONNECT: the first one starts the session's state; another is a Protocol Error.
fn on_connect(l: &mut Live, c: &Connect<'_>, at: &At<'_>, out: &mut List<Diagnostic>) {
    if let Some(first) = l.connect_frame {
        out.push(at.diag(
            &diag::CONNECT_TWICE,
            at.first_byte(),
            None,
            format!(
                "a second CONNECT on this connection (the first was in frame \
                 {first}): a Protocol Error, the server closes the connection"
            ),
        ));
    } else {
        l.connect_frame = Some(at.frame);
        l.summary.outcome.acceptance = Acceptance::NoAnswer;
        l.will_topic = c.will.as_ref().map(|w| w.topic.to_string());
        l.keep_alive = Some(c.keep_alive);
        l.last_client_ts = Some(at.ts);
        declare_alias_max(l, at.side, &c.properties);
        declare_limits(l, at, &c.properties, Role::Server);
    }
}

/// The Topic Alias Maximum `side` declared (in its CONNECT or CONNACK): it bounds the aliases
/// the other side sends.
fn declare_alias_max(l: &mut Live, side: Side, props: &Properties<'_>) {
    let tam = props
        .get(PropertyId::TOPIC_ALIAS_MAXIMUM)
        .and_then(|x| x.as_u32())
        .map_or(0, |x| x as u16);
    l.alias_max[side.other().index()] = Some(tam);
}

/// A limit a CONNECT or CONNACK announced (5.0): its value, the frame of that packet, and
/// the sender it bounds (the other side).
#[derive(Clone, Copy)]
struct Announced<T> {
    value: T,
    frame: u64,
    sender: Role,
}

impl<T> Announced<T> {
    fn new(value: T, at: &At<'_>, sender: Role) -> Self {
        Announced {
            value,
            frame: at.frame,
            sender,
        }
    }

    /// The sender it bounds, the receiver that announced it, and the packet it came in.
    fn parties(&self) -> (&'static str, &'static str, &'static str) {
        match self.sender {
            Role::Server => ("server", "client", "CONNECT"),
            Role::Client => ("client", "server", "CONNACK"),
        }
    }
}

/// The limits `at.side`'s CONNECT or CONNACK announces for what the other side (`sender`)
/// sends, in 5.0: Receive Maximum (65,535 when absent; not checked when 0, a Protocol Error
/// of its own), Maximum Packet Size (none when absent or 0), and in a CONNACK the Maximum QoS
/// and Retain Available of the client's PUBLISHes.
fn declare_limits(l: &mut Live, at: &At<'_>, props: &Properties<'_>, sender: Role) {
    if !at.v.is_v5() {
        return;
    }
    let get = |id| props.get(id).and_then(|x| x.as_u32());
    let other = at.side.other().index();
    let recv_max = get(PropertyId::RECEIVE_MAXIMUM).map(|x| x as u16);
    l.recv_max[other] = (recv_max != Some(0)).then(|| Announced::new(recv_max, at, sender));
    l.max_packet[other] = get(PropertyId::MAXIMUM_PACKET_SIZE)
        .filter(|m| *m > 0)
        .map(|m| Announced::new(m, at, sender));
    if sender == Role::Client {
        l.max_qos = get(PropertyId::MAXIMUM_QOS).map(|q| (q as u8, at.frame));
        l.retain_unavailable = (get(PropertyId::RETAIN_AVAILABLE) == Some(0)).then_some(at.frame);
    }
}

/// A packet larger than the Maximum Packet Size its receiver announced.
#[cold]
#[inline(never)]
fn too_large(m: Announced<u32>, at: &At<'_>, out: &mut List<Diagnostic>) {
    let (max, frame) = (m.value, m.frame);
    let (sender, receiver, packet) = m.parties();
    let check = match m.sender {
        Role::Server => &diag::PACKET_TOO_LARGE_BY_SERVER,
        Role::Client => &diag::PACKET_TOO_LARGE_BY_CLIENT,
    };
    out.push(at.diag(
        check,
        (0, at.bytes.len()),
        None,
        format!(
            "a {}-byte packet from the {sender}, larger than the Maximum Packet Size of {max} \
             the {receiver} announced in its {packet} (frame {frame}): the {receiver} may \
             disconnect with 0x95 Packet too large",
            at.bytes.len()
        ),
    ));
}

/// A client's PUBLISH beyond what the server's CONNACK allows: a QoS above its Maximum QoS,
/// or the RETAIN flag when Retain Available is 0.
#[cold]
#[inline(never)]
fn beyond_connack(l: &Live, pb: &Publish<'_>, at: &At<'_>, out: &mut List<Diagnostic>) {
    let qos = pb.qos as u8;
    if let Some((max, frame)) = l.max_qos.filter(|(max, _)| qos > *max) {
        out.push(at.diag(
            &diag::QOS_ABOVE_MAXIMUM,
            at.first_byte(),
            Some("header.qos"),
            format!(
                "a QoS {qos} PUBLISH, above the Maximum QoS of {max} the server announced in \
                 its CONNACK (frame {frame}): the server may disconnect with 0x9B QoS not \
                 supported"
            ),
        ));
    }
    if let Some(frame) = l.retain_unavailable.filter(|_| pb.retain) {
        out.push(at.diag(
            &diag::RETAIN_NOT_AVAILABLE,
            at.first_byte(),
            Some("header.retain"),
            format!(
                "a PUBLISH with RETAIN set, though the server's CONNACK (frame {frame}) says \
                 Retain Available 0: the server may disconnect with 0x9A Retain not supported"
            ),
        ));
    }
}

/// A QoS 1/2 PUBLISH that started a flow: more PUBLISHes in flight from its sender than the
/// receiver's Receive Maximum allows.
#[cold]
#[inline(never)]
fn recv_max_exceeded(
    r: Announced<Option<u16>>,
    in_flight: usize,
    at: &At<'_>,
    out: &mut List<Diagnostic>,
) {
    let (sender, receiver, packet) = r.parties();
    let check = match r.sender {
        Role::Server => &diag::RECEIVE_MAXIMUM_EXCEEDED_BY_SERVER,
        Role::Client => &diag::RECEIVE_MAXIMUM_EXCEEDED_BY_CLIENT,
    };
    let (max, frame) = (r.value.unwrap_or(u16::MAX), r.frame);
    let declared = if r.value.is_some() {
        format!(
            "the Receive Maximum of {max} the {receiver} announced in its {packet} (frame {frame})"
        )
    } else {
        format!("the Receive Maximum of {max} that applies when the {receiver}'s {packet} (frame {frame}) has none")
    };
    out.push(at.diag(
        check,
        at.first_byte(),
        None,
        format!(
            "{in_flight} QoS 1/2 PUBLISH packets from the {sender} are now unacknowledged (no \
             PUBACK, PUBCOMP, or PUBREC with a failure code yet), more than {declared}: the \
             {receiver} may disconnect with 0x93 Receive Maximum exceeded"
        ),
    ));
}

/// A CONNACK: the first one says how the connection was accepted.
fn on_connack(l: &mut Live, c: &ConnAck<'_>, at: &At<'_>) {
    if l.connack_seen {
        return;
    }
    l.connack_seen = true;
    let failed = is_failure_in(at.v, PacketType::CONNACK, c.code.0);
    l.summary.outcome.acceptance = if failed {
        Acceptance::Refused {
            frame: at.frame,
            code: c.code.0,
            version: at.v,
        }
    } else {
        Acceptance::Accepted {
            frame: at.frame,
            session_present: c.session_present,
        }
    };
    l.session_resumed = c.session_present && !failed;
    declare_alias_max(l, at.side, &c.properties);
    declare_limits(l, at, &c.properties, Role::Client);
    if let Some(ska) = c
        .properties
        .get(PropertyId::SERVER_KEEP_ALIVE)
        .and_then(|x| x.as_u32())
    {
        l.keep_alive = Some(ska as u16);
    }
}

/// True when `ts` is certainly no more than 1.5 × keep alive `ka` after `last`, by whole
/// seconds: the gap is below the seconds' difference plus one. Spares most client packets
/// the floating-point gap of [`keep_alive_gap`], which decides the rest.
#[inline]
fn surely_within(ka: u16, last: Timestamp, ts: Timestamp) -> bool {
    let secs = ts.secs.wrapping_sub(last.secs);
    // secs + 1 <= 1.5 × ka, in integers.
    secs < i64::from(ka) + i64::from(ka / 2)
}

/// Client silence longer than 1.5 × keep alive `ka` (since `last`) before this packet.
#[cold]
#[inline(never)]
fn keep_alive_gap(ka: u16, last: Timestamp, at: &At<'_>, out: &mut List<Diagnostic>) {
    let gap = seconds_between(last, at.ts);
    if ka > 0 && gap > 1.5 * f64::from(ka) {
        out.push(at.diag(
            &diag::KEEP_ALIVE_EXCEEDED,
            (0, 0),
            None,
            format!(
                "{gap:.3} s without a packet from the client, more than 1.5 × keep \
                 alive ({ka} s): the server may close the connection"
            ),
        ));
    }
}

/// Whether `code` in a packet of type `t` reports a failure (listed by `--check`).
#[inline]
fn is_failure(v: ProtocolVersion, t: PacketType, code: u8) -> bool {
    match t {
        PacketType::CONNACK | PacketType::SUBACK => is_failure_in(v, t, code),
        PacketType::AUTH => code >= 0x80,
        _ => v.is_v5() && code >= 0x80,
    }
}

/// The codes of a packet of type `t` that report a failure, in order.
fn failure_codes(v: ProtocolVersion, t: PacketType, pkt: Option<&Packet<'_>>) -> Vec<u8> {
    let codes = match pkt {
        Some(Packet::ConnAck(c)) => std::slice::from_ref(&c.code),
        Some(Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r)) => {
            std::slice::from_ref(&r.reason_code)
        }
        Some(Packet::SubAck(s)) => &s.codes,
        Some(Packet::UnsubAck(u)) => &u.codes,
        Some(Packet::Disconnect(x)) => std::slice::from_ref(&x.reason_code),
        Some(Packet::Auth(x)) => std::slice::from_ref(&x.reason_code),
        _ => &[],
    };
    codes
        .iter()
        .map(|c| c.0)
        .filter(|c| is_failure(v, t, *c))
        .collect()
}

/// A PUBLISH QoS 1/2, SUBSCRIBE or UNSUBSCRIBE from `at.side` starts flow `id`; `range`
/// (where the identifier is) is only worked out for a diagnostic.
#[allow(clippy::too_many_arguments)]
#[inline]
fn start_flow(
    l: &mut Live,
    at: &At<'_>,
    id: u16,
    kind: FlowKind,
    filters: usize,
    dup: bool,
    range: impl FnOnce() -> (usize, usize),
    out: &mut List<Diagnostic>,
) {
    if id == 0 {
        return; // packet-id-zero is the codec's
    }
    let flow = Flow {
        kind,
        state: FlowState::Ack,
        frame: at.frame,
        ts: at.ts,
        filters,
    };
    // One probe: the identifier is usually free.
    let table = &mut l.flows[at.side.index()];
    let Some(i) = table.insert_or_get(id, flow) else {
        return;
    };
    if dup && table.at(i).kind == kind {
        return; // a retransmission: the flow keeps its start
    }
    let old = table.replace_at(i, flow);
    id_in_use(l, at, id, old, range(), out);
}

/// A flow started with an identifier still in use by `old`, which is given up.
#[cold]
#[inline(never)]
fn id_in_use(
    l: &mut Live,
    at: &At<'_>,
    id: u16,
    old: Flow,
    range: (usize, usize),
    out: &mut List<Diagnostic>,
) {
    let state = match old.state {
        FlowState::Ack => "not yet acknowledged".to_string(),
        FlowState::Rel(f) => format!("PUBREC in frame {f}, waiting for PUBREL"),
        FlowState::Comp(f) => format!("PUBREL in frame {f}, waiting for PUBCOMP"),
    };
    out.push(at.diag(
        &diag::PACKET_ID_IN_USE,
        range,
        Some("packet_id"),
        format!(
            "Packet Identifier {id} is still in use by the {} of frame {} ({state})",
            old.kind.name(),
            old.frame
        ),
    ));
    l.latency(old.kind, at.side).unacked += 1;
}

/// An acknowledgement of type `t` from `at.side` (PUBREL: from the publisher itself), with
/// `codes` return/reason codes (SUBACK, UNSUBACK); `samples`: the latency sample cap when
/// statistics are kept.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn ack(
    l: &mut Live,
    at: &At<'_>,
    id: u16,
    t: PacketType,
    failed: bool,
    codes: usize,
    samples: Option<usize>,
    out: &mut List<Diagnostic>,
) {
    // Whose identifier space: the sender of the PUBLISH/SUBSCRIBE/UNSUBSCRIBE.
    let owner = if t == PacketType::PUBREL {
        at.side
    } else {
        at.side.other()
    };
    let table = &mut l.flows[owner.index()];
    let Some(i) = table.find(id) else {
        return unknown_ack(l, owner, id, t, None, at, out);
    };
    let flow = table.at(i);
    match step(flow, t, failed, at.frame) {
        Step::Ignore => {}
        Step::Next(s) => flow.state = s,
        Step::Unknown => {
            let f = *flow;
            unknown_ack(l, owner, id, t, Some(f), at, out);
        }
        Step::Done => {
            let f = *flow;
            table.remove_at(i);
            if codes != f.filters {
                code_count(&f, t, codes, at, out);
            }
            if let Some(cap) = samples {
                let lat = l.latency(f.kind, owner);
                lat.add(seconds_between(f.ts, at.ts).max(0.0), cap);
                if failed {
                    lat.failed += 1;
                }
            }
        }
    }
}

/// A SUBACK/UNSUBACK with a code count other than the filter count of its request.
#[cold]
#[inline(never)]
fn code_count(f: &Flow, t: PacketType, codes: usize, at: &At<'_>, out: &mut List<Diagnostic>) {
    let range = wire::tail(at.bytes, codes);
    if t == PacketType::SUBACK {
        out.push(at.diag(
            &diag::SUBACK_CODE_COUNT,
            range,
            None,
            format!(
                "{codes} return/reason code(s) for the {} topic filter(s) of the SUBSCRIBE \
                 of frame {}: one code per filter, in order",
                f.filters, f.frame
            ),
        ));
    }
    if t == PacketType::UNSUBACK && at.v.is_v5() {
        out.push(at.diag(
            &diag::UNSUBACK_CODE_COUNT,
            range,
            None,
            format!(
                "{codes} reason code(s) for the {} topic filter(s) of the UNSUBSCRIBE \
                 of frame {}: one code per filter, in order",
                f.filters, f.frame
            ),
        ));
    }
}

/// An acknowledgement that matches no flow in flight (`entry`: a flow of another kind or
/// step with that identifier): a diagnostic.
#[cold]
#[inline(never)]
fn unknown_ack(
    l: &Live,
    owner: Side,
    id: u16,
    t: PacketType,
    entry: Option<Flow>,
    at: &At<'_>,
    out: &mut List<Diagnostic>,
) {
    let what = match t {
        PacketType::PUBACK => "QoS 1 PUBLISH",
        PacketType::PUBREC => "QoS 2 PUBLISH",
        PacketType::PUBREL => "QoS 2 PUBLISH answered by PUBREC",
        PacketType::PUBCOMP => "PUBREL",
        PacketType::SUBACK => "SUBSCRIBE",
        _ => "UNSUBSCRIBE",
    };
    let mut x = at.diag(
        &diag::ACK_UNKNOWN_ID,
        wire::id_after_header(at.bytes),
        Some("packet_id"),
        format!(
            "{t} for Packet Identifier {id}, but no {what} with that identifier is in \
             flight {}",
            dir_name(l.direction(owner))
        ),
    );
    if let Some(f) = &entry {
        x.message.push_str(&format!(
            " (identifier {id} belongs to the {} of frame {})",
            f.kind.name(),
            f.frame
        ));
    }
    if l.session_resumed || l.connect_frame.is_none() || !l.syn_seen {
        x.severity = Severity::Note;
        x.message.push_str(if l.session_resumed {
            ": the session was resumed, so the flow may have started on an earlier connection"
        } else {
            ": the capture may have started after the flow"
        });
    }
    out.push(x);
}

/// The rule a transport finding is about. MQTT over WebSocket is section 6 of both
/// versions and TLS is RFC 8446 (and 5246); bytes that cannot be framed or that end
/// inside a packet are about the fixed header's Remaining Length (§2.1.4 of 5.0, §2.2.3
/// of 3.1.1). Lost bytes, caps, retransmissions that differ and the capture file itself
/// break no MQTT rule: "-" (they were all "§2.1.4" before, which sent readers to the
/// wrong place).
fn transport_spec(id: &str) -> &'static str {
    match id {
        _ if id.starts_with("websocket") => "§6",
        _ if id.starts_with("tls") => "RFC 8446",
        "undecodable" | "undecodable-after-gap" | "incomplete" => "§2.1.4",
        _ => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_findings_name_the_rule_they_are_about() {
        assert_eq!(transport_spec("websocket-frame"), "§6");
        assert_eq!(transport_spec("tls-alert"), "RFC 8446");
        assert_eq!(transport_spec("undecodable"), "§2.1.4");
        assert_eq!(transport_spec("incomplete"), "§2.1.4");
        for id in [
            "capture-gap",
            "too-large",
            "truncated-record",
            "unknown-link-type",
            "transport",
        ] {
            assert_eq!(transport_spec(id), "-", "{id}");
        }
    }

    /// The whole-seconds test never spares a packet the exact one would flag.
    #[test]
    fn surely_within_agrees_with_the_exact_gap() {
        let nanos = [0, 1, 499_999_999, 500_000_000, 999_999_999];
        for ka in [0u16, 1, 2, 3, 10, 60, 65_535] {
            let limit = 1.5 * f64::from(ka);
            for secs in -3..=i64::from(ka) * 2 + 3 {
                for &na in &nanos {
                    for &nb in &nanos {
                        let last = Timestamp {
                            secs: 1_000,
                            nanos: na,
                        };
                        let ts = Timestamp {
                            secs: 1_000 + secs,
                            nanos: nb,
                        };
                        if surely_within(ka, last, ts) {
                            assert!(!(ka > 0 && seconds_between(last, ts) > limit));
                        }
                    }
                }
            }
            // Timestamps far apart (hostile captures) neither overflow nor get spared.
            let (lo, hi) = (
                Timestamp {
                    secs: i64::MIN,
                    nanos: 0,
                },
                Timestamp {
                    secs: i64::MAX,
                    nanos: 0,
                },
            );
            let _ = surely_within(ka, lo, hi);
            let _ = surely_within(ka, hi, lo);
        }
        // Just past 1.5 × keep alive: not spared.
        let last = Timestamp { secs: 0, nanos: 0 };
        assert!(!surely_within(60, last, Timestamp { secs: 90, nanos: 1 }));
        assert!(surely_within(60, last, Timestamp { secs: 89, nanos: 0 }));
    }
}
