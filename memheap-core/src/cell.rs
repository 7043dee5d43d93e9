//! [`UnsyncHeap`]: a [`Heap`] for single-threaded code, with no lock at all, and
//! [`AssumeSingleThreaded`], which lets it be the global allocator where that is sound.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::RefCell;
use core::ptr::NonNull;

use crate::config::Config;
use crate::error::Error;
use crate::heap::Stats;
use crate::ptr_heap::Heap;
use crate::slot::{global_alloc, global_dealloc, global_realloc, Slot};

/// A [`Heap`] in a `RefCell`: `!Sync`, so the compiler keeps it on one thread, and free of
/// atomics, for single-core firmware. Re-entrant use (allocating from inside `with`) fails
/// with an error (or null from `GlobalAlloc`) instead of corrupting the heap.
///
/// To make it the global allocator of a program that is single-threaded, wrap it in
/// [`AssumeSingleThreaded`].
pub struct UnsyncHeap {
    slot: RefCell<Slot>,
}

impl UnsyncHeap {
    /// An uninitialised heap.
    pub const fn new() -> Self {
        UnsyncHeap {
            slot: RefCell::new(Slot::empty()),
        }
    }

    /// A heap over `arena`, carved with [`Config::DEFAULT`] on first use (see
    /// [`LockedHeap::claim`](crate::LockedHeap::claim)).
    ///
    /// # Safety
    /// `arena` must be writable memory that nothing else uses for the rest of the program.
    pub const unsafe fn claim(arena: *mut [u8]) -> Self {
        UnsyncHeap {
            slot: RefCell::new(Slot::claim(arena, Config::DEFAULT)),
        }
    }

    /// [`UnsyncHeap::claim`] with another configuration.
    ///
    /// # Safety
    /// As [`UnsyncHeap::claim`].
    pub const unsafe fn claim_with(arena: *mut [u8], config: Config) -> Self {
        UnsyncHeap {
            slot: RefCell::new(Slot::claim(arena, config)),
        }
    }

    /// The slot, or [`Error::Uninitialized`] when it is borrowed (a re-entrant call).
    fn slot(&self) -> Result<core::cell::RefMut<'_, Slot>, Error> {
        self.slot.try_borrow_mut().map_err(|_| Error::Uninitialized)
    }

    /// Initialise over a host region, carving metadata from its front (see [`Heap::carve`]).
    /// [`Error::AlreadyInitialized`] when a heap exists or an arena is pending.
    ///
    /// # Safety
    /// The region must be writable memory used by nothing else for the rest of the program.
    pub unsafe fn init(
        &self,
        region: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<(), Error> {
        let mut slot = self.slot().map_err(|_| Error::AlreadyInitialized)?;
        // SAFETY: forwarded from this function's contract.
        slot.install(|| unsafe { Heap::carve(region, len, config) })
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
        let mut slot = self.slot().map_err(|_| Error::AlreadyInitialized)?;
        slot.install(|| Heap::new(base, len, config, meta))
    }

    /// Run `f` on the heap. [`Error::Uninitialized`] before `init` or when called re-entrantly.
    ///
    /// # Safety
    /// `f` must not replace the heap (`*heap = other`, `mem::swap`, ...) and must not free a
    /// block that safe code owns: the [`GlobalAlloc`] implementation hands out the heap's
    /// blocks as memory, which is only sound for the heap installed under the
    /// `init`/`claim` contracts.
    pub unsafe fn with<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.with_heap(f)
    }

    /// [`UnsyncHeap::with`] for this module's own operations.
    fn with_heap<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.slot()?.heap().map(f)
    }

    /// Allocate; see [`Heap::alloc`].
    pub fn try_alloc(&self, size: usize, align: usize) -> Result<NonNull<u8>, Error> {
        self.with_heap(|h| h.alloc(size, align))?
    }

    /// Free; see [`Heap::free`].
    ///
    /// # Safety
    /// As [`LockedHeap::try_free`](crate::LockedHeap::try_free): `ptr` must not be memory that
    /// safe code owns.
    pub unsafe fn try_free(&self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.with_heap(|h| h.free(ptr))?
    }

    /// Resize, moving (and copying) if needed; see [`Heap::realloc`].
    ///
    /// # Safety
    /// As [`Heap::realloc`] and [`UnsyncHeap::try_free`].
    pub unsafe fn try_realloc(
        &self,
        ptr: NonNull<u8>,
        new_size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, Error> {
        // SAFETY: forwarded from this function's contract.
        self.with_heap(|h| unsafe { h.realloc(ptr, new_size, align) })?
    }

    /// Usable size; see [`Heap::usable_size`].
    pub fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        self.with_heap(|h| h.usable_size(ptr))?
    }

    /// Drain the free lists; see [`crate::BuddyHeap::flush`].
    pub fn flush(&self) -> Result<(), Error> {
        self.with_heap(|h| h.flush())
    }

    /// Statistics.
    pub fn stats(&self) -> Result<Stats, Error> {
        self.with_heap(|h| h.stats())
    }

    /// Check the invariants; see [`crate::BuddyHeap::check`].
    pub fn check(&self) -> Result<Result<(), &'static str>, Error> {
        self.with_heap(|h| h.check())
    }
}

impl Default for UnsyncHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: as for `LockedHeap`: blocks of the heap installed under the `init`/`claim`
// contracts (`with` may not replace it or free owned blocks); distinct, aligned, large-enough
// blocks, null on failure (including a re-entrant call, which finds the `RefCell` borrowed);
// frees of foreign pointers are ignored errors. The `RefCell` gives exclusive access per call.
unsafe impl GlobalAlloc for UnsyncHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.slot() {
            Ok(mut s) => global_alloc(&mut s, layout),
            Err(_) => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if let Ok(mut s) = self.slot() {
            global_dealloc(&mut s, ptr)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match self.slot() {
            // SAFETY: GlobalAlloc's contract: `ptr` is a live block of ours, not accessed
            // during the call, inside the host region.
            Ok(mut s) => unsafe { global_realloc(&mut s, ptr, layout, new_size) },
            Err(_) => core::ptr::null_mut(),
        }
    }
}

#[cfg(feature = "allocator-api2")]
mod api2 {
    use super::*;
    use allocator_api2::alloc::{AllocError, Allocator};

    // SAFETY: as for `&LockedHeap`: distinct, aligned, large-enough blocks whose usable size
    // is the slice length; `deallocate` frees only what the heap handed out; the `RefCell`
    // gives each call exclusive access (a re-entrant call fails with `AllocError`).
    unsafe impl Allocator for &UnsyncHeap {
        fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
            self.with_heap(|h| {
                let p = h
                    .alloc(layout.size(), layout.align())
                    .map_err(|_| AllocError)?;
                let n = h.usable_size(p).map_err(|_| AllocError)?;
                Ok(NonNull::slice_from_raw_parts(p, n))
            })
            .map_err(|_| AllocError)?
        }

        unsafe fn deallocate(&self, ptr: NonNull<u8>, _layout: Layout) {
            if let Ok(mut s) = self.slot() {
                global_dealloc(&mut s, ptr.as_ptr())
            }
        }
    }
}

/// Makes a `!Sync` allocator such as [`UnsyncHeap`] usable as `#[global_allocator]` in a
/// program that never calls the allocator from two threads, nor from an interrupt handler:
///
/// ```
/// use memheap_core::{AssumeSingleThreaded, UnsyncHeap};
///
/// static mut ARENA: [u8; 64 << 10] = [0; 64 << 10];
/// // SAFETY: this program has one thread and no signal handler that allocates; ARENA is
/// // used by nothing else.
/// #[global_allocator]
/// static HEAP: AssumeSingleThreaded<UnsyncHeap> =
///     unsafe { AssumeSingleThreaded::new(UnsyncHeap::claim(&raw mut ARENA)) };
///
/// fn main() {
///     let s = format!("{}-{}", "single", 1);
///     assert_eq!(s, "single-1");
/// }
/// ```
///
/// On single-core firmware with interrupts that allocate, use
/// [`LockedHeap`](crate::LockedHeap) with the `critical-section` lock instead.
pub struct AssumeSingleThreaded<A>(A);

impl<A> AssumeSingleThreaded<A> {
    /// Wrap `a`.
    ///
    /// # Safety
    /// The program must never use the wrapped value from two threads, nor from an interrupt
    /// or signal handler that can run while it is in use.
    pub const unsafe fn new(a: A) -> Self {
        AssumeSingleThreaded(a)
    }

    /// The wrapped value.
    pub const fn get(&self) -> &A {
        &self.0
    }
}

// SAFETY: `new`'s contract: only one thread ever uses the value, so sharing the reference is
// never concurrent use.
unsafe impl<A> Sync for AssumeSingleThreaded<A> {}

// SAFETY: forwards to the wrapped allocator, whose own guarantees hold; `new`'s contract rules
// out the concurrent use that `A` (not `Sync`) cannot tolerate.
unsafe impl<A: GlobalAlloc> GlobalAlloc for AssumeSingleThreaded<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}
