//! Size classes: how a request is rounded, and which free list a block goes to.
//!
//! Sizes are counted in *units* (minimum blocks). With `s` sub-bits, the classes are:
//!
//! * classes `0 .. 2^s`: `1 ..= 2^s` units, one unit apart (exact);
//! * then groups `g = 1, 2, ...` of `2^s` classes each, covering `(2^(s+g-1), 2^(s+g)]` units in
//!   steps of `2^(g-1)` units.
//!
//! So a request is rounded up by at most `1/2^s` of its size (TLSF's second-level split, as
//! jemalloc's size classes), and the mapping is branch-light: one `leading_zeros`, shifts and
//! adds. With `s = 0` the classes are the powers of two (classic buddy sizes).
//!
//! Every function is a total `const fn`.

/// Sub-bits of the default classes: 16 classes per power of two, at most 1/16 (6.25 %) of
/// rounding, 2.2 % on average over log-uniform sizes.
pub const SUB_BITS: u32 = 4;

/// The class of a block of `units` minimum blocks (`units >= 1`), with `sub` sub-bits: the
/// smallest class whose size is at least `units`.
#[inline]
pub const fn class_of(units: u64, sub: u32) -> u64 {
    let linear = 1u64 << sub;
    if units <= linear {
        return units.saturating_sub(1);
    }
    let v = units - 1;
    let fl = 63 - v.leading_zeros(); // >= sub
    let g = fl - sub + 1;
    ((g as u64) << sub) + ((v >> (g - 1)) - linear)
}

/// Units of class `class` with `sub` sub-bits, or `None` when it overflows `u64`.
#[inline]
pub const fn class_units(class: u64, sub: u32) -> Option<u64> {
    let linear = 1u64 << sub;
    if class < linear {
        return Some(class + 1);
    }
    let g = class >> sub;
    let r = class & (linear - 1);
    let shift = g - 1;
    let base = linear + r + 1; // < 2^(sub+1)
    if shift >= 64 || (base.leading_zeros() as u64) < shift {
        None
    } else {
        Some(base << shift)
    }
}

/// [`class_units`] for a class known not to overflow (a class of a region: below
/// `classes_up_to(units of the region)`).
#[inline(always)]
pub const fn class_units_small(class: u64, sub: u32) -> u64 {
    let linear = 1u64 << sub;
    if class < linear {
        class + 1
    } else {
        let g = class >> sub;
        (linear + (class & (linear - 1)) + 1) << (g - 1)
    }
}

/// Number of classes whose size is at most `max_units` (the classes a region of `max_units`
/// units can hold).
pub const fn classes_up_to(max_units: u64, sub: u32) -> u64 {
    if max_units == 0 {
        return 0;
    }
    let c = class_of(max_units, sub);
    match class_units(c, sub) {
        Some(u) if u <= max_units => c + 1,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_by_at_most_one_sub_step_and_are_monotone() {
        for sub in 0..=6u32 {
            let mut prev = 0u64;
            for c in 0..(40u64 << sub).min(2000) {
                let u = class_units(c, sub).unwrap();
                assert!(u > prev, "sub {sub} class {c}: {u} after {prev}");
                // Every size between the previous class and this one maps to this class.
                for units in [prev + 1, (prev + u) / 2 + 1, u] {
                    if units > prev {
                        assert_eq!(class_of(units, sub), c, "sub {sub} units {units}");
                    }
                }
                // Rounding is at most 1/2^sub of the request.
                assert!((u - (prev + 1)) << sub <= prev + 1, "sub {sub} class {c}");
                prev = u;
            }
        }
    }

    #[test]
    fn sub_zero_is_powers_of_two_and_edges_are_total() {
        for k in 0..63u32 {
            assert_eq!(class_units(k as u64, 0), Some(1 << k));
            assert_eq!(class_of(1 << k, 0), k as u64);
        }
        assert_eq!(class_of(u64::MAX, 4), class_of(u64::MAX, 4));
        assert!(class_units(class_of(u64::MAX, 4), 4).is_none());
        assert_eq!(class_units(10_000, 4), None);
        assert_eq!(classes_up_to(0, 4), 0);
        assert_eq!(classes_up_to(1, 4), 1);
        assert_eq!(classes_up_to(16, 4), 16);
        assert_eq!(classes_up_to(33, 4), 32);
        assert_eq!(classes_up_to(34, 4), 33);
        assert_eq!(class_of(17, 4), 16);
        assert_eq!(class_units(16, 4), Some(17));
        assert_eq!(class_units(32, 4), Some(34));
    }
}
