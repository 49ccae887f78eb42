//! Records that own their bytes, so that they can be handed to another thread: printing
//! (and building field trees for it) runs beside the dissector instead of after it.
//!
//! A record borrows the dissector's buffers; its owned form keeps the packet's bytes, a
//! snapshot of the connection and the findings (those of the analysis included), and
//! decodes the bytes again on the other side, with the field tree when the printer wants
//! it. Decoding is deterministic, so the record seen there is the one the dissector made.
//!
//! The connection is shared, not copied per packet: a snapshot ([`Snapshots`]) is made
//! again only when something other than the counters changed, and the receiving side
//! ([`Scratch`]) copies each snapshot of a batch once into a reused `ConnInfo`, which each
//! record then gives its counters. A batch
//! holds each snapshot its records use once, and records refer to it by index: an `Arc`
//! cloned per record on one thread and dropped on the other made the two cores fight over
//! its counter's cache line for every packet (11% of the time of `--stats` in `perf`).

use super::analysis::show_resolved_topic;
use super::capture::{ConnInfo, EventKind, EventRecord, PacketRecord, Record};
use super::fasthash::FastMap;
use super::version::{Assumed, VersionSource};
use crate::codec::diag::Diagnostic;
use crate::codec::{decode, DecodeOptions, Direction, List, ProtocolVersion};
use crate::transport::{Side, Timestamp};
use std::sync::Arc;

/// The connection as it was when a record was made: its snapshot in the batch and the
/// counters.
#[derive(Clone, Copy, Debug)]
struct ConnAt {
    snap: u32,
    packets: [u64; 2],
    bytes: [u64; 2],
    ws_frames: [u64; 2],
}

impl ConnAt {
    /// A first value, overwritten before use.
    const EMPTY: ConnAt = ConnAt {
        snap: 0,
        packets: [0; 2],
        bytes: [0; 2],
        ws_frames: [0; 2],
    };

    /// Field by field, in place: a `ConnAt` made apart and moved was copied twice.
    #[inline]
    fn set(&mut self, snap: u32, c: &ConnInfo) {
        self.snap = snap;
        self.packets = c.packets;
        self.bytes = c.bytes;
        self.ws_frames = match &c.websocket {
            Some(w) => w.frames,
            None => [0; 2],
        };
    }
}

/// The sending side's connection snapshots, by connection number.
#[derive(Debug, Default)]
pub struct Snapshots {
    by_conn: FastMap<u64, Arc<ConnInfo>>,
    /// The last one used: packets of a connection come in runs, so most records skip the
    /// table.
    last: Option<Arc<ConnInfo>>,
}

/// Snapshots kept before the table starts over (it only saves copies; it is not needed).
const MAX_SNAPSHOTS: usize = 4096;

impl Snapshots {
    /// The snapshot of `c` (but its counters).
    fn get(&mut self, c: &ConnInfo) -> &Arc<ConnInfo> {
        let hit = self
            .last
            .as_ref()
            .is_some_and(|s| s.id == c.id && s.rev == c.rev);
        if !hit {
            self.last = Some(self.lookup(c));
        }
        let s = self.last.get_or_insert_with(|| Arc::new(c.clone()));
        debug_assert!(s.same_but_counters(c), "{s:?} vs {c:?}");
        s
    }

    fn lookup(&mut self, c: &ConnInfo) -> Arc<ConnInfo> {
        match self.by_conn.get(&c.id) {
            Some(s) if s.rev == c.rev => {
                // The dissector's promise, checked wherever tests run.
                debug_assert!(s.same_but_counters(c), "{s:?} vs {c:?}");
                Arc::clone(s)
            }
            _ => {
                if self.by_conn.len() >= MAX_SNAPSHOTS {
                    self.by_conn.clear();
                }
                let s = Arc::new(c.clone());
                self.by_conn.insert(c.id, Arc::clone(&s));
                s
            }
        }
    }
}

/// `*to = from.clone()`, with the strings copied into the buffers `to` already has (the
/// derived `clone_from` allocates anew).
fn copy_into(to: &mut ConnInfo, from: &ConnInfo) {
    let ConnInfo {
        id,
        a,
        b,
        syn_seen,
        kind,
        client_side,
        client_basis,
        version,
        client_id,
        username,
        keep_alive,
        connect_level,
        sni,
        websocket,
        tls,
        tunnel,
        packets,
        bytes,
        first_ts,
        rev,
    } = from;
    to.id = *id;
    to.a = *a;
    to.b = *b;
    to.syn_seen = *syn_seen;
    to.kind = *kind;
    to.client_side = *client_side;
    to.client_basis = *client_basis;
    to.version = *version;
    to.client_id.clone_from(client_id);
    to.username.clone_from(username);
    to.keep_alive = *keep_alive;
    to.connect_level = *connect_level;
    to.sni.clone_from(sni);
    to.websocket.clone_from(websocket);
    to.tls = *tls;
    to.tunnel = *tunnel;
    to.packets = *packets;
    to.bytes = *bytes;
    to.first_ts = *first_ts;
    to.rev = *rev;
}

/// The receiving side's reused connections: a copy of each snapshot of the batch at hand,
/// made when a record first needs it and given each record's counters. Packets of many
/// connections interleave, so one copy, redone at every change of connection, cost a copy
/// of the strings for most records.
#[derive(Debug, Default)]
pub struct Scratch {
    /// By snapshot index; the buffers of the strings are kept from batch to batch.
    conns: Vec<ConnInfo>,
    /// The batch each copy was made for.
    made_for: Vec<u64>,
    /// Batches begun.
    batch: u64,
}

impl Scratch {
    fn begin_batch(&mut self) {
        self.batch += 1;
    }

    /// Copies snapshot `i` of the batch (which has it: indices come from `Conns::snap`,
    /// which pushed the snapshot first).
    #[cold]
    #[inline(never)]
    fn copy(&mut self, i: usize, snaps: &[Arc<ConnInfo>]) {
        let info = &snaps[i];
        if i >= self.conns.len() {
            self.conns.resize_with(i + 1, || (**info).clone());
            self.made_for.resize(i + 1, 0);
        }
        copy_into(&mut self.conns[i], info);
        self.made_for[i] = self.batch;
    }

    /// The connection as it was at `at`. Inlined: most records find the copy made.
    #[inline]
    fn fill(&mut self, at: &ConnAt, snaps: &[Arc<ConnInfo>]) -> &ConnInfo {
        let i = at.snap as usize;
        if self.made_for.get(i) != Some(&self.batch) {
            self.copy(i, snaps);
        }
        let c = &mut self.conns[i];
        c.packets = at.packets;
        c.bytes = at.bytes;
        if let Some(w) = &mut c.websocket {
            w.frames = at.ws_frames;
        }
        c
    }
}

/// The snapshots a batch's records use, each held once.
#[derive(Debug, Default)]
struct Conns {
    snaps: Vec<Arc<ConnInfo>>,
    /// Connection number and revision to index in `snaps`.
    index: FastMap<SnapKey, u32>,
    /// The last key seen per connection number modulo [`RECENT`]: packets of a handful
    /// of connections interleave, so most records find theirs here without hashing.
    recent: Box<[Option<(SnapKey, u32)>; RECENT]>,
}

const RECENT: usize = 32;

/// A connection's number and revision.
type SnapKey = (u64, u64);

impl Conns {
    /// The index of `c`'s snapshot, pushed first if the batch has none yet.
    #[inline]
    fn snap(&mut self, c: &ConnInfo, snapshots: &mut Snapshots) -> u32 {
        match self.recent[(c.id % RECENT as u64) as usize] {
            Some((k, i)) if k == (c.id, c.rev) => i,
            _ => self.not_recent(c, snapshots),
        }
    }

    #[cold]
    fn not_recent(&mut self, c: &ConnInfo, snapshots: &mut Snapshots) -> u32 {
        let key = (c.id, c.rev);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.snaps.len() as u32;
                self.snaps.push(Arc::clone(snapshots.get(c)));
                self.index.insert(key, i);
                i
            }
        };
        self.recent[(c.id % RECENT as u64) as usize] = Some((key, i));
        i
    }

    fn clear(&mut self) {
        self.snaps.clear();
        self.index.clear();
        *self.recent = Default::default();
    }
}

/// Records in capture order, with their packets' bytes in one buffer (one allocation per
/// batch rather than per packet).
///
/// The packet records own nothing (what a few of them have beside their packet is in
/// `extras`), so that emptying a batch costs nothing per record, and their slots are kept
/// from batch to batch and written field by field: a record built and then pushed was
/// copied twice, with calls to `memcpy`.
#[derive(Debug, Default)]
pub struct Batch {
    packets: Vec<OwnedPacket>,
    /// Slots of `packets` in use.
    used: usize,
    /// Events, each with the number of packets before it.
    events: Vec<(usize, OwnedEvent)>,
    bytes: Vec<u8>,
    extras: Vec<Extra>,
    conns: Conns,
}

impl Batch {
    /// An empty batch with room for `n` records.
    pub fn with_capacity(n: usize) -> Batch {
        Batch {
            packets: Vec::with_capacity(n),
            bytes: Vec::with_capacity(n * 64),
            ..Default::default()
        }
    }

    /// Packet records held (the others are events).
    pub fn packets(&self) -> usize {
        self.used
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.used + self.events.len()
    }

    /// True when no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds what `r` holds (its findings are moved out; the rest is copied).
    #[inline]
    pub fn push(&mut self, r: &mut Record<'_>, snapshots: &mut Snapshots) {
        if self.is_empty() {
            self.begin();
        }
        match r {
            Record::Packet(p) => self.packet(p, snapshots),
            Record::Event(e) => self.event(e, snapshots),
        }
    }

    /// Snapshots of the records already handled are let go here, on the thread that made
    /// them, rather than where the records were read.
    #[cold]
    #[inline(never)]
    fn begin(&mut self) {
        self.conns.clear();
    }

    #[cold]
    #[inline(never)]
    fn event(&mut self, e: &mut EventRecord<'_>, snapshots: &mut Snapshots) {
        let event = OwnedEvent {
            conn: e.conn.map(|c| {
                let mut at = ConnAt::EMPTY;
                at.set(self.conns.snap(c, snapshots), c);
                at
            }),
            side: e.side,
            frame: e.frame,
            ts: e.ts,
            start: e.start,
            offset: e.offset,
            kind: e.kind.clone(),
            message: std::mem::take(&mut e.message),
        };
        self.events.push((self.used, event));
    }

    // Per packet, so kept small (what most packets lack is handled out of line) and
    // inlined into the caller's loop: a call cost more than a tenth of it.
    #[inline]
    fn packet(&mut self, p: &mut PacketRecord<'_>, snapshots: &mut Snapshots) {
        let a = &mut p.assumed;
        let start = self.bytes.len();
        append(&mut self.bytes, a.decoded.bytes);
        let plain =
            a.decoded.diagnostics.is_empty() && a.reason.is_none() && a.alternative.is_none();
        let extra = if plain { None } else { Some(self.extra(a)) };
        let c = p.conn;
        let snap = self.conns.snap(c, snapshots);
        if self.used == self.packets.len() {
            self.packets.push(OwnedPacket::EMPTY);
        }
        let o = &mut self.packets[self.used];
        self.used += 1;
        o.conn.set(snap, c);
        o.side = p.side;
        o.direction = p.direction;
        o.first_frame = p.first_frame;
        o.frame = p.frame;
        o.ts = p.ts;
        o.start = p.start;
        o.stream_offset = p.stream_offset;
        o.bytes = start..self.bytes.len();
        o.version = a.decoded.version;
        o.source = a.source;
        o.extra = extra;
    }

    /// Moves out what a packet has beside its bytes; returns its index in `extras`.
    #[cold]
    #[inline(never)]
    fn extra(&mut self, a: &mut Assumed<'_>) -> usize {
        self.extras.push(Extra {
            diagnostics: std::mem::take(&mut a.decoded.diagnostics),
            reason: a.reason.take(),
            alternative: a
                .alternative
                .as_mut()
                .map(|x| (x.version, std::mem::take(&mut x.diagnostics))),
        });
        self.extras.len() - 1
    }

    /// Calls `f` with each record as the dissector made it, in order; `tree`: with field
    /// trees. Stops at the first error. Leaves the batch empty but with its capacity, so
    /// that it can be sent back and filled again: allocating a batch on one thread and
    /// freeing it on another cost page faults and allocator locks for every batch.
    pub fn try_for_each<E>(
        &mut self,
        tree: bool,
        scratch: &mut Scratch,
        mut f: impl FnMut(&mut Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        scratch.begin_batch();
        let mut parts = Parts {
            bytes: &self.bytes,
            snaps: &self.conns.snaps,
            extras: &mut self.extras,
            tree,
            scratch,
        };
        let packets = self.packets.get(..self.used).unwrap_or_default();
        let run = |from: usize, to: usize| packets.get(from..to).unwrap_or_default();
        // The packets before each event (a handful per batch), the event, then the rest.
        let mut next = 0;
        let mut result = Ok(());
        for (before, e) in &mut self.events {
            result = run(next, *before)
                .iter()
                .try_for_each(|p| parts.packet(p, &mut f))
                .and_then(|()| parts.event(e, &mut f));
            next = *before;
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = run(next, packets.len())
                .iter()
                .try_for_each(|p| parts.packet(p, &mut f));
        }
        self.used = 0;
        self.events.clear();
        self.bytes.clear();
        self.extras.clear();
        result
    }
}

/// Appends `bytes` to `buf`. The acknowledgments most captures are full of (PUBACK,
/// PUBREC, PUBREL, PUBCOMP) have 4 bytes: copied as such, they cost no call to `memcpy`.
#[inline]
fn append(buf: &mut Vec<u8>, bytes: &[u8]) {
    match <&[u8; 4]>::try_from(bytes) {
        Ok(four) => buf.extend_from_slice(four),
        Err(_) => buf.extend_from_slice(bytes),
    }
}

/// The owned form of a [`PacketRecord`], without its bytes and its [`Extra`].
#[derive(Clone, Debug)]
struct OwnedPacket {
    conn: ConnAt,
    side: Side,
    direction: Option<Direction>,
    first_frame: u64,
    frame: u64,
    ts: Timestamp,
    start: Timestamp,
    stream_offset: u64,
    /// Where the packet's bytes are in the batch's buffer.
    bytes: std::ops::Range<usize>,
    version: ProtocolVersion,
    source: VersionSource,
    /// Its index in the batch's extras, if it has any.
    extra: Option<usize>,
}

impl OwnedPacket {
    /// A slot's first value, overwritten before use.
    const EMPTY: OwnedPacket = OwnedPacket {
        conn: ConnAt::EMPTY,
        side: Side::A,
        direction: None,
        first_frame: 0,
        frame: 0,
        ts: Timestamp { secs: 0, nanos: 0 },
        start: Timestamp { secs: 0, nanos: 0 },
        stream_offset: 0,
        bytes: 0..0,
        version: ProtocolVersion::V3_1_1,
        source: VersionSource::Auto,
        extra: None,
    };
}

/// What most packets lack: findings, or a version in doubt.
#[derive(Debug)]
struct Extra {
    diagnostics: List<Diagnostic>,
    reason: Option<String>,
    /// The version of the other reading, when both are shown.
    alternative: Option<(ProtocolVersion, List<Diagnostic>)>,
}

impl Extra {
    /// Moves what the packet has beside its bytes into its record (`a`, decoded from
    /// `bytes` with `opts`), the other reading decoded again too.
    #[cold]
    fn move_into<'b>(&mut self, a: &mut Assumed<'b>, bytes: &'b [u8], opts: DecodeOptions) {
        a.decoded.diagnostics = std::mem::take(&mut self.diagnostics);
        a.reason = self.reason.take();
        a.alternative = self.alternative.take().map(|(version, diagnostics)| {
            let mut d = Box::new(decode(bytes, &DecodeOptions { version, ..opts }));
            d.diagnostics = diagnostics;
            if opts.tree {
                show_resolved_topic(&mut d);
            }
            d
        });
    }
}

/// The owned form of an [`EventRecord`].
#[derive(Debug)]
struct OwnedEvent {
    conn: Option<ConnAt>,
    side: Option<Side>,
    frame: u64,
    ts: Option<Timestamp>,
    start: Timestamp,
    offset: Option<u64>,
    kind: EventKind,
    message: String,
}

/// A batch's parts, lent to make its records again.
struct Parts<'b> {
    bytes: &'b [u8],
    snaps: &'b [Arc<ConnInfo>],
    extras: &'b mut [Extra],
    tree: bool,
    scratch: &'b mut Scratch,
}

impl Parts<'_> {
    /// Calls `f` with the packet's record; what the batch held for it is moved into it.
    #[inline(always)]
    fn packet<T>(&mut self, p: &OwnedPacket, f: impl FnOnce(&mut Record<'_>) -> T) -> T {
        let conn = self.scratch.fill(&p.conn, self.snaps);
        let bytes = self.bytes.get(p.bytes.clone()).unwrap_or_default();
        let opts = DecodeOptions {
            version: p.version,
            direction: p.direction,
            tree: self.tree,
        };
        let mut r = std::mem::ManuallyDrop::new(Record::Packet(PacketRecord {
            conn,
            side: p.side,
            direction: p.direction,
            first_frame: p.first_frame,
            frame: p.frame,
            ts: p.ts,
            start: p.start,
            stream_offset: p.stream_offset,
            assumed: Assumed {
                decoded: decode(bytes, &opts),
                source: p.source,
                reason: None,
                alternative: None,
            },
        }));
        if let Record::Packet(r) = &mut *r {
            let a = &mut r.assumed;
            match p.extra.and_then(|i| self.extras.get_mut(i)) {
                Some(x) => x.move_into(a, bytes, opts),
                // The dissector's findings are the record's: it had none.
                None => a.decoded.diagnostics.clear(),
            }
            if opts.tree {
                show_resolved_topic(&mut a.decoded);
            }
        }
        let out = f(&mut r);
        Record::release(r);
        out
    }

    /// Calls `f` with the event's record; its message is moved into it.
    fn event<T>(&mut self, e: &mut OwnedEvent, f: impl FnOnce(&mut Record<'_>) -> T) -> T {
        f(&mut Record::Event(EventRecord {
            conn: e.conn.as_ref().map(|c| self.scratch.fill(c, self.snaps)),
            side: e.side,
            frame: e.frame,
            ts: e.ts,
            start: e.start,
            offset: e.offset,
            kind: e.kind.clone(),
            message: std::mem::take(&mut e.message),
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn append_copies_any_length_after_what_is_there() {
        for n in 0..10u8 {
            let bytes: Vec<u8> = (1..=n).collect();
            let mut buf = vec![0xff];
            super::append(&mut buf, &bytes);
            assert_eq!(buf[0], 0xff);
            assert_eq!(buf[1..], bytes[..]);
        }
    }
}
