//! Meeting the other PEs under `mpirun`/PMI, where no launcher of ours hands them a shared
//! area.
//!
//! PE 0 creates the job's rendezvous area (an anonymous memfd, like `memheap-run`'s) and listens
//! on an *abstract* Unix socket named from the job id. Every other PE connects, checks that the
//! listener is a process of its own user (`SO_PEERCRED`), reads PE 0's pid and the memfd's
//! descriptor number, and maps the area through `/proc/<pid>/fd/<n>`. PE 0 answers while it
//! waits for the others to attach and closes the socket when they all have.
//!
//! An abstract socket has no name in any file system and disappears with its socket, so nothing
//! is ever left behind, even when a PE is killed during the rendezvous (a named shared-memory
//! object was left in `/dev/shm` whenever PE 0 was stopped before every PE had attached).

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::time::{Duration, Instant};

use super::area::Area;
use super::Error;

/// First bytes of PE 0's answer.
const MAGIC: [u8; 4] = *b"MHR1";
/// Bytes of PE 0's answer: magic, pid, descriptor number, PE count (little-endian).
const ANSWER: usize = 16;

/// PE 0's side: the area and the socket that tells the others where it is.
#[derive(Debug)]
pub(crate) struct Host {
    listener: UnixListener,
    /// The area's memfd: held open (unread) until every PE has mapped it through `/proc`.
    _fd: OwnedFd,
    answer: [u8; ANSWER],
}

fn socket_addr(name: &str) -> Result<SocketAddr, Error> {
    SocketAddr::from_abstract_name(name.as_bytes()).map_err(|e| Error::Os {
        what: format!("rendezvous socket name {name:?}"),
        source: e,
    })
}

impl Host {
    /// Create the area for `n_pes` PEs and listen on the abstract socket `name`.
    pub fn create(name: &str, n_pes: u32) -> Result<(Area, Host), Error> {
        let (area, fd) = Area::create_memfd(n_pes)?;
        let listener = UnixListener::bind_addr(&socket_addr(name)?).map_err(|e| {
            if e.kind() == io::ErrorKind::AddrInUse {
                Error::Rendezvous(format!(
                    "another job with the same job id is starting on this machine (rendezvous \
                     {name:?}); give each job its own MEMHEAP_JOB_ID"
                ))
            } else {
                Error::Os {
                    what: format!("cannot listen on the rendezvous socket {name:?}"),
                    source: e,
                }
            }
        })?;
        listener.set_nonblocking(true).map_err(|e| Error::Os {
            what: "rendezvous socket".into(),
            source: e,
        })?;
        let mut answer = [0u8; ANSWER];
        answer[..4].copy_from_slice(&MAGIC);
        answer[4..8].copy_from_slice(&std::process::id().to_le_bytes());
        answer[8..12].copy_from_slice(&fd.as_raw_fd().to_le_bytes());
        answer[12..16].copy_from_slice(&n_pes.to_le_bytes());
        Ok((
            area,
            Host {
                listener,
                _fd: fd,
                answer,
            },
        ))
    }

    /// Answer every PE that is waiting to connect; never blocks.
    pub fn serve(&self) {
        while let Ok((mut peer, _)) = self.listener.accept() {
            // A PE that went away before reading its answer will retry or time out.
            let _ = peer.set_nonblocking(false);
            let _ = peer.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = peer.write_all(&self.answer);
        }
    }

    /// The area's memfd (for tests).
    #[cfg(test)]
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self._fd.as_fd()
    }
}

/// The uid of the process at the other end of `stream`.
fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: SO_PEERCRED writes a `ucred` into the buffer whose size `len` gives.
    let r = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

/// Ask PE 0 once: `Ok(None)` when nobody listens yet.
fn ask(name: &str, addr: &SocketAddr, n_pes: u32) -> Result<Option<Area>, Error> {
    let mut stream = match UnixStream::connect_addr(addr) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
            ) =>
        {
            return Ok(None)
        }
        Err(e) => {
            return Err(Error::Os {
                what: format!("cannot connect to the rendezvous socket {name:?}"),
                source: e,
            })
        }
    };
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    match peer_uid(&stream) {
        Ok(uid) if uid == me => {}
        Ok(uid) => {
            return Err(Error::Rendezvous(format!(
                "the rendezvous socket {name:?} belongs to user {uid}, not to this PE's user \
                 {me}; give the job its own MEMHEAP_JOB_ID"
            )))
        }
        Err(e) => {
            return Err(Error::Os {
                what: "SO_PEERCRED on the rendezvous socket".into(),
                source: e,
            })
        }
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; ANSWER];
    if stream.read_exact(&mut answer).is_err() || answer[..4] != MAGIC {
        return Ok(None); // PE 0 went away mid-answer; ask again until the deadline
    }
    let word = |i: usize| u32::from_le_bytes(answer[i..i + 4].try_into().expect("4 bytes"));
    let (pid, fd, theirs) = (word(4) as i32, word(8) as i32, word(12));
    if theirs != n_pes {
        return Err(Error::Mismatch(format!(
            "PE 0 runs a job of {theirs} PEs, this PE was told {n_pes}"
        )));
    }
    Area::attach_peer(pid, fd, n_pes).map(Some)
}

/// Find PE 0's area through the socket `name`, retrying until `timeout` has passed.
pub(crate) fn join(name: &str, pe: u32, n_pes: u32, timeout: Duration) -> Result<Area, Error> {
    let addr = socket_addr(name)?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(area) = ask(name, &addr, n_pes)? {
            return Ok(area);
        }
        if Instant::now() >= deadline {
            return Err(Error::Rendezvous(format!(
                "PE {pe} of {n_pes}: PE 0 did not answer at the rendezvous {name:?} within \
                 {:.1} s; are the PEs on different machines? memheap's shared-memory runtime \
                 needs every PE on one machine (or set MEMHEAP_JOB_ID to the same value on \
                 every PE)",
                timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn peers_find_the_hosts_area_and_nothing_has_a_name() {
        let name = format!("memheap-test-{}-rendezvous", std::process::id());
        let (area, host) = Host::create(&name, 3).unwrap();
        area.header().attached.store(7, Ordering::Relaxed);
        // A second host with the same name is refused with a clear message.
        let e = Host::create(&name, 3).unwrap_err();
        assert!(e.to_string().contains("MEMHEAP_JOB_ID"), "{e}");
        let joiner = {
            let name = name.clone();
            std::thread::spawn(move || {
                join(&name, 1, 3, Duration::from_secs(10))
                    .map(|a| (a.header().attached.load(Ordering::Relaxed), a.n_pes()))
            })
        };
        // Serve until the joiner is through.
        while !joiner.is_finished() {
            host.serve();
            std::thread::sleep(Duration::from_millis(1));
        }
        // The joiner mapped the same area: it sees what the host wrote.
        assert_eq!(joiner.join().unwrap().unwrap(), (7, 3));
        // A joiner told another PE count is refused.
        let wrong = {
            let name = name.clone();
            std::thread::spawn(move || join(&name, 1, 4, Duration::from_secs(10)).map(|_| ()))
        };
        while !wrong.is_finished() {
            host.serve();
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(matches!(wrong.join().unwrap(), Err(Error::Mismatch(_))));
        let fd = host.fd().as_raw_fd();
        assert!(std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .unwrap()
            .to_string_lossy()
            .starts_with("/memfd:memheap-job"));
        drop(host);
        // The socket is gone with the host: nobody answers any more.
        let e = join(&name, 2, 3, Duration::from_millis(50)).unwrap_err();
        assert!(e.to_string().contains("did not answer"), "{e}");
    }
}
