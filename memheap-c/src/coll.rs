//! Collectives: broadcast, collect, fcollect, alltoall(s) and reductions in their team forms
//! (OpenSHMEM 1.5) and their deprecated active-set forms (`PE_start`, `logPE_stride`,
//! `PE_size`, `pSync`), plus `shmem_barrier` and `shmem_sync` on active sets.
//!
//! The typed routines of `shmem.h` are inline functions over four entry points
//! ([`memheap_shmem_coll`], [`memheap_shmem_coll_as`], [`memheap_shmem_reduce`],
//! [`memheap_shmem_reduce_as`]) that take the element size or type and the operation; the
//! algorithms are the runtime's ([`memheap_std::runtime::Team`]).
//!
//! Reductions combine in team order on every PE (bit-identical results everywhere). Integer
//! sums and products wrap; `long double` is combined by a function the inline routine passes
//! (Rust has no `long double`).

use std::ffi::{c_char, c_int, c_long, c_void};

use memheap_std::runtime::{say, Runtime, Team};

use crate::shmem::{fatal, routine_name, rt};
use crate::team::team_of;

/// `memheap_shmem_coll` kinds.
const BROADCAST: c_int = 0;
const COLLECT: c_int = 1;
const FCOLLECT: c_int = 2;
const ALLTOALL: c_int = 3;
const ALLTOALLS: c_int = 4;

/// Reduction operations.
const OP_AND: c_int = 0;
const OP_OR: c_int = 1;
const OP_XOR: c_int = 2;
const OP_MAX: c_int = 3;
const OP_MIN: c_int = 4;
const OP_SUM: c_int = 5;
const OP_PROD: c_int = 6;

/// Type classes of the reduction type code (`class | size`); integers add [`SIGNED`].
const INT: c_int = 0x000;
const SIGNED: c_int = 0x100;
const FLOAT: c_int = 0x200;
const COMPLEX: c_int = 0x400;
const CALLBACK: c_int = 0x800;

/// A combine function passed by the inline routine (`long double`): `acc[i] op= next[i]` for
/// `n` elements.
pub type Combine = Option<unsafe extern "C" fn(*mut c_void, *const c_void, usize)>;

fn fail(routine: &str, e: impl std::fmt::Display) -> ! {
    fatal(routine, format_args!("{e}"))
}

fn bytes(routine: &str, nelems: usize, elem: usize) -> usize {
    nelems.checked_mul(elem).unwrap_or_else(|| {
        fail(
            routine,
            format_args!("{nelems} elements of {elem} bytes overflow"),
        )
    })
}

fn team_or_none(r: &Runtime, team: *const c_void, routine: &str) -> Option<Team> {
    let t = team_of(r, team);
    if t.is_none() && std::env::var_os("SHMEM_DEBUG").is_some() {
        say(&format!(
            "memheap: PE {}: {routine}: {team:p} is not a valid team; returning nonzero",
            r.my_pe()
        ));
    }
    t
}

fn active_set(
    r: &Runtime,
    start: c_int,
    log_stride: c_int,
    size: c_int,
    psync: *mut c_long,
    routine: &str,
) -> Team {
    r.active_set(start, log_stride, size, psync.cast())
        .unwrap_or_else(|e| fail(routine, e))
}

/// The body of every data collective but the reductions.
///
/// # Safety
/// As the collective's specification: `dest` and `source` symmetric and large enough.
#[allow(clippy::too_many_arguments)]
unsafe fn run(
    r: &Runtime,
    t: &Team,
    kind: c_int,
    dest: *mut c_void,
    source: *const c_void,
    nelems: usize,
    elem: usize,
    dst: isize,
    sst: isize,
    root: c_int,
    root_too: bool,
    routine: &str,
) {
    let (d, s) = (dest.cast::<u8>(), source.cast::<u8>());
    // SAFETY: forwarded contract (every arm); the runtime checks symmetry.
    let done = unsafe {
        match kind {
            BROADCAST => {
                if root < 0 {
                    fail(routine, format_args!("PE_root {root} is negative"));
                }
                r.broadcast(
                    t,
                    d,
                    s,
                    bytes(routine, nelems, elem),
                    root as usize,
                    root_too,
                )
            }
            COLLECT | FCOLLECT => {
                r.collect(t, d, s, bytes(routine, nelems, elem), kind == FCOLLECT)
            }
            ALLTOALL => r.alltoalls(t, d, s, 1, 1, nelems, elem),
            ALLTOALLS => {
                if dst < 1 || sst < 1 {
                    fail(
                        routine,
                        format_args!("strides dst {dst}, sst {sst} must be >= 1"),
                    );
                }
                r.alltoalls(t, d, s, dst, sst, nelems, elem)
            }
            _ => fail(routine, format_args!("unknown collective {kind}")),
        }
    };
    if let Err(e) = done {
        fail(routine, e);
    }
}

/// Team form of broadcast (`PE_root` in the team; the root's `dest` is written too), collect,
/// fcollect, alltoall and alltoalls. Returns 0, or -1 for an invalid team.
///
/// # Safety
/// As the routine's specification.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_coll(
    kind: c_int,
    team: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    nelems: usize,
    elem_size: usize,
    dst: isize,
    sst: isize,
    root: c_int,
    routine: *const c_char,
) -> c_int {
    let name = routine_name(routine, "shmem collective");
    let r = rt(&name);
    let Some(t) = team_or_none(r, team, &name) else {
        return -1;
    };
    // SAFETY: forwarded contract.
    unsafe {
        run(
            r, &t, kind, dest, source, nelems, elem_size, dst, sst, root, true, &name,
        )
    };
    0
}

/// Active-set form of the same collectives (`PE_root` is an index in the active set; its
/// `dest` is left alone, as the deprecated routines specify).
///
/// # Safety
/// As the routine's specification; `pSync` symmetric, `SHMEM_*_SYNC_SIZE` longs, all
/// `SHMEM_SYNC_VALUE`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_coll_as(
    kind: c_int,
    dest: *mut c_void,
    source: *const c_void,
    nelems: usize,
    elem_size: usize,
    dst: isize,
    sst: isize,
    root: c_int,
    pe_start: c_int,
    log_pe_stride: c_int,
    pe_size: c_int,
    psync: *mut c_long,
    routine: *const c_char,
) {
    let name = routine_name(routine, "shmem collective");
    let r = rt(&name);
    let t = active_set(r, pe_start, log_pe_stride, pe_size, psync, &name);
    // SAFETY: forwarded contract.
    unsafe {
        run(
            r, &t, kind, dest, source, nelems, elem_size, dst, sst, root, false, &name,
        )
    };
}

/// `shmem_barrier` (deprecated): complete this PE's puts, then a barrier over the active set.
///
/// # Safety
/// `pSync` symmetric, `SHMEM_BARRIER_SYNC_SIZE` longs, all `SHMEM_SYNC_VALUE`.
#[no_mangle]
pub unsafe extern "C" fn shmem_barrier(
    pe_start: c_int,
    log_pe_stride: c_int,
    pe_size: c_int,
    psync: *mut c_long,
) {
    const NAME: &str = "shmem_barrier";
    let r = rt(NAME);
    let t = active_set(r, pe_start, log_pe_stride, pe_size, psync, NAME);
    r.quiet();
    if let Err(e) = r.team_barrier(&t) {
        fail(NAME, e);
    }
}

/// `shmem_sync` on an active set (deprecated; C11 programs reach the team form,
/// `shmem_team_sync`, through the generic `shmem_sync(team)`).
///
/// # Safety
/// `pSync` symmetric, `SHMEM_BARRIER_SYNC_SIZE` longs, all `SHMEM_SYNC_VALUE`.
#[no_mangle]
pub unsafe extern "C" fn shmem_sync(
    pe_start: c_int,
    log_pe_stride: c_int,
    pe_size: c_int,
    psync: *mut c_long,
) {
    const NAME: &str = "shmem_sync";
    let r = rt(NAME);
    let t = active_set(r, pe_start, log_pe_stride, pe_size, psync, NAME);
    if let Err(e) = r.team_barrier(&t) {
        fail(NAME, e);
    }
}

// ---- reductions ------------------------------------------------------------------------------

/// An element type the reductions combine natively.
trait Elem: Copy {
    const SIZE: usize;
    fn load(b: &[u8]) -> Self;
    fn store(self, b: &mut [u8]);
}

macro_rules! elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn load(b: &[u8]) -> Self {
                <$t>::from_ne_bytes(b.try_into().expect("element size"))
            }
            fn store(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
elem!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

/// `acc[i] = f(acc[i], next[i])` over elements of `T`.
fn fold<T: Elem>(acc: &mut [u8], next: &[u8], f: impl Fn(T, T) -> T) {
    for (a, b) in acc
        .chunks_exact_mut(T::SIZE)
        .zip(next.chunks_exact(T::SIZE))
    {
        f(T::load(a), T::load(b)).store(a);
    }
}

/// Complex elements: pairs of `T` (real, imaginary).
fn fold_complex<
    T: Elem + std::ops::Add<Output = T> + std::ops::Sub<Output = T> + std::ops::Mul<Output = T>,
>(
    acc: &mut [u8],
    next: &[u8],
    prod: bool,
) {
    let s = T::SIZE;
    for (a, b) in acc.chunks_exact_mut(2 * s).zip(next.chunks_exact(2 * s)) {
        let (ar, ai) = (T::load(&a[..s]), T::load(&a[s..]));
        let (br, bi) = (T::load(&b[..s]), T::load(&b[s..]));
        let (r, i) = if prod {
            (ar * br - ai * bi, ar * bi + ai * br)
        } else {
            (ar + br, ai + bi)
        };
        r.store(&mut a[..s]);
        i.store(&mut a[s..]);
    }
}

macro_rules! int_op {
    ($t:ty, $op:expr, $acc:expr, $next:expr) => {
        match $op {
            OP_AND => fold::<$t>($acc, $next, |a, b| a & b),
            OP_OR => fold::<$t>($acc, $next, |a, b| a | b),
            OP_XOR => fold::<$t>($acc, $next, |a, b| a ^ b),
            OP_MAX => fold::<$t>($acc, $next, |a, b| a.max(b)),
            OP_MIN => fold::<$t>($acc, $next, |a, b| a.min(b)),
            OP_SUM => fold::<$t>($acc, $next, |a, b| a.wrapping_add(b)),
            _ => fold::<$t>($acc, $next, |a, b| a.wrapping_mul(b)),
        }
    };
}

macro_rules! float_op {
    ($t:ty, $op:expr, $acc:expr, $next:expr) => {
        match $op {
            OP_MAX => fold::<$t>($acc, $next, |a, b| if b > a { b } else { a }),
            OP_MIN => fold::<$t>($acc, $next, |a, b| if b < a { b } else { a }),
            OP_SUM => fold::<$t>($acc, $next, |a, b| a + b),
            _ => fold::<$t>($acc, $next, |a, b| a * b),
        }
    };
}

/// The element size of type code `ty` with operation `op`, or why they do not go together.
fn check_type(ty: c_int, op: c_int, combine: Combine) -> Result<usize, String> {
    if !(OP_AND..=OP_PROD).contains(&op) {
        return Err(format!("unknown reduction operation {op}"));
    }
    let size = (ty & 0xff) as usize;
    let ok = match ty & !0xff {
        INT | SIGNED => matches!(size, 1 | 2 | 4 | 8),
        FLOAT => matches!(size, 4 | 8) && op >= OP_MAX,
        COMPLEX => matches!(size, 8 | 16) && op >= OP_SUM,
        CALLBACK => combine.is_some() && size > 0 && op >= OP_MAX,
        _ => false,
    };
    if ok {
        Ok(size)
    } else {
        Err(format!(
            "type code {ty:#x} cannot be reduced with operation {op}"
        ))
    }
}

/// Fold `next` into `acc`, elements of type code `ty` (checked by [`check_type`]).
fn combine_bytes(ty: c_int, op: c_int, combine: Combine, acc: &mut [u8], next: &[u8]) {
    match (ty & !0xff, ty & 0xff) {
        (SIGNED, 1) => int_op!(i8, op, acc, next),
        (SIGNED, 2) => int_op!(i16, op, acc, next),
        (SIGNED, 4) => int_op!(i32, op, acc, next),
        (SIGNED, 8) => int_op!(i64, op, acc, next),
        (INT, 1) => int_op!(u8, op, acc, next),
        (INT, 2) => int_op!(u16, op, acc, next),
        (INT, 4) => int_op!(u32, op, acc, next),
        (INT, 8) => int_op!(u64, op, acc, next),
        (FLOAT, 4) => float_op!(f32, op, acc, next),
        (FLOAT, 8) => float_op!(f64, op, acc, next),
        (COMPLEX, 8) => fold_complex::<f32>(acc, next, op == OP_PROD),
        (COMPLEX, 16) => fold_complex::<f64>(acc, next, op == OP_PROD),
        (CALLBACK, size) => {
            if let Some(f) = combine {
                // SAFETY: the inline routine passes a combine function for its own element
                // type, `size` bytes each; `acc` and `next` hold `len / size` elements.
                unsafe {
                    f(
                        acc.as_mut_ptr().cast(),
                        next.as_ptr().cast(),
                        acc.len() / size as usize,
                    )
                };
            }
        }
        _ => unreachable!("checked by check_type"),
    }
}

/// The body of every reduction.
///
/// # Safety
/// `dest` and `source` symmetric arrays of `nreduce` elements of type `ty`.
#[allow(clippy::too_many_arguments)]
unsafe fn reduce(
    r: &Runtime,
    t: &Team,
    dest: *mut c_void,
    source: *const c_void,
    nreduce: usize,
    ty: c_int,
    op: c_int,
    combine: Combine,
    routine: &str,
) {
    let size = check_type(ty, op, combine).unwrap_or_else(|e| fail(routine, e));
    let len = bytes(routine, nreduce, size);
    let mut f = |acc: &mut [u8], next: &[u8]| combine_bytes(ty, op, combine, acc, next);
    // SAFETY: forwarded contract; the runtime checks symmetry of both ranges first.
    if let Err(e) = unsafe { r.reduce(t, dest.cast(), source.cast(), len, &mut f) } {
        fail(routine, e);
    }
}

/// Team-form reduction `shmem_TYPE_OP_reduce`: returns 0, or -1 for an invalid team.
///
/// # Safety
/// `dest` and `source` symmetric arrays of `nreduce` elements of the type `ty` names.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_reduce(
    team: *const c_void,
    dest: *mut c_void,
    source: *const c_void,
    nreduce: usize,
    ty: c_int,
    op: c_int,
    combine: Combine,
    routine: *const c_char,
) -> c_int {
    let name = routine_name(routine, "shmem reduction");
    let r = rt(&name);
    let Some(t) = team_or_none(r, team, &name) else {
        return -1;
    };
    // SAFETY: forwarded contract.
    unsafe { reduce(r, &t, dest, source, nreduce, ty, op, combine, &name) };
    0
}

/// Active-set reduction `shmem_TYPE_OP_to_all` (deprecated); `pWrk` is not needed.
///
/// # Safety
/// As [`memheap_shmem_reduce`]; `pSync` symmetric, `SHMEM_REDUCE_SYNC_SIZE` longs, all
/// `SHMEM_SYNC_VALUE`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn memheap_shmem_reduce_as(
    dest: *mut c_void,
    source: *const c_void,
    nreduce: c_int,
    ty: c_int,
    op: c_int,
    combine: Combine,
    pe_start: c_int,
    log_pe_stride: c_int,
    pe_size: c_int,
    psync: *mut c_long,
    routine: *const c_char,
) {
    let name = routine_name(routine, "shmem reduction");
    let r = rt(&name);
    if nreduce < 0 {
        fail(&name, format_args!("nreduce {nreduce} is negative"));
    }
    let t = active_set(r, pe_start, log_pe_stride, pe_size, psync, &name);
    // SAFETY: forwarded contract.
    unsafe {
        reduce(
            r,
            &t,
            dest,
            source,
            nreduce as usize,
            ty,
            op,
            combine,
            &name,
        )
    };
}

/// The body of the exported `shmem_int_sum_reduce` and `shmem_long_sum_reduce`.
///
/// # Safety
/// `dest` and `source` symmetric arrays of `nreduce` elements of `T`.
pub(crate) unsafe fn sum_reduce<T>(
    routine: &str,
    team: *const c_void,
    dest: *mut T,
    source: *const T,
    nreduce: usize,
) -> c_int {
    let r = rt(routine);
    let Some(t) = team_or_none(r, team, routine) else {
        return -1;
    };
    let ty = SIGNED | std::mem::size_of::<T>() as c_int;
    // SAFETY: forwarded contract.
    unsafe {
        reduce(
            r,
            &t,
            dest.cast(),
            source.cast(),
            nreduce,
            ty,
            OP_SUM,
            None,
            routine,
        )
    };
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of<T: Elem>(v: &[T]) -> Vec<u8> {
        let mut out = vec![0u8; v.len() * T::SIZE];
        for (x, b) in v.iter().zip(out.chunks_exact_mut(T::SIZE)) {
            x.store(b);
        }
        out
    }

    fn values<T: Elem>(b: &[u8]) -> Vec<T> {
        b.chunks_exact(T::SIZE).map(T::load).collect()
    }

    #[test]
    fn integer_operations_by_signedness() {
        let ty = SIGNED | 4;
        for (op, want) in [
            (OP_AND, vec![-8i32 & 3, 5 & 9]),
            (OP_OR, vec![-8 | 3, 5 | 9]),
            (OP_XOR, vec![-8 ^ 3, 5 ^ 9]),
            (OP_MAX, vec![3, 9]),
            (OP_MIN, vec![-8, 5]),
            (OP_SUM, vec![-5, 14]),
            (OP_PROD, vec![-24, 45]),
        ] {
            let mut acc = bytes_of(&[-8i32, 5]);
            combine_bytes(ty, op, None, &mut acc, &bytes_of(&[3i32, 9]));
            assert_eq!(values::<i32>(&acc), want, "op {op}");
        }
        // Unsigned: 0xff is the maximum, not -1.
        let mut acc = bytes_of(&[0xffu8]);
        combine_bytes(INT | 1, OP_MAX, None, &mut acc, &bytes_of(&[1u8]));
        assert_eq!(values::<u8>(&acc), vec![0xff]);
        // Sums wrap.
        let mut acc = bytes_of(&[i64::MAX]);
        combine_bytes(SIGNED | 8, OP_SUM, None, &mut acc, &bytes_of(&[1i64]));
        assert_eq!(values::<i64>(&acc), vec![i64::MIN]);
    }

    #[test]
    fn floats_and_complex() {
        let mut acc = bytes_of(&[1.5f64, -2.0]);
        combine_bytes(
            FLOAT | 8,
            OP_PROD,
            None,
            &mut acc,
            &bytes_of(&[2.0f64, 4.0]),
        );
        assert_eq!(values::<f64>(&acc), vec![3.0, -8.0]);
        // (1 + 2i)(3 + 4i) = -5 + 10i
        let mut acc = bytes_of(&[1.0f32, 2.0]);
        combine_bytes(
            COMPLEX | 8,
            OP_PROD,
            None,
            &mut acc,
            &bytes_of(&[3.0f32, 4.0]),
        );
        assert_eq!(values::<f32>(&acc), vec![-5.0, 10.0]);
        let mut acc = bytes_of(&[1.0f64, 2.0]);
        combine_bytes(
            COMPLEX | 16,
            OP_SUM,
            None,
            &mut acc,
            &bytes_of(&[3.0f64, 4.0]),
        );
        assert_eq!(values::<f64>(&acc), vec![4.0, 6.0]);
    }

    #[test]
    fn invalid_combinations_are_refused() {
        assert!(check_type(FLOAT | 8, OP_AND, None).is_err());
        assert!(check_type(COMPLEX | 8, OP_MAX, None).is_err());
        assert!(check_type(SIGNED | 3, OP_SUM, None).is_err());
        assert!(check_type(CALLBACK | 16, OP_SUM, None).is_err());
        assert!(check_type(SIGNED | 4, 7, None).is_err());
        assert_eq!(check_type(SIGNED | 4, OP_XOR, None), Ok(4));
    }
}
