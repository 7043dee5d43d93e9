//! Heap configuration and metadata sizing.

use crate::bitmap::Layout;
use crate::order::{floor_order, MAX_ORDER};
use crate::size_table;

/// Smallest allowed minimum order (8-byte blocks).
pub const MIN_MIN_ORDER: u32 = 3;
/// Largest allowed minimum order (blocks of 1 GiB).
pub const MAX_MIN_ORDER: u32 = 30;
/// Largest allowed size-table capacity: larger tables could not be sized (in words or bytes)
/// without overflowing `usize`.
pub const MAX_CAPACITY: usize = usize::MAX >> 6;

/// How a heap is built. `const`-constructible so firmware can size static storage with
/// [`Config::metadata_words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Order of the minimum block: every block is a multiple of `2^min_order` bytes and aligned
    /// to it. Default 4 (16 B, enough for any C type on x86-64 and AArch64).
    pub min_order: u32,
    /// Live blocks the size table holds. Size it to the most blocks your program keeps alive
    /// at once; each costs 16 to 32 bytes of metadata (the table keeps its load at or below
    /// 3/4 and rounds its slot count up to a power of two). Default 4096.
    pub capacity: usize,
    /// Exact fit (default `true`): a block keeps only its size rounded up to the minimum
    /// block, and the unused tail of its buddy block returns to the heap as smaller blocks.
    /// `false` gives classic power-of-two buddy blocks.
    pub exact_fit: bool,
}

impl Config {
    /// 16-byte minimum block, 4096 live blocks, exact fit.
    pub const DEFAULT: Config = Config {
        min_order: 4,
        capacity: 4096,
        exact_fit: true,
    };

    /// This configuration with another minimum order.
    pub const fn with_min_order(mut self, min_order: u32) -> Config {
        self.min_order = min_order;
        self
    }

    /// This configuration with another size-table capacity.
    pub const fn with_capacity(mut self, capacity: usize) -> Config {
        self.capacity = capacity;
        self
    }

    /// This configuration with exact fit on or off.
    pub const fn with_exact_fit(mut self, exact_fit: bool) -> Config {
        self.exact_fit = exact_fit;
        self
    }

    /// Is the configuration usable? (Minimum order in
    /// [`MIN_MIN_ORDER`]..=[`MAX_MIN_ORDER`], capacity in 1..=[`MAX_CAPACITY`].)
    pub const fn is_valid(&self) -> bool {
        self.min_order >= MIN_MIN_ORDER
            && self.min_order <= MAX_MIN_ORDER
            && self.capacity > 0
            && self.capacity <= MAX_CAPACITY
    }

    /// The largest order a region of `len` bytes holds (`floor(log2(len))`), or `None` if the
    /// region is shorter than one minimum block, has more minimum blocks than `usize` can
    /// count (only possible on 32-bit targets: its bitmaps could not be addressed), or the
    /// configuration is invalid.
    pub const fn top_order(&self, len: u64) -> Option<u32> {
        if !self.is_valid()
            || len < (1u64 << self.min_order)
            || (len >> self.min_order) > usize::MAX as u64
        {
            return None;
        }
        match floor_order(len) {
            Some(t) if t <= MAX_ORDER => Some(t),
            _ => None,
        }
    }

    /// Words of the free bitmaps (all orders, all summary levels) for a region of `len`
    /// bytes.
    pub const fn bitmap_words(&self, len: u64) -> usize {
        let top = match self.top_order(len) {
            Some(t) => t,
            None => return 0,
        };
        let mut total = 0;
        let mut order = self.min_order;
        while order <= top {
            total += Layout::words_for(len >> order);
            order += 1;
        }
        total
    }

    /// Words of metadata storage a heap over a region of `len` bytes needs: the free
    /// bitmaps plus the size table. `0` when the region or configuration is unusable.
    ///
    /// ```
    /// use memheap_core::Config;
    /// const LEN: u64 = 1 << 20;
    /// static mut META: [u64; Config::DEFAULT.metadata_words(LEN)] =
    ///     [0; Config::DEFAULT.metadata_words(LEN)];
    /// // At the default 16 B minimum block the bitmaps cost about 1/64 of the region.
    /// assert!(Config::DEFAULT.bitmap_words(LEN) * 8 <= (LEN / 32) as usize);
    /// ```
    pub const fn metadata_words(&self, len: u64) -> usize {
        if self.top_order(len).is_none() {
            return 0;
        }
        self.bitmap_words(len) + size_table::words_for(self.capacity)
    }

    /// [`Config::metadata_words`] in bytes.
    pub const fn metadata_bytes(&self, len: u64) -> usize {
        self.metadata_words(len) * 8
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}
