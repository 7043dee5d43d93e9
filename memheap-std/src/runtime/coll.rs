//! Data collectives over a [`Team`] (or an active set): broadcast, collect, fcollect,
//! all-to-all (strided) and reductions.
//!
//! Every PE *pulls* what it needs from the other members' symmetric buffers through the
//! mappings (or, for static data that is not shared, `process_vm_readv`), between two team
//! barriers: the first makes every member's source ready, the second keeps every source
//! unchanged (and every destination that is also a source unwritten) until all have read.
//! Reductions combine the members' contributions in team order on every PE, so every PE gets
//! bit-identical results (also for floating point).
//!
//! Sizes are in bytes; the C layer turns element counts into bytes with overflow checks.

use super::team::Team;
use super::{Error, Runtime};

impl Runtime {
    /// Check that `[addr, addr+len)` is symmetric here (each member checks its own side before
    /// the first barrier, so a bad argument is reported before anyone waits).
    fn check_local(&self, addr: *const u8, len: usize) -> Result<(), Error> {
        if len == 0 {
            return Ok(());
        }
        self.live()?;
        self.check_symmetric(addr as usize, len)
    }

    /// Broadcast `len` bytes of `src` on team member `root` to `dest` on every member (also
    /// on `root` when `root_too`, as the 1.5 team routines do; the deprecated active-set
    /// routines leave the root's `dest` alone). `dest == src` is allowed.
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
        let Some(root_pe) = team.world_pe(root) else {
            return Err(Error::Unsupported(format!(
                "PE_root {root} is not a PE of the team (it has {} PEs)",
                team.n_pes()
            )));
        };
        self.check_local(dest, len)?;
        self.check_local(src, len)?;
        self.team_barrier(team)?;
        let mine = team.my_pe() == root;
        if !mine || (root_too && !std::ptr::eq(dest, src)) {
            // SAFETY: `dest` valid for `len` writes (caller); `src` symmetric (checked).
            unsafe { self.get_bytes(dest, src, len, root_pe) }?;
        }
        self.team_barrier(team)
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
        self.check_local(src, len)?;
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
            self.check_local(src, total)?;
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
        self.check_local(src, len)?;
        self.check_local(dest, len)?;
        self.team_barrier(team)?;
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
        self.team_barrier(team)?;
        // SAFETY: `dest` valid for `len` writes (caller); `acc` is our own buffer.
        unsafe { std::ptr::copy_nonoverlapping(acc.as_ptr(), dest, len) };
        Ok(())
    }
}
