//! The conformance suite every component passes: one set of checks, generic over
//! [`Module`], run by `conformance_tests!` against each registered component (so a new
//! component gets them by adding one line there).

use std::ptr::NonNull;

use crate::component::{Component, Error, Module, MIN_ALIGN};
use crate::segment::{test_base, Segment, SegmentConfig};

const MIB: usize = 1 << 20;

/// A fresh segment of `user` bytes (at a base no other test uses) and a module of `component`
/// over its user range. The module is dropped before the segment by field order.
pub(crate) struct Fixture {
    pub module: Box<dyn Module>,
    pub segment: Segment,
}

impl Fixture {
    pub fn new(component: &dyn Component, user: usize) -> Fixture {
        let segment = Segment::create(&SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(user as u64)
        })
        .unwrap();
        // SAFETY: the module is dropped before the segment (field order), and nothing else
        // uses the user range.
        let module = unsafe { component.init(segment.user_range()) }.unwrap();
        Fixture { module, segment }
    }

    fn offset(&self, p: NonNull<u8>) -> usize {
        p.as_ptr() as usize - self.segment.base() as usize
    }
}

fn fill(p: NonNull<u8>, len: usize, seed: u8) {
    for i in 0..len {
        // SAFETY: callers pass a live block of at least `len` usable bytes.
        unsafe { p.as_ptr().add(i).write(seed.wrapping_add(i as u8)) };
    }
}

fn holds(p: NonNull<u8>, len: usize, seed: u8) -> bool {
    // SAFETY: callers pass a live block of at least `len` usable bytes.
    (0..len).all(|i| unsafe { p.as_ptr().add(i).read() } == seed.wrapping_add(i as u8))
}

/// alloc, usable size, containment, alignment, no overlap, contents survive, stats.
pub(crate) fn alloc_free_usable_stats(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let region = m.region();
    assert_eq!(region, f.segment.user_range());
    let empty = m.stats();
    assert_eq!(empty.region_bytes, region.len() as u64);
    assert_eq!((empty.live_blocks, empty.bytes_in_use), (0, 0));
    let sizes = [0usize, 1, 15, 16, 17, 100, 4096, 4097, 65536, MIB];
    let mut blocks = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let p = m.alloc(size).unwrap();
        assert!(region.contains(p.as_ptr()), "size {size}");
        assert!(p.as_ptr() as usize + size <= region.end());
        assert_eq!(p.as_ptr() as usize % MIN_ALIGN, 0, "size {size}");
        let usable = m.usable_size(p).unwrap();
        assert!(usable >= size, "usable {usable} < {size}");
        fill(p, size, k as u8);
        blocks.push((p, size, k as u8));
    }
    // No two blocks overlap.
    let mut ranges: Vec<(usize, usize)> = blocks
        .iter()
        .map(|&(p, s, _)| (p.as_ptr() as usize, p.as_ptr() as usize + s.max(1)))
        .collect();
    ranges.sort();
    for w in ranges.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlap {w:x?}");
    }
    for &(p, s, k) in &blocks {
        assert!(holds(p, s, k), "contents of block size {s}");
    }
    let s = m.stats();
    assert_eq!(s.live_blocks, sizes.len() as u64);
    assert!(s.bytes_in_use >= sizes.iter().sum::<usize>() as u64);
    assert!(s.reserved_bytes >= s.bytes_in_use && s.reserved_bytes <= s.region_bytes);
    // Free half, the rest still hold their contents.
    for &(p, _, _) in blocks.iter().step_by(2) {
        m.free(p).unwrap();
    }
    for &(p, s, k) in blocks.iter().skip(1).step_by(2) {
        assert!(holds(p, s, k));
    }
    assert_eq!(m.stats().live_blocks, (sizes.len() / 2) as u64);
    for &(p, _, _) in blocks.iter().skip(1).step_by(2) {
        m.free(p).unwrap();
    }
    let s = m.stats();
    assert_eq!((s.live_blocks, s.bytes_in_use), (0, 0));
}

/// align: power-of-two alignments honoured, others refused.
pub(crate) fn align(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let mut live = Vec::new();
    for shift in 0..=16 {
        let a = 1usize << shift;
        for size in [1, 24, 5000] {
            let p = m.align(a, size).unwrap();
            assert_eq!(
                p.as_ptr() as usize % a.max(MIN_ALIGN),
                0,
                "align {a} size {size}"
            );
            assert!(m.region().contains(p.as_ptr()));
            assert!(m.usable_size(p).unwrap() >= size);
            fill(p, size, shift as u8);
            live.push((p, size, shift as u8));
        }
    }
    let big = m.align(MIB, 100).unwrap();
    assert_eq!(big.as_ptr() as usize % MIB, 0);
    live.push((big, 100, 99));
    fill(big, 100, 99);
    for &(p, s, k) in &live {
        assert!(holds(p, s, k));
    }
    for bad in [0, 3, 24, 100, usize::MAX] {
        assert_eq!(m.align(bad, 16), Err(Error::BadAlignment), "align {bad}");
    }
    let before = m.stats();
    // Offset 0 is taken and the next 1 GiB boundary is far past the 4 MiB heap.
    assert!(m.align(1 << 30, 16).is_err());
    assert_eq!(m.stats().live_blocks, before.live_blocks);
    for (p, _, _) in live {
        m.free(p).unwrap();
    }
    assert_eq!(m.stats().live_blocks, 0);
}

/// realloc grows and shrinks keeping contents; a failed realloc keeps the old block.
pub(crate) fn realloc(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let mut p = m.alloc(100).unwrap();
    fill(p, 100, 7);
    // Something after it, so growing may have to move.
    let blocker = m.alloc(64).unwrap();
    for size in [200, 5000, 70_000, MIB] {
        p = m.realloc(p, size).unwrap();
        assert_eq!(p.as_ptr() as usize % MIN_ALIGN, 0);
        assert!(m.usable_size(p).unwrap() >= size);
        assert!(holds(p, 100, 7), "grown to {size}");
    }
    fill(p, MIB, 9);
    p = m.realloc(p, 3000).unwrap();
    assert!(holds(p, 3000, 9), "shrunk");
    assert!(m.usable_size(p).unwrap() >= 3000);
    // Too large: error, old block intact and still live.
    let live = m.stats().live_blocks;
    assert_eq!(m.realloc(p, 64 * MIB), Err(Error::OutOfMemory));
    assert!(m.realloc(p, usize::MAX).is_err());
    assert!(holds(p, 3000, 9));
    assert_eq!(m.stats().live_blocks, live);
    assert!(m.usable_size(p).unwrap() >= 3000);
    // Realloc of something that is not a live block.
    let q = m.alloc(32).unwrap();
    m.free(q).unwrap();
    assert!(m.realloc(q, 64).is_err());
    assert!(holds(p, 3000, 9));
    m.free(p).unwrap();
    m.free(blocker).unwrap();
    assert_eq!(m.stats().live_blocks, 0);
}

/// Foreign, interior and double frees (and usable_size / realloc on such pointers) are
/// errors that change nothing.
pub(crate) fn bad_pointers(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let a = m.alloc(256).unwrap();
    fill(a, 256, 3);
    let b = m.alloc(256).unwrap();
    let local = 0u64;
    let on_stack = NonNull::from(&local).cast::<u8>();
    let heap_box = Box::new([0u8; 64]);
    let on_heap = NonNull::from(&*heap_box).cast::<u8>();
    // SAFETY: addresses computed for comparison only, never dereferenced.
    let (interior, past_end, private) = unsafe {
        (
            NonNull::new_unchecked(a.as_ptr().add(16)),
            NonNull::new_unchecked(m.region().as_ptr().add(m.region().len())),
            NonNull::new_unchecked(f.segment.private_range().as_ptr()),
        )
    };
    let before = m.stats();
    for bad in [on_stack, on_heap, interior, past_end, private] {
        assert!(m.free(bad).is_err(), "free {bad:p}");
        assert!(m.usable_size(bad).is_err(), "usable_size {bad:p}");
        assert!(m.realloc(bad, 10).is_err(), "realloc {bad:p}");
    }
    assert_eq!(m.stats(), before);
    m.free(b).unwrap();
    let e = m.free(b).unwrap_err();
    assert!(
        matches!(e, Error::DoubleFree | Error::InvalidPointer),
        "{e}"
    );
    assert!(m.usable_size(b).is_err());
    assert!(holds(a, 256, 3));
    assert_eq!(m.stats().live_blocks, 1);
    m.free(a).unwrap();
    assert!(m.free(a).is_err());
    assert_eq!(m.stats().live_blocks, 0);
}

/// Exhaustion is an error, and the heap recovers after frees.
pub(crate) fn exhaustion_and_recovery(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    assert_eq!(m.alloc(m.region().len() + 1), Err(Error::OutOfMemory));
    assert!(m.alloc(usize::MAX).is_err());
    let fill_up = |m: &mut dyn Module| {
        let mut v = Vec::new();
        loop {
            match m.alloc(60_000) {
                Ok(p) => v.push(p),
                Err(e) => {
                    assert_eq!(e, Error::OutOfMemory);
                    break v;
                }
            }
        }
    };
    let first = fill_up(m);
    // At least 3 MiB of the 4 MiB hold 60 kB blocks.
    assert!(
        first.len() * 60_000 >= 3 * MIB,
        "only {} blocks",
        first.len()
    );
    // Small requests may still fit in the gaps; fill those too, then everything fails.
    let mut small = Vec::new();
    while let Ok(p) = m.alloc(16) {
        small.push(p);
        assert!(small.len() < 1 << 20);
    }
    // (A heap with a bounded block count may run out of entries before bytes.)
    let e = m.alloc(60_000).unwrap_err();
    assert!(
        matches!(e, Error::OutOfMemory | Error::CapacityExhausted),
        "{e}"
    );
    for p in small {
        m.free(p).unwrap();
    }
    // Free every other block: 60 kB requests fit again, exactly in the holes' number or more.
    let mut kept = Vec::new();
    let mut freed = 0;
    for (i, p) in first.into_iter().enumerate() {
        if i % 2 == 0 {
            m.free(p).unwrap();
            freed += 1;
        } else {
            kept.push(p);
        }
    }
    let again = fill_up(m);
    assert!(again.len() >= freed, "{} < {freed}", again.len());
    for p in kept.into_iter().chain(again) {
        m.free(p).unwrap();
    }
    assert_eq!(m.stats().live_blocks, 0);
    // Everything free: a block of most of the heap fits.
    let big = m.alloc(3 * MIB).unwrap();
    m.free(big).unwrap();
}

/// Two modules over different segments, fed the same calls, give the same offsets.
pub(crate) fn determinism(c: &dyn Component) {
    let mut a = Fixture::new(c, 4 * MIB);
    let mut b = Fixture::new(c, 4 * MIB);
    assert_ne!(a.segment.base(), b.segment.base());
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut live: Vec<(NonNull<u8>, NonNull<u8>)> = Vec::new();
    let mut outcomes = 0;
    for _ in 0..3000 {
        let r = next();
        let size = (r >> 8) as usize % if r % 7 == 0 { 200_000 } else { 2000 };
        let op = r % 10;
        let (ra, rb) = if op < 4 || live.is_empty() {
            (a.module.alloc(size), b.module.alloc(size))
        } else if op < 5 {
            let al = 1usize << ((r >> 40) % 14);
            (a.module.align(al, size), b.module.align(al, size))
        } else if op < 7 {
            let i = (r >> 32) as usize % live.len();
            let (pa, pb) = live.swap_remove(i);
            (a.module.realloc(pa, size), b.module.realloc(pb, size))
                .also_on_err(&mut live, (pa, pb))
        } else {
            let i = (r >> 32) as usize % live.len();
            let (pa, pb) = live.swap_remove(i);
            assert_eq!(a.module.free(pa), b.module.free(pb));
            continue;
        };
        match (ra, rb) {
            (Ok(pa), Ok(pb)) => {
                assert_eq!(a.offset(pa), b.offset(pb));
                live.push((pa, pb));
                outcomes += 1;
            }
            (ea, eb) => assert_eq!(ea.map(|_| ()), eb.map(|_| ())),
        }
    }
    assert!(outcomes > 1000);
    assert_eq!(a.module.stats(), b.module.stats());
}

/// A failed realloc leaves the pair live: put it back.
trait AlsoOnErr {
    fn also_on_err(
        self,
        live: &mut Vec<(NonNull<u8>, NonNull<u8>)>,
        pair: (NonNull<u8>, NonNull<u8>),
    ) -> Self;
}

impl AlsoOnErr for (Result<NonNull<u8>, Error>, Result<NonNull<u8>, Error>) {
    fn also_on_err(
        self,
        live: &mut Vec<(NonNull<u8>, NonNull<u8>)>,
        pair: (NonNull<u8>, NonNull<u8>),
    ) -> Self {
        if self.0.is_err() && self.1.is_err() {
            live.push(pair);
        }
        self
    }
}

/// After finalize every operation fails with `Uninitialized`; finalize twice is harmless.
pub(crate) fn finalize(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let p = m.alloc(64).unwrap();
    m.finalize();
    m.finalize();
    assert_eq!(m.alloc(1), Err(Error::Uninitialized));
    assert_eq!(m.align(64, 1), Err(Error::Uninitialized));
    assert_eq!(m.free(p), Err(Error::Uninitialized));
    assert_eq!(m.realloc(p, 8), Err(Error::Uninitialized));
    assert_eq!(m.usable_size(p), Err(Error::Uninitialized));
    assert_eq!(m.stats().live_blocks, 0);
    assert_eq!(m.stats().region_bytes, m.region().len() as u64);
}

/// `resize_in_place`: either it refuses with `NoRoomInPlace` and changes nothing, or the block
/// keeps its address and contents, and shrinking back to the old size succeeds.
pub(crate) fn resize_in_place(c: &dyn Component) {
    let mut f = Fixture::new(c, 4 * MIB);
    let m = &mut *f.module;
    let p = m.alloc(1000).unwrap();
    fill(p, 1000, 7);
    let old = m.usable_size(p).unwrap();
    let before = m.stats();
    match m.resize_in_place(p, 50_000) {
        Ok(()) => {
            assert!(m.usable_size(p).unwrap() >= 50_000);
            assert!(holds(p, 1000, 7));
            m.resize_in_place(p, old)
                .expect("shrinking back to the old size must succeed");
            assert_eq!(m.usable_size(p).unwrap(), old);
            assert_eq!(m.stats().bytes_in_use, before.bytes_in_use);
        }
        Err(e) => {
            assert_eq!(e, Error::NoRoomInPlace);
            assert_eq!(m.stats(), before);
        }
    }
    assert!(holds(p, 1000, 7));
    // A block with a live neighbour right after it cannot grow in place.
    let q = m.alloc(16).unwrap();
    if q.as_ptr() as usize == p.as_ptr() as usize + m.usable_size(p).unwrap() {
        assert_eq!(m.resize_in_place(p, old + 4096), Err(Error::NoRoomInPlace));
    }
    let dangling = NonNull::new(m.region().as_ptr().wrapping_add(8)).unwrap();
    assert!(m.resize_in_place(dangling, 64).is_err());
    m.free(q).unwrap();
    m.free(p).unwrap();
}

/// A small deterministic generator (xorshift64) for the churn tests.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// `stats().largest_free` is true: whatever the heap went through, a request of exactly that
/// size succeeds, with blocks live and after freeing them all; and an emptied module serves a
/// block of nearly its whole region (issue 10 item 1: ptmalloc could not serve a large request
/// after a large block was freed).
pub(crate) fn largest_free_is_true(c: &dyn Component) {
    let mut f = Fixture::new(c, 8 * MIB);
    let m = &mut *f.module;
    let region = m.region().len();
    let check = |m: &mut dyn Module, what: &str| -> usize {
        let l = m.stats().largest_free as usize;
        assert!(l <= region, "{what}: largest_free {l} > region {region}");
        if l > 0 {
            let p = m
                .alloc(l)
                .unwrap_or_else(|e| panic!("{what}: largest_free is {l}, but alloc({l}): {e}"));
            m.free(p).unwrap();
        }
        l
    };
    // A large block, freed: the emptied heap serves nearly all of it again.
    let a = m.alloc(region / 4).unwrap();
    m.free(a).unwrap();
    let l = check(m, "after one large block");
    assert!(l >= region - 4096, "emptied: largest_free {l} of {region}");
    let whole = m.alloc(region - 4096).unwrap();
    m.free(whole).unwrap();
    let mut next = rng(0x2545_F491_4F6C_DD1D);
    let mut live: Vec<NonNull<u8>> = Vec::new();
    for round in 0..8 {
        for _ in 0..300 {
            let r = next();
            let size = 16usize << ((r >> 8) % 15); // 16 B .. 256 KiB
            let size = size + (r >> 32) as usize % size;
            match r % 8 {
                0..=3 => {
                    if let Ok(p) = m.alloc(size) {
                        live.push(p);
                    }
                }
                4 => {
                    if let Ok(p) = m.align(64 << ((r >> 40) % 8), size) {
                        live.push(p);
                    }
                }
                5 if !live.is_empty() => {
                    let i = (r >> 16) as usize % live.len();
                    if let Ok(p) = m.realloc(live[i], size) {
                        live[i] = p;
                    }
                }
                _ if !live.is_empty() => {
                    let i = (r >> 16) as usize % live.len();
                    m.free(live.swap_remove(i)).unwrap();
                }
                _ => {}
            }
        }
        check(m, &format!("round {round}, {} blocks live", live.len()));
    }
    for p in live.drain(..) {
        m.free(p).unwrap();
    }
    let l = check(m, "after freeing everything");
    assert!(
        l >= region - 4096,
        "emptied after churn: largest_free {l} of {region}"
    );
}

/// The suite as `#[test]` functions for one component.
macro_rules! conformance_tests {
    ($module:ident, $component:expr) => {
        mod $module {
            #[test]
            fn alloc_free_usable_stats() {
                super::alloc_free_usable_stats(&$component);
            }
            #[test]
            fn align() {
                super::align(&$component);
            }
            #[test]
            fn realloc() {
                super::realloc(&$component);
            }
            #[test]
            fn bad_pointers() {
                super::bad_pointers(&$component);
            }
            #[test]
            fn exhaustion_and_recovery() {
                super::exhaustion_and_recovery(&$component);
            }
            #[test]
            fn determinism() {
                super::determinism(&$component);
            }
            #[test]
            fn finalize() {
                super::finalize(&$component);
            }
            #[test]
            fn resize_in_place() {
                super::resize_in_place(&$component);
            }
            #[test]
            fn largest_free_is_true() {
                super::largest_free_is_true(&$component);
            }
        }
    };
}

conformance_tests!(buddy, crate::components::buddy::BuddyComponent);
conformance_tests!(ptmalloc, crate::components::ptmalloc::PtmallocComponent);
conformance_tests!(
    firstfit,
    crate::components::testing::FirstFitComponent::default()
);

/// Every built-in component is covered above.
#[test]
fn every_builtin_component_is_covered() {
    let covered = ["buddy", "ptmalloc", "firstfit"];
    for c in crate::registry::builtin_components() {
        assert!(
            covered.contains(&c.name()),
            "add conformance_tests! for {}",
            c.name()
        );
    }
}
