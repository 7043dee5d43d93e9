//! The std side of memheap: the symmetric segment, the component registry with the `buddy` and
//! `ptmalloc` components, and the PE runtime behind the `memheap-run` launcher.
#![deny(missing_docs)]

pub mod env;
pub mod runtime;
pub mod segment;
