//! [`BuddyHeap`]: the buddy allocator over offsets of a region it never touches.

use crate::bitmap::{self, Map};
use crate::class::{class_of, class_units, class_units_small, SUB_BITS};
use crate::config::{Config, Geometry, Placement};
use crate::error::Error;
use crate::order::{align_to_order, floor_order, lowest_bit, size_to_order};
use crate::size_table::SizeTable;

/// Orders are `0..64`; per-order arrays are indexed by order directly.
const ORDERS: usize = 64;

/// What [`BuddyHeap::realloc`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Realloc {
    /// The block was resized where it is; `size` is its new usable size.
    InPlace {
        /// New usable size in bytes.
        size: u64,
    },
    /// A new block was allocated at `offset` (usable size `size`). The old block is **still
    /// live**: copy `copy` bytes from it, then free it. (The heap never touches the region,
    /// so the copy is the caller's: `memcpy`, DMA, a device copy.)
    Moved {
        /// Offset of the new block.
        offset: u64,
        /// Usable size of the new block.
        size: u64,
        /// Bytes to copy from the old block: `min(old size, new size)`.
        copy: u64,
    },
}

/// Heap statistics, as returned by [`BuddyHeap::stats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Bytes the heap manages (the region length rounded down to the minimum block).
    pub region_bytes: u64,
    /// Bytes in live blocks (usable sizes).
    pub bytes_in_use: u64,
    /// Bytes in free blocks and in the frontier run (not counting blocks on the free lists).
    pub bytes_free: u64,
    /// Bytes of freed blocks waiting on the per-class free lists ([`Placement::Packed`]).
    /// They serve allocations of their class at once and go back to the buddy heap whenever
    /// an allocation needs them; `bytes_free + bytes_listed` is what the heap can hand out.
    pub bytes_listed: u64,
    /// The largest free buddy block, counting the frontier run as the aligned blocks it
    /// would be cut into (and, in a packed heap with no live block, the whole region's, which
    /// the first allocation that needs it gets by draining the lists). A request of at most
    /// this size succeeds (given a free size-table slot) at any alignment up to this size when
    /// the origin (the address of offset 0) is aligned to this size, as it is for offsets
    /// (origin 0); with a less aligned origin, at the alignments the block's address has.
    /// Longer requests with small alignments may still succeed: the frontier run
    /// ([`Stats::frontier_bytes`]) takes any request it is long enough for, and the free lists
    /// drain and coalesce when needed.
    pub largest_free: u64,
    /// Live blocks.
    pub live_blocks: u64,
    /// Freed blocks waiting on the free lists.
    pub listed_blocks: u64,
    /// Blocks (live and listed) the size table accepts.
    pub capacity: u64,
    /// Free buddy blocks per order (`free_blocks[k]` counts free blocks of `2^k` bytes; the
    /// frontier run is not counted here).
    pub free_blocks: [u64; ORDERS],
    /// Bytes of the frontier run ([`Placement::Packed`] with exact fit).
    pub frontier_bytes: u64,
    /// Bytes of metadata storage in use (free counts, bitmaps, size table, list heads).
    pub metadata_bytes: u64,
    /// Of which the free bitmaps.
    pub bitmap_bytes: u64,
}

/// A buddy heap over the offsets `[0, len)` of a region it never reads or writes.
///
/// * Free space is kept as maximal buddy blocks, one hierarchical bitmap per order, plus (in
///   the default [`Placement::Packed`]) one *frontier* run not yet cut into blocks: a fresh
///   heap is one frontier. An allocation is served, in order, by the free list of its size
///   class, by the lowest-address free buddy block of the smallest sufficient order, by the
///   frontier, and, when nothing else can, after the lists drain and the frontier returns to
///   the bitmaps, by the lowest aligned run of adjacent free blocks. Every step is a function
///   of the heap's state and its origin, so the same calls on heaps of the same length,
///   [`Config`] and origin always yield the same offsets — what makes a heap symmetric across
///   processes that map it at one address.
/// * With exact fit (the default) a block keeps its size rounded up to its size class (or to
///   the minimum block in [`Placement::LowestAddress`]); the rest of the buddy block goes back
///   to the free bitmaps at once.
/// * Live blocks are remembered in a fixed-capacity size table, so free and realloc take only
///   the offset, and foreign, interior and double frees are errors that change nothing; a
///   freed block on a free list keeps its table slot, marked free, so freeing it again is
///   still [`Error::DoubleFree`].
/// * A region of any length is managed exactly: nothing past its end is ever handed out.
///
/// All metadata lives in the `words` slice given to [`BuddyHeap::new`]; see
/// [`Config::metadata_words`] for its size. All-zero words are a valid empty state, so
/// [`BuddyHeap::new_zeroed`] over freshly mapped memory touches only the words it uses.
///
/// Complexity: a free-list hit is `O(1)` (one size-table probe); the buddy path is
/// `O(orders × levels)` word operations (levels = `log64` of the blocks of an order),
/// independent of how many blocks are live; the size table is `O(1)` expected. Draining the
/// lists is `O(listed blocks)`, and the run fallback `O(free blocks × orders)`; both run only
/// when the heap would otherwise report [`Error::OutOfMemory`] or
/// [`Error::CapacityExhausted`]. That makes a *failing* allocation on a badly fragmented heap
/// the one slow operation (milliseconds for a 4 MiB request on a 64 MiB heap with about
/// 100,000 free blocks, against tens of nanoseconds for a normal one); a lock around the heap
/// is held all that time.
pub struct BuddyHeap<'m> {
    words: &'m mut [u64],
    /// Managed bytes (a multiple of the minimum block).
    len: u64,
    /// Address of offset 0: alignments are honoured for `origin + offset`.
    origin: u64,
    min_order: u32,
    top_order: u32,
    exact_fit: bool,
    packed: bool,
    /// Block sizes are class sizes (packed or classic): live values hold the class.
    classed: bool,
    list_depth: u64,
    /// Bit `k` set iff order `k` has a free block.
    nonempty: u64,
    /// First word of each order's bitmap.
    bases: [usize; ORDERS],
    /// First word of the per-order free counts (word `counts + order - min_order`).
    counts: usize,
    table: SizeTable,
    /// First word of the list heads (two words per class: head key, depth).
    lists: usize,
    list_classes: u64,
    /// The frontier run `[frontier, frontier_end)`; empty when equal.
    frontier: u64,
    frontier_end: u64,
    /// `2^min_order - 1`.
    min_mask: u64,
    /// `-origin`: an offset `o` is aligned to `a` iff `(o ^ origin_neg) & (a - 1) == 0`.
    origin_neg: u64,
    /// Bytes in free buddy blocks (the bitmaps). Bytes in use are what the bitmaps, the
    /// frontier and the lists do not hold, so the hot paths keep no count of them.
    free: u64,
    /// Bytes on the free lists, and their budget.
    listed: u64,
    budget: u64,
    metadata_words: usize,
    bitmap_words: usize,
}

/// Value word of a size-table slot whose block waits on a free list: bit 0 set, the list's
/// class in bits 1..17, and the next entry of the list above bit 17, as its slot index plus one
/// (0 at the list's end). A live block's value has bit 0 clear: its class shifted left by one
/// where sizes are classes ([`Placement::Packed`], classic mode), its size in bytes (a multiple
/// of the minimum block) otherwise.
///
/// The lists link slots, not keys, so taking a block off a list needs no hash probe; when the
/// size table's deletion moves a listed entry to another slot, [`BuddyHeap::relink`] mends
/// the link that pointed to it.
#[inline(always)]
const fn listed_value(next: u64, class: u64) -> u64 {
    (next << NEXT_SHIFT) | (class << 1) | 1
}

/// Where the next link starts in a listed value.
const NEXT_SHIFT: u32 = 17;
/// The class of a listed value (after `>> 1`).
const CLASS_MASK: u64 = (1 << 16) - 1;

/// The second word of a list head: the room left on the list (`list_depth` minus its depth)
/// above bit 48, the class size in units below.
const DEPTH_ONE: u64 = 1 << 48;
/// The class-size part of a list head's second word.
const UNITS_MASK: u64 = DEPTH_ONE - 1;

impl<'m> BuddyHeap<'m> {
    /// A heap over `[0, len)` with its metadata in `words` (at least
    /// [`Config::metadata_words`]`(len)` words; the rest is unused and untouched). Bytes past
    /// the last whole minimum block of `len` are not managed. The words in use are zeroed
    /// first.
    ///
    /// Errors: [`Error::BadConfig`], [`Error::BadRegion`] (shorter than one minimum block),
    /// [`Error::MetadataTooSmall`].
    pub fn new(len: u64, config: Config, words: &'m mut [u64]) -> Result<Self, Error> {
        Self::new_at(0, len, config, words)
    }

    /// [`BuddyHeap::new`] for a region whose offset 0 lies at address `origin` (a multiple of
    /// the minimum block): an alignment asked of [`BuddyHeap::alloc`] is then honoured for
    /// `origin + offset`, whatever `origin`'s own alignment. The pointer heap passes its base
    /// address here.
    pub fn new_at(
        origin: u64,
        len: u64,
        config: Config,
        words: &'m mut [u64],
    ) -> Result<Self, Error> {
        let g = Self::geometry(origin, len, config, words.len())?;
        words[..g.words].fill(0);
        // SAFETY: the words in use were just zeroed.
        Ok(unsafe { Self::build(origin, len, config, g, words) })
    }

    /// [`BuddyHeap::new_at`] over words that are already zero (for example freshly mapped
    /// anonymous memory): nothing is written but the few words the initial free space needs,
    /// so untouched pages stay untouched.
    ///
    /// # Safety
    /// The first [`Config::metadata_words`]`(len)` words must be zero. (Non-zero words would
    /// be read as free blocks and live entries that do not exist, and the bitmap walks index
    /// without bounds checks.)
    pub unsafe fn new_zeroed(
        origin: u64,
        len: u64,
        config: Config,
        words: &'m mut [u64],
    ) -> Result<Self, Error> {
        let g = Self::geometry(origin, len, config, words.len())?;
        debug_assert!(words[..g.words].iter().all(|&w| w == 0));
        // SAFETY: forwarded from this function's contract.
        Ok(unsafe { Self::build(origin, len, config, g, words) })
    }

    fn geometry(origin: u64, len: u64, config: Config, have: usize) -> Result<Geometry, Error> {
        if !config.is_valid() {
            return Err(Error::BadConfig);
        }
        let g = config.geometry(len).ok_or(Error::BadRegion)?;
        if origin & ((1u64 << config.min_order) - 1) != 0 {
            return Err(Error::BadRegion);
        }
        if have < g.words {
            return Err(Error::MetadataTooSmall);
        }
        Ok(g)
    }

    /// # Safety
    /// `words[..g.words]` is zero and `g` is `config.geometry(len)`.
    unsafe fn build(
        origin: u64,
        len: u64,
        config: Config,
        g: Geometry,
        words: &'m mut [u64],
    ) -> Self {
        let min_order = config.min_order;
        let orders = (g.top_order - min_order + 1) as usize;
        let mut bases = [0usize; ORDERS];
        let mut at = orders;
        for order in min_order..=g.top_order {
            bases[order as usize] = at;
            at += bitmap::words_for(len >> order);
        }
        debug_assert_eq!(at, orders + g.bitmap_words);
        debug_assert!(bases[g.top_order as usize] + bitmap::words_for(len >> g.top_order) <= at);
        let table = SizeTable::new(at, g.table_slots, g.capacity);
        let lists = at + table.words();
        debug_assert_eq!(lists + 2 * g.list_classes, g.words);
        let len = len & !((1u64 << min_order) - 1);
        let mut heap = BuddyHeap {
            words,
            len,
            origin,
            min_order,
            top_order: g.top_order,
            exact_fit: config.exact_fit,
            packed: matches!(config.placement, Placement::Packed),
            classed: !config.exact_fit || matches!(config.placement, Placement::Packed),
            list_depth: config.list_depth as u64,
            nonempty: 0,
            bases,
            counts: 0,
            table,
            lists,
            list_classes: g.list_classes as u64,
            frontier: 0,
            frontier_end: 0,
            min_mask: (1u64 << min_order) - 1,
            origin_neg: origin.wrapping_neg(),
            free: 0,
            listed: 0,
            budget: len >> 4,
            metadata_words: g.words,
            bitmap_words: g.bitmap_words,
        };
        heap.start();
        heap
    }

    /// The free space of an empty heap: the whole region, as the frontier (packed exact fit)
    /// or as maximal buddy blocks.
    fn start(&mut self) {
        for class in 0..self.list_classes {
            self.words[self.lists + 2 * class as usize + 1] =
                (self.list_depth << 48) | class_units_small(class, SUB_BITS);
        }
        if self.frontier_on() {
            self.frontier = 0;
            self.frontier_end = self.len;
        } else {
            self.free_range(0, self.len);
        }
    }

    /// Free every block at once: the heap returns to its state right after `new`.
    pub fn reset(&mut self) {
        self.words[..self.metadata_words].fill(0);
        self.table = SizeTable::new(
            self.table_base(),
            self.table.words() / 2,
            self.table.capacity(),
        );
        self.nonempty = 0;
        self.frontier = 0;
        self.frontier_end = 0;
        self.free = 0;
        self.listed = 0;
        self.start();
    }

    fn table_base(&self) -> usize {
        self.lists - self.table.words()
    }

    /// Bytes managed (region length rounded down to the minimum block).
    #[inline]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always false: a heap manages at least one minimum block.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The minimum block size in bytes.
    #[inline]
    pub fn min_block(&self) -> u64 {
        1 << self.min_order
    }

    /// The address of offset 0 given to [`BuddyHeap::new_at`] (0 for [`BuddyHeap::new`]).
    #[inline]
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// The configuration this heap was built with (capacity: the one in use).
    pub fn config(&self) -> Config {
        Config {
            min_order: self.min_order,
            capacity: self.table.capacity(),
            exact_fit: self.exact_fit,
            placement: if self.packed {
                Placement::Packed
            } else {
                Placement::LowestAddress
            },
            list_depth: self.list_depth as u16,
        }
    }

    #[inline(always)]
    fn frontier_on(&self) -> bool {
        self.packed && self.exact_fit
    }

    #[inline(always)]
    fn key(&self, offset: u64) -> u64 {
        (offset >> self.min_order) + 1
    }

    #[inline(always)]
    fn offset_of_key(&self, key: u64) -> u64 {
        (key - 1) << self.min_order
    }

    /// Bytes and class of a request of `size` bytes: rounded to its size class (packed
    /// placement), to a power of two (classic mode: powers of two are class sizes too), or to
    /// the minimum block (strict exact fit; the class is then unused).
    #[inline(always)]
    fn block_size(&self, size: u64) -> Result<(u64, u64), Error> {
        let units = match size.checked_add((1u64 << self.min_order) - 1) {
            Some(s) => (s >> self.min_order).max(1),
            None => return Err(Error::SizeOverflow),
        };
        if !self.exact_fit || self.packed {
            let units = if self.exact_fit {
                units
            } else {
                units
                    .checked_next_power_of_two()
                    .ok_or(Error::SizeOverflow)?
            };
            let class = class_of(units, SUB_BITS);
            let units = class_units(class, SUB_BITS).ok_or(Error::SizeOverflow)?;
            if units.leading_zeros() <= self.min_order {
                return Err(Error::SizeOverflow);
            }
            Ok((units << self.min_order, class))
        } else {
            Ok((units << self.min_order, u64::MAX))
        }
    }

    /// `(order, phase)` of an alignment: offsets must be `phase` modulo `align`, so that
    /// `origin + offset` is a multiple of `align`. Alignments below the minimum block are the
    /// minimum block.
    #[inline(always)]
    fn alignment(&self, align: u64) -> Result<(u32, u64), Error> {
        let order = align_to_order(align).ok_or(Error::BadAlignment)?;
        let order = order.max(self.min_order);
        let phase = self.origin.wrapping_neg() & ((1u64 << order) - 1);
        Ok((order, phase))
    }

    /// Allocate `size` bytes at an offset `o` such that `origin + o` is a multiple of `align`
    /// (a power of two; any alignment the region can hold). Returns the offset. The usable
    /// size is `size` rounded up to its size class ([`Placement::Packed`]: at most 1/16 more),
    /// to the minimum block ([`Placement::LowestAddress`] with exact fit) or to a power of two
    /// (classic mode); see [`BuddyHeap::usable_size`].
    ///
    /// Size 0 is allowed and behaves like size 1: it yields one minimum block with an offset
    /// of its own, which must be freed like any other. (Callers that want "size 0 gives no
    /// block", like `shmem_malloc`, check before calling.)
    ///
    /// Errors: [`Error::BadAlignment`], [`Error::SizeOverflow`], [`Error::CapacityExhausted`],
    /// [`Error::OutOfMemory`]. On error no block changes hands (the free lists may have
    /// drained into the buddy heap, which is not observable in placement terms other than
    /// through later offsets, and is deterministic).
    #[inline(always)]
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64, Error> {
        if align.is_power_of_two() {
            if let Some(offset) = self.alloc_hit(size, align) {
                return Ok(offset);
            }
        }
        self.alloc_checked(size, align)
    }

    /// [`BuddyHeap::alloc`] for an alignment known to be a power of two (`Layout`'s).
    #[inline(always)]
    pub(crate) fn alloc_pow2(&mut self, size: u64, align: u64) -> Result<u64, Error> {
        debug_assert!(align.is_power_of_two());
        match self.alloc_hit(size, align) {
            Some(offset) => Ok(offset),
            None => self.alloc_checked(size, align),
        }
    }

    /// The free-list hit of [`BuddyHeap::alloc`] (`align` a power of two), with everything it
    /// reads held in locals: no bounds checks, no overflow checks (a class below
    /// `list_classes` is a class of this region), no reloads of `self` across the stores to
    /// the metadata. `None`: not a hit (or bad input), for the checked path to sort out. In
    /// classic mode only power-of-two requests hit here; the checked path rounds the others
    /// and tries their list.
    #[inline(always)]
    pub(crate) fn alloc_hit(&mut self, size: u64, align: u64) -> Option<u64> {
        if size > self.len {
            return None;
        }
        // No overflow: `size <= len < 2^63`.
        let units = (size + self.min_mask) >> self.min_order;
        let class = class_of(units.max(1), SUB_BITS);
        self.pop(class, align)
    }

    /// Take the head of `class`'s list if it is aligned to `align` (a power of two).
    #[inline(always)]
    fn pop(&mut self, class: u64, align: u64) -> Option<u64> {
        if class >= self.list_classes {
            return None;
        }
        let m = self.min_order;
        let w = self.words.as_mut_ptr();
        let at = self.lists + 2 * class as usize;
        // SAFETY: `class < list_classes`, so both words of its list head lie inside the
        // metadata (the geometry `build` laid out and `new` checked against the slice).
        let head = unsafe { *w.add(at) };
        if head == 0 {
            return None;
        }
        // The head is a slot of the table (plus one), so its words lie inside the metadata.
        let s = self.table.base() + 2 * (head as usize - 1);
        // SAFETY: as just said.
        let offset = (unsafe { *w.add(s) } - 1) << m;
        // Offsets and `origin_neg` are multiples of the minimum block: only `align - 1` matters.
        if (offset ^ self.origin_neg) & (align - 1) != 0 {
            return None;
        }
        // SAFETY: `s` is a slot of the table (inside the metadata), `at` a list head.
        let info = unsafe {
            let info = *w.add(at + 1);
            *w.add(at) = *w.add(s + 1) >> NEXT_SHIFT;
            *w.add(s + 1) = class << 1;
            *w.add(at + 1) = info + DEPTH_ONE;
            info
        };
        self.listed -= (info & UNITS_MASK) << m;
        Some(offset)
    }

    /// [`BuddyHeap::alloc`] past the free-list hit: every check, the list of the rounded
    /// class (classic mode rounds to a power of two first), then the buddy heap.
    #[inline(never)]
    fn alloc_checked(&mut self, size: u64, align: u64) -> Result<u64, Error> {
        let (align_order, phase) = self.alignment(align)?;
        let (bytes, class) = self.block_size(size)?;
        if !self.exact_fit {
            if let Some(offset) = self.pop(class, align) {
                return Ok(offset);
            }
        }
        self.alloc_miss(bytes, class, align_order, phase)
    }

    /// An allocation the free lists could not serve.
    #[inline(never)]
    fn alloc_miss(
        &mut self,
        bytes: u64,
        class: u64,
        align_order: u32,
        phase: u64,
    ) -> Result<u64, Error> {
        if self.table.is_full() {
            self.flush();
            if self.table.is_full() {
                return Err(Error::CapacityExhausted);
            }
        }
        if self.listed != 0 && self.used() == 0 && self.frontier_on() {
            // Nothing is live: drain the lists, and the heap starts over as one frontier
            // (what a fresh heap would do with this request) instead of carving the freed
            // blocks into tails.
            self.flush();
        }
        let span = phase.checked_add(bytes).ok_or(Error::SizeOverflow)?;
        let need = size_to_order(span)
            .ok_or(Error::SizeOverflow)?
            .max(align_order);
        let offset = match self.place(bytes, need, align_order, phase) {
            Some(o) => o,
            None => self.place_after_drain(bytes, need, align_order, phase)?,
        };
        let key = self.key(offset);
        let value = self.live_value(bytes, class);
        self.table.insert(self.words, key, value);
        Ok(offset)
    }

    /// Place `bytes` (buddy order `need` holds it with its phase) in a free buddy block or the
    /// frontier, and take the space out of the free set.
    #[inline(always)]
    fn place(&mut self, bytes: u64, need: u32, align_order: u32, phase: u64) -> Option<u64> {
        let candidates = if need > self.top_order {
            0
        } else {
            self.nonempty & (!0u64 << need)
        };
        if candidates != 0 {
            let order = candidates.trailing_zeros();
            let map = self.map(order);
            // SAFETY: `order` is non-empty, so its bitmap has an item set; every map lies
            // inside `words` (built by `build` from the geometry checked against the slice).
            let idx = unsafe { bitmap::first_unchecked(self.words, &map) };
            self.take(order, idx);
            let start = idx << order;
            let offset = start + phase;
            if phase != 0 {
                self.free_range(start, offset);
            }
            let end = start + (1u64 << order);
            if offset + bytes < end {
                self.free_tail(offset + bytes, end);
            }
            return Some(offset);
        }
        if self.frontier < self.frontier_end {
            let mask = (1u64 << align_order) - 1;
            let offset = self.frontier + (phase.wrapping_sub(self.frontier) & mask);
            if let Some(end) = offset.checked_add(bytes) {
                if end <= self.frontier_end {
                    if offset > self.frontier {
                        self.free_range(self.frontier, offset);
                    }
                    self.frontier = end;
                    return Some(offset);
                }
            }
        }
        None
    }

    /// The last resort: give back everything held aside (the lists drain, the frontier returns
    /// to the bitmaps and coalesces), then try once more, runs of adjacent free blocks
    /// included. When even that fails, the frontier is taken back out of the bitmaps, so a
    /// failed allocation leaves the free space as it was (only the lists have drained). A
    /// request longer than all free bytes fails at once.
    #[cold]
    #[inline(never)]
    fn place_after_drain(
        &mut self,
        bytes: u64,
        need: u32,
        align_order: u32,
        phase: u64,
    ) -> Result<u64, Error> {
        if bytes > self.len - self.used() {
            return Err(Error::OutOfMemory);
        }
        self.flush();
        let frontier = (self.frontier, self.frontier_end);
        self.return_frontier();
        if let Some(o) = self.place(bytes, need, align_order, phase) {
            return Ok(o);
        }
        match self.alloc_in_run(bytes, align_order, phase) {
            Ok(o) => Ok(o),
            Err(e) => {
                if frontier.0 < frontier.1 {
                    self.claim_range(frontier.0, frontier.1);
                    self.frontier = frontier.0;
                    self.frontier_end = frontier.1;
                }
                Err(e)
            }
        }
    }

    /// Return the frontier run to the free bitmaps.
    fn return_frontier(&mut self) {
        if self.frontier < self.frontier_end {
            let (start, end) = (self.frontier, self.frontier_end);
            self.frontier = 0;
            self.frontier_end = 0;
            self.free_range(start, end);
        }
    }

    /// Drain the free lists into the buddy heap, class by class from the smallest, each list
    /// from its head. Afterwards every freed block is coalesced. `O(listed blocks)`.
    pub fn flush(&mut self) {
        if self.listed == 0 {
            return;
        }
        for class in 0..self.list_classes {
            let at = self.lists + 2 * class as usize;
            if self.words[at] == 0 {
                continue;
            }
            let bytes = class_units_small(class, SUB_BITS) << self.min_order;
            loop {
                let head = self.words[at];
                if head == 0 {
                    break;
                }
                // Unlink the head first: the list stays consistent while the table's deletion
                // moves (and relinks) other listed entries.
                let s = self.table.base() + 2 * (head as usize - 1);
                let key = self.words[s];
                self.words[at] = self.words[s + 1] >> NEXT_SHIFT;
                self.words[at + 1] += DEPTH_ONE;
                self.listed -= bytes;
                self.remove_entry(s);
                let offset = self.offset_of_key(key);
                self.release(offset, offset + bytes);
            }
            debug_assert_eq!(self.words[at + 1] >> 48, self.list_depth);
        }
        debug_assert_eq!(self.listed, 0);
    }

    /// The out-of-memory path of [`BuddyHeap::alloc`] with exact fit: no free buddy block of
    /// the needed order is left, but the free space may still hold `used` contiguous bytes,
    /// built of smaller free blocks next to each other (typically the returned tails of live
    /// blocks). Place the block at the lowest offset with the right phase modulo
    /// `2^align_order` whose `[offset, offset + used)` is all free, and claim that range.
    ///
    /// Deterministic (a function of the heap's state only). The walk goes from free block to
    /// free block in address order, finding the next one with one [`bitmap::next`] per
    /// non-empty order, so it costs `O(free blocks × orders)` bitmap probes (each
    /// `O(log64 n)` words) and never scans empty bitmap words; it runs only when the normal
    /// search has already failed.
    #[cold]
    #[inline(never)]
    fn alloc_in_run(&mut self, used: u64, align_order: u32, phase: u64) -> Result<u64, Error> {
        if !self.exact_fit || self.len - self.used() < used {
            return Err(Error::OutOfMemory);
        }
        let mask = (1u64 << align_order) - 1;
        let mut cur = 0u64;
        while let Some((order, idx)) = self.next_free(cur) {
            let start = idx << order;
            let offset = match start.checked_add(phase.wrapping_sub(start) & mask) {
                Some(o) => o,
                None => break,
            };
            let end = match offset.checked_add(used) {
                Some(e) if e <= self.len => e,
                // Later runs start later still: nothing fits.
                _ => break,
            };
            // Extend the run of free blocks from `start` until it covers `end` or stops.
            let mut run_end = (idx + 1) << order;
            while run_end < end {
                match self.containing_free(run_end) {
                    Some((o, i)) => run_end = (i + 1) << o,
                    None => break,
                }
            }
            if run_end >= end {
                self.claim_range(offset, end);
                return Ok(offset);
            }
            // `run_end` is not free (or is the end of the region): the next run starts later.
            cur = run_end;
        }
        Err(Error::OutOfMemory)
    }

    /// The free block with the lowest start at or after `at`, as `(order, index)`. `at` must not
    /// lie strictly inside a free block. `O(orders × levels)`.
    fn next_free(&self, at: u64) -> Option<(u32, u64)> {
        let mut best: Option<(u32, u64)> = None;
        let mut best_start = u64::MAX;
        let mut orders = self.nonempty;
        while orders != 0 {
            let order = orders.trailing_zeros();
            orders &= orders - 1;
            let from = at.div_ceil(1u64 << order);
            if let Some(i) = bitmap::next(self.words, &self.map(order), from) {
                if i << order < best_start {
                    best_start = i << order;
                    best = Some((order, i));
                }
            }
        }
        best
    }

    /// Free the block at `offset`; returns its usable size.
    ///
    /// Errors: [`Error::InvalidPointer`] (never allocated, or inside a block),
    /// [`Error::DoubleFree`] (in free space, or a block already freed and waiting on a free
    /// list); on error nothing changes.
    #[inline(always)]
    pub fn free(&mut self, offset: u64) -> Result<u64, Error> {
        match self.free_hit(offset) {
            Some(bytes) => Ok(bytes),
            None => self.free_checked(offset),
        }
    }

    /// The free-list hit of [`BuddyHeap::free`]: a live block whose class has a list with room
    /// goes onto it. `None`: anything else (lists off or full, over budget, bad input), for
    /// [`BuddyHeap::free_checked`]. Changes nothing unless it succeeds.
    #[inline(always)]
    pub(crate) fn free_hit(&mut self, offset: u64) -> Option<u64> {
        let m = self.min_order;
        // An offset past the end gives a key no entry has: the probe below finds nothing.
        if offset & self.min_mask != 0 {
            return None;
        }
        let key = (offset >> m) + 1;
        let w = self.words.as_mut_ptr();
        // SAFETY: the table lies inside the metadata.
        let s = unsafe { self.table.find_raw(w, key) }?;
        // SAFETY: `s` is a slot of the table, inside the metadata.
        let value = unsafe { *w.add(s + 1) };
        // With lists in use, live values hold the class (`list_classes` is 0 otherwise); a
        // listed value has bit 0 set, so its class field never passes as a live class here.
        let class = value >> 1;
        if value & 1 != 0 || class >= self.list_classes {
            return None;
        }
        let at = self.lists + 2 * class as usize;
        // SAFETY: `class < list_classes`: its head words lie inside the metadata; `s` is the
        // block's slot.
        unsafe {
            let info = *w.add(at + 1);
            let bytes = (info & UNITS_MASK) << m;
            if info < DEPTH_ONE || self.listed + bytes > self.budget {
                return None;
            }
            *w.add(s + 1) = listed_value(*w.add(at), class);
            *w.add(at) = ((s - self.table.base()) / 2 + 1) as u64;
            *w.add(at + 1) = info - DEPTH_ONE;
            self.listed += bytes;
            Some(bytes)
        }
    }

    /// [`BuddyHeap::free`] past the free-list hit: every check, then back to the buddy heap.
    #[inline(never)]
    fn free_checked(&mut self, offset: u64) -> Result<u64, Error> {
        self.validate(offset)?;
        let s = match self.table.find(self.words, self.key(offset)) {
            Some(s) => s,
            None => return Err(self.why_not_live(offset)),
        };
        let value = self.words[s + 1];
        if value & 1 != 0 {
            return Err(Error::DoubleFree);
        }
        Ok(self.free_to_buddy(offset, s, value))
    }

    /// The part of [`BuddyHeap::free`] that returns a block to the buddy heap (or the
    /// frontier): its list is full, over budget, or lists are off.
    fn free_to_buddy(&mut self, offset: u64, slot: usize, value: u64) -> u64 {
        let bytes = self.value_bytes(value);
        self.remove_entry(slot);
        self.release(offset, offset + bytes);
        bytes
    }

    /// Give `[start, end)` (not free now) back: into the frontier when it touches it,
    /// otherwise into the buddy bitmaps (coalescing). A frontier that grows downwards also
    /// takes in the free buddy blocks that end where it now starts.
    /// When the heap holds no block at all any more (packed exact fit), it starts over as a
    /// fresh heap: one frontier over the whole region.
    #[inline]
    fn release(&mut self, start: u64, end: u64) {
        if self.frontier < self.frontier_end && end == self.frontier {
            self.frontier = start;
            self.absorb();
        } else if self.frontier < self.frontier_end && start == self.frontier_end {
            self.frontier_end = end;
            self.absorb();
        } else {
            self.free_range(start, end);
        }
        if self.table.len() == 0
            && self.frontier_on()
            && self.frontier_end - self.frontier < self.len
        {
            self.restart();
        }
    }

    /// Move the free buddy blocks that touch the frontier into it, on both sides.
    fn absorb(&mut self) {
        while self.frontier > 0 {
            // The free block ending at the frontier is the one holding the byte before it.
            match self.containing_free(self.frontier - 1) {
                Some((order, idx)) if (idx + 1) << order == self.frontier => {
                    self.take(order, idx);
                    self.frontier = idx << order;
                }
                _ => break,
            }
        }
        while self.frontier_end < self.len {
            match self.containing_free(self.frontier_end) {
                Some((order, idx)) if idx << order == self.frontier_end => {
                    self.take(order, idx);
                    self.frontier_end = (idx + 1) << order;
                }
                _ => break,
            }
        }
    }

    /// Everything is free: take every free block out of the bitmaps and make the whole
    /// region the frontier again (the state right after `new`). `O(free blocks × levels)`;
    /// an empty heap holds at most two free blocks per order.
    #[cold]
    fn restart(&mut self) {
        debug_assert!(self.table.len() == 0 && self.listed == 0);
        while self.nonempty != 0 {
            let order = self.nonempty.trailing_zeros();
            let map = self.map(order);
            // SAFETY: the order is non-empty and its map lies inside `words`.
            let idx = unsafe { bitmap::first_unchecked(self.words, &map) };
            self.take(order, idx);
        }
        self.frontier = 0;
        self.frontier_end = self.len;
    }

    /// The usable size of the live block at `offset`.
    ///
    /// Errors: [`Error::InvalidPointer`], [`Error::DoubleFree`] (the block was freed).
    pub fn usable_size(&self, offset: u64) -> Result<u64, Error> {
        self.validate(offset)?;
        match self.table.find(self.words, self.key(offset)) {
            Some(s) if self.words[s + 1] & 1 == 0 => Ok(self.value_bytes(self.words[s + 1])),
            Some(_) => Err(Error::DoubleFree),
            None => Err(self.why_not_live(offset)),
        }
    }

    /// Resize the block at `offset` without moving it; returns the new usable size.
    ///
    /// Shrinking always succeeds (the freed tail returns to the heap). Growing succeeds when
    /// the space right after the block is free (buddy blocks or the frontier); otherwise
    /// [`Error::NoRoomInPlace`] and the block is unchanged.
    pub fn realloc_in_place(&mut self, offset: u64, new_size: u64) -> Result<u64, Error> {
        let old = self.usable_size(offset)?;
        let (new, class) = self.block_size(new_size)?;
        if new < old {
            self.release(offset + new, offset + old);
        } else if new > old {
            let old_end = offset + old;
            let end = offset.checked_add(new).ok_or(Error::SizeOverflow)?;
            if end > self.len {
                return Err(Error::NoRoomInPlace);
            }
            if old_end == self.frontier && end <= self.frontier_end {
                self.frontier = end;
            } else if self.range_is_free(old_end, end) {
                self.claim_range(old_end, end);
            } else {
                return Err(Error::NoRoomInPlace);
            }
        } else {
            return Ok(old);
        }
        match self.table.find(self.words, self.key(offset)) {
            Some(s) => self.words[s + 1] = self.live_value(new, class),
            None => unreachable_corrupt(),
        }
        Ok(new)
    }

    /// Resize the block at `offset`: in place when possible, otherwise by allocating a new
    /// block (with the minimum alignment) and leaving the copy and the free of the old block to
    /// the caller (see [`Realloc::Moved`]). On error the old block is untouched.
    pub fn realloc(&mut self, offset: u64, new_size: u64) -> Result<Realloc, Error> {
        self.realloc_aligned(offset, new_size, 1)
    }

    /// [`BuddyHeap::realloc`] keeping the block aligned to `align` if it has to move.
    pub fn realloc_aligned(
        &mut self,
        offset: u64,
        new_size: u64,
        align: u64,
    ) -> Result<Realloc, Error> {
        let (align_order, phase) = self.alignment(align)?;
        let old = self.usable_size(offset)?;
        if (offset ^ phase) & ((1u64 << align_order) - 1) == 0 {
            match self.realloc_in_place(offset, new_size) {
                Ok(size) => return Ok(Realloc::InPlace { size }),
                Err(Error::NoRoomInPlace) => {}
                Err(e) => return Err(e),
            }
        }
        let new = self.alloc(new_size, align)?;
        let size = self.usable_size(new)?;
        Ok(Realloc::Moved {
            offset: new,
            size,
            copy: old.min(size),
        })
    }

    /// Is `offset` inside free space (a free buddy block or the frontier)? Blocks waiting on
    /// the free lists are not free space.
    pub fn is_free(&self, offset: u64) -> bool {
        offset < self.len
            && ((self.frontier..self.frontier_end).contains(&offset)
                || self.containing_free(offset).is_some())
    }

    /// Current statistics. `O(orders)`.
    pub fn stats(&self) -> Stats {
        let mut free = 0u64;
        let mut free_blocks = [0u64; ORDERS];
        for order in self.min_order..=self.top_order {
            let n = self.words[self.count_at(order)];
            free_blocks[order as usize] = n;
            free += n << order;
        }
        let frontier_bytes = self.frontier_end - self.frontier;
        let mut largest_block = if self.nonempty == 0 {
            0
        } else {
            1u64 << (63 - self.nonempty.leading_zeros())
        };
        if self.used() == 0 && self.frontier_on() {
            // No live block: the first allocation that needs it drains the lists and the
            // heap starts over as one frontier over the whole region.
            largest_block = 1u64 << self.top_order;
        }
        // The largest aligned block inside the frontier.
        let mut order = self.top_order;
        while frontier_bytes > largest_block && (1u64 << order) > largest_block {
            let size = 1u64 << order;
            let start = self.frontier.next_multiple_of(size);
            if start + size <= self.frontier_end {
                largest_block = size;
                break;
            }
            order -= 1;
        }
        Stats {
            region_bytes: self.len,
            bytes_in_use: self.used(),
            bytes_free: free + frontier_bytes,
            bytes_listed: self.listed,
            largest_free: largest_block,
            live_blocks: self.table.len() as u64 - self.listed_blocks(),
            listed_blocks: self.listed_blocks(),
            capacity: self.table.capacity() as u64,
            free_blocks,
            frontier_bytes,
            metadata_bytes: self.metadata_words as u64 * 8,
            bitmap_bytes: self.bitmap_words as u64 * 8,
        }
    }

    /// Visit every live block as `(offset, usable size)`, in no particular order.
    pub fn for_each_live(&self, mut f: impl FnMut(u64, u64)) {
        self.table.for_each(self.words, |k, v| {
            if v & 1 == 0 {
                f(self.offset_of_key(k), self.value_bytes(v))
            }
        })
    }

    /// Check every invariant: bitmap summaries, per-order counts, size table, free lists,
    /// and that free, frontier, listed and live blocks tile `[0, len)` exactly, with no two
    /// free buddies left uncoalesced. `O(metadata + blocks × orders + listed²)`; meant for
    /// tests and debug builds.
    pub fn check(&self) -> Result<(), &'static str> {
        let mut nonempty = 0u64;
        let mut total_free_blocks = 0u64;
        for order in self.min_order..=self.top_order {
            let map = self.map(order);
            bitmap::check(self.words, &map)?;
            let n = bitmap::count(self.words, &map);
            if n != self.words[self.count_at(order)] {
                return Err("free count disagrees with the free bitmap");
            }
            if n > 0 {
                nonempty |= 1 << order;
            }
            total_free_blocks += n;
        }
        if nonempty != self.nonempty {
            return Err("non-empty order mask disagrees with the free counts");
        }
        let free: u64 = (self.min_order..=self.top_order)
            .map(|o| self.words[self.count_at(o)] << o)
            .sum();
        if free != self.free {
            return Err("free byte count disagrees with the free blocks");
        }
        if self.frontier > self.frontier_end || self.frontier_end > self.len {
            return Err("frontier out of the region");
        }
        if !self.frontier_on() && self.frontier != self.frontier_end {
            return Err("frontier in a heap that has none");
        }
        self.table.check(self.words)?;
        // Free lists: lengths, depths, flags, byte counts.
        let (mut listed, mut listed_blocks) = (0u64, 0u64);
        for class in 0..self.list_classes {
            let at = self.lists + 2 * class as usize;
            let bytes = class_units(class, SUB_BITS).unwrap_or(0) << self.min_order;
            let (mut head, mut n) = (self.words[at], 0u64);
            while head != 0 {
                if head as usize > self.table.words() / 2 {
                    return Err("free list link outside the size table");
                }
                let s = self.table.base() + 2 * (head as usize - 1);
                let (key, value) = (self.words[s], self.words[s + 1]);
                if key == 0 || self.table.find(self.words, key) != Some(s) {
                    return Err("free list links a slot that holds no entry");
                }
                if value & 1 == 0 || (value >> 1) & CLASS_MASK != class {
                    return Err("listed block not marked free in its class");
                }
                n += 1;
                if n > self.list_depth {
                    return Err("free list longer than its depth (or a cycle)");
                }
                listed += bytes;
                head = value >> NEXT_SHIFT;
            }
            if (self.words[at + 1] >> 48).checked_add(n) != Some(self.list_depth) {
                return Err("free list depth disagrees with its length");
            }
            if self.words[at + 1] & UNITS_MASK != class_units_small(class, SUB_BITS) {
                return Err("free list class size corrupted");
            }
            listed_blocks += n;
        }
        if listed != self.listed {
            return Err("listed bytes or blocks disagree with the lists");
        }
        if self.listed > self.budget {
            return Err("free lists over their byte budget");
        }
        let mut flagged = 0u64;
        self.table.for_each(self.words, |_, v| flagged += v & 1);
        if flagged != listed_blocks {
            return Err("size-table entries marked free that are on no list");
        }
        // Walk the region in address order: everything must tile it.
        let (mut cur, mut free_seen, mut blocks_seen, mut used) = (0u64, 0u64, 0u64, 0u64);
        while cur < self.len {
            if cur == self.frontier && self.frontier < self.frontier_end {
                cur = self.frontier_end;
            } else if let Some((order, idx)) = self.containing_free(cur) {
                if idx << order != cur {
                    return Err("a block overlaps a free block");
                }
                if cur < self.frontier_end && cur + (1u64 << order) > self.frontier {
                    return Err("a free block overlaps the frontier");
                }
                // No larger free block may contain this one, and its buddy must not be free.
                for up in order + 1..=self.top_order {
                    if self.block_is_free(up, cur >> up) {
                        return Err("nested free blocks");
                    }
                }
                if order < self.top_order && self.block_is_free(order, idx ^ 1) {
                    return Err("two free buddies not coalesced");
                }
                free_seen += 1;
                cur += 1u64 << order;
            } else if let Some(s) = self.table.find(self.words, self.key(cur)) {
                let v = self.words[s + 1];
                let u = if v & 1 == 0 {
                    let b = self.value_bytes(v);
                    used += b;
                    b
                } else {
                    self.listed_size(self.key(cur))
                        .ok_or("marked-free entry on no list")?
                };
                if u == 0 || u & (self.min_block() - 1) != 0 || cur + u > self.len {
                    return Err("block with a bad length");
                }
                if cur < self.frontier_end && cur + u > self.frontier {
                    return Err("a block overlaps the frontier");
                }
                blocks_seen += 1;
                cur += u;
            } else {
                return Err("address neither free nor the start of a block");
            }
        }
        if cur != self.len {
            return Err("blocks run past the end of the region");
        }
        if free_seen != total_free_blocks {
            return Err("a free block overlaps a live block");
        }
        if blocks_seen != self.table.len() as u64 {
            return Err("blocks overlap");
        }
        if used != self.used() {
            return Err("bytes in use disagree with the live blocks");
        }
        Ok(())
    }

    /// The size of the listed block `key` (its class, from its value word).
    fn listed_size(&self, key: u64) -> Option<u64> {
        let s = self.table.find(self.words, key)?;
        let class = (self.words[s + 1] >> 1) & CLASS_MASK;
        class_units(class, SUB_BITS).map(|u| u << self.min_order)
    }

    /// Remove the size-table entry whose key word is at `s`, mending the free-list link of
    /// every listed entry the deletion moves.
    fn remove_entry(&mut self, s: usize) {
        let (lists, base) = (self.lists, self.table.base());
        self.table
            .remove_at(self.words, s, |words, from, to, value| {
                if value & 1 != 0 {
                    Self::relink(words, lists, base, from, to, value);
                }
            });
    }

    /// A listed entry moved from slot `from` to slot `to`: point its list's head, or its
    /// predecessor's link, at the new slot. `O(list depth)`; the size table moves an entry only
    /// when deleting another one from the same probe run.
    fn relink(words: &mut [u64], lists: usize, base: usize, from: u64, to: u64, value: u64) {
        let at = lists + 2 * ((value >> 1) & CLASS_MASK) as usize;
        if words[at] == from + 1 {
            words[at] = to + 1;
            return;
        }
        let mut head = words[at];
        while head != 0 {
            let v = base + 2 * (head as usize - 1) + 1;
            let next = words[v] >> NEXT_SHIFT;
            if next == from + 1 {
                words[v] = (words[v] & ((1 << NEXT_SHIFT) - 1)) | ((to + 1) << NEXT_SHIFT);
                return;
            }
            head = next;
        }
        unreachable_corrupt()
    }

    // --- internals -------------------------------------------------------------------------

    /// Bytes in live blocks: everything the bitmaps, the frontier and the lists do not hold.
    #[inline]
    fn used(&self) -> u64 {
        self.len - self.free - (self.frontier_end - self.frontier) - self.listed
    }

    /// Blocks on the free lists (the sum of the lists' depths). `O(classes)`.
    fn listed_blocks(&self) -> u64 {
        (0..self.list_classes as usize)
            .map(|c| self.list_depth - (self.words[self.lists + 2 * c + 1] >> 48))
            .sum()
    }

    /// The size-table value of a live block of `bytes` bytes in `class`.
    #[inline(always)]
    fn live_value(&self, bytes: u64, class: u64) -> u64 {
        if self.classed {
            class << 1
        } else {
            bytes
        }
    }

    /// The size of the live block whose size-table value is `value`.
    #[inline(always)]
    fn value_bytes(&self, value: u64) -> u64 {
        if self.classed {
            class_units_small(value >> 1, SUB_BITS) << self.min_order
        } else {
            value
        }
    }

    #[inline(always)]
    fn map(&self, order: u32) -> Map {
        debug_assert!(order >= self.min_order && order <= self.top_order);
        Map {
            base: self.bases[order as usize & (ORDERS - 1)],
            bits: self.len >> order,
        }
    }

    #[inline(always)]
    fn count_at(&self, order: u32) -> usize {
        self.counts + (order - self.min_order) as usize
    }

    #[inline]
    fn validate(&self, offset: u64) -> Result<(), Error> {
        if offset >= self.len || offset & (self.min_block() - 1) != 0 {
            Err(Error::InvalidPointer)
        } else {
            Ok(())
        }
    }

    /// Why a validated offset is not the start of a live or listed block.
    fn why_not_live(&self, offset: u64) -> Error {
        if self.is_free(offset) {
            Error::DoubleFree
        } else {
            Error::InvalidPointer
        }
    }

    /// The free block containing `offset`, as `(order, index)`.
    #[inline]
    fn containing_free(&self, offset: u64) -> Option<(u32, u64)> {
        let mut orders = self.nonempty;
        while orders != 0 {
            let order = orders.trailing_zeros();
            orders &= orders - 1;
            let idx = offset >> order;
            if self.block_is_free(order, idx) {
                return Some((order, idx));
            }
        }
        None
    }

    /// Remove free block `idx` of `order` from the free set.
    #[inline(always)]
    fn take(&mut self, order: u32, idx: u64) {
        let map = self.map(order);
        debug_assert!(idx < map.bits && bitmap::test(self.words, &map, idx));
        let c = self.count_at(order);
        self.words[c] -= 1;
        self.free -= 1u64 << order;
        // SAFETY: `idx < bits` (the block is free, so it exists), and every map lies inside
        // `words` (checked in `new`).
        if unsafe { bitmap::clear_unchecked(self.words, &map, idx) } {
            self.nonempty &= !(1u64 << order);
        }
    }

    /// Add block `idx` of `order` to the free set, without coalescing.
    #[inline(always)]
    fn put(&mut self, order: u32, idx: u64) {
        let map = self.map(order);
        debug_assert!(idx < map.bits && !bitmap::test(self.words, &map, idx));
        let c = self.count_at(order);
        self.words[c] += 1;
        self.free += 1u64 << order;
        self.nonempty |= 1u64 << order;
        // SAFETY: `idx < bits` (callers free blocks inside the region), and every map lies
        // inside `words` (checked in `new`).
        unsafe { bitmap::set_unchecked(self.words, &map, idx) };
    }

    /// Is block `idx` of `order` (which may lie past the region's end) free?
    #[inline(always)]
    fn block_is_free(&self, order: u32, idx: u64) -> bool {
        if self.nonempty & (1u64 << order) == 0 {
            return false;
        }
        let map = self.map(order);
        // SAFETY: `idx < bits` is checked first; the map fits `words` (checked in `new`).
        idx < map.bits && unsafe { bitmap::test_unchecked(self.words, &map, idx) }
    }

    /// Give back `[start, end)`, the unused tail of a block of order `k` just taken from the
    /// free set (`end` is the block's end, a multiple of `2^k`, and `[start - 1]` is the
    /// allocation's last byte). The pieces are one block per step `cur += lowest_bit(cur)`,
    /// and none of them can coalesce: the buddy of a piece of `2^j` bytes at `p` is
    /// `[p - 2^j, p)`, which holds the last byte of the allocation. So each piece is inserted
    /// without a buddy test.
    #[inline(always)]
    fn free_tail(&mut self, start: u64, end: u64) {
        debug_assert!(start > 0 && start <= end);
        let mut cur = start;
        while cur < end {
            let size = lowest_bit(cur);
            let order = size.trailing_zeros();
            debug_assert!(cur + size <= end);
            debug_assert!(!self.block_is_free(order, (cur >> order) ^ 1));
            self.put(order, cur >> order);
            cur += size;
        }
    }

    /// Free `[start, end)` (multiples of the minimum block, not free now, inside the region),
    /// leaving only maximal free buddy blocks.
    ///
    /// The range is walked from its end: each piece is the largest aligned block that ends
    /// at the current end, and it coalesces upward. A buddy on its left that lies wholly in
    /// the part of the range still to free will be free once the walk gets there, so the two
    /// merge without touching the bitmaps (and the walk's end moves past it); any other buddy
    /// is tested in the bitmaps and, if free, taken out and merged. This inserts each final
    /// block once.
    #[inline]
    fn free_range(&mut self, start: u64, end: u64) {
        let top = self.top_order;
        let mut hi = end;
        while hi > start {
            let align = lowest_bit(hi);
            let fit = match floor_order(hi - start) {
                Some(o) => 1u64 << o,
                None => break,
            };
            let size = align.min(fit).min(1u64 << top);
            let mut order = size.trailing_zeros();
            hi -= size;
            let mut idx = hi >> order;
            while order < top {
                if idx & 1 == 1 && hi - start >= 1u64 << order {
                    // The left buddy is still to be freed: merge it now.
                    hi -= 1u64 << order;
                } else if (idx & 1 == 0 || hi == start) && self.block_is_free(order, idx ^ 1) {
                    // A buddy outside the range (or already freed by this walk) is free.
                    self.take(order, idx ^ 1);
                } else {
                    break;
                }
                idx >>= 1;
                order += 1;
            }
            self.put(order, idx);
        }
    }

    /// Is all of `[start, end)` free buddy space?
    fn range_is_free(&self, start: u64, end: u64) -> bool {
        let mut cur = start;
        while cur < end {
            match self.containing_free(cur) {
                Some((order, idx)) => cur = (idx + 1) << order,
                None => return false,
            }
        }
        true
    }

    /// Take `[start, end)`, which must be free buddy space, out of the free set; parts of the
    /// covering free blocks outside the range go back.
    fn claim_range(&mut self, start: u64, end: u64) {
        let mut cur = start;
        while cur < end {
            let (order, idx) = match self.containing_free(cur) {
                Some(b) => b,
                None => unreachable_corrupt(),
            };
            let (b, e) = (idx << order, (idx + 1) << order);
            self.take(order, idx);
            if b < cur {
                self.free_range(b, cur);
            }
            if e > end {
                self.free_range(end, e);
            }
            cur = e;
        }
    }
}

/// A state the invariants rule out. Reaching it means the metadata was corrupted from outside
/// (for example by writing through the storage slice's raw pointer while the heap held it).
#[cold]
#[inline(never)]
fn unreachable_corrupt() -> ! {
    panic!("memheap-core: heap metadata corrupted")
}

impl core::fmt::Debug for BuddyHeap<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = self.stats();
        f.debug_struct("BuddyHeap")
            .field("len", &self.len)
            .field("config", &self.config())
            .field("bytes_in_use", &s.bytes_in_use)
            .field("bytes_free", &s.bytes_free)
            .field("bytes_listed", &s.bytes_listed)
            .field("live_blocks", &s.live_blocks)
            .finish()
    }
}
