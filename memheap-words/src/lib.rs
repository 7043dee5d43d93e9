//! [`ZeroedWords`]: a heap's metadata words in a private anonymous mapping, so that only the
//! pages the heap writes cost memory.
//!
//! A fresh anonymous mapping reads as zero, and all-zero words are an empty memheap-core heap,
//! so memheap-core's `BuddyHeap::new_zeroed` builds a heap over it without writing the words:
//! a page of metadata takes memory only once the heap first writes to it (a free bit set, a
//! size-table slot filled). The mapping is `MAP_NORESERVE` (its untouched pages are not
//! charged against the commit limit, except under strict overcommit,
//! `vm.overcommit_memory=2`), asks for no transparent huge pages (one write would make 2 MiB
//! resident), and has a `PROT_NONE` guard page on each side, so the kernel never merges it
//! with a neighbouring mapping and [`ZeroedWords::resident_bytes`] can read its own figure.
//!
//! Used by memheap-std's `buddy` component and by memheap-ompi's `rbuddy` component for
//! their heaps' metadata. Linux only.
#![deny(missing_docs)]

use core::ptr::NonNull;

/// `words` zero `u64`s in their own anonymous mapping, unmapped on drop.
pub struct ZeroedWords {
    /// The first word (one page into the mapping, after the guard page).
    ptr: NonNull<u64>,
    words: usize,
    /// Bytes of words (whole pages), without the guard pages.
    bytes: usize,
    page: usize,
}

// SAFETY: the mapping is owned exclusively by this value (a Box in all but name); nothing in
// it is tied to a thread.
unsafe impl Send for ZeroedWords {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::ENOMEM)
}

impl ZeroedWords {
    /// Map `words` zero words (at least one). The error is the `errno` of `mmap` or
    /// `mprotect` (`ENOMEM` when the address space or the commit limit is exhausted), or
    /// `EINVAL` for 0 words or a size that overflows.
    pub fn new(words: usize) -> Result<ZeroedWords, i32> {
        let page = page_size();
        let bytes = words
            .checked_mul(8)
            .and_then(|b| b.checked_next_multiple_of(page))
            .filter(|&b| b > 0)
            .ok_or(libc::EINVAL)?;
        let total = bytes.checked_add(2 * page).ok_or(libc::EINVAL)?;
        // SAFETY: a new private anonymous mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(last_errno());
        }
        let data = p.cast::<u8>().wrapping_add(page);
        // SAFETY: `[data, data + bytes)` lies inside the mapping just made (after its first
        // page, before its last); it becomes readable and writable, the guards stay PROT_NONE.
        if unsafe { libc::mprotect(data.cast(), bytes, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
            let e = last_errno();
            // SAFETY: unmapping the mapping made above, which nothing references.
            unsafe { libc::munmap(p, total) };
            return Err(e);
        }
        // Best effort: without it (an old kernel) the words still work, but a write could
        // make a whole huge page resident.
        // SAFETY: advice on part of our own mapping; it does not change its contents.
        unsafe { libc::madvise(data.cast(), bytes, libc::MADV_NOHUGEPAGE) };
        Ok(ZeroedWords {
            ptr: NonNull::new(data.cast::<u64>()).expect("a mapping is never at address 0"),
            words,
            bytes,
            page,
        })
    }

    /// The first word's address.
    pub fn as_ptr(&self) -> *const u64 {
        self.ptr.as_ptr()
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words
    }

    /// Never true: [`ZeroedWords::new`] refuses 0 words.
    pub fn is_empty(&self) -> bool {
        self.words == 0
    }

    /// Bytes of address space the words take (whole pages; the two guard pages not counted).
    pub fn mapped_bytes(&self) -> usize {
        self.bytes
    }

    /// The words, for a heap that lives no longer than this value.
    ///
    /// # Safety
    /// The slice must not outlive `self`, and no other reference to the words may exist while
    /// it lives (the owner drops the heap holding it before dropping `self`).
    pub unsafe fn as_mut_slice<'a>(&mut self) -> &'a mut [u64] {
        // SAFETY: the mapping holds `words` u64s, is 8-aligned (page-aligned), readable,
        // writable and zero-initialised; lifetime and exclusivity are the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.words) }
    }

    /// Bytes of the words resident in memory now: the `Rss` the kernel reports for this
    /// mapping in `/proc/self/smaps` (pages the heap has written; pages only read map the
    /// shared zero page and are not counted). `None` if smaps cannot be read.
    pub fn resident_bytes(&self) -> Option<u64> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let start = self.ptr.as_ptr() as usize;
        let mut ours = false;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = first.split_once('-') {
                if let (Ok(a), Ok(_)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    // A mapping's header line: "start-end perms offset dev inode [path]".
                    ours = a == start;
                    continue;
                }
            }
            if ours {
                if let Some(rest) = line.strip_prefix("Rss:") {
                    let kib: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
                    return Some(kib * 1024);
                }
            }
        }
        None
    }
}

impl Drop for ZeroedWords {
    fn drop(&mut self) {
        let start = self.ptr.as_ptr().cast::<u8>().wrapping_sub(self.page);
        // SAFETY: the mapping was made by `new`: one guard page before the words, the words,
        // one guard page after them; no reference into it outlives `self` (the contract of
        // `as_mut_slice`).
        unsafe { libc::munmap(start.cast(), self.bytes + 2 * self.page) };
    }
}

impl core::fmt::Debug for ZeroedWords {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ZeroedWords")
            .field("words", &self.words)
            .field("mapped_bytes", &self.bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_zero_and_cost_memory_only_once_written() {
        // 64 MiB of words: nothing resident until written.
        let mut w = ZeroedWords::new(8 << 20).unwrap();
        assert_eq!(w.len(), 8 << 20);
        assert_eq!(w.mapped_bytes(), 64 << 20);
        assert_eq!(w.resident_bytes(), Some(0));
        // SAFETY: the slice lives only in this block, while `w` does.
        let s = unsafe { w.as_mut_slice() };
        // Reading maps the shared zero page: no memory.
        assert!(s.iter().step_by(512).all(|&x| x == 0));
        assert_eq!(w.resident_bytes(), Some(0));
        s[0] = 1;
        s[(8 << 20) - 1] = 2;
        assert_eq!(w.resident_bytes(), Some(2 * page_size() as u64));
        assert_eq!((s[0], s[(8 << 20) - 1], s[4 << 20]), (1, 2, 0));
    }

    #[test]
    fn two_mappings_keep_their_own_figures() {
        let mut a = ZeroedWords::new(1 << 20).unwrap();
        let b = ZeroedWords::new(1 << 20).unwrap();
        // SAFETY: the slice lives only in this statement, while `a` does.
        unsafe { a.as_mut_slice() }.fill(7);
        assert_eq!(a.resident_bytes(), Some(8 << 20));
        assert_eq!(b.resident_bytes(), Some(0));
    }

    #[test]
    fn zero_and_overflowing_sizes_are_refused() {
        assert_eq!(ZeroedWords::new(0).unwrap_err(), libc::EINVAL);
        assert_eq!(ZeroedWords::new(usize::MAX / 4).unwrap_err(), libc::EINVAL);
    }
}
