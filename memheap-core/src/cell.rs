//! [`UnsyncHeap`]: a [`Heap`] for single-threaded code, with no lock at all.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::RefCell;
use core::ptr::{self, NonNull};

use crate::config::Config;
use crate::error::Error;
use crate::heap::Stats;
use crate::ptr_heap::Heap;

/// A [`Heap`] in a `RefCell`: `!Sync`, so the compiler keeps it on one thread, and free of
/// atomics, for single-core firmware. Re-entrant use (allocating from inside `with`) fails
/// with an error (or null from `GlobalAlloc`) instead of corrupting the heap.
pub struct UnsyncHeap {
    heap: RefCell<Option<Heap<'static>>>,
}

impl UnsyncHeap {
    /// An uninitialised heap.
    pub const fn new() -> Self {
        UnsyncHeap {
            heap: RefCell::new(None),
        }
    }

    /// Initialise over a host region, carving metadata from its front (see [`Heap::carve`]).
    ///
    /// # Safety
    /// The region must be writable memory used by nothing else for the rest of the program.
    pub unsafe fn init(
        &self,
        region: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<(), Error> {
        let mut slot = self
            .heap
            .try_borrow_mut()
            .map_err(|_| Error::AlreadyInitialized)?;
        if slot.is_some() {
            return Err(Error::AlreadyInitialized);
        }
        // SAFETY: forwarded from this function's contract.
        *slot = Some(unsafe { Heap::carve(region, len, config)? });
        Ok(())
    }

    /// Initialise over `[base, base + len)` with metadata in `meta`.
    ///
    /// # Safety
    /// As [`LockedHeap::init_with`](crate::LockedHeap::init_with): unless the heap is only
    /// used through the methods that hand out addresses without accessing them, the range
    /// must be readable and writable memory, disjoint from `meta`, used by nothing else for
    /// the rest of the program (the [`GlobalAlloc`] implementation hands its blocks out as
    /// memory).
    pub unsafe fn init_with(
        &self,
        base: NonNull<u8>,
        len: usize,
        config: Config,
        meta: &'static mut [u64],
    ) -> Result<(), Error> {
        let mut slot = self
            .heap
            .try_borrow_mut()
            .map_err(|_| Error::AlreadyInitialized)?;
        if slot.is_some() {
            return Err(Error::AlreadyInitialized);
        }
        *slot = Some(Heap::new(base, len, config, meta)?);
        Ok(())
    }

    /// Run `f` on the heap. [`Error::Uninitialized`] before `init` or when called re-entrantly.
    ///
    /// # Safety
    /// `f` must not replace the heap (`*heap = other`, `mem::swap`, ...): the [`GlobalAlloc`]
    /// implementation hands out the heap's blocks as memory, which is only sound for the
    /// heap installed by `init` or `init_with` under their contracts.
    pub unsafe fn with<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.with_heap(f)
    }

    /// [`UnsyncHeap::with`] for this module's own operations, none of which replaces the heap.
    fn with_heap<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        let mut slot = self
            .heap
            .try_borrow_mut()
            .map_err(|_| Error::Uninitialized)?;
        slot.as_mut().map(f).ok_or(Error::Uninitialized)
    }

    /// Allocate; see [`Heap::alloc`].
    pub fn alloc(&self, size: usize, align: usize) -> Result<NonNull<u8>, Error> {
        self.with_heap(|h| h.alloc(size, align))?
    }

    /// Free; see [`Heap::free`].
    pub fn free(&self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.with_heap(|h| h.free(ptr))?
    }

    /// Statistics.
    pub fn stats(&self) -> Result<Stats, Error> {
        self.with_heap(|h| h.stats())
    }
}

impl Default for UnsyncHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: as for `LockedHeap`: blocks of the heap installed by `init`/`init_with` (whose
// contracts make its region host memory nothing else uses; `with` may not replace it);
// distinct, aligned, large-enough blocks, null on failure, frees of
// foreign pointers are ignored errors. The `RefCell` gives exclusive access per call.
unsafe impl GlobalAlloc for UnsyncHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match UnsyncHeap::alloc(self, layout.size(), layout.align()) {
            Ok(p) => p.as_ptr(),
            Err(_) => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            let _ = self.free(p);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(p) = NonNull::new(ptr) else {
            return ptr::null_mut();
        };
        // SAFETY: GlobalAlloc's contract: `ptr` is a live block of ours, not accessed during
        // the call, inside the initialised host region.
        match self.with_heap(|h| unsafe { h.realloc(p, new_size, layout.align()) }) {
            Ok(Ok(n)) => n.as_ptr(),
            _ => ptr::null_mut(),
        }
    }
}
