//! Fill efficiency of every allocator, memheap-core's size overhead on the mixed workload, and
//! its metadata fraction.
//!
//! * **Fill**: on a fresh 64 MiB region, allocate sizes drawn **uniformly in bytes** from
//!   [64 B, 256 KiB] (alignment 8) until 16 allocations in a row fail; efficiency = bytes
//!   requested by the successful allocations / region length. Seeds 1..=7, median reported (min
//!   and max too). **After churn**: the same, on a region that first ran 200,000 ops of the
//!   mixed workload and then freed every block.
//! * **Overhead**: after 1 Mi ops of the mixed workload (1024 slots, log-uniform 8 B..64 KiB),
//!   the bytes memheap-core holds for the live blocks (their usable sizes) against the bytes
//!   requested; and the bytes waiting on its free lists.
//!
//! Run: `cargo run --release -p memheap-benches --bin fill`

use std::alloc::{GlobalAlloc, Layout};

use memheap_benches::{
    buddy_system, linked_list, memheap, memheap_with, mixed_ops, offset_heap, rlsf, talc, Arena,
    Global, Mixed, Rng, ALIGN, MIXED_OPS, MIXED_SEED, REGION_LEN,
};
use memheap_core::Config;

const SEEDS: u64 = 7;
const MIN: u64 = 64;
const MAX: u64 = 256 << 10;
const FAILS_IN_A_ROW: u32 = 16;
const CHURN_OPS: u64 = 200_000;

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

/// Run the mixed workload on the arena, then free every block.
fn churn<A: GlobalAlloc>(arena: &Arena<A>) {
    let ops = mixed_ops(MIXED_SEED ^ 0x5eed, 1 << 16);
    let mut m = Mixed::new(Global(&arena.alloc), &ops);
    m.run(CHURN_OPS);
    m.clear();
}

fn row<A: GlobalAlloc>(name: &str, make: impl Fn() -> Arena<A>) {
    let mut cells = Vec::new();
    for churned in [false, true] {
        let mut effs = Vec::new();
        let mut blocks = Vec::new();
        for seed in 1..=SEEDS {
            let arena = make();
            if churned {
                churn(&arena);
            }
            let (placed, n) = fill(&arena, seed);
            effs.push(placed as f64 / REGION_LEN as f64 * 100.0);
            blocks.push(n);
        }
        effs.sort_by(f64::total_cmp);
        blocks.sort_unstable();
        let mid = effs.len() / 2;
        cells.push(format!(
            "{:.2}% | {:.2}% | {:.2}%",
            effs[mid],
            effs[0],
            effs[effs.len() - 1]
        ));
        if !churned {
            cells.push(blocks[mid].to_string());
        }
    }
    println!("| {name} | {} | {} | {} |", cells[0], cells[1], cells[2]);
}

fn main() {
    println!(
        "Fill efficiency: 64 MiB region, sizes uniform in bytes over [{MIN} B, {} KiB], \
         until {FAILS_IN_A_ROW} failures in a row, seeds 1..={SEEDS}; fresh, and after \
         {CHURN_OPS} mixed ops with every block freed",
        MAX >> 10
    );
    println!();
    println!(
        "| allocator | median | min | max | blocks (median) | after churn: median | min | max |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    row("memheap (default: packed)", || memheap(REGION_LEN, true));
    row("memheap (lowest address)", || {
        memheap_with(REGION_LEN, Config::LOWEST_ADDRESS)
    });
    row("memheap (power of two)", || memheap(REGION_LEN, false));
    row("talc", || talc(REGION_LEN));
    row("buddy_system", || buddy_system(REGION_LEN));
    row("rlsf", || rlsf(REGION_LEN));
    row("linked_list", || linked_list(REGION_LEN));

    // What a fresh default heap leaves after the fill.
    let arena = memheap(REGION_LEN, true);
    let (placed, _) = fill(&arena, 1);
    let s = arena.alloc.stats().expect("initialised");
    println!();
    println!(
        "memheap (default), seed 1, after the fill: requested {:.2}% of the region, held in \
         blocks {:.2}% (size-class rounding), free {:.2}%, largest free block {} KiB",
        placed as f64 / REGION_LEN as f64 * 100.0,
        s.bytes_in_use as f64 / REGION_LEN as f64 * 100.0,
        s.bytes_free as f64 / REGION_LEN as f64 * 100.0,
        s.largest_free >> 10
    );

    // Size overhead on the mixed workload.
    println!();
    println!(
        "Mixed workload (1024 slots, log-uniform 8 B..64 KiB), after {MIXED_OPS} ops: bytes \
         held for the live blocks (usable sizes) against bytes requested"
    );
    println!();
    println!("| memheap | live blocks | requested | held | held / requested | on the free lists |");
    println!("|---|---|---|---|---|---|");
    let ops = mixed_ops(MIXED_SEED, MIXED_OPS);
    for (name, config) in [
        ("default (packed)", Config::DEFAULT),
        ("lowest address", Config::LOWEST_ADDRESS),
        ("power of two", Config::DEFAULT.with_exact_fit(false)),
    ] {
        let arena = memheap_with(REGION_LEN, config);
        let mut m = Mixed::new(Global(&arena.alloc), &ops);
        m.run(MIXED_OPS as u64);
        let (mut requested, mut held, mut n) = (0u64, 0u64, 0u64);
        for (p, size) in m.live_blocks() {
            requested += size as u64;
            held += arena.alloc.usable_size(p).expect("live block") as u64;
            n += 1;
        }
        let s = arena.alloc.stats().expect("initialised");
        println!(
            "| {name} | {n} | {requested} | {held} | {:.4} (+{:.2}%) | {} B |",
            held as f64 / requested as f64,
            (held as f64 / requested as f64 - 1.0) * 100.0,
            s.bytes_listed
        );
        assert_eq!(m.failures, 0);
    }

    println!();
    println!(
        "memheap-core metadata at the default configuration ({:?}):",
        Config::DEFAULT
    );
    println!();
    println!(
        "| region | metadata bytes | of region | of which bitmaps | capacity (blocks) | target |"
    );
    println!("|---|---|---|---|---|---|");
    let mut meta = Vec::new();
    for (len, label) in [
        (1u64 << 20, "1 MiB"),
        (16 << 20, "16 MiB"),
        (64 << 20, "64 MiB"),
        (16 << 30, "16 GiB"),
    ] {
        let heap = offset_heap(len, &mut meta);
        let s = heap.stats();
        let frac = s.metadata_bytes as f64 / s.region_bytes as f64;
        println!(
            "| {label} | {} | {:.3}% (1/{:.1}) | {} | {} | {} |",
            s.metadata_bytes,
            frac * 100.0,
            1.0 / frac,
            s.bitmap_bytes,
            s.capacity,
            if s.metadata_bytes * 32 <= s.region_bytes {
                "<= 1/32 met"
            } else {
                "> 1/32 MISSED"
            }
        );
    }
}
