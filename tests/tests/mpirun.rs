//! Unmodified C programs started by Open MPI's `mpirun` (no memheap launcher): the runtime takes
//! rank and size from `OMPI_COMM_WORLD_*` and meets its peers through an abstract Unix socket
//! of PE 0 (nothing is left in `/dev/shm`).
//!
//! Needs Debian's `openmpi-bin`, so these are `#[ignore]`d in the default test run; `.ci/run`
//! installs it and runs them with `cargo test -p memheap-tests --test mpirun -- --ignored`.

use std::process::Command;

use memheap_tests::compile_c;

fn shm_names() -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn ring_under_mpirun_leaves_nothing_behind() {
    let before = shm_names();
    for (name, marker) in [("ring", "ring: PE"), ("rma_types", "rma_types: PE")] {
        let exe = compile_c(name, &[]);
        let out = Command::new("mpirun")
            .args(["--allow-run-as-root", "--oversubscribe", "-np", "4"])
            .arg(&exe)
            .output()
            .expect("mpirun is installed");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} under mpirun: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.lines().filter(|l| l.contains(marker)).count(),
            4,
            "{stdout}"
        );
    }
    let left: Vec<String> = shm_names()
        .into_iter()
        .filter(|n| !before.contains(n) && n.contains("memheap"))
        .collect();
    assert!(left.is_empty(), "left in /dev/shm: {left:?}");
}

/// What an `mpirun` run produced; `code` is `None` when it had to be stopped after the deadline
/// (a hang) or died on a signal.
struct MpiOutput {
    code: Option<i32>,
    hung: bool,
    stdout: String,
    stderr: String,
}

impl MpiOutput {
    fn show(&self) -> String {
        format!(
            "exit {:?} (hung: {})\n--- stdout\n{}--- stderr\n{}",
            self.code, self.hung, self.stdout, self.stderr
        )
    }
}

/// Run `mpirun --allow-run-as-root --oversubscribe ARGS`, stopping it (SIGTERM, then SIGKILL)
/// after `deadline_s` seconds.
fn mpirun(args: &[&str], deadline_s: u64) -> MpiOutput {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe"])
        .args(args)
        .env_remove("SHMEM_DEBUG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun is installed");
    // Drain both pipes on threads so a chatty job cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut hung = false;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(deadline_s) {
            hung = true;
            // SIGTERM first: mpirun then stops its processes itself.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            std::thread::sleep(Duration::from_secs(3));
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    MpiOutput {
        code: if hung { None } else { status.code() },
        hung,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

fn new_memheap_objects(before: &[String]) -> Vec<String> {
    shm_names()
        .into_iter()
        .filter(|n| !before.contains(n) && n.contains("memheap"))
        .collect()
}

/// Issue 10 item 3: `mpirun -np 1 -x MEMHEAP_COMPONENT=ptmalloc ./prog : -np 1 -x
/// MEMHEAP_COMPONENT=buddy ./prog` (or a priority variable on one rank) is refused at init with
/// a message, instead of running with asymmetric heaps and exiting 0.
#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn item_03_different_components_refused_under_mpirun() {
    let exe = compile_c("mixed", &[]);
    let exe = exe.to_str().unwrap();
    for (a, b) in [
        ("MEMHEAP_COMPONENT=ptmalloc", "MEMHEAP_COMPONENT=buddy"),
        (
            "MEMHEAP_PTMALLOC_PRIORITY=50",
            "MEMHEAP_PTMALLOC_PRIORITY=1000",
        ),
    ] {
        let out = mpirun(
            &[
                "-np", "1", "-x", a, exe, "none", ":", "-np", "1", "-x", b, exe, "none",
            ],
            60,
        );
        assert!(
            out.code.is_some() && out.code != Some(0),
            "{a} / {b}: {}",
            out.show()
        );
        assert!(!out.stdout.contains("received"), "{}", out.show());
        assert!(
            out.stderr.contains("ptmalloc") && out.stderr.contains("buddy"),
            "{}",
            out.show()
        );
    }
}

/// Issue 10 item 5: under mpirun (no memheap launcher to stop anyone) PEs blocked in
/// `shmem_int_wait_until` notice a `shmem_global_exit(0)` (the job ends with 0), a peer that
/// exited without shmem_finalize, and a peer that returned from main (its implicit finalize
/// can never meet them): the job ends with a message, never hangs.
#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn item_05_blocked_pes_notice_departures_under_mpirun() {
    let exe = compile_c("departure", &[]);
    let exe = exe.to_str().unwrap();
    for n in ["2", "4"] {
        let out = mpirun(&["-np", n, exe, "global_exit0", "wait_until"], 60);
        assert_eq!(out.code, Some(0), "global_exit0 at {n}: {}", out.show());
        assert!(
            !out.stdout.contains("should not get here"),
            "{}",
            out.show()
        );
        // mpirun does not end a job whose process exits 0 without MPI_Finalize (the PEs are
        // not MPI processes): only the PEs' own watch ends these waits, through its look at
        // whether the peer processes still exist (`_exit`) or at a peer in a finalize they
        // can never meet (`return`).
        for (how, where_) in [
            ("_exit", "wait_until"),
            ("return", "wait_until"),
            ("_exit", "barrier"),
            ("_exit", "team_sync"),
            ("_exit", "reduce"),
            ("_exit", "malloc"),
            ("_exit", "signal_wait"),
        ] {
            let out = mpirun(&["-np", n, exe, how, where_], 60);
            assert!(
                !out.hung && out.code != Some(0),
                "{how} while the others wait in {where_} at {n}: {}",
                out.show()
            );
            assert!(
                !out.stdout.contains("should not get here"),
                "{}",
                out.show()
            );
            assert!(
                out.stderr.contains("shmem_finalize"),
                "{how}, {where_}: {}",
                out.show()
            );
            assert!(
                !out.stderr.contains("died"),
                "{how}, {where_}: {}",
                out.show()
            );
        }
    }
}

/// Issue 10 item 6: a PE that returns from main without shmem_finalize stays reachable while the
/// others read its data (the implicit finalize at exit).
#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn item_06_implicit_finalize_under_mpirun() {
    let exe = compile_c("implicit_finalize", &[]);
    for n in ["2", "4"] {
        let out = mpirun(&["-np", n, exe.to_str().unwrap()], 60);
        assert_eq!(out.code, Some(0), "{n} PEs: {}", out.show());
        let k: usize = n.parse().unwrap();
        assert_eq!(
            out.stdout
                .lines()
                .filter(|l| l.contains("implicit_finalize: PE"))
                .count(),
            k - 1,
            "{}",
            out.show()
        );
    }
}

/// Issue 10 item 8: a rank that exits before shmem_init (mpirun then stops the others while they
/// wait at the rendezvous) leaves nothing in /dev/shm.
#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn item_08_early_exit_leaves_nothing_in_dev_shm() {
    let exe = compile_c("early_exit", &[]);
    let before = shm_names();
    for n in ["2", "4"] {
        let out = mpirun(
            &[
                "-np",
                n,
                "-x",
                "MEMHEAP_RENDEZVOUS_TIMEOUT=20",
                exe.to_str().unwrap(),
            ],
            60,
        );
        assert!(out.code.is_some() && out.code != Some(0), "{}", out.show());
        assert!(
            !out.stdout.contains("should not get here"),
            "{}",
            out.show()
        );
    }
    let left = new_memheap_objects(&before);
    assert!(left.is_empty(), "left in /dev/shm: {left:?}");
}

/// Issue 10, messages: under mpirun, error lines of different PEs never interleave within a
/// line (each is one write).
#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn messages_are_whole_lines_under_mpirun() {
    let exe = compile_c("departure", &[]);
    let shim = memheap_tests::compile_preload("whole_lines");
    let log = std::env::temp_dir().join(format!("memheap-mpi-lines-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let preload = format!("LD_PRELOAD={}", shim.display());
    let logvar = format!("WHOLE_LINES_LOG={}", log.display());
    let out = mpirun(
        &[
            "-np",
            "4",
            "-x",
            &preload,
            "-x",
            &logvar,
            exe.to_str().unwrap(),
            "_exit",
            "barrier",
        ],
        60,
    );
    assert!(!out.hung && out.code != Some(0), "{}", out.show());
    let cut = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        cut.is_empty(),
        "writes to stderr that are not whole lines:\n{cut}"
    );
}

#[test]
#[ignore = "needs mpirun (openmpi-bin); run by .ci/run with --ignored"]
fn openshmem_15_programs_under_mpirun() {
    // Atomics, collectives, teams, shared static data and threads with rank and size from
    // Open MPI's launcher: the same programs as c_shmem15.rs.
    for (name, extra, marker) in [
        ("amo", &[][..], "amo: PE"),
        ("coll", &["-lm"][..], "coll: PE"),
        ("teams", &[][..], "teams: PE"),
        ("statics", &[][..], "statics: PE"),
        ("threads", &["-pthread"][..], "threads: PE"),
    ] {
        let exe = compile_c(name, extra);
        let out = mpirun(&["-np", "4", exe.to_str().unwrap()], 120);
        assert_eq!(out.code, Some(0), "{name} under mpirun: {}", out.show());
        assert_eq!(
            out.stdout.lines().filter(|l| l.contains(marker)).count(),
            4,
            "{name}: {}",
            out.show()
        );
    }
}
