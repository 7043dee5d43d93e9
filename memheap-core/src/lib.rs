//! A `no_std`, no-`alloc` buddy heap whose metadata lives outside the memory it manages.
//!
//! * [`BuddyHeap`] manages the *offsets* `[0, len)` of a region it never reads or writes —
//!   host memory, device memory, another process's mapping — with all metadata (free
//!   bitmaps, per-order free counts, the size table) in a `&mut [u64]` the caller supplies.
//!   [`Config::metadata_words`] is a `const fn`, so firmware can size a `static` array.
//! * [`Heap`] puts a [`BuddyHeap`] over a host address range and hands out pointers;
//!   [`Heap::carve`] takes the metadata from the front of the range.
//! * [`LockedHeap`] (a lock, default [`RawSpin`], any [`lock_api::RawMutex`]) implements
//!   [`GlobalAlloc`](core::alloc::GlobalAlloc) and, with the `allocator-api2` feature,
//!   `allocator_api2::alloc::Allocator`; [`UnsyncHeap`] is the lock-free single-threaded form.
//!
//! Allocation is lowest-address first fit over buddy blocks, so the same calls always give the
//! same offsets: two processes that make the same calls hold the same layout, which is what a
//! symmetric (OpenSHMEM) heap needs. With exact fit (the default) a block keeps only its size
//! rounded to the minimum block (16 B by default); the rest of its buddy block returns to the
//! heap at once.
//!
//! ```
//! use memheap_core::{BuddyHeap, Config, Error};
//!
//! const LEN: u64 = 100 << 20; // 100 MiB: not a power of two, managed exactly
//! let config = Config::DEFAULT.with_capacity(1024);
//! let mut meta = vec![0u64; config.metadata_words(LEN)];
//! let mut heap = BuddyHeap::new(LEN, config, &mut meta)?;
//! let a = heap.alloc(3 << 20, 16)?; // 3 MiB: exact fit keeps 3 MiB, not 4
//! let b = heap.alloc(100, 4096)?;
//! assert_eq!(b % 4096, 0);
//! assert_eq!(heap.usable_size(a)?, 3 << 20);
//! heap.free(a)?;
//! assert_eq!(heap.free(a), Err(Error::DoubleFree));
//! heap.free(b)?;
//! heap.check().unwrap();
//! # Ok::<(), Error>(())
//! ```
#![no_std]
#![deny(missing_docs)]

pub mod bitmap;
mod cell;
mod config;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod heap;
mod lock;
mod locked;
pub mod order;
mod ptr_heap;
pub mod size_table;
mod sync;

pub use cell::UnsyncHeap;
pub use config::{Config, MAX_CAPACITY, MAX_MIN_ORDER, MIN_MIN_ORDER};
pub use error::Error;
pub use heap::{BuddyHeap, Realloc, Stats};
pub use lock::RawSpin;
pub use locked::LockedHeap;
pub use ptr_heap::{Heap, CARVE_ALIGN};

// The size table's empty key must never be a valid offset, and metadata words are u64 on every
// target.
static_assertions::const_assert_eq!(size_table::EMPTY, u64::MAX);
static_assertions::assert_eq_size!(u64, [u8; 8]);
