/* Sum reductions on the world team, and the world team's queries. */
#include "check.h"

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(shmem_team_my_pe(SHMEM_TEAM_WORLD) == me);
    CHECK(shmem_team_n_pes(SHMEM_TEAM_WORLD) == n);
    CHECK(shmem_team_my_pe(SHMEM_TEAM_INVALID) == -1);
    CHECK(shmem_team_n_pes(SHMEM_TEAM_INVALID) == -1);
    int *isrc = shmem_malloc(4 * sizeof(int)), *idst = shmem_malloc(4 * sizeof(int));
    long *lsrc = shmem_malloc(4 * sizeof(long)), *ldst = shmem_malloc(4 * sizeof(long));
    CHECK(isrc && idst && lsrc && ldst);
    for (int i = 0; i < 4; i++) {
        isrc[i] = me + i;
        lsrc[i] = (long)me * 1000000000L + i;
    }
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_WORLD, idst, isrc, 4) == 0);
    CHECK(shmem_long_sum_reduce(SHMEM_TEAM_WORLD, ldst, lsrc, 4) == 0);
    long pe_sum = (long)n * (n - 1) / 2;
    for (int i = 0; i < 4; i++) {
        CHECK(idst[i] == (int)pe_sum + n * i);
        CHECK(ldst[i] == pe_sum * 1000000000L + (long)n * i);
    }
    /* In place: dest == source. */
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_WORLD, isrc, isrc, 4) == 0);
    CHECK(isrc[0] == (int)pe_sum);
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_INVALID, idst, isrc, 4) != 0);
    shmem_free(isrc);
    shmem_free(idst);
    shmem_free(lsrc);
    shmem_free(ldst);
    printf("reduce: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
