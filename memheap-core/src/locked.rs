//! [`LockedHeap`]: a [`Heap`] behind a lock, usable as `#[global_allocator]`.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use lock_api::RawMutex;

use crate::config::Config;
use crate::error::Error;
use crate::heap::Stats;
use crate::lock::DefaultLock;
use crate::ptr_heap::Heap;
use crate::slot::{global_alloc, global_dealloc, global_realloc, Slot};
use crate::sync::{CellMut, UnsafeCell};

/// A [`Heap`] behind a raw lock `R` (default [`DefaultLock`]: the spin lock
/// [`RawSpin`](crate::RawSpin) on targets with compare-and-swap), usable as the global
/// allocator.
///
/// `const`-constructible over a static array, claimed on first use — no init call, so it
/// works in an ordinary `std` program, which allocates before `main`:
///
/// ```
/// use memheap_core::LockedHeap;
///
/// static mut ARENA: [u8; 1 << 20] = [0; 1 << 20];
/// // SAFETY: ARENA is used by nothing else, for the whole program.
/// #[global_allocator]
/// static HEAP: LockedHeap = unsafe { LockedHeap::claim(&raw mut ARENA) };
///
/// fn main() {
///     let v: Vec<u32> = (0..1000).collect();
///     assert_eq!(v.iter().sum::<u32>(), 499_500);
///     assert!(HEAP.stats().unwrap().live_blocks >= 1);
/// }
/// ```
///
/// Alternatively build it empty ([`LockedHeap::new`]) and call [`LockedHeap::init`] or
/// [`LockedHeap::init_with`] (metadata outside the region) before the first allocation.
///
/// The inherent methods are named `try_*` so that they never shadow [`GlobalAlloc`]'s:
/// `HEAP.alloc(layout)` is the trait method.
pub struct LockedHeap<R = DefaultLock> {
    raw: R,
    slot: UnsafeCell<Slot>,
}

// SAFETY: the heap inside is only reached through `with_slot`, which holds the lock for the
// whole access, so sharing `&LockedHeap` between threads gives each access exclusive use; the
// heap is `Send`, and the arena pointer is only used under the lock.
unsafe impl<R: RawMutex + Sync> Sync for LockedHeap<R> {}
// SAFETY: moving the lock and the heap to another thread is fine: `Heap` is `Send`, the arena
// is memory for the program's whole life, and a raw mutex that is not held has no affinity.
unsafe impl<R: RawMutex + Send> Send for LockedHeap<R> {}

/// Unlocks on drop, so a panic inside `with` cannot leave the lock held.
struct Unlock<'a, R: RawMutex>(&'a R);

/// The slot, locked: the access ends (field `slot` drops) before the lock is released (field
/// `_unlock` drops after it).
struct Locked<'a, R: RawMutex> {
    slot: CellMut<'a, Slot>,
    _unlock: Unlock<'a, R>,
}

impl<R: RawMutex> Drop for Unlock<'_, R> {
    fn drop(&mut self) {
        // SAFETY: an `Unlock` is only built right after `lock()` succeeded in this context.
        unsafe { self.0.unlock() }
    }
}

impl<R: RawMutex> LockedHeap<R> {
    /// An uninitialised heap; call [`LockedHeap::init`] or [`LockedHeap::init_with`] before
    /// use. (Not available under `--cfg loom`; use [`LockedHeap::with_raw`].)
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        LockedHeap {
            raw: R::INIT,
            slot: UnsafeCell::new(Slot::empty()),
        }
    }

    /// A heap over `arena`, carved (metadata at its front, see [`Heap::carve`]) with
    /// [`Config::DEFAULT`] on first use. An arena that cannot hold a heap makes every
    /// allocation fail (null from [`GlobalAlloc`]).
    ///
    /// # Safety
    /// `arena` must be writable memory that nothing else uses for the rest of the program
    /// (typically `&raw mut ARENA` of a `static mut ARENA: [u8; N]` nothing else names).
    #[cfg(not(loom))]
    pub const unsafe fn claim(arena: *mut [u8]) -> Self {
        LockedHeap {
            raw: R::INIT,
            slot: UnsafeCell::new(Slot::claim(arena, Config::DEFAULT)),
        }
    }

    /// [`LockedHeap::claim`] with another configuration.
    ///
    /// # Safety
    /// As [`LockedHeap::claim`].
    #[cfg(not(loom))]
    pub const unsafe fn claim_with(arena: *mut [u8], config: Config) -> Self {
        LockedHeap {
            raw: R::INIT,
            slot: UnsafeCell::new(Slot::claim(arena, config)),
        }
    }

    /// An uninitialised heap guarded by `raw`.
    #[cfg(not(loom))]
    pub const fn with_raw(raw: R) -> Self {
        LockedHeap {
            raw,
            slot: UnsafeCell::new(Slot::empty()),
        }
    }

    /// An uninitialised heap guarded by `raw`.
    #[cfg(loom)]
    pub fn with_raw(raw: R) -> Self {
        LockedHeap {
            raw,
            slot: UnsafeCell::new(Slot::empty()),
        }
    }

    /// Take the lock; the slot is exclusively ours until the guard drops.
    #[inline(always)]
    fn lock(&self) -> Locked<'_, R> {
        self.raw.lock();
        let unlock = Unlock(&self.raw);
        Locked {
            // SAFETY: the lock is held until `_unlock` drops, which is after `slot` drops, so
            // this is the only access to the slot meanwhile.
            slot: unsafe { self.slot.get_mut() },
            _unlock: unlock,
        }
    }

    /// Run `f` on the slot with the lock held.
    #[inline(always)]
    fn with_slot<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(&mut self.lock().slot)
    }

    /// Run `f` on the heap with the lock held (claiming the arena first if the heap was built
    /// with [`LockedHeap::claim`]). [`Error::Uninitialized`] before `init`.
    ///
    /// # Safety
    /// `f` must not replace the heap (`*heap = other`, `mem::swap`, ...): the
    /// [`GlobalAlloc`] and `Allocator` implementations hand out the heap's blocks as memory,
    /// which is only sound for the heap installed under the `init`/`claim` contracts. It must
    /// not free a block that safe code owns (a `Box`, a `Vec`, ...), and must not call into
    /// this `LockedHeap` (the lock is held: that never returns).
    ///
    /// ```compile_fail,E0133
    /// # use memheap_core::LockedHeap;
    /// static HEAP: LockedHeap = LockedHeap::new();
    /// let _ = HEAP.with(|_heap| ()); // needs `unsafe`
    /// ```
    #[inline]
    pub unsafe fn with<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.with_heap(f)
    }

    /// [`LockedHeap::with`] for this module's own operations, none of which replaces the heap
    /// or frees memory safe code owns.
    #[inline(always)]
    fn with_heap<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.with_slot(|s| s.heap().map(f))
    }

    /// Initialise over `[region, region + len)`, carving the metadata from its front (see
    /// [`Heap::carve`]), under the lock. [`Error::AlreadyInitialized`] when a heap exists (or
    /// an arena is pending from [`LockedHeap::claim`]); nothing is written then.
    ///
    /// # Safety
    /// The region must be writable memory used by nothing else for the rest of the program.
    pub unsafe fn init(
        &self,
        region: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<(), Error> {
        // SAFETY: forwarded from this function's contract; `install` calls the closure only
        // when no heap exists, under the lock.
        self.with_slot(|s| s.install(|| unsafe { Heap::carve(region, len, config) }))
    }

    /// Initialise over `[base, base + len)` with metadata in `meta`. The heap never touches
    /// the range itself (only `realloc` copies block contents), so this suits memory the CPU
    /// should not write, provided the heap is only used through the `try_*` methods.
    ///
    /// # Safety
    /// Unless this heap is only ever used through [`LockedHeap::try_alloc`],
    /// [`LockedHeap::try_free`], [`LockedHeap::try_resize_in_place`],
    /// [`LockedHeap::usable_size`] and the statistics (which hand out addresses, never access
    /// them), `[base, base + len)` must be readable and writable memory, disjoint from `meta`,
    /// used by nothing else for the rest of the program: the [`GlobalAlloc`] and `Allocator`
    /// implementations give its blocks to safe code as memory.
    ///
    /// ```compile_fail,E0133
    /// # use core::ptr::NonNull;
    /// # use memheap_core::{Config, LockedHeap};
    /// static HEAP: LockedHeap = LockedHeap::new();
    /// let meta = Box::leak(vec![0u64; Config::DEFAULT.metadata_words(4096)].into_boxed_slice());
    /// // Not memory: with `HEAP` as the global allocator, `Box::new` would write there.
    /// HEAP.init_with(NonNull::dangling(), 4096, Config::DEFAULT, meta).unwrap();
    /// ```
    pub unsafe fn init_with(
        &self,
        base: NonNull<u8>,
        len: usize,
        config: Config,
        meta: &'static mut [u64],
    ) -> Result<(), Error> {
        self.with_slot(|s| s.install(|| Heap::new(base, len, config, meta)))
    }

    /// Allocate `size` bytes aligned to `align`; see [`Heap::alloc`].
    #[inline]
    pub fn try_alloc(&self, size: usize, align: usize) -> Result<NonNull<u8>, Error> {
        self.with_heap(|h| h.alloc(size, align))?
    }

    /// Free the block at `ptr`; see [`Heap::free`]. Foreign, interior and double frees are
    /// errors that change nothing.
    ///
    /// # Safety
    /// If `ptr` is a block of this heap, nothing may use it afterwards: it must not be memory
    /// that safe code owns (a block [`GlobalAlloc`] or `Allocator` gave to a `Box`, `Vec`,
    /// ...), only a block from [`LockedHeap::try_alloc`] / [`LockedHeap::try_realloc`].
    ///
    /// ```compile_fail,E0133
    /// # use memheap_core::LockedHeap;
    /// static HEAP: LockedHeap = LockedHeap::new();
    /// let p = HEAP.try_alloc(16, 16).unwrap();
    /// HEAP.try_free(p).unwrap(); // needs `unsafe`
    /// ```
    #[inline]
    pub unsafe fn try_free(&self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.with_heap(|h| h.free(ptr))?
    }

    /// Resize in place; see [`Heap::realloc_in_place`].
    ///
    /// # Safety
    /// As [`LockedHeap::try_free`] (shrinking frees the block's tail).
    pub unsafe fn try_resize_in_place(
        &self,
        ptr: NonNull<u8>,
        new_size: usize,
    ) -> Result<usize, Error> {
        self.with_heap(|h| h.realloc_in_place(ptr, new_size))?
    }

    /// Resize, moving (and copying) if needed; see [`Heap::realloc`].
    ///
    /// # Safety
    /// As [`Heap::realloc`] and [`LockedHeap::try_free`].
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

#[cfg(not(loom))]
impl<R: RawMutex> Default for LockedHeap<R> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks come from the heap installed under the `init`/`init_with`/`claim` contracts,
// whose region is host memory that nothing else uses (and `with` may neither replace that heap
// nor free blocks safe code owns); the heap never hands out overlapping live blocks, aligns
// them to `layout.align()` (or fails) and makes them at least `layout.size()` bytes; `dealloc`
// and `realloc` only accept what the heap handed out (anything else is an error that is
// ignored, never corruption). Allocation failure returns null, as required; nothing panics
// (and so nothing unwinds out of the allocator).
unsafe impl<R: RawMutex> GlobalAlloc for LockedHeap<R> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut locked = self.lock();
        // The free-list hit needs no call: the entry point stays small, and everything else
        // continues, lock held, out of line.
        if let Some(p) = locked.slot.ready().and_then(|h| h.alloc_hit(layout)) {
            return p.as_ptr();
        }
        alloc_rest(locked, layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        let mut locked = self.lock();
        if let (Some(h), Some(p)) = (locked.slot.ready(), NonNull::new(ptr)) {
            if h.free_hit(p) {
                return;
            }
        }
        dealloc_rest(locked, ptr)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc's contract: `ptr` is a live block of this allocator, which the
        // caller does not access during the call, inside the host region.
        unsafe { global_realloc(&mut self.lock().slot, ptr, layout, new_size) }
    }
}

/// [`GlobalAlloc::alloc`] past the free-list hit, with the lock held (released on return).
#[inline(never)]
fn alloc_rest<R: RawMutex>(mut locked: Locked<'_, R>, layout: Layout) -> *mut u8 {
    global_alloc(&mut locked.slot, layout)
}

/// [`GlobalAlloc::dealloc`] past the free-list hit, with the lock held (released on return).
#[inline(never)]
fn dealloc_rest<R: RawMutex>(mut locked: Locked<'_, R>, ptr: *mut u8) {
    global_dealloc(&mut locked.slot, ptr)
}

#[cfg(feature = "allocator-api2")]
mod api2 {
    use super::*;
    use allocator_api2::alloc::{AllocError, Allocator};

    // SAFETY: as for GlobalAlloc: blocks are distinct, aligned and at least as large as the
    // layout; the returned slice length is the block's usable size, which the block really
    // has; `deallocate` frees only what the heap handed out. Blocks stay valid while the
    // heap lives, and `&LockedHeap` is a copy of the same allocator.
    unsafe impl<R: RawMutex> Allocator for &LockedHeap<R> {
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
            self.with_slot(|s| global_dealloc(s, ptr.as_ptr()))
        }

        unsafe fn grow(
            &self,
            ptr: NonNull<u8>,
            _old_layout: Layout,
            new_layout: Layout,
        ) -> Result<NonNull<[u8]>, AllocError> {
            self.with_heap(|h| {
                // SAFETY: the Allocator contract makes `ptr` a live block of ours that nobody
                // accesses during the call; the region is host memory.
                let p = unsafe { h.realloc(ptr, new_layout.size(), new_layout.align()) }
                    .map_err(|_| AllocError)?;
                let n = h.usable_size(p).map_err(|_| AllocError)?;
                Ok(NonNull::slice_from_raw_parts(p, n))
            })
            .map_err(|_| AllocError)?
        }

        unsafe fn shrink(
            &self,
            ptr: NonNull<u8>,
            old_layout: Layout,
            new_layout: Layout,
        ) -> Result<NonNull<[u8]>, AllocError> {
            // SAFETY: as in `grow`.
            unsafe { self.grow(ptr, old_layout, new_layout) }
        }
    }
}
