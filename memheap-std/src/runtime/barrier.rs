//! A barrier over shared memory, for threads or for processes that map the same words.

use super::sync::{
    fence, futex_wait, futex_wake_all, spin_hint, yield_now, AtomicU32, Ordering, Parking,
};

/// How long one futex sleep lasts before the waiter re-checks and runs its idle hook.
pub(crate) const SLEEP_SLICE_MS: u32 = 100;

/// A reusable barrier for `n` participants over three 32-bit words (a centralised
/// generation-counter barrier).
///
/// It holds no pointers, so it works when placed in memory shared by several processes
/// (`MAP_SHARED`): the runtime keeps one in the job's rendezvous area, where all-zero bytes are
/// a valid, fresh barrier. Each participant calls [`wait`](Barrier::wait) with the same `n`.
///
/// Protocol: a participant reads the generation, then increments `arrived`; the one that
/// brings it to `n` resets `arrived` to 0 and publishes generation + 1 (release), waking any
/// sleepers. The others spin briefly on the generation, then sleep on it with `FUTEX_WAIT`
/// (not `FUTEX_PRIVATE`, so it works across processes), registering in `sleepers` first so the
/// releaser makes the wake-up system call only when someone sleeps. Everything written before
/// `wait` by any participant is visible to every participant after it returns.
///
/// Complexity: `O(n)` atomic increments on one cache line per round; one `FUTEX_WAKE` per
/// round when anyone slept. When there are more participants than cores, use a small spin
/// count so waiting participants give the core to the ones that still have to arrive.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct Barrier {
    arrived: AtomicU32,
    generation: AtomicU32,
    sleepers: AtomicU32,
    /// Zero-sized in production (the kernel keeps the futex queue).
    parking: Parking,
}

impl Default for Barrier {
    fn default() -> Self {
        Self::new()
    }
}

impl Barrier {
    /// A fresh barrier (equivalent to all-zero bytes).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Barrier {
            arrived: AtomicU32::new(0),
            generation: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            parking: Parking::new(),
        }
    }

    /// A fresh barrier (loom build).
    #[cfg(loom)]
    pub fn new() -> Self {
        Barrier {
            arrived: AtomicU32::new(0),
            generation: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            parking: Parking::new(),
        }
    }

    /// Wait until `n` participants have called `wait` for this round; spin up to 1000 polls,
    /// then yield the core up to 100 times, before sleeping.
    ///
    /// Returns `true` for exactly one participant per round (the last to arrive).
    pub fn wait(&self, n: u32) -> bool {
        self.wait_with(n, 1000, 100, || {})
    }

    /// [`wait`](Barrier::wait) with a budget of `polls` busy polls, then `yields` polls each
    /// after `sched_yield`, before sleeping on the futex; `idle` runs each time a sleep slice
    /// (100 ms) ends without the barrier completing — the runtime uses it to notice a
    /// `global_exit` or a dead peer instead of waiting forever.
    ///
    /// Busy polling suits participants that each have a core; with more participants than
    /// cores, yielding gives the core to one that still has to arrive, which is cheaper than a
    /// futex sleep and wake-up (measured: 4 PEs on 2 cores, about 5 µs per round instead of 24).
    ///
    /// Returns `true` for exactly one participant per round (the last to arrive).
    pub fn wait_with(&self, n: u32, polls: u32, yields: u32, mut idle: impl FnMut()) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        // The round cannot complete before our own arrival, so `generation` is this round's.
        if self.arrived.fetch_add(1, Ordering::AcqRel).wrapping_add(1) >= n {
            // Last arrival: every other participant's writes happen-before this point (the
            // fetch_adds form a release sequence). Reset for the next round *before* publishing
            // the new generation, so a participant that sees it also sees `arrived == 0`.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation
                .store(generation.wrapping_add(1), Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if self.sleepers.load(Ordering::SeqCst) != 0 {
                futex_wake_all(&self.parking, &self.generation);
            }
            return true;
        }
        for i in 0..polls.saturating_add(yields) {
            if self.generation.load(Ordering::Acquire) != generation {
                return false;
            }
            if i < polls {
                spin_hint();
            } else {
                yield_now();
            }
        }
        loop {
            // Either the releaser sees us in `sleepers` and wakes us, or we see the new
            // generation here or in the kernel's compare: a store-buffering pattern, made safe
            // by a SeqCst fence between the store and the load on both sides.
            self.sleepers.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if self.generation.load(Ordering::SeqCst) == generation {
                futex_wait(&self.parking, &self.generation, generation, SLEEP_SLICE_MS);
            }
            self.sleepers.fetch_sub(1, Ordering::Relaxed);
            if self.generation.load(Ordering::Acquire) != generation {
                return false;
            }
            idle();
        }
    }

    /// Wake every sleeper so that it re-checks (and runs its idle hook). Used by
    /// `global_exit` so peers blocked in a barrier notice at once.
    pub fn nudge(&self) {
        futex_wake_all(&self.parking, &self.generation);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;

    #[test]
    fn threads_see_each_others_writes() {
        const N: usize = 5;
        const ROUNDS: u64 = 200;
        let barrier = Arc::new(Barrier::new());
        let slots: Arc<Vec<AtomicU64>> = Arc::new((0..N).map(|_| AtomicU64::new(0)).collect());
        let threads: Vec<_> = (0..N)
            .map(|i| {
                let (barrier, slots) = (barrier.clone(), slots.clone());
                std::thread::spawn(move || {
                    let mut last = 0;
                    for round in 1..=ROUNDS {
                        slots[i].store(round, Ordering::Relaxed);
                        last += barrier.wait_with(N as u32, (i as u32) * 50, i as u32 % 2, || {})
                            as u32;
                        for s in slots.iter() {
                            assert!(s.load(Ordering::Relaxed) >= round);
                        }
                        barrier.wait(N as u32);
                    }
                    last
                })
            })
            .collect();
        let lasts: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(lasts as u64, ROUNDS);
    }

    #[test]
    fn one_participant_never_blocks() {
        let b = Barrier::new();
        for _ in 0..10 {
            assert!(b.wait(1));
        }
    }
}
