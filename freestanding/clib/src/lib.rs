//! `libmemheap_embed.a`: the `memheap.h` API (crate `memheap-embed`) as a freestanding static
//! library for C firmware: no `std`, no C library, `panic = "abort"` (this workspace's
//! profiles), link-time optimised so the archive holds little more than the heap.
//!
//! The firmware provides `memcpy`, `memmove`, `memset` and `memcmp`, as any freestanding C
//! program does. The heap never panics on bad input; a panic means its metadata was corrupted
//! from outside, and then the handler below stops the program in an endless loop (firmware
//! usually has its own fault handling; this library cannot know it).
#![no_std]

pub use memheap_embed::*;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The precompiled `core` refers to the unwinding personality routine even though this library
/// aborts on panic and never unwinds; nothing ever calls it.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
