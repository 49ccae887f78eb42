//! The `pcap` printing path on two threads: this one reads, reassembles, frames, decodes
//! (without field trees) and analyses; a printing thread decodes each packet again with
//! the trees its output needs and formats it. Records cross in batches, as owned copies,
//! in capture order; the formatted bytes come back and are written here, so the output is
//! byte for byte what one thread would print. Memory stays bounded: at most `IN_FLIGHT`
//! batches wait on either side.

use super::{open, CliError, Outcome, PcapConfig, PcapFormat, StopReader};
use mqtt_dissect::dissect::analysis::Analyzer;
use mqtt_dissect::dissect::capture::{dissect_capture, DissectSummary};
use mqtt_dissect::dissect::owned::{Batch, Scratch, Snapshots};
use mqtt_dissect::present::capture::{CapturePrinter, JsonPrinter, SummaryPrinter};
use mqtt_dissect::transport::{CaptureError, CaptureSummary, TransportConfig};
use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Records per batch: enough to make the hand-over cheap, few enough to keep memory small.
const BATCH: usize = 512;
/// Batches queued towards the printing thread.
const IN_FLIGHT: usize = 8;

enum Job {
    Begin(String),
    Records(Batch),
    End(String, Box<(CaptureSummary, DissectSummary)>),
}

/// The printers, writing into a buffer that is handed back after each job.
enum Printer {
    Summary(SummaryPrinter<Vec<u8>>),
    Json(JsonPrinter<Vec<u8>>),
}

/// The printing thread's state.
struct Printing {
    printer: Printer,
    scratch: Scratch,
    tree: bool,
}

impl Printer {
    fn new(cfg: &PcapConfig) -> Printer {
        match cfg.format {
            PcapFormat::Summary => Printer::Summary(SummaryPrinter::new(
                Vec::new(),
                cfg.present,
                cfg.verbose,
                cfg.table,
            )),
            PcapFormat::Json | PcapFormat::Jsonl => Printer::Json(JsonPrinter::new(
                Vec::new(),
                cfg.present,
                cfg.format == PcapFormat::Jsonl,
            )),
        }
    }

    fn printer(&mut self) -> &mut dyn CapturePrinter {
        match self {
            Printer::Summary(p) => p,
            Printer::Json(p) => p,
        }
    }

    /// What was printed so far; the buffer starts again with the same capacity.
    fn take(&mut self) -> io::Result<Vec<u8>> {
        let w = match self {
            Printer::Summary(p) => p.writer_mut(),
            Printer::Json(p) => p.flushed_writer()?,
        };
        Ok(std::mem::replace(w, Vec::with_capacity(w.capacity())))
    }
}

impl Printing {
    /// Runs one job; returns the bytes it printed.
    fn job(&mut self, job: Job) -> io::Result<Vec<u8>> {
        let p = &mut self.printer;
        match job {
            Job::Begin(name) => p.printer().begin(&name)?,
            Job::Records(batch) => {
                batch.try_for_each(self.tree, &mut self.scratch, |r| p.printer().record(r))?
            }
            Job::End(name, sums) => p.printer().end(&name, &sums.0, &sums.1)?,
        }
        p.take()
    }
}

/// Where the main thread is in handing work over and writing what comes back.
struct Handover<'o, W: Write> {
    jobs: SyncSender<Job>,
    printed: Receiver<io::Result<Vec<u8>>>,
    out: &'o mut W,
    /// Jobs sent whose output has not been written yet.
    pending: usize,
    error: Option<io::Error>,
}

impl<W: Write> Handover<'_, W> {
    fn send(&mut self, job: Job) {
        if self.error.is_some() {
            return;
        }
        if self.jobs.send(job).is_err() {
            self.error = Some(io::Error::other("the printing thread stopped"));
            return;
        }
        self.pending += 1;
        // Write whatever is ready, without waiting.
        while let Ok(r) = self.printed.try_recv() {
            self.write(r);
        }
    }

    fn write(&mut self, printed: io::Result<Vec<u8>>) {
        self.pending -= 1;
        if self.error.is_none() {
            if let Err(e) = printed.and_then(|b| self.out.write_all(&b)) {
                self.error = Some(e);
            }
        }
    }

    /// Waits for the output of every job sent.
    fn drain(&mut self) {
        while self.pending > 0 {
            match self.printed.recv() {
                Ok(r) => self.write(r),
                Err(_) => {
                    self.error
                        .get_or_insert_with(|| io::Error::other("the printing thread stopped"));
                    return;
                }
            }
        }
    }
}

/// [`super::run`] for the summary and JSON formats, on two threads.
pub fn run<W: Write>(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    out: &mut W,
) -> Result<Outcome, CliError> {
    let tree = cfg.capture.tree;
    let mut capture = cfg.capture.clone();
    // Trees are built by the printing thread; the analysis needs none.
    capture.tree = false;
    let (jobs, jobs_rx) = mpsc::sync_channel::<Job>(IN_FLIGHT);
    let (printed_tx, printed) = mpsc::channel::<io::Result<Vec<u8>>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut p = Printing {
                printer: Printer::new(cfg),
                scratch: Scratch::default(),
                tree,
            };
            for job in jobs_rx {
                let r = p.job(job);
                let failed = r.is_err();
                if printed_tx.send(r).is_err() || failed {
                    return;
                }
            }
            if let Printer::Json(j) = &mut p.printer {
                let r = j.close().and_then(|()| p.printer.take());
                let _ = printed_tx.send(r);
            }
        });
        let mut h = Handover {
            jobs,
            printed,
            out,
            pending: 0,
            error: None,
        };
        let result = files(cfg, tcfg, &capture, &mut h);
        // Closing the queue lets the printing thread finish (and close a JSON document).
        drop(h.jobs);
        let mut error = h.error;
        for r in h.printed {
            if error.is_none() {
                if let Err(e) = r.and_then(|b| h.out.write_all(&b)) {
                    error = Some(e);
                }
            }
        }
        match error {
            Some(e) => Err(CliError::Io(e)),
            None => result,
        }
    })
}

fn files<W: Write>(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    capture: &mqtt_dissect::dissect::capture::CaptureConfig,
    h: &mut Handover<'_, W>,
) -> Result<Outcome, CliError> {
    for file in &cfg.files {
        let name = file.display().to_string();
        let reader = open(file, cfg.progress)?;
        h.send(Job::Begin(name.clone()));
        // When the output is gone (`| head`), stop reading instead of dissecting the rest.
        let stop = Rc::new(Cell::new(false));
        let reader = StopReader {
            inner: reader,
            stop: Rc::clone(&stop),
        };
        let mut analyzer = Analyzer::default();
        let mut snapshots = Snapshots::default();
        let mut batch = Batch::with_capacity(BATCH);
        let result = dissect_capture(
            io::BufReader::with_capacity(1 << 16, reader),
            tcfg,
            capture.clone(),
            &mut |mut r| {
                analyzer.record(&mut r);
                if h.error.is_none() && cfg.filter.wants(&r) {
                    batch.push(&mut r, &mut snapshots);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Batch::with_capacity(BATCH));
                        h.send(Job::Records(full));
                    }
                }
                if h.error.is_some() {
                    stop.set(true);
                }
            },
        );
        if !batch.is_empty() {
            h.send(Job::Records(batch));
        }
        match result {
            Ok((cap, dis)) => h.send(Job::End(name, Box::new((cap, dis)))),
            Err(CaptureError::Io(e)) => {
                h.drain();
                return Err(CliError::Io(e));
            }
            Err(e) => {
                h.drain();
                return Err(CliError::Usage(format!("{name}: {e}")));
            }
        }
        if h.error.is_some() {
            break;
        }
    }
    h.drain();
    Ok(Outcome::Clean)
}
