//! The core on its own: a heap over a host buffer, and an offset-only heap over 16 GiB of
//! "device memory" it never touches. Run: `cargo run --release -p memheap-core --example quickstart`.

use std::ptr::NonNull;

use memheap_core::{BuddyHeap, Config, Heap, Realloc};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A host heap: 100 MiB (not a power of two), metadata carved from the front.
    let len = 100 << 20;
    let mut buf = vec![0u8; len];
    let region = NonNull::new(buf.as_mut_ptr()).ok_or("null buffer")?;
    // SAFETY: `buf` outlives `heap` and nothing else touches it while the heap lives.
    let mut heap = unsafe { Heap::carve(region, len, Config::DEFAULT) }?;
    let s = heap.stats();
    println!(
        "host heap: {} MiB managed, {} KiB of metadata ({} KiB bitmaps)",
        s.region_bytes >> 20,
        s.metadata_bytes >> 10,
        s.bitmap_bytes >> 10
    );
    let a = heap.alloc(3 << 20, 16)?;
    let b = heap.alloc(1000, 4096)?;
    println!(
        "alloc 3 MiB -> {:p} (usable {} B: exact fit)",
        a,
        heap.usable_size(a)?
    );
    println!(
        "alloc 1000 B aligned 4096 -> {:p} (usable {} B)",
        b,
        heap.usable_size(b)?
    );
    // SAFETY: `b` is a live block of at least 1000 bytes in `buf`.
    unsafe { b.as_ptr().write_bytes(0x5A, 1000) };
    // SAFETY: the heap's range is `buf`, which nothing else accesses during the call.
    let b2 = unsafe { heap.realloc(b, 1 << 20, 4096)? };
    // SAFETY: `b2` holds the first 1000 bytes of the old block.
    let kept = unsafe { std::slice::from_raw_parts(b2.as_ptr(), 1000) }
        .iter()
        .all(|&x| x == 0x5A);
    println!("realloc to 1 MiB -> {:p}, contents kept: {kept}", b2);
    println!(
        "double free -> {}",
        heap.free(a).and_then(|_| heap.free(a)).unwrap_err()
    );
    heap.free(b2)?;
    heap.check()?;
    println!(
        "after freeing everything: {} B free, {} live blocks, invariants ok",
        heap.stats().bytes_free,
        heap.stats().live_blocks
    );

    // 2. An offset-only heap: 16 GiB of device memory, metadata on the host.
    let dev_len = 16u64 << 30;
    let config = Config::DEFAULT.with_capacity(1024);
    let mut meta = vec![0u64; config.metadata_words(dev_len)];
    let mut dev = BuddyHeap::new(dev_len, config, &mut meta)?;
    let x = dev.alloc(5 << 30, 1 << 21)?;
    let y = dev.alloc(64 << 10, 256)?;
    println!("device heap: 5 GiB at offset {x:#x}, 64 KiB at offset {y:#x} (above 4 GiB)");
    match dev.realloc(y, 1 << 30)? {
        Realloc::InPlace { size } => println!("device realloc grew in place to {size} B"),
        Realloc::Moved { offset, copy, .. } => {
            println!("device realloc moved to {offset:#x}: copy {copy} B with your DMA engine, then free the old block");
            dev.free(y)?;
        }
    }
    println!(
        "device heap: {} KiB of host metadata for 16 GiB",
        dev.stats().metadata_bytes >> 10
    );
    Ok(())
}
