//! The one slow operation of memheap-core: an allocation that fails on a badly fragmented heap.
//!
//! It drains the lists, returns the frontier and searches every free block for an aligned run
//! (`O(free blocks × orders)`) before it reports `OutOfMemory`. This binary builds a 64 MiB heap
//! of about 1 KiB blocks, frees every other one (tens of thousands of free blocks that cannot
//! coalesce), and times a 4 MiB request that must fail, against an alloc+free pair on the same
//! heap. Run: `cargo run --release -p memheap-benches --bin failing`.
use std::hint::black_box;
use std::time::Instant;

use memheap_core::{BuddyHeap, Config};

fn main() {
    const LEN: u64 = 64 << 20;
    for (name, cfg) in [
        ("packed (DEFAULT)", Config::DEFAULT),
        ("LOWEST_ADDRESS", Config::LOWEST_ADDRESS),
    ] {
        let cfg = cfg.with_capacity(200_000);
        let mut meta = vec![0u64; cfg.metadata_words(LEN)];
        let mut heap = BuddyHeap::new(LEN, cfg, &mut meta).expect("heap");
        let mut live = Vec::new();
        // Sizes of an odd number of 16-byte units, so a freed block is several buddy blocks.
        while let Ok(o) = heap.alloc(1000 + (live.len() as u64 % 7) * 16, 16) {
            live.push(o);
        }
        for o in live.iter().step_by(2) {
            heap.free(*o).expect("free");
        }
        heap.flush();
        let s = heap.stats();
        let free_blocks: u64 = s.free_blocks.iter().sum();
        assert!(
            s.bytes_free > 4 << 20,
            "enough free bytes that the request is not refused early"
        );

        let mut fail = Vec::new();
        for _ in 0..15 {
            let t = Instant::now();
            let r = black_box(&mut heap).alloc(black_box(4 << 20), 16);
            fail.push(t.elapsed().as_secs_f64() * 1e9);
            assert!(r.is_err(), "the request must fail: no run of 4 MiB is free");
        }
        let after = heap.stats();
        assert_eq!(
            after.bytes_free, s.bytes_free,
            "a failed allocation loses no free space"
        );

        let rounds = 200_000;
        let t = Instant::now();
        for _ in 0..rounds {
            let o = black_box(&mut heap)
                .alloc(black_box(1000), 16)
                .expect("alloc");
            heap.free(black_box(o)).expect("free");
        }
        let pair = t.elapsed().as_secs_f64() * 1e9 / rounds as f64;

        fail.sort_by(f64::total_cmp);
        println!(
            "{name}: {} live blocks, {free_blocks} free blocks, {:.1} MiB free; \
             failing alloc(4 MiB): median {:.2} ms (min {:.2}, max {:.2}); alloc+free of 1000 B: {pair:.1} ns",
            live.len() - live.len().div_ceil(2),
            s.bytes_free as f64 / (1 << 20) as f64,
            fail[fail.len() / 2] / 1e6,
            fail[0] / 1e6,
            fail[fail.len() - 1] / 1e6,
        );
    }
}
