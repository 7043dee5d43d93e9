//! Hierarchical bitmaps over caller-supplied `u64` words.
//!
//! Level 0 holds one bit per item. Level `l + 1` holds one bit per word of level `l`, set when
//! that word is non-zero. The top level is a single word. Finding the lowest set bit therefore
//! reads one word per level — `O(log64 n)` — instead of scanning level 0.
//!
//! A bitmap is described by a [`Map`]: its first word and its item count. The levels follow one
//! another from level 0 up; level `l` has `ceil(n / 64^(l+1))` words, so every level's start is
//! computed with shifts and adds and the heap keeps one word index per order, not a table per
//! level. Plain `u64` words were chosen over `bitvec`: the summary levels need whole-word
//! `trailing_zeros`, and `bitvec` fails Miri.
//!
//! The heap keeps every map inside its metadata slice (checked once, in `BuddyHeap::new`), so
//! the hot-path functions index without bounds checks; each one re-checks with
//! `debug_assert!`s.

/// Most levels a bitmap can have: 64^11 > 2^64 items.
pub(crate) const MAX_LEVELS: usize = 11;

/// Where one hierarchical bitmap lives inside a word slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Map {
    /// First word of level 0.
    pub base: usize,
    /// Number of items (level-0 bits); at least 1.
    pub bits: u64,
}

/// Words of level `level` for `bits` items (`bits >= 1`).
#[inline(always)]
const fn level_words(bits: u64, level: u32) -> usize {
    let shift = 6 * (level + 1);
    if shift >= 64 {
        1
    } else {
        (((bits - 1) >> shift) + 1) as usize
    }
}

/// Words needed for `bits` items across all levels (`const`, so storage can be sized
/// statically). 0 for no items.
pub(crate) const fn words_for(bits: u64) -> usize {
    if bits == 0 {
        return 0;
    }
    let mut total = 0usize;
    let mut level = 0;
    loop {
        let w = level_words(bits, level);
        total += w;
        if w == 1 {
            return total;
        }
        level += 1;
    }
}

impl Map {
    /// The start word of every level, and the number of levels.
    #[inline(always)]
    fn levels(&self) -> ([usize; MAX_LEVELS], usize) {
        let mut bases = [0usize; MAX_LEVELS];
        let mut at = self.base;
        let mut level = 0;
        loop {
            bases[level] = at;
            let w = level_words(self.bits, level as u32);
            level += 1;
            if w == 1 || level == MAX_LEVELS {
                return (bases, level);
            }
            at += w;
        }
    }

    /// One past the last word of the bitmap.
    pub(crate) const fn end(&self) -> usize {
        self.base + words_for(self.bits)
    }
}

/// Is item `i` set? (`i < map.bits`.)
#[inline]
pub(crate) fn test(words: &[u64], map: &Map, i: u64) -> bool {
    debug_assert!(i < map.bits);
    words[map.base + (i >> 6) as usize] & (1 << (i & 63)) != 0
}

/// Word `at` of `words`, mutable and unchecked.
///
/// # Safety
/// `at < words.len()`.
#[inline(always)]
unsafe fn word_mut(words: &mut [u64], at: usize) -> &mut u64 {
    debug_assert!(at < words.len());
    // SAFETY: the caller guarantees `at < words.len()`.
    unsafe { words.get_unchecked_mut(at) }
}

/// Word `at` of `words`, unchecked.
///
/// # Safety
/// `at < words.len()`.
#[inline(always)]
unsafe fn word(words: &[u64], at: usize) -> u64 {
    debug_assert!(at < words.len());
    // SAFETY: the caller guarantees `at < words.len()`.
    unsafe { *words.get_unchecked(at) }
}

/// [`test`] without bounds checks.
///
/// # Safety
/// `i < map.bits` and `map.end() <= words.len()`.
#[inline(always)]
pub(crate) unsafe fn test_unchecked(words: &[u64], map: &Map, i: u64) -> bool {
    debug_assert!(i < map.bits && map.end() <= words.len());
    // SAFETY: word `i / 64` of level 0 exists (`i < bits`) and lies inside `words`.
    unsafe { word(words, map.base + (i >> 6) as usize) & (1 << (i & 63)) != 0 }
}

/// Set item `i` (which must be clear), updating the summary levels. Returns whether the bitmap
/// was empty before.
///
/// # Safety
/// `i < map.bits` and `map.end() <= words.len()`.
#[inline(always)]
pub(crate) unsafe fn set_unchecked(words: &mut [u64], map: &Map, i: u64) -> bool {
    debug_assert!(i < map.bits && map.end() <= words.len());
    let mut idx = i;
    let mut at = map.base;
    let mut m = map.bits - 1;
    loop {
        let nw = (m >> 6) as usize + 1;
        // SAFETY: `idx` is an item of this level (the word index of the level below), so
        // `idx / 64 < nw` and the word lies inside the map, which lies inside `words`.
        let w = unsafe { word_mut(words, at + (idx >> 6) as usize) };
        let was = *w;
        *w = was | (1 << (idx & 63));
        if was != 0 {
            return false;
        }
        if nw == 1 {
            return true;
        }
        at += nw;
        idx >>= 6;
        m >>= 6;
    }
}

/// Clear item `i` (which must be set), updating the summary levels. Returns whether the bitmap
/// is empty now.
///
/// # Safety
/// `i < map.bits` and `map.end() <= words.len()`.
#[inline(always)]
pub(crate) unsafe fn clear_unchecked(words: &mut [u64], map: &Map, i: u64) -> bool {
    debug_assert!(i < map.bits && map.end() <= words.len());
    let mut idx = i;
    let mut at = map.base;
    let mut m = map.bits - 1;
    loop {
        let nw = (m >> 6) as usize + 1;
        // SAFETY: as in `set_unchecked`.
        let w = unsafe { word_mut(words, at + (idx >> 6) as usize) };
        *w &= !(1 << (idx & 63));
        if *w != 0 {
            return false;
        }
        if nw == 1 {
            return true;
        }
        at += nw;
        idx >>= 6;
        m >>= 6;
    }
}

/// The lowest set item, for a bitmap known to have one.
///
/// # Safety
/// `map.end() <= words.len()` and some item is set (so every summary bit on the way down
/// points at a non-empty word that exists).
#[inline(always)]
pub(crate) unsafe fn first_unchecked(words: &[u64], map: &Map) -> u64 {
    debug_assert!(map.end() <= words.len() && first(words, map).is_some());
    let (bases, levels) = map.levels();
    let mut level = levels - 1;
    // SAFETY: the top level is one word inside `words`.
    let mut idx = unsafe { word(words, bases[level]) }.trailing_zeros() as u64;
    while level > 0 {
        level -= 1;
        // SAFETY: `idx` is a set bit of the level above, so word `idx` of this level exists
        // (summary bits past a level's end are zero) and lies inside `words`.
        let w = unsafe { word(words, bases[level] + idx as usize) };
        idx = (idx << 6) | w.trailing_zeros() as u64;
    }
    idx
}

/// The lowest set item, or `None`.
pub(crate) fn first(words: &[u64], map: &Map) -> Option<u64> {
    next(words, map, 0)
}

/// The lowest set item at or after `i`, or `None`. `O(levels)`: it climbs the summary levels
/// only until a word has a set bit at or after the position, then descends reading one word per
/// level, so empty stretches of level 0 are never scanned.
pub(crate) fn next(words: &[u64], map: &Map, i: u64) -> Option<u64> {
    if i >= map.bits {
        return None;
    }
    let (bases, levels) = map.levels();
    let mut idx = i;
    let mut level = 0;
    loop {
        let w = words[bases[level] + (idx >> 6) as usize] & (!0u64 << (idx & 63));
        if w != 0 {
            idx = (idx & !63) | w.trailing_zeros() as u64;
            break;
        }
        // Nothing left in this word: look for the next non-empty word one level up.
        level += 1;
        if level == levels {
            return None;
        }
        idx = (idx >> 6) + 1;
        if idx >= level_words(map.bits, level as u32 - 1) as u64 {
            return None;
        }
    }
    while level > 0 {
        level -= 1;
        let w = words[bases[level] + idx as usize];
        debug_assert!(w != 0, "summary bit set over an empty word");
        idx = (idx << 6) | w.trailing_zeros() as u64;
    }
    Some(idx)
}

/// Number of set items (level 0 only).
pub(crate) fn count(words: &[u64], map: &Map) -> u64 {
    let n = map.bits.div_ceil(64) as usize;
    words[map.base..map.base + n]
        .iter()
        .map(|w| w.count_ones() as u64)
        .sum()
}

/// Check that every summary bit equals "the word below is non-zero" and that no bit beyond the
/// end of a level is set. Returns a description of the first inconsistency.
pub(crate) fn check(words: &[u64], map: &Map) -> Result<(), &'static str> {
    let (bases, levels) = map.levels();
    let mut n = map.bits;
    for level in 0..levels {
        let nwords = n.div_ceil(64);
        let base = bases[level];
        let tail = n % 64;
        if tail != 0 && words[base + nwords as usize - 1] >> tail != 0 {
            return Err("bit set beyond the end of a bitmap level");
        }
        if level + 1 < levels {
            let up = bases[level + 1];
            for w in 0..nwords {
                let nonzero = words[base + w as usize] != 0;
                let summary = words[up + (w >> 6) as usize] & (1 << (w & 63)) != 0;
                if nonzero != summary {
                    return Err("summary bit disagrees with the word below it");
                }
            }
        }
        n = nwords;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &mut [u64], map: &Map, i: u64) -> bool {
        assert!(i < map.bits && map.end() <= words.len());
        // SAFETY: checked just above.
        unsafe { set_unchecked(words, map, i) }
    }

    fn clear(words: &mut [u64], map: &Map, i: u64) -> bool {
        assert!(i < map.bits && map.end() <= words.len());
        // SAFETY: checked just above.
        unsafe { clear_unchecked(words, map, i) }
    }

    #[test]
    fn words_for_matches_levels() {
        assert_eq!(words_for(0), 0);
        assert_eq!(words_for(1), 1);
        assert_eq!(words_for(64), 1);
        assert_eq!(words_for(65), 3);
        assert_eq!(words_for(4096), 64 + 1);
        assert_eq!(words_for(4097), 65 + 2 + 1);
        for bits in [
            1u64,
            63,
            64,
            65,
            4095,
            4096,
            4097,
            262_144,
            262_145,
            1 << 30,
        ] {
            let map = Map { base: 3, bits };
            let (bases, levels) = map.levels();
            assert_eq!(bases[0], 3);
            let top = bases[levels - 1];
            assert_eq!(top + 1, map.end(), "bits={bits}");
        }
    }

    #[test]
    fn set_clear_first_next_against_naive() {
        // Miri runs a smaller version (it interprets every step, and the naive model is linear).
        let (sizes, steps): (&[u64], u32) = if cfg!(miri) {
            (&[1, 65, 4097], 200)
        } else {
            (&[1, 5, 64, 65, 200, 4097, 70_000], 4000)
        };
        for &bits in sizes {
            let map = Map { base: 2, bits };
            let mut words = vec![0u64; map.end() + 2];
            let mut naive = vec![false; bits as usize];
            let mut x = 12345u64 ^ bits;
            for _ in 0..steps {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = x % bits;
                let was_empty = !naive.iter().any(|&b| b);
                if naive[i as usize] {
                    naive[i as usize] = false;
                    let empty = clear(&mut words, &map, i);
                    assert_eq!(empty, !naive.iter().any(|&b| b));
                } else {
                    naive[i as usize] = true;
                    assert_eq!(set(&mut words, &map, i), was_empty);
                }
                let from = (x >> 20) % bits;
                let want = naive
                    .iter()
                    .enumerate()
                    .skip(from as usize)
                    .find(|(_, &b)| b)
                    .map(|(k, _)| k as u64);
                assert_eq!(next(&words, &map, from), want);
                let want_first = naive.iter().position(|&b| b).map(|k| k as u64);
                assert_eq!(first(&words, &map), want_first);
                if let Some(f) = want_first {
                    // SAFETY: the map fits and an item is set.
                    assert_eq!(unsafe { first_unchecked(&words, &map) }, f);
                }
                assert_eq!(
                    count(&words, &map),
                    naive.iter().filter(|&&b| b).count() as u64
                );
                assert!(test(&words, &map, i) == naive[i as usize]);
            }
            check(&words, &map).unwrap();
            assert_eq!(words[0], 0, "words before the map untouched");
            assert_eq!(words[map.end()], 0, "words after the map untouched");
        }
    }

    #[test]
    fn check_finds_bad_summaries_and_stray_bits() {
        let map = Map { base: 0, bits: 100 };
        let mut words = vec![0u64; map.end()];
        set(&mut words, &map, 70);
        check(&words, &map).unwrap();
        words[0] = 1; // level-0 word 0 non-zero, summary bit not set
        assert!(check(&words, &map).is_err());
        words[0] = 0;
        words[1] |= 1 << 40; // item 104: past the end
        assert!(check(&words, &map).is_err());
    }
}
