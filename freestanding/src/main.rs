//! A binary with no `std` anywhere in its graph: `#![no_std]`, `#![no_main]`, linked with
//! `-nostartfiles -nostdlib -static`, its own `_start` and exit syscall (x86-64 Linux). It runs a
//! heap over a static array with metadata in another static, allocates, reallocates, frees,
//! checks the invariants, and exits 0 — or with the number of the step that failed.
#![no_std]
#![no_main]
// Our own memcpy & co. below must not be turned back into calls to themselves.
#![no_builtins]

use core::ptr::{addr_of_mut, NonNull};

use memheap_core::{BuddyHeap, Config, Error, Heap};

const LEN: usize = 1 << 20;
const CONFIG: Config = Config::DEFAULT.with_capacity(64);
const META_WORDS: usize = CONFIG.metadata_words(LEN as u64);

#[repr(C, align(4096))]
struct Arena([u8; LEN]);

static mut ARENA: Arena = Arena([0; LEN]);
static mut META: [u64; META_WORDS] = [0; META_WORDS];
static mut DEVICE_META: [u64; CONFIG.metadata_words(1 << 34)] = [0; CONFIG.metadata_words(1 << 34)];

fn sys_write(fd: usize, buf: &[u8]) {
    // SAFETY: write(2) with a valid buffer and length; the kernel only reads the buffer.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") 1usize => _, in("rdi") fd, in("rsi") buf.as_ptr(),
            in("rdx") buf.len(), lateout("rcx") _, lateout("r11") _, options(nostack));
    }
}

fn sys_exit(code: usize) -> ! {
    // SAFETY: exit_group(2) never returns.
    unsafe {
        core::arch::asm!("syscall", in("rax") 231usize, in("rdi") code, options(noreturn, nostack));
    }
}

fn run() -> Result<(), usize> {
    // 1. A host heap over a static array, metadata in another static.
    // SAFETY: main runs once on the only thread; nothing else touches the statics.
    let (arena, meta) = unsafe { (&mut *addr_of_mut!(ARENA), &mut *addr_of_mut!(META)) };
    let base = NonNull::new(arena.0.as_mut_ptr()).ok_or(1usize)?;
    let mut heap = Heap::new(base, LEN, CONFIG, meta).map_err(|_| 2usize)?;
    let mut blocks = [None; 32];
    for (i, slot) in blocks.iter_mut().enumerate() {
        let p = heap.alloc(100 + i * 1000, 16).map_err(|_| 3usize)?;
        // SAFETY: p is a live block of at least 100 + i * 1000 bytes inside ARENA.
        unsafe { p.as_ptr().write_bytes(i as u8, 100 + i * 1000) };
        *slot = Some(p);
    }
    let grown = {
        let p = blocks[3].take().ok_or(4usize)?;
        // SAFETY: ARENA is host memory; block p is ours and untouched during the call.
        unsafe { heap.realloc(p, 200_000, 16) }.map_err(|_| 5usize)?
    };
    // SAFETY: grown holds at least 3100 bytes copied from the old block.
    if unsafe { *grown.as_ptr().add(3099) } != 3 {
        return Err(6);
    }
    heap.free(grown).map_err(|_| 7usize)?;
    if heap.free(grown) != Err(Error::DoubleFree) {
        return Err(8);
    }
    for p in blocks.iter_mut().filter_map(|b| b.take()) {
        heap.free(p).map_err(|_| 9usize)?;
    }
    heap.check().map_err(|_| 10usize)?;
    // Freed blocks wait on the per-class free lists until flushed (or needed).
    heap.flush();
    if heap.stats().live_blocks != 0 || heap.stats().bytes_free != heap.stats().region_bytes {
        return Err(11);
    }
    // 2. An offset-only heap over a 16 GiB "device" region it never touches.
    // SAFETY: as above.
    let dmeta = unsafe { &mut *addr_of_mut!(DEVICE_META) };
    let mut dev = BuddyHeap::new(1 << 34, CONFIG, dmeta).map_err(|_| 12usize)?;
    let a = dev.alloc(5 << 30, 4096).map_err(|_| 13usize)?;
    let b = dev.alloc(1 << 20, 4096).map_err(|_| 14usize)?;
    if b <= 4 << 30 {
        return Err(15);
    }
    dev.free(a).map_err(|_| 16usize)?;
    dev.free(b).map_err(|_| 17usize)?;
    dev.check().map_err(|_| 18usize)?;
    Ok(())
}

extern "C" fn rust_start() -> ! {
    match run() {
        Ok(()) => {
            sys_write(
                1,
                b"memheap-freestanding: heap in a static array: alloc, realloc, free, check ok\n",
            );
            sys_exit(0)
        }
        Err(step) => {
            sys_write(2, b"memheap-freestanding: failed\n");
            sys_exit(step)
        }
    }
}

// The kernel enters `_start` with the stack 16-byte aligned and no return address; realign and
// call into Rust.
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor rbp, rbp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym rust_start,
);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    sys_write(2, b"memheap-freestanding: panic\n");
    sys_exit(101)
}

// With no C library, the memory functions the compiler emits calls to are ours. Byte loops
// are enough here; `#![no_builtins]` keeps LLVM from turning them into calls to themselves.

/// memcpy(3).
///
/// # Safety
/// `dst` and `src` valid for `n` bytes, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n and both ranges are valid for n bytes (caller contract).
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
    }
    dst
}

/// memmove(3).
///
/// # Safety
/// `dst` and `src` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) < (src as usize) {
        // SAFETY: copying forwards is correct when dst is below src (caller contract).
        return unsafe { memcpy(dst, src, n) };
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: i < n; copying backwards handles overlap with dst above src.
        unsafe { *dst.add(i) = *src.add(i) };
    }
    dst
}

/// memset(3).
///
/// # Safety
/// `dst` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, dst valid for n bytes.
        unsafe { *dst.add(i) = c as u8 };
        i += 1;
    }
    dst
}

/// memcmp(3).
///
/// # Safety
/// `a` and `b` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, both valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// bcmp(3).
///
/// # Safety
/// `a` and `b` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// The precompiled `core` refers to the unwinding personality routine even though this binary
/// aborts on panic and never unwinds; nothing ever calls it.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
