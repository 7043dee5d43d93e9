#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod component;
pub mod components;
pub mod env;
pub mod heap;
pub mod info;
pub mod registry;
pub mod runtime;
pub mod segment;

#[cfg(test)]
mod conformance;

pub use component::{Component, ComponentError, Module, ModuleStats, MIN_ALIGN};
pub use heap::{InitError, SymmetricHeap};
pub use memheap_core::Error;
pub use registry::{builtin_components, Registry, RegistryError};
pub use segment::{Region, Segment, SegmentConfig, SegmentError};
