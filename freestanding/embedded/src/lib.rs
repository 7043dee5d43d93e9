//! The firmware use of memheap-core, as a crate that must compile for bare-metal targets:
//! `LockedHeap` as the global allocator over a static array, claimed on first use (no init
//! call), with the default lock of the target (the spin lock where compare-and-swap exists,
//! the critical-section lock with the `critical-section` feature, required where it does not).
//! `.ci/run` builds it for thumbv6m-none-eabi, riscv32imc-unknown-none-elf and
//! thumbv7em-none-eabihf.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;

use memheap_core::LockedHeap;

static mut ARENA: [u8; 16 << 10] = [0; 16 << 10];

// SAFETY: ARENA is used by nothing else, for the whole program.
#[global_allocator]
static HEAP: LockedHeap = unsafe { LockedHeap::claim(&raw mut ARENA) };

/// Allocates, grows and frees through the global allocator; returns the sum of `n` squares.
pub fn squares(n: u32) -> u32 {
    let v: Vec<u32> = (0..n).map(|i| i * i).collect();
    v.iter().sum()
}

/// The heap's statistics (bytes in use), as firmware would report them.
pub fn bytes_in_use() -> u64 {
    HEAP.stats().map_or(0, |s| s.bytes_in_use)
}
