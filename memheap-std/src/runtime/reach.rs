//! How this PE reaches every symmetric address of every peer with loads, stores and atomics:
//! the peers' heap segments (mapped by the runtime's init) and their static data (shared by
//! the `statics` module, mapped here), plus the runtime's sync area.
//!
//! The **sync area** is the first block of the private heap (the 2 MiB after the user heap in
//! the symmetric segment), so it sits at the same address on every PE and peers reach it
//! through their mapping of the segment. It starts with an [`Info`] block (how peers open this
//! PE's static data) followed by the team slots (see `team`).

use std::ptr::NonNull;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::image::Image;
use super::peers::PeerMap;
use super::statics::{self, Own};
use super::team::{SLOTS, SLOT_BYTES};
use super::{Error, Runtime};
use crate::heap::SymmetricHeap;

/// Bytes of the info block at the start of the sync area.
pub(crate) const INFO_BYTES: usize = 64;

/// Bytes of the sync area.
const SYNC_BYTES: usize = INFO_BYTES + SLOTS * SLOT_BYTES;

/// What a PE publishes at the start of its sync area.
#[repr(C, align(64))]
struct Info {
    /// Descriptor number of the static-data memfd, or -1 when static data is not shared.
    static_fd: AtomicI64,
    /// Start of the shared static range minus the executable's load bias.
    static_off: AtomicU64,
    /// Length of the shared static range.
    static_len: AtomicU64,
}

/// Peers' static data, mapped.
#[derive(Debug, Default)]
struct PeerStatic {
    map: Option<PeerMap>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Reach {
    /// Symmetric address of the sync area (0: none).
    sync: usize,
    /// This PE's shared static range, or why it is not shared.
    own: Option<Own>,
    not_shared: Option<String>,
    /// Local address of each peer's static range (0: not reachable by loads and stores; our
    /// own index holds our own start).
    static_base: Vec<usize>,
    maps: Vec<PeerStatic>,
}

impl Reach {
    /// Before the PEs meet: allocate the sync area in `heap`'s private heap, share this PE's
    /// static data and publish how to open it. A failure to share is remembered (and reported
    /// when an atomic needs it), not fatal.
    pub(crate) fn prepare(heap: &mut SymmetricHeap, image: &Image) -> Reach {
        let mut r = Reach::default();
        let Some(block) = heap.private_heap().and_then(|m| m.alloc(SYNC_BYTES).ok()) else {
            r.not_shared = Some("no sync area".into());
            return r;
        };
        // SAFETY: a fresh block of SYNC_BYTES bytes of our segment; zeroed before use.
        unsafe { block.as_ptr().write_bytes(0, SYNC_BYTES) };
        r.sync = block.as_ptr() as usize;
        let info = r.info_at(r.sync);
        match statics::share(image) {
            Ok(own) => {
                use std::os::fd::AsRawFd;
                info.static_fd
                    .store(own.fd.as_raw_fd() as i64, Ordering::Relaxed);
                info.static_off
                    .store((own.start - image.bias) as u64, Ordering::Relaxed);
                info.static_len.store(own.len as u64, Ordering::Relaxed);
                r.own = Some(own);
            }
            Err(why) => {
                info.static_fd.store(-1, Ordering::Relaxed);
                r.not_shared = Some(why);
            }
        }
        r
    }

    fn info_at(&self, addr: usize) -> &Info {
        // SAFETY: `addr` is the start of a sync area (ours or a peer's, mapped for as long as
        // the runtime lives), 64-aligned, at least INFO_BYTES long; all-zero bytes are valid
        // atomics.
        unsafe { &*(addr as *const Info) }
    }

    /// After the PEs met and the peers' segments are mapped (`heap_base[pe]` is the local
    /// address of PE `pe`'s segment, `seg_base` the symmetric one): map each peer's static
    /// data. A peer whose data is not shared (or is laid out differently) stays reachable
    /// through `process_vm_readv/writev` only.
    pub(crate) fn connect(
        &mut self,
        me: usize,
        pids: &[i32],
        heap_base: &[usize],
        seg_base: usize,
        image: &Image,
    ) {
        let n = pids.len();
        self.static_base = vec![0; n];
        self.maps = (0..n).map(|_| PeerStatic::default()).collect();
        let Some(own) = &self.own else { return };
        self.static_base[me] = own.start;
        if self.sync == 0 {
            return;
        }
        for pe in (0..n).filter(|&pe| pe != me) {
            let info = self.info_at(self.sync - seg_base + heap_base[pe]);
            let fd = info.static_fd.load(Ordering::Relaxed);
            let same = info.static_off.load(Ordering::Relaxed) == (own.start - image.bias) as u64
                && info.static_len.load(Ordering::Relaxed) == own.len as u64;
            if fd < 0 || !same {
                continue;
            }
            if let Ok(map) = PeerMap::open(pe, pids[pe], fd as i32, own.len) {
                self.static_base[pe] = map.base();
                self.maps[pe].map = Some(map);
            }
        }
    }

    /// Symmetric address of the sync area.
    pub(crate) fn sync_base(&self) -> Option<usize> {
        (self.sync != 0).then_some(self.sync)
    }

    /// Whether `[addr, addr+len)` lies in this PE's shared static range.
    pub(crate) fn own_static(&self, addr: usize, len: usize) -> bool {
        self.own.as_ref().is_some_and(|o| {
            addr >= o.start && addr.checked_add(len).is_some_and(|e| e <= o.start + o.len)
        })
    }

    /// The local address through which `[addr, addr+len)`, static data of this PE, is
    /// reached on `pe`, if it is mapped.
    pub(crate) fn static_on(&self, addr: usize, len: usize, pe: usize) -> Option<usize> {
        if !self.own_static(addr, len) {
            return None;
        }
        let base = *self.static_base.get(pe)?;
        let own = self.own.as_ref()?;
        (base != 0).then(|| addr - own.start + base)
    }

    /// Why static data is not reachable by loads and stores on `pe` (for messages).
    pub(crate) fn why_not(&self, pe: usize) -> String {
        match &self.not_shared {
            Some(why) => format!("this PE's static data is not shared memory ({why})"),
            None => format!("PE {pe}'s static data is not mapped here (it could not be shared)"),
        }
    }
}

impl Runtime {
    /// The local address through which loads, stores and atomics reach `[addr, addr+len)` —
    /// a symmetric address of this PE that a program may target — on PE `pe`: user-heap
    /// addresses always, writable static data when it is shared memory (see the `statics`
    /// module). Errors: finalized, a PE out of range, an address that is not symmetric (the
    /// runtime's private range included, as for put and get), static data reachable only by
    /// system calls or read-only.
    pub fn remote_ptr(&self, addr: usize, len: usize, pe: usize) -> Result<*mut u8, Error> {
        self.live()?;
        self.check_pe(pe)?;
        if self.in_user_heap(addr, len) {
            return Ok((addr - self.seg_base + self.peers[pe].heap) as *mut u8);
        }
        self.static_ptr(addr, len, pe)
    }

    /// [`remote_ptr`](Runtime::remote_ptr) for the runtime's own synchronisation words: also
    /// reaches the runtime-private range of the segment (where the team slots live).
    pub(crate) fn sync_ptr(&self, addr: usize, len: usize, pe: usize) -> Result<*mut u8, Error> {
        self.live()?;
        self.check_pe(pe)?;
        let in_segment = addr >= self.seg_base
            && addr
                .checked_add(len)
                .is_some_and(|e| e <= self.seg_base + self.seg_len);
        if in_segment {
            return Ok((addr - self.seg_base + self.peers[pe].heap) as *mut u8);
        }
        self.static_ptr(addr, len, pe)
    }

    /// The static-data part of [`remote_ptr`](Runtime::remote_ptr).
    fn static_ptr(&self, addr: usize, len: usize, pe: usize) -> Result<*mut u8, Error> {
        if !self.image.data(addr, len, false) {
            return Err(Error::NotSymmetric { addr, len });
        }
        if let Some(a) = self.reach.static_on(addr, len, pe) {
            return Ok(a as *mut u8);
        }
        if pe == self.my_pe() && self.reach.own.is_none() && self.image.data(addr, len, true) {
            return Ok(addr as *mut u8);
        }
        Err(Error::Unsupported(format!(
            "{len} bytes at {addr:#x} (static data) cannot be reached with loads and stores on \
             PE {pe}: {}",
            if !self.image.data(addr, len, true) {
                "it is read-only data".to_string()
            } else {
                self.reach.why_not(pe)
            }
        )))
    }

    /// [`remote_ptr`](Runtime::remote_ptr) for an object of type `T`, checked for `T`'s
    /// alignment: where an atomic on `pe`'s copy of `*addr` operates.
    pub fn remote_atomic<T>(&self, addr: *const T, pe: usize) -> Result<NonNull<T>, Error> {
        let a = addr as usize;
        if a % std::mem::align_of::<T>() != 0 {
            return Err(Error::Unsupported(format!(
                "{a:#x} is not aligned to {} bytes, as an atomic operation needs",
                std::mem::align_of::<T>()
            )));
        }
        let p = self.remote_ptr(a, std::mem::size_of::<T>(), pe)?;
        NonNull::new(p.cast()).ok_or(Error::NotSymmetric {
            addr: a,
            len: std::mem::size_of::<T>(),
        })
    }
}
