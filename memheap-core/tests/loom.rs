//! loom models of the production lock and heap: run with
//! `RUSTFLAGS="--cfg loom" cargo test -p memheap-core --test loom --release`.
//!
//! Two threads alloc, realloc and free on one `LockedHeap<RawSpin>`. loom explores their
//! interleavings (bounded preemptions) over the same `RawSpin` and heap code the library ships:
//! under `--cfg loom` the `sync` shim gives them loom's atomics and `UnsafeCell`, so a broken lock
//! shows up as a data race on the heap. Each model checks that no block is handed out twice
//! (an ownership log of live ranges), that no free is lost (everything free at the end), and that
//! bitmaps, counts and size table agree (`check()`). The region (8 KiB) is large enough for
//! the two smallest size classes (16 and 32 bytes) to have free lists, so the list paths (the
//! inline hit, push, pop, relink, flush) run under loom too; one model goes through
//! `GlobalAlloc`, whose hit path runs inline and hands the lock guard to the out-of-line rest.
//!
//! The heap code has no synchronisation operations of its own, and loom switches threads only
//! at those, so under loom every mutable access to the locked heap is also a scheduling point
//! (`sync::CellMut::deref_mut` yields): a heap touched after the lock was released shows up as
//! a concurrent access. That multiplies the interleavings, so the models run with at most two
//! preemptions (10-15 s for the three in release builds; a hit path that releases the lock before it pops the
//! list fails `global_alloc_list_hits_never_share_a_block` within that bound).
#![cfg(loom)]

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use memheap_core::{Config, LockedHeap, RawSpin};

const LEN: usize = 8192;

struct Model {
    heap: LockedHeap<RawSpin>,
    /// Live ranges and their owner. A std mutex: loom runs its threads on one OS thread, and no
    /// loom operation happens while it is held, so it adds no interleavings.
    owned: Mutex<Vec<(usize, usize, usize)>>,
    base: usize,
}

impl Model {
    fn new() -> Arc<Model> {
        let heap = LockedHeap::with_raw(RawSpin::new());
        let config = Config::DEFAULT.with_capacity(8);
        let meta: &'static mut [u64] =
            Box::leak(vec![0u64; config.metadata_words(LEN as u64)].into_boxed_slice());
        let region: &'static mut [u8] = Box::leak(vec![0u8; LEN].into_boxed_slice());
        let base = NonNull::new(region.as_mut_ptr()).unwrap();
        // SAFETY: `region` is leaked host memory that only this heap uses, apart from `meta`.
        unsafe { heap.init_with(base, LEN, config, meta) }.unwrap();
        Arc::new(Model {
            heap,
            owned: Mutex::new(Vec::new()),
            base: base.as_ptr() as usize,
        })
    }

    fn claim(&self, p: NonNull<u8>, who: usize) {
        let size = self.heap.usable_size(p).unwrap();
        let start = p.as_ptr() as usize - self.base;
        assert!(start + size <= LEN, "block past the region");
        let mut owned = self.owned.lock().unwrap();
        for &(s, e, w) in owned.iter() {
            assert!(
                start >= e || s >= start + size,
                "block [{start}, {}) handed out twice (held by {w})",
                start + size
            );
        }
        owned.push((start, start + size, who));
    }

    fn release(&self, p: NonNull<u8>) {
        let start = p.as_ptr() as usize - self.base;
        let mut owned = self.owned.lock().unwrap();
        let i = owned
            .iter()
            .position(|&(s, _, _)| s == start)
            .expect("releasing a block we do not own");
        owned.swap_remove(i);
    }

    fn alloc(&self, size: usize, who: usize) -> Option<NonNull<u8>> {
        let p = self.heap.try_alloc(size, 16).ok()?;
        self.claim(p, who);
        Some(p)
    }

    fn free(&self, p: NonNull<u8>) {
        self.release(p);
        // SAFETY: `p` came from `try_alloc` and its owner just gave it up.
        unsafe { self.heap.try_free(p) }.unwrap();
    }

    /// The blocks of 16 and 32 bytes freed last wait on their lists.
    fn assert_lists_used(&self) {
        assert!(self.heap.stats().unwrap().listed_blocks > 0);
    }

    fn finish(&self) {
        self.heap.check().unwrap().unwrap();
        self.heap.flush().unwrap();
        self.heap.check().unwrap().unwrap();
        let s = self.heap.stats().unwrap();
        assert_eq!(s.live_blocks, 0, "a block was never freed");
        assert_eq!(s.bytes_free, LEN as u64, "a free was lost");
        assert!(self.owned.lock().unwrap().is_empty());
    }
}

/// The heap struct holds per-order tables (about 1 KiB), and loom's default coroutine stack is
/// small: run each model body on threads with larger stacks.
fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> loom::thread::JoinHandle<T> {
    loom::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
}

fn builder() -> loom::model::Builder {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b
}

#[test]
fn concurrent_alloc_free_never_shares_a_block() {
    builder().check(|| {
        spawn(|| {
            let m = Model::new();
            let m2 = m.clone();
            let t = spawn(move || {
                let a = m2.alloc(48, 1).expect("room for 48 B");
                let b = m2.alloc(16, 1).expect("room for 16 B");
                m2.free(a);
                m2.free(b);
            });
            let c = m.alloc(64, 0).expect("room for 64 B");
            m.free(c);
            let d = m.alloc(32, 0).expect("room for 32 B");
            m.free(d);
            t.join().unwrap();
            m.assert_lists_used();
            m.finish();
        })
        .join()
        .unwrap()
    });
}

#[test]
fn concurrent_realloc_keeps_table_and_bitmaps_in_agreement() {
    builder().check(|| {
        spawn(|| {
            let m = Model::new();
            let m2 = m.clone();
            let t = spawn(move || {
                let a = m2.alloc(16, 1).unwrap();
                m2.release(a);
                // SAFETY: the region is leaked host memory; this thread owns block `a`.
                let a2 = unsafe { m2.heap.try_realloc(a, 80, 16) }.unwrap();
                m2.claim(a2, 1);
                m2.free(a2);
            });
            let b = m.alloc(16, 0).unwrap();
            m.release(b);
            // SAFETY: as above, for block `b`.
            let b2 = unsafe { m.heap.try_realloc(b, 40, 16) }.unwrap();
            m.claim(b2, 0);
            m.free(b2);
            t.join().unwrap();
            m.finish();
        })
        .join()
        .unwrap()
    });
}

#[test]
fn global_alloc_list_hits_never_share_a_block() {
    builder().check(|| {
        spawn(|| {
            let m = Model::new();
            let m2 = m.clone();
            let small = Layout::from_size_align(16, 16).unwrap();
            let work = move |m: &Model, who: usize| {
                // SAFETY: non-zero layout; each block is used by its owner only while live.
                unsafe {
                    let a = NonNull::new(GlobalAlloc::alloc(&m.heap, small)).expect("alloc");
                    m.claim(a, who);
                    m.release(a);
                    GlobalAlloc::dealloc(&m.heap, a.as_ptr(), small);
                    // The block just freed waits on the 16-byte list: this is a list hit,
                    // unless the other thread took it first.
                    let b = NonNull::new(GlobalAlloc::alloc(&m.heap, small)).expect("alloc");
                    m.claim(b, who);
                    m.release(b);
                    GlobalAlloc::dealloc(&m.heap, b.as_ptr(), small);
                }
            };
            let t = spawn(move || work(&m2, 1));
            work(&m, 0);
            t.join().unwrap();
            m.assert_lists_used();
            m.finish();
        })
        .join()
        .unwrap()
    });
}
