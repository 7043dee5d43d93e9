//! A fixed amount of work on memheap-core alone, for profilers:
//! `valgrind --tool=callgrind target/release/profile [mixed|pair16|scale16g] [ops]`.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;

use memheap_benches::{memheap, mixed_ops, offset_heap, Global, Mixed, ALIGN, REGION_LEN};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "mixed".into());
    let n: u64 = args.next().map_or(1_000_000, |s| s.parse().expect("ops"));
    let ops = mixed_ops(0x6d65_6d68_6561_7021, 1 << 20);
    match what.as_str() {
        "mixed" => {
            let arena = memheap(REGION_LEN, true);
            let mut m = Mixed::new(Global(&arena.alloc), &ops);
            m.run(n);
            println!("live {} failures {}", m.live(), m.failures);
        }
        "scale16g" => {
            let mut meta = Vec::new();
            let mut m = Mixed::new(offset_heap(16 << 30, &mut meta), &ops);
            m.run(n);
            println!("live {} failures {}", m.live(), m.failures);
        }
        "pair16" => {
            let arena = memheap(REGION_LEN, true);
            let layout = Layout::from_size_align(16, ALIGN).unwrap();
            for _ in 0..n {
                // SAFETY: non-zero layout; freed once with the same layout.
                unsafe {
                    let p = GlobalAlloc::alloc(&arena.alloc, black_box(layout));
                    GlobalAlloc::dealloc(&arena.alloc, black_box(p), layout);
                }
            }
        }
        other => panic!("unknown workload {other}"),
    }
}
