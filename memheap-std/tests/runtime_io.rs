//! I/O safety of the runtime (issue 10 item 10): it never closes a descriptor it does not own.

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;

use memheap_std::runtime::{Error, JobInfo, Runtime};

/// `MEMHEAP_JOB_FD` naming a file of the caller (large enough to be mapped, but not a
/// rendezvous area): init fails with an error naming the variable, and the file stays open.
#[test]
fn init_error_leaves_the_callers_descriptor_open() {
    let path = std::env::temp_dir().join(format!("memheap-runtime-io-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.set_len(1 << 20).unwrap();
    let fd = file.as_raw_fd().to_string();
    let job = JobInfo::from_lookup(&|k| match k {
        "MEMHEAP_RANK" => Some("0".into()),
        "MEMHEAP_N_PES" => Some("1".into()),
        "MEMHEAP_JOB_FD" => Some(fd.clone()),
        _ => None,
    })
    .unwrap();
    let e = Runtime::init(job).unwrap_err();
    assert!(
        matches!(
            e,
            Error::BadEnv {
                var: "MEMHEAP_JOB_FD",
                ..
            }
        ),
        "{e}"
    );
    // Still ours: the same file, readable and writable.
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    assert_eq!(target, path);
    file.rewind().unwrap();
    file.write_all(b"still mine").unwrap();
    file.rewind().unwrap();
    let mut back = [0u8; 10];
    file.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still mine");
    drop(file);
    std::fs::remove_file(&path).unwrap();
}
