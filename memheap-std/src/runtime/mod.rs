//! The PE runtime: who am I, how many PEs, a barrier, and access to the peers' memory.
//!
//! ```no_run
//! let rt = memheap_std::runtime::init()?;
//! println!("PE {} of {}", rt.my_pe(), rt.n_pes());
//! rt.barrier_all();
//! rt.finalize()?;
//! # Ok::<(), memheap_std::runtime::Error>(())
//! ```
//!
//! Start the PEs with `memheap-run -n N prog` (see [`job`] for the environment it sets), with
//! Open MPI's `mpirun` or a PMI launcher on one machine, or alone (one PE).
//!
//! * **Rendezvous**: all PEs and the launcher share one small area (see the `area` module)
//!   holding the barrier, what each PE publishes (pid, executable, segment), collective-call
//!   arguments and the `global_exit` word.
//! * **Barrier**: [`Barrier`], a generation-counter barrier that spins briefly, then sleeps on
//!   a cross-process futex; while asleep it runs [`Runtime::watch`].
//! * **Waiting never hangs**: every blocking wait (barriers, team syncs, collectives,
//!   point-to-point and signal waits, locks) calls [`Runtime::watch`] each round (most through
//!   [`Runtime::wait_until`]), which notices the end of the job, peers gone without finalize,
//!   and waits that can no longer succeed (see the [`watch`] module).
//! * **Static and global variables** of the main executable are symmetric too: init makes
//!   their writable pages shared memory that the peers map (see the `statics` module), so
//!   they are reached like the heap; see [`Runtime::put_bytes`] and [`Runtime::remote_ptr`].
//! * **Teams and collectives**: [`Team`], [`Runtime::team_barrier`], [`Runtime::team_split`],
//!   [`Runtime::broadcast`], [`Runtime::collect`], [`Runtime::alltoalls`], [`Runtime::reduce`].
//! * **Threads**: [`Runtime`] is `Sync`.

mod area;
mod barrier;
mod coll;
mod collective;
mod image;
pub mod job;
mod peers;
mod reach;
mod rendezvous;
mod statics;
mod sync;
pub mod team;
pub mod watch;

use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use barrier::Barrier;
pub use job::{JobInfo, Launcher};
pub use team::{led_barrier, release, take_release, GroupWord, PeSet, Team, Wait, SYNC_WORDS};
pub use watch::{Awaiting, Watch};

use crate::component::ModuleStats;
use crate::heap::SymmetricHeap;
use area::{
    exit_pe, Area, EXIT_ERROR, EXIT_SET, STATE_FINALIZED, STATE_FINALIZING, STATE_NONE,
    STATE_RUNNING, WAIT_BARRIER, WAIT_NONE,
};
use image::Image;
use job::Meet;
use peers::PeerMap;
use reach::Reach;

/// Errors of the runtime. Every one carries a message meant for the user.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable has a value the runtime cannot use.
    BadEnv {
        /// The variable.
        var: &'static str,
        /// Its value (empty when unset).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The PEs could not meet (timeout, peers elsewhere).
    Rendezvous(String),
    /// The PEs disagree (different programs, different heap bases, ...).
    Mismatch(String),
    /// A system call failed.
    Os {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A PE number out of range.
    BadPe {
        /// The PE asked for.
        pe: usize,
        /// PEs in the job.
        n_pes: usize,
    },
    /// An address that is not symmetric (not in the heap, nor in static data).
    NotSymmetric {
        /// The address.
        addr: usize,
        /// Bytes from it.
        len: usize,
    },
    /// A put to symmetric data that is read-only (constants).
    ReadOnly {
        /// The address.
        addr: usize,
        /// Bytes from it.
        len: usize,
    },
    /// The local buffer of a put or get is NULL (with a length that is not 0), or lies in this
    /// PE's code or read-only data, or across a hole of its executable's image.
    BadLocalBuffer {
        /// The address.
        addr: usize,
        /// Bytes from it.
        len: usize,
        /// Whether the call writes it (a get) or reads it (a put).
        write: bool,
    },
    /// The symmetric heap could not be created (the message says why).
    Heap(String),
    /// A heap operation failed on this PE.
    Alloc(crate::Error),
    /// The runtime was finalized.
    Finalized,
    /// A collective free that was bad on some PE (or named different blocks on different
    /// PEs): no PE freed anything; the message says why.
    NotFreed(String),
    /// The operation cannot be done as asked (the message says why).
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadEnv { var, value, reason } if value.is_empty() => {
                write!(f, "{var}: {reason}")
            }
            Error::BadEnv { var, value, reason } => write!(f, "{var}={value:?}: {reason}"),
            Error::Rendezvous(m) | Error::Mismatch(m) => f.write_str(m),
            Error::Os { what, source } => write!(f, "{what}: {source}"),
            Error::BadPe { pe, n_pes } => {
                write!(f, "PE {pe} does not exist (the job has {n_pes} PEs)")
            }
            Error::NotSymmetric { addr, len } => {
                write!(
                    f,
                    "{len} bytes at {addr:#x} are not symmetric (neither heap nor static data)"
                )
            }
            Error::ReadOnly { addr, len } => write!(
                f,
                "{len} bytes at {addr:#x} are read-only static data: not a target for a put"
            ),
            Error::BadLocalBuffer { addr: 0, len, .. } => {
                write!(f, "the local buffer is NULL ({len} bytes asked for)")
            }
            Error::BadLocalBuffer { addr, len, write } => write!(
                f,
                "the local buffer ({len} bytes at {addr:#x}) cannot be {}: it is not in this \
                 process's {} memory",
                if *write { "written" } else { "read" },
                if *write { "writable" } else { "readable" }
            ),
            Error::Heap(m) => f.write_str(m),
            Error::Alloc(e) => write!(f, "heap: {e}"),
            Error::Finalized => f.write_str("the runtime was finalized"),
            Error::NotFreed(m) | Error::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `MEMHEAP_CHECK_CALLS=0|1`: compare every collective allocation's arguments and resulting
/// offsets across PEs. Default: on when `SHMEM_DEBUG` is set and in debug builds.
pub const ENV_CHECK_CALLS: &str = "MEMHEAP_CHECK_CALLS";

/// What the runtime knows about a peer.
#[derive(Clone, Copy, Debug)]
struct Peer {
    pid: i32,
    image_bias: usize,
    /// Local address of the peer's heap segment (our own base for ourselves).
    heap: usize,
}

/// A PE's view of the job. Created by [`init`]. It is `Sync`: RMA, atomics, waits and
/// allocation may come from any thread; collective calls must still be made in the same order
/// on every PE (they keep a sequence number).
#[derive(Debug)]
pub struct Runtime {
    job: JobInfo,
    area: Area,
    /// Barrier budget: busy polls, then yielding polls.
    spin: (u32, u32),
    image: Image,
    peers: Vec<Peer>,
    /// Collective calls made so far (selects the argument buffer by parity).
    seq: AtomicU64,
    finalized: AtomicBool,
    /// This PE's symmetric heap (`None` after finalize).
    heap: Mutex<Option<SymmetricHeap>>,
    /// Segment base (the same on every PE).
    seg_base: usize,
    /// Length of the whole segment: the user heap, then the runtime-private range (which
    /// holds the sync area the runtime reaches on peers, never a program's target).
    seg_len: usize,
    /// Length of the user heap at the segment's base (the runtime-private range follows it).
    user_len: usize,
    /// Set by [`finalize_at_exit`](Runtime::finalize_at_exit): the process is inside `exit`,
    /// so ending it must not call `exit` again.
    exiting: AtomicBool,
    /// Mappings of the peers' segments (`None` at our own index); dropped at finalize.
    maps: Mutex<Vec<Option<PeerMap>>>,
    /// The peers' static data and the sync area.
    reach: Reach,
    /// This PE's free team slots.
    teams: team::Slots,
    /// Compare collective-call arguments across PEs (`SHMEM_DEBUG` or a debug build).
    check_calls: bool,
    /// Report allocation failures on stderr (`SHMEM_DEBUG`).
    verbose: bool,
    /// Monotonic time (ns) of this PE's next look at whether the peer processes still exist,
    /// shared by all its waits (see [`watch`](Runtime::watch)); 0: at the first wait.
    next_liveness_ns: AtomicU64,
    /// Where that look starts among the peers.
    liveness_cursor: AtomicU64,
    /// Looks at the peer processes so far.
    liveness_looks: AtomicU64,
}

/// Start the runtime: read the job from the environment, meet the other PEs, check that they
/// run the same program. See [`JobInfo`] for the sources of rank and size.
pub fn init() -> Result<Runtime, Error> {
    Runtime::init(JobInfo::from_env()?)
}

fn cores() -> u32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1)
}

impl Runtime {
    /// Start the runtime for `job`.
    pub fn init(job: JobInfo) -> Result<Runtime, Error> {
        let verbose = std::env::var_os("SHMEM_DEBUG").is_some();
        let check_calls = match std::env::var(ENV_CHECK_CALLS) {
            Ok(v) => crate::env::parse_verbose(ENV_CHECK_CALLS, &v).map_err(|e| Error::BadEnv {
                var: ENV_CHECK_CALLS,
                value: v.clone(),
                reason: e.to_string(),
            })?,
            Err(_) => verbose || cfg!(debug_assertions),
        };
        let n = job.n_pes;
        let mut host = None;
        let area = match &job.meet {
            Meet::Fd(fd) => Area::attach_fd(*fd, n)?,
            Meet::Socket(name) if job.pe == 0 => {
                let (area, h) = rendezvous::Host::create(name, n)?;
                host = Some(h);
                area
            }
            Meet::Socket(name) => rendezvous::join(name, job.pe, n, job.timeout)?,
            Meet::Alone => Area::create_memfd(1)?.0,
        };
        image::allow_peers();
        let image = Image::current();
        let (dev, ino) = image::exe_id();
        let mut heap = SymmetricHeap::from_env();
        let mut reach = match &mut heap {
            Ok(h) => Reach::prepare(h, &image),
            Err(_) => Reach::default(),
        };
        let me = area.slot(job.pe);
        if let Ok(h) = &heap {
            use std::os::fd::AsRawFd;
            me.seg_fd
                .store(h.segment().fd().as_raw_fd(), Ordering::Relaxed);
            me.seg_base
                .store(h.segment().base() as u64, Ordering::Relaxed);
            me.seg_len
                .store(h.segment().len() as u64, Ordering::Relaxed);
            me.set_component(&h.description());
        }
        me.pid.store(std::process::id(), Ordering::Relaxed);
        me.exe_dev.store(dev, Ordering::Relaxed);
        me.exe_ino.store(ino, Ordering::Relaxed);
        me.image_bias.store(image.bias as u64, Ordering::Relaxed);
        me.state.store(STATE_RUNNING, Ordering::Relaxed);
        let header = area.header();
        header.attached.fetch_add(1, Ordering::AcqRel);
        let deadline = Instant::now() + job.timeout;
        let mut pause = Duration::from_micros(50);
        loop {
            if let Some(h) = &host {
                h.serve(); // tell the PEs that connected where the area is
            }
            let attached = header.attached.load(Ordering::Acquire);
            if attached >= n {
                break;
            }
            if Instant::now() >= deadline {
                let hint = match job.launcher {
                    Launcher::OpenMpi | Launcher::Pmi => {
                        "are the PEs on different machines? memheap's shared-memory runtime \
                         needs every PE on one machine"
                    }
                    Launcher::MemheapRun | Launcher::Single => {
                        "the others have not started the runtime yet (set \
                         MEMHEAP_RENDEZVOUS_TIMEOUT to wait longer)"
                    }
                };
                return Err(Error::Rendezvous(format!(
                    "PE {} of {n}: only {attached} of {n} PEs arrived within {:.1} s; {hint}",
                    job.pe,
                    job.timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
        // Every PE has mapped the area: the rendezvous socket and PE 0's descriptor can go.
        drop(host);
        // From here on every PE sees every slot: each one makes the same checks and reports
        // the same problem.
        let heap = match heap {
            Ok(h) => h,
            Err(e) => {
                let e = e.to_string();
                let e = e.trim_start_matches("memheap: ");
                return Err(Error::Heap(format!("PE {}: {e}", job.pe)));
            }
        };
        let (seg_base, seg_len) = (heap.segment().base() as usize, heap.segment().len());
        let user_len = heap.user_range().len();
        let mut peers = Vec::with_capacity(n as usize);
        for pe in 0..n {
            let s = area.slot(pe);
            if (
                s.exe_dev.load(Ordering::Relaxed),
                s.exe_ino.load(Ordering::Relaxed),
            ) != (dev, ino)
            {
                return Err(Error::Mismatch(format!(
                    "PE {} and PE {pe} run different executables; every PE must run the same program",
                    job.pe
                )));
            }
            peers.push(Peer {
                pid: s.pid.load(Ordering::Relaxed) as i32,
                image_bias: s.image_bias.load(Ordering::Relaxed) as usize,
                heap: seg_base,
            });
        }
        let bases: Vec<(u64, u64)> = (0..n)
            .map(|pe| {
                (
                    area.slot(pe).seg_base.load(Ordering::Relaxed),
                    area.slot(pe).seg_len.load(Ordering::Relaxed),
                )
            })
            .collect();
        if let Some(bad) = bases.iter().position(|&(b, _)| b == 0) {
            return Err(Error::Heap(format!(
                "PE {}: PE {bad} could not create its symmetric heap (see its message)",
                job.pe
            )));
        }
        if bases.iter().any(|&b| b != bases[0]) {
            let list: Vec<String> = bases
                .iter()
                .enumerate()
                .map(|(pe, (b, l))| format!("PE {pe}: {b:#x} + {l}"))
                .collect();
            return Err(Error::Mismatch(format!(
                "PE {}: the PEs' symmetric heaps are not at the same address and size ({}); \
                 give every PE the same MEMHEAP_BASE_ADDRESS and SHMEM_SYMMETRIC_SIZE",
                job.pe,
                list.join(", ")
            )));
        }
        check_components(&area, job.pe)?;
        let mut maps = Vec::with_capacity(n as usize);
        for (pe, peer) in peers.iter_mut().enumerate() {
            if pe == job.pe as usize {
                maps.push(None);
                continue;
            }
            let fd = area.slot(pe as u32).seg_fd.load(Ordering::Relaxed);
            let map = PeerMap::open(pe, peer.pid, fd, seg_len)?;
            peer.heap = map.base();
            maps.push(Some(map));
        }
        let pids: Vec<i32> = peers.iter().map(|p| p.pid).collect();
        let heap_bases: Vec<usize> = peers.iter().map(|p| p.heap).collect();
        reach.connect(job.pe as usize, &pids, &heap_bases, seg_base, &image);
        // Busy polling only pays when every PE has a core; otherwise yield the core to a PE
        // that still has to arrive, then sleep.
        let spin = if n <= cores() { (4000, 0) } else { (50, 1000) };
        let rt = Runtime {
            job,
            area,
            spin,
            image,
            peers,
            seq: AtomicU64::new(0),
            finalized: AtomicBool::new(false),
            heap: Mutex::new(Some(heap)),
            seg_base,
            seg_len,
            user_len,
            exiting: AtomicBool::new(false),
            maps: Mutex::new(maps),
            reach,
            teams: team::Slots::new(),
            check_calls,
            verbose,
            next_liveness_ns: AtomicU64::new(0),
            liveness_cursor: AtomicU64::new(0),
            liveness_looks: AtomicU64::new(0),
        };
        // Nobody may leave init (and perhaps exit, closing its segment) before every peer
        // has mapped every segment.
        rt.barrier_all();
        Ok(rt)
    }

    /// How many times this PE's waits have looked at whether the peer processes still exist
    /// (a system call per peer): at most once per [`watch::CHECK_PERIOD`], however many waits
    /// it makes (see [`watch`](Runtime::watch)). For tests and diagnostics.
    pub fn liveness_looks(&self) -> u64 {
        self.liveness_looks.load(Ordering::Relaxed)
    }

    /// This PE's number, `0..n_pes()`.
    pub fn my_pe(&self) -> usize {
        self.job.pe as usize
    }

    /// Number of PEs in the job.
    pub fn n_pes(&self) -> usize {
        self.job.n_pes as usize
    }

    /// The job as read from the environment.
    pub fn job(&self) -> &JobInfo {
        &self.job
    }

    fn check_pe(&self, pe: usize) -> Result<(), Error> {
        if pe < self.n_pes() {
            Ok(())
        } else {
            Err(Error::BadPe {
                pe,
                n_pes: self.n_pes(),
            })
        }
    }

    /// Complete this PE's outstanding puts (a sequentially consistent fence: puts are plain
    /// stores, so ordering them is all that is left to do).
    pub fn quiet(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
    }

    /// Order this PE's puts to each PE (same as [`quiet`](Runtime::quiet) here).
    pub fn fence(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
    }

    /// Wait until every PE has called `barrier_all`; implies [`quiet`](Runtime::quiet), and
    /// every PE's stores before the barrier are visible to every PE after it.
    ///
    /// While waiting it runs [`watch`](Runtime::watch) (every PE must arrive), so it never
    /// waits forever: it follows a `global_exit` or an error elsewhere, and ends the job when a
    /// peer is gone without finalize or has already finalized.
    pub fn barrier_all(&self) {
        if self.job.n_pes == 1 {
            // Alone: nobody to wait for, and no other process to order stores for.
            return;
        }
        self.quiet();
        let mut w = Watch::new();
        let every_pe = Awaiting::Pes(PeSet::world(self.n_pes()));
        let what = || {
            "a barrier (shmem_barrier_all, shmem_sync_all, a collective call or shmem_finalize)"
                .to_string()
        };
        self.area
            .header()
            .barrier
            .wait_with(self.job.n_pes, self.spin.0, self.spin.1, || {
                self.watch_marked(&mut w, every_pe, &what, WAIT_BARRIER)
            });
        if w.polls() > 0 {
            // It said it was blocked here (see `watch`); it is not any more.
            self.area
                .slot(self.job.pe)
                .wait_kind
                .store(WAIT_NONE, Ordering::Release);
        }
    }

    /// End the whole job with `status`: every PE exits (the launcher stops the others and exits
    /// with `status`; under other launchers peers blocked in a wait exit with `status`). This
    /// PE exits as `exit(status)` does: its stdio buffers are flushed and its `atexit`
    /// handlers run.
    pub fn global_exit(&self, status: i32) -> ! {
        self.end_job(status, false);
        self.end_process(status)
    }

    /// End the whole job with `status` after an error this PE has reported: as
    /// [`global_exit`](Runtime::global_exit), but the launcher and the other PEs know it is a
    /// failure the library detected (they exit quietly; `memheap-run` says so), not a
    /// `global_exit` call of the program.
    pub fn fail_job(&self, status: i32) -> ! {
        self.end_job(status, true);
        self.end_process(status)
    }

    /// Publish the end of the job (only the first PE's word counts) and wake every waiter.
    fn end_job(&self, status: i32, error: bool) {
        let h = self.area.header();
        let flags = if error {
            EXIT_SET | EXIT_ERROR
        } else {
            EXIT_SET
        };
        let word = flags | (self.job.pe as u64) << 32 | status as u32 as u64;
        let _ = h
            .exit
            .compare_exchange(0, word, Ordering::AcqRel, Ordering::Acquire);
        h.barrier.nudge();
    }

    /// End this process with `status`: `exit`, or `_exit` after flushing stdio when the
    /// process is already inside `exit` (see [`finalize_at_exit`](Runtime::finalize_at_exit)).
    fn end_process(&self, status: i32) -> ! {
        flush_std();
        if self.exiting.load(Ordering::Acquire) {
            // SAFETY: fflush(NULL) flushes every C stdio stream; _exit ends the process at
            // once, without running the exit handlers a second time.
            unsafe {
                libc::fflush(std::ptr::null_mut());
                libc::_exit(status)
            }
        }
        std::process::exit(status)
    }

    /// Leave the job: a barrier (so no peer still reaches into our memory), then release
    /// everything. Idempotent; after it, communication calls fail with [`Error::Finalized`].
    ///
    /// Peers see this PE as finalizing from the start of the call and as finalized after its
    /// barrier (see [`watch`](Runtime::watch)).
    pub fn finalize(&self) -> Result<(), Error> {
        if self.finalized.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let me = self.area.slot(self.job.pe);
        me.state.store(STATE_FINALIZING, Ordering::Release);
        self.barrier_all();
        me.state.store(STATE_FINALIZED, Ordering::Release);
        // Waiters elsewhere re-check at once: a barrier this PE will never join is hopeless.
        self.area.header().barrier.nudge();
        lock(&self.maps).clear();
        drop(lock(&self.heap).take());
        Ok(())
    }

    /// The implicit finalize at program exit (OpenSHMEM: a program that returns from `main`
    /// without calling `shmem_finalize` is finalized then), for an exit handler that knows the
    /// exit status (the C layer registers one with `on_exit`).
    ///
    /// Status 0: [`finalize`](Runtime::finalize), with its barrier, so peers can still reach
    /// this PE's memory until they are done too. Any other status, or after the job ended
    /// (`global_exit`, an error): nothing (the job is failing or ending; waiting for peers
    /// could hang it). From here on, ending the process uses `_exit`, since it is already
    /// inside `exit`.
    pub fn finalize_at_exit(&self, status: i32) {
        self.exiting.store(true, Ordering::Release);
        let ended = self.area.header().exit.load(Ordering::Acquire) & EXIT_SET != 0;
        if status == 0 && !ended {
            let _ = self.finalize();
        }
    }

    fn live(&self) -> Result<(), Error> {
        if self.finalized.load(Ordering::Acquire) {
            Err(Error::Finalized)
        } else {
            Ok(())
        }
    }

    /// Whether `[addr, addr+len)` lies in the user heap (not the runtime-private range after
    /// it).
    fn in_user_heap(&self, addr: usize, len: usize) -> bool {
        addr >= self.seg_base
            && addr
                .checked_add(len)
                .is_some_and(|e| e <= self.seg_base + self.user_len)
    }

    /// `Ok` if `[addr, addr+len)` is symmetric memory a program may target: the user heap, or
    /// static data of the executable (writable data when `write`, any data otherwise). The
    /// same rule holds for this PE as for its peers: code, the runtime's private heap, the
    /// stack and any other memory are [`Error::NotSymmetric`], read-only data for a write
    /// [`Error::ReadOnly`].
    pub fn check_symmetric(&self, addr: *const u8, len: usize, write: bool) -> Result<(), Error> {
        let a = addr as usize;
        if self.in_user_heap(a, len) || self.image.data(a, len, write) {
            Ok(())
        } else if write && self.image.data(a, len, false) {
            Err(Error::ReadOnly { addr: a, len })
        } else {
            Err(Error::NotSymmetric { addr: a, len })
        }
    }

    /// Check a local buffer of `len` bytes that a put reads or a get writes (`write`): not
    /// NULL, and when it lies in this PE's executable image, in a segment that allows the
    /// access (a get into code or constants would crash this PE). Memory elsewhere is the
    /// caller's promise. Put and get check their local side with it; the C layer checks the
    /// other local buffers it writes (the `fetch` of a non-blocking atomic) the same way.
    pub fn check_local(&self, local: *const u8, len: usize, write: bool) -> Result<(), Error> {
        let a = local as usize;
        if a == 0 || (self.image.overlaps(a, len) && !self.image.accessible(a, len, write)) {
            return Err(Error::BadLocalBuffer {
                addr: a,
                len,
                write,
            });
        }
        Ok(())
    }

    /// A local address through which loads and stores reach the symmetric address `addr` on
    /// PE `pe`: `addr` itself for this PE (heap or static data), the mapping of `pe`'s heap
    /// for a heap address, the mapping of `pe`'s static data for a writable static address,
    /// `None` otherwise (read-only static data of a peer, static data that could not be
    /// shared, a non-symmetric address, a PE out of range, after finalize).
    ///
    /// The pointer is valid until [`finalize`](Runtime::finalize); accesses through it race
    /// with `pe`'s own accesses unless ordered by a barrier (or `quiet` and a flag).
    pub fn ptr<T>(&self, addr: *const T, pe: usize) -> Option<NonNull<T>> {
        let a = addr as usize;
        if pe >= self.n_pes() || self.finalized.load(Ordering::Acquire) {
            return None;
        }
        if pe == self.my_pe() {
            return (self.in_user_heap(a, 1) || self.image.data(a, 1, false))
                .then_some(NonNull::new(addr as *mut T)?);
        }
        if !self.in_user_heap(a, 1) {
            if !self.image.data(a, 1, false) {
                return None;
            }
            return NonNull::new(self.reach.static_on(a, 1, pe)? as *mut T);
        }
        NonNull::new((a - self.seg_base + self.peers[pe].heap) as *mut T)
    }

    /// Copy `len` bytes from `src` (local) to the symmetric address `dest` on PE `pe`.
    ///
    /// `dest` may be in the symmetric heap or in the static/global data of the executable (its
    /// address on this PE: the copy reaches the same variable on `pe`). The copy is complete
    /// when the call returns; use [`quiet`](Runtime::quiet) or a barrier to order it against
    /// later stores.
    ///
    /// # Safety
    /// `src` must be valid for `len` bytes of reads; on PE `pe`, `dest..dest+len` must not be
    /// accessed concurrently in a way that races (the usual SHMEM rules).
    pub unsafe fn put_bytes(
        &self,
        dest: *mut u8,
        src: *const u8,
        len: usize,
        pe: usize,
    ) -> Result<(), Error> {
        // SAFETY: forwarded contract: `src` is the local side, valid for `len` reads.
        unsafe { self.transfer(true, src as *mut u8, dest as usize, len, pe) }
    }

    /// Copy `len` bytes from the symmetric address `src` on PE `pe` to `dest` (local).
    ///
    /// # Safety
    /// `dest` must be valid for `len` bytes of writes; see [`put_bytes`](Runtime::put_bytes).
    pub unsafe fn get_bytes(
        &self,
        dest: *mut u8,
        src: *const u8,
        len: usize,
        pe: usize,
    ) -> Result<(), Error> {
        // SAFETY: forwarded contract: `dest` is the local side, valid for `len` writes.
        unsafe { self.transfer(false, dest, src as usize, len, pe) }
    }

    /// The body of put (`to_remote`) and get: `local` is this PE's buffer, `remote` the
    /// symmetric address (this PE's view) whose copy on `pe` is written or read.
    ///
    /// # Safety
    /// `local` valid for `len` reads (put) or writes (get); the remote range must not race.
    unsafe fn transfer(
        &self,
        to_remote: bool,
        local: *mut u8,
        remote: usize,
        len: usize,
        pe: usize,
    ) -> Result<(), Error> {
        self.live()?;
        self.check_pe(pe)?;
        if len == 0 {
            return Ok(());
        }
        self.check_local(local, len, !to_remote)?;
        self.check_symmetric(remote as *const u8, len, to_remote)?;
        // The address through which `remote` on `pe` is reached by loads and stores, if any.
        let mapped = if pe == self.my_pe() {
            Some(remote)
        } else if self.in_user_heap(remote, len) {
            Some(remote - self.seg_base + self.peers[pe].heap)
        } else {
            self.reach.static_on(remote, len, pe)
        };
        if let Some(at) = mapped {
            let (from, to) = if to_remote {
                (local as *const u8, at as *mut u8)
            } else {
                (at as *const u8, local)
            };
            // SAFETY: `at..at+len` is symmetric memory of our own that allows the access
            // (checked: heap, or writable static data for a put), or lies in our live mapping
            // of `pe`'s heap (range checked, not finalized); `local` is valid for the access
            // (caller). `copy` allows the ranges to overlap.
            unsafe { std::ptr::copy(from, to, len) };
            return Ok(());
        }
        // A peer's static data (checked above): the same offset in its image.
        let addr = remote - self.image.bias + self.peers[pe].image_bias;
        // SAFETY: `local` valid for `len` bytes (caller); the kernel checks the remote range.
        unsafe { image::cross_copy(self.peers[pe].pid, local, addr, len, to_remote) }.map_err(|e| {
            let (call, dir) = if to_remote {
                ("process_vm_writev", "to")
            } else {
                ("process_vm_readv", "from")
            };
            Error::Os {
                what: format!("{call} {dir} PE {pe} (static data; needs ptrace permission)"),
                source: e,
            }
        })
    }

    /// Typed [`put_bytes`](Runtime::put_bytes): `src` to `dest[..src.len()]` on `pe`.
    ///
    /// # Safety
    /// As for [`put_bytes`](Runtime::put_bytes).
    pub unsafe fn put<T: Copy>(&self, dest: *mut T, src: &[T], pe: usize) -> Result<(), Error> {
        // SAFETY: forwarded contract; `src` is a valid slice.
        unsafe {
            self.put_bytes(
                dest.cast(),
                src.as_ptr().cast(),
                std::mem::size_of_val(src),
                pe,
            )
        }
    }

    /// Typed [`get_bytes`](Runtime::get_bytes): `src[..dest.len()]` on `pe` into `dest`.
    ///
    /// # Safety
    /// As for [`get_bytes`](Runtime::get_bytes).
    pub unsafe fn get<T: Copy>(
        &self,
        dest: &mut [T],
        src: *const T,
        pe: usize,
    ) -> Result<(), Error> {
        // SAFETY: forwarded contract; `dest` is a valid mutable slice.
        unsafe {
            self.get_bytes(
                dest.as_mut_ptr().cast(),
                src.cast(),
                std::mem::size_of_val(dest),
                pe,
            )
        }
    }

    /// Whether `addr` is a symmetric address reachable on `pe`: in the user heap, or static
    /// data of the executable (not code, not the runtime's private heap).
    pub fn addr_accessible<T>(&self, addr: *const T, pe: usize) -> bool {
        pe < self.n_pes()
            && !self.finalized.load(Ordering::Acquire)
            && (self.in_user_heap(addr as usize, 1) || self.image.data(addr as usize, 1, false))
    }

    /// Name of the selected heap component (`"buddy"`, `"ptmalloc"`, ...).
    pub fn component(&self) -> &'static str {
        lock(&self.heap)
            .as_ref()
            .map(|h| h.component())
            .unwrap_or("")
    }

    /// Statistics of this PE's heap.
    pub fn heap_stats(&self) -> ModuleStats {
        lock(&self.heap)
            .as_ref()
            .map(|h| h.stats())
            .unwrap_or_default()
    }

    /// Base address of the symmetric heap (the same on every PE) and the user heap's length.
    pub fn heap_range(&self) -> (*mut u8, usize) {
        let len = lock(&self.heap)
            .as_ref()
            .map(|h| h.user_range().len())
            .unwrap_or(0);
        (self.seg_base as *mut u8, len)
    }

    /// The selected component with its configuration (`"buddy (min block 16 B, ...)"`) and
    /// whether 2 MiB huge pages back the heap, for `SHMEM_INFO` (`None` after finalize).
    pub fn heap_description(&self) -> Option<(String, bool)> {
        lock(&self.heap)
            .as_ref()
            .map(|h| (h.description(), h.segment().huge_pages()))
    }
}

/// The launcher's side of a job's rendezvous area (used by `memheap-run`; other launchers do
/// not need it).
#[derive(Debug)]
pub struct JobArea {
    area: Area,
    fd: std::os::fd::OwnedFd,
}

impl JobArea {
    /// Create the area for `n_pes` PEs as an anonymous memfd (close-on-exec: clear the flag
    /// in each PE before `exec`, and pass the fd number in `MEMHEAP_JOB_FD`).
    pub fn create(n_pes: u32) -> Result<JobArea, Error> {
        if n_pes == 0 {
            return Err(Error::BadPe { pe: 0, n_pes: 0 });
        }
        let (area, fd) = Area::create_memfd(n_pes)?;
        Ok(JobArea { area, fd })
    }

    /// The memfd's descriptor.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// `Some((pe, status))` once a PE ended the job: it called `global_exit(status)`, or
    /// the library ended it after an error (see [`JobArea::job_exit`]).
    pub fn global_exit(&self) -> Option<(u32, i32)> {
        self.job_exit().map(|e| (e.pe, e.status))
    }

    /// How the job was ended by one of its PEs, if it was.
    pub fn job_exit(&self) -> Option<JobExit> {
        let word = self.area.header().exit.load(Ordering::Acquire);
        (word & EXIT_SET != 0).then(|| JobExit {
            pe: exit_pe(word),
            status: word as u32 as i32,
            after_error: word & EXIT_ERROR != 0,
        })
    }

    /// Where PE `pe` stands (`pe` must be below the job's PE count).
    pub fn pe_state(&self, pe: u32) -> PeState {
        match self.area.slot(pe).state.load(Ordering::Acquire) {
            STATE_NONE => PeState::NotStarted,
            STATE_RUNNING => PeState::Running,
            STATE_FINALIZING => PeState::Finalizing,
            _ => PeState::Finalized,
        }
    }

    /// PEs that have attached so far.
    pub fn attached(&self) -> u32 {
        self.area
            .header()
            .attached
            .load(Ordering::Acquire)
            .min(self.area.n_pes())
    }
}

/// How a PE ended the job ([`JobArea::job_exit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobExit {
    /// The PE.
    pub pe: u32,
    /// The job's exit status.
    pub status: i32,
    /// `true`: the library ended the job after an error that PE reported; `false`: the
    /// program called `global_exit(status)`.
    pub after_error: bool,
}

/// Where a PE stands in the job ([`JobArea::pe_state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeState {
    /// It has not started the runtime.
    NotStarted,
    /// It runs.
    Running,
    /// It is in finalize (explicit, or at exit), before the end of its barrier.
    Finalizing,
    /// It has finished finalize: it may exit as it likes.
    Finalized,
}

/// Every PE's published heap component (name and configuration) must be the same, or the heaps
/// are not symmetric: a put would land elsewhere than the program meant.
fn check_components(area: &Area, me: u32) -> Result<(), Error> {
    let n = area.n_pes();
    let hash = |pe: u32| area.slot(pe).component_hash.load(Ordering::Relaxed);
    if (1..n).all(|pe| hash(pe) == hash(0)) {
        return Ok(());
    }
    // Group the PEs by what they selected: "ptmalloc ... on PE 0 and 2 others; buddy ... on PE 3".
    let mut groups: Vec<(u64, u32, u32)> = Vec::new(); // (hash, first PE, count)
    for pe in 0..n {
        match groups.iter_mut().find(|g| g.0 == hash(pe)) {
            Some(g) => g.2 += 1,
            None => groups.push((hash(pe), pe, 1)),
        }
    }
    let list: Vec<String> = groups
        .iter()
        .map(|&(_, first, count)| {
            let others = match count {
                1 => String::new(),
                2 => " and 1 other".to_string(),
                k => format!(" and {} others", k - 1),
            };
            format!("{} on PE {first}{others}", area.slot(first).component())
        })
        .collect();
    Err(Error::Mismatch(format!(
        "PE {me}: the PEs selected different heap components or configurations ({}); their \
         heaps would not be symmetric. Give every PE the same MEMHEAP_COMPONENT and \
         MEMHEAP_<NAME>_PRIORITY",
        list.join("; ")
    )))
}

/// Write `line` and a newline to stderr in one write, so that it reaches the reader whole:
/// a PE stopped mid-message leaves no fragment, and lines of different PEs sharing a pipe
/// never interleave within a line.
pub fn say(line: &str) {
    use std::io::Write;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let _ = std::io::stderr().write_all(buf.as_bytes());
}

fn flush_std() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// Lock `m`, also when a thread panicked while holding it (the data stays consistent: every
/// holder only calls heap operations that leave the heap valid when they fail).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
