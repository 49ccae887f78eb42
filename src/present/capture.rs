//! Printing what a capture holds: one summary line per MQTT packet (a table on a
//! terminal), the full field tree with `-V`, or JSON records. Printers stream: memory does
//! not grow with the capture (the terminal table is flushed every few hundred rows).

use super::advice::{protocol_version_remedy, ClientRequest};
use super::line::{
    details, digits, frame_time_block, pad, problems, push_num, write_details, write_problems,
    write_time, Line,
};
use super::{json, jsonw, pretty, Options, PacketReport};
use crate::codec::Direction;
use crate::codec::PacketType;
use crate::dissect::capture::{
    ConnInfo, ConnKind, DissectSummary, EventKind, EventRecord, PacketRecord, Record,
};
use crate::dissect::fasthash::FastSet;
use crate::dissect::tls_decrypt::{alert_name, suite_name, version_name, TlsNote};
use crate::dissect::version::VersionSource;
use crate::dissect::websocket::WsNote;
use crate::transport::tunnel::TunnelCounts;
use crate::transport::{CaptureSummary, Endpoint, Timestamp};
use serde_json::{json, Value as J};
use std::io::{self, Write};

/// Rows of the terminal table printed at once.
const TABLE_BATCH: usize = 500;

/// One packet as a report for the shared printers (tree, JSON), with its advice.
pub fn packet_report<'a>(p: &PacketRecord<'a>, index: usize) -> PacketReport<'a> {
    let mut r = PacketReport::new(index, p.stream_offset as usize, p.assumed.decoded.clone());
    r.source = p.assumed.source;
    r.version_reason = p.assumed.reason.clone();
    r.alternative = p.assumed.alternative.as_deref().cloned();
    r.advice = advice(p);
    r
}

/// Troubleshooting advice for a packet (the protocol-version remedy of a refused CONNECT).
fn advice(p: &PacketRecord<'_>) -> Vec<String> {
    let client = p.conn.connect_level.map(|(level, mqisdp)| ClientRequest {
        level,
        name_is_mqisdp: mqisdp,
        index: 0,
    });
    protocol_version_remedy(&p.assumed.decoded, client)
}

fn seconds(ts: Timestamp, start: Timestamp) -> f64 {
    (ts.secs - start.secs) as f64 + (f64::from(ts.nanos) - f64::from(start.nanos)) / 1e9
}

fn arrow(d: Option<Direction>) -> &'static str {
    match d {
        Some(Direction::ClientToServer) => "→",
        Some(Direction::ServerToClient) => "←",
        None => "?",
    }
}

/// The connection as a legend line: `#1 client 127.0.0.1:40212 → broker 127.0.0.1:1883 (…)`.
pub fn legend(c: &ConnInfo) -> String {
    let how = if c.syn_seen {
        "TCP handshake seen"
    } else {
        "picked up mid-stream"
    };
    let inside = c
        .tunnel
        .map_or(String::new(), |t| format!(", first frame inside {t}"));
    match (c.client(), c.server()) {
        (Some(cl), Some(sv)) => format!(
            "#{} client {cl} → broker {sv} ({how}; roles from {:?}){}{inside}",
            c.id,
            c.client_basis,
            over(c)
        ),
        _ => format!(
            "#{} {} ↔ {} ({how}; roles unknown){}{inside}",
            c.id,
            c.a,
            c.b,
            over(c)
        ),
    }
}

/// How MQTT travels, for the legend: nothing for plain TCP.
fn over(c: &ConnInfo) -> String {
    if let Some(w) = &c.websocket {
        if !w.handshake {
            return " over WebSocket (handshake not captured)".to_string();
        }
        let proto = w
            .subprotocol
            .as_deref()
            .map_or(String::new(), |p| format!(", subprotocol \"{p}\""));
        format!(
            " over WebSocket ws://{}{}{proto}",
            w.host.as_deref().unwrap_or("?"),
            w.path
        )
    } else if let Some(t) = c.tls {
        let sni = c
            .sni
            .as_deref()
            .map_or(String::new(), |n| format!(", server name \"{n}\""));
        format!(
            " over {} (decrypted with the key log, {}{sni})",
            version_name(t.version),
            suite_name(t.suite)
        )
    } else if c.kind == ConnKind::Tls {
        match &c.sni {
            Some(n) => format!(" over TLS (encrypted, server name \"{n}\")"),
            None => " over TLS (encrypted)".to_string(),
        }
    } else {
        String::new()
    }
}

fn event_label(k: &EventKind) -> &'static str {
    match k {
        EventKind::Gap { .. } => "(gap)",
        EventKind::Undecodable { .. } => "(undecodable)",
        EventKind::TooLarge { .. } => "(too large)",
        EventKind::Incomplete { .. } => "(incomplete)",
        EventKind::Tls { .. } => "(TLS)",
        EventKind::TlsDecryption { note } => match note {
            TlsNote::Alert { .. } => "(TLS alert)",
            _ => "(TLS)",
        },
        EventKind::WebSocket { .. } => "(WebSocket)",
        EventKind::WebSocketNotUpgraded { .. } => "(WebSocket)",
        EventKind::WebSocketWithoutHandshake => "(WebSocket)",
        EventKind::WebSocketSubprotocol { .. } => "(WebSocket)",
        EventKind::WebSocketFrame { note } => match note {
            WsNote::Ping { .. } => "(WS ping)",
            WsNote::Pong { .. } => "(WS pong)",
            WsNote::Close { .. } => "(WS close)",
            WsNote::Text => "(WS text)",
            _ => "(WebSocket)",
        },
        EventKind::Closed { .. } => "(closed)",
        EventKind::UnknownLinkType { .. } => "(link type)",
        EventKind::TruncatedRecord { .. } => "(truncated)",
        EventKind::Transport { .. } => "(transport)",
    }
}

/// True for events that are problems (shown with `--problems`), not just notes.
pub fn event_is_problem(k: &EventKind) -> bool {
    k.is_problem()
}

/// Prints records as they come.
pub trait CapturePrinter {
    /// Starts a capture file.
    fn begin(&mut self, file: &str) -> io::Result<()>;
    /// One record.
    fn record(&mut self, r: &Record<'_>) -> io::Result<()>;
    /// Ends the capture file.
    fn end(&mut self, file: &str, cap: &CaptureSummary, dis: &DissectSummary) -> io::Result<()>;
}

/// The default output: a line per packet, a legend line per connection.
pub struct SummaryPrinter<W: Write> {
    w: W,
    opts: Options,
    verbose: bool,
    table: bool,
    seen: FastSet<u64>,
    /// The connection of the last legend check.
    last_legend: Option<u64>,
    rows: Vec<Vec<String>>,
    legends: Vec<String>,
    index: usize,
    assumed_note: bool,
    /// Lines not yet written to `w` (the line being written last): written in blocks of
    /// [`FLUSH_AT`] bytes, one copy instead of one per line.
    pending: Line,
    /// The frame and time columns of the last line.
    frame_time: FrameTimeCols,
    /// The connection, direction and client id columns, by connection.
    conn_cols: ConnCols,
    /// The packet column of each packet type.
    names: NameCols,
}

/// Bytes of pending lines written to the output at once: enough to make a copy per line a
/// copy per block. (Larger blocks gain nothing, and from 4 KiB on glibc's `memcpy` uses
/// `rep movsb`, which callgrind counts per byte: instruction counts would mislead.)
const FLUSH_AT: usize = 2 * 1024;

const HEADER: [&str; 8] = [
    "frame",
    "time",
    "conn",
    "dir",
    "client id",
    "packet",
    "details",
    "problems",
];

/// The frame and time columns of a summary line (and the space after each).
fn write_frame_time(line: &mut Line, p: &PacketRecord<'_>) {
    if p.first_frame == p.frame {
        push_num(line, p.frame, 7);
    } else {
        let width = digits(p.first_frame) + 1 + digits(p.frame);
        pad(line, 7usize.saturating_sub(width));
        push_num(line, p.first_frame, 0);
        line.push('-');
        push_num(line, p.frame, 0);
    }
    line.push(' ');
    write_time(line, p.ts, p.start);
    line.push(' ');
}

/// The connection, direction and client id columns of a summary line.
fn write_conn_cols(line: &mut Line, c: &ConnInfo, direction: Option<Direction>) {
    pad(line, 4usize.saturating_sub(digits(c.id) + 1));
    line.push('#');
    push_num(line, c.id, 0);
    line.push(' ');
    line.push_str(arrow(direction));
    line.push(' ');
    let id = c.client_id.as_deref().unwrap_or("-");
    if id.len() <= 16 && id.is_ascii() {
        line.push_str(id);
        pad(line, 16 - id.len());
    } else {
        let mut n = 0;
        for (i, c) in id.chars().enumerate() {
            if i == 15 && id.chars().nth(16).is_some() {
                line.push('…');
                n += 1;
                break;
            }
            line.push(c);
            n += 1;
        }
        pad(line, 16usize.saturating_sub(n));
    }
}

/// Columns as written once, copied as one fixed-size block while what they show stays the
/// same.
struct Cols {
    bytes: [u8; 32],
    len: usize,
}

impl Cols {
    /// What `line` holds from `start` on, when it fits.
    fn copy(line: &Line, start: usize) -> Option<Cols> {
        let len = line.len().checked_sub(start).filter(|&n| n <= 32)?;
        let bytes = *line.window::<32>(start)?;
        Some(Cols { bytes, len })
    }

    #[inline]
    fn write(&self, line: &mut Line) {
        line.block(&self.bytes, self.len);
    }

    /// Writes the columns with `write`, and keeps them in `slot` for the next time: the
    /// cache misses, kept out of the way of the hits.
    #[cold]
    #[inline(never)]
    fn fill<K>(
        slot: &mut Option<(K, Cols)>,
        key: K,
        line: &mut Line,
        write: impl FnOnce(&mut Line),
    ) {
        let start = line.len();
        write(line);
        *slot = Cols::copy(line, start).map(|c| (key, c));
    }
}

/// The frame and time columns of the last line: the packets of a frame share them.
#[derive(Default)]
struct FrameTimeCols {
    last: Option<(FrameKey, Cols)>,
}

/// What the frame and time columns depend on.
type FrameKey = (u64, u64, Timestamp, Timestamp);

fn key(p: &PacketRecord<'_>) -> FrameKey {
    (p.first_frame, p.frame, p.ts, p.start)
}

impl FrameTimeCols {
    /// Inlined: most lines share their frame with the line before.
    #[inline(always)]
    fn write(&mut self, line: &mut Line, p: &PacketRecord<'_>) {
        match &self.last {
            Some((k, cols)) if *k == key(p) => cols.write(line),
            _ => self.write_new(line, p),
        }
    }

    #[inline(never)]
    fn write_new(&mut self, line: &mut Line, p: &PacketRecord<'_>) {
        let block = frame_time_block(p.frame, p.ts, p.start).filter(|_| p.first_frame == p.frame);
        let cols = match block {
            Some(bytes) => Cols { bytes, len: 20 },
            None => return Cols::fill(&mut self.last, key(p), line, |l| write_frame_time(l, p)),
        };
        cols.write(line);
        self.last = Some((key(p), cols));
    }
}

/// The connection columns of recent connections: every line has them, and the client id's
/// width is counted in characters. Direct-mapped by connection id and direction, so memory
/// stays bounded however many connections a capture has.
struct ConnCols {
    slots: Box<[Option<(ConnKey, Cols)>; SLOTS]>,
}

/// Connections in [`ConnCols`].
const SLOTS: usize = 256;

/// What the connection columns depend on: the connection (id and revision) and direction.
type ConnKey = (u64, u64, Option<Direction>);

impl ConnCols {
    fn new() -> Self {
        ConnCols {
            slots: Box::new(std::array::from_fn(|_| None)),
        }
    }

    /// Forgets every connection (ids start again in each capture file).
    fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
    }

    /// Writes the columns; true when they were cached, so a line of the connection was
    /// printed before (in this capture file).
    #[inline]
    fn write(&mut self, line: &mut Line, c: &ConnInfo, direction: Option<Direction>) -> bool {
        let key = (c.id, c.rev, direction);
        let dir = match direction {
            Some(Direction::ClientToServer) => 0,
            Some(Direction::ServerToClient) => 1,
            None => 2,
        };
        let slot =
            &mut self.slots[(c.id.wrapping_mul(3).wrapping_add(dir) % SLOTS as u64) as usize];
        match slot {
            Some((k, cols)) if *k == key => {
                cols.write(line);
                true
            }
            _ => {
                Cols::fill(slot, key, line, |l| write_conn_cols(l, c, direction));
                false
            }
        }
    }
}

/// The packet column (a space, the packet type's name, padding to 12 columns) of every
/// packet type, for one fixed-size copy per line.
struct NameCols {
    /// By packet type; the reserved type 0 first.
    cols: Vec<([u8; 16], usize)>,
}

impl NameCols {
    fn new() -> Self {
        let cols = (0..16)
            .map(|t| {
                let name = PacketType(t).name().unwrap_or("Reserved");
                let mut col = [b' '; 16];
                col[1..=name.len()].copy_from_slice(name.as_bytes());
                (col, name.len())
            })
            .collect();
        NameCols { cols }
    }

    /// The column, with `*` after the name when the version was `assumed`.
    #[inline]
    fn write(&self, line: &mut Line, t: PacketType, assumed: bool) {
        // Types above 15 are reserved too.
        let Some(&(mut col, len)) = self.cols.get(usize::from(t.0)).or(self.cols.first()) else {
            return;
        };
        if assumed {
            col[1 + len] = b'*';
        }
        line.block(&col, 13);
    }
}

impl<W: Write> SummaryPrinter<W> {
    /// The output, with everything printed so far written to it (to take what was printed
    /// when it is a buffer).
    pub fn flushed_writer(&mut self) -> io::Result<&mut W> {
        self.out()
    }

    /// Writes the pending lines to the output.
    fn flush_pending(&mut self) -> io::Result<()> {
        let r = self.w.write_all(self.pending.as_bytes());
        self.pending.clear();
        r
    }

    /// The output, for writing to it directly: the pending lines go first.
    fn out(&mut self) -> io::Result<&mut W> {
        self.flush_pending()?;
        Ok(&mut self.w)
    }

    /// `table`: a comfy-table (for terminals); else aligned plain lines.
    pub fn new(w: W, opts: Options, verbose: bool, table: bool) -> Self {
        SummaryPrinter {
            w,
            opts,
            verbose,
            table: table && !verbose,
            seen: FastSet::default(),
            last_legend: None,
            rows: Vec::new(),
            legends: Vec::new(),
            index: 0,
            assumed_note: false,
            pending: Line::default(),
            frame_time: FrameTimeCols::default(),
            conn_cols: ConnCols::new(),
            names: NameCols::new(),
        }
    }

    /// One packet as a plain aligned line, written without allocating: the summary of a
    /// capture with millions of packets spends its time here.
    fn packet_line(&mut self, p: &PacketRecord<'_>, assumed: bool) -> io::Result<()> {
        let line = &mut self.pending;
        let start = line.len();
        let d = &p.assumed.decoded;
        self.frame_time.write(line, p);
        let known = self.conn_cols.write(line, p.conn, p.direction);
        self.names.write(line, d.packet_type, assumed);
        write_details(line, d);
        if !d.diagnostics.is_empty() {
            let before = line.len();
            line.push_str("  ! ");
            write_problems(line, d);
            if line.len() == before + 4 {
                line.truncate(before);
            }
        }
        line.trim_end();
        line.push('\n');
        // A connection whose columns were cached has had its legend: skip the check.
        if !known {
            self.conn_legend(p.conn, start);
        }
        if self.pending.len() >= FLUSH_AT {
            self.flush_pending()?;
        }
        Ok(())
    }

    /// Introduces the connection if it is new: a legend line in the pending lines at
    /// `at` (before the line that needs it), or with the table's legends.
    fn conn_legend(&mut self, c: &ConnInfo, at: usize) {
        // Runs of packets of one connection are the rule: skip the hash for them.
        if self.last_legend == Some(c.id) {
            return;
        }
        self.last_legend = Some(c.id);
        if self.seen.insert(c.id) {
            let l = legend(c);
            if self.table {
                self.legends.push(l);
            } else {
                self.pending.insert(at, &format!("# {l}\n"));
            }
        }
    }

    /// The packet's field tree after its line (`-V`).
    fn verbose_packet(&mut self, p: &PacketRecord<'_>) -> io::Result<()> {
        let report = packet_report(p, self.index);
        let opts = self.opts;
        let w = self.out()?;
        pretty::write_packet(w, &report, &opts)?;
        writeln!(w)
    }

    fn row(&mut self, cells: Vec<String>) -> io::Result<()> {
        if self.table {
            self.rows.push(cells);
            if self.rows.len() >= TABLE_BATCH {
                self.flush_table()?;
            }
            Ok(())
        } else {
            let c = &cells;
            let line = format!(
                "{:>7} {:>11} {:>4} {} {:<16} {:<11} {}{}",
                c[0],
                c[1],
                c[2],
                c[3],
                truncate(&c[4], 16),
                c[5],
                c[6],
                if c[7].is_empty() {
                    String::new()
                } else {
                    format!("  ! {}", c[7])
                }
            );
            self.pending.push_str(line.trim_end());
            self.pending.push('\n');
            Ok(())
        }
    }

    fn flush_table(&mut self) -> io::Result<()> {
        self.flush_pending()?;
        for l in self.legends.drain(..) {
            writeln!(self.w, "{l}")?;
        }
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY);
        t.set_header(HEADER);
        for r in self.rows.drain(..) {
            t.add_row(r);
        }
        super::fit_width(&mut t);
        writeln!(self.w, "{t}")
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn frames(p: &PacketRecord<'_>) -> String {
    if p.first_frame == p.frame {
        p.frame.to_string()
    } else {
        format!("{}-{}", p.first_frame, p.frame)
    }
}

impl<W: Write> CapturePrinter for SummaryPrinter<W> {
    fn begin(&mut self, file: &str) -> io::Result<()> {
        // Connection numbers start again with each file, and so do their legends.
        self.seen.clear();
        self.last_legend = None;
        self.conn_cols.clear();
        self.index = 0;
        let table = self.table;
        let w = self.out()?;
        if !table {
            writeln!(w, "# {file}")?;
            // Same widths as the rows below.
            writeln!(
                w,
                "  frame        time conn dir client id        packet      details  ! problems"
            )?;
        } else {
            writeln!(w, "{file}")?;
        }
        Ok(())
    }

    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        match r {
            Record::Packet(p) => {
                self.index += 1;
                let d = &p.assumed.decoded;
                let assumed = p.assumed.source == VersionSource::Auto;
                self.assumed_note |= assumed;
                if !self.table {
                    self.packet_line(p, assumed)?;
                    if self.verbose {
                        self.verbose_packet(p)?;
                    }
                    return Ok(());
                }
                self.conn_legend(p.conn, self.pending.len());
                let mut name = d.packet_type.to_string();
                if assumed {
                    name.push('*');
                }
                let cells = vec![
                    frames(p),
                    format!("{:.6}", seconds(p.ts, p.start)),
                    format!("#{}", p.conn.id),
                    arrow(p.direction).to_string(),
                    p.conn.client_id.clone().unwrap_or_else(|| "-".into()),
                    name,
                    details(d),
                    problems(d),
                ];
                self.row(cells)?;
                if self.verbose {
                    self.verbose_packet(p)?;
                }
                Ok(())
            }
            Record::Event(e) => {
                if let Some(c) = e.conn {
                    self.conn_legend(c, self.pending.len());
                }
                let cells = vec![
                    e.frame.to_string(),
                    e.ts.map(|t| format!("{:.6}", seconds(t, e.start)))
                        .unwrap_or_default(),
                    e.conn.map(|c| format!("#{}", c.id)).unwrap_or_default(),
                    e.side
                        .and_then(|s| e.conn.map(|c| arrow(c.direction(s))))
                        .unwrap_or(" ")
                        .to_string(),
                    e.conn
                        .and_then(|c| c.client_id.clone())
                        .unwrap_or_else(|| "-".into()),
                    event_label(&e.kind).to_string(),
                    e.message.clone(),
                    String::new(),
                ];
                self.row(cells)
            }
        }
    }

    fn end(&mut self, _file: &str, cap: &CaptureSummary, dis: &DissectSummary) -> io::Result<()> {
        if self.table {
            self.flush_table()?;
        }
        let assumed_note = self.assumed_note;
        let w = self.out()?;
        if assumed_note {
            writeln!(
                w,
                "* version assumed, not given by a CONNECT of the connection (-V or --format json says why)"
            )?;
        }
        let ws = match (dis.websocket_connections, dis.tls_decrypted) {
            (0, 0) => String::new(),
            (w, 0) => format!(" ({w} over WebSocket)"),
            (0, t) => format!(" ({t} over TLS, decrypted)"),
            (w, t) => format!(" ({w} over WebSocket, {t} over TLS, decrypted)"),
        };
        let tls = if dis.tls_connections > 0 {
            format!(
                " ({} byte(s) client→server, {} server→client, encrypted)",
                dis.tls_bytes_to_server, dis.tls_bytes_to_client
            )
        } else {
            String::new()
        };
        let tunnels = tunnel_note(&cap.tunnels);
        writeln!(
            w,
            "{} frames{tunnels}, {} TCP connections ({} MQTT{ws}, {} TLS{tls}, {} other), {} MQTT packets ({} with errors), {} byte(s) undecodable, {} byte(s) lost in gaps",
            cap.frames,
            dis.connections,
            dis.mqtt_connections,
            dis.tls_connections,
            dis.other_connections,
            dis.packets,
            dis.packets_with_errors,
            dis.undecodable_bytes,
            dis.gap_bytes
        )
    }
}

/// `" (40 packets out of tunnels: VXLAN 40)"`, or nothing when no frame held a tunnel.
fn tunnel_note(t: &TunnelCounts) -> String {
    let kinds: Vec<String> = t.named().iter().map(|(k, n)| format!("{k} {n}")).collect();
    let deep = match t.too_deep {
        0 => String::new(),
        n => format!("; {n} nested too deep, not decoded"),
    };
    if kinds.is_empty() && deep.is_empty() {
        return String::new();
    }
    format!(
        " ({} packet(s) out of tunnels: {}{deep})",
        t.total(),
        kinds.join(", ")
    )
}

fn ts_json(ts: Timestamp) -> J {
    J::String(ts.to_string())
}

/// The JSON object of a connection, for the rare records (events); packet records write it
/// with [`ConnJson`].
fn conn_json(c: &ConnInfo) -> J {
    let mut out = Vec::new();
    write_conn_head(&mut out, c);
    write_conn_bytes(&mut out, c);
    serde_json::from_slice(&out).unwrap_or(J::Null)
}

/// The connection object up to its byte counters: `{"id":…,"bytes":{"from_a":`.
fn write_conn_head(out: &mut Vec<u8>, c: &ConnInfo) {
    let endpoint = |out: &mut Vec<u8>, e: Option<Endpoint>| match e {
        Some(e) => jsonw::str(out, &e.to_string()),
        None => out.extend_from_slice(b"null"),
    };
    out.extend_from_slice(b"{\"id\":");
    jsonw::uint(out, c.id);
    out.extend_from_slice(b",\"client\":");
    endpoint(out, c.client());
    out.extend_from_slice(b",\"server\":");
    endpoint(out, c.server());
    out.extend_from_slice(b",\"a\":");
    endpoint(out, Some(c.a));
    out.extend_from_slice(b",\"b\":");
    endpoint(out, Some(c.b));
    out.extend_from_slice(b",\"roles_from\":");
    jsonw::str(out, &format!("{:?}", c.client_basis).to_lowercase());
    out.extend_from_slice(b",\"syn_seen\":");
    jsonw::bool(out, c.syn_seen);
    out.extend_from_slice(b",\"client_id\":");
    jsonw::opt_str(out, c.client_id.as_deref());
    out.extend_from_slice(b",\"username\":");
    jsonw::opt_str(out, c.username.as_deref());
    out.extend_from_slice(b",\"keep_alive\":");
    match c.keep_alive {
        Some(k) => jsonw::uint(out, k),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"version\":");
    jsonw::opt_str(out, c.version.map(json::version_str));
    out.extend_from_slice(b",\"transport\":");
    jsonw::str(
        out,
        match (c.kind, &c.websocket, c.tls) {
            (_, Some(_), _) => "websocket",
            (ConnKind::Tls, _, _) | (_, _, Some(_)) => "tls",
            _ => "tcp",
        },
    );
    out.extend_from_slice(b",\"encrypted\":");
    jsonw::bool(out, c.kind == ConnKind::Tls);
    out.extend_from_slice(b",\"sni\":");
    jsonw::opt_str(out, c.sni.as_deref());
    if let Some(t) = c.tls {
        // Only on decrypted connections: other records keep their shape.
        out.extend_from_slice(b",\"tls\":{\"version\":");
        jsonw::str(out, &version_name(t.version));
        out.extend_from_slice(b",\"suite\":");
        jsonw::str(out, &suite_name(t.suite));
        out.extend_from_slice(b",\"decrypted\":true}");
    }
    if let Some(t) = c.tunnel {
        // Only for connections out of tunnels, like "tls": the frame that opened it.
        out.extend_from_slice(b",\"tunnel\":{\"kind\":");
        jsonw::str(out, t.kind.name());
        out.extend_from_slice(b",\"id\":");
        match t.id {
            Some(id) => jsonw::uint(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"websocket\":");
    match &c.websocket {
        None => out.extend_from_slice(b"null"),
        Some(w) => {
            out.extend_from_slice(b"{\"handshake\":");
            jsonw::bool(out, w.handshake);
            out.extend_from_slice(b",\"path\":");
            jsonw::str(out, &w.path);
            out.extend_from_slice(b",\"host\":");
            jsonw::opt_str(out, w.host.as_deref());
            out.extend_from_slice(b",\"offered\":");
            jsonw::str_array(out, &w.offered);
            out.extend_from_slice(b",\"subprotocol\":");
            jsonw::opt_str(out, w.subprotocol.as_deref());
            out.extend_from_slice(b",\"frames\":{\"from_a\":");
            jsonw::uint(out, w.frames[0]);
            out.extend_from_slice(b",\"from_b\":");
            jsonw::uint(out, w.frames[1]);
            out.extend_from_slice(b"}}");
        }
    }
    out.extend_from_slice(b",\"bytes\":{\"from_a\":");
}

/// The rest of the connection object: the byte counters, which change with every packet.
fn write_conn_bytes(out: &mut Vec<u8>, c: &ConnInfo) {
    jsonw::uint(out, c.bytes[0]);
    out.extend_from_slice(b",\"from_b\":");
    jsonw::uint(out, c.bytes[1]);
    out.extend_from_slice(b"}}");
}

/// True when `a` and `b` render the same [`write_conn_head`] (which shows the WebSocket
/// frame counts, unlike the other counters).
fn same_conn_head(a: &ConnInfo, b: &ConnInfo) -> bool {
    let frames = |c: &ConnInfo| c.websocket.as_ref().map(|w| w.frames);
    a.same_but_counters(b) && frames(a) == frames(b)
}

/// A connection's JSON, rendered once and reused while the connection stays the same (its
/// byte counters aside): most packet records of a connection repeat the same object.
struct ConnJson {
    /// What it was rendered from.
    info: ConnInfo,
    /// [`write_conn_head`].
    head: Vec<u8>,
    /// The endpoints as JSON strings (`src`, `dst`), by side index.
    endpoints: [Vec<u8>; 2],
}

impl ConnJson {
    fn new(c: &ConnInfo) -> Self {
        let mut head = Vec::new();
        write_conn_head(&mut head, c);
        let endpoint = |e: Endpoint| {
            let mut out = Vec::new();
            jsonw::str(&mut out, &e.to_string());
            out
        };
        ConnJson {
            info: c.clone(),
            head,
            endpoints: [endpoint(c.a), endpoint(c.b)],
        }
    }
}

/// Connections with a rendered [`ConnJson`]: direct-mapped by id, so memory stays bounded
/// however many connections a capture has.
struct ConnCache {
    slots: Vec<Option<ConnJson>>,
}

impl ConnCache {
    const SLOTS: usize = 256;

    fn new() -> Self {
        ConnCache {
            slots: (0..Self::SLOTS).map(|_| None).collect(),
        }
    }

    /// The rendered connection, rendered again if it changed or is not cached.
    fn get(&mut self, c: &ConnInfo) -> &ConnJson {
        let slot = &mut self.slots[(c.id % Self::SLOTS as u64) as usize];
        if !slot.as_ref().is_some_and(|j| same_conn_head(&j.info, c)) {
            *slot = Some(ConnJson::new(c));
        }
        slot.get_or_insert_with(|| ConnJson::new(c))
    }
}

/// `"seconds.nanoseconds"`, as [`Timestamp`]'s `Display` writes it.
fn write_timestamp(out: &mut Vec<u8>, ts: Timestamp) {
    out.push(b'"');
    jsonw::int(out, ts.secs);
    out.push(b'.');
    let mut digits = itoa::Buffer::new();
    let nanos = digits.format(ts.nanos);
    out.extend(std::iter::repeat_n(
        b'0',
        9usize.saturating_sub(nanos.len()),
    ));
    out.extend_from_slice(nanos.as_bytes());
    out.push(b'"');
}

/// A packet record, straight into `out` (no serde structs, no copy of the decoded packet).
fn write_packet_record(
    out: &mut Vec<u8>,
    writer: &mut json::PacketWriter,
    p: &PacketRecord<'_>,
    index: usize,
    opts: &Options,
    conn: &ConnJson,
) {
    out.extend_from_slice(b"{\"record\":\"packet\",\"frame\":");
    jsonw::uint(out, p.frame);
    out.extend_from_slice(b",\"first_frame\":");
    jsonw::uint(out, p.first_frame);
    out.extend_from_slice(b",\"timestamp\":");
    write_timestamp(out, p.ts);
    out.extend_from_slice(b",\"time\":");
    jsonw::float(out, seconds(p.ts, p.start));
    out.extend_from_slice(b",\"connection\":");
    out.extend_from_slice(&conn.head);
    write_conn_bytes(out, p.conn);
    out.extend_from_slice(b",\"src\":");
    out.extend_from_slice(&conn.endpoints[p.side.index()]);
    out.extend_from_slice(b",\"dst\":");
    out.extend_from_slice(&conn.endpoints[p.side.other().index()]);
    out.extend_from_slice(b",\"direction\":");
    out.extend_from_slice(match p.direction {
        Some(Direction::ClientToServer) => b"\"client_to_server\"",
        Some(Direction::ServerToClient) => b"\"server_to_client\"",
        None => b"null",
    });
    out.extend_from_slice(b",\"stream_offset\":");
    jsonw::uint(out, p.stream_offset);
    out.extend_from_slice(b",\"version\":");
    out.extend_from_slice(json::version_json(p.assumed.decoded.version));
    out.extend_from_slice(b",\"version_assumed\":");
    jsonw::bool(out, p.assumed.source == VersionSource::Auto);
    out.extend_from_slice(b",\"packet\":");
    let advice = advice(p);
    let view = json::PacketView {
        index,
        offset: p.stream_offset as usize,
        decoded: &p.assumed.decoded,
        source: p.assumed.source,
        direction: None,
        version_reason: p.assumed.reason.as_deref(),
        alternative: p.assumed.alternative.as_deref(),
        incomplete: None,
        roundtrip: None,
        advice: &advice,
    };
    writer.write(out, &view, opts);
    out.push(b'}');
}

fn direction_json(d: Option<Direction>) -> J {
    match d {
        Some(Direction::ClientToServer) => json!("client_to_server"),
        Some(Direction::ServerToClient) => json!("server_to_client"),
        None => J::Null,
    }
}

/// The JSON form of a record.
pub fn record_json(r: &Record<'_>, index: usize, opts: &Options) -> J {
    match r {
        Record::Packet(p) => {
            let mut out = Vec::new();
            write_packet_record(
                &mut out,
                &mut json::PacketWriter::new(),
                p,
                index,
                opts,
                &ConnJson::new(p.conn),
            );
            serde_json::from_slice(&out).unwrap_or(J::Null)
        }
        Record::Event(e) => event_json(e),
    }
}

fn event_json(e: &EventRecord<'_>) -> J {
    let (kind, extra) = match &e.kind {
        EventKind::Gap {
            len,
            seq_start,
            seq_end,
            reason,
        } => (
            "gap",
            json!({"len": len, "seq_start": seq_start, "seq_end": seq_end, "reason": format!("{reason:?}")}),
        ),
        EventKind::Undecodable { len, reason } => (
            "undecodable",
            json!({"len": len, "reason": format!("{reason:?}")}),
        ),
        EventKind::TooLarge { len, cap } => ("too_large", json!({"len": len, "cap": cap})),
        EventKind::Incomplete { have, total } => {
            ("incomplete", json!({"have": have, "total": total}))
        }
        EventKind::Tls { sni } => ("tls", json!({"sni": sni})),
        EventKind::TlsDecryption { note } => ("tls_decryption", tls_note_json(note)),
        EventKind::WebSocket {
            path,
            host,
            subprotocol,
        } => (
            "websocket",
            json!({"path": path, "host": host, "subprotocol": subprotocol}),
        ),
        EventKind::WebSocketNotUpgraded { status } => {
            ("websocket_not_upgraded", json!({"status": status}))
        }
        EventKind::WebSocketWithoutHandshake => ("websocket_without_handshake", json!({})),
        EventKind::WebSocketSubprotocol { offered, selected } => (
            "websocket_subprotocol",
            json!({"offered": offered, "selected": selected}),
        ),
        EventKind::WebSocketFrame { note } => ("websocket_frame", ws_note_json(note)),
        EventKind::Closed { kind } => ("closed", json!({"how": format!("{kind:?}")})),
        EventKind::UnknownLinkType { linktype } => {
            ("unknown_link_type", json!({"linktype": linktype}))
        }
        EventKind::TruncatedRecord { available } => {
            ("truncated_record", json!({"available": available}))
        }
        EventKind::Transport { what } => ("transport", json!({"what": what})),
    };
    json!({
        "record": "event",
        "kind": kind,
        "frame": e.frame,
        "timestamp": e.ts.map(ts_json),
        "connection": e.conn.map(conn_json),
        "src": e.side.and_then(|s| e.conn.map(|c| c.endpoint(s).to_string())),
        "dst": e.side.and_then(|s| e.conn.map(|c| c.endpoint(s.other()).to_string())),
        "direction": e.side.and_then(|s| e.conn.map(|c| direction_json(c.direction(s)))),
        "stream_offset": e.offset,
        "details": extra,
        "message": e.message,
    })
}

fn tls_note_json(n: &TlsNote) -> J {
    match n {
        TlsNote::Decrypting { version, suite } => json!({
            "what": "decrypting", "version": version_name(*version), "suite": suite_name(*suite),
        }),
        TlsNote::NoKey { client_random } => {
            json!({"what": "no_key", "client_random": client_random})
        }
        TlsNote::UnsupportedSuite { version, suite } => json!({
            "what": "unsupported_suite", "version": version_name(*version), "suite": suite_name(*suite),
        }),
        TlsNote::DecryptFailed { record } => json!({"what": "decrypt_failed", "record": record}),
        TlsNote::RecordError { what } => json!({"what": "record_error", "error": what}),
        TlsNote::Alert { level, description } => json!({
            "what": "alert", "level": level, "description": description,
            "name": alert_name(*description),
        }),
    }
}

fn ws_note_json(n: &WsNote) -> J {
    match n {
        WsNote::Text => json!({"what": "text", "spec": "MQTT-6.0.0-1"}),
        WsNote::Ping { len } => json!({"what": "ping", "len": len}),
        WsNote::Pong { len } => json!({"what": "pong", "len": len}),
        WsNote::Close { code, reason } => json!({
            "what": "close",
            "code": code,
            "code_name": code.map(crate::dissect::capture::close_code_name),
            "reason": reason,
        }),
        WsNote::Masking { masked } => json!({"what": "masking", "masked": masked}),
        WsNote::Violation { what } => json!({"what": "protocol_error", "error": what}),
        WsNote::Compressed { len } => json!({"what": "compressed", "len": len}),
        WsNote::ReservedOpcode { opcode, len } => {
            json!({"what": "reserved_opcode", "opcode": opcode, "len": len})
        }
        WsNote::BadLength { len } => json!({"what": "bad_length", "len": len}),
    }
}

/// The JSON form of the end-of-file summary.
pub fn summary_json(file: &str, cap: &CaptureSummary, dis: &DissectSummary) -> J {
    json!({
        "record": "summary",
        "file": file,
        "format": cap.format,
        "frames": cap.frames,
        "captured_bytes": cap.captured_bytes,
        "truncated_last_record": cap.truncated_last_record,
        "stopped_after_frame": cap.stopped_after_frame,
        "unknown_linktype_frames": cap.unknown_linktype_frames,
        "non_ip_frames": cap.non_ip_frames,
        "non_tcp_packets": cap.non_tcp_packets,
        "truncated_frames": cap.truncated_frames,
        "tunnels": {
            "ip_in_ip": cap.tunnels.ip_in_ip,
            "gre": cap.tunnels.gre,
            "erspan": cap.tunnels.erspan,
            "vxlan": cap.tunnels.vxlan,
            "geneve": cap.tunnels.geneve,
            "too_deep": cap.tunnels.too_deep,
        },
        "tcp": {
            "segments": cap.tcp.segments,
            "payload_bytes": cap.tcp.payload_bytes,
            "delivered_bytes": cap.tcp.delivered_bytes,
            "gap_bytes": cap.tcp.gap_bytes,
            "retransmitted_bytes": cap.tcp.retransmitted_bytes,
            "overlap_bytes": cap.tcp.overlap_bytes,
            "connections": cap.tcp.connections,
        },
        "connections": dis.connections,
        "mqtt_connections": dis.mqtt_connections,
        "websocket_connections": dis.websocket_connections,
        "tls_decrypted_connections": dis.tls_decrypted,
        "tls_connections": dis.tls_connections,
        "tls_bytes_to_server": dis.tls_bytes_to_server,
        "tls_bytes_to_client": dis.tls_bytes_to_client,
        "other_connections": dis.other_connections,
        "packets": dis.packets,
        "packets_with_errors": dis.packets_with_errors,
        "undecodable_bytes": dis.undecodable_bytes,
        "gap_bytes": dis.gap_bytes,
    })
}

/// JSON output: `lines` for jsonl (a record per line), else one document per run. Records
/// are written into a buffer handed to the writer in chunks of [`json::FLUSH_AT`] bytes.
pub struct JsonPrinter<W: Write> {
    w: W,
    buf: Vec<u8>,
    packets: json::PacketWriter,
    conns: ConnCache,
    opts: Options,
    lines: bool,
    index: usize,
    first_record: bool,
    files: usize,
}

impl<W: Write> JsonPrinter<W> {
    /// A printer.
    pub fn new(w: W, opts: Options, lines: bool) -> Self {
        JsonPrinter {
            w,
            buf: Vec::with_capacity(2 * json::FLUSH_AT),
            packets: json::PacketWriter::new(),
            conns: ConnCache::new(),
            opts,
            lines,
            index: 0,
            first_record: true,
            files: 0,
        }
    }

    /// Continues where another printer of the same document stopped (printing threads
    /// share the records of a capture): `files` begun before, `index` packets printed so far
    /// in the current file, `first_record` when no record of the file was printed yet.
    pub fn continue_at(&mut self, files: usize, index: usize, first_record: bool) {
        self.files = files;
        self.index = index;
        self.first_record = first_record;
    }

    /// The output, with what is buffered written to it (to take what was printed so far
    /// when it is a buffer).
    pub fn flushed_writer(&mut self) -> io::Result<&mut W> {
        self.flush()?;
        Ok(&mut self.w)
    }

    /// Closes the document (json) and writes what is buffered; call once after the last file.
    pub fn close(&mut self) -> io::Result<()> {
        if !self.lines {
            if self.files == 0 {
                self.buf.extend_from_slice(b"{\"files\":[");
            }
            self.buf.extend_from_slice(b"]}\n");
        }
        self.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.w.write_all(&self.buf);
        self.buf.clear();
        r
    }

    /// Starts a record: in the json document, records are separated by `,` and a newline.
    fn separate(&mut self) {
        if !self.lines {
            if !self.first_record {
                self.buf.push(b',');
            }
            self.first_record = false;
            self.buf.push(b'\n');
        }
    }

    /// Ends a record: a newline in jsonl; the buffer goes out once it is large.
    fn finish_record(&mut self) -> io::Result<()> {
        if self.lines {
            self.buf.push(b'\n');
        }
        if self.buf.len() >= json::FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }
}

impl<W: Write> CapturePrinter for JsonPrinter<W> {
    fn begin(&mut self, file: &str) -> io::Result<()> {
        self.index = 0;
        self.first_record = true;
        if !self.lines {
            if self.files == 0 {
                self.buf.extend_from_slice(b"{\"files\":[");
            } else {
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(b"{\"file\":");
            jsonw::str(&mut self.buf, file);
            self.buf.extend_from_slice(b",\"records\":[");
        }
        self.files += 1;
        Ok(())
    }

    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        self.separate();
        match r {
            Record::Packet(p) => {
                self.index += 1;
                let conn = self.conns.get(p.conn);
                write_packet_record(
                    &mut self.buf,
                    &mut self.packets,
                    p,
                    self.index,
                    &self.opts,
                    conn,
                );
            }
            Record::Event(e) => serde_json::to_writer(&mut self.buf, &event_json(e))?,
        }
        self.finish_record()
    }

    fn end(&mut self, file: &str, cap: &CaptureSummary, dis: &DissectSummary) -> io::Result<()> {
        let s = summary_json(file, cap, dis);
        if !self.lines {
            self.buf.extend_from_slice(b"\n],\"summary\":");
        }
        serde_json::to_writer(&mut self.buf, &s)?;
        if self.lines {
            self.buf.push(b'\n');
        } else {
            self.buf.push(b'}');
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ProtocolVersion;
    use crate::dissect::capture::{ClientBasis, WsInfo};
    use crate::transport::{Side, Tunnel, TunnelKind};
    use std::net::{IpAddr, Ipv6Addr};

    fn conn() -> ConnInfo {
        let ep = |port| Endpoint {
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            port,
        };
        ConnInfo {
            id: 7,
            a: ep(50000),
            b: ep(1883),
            syn_seen: true,
            kind: ConnKind::Mqtt,
            client_side: Some(Side::A),
            client_basis: ClientBasis::Syn,
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
            first_ts: Timestamp { secs: 1, nanos: 2 },
            rev: 0,
        }
    }

    /// The cached connection object is the one written from scratch, after every change.
    #[test]
    fn cached_connection_follows_changes() {
        let mut cache = ConnCache::new();
        let mut c = conn();
        let mut check = |c: &ConnInfo| {
            let j = cache.get(c);
            let mut cached = j.head.clone();
            write_conn_bytes(&mut cached, c);
            let mut fresh = Vec::new();
            write_conn_head(&mut fresh, c);
            write_conn_bytes(&mut fresh, c);
            assert_eq!(
                String::from_utf8_lossy(&cached),
                String::from_utf8_lossy(&fresh)
            );
            assert_eq!(j.endpoints[1], b"\"[::1]:1883\"");
            serde_json::from_slice::<J>(&fresh).ok()
        };
        check(&c);
        c.bytes = [10, 20];
        let v = check(&c);
        assert_eq!(v.map(|v| v["bytes"]["from_b"].clone()), Some(json!(20)));
        c.client_id = Some("dev \"1\"\n".into());
        c.version = Some(ProtocolVersion::V5);
        c.client_basis = ClientBasis::Connect;
        let v = check(&c);
        assert_eq!(
            v.map(|v| (v["client_id"].clone(), v["roles_from"].clone())),
            Some((json!("dev \"1\"\n"), json!("connect")))
        );
        c.websocket = Some(WsInfo {
            handshake: true,
            path: "/mqtt".into(),
            host: None,
            offered: vec!["mqtt".into()],
            subprotocol: Some("mqtt".into()),
            frames: [1, 0],
        });
        check(&c);
        if let Some(w) = &mut c.websocket {
            w.frames = [2, 5];
        }
        let v = check(&c);
        assert_eq!(
            v.map(|v| v["websocket"]["frames"].clone()),
            Some(json!({"from_a": 2, "from_b": 5}))
        );
        for (id, want) in [(Some(77), json!(77)), (None, json!(null))] {
            c.tunnel = Some(Tunnel {
                kind: TunnelKind::Geneve,
                id,
            });
            let v = check(&c);
            assert_eq!(
                v.map(|v| v["tunnel"].clone()),
                Some(json!({"kind": "GENEVE", "id": want}))
            );
        }
        assert!(
            legend(&c).ends_with(", first frame inside GENEVE"),
            "{}",
            legend(&c)
        );
        // Another connection in the same slot replaces it.
        c.id += ConnCache::SLOTS as u64;
        check(&c);
    }

    #[test]
    fn timestamps_as_display_writes_them() {
        for (secs, nanos) in [(0, 0), (1795313330, 569121000), (-5, 7), (12, 999_999_999)] {
            let ts = Timestamp { secs, nanos };
            let mut out = Vec::new();
            write_timestamp(&mut out, ts);
            assert_eq!(String::from_utf8_lossy(&out), format!("\"{ts}\""));
        }
    }
}
