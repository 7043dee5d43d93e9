/* Static and global data is shared memory after shmem_init: values written before shmem_init
 * are kept, shmem_ptr gives a usable address for a peer's static data (loads and stores reach
 * it), large .bss arrays are reachable to their last byte, and a forked child gets a private
 * copy (its writes do not reach the parent). */
#define _GNU_SOURCE
#include "check.h"
#include <sys/wait.h>
#include <unistd.h>

int initialised = 1234;           /* .data */
static long before_init;          /* .bss, written before shmem_init */
static char big[3 << 20];         /* a multi-page .bss array */

int main(void) {
    before_init = 77;
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(initialised == 1234 && before_init == 77);
    int right = (me + 1) % n, left = (me + n - 1) % n;

    /* shmem_ptr to a peer's static data: store through it, the peer sees it. */
    int *peer = shmem_ptr(&initialised, right);
    CHECK(peer != NULL);
    shmem_barrier_all();
    *peer = 5000 + me;
    shmem_barrier_all();
    CHECK(initialised == 5000 + left);
    char *peer_big = shmem_ptr(&big[sizeof big - 1], right);
    CHECK(peer_big != NULL);
    *peer_big = (char)(me + 1);
    shmem_putmem(&big[0], &me, sizeof me, right);
    shmem_barrier_all();
    CHECK(big[sizeof big - 1] == (char)(left + 1));
    int first;
    __builtin_memcpy(&first, big, sizeof first);
    CHECK(first == left);
    CHECK(shmem_addr_accessible(&big[12345], right) == 1);

    /* A child process does not share the static data. */
    before_init = 1;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        before_init = 2;
        initialised = -1;
        _exit(before_init == 2 ? 0 : 3);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(before_init == 1);
    CHECK(initialised == 5000 + left);
    /* ... and the peers still reach ours. */
    shmem_barrier_all();
    shmem_long_p(&before_init, 10 + me, right);
    shmem_barrier_all();
    CHECK(before_init == 10 + left);
    printf("statics: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
