//! Collective allocation: every PE makes the same call, and every PE gets the same answer.
//!
//! Each call publishes `(op, size, align, ok, offset)` in this PE's slot of the rendezvous
//! area (one of two buffers, by call parity, so a PE racing into the next call never
//! overwrites what a slower PE still reads), waits in the barrier the specification requires
//! anyway, then reads every PE's entry: the success flags are all-reduced there (if any PE
//! failed, every PE fails and gives back what it got — nobody is left waiting in a barrier),
//! and with symmetric-call checking the arguments are compared.
//!
//! | call | barrier | on failure anywhere |
//! |---|---|---|
//! | `malloc`, `calloc`, `align` | on exit (after the local allocation; `calloc` zeroes before it) | `None` on every PE, each frees its own block |
//! | `free` | on entry | - |
//! | `realloc` | on entry and on exit | `None` on every PE, every old block intact |
//! | size 0 (`calloc`: count or size 0), `free(None)` | none | `None` |

use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use super::{Error, Runtime};
use crate::component::MIN_ALIGN;

/// Operation codes published in the rendezvous area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
enum Op {
    Malloc = 1,
    Calloc = 2,
    Align = 3,
    ReallocEntry = 4,
    ReallocExit = 5,
    Free = 6,
}

impl Op {
    fn from_u32(v: u32) -> Option<Op> {
        [
            Op::Malloc,
            Op::Calloc,
            Op::Align,
            Op::ReallocEntry,
            Op::ReallocExit,
            Op::Free,
        ]
        .into_iter()
        .find(|o| *o as u32 == v)
    }

    fn name(self) -> &'static str {
        match self {
            Op::Malloc => "malloc",
            Op::Calloc => "calloc",
            Op::Align => "align",
            Op::ReallocEntry | Op::ReallocExit => "realloc",
            Op::Free => "free",
        }
    }

    fn describe(self, size: u64, align: u64) -> String {
        match self {
            Op::Malloc => format!("malloc(size={size})"),
            Op::Calloc => format!("calloc(count={align}, size={size})"),
            Op::Align => format!("align(align={align}, size={size})"),
            Op::ReallocEntry | Op::ReallocExit => format!("realloc(size={size})"),
            Op::Free => "free".to_string(),
        }
    }
}

/// What an [`exchange`](Runtime::exchange) found.
#[derive(Clone, Copy, Debug)]
struct Exchanged {
    /// Every PE succeeded.
    all_ok: bool,
    /// The argument buffer this call used.
    idx: usize,
}

/// No offset (failed or not applicable).
const NO_OFFSET: u64 = u64::MAX;

/// One PE's published entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    op: u32,
    size: u64,
    align: u64,
    ok: bool,
    offset: u64,
}

impl Runtime {
    /// Publish `mine`, barrier, and all-reduce the success flags: `true` iff every PE
    /// succeeded. With call checking, a mismatch of `(op, size, align)` — or of the resulting
    /// offsets — ends the job on every PE. Allocation-free on the common path; the entries stay
    /// readable (see [`entries`](Runtime::entries)) until the call after next.
    fn exchange(&self, mine: Entry) -> Exchanged {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let idx = (seq & 1) as usize;
        let c = &self.area.slot(self.job.pe).coll[idx];
        c.op.store(mine.op, Ordering::Relaxed);
        c.size.store(mine.size, Ordering::Relaxed);
        c.align.store(mine.align, Ordering::Relaxed);
        c.ok.store(mine.ok as u32, Ordering::Relaxed);
        c.offset.store(mine.offset, Ordering::Relaxed);
        if self.job.n_pes == 1 {
            // Nobody to wait for, to order stores for, or to compare with.
            return Exchanged {
                all_ok: mine.ok,
                idx,
            };
        }
        self.barrier_all();
        let first = self.entry(0, idx);
        let args = |e: &Entry| (e.op, e.size, e.align);
        let (mut all_ok, mut args_differ, mut offsets_differ) = (true, false, false);
        for pe in 0..self.job.n_pes {
            let e = if pe == 0 { first } else { self.entry(pe, idx) };
            all_ok &= e.ok;
            args_differ |= args(&e) != args(&first);
            offsets_differ |= e.offset != first.offset;
        }
        if self.check_calls && (args_differ || (all_ok && offsets_differ)) {
            let what = if args_differ {
                "arguments differ"
            } else {
                "the PEs' heaps returned different offsets"
            };
            let mut msg = format!(
                "memheap: PE {}: symmetric-call check failed in a collective {} ({what}):",
                self.my_pe(),
                Op::from_u32(mine.op).map_or("call", Op::name)
            );
            for (pe, e) in self.entries(idx).iter().enumerate() {
                let call = Op::from_u32(e.op)
                    .map_or_else(|| format!("op {}", e.op), |o| o.describe(e.size, e.align));
                msg.push_str(&format!("\n  PE {pe}: {call}"));
                if !args_differ {
                    msg.push_str(&format!(" -> offset {:#x}", e.offset));
                }
            }
            msg.push_str("\nevery PE must make the same collective calls with the same arguments; ending the job");
            super::say(&msg);
            // Let every PE print before anyone exits (the launcher stops the others as
            // soon as one exits).
            self.barrier_all();
            self.fail_job(1);
        }
        Exchanged { all_ok, idx }
    }

    /// PE `pe`'s entry in buffer `idx`.
    fn entry(&self, pe: u32, idx: usize) -> Entry {
        let c = &self.area.slot(pe).coll[idx];
        Entry {
            op: c.op.load(Ordering::Relaxed),
            size: c.size.load(Ordering::Relaxed),
            align: c.align.load(Ordering::Relaxed),
            ok: c.ok.load(Ordering::Relaxed) != 0,
            offset: c.offset.load(Ordering::Relaxed),
        }
    }

    /// Every PE's entry in buffer `idx` (for messages).
    fn entries(&self, idx: usize) -> Vec<Entry> {
        (0..self.job.n_pes).map(|pe| self.entry(pe, idx)).collect()
    }

    fn offset_of(&self, p: Option<NonNull<u8>>) -> u64 {
        p.map_or(NO_OFFSET, |p| {
            (p.as_ptr() as usize).wrapping_sub(self.seg_base) as u64
        })
    }

    fn report(&self, call: &str, ex: Exchanged, local: Option<&crate::Error>) {
        if self.verbose {
            let failed: Vec<usize> = self
                .entries(ex.idx)
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.ok)
                .map(|(pe, _)| pe)
                .collect();
            let why = local.map(|e| format!(" (here: {e})")).unwrap_or_default();
            let s = self.heap_stats();
            super::say(&format!(
                "memheap: PE {}: {call} failed on PE(s) {failed:?}{why}; this PE's heap: {} bytes free, largest free block {} bytes, {} live blocks; returning None on every PE",
                self.my_pe(),
                s.bytes_free,
                s.largest_free,
                s.live_blocks
            ));
        }
    }

    /// Run `f` on the heap (an error after finalize).
    fn with_heap<R>(
        &self,
        f: impl FnOnce(&mut crate::SymmetricHeap) -> Result<R, crate::Error>,
    ) -> Result<R, crate::Error> {
        match super::lock(&self.heap).as_mut() {
            Some(h) => f(h),
            None => Err(crate::Error::Uninitialized),
        }
    }

    /// The end of malloc/calloc/align: exchange, then keep the block or give it back.
    fn finish_alloc(
        &self,
        op: Op,
        size: u64,
        align: u64,
        local: Result<NonNull<u8>, crate::Error>,
    ) -> Option<NonNull<u8>> {
        let p = local.as_ref().ok().copied();
        let all = self.exchange(Entry {
            op: op as u32,
            size,
            align,
            ok: p.is_some(),
            offset: self.offset_of(p),
        });
        if all.all_ok {
            return p;
        }
        if let Some(p) = p {
            let _ = self.with_heap(|h| h.free(p));
        }
        self.report(&op.describe(size, align), all, local.as_ref().err());
        None
    }

    /// Collective `shmem_malloc`: `size` bytes, aligned to 16, at the same address on every
    /// PE. `None` for size 0 (no barrier) and, on every PE, when any PE's heap cannot satisfy
    /// the request. Barrier on exit.
    pub fn malloc(&self, size: usize) -> Option<NonNull<u8>> {
        if size == 0 {
            return None;
        }
        let local = self.with_heap(|h| h.alloc(size));
        self.finish_alloc(Op::Malloc, size as u64, MIN_ALIGN as u64, local)
    }

    /// Collective `shmem_calloc`: `count * size` zeroed bytes (zeroed before the exit
    /// barrier). `None` if either is 0 (no barrier), if the product overflows, or on failure
    /// anywhere (on every PE).
    pub fn calloc(&self, count: usize, size: usize) -> Option<NonNull<u8>> {
        if count == 0 || size == 0 {
            return None;
        }
        let local = match count.checked_mul(size) {
            Some(total) => self.with_heap(|h| h.alloc(total)).inspect(|p| {
                // SAFETY: `p` is a fresh block of at least `total` bytes in our heap.
                unsafe { p.as_ptr().write_bytes(0, total) }
            }),
            None => Err(crate::Error::SizeOverflow),
        };
        self.finish_alloc(Op::Calloc, size as u64, count as u64, local)
    }

    /// Collective `shmem_align`: `size` bytes whose address is a multiple of `align`. An
    /// alignment that is not a power of two is rounded up to one (at least 16), as real test
    /// suites expect; alignment 0 fails on every PE. `None` for size 0 (no barrier).
    pub fn align(&self, align: usize, size: usize) -> Option<NonNull<u8>> {
        if size == 0 {
            return None;
        }
        let local = match align.checked_next_power_of_two() {
            _ if align == 0 => Err(crate::Error::BadAlignment),
            Some(a) => self.with_heap(|h| h.align(a.max(MIN_ALIGN), size)),
            None => Err(crate::Error::BadAlignment),
        };
        self.finish_alloc(Op::Align, size as u64, align as u64, local)
    }

    /// Collective `shmem_free`. `None` does nothing (no barrier); otherwise a barrier on entry
    /// (so no PE still uses the block), then the block is freed.
    ///
    /// Every PE publishes whether its pointer is a live block, and which one, in the exchange
    /// that holds the barrier, and all act on the outcome alike: unless every PE passed the
    /// same live block, no PE frees anything and every PE returns [`Error::NotFreed`] saying
    /// why (the heaps stay symmetric: the next allocation returns the same address everywhere).
    /// A pointer the heap did not hand out is an error, never corruption.
    pub fn free(&self, ptr: Option<NonNull<u8>>) -> Result<(), Error> {
        let Some(p) = ptr else { return Ok(()) };
        let keep = "not freed on any PE (every PE keeps its block, so the heaps stay symmetric)";
        if self.job.n_pes == 1 {
            // Nobody to agree with: the heap's own check is the whole answer.
            self.exchange(Entry {
                op: Op::Free as u32,
                size: 0,
                align: 0,
                ok: true,
                offset: self.offset_of(Some(p)),
            });
            return self
                .with_heap(|h| h.free(p))
                .map_err(|e| Error::NotFreed(format!("{e}; {keep}")));
        }
        let local = self.with_heap(|h| h.usable_size(p));
        let all = self.exchange(Entry {
            op: Op::Free as u32,
            size: 0,
            align: 0,
            ok: local.is_ok(),
            offset: self.offset_of(Some(p)),
        });
        if let Err(e) = local {
            return Err(Error::NotFreed(format!("{e}; {keep}")));
        }
        if !all.all_ok {
            let bad: Vec<usize> = self
                .entries(all.idx)
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.ok)
                .map(|(pe, _)| pe)
                .collect();
            return Err(Error::NotFreed(format!(
                "PE(s) {bad:?} passed a pointer that is not a live block of the symmetric heap; \
                 {keep}"
            )));
        }
        let first = self.entry(0, all.idx).offset;
        if (1..self.job.n_pes).any(|pe| self.entry(pe, all.idx).offset != first) {
            let offsets: Vec<String> = self
                .entries(all.idx)
                .iter()
                .enumerate()
                .map(|(pe, e)| format!("PE {pe}: {:#x}", e.offset))
                .collect();
            return Err(Error::NotFreed(format!(
                "the PEs passed different blocks (heap offsets {}); {keep}",
                offsets.join(", ")
            )));
        }
        self.with_heap(|h| h.free(p)).map_err(Error::Alloc)
    }

    /// Collective `shmem_realloc`: resize the block at `ptr` to `size` bytes, keeping
    /// `min(old, new)` bytes of contents. `ptr == None` is [`malloc`](Runtime::malloc);
    /// `size == 0` is [`free`](Runtime::free) and returns `None`. Barriers on entry and exit.
    ///
    /// On failure anywhere every PE returns `None` and keeps its old block, contents intact.
    /// Growth happens in place when the component can extend the block
    /// ([`Module::resize_in_place`](crate::Module::resize_in_place)), otherwise by allocating
    /// the new block before giving back the old one; either can be undone everywhere when a
    /// PE fails. Shrinking is done in place where the component can.
    pub fn realloc(&self, ptr: Option<NonNull<u8>>, size: usize) -> Option<NonNull<u8>> {
        let Some(old) = ptr else {
            return self.malloc(size);
        };
        if size == 0 {
            let _ = self.free(Some(old));
            return None;
        }
        let old_size = self.with_heap(|h| h.usable_size(old));
        let entry = Entry {
            op: Op::ReallocEntry as u32,
            size: size as u64,
            align: 0,
            ok: old_size.is_ok(),
            offset: self.offset_of(Some(old)),
        };
        let all = self.exchange(entry);
        let old_size = match old_size {
            Ok(s) if all.all_ok => s,
            other => {
                self.report(
                    &format!("realloc(size={size}) (invalid old block)"),
                    all,
                    other.as_ref().err(),
                );
                return None;
            }
        };
        let mut grew_in_place = false;
        let (local, moved) = if size <= old_size {
            // Shrink: in place if the component can; otherwise the old block serves as is.
            (
                Ok(self.with_heap(|h| h.realloc(old, size)).unwrap_or(old)),
                false,
            )
        } else if self.with_heap(|h| h.resize_in_place(old, size)).is_ok() {
            // Grown where it is (the space after it was free); undone below if another PE
            // failed.
            grew_in_place = true;
            (Ok(old), false)
        } else {
            let new = self.with_heap(|h| h.alloc(size));
            if let Ok(n) = new {
                // SAFETY: both blocks are live in our heap and distinct; `old_size` bytes are
                // readable from `old` and writable at `n` (its size is > old_size).
                unsafe { std::ptr::copy_nonoverlapping(old.as_ptr(), n.as_ptr(), old_size) };
            }
            (new, true)
        };
        let p = local.as_ref().ok().copied();
        let all = self.exchange(Entry {
            op: Op::ReallocExit as u32,
            size: size as u64,
            align: 0,
            ok: p.is_some(),
            offset: self.offset_of(p),
        });
        if all.all_ok {
            if moved {
                let _ = self.with_heap(|h| h.free(old));
            }
            return p;
        }
        if let (Some(n), true) = (p, moved) {
            let _ = self.with_heap(|h| h.free(n));
        }
        if grew_in_place {
            // Shrinking back to the old size always succeeds (Module::resize_in_place).
            let undone = self.with_heap(|h| h.resize_in_place(old, old_size));
            debug_assert!(
                undone.is_ok(),
                "undoing an in-place growth failed: {undone:?}"
            );
        }
        self.report(&format!("realloc(size={size})"), all, local.as_ref().err());
        None
    }
}
