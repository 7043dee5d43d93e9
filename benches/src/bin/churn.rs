//! A symmetric heap's life on memheap-core's offset heap (`BuddyHeap`, `Config::DEFAULT`, a
//! 256 MiB region, capacity 131,071 as the `buddy` component's): the churn and refill of
//! `benches/c/shmem_bench.c`, without the OpenSHMEM layer.
//!
//! * **churn**: 20,000 ops over 256 slots (free if live, else allocate log-uniform 8 B..1 MiB),
//!   then the largest block the heap serves (binary search to 64 KiB) with those blocks live,
//!   and after freeing them all, as % of the region; 7 repetitions, medians.
//! * **refill**: 7 times in the same heap: allocate random 64 B..256 KiB until the first
//!   refusal, then free everything; % of the region placed, median and each repetition.
//!
//! Run: `cargo run --release -p memheap-benches --bin churn`

use memheap_benches::Rng;
use memheap_core::{BuddyHeap, Config};

const HEAP: u64 = 256 << 20;

fn largest(h: &mut BuddyHeap<'_>) -> u64 {
    let (mut lo, mut hi) = (0u64, HEAP);
    while hi - lo > 65536 {
        let mid = lo + (hi - lo) / 2;
        match h.alloc(mid, 16) {
            Ok(o) => {
                h.free(o).expect("free a block just allocated");
                lo = mid;
            }
            Err(_) => hi = mid,
        }
    }
    lo
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(x: u64) -> f64 {
    x as f64 * 100.0 / HEAP as f64
}

fn main() {
    let config = Config::DEFAULT.with_capacity(131_071);
    let mut meta = vec![0u64; config.metadata_words(HEAP)];
    let mut h = BuddyHeap::new(HEAP, config, &mut meta).expect("heap");
    let (mut live, mut emptied) = (Vec::new(), Vec::new());
    for r in 0..7u64 {
        let mut rng = Rng::new(0xFEED_FACE + r);
        let mut slot: Vec<Option<u64>> = vec![None; 256];
        for _ in 0..20_000 {
            let k = (rng.next_u64() % 256) as usize;
            match slot[k].take() {
                Some(o) => {
                    h.free(o).expect("free a live block");
                }
                None => {
                    let (a, b) = (8f64.ln(), 1_048_576f64.ln());
                    let size = (a + rng.unit() * (b - a)).exp() as u64;
                    slot[k] = h.alloc(size, 16).ok();
                }
            }
        }
        live.push(pct(largest(&mut h)));
        for o in slot.iter_mut().filter_map(Option::take) {
            h.free(o).expect("free a live block");
        }
        emptied.push(pct(largest(&mut h)));
    }
    let mut fills = Vec::new();
    for r in 0..7u64 {
        let mut rng = Rng::new(0x00C0_FFEE + r);
        let (mut placed, mut blocks) = (0u64, Vec::new());
        loop {
            let size = rng.range(64, 256 * 1024);
            match h.alloc(size, 16) {
                Ok(o) => {
                    blocks.push(o);
                    placed += size;
                }
                Err(_) => break,
            }
        }
        for o in blocks {
            h.free(o).expect("free a live block");
        }
        fills.push(pct(placed));
    }
    h.check().expect("invariants");
    println!(
        "CHURN largest_with_blocks_live={:.2}% largest_after_freeing_all={:.2}% \
         refill_median={:.2}% refills={:?}",
        median(live),
        median(emptied),
        median(fills.clone()),
        fills
            .iter()
            .map(|x| (x * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
}
