//! The one place that names synchronisation primitives.
//!
//! Normal builds use `core`; under `--cfg loom` the same names are loom's, so the loom models
//! in `tests/loom.rs` exercise the production lock and heap code, not a copy of it.

#[cfg(all(not(loom), target_has_atomic = "8"))]
pub(crate) use core::sync::atomic::{AtomicBool, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, Ordering};

/// Hint inside a spin loop. Under loom, a yield, so the model checker can schedule the lock
/// holder.
#[cfg(any(target_has_atomic = "8", loom))]
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// An `UnsafeCell` with loom's closure API in both builds, so accesses are tracked by loom.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(
    #[cfg(not(loom))] core::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

impl<T> UnsafeCell<T> {
    #[cfg(not(loom))]
    pub(crate) const fn new(v: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(v))
    }

    #[cfg(loom)]
    pub(crate) fn new(v: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(v))
    }

    /// Exclusive access to the contents until the returned guard drops (under loom, a tracked
    /// access).
    ///
    /// # Safety
    /// No other access to the contents may exist while the guard lives.
    #[inline(always)]
    pub(crate) unsafe fn get_mut(&self) -> CellMut<'_, T> {
        #[cfg(not(loom))]
        {
            CellMut {
                // SAFETY: the caller guarantees exclusivity for the guard's life.
                r: unsafe { &mut *self.0.get() },
            }
        }
        #[cfg(loom)]
        {
            CellMut {
                p: self.0.get_mut(),
                _life: core::marker::PhantomData,
            }
        }
    }
}

/// Exclusive access to an [`UnsafeCell`]'s contents (see [`UnsafeCell::get_mut`]).
pub(crate) struct CellMut<'a, T> {
    #[cfg(not(loom))]
    r: &'a mut T,
    #[cfg(loom)]
    p: loom::cell::MutPtr<T>,
    #[cfg(loom)]
    _life: core::marker::PhantomData<&'a mut T>,
}

impl<T> core::ops::Deref for CellMut<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        #[cfg(not(loom))]
        {
            self.r
        }
        #[cfg(loom)]
        {
            // SAFETY: `get_mut`'s caller guaranteed exclusive access while this guard lives.
            unsafe { self.p.deref() }
        }
    }
}

impl<T> core::ops::DerefMut for CellMut<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        {
            self.r
        }
        #[cfg(loom)]
        {
            // A scheduling point at every mutable access: loom preempts only at
            // synchronisation operations, and the heap code has none, so without it a model
            // could not tell work done under the lock from work done after releasing it.
            loom::thread::yield_now();
            // SAFETY: as in `deref`.
            unsafe { self.p.deref() }
        }
    }
}
