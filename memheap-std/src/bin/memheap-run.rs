//! `memheap-run`: start the PEs of a memheap (OpenSHMEM-style) job on this machine.
//!
//! ```text
//! memheap-run [options] -n N [--] prog [args...]
//!   -n, -np, --np N     number of PEs (required, >= 1)
//!   --timeout SECS      end the job (exit 124) if it runs longer than SECS
//!   --heap-size SIZE    set SHMEM_SYMMETRIC_SIZE for every PE (e.g. 64M)
//!   --prefix            prefix each forwarded output line with "[pe] "
//!   --grace SECS        after a failure, wait SECS between SIGTERM and SIGKILL (default 2)
//! ```
//!
//! Each PE gets `MEMHEAP_RANK`, `MEMHEAP_N_PES` and `MEMHEAP_JOB_FD` (an inherited anonymous
//! memfd holding the job's rendezvous area; it has no name, so nothing is ever left in
//! `/dev/shm`). PE 0 inherits stdin; the others read from `/dev/null`. Output is forwarded line
//! by line. If a PE exits non-zero or dies on a signal, the others get SIGTERM, then SIGKILL
//! after the grace period, and the launcher exits with that PE's status (128 + signal for a
//! signal). A PE's `global_exit(status)` ends the job with `status`. PEs die with the launcher
//! (`PR_SET_PDEATHSIG`).

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use memheap_std::runtime::job::{ENV_JOB_FD, ENV_N_PES, ENV_RANK};
use memheap_std::runtime::JobArea;

const USAGE: &str = "usage: memheap-run [--timeout SECS] [--heap-size SIZE] [--prefix] [--grace SECS] -n N [--] prog [args...]";
/// Most PEs one job may have.
const MAX_PES: u32 = 4096;

struct Opts {
    n: u32,
    timeout: Option<Duration>,
    heap_size: Option<OsString>,
    prefix: bool,
    grace: Duration,
    prog: OsString,
    args: Vec<OsString>,
}

fn secs(opt: &str, v: Option<OsString>) -> Result<Duration, String> {
    let v = v.ok_or_else(|| format!("{opt} needs a value"))?;
    let s = v.to_string_lossy();
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..1e9).contains(&x) => Ok(Duration::from_secs_f64(x)),
        _ => Err(format!("{opt}: {s:?} is not a number of seconds")),
    }
}

fn parse(mut it: impl Iterator<Item = OsString>) -> Result<Opts, String> {
    let mut n = None;
    let (mut timeout, mut heap_size, mut prefix, mut grace) =
        (None, None, false, Duration::from_secs(2));
    let prog = loop {
        let Some(arg) = it.next() else {
            return Err("no program given".into());
        };
        let s = arg.to_string_lossy().into_owned();
        match s.as_str() {
            "-n" | "-np" | "--np" | "--n" => {
                let v = it
                    .next()
                    .ok_or_else(|| format!("{s} needs a number of PEs"))?;
                let v = v.to_string_lossy();
                n = Some(match v.trim().parse::<u32>() {
                    Ok(k) if (1..=MAX_PES).contains(&k) => k,
                    _ => {
                        return Err(format!(
                            "{s}: {v:?} is not a number of PEs in 1..={MAX_PES}"
                        ))
                    }
                });
            }
            "--timeout" => timeout = Some(secs(&s, it.next())?),
            "--grace" => grace = secs(&s, it.next())?,
            "--heap-size" => heap_size = Some(it.next().ok_or("--heap-size needs a size")?),
            "--prefix" => prefix = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--" => break it.next().ok_or("no program given after --")?,
            _ if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            _ => break arg,
        }
    };
    let n = n.ok_or("the number of PEs is required (-n N)")?;
    Ok(Opts {
        n,
        timeout,
        heap_size,
        prefix,
        grace,
        prog,
        args: it.collect(),
    })
}

/// One PE's output pipe.
struct Pipe {
    fd: RawFd,
    pe: u32,
    stderr: bool,
    buf: Vec<u8>,
    open: bool,
    _owner: Box<dyn Read>,
}

struct Pe {
    child: Child,
    status: Option<ExitStatus>,
}

static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNALLED.store(sig, Ordering::Relaxed);
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exited with status {code}")
    } else if let Some(sig) = status.signal() {
        // SAFETY: strsignal returns a pointer to a static or thread-local string.
        let name = unsafe { std::ffi::CStr::from_ptr(libc::strsignal(sig)) }
            .to_string_lossy()
            .into_owned();
        format!("was killed by signal {sig} ({name})")
    } else {
        format!("ended ({status})")
    }
}

fn code_of(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn emit(pipe: &Pipe, prefix: bool, line: &[u8]) {
    let mut out: Box<dyn Write> = if pipe.stderr {
        Box::new(io::stderr().lock())
    } else {
        Box::new(io::stdout().lock())
    };
    if prefix {
        let _ = write!(out, "[{}] ", pipe.pe);
    }
    let _ = out.write_all(line);
    if !line.ends_with(b"\n") {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

fn drain(pipe: &mut Pipe, prefix: bool) {
    let mut chunk = [0u8; 65536];
    // SAFETY: reading into our own buffer from a descriptor `pipe._owner` keeps open.
    let n = unsafe { libc::read(pipe.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
    if n <= 0 {
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            return;
        }
        if !pipe.buf.is_empty() {
            let rest = std::mem::take(&mut pipe.buf);
            emit(pipe, prefix, &rest);
        }
        pipe.open = false;
        return;
    }
    pipe.buf.extend_from_slice(&chunk[..n as usize]);
    while let Some(i) = pipe.buf.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = pipe.buf.drain(..=i).collect();
        emit(pipe, prefix, &line);
    }
}

fn signal_all(pes: &[Pe], sig: libc::c_int) {
    for pe in pes.iter().filter(|p| p.status.is_none()) {
        // SAFETY: signalling our own child (not yet reaped, so the pid is still ours).
        unsafe { libc::kill(pe.child.id() as libc::pid_t, sig) };
    }
}

fn run(o: Opts) -> i32 {
    let area = match JobArea::create(o.n) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("memheap-run: {e}");
            return 1;
        }
    };
    let job_fd = area.fd().as_raw_fd();
    // SAFETY: installing a handler that only stores to an atomic.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGHUP,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    let mut pes: Vec<Pe> = Vec::new();
    let mut pipes: Vec<Pipe> = Vec::new();
    let mut failure: Option<i32> = None;
    for rank in 0..o.n {
        let mut cmd = Command::new(&o.prog);
        cmd.args(&o.args)
            .env(ENV_RANK, rank.to_string())
            .env(ENV_N_PES, o.n.to_string())
            .env(ENV_JOB_FD, job_fd.to_string())
            .stdin(if rank == 0 {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(h) = &o.heap_size {
            cmd.env("SHMEM_SYMMETRIC_SIZE", h);
        }
        // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
        // system calls (fcntl, prctl, signal) on integers.
        unsafe {
            cmd.pre_exec(move || {
                if libc::fcntl(job_fd, libc::F_SETFD, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                libc::signal(libc::SIGHUP, libc::SIG_DFL);
                Ok(())
            });
        }
        match cmd.spawn() {
            Ok(mut child) => {
                let out = child.stdout.take().expect("piped stdout");
                let err = child.stderr.take().expect("piped stderr");
                pipes.push(Pipe {
                    fd: out.as_raw_fd(),
                    pe: rank,
                    stderr: false,
                    buf: Vec::new(),
                    open: true,
                    _owner: Box::new(out),
                });
                pipes.push(Pipe {
                    fd: err.as_raw_fd(),
                    pe: rank,
                    stderr: true,
                    buf: Vec::new(),
                    open: true,
                    _owner: Box::new(err),
                });
                pes.push(Pe {
                    child,
                    status: None,
                });
            }
            Err(e) => {
                eprintln!(
                    "memheap-run: cannot start PE {rank} ({}): {e}",
                    o.prog.to_string_lossy()
                );
                failure = Some(if e.kind() == io::ErrorKind::NotFound {
                    127
                } else {
                    126
                });
                break;
            }
        }
    }
    let start = Instant::now();
    let mut stop_at: Option<Instant> = failure.as_ref().map(|_| Instant::now());
    let mut termed = false;
    let mut killed = false;
    let mut all_done_at: Option<Instant> = None;
    loop {
        // Forward output.
        let mut fds: Vec<libc::pollfd> = pipes
            .iter()
            .filter(|p| p.open)
            .map(|p| libc::pollfd {
                fd: p.fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if !fds.is_empty() {
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
            for f in fds.iter().filter(|f| f.revents != 0) {
                if let Some(p) = pipes.iter_mut().find(|p| p.fd == f.fd && p.open) {
                    drain(p, o.prefix);
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Reap.
        for (rank, pe) in pes.iter_mut().enumerate() {
            if pe.status.is_some() {
                continue;
            }
            if let Ok(Some(st)) = pe.child.try_wait() {
                pe.status = Some(st);
                if failure.is_none() {
                    if let Some((who, status)) = area.global_exit() {
                        if status != 0 {
                            eprintln!("memheap-run: PE {who} called global_exit({status}); ending the job");
                        }
                        failure = Some(status);
                    } else if !st.success() {
                        eprintln!(
                            "memheap-run: PE {rank} (pid {}) {}; stopping the other PEs",
                            pe.child.id(),
                            describe(st)
                        );
                        failure = Some(code_of(st));
                    }
                    if failure.is_some() {
                        stop_at = Some(Instant::now());
                    }
                }
            }
        }
        if failure.is_none() {
            if let Some((who, status)) = area.global_exit() {
                if status != 0 {
                    eprintln!("memheap-run: PE {who} called global_exit({status}); ending the job");
                }
                failure = Some(status);
                stop_at = Some(Instant::now());
            }
        }
        let sig = SIGNALLED.load(Ordering::Relaxed);
        if sig != 0 && failure.is_none() {
            eprintln!("memheap-run: got signal {sig}; stopping the PEs");
            failure = Some(128 + sig);
            stop_at = Some(Instant::now());
        }
        if let (Some(t), None) = (o.timeout, &failure) {
            if start.elapsed() >= t {
                eprintln!(
                    "memheap-run: timeout: the job did not finish within {:.1} s; stopping {} PEs",
                    t.as_secs_f64(),
                    pes.iter().filter(|p| p.status.is_none()).count()
                );
                failure = Some(124);
                stop_at = Some(Instant::now());
            }
        }
        if let Some(at) = stop_at {
            if !termed {
                signal_all(&pes, libc::SIGTERM);
                termed = true;
            } else if !killed && at.elapsed() >= o.grace {
                signal_all(&pes, libc::SIGKILL);
                killed = true;
            }
        }
        let all_exited = pes.iter().all(|p| p.status.is_some());
        if all_exited {
            // Output may still be in the pipes; a PE's own children may even hold them open.
            let at = *all_done_at.get_or_insert_with(Instant::now);
            if pipes.iter().all(|p| !p.open) || at.elapsed() > Duration::from_millis(500) {
                break;
            }
        }
    }
    for p in pipes.iter_mut().filter(|p| p.open && !p.buf.is_empty()) {
        let rest = std::mem::take(&mut p.buf);
        emit(p, o.prefix, &rest);
    }
    drop(area);
    failure.unwrap_or(0)
}

fn main() {
    let opts = match parse(std::env::args_os().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("memheap-run: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    std::process::exit(run(opts));
}
