//! Unmodified C programs started by Open MPI's `mpirun` (no memheap launcher): the runtime takes
//! rank and size from `OMPI_COMM_WORLD_*` and meets its peers through a named shared-memory
//! object that it removes once all PEs have attached.
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
}
