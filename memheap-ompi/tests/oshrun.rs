//! The rbuddy component inside Open MPI's OSHMEM: `mca_memheap_rbuddy.so` built from source by
//! `component/build.sh`, found through `mca_base_component_path`, C programs built with
//! `oshcc` and run with `oshrun --mca osc ^rdma --mca memheap rbuddy` at 1, 2 and 4 PEs.
//!
//! Needs Open MPI with its development files (Debian: `openmpi-bin libopenmpi-dev`), so every
//! test is `#[ignore]`d in the default run; `.ci/run` installs them and runs
//! `cargo test -p memheap-ompi --test oshrun -- --ignored --skip two_simulated_hosts`, then
//! (only where `unshare` works, i.e. as root) the multi-host test alone.
//!
//! Every job runs with `--oversubscribe` (4 PEs on a 2-core machine) and, as root, with
//! `OMPI_ALLOW_RUN_AS_ROOT`. `--mca osc ^rdma` avoids a crash of Debian's OSHMEM 4.1.4 in
//! `shmem_finalize` (open-mpi/ompi#11604).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PES: [u32; 3] = [1, 2, 4];

/// `tests/c` programs that use only the API OSHMEM 4.1.4 has and whose checks are about the
/// heap or the basic API, run here with their expected exit status.
const PROJECT_PROGRAMS: [(&str, i32); 9] = [
    ("hello", 0),
    ("ring", 0),
    ("align", 0),
    ("realloc", 0),
    ("legacy", 0),
    ("exhaustion", 0),
    ("debug_env", 0),
    ("global_exit", 7),
    ("heap_regrow", 0),
];

/// `tests/c` programs that need API OSHMEM 4.1.4 does not have (`shmem_malloc_with_hints`,
/// teams and team reductions, memheap's type-list macros, `memheap.h`, and the rest of
/// OpenSHMEM 1.5: `amo` the `_nbi` atomics, `coll` the team collectives, `p2p` and `threads`
/// signals and `wait_until_{all,any,some}`, `teams` and `misuse15` teams): `oshcc` must refuse
/// them.
const NEEDS_MISSING_API: [&str; 13] = [
    "barrier_rules",
    "zero_size",
    "reduce",
    "rma_types",
    "wait_test",
    "embed",
    "bad_args",
    "amo",
    "coll",
    "p2p",
    "teams",
    "threads",
    "misuse15",
];

/// `tests/c` programs that build but check what OSHMEM itself does, not the heap: `ptr`
/// (OSHMEM's `shmem_ptr` aborts the job on a stack address), `calloc` (OSHMEM zeroes after
/// the exit barrier, so a peer can read old bytes), `asymmetric`, `bad_pe` (memheap's own
/// argument checks and messages), `statics` (memheap makes static data shared memory, so
/// `shmem_ptr` reaches a peer's; OSHMEM's gives NULL for it), `locks` (it builds and passes on
/// rbuddy, but OSHMEM 4.1.4's `shmem_set_lock` stalls now and then whatever the component: of
/// 12 runs at 4 PEs, two jobs at once, one stalled past 60 s with `ptmalloc` and one with
/// `rbuddy`; tests-sos's `test_lock` times out on it too). The heap behaviour they cover runs
/// in rbuddy_semantics.c.
const OSHMEM_BEHAVIOUR: [&str; 6] = ["ptr", "calloc", "asymmetric", "bad_pe", "statics", "locks"];

/// `tests/c` programs that check memheap's own runtime and launcher, which OSHMEM replaces:
/// the collective free's shared outcome (`bad_free`), `SHMEM_SYMMETRIC_SIZE` and a 1 TiB heap
/// of lazily mapped memory (`big_heap`; OSHMEM maps its heap as accounted shared memory, so a
/// heap above the machine's memory is refused), `memheap-run`'s handling of departures, exits
/// and output (`departure`, `early_exit`, `global_exit_output`, `implicit_finalize`), and the
/// per-PE `MEMHEAP_COMPONENT` check (`mixed`).
const MEMHEAP_RUNTIME: [&str; 7] = [
    "bad_free",
    "big_heap",
    "departure",
    "early_exit",
    "global_exit_output",
    "implicit_finalize",
    "mixed",
];

/// `tests/c` files that are not OpenSHMEM programs: `whole_lines` is an `LD_PRELOAD` shim for
/// the message tests.
const NOT_PROGRAMS: [&str; 1] = ["whole_lines"];

struct Setup {
    root: PathBuf,
    /// The target directory of these tests (`target/ompi-test`).
    target: PathBuf,
    /// `<Open MPI's component directory>:<the directory holding our .so>`.
    component_path: String,
    progs: PathBuf,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        // A target directory of its own, so the nested cargo does not wait for the outer
        // one's lock.
        let target = root.join("target").join("ompi-test");
        let out = Command::new(root.join("memheap-ompi/component/build.sh"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run component/build.sh");
        assert!(
            out.status.success(),
            "component/build.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let so_dir = target.join("ompi");
        assert!(so_dir.join("mca_memheap_rbuddy.so").exists());
        let info = Command::new("oshmem_info")
            .args(["--path", "pkglibdir"])
            .output()
            .expect("oshmem_info is installed");
        let info = String::from_utf8_lossy(&info.stdout);
        let pkglibdir = info
            .split_once("Pkglibdir:")
            .map(|(_, d)| d.trim().to_string())
            .expect("oshmem_info --path pkglibdir");
        let progs = target.join("progs");
        std::fs::create_dir_all(&progs).expect("create progs dir");
        Setup {
            component_path: format!("{pkglibdir}:{}", so_dir.display()),
            root,
            target,
            progs,
        }
    })
}

/// Build `src` with `oshcc`; the executable's path, or the compiler's output on failure.
fn oshcc(src: &Path, name: &str) -> Result<PathBuf, String> {
    let s = setup();
    let exe = s.progs.join(name);
    let out = Command::new("oshcc")
        .args([
            "-std=gnu11",
            "-O1",
            "-Wall",
            "-Werror=implicit-function-declaration",
        ])
        .arg("-I")
        .arg(s.root.join("tests/c"))
        .arg(src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("oshcc is installed");
    if out.status.success() {
        Ok(exe)
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn project_program(name: &str) -> PathBuf {
    let src = setup().root.join(format!("tests/c/{name}.c"));
    oshcc(&src, name).unwrap_or_else(|e| panic!("oshcc {name}.c:\n{e}"))
}

fn own_program(name: &str) -> PathBuf {
    let src = setup().root.join(format!("memheap-ompi/tests/c/{name}.c"));
    oshcc(&src, name).unwrap_or_else(|e| panic!("oshcc {name}.c:\n{e}"))
}

struct Job {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Job {
    fn all(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }

    /// Lines of stdout containing `marker`.
    fn count(&self, marker: &str) -> usize {
        self.stdout.lines().filter(|l| l.contains(marker)).count()
    }

    /// Lines of stderr containing every one of `parts`.
    fn err_count(&self, parts: &[&str]) -> usize {
        self.stderr
            .lines()
            .filter(|l| parts.iter().all(|p| l.contains(p)))
            .count()
    }
}

/// An `oshrun` command with the component path, root permission and `--mca osc ^rdma`.
fn oshrun_cmd() -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "oshrun", "--oversubscribe", "--mca", "osc", "^rdma"])
        .env("OMPI_MCA_mca_base_component_path", &setup().component_path)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env_remove("OMPI_MCA_memheap")
        .env_remove("SHMEM_SYMMETRIC_HEAP_SIZE");
    cmd
}

fn run(cmd: &mut Command) -> Job {
    let out = cmd.output().expect("run oshrun");
    Job {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `exe args` on `n` PEs with rbuddy selected by name and its verbosity at 1 (geometry at
/// init, a summary per heap at finalize).
fn run_rbuddy(n: u32, exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Job {
    let mut cmd = oshrun_cmd();
    cmd.args([
        "--mca",
        "memheap",
        "rbuddy",
        "--mca",
        "memheap_rbuddy_verbose",
        "1",
    ]);
    for (k, v) in env {
        cmd.args(["-x", &format!("{k}={v}")]);
    }
    cmd.args(["-np", &n.to_string()]).arg(exe).args(args);
    run(&mut cmd)
}

/// Every PE initialised rbuddy and rbuddy served the private heap (OSHMEM's collectives and
/// atomics take their `pSync` and lock words from it at init).
fn assert_rbuddy_on_every_pe(what: &str, n: u32, job: &Job) {
    for pe in 0..n {
        let me = format!("memheap rbuddy (PE {pe}): ");
        assert_eq!(
            job.err_count(&[&me, "user heap 0x", "private heap 0x"]),
            1,
            "{what} on {n} PEs: PE {pe} did not initialise rbuddy\n{}",
            job.all()
        );
        let served = job
            .stderr
            .lines()
            .find(|l| l.contains(&me) && l.contains("finalize: private heap: "))
            .and_then(|l| l.split("finalize: private heap: ").nth(1))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|count| count.parse::<u64>().ok())
            .unwrap_or_else(|| {
                panic!("{what}: no private heap summary for PE {pe}\n{}", job.all())
            });
        assert!(
            served > 0,
            "{what}: PE {pe}: the private heap served nothing\n{}",
            job.all()
        );
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn oshmem_info_lists_rbuddy_and_its_parameters() {
    let s = setup();
    let info = |args: &[&str]| {
        let out = Command::new("oshmem_info")
            .args(args)
            .env("OMPI_MCA_mca_base_component_path", &s.component_path)
            .output()
            .expect("oshmem_info");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let version = env!("CARGO_PKG_VERSION");
    let list = info(&[]);
    assert!(
        list.contains(&format!(
            "MCA memheap: rbuddy (MCA v2.1.0, API v2.0.0, Component v{version})"
        )),
        "{list}"
    );
    let params = info(&["--param", "memheap", "rbuddy", "--level", "9"]);
    for (name, default) in [
        ("memheap_rbuddy_priority", "50"),
        ("memheap_rbuddy_capacity", "0"),
        ("memheap_rbuddy_verbose", "0"),
    ] {
        assert!(
            params.contains(&format!(
                "parameter \"{name}\" (current value: \"{default}\", data source: default"
            )),
            "{name}:\n{params}"
        );
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn install_sh_puts_the_component_where_oshmem_info_finds_it() {
    let s = setup();
    let dir = s.progs.join("installed-components");
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(s.root.join("memheap-c/install.sh"))
        .arg("--ompi")
        .arg(&dir)
        .env("CARGO_TARGET_DIR", &s.target)
        .env_remove("OMPI_MCA_mca_base_component_path")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run install.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("mca_memheap_rbuddy.so").is_file());
    // Not a directory Open MPI searches: install.sh prints the setting that adds it.
    let path = stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("export OMPI_MCA_mca_base_component_path=")
        })
        .unwrap_or_else(|| panic!("no component path advice:\n{stdout}"));
    assert!(path.ends_with(&format!(":{}", dir.display())), "{path}");
    let info = Command::new("oshmem_info")
        .env("OMPI_MCA_mca_base_component_path", path)
        .output()
        .expect("oshmem_info");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("MCA memheap: rbuddy"), "{info}");
    assert!(
        info.contains("MCA memheap: ptmalloc"),
        "the system components stay: {info}"
    );
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn selected_by_name_or_by_priority_and_not_by_default() {
    let hello = project_program("hello");
    let selected = |extra: &[&str]| {
        let mut cmd = oshrun_cmd();
        cmd.args(["--mca", "memheap_base_verbose", "10"])
            .args(extra)
            .args(["-np", "2"])
            .arg(&hello);
        let job = run(&mut cmd);
        assert_eq!(job.code, Some(0), "{}", job.all());
        let names: Vec<String> = job
            .stderr
            .lines()
            .filter_map(|l| l.split("(memheap) Selected component [").nth(1))
            .map(|rest| rest.trim_end_matches(']').to_string())
            .collect();
        assert_eq!(names.len(), 2, "one selection per PE:\n{}", job.all());
        names
    };
    assert_eq!(
        selected(&["--mca", "memheap", "rbuddy"]),
        ["rbuddy", "rbuddy"]
    );
    assert_eq!(
        selected(&["--mca", "memheap_rbuddy_priority", "200"]),
        ["rbuddy", "rbuddy"]
    );
    // Installed but not asked for: OSHMEM's ptmalloc (priority 100) stays the default.
    assert_eq!(selected(&[]), ["ptmalloc", "ptmalloc"]);
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn every_project_c_program_is_classified() {
    let dir = setup().root.join("tests/c");
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/c")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".c")
                .map(str::to_string)
        })
        .collect();
    let classified: BTreeSet<String> = PROJECT_PROGRAMS
        .iter()
        .map(|(n, _)| *n)
        .chain(NEEDS_MISSING_API)
        .chain(OSHMEM_BEHAVIOUR)
        .chain(MEMHEAP_RUNTIME)
        .chain(NOT_PROGRAMS)
        .map(str::to_string)
        .collect();
    assert_eq!(
        present, classified,
        "a tests/c program must be run here or listed with the reason it is not"
    );
    for name in NEEDS_MISSING_API {
        let src = dir.join(format!("{name}.c"));
        assert!(
            oshcc(&src, &format!("refused-{name}")).is_err(),
            "{name}.c now builds with oshcc: run it here"
        );
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn project_c_programs_on_rbuddy_at_1_2_4_pes() {
    for (name, status) in PROJECT_PROGRAMS {
        let exe = project_program(name);
        for n in PES {
            let job = run_rbuddy(n, &exe, &[], &[]);
            assert_eq!(job.code, Some(status), "{name} on {n} PEs\n{}", job.all());
            let marker = match name {
                "hello" => "Hello from PE",
                "global_exit" => "should not get here",
                _ => "ok",
            };
            let expected = if status == 0 { n as usize } else { 0 };
            assert_eq!(
                job.count(marker),
                expected,
                "{name} on {n} PEs\n{}",
                job.all()
            );
            assert!(
                !job.stderr.contains("FAIL"),
                "{name} on {n} PEs\n{}",
                job.all()
            );
            if status == 0 {
                // global_exit ends the job before finalize: no summary to check.
                assert_rbuddy_on_every_pe(name, n, &job);
                assert_eq!(job.err_count(&["refused, 0 bad frees"]), 2 * n as usize);
            }
        }
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn rbuddy_semantics_at_1_2_4_pes() {
    let exe = own_program("rbuddy_semantics");
    for n in PES {
        let job = run_rbuddy(n, &exe, &[], &[]);
        assert_eq!(job.code, Some(0), "{n} PEs\n{}", job.all());
        assert_eq!(
            job.count("rbuddy_semantics: PE"),
            n as usize,
            "{}",
            job.all()
        );
        assert_rbuddy_on_every_pe("rbuddy_semantics", n, &job);
        for parts in [
            &["on the user heap: invalid pointer", "nothing changed"][..],
            &["on the user heap: double free", "nothing changed"],
            &[
                "align(1099511627776, 48)",
                "no address of the heap is a multiple of the alignment 1099511627776",
            ],
            &["user heap: ", "2 bad frees; 0 blocks (0 bytes) still live"],
        ] {
            assert_eq!(
                job.err_count(parts),
                n as usize,
                "{parts:?} once per PE\n{}",
                job.all()
            );
        }
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn heap_larger_than_4_gib() {
    let exe = own_program("rbuddy_semantics");
    let job = run_rbuddy(2, &exe, &["big"], &[("SHMEM_SYMMETRIC_HEAP_SIZE", "6G")]);
    assert_eq!(job.code, Some(0), "{}", job.all());
    assert_eq!(
        job.err_count(&["user heap 0x", "+ 6442450944 bytes"]),
        2,
        "{}",
        job.all()
    );
    assert_eq!(
        job.count("placed a block 5368709120 bytes past a 5 GiB one"),
        2,
        "{}",
        job.all()
    );
    assert_eq!(job.count("rbuddy_semantics: PE"), 4, "{}", job.all());
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn capacity_parameter_limits_live_blocks_with_a_message() {
    // exhaustion.c keeps allocating 256 KiB blocks until one fails (1024 fit in 256 MiB); with
    // room for 100 live blocks the size table runs out first, on every PE at the same call.
    let exe = project_program("exhaustion");
    let mut cmd = oshrun_cmd();
    cmd.args([
        "--mca",
        "memheap",
        "rbuddy",
        "--mca",
        "memheap_rbuddy_capacity",
        "100",
    ])
    .args(["-np", "2"])
    .arg(&exe);
    let job = run(&mut cmd);
    assert_eq!(job.code, Some(0), "{}", job.all());
    assert_eq!(
        job.count("(99 blocks of 256 KiB before failure)"),
        2,
        "the 101st live block fails: 1024 B first, then 99 of 256 KiB\n{}",
        job.all()
    );
    // Both refusals (the 256 KiB block and the int after it) are reported on every PE.
    for call in ["alloc(262144)", "alloc(4)"] {
        assert_eq!(
            job.err_count(&[
                call,
                "size table full",
                "100 live blocks of 100",
                "raise memheap_rbuddy_capacity"
            ]),
            2,
            "{}",
            job.all()
        );
    }
}

#[test]
#[ignore = "needs Open MPI (openmpi-bin, libopenmpi-dev); run by .ci/run with --ignored"]
fn full_api_on_rbuddy_at_1_2_4_pes() {
    let exe = own_program("full_api");
    for n in PES {
        let job = run_rbuddy(n, &exe, &[], &[]);
        assert_eq!(job.code, Some(0), "{n} PEs\n{}", job.all());
        assert_eq!(job.count("full_api: PE"), n as usize, "{}", job.all());
        assert_rbuddy_on_every_pe("full_api", n, &job);
        // Every block the program took came back, and nothing was refused.
        assert_eq!(
            job.err_count(&[
                "finalize: user heap: ",
                "0 refused, 0 bad frees; 0 blocks (0 bytes) still live"
            ]),
            n as usize,
            "{}",
            job.all()
        );
    }
}

/// Two simulated hosts with two PEs each: `oshrun` starts each host's `orted` through
/// `fake-host-agent.sh` (in place of ssh), which runs it under `unshare --uts --ipc --mount`
/// with its own host name and `/dev/shm`, so ORTE sees two nodes and UCX reaches the other
/// host over TCP. Needs root (or user namespaces); `.ci/run` runs it only where `unshare`
/// works and says so when it cannot.
#[test]
#[ignore = "needs Open MPI and unshare (root); run by .ci/run when possible"]
fn two_simulated_hosts_times_two_pes() {
    let s = setup();
    let agent = s.root.join("memheap-ompi/tests/fake-host-agent.sh");
    let hostfile = s.progs.join("fake-hosts");
    std::fs::write(&hostfile, "rbuddy-host-a slots=2\nrbuddy-host-b slots=2\n").unwrap();
    for (prog, marker) in [
        ("full_api", "full_api: PE"),
        ("rbuddy_semantics", "rbuddy_semantics: PE"),
    ] {
        let exe = own_program(prog);
        let mut cmd = oshrun_cmd();
        cmd.arg("--hostfile")
            .arg(&hostfile)
            .arg("--mca")
            .arg("plm_rsh_agent")
            .arg(&agent)
            .args(["--map-by", "node", "--mca", "memheap", "rbuddy"])
            .args([
                "--mca",
                "memheap_base_verbose",
                "10",
                "--mca",
                "memheap_rbuddy_verbose",
                "1",
            ])
            .args(["-x", "UCX_LOG_LEVEL=info", "-np", "4"])
            .arg(&exe);
        let job = run(&mut cmd);
        assert_eq!(job.code, Some(0), "{prog}\n{}", job.all());
        assert_eq!(job.count(marker), 4, "{prog}\n{}", job.all());
        // "[host:pid] mca:base:select:(memheap) Selected component [rbuddy]" from 2 processes
        // on each host.
        for host in ["rbuddy-host-a", "rbuddy-host-b"] {
            let pids: BTreeSet<&str> = job
                .stderr
                .lines()
                .filter(|l| l.contains("(memheap) Selected component [rbuddy]"))
                .filter_map(|l| l.strip_prefix(&format!("[{host}:")))
                .filter_map(|rest| rest.split(']').next())
                .collect();
            assert_eq!(
                pids.len(),
                2,
                "{prog}: rbuddy selected on {host}: {pids:?}\n{}",
                job.all()
            );
        }
        assert_eq!(
            job.stderr.matches("(memheap) Selected component [").count(),
            4,
            "{}",
            job.all()
        );
        assert_rbuddy_on_every_pe(prog, 4, &job);
        // The PEs on the other host are reached over TCP, the ones on the same host over
        // shared memory: UCX lists its endpoint configurations at log level info.
        assert!(
            // (UCX writes its log to standard output.)
            job.stdout
                .lines()
                .any(|l| l.contains("ep_cfg[") && l.contains("tcp/")),
            "{prog}: no UCX endpoint over TCP\n{}",
            job.all()
        );
    }
}
