//! `memheap.h` from C: a heap over device-like memory it never touches, and a host heap.

use std::process::Command;

#[test]
fn embedding_api_from_c() {
    let exe = memheap_tests::compile_c("embed", &[]);
    let out = memheap_tests::run(&mut Command::new(&exe));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "embed failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("embed: ok"));
}
