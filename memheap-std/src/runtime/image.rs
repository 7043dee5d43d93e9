//! The main executable's image: where static and global variables live.
//!
//! Every PE runs the same executable, so a static variable sits at the same offset from the
//! executable's load address on every PE — but under ASLR (Rust and most C toolchains build
//! position-independent executables) the load address differs per process. Each PE therefore
//! publishes its load bias, and an address in the image is translated to a peer as
//! `addr - my_bias + peer_bias`. The bytes are moved with Linux cross-memory attach
//! (`process_vm_readv`/`process_vm_writev`): one system call, no mapping, no ptrace stop. It
//! needs the right to ptrace the peer; PEs are one user's processes, and the runtime calls
//! `prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY)` at init so Yama's `ptrace_scope = 1` does not
//! refuse it (`ptrace_scope >= 2` does: then static put/get fails with a clear error).
//!
//! Only data is symmetric: code and read-only data take no puts (a store there would crash
//! this PE), code is not data at all, and the holes between segments are not mapped.

use std::io;

/// Most loadable segments of the executable the runtime keeps track of (linkers emit four or
/// five; any beyond this many are treated as unknown memory, never as symmetric data).
const MAX_SEGMENTS: usize = 8;

/// One loadable segment of the executable, as mapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: usize,
    pub end: usize,
    /// Writable after relocation (`PF_W`, minus the `PT_GNU_RELRO` part, which is split off as
    /// a read-only segment).
    pub writable: bool,
    /// Code (`PF_X`).
    pub code: bool,
}

/// The main executable's load bias and its loadable segments.
///
/// Static and global variables live in its data segments: the writable ones (`.data`, `.bss`)
/// take puts and gets; the read-only ones (constants) only gets; code is not symmetric data at
/// all. Holes between segments are not mapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Image {
    pub bias: usize,
    /// Lowest and highest address of any segment.
    pub start: usize,
    pub end: usize,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl Image {
    /// This process's main executable.
    pub fn current() -> Image {
        unsafe extern "C" fn first(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            data: *mut libc::c_void,
        ) -> libc::c_int {
            // SAFETY: the loader passes a valid `dl_phdr_info` whose `dlpi_phdr` points to
            // `dlpi_phnum` program headers; `data` is the `&mut Image` passed below.
            unsafe {
                let info = &*info;
                let image = &mut *data.cast::<Image>();
                let bias = info.dlpi_addr as usize;
                let mut loads = Vec::new();
                let mut relro = None;
                for i in 0..info.dlpi_phnum as usize {
                    let ph = &*info.dlpi_phdr.add(i);
                    let (lo, hi) = (
                        bias + ph.p_vaddr as usize,
                        bias + (ph.p_vaddr + ph.p_memsz) as usize,
                    );
                    if ph.p_type == libc::PT_LOAD && lo < hi {
                        loads.push(Segment {
                            start: lo,
                            end: hi,
                            writable: ph.p_flags & libc::PF_W != 0,
                            code: ph.p_flags & libc::PF_X != 0,
                        });
                    } else if ph.p_type == libc::PT_GNU_RELRO && lo < hi {
                        relro = Some((lo, hi));
                    }
                }
                *image = Image::from_segments(bias, &loads, relro);
            }
            1 // the first object is the main program: stop
        }
        let mut image = Image::default();
        // SAFETY: `first` matches the callback type and only writes through `data`, which
        // points to `image` for the duration of the call.
        unsafe { libc::dl_iterate_phdr(Some(first), (&mut image as *mut Image).cast()) };
        image
    }

    /// The image of segments `loads` (in address order) with the read-only-after-relocation
    /// range `relro` split off the writable ones.
    fn from_segments(bias: usize, loads: &[Segment], relro: Option<(usize, usize)>) -> Image {
        let mut image = Image {
            bias,
            start: usize::MAX,
            ..Image::default()
        };
        let mut push = |seg: Segment| {
            if seg.start < seg.end && image.count < MAX_SEGMENTS {
                image.segments[image.count] = seg;
                image.count += 1;
                image.start = image.start.min(seg.start);
                image.end = image.end.max(seg.end);
            }
        };
        for &seg in loads {
            match relro {
                Some((lo, hi)) if seg.writable && lo < seg.end && hi > seg.start => {
                    let (lo, hi) = (lo.max(seg.start), hi.min(seg.end));
                    push(Segment { end: lo, ..seg });
                    push(Segment {
                        start: lo,
                        end: hi,
                        writable: false,
                        ..seg
                    });
                    push(Segment { start: hi, ..seg });
                }
                _ => push(seg),
            }
        }
        if image.count == 0 {
            image.start = 0;
        }
        image
    }

    /// The loadable segments, in address order (the read-only-after-relocation part of a
    /// writable one split off as its own read-only segment).
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }

    /// The segment holding all of `[addr, addr+len)`, if one does.
    fn segment_of(&self, addr: usize, len: usize) -> Option<&Segment> {
        let end = addr.checked_add(len)?;
        self.segments[..self.count]
            .iter()
            .find(|s| addr >= s.start && end <= s.end)
    }

    /// Whether `[addr, addr+len)` is static data of the executable (not code): writable data
    /// when `write`, any data otherwise.
    pub fn data(&self, addr: usize, len: usize, write: bool) -> bool {
        self.segment_of(addr, len)
            .is_some_and(|s| !s.code && (s.writable || !write))
    }

    /// Whether any byte of `[addr, addr+len)` lies within the image's span (segments and the
    /// holes between them).
    pub fn overlaps(&self, addr: usize, len: usize) -> bool {
        addr < self.end && addr.saturating_add(len) > self.start
    }

    /// Whether `[addr, addr+len)`, which overlaps the image, can be read (`write == false`)
    /// or written by this process: it must lie in one segment, a writable one to be written.
    pub fn accessible(&self, addr: usize, len: usize, write: bool) -> bool {
        self.segment_of(addr, len)
            .is_some_and(|s| s.writable || !write)
    }
}

/// `(st_dev, st_ino)` of `/proc/self/exe`.
pub(crate) fn exe_id() -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/exe")
        .map(|m| (m.dev(), m.ino()))
        .unwrap_or((0, 0))
}

/// Allow any process of ours to ptrace (hence `process_vm_*`) us under Yama.
pub(crate) fn allow_peers() {
    // SAFETY: prctl with integer arguments; EINVAL without Yama is fine.
    unsafe { libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0) };
}

/// Copy `len` bytes between our `local` and `remote` in process `pid`.
///
/// # Safety
/// `local` must be valid for `len` bytes of reads (`write == true`) or writes.
pub(crate) unsafe fn cross_copy(
    pid: i32,
    local: *mut u8,
    remote: usize,
    len: usize,
    write: bool,
) -> io::Result<()> {
    let mut done = 0usize;
    while done < len {
        let l = libc::iovec {
            // SAFETY: in bounds of the caller's buffer (`done < len`).
            iov_base: unsafe { local.add(done) }.cast(),
            iov_len: len - done,
        };
        let r = libc::iovec {
            iov_base: (remote + done) as *mut libc::c_void,
            iov_len: len - done,
        };
        // SAFETY: the local iovec is valid per the caller's contract; the kernel checks the
        // remote one against the peer's address space.
        let n = unsafe {
            if write {
                libc::process_vm_writev(pid, &l, 1, &r, 1, 0)
            } else {
                libc::process_vm_readv(pid, &l, 1, &r, 1, 0)
            }
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n == 0 {
            return Err(io::Error::other("cross-memory copy made no progress"));
        }
        done += n as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: usize, end: usize, writable: bool, code: bool) -> Segment {
        Segment {
            start,
            end,
            writable,
            code,
        }
    }

    #[test]
    fn segments_relro_and_holes() {
        let loads = [
            seg(0x1000, 0x2000, false, false), // headers, read-only
            seg(0x2000, 0x5000, false, true),  // code
            seg(0x6000, 0x7000, false, false), // constants
            seg(0x8000, 0xa000, true, false),  // relro part, then data and bss
        ];
        let img = Image::from_segments(0x1000, &loads, Some((0x8000, 0x8800)));
        assert_eq!((img.start, img.end), (0x1000, 0xa000));
        // Code: not data; readable, not writable.
        assert!(!img.data(0x3000, 8, false) && !img.data(0x3000, 8, true));
        assert!(img.accessible(0x3000, 8, false) && !img.accessible(0x3000, 8, true));
        // Constants: data for gets only.
        assert!(img.data(0x6000, 16, false) && !img.data(0x6000, 16, true));
        // Relro: read-only after relocation.
        assert!(!img.data(0x8000, 8, true) && img.data(0x8000, 8, false));
        // Data and bss: writable.
        assert!(img.data(0x9000, 0x1000, true) && img.accessible(0x9000, 8, true));
        // A range crossing into a hole, or two segments, or wrapping, is nothing.
        assert!(!img.data(0x6ff8, 16, false) && !img.accessible(0x5ff8, 16, false));
        assert!(!img.data(0x87f8, 16, true));
        assert!(!img.data(usize::MAX - 4, 16, false));
        assert!(img.overlaps(0x5800, 8) && !img.overlaps(0xa000, 8) && !img.overlaps(0, 0x1000));
    }

    #[test]
    fn this_executable() {
        let img = Image::current();
        static mut WRITABLE: [u64; 4] = [0; 4];
        static CONSTANT: [u64; 4] = [1, 2, 3, 4];
        let w = std::ptr::addr_of!(WRITABLE) as usize;
        assert!(img.data(w, 32, true), "{img:x?} {w:#x}");
        let c = CONSTANT.as_ptr() as usize;
        assert!(
            img.data(c, 32, false) && !img.data(c, 32, true),
            "{img:x?} {c:#x}"
        );
        let code = this_executable as *const () as usize;
        assert!(!img.data(code, 8, false) && !img.accessible(code, 8, true));
    }
}
