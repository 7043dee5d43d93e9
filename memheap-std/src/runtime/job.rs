//! Who am I and how many PEs are there: the launcher's environment.
//!
//! | variable | set by | meaning |
//! |---|---|---|
//! | `MEMHEAP_RANK` | `memheap-run` | this PE's number, `0..MEMHEAP_N_PES` |
//! | `MEMHEAP_N_PES` | `memheap-run` | number of PEs in the job |
//! | `MEMHEAP_JOB_FD` | `memheap-run` | inherited fd of the job's rendezvous area (an anonymous memfd) |
//! | `OMPI_COMM_WORLD_RANK` / `_SIZE` / `_LOCAL_RANK` | Open MPI `mpirun` | rank, size, rank on this node |
//! | `PMI_RANK` / `PMI_SIZE` | PMI launchers (MPICH Hydra, Slurm) | rank, size |
//! | `MEMHEAP_JOB_ID` | user (optional) | names the rendezvous socket under mpirun/PMI; overrides the launcher's job id |
//! | `MEMHEAP_RENDEZVOUS_TIMEOUT` | user (optional) | seconds a PE waits for its peers under mpirun/PMI (default 30) |
//!
//! The first family present wins; none means a single PE. A job has at most [`MAX_PES`] PEs.
//! Under mpirun/PMI the job id is
//! `MEMHEAP_JOB_ID`, else `OMPI_MCA_ess_base_jobid`, else `PMIX_NAMESPACE`, else
//! `SLURM_JOB_ID.SLURM_STEP_ID`, else the parent process id (the launcher's daemon that started
//! every PE of this node).

use std::time::Duration;

use super::Error;

/// PE number set by `memheap-run`.
pub const ENV_RANK: &str = "MEMHEAP_RANK";
/// PE count set by `memheap-run`.
pub const ENV_N_PES: &str = "MEMHEAP_N_PES";
/// Rendezvous-area fd set by `memheap-run`.
pub const ENV_JOB_FD: &str = "MEMHEAP_JOB_FD";
/// Optional job id override for the mpirun/PMI rendezvous.
pub const ENV_JOB_ID: &str = "MEMHEAP_JOB_ID";
/// Optional rendezvous timeout in seconds (mpirun/PMI).
pub const ENV_RENDEZVOUS_TIMEOUT: &str = "MEMHEAP_RENDEZVOUS_TIMEOUT";

/// Default rendezvous timeout under mpirun/PMI.
pub const DEFAULT_RENDEZVOUS_TIMEOUT: Duration = Duration::from_secs(30);

/// Most PEs a job may have (all on one machine); a larger size from the environment is an
/// error, so a bogus value never makes a PE build a huge rendezvous area.
pub const MAX_PES: u32 = 4096;

/// Which launcher started this PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launcher {
    /// `memheap-run`.
    MemheapRun,
    /// Open MPI's `mpirun`.
    OpenMpi,
    /// A PMI launcher (MPICH Hydra, Slurm's PMI).
    Pmi,
    /// None: a single PE.
    Single,
}

/// How the PEs of the job meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Meet {
    /// Inherited memfd.
    Fd(i32),
    /// PE 0's abstract rendezvous socket of this name (see the `rendezvous` module).
    Socket(String),
    /// Single PE: a private area.
    Alone,
}

/// The job as the environment describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobInfo {
    /// This PE's number.
    pub pe: u32,
    /// Number of PEs.
    pub n_pes: u32,
    /// This PE's number among the PEs of its node, when the launcher says.
    pub local_pe: Option<u32>,
    /// Who started us.
    pub launcher: Launcher,
    pub(crate) meet: Meet,
    pub(crate) timeout: Duration,
}

fn parse_u32(var: &'static str, value: &str) -> Result<u32, Error> {
    value.trim().parse::<u32>().map_err(|_| Error::BadEnv {
        var,
        value: value.to_owned(),
        reason: "not a non-negative integer".into(),
    })
}

fn rank_size(
    rank_var: &'static str,
    size_var: &'static str,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(u32, u32)>, Error> {
    let (rank, size) = (get(rank_var), get(size_var));
    let (rank, size) = match (rank, size) {
        (None, None) => return Ok(None),
        (Some(r), Some(s)) => (r, s),
        (Some(r), None) => {
            return Err(Error::BadEnv {
                var: size_var,
                value: String::new(),
                reason: format!("unset while {rank_var}={r} is set"),
            })
        }
        (None, Some(s)) => {
            return Err(Error::BadEnv {
                var: rank_var,
                value: String::new(),
                reason: format!("unset while {size_var}={s} is set"),
            })
        }
    };
    let r = parse_u32(rank_var, &rank)?;
    let s = parse_u32(size_var, &size)?;
    if s == 0 {
        return Err(Error::BadEnv {
            var: size_var,
            value: size,
            reason: "the job must have at least one PE".into(),
        });
    }
    if s > MAX_PES {
        return Err(Error::BadEnv {
            var: size_var,
            value: size,
            reason: format!("more PEs than memheap supports on one machine (at most {MAX_PES})"),
        });
    }
    if r >= s {
        return Err(Error::BadEnv {
            var: rank_var,
            value: rank,
            reason: format!("must be less than {size_var}={s}"),
        });
    }
    Ok(Some((r, s)))
}

/// Keep characters safe in a socket name; replace the rest.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(160)
        .collect()
}

fn socket_name(get: &dyn Fn(&str) -> Option<String>) -> String {
    let id = [ENV_JOB_ID, "OMPI_MCA_ess_base_jobid", "PMIX_NAMESPACE"]
        .iter()
        .find_map(|v| get(v).filter(|s| !s.is_empty()))
        .or_else(|| {
            get("SLURM_JOB_ID").map(|j| format!("{j}.{}", get("SLURM_STEP_ID").unwrap_or_default()))
        })
        // SAFETY: getppid has no preconditions.
        .unwrap_or_else(|| format!("ppid{}", unsafe { libc::getppid() }));
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    format!("memheap-{uid}-{}", sanitize(&id))
}

impl JobInfo {
    /// Read the job from the process environment.
    pub fn from_env() -> Result<JobInfo, Error> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Read the job through `get` (for tests).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<JobInfo, Error> {
        let timeout = match get(ENV_RENDEZVOUS_TIMEOUT) {
            None => DEFAULT_RENDEZVOUS_TIMEOUT,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Duration::from_secs_f64(s),
                _ => {
                    return Err(Error::BadEnv {
                        var: ENV_RENDEZVOUS_TIMEOUT,
                        value: v,
                        reason: "not a positive number of seconds".into(),
                    })
                }
            },
        };
        if let Some((pe, n_pes)) = rank_size(ENV_RANK, ENV_N_PES, get)? {
            let fd = match get(ENV_JOB_FD) {
                Some(v) => v
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|&fd| fd >= 0)
                    .ok_or_else(|| Error::BadEnv {
                        var: ENV_JOB_FD,
                        value: v.clone(),
                        reason: "not a file descriptor number".into(),
                    })?,
                None => {
                    return Err(Error::BadEnv {
                        var: ENV_JOB_FD,
                        value: String::new(),
                        reason: format!(
                            "unset while {ENV_RANK} is set; start the program with memheap-run"
                        ),
                    })
                }
            };
            return Ok(JobInfo {
                pe,
                n_pes,
                local_pe: Some(pe),
                launcher: Launcher::MemheapRun,
                meet: Meet::Fd(fd),
                timeout,
            });
        }
        if let Some((pe, n_pes)) = rank_size("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", get)? {
            let local_pe = match get("OMPI_COMM_WORLD_LOCAL_RANK") {
                Some(v) => Some(parse_u32("OMPI_COMM_WORLD_LOCAL_RANK", &v)?),
                None => None,
            };
            return Ok(JobInfo {
                pe,
                n_pes,
                local_pe,
                launcher: Launcher::OpenMpi,
                meet: Meet::Socket(socket_name(get)),
                timeout,
            });
        }
        if let Some((pe, n_pes)) = rank_size("PMI_RANK", "PMI_SIZE", get)? {
            return Ok(JobInfo {
                pe,
                n_pes,
                local_pe: None,
                launcher: Launcher::Pmi,
                meet: Meet::Socket(socket_name(get)),
                timeout,
            });
        }
        Ok(JobInfo {
            pe: 0,
            n_pes: 1,
            local_pe: Some(0),
            launcher: Launcher::Single,
            meet: Meet::Alone,
            timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn job(vars: &[(&str, &str)]) -> Result<JobInfo, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        JobInfo::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn sources_in_order() {
        let j = job(&[]).unwrap();
        assert_eq!((j.pe, j.n_pes, j.launcher), (0, 1, Launcher::Single));
        let j = job(&[
            ("MEMHEAP_RANK", "2"),
            ("MEMHEAP_N_PES", "4"),
            ("MEMHEAP_JOB_FD", "5"),
            ("PMI_RANK", "0"),
            ("PMI_SIZE", "1"),
        ])
        .unwrap();
        assert_eq!(
            (j.pe, j.n_pes, j.launcher, j.meet),
            (2, 4, Launcher::MemheapRun, Meet::Fd(5))
        );
        let j = job(&[
            ("OMPI_COMM_WORLD_RANK", "1"),
            ("OMPI_COMM_WORLD_SIZE", "3"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "1"),
            ("OMPI_MCA_ess_base_jobid", "12345"),
        ])
        .unwrap();
        assert_eq!(
            (j.pe, j.n_pes, j.local_pe, j.launcher),
            (1, 3, Some(1), Launcher::OpenMpi)
        );
        assert!(matches!(j.meet, Meet::Socket(ref n) if n.ends_with("-12345")));
        let j = job(&[
            ("PMI_RANK", "0"),
            ("PMI_SIZE", "2"),
            ("MEMHEAP_JOB_ID", "a/b c"),
        ])
        .unwrap();
        assert_eq!(j.launcher, Launcher::Pmi);
        assert!(matches!(j.meet, Meet::Socket(ref n) if n.ends_with("-a_b_c")));
    }

    #[test]
    fn malformed_values_are_errors() {
        for vars in [
            &[("PMI_RANK", "x"), ("PMI_SIZE", "2")][..],
            &[("PMI_RANK", "2"), ("PMI_SIZE", "2")],
            &[("PMI_RANK", "0"), ("PMI_SIZE", "0")],
            &[("PMI_RANK", "-1"), ("PMI_SIZE", "2")],
            &[("PMI_RANK", "0")],
            &[("OMPI_COMM_WORLD_SIZE", "4")],
            &[("MEMHEAP_RANK", "0"), ("MEMHEAP_N_PES", "2")],
            &[
                ("MEMHEAP_RANK", "0"),
                ("MEMHEAP_N_PES", "2"),
                ("MEMHEAP_JOB_FD", "abc"),
            ],
            &[("MEMHEAP_RENDEZVOUS_TIMEOUT", "soon")],
            &[("PMI_RANK", "0"), ("PMI_SIZE", "4097")],
            &[
                ("MEMHEAP_RANK", "0"),
                ("MEMHEAP_N_PES", "1000000"),
                ("MEMHEAP_JOB_FD", "3"),
            ],
        ] {
            let e = job(vars).unwrap_err();
            assert!(matches!(e, Error::BadEnv { .. }), "{vars:?}: {e}");
            assert!(!e.to_string().is_empty());
        }
    }
}
