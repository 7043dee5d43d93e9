//! Mixed ops against heap size: the criterion `scale` group's workload (the same seeded
//! sequence, 1024 slots, log-uniform 8 B..64 KiB, 16 Ki warm-up ops) on memheap-core's offset
//! heap (`BuddyHeap`, default config, no memory behind it) over 16 MiB, 64 MiB, 256 MiB, 1 GiB,
//! 4 GiB and 16 GiB.
//!
//! Each size: `REPS` timed runs of `OPS` ops continuing the sequence; prints one line per size
//! with the median, min and max ns/op:
//! `SCALE heap=BYTES label=L ns_per_op=MEDIAN min=MIN max=MAX failures=F`.
//!
//! Run: `cargo run --release -p memheap-benches --bin scale [OPS] [REPS]` (defaults 1 Mi and 7).

use std::time::Instant;

use memheap_benches::{mixed_ops, offset_heap, Mixed, MIXED_OPS, MIXED_SEED, WARM_OPS};

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1 << 20);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(7).max(1);
    let seq = mixed_ops(MIXED_SEED, MIXED_OPS);
    let sizes: [(u64, &str); 6] = [
        (16 << 20, "16MiB"),
        (64 << 20, "64MiB"),
        (256 << 20, "256MiB"),
        (1 << 30, "1GiB"),
        (4 << 30, "4GiB"),
        (16 << 30, "16GiB"),
    ];
    for (len, label) in sizes {
        let mut meta = Vec::new();
        let mut m = Mixed::new(offset_heap(len, &mut meta), &seq);
        m.run(WARM_OPS);
        let mut t: Vec<f64> = (0..reps)
            .map(|_| {
                let start = Instant::now();
                m.run(ops);
                start.elapsed().as_nanos() as f64 / ops as f64
            })
            .collect();
        t.sort_by(f64::total_cmp);
        let median = if reps % 2 == 1 {
            t[reps / 2]
        } else {
            0.5 * (t[reps / 2 - 1] + t[reps / 2])
        };
        println!(
            "SCALE heap={len} label={label} ns_per_op={median:.2} min={:.2} max={:.2} failures={}",
            t[0],
            t[reps - 1],
            m.failures
        );
    }
}
