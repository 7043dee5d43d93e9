//! The pointer paths of memheap-core, small enough to run under Miri (CI runs this binary with
//! `cargo +nightly miri test --test miri_paths --all-features`, strict provenance): a claimed
//! `LockedHeap` as this binary's global allocator (carved on first use, GlobalAlloc's alloc,
//! realloc, alloc_zeroed and dealloc, from several threads), `allocator_api2` collections on a
//! locked heap over an odd base, `UnsyncHeap` behind `AssumeSingleThreaded`, `CsHeap`, and
//! `Heap::carve`. Natively they are ordinary tests.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

use allocator_api2::vec::Vec as Vec2;
use memheap_core::{AssumeSingleThreaded, Config, CsHeap, Error, Heap, LockedHeap, UnsyncHeap};

const ARENA_LEN: usize = 1 << 20;
static mut ARENA: [u8; ARENA_LEN] = [0; ARENA_LEN];

// SAFETY: ARENA is used by nothing else, for the whole program.
#[global_allocator]
static HEAP: LockedHeap = unsafe { LockedHeap::claim(&raw mut ARENA) };

fn in_arena(p: *const u8) -> bool {
    let base = (&raw const ARENA).cast::<u8>() as usize;
    (base..base + ARENA_LEN).contains(&(p as usize))
}

/// A leaked buffer of `len` bytes, starting `skew` bytes past an 8-aligned address.
fn leaked(len: usize, skew: usize) -> NonNull<u8> {
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len + skew].into_boxed_slice());
    NonNull::new(buf[skew..].as_mut_ptr()).unwrap()
}

#[test]
fn claimed_global_allocator_serves_std_and_threads() {
    let mut v: Vec<u32> = (0..300).collect();
    assert!(in_arena(v.as_ptr().cast()));
    v.extend(300..1000); // realloc through GlobalAlloc
    v.truncate(5);
    v.shrink_to_fit();
    assert_eq!(v, [0, 1, 2, 3, 4]);
    let z = vec![0u64; 500]; // alloc_zeroed
    assert!(z.iter().all(|&x| x == 0));
    let s = format!("{v:?}");
    assert_eq!(s, "[0, 1, 2, 3, 4]");
    let t: Vec<_> = (0..2u8)
        .map(|k| {
            std::thread::spawn(move || {
                let v: Vec<Vec<u8>> = (0..20).map(|i| vec![k; i * 7]).collect();
                assert!(v.iter().flatten().all(|&b| b == k));
                v.iter().map(Vec::len).sum::<usize>()
            })
        })
        .collect();
    for h in t {
        assert_eq!(h.join().unwrap(), 7 * 190);
    }
    let layout = Layout::from_size_align(100, 256).unwrap();
    // SAFETY: non-zero layout; the block is used only while live and freed with its layout.
    unsafe {
        let p = HEAP.alloc(layout);
        assert!(!p.is_null() && in_arena(p) && p as usize % 256 == 0);
        p.write_bytes(9, 100);
        let q = HEAP.realloc(p, layout, 5000);
        assert!(!q.is_null() && q as usize % 256 == 0);
        assert!(std::slice::from_raw_parts(q, 100).iter().all(|&b| b == 9));
        HEAP.dealloc(q, Layout::from_size_align(5000, 256).unwrap());
    }
    HEAP.check().unwrap().unwrap();
}

#[test]
fn allocator_api2_on_a_locked_heap_at_an_odd_base() {
    static LOCAL: LockedHeap = LockedHeap::new();
    let len = 64 << 10;
    // SAFETY: a leaked buffer used by nothing else.
    unsafe { LOCAL.init(leaked(len, 3), len, Config::DEFAULT) }.unwrap();
    {
        let mut v: Vec2<u64, &LockedHeap> = Vec2::new_in(&LOCAL);
        for i in 0..500u64 {
            v.push(i);
        }
        assert_eq!(v.as_ptr() as usize % 8, 0);
        assert_eq!(v.iter().sum::<u64>(), 499 * 500 / 2);
        v.truncate(3);
        v.shrink_to_fit();
        assert_eq!(&v[..], &[0, 1, 2]);
    }
    assert_eq!(LOCAL.stats().unwrap().live_blocks, 0);
    LOCAL.check().unwrap().unwrap();
}

#[test]
fn unsync_heap_behind_assume_single_threaded() {
    // SAFETY: the heap is used from this thread only.
    let cell = unsafe { AssumeSingleThreaded::new(UnsyncHeap::new()) };
    let len = 32 << 10;
    // SAFETY: a leaked buffer used by nothing else.
    unsafe { cell.get().init(leaked(len, 5), len, Config::DEFAULT) }.unwrap();
    let layout = Layout::from_size_align(48, 16).unwrap();
    // SAFETY: non-zero layout; the blocks are used only while live.
    unsafe {
        let p = cell.alloc(layout);
        assert!(!p.is_null() && p as usize % 16 == 0);
        p.write_bytes(1, 48);
        let q = cell.realloc(p, layout, 2000);
        assert!(std::slice::from_raw_parts(q, 48).iter().all(|&b| b == 1));
        cell.dealloc(q, Layout::from_size_align(2000, 16).unwrap());
        let r = NonNull::new(cell.alloc(layout)).unwrap();
        assert_eq!(cell.get().try_resize_in_place(r, 40), Ok(48));
        cell.get().try_free(r).unwrap();
        assert_eq!(cell.get().try_free(r), Err(Error::DoubleFree));
    }
    assert_eq!(cell.get().stats().unwrap().live_blocks, 0);
}

#[test]
fn critical_section_heap() {
    static CS: CsHeap = CsHeap::new();
    let len = 32 << 10;
    // SAFETY: a leaked buffer used by nothing else.
    unsafe { CS.init(leaked(len, 1), len, Config::LOWEST_ADDRESS) }.unwrap();
    let t: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                let p = CS.try_alloc(200, 32).unwrap();
                assert_eq!(p.as_ptr() as usize % 32, 0);
                // SAFETY: p is this thread's live block.
                unsafe {
                    p.as_ptr().write_bytes(4, 200);
                    CS.try_free(p).unwrap();
                }
            })
        })
        .collect();
    for h in t {
        h.join().unwrap();
    }
    assert_eq!(CS.stats().unwrap().live_blocks, 0);
}

#[test]
fn carve_takes_metadata_from_the_front_of_an_odd_region() {
    let len = 16 << 10;
    // SAFETY: the leaked region is used by nothing else for the heap's life.
    let mut heap = unsafe { Heap::carve(leaked(len, 7), len, Config::DEFAULT) }.unwrap();
    let a = heap.alloc(1000, 64).unwrap();
    let b = heap.alloc(10, 8).unwrap();
    assert_eq!(a.as_ptr() as usize % 64, 0);
    // SAFETY: a and b are live, disjoint blocks of host memory; nothing else uses them.
    unsafe {
        a.as_ptr().write_bytes(3, 1000);
        b.as_ptr().write_bytes(5, 10);
        let c = heap.realloc(a, 3000, 64).unwrap();
        assert!(std::slice::from_raw_parts(c.as_ptr(), 1000)
            .iter()
            .all(|&x| x == 3));
        assert!(std::slice::from_raw_parts(b.as_ptr(), 10)
            .iter()
            .all(|&x| x == 5));
        heap.free(c).unwrap();
    }
    heap.free(b).unwrap();
    heap.check().unwrap();
}
