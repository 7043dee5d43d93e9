//! The `buddy` component: memheap-core's [`BuddyHeap`] (size classes, per-class free lists, a
//! frontier run, buddy blocks; deterministic) over the region, with all metadata in
//! process-private memory that is mapped lazily.

use std::ptr::NonNull;

use memheap_core::{BuddyHeap, Config};

use crate::component::{Component, ComponentError, Error, Module, ModuleStats, MIN_ALIGN};
use crate::segment::Region;

use memheap_words::ZeroedWords;

/// Default priority of the `buddy` component: 100, above [`PTMALLOC_PRIORITY`] (50), so it is
/// the default component.
///
/// Set by measurement (issue 3: the component that wins the mixed workload among those with
/// at least 95% fill efficiency gets the higher default), re-decided with memheap-core 2
/// (`benches/component-choice.sh`, figures in BENCHMARKS.md, "Default component"): `buddy`
/// fills 97.3% of a 256 MiB heap with random 64 B..256 KiB blocks before its first refusal
/// (`ptmalloc` 99.95%), and is the faster component on every timing (mixed workload 2.4x at
/// 1 PE). `ptmalloc` (`MEMHEAP_COMPONENT=ptmalloc`) keeps a larger block free after churn
/// with blocks live (93.4% of the heap against 81.3%) and has no capacity limit.
///
/// [`PTMALLOC_PRIORITY`]: crate::components::ptmalloc::PTMALLOC_PRIORITY
pub const BUDDY_PRIORITY: i32 = 100;

/// Most live blocks a buddy module accepts (about 22 MiB of size table, touched as it fills).
pub const BUDDY_MAX_CAPACITY: usize = 1 << 20;

/// Live blocks a buddy module over `len` bytes accepts: the capacity memheap-core derives for
/// the region at the module's minimum block ([`Config::capacity_for`]: one block per 2 KiB for
/// large regions, more per byte for small ones), at most [`BUDDY_MAX_CAPACITY`]: 131,071 for
/// the default 256 MiB heap, 1023 for the 2 MiB private heap, 2^20 above 2 GiB. More live
/// blocks fail with [`Error::CapacityExhausted`]. (Freed blocks waiting on the core's free
/// lists hold entries too; when the table is full the lists drain first, so only live blocks
/// exhaust it.)
pub const fn buddy_capacity(len: usize) -> usize {
    let c = Config::DEFAULT
        .with_min_order(buddy_min_order(len))
        .capacity_for(len as u64);
    if c > BUDDY_MAX_CAPACITY {
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
/// The metadata is mapped lazily (only the pages the heap writes take memory), so this rule no
/// longer decides what a huge heap costs in memory; it bounds the address space the metadata
/// reserves, which strict overcommit (`vm.overcommit_memory=2`) charges in full: at a fixed
/// 16 B minimum block a 1 TiB heap would reserve 17 GB of metadata per PE, with this rule
/// under 40 MiB. The price is paid only by huge heaps: a small request there takes a whole
/// minimum block.
pub const fn buddy_min_order(len: usize) -> u32 {
    let mut order = 4;
    while (len as u64 >> order) > BUDDY_MAX_MIN_BLOCKS {
        order += 1;
    }
    order
}

/// The configuration of a buddy module over `len` bytes: memheap-core's default (packed
/// placement: size classes, free lists of up to 32 blocks per class, frontier run; exact
/// fit) with the minimum block of [`buddy_min_order`] and the capacity of [`buddy_capacity`].
pub const fn buddy_config(len: usize) -> Config {
    Config::DEFAULT
        .with_min_order(buddy_min_order(len))
        .with_capacity(buddy_capacity(len))
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
        // SAFETY: the caller's contract is the one `BuddyModule::build` needs.
        Ok(Box::new(unsafe { BuddyModule::build(region)? }))
    }
}

/// A [`BuddyHeap`] over the region (its offsets are the region's, its origin the region's
/// base, so alignments are honoured as addresses) whose metadata is an anonymous mapping this
/// module owns.
pub struct BuddyModule {
    region: Region,
    /// Borrows `meta`'s words for `'static`; always dropped before `meta` (see `release`).
    heap: Option<BuddyHeap<'static>>,
    meta: Option<ZeroedWords>,
}

impl BuddyModule {
    /// A buddy heap over `region` with [`buddy_config`]. The metadata is a fresh anonymous
    /// mapping the heap is built over without writing it ([`BuddyHeap::new_zeroed`]): its
    /// pages take memory only once the heap writes to them, so a 1 TiB heap starts with a few
    /// KiB resident. A failed metadata mapping is reported as [`Error::OutOfMemory`] (the
    /// component's `init` says more).
    ///
    /// # Safety
    /// As [`Component::init`]: `region` is read/write memory used only through this module
    /// while it lives.
    pub unsafe fn new(region: Region) -> Result<BuddyModule, Error> {
        // SAFETY: forwarded from this function's contract.
        unsafe { Self::build(region) }.map_err(|e| match e {
            ComponentError::Heap(e) => e,
            ComponentError::Unavailable(_) => Error::OutOfMemory,
        })
    }

    /// [`BuddyModule::new`] with the metadata mapping's failure as a message.
    ///
    /// # Safety
    /// As [`BuddyModule::new`].
    unsafe fn build(region: Region) -> Result<BuddyModule, ComponentError> {
        let config = buddy_config(region.len());
        let words = config.metadata_words(region.len() as u64);
        if words == 0 {
            return Err(Error::BadRegion.into());
        }
        let mut meta = ZeroedWords::new(words).map_err(|errno| {
            ComponentError::Unavailable(format!(
                "cannot map {} bytes for the heap's metadata: {}",
                words as u64 * 8,
                std::io::Error::from_raw_os_error(errno)
            ))
        })?;
        // SAFETY: the words stay mapped until `meta` is dropped, which `release` does only
        // after dropping `heap`, the sole holder of this slice.
        let slice: &'static mut [u64] = unsafe { meta.as_mut_slice() };
        let origin = region.base().as_ptr() as usize as u64;
        // SAFETY: a fresh anonymous mapping is all zero.
        let heap = unsafe { BuddyHeap::new_zeroed(origin, region.len() as u64, config, slice) }?;
        Ok(BuddyModule {
            region,
            heap: Some(heap),
            meta: Some(meta),
        })
    }

    fn heap(&self) -> Result<&BuddyHeap<'static>, Error> {
        self.heap.as_ref().ok_or(Error::Uninitialized)
    }

    fn heap_mut(&mut self) -> Result<&mut BuddyHeap<'static>, Error> {
        self.heap.as_mut().ok_or(Error::Uninitialized)
    }

    /// The offset of `ptr` in the region ([`Error::InvalidPointer`] below its base; the heap
    /// refuses offsets past its end).
    fn offset_of(&self, ptr: NonNull<u8>) -> Result<u64, Error> {
        let (a, b) = (ptr.as_ptr() as usize, self.region.base().as_ptr() as usize);
        a.checked_sub(b)
            .map(|o| o as u64)
            .ok_or(Error::InvalidPointer)
    }

    /// The address of `offset` (an offset the heap handed out, so inside the region), derived
    /// from the region's base pointer.
    fn ptr_at(&self, offset: u64) -> NonNull<u8> {
        let p = self
            .region
            .base()
            .as_ptr()
            .wrapping_add(offset as usize);
        NonNull::new(p).expect("an address inside the region is not null")
    }

    /// Drop the heap, then unmap the metadata it borrowed.
    fn release(&mut self) {
        self.heap = None;
        self.meta = None;
    }

    /// Bytes of the metadata resident in memory now (the pages the heap has written), or
    /// `None` after finalize or when the kernel cannot tell (it reads `/proc/self/smaps`).
    pub fn metadata_resident(&self) -> Option<u64> {
        self.meta.as_ref()?.resident_bytes()
    }

    /// Check the heap's invariants (tests and debugging).
    pub fn check(&self) -> Result<(), &'static str> {
        self.heap.as_ref().map_or(Ok(()), |h| h.check())
    }
}

/// Resize the block at `offset` in place; when blocks waiting on the free lists might be in
/// the way, drain the lists (deterministically: every PE makes the same call) and try again.
fn resize_in_place(heap: &mut BuddyHeap<'_>, offset: u64, size: u64) -> Result<u64, Error> {
    match heap.realloc_in_place(offset, size) {
        Err(Error::NoRoomInPlace) if heap.stats().bytes_listed > 0 => {
            heap.flush();
            heap.realloc_in_place(offset, size)
        }
        r => r,
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
        let c = buddy_config(self.region.len());
        format!(
            "min block {} B, {} live blocks, packed (size classes, free lists of {})",
            1usize << c.min_order,
            c.capacity,
            c.list_depth
        )
    }

    fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error> {
        let offset = self.heap_mut()?.alloc(size as u64, MIN_ALIGN as u64)?;
        Ok(self.ptr_at(offset))
    }

    fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        if !align.is_power_of_two() {
            return Err(Error::BadAlignment);
        }
        // The heap's origin is the region's base: the alignment is the address's.
        let offset = self
            .heap_mut()?
            .alloc(size as u64, align.max(MIN_ALIGN) as u64)?;
        Ok(self.ptr_at(offset))
    }

    fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error> {
        let offset = self.offset_of(ptr)?;
        let heap = self.heap_mut()?;
        let old = heap.usable_size(offset)?;
        match resize_in_place(heap, offset, size as u64) {
            Ok(_) => return Ok(ptr),
            Err(Error::NoRoomInPlace) => {}
            Err(e) => return Err(e),
        }
        let new = heap.alloc(size as u64, MIN_ALIGN as u64)?;
        let copy = old.min(heap.usable_size(new)?) as usize;
        let to = self.ptr_at(new);
        // SAFETY: both blocks are live blocks of the region (the old one is freed only
        // below), so they do not overlap and `copy` bytes fit in each; the region is
        // read/write memory only this module manages (the `init` contract), and `&mut self`
        // excludes concurrent calls.
        unsafe { std::ptr::copy_nonoverlapping(ptr.as_ptr(), to.as_ptr(), copy) };
        self.heap_mut()?
            .free(offset)
            .expect("the old block was live a moment ago");
        Ok(to)
    }

    fn resize_in_place(&mut self, ptr: NonNull<u8>, size: usize) -> Result<(), Error> {
        // Shrinking frees the tail, so shrinking back to an earlier size always succeeds and
        // restores the earlier usable size (sizes are rounded to their class either way).
        let offset = self.offset_of(ptr)?;
        resize_in_place(self.heap_mut()?, offset, size as u64).map(|_| ())
    }

    fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        let offset = self.offset_of(ptr)?;
        self.heap_mut()?.free(offset).map(|_| ())
    }

    fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        let offset = self.offset_of(ptr)?;
        Ok(self.heap()?.usable_size(offset)? as usize)
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
                    // Blocks waiting on the free lists are free: any request can have them.
                    bytes_free: s.bytes_free + s.bytes_listed,
                    largest_free: s.largest_free,
                }
            }
            None => ModuleStats {
                region_bytes: self.region.len() as u64,
                ..ModuleStats::default()
            },
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
        assert_eq!(buddy_capacity(0), 0, "no heap");
        assert_eq!(buddy_capacity(2 << 20), 1023);
        assert_eq!(buddy_capacity(256 << 20), 131_071);
        assert_eq!(buddy_capacity(256 << 20), Config::DEFAULT.capacity_for(256 << 20));
        assert_eq!(buddy_capacity(1 << 40), BUDDY_MAX_CAPACITY);
        assert_eq!(buddy_config(1 << 40).capacity, BUDDY_MAX_CAPACITY);
        assert_eq!(buddy_config(1 << 40).min_order, 14);
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
        assert!(s.metadata_bytes < 48 << 20, "{} bytes of metadata", s.metadata_bytes);
        assert_eq!(s.largest_free, TIB as u64);
        // Mapped, not written: a few pages (counts, list heads) are resident.
        let resident = m.metadata_resident().unwrap();
        assert!(resident <= 64 << 10, "{resident} bytes of metadata resident after init");
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
        let resident = m.metadata_resident().unwrap();
        assert!(resident <= 1 << 20, "{resident} bytes of metadata resident after use");
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
        let meta = m.meta.as_ref().unwrap().as_ptr().cast::<u8>();
        assert!(!seg.user_range().contains(meta));
        assert!(!seg.private_range().contains(meta));
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

    /// A freed block waiting on its class's free list is free space for growing in place
    /// (the lists drain), for `realloc` and for the collective realloc's `resize_in_place`;
    /// a live block in the way makes `realloc` move (contents kept) and `resize_in_place`
    /// refuse.
    #[test]
    fn blocks_on_the_free_lists_do_not_stop_growth_in_place() {
        let seg = Segment::create(&SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(4 << 20)
        })
        .unwrap();
        // SAFETY: the user range is the segment's memory, used only by this module.
        let mut m = unsafe { BuddyModule::new(seg.user_range()).unwrap() };
        let a = m.alloc(1000).unwrap();
        let b = m.alloc(1000).unwrap();
        assert_eq!(b.as_ptr() as usize, a.as_ptr() as usize + 1024);
        // SAFETY: `a` is a live block of 1024 usable bytes.
        unsafe { a.as_ptr().write_bytes(7, 1000) };
        m.free(b).unwrap();
        assert_eq!(m.realloc(a, 3000), Ok(a), "grew over the listed block");
        assert_eq!(m.usable_size(a), Ok(3072));
        let c = m.alloc(16).unwrap();
        assert_eq!(c.as_ptr() as usize, a.as_ptr() as usize + 3072);
        m.free(c).unwrap();
        assert_eq!(m.resize_in_place(a, 6000), Ok(()), "grew over the listed block");
        assert_eq!(m.resize_in_place(a, 3000), Ok(()), "shrinking back succeeds");
        let d = m.alloc(16).unwrap();
        assert_eq!(d.as_ptr() as usize, a.as_ptr() as usize + 3072);
        assert_eq!(m.resize_in_place(a, 6000), Err(Error::NoRoomInPlace));
        let moved = m.realloc(a, 6000).unwrap();
        assert!(moved.as_ptr() as usize > d.as_ptr() as usize);
        // SAFETY: `moved` is a live block whose first 1000 bytes were copied from `a`.
        let head = unsafe { std::slice::from_raw_parts(moved.as_ptr(), 1000) };
        assert!(head.iter().all(|&x| x == 7));
        assert_eq!(m.free(a), Err(Error::DoubleFree));
        m.check().unwrap();
    }
}
