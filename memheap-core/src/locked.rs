//! [`LockedHeap`]: a [`Heap`] behind a lock, usable as `#[global_allocator]`.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};

use lock_api::RawMutex;

use crate::config::Config;
use crate::error::Error;
use crate::heap::Stats;
use crate::lock::RawSpin;
use crate::ptr_heap::Heap;
use crate::sync::UnsafeCell;

/// A [`Heap`] behind a raw lock `R` (default [`RawSpin`]).
///
/// `const`-constructible, so it can be a `static` and the global allocator:
///
/// ```no_run
/// use core::ptr::{addr_of_mut, NonNull};
/// use memheap_core::{Config, LockedHeap};
///
/// #[global_allocator]
/// static HEAP: LockedHeap = LockedHeap::new();
/// static mut ARENA: [u8; 1 << 20] = [0; 1 << 20];
///
/// fn main() {
///     // SAFETY: ARENA is used by nothing else, for the whole program.
///     unsafe {
///         let arena = NonNull::new(addr_of_mut!(ARENA).cast::<u8>()).unwrap();
///         HEAP.init(arena, 1 << 20, Config::DEFAULT).unwrap();
///     }
///     let v: Vec<u32> = (0..1000).collect();
///     assert_eq!(v.iter().sum::<u32>(), 499_500);
/// }
/// ```
pub struct LockedHeap<R: RawMutex = RawSpin> {
    raw: R,
    heap: UnsafeCell<Option<Heap<'static>>>,
}

// SAFETY: the heap inside is only reached through `with`, which holds the lock for the whole
// access, so sharing `&LockedHeap` between threads gives each access exclusive use; `Heap` is
// `Send`.
unsafe impl<R: RawMutex + Sync> Sync for LockedHeap<R> {}
// SAFETY: moving the lock and the heap to another thread is fine: `Heap` is `Send` and a raw
// mutex that is not held has no thread affinity.
unsafe impl<R: RawMutex + Send> Send for LockedHeap<R> {}

/// Unlocks on drop, so a panic inside `with` cannot leave the lock held.
struct Unlock<'a, R: RawMutex>(&'a R);

impl<R: RawMutex> Drop for Unlock<'_, R> {
    fn drop(&mut self) {
        // SAFETY: an `Unlock` is only built right after `lock()` succeeded in this thread.
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
            heap: UnsafeCell::new(None),
        }
    }

    /// An uninitialised heap guarded by `raw`.
    #[cfg(not(loom))]
    pub const fn with_raw(raw: R) -> Self {
        LockedHeap {
            raw,
            heap: UnsafeCell::new(None),
        }
    }

    /// An uninitialised heap guarded by `raw`.
    #[cfg(loom)]
    pub fn with_raw(raw: R) -> Self {
        LockedHeap {
            raw,
            heap: UnsafeCell::new(None),
        }
    }

    /// Run `f` on the heap with the lock held. [`Error::Uninitialized`] before `init`.
    ///
    /// # Safety
    /// `f` must not replace the heap (`*heap = other`, `mem::swap`, ...): the
    /// [`GlobalAlloc`] and `Allocator` implementations hand out the heap's blocks as memory,
    /// which is only sound for the heap installed by [`LockedHeap::init`] or
    /// [`LockedHeap::init_with`] under their contracts.
    ///
    /// ```compile_fail
    /// # use memheap_core::LockedHeap;
    /// static HEAP: LockedHeap = LockedHeap::new();
    /// let _ = HEAP.with(|_heap| ()); // needs `unsafe`
    /// ```
    #[inline]
    pub unsafe fn with<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.with_heap(f)
    }

    /// [`LockedHeap::with`] for this module's own operations, none of which replaces the heap.
    #[inline]
    fn with_heap<T>(&self, f: impl FnOnce(&mut Heap<'static>) -> T) -> Result<T, Error> {
        self.raw.lock();
        let _unlock = Unlock(&self.raw);
        self.heap.with_mut(|p| {
            // SAFETY: the lock is held until `_unlock` drops, after this closure returns, so
            // this is the only reference to the heap.
            match unsafe { &mut *p } {
                Some(h) => Ok(f(h)),
                None => Err(Error::Uninitialized),
            }
        })
    }

    fn install(&self, heap: Result<Heap<'static>, Error>) -> Result<(), Error> {
        self.raw.lock();
        let _unlock = Unlock(&self.raw);
        self.heap.with_mut(|p| {
            // SAFETY: the lock is held, so this is the only reference to the slot.
            let slot = unsafe { &mut *p };
            if slot.is_some() {
                return Err(Error::AlreadyInitialized);
            }
            *slot = Some(heap?);
            Ok(())
        })
    }

    /// Initialise over `[region, region + len)`, carving the metadata from its front (see
    /// [`Heap::carve`]). [`Error::AlreadyInitialized`] on a second call.
    ///
    /// # Safety
    /// The region must be writable memory used by nothing else for the rest of the program.
    pub unsafe fn init(
        &self,
        region: NonNull<u8>,
        len: usize,
        config: Config,
    ) -> Result<(), Error> {
        // Check first so a second init does not write metadata over a live heap's region.
        if self.with_heap(|_| ()).is_ok() {
            return Err(Error::AlreadyInitialized);
        }
        // SAFETY: forwarded from this function's contract.
        self.install(unsafe { Heap::carve(region, len, config) })
    }

    /// Initialise over `[base, base + len)` with metadata in `meta`. The heap never touches
    /// the range itself (only `realloc` copies block contents), so this suits memory the CPU
    /// should not write, provided `realloc` is not used on it.
    ///
    /// # Safety
    /// Unless this heap is only ever used through [`LockedHeap::alloc`], [`LockedHeap::free`],
    /// [`LockedHeap::realloc_in_place`], [`LockedHeap::usable_size`] and the statistics (which
    /// hand out addresses, never access them), `[base, base + len)` must be readable and
    /// writable memory, disjoint from `meta`, used by nothing else for the rest of the
    /// program: the [`GlobalAlloc`] and `Allocator` implementations give its blocks to safe
    /// code as memory.
    ///
    /// ```compile_fail
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
        self.install(Heap::new(base, len, config, meta))
    }

    /// Allocate; see [`Heap::alloc`].
    pub fn alloc(&self, size: usize, align: usize) -> Result<NonNull<u8>, Error> {
        self.with_heap(|h| h.alloc(size, align))?
    }

    /// Free; see [`Heap::free`].
    pub fn free(&self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.with_heap(|h| h.free(ptr))?
    }

    /// Resize in place; see [`Heap::realloc_in_place`].
    pub fn realloc_in_place(&self, ptr: NonNull<u8>, new_size: usize) -> Result<usize, Error> {
        self.with_heap(|h| h.realloc_in_place(ptr, new_size))?
    }

    /// Resize, moving if needed; see [`Heap::realloc`].
    ///
    /// # Safety
    /// As [`Heap::realloc`].
    pub unsafe fn realloc(
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

// SAFETY: blocks come from the heap installed by `init` or `init_with`, whose contracts make
// its region host memory that nothing else uses (and `with` may not replace that heap); the
// heap never hands out overlapping live blocks, aligns
// them to `layout.align()` (or fails) and makes them at least `layout.size()` bytes; `dealloc`
// and `realloc` only accept what the heap handed out (anything else is an error that is
// ignored, never corruption). Allocation failure returns null, as required.
unsafe impl<R: RawMutex> GlobalAlloc for LockedHeap<R> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.alloc(layout.size(), layout.align()) {
            Ok(p) => p.as_ptr(),
            Err(_) => ptr::null_mut(),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            let _ = self.free(p);
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(p) = NonNull::new(ptr) else {
            return ptr::null_mut();
        };
        // SAFETY: GlobalAlloc's contract: `ptr` is a live block of this allocator, which the
        // caller does not access during the call, inside the initialised host region.
        match unsafe { LockedHeap::realloc(self, p, new_size, layout.align()) } {
            Ok(n) => n.as_ptr(),
            Err(_) => ptr::null_mut(),
        }
    }
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
            let _ = self.free(ptr);
        }

        unsafe fn grow(
            &self,
            ptr: NonNull<u8>,
            old_layout: Layout,
            new_layout: Layout,
        ) -> Result<NonNull<[u8]>, AllocError> {
            // SAFETY: the Allocator contract makes `ptr` a live block of ours that nobody
            // accesses during the call; the region is host memory.
            let p =
                unsafe { LockedHeap::realloc(self, ptr, new_layout.size(), new_layout.align()) }
                    .map_err(|_| AllocError)?;
            let _ = old_layout;
            let n = self.usable_size(p).map_err(|_| AllocError)?;
            Ok(NonNull::slice_from_raw_parts(p, n))
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
