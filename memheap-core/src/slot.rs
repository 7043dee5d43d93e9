//! What [`LockedHeap`](crate::LockedHeap) and [`UnsyncHeap`](crate::UnsyncHeap) hold: a heap,
//! or an arena to carve one from on first use; and the [`GlobalAlloc`] bodies they share.
//!
//! [`GlobalAlloc`]: core::alloc::GlobalAlloc

use core::alloc::Layout;
use core::ptr::{self, NonNull};

use crate::config::Config;
use crate::error::Error;
use crate::ptr_heap::Heap;

/// A heap, or the arena a heap will be carved from when first used.
pub(crate) struct Slot {
    heap: Option<Heap<'static>>,
    arena: Option<(*mut [u8], Config)>,
}

impl Slot {
    /// No heap until `init`.
    pub(crate) const fn empty() -> Slot {
        Slot {
            heap: None,
            arena: None,
        }
    }

    /// A heap carved from `arena` with `config` on first use (see [`Heap::carve`]).
    ///
    /// Contract (of the callers' `claim` constructors): `arena` is writable memory that
    /// nothing else uses for the rest of the program.
    pub(crate) const fn claim(arena: *mut [u8], config: Config) -> Slot {
        Slot {
            heap: None,
            arena: Some((arena, config)),
        }
    }

    /// The heap, carving it from the arena the first time. [`Error::Uninitialized`] when there
    /// is neither; the carve's error when the arena cannot hold a heap (tried again on the
    /// next call, with the same result).
    #[inline(always)]
    pub(crate) fn heap(&mut self) -> Result<&mut Heap<'static>, Error> {
        if self.heap.is_none() {
            self.claim_now()?;
        }
        match &mut self.heap {
            Some(h) => Ok(h),
            None => Err(Error::Uninitialized),
        }
    }

    #[cold]
    #[inline(never)]
    fn claim_now(&mut self) -> Result<(), Error> {
        let (arena, config) = self.arena.ok_or(Error::Uninitialized)?;
        let base = NonNull::new(arena.cast::<u8>()).ok_or(Error::BadRegion)?;
        let config = config.for_claim(arena.len());
        // SAFETY: the `claim` constructor's contract: the arena is writable memory used by
        // nothing else for the rest of the program.
        let heap = unsafe { Heap::carve(base, arena.len(), config)? };
        self.heap = Some(heap);
        self.arena = None;
        Ok(())
    }

    /// The heap if it exists (no claim: the hit paths leave that to the full path).
    #[inline(always)]
    pub(crate) fn ready(&mut self) -> Option<&mut Heap<'static>> {
        self.heap.as_mut()
    }

    /// Install a heap built by `make` unless one exists or is pending.
    pub(crate) fn install(
        &mut self,
        make: impl FnOnce() -> Result<Heap<'static>, Error>,
    ) -> Result<(), Error> {
        if self.heap.is_some() || self.arena.is_some() {
            return Err(Error::AlreadyInitialized);
        }
        self.heap = Some(make()?);
        Ok(())
    }
}

/// Bytes of arena per block of size-table capacity when a claimed arena's configuration leaves
/// the capacity to be derived: a global allocator serves whatever a program allocates, often
/// many small objects, so it gets a larger table than the symmetric-heap default (one block per
/// 2 KiB): metadata is then about 10 % of the arena instead of 3 %.
pub const CLAIM_BYTES_PER_BLOCK: usize = 256;

/// [`GlobalAlloc::alloc`](core::alloc::GlobalAlloc::alloc) over a slot: null on any error.
#[inline(always)]
pub(crate) fn global_alloc(slot: &mut Slot, layout: Layout) -> *mut u8 {
    match slot.heap() {
        Ok(h) => match h.alloc_layout(layout) {
            Ok(p) => p.as_ptr(),
            Err(_) => ptr::null_mut(),
        },
        Err(_) => ptr::null_mut(),
    }
}

/// [`GlobalAlloc::dealloc`](core::alloc::GlobalAlloc::dealloc) over a slot. A pointer the heap
/// does not know is an error that is ignored (it changes nothing).
#[inline(always)]
pub(crate) fn global_dealloc(slot: &mut Slot, ptr: *mut u8) {
    if let (Ok(h), Some(p)) = (slot.heap(), NonNull::new(ptr)) {
        let _ = h.free(p);
    }
}

/// [`GlobalAlloc::realloc`](core::alloc::GlobalAlloc::realloc) over a slot.
///
/// # Safety
/// As `GlobalAlloc::realloc`: `ptr` is a live block of this heap, not accessed during the
/// call, and the heap's region is host memory (the `init`/`claim` contracts).
#[inline(always)]
pub(crate) unsafe fn global_realloc(
    slot: &mut Slot,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    let (Ok(h), Some(p)) = (slot.heap(), NonNull::new(ptr)) else {
        return ptr::null_mut();
    };
    // SAFETY: forwarded from this function's contract.
    match unsafe { h.realloc(p, new_size, layout.align()) } {
        Ok(n) => n.as_ptr(),
        Err(_) => ptr::null_mut(),
    }
}
