//! [`RawSpin`]: the default raw lock, a test-and-test-and-set spin lock.
//!
//! Written here rather than taken from the `spin` crate because loom has to see its atomics:
//! it is built on the [`crate::sync`] shim, so under `--cfg loom` the same code runs on loom's
//! atomics (see `DECISIONS.md`).

use crate::sync::{spin_hint, AtomicBool, Ordering};

/// A spin lock implementing [`lock_api::RawMutex`].
///
/// Under `--cfg loom` build it with [`RawSpin::new`]: loom's atomics cannot be built in a
/// `const`, so `RawMutex::INIT` is not available there.
#[derive(Debug)]
pub struct RawSpin {
    locked: AtomicBool,
}

impl RawSpin {
    /// An unlocked lock.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        RawSpin {
            locked: AtomicBool::new(false),
        }
    }

    /// An unlocked lock.
    #[cfg(loom)]
    pub fn new() -> Self {
        RawSpin {
            locked: AtomicBool::new(false),
        }
    }
}

impl Default for RawSpin {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: `lock` returns only after swapping `locked` from false to true with Acquire
// ordering, so at most one holder exists at a time; `unlock` stores false with Release, so the
// holder's writes happen-before the next holder's reads. `try_lock` does the same with a
// single compare-exchange.
unsafe impl lock_api::RawMutex for RawSpin {
    #[cfg(not(loom))]
    const INIT: Self = RawSpin::new();
    #[cfg(loom)]
    const INIT: Self = panic!("under loom, build RawSpin with RawSpin::new()");

    type GuardMarker = lock_api::GuardSend;

    #[inline]
    fn lock(&self) {
        loop {
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
            while self.locked.load(Ordering::Relaxed) {
                spin_hint();
            }
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}
