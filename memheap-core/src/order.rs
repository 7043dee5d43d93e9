//! Order math: sizes, orders and alignments, all `const fn` and overflow-checked.
//!
//! An *order* `k` names the block size `2^k` bytes. Every function here is total: instead of
//! overflowing or panicking it returns `None`.

/// Largest order this crate can represent (`2^63` bytes).
pub const MAX_ORDER: u32 = 63;

/// `2^order` bytes, or `None` when `order > MAX_ORDER`.
#[inline]
pub const fn order_to_size(order: u32) -> Option<u64> {
    if order > MAX_ORDER {
        None
    } else {
        Some(1u64 << order)
    }
}

/// The smallest order whose block holds `size` bytes: `ceil(log2(size))`.
///
/// `size == 0` and `size == 1` give order 0. Sizes above `2^63` give `None`.
#[inline]
pub const fn size_to_order(size: u64) -> Option<u32> {
    if size <= 1 {
        return Some(0);
    }
    // ceil(log2(size)) = 64 - leading_zeros(size - 1) for size >= 2.
    let order = 64 - (size - 1).leading_zeros();
    if order > MAX_ORDER {
        None
    } else {
        Some(order)
    }
}

/// `floor(log2(size))`, the order of the largest block that fits in `size` bytes; `None` for 0.
#[inline]
pub const fn floor_order(size: u64) -> Option<u32> {
    if size == 0 {
        None
    } else {
        Some(63 - size.leading_zeros())
    }
}

/// The order of a power-of-two alignment, or `None` when `align` is not a power of two
/// (0 included).
#[inline]
pub const fn align_to_order(align: u64) -> Option<u32> {
    if align.is_power_of_two() {
        Some(align.trailing_zeros())
    } else {
        None
    }
}

/// `size` rounded up to a multiple of `2^order`, or `None` on overflow or `order > MAX_ORDER`.
#[inline]
pub const fn round_up(size: u64, order: u32) -> Option<u64> {
    if order > MAX_ORDER {
        return None;
    }
    let mask = (1u64 << order) - 1;
    match size.checked_add(mask) {
        Some(v) => Some(v & !mask),
        None => None,
    }
}

/// Lowest set bit of `x` as a value (`x & -x`); 0 for 0.
#[inline]
pub const fn lowest_bit(x: u64) -> u64 {
    x & x.wrapping_neg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_to_order_edges() {
        assert_eq!(size_to_order(0), Some(0));
        assert_eq!(size_to_order(1), Some(0));
        assert_eq!(size_to_order(2), Some(1));
        assert_eq!(size_to_order(3), Some(2));
        for k in 1..63u32 {
            let p = 1u64 << k;
            assert_eq!(size_to_order(p), Some(k), "2^{k}");
            assert_eq!(
                size_to_order(p - 1),
                Some(if k == 1 { 0 } else { k }),
                "2^{k}-1"
            );
            assert_eq!(size_to_order(p + 1), Some(k + 1), "2^{k}+1");
        }
        assert_eq!(size_to_order(1 << 63), Some(63));
        assert_eq!(size_to_order((1 << 63) + 1), None);
        assert_eq!(size_to_order(u64::MAX), None);
    }

    #[test]
    fn floor_order_edges() {
        assert_eq!(floor_order(0), None);
        assert_eq!(floor_order(1), Some(0));
        assert_eq!(floor_order(3), Some(1));
        for k in 1..64u32 {
            let p = 1u64 << k;
            assert_eq!(floor_order(p), Some(k));
            assert_eq!(floor_order(p - 1), Some(k - 1));
        }
        assert_eq!(floor_order(u64::MAX), Some(63));
    }

    #[test]
    fn order_to_size_edges() {
        assert_eq!(order_to_size(0), Some(1));
        assert_eq!(order_to_size(63), Some(1 << 63));
        assert_eq!(order_to_size(64), None);
        assert_eq!(order_to_size(u32::MAX), None);
    }

    #[test]
    fn align_to_order_edges() {
        assert_eq!(align_to_order(0), None);
        assert_eq!(align_to_order(1), Some(0));
        assert_eq!(align_to_order(3), None);
        assert_eq!(align_to_order(63), None);
        assert_eq!(align_to_order(65), None);
        assert_eq!(align_to_order(1 << 63), Some(63));
        assert_eq!(align_to_order(u64::MAX), None);
    }

    #[test]
    fn round_up_edges() {
        assert_eq!(round_up(0, 4), Some(0));
        assert_eq!(round_up(1, 4), Some(16));
        assert_eq!(round_up(16, 4), Some(16));
        assert_eq!(round_up(17, 4), Some(32));
        assert_eq!(round_up(u64::MAX, 0), Some(u64::MAX));
        assert_eq!(round_up(u64::MAX, 4), None);
        assert_eq!(round_up(u64::MAX - 15, 4), Some(u64::MAX - 15));
        assert_eq!(round_up(5, 64), None);
    }

    #[test]
    fn lowest_bit_edges() {
        assert_eq!(lowest_bit(0), 0);
        assert_eq!(lowest_bit(12), 4);
        assert_eq!(lowest_bit(u64::MAX), 1);
        assert_eq!(lowest_bit(1 << 63), 1 << 63);
    }
}
