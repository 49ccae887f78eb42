//! A fast hasher for the dissector's maps (connection numbers, packet identifiers, topics).
//!
//! std's SipHash resists hash flooding but costs more than the rest of the per-packet work
//! on small keys. The maps hashed here are keyed by numbers this crate assigns, by 16-bit
//! packet identifiers, or by topics in a table capped at a few thousand entries, so
//! flooding cannot grow beyond that cap; the multiply-rotate hash of rustc (FxHash) is
//! enough.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: one multiply and rotate per word.
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return;
        }
        // Past one word, the last eight bytes (overlapping the last whole word) make the
        // last word: no byte-wise copy of the remainder.
        let w = match bytes.last_chunk::<8>() {
            Some(last) => u64::from_le_bytes(*last),
            None => rest.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        self.add(w ^ ((rest.len() as u64) << 56));
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }
    fn write_u16(&mut self, i: u16) {
        self.add(i.into());
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i.into());
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_work_and_spread() {
        let mut m: FastMap<u16, u32> = FastMap::default();
        for i in 0..=u16::MAX {
            m.insert(i, u32::from(i) * 2);
        }
        assert_eq!(m.len(), 65536);
        assert_eq!(m.get(&1234), Some(&2468));
        let mut s: FastSet<String> = FastSet::default();
        s.insert("a/b".into());
        assert!(s.contains("a/b") && !s.contains("a/c"));
        // Strings that differ only in length hash differently.
        let h = |b: &[u8]| {
            let mut x = FxHasher::default();
            x.write(b);
            x.finish()
        };
        assert_ne!(h(b"a"), h(b"a\0"));
    }
}
