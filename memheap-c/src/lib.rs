//! C entry points: `memheap.h` (the allocator alone, for embedding) and, over the PE runtime of
//! memheap-std, the OpenSHMEM routines of `shmem.h`.
//!
//! Built as `libmemheap.so` and `libmemheap.a`; headers in `include/`.
#![deny(missing_docs)]

/// `memheap.h`: the allocator alone (crate `memheap-embed`, linked in so that `libmemheap`
/// exports its `memheap_*` symbols too).
pub use memheap_embed as embed;
pub mod shmem;

pub mod amo;
pub mod coll;
pub mod lock;
pub mod p2p;
pub mod rma;
pub mod team;
