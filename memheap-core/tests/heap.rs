//! Behaviour of the offset heap, the pointer heap and the locked heap.

use core::ptr::NonNull;
use memheap_core::{BuddyHeap, Config, Error, Heap, LockedHeap, Placement, Realloc, UnsyncHeap};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn meta_for(len: u64, config: Config) -> Vec<u64> {
    vec![0; config.metadata_words(len)]
}

/// The two placements; tests that do not pin offsets run under both.
const BOTH: [Config; 2] = [Config::DEFAULT, Config::LOWEST_ADDRESS];
/// Strict lowest-address first fit: the mode whose offsets tests below pin by hand.
const LOWEST: Config = Config::LOWEST_ADDRESS;

#[test]
fn non_power_of_two_region_is_managed_exactly() {
    // OSHMEM's buddy manages 128 MiB of a 100 MiB heap. Here every byte up to 100 MiB is usable
    // and nothing past it is handed out.
    let len = 100 * MIB;
    for config in BOTH.map(|c| c.with_capacity(256)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        assert_eq!(heap.stats().bytes_free, len);
        let mut offs = Vec::new();
        loop {
            match heap.alloc(MIB, 16) {
                Ok(o) => {
                    assert!(o + MIB <= len, "block past the end: {o:#x}");
                    offs.push(o);
                }
                Err(e) => {
                    assert_eq!(e, Error::OutOfMemory);
                    break;
                }
            }
        }
        assert_eq!(offs.len(), 100, "all 100 MiB usable in 1 MiB blocks");
        assert_eq!(heap.stats().bytes_free, 0);
        heap.check().unwrap();
        for o in offs {
            heap.free(o).unwrap();
        }
        heap.check().unwrap();
        heap.flush();
        heap.check().unwrap();
        assert_eq!(heap.stats().bytes_free, len);
        assert_eq!(heap.stats().largest_free, 64 * MIB);
    }
}

#[test]
fn odd_tail_is_usable() {
    // 64 KiB + 48 B: the 48 B tail forms 32 B and 16 B blocks of their own.
    let len = 65536 + 48;
    for config in BOTH.map(|c| c.with_capacity(8)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let s = heap.stats();
        if config.placement == Placement::LowestAddress {
            assert_eq!(s.free_blocks[16], 1);
            assert_eq!(s.free_blocks[5], 1);
            assert_eq!(s.free_blocks[4], 1);
        } else {
            // A fresh packed heap is one frontier run.
            assert_eq!(s.frontier_bytes, len);
            assert_eq!(s.free_blocks, [0; 64]);
        }
        assert_eq!(heap.alloc(65536, 16).unwrap(), 0);
        assert_eq!(heap.alloc(32, 16).unwrap(), 65536);
        assert_eq!(heap.alloc(16, 16).unwrap(), 65536 + 32);
        assert_eq!(heap.alloc(16, 16), Err(Error::OutOfMemory));
        heap.check().unwrap();
    }
    let config = LOWEST.with_capacity(8);
    // Bytes past the last whole minimum block are not managed.
    let mut meta2 = meta_for(100, config);
    let heap2 = BuddyHeap::new(100, config, &mut meta2).unwrap();
    assert_eq!(heap2.len(), 96);
}

#[test]
fn sixteen_gib_offset_only_region_hands_out_offsets_above_4_gib() {
    // The heap never touches the region, so a 16 GiB region needs only its metadata.
    let len = 16 * GIB;
    for config in BOTH.map(|c| c.with_capacity(64)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let a = heap.alloc(5 * GIB, 16).unwrap();
        let b = heap.alloc(3 * GIB, 16).unwrap();
        let c = heap.alloc(4096, 16).unwrap();
        assert_eq!(a, 0);
        assert!(b >= 5 * GIB, "b at {b:#x}");
        assert!(c > 4 * GIB, "c at {c:#x}: above 4 GiB");
        assert_eq!(heap.usable_size(a).unwrap(), 5 * GIB);
        heap.check().unwrap();
        for o in [b, a, c] {
            heap.free(o).unwrap();
        }
        heap.flush();
        heap.check().unwrap();
        assert_eq!(heap.stats().largest_free, len);
        // Bitmaps cost 1/64 of the region at the default 16 B minimum block (bound: 1/32).
        let s = heap.stats();
        assert!(
            s.bitmap_bytes * 32 <= len,
            "bitmaps {} B for {len} B",
            s.bitmap_bytes
        );
    }
}

#[test]
fn same_calls_give_same_offsets() {
    let len = 8 * MIB + 4096 * 3;
    for config in BOTH.map(|c| c.with_capacity(512)) {
        let run = || {
            let mut meta = meta_for(len, config);
            let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
            let mut x: u64 = 42;
            let mut live: Vec<u64> = Vec::new();
            let mut trace = Vec::new();
            for _ in 0..5000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x % 3 == 0 && !live.is_empty() {
                    let o = live.swap_remove((x >> 8) as usize % live.len());
                    heap.free(o).unwrap();
                } else {
                    let size = 1 + (x >> 20) % 50_000;
                    let align = 1 << ((x >> 40) % 10);
                    match heap.alloc(size, align) {
                        Ok(o) => {
                            live.push(o);
                            trace.push(o);
                        }
                        Err(e) => trace.push(u64::MAX - e as u64),
                    }
                }
            }
            trace
        };
        let (a, b) = (run(), run());
        assert!(a.len() > 3000);
        assert_eq!(a, b);
    }
}

#[test]
fn lowest_address_first_fit() {
    let config = LOWEST.with_capacity(16);
    let mut meta = meta_for(4096, config);
    let mut heap = BuddyHeap::new(4096, config, &mut meta).unwrap();
    let a = heap.alloc(256, 16).unwrap();
    let b = heap.alloc(256, 16).unwrap();
    let c = heap.alloc(256, 16).unwrap();
    assert_eq!((a, b, c), (0, 256, 512));
    heap.free(b).unwrap();
    assert_eq!(heap.alloc(100, 16).unwrap(), 256, "reuses the lowest hole");
}

#[test]
fn exact_fit_returns_the_tail_and_classic_does_not() {
    let len = 16 * MIB;
    let exact = LOWEST.with_capacity(16);
    let mut meta = meta_for(len, exact);
    let mut heap = BuddyHeap::new(len, exact, &mut meta).unwrap();
    let a = heap.alloc(5 * MIB + 1, 16).unwrap();
    assert_eq!(heap.usable_size(a).unwrap(), 5 * MIB + 16);
    assert_eq!(heap.stats().bytes_free, len - (5 * MIB + 16));
    // The returned tail is usable: 2 MiB + 1 MiB - 16 B still fit after the 5 MiB block.
    let b = heap.alloc(2 * MIB, 16).unwrap();
    assert!(b < 8 * MIB, "b placed in the tail at {b:#x}");
    heap.check().unwrap();

    // Packed placement rounds to the size class: 5 MiB + 1 B becomes 5.25 MiB (21/16 of
    // 4 MiB, the class step there being 256 KiB), 5 % more, and the rest of the region stays
    // free.
    let packed = Config::DEFAULT.with_capacity(16);
    let mut meta = meta_for(len, packed);
    let mut heap = BuddyHeap::new(len, packed, &mut meta).unwrap();
    let a = heap.alloc(5 * MIB + 1, 16).unwrap();
    assert_eq!(heap.usable_size(a).unwrap(), 5 * MIB + MIB / 4);
    assert_eq!(heap.stats().bytes_free, len - (5 * MIB + MIB / 4));
    heap.check().unwrap();

    for classic in [LOWEST, Config::DEFAULT].map(|c| c.with_capacity(16).with_exact_fit(false)) {
        let mut meta = meta_for(len, classic);
        let mut heap = BuddyHeap::new(len, classic, &mut meta).unwrap();
        let a = heap.alloc(5 * MIB + 1, 16).unwrap();
        assert_eq!(heap.usable_size(a).unwrap(), 8 * MIB);
        assert_eq!(heap.stats().bytes_free, 8 * MIB);
        heap.check().unwrap();
    }
}

#[test]
fn alignment_is_honoured_and_costs_no_space_with_exact_fit() {
    let len = 4 * MIB;
    for config in BOTH.map(|c| c.with_capacity(64)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let _first = heap.alloc(16, 16).unwrap();
        for shift in 4..=20 {
            let align = 1u64 << shift;
            let o = heap.alloc(100, align).unwrap();
            assert_eq!(o % align, 0);
            assert_eq!(heap.usable_size(o).unwrap(), 112);
        }
        heap.check().unwrap();
    }
}

#[test]
fn every_bad_input_is_an_error_that_changes_nothing() {
    let len = MIB;
    for config in BOTH.map(|c| c.with_capacity(4)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let a = heap.alloc(1000, 16).unwrap();
        let before = heap.stats();
        assert_eq!(heap.alloc(10, 0), Err(Error::BadAlignment));
        assert_eq!(heap.alloc(10, 3), Err(Error::BadAlignment));
        assert_eq!(heap.alloc(10, 48), Err(Error::BadAlignment));
        assert_eq!(heap.alloc(u64::MAX, 16), Err(Error::SizeOverflow));
        assert_eq!(heap.alloc(u64::MAX - 3, 16), Err(Error::SizeOverflow));
        assert_eq!(heap.alloc(2 * MIB, 16), Err(Error::OutOfMemory));
        assert_eq!(heap.alloc(16, 2 * MIB), Err(Error::OutOfMemory));
        assert_eq!(heap.free(a + 16), Err(Error::InvalidPointer), "interior");
        assert_eq!(heap.free(a + 3), Err(Error::InvalidPointer), "misaligned");
        assert_eq!(heap.free(len), Err(Error::InvalidPointer), "past the end");
        assert_eq!(heap.free(u64::MAX), Err(Error::InvalidPointer));
        assert_eq!(
            heap.free(4096),
            Err(Error::DoubleFree),
            "never allocated, in free space"
        );
        assert_eq!(heap.usable_size(a + 16), Err(Error::InvalidPointer));
        assert_eq!(
            heap.realloc_in_place(a + 16, 10),
            Err(Error::InvalidPointer)
        );
        assert_eq!(heap.realloc(a, u64::MAX), Err(Error::SizeOverflow));
        assert_eq!(heap.realloc_aligned(a, 10, 3), Err(Error::BadAlignment));
        assert_eq!(heap.stats(), before);
        heap.check().unwrap();
        heap.free(a).unwrap();
        assert_eq!(heap.free(a), Err(Error::DoubleFree));
        assert_eq!(heap.usable_size(a), Err(Error::DoubleFree));
        assert_eq!(heap.realloc_in_place(a, 10), Err(Error::DoubleFree));

        // Construction errors.
        let mut small = [0u64; 4];
        assert_eq!(
            BuddyHeap::new(len, config, &mut small).unwrap_err(),
            Error::MetadataTooSmall
        );
        assert_eq!(
            BuddyHeap::new(8, config, &mut meta).unwrap_err(),
            Error::BadRegion
        );
        assert_eq!(
            BuddyHeap::new(0, config, &mut meta).unwrap_err(),
            Error::BadRegion
        );
        let bad = Config::DEFAULT.with_min_order(2);
        assert_eq!(
            BuddyHeap::new(len, bad, &mut meta).unwrap_err(),
            Error::BadConfig
        );
        // Capacity 0 means "derived from the region", not an error.
        let auto = config.with_capacity(0);
        let mut meta = meta_for(len, auto);
        assert!(BuddyHeap::new(len, auto, &mut meta).is_ok());
        assert_eq!(Config::DEFAULT.metadata_words(8), 0);
    }
}

#[test]
fn full_size_table_is_capacity_exhausted_not_out_of_memory() {
    let len = MIB;
    for config in BOTH.map(|c| c.with_capacity(3)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let blocks: Vec<u64> = (0..3).map(|_| heap.alloc(16, 16).unwrap()).collect();
        let before = heap.stats();
        assert_eq!(heap.alloc(16, 16), Err(Error::CapacityExhausted));
        assert_eq!(heap.stats(), before);
        assert!(matches!(
            heap.realloc(blocks[0], 4096),
            Err(Error::CapacityExhausted)
        ));
        heap.free(blocks[1]).unwrap();
        assert_eq!(heap.alloc(16, 16), Ok(blocks[1]));
        heap.check().unwrap();
    }
}

#[test]
fn size_zero_gives_one_minimum_block() {
    for config in BOTH.map(|c| c.with_capacity(4)) {
        let mut meta = meta_for(4096, config);
        let mut heap = BuddyHeap::new(4096, config, &mut meta).unwrap();
        let a = heap.alloc(0, 1).unwrap();
        let b = heap.alloc(0, 1).unwrap();
        assert_ne!(a, b);
        assert_eq!(heap.usable_size(a).unwrap(), 16);
        heap.free(a).unwrap();
        heap.free(b).unwrap();
    }
}

#[test]
fn realloc_in_place_shrinks_grows_and_refuses() {
    let config = LOWEST.with_capacity(8);
    let mut meta = meta_for(MIB, config);
    let mut heap = BuddyHeap::new(MIB, config, &mut meta).unwrap();
    let a = heap.alloc(4096, 16).unwrap();
    let b = heap.alloc(4096, 16).unwrap();
    assert_eq!(b, 4096);
    // Shrink: the tail returns to the heap.
    assert_eq!(heap.realloc_in_place(a, 1000).unwrap(), 1008);
    assert_eq!(heap.stats().bytes_in_use, 1008 + 4096);
    // Grow back into the space just freed.
    assert_eq!(heap.realloc_in_place(a, 4096).unwrap(), 4096);
    // Cannot grow into b.
    let before = heap.stats();
    assert_eq!(heap.realloc_in_place(a, 4097), Err(Error::NoRoomInPlace));
    assert_eq!(heap.stats(), before);
    // b grows in place across several free buddy blocks.
    assert_eq!(heap.realloc_in_place(b, 300_000).unwrap(), 300_000);
    heap.check().unwrap();
    // realloc moves when it must and leaves the old block live for the caller's copy.
    match heap.realloc(a, 8192).unwrap() {
        Realloc::Moved { offset, size, copy } => {
            assert_ne!(offset, a);
            assert_eq!(size, 8192);
            assert_eq!(copy, 4096);
            assert_eq!(heap.usable_size(a).unwrap(), 4096, "old block still live");
            heap.free(a).unwrap();
        }
        other => panic!("expected a move, got {other:?}"),
    }
    heap.check().unwrap();
    // A failed realloc leaves the old block untouched.
    let before = heap.stats();
    assert_eq!(heap.realloc(b, 2 * MIB), Err(Error::OutOfMemory));
    assert_eq!(heap.stats(), before);
    assert_eq!(heap.usable_size(b).unwrap(), 300_000);
}

#[test]
fn reset_restores_a_fresh_heap() {
    let len = 3 * MIB + 4096;
    for config in BOTH.map(|c| c.with_capacity(32)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let fresh = heap.stats();
        let first: Vec<u64> = (0..20)
            .map(|i| heap.alloc(1000 * i + 1, 16).unwrap())
            .collect();
        heap.free(first[3]).unwrap();
        heap.reset();
        assert_eq!(heap.stats(), fresh);
        heap.check().unwrap();
        let again: Vec<u64> = (0..20)
            .map(|i| heap.alloc(1000 * i + 1, 16).unwrap())
            .collect();
        assert_eq!(first, again, "a reset heap places like a new one");
    }
}

#[test]
fn pointer_heap_carve_and_any_alignment() {
    let mut buf = vec![0u8; 2 * MIB as usize];
    let region = NonNull::new(buf.as_mut_ptr()).unwrap();
    // SAFETY: `buf` outlives the heap and nothing else uses it.
    let mut heap = unsafe { Heap::carve(region, buf.len(), Config::DEFAULT) }.unwrap();
    let base = heap.base().as_ptr() as usize;
    assert_eq!(base % 4096, 0);
    assert!(heap.contains(heap.base().as_ptr()));
    // Alignments are absolute addresses, up to what the region can hold, whatever the
    // base's own alignment.
    for shift in [4, 12, 16, 19] {
        let align = 1usize << shift;
        let p = heap.alloc(100, align).unwrap();
        assert_eq!(p.as_ptr() as usize % align, 0, "align {align}");
        heap.free(p).unwrap();
    }
    // 8 MiB alignment: the range holds such an address or not, depending on where `buf` is.
    let (lo, hi) = (base, base + heap.inner().len() as usize);
    let aligned = lo.next_multiple_of(8 << 20);
    match heap.alloc(100, 8 << 20) {
        Ok(p) => {
            assert_eq!(p.as_ptr() as usize, aligned);
            heap.free(p).unwrap();
        }
        Err(e) => {
            assert_eq!(e, Error::OutOfMemory);
            assert!(
                aligned + 112 > hi,
                "an 8 MiB-aligned block fits at {aligned:#x}"
            );
        }
    }
    let p = heap.alloc(100, 4096).unwrap();
    let outside = NonNull::new(buf.as_mut_ptr()).unwrap();
    assert_eq!(
        heap.free(outside),
        Err(Error::InvalidPointer),
        "the metadata is not a block"
    );
    // SAFETY: the heap's region is `buf`, host memory nobody else touches during the call.
    let q = unsafe {
        p.as_ptr().write_bytes(0xAB, 100);
        heap.realloc(p, 50_000, 16).unwrap()
    };
    // SAFETY: q is a live block of at least 50 000 bytes inside buf.
    let s = unsafe { core::slice::from_raw_parts(q.as_ptr(), 100) };
    assert!(s.iter().all(|&b| b == 0xAB));
    heap.free(q).unwrap();
    heap.check().unwrap();
    // Too small to hold its own metadata and a block.
    // SAFETY: as above.
    let tiny = unsafe { Heap::carve(region, 64, Config::DEFAULT) };
    assert_eq!(tiny.unwrap_err(), Error::MetadataTooSmall);
}

#[test]
fn alignment_above_an_odd_base_alignment_is_honoured() {
    // A region whose base is only 16-aligned (not 32): talc and linked_list_allocator honour
    // 8 KiB alignment there, and so must we.
    let mut buf = vec![0u8; (MIB + 8192) as usize];
    let at = (buf.as_ptr() as usize).next_multiple_of(8192) + 16;
    let offset = at - buf.as_ptr() as usize;
    let base = NonNull::new(buf[offset..].as_mut_ptr()).unwrap();
    for config in BOTH {
        let mut meta = meta_for(MIB, config);
        let mut heap = Heap::new(base, MIB as usize, config, &mut meta).unwrap();
        let mut live = Vec::new();
        for shift in 4..=16 {
            let align = 1usize << shift;
            let p = heap.alloc(100, align).unwrap();
            assert_eq!(p.as_ptr() as usize % align, 0, "align {align}");
            live.push(p);
        }
        for p in live {
            heap.free(p).unwrap();
        }
        heap.check().unwrap();
    }
    // A base that is not a multiple of the minimum block is rounded up to one.
    let odd = NonNull::new(buf[offset + 3..].as_mut_ptr()).unwrap();
    let mut meta = meta_for(MIB, Config::DEFAULT);
    let mut heap = Heap::new(odd, MIB as usize - 3, Config::DEFAULT, &mut meta).unwrap();
    assert_eq!(heap.base().as_ptr() as usize % 16, 0);
    let p = heap.alloc(10, 16).unwrap();
    assert_eq!(p.as_ptr() as usize % 16, 0);
}

#[test]
fn small_arenas_carve_with_the_default_config() {
    // Every region from 1 KiB up works with `Config::DEFAULT`; metadata is at most 1/8 of a
    // 4 KiB region.
    for len in [1024usize, 1500, 4096, 10_000, 64 << 10, 1 << 20] {
        let mut buf = vec![0u64; len / 8];
        let region = NonNull::new(buf.as_mut_ptr().cast::<u8>()).unwrap();
        // SAFETY: `buf` outlives the heap and nothing else uses it.
        let mut heap = unsafe { Heap::carve(region, len, Config::DEFAULT) }.unwrap();
        let s = heap.stats();
        assert!(
            s.region_bytes * 2 >= len as u64,
            "{len}: most of the region is usable"
        );
        if len >= 4096 {
            assert!(
                s.metadata_bytes * 8 <= len as u64,
                "{len}: metadata {} B",
                s.metadata_bytes
            );
        }
        // Fill it with 16-byte blocks up to its capacity, then free them all.
        let mut blocks = Vec::new();
        loop {
            match heap.alloc(16, 16) {
                Ok(p) => blocks.push(p),
                Err(e) => {
                    assert!(matches!(e, Error::CapacityExhausted | Error::OutOfMemory));
                    break;
                }
            }
        }
        assert_eq!(blocks.len() as u64, s.capacity.min(s.region_bytes / 16));
        for p in blocks {
            heap.free(p).unwrap();
        }
        heap.flush();
        heap.check().unwrap();
        assert_eq!(heap.stats().bytes_free, s.region_bytes);
    }
}

#[test]
fn locked_heap_threads_never_share_a_block() {
    static HEAP: LockedHeap = LockedHeap::new();
    let len = 8 * MIB as usize;
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    let base = NonNull::new(buf.as_mut_ptr()).unwrap();
    // SAFETY: `buf` is leaked, so it lives forever and nothing else uses it.
    unsafe { HEAP.init(base, len, Config::DEFAULT.with_capacity(4096)) }.unwrap();
    // SAFETY: as above (a second init must refuse without writing).
    let again = unsafe { HEAP.init(base, len, Config::DEFAULT) };
    assert_eq!(again, Err(Error::AlreadyInitialized));
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..1000usize {
                    let size = 16 + (i * 37 + t as usize * 101) % 3000;
                    let p = HEAP.try_alloc(size, 16).unwrap();
                    // SAFETY: p is a live block of at least `size` bytes owned by this thread.
                    unsafe { p.as_ptr().write_bytes(t, size) };
                    mine.push((p, size));
                    if i % 3 == 0 {
                        let (q, n) = mine.swap_remove(i % mine.len());
                        // SAFETY: q is still live and ours.
                        let s = unsafe { core::slice::from_raw_parts(q.as_ptr(), n) };
                        assert!(
                            s.iter().all(|&b| b == t),
                            "block overwritten by another thread"
                        );
                        // SAFETY: q came from try_alloc and nothing uses it any more.
                        unsafe { HEAP.try_free(q) }.unwrap();
                    }
                }
                for (q, n) in mine {
                    // SAFETY: as above.
                    let s = unsafe { core::slice::from_raw_parts(q.as_ptr(), n) };
                    assert!(s.iter().all(|&b| b == t));
                    // SAFETY: as above.
                    unsafe { HEAP.try_free(q) }.unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    HEAP.check().unwrap().unwrap();
    assert_eq!(HEAP.stats().unwrap().live_blocks, 0);
}

#[test]
fn racing_inits_carve_once() {
    // Both threads call `init` at once over the same region: exactly one must win, and the
    // loser must not write metadata over the winner's (the carve happens under the lock).
    for _ in 0..50 {
        let heap: &'static LockedHeap = Box::leak(Box::new(LockedHeap::new()));
        let len = 64 << 10;
        let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
        let addr = buf.as_mut_ptr() as usize;
        let results: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn(move || {
                    let base = NonNull::new(addr as *mut u8).unwrap();
                    // SAFETY: leaked buffer used only by this heap; init is the point.
                    unsafe { heap.init(base, len, Config::DEFAULT) }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(results.contains(&Err(Error::AlreadyInitialized)));
        let p = heap.try_alloc(100, 16).unwrap();
        heap.check().unwrap().unwrap();
        // SAFETY: p came from try_alloc.
        unsafe { heap.try_free(p) }.unwrap();
    }
}

#[test]
fn global_alloc_interface_and_unsync_heap() {
    use std::alloc::{GlobalAlloc, Layout};
    static LOCKED: LockedHeap = LockedHeap::new();
    let cell = UnsyncHeap::new();
    let uninit = Layout::from_size_align(8, 8).unwrap();
    // SAFETY: GlobalAlloc contract: non-zero size layout.
    let p = unsafe { GlobalAlloc::alloc(&cell, uninit) };
    assert!(p.is_null(), "uninitialised heap gives null");
    let len = MIB as usize;
    for which in 0..2 {
        let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
        let base = NonNull::new(buf.as_mut_ptr()).unwrap();
        // SAFETY: leaked buffer, used by nothing else.
        unsafe {
            if which == 0 {
                LOCKED.init(base, len, Config::DEFAULT).unwrap();
            } else {
                cell.init(base, len, Config::DEFAULT).unwrap();
            }
        }
        let heap: &dyn GlobalAlloc = if which == 0 { &LOCKED } else { &cell };
        let layout = Layout::from_size_align(1000, 256).unwrap();
        // SAFETY: GlobalAlloc contract: non-zero layout; p is used only while live.
        unsafe {
            let p = heap.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % 256, 0);
            p.write_bytes(7, 1000);
            let q = heap.realloc(p, layout, 100_000);
            assert!(!q.is_null());
            assert!(core::slice::from_raw_parts(q, 1000).iter().all(|&b| b == 7));
            heap.dealloc(q, Layout::from_size_align(100_000, 256).unwrap());
            let z = heap.alloc_zeroed(Layout::from_size_align(4096, 16).unwrap());
            assert!(core::slice::from_raw_parts(z, 4096).iter().all(|&b| b == 0));
            heap.dealloc(z, Layout::from_size_align(4096, 16).unwrap());
            let huge = heap.alloc(Layout::from_size_align(len * 2, 16).unwrap());
            assert!(huge.is_null(), "failure is null");
        }
    }
    assert_eq!(LOCKED.stats().unwrap().live_blocks, 0);
    assert_eq!(cell.stats().unwrap().live_blocks, 0);
    // `HEAP.alloc(layout)` is GlobalAlloc's method: the inherent ones are `try_*`.
    let layout = Layout::from_size_align(24, 8).unwrap();
    // SAFETY: non-zero layout; freed with the same layout.
    unsafe {
        let p = LOCKED.alloc(layout);
        assert!(!p.is_null());
        LOCKED.dealloc(p, layout);
    }
}

/// 16 blocks of 64 KiB fill 1 MiB; freeing blocks 1, 2, 5 and 6 leaves two runs of 128 KiB
/// ([64 KiB, 192 KiB) and [320 KiB, 448 KiB)) made of 64 KiB blocks that are not buddies.
fn fragmented(config: Config, meta: &mut [u64]) -> BuddyHeap<'_> {
    let mut heap = BuddyHeap::new(MIB, config, meta).unwrap();
    let blocks: Vec<u64> = (0..16).map(|_| heap.alloc(64 << 10, 16).unwrap()).collect();
    assert_eq!(blocks[15], 15 << 16);
    for i in [1, 2, 5, 6] {
        heap.free(blocks[i]).unwrap();
    }
    assert_eq!(heap.stats().largest_free, 64 << 10);
    heap.check().unwrap();
    heap
}

#[test]
fn exact_fit_places_a_block_in_a_run_of_adjacent_free_blocks() {
    let config = LOWEST.with_capacity(32);
    let mut meta = meta_for(MIB, config);
    let mut heap = fragmented(config, &mut meta);
    // No free 128 KiB block exists; the lowest run long enough takes the request.
    assert_eq!(heap.alloc(100 << 10, 16), Ok(64 << 10));
    assert_eq!(heap.usable_size(64 << 10), Ok(100 << 10));
    heap.check().unwrap();
    // Alignment: the second run starts at 320 KiB; 128 KiB alignment moves the block to 384 KiB.
    assert_eq!(heap.alloc((48 << 10) + 16, 128 << 10), Ok(384 << 10));
    heap.check().unwrap();
    // What is left: [164 KiB, 192 KiB) and [320 KiB, 384 KiB), [432 KiB + 16, 448 KiB).
    assert_eq!(heap.alloc(65 << 10, 16), Err(Error::OutOfMemory));
    assert_eq!(heap.alloc(64 << 10, 16), Ok(320 << 10));
    assert_eq!(heap.alloc(28 << 10, 16), Ok(164 << 10));
    heap.check().unwrap();
    // Frees coalesce the pieces back into whole blocks.
    for o in [64 << 10, 384 << 10, 320 << 10, 164 << 10] {
        heap.free(o).unwrap();
    }
    heap.check().unwrap();
    assert_eq!(heap.stats().bytes_free, 4 * (64 << 10));
}

#[test]
fn run_fallback_is_refused_when_no_run_is_long_enough_and_in_classic_mode() {
    let config = LOWEST.with_capacity(32);
    let mut meta = meta_for(MIB, config);
    let mut heap = fragmented(config, &mut meta);
    let before = heap.stats();
    // Longer than either run, and aligned starts that leave too little room.
    assert_eq!(heap.alloc((128 << 10) + 16, 16), Err(Error::OutOfMemory));
    assert_eq!(heap.alloc(80 << 10, 128 << 10), Err(Error::OutOfMemory));
    // More than the free bytes.
    assert_eq!(heap.alloc(300 << 10, 16), Err(Error::OutOfMemory));
    assert_eq!(heap.stats(), before);
    heap.check().unwrap();

    // Classic mode keeps power-of-two buddy blocks: no run placement.
    let classic = config.with_exact_fit(false);
    let mut meta = meta_for(MIB, classic);
    let mut heap = fragmented(classic, &mut meta);
    assert_eq!(heap.alloc(100 << 10, 16), Err(Error::OutOfMemory));
    heap.check().unwrap();
}

#[test]
fn exact_fit_request_larger_than_the_largest_buddy_block_of_an_odd_region() {
    // 96 KiB = 64 KiB + 32 KiB: the largest buddy block is 64 KiB, yet 80 KiB fit.
    let len = 96 << 10;
    for config in BOTH.map(|c| c.with_capacity(8)) {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        assert_eq!(heap.alloc(80 << 10, 16), Ok(0));
        assert_eq!(heap.alloc(16 << 10, 16), Ok(80 << 10));
        assert_eq!(heap.alloc(16, 16), Err(Error::OutOfMemory));
        heap.check().unwrap();
        heap.free(0).unwrap();
        heap.free(80 << 10).unwrap();
        heap.flush();
        heap.check().unwrap();
        assert_eq!(heap.stats().largest_free, 64 << 10);
        assert_eq!(heap.stats().bytes_free, len);
    }
}

#[test]
fn filling_with_run_fallback_is_deterministic_and_dense() {
    // Random sizes until 16 failures in a row, twice: the same offsets, and more placed than
    // aligned buddy blocks alone allow (the runs of returned tails get used).
    let len = 4 * MIB;
    let config = LOWEST.with_capacity(1024);
    let run = |config: Config| {
        let mut meta = meta_for(len, config);
        let mut heap = BuddyHeap::new(len, config, &mut meta).unwrap();
        let (mut x, mut fails, mut placed) = (7u64, 0, 0u64);
        let mut trace = Vec::new();
        while fails < 16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = 64 + (x >> 11) % (64 << 10);
            match heap.alloc(size, 16) {
                Ok(o) => {
                    fails = 0;
                    placed += size;
                    trace.push(o);
                }
                Err(e) => {
                    assert_eq!(e, Error::OutOfMemory);
                    fails += 1;
                }
            }
        }
        heap.check().unwrap();
        (trace, placed)
    };
    let (a, placed) = run(config);
    let (b, _) = run(config);
    assert_eq!(a, b);
    let (_, classic) = run(config.with_exact_fit(false));
    assert!(
        placed > len * 9 / 10 && placed > classic,
        "placed {placed}, classic {classic}"
    );
}

#[test]
fn absurd_capacity_is_bad_config_not_a_panic() {
    // A capacity whose size table cannot be sized without overflowing must be refused up
    // front (it used to overflow in `size_table::slots_for`: a panic in debug builds, a
    // too-small table and an out-of-bounds panic on the first alloc in release builds).
    for capacity in [usize::MAX, usize::MAX / 2, usize::MAX / 4 + 1] {
        let config = Config::DEFAULT.with_capacity(capacity);
        assert!(!config.is_valid(), "capacity {capacity}");
        assert_eq!(config.metadata_words(MIB), 0);
        assert_eq!(config.metadata_bytes(MIB), 0);
        let mut meta = [0u64; 16];
        assert_eq!(
            BuddyHeap::new(MIB, config, &mut meta).unwrap_err(),
            Error::BadConfig
        );
    }
}

#[test]
fn carve_near_the_top_of_the_address_space_is_bad_region() {
    // The metadata of a small region does not fit in it; computing where it ends must not
    // wrap around the address space (which made `carve` zero metadata far past the region's
    // end in release builds, and panic in debug builds).
    let start = usize::MAX - 4095;
    let region = NonNull::new(start as *mut u8).unwrap();
    // A capacity whose table alone is far larger than the region: its end would wrap.
    let config = Config::DEFAULT.with_capacity(1 << 40);
    // SAFETY: the call must fail before it writes anything (the range is not memory).
    let r = unsafe { Heap::carve(region, 4095, config) };
    assert_eq!(r.unwrap_err(), Error::BadRegion);
    // A region that wraps around the address space is refused outright.
    // SAFETY: as above.
    let r = unsafe { Heap::carve(region, 8192, Config::DEFAULT) };
    assert_eq!(r.unwrap_err(), Error::BadRegion);
}
