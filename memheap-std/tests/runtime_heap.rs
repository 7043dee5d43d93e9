//! Collective allocation across PEs: symmetry, ring put/get/ptr through the heap, failing
//! together, symmetric-call checking, heap base checking.

mod runtime_common;
use runtime_common::{example, launcher, run, text};

use std::process::Command;

#[test]
fn allocation_symmetry_and_heap_ring_at_1_2_4_16_pes() {
    for n in [1u32, 2, 4, 16] {
        let o = run(
            n,
            &["--timeout", "30", "--heap-size", "8M"],
            "pe_test",
            &["heap"],
        );
        assert!(o.status.success(), "{n} PEs: {}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            out.matches("heap ring ok").count(),
            n as usize,
            "{}",
            text(&o)
        );
        for prefix in ["offsets:", "realloc offsets:"] {
            let lines: Vec<&str> = out.lines().filter(|l| l.starts_with(prefix)).collect();
            assert_eq!(lines.len(), n as usize, "{}", text(&o));
            assert!(
                lines.iter().all(|l| *l == lines[0]),
                "offsets differ between PEs:\n{}",
                text(&o)
            );
        }
    }
}

#[test]
fn exhaustion_fails_on_every_pe_and_failed_realloc_keeps_the_old_block() {
    for n in [1u32, 4] {
        let o = run(
            n,
            &["--timeout", "30", "--heap-size", "4M"],
            "pe_test",
            &["exhaust"],
        );
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout)
                .matches("exhaust ok")
                .count(),
            n as usize,
            "{}",
            text(&o)
        );
    }
}

#[test]
fn failed_realloc_undoes_an_in_place_growth() {
    // Every PE but the last can grow the block (buddy: in place, ptmalloc: into a new block);
    // the last asks for more than its heap, so every PE fails and the others undo their part.
    for component in ["buddy", "ptmalloc"] {
        for n in [2u32, 4] {
            let o = run(
                n,
                &["--timeout", "30", "--heap-size", "4M"],
                "pe_test",
                &["realloc_undo", component],
            );
            assert!(o.status.success(), "{}", text(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                out.matches(&format!("{component} undone")).count(),
                n as usize,
                "{}",
                text(&o)
            );
        }
    }
}

#[test]
fn one_pe_failing_makes_every_pe_fail_and_free() {
    // The last PE asks for more than its heap holds, the others for half of theirs.
    for component in ["buddy", "ptmalloc"] {
        for n in [2u32, 4] {
            let o = run(
                n,
                &["--timeout", "30", "--heap-size", "4M"],
                "pe_test",
                &["one_fails", component],
            );
            assert!(o.status.success(), "{}", text(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                out.matches(&format!("{component} failed together")).count(),
                n as usize,
                "{}",
                text(&o)
            );
        }
    }
}

#[test]
fn asymmetric_calls_are_reported_on_every_pe() {
    for debug in [false, true] {
        let mut c = Command::new(launcher());
        c.args(["--timeout", "30", "--grace", "1", "-n", "4"])
            .arg(example("pe_test"))
            .arg("asym");
        if debug {
            c.env("SHMEM_DEBUG", "1");
        } else {
            c.env_remove("SHMEM_DEBUG"); // debug builds check anyway
        }
        let o = c.output().unwrap();
        assert!(!o.status.success(), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        for pe in 0..4 {
            assert!(
                err.contains(&format!("memheap: PE {pe}: symmetric-call check failed")),
                "PE {pe}: {}",
                text(&o)
            );
        }
        assert!(
            err.contains("PE 3: malloc(size=128)") && err.contains("PE 0: malloc(size=64)"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn different_heap_bases_are_an_error_on_every_pe() {
    let o = run(
        3,
        &["--timeout", "30", "--grace", "1"],
        "pe_test",
        &["base_mismatch"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not at the same address"), "{}", text(&o));
}

#[test]
fn ring_demo_runs_with_both_components() {
    for component in ["buddy", "ptmalloc"] {
        let o = Command::new(launcher())
            .args(["--timeout", "30", "-n", "4"])
            .arg(example("ring"))
            .env("MEMHEAP_COMPONENT", component)
            .output()
            .unwrap();
        assert!(o.status.success(), "{component}: {}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&format!("component \"{component}\"")),
            "{}",
            text(&o)
        );
        assert!(out.contains("token came back as 10"), "{}", text(&o));
        assert!(out.contains("done: 0 live blocks"), "{}", text(&o));
    }
}
