//! Operation sequences against the shadow model: the body is `memheap_core::fuzzing::run`,
//! which `cargo test -p memheap-core` also runs on fixed seeds and under proptest.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = memheap_core::fuzzing::run(data) {
        panic!("property violated: {e}");
    }
});
