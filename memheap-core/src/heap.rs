//! [`BuddyHeap`]: the buddy allocator over offsets of a region it never touches.

use crate::bitmap::{self, Layout};
use crate::config::Config;
use crate::error::Error;
use crate::order::{align_to_order, floor_order, lowest_bit, round_up, size_to_order};
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
    /// Bytes in free blocks.
    pub bytes_free: u64,
    /// Size of the largest free block (the largest request that will certainly succeed with
    /// minimum alignment, given a free size-table slot).
    pub largest_free: u64,
    /// Live blocks.
    pub live_blocks: u64,
    /// Live blocks the size table accepts.
    pub capacity: u64,
    /// Free blocks per order (`free_blocks[k]` counts free blocks of `2^k` bytes).
    pub free_blocks: [u64; ORDERS],
    /// Bytes of metadata storage in use (bitmaps and size table).
    pub metadata_bytes: u64,
    /// Of which the free bitmaps (everything but the size table).
    pub bitmap_bytes: u64,
}

/// A buddy heap over the offsets `[0, len)` of a region it never reads or writes.
///
/// * Free space is kept as maximal buddy blocks, one hierarchical bitmap per order; the
///   lowest-address free block of the smallest sufficient order is taken (first fit), so the
///   same sequence of calls always yields the same offsets — what makes a heap symmetric
///   across processes.
/// * With exact fit (the default) a block keeps its size rounded up to the minimum block;
///   the rest of the buddy block goes back to the free bitmaps at once, and comes back on free.
/// * Live blocks are remembered in a fixed-capacity size table, so free and realloc take only
///   the offset, and foreign, interior and double frees are errors that change nothing.
/// * A region of any length is managed exactly: it is split into the largest aligned buddy
///   blocks that fit, and nothing past its end is ever handed out.
///
/// All metadata lives in the `words` slice given to [`BuddyHeap::new`]; see
/// [`Config::metadata_words`] for its size.
///
/// * With exact fit, a request that no free buddy block can hold is placed in a run of
///   adjacent free blocks when one is long enough (lowest aligned offset first), so the free
///   tails of neighbouring blocks are not lost to fragmentation.
///
/// Complexity: `alloc` and `free` are `O(orders × levels)` word operations in the worst case
/// (levels = `log64` of the blocks of an order), independent of how many blocks are live;
/// the size table is `O(1)` expected. The exception is the exact-fit run fallback of
/// [`BuddyHeap::alloc`], `O(free blocks × orders)`, taken only when the heap would otherwise
/// report [`Error::OutOfMemory`].
pub struct BuddyHeap<'m> {
    words: &'m mut [u64],
    len: u64,
    min_order: u32,
    top_order: u32,
    exact_fit: bool,
    /// Bit `k` set iff `count[k] > 0`.
    nonempty: u64,
    count: [u64; ORDERS],
    maps: [Layout; ORDERS],
    table: SizeTable,
    used: u64,
    metadata_words: usize,
    bitmap_words: usize,
}

impl<'m> BuddyHeap<'m> {
    /// A heap over `[0, len)` with its metadata in `words` (at least
    /// [`Config::metadata_words`]`(len)` words; the rest is unused). Bytes past the last
    /// whole minimum block of `len` are not managed.
    ///
    /// Errors: [`Error::BadConfig`], [`Error::BadRegion`] (shorter than one minimum block),
    /// [`Error::MetadataTooSmall`].
    pub fn new(len: u64, config: Config, words: &'m mut [u64]) -> Result<Self, Error> {
        if !config.is_valid() {
            return Err(Error::BadConfig);
        }
        let top_order = config.top_order(len).ok_or(Error::BadRegion)?;
        let need = config.metadata_words(len);
        if words.len() < need {
            return Err(Error::MetadataTooSmall);
        }
        let min_order = config.min_order;
        let mut maps = [Layout::EMPTY; ORDERS];
        let mut at = 0usize;
        let mut order = min_order;
        while order <= top_order {
            let (layout, next) = Layout::new(len >> order, at);
            maps[order as usize] = layout;
            at = next;
            order += 1;
        }
        let bitmap_words = at;
        // The invariant behind the unchecked bitmap accesses: every layout lies inside `words`
        // (it does whenever `words` has `metadata_words` words; checked here regardless).
        if bitmap_words > words.len() {
            return Err(Error::MetadataTooSmall);
        }
        debug_assert!(maps.iter().all(|m| bitmap::fits(m, words.len())));
        let table = SizeTable::new(at, config.capacity, min_order);
        let mut heap = BuddyHeap {
            words,
            len: len & !((1u64 << min_order) - 1),
            min_order,
            top_order,
            exact_fit: config.exact_fit,
            nonempty: 0,
            count: [0; ORDERS],
            maps,
            table,
            used: 0,
            metadata_words: need,
            bitmap_words,
        };
        heap.reset();
        Ok(heap)
    }

    /// Free every block at once: the heap returns to its state right after `new`.
    pub fn reset(&mut self) {
        for order in self.min_order..=self.top_order {
            bitmap::reset(self.words, &self.maps[order as usize]);
        }
        self.count = [0; ORDERS];
        self.nonempty = 0;
        self.table.reset(self.words);
        self.used = 0;
        self.free_range(0, self.len);
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

    /// The configuration this heap was built with.
    pub fn config(&self) -> Config {
        Config {
            min_order: self.min_order,
            capacity: self.table.capacity(),
            exact_fit: self.exact_fit,
        }
    }

    /// Allocate `size` bytes at an offset that is a multiple of `align` (a power of two).
    /// Returns the offset. The usable size is `size` rounded up to the minimum block (exact
    /// fit) or to a power of two (classic mode).
    ///
    /// Size 0 is allowed and behaves like size 1: it yields one minimum block with an offset
    /// of its own, which must be freed like any other. (Callers that want "size 0 gives no
    /// block", like `shmem_malloc`, check before calling.)
    ///
    /// Placement: the lowest-address free buddy block of the smallest order that holds the
    /// request and its alignment (`O(orders × levels)`). With exact fit, when no such block is
    /// left but enough bytes are free, the block goes at the lowest aligned offset of a run of
    /// adjacent free blocks long enough to hold it; that fallback walks the free blocks in
    /// address order, `O(free blocks × orders)`, and runs only where the heap would otherwise
    /// be out of memory. Classic (power-of-two) mode has no fallback: its blocks stay aligned
    /// buddy blocks. Both are deterministic.
    ///
    /// Errors: [`Error::BadAlignment`], [`Error::SizeOverflow`], [`Error::CapacityExhausted`],
    /// [`Error::OutOfMemory`]; on error nothing changes.
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64, Error> {
        let align_order = align_to_order(align).ok_or(Error::BadAlignment)?;
        let used = self.block_size(size)?;
        let size_order = size_to_order(used).ok_or(Error::SizeOverflow)?;
        let need = size_order.max(align_order).max(self.min_order);
        if self.table.is_full() {
            return Err(Error::CapacityExhausted);
        }
        let candidates = if need > self.top_order {
            0
        } else {
            self.nonempty & (!0u64 << need)
        };
        if candidates == 0 {
            return self.alloc_in_run(used, align_order.max(self.min_order));
        }
        let order = candidates.trailing_zeros();
        // SAFETY: `order` is a non-empty order of this heap, so its bitmap has an item set;
        // its layout fits `words` (checked in `new`).
        let idx = unsafe { bitmap::first_unchecked(self.words, &self.maps[order as usize]) };
        self.take(order, idx);
        let offset = idx << order;
        // The rest of the taken block (split halves and the exact-fit tail) goes back.
        self.free_tail(offset + used, offset + (1u64 << order));
        self.table.insert(self.words, offset, used);
        self.used += used;
        Ok(offset)
    }

    /// The out-of-memory path of [`BuddyHeap::alloc`] with exact fit: no free buddy block of
    /// the needed order is left, but the free space may still hold `used` contiguous bytes,
    /// built of smaller free blocks next to each other (typically the returned tails of live
    /// blocks). Place the block at the lowest offset aligned to `2^align_order` whose
    /// `[offset, offset + used)` is all free, and claim that range.
    ///
    /// Deterministic (a function of the heap's state only). The walk goes from free block to
    /// free block in address order, finding the next one with one [`bitmap::next`] per
    /// non-empty order, so it costs `O(free blocks × orders)` bitmap probes (each
    /// `O(log64 n)` words) and never scans empty bitmap words; it runs only when the normal
    /// search has already failed.
    #[cold]
    #[inline(never)]
    fn alloc_in_run(&mut self, used: u64, align_order: u32) -> Result<u64, Error> {
        if !self.exact_fit || self.len - self.used < used {
            return Err(Error::OutOfMemory);
        }
        let mut cur = 0u64;
        while let Some((order, idx)) = self.next_free(cur) {
            let start = idx << order;
            let offset = match round_up(start, align_order) {
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
                self.table.insert(self.words, offset, used);
                self.used += used;
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
            if let Some(i) = bitmap::next(self.words, &self.maps[order as usize], from) {
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
    /// Errors: [`Error::InvalidPointer`] (never allocated, or inside a live block),
    /// [`Error::DoubleFree`] (in free space); on error nothing changes.
    pub fn free(&mut self, offset: u64) -> Result<u64, Error> {
        self.validate(offset)?;
        match self.table.remove(self.words, offset) {
            Some(used) => {
                self.used -= used;
                self.free_range(offset, offset + used);
                Ok(used)
            }
            None => Err(self.why_not_live(offset)),
        }
    }

    /// The usable size of the live block at `offset`.
    pub fn usable_size(&self, offset: u64) -> Result<u64, Error> {
        self.validate(offset)?;
        self.table
            .get(self.words, offset)
            .ok_or_else(|| self.why_not_live(offset))
    }

    /// Resize the block at `offset` without moving it; returns the new usable size.
    ///
    /// Shrinking always succeeds (the freed tail returns to the heap). Growing succeeds when
    /// the space right after the block is free; otherwise [`Error::NoRoomInPlace`] and the
    /// block is unchanged.
    pub fn realloc_in_place(&mut self, offset: u64, new_size: u64) -> Result<u64, Error> {
        let old = self.usable_size(offset)?;
        let new = self.block_size(new_size)?;
        if new < old {
            self.free_range(offset + new, offset + old);
        } else if new > old {
            let end = offset.checked_add(new).ok_or(Error::SizeOverflow)?;
            if end > self.len || !self.range_is_free(offset + old, end) {
                return Err(Error::NoRoomInPlace);
            }
            self.claim_range(offset + old, end);
        } else {
            return Ok(old);
        }
        self.table.update(self.words, offset, new);
        self.used = self.used - old + new;
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
        if !align.is_power_of_two() {
            return Err(Error::BadAlignment);
        }
        let old = self.usable_size(offset)?;
        if offset & (align - 1) == 0 {
            match self.realloc_in_place(offset, new_size) {
                Ok(size) => return Ok(Realloc::InPlace { size }),
                Err(Error::NoRoomInPlace) => {}
                Err(e) => return Err(e),
            }
        }
        let new = self.alloc(new_size, align)?;
        let size = self.table.get(self.words, new).unwrap_or(0);
        Ok(Realloc::Moved {
            offset: new,
            size,
            copy: old.min(size),
        })
    }

    /// Is `offset` inside a free block?
    pub fn is_free(&self, offset: u64) -> bool {
        offset < self.len && self.containing_free(offset).is_some()
    }

    /// Current statistics. `O(orders)`.
    pub fn stats(&self) -> Stats {
        let mut free = 0u64;
        for order in self.min_order..=self.top_order {
            free += self.count[order as usize] << order;
        }
        let largest_free = if self.nonempty == 0 {
            0
        } else {
            1u64 << (63 - self.nonempty.leading_zeros())
        };
        Stats {
            region_bytes: self.len,
            bytes_in_use: self.used,
            bytes_free: free,
            largest_free,
            live_blocks: self.table.len() as u64,
            capacity: self.table.capacity() as u64,
            free_blocks: self.count,
            metadata_bytes: self.metadata_words as u64 * 8,
            bitmap_bytes: self.bitmap_words as u64 * 8,
        }
    }

    /// Visit every live block as `(offset, usable size)`, in no particular order.
    pub fn for_each_live(&self, f: impl FnMut(u64, u64)) {
        self.table.for_each(self.words, f)
    }

    /// Check every invariant: bitmap summaries, per-order counts, size table, and that free
    /// and live blocks tile `[0, len)` exactly, with no two free buddies left uncoalesced.
    /// `O(metadata + blocks × orders)`; meant for tests and debug builds.
    pub fn check(&self) -> Result<(), &'static str> {
        let mut nonempty = 0u64;
        let mut total_free_blocks = 0u64;
        for order in 0..ORDERS as u32 {
            let map = &self.maps[order as usize];
            if order < self.min_order || order > self.top_order {
                if self.count[order as usize] != 0 {
                    return Err("free count for an order the heap does not have");
                }
                continue;
            }
            bitmap::check(self.words, map)?;
            let n = bitmap::count(self.words, map);
            if n != self.count[order as usize] {
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
        self.table.check(self.words)?;
        // Walk the region in address order: free and live blocks must tile it.
        let (mut cur, mut free_seen, mut live_seen, mut used) = (0u64, 0u64, 0u64, 0u64);
        while cur < self.len {
            if let Some((order, idx)) = self.containing_free(cur) {
                if idx << order != cur {
                    return Err("a block overlaps a free block");
                }
                // No larger free block may contain this one, and its buddy must not be free.
                for up in order + 1..=self.top_order {
                    let i = cur >> up;
                    if i < self.maps[up as usize].bits
                        && bitmap::test(self.words, &self.maps[up as usize], i)
                    {
                        return Err("nested free blocks");
                    }
                }
                let buddy = idx ^ 1;
                if order < self.top_order
                    && buddy < self.maps[order as usize].bits
                    && bitmap::test(self.words, &self.maps[order as usize], buddy)
                {
                    return Err("two free buddies not coalesced");
                }
                free_seen += 1;
                cur += 1u64 << order;
            } else if let Some(u) = self.table.get(self.words, cur) {
                if u == 0 || u & (self.min_block() - 1) != 0 || cur + u > self.len {
                    return Err("live block with a bad length");
                }
                live_seen += 1;
                used += u;
                cur += u;
            } else {
                return Err("address neither free nor the start of a live block");
            }
        }
        if cur != self.len {
            return Err("blocks run past the end of the region");
        }
        if free_seen != total_free_blocks {
            return Err("a free block overlaps a live block");
        }
        if live_seen != self.table.len() as u64 {
            return Err("live blocks overlap");
        }
        if used != self.used {
            return Err("bytes in use disagree with the live blocks");
        }
        Ok(())
    }

    // --- internals -------------------------------------------------------------------------

    /// Bytes a request of `size` occupies.
    #[inline]
    fn block_size(&self, size: u64) -> Result<u64, Error> {
        let used = round_up(size.max(1), self.min_order).ok_or(Error::SizeOverflow)?;
        if self.exact_fit {
            Ok(used)
        } else {
            let order = size_to_order(used).ok_or(Error::SizeOverflow)?;
            Ok(1u64 << order)
        }
    }

    #[inline]
    fn validate(&self, offset: u64) -> Result<(), Error> {
        if offset >= self.len || offset & (self.min_block() - 1) != 0 {
            Err(Error::InvalidPointer)
        } else {
            Ok(())
        }
    }

    /// Why a validated offset is not the start of a live block.
    fn why_not_live(&self, offset: u64) -> Error {
        if self.containing_free(offset).is_some() {
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
            let map = &self.maps[order as usize];
            if idx < map.bits && bitmap::test(self.words, map, idx) {
                return Some((order, idx));
            }
        }
        None
    }

    /// Remove free block `idx` of `order` from the free set.
    #[inline(always)]
    fn take(&mut self, order: u32, idx: u64) {
        debug_assert!(order >= self.min_order && order <= self.top_order);
        let o = order as usize & (ORDERS - 1);
        debug_assert!(idx < self.maps[o].bits && self.count[o] > 0);
        let c = self.count[o] - 1;
        self.count[o] = c;
        if c == 0 {
            self.nonempty &= !(1u64 << order);
            // SAFETY: `idx < bits` (the block is free, so it exists), the layout of every order
            // of this heap fits `words` (checked in `new`), and the count says `idx` was the
            // order's only free block.
            unsafe { bitmap::clear_only(self.words, &self.maps[o], idx) };
        } else {
            // SAFETY: `idx < bits` (the block is free, so it exists), and the layout of every
            // order of this heap fits `words` (checked in `new`).
            unsafe { bitmap::clear_unchecked(self.words, &self.maps[o], idx) };
        }
    }

    /// Add block `idx` of `order` to the free set, without coalescing.
    #[inline(always)]
    fn put(&mut self, order: u32, idx: u64) {
        debug_assert!(order >= self.min_order && order <= self.top_order);
        let o = order as usize & (ORDERS - 1);
        debug_assert!(idx < self.maps[o].bits);
        let c = self.count[o];
        self.count[o] = c + 1;
        self.nonempty |= 1u64 << order;
        if c == 0 {
            // SAFETY: `idx < bits` (callers free blocks inside the region), the layout of every
            // order of this heap fits `words` (checked in `new`), and a zero count means the
            // order's bitmap is all zero.
            unsafe { bitmap::set_only(self.words, &self.maps[o], idx) };
        } else {
            // SAFETY: `idx < bits` (callers free blocks inside the region), and the layout of
            // every order of this heap fits `words` (checked in `new`).
            unsafe { bitmap::set_unchecked(self.words, &self.maps[o], idx) };
        }
    }

    /// Is block `idx` of `order` (which may lie past the region's end) free?
    #[inline(always)]
    fn block_is_free(&self, order: u32, idx: u64) -> bool {
        let o = order as usize & (ORDERS - 1);
        let map = &self.maps[o];
        // An order without free blocks needs no bitmap read.
        // SAFETY: `idx < bits` is checked first; the layout fits `words` (checked in `new`).
        self.nonempty & (1u64 << order) != 0
            && idx < map.bits
            && unsafe { bitmap::test_unchecked(self.words, map, idx) }
    }

    /// Give back `[start, end)`, the unused part of a block of order `k` just taken from the
    /// free set whose allocation starts at `end - 2^k` and ends at `start` (`end - 2^k < start
    /// < end`). The pieces are the set bits of `end - start`, smallest first, and none of them
    /// can coalesce: the buddy of a piece of `2^j` bytes at `p` is `[p - 2^j, p)`, which holds
    /// the last byte of the allocation because the pieces before `p` total less than `2^j`.
    /// So each piece is inserted without a buddy test.
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
    /// block once, where freeing the pieces left to right would insert the larger pieces and
    /// take them out again when the smaller ones coalesce into them.
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

    /// Is all of `[start, end)` free?
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

    /// Take `[start, end)`, which must be free, out of the free set; parts of the covering
    /// free blocks outside the range go back.
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
            .field("min_order", &self.min_order)
            .field("top_order", &self.top_order)
            .field("exact_fit", &self.exact_fit)
            .field("bytes_in_use", &s.bytes_in_use)
            .field("bytes_free", &s.bytes_free)
            .field("live_blocks", &s.live_blocks)
            .finish()
    }
}
