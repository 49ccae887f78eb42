//! TCP stream reassembly: segments in, ordered per-direction bytes and reports out.
//!
//! Each connection (keyed by its 4-tuple) has two directions. A direction keeps the
//! offset of the next byte it expects; a segment at that offset is delivered straight
//! from the frame (no copy), a segment beyond it is copied into a bounded out-of-order
//! buffer, and anything before it is a retransmission or an overlap. The first-seen
//! bytes always win. A hole becomes a [`TransportEvent::Gap`] when the receiver
//! acknowledges past it, when the buffer reaches its cap, or when the connection ends
//! (RST, end of capture, eviction). Sequence numbers are compared with wrapping
//! arithmetic relative to the next expected byte, so wrap-around needs no special case.
//!
//! Every payload byte of every segment ends up in exactly one of: a `Data` event, a
//! `Retransmission`, the overlapping part of an `Overlap`, or an `Ignored` event; and every
//! stream offset is covered by exactly one `Data` or `Gap` event.

use super::conntable::{key_of, ConnTable, Key};
use super::event::{
    CloseKind, Endpoint, GapReason, IgnoreReason, Side, StreamDir, TcpStats, Timestamp,
    TransportEvent,
};
use super::tcp::{TcpFlags, TcpSegment};
use super::TransportConfig;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The callback every stage reports to.
pub type Sink<'s> = dyn FnMut(TransportEvent<'_>) + 's;

/// Per-call context: where events go and the frame being processed.
struct Out<'x, 's> {
    stats: &'x mut TcpStats,
    sink: &'x mut Sink<'s>,
    frame: u64,
    ts: Timestamp,
    retain: usize,
    cap: usize,
}

impl Out<'_, '_> {
    fn emit(&mut self, ev: TransportEvent<'_>) {
        (self.sink)(ev)
    }
}

/// Out-of-order bytes, with the frame that brought them.
struct Buffered {
    data: Vec<u8>,
    frame: u64,
    ts: Timestamp,
}

/// Bytes of one segment that were already seen, accumulated over the segment's pieces.
#[derive(Default)]
struct OverlapAcc {
    len: u64,
    differs: Option<bool>,
    any: bool,
}

impl OverlapAcc {
    fn add(&mut self, len: usize, differs: Option<bool>) {
        if len == 0 {
            return;
        }
        self.len += len as u64;
        self.differs = if !self.any {
            differs
        } else {
            match (self.differs, differs) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        };
        self.any = true;
    }
}

/// One direction of a connection.
#[derive(Default)]
struct Half {
    /// A segment was seen from this side (so `base` means something).
    active: bool,
    /// This side's SYN was seen (offsets are relative to ISN+1).
    syn_seen: bool,
    /// Sequence number of stream offset 0.
    base: u32,
    /// Offset of the next byte to deliver.
    next: u64,
    /// Out-of-order bytes by offset; all keys are > `next`, ranges never overlap.
    ooo: BTreeMap<u64, Buffered>,
    ooo_bytes: usize,
    /// Offset of the FIN (one past the last data byte).
    fin: Option<u64>,
    /// `Closed { Fin }` reported.
    closed: bool,
    /// Highest offset the peer acknowledged.
    max_ack: Option<u64>,
    /// The last delivered bytes (ending at `next`), to compare retransmissions with.
    history: History,
}

/// First allocation of a history: most streams are short, and growing by doubling
/// from a few bytes costs a reallocation every few segments.
const MIN_HISTORY: usize = 2048;

/// The last delivered bytes of a direction, in a ring that grows up to `retain` bytes:
/// a delivery is one or two copies, and older bytes never move.
#[derive(Default)]
struct History {
    buf: Vec<u8>,
    /// Where the oldest byte is once `buf` is full (and so where the next byte goes).
    head: usize,
}

impl History {
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.head = 0;
    }

    fn push(&mut self, mut data: &[u8], retain: usize) {
        if self.buf.len() == retain && data.len() < retain - self.head {
            // Full, and the bytes fit before the end (most deliveries): overwrite in place.
            self.buf[self.head..self.head + data.len()].copy_from_slice(data);
            self.head += data.len();
            return;
        }
        if data.len() >= retain {
            self.clear();
            self.buf.extend_from_slice(&data[data.len() - retain..]);
            return;
        }
        let len = self.buf.len();
        if len < retain {
            // Growing (head stays 0): append what fits, reserving no more than `retain`.
            // By four: the reallocations (and their copies) of the histories of a capture's
            // many streams cost some 20 instructions per MQTT packet when growing by two.
            let fits = (retain - len).min(data.len());
            let want = (len + fits).max(len * 4).max(MIN_HISTORY).min(retain);
            if want > self.buf.capacity() {
                self.buf.reserve_exact(want - len);
            }
            self.buf.extend_from_slice(&data[..fits]);
            data = &data[fits..];
            if data.is_empty() {
                return;
            }
        }
        // Full: overwrite the oldest bytes, wrapping at most once (data is shorter).
        let first = data.len().min(retain - self.head);
        self.buf[self.head..self.head + first].copy_from_slice(&data[..first]);
        if first < data.len() {
            self.buf[..data.len() - first].copy_from_slice(&data[first..]);
        }
        let head = self.head + data.len();
        self.head = if head >= retain { head - retain } else { head };
    }

    /// Bytes `i..i + n` in delivery order (`i + n <= len`), as two slices.
    fn range(&self, i: usize, n: usize) -> (&[u8], &[u8]) {
        let (newer, older) = self.buf.split_at(self.head);
        if i >= older.len() {
            let j = i - older.len();
            (&newer[j..j + n], &[])
        } else if i + n <= older.len() {
            (&older[i..i + n], &[])
        } else {
            (&older[i..], &newer[..i + n - older.len()])
        }
    }
}

impl Half {
    fn expected_seq(&self) -> u32 {
        self.base.wrapping_add(self.next as u32)
    }

    /// Stream offset of `seq`, taking the nearest one (within ±2 GiB) to `next`.
    fn rel(&self, seq: u32) -> i64 {
        self.next as i64 + i64::from(seq.wrapping_sub(self.expected_seq()) as i32)
    }

    fn seq_at(&self, off: u64) -> u32 {
        self.base.wrapping_add(off as u32)
    }

    fn has_data(&self) -> bool {
        self.next > 0 || !self.ooo.is_empty()
    }

    fn push_history(&mut self, data: &[u8], retain: usize) {
        if retain > 0 {
            self.history.push(data, retain);
        }
    }

    /// Whether `bytes` at offset `off` (all before `next`) differ from what was delivered.
    fn history_differs(&self, off: i64, bytes: &[u8]) -> Option<bool> {
        let hist_start = self.next as i64 - self.history.len() as i64;
        if off < hist_start || off + bytes.len() as i64 > self.next as i64 {
            return None;
        }
        let i = (off - hist_start) as usize;
        let (a, b) = self.history.range(i, bytes.len());
        let (x, y) = bytes.split_at(a.len());
        Some(a != x || b != y)
    }

    fn deliver(&mut self, dir: &StreamDir, frame: u64, ts: Timestamp, data: &[u8], out: &mut Out) {
        if data.is_empty() {
            return;
        }
        out.emit(TransportEvent::Data {
            dir: *dir,
            frame,
            ts,
            offset: self.next,
            data: Cow::Borrowed(data),
        });
        out.stats.delivered_bytes += data.len() as u64;
        self.next += data.len() as u64;
        self.push_history(data, out.retain);
    }

    /// Delivers buffered segments that now start at `next`.
    #[inline]
    fn release(&mut self, dir: &StreamDir, out: &mut Out) {
        if !self.ooo.is_empty() {
            self.release_buffered(dir, out);
        }
    }

    fn release_buffered(&mut self, dir: &StreamDir, out: &mut Out) {
        while let Some(entry) = self.ooo.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let b = entry.remove();
            self.ooo_bytes -= b.data.len();
            // Invariant: start == next. Stay accountable if it were ever broken.
            let skip = usize::try_from(self.next - start)
                .unwrap_or(usize::MAX)
                .min(b.data.len());
            out.stats.overlap_bytes += skip as u64;
            self.deliver(dir, b.frame, b.ts, &b.data[skip..], out);
        }
    }

    /// Gives up `[next, end)` as missing, then delivers what follows.
    fn gap_to(&mut self, dir: &StreamDir, end: u64, reason: GapReason, out: &mut Out) {
        if end > self.next {
            out.emit(TransportEvent::Gap {
                dir: *dir,
                frame: out.frame,
                ts: out.ts,
                offset: self.next,
                len: end - self.next,
                seq_start: self.seq_at(self.next),
                seq_end: self.seq_at(end),
                reason,
            });
            out.stats.gap_bytes += end - self.next;
            self.next = end;
            self.history.clear();
        }
        self.release(dir, out);
    }

    fn first_buffered(&self) -> Option<u64> {
        self.ooo.keys().next().copied()
    }

    /// Whether the peer acknowledging `ack` tells something: bytes beyond `next`.
    #[inline]
    fn acks_news(&self, ack: u32) -> bool {
        self.active && self.rel(ack) > self.next as i64
    }

    /// Notes that the peer acknowledged `ack`: bytes before it were sent, so a hole
    /// before it that has data or a FIN after it will never be filled. Returns whether
    /// the acknowledgment is news (then `resolve_acked` may have work).
    fn note_ack(&mut self, ack: u32) -> bool {
        if !self.acks_news(ack) {
            return false;
        }
        let off = self.rel(ack) as u64;
        self.max_ack = Some(self.max_ack.map_or(off, |m| m.max(off)));
        true
    }

    /// Whether an acknowledged hole can be given up: data or a FIN after it shows it
    /// will not be filled.
    #[inline]
    fn has_acked_hole(&self) -> bool {
        self.max_ack.is_some_and(|a| a > self.next) && !(self.ooo.is_empty() && self.fin.is_none())
    }

    /// Gives up holes the peer acknowledged, when data or a FIN after them shows
    /// they will not come.
    #[inline]
    fn resolve_acked(&mut self, dir: &StreamDir, out: &mut Out) {
        if self.has_acked_hole() {
            self.give_up_acked(dir, out);
        }
    }

    fn give_up_acked(&mut self, dir: &StreamDir, out: &mut Out) {
        let Some(acked) = self.max_ack else {
            return;
        };
        let limit = self.fin.map_or(acked, |f| f.min(acked));
        while self.next < limit {
            let target = self.first_buffered().map_or(limit, |b| b.min(limit));
            if target <= self.next {
                break;
            }
            self.gap_to(dir, target, GapReason::AckedUnseen, out);
        }
    }

    /// Payload `payload` with sequence number `seq`.
    fn on_data(&mut self, dir: &StreamDir, seq: u32, payload: &[u8], out: &mut Out) {
        if payload.is_empty() {
            return;
        }
        let total = payload.len();
        let start = self.rel(seq);
        if start == self.next as i64 && self.fin.is_none() && self.ooo.is_empty() {
            // In order with nothing buffered (most segments): nothing to compare or report.
            self.deliver(dir, out.frame, out.ts, payload, out);
            return;
        }
        let mut acc = OverlapAcc::default();
        let mut ignored = 0usize;
        let mut off = start;
        let mut data = payload;
        loop {
            let next = self.next as i64;
            if off < next {
                let k = usize::try_from(next - off)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                acc.add(k, self.history_differs(off, &data[..k]));
                data = &data[k..];
                off += k as i64;
            }
            if data.is_empty() {
                break;
            }
            let uoff = off as u64;
            if let Some(f) = self.fin {
                let keep = usize::try_from(f.saturating_sub(uoff))
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                if keep < data.len() {
                    ignored += data.len() - keep;
                    data = &data[..keep];
                }
                if data.is_empty() {
                    break;
                }
            }
            if uoff == self.next {
                self.deliver_in_order(dir, data, &mut acc, out);
                break;
            }
            if self.ooo_bytes.saturating_add(data.len()) > out.cap {
                out.emit(TransportEvent::BufferCapReached {
                    dir: *dir,
                    frame: out.frame,
                    buffered: self.ooo_bytes as u64,
                });
                out.stats.buffer_cap_reached += 1;
                while self.ooo_bytes.saturating_add(data.len()) > out.cap && self.next < uoff {
                    let target = self.first_buffered().map_or(uoff, |b| b.min(uoff));
                    self.gap_to(dir, target, GapReason::BufferCap, out);
                }
                continue;
            }
            self.insert_ooo(uoff, data, &mut acc, out);
            break;
        }
        if ignored > 0 {
            out.emit(TransportEvent::Ignored {
                dir: *dir,
                frame: out.frame,
                ts: out.ts,
                len: ignored as u32,
                reason: IgnoreReason::AfterFin,
            });
            out.stats.ignored_bytes += ignored as u64;
        }
        if acc.len == 0 {
            return;
        }
        out.stats.overlap_bytes += acc.len;
        let new_len = total as u64 - acc.len - ignored as u64;
        if new_len == 0 && ignored == 0 {
            // Nothing new at all: a retransmission; move its bytes to that counter.
            out.stats.overlap_bytes -= acc.len;
            out.stats.retransmitted_bytes += acc.len;
            out.emit(TransportEvent::Retransmission {
                dir: *dir,
                frame: out.frame,
                ts: out.ts,
                seq,
                len: total as u32,
                differs: acc.differs,
            });
        } else {
            out.emit(TransportEvent::Overlap {
                dir: *dir,
                frame: out.frame,
                ts: out.ts,
                seq,
                overlap_len: acc.len as u32,
                new_len: new_len as u32,
                differs: acc.differs,
            });
        }
    }

    /// `data` starts exactly at `next`: deliver it from the frame, giving way to
    /// buffered bytes (seen first) where they overlap.
    fn deliver_in_order(
        &mut self,
        dir: &StreamDir,
        mut data: &[u8],
        acc: &mut OverlapAcc,
        out: &mut Out,
    ) {
        while !data.is_empty() {
            let first = self.first_buffered();
            match first {
                Some(bs) if bs < self.next + data.len() as u64 => {
                    let n = usize::try_from(bs.saturating_sub(self.next))
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    self.deliver(dir, out.frame, out.ts, &data[..n], out);
                    data = &data[n..];
                    let Some(b) = self.ooo.remove(&bs) else {
                        break;
                    };
                    self.ooo_bytes -= b.data.len();
                    let k = b.data.len().min(data.len());
                    acc.add(k, Some(data[..k] != b.data[..k]));
                    data = &data[k..];
                    self.deliver(dir, b.frame, b.ts, &b.data, out);
                }
                _ => {
                    self.deliver(dir, out.frame, out.ts, data, out);
                    data = &[];
                }
            }
        }
        self.release(dir, out);
    }

    /// `data` starts after `next`: copy its new parts into the buffer.
    fn insert_ooo(&mut self, off: u64, data: &[u8], acc: &mut OverlapAcc, out: &mut Out) {
        let end = off + data.len() as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cur = off;
        let before = self
            .ooo
            .range(..off)
            .next_back()
            .filter(|(k, b)| **k + b.data.len() as u64 > off);
        for (&s, b) in before.into_iter().chain(self.ooo.range(off..end)) {
            let e = s + b.data.len() as u64;
            if s > cur {
                pieces.push((cur, s));
            }
            let os = cur.max(s);
            let oe = end.min(e);
            if oe > os {
                let new = &data[(os - off) as usize..(oe - off) as usize];
                let old = &b.data[(os - s) as usize..(oe - s) as usize];
                acc.add(new.len(), Some(new != old));
            }
            cur = cur.max(e);
        }
        if cur < end {
            pieces.push((cur, end));
        }
        for (s, e) in pieces {
            let bytes = data[(s - off) as usize..(e - off) as usize].to_vec();
            self.ooo_bytes += bytes.len();
            self.ooo.insert(
                s,
                Buffered {
                    data: bytes,
                    frame: out.frame,
                    ts: out.ts,
                },
            );
        }
    }

    /// Whether every byte before a FIN is accounted for and the close not yet reported.
    #[inline]
    fn close_due(&self) -> bool {
        !self.closed && self.fin.is_some_and(|f| f <= self.next) && self.ooo.is_empty()
    }

    /// Reports `Closed { Fin }` once every byte before the FIN is accounted for.
    #[inline]
    fn maybe_close(&mut self, dir: &StreamDir, out: &mut Out) {
        if self.close_due() {
            self.closed = true;
            out.emit(TransportEvent::Closed {
                conn: dir.conn,
                by: Some(*dir),
                kind: CloseKind::Fin,
                frame: out.frame,
                ts: out.ts,
            });
        }
    }

    /// The connection ends: give up every hole, deliver everything buffered.
    fn flush(&mut self, dir: &StreamDir, reason: GapReason, out: &mut Out) {
        if !self.active {
            return;
        }
        while let Some(b) = self.first_buffered() {
            self.gap_to(dir, b, reason, out);
        }
        let mut end = self.next;
        if let Some(a) = self.max_ack {
            end = end.max(self.fin.map_or(a, |f| f.min(a)));
        }
        if let Some(f) = self.fin {
            end = end.max(f);
        }
        self.gap_to(dir, end, reason, out);
        self.maybe_close(dir, out);
    }
}

struct Conn {
    id: u64,
    a: Endpoint,
    /// Each side's direction as events name it, made once rather than per segment.
    dirs: [StreamDir; 2],
    halves: [Half; 2],
}

enum Fate {
    Keep,
    Remove,
}

impl Conn {
    fn new(id: u64, a: Endpoint, b: Endpoint, initiator: Option<Side>) -> Conn {
        let dir = |side: Side, from, to| StreamDir {
            conn: id,
            side,
            from,
            to,
            from_initiator: initiator.map(|i| i == side),
        };
        Conn {
            id,
            a,
            dirs: [dir(Side::A, a, b), dir(Side::B, b, a)],
            halves: [Half::default(), Half::default()],
        }
    }

    fn side_of(&self, src: Endpoint) -> Side {
        if src == self.a {
            Side::A
        } else {
            Side::B
        }
    }

    /// Whether a pure SYN from `side` with `seq` starts a new connection on this 4-tuple.
    fn is_reused_by(&self, side: Side, seq: u32) -> bool {
        let h = &self.halves[side.index()];
        if h.syn_seen {
            return h.base != seq.wrapping_add(1);
        }
        (h.active && h.has_data()) || self.halves.iter().any(|h| h.fin.is_some())
    }

    fn flush_all(&mut self, reason: GapReason, out: &mut Out) {
        for (dir, half) in self.dirs.iter().zip(&mut self.halves) {
            half.flush(dir, reason, out);
        }
    }

    /// Most segments: the next in-order bytes of an established direction (or none), with
    /// no SYN, FIN or RST, and nothing pending that the segment could settle (no buffered
    /// bytes or FIN on this side, no news in its ACK for the other). Handles those with
    /// the fewest checks and returns true; returns false, having changed nothing, for
    /// anything else ([`Conn::on_segment`] then does the whole work).
    #[inline]
    fn in_order(&mut self, side: Side, seg: &TcpSegment<'_>, out: &mut Out) -> bool {
        const SPECIAL: TcpFlags = TcpFlags(TcpFlags::SYN.0 | TcpFlags::FIN.0 | TcpFlags::RST.0);
        let [a, b] = &mut self.halves;
        let (h, o) = match side {
            Side::A => (a, b),
            Side::B => (b, a),
        };
        let quiet = seg.flags.0 & SPECIAL.0 == 0
            && h.active
            && h.fin.is_none()
            && h.ooo.is_empty()
            && (seg.payload.is_empty() || h.rel(seg.seq) == h.next as i64)
            && !(seg.flags.contains(TcpFlags::ACK) && o.acks_news(seg.ack))
            && !o.close_due();
        if quiet {
            h.deliver(
                &self.dirs[side.index()],
                out.frame,
                out.ts,
                seg.payload,
                out,
            );
        }
        quiet
    }

    /// Not inlined: it is the rare path, and inlined it makes the hot one spill.
    #[inline(never)]
    fn on_segment(&mut self, side: Side, seg: &TcpSegment<'_>, out: &mut Out) -> Fate {
        let flags = seg.flags;
        if flags.contains(TcpFlags::RST) {
            let dir = self.dirs[side.index()];
            if !seg.payload.is_empty() {
                out.emit(TransportEvent::Ignored {
                    dir,
                    frame: out.frame,
                    ts: out.ts,
                    len: seg.payload.len() as u32,
                    reason: IgnoreReason::RstPayload,
                });
                out.stats.ignored_bytes += seg.payload.len() as u64;
            }
            self.flush_all(GapReason::Rst, out);
            out.emit(TransportEvent::Closed {
                conn: self.id,
                by: Some(dir),
                kind: CloseKind::Rst,
                frame: out.frame,
                ts: out.ts,
            });
            return Fate::Remove;
        }
        let Conn { dirs, halves, .. } = self;
        let dir = &dirs[side.index()];
        let other = side.other();
        let mut data_seq = seg.seq;
        let h = &mut halves[side.index()];
        if flags.contains(TcpFlags::SYN) {
            data_seq = seg.seq.wrapping_add(1);
            let has_data = h.active && h.has_data();
            if !h.syn_seen && !has_data {
                h.syn_seen = true;
                h.active = true;
                h.base = data_seq;
                h.next = 0;
                h.max_ack = None;
            }
        }
        if !h.active {
            h.active = true;
            h.base = data_seq;
            h.next = 0;
        }
        if flags.contains(TcpFlags::ACK) {
            let o = &mut halves[other.index()];
            let odir = &dirs[other.index()];
            if o.note_ack(seg.ack) {
                o.resolve_acked(odir, out);
            }
            o.maybe_close(odir, out);
        }
        let h = &mut halves[side.index()];
        h.on_data(dir, data_seq, seg.payload, out);
        if flags.contains(TcpFlags::FIN) && h.fin.is_none() {
            let f = h.rel(data_seq) + seg.payload.len() as i64;
            h.fin = Some(f.max(0) as u64);
        }
        h.resolve_acked(dir, out);
        h.maybe_close(dir, out);
        if halves.iter().all(|h| h.closed) {
            Fate::Remove
        } else {
            Fate::Keep
        }
    }
}

/// Reassembles TCP streams from segments. Feed it with [`TcpReassembler::segment`] in
/// capture order and call [`TcpReassembler::finish`] at the end.
pub struct TcpReassembler {
    cfg: TransportConfig,
    /// Open connections, least recently active first.
    conns: ConnTable<Conn>,
    next_id: u64,
    stats: TcpStats,
}

impl TcpReassembler {
    /// A reassembler with the given limits.
    pub fn new(cfg: &TransportConfig) -> TcpReassembler {
        TcpReassembler {
            cfg: cfg.clone(),
            conns: ConnTable::new(),
            next_id: 1,
            stats: TcpStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }

    /// Number of connections currently tracked.
    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    /// Processes one segment carried by frame `frame` at time `ts`.
    pub fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        sink: &mut Sink<'_>,
    ) {
        self.stats.segments += 1;
        self.stats.payload_bytes += seg.payload.len() as u64;
        let key = key_of(seg.src, seg.dst);
        let flags = seg.flags;
        let mut slot = self.conns.find(&key);
        let pure_syn = flags.contains(TcpFlags::SYN) && !flags.contains(TcpFlags::ACK);
        if let Some(i) = slot.filter(|_| pure_syn && !flags.contains(TcpFlags::RST)) {
            let reused = self.conns.get(i).is_some_and(|c| {
                let side = c.side_of(seg.src);
                c.is_reused_by(side, seg.seq)
            });
            if reused {
                self.end_conn(i, CloseKind::Reused, GapReason::Reused, frame, ts, sink);
                slot = None;
            }
        }
        let i = match slot {
            Some(i) => i,
            None => {
                let opens = !flags.contains(TcpFlags::RST)
                    && (flags.contains(TcpFlags::SYN) || !seg.payload.is_empty());
                if !opens {
                    self.stats.orphan_segments += 1;
                    self.stats.ignored_bytes += seg.payload.len() as u64;
                    return;
                }
                self.open(key, frame, ts, seg, sink)
            }
        };
        self.conns.touch(i);
        let mut out = Out {
            stats: &mut self.stats,
            sink,
            frame,
            ts,
            retain: self.cfg.retain_delivered,
            cap: self.cfg.max_buffer_per_direction,
        };
        let Some(conn) = self.conns.get_mut(i) else {
            return;
        };
        let side = conn.side_of(seg.src);
        if conn.in_order(side, seg, &mut out) {
            return;
        }
        if let Fate::Remove = conn.on_segment(side, seg, &mut out) {
            self.conns.remove(i);
        }
    }

    /// Starts tracking a connection (evicting the least recent ones if the table is
    /// full); returns its slot.
    fn open(
        &mut self,
        key: Key,
        frame: u64,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        sink: &mut Sink<'_>,
    ) -> usize {
        while self.conns.len() >= self.cfg.max_connections.max(1) {
            let Some(victim) = self.conns.oldest() else {
                break;
            };
            if let Some(c) = self.conns.get(victim) {
                sink(TransportEvent::ConnectionTableFull {
                    frame,
                    evicted: c.id,
                });
                self.stats.evicted += 1;
            }
            self.end_conn(
                victim,
                CloseKind::Evicted,
                GapReason::Evicted,
                frame,
                ts,
                sink,
            );
        }
        let syn = seg.flags.contains(TcpFlags::SYN);
        let ack = seg.flags.contains(TcpFlags::ACK);
        let (a, b, syn_seen, initiator) = match (syn, ack) {
            (true, false) => (seg.src, seg.dst, true, Some(Side::A)),
            (true, true) => (seg.dst, seg.src, false, Some(Side::A)),
            _ => (seg.src, seg.dst, false, None),
        };
        let id = self.next_id;
        self.next_id += 1;
        self.stats.connections += 1;
        sink(TransportEvent::ConnectionOpened {
            conn: id,
            frame,
            ts,
            a,
            b,
            syn_seen,
            initiator,
            tunnel: seg.tunnel,
        });
        self.conns.insert(key, Conn::new(id, a, b, initiator))
    }

    fn end_conn(
        &mut self,
        slot: usize,
        kind: CloseKind,
        reason: GapReason,
        frame: u64,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        let Some(mut conn) = self.conns.remove(slot) else {
            return;
        };
        let mut out = Out {
            stats: &mut self.stats,
            sink,
            frame,
            ts,
            retain: self.cfg.retain_delivered,
            cap: self.cfg.max_buffer_per_direction,
        };
        conn.flush_all(reason, &mut out);
        out.emit(TransportEvent::Closed {
            conn: conn.id,
            by: None,
            kind,
            frame,
            ts,
        });
    }

    /// End of capture: flushes every connection (gaps for holes, buffered data
    /// delivered) and reports each one still open with `Closed { EndOfCapture }`, in
    /// connection order. `frame`/`ts` are those of the last frame.
    pub fn finish(&mut self, frame: u64, ts: Timestamp, sink: &mut Sink<'_>) {
        let mut open: Vec<(u64, usize)> = self.conns.slots().map(|(i, c)| (c.id, i)).collect();
        open.sort_unstable_by_key(|(id, _)| *id);
        for (_, slot) in open {
            self.stats.open_at_end += 1;
            self.end_conn(
                slot,
                CloseKind::EndOfCapture,
                GapReason::EndOfCapture,
                frame,
                ts,
                sink,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::testing::Recorder;
    use std::borrow::Cow;

    const SYN: TcpFlags = TcpFlags::SYN;
    const ACK: TcpFlags = TcpFlags::ACK;
    const FIN: TcpFlags = TcpFlags(0x11);
    const RST: TcpFlags = TcpFlags::RST;
    const SYNACK: TcpFlags = TcpFlags(0x12);

    fn client() -> Endpoint {
        Endpoint {
            addr: "10.0.0.1".parse().unwrap(),
            port: 40000,
        }
    }
    fn server() -> Endpoint {
        Endpoint {
            addr: "10.0.0.2".parse().unwrap(),
            port: 1883,
        }
    }

    struct T {
        r: TcpReassembler,
        rec: Recorder,
        frame: u64,
    }

    impl T {
        fn new() -> T {
            T::with(TransportConfig::default())
        }
        fn with(cfg: TransportConfig) -> T {
            T {
                r: TcpReassembler::new(&cfg),
                rec: Recorder::new(),
                frame: 0,
            }
        }
        /// A segment from the client (`c2s`) or the server.
        fn seg(&mut self, c2s: bool, seq: u32, ack: u32, flags: TcpFlags, payload: &[u8]) {
            self.seg_from(c2s, client(), server(), seq, ack, flags, payload);
        }
        #[allow(clippy::too_many_arguments)]
        fn seg_from(
            &mut self,
            c2s: bool,
            c: Endpoint,
            s: Endpoint,
            seq: u32,
            ack: u32,
            flags: TcpFlags,
            payload: &[u8],
        ) {
            self.frame += 1;
            let (src, dst) = if c2s { (c, s) } else { (s, c) };
            let seg = TcpSegment {
                src,
                dst,
                seq,
                ack,
                flags,
                payload,
                tunnel: None,
            };
            let rec = &mut self.rec;
            self.r
                .segment(self.frame, ts(self.frame), &seg, &mut |e| rec.push(e));
        }
        fn finish(&mut self) {
            let rec = &mut self.rec;
            self.r
                .finish(self.frame, ts(self.frame), &mut |e| rec.push(e));
            let s = self.r.stats();
            assert_eq!(
                s.payload_bytes,
                s.delivered_bytes + s.retransmitted_bytes + s.overlap_bytes + s.ignored_bytes,
                "every payload byte accounted for: {s:?}"
            );
        }
    }

    fn ts(frame: u64) -> Timestamp {
        Timestamp {
            secs: 1000 + frame as i64,
            nanos: 0,
        }
    }

    fn dir(conn: u64, side: Side, initiator: Option<Side>) -> StreamDir {
        let (from, to) = match side {
            Side::A => (client(), server()),
            Side::B => (server(), client()),
        };
        StreamDir {
            conn,
            side,
            from,
            to,
            from_initiator: initiator.map(|i| i == side),
        }
    }
    fn ca() -> StreamDir {
        dir(1, Side::A, Some(Side::A))
    }
    fn sb() -> StreamDir {
        dir(1, Side::B, Some(Side::A))
    }
    fn data(
        d: StreamDir,
        frame: u64,
        offset: u64,
        bytes: &'static [u8],
    ) -> TransportEvent<'static> {
        TransportEvent::Data {
            dir: d,
            frame,
            ts: ts(frame),
            offset,
            data: Cow::Borrowed(bytes),
        }
    }
    fn opened(frame: u64, syn_seen: bool, initiator: Option<Side>) -> TransportEvent<'static> {
        TransportEvent::ConnectionOpened {
            conn: 1,
            frame,
            ts: ts(frame),
            a: client(),
            b: server(),
            syn_seen,
            initiator,
            tunnel: None,
        }
    }
    fn closed(d: Option<StreamDir>, kind: CloseKind, frame: u64) -> TransportEvent<'static> {
        TransportEvent::Closed {
            conn: 1,
            by: d,
            kind,
            frame,
            ts: ts(frame),
        }
    }

    /// SYN, SYN-ACK, ACK from ISNs 1000 (client) and 5000 (server).
    fn handshake(t: &mut T) {
        t.seg(true, 1000, 0, SYN, b"");
        t.seg(false, 5000, 1001, SYNACK, b"");
        t.seg(true, 1001, 5001, ACK, b"");
    }

    #[test]
    fn in_order_both_directions_then_fin() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"hello"); // 4
        t.seg(false, 5001, 1006, ACK, b"world!"); // 5
        t.seg(true, 1006, 5007, FIN, b""); // 6
        t.seg(false, 5007, 1007, FIN, b""); // 7
        t.seg(true, 1007, 5008, ACK, b""); // 8: after close, ignored
        t.finish();
        assert_eq!(
            t.rec.events,
            vec![
                opened(1, true, Some(Side::A)),
                data(ca(), 4, 0, b"hello"),
                data(sb(), 5, 0, b"world!"),
                closed(Some(ca()), CloseKind::Fin, 6),
                closed(Some(sb()), CloseKind::Fin, 7),
            ]
        );
        assert_eq!(t.r.open_connections(), 0);
        assert_eq!(t.r.stats().orphan_segments, 1);
        assert_eq!(t.r.stats().open_at_end, 0);
    }

    #[test]
    fn out_of_order_is_buffered_and_released_with_original_frames() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"abc"); // 4
        t.seg(true, 1007, 5001, ACK, b"ghi"); // 5
        t.seg(true, 1010, 5001, ACK, b"jk"); // 6
        t.seg(true, 1004, 5001, ACK, b"def"); // 7
        t.finish();
        assert_eq!(
            t.rec.events,
            vec![
                opened(1, true, Some(Side::A)),
                data(ca(), 4, 0, b"abc"),
                data(ca(), 7, 3, b"def"),
                data(ca(), 5, 6, b"ghi"),
                data(ca(), 6, 9, b"jk"),
                closed(None, CloseKind::EndOfCapture, 7),
            ]
        );
        assert_eq!(t.r.stats().open_at_end, 1);
    }

    #[test]
    fn retransmissions_same_and_different_bytes() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"abcdef"); // 4
        t.seg(true, 1001, 5001, ACK, b"abcdef"); // 5
        t.seg(true, 1004, 5001, ACK, b"dXf"); // 6
        t.seg(true, 1020, 5001, ACK, b"zz"); // 7: buffered
        t.seg(true, 1020, 5001, ACK, b"zz"); // 8: duplicate of buffered
        t.finish();
        let rt = |frame, seq, len, differs| TransportEvent::Retransmission {
            dir: ca(),
            frame,
            ts: ts(frame),
            seq,
            len,
            differs,
        };
        assert_eq!(
            t.rec.non_data(),
            vec![
                opened(1, true, Some(Side::A)),
                rt(5, 1001, 6, Some(false)),
                rt(6, 1004, 3, Some(true)),
                rt(8, 1020, 2, Some(false)),
                TransportEvent::Gap {
                    dir: ca(),
                    frame: 8,
                    ts: ts(8),
                    offset: 6,
                    len: 13,
                    seq_start: 1007,
                    seq_end: 1020,
                    reason: GapReason::EndOfCapture,
                },
                closed(None, CloseKind::EndOfCapture, 8),
            ]
        );
        assert_eq!(t.rec.stream(1, Side::A, b'.'), b"abcdef.............zz");
        assert_eq!(t.r.stats().retransmitted_bytes, 11);
    }

    #[test]
    fn overlaps_keep_first_seen_bytes() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"abcdef"); // 4
        t.seg(true, 1004, 5001, ACK, b"DEFghi"); // 5: overlaps delivered, differs
        t.seg(true, 1013, 5001, ACK, b"mno"); // 6: buffered
        t.seg(true, 1010, 5001, ACK, b"jklmno"); // 7: overlaps buffered, same bytes
        t.seg(true, 1019, 5001, ACK, b"stu"); // 8: buffered
        t.seg(true, 1017, 5001, ACK, b"qrSTUv"); // 9: overlaps buffered, differs (hole at 16)
        t.seg(true, 1016, 5001, ACK, b"p"); // 10: fills the hole
        t.finish();
        let ov = |frame, seq, overlap_len, new_len, differs| TransportEvent::Overlap {
            dir: ca(),
            frame,
            ts: ts(frame),
            seq,
            overlap_len,
            new_len,
            differs,
        };
        assert_eq!(
            t.rec.non_data(),
            vec![
                opened(1, true, Some(Side::A)),
                ov(5, 1004, 3, 3, Some(true)),
                ov(7, 1010, 3, 3, Some(false)),
                ov(9, 1017, 3, 3, Some(true)),
                closed(None, CloseKind::EndOfCapture, 10),
            ]
        );
        assert_eq!(t.rec.stream(1, Side::A, b'.'), b"abcdefghijklmnopqrstuv");
        let frames: Vec<(u64, u64)> = t
            .rec
            .events
            .iter()
            .filter_map(|e| match e {
                TransportEvent::Data { frame, offset, .. } => Some((*frame, *offset)),
                _ => None,
            })
            .collect();
        assert_eq!(
            frames,
            vec![
                (4, 0),
                (5, 6),
                (7, 9),
                (6, 12),
                (10, 15),
                (9, 16),
                (8, 18),
                (9, 21)
            ]
        );
        assert_eq!(t.r.stats().overlap_bytes, 9);
    }

    #[test]
    fn lost_segment_gap_on_ack_then_delivery_continues() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"abc"); // 4
        t.seg(true, 1007, 5001, ACK, b"ghi"); // 5: hole 1004..1007
        t.seg(false, 5001, 1010, ACK, b""); // 6: server acks everything
        t.seg(true, 1010, 5001, ACK, b"jkl"); // 7
        t.finish();
        assert_eq!(
            t.rec.events,
            vec![
                opened(1, true, Some(Side::A)),
                data(ca(), 4, 0, b"abc"),
                TransportEvent::Gap {
                    dir: ca(),
                    frame: 6,
                    ts: ts(6),
                    offset: 3,
                    len: 3,
                    seq_start: 1004,
                    seq_end: 1007,
                    reason: GapReason::AckedUnseen,
                },
                data(ca(), 5, 6, b"ghi"),
                data(ca(), 7, 9, b"jkl"),
                closed(None, CloseKind::EndOfCapture, 7),
            ]
        );
        // The lost bytes arriving late are old news.
        assert_eq!(t.r.stats().gap_bytes, 3);
    }

    #[test]
    fn lost_segment_before_fin_is_a_gap_when_fin_is_acked() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"abc"); // 4
        t.seg(true, 1006, 5001, FIN, b"fg"); // 5: hole 1004..1006, FIN at offset 7
        t.seg(false, 5001, 1009, FIN, b""); // 6: acks the FIN
        t.finish();
        assert_eq!(
            t.rec.non_data(),
            vec![
                opened(1, true, Some(Side::A)),
                TransportEvent::Gap {
                    dir: ca(),
                    frame: 6,
                    ts: ts(6),
                    offset: 3,
                    len: 2,
                    seq_start: 1004,
                    seq_end: 1006,
                    reason: GapReason::AckedUnseen,
                },
                closed(Some(ca()), CloseKind::Fin, 6),
                closed(Some(sb()), CloseKind::Fin, 6),
            ]
        );
        assert_eq!(t.rec.stream(1, Side::A, b'.'), b"abc..fg");
        assert_eq!(t.r.open_connections(), 0);
    }

    #[test]
    fn sequence_wrap_around() {
        let mut t = T::new();
        let isn = 0xffff_fff0u32;
        t.seg(true, isn, 0, SYN, b"");
        t.seg(false, 7, isn.wrapping_add(1), SYNACK, b"");
        let s = |off: u32| isn.wrapping_add(1).wrapping_add(off);
        t.seg(true, s(0), 8, ACK, b"0123456789"); // 3
        t.seg(true, s(20), 8, ACK, b"klmnopqrst"); // 4: beyond the wrap, out of order
        t.seg(true, s(10), 8, ACK, b"abcdefghij"); // 5: crosses the wrap
        t.seg(false, 8, s(30), ACK, b"ok"); // 6
        t.finish();
        assert_eq!(
            t.rec.stream(1, Side::A, b'.'),
            b"0123456789abcdefghijklmnopqrst"
        );
        assert_eq!(t.rec.stream(1, Side::B, b'.'), b"ok");
        assert_eq!(t.r.stats().gap_bytes, 0);
        assert_eq!(s(20), 5); // the second segment starts after the wrap
    }

    #[test]
    fn mid_stream_pickup() {
        let mut t = T::new();
        t.seg(false, 9000, 100, ACK, b"from server"); // 1: server speaks first in the capture
        t.seg(true, 100, 9011, ACK, b"reply"); // 2
        t.finish();
        let a = dir(1, Side::A, None);
        let b = dir(1, Side::B, None);
        assert_eq!(
            t.rec.events,
            vec![
                TransportEvent::ConnectionOpened {
                    conn: 1,
                    frame: 1,
                    ts: ts(1),
                    a: server(),
                    b: client(),
                    syn_seen: false,
                    initiator: None,
                    tunnel: None,
                },
                data(
                    StreamDir {
                        from: server(),
                        to: client(),
                        ..a
                    },
                    1,
                    0,
                    b"from server"
                ),
                data(
                    StreamDir {
                        from: client(),
                        to: server(),
                        ..b
                    },
                    2,
                    0,
                    b"reply"
                ),
                closed(None, CloseKind::EndOfCapture, 2),
            ]
        );
    }

    #[test]
    fn syn_ack_first_knows_the_initiator() {
        let mut t = T::new();
        t.seg(false, 5000, 1001, SYNACK, b"");
        t.seg(true, 1001, 5001, ACK, b"x");
        t.finish();
        assert_eq!(t.rec.events[0], opened(1, false, Some(Side::A)));
        assert_eq!(t.rec.events[1], data(ca(), 2, 0, b"x"));
    }

    #[test]
    fn rst_flushes_and_frees() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"ab"); // 4
        t.seg(true, 1005, 5001, ACK, b"ef"); // 5: hole at 1003..1005
        t.seg(false, 5001, 0, RST, b""); // 6
        t.seg(true, 1007, 5001, ACK, b""); // 7: nothing to attach to
        t.finish();
        assert_eq!(
            t.rec.events,
            vec![
                opened(1, true, Some(Side::A)),
                data(ca(), 4, 0, b"ab"),
                TransportEvent::Gap {
                    dir: ca(),
                    frame: 6,
                    ts: ts(6),
                    offset: 2,
                    len: 2,
                    seq_start: 1003,
                    seq_end: 1005,
                    reason: GapReason::Rst,
                },
                data(ca(), 5, 4, b"ef"),
                closed(Some(sb()), CloseKind::Rst, 6),
            ]
        );
        assert_eq!(t.r.open_connections(), 0);
    }

    #[test]
    fn data_after_fin_is_ignored() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, FIN, b"abc"); // 4: data + FIN
        t.seg(true, 1004, 5001, ACK, b"zz"); // 5: after the FIN
        t.finish();
        assert_eq!(
            t.rec.events,
            vec![
                opened(1, true, Some(Side::A)),
                data(ca(), 4, 0, b"abc"),
                closed(Some(ca()), CloseKind::Fin, 4),
                TransportEvent::Ignored {
                    dir: ca(),
                    frame: 5,
                    ts: ts(5),
                    len: 2,
                    reason: IgnoreReason::AfterFin,
                },
                closed(None, CloseKind::EndOfCapture, 5),
            ]
        );
    }

    #[test]
    fn buffer_cap_gives_up_the_hole() {
        let mut t = T::with(TransportConfig {
            max_buffer_per_direction: 6,
            ..TransportConfig::default()
        });
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"ab"); // 4
        t.seg(true, 1005, 5001, ACK, b"efgh"); // 5: buffered (4)
        t.seg(true, 1009, 5001, ACK, b"ijkl"); // 6: 8 > 6 → give up 1003..1005
        t.finish();
        assert_eq!(
            t.rec.non_data(),
            vec![
                opened(1, true, Some(Side::A)),
                TransportEvent::BufferCapReached {
                    dir: ca(),
                    frame: 6,
                    buffered: 4,
                },
                TransportEvent::Gap {
                    dir: ca(),
                    frame: 6,
                    ts: ts(6),
                    offset: 2,
                    len: 2,
                    seq_start: 1003,
                    seq_end: 1005,
                    reason: GapReason::BufferCap,
                },
                closed(None, CloseKind::EndOfCapture, 6),
            ]
        );
        assert_eq!(t.rec.stream(1, Side::A, b'.'), b"ab..efghijkl");
    }

    #[test]
    fn connection_table_full_evicts_least_recent() {
        let mut t = T::with(TransportConfig {
            max_connections: 2,
            ..TransportConfig::default()
        });
        let c = |port| Endpoint { port, ..client() };
        t.seg_from(true, c(1), server(), 10, 0, SYN, b""); // conn 1
        t.seg_from(true, c(2), server(), 20, 0, SYN, b""); // conn 2
        t.seg_from(true, c(1), server(), 11, 0, ACK, b"x"); // conn 1 active again
        t.seg_from(true, c(3), server(), 30, 0, SYN, b""); // conn 3 evicts conn 2
        let tail: Vec<_> = t.rec.events[3..].to_vec();
        assert_eq!(
            tail,
            vec![
                TransportEvent::ConnectionTableFull {
                    frame: 4,
                    evicted: 2,
                },
                TransportEvent::Closed {
                    conn: 2,
                    by: None,
                    kind: CloseKind::Evicted,
                    frame: 4,
                    ts: ts(4),
                },
                TransportEvent::ConnectionOpened {
                    conn: 3,
                    frame: 4,
                    ts: ts(4),
                    a: c(3),
                    b: server(),
                    syn_seen: true,
                    initiator: Some(Side::A),
                    tunnel: None,
                },
            ]
        );
        assert_eq!(t.r.open_connections(), 2);
        t.finish();
        assert_eq!(t.r.stats().evicted, 1);
    }

    #[test]
    fn new_syn_on_a_used_tuple_starts_a_new_connection() {
        let mut t = T::new();
        handshake(&mut t);
        t.seg(true, 1001, 5001, ACK, b"old"); // 4
        t.seg(true, 1000, 0, SYN, b""); // 5: retransmitted SYN, same ISN: nothing new
        t.seg(true, 77, 0, SYN, b""); // 6: new ISN: a new connection
        t.seg(true, 78, 0, ACK, b"new"); // 7
        t.finish();
        let evs = t.rec.non_data();
        assert_eq!(evs[1], closed(None, CloseKind::Reused, 6));
        assert!(matches!(
            evs[2],
            TransportEvent::ConnectionOpened {
                conn: 2,
                syn_seen: true,
                ..
            }
        ));
        assert_eq!(t.rec.stream(1, Side::A, b'.'), b"old");
        assert_eq!(t.rec.stream(2, Side::A, b'.'), b"new");
    }

    #[test]
    fn one_byte_segments_are_linear() {
        // Release builds do 1 MiB well under a second; debug builds do less.
        let n: u32 = if cfg!(debug_assertions) {
            100_000
        } else {
            1 << 20
        };
        let payload: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        let mut r = TcpReassembler::new(&TransportConfig::default());
        let seg = |seq, flags, p: &'static [u8]| TcpSegment {
            src: client(),
            dst: server(),
            seq,
            ack: 0,
            flags,
            payload: p,
            tunnel: None,
        };
        let mut total = 0u64;
        let mut sink = |e: TransportEvent<'_>| {
            if let TransportEvent::Data { data, .. } = e {
                total += data.len() as u64;
            }
        };
        let start = std::time::Instant::now();
        r.segment(1, Timestamp::default(), &seg(0, SYN, b""), &mut sink);
        for (i, b) in payload.iter().enumerate() {
            let one = std::slice::from_ref(b);
            let s = TcpSegment {
                payload: one,
                ..seg(1 + i as u32, ACK, b"")
            };
            r.segment(2 + i as u64, Timestamp::default(), &s, &mut sink);
        }
        r.finish(0, Timestamp::default(), &mut sink);
        let took = start.elapsed();
        assert_eq!(total, u64::from(n));
        eprintln!("{n} one-byte segments: {took:?}");
        assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    }

    #[test]
    fn reverse_order_one_byte_segments_are_buffered_then_released() {
        let n = 5000u32;
        let mut t = T::new();
        handshake(&mut t);
        let bytes: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
        for i in (1..n).rev() {
            let b = [bytes[i as usize]];
            t.seg(true, 1001 + i, 5001, ACK, &b);
        }
        t.seg(true, 1001, 5001, ACK, &bytes[..1]);
        t.finish();
        assert_eq!(t.rec.stream(1, Side::A, b'.'), bytes);
    }
}
