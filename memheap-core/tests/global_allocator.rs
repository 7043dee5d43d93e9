//! An ordinary `std` test binary whose global allocator is memheap-core's `LockedHeap`, built
//! `const` over a static array and claimed on first use: no init call anywhere. Everything in
//! this binary allocates from it — the test harness, its threads, `std` before `main` — so the
//! tests below only pass if it works in a normal program.
//!
//! The size table holds a fixed number of blocks, derived from the arena with
//! `Config::DEFAULT`: one per 2 KiB of what the metadata leaves, 31,902 here. A program that
//! keeps more small objects live than that sets a capacity:
//! `LockedHeap::claim_with(arena, Config::DEFAULT.with_capacity(n))`.

use std::collections::HashMap;
use std::sync::Arc;

use memheap_core::LockedHeap;

const ARENA_LEN: usize = 64 << 20;
static mut ARENA: [u8; ARENA_LEN] = [0; ARENA_LEN];

// SAFETY: ARENA is used by nothing else, for the whole program.
#[global_allocator]
static HEAP: LockedHeap = unsafe { LockedHeap::claim(&raw mut ARENA) };

fn in_arena(p: *const u8) -> bool {
    let base = (&raw const ARENA).cast::<u8>() as usize;
    (base..base + ARENA_LEN).contains(&(p as usize))
}

#[test]
fn vec_string_hashmap_format_and_threads_use_the_claimed_arena() {
    let v: Vec<u64> = (0..100_000).collect();
    assert!(in_arena(v.as_ptr().cast()));
    let s = format!("{}-{}-{:?}", "memheap", 2, [1, 2, 3]);
    assert_eq!(s, "memheap-2-[1, 2, 3]");
    assert!(in_arena(s.as_ptr()));
    let mut m = HashMap::new();
    for i in 0..4000u32 {
        m.insert(i, i.to_string());
    }
    assert_eq!(m[&3999], "3999");
    let shared = Arc::new(std::sync::Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut local = Vec::new();
                for i in 0..2000 {
                    let b = vec![t as u8; 1 + (i * 37) % 5000];
                    assert!(in_arena(b.as_ptr()));
                    local.push(b);
                    if i % 3 == 0 {
                        local.swap_remove(i % local.len());
                    }
                }
                assert!(local.iter().all(|b| b.iter().all(|&x| x == t as u8)));
                shared.lock().unwrap().push(local.len());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(shared.lock().unwrap().len(), 4);
    let st = HEAP.stats().unwrap();
    assert!(
        st.live_blocks > 4000,
        "this program's live allocations are in the heap"
    );
    assert!(st.capacity > 31_000, "capacity {}", st.capacity);
    assert!(
        st.region_bytes > ARENA_LEN as u64 * 31 / 32,
        "metadata under 1/32"
    );
    HEAP.check().unwrap().unwrap();
}

#[test]
fn inherent_methods_do_not_shadow_global_alloc() {
    use std::alloc::{GlobalAlloc, Layout};
    let layout = Layout::from_size_align(100, 64).unwrap();
    // `HEAP.alloc(layout)` resolves to GlobalAlloc::alloc (the inherent ones are `try_*`).
    // SAFETY: non-zero layout; freed with the same layout.
    unsafe {
        let p = HEAP.alloc(layout);
        assert!(!p.is_null() && in_arena(p) && p as usize % 64 == 0);
        HEAP.dealloc(p, layout);
    }
    let q = HEAP.try_alloc(100, 64).unwrap();
    assert_eq!(HEAP.usable_size(q).unwrap(), 112);
    // SAFETY: q came from try_alloc and nothing else uses it.
    unsafe { HEAP.try_free(q) }.unwrap();
    // SAFETY: as above: a second free is refused and changes nothing.
    let again = unsafe { HEAP.try_free(q) };
    assert_eq!(again, Err(memheap_core::Error::DoubleFree));
}
