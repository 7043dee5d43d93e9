//! [`Region`]: memheap-core's offset heap ([`BuddyHeap`]) over one address range that OSHMEM
//! mapped (the user heap or the private heap), handing out addresses.

use core::fmt;

use memheap_core::{BuddyHeap, Config, Error, Realloc};

use memheap_words::ZeroedWords;

/// Alignment of every block (the core's default minimum block): enough for any C type on
/// x86-64 and AArch64, and what `shmem_malloc` promises.
pub const MIN_ALIGN: u64 = 16;

/// Most live blocks a region accepts when the capacity is chosen automatically (about 22 MiB
/// of size table).
pub const MAX_AUTO_CAPACITY: usize = 1 << 20;

/// Live blocks a region of `len` bytes accepts when no capacity is configured: the capacity
/// memheap-core derives for the region ([`Config::capacity_for`]: one block per 2 KiB for
/// large regions, more per byte for small ones), at most [`MAX_AUTO_CAPACITY`]. 131,071 for
/// OSHMEM's default 256 MiB heap, 1023 for its 2 MiB private heap, 2^20 above 2 GiB. The
/// blocks waiting on the core's free lists hold entries too; when the table is full the lists
/// drain first, so only live blocks can exhaust it. `0` for a region too short for a heap.
pub const fn auto_capacity(len: u64) -> usize {
    let c = Config::DEFAULT.capacity_for(len);
    if c > MAX_AUTO_CAPACITY {
        MAX_AUTO_CAPACITY
    } else {
        c
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
    /// No address of the region is a multiple of the alignment (after [`shmem_alignment`]):
    /// no block could ever satisfy it, whatever is free.
    NoAlignedAddress {
        /// The alignment asked for, after rounding.
        align: u64,
    },
    /// The address is not inside this region (a foreign pointer).
    Foreign,
    /// [`Region::new`]: the metadata mapping failed (`errno` of `mmap`).
    Metadata {
        /// Bytes of metadata the region needs.
        bytes: u64,
        /// The error number `mmap` gave.
        errno: i32,
    },
    /// The heap refused (out of memory, size table full, invalid pointer, double free, ...).
    Heap(Error),
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::ZeroSize => f.write_str("size 0: no block"),
            RegionError::BadAlignment => f.write_str("bad alignment: 0 or too large"),
            RegionError::NoAlignedAddress { align } => write!(
                f,
                "no address of the heap is a multiple of the alignment {align}"
            ),
            RegionError::Foreign => f.write_str("not an address of this heap (foreign pointer)"),
            RegionError::Metadata { bytes, errno } => write!(
                f,
                "cannot map {bytes} bytes for the heap's metadata: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
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
/// Placement is the core's default, [`Placement::Packed`](memheap_core::Placement::Packed):
/// sizes rounded up to a size class (at most 1/16 more than asked), a freed block waits on its
/// class's bounded LIFO list and serves the next request of that class, other requests are
/// carved one after the other from a frontier run or taken from the lowest-address free buddy
/// block that fits. Every step follows from the calls made, so the same calls give the same
/// addresses on every PE whose region has the same base. The heap is built with its base as
/// origin ([`BuddyHeap::new_at`]), so an alignment is honoured as an address whatever the
/// base's own alignment. Offsets are 64-bit.
///
/// The metadata lives in its own anonymous mapping ([`ZeroedWords`]) and the heap is built
/// with [`BuddyHeap::new_zeroed`], so only the pages of metadata the heap writes become
/// resident.
pub struct Region {
    base: usize,
    len: u64,
    /// Borrows `meta`'s words for `'static`; always dropped before `meta` (see `Drop`).
    heap: Option<BuddyHeap<'static>>,
    meta: ZeroedWords,
    counters: Counters,
}

impl Region {
    /// A heap over the `len` bytes at `base`, with 16-byte minimum blocks, packed placement and
    /// room for `capacity` live blocks (0: [`auto_capacity`]). Nothing at `base` is touched.
    ///
    /// Errors: [`Error::BadRegion`] (too short, `base` is 0 or not a multiple of 16, or
    /// `base + len` wraps), [`Error::BadConfig`] (capacity too large), and
    /// [`RegionError::Metadata`].
    pub fn new(base: usize, len: u64, capacity: usize) -> Result<Region, RegionError> {
        if (base as u64).checked_add(len).is_none() || base == 0 {
            return Err(Error::BadRegion.into());
        }
        let capacity = if capacity == 0 {
            auto_capacity(len)
        } else {
            capacity
        };
        let config = Config::DEFAULT.with_capacity(capacity);
        if !config.is_valid() {
            return Err(Error::BadConfig.into());
        }
        let words = config.metadata_words(len);
        if words == 0 {
            return Err(Error::BadRegion.into());
        }
        let mut meta = ZeroedWords::new(words).map_err(|errno| RegionError::Metadata {
            bytes: words as u64 * 8,
            errno,
        })?;
        // SAFETY: the words stay mapped until `meta` drops, which `Drop` makes happen only
        // after `heap`, the sole holder of this slice, is dropped; nothing else borrows them.
        let slice: &'static mut [u64] = unsafe { meta.as_mut_slice() };
        // SAFETY: a fresh anonymous mapping is all zero.
        let heap = unsafe { BuddyHeap::new_zeroed(base as u64, len, config, slice) }?;
        Ok(Region {
            base,
            len,
            heap: Some(heap),
            meta,
            counters: Counters::default(),
        })
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

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The core's statistics for this region.
    pub fn stats(&self) -> memheap_core::Stats {
        self.heap().stats()
    }

    /// Bytes of metadata resident in memory now (the pages the heap has written; see
    /// [`ZeroedWords::resident_bytes`]), or `None` when the kernel cannot tell.
    pub fn metadata_resident(&self) -> Option<u64> {
        self.meta.resident_bytes()
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

    fn placed(&mut self, r: Result<u64, RegionError>) -> Result<usize, RegionError> {
        match r {
            Ok(offset) => {
                self.counters.allocs += 1;
                Ok(self.addr_of(offset))
            }
            Err(e) => {
                self.counters.failed += 1;
                Err(e)
            }
        }
    }

    /// A block of `size` bytes aligned to [`MIN_ALIGN`]; its address.
    pub fn alloc(&mut self, size: usize) -> Result<usize, RegionError> {
        if size == 0 {
            return Err(RegionError::ZeroSize);
        }
        let r = self.heap_mut().alloc(size as u64, MIN_ALIGN);
        self.placed(r.map_err(RegionError::from))
    }

    /// A block of `size` bytes whose address is a multiple of `align` rounded by
    /// [`shmem_alignment`] (0 is [`RegionError::BadAlignment`]). Any alignment some address of
    /// the region satisfies is honoured; one that none does is
    /// [`RegionError::NoAlignedAddress`], and one whose first multiple in the region leaves
    /// less than `size` bytes before the end is out of memory (both without touching the heap).
    pub fn align(&mut self, align: usize, size: usize) -> Result<usize, RegionError> {
        let align = shmem_alignment(align as u64).ok_or(RegionError::BadAlignment)?;
        if size == 0 {
            return Err(RegionError::ZeroSize);
        }
        let end = self.base as u64 + self.len;
        let r = match (self.base as u64).checked_next_multiple_of(align) {
            Some(first) if first < end => {
                match first.checked_add(size as u64) {
                    // The core aligns `base + offset` (the heap's origin is the base).
                    Some(last) if last <= end => self
                        .heap_mut()
                        .alloc(size as u64, align)
                        .map_err(RegionError::from),
                    _ => Err(RegionError::Heap(Error::OutOfMemory)),
                }
            }
            _ => Err(RegionError::NoAlignedAddress { align }),
        };
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
    /// `min(old, new)` usable bytes and freeing the old one. Freed blocks waiting on the core's
    /// free lists count as free space here: when they are what keeps the block from growing,
    /// the lists drain (deterministically, as every PE makes the same call) and the block grows
    /// in place. On error nothing changes: the old block stays live with its contents.
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
        let heap = self.heap_mut();
        let old = heap.usable_size(offset)?;
        let mut r = heap.realloc_in_place(offset, new_size as u64);
        if r == Err(Error::NoRoomInPlace) && heap.stats().bytes_listed > 0 {
            heap.flush();
            r = heap.realloc_in_place(offset, new_size as u64);
        }
        let r = match r {
            Err(Error::NoRoomInPlace) => heap.alloc(new_size as u64, MIN_ALIGN).and_then(|new| {
                let size = heap.usable_size(new)?;
                Ok(Realloc::Moved {
                    offset: new,
                    size,
                    copy: old.min(size),
                })
            }),
            Ok(size) => Ok(Realloc::InPlace { size }),
            Err(e) => Err(e),
        };
        match r {
            Ok(Realloc::InPlace { .. }) => {
                self.counters.in_place += 1;
                Ok(Resized::InPlace)
            }
            Ok(Realloc::Moved {
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
        // The heap borrows `meta`'s words: drop it first (`meta` is unmapped after this).
        self.heap = None;
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("base", &format_args!("{:#x}", self.base))
            .field("len", &self.len)
            .field("meta", &self.meta)
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
    fn auto_capacity_is_the_cores_derived_capacity_clamped() {
        assert_eq!(auto_capacity(2 << 20), 1023);
        assert_eq!(auto_capacity(256 << 20), 131_071);
        assert_eq!(
            auto_capacity(256 << 20),
            Config::DEFAULT.capacity_for(256 << 20)
        );
        assert_eq!(auto_capacity(2 << 30), (1 << 20) - 1);
        assert_eq!(auto_capacity(3 << 30), MAX_AUTO_CAPACITY);
        assert_eq!(auto_capacity(1 << 44), MAX_AUTO_CAPACITY);
        assert_eq!(auto_capacity(8), 0);
        let r = Region::new(FAKE_BASE, 256 << 20, 0).unwrap();
        assert_eq!(r.stats().capacity, 131_071);
        let r = Region::new(FAKE_BASE, 256 << 20, 100).unwrap();
        assert_eq!(r.stats().capacity, 100);
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
    fn odd_alignments_are_rounded_and_any_alignment_an_address_has_is_honoured() {
        // A base aligned to 1 MiB only: 0xFF10_0000. The region's 64 MiB hold the 4 GiB-aligned
        // address 0x1_0000_0000 (15 MiB in) and no 8 GiB-aligned one.
        let base = FAKE_BASE + (1 << 20);
        let mut r = Region::new(base, 64 << 20, 0).unwrap();
        let _skew = r.alloc(100).unwrap();
        for (asked, got) in [(2usize, 16usize), (63, 64), (65, 128), (1000, 1024)] {
            let p = r.align(asked, 48).unwrap();
            assert_eq!(p % got, 0, "align {asked}");
            r.free(p).unwrap();
        }
        assert_eq!(r.align(0, 100), Err(RegionError::BadAlignment));
        assert_eq!(r.align(64, 0), Err(RegionError::ZeroSize));
        for shift in [20, 21, 24, 28, 32] {
            let p = r.align(1 << shift, 10).unwrap();
            assert_eq!(p % (1 << shift), 0, "align 2^{shift} gave {p:#x}");
            assert!(r.contains(p));
            r.free(p).unwrap();
        }
        assert_eq!(r.align(1 << 32, 10).unwrap(), 1 << 32);
        let before = r.stats();
        assert_eq!(
            r.align(1 << 33, 10),
            Err(RegionError::NoAlignedAddress { align: 1 << 33 })
        );
        // The first 4 GiB-aligned address leaves 49 MiB: a 50 MiB block cannot fit there.
        assert_eq!(
            r.align(1 << 32, 50 << 20),
            Err(RegionError::Heap(Error::OutOfMemory))
        );
        assert_eq!(r.stats(), before, "refused before the heap was asked");
        assert_eq!(r.counters().failed, 2);
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

    /// A freed block waiting on its class's free list is free space for realloc: the lists
    /// drain and the block grows over it instead of moving.
    #[test]
    fn realloc_grows_over_blocks_waiting_on_the_free_lists() {
        const LEN: usize = 1 << 20;
        let mut mem = Memory::new(LEN);
        let mut r = mem.region(LEN);
        let a = r.alloc(1000).unwrap();
        let b = r.alloc(1000).unwrap();
        assert_eq!(b, a + 1024, "carved one after the other from the frontier");
        fill(a, 1000, 3);
        r.free(b).unwrap();
        assert!(r.stats().bytes_listed > 0, "b waits on its class's list");
        // SAFETY: the region is `mem`'s memory, used only here.
        assert_eq!(unsafe { r.realloc(a, 3000) }, Ok(Resized::InPlace));
        assert_eq!(r.stats().bytes_listed, 0, "the lists drained");
        check(a, 1000, 3);
        assert_eq!(r.usable_size(a).unwrap(), 3072);
        // A live block in the way still makes it move (and nothing is listed to drain).
        let c = r.alloc(16).unwrap();
        assert_eq!(c, a + 3072);
        // SAFETY: as above.
        let moved = unsafe { r.realloc(a, 5000) };
        assert!(
            matches!(moved, Ok(Resized::Moved(to)) if to > c),
            "{moved:?}"
        );
        let c = r.counters();
        assert_eq!((c.allocs, c.frees, c.in_place), (4, 2, 1));
    }

    #[test]
    fn bad_regions_are_refused() {
        let bad = RegionError::Heap(Error::BadRegion);
        assert_eq!(Region::new(0, 1 << 20, 0).unwrap_err(), bad);
        assert_eq!(Region::new(FAKE_BASE, 8, 0).unwrap_err(), bad);
        assert_eq!(Region::new(FAKE_BASE + 8, 1 << 20, 0).unwrap_err(), bad);
        assert_eq!(Region::new(usize::MAX - 100, 4096, 0).unwrap_err(), bad);
        assert_eq!(
            Region::new(FAKE_BASE, 1 << 20, usize::MAX).unwrap_err(),
            RegionError::Heap(Error::BadConfig)
        );
    }

    /// The metadata is a fresh anonymous mapping the heap is built over without writing it:
    /// a 64 GiB region's 1.1 GB of metadata costs a few pages of memory after init and some
    /// work (a fake base: the region itself is never touched).
    #[test]
    fn metadata_pages_are_touched_only_when_used() {
        let mut r = Region::new(FAKE_BASE, 64 << 30, 0).unwrap();
        let s = r.stats();
        assert!(s.metadata_bytes > 1 << 30, "{} bytes", s.metadata_bytes);
        let at_init = r.metadata_resident().unwrap();
        assert!(at_init <= 16 << 10, "{at_init} bytes resident after init");
        let mut live = Vec::new();
        for i in 0..1000usize {
            live.push(r.alloc(16 + (i * 7919) % 100_000).unwrap());
        }
        let big = r.alloc(40 << 30).unwrap();
        for p in live.drain(..).step_by(2) {
            r.free(p).unwrap();
        }
        r.free(big).unwrap();
        let after = r.metadata_resident().unwrap();
        // 1000 table entries spread over the table's pages (one page each at most), the list
        // heads, a few bitmap pages: far below the mapping.
        assert!(after <= 8 << 20, "{after} bytes resident after 1000 blocks");
        assert!(
            after * 100 < s.metadata_bytes,
            "{after} of {}",
            s.metadata_bytes
        );
    }
}
