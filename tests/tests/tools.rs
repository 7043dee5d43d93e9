//! The tools as users of Open MPI's know them: `memheap-cc --help` and `--showme[:...]`,
//! `install.sh --osh-names` (oshcc, oshrun), and what `SHMEM_INFO` prints at `shmem_init`
//! (effective values), with the heap-size and huge-page variables it reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use memheap_tests::{build, compile_c, run_job};

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cc_tool() -> Command {
    let b = build();
    let mut cmd = Command::new(b.root.join("memheap-c/memheap-cc"));
    cmd.env("MEMHEAP_LIB_DIR", &b.lib_dir).env_remove("CC");
    cmd
}

fn version() -> String {
    let toml = std::fs::read_to_string(build().root.join("Cargo.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_string())
        .expect("workspace version")
}

#[test]
fn memheap_cc_help_lists_its_options() {
    for flag in ["--help", "-h", "--showme:help"] {
        let text = ok(cc_tool().arg(flag));
        for opt in [
            "--showme ",
            "--showme:compile",
            "--showme:link",
            "--showme:incdirs",
            "--showme:libdirs",
            "--showme:libs",
            "--showme:version",
            "MEMHEAP_LIB_DIR",
            "CC",
        ] {
            assert!(text.contains(opt), "{flag}: {opt} missing:\n{text}");
        }
        assert!(text.starts_with("usage: memheap-cc"), "{text}");
    }
    let out = cc_tool().arg("--showme:nonsense").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--showme:nonsense") && err.contains("--showme:link"),
        "{err}"
    );
}

#[test]
fn memheap_cc_showme_flags_are_the_ones_it_uses() {
    let b = build();
    let inc = b.include_dir.display().to_string();
    let embed = b.root.join("memheap-embed/include").display().to_string();
    let lib = b.lib_dir.display().to_string();
    assert_eq!(
        ok(cc_tool().arg("--showme:compile")).trim(),
        format!("-I{inc} -I{embed}")
    );
    assert_eq!(
        ok(cc_tool().arg("--showme:link")).trim(),
        format!("-L{lib} -Wl,--disable-new-dtags -Wl,-rpath,{lib} -lmemheap")
    );
    assert_eq!(
        ok(cc_tool().arg("--showme:incdirs")).trim(),
        format!("{inc} {embed}")
    );
    assert_eq!(ok(cc_tool().arg("--showme:libdirs")).trim(), lib);
    assert_eq!(ok(cc_tool().arg("--showme:libs")).trim(), "memheap");
    assert_eq!(
        ok(cc_tool().arg("--showme:version")).trim(),
        format!("memheap-cc: memheap {}", version())
    );
    // --showme prints the whole command (anywhere on the line) and runs nothing.
    let exe = b.out_dir.join("hello_showme");
    let _ = std::fs::remove_file(&exe);
    let hello = b.root.join("tests/c/hello.c");
    let line = ok(cc_tool()
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&hello)
        .arg("--showme"));
    assert!(!exe.exists(), "--showme compiled something");
    assert_eq!(
        line.trim(),
        format!(
            "cc -I{inc} -I{embed} -O2 -o {} {} -L{lib} -Wl,--disable-new-dtags -Wl,-rpath,{lib} -lmemheap",
            exe.display(),
            hello.display()
        )
    );
    let compile_only = ok(cc_tool().args(["-showme", "-c", "x.c"]));
    assert_eq!(compile_only.trim(), format!("cc -I{inc} -I{embed} -c x.c"));
    // Running the printed command builds a program that runs.
    let words: Vec<&str> = line.split_whitespace().collect();
    ok(Command::new(words[0]).args(&words[1..]));
    let out = run_job(2, &exe, &[], &[], 60);
    assert!(
        out.ok() && out.stdout.contains("Hello from PE 1 of 2"),
        "{out:?}"
    );
    // And so does `cc $(memheap-cc --showme:compile) prog.c $(memheap-cc --showme:link)`.
    let exe2 = b.out_dir.join("hello_showme_flags");
    ok(Command::new("cc")
        .args(ok(cc_tool().arg("--showme:compile")).split_whitespace())
        .arg(&hello)
        .arg("-o")
        .arg(&exe2)
        .args(ok(cc_tool().arg("--showme:link")).split_whitespace()));
    assert!(run_job(1, &exe2, &[], &[], 60).ok());
}

fn install(prefix: &Path, args: &[&str]) -> Output {
    let b = build();
    Command::new(b.root.join("memheap-c/install.sh"))
        .args(args)
        .arg(prefix)
        .env("CARGO_TARGET_DIR", b.lib_dir.parent().unwrap())
        .output()
        .expect("run install.sh")
}

fn fresh(name: &str) -> PathBuf {
    let p = build().out_dir.join(name);
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn install_sh_osh_names_only_when_asked() {
    let b = build();
    // Off by default.
    let plain = fresh("prefix_plain");
    let o = install(&plain, &[]);
    assert!(o.status.success(), "{o:?}");
    assert!(!plain.join("bin/oshcc").exists() && !plain.join("bin/oshrun").exists());
    assert!(plain.join("bin/memheap-info").exists());
    // The installed memheap-cc knows its version.
    assert_eq!(
        ok(Command::new(plain.join("bin/memheap-cc")).arg("--showme:version")).trim(),
        format!("memheap-cc: memheap {}", version())
    );
    // Asked for: oshcc and oshrun are links to memheap's tools, and work under those names.
    let osh = fresh("prefix_osh");
    let o = install(&osh, &["--osh-names"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        std::fs::read_link(osh.join("bin/oshcc")).unwrap(),
        Path::new("memheap-cc")
    );
    assert_eq!(
        std::fs::read_link(osh.join("bin/oshrun")).unwrap(),
        Path::new("memheap-run")
    );
    let help = ok(Command::new(osh.join("bin/oshcc")).arg("--help"));
    assert!(help.starts_with("usage: oshcc"), "{help}");
    let exe = b.out_dir.join("hello_oshcc");
    ok(Command::new(osh.join("bin/oshcc"))
        .env_remove("MEMHEAP_LIB_DIR")
        .arg(b.root.join("tests/c/hello.c"))
        .arg("-o")
        .arg(&exe));
    let run = ok(Command::new(osh.join("bin/oshrun"))
        .args(["-np", "2"])
        .arg(&exe)
        .env_remove("SHMEM_INFO"));
    assert!(run.contains("Hello from PE 1 of 2"), "{run}");
    // Installing again is fine; a foreign oshcc is left alone and the install fails.
    assert!(install(&osh, &["--osh-names"]).status.success());
    std::fs::remove_file(osh.join("bin/oshcc")).unwrap();
    std::fs::write(osh.join("bin/oshcc"), "#!/bin/sh\necho someone else's\n").unwrap();
    let o = install(&osh, &["--osh-names"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not memheap's"));
    assert_eq!(
        std::fs::read_to_string(osh.join("bin/oshcc")).unwrap(),
        "#!/bin/sh\necho someone else's\n"
    );
    // Bad command lines.
    let o = install(&fresh("prefix_bad"), &["--osh"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let help = ok(Command::new(b.root.join("memheap-c/install.sh")).arg("--help"));
    assert!(
        help.contains("--osh-names") && help.contains("--ompi"),
        "{help}"
    );
}

#[test]
fn shmem_info_prints_effective_values_once() {
    let exe = compile_c("hello", &[]);
    let out = run_job(
        2,
        &exe,
        &[],
        &[
            ("SHMEM_INFO", "1"),
            ("SHMEM_SYMMETRIC_SIZE", "3.1M"),
            ("MEMHEAP_COMPONENT", "buddy"),
        ],
        60,
    );
    assert!(out.ok(), "{out:?}");
    let s = &out.stdout;
    // Printed by PE 0 only.
    assert_eq!(s.matches("(OpenSHMEM 1.5), 2 PEs").count(), 1, "{s}");
    assert_eq!(s.matches("environment variables").count(), 1, "{s}");
    // The heap as it is: the size after rounding, the component with its configuration.
    assert!(
        s.contains("heap: 4194304 bytes (4 MiB) per PE at 0x200000000000"),
        "{s}"
    );
    assert!(
        s.contains("component buddy (min block 16 B, ")
            && s.contains(" live blocks, packed (size classes, free lists of 32))"),
        "{s}"
    );
    // Each variable with the value set and the value in effect.
    for line in [
        "SHMEM_SYMMETRIC_SIZE=\"3.1M\" -> 4194304 (4 MiB: 3250586 rounded up",
        "MEMHEAP_COMPONENT=\"buddy\" -> buddy",
        "SHMEM_INFO=\"1\" -> on",
        "MEMHEAP_BUDDY_PRIORITY (unset) -> 100",
        "SHMEM_SYMMETRIC_HEAP_SIZE (unset) -> unset",
    ] {
        assert!(s.contains(line), "{line} missing:\n{s}");
    }
}

#[test]
fn open_mpi_heap_size_variable_is_honoured_after_the_specs() {
    let exe = compile_c("hello", &[]);
    let out = run_job(
        2,
        &exe,
        &[],
        &[("SHMEM_INFO", "1"), ("SHMEM_SYMMETRIC_HEAP_SIZE", "9M")],
        60,
    );
    assert!(out.ok(), "{out:?}");
    assert!(
        out.stdout.contains("heap: 10485760 bytes (10 MiB) per PE"),
        "{}",
        out.stdout
    );
    let out = run_job(
        1,
        &exe,
        &[],
        &[
            ("SHMEM_INFO", "1"),
            ("SHMEM_SYMMETRIC_HEAP_SIZE", "9M"),
            ("SMA_SYMMETRIC_SIZE", "2M"),
        ],
        60,
    );
    assert!(out.ok(), "{out:?}");
    assert!(
        out.stdout.contains("heap: 2097152 bytes (2 MiB) per PE")
            && out
                .stdout
                .contains("SHMEM_SYMMETRIC_HEAP_SIZE=\"9M\" -> ignored (SMA_SYMMETRIC_SIZE is set"),
        "{}",
        out.stdout
    );
    // A malformed value of it is an init error naming it.
    let out = run_job(1, &exe, &[], &[("SHMEM_SYMMETRIC_HEAP_SIZE", "9 MB")], 60);
    assert!(!out.ok());
    assert!(
        out.stderr.contains("SHMEM_SYMMETRIC_HEAP_SIZE") && out.stderr.contains("\"9 MB\""),
        "{}",
        out.stderr
    );
}

#[test]
fn hugepages_values_and_errors_agree() {
    let exe = compile_c("hello", &[]);
    // `yes` is accepted (as `on`): the job runs on huge pages, or fails with a message that
    // matches any way of saying on.
    let out = run_job(
        1,
        &exe,
        &[],
        &[("MEMHEAP_HUGEPAGES", "yes"), ("SHMEM_INFO", "1")],
        60,
    );
    if out.ok() {
        assert!(out.stdout.contains("2 MiB huge pages"), "{}", out.stdout);
    } else {
        assert!(
            out.stderr
                .contains("MEMHEAP_HUGEPAGES requires huge pages (it is on, yes, true or 1)"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("MEMHEAP_HUGEPAGES=on"),
            "{}",
            out.stderr
        );
    }
    // A value it does not take: the error lists every word it does take.
    let out = run_job(1, &exe, &[], &[("MEMHEAP_HUGEPAGES", "maybe")], 60);
    assert!(!out.ok());
    for word in ["auto", "on", "yes", "true", "off", "no", "false"] {
        assert!(out.stderr.contains(word), "{word}: {}", out.stderr);
    }
    // `no` is accepted (as `off`).
    let out = run_job(
        1,
        &exe,
        &[],
        &[("MEMHEAP_HUGEPAGES", "no"), ("SHMEM_INFO", "1")],
        60,
    );
    assert!(out.ok(), "{out:?}");
    assert!(
        out.stdout.contains("MEMHEAP_HUGEPAGES=\"no\" -> off")
            && out.stdout.contains("normal pages"),
        "{}",
        out.stdout
    );
}
