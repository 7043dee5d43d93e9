//! [`SymmetricHeap`]: a segment plus the selected component's module — the symmetric heap of
//! one PE, without the C layer. (Not to be confused with memheap-core's `Heap`, the pointer
//! heap over one region that the `buddy` component uses.)

use std::fmt;
use std::ptr::NonNull;

use crate::component::{Error, Module, ModuleStats};
use crate::components::buddy::BuddyModule;
use crate::env::{self, EnvError, Lookup};
use crate::registry::{builtin_components, Registry, RegistryError};
use crate::segment::{Region, Segment, SegmentConfig, SegmentError};

/// Why a [`SymmetricHeap`] could not be created.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// A malformed environment variable.
    Env(EnvError),
    /// The segment could not be created.
    Segment(SegmentError),
    /// No component could be selected.
    Registry(RegistryError),
    /// The private heap could not be built over the private range.
    PrivateHeap(Error),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Env(e) => write!(f, "memheap: {e}"),
            InitError::Segment(e) => write!(f, "memheap: {e}"),
            InitError::Registry(e) => write!(f, "memheap: {e}"),
            InitError::PrivateHeap(e) => write!(f, "memheap: private heap: {e}"),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Env(e) => Some(e),
            InitError::Segment(e) => Some(e),
            InitError::Registry(e) => Some(e),
            InitError::PrivateHeap(e) => Some(e),
        }
    }
}

impl From<EnvError> for InitError {
    fn from(e: EnvError) -> Self {
        InitError::Env(e)
    }
}

impl From<SegmentError> for InitError {
    fn from(e: SegmentError) -> Self {
        InitError::Segment(e)
    }
}

impl From<RegistryError> for InitError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Env(e) => InitError::Env(e),
            e => InitError::Registry(e),
        }
    }
}

/// One PE's symmetric heap: a [`Segment`] at the configured base address, the component the
/// [`Registry`] selected managing its user range, and a `buddy` heap over its private range
/// for the runtime's own symmetric allocations.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut heap = memheap_std::SymmetricHeap::from_env()?;
/// let p = heap.alloc(1000)?;
/// let q = heap.align(4096, 64)?;
/// assert_eq!(q.as_ptr() as usize % 4096, 0);
/// let p = heap.realloc(p, 5000)?;
/// assert_eq!(heap.stats().live_blocks, 2);
/// heap.free(p)?;
/// heap.free(q)?;
/// assert!(heap.free(q).is_err()); // double free: an error, not corruption
/// # Ok(()) }
/// ```
///
/// Dropping the heap finalizes the module, closes the registry, then unmaps the segment.
pub struct SymmetricHeap {
    // Field order is drop order: the modules go before the memory they manage.
    registry: Registry,
    private: Option<BuddyModule>,
    segment: Segment,
}

impl SymmetricHeap {
    /// A heap configured from the process environment (every variable in the crate-level
    /// table).
    pub fn from_env() -> Result<SymmetricHeap, InitError> {
        SymmetricHeap::from_lookup(env::process_env)
    }

    /// A heap configured through `lookup` (standing for the environment), with the built-in
    /// components.
    pub fn from_lookup(lookup: impl Lookup) -> Result<SymmetricHeap, InitError> {
        let config = SegmentConfig::from_lookup(&lookup)?;
        let registry = Registry::open(builtin_components(), &lookup)?;
        SymmetricHeap::new(&config, registry)
    }

    /// A heap over a new segment built from `config`, with a component selected by
    /// `registry` (opened, not yet selected).
    pub fn new(config: &SegmentConfig, registry: Registry) -> Result<SymmetricHeap, InitError> {
        let segment = Segment::create(config)?;
        let mut heap = SymmetricHeap {
            registry,
            private: None,
            segment,
        };
        let user = heap.segment.user_range();
        // SAFETY: the user range is the segment's read/write memory; the registry (and the
        // module it keeps) is dropped before the segment, by field order, and nothing else
        // in the heap uses the user range.
        unsafe { heap.registry.select(user) }?;
        let private = heap.segment.private_range();
        if !private.is_empty() {
            // SAFETY: the private range is the segment's read/write memory, disjoint from
            // the user range, used only by this module, which is dropped before the segment.
            heap.private =
                Some(unsafe { BuddyModule::new(private) }.map_err(InitError::PrivateHeap)?);
        }
        Ok(heap)
    }

    fn module(&self) -> Result<&dyn Module, Error> {
        self.registry.module().ok_or(Error::Uninitialized)
    }

    fn module_mut(&mut self) -> Result<&mut dyn Module, Error> {
        match self.registry.module_mut() {
            Some(m) => Ok(m),
            None => Err(Error::Uninitialized),
        }
    }

    /// Allocate `size` bytes aligned to 16. See [`Module::alloc`].
    pub fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Error> {
        self.module_mut()?.alloc(size)
    }

    /// Allocate `size` bytes aligned to `align` (a power of two). See [`Module::align`].
    pub fn align(&mut self, align: usize, size: usize) -> Result<NonNull<u8>, Error> {
        self.module_mut()?.align(align, size)
    }

    /// Resize the block at `ptr`, keeping its contents; on error it is unchanged. See
    /// [`Module::realloc`].
    pub fn realloc(&mut self, ptr: NonNull<u8>, size: usize) -> Result<NonNull<u8>, Error> {
        self.module_mut()?.realloc(ptr, size)
    }

    /// Resize the block at `ptr` without moving it. See [`Module::resize_in_place`].
    pub fn resize_in_place(&mut self, ptr: NonNull<u8>, size: usize) -> Result<(), Error> {
        self.module_mut()?.resize_in_place(ptr, size)
    }

    /// Free the block at `ptr`. Foreign, interior and double frees are errors.
    pub fn free(&mut self, ptr: NonNull<u8>) -> Result<(), Error> {
        self.module_mut()?.free(ptr)
    }

    /// Usable size of the block at `ptr`.
    pub fn usable_size(&self, ptr: NonNull<u8>) -> Result<usize, Error> {
        self.module()?.usable_size(ptr)
    }

    /// Statistics of the user heap.
    pub fn stats(&self) -> ModuleStats {
        self.module().map(|m| m.stats()).unwrap_or_default()
    }

    /// Name of the selected component (`"buddy"`, `"ptmalloc"`, ...).
    pub fn component(&self) -> &'static str {
        self.registry.selected().unwrap_or("")
    }

    /// The selected component and its configuration, as one line (`"buddy (min block 16 B,
    /// 65536 live blocks, exact fit)"`): what must be the same on every PE for the heaps to be
    /// symmetric.
    pub fn description(&self) -> String {
        match self.module() {
            Ok(m) => match m.configuration() {
                c if c.is_empty() => m.component().to_string(),
                c => format!("{} ({c})", m.component()),
            },
            Err(_) => String::new(),
        }
    }

    /// The user heap's range (where every block of [`SymmetricHeap::alloc`] lies).
    pub fn user_range(&self) -> Region {
        self.segment.user_range()
    }

    /// Does `ptr` point into the user heap?
    pub fn contains(&self, ptr: *const u8) -> bool {
        self.segment.user_range().contains(ptr)
    }

    /// The segment (base address, ranges, the memfd peers map).
    pub fn segment(&self) -> &Segment {
        &self.segment
    }

    /// The registry (for [`Registry::log`] and [`Registry::candidates`]).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The private heap (a `buddy` module over the segment's private range), for the
    /// runtime's own symmetric allocations; `None` if the private range is empty.
    pub fn private_heap(&mut self) -> Option<&mut dyn Module> {
        self.private.as_mut().map(|m| m as &mut dyn Module)
    }
}

impl fmt::Debug for SymmetricHeap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricHeap")
            .field("component", &self.component())
            .field("segment", &self.segment)
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::test_base;

    fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    fn base_var() -> (&'static str, String) {
        ("MEMHEAP_BASE_ADDRESS", format!("{:#x}", test_base()))
    }

    #[test]
    fn heap_is_send() {
        fn send<T: Send>() {}
        send::<SymmetricHeap>();
    }

    #[test]
    fn from_lookup_selects_and_allocates() {
        for (component, want) in [
            ("", "buddy"),
            ("buddy", "buddy"),
            ("ptmalloc", "ptmalloc"),
            ("^buddy,firstfit", "ptmalloc"),
        ] {
            let mut vars = vec![base_var(), ("SHMEM_SYMMETRIC_SIZE", "3.5M".to_string())];
            if !component.is_empty() {
                vars.push(("MEMHEAP_COMPONENT", component.to_string()));
            }
            let mut heap = SymmetricHeap::from_lookup(env(vars)).unwrap();
            assert_eq!(heap.component(), want);
            assert_eq!(heap.user_range().len(), 4 << 20);
            let p = heap.alloc(1000).unwrap();
            assert!(heap.contains(p.as_ptr()));
            let q = heap.align(4096, 10).unwrap();
            assert_eq!(q.as_ptr() as usize % 4096, 0);
            // SAFETY: p is a live block of at least 1000 bytes.
            unsafe { p.as_ptr().write_bytes(0x11, 1000) };
            let p = heap.realloc(p, 100_000).unwrap();
            // SAFETY: the first 1000 bytes were kept.
            assert!(unsafe { std::slice::from_raw_parts(p.as_ptr(), 1000) }
                .iter()
                .all(|&b| b == 0x11));
            assert!(heap.usable_size(p).unwrap() >= 100_000);
            assert_eq!(heap.stats().live_blocks, 2);
            heap.free(p).unwrap();
            heap.free(q).unwrap();
            assert!(heap.free(q).is_err());
            assert_eq!(heap.stats().live_blocks, 0);
            // The private heap is separate from the user heap.
            let user = heap.user_range();
            let priv_block = heap.private_heap().unwrap().alloc(64).unwrap();
            assert!(!user.contains(priv_block.as_ptr()));
            assert!(heap.segment().private_range().contains(priv_block.as_ptr()));
            assert!(
                heap.free(priv_block).is_err(),
                "user heap refuses private blocks"
            );
            heap.private_heap().unwrap().free(priv_block).unwrap();
        }
    }

    #[test]
    fn init_errors_say_what_is_wrong() {
        let e = SymmetricHeap::from_lookup(env(vec![
            base_var(),
            ("SHMEM_SYMMETRIC_SIZE", "lots".into()),
        ]))
        .unwrap_err();
        assert!(matches!(e, InitError::Env(_)));
        assert!(e.to_string().contains("SHMEM_SYMMETRIC_SIZE"), "{e}");
        let e =
            SymmetricHeap::from_lookup(env(vec![base_var(), ("MEMHEAP_COMPONENT", "slab".into())]))
                .unwrap_err();
        assert!(
            matches!(
                e,
                InitError::Registry(RegistryError::UnknownComponent { .. })
            ),
            "{e}"
        );
        let e =
            SymmetricHeap::from_lookup(env(vec![base_var(), ("MEMHEAP_COMPONENT", "a,^b".into())]))
                .unwrap_err();
        assert!(
            matches!(e, InitError::Env(EnvError::MixedSelection { .. })),
            "{e}"
        );
        // Two heaps at one base: the second names the first.
        let vars = vec![base_var(), ("SHMEM_SYMMETRIC_SIZE", "2M".to_string())];
        let first = SymmetricHeap::from_lookup(env(vars.clone())).unwrap();
        let e = SymmetricHeap::from_lookup(env(vars)).unwrap_err();
        assert!(
            matches!(e, InitError::Segment(SegmentError::RangeTaken { .. })),
            "{e}"
        );
        assert!(e.to_string().contains("memfd:memheap-segment"), "{e}");
        drop(first);
    }

    fn mapped_at(base: usize) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().any(|l| l.starts_with(&format!("{base:x}-")))
    }

    #[test]
    fn no_private_heap_and_drop_unmaps() {
        let registry = Registry::open(builtin_components(), |_| None).unwrap();
        let config = SegmentConfig {
            base: test_base(),
            private_size: 0,
            ..SegmentConfig::with_user_size(2 << 20)
        };
        let mut heap = SymmetricHeap::new(&config, registry).unwrap();
        assert!(heap.private_heap().is_none());
        assert_eq!(heap.segment().len(), 2 << 20);
        let base = heap.segment().base() as usize;
        assert!(mapped_at(base));
        drop(heap);
        assert!(!mapped_at(base));
    }

    #[test]
    fn select_failure_leaves_nothing_mapped() {
        use crate::components::testing::FirstFitComponent;
        let broken = FirstFitComponent {
            fail_init: true,
            ..FirstFitComponent::default()
        };
        let counters = broken.counters.clone();
        let registry = Registry::open(vec![Box::new(broken)], |_| None).unwrap();
        let config = SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(2 << 20)
        };
        let e = SymmetricHeap::new(&config, registry).unwrap_err();
        assert!(
            matches!(e, InitError::Registry(RegistryError::AllFailed { .. })),
            "{e}"
        );
        assert!(!mapped_at(config.base as usize));
        assert_eq!(counters.get(), (1, 1, 1, 0));
    }
}
