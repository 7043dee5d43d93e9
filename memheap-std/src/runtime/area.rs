//! The job's rendezvous area: one shared mapping that every PE (and the launcher) sees.
//!
//! Layout (all words little-endian atomics; all-zero bytes are a valid fresh state):
//! a [`Header`] (magic, PE count, attach counter, global-exit word, the barrier), then one
//! [`Slot`] per PE (what that PE publishes: pid, executable identity and load address, its
//! segment's memfd and base, and two buffers for collective-call arguments and results).
//!
//! The area is always an anonymous memfd: it has no name in any file system, so nothing can be
//! left behind, whatever happens to the PEs. Under `memheap-run` the launcher creates it and
//! the PEs inherit it (`MEMHEAP_JOB_FD`); under `mpirun`/PMI PE 0 creates it and the others
//! find it through an abstract socket named from the job id (see the `rendezvous` module).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

use super::barrier::Barrier;

/// `"MEMHEAP1"`: the area is initialised.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"MEMHEAP1");

/// Bit set in [`Header::exit`] once a PE ended the job (`global_exit`, or an error the library
/// detected); bits 32..61 hold the PE, the low 32 bits the status.
pub(crate) const EXIT_SET: u64 = 1 << 63;

/// Bit set in [`Header::exit`] (with [`EXIT_SET`]) when the job ends because of an error the
/// library detected and reported, not because the program called `global_exit`.
pub(crate) const EXIT_ERROR: u64 = 1 << 62;

/// The PE number in an exit word.
pub(crate) const fn exit_pe(word: u64) -> u32 {
    ((word >> 32) & 0x3fff_ffff) as u32
}

/// [`Slot::state`]: the PE has not attached (it has not called init, or never will).
pub(crate) const STATE_NONE: u32 = 0;
/// [`Slot::state`]: the PE attached and runs.
pub(crate) const STATE_RUNNING: u32 = 1;
/// [`Slot::state`]: the PE is in finalize (explicit or at exit), in or before its barrier.
pub(crate) const STATE_FINALIZING: u32 = 2;
/// [`Slot::state`]: the PE passed finalize's barrier: it takes part in nothing any more.
pub(crate) const STATE_FINALIZED: u32 = 3;

/// [`Slot::wait_kind`]: not blocked (or not saying).
pub(crate) const WAIT_NONE: u32 = 0;
/// [`Slot::wait_kind`]: in a wait that only another PE can end.
pub(crate) const WAIT_PEERS: u32 = 1;
/// [`Slot::wait_kind`]: in the job-wide barrier.
pub(crate) const WAIT_BARRIER: u32 = 2;

/// Bytes of a PE's published component description (longer ones are cut; the comparison uses
/// a hash of the whole text).
pub(crate) const COMPONENT_TEXT: usize = 64;

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
    /// Where the PE stands: `STATE_NONE`, `STATE_RUNNING`, `STATE_FINALIZING`,
    /// `STATE_FINALIZED`.
    pub state: AtomicU32,
    /// What the PE is blocked in, if it says so: `WAIT_NONE`, `WAIT_PEERS` (a point-to-point
    /// wait), `WAIT_BARRIER` (the job-wide barrier). See the `watch` module.
    pub wait_kind: AtomicU32,
    /// Monotonic time (ns) at which its current wait began.
    pub wait_since: AtomicU64,
    /// Monotonic time (ns) at which it last found its wait's condition false.
    pub wait_tested: AtomicU64,
    /// Hash of the selected heap component's name and configuration (the same on every PE, or
    /// the heaps are not symmetric).
    pub component_hash: AtomicU64,
    /// The component's name and configuration as text, NUL-padded (for messages).
    pub component: [AtomicU64; COMPONENT_TEXT / 8],
}

impl Slot {
    /// Publish `text` (cut to [`COMPONENT_TEXT`] bytes) as this PE's component description.
    pub fn set_component(&self, text: &str) {
        let mut bytes = [0u8; COMPONENT_TEXT];
        let n = text.len().min(COMPONENT_TEXT);
        bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
        for (word, chunk) in self.component.iter().zip(bytes.chunks_exact(8)) {
            word.store(
                u64::from_le_bytes(chunk.try_into().expect("8 bytes")),
                Ordering::Relaxed,
            );
        }
        self.component_hash
            .store(text_hash(text), Ordering::Relaxed);
    }

    /// The component description a PE published.
    pub fn component(&self) -> String {
        let bytes: Vec<u8> = self
            .component
            .iter()
            .flat_map(|w| w.load(Ordering::Relaxed).to_le_bytes())
            .take_while(|&b| b != 0)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// FNV-1a over `text`: a fixed hash, the same in every process.
pub(crate) fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
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
        let name = c"memheap-job"; // JOB_MEMFD_NAME
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

    /// Attach to the area the launcher passed as fd number `fd` (PE side). The descriptor is
    /// taken (closed once mapped) only when it is what it must be: `memheap-run`'s memfd
    /// holding a rendezvous area for `n_pes` PEs, taken by no earlier runtime of this process.
    /// On any error it is left alone: it may be a file the program owns.
    pub fn attach_fd(fd: RawFd, n_pes: u32) -> Result<Area, super::Error> {
        if JOB_FD_TAKEN
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(super::Error::BadEnv {
                var: super::job::ENV_JOB_FD,
                value: fd.to_string(),
                reason: "the job's rendezvous area was already taken by an earlier runtime \
                         of this process (one runtime per process)"
                    .into(),
            });
        }
        let attached = Self::attach_fd_checked(fd, n_pes);
        if attached.is_err() {
            JOB_FD_TAKEN.store(false, Ordering::Release);
        }
        attached
    }

    fn attach_fd_checked(fd: RawFd, n_pes: u32) -> Result<Area, super::Error> {
        let bad = |reason: String| super::Error::BadEnv {
            var: super::job::ENV_JOB_FD,
            value: fd.to_string(),
            reason,
        };
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).map_err(|e| {
            bad(format!(
                "not an open file descriptor ({e}); run the program through memheap-run"
            ))
        })?;
        let target = target.to_string_lossy();
        if !target.starts_with(&format!("/memfd:{JOB_MEMFD_NAME}")) {
            return Err(bad(format!(
                "descriptor {fd} is {target}, not memheap-run's rendezvous area; run the \
                 program through memheap-run"
            )));
        }
        // SAFETY: fstat writes into a zeroed, properly sized stat buffer.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `fd` is only read.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(bad(format!("fstat: {}", io::Error::last_os_error())));
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
        area.check(n_pes).map_err(bad)?;
        // SAFETY: the descriptor is the launcher's memfd, inherited for the runtime and checked
        // above (name, size, contents), so it is ours to close; the mapping outlives it.
        unsafe { libc::close(fd) };
        Ok(area)
    }

    /// Map the rendezvous area that process `pid` holds as descriptor `fd` (PE 0's, under
    /// mpirun/PMI), through `/proc/<pid>/fd/<fd>`.
    pub fn attach_peer(pid: i32, fd: RawFd, n_pes: u32) -> Result<Area, super::Error> {
        let path = format!("/proc/{pid}/fd/{fd}");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| super::Error::Os {
                what: format!("cannot open PE 0's rendezvous area through {path}"),
                source: e,
            })?;
        let len = area_len(n_pes);
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size < len as u64 {
            return Err(super::Error::Rendezvous(format!(
                "PE 0's rendezvous area is {size} bytes, {n_pes} PEs need {len}"
            )));
        }
        let area = Area::map(file.as_raw_fd(), len, n_pes).map_err(|e| super::Error::Os {
            what: "mmap of PE 0's rendezvous area".into(),
            source: e,
        })?;
        area.check(n_pes).map_err(super::Error::Mismatch)?;
        Ok(area)
    }

    /// Check the magic and the PE count of a mapped area.
    fn check(&self, n_pes: u32) -> Result<(), String> {
        let h = self.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err("not a memheap rendezvous area (bad magic)".into());
        }
        let theirs = h.n_pes.load(Ordering::Relaxed);
        if theirs != n_pes {
            return Err(format!(
                "the rendezvous area is for {theirs} PEs, this PE was told {n_pes}"
            ));
        }
        Ok(())
    }
}

/// Name of the job area's memfd (shown as `/memfd:memheap-job` in `/proc/<pid>/fd`).
pub(crate) const JOB_MEMFD_NAME: &str = "memheap-job";

/// Set once a runtime of this process has taken the job area `memheap-run` passed down.
static JOB_FD_TAKEN: AtomicBool = AtomicBool::new(false);

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
