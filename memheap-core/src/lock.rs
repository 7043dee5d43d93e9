//! The raw locks [`LockedHeap`](crate::LockedHeap) can use.
//!
//! * [`RawSpin`] (targets with compare-and-swap): a test-and-test-and-set spin lock, written
//!   here rather than taken from the `spin` crate because loom has to see its atomics: it is
//!   built on the crate's `sync` shim, so under `--cfg loom` the same code runs on loom's
//!   atomics.
//! * [`RawCriticalSection`] (feature `critical-section`): the lock is a critical section of
//!   the [`critical_section`] crate, as `embedded-alloc` does. On single-core firmware that
//!   masks interrupts, so an interrupt handler may allocate too; it builds for targets without
//!   compare-and-swap (`thumbv6m-none-eabi`, `riscv32imc-unknown-none-elf`).
//!
//! **Interrupts and the spin lock.** A spin lock cannot be taken from an interrupt handler
//! that interrupted its holder on the same core: the handler spins forever, because the
//! holder cannot run until the handler returns. On firmware whose interrupt handlers allocate,
//! use [`RawCriticalSection`].

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

#[cfg(feature = "critical-section")]
pub use cs::RawCriticalSection;

#[cfg(feature = "critical-section")]
mod cs {
    use core::cell::{Cell, UnsafeCell};
    use core::mem::MaybeUninit;

    /// A lock that is a critical section of the [`critical_section`] crate (feature
    /// `critical-section`): `lock` enters one (`critical_section::acquire`), `unlock` leaves it.
    ///
    /// Mutual exclusion comes from the critical section (interrupts masked on single-core
    /// firmware; whatever the platform's implementation provides elsewhere). Critical sections
    /// nest, so this lock also records that it is held: taking it again from inside (a
    /// re-entrant call, which the heap never makes) spins forever instead of handing out a
    /// second guard, like a spin lock would.
    pub struct RawCriticalSection {
        held: Cell<bool>,
        restore: UnsafeCell<MaybeUninit<critical_section::RestoreState>>,
    }

    // SAFETY: both fields are read and written only inside the critical section that `lock`
    // enters (and `unlock` leaves), which excludes every other context that could touch them.
    unsafe impl Sync for RawCriticalSection {}
    // SAFETY: an unheld lock has no affinity; a held one is released in the context that took
    // it (lock_api's guard is `!Send` with `GuardNoSend`).
    unsafe impl Send for RawCriticalSection {}

    impl RawCriticalSection {
        /// An unlocked lock.
        pub const fn new() -> Self {
            RawCriticalSection {
                held: Cell::new(false),
                restore: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }
    }

    impl Default for RawCriticalSection {
        fn default() -> Self {
            Self::new()
        }
    }

    impl core::fmt::Debug for RawCriticalSection {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("RawCriticalSection").finish_non_exhaustive()
        }
    }

    // SAFETY: `lock` returns only inside a critical section, with `held` set; a second `lock`
    // while `held` is set (only possible from inside the first holder's section, since the
    // section excludes everyone else) never returns; `try_lock` returns true only in the same
    // state. `unlock` clears `held` and leaves the section it entered with the state saved by
    // `lock`.
    unsafe impl lock_api::RawMutex for RawCriticalSection {
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawCriticalSection::new();
        type GuardMarker = lock_api::GuardNoSend;

        fn lock(&self) {
            if !self.try_lock() {
                // Re-entered by the holder itself: it can never be released from here.
                loop {
                    core::hint::spin_loop();
                }
            }
        }

        fn try_lock(&self) -> bool {
            // SAFETY: every `acquire` here is matched by a `release` with its state: below
            // when the lock is held already, or in `unlock`.
            let state = unsafe { critical_section::acquire() };
            if self.held.get() {
                // SAFETY: releases the section just acquired, with its own state.
                unsafe { critical_section::release(state) };
                return false;
            }
            self.held.set(true);
            // SAFETY: inside the critical section, and `held` was clear, so no other holder
            // reads or writes `restore`.
            unsafe { (*self.restore.get()).write(state) };
            true
        }

        unsafe fn unlock(&self) {
            // SAFETY: the caller holds the lock (RawMutex contract), so `lock` stored the state
            // of the section it entered, and we are still inside that section.
            let state = unsafe { (*self.restore.get()).assume_init_read() };
            self.held.set(false);
            // SAFETY: leaves the section `lock` entered, with its state, in LIFO order.
            unsafe { critical_section::release(state) };
        }

        fn is_locked(&self) -> bool {
            critical_section::with(|_| self.held.get())
        }
    }
}

/// The lock [`LockedHeap`](crate::LockedHeap) uses unless told otherwise: [`RawSpin`] on
/// targets with compare-and-swap.
#[cfg(any(target_has_atomic = "8", loom))]
pub type DefaultLock = RawSpin;

/// The lock [`LockedHeap`](crate::LockedHeap) uses unless told otherwise: on this target
/// (no compare-and-swap) [`RawCriticalSection`].
#[cfg(all(not(any(target_has_atomic = "8", loom)), feature = "critical-section"))]
pub type DefaultLock = RawCriticalSection;

/// On a target without compare-and-swap and without the `critical-section` feature there is
/// no lock to default to: name one (`LockedHeap<MyRawMutex>`) or enable the feature.
#[cfg(all(
    not(any(target_has_atomic = "8", loom)),
    not(feature = "critical-section")
))]
pub type DefaultLock = NoLockOnThisTarget;

/// Stands in for a default lock where none exists (no compare-and-swap, no
/// `critical-section` feature); it implements nothing, so `LockedHeap`'s methods are not
/// available with it.
#[cfg(all(
    not(any(target_has_atomic = "8", loom)),
    not(feature = "critical-section")
))]
#[derive(Debug)]
pub enum NoLockOnThisTarget {}
