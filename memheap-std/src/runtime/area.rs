//! The job's rendezvous area: one shared mapping that every PE (and the launcher) sees.
//!
//! Layout (all words little-endian atomics; all-zero bytes are a valid fresh state):
//! a [`Header`] (magic, PE count, attach counter, global-exit word, the barrier), then one
//! [`Slot`] per PE (what that PE publishes: pid, executable identity and load address, its
//! segment's memfd and base, and two buffers for collective-call arguments and results).
//!
//! Under `memheap-run` the area is an anonymous memfd the launcher creates and the PEs inherit
//! (`MEMHEAP_JOB_FD`): it has no name in any file system, so nothing can be left behind. Under
//! `mpirun`/PMI it is a POSIX shared-memory object named from the job id, created by PE 0 and
//! unlinked as soon as every PE has attached.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::barrier::Barrier;

/// `"MEMHEAP1"`: the area is initialised.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"MEMHEAP1");

/// Bit set in [`Header::exit`] once a PE called `global_exit`; bits 32..63 hold the PE, the low
/// 32 bits the status.
pub(crate) const EXIT_SET: u64 = 1 << 63;

/// The area's header.
#[repr(C, align(64))]
pub(crate) struct Header {
    /// [`MAGIC`] once initialised (stored last, with release).
    pub magic: AtomicU64,
    /// Number of PEs in the job.
    pub n_pes: AtomicU32,
    /// PEs that have attached and published their slot.
    pub attached: AtomicU32,
    /// Pid of the creator (launcher or PE 0), to recognise a stale object.
    pub creator: AtomicU32,
    /// Unused (keeps the layout 8-aligned).
    pub _reserved: AtomicU32,
    /// `EXIT_SET | pe << 32 | status` once a PE called `global_exit`.
    pub exit: AtomicU64,
    /// The job-wide barrier.
    pub barrier: Barrier,
}

/// Arguments and result of one collective call, as one PE published them.
#[repr(C)]
pub(crate) struct Collective {
    /// Operation code (see `collective::Op`).
    pub op: AtomicU32,
    /// 1 if the PE's local part succeeded.
    pub ok: AtomicU32,
    /// Size argument.
    pub size: AtomicU64,
    /// Alignment (or count) argument.
    pub align: AtomicU64,
    /// The resulting offset in the heap (symmetry check), or `u64::MAX`.
    pub offset: AtomicU64,
}

/// What one PE publishes.
#[repr(C, align(64))]
pub(crate) struct Slot {
    /// The PE's process id.
    pub pid: AtomicU32,
    /// File descriptor number (in the PE's process) of its segment's memfd, or -1.
    pub seg_fd: AtomicI32,
    /// Heap segment base address.
    pub seg_base: AtomicU64,
    /// Heap segment length.
    pub seg_len: AtomicU64,
    /// Device of the PE's executable.
    pub exe_dev: AtomicU64,
    /// Inode of the PE's executable.
    pub exe_ino: AtomicU64,
    /// Load bias of the PE's executable (static data moves with it under ASLR).
    pub image_bias: AtomicU64,
    /// Collective-call buffers, used alternately (by call sequence parity), so a PE that
    /// races ahead into the next call never overwrites what a slower PE is still reading.
    pub coll: [Collective; 2],
}

/// Bytes of an area for `n_pes` PEs, rounded up to a page.
pub(crate) fn area_len(n_pes: u32) -> usize {
    let raw = std::mem::size_of::<Header>() + n_pes as usize * std::mem::size_of::<Slot>();
    raw.next_multiple_of(page_size())
}

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// A mapping of a job's rendezvous area.
pub(crate) struct Area {
    base: NonNull<u8>,
    len: usize,
    n_pes: u32,
}

impl std::fmt::Debug for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Area")
            .field("base", &self.base)
            .field("len", &self.len)
            .finish()
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: `base..base+len` is our own mapping, created by `map`; nothing borrowed from
        // it outlives `self` (all accessors borrow `self`).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

fn os_err(what: impl Into<String>) -> super::Error {
    super::Error::Os {
        what: what.into(),
        source: io::Error::last_os_error(),
    }
}

impl Area {
    /// Map `len` bytes of `fd` shared, read/write.
    fn map(fd: RawFd, len: usize, n_pes: u32) -> io::Result<Area> {
        let base = map_shared(fd, len)?;
        Ok(Area { base, len, n_pes })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        // SAFETY: the mapping is at least `area_len(n_pes)` bytes, page aligned (so aligned for
        // Header), lives as long as `self`, and all-zero or initialised bytes are valid atomics.
        unsafe { &*self.base.as_ptr().cast::<Header>() }
    }

    /// PE `pe`'s slot.
    pub fn slot(&self, pe: u32) -> &Slot {
        assert!(pe < self.n_pes, "slot {pe} out of range");
        // SAFETY: in bounds by the assert and `area_len`; Slot is 64-aligned and so is every
        // slot's offset (Header's size is a multiple of 64); lifetime tied to `self`.
        unsafe {
            &*self
                .base
                .as_ptr()
                .add(std::mem::size_of::<Header>())
                .cast::<Slot>()
                .add(pe as usize)
        }
    }

    /// Number of PEs the area was made for.
    pub fn n_pes(&self) -> u32 {
        self.n_pes
    }

    /// Initialise a freshly created (zeroed) area.
    fn init(&self) {
        let h = self.header();
        h.n_pes.store(self.n_pes, Ordering::Relaxed);
        h.creator.store(std::process::id(), Ordering::Relaxed);
        for pe in 0..self.n_pes {
            self.slot(pe).seg_fd.store(-1, Ordering::Relaxed);
        }
        h.magic.store(MAGIC, Ordering::Release);
    }

    /// Create a job's area as an anonymous memfd (launcher side). The fd is close-on-exec;
    /// the launcher clears that flag in each child before `exec`.
    pub fn create_memfd(n_pes: u32) -> Result<(Area, OwnedFd), super::Error> {
        let name = c"memheap-job";
        // SAFETY: `name` is a valid C string; memfd_create returns a new fd or -1.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(os_err("memfd_create for the job's rendezvous area"));
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let len = area_len(n_pes);
        // SAFETY: ftruncate on our own fd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
            return Err(os_err("ftruncate of the job's rendezvous area"));
        }
        let area = Area::map(fd.as_raw_fd(), len, n_pes).map_err(|e| super::Error::Os {
            what: "mmap of the rendezvous area".into(),
            source: e,
        })?;
        area.init();
        Ok((area, fd))
    }

    /// Attach to the area the launcher passed as fd number `fd` (PE side); the fd is closed
    /// once mapped.
    pub fn attach_fd(fd: RawFd, n_pes: u32) -> Result<Area, super::Error> {
        let bad = |reason: String| super::Error::BadEnv {
            var: super::job::ENV_JOB_FD,
            value: fd.to_string(),
            reason,
        };
        // SAFETY: fstat writes into a zeroed, properly sized stat buffer.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `fd` is only read, an invalid fd gives EBADF.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(bad(format!(
                "not an open file descriptor ({}); run the program through memheap-run",
                io::Error::last_os_error()
            )));
        }
        let len = area_len(n_pes);
        if (st.st_size as u64) < len as u64 {
            return Err(bad(format!(
                "the rendezvous area is {} bytes, {} PEs need {len}",
                st.st_size, n_pes
            )));
        }
        let area = Area::map(fd, len, n_pes)
            .map_err(|e| bad(format!("cannot map the rendezvous area: {e}")))?;
        // SAFETY: the launcher gave this fd to us alone; the mapping stays valid after close.
        unsafe { libc::close(fd) };
        let h = area.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err(bad("not a memheap rendezvous area (bad magic)".into()));
        }
        let theirs = h.n_pes.load(Ordering::Relaxed);
        if theirs != n_pes {
            return Err(bad(format!(
                "the area is for {theirs} PEs, the environment says {n_pes}"
            )));
        }
        Ok(area)
    }

    /// Meet the other PEs through the POSIX shared-memory object `name` (mpirun/PMI side):
    /// PE 0 creates it (replacing a stale one), the others open it, waiting up to `timeout`.
    pub fn rendezvous_shm(
        name: &str,
        pe: u32,
        n_pes: u32,
        timeout: Duration,
    ) -> Result<Area, super::Error> {
        let cname = CString::new(name)
            .map_err(|_| super::Error::Rendezvous(format!("bad object name {name:?}")))?;
        let len = area_len(n_pes);
        let deadline = Instant::now() + timeout;
        if pe == 0 {
            // SAFETY: valid C string; ENOENT is fine (nothing stale).
            unsafe { libc::shm_unlink(cname.as_ptr()) };
            // SAFETY: valid C string and flags; returns a new fd or -1.
            let fd = unsafe {
                libc::shm_open(
                    cname.as_ptr(),
                    libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
                    0o600,
                )
            };
            if fd < 0 {
                return Err(os_err(format!(
                    "shm_open({name}) to create the rendezvous area"
                )));
            }
            // SAFETY: fresh fd we own.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            // SAFETY: ftruncate on our own fd.
            if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
                let e = os_err(format!("ftruncate({name})"));
                // SAFETY: valid C string.
                unsafe { libc::shm_unlink(cname.as_ptr()) };
                return Err(e);
            }
            let area = Area::map(fd.as_raw_fd(), len, n_pes).map_err(|e| {
                // SAFETY: valid C string.
                unsafe { libc::shm_unlink(cname.as_ptr()) };
                super::Error::Os {
                    what: format!("mmap({name})"),
                    source: e,
                }
            })?;
            area.init();
            return Ok(area);
        }
        let mut pause = Duration::from_micros(200);
        loop {
            if let Some(area) = Self::try_open_shm(&cname, len, n_pes)? {
                return Ok(area);
            }
            if Instant::now() >= deadline {
                return Err(super::Error::Rendezvous(format!(
                    "PE {pe} of {n_pes}: PE 0 did not create the rendezvous area {name} within {:.1} s; \
                     are the PEs on different machines? memheap's shared-memory runtime needs every PE \
                     on one machine (or set MEMHEAP_JOB_ID to the same value on every PE)",
                    timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    fn try_open_shm(cname: &CString, len: usize, n_pes: u32) -> Result<Option<Area>, super::Error> {
        // SAFETY: valid C string and flags.
        let fd = unsafe { libc::shm_open(cname.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0) };
        if fd < 0 {
            return Ok(None);
        }
        // SAFETY: fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: zeroed stat buffer, fstat on our fd.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 || (st.st_size as u64) < len as u64
        {
            return Ok(None); // not sized yet
        }
        let Ok(area) = Area::map(fd.as_raw_fd(), len, n_pes) else {
            return Ok(None);
        };
        let h = area.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Ok(None);
        }
        let creator = h.creator.load(Ordering::Relaxed) as libc::pid_t;
        // SAFETY: kill with signal 0 only checks for existence.
        if unsafe { libc::kill(creator, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
        {
            return Ok(None); // stale object of a dead job; PE 0 will replace it
        }
        let theirs = h.n_pes.load(Ordering::Relaxed);
        if theirs != n_pes {
            return Err(super::Error::Mismatch(format!(
                "the rendezvous area is for {theirs} PEs, this PE was told {n_pes}"
            )));
        }
        Ok(Some(area))
    }
}

/// Remove the POSIX shared-memory object `name` (ENOENT is fine).
pub(crate) fn unlink_shm(name: &str) {
    if let Ok(c) = CString::new(name) {
        // SAFETY: valid C string.
        unsafe { libc::shm_unlink(c.as_ptr()) };
    }
}

/// Map `len` bytes of `fd` `MAP_SHARED`, read/write, at an address the kernel picks (the
/// rendezvous area, and the peers' heap segments). The caller owns the mapping and unmaps it.
pub(crate) fn map_shared(fd: RawFd, len: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: a fresh shared mapping at an address the kernel picks; no existing memory is
    // affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap returned null"))
}

// SAFETY: an `Area` is a mapping of shared memory that only atomics access (every field of
// `Header` and `Slot` is an atomic); moving it to or sharing it with another thread is no
// different from sharing it with another process, which is its purpose.
unsafe impl Send for Area {}
// SAFETY: as above.
unsafe impl Sync for Area {}
