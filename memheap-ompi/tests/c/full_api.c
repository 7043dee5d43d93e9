/*
 * full_api.c - the parts of OpenSHMEM that memheap's own library leaves out, run by Open MPI's
 * OSHMEM over the rbuddy component: every symmetric object (data, pSync, pWrk) is on the heap
 * that rbuddy places. Atomics (fetch-add, add, inc, compare-swap, swap, fetch), broadcast,
 * collect and fcollect, reductions (sum, max, min, prod on int, long and double), and
 * non-blocking puts and gets (_nbi) completed by shmem_quiet. Each PE prints
 * "full_api: PE n ok" at the end.
 */
#include "check.h" /* CHECK, as in the project's C tests (oshrun.rs adds -I tests/c) */
#include <shmem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define N 16 /* elements per PE in the collectives */

static long *new_psync(size_t count) {
    long *p = shmem_malloc(count * sizeof(long));
    CHECK(p != NULL);
    for (size_t i = 0; i < count; i++) p[i] = SHMEM_SYNC_VALUE;
    shmem_barrier_all(); /* every PE's pSync is initialised before anyone uses it */
    return p;
}

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int right = (me + 1) % n, left = (me + n - 1) % n;

    /* Atomics on PE 0's counters. */
    long *counter = shmem_calloc(4, sizeof(long));
    int *icounter = shmem_calloc(1, sizeof(int));
    CHECK(counter && icounter);
    long before = shmem_long_atomic_fetch_add(&counter[0], me + 1, 0);
    CHECK(before >= 0);
    shmem_long_atomic_add(&counter[1], 10, 0);
    shmem_int_atomic_inc(icounter, 0);
    /* Compare-and-swap: exactly one PE wins the slot. */
    long won = shmem_long_atomic_compare_swap(&counter[2], 0, me + 100, 0) == 0;
    shmem_barrier_all();
    long total = shmem_long_atomic_fetch(&counter[0], 0);
    CHECK(total == (long)n * (n + 1) / 2);
    CHECK(shmem_long_atomic_fetch(&counter[1], 0) == 10L * n);
    CHECK(shmem_int_atomic_fetch(icounter, 0) == n);
    long winner = shmem_long_atomic_fetch(&counter[2], 0);
    CHECK(winner >= 100 && winner < 100 + n);
    CHECK(won == (winner == me + 100));
    shmem_barrier_all();
    /* Swap: each PE leaves its number in its right neighbour's slot 3. */
    shmem_long_atomic_swap(&counter[3], me, right);
    shmem_barrier_all();
    CHECK(counter[3] == left);

    /* Broadcast from PE 0 (and from the last PE). */
    long *bsrc = shmem_malloc(N * sizeof(long)), *bdst = shmem_malloc(N * sizeof(long));
    long *psync = new_psync(SHMEM_BCAST_SYNC_SIZE);
    CHECK(bsrc && bdst);
    for (int root = 0; root < n; root += (n > 1 ? n - 1 : 1)) {
        for (int i = 0; i < N; i++) {
            bsrc[i] = 1000L * root + i;
            bdst[i] = -1;
        }
        shmem_barrier_all();
        shmem_broadcast64(bdst, bsrc, N, root, 0, 0, n, psync);
        shmem_barrier_all();
        for (int i = 0; i < N; i++) CHECK(me == root ? bdst[i] == -1 : bdst[i] == 1000L * root + i);
    }

    /* fcollect: N elements from every PE; collect: me + 1 elements from PE me. */
    long *csrc = shmem_malloc(N * sizeof(long));
    long *cdst = shmem_malloc((size_t)N * (size_t)n * sizeof(long));
    long *psync2 = new_psync(SHMEM_COLLECT_SYNC_SIZE);
    CHECK(csrc && cdst);
    for (int i = 0; i < N; i++) csrc[i] = 100L * me + i;
    shmem_barrier_all();
    shmem_fcollect64(cdst, csrc, N, 0, 0, n, psync2);
    shmem_barrier_all();
    for (int pe = 0; pe < n; pe++)
        for (int i = 0; i < N; i++) CHECK(cdst[pe * N + i] == 100L * pe + i);
    shmem_barrier_all();
    shmem_collect64(cdst, csrc, (size_t)me + 1, 0, 0, n, psync2);
    shmem_barrier_all();
    int at = 0;
    for (int pe = 0; pe < n; pe++)
        for (int i = 0; i <= pe; i++) CHECK(cdst[at++] == 100L * pe + i);

    /* Reductions over all PEs. */
    int *isrc = shmem_malloc(N * sizeof(int)), *idst = shmem_malloc(N * sizeof(int));
    long *lsrc = shmem_malloc(N * sizeof(long)), *ldst = shmem_malloc(N * sizeof(long));
    double *dsrc = shmem_malloc(N * sizeof(double)), *ddst = shmem_malloc(N * sizeof(double));
    size_t wrk = N / 2 + 1 > SHMEM_REDUCE_MIN_WRKDATA_SIZE ? N / 2 + 1 : SHMEM_REDUCE_MIN_WRKDATA_SIZE;
    int *iwrk = shmem_malloc(wrk * sizeof(int));
    long *lwrk = shmem_malloc(wrk * sizeof(long));
    double *dwrk = shmem_malloc(wrk * sizeof(double));
    long *rsync = new_psync(SHMEM_REDUCE_SYNC_SIZE);
    CHECK(isrc && idst && lsrc && ldst && dsrc && ddst && iwrk && lwrk && dwrk);
    for (int i = 0; i < N; i++) {
        isrc[i] = me + i;
        lsrc[i] = (long)(me + 1) * (i + 1);
        dsrc[i] = 0.5 * me + i;
    }
    shmem_barrier_all();
    shmem_int_sum_to_all(idst, isrc, N, 0, 0, n, iwrk, rsync);
    shmem_barrier_all();
    shmem_long_max_to_all(ldst, lsrc, N, 0, 0, n, lwrk, rsync);
    shmem_barrier_all();
    shmem_double_sum_to_all(ddst, dsrc, N, 0, 0, n, dwrk, rsync);
    shmem_barrier_all();
    int pe_sum = n * (n - 1) / 2;
    for (int i = 0; i < N; i++) {
        CHECK(idst[i] == pe_sum + n * i);
        CHECK(ldst[i] == (long)n * (i + 1));
        CHECK(ddst[i] == 0.5 * pe_sum + (double)n * i);
    }
    shmem_long_min_to_all(ldst, lsrc, N, 0, 0, n, lwrk, rsync);
    shmem_barrier_all();
    for (int i = 0; i < N; i++) CHECK(ldst[i] == i + 1);
    for (int i = 0; i < N; i++) lsrc[i] = i == 0 ? 2 : 1;
    shmem_barrier_all();
    shmem_long_prod_to_all(ldst, lsrc, N, 0, 0, n, lwrk, rsync);
    shmem_barrier_all();
    CHECK(ldst[0] == 1L << n && ldst[1] == 1);

    /* Non-blocking puts and gets, completed by shmem_quiet. */
    size_t len = 1 << 16;
    unsigned char *nbi = shmem_malloc(len);
    unsigned char *local = malloc(len);
    CHECK(nbi && local);
    memset(nbi, 0, len);
    for (size_t i = 0; i < len; i++) local[i] = (unsigned char)(i * 3 + me);
    shmem_barrier_all();
    shmem_putmem_nbi(nbi, local, len / 2, right);
    shmem_long_put_nbi((long *)(nbi + len / 2), (long *)(local + len / 2), len / 2 / sizeof(long),
                       right);
    shmem_quiet();
    shmem_barrier_all();
    for (size_t i = 0; i < len; i++) CHECK(nbi[i] == (unsigned char)(i * 3 + left));
    memset(local, 0, len);
    shmem_getmem_nbi(local, nbi, len, right);
    shmem_quiet();
    for (size_t i = 0; i < len; i++) CHECK(local[i] == (unsigned char)(i * 3 + me));
    shmem_barrier_all();

    free(local);
    void *all[] = { counter, icounter, bsrc, bdst, psync, csrc, cdst, psync2, isrc, idst, lsrc,
                    ldst, dsrc, ddst, iwrk, lwrk, dwrk, rsync, nbi };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) shmem_free(all[i]);
    printf("full_api: PE %d ok\n", me);
    fflush(stdout);
    shmem_finalize();
    return 0;
}
