//! The runtime's environment: malformed values, the mpirun/PMI rendezvous, peers not found.

mod runtime_common;
use runtime_common::{example, shm_objects, text};

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const LAUNCH_VARS: &[&str] = &[
    "MEMHEAP_RANK",
    "MEMHEAP_N_PES",
    "MEMHEAP_JOB_FD",
    "OMPI_COMM_WORLD_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "OMPI_COMM_WORLD_LOCAL_RANK",
    "OMPI_MCA_ess_base_jobid",
    "PMIX_NAMESPACE",
    "PMI_RANK",
    "PMI_SIZE",
    "SLURM_JOB_ID",
    "MEMHEAP_JOB_ID",
];

fn pe(vars: &[(&str, &str)], scenario: &str) -> Command {
    let mut c = Command::new(example("pe_test"));
    c.arg(scenario);
    for v in LAUNCH_VARS {
        c.env_remove(v);
    }
    c.envs(vars.iter().copied());
    c
}

fn run_pe(vars: &[(&str, &str)]) -> Output {
    pe(vars, "hello").output().unwrap()
}

#[test]
fn malformed_env_is_a_clear_error() {
    for (vars, needle) in [
        (
            &[
                ("MEMHEAP_RANK", "2"),
                ("MEMHEAP_N_PES", "2"),
                ("MEMHEAP_JOB_FD", "3"),
            ][..],
            "MEMHEAP_RANK",
        ),
        (
            &[
                ("MEMHEAP_RANK", "0"),
                ("MEMHEAP_N_PES", "two"),
                ("MEMHEAP_JOB_FD", "3"),
            ],
            "MEMHEAP_N_PES",
        ),
        (
            &[("MEMHEAP_RANK", "0"), ("MEMHEAP_N_PES", "2")],
            "MEMHEAP_JOB_FD",
        ),
        (
            &[
                ("MEMHEAP_RANK", "0"),
                ("MEMHEAP_N_PES", "2"),
                ("MEMHEAP_JOB_FD", "999"),
            ],
            "memheap-run",
        ),
        (
            &[("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "0")],
            "OMPI_COMM_WORLD_SIZE",
        ),
        (&[("PMI_RANK", "-1"), ("PMI_SIZE", "2")], "PMI_RANK"),
        (&[("PMI_RANK", "1")], "PMI_SIZE"),
    ] {
        let o = run_pe(vars);
        assert_eq!(o.status.code(), Some(3), "{vars:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{vars:?}: {}", text(&o));
        assert!(!err.contains("panicked"), "{vars:?}: {}", text(&o));
    }
}

#[test]
fn no_launcher_is_one_pe() {
    let o = run_pe(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "hello from PE 0 of 1"
    );
}

/// What `mpirun -np N` does on one machine: N processes with OMPI_COMM_WORLD_* and a job id.
#[test]
fn mpirun_and_pmi_style_jobs_meet_through_shm_and_leave_nothing() {
    let before = shm_objects();
    for (family, n) in [("ompi", 4u32), ("pmi", 3)] {
        let job = format!("test-{}-{family}", std::process::id());
        let children: Vec<_> = (0..n)
            .map(|rank| {
                let (r, s) = (rank.to_string(), n.to_string());
                let vars: Vec<(&str, &str)> = if family == "ompi" {
                    vec![
                        ("OMPI_COMM_WORLD_RANK", &r),
                        ("OMPI_COMM_WORLD_SIZE", &s),
                        ("OMPI_COMM_WORLD_LOCAL_RANK", &r),
                        ("OMPI_MCA_ess_base_jobid", &job),
                    ]
                } else {
                    vec![("PMI_RANK", &r), ("PMI_SIZE", &s), ("MEMHEAP_JOB_ID", &job)]
                };
                pe(&vars, "static")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{family}: {}", text(&o));
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("static ring ok"),
                "{}",
                text(&o)
            );
        }
    }
    let after = shm_objects();
    assert!(
        after.is_subset(&before),
        "left in /dev/shm: {:?}",
        after.difference(&before)
    );
}

#[test]
fn missing_peers_fail_with_a_message_not_a_hang() {
    let before = shm_objects();
    let job = format!("test-{}-lonely", std::process::id());
    for rank in ["0", "1"] {
        let t = Instant::now();
        let o = run_pe(&[
            ("PMI_RANK", rank),
            ("PMI_SIZE", "2"),
            ("MEMHEAP_JOB_ID", &job),
            ("MEMHEAP_RENDEZVOUS_TIMEOUT", "0.5"),
        ]);
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("different machines"),
            "{}",
            text(&o)
        );
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    let after = shm_objects();
    assert!(
        after.is_subset(&before),
        "left in /dev/shm: {:?}",
        after.difference(&before)
    );
}

/// Issue 10 item 8: a PE count from the environment is capped (with a message naming the
/// variable and the limit), so a bogus size creates nothing, and nothing is left in /dev/shm.
#[test]
fn pe_count_from_the_environment_is_capped() {
    let before = shm_objects();
    let job = format!("test-{}-huge", std::process::id());
    let o = run_pe(&[
        ("OMPI_COMM_WORLD_RANK", "0"),
        ("OMPI_COMM_WORLD_SIZE", "1000000"),
        ("OMPI_MCA_ess_base_jobid", &job),
        ("MEMHEAP_RENDEZVOUS_TIMEOUT", "0.5"),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("OMPI_COMM_WORLD_SIZE") && err.contains("4096"),
        "{}",
        text(&o)
    );
    assert!(shm_objects().is_subset(&before));
}
