//! Loom model of the runtime's barrier protocol: threads stand in for PEs and run the
//! production `Barrier` (its atomics come from loom through the runtime's sync shim; a futex
//! wait is a yield, a wake a no-op).
//!
//! `RUSTFLAGS="--cfg loom" cargo test -p memheap-std --release --test runtime_loom`
#![cfg(loom)]

use loom::sync::atomic::{AtomicU32, Ordering};
use loom::sync::Arc;
use memheap_std::runtime::Barrier;

/// `n` participants, `rounds` rounds: each writes its slot (relaxed) before the barrier and
/// must see every other slot's value of that round after it; exactly one is "last" per round.
fn model(n: u32, rounds: u32, spin: u32) {
    let mut builder = loom::model::Builder::new();
    // Bounded so that the spinning variant stays in seconds; the orderings that matter
    // (arrive / reset / publish against register / re-check / sleep) need fewer preemptions.
    builder.preemption_bound = Some(3);
    builder.check(move || {
        let barrier = Arc::new(Barrier::new());
        let slots: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
        let lasts = Arc::new(AtomicU32::new(0));
        let run = {
            let (barrier, slots, lasts) = (barrier.clone(), slots.clone(), lasts.clone());
            move |me: usize| {
                for round in 1..=rounds {
                    slots[me].store(round, Ordering::Relaxed);
                    if barrier.wait_with(n, spin, spin, || {}) {
                        lasts.fetch_add(1, Ordering::Relaxed);
                    }
                    for s in slots.iter() {
                        assert!(
                            s.load(Ordering::Relaxed) >= round,
                            "a write before the barrier is not visible after it"
                        );
                    }
                }
            }
        };
        let threads: Vec<_> = (1..n as usize)
            .map(|me| {
                let run = run.clone();
                loom::thread::spawn(move || run(me))
            })
            .collect();
        run(0);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(lasts.load(Ordering::Relaxed), rounds);
    });
}

#[test]
fn two_pes_two_rounds() {
    model(2, 2, 0);
}

#[test]
fn two_pes_with_spinning() {
    model(2, 2, 1);
}

#[test]
fn three_pes_two_rounds() {
    model(3, 2, 0);
}
