//! Test PE program for the runtime and launcher integration tests: `pe_test SCENARIO [args]`.
//! Not a demo (see `ring.rs`); run it through `memheap-run`.

use std::process::ExitCode;
use std::time::Duration;

use memheap_std::runtime::{self, Runtime};

static mut RING_IN: [u64; 4] = [0; 4];
static READ_ME: [u64; 2] = [0x5eed, 0];
static mut BIG: [u8; 1 << 16] = [0; 1 << 16];

fn ring_static(rt: &Runtime) -> Result<(), String> {
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let right = (me + 1) % n;
    let left = (me + n - 1) % n;
    let msg = [me as u64, 7, (me * me) as u64, u64::MAX - me as u64];
    // SAFETY: RING_IN is only written by the left neighbour's put and read after the barrier.
    unsafe { rt.put(std::ptr::addr_of_mut!(RING_IN).cast::<u64>(), &msg, right) }
        .map_err(|e| e.to_string())?;
    rt.barrier_all();
    // SAFETY: after the barrier nobody writes RING_IN any more this round.
    let got = unsafe { std::ptr::addr_of!(RING_IN).read() };
    let want = [left as u64, 7, (left * left) as u64, u64::MAX - left as u64];
    if got != want {
        return Err(format!("PE {me}: RING_IN = {got:?}, want {want:?}"));
    }
    // Get a peer's immutable static and a large one.
    let mut v = [0u64; 2];
    // SAFETY: READ_ME is never written.
    unsafe { rt.get(&mut v, READ_ME.as_ptr(), right) }.map_err(|e| e.to_string())?;
    if v != READ_ME {
        return Err(format!("PE {me}: get READ_ME from {right} = {v:?}"));
    }
    let pattern: Vec<u8> = (0..1usize << 16).map(|i| (i * 31 + me) as u8).collect();
    // SAFETY: BIG on `right` is written only by us (its left neighbour) this round.
    unsafe { rt.put(std::ptr::addr_of_mut!(BIG).cast::<u8>(), &pattern, right) }
        .map_err(|e| e.to_string())?;
    rt.barrier_all();
    let mut back = vec![0u8; 1 << 16];
    // SAFETY: nobody writes BIG on `right` any more.
    unsafe { rt.get(&mut back, std::ptr::addr_of!(BIG).cast::<u8>(), right) }
        .map_err(|e| e.to_string())?;
    if back != pattern {
        return Err(format!("PE {me}: BIG on PE {right} differs"));
    }
    // A stack address is not symmetric.
    let local = 5u64;
    if n > 1 && rt.addr_accessible(&local, right) {
        return Err("a stack address is reported accessible".into());
    }
    // SAFETY: the source is valid; the call must fail (not symmetric) without touching memory.
    if n > 1 && unsafe { rt.put(&local as *const u64 as *mut u64, &[1], right) }.is_ok() {
        return Err("put to a stack address succeeded".into());
    }
    rt.barrier_all();
    println!("PE {me}: static ring ok");
    Ok(())
}

fn off(rt: &Runtime, p: Option<std::ptr::NonNull<u8>>) -> String {
    match p {
        Some(p) => format!("{:#x}", p.as_ptr() as usize - rt.heap_range().0 as usize),
        None => "none".into(),
    }
}

/// Collective allocations print their offsets (the test compares them across PEs), then a
/// ring through the heap with put, get and ptr, then realloc keeps contents.
fn heap_ring(rt: &Runtime) -> Result<(), String> {
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let right = (me + 1) % n;
    let left = (me + n - 1) % n;
    let a = rt.malloc(100);
    let b = rt.align(4096, 10);
    let c = rt.calloc(10, 8);
    let d = rt.align(63, 8); // rounded up to 64
    let z = rt.malloc(0);
    let (Some(a), Some(b), Some(c), Some(d)) = (a, b, c, d) else {
        return Err("an allocation failed".into());
    };
    if z.is_some() || b.as_ptr() as usize % 4096 != 0 || d.as_ptr() as usize % 64 != 0 {
        return Err("malloc(0) or alignment wrong".into());
    }
    // SAFETY: c is a 80-byte block of ours.
    if unsafe { std::slice::from_raw_parts(c.as_ptr(), 80) }
        .iter()
        .any(|&x| x != 0)
    {
        return Err("calloc not zeroed".into());
    }
    println!(
        "offsets: {} {} {} {}",
        off(rt, Some(a)),
        off(rt, Some(b)),
        off(rt, Some(c)),
        off(rt, Some(d))
    );
    let buf = a.cast::<u64>();
    let msg: Vec<u64> = (0..12).map(|i| (me as u64) << 32 | i).collect();
    // SAFETY: `buf` (100 bytes) on `right` is written only by us this round.
    unsafe { rt.put(buf.as_ptr(), &msg, right) }.map_err(|e| e.to_string())?;
    rt.barrier_all();
    // SAFETY: our buf was written by `left` before the barrier.
    let got = unsafe { std::slice::from_raw_parts(buf.as_ptr(), 12) };
    if got
        .iter()
        .enumerate()
        .any(|(i, &v)| v != (left as u64) << 32 | i as u64)
    {
        return Err(format!("ring put: got {got:?} from {left}"));
    }
    let mut back = [0u64; 12];
    // SAFETY: nobody writes buf any more this round.
    unsafe { rt.get(&mut back, buf.as_ptr(), left) }.map_err(|e| e.to_string())?;
    let left_left = ((left + n - 1) % n) as u64;
    let want: Vec<u64> = (0..12).map(|i| left_left << 32 | i).collect();
    if back[..] != want[..] {
        return Err(format!("ring get from {left}: {back:?}"));
    }
    // ptr: store straight into the right neighbour's `b`.
    let rp = rt
        .ptr(b.as_ptr(), right)
        .ok_or("ptr to a heap address is None")?;
    // SAFETY: `rp` is our mapping of `right`'s block `b`, written only by us this round.
    unsafe { rp.as_ptr().write_volatile(me as u8 + 1) };
    if rt.ptr(b.as_ptr(), me) != Some(b)
        || (n > 1 && rt.ptr(&right as *const usize, right).is_some())
    {
        return Err("ptr of own or stack address wrong".into());
    }
    rt.barrier_all();
    // SAFETY: `b` was written by `left` before the barrier.
    if unsafe { b.as_ptr().read_volatile() } != left as u8 + 1 {
        return Err("store through ptr not seen".into());
    }
    // realloc keeps contents, same new offset everywhere.
    // SAFETY: `a` is our 100-byte block.
    unsafe { a.as_ptr().write_bytes(0xab, 100) };
    let a2 = rt.realloc(Some(a), 100_000).ok_or("realloc grow failed")?;
    // SAFETY: a2 has at least 100_000 bytes, the first 100 kept.
    if unsafe { std::slice::from_raw_parts(a2.as_ptr(), 100) }
        .iter()
        .any(|&x| x != 0xab)
    {
        return Err("realloc lost contents".into());
    }
    let a3 = rt.realloc(Some(a2), 50).ok_or("realloc shrink failed")?;
    // SAFETY: a3 has at least 50 bytes.
    if unsafe { std::slice::from_raw_parts(a3.as_ptr(), 50) }
        .iter()
        .any(|&x| x != 0xab)
    {
        return Err("realloc shrink lost contents".into());
    }
    println!(
        "realloc offsets: {} {}",
        off(rt, Some(a2)),
        off(rt, Some(a3))
    );
    for p in [a3, b, c, d] {
        rt.free(Some(p)).map_err(|e| e.to_string())?;
    }
    rt.free(None).map_err(|e| e.to_string())?;
    if rt.heap_stats().live_blocks != 0 {
        return Err(format!("blocks left: {:?}", rt.heap_stats()));
    }
    println!("PE {me}: heap ring ok");
    Ok(())
}

/// Run with a small heap (`--heap-size 4M`): requests no PE can satisfy fail on every PE,
/// and a failed realloc keeps the old block.
fn exhaust(rt: &Runtime) -> Result<(), String> {
    let me = rt.my_pe();
    let len = rt.heap_range().1;
    if rt.malloc(len * 2).is_some() {
        return Err("malloc beyond the heap succeeded".into());
    }
    let a = rt.malloc(len / 4).ok_or("malloc(len/4) failed")?;
    // A block right after `a`, so it cannot grow in place either.
    let blocker = rt.malloc(len / 4).ok_or("malloc(len/4) failed")?;
    // SAFETY: `a` has len/4 bytes.
    unsafe { a.as_ptr().write_bytes(me as u8 ^ 0x5a, len / 4) };
    if rt.realloc(Some(a), len - len / 8).is_some() {
        return Err("realloc beyond what is free succeeded".into());
    }
    rt.free(Some(blocker)).map_err(|e| e.to_string())?;
    // SAFETY: the old block must be intact and still ours.
    if unsafe { std::slice::from_raw_parts(a.as_ptr(), len / 4) }
        .iter()
        .any(|&x| x != me as u8 ^ 0x5a)
    {
        return Err("failed realloc changed the old block".into());
    }
    rt.free(Some(a))
        .map_err(|e| format!("old block not live after failed realloc: {e}"))?;
    if rt.heap_stats().live_blocks != 0 {
        return Err(format!("blocks left: {:?}", rt.heap_stats()));
    }
    println!("PE {me}: exhaust ok");
    Ok(())
}

/// PE n-1 asks for more than its heap holds, the others for half of theirs (with the call
/// check off), so the request succeeds on some PEs and fails on one: every PE must get None,
/// and the others must give their blocks back.
fn one_fails(rt: &Runtime) -> Result<(), String> {
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let len = rt.heap_range().1;
    let p = rt.malloc(if me == n - 1 { 2 * len } else { len / 2 });
    if p.is_some() {
        return Err(format!(
            "PE {me}: malloc(whole heap) succeeded with {}",
            rt.component()
        ));
    }
    if rt.heap_stats().live_blocks != 0 {
        return Err(format!("PE {me}: a block was kept: {:?}", rt.heap_stats()));
    }
    println!("PE {me}: {} failed together", rt.component());
    Ok(())
}

/// A realloc that succeeds on every PE but the last (which asks for more than its heap holds;
/// the call check is off) must fail on every PE, and the others must undo their part: with
/// buddy an in-place growth (the rest of the heap is free after the block), with ptmalloc a
/// new block. Same address, old size, contents intact.
fn realloc_undo(rt: &Runtime) -> Result<(), String> {
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let len = rt.heap_range().1;
    let a = rt.malloc(64).ok_or("malloc(64) failed")?;
    // SAFETY: `a` is a live block of 64 bytes.
    unsafe { a.as_ptr().write_bytes(0x5A, 64) };
    let used = rt.heap_stats().bytes_in_use;
    let size = if me == n - 1 { 2 * len } else { len / 2 };
    if rt.realloc(Some(a), size).is_some() {
        return Err(format!(
            "PE {me}: realloc to nearly the whole heap succeeded"
        ));
    }
    if rt.heap_stats().bytes_in_use != used || rt.heap_stats().live_blocks != 1 {
        return Err(format!(
            "PE {me}: the failed realloc changed the heap: {:?}",
            rt.heap_stats()
        ));
    }
    // SAFETY: `a` is still a live block of 64 bytes.
    let kept = unsafe { std::slice::from_raw_parts(a.as_ptr(), 64) }
        .iter()
        .all(|&b| b == 0x5A);
    if !kept {
        return Err(format!("PE {me}: the failed realloc changed the contents"));
    }
    let b = rt
        .realloc(Some(a), 4096)
        .ok_or("realloc after the undo failed")?;
    rt.free(Some(b)).map_err(|e| e.to_string())?;
    println!("PE {me}: {} undone", rt.component());
    Ok(())
}

/// Descriptors of this process whose target contains `what` (from `/proc/self/fd`).
fn fds_to(what: &str) -> Vec<i32> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains(what))
                })
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A second `runtime::init` in a process whose runtime is running is refused, and closes
/// nothing: neither the first runtime's segment memfd nor a file opened since.
fn init_twice(rt: &Runtime) -> Result<(), String> {
    let me = rt.my_pe();
    let segments = fds_to("memheap-segment");
    match runtime::init() {
        Ok(_) => return Err("a second runtime::init succeeded".into()),
        Err(e) => println!("PE {me}: second init refused: {e}"),
    }
    if fds_to("memheap-segment") != segments {
        return Err(format!(
            "the second init closed the segment memfd: {segments:?} -> {:?}",
            fds_to("memheap-segment")
        ));
    }
    // A file that may now sit on the job fd's old number, large enough to be mapped.
    let path = std::env::temp_dir().join(format!("pe_test-init-twice-{}", std::process::id()));
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    file.set_len(1 << 20).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&path);
    let before = fds_to("pe_test-init-twice");
    if runtime::init().is_ok() {
        return Err("a third runtime::init succeeded".into());
    }
    if fds_to("pe_test-init-twice") != before || before.is_empty() {
        return Err(format!(
            "a failed init closed a file of the program: {before:?} -> {:?}",
            fds_to("pe_test-init-twice")
        ));
    }
    drop(file);
    rt.barrier_all();
    println!("PE {me}: init twice ok");
    Ok(())
}

/// `rounds` team barriers over the world team (many short waits): this PE must look at whether
/// the peer processes exist at most once per check period, not once per wait.
fn short_waits(rt: &Runtime, rounds: u64) -> Result<(), String> {
    let me = rt.my_pe();
    let team = rt.world_team().map_err(|e| e.to_string())?;
    let looks_before = rt.liveness_looks();
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        rt.team_barrier(&team).map_err(|e| e.to_string())?;
    }
    let elapsed = start.elapsed();
    let looks = rt.liveness_looks() - looks_before;
    // One look may be due at the start, one per whole period after it, and one may have been
    // taken just before the start.
    let bound = (elapsed.as_nanos() / runtime::watch::CHECK_PERIOD.as_nanos()) as u64 + 2;
    println!("PE {me}: {rounds} team barriers in {elapsed:?}, {looks} liveness looks");
    if looks > bound {
        return Err(format!(
            "{looks} looks at the peer processes in {elapsed:?} ({rounds} team barriers); at \
             most {bound} expected (one per check period)"
        ));
    }
    // And the looks still happen: one long wait (PE 0 arrives 3 check periods late) must look
    // at least once on every other PE, whatever the machine (a wait that long stops spinning
    // and runs the watch).
    let before_long = rt.liveness_looks();
    if me == 0 {
        std::thread::sleep(3 * runtime::watch::CHECK_PERIOD);
    }
    rt.team_barrier(&team).map_err(|e| e.to_string())?;
    let long_looks = rt.liveness_looks() - before_long;
    println!("PE {me}: {long_looks} liveness looks in one long wait");
    if me != 0 && long_looks == 0 {
        return Err(format!(
            "no look at the peer processes in a wait of {:?}",
            3 * runtime::watch::CHECK_PERIOD
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().map(String::as_str).unwrap_or("hello");
    let arg = |i: usize| args.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let last = std::env::var("MEMHEAP_RANK").ok()
        == std::env::var("MEMHEAP_N_PES")
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| (n - 1).to_string());
    if last && scenario == "base_mismatch" {
        std::env::set_var("MEMHEAP_BASE_ADDRESS", "0x210000000000");
    }
    if scenario == "late_init" && last {
        // Arrive long after the others' rendezvous timeout.
        std::thread::sleep(Duration::from_secs(3));
    }
    if scenario == "one_fails" || scenario == "realloc_undo" {
        // The last PE's request differs from the others' on purpose, which the call check (on
        // in debug builds) would rightly report; these scenarios are about failure. The
        // component comes from the second argument.
        std::env::set_var("MEMHEAP_CHECK_CALLS", "0");
        if let Some(c) = args.get(1) {
            std::env::set_var("MEMHEAP_COMPONENT", c);
        }
    }
    let rt = match runtime::init() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pe_test: init: {e}");
            return ExitCode::from(3);
        }
    };
    let (me, n) = (rt.my_pe(), rt.n_pes());
    let result: Result<(), String> = match scenario {
        "hello" => {
            println!("hello from PE {me} of {n}");
            rt.barrier_all();
            // finalize is idempotent; afterwards communication fails cleanly.
            static X: u64 = 0;
            match rt.finalize().and_then(|()| rt.finalize()) {
                Err(e) => Err(format!("finalize: {e}")),
                // SAFETY: X is a valid static; the call must fail before touching memory.
                Ok(()) => match unsafe { rt.put(&X as *const u64 as *mut u64, &[1], 0) } {
                    Err(runtime::Error::Finalized) if rt.ptr(&X, 0).is_none() => Ok(()),
                    other => Err(format!("put after finalize: {other:?}")),
                },
            }
        }
        "barrier" => {
            // Every PE bumps a counter of the last PE through a put, rounds apart.
            for _ in 0..arg(1).max(1) {
                rt.barrier_all();
            }
            Ok(())
        }
        "short_waits" => short_waits(&rt, arg(1).max(1) as u64),
        "static" => ring_static(&rt),
        "heap" => heap_ring(&rt),
        "exhaust" => exhaust(&rt),
        "one_fails" => one_fails(&rt),
        "realloc_undo" => realloc_undo(&rt),
        "base_mismatch" => Err("init succeeded with different heap bases".into()),
        "asym" => {
            let p = rt.malloc(if me == n - 1 { 128 } else { 64 });
            Err(format!("asymmetric malloc returned {p:?}"))
        }
        "global_exit" => {
            rt.barrier_all();
            if me == n - 1 {
                std::thread::sleep(Duration::from_millis(100));
                rt.global_exit(arg(1) as i32);
            }
            rt.barrier_all(); // the others wait here until the job ends
            Err("returned from a barrier that a global_exit should have ended".into())
        }
        "die" => {
            rt.barrier_all();
            if me == n - 1 {
                std::thread::sleep(Duration::from_millis(100));
                // SAFETY: sending SIGKILL to ourselves.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
            rt.barrier_all();
            Err("returned from a barrier with a dead peer".into())
        }
        "fail" => {
            rt.barrier_all();
            if me == n - 1 {
                eprintln!("PE {me}: failing on purpose");
                return ExitCode::from(arg(1) as u8);
            }
            rt.barrier_all();
            Err("returned from a barrier with a failed peer".into())
        }
        "sleep" => {
            std::thread::sleep(Duration::from_secs(arg(1) as u64));
            Ok(())
        }
        "env" => {
            let v = std::env::var("SHMEM_SYMMETRIC_SIZE").unwrap_or_default();
            println!("PE {me}: SHMEM_SYMMETRIC_SIZE={v}");
            Ok(())
        }
        "partial" => {
            // A line without a newline at the end, then exit.
            print!("no newline from PE {me}");
            Ok(())
        }
        "long_line" => {
            // One line of `arg(1)` bytes without a newline: the launcher must forward it in
            // linear time.
            use std::io::Write;
            let line = vec![b'x'; arg(1) as usize];
            std::io::stdout()
                .write_all(&line)
                .map_err(|e| e.to_string())
        }
        "flood" => {
            // More output than any pipe holds, then a long sleep: a launcher whose own stdout
            // is not drained must still end the job at its timeout.
            use std::io::Write;
            let line = [b'y'; 1023];
            let mut out = std::io::stdout().lock();
            for _ in 0..1024 {
                let _ = out.write_all(&line).and_then(|()| out.write_all(b"\n"));
            }
            let _ = out.flush();
            drop(out);
            std::thread::sleep(Duration::from_secs(30));
            Ok(())
        }
        "init_twice" => init_twice(&rt),
        "late_init" => Err("init succeeded although a PE arrived after the timeout".into()),
        other => Err(format!("unknown scenario {other:?}")),
    };
    if let Err(e) = result {
        eprintln!("pe_test: PE {me}: {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = rt.finalize() {
        eprintln!("pe_test: PE {me}: finalize: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
