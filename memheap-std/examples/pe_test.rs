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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().map(String::as_str).unwrap_or("hello");
    let arg = |i: usize| args.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
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
            Ok(())
        }
        "barrier" => {
            // Every PE bumps a counter of the last PE through a put, rounds apart.
            for _ in 0..arg(1).max(1) {
                rt.barrier_all();
            }
            Ok(())
        }
        "static" => ring_static(&rt),
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
