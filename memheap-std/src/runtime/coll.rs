//! Data collectives over a [`Team`] (or an active set): broadcast, collect, fcollect,
//! all-to-all (strided) and reductions.
//!
//! Data moves through the mappings (or, for static data that is not shared,
//! `process_vm_readv/writev`); no source changes and no destination is in use meanwhile:
//! * broadcast: the specification has every destination ready before any PE calls, so the
//!   root writes its source into every destination and releases each member, which only waits
//!   for that release (no barrier; a root may run ahead);
//! * reduce: one barrier led by member 0, which, between the arrivals and the releases,
//!   combines the members' sources in team order and writes the result into every destination
//!   (so every PE gets bit-identical results, also in floating point);
//! * collect, fcollect and all-to-all: every PE *pulls* its own destination between two
//!   barriers (the first makes every source ready, the second keeps them unchanged until all
//!   have read), so the copying runs on every PE at once.
//!
//! Sizes are in bytes; the C layer turns element counts into bytes with overflow checks.

use super::team::Team;
use super::{Error, Runtime};

impl Runtime {
    /// Check that `[addr, addr+len)` is symmetric here and a program may target it (writable
    /// when `write`: a destination): each member checks its own side before the first
    /// barrier, so a bad argument is reported before anyone waits.
    fn check_coll_buffer(&self, addr: *const u8, len: usize, write: bool) -> Result<(), Error> {
        if len == 0 {
            return Ok(());
        }
        self.live()?;
        self.check_symmetric(addr, len, write)
    }

    /// Broadcast `len` bytes of `src` on team member `root` to `dest` on every member (also
    /// on `root` when `root_too`, as the 1.5 team routines do; the deprecated active-set
    /// routines leave the root's `dest` alone). `dest == src` is allowed. As the specification
    /// requires, every member's `dest` must be ready to be written before any member calls
    /// (the root writes it without waiting for the member); a member returns once its `dest`
    /// holds the data, the root once it has written every `dest`.
    ///
    /// # Safety
    /// `dest` is valid for `len` bytes of writes on this PE and no other thread uses it during
    /// the call; `src` and `dest` are symmetric (checked).
    pub unsafe fn broadcast(
        &self,
        team: &Team,
        dest: *mut u8,
        src: *const u8,
        len: usize,
        root: usize,
        root_too: bool,
    ) -> Result<(), Error> {
        if team.world_pe(root).is_none() {
            return Err(Error::Unsupported(format!(
                "PE_root {root} is not a PE of the team (it has {} PEs)",
                team.n_pes()
            )));
        }
        self.check_coll_buffer(dest, len, true)?;
        self.check_coll_buffer(src, len, false)?;
        // The specification makes every destination ready before any PE calls, so the root
        // writes into them at once and then releases each member; a member only waits for
        // its release. Releases are counted, so a root may run ahead by several broadcasts.
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if team.my_pe() != root {
            return self.team_wait_release(team);
        }
        for i in 0..team.n_pes() {
            if i == root {
                if root_too && !std::ptr::eq(dest, src) {
                    // SAFETY: both ours and symmetric (checked); `copy` allows overlap.
                    unsafe { std::ptr::copy(src, dest, len) };
                }
                continue;
            }
            // SAFETY: `src` is our own symmetric source (checked), valid for `len` reads;
            // member i's `dest` is symmetric (checked by `put_bytes`) and ready (contract).
            unsafe { self.put_bytes(dest, src, len, team.set().pe(i)) }?;
            self.team_release(team, i)?;
        }
        Ok(())
    }

    /// Concatenate every member's `len` bytes of `src` in `dest` in team order. With
    /// `fixed` (`fcollect`) every member gives the same `len`; otherwise (`collect`) each
    /// gives its own, published to the others first. `dest` must hold the total.
    ///
    /// # Safety
    /// `dest` is valid for the total's bytes of writes; `src` symmetric (checked).
    pub unsafe fn collect(
        &self,
        team: &Team,
        dest: *mut u8,
        src: *const u8,
        len: usize,
        fixed: bool,
    ) -> Result<(), Error> {
        self.check_coll_buffer(src, len, false)?;
        if !fixed {
            self.team_publish(team, 2, len as u64)?;
        }
        self.team_barrier(team)?;
        let mut at = 0usize;
        for i in 0..team.n_pes() {
            let l = if fixed {
                len
            } else {
                self.team_read(team, 2, i)? as usize
            };
            let pe = team.set().pe(i);
            // SAFETY: `dest` holds the total (caller), of which `at..at+l` is member i's part;
            // `src` symmetric.
            unsafe { self.get_bytes(dest.wrapping_add(at), src, l, pe) }?;
            at += l;
        }
        self.team_barrier(team)?;
        if !fixed {
            // Back to SHMEM_SYNC_VALUE (every member has read it).
            self.team_publish(team, 2, 0)?;
        }
        Ok(())
    }

    /// All-to-all: block `j` of `dest` on this PE receives block `my_pe` of `src` on member
    /// `j`; a block is `nelems` elements of `elem` bytes, element `k` of a block sits at
    /// `k * stride` elements (`dst` for `dest`, `sst` for `src`; 1 and 1 for `alltoall`).
    ///
    /// # Safety
    /// `dest` is valid for the strided writes; `src` symmetric (checked element by element).
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn alltoalls(
        &self,
        team: &Team,
        dest: *mut u8,
        src: *const u8,
        dst: isize,
        sst: isize,
        nelems: usize,
        elem: usize,
    ) -> Result<(), Error> {
        let n = team.n_pes();
        let too_big = || Error::Unsupported("the block sizes overflow the address space".into());
        let total = n
            .checked_mul(nelems)
            .and_then(|t| t.checked_mul(elem))
            .ok_or_else(too_big)?;
        if dst == 1 && sst == 1 {
            self.check_coll_buffer(src, total, false)?;
        }
        self.team_barrier(team)?;
        let me = team.my_pe();
        for j in 0..n {
            let pe = team.set().pe(j);
            if dst == 1 && sst == 1 {
                let block = nelems * elem;
                // SAFETY: `dest` holds `n` blocks (caller); `src` symmetric with `n` blocks.
                unsafe {
                    self.get_bytes(
                        dest.wrapping_add(j * block),
                        src.wrapping_add(me * block),
                        block,
                        pe,
                    )
                }?;
                continue;
            }
            for k in 0..nelems {
                let d = ((j * nelems + k) as isize)
                    .checked_mul(dst)
                    .and_then(|x| x.checked_mul(elem as isize))
                    .ok_or_else(too_big)?;
                let s = ((me * nelems + k) as isize)
                    .checked_mul(sst)
                    .and_then(|x| x.checked_mul(elem as isize))
                    .ok_or_else(too_big)?;
                // SAFETY: the caller's strided destination; the source is checked to be
                // symmetric by `get_bytes`.
                unsafe {
                    self.get_bytes(dest.wrapping_offset(d), src.wrapping_offset(s), elem, pe)
                }?;
            }
        }
        self.team_barrier(team)
    }

    /// Reduce `len` bytes of `src` over the team into `dest` on every member: the result
    /// starts as member 0's bytes and `combine(acc, next)` folds in members 1, 2, ... in
    /// order. `dest == src` is allowed.
    ///
    /// # Safety
    /// `dest` is valid for `len` bytes of writes; `src` symmetric (checked).
    pub unsafe fn reduce(
        &self,
        team: &Team,
        dest: *mut u8,
        src: *const u8,
        len: usize,
        combine: &mut dyn FnMut(&mut [u8], &[u8]),
    ) -> Result<(), Error> {
        self.check_coll_buffer(src, len, false)?;
        self.check_coll_buffer(dest, len, true)?;
        // Member 0 combines every member's source once all have arrived, writes the result to
        // every member's destination, then releases them.
        self.team_barrier_led(team, 0, || {
            let mut acc = vec![0u8; len];
            let mut next = vec![0u8; if team.n_pes() > 1 { len } else { 0 }];
            for i in 0..team.n_pes() {
                let buf = if i == 0 { &mut acc } else { &mut next };
                // SAFETY: `buf` holds `len` bytes; `src` symmetric.
                unsafe { self.get_bytes(buf.as_mut_ptr(), src, len, team.set().pe(i)) }?;
                if i > 0 {
                    combine(&mut acc, &next);
                }
            }
            for i in 0..team.n_pes() {
                // SAFETY: `acc` holds `len` bytes; member i's `dest` is symmetric (checked by
                // `put_bytes`) and not in use until the member is released.
                unsafe { self.put_bytes(dest, acc.as_ptr(), len, team.set().pe(i)) }?;
            }
            Ok(())
        })
    }
}
