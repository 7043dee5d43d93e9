//! memheap-core against talc, buddy_system_allocator, linked_list_allocator and rlsf, side by
//! side in one run. See BENCHMARKS.md at the repository root for the command and the results.
//!
//! * `mixed/<alloc>` (`memheap_pow2`: memheap-core in classic power-of-two mode): 1024 slots, each op picks a random slot and frees it if live, else
//!   allocates a log-uniform size in [8 B, 64 KiB). Time per op.
//! * `pair/<alloc>/<size>`: one `alloc` + `dealloc` of the same size on an otherwise empty heap.
//! * `pair_warm/<alloc>/<size>`: the same with the mixed workload's ~512 live blocks in place.
//! * `scale/<len>`: the mixed ops on memheap-core's offset heap (`BuddyHeap`, no memory) over
//!   16 MiB and over 16 GiB.
//! * `contended/<alloc>`: two threads share one allocator, each running its own mixed sequence
//!   (512 slots, its own seed) at once; time per op of one thread (both threads do that many
//!   ops in that time).
//! * `mixed/memheap_lowest`, `pair/memheap_lowest/..`: memheap-core with
//!   `Config::LOWEST_ADDRESS` (strict lowest-address placement, no free lists), for comparison.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memheap_benches::{
    buddy_system, linked_list, memheap, memheap_with, mixed_ops, offset_heap, rlsf, talc, Arena,
    Global, Mixed, Op, ALIGN, MIXED_OPS, MIXED_SEED, REGION_LEN, WARM_OPS,
};
use memheap_core::Config;

const OPS: usize = MIXED_OPS;
const SEED: u64 = MIXED_SEED;

fn mixed_one<A: GlobalAlloc>(c: &mut Criterion, name: &str, arena: &Arena<A>, ops: &[Op]) {
    let mut g = c.benchmark_group("mixed");
    g.throughput(Throughput::Elements(1));
    let mut m = Mixed::new(Global(&arena.alloc), ops);
    m.run(WARM_OPS);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            m.run(iters);
            start.elapsed()
        })
    });
    g.finish();
    assert_eq!(m.failures, 0, "{name}: out of memory in a 64 MiB region");
}

fn mixed(c: &mut Criterion) {
    let ops = mixed_ops(SEED, OPS);
    mixed_one(c, "memheap", &memheap(REGION_LEN, true), &ops);
    mixed_one(c, "memheap_pow2", &memheap(REGION_LEN, false), &ops);
    mixed_one(
        c,
        "memheap_lowest",
        &memheap_with(REGION_LEN, Config::LOWEST_ADDRESS),
        &ops,
    );
    mixed_one(c, "talc", &talc(REGION_LEN), &ops);
    mixed_one(c, "buddy_system", &buddy_system(REGION_LEN), &ops);
    mixed_one(c, "rlsf", &rlsf(REGION_LEN), &ops);
    mixed_one(c, "linked_list", &linked_list(REGION_LEN), &ops);
}

const PAIR_SIZES: [(usize, &str); 5] = [
    (16, "16B"),
    (256, "256B"),
    (4096, "4KiB"),
    (64 << 10, "64KiB"),
    (1 << 20, "1MiB"),
];

/// `warm`: run the mixed ops first and keep their ~512 live blocks during the pairs, so the
/// heap is fragmented the way a running program's is (group `pair_warm`); otherwise the heap
/// is empty (group `pair`).
fn pair_one<A: GlobalAlloc>(c: &mut Criterion, name: &str, arena: &Arena<A>, warm: Option<&[Op]>) {
    let mut background = warm.map(|ops| Mixed::new(Global(&arena.alloc), ops));
    if let Some(m) = &mut background {
        m.run(WARM_OPS);
    }
    let mut g = c.benchmark_group(if warm.is_some() { "pair_warm" } else { "pair" });
    for (size, label) in PAIR_SIZES {
        let layout = Layout::from_size_align(size, ALIGN).unwrap();
        g.bench_function(BenchmarkId::new(name, label), |b| {
            b.iter(|| {
                // SAFETY: the layout is non-zero; the block is freed once, with its layout.
                unsafe {
                    let p = arena.alloc.alloc(black_box(layout));
                    assert!(!p.is_null());
                    arena.alloc.dealloc(black_box(p), layout);
                }
            })
        });
    }
    g.finish();
}

fn pair(c: &mut Criterion) {
    pair_one(c, "memheap", &memheap(REGION_LEN, true), None);
    pair_one(
        c,
        "memheap_lowest",
        &memheap_with(REGION_LEN, Config::LOWEST_ADDRESS),
        None,
    );
    pair_one(c, "talc", &talc(REGION_LEN), None);
    pair_one(c, "buddy_system", &buddy_system(REGION_LEN), None);
    pair_one(c, "rlsf", &rlsf(REGION_LEN), None);
    pair_one(c, "linked_list", &linked_list(REGION_LEN), None);
}

fn pair_warm(c: &mut Criterion) {
    let ops = mixed_ops(SEED, OPS);
    pair_one(c, "memheap", &memheap(REGION_LEN, true), Some(&ops));
    pair_one(c, "talc", &talc(REGION_LEN), Some(&ops));
    pair_one(c, "buddy_system", &buddy_system(REGION_LEN), Some(&ops));
    pair_one(c, "rlsf", &rlsf(REGION_LEN), Some(&ops));
    pair_one(c, "linked_list", &linked_list(REGION_LEN), Some(&ops));
}

fn scale(c: &mut Criterion) {
    let ops = mixed_ops(SEED, OPS);
    let mut g = c.benchmark_group("scale");
    g.throughput(Throughput::Elements(1));
    for (len, label) in [(16u64 << 20, "16MiB"), (16u64 << 30, "16GiB")] {
        let mut meta = Vec::new();
        let heap = offset_heap(len, &mut meta);
        let mut m = Mixed::new(heap, &ops);
        m.run(WARM_OPS);
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                m.run(iters);
                start.elapsed()
            })
        });
        // 16 MiB holds the ~4 MiB live set, so no op fails; say so if one ever does.
        if m.failures != 0 {
            eprintln!("scale/{label}: {} allocations failed", m.failures);
        }
    }
    g.finish();
}

/// One thread's share of the contended workload: its own slots and op sequence.
struct Worker {
    ops: Vec<Op>,
    live: Vec<Option<(usize, usize)>>,
    cursor: usize,
}

impl Worker {
    fn new(seed: u64) -> Worker {
        Worker {
            ops: mixed_ops(seed, 1 << 16),
            live: vec![None; 512],
            cursor: 0,
        }
    }

    fn run<A: GlobalAlloc>(&mut self, a: &A, n: u64) {
        for _ in 0..n {
            let op = self.ops[self.cursor];
            self.cursor = (self.cursor + 1) % self.ops.len();
            let slot = &mut self.live[op.slot as usize % 512];
            match slot.take() {
                Some((p, size)) => {
                    let layout = Layout::from_size_align(size, ALIGN).unwrap();
                    // SAFETY: `p` came from `alloc` with this layout and is freed once.
                    unsafe { a.dealloc(p as *mut u8, layout) }
                }
                None => {
                    let size = op.size as usize;
                    let layout = Layout::from_size_align(size, ALIGN).unwrap();
                    // SAFETY: non-zero layout.
                    let p = unsafe { a.alloc(layout) };
                    assert!(!p.is_null(), "out of memory in the contended workload");
                    *slot = Some((p as usize, size));
                }
            }
        }
    }

    fn clear<A: GlobalAlloc>(&mut self, a: &A) {
        for (p, size) in self.live.iter_mut().filter_map(Option::take) {
            // SAFETY: as in `run`.
            unsafe { a.dealloc(p as *mut u8, Layout::from_size_align(size, ALIGN).unwrap()) }
        }
    }
}

fn contended_one<A: GlobalAlloc + Sync>(c: &mut Criterion, name: &str, arena: &Arena<A>) {
    let mut g = c.benchmark_group("contended");
    g.throughput(Throughput::Elements(1));
    let a = &arena.alloc;
    let (mut w1, mut w2) = (Worker::new(SEED ^ 1), Worker::new(SEED ^ 2));
    w1.run(a, WARM_OPS / 2);
    w2.run(a, WARM_OPS / 2);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|s| {
                s.spawn(|| w1.run(a, iters));
                w2.run(a, iters);
            });
            start.elapsed()
        })
    });
    g.finish();
    w1.clear(a);
    w2.clear(a);
}

fn contended(c: &mut Criterion) {
    contended_one(c, "memheap", &memheap(REGION_LEN, true));
    contended_one(c, "talc", &talc(REGION_LEN));
    contended_one(c, "buddy_system", &buddy_system(REGION_LEN));
    contended_one(c, "rlsf", &rlsf(REGION_LEN));
    contended_one(c, "linked_list", &linked_list(REGION_LEN));
}

fn config() -> Criterion {
    // Short runs: the machine has 2 shared cores. Override on the command line.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! { name = benches; config = config(); targets = mixed, pair, pair_warm, scale, contended }
criterion_main!(benches);
