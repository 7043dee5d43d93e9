//! The one place the runtime names the synchronisation primitives its shared-memory protocols use.
//!
//! Normal builds use `std`'s atomics and the Linux futex; under `--cfg loom` the same names are
//! loom's, a futex wait becomes a loom yield (a spurious wake-up, which the protocol must
//! tolerate anyway) and a futex wake does nothing, so the loom model in
//! `tests/runtime_loom.rs` checks the production [`Barrier`](super::Barrier), not a copy.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32, Ordering};

/// Hint inside a spin loop (a yield under loom, so the model checker can run the others).
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Sleep while `*word == expected`, for at most `timeout_ms` milliseconds; may return early
/// for any reason (spurious wake-up, signal, timeout, value already changed).
///
/// The word may be shared between processes: the futex is not `FUTEX_PRIVATE`.
#[cfg(not(loom))]
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout_ms: u32) {
    let ts = libc::timespec {
        tv_sec: (timeout_ms / 1000) as libc::time_t,
        tv_nsec: ((timeout_ms % 1000) as libc::c_long) * 1_000_000,
    };
    // SAFETY: `word` is a live, aligned 32-bit atomic (in our memory or in a MAP_SHARED
    // mapping); FUTEX_WAIT only reads it, and `ts` outlives the call. Errors (EAGAIN when the
    // value already changed, EINTR, ETIMEDOUT) are all "return and re-check".
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
        );
    }
}

/// Wake every process or thread sleeping in [`futex_wait`] on `word`.
#[cfg(not(loom))]
pub(crate) fn futex_wake_all(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE does not access user memory beyond using the address as a key.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// Loom stand-in for a futex wait: a yield, which the protocol sees as a spurious wake-up.
#[cfg(loom)]
pub(crate) fn futex_wait(_word: &AtomicU32, _expected: u32, _timeout_ms: u32) {
    loom::thread::yield_now();
}

/// Loom stand-in for a futex wake: waiters re-check after every yield, so nothing to do.
#[cfg(loom)]
pub(crate) fn futex_wake_all(_word: &AtomicU32) {}
