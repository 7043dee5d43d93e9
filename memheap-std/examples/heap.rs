//! One PE's symmetric heap from the environment: allocate, align, resize, free, report.
//!
//! ```text
//! cargo run -p memheap-std --example heap
//! MEMHEAP_VERBOSE=1 MEMHEAP_COMPONENT=ptmalloc SHMEM_SYMMETRIC_SIZE=64M \
//!     cargo run -p memheap-std --example heap
//! ```

use memheap_std::SymmetricHeap;

fn main() {
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut heap = SymmetricHeap::from_env()?;
    let seg = heap.segment();
    println!(
        "component {}: user heap {:p} + {} bytes, private heap {:p} + {} bytes{}",
        heap.component(),
        seg.user_range().as_ptr(),
        seg.user_range().len(),
        seg.private_range().as_ptr(),
        seg.private_range().len(),
        if seg.huge_pages() { ", huge pages" } else { "" },
    );

    let a = heap.alloc(1000)?;
    let b = heap.align(4096, 64)?;
    println!("alloc(1000) = {a:p}, align(4096, 64) = {b:p}");
    // SAFETY: `a` is a live block of at least 1000 bytes.
    unsafe { a.as_ptr().write_bytes(0xAB, 1000) };
    let a = heap.realloc(a, 100_000)?;
    // SAFETY: realloc kept the first 1000 bytes of the block.
    let kept = unsafe { std::slice::from_raw_parts(a.as_ptr(), 1000) };
    assert!(kept.iter().all(|&x| x == 0xAB));
    println!(
        "realloc(a, 100000) = {a:p}, usable {} bytes",
        heap.usable_size(a)?
    );
    println!("{:?}", heap.stats());

    heap.free(a)?;
    heap.free(b)?;
    match heap.free(b) {
        Err(e) => println!("second free of {b:p}: {e}"),
        Ok(()) => return Err("double free went unnoticed".into()),
    }
    println!("{:?}", heap.stats());
    Ok(())
}
