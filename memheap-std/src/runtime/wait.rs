//! The one blocking-wait loop of the point-to-point, signal, lock and team-collective routines.
//!
//! [`Runtime::wait_until`] polls a condition: it spins briefly (when every PE has a core), then
//! yields the core between polls (PEs may outnumber cores), and every so often checks the job:
//! a `global_exit` from a peer ends this PE with that status, a peer that died ends it with an
//! error. Every wait of those routines goes through it, so a wait never outlives the job.

use super::Runtime;

/// Polls between checks of the job's global-exit word.
const EXIT_CHECK_EVERY: u32 = 256;
/// Polls between checks that every peer process is still alive (a system call per peer).
const PEER_CHECK_EVERY: u32 = 64 * 1024;

impl Runtime {
    /// Wait until `done()` returns `true`. `done` is polled; it must read shared memory with
    /// atomic loads (acquire), so that what the writer published before the store it waits
    /// for is visible when it returns.
    ///
    /// While waiting, a `global_exit` of a peer makes this PE exit with its status, and a peer
    /// that died makes it exit with status 1 and a message (see the module documentation).
    pub fn wait_until(&self, mut done: impl FnMut() -> bool) {
        if done() {
            return;
        }
        let spins = self.spin.0;
        let mut polls: u32 = 0;
        loop {
            if done() {
                return;
            }
            polls = polls.wrapping_add(1);
            if polls < spins {
                std::hint::spin_loop();
                continue;
            }
            std::thread::yield_now();
            if polls % EXIT_CHECK_EVERY == 0 {
                self.check_job(polls % PEER_CHECK_EVERY == 0);
            }
        }
    }
}
