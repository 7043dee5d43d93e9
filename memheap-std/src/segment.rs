//! [`Segment`]: one PE's symmetric heap memory, mapped at a fixed base address.
//!
//! A segment is a memfd (shared memory with no name in any filesystem) mapped `MAP_SHARED`
//! read/write at `[base, base + len)`. The range is claimed with `MAP_FIXED_NOREPLACE`, so an
//! existing mapping is never clobbered: if anything occupies part of the range, creation fails
//! with [`SegmentError::RangeTaken`], naming the address, the size and the occupants (from
//! `/proc/self/maps`).
//!
//! Layout: the user heap (the requested size rounded up to [`SEGMENT_GRANULE`], at least one
//! granule) starts at the base; the private heap for the runtime's own symmetric allocations
//! ([`DEFAULT_PRIVATE_SIZE`] by default) follows it. The two never overlap.
//!
//! Nothing is left behind: the memfd has no path, so when the last descriptor and mapping go
//! away — at [`Drop`], at exit, or when the process is killed with `SIGKILL` — the kernel frees
//! the memory. Another process (a peer PE) can map the same memory by opening
//! `/proc/<pid>/fd/<fd>` (see [`Segment::fd`]) while this segment lives.

use std::ffi::CStr;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use crate::env::{self, EnvError, HugePages, Lookup};

/// Default base address of the segment: `0x2000_0000_0000` (32 TiB).
///
/// Why there: on x86-64 (47-bit user space) and AArch64 with 48-bit addresses, it lies far
/// above where non-PIE executables, `brk` and low `mmap` hints live, well below PIE executables
/// (`0x55..`/`0x56..`) and the top-down `mmap` area with shared libraries and stacks
/// (`0x7f..`), and above AddressSanitizer's shadow memory (which ends at `0x1000_7fff_8000`).
/// It leaves about 80 TiB free for the heap. It is a multiple of 1 GiB, so huge-page and
/// 1 GiB-aligned requests line up on every PE. (Open MPI's OSHMEM uses `0xFF000000`, inside
/// the range a non-PIE program's heap grows into.) Override with `MEMHEAP_BASE_ADDRESS`, e.g.
/// under ThreadSanitizer, whose shadow covers this address, or on a kernel with 39-bit
/// addresses.
pub const DEFAULT_BASE_ADDRESS: u64 = 0x2000_0000_0000;

/// Granularity of the segment layout: both heaps are multiples of 2 MiB (one huge page).
pub const SEGMENT_GRANULE: u64 = 2 << 20;

/// Default size of the private heap: 2 MiB, as in OSHMEM.
pub const DEFAULT_PRIVATE_SIZE: u64 = 2 << 20;

/// Name the memfd carries in `/proc/<pid>/fd` and `/proc/<pid>/maps` (`/memfd:memheap-segment
/// (deleted)`); it is not a file name.
pub const MEMFD_NAME: &str = "memheap-segment";

const MEMFD_NAME_C: &CStr = c"memheap-segment";

const _: () = assert!(DEFAULT_BASE_ADDRESS % (1 << 30) == 0);

/// A range of host memory: `len` bytes at `base`. It is a description only (holding one
/// grants nothing); the range never wraps around the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a `Region` is an address and a length; it gives no access to the memory by itself.
unsafe impl Send for Region {}
// SAFETY: as above: shared references to a `Region` only read two integers.
unsafe impl Sync for Region {}

impl Region {
    /// The range `[base, base + len)`, or `None` if it wraps around the address space.
    pub fn new(base: NonNull<u8>, len: usize) -> Option<Region> {
        (base.as_ptr() as usize).checked_add(len)?;
        Some(Region { base, len })
    }

    /// First address.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// First address as a raw pointer.
    pub fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Is the range empty?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One past the last address.
    pub fn end(&self) -> usize {
        self.base.as_ptr() as usize + self.len
    }

    /// Does `ptr` point into the range?
    pub fn contains(&self, ptr: *const u8) -> bool {
        let a = ptr as usize;
        a >= self.base.as_ptr() as usize && a < self.end()
    }
}

/// How to build a [`Segment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentConfig {
    /// Requested user heap size in bytes (rounded up to [`SEGMENT_GRANULE`], at least one).
    pub user_size: u64,
    /// Private heap size in bytes (rounded up to [`SEGMENT_GRANULE`]; may be 0).
    pub private_size: u64,
    /// Base address: a non-zero multiple of [`SEGMENT_GRANULE`].
    pub base: u64,
    /// Huge pages policy.
    pub hugepages: HugePages,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            user_size: env::DEFAULT_SYMMETRIC_SIZE,
            private_size: DEFAULT_PRIVATE_SIZE,
            base: DEFAULT_BASE_ADDRESS,
            hugepages: HugePages::Auto,
        }
    }
}

impl SegmentConfig {
    /// The default configuration with another user heap size.
    pub fn with_user_size(user_size: u64) -> Self {
        SegmentConfig {
            user_size,
            ..SegmentConfig::default()
        }
    }

    /// The configuration from the process environment (see [`SegmentConfig::from_lookup`]).
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_lookup(env::process_env)
    }

    /// The configuration from a lookup: `SHMEM_SYMMETRIC_SIZE` / `SMA_SYMMETRIC_SIZE` /
    /// `SHMEM_SYMMETRIC_HEAP_SIZE` (see [`env::symmetric_size`]), `MEMHEAP_BASE_ADDRESS` and
    /// `MEMHEAP_HUGEPAGES`; unset variables take the defaults.
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, EnvError> {
        let mut c = SegmentConfig {
            user_size: env::symmetric_size(&lookup)?,
            ..Self::default()
        };
        if let Some(v) = lookup(env::MEMHEAP_BASE_ADDRESS) {
            c.base = env::parse_base_address(env::MEMHEAP_BASE_ADDRESS, &v)?;
        }
        if let Some(v) = lookup(env::MEMHEAP_HUGEPAGES) {
            c.hugepages = env::parse_hugepages(env::MEMHEAP_HUGEPAGES, &v)?;
        }
        Ok(c)
    }
}

/// Why a segment could not be created.
#[derive(Debug)]
#[non_exhaustive]
pub enum SegmentError {
    /// The sizes overflow once rounded up, or the range would wrap around the address space.
    BadSize {
        /// Requested user heap size.
        user_size: u64,
        /// Requested private heap size.
        private_size: u64,
    },
    /// The base address is zero or not a multiple of [`SEGMENT_GRANULE`].
    BadBase {
        /// The base address.
        base: u64,
    },
    /// Something already occupies part of `[base, base + size)`.
    RangeTaken {
        /// The base address.
        base: usize,
        /// The segment size.
        size: usize,
        /// The overlapping lines of `/proc/self/maps` (empty if it could not be read).
        occupants: Vec<String>,
    },
    /// The kernel treated `MAP_FIXED_NOREPLACE` as a hint (Linux before 4.17) and mapped the
    /// segment elsewhere; that mapping was removed.
    NoReplaceUnsupported {
        /// The base address asked for.
        base: usize,
        /// Where the kernel put it.
        got: usize,
    },
    /// `memfd_create` failed.
    Memfd(io::Error),
    /// Sizing the memfd (`ftruncate`) failed.
    Resize {
        /// The size asked for.
        size: usize,
        /// The error.
        source: io::Error,
    },
    /// `mmap` failed for another reason than an occupied range.
    Map {
        /// The base address.
        base: usize,
        /// The segment size.
        size: usize,
        /// The error.
        source: io::Error,
    },
    /// `MEMHEAP_HUGEPAGES` requires huge pages (`on`, `yes`, `true` or `1`) but they could
    /// not be had.
    HugePagesUnavailable {
        /// The segment size.
        size: usize,
        /// Free 2 MiB huge pages according to `/proc/meminfo`, if readable.
        free: Option<u64>,
        /// The failing call's error.
        source: io::Error,
    },
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::BadSize {
                user_size,
                private_size,
            } => write!(
                f,
                "symmetric segment: user heap of {user_size} bytes plus private heap of \
                 {private_size} bytes is too large for the address space"
            ),
            SegmentError::BadBase { base } => write!(
                f,
                "symmetric segment: base address {base:#x} is not a non-zero multiple of 2 MiB"
            ),
            SegmentError::RangeTaken {
                base,
                size,
                occupants,
            } => {
                write!(
                    f,
                    "symmetric segment: cannot map {size} bytes at {base:#x}..{:#x}: the range is \
                     in use",
                    base + size
                )?;
                if occupants.is_empty() {
                    f.write_str(" (could not read /proc/self/maps)")?;
                } else {
                    f.write_str(" by:")?;
                    for o in occupants {
                        write!(f, "\n    {o}")?;
                    }
                }
                write!(
                    f,
                    "\nchoose another base with {}",
                    env::MEMHEAP_BASE_ADDRESS
                )
            }
            SegmentError::NoReplaceUnsupported { base, got } => write!(
                f,
                "symmetric segment: the kernel ignored MAP_FIXED_NOREPLACE (Linux 4.17 or later \
                 is required): asked for {base:#x}, got {got:#x}"
            ),
            SegmentError::Memfd(e) => write!(f, "symmetric segment: memfd_create failed: {e}"),
            SegmentError::Resize { size, source } => {
                write!(
                    f,
                    "symmetric segment: cannot size the memfd to {size} bytes: {source}"
                )
            }
            SegmentError::Map { base, size, source } => write!(
                f,
                "symmetric segment: cannot map {size} bytes at {base:#x}: {source} (is the \
                 address inside the user address space? set {})",
                env::MEMHEAP_BASE_ADDRESS
            ),
            SegmentError::HugePagesUnavailable { size, free, source } => {
                write!(
                    f,
                    "symmetric segment: {} requires huge pages (it is on, yes, true or 1) but \
                     {size} bytes of 2 MiB huge pages are not available ({source}",
                    env::MEMHEAP_HUGEPAGES
                )?;
                if let Some(free) = free {
                    write!(f, "; /proc/meminfo: HugePages_Free = {free}")?;
                }
                write!(
                    f,
                    "); reserve them with /proc/sys/vm/nr_hugepages or set {}=auto",
                    env::MEMHEAP_HUGEPAGES
                )
            }
        }
    }
}

impl std::error::Error for SegmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SegmentError::Memfd(e)
            | SegmentError::Resize { source: e, .. }
            | SegmentError::Map { source: e, .. }
            | SegmentError::HugePagesUnavailable { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

/// One PE's heap memory: a memfd mapped shared, read/write, at a fixed base address. See the
/// [module documentation](self).
pub struct Segment {
    base: NonNull<u8>,
    user_len: usize,
    private_len: usize,
    fd: OwnedFd,
    huge: bool,
}

// SAFETY: the segment owns its mapping and descriptor; neither is tied to a thread, and its
// methods only hand out addresses and a borrowed descriptor.
unsafe impl Send for Segment {}
// SAFETY: `&Segment` methods read immutable fields only.
unsafe impl Sync for Segment {}

/// Why one attempt to map failed.
enum Attempt {
    /// The range is occupied (`EEXIST`): no point trying with other pages.
    Taken,
    /// Anything else, with the error to report.
    Failed(SegmentError),
}

impl Segment {
    /// Create the segment: a memfd of the right size mapped at `config.base`. With
    /// [`HugePages::Auto`] huge pages are tried first and normal pages used if they fail;
    /// with [`HugePages::On`] failing to get them is [`SegmentError::HugePagesUnavailable`].
    ///
    /// Errors: see [`SegmentError`]. On error nothing is left mapped or open.
    pub fn create(config: &SegmentConfig) -> Result<Segment, SegmentError> {
        let bad_size = || SegmentError::BadSize {
            user_size: config.user_size,
            private_size: config.private_size,
        };
        let round = |n: u64| n.checked_next_multiple_of(SEGMENT_GRANULE);
        let user = round(config.user_size.max(1)).ok_or_else(bad_size)?;
        let private = round(config.private_size).ok_or_else(bad_size)?;
        let total = user.checked_add(private).ok_or_else(bad_size)?;
        if config.base == 0 || config.base % SEGMENT_GRANULE != 0 {
            return Err(SegmentError::BadBase { base: config.base });
        }
        let base = usize::try_from(config.base)
            .map_err(|_| SegmentError::BadBase { base: config.base })?;
        let (user_len, private_len, len) = match (usize::try_from(user), usize::try_from(private)) {
            (Ok(u), Ok(p)) => (u, p, u.checked_add(p).ok_or_else(bad_size)?),
            _ => return Err(bad_size()),
        };
        if base.checked_add(len).is_none() || total > isize::MAX as u64 {
            return Err(bad_size());
        }
        let make = |huge: bool, fd: OwnedFd, ptr: NonNull<u8>| Segment {
            base: ptr,
            user_len,
            private_len,
            fd,
            huge,
        };
        if config.hugepages != HugePages::Off {
            match Self::map(base, len, true) {
                Ok((fd, ptr)) => return Ok(make(true, fd, ptr)),
                Err(Attempt::Taken) => return Err(range_taken(base, len)),
                Err(Attempt::Failed(e)) => {
                    if config.hugepages == HugePages::On {
                        let source = match e {
                            SegmentError::Memfd(s)
                            | SegmentError::Resize { source: s, .. }
                            | SegmentError::Map { source: s, .. } => s,
                            other => return Err(other),
                        };
                        return Err(SegmentError::HugePagesUnavailable {
                            size: len,
                            free: free_huge_pages(),
                            source,
                        });
                    }
                }
            }
        }
        match Self::map(base, len, false) {
            Ok((fd, ptr)) => Ok(make(false, fd, ptr)),
            Err(Attempt::Taken) => Err(range_taken(base, len)),
            Err(Attempt::Failed(e)) => Err(e),
        }
    }

    /// Create a memfd of `len` bytes and map it at `base`.
    fn map(base: usize, len: usize, huge: bool) -> Result<(OwnedFd, NonNull<u8>), Attempt> {
        let flags = libc::MFD_CLOEXEC
            | if huge {
                libc::MFD_HUGETLB | libc::MFD_HUGE_2MB
            } else {
                0
            };
        // SAFETY: the name is a NUL-terminated string; memfd_create has no other preconditions.
        let raw = unsafe { libc::memfd_create(MEMFD_NAME_C.as_ptr(), flags) };
        if raw < 0 {
            return Err(Attempt::Failed(SegmentError::Memfd(
                io::Error::last_os_error(),
            )));
        }
        // SAFETY: `raw` is a descriptor memfd_create just returned; nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(len).map_err(|_| {
            Attempt::Failed(SegmentError::Resize {
                size: len,
                source: io::ErrorKind::InvalidInput.into(),
            })
        })?;
        // SAFETY: ftruncate on a descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            let source = io::Error::last_os_error();
            return Err(Attempt::Failed(SegmentError::Resize { size: len, source }));
        }
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping: the kernel fails
        // with EEXIST instead, so no memory anyone uses is affected. The descriptor is valid.
        let got = unsafe {
            libc::mmap(
                base as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_FIXED_NOREPLACE,
                fd.as_raw_fd(),
                0,
            )
        };
        if got == libc::MAP_FAILED {
            let source = io::Error::last_os_error();
            if source.raw_os_error() == Some(libc::EEXIST) {
                return Err(Attempt::Taken);
            }
            return Err(Attempt::Failed(SegmentError::Map {
                base,
                size: len,
                source,
            }));
        }
        if got as usize != base {
            // SAFETY: `got` is the mapping of `len` bytes this call just created (the kernel
            // took the address as a hint); nobody else knows about it.
            unsafe { libc::munmap(got, len) };
            return Err(Attempt::Failed(SegmentError::NoReplaceUnsupported {
                base,
                got: got as usize,
            }));
        }
        match NonNull::new(got.cast::<u8>()) {
            Some(p) => Ok((fd, p)),
            // Unreachable: `base` is non-zero and `got == base`.
            None => Err(Attempt::Failed(SegmentError::BadBase { base: 0 })),
        }
    }

    /// The base address (start of the user heap).
    pub fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Total length of the mapping: user heap plus private heap.
    pub fn len(&self) -> usize {
        self.user_len + self.private_len
    }

    /// Always false: the user heap is at least one granule.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The user heap: `[base, base + user length)`.
    pub fn user_range(&self) -> Region {
        Region {
            base: self.base,
            len: self.user_len,
        }
    }

    /// The private heap for the runtime's own symmetric allocations, right after the user
    /// heap. Empty if the segment was configured with `private_size` 0.
    pub fn private_range(&self) -> Region {
        // SAFETY: `base + user_len` is inside or just past the mapping, which does not wrap
        // (checked in `create`), so it is non-null.
        let base = unsafe { NonNull::new_unchecked(self.base.as_ptr().add(self.user_len)) };
        Region {
            base,
            len: self.private_len,
        }
    }

    /// The memfd backing the segment, open for the segment's whole life. A peer maps this
    /// segment by opening `/proc/<pid>/fd/<n>` (`n` = this descriptor's number) and mapping
    /// it `MAP_SHARED`, at any address.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Is the segment backed by 2 MiB huge pages?
    pub fn huge_pages(&self) -> bool {
        self.huge
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: `[base, base + len)` is the mapping this segment created and owns; whoever
        // borrowed memory from it (modules, heaps) is gone by now, since they borrow the
        // segment or are owned beside it and dropped first. The fd closes after this.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len()) };
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("base", &self.base)
            .field("user_len", &self.user_len)
            .field("private_len", &self.private_len)
            .field("fd", &self.fd.as_raw_fd())
            .field("huge_pages", &self.huge)
            .finish()
    }
}

/// The `RangeTaken` error for `[base, base + len)`, with the occupants from /proc/self/maps.
fn range_taken(base: usize, len: usize) -> SegmentError {
    let occupants = std::fs::read_to_string("/proc/self/maps")
        .map(|maps| overlapping(&maps, base, base + len))
        .unwrap_or_default();
    SegmentError::RangeTaken {
        base,
        size: len,
        occupants,
    }
}

/// The lines of a `/proc/<pid>/maps` text whose range overlaps `[start, end)`.
fn overlapping(maps: &str, start: usize, end: usize) -> Vec<String> {
    maps.lines()
        .filter(|line| {
            let range = line.split_whitespace().next().unwrap_or("");
            let mut it = range.split('-').map(|h| usize::from_str_radix(h, 16));
            match (it.next(), it.next()) {
                (Some(Ok(lo)), Some(Ok(hi))) => lo < end && start < hi,
                _ => false,
            }
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// `HugePages_Free` from /proc/meminfo.
fn free_huge_pages() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("HugePages_Free:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Test support: every call returns a base address no other call in this process returns, so
/// tests running in parallel never map at the same place.
#[cfg(test)]
pub(crate) fn test_base() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // 64 GiB apart from 48 TiB up: 512 slots before 80 TiB.
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    assert!(k < 512, "too many test segments");
    0x3000_0000_0000 + k * (64 << 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    const MIB: usize = 1 << 20;

    fn config(user: u64, base: u64) -> SegmentConfig {
        SegmentConfig {
            user_size: user,
            private_size: DEFAULT_PRIVATE_SIZE,
            base,
            hugepages: HugePages::Off,
        }
    }

    fn maps_line_at(addr: usize) -> Option<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .find(|l| l.starts_with(&format!("{addr:x}-")))
            .map(str::to_owned)
    }

    #[test]
    fn layout_and_access() {
        let base = test_base();
        let seg = Segment::create(&config(3 * MIB as u64, base)).unwrap();
        assert_eq!(seg.base() as u64, base);
        let user = seg.user_range();
        let private = seg.private_range();
        assert_eq!(user.as_ptr(), seg.base());
        assert_eq!(user.len(), 4 * MIB, "3 MiB rounds up to 4 MiB");
        assert_eq!(private.as_ptr() as usize, base as usize + 4 * MIB);
        assert_eq!(private.len(), 2 * MIB);
        assert_eq!(seg.len(), 6 * MIB);
        assert!(!seg.huge_pages());
        assert!(user.contains(seg.base()) && !user.contains(private.as_ptr()));
        // SAFETY: both ranges are the segment's read/write mapping.
        unsafe {
            seg.base().write(0xA5);
            seg.base().add(seg.len() - 1).write(0x5A);
            assert_eq!(seg.base().read(), 0xA5);
            assert_eq!(seg.base().add(seg.len() - 1).read(), 0x5A);
        }
        let line = maps_line_at(base as usize).expect("segment in /proc/self/maps");
        assert!(line.contains("rw-s"), "{line}");
        assert!(line.contains("/memfd:memheap-segment"), "{line}");
        let link = std::fs::read_link(format!("/proc/self/fd/{}", seg.fd().as_raw_fd())).unwrap();
        assert_eq!(link.to_str().unwrap(), "/memfd:memheap-segment (deleted)");
    }

    #[test]
    fn sizes_round_up_to_granule() {
        let base = test_base();
        for (asked, want) in [
            (0u64, 2 * MIB),
            (1, 2 * MIB),
            (2 * MIB as u64, 2 * MIB),
            (2 * MIB as u64 + 1, 4 * MIB),
        ] {
            let mut c = config(asked, base);
            c.private_size = 1;
            let seg = Segment::create(&c).unwrap();
            assert_eq!(seg.user_range().len(), want, "asked {asked}");
            assert_eq!(seg.private_range().len(), 2 * MIB);
        }
        let mut c = config(1, base);
        c.private_size = 0;
        let seg = Segment::create(&c).unwrap();
        assert!(seg.private_range().is_empty());
        assert_eq!(seg.len(), 2 * MIB);
    }

    #[test]
    fn bad_base_and_size() {
        for base in [0, 0x1000, DEFAULT_BASE_ADDRESS + 4096] {
            let e = Segment::create(&config(MIB as u64, base)).unwrap_err();
            assert!(
                matches!(e, SegmentError::BadBase { base: b } if b == base),
                "{e}"
            );
        }
        let e = Segment::create(&config(u64::MAX, test_base())).unwrap_err();
        assert!(matches!(e, SegmentError::BadSize { .. }), "{e}");
        let e = Segment::create(&config(1 << 62, 0x7000_0000_0000)).unwrap_err();
        assert!(
            matches!(e, SegmentError::Map { .. } | SegmentError::Resize { .. }),
            "{e}"
        );
    }

    #[test]
    fn never_clobbers_an_existing_mapping() {
        let base = test_base() as usize;
        // Someone else's page in the middle of the would-be segment.
        let other = base + 3 * MIB;
        // SAFETY: a fresh anonymous page at an address this test owns (test_base is unique).
        let p = unsafe {
            libc::mmap(
                other as *mut libc::c_void,
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        assert_eq!(p as usize, other);
        // SAFETY: the page was just mapped read/write.
        unsafe { (other as *mut u64).write(0xDEAD_BEEF) };
        let e = Segment::create(&config(4 * MIB as u64, base as u64)).unwrap_err();
        match &e {
            SegmentError::RangeTaken {
                base: b,
                size,
                occupants,
            } => {
                assert_eq!(*b, base);
                assert_eq!(*size, 6 * MIB);
                assert_eq!(occupants.len(), 1, "{occupants:?}");
                assert!(occupants[0].starts_with(&format!("{other:x}-{:x} rw-p", other + 4096)));
            }
            other => panic!("expected RangeTaken, got {other}"),
        }
        let msg = e.to_string();
        assert!(msg.contains(&format!("{base:#x}")), "{msg}");
        assert!(msg.contains(&(6 * MIB).to_string()), "{msg}");
        assert!(msg.contains(&format!("{other:x}-")), "{msg}");
        assert!(msg.contains("MEMHEAP_BASE_ADDRESS"), "{msg}");
        // The occupant is intact, and nothing of the segment was left mapped.
        // SAFETY: still our page.
        assert_eq!(unsafe { (other as *const u64).read() }, 0xDEAD_BEEF);
        assert!(maps_line_at(base).is_none());
        // Also with huge pages asked for (the range check comes first).
        let mut c = config(4 * MIB as u64, base as u64);
        c.hugepages = HugePages::On;
        assert!(matches!(
            Segment::create(&c),
            Err(SegmentError::RangeTaken { .. })
        ));
        // SAFETY: unmapping the page this test mapped.
        unsafe { libc::munmap(p, 4096) };
        // Now the range is free.
        drop(Segment::create(&config(4 * MIB as u64, base as u64)).unwrap());
    }

    #[test]
    fn second_segment_at_same_base_is_refused_and_drop_unmaps() {
        let base = test_base();
        let first = Segment::create(&config(2 * MIB as u64, base)).unwrap();
        let e = Segment::create(&config(2 * MIB as u64, base)).unwrap_err();
        match &e {
            SegmentError::RangeTaken { occupants, .. } => {
                assert!(
                    occupants
                        .iter()
                        .any(|o| o.contains("/memfd:memheap-segment")),
                    "{occupants:?}"
                );
            }
            other => panic!("expected RangeTaken, got {other}"),
        }
        drop(first);
        assert!(maps_line_at(base as usize).is_none(), "drop unmaps");
        let again = Segment::create(&config(2 * MIB as u64, base)).unwrap();
        assert_eq!(again.base() as u64, base);
    }

    #[test]
    fn six_gib_segment() {
        const GIB: usize = 1 << 30;
        let base = test_base();
        let seg = Segment::create(&config(6 * GIB as u64, base)).unwrap();
        assert_eq!(seg.user_range().len(), 6 * GIB);
        assert_eq!(seg.len(), 6 * GIB + 2 * MIB);
        // Touch a few pages on both sides of the 4 GiB mark and at the ends.
        for off in [
            0,
            4 * GIB - 8,
            4 * GIB,
            5 * GIB + 12345 * 8,
            6 * GIB - 8,
            6 * GIB + 2 * MIB - 8,
        ] {
            // SAFETY: every offset is inside the mapping and 8-aligned.
            unsafe { seg.base().add(off).cast::<u64>().write(off as u64 ^ 0x5555) };
        }
        for off in [
            0,
            4 * GIB - 8,
            4 * GIB,
            5 * GIB + 12345 * 8,
            6 * GIB - 8,
            6 * GIB + 2 * MIB - 8,
        ] {
            // SAFETY: as above.
            let got = unsafe { seg.base().add(off).cast::<u64>().read() };
            assert_eq!(got, off as u64 ^ 0x5555);
        }
        // The 4 GiB mark did not wrap onto offset 0.
        // SAFETY: as above.
        assert_eq!(unsafe { seg.base().cast::<u64>().read() }, 0x5555);
    }

    #[test]
    fn peer_maps_through_proc_fd() {
        let base = test_base();
        let seg = Segment::create(&config(2 * MIB as u64, base)).unwrap();
        // What a peer does: open /proc/<pid>/fd/<n> and map it at an address of its choice.
        let path = format!("/proc/{}/fd/{}", std::process::id(), seg.fd().as_raw_fd());
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        // SAFETY: a new shared mapping at an address the kernel picks.
        let peer = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                seg.len(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(peer, libc::MAP_FAILED);
        assert_ne!(peer as usize, base as usize);
        // SAFETY: both are mappings of the same memfd, at least seg.len() long.
        unsafe {
            seg.base().add(100).write(42);
            assert_eq!(peer.cast::<u8>().add(100).read(), 42);
            peer.cast::<u8>().add(seg.len() - 1).write(7);
            assert_eq!(seg.base().add(seg.len() - 1).read(), 7);
            libc::munmap(peer, seg.len());
        }
    }

    #[test]
    fn hugepages_on_gets_them_or_says_why() {
        let base = test_base();
        let mut c = config(2 * MIB as u64, base);
        c.hugepages = HugePages::On;
        let need = 2; // user + private, 2 MiB each
        let free = free_huge_pages().unwrap_or(0);
        match Segment::create(&c) {
            Ok(seg) => {
                assert!(free >= need, "got huge pages with only {free} free before");
                assert!(seg.huge_pages());
            }
            Err(e) => {
                // Only a shortage may make it fail (pages taken by others count as a shortage).
                assert!(
                    matches!(e, SegmentError::HugePagesUnavailable { .. }),
                    "{e}"
                );
                let msg = e.to_string();
                assert!(
                    msg.contains("MEMHEAP_HUGEPAGES requires huge pages")
                        && msg.contains("nr_hugepages")
                        && msg.contains("MEMHEAP_HUGEPAGES=auto"),
                    "{msg}"
                );
            }
        }
        // Auto always succeeds, with or without them.
        c.hugepages = HugePages::Auto;
        let seg = Segment::create(&c).unwrap();
        if free < need {
            assert!(!seg.huge_pages(), "auto fell back to normal pages");
        }
        // SAFETY: the user range is mapped read/write.
        unsafe { seg.base().write(1) };
    }

    #[test]
    fn config_from_lookup() {
        let c = SegmentConfig::from_lookup(|_| None).unwrap();
        assert_eq!(c, SegmentConfig::default());
        assert_eq!(c.base, DEFAULT_BASE_ADDRESS);
        assert_eq!(c.user_size, 256 << 20);
        let c = SegmentConfig::from_lookup(|k| match k {
            "SHMEM_SYMMETRIC_SIZE" => Some("1.5G".into()),
            "MEMHEAP_BASE_ADDRESS" => Some("0x400000000000".into()),
            "MEMHEAP_HUGEPAGES" => Some("off".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.user_size, 3 << 29);
        assert_eq!(c.base, 0x4000_0000_0000);
        assert_eq!(c.hugepages, HugePages::Off);
        let e =
            SegmentConfig::from_lookup(|k| (k == "MEMHEAP_BASE_ADDRESS").then(|| "0x1234".into()))
                .unwrap_err();
        assert!(e.to_string().contains("MEMHEAP_BASE_ADDRESS"));
    }

    #[test]
    fn overlapping_parses_maps() {
        let maps = "\
00400000-00401000 r-xp 00000000 08:01 1 /bin/x
200000000000-200000200000 rw-s 00000000 00:01 7 /memfd:memheap-segment (deleted)
7f0000000000-7f0000001000 rw-p 00000000 00:00 0
garbage line";
        let o = overlapping(maps, 0x2000_0010_0000, 0x2000_0030_0000);
        assert_eq!(
            o,
            ["200000000000-200000200000 rw-s 00000000 00:01 7 /memfd:memheap-segment (deleted)"]
        );
        assert!(overlapping(maps, 0x2000_0020_0000, 0x2000_0040_0000).is_empty());
        assert_eq!(overlapping(maps, 0, usize::MAX).len(), 3);
    }

    const CHILD_VAR: &str = "MEMHEAP_TEST_KILL9_CHILD_BASE";

    /// The child side of `kill_9_leaves_nothing`: a no-op unless the parent set `CHILD_VAR`.
    #[test]
    fn kill_9_child() {
        let Some(base) = std::env::var(CHILD_VAR).ok() else {
            return;
        };
        let base = u64::from_str_radix(&base, 16).unwrap();
        let seg = Segment::create(&config(8 * MIB as u64, base)).unwrap();
        // Dirty some memory so there is something to free.
        // SAFETY: the user range is mapped read/write.
        unsafe { std::ptr::write_bytes(seg.base(), 0xAB, 8 * MIB) };
        println!("READY {}", seg.fd().as_raw_fd());
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }

    fn dev_shm() -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir("/dev/shm")
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Every (pid, what) in /proc that refers to the memfd inode `ino`: open descriptors and
    /// mappings.
    fn holders_of(ino: u64) -> Vec<String> {
        let mut found = Vec::new();
        for proc_entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
            let name = proc_entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) {
                for fd in fds.filter_map(|e| e.ok()) {
                    let is_memfd = std::fs::read_link(fd.path())
                        .map(|l| l.to_string_lossy().starts_with("/memfd:memheap-segment"))
                        .unwrap_or(false);
                    if is_memfd
                        && std::fs::metadata(fd.path())
                            .map(|m| m.ino() == ino)
                            .unwrap_or(false)
                    {
                        found.push(format!("{name}: fd {:?}", fd.file_name()));
                    }
                }
            }
            if let Ok(maps) = std::fs::read_to_string(proc_entry.path().join("maps")) {
                for line in maps
                    .lines()
                    .filter(|l| l.contains("/memfd:memheap-segment"))
                {
                    if line.split_whitespace().nth(4) == Some(&ino.to_string()) {
                        found.push(format!("{name}: map {line}"));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn kill_9_leaves_nothing() {
        let shm_before = dev_shm();
        let base = test_base();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "segment::tests::kill_9_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_VAR, format!("{base:x}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Read the child's report on a thread, so that a child that never reports cannot
        // hang the test: after 30 s it is killed and the test fails.
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test <name> ... " on the same line first.
                if let Some(at) = line.find("READY ") {
                    let _ = tx.send(line[at + 6..].trim().parse::<i32>().ok());
                    return;
                }
            }
            let _ = tx.send(None);
        });
        let fd = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .ok()
            .flatten();
        if fd.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let fd = fd.expect("child did not report its segment");
        // While the child lives: its segment is a memfd with no name in any filesystem.
        let fd_path = format!("/proc/{pid}/fd/{fd}");
        let link = std::fs::read_link(&fd_path).unwrap();
        assert_eq!(link.to_str().unwrap(), "/memfd:memheap-segment (deleted)");
        let meta = std::fs::metadata(&fd_path).unwrap();
        assert_eq!(meta.nlink(), 0, "a memfd has no link in any filesystem");
        assert_eq!(meta.len(), 10 * MIB as u64);
        let ino = meta.ino();
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
        assert!(
            maps.lines()
                .any(|l| l.starts_with(&format!("{base:x}-"))
                    && l.contains("/memfd:memheap-segment")),
            "child maps the segment at its base"
        );
        assert!(
            !holders_of(ino).is_empty(),
            "the scan finds the live segment"
        );
        let ours = |names: Vec<String>| -> Vec<String> {
            // Other processes may use /dev/shm meanwhile; anything new of ours would carry
            // the memheap name or the child's pid.
            names
                .into_iter()
                .filter(|n| {
                    !shm_before.contains(n)
                        && (n.contains("memheap") || n.contains(&pid.to_string()))
                })
                .collect()
        };
        assert_eq!(
            ours(dev_shm()),
            Vec::<String>::new(),
            "nothing created in /dev/shm"
        );

        // SAFETY: kill(2) on our own child's pid, which is not yet reaped (so not reused).
        assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));

        // After: the child is gone from /proc, no process holds or maps its memfd, and
        // /dev/shm holds nothing of ours.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        assert_eq!(holders_of(ino), Vec::<String>::new());
        assert_eq!(
            ours(dev_shm()),
            Vec::<String>::new(),
            "nothing left in /dev/shm"
        );
    }
}
