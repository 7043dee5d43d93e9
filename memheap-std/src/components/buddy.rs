//! The `buddy` component: memheap-core's [`Heap`] (a buddy heap with exact fit and
//! lowest-address first fit) over the region, with all metadata in process-private memory.

use std::ptr::NonNull;

use memheap_core::{Config, Heap};

use crate::component::{Component, ComponentError, Error, Module, ModuleStats, MIN_ALIGN};
use crate::segment::Region;

/// Default priority of the `buddy` component: 50, below [`PTMALLOC_PRIORITY`] (100).
///
/// Set by measurement (issue 3: the component that wins the mixed workload among those with
/// at least 95% fill efficiency gets the higher default). In the C benchmark at 1 PE
/// (`benches/compare-oshmem.sh`, figures in BENCHMARKS.md) `buddy` fills only about 80% of
/// a 256 MiB heap with random 64 B..256 KiB blocks, so it does not qualify, while `ptmalloc`
/// fills about 99.9%; `buddy` stays available through `MEMHEAP_COMPONENT=buddy` or
/// `MEMHEAP_BUDDY_PRIORITY`.
///
/// [`PTMALLOC_PRIORITY`]: crate::components::ptmalloc::PTMALLOC_PRIORITY
pub const BUDDY_PRIORITY: i32 = 50;

/// Fewest live blocks a buddy module accepts.
pub const BUDDY_MIN_CAPACITY: usize = 4096;
/// Most live blocks a buddy module accepts.
pub const BUDDY_MAX_CAPACITY: usize = 1 << 20;

/// Live blocks a buddy module over `len` bytes accepts: one per 4 KiB of region, clamped to
/// [`BUDDY_MIN_CAPACITY`]..=[`BUDDY_MAX_CAPACITY`] (65536 for the default 256 MiB heap, which
/// costs about 2 MiB of size table). More live blocks than that fail with
/// [`Error::CapacityExhausted`].
pub const fn buddy_capacity(len: usize) -> usize {
    let c = len / 4096;
    if c < BUDDY_MIN_CAPACITY {
        BUDDY_MIN_CAPACITY
    } else if c > BUDDY_MAX_CAPACITY {
        BUDDY_MAX_CAPACITY
    } else {
        c
    }
}

/// Most minimum blocks a buddy module's bitmaps describe: 2^26, so its free bitmaps take at
/// most about 16 MiB, whatever the heap size.
pub const BUDDY_MAX_MIN_BLOCKS: u64 = 1 << 26;

/// Order of the minimum block of a buddy module over `len` bytes: 4 (16 B, [`MIN_ALIGN`]) up to
/// 1 GiB; above that it grows with the region so that it has at most
/// [`BUDDY_MAX_MIN_BLOCKS`] minimum blocks (2 GiB: 32 B; 64 GiB: 1 KiB; 1 TiB: 16 KiB).
///
/// The metadata (two bits per minimum block, plus the size table) is written when the heap is
/// built, so at the fixed 16 B minimum block it grew with the heap: about 25 MB per GiB per PE,
/// 17 GB for a 1 TiB heap. With this rule it stays under 16 MiB of bitmaps plus the size table
/// ([`buddy_capacity`]: at most 32 MiB), and a 1 TiB heap initialises in a fraction of a second.
/// The price is paid only by huge heaps: a small request there takes a whole minimum block.
pub const fn buddy_min_order(len: usize) -> u32 {
    let mut order = 4;
    while (len as u64 >> order) > BUDDY_MAX_MIN_BLOCKS {
        order += 1;
    }
    order
}

/// The `buddy` component.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuddyComponent;

impl Component for BuddyComponent {
    fn name(&self) -> &'static str {
        "buddy"
    }

    fn default_priority(&self) -> i32 {
        BUDDY_PRIORITY
    }

    unsafe fn init(&self, region: Region) -> Result<Box<dyn Module>, ComponentError> {
        // SAFETY: the caller's contract is the one `BuddyModule::new` needs.
        Ok(Box::new(unsafe { BuddyModule::new(region)? }))
    }
}

/// A [`Heap`] over the region whose metadata is a boxed slice this module owns.
pub struct BuddyModule {
    region: Region,
    /// Borrows `meta` for `'static`; always dropped before `meta` is freed.
    heap: Option<Heap<'static>>,
    /// The metadata, from `Box::into_raw`; freed in `release`.
    meta: Option<NonNull<[u64]>>,
}

// SAFETY: the module exclusively owns its metadata allocation (the raw pointer is a Box in
// disguise) and the heap that borrows it; nothing is tied to a thread.
unsafe impl Send for BuddyModule {}

impl BuddyModule {
    /// A buddy heap over `region`, with minimum blocks of [`buddy_min_order`] (16 bytes up
    /// to 1 GiB), exact fit and [`buddy_capacity`] live blocks.
    ///
    /// # Safety
    /// As [`Component::init`]: `region` is read/write memory used only through this module
    /// while it lives.
    pub unsafe fn new(region: Region) -> Result<BuddyModule, Error> {
        let config = Config::DEFAULT
            .with_capacity(buddy_capacity(region.len()))
            .with_min_order(buddy_min_order(region.len()));
        let words = config.metadata_words(region.len() as u64);
        if words == 0 {
            return Err(Error::BadRegion);
        }
        // vec! of zeros comes from calloc: pages the heap never writes are never touched.
        let meta: Box<[u64]> = vec![0u64; words].into_boxed_slice();
        let raw = NonNull::from(Box::leak(meta));
        // SAFETY: `raw` is a live, exclusively owned allocation until `release` turns it back
        // into a Box, which happens only after `heap` (the sole user of this borrow) is
        // dropped.
        let words: &'static mut [u64] = unsafe { &mut *raw.as_ptr() };
        match Heap::new(region.base(), region.len(), config, words) {
            Ok(heap) => Ok(BuddyModule { region, heap: Some(heap), meta: Some(raw) }),
            Err(e) => {
                // SAFETY: `Heap::new` failed, so nothing borrows the metadata any more.
                drop(unsafe { Box::from_raw(raw.as_ptr()) });
                Err(e)
            }
        }
    }

    fn heap(&self) -> Result<&Heap<'static>, Error> {
        self.heap.as_ref().ok_or(Error::Uninitialized)
    }

    fn heap_mut(&mut self) -> Result<&mut Heap<'static>, Error> {
        self.heap.as_mut().ok_or(Error::Uninitialized)
    }

    /// Drop the heap, then free the metadata it borrowed.
    fn release(&mut self) {
        self.heap = None;
        if let Some(raw) = self.meta.take() {
            // SAFETY: `raw` came from `Box::leak` in `new`, and its only borrower, the heap,
            // was dropped on the line above.
            drop(unsafe { Box::from_raw(raw.as_ptr()) });
        }
    }

    /// Check the heap's invariants (tests and debugging).
    pub fn check(&self) -> Result<(), &'static str> {
        self.heap.as_ref().map_or(Ok(()), |h| h.check())
    }
}

impl Drop for BuddyModule {
    fn drop(&mut self) {
        self.release();
    }
}

impl Module for BuddyModule {
    fn component(&self) -> &'static str {
        "buddy"
    }

    fn region(&self) -> Region {
        self.region
    }

    fn configuration(&self) -> String {
        format!(
            "min block {} B, {} live blocks, exact fit",
            1usize << buddy_min_order(self.region.len()),
            buddy_capacity(self.region.len())
        )
    }

    fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error> {
        self.heap_mut()?.alloc(size, MIN_ALIGN)
    }

    fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        if !align.is_power_of_two() {
            return Err(Error::BadAlignment);
        }
        self.heap_mut()?.alloc(size, align.max(MIN_ALIGN))
    }

    fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error> {
        let heap = self.heap_mut()?;
        // SAFETY: the region is read/write memory that only this module manages (the
        // `init` contract), and `&mut self` excludes concurrent calls. When the block
        // moves, `Heap::realloc` allocates first, copies with `ptr::copy_nonoverlapping`,
        // then frees the old block; on error the old block is untouched.
        unsafe { heap.realloc(ptr, size, MIN_ALIGN) }
    }

    fn resize_in_place(&mut self, ptr: NonNull<u8>, size: usize) -> Result<(), Error> {
        // Exact fit: shrinking frees the tail, so shrinking back to an earlier size always
        // succeeds and restores the earlier usable size.
        self.heap_mut()?.realloc_in_place(ptr, size).map(|_| ())
    }

    fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.heap_mut()?.free(ptr)
    }

    fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        self.heap()?.usable_size(ptr)
    }

    fn stats(&self) -> ModuleStats {
        match &self.heap {
            Some(h) => {
                let s = h.stats();
                ModuleStats {
                    region_bytes: s.region_bytes,
                    reserved_bytes: s.region_bytes,
                    bytes_in_use: s.bytes_in_use,
                    live_blocks: s.live_blocks,
                    metadata_bytes: s.metadata_bytes,
                    bytes_free: s.bytes_free,
                    largest_free: s.largest_free,
                }
            }
            None => ModuleStats { region_bytes: self.region.len() as u64, ..ModuleStats::default() },
        }
    }

    fn finalize(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{test_base, Segment, SegmentConfig};

    #[test]
    fn capacity_formula() {
        assert_eq!(buddy_capacity(0), BUDDY_MIN_CAPACITY);
        assert_eq!(buddy_capacity(256 << 20), 65536);
        assert_eq!(buddy_capacity(1 << 40), BUDDY_MAX_CAPACITY);
    }

    #[test]
    fn min_block_grows_only_for_huge_regions() {
        const GIB: usize = 1 << 30;
        assert_eq!(buddy_min_order(2 << 20), 4);
        assert_eq!(buddy_min_order(GIB), 4);
        assert_eq!(buddy_min_order(GIB + (2 << 20)), 5);
        assert_eq!(buddy_min_order(2 * GIB), 5);
        assert_eq!(buddy_min_order(64 * GIB), 10);
        assert_eq!(buddy_min_order(1024 * GIB), 14);
        for len in [2 << 20, GIB, 3 * GIB, 1024 * GIB, 1 << 47] {
            assert!((len as u64 >> buddy_min_order(len)) <= BUDDY_MAX_MIN_BLOCKS);
        }
    }

    /// Issue 10 item 4: a 1 TiB heap needs little metadata (it used to need 17 GB, all of it
    /// written at init), and its blocks still work at both ends of the region.
    #[test]
    fn one_tib_heap_has_small_metadata() {
        const TIB: usize = 1 << 40;
        let seg = Segment::create(&SegmentConfig {
            // Past every `test_base` slot (they are 64 GiB apart and end at 80 TiB).
            base: 0x5800_0000_0000,
            ..SegmentConfig::with_user_size(TIB as u64)
        })
        .unwrap();
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { BuddyModule::new(seg.user_range()).unwrap() };
        let s = m.stats();
        assert_eq!(s.region_bytes, TIB as u64);
        assert!(s.metadata_bytes < 64 << 20, "{} bytes of metadata", s.metadata_bytes);
        assert_eq!(s.largest_free, TIB as u64);
        let small = m.alloc(1).unwrap();
        assert_eq!(m.usable_size(small), Ok(16 << 10), "a 1 TiB heap has 16 KiB minimum blocks");
        let big = m.alloc(TIB / 2).unwrap();
        // SAFETY: both blocks are live; one byte at each end of the large one.
        unsafe {
            big.as_ptr().write(1);
            big.as_ptr().add(TIB / 2 - 1).write(2);
            small.as_ptr().write(3);
        }
        m.free(big).unwrap();
        m.free(small).unwrap();
        m.check().unwrap();
    }

    #[test]
    fn metadata_is_outside_the_segment_and_errors_are_exact() {
        let seg = Segment::create(&SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(4 << 20)
        })
        .unwrap();
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { BuddyModule::new(seg.user_range()).unwrap() };
        let meta = m.meta.unwrap();
        assert!(!seg.user_range().contains(meta.as_ptr().cast()));
        assert!(!seg.private_range().contains(meta.as_ptr().cast()));
        let a = m.alloc(100).unwrap();
        assert_eq!(m.free(a), Ok(()));
        assert_eq!(m.free(a), Err(Error::DoubleFree));
        let b = m.alloc(64).unwrap();
        // SAFETY: pointer arithmetic inside the 64-byte block.
        let interior = unsafe { NonNull::new_unchecked(b.as_ptr().add(16)) };
        assert_eq!(m.free(interior), Err(Error::InvalidPointer));
        assert_eq!(m.align(3, 16), Err(Error::BadAlignment));
        // A 1 TiB alignment is honoured whatever the base's alignment: in a 4 MiB heap only
        // its first byte can be 1 TiB-aligned (test bases vary per test), and `b` holds it (when
        // `a` was freed nothing was live, so `b` started the heap over at its first byte).
        let base = seg.user_range().as_ptr() as usize;
        assert_eq!(b.as_ptr() as usize, base);
        assert_eq!(m.align(1 << 40, 16), Err(Error::OutOfMemory));
        assert_eq!(m.alloc(8 << 20), Err(Error::OutOfMemory));
        m.check().unwrap();
        m.free(b).unwrap();
        m.check().unwrap();
    }

    #[test]
    fn six_gib_heap_hands_out_offsets_past_4_gib() {
        const GIB: usize = 1 << 30;
        let seg = Segment::create(&SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(6 * GIB as u64)
        })
        .unwrap();
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { BuddyModule::new(seg.user_range()).unwrap() };
        let big = m.alloc(4 * GIB).unwrap();
        let past = m.alloc(GIB).unwrap();
        let off = past.as_ptr() as usize - seg.base() as usize;
        assert!(off >= 4 * GIB && off + GIB <= 6 * GIB, "offset {off:#x}");
        // SAFETY: both blocks are live and inside the mapping.
        unsafe {
            past.as_ptr().write(7);
            past.as_ptr().add(GIB - 1).write(9);
            big.as_ptr().write(1);
            assert_eq!(past.as_ptr().read(), 7);
            assert_eq!(big.as_ptr().read(), 1);
        }
        assert_eq!(m.usable_size(past), Ok(GIB));
        assert_eq!(m.stats().region_bytes, 6 * GIB as u64);
        m.free(big).unwrap();
        m.free(past).unwrap();
        assert_eq!(m.stats().bytes_in_use, 0);
    }
}
