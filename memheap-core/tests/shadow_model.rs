//! Property test: random operation sequences against the shadow model in
//! `memheap_core::fuzzing` (the same body the cargo-fuzz target runs).
#![cfg(feature = "fuzzing")]

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn random_operation_sequences_keep_every_property(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        if let Err(e) = memheap_core::fuzzing::run(&data) {
            prop_assert!(false, "{}", e);
        }
    }
}
