//! Heap configuration and metadata sizing.

use crate::bitmap;
use crate::class::{classes_up_to, SUB_BITS};
use crate::order::{floor_order, MAX_ORDER};
use crate::size_table::{capacity_of, slots_for};

/// Smallest allowed minimum order (8-byte blocks).
pub const MIN_MIN_ORDER: u32 = 3;
/// Largest allowed minimum order (blocks of 1 GiB).
pub const MAX_MIN_ORDER: u32 = 30;
/// Largest allowed explicit size-table capacity: larger tables could not be sized (in words or
/// bytes) without overflowing `usize`.
pub const MAX_CAPACITY: usize = usize::MAX >> 6;

/// Where allocations go. Both are deterministic: the same calls on heaps of the same length,
/// `Config` and origin (the address of offset 0) give the same offsets, which is what a
/// symmetric heap needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The default, built for speed and density.
    ///
    /// * Sizes are rounded up to a *size class* (16 per power of two: at most 1/16 more than
    ///   asked, about 2 % on average), so freed blocks of one class are interchangeable.
    /// * Freed blocks wait on bounded per-class LIFO lists, kept out of band in the size table
    ///   (at most [`Config::list_depth`] per class and 1/16 of the region in all; only the
    ///   smallest classes, one per 4 KiB of region, have a list); an allocation
    ///   of that class takes the last one freed, without touching the buddy bitmaps. The lists
    ///   drain into the buddy heap, in class order, when an allocation cannot be served
    ///   otherwise, when the size table is full, and on [`BuddyHeap::flush`](crate::BuddyHeap::flush).
    /// * With exact fit, free space not yet cut into blocks is kept as one *frontier* run: a
    ///   fresh heap (and a heap whose last block was freed) is one frontier over the whole
    ///   region. An allocation that misses its list and finds no free buddy block of a
    ///   sufficient order is carved from the frontier, one after the other; a block freed next
    ///   to the frontier (on either side) joins it, with the free buddy blocks it then touches.
    ///   When a request fits neither, the frontier goes back to the bitmaps for the last-resort
    ///   search (and is taken out again if that fails too).
    Packed,
    /// Strict lowest-address first fit: every allocation takes the lowest-address free buddy
    /// block of the smallest sufficient order, every free coalesces at once, nothing is
    /// cached. Sizes are rounded to the minimum block only (exact fit). Slower; the placement a
    /// reader can predict by hand.
    LowestAddress,
}

/// How a heap is built. `const`-constructible so firmware can size static storage with
/// [`Config::metadata_words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Order of the minimum block: every block is a multiple of `2^min_order` bytes and its
    /// offset a multiple of it. Default 4 (16 B, enough for any C type on x86-64 and AArch64).
    pub min_order: u32,
    /// Blocks the size table holds at once (live blocks and blocks waiting on the free lists).
    /// `0` (the default) derives it from the region: one block per 2 KiB for large regions,
    /// more per byte for small ones (see [`Config::capacity_for`]). Each accepted block costs
    /// about 21 bytes of metadata (two words per slot, load at most 3/4). A program that keeps
    /// many small objects live (a `std` program's global allocator, say) sets it higher.
    pub capacity: usize,
    /// Exact fit (default `true`): a block keeps only its (class-rounded) size, and the unused
    /// tail of its buddy block returns to the heap. `false` gives classic power-of-two buddy
    /// blocks.
    pub exact_fit: bool,
    /// Where allocations go; see [`Placement`]. Default [`Placement::Packed`].
    pub placement: Placement,
    /// Most freed blocks that wait on one class's list ([`Placement::Packed`] only); `0` turns
    /// the lists off. Default 32. Only the smallest classes have a list, one class per 4 KiB
    /// of region (each list costs two metadata words): a 4 KiB heap lists blocks of one
    /// minimum block only, a 64 KiB heap (16-byte minimum blocks) blocks up to 256 bytes, a
    /// heap of about 1 MiB or more every class.
    pub list_depth: u16,
}

/// The sizes of everything a heap over a given region keeps in its metadata words, in order:
/// per-order free counts, free bitmaps, size table, free-list heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub top_order: u32,
    pub bitmap_words: usize,
    pub table_slots: usize,
    pub capacity: usize,
    pub list_classes: usize,
    pub words: usize,
}

impl Config {
    /// 16-byte minimum block, capacity derived from the region, exact fit, packed placement,
    /// lists of up to 32 blocks per class.
    pub const DEFAULT: Config = Config {
        min_order: 4,
        capacity: 0,
        exact_fit: true,
        placement: Placement::Packed,
        list_depth: 32,
    };

    /// The strict lowest-address mode: [`Placement::LowestAddress`], no lists, exact fit to the
    /// minimum block.
    pub const LOWEST_ADDRESS: Config = Config {
        placement: Placement::LowestAddress,
        list_depth: 0,
        ..Config::DEFAULT
    };

    /// This configuration with another minimum order.
    pub const fn with_min_order(mut self, min_order: u32) -> Config {
        self.min_order = min_order;
        self
    }

    /// This configuration with another size-table capacity (`0`: derived from the region).
    pub const fn with_capacity(mut self, capacity: usize) -> Config {
        self.capacity = capacity;
        self
    }

    /// This configuration with exact fit on or off.
    pub const fn with_exact_fit(mut self, exact_fit: bool) -> Config {
        self.exact_fit = exact_fit;
        self
    }

    /// This configuration with another placement.
    pub const fn with_placement(mut self, placement: Placement) -> Config {
        self.placement = placement;
        self
    }

    /// This configuration with another list depth (`0`: no lists).
    pub const fn with_list_depth(mut self, list_depth: u16) -> Config {
        self.list_depth = list_depth;
        self
    }

    /// Is the configuration usable? (Minimum order in
    /// [`MIN_MIN_ORDER`]..=[`MAX_MIN_ORDER`], capacity at most [`MAX_CAPACITY`].)
    pub const fn is_valid(&self) -> bool {
        self.min_order >= MIN_MIN_ORDER
            && self.min_order <= MAX_MIN_ORDER
            && self.capacity <= MAX_CAPACITY
    }

    /// Are the free lists in use?
    pub(crate) const fn lists(&self) -> bool {
        matches!(self.placement, Placement::Packed) && self.list_depth > 0
    }

    /// The largest order a region of `len` bytes holds (`floor(log2(len))`), or `None` if the
    /// region is shorter than one minimum block, has more minimum blocks than `usize` can
    /// count (only possible on 32-bit targets: its bitmaps could not be addressed), or the
    /// configuration is invalid.
    pub const fn top_order(&self, len: u64) -> Option<u32> {
        if !self.is_valid()
            || len < (1u64 << self.min_order)
            || (len >> self.min_order) > usize::MAX as u64
        {
            return None;
        }
        match floor_order(len) {
            Some(t) if t <= MAX_ORDER => Some(t),
            _ => None,
        }
    }

    /// The size-table capacity a heap over `len` bytes gets: [`Config::capacity`] when set,
    /// otherwise derived: 3/4 of the larger of `len / 1536` and `sqrt(len / min block)` slots,
    /// but never more slots than minimum blocks need. So 1 KiB holds 6 blocks, 4 KiB 12,
    /// 64 KiB 48, 1 MiB 511 and 64 MiB 32,767. `0` when the region or configuration is
    /// unusable.
    pub const fn capacity_for(&self, len: u64) -> usize {
        match self.geometry(len) {
            Some(g) => g.capacity,
            None => 0,
        }
    }

    /// The configuration an arena of `len` bytes claimed with this configuration is carved
    /// with (`LockedHeap::claim_with`, `CsHeap::claim_with`, `UnsyncHeap::claim_with`): this
    /// one when it sets a capacity; otherwise this one with a capacity of one block per
    /// [`CLAIM_BYTES_PER_BLOCK`](crate::CLAIM_BYTES_PER_BLOCK) bytes of arena, never less
    /// than [`Config::capacity_for`] derives and never more than the arena's minimum blocks
    /// (at least 1). A global allocator serves many small objects, so it gets a larger table
    /// than a derived one.
    pub const fn for_claim(self, len: usize) -> Config {
        if self.capacity != 0 {
            return self;
        }
        let shift = if self.min_order < usize::BITS - 1 {
            self.min_order
        } else {
            usize::BITS - 1
        };
        let units = len >> shift;
        let mut capacity = len / crate::slot::CLAIM_BYTES_PER_BLOCK;
        if capacity > units {
            capacity = units;
        }
        let derived = self.capacity_for(len as u64);
        if capacity < derived {
            capacity = derived;
        }
        if capacity == 0 {
            capacity = 1;
        }
        self.with_capacity(capacity)
    }

    /// Everything the metadata of a heap over `len` bytes holds; `None` when the region or
    /// configuration is unusable.
    pub(crate) const fn geometry(&self, len: u64) -> Option<Geometry> {
        let top_order = match self.top_order(len) {
            Some(t) => t,
            None => return None,
        };
        let units = len >> self.min_order;
        let mut bitmap_words = 0usize;
        let mut order = self.min_order;
        while order <= top_order {
            bitmap_words += bitmap::words_for(len >> order);
            order += 1;
        }
        let table_slots = if self.capacity > 0 {
            match slots_for(self.capacity) {
                Some(s) => s,
                None => return None,
            }
        } else {
            // About 1 % of the region (a slot per 1.5 KiB), and more for small regions.
            let by_len = len / 1536;
            let by_units = isqrt(units);
            let want = if by_len > by_units { by_len } else { by_units };
            let mut slots = if want < 2 { 2 } else { want };
            // More slots than minimum blocks (plus slack) can never be used.
            let most = match slots_for(units as usize) {
                Some(s) => s as u64,
                None => u64::MAX,
            };
            if slots > most {
                slots = most;
            }
            slots as usize
        };
        let capacity = if self.capacity > 0 {
            self.capacity
        } else {
            capacity_of(table_slots)
        };
        let list_classes = if self.lists() {
            let all = classes_up_to(units, SUB_BITS);
            let budget = len >> 12;
            // A list head keeps its class size in 48 bits and a listed entry its class in 16:
            // no lists for larger classes (blocks of 2^48 minimum blocks, or class 65,535).
            let by_units = classes_up_to((1u64 << 48) - 1, SUB_BITS);
            let fits = if by_units < 65_535 { by_units } else { 65_535 };
            let n = if all < budget { all } else { budget };
            (if n < fits { n } else { fits }) as usize
        } else {
            0
        };
        let table_words = match table_slots.checked_mul(2) {
            Some(w) => w,
            None => return None,
        };
        let counts = (top_order - self.min_order + 1) as usize;
        let words = match (counts + bitmap_words).checked_add(table_words) {
            Some(w) => match w.checked_add(2 * list_classes) {
                Some(w) => w,
                None => return None,
            },
            None => return None,
        };
        Some(Geometry {
            top_order,
            bitmap_words,
            table_slots,
            capacity,
            list_classes,
            words,
        })
    }

    /// Words of the free bitmaps (all orders, all summary levels) for a region of `len`
    /// bytes.
    pub const fn bitmap_words(&self, len: u64) -> usize {
        match self.geometry(len) {
            Some(g) => g.bitmap_words,
            None => 0,
        }
    }

    /// Words of metadata storage a heap over a region of `len` bytes needs: one free count per
    /// order, the free bitmaps, the size table and the free-list heads. `0` when the region or configuration
    /// is unusable.
    ///
    /// ```
    /// use memheap_core::Config;
    /// const LEN: u64 = 1 << 20;
    /// static mut META: [u64; Config::DEFAULT.metadata_words(LEN)] =
    ///     [0; Config::DEFAULT.metadata_words(LEN)];
    /// // From 1 MiB up, metadata stays within 1/32 of the region at the default 16 B block.
    /// assert!(Config::DEFAULT.metadata_bytes(LEN) <= (LEN / 32) as usize);
    /// ```
    pub const fn metadata_words(&self, len: u64) -> usize {
        match self.geometry(len) {
            Some(g) => g.words,
            None => 0,
        }
    }

    /// [`Config::metadata_words`] in bytes.
    pub const fn metadata_bytes(&self, len: u64) -> usize {
        self.metadata_words(len) * 8
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// `floor(sqrt(n))`.
const fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    // Newton's method from an upper bound.
    let mut x = 1u64 << (64 - n.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + n / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_and_floor_pow2() {
        for n in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = isqrt(n);
            assert!(
                r * r <= n && (r + 1).checked_mul(r + 1).is_none_or(|s| s > n),
                "{n}"
            );
        }
    }

    #[test]
    fn derived_capacity_and_metadata_budget() {
        let c = Config::DEFAULT;
        assert_eq!(c.capacity_for(1 << 10), 6);
        assert_eq!(c.capacity_for(4 << 10), 12);
        assert_eq!(c.capacity_for(64 << 10), 48);
        assert_eq!(c.capacity_for(1 << 20), 511);
        assert_eq!(c.capacity_for(64 << 20), 32_767);
        assert_eq!(c.capacity_for((64 << 20) - 4096), 32_766);
        // Metadata <= 1/8 of a 4 KiB region, <= 1/32 from 1 MiB up.
        assert!(c.metadata_bytes(4 << 10) * 8 <= 4 << 10);
        for shift in 20..=36 {
            let len = 1u64 << shift;
            assert!(c.metadata_bytes(len) as u64 * 32 <= len, "2^{shift}");
            let odd = len + len / 3 + 48;
            assert!(c.metadata_bytes(odd) as u64 * 32 <= odd, "odd 2^{shift}");
        }
        assert_eq!(Config::DEFAULT.with_capacity(0).capacity_for(1 << 20), 511);
        assert_eq!(Config::DEFAULT.with_capacity(5).capacity_for(1 << 20), 5);
        assert_eq!(Config::DEFAULT.capacity_for(8), 0);
    }

    #[test]
    fn claimed_arenas_get_one_block_per_256_bytes_within_their_bounds() {
        let c = Config::DEFAULT;
        // One per 256 B.
        assert_eq!(c.for_claim(1 << 20).capacity, 4096);
        assert_eq!(c.for_claim(64 << 20).capacity, 262_144);
        // Never less than the derived capacity: 1 KiB derives 6, 1024 / 256 = 4.
        assert_eq!(c.for_claim(1 << 10).capacity, 6);
        assert_eq!(c.for_claim(4 << 10).capacity, 16);
        // Never more than the minimum blocks: 4 KiB blocks over 16 GiB are 4 Mi blocks.
        assert_eq!(c.with_min_order(12).for_claim(16 << 30).capacity, 4 << 20);
        // A set capacity is kept; an arena too small for a heap still asks for one block.
        assert_eq!(c.with_capacity(7).for_claim(1 << 20).capacity, 7);
        assert_eq!(c.for_claim(8).capacity, 1);
        // Nothing else changes.
        let claimed = Config::LOWEST_ADDRESS.for_claim(1 << 20);
        assert_eq!(claimed.with_capacity(0), Config::LOWEST_ADDRESS);
    }
}
