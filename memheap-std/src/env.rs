//! Configuration from the environment: the OpenSHMEM variables and the `MEMHEAP_` knobs.
//!
//! Every parser takes the *value* (or a lookup closure standing for the environment), never
//! reads the process environment itself, so tests feed values without mutating global state.
//! [`process_env`] is the lookup that reads the real environment.
//!
//! See the crate documentation for the table of every variable.

use std::fmt;

/// Default size of the user heap when neither `SHMEM_SYMMETRIC_SIZE` nor
/// `SMA_SYMMETRIC_SIZE` is set: 256 MiB, as in Open MPI's OSHMEM.
pub const DEFAULT_SYMMETRIC_SIZE: u64 = 256 << 20;

/// The OpenSHMEM variable giving the user heap size.
pub const SHMEM_SYMMETRIC_SIZE: &str = "SHMEM_SYMMETRIC_SIZE";
/// Deprecated synonym of [`SHMEM_SYMMETRIC_SIZE`]; used only when that one is unset.
pub const SMA_SYMMETRIC_SIZE: &str = "SMA_SYMMETRIC_SIZE";
/// Open MPI OSHMEM's name for the heap size, honoured as a synonym of
/// [`SHMEM_SYMMETRIC_SIZE`] with the lowest precedence (used only when neither
/// [`SHMEM_SYMMETRIC_SIZE`] nor [`SMA_SYMMETRIC_SIZE`] is set), so a job script written for
/// OSHMEM gets the heap it asks for.
pub const SHMEM_SYMMETRIC_HEAP_SIZE: &str = "SHMEM_SYMMETRIC_HEAP_SIZE";
/// The variables that give the user heap size, in order of precedence: the first one set
/// decides, and the others are not read.
pub const SIZE_VARIABLES: [&str; 3] = [
    SHMEM_SYMMETRIC_SIZE,
    SMA_SYMMETRIC_SIZE,
    SHMEM_SYMMETRIC_HEAP_SIZE,
];
/// Base address of the segment.
pub const MEMHEAP_BASE_ADDRESS: &str = "MEMHEAP_BASE_ADDRESS";
/// Huge pages: `auto`, `on` or `off`.
pub const MEMHEAP_HUGEPAGES: &str = "MEMHEAP_HUGEPAGES";
/// Component selection list (`buddy`, `buddy,ptmalloc`, `^ptmalloc`).
pub const MEMHEAP_COMPONENT: &str = "MEMHEAP_COMPONENT";
/// Print each stage of component selection on stderr.
pub const MEMHEAP_VERBOSE: &str = "MEMHEAP_VERBOSE";

/// Alignment every `MEMHEAP_BASE_ADDRESS` must have: 2 MiB (a huge page).
pub const BASE_ALIGN: u64 = 2 << 20;

/// A lookup standing for the environment: `lookup(name)` is the variable's value, if set.
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// The process environment as a [`Lookup`]. Values that are not valid Unicode count as
/// unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A malformed environment variable. Every variant names the variable and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvError {
    /// The value does not follow the variable's grammar; `expected` says what would.
    Invalid {
        /// Variable name.
        var: String,
        /// Its value.
        value: String,
        /// What the grammar accepts.
        expected: &'static str,
    },
    /// The value is well formed but too large to represent.
    Overflow {
        /// Variable name.
        var: String,
        /// Its value.
        value: String,
    },
    /// The base address is zero or not a multiple of [`BASE_ALIGN`].
    Misaligned {
        /// Variable name.
        var: String,
        /// Its value.
        value: String,
    },
    /// A component list mixes names to include with names to exclude (`a,^b`).
    MixedSelection {
        /// Variable name.
        var: String,
        /// Its value.
        value: String,
    },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::Invalid {
                var,
                value,
                expected,
            } => {
                write!(f, "invalid value {value:?} for {var}: expected {expected}")
            }
            EnvError::Overflow { var, value } => {
                write!(f, "invalid value {value:?} for {var}: too large")
            }
            EnvError::Misaligned { var, value } => write!(
                f,
                "invalid value {value:?} for {var}: the address must be a non-zero multiple of \
                 2 MiB (0x200000)"
            ),
            EnvError::MixedSelection { var, value } => write!(
                f,
                "invalid value {value:?} for {var}: a list either includes names or excludes \
                 them (every name prefixed with ^), not both"
            ),
        }
    }
}

impl std::error::Error for EnvError {}

const SIZE_GRAMMAR: &str = "a non-negative integer or floating-point number with an optional \
                            k/K, m/M, g/G or t/T suffix (powers of 1024), e.g. 512M or 1.5G";

/// Parse a symmetric heap size with the OpenSHMEM grammar: a non-negative integer or
/// floating-point number (decimal, optionally with a decimal exponent such as `1e6`), then an
/// optional one-character suffix `k`/`K`, `m`/`M`, `g`/`G` or `t`/`T` multiplying by
/// 2^10, 2^20, 2^30 or 2^40. Characters after the suffix are ignored (`512MB` is 512 MiB);
/// any other character after the number is an error. Leading and trailing whitespace is
/// ignored. The result is `ceil(value × factor)`, computed exactly (no floating-point
/// rounding): `3.1M` is 3250586 and `.5m` is 524288.
///
/// `var` is only used to name the variable in the error.
pub fn parse_size(var: &str, value: &str) -> Result<u64, EnvError> {
    let invalid = || EnvError::Invalid {
        var: var.to_owned(),
        value: value.to_owned(),
        expected: SIZE_GRAMMAR,
    };
    let overflow = || EnvError::Overflow {
        var: var.to_owned(),
        value: value.to_owned(),
    };
    let s = value.trim().as_bytes();
    let mut i = 0;
    // The value is `(mant + a fraction if sticky) × 10^exp10`. At most 38 significant digits
    // are kept exactly (10^38 < 2^127); later nonzero digits only set `sticky`, which is all a
    // ceiling needs.
    let mut mant: u128 = 0;
    let mut exp10: i64 = 0;
    let mut sticky = false;
    let mut sig = 0u32;
    let mut digits = 0usize;
    let mut push = |d: u8, fraction: bool, mant: &mut u128, exp10: &mut i64| {
        if sig < 38 {
            *mant = *mant * 10 + u128::from(d);
            if *mant != 0 {
                sig += 1;
            }
            if fraction {
                *exp10 -= 1;
            }
        } else {
            sticky |= d != 0;
            if !fraction {
                *exp10 += 1;
            }
        }
    };
    while i < s.len() && s[i].is_ascii_digit() {
        push(s[i] - b'0', false, &mut mant, &mut exp10);
        digits += 1;
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - start;
        // Trailing zeros of the fraction change nothing.
        let mut frac = &s[start..i];
        while let [rest @ .., b'0'] = frac {
            frac = rest;
        }
        for &c in frac {
            push(c - b'0', true, &mut mant, &mut exp10);
        }
    }
    if digits == 0 {
        return Err(invalid());
    }
    // Optional decimal exponent: e or E, optional sign, at least one digit.
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        let neg = j < s.len() && s[j] == b'-';
        if j < s.len() && (s[j] == b'-' || s[j] == b'+') {
            j += 1;
        }
        let start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = (e * 10 + i64::from(s[j] - b'0')).min(100_000);
            j += 1;
        }
        if j == start {
            return Err(invalid());
        }
        exp10 += if neg { -e } else { e };
        i = j;
    }
    let shift = match s.get(i) {
        None => 0,
        Some(b'k' | b'K') => 10,
        Some(b'm' | b'M') => 20,
        Some(b'g' | b'G') => 30,
        Some(b't' | b'T') => 40,
        Some(_) => return Err(invalid()),
    };
    if mant == 0 {
        return Ok(0);
    }
    // num = mant × 2^shift, dropping low decimal digits into `sticky` until it fits.
    let num = loop {
        match mant.checked_mul(1u128 << shift) {
            Some(n) => break n,
            None => {
                sticky |= mant % 10 != 0;
                mant /= 10;
                exp10 += 1;
            }
        }
    };
    let result = if exp10 >= 0 {
        let scale = u32::try_from(exp10)
            .ok()
            .and_then(|e| 10u128.checked_pow(e))
            .ok_or_else(overflow)?;
        // With sticky set the value lies strictly between num×scale and (num+1)×scale, and
        // is at least 10^38: always too large for a u64.
        if sticky {
            return Err(overflow());
        }
        num.checked_mul(scale).ok_or_else(overflow)?
    } else {
        match u32::try_from(-exp10)
            .ok()
            .and_then(|e| 10u128.checked_pow(e))
        {
            Some(den) if sticky => num / den + 1,
            Some(den) => num.div_ceil(den),
            // The denominator exceeds u128, so 0 < value < 1.
            None => 1,
        }
    };
    u64::try_from(result).map_err(|_| overflow())
}

/// The user heap size: `SHMEM_SYMMETRIC_SIZE` if set, else the deprecated
/// `SMA_SYMMETRIC_SIZE`, else Open MPI's `SHMEM_SYMMETRIC_HEAP_SIZE`, else
/// [`DEFAULT_SYMMETRIC_SIZE`] (see [`SIZE_VARIABLES`]). Only the variable that decides is
/// parsed: when `SHMEM_` is set, the others are ignored, malformed or not.
pub fn symmetric_size(lookup: impl Lookup) -> Result<u64, EnvError> {
    symmetric_size_from(lookup).map(|(size, _)| size)
}

/// [`symmetric_size`] and the variable it came from (`None`: the default).
pub fn symmetric_size_from(lookup: impl Lookup) -> Result<(u64, Option<&'static str>), EnvError> {
    for var in SIZE_VARIABLES {
        if let Some(v) = lookup(var) {
            return parse_size(var, &v).map(|size| (size, Some(var)));
        }
    }
    Ok((DEFAULT_SYMMETRIC_SIZE, None))
}

/// Parse a base address: hexadecimal with a `0x`/`0X` prefix, or decimal. It must be a
/// non-zero multiple of [`BASE_ALIGN`] (2 MiB).
pub fn parse_base_address(var: &str, value: &str) -> Result<u64, EnvError> {
    let v = value.trim();
    let invalid = || EnvError::Invalid {
        var: var.to_owned(),
        value: value.to_owned(),
        expected: "an address in hexadecimal (0x...) or decimal",
    };
    let parsed = if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        u64::from_str_radix(hex, 16)
    } else {
        if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        v.parse::<u64>()
    };
    let addr = parsed.map_err(|_| EnvError::Overflow {
        var: var.to_owned(),
        value: value.to_owned(),
    })?;
    if addr == 0 || addr % BASE_ALIGN != 0 {
        return Err(EnvError::Misaligned {
            var: var.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(addr)
}

/// Whether the segment uses huge pages (`MEMHEAP_HUGEPAGES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HugePages {
    /// Use 2 MiB huge pages when the system has enough of them, normal pages otherwise.
    #[default]
    Auto,
    /// Use huge pages; failing to get them is an error.
    On,
    /// Normal pages only.
    Off,
}

impl fmt::Display for HugePages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HugePages::Auto => "auto",
            HugePages::On => "on",
            HugePages::Off => "off",
        })
    }
}

/// What [`parse_hugepages`] accepts, as its error says it.
pub const HUGEPAGES_GRAMMAR: &str =
    "auto, on (or yes, true, 1) or off (or no, false, 0), in any case";

/// Parse `auto`, `on` or `off` (case-insensitive; `yes`/`true`/`1` mean on, `no`/`false`/`0`
/// mean off): [`HUGEPAGES_GRAMMAR`].
pub fn parse_hugepages(var: &str, value: &str) -> Result<HugePages, EnvError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(HugePages::Auto),
        "on" | "yes" | "true" | "1" => Ok(HugePages::On),
        "off" | "no" | "false" | "0" => Ok(HugePages::Off),
        _ => Err(EnvError::Invalid {
            var: var.to_owned(),
            value: value.to_owned(),
            expected: HUGEPAGES_GRAMMAR,
        }),
    }
}

/// Parse a boolean-ish verbosity flag (`MEMHEAP_VERBOSE`): a non-negative integer (0 is off,
/// anything else on), or `on`/`yes`/`true`, `off`/`no`/`false` (case-insensitive). Empty
/// means off.
pub fn parse_verbose(var: &str, value: &str) -> Result<bool, EnvError> {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "" | "off" | "no" | "false" => Ok(false),
        "on" | "yes" | "true" => Ok(true),
        _ if v.bytes().all(|c| c.is_ascii_digit()) => Ok(v.bytes().any(|c| c != b'0')),
        _ => Err(EnvError::Invalid {
            var: var.to_owned(),
            value: value.to_owned(),
            expected: "0, 1, on, off, yes, no, true or false",
        }),
    }
}

/// A component selection list (`MEMHEAP_COMPONENT`), in the style of Open MPI's MCA lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every registered component is a candidate (the variable is unset or empty).
    All,
    /// Only these components are candidates (`buddy,ptmalloc`).
    Include(Vec<String>),
    /// Every component but these is a candidate (`^ptmalloc`, `^a,b`).
    Exclude(Vec<String>),
}

impl Selection {
    /// The names the list mentions (empty for [`Selection::All`]).
    pub fn names(&self) -> &[String] {
        match self {
            Selection::All => &[],
            Selection::Include(v) | Selection::Exclude(v) => v,
        }
    }

    /// Is the component `name` a candidate under this selection?
    pub fn admits(&self, name: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Include(v) => v.iter().any(|n| n == name),
            Selection::Exclude(v) => !v.iter().any(|n| n == name),
        }
    }
}

/// Parse a component list: names separated by commas (whitespace around them ignored). A
/// leading `^` excludes: `^a,b` and `^a,^b` both exclude `a` and `b`. Mixing (`a,^b`) is an
/// error, as is an empty name (`a,,b`) or a name with characters other than ASCII letters,
/// digits, `_` and `-`. An empty or all-whitespace value selects everything. Names are not
/// checked against the registered components here; the registry does that.
pub fn parse_selection(var: &str, value: &str) -> Result<Selection, EnvError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(Selection::All);
    }
    let invalid = || EnvError::Invalid {
        var: var.to_owned(),
        value: value.to_owned(),
        expected:
            "a comma-separated list of component names, optionally prefixed with ^ to exclude",
    };
    let exclude = v.starts_with('^');
    let mut names = Vec::new();
    for (k, item) in v.split(',').enumerate() {
        let item = item.trim();
        let name = match item.strip_prefix('^') {
            Some(rest) => {
                if !exclude {
                    return Err(EnvError::MixedSelection {
                        var: var.to_owned(),
                        value: value.to_owned(),
                    });
                }
                rest.trim()
            }
            None => {
                if exclude && k > 0 && v.split(',').skip(1).any(|s| s.trim().starts_with('^')) {
                    // `^a,b,^c`: some later names carry ^ and some do not.
                    return Err(EnvError::MixedSelection {
                        var: var.to_owned(),
                        value: value.to_owned(),
                    });
                }
                item
            }
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(invalid());
        }
        if !names.iter().any(|n: &String| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok(if exclude {
        Selection::Exclude(names)
    } else {
        Selection::Include(names)
    })
}

/// The name of the variable overriding component `name`'s priority:
/// `MEMHEAP_<NAME>_PRIORITY`, the name upper-cased with `-` turned into `_`.
pub fn priority_var(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("MEMHEAP_{upper}_PRIORITY")
}

/// Parse a priority: a decimal integer, optionally signed, in `i32` range.
pub fn parse_priority(var: &str, value: &str) -> Result<i32, EnvError> {
    let v = value.trim();
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(EnvError::Invalid {
            var: var.to_owned(),
            value: value.to_owned(),
            expected: "a decimal integer",
        });
    }
    v.parse::<i32>().map_err(|_| EnvError::Overflow {
        var: var.to_owned(),
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const K: u64 = 1 << 10;
    const M: u64 = 1 << 20;
    const G: u64 = 1 << 30;
    const T: u64 = 1 << 40;

    /// The size grammar, one row per case: value, expected result (`None` = error).
    #[test]
    fn size_grammar_table() {
        let table: &[(&str, Option<u64>)] = &[
            // integers and suffixes
            ("0", Some(0)),
            ("1", Some(1)),
            ("4096", Some(4096)),
            ("1k", Some(K)),
            ("1K", Some(K)),
            ("2m", Some(2 * M)),
            ("2M", Some(2 * M)),
            ("3g", Some(3 * G)),
            ("3G", Some(3 * G)),
            ("1t", Some(T)),
            ("1T", Some(T)),
            ("256M", Some(256 * M)),
            ("6G", Some(6 * G)),
            // floats, rounded up
            ("3.1M", Some(3_250_586)),
            (".5m", Some(524_288)),
            ("0.5M", Some(524_288)),
            ("1.5", Some(2)),
            ("1.", Some(1)),
            ("0.1k", Some(103)),
            ("2.5G", Some(5 * G / 2)),
            ("1.000000000000000000000000000000000000000000001", Some(2)),
            ("1.0000000000000000000000000000000000000000000000", Some(1)),
            ("0.0000000000000000000000000000000000000000000001", Some(1)),
            ("0.0", Some(0)),
            ("000000000000000000000000000000000000000000000012", Some(12)),
            (
                "0.00000000000000000000000000000000000000000000000000000000001T",
                Some(1),
            ),
            (
                "1.0000000000000000000000000000000000000000000000000000000001k",
                Some(1025),
            ),
            (
                "1.99999999999999999999999999999999999999999999999999999999999",
                Some(2),
            ),
            (
                "0.10000000000000000000000000000000000000000000000000000000000001k",
                Some(103),
            ),
            // exponents
            ("1e3", Some(1000)),
            ("1E3k", Some(1000 * K)),
            ("2.5e-1k", Some(256)),
            ("1e+2", Some(100)),
            ("1e-100000000", Some(1)),
            // characters after the suffix are ignored
            ("512MB", Some(512 * M)),
            ("1kxyz", Some(K)),
            ("2Gibibytes", Some(2 * G)),
            // whitespace around the value
            ("  64M\n", Some(64 * M)),
            // limits
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("16777216T", None),
            ("1e20", None),
            ("1e100000000", None),
            ("99999999999999999999999999999999999999999999", None),
            // malformed
            ("", None),
            ("   ", None),
            ("-1", None),
            ("+1", None),
            ("M", None),
            (".", None),
            (".k", None),
            ("1x", None),
            ("1 M", None),
            ("1e", None),
            ("1e+", None),
            ("0x10", None),
            ("inf", None),
            ("nan", None),
            ("1,5M", None),
            ("1..5", None),
            ("١٢", None),
        ];
        for &(value, want) in table {
            let got = parse_size("SHMEM_SYMMETRIC_SIZE", value);
            match want {
                Some(w) => assert_eq!(got, Ok(w), "value {value:?}"),
                None => assert!(got.is_err(), "value {value:?} gave {got:?}"),
            }
        }
    }

    #[test]
    fn size_limit_row_is_exact() {
        // 16777215.9999 * 2^40 = 2^64 - 2^40 + 0.9999 * 2^40, ceil.
        let want = (16_777_215u128 << 40) + (9999u128 << 40).div_ceil(10_000);
        assert_eq!(parse_size("V", "16777215.9999T"), Ok(want as u64));
    }

    #[test]
    fn size_errors_name_variable_and_value() {
        let e = parse_size("SHMEM_SYMMETRIC_SIZE", "12 pages").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("SHMEM_SYMMETRIC_SIZE"), "{msg}");
        assert!(msg.contains("\"12 pages\""), "{msg}");
        let e = parse_size("SMA_SYMMETRIC_SIZE", "1e40").unwrap_err();
        assert!(matches!(e, EnvError::Overflow { .. }));
        assert!(e.to_string().contains("SMA_SYMMETRIC_SIZE"));
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn symmetric_size_precedence() {
        assert_eq!(symmetric_size(env(&[])), Ok(DEFAULT_SYMMETRIC_SIZE));
        assert_eq!(DEFAULT_SYMMETRIC_SIZE, 256 * M);
        assert_eq!(
            symmetric_size(env(&[("SMA_SYMMETRIC_SIZE", "8M")])),
            Ok(8 * M)
        );
        assert_eq!(
            symmetric_size(env(&[("SHMEM_SYMMETRIC_SIZE", "4M")])),
            Ok(4 * M)
        );
        // SHMEM_ wins over SMA_, and a bad SMA_ is not even looked at then.
        assert_eq!(
            symmetric_size(env(&[
                ("SHMEM_SYMMETRIC_SIZE", "4M"),
                ("SMA_SYMMETRIC_SIZE", "8M")
            ])),
            Ok(4 * M)
        );
        assert_eq!(
            symmetric_size(env(&[
                ("SHMEM_SYMMETRIC_SIZE", "4M"),
                ("SMA_SYMMETRIC_SIZE", "bad")
            ])),
            Ok(4 * M)
        );
        let e = symmetric_size(env(&[
            ("SHMEM_SYMMETRIC_SIZE", "bad"),
            ("SMA_SYMMETRIC_SIZE", "8M"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("SHMEM_SYMMETRIC_SIZE"));
        let e = symmetric_size(env(&[("SMA_SYMMETRIC_SIZE", "-3")])).unwrap_err();
        assert!(e.to_string().contains("SMA_SYMMETRIC_SIZE") && e.to_string().contains("-3"));
    }

    #[test]
    fn open_mpi_heap_size_is_the_last_synonym() {
        let h = "SHMEM_SYMMETRIC_HEAP_SIZE";
        assert_eq!(
            symmetric_size_from(env(&[(h, "6M")])),
            Ok((6 * M, Some(SHMEM_SYMMETRIC_HEAP_SIZE)))
        );
        assert_eq!(
            symmetric_size_from(env(&[(h, "6M"), ("SMA_SYMMETRIC_SIZE", "8M")])),
            Ok((8 * M, Some(SMA_SYMMETRIC_SIZE)))
        );
        assert_eq!(
            symmetric_size_from(env(&[(h, "bad"), ("SHMEM_SYMMETRIC_SIZE", "4M")])),
            Ok((4 * M, Some(SHMEM_SYMMETRIC_SIZE)))
        );
        assert_eq!(
            symmetric_size_from(env(&[])),
            Ok((DEFAULT_SYMMETRIC_SIZE, None))
        );
        let e = symmetric_size(env(&[(h, "1.5 GB")])).unwrap_err();
        assert!(
            e.to_string().contains(h) && e.to_string().contains("1.5 GB"),
            "{e}"
        );
    }

    #[test]
    fn base_address_grammar() {
        let v = "MEMHEAP_BASE_ADDRESS";
        assert_eq!(
            parse_base_address(v, "0x200000000000"),
            Ok(0x2000_0000_0000)
        );
        assert_eq!(parse_base_address(v, "0X40000000"), Ok(0x4000_0000));
        assert_eq!(
            parse_base_address(v, " 0x7f0000200000 "),
            Ok(0x7f00_0020_0000)
        );
        assert_eq!(parse_base_address(v, "1073741824"), Ok(1 << 30));
        for bad in [
            "",
            "0x",
            "0xg0000000",
            "12k",
            "-0x200000",
            "0x 200000",
            "1e9",
        ] {
            assert!(
                matches!(parse_base_address(v, bad), Err(EnvError::Invalid { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_base_address(v, "0x10000000000000000"),
            Err(EnvError::Overflow { .. })
        ));
        for bad in ["0", "0x0", "0x1000", "4096", "0x200001"] {
            let e = parse_base_address(v, bad).unwrap_err();
            assert!(matches!(e, EnvError::Misaligned { .. }), "{bad:?}");
            assert!(e.to_string().contains(v) && e.to_string().contains(bad));
        }
    }

    #[test]
    fn hugepages_grammar() {
        let v = "MEMHEAP_HUGEPAGES";
        assert_eq!(parse_hugepages(v, "auto"), Ok(HugePages::Auto));
        assert_eq!(parse_hugepages(v, "ON"), Ok(HugePages::On));
        assert_eq!(parse_hugepages(v, "1"), Ok(HugePages::On));
        assert_eq!(parse_hugepages(v, "yes"), Ok(HugePages::On));
        assert_eq!(parse_hugepages(v, "True"), Ok(HugePages::On));
        assert_eq!(parse_hugepages(v, "false"), Ok(HugePages::Off));
        assert_eq!(parse_hugepages(v, "0"), Ok(HugePages::Off));
        assert_eq!(parse_hugepages(v, "off"), Ok(HugePages::Off));
        assert_eq!(parse_hugepages(v, " no "), Ok(HugePages::Off));
        let e = parse_hugepages(v, "sometimes").unwrap_err();
        assert!(e.to_string().contains("MEMHEAP_HUGEPAGES") && e.to_string().contains("sometimes"));
        assert!(parse_hugepages(v, "").is_err());
        // The error names every word the parser takes, and takes every word it names.
        for word in ["auto", "on", "off", "yes", "no", "true", "false", "1", "0"] {
            assert!(
                e.to_string()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == word),
                "{word} missing from: {e}"
            );
            assert!(parse_hugepages(v, word).is_ok(), "{word}");
        }
    }

    #[test]
    fn verbose_grammar() {
        let v = "MEMHEAP_VERBOSE";
        for on in ["1", "2", "10", "on", "YES", "true"] {
            assert_eq!(parse_verbose(v, on), Ok(true), "{on}");
        }
        for off in ["0", "00", "", "off", "No", "false"] {
            assert_eq!(parse_verbose(v, off), Ok(false), "{off}");
        }
        assert!(parse_verbose(v, "loud").is_err());
        assert!(parse_verbose(v, "-1").is_err());
    }

    #[test]
    fn selection_grammar() {
        let v = "MEMHEAP_COMPONENT";
        let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_selection(v, ""), Ok(Selection::All));
        assert_eq!(
            parse_selection(v, "buddy"),
            Ok(Selection::Include(s(&["buddy"])))
        );
        assert_eq!(
            parse_selection(v, "buddy, ptmalloc"),
            Ok(Selection::Include(s(&["buddy", "ptmalloc"])))
        );
        assert_eq!(
            parse_selection(v, "^ptmalloc"),
            Ok(Selection::Exclude(s(&["ptmalloc"])))
        );
        assert_eq!(
            parse_selection(v, "^a,b"),
            Ok(Selection::Exclude(s(&["a", "b"])))
        );
        assert_eq!(
            parse_selection(v, "^a,^b"),
            Ok(Selection::Exclude(s(&["a", "b"])))
        );
        assert_eq!(parse_selection(v, "a,a"), Ok(Selection::Include(s(&["a"]))));
        for mixed in ["a,^b", "^a,b,^c"] {
            let e = parse_selection(v, mixed).unwrap_err();
            assert!(matches!(e, EnvError::MixedSelection { .. }), "{mixed}");
            assert!(e.to_string().contains(v) && e.to_string().contains(mixed));
        }
        for bad in ["a,,b", ",", "^", "a b", "a;b", "^,a"] {
            assert!(
                matches!(parse_selection(v, bad), Err(EnvError::Invalid { .. })),
                "{bad:?}"
            );
        }
        let sel = parse_selection(v, "^ptmalloc").unwrap();
        assert!(sel.admits("buddy") && !sel.admits("ptmalloc"));
        let sel = parse_selection(v, "ptmalloc").unwrap();
        assert!(!sel.admits("buddy") && sel.admits("ptmalloc"));
        assert!(Selection::All.admits("anything"));
    }

    #[test]
    fn priority_grammar() {
        assert_eq!(priority_var("buddy"), "MEMHEAP_BUDDY_PRIORITY");
        assert_eq!(priority_var("first-fit"), "MEMHEAP_FIRST_FIT_PRIORITY");
        let v = "MEMHEAP_BUDDY_PRIORITY";
        assert_eq!(parse_priority(v, "100"), Ok(100));
        assert_eq!(parse_priority(v, " -5 "), Ok(-5));
        assert_eq!(parse_priority(v, "+7"), Ok(7));
        for bad in ["", "high", "1.5", "--1", "0x10"] {
            assert!(
                matches!(parse_priority(v, bad), Err(EnvError::Invalid { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_priority(v, "99999999999"),
            Err(EnvError::Overflow { .. })
        ));
    }
}
