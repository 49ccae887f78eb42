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

use super::event::{
    CloseKind, Endpoint, GapReason, IgnoreReason, Side, StreamDir, TcpStats, Timestamp,
    TransportEvent,
};
use super::tcp::{TcpFlags, TcpSegment};
use super::TransportConfig;
use std::collections::{BTreeMap, HashMap, VecDeque};

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

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key {
    lo: Endpoint,
    hi: Endpoint,
}

fn key_of(a: Endpoint, b: Endpoint) -> Key {
    if a <= b {
        Key { lo: a, hi: b }
    } else {
        Key { lo: b, hi: a }
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
    history: VecDeque<u8>,
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
        if retain == 0 {
            return;
        }
        if data.len() >= retain {
            self.history.clear();
            self.history.extend(&data[data.len() - retain..]);
        } else {
            let excess = (self.history.len() + data.len()).saturating_sub(retain);
            self.history.drain(..excess.min(self.history.len()));
            self.history.extend(data);
        }
    }

    /// Whether `bytes` at offset `off` (all before `next`) differ from what was delivered.
    fn history_differs(&self, off: i64, bytes: &[u8]) -> Option<bool> {
        let hist_start = self.next as i64 - self.history.len() as i64;
        if off < hist_start || off + bytes.len() as i64 > self.next as i64 {
            return None;
        }
        let i = (off - hist_start) as usize;
        let old = self.history.range(i..i + bytes.len());
        Some(!old.eq(bytes.iter()))
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
            data,
        });
        out.stats.delivered_bytes += data.len() as u64;
        self.next += data.len() as u64;
        self.push_history(data, out.retain);
    }

    /// Delivers buffered segments that now start at `next`.
    fn release(&mut self, dir: &StreamDir, out: &mut Out) {
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

    /// The peer acknowledged `ack`: bytes before it were sent, so a hole before it that
    /// has data or a FIN after it will never be filled.
    fn on_ack(&mut self, dir: &StreamDir, ack: u32, out: &mut Out) {
        if !self.active {
            return;
        }
        let off = self.rel(ack);
        if off <= self.next as i64 {
            return;
        }
        let off = off as u64;
        self.max_ack = Some(self.max_ack.map_or(off, |m| m.max(off)));
        if self.ooo.is_empty() && self.fin.is_none() {
            return;
        }
        let limit = self.fin.map_or(off, |f| f.min(off));
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

    /// Reports `Closed { Fin }` once every byte before the FIN is accounted for.
    fn maybe_close(&mut self, dir: &StreamDir, out: &mut Out) {
        if self.closed {
            return;
        }
        if let Some(f) = self.fin {
            if f <= self.next && self.ooo.is_empty() {
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
    b: Endpoint,
    initiator: Option<Side>,
    halves: [Half; 2],
    tick: u64,
}

enum Fate {
    Keep,
    Remove,
}

impl Conn {
    fn dir(&self, side: Side) -> StreamDir {
        let (from, to) = match side {
            Side::A => (self.a, self.b),
            Side::B => (self.b, self.a),
        };
        StreamDir {
            conn: self.id,
            side,
            from,
            to,
            from_initiator: self.initiator.map(|i| i == side),
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
        for side in [Side::A, Side::B] {
            let dir = self.dir(side);
            self.halves[side.index()].flush(&dir, reason, out);
        }
    }

    fn on_segment(&mut self, side: Side, seg: &TcpSegment<'_>, out: &mut Out) -> Fate {
        let dir = self.dir(side);
        let other = side.other();
        let odir = self.dir(other);
        let flags = seg.flags;
        if flags.contains(TcpFlags::RST) {
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
        let mut data_seq = seg.seq;
        let h = &mut self.halves[side.index()];
        if flags.contains(TcpFlags::SYN) {
            data_seq = seg.seq.wrapping_add(1);
            if !h.syn_seen && !(h.active && h.has_data()) {
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
            self.halves[other.index()].on_ack(&odir, seg.ack, out);
            self.halves[other.index()].maybe_close(&odir, out);
        }
        let h = &mut self.halves[side.index()];
        h.on_data(&dir, data_seq, seg.payload, out);
        if flags.contains(TcpFlags::FIN) && h.fin.is_none() {
            let f = h.rel(data_seq) + seg.payload.len() as i64;
            h.fin = Some(f.max(0) as u64);
        }
        h.maybe_close(&dir, out);
        if self.halves.iter().all(|h| h.closed) {
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
    conns: HashMap<Key, Conn>,
    /// Connections by last activity, oldest first.
    lru: BTreeMap<u64, Key>,
    tick: u64,
    next_id: u64,
    stats: TcpStats,
}

impl TcpReassembler {
    /// A reassembler with the given limits.
    pub fn new(cfg: &TransportConfig) -> TcpReassembler {
        TcpReassembler {
            cfg: cfg.clone(),
            conns: HashMap::new(),
            lru: BTreeMap::new(),
            tick: 0,
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
        let pure_syn = flags.contains(TcpFlags::SYN) && !flags.contains(TcpFlags::ACK);
        if pure_syn && !flags.contains(TcpFlags::RST) {
            let reused = self.conns.get(&key).is_some_and(|c| {
                let side = c.side_of(seg.src);
                c.is_reused_by(side, seg.seq)
            });
            if reused {
                self.end_conn(key, CloseKind::Reused, GapReason::Reused, frame, ts, sink);
            }
        }
        if !self.conns.contains_key(&key) {
            let opens = !flags.contains(TcpFlags::RST)
                && (flags.contains(TcpFlags::SYN) || !seg.payload.is_empty());
            if !opens {
                self.stats.orphan_segments += 1;
                self.stats.ignored_bytes += seg.payload.len() as u64;
                return;
            }
            self.open(key, frame, ts, seg, sink);
        }
        self.tick += 1;
        let tick = self.tick;
        let mut out = Out {
            stats: &mut self.stats,
            sink,
            frame,
            ts,
            retain: self.cfg.retain_delivered,
            cap: self.cfg.max_buffer_per_direction,
        };
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        self.lru.remove(&conn.tick);
        conn.tick = tick;
        self.lru.insert(tick, key);
        let side = conn.side_of(seg.src);
        if let Fate::Remove = conn.on_segment(side, seg, &mut out) {
            self.lru.remove(&tick);
            self.conns.remove(&key);
        }
    }

    fn open(
        &mut self,
        key: Key,
        frame: u64,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        sink: &mut Sink<'_>,
    ) {
        while self.conns.len() >= self.cfg.max_connections.max(1) {
            let Some((_, victim)) = self.lru.pop_first() else {
                break;
            };
            if let Some(c) = self.conns.get(&victim) {
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
        });
        self.conns.insert(
            key,
            Conn {
                id,
                a,
                b,
                initiator,
                halves: [Half::default(), Half::default()],
                tick: 0,
            },
        );
    }

    fn end_conn(
        &mut self,
        key: Key,
        kind: CloseKind,
        reason: GapReason,
        frame: u64,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        let Some(mut conn) = self.conns.remove(&key) else {
            return;
        };
        self.lru.remove(&conn.tick);
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
        let mut open: Vec<(u64, Key)> = self.conns.iter().map(|(k, c)| (c.id, *k)).collect();
        open.sort_unstable_by_key(|(id, _)| *id);
        for (_, key) in open {
            self.stats.open_at_end += 1;
            self.end_conn(
                key,
                CloseKind::EndOfCapture,
                GapReason::EndOfCapture,
                frame,
                ts,
                sink,
            );
        }
    }
}
