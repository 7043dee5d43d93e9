//! Symmetric heap hardening (issue 10): every test names the item it checks. C programs compiled
//! against `shmem.h` and `libmemheap.so`, run with `memheap-run` at 2 and 4 PEs (the same
//! programs under Open MPI's `mpirun` are in `mpirun.rs`).

use memheap_tests::{compile_c, compile_preload, run_job, JobOutput};

const PES: [u32; 2] = [2, 4];

fn show(out: &JobOutput) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// The number after `key` in `line` (`"... key 123 ..."`).
fn number_after(line: &str, key: &str) -> Option<u64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Item 1: an emptied heap serves close to its whole size with every component (the request
/// sequences of the issue, a doubling realloc up to 128 MiB, 255 MiB of the 256 MiB heap), and
/// the largest free block a SHMEM_DEBUG report names is close to the whole heap and can really
/// be allocated.
#[test]
fn item_01_emptied_heap_serves_close_to_its_whole_size() {
    let exe = compile_c("heap_regrow", &[]);
    for component in ["ptmalloc", "buddy"] {
        for n in PES {
            let env = [("MEMHEAP_COMPONENT", component), ("SHMEM_DEBUG", "1")];
            let out = run_job(n, &exe, &[], &env, 120);
            assert!(out.ok(), "{component} at {n} PEs: {}", show(&out));
            assert_eq!(
                count(&out.stdout, "heap_regrow: PE"),
                n as usize,
                "{}",
                show(&out)
            );
            for pe in 0..n {
                let head = format!("memheap: PE {pe}: malloc(size={})", 512u64 << 20);
                let line = out
                    .stderr
                    .lines()
                    .find(|l| l.starts_with(&head))
                    .unwrap_or_else(|| panic!("no report from PE {pe}: {}", show(&out)));
                let largest = number_after(line, "largest free block")
                    .unwrap_or_else(|| panic!("no largest free block in {line:?}"));
                assert!(
                    ((255 << 20)..=(256 << 20)).contains(&largest),
                    "{component}: the emptied heap's largest free block is {largest}: {line}"
                );
                let fit = run_job(n, &exe, &["fit", &largest.to_string()], &env, 60);
                assert!(
                    fit.ok(),
                    "{component}: the reported largest free block ({largest}) cannot be allocated: {}",
                    show(&fit)
                );
            }
        }
    }
}

/// Item 2: a collective free that is bad on one PE (an interior pointer) or names different
/// blocks on different PEs is reported on every PE and acted on identically: no PE frees, and
/// the next allocation returns the same address everywhere.
#[test]
fn item_02_one_sided_bad_free_keeps_the_heaps_symmetric() {
    let exe = compile_c("bad_free", &[]);
    for case in ["interior", "different"] {
        for n in PES {
            let out = run_job(n, &exe, &[case], &[], 60);
            assert!(out.ok(), "{case} at {n} PEs: {}", show(&out));
            assert_eq!(
                count(&out.stdout, "bad_free: PE"),
                n as usize,
                "{}",
                show(&out)
            );
            // Every PE reports the free it did not do, naming the routine.
            for pe in 0..n {
                let mine = format!("memheap: PE {pe}: shmem_free");
                assert_eq!(
                    count(&out.stderr, &mine),
                    1,
                    "PE {pe}, {case}: {}",
                    show(&out)
                );
            }
            assert!(out.stderr.contains("not freed on any PE"), "{}", show(&out));
        }
    }
}

/// Item 3: a PE that selected another component (by MEMHEAP_COMPONENT or by a priority variable)
/// is refused at shmem_init, with a message naming both components; no put is silently lost.
#[test]
fn item_03_different_components_are_refused_at_init() {
    let exe = compile_c("mixed", &[]);
    for case in ["component", "priority"] {
        for n in PES {
            let out = run_job(n, &exe, &[case], &[], 60);
            assert!(!out.ok(), "{case} at {n} PEs ran: {}", show(&out));
            assert!(!out.stdout.contains("received"), "{}", show(&out));
            assert!(
                out.stderr.contains("ptmalloc")
                    && out.stderr.contains("buddy")
                    && out.stderr.contains("component"),
                "{case}: {}",
                show(&out)
            );
        }
    }
    // The same program with one component everywhere runs.
    let out = run_job(2, &exe, &["none"], &[], 60);
    assert!(out.ok(), "{}", show(&out));
    assert_eq!(count(&out.stdout, "received 1 through the heap and 1"), 1);
}

/// Item 4: the buddy component's metadata no longer grows with the heap: a 64 GiB and a 1 TiB
/// heap initialise with a peak resident set under 64 MiB per PE.
#[test]
fn item_04_huge_buddy_heap_initialises_with_little_memory() {
    let exe = compile_c("big_heap", &[]);
    for size in ["64G", "1T"] {
        for n in PES {
            let env = [
                ("SHMEM_SYMMETRIC_SIZE", size),
                ("MEMHEAP_COMPONENT", "buddy"),
            ];
            let out = run_job(n, &exe, &[], &env, 120);
            assert!(out.ok(), "{size} at {n} PEs: {}", show(&out));
            assert_eq!(
                count(&out.stdout, "big_heap: PE"),
                n as usize,
                "{}",
                show(&out)
            );
        }
    }
}

/// Item 5 (and the messages): whichever way the last PE leaves while the others block in a
/// wait, a test loop, a barrier or a collective allocation (and in every kind of OpenSHMEM 1.5
/// wait: `wait_until_any`, a vector wait, a signal wait, a lock the last PE holds, a team sync,
/// a team broadcast from the last PE, a team reduction, a `test_any` loop), the job ends (never
/// a hang that only `--timeout` ends): `global_exit(0)` with status 0, anything else as a
/// failure with a message. A PE that exits 0 without shmem_finalize "exited without calling shmem_finalize";
/// it did not "die".
#[test]
fn item_05_blocked_pes_notice_a_departed_peer() {
    let exe = compile_c("departure", &[]);
    // The OpenSHMEM 1.5 waits: point-to-point and signal waits, a lock, team synchronisations.
    const WAITS_15: [&str; 7] = [
        "wait_until_any",
        "wait_until_all_vector",
        "signal_wait",
        "lock",
        "team_sync",
        "broadcast",
        "reduce",
    ];
    let all = |base: &[&'static str], test_loops: bool| -> Vec<&'static str> {
        let mut v = base.to_vec();
        v.extend(WAITS_15);
        if test_loops {
            v.push("test_any");
        }
        v
    };
    let cases: &[(&str, Vec<&str>)] = &[
        (
            "global_exit0",
            all(&["wait_until", "test", "barrier", "malloc"], true),
        ),
        (
            "_exit",
            all(&["wait_until", "test", "barrier", "malloc"], true),
        ),
        ("return", all(&["wait_until", "barrier", "malloc"], false)),
        ("exit1", all(&["wait_until", "test", "barrier"], true)),
    ];
    for (how, wheres) in cases {
        for where_ in wheres {
            for n in PES {
                // The launcher's own timeout is far above what a detection takes (well under
                // a second); a hang shows as exit 124.
                let out = run_job(n, &exe, &[how, where_], &[], 30);
                let what = format!("{how} while the others are in {where_}, {n} PEs");
                assert_ne!(out.code, Some(124), "{what}: hung: {}", show(&out));
                assert!(
                    !out.stdout.contains("should not get here"),
                    "{what}: {}",
                    show(&out)
                );
                assert!(!out.stderr.contains("died"), "{what}: {}", show(&out));
                match *how {
                    "global_exit0" => assert!(out.ok(), "{what}: {}", show(&out)),
                    "_exit" => {
                        assert!(!out.ok(), "{what}: {}", show(&out));
                        assert!(
                            out.stderr.contains(&format!("PE {} (pid", n - 1))
                                && out.stderr.contains("without calling shmem_finalize"),
                            "{what}: {}",
                            show(&out)
                        );
                    }
                    "return" => {
                        assert!(!out.ok(), "{what}: {}", show(&out));
                        assert!(
                            out.stderr.contains("shmem_finalize"),
                            "{what}: {}",
                            show(&out)
                        );
                    }
                    _ => assert_eq!(out.code, Some(1), "{what}: {}", show(&out)),
                }
            }
        }
    }
}

/// Item 6: a PE that returns from main without shmem_finalize stays reachable until every PE
/// is done (the implicit finalize at exit, with its barrier): the others keep reading its
/// static data and its heap.
#[test]
fn item_06_return_from_main_is_an_implicit_finalize() {
    let exe = compile_c("implicit_finalize", &[]);
    for n in PES {
        for _ in 0..3 {
            let out = run_job(n, &exe, &[], &[], 60);
            assert!(out.ok(), "{n} PEs: {}", show(&out));
            assert_eq!(count(&out.stdout, "implicit_finalize: PE"), n as usize - 1);
        }
    }
}

/// Item 7: the PE that calls shmem_global_exit keeps exit()'s behaviour: its buffered output
/// reaches the launcher and its atexit handlers run, every time.
#[test]
fn item_07_global_exit_keeps_the_callers_output_and_atexit() {
    let exe = compile_c("global_exit_output", &[]);
    for (n, runs) in [(2u32, 10), (4, 4)] {
        for _ in 0..runs {
            let out = run_job(n, &exe, &[], &[], 60);
            assert_eq!(out.code, Some(2), "{}", show(&out));
            let last = n - 1;
            assert!(
                out.stdout
                    .contains(&format!("global_exit_output: PE {last} says goodbye"))
                    && out.stdout.contains(&format!(
                        "global_exit_output: atexit handler of PE {last} ran"
                    )),
                "{n} PEs: {}",
                show(&out)
            );
            assert!(
                !out.stdout.contains("should not get here"),
                "{}",
                show(&out)
            );
        }
    }
}

/// Items 11 to 14: bad arguments give a message naming the routine and exit status 1, never a
/// crash: NULL local buffers, wrapping strides, the runtime's private range, huge reductions,
/// code and read-only data as a target. Code is not symmetric data for the query routines.
#[test]
fn item_11_to_14_bad_arguments_are_named_errors() {
    let exe = compile_c("bad_args", &[]);
    let env = [("SHMEM_SYMMETRIC_SIZE", "4M")];
    let cases = [
        ("put_null_source", "shmem_putmem"),
        ("get_null_dest", "shmem_getmem"),
        ("p_null_dest", "shmem_long_p"),
        ("iget_null_dest", "shmem_long_iget"),
        ("iput_wrapping_stride", "shmem_long_iput"),
        ("iget_wrapping_stride", "shmem_long_iget"),
        ("put_private_range", "shmem_putmem"),
        ("get_private_range", "shmem_getmem"),
        ("reduce_huge", "shmem_int_sum_reduce"),
        ("reduce_large", "shmem_int_sum_reduce"),
        ("put_code_self", "shmem_putmem"),
        ("put_code_peer", "shmem_putmem"),
        ("put_read_only_self", "shmem_putmem"),
        ("put_read_only_peer", "shmem_putmem"),
        ("get_into_code", "shmem_getmem"),
        ("get_into_read_only", "shmem_getmem"),
        // The same checks on the OpenSHMEM 1.5 forms.
        ("put_nbi_null_source", "shmem_putmem_nbi"),
        ("get_nbi_null_dest", "shmem_long_get_nbi"),
        ("get_nbi_private_range", "shmem_getmem_nbi"),
        ("ctx_put_null_source", "shmem_ctx_putmem"),
        ("ctx_put_private_range", "shmem_ctx_long_put"),
        ("ctx_iget_wrapping_stride", "shmem_ctx_long_iget"),
        ("put_signal_null_source", "shmem_putmem_signal"),
        ("signal_private_range", "shmem_long_put_signal_nbi"),
        ("atomic_private_range", "shmem_long_atomic_inc"),
        ("atomic_read_only", "shmem_long_atomic_add"),
        ("fetch_nbi_null", "shmem_long_atomic_fetch_inc_nbi"),
        ("fetch_nbi_into_code", "shmem_ctx_long_atomic_fetch_nbi"),
        ("broadcast_into_read_only", "shmem_long_broadcast"),
        ("reduce_private_range", "shmem_long_sum_reduce"),
    ];
    for n in PES {
        for (case, routine) in cases {
            let out = run_job(n, &exe, &[case], &env, 60);
            assert_eq!(out.code, Some(1), "{case} at {n} PEs: {}", show(&out));
            assert!(
                out.stderr.contains(&format!(": {routine}: ")),
                "{case}: the message does not name {routine}: {}",
                show(&out)
            );
            // "by signal": memheap-run's "was killed by signal N" (a routine's name may
            // contain "signal").
            for crash in ["panicked", "by signal", "Segmentation", "core dumped"] {
                assert!(!out.stderr.contains(crash), "{case}: {}", show(&out));
            }
            assert!(
                !out.stdout.contains("returned from"),
                "{case}: {}",
                show(&out)
            );
        }
        let out = run_job(n, &exe, &["queries"], &env, 60);
        assert!(out.ok(), "queries at {n} PEs: {}", show(&out));
        assert_eq!(count(&out.stdout, "queries ok"), n as usize);
    }
}

/// Messages: every line the library and the launcher write to stderr is written whole (one
/// write per line, so a PE stopped mid-message leaves no fragment and PEs never interleave
/// within a line), and an error the library detects is not announced as a `global_exit` call.
#[test]
fn messages_are_whole_lines_and_name_the_real_cause() {
    let shim = compile_preload("whole_lines");
    let log = std::env::temp_dir().join(format!("memheap-whole-lines-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let (shim_s, log_s) = (shim.to_string_lossy(), log.to_string_lossy());
    let env = [("LD_PRELOAD", &*shim_s), ("WHOLE_LINES_LOG", &*log_s)];
    let bad_pe = compile_c("bad_pe", &[]);
    let departure = compile_c("departure", &[]);
    let bad_free = compile_c("bad_free", &[]);
    let debug = compile_c("debug_env", &[]);
    for n in PES {
        let out = run_job(n, &bad_pe, &["shmem_long_p"], &env, 30);
        assert_eq!(out.code, Some(1), "{}", show(&out));
        assert!(!out.stderr.contains("called global_exit"), "{}", show(&out));
        let out = run_job(n, &departure, &["_exit", "barrier"], &env, 30);
        assert!(!out.ok(), "{}", show(&out));
        let out = run_job(n, &bad_free, &["interior"], &env, 30);
        assert!(out.ok(), "{}", show(&out));
        let mut with_debug = env.to_vec();
        with_debug.push(("SHMEM_DEBUG", "1"));
        let out = run_job(n, &debug, &[], &with_debug, 30);
        assert!(out.ok(), "{}", show(&out));
    }
    let cut = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        cut.is_empty(),
        "writes to stderr that are not whole lines:\n{cut}"
    );
}
