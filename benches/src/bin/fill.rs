//! Fill efficiency of every allocator, and memheap-core's metadata fraction.
//!
//! Fill: on a fresh 64 MiB region, allocate sizes drawn **uniformly in bytes** from
//! [64 B, 256 KiB] (alignment 8) until 16 allocations in a row fail; efficiency = bytes
//! requested by the successful allocations / region length. Seeds 1..=7, median reported
//! (min and max too).
//!
//! Run: `cargo run --release -p memheap-benches --bin fill`

use std::alloc::{GlobalAlloc, Layout};

use memheap_benches::{
    buddy_system, linked_list, memheap, offset_heap, rlsf, talc, Arena, Rng, ALIGN, REGION_LEN,
};
use memheap_core::Config;

const SEEDS: u64 = 7;
const MIN: u64 = 64;
const MAX: u64 = 256 << 10;
const FAILS_IN_A_ROW: u32 = 16;

/// Bytes placed and blocks placed before 16 failures in a row.
fn fill<A: GlobalAlloc>(arena: &Arena<A>, seed: u64) -> (u64, u64) {
    let mut rng = Rng::new(seed);
    let (mut placed, mut blocks, mut fails) = (0u64, 0u64, 0u32);
    while fails < FAILS_IN_A_ROW {
        let size = rng.range(MIN, MAX) as usize;
        let layout = Layout::from_size_align(size, ALIGN).unwrap();
        // SAFETY: non-zero layout. Blocks are never freed: the arena is dropped whole.
        let p = unsafe { arena.alloc.alloc(layout) };
        if p.is_null() {
            fails += 1;
        } else {
            fails = 0;
            placed += size as u64;
            blocks += 1;
        }
    }
    (placed, blocks)
}

fn row<A: GlobalAlloc>(name: &str, make: impl Fn() -> Arena<A>) {
    let mut effs = Vec::new();
    let mut blocks = Vec::new();
    for seed in 1..=SEEDS {
        let arena = make();
        let (placed, n) = fill(&arena, seed);
        effs.push(placed as f64 / REGION_LEN as f64 * 100.0);
        blocks.push(n);
    }
    let mut sorted = effs.clone();
    sorted.sort_by(f64::total_cmp);
    blocks.sort_unstable();
    println!(
        "| {name} | {:.2}% | {:.2}% | {:.2}% | {} |",
        sorted[sorted.len() / 2],
        sorted[0],
        sorted[sorted.len() - 1],
        blocks[blocks.len() / 2]
    );
}

fn main() {
    println!(
        "Fill efficiency: 64 MiB region, sizes uniform in bytes over [{MIN} B, {} KiB], \
         until {FAILS_IN_A_ROW} failures in a row, seeds 1..={SEEDS}",
        MAX >> 10
    );
    println!();
    println!("| allocator | median | min | max | blocks (median) |");
    println!("|---|---|---|---|---|");
    row("memheap (exact fit)", || memheap(REGION_LEN, true));
    row("memheap (power of two)", || memheap(REGION_LEN, false));
    row("talc", || talc(REGION_LEN));
    row("buddy_system", || buddy_system(REGION_LEN));
    row("rlsf", || rlsf(REGION_LEN));
    row("linked_list", || linked_list(REGION_LEN));

    // Why memheap-core stops short: what is left free after the fill, by block size.
    let arena = memheap(REGION_LEN, true);
    let (placed, _) = fill(&arena, 1);
    let s = arena.alloc.stats().expect("initialised");
    println!();
    println!(
        "memheap (exact fit), seed 1, after the fill: placed {:.2}%, in use {:.2}%, free {:.2}%, \
         largest free block {} KiB; free bytes by block size:",
        placed as f64 / REGION_LEN as f64 * 100.0,
        s.bytes_in_use as f64 / REGION_LEN as f64 * 100.0,
        s.bytes_free as f64 / REGION_LEN as f64 * 100.0,
        s.largest_free >> 10
    );
    // Contiguous free runs (gaps between live blocks): what a first fit over runs could use.
    let mut live = Vec::new();
    // SAFETY: the closure only reads the heap.
    unsafe {
        arena
            .alloc
            .with(|h| h.inner().for_each_live(|o, n| live.push((o, n))))
    }
    .expect("init");
    live.sort_unstable();
    let (mut cur, mut runs) = (0u64, Vec::new());
    for &(o, n) in &live {
        if o > cur {
            runs.push(o - cur);
        }
        cur = o + n;
    }
    if cur < REGION_LEN as u64 {
        runs.push(REGION_LEN as u64 - cur);
    }
    runs.sort_unstable();
    let big: u64 = runs.iter().filter(|&&r| r >= 64 << 10).sum();
    println!(
        "  {} contiguous free runs, largest {} KiB, median {} KiB; {:.2}% of the region is in \
         runs of >= 64 KiB",
        runs.len(),
        runs.last().copied().unwrap_or(0) >> 10,
        runs.get(runs.len() / 2).copied().unwrap_or(0) >> 10,
        big as f64 / REGION_LEN as f64 * 100.0
    );
    for (order, &n) in s.free_blocks.iter().enumerate().filter(|(_, &n)| n > 0) {
        println!("  2^{order} B: {n} blocks, {} KiB", (n << order) >> 10);
    }

    println!();
    println!(
        "memheap-core metadata at the default configuration ({:?}):",
        Config::DEFAULT
    );
    println!();
    println!("| region | bitmap bytes | bitmap / region | size table bytes | target |");
    println!("|---|---|---|---|---|");
    let mut meta = Vec::new();
    for (len, label) in [
        (16u64 << 20, "16 MiB"),
        (64 << 20, "64 MiB"),
        (16 << 30, "16 GiB"),
    ] {
        let heap = offset_heap(len, &mut meta);
        let s = heap.stats();
        let frac = s.bitmap_bytes as f64 / s.region_bytes as f64;
        println!(
            "| {label} | {} | 1/{:.1} ({:.3}%) | {} | {} |",
            s.bitmap_bytes,
            1.0 / frac,
            frac * 100.0,
            s.metadata_bytes - s.bitmap_bytes,
            if s.bitmap_bytes * 32 <= s.region_bytes {
                "<= 1/32 met"
            } else {
                "> 1/32 MISSED"
            }
        );
    }
}
