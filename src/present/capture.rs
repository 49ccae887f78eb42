//! Printing what a capture holds: one summary line per MQTT packet (a table on a
//! terminal), the full field tree with `-V`, or JSON records. Printers stream: memory does
//! not grow with the capture (the terminal table is flushed every few hundred rows).

use super::advice::{protocol_version_remedy, ClientRequest};
use super::{json, pretty, Options, PacketReport};
use crate::codec::reason;
use crate::codec::text::escape_bytes;
use crate::codec::{Decoded, Direction, Packet, PacketType, ProtocolVersion, ReasonCode};
use crate::dissect::capture::{
    ConnInfo, DissectSummary, EventKind, EventRecord, PacketRecord, Record,
};
use crate::dissect::version::VersionSource;
use crate::transport::{CaptureSummary, Endpoint, Timestamp};
use serde_json::{json, Value as J};
use std::collections::HashSet;
use std::io::{self, Write};

/// Rows of the terminal table printed at once.
const TABLE_BATCH: usize = 500;

/// One packet as a report for the shared printers (tree, JSON), with its advice.
pub fn packet_report<'a>(p: &PacketRecord<'a>, index: usize) -> PacketReport<'a> {
    let mut r = PacketReport::new(index, p.stream_offset as usize, p.assumed.decoded.clone());
    r.source = p.assumed.source;
    r.version_reason = p.assumed.reason.clone();
    r.alternative = p.assumed.alternative.clone();
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
            "#{} client {cl} → broker {sv} ({how}; roles from {:?})",
            c.id, c.client_basis
        ),
        _ => format!("#{} {} ↔ {} ({how}; roles unknown)", c.id, c.a, c.b),
    }
}

fn reason_name(v: ProtocolVersion, t: PacketType, code: ReasonCode) -> String {
    match reason::lookup(v, t, code.0) {
        Some(i) => i.name.to_string(),
        None => format!("0x{:02X}", code.0),
    }
}

fn preview(payload: &[u8]) -> String {
    const MAX: usize = 40;
    let cut = &payload[..payload.len().min(MAX)];
    let text = match std::str::from_utf8(cut) {
        Ok(_) => format!("\"{}\"", escape_bytes(cut)),
        Err(e) if e.valid_up_to() + 4 >= cut.len() && payload.len() > MAX => {
            format!("\"{}\"", escape_bytes(&cut[..e.valid_up_to()]))
        }
        Err(_) => cut.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    };
    if payload.len() > MAX {
        format!("{text}…")
    } else {
        text
    }
}

/// The key fields of a packet, on one line.
pub fn details(d: &Decoded<'_>) -> String {
    let v = d.version;
    let Some(p) = &d.packet else {
        return match d.diagnostics.first() {
            Some(x) => format!("undecodable: {}", x.message),
            None => "undecodable".to_string(),
        };
    };
    match p {
        Packet::Connect(c) => {
            let mut s = format!("MQTT {v} client_id=\"{}\"", c.client_id);
            if let Some(u) = c.username {
                s.push_str(&format!(" user=\"{u}\""));
            }
            if c.password.is_some() {
                s.push_str(" password=yes");
            }
            s.push_str(&format!(" keep_alive={}", c.keep_alive));
            if c.clean_start {
                s.push_str(" clean");
            }
            if let Some(w) = &c.will {
                s.push_str(&format!(" will=\"{}\" q{}", w.topic, w.qos as u8));
            }
            s
        }
        Packet::ConnAck(c) => {
            let mut s = reason_name(v, PacketType::CONNACK, c.code);
            if c.session_present {
                s.push_str(" session_present");
            }
            s
        }
        Packet::Publish(p) => {
            let mut s = format!("q{}", p.qos as u8);
            if let Some(id) = p.packet_id {
                s.push_str(&format!(" id={id}"));
            }
            s.push_str(&format!(" \"{}\"", p.topic));
            if let Some(a) = p
                .properties
                .get(crate::codec::PropertyId::TOPIC_ALIAS)
                .and_then(|x| x.as_u32())
            {
                s.push_str(&format!(" alias={a}"));
            }
            if p.retain {
                s.push_str(" retain");
            }
            if p.dup {
                s.push_str(" dup");
            }
            s.push_str(&format!(" {}B {}", p.payload.len(), preview(p.payload)));
            s
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            let mut s = format!("id={}", r.packet_id);
            if r.reason_code.0 != 0 {
                s.push_str(&format!(
                    " {}",
                    reason_name(v, d.packet_type, r.reason_code)
                ));
            }
            s
        }
        Packet::Subscribe(s) => {
            let subs: Vec<String> = s
                .subscriptions
                .iter()
                .map(|x| format!("\"{}\" q{}", x.filter, x.qos as u8))
                .collect();
            format!("id={} {}", s.packet_id, subs.join(", "))
        }
        Packet::SubAck(s) => {
            let codes: Vec<String> = s
                .codes
                .iter()
                .map(|c| reason_name(v, PacketType::SUBACK, *c))
                .collect();
            format!("id={} [{}]", s.packet_id, codes.join(", "))
        }
        Packet::Unsubscribe(u) => {
            let f: Vec<String> = u.filters.iter().map(|x| format!("\"{x}\"")).collect();
            format!("id={} {}", u.packet_id, f.join(", "))
        }
        Packet::UnsubAck(u) => {
            let codes: Vec<String> = u
                .codes
                .iter()
                .map(|c| reason_name(v, PacketType::UNSUBACK, *c))
                .collect();
            if codes.is_empty() {
                format!("id={}", u.packet_id)
            } else {
                format!("id={} [{}]", u.packet_id, codes.join(", "))
            }
        }
        Packet::PingReq | Packet::PingResp => String::new(),
        Packet::Disconnect(x) => {
            if v.is_v5() {
                reason_name(v, PacketType::DISCONNECT, x.reason_code)
            } else {
                String::new()
            }
        }
        Packet::Auth(a) => reason_name(v, PacketType::AUTH, a.reason_code),
    }
}

/// The problems column: the worst finding and how many more.
pub fn problems(d: &Decoded<'_>) -> String {
    let mut ds: Vec<_> = d.diagnostics.iter().collect();
    ds.sort_by_key(|d| std::cmp::Reverse(d.severity));
    match ds.first() {
        None => String::new(),
        Some(x) => {
            let more = if ds.len() > 1 {
                format!(" (+{})", ds.len() - 1)
            } else {
                String::new()
            };
            format!("{} {} [{}]{more}", x.severity, x.check.id, x.spec)
        }
    }
}

fn event_label(k: &EventKind) -> &'static str {
    match k {
        EventKind::Gap { .. } => "(gap)",
        EventKind::Undecodable { .. } => "(undecodable)",
        EventKind::TooLarge { .. } => "(too large)",
        EventKind::Incomplete { .. } => "(incomplete)",
        EventKind::Tls { .. } => "(TLS)",
        EventKind::Closed { .. } => "(closed)",
        EventKind::UnknownLinkType { .. } => "(link type)",
        EventKind::TruncatedRecord { .. } => "(truncated)",
        EventKind::Transport { .. } => "(transport)",
    }
}

/// True for events that are problems (shown with `--problems`), not just notes.
pub fn event_is_problem(k: &EventKind) -> bool {
    !matches!(k, EventKind::Closed { .. } | EventKind::Tls { .. })
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
    seen: HashSet<u64>,
    rows: Vec<Vec<String>>,
    legends: Vec<String>,
    index: usize,
    assumed_note: bool,
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
    /// `table`: a comfy-table (for terminals); else aligned plain lines.
    pub fn new(w: W, opts: Options, verbose: bool, table: bool) -> Self {
        SummaryPrinter {
            w,
            opts,
            verbose,
            table: table && !verbose,
            seen: HashSet::new(),
            rows: Vec::new(),
            legends: Vec::new(),
            index: 0,
            assumed_note: false,
        }
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
                let mut name = d.packet_type.to_string();
                if p.assumed.source == VersionSource::Auto {
                    name.push('*');
                    self.assumed_note = true;
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
                "* version assumed: no CONNECT captured on that connection (see -V or --format json for why)"
            )?;
        }
        writeln!(
            self.w,
            "{} frames, {} TCP connections ({} MQTT, {} TLS, {} other), {} MQTT packets ({} with errors), {} byte(s) undecodable, {} byte(s) lost in gaps",
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

fn endpoint(e: Option<Endpoint>) -> J {
    e.map_or(J::Null, |e| J::String(e.to_string()))
}

fn ts_json(ts: Timestamp) -> J {
    J::String(ts.to_string())
}

fn conn_json(c: &ConnInfo) -> J {
    json!({
        "id": c.id,
        "client": endpoint(c.client()),
        "server": endpoint(c.server()),
        "a": c.a.to_string(),
        "b": c.b.to_string(),
        "roles_from": format!("{:?}", c.client_basis).to_lowercase(),
        "syn_seen": c.syn_seen,
        "client_id": c.client_id,
        "username": c.username,
        "keep_alive": c.keep_alive,
        "version": c.version.map(|v| v.to_string()),
    })
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
            let report = packet_report(p, index);
            json!({
                "record": "packet",
                "frame": p.frame,
                "first_frame": p.first_frame,
                "timestamp": ts_json(p.ts),
                "time": seconds(p.ts, p.start),
                "connection": conn_json(p.conn),
                "src": p.conn.endpoint(p.side).to_string(),
                "dst": p.conn.endpoint(p.side.other()).to_string(),
                "direction": direction_json(p.direction),
                "stream_offset": p.stream_offset,
                "version": p.assumed.decoded.version.to_string(),
                "version_assumed": p.assumed.source == VersionSource::Auto,
                "packet": json::packet(&report, opts),
            })
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
        "tls_connections": dis.tls_connections,
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
