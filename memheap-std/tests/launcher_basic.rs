//! `memheap-run`: starting PEs, forwarding output, exit statuses, stopping the job.

mod runtime_common;
use runtime_common::{example, launcher, run, shm_objects, text};

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn hello_at_1_2_4_16_pes_with_prefix() {
    for n in [1u32, 2, 4, 16] {
        let o = run(n, &["--prefix"], "pe_test", &["hello"]);
        assert!(o.status.success(), "{}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        for pe in 0..n {
            let line = format!("[{pe}] hello from PE {pe} of {n}");
            assert!(
                out.lines().any(|l| l == line),
                "missing {line:?}\n{}",
                text(&o)
            );
        }
        assert_eq!(out.lines().count(), n as usize, "{}", text(&o));
    }
}

#[test]
fn np_and_double_dash_forms() {
    let o = Command::new(launcher())
        .args(["-np", "2", "--"])
        .arg(example("pe_test"))
        .arg("hello")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
}

#[test]
fn partial_last_line_is_forwarded() {
    let o = run(2, &["--prefix"], "pe_test", &["partial"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("[0] no newline from PE 0\n") && out.contains("[1] no newline from PE 1\n"),
        "{}",
        text(&o)
    );
}

#[test]
fn heap_size_option_sets_shmem_symmetric_size() {
    let o = run(2, &["--heap-size", "3M"], "pe_test", &["env"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("SHMEM_SYMMETRIC_SIZE=3M")
            .count(),
        2,
        "{}",
        text(&o)
    );
}

#[test]
fn global_exit_status_ends_the_job() {
    for n in [1u32, 4] {
        let t = Instant::now();
        let o = run(n, &["--timeout", "20"], "pe_test", &["global_exit", "7"]);
        assert_eq!(o.status.code(), Some(7), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains(&format!("PE {} called global_exit(7)", n - 1)),
            "{}",
            text(&o)
        );
        assert!(t.elapsed() < Duration::from_secs(10));
    }
    // global_exit(0) from one PE still ends the others (blocked in a barrier) with 0.
    let o = run(3, &["--timeout", "20"], "pe_test", &["global_exit", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn pe_killed_by_sigkill_ends_the_job() {
    let before = shm_objects();
    for n in [2u32, 16] {
        let o = run(n, &["--timeout", "20", "--grace", "1"], "pe_test", &["die"]);
        assert_eq!(o.status.code(), Some(128 + 9), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("PE {} (pid", n - 1)) && err.contains("signal 9"),
            "{}",
            text(&o)
        );
    }
    let after = shm_objects();
    assert!(
        after.is_subset(&before),
        "new objects in /dev/shm: {:?}",
        after.difference(&before)
    );
}

#[test]
fn failing_pe_status_is_the_jobs() {
    let o = run(4, &["--timeout", "20"], "pe_test", &["fail", "5"]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("PE 3 (pid"),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exited with status 5"),
        "{}",
        text(&o)
    );
}

#[test]
fn timeout_ends_the_job() {
    let t = Instant::now();
    let o = run(
        2,
        &["--timeout", "0.5", "--grace", "0.5"],
        "pe_test",
        &["sleep", "30"],
    );
    assert_eq!(o.status.code(), Some(124), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("timeout"),
        "{}",
        text(&o)
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn bad_command_lines_are_errors() {
    for args in [
        &[][..],
        &["prog"],
        &["-n", "0", "prog"],
        &["-n", "x", "prog"],
        &["-n", "2"],
        &["--bogus", "-n", "1", "prog"],
        &["--timeout", "soon", "-n", "1", "prog"],
    ] {
        let o = Command::new(launcher()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("usage"),
            "{args:?}: {}",
            text(&o)
        );
    }
    let o = Command::new(launcher())
        .args(["-n", "2", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot start PE 0"),
        "{}",
        text(&o)
    );
}

/// Issue 10 item 9: a 64 MiB line without a newline is forwarded in linear time (it used to be
/// rescanned on every read: 32 MiB took 10 s, so 64 MiB on two PEs would pass the timeout).
#[test]
fn long_line_is_forwarded_in_linear_time() {
    const LEN: usize = 64 << 20;
    let o = run(
        2,
        &["--timeout", "30"],
        "pe_test",
        &["long_line", &LEN.to_string()],
    );
    assert!(
        o.status.success(),
        "status {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    // Each PE's line, with the newline the launcher adds to a last line that has none.
    assert_eq!(o.stdout.len(), 2 * (LEN + 1));
    assert_eq!(o.stdout.iter().filter(|&&b| b == b'\n').count(), 2);
}

/// Issue 10 item 9: a reader that never drains the launcher's stdout cannot stall the job: the
/// timeout still ends it.
#[test]
fn undrained_stdout_does_not_stall_the_timeout() {
    use std::process::Stdio;
    let mut child = Command::new(launcher())
        .args(["--timeout", "1", "--grace", "0.5", "-n", "2"])
        .arg(example("pe_test"))
        .arg("flood")
        .stdin(Stdio::null())
        .stdout(Stdio::piped()) // never read
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(124),
        "the launcher did not end the job at its timeout with stdout blocked"
    );
}

/// Issue 10, messages: `--timeout 0` means no timeout (as GNU `timeout`).
#[test]
fn timeout_zero_means_no_timeout() {
    let o = run(2, &["--timeout", "0"], "pe_test", &["sleep", "1"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Issue 10, messages: under memheap-run, a rendezvous timeout does not ask whether the PEs are
/// on different machines (they cannot be); it says how many PEs arrived.
#[test]
fn rendezvous_timeout_under_memheap_run_names_no_machines() {
    let o = Command::new(launcher())
        .args(["--timeout", "20", "-n", "2"])
        .arg(example("pe_test"))
        .arg("late_init")
        .env("MEMHEAP_RENDEZVOUS_TIMEOUT", "0.5")
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 of 2 PEs"), "{}", text(&o));
    assert!(!err.contains("machine"), "{}", text(&o));
}

/// Issue 10 item 10: a second `runtime::init` while the first runtime runs is refused and
/// closes nothing it does not own (the first runtime's segment memfd, a file of the program).
#[test]
fn second_init_closes_nothing() {
    let o = run(2, &["--timeout", "20"], "pe_test", &["init_twice"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("init twice ok")
            .count(),
        2,
        "{}",
        text(&o)
    );
}
