//! Teams and active sets: groups of PEs, their barrier, and team creation.
//!
//! A group is an arithmetic progression of world PEs ([`PeSet`]); every team of OpenSHMEM
//! 1.5 is one (a team split from a strided team is strided again), and so is a deprecated
//! active set (`PE_start`, `2^logPE_stride`, `PE_size`).
//!
//! **Synchronisation words.** A group synchronises through a few 64-bit words at one symmetric
//! address (the same on every member): for a team, its slot in the runtime's sync area (in the
//! private part of the symmetric segment); for an active set, the program's `pSync` array.
//! Word 0 of the group's first PE counts arrivals; word 1 of each other member is its release
//! flag; words 2 and 3 carry what a member publishes to the others (its `collect` size, its
//! free team slots). Every word is back to 0 when a barrier returns, so a `pSync` array stays
//! at `SHMEM_SYNC_VALUE` (0) between calls, as the specification requires.
//!
//! **Barrier** ([`Runtime::team_barrier`]): every member but a leader (the first, unless a
//! collective names another) adds 1 to the leader's word 0 and waits for its own word 1; the
//! leader waits until the count is complete, takes it back, and adds 1 to every other member's
//! word 1 (release operations after an acquire of all the arrivals, so everything any member
//! wrote before the barrier is visible to all after it); a released member takes its 1 back.
//! Both words count (nothing is stored over them), so a release that arrives early is never
//! lost, and every word is 0 between calls: any member can lead any call. A collective may give
//! the leader work to do between the arrivals and the releases (reduce does all its copying
//! there: one synchronisation per call); broadcast only releases (see `coll`).
//!
//! **Team creation** ([`Runtime::team_split`]) is collective over the parent team: each PE
//! publishes its free slots, the parent synchronises, every PE takes the same lowest slots
//! free on all of them (so the new teams, disjoint sets of PEs, each use the same slot on
//! their members), members clear their words of it, and the parent synchronises again.

use super::sync::{fence, AtomicU64, Ordering};

use super::{Awaiting, Error, Runtime};

/// What a wait inside a team synchronisation is, for the message when it can never end.
fn team_sync() -> String {
    "a team synchronisation (shmem_team_sync, shmem_sync, shmem_barrier or a collective over a \
     team or active set)"
        .to_string()
}

/// Number of team slots in the sync area: the world team, the shared team and 126 others.
pub(crate) const SLOTS: usize = 128;
/// Bytes of one slot (one cache line of eight words).
pub(crate) const SLOT_BYTES: usize = 64;
/// Slot of `SHMEM_TEAM_WORLD`.
pub(crate) const SLOT_WORLD: u32 = 0;
/// Slot of `SHMEM_TEAM_SHARED`.
pub(crate) const SLOT_SHARED: u32 = 1;

/// Words of a group's synchronisation area that the collectives use (a `pSync` array must
/// hold at least this many `long`s).
pub const SYNC_WORDS: usize = 4;

/// World PEs `start + i * stride` for `i` in `0..size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeSet {
    /// The first PE (world number).
    pub start: usize,
    /// Distance between consecutive members (may be negative; 0 only when `size` is 1).
    pub stride: isize,
    /// Number of members (at least 1).
    pub size: usize,
}

impl PeSet {
    /// Every PE of a job of `n_pes`.
    pub const fn world(n_pes: usize) -> PeSet {
        PeSet {
            start: 0,
            stride: 1,
            size: n_pes,
        }
    }

    /// The members, in order (world numbers).
    pub fn iter(&self) -> impl Iterator<Item = usize> {
        let set = *self;
        (0..set.size).map(move |i| set.pe(i))
    }

    /// World number of member `i` (`i < size`).
    pub fn pe(&self, i: usize) -> usize {
        (self.start as isize + i as isize * self.stride) as usize
    }

    /// Index of world PE `pe` in the set, if it is a member.
    pub fn index_of(&self, pe: usize) -> Option<usize> {
        let d = pe as isize - self.start as isize;
        if self.stride == 0 {
            return (d == 0).then_some(0);
        }
        if d % self.stride != 0 {
            return None;
        }
        let i = d / self.stride;
        (i >= 0 && (i as usize) < self.size).then_some(i as usize)
    }

    /// Members `start, start + stride, ...` of `self` (indices into `self`) as a set of world
    /// PEs, if every one of them is a member of `self`.
    pub fn subset(&self, start: isize, stride: isize, size: usize) -> Option<PeSet> {
        if size == 0 || start < 0 || (stride == 0 && size > 1) {
            return None;
        }
        let last = start.checked_add(stride.checked_mul(size as isize - 1)?)?;
        let n = self.size as isize;
        if start >= n || last < 0 || last >= n {
            return None;
        }
        Some(PeSet {
            start: self.pe(start as usize),
            stride: stride.checked_mul(self.stride)?,
            size,
        })
    }
}

/// A group of PEs that synchronise together: a team, or an active set with its `pSync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Team {
    set: PeSet,
    me: usize,
    /// Symmetric address of the group's synchronisation words.
    sync: usize,
    /// The team's slot in the sync area (`None` for an active set).
    slot: Option<u32>,
}

impl Team {
    /// The members.
    pub fn set(&self) -> PeSet {
        self.set
    }

    /// This PE's index in the team.
    pub fn my_pe(&self) -> usize {
        self.me
    }

    /// Number of members.
    pub fn n_pes(&self) -> usize {
        self.set.size
    }

    /// World number of member `i`, if `i` is one.
    pub fn world_pe(&self, i: usize) -> Option<usize> {
        (i < self.set.size).then(|| self.set.pe(i))
    }
}

/// This PE's free team slots (bit set = free).
#[derive(Debug)]
pub(crate) struct Slots(std::sync::Mutex<u128>);

impl Slots {
    pub(crate) fn new() -> Slots {
        Slots(std::sync::Mutex::new(
            !((1u128 << SLOT_WORLD) | (1u128 << SLOT_SHARED)),
        ))
    }
}

/// Word `idx` (0: counter, 1: release) of member `i` of a group.
pub type GroupWord<'w> = dyn Fn(usize, usize) -> Result<&'w AtomicU64, Error> + 'w;

/// Waits until a condition holds (the runtime passes [`Runtime::wait_until`], which runs
/// [`Runtime::watch`] between tests, so the job's end or a departed member ends the wait).
pub type Wait<'w> = dyn Fn(&mut dyn FnMut() -> bool) + 'w;

/// The counted barrier of a group of `n` members, as member `me` runs it, led by member
/// `leader` (every member passes the same): the members' words come from `word`, waits go
/// through `wait`, and the leader runs `work` after every member has arrived and before any
/// is released (see the module documentation). The runtime's team barrier and collectives
/// are this function over the words in its sync area or a `pSync`; the loom model in
/// `tests/runtime_loom.rs` runs it over plain words.
pub fn led_barrier<'w>(
    n: usize,
    me: usize,
    leader: usize,
    word: &GroupWord<'w>,
    wait: &Wait<'_>,
    work: impl FnOnce() -> Result<(), Error>,
) -> Result<(), Error> {
    fence(Ordering::SeqCst);
    if n == 1 {
        return work();
    }
    if me == leader {
        let arrived = word(leader, 0)?;
        wait(&mut || arrived.load(Ordering::Acquire) >= n as u64 - 1);
        arrived.fetch_sub(n as u64 - 1, Ordering::Relaxed);
        let done = work();
        for i in (0..n).filter(|&i| i != leader) {
            release(word(i, 1)?);
        }
        done
    } else {
        let mine = word(me, 1)?;
        word(leader, 0)?.fetch_add(1, Ordering::AcqRel);
        take_release(mine, wait);
        Ok(())
    }
}

/// Release a member through its release word: add 1, with release ordering, so what the
/// caller wrote before is visible to the member once it sees the release.
pub fn release(word: &AtomicU64) {
    word.fetch_add(1, Ordering::Release);
}

/// Wait for a release on this member's release word and take it back. Releases are counted,
/// so one sent before the member got here is neither lost nor merged with the next.
pub fn take_release(word: &AtomicU64, wait: &Wait<'_>) {
    wait(&mut || word.load(Ordering::Acquire) != 0);
    word.fetch_sub(1, Ordering::Relaxed);
}

impl Runtime {
    fn slot_sync(&self, slot: u32) -> Result<usize, Error> {
        match self.reach.sync_base() {
            Some(base) => Ok(base + super::reach::INFO_BYTES + slot as usize * SLOT_BYTES),
            None => Err(Error::Unsupported(
                "teams need the runtime's sync area, which could not be allocated".into(),
            )),
        }
    }

    /// `SHMEM_TEAM_WORLD`: every PE.
    pub fn world_team(&self) -> Result<Team, Error> {
        Ok(Team {
            set: PeSet {
                start: 0,
                stride: 1,
                size: self.n_pes(),
            },
            me: self.my_pe(),
            sync: self.slot_sync(SLOT_WORLD)?,
            slot: Some(SLOT_WORLD),
        })
    }

    /// `SHMEM_TEAM_SHARED`: the PEs that share memory with this one, which on this
    /// single-node runtime is every PE (a team of its own, with its own slot).
    pub fn shared_team(&self) -> Result<Team, Error> {
        Ok(Team {
            slot: Some(SLOT_SHARED),
            sync: self.slot_sync(SLOT_SHARED)?,
            ..self.world_team()?
        })
    }

    /// The active set `PE_start, 2^log_stride, size` of the deprecated collectives, which
    /// synchronise through `psync` (a symmetric array of at least [`SYNC_WORDS`] words, all
    /// `SHMEM_SYNC_VALUE`, i.e. 0). This PE must be a member.
    pub fn active_set(
        &self,
        start: i32,
        log_stride: i32,
        size: i32,
        psync: *mut i64,
    ) -> Result<Team, Error> {
        let n = self.n_pes();
        let bad = |why: String| Err(Error::Unsupported(why));
        if !(0..31).contains(&log_stride) {
            return bad(format!("logPE_stride {log_stride} is out of range"));
        }
        if start < 0 || size < 1 {
            return bad(format!(
                "active set PE_start {start}, PE_size {size}: both must be >= 0, PE_size >= 1"
            ));
        }
        let stride = 1isize << log_stride;
        let world = PeSet {
            start: 0,
            stride: 1,
            size: n,
        };
        let Some(set) = world.subset(start as isize, stride, size as usize) else {
            return bad(format!(
                "active set PE_start {start}, logPE_stride {log_stride}, PE_size {size} names PEs \
                 outside the job (PEs 0..{})",
                n - 1
            ));
        };
        let Some(me) = set.index_of(self.my_pe()) else {
            return bad(format!(
                "this PE is not in the active set PE_start {start}, logPE_stride {log_stride}, \
                 PE_size {size}"
            ));
        };
        let sync = psync as usize;
        if sync % 8 != 0 || self.remote_ptr(sync, SYNC_WORDS * 8, self.my_pe()).is_err() {
            return bad(format!(
                "pSync {psync:p} is not a symmetric, 8-byte aligned array of {SYNC_WORDS} longs"
            ));
        }
        Ok(Team {
            set,
            me,
            sync,
            slot: None,
        })
    }

    /// Word `idx` of the synchronisation words at symmetric address `sync`, on world PE `pe`.
    fn sync_word(&self, sync: usize, idx: usize, pe: usize) -> Result<&AtomicU64, Error> {
        let p = self.sync_ptr(sync + idx * 8, 8, pe)?;
        // SAFETY: `sync_ptr` checked that the 8 bytes are symmetric memory of `pe` mapped
        // read/write in this process until finalize (which needs every PE, so no member is
        // still in a collective); `sync` is 8-aligned (checked when the group was made, and
        // slots are), so it is a valid, aligned atomic word; concurrent access is atomic only.
        Ok(unsafe { &*(p as *const AtomicU64) })
    }

    /// Barrier over the team's members (every member must call it): a fence, then nobody
    /// returns before every member has arrived; everything a member wrote before it is visible
    /// to every member after it. Waits through [`wait_until`](Runtime::wait_until) (every
    /// member must arrive: a member that has finalized, a peer gone, or the job's end ends the
    /// wait; see [`watch`](Runtime::watch)).
    pub fn team_barrier(&self, team: &Team) -> Result<(), Error> {
        self.team_barrier_led(team, 0, || Ok(()))
    }

    /// [`team_barrier`](Runtime::team_barrier) counted at member `leader` (every member passes
    /// the same), which runs `work` once every member has arrived and before any leaves: the
    /// leader sees everything the members wrote before the barrier, and they see everything
    /// `work` wrote after it. The collectives use it to do their whole data movement inside
    /// one barrier. Only the leader's `work` runs (the others' is dropped); its error is
    /// returned after the members are released.
    pub(crate) fn team_barrier_led(
        &self,
        team: &Team,
        leader: usize,
        work: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        led_barrier(
            team.set.size,
            team.me,
            leader,
            &|i, idx| self.sync_word(team.sync, idx, team.set.pe(i)),
            &|done| self.wait_until(Awaiting::Team(team.set), &team_sync, done),
            work,
        )
    }

    /// Release member `i` (see [`release`]).
    pub(crate) fn team_release(&self, team: &Team, i: usize) -> Result<(), Error> {
        release(self.sync_word(team.sync, 1, team.set.pe(i))?);
        Ok(())
    }

    /// Wait for a release of this PE and take it (see [`take_release`]).
    pub(crate) fn team_wait_release(&self, team: &Team) -> Result<(), Error> {
        take_release(self.sync_word(team.sync, 1, self.my_pe())?, &|done| {
            self.wait_until(Awaiting::Team(team.set), &team_sync, done)
        });
        Ok(())
    }

    /// Publish `value` in this PE's word `idx` (2 or 3) of the team's words.
    pub(crate) fn team_publish(&self, team: &Team, idx: usize, value: u64) -> Result<(), Error> {
        self.sync_word(team.sync, idx, self.my_pe())?
            .store(value, Ordering::Relaxed);
        Ok(())
    }

    /// Read member `i`'s word `idx` (after a barrier that follows its `team_publish`).
    pub(crate) fn team_read(&self, team: &Team, idx: usize, i: usize) -> Result<u64, Error> {
        Ok(self
            .sync_word(team.sync, idx, team.set.pe(i))?
            .load(Ordering::Relaxed))
    }

    /// Create teams from `parent`, collectively over every member of `parent` (each calls it
    /// with its own `sets`, in the same order and number): `sets[k]` is the `k`-th team this PE
    /// joins, as world PEs, or `None`. Every team made in one call by different PEs must be
    /// either identical or disjoint. Returns this PE's team for each entry (`None` where it
    /// is not a member). Fails on every PE alike when the PEs have no common free slots.
    pub fn team_split(
        &self,
        parent: &Team,
        sets: &[Option<PeSet>],
    ) -> Result<Vec<Option<Team>>, Error> {
        let me = self.my_pe();
        // Held across the parent's barriers: team creation is serialised on each PE.
        let mut free = self.teams.0.lock().unwrap_or_else(|e| e.into_inner());
        self.team_publish(parent, 2, *free as u64)?;
        self.team_publish(parent, 3, (*free >> 64) as u64)?;
        self.team_barrier(parent)?;
        let mut common = u128::MAX;
        for i in 0..parent.set.size {
            let lo = self.team_read(parent, 2, i)? as u128;
            let hi = self.team_read(parent, 3, i)? as u128;
            common &= lo | hi << 64;
        }
        let mut chosen = Vec::with_capacity(sets.len());
        for _ in sets {
            if common == 0 {
                break;
            }
            let s = common.trailing_zeros();
            common &= !(1u128 << s);
            chosen.push(s);
        }
        let enough = chosen.len() == sets.len();
        let mut out = Vec::with_capacity(sets.len());
        if enough {
            for (set, &slot) in sets.iter().zip(&chosen) {
                let team = match set.and_then(|s| s.index_of(me).map(|i| (s, i))) {
                    Some((set, i)) => {
                        let sync = self.slot_sync(slot)?;
                        for w in 0..SLOT_BYTES / 8 {
                            self.sync_word(sync, w, me)?.store(0, Ordering::Relaxed);
                        }
                        *free &= !(1u128 << slot);
                        Some(Team {
                            set,
                            me: i,
                            sync,
                            slot: Some(slot),
                        })
                    }
                    None => None,
                };
                out.push(team);
            }
        }
        // Nobody may use a new slot before every member has cleared its words, nor publish
        // again in the parent's words before everyone has read them.
        self.team_barrier(parent)?;
        if !enough {
            return Err(Error::Unsupported(format!(
                "no free team slot common to the parent team's PEs ({} teams at most)",
                SLOTS - 2
            )));
        }
        Ok(out)
    }

    /// Give back the slot of a team made by [`team_split`](Runtime::team_split) (the world
    /// and shared teams and active sets have none to give back).
    pub fn team_destroy(&self, team: Team) {
        if let Some(slot) = team.slot.filter(|&s| s != SLOT_WORLD && s != SLOT_SHARED) {
            *self.teams.0.lock().unwrap_or_else(|e| e.into_inner()) |= 1u128 << slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PeSet;

    #[test]
    fn sets_index_and_subsets() {
        let world = PeSet {
            start: 0,
            stride: 1,
            size: 8,
        };
        let odd = world.subset(1, 2, 4).unwrap();
        assert_eq!((odd.start, odd.stride, odd.size), (1, 2, 4));
        assert_eq!(odd.index_of(5), Some(2));
        assert_eq!(odd.index_of(4), None);
        assert_eq!(odd.index_of(9), None);
        let back = world.subset(7, -1, 8).unwrap();
        assert_eq!(back.pe(0), 7);
        assert_eq!(back.pe(7), 0);
        assert_eq!(back.index_of(6), Some(1));
        // A subset of a subset composes the strides.
        let s = odd.subset(3, -2, 2).unwrap();
        assert_eq!((s.pe(0), s.pe(1)), (7, 3));
        assert_eq!(world.subset(0, 1, 9), None);
        assert_eq!(world.subset(6, 2, 2), None);
        assert_eq!(world.subset(0, 0, 2), None);
        assert_eq!(world.subset(3, 0, 1).unwrap().index_of(3), Some(0));
        assert_eq!(world.subset(-1, 1, 1), None);
        assert_eq!(world.subset(0, isize::MAX, 3), None);
    }
}
