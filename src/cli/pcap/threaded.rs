//! The `pcap` printing path on several threads: this one reads, reassembles, frames,
//! decodes (without field trees) and analyses; printing threads decode each packet again
//! with the trees their output needs and format it. Records cross in batches, as owned
//! copies; the formatted bytes come back numbered and are written here in capture order,
//! so the output is byte for byte what one thread prints.
//!
//! JSON records do not depend on each other: batches go round-robin to every printing
//! thread, each job saying where in the document it starts. The summary remembers which
//! connections it introduced, so it has one printing thread. Memory stays bounded: at
//! most [`in_flight`] jobs wait per printing thread, and no more come back than were sent.

use super::{open, CliError, Outcome, PcapConfig, PcapFormat, StopReader};
use mqtt_dissect::dissect::analysis::{AnalysisConfig, Analyzer};
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, DissectSummary, Record};
use mqtt_dissect::dissect::owned::{Batch, Scratch, Snapshots};
use mqtt_dissect::present::capture::{CapturePrinter, JsonPrinter, SummaryPrinter};
use mqtt_dissect::transport::{CaptureError, CaptureSummary, TransportConfig};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Records per batch: enough to make the hand-over cheap, few enough to keep memory small.
const BATCH: usize = 512;
/// Jobs queued towards each printing thread. The two sides' speeds vary from batch to batch
/// (a run of CONNECTs, of PUBLISHes with long payloads), and a short queue made each wait
/// for the other: with 64 jobs the summary of the fleet capture took a median 0.25 s
/// against 0.29 s with 4 (11 interleaved runs), for 16 MiB of memory instead of 8. JSON
/// output is some ten times larger per job and has several printing threads: 4.
fn in_flight(format: PcapFormat) -> usize {
    match format {
        PcapFormat::Summary => 64,
        PcapFormat::Json | PcapFormat::Jsonl => 4,
    }
}

/// Batches queued towards the analysis thread (no output comes back).
const ANALYSIS_IN_FLIGHT: usize = 64;

/// Where a job starts in the output: what the JSON printer needs to continue there.
#[derive(Clone, Copy, Default)]
struct Position {
    /// Files begun before this job.
    files: usize,
    /// Packets of the current file printed before this job.
    index: usize,
    /// No record of the current file printed yet.
    first_record: bool,
}

enum Job {
    Begin(String),
    Records(Batch),
    End(String, Box<(CaptureSummary, DissectSummary)>),
    Close,
}

/// The printers, writing into a buffer that is handed back after each job.
enum Printer {
    Summary(SummaryPrinter<Vec<u8>>),
    Json(JsonPrinter<Vec<u8>>),
}

/// A printing thread's state.
struct Printing {
    printer: Printer,
    /// Output buffers the main thread has written and sent back.
    spare: Receiver<Vec<u8>>,
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

    /// What was printed so far; printing goes on in `spare` (an emptied buffer).
    fn take(&mut self, spare: Vec<u8>) -> io::Result<Vec<u8>> {
        let w = match self {
            Printer::Summary(p) => p.flushed_writer()?,
            Printer::Json(p) => p.flushed_writer()?,
        };
        Ok(std::mem::replace(w, spare))
    }
}

impl Printing {
    /// Runs one job; returns the bytes it printed. A batch is left empty, to be reused.
    fn job(&mut self, at: Position, job: &mut Job) -> io::Result<Vec<u8>> {
        let p = &mut self.printer;
        if let Printer::Json(j) = p {
            j.continue_at(at.files, at.index, at.first_record);
        }
        match job {
            Job::Begin(name) => p.printer().begin(name)?,
            Job::Records(batch) => {
                batch.try_for_each(self.tree, &mut self.scratch, |r| p.printer().record(r))?
            }
            Job::End(name, sums) => p.printer().end(name, &sums.0, &sums.1)?,
            Job::Close => {
                if let Printer::Json(j) = p {
                    j.close()?;
                }
            }
        }
        // Reusing buffers spares an allocation here and a free on the main thread, which
        // for buffers this size cost page faults.
        let spare = self.spare.try_recv().unwrap_or_default();
        p.take(spare)
    }
}

type Printed = (u64, io::Result<Vec<u8>>);

/// The main thread's side: sends jobs in turn, writes what comes back in order.
struct Handover<'o, W: Write> {
    workers: Vec<SyncSender<(Position, Job)>>,
    /// Written output buffers go back to the thread that printed them.
    spare: Vec<Sender<Vec<u8>>>,
    printed: Receiver<Printed>,
    /// Batches the printing threads are done with.
    recycled: Receiver<Batch>,
    out: &'o mut W,
    /// Number of the next job sent, and of the next to be written.
    sent: u64,
    written: u64,
    /// Output that came back before the output of jobs sent earlier.
    early: BTreeMap<u64, Vec<u8>>,
    at: Position,
    error: Option<io::Error>,
}

impl<W: Write> Handover<'_, W> {
    fn send(&mut self, job: Job) {
        if self.error.is_some() {
            return;
        }
        let at = self.at;
        match &job {
            Job::Begin(_) => {
                self.at.files += 1;
                self.at.index = 0;
                self.at.first_record = true;
            }
            Job::Records(b) => {
                self.at.index += b.packets();
                self.at.first_record &= b.is_empty();
            }
            Job::End(..) | Job::Close => {}
        }
        let worker = &self.workers[(self.sent % self.workers.len() as u64) as usize];
        if worker.send((at, job)).is_err() {
            self.error = Some(io::Error::other("a printing thread stopped"));
            return;
        }
        self.sent += 1;
        // Write whatever is ready, without waiting.
        while let Ok(p) = self.printed.try_recv() {
            self.take(p);
        }
    }

    fn take(&mut self, (n, printed): Printed) {
        match printed {
            Ok(bytes) => {
                self.early.insert(n, bytes);
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        while let Some(mut bytes) = self.early.remove(&self.written) {
            if self.error.is_none() {
                if let Err(e) = self.out.write_all(&bytes) {
                    self.error = Some(e);
                }
            }
            bytes.clear();
            // Job n was printed by thread n mod threads (they take jobs in turn).
            let _ = self.spare[(self.written % self.spare.len() as u64) as usize].send(bytes);
            self.written += 1;
        }
    }

    fn batch(&self) -> Batch {
        reuse(&self.recycled)
    }

    /// Waits for the output of every job sent and writes it.
    fn drain(&mut self) {
        while self.written < self.sent && self.error.is_none() {
            match self.printed.recv() {
                Ok(p) => self.take(p),
                Err(_) => {
                    self.error = Some(io::Error::other("a printing thread stopped"));
                }
            }
        }
    }
}

/// An empty batch: one sent back if there is one (no more exist than the jobs in flight
/// hold), a new one otherwise.
fn reuse(recycled: &Receiver<Batch>) -> Batch {
    recycled
        .try_recv()
        .unwrap_or_else(|_| Batch::with_capacity(BATCH))
}

/// [`super::run`] for the summary and JSON formats, on several threads.
pub fn run<W: Write>(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    out: &mut W,
) -> Result<Outcome, CliError> {
    let tree = cfg.capture.tree;
    let mut capture = cfg.capture.clone();
    // Trees are built by the printing threads; the analysis needs none.
    capture.tree = false;
    let printers = match cfg.format {
        PcapFormat::Summary => 1,
        PcapFormat::Json | PcapFormat::Jsonl => cfg.threads.max(1),
    };
    let (printed_tx, printed) = mpsc::channel::<Printed>();
    let (recycle, recycled) = mpsc::channel::<Batch>();
    std::thread::scope(|s| {
        let (mut workers, mut spares) = (Vec::new(), Vec::new());
        for i in 0..printers {
            let (tx, rx) = mpsc::sync_channel::<(Position, Job)>(in_flight(cfg.format));
            let (spare_tx, spare) = mpsc::channel::<Vec<u8>>();
            spares.push(spare_tx);
            let printed_tx: Sender<Printed> = printed_tx.clone();
            let recycle = recycle.clone();
            workers.push(tx);
            s.spawn(move || {
                let mut p = Printing {
                    printer: Printer::new(cfg),
                    spare,
                    scratch: Scratch::default(),
                    tree,
                };
                // Jobs are numbered in turn: this thread's come every `printers`.
                let mut n = i as u64;
                for (at, mut job) in rx {
                    let r = p.job(at, &mut job);
                    if let Job::Records(b) = job {
                        let _ = recycle.send(b);
                    }
                    let failed = r.is_err();
                    if printed_tx.send((n, r)).is_err() || failed {
                        return;
                    }
                    n += printers as u64;
                }
            });
        }
        drop(printed_tx);
        drop(recycle);
        let mut h = Handover {
            workers,
            spare: spares,
            printed,
            recycled,
            out,
            sent: 0,
            written: 0,
            early: BTreeMap::new(),
            at: Position::default(),
            error: None,
        };
        let result = files(cfg, tcfg, &capture, &mut h);
        h.send(Job::Close);
        h.drain();
        // Closing the queues lets the printing threads finish.
        h.workers.clear();
        match h.error {
            Some(e) => Err(CliError::Io(e)),
            None => result,
        }
    })
}

fn files<W: Write>(
    cfg: &PcapConfig,
    tcfg: &TransportConfig,
    capture: &CaptureConfig,
    h: &mut Handover<'_, W>,
) -> Result<Outcome, CliError> {
    let mut stopped = false;
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
        // Diagnostics for the printed records; no report follows.
        let mut analyzer = Analyzer::new(AnalysisConfig::for_printing());
        let mut snapshots = Snapshots::default();
        let mut batch = h.batch();
        let everything = cfg.filter.is_everything();
        let result = dissect_capture(
            io::BufReader::with_capacity(1 << 16, reader),
            tcfg,
            capture.clone(),
            &mut |r: &mut Record<'_>| {
                analyzer.record(r);
                if h.error.is_none() && (everything || cfg.filter.wants(r)) {
                    batch.push(r, &mut snapshots);
                    if batch.len() == BATCH {
                        let next = h.batch();
                        h.send(Job::Records(std::mem::replace(&mut batch, next)));
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
            Ok((cap, dis)) => {
                stopped |= super::report_stopped_early(&name, &cap);
                h.send(Job::End(name, Box::new((cap, dis))));
            }
            Err(CaptureError::Io(e)) => return Err(CliError::Io(e)),
            Err(e) => return Err(CliError::Usage(format!("{name}: {e}"))),
        }
        if h.error.is_some() {
            break;
        }
    }
    Ok(super::outcome(stopped))
}

/// `--stats`/`--check` on two threads: this one reads, reassembles, frames and decodes;
/// the other decodes each packet again and runs the analysis, which needs every record in
/// order. Decoding is deterministic, so the analysis sees the records one thread makes.
pub fn analyse<R: io::Read>(
    reader: R,
    tcfg: &TransportConfig,
    capture: &CaptureConfig,
) -> (Result<CaptureSummary, CaptureError>, Analyzer) {
    let (tx, rx) = mpsc::sync_channel::<Batch>(ANALYSIS_IN_FLIGHT);
    let (recycle, recycled) = mpsc::channel::<Batch>();
    std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let mut analyzer = Analyzer::default();
            let mut scratch = Scratch::default();
            for mut batch in rx {
                let _ = batch.try_for_each(false, &mut scratch, |r| {
                    analyzer.record(r);
                    Ok::<(), ()>(())
                });
                let _ = recycle.send(batch);
            }
            analyzer
        });
        let fresh = || reuse(&recycled);
        let mut snapshots = Snapshots::default();
        let mut batch = fresh();
        let mut gone = false;
        let result = dissect_capture(reader, tcfg, capture.clone(), &mut |r: &mut Record<'_>| {
            batch.push(r, &mut snapshots);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, fresh());
                // The worker only stops by panicking; its join below reports that.
                gone |= tx.send(full).is_err();
            }
        });
        if !batch.is_empty() && !gone {
            let _ = tx.send(batch);
        }
        drop(tx);
        let analyzer = match worker.join() {
            Ok(a) => a,
            Err(p) => std::panic::resume_unwind(p),
        };
        (result.map(|(cap, _)| cap), analyzer)
    })
}
