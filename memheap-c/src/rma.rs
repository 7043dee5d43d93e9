//! RMA on contexts, non-blocking RMA, and put-with-signal.
//!
//! Every put and get completes before its call returns (they are copies through this PE's
//! mapping of the target's memory), so the `_nbi` forms are the blocking ones and
//! `shmem_quiet`/`shmem_fence` only need to order them (a fence). A context's PE numbers are
//! numbers in the context's team; [`memheap_ctx_put`] and friends translate them and then run
//! the same bodies as the default-context routines.
//!
//! `shmem_put_signal`: the data is copied, then the signal is updated with a sequentially
//! consistent atomic (set or add), so a PE that sees the signal sees the data.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use memheap_std::runtime::Runtime;

use crate::shmem::{
    fatal, memheap_shmem_get, memheap_shmem_iget, memheap_shmem_iput, memheap_shmem_put,
    routine_name, rt, running,
};
use crate::team::ctx_pe;

/// `SHMEM_SIGNAL_SET`.
const SIGNAL_SET: c_int = 0;
/// `SHMEM_SIGNAL_ADD`.
const SIGNAL_ADD: c_int = 1;

/// The world PE of PE `pe` of `ctx`, or a fatal error naming the routine.
fn world_pe(
    ctx: *const c_void,
    pe: c_int,
    routine: *const c_char,
    fallback: &'static str,
) -> (&'static Runtime, c_int) {
    let name = || routine_name(routine, fallback);
    let r = running().unwrap_or_else(|| rt(&name()));
    match ctx_pe(r, ctx, pe) {
        Ok(pe) => (r, pe as c_int),
        Err(e) => fatal(&name(), format_args!("{e}")),
    }
}

/// `memheap_ctx_put`: the body of every contiguous put on a context.
///
/// # Safety
/// As `memheap_shmem_put`.
#[no_mangle]
pub unsafe extern "C" fn memheap_ctx_put(
    ctx: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    bytes: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let (_, pe) = world_pe(ctx, pe, routine, "shmem_ctx_put");
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_put(dest, source, bytes, pe, routine) }
}

/// `memheap_ctx_get`: the body of every contiguous get on a context.
///
/// # Safety
/// As `memheap_shmem_get`.
#[no_mangle]
pub unsafe extern "C" fn memheap_ctx_get(
    ctx: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    bytes: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let (_, pe) = world_pe(ctx, pe, routine, "shmem_ctx_get");
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_get(dest, source, bytes, pe, routine) }
}

/// `memheap_ctx_iput`: strided put on a context.
///
/// # Safety
/// As `memheap_shmem_iput`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_ctx_iput(
    ctx: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    dst: isize,
    sst: isize,
    nelems: usize,
    elem_size: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let (_, pe) = world_pe(ctx, pe, routine, "shmem_ctx_iput");
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_iput(dest, source, dst, sst, nelems, elem_size, pe, routine) }
}

/// `memheap_ctx_iget`: strided get on a context.
///
/// # Safety
/// As `memheap_shmem_iget`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_ctx_iget(
    ctx: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    dst: isize,
    sst: isize,
    nelems: usize,
    elem_size: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let (_, pe) = world_pe(ctx, pe, routine, "shmem_ctx_iget");
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_iget(dest, source, dst, sst, nelems, elem_size, pe, routine) }
}

/// `memheap_shmem_put_signal`: the body of every `shmem_[ctx_]*put_signal[_nbi]`: put
/// `bytes` bytes, then set (`SHMEM_SIGNAL_SET`) or add to (`SHMEM_SIGNAL_ADD`) the 64-bit
/// symmetric `sig_addr` on the same PE.
///
/// # Safety
/// As `memheap_shmem_put`; `sig_addr` a symmetric, 8-byte aligned `uint64_t` (checked).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_put_signal(
    ctx: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    bytes: usize,
    sig_addr: *mut u64,
    signal: u64,
    sig_op: c_int,
    pe: c_int,
    routine: *const c_char,
) {
    let name = || routine_name(routine, "shmem_put_signal");
    if sig_op != SIGNAL_SET && sig_op != SIGNAL_ADD {
        fatal(
            &name(),
            format_args!("sig_op {sig_op} is neither SHMEM_SIGNAL_SET nor SHMEM_SIGNAL_ADD"),
        );
    }
    let (r, pe) = world_pe(ctx, pe, routine, "shmem_put_signal");
    // The signal is checked before the data moves: a bad one changes nothing.
    let sig = match r.remote_atomic(sig_addr.cast::<AtomicU64>(), pe as usize) {
        // SAFETY: an aligned, mapped 8-byte word of `pe`'s symmetric memory, accessed
        // atomically (the signal's contract).
        Ok(p) => unsafe { p.as_ref() },
        Err(e) => fatal(&name(), format_args!("sig_addr: {e}")),
    };
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_put(dest, source, bytes, pe, routine) };
    if sig_op == SIGNAL_SET {
        sig.store(signal, SeqCst);
    } else {
        sig.fetch_add(signal, SeqCst);
    }
}

/// `shmem_signal_fetch`: the value of this PE's signal `sig_addr` (an atomic load).
///
/// # Safety
/// `sig_addr` a symmetric, 8-byte aligned `uint64_t` (checked).
#[no_mangle]
pub unsafe extern "C" fn shmem_signal_fetch(sig_addr: *const u64) -> u64 {
    const NAME: &str = "shmem_signal_fetch";
    let r = rt(NAME);
    match r.remote_atomic(sig_addr.cast::<AtomicU64>(), r.my_pe()) {
        // SAFETY: an aligned 8-byte word of our symmetric memory, accessed atomically.
        Ok(p) => unsafe { p.as_ref() }.load(SeqCst),
        Err(e) => fatal(NAME, format_args!("sig_addr: {e}")),
    }
}
