//! The time targets of memheap-core against its peers, measured in interleaved rounds: every
//! round times every allocator once, one after the other, on the same workloads as the
//! criterion `pair` and `mixed` groups (locked forms through `GlobalAlloc`, 64 MiB regions, see
//! `benches/src/lib.rs`). Ratios are taken within a round (the allocators of one round ran
//! seconds apart, under the same load), then the median over rounds is reported. On a shared
//! machine this is steadier than comparing medians measured minutes apart.
//!
//! Run: `cargo run --release -p memheap-benches --bin ratios [ROUNDS] [MS_PER_MEASUREMENT]`
//! (defaults 15 and 150). Prints a Markdown table of medians (ns per pair / per op) and one
//! verdict line per target: `TARGET name value bound MET|MISSED`.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::time::{Duration, Instant};

use memheap_benches::{
    buddy_system, linked_list, memheap, mixed_ops, rlsf, talc, Arena, Global, Mixed, Op, ALIGN,
    MIXED_OPS, MIXED_SEED, REGION_LEN, WARM_OPS,
};

const SIZES: [(usize, &str); 5] = [
    (16, "16B"),
    (256, "256B"),
    (4096, "4KiB"),
    (64 << 10, "64KiB"),
    (1 << 20, "1MiB"),
];
const NAMES: [&str; 5] = ["memheap", "talc", "buddy_system", "rlsf", "linked_list"];

/// ns per alloc+free pair of `layout`, run for about `budget`.
fn pair<A: GlobalAlloc>(a: &A, layout: Layout, budget: Duration) -> f64 {
    let mut n = 1024u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            // SAFETY: non-zero layout; each block is freed once with its layout.
            unsafe {
                let p = a.alloc(black_box(layout));
                assert!(!p.is_null());
                a.dealloc(black_box(p), layout);
            }
        }
        let t = start.elapsed();
        if t >= budget / 4 {
            return t.as_nanos() as f64 / n as f64;
        }
        n *= 4;
    }
}

/// ns per op of the mixed workload, run for about `budget`.
fn mixed<A: GlobalAlloc>(m: &mut Mixed<'_, Global<'_, A>>, budget: Duration) -> f64 {
    let mut n = 4096u64;
    loop {
        let start = Instant::now();
        m.run(n);
        let t = start.elapsed();
        if t >= budget / 4 {
            return t.as_nanos() as f64 / n as f64;
        }
        n *= 4;
    }
}

/// One round for one allocator: (pair ns for each size, mixed ns).
fn round<A: GlobalAlloc>(
    empty: &Arena<A>,
    warm: &mut Mixed<'_, Global<'_, A>>,
    budget: Duration,
) -> Round {
    let mut p = [0.0; 5];
    for (i, (size, _)) in SIZES.iter().enumerate() {
        p[i] = pair(
            &empty.alloc,
            Layout::from_size_align(*size, ALIGN).unwrap(),
            budget,
        );
    }
    (p, mixed(warm, budget))
}

/// One round's figures for one allocator: ns per pair at each size, ns per mixed op.
type Round = ([f64; 5], f64);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15)
        .max(1);
    let ms: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(150);
    let budget = Duration::from_millis(ms);
    let ops: Vec<Op> = mixed_ops(MIXED_SEED, MIXED_OPS);

    // One empty arena (pairs) and one warm arena (mixed) per allocator, as in criterion.
    let (e0, w0) = (memheap(REGION_LEN, true), memheap(REGION_LEN, true));
    let (e1, w1) = (talc(REGION_LEN), talc(REGION_LEN));
    let (e2, w2) = (buddy_system(REGION_LEN), buddy_system(REGION_LEN));
    let (e3, w3) = (rlsf(REGION_LEN), rlsf(REGION_LEN));
    let (e4, w4) = (linked_list(REGION_LEN), linked_list(REGION_LEN));
    let mut m0 = Mixed::new(Global(&w0.alloc), &ops);
    let mut m1 = Mixed::new(Global(&w1.alloc), &ops);
    let mut m2 = Mixed::new(Global(&w2.alloc), &ops);
    let mut m3 = Mixed::new(Global(&w3.alloc), &ops);
    let mut m4 = Mixed::new(Global(&w4.alloc), &ops);
    m0.run(WARM_OPS);
    m1.run(WARM_OPS);
    m2.run(WARM_OPS);
    m3.run(WARM_OPS);
    m4.run(WARM_OPS);

    // results[allocator][round] = (pairs, mixed)
    let mut results: Vec<Vec<Round>> = vec![Vec::new(); NAMES.len()];
    for r in 0..rounds {
        // Rotate the order so no allocator always runs first (or right after another).
        for k in 0..NAMES.len() {
            let which = (k + r) % NAMES.len();
            let res = match which {
                0 => round(&e0, &mut m0, budget),
                1 => round(&e1, &mut m1, budget),
                2 => round(&e2, &mut m2, budget),
                3 => round(&e3, &mut m3, budget),
                _ => round(&e4, &mut m4, budget),
            };
            results[which].push(res);
        }
    }
    let failures = [
        m0.failures,
        m1.failures,
        m2.failures,
        m3.failures,
        m4.failures,
    ];
    for (name, f) in NAMES.iter().zip(failures) {
        assert_eq!(f, 0, "{name}: out of memory in the mixed workload");
    }

    println!(
        "Interleaved rounds: {rounds} rounds of about {ms} ms per measurement; medians over \
         rounds, ns per alloc+free pair (empty heap) and per mixed op (1024 slots, 8 B..64 KiB)."
    );
    println!();
    let mut header = "| allocator |".to_string();
    let mut rule = "|---|".to_string();
    for (_, label) in SIZES {
        header += &format!(" pair {label} |");
        rule += "---|";
    }
    println!("{header} mixed |");
    println!("{rule}---|");
    for (i, name) in NAMES.iter().enumerate() {
        let mut row = format!("| {name} |");
        for s in 0..SIZES.len() {
            row += &format!(
                " {:.1} |",
                median(results[i].iter().map(|x| x.0[s]).collect())
            );
        }
        row += &format!(" {:.1} |", median(results[i].iter().map(|x| x.1).collect()));
        println!("{row}");
    }

    // Ratios within each round, then the median over rounds.
    let ratio = |a: usize, b: usize, f: &dyn Fn(&Round) -> f64| -> f64 {
        median(
            results[a]
                .iter()
                .zip(&results[b])
                .map(|(x, y)| f(x) / f(y))
                .collect(),
        )
    };
    println!();
    println!("| ratio (median of per-round ratios) | value | bound | verdict |");
    println!("|---|---|---|---|");
    let verdict = |name: String, value: f64, bound: f64| {
        let v = if value <= bound { "MET" } else { "MISSED" };
        println!("| {name} | {value:.2} | <= {bound} | {v} |");
        eprintln!("TARGET {name} {value:.3} {bound} {v}");
    };
    for (s, (_, label)) in SIZES.iter().enumerate() {
        verdict(
            format!("pair {label}: memheap / talc"),
            ratio(0, 1, &|x| x.0[s]),
            0.8,
        );
    }
    verdict(
        "mixed: memheap / buddy_system".into(),
        ratio(0, 2, &|x| x.1),
        0.75,
    );
    verdict("mixed: memheap / talc".into(), ratio(0, 1, &|x| x.1), 0.6);
}
