//! Distributed locks: `shmem_set_lock`, `shmem_test_lock`, `shmem_clear_lock`.
//!
//! A lock is a symmetric `long`; the copy on PE 0 is the lock word (0: free; `pe + 1`: held
//! by that PE). Setting it is a compare-and-swap from 0 through this PE's mapping of PE 0's
//! memory, retried after the word reads 0 again (test-and-test-and-set; the wait goes through
//! the runtime's one wait loop, so the job's end or a departed peer ends it). The lock excludes every caller, also threads of one PE.
//! Clearing completes this PE's puts first (a fence), then stores 0 with release ordering, so
//! the next holder sees everything written under the lock.

use std::ffi::c_long;
use std::sync::atomic::{AtomicI64, Ordering};

use memheap_std::runtime::Runtime;

use crate::shmem::{fatal, point_to_point, rt, test_failed};

/// The lock word (PE 0's copy of `*lock`), or a fatal error naming `routine`.
fn word(r: &'static Runtime, lock: *mut c_long, routine: &str) -> &'static AtomicI64 {
    match r.remote_atomic(lock.cast::<AtomicI64>(), 0) {
        // SAFETY: an aligned 8-byte word of PE 0's symmetric memory, mapped until finalize;
        // lock words are accessed only by these routines (atomically), as the spec requires.
        Ok(p) => unsafe { p.as_ref() },
        Err(e) => fatal(routine, format_args!("lock {lock:p}: {e}")),
    }
}

/// `shmem_set_lock`: wait until the lock is free and take it.
///
/// # Safety
/// `lock` is a symmetric `long`, initialised to 0, used only through the lock routines.
#[no_mangle]
pub unsafe extern "C" fn shmem_set_lock(lock: *mut c_long) {
    let r = rt("shmem_set_lock");
    let w = word(r, lock, "shmem_set_lock");
    let me = r.my_pe() as i64 + 1;
    loop {
        if w.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        r.wait_until(point_to_point(), &|| "shmem_set_lock".to_string(), || {
            w.load(Ordering::Relaxed) == 0
        });
    }
}

/// `shmem_test_lock`: take the lock if it is free (returns 0), else return 1 at once.
///
/// # Safety
/// As [`shmem_set_lock`].
#[no_mangle]
pub unsafe extern "C" fn shmem_test_lock(lock: *mut c_long) -> std::ffi::c_int {
    let r = rt("shmem_test_lock");
    let w = word(r, lock, "shmem_test_lock");
    let me = r.my_pe() as i64 + 1;
    let held = w
        .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
        .is_err();
    if held {
        // A test loop is a wait too (see `memheap_shmem_test_failed`).
        test_failed(&|| "shmem_test_lock".to_string());
    }
    held as std::ffi::c_int
}

/// `shmem_clear_lock`: complete this PE's puts, then release the lock.
///
/// # Safety
/// As [`shmem_set_lock`]; the caller holds the lock.
#[no_mangle]
pub unsafe extern "C" fn shmem_clear_lock(lock: *mut c_long) {
    let r = rt("shmem_clear_lock");
    let w = word(r, lock, "shmem_clear_lock");
    r.quiet();
    w.store(0, Ordering::Release);
}
