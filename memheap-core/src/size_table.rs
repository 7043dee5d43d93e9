//! The size table: a fixed-capacity map from a block's key to one word of value.
//!
//! Open addressing with linear probing and backward-shift deletion (no tombstones, so a long
//! run of alloc/free never degrades it). The number of slots is any number from 2 up (a hash
//! is mapped onto it by a multiply-shift, Lemire's "fastrange", so the table can take exactly
//! the metadata a region affords); inserting entry `capacity + 1` is refused by the caller
//! (`is_full`), and `capacity` is at most 3/4 of the slots, so a probe always ends.
//!
//! Each slot is two consecutive words of the caller's metadata storage: the key and the value.
//! Key 0 marks an empty slot, so **all-zero storage is an empty table**: a heap over freshly
//! mapped (zero) metadata touches only the words it uses. Keys are never 0 (the heap stores a
//! block's unit index plus one).

/// Slots for a table of `capacity` entries at load factor <= 3/4 (at least 2), or `None` when
/// that overflows.
pub(crate) const fn slots_for(capacity: usize) -> Option<usize> {
    match capacity.checked_add(capacity.div_ceil(3)) {
        Some(w) if w < 2 => Some(2),
        Some(w) => Some(w),
        None => None,
    }
}

/// The most entries `slots` slots hold at load factor <= 3/4.
pub(crate) const fn capacity_of(slots: usize) -> usize {
    slots / 4 * 3 + (slots % 4) * 3 / 4
}

/// A view of the size table inside the metadata storage.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SizeTable {
    /// First storage word of the table.
    base: usize,
    /// Number of slots.
    slots: u64,
    /// Entries the table accepts.
    capacity: usize,
    /// Entries it holds.
    len: usize,
}

impl SizeTable {
    /// A table of `slots` slots (at least 2) accepting `capacity` entries (at most 3/4 of the
    /// slots), at word `base`. The words must be zero (empty).
    pub(crate) const fn new(base: usize, slots: usize, capacity: usize) -> SizeTable {
        SizeTable {
            base,
            slots: slots as u64,
            capacity,
            len: 0,
        }
    }

    /// Words the table occupies.
    pub(crate) const fn words(&self) -> usize {
        2 * self.slots as usize
    }

    /// Entries held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Entries accepted.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Is the table full (the next insert would be refused)?
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    #[inline(always)]
    fn home(&self, key: u64) -> u64 {
        // Fibonacci hashing, then the high half of `hash * slots`: a slot in `[0, slots)`.
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((hash as u128 * self.slots as u128) >> 64) as u64
    }

    /// The slot after `i`, wrapping around.
    #[inline(always)]
    fn next(&self, i: u64) -> u64 {
        if i + 1 == self.slots {
            0
        } else {
            i + 1
        }
    }

    /// How far slot `to` lies after slot `from`, going forwards and wrapping around.
    #[inline(always)]
    fn distance(&self, from: u64, to: u64) -> u64 {
        if to >= from {
            to - from
        } else {
            to + self.slots - from
        }
    }

    #[inline(always)]
    fn slot(&self, i: u64) -> usize {
        self.base + 2 * i as usize
    }

    /// The word index of `key`'s slot (its key word; the value is the next word), or `None`.
    #[inline]
    pub(crate) fn find(&self, words: &[u64], key: u64) -> Option<usize> {
        debug_assert!(key != 0);
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            let k = words[s];
            if k == key {
                return Some(s);
            }
            if k == 0 {
                return None;
            }
            i = self.next(i);
        }
    }

    /// [`SizeTable::find`] through a raw pointer to the storage, without bounds checks (the
    /// hot paths hold the storage pointer in a register across their stores).
    ///
    /// # Safety
    /// `words` points to the storage the table was laid out in, valid for reads of at least
    /// `base + 2 * slots` words.
    #[inline(always)]
    pub(crate) unsafe fn find_raw(&self, words: *const u64, key: u64) -> Option<usize> {
        debug_assert!(key != 0);
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            // SAFETY: `i < slots`, so `s + 1 < base + 2 * slots`, inside the storage.
            let k = unsafe { *words.add(s) };
            if k == key {
                return Some(s);
            }
            if k == 0 {
                return None;
            }
            i = self.next(i);
        }
    }

    /// Insert `key -> value`; returns the slot's word index. The caller has checked
    /// `!is_full()` and that `key` is absent.
    #[inline]
    pub(crate) fn insert(&mut self, words: &mut [u64], key: u64, value: u64) -> usize {
        debug_assert!(!self.is_full() && key != 0);
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            if words[s] == 0 {
                words[s] = key;
                words[s + 1] = value;
                self.len += 1;
                return s;
            }
            debug_assert!(words[s] != key, "duplicate key in size table");
            i = self.next(i);
        }
    }

    /// The first storage word of the table.
    #[inline(always)]
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// Remove the entry whose key word is at `s` (as returned by [`SizeTable::find`]).
    /// Backward-shift deletion moves later entries of the probe run; `moved(words, from, to,
    /// value)` is called after each move of an entry from slot `from` to slot `to`, so that
    /// whoever refers to entries by slot can follow.
    #[inline]
    pub(crate) fn remove_at(
        &mut self,
        words: &mut [u64],
        s: usize,
        mut moved: impl FnMut(&mut [u64], u64, u64, u64),
    ) {
        debug_assert!(words[s] != 0);
        // Backward-shift deletion: pull later entries of the probe run into the hole when
        // their home position allows it.
        let mut hole = ((s - self.base) / 2) as u64;
        let mut j = hole;
        loop {
            j = self.next(j);
            let sj = self.slot(j);
            let k = words[sj];
            if k == 0 {
                break;
            }
            let home = self.home(k);
            // The entry at j may move to `hole` iff its home is not in (hole, j] cyclically.
            let dist_home = self.distance(home, j);
            let dist_hole = self.distance(hole, j);
            if dist_home >= dist_hole {
                let sh = self.slot(hole);
                let value = words[sj + 1];
                words[sh] = k;
                words[sh + 1] = value;
                moved(words, j, hole, value);
                hole = j;
            }
        }
        let sh = self.slot(hole);
        words[sh] = 0;
        words[sh + 1] = 0;
        self.len -= 1;
    }

    /// Visit every entry as `(key, value)` (in slot order).
    pub(crate) fn for_each(&self, words: &[u64], mut f: impl FnMut(u64, u64)) {
        for slot in words[self.base..self.base + self.words()].chunks_exact(2) {
            if slot[0] != 0 {
                f(slot[0], slot[1]);
            }
        }
    }

    /// Check that every entry is reachable from its home slot and that `len` is right.
    pub(crate) fn check(&self, words: &[u64]) -> Result<(), &'static str> {
        let mut n = 0usize;
        let mut bad = false;
        self.for_each(words, |k, _| {
            n += 1;
            if self.find(words, k).is_none() {
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
            let s = slots_for(cap).unwrap();
            assert!(s >= 2);
            assert!(cap * 4 <= s * 3, "cap={cap} slots={s}");
            assert!(capacity_of(s) >= cap);
            assert!(capacity_of(s) * 4 <= s * 3);
        }
        assert_eq!(slots_for(768), Some(1024));
        assert_eq!(slots_for(769), Some(1026));
        assert_eq!(capacity_of(2), 1);
        assert_eq!(capacity_of(16), 12);
        assert_eq!(capacity_of(1000), 750);
        assert_eq!(slots_for(usize::MAX), None);
        assert_eq!(slots_for(usize::MAX / 4 * 3 + 1), Some(usize::MAX - 1));
    }

    #[test]
    fn insert_find_remove_against_naive() {
        const SLOTS: usize = 250;
        const CAP: usize = 187;
        let mut words = [0u64; 2 * SLOTS];
        let mut t = SizeTable::new(0, SLOTS, CAP);
        let mut model: [Option<u64>; 4096] = [None; 4096];
        let mut x: u64 = 99;
        let steps = if cfg!(miri) { 5_000 } else { 100_000u64 };
        for step in 0..steps {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let idx = (x % 4096) as usize;
            let key = idx as u64 + 1;
            match model[idx] {
                Some(v) => {
                    let s = t.find(&words, key).unwrap();
                    assert_eq!(words[s + 1], v);
                    if x & 1 == 0 {
                        t.remove_at(&mut words, s, |_, _, _, _| {});
                        model[idx] = None;
                    } else {
                        words[s + 1] = step;
                        model[idx] = Some(step);
                    }
                }
                None => {
                    assert_eq!(t.find(&words, key), None);
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
            assert_eq!(t.find(&words, i as u64 + 1).map(|s| words[s + 1]), *m);
        }
        assert_eq!(t.len(), model.iter().filter(|m| m.is_some()).count());
    }
}
