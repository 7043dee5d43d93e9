//! `firstfit`: a test-only component proving that a component is one file plus one
//! registration line. A first-fit allocator over ordered maps (free ranges and live blocks,
//! both in private memory), never resizing in place. Its instances can be given a name, a
//! priority, a failing `open` or `init`, and shared counters of the lifecycle calls, for the
//! registry tests.

use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::component::{Component, ComponentError, Error, Module, ModuleStats, MIN_ALIGN};
use crate::segment::Region;

/// Default priority: below the real components, so registering it changes no default.
pub const FIRSTFIT_PRIORITY: i32 = 10;

/// Lifecycle calls seen by a [`FirstFitComponent`] and its module.
#[derive(Debug, Default)]
pub struct Counters {
    /// `Component::open` calls.
    pub opens: AtomicUsize,
    /// `Component::init` calls.
    pub inits: AtomicUsize,
    /// `Component::finalize` calls.
    pub finalizes: AtomicUsize,
    /// `Module::finalize` calls.
    pub module_finalizes: AtomicUsize,
}

impl Counters {
    /// (opens, inits, finalizes, module finalizes).
    pub fn get(&self) -> (usize, usize, usize, usize) {
        (
            self.opens.load(Ordering::SeqCst),
            self.inits.load(Ordering::SeqCst),
            self.finalizes.load(Ordering::SeqCst),
            self.module_finalizes.load(Ordering::SeqCst),
        )
    }
}

/// The `firstfit` component.
#[derive(Debug)]
pub struct FirstFitComponent {
    /// Component name.
    pub name: &'static str,
    /// Default priority.
    pub priority: i32,
    /// Make `open` fail.
    pub fail_open: bool,
    /// Make `init` fail.
    pub fail_init: bool,
    /// Lifecycle counters, shared with the test.
    pub counters: Arc<Counters>,
}

impl Default for FirstFitComponent {
    fn default() -> Self {
        FirstFitComponent {
            name: "firstfit",
            priority: FIRSTFIT_PRIORITY,
            fail_open: false,
            fail_init: false,
            counters: Arc::default(),
        }
    }
}

impl Component for FirstFitComponent {
    fn name(&self) -> &'static str {
        self.name
    }

    fn default_priority(&self) -> i32 {
        self.priority
    }

    fn open(&self) -> Result<(), ComponentError> {
        self.counters.opens.fetch_add(1, Ordering::SeqCst);
        if self.fail_open {
            return Err(ComponentError::Unavailable("told to fail open".into()));
        }
        Ok(())
    }

    unsafe fn init(&self, region: Region) -> Result<Box<dyn Module>, ComponentError> {
        self.counters.inits.fetch_add(1, Ordering::SeqCst);
        if self.fail_init {
            return Err(ComponentError::Unavailable("told to fail init".into()));
        }
        Ok(Box::new(FirstFitModule::new(self.name, region, self.counters.clone())?))
    }

    fn finalize(&self) {
        self.counters.finalizes.fetch_add(1, Ordering::SeqCst);
    }
}

/// First fit over offsets of the region.
pub struct FirstFitModule {
    name: &'static str,
    region: Region,
    counters: Arc<Counters>,
    /// Free ranges: offset -> length (coalesced, in address order).
    free: BTreeMap<usize, usize>,
    /// Live blocks: offset -> length (multiple of MIN_ALIGN).
    live: BTreeMap<usize, usize>,
    finalized: bool,
}

impl FirstFitModule {
    fn new(name: &'static str, region: Region, counters: Arc<Counters>) -> Result<Self, Error> {
        let usable = region.len() / MIN_ALIGN * MIN_ALIGN;
        if usable == 0 || region.as_ptr() as usize % MIN_ALIGN != 0 {
            return Err(Error::BadRegion);
        }
        Ok(FirstFitModule {
            name,
            region,
            counters,
            free: BTreeMap::from([(0, usable)]),
            live: BTreeMap::new(),
            finalized: false,
        })
    }

    fn check_live(&self) -> Result<(), Error> {
        if self.finalized {
            Err(Error::Uninitialized)
        } else {
            Ok(())
        }
    }

    fn offset(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        if !self.region.contains(ptr.as_ptr()) {
            return Err(Error::InvalidPointer);
        }
        let off = ptr.as_ptr() as usize - self.region.as_ptr() as usize;
        if self.live.contains_key(&off) {
            return Ok(off);
        }
        // In free space: freed before. Elsewhere (inside a live block): interior.
        match self.free.range(..=off).next_back() {
            Some((&s, &l)) if off < s + l => Err(Error::DoubleFree),
            _ => Err(Error::InvalidPointer),
        }
    }

    fn take(&mut self, align: usize, size: usize) -> Result<usize, Error> {
        let need = size.max(1).checked_next_multiple_of(MIN_ALIGN).ok_or(Error::SizeOverflow)?;
        let base = self.region.as_ptr() as usize;
        let found = self.free.iter().find_map(|(&s, &l)| {
            let at = (base + s).checked_next_multiple_of(align)? - base;
            (at + need <= s + l).then_some((s, l, at))
        });
        let (s, l, at) = found.ok_or(Error::OutOfMemory)?;
        self.free.remove(&s);
        if at > s {
            self.free.insert(s, at - s);
        }
        if at + need < s + l {
            self.free.insert(at + need, s + l - at - need);
        }
        self.live.insert(at, need);
        Ok(at)
    }

    fn give_back(&mut self, off: usize) {
        let Some(len) = self.live.remove(&off) else { return };
        let (mut start, mut end) = (off, off + len);
        if let Some((&s, &l)) = self.free.range(..off).next_back() {
            if s + l == off {
                self.free.remove(&s);
                start = s;
            }
        }
        if let Some(l) = self.free.remove(&end) {
            end += l;
        }
        self.free.insert(start, end - start);
    }

    fn ptr(&self, off: usize) -> NonNull<u8> {
        // SAFETY: `off` is inside the region, which does not wrap and starts non-null.
        unsafe { NonNull::new_unchecked(self.region.as_ptr().add(off)) }
    }
}

impl Module for FirstFitModule {
    fn component(&self) -> &'static str {
        self.name
    }

    fn region(&self) -> Region {
        self.region
    }

    fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error> {
        self.check_live()?;
        let off = self.take(MIN_ALIGN, size)?;
        Ok(self.ptr(off))
    }

    fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        self.check_live()?;
        if !align.is_power_of_two() {
            return Err(Error::BadAlignment);
        }
        let off = self.take(align.max(MIN_ALIGN), size)?;
        Ok(self.ptr(off))
    }

    fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error> {
        self.check_live()?;
        let old = self.offset(ptr)?;
        let old_len = self.live[&old];
        let new = self.take(MIN_ALIGN, size)?;
        let copy = old_len.min(self.live[&new]);
        // SAFETY: two distinct live blocks of the region (read/write memory by the `init`
        // contract), each at least `copy` bytes long.
        unsafe { std::ptr::copy_nonoverlapping(ptr.as_ptr(), self.ptr(new).as_ptr(), copy) };
        self.give_back(old);
        Ok(self.ptr(new))
    }

    fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.check_live()?;
        let off = self.offset(ptr)?;
        self.give_back(off);
        Ok(())
    }

    fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        self.check_live()?;
        Ok(self.live[&self.offset(ptr)?])
    }

    fn stats(&self) -> ModuleStats {
        let region_bytes = self.region.len() as u64;
        if self.finalized {
            return ModuleStats { region_bytes, ..ModuleStats::default() };
        }
        let bytes_in_use: u64 = self.live.values().map(|&l| l as u64).sum();
        ModuleStats {
            region_bytes,
            reserved_bytes: region_bytes,
            bytes_in_use,
            live_blocks: self.live.len() as u64,
            metadata_bytes: ((self.live.len() + self.free.len()) * 32) as u64,
            bytes_free: region_bytes - bytes_in_use,
            largest_free: self.free.values().map(|&l| l as u64).max().unwrap_or(0),
        }
    }

    fn finalize(&mut self) {
        if !self.finalized {
            self.counters.module_finalizes.fetch_add(1, Ordering::SeqCst);
        }
        self.finalized = true;
        self.free.clear();
        self.live.clear();
    }
}
