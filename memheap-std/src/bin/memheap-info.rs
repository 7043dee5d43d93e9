//! `memheap-info`: what memheap would do here, like Open MPI's `oshmem_info`: the version, the
//! heap a PE would get (size after rounding, base, pages), the components with their
//! priorities, parameters and configurations, and every environment variable with its value
//! and its value in effect. The option text is [`HELP`].

use std::io::Write;

use memheap_std::env::process_env;
use memheap_std::info::{report, tool_version, Format};

const HELP: &str = "\
usage: memheap-info [--parsable] | --help | --version

Print what memheap would do in this environment, as a PE started here would see it:
  * the library's version and the OpenSHMEM version it implements;
  * the job (PE and number of PEs, when started by a launcher);
  * the symmetric heap: its size per PE after rounding, its base address, normal or huge pages
    (found by creating the heap's segment as shmem_init does, then removing it);
  * every heap component: its priority (default and in effect), the variable that sets it,
    whether MEMHEAP_COMPONENT excludes it, its configuration over this heap, and which one is
    selected;
  * every environment variable memheap reads: the value set and the value in effect.

options:
  --parsable      one fact per line, as key:value (version:, job:, heap:, component:NAME:,
                  env:NAME:value/set/effective/error), for scripts
  -h, --help      print this help and exit
  -V, --version   print the version and exit

exit status: 0; 1 when shmem_init would fail here (a malformed variable, or a heap that cannot
be created or gets no component: the error is shown); 2 for a bad command line.
";

fn main() {
    let mut format = Format::Text;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--parsable" | "--parseable" => format = Format::Parsable,
            "-h" | "--help" => {
                print!("{HELP}");
                return;
            }
            "-V" | "--version" => {
                println!("{}", tool_version("memheap-info"));
                return;
            }
            other => {
                let _ = std::io::stderr().write_all(
                    format!(
                        "memheap-info: unknown option {other:?}; known options: --parsable, \
                         --help, --version\n"
                    )
                    .as_bytes(),
                );
                std::process::exit(2);
            }
        }
    }
    let (text, bad) = report(process_env, format);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    if bad {
        std::process::exit(1);
    }
}
