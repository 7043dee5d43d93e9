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
