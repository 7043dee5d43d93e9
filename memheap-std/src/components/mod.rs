//! The built-in components, in registration order (which breaks priority ties: the first
//! registered wins).
//!
//! Adding a component is one file in this directory plus one line in the list below: the
//! line declares the file's module and registers the component (its type must implement
//! [`Component`] and [`Default`]).

use crate::component::Component;

/// Declare each component module and build [`builtin_components`] from the list.
macro_rules! components {
    ($( $(#[$attr:meta])* $module:ident :: $ty:ident ),* $(,)?) => {
        $( $(#[$attr])* pub mod $module; )*

        /// A fresh instance of every built-in component, in registration order.
        #[allow(clippy::vec_init_then_push)] // pushes carry each line's cfg attributes
        pub fn builtin_components() -> Vec<Box<dyn Component>> {
            let mut list: Vec<Box<dyn Component>> = Vec::new();
            $( $(#[$attr])* list.push(Box::new($module::$ty::default())); )*
            list
        }
    };
}

components! {
    buddy::BuddyComponent,
    ptmalloc::PtmallocComponent,
    #[cfg(test)] testing::FirstFitComponent,
}
