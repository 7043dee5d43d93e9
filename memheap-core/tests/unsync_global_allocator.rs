//! A single-threaded program (no test harness: `main` below is the program) whose global
//! allocator is `UnsyncHeap` behind `AssumeSingleThreaded`, over a static array claimed on
//! first use. This program keeps about 12,000 small objects live, more than the capacity
//! derived from a 4 MiB arena (about 2,000), so it sets one: `claim_with`.

use memheap_core::{AssumeSingleThreaded, Config, UnsyncHeap};

const ARENA_LEN: usize = 4 << 20;
static mut ARENA: [u8; ARENA_LEN] = [0; ARENA_LEN];

// SAFETY: this program never starts a thread and has no signal handler that allocates, and
// ARENA is used by nothing else.
#[global_allocator]
static HEAP: AssumeSingleThreaded<UnsyncHeap> = unsafe {
    AssumeSingleThreaded::new(UnsyncHeap::claim_with(
        &raw mut ARENA,
        Config::DEFAULT.with_capacity(16 << 10),
    ))
};

fn main() {
    let base = (&raw const ARENA).cast::<u8>() as usize;
    let words: Vec<String> = (0..5000).map(|i| format!("word{i}")).collect();
    assert!((base..base + ARENA_LEN).contains(&(words.as_ptr() as usize)));
    let joined = words.join(",");
    assert_eq!(joined.split(',').count(), 5000);
    let mut m = std::collections::BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        m.insert(w.clone(), i);
    }
    assert_eq!(m["word4999"], 4999);
    let st = HEAP.get().stats().unwrap();
    assert!(st.live_blocks > 10_000);
    assert_eq!(st.capacity, 16 << 10);
    HEAP.get().check().unwrap().unwrap();
    println!(
        "unsync_global_allocator: ok ({} live blocks)",
        st.live_blocks
    );
}
