//! Hierarchical bitmaps over caller-supplied `u64` words.
//!
//! Level 0 holds one bit per item. Level `l + 1` holds one bit per word of level `l`, set when
//! that word is non-zero. The top level is a single word. Finding the lowest set bit therefore
//! reads one word per level — `O(log64 n)` — instead of scanning level 0.
//!
//! The bitmap does not own its words: a [`Layout`] says where each level starts inside a slice
//! that the heap's metadata storage provides. Plain `u64` words were chosen over `bitvec`: they
//! are what the summary levels need (`trailing_zeros` on whole words), they pass Miri, and
//! `bitvec` does not (see `DECISIONS.md`).

/// Most levels a bitmap can have: 64^11 > 2^64 items.
pub const MAX_LEVELS: usize = 11;

/// Where the levels of one hierarchical bitmap live inside a word slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Number of items (level-0 bits).
    pub bits: u64,
    /// Number of levels in use (at least 1 when `bits > 0`).
    pub levels: u8,
    /// Start word of each level inside the storage slice.
    pub base: [usize; MAX_LEVELS],
}

impl Layout {
    /// An empty bitmap (no items, no words).
    pub const EMPTY: Layout = Layout {
        bits: 0,
        levels: 0,
        base: [0; MAX_LEVELS],
    };

    /// Words needed for `bits` items across all levels (`const`, so storage can be sized
    /// statically).
    pub const fn words_for(bits: u64) -> usize {
        if bits == 0 {
            return 0;
        }
        let mut total = 0usize;
        let mut n = bits;
        loop {
            let words = n.div_ceil(64);
            total += words as usize;
            if words == 1 {
                return total;
            }
            n = words;
        }
    }

    /// Lay out a bitmap of `bits` items starting at word `start`; returns the layout and the
    /// first word after it.
    pub const fn new(bits: u64, start: usize) -> (Layout, usize) {
        let mut layout = Layout::EMPTY;
        layout.bits = bits;
        if bits == 0 {
            return (layout, start);
        }
        let mut at = start;
        let mut n = bits;
        let mut level = 0;
        loop {
            let words = n.div_ceil(64);
            layout.base[level] = at;
            at += words as usize;
            level += 1;
            if words == 1 {
                break;
            }
            n = words;
        }
        layout.levels = level as u8;
        (layout, at)
    }
}

/// Is item `i` set? `i` must be `< layout.bits`.
#[inline]
pub fn test(words: &[u64], layout: &Layout, i: u64) -> bool {
    debug_assert!(i < layout.bits);
    words[layout.base[0] + (i >> 6) as usize] & (1 << (i & 63)) != 0
}

/// Set item `i` (which must be clear), updating the summary levels.
#[inline]
pub fn set(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits);
    let mut idx = i;
    for level in 0..layout.levels as usize {
        let w = &mut words[layout.base[level] + (idx >> 6) as usize];
        let was = *w;
        *w = was | (1 << (idx & 63));
        if was != 0 {
            break;
        }
        idx >>= 6;
    }
}

/// Clear item `i` (which must be set), updating the summary levels.
#[inline]
pub fn clear(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits);
    let mut idx = i;
    for level in 0..layout.levels as usize {
        let w = &mut words[layout.base[level] + (idx >> 6) as usize];
        *w &= !(1 << (idx & 63));
        if *w != 0 {
            break;
        }
        idx >>= 6;
    }
}

/// The lowest set item, or `None`. Reads one word per level.
#[inline]
pub fn first(words: &[u64], layout: &Layout) -> Option<u64> {
    if layout.levels == 0 {
        return None;
    }
    let top = layout.levels as usize - 1;
    let w = words[layout.base[top]];
    if w == 0 {
        return None;
    }
    let mut idx = w.trailing_zeros() as u64;
    let mut level = top;
    while level > 0 {
        level -= 1;
        let w = words[layout.base[level] + idx as usize];
        debug_assert!(w != 0, "summary bit set over an empty word");
        idx = (idx << 6) | w.trailing_zeros() as u64;
    }
    Some(idx)
}

// --- unchecked forms for the heap's hot path ------------------------------------------------
//
// The heap builds its layouts with `Layout::new` (levels consecutive, the top level one word)
// over its own metadata slice and checks at construction that the last word of every layout
// lies inside it (`fits`); with that invariant, and an item index below
// `layout.bits`, every word these functions touch is in bounds, so they skip the bounds checks.
// Each one re-checks the invariant with `debug_assert!`s.

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

/// Start word of `level`, unchecked.
///
/// # Safety
/// `level < layout.levels` (which is at most [`MAX_LEVELS`]).
#[inline(always)]
unsafe fn base(layout: &Layout, level: usize) -> usize {
    debug_assert!(level < layout.levels as usize && level < MAX_LEVELS);
    // SAFETY: `level < layout.levels <= MAX_LEVELS`, the length of `base`.
    unsafe { *layout.base.get_unchecked(level) }
}

/// Does every word of `layout` lie inside a slice of `len` words?
#[inline]
pub const fn fits(layout: &Layout, len: usize) -> bool {
    layout.levels == 0 || layout.base[layout.levels as usize - 1] < len
}

/// [`test`] without bounds checks.
///
/// # Safety
/// `layout` made by [`Layout::new`], `i < layout.bits` and [`fits`]`(layout, words.len())`.
#[inline(always)]
pub(crate) unsafe fn test_unchecked(words: &[u64], layout: &Layout, i: u64) -> bool {
    debug_assert!(i < layout.bits && fits(layout, words.len()));
    // SAFETY: `i < bits` means `levels >= 1` and word `i / 64` of level 0 exists; it lies
    // inside `words` because the layout fits.
    unsafe { word(words, base(layout, 0) + (i >> 6) as usize) & (1 << (i & 63)) != 0 }
}

/// [`set`] without bounds checks.
///
/// # Safety
/// `layout` made by [`Layout::new`], `i < layout.bits` and [`fits`]`(layout, words.len())`.
#[inline(always)]
pub(crate) unsafe fn set_unchecked(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits && fits(layout, words.len()));
    let mut idx = i;
    for level in 0..layout.levels as usize {
        // SAFETY: `level < levels`; `idx` is an item of this level (the word index of the
        // level below), so its word exists and lies inside `words` because the layout fits.
        let w = unsafe { word_mut(words, base(layout, level) + (idx >> 6) as usize) };
        let was = *w;
        *w = was | (1 << (idx & 63));
        if was != 0 {
            break;
        }
        idx >>= 6;
    }
}

/// Set item `i` of a bitmap in which no item is set: every word on its path up the levels
/// becomes exactly its bit (no reads).
///
/// # Safety
/// `layout` made by [`Layout::new`], `i < layout.bits`, [`fits`]`(layout, words.len())`,
/// and no item is set.
#[inline(always)]
pub(crate) unsafe fn set_only(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits && fits(layout, words.len()));
    debug_assert!(first(words, layout).is_none());
    let mut idx = i;
    for level in 0..layout.levels as usize {
        // SAFETY: as in `set_unchecked`.
        unsafe { *word_mut(words, base(layout, level) + (idx >> 6) as usize) = 1 << (idx & 63) };
        idx >>= 6;
    }
}

/// [`clear`] without bounds checks.
///
/// # Safety
/// `layout` made by [`Layout::new`], `i < layout.bits` and [`fits`]`(layout, words.len())`.
#[inline(always)]
pub(crate) unsafe fn clear_unchecked(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits && fits(layout, words.len()));
    let mut idx = i;
    for level in 0..layout.levels as usize {
        // SAFETY: as in `set_unchecked`.
        let w = unsafe { word_mut(words, base(layout, level) + (idx >> 6) as usize) };
        *w &= !(1 << (idx & 63));
        if *w != 0 {
            break;
        }
        idx >>= 6;
    }
}

/// Clear item `i`, the only item set: every word on its path up the levels becomes zero (no
/// reads).
///
/// # Safety
/// `layout` made by [`Layout::new`], `i < layout.bits`, [`fits`]`(layout, words.len())`,
/// and `i` is the only item set.
#[inline(always)]
pub(crate) unsafe fn clear_only(words: &mut [u64], layout: &Layout, i: u64) {
    debug_assert!(i < layout.bits && fits(layout, words.len()));
    debug_assert!(first(words, layout) == Some(i) && next(words, layout, i + 1).is_none());
    let mut idx = i;
    for level in 0..layout.levels as usize {
        // SAFETY: as in `set_unchecked`.
        unsafe { *word_mut(words, base(layout, level) + (idx >> 6) as usize) = 0 };
        idx >>= 6;
    }
}

/// [`first`] without bounds checks, for a bitmap known to have an item set.
///
/// # Safety
/// `layout` made by [`Layout::new`], [`fits`]`(layout, words.len())`, and some item is set (so `levels >= 1` and every summary
/// bit on the way down points at a non-empty word that exists).
#[inline(always)]
pub(crate) unsafe fn first_unchecked(words: &[u64], layout: &Layout) -> u64 {
    debug_assert!(fits(layout, words.len()) && first(words, layout).is_some());
    let mut level = layout.levels as usize - 1;
    // SAFETY: `level < levels`; the top level is one word, inside `words` as the layout fits.
    let mut idx = unsafe { word(words, base(layout, level)) }.trailing_zeros() as u64;
    while level > 0 {
        level -= 1;
        // SAFETY: `idx` is a set bit of the level above, so word `idx` of this level exists
        // (summary bits past a level's end are zero) and lies inside `words`.
        let w = unsafe { word(words, base(layout, level) + idx as usize) };
        idx = (idx << 6) | w.trailing_zeros() as u64;
    }
    idx
}

/// The lowest set item at or after `i`, or `None`. `O(levels)`: it climbs the summary levels
/// only until a word has a set bit at or after the position, then descends reading one word per
/// level, so empty stretches of level 0 are never scanned.
pub fn next(words: &[u64], layout: &Layout, i: u64) -> Option<u64> {
    if i >= layout.bits {
        return None;
    }
    let levels = layout.levels as usize;
    let mut idx = i;
    let mut level = 0;
    loop {
        let w = words[layout.base[level] + (idx >> 6) as usize] & (!0u64 << (idx & 63));
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
        // Level `level` has one bit per word of the level below, which ends where this
        // level starts.
        if idx >= (layout.base[level] - layout.base[level - 1]) as u64 {
            return None;
        }
    }
    while level > 0 {
        level -= 1;
        let w = words[layout.base[level] + idx as usize];
        debug_assert!(w != 0, "summary bit set over an empty word");
        idx = (idx << 6) | w.trailing_zeros() as u64;
    }
    Some(idx)
}

/// Zero every word of the bitmap.
pub fn reset(words: &mut [u64], layout: &Layout) {
    if layout.levels == 0 {
        return;
    }
    let start = layout.base[0];
    let end = layout.base[layout.levels as usize - 1] + 1;
    for w in &mut words[start..end] {
        *w = 0;
    }
}

/// Number of set items (level 0 only).
pub fn count(words: &[u64], layout: &Layout) -> u64 {
    if layout.levels == 0 {
        return 0;
    }
    let n = layout.bits.div_ceil(64) as usize;
    words[layout.base[0]..layout.base[0] + n]
        .iter()
        .map(|w| w.count_ones() as u64)
        .sum()
}

/// Check that every summary bit equals "the word below is non-zero" and that no bit beyond
/// `layout.bits` is set. Returns a description of the first inconsistency.
pub fn check(words: &[u64], layout: &Layout) -> Result<(), &'static str> {
    if layout.levels == 0 {
        return Ok(());
    }
    let mut n = layout.bits;
    for level in 0..layout.levels as usize {
        let nwords = n.div_ceil(64);
        let base = layout.base[level];
        // Bits past the end of this level must be zero.
        let tail = n % 64;
        if tail != 0 && words[base + nwords as usize - 1] >> tail != 0 {
            return Err("bit set beyond the end of a bitmap level");
        }
        if level + 1 < layout.levels as usize {
            let up = layout.base[level + 1];
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

    #[test]
    fn words_for_matches_layout() {
        for bits in [0u64, 1, 63, 64, 65, 4095, 4096, 4097, 262_144, 1 << 30] {
            let (l, end) = Layout::new(bits, 3);
            assert_eq!(end - 3, Layout::words_for(bits), "bits={bits}");
            if bits > 0 {
                assert_eq!(l.base[0], 3);
            }
        }
        assert_eq!(Layout::words_for(64), 1);
        assert_eq!(Layout::words_for(65), 3);
        assert_eq!(
            Layout::words_for(1 << 30),
            (1 << 24) + (1 << 18) + (1 << 12) + (1 << 6) + 1
        );
    }

    #[test]
    fn set_clear_first_against_naive() {
        let bits = 64 * 64 * 3 + 17;
        let (l, end) = Layout::new(bits, 0);
        let mut w = [0u64; 1024];
        assert!(end <= w.len());
        let mut naive = [false; 64 * 64 * 3 + 17];
        let mut x: u64 = 0x1234_5678;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = x % bits;
            if naive[i as usize] {
                clear(&mut w, &l, i);
            } else {
                set(&mut w, &l, i);
            }
            naive[i as usize] = !naive[i as usize];
            assert_eq!(test(&w, &l, i), naive[i as usize]);
            let want = naive.iter().position(|&b| b).map(|p| p as u64);
            assert_eq!(first(&w, &l), want);
            let from = (x >> 32) % (bits + 2);
            let want = (from..bits).find(|&j| naive[j as usize]);
            assert_eq!(next(&w, &l, from), want, "next from {from}");
            check(&w, &l).unwrap();
        }
        assert_eq!(count(&w, &l), naive.iter().filter(|&&b| b).count() as u64);
        reset(&mut w, &l);
        assert_eq!(first(&w, &l), None);
        assert_eq!(count(&w, &l), 0);
    }

    #[test]
    fn next_crosses_empty_words_and_levels() {
        // 64^3 + 5 items: four levels, a partial last word on every level.
        let bits = 64 * 64 * 64 + 5;
        let (l, end) = Layout::new(bits, 2);
        assert_eq!(l.levels, 4);
        let mut w = [0u64; 4300];
        assert!(end <= w.len());
        assert_eq!(next(&w, &l, 0), None);
        for i in [1, 63, 64, 4095, 4096, 262_143, 262_144, bits - 1] {
            set(&mut w, &l, i);
            assert_eq!(next(&w, &l, 0), Some(i));
            assert_eq!(next(&w, &l, i), Some(i));
            assert_eq!(next(&w, &l, i + 1), None);
            assert_eq!(next(&w, &l, bits + 7), None);
            set(&mut w, &l, 0);
            assert_eq!(next(&w, &l, 1), Some(i));
            clear(&mut w, &l, i);
            assert_eq!(next(&w, &l, 1), None);
            assert_eq!(next(&w, &l, 0), Some(0));
            clear(&mut w, &l, 0);
        }
    }

    #[test]
    fn check_detects_stale_summary() {
        let (l, _) = Layout::new(200, 0);
        let mut w = [0u64; 8];
        set(&mut w, &l, 130);
        check(&w, &l).unwrap();
        w[l.base[0] + 2] = 0; // clear level 0 behind the summary's back
        assert!(check(&w, &l).is_err());
        let mut w = [0u64; 8];
        w[l.base[0] + 3] = 1 << 20; // beyond bit 200
        assert!(check(&w, &l).is_err());
    }
}
