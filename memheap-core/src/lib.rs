//! A `no_std`, no-`alloc` buddy heap whose metadata lives outside the memory it manages.
//!
//! * [`BuddyHeap`] manages the *offsets* `[0, len)` of a region it never reads or writes —
//!   host memory, device memory, another process's mapping — with all metadata (free
//!   bitmaps, free counts, the size table, the free-list heads) in a `&mut [u64]` the caller
//!   supplies. [`Config::metadata_words`] is a `const fn`, so firmware can size a `static`
//!   array.
//! * [`Heap`] puts a [`BuddyHeap`] over a host address range and hands out pointers;
//!   [`Heap::carve`] takes the metadata from the front of the range.
//! * [`LockedHeap`] (a lock: the spin lock [`RawSpin`], the critical-section lock
//!   `RawCriticalSection` with the `critical-section` feature, or any
//!   [`lock_api::RawMutex`]) implements [`GlobalAlloc`](core::alloc::GlobalAlloc) and, with
//!   the `allocator-api2` feature, `allocator_api2::alloc::Allocator`. Built with
//!   [`LockedHeap::claim`] over a static array it needs no init call. [`UnsyncHeap`] is the
//!   lock-free single-threaded form ([`AssumeSingleThreaded`] makes it a global allocator).
//!
//! Placement is deterministic: the same calls always give the same offsets, so two processes
//! that make the same calls hold the same layout — what a symmetric (OpenSHMEM) heap needs.
//! Every process must then run the same version of this crate with the same [`Config`]: a
//! change of placement between versions is a breaking change, pinned by a golden-trace test.
//! The default [`Placement::Packed`] serves most allocations from bounded per-class free lists
//! and a frontier run in `O(1)`; [`Placement::LowestAddress`] is strict lowest-address first
//! fit.
//!
//! ```
//! use memheap_core::{BuddyHeap, Config, Error};
//!
//! const LEN: u64 = 100 << 20; // 100 MiB: not a power of two, managed exactly
//! let config = Config::DEFAULT;
//! let mut meta = vec![0u64; config.metadata_words(LEN)];
//! let mut heap = BuddyHeap::new(LEN, config, &mut meta)?;
//! let a = heap.alloc(3 << 20, 16)?; // 3 MiB: exact fit keeps 3 MiB, not 4
//! let b = heap.alloc(100, 8192)?;
//! assert_eq!(b % 8192, 0);
//! assert_eq!(heap.usable_size(a)?, 3 << 20);
//! heap.free(a)?;
//! assert_eq!(heap.free(a), Err(Error::DoubleFree));
//! heap.free(b)?;
//! heap.check().unwrap();
//! # Ok::<(), Error>(())
//! ```
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
#[macro_use]
extern crate std;

mod bitmap;
mod cell;
mod class;
mod config;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod heap;
pub mod lock;
mod locked;
pub mod order;
mod ptr_heap;
mod size_table;
mod slot;
mod sync;

pub use cell::{AssumeSingleThreaded, UnsyncHeap};
pub use config::{Config, Placement, MAX_CAPACITY, MAX_MIN_ORDER, MIN_MIN_ORDER};
pub use error::Error;
pub use heap::{BuddyHeap, Realloc, Stats};
pub use lock::DefaultLock;
#[cfg(feature = "critical-section")]
pub use lock::RawCriticalSection;
#[cfg(any(target_has_atomic = "8", loom))]
pub use lock::RawSpin;
pub use locked::LockedHeap;
pub use ptr_heap::{Heap, CARVE_ALIGN};

// Metadata words are u64 on every target.
static_assertions::assert_eq_size!(u64, [u8; 8]);
