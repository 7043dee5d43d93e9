//! The locks: `init` checks and carves under one acquisition of the lock (so two racing inits
//! cannot both write metadata), and `CsHeap` (every operation in a critical section) serves
//! threads and refuses re-entrant calls. (That the
//! heap's internals are not reachable from safe code is a `compile_fail` doctest in `lib.rs`.)

use core::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use lock_api::RawMutex;
use memheap_core::{Config, Error, LockedHeap, RawSpin};

/// Acquisitions of every `Counting` lock (one heap uses it).
static LOCKS: AtomicUsize = AtomicUsize::new(0);

/// A spin lock that counts its acquisitions in `LOCKS`.
struct Counting(RawSpin);

// SAFETY: every method forwards to `RawSpin`, a correct raw mutex; the counter is a side
// effect only.
unsafe impl RawMutex for Counting {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = Counting(RawSpin::new());
    type GuardMarker = lock_api::GuardSend;

    fn lock(&self) {
        LOCKS.fetch_add(1, Ordering::SeqCst);
        self.0.lock();
    }

    fn try_lock(&self) -> bool {
        LOCKS.fetch_add(1, Ordering::SeqCst);
        self.0.try_lock()
    }

    unsafe fn unlock(&self) {
        // SAFETY: forwarded: the caller holds the lock.
        unsafe { self.0.unlock() }
    }
}

fn hash(base: NonNull<u8>, len: usize) -> u64 {
    // SAFETY: the region is readable host memory (leaked, ours).
    let s = unsafe { core::slice::from_raw_parts(base.as_ptr(), len) };
    s.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn init_checks_and_carves_under_one_acquisition_of_the_lock() {
    static HEAP: LockedHeap<Counting> = LockedHeap::new();
    let len = 1 << 20;
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    let base = NonNull::new(buf.as_mut_ptr()).unwrap();
    let before = LOCKS.load(Ordering::SeqCst);
    // SAFETY: `buf` is leaked: writable memory nothing else uses, for the program's life.
    unsafe { HEAP.init(base, len, Config::DEFAULT) }.unwrap();
    assert_eq!(
        LOCKS.load(Ordering::SeqCst) - before,
        1,
        "init checked and carved in separate critical sections"
    );
    // A second init is refused within one acquisition too, and writes nothing.
    let snapshot = hash(base, len);
    // SAFETY: as above; the call must refuse without writing.
    let again = unsafe { HEAP.init(base, len, Config::DEFAULT) };
    assert_eq!(again, Err(Error::AlreadyInitialized));
    assert_eq!(LOCKS.load(Ordering::SeqCst) - before, 2);
    assert_eq!(
        hash(base, len),
        snapshot,
        "a refused init wrote to the region"
    );
}

#[test]
fn critical_section_heap_serves_threads() {
    use memheap_core::CsHeap;
    static HEAP: CsHeap = CsHeap::new();
    let len = 4 << 20;
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    let base = NonNull::new(buf.as_mut_ptr()).unwrap();
    // SAFETY: leaked memory nothing else uses.
    unsafe { HEAP.init(base, len, Config::DEFAULT) }.unwrap();
    // critical-section's `std` implementation (a dev-dependency feature) is a global lock, so
    // threads exercise the same mutual exclusion an interrupt mask gives on one core.
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..500usize {
                    let n = 16 + (i * 31) % 2000;
                    let p = HEAP.try_alloc(n, 16).unwrap();
                    // SAFETY: p is a live block of n bytes owned by this thread.
                    unsafe { p.as_ptr().write_bytes(t, n) };
                    // SAFETY: as above.
                    let s = unsafe { core::slice::from_raw_parts(p.as_ptr(), n) };
                    assert!(s.iter().all(|&b| b == t), "block shared between threads");
                    // SAFETY: p came from try_alloc and is not used afterwards.
                    unsafe { HEAP.try_free(p) }.unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    HEAP.check().unwrap().unwrap();
    assert_eq!(HEAP.stats().unwrap().live_blocks, 0);
    // A re-entrant call (from inside `with`, under the same critical section) is an error,
    // not a second mutable reference.
    // SAFETY: the closure neither replaces the heap nor frees anything.
    let inner = unsafe { HEAP.with(|_| HEAP.try_alloc(16, 16)) }.unwrap();
    assert_eq!(inner, Err(Error::Uninitialized));
}

#[test]
fn a_claimed_arena_holds_the_capacity_for_claim_gives_and_then_says_so() {
    for len in [1usize << 10, 16 << 10, 1 << 20] {
        let arena: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
        // SAFETY: leaked memory nothing else uses.
        let heap: LockedHeap = unsafe { LockedHeap::claim(arena as *mut [u8]) };
        let capacity = Config::DEFAULT.for_claim(len).capacity;
        let mut live = Vec::new();
        let refusal = loop {
            match heap.try_alloc(16, 16) {
                Ok(p) => live.push(p),
                Err(e) => break e,
            }
        };
        let st = heap.stats().unwrap();
        assert_eq!(st.capacity, capacity as u64, "{len}");
        assert_eq!(
            live.len(),
            capacity,
            "{len}: 16-byte blocks before the refusal"
        );
        assert_eq!(refusal, Error::CapacityExhausted, "{len}");
        assert!(
            st.bytes_free > 0,
            "{len}: memory left when the table is full"
        );
        for p in live {
            // SAFETY: p came from try_alloc and is not used afterwards.
            unsafe { heap.try_free(p) }.unwrap();
        }
        heap.check().unwrap().unwrap();
    }
}
