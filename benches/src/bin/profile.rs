//! A fixed amount of work on memheap-core alone, for profilers:
//! `valgrind --tool=callgrind target/release/profile [mixed|pair16|scale16g] [ops]`.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;

use memheap_benches::{memheap, mixed_ops, offset_heap, Global, Mixed, Target, ALIGN, REGION_LEN};

/// Rounds sizes up to 4 significant bits when `.1` is set.
struct Rounded<T>(T, bool);

impl<T: Target> Target for Rounded<T> {
    type Handle = T::Handle;

    fn alloc(&mut self, size: usize) -> Option<T::Handle> {
        let size = if self.1 && size > 16 {
            let shift = (usize::BITS - 1 - size.leading_zeros()).saturating_sub(3);
            size.div_ceil(1 << shift) << shift
        } else {
            size
        };
        self.0.alloc(size)
    }

    fn free(&mut self, h: T::Handle, size: usize) {
        self.0.free(h, size)
    }
}

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
        // Experiment: exact fit, but sizes rounded up to 4 significant bits first (a block
        // wastes at most 1/8 and returns at most 3 tail pieces). Prints ns/op by wall clock.
        "mixed-exact" | "mixed-pow2" | "mixed-r8" => {
            let arena = memheap(REGION_LEN, what != "mixed-pow2");
            let mut m = Mixed::new(Rounded(Global(&arena.alloc), what == "mixed-r8"), &ops);
            m.run(16 * 1024);
            let t = std::time::Instant::now();
            m.run(n);
            println!(
                "{what}: {:.1} ns/op",
                t.elapsed().as_nanos() as f64 / n as f64
            );
        }
        "scale16g" => {
            let mut meta = Vec::new();
            let mut m = Mixed::new(offset_heap(16 << 30, &mut meta), &ops);
            m.run(n);
            println!("live {} failures {}", m.live(), m.failures);
        }
        "pair16" | "pair4k" | "pair1m" => {
            let arena = memheap(REGION_LEN, true);
            let size = match what.as_str() {
                "pair16" => 16,
                "pair4k" => 4096,
                _ => 1 << 20,
            };
            let layout = Layout::from_size_align(size, ALIGN).unwrap();
            for _ in 0..n {
                // SAFETY: non-zero layout; freed once with the same layout.
                unsafe {
                    let p = GlobalAlloc::alloc(&arena.alloc, black_box(layout));
                    GlobalAlloc::dealloc(&arena.alloc, black_box(p), layout);
                }
            }
        }
        // The same pairs on talc, to compare instruction counts.
        "pair16-talc" => {
            let arena = memheap_benches::talc(REGION_LEN);
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
