//! Building C programs the ways the README shows: memheap-cc, an installed tree with pkg-config,
//! and static linking against libmemheap.a.

use std::path::Path;
use std::process::Command;

use memheap_tests::{build, run_job};

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

fn hello_runs(exe: &Path) {
    let out = run_job(2, exe, &[], &[], 60);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stdout.contains("Hello from PE 1 of 2"),
        "{}",
        out.stdout
    );
}

#[test]
fn memheap_cc_wrapper() {
    let b = build();
    let exe = b.out_dir.join("hello_cc");
    ok(Command::new(b.root.join("memheap-c/memheap-cc"))
        .env("MEMHEAP_LIB_DIR", &b.lib_dir)
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(b.root.join("tests/c/hello.c")));
    hello_runs(&exe);
}

#[test]
fn static_library() {
    let b = build();
    let exe = b.out_dir.join("hello_static");
    ok(Command::new("cc")
        .arg("-I")
        .arg(&b.include_dir)
        .arg(b.root.join("tests/c/hello.c"))
        .arg("-o")
        .arg(&exe)
        .arg(b.lib_dir.join("libmemheap.a"))
        .args(["-lpthread", "-ldl", "-lm"]));
    let deps = ok(Command::new("ldd").arg(&exe));
    assert!(!deps.contains("libmemheap"), "linked dynamically: {deps}");
    hello_runs(&exe);
}

#[test]
fn install_tree_and_pkg_config() {
    let b = build();
    let prefix = b.out_dir.join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    ok(Command::new(b.root.join("memheap-c/install.sh"))
        .arg(&prefix)
        .env("CARGO_TARGET_DIR", b.lib_dir.parent().unwrap()));
    let pc = std::fs::read_to_string(prefix.join("lib/pkgconfig/memheap.pc")).unwrap();
    assert!(
        pc.contains("-lmemheap") && pc.contains("Cflags: -I${includedir}"),
        "{pc}"
    );
    // Compile with the .pc file's flags, expanded the way pkg-config expands them.
    let vars = |text: &str| {
        text.replace(
            "${includedir}",
            &prefix.join("include").display().to_string(),
        )
        .replace("${libdir}", &prefix.join("lib").display().to_string())
    };
    let field = |name: &str| {
        let line = pc.lines().find(|l| l.starts_with(name)).unwrap();
        vars(line[name.len()..].trim())
    };
    let exe = b.out_dir.join("hello_pc");
    ok(Command::new("cc")
        .args(field("Cflags:").split_whitespace())
        .arg(b.root.join("tests/c/hello.c"))
        .arg("-o")
        .arg(&exe)
        .args(field("Libs:").split_whitespace()));
    hello_runs(&exe);
    // And with the installed memheap-cc.
    let exe = b.out_dir.join("hello_installed");
    ok(Command::new(prefix.join("bin/memheap-cc"))
        .env_remove("MEMHEAP_LIB_DIR")
        .arg(b.root.join("tests/c/hello.c"))
        .arg("-o")
        .arg(&exe));
    let deps = ok(Command::new("ldd").arg(&exe));
    assert!(
        deps.contains(&prefix.join("lib/libmemheap.so").display().to_string()),
        "{deps}"
    );
    hello_runs(&exe);
}
