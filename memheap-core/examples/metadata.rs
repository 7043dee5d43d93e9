//! Prints the metadata cost table of memheap-core's README: metadata bytes, their fraction of
//! the region, and the derived capacity, by region size and minimum block, for
//! `Config::DEFAULT` (packed placement) and `Config::LOWEST_ADDRESS`, and the capacity and
//! metadata of an arena claimed by `LockedHeap::claim` (`Config::for_claim`).
//!
//! `cargo run -p memheap-core --example metadata`

use memheap_core::{BuddyHeap, Config};

fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

/// The table, as Markdown lines.
pub fn table() -> Vec<String> {
    let mut out = vec![
        "| region | min block | metadata (`DEFAULT`) | of region | capacity (blocks) | metadata (`LOWEST_ADDRESS`) | `claim`: capacity | `claim`: metadata |".to_string(),
        "|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let heap_struct = core::mem::size_of::<BuddyHeap<'static>>();
    for (len, order) in [
        (1u64 << 10, 4u32),
        (4 << 10, 4),
        (64 << 10, 4),
        (1 << 20, 4),
        (64 << 20, 4),
        (1 << 30, 4),
        (1 << 30, 6),
        (16 << 30, 4),
        (16 << 30, 12),
    ] {
        let packed = Config::DEFAULT.with_min_order(order);
        let lowest = Config::LOWEST_ADDRESS.with_min_order(order);
        let m = packed.metadata_bytes(len) as u64;
        // The configuration `LockedHeap::claim` carves an arena of `len` bytes with.
        let claimed = packed.for_claim(len as usize);
        let cm = claimed.metadata_bytes(len) as u64;
        out.push(format!(
            "| {} | {} B | {} B | {:.2} % | {} | {} B | {} | {:.2} % |",
            size(len),
            1u64 << order,
            m,
            m as f64 * 100.0 / len as f64,
            packed.capacity_for(len),
            lowest.metadata_bytes(len),
            claimed.capacity_for(len),
            cm as f64 * 100.0 / len as f64,
        ));
    }
    out.push(String::new());
    out.push(format!(
        "Plus the heap structure itself (`size_of::<BuddyHeap>()`, in the `static` or on the \
         stack, not in the metadata words): {heap_struct} bytes on this (64-bit) target."
    ));
    out
}

fn main() {
    for line in table() {
        println!("{line}");
    }
}
