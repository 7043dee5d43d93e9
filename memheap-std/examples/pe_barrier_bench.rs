//! Barrier round-trip time: `memheap-run -n N pe_barrier_bench [ROUNDS]` prints, on PE 0, the
//! mean nanoseconds per `barrier_all` round (after a warm-up).
//!
//! ```text
//! cargo build --release -p memheap-std --examples --bins
//! for n in 2 4 16; do target/release/memheap-run -n $n target/release/examples/pe_barrier_bench; done
//! ```
//!
//! Measured on the 2-core development machine (three runs each, other work running):
//! 2 PEs 60-95 ns, 4 PEs 2.8-5 µs, 16 PEs 21-24 µs per round. With 2 PEs each has a core and
//! busy polling wins; with more PEs than cores a round needs every PE to be scheduled, so the
//! waiters yield the core (then sleep on the futex) instead of spinning.

use std::time::Instant;

fn main() {
    let rt = match memheap_std::runtime::init() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pe_barrier_bench: {e}");
            std::process::exit(1);
        }
    };
    let n = rt.n_pes();
    let default_rounds = if n <= 2 { 200_000 } else { 20_000 };
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_rounds);
    for _ in 0..rounds / 10 + 1 {
        rt.barrier_all();
    }
    let t = Instant::now();
    for _ in 0..rounds {
        rt.barrier_all();
    }
    let ns = t.elapsed().as_nanos() as f64 / rounds.max(1) as f64;
    if rt.my_pe() == 0 {
        println!("barrier_all: {n} PEs, {rounds} rounds, {ns:.0} ns/round");
    }
    if let Err(e) = rt.finalize() {
        eprintln!("pe_barrier_bench: {e}");
        std::process::exit(1);
    }
}
