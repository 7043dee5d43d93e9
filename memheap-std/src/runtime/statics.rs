//! Static and global data made shared memory, so that peers reach it with loads, stores and CPU
//! atomics, as they reach the heap.
//!
//! At init each PE replaces the writable pages of its executable's data (`.data` and `.bss`,
//! past the read-only-after-relocation part) with a `MAP_SHARED` mapping of a memfd holding the
//! same bytes, at the same addresses: the program sees no difference. Peers open that memfd
//! through `/proc/<pid>/fd/<n>` (as they open the heap segment) and map it anywhere; an address
//! in the range translates by its offset from the range's start (every PE runs the same
//! executable, so the layout is the same).
//!
//! Rules that follow from it (DECISIONS.md):
//! * the copy is taken at `shmem_init`: a thread other than the caller must not write static
//!   data while `shmem_init` runs (no write is lost otherwise);
//! * after a `fork` the child would share the pages with its parent; a fork handler gives the
//!   child a private copy again;
//! * when the writable data cannot be identified as one contiguous range (an unusual link),
//!   nothing is changed and the runtime falls back to `process_vm_readv/writev` for put and get
//!   on static data (atomics on it are then refused with a message).

use std::io;

use super::image::Image;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};

/// This PE's shared static range.
#[derive(Debug)]
pub(crate) struct Own {
    /// Start of the range (page aligned, this process's address).
    pub start: usize,
    /// Length in bytes (whole pages).
    pub len: usize,
    /// The memfd behind it (kept open so peers can open it through /proc).
    pub fd: OwnedFd,
}

/// The range recorded for the fork handler (start, len); 0 when nothing is shared.
static FORK_RANGE: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));

fn page_size() -> usize {
    super::area::page_size()
}

/// The writable, page-aligned ranges of this process that lie inside `[lo, hi)`, from
/// `/proc/self/maps`, merged where adjacent.
fn writable_ranges(lo: usize, hi: usize) -> io::Result<Vec<(usize, usize)>> {
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let (a, b) = (a.max(lo), b.min(hi));
        if a >= b {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ => out.push((a, b)),
        }
    }
    Ok(out)
}

/// Bounds `[lo, hi)` (page aligned) of the executable's writable segments.
fn writable_segments(image: &Image) -> Option<(usize, usize)> {
    let (lo, hi) = image
        .segments()
        .iter()
        .filter(|s| s.writable)
        .fold((usize::MAX, 0), |(lo, hi), s| {
            (lo.min(s.start), hi.max(s.end))
        });
    (lo < hi).then(|| {
        let p = page_size();
        (lo / p * p, hi.div_ceil(p) * p)
    })
}

/// Make this process's static data (`image`'s writable segments) shared (see the module
/// documentation). `Err` says why it
/// was left as it is.
pub(crate) fn share(image: &Image) -> Result<Own, String> {
    let (lo, hi) = writable_segments(image).ok_or("the executable has no writable segment")?;
    let ranges = writable_ranges(lo, hi).map_err(|e| format!("/proc/self/maps: {e}"))?;
    let &[(start, end)] = ranges.as_slice() else {
        return Err(format!(
            "the executable's writable data is {} ranges, not one",
            ranges.len()
        ));
    };
    let len = end - start;
    // SAFETY: a valid C string; returns a new descriptor or -1.
    let raw = unsafe { libc::memfd_create(c"memheap-static".as_ptr(), libc::MFD_CLOEXEC) };
    if raw < 0 {
        return Err(format!("memfd_create: {}", io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ftruncate on our own descriptor.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
        return Err(format!("ftruncate: {}", io::Error::last_os_error()));
    }
    // From here to the mmap nothing may write static data: the bytes are copied, then the
    // mapping replaces the pages. Only system calls run in between (no allocation, no locks).
    let mut done = 0usize;
    while done < len {
        // SAFETY: `start + done .. end` is readable memory of this process (a rw mapping
        // found above); pwrite only reads it.
        let n = unsafe {
            libc::pwrite(
                fd.as_raw_fd(),
                (start + done) as *const libc::c_void,
                len - done,
                done as libc::off_t,
            )
        };
        if n <= 0 {
            return Err(format!(
                "copying static data: {}",
                io::Error::last_os_error()
            ));
        }
        done += n as usize;
    }
    // SAFETY: replaces `start..end`, pages that hold exactly the bytes just copied into the
    // memfd, with a shared mapping of those bytes at the same addresses: every pointer into
    // the range stays valid and sees the same contents.
    let p = unsafe {
        libc::mmap(
            start as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(format!("mmap: {}", io::Error::last_os_error()));
    }
    FORK_RANGE.0.store(start, Ordering::Relaxed);
    FORK_RANGE.1.store(len, Ordering::Relaxed);
    register_fork_handler();
    Ok(Own { start, len, fd })
}

fn register_fork_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn()` handler; no other arguments.
        unsafe { libc::pthread_atfork(None, None, Some(privatize_in_child)) };
    });
}

/// Fork handler (child side): give the child a private copy of the shared static pages, so
/// that its writes do not reach the parent.
extern "C" fn privatize_in_child() {
    let (start, len) = (
        FORK_RANGE.0.load(Ordering::Relaxed),
        FORK_RANGE.1.load(Ordering::Relaxed),
    );
    if len == 0 {
        return;
    }
    // SAFETY: a fresh private anonymous mapping of `len` bytes.
    let tmp = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if tmp == libc::MAP_FAILED {
        return;
    }
    // SAFETY: `start..start+len` is the shared static range (mapped read/write), `tmp` a fresh
    // mapping of the same length; the child has one thread here. The copy is moved over the
    // range in one system call, so the range never holds anything but its own bytes (code
    // that runs meanwhile may read it: in a static executable the C library's own data and
    // function pointers live there).
    unsafe {
        std::ptr::copy_nonoverlapping(start as *const u8, tmp.cast::<u8>(), len);
        let p = libc::mremap(
            tmp,
            len,
            len,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            start as *mut libc::c_void,
        );
        if p == libc::MAP_FAILED {
            libc::munmap(tmp, len);
        }
    }
    FORK_RANGE.1.store(0, Ordering::Relaxed);
}
