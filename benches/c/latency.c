/*
 * latency.c - latency of single OpenSHMEM operations, written against shmem.h only (the
 * OpenSHMEM 1.4 names Open MPI's OSHMEM 4.1 also has, plus the 1.5 team reduction when the
 * header is 1.5), so the same source builds with oshcc and with memheap-cc.
 *
 * usage: latency [REPS] [ITERS]       (defaults 15 and 2000)
 * Every figure is the median over REPS repetitions of ITERS operations (per operation, in
 * nanoseconds, counted until every PE is done: one barrier per repetition is included);
 * PE 0 prints one line per figure:
 *   RESULT pes=N op=NAME bytes=B ns=V
 * Operations:
 *   long_p             ping-pong between PE pairs (0,1), (2,3), ... at once: shmem_long_p to
 *                      the partner, which waits (shmem_long_wait_until) and answers; half a
 *                      round trip
 *   fetch_add          shmem_long_atomic_fetch_add on the right neighbour's word, every PE at
 *                      once (a blocking round trip each)
 *   barrier_all        shmem_barrier_all
 *   broadcast64        shmem_broadcast64 from PE 0 over all PEs (8 B and 1 MiB), a fresh pSync
 *                      per call so that none is reused
 *   sum_to_all         shmem_long_sum_to_all over all PEs (1 and 1024 elements), fresh pSync
 *   sum_reduce         shmem_long_sum_reduce(SHMEM_TEAM_WORLD, ...) (1.5 headers only)
 */
#define _POSIX_C_SOURCE 200809L
#include <shmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int me, npes, reps = 15, iters = 2000;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void report(const char *op, long bytes, double ns) {
    if (me == 0) {
        printf("RESULT pes=%d op=%s bytes=%ld ns=%.1f\n", npes, op, bytes, ns);
        fflush(stdout);
    }
}

#define MAX_ITERS 4000
static long ping;
static long counter;
static long psync[MAX_ITERS][SHMEM_REDUCE_SYNC_SIZE > SHMEM_BCAST_SYNC_SIZE
                                 ? SHMEM_REDUCE_SYNC_SIZE
                                 : SHMEM_BCAST_SYNC_SIZE];
static long pwrk[1024 + SHMEM_REDUCE_MIN_WRKDATA_SIZE];
static long red_src[1024], red_dst[1024];

static void reset_psync(void) {
    for (int i = 0; i < iters; i++)
        for (size_t k = 0; k < sizeof psync[0] / sizeof psync[0][0]; k++)
            psync[i][k] = SHMEM_SYNC_VALUE;
    shmem_barrier_all();
}

/* Per-operation time of `body` run `iters` times on every PE, until every PE is done (a
 * barrier starts and ends each repetition, so a root that returns early does not count as
 * done), median over `reps`, on PE 0's clock. */
#define MEASURE(op, bytes, setup, body)                                                       \
    do {                                                                                      \
        double t[64];                                                                         \
        for (int r = 0; r < reps; r++) {                                                      \
            setup;                                                                            \
            shmem_barrier_all();                                                              \
            double t0 = now_ns();                                                             \
            for (int i = 0; i < iters; i++) {                                                 \
                body;                                                                         \
            }                                                                                 \
            shmem_barrier_all(); /* until every PE is done (a root may run ahead) */         \
            t[r] = (now_ns() - t0) / iters;                                                   \
        }                                                                                     \
        report(op, bytes, median(t, reps));                                                   \
    } while (0)

int main(int argc, char **argv) {
    if (argc > 1) reps = atoi(argv[1]);
    if (argc > 2) iters = atoi(argv[2]);
    if (reps < 1 || reps > 64 || iters < 1 || iters > MAX_ITERS) {
        fprintf(stderr, "usage: latency [REPS 1..64] [ITERS 1..%d]\n", MAX_ITERS);
        return 2;
    }
    shmem_init();
    me = shmem_my_pe();
    npes = shmem_n_pes();
    char *big_src = shmem_malloc(1 << 20), *big_dst = shmem_malloc(1 << 20);
    long *small_src = shmem_malloc(sizeof(long)), *small_dst = shmem_malloc(sizeof(long));
    if (!big_src || !big_dst || !small_src || !small_dst) {
        fprintf(stderr, "latency: shmem_malloc failed\n");
        shmem_global_exit(1);
    }
    memset(big_src, me, 1 << 20);
    *small_src = me;

    /* long_p ping-pong: even PE i pings i+1; an odd PE count leaves the last PE idle. */
    int partner = me % 2 == 0 ? me + 1 : me - 1;
    int active = partner < npes;
    if (npes > 1) {
        double t[64];
        for (int r = 0; r < reps; r++) {
            ping = 0;
            shmem_barrier_all();
            double t0 = now_ns();
            for (int i = 0; active && i < iters; i++) {
                long v = i + 1;
                if (me % 2 == 0) {
                    shmem_long_p(&ping, v, partner);
                    shmem_long_wait_until(&ping, SHMEM_CMP_EQ, -v);
                } else {
                    shmem_long_wait_until(&ping, SHMEM_CMP_EQ, v);
                    shmem_long_p(&ping, -v, partner);
                }
            }
            t[r] = (now_ns() - t0) / iters / 2; /* half a round trip */
        }
        report("long_p", 8, median(t, reps));
    }

    MEASURE("fetch_add", 8, counter = 0,
            (void)shmem_long_atomic_fetch_add(&counter, 1, (me + 1) % npes));
    MEASURE("barrier_all", 0, (void)0, shmem_barrier_all());
    MEASURE("broadcast64", 8, reset_psync(),
            shmem_broadcast64(small_dst, small_src, 1, 0, 0, 0, npes, psync[i]));
    int big_iters = iters, saved = iters;
    iters = big_iters > 200 ? 200 : big_iters;
    MEASURE("broadcast64", 1 << 20, reset_psync(),
            shmem_broadcast64(big_dst, big_src, (1 << 20) / 8, 0, 0, 0, npes, psync[i]));
    iters = saved;
    MEASURE("sum_to_all", 8, reset_psync(),
            shmem_long_sum_to_all(red_dst, red_src, 1, 0, 0, npes, pwrk, psync[i]));
    MEASURE("sum_to_all", 8 * 1024, reset_psync(),
            shmem_long_sum_to_all(red_dst, red_src, 1024, 0, 0, npes, pwrk, psync[i]));
#if SHMEM_MAJOR_VERSION > 1 || (SHMEM_MAJOR_VERSION == 1 && SHMEM_MINOR_VERSION >= 5)
    MEASURE("sum_reduce", 8, (void)0,
            shmem_long_sum_reduce(SHMEM_TEAM_WORLD, red_dst, red_src, 1));
    MEASURE("sum_reduce", 8 * 1024, (void)0,
            shmem_long_sum_reduce(SHMEM_TEAM_WORLD, red_dst, red_src, 1024));
#endif
    shmem_barrier_all();
    shmem_finalize();
    return 0;
}
