//! The reassembler's connection table: a slab of entries found by key with one hash
//! lookup, and kept in least-recently-used order by an intrusive doubly linked list, so
//! that touching an entry or finding the oldest one costs O(1) and allocates nothing.

use super::event::Endpoint;
use std::collections::HashMap;
use std::net::IpAddr;

/// No slot (end of the LRU list).
const NIL: usize = usize::MAX;

/// A connection's 4-tuple as plain integers, endpoints in a canonical order: cheaper to
/// hash and compare than two `Endpoint`s (an `IpAddr` enum each).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Key {
    lo: u128,
    hi: u128,
    /// Port and address family of `lo` (high half) and of `hi` (low half); 0 for IPv4,
    /// whose ports are in `lo` and `hi`.
    tags: u64,
}

/// Entries of the table's cache of recently found slots (a power of two).
const RECENT: usize = 16;

impl Key {
    /// Where the key goes in the cache of recent slots (collisions only cost a lookup).
    #[inline]
    fn recent_index(&self) -> usize {
        let x = (self.lo ^ self.hi) as u64 ^ self.tags;
        (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT.trailing_zeros())) as usize
    }
}

/// An IPv6 (or mixed) endpoint as (address, port with the family above it).
fn pack(e: Endpoint) -> (u128, u32) {
    match e.addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), u32::from(e.port)),
        IpAddr::V6(a) => (u128::from(a), u32::from(e.port) | 1 << 16),
    }
}

/// The key of the connection between `a` and `b`, whichever side sent.
#[inline]
pub(crate) fn key_of(a: Endpoint, b: Endpoint) -> Key {
    if let (IpAddr::V4(x), IpAddr::V4(y)) = (a.addr, b.addr) {
        // Most traffic: each endpoint fits in 48 bits. Such keys have no tags, which an
        // IPv6 key always has (the family bit), so the two never collide.
        let x = u64::from(u32::from(x)) << 16 | u64::from(a.port);
        let y = u64::from(u32::from(y)) << 16 | u64::from(b.port);
        return Key {
            lo: u128::from(x.min(y)),
            hi: u128::from(x.max(y)),
            tags: 0,
        };
    }
    let (x, y) = (pack(a), pack(b));
    let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
    Key {
        lo: lo.0,
        hi: hi.0,
        tags: u64::from(lo.1) << 32 | u64::from(hi.1),
    }
}

/// Keys are addresses from the capture, which an attacker can choose: foldhash is
/// seeded per process (no crafted collisions) and fast on these small keys.
type Index = HashMap<Key, usize, foldhash::fast::RandomState>;

struct Slot<V> {
    value: Option<V>,
    key: Key,
    /// Neighbours in LRU order (towards the oldest, towards the newest).
    older: usize,
    newer: usize,
}

/// Entries by key, in least-recently-used order. Grows to the most entries held at once.
pub(crate) struct ConnTable<V> {
    slots: Vec<Slot<V>>,
    free: Vec<usize>,
    index: Index,
    oldest: usize,
    newest: usize,
    /// Slots `find` returned lately, by a cheap mix of their keys: a few connections
    /// carry most segments, and comparing one key costs less than hashing it.
    recent: [usize; RECENT],
}

impl<V> ConnTable<V> {
    pub(crate) fn new() -> Self {
        ConnTable {
            slots: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            oldest: NIL,
            newest: NIL,
            recent: [NIL; RECENT],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot holding `key`.
    #[inline]
    pub(crate) fn find(&mut self, key: &Key) -> Option<usize> {
        let r = key.recent_index();
        if let Some(s) = self.slots.get(self.recent[r]) {
            if s.key == *key && s.value.is_some() {
                return Some(self.recent[r]);
            }
        }
        let i = self.index.get(key).copied()?;
        self.recent[r] = i;
        Some(i)
    }

    /// The entry in slot `i` (a slot from `find`, `insert` or `oldest`).
    pub(crate) fn get(&self, i: usize) -> Option<&V> {
        self.slots.get(i)?.value.as_ref()
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut V> {
        self.slots.get_mut(i)?.value.as_mut()
    }

    /// The least recently used slot.
    pub(crate) fn oldest(&self) -> Option<usize> {
        (self.oldest != NIL).then_some(self.oldest)
    }

    /// Adds `value` under `key` (not present) as the most recent entry; returns its slot.
    pub(crate) fn insert(&mut self, key: Key, value: V) -> usize {
        let slot = Slot {
            value: Some(value),
            key,
            older: NIL,
            newer: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.index.insert(key, i);
        self.link_newest(i);
        i
    }

    /// Makes slot `i` the most recent.
    #[inline]
    pub(crate) fn touch(&mut self, i: usize) {
        if self.newest != i {
            self.unlink(i);
            self.link_newest(i);
        }
    }

    /// Takes the entry out of slot `i`.
    pub(crate) fn remove(&mut self, i: usize) -> Option<V> {
        let value = self.slots.get_mut(i)?.value.take()?;
        self.unlink(i);
        self.index.remove(&self.slots[i].key);
        self.free.push(i);
        Some(value)
    }

    /// Every occupied slot, in no particular order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (usize, &V)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.value.as_ref()?)))
    }

    fn unlink(&mut self, i: usize) {
        let (older, newer) = (self.slots[i].older, self.slots[i].newer);
        match older {
            NIL => self.oldest = newer,
            o => self.slots[o].newer = newer,
        }
        match newer {
            NIL => self.newest = older,
            n => self.slots[n].older = older,
        }
    }

    fn link_newest(&mut self, i: usize) {
        self.slots[i].older = self.newest;
        self.slots[i].newer = NIL;
        match self.newest {
            NIL => self.oldest = i,
            n => self.slots[n].newer = i,
        }
        self.newest = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str, port: u16) -> Endpoint {
        Endpoint {
            addr: s.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn keys_are_symmetric_and_keep_families_apart() {
        let a = ep("10.0.0.1", 1);
        let b = ep("10.0.0.2", 2);
        assert_eq!(key_of(a, b), key_of(b, a));
        assert_ne!(key_of(a, b), key_of(a, ep("10.0.0.2", 3)));
        let a6 = ep("::a00:1", 1);
        let b6 = ep("::a00:2", 2);
        assert_ne!(key_of(a, b), key_of(a6, b6));
    }

    #[test]
    fn recently_found_slots_are_checked_again() {
        let k = |p| key_of(ep("1.1.1.1", p), ep("2.2.2.2", 1));
        let mut t = ConnTable::new();
        let s1 = t.insert(k(1), 1);
        assert_eq!((t.find(&k(1)), t.find(&k(1))), (Some(s1), Some(s1)));
        assert_eq!(t.remove(s1), Some(1));
        assert_eq!(t.find(&k(1)), None);
        let s2 = t.insert(k(2), 2);
        assert_eq!(s2, s1); // the recently found slot now holds another key
        assert_eq!((t.find(&k(1)), t.find(&k(2))), (None, Some(s2)));
    }

    #[test]
    fn lru_order_touch_remove_reuse() {
        let k = |p| key_of(ep("1.1.1.1", p), ep("2.2.2.2", 1));
        let mut t = ConnTable::new();
        let s1 = t.insert(k(1), 1);
        let s2 = t.insert(k(2), 2);
        let s3 = t.insert(k(3), 3);
        assert_eq!(t.oldest(), Some(s1));
        t.touch(s1);
        assert_eq!(t.oldest(), Some(s2));
        t.touch(s1); // already the newest
        assert_eq!(t.remove(s2), Some(2));
        assert_eq!(t.remove(s2), None);
        assert_eq!(t.oldest(), Some(s3));
        assert_eq!(t.find(&k(2)), None);
        let s4 = t.insert(k(4), 4);
        assert_eq!(s4, s2); // the freed slot is reused
        assert_eq!(t.find(&k(4)), Some(s4));
        assert_eq!((t.len(), t.get(s4)), (3, Some(&4)));
        assert_eq!(t.remove(s3), Some(3));
        assert_eq!(t.remove(s1), Some(1));
        assert_eq!(t.oldest(), Some(s4));
        assert_eq!(t.remove(s4), Some(4));
        assert_eq!((t.oldest(), t.len()), (None, 0));
        assert_eq!(t.slots().count(), 0);
    }
}
