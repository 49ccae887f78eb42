//! `pcap`: every MQTT packet of every connection in pcap/pcapng captures.

use super::args::{PayloadChoice, PcapArgs, PcapFormat};
use super::config::{parse_version, use_color};
use super::{CliError, Outcome};
use mqtt_dissect::codec::{topic, Packet, PacketType, ProtocolVersion};
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::present::capture::{
    event_is_problem, CapturePrinter, JsonPrinter, SummaryPrinter,
};
use mqtt_dissect::present::{Options, PayloadMode};
use mqtt_dissect::transport::{CaptureError, TransportConfig};
use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;

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
    /// True when the record is to be printed.
    pub fn wants(&self, r: &Record<'_>) -> bool {
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
                if self.problems && d.diagnostics.is_empty() {
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
        Ok(PcapConfig {
            files: a.files,
            capture: CaptureConfig {
                mqtt_ports,
                tls_ports,
                protocol,
                tree,
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
        })
    }
}

pub fn run<W: Write>(cfg: &PcapConfig, out: &mut W) -> Result<Outcome, CliError> {
    let tcfg = TransportConfig::default();
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

fn run_files(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    printer: &mut dyn CapturePrinter,
) -> Result<Outcome, CliError> {
    for file in &cfg.files {
        let name = file.display().to_string();
        let reader: Box<dyn io::Read> = if file.as_os_str() == "-" {
            Box::new(io::stdin().lock())
        } else {
            Box::new(
                std::fs::File::open(file)
                    .map_err(|e| CliError::Usage(format!("cannot open {name}: {e}")))?,
            )
        };
        printer.begin(&name)?;
        let mut write_error: Option<io::Error> = None;
        // When the output is gone (`| head`), stop reading instead of dissecting the rest.
        let stop = Rc::new(Cell::new(false));
        let reader = StopReader {
            inner: reader,
            stop: Rc::clone(&stop),
        };
        let result = dissect_capture(
            io::BufReader::with_capacity(1 << 16, reader),
            tcfg,
            cfg.capture.clone(),
            &mut |r| {
                if write_error.is_none() && cfg.filter.wants(&r) {
                    if let Err(e) = printer.record(&r) {
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
            Ok((cap, dis)) => printer.end(&name, &cap, &dis)?,
            Err(CaptureError::Io(e)) => return Err(CliError::Io(e)),
            Err(e) => return Err(CliError::Usage(format!("{name}: {e}"))),
        }
    }
    Ok(Outcome::Clean)
}
