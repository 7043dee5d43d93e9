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

use std::io;

/// The main executable's load bias and the range its loadable segments occupy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Image {
    pub bias: usize,
    pub start: usize,
    pub end: usize,
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
                let (mut lo, mut hi) = (usize::MAX, 0usize);
                for i in 0..info.dlpi_phnum as usize {
                    let ph = &*info.dlpi_phdr.add(i);
                    if ph.p_type == libc::PT_LOAD {
                        lo = lo.min(bias + ph.p_vaddr as usize);
                        hi = hi.max(bias + (ph.p_vaddr + ph.p_memsz) as usize);
                    }
                }
                if lo < hi {
                    *image = Image {
                        bias,
                        start: lo,
                        end: hi,
                    };
                }
            }
            1 // the first object is the main program: stop
        }
        let mut image = Image::default();
        // SAFETY: `first` matches the callback type and only writes through `data`, which
        // points to `image` for the duration of the call.
        unsafe { libc::dl_iterate_phdr(Some(first), (&mut image as *mut Image).cast()) };
        image
    }

    /// Whether `[addr, addr+len)` lies in the image.
    pub fn contains(&self, addr: usize, len: usize) -> bool {
        addr >= self.start && addr.checked_add(len).is_some_and(|e| e <= self.end)
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
