/* Collectives in their OpenSHMEM 1.5 team forms and their deprecated active-set forms:
 * broadcast (every root, in place, the root's dest), collect with a different size on every
 * PE, fcollect, alltoall, alltoalls with strides, every reduction operation on integer,
 * floating, long double and complex types (in place too), and barrier/sync on active sets;
 * pSync arrays must be back at SHMEM_SYNC_VALUE after every call. */
#include "check.h"
#include <complex.h>
#include <string.h>

#define MAX_PES 16
#define N 8

static long pSync[2][SHMEM_REDUCE_SYNC_SIZE];
static long src[MAX_PES * N], dst[MAX_PES * N * 4];
static int isrc[N], idst[N];
static double pWrk[SHMEM_REDUCE_MIN_WRKDATA_SIZE + N];

static void psync_clean(void) {
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < SHMEM_REDUCE_SYNC_SIZE; i++) CHECK(pSync[k][i] == SHMEM_SYNC_VALUE);
}

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(n <= MAX_PES);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < SHMEM_REDUCE_SYNC_SIZE; i++) pSync[k][i] = SHMEM_SYNC_VALUE;
    shmem_barrier_all();

    /* Broadcast from every root; the root's dest is written too (1.5 team form). Every
     * destination must be ready before any PE calls (the root writes it at once): a barrier
     * after preparing it. */
    for (int root = 0; root < n; root++) {
        for (int i = 0; i < N; i++) {
            src[i] = 100 * me + i;
            dst[i] = -1;
        }
        shmem_barrier_all();
        CHECK(shmem_long_broadcast(SHMEM_TEAM_WORLD, dst, src, N, root) == 0);
        for (int i = 0; i < N; i++) CHECK(dst[i] == 100 * root + i);
    }
    /* In place (dest == source) and the untyped form. */
    for (int i = 0; i < N; i++) src[i] = 100 * me + i;
    shmem_barrier_all();
    CHECK(shmem_broadcastmem(SHMEM_TEAM_WORLD, src, src, N * sizeof(long), n - 1) == 0);
    for (int i = 0; i < N; i++) CHECK(src[i] == 100 * (n - 1) + i);

    /* collect: PE p contributes p + 1 elements; fcollect: N each. */
    for (int i = 0; i < N; i++) src[i] = 1000 * me + i;
    memset(dst, 0xff, sizeof dst);
    CHECK(shmem_long_collect(SHMEM_TEAM_WORLD, dst, src, (size_t)me + 1) == 0);
    for (int p = 0, at = 0; p < n; p++)
        for (int i = 0; i <= p; i++, at++) CHECK(dst[at] == 1000 * p + i);
    CHECK(shmem_long_fcollect(SHMEM_TEAM_WORLD, dst, src, N) == 0);
    for (int p = 0; p < n; p++)
        for (int i = 0; i < N; i++) CHECK(dst[p * N + i] == 1000 * p + i);

    /* alltoall: block j of my source goes to PE j; alltoalls with dst 2, sst 3. */
    for (int j = 0; j < n; j++)
        for (int i = 0; i < 2; i++) src[j * 2 + i] = 10000 * me + 100 * j + i;
    CHECK(shmem_long_alltoall(SHMEM_TEAM_WORLD, dst, src, 2) == 0);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < 2; i++) CHECK(dst[j * 2 + i] == 10000 * j + 100 * me + i);
    for (int k = 0; k < n; k++) src[k * 3] = 10 * me + k; /* element k of the source, sst 3 */
    memset(dst, 0, sizeof dst);
    CHECK(shmem_long_alltoalls(SHMEM_TEAM_WORLD, dst, src, 2, 3, 1) == 0);
    for (int j = 0; j < n; j++) {
        CHECK(dst[j * 2] == 10 * j + me);
        CHECK(dst[j * 2 + 1] == 0); /* the gaps of the destination stride are untouched */
    }

    /* Reductions: every operation on int, then floating, long double and complex. */
    for (int i = 0; i < N; i++) isrc[i] = (me + 1) * (i + 1) ^ (i == 0 ? me : 0);
    int want_sum = 0, want_prod = 1, want_max = 0, want_min = 1 << 30, want_and = -1,
        want_or = 0, want_xor = 0;
    for (int p = 0; p < n; p++) {
        int v = (p + 1) * 2; /* element 1 */
        want_sum += v;
        want_prod *= v;
        want_max = v > want_max ? v : want_max;
        want_min = v < want_min ? v : want_min;
        want_and &= v;
        want_or |= v;
        want_xor ^= v;
    }
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_sum);
    CHECK(shmem_int_prod_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_prod);
    CHECK(shmem_int_max_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_max);
    CHECK(shmem_int_min_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_min);
    CHECK(shmem_int32_and_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_and);
    CHECK(shmem_int32_or_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_or);
    CHECK(shmem_int32_xor_reduce(SHMEM_TEAM_WORLD, idst, isrc, N) == 0);
    CHECK(idst[1] == want_xor);
    /* In place. */
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_WORLD, isrc, isrc, N) == 0);
    CHECK(isrc[1] == want_sum);

    static unsigned char ucs[N], ucd[N];
    for (int i = 0; i < N; i++) ucs[i] = (unsigned char)(200 + me);
    CHECK(shmem_uchar_max_reduce(SHMEM_TEAM_WORLD, ucd, ucs, N) == 0);
    CHECK(ucd[0] == 200 + n - 1); /* unsigned: 200 + me is not negative */
    static double ds[N], dd[N];
    for (int i = 0; i < N; i++) ds[i] = 0.5 * (me + 1);
    CHECK(shmem_double_sum_reduce(SHMEM_TEAM_WORLD, dd, ds, N) == 0);
    CHECK(dd[3] == 0.25 * n * (n + 1));
    CHECK(shmem_double_min_reduce(SHMEM_TEAM_WORLD, dd, ds, N) == 0);
    CHECK(dd[3] == 0.5);
    static long double lds[N], ldd[N];
    for (int i = 0; i < N; i++) lds[i] = (long double)(me + 2);
    CHECK(shmem_longdouble_prod_reduce(SHMEM_TEAM_WORLD, ldd, lds, N) == 0);
    long double ld_want = 1;
    for (int p = 0; p < n; p++) ld_want *= p + 2;
    CHECK(ldd[N - 1] == ld_want);
    CHECK(shmem_longdouble_max_reduce(SHMEM_TEAM_WORLD, ldd, lds, N) == 0);
    CHECK(ldd[0] == (long double)(n + 1));
    static double _Complex cs[2], cd[2];
    cs[0] = (double)me + 1.0 * I;
    cs[1] = 1.0 + 1.0 * I;
    CHECK(shmem_complexd_sum_reduce(SHMEM_TEAM_WORLD, cd, cs, 2) == 0);
    CHECK(creal(cd[0]) == n * (n - 1) / 2.0 && cimag(cd[0]) == (double)n);
    CHECK(shmem_complexd_prod_reduce(SHMEM_TEAM_WORLD, cd, cs, 2) == 0);
    double _Complex cw = 1.0;
    for (int p = 0; p < n; p++) cw *= 1.0 + 1.0 * I;
    CHECK(creal(cd[1]) == creal(cw) && cimag(cd[1]) == cimag(cw));
    /* C11 generic reductions and collectives. */
    CHECK(shmem_max_reduce(SHMEM_TEAM_WORLD, dd, ds, N) == 0);
    CHECK(dd[0] == 0.5 * n);
    shmem_barrier_all();
    CHECK(shmem_broadcast(SHMEM_TEAM_WORLD, dd, ds, 1, 0) == 0);
    CHECK(dd[0] == 0.5);

    /* Active sets: even PEs (stride 2^1), alternating pSync arrays. */
    int even = me % 2 == 0, n_even = (n + 1) / 2;
    if (even) {
        for (int i = 0; i < N; i++) src[i] = me * 10 + i;
        for (int i = 0; i < N; i++) dst[i] = -7;
        shmem_barrier(0, 1, n_even, pSync[1]);
        shmem_broadcast64(dst, src, N, 1 % n_even, 0, 1, n_even, pSync[0]);
        int root_pe = 2 * (1 % n_even);
        for (int i = 0; i < N; i++) CHECK(dst[i] == (me == root_pe ? -7 : root_pe * 10 + i));
        shmem_fcollect64(dst, src, N, 0, 1, n_even, pSync[1]);
        for (int k = 0; k < n_even; k++)
            for (int i = 0; i < N; i++) CHECK(dst[k * N + i] == 2 * k * 10 + i);
        shmem_collect64(dst, src, (size_t)(me / 2 + 1), 0, 1, n_even, pSync[0]);
        for (int k = 0, at = 0; k < n_even; k++)
            for (int i = 0; i <= k; i++, at++) CHECK(dst[at] == 2 * k * 10 + i);
        for (int k = 0; k < n_even; k++) src[k] = 100 * me + k;
        shmem_alltoall64(dst, src, 1, 0, 1, n_even, pSync[1]);
        for (int k = 0; k < n_even; k++) CHECK(dst[k] == 100 * (2 * k) + me / 2);
        shmem_barrier(0, 1, n_even, pSync[0]);
        shmem_sync(0, 1, n_even, pSync[1]);
        static double dsrc[N], ddst[N];
        for (int i = 0; i < N; i++) dsrc[i] = me;
        shmem_double_max_to_all(ddst, dsrc, N, 0, 1, n_even, pWrk, pSync[0]);
        CHECK(ddst[0] == 2.0 * (n_even - 1));
        static long lsrc[N], ldst[N];
        for (int i = 0; i < N; i++) lsrc[i] = 1L << me;
        shmem_long_or_to_all(ldst, lsrc, N, 0, 1, n_even, (long *)pWrk, pSync[1]);
        long or_want = 0;
        for (int k = 0; k < n_even; k++) or_want |= 1L << (2 * k);
        CHECK(ldst[N - 1] == or_want);
        shmem_long_sum_to_all(lsrc, lsrc, N, 0, 1, n_even, (long *)pWrk, pSync[0]);
        CHECK(lsrc[0] == or_want);
        psync_clean();
    }
    shmem_barrier_all();
    psync_clean();
    printf("coll: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
