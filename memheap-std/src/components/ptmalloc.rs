//! The `ptmalloc` component: Doug Lea's allocator (the `dlmalloc` crate; ptmalloc3 is built on
//! dlmalloc, as OSHMEM's component is) over the region, growing through an sbrk-like cursor.
//!
//! dlmalloc asks its system allocator for memory in [`PTMALLOC_GROWTH`] steps; here the
//! "system" is a cursor moving up from the start of the region, which never hands out memory
//! past the region's end. The cursor never moves back (memory is never "returned to the
//! system"; freed blocks are reused inside dlmalloc). Since every request extends the previous
//! one contiguously, dlmalloc keeps one segment, like `sbrk`, and merges each extension with its
//! free top chunk.
//!
//! dlmalloc asks for the whole request again when its top chunk is too small, not for the part
//! the top chunk lacks. So when the rest of the region is smaller than that, the cursor hands
//! out the rest anyway: together with the free top chunk it may hold the request (an emptied
//! heap serves nearly its whole size: 64 MiB, freed, then 200 MiB of a 256 MiB heap), and
//! dlmalloc fails cleanly when it does not.
//!
//! dlmalloc stores its chunk headers inside the region; the module keeps a map of the live
//! blocks in process-private memory and checks every pointer against it before dlmalloc
//! sees it, so foreign, interior and double frees are errors ([`Error::InvalidPointer`])
//! rather than corruption. Blocks are 16-byte aligned.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::NonNull;

use dlmalloc::Dlmalloc;

use crate::component::{Component, ComponentError, Error, Module, ModuleStats, MIN_ALIGN};
use crate::segment::Region;

/// Default priority of the `ptmalloc` component: 50, below [`BUDDY_PRIORITY`] (100).
///
/// Set by measurement (issue 3: the component that wins the mixed workload among those with
/// at least 95% fill efficiency gets the higher default; re-decided with memheap-core 2 by
/// `benches/component-choice.sh`, figures in BENCHMARKS.md): both components fill at least 95%
/// of a 256 MiB heap (`ptmalloc` 99.95%, `buddy` 97.3%) and `buddy` wins the mixed workload.
/// `ptmalloc` is the choice for a program that needs the largest possible block while many
/// blocks are live, or more live blocks than one per 2 KiB of heap.
///
/// [`BUDDY_PRIORITY`]: crate::components::buddy::BUDDY_PRIORITY
pub const PTMALLOC_PRIORITY: i32 = 50;

/// How far the sbrk cursor moves at least per request: 2 MiB, as in OSHMEM.
pub const PTMALLOC_GROWTH: usize = 2 << 20;

/// Smallest region the component accepts: one growth step.
pub const PTMALLOC_MIN_REGION: usize = PTMALLOC_GROWTH;

/// The `ptmalloc` component.
#[derive(Clone, Copy, Debug, Default)]
pub struct PtmallocComponent;

impl Component for PtmallocComponent {
    fn name(&self) -> &'static str {
        "ptmalloc"
    }

    fn default_priority(&self) -> i32 {
        PTMALLOC_PRIORITY
    }

    unsafe fn init(&self, region: Region) -> Result<Box<dyn Module>, ComponentError> {
        // SAFETY: the caller's contract is the one `PtmallocModule::new` needs.
        Ok(Box::new(unsafe { PtmallocModule::new(region)? }))
    }
}

/// dlmalloc's system allocator: an sbrk cursor over `[start, end)`.
struct Sbrk {
    start: usize,
    end: usize,
    cursor: Cell<usize>,
}

// SAFETY: `alloc` only hands out disjoint, never-reused pieces of `[start, end)`, which the
// module's `init` contract makes read/write memory reserved for this allocator, so dlmalloc
// may use them as its own. Every other operation declines (nothing is ever given back or
// remapped), which the trait allows. The page size is a power of two.
unsafe impl dlmalloc::Allocator for Sbrk {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let cur = self.cursor.get();
        let avail = self.end - cur;
        if size == 0 || avail == 0 {
            return (std::ptr::null_mut(), 0, 0);
        }
        // Whole growth steps while they fit, else everything that is left, even less than
        // asked for: dlmalloc merges it with its free top chunk, which ends at the cursor, and
        // the two together may hold the request (see the module documentation).
        let take = size.checked_next_multiple_of(PTMALLOC_GROWTH).map_or(avail, |w| w.min(avail));
        self.cursor.set(cur + take);
        (cur as *mut u8, take, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        std::ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        // The region may hold data from an earlier module over the same segment.
        false
    }

    fn page_size(&self) -> usize {
        4096
    }
}

/// dlmalloc over the region, with a live-block map (block address -> requested size).
pub struct PtmallocModule {
    region: Region,
    inner: Option<Inner>,
}

/// A fixed, fast hash of block addresses: no random seed (the map behaves the same on every
/// run and PE) and much cheaper than the default SipHash on the alloc/free path.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_usize(&mut self, x: usize) {
        // Fibonacci hashing, folded so that the low bits (the bucket index) depend on the
        // high ones: addresses are multiples of 16.
        let h = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

/// Block address -> requested size.
type LiveMap = HashMap<usize, usize, BuildHasherDefault<AddrHasher>>;

/// The live map's key for a block: its address. Looking up a foreign pointer only hashes
/// it; nothing is read through it.
fn key_of(p: NonNull<u8>) -> usize {
    p.as_ptr() as usize
}

struct Inner {
    dl: Dlmalloc<Sbrk>,
    live: LiveMap,
    bytes_in_use: u64,
}

impl PtmallocModule {
    /// dlmalloc over `region` (at least [`PTMALLOC_MIN_REGION`] bytes). Nothing is written
    /// to the region until the first allocation.
    ///
    /// # Safety
    /// As [`Component::init`]: `region` is read/write memory used only through this module
    /// while it lives.
    pub unsafe fn new(region: Region) -> Result<PtmallocModule, Error> {
        let start = region.as_ptr() as usize;
        if region.len() < PTMALLOC_MIN_REGION || start % MIN_ALIGN != 0 {
            return Err(Error::BadRegion);
        }
        let sbrk = Sbrk { start, end: region.end(), cursor: Cell::new(start) };
        let mut dl = Dlmalloc::new_with_allocator(sbrk);
        let accepted = dl.set_granularity(PTMALLOC_GROWTH);
        debug_assert!(accepted);
        // No periodic release pass: the cursor never gives memory back anyway.
        dl.set_max_release_check_rate(0);
        Ok(PtmallocModule {
            region,
            inner: Some(Inner { dl, live: LiveMap::default(), bytes_in_use: 0 }),
        })
    }

    fn inner(&mut self) -> Result<&mut Inner, Error> {
        self.inner.as_mut().ok_or(Error::Uninitialized)
    }

    /// Allocate with dlmalloc and record the block.
    fn allocate(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        let limit = self.region.len();
        let inner = self.inner()?;
        if size > limit || align > limit {
            return Err(Error::OutOfMemory);
        }
        inner.live.try_reserve(1).map_err(|_| Error::CapacityExhausted)?;
        // SAFETY: `align` is a power of two (checked by the callers); dlmalloc only touches
        // memory its `Sbrk` handed it, inside the region.
        let p = unsafe { inner.dl.c_memalign(align, size) };
        let p = NonNull::new(p).ok_or(Error::OutOfMemory)?;
        inner.live.insert(key_of(p), size);
        inner.bytes_in_use += size as u64;
        Ok(p)
    }
}

/// Bytes of a machine word: dlmalloc's layout is counted in words.
const WORD: usize = std::mem::size_of::<usize>();

/// dlmalloc's chunk size for a request of `n` bytes: the request plus one word of overhead,
/// rounded up to two words, at least a minimum chunk of four words.
const fn chunk_size(n: usize) -> usize {
    let padded = (n + WORD).next_multiple_of(2 * WORD);
    if padded < 4 * WORD {
        4 * WORD
    } else {
        padded
    }
}

/// The largest request (at the minimum alignment) that dlmalloc certainly serves now, from the
/// live blocks alone (`live`: address -> requested size), without reading dlmalloc's memory.
///
/// dlmalloc's layout (one segment from the region's start, as the cursor hands it out): each
/// block sits two words after the start of its chunk; a live chunk is its request's
/// [`chunk_size`], plus at most a minimum chunk (four words) that was too small to split off;
/// free space between live chunks is always one coalesced free chunk, which serves a request
/// whose chunk size fits in it; after the last live chunk come the free top chunk and the part
/// of the region the cursor has not handed out, which dlmalloc merges on demand, minus the
/// segment's footer (ten words) and the two words the top chunk always keeps, with one word of
/// overhead. The bounds are conservative by at most the unsplit remainders (a few dozen bytes),
/// so a request of the result succeeds.
fn largest_request(region: Region, live: &LiveMap) -> usize {
    let mut blocks: Vec<(usize, usize)> = live.iter().map(|(&a, &n)| (a, n)).collect();
    blocks.sort_unstable();
    let mut best = 0;
    // Where the free space after the previous live chunk begins, at the latest.
    let mut free_from = region.as_ptr() as usize;
    for (addr, size) in blocks {
        let chunk_start = addr - 2 * WORD;
        let gap = chunk_start.saturating_sub(free_from);
        if gap >= 4 * WORD {
            best = best.max(gap - WORD);
        }
        free_from = free_from.max(chunk_start + chunk_size(size) + 4 * WORD);
    }
    let tail = region.end().saturating_sub(free_from);
    best.max(tail.saturating_sub(13 * WORD))
}

impl Module for PtmallocModule {
    fn component(&self) -> &'static str {
        "ptmalloc"
    }

    fn region(&self) -> Region {
        self.region
    }

    fn configuration(&self) -> String {
        format!("dlmalloc, growth {} MiB", PTMALLOC_GROWTH >> 20)
    }

    fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error> {
        self.allocate(MIN_ALIGN, size)
    }

    fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        if !align.is_power_of_two() {
            return Err(Error::BadAlignment);
        }
        self.allocate(align.max(MIN_ALIGN), size)
    }

    fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error> {
        let limit = self.region.len();
        let inner = self.inner()?;
        let key = key_of(ptr);
        let old = *inner.live.get(&key).ok_or(Error::InvalidPointer)?;
        if size > limit {
            return Err(Error::OutOfMemory);
        }
        inner.live.try_reserve(1).map_err(|_| Error::CapacityExhausted)?;
        // SAFETY: `ptr` is a live block of this dlmalloc (it is in the live map). On failure
        // dlmalloc returns null and leaves the old block as it was; on success the old block
        // is freed (or resized in place) and the contents kept up to min(old, new).
        let p = unsafe { inner.dl.c_realloc(ptr.as_ptr(), size) };
        let p = NonNull::new(p).ok_or(Error::OutOfMemory)?;
        inner.live.remove(&key);
        inner.live.insert(key_of(p), size);
        inner.bytes_in_use = inner.bytes_in_use - old as u64 + size as u64;
        Ok(p)
    }

    fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        let inner = self.inner()?;
        let size = inner.live.remove(&key_of(ptr)).ok_or(Error::InvalidPointer)?;
        inner.bytes_in_use -= size as u64;
        // SAFETY: `ptr` was a live block of this dlmalloc and is now out of the live map, so
        // it is freed exactly once.
        unsafe { inner.dl.c_free(ptr.as_ptr()) };
        Ok(())
    }

    /// The size asked for (dlmalloc may have room for a few bytes more; they are not
    /// promised).
    fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        let inner = self.inner.as_ref().ok_or(Error::Uninitialized)?;
        inner.live.get(&key_of(ptr)).copied().ok_or(Error::InvalidPointer)
    }

    fn stats(&self) -> ModuleStats {
        let region_bytes = self.region.len() as u64;
        match &self.inner {
            Some(i) => {
                let reserved = (i.dl.allocator().cursor.get() - i.dl.allocator().start) as u64;
                ModuleStats {
                region_bytes,
                reserved_bytes: reserved,
                bytes_free: region_bytes - i.bytes_in_use.min(region_bytes),
                largest_free: largest_request(self.region, &i.live) as u64,
                bytes_in_use: i.bytes_in_use,
                live_blocks: i.live.len() as u64,
                // Entries plus hashbrown's control byte; independent of the base address
                // and of the map's history.
                metadata_bytes: (i.live.len() * (2 * std::mem::size_of::<usize>() + 1)
                    + std::mem::size_of::<Inner>()) as u64,
                }
            }
            None => ModuleStats { region_bytes, ..ModuleStats::default() },
        }
    }

    fn finalize(&mut self) {
        // Dropping dlmalloc releases nothing (the region belongs to the segment).
        self.inner = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{test_base, Segment, SegmentConfig};

    fn segment(user: u64) -> Segment {
        Segment::create(&SegmentConfig { base: test_base(), ..SegmentConfig::with_user_size(user) })
            .unwrap()
    }

    #[test]
    fn grows_in_2_mib_steps_and_stays_inside() {
        let seg = segment(8 << 20);
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { PtmallocModule::new(seg.user_range()).unwrap() };
        assert_eq!(m.stats().reserved_bytes, 0, "nothing taken before the first allocation");
        let a = m.alloc(100).unwrap();
        assert_eq!(m.stats().reserved_bytes, 2 << 20);
        let b = m.alloc(3 << 20).unwrap();
        assert_eq!(m.stats().reserved_bytes % (2 << 20), 0);
        assert!(m.stats().reserved_bytes <= 8 << 20);
        for p in [a, b] {
            assert!(seg.user_range().contains(p.as_ptr()));
            assert_eq!(p.as_ptr() as usize % 16, 0);
        }
        // More than what is left fails and the cursor stays within the region.
        assert_eq!(m.alloc(6 << 20), Err(Error::OutOfMemory));
        assert!(m.stats().reserved_bytes <= 8 << 20);
        // The private heap right after the user heap was never touched by dlmalloc.
        // SAFETY: the private range is mapped; the memfd starts zeroed.
        let untouched = unsafe {
            std::slice::from_raw_parts(seg.private_range().as_ptr(), seg.private_range().len())
        };
        assert!(untouched.iter().all(|&b| b == 0));
        m.free(a).unwrap();
        m.free(b).unwrap();
    }

    #[test]
    fn sbrk_never_exceeds_its_range() {
        let s = Sbrk { start: 0x1000_0000, end: 0x1000_0000 + (5 << 20), cursor: Cell::new(0x1000_0000) };
        use dlmalloc::Allocator;
        assert_eq!(s.alloc(1), (0x1000_0000 as *mut u8, 2 << 20, 0));
        assert_eq!(s.alloc(2 << 20).1, 2 << 20);
        // 1 MiB left: a 2 MiB request gets the rest (dlmalloc merges it with its top chunk),
        // after which nothing is left for any request.
        assert_eq!(s.alloc(2 << 20), ((0x1000_0000 + (4 << 20)) as *mut u8, 1 << 20, 0));
        assert!(s.alloc(1).0.is_null());
        assert!(s.alloc(usize::MAX).0.is_null());
        assert_eq!(s.cursor.get(), 0x1000_0000 + (5 << 20));
        // A request past what a usize can round up takes the rest too.
        let t = Sbrk { start: 0x1000_0000, end: 0x1000_0000 + (5 << 20), cursor: Cell::new(0x1000_0000) };
        assert_eq!(t.alloc(usize::MAX), (0x1000_0000 as *mut u8, 5 << 20, 0));
    }

    /// Issue 10 item 1: a freed large block and the untouched rest of the region combine.
    #[test]
    fn emptied_heap_serves_nearly_its_whole_size() {
        let seg = segment(256 << 20);
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { PtmallocModule::new(seg.user_range()).unwrap() };
        for (first, then) in [(64, 200), (10, 250), (100, 128), (128, 255)] {
            let a = m.alloc(first << 20).unwrap();
            m.free(a).unwrap();
            let b = m.alloc(then << 20).unwrap_or_else(|e| panic!("{first} then {then} MiB: {e}"));
            m.free(b).unwrap();
        }
        let l = m.stats().largest_free as usize;
        assert!(l >= (256 << 20) - 128, "{l}");
        let c = m.alloc(l).unwrap();
        m.free(c).unwrap();
        assert_eq!(m.alloc(l + 64), Err(Error::OutOfMemory), "largest_free {l} is not tight");
    }

    /// `largest_free` is within a few dozen bytes of the largest request that succeeds, with
    /// blocks live (the conformance suite checks that it succeeds).
    #[test]
    fn largest_free_is_tight() {
        let seg = segment(8 << 20);
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { PtmallocModule::new(seg.user_range()).unwrap() };
        let mut blocks = Vec::new();
        for i in 0..40usize {
            blocks.push(m.alloc(1000 + i * 5_000).unwrap());
        }
        for (i, p) in blocks.iter().enumerate() {
            if i % 3 != 1 {
                m.free(*p).unwrap();
            }
        }
        let l = m.stats().largest_free as usize;
        let p = m.alloc(l).unwrap();
        m.free(p).unwrap();
        assert_eq!(m.alloc(l + 64), Err(Error::OutOfMemory), "largest_free {l} is not tight");
        // A hole between live blocks as the largest free space: fill the heap, free a run.
        let mut fill = Vec::new();
        while let Ok(p) = m.alloc(200_000) {
            fill.push(p);
        }
        for p in fill.drain(10..16) {
            m.free(p).unwrap();
        }
        let l = m.stats().largest_free as usize;
        assert!((1_000_000..1_300_000).contains(&l), "{l}");
        let p = m.alloc(l).unwrap();
        m.free(p).unwrap();
        assert_eq!(m.alloc(l + 64), Err(Error::OutOfMemory), "largest_free {l} is not tight");
    }

    #[test]
    fn too_small_region_is_refused() {
        let seg = segment(2 << 20);
        let r = Region::new(seg.user_range().base(), 1 << 20).unwrap();
        // SAFETY: the region is inside the segment and unused.
        assert!(matches!(unsafe { PtmallocModule::new(r) }, Err(Error::BadRegion)));
    }
}
