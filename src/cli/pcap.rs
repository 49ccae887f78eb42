//! `pcap`: every MQTT packet of every connection in pcap/pcapng captures.

use super::args::{PayloadChoice, PcapArgs, PcapFormat};
use super::config::{parse_version, use_color};
use super::{CliError, Outcome};
use mqtt_dissect::codec::{topic, Packet, PacketType, ProtocolVersion};
use mqtt_dissect::dissect::analysis::{Analysis, AnalysisConfig, Analyzer};
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::dissect::tls_decrypt::KeyLog;
use mqtt_dissect::present::capture::{
    event_is_problem, CapturePrinter, JsonPrinter, SummaryPrinter,
};
use mqtt_dissect::present::stats;
use mqtt_dissect::present::{Options, PayloadMode};
use mqtt_dissect::transport::{CaptureError, CaptureSummary, TransportConfig};
use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod threaded;

/// A reader that reports end of input once `stop` is set.
struct StopReader<R> {
    inner: R,
    stop: Rc<Cell<bool>>,
}

impl<R: io::Read> io::Read for StopReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.get() {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "output closed"));
        }
        self.inner.read(buf)
    }
}

/// Reports bytes read on stderr (a terminal) while a large capture is read: the first
/// report after half a second, then a few times a second; the line is cleared at the end.
struct ProgressReader<R> {
    inner: R,
    name: String,
    read: u64,
    total: Option<u64>,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl<R> ProgressReader<R> {
    fn new(inner: R, name: &str, total: Option<u64>, enabled: bool) -> Self {
        ProgressReader {
            inner,
            name: name.to_string(),
            read: 0,
            total,
            start: Instant::now(),
            last: None,
            enabled,
        }
    }

    fn report(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_millis(500)
            || self
                .last
                .is_some_and(|l| now.duration_since(l) < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(now);
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        let line = match self.total {
            Some(t) if t > 0 => format!(
                "{}: {:.1} / {:.1} MiB ({:.0}%)",
                self.name,
                mib(self.read),
                mib(t),
                100.0 * self.read as f64 / t as f64
            ),
            _ => format!("{}: {:.1} MiB read", self.name, mib(self.read)),
        };
        let mut e = io::stderr().lock();
        let _ = write!(e, "\r\x1b[2K{line}");
        let _ = e.flush();
    }
}

impl<R: io::Read> io::Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.enabled {
            self.report();
        }
        Ok(n)
    }
}

impl<R> Drop for ProgressReader<R> {
    fn drop(&mut self) {
        if self.enabled && self.last.is_some() {
            let mut e = io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }
}

/// What `--stats` and `--check` ask for.
#[derive(Debug, Clone, Copy, Default)]
struct AnalysisWanted {
    stats: bool,
    check: bool,
}

/// Which records to print.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    types: Vec<PacketType>,
    client: Option<String>,
    topic: Option<String>,
    conns: Vec<u64>,
    problems: bool,
}

impl Filter {
    /// True when every record is to be printed (no filter, the usual case): a caller can
    /// ask once rather than per record.
    pub fn is_everything(&self) -> bool {
        self.conns.is_empty()
            && self.client.is_none()
            && self.types.is_empty()
            && self.topic.is_none()
            && !self.problems
    }

    /// True when the record is to be printed.
    #[inline]
    pub fn wants(&self, r: &Record<'_>) -> bool {
        self.is_everything() || self.selects(r)
    }

    fn selects(&self, r: &Record<'_>) -> bool {
        let conn = match r {
            Record::Packet(p) => Some(p.conn),
            Record::Event(e) => e.conn,
        };
        if !self.conns.is_empty() && !conn.is_some_and(|c| self.conns.contains(&c.id)) {
            return false;
        }
        if let Some(want) = &self.client {
            if conn.and_then(|c| c.client_id.as_deref()) != Some(want.as_str()) {
                return false;
            }
        }
        match r {
            Record::Event(e) => {
                (!self.problems || event_is_problem(&e.kind))
                    && (self.types.is_empty() && self.topic.is_none())
            }
            Record::Packet(p) => {
                let d = &p.assumed.decoded;
                if !self.types.is_empty() && !self.types.contains(&d.packet_type) {
                    return false;
                }
                // The resolved-topic note of an alias-only PUBLISH is not a problem.
                if self.problems
                    && d.diagnostics
                        .iter()
                        .all(|x| x.check.id == "topic-alias-resolved")
                {
                    return false;
                }
                if let Some(f) = &self.topic {
                    let topics: Vec<String> = match &d.packet {
                        Some(Packet::Publish(p)) => vec![p.topic.to_string()],
                        Some(Packet::Subscribe(s)) => s
                            .subscriptions
                            .iter()
                            .map(|x| x.filter.to_string())
                            .collect(),
                        Some(Packet::Unsubscribe(u)) => {
                            u.filters.iter().map(|x| x.to_string()).collect()
                        }
                        _ => Vec::new(),
                    };
                    // A PUBLISH topic matches the filter; a subscription's filter matches
                    // when it equals the filter or would receive a message of that topic.
                    if !topics.iter().any(|t| topic::matches(f, t) || t == f) {
                        return false;
                    }
                }
                true
            }
        }
    }
}

/// Reads a key log; a file with no secret in it is a usage error (a wrong file, most
/// likely), and malformed lines are said on standard error.
fn read_keylog(path: &PathBuf) -> Result<KeyLog, CliError> {
    let name = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Usage(format!("--tls-keylog: cannot read {name}: {e}")))?;
    let log = KeyLog::parse(&String::from_utf8_lossy(&bytes));
    if log.sessions() == 0 {
        return Err(CliError::Usage(format!(
            "--tls-keylog: {name} holds no TLS secret (lines like \"CLIENT_RANDOM <hex> <hex>\" \
             or \"CLIENT_TRAFFIC_SECRET_0 <hex> <hex>\")"
        )));
    }
    if log.bad_lines > 0 {
        eprintln!(
            "mqtt-dissect: --tls-keylog: {name}: {} line(s) not understood, skipped",
            log.bad_lines
        );
    }
    Ok(log)
}

/// The `pcap` command, checked.
#[derive(Debug, Clone)]
pub struct PcapConfig {
    files: Vec<PathBuf>,
    capture: CaptureConfig,
    format: PcapFormat,
    verbose: bool,
    filter: Filter,
    present: Options,
    table: bool,
    analysis: AnalysisWanted,
    progress: bool,
    /// 1: everything on this thread; more: printing on a thread of its own.
    threads: usize,
}

impl PcapConfig {
    pub fn from_args(a: PcapArgs) -> Result<PcapConfig, CliError> {
        let protocol: Option<ProtocolVersion> =
            match a.protocol.trim().to_ascii_lowercase().as_str() {
                "auto" => None,
                s => Some(parse_version(s)?),
            };
        let mut types = Vec::new();
        for t in a.types.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            types.push(PacketType::from_name(t).ok_or_else(|| {
                CliError::Usage(format!(
                    "--type: '{t}' is not a packet type (connect, connack, publish, puback, pubrec, \
                     pubrel, pubcomp, subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, \
                     disconnect, auth)"
                ))
            })?);
        }
        let mut mqtt_ports = vec![1883];
        mqtt_ports.extend(&a.ports);
        let mut tls_ports = vec![8883];
        tls_ports.extend(&a.tls_ports);
        let payload = match a.payload {
            PayloadChoice::Auto => PayloadMode::Auto,
            PayloadChoice::Text => PayloadMode::Text,
            PayloadChoice::Hex => PayloadMode::Hex,
            PayloadChoice::Json => PayloadMode::Json,
        };
        let tree = a.verbose || a.format != PcapFormat::Summary;
        let tls_keys = match &a.tls_keylog {
            None => None,
            Some(path) => Some(Arc::new(read_keylog(path)?)),
        };
        Ok(PcapConfig {
            files: a.files,
            capture: CaptureConfig {
                mqtt_ports,
                tls_ports,
                ws_ports: a.ws_ports,
                protocol,
                tree,
                tls_keys,
                ..CaptureConfig::default()
            },
            format: a.format,
            verbose: a.verbose,
            filter: Filter {
                types,
                client: a.client,
                topic: a.topic,
                conns: a.conns,
                problems: a.problems,
            },
            present: Options {
                color: use_color(a.color) && a.format == PcapFormat::Summary,
                show_secrets: a.show_secrets,
                payload,
            },
            table: a.format == PcapFormat::Summary && io::stdout().is_terminal(),
            analysis: AnalysisWanted {
                stats: a.stats,
                check: a.check,
            },
            progress: io::stderr().is_terminal(),
            threads: match a.threads {
                Some(n) => usize::from(n),
                // The analysis on a thread of its own decodes every packet again and hands
                // records over: on 2 cores that cost more than it gained (medians of 9
                // interleaved runs on the fleet capture: 0.21 s against 0.18 s on one).
                None if a.stats || a.check => 1,
                None => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            },
        })
    }
}

pub fn run<W: Write>(cfg: &PcapConfig, out: &mut W) -> Result<Outcome, CliError> {
    let tcfg = TransportConfig::default();
    if cfg.analysis.stats || cfg.analysis.check {
        return run_analysis(cfg, &tcfg, out);
    }
    if cfg.threads > 1 {
        return threaded::run(cfg, &tcfg, out);
    }
    match cfg.format {
        PcapFormat::Summary => {
            let mut p = SummaryPrinter::new(&mut *out, cfg.present, cfg.verbose, cfg.table);
            run_files(cfg, &tcfg, &mut p)
        }
        PcapFormat::Json | PcapFormat::Jsonl => {
            let mut p = JsonPrinter::new(&mut *out, cfg.present, cfg.format == PcapFormat::Jsonl);
            let r = run_files(cfg, &tcfg, &mut p);
            p.close()?;
            r
        }
    }
}

fn open(file: &PathBuf, progress: bool) -> Result<Box<dyn io::Read>, CliError> {
    let name = file.display().to_string();
    if file.as_os_str() == "-" {
        return Ok(Box::new(ProgressReader::new(
            io::stdin().lock(),
            &name,
            None,
            progress,
        )));
    }
    let f = std::fs::File::open(file)
        .map_err(|e| CliError::Usage(format!("cannot open {name}: {e}")))?;
    let total = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    Ok(Box::new(ProgressReader::new(f, &name, total, progress)))
}

/// `--stats` / `--check`: analyse each file, then print its report.
fn run_analysis<W: Write>(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    out: &mut W,
) -> Result<Outcome, CliError> {
    let json = cfg.format != PcapFormat::Summary;
    let lines = cfg.format == PcapFormat::Jsonl;
    let mut failed = false;
    let mut docs = Vec::new();
    let mut capture = cfg.capture.clone();
    capture.tree = false;
    for file in &cfg.files {
        let name = file.display().to_string();
        let reader = io::BufReader::with_capacity(1 << 16, open(file, cfg.progress)?);
        let (result, analyzer) = if cfg.threads > 1 {
            threaded::analyse(reader, tcfg, &capture)
        } else {
            let mut analyzer = Analyzer::default();
            let r = dissect_capture(reader, tcfg, capture.clone(), &mut |r| analyzer.record(r));
            (r.map(|(cap, _)| cap), analyzer)
        };
        match result {
            Ok(cap) => failed |= report_stopped_early(&name, &cap),
            Err(CaptureError::Io(e)) => return Err(CliError::Io(e)),
            Err(e) => return Err(CliError::Usage(format!("{name}: {e}"))),
        }
        let a: Analysis = analyzer.finish();
        failed |= cfg.analysis.check && !a.check_passed();
        if json {
            let mut doc = serde_json::Map::new();
            doc.insert("file".into(), serde_json::Value::String(name.clone()));
            if cfg.analysis.stats {
                doc.insert(
                    "stats".into(),
                    serde_json::to_value(stats::stats_json(&a)).map_err(io::Error::from)?,
                );
            }
            if cfg.analysis.check {
                doc.insert(
                    "check".into(),
                    serde_json::to_value(stats::check_json(&a)).map_err(io::Error::from)?,
                );
            }
            if lines {
                serde_json::to_writer(&mut *out, &doc).map_err(io::Error::from)?;
                writeln!(out)?;
            } else {
                docs.push(serde_json::Value::Object(doc));
            }
        } else {
            if cfg.analysis.stats {
                stats::write_stats(out, &name, &a)?;
            }
            if cfg.analysis.check {
                if cfg.analysis.stats {
                    writeln!(out)?;
                }
                stats::write_check(out, &name, &a)?;
            }
        }
    }
    if json && !lines {
        let doc = serde_json::json!({ "files": docs });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
        writeln!(out)?;
    }
    Ok(outcome(failed))
}

/// Says on standard error when reading `cap` stopped before the end of the file, and
/// returns whether it did: the reports show the event, but the exit status needs a reason
/// wherever it is read.
pub(super) fn report_stopped_early(name: &str, cap: &CaptureSummary) -> bool {
    let Some(frame) = cap.stopped_after_frame else {
        return false;
    };
    eprintln!(
        "mqtt-dissect: {name}: reading stopped at the capture record after frame {frame}, which \
         cannot be used; the rest of the file was not read"
    );
    true
}

/// Exit 1 when a capture could not be read to its end (or `--check` failed).
pub(super) fn outcome(failed: bool) -> Outcome {
    match failed {
        true => Outcome::Problems,
        false => Outcome::Clean,
    }
}

fn run_files(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    printer: &mut dyn CapturePrinter,
) -> Result<Outcome, CliError> {
    let mut stopped = false;
    for file in &cfg.files {
        let name = file.display().to_string();
        let reader = open(file, cfg.progress)?;
        printer.begin(&name)?;
        let mut write_error: Option<io::Error> = None;
        // When the output is gone (`| head`), stop reading instead of dissecting the rest.
        let stop = Rc::new(Cell::new(false));
        let reader = StopReader {
            inner: reader,
            stop: Rc::clone(&stop),
        };
        // The analysis stage adds the stateful diagnostics before a record is printed.
        let mut analyzer = Analyzer::new(AnalysisConfig::for_printing());
        let result = dissect_capture(
            io::BufReader::with_capacity(1 << 16, reader),
            tcfg,
            cfg.capture.clone(),
            &mut |r| {
                analyzer.record(r);
                if write_error.is_none() && cfg.filter.wants(r) {
                    if let Err(e) = printer.record(r) {
                        write_error = Some(e);
                        stop.set(true);
                    }
                }
            },
        );
        if let Some(e) = write_error {
            return Err(CliError::Io(e));
        }
        match result {
            Ok((cap, dis)) => {
                printer.end(&name, &cap, &dis)?;
                stopped |= report_stopped_early(&name, &cap);
            }
            Err(CaptureError::Io(e)) => return Err(CliError::Io(e)),
            Err(e) => return Err(CliError::Usage(format!("{name}: {e}"))),
        }
    }
    Ok(outcome(stopped))
}
