//! `memheap-run`: start the PEs of a memheap (OpenSHMEM-style) job on this machine.
//!
//! The options are [`HELP`], which `memheap-run --help` prints.
//!
//! Each PE gets `MEMHEAP_RANK`, `MEMHEAP_N_PES` and `MEMHEAP_JOB_FD` (an inherited anonymous
//! memfd holding the job's rendezvous area; it has no name, so nothing is ever left in
//! `/dev/shm`). PE 0 inherits stdin; the others read from `/dev/null`.
//!
//! **Output** is forwarded line by line, each line in one write (so lines of different PEs never
//! mix), in time linear in its length; a line longer than 1 MiB goes out in pieces. Writing is
//! done by a thread per stream, so a reader that does not drain the launcher's output never
//! stalls the job: faults and the timeout are handled whatever stdout does. With `--timeout`,
//! output still undelivered a grace period after the job ended is dropped.
//!
//! **The job fails** (the others get SIGTERM, then SIGKILL after the grace period, and the
//! launcher exits non-zero, naming the PE and why) when a PE exits non-zero or dies on a
//! signal (its status, 128 + signal), exits with status 0 without having called
//! `shmem_finalize` (1), or exits before starting the runtime while other PEs have started it
//! (1). A PE's `global_exit(status)` ends the job with `status`; that PE itself is not
//! signalled, so its `exit` completes (its buffered output and `atexit` handlers are kept). An
//! error the library detected and reported ends the job with that PE's status, said as such.
//! PEs die with the launcher (`PR_SET_PDEATHSIG`).

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use memheap_std::runtime::job::{ENV_JOB_FD, ENV_N_PES, ENV_RANK, MAX_PES};
use memheap_std::runtime::{JobArea, JobExit, PeState};

const USAGE: &str =
    "usage: memheap-run [options] -n N [--] prog [args...]  (memheap-run --help explains)";

/// What `--help` prints: every option, and what the launcher does.
const HELP: &str = "\
usage: memheap-run [options] -n N [--] prog [args...]
       memheap-run --info | --help | --version

Start N processing elements (PEs) of an OpenSHMEM program on this machine, forward their output
and end the job when one fails.

options:
  -n N, -np N, --np N, --n N, -nN, --np=N
                    number of PEs (required; 1 to 4096)
  --timeout SECS    end the job (exit status 124) if it runs longer than SECS seconds;
                    0 (the default): no timeout
  --heap-size SIZE  set SHMEM_SYMMETRIC_SIZE for every PE (e.g. 64M, 1.5G; rounded up to 2 MiB)
  --prefix          prefix each forwarded output line with \"[pe] \"
  --grace SECS      after a failure, wait SECS seconds between SIGTERM and SIGKILL (default 2)
  --info            print the version, the heap, the components and every environment
                    variable with its value in effect (as memheap-info does), and exit
  -h, --help        print this help and exit
  -V, --version     print the version and exit
  --                end of options: the program follows
Options taking a value also take it as --option=VALUE.

Each PE gets MEMHEAP_RANK, MEMHEAP_N_PES and MEMHEAP_JOB_FD (an inherited memfd holding the
job's rendezvous area; nothing is left in /dev/shm). PE 0 inherits stdin; the others read from
/dev/null. Output is forwarded line by line, each line in one write, so lines of different PEs
never mix.

The job fails, the other PEs are stopped (SIGTERM, then SIGKILL after the grace period) and
memheap-run exits non-zero, naming the PE and why, when a PE exits non-zero or dies on a signal
(its status, 128 + signal), exits 0 without calling shmem_finalize or before shmem_init while
other PEs started it (1), calls shmem_global_exit(status) (status), or when the library reports
an error (the PE's status) or the timeout passes (124).

Environment variables (heap size, components, ...): memheap-run --info lists them with their
values.
";

/// Every option, for the message about an unknown one.
const KNOWN: &str = "-n/-np/--np N, --timeout SECS, --heap-size SIZE, --prefix, --grace SECS, \
                     --info, --help, --version, --";

/// A partial line longer than this is forwarded as it is, without waiting for its newline.
const MAX_PENDING_LINE: usize = 1 << 20;

/// Output queued for a stream beyond which the launcher stops reading the PEs' pipes of that
/// stream (they then block in write) until the reader catches up.
const MAX_BACKLOG: usize = 8 << 20;

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

/// What the command line asks for.
enum Cmd {
    /// Start a job.
    Run(Opts),
    /// Print this and exit 0 (help, version).
    Print(String),
    /// Print the info report and exit with its status.
    Info,
}

/// A number of PEs: 1..=MAX_PES.
fn pes(opt: &str, v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(k) if (1..=MAX_PES).contains(&k) => Ok(k),
        _ => Err(format!(
            "{opt}: {v:?} is not a number of PEs in 1..={MAX_PES}"
        )),
    }
}

/// The digits of `-nN` or `-npN`, if `opt` is one of those.
fn glued_pes(opt: &str) -> Option<&str> {
    opt.strip_prefix("-np")
        .or_else(|| opt.strip_prefix("-n"))
        .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

fn parse(mut it: impl Iterator<Item = OsString>) -> Result<Cmd, String> {
    let mut n = None;
    let (mut timeout, mut heap_size, mut prefix, mut grace) =
        (None, None, false, Duration::from_secs(2));
    let prog = loop {
        let Some(arg) = it.next() else {
            return Err("no program given".into());
        };
        let s = arg.to_string_lossy().into_owned();
        // `--option=value` for the options that take a value.
        let (opt, mut inline) = match s.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(OsString::from(v))),
            _ => (s.clone(), None),
        };
        if inline.is_some()
            && matches!(opt.as_str(), "--prefix" | "--info" | "--help" | "--version")
        {
            return Err(format!("{opt} takes no value (got {s:?})"));
        }
        let mut value = |what: &str| -> Result<OsString, String> {
            inline
                .take()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{opt} needs {what}"))
        };
        match opt.as_str() {
            "-n" | "-np" | "--np" | "--n" => {
                let v = value("a number of PEs")?;
                n = Some(pes(&opt, &v.to_string_lossy())?);
            }
            // -n4, -np4: the value glued to the option, as mpirun users type it.
            _ if glued_pes(&opt).is_some() => {
                n = Some(pes(&opt, glued_pes(&opt).unwrap_or_default())?);
            }
            // 0 means no timeout, as for GNU timeout.
            "--timeout" => {
                timeout =
                    Some(secs(&opt, Some(value("a number of seconds")?))?).filter(|t| !t.is_zero())
            }
            "--grace" => grace = secs(&opt, Some(value("a number of seconds")?))?,
            "--heap-size" => heap_size = Some(value("a size")?),
            "--prefix" => prefix = true,
            "--info" => return Ok(Cmd::Info),
            "-h" | "--help" => return Ok(Cmd::Print(HELP.to_string())),
            "-V" | "--version" => {
                return Ok(Cmd::Print(format!(
                    "{}\n",
                    memheap_std::info::tool_version("memheap-run")
                )))
            }
            "--" => break it.next().ok_or("no program given after --")?,
            _ if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown option {s}; the options are {KNOWN}"))
            }
            _ => break arg,
        }
    };
    let n = n.ok_or("the number of PEs is required (-n N)")?;
    Ok(Cmd::Run(Opts {
        n,
        timeout,
        heap_size,
        prefix,
        grace,
        prog,
        args: it.collect(),
    }))
}

/// One of the launcher's own output streams, written by a thread of its own.
struct Sink {
    tx: Option<mpsc::Sender<Vec<u8>>>,
    /// Bytes sent and not yet written.
    queued: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    /// A writer thread for descriptor `fd` (1 or 2): each buffer it gets is written with as
    /// few writes as the descriptor takes (one, for a pipe and a buffer of up to 4 KiB).
    fn new(fd: RawFd) -> Sink {
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let queued = Arc::new(AtomicUsize::new(0));
        let q = queued.clone();
        let thread = std::thread::spawn(move || {
            // SAFETY: the launcher's own stdout or stderr, open for the whole process; the
            // ManuallyDrop keeps this File from closing it.
            let mut out = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
            for buf in rx {
                // A reader that went away (EPIPE) loses the rest; the job goes on.
                let _ = out.write_all(&buf);
                q.fetch_sub(buf.len(), Ordering::Relaxed);
            }
        });
        Sink {
            tx: Some(tx),
            queued,
            thread: Some(thread),
        }
    }

    fn send(&self, buf: Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        if let Some(tx) = &self.tx {
            self.queued.fetch_add(buf.len(), Ordering::Relaxed);
            if tx.send(buf).is_err() {
                self.queued.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Bytes waiting to be written.
    fn backlog(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Write everything queued, waiting until `deadline` at most (for ever when `None`).
    fn finish(&mut self, deadline: Option<Instant>) {
        drop(self.tx.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        loop {
            if thread.is_finished() {
                let _ = thread.join();
                return;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return; // the reader does not drain us: what is left is dropped at exit
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The launcher's outputs: forwarded stdout, and stderr (forwarded and its own messages).
struct Outputs {
    out: Sink,
    err: Sink,
}

impl Outputs {
    /// One line of the launcher's own, on stderr, in order with the PEs' lines.
    fn say(&self, msg: &str) {
        self.err.send(format!("memheap-run: {msg}\n").into_bytes());
    }

    fn sink(&self, stderr: bool) -> &Sink {
        if stderr {
            &self.err
        } else {
            &self.out
        }
    }
}

/// One PE's output pipe.
struct Pipe {
    fd: RawFd,
    pe: u32,
    stderr: bool,
    /// Bytes read after the last newline forwarded.
    buf: Vec<u8>,
    /// The next byte continues a line already partly forwarded (no prefix for it).
    continuing: bool,
    open: bool,
    _owner: Box<dyn Read>,
}

impl Pipe {
    /// `bytes` (whole lines, or the start or rest of a long one), with `[pe] ` before each
    /// line start when prefixing.
    fn framed(&mut self, prefix: bool, bytes: &[u8]) -> Vec<u8> {
        if !prefix {
            return bytes.to_vec();
        }
        let tag = format!("[{}] ", self.pe);
        let mut out = Vec::with_capacity(bytes.len() + tag.len());
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if !self.continuing {
                out.extend_from_slice(tag.as_bytes());
            }
            out.extend_from_slice(line);
            self.continuing = !line.ends_with(b"\n");
        }
        out
    }

    /// Forward what is left (the pipe closed, or the job ended), ending it with a newline.
    fn flush_rest(&mut self, prefix: bool, outputs: &Outputs) {
        if self.buf.is_empty() {
            return;
        }
        let mut rest = std::mem::take(&mut self.buf);
        rest.push(b'\n');
        let framed = self.framed(prefix, &rest);
        outputs.sink(self.stderr).send(framed);
    }
}

/// Read what the pipe has and forward every complete line, looking at each byte once.
fn drain(pipe: &mut Pipe, prefix: bool, outputs: &Outputs) {
    let mut chunk = [0u8; 65536];
    // SAFETY: reading into our own buffer from a descriptor `pipe._owner` keeps open.
    let n = unsafe { libc::read(pipe.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
    if n <= 0 {
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            return;
        }
        pipe.flush_rest(prefix, outputs);
        pipe.open = false;
        return;
    }
    let new = &chunk[..n as usize];
    let complete = new.iter().rposition(|&b| b == b'\n').map(|i| i + 1);
    match complete {
        Some(k) => {
            pipe.buf.extend_from_slice(&new[..k]);
            let lines = std::mem::take(&mut pipe.buf);
            let framed = pipe.framed(prefix, &lines);
            outputs.sink(pipe.stderr).send(framed);
            pipe.buf.extend_from_slice(&new[k..]);
        }
        None => pipe.buf.extend_from_slice(new),
    }
    if pipe.buf.len() > MAX_PENDING_LINE {
        // A very long line: forward what there is; the rest follows without a prefix.
        let part = std::mem::take(&mut pipe.buf);
        let framed = pipe.framed(prefix, &part);
        outputs.sink(pipe.stderr).send(framed);
    }
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

/// Signal every PE still running, except `spare`.
fn signal_all(pes: &[Pe], sig: libc::c_int, spare: Option<u32>) {
    for (rank, pe) in pes.iter().enumerate() {
        if pe.status.is_none() && spare != Some(rank as u32) {
            // SAFETY: signalling our own child (not yet reaped, so the pid is still ours).
            unsafe { libc::kill(pe.child.id() as libc::pid_t, sig) };
        }
    }
}

/// How the job is ending: its exit status, and the PE that must not be signalled (it ended
/// the job and is exiting by itself).
struct Ending {
    status: i32,
    spare: Option<u32>,
    at: Instant,
}

/// The job's end as a PE announced it in the rendezvous area.
fn announced(e: JobExit, outputs: &Outputs) -> Ending {
    if e.after_error {
        outputs.say(&format!(
            "PE {} ended the job after an error it reported (exit status {}); stopping the other PEs",
            e.pe, e.status
        ));
    } else if e.status != 0 {
        outputs.say(&format!(
            "PE {} called global_exit({}); ending the job",
            e.pe, e.status
        ));
    }
    Ending {
        status: e.status,
        spare: Some(e.pe),
        at: Instant::now(),
    }
}

fn run(o: Opts) -> i32 {
    let outputs = Outputs {
        out: Sink::new(1),
        err: Sink::new(2),
    };
    let area = match JobArea::create(o.n) {
        Ok(a) => a,
        Err(e) => {
            outputs.say(&e.to_string());
            let mut outputs = outputs;
            outputs.err.finish(None);
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
    let mut ending: Option<Ending> = None;
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
                for (fd, stderr, owner) in [
                    (out.as_raw_fd(), false, Box::new(out) as Box<dyn Read>),
                    (err.as_raw_fd(), true, Box::new(err) as Box<dyn Read>),
                ] {
                    pipes.push(Pipe {
                        fd,
                        pe: rank,
                        stderr,
                        buf: Vec::new(),
                        continuing: false,
                        open: true,
                        _owner: owner,
                    });
                }
                pes.push(Pe {
                    child,
                    status: None,
                });
            }
            Err(e) => {
                outputs.say(&format!(
                    "cannot start PE {rank} ({}): {e}",
                    o.prog.to_string_lossy()
                ));
                let status = if e.kind() == io::ErrorKind::NotFound {
                    127
                } else {
                    126
                };
                ending = Some(Ending {
                    status,
                    spare: None,
                    at: Instant::now(),
                });
                break;
            }
        }
    }
    let start = Instant::now();
    let mut termed = false;
    let mut killed = false;
    let mut all_done_at: Option<Instant> = None;
    // PEs that exited with status 0 before starting the runtime: a failure once any other PE
    // has started it (that one would wait for them).
    let mut left_early: Vec<u32> = Vec::new();
    loop {
        // Forward output, from the streams whose reader keeps up.
        let mut fds: Vec<libc::pollfd> = pipes
            .iter()
            .filter(|p| p.open && outputs.sink(p.stderr).backlog() < MAX_BACKLOG)
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
                    drain(p, o.prefix, &outputs);
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
            let Ok(Some(st)) = pe.child.try_wait() else {
                continue;
            };
            pe.status = Some(st);
            if ending.is_some() {
                continue;
            }
            let pid = pe.child.id();
            let rank = rank as u32;
            if let Some(e) = area.job_exit() {
                ending = Some(announced(e, &outputs));
            } else if !st.success() {
                outputs.say(&format!(
                    "PE {rank} (pid {pid}) {}; stopping the other PEs",
                    describe(st)
                ));
                ending = Some(Ending {
                    status: code_of(st),
                    spare: None,
                    at: Instant::now(),
                });
            } else {
                match area.pe_state(rank) {
                    PeState::Finalized => {}
                    PeState::NotStarted => left_early.push(rank),
                    PeState::Running | PeState::Finalizing => {
                        outputs.say(&format!(
                            "PE {rank} (pid {pid}) exited with status 0 without calling \
                             shmem_finalize; stopping the other PEs"
                        ));
                        ending = Some(Ending {
                            status: 1,
                            spare: None,
                            at: Instant::now(),
                        });
                    }
                }
            }
        }
        if ending.is_none() && !left_early.is_empty() && area.attached() > 0 {
            let rank = left_early[0];
            outputs.say(&format!(
                "PE {rank} (pid {}) exited before starting the runtime (shmem_init), while \
                 other PEs started it and wait for it; stopping the other PEs",
                pes[rank as usize].child.id()
            ));
            ending = Some(Ending {
                status: 1,
                spare: None,
                at: Instant::now(),
            });
        }
        if ending.is_none() {
            if let Some(e) = area.job_exit() {
                ending = Some(announced(e, &outputs));
            }
        }
        let sig = SIGNALLED.load(Ordering::Relaxed);
        if sig != 0 && ending.is_none() {
            outputs.say(&format!("got signal {sig}; stopping the PEs"));
            ending = Some(Ending {
                status: 128 + sig,
                spare: None,
                at: Instant::now(),
            });
        }
        if let (Some(t), None) = (o.timeout, &ending) {
            if start.elapsed() >= t {
                outputs.say(&format!(
                    "timeout: the job did not finish within {:.1} s; stopping {} PEs",
                    t.as_secs_f64(),
                    pes.iter().filter(|p| p.status.is_none()).count()
                ));
                ending = Some(Ending {
                    status: 124,
                    spare: None,
                    at: Instant::now(),
                });
            }
        }
        if let Some(e) = &ending {
            if !termed {
                signal_all(&pes, libc::SIGTERM, e.spare);
                termed = true;
            } else if !killed && e.at.elapsed() >= o.grace {
                signal_all(&pes, libc::SIGKILL, None);
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
    for p in pipes.iter_mut().filter(|p| p.open) {
        p.flush_rest(o.prefix, &outputs);
    }
    drop(area);
    let status = ending.map_or(0, |e| e.status);
    // Deliver what is queued: for as long as the reader needs, unless a timeout bounds the
    // launcher's life (then a grace period at most).
    let deadline = o.timeout.map(|_| Instant::now() + o.grace);
    let mut outputs = outputs;
    outputs.out.finish(deadline);
    outputs.err.finish(deadline);
    status
}

fn main() {
    let opts = match parse(std::env::args_os().skip(1)) {
        Ok(Cmd::Run(o)) => o,
        Ok(Cmd::Print(text)) => {
            let _ = io::stdout().write_all(text.as_bytes());
            return;
        }
        Ok(Cmd::Info) => {
            let (text, bad) = memheap_std::info::report(
                memheap_std::env::process_env,
                memheap_std::info::Format::Text,
            );
            let _ = io::stdout().write_all(text.as_bytes());
            std::process::exit(i32::from(bad));
        }
        Err(e) => {
            // One write: the message and the usage line reach the reader together.
            let _ = io::stderr().write_all(format!("memheap-run: {e}\n{USAGE}\n").as_bytes());
            std::process::exit(2);
        }
    };
    std::process::exit(run(opts));
}
