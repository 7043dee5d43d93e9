//! The one check every blocking wait of the runtime makes: [`Runtime::watch`].
//!
//! A PE that waits (in a barrier, a collective call, a team sync, `shmem_TYPE_wait_until` and
//! the other point-to-point waits, a signal wait, a lock, a test loop) must not wait forever
//! for something that can no longer happen. Each round of every wait loop calls
//! [`Runtime::watch`] with a [`Watch`] (the loop's state, fresh per wait) and says what it
//! waits for ([`Awaiting`]). The watch ends the wait when:
//!
//! * **the job ends**: another PE called `global_exit(status)` (this PE exits with that status)
//!   or ended the job after an error it reported (this PE exits with status 1, quietly);
//! * **a peer is gone without finalize**: its process ended (exited, crashed, killed) while it
//!   had not finished `shmem_finalize`: a job failure, reported by this PE, which ends the job;
//! * **the wait is hopeless**: it waits for every PE of a set ([`Awaiting::Pes`]: the job-wide
//!   barrier and collective allocation) and one of them has already finalized, or for every
//!   member of a team or active set ([`Awaiting::Team`]: team syncs, team and active-set
//!   collectives) and one of them has entered finalize (whose job-wide barrier cannot complete
//!   while this PE waits in the team's), or it waits for a change that only
//!   another PE can make ([`Awaiting::Peers`]) and no other PE can make one any more: each has
//!   entered finalize (or returned from `main`, which finalizes implicitly), or is itself
//!   blocked in a point-to-point wait or in the job-wide barrier (which cannot complete while
//!   this PE waits elsewhere). Reported, then the job ends.
//!
//! The job-end check is one atomic load per call. Each wait looks at the peers' states in the
//! rendezvous area at its first call and then every [`CHECK_PERIOD`]; whether the peer
//! processes still exist (a system call each, a bounded number of them per look) is looked at
//! once per [`CHECK_PERIOD`] per PE, by whichever of its waits calls first, so that the many
//! short waits of collective calls make no system call. A hopeless verdict is given only when it holds
//! over a whole period: at a first look every other PE seems unable to act; at the next one,
//! each that is blocked must have been blocked in the same wait since before the first look
//! and, for a point-to-point wait, must have tested its condition again since (and found it
//! false), while this PE's caller has tested its own condition again too. So a change a peer
//! made just before it entered finalize or a wait is never missed: nobody could act during the
//! period, and everybody looked after it.
//!
//! For that, a PE in a point-to-point wait publishes when the wait began and when it last
//! found its condition false; a PE in the job-wide barrier publishes when it began waiting
//! there (after its first sleep in it).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::area::{
    exit_pe, EXIT_SET, STATE_FINALIZED, STATE_FINALIZING, WAIT_BARRIER, WAIT_NONE, WAIT_PEERS,
};
use super::team::PeSet;
use super::Runtime;

/// How often a watch looks at the peers (their states and whether their processes exist).
pub const CHECK_PERIOD: Duration = Duration::from_millis(50);

/// While [`Runtime::wait_until`] spins, it calls the watch once per this many tests.
pub const SPIN_WATCH_EVERY: u64 = 64;

/// Most peer processes one check looks for (the others at the following checks), so that a
/// large job's waits stay cheap.
const LIVENESS_PER_CHECK: usize = 64;

/// What a blocked PE waits for; decides when waiting has become hopeless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaiting {
    /// Every PE of the set must arrive (a barrier, a sync, a collective over a team): hopeless
    /// as soon as one of them has finalized.
    Pes(PeSet),
    /// Every member of a team or active set must arrive in a synchronisation of the team (a
    /// team sync, a team or active-set collective), which is not the job-wide barrier: hopeless
    /// as soon as a member has entered finalize (it waits in the job-wide barrier for this PE,
    /// so it will never arrive here) or finished it.
    Team(PeSet),
    /// A change that only another PE can make (`shmem_TYPE_wait_until` and the other
    /// point-to-point waits, signal waits): hopeless once every other PE has entered finalize.
    /// With a single PE it is never hopeless.
    Peers,
    /// A change this PE may make itself (another thread, under `SHMEM_THREAD_MULTIPLE`), or a
    /// loop that may stop by itself (a test loop): never hopeless; only the end of the job or a
    /// peer gone without finalize ends it.
    Anything,
}

/// The state of one blocking wait, for [`Runtime::watch`]. Start each wait with a fresh one;
/// all-zero bytes are a fresh watch (`#[repr(C)]`: the C header's `memheap_shmem_watch_t` holds
/// one).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    /// Calls so far.
    polls: u64,
    /// Monotonic time (ns) of the next look at the peers; 0: at the first call.
    next_check_ns: u64,
    /// Monotonic time (ns) of the look that first found the wait hopeless; 0: none did.
    suspect_since_ns: u64,
    /// Unused (keeps the layout of the C header's `memheap_shmem_watch_t`: the liveness looks
    /// are paced per PE, not per wait).
    _reserved: u64,
}

impl Watch {
    /// A fresh watch.
    pub const fn new() -> Watch {
        Watch {
            polls: 0,
            next_check_ns: 0,
            suspect_since_ns: 0,
            _reserved: 0,
        }
    }

    /// Calls so far (for pacing: spin at first, then yield).
    pub fn polls(&self) -> u64 {
        self.polls
    }
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Does process `pid` still exist? (A zombie does, until its parent reaps it.)
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

impl Runtime {
    /// The check every blocking wait makes, once per round of its loop (see the
    /// [module documentation](self)): returns when the wait may go on; otherwise ends this
    /// process (and with it, for a failure, the job), after a message when there is something
    /// to report. `what` names the wait for that message (e.g. `"shmem_int_wait_until"`).
    ///
    /// ```no_run
    /// # use memheap_std::runtime::{Awaiting, Watch};
    /// # use std::sync::atomic::{AtomicU64, Ordering};
    /// # fn f(rt: &memheap_std::runtime::Runtime, flag: &AtomicU64) {
    /// let mut watch = Watch::new();
    /// while flag.load(Ordering::Acquire) == 0 {
    ///     rt.watch(&mut watch, Awaiting::Peers, &|| "waiting for the flag".into());
    ///     std::thread::yield_now();
    /// }
    /// # }
    /// ```
    ///
    /// Cost: one atomic load and a clock read per call; at the first call and then every
    /// [`CHECK_PERIOD`], a look at the awaited peers' states; once per [`CHECK_PERIOD`] for the
    /// whole PE (not per wait), a look at up to 64 peer processes.
    pub fn watch(&self, w: &mut Watch, awaiting: Awaiting, what: &dyn Fn() -> String) {
        let mark = if awaiting == Awaiting::Peers {
            WAIT_PEERS
        } else {
            WAIT_NONE
        };
        self.watch_marked(w, awaiting, what, mark);
    }

    /// [`watch`](Runtime::watch), publishing that this PE is blocked in a wait of kind `mark`
    /// (`WAIT_PEERS`: a point-to-point wait; `WAIT_BARRIER`: the job-wide barrier, whose
    /// caller clears the mark when it returns).
    pub(crate) fn watch_marked(
        &self,
        w: &mut Watch,
        awaiting: Awaiting,
        what: &dyn Fn() -> String,
        mark: u32,
    ) {
        w.polls += 1;
        self.follow_job_exit();
        let now = monotonic_ns();
        if mark != WAIT_NONE {
            let me = self.area.slot(self.job.pe);
            if w.polls == 1 {
                me.wait_since.store(now, Ordering::Relaxed);
                me.wait_kind.store(mark, Ordering::Release);
            }
            // Each call follows a test of the wait's condition that failed.
            me.wait_tested.store(now, Ordering::Release);
        }
        // Whether the peer processes exist is a system call per peer: looked at once per
        // period by this PE, whichever of its waits comes first, not at the start of every
        // wait (a collective call waits several times, each wait short).
        let next_liveness = self.next_liveness_ns.load(Ordering::Relaxed);
        if now >= next_liveness
            && self
                .next_liveness_ns
                .compare_exchange(
                    next_liveness,
                    now + CHECK_PERIOD.as_nanos() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            self.fail_if_peer_gone();
        }
        if now < w.next_check_ns {
            return;
        }
        w.next_check_ns = now + CHECK_PERIOD.as_nanos() as u64;
        let since = (w.suspect_since_ns != 0).then_some(w.suspect_since_ns);
        match self.hopeless(awaiting, since) {
            Some(why) if since.is_some() => {
                // A peer gone without finalize is the cause to report, if there is one.
                self.fail_if_peer_gone();
                self.report_and_fail(&format!("{}: {why}; ending the job", what()));
            }
            Some(_) => w.suspect_since_ns = now,
            None => w.suspect_since_ns = 0,
        }
    }

    /// Wait until `done()` holds, calling [`watch`](Runtime::watch) between tests: the one
    /// blocking-wait loop of the runtime's team synchronisations and collectives and of the C
    /// layer's point-to-point, signal and lock waits. `done` must read shared memory with
    /// atomic loads (acquire), so that what the writer published before the store it waits for
    /// is visible when it returns.
    ///
    /// Pacing: when every PE has a core it first spins (a few thousand tests, calling the watch
    /// every [`SPIN_WATCH_EVERY`] of them, so a quick hand-off costs no system call), then
    /// yields the core between tests and watches after each; with more PEs than cores it
    /// yields almost at once.
    pub fn wait_until(
        &self,
        awaiting: Awaiting,
        what: &dyn Fn() -> String,
        mut done: impl FnMut() -> bool,
    ) {
        if done() {
            return;
        }
        let spins = u64::from(self.spin.0);
        let mut w = Watch::new();
        let mut tests: u64 = 1;
        while !done() {
            tests += 1;
            if tests < spins {
                if tests % SPIN_WATCH_EVERY == 0 {
                    self.watch(&mut w, awaiting, what);
                }
                super::sync::spin_hint();
            } else {
                self.watch(&mut w, awaiting, what);
                std::thread::yield_now();
            }
        }
    }

    /// If another PE ended the job (`global_exit`, or after an error it reported), exit with
    /// its status, quietly.
    pub(crate) fn follow_job_exit(&self) {
        let word = self.area.header().exit.load(Ordering::Acquire);
        if word & EXIT_SET != 0 && exit_pe(word) as usize != self.my_pe() {
            self.end_process(word as u32 as i32);
        }
    }

    /// End the job after a report if a peer's process has ended without finishing finalize.
    fn fail_if_peer_gone(&self) {
        if let Some(gone) = self.gone_peer() {
            self.report_and_fail(&format!("{gone}; ending the job"));
        }
    }

    /// A peer whose process has ended without finishing finalize, described; looks at up to
    /// [`LIVENESS_PER_CHECK`] peers, continuing where the last look stopped.
    fn gone_peer(&self) -> Option<String> {
        let n = self.n_pes();
        if n == 1 {
            return None;
        }
        self.liveness_looks.fetch_add(1, Ordering::Relaxed);
        let mut cursor = self.liveness_cursor.load(Ordering::Relaxed);
        for _ in 0..LIVENESS_PER_CHECK.min(n) {
            let pe = (cursor % n as u64) as usize;
            cursor = cursor.wrapping_add(1);
            self.liveness_cursor.store(cursor, Ordering::Relaxed);
            if pe == self.my_pe() {
                continue;
            }
            let slot = self.area.slot(pe as u32);
            if slot.state.load(Ordering::Acquire) == STATE_FINALIZED {
                continue; // it may exit as it likes
            }
            let pid = self.peers[pe].pid;
            if !alive(pid) && slot.state.load(Ordering::Acquire) != STATE_FINALIZED {
                return Some(format!(
                    "PE {pe} (pid {pid}) ended without calling shmem_finalize (it exited or was \
                     killed)"
                ));
            }
        }
        None
    }

    /// Why waiting for `awaiting` can never succeed, if it cannot: a first look when
    /// `suspect_since` is `None`, the confirming one (everything blocked then is blocked since
    /// before `suspect_since` and has tested again after it) otherwise.
    fn hopeless(&self, awaiting: Awaiting, suspect_since: Option<u64>) -> Option<String> {
        let state = |pe: usize| self.area.slot(pe as u32).state.load(Ordering::Acquire);
        // Whether `pe` can make no change: it is finalizing, or blocked.
        let stuck = |pe: usize| {
            if matches!(state(pe), STATE_FINALIZING | STATE_FINALIZED) {
                return true;
            }
            let slot = self.area.slot(pe as u32);
            let kind = slot.wait_kind.load(Ordering::Acquire);
            let began = slot.wait_since.load(Ordering::Relaxed);
            let tested = slot.wait_tested.load(Ordering::Acquire);
            match (kind, suspect_since) {
                (WAIT_PEERS | WAIT_BARRIER, None) => true,
                (WAIT_PEERS, Some(t)) => began <= t && tested > t,
                (WAIT_BARRIER, Some(t)) => began <= t,
                _ => false,
            }
        };
        match awaiting {
            Awaiting::Pes(set) => set
                .iter()
                .filter(|&pe| pe != self.my_pe() && pe < self.n_pes())
                .find(|&pe| state(pe) == STATE_FINALIZED)
                .map(|pe| {
                    format!(
                        "PE {pe} has already finished shmem_finalize (or returned from main), \
                         so it can never arrive"
                    )
                }),
            Awaiting::Team(set) => set
                .iter()
                .filter(|&pe| pe != self.my_pe() && pe < self.n_pes())
                .find(|&pe| matches!(state(pe), STATE_FINALIZING | STATE_FINALIZED))
                .map(|pe| {
                    format!(
                        "PE {pe}, a member of the team, has entered shmem_finalize (or returned \
                         from main), so it can never arrive"
                    )
                }),
            Awaiting::Peers => {
                let others = (0..self.n_pes()).filter(|&pe| pe != self.my_pe());
                let mut others = others.peekable();
                others.peek()?;
                others.all(stuck).then(|| {
                    "every other PE has entered shmem_finalize (or returned from main) or is \
                     itself blocked waiting, so nothing can change what it waits for"
                        .to_string()
                })
            }
            Awaiting::Anything => None,
        }
    }

    /// Print `msg` (this PE's number first) and end the job after an error.
    fn report_and_fail(&self, msg: &str) -> ! {
        super::say(&format!("memheap: PE {}: {msg}", self.my_pe()));
        self.fail_job(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pe_sets() {
        assert_eq!(PeSet::world(3).iter().collect::<Vec<_>>(), [0, 1, 2]);
        let team = PeSet {
            start: 1,
            stride: 2,
            size: 3,
        };
        assert_eq!(team.iter().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(Watch::new(), Watch::default());
        // The C header's memheap_shmem_watch_t is four 64-bit words.
        assert_eq!(std::mem::size_of::<Watch>(), 32);
    }
}
