#!/bin/sh
# Stand-in for ssh as Open MPI's launch agent (oshrun --mca plm_rsh_agent THIS), to simulate
# several hosts on one machine: oshrun calls "THIS <host> <orted command line>", and this runs
# the command, as a remote shell would, in new UTS, IPC and mount namespaces with <host> as
# the host name and an empty private /dev/shm. ORTE then sees one node per host name, and UCX
# finds no shared memory between the hosts, so PEs on different hosts talk over TCP.
# Needs root (or unprivileged user namespaces). Used by tests/oshrun.rs.
set -eu
host=$1
shift
exec unshare --uts --ipc --mount sh -c 'hostname "$0" && mount -t tmpfs tmpfs /dev/shm && eval "$1"' "$host" "$*"
