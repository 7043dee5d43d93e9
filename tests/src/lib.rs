//! Helpers for the integration tests: build the C library and the launcher once (in a target
//! directory of their own, so the nested cargo never waits on the outer one's lock), and compile
//! C programs against them with the system C compiler.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Where the built artefacts are.
#[derive(Debug, Clone)]
pub struct Build {
    /// The workspace root.
    pub root: PathBuf,
    /// Directory holding `libmemheap.so`, `libmemheap.a` and `memheap-run`.
    pub lib_dir: PathBuf,
    /// The OpenSHMEM headers (`shmem.h`, `mpp/shmem.h`); `memheap.h` is in
    /// `memheap-embed/include`.
    pub include_dir: PathBuf,
    /// Directory for compiled test programs.
    pub out_dir: PathBuf,
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Build `libmemheap` and the `memheap-run` launcher (release) once per test process.
pub fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        let root = workspace_root();
        let target = root.join("target").join("ctest");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // `--lib` builds libmemheap (memheap-c's library); `--bin` the launcher.
        let args = [
            "build",
            "--release",
            "-p",
            "memheap-c",
            "-p",
            "memheap-std",
            "--lib",
            "--bin",
            "memheap-run",
        ];
        let out = Command::new(cargo)
            .args(args)
            .arg("--target-dir")
            .arg(&target)
            .current_dir(&root)
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "building libmemheap failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lib_dir = target.join("release");
        let out_dir = target.join("cprogs");
        std::fs::create_dir_all(&out_dir).expect("create cprogs dir");
        Build {
            include_dir: root.join("memheap-c").join("include"),
            root,
            lib_dir,
            out_dir,
        }
    })
}

/// Compile `tests/c/<name>.c` (plus `extra` flags) into an executable linked against the shared
/// library; returns its path. Panics with the compiler's output on failure.
pub fn compile_c(name: &str, extra: &[&str]) -> PathBuf {
    let b = build();
    let src = b.root.join("tests").join("c").join(format!("{name}.c"));
    let exe = b.out_dir.join(name);
    // Tests running at once may build the same program: each links to a file of its own and
    // renames it into place, so no test ever runs (or execs) a half-written executable.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = b
        .out_dir
        .join(format!("{name}.tmp.{}.{seq}", std::process::id()));
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .arg("-std=c11")
        .args(["-Wall", "-Wextra", "-Werror", "-O1"])
        .arg("-I")
        .arg(&b.include_dir)
        .arg("-I")
        .arg(b.root.join("memheap-embed").join("include"))
        .arg(&src)
        .args(extra)
        .arg("-o")
        .arg(&tmp)
        .arg("-L")
        .arg(&b.lib_dir)
        // DT_RPATH (not RUNPATH) so that cargo's LD_LIBRARY_PATH, which points at the workspace's
        // own debug build of the library, cannot shadow the one built here.
        .arg("-Wl,--disable-new-dtags")
        .arg(format!("-Wl,-rpath,{}", b.lib_dir.display()))
        .arg("-lmemheap")
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &exe).expect("move the program into place");
    exe
}

/// Run a program and return its output (stdout, stderr, status).
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run program")
}

/// What a job run under `memheap-run` produced.
#[derive(Debug)]
pub struct JobOutput {
    /// Exit code of the launcher (`None` if it died on a signal).
    pub code: Option<i32>,
    /// Everything the PEs (and the launcher) wrote to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl JobOutput {
    /// Did the job exit 0?
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// Run `exe args` on `n` PEs with `memheap-run` (timeout `timeout_s` seconds), with extra
/// environment variables.
pub fn run_job(
    n: u32,
    exe: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    timeout_s: u32,
) -> JobOutput {
    let b = build();
    let launcher = b.lib_dir.join("memheap-run");
    assert!(
        launcher.exists(),
        "memheap-run was not built at {}",
        launcher.display()
    );
    let mut cmd = Command::new(&launcher);
    cmd.arg("--timeout")
        .arg(timeout_s.to_string())
        .arg("-n")
        .arg(n.to_string())
        .arg("--")
        .arg(exe);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Do not let the test harness's own settings leak into the jobs.
    for k in [
        "SHMEM_DEBUG",
        "SHMEM_INFO",
        "SHMEM_VERSION",
        "MEMHEAP_COMPONENT",
        "MEMHEAP_VERBOSE",
    ] {
        if !env.iter().any(|(e, _)| *e == k) {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().expect("run memheap-run");
    JobOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Compile `tests/c/<name>.c` into a shared object for `LD_PRELOAD` (no libmemheap); returns its
/// path.
pub fn compile_preload(name: &str) -> PathBuf {
    let b = build();
    let src = b.root.join("tests").join("c").join(format!("{name}.c"));
    let so = b.out_dir.join(format!("{name}.so"));
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror"])
        .arg(&src)
        .arg("-o")
        .arg(&so)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}
