//! The operation-sequence body shared by the property tests and the `cargo fuzz` target.
//!
//! [`run`] decodes bytes into a heap configuration and a sequence of alloc / free / realloc /
//! usable-size / bad-free operations on a [`Heap`] over a stack region, and checks every result
//! against a shadow model: offsets inside the region and aligned, no overlap with any other
//! live block, usable sizes, contents that survive other operations and reallocs, errors for
//! bad frees that change nothing, invariants after every step, and that freeing everything
//! gives back the state of a fresh heap. Enabled by the `fuzzing` feature (and in tests).

use core::ptr::NonNull;

use crate::class::{class_of, class_units};
use crate::{Config, Error, Heap, Placement};

/// Bytes of the region the body allocates in.
pub const REGION: usize = 1 << 16;
const MAX_LIVE: usize = 48;
const META_WORDS: usize = Config::DEFAULT
    .with_min_order(3)
    .with_capacity(MAX_LIVE)
    .metadata_words(REGION as u64);

#[derive(Clone, Copy)]
struct Live {
    off: usize,
    size: usize,
    usable: usize,
    tag: u8,
}

/// A little-endian byte reader that yields zeros once the input runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

#[repr(C, align(4096))]
struct Region([u8; REGION]);

/// Run the operation sequence encoded by `data`; `Err` describes the first property violated.
pub fn run(data: &[u8]) -> Result<(), &'static str> {
    let mut input = Input(data);
    // Configuration: region length (not a power of two in general), min order, exact fit,
    // placement, list depth, capacity (small capacities exercise CapacityExhausted and the
    // lists' drain when the size table is full).
    let cfg_byte = input.byte();
    let len = REGION - (input.u16() as usize % (REGION / 2));
    let min_order = 3 + (cfg_byte & 3) as u32; // 8..64 B
    let exact_fit = cfg_byte & 4 == 0;
    let placement = if cfg_byte & 8 == 0 {
        Placement::Packed
    } else {
        Placement::LowestAddress
    };
    let list_depth = [32, 0, 1, 3][(cfg_byte >> 4) as usize & 3];
    let capacity = 1 + (input.byte() as usize % MAX_LIVE);
    let config = Config {
        min_order,
        capacity,
        exact_fit,
        placement,
        list_depth,
    };
    let packed = placement == Placement::Packed;
    let sub = crate::class::SUB_BITS;
    // The bytes a request occupies: its size class (packed), a power of two (classic) or the
    // minimum block (strict exact fit).
    let rounded = |size: usize| -> usize {
        let units = size.max(1).div_ceil(1 << min_order) as u64;
        if !exact_fit {
            (units.next_power_of_two() as usize) << min_order
        } else if packed {
            let c = class_units(class_of(units, sub), sub).unwrap_or(u64::MAX);
            (c as usize) << min_order
        } else {
            (units as usize) << min_order
        }
    };

    let mut region = Region([0u8; REGION]);
    let mut meta = [0u64; META_WORDS];
    let base_ptr = region.0.as_mut_ptr();
    let base = NonNull::new(base_ptr).ok_or("null region")?;
    let mut heap = Heap::new(base, len, config, &mut meta).map_err(|_| "heap::new failed")?;
    let fresh = heap.stats();
    let min_block = 1usize << min_order;
    let mut live: [Option<Live>; MAX_LIVE] = [None; MAX_LIVE];
    let mut tag: u8 = 0;

    let contents_ok = |l: &Live| -> bool {
        // SAFETY: `l` is a live block inside `region`, which outlives this closure's uses.
        let s = unsafe { core::slice::from_raw_parts(base_ptr.add(l.off), l.size) };
        s.iter().all(|&b| b == l.tag)
    };

    while !input.done() {
        let op = input.byte() % 8;
        let slot = input.byte() as usize % MAX_LIVE;
        match (op, live[slot]) {
            (0..=2, None) => {
                // alloc
                let size = input.u16() as usize >> (input.byte() % 12);
                let align = 1usize << (input.byte() % 13);
                let n_live = live.iter().filter(|l| l.is_some()).count();
                match heap.alloc(size, align) {
                    Ok(p) => {
                        let off = p.as_ptr() as usize - base_ptr as usize;
                        if off % align != 0 || (p.as_ptr() as usize) % align != 0 {
                            return Err("misaligned block");
                        }
                        let usable = heap
                            .usable_size(p)
                            .map_err(|_| "usable_size failed on a live block")?;
                        if usable < size.max(1) || usable % min_block != 0 || off + usable > len {
                            return Err("bad usable size");
                        }
                        if usable != rounded(size) {
                            return Err("usable size is not the request's rounded size");
                        }
                        let floor = size.max(1).next_multiple_of(min_block);
                        if exact_fit && (usable - floor) * 16 > floor {
                            return Err("exact fit kept more than 1/16 above the request");
                        }
                        if !exact_fit && !usable.is_power_of_two() {
                            return Err("classic block not a power of two");
                        }
                        for other in live.iter().flatten() {
                            if off < other.off + other.usable && other.off < off + usable {
                                return Err("overlapping blocks");
                            }
                        }
                        tag = tag.wrapping_add(1);
                        // SAFETY: [off, off + size) is a fresh live block inside `region`.
                        unsafe { core::ptr::write_bytes(base_ptr.add(off), tag, size) };
                        live[slot] = Some(Live {
                            off,
                            size,
                            usable,
                            tag,
                        });
                    }
                    Err(Error::CapacityExhausted) => {
                        if n_live < capacity {
                            return Err("capacity exhausted below capacity");
                        }
                    }
                    Err(Error::OutOfMemory) => {
                        let used = rounded(size);
                        let s = heap.stats();
                        let need = used.next_power_of_two().max(align);
                        if (s.largest_free as usize) >= need && n_live < capacity {
                            return Err("out of memory with a large enough free block");
                        }
                        // Exact fit also places blocks in runs of adjacent free blocks: out of
                        // memory only when the model's free space has no aligned gap that long.
                        let managed = heap.inner().len() as usize;
                        if exact_fit
                            && n_live < capacity
                            && aligned_gap_exists(&live, managed, used, align.max(min_block))
                        {
                            return Err("out of memory with a long enough aligned free run");
                        }
                    }
                    Err(_) => return Err("unexpected alloc error"),
                }
            }
            (0..=2, Some(l)) | (3, Some(l)) => {
                // free
                if !contents_ok(&l) {
                    return Err("contents changed");
                }
                let p = NonNull::new(base_ptr.wrapping_add(l.off)).ok_or("null")?;
                let before = heap.stats();
                heap.free(p).map_err(|_| "free of a live block failed")?;
                let after = heap.stats();
                if after.bytes_in_use + l.usable as u64 != before.bytes_in_use
                    || after.live_blocks + 1 != before.live_blocks
                {
                    return Err("free did not release the block's bytes");
                }
                if heap.free(p) != Err(Error::DoubleFree) {
                    return Err("double free not reported");
                }
                if heap.stats() != after {
                    return Err("double free changed the heap");
                }
                live[slot] = None;
            }
            (4 | 5, Some(l)) => {
                // realloc
                let new_size = input.u16() as usize >> (input.byte() % 12);
                let p = NonNull::new(base_ptr.wrapping_add(l.off)).ok_or("null")?;
                let before = heap.stats();
                // SAFETY: the region is host memory we own; nothing else touches the block.
                match unsafe { heap.realloc(p, new_size, 1) } {
                    Ok(q) => {
                        let off = q.as_ptr() as usize - base_ptr as usize;
                        let usable = heap
                            .usable_size(q)
                            .map_err(|_| "usable_size after realloc")?;
                        if usable < new_size.max(1) || off + usable > len {
                            return Err("bad usable size after realloc");
                        }
                        let keep = l.size.min(new_size);
                        // SAFETY: [off, off + keep) lies in the live block q.
                        let s = unsafe { core::slice::from_raw_parts(base_ptr.add(off), keep) };
                        if s.iter().any(|&b| b != l.tag) {
                            return Err("realloc lost contents");
                        }
                        for (i, other) in live.iter().enumerate() {
                            if let Some(o) = other {
                                if i != slot && off < o.off + o.usable && o.off < off + usable {
                                    return Err("realloc overlaps another block");
                                }
                            }
                        }
                        // SAFETY: the whole new size lies in the live block q.
                        unsafe { core::ptr::write_bytes(base_ptr.add(off), l.tag, new_size) };
                        live[slot] = Some(Live {
                            off,
                            size: new_size,
                            usable,
                            tag: l.tag,
                        });
                    }
                    Err(e @ (Error::OutOfMemory | Error::CapacityExhausted)) => {
                        // The free lists may have drained; no block may have changed hands.
                        let after = heap.stats();
                        if after.bytes_in_use != before.bytes_in_use
                            || after.live_blocks != before.live_blocks
                            || heap.usable_size(p) != Ok(l.usable)
                            || !contents_ok(&l)
                        {
                            return Err("failed realloc changed the heap or the block");
                        }
                        // A move allocates while the old block is still live.
                        let used = rounded(new_size);
                        let n_live = live.iter().filter(|l| l.is_some()).count();
                        let managed = heap.inner().len() as usize;
                        if e == Error::OutOfMemory
                            && exact_fit
                            && n_live < capacity
                            && aligned_gap_exists(&live, managed, used, min_block)
                        {
                            return Err("realloc out of memory with a long enough free run");
                        }
                    }
                    Err(_) => return Err("unexpected realloc error"),
                }
            }
            (6, _) => {
                // Bad frees: foreign, interior, misaligned. None may change anything.
                let before = heap.stats();
                let probe = input.u16() as usize % (REGION + 64);
                let is_start = live.iter().flatten().any(|l| l.off == probe);
                if !is_start {
                    if let Some(p) = NonNull::new(base_ptr.wrapping_add(probe)) {
                        if heap.free(p).is_ok() {
                            return Err("free of a non-block succeeded");
                        }
                    }
                    if heap.stats() != before {
                        return Err("bad free changed the heap");
                    }
                }
            }
            _ => {}
        }
        heap.check()?;
    }
    for l in live.iter().flatten() {
        if !contents_ok(l) {
            return Err("contents changed");
        }
        let p = NonNull::new(base_ptr.wrapping_add(l.off)).ok_or("null")?;
        heap.free(p).map_err(|_| "final free failed")?;
    }
    heap.check()?;
    heap.flush();
    heap.check()?;
    if heap.stats() != fresh {
        return Err("freeing everything did not restore the fresh heap");
    }
    Ok(())
}

/// Does `[0, len)` minus the live blocks hold `[o, o + used)` for some `o` that is a multiple
/// of `align`? (The model's view of free space; no reference to the heap's bitmaps.)
fn aligned_gap_exists(live: &[Option<Live>], len: usize, used: usize, align: usize) -> bool {
    // Live blocks sorted by offset (insertion sort: at most MAX_LIVE of them).
    let mut sorted = [(0usize, 0usize); MAX_LIVE];
    let mut n = 0;
    for l in live.iter().flatten() {
        let mut i = n;
        while i > 0 && sorted[i - 1].0 > l.off {
            sorted[i] = sorted[i - 1];
            i -= 1;
        }
        sorted[i] = (l.off, l.off + l.usable);
        n += 1;
    }
    let mut gap_start = 0usize;
    for &(start, end) in sorted[..n].iter().chain(core::iter::once(&(len, len))) {
        let o = gap_start.next_multiple_of(align);
        if o + used <= start {
            return true;
        }
        gap_start = gap_start.max(end);
    }
    false
}

#[cfg(test)]
mod tests {
    /// Fixed seeds: the same body the fuzz target runs, on deterministic inputs (under Miri,
    /// which interprets every step, 6 seeds of at most 800 bytes).
    #[test]
    fn fixed_seeds() {
        let mut buf = [0u8; 4096];
        let (seeds, most) = if cfg!(miri) { (6, 800) } else { (64u64, 4096) };
        for seed in 1..=seeds {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            let n = (64 + (seed as usize * 61) % (buf.len() - 64)).min(most);
            if let Err(e) = super::run(&buf[..n]) {
                panic!("seed {seed}: {e}");
            }
        }
    }

    /// Short sequences, cheap enough for Miri (`cargo +nightly miri test -p memheap-core --lib
    /// miri_smoke`), which checks the unchecked bitmap indexing and the pointer heap's raw
    /// memory accesses against Rust's aliasing rules.
    #[test]
    fn miri_smoke() {
        let mut buf = [0u8; 200];
        for seed in 1..=3u64 {
            let mut x = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            if let Err(e) = super::run(&buf) {
                panic!("seed {seed}: {e}");
            }
        }
    }

    #[test]
    fn empty_and_tiny_inputs() {
        super::run(&[]).unwrap();
        super::run(&[0]).unwrap();
        super::run(&[7, 1, 2, 3]).unwrap();
    }
}
