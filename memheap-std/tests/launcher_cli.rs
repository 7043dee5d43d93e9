//! `memheap-run`'s command line as users of `mpirun` and `oshrun` type it: `--help` with every
//! option, `--version`, the forms of the PE count, `--option=value`, unknown options, `--info`.

mod runtime_common;
use runtime_common::{example, launcher, text};

use std::process::{Command, Output};

fn launch(args: &[&str]) -> Output {
    Command::new(launcher())
        .args(args)
        .env_remove("SHMEM_DEBUG")
        .output()
        .expect("memheap-run starts")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every option the parser takes, with a word its help line must have.
const OPTIONS: &[(&str, &str)] = &[
    ("-n N", "number of PEs"),
    ("-np N", "number of PEs"),
    ("--np N", "number of PEs"),
    ("-nN", "number of PEs"),
    ("--timeout SECS", "124"),
    ("--heap-size SIZE", "SHMEM_SYMMETRIC_SIZE"),
    ("--prefix", "[pe]"),
    ("--grace SECS", "SIGKILL"),
    ("--info", "environment"),
    ("--help", "help"),
    ("--version", "version"),
];

#[test]
fn help_prints_every_option_and_what_it_does() {
    for flag in ["--help", "-h"] {
        let o = launch(&[flag]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(o.stderr.is_empty(), "{}", text(&o));
        let out = stdout(&o);
        assert!(out.starts_with("usage: memheap-run"), "{out}");
        let options: Vec<&str> = out.lines().skip_while(|l| *l != "options:").collect();
        for (opt, word) in OPTIONS {
            let line = options
                .iter()
                .position(|l| l.contains(opt))
                .unwrap_or_else(|| panic!("--help lacks {opt}:\n{out}"));
            // The explanation is on the option's line or the next one.
            let near = options[line..]
                .iter()
                .take(2)
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(near.contains(word), "{opt}: no {word:?} in {near:?}");
        }
        // What the launcher does beyond the options.
        for fact in [
            "MEMHEAP_RANK",
            "shmem_finalize",
            "shmem_global_exit",
            "one write",
        ] {
            assert!(out.contains(fact), "--help does not say {fact}:\n{out}");
        }
    }
}

#[test]
fn version_names_the_crate_version() {
    for flag in ["--version", "-V"] {
        let o = launch(&[flag]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(
            stdout(&o).trim(),
            format!("memheap-run {} (OpenSHMEM 1.5)", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn every_form_of_the_pe_count_starts_that_many_pes() {
    let prog = example("pe_test");
    let prog = prog.to_str().unwrap();
    for args in [
        &["-n", "3"][..],
        &["-np", "3"],
        &["--np", "3"],
        &["--n", "3"],
        &["-n3"],
        &["-np3"],
        &["--np=3"],
        &["--n=3"],
    ] {
        let o = Command::new(launcher())
            .args(args)
            .args([prog, "hello"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 3, "{args:?}: {}", text(&o));
        assert!(out.contains("hello from PE 2 of 3"), "{args:?}: {out}");
    }
    // The last count given wins, as for mpirun.
    let o = Command::new(launcher())
        .args(["-n", "1", "-n2", prog, "hello"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).lines().count(), 2, "{}", text(&o));
}

#[test]
fn option_values_after_an_equals_sign() {
    let o = launch(&[
        "--heap-size=3M",
        "--timeout=30",
        "--grace=1",
        "-n",
        "2",
        example("pe_test").to_str().unwrap(),
        "env",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        stdout(&o).matches("SHMEM_SYMMETRIC_SIZE=3M").count(),
        2,
        "{}",
        text(&o)
    );
}

#[test]
fn bad_options_name_the_known_ones() {
    for (args, says) in [
        (
            &["--bogus", "-n", "1", "prog"][..],
            "unknown option --bogus",
        ),
        (&["-x", "-n", "1", "prog"], "unknown option -x"),
        (
            &["-n", "1", "--verbose", "prog"],
            "unknown option --verbose",
        ),
        (&["-nx", "prog"], "unknown option -nx"),
        (&["-n0", "prog"], "-n0: \"0\" is not a number of PEs"),
        (&["--np=5000", "prog"], "not a number of PEs in 1..=4096"),
        (
            &["--prefix=yes", "-n", "1", "prog"],
            "--prefix takes no value",
        ),
        (
            &["--timeout", "-n", "1", "prog"],
            "--timeout: \"-n\" is not a number of seconds",
        ),
        (&["-n"], "-n needs a number of PEs"),
    ] {
        let o = launch(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let err = stderr(&o);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("usage: memheap-run"), "{args:?}: {err}");
        if says.starts_with("unknown option") {
            for known in [
                "-n/-np/--np N",
                "--timeout",
                "--heap-size",
                "--prefix",
                "--grace",
                "--info",
                "--help",
                "--version",
            ] {
                assert!(err.contains(known), "{args:?}: {known} not named in {err}");
            }
        }
        assert!(o.stdout.is_empty(), "{args:?}: {}", text(&o));
    }
}

#[test]
fn info_lists_components_and_variables_with_effective_values() {
    let o = Command::new(launcher())
        .arg("--info")
        .env("SHMEM_SYMMETRIC_SIZE", "3.1M")
        .env("MEMHEAP_BUDDY_PRIORITY", "300")
        .env_remove("MEMHEAP_COMPONENT")
        .env_remove("MEMHEAP_HUGEPAGES")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!(
            "memheap {} (OpenSHMEM 1.5)",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    assert!(out.contains("heap: 4194304 bytes (4 MiB) per PE"), "{out}");
    assert!(out.contains("selected component: buddy ("), "{out}");
    assert!(
        out.contains("buddy      priority 300 (default 100), selected"),
        "{out}"
    );
    assert!(
        out.contains("SHMEM_SYMMETRIC_SIZE=\"3.1M\" -> 4194304 (4 MiB: 3250586 rounded up"),
        "{out}"
    );
    assert!(
        out.contains("MEMHEAP_BUDDY_PRIORITY=\"300\" -> 300"),
        "{out}"
    );
    // A malformed variable: listed with its error, and the exit status says shmem_init would
    // fail.
    let o = Command::new(launcher())
        .arg("--info")
        .env("MEMHEAP_VERBOSE", "loud")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stdout(&o).contains("MEMHEAP_VERBOSE=\"loud\" -> error: invalid value \"loud\""),
        "{}",
        text(&o)
    );
}
