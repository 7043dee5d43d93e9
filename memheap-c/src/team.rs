//! Teams and contexts: `shmem_team_*`, `shmem_ctx_create/destroy/get_team`,
//! `shmem_team_create_ctx`, and the handle registry behind `shmem_team_t` and `shmem_ctx_t`.
//!
//! Handles are numbers, never pointers the library dereferences: `SHMEM_TEAM_INVALID` and
//! `SHMEM_CTX_INVALID` are 0, `SHMEM_TEAM_WORLD` and `SHMEM_CTX_DEFAULT` 1, `SHMEM_TEAM_SHARED`
//! 2, and every team or context the program creates gets a fresh number from a registry. A
//! destroyed or made-up handle is therefore recognised (an error naming the routine, or the
//! specification's "invalid" answer), never a wild access.
//!
//! A context belongs to a team: PE numbers given to the context's RMA and atomic routines are
//! numbers in that team. Operations complete when the call returns on this shared-memory
//! runtime, so a context needs no resources of its own; `shmem_ctx_quiet` and
//! `shmem_ctx_fence` are memory fences.

use std::collections::HashMap;
use std::ffi::{c_int, c_long, c_void};
use std::sync::{PoisonError, RwLock};

use memheap_std::runtime::{say, PeSet, Runtime, Team};

use crate::shmem::{fatal, rt, running};

/// `SHMEM_TEAM_INVALID` / `SHMEM_CTX_INVALID`.
pub(crate) const INVALID: usize = 0;
/// `SHMEM_TEAM_WORLD` / `SHMEM_CTX_DEFAULT`.
pub(crate) const WORLD: usize = 1;
/// `SHMEM_TEAM_SHARED`.
pub(crate) const SHARED: usize = 2;

/// `SHMEM_TEAM_NUM_CONTEXTS`: the `num_contexts` field of a configuration is set.
const TEAM_NUM_CONTEXTS: c_long = 1;

/// `shmem_team_config_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TeamConfig {
    /// Contexts the program expects to create from the team (a hint here: contexts cost
    /// nothing, so any number can be created).
    pub num_contexts: c_int,
}

#[derive(Clone, Copy, Debug)]
struct TeamEntry {
    team: Team,
    config: TeamConfig,
}

/// What a context is: its team (handle and members) and its creation options.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CtxEntry {
    team: usize,
    set: PeSet,
}

#[derive(Debug, Default)]
struct Registry {
    teams: HashMap<usize, TeamEntry>,
    ctxs: HashMap<usize, CtxEntry>,
    next: usize,
}

static REGISTRY: RwLock<Option<Registry>> = RwLock::new(None);

fn with_reg<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    f(g.get_or_insert_with(|| Registry {
        next: 16,
        ..Registry::default()
    }))
}

fn read_reg<R>(f: impl FnOnce(Option<&Registry>) -> R) -> R {
    let g = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    f(g.as_ref())
}

fn new_handle(reg: &mut Registry) -> usize {
    let h = reg.next;
    reg.next += 16;
    h
}

/// The team behind `handle` (`None` for `SHMEM_TEAM_INVALID`, a destroyed or unknown handle).
pub(crate) fn team_of(r: &Runtime, handle: *const c_void) -> Option<Team> {
    match handle as usize {
        INVALID => None,
        WORLD => r.world_team().ok(),
        SHARED => r.shared_team().ok(),
        h => read_reg(|reg| reg.and_then(|reg| reg.teams.get(&h)).map(|e| e.team)),
    }
}

fn config_of(handle: *const c_void) -> TeamConfig {
    read_reg(|reg| {
        reg.and_then(|reg| reg.teams.get(&(handle as usize)))
            .map(|e| e.config)
            .unwrap_or_default()
    })
}

/// The world PE that PE `pe` of context `ctx` names (`SHMEM_CTX_DEFAULT`: the world team),
/// or why there is none (an invalid context, a PE out of the team's range).
pub(crate) fn ctx_pe(r: &Runtime, ctx: *const c_void, pe: c_int) -> Result<usize, String> {
    let set = if ctx as usize == WORLD {
        PeSet {
            start: 0,
            stride: 1,
            size: r.n_pes(),
        }
    } else {
        let entry = read_reg(|reg| reg.and_then(|reg| reg.ctxs.get(&(ctx as usize))).copied());
        match entry {
            Some(e) => e.set,
            None => {
                return Err(format!(
                    "{ctx:p} is not a context (SHMEM_CTX_INVALID, destroyed, or never created)"
                ))
            }
        }
    };
    if pe < 0 || pe as usize >= set.size {
        return Err(format!(
            "PE {pe} is out of range (the {} has PEs 0..{})",
            if ctx as usize == WORLD {
                "job"
            } else {
                "context's team"
            },
            set.size - 1
        ));
    }
    Ok(set.pe(pe as usize))
}

/// Whether `ctx` is a live context (or the default one).
pub(crate) fn ctx_valid(ctx: *const c_void) -> bool {
    ctx as usize == WORLD
        || read_reg(|reg| reg.is_some_and(|reg| reg.ctxs.contains_key(&(ctx as usize))))
}

fn debug(r: &Runtime, routine: &str, msg: std::fmt::Arguments<'_>) {
    if std::env::var_os("SHMEM_DEBUG").is_some() {
        say(&format!("memheap: PE {}: {routine}: {msg}", r.my_pe()));
    }
}

// ---- queries ---------------------------------------------------------------------------------

/// `shmem_team_my_pe`: this PE's number in `team`; -1 for `SHMEM_TEAM_INVALID` (or a handle
/// that is not a team).
#[no_mangle]
pub extern "C" fn shmem_team_my_pe(team: *const c_void) -> c_int {
    running()
        .and_then(|r| team_of(r, team))
        .map_or(-1, |t| t.my_pe() as c_int)
}

/// `shmem_team_n_pes`: the number of PEs in `team`; -1 for `SHMEM_TEAM_INVALID`.
#[no_mangle]
pub extern "C" fn shmem_team_n_pes(team: *const c_void) -> c_int {
    running()
        .and_then(|r| team_of(r, team))
        .map_or(-1, |t| t.n_pes() as c_int)
}

/// `shmem_team_get_config`: the configuration `team` was created with (the fields named in
/// `config_mask`); nonzero for an invalid team.
///
/// # Safety
/// `config` is NULL or valid for a write of a `shmem_team_config_t`.
#[no_mangle]
pub unsafe extern "C" fn shmem_team_get_config(
    team: *const c_void,
    config_mask: c_long,
    config: *mut TeamConfig,
) -> c_int {
    let Some(r) = running() else { return -1 };
    if team_of(r, team).is_none() || config.is_null() {
        return -1;
    }
    if config_mask & TEAM_NUM_CONTEXTS != 0 {
        // SAFETY: non-null and valid for a write (contract).
        unsafe { (*config).num_contexts = config_of(team).num_contexts };
    }
    0
}

/// `shmem_team_translate_pe`: the number in `dest_team` of PE `src_pe` of `src_team`; -1 if
/// it is not a member of `dest_team` or an argument is invalid.
#[no_mangle]
pub extern "C" fn shmem_team_translate_pe(
    src_team: *const c_void,
    src_pe: c_int,
    dest_team: *const c_void,
) -> c_int {
    let Some(r) = running() else { return -1 };
    let (Some(src), Some(dest)) = (team_of(r, src_team), team_of(r, dest_team)) else {
        return -1;
    };
    if src_pe < 0 {
        return -1;
    }
    src.world_pe(src_pe as usize)
        .and_then(|pe| dest.set().index_of(pe))
        .map_or(-1, |i| i as c_int)
}

/// `shmem_team_ptr`: as `shmem_ptr` for PE `pe` of `team`; NULL for an invalid team or PE.
#[no_mangle]
pub extern "C" fn shmem_team_ptr(
    team: *const c_void,
    dest: *const c_void,
    pe: c_int,
) -> *mut c_void {
    let Some(r) = running() else {
        return std::ptr::null_mut();
    };
    let Some(world) = team_of(r, team).and_then(|t| {
        if pe < 0 {
            None
        } else {
            t.world_pe(pe as usize)
        }
    }) else {
        return std::ptr::null_mut();
    };
    r.ptr(dest, world)
        .map_or(std::ptr::null_mut(), |p| p.as_ptr())
}

// ---- creation and destruction ------------------------------------------------------------------

/// Register the teams `made` (one per entry) with `configs`, writing their handles (or
/// `SHMEM_TEAM_INVALID` where this PE is not a member) through `outs`.
///
/// # Safety
/// Each `outs` pointer is NULL or valid for a write of a handle.
unsafe fn register(made: Vec<Option<Team>>, configs: &[TeamConfig], outs: &[*mut *mut c_void]) {
    with_reg(|reg| {
        for ((team, config), &out) in made.into_iter().zip(configs).zip(outs) {
            let h = match team {
                Some(team) => {
                    let h = new_handle(reg);
                    reg.teams.insert(
                        h,
                        TeamEntry {
                            team,
                            config: *config,
                        },
                    );
                    h
                }
                None => INVALID,
            };
            if !out.is_null() {
                // SAFETY: non-null and valid for a write (contract).
                unsafe { *out = h as *mut c_void };
            }
        }
    });
}

/// The configuration to record: the fields of `config` named in `mask`, defaults elsewhere.
///
/// # Safety
/// `config` is NULL or valid for a read.
unsafe fn config_from(config: *const TeamConfig, mask: c_long) -> TeamConfig {
    if config.is_null() || mask & TEAM_NUM_CONTEXTS == 0 {
        return TeamConfig::default();
    }
    // SAFETY: non-null and valid for a read (contract).
    let num_contexts = unsafe { (*config).num_contexts };
    TeamConfig { num_contexts }
}

/// `shmem_team_split_strided`: collective over `parent`; the new team has the parent's PEs
/// `start, start + stride, ...` (`size` of them; `stride` may be negative). PEs outside it
/// get `SHMEM_TEAM_INVALID`. Returns 0, or nonzero (on every PE) for an invalid parent or
/// range, or when no team slot is free.
///
/// # Safety
/// `config` is NULL or valid for a read; `new_team` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_team_split_strided(
    parent: *const c_void,
    start: c_int,
    stride: c_int,
    size: c_int,
    config: *const TeamConfig,
    config_mask: c_long,
    new_team: *mut *mut c_void,
) -> c_int {
    const NAME: &str = "shmem_team_split_strided";
    let r = rt(NAME);
    if !new_team.is_null() {
        // SAFETY: non-null and valid for a write (contract).
        unsafe { *new_team = INVALID as *mut c_void };
    }
    let Some(p) = team_of(r, parent) else {
        debug(r, NAME, format_args!("the parent team is invalid"));
        return -1;
    };
    let set = if size > 0 {
        p.set()
            .subset(start as isize, stride as isize, size as usize)
    } else {
        None
    };
    let Some(set) = set else {
        // Every parent PE sees the same arguments, so every one returns here: no barrier.
        debug(
            r,
            NAME,
            format_args!(
                "start {start}, stride {stride}, size {size} do not name PEs of the parent team \
                 (it has {} PEs)",
                p.n_pes()
            ),
        );
        return -1;
    };
    match r.team_split(&p, &[Some(set)]) {
        Ok(made) => {
            // SAFETY: forwarded contract.
            let config = unsafe { config_from(config, config_mask) };
            // SAFETY: forwarded contract.
            unsafe { register(made, &[config], &[new_team]) };
            0
        }
        Err(e) => {
            debug(r, NAME, format_args!("{e}"));
            -1
        }
    }
}

/// `shmem_team_split_2d`: collective over `parent`; arranges its PEs in rows of `xrange`
/// (the last row may be shorter): `xaxis_team` is this PE's row, `yaxis_team` its column.
/// Returns 0, or nonzero for an invalid parent, `xrange < 1`, or no free team slots.
///
/// # Safety
/// Configs are NULL or valid for reads; team pointers NULL or valid for writes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn shmem_team_split_2d(
    parent: *const c_void,
    xrange: c_int,
    xaxis_config: *const TeamConfig,
    xaxis_mask: c_long,
    xaxis_team: *mut *mut c_void,
    yaxis_config: *const TeamConfig,
    yaxis_mask: c_long,
    yaxis_team: *mut *mut c_void,
) -> c_int {
    const NAME: &str = "shmem_team_split_2d";
    let r = rt(NAME);
    for out in [xaxis_team, yaxis_team] {
        if !out.is_null() {
            // SAFETY: non-null and valid for a write (contract).
            unsafe { *out = INVALID as *mut c_void };
        }
    }
    let Some(p) = team_of(r, parent) else {
        debug(r, NAME, format_args!("the parent team is invalid"));
        return -1;
    };
    if xrange < 1 {
        debug(r, NAME, format_args!("xrange {xrange} must be at least 1"));
        return -1;
    }
    let n = p.n_pes();
    let x = (xrange as usize).min(n);
    let me = p.my_pe();
    let (row, col) = (me / x, me % x);
    let row_len = x.min(n - row * x);
    let col_len = (n - col).div_ceil(x);
    let xset = p.set().subset((row * x) as isize, 1, row_len);
    let yset = p.set().subset(col as isize, x as isize, col_len);
    match r.team_split(&p, &[xset, yset]) {
        Ok(made) => {
            // SAFETY: forwarded contract.
            let configs = unsafe {
                [
                    config_from(xaxis_config, xaxis_mask),
                    config_from(yaxis_config, yaxis_mask),
                ]
            };
            // SAFETY: forwarded contract.
            unsafe { register(made, &configs, &[xaxis_team, yaxis_team]) };
            0
        }
        Err(e) => {
            debug(r, NAME, format_args!("{e}"));
            -1
        }
    }
}

/// `shmem_team_destroy`: release a team made by a split (the contexts made from it must be
/// destroyed first). `SHMEM_TEAM_INVALID` does nothing; the world and shared teams cannot be
/// destroyed (an error under `SHMEM_DEBUG`, otherwise ignored).
#[no_mangle]
pub extern "C" fn shmem_team_destroy(team: *mut c_void) {
    const NAME: &str = "shmem_team_destroy";
    let Some(r) = running() else { return };
    match team as usize {
        INVALID => {}
        WORLD | SHARED => debug(
            r,
            NAME,
            format_args!("the world and shared teams cannot be destroyed"),
        ),
        h => match with_reg(|reg| reg.teams.remove(&h)) {
            Some(e) => r.team_destroy(e.team),
            None => fatal(
                NAME,
                format_args!("{team:p} is not a team (destroyed twice, or never created)"),
            ),
        },
    }
}

/// `shmem_team_sync`: a barrier over `team` without the completion of puts that
/// `shmem_barrier` adds (here both are fences). Returns 0, or nonzero for an invalid team.
#[no_mangle]
pub extern "C" fn shmem_team_sync(team: *const c_void) -> c_int {
    const NAME: &str = "shmem_team_sync";
    let r = rt(NAME);
    let Some(t) = team_of(r, team) else {
        debug(r, NAME, format_args!("invalid team"));
        return -1;
    };
    if let Err(e) = r.team_barrier(&t) {
        fatal(NAME, format_args!("{e}"));
    }
    0
}

// ---- contexts --------------------------------------------------------------------------------

fn create_ctx(r: &Runtime, team: *const c_void, ctx: *mut *mut c_void) -> c_int {
    let Some(t) = team_of(r, team) else {
        return -1;
    };
    let h = with_reg(|reg| {
        let h = new_handle(reg);
        reg.ctxs.insert(
            h,
            CtxEntry {
                team: team as usize,
                set: t.set(),
            },
        );
        h
    });
    // SAFETY: the callers checked `ctx` is non-null; valid for a write (their contract).
    unsafe { *ctx = h as *mut c_void };
    0
}

/// `shmem_ctx_create`: a context on the world team. `options` (`SHMEM_CTX_PRIVATE`,
/// `SHMEM_CTX_SERIALIZED`, `SHMEM_CTX_NOSTORE`) are accepted; they change nothing here.
/// Returns 0.
///
/// # Safety
/// `ctx` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_ctx_create(_options: c_long, ctx: *mut *mut c_void) -> c_int {
    let r = rt("shmem_ctx_create");
    if ctx.is_null() {
        fatal("shmem_ctx_create", format_args!("ctx is NULL"));
    }
    create_ctx(r, WORLD as *const c_void, ctx)
}

/// `shmem_team_create_ctx`: a context on `team`. Returns 0, or nonzero (and
/// `SHMEM_CTX_INVALID`) for an invalid team.
///
/// # Safety
/// `ctx` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_team_create_ctx(
    team: *const c_void,
    _options: c_long,
    ctx: *mut *mut c_void,
) -> c_int {
    let r = rt("shmem_team_create_ctx");
    if ctx.is_null() {
        fatal("shmem_team_create_ctx", format_args!("ctx is NULL"));
    }
    // SAFETY: non-null and valid for a write (contract).
    unsafe { *ctx = INVALID as *mut c_void };
    create_ctx(r, team, ctx)
}

/// `shmem_ctx_destroy`: completes the context's operations (a fence) and releases it.
/// `SHMEM_CTX_INVALID` and `SHMEM_CTX_DEFAULT` do nothing; an unknown handle is an error.
#[no_mangle]
pub extern "C" fn shmem_ctx_destroy(ctx: *mut c_void) {
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
    match ctx as usize {
        INVALID | WORLD => {}
        h => {
            if with_reg(|reg| reg.ctxs.remove(&h)).is_none() {
                fatal(
                    "shmem_ctx_destroy",
                    format_args!("{ctx:p} is not a context (destroyed twice, or never created)"),
                );
            }
        }
    }
}

/// `shmem_ctx_get_team`: the team `ctx` was created on. Returns 0, or nonzero (and
/// `SHMEM_TEAM_INVALID`) for an invalid context.
///
/// # Safety
/// `team` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn shmem_ctx_get_team(ctx: *const c_void, team: *mut *mut c_void) -> c_int {
    if team.is_null() {
        return -1;
    }
    let h = match ctx as usize {
        WORLD => Some(WORLD),
        INVALID => None,
        h => read_reg(|reg| reg.and_then(|reg| reg.ctxs.get(&h)).map(|e| e.team)),
    };
    // SAFETY: non-null and valid for a write (contract).
    unsafe { *team = h.unwrap_or(INVALID) as *mut c_void };
    if h.is_some() {
        0
    } else {
        -1
    }
}

/// `shmem_ctx_quiet`: complete every operation issued on `ctx` (a fence: they completed when
/// their calls returned). `SHMEM_CTX_INVALID` does nothing.
#[no_mangle]
pub extern "C" fn shmem_ctx_quiet(ctx: *const c_void) {
    if check_ctx(ctx, "shmem_ctx_quiet") {
        rt("shmem_ctx_quiet").quiet();
    }
}

/// `shmem_ctx_fence`: order the operations issued on `ctx` to each PE (a fence).
/// `SHMEM_CTX_INVALID` does nothing.
#[no_mangle]
pub extern "C" fn shmem_ctx_fence(ctx: *const c_void) {
    if check_ctx(ctx, "shmem_ctx_fence") {
        rt("shmem_ctx_fence").fence();
    }
}

/// A context for the ordering routines: `SHMEM_CTX_INVALID` makes them no-ops (`false`), as
/// for PEs that are not members of the team a context was to be made on; an unknown handle is
/// a fatal error.
fn check_ctx(ctx: *const c_void, routine: &str) -> bool {
    if ctx as usize == INVALID {
        return false;
    }
    if !ctx_valid(ctx) {
        fatal(
            routine,
            format_args!("{ctx:p} is not a context (destroyed, or never created)"),
        );
    }
    true
}
