//! Point-to-point synchronisation: `wait_until_{all,any,some}` and `test_{all,any,some}`
//! (with a comparison value or, in the `_vector` forms, one per element), the waiting part of
//! `shmem_TYPE_wait_until` (whose inline routine tests once, then calls here), and
//! `shmem_signal_wait_until`.
//!
//! The typed inline routines of `shmem.h` call [`memheap_shmem_wait_vars`] with the element width
//! and signedness; it reads each variable with an atomic load (acquire) and compares as the
//! C type would. Every blocking form waits through the runtime's one wait loop,
//! [`Runtime::wait_until`](memheap_std::runtime::Runtime::wait_until), which runs the
//! runtime's watch: the job's end (`shmem_global_exit`, an error elsewhere), a peer gone
//! without finalize, or a wait no other PE can end any more (every other PE finalizing or
//! blocked itself) ends the wait. A test that fails counts towards the same watch, as the
//! typed `shmem_TYPE_test` does.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{
    AtomicI16, AtomicI32, AtomicI64, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed},
};

/// Where the next `any` scan starts (see [`memheap_shmem_wait_vars`]).
static ROTATION: AtomicUsize = AtomicUsize::new(0);

use crate::shmem::{fatal, point_to_point, routine_name, rt, running, test_failed};

/// Modes of [`memheap_shmem_wait_vars`].
const WAIT_ALL: c_int = 0;
const WAIT_ANY: c_int = 1;
const WAIT_SOME: c_int = 2;
const TEST_ALL: c_int = 3;
const TEST_ANY: c_int = 4;
const TEST_SOME: c_int = 5;

/// Signed integer types add this to their width in the kind code.
const SIGNED: c_int = 0x100;

/// `SHMEM_CMP_*`.
const CMP_EQ: c_int = 0;
const CMP_NE: c_int = 1;
const CMP_GT: c_int = 2;
const CMP_GE: c_int = 3;
const CMP_LT: c_int = 4;
const CMP_LE: c_int = 5;

/// `a cmp b`, or `None` for an unknown comparison.
fn compare(a: i128, cmp: c_int, b: i128) -> Option<bool> {
    Some(match cmp {
        CMP_EQ => a == b,
        CMP_NE => a != b,
        CMP_GT => a > b,
        CMP_GE => a >= b,
        CMP_LT => a < b,
        CMP_LE => a <= b,
        _ => return None,
    })
}

/// Integer elements of one width and signedness.
#[derive(Clone, Copy)]
struct Kind {
    width: usize,
    signed: bool,
}

impl Kind {
    fn from_code(code: c_int) -> Option<Kind> {
        let width = (code & 0xff) as usize;
        matches!(width, 2 | 4 | 8).then_some(Kind {
            width,
            signed: code & SIGNED != 0,
        })
    }

    /// Widen raw bits of this kind to `i128`.
    fn widen(self, bits: u64) -> i128 {
        let shift = 64 - 8 * self.width as u32;
        if self.signed {
            ((bits << shift) as i64 >> shift) as i128
        } else {
            ((bits << shift) >> shift) as i128
        }
    }

    /// Atomic load of element `i` of `base`.
    ///
    /// # Safety
    /// `base` holds more than `i` aligned elements of this kind, accessed atomically by
    /// writers.
    unsafe fn load(self, base: *const c_void, i: usize) -> i128 {
        // SAFETY: element `i` is in bounds and aligned (contract); atomics of the same width.
        let bits = unsafe {
            match self.width {
                2 => AtomicI16::from_ptr(base.cast::<i16>().add(i).cast_mut()).load(Acquire) as u64,
                4 => AtomicI32::from_ptr(base.cast::<i32>().add(i).cast_mut()).load(Acquire) as u64,
                _ => AtomicI64::from_ptr(base.cast::<i64>().add(i).cast_mut()).load(Acquire) as u64,
            }
        };
        self.widen(bits)
    }

    /// Plain read of element `i` of the comparison vector.
    ///
    /// # Safety
    /// `base` holds more than `i` elements of this kind.
    unsafe fn read(self, base: *const c_void, i: usize) -> i128 {
        // SAFETY: in bounds (contract); unaligned reads are fine for a plain read.
        let bits = unsafe {
            match self.width {
                2 => base.cast::<i16>().add(i).read_unaligned() as u64,
                4 => base.cast::<i32>().add(i).read_unaligned() as u64,
                _ => base.cast::<i64>().add(i).read_unaligned() as u64,
            }
        };
        self.widen(bits)
    }
}

/// The body of every `shmem_TYPE_{wait_until,test}_{all,any,some}[_vector]`.
///
/// `ivars` holds `nelems` variables of kind `kind` (width | `SIGNED`); `status[i] != 0`
/// excludes variable `i` (`status` may be NULL); each is compared with `values[i]` when
/// `values` is not NULL, else with `value` (the C value converted to 64 bits). Returns, by
/// `mode`: `wait_until_all`: 0; `wait_until_any`, `test_any`: the index of a satisfied
/// variable or `SIZE_MAX` when none is included / none satisfies (successive calls start
/// their search one variable further on, so every satisfied variable is returned in turn);
/// `wait_until_some`, `test_some`: how many satisfied variables were stored in `indices`;
/// `test_all`: 1 if every included variable satisfies, else 0.
///
/// # Safety
/// `ivars` holds `nelems` aligned variables; `status`, `values` NULL or `nelems` long;
/// `indices` valid for `nelems` writes in the `some` modes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_wait_vars(
    ivars: *mut c_void,
    nelems: usize,
    indices: *mut usize,
    status: *const c_int,
    cmp: c_int,
    values: *const c_void,
    value: u64,
    kind: c_int,
    mode: c_int,
    routine: *const c_char,
) -> usize {
    let name = || routine_name(routine, "shmem_wait_until");
    let r = running().unwrap_or_else(|| rt(&name()));
    let Some(k) = Kind::from_code(kind) else {
        fatal(&name(), format_args!("unknown variable kind {kind:#x}"));
    };
    if compare(0, cmp, 0).is_none() {
        fatal(
            &name(),
            format_args!("unknown comparison {cmp} (use SHMEM_CMP_*)"),
        );
    }
    if nelems > 0 && (ivars.is_null() || ivars as usize % k.width != 0) {
        fatal(
            &name(),
            format_args!("ivars {ivars:p} is NULL or misaligned"),
        );
    }
    let some = mode == WAIT_SOME || mode == TEST_SOME;
    if some && nelems > 0 && indices.is_null() {
        fatal(&name(), format_args!("indices is NULL"));
    }
    let scalar = k.widen(value);
    // SAFETY: `status` is NULL or holds `nelems` ints (contract).
    let included = |i: usize| status.is_null() || unsafe { *status.add(i) } == 0;
    let satisfied = |i: usize| {
        // SAFETY: `i < nelems`; `values` NULL or `nelems` long; `ivars` `nelems` aligned
        // variables (contract).
        let (v, c) = unsafe {
            (
                k.load(ivars, i),
                if values.is_null() {
                    scalar
                } else {
                    k.read(values, i)
                },
            )
        };
        compare(v, cmp, c) == Some(true)
    };
    let any_included = (0..nelems).any(included);
    // The `any` forms start their scan one place further on each call, so that repeated
    // calls return every satisfied variable in turn (fairness), not always the lowest.
    let start = if nelems > 0 {
        ROTATION.fetch_add(1, Relaxed) % nelems
    } else {
        0
    };
    // One pass: how many included variables satisfy, and the first one from `start` on.
    let scan = |record: bool| {
        let mut count = 0usize;
        let (mut first, mut first_from_start) = (None, None);
        let mut all = true;
        for i in (0..nelems).filter(|&i| included(i)) {
            if satisfied(i) {
                if record {
                    // SAFETY: `indices` holds `nelems` entries (contract); count < nelems.
                    unsafe { *indices.add(count) = i };
                }
                count += 1;
                first.get_or_insert(i);
                if i >= start {
                    first_from_start.get_or_insert(i);
                }
            } else {
                all = false;
            }
        }
        (count, first_from_start.or(first), all)
    };
    match mode {
        WAIT_ALL => {
            r.wait_until(point_to_point(), &name, || scan(false).2);
            0
        }
        WAIT_ANY | TEST_ANY => {
            if !any_included {
                return usize::MAX;
            }
            let mut found = scan(false).1;
            if mode == WAIT_ANY {
                r.wait_until(point_to_point(), &name, || {
                    found = scan(false).1;
                    found.is_some()
                });
            } else if found.is_none() {
                test_failed(&name);
            }
            found.unwrap_or(usize::MAX)
        }
        WAIT_SOME | TEST_SOME => {
            if !any_included {
                return 0;
            }
            let mut count = scan(true).0;
            if mode == WAIT_SOME {
                r.wait_until(point_to_point(), &name, || {
                    count = scan(true).0;
                    count > 0
                });
            } else if count == 0 {
                test_failed(&name);
            }
            count
        }
        TEST_ALL => {
            let all = scan(false).2;
            if !all {
                test_failed(&name);
            }
            all as usize
        }
        _ => fatal(&name(), format_args!("unknown wait mode {mode}")),
    }
}

/// `shmem_signal_wait_until`: wait until this PE's signal `sig_addr` compares with
/// `cmp_value` as `cmp` says (unsigned 64-bit), and return its value.
///
/// # Safety
/// `sig_addr` a symmetric, 8-byte aligned `uint64_t` (checked).
#[no_mangle]
pub unsafe extern "C" fn shmem_signal_wait_until(
    sig_addr: *mut u64,
    cmp: c_int,
    cmp_value: u64,
) -> u64 {
    const NAME: &str = "shmem_signal_wait_until";
    let r = rt(NAME);
    if compare(0, cmp, 0).is_none() {
        fatal(
            NAME,
            format_args!("unknown comparison {cmp} (use SHMEM_CMP_*)"),
        );
    }
    let sig = match r.remote_atomic(sig_addr.cast::<AtomicU64>(), r.my_pe()) {
        // SAFETY: an aligned 8-byte word of our symmetric memory, accessed atomically.
        Ok(p) => unsafe { p.as_ref() },
        Err(e) => fatal(NAME, format_args!("sig_addr: {e}")),
    };
    let mut seen = 0;
    r.wait_until(point_to_point(), &|| NAME.to_string(), || {
        seen = sig.load(Acquire);
        compare(seen as i128, cmp, cmp_value as i128) == Some(true)
    });
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_follows_the_c_type() {
        let s16 = Kind::from_code(SIGNED | 2).unwrap();
        let u16k = Kind::from_code(2).unwrap();
        assert_eq!(s16.widen(0xffff), -1);
        assert_eq!(u16k.widen(0xffff), 65535);
        // A negative int converted to uint64_t by C keeps its value when widened back.
        let s32 = Kind::from_code(SIGNED | 4).unwrap();
        assert_eq!(s32.widen(-5i64 as u64), -5);
        let u64k = Kind::from_code(8).unwrap();
        assert_eq!(u64k.widen(u64::MAX), u64::MAX as i128);
        assert!(Kind::from_code(3).is_none());
        assert_eq!(compare(-1, CMP_LT, 0), Some(true));
        assert_eq!(compare(u64::MAX as i128, CMP_GT, 0), Some(true));
        assert_eq!(compare(1, 9, 0), None);
    }
}
