#![doc = include_str!("../README.md")]
//!
//! ## API map
//!
//! * [`BuddyHeap`]: the offset heap over `[0, len)` with its metadata in caller words;
//!   [`Config`] (and [`Placement`]) say how it is built, [`Config::metadata_words`] how much
//!   metadata it needs; [`Stats`], [`Realloc`] and [`Error`] are what it answers.
//! * [`Heap`]: a [`BuddyHeap`] over a host address range, handing out pointers;
//!   [`Heap::carve`] keeps the metadata at the range's front.
//! * [`LockedHeap`]: a [`Heap`] behind a raw lock ([`DefaultLock`]: [`RawSpin`] where
//!   compare-and-swap exists; `RawCriticalSection` with the `critical-section` feature), the
//!   global allocator ([`LockedHeap::claim`]); [`UnsyncHeap`] and [`AssumeSingleThreaded`] for
//!   one thread.
//! * [`order`]: order math (sizes, orders, alignments), `const fn` and total.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
#[macro_use]
extern crate std;

/// The bitmaps and the size table are private: safe code cannot reach (and corrupt) them.
///
/// ```compile_fail,E0603
/// use memheap_core::bitmap;
/// ```
///
/// ```compile_fail,E0603
/// use memheap_core::size_table;
/// ```
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
