//! Atomic memory operations: every `shmem_[ctx_]TYPE_atomic_*` routine (and `_nbi` form, and
//! deprecated name) of `shmem.h` is an inline function over [`memheap_shmem_amo`], which does
//! one CPU atomic on the target PE's copy of the variable through this PE's mapping of it
//! (heap or shared static data); the `_nbi` forms that fetch go through
//! [`memheap_shmem_amo_nbi`], which also checks and writes the `fetch` buffer. The value travels as its bits in a `uint64_t`; a 4-byte type
//! uses the low 32 bits. Integer operations are the same on signed and unsigned types in two's
//! complement, so only the width matters; `float` and `double` are fetched, set and swapped
//! bit for bit.
//!
//! Atomicity holds among all atomics from every PE and thread; all are sequentially
//! consistent, so they are also ordered with this PE's other operations (more than
//! `shmem_fence` requires).

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use crate::shmem::{fatal, routine_name, rt, running};
use crate::team::ctx_pe;

/// Operation codes.
const FETCH: c_int = 0;
const SET: c_int = 1;
const SWAP: c_int = 2;
const COMPARE_SWAP: c_int = 3;
const FETCH_ADD: c_int = 4;
const FETCH_AND: c_int = 5;
const FETCH_OR: c_int = 6;
const FETCH_XOR: c_int = 7;

macro_rules! apply {
    ($a:expr, $op:expr, $value:expr, $cond:expr, $t:ty) => {{
        let a = $a;
        let (v, c) = ($value as $t, $cond as $t);
        (match $op {
            FETCH => a.load(SeqCst),
            SET => {
                a.store(v, SeqCst);
                0
            }
            SWAP => a.swap(v, SeqCst),
            COMPARE_SWAP => match a.compare_exchange(c, v, SeqCst, SeqCst) {
                Ok(old) | Err(old) => old,
            },
            FETCH_ADD => a.fetch_add(v, SeqCst),
            FETCH_AND => a.fetch_and(v, SeqCst),
            FETCH_OR => a.fetch_or(v, SeqCst),
            _ => a.fetch_xor(v, SeqCst),
        }) as u64
    }};
}

/// One atomic operation `op` on the `width`-byte (4 or 8) variable `dest` (a symmetric
/// address) on PE `pe` of context `ctx`: `value` is the operand, `cond` the compare value of
/// compare-and-swap; returns the old value (0 for `set`). Errors name `routine` and end the
/// job: an invalid context or PE, a non-symmetric or misaligned address, static data that is
/// not shared memory.
///
/// # Safety
/// `dest` must be a symmetric address (checked) of a `width`-byte object that is accessed
/// only atomically while atomics may target it.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_amo(
    ctx: *const c_void,
    dest: *mut c_void,
    value: u64,
    cond: u64,
    op: c_int,
    width: c_int,
    pe: c_int,
    routine: *const c_char,
) -> u64 {
    let name = || routine_name(routine, "shmem_atomic");
    let r = running().unwrap_or_else(|| rt(&name()));
    let pe = ctx_pe(r, ctx, pe).unwrap_or_else(|e| fatal(&name(), format_args!("{e}")));
    if !(FETCH..=FETCH_XOR).contains(&op) {
        fatal(&name(), format_args!("unknown atomic operation {op}"));
    }
    match width {
        4 => match r.remote_atomic(dest.cast::<AtomicU32>(), pe) {
            // SAFETY: `remote_atomic` returned an aligned address of 4 bytes of `pe`'s
            // symmetric memory, mapped here until finalize; the object is accessed atomically
            // only (contract).
            Ok(p) => apply!(unsafe { p.as_ref() }, op, value, cond, u32),
            Err(e) => fatal(&name(), format_args!("{e}")),
        },
        8 => match r.remote_atomic(dest.cast::<AtomicU64>(), pe) {
            // SAFETY: as above, 8 bytes.
            Ok(p) => apply!(unsafe { p.as_ref() }, op, value, cond, u64),
            Err(e) => fatal(&name(), format_args!("{e}")),
        },
        w => fatal(&name(), format_args!("no atomics on {w}-byte types")),
    }
}

/// `memheap_shmem_amo_nbi`: [`memheap_shmem_amo`] for the non-blocking atomics that fetch
/// (`shmem_[ctx_]TYPE_atomic_{fetch,swap,compare_swap,fetch_inc,fetch_add,fetch_and,...}_nbi`):
/// the old value's `width` bytes are stored in `fetch`. `fetch` is checked first, as put and
/// get check their local buffers: NULL, or code or constants of the executable, are an error
/// naming `routine`, before the atomic changes anything.
///
/// # Safety
/// As [`memheap_shmem_amo`]; `fetch` valid for `width` bytes of writes (checked as above).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_amo_nbi(
    ctx: *const c_void,
    fetch: *mut c_void,
    dest: *mut c_void,
    value: u64,
    cond: u64,
    op: c_int,
    width: c_int,
    pe: c_int,
    routine: *const c_char,
) {
    let name = || routine_name(routine, "shmem_atomic_nbi");
    let r = running().unwrap_or_else(|| rt(&name()));
    let len = if width == 4 { 4 } else { 8 };
    if let Err(e) = r.check_local(fetch.cast(), len, true) {
        fatal(&name(), format_args!("fetch: {e}"));
    }
    // SAFETY: forwarded contract.
    let old = unsafe { memheap_shmem_amo(ctx, dest, value, cond, op, width, pe, routine) };
    // SAFETY: `fetch` is not NULL and valid for `width` bytes of writes (checked, contract);
    // the memheap_shmem_amo call above ended the job for any width but 4 and 8.
    unsafe {
        if width == 4 {
            fetch.cast::<u32>().write_unaligned(old as u32);
        } else {
            fetch.cast::<u64>().write_unaligned(old);
        }
    }
}
