//! Helpers shared by the runtime and launcher integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The `memheap-run` binary cargo built for these tests.
pub fn launcher() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_memheap-run"))
}

/// An example binary (`cargo test` builds the examples next to the binaries).
pub fn example(name: &str) -> PathBuf {
    let p = launcher().parent().unwrap().join("examples").join(name);
    assert!(
        p.exists(),
        "{} not built (cargo test builds the examples)",
        p.display()
    );
    p
}

/// Run `memheap-run <opts> -n N <example> <args>`.
pub fn run(n: u32, opts: &[&str], prog: &str, args: &[&str]) -> Output {
    Command::new(launcher())
        .args(opts)
        .arg("-n")
        .arg(n.to_string())
        .arg(example(prog))
        .args(args)
        .env_remove("SHMEM_DEBUG")
        .output()
        .expect("memheap-run starts")
}

/// stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Names in /dev/shm that belong to memheap.
pub fn shm_objects() -> BTreeSet<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("memheap"))
                .collect()
        })
        .unwrap_or_default()
}
