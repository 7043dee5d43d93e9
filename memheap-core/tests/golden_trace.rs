//! Golden traces: a fixed operation sequence (allocations of many sizes and alignments, frees,
//! reallocations, in-place resizes, flushes) whose every result is hashed. The hashes are
//! recorded below, so any change of placement between builds or versions fails this test.
//!
//! A symmetric heap needs every PE to place every block at the same offset, so all PEs of a job
//! must run the same version of memheap-core with the same `Config`. A change that moves blocks
//! is a breaking change: update the recorded hashes only together with a version bump and a
//! CHANGELOG entry saying that placement changed.

use memheap_core::{BuddyHeap, Config, Realloc};

/// FNV-1a over 64-bit words.
struct Fnv(u64);

impl Fnv {
    fn word(&mut self, w: u64) {
        for b in w.to_le_bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Run the sequence on a fresh heap; returns the hash of every result and how many operations
/// succeeded.
fn trace(config: Config) -> (u64, u32) {
    const LEN: u64 = (48 << 20) + 4096 * 5; // not a power of two
    let mut meta = vec![0u64; config.metadata_words(LEN)];
    let mut heap = BuddyHeap::new(LEN, config, &mut meta).unwrap();
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut live: Vec<u64> = Vec::new();
    let mut ok = 0u32;
    for step in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pick = x % 16;
        let r = x >> 8;
        match pick {
            0..=6 => {
                // log-uniform sizes, 1 B .. 1 MiB; every 8th request aligned up to 64 KiB
                let size = (1u64 << (r % 20)) + (r >> 20) % (1 << (r % 20));
                let align = if r % 8 == 0 {
                    1u64 << (4 + (r >> 40) % 13)
                } else {
                    16
                };
                match heap.alloc(size, align) {
                    Ok(o) => {
                        ok += 1;
                        live.push(o);
                        h.word(o);
                        h.word(heap.usable_size(o).unwrap());
                    }
                    Err(e) => h.word(1000 + e as u64),
                }
            }
            7..=12 if !live.is_empty() => {
                let o = live.swap_remove((r % live.len() as u64) as usize);
                h.word(heap.free(o).unwrap());
                ok += 1;
            }
            13 if !live.is_empty() => {
                let i = (r % live.len() as u64) as usize;
                let size = 1 + (r >> 20) % (256 << 10);
                match heap.realloc(live[i], size) {
                    Ok(Realloc::InPlace { size }) => {
                        ok += 1;
                        h.word(size);
                    }
                    Ok(Realloc::Moved { offset, size, copy }) => {
                        ok += 1;
                        heap.free(live[i]).unwrap();
                        live[i] = offset;
                        h.word(offset);
                        h.word(size);
                        h.word(copy);
                    }
                    Err(e) => h.word(2000 + e as u64),
                }
            }
            14 if !live.is_empty() => {
                let i = (r % live.len() as u64) as usize;
                match heap.realloc_in_place(live[i], 1 + (r >> 24) % (64 << 10)) {
                    Ok(s) => {
                        ok += 1;
                        h.word(s);
                    }
                    Err(e) => h.word(3000 + e as u64),
                }
            }
            15 if step % 7 == 0 => heap.flush(),
            _ => {}
        }
    }
    let s = heap.stats();
    for w in [s.bytes_in_use, s.bytes_free, s.bytes_listed, s.live_blocks] {
        h.word(w);
    }
    heap.check().unwrap();
    (h.0, ok)
}

#[test]
fn default_placement_is_pinned() {
    let (hash, ok) = trace(Config::DEFAULT);
    assert!(
        ok > 15_000,
        "the trace must mostly succeed, not fail alike: {ok}"
    );
    assert_eq!(hash, GOLDEN_DEFAULT, "placement changed: {hash:#018x}");
}

#[test]
fn lowest_address_placement_is_pinned() {
    let (hash, ok) = trace(Config::LOWEST_ADDRESS);
    assert!(ok > 15_000, "{ok}");
    assert_eq!(hash, GOLDEN_LOWEST, "placement changed: {hash:#018x}");
}

#[test]
fn classic_placement_is_pinned() {
    let (hash, ok) = trace(Config::DEFAULT.with_exact_fit(false));
    assert!(ok > 15_000, "{ok}");
    assert_eq!(hash, GOLDEN_CLASSIC, "placement changed: {hash:#018x}");
}

#[test]
fn the_trace_tells_placements_apart() {
    // The hash depends on placement: the three modes place differently.
    let a = trace(Config::DEFAULT).0;
    let b = trace(Config::LOWEST_ADDRESS).0;
    let c = trace(Config::DEFAULT.with_exact_fit(false)).0;
    assert!(a != b && b != c && a != c);
}

const GOLDEN_DEFAULT: u64 = 0x518d_5c4c_e1e6_ee8c;
const GOLDEN_LOWEST: u64 = 0xfeb3_f329_b40b_35c3;
const GOLDEN_CLASSIC: u64 = 0x8a6b_2fdb_dabe_364c;
