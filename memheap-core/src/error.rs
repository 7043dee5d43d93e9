//! The one error type of the crate.

use core::fmt;

/// Everything that can go wrong in a heap operation. No operation panics on bad input; each
/// returns one of these, moves no live block and loses no free byte. A failed free leaves the
/// heap exactly as it was; a failed allocation (or a realloc that had to move) may first have
/// drained the free lists into the buddy heap, as [`BuddyHeap::flush`](crate::BuddyHeap::flush)
/// does, which changes where later allocations go but not what they can get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// No free block is large enough for the request.
    OutOfMemory,
    /// The size table is full: the heap already holds as many live blocks as it was configured
    /// for. Free a block or build the heap with a larger `capacity`.
    CapacityExhausted,
    /// The offset or pointer was never returned by this heap: outside the region, not on a
    /// minimum-block boundary, or inside (not at the start of) a live block.
    InvalidPointer,
    /// The offset or pointer lies in free space: the block was already freed.
    DoubleFree,
    /// The alignment is not a power of two (0 included). A power-of-two alignment no free
    /// block can satisfy is [`Error::OutOfMemory`].
    BadAlignment,
    /// The size overflows when rounded up to the minimum block or to its order.
    SizeOverflow,
    /// The region is unusable: shorter than one minimum block, too long, or (for pointer heaps)
    /// its address range wraps around.
    BadRegion,
    /// The metadata storage is too small for this region and configuration.
    MetadataTooSmall,
    /// The configuration is invalid: the minimum order is outside
    /// [`MIN_MIN_ORDER`](crate::MIN_MIN_ORDER)..=[`MAX_MIN_ORDER`](crate::MAX_MIN_ORDER), or the
    /// capacity is above [`MAX_CAPACITY`](crate::MAX_CAPACITY) (capacity 0 asks for the
    /// derived default and is valid).
    BadConfig,
    /// A locked or cell heap was used before `init`.
    Uninitialized,
    /// `init` was called on a heap that is already initialised.
    AlreadyInitialized,
    /// `realloc_in_place` cannot grow the block: the space after it is not free.
    NoRoomInPlace,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::OutOfMemory => "out of memory: no free block is large enough",
            Error::CapacityExhausted => {
                "size table full: the heap holds as many live blocks as its capacity allows"
            }
            Error::InvalidPointer => "invalid pointer: not the start of a block of this heap",
            Error::DoubleFree => "double free: the block is already free",
            Error::BadAlignment => "bad alignment: not a power of two",
            Error::SizeOverflow => "size overflow: the size cannot be rounded to a block",
            Error::BadRegion => "bad region: too short, too long or wrapping",
            Error::MetadataTooSmall => "metadata storage too small for this region",
            Error::BadConfig => "bad configuration: minimum order or capacity out of range",
            Error::Uninitialized => "heap used before init",
            Error::AlreadyInitialized => "heap already initialised",
            Error::NoRoomInPlace => "cannot resize in place: the space after the block is not free",
        })
    }
}

impl core::error::Error for Error {}
