//! The OpenSHMEM semantics of memheap-c, as C programs compiled with the system C compiler against
//! `shmem.h` and `libmemheap.so`, run with `memheap-run` at 1, 2 and 4 PEs.

use memheap_tests::{compile_c, run_job, JobOutput};

const PES: [u32; 3] = [1, 2, 4];

fn assert_ok(name: &str, n: u32, out: &JobOutput) {
    assert!(
        out.ok(),
        "{name} on {n} PEs exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
}

/// Compile `name`, run it at 1, 2 and 4 PEs, and expect `marker` once from every PE.
fn run_everywhere(name: &str, marker: &str) {
    let exe = compile_c(name, &[]);
    for n in PES {
        let out = run_job(n, &exe, &[], &[], 60);
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
fn hello() {
    let exe = compile_c("hello", &[]);
    for n in PES {
        let out = run_job(n, &exe, &[], &[], 60);
        assert_ok("hello", n, &out);
        for pe in 0..n {
            let line = format!("Hello from PE {pe} of {n} (memheap, OpenSHMEM 1.5)");
            assert!(
                out.stdout.contains(&line),
                "missing {line:?} in\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn ring_through_static_and_heap() {
    run_everywhere("ring", "ring: PE");
}

#[test]
fn size_zero_is_null_without_barrier() {
    run_everywhere("zero_size", "zero_size: PE");
}

#[test]
fn barriers_on_entry_and_exit() {
    run_everywhere("barrier_rules", "barrier_rules: PE");
}

#[test]
fn realloc_keeps_contents_and_survives_failure() {
    run_everywhere("realloc", "realloc: PE");
}

#[test]
fn calloc_zeroes_and_rejects_overflow() {
    run_everywhere("calloc", "calloc: PE");
}

#[test]
fn align_results_and_odd_alignments() {
    run_everywhere("align", "align: PE");
}

#[test]
fn ptr_and_accessibility() {
    run_everywhere("ptr", "ptr: PE");
}

#[test]
fn every_rma_type() {
    run_everywhere("rma_types", "rma_types: PE");
}

#[test]
fn wait_until_and_test() {
    run_everywhere("wait_test", "wait_test: PE");
}

#[test]
fn sum_reductions_on_the_world_team() {
    run_everywhere("reduce", "reduce: PE");
}

#[test]
fn legacy_names() {
    run_everywhere("legacy", "legacy: PE");
}

#[test]
fn exhaustion_fails_together_and_recovers() {
    run_everywhere("exhaustion", "exhaustion: PE");
}

#[test]
fn out_of_range_pe_is_a_named_error() {
    let exe = compile_c("bad_pe", &[]);
    for routine in [
        "shmem_long_p",
        "shmem_long_g",
        "shmem_putmem",
        "shmem_getmem",
        "shmem_int_iput",
        "shmem_put64",
    ] {
        let out = run_job(2, &exe, &[routine], &[], 60);
        assert!(
            !out.ok(),
            "{routine} with a bad PE exited 0\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(routine),
            "{routine}: error does not name the routine:\n{}",
            out.stderr
        );
        let bad = if routine == "shmem_getmem" {
            "-1".to_string()
        } else {
            "5".to_string()
        };
        assert!(
            out.stderr.contains(&format!("PE {bad}")),
            "{routine}: error does not name PE {bad}:\n{}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("returned from"),
            "{routine} returned after a bad PE"
        );
    }
    // A stack address is not symmetric: a named error, also when the target is this PE.
    for (routine, named) in [
        ("stack_put", "shmem_putmem"),
        ("stack_get", "shmem_long_get"),
    ] {
        let out = run_job(2, &exe, &[routine], &[], 60);
        assert!(!out.ok(), "{routine} exited 0");
        assert!(
            out.stderr.contains(named) && out.stderr.contains("not symmetric"),
            "{routine}: {}",
            out.stderr
        );
    }
    // shmem_ptr is a query: an out-of-range PE gives NULL, and the program goes on; with
    // SHMEM_DEBUG the out-of-range PE is reported, naming the routine and the PE.
    let out = run_job(2, &exe, &["shmem_ptr"], &[], 60);
    assert!(out.ok(), "{}", out.stderr);
    assert!(!out.stderr.contains("out of range"), "{}", out.stderr);
    let out = run_job(2, &exe, &["shmem_ptr"], &[("SHMEM_DEBUG", "1")], 60);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stderr.contains("shmem_ptr: PE 5 is out of range"),
        "{}",
        out.stderr
    );
}

#[test]
fn global_exit_ends_the_job_with_its_status() {
    let exe = compile_c("global_exit", &[]);
    for n in PES {
        let out = run_job(n, &exe, &[], &[], 60);
        assert_eq!(
            out.code,
            Some(7),
            "global_exit on {n} PEs\n{}\n{}",
            out.stdout,
            out.stderr
        );
        assert!(!out.stdout.contains("should not get here"));
    }
}

#[test]
fn shmem_debug_reports_failed_allocations() {
    let exe = compile_c("debug_env", &[]);
    let out = run_job(2, &exe, &[], &[("SHMEM_DEBUG", "1")], 60);
    assert!(out.ok(), "{}", out.stderr);
    for pe in 0..2 {
        let head = format!("memheap: PE {pe}: malloc(size={})", 1u64 << 41);
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("PE {pe} did not report the failure:\n{}", out.stderr));
        assert!(line.contains("bytes free"), "no free bytes in {line:?}");
        assert!(
            line.contains("largest free block"),
            "no largest free block in {line:?}"
        );
    }
    let quiet = run_job(2, &exe, &[], &[], 60);
    assert!(quiet.ok());
    assert!(
        !quiet.stderr.contains("malloc(size="),
        "reported without SHMEM_DEBUG:\n{}",
        quiet.stderr
    );
}

#[test]
fn shmem_info_and_version() {
    let exe = compile_c("hello", &[]);
    let out = run_job(1, &exe, &[], &[("SHMEM_INFO", "1")], 60);
    assert!(out.ok());
    let all = format!("{}{}", out.stdout, out.stderr);
    for var in [
        "SHMEM_SYMMETRIC_SIZE",
        "SHMEM_DEBUG",
        "SHMEM_INFO",
        "SHMEM_VERSION",
        "MEMHEAP_COMPONENT",
    ] {
        assert!(
            all.contains(var),
            "SHMEM_INFO does not describe {var}:\n{all}"
        );
    }
    let out = run_job(1, &exe, &[], &[("SHMEM_VERSION", "1")], 60);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("OpenSHMEM 1.5"),
        "SHMEM_VERSION does not print the version:\n{all}"
    );
}

#[test]
fn headers_compile_as_c11_c99_and_cpp_with_warnings_as_errors() {
    let b = memheap_tests::build();
    let src = b.out_dir.join("header_check.c");
    std::fs::write(&src, "#include <shmem.h>\n#include <mpp/shmem.h>\n#include <memheap.h>\nint main(void) { void (*f)(void) = shmem_barrier_all; (void)f; return 0; }\n").unwrap();
    let cpp = b.out_dir.join("header_check.cpp");
    std::fs::copy(&src, &cpp).unwrap();
    for (compiler, std, file) in [
        ("cc", "-std=c11", &src),
        ("cc", "-std=c99", &src),
        ("c++", "-std=c++11", &cpp),
    ] {
        let out = std::process::Command::new(compiler)
            .args([
                std,
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                "-fsyntax-only",
                "-I",
            ])
            .arg(&b.include_dir)
            .arg("-I")
            .arg(b.root.join("memheap-embed").join("include"))
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{compiler} {std}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // mpp/shmem.h gives the declarations of shmem.h on its own, both as <mpp/shmem.h> and as
    // <shmem.h> with include/mpp as the only include directory (the historical layouts).
    let prog =
        "\n#if SHMEM_MAJOR_VERSION != 1 || SHMEM_MINOR_VERSION != 5\n#error version\n#endif\n\
                int main(void) { static long x; shmem_init(); shmem_long_atomic_add(&x, 1, 0); \
                shmem_team_sync(SHMEM_TEAM_WORLD); shmem_finalize(); return 0; }\n";
    for (name, include, dir) in [
        (
            "mpp_only.c",
            "#include <mpp/shmem.h>",
            b.include_dir.clone(),
        ),
        (
            "mpp_dir.c",
            "#include <shmem.h>\n#include <shmemx.h>",
            b.include_dir.join("mpp"),
        ),
    ] {
        let src = b.out_dir.join(name);
        std::fs::write(&src, format!("{include}{prog}")).unwrap();
        let out = std::process::Command::new("cc")
            .args([
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
                "-I",
            ])
            .arg(&dir)
            .arg(&src)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} with -I {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn malformed_environment_is_an_init_error_naming_variable_and_value() {
    let exe = compile_c("hello", &[]);
    for (var, value) in [
        ("SHMEM_SYMMETRIC_SIZE", "12Q"),
        ("SHMEM_SYMMETRIC_SIZE", "-1M"),
        ("MEMHEAP_BASE_ADDRESS", "0x1234"),
        ("MEMHEAP_COMPONENT", "nosuch"),
    ] {
        let out = run_job(2, &exe, &[], &[(var, value)], 60);
        assert!(!out.ok(), "{var}={value} was accepted:\n{}", out.stdout);
        assert!(
            !out.stdout.contains("Hello from"),
            "{var}={value}: a PE ran on"
        );
        assert!(
            out.stderr.contains(var) || var == "MEMHEAP_COMPONENT",
            "{var}={value}: the error does not name the variable:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(value),
            "{var}={value}: the error does not name the value:\n{}",
            out.stderr
        );
    }
    // The spec's own examples are accepted: a float with a suffix, trailing characters ignored.
    let out = run_job(1, &exe, &[], &[("SHMEM_SYMMETRIC_SIZE", "3.1Mbytes")], 60);
    assert!(out.ok(), "{}", out.stderr);
}

#[test]
fn asymmetric_collective_calls_are_reported_on_every_pe() {
    let exe = compile_c("asymmetric", &[]);
    for n in [2u32, 4] {
        let out = run_job(n, &exe, &[], &[("SHMEM_DEBUG", "1")], 60);
        assert!(
            !out.ok(),
            "an asymmetric shmem_malloc was not stopped:\n{}",
            out.stdout
        );
        assert!(
            !out.stdout.contains("went on"),
            "a PE went on:\n{}",
            out.stdout
        );
        // Each PE prints the check failure, with every PE's call.
        for pe in 0..n {
            let size = if pe == 0 { 100 } else { 200 };
            assert!(
                out.stderr
                    .contains(&format!("PE {pe}: malloc(size={size})")),
                "PE {pe}'s arguments missing:\n{}",
                out.stderr
            );
        }
        let reports = out.stderr.matches("symmetric-call check failed").count();
        assert_eq!(
            reports, n as usize,
            "not every PE reported:\n{}",
            out.stderr
        );
    }
}
