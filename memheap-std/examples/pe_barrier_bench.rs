//! Barrier round and collective allocation cost against the number of PEs:
//! `memheap-run -n N pe_barrier_bench [REPS]` prints, on PE 0, one machine-readable line per
//! figure, each the median (and min, max) over REPS timed repetitions (default 7):
//!
//! ```text
//! PESCALE pes=N bench=barrier value=NS min=NS max=NS unit=ns_per_round component=C
//! PESCALE pes=N bench=malloc_free value=NS min=NS max=NS unit=ns_per_pair component=C
//! ```
//!
//! `barrier`: one `barrier_all` round. `malloc_free`: one collective `Runtime::malloc(64)` and
//! `Runtime::free` pair (what `shmem_malloc` + `shmem_free` do: local allocation, argument
//! exchange and barrier on exit; barrier on entry to free). Each repetition runs a fixed number of
//! rounds that shrinks with the PE count, after a warm-up.
//!
//! ```text
//! cargo build --release -p memheap-std --examples --bins
//! for n in 1 2 4 8 16; do target/release/memheap-run -n $n target/release/examples/pe_barrier_bench; done
//! ```
//!
//! With 2 PEs each has a core of the 2-core development machine and busy polling wins; with
//! more PEs than cores a round needs every PE to be scheduled, so the waiters yield the core
//! (then sleep on the futex) instead of spinning, and a round costs microseconds.
//! `benches/run-all.sh` runs the loop above and keeps the lines in `benches/results/pe-scale.txt`.

use std::time::Instant;

use memheap_std::runtime::Runtime;

fn median_min_max(mut t: Vec<f64>) -> (f64, f64, f64) {
    t.sort_by(f64::total_cmp);
    let n = t.len();
    let med = if n % 2 == 1 {
        t[n / 2]
    } else {
        0.5 * (t[n / 2 - 1] + t[n / 2])
    };
    (med, t[0], t[n - 1])
}

/// Median, min and max ns per call of `f` over `reps` repetitions of `rounds` calls.
fn measure(rt: &Runtime, reps: usize, rounds: u32, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..rounds / 10 + 1 {
        f();
    }
    let t = (0..reps)
        .map(|_| {
            rt.barrier_all();
            let start = Instant::now();
            for _ in 0..rounds {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(rounds.max(1))
        })
        .collect();
    median_min_max(t)
}

fn main() {
    let rt = match memheap_std::runtime::init() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pe_barrier_bench: {e}");
            std::process::exit(1);
        }
    };
    let n = rt.n_pes();
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
        .max(1);
    // Rounds per repetition: about 10-50 ms of work at each PE count on 2 cores.
    let rounds: u32 = match n {
        1 => 200_000,
        2 => 100_000,
        3..=4 => 5_000,
        5..=8 => 2_000,
        _ => 1_000,
    };
    let component = rt.component();
    let report = |bench: &str, unit: &str, (med, min, max): (f64, f64, f64)| {
        if rt.my_pe() == 0 {
            println!(
                "PESCALE pes={n} bench={bench} value={med:.1} min={min:.1} max={max:.1} unit={unit} component={component}"
            );
        }
    };
    let barrier = measure(&rt, reps, rounds, || rt.barrier_all());
    report("barrier", "ns_per_round", barrier);
    let mut failed = false;
    let pair = measure(&rt, reps, (rounds / 4).max(1), || {
        let p = rt.malloc(64);
        failed |= p.is_none();
        if rt.free(p).is_err() {
            failed = true;
        }
    });
    report("malloc_free", "ns_per_pair", pair);
    if failed {
        eprintln!("pe_barrier_bench: a collective malloc or free failed");
        std::process::exit(1);
    }
    if let Err(e) = rt.finalize() {
        eprintln!("pe_barrier_bench: {e}");
        std::process::exit(1);
    }
}
