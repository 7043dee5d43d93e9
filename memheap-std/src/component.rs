//! The component framework: a [`Component`] is an allocator implementation that the
//! [`Registry`](crate::registry::Registry) can pick; its [`Module`] is one instance of it
//! managing one [`Region`] (the segment's user heap).
//!
//! Writing a component takes one file with a type implementing [`Component`] and one
//! implementing [`Module`], plus one line in
//! [`builtin_components`](crate::registry::builtin_components).
//!
//! Module operations return [`memheap_core::Error`], one error type for every heap in the
//! project: [`Error::OutOfMemory`], [`Error::BadAlignment`], [`Error::InvalidPointer`],
//! [`Error::DoubleFree`], [`Error::Uninitialized`] (after [`Module::finalize`]), ...

use std::fmt;
use std::ptr::NonNull;

pub use memheap_core::Error;

use crate::segment::Region;

/// The alignment every block has at least: 16 bytes, enough for any C type on x86-64 and
/// AArch64 (`max_align_t`).
pub const MIN_ALIGN: usize = 16;

/// Statistics every module reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleStats {
    /// Bytes of the region the module manages.
    pub region_bytes: u64,
    /// Bytes of the region the module has taken into use so far (for `ptmalloc`, how far its
    /// sbrk cursor has moved; for `buddy`, the whole region).
    pub reserved_bytes: u64,
    /// Sum of the usable sizes of the live blocks.
    pub bytes_in_use: u64,
    /// Live blocks.
    pub live_blocks: u64,
    /// Bytes of process-private memory holding the module's metadata (approximate).
    pub metadata_bytes: u64,
    /// Bytes not in live blocks: `region_bytes - bytes_in_use` (for `ptmalloc` this includes
    /// dlmalloc's chunk headers).
    pub bytes_free: u64,
    /// The largest request (at [`MIN_ALIGN`]) that certainly succeeds now: a block of this
    /// size can be allocated (given room in the module's block table). `buddy`: its largest
    /// free buddy block; `ptmalloc`: its largest free chunk or its free top chunk together with
    /// the part of the region past its cursor, less dlmalloc's overhead. Either may be a few
    /// bytes (ptmalloc) or, when free buddy blocks are adjacent, more (buddy) below the very
    /// largest request that would succeed.
    pub largest_free: u64,
}

/// One allocator instance over one region, as built by [`Component::init`].
///
/// Every block is aligned to at least [`MIN_ALIGN`] and lies inside the region. Operations on
/// pointers the module did not hand out (foreign, interior, already freed) are errors that
/// change nothing, never corruption. After [`Module::finalize`] every operation fails with
/// [`Error::Uninitialized`].
///
/// Implementations must be deterministic: two modules of the same component and
/// configuration over regions of the same length at the same base address, fed the same
/// calls, return the same offsets from their bases. (The base matters through alignment: the
/// `buddy` component honours alignments of absolute addresses, so regions whose bases differ
/// modulo a requested alignment may place that request differently.) The symmetric segment
/// maps the heap at one address on every PE, which is what keeps it symmetric.
pub trait Module: Send {
    /// Name of the component this module belongs to.
    fn component(&self) -> &'static str;

    /// The region this module manages.
    fn region(&self) -> Region;

    /// The module's configuration as a short phrase (`"min block 16 B, 65536 live blocks,
    /// exact fit"`): everything besides the component and the region length that decides
    /// where blocks go. The runtime checks at init that every PE has the same; the default is
    /// empty (nothing to compare).
    fn configuration(&self) -> String {
        String::new()
    }

    /// Allocate `size` bytes aligned to [`MIN_ALIGN`]. Size 0 yields a minimum block, which
    /// must be freed like any other.
    fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error>;

    /// Allocate `size` bytes aligned to `align`, a power of two (values below [`MIN_ALIGN`]
    /// give [`MIN_ALIGN`]). Zero or a non-power of two is [`Error::BadAlignment`].
    fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error>;

    /// Resize the live block at `ptr` to `size` bytes, in place or by moving it: the first
    /// `min(old usable size, size)` bytes are kept, and the result is aligned to
    /// [`MIN_ALIGN`] (a larger alignment from [`Module::align`] is not guaranteed to survive
    /// a move, as with C `realloc`). On error the old block and its contents are unchanged.
    fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error>;

    /// Resize the block at `ptr` to at least `size` bytes without moving it. Shrinking back to
    /// a size the block had before must succeed (the collective realloc relies on it to undo a
    /// growth when another PE failed). The default never resizes:
    /// [`Error::NoRoomInPlace`], and the caller moves the block instead.
    fn resize_in_place(&mut self, ptr: NonNull<u8>, size: usize) -> Result<(), Error> {
        let _ = (ptr, size);
        Err(Error::NoRoomInPlace)
    }

    /// Free the live block at `ptr`.
    fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error>;

    /// Usable size of the live block at `ptr`: at least the size asked for.
    fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error>;

    /// Current statistics.
    fn stats(&self) -> ModuleStats;

    /// Release the module's metadata; later operations fail with [`Error::Uninitialized`].
    /// Calling it again does nothing. Blocks still live are simply forgotten (the region
    /// belongs to the segment, not to the module).
    fn finalize(&mut self);
}

/// Why a component could not open or initialise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentError {
    /// The component cannot run here; the text says why.
    Unavailable(String),
    /// The heap rejected the region (too small, too large, ...).
    Heap(Error),
}

impl fmt::Display for ComponentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComponentError::Unavailable(why) => write!(f, "unavailable: {why}"),
            ComponentError::Heap(e) => write!(f, "cannot manage the region: {e}"),
        }
    }
}

impl std::error::Error for ComponentError {}

impl From<Error> for ComponentError {
    fn from(e: Error) -> Self {
        ComponentError::Heap(e)
    }
}

/// An allocator implementation the registry can select.
///
/// Lifecycle, driven by the [`Registry`](crate::registry::Registry): [`Component::open`] for
/// every registered component; [`Component::init`] for candidates, highest priority first,
/// until one succeeds; [`Component::finalize`] for every opened component exactly once —
/// losers right after selection (whether their `init` failed or never ran), the winner when
/// the registry closes (after its module's [`Module::finalize`]).
pub trait Component: Send + Sync {
    /// Name used by `MEMHEAP_COMPONENT` and `MEMHEAP_<NAME>_PRIORITY`: lower-case ASCII
    /// letters, digits, `_` and `-`, unique in the registry.
    fn name(&self) -> &'static str;

    /// Priority when `MEMHEAP_<NAME>_PRIORITY` is unset; the highest wins.
    fn default_priority(&self) -> i32;

    /// Check that the component can run here. A component that fails to open is not a
    /// candidate. The default accepts.
    fn open(&self) -> Result<(), ComponentError> {
        Ok(())
    }

    /// Build a module managing `region`. `init` itself must not write to the region (the
    /// module may, once asked to allocate), so a failed `init` leaves the region as it was
    /// for the next candidate.
    ///
    /// # Safety
    /// `region` must be readable and writable memory that nothing but the returned module
    /// uses while it lives (other than through blocks it hands out).
    unsafe fn init(&self, region: Region) -> Result<Box<dyn Module>, ComponentError>;

    /// Release what [`Component::open`] set up. Called exactly once per opened component;
    /// must be safe whether `init` never ran, failed, or succeeded (its module is finalized
    /// first). The default does nothing.
    fn finalize(&self) {}
}
