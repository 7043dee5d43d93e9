//! The [`Registry`]: opens every component, selects one, and closes them.
//!
//! 1. **Open** every registered component ([`Component::open`]); one that fails is not a
//!    candidate.
//! 2. **Query**: `MEMHEAP_COMPONENT` filters the candidates (`buddy`, `buddy,ptmalloc`,
//!    `^ptmalloc`; see [`env::parse_selection`]) and `MEMHEAP_<NAME>_PRIORITY` overrides
//!    each one's priority. A name that no registered component has is an error listing the
//!    known ones.
//! 3. **Select** ([`Registry::select`]): initialise the candidates from the highest priority
//!    down (the first registered wins a tie) until one succeeds, and keep it. A candidate
//!    whose `init` fails is passed over, so at most one module ever exists over the region.
//! 4. **Close losers**: finalize every other opened component — those whose `init` failed
//!    and those whose `init` never ran.
//! 5. **Close the winner** at [`Registry::close`] (or drop): its module's
//!    [`Module::finalize`], then its [`Component::finalize`].
//!
//! With `MEMHEAP_VERBOSE=1` each stage prints one line on stderr; [`Registry::log`] keeps
//! the same lines either way.

use std::fmt;

use crate::component::{Component, ComponentError, Module};
use crate::env::{self, EnvError, Lookup, Selection};
use crate::segment::Region;

pub use crate::components::builtin_components;

/// Why the registry could not open or select.
#[derive(Debug)]
#[non_exhaustive]
pub enum RegistryError {
    /// A `MEMHEAP_` variable is malformed.
    Env(EnvError),
    /// `MEMHEAP_COMPONENT` names a component that is not registered.
    UnknownComponent {
        /// The unknown name.
        name: String,
        /// The value of `MEMHEAP_COMPONENT`.
        value: String,
        /// Every registered component.
        known: Vec<&'static str>,
    },
    /// Two registered components have the same name.
    DuplicateComponent(&'static str),
    /// No component is left to select: all were excluded or failed to open.
    NoCandidate {
        /// Every registered component.
        known: Vec<&'static str>,
    },
    /// Every candidate's `init` failed.
    AllFailed {
        /// Each candidate with its error.
        failures: Vec<(&'static str, ComponentError)>,
    },
    /// [`Registry::select`] was called twice, or after [`Registry::close`].
    AlreadySelected,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Env(e) => e.fmt(f),
            RegistryError::UnknownComponent { name, value, known } => write!(
                f,
                "{}={value:?} names unknown component {name:?}; known components: {}",
                env::MEMHEAP_COMPONENT,
                known.join(", ")
            ),
            RegistryError::DuplicateComponent(name) => {
                write!(f, "two components are registered as {name:?}")
            }
            RegistryError::NoCandidate { known } => write!(
                f,
                "no memheap component left to select (check {}); known components: {}",
                env::MEMHEAP_COMPONENT,
                known.join(", ")
            ),
            RegistryError::AllFailed { failures } => {
                f.write_str("every memheap component failed to initialise:")?;
                for (name, e) in failures {
                    write!(f, " {name}: {e};")?;
                }
                Ok(())
            }
            RegistryError::AlreadySelected => f.write_str("a component was already selected"),
        }
    }
}

impl std::error::Error for RegistryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegistryError::Env(e) => Some(e),
            _ => None,
        }
    }
}

impl From<EnvError> for RegistryError {
    fn from(e: EnvError) -> Self {
        RegistryError::Env(e)
    }
}

/// Where a component stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Opened; not yet finalized.
    Open,
    /// `open` failed: not a candidate, never finalized.
    OpenFailed,
    /// Finalized (closed).
    Closed,
}

struct Entry {
    component: Box<dyn Component>,
    priority: i32,
    candidate: bool,
    state: State,
}

/// The component registry. See the [module documentation](self).
pub struct Registry {
    entries: Vec<Entry>,
    selected: Option<usize>,
    module: Option<Box<dyn Module>>,
    /// Selection already attempted (successfully or not) or registry closed.
    done: bool,
    verbose: bool,
    log: Vec<String>,
}

impl Registry {
    /// The built-in components, configured from the process environment.
    pub fn from_env() -> Result<Registry, RegistryError> {
        Registry::open(builtin_components(), env::process_env)
    }

    /// Open `components` (in registration order) and query them, reading `MEMHEAP_COMPONENT`,
    /// `MEMHEAP_VERBOSE` and `MEMHEAP_<NAME>_PRIORITY` through `lookup`.
    ///
    /// Errors: a malformed variable, an unknown or duplicate name, no candidate left.
    pub fn open(
        components: Vec<Box<dyn Component>>,
        lookup: impl Lookup,
    ) -> Result<Registry, RegistryError> {
        let verbose = match lookup(env::MEMHEAP_VERBOSE) {
            Some(v) => env::parse_verbose(env::MEMHEAP_VERBOSE, &v)?,
            None => false,
        };
        let (selection, selection_value) = match lookup(env::MEMHEAP_COMPONENT) {
            Some(v) => (env::parse_selection(env::MEMHEAP_COMPONENT, &v)?, v),
            None => (Selection::All, String::new()),
        };
        let known: Vec<&'static str> = components.iter().map(|c| c.name()).collect();
        for (i, name) in known.iter().enumerate() {
            if known[..i].contains(name) {
                return Err(RegistryError::DuplicateComponent(name));
            }
        }
        if let Some(name) = selection
            .names()
            .iter()
            .find(|n| !known.contains(&n.as_str()))
        {
            return Err(RegistryError::UnknownComponent {
                name: name.clone(),
                value: selection_value,
                known,
            });
        }
        // Parse every priority override before opening anything, so a bad value opens
        // nothing.
        let mut priorities = Vec::with_capacity(components.len());
        for c in &components {
            let var = env::priority_var(c.name());
            priorities.push(match lookup(&var) {
                Some(v) => env::parse_priority(&var, &v)?,
                None => c.default_priority(),
            });
        }
        let mut registry = Registry {
            entries: Vec::with_capacity(components.len()),
            selected: None,
            module: None,
            done: false,
            verbose,
            log: Vec::new(),
        };
        for (component, priority) in components.into_iter().zip(priorities) {
            let name = component.name();
            let state = match component.open() {
                Ok(()) => {
                    registry.say(format!("component {name}: opened"));
                    State::Open
                }
                Err(e) => {
                    registry.say(format!("component {name}: open failed: {e}"));
                    State::OpenFailed
                }
            };
            registry.entries.push(Entry {
                component,
                priority,
                candidate: false,
                state,
            });
        }
        for i in 0..registry.entries.len() {
            let e = &registry.entries[i];
            if e.state != State::Open {
                continue;
            }
            let name = e.component.name();
            let line = if selection.admits(name) {
                registry.entries[i].candidate = true;
                let p = registry.entries[i].priority;
                let how = if p == registry.entries[i].component.default_priority() {
                    "default"
                } else {
                    "set by environment"
                };
                format!("component {name}: queried, priority {p} ({how})")
            } else {
                format!(
                    "component {name}: queried, excluded by {}",
                    env::MEMHEAP_COMPONENT
                )
            };
            registry.say(line);
        }
        if !registry.entries.iter().any(|e| e.candidate) {
            let known = registry.known();
            registry.close();
            return Err(RegistryError::NoCandidate { known });
        }
        Ok(registry)
    }

    /// Record a stage line, and print it on stderr when verbose.
    fn say(&mut self, line: String) {
        let line = format!("memheap: {line}");
        if self.verbose {
            crate::runtime::say(&line);
        }
        self.log.push(line);
    }

    /// Every registered component's name, in registration order.
    pub fn known(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.component.name()).collect()
    }

    /// The candidates with their priorities, in the order `select` tries them (highest
    /// priority first, registration order among equals).
    pub fn candidates(&self) -> Vec<(&'static str, i32)> {
        self.candidate_order()
            .into_iter()
            .map(|i| (self.entries[i].component.name(), self.entries[i].priority))
            .collect()
    }

    fn candidate_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].candidate)
            .collect();
        // Stable sort: registration order breaks ties.
        order.sort_by_key(|&i| std::cmp::Reverse(self.entries[i].priority));
        order
    }

    /// Select a component for `region`: initialise the candidates from the highest priority
    /// down until one succeeds, keep its module, and finalize every other component. Returns
    /// the winner's name. Can be called once.
    ///
    /// # Safety
    /// As [`Component::init`]: `region` is read/write memory that nothing but the selected
    /// module uses until the registry is closed or dropped.
    pub unsafe fn select(&mut self, region: Region) -> Result<&'static str, RegistryError> {
        if self.done {
            return Err(RegistryError::AlreadySelected);
        }
        self.done = true;
        let mut failures = Vec::new();
        for i in self.candidate_order() {
            let name = self.entries[i].component.name();
            // SAFETY: the caller's contract; no other module over `region` exists (earlier
            // candidates failed and built none).
            match unsafe { self.entries[i].component.init(region) } {
                Ok(module) => {
                    self.say(format!(
                        "component {name}: selected, priority {}, region {:p} + {} bytes",
                        self.entries[i].priority,
                        region.as_ptr(),
                        region.len()
                    ));
                    self.module = Some(module);
                    self.selected = Some(i);
                    break;
                }
                Err(e) => {
                    self.say(format!("component {name}: init failed: {e}"));
                    failures.push((name, e));
                }
            }
        }
        // Close every other opened component, whether its init failed or never ran.
        for i in 0..self.entries.len() {
            if Some(i) != self.selected {
                self.close_entry(i);
            }
        }
        match self.selected {
            Some(i) => Ok(self.entries[i].component.name()),
            None => Err(RegistryError::AllFailed { failures }),
        }
    }

    fn close_entry(&mut self, i: usize) {
        if self.entries[i].state == State::Open {
            self.entries[i].component.finalize();
            self.entries[i].state = State::Closed;
            let name = self.entries[i].component.name();
            self.say(format!("component {name}: closed"));
        }
    }

    /// The selected component's name (`None` before selection, after a failed one, and after
    /// [`Registry::close`]).
    pub fn selected(&self) -> Option<&'static str> {
        self.selected.map(|i| self.entries[i].component.name())
    }

    /// The selected component's module.
    pub fn module(&self) -> Option<&dyn Module> {
        self.module.as_deref()
    }

    /// The selected component's module, mutably.
    pub fn module_mut(&mut self) -> Option<&mut (dyn Module + 'static)> {
        self.module.as_deref_mut()
    }

    /// Finalize the selected module and close every component still open. Idempotent;
    /// called by drop.
    pub fn close(&mut self) {
        self.done = true;
        if let Some(mut m) = self.module.take() {
            m.finalize();
            let name = m.component();
            self.say(format!("component {name}: module finalized"));
        }
        for i in 0..self.entries.len() {
            self.close_entry(i);
        }
        self.selected = None;
    }

    /// Every stage line so far (the lines `MEMHEAP_VERBOSE=1` prints).
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// Is `MEMHEAP_VERBOSE` on?
    pub fn verbose(&self) -> bool {
        self.verbose
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("candidates", &self.candidates())
            .field("selected", &self.selected())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::testing::{Counters, FirstFitComponent};
    use crate::segment::{test_base, Segment, SegmentConfig};
    use std::sync::Arc;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn segment() -> Segment {
        Segment::create(&SegmentConfig {
            base: test_base(),
            ..SegmentConfig::with_user_size(4 << 20)
        })
        .unwrap()
    }

    fn select_builtin(pairs: &[(&str, &str)]) -> Result<&'static str, RegistryError> {
        let seg = segment();
        let mut r = Registry::open(builtin_components(), env(pairs))?;
        // SAFETY: the user range is the segment's, which outlives the registry here.
        let name = unsafe { r.select(seg.user_range()) }?;
        assert_eq!(r.selected(), Some(name));
        assert_eq!(r.module().unwrap().component(), name);
        r.close();
        Ok(name)
    }

    #[test]
    fn builtin_list_registers_the_test_component_last() {
        let names: Vec<_> = builtin_components().iter().map(|c| c.name()).collect();
        assert_eq!(names, ["buddy", "ptmalloc", "firstfit"]);
    }

    #[test]
    fn selection_by_environment() {
        assert_eq!(select_builtin(&[]).unwrap(), "buddy");
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "ptmalloc")]).unwrap(),
            "ptmalloc"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "buddy,ptmalloc")]).unwrap(),
            "buddy"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "ptmalloc,buddy")]).unwrap(),
            "buddy"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "^ptmalloc")]).unwrap(),
            "buddy"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "^buddy")]).unwrap(),
            "ptmalloc"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "^buddy,ptmalloc")]).unwrap(),
            "firstfit"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_COMPONENT", "firstfit")]).unwrap(),
            "firstfit"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_PTMALLOC_PRIORITY", "101")]).unwrap(),
            "ptmalloc"
        );
        assert_eq!(
            select_builtin(&[("MEMHEAP_BUDDY_PRIORITY", "-1")]).unwrap(),
            "ptmalloc"
        );
        assert_eq!(
            select_builtin(&[
                ("MEMHEAP_FIRSTFIT_PRIORITY", "1000"),
                ("MEMHEAP_COMPONENT", "^firstfit")
            ])
            .unwrap(),
            "buddy"
        );
        // A tie goes to the first registered.
        assert_eq!(
            select_builtin(&[("MEMHEAP_PTMALLOC_PRIORITY", "100")]).unwrap(),
            "buddy"
        );
        assert_eq!(
            select_builtin(&[
                ("MEMHEAP_BUDDY_PRIORITY", "5"),
                ("MEMHEAP_PTMALLOC_PRIORITY", "5"),
                ("MEMHEAP_FIRSTFIT_PRIORITY", "5")
            ])
            .unwrap(),
            "buddy"
        );
        assert_eq!(
            select_builtin(&[
                ("MEMHEAP_PTMALLOC_PRIORITY", "10"),
                ("MEMHEAP_BUDDY_PRIORITY", "0")
            ])
            .unwrap(),
            "ptmalloc"
        );
    }

    #[test]
    fn selection_errors() {
        let e = Registry::open(
            builtin_components(),
            env(&[("MEMHEAP_COMPONENT", "buddy,slab")]),
        )
        .unwrap_err();
        assert!(matches!(&e, RegistryError::UnknownComponent { name, .. } if name == "slab"));
        let msg = e.to_string();
        assert!(
            msg.contains("\"slab\"") && msg.contains("buddy, ptmalloc, firstfit"),
            "{msg}"
        );
        assert!(msg.contains("MEMHEAP_COMPONENT"), "{msg}");
        let e = Registry::open(builtin_components(), env(&[("MEMHEAP_COMPONENT", "^slab")]))
            .unwrap_err();
        assert!(matches!(e, RegistryError::UnknownComponent { .. }));
        let e = Registry::open(
            builtin_components(),
            env(&[("MEMHEAP_COMPONENT", "buddy,^ptmalloc")]),
        )
        .unwrap_err();
        assert!(
            matches!(e, RegistryError::Env(EnvError::MixedSelection { .. })),
            "{e}"
        );
        let e = Registry::open(
            builtin_components(),
            env(&[("MEMHEAP_COMPONENT", "^buddy,ptmalloc,firstfit")]),
        )
        .unwrap_err();
        assert!(matches!(e, RegistryError::NoCandidate { .. }), "{e}");
        let e = Registry::open(
            builtin_components(),
            env(&[("MEMHEAP_BUDDY_PRIORITY", "high")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("MEMHEAP_BUDDY_PRIORITY") && e.to_string().contains("high"));
        let e =
            Registry::open(builtin_components(), env(&[("MEMHEAP_VERBOSE", "loud")])).unwrap_err();
        assert!(e.to_string().contains("MEMHEAP_VERBOSE"));
        let dup: Vec<Box<dyn Component>> = vec![
            Box::new(FirstFitComponent::default()),
            Box::new(FirstFitComponent::default()),
        ];
        assert!(matches!(
            Registry::open(dup, env(&[])),
            Err(RegistryError::DuplicateComponent("firstfit"))
        ));
    }

    fn probe(name: &'static str, priority: i32) -> (FirstFitComponent, Arc<Counters>) {
        let c = FirstFitComponent {
            name,
            priority,
            ..FirstFitComponent::default()
        };
        let counters = c.counters.clone();
        (c, counters)
    }

    #[test]
    fn lifecycle_failed_and_never_initialised_components_are_finalized_once() {
        let (mut broken, broken_n) = probe("broken", 300);
        broken.fail_init = true;
        let (mut closed, closed_n) = probe("closed", 400);
        closed.fail_open = true;
        let (winner, winner_n) = probe("winner", 200);
        let (loser, loser_n) = probe("loser", 100);
        let (excluded, excluded_n) = probe("excluded", 500);
        let comps: Vec<Box<dyn Component>> = vec![
            Box::new(loser),
            Box::new(broken),
            Box::new(winner),
            Box::new(closed),
            Box::new(excluded),
        ];
        let seg = segment();
        let mut r = Registry::open(comps, env(&[("MEMHEAP_COMPONENT", "^excluded")])).unwrap();
        assert_eq!(
            r.candidates(),
            [("broken", 300), ("winner", 200), ("loser", 100)]
        );
        // SAFETY: the segment outlives the registry.
        assert_eq!(unsafe { r.select(seg.user_range()) }.unwrap(), "winner");
        // (opens, inits, finalizes, module finalizes)
        assert_eq!(broken_n.get(), (1, 1, 1, 0), "init failed, then finalized");
        assert_eq!(
            loser_n.get(),
            (1, 0, 1, 0),
            "init never ran, finalized anyway"
        );
        assert_eq!(excluded_n.get(), (1, 0, 1, 0), "excluded, finalized");
        assert_eq!(
            closed_n.get(),
            (1, 0, 0, 0),
            "failed open: nothing to finalize"
        );
        assert_eq!(winner_n.get(), (1, 1, 0, 0), "winner stays open");
        let p = r.module_mut().unwrap().alloc(10).unwrap();
        assert!(seg.user_range().contains(p.as_ptr()));
        r.close();
        assert_eq!(winner_n.get(), (1, 1, 1, 1), "winner closed at close");
        assert_eq!(r.selected(), None);
        assert!(r.module().is_none());
        r.close();
        drop(r);
        for n in [&broken_n, &loser_n, &excluded_n, &winner_n] {
            assert_eq!(n.get().2, 1, "finalized exactly once");
        }
        assert_eq!(closed_n.get().2, 0);
    }

    #[test]
    fn select_twice_and_all_failing() {
        let seg = segment();
        let (mut a, _) = probe("a", 1);
        a.fail_init = true;
        let (mut b, b_n) = probe("b", 2);
        b.fail_init = true;
        let mut r = Registry::open(vec![Box::new(a), Box::new(b)], env(&[])).unwrap();
        // SAFETY: the segment outlives the registry.
        let e = unsafe { r.select(seg.user_range()) }.unwrap_err();
        match &e {
            RegistryError::AllFailed { failures } => {
                assert_eq!(failures.iter().map(|f| f.0).collect::<Vec<_>>(), ["b", "a"]);
            }
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains("told to fail init"));
        assert_eq!(b_n.get(), (1, 1, 1, 0));
        // SAFETY: as above.
        let again = unsafe { r.select(seg.user_range()) };
        assert!(matches!(again, Err(RegistryError::AlreadySelected)));
        assert_eq!(r.selected(), None);
    }

    #[test]
    fn drop_closes_the_winner() {
        let seg = segment();
        let (w, w_n) = probe("w", 1);
        {
            let mut r = Registry::open(vec![Box::new(w)], env(&[])).unwrap();
            // SAFETY: the segment outlives the registry.
            unsafe { r.select(seg.user_range()) }.unwrap();
        }
        assert_eq!(w_n.get(), (1, 1, 1, 1));
    }

    #[test]
    fn verbose_stage_lines() {
        let seg = segment();
        let mut r = Registry::open(
            builtin_components(),
            env(&[
                ("MEMHEAP_VERBOSE", "1"),
                ("MEMHEAP_COMPONENT", "^firstfit"),
                ("MEMHEAP_PTMALLOC_PRIORITY", "7"),
            ]),
        )
        .unwrap();
        assert!(r.verbose());
        // SAFETY: the segment outlives the registry.
        unsafe { r.select(seg.user_range()) }.unwrap();
        r.close();
        let log = r.log().to_vec();
        let expect_prefixes = [
            "memheap: component buddy: opened",
            "memheap: component ptmalloc: opened",
            "memheap: component firstfit: opened",
            "memheap: component buddy: queried, priority 100 (default)",
            "memheap: component ptmalloc: queried, priority 7 (set by environment)",
            "memheap: component firstfit: queried, excluded by MEMHEAP_COMPONENT",
            "memheap: component buddy: selected, priority 100, region 0x",
            "memheap: component ptmalloc: closed",
            "memheap: component firstfit: closed",
            "memheap: component buddy: module finalized",
            "memheap: component buddy: closed",
        ];
        assert_eq!(log.len(), expect_prefixes.len(), "{log:#?}");
        for (line, want) in log.iter().zip(expect_prefixes) {
            assert!(
                line.starts_with(want),
                "{line:?} should start with {want:?}"
            );
            assert!(!line.contains('\n'));
        }
        // Quiet registries keep the log but print nothing (not observable here beyond the flag).
        let q = Registry::open(builtin_components(), env(&[("MEMHEAP_VERBOSE", "0")])).unwrap();
        assert!(!q.verbose());
        assert_eq!(q.log().len(), 6);
    }
}
