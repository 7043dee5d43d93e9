//! The OpenSHMEM entry points of `shmem.h`, over the PE runtime of memheap-std.
//!
//! Thin by design: argument checks and the specification's semantics live here (which PE
//! numbers are valid, what a NULL means, which routine an error names); barriers, collective
//! allocation and peer access are the runtime's.
//!
//! Threads: `shmem_init_thread` provides up to `SHMEM_THREAD_MULTIPLE`. The runtime is `Sync`
//! (its heap and mappings behind locks, its counters atomic), so RMA, atomics, waits and
//! allocation may come from any thread at once; collective calls must be made in the same
//! order on every PE, as the specification orders them.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_char, c_int, c_long, c_void};
use std::io::Write;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use memheap_std::runtime::{self, say, Awaiting, Runtime, Watch};

/// `SHMEM_THREAD_SINGLE`.
pub const SHMEM_THREAD_SINGLE: c_int = 0;
/// `SHMEM_THREAD_SERIALIZED`.
pub const SHMEM_THREAD_SERIALIZED: c_int = 2;
/// `SHMEM_THREAD_MULTIPLE`: the most this library provides.
pub const SHMEM_THREAD_MULTIPLE: c_int = 3;

/// `SHMEM_MAJOR_VERSION`.
pub const MAJOR: c_int = 1;
/// `SHMEM_MINOR_VERSION`.
pub const MINOR: c_int = 5;
// memheap-info and SHMEM_INFO print memheap_std's copy of the version.
const _: () = assert!(
    MAJOR as u32 == memheap_std::info::OPENSHMEM_VERSION.0
        && MINOR as u32 == memheap_std::info::OPENSHMEM_VERSION.1
);
/// `SHMEM_VENDOR_STRING`, NUL-terminated.
pub const VENDOR: &[u8] = b"memheap\0";
/// `SHMEM_MAX_NAME_LEN`.
pub const MAX_NAME_LEN: usize = 256;

const NEVER: u8 = 0;
const RUNNING: u8 = 1;
const FINALIZED: u8 = 2;

/// The process's runtime. Written once by `shmem_init` (no other call may run concurrently
/// with it), read by every other entry point afterwards.
struct Global {
    state: AtomicU8,
    thread_level: AtomicI32,
    rt: UnsafeCell<Option<Runtime>>,
}

// SAFETY: `rt` is written only by `shmem_init`, before `state` becomes RUNNING (Release), and
// read only after observing RUNNING (Acquire); the specification forbids other calls during
// `shmem_init`. Afterwards it is only shared (`&Runtime`), and `Runtime` is `Sync`.
unsafe impl Sync for Global {}

static G: Global = Global {
    state: AtomicU8::new(NEVER),
    thread_level: AtomicI32::new(SHMEM_THREAD_SINGLE),
    rt: UnsafeCell::new(None),
};

fn flush() {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// Print `msg` naming `routine` (one line, one write) and end the job with status 1 (all PEs,
/// through the runtime when there is one, which tells the launcher and the peers that the
/// library ended it after an error).
pub(crate) fn fatal(routine: &str, msg: std::fmt::Arguments<'_>) -> ! {
    match running() {
        Some(r) => say(&format!("memheap: PE {}: {routine}: {msg}", r.my_pe())),
        None => say(&format!("memheap: {routine}: {msg}")),
    }
    flush();
    match running() {
        Some(r) => r.fail_job(1),
        None => std::process::exit(1),
    }
}

/// The runtime, if `shmem_init` has run and `shmem_finalize` has not.
pub(crate) fn running() -> Option<&'static Runtime> {
    if G.state.load(Ordering::Acquire) != RUNNING {
        return None;
    }
    // SAFETY: RUNNING was published after `rt` was written and `rt` is never written again
    // while RUNNING (see `Global`).
    unsafe { (*G.rt.get()).as_ref() }
}

/// The runtime, or a fatal error naming `routine`.
pub(crate) fn rt(routine: &str) -> &'static Runtime {
    match running() {
        Some(r) => r,
        None => match G.state.load(Ordering::Acquire) {
            FINALIZED => fatal(routine, format_args!("called after shmem_finalize")),
            _ => fatal(routine, format_args!("called before shmem_init")),
        },
    }
}

/// A PE number from C, checked against the job, or a fatal error naming `routine` and the PE.
/// `routine` is only called on the error path (building the name allocates).
pub(crate) fn pe_index(r: &Runtime, pe: c_int, routine: impl Fn() -> String) -> usize {
    if pe < 0 || pe as usize >= r.n_pes() {
        fatal(
            &routine(),
            format_args!(
                "PE {pe} is out of range (the job has PEs 0..{})",
                r.n_pes() - 1
            ),
        );
    }
    pe as usize
}

fn announce(r: &Runtime) {
    if r.my_pe() != 0 {
        return;
    }
    if std::env::var_os("SHMEM_VERSION").is_some() {
        println!(
            "memheap {}: OpenSHMEM {MAJOR}.{MINOR}",
            env!("CARGO_PKG_VERSION")
        );
    }
    if std::env::var_os("SHMEM_INFO").is_some() {
        // The heap as it is and every variable with its value in effect (memheap_std::info).
        let (base, bytes) = r.heap_range();
        let (component, huge_pages) = r.heap_description().unwrap_or_default();
        let running = memheap_std::info::Running {
            n_pes: r.n_pes(),
            base: base as u64,
            bytes: bytes as u64,
            huge_pages,
            component,
        };
        print!(
            "{}",
            memheap_std::info::shmem_info(memheap_std::env::process_env, &running)
        );
    }
    flush();
}

// ---- setup, exit and query -------------------------------------------------------------------

/// `shmem_init`: start the runtime (a no-op if it is running).
#[no_mangle]
pub extern "C" fn shmem_init() {
    match G.state.load(Ordering::Acquire) {
        RUNNING => return,
        FINALIZED => fatal(
            "shmem_init",
            format_args!("the library cannot be initialised again after shmem_finalize"),
        ),
        _ => {}
    }
    let r = match runtime::init() {
        Ok(r) => r,
        Err(e) => fatal("shmem_init", format_args!("{e}")),
    };
    // SAFETY: state is NEVER, so no reader exists yet, and calls do not overlap (see Global).
    unsafe { *G.rt.get() = Some(r) };
    G.state.store(RUNNING, Ordering::Release);
    register_implicit_finalize();
    if let Some(r) = running() {
        announce(r);
    }
}

/// The implicit finalize: a program that returns from `main` (or calls `exit(0)`) without
/// `shmem_finalize` is finalized at exit, barrier included, so its peers can still reach its
/// memory until they are done too. A failing exit status (or a `shmem_global_exit`) skips it:
/// the job is ending, and waiting for peers could hang it.
extern "C" fn implicit_finalize(status: c_int, _arg: *mut c_void) {
    if let Some(r) = running() {
        r.finalize_at_exit(status);
        G.state.store(FINALIZED, Ordering::Release);
    }
}

#[cfg(target_env = "gnu")]
extern "C" {
    /// glibc's `on_exit`: like `atexit`, and the handler gets the exit status.
    fn on_exit(function: extern "C" fn(c_int, *mut c_void), arg: *mut c_void) -> c_int;
}

#[cfg(target_env = "gnu")]
fn register_implicit_finalize() {
    // SAFETY: registers a handler with the signature on_exit expects; it touches only the
    // runtime, which lives in a static.
    unsafe { on_exit(implicit_finalize, ptr::null_mut()) };
}

#[cfg(not(target_env = "gnu"))]
fn register_implicit_finalize() {
    extern "C" fn at_exit() {
        // Without on_exit the status is unknown: finalize as for a normal exit.
        implicit_finalize(0, ptr::null_mut());
    }
    // SAFETY: registers a plain `extern "C" fn()` handler.
    unsafe { libc_atexit(at_exit) };
}

#[cfg(not(target_env = "gnu"))]
extern "C" {
    #[link_name = "atexit"]
    fn libc_atexit(cb: extern "C" fn()) -> c_int;
}

/// `shmem_init_thread`: as `shmem_init`; provides the level requested (up to
/// `SHMEM_THREAD_MULTIPLE`).
///
/// # Safety
/// `provided` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_init_thread(requested: c_int, provided: *mut c_int) -> c_int {
    shmem_init();
    let level = requested.clamp(SHMEM_THREAD_SINGLE, SHMEM_THREAD_MULTIPLE);
    G.thread_level.store(level, Ordering::Relaxed);
    if !provided.is_null() {
        // SAFETY: non-null and valid for a write (contract).
        unsafe { *provided = level };
    }
    0
}

/// `shmem_query_thread`.
///
/// # Safety
/// `provided` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_query_thread(provided: *mut c_int) {
    if !provided.is_null() {
        // SAFETY: non-null and valid for a write (contract).
        unsafe { *provided = G.thread_level.load(Ordering::Relaxed) };
    }
}

/// `shmem_finalize`: a barrier, then release everything. Idempotent.
#[no_mangle]
pub extern "C" fn shmem_finalize() {
    if let Some(r) = running() {
        if let Err(e) = r.finalize() {
            fatal("shmem_finalize", format_args!("{e}"));
        }
        G.state.store(FINALIZED, Ordering::Release);
        flush();
    }
}

/// `shmem_global_exit`: end every PE of the job with `status`.
#[no_mangle]
pub extern "C" fn shmem_global_exit(status: c_int) {
    flush();
    match running() {
        Some(r) => r.global_exit(status),
        None => std::process::exit(status),
    }
}

/// `shmem_my_pe` (-1 before `shmem_init`).
#[no_mangle]
pub extern "C" fn shmem_my_pe() -> c_int {
    running().map_or(-1, |r| r.my_pe() as c_int)
}

/// `shmem_n_pes` (-1 before `shmem_init`).
#[no_mangle]
pub extern "C" fn shmem_n_pes() -> c_int {
    running().map_or(-1, |r| r.n_pes() as c_int)
}

/// `shmem_pe_accessible`: 1 for every PE of the job (all are on this machine), else 0.
#[no_mangle]
pub extern "C" fn shmem_pe_accessible(pe: c_int) -> c_int {
    running().is_some_and(|r| query_pe(r, pe, "shmem_pe_accessible").is_some()) as c_int
}

/// A PE number given to a query routine: `Some(pe)` if it is one of the job's. An out-of-range
/// PE is an answer (0 or NULL), not an error, for the query routines; with `SHMEM_DEBUG` it is
/// reported, naming the routine and the PE.
fn query_pe(r: &Runtime, pe: c_int, routine: &str) -> Option<usize> {
    if pe >= 0 && (pe as usize) < r.n_pes() {
        return Some(pe as usize);
    }
    if std::env::var_os("SHMEM_DEBUG").is_some() {
        say(&format!(
            "memheap: PE {}: {routine}: PE {pe} is out of range (the job has PEs 0..{}); answering as not accessible",
            r.my_pe(),
            r.n_pes() - 1
        ));
    }
    None
}

/// `shmem_addr_accessible`: 1 if `addr` is symmetric (heap, static or global data) and `pe`
/// is a PE of the job; 0 otherwise (stack and heap-of-malloc addresses, a PE out of range).
#[no_mangle]
pub extern "C" fn shmem_addr_accessible(addr: *const c_void, pe: c_int) -> c_int {
    let Some(r) = running() else { return 0 };
    match query_pe(r, pe, "shmem_addr_accessible") {
        Some(pe) => r.addr_accessible(addr, pe) as c_int,
        None => 0,
    }
}

/// `shmem_ptr`: a local address through which loads and stores reach `dest` on `pe`; NULL if
/// there is none (a peer's read-only static data, a non-symmetric address, a PE out of range).
#[no_mangle]
pub extern "C" fn shmem_ptr(dest: *const c_void, pe: c_int) -> *mut c_void {
    let Some(r) = running() else {
        return ptr::null_mut();
    };
    match query_pe(r, pe, "shmem_ptr") {
        Some(pe) => r.ptr(dest, pe).map_or(ptr::null_mut(), |p| p.as_ptr()),
        None => ptr::null_mut(),
    }
}

/// `shmem_info_get_version`.
///
/// # Safety
/// Each pointer is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_info_get_version(major: *mut c_int, minor: *mut c_int) {
    // SAFETY: each is NULL or valid for a write (contract).
    unsafe {
        if !major.is_null() {
            *major = MAJOR;
        }
        if !minor.is_null() {
            *minor = MINOR;
        }
    }
}

/// `shmem_info_get_name`: copies `SHMEM_VENDOR_STRING` (at most `SHMEM_MAX_NAME_LEN` bytes with
/// the NUL).
///
/// # Safety
/// `name` is NULL or valid for `SHMEM_MAX_NAME_LEN` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn shmem_info_get_name(name: *mut c_char) {
    if !name.is_null() {
        // SAFETY: VENDOR is shorter than MAX_NAME_LEN, and `name` holds that many (contract).
        unsafe {
            ptr::copy_nonoverlapping(VENDOR.as_ptr().cast(), name, VENDOR.len().min(MAX_NAME_LEN))
        };
    }
}

/// `start_pes` (deprecated): `shmem_init`; the argument is ignored, as the specification says.
#[no_mangle]
pub extern "C" fn start_pes(_npes: c_int) {
    shmem_init();
}

/// `_my_pe` (deprecated).
#[no_mangle]
pub extern "C" fn _my_pe() -> c_int {
    shmem_my_pe()
}

/// `_num_pes` (deprecated).
#[no_mangle]
pub extern "C" fn _num_pes() -> c_int {
    shmem_n_pes()
}

// ---- symmetric memory ------------------------------------------------------------------------

fn out(p: Option<NonNull<u8>>) -> *mut c_void {
    p.map_or(ptr::null_mut(), |p| p.as_ptr().cast())
}

fn malloc_named(size: usize, routine: &str) -> *mut c_void {
    if size == 0 {
        return ptr::null_mut();
    }
    out(rt(routine).malloc(size))
}

fn align_named(alignment: usize, size: usize, routine: &str) -> *mut c_void {
    if size == 0 {
        return ptr::null_mut();
    }
    out(rt(routine).align(alignment, size))
}

fn realloc_named(p: *mut c_void, size: usize, routine: &str) -> *mut c_void {
    let old = NonNull::new(p.cast::<u8>());
    if old.is_none() && size == 0 {
        return ptr::null_mut();
    }
    out(rt(routine).realloc(old, size))
}

fn free_named(p: *mut c_void, routine: &str) {
    let Some(p) = NonNull::new(p.cast::<u8>()) else {
        return;
    };
    let r = rt(routine);
    if let Err(e) = r.free(Some(p)) {
        say(&format!("memheap: PE {}: {routine}({p:p}): {e}", r.my_pe()));
    }
}

/// `shmem_malloc`: NULL for size 0 (no barrier); NULL on every PE if any PE fails.
#[no_mangle]
pub extern "C" fn shmem_malloc(size: usize) -> *mut c_void {
    malloc_named(size, "shmem_malloc")
}

/// `shmem_calloc`: zeroed; NULL for a zero count or size (no barrier) and for an overflowing
/// product (on every PE).
#[no_mangle]
pub extern "C" fn shmem_calloc(count: usize, size: usize) -> *mut c_void {
    if count == 0 || size == 0 {
        return ptr::null_mut();
    }
    out(rt("shmem_calloc").calloc(count, size))
}

/// `shmem_align`: a multiple of `alignment` (an alignment that is not a power of two or is
/// below 16 is rounded up to the next power of two >= 16; 0 gives NULL on every PE).
#[no_mangle]
pub extern "C" fn shmem_align(alignment: usize, size: usize) -> *mut c_void {
    align_named(alignment, size, "shmem_align")
}

/// `shmem_malloc_with_hints`: hints (`SHMEM_MALLOC_ATOMICS_REMOTE`, `SHMEM_MALLOC_SIGNAL_REMOTE`,
/// any other) change nothing here: every block is equally reachable by every PE.
#[no_mangle]
pub extern "C" fn shmem_malloc_with_hints(size: usize, _hints: c_long) -> *mut c_void {
    malloc_named(size, "shmem_malloc_with_hints")
}

/// `shmem_realloc`: NULL ptr is malloc, size 0 is free; on failure every PE gets NULL and
/// keeps its block.
#[no_mangle]
pub extern "C" fn shmem_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    realloc_named(p, size, "shmem_realloc")
}

/// `shmem_free`: NULL does nothing (no barrier). A pointer that is not a live block of the
/// symmetric heap is reported (never corrupts the heap) and the program goes on.
#[no_mangle]
pub extern "C" fn shmem_free(p: *mut c_void) {
    free_named(p, "shmem_free");
}

/// `shmalloc` (deprecated).
#[no_mangle]
pub extern "C" fn shmalloc(size: usize) -> *mut c_void {
    malloc_named(size, "shmalloc")
}

/// `shfree` (deprecated).
#[no_mangle]
pub extern "C" fn shfree(p: *mut c_void) {
    free_named(p, "shfree");
}

/// `shrealloc` (deprecated).
#[no_mangle]
pub extern "C" fn shrealloc(p: *mut c_void, size: usize) -> *mut c_void {
    realloc_named(p, size, "shrealloc")
}

/// `shmemalign` (deprecated).
#[no_mangle]
pub extern "C" fn shmemalign(alignment: usize, size: usize) -> *mut c_void {
    align_named(alignment, size, "shmemalign")
}

// ---- ordering and synchronisation ------------------------------------------------------------

/// `shmem_barrier_all`.
#[no_mangle]
pub extern "C" fn shmem_barrier_all() {
    rt("shmem_barrier_all").barrier_all();
}

/// `shmem_sync_all`.
#[no_mangle]
pub extern "C" fn shmem_sync_all() {
    rt("shmem_sync_all").barrier_all();
}

/// `shmem_quiet`.
#[no_mangle]
pub extern "C" fn shmem_quiet() {
    rt("shmem_quiet").quiet();
}

/// `shmem_fence`.
#[no_mangle]
pub extern "C" fn shmem_fence() {
    rt("shmem_fence").fence();
}

/// `memheap_shmem_watch_t` of `shmem.h`: one wait loop's state, zeroed before the loop.
pub type WaitState = Watch;

/// What a point-to-point wait of this process waits for: a change only another PE makes,
/// unless threads of this PE may make it too (`SHMEM_THREAD_MULTIPLE`).
pub(crate) fn point_to_point() -> Awaiting {
    if G.thread_level.load(Ordering::Relaxed) == SHMEM_THREAD_MULTIPLE {
        Awaiting::Anything
    } else {
        Awaiting::Peers
    }
}

/// Spin briefly, then give the core away (PEs may outnumber cores).
fn pause() {
    for _ in 0..32 {
        std::hint::spin_loop();
    }
    std::thread::yield_now();
}

/// `memheap_shmem_wait`: one round of a wait loop written in C (called between tests of its
/// condition, with a watch zeroed before the loop; programs built with an earlier `shmem.h`
/// have their `shmem_TYPE_wait_until` call it). It runs the runtime's watch
/// ([`Runtime::watch`]: the end of the job, a peer gone without finalize, a wait no PE can end
/// any more), then pauses briefly. The blocking waits of this `shmem.h` wait inside the library
/// instead (`memheap_shmem_wait_vars`, over [`Runtime::wait_until`], which runs the same
/// watch).
///
/// # Safety
/// `watch` is NULL or valid for reads and writes; `routine` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_wait(watch: *mut WaitState, routine: *const c_char) {
    if let Some(r) = running() {
        let what = || routine_name(routine, "a wait");
        // SAFETY: valid for reads and writes when not NULL (contract).
        match unsafe { watch.as_mut() } {
            Some(w) => r.watch(w, point_to_point(), &what),
            None => THREAD_WATCH.with(|t| {
                let mut w = t.get();
                r.watch(&mut w, Awaiting::Anything, &what);
                t.set(w);
            }),
        }
    }
    pause();
}

thread_local! {
    /// The watch of waits that bring no state of their own (test loops, old callers).
    static THREAD_WATCH: Cell<Watch> = const { Cell::new(Watch::new()) };
    /// Failed `shmem_TYPE_test` calls of this thread.
    static FAILED_TESTS: Cell<u32> = const { Cell::new(0) };
}

/// `memheap_shmem_test_failed`: called by the inline `shmem_TYPE_test` when its comparison
/// fails, since a test loop is a wait too. Every 64th failure runs the runtime's watch (the end
/// of the job, a peer gone without finalize; a test loop may stop by itself, so it is never
/// judged hopeless) and gives the core away.
///
/// # Safety
/// `routine` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_test_failed(routine: *const c_char) {
    test_failed(&|| routine_name(routine, "shmem_test"));
}

/// The body of [`memheap_shmem_test_failed`], also run by every other test routine whose test
/// fails (`shmem_TYPE_test_{all,any,some}[_vector]`, `shmem_test_lock`).
pub(crate) fn test_failed(what: &dyn Fn() -> String) {
    let n = FAILED_TESTS.with(|c| {
        let n = c.get().wrapping_add(1);
        c.set(n);
        n
    });
    if n % 64 == 0 {
        if let Some(r) = running() {
            THREAD_WATCH.with(|t| {
                let mut w = t.get();
                r.watch(&mut w, Awaiting::Anything, what);
                t.set(w);
            });
        }
        std::thread::yield_now();
    }
}

/// The polling hint of earlier `shmem.h` versions: [`memheap_shmem_wait`] without a state of
/// its own.
#[no_mangle]
pub extern "C" fn memheap_shmem_wait_hint() {
    // SAFETY: NULL watch and routine are allowed.
    unsafe { memheap_shmem_wait(ptr::null_mut(), ptr::null()) }
}

// ---- RMA -------------------------------------------------------------------------------------

/// Name of the routine for messages (a C string from the inline routines, or a fallback).
pub(crate) fn routine_name(routine: *const c_char, fallback: &'static str) -> String {
    if routine.is_null() {
        return fallback.to_string();
    }
    // SAFETY: the inline routines pass string literals; non-null means a valid C string.
    unsafe { std::ffi::CStr::from_ptr(routine) }
        .to_string_lossy()
        .into_owned()
}

/// `memheap_shmem_put`: the body of every contiguous put (`shmem_putmem`, `shmem_TYPE_put`,
/// `shmem_TYPE_p`, `shmem_putSIZE`).
///
/// # Safety
/// `source` valid for `bytes` reads; `dest` a symmetric address (checked; not symmetric is a
/// fatal error).
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_put(
    dest: *mut c_void,
    source: *const c_void,
    bytes: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let name = || routine_name(routine, "shmem_put");
    let r = match running() {
        Some(r) => r,
        None => rt(&name()),
    };
    let pe = pe_index(r, pe, name);
    // SAFETY: forwarded contract; the runtime checks that `dest` is symmetric.
    if let Err(e) = unsafe { r.put_bytes(dest.cast(), source.cast(), bytes, pe) } {
        fatal(&name(), format_args!("{e}"));
    }
}

/// `memheap_shmem_get`: the body of every contiguous get.
///
/// # Safety
/// `dest` valid for `bytes` writes; `source` a symmetric address (checked).
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_get(
    dest: *mut c_void,
    source: *const c_void,
    bytes: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let name = || routine_name(routine, "shmem_get");
    let r = match running() {
        Some(r) => r,
        None => rt(&name()),
    };
    let pe = pe_index(r, pe, name);
    // SAFETY: forwarded contract; the runtime checks that `source` is symmetric.
    if let Err(e) = unsafe { r.get_bytes(dest.cast(), source.cast(), bytes, pe) } {
        fatal(&name(), format_args!("{e}"));
    }
}

/// Direction of a strided transfer.
#[derive(Clone, Copy)]
enum Dir {
    Put,
    Get,
}

/// The body of `memheap_shmem_iput` / `memheap_shmem_iget`: `nelems` elements of `elem_size`
/// bytes, `dst` and `sst` strides in elements. Every element's address is computed with
/// overflow checks: a stride that leaves the address space is an error naming the routine,
/// before anything is copied.
///
/// # Safety
/// The local side valid for the strided accesses; the remote side symmetric (checked).
#[allow(clippy::too_many_arguments)]
unsafe fn strided(
    dir: Dir,
    dest: *mut c_void,
    source: *const c_void,
    dst: isize,
    sst: isize,
    nelems: usize,
    elem_size: usize,
    pe: c_int,
    routine: *const c_char,
) {
    let fallback = match dir {
        Dir::Put => "shmem_iput",
        Dir::Get => "shmem_iget",
    };
    let name = || routine_name(routine, fallback);
    let r = match running() {
        Some(r) => r,
        None => rt(&name()),
    };
    let pe = pe_index(r, pe, name);
    // The byte offset of element `i` of a strided array at `base`, if the element lies in the
    // address space.
    let offset = |base: usize, stride: isize, i: usize| -> Option<isize> {
        let step = isize::try_from(i)
            .ok()?
            .checked_mul(stride)?
            .checked_mul(isize::try_from(elem_size).ok()?)?;
        base.checked_add_signed(step)?.checked_add(elem_size)?;
        Some(step)
    };
    if nelems > 0
        && (offset(dest as usize, dst, nelems - 1).is_none()
            || offset(source as usize, sst, nelems - 1).is_none())
    {
        fatal(
            &name(),
            format_args!(
                "{nelems} elements of {elem_size} bytes with strides {dst} (dest) and {sst} \
                 (source) do not fit in the address space"
            ),
        );
    }
    for i in 0..nelems {
        // In range: the last element's offsets were checked, and the others lie between 0 and
        // them.
        let d = dest
            .cast::<u8>()
            .wrapping_offset(offset(dest as usize, dst, i).unwrap_or(0));
        let s = source
            .cast::<u8>()
            .wrapping_offset(offset(source as usize, sst, i).unwrap_or(0));
        // SAFETY: forwarded contract, element by element; the runtime checks the remote side.
        let done = unsafe {
            match dir {
                Dir::Put => r.put_bytes(d, s, elem_size, pe),
                Dir::Get => r.get_bytes(d, s, elem_size, pe),
            }
        };
        if let Err(err) = done {
            fatal(&name(), format_args!("{err}"));
        }
    }
}

/// `memheap_shmem_iput`: strided put of `nelems` elements of `elem_size` bytes; `dst` and
/// `sst` are strides in elements.
///
/// # Safety
/// `source` valid for the strided reads; `dest` symmetric.
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_iput(
    dest: *mut c_void,
    source: *const c_void,
    dst: isize,
    sst: isize,
    nelems: usize,
    elem_size: usize,
    pe: c_int,
    routine: *const c_char,
) {
    // SAFETY: forwarded contract.
    unsafe {
        strided(
            Dir::Put,
            dest,
            source,
            dst,
            sst,
            nelems,
            elem_size,
            pe,
            routine,
        )
    }
}

/// `memheap_shmem_iget`: strided get.
///
/// # Safety
/// `dest` valid for the strided writes; `source` symmetric.
#[no_mangle]
pub unsafe extern "C" fn memheap_shmem_iget(
    dest: *mut c_void,
    source: *const c_void,
    dst: isize,
    sst: isize,
    nelems: usize,
    elem_size: usize,
    pe: c_int,
    routine: *const c_char,
) {
    // SAFETY: forwarded contract.
    unsafe {
        strided(
            Dir::Get,
            dest,
            source,
            dst,
            sst,
            nelems,
            elem_size,
            pe,
            routine,
        )
    }
}

/// `shmem_putmem`.
///
/// # Safety
/// As `memheap_shmem_put`.
#[no_mangle]
pub unsafe extern "C" fn shmem_putmem(
    dest: *mut c_void,
    source: *const c_void,
    nelems: usize,
    pe: c_int,
) {
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_put(dest, source, nelems, pe, c"shmem_putmem".as_ptr()) }
}

/// `shmem_getmem`.
///
/// # Safety
/// As `memheap_shmem_get`.
#[no_mangle]
pub unsafe extern "C" fn shmem_getmem(
    dest: *mut c_void,
    source: *const c_void,
    nelems: usize,
    pe: c_int,
) {
    // SAFETY: forwarded contract.
    unsafe { memheap_shmem_get(dest, source, nelems, pe, c"shmem_getmem".as_ptr()) }
}

// ---- reductions (the others are in `coll`) ----------------------------------------------------

/// `shmem_int_sum_reduce` (wrapping on overflow).
///
/// # Safety
/// `dest` and `source` symmetric arrays of `nreduce` ints.
#[no_mangle]
pub unsafe extern "C" fn shmem_int_sum_reduce(
    team: *const c_void,
    dest: *mut c_int,
    source: *const c_int,
    nreduce: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { crate::coll::sum_reduce("shmem_int_sum_reduce", team, dest, source, nreduce) }
}

/// `shmem_long_sum_reduce` (wrapping on overflow).
///
/// # Safety
/// `dest` and `source` symmetric arrays of `nreduce` longs.
#[no_mangle]
pub unsafe extern "C" fn shmem_long_sum_reduce(
    team: *const c_void,
    dest: *mut c_long,
    source: *const c_long,
    nreduce: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { crate::coll::sum_reduce("shmem_long_sum_reduce", team, dest, source, nreduce) }
}
