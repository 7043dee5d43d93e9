//! memheap as an Open MPI OSHMEM memheap component: the Rust half of `mca_memheap_rbuddy.so`.
//!
//! Open MPI's OSHMEM maps the symmetric segment, registers it with its transport and exchanges
//! the keys itself; a memheap component only places blocks in it. `mca_memheap_rbuddy.so` is a
//! thin C shim (`component/mca_memheap_rbuddy.c`: the component and module structures, the
//! MCA parameters, no OPAL objects) linked with this crate's static library, which places the
//! blocks with memheap-core's [`BuddyHeap`](memheap_core::BuddyHeap):
//!
//! * [`region::Region`]: one offset heap over one address range (the user heap or the 2 MiB
//!   private heap OSHMEM keeps after it), handing out addresses; deterministic packed
//!   placement, 64-bit offsets, any alignment an address of the heap has (odd ones rounded up
//!   as `shmem_align` does), in-place realloc, bad frees refused;
//! * [`ZeroedWords`](memheap_words::ZeroedWords) (crate `memheap-words`, shared with
//!   memheap-std's `buddy` component): the heaps' metadata in anonymous mappings the heap is
//!   built over without writing them, so only the metadata pages in use take memory;
//! * [`ffi`]: the C entry points the shim calls, one per slot of OSHMEM's module, with the
//!   messages (bad frees always; geometry, summaries and refused allocations on request).
//!
//! `component/build.sh` builds the `.so` (it needs Open MPI's development headers);
//! `memheap-c/install.sh --ompi DIR` installs it. See the README, "Open MPI / many nodes".
#![deny(missing_docs)]

pub mod ffi;
pub mod region;
