//! `memheap.h`: memheap-core's pointer heap as a C API, for C runtimes and firmware.
//!
//! `#![no_std]`, no allocation, no locks: every function works on a heap whose handle and
//! metadata live in storage the caller supplies. Two libraries carry these symbols:
//!
//! * `libmemheap.{so,a}` (crate `memheap-c`), the hosted OpenSHMEM library, for C programs
//!   and runtimes on an operating system;
//! * `libmemheap_embed.a` (package `memheap-embed-static` under `freestanding/`), built with
//!   `panic = "abort"` and no `std` anywhere, for firmware linked with `-nostdlib`.
//!
//! The header is `include/memheap.h`.
#![no_std]
#![deny(missing_docs)]

use core::ffi::{c_int, c_uint, c_void};
use core::mem::{align_of, size_of};
use core::ptr::{self, NonNull};

use memheap_core::{Config, Error, Heap, Placement};

/// `memheap_status_t`.
pub type Status = i32;

/// Success.
pub const MEMHEAP_OK: Status = 0;
/// A required pointer argument was NULL.
pub const MEMHEAP_ERR_NULL_ARGUMENT: Status = 11;

/// `memheap_config_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CConfig {
    /// Minimum block order.
    pub min_order: c_uint,
    /// Size-table capacity (0: derived from the region).
    pub capacity: usize,
    /// Exact fit on (non-zero) or off.
    pub exact_fit: c_int,
    /// Strict lowest-address placement (non-zero) or packed placement (0).
    pub lowest_address: c_int,
    /// Most freed blocks per class list (0: no lists; at most 65,535).
    pub list_depth: c_uint,
}

/// `memheap_stats_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CStats {
    /// Bytes managed.
    pub region_bytes: u64,
    /// Bytes in live blocks.
    pub bytes_in_use: u64,
    /// Bytes in free space (buddy blocks and the frontier run).
    pub bytes_free: u64,
    /// Bytes of freed blocks waiting on the per-class free lists.
    pub bytes_listed: u64,
    /// Largest free block, as `memheap_core::Stats::largest_free` counts it.
    pub largest_free: u64,
    /// Live blocks.
    pub live_blocks: u64,
    /// Size-table capacity.
    pub capacity: u64,
    /// Metadata bytes in use (the handle included).
    pub metadata_bytes: u64,
}

/// The status code of an error (the numbering of `memheap.h`).
pub fn status_of(e: Error) -> Status {
    match e {
        Error::OutOfMemory => 1,
        Error::CapacityExhausted => 2,
        Error::InvalidPointer => 3,
        Error::DoubleFree => 4,
        Error::BadAlignment => 5,
        Error::SizeOverflow => 6,
        Error::BadRegion => 7,
        Error::MetadataTooSmall => 8,
        Error::BadConfig => 9,
        Error::NoRoomInPlace => 10,
        _ => 3,
    }
}

/// The configuration `cfg` describes (NULL: the default), or `None` for values no `Config`
/// can hold (a minimum order or list depth beyond its field).
// `c_uint` is `u32` here but `u16` on 16-bit targets: the conversions are not useless there.
#[allow(clippy::useless_conversion)]
fn config_of(cfg: *const CConfig) -> Option<Config> {
    if cfg.is_null() {
        return Some(Config::DEFAULT);
    }
    // SAFETY: the caller passes NULL or a valid memheap_config_t.
    let c = unsafe { *cfg };
    Some(Config {
        min_order: u32::try_from(c.min_order).ok()?,
        capacity: c.capacity,
        exact_fit: c.exact_fit != 0,
        placement: if c.lowest_address != 0 {
            Placement::LowestAddress
        } else {
            Placement::Packed
        },
        list_depth: u16::try_from(c.list_depth).ok()?,
    })
}

/// Bytes at the front of the metadata storage that hold the heap handle itself.
const HANDLE_BYTES: usize = size_of::<Heap<'static>>().next_multiple_of(8);

/// `memheap_metadata_bytes`.
#[no_mangle]
pub extern "C" fn memheap_metadata_bytes(len: usize, cfg: *const CConfig) -> usize {
    let Some(config) = config_of(cfg) else {
        return 0;
    };
    let words = config.metadata_words(len as u64);
    if words == 0 {
        0
    } else {
        HANDLE_BYTES + words * 8 + align_of::<Heap<'static>>()
    }
}

/// `memheap_init`.
///
/// # Safety
/// `meta` must be writable for `meta_bytes` bytes and used by nothing else while the heap is in
/// use; `cfg` NULL or valid; `heap` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn memheap_init(
    heap: *mut *mut Heap<'static>,
    base: *mut c_void,
    len: usize,
    meta: *mut c_void,
    meta_bytes: usize,
    cfg: *const CConfig,
) -> Status {
    if heap.is_null() || meta.is_null() {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    }
    let Some(base) = NonNull::new(base.cast::<u8>()) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    let Some(config) = config_of(cfg) else {
        return status_of(Error::BadConfig);
    };
    let need = memheap_metadata_bytes(len, cfg);
    if need == 0 {
        return status_of(if config.is_valid() {
            Error::BadRegion
        } else {
            Error::BadConfig
        });
    }
    if meta_bytes < need {
        return status_of(Error::MetadataTooSmall);
    }
    let meta = meta.cast::<u8>();
    let start = meta as usize;
    // The heap hands out every byte of the region: metadata inside it would be overwritten by
    // the first block placed there.
    let region = base.as_ptr() as usize;
    if start < region.saturating_add(len) && region < start.saturating_add(meta_bytes) {
        return status_of(Error::BadRegion);
    }
    let handle_at = start.next_multiple_of(align_of::<Heap<'static>>());
    let words_at = (handle_at + HANDLE_BYTES).next_multiple_of(8);
    let words = config.metadata_words(len as u64);
    if words_at + words * 8 > start + meta_bytes {
        return status_of(Error::MetadataTooSmall);
    }
    let words_ptr = meta.wrapping_add(words_at - start).cast::<u64>();
    // SAFETY: [words_at, words_at + 8 * words) lies inside the caller's metadata storage (checked
    // above), is 8-aligned, and is ours alone for the heap's life; zeroing initialises it.
    let words = unsafe {
        ptr::write_bytes(words_ptr, 0, words);
        core::slice::from_raw_parts_mut(words_ptr, words)
    };
    match Heap::new(base, len, config, words) {
        Ok(h) => {
            let slot = meta.wrapping_add(handle_at - start).cast::<Heap<'static>>();
            // SAFETY: `slot` is aligned for Heap and HANDLE_BYTES of storage follow it inside
            // the caller's buffer, before the words; `heap` is valid for a write.
            unsafe {
                slot.write(h);
                *heap = slot;
            }
            MEMHEAP_OK
        }
        Err(e) => status_of(e),
    }
}

/// Borrow the heap behind a handle.
///
/// # Safety
/// `h` is NULL or a handle from `memheap_init` not used concurrently.
unsafe fn heap_mut<'a>(h: *mut Heap<'static>) -> Option<&'a mut Heap<'static>> {
    // SAFETY: forwarded from the contract.
    unsafe { h.as_mut() }
}

/// `memheap_alloc`.
///
/// # Safety
/// `heap` from `memheap_init`; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn memheap_alloc(
    heap: *mut Heap<'static>,
    size: usize,
    align: usize,
    out: *mut *mut c_void,
) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap_mut(heap) }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    if out.is_null() {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    }
    match h.alloc(size, align) {
        Ok(p) => {
            // SAFETY: `out` is valid for a write (contract).
            unsafe { *out = p.as_ptr().cast() };
            MEMHEAP_OK
        }
        Err(e) => status_of(e),
    }
}

/// `memheap_free`.
///
/// # Safety
/// `heap` from `memheap_init`.
#[no_mangle]
pub unsafe extern "C" fn memheap_free(heap: *mut Heap<'static>, p: *mut c_void) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap_mut(heap) }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    let Some(p) = NonNull::new(p.cast::<u8>()) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    match h.free(p) {
        Ok(()) => MEMHEAP_OK,
        Err(e) => status_of(e),
    }
}

/// `memheap_resize_in_place`.
///
/// # Safety
/// `heap` from `memheap_init`.
#[no_mangle]
pub unsafe extern "C" fn memheap_resize_in_place(
    heap: *mut Heap<'static>,
    p: *mut c_void,
    new_size: usize,
) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap_mut(heap) }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    let Some(p) = NonNull::new(p.cast::<u8>()) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    match h.realloc_in_place(p, new_size) {
        Ok(_) => MEMHEAP_OK,
        Err(e) => status_of(e),
    }
}

/// `memheap_realloc`.
///
/// # Safety
/// `heap` from `memheap_init` over host memory; `out` valid for a write; nothing else accesses
/// the block during the call.
#[no_mangle]
pub unsafe extern "C" fn memheap_realloc(
    heap: *mut Heap<'static>,
    p: *mut c_void,
    new_size: usize,
    align: usize,
    out: *mut *mut c_void,
) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap_mut(heap) }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    let Some(p) = NonNull::new(p.cast::<u8>()) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    if out.is_null() {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    }
    // SAFETY: host memory, exclusive during the call (contract).
    match unsafe { h.realloc(p, new_size, align) } {
        Ok(q) => {
            // SAFETY: `out` is valid for a write (contract).
            unsafe { *out = q.as_ptr().cast() };
            MEMHEAP_OK
        }
        Err(e) => status_of(e),
    }
}

/// `memheap_flush`.
///
/// # Safety
/// `heap` from `memheap_init`.
#[no_mangle]
pub unsafe extern "C" fn memheap_flush(heap: *mut Heap<'static>) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap_mut(heap) }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    h.flush();
    MEMHEAP_OK
}

/// `memheap_usable_size`.
///
/// # Safety
/// `heap` NULL or from `memheap_init`.
#[no_mangle]
pub unsafe extern "C" fn memheap_usable_size(
    heap: *const Heap<'static>,
    p: *const c_void,
) -> usize {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap.as_ref() }) else {
        return 0;
    };
    let Some(p) = NonNull::new(p as *mut u8) else {
        return 0;
    };
    h.usable_size(p).unwrap_or(0)
}

/// `memheap_get_stats`.
///
/// # Safety
/// `heap` from `memheap_init`; `out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn memheap_get_stats(heap: *const Heap<'static>, out: *mut CStats) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap.as_ref() }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    if out.is_null() {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    }
    let s = h.stats();
    let c = CStats {
        region_bytes: s.region_bytes,
        bytes_in_use: s.bytes_in_use,
        bytes_free: s.bytes_free,
        bytes_listed: s.bytes_listed,
        largest_free: s.largest_free,
        live_blocks: s.live_blocks,
        capacity: s.capacity,
        metadata_bytes: s.metadata_bytes + HANDLE_BYTES as u64,
    };
    // SAFETY: `out` is valid for a write (contract).
    unsafe { out.write(c) };
    MEMHEAP_OK
}

/// `memheap_check`.
///
/// # Safety
/// `heap` from `memheap_init`.
#[no_mangle]
pub unsafe extern "C" fn memheap_check(heap: *const Heap<'static>) -> Status {
    // SAFETY: forwarded from the contract.
    let Some(h) = (unsafe { heap.as_ref() }) else {
        return MEMHEAP_ERR_NULL_ARGUMENT;
    };
    match h.check() {
        Ok(()) => MEMHEAP_OK,
        Err(_) => status_of(Error::InvalidPointer),
    }
}

/// `memheap_strerror`.
#[no_mangle]
pub extern "C" fn memheap_strerror(status: Status) -> *const core::ffi::c_char {
    let s: &'static [u8] = match status {
        0 => b"success\0",
        1 => b"out of memory: no free block is large enough\0",
        2 => b"size table full: too many blocks\0",
        3 => b"invalid pointer: not the start of a block of this heap\0",
        4 => b"double free: the block is already free\0",
        5 => b"bad alignment: not a power of two\0",
        6 => b"size overflow\0",
        7 => b"bad region: too short, too long, wrapping, or overlapping the metadata\0",
        8 => b"metadata storage too small\0",
        9 => b"bad configuration: min_order out of [3, 30], capacity too large, or list_depth above 65535\0",
        10 => b"cannot resize in place\0",
        11 => b"NULL argument\0",
        _ => b"unknown status\0",
    };
    s.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn absurd_capacity_is_bad_config_not_an_abort() {
        let cfg = CConfig {
            min_order: 4,
            capacity: usize::MAX,
            exact_fit: 1,
            lowest_address: 0,
            list_depth: 32,
        };
        assert_eq!(memheap_metadata_bytes(1 << 20, &cfg), 0);
        let mut region = vec![0u64; 1 << 10];
        let mut meta = vec![0u64; 1 << 10];
        let mut h: *mut Heap<'static> = ptr::null_mut();
        // SAFETY: all pointers are valid for the sizes given.
        let st = unsafe {
            memheap_init(
                &mut h,
                region.as_mut_ptr().cast(),
                region.len() * 8,
                meta.as_mut_ptr().cast(),
                meta.len() * 8,
                &cfg,
            )
        };
        assert_eq!(st, status_of(Error::BadConfig));
        assert!(h.is_null());
    }

    #[test]
    fn list_depth_above_65535_is_bad_config_and_realloc_alignment_0_is_bad_alignment() {
        let mut cfg = CConfig {
            min_order: 4,
            capacity: 0,
            exact_fit: 1,
            lowest_address: 0,
            list_depth: 65_535,
        };
        assert!(memheap_metadata_bytes(1 << 20, &cfg) > 0);
        cfg.list_depth = 65_536;
        assert_eq!(memheap_metadata_bytes(1 << 20, &cfg), 0);
        let mut region = vec![0u64; 1 << 13];
        let mut meta = vec![0u64; 1 << 12];
        let mut h: *mut Heap<'static> = ptr::null_mut();
        // SAFETY: all pointers are valid for the sizes given.
        let st = unsafe {
            memheap_init(
                &mut h,
                region.as_mut_ptr().cast(),
                region.len() * 8,
                meta.as_mut_ptr().cast(),
                meta.len() * 8,
                &cfg,
            )
        };
        assert_eq!(st, status_of(Error::BadConfig));
        assert!(h.is_null());
        // SAFETY: the status is a valid one; strerror returns a static NUL-terminated string.
        let msg = unsafe { core::ffi::CStr::from_ptr(memheap_strerror(st)) };
        assert!(msg.to_str().unwrap().contains("list_depth"), "{msg:?}");

        // Alignment 0 is not a power of two: refused by alloc and by realloc, block intact.
        // SAFETY: as above.
        let st = unsafe {
            memheap_init(
                &mut h,
                region.as_mut_ptr().cast(),
                region.len() * 8,
                meta.as_mut_ptr().cast(),
                meta.len() * 8,
                ptr::null(),
            )
        };
        assert_eq!(st, MEMHEAP_OK);
        let mut p: *mut c_void = ptr::null_mut();
        let mut q: *mut c_void = ptr::null_mut();
        // SAFETY: `h` is the handle just built; `p` its live block.
        unsafe {
            assert_eq!(
                memheap_alloc(h, 100, 0, &mut p),
                status_of(Error::BadAlignment)
            );
            assert_eq!(memheap_alloc(h, 100, 16, &mut p), MEMHEAP_OK);
            assert_eq!(
                memheap_realloc(h, p, 5000, 0, &mut q),
                status_of(Error::BadAlignment)
            );
            assert_eq!(memheap_usable_size(h, p), 112);
            assert_eq!(memheap_free(h, p), MEMHEAP_OK);
        }
    }

    #[test]
    fn metadata_inside_the_region_is_refused() {
        let mut buf = vec![0u64; 1 << 12];
        let base = buf.as_mut_ptr().cast::<c_void>();
        let len = 1 << 14;
        let need = memheap_metadata_bytes(len, ptr::null());
        assert!(need > 0 && need < len);
        let mut h: *mut Heap<'static> = ptr::null_mut();
        // Metadata at the start, in the middle and at the end of the region: refused.
        for at in [0, len / 2, len - 8] {
            // SAFETY: every pointer lies in `buf` (4 pages of u64 = 32 KiB) with `need` bytes
            // after `at` (len - 8 + need < 32 KiB).
            let st = unsafe {
                memheap_init(
                    &mut h,
                    base,
                    len,
                    base.cast::<u8>().add(at).cast(),
                    need,
                    ptr::null(),
                )
            };
            assert_eq!(st, status_of(Error::BadRegion), "metadata at {at}");
            assert!(h.is_null());
        }
        // Right after the region: accepted, and the heap works.
        // SAFETY: as above; [len, len + need) lies inside `buf`.
        let st = unsafe {
            memheap_init(
                &mut h,
                base,
                len,
                base.cast::<u8>().add(len).cast(),
                need,
                ptr::null(),
            )
        };
        assert_eq!(st, MEMHEAP_OK);
        let mut p: *mut c_void = ptr::null_mut();
        // SAFETY: `h` is the handle just built.
        unsafe {
            assert_eq!(memheap_alloc(h, 100, 16, &mut p), MEMHEAP_OK);
            assert!(p >= base && (p as usize) < base as usize + len);
            assert_eq!(memheap_free(h, p), MEMHEAP_OK);
        }
    }
}
