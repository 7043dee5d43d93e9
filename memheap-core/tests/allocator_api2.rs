//! `allocator_api2::alloc::Allocator` for `&LockedHeap` (feature `allocator-api2`).

use core::ptr::NonNull;

use allocator_api2::alloc::{Allocator, Layout};
use allocator_api2::vec::Vec;
use memheap_core::{Config, LockedHeap};

#[test]
fn collections_grow_and_shrink_in_a_locked_heap() {
    static HEAP: LockedHeap = LockedHeap::new();
    let len = 1 << 20;
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    // SAFETY: leaked buffer, used by nothing else.
    unsafe {
        HEAP.init(
            NonNull::new(buf.as_mut_ptr()).unwrap(),
            len,
            Config::DEFAULT,
        )
    }
    .unwrap();
    {
        let mut v: Vec<u64, &LockedHeap> = Vec::new_in(&HEAP);
        for i in 0..10_000u64 {
            v.push(i * 3);
        }
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
        assert_eq!(HEAP.stats().unwrap().live_blocks, 1);
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(v.iter().sum::<u64>(), 3 * 45);
        assert!(HEAP.stats().unwrap().bytes_in_use < 1000);
    }
    assert_eq!(HEAP.stats().unwrap().live_blocks, 0);

    // The slice `allocate` returns is the block's usable size; zero-size layouts work.
    let a = (&HEAP)
        .allocate(Layout::from_size_align(100, 64).unwrap())
        .unwrap();
    assert_eq!(a.len(), 112);
    assert_eq!(a.cast::<u8>().as_ptr() as usize % 64, 0);
    let z = (&HEAP)
        .allocate(Layout::from_size_align(0, 1).unwrap())
        .unwrap();
    // SAFETY: both were allocated above with these layouts.
    unsafe {
        (&HEAP).deallocate(a.cast(), Layout::from_size_align(100, 64).unwrap());
        (&HEAP).deallocate(z.cast(), Layout::from_size_align(0, 1).unwrap());
    }
    assert_eq!(HEAP.stats().unwrap().live_blocks, 0);
    // Too large: an error, not a panic.
    assert!((&HEAP)
        .allocate(Layout::from_size_align(2 << 20, 16).unwrap())
        .is_err());
}

#[test]
fn collections_in_an_unsync_heap() {
    use memheap_core::UnsyncHeap;
    let heap = UnsyncHeap::new();
    let len = 1 << 20;
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    // SAFETY: leaked buffer, used by nothing else.
    unsafe {
        heap.init(
            NonNull::new(buf.as_mut_ptr()).unwrap(),
            len,
            Config::DEFAULT,
        )
    }
    .unwrap();
    {
        let mut v: Vec<u32, &UnsyncHeap> = Vec::new_in(&heap);
        v.extend(0..5000u32);
        assert_eq!(v.iter().map(|&x| x as u64).sum::<u64>(), 4999 * 5000 / 2);
        assert_eq!(heap.stats().unwrap().live_blocks, 1);
        let a = (&heap)
            .allocate(Layout::from_size_align(24, 8).unwrap())
            .unwrap();
        assert_eq!(a.len(), 32);
        // SAFETY: allocated just above with this layout.
        unsafe { (&heap).deallocate(a.cast(), Layout::from_size_align(24, 8).unwrap()) };
    }
    assert_eq!(heap.stats().unwrap().live_blocks, 0);
}
