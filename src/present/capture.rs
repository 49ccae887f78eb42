//! Printing what a capture holds: one summary line per MQTT packet (a table on a
//! terminal), the full field tree with `-V`, or JSON records. Printers stream: memory does
//! not grow with the capture (the terminal table is flushed every few hundred rows).

use super::advice::{protocol_version_remedy, ClientRequest};
use super::line::{
    details, digits, pad, problems, push_num, write_details, write_problems, write_time, Line,
};
use super::{json, pretty, Options, PacketReport};
use crate::codec::Direction;
use crate::dissect::capture::{
    ConnInfo, ConnKind, DissectSummary, EventKind, EventRecord, PacketRecord, Record,
};
use crate::dissect::fasthash::FastSet;
use crate::dissect::version::VersionSource;
use crate::dissect::websocket::WsNote;
use crate::transport::{CaptureSummary, Timestamp};
use serde::Serialize;
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
    let client = p.conn.connect_level.map(|(level, mqisdp)| ClientRequest {
        level,
        name_is_mqisdp: mqisdp,
        index: 0,
    });
    r.advice = protocol_version_remedy(&p.assumed.decoded, client);
    r
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
    match (c.client(), c.server()) {
        (Some(cl), Some(sv)) => format!(
            "#{} client {cl} → broker {sv} ({how}; roles from {:?}){}",
            c.id,
            c.client_basis,
            over(c)
        ),
        _ => format!(
            "#{} {} ↔ {} ({how}; roles unknown){}",
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
        let proto = w
            .subprotocol
            .as_deref()
            .map_or(String::new(), |p| format!(", subprotocol \"{p}\""));
        format!(
            " over WebSocket ws://{}{}{proto}",
            w.host.as_deref().unwrap_or("?"),
            w.path
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
        EventKind::WebSocket { .. } => "(WebSocket)",
        EventKind::WebSocketNotUpgraded { .. } => "(WebSocket)",
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
    match k {
        EventKind::Closed { .. } | EventKind::Tls { .. } | EventKind::WebSocket { .. } => false,
        EventKind::WebSocketFrame { note } => note.is_problem(),
        _ => true,
    }
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
    rows: Vec<Vec<String>>,
    legends: Vec<String>,
    index: usize,
    assumed_note: bool,
    /// The line being written (reused: no allocation per packet).
    line: Line,
}

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

impl<W: Write> SummaryPrinter<W> {
    /// The output (to take what was written so far when it is a buffer).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.w
    }

    /// `table`: a comfy-table (for terminals); else aligned plain lines.
    pub fn new(w: W, opts: Options, verbose: bool, table: bool) -> Self {
        SummaryPrinter {
            w,
            opts,
            verbose,
            table: table && !verbose,
            seen: FastSet::default(),
            rows: Vec::new(),
            legends: Vec::new(),
            index: 0,
            assumed_note: false,
            line: Line::default(),
        }
    }

    /// One packet as a plain aligned line, written without allocating: the summary of a
    /// capture with millions of packets spends its time here.
    fn packet_line(&mut self, p: &PacketRecord<'_>, assumed: bool) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        let d = &p.assumed.decoded;
        if p.first_frame == p.frame {
            push_num(line, p.frame, 7, false);
        } else {
            let width = digits(p.first_frame) + 1 + digits(p.frame);
            pad(line, 7usize.saturating_sub(width));
            push_num(line, p.first_frame, 0, false);
            line.push('-');
            push_num(line, p.frame, 0, false);
        }
        line.push(' ');
        write_time(line, p.ts, p.start);
        line.push(' ');
        pad(line, 4usize.saturating_sub(digits(p.conn.id) + 1));
        line.push('#');
        push_num(line, p.conn.id, 0, false);
        line.push(' ');
        line.push_str(arrow(p.direction));
        line.push(' ');
        let id = p.conn.client_id.as_deref().unwrap_or("-");
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
        let name = d.packet_type.name().unwrap_or("Reserved");
        line.push(' ');
        line.push_str(name);
        let mut w = name.len();
        if assumed {
            line.push('*');
            w += 1;
        }
        pad(line, 12usize.saturating_sub(w));
        write_details(line, d);
        let before = line.len();
        line.push_str("  ! ");
        write_problems(line, d);
        if line.len() == before + 4 {
            line.truncate(before);
        }
        line.trim_end();
        line.push('\n');
        self.w.write_all(line.as_bytes())
    }

    fn conn_legend(&mut self, c: &ConnInfo) -> io::Result<()> {
        if self.seen.insert(c.id) {
            let l = legend(c);
            if self.table {
                self.legends.push(l);
            } else {
                writeln!(self.w, "# {l}")?;
            }
        }
        Ok(())
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
            writeln!(self.w, "{}", line.trim_end())
        }
    }

    fn flush_table(&mut self) -> io::Result<()> {
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
        self.seen.clear();
        self.index = 0;
        if !self.table {
            writeln!(self.w, "# {file}")?;
            // Same widths as the rows below.
            writeln!(
                self.w,
                "  frame        time conn dir client id        packet      details  ! problems"
            )?;
        } else {
            writeln!(self.w, "{file}")?;
        }
        Ok(())
    }

    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        match r {
            Record::Packet(p) => {
                self.conn_legend(p.conn)?;
                self.index += 1;
                let d = &p.assumed.decoded;
                let assumed = p.assumed.source == VersionSource::Auto;
                self.assumed_note |= assumed;
                if !self.table {
                    self.packet_line(p, assumed)?;
                    if self.verbose {
                        let report = packet_report(p, self.index);
                        pretty::write_packet(&mut self.w, &report, &self.opts)?;
                        writeln!(self.w)?;
                    }
                    return Ok(());
                }
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
                    let report = packet_report(p, self.index);
                    pretty::write_packet(&mut self.w, &report, &self.opts)?;
                    writeln!(self.w)?;
                }
                Ok(())
            }
            Record::Event(e) => {
                if let Some(c) = e.conn {
                    self.conn_legend(c)?;
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
        if self.assumed_note {
            writeln!(
                self.w,
                "* version assumed, not given by a CONNECT of the connection (-V or --format json says why)"
            )?;
        }
        let ws = if dis.websocket_connections > 0 {
            format!(" ({} over WebSocket)", dis.websocket_connections)
        } else {
            String::new()
        };
        let tls = if dis.tls_connections > 0 {
            format!(
                " ({} byte(s) client→server, {} server→client, encrypted)",
                dis.tls_bytes_to_server, dis.tls_bytes_to_client
            )
        } else {
            String::new()
        };
        writeln!(
            self.w,
            "{} frames, {} TCP connections ({} MQTT{ws}, {} TLS{tls}, {} other), {} MQTT packets ({} with errors), {} byte(s) undecodable, {} byte(s) lost in gaps",
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

fn ts_json(ts: Timestamp) -> J {
    J::String(ts.to_string())
}

/// Per-side counters in JSON.
#[derive(Serialize)]
struct Sides {
    from_a: u64,
    from_b: u64,
}

#[derive(Serialize)]
struct WsOut<'a> {
    path: &'a str,
    host: &'a Option<String>,
    offered: &'a [String],
    subprotocol: &'a Option<String>,
    frames: Sides,
}

/// A connection in JSON records (serialized straight to the output: no Value tree).
#[derive(Serialize)]
struct ConnOut<'a> {
    id: u64,
    client: Option<String>,
    server: Option<String>,
    a: String,
    b: String,
    roles_from: String,
    syn_seen: bool,
    client_id: &'a Option<String>,
    username: &'a Option<String>,
    keep_alive: Option<u16>,
    version: Option<String>,
    transport: &'static str,
    encrypted: bool,
    sni: &'a Option<String>,
    websocket: Option<WsOut<'a>>,
    bytes: Sides,
}

impl<'a> ConnOut<'a> {
    fn new(c: &'a ConnInfo) -> Self {
        ConnOut {
            id: c.id,
            client: c.client().map(|e| e.to_string()),
            server: c.server().map(|e| e.to_string()),
            a: c.a.to_string(),
            b: c.b.to_string(),
            roles_from: format!("{:?}", c.client_basis).to_lowercase(),
            syn_seen: c.syn_seen,
            client_id: &c.client_id,
            username: &c.username,
            keep_alive: c.keep_alive,
            version: c.version.map(|v| v.to_string()),
            transport: match (c.kind, &c.websocket) {
                (_, Some(_)) => "websocket",
                (ConnKind::Tls, _) => "tls",
                _ => "tcp",
            },
            encrypted: c.kind == ConnKind::Tls,
            sni: &c.sni,
            websocket: c.websocket.as_ref().map(|w| WsOut {
                path: &w.path,
                host: &w.host,
                offered: &w.offered,
                subprotocol: &w.subprotocol,
                frames: Sides {
                    from_a: w.frames[0],
                    from_b: w.frames[1],
                },
            }),
            bytes: Sides {
                from_a: c.bytes[0],
                from_b: c.bytes[1],
            },
        }
    }
}

fn conn_json(c: &ConnInfo) -> J {
    serde_json::to_value(ConnOut::new(c)).unwrap_or(J::Null)
}

/// A packet record in JSON (serialized straight to the output).
#[derive(Serialize)]
struct PacketOut<'a> {
    record: &'static str,
    frame: u64,
    first_frame: u64,
    timestamp: String,
    time: f64,
    connection: ConnOut<'a>,
    src: String,
    dst: String,
    direction: Option<&'static str>,
    stream_offset: u64,
    version: String,
    version_assumed: bool,
    packet: json::JsonPacket,
}

impl<'a> PacketOut<'a> {
    fn new(p: &'a PacketRecord<'_>, index: usize, opts: &Options) -> Self {
        let report = packet_report(p, index);
        PacketOut {
            record: "packet",
            frame: p.frame,
            first_frame: p.first_frame,
            timestamp: p.ts.to_string(),
            time: seconds(p.ts, p.start),
            connection: ConnOut::new(p.conn),
            src: p.conn.endpoint(p.side).to_string(),
            dst: p.conn.endpoint(p.side.other()).to_string(),
            direction: match p.direction {
                Some(Direction::ClientToServer) => Some("client_to_server"),
                Some(Direction::ServerToClient) => Some("server_to_client"),
                None => None,
            },
            stream_offset: p.stream_offset,
            version: p.assumed.decoded.version.to_string(),
            version_assumed: p.assumed.source == VersionSource::Auto,
            packet: json::packet(&report, opts),
        }
    }
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
            serde_json::to_value(PacketOut::new(p, index, opts)).unwrap_or(J::Null)
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
        "unknown_linktype_frames": cap.unknown_linktype_frames,
        "non_ip_frames": cap.non_ip_frames,
        "non_tcp_packets": cap.non_tcp_packets,
        "truncated_frames": cap.truncated_frames,
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

/// JSON output: `lines` for jsonl (a record per line), else one document per run.
pub struct JsonPrinter<W: Write> {
    w: W,
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
            opts,
            lines,
            index: 0,
            first_record: true,
            files: 0,
        }
    }

    /// The output (to take what was written so far when it is a buffer).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.w
    }

    /// Closes the document (json); call once after the last file.
    pub fn close(&mut self) -> io::Result<()> {
        if !self.lines {
            if self.files == 0 {
                write!(self.w, "{{\"files\":[")?;
            }
            writeln!(self.w, "]}}")?;
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
                write!(self.w, "{{\"files\":[")?;
            } else {
                write!(self.w, ",")?;
            }
            write!(
                self.w,
                "{{\"file\":{},\"records\":[",
                J::String(file.to_string())
            )?;
        }
        self.files += 1;
        Ok(())
    }

    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        if let Record::Packet(_) = r {
            self.index += 1;
        }
        if let Record::Packet(p) = r {
            // Straight to the output, without building a Value tree first.
            let out = PacketOut::new(p, self.index, &self.opts);
            if !self.lines {
                if !self.first_record {
                    write!(self.w, ",")?;
                }
                self.first_record = false;
                writeln!(self.w)?;
            }
            serde_json::to_writer(&mut self.w, &out)?;
            if self.lines {
                writeln!(self.w)?;
            }
            return Ok(());
        }
        let j = record_json(r, self.index, &self.opts);
        if self.lines {
            serde_json::to_writer(&mut self.w, &j)?;
            writeln!(self.w)
        } else {
            if !self.first_record {
                write!(self.w, ",")?;
            }
            self.first_record = false;
            writeln!(self.w)?;
            serde_json::to_writer(&mut self.w, &j).map_err(io::Error::from)
        }
    }

    fn end(&mut self, file: &str, cap: &CaptureSummary, dis: &DissectSummary) -> io::Result<()> {
        let s = summary_json(file, cap, dis);
        if self.lines {
            serde_json::to_writer(&mut self.w, &s)?;
            writeln!(self.w)
        } else {
            write!(self.w, "\n],\"summary\":")?;
            serde_json::to_writer(&mut self.w, &s)?;
            write!(self.w, "}}")
        }
    }
}
