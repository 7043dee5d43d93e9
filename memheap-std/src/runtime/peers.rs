//! Mapping the peers' heap segments.
//!
//! Each PE's segment is a memfd (see [`Segment`](crate::segment::Segment)). A PE publishes its
//! pid and the memfd's descriptor number; a peer opens `/proc/<pid>/fd/<n>` read/write (same
//! user, so allowed) and maps it `MAP_SHARED` at any free address. Loads and stores through
//! that mapping reach the owner's heap directly: put/get are `memcpy`s, `ptr` is an offset.

use std::ffi::CString;
use std::ptr::NonNull;

use super::Error;

/// One peer's segment, mapped into this process.
#[derive(Debug)]
pub(crate) struct PeerMap {
    base: NonNull<u8>,
    len: usize,
}

impl PeerMap {
    /// Map `len` bytes of the memfd `fd` of process `pid`.
    pub fn open(pe: usize, pid: i32, fd: i32, len: usize) -> Result<PeerMap, Error> {
        let path = format!("/proc/{pid}/fd/{fd}");
        let cpath = CString::new(path.clone()).map_err(|_| Error::Rendezvous(path.clone()))?;
        // SAFETY: valid C string; open returns a new descriptor or -1.
        let raw = unsafe { libc::open(cpath.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if raw < 0 {
            return Err(Error::Os {
                what: format!("cannot open PE {pe}'s heap segment through {path} (the PEs must be one user's processes on one machine)"),
                source: std::io::Error::last_os_error(),
            });
        }
        let mapped = super::area::map_shared(raw, len);
        // SAFETY: closing the descriptor we opened; the mapping outlives it.
        unsafe { libc::close(raw) };
        let base = mapped.map_err(|source| Error::Os {
            what: format!("cannot map PE {pe}'s heap segment ({len} bytes)"),
            source,
        })?;
        Ok(PeerMap { base, len })
    }

    /// Local address of the peer's segment base.
    pub fn base(&self) -> usize {
        self.base.as_ptr() as usize
    }
}

impl Drop for PeerMap {
    fn drop(&mut self) {
        // SAFETY: our own mapping of `len` bytes; addresses derived from it are only handed
        // out as raw pointers whose validity ends with the runtime (documented on `ptr`).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

// SAFETY: a `PeerMap` owns a mapping and only hands out its address; unmapping it from another
// thread (at finalize) is as valid as from the thread that mapped it.
unsafe impl Send for PeerMap {}
// SAFETY: `&PeerMap` gives only the base address.
unsafe impl Sync for PeerMap {}
