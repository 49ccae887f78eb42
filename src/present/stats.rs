//! `pcap --stats` and `pcap --check`: the capture analysis as tables (comfy-table) or JSON.
//! The JSON has its own serde types, so that its shape is stable whatever the analysis
//! keeps internally.

use super::advice::{protocol_version_diagnosis, ClientRequest};
use crate::codec::diag::Severity;
use crate::codec::reason;
use crate::codec::{Direction, PacketType};
use crate::dissect::analysis::{
    code_text, describe_outcome, Acceptance, Analysis, CheckKind, ConnSummary, End, FlowStats,
    Role, TopicStats,
};
use crate::transport::Tunnel;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use serde::Serialize;
use std::io::{self, Write};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    t
}

fn right(t: &mut Table, cols: &[usize]) {
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn ms(s: Option<f64>) -> String {
    match s {
        Some(x) if x < 1.0 => format!("{:.3} ms", x * 1000.0),
        Some(x) => format!("{x:.3} s"),
        None => "-".to_string(),
    }
}

fn dir_arrow(d: Option<Direction>) -> &'static str {
    match d {
        Some(Direction::ClientToServer) => "client→server",
        Some(Direction::ServerToClient) => "server→client",
        None => "?",
    }
}

fn addresses(c: &ConnSummary) -> String {
    let ends = match (c.client, c.server) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => format!("{} ↔ {}", c.a, c.b),
    };
    match c.tunnel {
        Some(t) => format!("{ends} (first frame in {t})"),
        None => ends,
    }
}

fn problems_cell(c: &ConnSummary) -> String {
    let mut v: Vec<String> = c
        .problems
        .iter()
        .map(|(id, sev, n)| {
            if *n > 1 {
                format!("{sev} {id} ×{n}")
            } else {
                format!("{sev} {id}")
            }
        })
        .collect();
    v.sort();
    v.join("\n")
}

/// What to say about a refused connection: the seed-000 diagnosis for a refused protocol
/// version, else the reason code's meaning and hint.
pub fn refusal_explanation(c: &ConnSummary) -> Vec<String> {
    let Acceptance::Refused { code, version, .. } = &c.outcome.acceptance else {
        return Vec::new();
    };
    let client = c.connect_level.map(|(level, mqisdp)| ClientRequest {
        level,
        name_is_mqisdp: mqisdp,
        index: 0,
    });
    let d = protocol_version_diagnosis(*version, *code, client);
    if !d.is_empty() {
        return d;
    }
    match reason::lookup(*version, PacketType::CONNACK, *code) {
        Some(i) => {
            let mut v = vec![format!("{}: {}", i.name, i.meaning)];
            if let Some(h) = i.hint {
                v.push(h.to_string());
            }
            v
        }
        None => vec![format!(
            "CONNACK code 0x{code:02X} is not defined by the specification"
        )],
    }
}

/// Writes the statistics of one capture as tables.
pub fn write_stats<W: Write>(w: &mut W, file: &str, a: &Analysis) -> io::Result<()> {
    writeln!(w, "{file}")?;
    writeln!(w)?;
    writeln!(w, "Connections ({})", a.connections.len())?;
    let mut t = table(&[
        "conn",
        "client id",
        "version",
        "user",
        "client → broker",
        "duration",
        "packets →/←",
        "bytes →/←",
    ]);
    for c in &a.connections {
        t.add_row(vec![
            format!("#{}", c.id),
            c.client_id.clone().unwrap_or_else(|| "-".into()),
            match (c.version, &c.tls) {
                (Some(v), _) => v.to_string(),
                (None, Some(Some(sni))) => format!("TLS ({sni})"),
                (None, Some(None)) => "TLS".into(),
                (None, None) => match c.connect_level {
                    Some((l, _)) => format!("level {l}"),
                    None => "-".into(),
                },
            },
            c.username.clone().unwrap_or_else(|| "-".into()),
            addresses(c),
            format!("{:.3} s", c.duration()),
            format!("{} / {}", c.packets[0], c.packets[1]),
            format!("{} / {}", c.bytes[0], c.bytes[1]),
        ]);
    }
    right(&mut t, &[5, 6, 7]);
    super::fit_width(&mut t);
    writeln!(w, "{t}")?;
    writeln!(w)?;
    writeln!(w, "Outcomes")?;
    let mut t = table(&["conn", "client id", "outcome", "problems"]);
    for c in &a.connections {
        t.add_row(vec![
            format!("#{}", c.id),
            c.client_id.clone().unwrap_or_else(|| "-".into()),
            describe_outcome(c),
            problems_cell(c),
        ]);
    }
    super::fit_width(&mut t);
    writeln!(w, "{t}")?;
    if a.connections_not_kept > 0 {
        writeln!(
            w,
            "({} more connection(s) not listed: summary cap reached)",
            a.connections_not_kept
        )?;
    }
    // Why refused connections were refused; lines already said for an earlier connection
    // (the general part of the diagnosis) are not repeated.
    let mut said = std::collections::HashSet::new();
    for c in &a.connections {
        let lines = refusal_explanation(c);
        if !lines.is_empty() {
            writeln!(
                w,
                "Connection #{} ({}) was refused:",
                c.id,
                c.client_id.as_deref().unwrap_or("-")
            )?;
            for l in lines {
                if said.insert(l.clone()) {
                    writeln!(w, "  {l}")?;
                }
            }
        }
    }

    let flows: Vec<(&ConnSummary, &FlowStats)> = a
        .connections
        .iter()
        .flat_map(|c| c.flows.iter().map(move |f| (c, f)))
        .collect();
    writeln!(w)?;
    writeln!(w, "Acknowledged flows")?;
    if flows.is_empty() {
        writeln!(w, "  none")?;
    } else {
        let mut t = table(&[
            "conn",
            "flow",
            "sent",
            "completed",
            "failed",
            "unacked",
            "min",
            "median",
            "max",
        ]);
        for (c, f) in flows {
            t.add_row(vec![
                format!("#{}", c.id),
                f.kind.name().to_string(),
                dir_arrow(f.direction).to_string(),
                f.completed.to_string(),
                f.failed.to_string(),
                f.unacknowledged.to_string(),
                ms(f.min),
                ms(f.median),
                ms(f.max),
            ]);
        }
        right(&mut t, &[3, 4, 5, 6, 7, 8]);
        super::fit_width(&mut t);
        writeln!(w, "{t}")?;
    }

    writeln!(w)?;
    writeln!(w, "Topics ({})", a.topics.len())?;
    if a.topics.is_empty() && a.other_topics.is_none() {
        writeln!(w, "  none")?;
    } else {
        let mut t = table(&[
            "topic",
            "messages",
            "published",
            "delivered",
            "bytes",
            "QoS 0/1/2",
            "retained",
            "via alias",
        ]);
        let row = |s: &TopicStats, name: String| {
            vec![
                name,
                s.messages().to_string(),
                s.published.to_string(),
                s.delivered.to_string(),
                s.bytes.to_string(),
                format!("{}/{}/{}", s.qos[0], s.qos[1], s.qos[2]),
                s.retained.to_string(),
                s.via_alias.to_string(),
            ]
        };
        for s in &a.topics {
            t.add_row(row(s, s.topic.clone().unwrap_or_default()));
        }
        if let Some(o) = &a.other_topics {
            t.add_row(row(
                o,
                format!("(other topics: {} more)", a.other_topic_count),
            ));
        }
        right(&mut t, &[1, 2, 3, 4, 6, 7]);
        super::fit_width(&mut t);
        writeln!(w, "{t}")?;
    }

    writeln!(w)?;
    writeln!(w, "Packet types")?;
    let mut t = table(&["type", "client→server", "server→client", "unknown", "bytes"]);
    for p in &a.packet_types {
        t.add_row(vec![
            p.packet_type.to_string(),
            p.client_to_server.to_string(),
            p.server_to_client.to_string(),
            p.unknown.to_string(),
            p.bytes.to_string(),
        ]);
    }
    right(&mut t, &[1, 2, 3, 4]);
    super::fit_width(&mut t);
    writeln!(w, "{t}")?;

    writeln!(w)?;
    writeln!(w, "Problems")?;
    if a.problems.is_empty() {
        writeln!(w, "  none")?;
    } else {
        let mut t = table(&[
            "severity", "kind", "spec", "count", "frames", "conns", "first",
        ]);
        for p in &a.problems {
            let more = if p.count as usize > p.frames.len() {
                " …"
            } else {
                ""
            };
            t.add_row(vec![
                p.severity.to_string(),
                p.id.to_string(),
                p.spec.to_string(),
                p.count.to_string(),
                format!(
                    "{}{more}",
                    p.frames
                        .iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                p.connections
                    .iter()
                    .map(|c| format!("#{c}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                p.example.clone(),
            ]);
        }
        right(&mut t, &[3]);
        super::fit_width(&mut t);
        writeln!(w, "{t}")?;
    }
    writeln!(
        w,
        "{} protocol error(s), {} failure reason code(s)",
        a.protocol_errors, a.failure_codes
    )?;
    Ok(())
}

/// Writes the `--check` list of one capture.
pub fn write_check<W: Write>(w: &mut W, file: &str, a: &Analysis) -> io::Result<()> {
    writeln!(w, "# {file}")?;
    for i in &a.check_items {
        let label = match i.kind {
            CheckKind::ProtocolError => "error",
            CheckKind::FailureCode => "failure",
        };
        writeln!(
            w,
            "frame {:>6}  {:<6} {:<8} {:<16} {} [{}] {}",
            i.frame,
            i.conn.map(|c| format!("#{c}")).unwrap_or_default(),
            label,
            i.client_id.as_deref().unwrap_or("-"),
            i.id,
            i.spec,
            i.message
        )?;
    }
    let total = a.protocol_errors + a.failure_codes;
    if total as usize > a.check_items.len() {
        writeln!(w, "… and {} more", total as usize - a.check_items.len())?;
    }
    writeln!(
        w,
        "check {}: {} protocol error(s), {} failure reason code(s)",
        if a.check_passed() { "passed" } else { "FAILED" },
        a.protocol_errors,
        a.failure_codes
    )
}

// ---- JSON ----------------------------------------------------------------------------

/// Two directions of a connection.
#[derive(Serialize)]
pub struct Pair {
    /// Client→server (A→B when roles are unknown).
    pub client_to_server: u64,
    /// Server→client.
    pub server_to_client: u64,
}

/// How a connection went.
#[derive(Serialize)]
pub struct OutcomeJson {
    /// One line, as in the table.
    pub summary: String,
    /// `accepted`, `refused`, `no_connack`, `no_connect`.
    pub acceptance: &'static str,
    /// CONNACK code.
    pub connack_code: Option<u8>,
    /// Its name.
    pub connack_code_name: Option<String>,
    /// Session Present.
    pub session_present: Option<bool>,
    /// `disconnect`, `taken_over`, `tcp_close`, `open`.
    pub end: &'static str,
    /// `client` or `server`: who sent the DISCONNECT or closed TCP first.
    pub by: Option<&'static str>,
    /// Reason code of the DISCONNECT.
    pub disconnect_code: Option<u8>,
    /// TCP reset.
    pub rst: bool,
    /// The connection that took the session over.
    pub taken_over_by: Option<u64>,
    /// Frame where it ended.
    pub end_frame: Option<u64>,
    /// The will message is published.
    pub will_fires: bool,
    /// Its topic.
    pub will_topic: Option<String>,
    /// Seconds of client silence before the server closed (keep alive expired).
    pub keep_alive_expired_after: Option<f64>,
    /// Why it was refused and what to change.
    pub diagnosis: Vec<String>,
}

/// One flow kind of a connection.
#[derive(Serialize)]
pub struct FlowJson {
    /// `qos1`, `qos2`, `subscribe`, `unsubscribe`.
    pub kind: &'static str,
    /// Who sent the request.
    pub direction: Option<&'static str>,
    /// Completed.
    pub completed: u64,
    /// Completed with a failure code.
    pub failed: u64,
    /// Never completed.
    pub unacknowledged: u64,
    /// Seconds.
    pub min: Option<f64>,
    /// Seconds.
    pub median: Option<f64>,
    /// Seconds.
    pub max: Option<f64>,
}

/// A problem count.
#[derive(Serialize)]
pub struct CountJson {
    /// Check id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Occurrences.
    pub count: u64,
}

/// One connection.
#[derive(Serialize)]
pub struct ConnJson {
    /// Number.
    pub id: u64,
    /// Client identifier.
    pub client_id: Option<String>,
    /// Protocol version.
    pub version: Option<String>,
    /// Protocol level byte of the CONNECT.
    pub protocol_level: Option<u8>,
    /// User name.
    pub username: Option<String>,
    /// Client endpoint.
    pub client: Option<String>,
    /// Server endpoint.
    pub server: Option<String>,
    /// Whether client/server are known (else the pairs are A→B, B→A).
    pub roles_known: bool,
    /// TLS.
    pub tls: bool,
    /// TLS server name.
    pub sni: Option<String>,
    /// The innermost tunnel of the frame that opened the connection; absent for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelJson>,
    /// Keep alive (s).
    pub keep_alive: Option<u16>,
    /// Seconds from the first to the last frame.
    pub duration: f64,
    /// MQTT packets.
    pub packets: Pair,
    /// Stream bytes.
    pub bytes: Pair,
    /// Outcome.
    pub outcome: OutcomeJson,
    /// The connection whose session this one took over.
    pub took_over: Option<u64>,
    /// Flows.
    pub flows: Vec<FlowJson>,
    /// Problems.
    pub problems: Vec<CountJson>,
}

/// One topic.
#[derive(Serialize)]
pub struct TopicJson {
    /// Topic; null for the "other topics" bucket.
    pub topic: Option<String>,
    /// All messages.
    pub messages: u64,
    /// Client→server.
    pub published: u64,
    /// Server→client.
    pub delivered: u64,
    /// Direction unknown.
    pub unknown_direction: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Messages at QoS 0, 1, 2.
    pub qos: [u64; 3],
    /// Retained.
    pub retained: u64,
    /// Topic from a Topic Alias.
    pub via_alias: u64,
}

/// One packet type.
#[derive(Serialize)]
pub struct TypeJson {
    /// Name.
    pub packet_type: String,
    /// Client→server.
    pub client_to_server: u64,
    /// Server→client.
    pub server_to_client: u64,
    /// Unknown direction.
    pub unknown: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One kind of problem.
#[derive(Serialize)]
pub struct ProblemJson {
    /// Check id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Spec statement.
    pub spec: &'static str,
    /// Title.
    pub title: &'static str,
    /// Occurrences.
    pub count: u64,
    /// First frames.
    pub frames: Vec<u64>,
    /// First connections.
    pub connections: Vec<u64>,
    /// First message.
    pub example: String,
}

/// One `--check` entry.
#[derive(Serialize)]
pub struct CheckItemJson {
    /// `protocol_error` or `failure_code`.
    pub kind: &'static str,
    /// Frame.
    pub frame: u64,
    /// Connection.
    pub connection: Option<u64>,
    /// Client id.
    pub client_id: Option<String>,
    /// Packet type.
    pub packet: Option<String>,
    /// Check id.
    pub id: &'static str,
    /// Spec.
    pub spec: &'static str,
    /// Message.
    pub message: String,
}

/// The `--check` verdict.
#[derive(Serialize)]
pub struct CheckJson {
    /// No protocol error and no failure code.
    pub passed: bool,
    /// Count.
    pub protocol_errors: u64,
    /// Count.
    pub failure_codes: u64,
    /// The entries (capped).
    pub items: Vec<CheckItemJson>,
    /// Entries beyond the cap.
    pub not_listed: u64,
}

/// All statistics of one capture.
#[derive(Serialize)]
pub struct StatsJson {
    /// Connections.
    pub connections: Vec<ConnJson>,
    /// Beyond the cap.
    pub connections_not_listed: u64,
    /// Topics.
    pub topics: Vec<TopicJson>,
    /// Topics beyond the cap, together.
    pub other_topics: Option<TopicJson>,
    /// Packet types.
    pub packet_types: Vec<TypeJson>,
    /// Problems by kind.
    pub problems: Vec<ProblemJson>,
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Client => "client",
        Role::Server => "server",
    }
}

fn outcome_json(c: &ConnSummary) -> OutcomeJson {
    let o = &c.outcome;
    let (acceptance, code, name, sp) = match &o.acceptance {
        Acceptance::NoConnect => ("no_connect", None, None, None),
        Acceptance::NoAnswer => ("no_connack", None, None, None),
        Acceptance::Accepted {
            session_present, ..
        } => ("accepted", Some(0), None, Some(*session_present)),
        Acceptance::Refused { code, version, .. } => (
            "refused",
            Some(*code),
            Some(code_text(*version, PacketType::CONNACK, *code)),
            Some(false),
        ),
    };
    let (end, by, dcode, rst, taken, frame) = match &o.end {
        End::Disconnect { by, code, frame } => (
            "disconnect",
            Some(role(*by)),
            Some(*code),
            false,
            None,
            Some(*frame),
        ),
        End::TakenOver { by_conn, frame } => (
            "taken_over",
            Some("server"),
            None,
            false,
            *by_conn,
            Some(*frame),
        ),
        End::TcpClose { by, rst, frame } => {
            ("tcp_close", by.map(role), None, *rst, None, Some(*frame))
        }
        End::Open => ("open", None, None, false, None, None),
    };
    OutcomeJson {
        summary: describe_outcome(c),
        acceptance,
        connack_code: code,
        connack_code_name: name,
        session_present: sp,
        end,
        by,
        disconnect_code: dcode,
        rst,
        taken_over_by: taken,
        end_frame: frame,
        will_fires: o.will_fires,
        will_topic: o.will_topic.clone(),
        keep_alive_expired_after: o.keep_alive_expired,
        diagnosis: refusal_explanation(c),
    }
}

fn topic_json(s: &TopicStats) -> TopicJson {
    TopicJson {
        topic: s.topic.clone(),
        messages: s.messages(),
        published: s.published,
        delivered: s.delivered,
        unknown_direction: s.unknown_direction,
        bytes: s.bytes,
        qos: s.qos,
        retained: s.retained,
        via_alias: s.via_alias,
    }
}

/// A tunnel in JSON: `{"kind":"VXLAN","id":42}`; `id` is the VNI of VXLAN and GENEVE,
/// GRE's key, ERSPAN's session ID, or null.
#[derive(Serialize)]
pub struct TunnelJson {
    /// "VXLAN", "GENEVE", "GRE", "ERSPAN", "IP in IP".
    pub kind: &'static str,
    /// What identifies the segment, when the header has it.
    pub id: Option<u32>,
}

impl From<Tunnel> for TunnelJson {
    fn from(t: Tunnel) -> TunnelJson {
        TunnelJson {
            kind: t.kind.name(),
            id: t.id,
        }
    }
}

/// The statistics as serde types.
pub fn stats_json(a: &Analysis) -> StatsJson {
    StatsJson {
        connections: a
            .connections
            .iter()
            .map(|c| ConnJson {
                id: c.id,
                client_id: c.client_id.clone(),
                version: c.version.map(|v| v.to_string()),
                protocol_level: c.connect_level.map(|l| l.0),
                username: c.username.clone(),
                client: c.client.map(|e| e.to_string()),
                server: c.server.map(|e| e.to_string()),
                roles_known: c.client.is_some(),
                tls: c.tls.is_some(),
                sni: c.tls.clone().flatten(),
                tunnel: c.tunnel.map(TunnelJson::from),
                keep_alive: c.keep_alive,
                duration: c.duration(),
                packets: Pair {
                    client_to_server: c.packets[0],
                    server_to_client: c.packets[1],
                },
                bytes: Pair {
                    client_to_server: c.bytes[0],
                    server_to_client: c.bytes[1],
                },
                outcome: outcome_json(c),
                took_over: c.took_over,
                flows: c
                    .flows
                    .iter()
                    .map(|f| FlowJson {
                        kind: match f.kind {
                            crate::dissect::analysis::FlowKind::Qos1 => "qos1",
                            crate::dissect::analysis::FlowKind::Qos2 => "qos2",
                            crate::dissect::analysis::FlowKind::Subscribe => "subscribe",
                            crate::dissect::analysis::FlowKind::Unsubscribe => "unsubscribe",
                        },
                        direction: f.direction.map(|d| match d {
                            Direction::ClientToServer => "client_to_server",
                            Direction::ServerToClient => "server_to_client",
                        }),
                        completed: f.completed,
                        failed: f.failed,
                        unacknowledged: f.unacknowledged,
                        min: f.min,
                        median: f.median,
                        max: f.max,
                    })
                    .collect(),
                problems: c
                    .problems
                    .iter()
                    .map(|(id, severity, count)| CountJson {
                        id,
                        severity: *severity,
                        count: *count,
                    })
                    .collect(),
            })
            .collect(),
        connections_not_listed: a.connections_not_kept,
        topics: a.topics.iter().map(topic_json).collect(),
        other_topics: a.other_topics.as_ref().map(topic_json),
        packet_types: a
            .packet_types
            .iter()
            .map(|p| TypeJson {
                packet_type: p.packet_type.to_string(),
                client_to_server: p.client_to_server,
                server_to_client: p.server_to_client,
                unknown: p.unknown,
                bytes: p.bytes,
            })
            .collect(),
        problems: a
            .problems
            .iter()
            .map(|p| ProblemJson {
                id: p.id,
                severity: p.severity,
                spec: p.spec,
                title: p.title,
                count: p.count,
                frames: p.frames.clone(),
                connections: p.connections.clone(),
                example: p.example.clone(),
            })
            .collect(),
    }
}

/// The `--check` verdict as serde types.
pub fn check_json(a: &Analysis) -> CheckJson {
    let total = a.protocol_errors + a.failure_codes;
    CheckJson {
        passed: a.check_passed(),
        protocol_errors: a.protocol_errors,
        failure_codes: a.failure_codes,
        items: a
            .check_items
            .iter()
            .map(|i| CheckItemJson {
                kind: match i.kind {
                    CheckKind::ProtocolError => "protocol_error",
                    CheckKind::FailureCode => "failure_code",
                },
                frame: i.frame,
                connection: i.conn,
                client_id: i.client_id.clone(),
                packet: i.packet.map(|p| p.to_string()),
                id: i.id,
                spec: i.spec,
                message: i.message.clone(),
            })
            .collect(),
        not_listed: total.saturating_sub(a.check_items.len() as u64),
    }
}
