//! Shared harness for the memheap-core benchmarks: the host region, the seeded operation
//! sequences, and one constructor per allocator under test, so the criterion bench
//! (`benches/core.rs`) and the fill-efficiency binary (`src/bin/fill.rs`) measure exactly the
//! same things.
//!
//! Every allocator is driven through [`GlobalAlloc`] in its locked form:
//!
//! | name | type | lock |
//! |---|---|---|
//! | `memheap` | `memheap_core::LockedHeap<RawSpin>` | memheap-core's `RawSpin` |
//! | `talc` | `talc::TalcLock<RawSpin, Manual>` | memheap-core's `RawSpin` |
//! | `buddy_system` | `buddy_system_allocator::LockedHeap<32>` | its own `spin::Mutex` |
//! | `linked_list` | `linked_list_allocator::LockedHeap` | its own `spinning_top` lock |
//! | `rlsf` | [`RlsfLocked`]: `lock_api::Mutex<RawSpin, rlsf::Tlsf<..>>` | memheap-core's `RawSpin` |
//!
//! talc and rlsf bring no lock of their own, so they get the very lock memheap-core uses
//! (a test-and-test-and-set spin lock implementing `lock_api::RawMutex`); the two crates that
//! do bring a lock keep it. Uncontended, all of these locks are one atomic
//! compare-exchange to lock and one store to unlock.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

use memheap_core::{BuddyHeap, Config, RawSpin};

/// Length of the region every allocator manages: 64 MiB.
pub const REGION_LEN: usize = 64 << 20;

/// Alignment asked for every block (the common `GlobalAlloc` case; memheap-core's minimum
/// block is 16 B anyway).
pub const ALIGN: usize = 8;

/// Slots of the mixed-operations workload.
pub const SLOTS: usize = 1024;

/// Seed of the mixed-operations sequence (criterion `mixed` and `scale` groups, `scale` binary).
pub const MIXED_SEED: u64 = 0x6d65_6d68_6561_7021;
/// Ops in the precomputed mixed sequence (cycled through).
pub const MIXED_OPS: usize = 1 << 20;
/// Mixed ops run before measuring, to reach the steady state (about half the slots live).
pub const WARM_OPS: u64 = 16 * 1024;

/// A host memory region aligned to its own length, pre-faulted so that page faults are not
/// part of any measurement.
pub struct Region {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Region {
    /// Allocate `len` bytes (a power of two) aligned to `len`, and touch every page.
    pub fn new(len: usize) -> Region {
        let layout = Layout::from_size_align(len, len).expect("region length a power of two");
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { std::alloc::alloc(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        // SAFETY: `ptr` points to `len` writable bytes that we own.
        unsafe { std::ptr::write_bytes(ptr.as_ptr(), 0, len) };
        Region { ptr, layout }
    }

    /// First byte.
    pub fn base(&self) -> NonNull<u8> {
        self.ptr
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.layout.size()
    }

    /// Never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with exactly this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// An allocator over its own [`Region`]. The allocator is declared first, so it is dropped
/// before the memory it points into.
pub struct Arena<A> {
    /// The allocator under test.
    pub alloc: A,
    /// The memory it manages.
    pub region: Region,
}

/// xorshift64* — small, fast, and the same sequence on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed (0 is mapped to a fixed constant).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Log-uniform integer in `[lo, hi)`: `log2(size)` is uniform.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (a, b) = ((lo as f64).log2(), (hi as f64).log2());
        ((a + self.unit() * (b - a)).exp2() as u64).clamp(lo, hi - 1)
    }
}

/// One step of the mixed workload: look at `slot`; free it if live, else allocate `size`.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// Slot index in `[0, SLOTS)`.
    pub slot: u32,
    /// Size to allocate if the slot is empty.
    pub size: u32,
}

/// The mixed-operations sequence: `n` ops over [`SLOTS`] slots, sizes log-uniform in
/// `[8 B, 64 KiB)`, from `seed`.
pub fn mixed_ops(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| Op {
            slot: (rng.next_u64() % SLOTS as u64) as u32,
            size: rng.log_uniform(8, 64 << 10) as u32,
        })
        .collect()
}

/// What the mixed workload drives: allocate a size, free a handle.
pub trait Target {
    /// A live block.
    type Handle: Copy;
    /// Allocate `size` bytes (alignment [`ALIGN`]); `None` when out of memory.
    fn alloc(&mut self, size: usize) -> Option<Self::Handle>;
    /// Free a block this target returned for `size`.
    fn free(&mut self, h: Self::Handle, size: usize);
}

/// A [`GlobalAlloc`] as a [`Target`].
pub struct Global<'a, A: GlobalAlloc>(pub &'a A);

impl<A: GlobalAlloc> Target for Global<'_, A> {
    type Handle = NonNull<u8>;

    #[inline]
    fn alloc(&mut self, size: usize) -> Option<NonNull<u8>> {
        // SAFETY: sizes are at least 8, so the layout is non-zero; ALIGN is a power of two.
        NonNull::new(unsafe { self.0.alloc(Layout::from_size_align_unchecked(size, ALIGN)) })
    }

    #[inline]
    fn free(&mut self, h: NonNull<u8>, size: usize) {
        // SAFETY: `h` came from `alloc` on this allocator with this very layout, and it is
        // freed once (the driver empties the slot).
        unsafe {
            self.0
                .dealloc(h.as_ptr(), Layout::from_size_align_unchecked(size, ALIGN))
        }
    }
}

/// memheap-core's offset heap as a [`Target`] (no memory behind it).
impl Target for BuddyHeap<'_> {
    type Handle = u64;

    #[inline]
    fn alloc(&mut self, size: usize) -> Option<u64> {
        BuddyHeap::alloc(self, size as u64, ALIGN as u64).ok()
    }

    #[inline]
    fn free(&mut self, h: u64, _size: usize) {
        let freed = BuddyHeap::free(self, h);
        debug_assert!(freed.is_ok());
    }
}

/// Runs an op sequence against a target, cycling through it; the slot state carries over
/// from call to call.
pub struct Mixed<'o, T: Target> {
    /// The allocator.
    pub target: T,
    ops: &'o [Op],
    live: Vec<Option<(T::Handle, usize)>>,
    cursor: usize,
    /// Allocations that failed (out of memory).
    pub failures: u64,
}

impl<'o, T: Target> Mixed<'o, T> {
    /// A driver with every slot empty.
    pub fn new(target: T, ops: &'o [Op]) -> Self {
        assert!(!ops.is_empty());
        Mixed {
            target,
            ops,
            live: vec![None; SLOTS],
            cursor: 0,
            failures: 0,
        }
    }

    /// Run `n` ops.
    #[inline]
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            let op = self.ops[self.cursor];
            self.cursor += 1;
            if self.cursor == self.ops.len() {
                self.cursor = 0;
            }
            let slot = &mut self.live[op.slot as usize];
            match slot.take() {
                Some((h, size)) => self.target.free(h, size),
                None => {
                    let size = op.size as usize;
                    match self.target.alloc(size) {
                        Some(h) => *slot = Some((h, size)),
                        None => self.failures += 1,
                    }
                }
            }
        }
    }

    /// Live blocks.
    pub fn live(&self) -> usize {
        self.live.iter().filter(|s| s.is_some()).count()
    }

    /// The live blocks, as (handle, requested size).
    pub fn live_blocks(&self) -> impl Iterator<Item = (T::Handle, usize)> + '_ {
        self.live.iter().flatten().copied()
    }

    /// Free every live block.
    pub fn clear(&mut self) {
        for slot in &mut self.live {
            if let Some((h, size)) = slot.take() {
                self.target.free(h, size);
            }
        }
    }
}

impl<T: Target> Drop for Mixed<'_, T> {
    fn drop(&mut self) {
        self.clear();
    }
}

// --- the allocators -------------------------------------------------------------------------

/// talc, locked with memheap-core's spin lock.
pub type Talc = talc::TalcLock<RawSpin, talc::source::Manual>;
/// buddy_system_allocator with orders up to 2^31 and its own spin mutex.
pub type BuddySystem = buddy_system_allocator::LockedHeap<32>;
/// linked_list_allocator with its own spin lock.
pub type LinkedList = linked_list_allocator::LockedHeap;
/// memheap-core's locked pointer heap.
pub type Memheap = memheap_core::LockedHeap<RawSpin>;
/// rlsf's TLSF: 32-byte granularity, first level up to 2^29 bytes, 32 second-level lists.
pub type Tlsf = rlsf::Tlsf<'static, u32, u32, 24, 32>;

/// rlsf's [`Tlsf`] behind memheap-core's spin lock.
pub struct RlsfLocked(lock_api::Mutex<RawSpin, Tlsf>);

// SAFETY: `Tlsf::allocate` returns distinct, suitably aligned blocks of at least the layout's
// size from the pool it was given, or `None` (mapped to null); `deallocate` receives only
// pointers it returned, with the layout's alignment, as `Tlsf::deallocate` requires. The
// mutex serialises every access.
unsafe impl GlobalAlloc for RlsfLocked {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0
            .lock()
            .allocate(layout)
            .map_or(std::ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `ptr` is a live block of this allocator allocated
        // with `layout`, so it is non-null and its alignment is `layout.align()`.
        unsafe {
            self.0
                .lock()
                .deallocate(NonNull::new_unchecked(ptr), layout.align())
        }
    }
}

/// talc over a fresh region.
pub fn talc(len: usize) -> Arena<Talc> {
    let region = Region::new(len);
    let alloc = Talc::new(talc::source::Manual);
    // SAFETY: the region is writable memory that only this allocator uses, and it outlives
    // the allocator (see `Arena`).
    let claimed = unsafe { alloc.lock().claim(region.base().as_ptr(), region.len()) };
    assert!(claimed.is_some(), "talc refused the region");
    Arena { alloc, region }
}

/// buddy_system_allocator over a fresh region.
pub fn buddy_system(len: usize) -> Arena<BuddySystem> {
    let region = Region::new(len);
    let alloc = BuddySystem::new();
    // SAFETY: as in `talc`.
    unsafe {
        alloc
            .lock()
            .init(region.base().as_ptr() as usize, region.len())
    };
    Arena { alloc, region }
}

/// linked_list_allocator over a fresh region.
pub fn linked_list(len: usize) -> Arena<LinkedList> {
    let region = Region::new(len);
    // SAFETY: as in `talc`.
    let alloc = unsafe { LinkedList::new(region.base().as_ptr(), region.len()) };
    Arena { alloc, region }
}

/// rlsf over a fresh region.
pub fn rlsf(len: usize) -> Arena<RlsfLocked> {
    let region = Region::new(len);
    let mut tlsf = Tlsf::new();
    let pool = NonNull::slice_from_raw_parts(region.base(), region.len());
    // SAFETY: as in `talc`.
    let added = unsafe { tlsf.insert_free_block_ptr(pool) };
    assert!(added.is_some(), "rlsf refused the region");
    Arena {
        alloc: RlsfLocked(lock_api::Mutex::new(tlsf)),
        region,
    }
}

/// memheap-core's locked heap over a fresh region, metadata outside it (the metadata buffer
/// is leaked: `init_with` wants it `'static`; about 1.7 MiB per 64 MiB heap), with
/// `Config::DEFAULT` (packed placement) or, with `exact_fit` false, classic power-of-two
/// blocks.
pub fn memheap(len: usize, exact_fit: bool) -> Arena<Memheap> {
    memheap_with(len, Config::DEFAULT.with_exact_fit(exact_fit))
}

/// [`memheap`] with any configuration.
pub fn memheap_with(len: usize, config: Config) -> Arena<Memheap> {
    let region = Region::new(len);
    let meta = Box::leak(vec![0u64; config.metadata_words(len as u64)].into_boxed_slice());
    let alloc = Memheap::new();
    // SAFETY: the region is fresh host memory that only this allocator uses while the arena
    // lives, and the metadata is a separate (leaked) buffer.
    unsafe { alloc.init_with(region.base(), region.len(), config, meta) }.expect("memheap init");
    Arena { alloc, region }
}

/// memheap-core's offset heap over `[0, len)`: metadata only, no memory.
pub fn offset_heap(len: u64, meta: &mut Vec<u64>) -> BuddyHeap<'_> {
    let config = Config::DEFAULT;
    meta.clear();
    meta.resize(config.metadata_words(len), 0);
    BuddyHeap::new(len, config, meta).expect("offset heap")
}
