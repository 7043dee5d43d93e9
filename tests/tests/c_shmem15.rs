//! OpenSHMEM 1.5 beyond memory management (atomics, collectives, teams and contexts,
//! point-to-point synchronisation and signals, locks, shared static data,
//! `SHMEM_THREAD_MULTIPLE`): C programs compiled against `shmem.h` and `libmemheap.so`, run
//! with `memheap-run` at 2 and 4 PEs (and 1 where a single PE is a case of its own).

use memheap_tests::{compile_c, run_job, JobOutput};

fn assert_ok(name: &str, n: u32, out: &JobOutput) {
    assert!(
        out.ok(),
        "{name} on {n} PEs exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
}

/// Compile `name` (with `extra` flags), run it at each of `pes`, and expect `marker` once from
/// every PE.
fn run_at(name: &str, extra: &[&str], pes: &[u32], marker: &str) {
    let exe = compile_c(name, extra);
    for &n in pes {
        let out = run_job(n, &exe, &[], &[], 120);
        assert_ok(name, n, &out);
        let hits = out.stdout.lines().filter(|l| l.contains(marker)).count();
        assert_eq!(
            hits, n as usize,
            "{name} on {n} PEs: {marker:?} seen {hits} times\n{}",
            out.stdout
        );
    }
}

#[test]
fn atomics_of_every_type_from_every_pe() {
    run_at("amo", &[], &[1, 2, 4], "amo: PE");
}

#[test]
fn collectives_team_and_active_set_forms() {
    run_at("coll", &["-lm"], &[1, 2, 3, 4], "coll: PE");
}

#[test]
fn teams_and_contexts() {
    run_at("teams", &[], &[1, 2, 3, 4], "teams: PE");
}

#[test]
fn point_to_point_synchronisation_and_signals() {
    run_at("p2p", &[], &[1, 2, 4], "p2p: PE");
}

#[test]
fn distributed_locks_exclude() {
    run_at("locks", &[], &[2, 4], "locks: PE");
}

#[test]
fn static_data_is_shared_memory() {
    run_at("statics", &[], &[1, 2, 4], "statics: PE");
}

#[test]
fn thread_multiple() {
    run_at("threads", &["-pthread"], &[1, 2, 4], "threads: PE");
}

#[test]
fn misuse_is_a_named_error() {
    let exe = compile_c("misuse15", &[]);
    for (case, routine, what) in [
        (
            "misaligned",
            "shmem_long_atomic_fetch_add",
            "not aligned to 8 bytes",
        ),
        ("stack_atomic", "shmem_long_atomic_inc", "not symmetric"),
        ("read_only_atomic", "shmem_long_atomic_fetch", "read-only"),
        ("bad_pe_atomic", "shmem_int_atomic_add", "out of range"),
        (
            "ctx_pe",
            "shmem_ctx_long_p",
            "PE 1 is out of range (the context's team has PEs 0..0)",
        ),
        (
            "destroyed_ctx",
            "shmem_ctx_long_atomic_inc",
            "is not a context",
        ),
        (
            "sig_op",
            "shmem_long_put_signal",
            "sig_op 7 is neither SHMEM_SIGNAL_SET nor SHMEM_SIGNAL_ADD",
        ),
        ("wait_cmp", "shmem_long_test_any", "unknown comparison 42"),
        (
            "active_set",
            "shmem_broadcast64",
            "this PE is not in the active set",
        ),
        ("stack_psync", "shmem_barrier", "pSync"),
        (
            "bcast_root",
            "shmem_long_broadcast",
            "PE_root 2 is not a PE",
        ),
        ("team_twice", "shmem_team_destroy", "is not a team"),
        ("reduce_huge", "shmem_long_max_reduce", "overflow"),
    ] {
        let out = run_job(2, &exe, &[case], &[], 60);
        assert!(!out.ok(), "{case} exited 0\n{}", out.stdout);
        assert!(
            !out.stdout.contains("went on"),
            "{case}: a PE went on\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(routine) && out.stderr.contains(what),
            "{case}: expected {routine:?} and {what:?} in\n{}",
            out.stderr
        );
    }
}

#[test]
fn shmemx_and_mpp_headers_build_every_routine_family() {
    // The header check of c_shmem.rs compiles the headers alone; this compiles a program that
    // calls through shmemx.h and mpp/shmem.h, including the C11 generic forms.
    let b = memheap_tests::build();
    let src = b.out_dir.join("headers15.c");
    std::fs::write(
        &src,
        "#include <shmemx.h>\n#include <mpp/shmem.h>\n#include <mpp/shmemx.h>\n\
         static long x, y; static long psync[SHMEM_SYNC_SIZE];\n\
         int main(void) { shmem_init(); shmem_atomic_add(&x, 1L, 0); shmem_sync(SHMEM_TEAM_WORLD);\n\
         shmem_sum_reduce(SHMEM_TEAM_WORLD, &y, &x, 1); shmem_sync(0, 0, shmem_n_pes(), psync);\n\
         shmem_wait_until(&y, SHMEM_CMP_GE, 0L); int bad = y != shmem_n_pes(); shmem_finalize();\n\
         return bad; }\n",
    )
    .unwrap();
    let exe = b.out_dir.join("headers15");
    let out = std::process::Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(&b.include_dir)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&b.lib_dir)
        .arg("-Wl,--disable-new-dtags")
        .arg(format!("-Wl,-rpath,{}", b.lib_dir.display()))
        .arg("-lmemheap")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in [1, 2, 4] {
        let out = run_job(n, &exe, &[], &[], 60);
        assert_ok("headers15", n, &out);
    }
}
