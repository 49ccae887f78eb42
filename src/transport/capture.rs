//! Streaming pcap/pcapng reading with `pcap-parser`: constant memory (a read buffer
//! that only grows, up to a cap, when a real record needs it), frame numbering from 1,
//! per-interface link types and timestamp resolutions.

use super::event::{CaptureSummary, RecordProblem, Timestamp, TransportEvent};
use super::packet::PacketDecoder;
use super::reassembly::Sink;
use super::TransportConfig;
use pcap_parser::pcapng::{Block, OptionCode};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, PcapError, PcapNGReader};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

/// Initial read buffer size.
const INITIAL_BUFFER: usize = 256 * 1024;

/// Why a capture could not be read at all (the CLI exits with status 2).
#[derive(Debug)]
pub enum CaptureError {
    /// The input is empty.
    Empty,
    /// The input does not start with a pcap or pcapng magic number.
    NotACapture {
        /// The first bytes of the input (up to 16).
        first_bytes: Vec<u8>,
    },
    /// The input ends inside the file header.
    TruncatedHeader {
        /// `"pcap"` or `"pcapng"`.
        format: &'static str,
        /// Bytes the header needs.
        needed: u64,
        /// Bytes the input has.
        have: u64,
    },
    /// The file header is there but invalid.
    BadHeader {
        /// `"pcap"` or `"pcapng"`.
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Reading the input failed.
    Io(io::Error),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Empty => write!(f, "not a capture: the input is empty"),
            CaptureError::NotACapture { first_bytes } => {
                write!(f, "not a pcap or pcapng capture: it starts with")?;
                for b in first_bytes {
                    write!(f, " {b:02x}")?;
                }
                let text: String = first_bytes
                    .iter()
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            char::from(b)
                        } else {
                            '.'
                        }
                    })
                    .collect();
                write!(f, " (\"{text}\")")
            }
            CaptureError::TruncatedHeader {
                format,
                needed,
                have,
            } => write!(
                f,
                "truncated {format} file header: it needs {needed} bytes, the input has {have}"
            ),
            CaptureError::BadHeader { format, detail } => {
                write!(f, "invalid {format} file header: {detail}")
            }
            CaptureError::Io(e) => write!(f, "cannot read the capture: {e}"),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Fills the whole buffer on every `read` (short reads only at end of input), counts
/// bytes, and keeps the I/O error that `pcap-parser` would otherwise flatten.
struct FullRead<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    error: Rc<RefCell<Option<io::Error>>>,
}

impl<R: Read> Read for FullRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if n > 0 {
                        // Deliver what we have; the error comes back on the next read.
                        break;
                    }
                    let kind = e.kind();
                    let msg = e.to_string();
                    *self.error.borrow_mut() = Some(e);
                    return Err(io::Error::new(kind, msg));
                }
            }
        }
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_prefix<R: Read>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut v[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    v.truncate(got);
    Ok(v)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

const PCAP_MAGICS: [[u8; 4]; 6] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Looks at the first bytes: which format, or why not.
fn classify(prefix: &[u8]) -> Result<Format, CaptureError> {
    if prefix.is_empty() {
        return Err(CaptureError::Empty);
    }
    let not = || CaptureError::NotACapture {
        first_bytes: prefix[..prefix.len().min(16)].to_vec(),
    };
    let n = prefix.len().min(4);
    let is_pcap = PCAP_MAGICS.iter().any(|m| m[..n] == prefix[..n]);
    let is_ng = PCAPNG_MAGIC[..n] == prefix[..n];
    let have = prefix.len() as u64;
    if is_pcap {
        if prefix.len() < 24 {
            return Err(CaptureError::TruncatedHeader {
                format: "pcap",
                needed: 24,
                have,
            });
        }
        return Ok(Format::Pcap);
    }
    if !is_ng {
        return Err(not());
    }
    if prefix.len() < 12 {
        return Err(CaptureError::TruncatedHeader {
            format: "pcapng",
            needed: 28,
            have,
        });
    }
    let bom = [prefix[8], prefix[9], prefix[10], prefix[11]];
    let len_bytes = [prefix[4], prefix[5], prefix[6], prefix[7]];
    let len = match bom {
        [0x4d, 0x3c, 0x2b, 0x1a] => u32::from_le_bytes(len_bytes),
        [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len_bytes),
        _ => {
            return Err(CaptureError::BadHeader {
                format: "pcapng",
                detail: format!(
                    "byte-order magic is {:02x} {:02x} {:02x} {:02x}, expected 1a 2b 3c 4d in either order",
                    bom[0], bom[1], bom[2], bom[3]
                ),
            })
        }
    };
    if len < 28 || len % 4 != 0 {
        return Err(CaptureError::BadHeader {
            format: "pcapng",
            detail: format!(
                "section header block length {len} (must be a multiple of 4, at least 28)"
            ),
        });
    }
    if prefix.len() < 28 {
        return Err(CaptureError::TruncatedHeader {
            format: "pcapng",
            needed: u64::from(len),
            have,
        });
    }
    Ok(Format::PcapNg)
}

/// One pcapng interface.
#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: u32,
    /// Timestamp units per second.
    units: u64,
    offset: i64,
    snaplen: u32,
}

/// Timestamp units per second for an `if_tsresol` value: 10^r, or 2^(r & 0x7f) when
/// the high bit is set. Values that do not fit fall back to microseconds.
fn ts_units(r: u8) -> u64 {
    if r & 0x80 != 0 {
        let e = u32::from(r & 0x7f);
        if e <= 63 {
            1u64 << e
        } else {
            1_000_000
        }
    } else {
        10u64.checked_pow(u32::from(r)).unwrap_or(1_000_000)
    }
}

/// pcapng timestamp → (seconds, nanoseconds), without overflow.
fn ng_timestamp(high: u32, low: u32, iface: &Iface) -> Timestamp {
    let ts = (u64::from(high) << 32) | u64::from(low);
    let units = iface.units.max(1);
    let secs = i64::try_from(ts / units)
        .unwrap_or(i64::MAX)
        .saturating_add(iface.offset);
    let frac = u128::from(ts % units) * 1_000_000_000 / u128::from(units);
    Timestamp::new(secs, u64::try_from(frac).unwrap_or(0))
}

/// A pcapng number in the section's byte order.
fn section_u32(big_endian: bool, b: [u8; 4]) -> u32 {
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// State of one read.
struct Reader<'d> {
    dec: &'d mut PacketDecoder,
    frame: u64,
    ifaces: Vec<Iface>,
    /// pcapng section byte order.
    big_endian: bool,
}

impl Reader<'_> {
    #[inline]
    fn packet(&mut self, ts: Timestamp, linktype: u32, data: &[u8], sink: &mut Sink<'_>) {
        self.frame += 1;
        self.dec.frame(self.frame, ts, linktype, data, sink);
    }

    /// The capture ends inside a record, of which `available` bytes are there.
    fn truncated(&mut self, available: usize, sink: &mut Sink<'_>) {
        self.dec.summary_mut().truncated_last_record = true;
        sink(TransportEvent::TruncatedRecord {
            frame: self.frame + 1,
            available: available as u64,
        });
    }

    fn bad_record(&mut self, problem: RecordProblem, counts_as_frame: bool, sink: &mut Sink<'_>) {
        if counts_as_frame {
            self.frame += 1;
        }
        let frame = self.frame;
        let summary = self.dec.summary_mut();
        summary.bad_records += 1;
        if matches!(
            problem,
            RecordProblem::TooLarge | RecordProblem::Unrecoverable
        ) {
            summary.stopped_after_frame = Some(frame);
        }
        sink(TransportEvent::BadRecord { frame, problem });
    }

    fn block(&mut self, block: &PcapBlockOwned<'_>, sink: &mut Sink<'_>) {
        match block {
            // Legacy pcap is read by `read_pcap`, without pcap-parser.
            PcapBlockOwned::LegacyHeader(_) | PcapBlockOwned::Legacy(_) => {}
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.big_endian = shb.big_endian();
                self.ifaces.clear();
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                // if_tsresol and if_tsoffset are read here rather than with pcap-parser's
                // helpers: 0.16 rejects binary resolutions (high bit set) and reads the
                // offset as little-endian in big-endian sections.
                let mut units = 1_000_000u64;
                let mut offset = 0i64;
                for opt in &idb.options {
                    match (opt.code, opt.value.as_ref()) {
                        (OptionCode::IfTsresol, [r, ..]) => units = ts_units(*r),
                        (OptionCode::IfTsoffset, v) if v.len() >= 8 => {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(&v[..8]);
                            offset = if self.big_endian {
                                i64::from_be_bytes(b)
                            } else {
                                i64::from_le_bytes(b)
                            };
                        }
                        _ => {}
                    }
                }
                self.ifaces.push(Iface {
                    linktype: (idb.linktype.0 as u32) & 0xffff,
                    units,
                    offset,
                    snaplen: idb.snaplen,
                });
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                match self.ifaces.get(epb.if_id as usize).copied() {
                    Some(iface) => {
                        let ts = ng_timestamp(epb.ts_high, epb.ts_low, &iface);
                        self.packet(ts, iface.linktype, epb.packet_data(), sink);
                    }
                    None => self.bad_record(RecordProblem::UnknownInterface(epb.if_id), true, sink),
                }
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => match self.ifaces.first().copied() {
                Some(iface) => {
                    let mut data = spb.packet_data();
                    if iface.snaplen > 0 {
                        data = &data[..data.len().min(iface.snaplen as usize)];
                    }
                    // SPBs have no timestamp: keep the previous frame's.
                    let ts = self.dec.last_ts();
                    self.packet(ts, iface.linktype, data, sink);
                }
                None => self.bad_record(RecordProblem::UnknownInterface(0), true, sink),
            },
            PcapBlockOwned::NG(_) => {}
        }
    }

    /// A whole enhanced packet block without options at the start of `data`, for a known
    /// interface: the commonest block, read here rather than by pcap-parser (which
    /// allocates an options vector per block). Returns its length once handled; `None`
    /// leaves the block to pcap-parser, which accepts exactly these blocks and reads
    /// them the same way.
    fn plain_epb(&mut self, data: &[u8], sink: &mut Sink<'_>) -> Option<usize> {
        const EPB: u32 = 6;
        let h = data.get(..28)?;
        let field = |i: usize| section_u32(self.big_endian, [h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (len, caplen) = (field(4) as usize, field(20));
        // pcap-parser's limit (its padding would overflow), then no room for options.
        if field(0) != EPB
            || caplen >= u32::MAX - 4
            || len != 32 + (caplen as usize).div_ceil(4) * 4
        {
            return None;
        }
        let trailer: [u8; 4] = data.get(len - 4..len)?.try_into().ok()?;
        if section_u32(self.big_endian, trailer) as usize != len {
            return None;
        }
        let iface = self.ifaces.get(field(8) as usize).copied()?;
        let ts = ng_timestamp(field(12), field(16), &iface);
        self.packet(ts, iface.linktype, &data[28..28 + caplen as usize], sink);
        Some(len)
    }

    /// Length of the pcapng block at the start of `data`, if its header is there.
    fn ng_block_len(&self, data: &[u8]) -> Option<usize> {
        let b: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        // A section header block carries its own byte order.
        let big_endian = match (data.get(..4), data.get(8..12)) {
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x1a, 0x2b, 0x3c, 0x4d])) => true,
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x4d, 0x3c, 0x2b, 0x1a])) => false,
            _ => self.big_endian,
        };
        usize::try_from(section_u32(big_endian, b)).ok()
    }
}

/// What to do after `next()` failed (owned, so the reader can be borrowed again).
enum Step {
    Refill,
    Grow,
    Skip(usize),
    Truncated(usize),
    Stop(RecordProblem),
    Eof,
    ReadError,
}

/// Reads a pcap or pcapng capture from `reader`, streaming, and reports everything
/// to `sink`; returns the summary. See the module documentation of
/// [`crate::transport`] for the pipeline.
///
/// Errors only when the input is not a capture or its file header is unusable (or on
/// an I/O error); a truncated last record, a malformed block or an unknown link type
/// are events, and everything before them is delivered.
pub fn read_capture<R: Read>(
    reader: R,
    cfg: &TransportConfig,
    sink: &mut Sink<'_>,
) -> Result<CaptureSummary, CaptureError> {
    let mut reader = reader;
    let prefix = read_prefix(&mut reader, 28).map_err(CaptureError::Io)?;
    let format = classify(&prefix)?;
    let count = Rc::new(Cell::new(0u64));
    let error = Rc::new(RefCell::new(None));
    let input = FullRead {
        inner: io::Cursor::new(prefix).chain(reader),
        count: Rc::clone(&count),
        error: Rc::clone(&error),
    };
    let mut dec = PacketDecoder::new(cfg);
    dec.summary_mut().format = format.name();
    let mut rd = Reader {
        dec: &mut dec,
        frame: 0,
        ifaces: Vec::new(),
        big_endian: false,
    };
    let max = cfg.max_record_size.max(64 * 1024);
    let io_error = || {
        CaptureError::Io(
            error
                .borrow_mut()
                .take()
                .unwrap_or_else(|| io::Error::other("read error")),
        )
    };
    match format {
        Format::Pcap => read_pcap(input, max, &mut rd, sink).map_err(|e| match e {
            PcapFail::Io => io_error(),
            PcapFail::Header(e) => e,
        })?,
        Format::PcapNg => read_pcapng(input, max, &count, &error, &mut rd, sink)?,
    }
    Ok(dec.finish(sink))
}

/// Why [`read_pcap`] stopped early.
enum PcapFail {
    /// Reading failed (the error is in `FullRead`'s cell).
    Io,
    Header(CaptureError),
}

/// What [`LegacyRecords::next`] found.
enum Next<'b> {
    Record {
        ts_sec: u32,
        ts_frac: u32,
        data: &'b [u8],
    },
    Eof,
    /// The input ends inside a record, with this many bytes of it.
    Truncated(usize),
    /// A record larger than the biggest buffer allowed.
    TooLarge,
}

/// Legacy pcap records, read straight out of one reusable buffer: a record is used
/// in place, and bytes move only when a refill finds a partial record at the end.
/// The buffer starts at [`INITIAL_BUFFER`] and doubles, up to `max`, only when a
/// record does not fit.
struct LegacyRecords<R> {
    input: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    exhausted: bool,
    max: usize,
    big_endian: bool,
    /// Record header length: 16, or 24 in the "modified" (Kuznetzov) format.
    header_len: usize,
}

impl<R: Read> LegacyRecords<R> {
    /// Moves the unread bytes to the front and reads after them.
    fn refill(&mut self) -> Result<(), PcapFail> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        let n = self
            .input
            .read(&mut self.buf[self.end..])
            .map_err(|_| PcapFail::Io)?;
        self.exhausted = n == 0;
        self.end += n;
        Ok(())
    }

    /// Timestamp seconds, fraction and captured length of the record at `start`, once
    /// its header is there.
    fn header(&self) -> Option<[u32; 3]> {
        if self.end - self.start < self.header_len {
            return None;
        }
        let h: &[u8; 12] = self.buf.get(self.start..self.start + 12)?.try_into().ok()?;
        let f = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        Some([f(0), f(4), f(8)])
    }

    fn next(&mut self) -> Result<Next<'_>, PcapFail> {
        loop {
            let avail = self.end - self.start;
            let header = self.header();
            if let Some([ts_sec, ts_frac, caplen]) = header {
                let len = self.header_len as u64 + u64::from(caplen);
                if len <= avail as u64 {
                    let at = self.start + self.header_len;
                    self.start += len as usize;
                    return Ok(Next::Record {
                        ts_sec,
                        ts_frac,
                        data: &self.buf[at..self.start],
                    });
                }
            }
            if self.exhausted {
                return Ok(if avail == 0 {
                    Next::Eof
                } else {
                    Next::Truncated(avail)
                });
            }
            if avail == self.buf.len() {
                if self.buf.len() >= self.max {
                    return Ok(Next::TooLarge);
                }
                let grown = self.buf.len().saturating_mul(2).min(self.max);
                self.buf.resize(grown, 0);
            }
            self.refill()?;
        }
    }
}

/// The legacy pcap file header: record byte order, record header length, nanosecond
/// timestamps, link type.
fn pcap_header(h: &[u8]) -> Result<(bool, usize, bool, u32), CaptureError> {
    let Some(h) = h.get(..24) else {
        return Err(CaptureError::TruncatedHeader {
            format: "pcap",
            needed: 24,
            have: h.len() as u64,
        });
    };
    let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let big_endian = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 => false,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => true,
        // pcap-parser's name for it, as this error read before.
        _ => {
            return Err(CaptureError::BadHeader {
                format: "pcap",
                detail: "HeaderNotRecognized".into(),
            })
        }
    };
    let net = [h[20], h[21], h[22], h[23]];
    let network = if big_endian {
        u32::from_be_bytes(net)
    } else {
        u32::from_le_bytes(net)
    };
    let header_len = if magic == 0xa1b2_cd34 { 24 } else { 16 };
    let nanos = matches!(magic, 0xa1b2_3c4d | 0x4d3c_b2a1);
    Ok((big_endian, header_len, nanos, network & 0xffff))
}

/// Reads a legacy pcap capture.
fn read_pcap<R: Read>(
    input: R,
    max: usize,
    rd: &mut Reader<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), PcapFail> {
    let mut lr = LegacyRecords {
        input,
        buf: vec![0; INITIAL_BUFFER.min(max)],
        start: 0,
        end: 0,
        exhausted: false,
        max,
        big_endian: false,
        header_len: 16,
    };
    lr.refill()?;
    let (big_endian, header_len, nanos, linktype) =
        pcap_header(&lr.buf[..lr.end]).map_err(PcapFail::Header)?;
    (lr.big_endian, lr.header_len, lr.start) = (big_endian, header_len, 24);
    // Nanoseconds per unit of the timestamp fraction.
    let mult = if nanos { 1 } else { 1000 };
    loop {
        match lr.next()? {
            Next::Record {
                ts_sec,
                ts_frac,
                data,
            } => {
                let ts = Timestamp::new(i64::from(ts_sec), u64::from(ts_frac) * mult);
                rd.packet(ts, linktype, data, sink);
            }
            Next::Eof => return Ok(()),
            Next::Truncated(available) => {
                rd.truncated(available, sink);
                return Ok(());
            }
            Next::TooLarge => {
                rd.bad_record(RecordProblem::TooLarge, false, sink);
                return Ok(());
            }
        }
    }
}

/// Reads a pcapng capture with `pcap-parser`.
fn read_pcapng<R: Read>(
    input: R,
    max: usize,
    count: &Cell<u64>,
    error: &RefCell<Option<io::Error>>,
    rd: &mut Reader<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), CaptureError> {
    let format = Format::PcapNg;
    let mut capacity = INITIAL_BUFFER.min(max);
    let io_error = || {
        CaptureError::Io(
            error
                .borrow_mut()
                .take()
                .unwrap_or_else(|| io::Error::other("read error")),
        )
    };
    let header_error = |e: PcapError<&[u8]>| match e {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            CaptureError::TruncatedHeader {
                format: format.name(),
                needed: 0,
                have: count.get(),
            }
        }
        PcapError::ReadError => io_error(),
        other => CaptureError::BadHeader {
            format: format.name(),
            detail: format!("{other:?}"),
        },
    };
    let mut it = PcapNGReader::new(capacity, input).map_err(header_error)?;
    loop {
        if let Some(len) = rd.plain_epb(it.data(), sink) {
            it.consume_noshift(len);
            continue;
        }
        // A pcapng block shorter than its own 12-byte frame: pcap-parser would compute its
        // content length as `len - 12` (an overflow), so it is caught here.
        let too_short = rd.ng_block_len(it.data()).is_some_and(|len| len < 12);
        let next = if too_short { None } else { Some(it.next()) };
        let step = match next {
            None => Step::Stop(RecordProblem::Unrecoverable),
            Some(Ok((off, block))) => {
                rd.block(&block, sink);
                // Without shifting: `consume` moves the unread half of the buffer to its
                // front every time half of it was read; `refill` shifts anyway, and then
                // only the partial block at the end.
                it.consume_noshift(off);
                continue;
            }
            Some(Err(PcapError::Eof)) => Step::Eof,
            Some(Err(PcapError::Incomplete(_))) => Step::Refill,
            Some(Err(PcapError::BufferTooSmall)) => Step::Grow,
            Some(Err(PcapError::UnexpectedEof)) => Step::Truncated(0),
            Some(Err(PcapError::ReadError)) => Step::ReadError,
            Some(Err(PcapError::NomError(..) | PcapError::OwnedNomError(..))) => {
                match rd.ng_block_len(it.data()) {
                    Some(len) if len >= 12 && len <= it.data().len() => Step::Skip(len),
                    _ => Step::Stop(RecordProblem::Unrecoverable),
                }
            }
            Some(Err(PcapError::HeaderNotRecognized)) => Step::Stop(RecordProblem::Unrecoverable),
        };
        let available = it.data().len();
        let step = match step {
            Step::Refill if available >= capacity => Step::Grow,
            // A pcapng block whose inner lengths want more than its own length says.
            Step::Refill => match rd.ng_block_len(it.data()) {
                Some(len) if len >= 12 && len <= available => Step::Skip(len),
                _ => Step::Refill,
            },
            Step::Grow if available < capacity => Step::Refill,
            Step::Grow if capacity >= max => Step::Stop(RecordProblem::TooLarge),
            Step::Truncated(_) => Step::Truncated(available),
            s => s,
        };
        match step {
            Step::Eof => return Ok(()),
            Step::Refill => it.refill().map_err(|_| io_error())?,
            Step::Grow => {
                capacity = capacity.saturating_mul(2).min(max);
                it.grow(capacity);
                it.refill().map_err(|_| io_error())?;
            }
            Step::Skip(len) => {
                rd.bad_record(RecordProblem::MalformedBlock, false, sink);
                it.consume_noshift(len);
            }
            Step::Truncated(available) => {
                rd.truncated(available, sink);
                return Ok(());
            }
            Step::Stop(problem) => {
                rd.bad_record(problem, false, sink);
                return Ok(());
            }
            Step::ReadError => return Err(io_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A legacy pcap: file header with `magic` (as written), link type RAW, then records
    /// of `caplen` bytes (timestamps 1 s + `i` units), each header `rec_hdr` bytes long.
    fn pcap(magic: [u8; 4], be: bool, rec_hdr: usize, records: &[usize]) -> Vec<u8> {
        let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut f = magic.to_vec();
        f.extend_from_slice(&[0; 16]);
        f.extend_from_slice(&w(101));
        for (i, &len) in records.iter().enumerate() {
            for v in [1, i as u32 + 7, len as u32, len as u32] {
                f.extend_from_slice(&w(v));
            }
            f.resize(f.len() + rec_hdr - 16, 0);
            f.resize(f.len() + len, 0x45);
        }
        f
    }

    fn run(file: &[u8], max: usize) -> (Result<CaptureSummary, CaptureError>, Vec<String>) {
        let cfg = TransportConfig {
            max_record_size: max,
            ..TransportConfig::default()
        };
        let mut events = Vec::new();
        let mut sink = |e: TransportEvent<'_>| match e {
            TransportEvent::TruncatedRecord { .. } | TransportEvent::BadRecord { .. } => {
                events.push(format!("{e:?}"))
            }
            _ => {}
        };
        (read_capture(file, &cfg, &mut sink), events)
    }

    const DEFAULT_MAX: usize = 16 << 20;
    const LE: [u8; 4] = [0xd4, 0xc3, 0xb2, 0xa1];

    #[test]
    fn pcapng_blocks_off_the_plain_path_read_as_before() {
        use crate::transport::testing::PcapNgWriter;
        let ip = [0x45u8, 0, 0, 4];
        for big_endian in [false, true] {
            let mut w = PcapNgWriter::new();
            w.section(big_endian).interface(101, None).epb(0, 1, &ip);
            let e32 = |v: u32| {
                if big_endian {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            // With a comment option: left to pcap-parser, still a frame.
            let mut body = Vec::new();
            for v in [0, 0, 2, 4, 4] {
                body.extend_from_slice(&e32(v));
            }
            body.extend_from_slice(&ip);
            body.extend_from_slice(&[0; 12]);
            // opt_comment (1), 3 bytes; then opt_endofopt.
            body[24..28].copy_from_slice(&if big_endian {
                [0, 1, 0, 3]
            } else {
                [1, 0, 3, 0]
            });
            body[28..31].copy_from_slice(b"abc");
            w.raw_block(6, &body);
            // A trailer that disagrees with the header: malformed, skipped.
            w.epb(0, 3, &ip);
            let mut f = w.into_bytes();
            let n = f.len();
            f[n - 4..].copy_from_slice(&e32(40));
            let mut w = PcapNgWriter::new();
            w.section(big_endian).interface(101, None).epb(0, 4, &ip);
            // Drop the second section header: the interface of the first one stays.
            f.extend_from_slice(&w.bytes()[28..]);
            let (s, ev) = run(&f, DEFAULT_MAX);
            let s = s.unwrap();
            assert_eq!(
                (s.frames, s.bad_records),
                (3, 1),
                "big endian: {big_endian}"
            );
            assert_eq!(ev, ["BadRecord { frame: 2, problem: MalformedBlock }"]);
        }
    }

    #[test]
    fn legacy_byte_orders_and_the_modified_format() {
        let be = pcap([0xa1, 0xb2, 0xc3, 0xd4], true, 16, &[20, 30]);
        let modified = pcap([0x34, 0xcd, 0xb2, 0xa1], false, 24, &[20, 30]);
        for f in [pcap(LE, false, 16, &[20, 30]), be, modified] {
            let (s, ev) = run(&f, DEFAULT_MAX);
            let s = s.unwrap();
            assert_eq!((s.frames, s.captured_bytes, ev.len()), (2, 50, 0));
            assert_eq!(s.frames_per_linktype.get(&101), Some(&2));
        }
        let (s, _) = run(
            &pcap([0xa1, 0xb2, 0xcd, 0x34], true, 24, &[20]),
            DEFAULT_MAX,
        );
        assert!(
            matches!(s, Err(CaptureError::BadHeader { detail, .. }) if detail == "HeaderNotRecognized")
        );
    }

    #[test]
    fn legacy_truncated_and_too_large_records() {
        let mut f = pcap(LE, false, 16, &[20, 30]);
        f.truncate(f.len() - 5);
        let (s, ev) = run(&f, DEFAULT_MAX);
        assert!(s.unwrap().truncated_last_record);
        assert_eq!(ev, ["TruncatedRecord { frame: 2, available: 41 }"]);
        // Larger than the cap: too large once the cap's worth of bytes is there...
        let (s, ev) = run(&pcap(LE, false, 16, &[10, 70_000]), 65_536);
        assert_eq!(s.unwrap().frames, 1);
        assert_eq!(ev, ["BadRecord { frame: 1, problem: TooLarge }"]);
        // ...and truncated when the input ends first.
        let mut f = pcap(LE, false, 16, &[10, 70_000]);
        f.truncate(24 + 26 + 60_000);
        let (_, ev) = run(&f, 65_536);
        assert_eq!(ev, ["TruncatedRecord { frame: 2, available: 60000 }"]);
    }

    #[test]
    fn legacy_records_filling_the_buffer_exactly_or_growing_it() {
        // The first record ends exactly at the initial buffer's end; the next needs it to grow.
        let first = INITIAL_BUFFER - 24 - 16;
        let (s, ev) = run(&pcap(LE, false, 16, &[first, 300_000, 5]), DEFAULT_MAX);
        let s = s.unwrap();
        assert_eq!((s.frames, s.captured_bytes), (3, first as u64 + 300_005));
        assert!(ev.is_empty());
    }
}
