/* A collective free that is bad on some PEs (an interior pointer on PE 0, or different blocks on
 * different PEs) is reported and acted on identically everywhere: no PE frees, the heaps stay
 * symmetric, the next allocation has the same address on every PE. argv[1]: "interior" or
 * "different". */
#include "check.h"
#include <string.h>

static long addrs[64];

static void same_address_everywhere(void *q, int me, int n) {
    for (int pe = 0; pe < n; pe++) shmem_long_p(&addrs[me], (long)q, pe);
    shmem_barrier_all();
    for (int pe = 0; pe < n; pe++) {
        if (addrs[pe] != (long)q)
            fprintf(stderr, "bad_free: PE %d got %p, PE %d got %#lx\n", me, q, pe, addrs[pe]);
        CHECK(addrs[pe] == (long)q);
    }
    shmem_barrier_all();
}

int main(int argc, char **argv) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(argc == 2 && n <= 64);
    char *p = shmem_malloc(64);
    char *other = shmem_malloc(64);
    CHECK(p != NULL && other != NULL);
    if (!strcmp(argv[1], "interior")) shmem_free(me == 0 ? p + 16 : p);
    else if (!strcmp(argv[1], "different")) shmem_free(me == 0 ? other : p);
    else CHECK(0 && "unknown case");
    char *q = shmem_malloc(64);
    CHECK(q != NULL);
    same_address_everywhere(q, me, n);
    /* Nobody freed: both blocks are still live everywhere and free normally now. */
    shmem_free(p);
    shmem_free(other);
    shmem_free(q);
    char *r = shmem_malloc(64);
    CHECK(r != NULL);
    same_address_everywhere(r, me, n);
    shmem_free(r);
    printf("bad_free: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
