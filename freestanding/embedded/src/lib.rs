//! The firmware use of memheap-core, as a crate that must compile for bare-metal targets: a
//! global allocator over a static array, claimed on first use (no init call): `LockedHeap`
//! with the spin lock (targets with compare-and-swap), or with the `critical-section` feature
//! `CsHeap`, every operation inside a critical section (the only choice where compare-and-swap
//! does not exist; what firmware whose interrupt handlers allocate needs).
//! `.ci/run` builds it for thumbv6m-none-eabi, riscv32imc-unknown-none-elf and
//! thumbv7em-none-eabihf.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;

#[cfg(feature = "critical-section")]
use memheap_core::CsHeap as Heap;
#[cfg(not(feature = "critical-section"))]
use memheap_core::LockedHeap as Heap;

static mut ARENA: [u8; 16 << 10] = [0; 16 << 10];

// SAFETY: ARENA is used by nothing else, for the whole program.
#[global_allocator]
static HEAP: Heap = unsafe { Heap::claim(&raw mut ARENA) };

/// Allocates, grows and frees through the global allocator; returns the sum of `n` squares.
pub fn squares(n: u32) -> u32 {
    let v: Vec<u32> = (0..n).map(|i| i * i).collect();
    v.iter().sum()
}

/// The heap's statistics (bytes in use), as firmware would report them.
pub fn bytes_in_use() -> u64 {
    HEAP.stats().map_or(0, |s| s.bytes_in_use)
}
