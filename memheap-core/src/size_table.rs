//! The size table: a fixed-capacity map from a live block's offset to its length.
//!
//! Open addressing with linear probing and backward-shift deletion (no tombstones, so a long
//! run of alloc/free never degrades it). The number of slots is the smallest power of two that
//! keeps the load factor at or below 3/4 when the table holds `capacity` entries; inserting
//! entry `capacity + 1` is refused, so a probe always ends.
//!
//! Each slot is two words of the caller's metadata storage: the key (offset, or [`EMPTY`]) and
//! the value (block length in bytes).

/// Key of an empty slot. No block can start at `u64::MAX` (blocks are at least 1 byte long and
/// end inside a region of at most `2^63` bytes).
pub const EMPTY: u64 = u64::MAX;

/// Slots needed for `capacity` entries at load factor <= 3/4 (a power of two, at least 2).
pub const fn slots_for(capacity: usize) -> usize {
    // ceil(capacity * 4 / 3), computed without overflow for realistic capacities.
    let want = capacity + capacity.div_ceil(3);
    let want = if want < 2 { 2 } else { want };
    want.next_power_of_two()
}

/// Words of storage for a table of `capacity` entries.
pub const fn words_for(capacity: usize) -> usize {
    slots_for(capacity) * 2
}

/// A view of the size table inside the metadata storage.
#[derive(Clone, Copy, Debug)]
pub struct SizeTable {
    /// First storage word of the table.
    base: usize,
    /// `slots - 1` (slots is a power of two).
    mask: u64,
    /// Shift that turns a 64-bit hash into a slot index.
    shift: u32,
    /// Entries the table accepts.
    capacity: usize,
    /// Entries it holds.
    len: usize,
    /// Keys are multiples of `2^min_order`: the hash drops those zero bits.
    min_order: u32,
}

impl SizeTable {
    /// Lay out an empty table of `capacity` entries at word `base`; `reset` must run before
    /// use.
    pub const fn new(base: usize, capacity: usize, min_order: u32) -> SizeTable {
        let slots = slots_for(capacity);
        SizeTable {
            base,
            mask: slots as u64 - 1,
            shift: 64 - slots.trailing_zeros(),
            capacity,
            len: 0,
            min_order,
        }
    }

    /// Mark every slot empty.
    pub fn reset(&mut self, words: &mut [u64]) {
        let slots = self.mask as usize + 1;
        for slot in words[self.base..self.base + 2 * slots].chunks_exact_mut(2) {
            slot[0] = EMPTY;
            slot[1] = 0;
        }
        self.len = 0;
    }

    /// Entries held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Is the table empty?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries accepted.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Is the table full (the next insert would be refused)?
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    #[inline]
    fn home(&self, key: u64) -> u64 {
        // Fibonacci hashing of the block index.
        (key >> self.min_order).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift
    }

    #[inline]
    fn slot(&self, i: u64) -> usize {
        self.base + 2 * i as usize
    }

    /// The length stored for `key`.
    #[inline]
    pub fn get(&self, words: &[u64], key: u64) -> Option<u64> {
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            let k = words[s];
            if k == key {
                return Some(words[s + 1]);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Insert `key -> value`. The caller has checked `!is_full()` and that `key` is absent.
    #[inline]
    pub fn insert(&mut self, words: &mut [u64], key: u64, value: u64) {
        debug_assert!(!self.is_full());
        debug_assert!(key != EMPTY);
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            if words[s] == EMPTY {
                words[s] = key;
                words[s + 1] = value;
                self.len += 1;
                return;
            }
            debug_assert!(words[s] != key, "duplicate key in size table");
            i = (i + 1) & self.mask;
        }
    }

    /// Replace the value of a present key; returns false when `key` is absent.
    #[inline]
    pub fn update(&mut self, words: &mut [u64], key: u64, value: u64) -> bool {
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            let k = words[s];
            if k == key {
                words[s + 1] = value;
                return true;
            }
            if k == EMPTY {
                return false;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Remove `key`, returning its value.
    #[inline]
    pub fn remove(&mut self, words: &mut [u64], key: u64) -> Option<u64> {
        let mut i = self.home(key);
        let value = loop {
            let s = self.slot(i);
            let k = words[s];
            if k == key {
                break words[s + 1];
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        };
        // Backward-shift deletion: pull later entries of the probe run into the hole when
        // their home position allows it.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & self.mask;
            let sj = self.slot(j);
            let k = words[sj];
            if k == EMPTY {
                break;
            }
            let home = self.home(k);
            // Entry at j may move to `hole` iff its home is not in (hole, j] cyclically.
            let dist_home = j.wrapping_sub(home) & self.mask;
            let dist_hole = j.wrapping_sub(hole) & self.mask;
            if dist_home >= dist_hole {
                let sh = self.slot(hole);
                words[sh] = k;
                words[sh + 1] = words[sj + 1];
                hole = j;
            }
        }
        let sh = self.slot(hole);
        words[sh] = EMPTY;
        words[sh + 1] = 0;
        self.len -= 1;
        Some(value)
    }

    /// Visit every entry (in slot order).
    pub fn for_each(&self, words: &[u64], mut f: impl FnMut(u64, u64)) {
        let slots = self.mask as usize + 1;
        for slot in words[self.base..self.base + 2 * slots].chunks_exact(2) {
            if slot[0] != EMPTY {
                f(slot[0], slot[1]);
            }
        }
    }

    /// Check that every entry is reachable from its home slot and that `len` is right.
    pub fn check(&self, words: &[u64]) -> Result<(), &'static str> {
        let mut n = 0usize;
        let mut bad = false;
        self.for_each(words, |k, v| {
            n += 1;
            if self.get(words, k) != Some(v) {
                bad = true;
            }
        });
        if bad {
            return Err("size-table entry not reachable from its home slot");
        }
        if n != self.len {
            return Err("size-table entry count disagrees with its length");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_load_at_most_three_quarters() {
        for cap in [0usize, 1, 2, 3, 4, 5, 6, 7, 100, 768, 769, 1 << 20] {
            let s = slots_for(cap);
            assert!(s.is_power_of_two());
            assert!(cap * 4 <= s * 3, "cap={cap} slots={s}");
        }
        assert_eq!(slots_for(768), 1024);
        assert_eq!(slots_for(769), 2048);
    }

    #[test]
    fn insert_get_remove_against_naive() {
        const CAP: usize = 200;
        let mut words = [0u64; 2 * 512];
        assert!(words_for(CAP) <= words.len());
        let mut t = SizeTable::new(0, CAP, 4);
        t.reset(&mut words);
        let mut model: [Option<u64>; 4096] = [None; 4096];
        let mut x: u64 = 99;
        for step in 0..100_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = (x % 4096) << 4;
            let idx = (key >> 4) as usize;
            match model[idx] {
                Some(v) => {
                    if x & 1 == 0 {
                        assert_eq!(t.remove(&mut words, key), Some(v));
                        model[idx] = None;
                    } else {
                        assert!(t.update(&mut words, key, step));
                        model[idx] = Some(step);
                    }
                }
                None => {
                    assert_eq!(t.get(&words, key), None);
                    assert_eq!(t.remove(&mut words, key), None);
                    if !t.is_full() {
                        t.insert(&mut words, key, step);
                        model[idx] = Some(step);
                    }
                }
            }
            if step % 997 == 0 {
                t.check(&words).unwrap();
            }
        }
        for (i, m) in model.iter().enumerate() {
            assert_eq!(t.get(&words, (i as u64) << 4), *m);
        }
        assert_eq!(t.len(), model.iter().filter(|m| m.is_some()).count());
    }
}
