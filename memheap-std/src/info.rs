//! What the tools say about a configuration: [`report`] is the text of `memheap-info` (and
//! `memheap-run --info`), [`shmem_info`] the text `SHMEM_INFO` prints at `shmem_init`.
//!
//! Both list every environment variable the library reads ([`VARIABLES`]) with the value set
//! and the value in effect: the heap size after rounding, the priority each component ends up
//! with, the huge-page setting a word like `yes` stands for. The effective values come from the
//! same parsers the runtime uses, so what is printed is what a PE does.

use std::fmt::Write as _;

use crate::component::Component;
use crate::env::{self, Lookup};
use crate::registry::{builtin_components, Registry};
use crate::runtime::job::{
    JobInfo, Launcher, DEFAULT_RENDEZVOUS_TIMEOUT, ENV_JOB_FD, ENV_JOB_ID, ENV_N_PES, ENV_RANK,
    ENV_RENDEZVOUS_TIMEOUT,
};
use crate::runtime::ENV_CHECK_CALLS;
use crate::segment::{Segment, SegmentConfig, SEGMENT_GRANULE};

/// The library's version (the workspace's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The OpenSHMEM specification version the C library implements (`SHMEM_MAJOR_VERSION`,
/// `SHMEM_MINOR_VERSION`).
pub const OPENSHMEM_VERSION: (u32, u32) = (1, 5);

/// One environment variable the library reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its name; `MEMHEAP_<NAME>_PRIORITY` stands for one variable per component.
    pub name: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

/// The name in [`VARIABLES`] that stands for one priority variable per component.
pub const PRIORITY_PATTERN: &str = "MEMHEAP_<NAME>_PRIORITY";

/// Every environment variable the library reads, in the order the tools print them (the
/// README's environment table lists the same ones).
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: env::SHMEM_SYMMETRIC_SIZE,
        meaning: "size of the symmetric heap per PE: an integer or float with an optional \
                  k/K m/M g/G t/T suffix (powers of 1024), rounded up to 2 MiB; default 256M",
    },
    Variable {
        name: env::SMA_SYMMETRIC_SIZE,
        meaning: "deprecated synonym of SHMEM_SYMMETRIC_SIZE, used only when that is unset",
    },
    Variable {
        name: env::SHMEM_SYMMETRIC_HEAP_SIZE,
        meaning: "Open MPI OSHMEM's name for the heap size, used only when neither \
                  SHMEM_SYMMETRIC_SIZE nor SMA_SYMMETRIC_SIZE is set",
    },
    Variable {
        name: "SHMEM_DEBUG",
        meaning: "any value: check that collective allocations get the same arguments on \
                  every PE, and report failed allocations with the size asked for, the bytes \
                  free and the largest free block",
    },
    Variable {
        name: "SHMEM_INFO",
        meaning: "any value: print this list at shmem_init (PE 0)",
    },
    Variable {
        name: "SHMEM_VERSION",
        meaning: "any value: print the library's name and OpenSHMEM version at shmem_init \
                  (PE 0)",
    },
    Variable {
        name: ENV_CHECK_CALLS,
        meaning: "0/1, on/off: compare each collective allocation's arguments and offsets \
                  across PEs; default on with SHMEM_DEBUG and in debug builds",
    },
    Variable {
        name: env::MEMHEAP_COMPONENT,
        meaning: "heap components to consider: names separated by commas, or ^name to \
                  exclude; default all",
    },
    Variable {
        name: PRIORITY_PATTERN,
        meaning: "a component's priority (an integer): the highest that initialises is \
                  selected",
    },
    Variable {
        name: env::MEMHEAP_VERBOSE,
        meaning: "0/1, on/off: print each stage of component selection",
    },
    Variable {
        name: env::MEMHEAP_BASE_ADDRESS,
        meaning: "address of the symmetric heap on every PE, a multiple of 2 MiB; default \
                  0x200000000000",
    },
    Variable {
        name: env::MEMHEAP_HUGEPAGES,
        meaning: "auto, on (yes, true, 1) or off (no, false, 0): back the heap with 2 MiB \
                  huge pages; on makes their absence an error; default auto",
    },
    Variable {
        name: ENV_RENDEZVOUS_TIMEOUT,
        meaning: "seconds a PE waits for its peers at shmem_init; default 30",
    },
    Variable {
        name: ENV_JOB_ID,
        meaning: "names the rendezvous socket under mpirun/PMI; default the launcher's job id",
    },
    Variable {
        name: ENV_RANK,
        meaning: "set by memheap-run: this PE's number",
    },
    Variable {
        name: ENV_N_PES,
        meaning: "set by memheap-run: the number of PEs",
    },
    Variable {
        name: ENV_JOB_FD,
        meaning: "set by memheap-run: the descriptor of the job's rendezvous area",
    },
];

/// One variable as the tools show it: its value (if set) and the value in effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The variable (a component's priority variable for [`PRIORITY_PATTERN`]).
    pub name: String,
    /// Its value, if set.
    pub value: Option<String>,
    /// The value in effect, in a form a script can read (`4194304`, `on`, `0x200000000000`);
    /// for a malformed value, `error`.
    pub effective: String,
    /// A phrase for people: where the effective value comes from, or the error.
    pub note: String,
    /// What the variable does.
    pub meaning: &'static str,
}

impl Setting {
    /// Is the value malformed (so `shmem_init` would fail)?
    pub fn is_error(&self) -> bool {
        self.effective == "error"
    }
}

/// `bytes` in the largest binary unit it reaches: `256 MiB`, `1.50 GiB`, `512 B`.
fn human(bytes: u64) -> String {
    const UNITS: [(&str, u32); 4] = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if bytes >= 1 << shift {
            return if bytes & ((1 << shift) - 1) == 0 {
                format!("{} {unit}", bytes >> shift)
            } else {
                format!("{:.2} {unit}", bytes as f64 / (1u64 << shift) as f64)
            };
        }
    }
    format!("{bytes} B")
}

/// `bytes` as people read it: `268435456 bytes (256 MiB)`.
fn bytes_text(bytes: u64) -> String {
    format!("{bytes} bytes ({})", human(bytes))
}

/// The user heap a requested size gives: rounded up to [`SEGMENT_GRANULE`], at least one.
pub fn rounded_heap_size(requested: u64) -> Option<u64> {
    requested.max(1).checked_next_multiple_of(SEGMENT_GRANULE)
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

fn setting(
    name: &str,
    meaning: &'static str,
    lookup: &impl Lookup,
    effective: Result<(String, String), String>,
) -> Setting {
    let (effective, note) = match effective {
        Ok(pair) => pair,
        Err(e) => ("error".to_string(), e),
    };
    Setting {
        name: name.to_string(),
        value: lookup(name),
        effective,
        note,
        meaning,
    }
}

/// Every variable of [`VARIABLES`] (one per component for [`PRIORITY_PATTERN`]) with its
/// value and effective value under `lookup`.
pub fn settings(lookup: impl Lookup) -> Vec<Setting> {
    let mut out = Vec::new();
    let size = env::symmetric_size_from(&lookup);
    for var in VARIABLES {
        let name = var.name;
        let eff: Result<(String, String), String> = match name {
            _ if env::SIZE_VARIABLES.contains(&name) => {
                let decides = env::SIZE_VARIABLES.iter().find(|v| lookup(v).is_some());
                match (decides, &size) {
                    (Some(&d), Err(e)) if d == name => Err(e.to_string()),
                    (Some(&d), Ok((bytes, _))) if d == name => match rounded_heap_size(*bytes) {
                        Some(r) if r == *bytes => Ok((r.to_string(), human(r))),
                        Some(r) => Ok((
                            r.to_string(),
                            format!("{}: {bytes} rounded up to a multiple of 2 MiB", human(r)),
                        )),
                        None => Err(format!("{bytes} bytes cannot be rounded up to 2 MiB")),
                    },
                    (Some(&d), _) if lookup(name).is_some() => {
                        Ok(("ignored".into(), format!("{d} is set and takes precedence")))
                    }
                    (None, _) if name == env::SHMEM_SYMMETRIC_SIZE => Ok((
                        env::DEFAULT_SYMMETRIC_SIZE.to_string(),
                        format!("{}, the default", human(env::DEFAULT_SYMMETRIC_SIZE)),
                    )),
                    _ => Ok(("unset".into(), String::new())),
                }
            }
            "SHMEM_DEBUG" | "SHMEM_INFO" | "SHMEM_VERSION" => {
                Ok((on_off(lookup(name).is_some()), String::new()))
            }
            ENV_CHECK_CALLS => match lookup(name) {
                Some(v) => env::parse_verbose(name, &v)
                    .map(|b| (on_off(b), String::new()))
                    .map_err(|e| e.to_string()),
                None => {
                    let on = lookup("SHMEM_DEBUG").is_some() || cfg!(debug_assertions);
                    let why = if lookup("SHMEM_DEBUG").is_some() {
                        "SHMEM_DEBUG is set"
                    } else if cfg!(debug_assertions) {
                        "a debug build"
                    } else {
                        "a release build without SHMEM_DEBUG"
                    };
                    Ok((on_off(on), format!("default for {why}")))
                }
            },
            env::MEMHEAP_VERBOSE => match lookup(name) {
                Some(v) => env::parse_verbose(name, &v)
                    .map(|b| (on_off(b), String::new()))
                    .map_err(|e| e.to_string()),
                None => Ok(("off".into(), "the default".into())),
            },
            // The registry's own parse; quiet, even with MEMHEAP_VERBOSE (nothing is selected).
            env::MEMHEAP_COMPONENT => match Registry::open(builtin_components(), |k: &str| {
                (k != env::MEMHEAP_VERBOSE).then(|| lookup(k)).flatten()
            }) {
                Ok(r) => {
                    let list: Vec<String> =
                        r.candidates().iter().map(|(n, _)| n.to_string()).collect();
                    Ok((
                        list.join(","),
                        "the candidates, in the order they are tried".into(),
                    ))
                }
                Err(e) if e.to_string().contains(env::MEMHEAP_COMPONENT) => Err(e.to_string()),
                Err(_) => Ok(("unknown".into(), "see the error of another variable".into())),
            },
            PRIORITY_PATTERN => {
                for c in builtin_components() {
                    let pvar = env::priority_var(c.name());
                    let eff = match lookup(&pvar) {
                        Some(v) => env::parse_priority(&pvar, &v)
                            .map(|p| (p.to_string(), format!("default {}", c.default_priority())))
                            .map_err(|e| e.to_string()),
                        None => Ok((c.default_priority().to_string(), "the default".into())),
                    };
                    out.push(setting(&pvar, var.meaning, &lookup, eff));
                }
                continue;
            }
            env::MEMHEAP_BASE_ADDRESS => match lookup(name) {
                Some(v) => env::parse_base_address(name, &v)
                    .map(|a| (format!("{a:#x}"), String::new()))
                    .map_err(|e| e.to_string()),
                None => Ok((
                    format!("{:#x}", crate::segment::DEFAULT_BASE_ADDRESS),
                    "the default".into(),
                )),
            },
            env::MEMHEAP_HUGEPAGES => match lookup(name) {
                Some(v) => env::parse_hugepages(name, &v)
                    .map(|h| (h.to_string(), String::new()))
                    .map_err(|e| e.to_string()),
                None => Ok(("auto".into(), "the default".into())),
            },
            ENV_RENDEZVOUS_TIMEOUT => {
                // Only this variable, so that the job variables' errors are theirs.
                let only = |k: &str| (k == name).then(|| lookup(k)).flatten();
                match JobInfo::from_lookup(&only) {
                    Ok(job) => Ok((
                        format!("{}", job.timeout.as_secs_f64()),
                        if lookup(name).is_some() {
                            "seconds".into()
                        } else {
                            format!(
                                "seconds, the default ({} s)",
                                DEFAULT_RENDEZVOUS_TIMEOUT.as_secs()
                            )
                        },
                    )),
                    Err(e) => Err(e.to_string()),
                }
            }
            ENV_JOB_ID => Ok(match lookup(name) {
                Some(v) => (v, String::new()),
                None => (
                    "unset".into(),
                    "the launcher's job id names the socket".into(),
                ),
            }),
            ENV_RANK | ENV_N_PES | ENV_JOB_FD => match lookup(name) {
                None => Ok(("unset".into(), String::new())),
                Some(v) => {
                    // Checked as the runtime checks them, with the timeout left out.
                    let job_vars =
                        |k: &str| (k != ENV_RENDEZVOUS_TIMEOUT).then(|| lookup(k)).flatten();
                    match JobInfo::from_lookup(&job_vars) {
                        Ok(_) => Ok((v, String::new())),
                        Err(e) if e.to_string().contains(name) => Err(e.to_string()),
                        Err(_) => Ok((v, String::new())),
                    }
                }
            },
            _ => Ok((
                lookup(name).unwrap_or_else(|| "unset".into()),
                String::new(),
            )),
        };
        out.push(setting(name, var.meaning, &lookup, eff));
    }
    out
}

/// One component as `memheap-info` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentInfo {
    /// Its name.
    pub name: &'static str,
    /// Its default priority.
    pub default_priority: i32,
    /// The variable overriding it.
    pub priority_var: String,
    /// The priority in effect (`Err`: the variable is malformed).
    pub priority: Result<i32, String>,
    /// Excluded by `MEMHEAP_COMPONENT`?
    pub excluded: bool,
    /// Its configuration over the configured heap (`Err`: why it could not be built).
    pub configuration: Result<String, String>,
}

/// What a PE would get: the heap and the component selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapInfo {
    /// Base address of the heap.
    pub base: u64,
    /// Bytes of the user heap.
    pub bytes: u64,
    /// Backed by 2 MiB huge pages?
    pub huge_pages: bool,
    /// The selected component and its configuration (`Err`: why none could be).
    pub selected: Result<String, String>,
}

/// The components with their priorities and configurations, and the heap a PE would get,
/// found by doing what `shmem_init` does: the segment is created at the configured base (and
/// unmapped again) and every component is initialised over it in turn. `Err` (for the heap)
/// when the segment cannot be created, with the reason.
pub fn components(lookup: impl Lookup) -> (Vec<ComponentInfo>, Result<HeapInfo, String>) {
    let selection =
        lookup(env::MEMHEAP_COMPONENT).map(|v| env::parse_selection(env::MEMHEAP_COMPONENT, &v));
    let segment = SegmentConfig::from_lookup(&lookup)
        .map_err(|e| e.to_string())
        .and_then(|c| Segment::create(&c).map_err(|e| e.to_string()));
    let mut list = Vec::new();
    for c in builtin_components() {
        let var = env::priority_var(c.name());
        let priority = match lookup(&var) {
            Some(v) => env::parse_priority(&var, &v).map_err(|e| e.to_string()),
            None => Ok(c.default_priority()),
        };
        let excluded = matches!(&selection, Some(Ok(s)) if !s.admits(c.name()));
        let configuration = match &segment {
            Ok(seg) => describe(c.as_ref(), seg),
            Err(_) => Err("the heap cannot be created (see heap)".to_string()),
        };
        list.push(ComponentInfo {
            name: c.name(),
            default_priority: c.default_priority(),
            priority_var: var,
            priority,
            excluded,
            configuration,
        });
    }
    let heap = segment.map(|seg| {
        let selected = match Registry::open(builtin_components(), &lookup) {
            // SAFETY: the user range is the segment's read/write memory, used by nothing else;
            // the registry (and its module) is dropped before the segment, at the end of this
            // closure.
            Ok(mut r) => match unsafe { r.select(seg.user_range()) } {
                Ok(_) => Ok(r
                    .module()
                    .map(|m| format!("{} ({})", m.component(), m.configuration()))
                    .unwrap_or_default()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        HeapInfo {
            base: seg.base() as u64,
            bytes: seg.user_range().len() as u64,
            huge_pages: seg.huge_pages(),
            selected,
        }
    });
    (list, heap)
}

/// Component `c` initialised over `seg`'s user range and finalized: its configuration.
fn describe(c: &dyn Component, seg: &Segment) -> Result<String, String> {
    c.open().map_err(|e| e.to_string())?;
    // SAFETY: the user range is the segment's read/write memory; the module is the only user
    // of it until it is finalized and dropped below, before the next component's turn.
    let result = match unsafe { c.init(seg.user_range()) } {
        Ok(mut m) => {
            let text = m.configuration();
            m.finalize();
            Ok(text)
        }
        Err(e) => Err(e.to_string()),
    };
    c.finalize();
    result
}

/// The header line: `memheap 0.1.0 (OpenSHMEM 1.5)`.
pub fn version_line() -> String {
    format!(
        "memheap {VERSION} (OpenSHMEM {}.{})",
        OPENSHMEM_VERSION.0, OPENSHMEM_VERSION.1
    )
}

/// What a tool's `--version` prints: `memheap-run 0.1.0 (OpenSHMEM 1.5)`.
pub fn tool_version(tool: &str) -> String {
    format!(
        "{tool} {VERSION} (OpenSHMEM {}.{})",
        OPENSHMEM_VERSION.0, OPENSHMEM_VERSION.1
    )
}

/// How [`report`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people: sections, aligned columns, the meaning of each variable.
    Text,
    /// For scripts: one `key:value` line per fact, as `oshmem_info --parsable` prints.
    Parsable,
}

/// The report of `memheap-info`: version, job, heap, components (priority, parameter,
/// configuration, which one is selected) and every environment variable with its value and
/// effective value. The flag is `true` when `shmem_init` would fail here: a variable is
/// malformed, or the heap cannot be created or gets no component.
pub fn report(lookup: impl Lookup, format: Format) -> (String, bool) {
    let settings = settings(&lookup);
    let (components, heap) = components(&lookup);

    let job = JobInfo::from_lookup(&|k: &str| lookup(k));
    let (mut components, heap) = (components, heap);
    // In the order selection tries them: highest priority first, registration order on ties.
    components.sort_by_key(|c| std::cmp::Reverse(*c.priority.as_ref().unwrap_or(&i32::MIN)));
    // What makes shmem_init fail here: a malformed variable, or no heap.
    let bad = settings.iter().any(Setting::is_error)
        || heap.as_ref().map_or(true, |h| h.selected.is_err());
    let mut o = String::new();
    match format {
        Format::Parsable => {
            let _ = writeln!(o, "version:memheap:{VERSION}");
            let _ = writeln!(
                o,
                "version:openshmem:{}.{}",
                OPENSHMEM_VERSION.0, OPENSHMEM_VERSION.1
            );
            match &job {
                Ok(j) => {
                    let _ = writeln!(o, "job:launcher:{}", launcher_name(j.launcher));
                    let _ = writeln!(o, "job:pe:{}", j.pe);
                    let _ = writeln!(o, "job:n_pes:{}", j.n_pes);
                }
                Err(e) => {
                    let _ = writeln!(o, "job:error:{e}");
                }
            }
            match &heap {
                Ok(h) => {
                    let _ = writeln!(o, "heap:base:{:#x}", h.base);
                    let _ = writeln!(o, "heap:bytes:{}", h.bytes);
                    let _ = writeln!(
                        o,
                        "heap:huge_pages:{}",
                        if h.huge_pages { "yes" } else { "no" }
                    );
                    match &h.selected {
                        Ok(s) => {
                            let _ = writeln!(o, "heap:component:{s}");
                        }
                        Err(e) => {
                            let _ = writeln!(o, "heap:error:{e}");
                        }
                    }
                }
                Err(e) => {
                    let _ = writeln!(o, "heap:error:{e}");
                }
            }
            for c in &components {
                let n = c.name;
                let _ = writeln!(o, "component:{n}:default_priority:{}", c.default_priority);
                match &c.priority {
                    Ok(p) => {
                        let _ = writeln!(o, "component:{n}:priority:{p}");
                    }
                    Err(e) => {
                        let _ = writeln!(o, "component:{n}:priority:error:{e}");
                    }
                }
                let _ = writeln!(o, "component:{n}:parameter:{}", c.priority_var);
                let _ = writeln!(
                    o,
                    "component:{n}:excluded:{}",
                    if c.excluded { "yes" } else { "no" }
                );
                match &c.configuration {
                    Ok(s) => {
                        let _ = writeln!(o, "component:{n}:configuration:{s}");
                    }
                    Err(e) => {
                        let _ = writeln!(o, "component:{n}:configuration:error:{e}");
                    }
                }
            }
            for s in &settings {
                let _ = writeln!(
                    o,
                    "env:{}:value:{}",
                    s.name,
                    s.value.as_deref().unwrap_or("")
                );
                let _ = writeln!(
                    o,
                    "env:{}:set:{}",
                    s.name,
                    if s.value.is_some() { "yes" } else { "no" }
                );
                let _ = writeln!(o, "env:{}:effective:{}", s.name, s.effective);
                if s.is_error() {
                    let _ = writeln!(o, "env:{}:error:{}", s.name, s.note);
                }
            }
        }
        Format::Text => {
            let _ = writeln!(o, "{}", version_line());
            let _ = writeln!(
                o,
                "job: {}",
                match &job {
                    Ok(j) if j.launcher == Launcher::Single => {
                        "no launcher: this process alone would be PE 0 of 1".to_string()
                    }
                    Ok(j) => format!(
                        "PE {} of {} (started by {})",
                        j.pe,
                        j.n_pes,
                        launcher_name(j.launcher)
                    ),
                    Err(e) => format!("error: {e}"),
                }
            );
            match &heap {
                Ok(h) => {
                    let _ = writeln!(
                        o,
                        "heap: {} per PE at {:#x}, {}",
                        bytes_text(h.bytes),
                        h.base,
                        if h.huge_pages {
                            "2 MiB huge pages"
                        } else {
                            "normal pages"
                        }
                    );
                    let _ = writeln!(
                        o,
                        "selected component: {}",
                        match &h.selected {
                            Ok(s) => s.clone(),
                            Err(e) => format!("none: {e}"),
                        }
                    );
                }
                Err(e) => {
                    let _ = writeln!(o, "heap: cannot be created: {e}");
                }
            }
            let _ = writeln!(
                o,
                "\ncomponents (tried from the highest priority; the first that initialises is selected):"
            );
            for c in &components {
                let prio = match &c.priority {
                    Ok(p) if *p == c.default_priority => format!("{p}"),
                    Ok(p) => format!("{p} (default {})", c.default_priority),
                    Err(e) => format!("error: {e}"),
                };
                let selected = matches!(&heap, Ok(HeapInfo { selected: Ok(s), .. })
                    if s.split(' ').next() == Some(c.name));
                let _ = writeln!(
                    o,
                    "  {:<10} priority {prio}{}",
                    c.name,
                    if c.excluded {
                        format!(", excluded by {}", env::MEMHEAP_COMPONENT)
                    } else if selected {
                        ", selected".to_string()
                    } else {
                        String::new()
                    }
                );
                let _ = writeln!(o, "  {:<10} parameter {}", "", c.priority_var);
                let _ = writeln!(
                    o,
                    "  {:<10} {}",
                    "",
                    match &c.configuration {
                        Ok(s) => format!("configuration: {s}"),
                        Err(e) => format!("cannot be built here: {e}"),
                    }
                );
            }
            let _ = writeln!(
                o,
                "\nenvironment variables (name=value set -> value in effect):"
            );
            write_settings(&mut o, &settings);
            if bad {
                let _ = writeln!(
                    o,
                    "\nerror: shmem_init would fail here (see the error above)"
                );
            }
        }
    }
    (o, bad)
}

fn launcher_name(l: Launcher) -> &'static str {
    match l {
        Launcher::MemheapRun => "memheap-run",
        Launcher::OpenMpi => "Open MPI's mpirun",
        Launcher::Pmi => "a PMI launcher",
        Launcher::Single => "none",
    }
}

fn write_settings(o: &mut String, settings: &[Setting]) {
    for s in settings {
        let set = match &s.value {
            Some(v) => format!("{}={v:?}", s.name),
            None => format!("{} (unset)", s.name),
        };
        let eff = match (s.is_error(), s.note.is_empty()) {
            (true, _) => format!("error: {}", s.note),
            (false, true) => s.effective.clone(),
            (false, false) => format!("{} ({})", s.effective, s.note),
        };
        let _ = writeln!(o, "  {set} -> {eff}");
        let _ = writeln!(o, "      {}", s.meaning);
    }
}

/// What the running heap is, for [`shmem_info`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// PEs in the job.
    pub n_pes: usize,
    /// Base address of the heap.
    pub base: u64,
    /// Bytes of the user heap.
    pub bytes: u64,
    /// Backed by 2 MiB huge pages?
    pub huge_pages: bool,
    /// The selected component with its configuration.
    pub component: String,
}

/// The text `SHMEM_INFO` prints at `shmem_init` (PE 0): the version, the heap as it is (its
/// size after rounding, its component, its pages) and every variable with its value set and
/// its value in effect.
pub fn shmem_info(lookup: impl Lookup, running: &Running) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}, {} PEs", version_line(), running.n_pes);
    let _ = writeln!(
        o,
        "heap: {} per PE at {:#x}, {}, component {}",
        bytes_text(running.bytes),
        running.base,
        if running.huge_pages {
            "2 MiB huge pages"
        } else {
            "normal pages"
        },
        running.component
    );
    let _ = writeln!(
        o,
        "environment variables (name=value set -> value in effect):"
    );
    write_settings(&mut o, &settings(lookup));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn get(pairs: &[(&str, &str)], name: &str) -> Setting {
        settings(env(pairs))
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} not listed"))
    }

    #[test]
    fn every_variable_is_listed_once_with_priorities_expanded() {
        let s = settings(env(&[]));
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        for v in VARIABLES.iter().filter(|v| v.name != PRIORITY_PATTERN) {
            assert_eq!(
                names.iter().filter(|n| **n == v.name).count(),
                1,
                "{}",
                v.name
            );
        }
        assert!(names.contains(&"MEMHEAP_BUDDY_PRIORITY"));
        assert!(names.contains(&"MEMHEAP_PTMALLOC_PRIORITY"));
        assert!(!names.contains(&PRIORITY_PATTERN));
        assert!(s.iter().all(|s| !s.meaning.is_empty()));
        assert!(s.iter().all(|s| !s.is_error()));
    }

    #[test]
    fn heap_size_is_the_rounded_effective_value_from_the_deciding_variable() {
        let s = get(&[], "SHMEM_SYMMETRIC_SIZE");
        assert_eq!((s.value, s.effective.as_str()), (None, "268435456"));
        assert!(
            s.note.contains("256 MiB") && s.note.contains("default"),
            "{}",
            s.note
        );
        let s = get(&[("SHMEM_SYMMETRIC_SIZE", "3.1M")], "SHMEM_SYMMETRIC_SIZE");
        assert_eq!(s.effective, "4194304");
        assert!(s.note.contains("4 MiB: 3250586 rounded up"), "{}", s.note);
        // The synonyms: the first one set decides, the others are ignored.
        let pairs = [
            ("SMA_SYMMETRIC_SIZE", "8M"),
            ("SHMEM_SYMMETRIC_HEAP_SIZE", "6M"),
        ];
        assert_eq!(get(&pairs, "SMA_SYMMETRIC_SIZE").effective, "8388608");
        let s = get(&pairs, "SHMEM_SYMMETRIC_HEAP_SIZE");
        assert_eq!(s.effective, "ignored");
        assert!(s.note.contains("SMA_SYMMETRIC_SIZE"), "{}", s.note);
        assert_eq!(get(&pairs, "SHMEM_SYMMETRIC_SIZE").effective, "unset");
        let s = get(
            &[("SHMEM_SYMMETRIC_HEAP_SIZE", "5M")],
            "SHMEM_SYMMETRIC_HEAP_SIZE",
        );
        assert_eq!(s.effective, "6291456");
        // A malformed deciding value is an error; a malformed ignored one is not.
        let s = get(&[("SMA_SYMMETRIC_SIZE", "lots")], "SMA_SYMMETRIC_SIZE");
        assert!(s.is_error() && s.note.contains("lots"), "{s:?}");
        let pairs = [
            ("SHMEM_SYMMETRIC_SIZE", "4M"),
            ("SMA_SYMMETRIC_SIZE", "lots"),
        ];
        assert_eq!(get(&pairs, "SMA_SYMMETRIC_SIZE").effective, "ignored");
    }

    #[test]
    fn effective_values_of_the_memheap_variables() {
        assert_eq!(
            get(&[("MEMHEAP_HUGEPAGES", "yes")], "MEMHEAP_HUGEPAGES").effective,
            "on"
        );
        assert_eq!(
            get(&[("MEMHEAP_HUGEPAGES", "0")], "MEMHEAP_HUGEPAGES").effective,
            "off"
        );
        assert_eq!(get(&[], "MEMHEAP_HUGEPAGES").effective, "auto");
        let s = get(&[("MEMHEAP_HUGEPAGES", "maybe")], "MEMHEAP_HUGEPAGES");
        assert!(s.is_error() && s.note.contains("yes"), "{s:?}");
        assert_eq!(
            get(
                &[("MEMHEAP_BUDDY_PRIORITY", "200")],
                "MEMHEAP_BUDDY_PRIORITY"
            )
            .effective,
            "200"
        );
        assert_eq!(get(&[], "MEMHEAP_PTMALLOC_PRIORITY").effective, "50");
        assert!(get(
            &[("MEMHEAP_BUDDY_PRIORITY", "high")],
            "MEMHEAP_BUDDY_PRIORITY"
        )
        .is_error());
        // (Unit tests register a third component, `firstfit`, after the built-in two.)
        let both = ("MEMHEAP_COMPONENT", "buddy,ptmalloc");
        assert_eq!(
            get(&[both], "MEMHEAP_COMPONENT").effective,
            "buddy,ptmalloc"
        );
        assert_eq!(
            get(
                &[both, ("MEMHEAP_PTMALLOC_PRIORITY", "200")],
                "MEMHEAP_COMPONENT"
            )
            .effective,
            "ptmalloc,buddy"
        );
        assert_eq!(
            get(
                &[("MEMHEAP_COMPONENT", "^ptmalloc,firstfit")],
                "MEMHEAP_COMPONENT"
            )
            .effective,
            "buddy"
        );
        assert!(get(&[], "MEMHEAP_COMPONENT")
            .effective
            .starts_with("buddy,ptmalloc"));
        let s = get(&[("MEMHEAP_COMPONENT", "tlsf")], "MEMHEAP_COMPONENT");
        assert!(s.is_error() && s.note.contains("buddy"), "{s:?}");
        assert_eq!(
            get(
                &[("MEMHEAP_BASE_ADDRESS", "1073741824")],
                "MEMHEAP_BASE_ADDRESS"
            )
            .effective,
            "0x40000000"
        );
        assert!(get(
            &[("MEMHEAP_BASE_ADDRESS", "0x1234")],
            "MEMHEAP_BASE_ADDRESS"
        )
        .is_error());
        assert_eq!(get(&[("SHMEM_DEBUG", "")], "SHMEM_DEBUG").effective, "on");
        assert_eq!(get(&[], "SHMEM_INFO").effective, "off");
        assert_eq!(
            get(&[("SHMEM_DEBUG", "1")], "MEMHEAP_CHECK_CALLS").effective,
            "on"
        );
        assert_eq!(
            get(
                &[("MEMHEAP_CHECK_CALLS", "off"), ("SHMEM_DEBUG", "1")],
                "MEMHEAP_CHECK_CALLS"
            )
            .effective,
            "off"
        );
        assert_eq!(
            get(
                &[("MEMHEAP_RENDEZVOUS_TIMEOUT", "2.5")],
                "MEMHEAP_RENDEZVOUS_TIMEOUT"
            )
            .effective,
            "2.5"
        );
        assert_eq!(get(&[], "MEMHEAP_RENDEZVOUS_TIMEOUT").effective, "30");
        assert!(get(
            &[("MEMHEAP_RENDEZVOUS_TIMEOUT", "soon")],
            "MEMHEAP_RENDEZVOUS_TIMEOUT"
        )
        .is_error());
        let s = get(&[("MEMHEAP_RANK", "0")], "MEMHEAP_RANK");
        assert!(s.is_error() && s.note.contains("MEMHEAP_N_PES"), "{s:?}");
        let pairs = [("MEMHEAP_RANK", "0"), ("MEMHEAP_N_PES", "2")];
        let s = get(&pairs, "MEMHEAP_RANK");
        assert!(s.is_error() && s.note.contains("MEMHEAP_JOB_FD"), "{s:?}");
        let s = get(
            &[
                ("MEMHEAP_RANK", "1"),
                ("MEMHEAP_N_PES", "2"),
                ("MEMHEAP_JOB_FD", "3"),
            ],
            "MEMHEAP_N_PES",
        );
        assert_eq!((s.effective.as_str(), s.is_error()), ("2", false));
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes_text(268_435_456), "268435456 bytes (256 MiB)");
        assert_eq!(human(3 << 29), "1.50 GiB");
        assert_eq!(human(512), "512 B");
        assert_eq!(rounded_heap_size(0), Some(2 << 20));
        assert_eq!(rounded_heap_size(3_250_586), Some(4 << 20));
        assert_eq!(rounded_heap_size(u64::MAX), None);
    }

    #[test]
    fn the_readme_environment_table_and_the_variables_agree() {
        let readme = include_str!("../../README.md");
        // The rows of the table under "## Environment".
        let table: Vec<&str> = readme
            .lines()
            .skip_while(|l| *l != "## Environment")
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter(|l| l.starts_with("| `"))
            .collect();
        assert!(table.len() >= 10, "no environment table found in README.md");
        for v in VARIABLES {
            assert!(
                table.iter().any(|l| l.contains(&format!("`{}`", v.name))),
                "README.md's environment table lacks {}",
                v.name
            );
        }
        // And the other way: every variable the table documents is one the tools print.
        for row in &table {
            let first = row.split('|').nth(1).unwrap_or_default();
            for name in first.split('`').skip(1).step_by(2) {
                assert!(
                    VARIABLES.iter().any(|v| v.name == name),
                    "README.md documents {name}, which info::VARIABLES (memheap-info, \
                     SHMEM_INFO) does not list"
                );
            }
        }
    }
}
