//! Static and global variables are symmetric: ring put/get through them at 1, 2, 4, 16 PEs.

mod runtime_common;
use runtime_common::{run, text};

#[test]
fn static_ring_put_get_at_1_2_4_16_pes() {
    for n in [1u32, 2, 4, 16] {
        let o = run(n, &["--timeout", "30"], "pe_test", &["static"]);
        assert!(o.status.success(), "{n} PEs: {}", text(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout)
                .matches("static ring ok")
                .count(),
            n as usize,
            "{}",
            text(&o)
        );
    }
}

#[test]
fn many_barrier_rounds_at_16_pes() {
    let o = run(16, &["--timeout", "30"], "pe_test", &["barrier", "200"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn short_waits_look_at_peer_processes_once_per_period() {
    // 8 PEs: more PEs than cores on most machines, so the waits yield and run the watch (where
    // they do not, the upper bound holds trivially; the long wait at the end looks anyway).
    let o = run(8, &["--timeout", "60"], "pe_test", &["short_waits", "2000"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("team barriers in").count(), 8, "{}", text(&o));
    assert_eq!(
        out.matches("liveness looks in one long wait").count(),
        8,
        "{}",
        text(&o)
    );
}
