//! The raw locks [`LockedHeap`](crate::LockedHeap) can use.
//!
//! * [`RawSpin`] (targets with compare-and-swap): a test-and-test-and-set spin lock, written
//!   here rather than taken from the `spin` crate because loom has to see its atomics: it is
//!   built on the crate's `sync` shim, so under `--cfg loom` the same code runs on loom's
//!   atomics.
//! * Any other [`lock_api::RawMutex`].
//!
//! **Interrupts and the spin lock.** A spin lock cannot be taken from an interrupt handler
//! that interrupted its holder on the same core: the handler spins forever, because the
//! holder cannot run until the handler returns. On firmware whose interrupt handlers allocate,
//! and on targets without compare-and-swap (`thumbv6m-none-eabi`,
//! `riscv32imc-unknown-none-elf`), use `CsHeap` (feature `critical-section`): every heap
//! operation runs inside `critical_section::with`, as in `embedded-alloc`.

#[cfg(any(target_has_atomic = "8", loom))]
pub use spin::RawSpin;

#[cfg(any(target_has_atomic = "8", loom))]
mod spin {
    use crate::sync::{spin_hint, AtomicBool, Ordering};

    /// A spin lock implementing [`lock_api::RawMutex`] (targets with compare-and-swap).
    ///
    /// Under `--cfg loom` build it with [`RawSpin::new`]: loom's atomics cannot be built in a
    /// `const`, so `RawMutex::INIT` is not available there. Taking it again while holding it
    /// (or from an interrupt handler that interrupted its holder) never returns; see the
    /// [module docs](crate::lock).
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
    // ordering, so at most one holder exists at a time; `unlock` stores false with Release, so
    // the holder's writes happen-before the next holder's reads. `try_lock` does the same with
    // a single compare-exchange.
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
}

/// The lock [`LockedHeap`](crate::LockedHeap) uses unless told otherwise: [`RawSpin`] on
/// targets with compare-and-swap.
#[cfg(any(target_has_atomic = "8", loom))]
pub type DefaultLock = RawSpin;

/// On a target without compare-and-swap there is no lock to default to: name one
/// (`LockedHeap<MyRawMutex>`), or use `CsHeap` (feature `critical-section`).
#[cfg(not(any(target_has_atomic = "8", loom)))]
pub type DefaultLock = NoLockOnThisTarget;

/// Stands in for a default lock where none exists (no compare-and-swap); it implements
/// nothing, so `LockedHeap`'s methods are not available with it.
#[cfg(not(any(target_has_atomic = "8", loom)))]
#[derive(Debug)]
pub enum NoLockOnThisTarget {}
