//! [`Heap`]: a [`BuddyHeap`] over a host memory range, handing out pointers.

use core::ptr::NonNull;

use crate::config::Config;
use crate::error::Error;
use crate::heap::{BuddyHeap, Realloc, Stats};

/// Largest alignment [`Heap::carve`] gives the start of the managed range (when the region is
/// long enough to afford it).
pub const CARVE_ALIGN: usize = 4096;

/// A buddy heap over the addresses `[base, base + len)`.
///
/// It computes addresses only: it never reads or writes the range, except [`Heap::realloc`],
/// which copies the block's contents when it has to move it, and [`Heap::carve`], which keeps
/// the metadata at the front of the range. Every pointer it returns is derived from `base`
/// (strict provenance). Any power-of-two alignment is honoured as an absolute address,
/// whatever the alignment of `base`.
pub struct Heap<'m> {
    base: NonNull<u8>,
    inner: BuddyHeap<'m>,
}

// SAFETY: `Heap` holds a base pointer it never dereferences (only `realloc` and the caller's
// own code access the memory, under their own contracts) and exclusive metadata borrows;
// nothing in it is tied to a thread.
unsafe impl Send for Heap<'_> {}

impl<'m> Heap<'m> {
    /// A heap over `[base, base + len)` with metadata in `meta`. A `base` that is not a
    /// multiple of the minimum block is rounded up to one (the bytes skipped are not managed).
    ///
    /// Errors: [`Error::BadRegion`] if the range wraps around the address space or is shorter
    /// than one minimum block, and the errors of [`BuddyHeap::new`].
    pub fn new(
        base: NonNull<u8>,
        len: usize,
        config: Config,
        meta: &'m mut [u64],
    ) -> Result<Self, Error> {
        let (base, len) = Self::round_base(base, len, config)?;
        let inner = BuddyHeap::new_at(base.as_ptr() as usize as u64, len as u64, config, meta)?;
        Ok(Heap { base, inner })
    }

    fn round_base(
        base: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<(NonNull<u8>, usize), Error> {
        if !config.is_valid() {
            return Err(Error::BadConfig);
        }
        let addr = base.as_ptr() as usize;
        if addr.checked_add(len).is_none() {
            return Err(Error::BadRegion);
        }
        let pad = addr.wrapping_neg() & ((1usize << config.min_order) - 1);
        if pad >= len {
            return Err(Error::BadRegion);
        }
        let rounded = base.as_ptr().wrapping_add(pad);
        // SAFETY: `addr + pad` lies inside the non-wrapping range `[addr, addr + len)` and
        // `addr` is not 0, so the rounded address is not null either.
        Ok((unsafe { NonNull::new_unchecked(rounded) }, len - pad))
    }

    /// A heap over a host region whose front holds the heap's own metadata: the metadata is
    /// carved from the start of `[region, region + len)` and the heap manages what follows,
    /// starting at an address aligned to [`CARVE_ALIGN`] when the region is at least 64 times
    /// that long (to 64 bytes otherwise). Works for any region from 1 KiB up with the default
    /// configuration (derived capacity); see `Config::metadata_bytes` for what it costs.
    ///
    /// Errors: [`Error::BadRegion`] (the range wraps around the address space),
    /// [`Error::MetadataTooSmall`] (the region cannot hold its own metadata and one block),
    /// [`Error::BadConfig`].
    ///
    /// # Safety
    /// `[region, region + len)` must be writable memory that nothing else uses for `'m`: the
    /// metadata is written there.
    pub unsafe fn carve(
        region: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<Heap<'m>, Error> {
        if !config.is_valid() {
            return Err(Error::BadConfig);
        }
        let start = region.as_ptr() as usize;
        let end = start.checked_add(len).ok_or(Error::BadRegion)?;
        let meta_start = start.checked_next_multiple_of(8).ok_or(Error::BadRegion)?;
        if meta_start >= end {
            return Err(Error::MetadataTooSmall);
        }
        // The metadata for the whole region bounds the metadata for what is left after it.
        let words = config.metadata_words((end - meta_start) as u64);
        if words == 0 {
            return Err(Error::MetadataTooSmall);
        }
        let align = if len >= 64 * CARVE_ALIGN {
            CARVE_ALIGN
        } else {
            64
        };
        // Checked: near the top of the address space the metadata's end could wrap around
        // to an address below `end`, and the zeroing below would then run past the region.
        let heap_start = words
            .checked_mul(8)
            .and_then(|bytes| meta_start.checked_add(bytes))
            .and_then(|meta_end| meta_end.checked_next_multiple_of(align))
            .ok_or(Error::BadRegion)?;
        if heap_start >= end || config.metadata_words((end - heap_start) as u64) == 0 {
            return Err(Error::MetadataTooSmall);
        }
        let meta_ptr = region
            .as_ptr()
            .wrapping_add(meta_start - start)
            .cast::<u64>();
        // SAFETY: `[meta_start, meta_start + 8 * words)` lies inside the region (it ends at or
        // before `heap_start < end`), is 8-aligned, and the caller gives us exclusive use of
        // the region for `'m`. Zeroing it first makes every word initialised.
        let meta = unsafe {
            core::ptr::write_bytes(meta_ptr, 0, words);
            core::slice::from_raw_parts_mut(meta_ptr, words)
        };
        let base = region.as_ptr().wrapping_add(heap_start - start);
        // SAFETY: `heap_start` is inside the region, so it is not null.
        let base = unsafe { NonNull::new_unchecked(base) };
        let (base, len) = Self::round_base(base, end - heap_start, config)?;
        // SAFETY: the metadata words were zeroed just above.
        let inner = unsafe {
            BuddyHeap::new_zeroed(base.as_ptr() as usize as u64, len as u64, config, meta)?
        };
        Ok(Heap { base, inner })
    }

    /// First address of the managed range.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// The offset heap underneath.
    pub fn inner(&self) -> &BuddyHeap<'m> {
        &self.inner
    }

    /// Does `ptr` point into the managed range?
    pub fn contains(&self, ptr: *const u8) -> bool {
        let a = ptr as usize;
        let b = self.base.as_ptr() as usize;
        a >= b && ((a - b) as u64) < self.inner.len()
    }

    #[inline(always)]
    fn offset_of(&self, ptr: NonNull<u8>) -> Result<u64, Error> {
        let a = ptr.as_ptr() as usize;
        let b = self.base.as_ptr() as usize;
        if a < b {
            return Err(Error::InvalidPointer);
        }
        Ok((a - b) as u64)
    }

    #[inline(always)]
    fn ptr_at(&self, offset: u64) -> NonNull<u8> {
        let p = self.base.as_ptr().wrapping_add(offset as usize);
        // SAFETY: offsets returned by the inner heap are below `len`, and `base + len` does
        // not wrap (checked in `new`), so `p` is a non-null address derived from `base`.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// The free-list hit of [`Heap::alloc`] for a `Layout`: `None` when the request needs the
    /// full path.
    #[inline(always)]
    pub(crate) fn alloc_hit(&mut self, layout: core::alloc::Layout) -> Option<NonNull<u8>> {
        let off = self
            .inner
            .alloc_hit(layout.size() as u64, layout.align() as u64)?;
        Some(self.ptr_at(off))
    }

    /// The free-list hit of [`Heap::free`]: `false` when the free needs the full path.
    #[inline(always)]
    pub(crate) fn free_hit(&mut self, ptr: NonNull<u8>) -> bool {
        let off = (ptr.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        self.inner.free_hit(off as u64).is_some()
    }

    /// [`Heap::alloc`] for a `Layout` (whose alignment is a power of two).
    #[inline(always)]
    pub(crate) fn alloc_layout(
        &mut self,
        layout: core::alloc::Layout,
    ) -> Result<NonNull<u8>, Error> {
        let off = self
            .inner
            .alloc_pow2(layout.size() as u64, layout.align() as u64)?;
        Ok(self.ptr_at(off))
    }

    /// Allocate `size` bytes aligned to `align` (a power of two). See [`BuddyHeap::alloc`].
    #[inline(always)]
    pub fn alloc(&mut self, size: usize, align: usize) -> Result<NonNull<u8>, Error> {
        let off = self.inner.alloc(size as u64, align as u64)?;
        Ok(self.ptr_at(off))
    }

    /// Free the block at `ptr`. Foreign, interior and double frees are errors that change
    /// nothing. (Freeing does not touch the memory; using the block afterwards is the
    /// caller's bug, as with any allocator.)
    #[inline(always)]
    pub fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        let off = self.offset_of(ptr)?;
        self.inner.free(off).map(|_| ())
    }

    /// Usable size of the block at `ptr`.
    pub fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        let off = self.offset_of(ptr)?;
        self.inner.usable_size(off).map(|s| s as usize)
    }

    /// Resize without moving. See [`BuddyHeap::realloc_in_place`].
    pub fn realloc_in_place(&mut self, ptr: NonNull<u8>, new_size: usize) -> Result<usize, Error> {
        let off = self.offset_of(ptr)?;
        self.inner
            .realloc_in_place(off, new_size as u64)
            .map(|s| s as usize)
    }

    /// Resize the block at `ptr` to `new_size`, keeping `align`: in place if possible,
    /// otherwise allocate, copy `min(old, new)` bytes and free the old block. On error the old
    /// block and its contents are untouched.
    ///
    /// # Safety
    /// The managed range must be readable and writable memory, and nothing may access the
    /// block at `ptr` or the new block during the call.
    pub unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        new_size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, Error> {
        let off = self.offset_of(ptr)?;
        match self
            .inner
            .realloc_aligned(off, new_size as u64, align as u64)?
        {
            Realloc::InPlace { .. } => Ok(ptr),
            Realloc::Moved { offset, copy, .. } => {
                let new = self.ptr_at(offset);
                // SAFETY: both blocks lie inside the managed range, which the caller promises
                // is readable/writable memory; they are distinct live blocks so they do not
                // overlap, and `copy` is at most the usable size of each.
                unsafe {
                    core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), copy as usize)
                };
                let freed = self.inner.free(off);
                debug_assert!(freed.is_ok());
                Ok(new)
            }
        }
    }

    /// Drain the free lists into the buddy heap. See [`BuddyHeap::flush`].
    pub fn flush(&mut self) {
        self.inner.flush()
    }

    /// Statistics. See [`Stats`].
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    /// Check the heap's invariants. See [`BuddyHeap::check`].
    pub fn check(&self) -> Result<(), &'static str> {
        self.inner.check()
    }
}

impl core::fmt::Debug for Heap<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Heap")
            .field("base", &self.base)
            .field("inner", &self.inner)
            .finish()
    }
}
