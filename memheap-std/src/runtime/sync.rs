//! The one place the runtime names the synchronisation primitives its shared-memory protocols use.
//!
//! Normal builds use `std`'s atomics and the Linux futex; under `--cfg loom` the same names are
//! loom's, a futex wait becomes a loom yield (a spurious wake-up, which the protocol must
//! tolerate anyway) and a futex wake does nothing, so the loom model in
//! `tests/runtime_loom.rs` checks the production [`Barrier`](super::Barrier), not a copy.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

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
pub(crate) fn futex_wait(_parking: &Parking, word: &AtomicU32, expected: u32, timeout_ms: u32) {
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
pub(crate) fn futex_wake_all(_parking: &Parking, word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE does not access user memory beyond using the address as a key.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// Where futex waiters sleep: the kernel in production (nothing to store), a loom mutex and
/// condition variable in the loom model.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct Parking;

#[cfg(not(loom))]
impl Parking {
    pub(crate) const fn new() -> Self {
        Parking
    }
}

/// Loom model of the kernel's futex queue for one word.
#[cfg(loom)]
#[derive(Debug, Default)]
pub(crate) struct Parking {
    lock: loom::sync::Mutex<()>,
    queue: loom::sync::Condvar,
}

#[cfg(loom)]
impl Parking {
    pub(crate) fn new() -> Self {
        Parking::default()
    }
}

/// Loom model of FUTEX_WAIT: compare and sleep atomically with respect to a wake. No timeout
/// (a missed wake-up must show as a deadlock).
#[cfg(loom)]
pub(crate) fn futex_wait(parking: &Parking, word: &AtomicU32, expected: u32, _timeout_ms: u32) {
    let guard = parking.lock.lock().unwrap();
    if word.load(Ordering::SeqCst) == expected {
        drop(parking.queue.wait(guard).unwrap());
    }
}

/// Loom model of FUTEX_WAKE (all).
#[cfg(loom)]
pub(crate) fn futex_wake_all(parking: &Parking, _word: &AtomicU32) {
    let _guard = parking.lock.lock().unwrap();
    parking.queue.notify_all();
}

/// Give the core to another thread or process (a loom yield under loom).
#[inline]
pub(crate) fn yield_now() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}
