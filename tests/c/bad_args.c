/* Bad arguments to RMA, atomic and collective routines (argv[1] names the case): the library
 * must print a message naming the routine and end the job with status 1, never crash (SIGSEGV, a
 * Rust panic, an abort). "queries" is the one case that must succeed: code is not symmetric data.
 * A fetching atomic's old value must not reach its fetch buffer: the check comes first. */
#include "check.h"
#include <stdint.h>
#include <string.h>

static const char read_only[64] = "symmetric? no: read-only data";
static long writable[4];

int main(int argc, char **argv) {
    shmem_init();
    CHECK(argc == 2);
    int me = shmem_my_pe(), n = shmem_n_pes(), right = (me + 1) % n;
    long *x = shmem_malloc(4 * sizeof(long));
    CHECK(x != NULL);
    long v[4] = {1, 2, 3, 4};
    void *code = (void *)main;
    /* The runtime's private range follows the 4 MiB user heap (SHMEM_SYMMETRIC_SIZE=4M). */
    CHECK(getenv("SHMEM_SYMMETRIC_SIZE") && !strcmp(getenv("SHMEM_SYMMETRIC_SIZE"), "4M"));
    char *private_range = (char *)((uintptr_t)x & ~(uintptr_t)((2 << 20) - 1)) + (4 << 20);
    const char *c = argv[1];
    shmem_barrier_all();
    if (!strcmp(c, "put_null_source")) shmem_putmem(x, NULL, 16, right);
    else if (!strcmp(c, "get_null_dest")) shmem_getmem(NULL, x, 16, right);
    else if (!strcmp(c, "p_null_dest")) shmem_long_p(NULL, 5, right);
    else if (!strcmp(c, "iget_null_dest")) shmem_long_iget(NULL, x, 1, 1, 2, right);
    else if (!strcmp(c, "iput_wrapping_stride")) shmem_long_iput(x, v, PTRDIFF_MAX, 1, 2, right);
    else if (!strcmp(c, "iget_wrapping_stride")) shmem_long_iget(v, x, 1, PTRDIFF_MAX, 2, right);
    else if (!strcmp(c, "put_private_range")) shmem_putmem(private_range, v, 8, right);
    else if (!strcmp(c, "get_private_range")) shmem_getmem(v, private_range, 8, me);
    else if (!strcmp(c, "reduce_huge")) shmem_int_sum_reduce(SHMEM_TEAM_WORLD, (int *)x, (int *)x, (size_t)1 << 62);
    else if (!strcmp(c, "reduce_large")) shmem_int_sum_reduce(SHMEM_TEAM_WORLD, (int *)x, (int *)x, (size_t)1 << 38);
    else if (!strcmp(c, "put_code_self")) shmem_putmem(code, v, 8, me);
    else if (!strcmp(c, "put_code_peer")) shmem_putmem(code, v, 8, right);
    else if (!strcmp(c, "put_read_only_self")) shmem_putmem((void *)read_only, v, 8, me);
    else if (!strcmp(c, "put_read_only_peer")) shmem_putmem((void *)read_only, v, 8, right);
    else if (!strcmp(c, "get_into_code")) shmem_getmem(code, x, 8, right);
    else if (!strcmp(c, "get_into_read_only")) shmem_getmem((void *)read_only, writable, 8, me);
    /* The OpenSHMEM 1.5 forms: non-blocking, on contexts, with a signal, atomics, collectives. */
    else if (!strcmp(c, "put_nbi_null_source")) shmem_putmem_nbi(x, NULL, 16, right);
    else if (!strcmp(c, "get_nbi_null_dest")) shmem_long_get_nbi(NULL, x, 1, right);
    else if (!strcmp(c, "get_nbi_private_range")) shmem_getmem_nbi(v, private_range, 8, me);
    else if (!strcmp(c, "ctx_put_null_source")) shmem_ctx_putmem(SHMEM_CTX_DEFAULT, x, NULL, 16, right);
    else if (!strcmp(c, "ctx_put_private_range")) shmem_ctx_long_put(SHMEM_CTX_DEFAULT, (long *)private_range, v, 1, right);
    else if (!strcmp(c, "ctx_iget_wrapping_stride")) shmem_ctx_long_iget(SHMEM_CTX_DEFAULT, v, x, 1, PTRDIFF_MAX, 2, right);
    else if (!strcmp(c, "put_signal_null_source")) shmem_putmem_signal(x, NULL, 8, (uint64_t *)&x[2], 1, SHMEM_SIGNAL_SET, right);
    else if (!strcmp(c, "signal_private_range")) shmem_long_put_signal_nbi(x, v, 1, (uint64_t *)private_range, 1, SHMEM_SIGNAL_ADD, right);
    else if (!strcmp(c, "atomic_private_range")) shmem_long_atomic_inc((long *)private_range, right);
    else if (!strcmp(c, "atomic_read_only")) shmem_long_atomic_add((long *)(void *)read_only, 1, right);
    else if (!strcmp(c, "fetch_nbi_null")) shmem_long_atomic_fetch_inc_nbi(NULL, x, right);
    else if (!strcmp(c, "fetch_nbi_into_code")) shmem_ctx_long_atomic_fetch_nbi(SHMEM_CTX_DEFAULT, (long *)code, x, right);
    else if (!strcmp(c, "broadcast_into_read_only")) shmem_long_broadcast(SHMEM_TEAM_WORLD, (long *)(void *)read_only, x, 1, 0);
    else if (!strcmp(c, "reduce_private_range")) shmem_long_sum_reduce(SHMEM_TEAM_WORLD, (long *)private_range, x, 1);
    else if (!strcmp(c, "queries")) {
        for (int pe = 0; pe < n; pe++) {
            CHECK(shmem_addr_accessible(code, pe) == 0);
            CHECK(shmem_addr_accessible(private_range, pe) == 0);
            CHECK(shmem_ptr(code, pe) == NULL);
            CHECK(shmem_ptr(private_range, pe) == NULL);
            CHECK(shmem_addr_accessible(writable, pe) == 1);
            CHECK(shmem_addr_accessible(x, pe) == 1);
        }
        /* Reading read-only data is fine (it is the same on every PE). */
        char buf[8];
        shmem_getmem(buf, read_only, 8, right);
        CHECK(!memcmp(buf, read_only, 8));
        printf("bad_args: PE %d queries ok\n", me);
        shmem_finalize();
        return 0;
    } else CHECK(0 && "unknown case");
    printf("bad_args: returned from %s\n", c);
    shmem_finalize();
    return 0;
}
