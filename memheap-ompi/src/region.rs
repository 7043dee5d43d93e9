//! [`Region`]: memheap-core's offset heap ([`BuddyHeap`]) over one address range that OSHMEM
//! mapped (the user heap or the private heap), handing out addresses.

use core::fmt;
use core::ptr::NonNull;

use memheap_core::{BuddyHeap, Config, Error};

/// Alignment of every block (the core's default minimum block): enough for any C type on
/// x86-64 and AArch64, and what `shmem_malloc` promises.
pub const MIN_ALIGN: u64 = 16;

/// Fewest live blocks a region accepts when the capacity is chosen automatically.
pub const MIN_AUTO_CAPACITY: usize = 4096;
/// Most live blocks a region accepts when the capacity is chosen automatically.
pub const MAX_AUTO_CAPACITY: usize = 1 << 20;

/// Live blocks a region of `len` bytes accepts when no capacity is configured: one per 4 KiB,
/// clamped to [`MIN_AUTO_CAPACITY`]..=[`MAX_AUTO_CAPACITY`] (65536 for OSHMEM's default
/// 256 MiB heap, about 2 MiB of size table; 4096 for its 2 MiB private heap). The same rule as
/// memheap-std's `buddy` component.
pub const fn auto_capacity(len: u64) -> usize {
    let c = len / 4096;
    if c < MIN_AUTO_CAPACITY as u64 {
        MIN_AUTO_CAPACITY
    } else if c > MAX_AUTO_CAPACITY as u64 {
        MAX_AUTO_CAPACITY
    } else {
        c as usize
    }
}

/// The alignment `shmem_align(align, ...)` gets: the next power of two that is at least
/// [`MIN_ALIGN`] (2 and 4 give 16, 63 gives 64, 65 gives 128), as memheap's own `shmem_align`
/// does. `None` for 0 (OpenSHMEM: NULL on every PE) and for alignments whose next power of two
/// does not fit in 64 bits.
pub fn shmem_alignment(align: u64) -> Option<u64> {
    if align == 0 {
        return None;
    }
    align.checked_next_power_of_two().map(|a| a.max(MIN_ALIGN))
}

/// Why a [`Region`] operation did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// Size 0: no block (OpenSHMEM: NULL and no barrier).
    ZeroSize,
    /// Alignment 0 (OpenSHMEM: NULL on every PE) or one with no power of two in 64 bits.
    BadAlignment,
    /// The alignment (after [`shmem_alignment`]) is larger than the largest power of two that
    /// divides the region's base address, so no offset could give an address aligned to it.
    AlignmentAboveBase {
        /// The alignment asked for, after rounding.
        align: u64,
        /// The alignment of the region's base address.
        base_align: u64,
    },
    /// The address is not inside this region (a foreign pointer).
    Foreign,
    /// The heap refused (out of memory, size table full, invalid pointer, double free, ...).
    Heap(Error),
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::ZeroSize => f.write_str("size 0: no block"),
            RegionError::BadAlignment => f.write_str("bad alignment: 0 or too large"),
            RegionError::AlignmentAboveBase { align, base_align } => write!(
                f,
                "alignment {align} is larger than the alignment of the heap's base address \
                 ({base_align}); a more aligned base (sshmem_base_start_address) allows more"
            ),
            RegionError::Foreign => f.write_str("not an address of this heap (foreign pointer)"),
            RegionError::Heap(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl From<Error> for RegionError {
    fn from(e: Error) -> Self {
        RegionError::Heap(e)
    }
}

/// What [`Region::realloc`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resized {
    /// The block grew or shrank where it is.
    InPlace,
    /// The block moved to this address; the contents were copied and the old block freed.
    Moved(usize),
}

/// Counters a [`Region`] keeps for its report at finalize.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Blocks handed out (alloc, align, and realloc that moved).
    pub allocs: u64,
    /// Blocks freed (including the old block of a realloc that moved).
    pub frees: u64,
    /// Reallocs done in place.
    pub in_place: u64,
    /// Requests refused for lack of memory or size-table room.
    pub failed: u64,
    /// Frees refused (foreign, interior or double).
    pub bad_frees: u64,
}

/// A [`BuddyHeap`] over `[base, base + len)`: it hands out addresses `base + offset` and never
/// reads or writes the memory, except [`Region::realloc`], which copies a block that moves.
///
/// Placement is the core's: lowest-address first fit, so the same calls give the same
/// addresses on every PE whose region has the same base. Offsets are 64-bit.
pub struct Region {
    base: usize,
    len: u64,
    base_align: u64,
    /// Borrows `meta` for `'static`; always dropped before `meta` is freed.
    heap: Option<BuddyHeap<'static>>,
    /// The metadata, from `Box::leak`; freed in `Drop`.
    meta: NonNull<[u64]>,
    counters: Counters,
}

// SAFETY: the region exclusively owns its metadata allocation (the raw pointer is a Box in
// disguise) and the heap that borrows it; it holds the base address only as a number. Nothing
// in it is tied to a thread.
unsafe impl Send for Region {}

impl Region {
    /// A heap over the `len` bytes at `base`, with 16-byte minimum blocks, exact fit, and room
    /// for `capacity` live blocks (0: [`auto_capacity`]). Nothing at `base` is touched.
    ///
    /// Errors: [`Error::BadRegion`] (too short, or `base + len` wraps), [`Error::BadConfig`]
    /// (capacity too large).
    pub fn new(base: usize, len: u64, capacity: usize) -> Result<Region, Error> {
        if (base as u64).checked_add(len).is_none() || base == 0 {
            return Err(Error::BadRegion);
        }
        let capacity = if capacity == 0 {
            auto_capacity(len)
        } else {
            capacity
        };
        let config = Config::DEFAULT.with_capacity(capacity);
        if !config.is_valid() {
            return Err(Error::BadConfig);
        }
        let words = config.metadata_words(len);
        if words == 0 {
            return Err(Error::BadRegion);
        }
        // vec! of zeros comes from calloc: metadata pages the heap never writes stay untouched.
        let raw = NonNull::from(Box::leak(vec![0u64; words].into_boxed_slice()));
        // SAFETY: `raw` is a live allocation this region owns exclusively until `Drop` turns it
        // back into a Box, which happens only after `heap`, the sole user of this borrow, is
        // dropped.
        let words: &'static mut [u64] = unsafe { &mut *raw.as_ptr() };
        match BuddyHeap::new(len, config, words) {
            Ok(heap) => Ok(Region {
                base,
                len,
                // The largest power of two dividing the base (base != 0 checked above).
                base_align: 1u64 << (base as u64).trailing_zeros(),
                heap: Some(heap),
                meta: raw,
                counters: Counters::default(),
            }),
            Err(e) => {
                // SAFETY: `BuddyHeap::new` failed, so nothing borrows the metadata any more.
                drop(unsafe { Box::from_raw(raw.as_ptr()) });
                Err(e)
            }
        }
    }

    fn heap(&self) -> &BuddyHeap<'static> {
        self.heap.as_ref().expect("the heap lives until drop")
    }

    fn heap_mut(&mut self) -> &mut BuddyHeap<'static> {
        self.heap.as_mut().expect("the heap lives until drop")
    }

    /// The first address of the region.
    pub fn base(&self) -> usize {
        self.base
    }

    /// The region's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Is the region empty? (Never: [`Region::new`] refuses regions shorter than a block.)
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The largest power of two that divides the base address: the largest alignment
    /// [`Region::align`] can honour.
    pub fn base_align(&self) -> u64 {
        self.base_align
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The core's statistics for this region.
    pub fn stats(&self) -> memheap_core::Stats {
        self.heap().stats()
    }

    /// Does `addr` lie inside the region?
    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.base && ((addr - self.base) as u64) < self.len
    }

    fn offset_of(&self, addr: usize) -> Result<u64, RegionError> {
        if self.contains(addr) {
            Ok((addr - self.base) as u64)
        } else {
            Err(RegionError::Foreign)
        }
    }

    fn addr_of(&self, offset: u64) -> usize {
        // Offsets are below `len`, and `base + len` does not wrap (checked in `new`).
        self.base + offset as usize
    }

    fn placed(&mut self, r: Result<u64, Error>) -> Result<usize, RegionError> {
        match r {
            Ok(offset) => {
                self.counters.allocs += 1;
                Ok(self.addr_of(offset))
            }
            Err(e) => {
                self.counters.failed += 1;
                Err(e.into())
            }
        }
    }

    /// A block of `size` bytes aligned to [`MIN_ALIGN`]; its address.
    pub fn alloc(&mut self, size: usize) -> Result<usize, RegionError> {
        if size == 0 {
            return Err(RegionError::ZeroSize);
        }
        let r = self.heap_mut().alloc(size as u64, MIN_ALIGN);
        self.placed(r)
    }

    /// A block of `size` bytes whose address is a multiple of `align` rounded by
    /// [`shmem_alignment`] (0 is [`RegionError::BadAlignment`]).
    pub fn align(&mut self, align: usize, size: usize) -> Result<usize, RegionError> {
        let align = shmem_alignment(align as u64).ok_or(RegionError::BadAlignment)?;
        if size == 0 {
            return Err(RegionError::ZeroSize);
        }
        if align > self.base_align {
            return Err(RegionError::AlignmentAboveBase {
                align,
                base_align: self.base_align,
            });
        }
        // The base is a multiple of `align`, so an offset aligned to it gives an aligned
        // address.
        let r = self.heap_mut().alloc(size as u64, align);
        self.placed(r)
    }

    /// Free the block at `addr`. A foreign, interior or double free is an error that changes
    /// nothing.
    pub fn free(&mut self, addr: usize) -> Result<(), RegionError> {
        let r = self
            .offset_of(addr)
            .and_then(|offset| Ok(self.heap_mut().free(offset)?));
        match r {
            Ok(_) => {
                self.counters.frees += 1;
                Ok(())
            }
            Err(e) => {
                self.counters.bad_frees += 1;
                Err(e)
            }
        }
    }

    /// The usable size of the live block at `addr`.
    pub fn usable_size(&self, addr: usize) -> Result<u64, RegionError> {
        let offset = self.offset_of(addr)?;
        Ok(self.heap().usable_size(offset)?)
    }

    /// Resize the live block at `addr` to `new_size` bytes (> 0): in place when the block can
    /// shrink or the space after it is free, otherwise by allocating a new block, copying
    /// `min(old, new)` usable bytes and freeing the old one. On error nothing changes: the old
    /// block stays live with its contents.
    ///
    /// # Safety
    /// The region must be readable and writable memory, and no other code may access the
    /// bytes of the block at `addr` or of free space during the call (the copy reads the old
    /// block and writes the new one).
    pub unsafe fn realloc(&mut self, addr: usize, new_size: usize) -> Result<Resized, RegionError> {
        if new_size == 0 {
            return Err(RegionError::ZeroSize);
        }
        let offset = self.offset_of(addr)?;
        let r = self
            .heap_mut()
            .realloc_aligned(offset, new_size as u64, MIN_ALIGN);
        match r {
            Ok(memheap_core::Realloc::InPlace { .. }) => {
                self.counters.in_place += 1;
                Ok(Resized::InPlace)
            }
            Ok(memheap_core::Realloc::Moved {
                offset: new, copy, ..
            }) => {
                let to = self.addr_of(new);
                // SAFETY: both blocks are live blocks of this region (`addr`'s is still live,
                // `new` was just allocated), so they do not overlap and `copy` bytes fit in
                // each; the caller guarantees the memory is read/write and not accessed
                // concurrently.
                unsafe {
                    core::ptr::copy_nonoverlapping(addr as *const u8, to as *mut u8, copy as usize)
                };
                self.heap_mut()
                    .free(offset)
                    .expect("the old block was live a moment ago");
                self.counters.allocs += 1;
                self.counters.frees += 1;
                Ok(Resized::Moved(to))
            }
            Err(e) => {
                if matches!(
                    e,
                    Error::OutOfMemory | Error::CapacityExhausted | Error::SizeOverflow
                ) {
                    self.counters.failed += 1;
                }
                Err(e.into())
            }
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        self.heap = None;
        // SAFETY: `meta` came from `Box::leak` in `new`, and its only borrower, the heap, was
        // dropped on the line above.
        drop(unsafe { Box::from_raw(self.meta.as_ptr()) });
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("base", &format_args!("{:#x}", self.base))
            .field("len", &self.len)
            .field("base_align", &self.base_align)
            .field("counters", &self.counters)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake base: the region is never touched by alloc/align/free.
    const FAKE_BASE: usize = 0xFF00_0000;

    #[test]
    fn alignment_rounding_matches_memheaps_shmem_align() {
        let cases = [
            (0, None),
            (1, Some(16)),
            (2, Some(16)),
            (4, Some(16)),
            (8, Some(16)),
            (16, Some(16)),
            (24, Some(32)),
            (63, Some(64)),
            (64, Some(64)),
            (65, Some(128)),
            (1000, Some(1024)),
            (1 << 63, Some(1 << 63)),
            ((1 << 63) + 1, None),
            (u64::MAX, None),
        ];
        for (asked, got) in cases {
            assert_eq!(shmem_alignment(asked), got, "alignment {asked}");
        }
    }

    #[test]
    fn auto_capacity_is_one_per_4k_clamped() {
        assert_eq!(auto_capacity(2 << 20), MIN_AUTO_CAPACITY);
        assert_eq!(auto_capacity(256 << 20), 65536);
        assert_eq!(auto_capacity(1 << 44), MAX_AUTO_CAPACITY);
    }

    #[test]
    fn same_calls_same_addresses() {
        let mut a = Region::new(FAKE_BASE, 256 << 20, 0).unwrap();
        let mut b = Region::new(FAKE_BASE, 256 << 20, 0).unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut live = Vec::new();
        for i in 0..5000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if live.len() > 100 && seed % 3 == 0 {
                let k = (seed as usize / 3) % live.len();
                let p = live.swap_remove(k);
                a.free(p).unwrap();
                b.free(p).unwrap();
            } else {
                let size = 1 + (seed % 100_000) as usize;
                let (pa, pb) = if i % 7 == 0 {
                    (a.align(4096, size).unwrap(), b.align(4096, size).unwrap())
                } else {
                    (a.alloc(size).unwrap(), b.alloc(size).unwrap())
                };
                assert_eq!(pa, pb, "call {i}");
                assert!(a.contains(pa));
                live.push(pa);
            }
        }
    }

    #[test]
    fn odd_alignments_are_rounded_and_zero_refused() {
        let mut r = Region::new(FAKE_BASE + (1 << 20), 64 << 20, 0).unwrap();
        assert_eq!(r.base_align(), 1 << 20);
        let _skew = r.alloc(100).unwrap();
        for (asked, got) in [(2usize, 16usize), (63, 64), (65, 128), (1000, 1024)] {
            let p = r.align(asked, 48).unwrap();
            assert_eq!(p % got, 0, "align {asked}");
            r.free(p).unwrap();
        }
        assert_eq!(r.align(0, 100), Err(RegionError::BadAlignment));
        assert_eq!(r.align(64, 0), Err(RegionError::ZeroSize));
        let p = r.align(1 << 20, 10).unwrap();
        assert_eq!(p % (1 << 20), 0);
        assert_eq!(
            r.align(2 << 20, 10),
            Err(RegionError::AlignmentAboveBase {
                align: 2 << 20,
                base_align: 1 << 20
            })
        );
        assert_eq!(r.alloc(0), Err(RegionError::ZeroSize));
    }

    #[test]
    fn heaps_over_4_gib_use_64_bit_offsets() {
        // 12 GiB at a fake base: the heap never touches the memory.
        let mut r = Region::new(FAKE_BASE, 12 << 30, 0).unwrap();
        let big = r.alloc(5 << 30).unwrap();
        let small = r.alloc(64).unwrap();
        assert_eq!(big, FAKE_BASE);
        assert!(small - FAKE_BASE >= 5 << 30, "{small:#x}");
        assert_eq!(r.usable_size(small).unwrap(), 64);
        let high = r.align(1 << 24, 1 << 30).unwrap();
        assert!(high - FAKE_BASE > 4 << 30);
        r.free(big).unwrap();
        r.free(small).unwrap();
        r.free(high).unwrap();
        assert_eq!(r.stats().bytes_in_use, 0);
    }

    #[test]
    fn bad_frees_are_errors_that_change_nothing() {
        let mut r = Region::new(FAKE_BASE, 16 << 20, 0).unwrap();
        let p = r.alloc(1000).unwrap();
        let q = r.alloc(1000).unwrap();
        let before = r.stats();
        assert_eq!(
            r.free(p + 16),
            Err(RegionError::Heap(Error::InvalidPointer))
        );
        assert_eq!(r.free(FAKE_BASE - 16), Err(RegionError::Foreign));
        assert_eq!(r.free(FAKE_BASE + (16 << 20)), Err(RegionError::Foreign));
        assert_eq!(r.stats(), before);
        r.free(p).unwrap();
        assert_eq!(r.free(p), Err(RegionError::Heap(Error::DoubleFree)));
        assert_eq!(r.counters().bad_frees, 4);
        // q is still live and p's space is reused by the same request.
        assert_eq!(r.usable_size(q).unwrap(), 1024); // 1000 B rounded to its size class
        assert_eq!(r.alloc(1000).unwrap(), p);
    }

    /// A region over real memory, aligned to 4 KiB.
    struct Memory {
        buf: Vec<u8>,
    }

    impl Memory {
        fn new(len: usize) -> Memory {
            Memory {
                buf: vec![0u8; len + 4096],
            }
        }
        fn region(&mut self, len: usize) -> Region {
            let base = self.buf.as_mut_ptr() as usize;
            Region::new(base.next_multiple_of(4096), len as u64, 0).unwrap()
        }
    }

    fn fill(p: usize, len: usize, seed: u8) {
        for i in 0..len {
            // SAFETY: test memory owned by `Memory`, inside a live block.
            unsafe { *((p + i) as *mut u8) = seed.wrapping_add(i as u8) };
        }
    }

    fn check(p: usize, len: usize, seed: u8) {
        for i in 0..len {
            // SAFETY: test memory owned by `Memory`, inside a live block.
            let byte = unsafe { *((p + i) as *const u8) };
            assert_eq!(byte, seed.wrapping_add(i as u8));
        }
    }

    #[test]
    fn realloc_grows_in_place_when_it_can_and_moves_otherwise() {
        const LEN: usize = 1 << 20;
        const S: usize = LEN / 8;
        let mut mem = Memory::new(LEN);
        let mut r = mem.region(LEN);
        // Alone in the heap: the space after the block is free, so it grows in place.
        let p = r.alloc(100).unwrap();
        fill(p, 100, 7);
        // SAFETY: the region is `mem`'s memory, used only here.
        assert_eq!(unsafe { r.realloc(p, 5000) }, Ok(Resized::InPlace));
        assert_eq!(r.usable_size(p).unwrap(), 5120); // 5000 B rounded to its size class
        check(p, 100, 7);
        r.free(p).unwrap();
        // A fresh heap over the same memory: eight blocks of S fill it; free two neighbours:
        // the only room for 2 S. (In the first heap, `p` waits on its class's free list.)
        drop(r);
        let mut r = mem.region(LEN);
        let mut b: Vec<usize> = (0..8).map(|_| r.alloc(S).unwrap()).collect();
        b.sort_unstable();
        assert_eq!(r.alloc(16), Err(RegionError::Heap(Error::OutOfMemory)));
        r.free(b[5]).unwrap();
        r.free(b[6]).unwrap();
        fill(b[1], S, 9);
        // b[2] is live right after b[1]: the block moves to the free pair.
        // SAFETY: as above.
        assert_eq!(unsafe { r.realloc(b[1], 2 * S) }, Ok(Resized::Moved(b[5])));
        check(b[5], S, 9);
        assert_eq!(r.free(b[1]), Err(RegionError::Heap(Error::DoubleFree)));
        // Shrinking is in place and keeps the head.
        // SAFETY: as above.
        assert_eq!(unsafe { r.realloc(b[5], 10) }, Ok(Resized::InPlace));
        check(b[5], 10, 9);
        assert_eq!(r.usable_size(b[5]).unwrap(), 16);
        assert_eq!(
            r.counters().in_place,
            1,
            "counted in this (the second) heap"
        );
        // Failure leaves the block and its contents.
        // SAFETY: as above.
        let failed = unsafe { r.realloc(b[5], 2 * LEN) };
        assert_eq!(failed, Err(RegionError::Heap(Error::OutOfMemory)));
        check(b[5], 10, 9);
        assert_eq!(r.usable_size(b[5]).unwrap(), 16);
        // SAFETY: as above.
        let interior = unsafe { r.realloc(b[5] + 8, 10) };
        assert_eq!(interior, Err(RegionError::Heap(Error::InvalidPointer)));
        for x in [b[0], b[2], b[3], b[4], b[5], b[7]] {
            r.free(x).unwrap();
        }
        assert_eq!(r.stats().bytes_in_use, 0);
    }

    #[test]
    fn bad_regions_are_refused() {
        assert_eq!(Region::new(0, 1 << 20, 0).unwrap_err(), Error::BadRegion);
        assert_eq!(Region::new(FAKE_BASE, 8, 0).unwrap_err(), Error::BadRegion);
        assert_eq!(
            Region::new(usize::MAX - 100, 4096, 0).unwrap_err(),
            Error::BadRegion
        );
        assert_eq!(
            Region::new(FAKE_BASE, 1 << 20, usize::MAX).unwrap_err(),
            Error::BadConfig
        );
    }
}
