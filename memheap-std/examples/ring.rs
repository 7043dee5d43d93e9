//! The memheap demo: 4 PEs share a symmetric heap on one machine.
//!
//! ```text
//! cargo build --release -p memheap-std --examples --bins
//! target/release/memheap-run -n 4 --prefix target/release/examples/ring
//! ```
//!
//! Every PE prints the selected component and the addresses of its collective allocations
//! (the same on every PE), then a token goes around the ring: each PE waits for it in its own
//! heap, adds its number and stores it straight into its right neighbour's heap through the
//! mapping [`Runtime::ptr`] gives. Then a collective realloc keeps the contents, a put/get
//! round checks the neighbours' copies, and each PE prints its heap statistics.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use memheap_std::runtime::{self, Awaiting, Runtime};

/// Print in PE order, one PE at a time.
fn in_order(rt: &Runtime, f: impl Fn()) {
    for pe in 0..rt.n_pes() {
        if pe == rt.my_pe() {
            f();
        }
        rt.barrier_all();
    }
}

fn run(rt: &Runtime) -> Result<(), String> {
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let right = (me + 1) % n;
    let (base, len) = rt.heap_range();
    if me == 0 {
        println!(
            "{n} PEs, component {:?}, symmetric heap at {base:p} ({} MiB per PE)",
            rt.component(),
            len >> 20
        );
    }
    // Collective allocations: the same addresses on every PE.
    let mailbox = rt.calloc(2, 8).ok_or("calloc failed")?; // [token, flag]
    let data = rt.malloc(1000).ok_or("malloc failed")?;
    let page = rt.align(4096, 100).ok_or("align failed")?;
    in_order(rt, || {
        println!(
            "PE {me}: mailbox {:p}, data {:p}, page {:p}",
            mailbox, data, page
        )
    });

    // The token goes around the ring through the heaps.
    let mine = mailbox.cast::<AtomicU64>();
    // SAFETY: mailbox is a live, 16-byte aligned block of two u64 in our heap; every PE
    // accesses it only atomically.
    let (token, flag) = unsafe { (mine.as_ref(), &*mine.as_ptr().add(1)) };
    let theirs = rt
        .ptr(mine.as_ptr(), right)
        .ok_or("no mapping of the right neighbour's heap")?;
    // SAFETY: `theirs` maps the right neighbour's mailbox, live until both call free.
    let (their_token, their_flag) = unsafe { (theirs.as_ref(), &*theirs.as_ptr().add(1)) };
    // Waiting for the token: `wait_until` runs the runtime's watch between tests, so a ring
    // broken by a PE that left ends the job with a message instead of hanging.
    let token_arrived = || flag.load(Ordering::Acquire) != 0;
    let what = || format!("PE {me} waiting for the token");
    if me != 0 {
        rt.wait_until(Awaiting::Peers, &what, token_arrived);
    }
    let value = token.load(Ordering::Relaxed) + me as u64 + 1;
    println!("PE {me}: token {} -> PE {right}", value);
    their_token.store(value, Ordering::Relaxed);
    their_flag.store(1, Ordering::Release);
    if me == 0 {
        rt.wait_until(Awaiting::Peers, &what, token_arrived);
        let total = token.load(Ordering::Relaxed);
        let want = (n * (n + 1) / 2) as u64; // every PE added its number + 1
        println!("PE 0: token came back as {total} (1 + 2 + ... + {n} = {want})");
        if total != want {
            return Err(format!("token {total}, want {want}"));
        }
    }
    rt.barrier_all();

    // Realloc keeps the contents.
    // SAFETY: `data` is our block of 1000 bytes.
    unsafe { std::slice::from_raw_parts_mut(data.as_ptr(), 1000) }
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = (i + me) as u8);
    let data = rt.realloc(Some(data), 1 << 20).ok_or("realloc failed")?;
    // SAFETY: the new block has at least 1 MiB, its first 1000 bytes kept.
    let kept = unsafe { std::slice::from_raw_parts(data.as_ptr(), 1000) }
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i + me) as u8);
    if !kept {
        return Err("realloc lost the contents".into());
    }
    // Put our first 8 bytes into the right neighbour's page, read the left one's back.
    let mut word = [0u8; 8];
    word.copy_from_slice(&[me as u8; 8]);
    // SAFETY: `page` on `right` is written only by us before the barrier.
    unsafe { rt.put(page.as_ptr(), &word, right) }.map_err(|e| e.to_string())?;
    rt.barrier_all();
    let mut got = [0u8; 8];
    // SAFETY: our page was written by the left neighbour before the barrier.
    unsafe { rt.get(&mut got, page.as_ptr(), me) }.map_err(|e| e.to_string())?;
    let left = (me + n - 1) % n;
    if got != [left as u8; 8] {
        return Err(format!("page holds {got:?}, want PE {left}'s"));
    }
    in_order(rt, || {
        let s = rt.heap_stats();
        println!(
            "PE {me}: realloc moved data to {:p}, contents kept; page from PE {left} ok; heap: {} live blocks, {} bytes in use of {}",
            data, s.live_blocks, s.bytes_in_use, s.region_bytes
        );
    });
    for p in [mailbox, data, page] {
        rt.free(Some(p)).map_err(|e| e.to_string())?;
    }
    if me == 0 {
        println!(
            "done: {} live blocks after free",
            rt.heap_stats().live_blocks
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let rt = match runtime::init() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ring: {e}");
            return ExitCode::from(1);
        }
    };
    let result = run(&rt);
    if let Err(e) = result {
        eprintln!("ring: PE {}: {e}", rt.my_pe());
        rt.global_exit(1);
    }
    if let Err(e) = rt.finalize() {
        eprintln!("ring: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
