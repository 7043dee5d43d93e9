//! The C entry points the shim (`component/mca_memheap_rbuddy.c`) calls, one per slot of
//! OSHMEM's memheap module, over two [`Region`]s: the user heap and the private heap.
//!
//! `component/memheap_rbuddy.h` declares them and repeats the status codes below; a test
//! checks that the two agree.
//!
//! OSHMEM calls the module under its own allocation mutex; the regions sit behind one spin
//! lock anyway (uncontended: one compare-exchange and one store per call), so calls from
//! other paths (the private heap is used by collectives and atomics at init) stay sound.

use core::ffi::{c_char, c_int, c_void};
use std::ffi::CString;
use std::fmt::Write as _;

use lock_api::{Mutex, RawMutex as _};
use memheap_core::{Error, RawSpin};

use crate::region::{Region, RegionError, Resized};

/// Success.
pub const RBUDDY_OK: c_int = 0;
/// Size 0: no block (OpenSHMEM: NULL, no barrier). Never reported.
pub const RBUDDY_NO_BLOCK: c_int = 1;
/// Not enough free memory (or a size too large to round).
pub const RBUDDY_OUT_OF_MEMORY: c_int = 2;
/// The size table is full: raise `memheap_rbuddy_capacity`.
pub const RBUDDY_CAPACITY: c_int = 3;
/// Alignment 0, or one no address of the heap is a multiple of.
pub const RBUDDY_BAD_ALIGNMENT: c_int = 4;
/// Not the start of a live block of this heap (foreign or interior pointer).
pub const RBUDDY_INVALID_POINTER: c_int = 5;
/// The block was already freed.
pub const RBUDDY_DOUBLE_FREE: c_int = 6;
/// Called before `memheap_rbuddy_init` or after `memheap_rbuddy_finalize`.
pub const RBUDDY_NOT_INITIALISED: c_int = 7;
/// `memheap_rbuddy_init`: a region or parameter is unusable, or the heaps already exist.
pub const RBUDDY_BAD_REGION: c_int = 8;

/// A function that prints one message (a NUL-terminated line without its newline).
pub type ReportFn = extern "C" fn(msg: *const c_char);

/// Parameters of [`memheap_rbuddy_init`] (`struct memheap_rbuddy_params` in the header).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Live blocks the user heap holds; 0 chooses [`auto_capacity`](crate::region::auto_capacity).
    pub user_capacity: usize,
    /// 0: errors only (bad frees, full size table, an alignment no address of the heap has);
    /// 1: also the heaps' geometry at init and a summary per heap at finalize; 2: also every
    /// refused allocation with the heap's free bytes and largest free block.
    pub verbose: c_int,
    /// Where messages go; `None`: standard error.
    pub report: Option<ReportFn>,
}

struct State {
    user: Option<Region>,
    private: Option<Region>,
    report: Option<ReportFn>,
    verbose: c_int,
    /// `"PE n"` from the launcher's environment, for messages.
    who: String,
}

impl State {
    const EMPTY: State = State {
        user: None,
        private: None,
        report: None,
        verbose: 0,
        who: String::new(),
    };

    fn say(&self, msg: &str) {
        let line = format!("memheap rbuddy ({}): {msg}", self.who);
        match self.report {
            Some(report) => {
                let c = CString::new(line.replace('\0', " ")).unwrap_or_default();
                report(c.as_ptr());
            }
            None => eprintln!("{line}"),
        }
    }
}

static STATE: Mutex<RawSpin, State> = Mutex::const_new(RawSpin::INIT, State::EMPTY);

/// Which of the two heaps a call is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    User,
    Private,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::User => "user heap",
            Which::Private => "private heap",
        }
    }
}

fn region(state: &mut State, which: Which) -> Option<&mut Region> {
    match which {
        Which::User => state.user.as_mut(),
        Which::Private => state.private.as_mut(),
    }
}

fn code(e: RegionError) -> c_int {
    match e {
        RegionError::ZeroSize => RBUDDY_NO_BLOCK,
        RegionError::BadAlignment | RegionError::NoAlignedAddress { .. } => RBUDDY_BAD_ALIGNMENT,
        RegionError::Foreign => RBUDDY_INVALID_POINTER,
        RegionError::Metadata { .. } => RBUDDY_BAD_REGION,
        RegionError::Heap(e) => match e {
            Error::OutOfMemory | Error::SizeOverflow => RBUDDY_OUT_OF_MEMORY,
            Error::CapacityExhausted => RBUDDY_CAPACITY,
            Error::DoubleFree => RBUDDY_DOUBLE_FREE,
            Error::BadAlignment => RBUDDY_BAD_ALIGNMENT,
            _ => RBUDDY_INVALID_POINTER,
        },
    }
}

/// Report a refused call when the verbosity asks for it; return its status code.
fn refused(state: &mut State, which: Which, call: &str, e: RegionError) -> c_int {
    let level = match e {
        RegionError::ZeroSize => None,
        RegionError::BadAlignment => Some(2),
        RegionError::Heap(Error::OutOfMemory | Error::SizeOverflow) => Some(2),
        _ => Some(0),
    };
    if level.is_some_and(|l| state.verbose >= l) {
        let mut msg = format!("{call} on the {}: {e}", which.name());
        if let Some(r) = region(state, which) {
            let s = r.stats();
            let _ = write!(
                msg,
                " ({} bytes free, largest free block {} bytes, {} live blocks of {})",
                s.bytes_free + s.bytes_listed,
                s.largest_free,
                s.live_blocks,
                s.capacity
            );
        }
        if matches!(e, RegionError::Heap(Error::CapacityExhausted)) && which == Which::User {
            msg.push_str("; raise memheap_rbuddy_capacity");
        }
        if matches!(
            e,
            RegionError::Foreign | RegionError::Heap(Error::InvalidPointer | Error::DoubleFree)
        ) {
            msg.push_str("; nothing changed");
        }
        state.say(&msg);
    }
    code(e)
}

/// Store `value` through `out` if it is not NULL.
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer.
unsafe fn put(out: *mut *mut c_void, value: usize) {
    if !out.is_null() {
        // SAFETY: `out` is valid for writes (the caller's contract).
        unsafe { out.write(value as *mut c_void) };
    }
}

fn do_alloc(which: Which, align: Option<usize>, size: usize) -> Result<usize, c_int> {
    let mut state = STATE.lock();
    let Some(r) = region(&mut state, which) else {
        return Err(RBUDDY_NOT_INITIALISED);
    };
    let result = match align {
        None => r.alloc(size),
        Some(a) => r.align(a, size),
    };
    result.map_err(|e| {
        let call = match align {
            None => format!("alloc({size})"),
            Some(a) => format!("align({a}, {size})"),
        };
        refused(&mut state, which, &call, e)
    })
}

fn do_free(which: Which, ptr: *mut c_void) -> c_int {
    if ptr.is_null() {
        return RBUDDY_OK;
    }
    let mut state = STATE.lock();
    let Some(r) = region(&mut state, which) else {
        return RBUDDY_NOT_INITIALISED;
    };
    match r.free(ptr as usize) {
        Ok(()) => RBUDDY_OK,
        Err(e) => refused(&mut state, which, &format!("free({ptr:p})"), e),
    }
}

fn finish(r: Result<usize, c_int>, out: *mut *mut c_void) -> c_int {
    match r {
        Ok(addr) => {
            // SAFETY: `out` is NULL or valid for a write (the entry points' contract).
            unsafe { put(out, addr) };
            RBUDDY_OK
        }
        Err(code) => {
            // SAFETY: as above.
            unsafe { put(out, 0) };
            code
        }
    }
}

/// Build the user heap over `[user_base, user_base + user_size)` and the private heap over
/// `[private_base, private_base + private_size)`. Nothing in either range is touched.
/// Returns [`RBUDDY_OK`] or [`RBUDDY_BAD_REGION`] (reported).
///
/// # Safety
/// `params` is NULL (defaults) or points to a valid [`Params`].
#[no_mangle]
pub unsafe extern "C" fn memheap_rbuddy_init(
    user_base: *mut c_void,
    user_size: usize,
    private_base: *mut c_void,
    private_size: usize,
    params: *const Params,
) -> c_int {
    let params = if params.is_null() {
        Params {
            user_capacity: 0,
            verbose: 0,
            report: None,
        }
    } else {
        // SAFETY: non-NULL `params` points to a valid `Params` (the caller's contract).
        unsafe { *params }
    };
    let mut state = STATE.lock();
    if state.user.is_some() || state.private.is_some() {
        // Leave the live heaps and their settings alone.
        state.say("init: the heaps already exist");
        return RBUDDY_BAD_REGION;
    }
    state.report = params.report;
    state.verbose = params.verbose;
    state.who = match std::env::var("OMPI_COMM_WORLD_RANK") {
        Ok(rank) => format!("PE {rank}"),
        Err(_) => format!("pid {}", std::process::id()),
    };
    let user = Region::new(user_base as usize, user_size as u64, params.user_capacity);
    let private = Region::new(private_base as usize, private_size as u64, 0);
    match (user, private) {
        (Ok(user), Ok(private)) => {
            if user.contains(private.base()) || private.contains(user.base()) {
                state.say("init: the user and private heaps overlap");
                return RBUDDY_BAD_REGION;
            }
            if state.verbose >= 1 {
                let (u, p) = (user.stats(), private.stats());
                let msg = format!(
                    "user heap {:#x} + {} bytes ({} live blocks, {} bytes of metadata, {} \
                     resident), private heap {:#x} + {} bytes ({} live blocks)",
                    user.base(),
                    user.len(),
                    u.capacity,
                    u.metadata_bytes,
                    resident(&user),
                    private.base(),
                    private.len(),
                    p.capacity
                );
                state.say(&msg);
            }
            state.user = Some(user);
            state.private = Some(private);
            RBUDDY_OK
        }
        (user, private) => {
            let mut msg = String::from("init failed:");
            if let Err(e) = user {
                let _ = write!(msg, " user heap {user_base:p} + {user_size} bytes: {e};");
            }
            if let Err(e) = private {
                let _ = write!(
                    msg,
                    " private heap {private_base:p} + {private_size} bytes: {e};"
                );
            }
            state.say(msg.trim_end_matches(';'));
            RBUDDY_BAD_REGION
        }
    }
}

/// Bytes of `r`'s metadata resident in memory, for messages.
fn resident(r: &Region) -> String {
    r.metadata_resident()
        .map_or_else(|| "unknown".to_string(), |b| b.to_string())
}

/// Drop both heaps (at verbosity 1, after a summary of each). Safe to call when they were
/// never built or are already gone. Always [`RBUDDY_OK`].
#[no_mangle]
pub extern "C" fn memheap_rbuddy_finalize() -> c_int {
    let mut state = STATE.lock();
    let user = state.user.take();
    let private = state.private.take();
    if state.verbose >= 1 {
        for (which, r) in [(Which::User, &user), (Which::Private, &private)] {
            if let Some(r) = r {
                let (c, s) = (r.counters(), r.stats());
                let msg = format!(
                    "finalize: {}: {} blocks handed out, {} freed, {} reallocs in place, {} \
                     refused, {} bad frees; {} blocks ({} bytes) still live; metadata {} \
                     bytes resident of {}",
                    which.name(),
                    c.allocs,
                    c.frees,
                    c.in_place,
                    c.failed,
                    c.bad_frees,
                    s.live_blocks,
                    s.bytes_in_use,
                    resident(r),
                    s.metadata_bytes
                );
                state.say(&msg);
            }
        }
    }
    drop((user, private));
    RBUDDY_OK
}

/// `shmem_malloc`: a block of `size` bytes aligned to 16 in the user heap, stored in `*out`
/// (NULL on failure).
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer.
#[no_mangle]
pub unsafe extern "C" fn memheap_rbuddy_alloc(size: usize, out: *mut *mut c_void) -> c_int {
    finish(do_alloc(Which::User, None, size), out)
}

/// `shmem_align`: a block of `size` bytes at a multiple of `align` in the user heap; an
/// alignment that is not a power of two or is below 16 is rounded up to the next power of two
/// >= 16, and 0 is [`RBUDDY_BAD_ALIGNMENT`].
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer.
#[no_mangle]
pub unsafe extern "C" fn memheap_rbuddy_memalign(
    align: usize,
    size: usize,
    out: *mut *mut c_void,
) -> c_int {
    finish(do_alloc(Which::User, Some(align), size), out)
}

/// `shmem_realloc`: NULL `old` allocates; size 0 frees `old` and stores NULL; otherwise the
/// block grows or shrinks in place when it can, else moves (contents copied, old block
/// freed). On failure the old block and its contents are untouched.
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer. The user heap is mapped read/write
/// memory and nobody else touches the block or the heap's free space during the call.
#[no_mangle]
pub unsafe extern "C" fn memheap_rbuddy_realloc(
    new_size: usize,
    old: *mut c_void,
    out: *mut *mut c_void,
) -> c_int {
    if old.is_null() {
        return finish(do_alloc(Which::User, None, new_size), out);
    }
    if new_size == 0 {
        let rc = do_free(Which::User, old);
        // SAFETY: `out` is NULL or valid for a write (this function's contract).
        unsafe { put(out, 0) };
        return rc;
    }
    let r = {
        let mut state = STATE.lock();
        match state.user.as_mut() {
            None => Err(RBUDDY_NOT_INITIALISED),
            // SAFETY: the heap is mapped read/write memory and the block and free space are
            // not accessed concurrently (this function's contract).
            Some(r) => match unsafe { r.realloc(old as usize, new_size) } {
                Ok(Resized::InPlace) => Ok(old as usize),
                Ok(Resized::Moved(to)) => Ok(to),
                Err(e) => Err(refused(
                    &mut state,
                    Which::User,
                    &format!("realloc({old:p}, {new_size})"),
                    e,
                )),
            },
        }
    };
    finish(r, out)
}

/// `shmem_free`: free the user-heap block at `ptr` (NULL: nothing). A foreign, interior or
/// double free is reported and changes nothing.
#[no_mangle]
pub extern "C" fn memheap_rbuddy_free(ptr: *mut c_void) -> c_int {
    do_free(Which::User, ptr)
}

/// A block of `size` bytes (aligned to 16) in the private heap, for OSHMEM's own symmetric
/// data (collectives' `pSync` arrays, atomics' locks).
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer.
#[no_mangle]
pub unsafe extern "C" fn memheap_rbuddy_private_alloc(size: usize, out: *mut *mut c_void) -> c_int {
    finish(do_alloc(Which::Private, None, size), out)
}

/// Free a private-heap block (NULL: nothing); bad frees are reported and change nothing.
#[no_mangle]
pub extern "C" fn memheap_rbuddy_private_free(ptr: *mut c_void) -> c_int {
    do_free(Which::Private, ptr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr;
    use std::sync::Mutex as StdMutex;

    /// The entry points share one global state: one test at a time.
    static SERIAL: StdMutex<()> = StdMutex::new(());
    static MESSAGES: StdMutex<Vec<String>> = StdMutex::new(Vec::new());

    extern "C" fn collect(msg: *const c_char) {
        // SAFETY: the entry points pass a NUL-terminated string that lives during the call.
        let s = unsafe { CStr::from_ptr(msg) }
            .to_string_lossy()
            .into_owned();
        MESSAGES.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn messages() -> Vec<String> {
        std::mem::take(&mut *MESSAGES.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Real memory aligned to 2 MiB: an 8 MiB user heap and a 2 MiB private heap right after
    /// it, as OSHMEM lays them out.
    struct Heaps {
        _buf: Vec<u8>,
        user: usize,
        private: usize,
    }

    const USER: usize = 8 << 20;
    const PRIVATE: usize = 2 << 20;

    fn init(verbose: c_int) -> Heaps {
        // A test that failed may have left heaps and messages behind.
        memheap_rbuddy_finalize();
        messages();
        let mut buf = vec![0u8; USER + PRIVATE + (2 << 20)];
        let user = (buf.as_mut_ptr() as usize).next_multiple_of(2 << 20);
        let params = Params {
            user_capacity: 0,
            verbose,
            report: Some(collect),
        };
        // SAFETY: `params` is a valid `Params`.
        let rc = unsafe {
            memheap_rbuddy_init(
                user as *mut c_void,
                USER,
                (user + USER) as *mut c_void,
                PRIVATE,
                &params,
            )
        };
        assert_eq!(rc, RBUDDY_OK, "{:?}", messages());
        Heaps {
            _buf: buf,
            user,
            private: user + USER,
        }
    }

    fn alloc(size: usize) -> (c_int, usize) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `out` is a valid pointer slot.
        let rc = unsafe { memheap_rbuddy_alloc(size, &mut out) };
        (rc, out as usize)
    }

    fn memalign(align: usize, size: usize) -> (c_int, usize) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `out` is a valid pointer slot.
        let rc = unsafe { memheap_rbuddy_memalign(align, size, &mut out) };
        (rc, out as usize)
    }

    fn realloc(size: usize, old: usize) -> (c_int, usize) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `out` is a valid pointer slot; the heaps are the test's own memory.
        let rc = unsafe { memheap_rbuddy_realloc(size, old as *mut c_void, &mut out) };
        (rc, out as usize)
    }

    fn private_alloc(size: usize) -> (c_int, usize) {
        let mut out = ptr::dangling_mut::<c_void>();
        // SAFETY: `out` is a valid pointer slot.
        let rc = unsafe { memheap_rbuddy_private_alloc(size, &mut out) };
        (rc, out as usize)
    }

    #[test]
    fn user_and_private_heaps_are_served_apart() {
        let _g = serial();
        let h = init(0);
        let (rc, u) = alloc(100);
        assert_eq!((rc, u), (RBUDDY_OK, h.user));
        let (rc, p) = private_alloc(100);
        assert_eq!((rc, p), (RBUDDY_OK, h.private));
        // A user pointer is foreign to the private heap and the other way round.
        assert_eq!(
            memheap_rbuddy_private_free(u as *mut c_void),
            RBUDDY_INVALID_POINTER
        );
        assert_eq!(
            memheap_rbuddy_free(p as *mut c_void),
            RBUDDY_INVALID_POINTER
        );
        assert_eq!(memheap_rbuddy_private_free(p as *mut c_void), RBUDDY_OK);
        assert_eq!(memheap_rbuddy_free(u as *mut c_void), RBUDDY_OK);
        let msgs = messages();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].contains("on the private heap: not an address of this heap"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains("on the user heap: not an address of this heap"),
            "{msgs:?}"
        );
        assert_eq!(memheap_rbuddy_finalize(), RBUDDY_OK);
    }

    #[test]
    fn size_zero_and_alignment_zero_give_no_block_and_no_message() {
        let _g = serial();
        let _h = init(0);
        assert_eq!(alloc(0), (RBUDDY_NO_BLOCK, 0));
        assert_eq!(memalign(64, 0), (RBUDDY_NO_BLOCK, 0));
        assert_eq!(memalign(0, 100), (RBUDDY_BAD_ALIGNMENT, 0));
        assert_eq!(realloc(0, 0), (RBUDDY_NO_BLOCK, 0));
        assert_eq!(private_alloc(0), (RBUDDY_NO_BLOCK, 0));
        assert_eq!(memheap_rbuddy_free(ptr::null_mut()), RBUDDY_OK);
        assert!(messages().is_empty());
        memheap_rbuddy_finalize();
    }

    #[test]
    fn odd_alignments_round_up_and_too_large_ones_are_reported() {
        let _g = serial();
        let _h = init(0);
        let (_, skew) = alloc(100);
        for (asked, got) in [
            (1usize, 16usize),
            (2, 16),
            (4, 16),
            (24, 32),
            (63, 64),
            (65, 128),
        ] {
            let (rc, p) = memalign(asked, 48);
            assert_eq!(rc, RBUDDY_OK);
            assert_eq!(p % got, 0, "align {asked} gave {p:#x}");
            assert_eq!(memheap_rbuddy_free(p as *mut c_void), RBUDDY_OK);
        }
        // Any alignment some address of the heap has is honoured, whatever the base's own
        // alignment (the test heap's base is a multiple of 2 MiB, maybe of more).
        let (rc, p) = memalign(2 << 20, 10);
        assert_eq!(rc, RBUDDY_OK);
        assert_eq!(p % (2 << 20), 0);
        // 8 MiB from a 2 MiB-aligned base always hold two multiples of 4 MiB; `skew` takes the
        // base itself.
        let (rc, q) = memalign(4 << 20, 10);
        assert_eq!(rc, RBUDDY_OK);
        assert_eq!(q % (4 << 20), 0);
        assert!(q > _h.user && q < _h.user + USER, "{q:#x}");
        assert_eq!(memheap_rbuddy_free(q as *mut c_void), RBUDDY_OK);
        // No address below 2^47 is a multiple of 2^62: refused, with a message.
        assert_eq!(memalign(1 << 62, 10), (RBUDDY_BAD_ALIGNMENT, 0));
        let msgs = messages();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains(&format!(
                "align({}, 10) on the user heap: no address of the heap is a multiple of the \
                 alignment {}",
                1usize << 62,
                1usize << 62
            )),
            "{msgs:?}"
        );
        memheap_rbuddy_free(p as *mut c_void);
        memheap_rbuddy_free(skew as *mut c_void);
        memheap_rbuddy_finalize();
    }

    #[test]
    fn double_and_interior_frees_are_reported_and_harmless() {
        let _g = serial();
        let h = init(0);
        let (_, a) = alloc(1000);
        let (_, b) = alloc(1000);
        assert_eq!(
            memheap_rbuddy_free((a + 16) as *mut c_void),
            RBUDDY_INVALID_POINTER
        );
        assert_eq!(memheap_rbuddy_free(a as *mut c_void), RBUDDY_OK);
        assert_eq!(memheap_rbuddy_free(a as *mut c_void), RBUDDY_DOUBLE_FREE);
        let stack = 5u64;
        assert_eq!(
            memheap_rbuddy_free(&stack as *const u64 as *mut c_void),
            RBUDDY_INVALID_POINTER
        );
        let msgs = messages();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].contains(&format!("free({:#x})", a + 16)),
            "{msgs:?}"
        );
        assert!(msgs[0].contains("invalid pointer"), "{msgs:?}");
        assert!(msgs[1].contains("double free") && msgs[1].ends_with("nothing changed"));
        assert!(msgs[2].contains("foreign pointer"), "{msgs:?}");
        // Nothing changed: b is live, a's space comes back for the same request.
        assert_eq!(alloc(1000), (RBUDDY_OK, a));
        assert_eq!(a, h.user);
        assert_eq!(memheap_rbuddy_free(b as *mut c_void), RBUDDY_OK);
        memheap_rbuddy_free(a as *mut c_void);
        memheap_rbuddy_finalize();
    }

    #[test]
    fn realloc_in_place_move_free_and_failure() {
        let _g = serial();
        let h = init(0);
        let (_, p) = realloc(100, 0); // NULL: alloc
        assert_eq!(p, h.user);
        // SAFETY: p is a live 100-byte block of the test's memory.
        unsafe { ptr::write_bytes(p as *mut u8, 0x5A, 100) };
        assert_eq!(realloc(4000, p), (RBUDDY_OK, p), "alone: grows in place");
        assert_eq!(realloc(0, p), (RBUDDY_OK, 0), "size 0 frees");
        // Eight blocks of 1 MiB fill the user heap; free two neighbours: the only room for
        // 2 MiB, so a block that cannot grow where it is moves there.
        let mut b: Vec<usize> = (0..8).map(|_| alloc(1 << 20).1).collect();
        b.sort_unstable();
        assert_eq!(memheap_rbuddy_free(b[5] as *mut c_void), RBUDDY_OK);
        assert_eq!(memheap_rbuddy_free(b[6] as *mut c_void), RBUDDY_OK);
        // SAFETY: b[1] is a live 1 MiB block of the test's memory.
        unsafe { ptr::write_bytes(b[1] as *mut u8, 0x5A, 1 << 20) };
        assert_eq!(realloc(2 << 20, b[1]), (RBUDDY_OK, b[5]));
        // SAFETY: b[5] is now a live 2 MiB block whose first 1 MiB was copied.
        let head = unsafe { std::slice::from_raw_parts(b[5] as *const u8, 1 << 20) };
        assert!(head.iter().all(|&x| x == 0x5A));
        assert_eq!(realloc(USER * 2, b[5]), (RBUDDY_OUT_OF_MEMORY, 0));
        // SAFETY: as above; the failed realloc left the block alone.
        let head = unsafe { std::slice::from_raw_parts(b[5] as *const u8, 1 << 20) };
        assert!(head.iter().all(|&x| x == 0x5A));
        assert_eq!(memheap_rbuddy_free(b[1] as *mut c_void), RBUDDY_DOUBLE_FREE);
        assert_eq!(realloc(10, b[1]), (RBUDDY_DOUBLE_FREE, 0));
        assert_eq!(messages().len(), 2);
        for x in [b[0], b[2], b[3], b[4], b[5], b[7]] {
            assert_eq!(memheap_rbuddy_free(x as *mut c_void), RBUDDY_OK);
        }
        memheap_rbuddy_finalize();
    }

    #[test]
    fn verbose_reports_geometry_failures_and_a_summary() {
        let _g = serial();
        let _h = init(2);
        let (_, a) = alloc(64);
        let (_, p) = private_alloc(64);
        assert_eq!(alloc(USER + 1).0, RBUDDY_OUT_OF_MEMORY);
        memheap_rbuddy_free(a as *mut c_void);
        memheap_rbuddy_finalize();
        memheap_rbuddy_finalize(); // twice: nothing more
        let msgs = messages();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains(&format!("user heap {:#x} + {USER} bytes", _h.user)));
        assert!(msgs[1].contains(&format!(
            "alloc({}) on the user heap: out of memory",
            USER + 1
        )));
        assert!(msgs[1].contains("bytes free, largest free block"));
        assert!(
            msgs[2].contains("user heap: 1 blocks handed out, 1 freed"),
            "{msgs:?}"
        );
        assert!(
            msgs[3].contains("private heap: 1 blocks handed out, 0 freed"),
            "{msgs:?}"
        );
        assert!(
            msgs[3].contains("1 blocks (64 bytes) still live"),
            "{msgs:?}"
        );
        let _ = p;
    }

    #[test]
    fn calls_without_heaps_and_bad_inits_fail_cleanly() {
        let _g = serial();
        assert_eq!(alloc(10), (RBUDDY_NOT_INITIALISED, 0));
        assert_eq!(
            memheap_rbuddy_free(8 as *mut c_void),
            RBUDDY_NOT_INITIALISED
        );
        assert_eq!(memheap_rbuddy_finalize(), RBUDDY_OK);
        let params = Params {
            user_capacity: 0,
            verbose: 0,
            report: Some(collect),
        };
        // SAFETY: valid params; the regions are never touched.
        let rc = unsafe {
            memheap_rbuddy_init(
                ptr::null_mut(),
                1 << 20,
                0x1000 as *mut c_void,
                4096,
                &params,
            )
        };
        assert_eq!(rc, RBUDDY_BAD_REGION);
        // SAFETY: as above.
        let rc = unsafe {
            memheap_rbuddy_init(
                0x10_0000 as *mut c_void,
                2 << 20,
                0x20_0000 as *mut c_void,
                1 << 20,
                &params,
            )
        };
        assert_eq!(rc, RBUDDY_BAD_REGION, "overlap");
        let msgs = messages();
        assert!(msgs[0].contains("init failed: user heap 0x0"), "{msgs:?}");
        assert!(msgs[1].contains("overlap"), "{msgs:?}");
        assert_eq!(alloc(10), (RBUDDY_NOT_INITIALISED, 0));
        let _h = init(0);
        // SAFETY: as above.
        let rc = unsafe {
            memheap_rbuddy_init(_h.user as *mut c_void, 4096, ptr::null_mut(), 0, &params)
        };
        assert_eq!(rc, RBUDDY_BAD_REGION, "already initialised");
        assert!(messages()[0].contains("already exist"));
        memheap_rbuddy_finalize();
    }

    /// The header the C shim includes repeats the status codes; they must agree.
    #[test]
    fn header_status_codes_match() {
        let header = include_str!("../component/memheap_rbuddy.h");
        let expected = [
            ("RBUDDY_OK", RBUDDY_OK),
            ("RBUDDY_NO_BLOCK", RBUDDY_NO_BLOCK),
            ("RBUDDY_OUT_OF_MEMORY", RBUDDY_OUT_OF_MEMORY),
            ("RBUDDY_CAPACITY", RBUDDY_CAPACITY),
            ("RBUDDY_BAD_ALIGNMENT", RBUDDY_BAD_ALIGNMENT),
            ("RBUDDY_INVALID_POINTER", RBUDDY_INVALID_POINTER),
            ("RBUDDY_DOUBLE_FREE", RBUDDY_DOUBLE_FREE),
            ("RBUDDY_NOT_INITIALISED", RBUDDY_NOT_INITIALISED),
            ("RBUDDY_BAD_REGION", RBUDDY_BAD_REGION),
        ];
        let defined: Vec<(String, c_int)> = header
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some("#define")).then_some(())?;
                let name = w.next()?.to_string();
                let value = w.next()?.parse().ok()?;
                name.starts_with("RBUDDY_").then_some((name, value))
            })
            .collect();
        assert_eq!(defined.len(), expected.len(), "{defined:?}");
        for (name, value) in expected {
            assert!(
                defined.contains(&(name.to_string(), value)),
                "{name} = {value} missing from the header: {defined:?}"
            );
        }
        for f in [
            "memheap_rbuddy_init",
            "memheap_rbuddy_finalize",
            "memheap_rbuddy_alloc",
            "memheap_rbuddy_memalign",
            "memheap_rbuddy_realloc",
            "memheap_rbuddy_free",
            "memheap_rbuddy_private_alloc",
            "memheap_rbuddy_private_free",
        ] {
            assert!(header.contains(&format!("{f}(")), "{f} not declared");
        }
    }
}
