//! The flows in flight of one direction (QoS 1/2 PUBLISH, SUBSCRIBE, UNSUBSCRIBE), by Packet
//! Identifier, and the state machine an acknowledgement drives.
//!
//! The table is open addressing with linear probing over a multiplicative (Fibonacci) hash
//! of the 16-bit identifier: identifiers are usually consecutive, which this hash spreads
//! evenly, and a lookup is a multiply and a compare or two, where a general hash map spends
//! several times that on every PUBLISH and acknowledgement. It holds at most one entry per
//! identifier (65,535) and stays at most half full, so probe sequences stay short.

use super::report::FlowKind;
use crate::codec::PacketType;
use crate::transport::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlowState {
    /// Waiting for PUBACK, SUBACK, UNSUBACK, or PUBREC for QoS 2.
    Ack,
    /// QoS 2: PUBREC seen (frame), waiting for PUBREL from the sender.
    Rel(u64),
    /// QoS 2: PUBREL seen (frame), waiting for PUBCOMP.
    Comp(u64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Flow {
    pub kind: FlowKind,
    pub state: FlowState,
    pub frame: u64,
    pub ts: Timestamp,
    /// Filters of a SUBSCRIBE/UNSUBSCRIBE.
    pub filters: usize,
}

/// What an acknowledgement does to the flow it names.
pub(super) enum Step {
    Done,
    Next(FlowState),
    Ignore,
    Unknown,
}

/// The step an acknowledgement of type `t` takes on flow `f` (the flow table's state machine).
pub(super) fn step(f: &Flow, t: PacketType, failed: bool, frame: u64) -> Step {
    match t {
        PacketType::PUBACK if f.kind == FlowKind::Qos1 => Step::Done,
        PacketType::PUBREC if f.kind == FlowKind::Qos2 => match f.state {
            FlowState::Ack if failed => Step::Done,
            FlowState::Ack => Step::Next(FlowState::Rel(frame)),
            _ => Step::Ignore,
        },
        PacketType::PUBREL if f.kind == FlowKind::Qos2 => match f.state {
            FlowState::Comp(_) => Step::Ignore,
            _ => Step::Next(FlowState::Comp(frame)),
        },
        PacketType::PUBCOMP if f.kind == FlowKind::Qos2 => match f.state {
            FlowState::Ack => Step::Unknown,
            _ => Step::Done,
        },
        PacketType::SUBACK if f.kind == FlowKind::Subscribe => Step::Done,
        PacketType::UNSUBACK if f.kind == FlowKind::Unsubscribe => Step::Done,
        _ => Step::Unknown,
    }
}

/// One slot of the table; identifier 0 (never a flow's: a Packet Identifier is non-zero)
/// marks a free one.
#[derive(Clone, Copy)]
struct Slot {
    id: u16,
    flow: Flow,
}

const FREE: Slot = Slot {
    id: 0,
    flow: Flow {
        kind: FlowKind::Qos1,
        state: FlowState::Ack,
        frame: 0,
        ts: Timestamp { secs: 0, nanos: 0 },
        filters: 0,
    },
};

/// Slots of a table's first allocation.
const MIN_SLOTS: usize = 16;

/// Flows by Packet Identifier (see the module comment).
#[derive(Default)]
pub(super) struct FlowTable {
    /// A power of two in length, or empty before the first flow.
    slots: Vec<Slot>,
    len: usize,
    /// Flows of QoS 1/2 PUBLISHes: what the receiver's Receive Maximum bounds.
    publishes: usize,
    /// 64 − log2(slots.len()): the hash's top bits index the slots.
    shift: u32,
}

impl FlowTable {
    /// Where a probe for `id` starts.
    #[inline]
    fn home(&self, id: u16) -> usize {
        (u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The slot of `id`'s flow (`Ok`), or the free slot where it would go (`Err`). The
    /// table must have slots (it always has a free one), and `id` must not be 0.
    #[inline]
    fn probe(&self, id: u16) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(id);
        loop {
            let s = self.slots[i & mask].id;
            if s == id {
                return Ok(i & mask);
            }
            if s == 0 {
                return Err(i & mask);
            }
            i += 1;
        }
    }

    /// The slot holding the flow with identifier `id`.
    #[inline]
    pub fn find(&self, id: u16) -> Option<usize> {
        if self.len == 0 || id == 0 {
            return None;
        }
        self.probe(id).ok()
    }

    /// The flow in slot `i` (from [`FlowTable::find`]).
    #[inline]
    pub fn at(&mut self, i: usize) -> &mut Flow {
        &mut self.slots[i].flow
    }

    /// QoS 1/2 PUBLISH flows in flight (not yet PUBACK, PUBCOMP, or a failed PUBREC).
    #[inline]
    pub fn publishes(&self) -> usize {
        self.publishes
    }

    /// Starts flow `id` (non-zero) unless one with that identifier is in flight: then the
    /// slot of that one is returned, unchanged.
    #[inline(always)]
    pub fn insert_or_get(&mut self, id: u16, flow: Flow) -> Option<usize> {
        debug_assert_ne!(id, 0);
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        match self.probe(id) {
            Ok(i) => Some(i),
            Err(i) => {
                self.slots[i] = Slot { id, flow };
                self.len += 1;
                self.publishes += usize::from(flow.kind.is_publish());
                None
            }
        }
    }

    /// Puts `flow` in slot `i` (from [`FlowTable::find`] or [`FlowTable::insert_or_get`])
    /// in place of the flow there, which is returned.
    pub fn replace_at(&mut self, i: usize, flow: Flow) -> Flow {
        let old = std::mem::replace(&mut self.slots[i].flow, flow);
        self.publishes += usize::from(flow.kind.is_publish());
        self.publishes -= usize::from(old.kind.is_publish());
        old
    }

    /// Ends the flow in slot `i` (from [`FlowTable::find`]): the entries after it in its
    /// probe run move back, so that no lookup stops early at the freed slot.
    #[inline]
    pub fn remove_at(&mut self, mut i: usize) {
        self.publishes -= usize::from(self.slots[i].flow.kind.is_publish());
        let mask = self.slots.len() - 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let id = self.slots[j].id;
            if id == 0 {
                break;
            }
            // The entry at j may fill the hole at i unless its probe starts after i
            // (cyclically, within i+1..=j).
            let home = self.home(id);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(i) & mask) {
                self.slots[i] = self.slots[j];
                i = j;
            }
        }
        self.slots[i].id = 0;
        self.len -= 1;
    }

    /// Every flow in flight, leaving the table empty (in no particular order).
    pub fn drain(&mut self) -> impl Iterator<Item = (u16, Flow)> {
        self.len = 0;
        self.publishes = 0;
        std::mem::take(&mut self.slots)
            .into_iter()
            .filter(|s| s.id != 0)
            .map(|s| (s.id, s.flow))
    }

    /// Doubles the slots (out of line: rare, and the per-packet path stays small).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![FREE; n]);
        self.shift = 64 - n.trailing_zeros();
        for s in old.into_iter().filter(|s| s.id != 0) {
            if let Err(i) = self.probe(s.id) {
                self.slots[i] = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn flow(frame: u64) -> Flow {
        Flow { frame, ..FREE.flow }
    }

    /// Flows of every kind, by frame number.
    fn any_flow(frame: u64) -> Flow {
        const KINDS: [FlowKind; 4] = [
            FlowKind::Qos1,
            FlowKind::Qos2,
            FlowKind::Subscribe,
            FlowKind::Unsubscribe,
        ];
        Flow {
            kind: KINDS[(frame % 4) as usize],
            frame,
            ..FREE.flow
        }
    }

    /// The table agrees with a HashMap through inserts, replacements, lookups and removals,
    /// including identifiers that share a home slot and runs that wrap around the end; so
    /// does its count of PUBLISH flows.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut t = FlowTable::default();
        let mut m: HashMap<u16, u64> = HashMap::new();
        let mut x: u32 = 12345;
        for n in 0..200_000u64 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            // Few distinct identifiers, so that they collide and get removed often.
            let id = ((x >> 16) % 97) as u16 * 677 % 1000;
            match (x >> 8) % 4 {
                0 | 1 if id != 0 => {
                    let got = t.insert_or_get(id, any_flow(n)).map(|i| t.at(i).frame);
                    assert_eq!(got, m.get(&id).copied());
                    m.entry(id).or_insert(n);
                }
                2 if id != 0 => {
                    if let Some(i) = t.find(id) {
                        let old = t.replace_at(i, any_flow(n));
                        assert_eq!(Some(old.frame), m.insert(id, n));
                    }
                }
                _ => {
                    let got = t.find(id).map(|i| {
                        let f = t.at(i).frame;
                        t.remove_at(i);
                        f
                    });
                    assert_eq!(got, m.remove(&id));
                }
            }
            assert_eq!(t.len, m.len());
            let publishes = m.values().filter(|f| any_flow(**f).kind.is_publish());
            assert_eq!(t.publishes(), publishes.count());
        }
        for (id, frame) in &m {
            let i = t.find(*id).expect("present");
            assert_eq!(t.at(i).frame, *frame);
        }
        let mut all: Vec<(u16, u64)> = t.drain().map(|(id, f)| (id, f.frame)).collect();
        let mut want: Vec<(u16, u64)> = m.into_iter().collect();
        all.sort_unstable();
        want.sort_unstable();
        assert_eq!(all, want);
        assert_eq!((t.find(1), t.publishes()), (None, 0));
    }

    #[test]
    fn identifier_zero_is_never_found() {
        let mut t = FlowTable::default();
        assert_eq!(t.find(0), None);
        t.insert_or_get(5, flow(1));
        assert_eq!(t.find(0), None);
        assert!(t.find(5).is_some());
    }
}
