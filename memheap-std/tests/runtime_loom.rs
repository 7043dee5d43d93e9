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

/// The teams' counted, leader-led barrier (`led_barrier`) and the broadcast release
/// (`release` / `take_release`), over plain words standing for the members' synchronisation
/// words: the leader changes from round to round; after each barrier every member sees every
/// member's write of that round, the leader's work sees them too (and its own write is seen
/// by all after it); a root that releases twice before a member looks loses no release; and
/// every word is back at 0 at the end (a `pSync` is restored).
fn group_model(n: usize, leaders: &'static [usize], broadcasts: bool, preemptions: usize) {
    use loom::sync::atomic::AtomicU64;
    use memheap_std::runtime::{led_barrier, release, take_release};

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    // Waiting is a yield loop, which loom explores branch by branch.
    builder.max_branches = 100_000;
    builder.check(move || {
        let words: Arc<Vec<[AtomicU64; 2]>> = Arc::new(
            (0..n)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
        );
        let data: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
        let work_done = Arc::new(AtomicU64::new(0));
        let payload = Arc::new(AtomicU64::new(0));
        let run = {
            let (words, data, work_done, payload) = (
                words.clone(),
                data.clone(),
                work_done.clone(),
                payload.clone(),
            );
            move |me: usize| {
                let word = |i: usize, idx: usize| Ok(&words[i][idx]);
                let wait = |done: &mut dyn FnMut() -> bool| {
                    while !done() {
                        loom::thread::yield_now();
                    }
                };
                for (round, &leader) in leaders.iter().enumerate() {
                    let round = round as u64 + 1;
                    data[me].store(round, Ordering::Relaxed);
                    led_barrier(n, me, leader, &word, &wait, || {
                        for d in data.iter() {
                            assert!(d.load(Ordering::Relaxed) >= round, "leader misses a write");
                        }
                        work_done.store(round, Ordering::Relaxed);
                        Ok(())
                    })
                    .unwrap();
                    for d in data.iter() {
                        assert!(d.load(Ordering::Relaxed) >= round, "a write is not visible");
                    }
                    assert_eq!(work_done.load(Ordering::Relaxed), round, "work not visible");
                }
                // Two broadcasts from member 0; the root may be two releases ahead.
                if !broadcasts {
                    return;
                }
                if me == 0 {
                    for v in 1..=2 {
                        payload.store(v, Ordering::Relaxed);
                        for i in 1..n {
                            release(&words[i][1]);
                        }
                    }
                } else {
                    take_release(&words[me][1], &wait);
                    assert!(
                        payload.load(Ordering::Relaxed) >= 1,
                        "payload before release"
                    );
                    take_release(&words[me][1], &wait);
                    assert_eq!(payload.load(Ordering::Relaxed), 2, "second payload missing");
                }
            }
        };
        let threads: Vec<_> = (1..n)
            .map(|me| {
                let run = run.clone();
                loom::thread::spawn(move || run(me))
            })
            .collect();
        run(0);
        for t in threads {
            t.join().unwrap();
        }
        for w in words.iter().flatten() {
            assert_eq!(
                w.load(Ordering::Relaxed),
                0,
                "a synchronisation word is not back at 0"
            );
        }
    });
}

// Two PEs only: with waits as yield loops, loom's search for three PEs takes minutes even at
// one preemption. The two-PE model covers the protocol's races (a fast member's next arrival
// against the leader's reset, a release sent before the member waits, the leader changing).
#[test]
fn team_barrier_two_pes_changing_leader() {
    group_model(2, &[0, 1, 1], true, 3);
}
