//! `memheap-info`: version, heap, components (priority, parameter, configuration, selection)
//! and every environment variable with its value in effect, as text and `--parsable`.

use std::process::{Command, Output};

fn info(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memheap-info"));
    cmd.args(args);
    // Only the variables each test sets.
    for (k, _) in std::env::vars() {
        if k.starts_with("SHMEM_") || k.starts_with("SMA_") || k.starts_with("MEMHEAP_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("memheap-info runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `key:value` lines of `--parsable`, as (key, value) with the key up to the last field
/// name the test asks for.
fn field(text: &str, key: &str) -> String {
    let prefix = format!("{key}:");
    let hits: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect();
    assert_eq!(hits.len(), 1, "{key}: {hits:?} in\n{text}");
    hits[0].to_string()
}

#[test]
fn help_and_version() {
    let o = info(&["--help"], &[]);
    assert!(o.status.success());
    let text = out(&o);
    for word in ["--parsable", "--version", "component", "exit status"] {
        assert!(text.contains(word), "{word} missing from --help:\n{text}");
    }
    let o = info(&["--version"], &[]);
    assert_eq!(
        out(&o).trim(),
        format!("memheap-info {} (OpenSHMEM 1.5)", env!("CARGO_PKG_VERSION"))
    );
    let o = info(&["--verbose"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--verbose") && err.contains("--parsable"),
        "{err}"
    );
}

#[test]
fn defaults_as_text() {
    let o = info(&[], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(text.starts_with(&format!(
        "memheap {} (OpenSHMEM 1.5)\n",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(text.contains("job: no launcher"), "{text}");
    assert!(
        text.contains("heap: 268435456 bytes (256 MiB) per PE at 0x200000000000"),
        "{text}"
    );
    assert!(
        text.contains("selected component: buddy (min block 16 B"),
        "{text}"
    );
    // Components in the order they are tried, with parameter and configuration.
    let b = text
        .find("  buddy      priority 100, selected")
        .expect(&text);
    let p = text.find("  ptmalloc   priority 50\n").expect(&text);
    assert!(b < p, "{text}");
    assert!(text.contains("parameter MEMHEAP_BUDDY_PRIORITY"), "{text}");
    let cap = memheap_std::components::buddy::buddy_capacity(256 << 20);
    assert!(
        text.contains(&format!(
            "configuration: min block 16 B, {cap} live blocks, packed (size classes"
        )),
        "{text}"
    );
    // Every variable with its meaning.
    for var in [
        "SHMEM_SYMMETRIC_SIZE (unset) -> 268435456 (256 MiB, the default)",
        "SHMEM_SYMMETRIC_HEAP_SIZE (unset) -> unset",
        "MEMHEAP_HUGEPAGES (unset) -> auto",
        "MEMHEAP_COMPONENT (unset) -> buddy,ptmalloc",
        "MEMHEAP_PTMALLOC_PRIORITY (unset) -> 50",
        "MEMHEAP_RENDEZVOUS_TIMEOUT (unset) -> 30",
        "SHMEM_INFO (unset) -> off",
    ] {
        assert!(text.contains(var), "{var} missing:\n{text}");
    }
}

#[test]
fn effective_values_follow_the_environment() {
    let o = info(
        &["--parsable"],
        &[
            ("SHMEM_SYMMETRIC_HEAP_SIZE", "5M"),
            ("MEMHEAP_COMPONENT", "^ptmalloc"),
            ("MEMHEAP_HUGEPAGES", "off"),
            ("MEMHEAP_BASE_ADDRESS", "0x300000000000"),
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let t = out(&o);
    assert_eq!(field(&t, "version:memheap"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field(&t, "version:openshmem"), "1.5");
    // Open MPI's variable decides when the spec's are unset; 5M rounds up to 6 MiB.
    assert_eq!(field(&t, "heap:bytes"), "6291456");
    assert_eq!(
        field(&t, "env:SHMEM_SYMMETRIC_HEAP_SIZE:effective"),
        "6291456"
    );
    assert_eq!(field(&t, "heap:base"), "0x300000000000");
    assert_eq!(field(&t, "heap:huge_pages"), "no");
    assert!(
        field(&t, "heap:component").starts_with("buddy (min block 16 B"),
        "{t}"
    );
    assert_eq!(field(&t, "component:ptmalloc:excluded"), "yes");
    assert_eq!(field(&t, "component:buddy:excluded"), "no");
    assert_eq!(field(&t, "env:MEMHEAP_COMPONENT:effective"), "buddy");
    assert_eq!(field(&t, "env:MEMHEAP_HUGEPAGES:effective"), "off");
    assert_eq!(field(&t, "env:MEMHEAP_COMPONENT:value"), "^ptmalloc");
    assert_eq!(field(&t, "env:SMA_SYMMETRIC_SIZE:set"), "no");

    // The spec's variable wins over Open MPI's, which is then reported as ignored.
    let o = info(
        &["--parsable"],
        &[
            ("SHMEM_SYMMETRIC_SIZE", "3.1M"),
            ("SHMEM_SYMMETRIC_HEAP_SIZE", "5M"),
            ("MEMHEAP_BUDDY_PRIORITY", "101"),
        ],
    );
    let t = out(&o);
    assert_eq!(field(&t, "heap:bytes"), "4194304");
    assert_eq!(field(&t, "env:SHMEM_SYMMETRIC_SIZE:effective"), "4194304");
    assert_eq!(
        field(&t, "env:SHMEM_SYMMETRIC_HEAP_SIZE:effective"),
        "ignored"
    );
    assert_eq!(field(&t, "component:buddy:priority"), "101");
    assert_eq!(field(&t, "component:buddy:default_priority"), "100");
    assert!(field(&t, "heap:component").starts_with("buddy"), "{t}");
    // The buddy component's configuration follows the heap size.
    let cap = memheap_std::components::buddy::buddy_capacity(4 << 20);
    assert!(
        field(&t, "component:buddy:configuration").contains(&format!("{cap} live blocks")),
        "{t}"
    );
    assert_ne!(
        cap,
        memheap_std::components::buddy::buddy_capacity(256 << 20)
    );
}

#[test]
fn malformed_values_are_errors_and_the_status_says_so() {
    for (var, value, says) in [
        ("MEMHEAP_HUGEPAGES", "maybe", "yes"),
        ("SHMEM_SYMMETRIC_SIZE", "lots", "SHMEM_SYMMETRIC_SIZE"),
        (
            "MEMHEAP_COMPONENT",
            "tlsf",
            "known components: buddy, ptmalloc",
        ),
        ("MEMHEAP_PTMALLOC_PRIORITY", "high", "decimal integer"),
        ("MEMHEAP_BASE_ADDRESS", "0x1000", "multiple of 2 MiB"),
    ] {
        let o = info(&["--parsable"], &[(var, value)]);
        assert_eq!(o.status.code(), Some(1), "{var}={value}: {}", out(&o));
        let t = out(&o);
        assert_eq!(field(&t, &format!("env:{var}:effective")), "error");
        let err = field(&t, &format!("env:{var}:error"));
        assert!(
            err.contains(value) && err.contains(says),
            "{var}={value}: {err}"
        );
    }
}

#[test]
fn huge_pages_on_says_whether_the_heap_can_have_them() {
    // `yes` means on: the heap either gets huge pages or cannot be created, and the message
    // agrees with the value given (it does not claim `on` was written).
    let o = info(
        &["--parsable"],
        &[("MEMHEAP_HUGEPAGES", "yes"), ("SHMEM_SYMMETRIC_SIZE", "2M")],
    );
    let t = out(&o);
    assert_eq!(field(&t, "env:MEMHEAP_HUGEPAGES:effective"), "on");
    match o.status.code() {
        Some(0) => assert_eq!(field(&t, "heap:huge_pages"), "yes", "{t}"),
        Some(1) => {
            let e = field(&t, "heap:error");
            assert!(
                e.contains("MEMHEAP_HUGEPAGES requires huge pages (it is on, yes, true or 1)")
                    && e.contains("MEMHEAP_HUGEPAGES=auto"),
                "{e}"
            );
        }
        other => panic!("status {other:?}: {t}"),
    }
}
