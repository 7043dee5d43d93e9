//! The one error type of the crate.

use core::fmt;

/// Everything that can go wrong in a heap operation. No operation panics on bad input; each
/// returns one of these and leaves the heap as it was.
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
    /// The alignment is not a power of two, or is larger than the heap can guarantee.
    BadAlignment,
    /// The size overflows when rounded up to the minimum block or to its order.
    SizeOverflow,
    /// The region is unusable: shorter than one minimum block, too long, or (for pointer heaps)
    /// its address range wraps around.
    BadRegion,
    /// The metadata storage is too small for this region and configuration.
    MetadataTooSmall,
    /// The configuration is invalid (minimum order or capacity out of range: capacity 0 or
    /// above [`MAX_CAPACITY`](crate::MAX_CAPACITY)).
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
            Error::BadAlignment => "bad alignment: not a power of two or larger than supported",
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
