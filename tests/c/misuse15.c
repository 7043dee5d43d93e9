/* Misuse of the OpenSHMEM 1.5 routines: argv[1] names the case. Each must end the job with a
 * non-zero status and a message naming the routine and what is wrong, never crash or go on. */
#include "check.h"
#include <string.h>

static const long read_only = 5;
static long pSync[SHMEM_BCAST_SYNC_SIZE];

int main(int argc, char **argv) {
    shmem_init();
    CHECK(argc == 2);
    int me = shmem_my_pe(), n = shmem_n_pes();
    long *x = shmem_calloc(4, sizeof(long));
    CHECK(x != NULL);
    const char *c = argv[1];
    long local = 0;
    if (!strcmp(c, "misaligned")) {
        (void)shmem_long_atomic_fetch_add((long *)((char *)x + 4), 1, 0);
    } else if (!strcmp(c, "stack_atomic")) {
        shmem_long_atomic_inc(&local, 0);
    } else if (!strcmp(c, "read_only_atomic")) {
        (void)shmem_long_atomic_fetch((long *)&read_only, (me + 1) % n);
    } else if (!strcmp(c, "bad_pe_atomic")) {
        shmem_int_atomic_add((int *)x, 1, n + 2);
    } else if (!strcmp(c, "ctx_pe")) {
        shmem_team_t team;
        CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, 1, NULL, 0, &team) == 0);
        if (me == 0) {
            shmem_ctx_t ctx;
            CHECK(shmem_team_create_ctx(team, 0, &ctx) == 0);
            shmem_ctx_long_p(ctx, x, 1, 1); /* the team has one PE: PE 1 is out of range */
        } else {
            sleep_ms(3000);
        }
    } else if (!strcmp(c, "destroyed_ctx")) {
        shmem_ctx_t ctx;
        CHECK(shmem_ctx_create(0, &ctx) == 0);
        shmem_ctx_destroy(ctx);
        shmem_ctx_long_atomic_inc(ctx, x, 0);
    } else if (!strcmp(c, "sig_op")) {
        shmem_long_put_signal(x, &local, 1, (uint64_t *)&x[2], 1, 7, 0);
    } else if (!strcmp(c, "wait_cmp")) {
        (void)shmem_long_test_any(x, 2, NULL, 42, 0);
    } else if (!strcmp(c, "active_set")) {
        /* PE 0 alone asks for an active set that does not contain it. */
        if (me == 0) shmem_broadcast64(x, x, 1, 0, 1, 0, n - 1, pSync);
        else sleep_ms(3000);
    } else if (!strcmp(c, "stack_psync")) {
        long sync[SHMEM_BARRIER_SYNC_SIZE] = {0};
        shmem_barrier(0, 0, n, sync);
    } else if (!strcmp(c, "bcast_root")) {
        shmem_long_broadcast(SHMEM_TEAM_WORLD, x, x, 1, n);
    } else if (!strcmp(c, "team_twice")) {
        shmem_team_t team;
        CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, n, NULL, 0, &team) == 0);
        shmem_team_destroy(team);
        shmem_team_destroy(team);
    } else if (!strcmp(c, "reduce_huge")) {
        (void)shmem_long_max_reduce(SHMEM_TEAM_WORLD, x, x, (size_t)1 << 62);
    } else {
        CHECK(0 && "unknown case");
    }
    printf("misuse15: PE %d went on after %s\n", me, c);
    shmem_finalize();
    return 0;
}
