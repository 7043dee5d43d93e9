/* Point-to-point synchronisation of OpenSHMEM 1.5 and the operations that feed it:
 * wait_until_{all,any,some} and their _vector forms, test_{all,any,some} (+ vector), with
 * status masks; put_signal (set and add, blocking and _nbi, on contexts), signal_fetch,
 * signal_wait_until; non-blocking puts and gets completed by shmem_quiet. Every PE writes a
 * flag on every PE after a delay, so the waits really wait. */
#include "check.h"
#include <stdint.h>

#define MAX_PES 64

static long flags[MAX_PES];
static uint64_t sig;
static long data[MAX_PES][4];

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(n <= MAX_PES);
    int status[MAX_PES] = {0};
    size_t idx[MAX_PES];
    long cmp_values[MAX_PES];

    /* wait_until_all: every PE sets its flag on every PE (after a delay on odd PEs). */
    if (me % 2) sleep_ms(20);
    for (int pe = 0; pe < n; pe++) shmem_long_atomic_set(&flags[me], 1, pe);
    shmem_long_wait_until_all(flags, n, NULL, SHMEM_CMP_EQ, 1);
    for (int p = 0; p < n; p++) CHECK(flags[p] == 1);
    CHECK(shmem_long_test_all(flags, n, NULL, SHMEM_CMP_EQ, 1) == 1);
    CHECK(shmem_long_test_all(flags, n, NULL, SHMEM_CMP_GT, 1) == 0);
    shmem_barrier_all();

    /* wait_until_any with a status mask: take each flag once, in any order. */
    for (int p = 0; p < n; p++) shmem_long_atomic_add(&flags[me], 1, p); /* now 2 */
    int done = 0;
    while (done < n) {
        size_t i = shmem_long_wait_until_any(flags, n, status, SHMEM_CMP_EQ, 2);
        CHECK(i < (size_t)n && status[i] == 0 && flags[i] == 2);
        status[i] = 1;
        done++;
    }
    /* Every variable excluded: SIZE_MAX at once. */
    CHECK(shmem_long_wait_until_any(flags, n, status, SHMEM_CMP_EQ, 2) == SIZE_MAX);
    CHECK(shmem_long_test_any(flags, n, status, SHMEM_CMP_EQ, 2) == SIZE_MAX);
    /* test_any is fair: repeated calls return every satisfied index. */
    int found[MAX_PES] = {0}, distinct = 0;
    for (int k = 0; k < 4 * n && distinct < n; k++) {
        size_t i = shmem_long_test_any(flags, n, NULL, SHMEM_CMP_EQ, 2);
        CHECK(i < (size_t)n);
        if (!found[i]++) distinct++;
    }
    CHECK(distinct == n);
    shmem_barrier_all();

    /* wait_until_some: PE p's flag becomes 3 + p; wait for those >= 3, excluding my own. */
    for (int p = 0; p < n; p++) status[p] = 0;
    status[me] = 1;
    for (int p = 0; p < n; p++) shmem_long_p(&flags[me], 3 + me, p);
    shmem_quiet();
    size_t got = 0;
    int seen[MAX_PES] = {0};
    while (got < (size_t)n - 1) {
        size_t k = shmem_long_wait_until_some(flags, n, idx, status, SHMEM_CMP_GE, 3);
        CHECK(k >= 1 || n == 1);
        if (n == 1) break;
        for (size_t j = 0; j < k; j++) {
            CHECK(idx[j] != (size_t)me && flags[idx[j]] == 3 + (long)idx[j]);
            if (!seen[idx[j]]++) got++;
            status[idx[j]] = 1;
        }
    }
    CHECK(shmem_long_test_some(flags, n, idx, NULL, SHMEM_CMP_GE, 3) == (size_t)n);
    /* Vector forms: each flag against its own value. */
    for (int p = 0; p < n; p++) cmp_values[p] = 3 + p;
    shmem_long_wait_until_all_vector(flags, n, NULL, SHMEM_CMP_EQ, cmp_values);
    CHECK(shmem_long_test_all_vector(flags, n, NULL, SHMEM_CMP_EQ, cmp_values) == 1);
    cmp_values[n - 1] = 0;
    CHECK(shmem_long_test_any_vector(flags, n, NULL, SHMEM_CMP_LT, cmp_values) == SIZE_MAX);
    CHECK(shmem_long_wait_until_any_vector(flags, n, NULL, SHMEM_CMP_GT, cmp_values) ==
          (size_t)n - 1);
    CHECK(shmem_long_test_some_vector(flags, n, idx, NULL, SHMEM_CMP_GT, cmp_values) == 1);
    CHECK(idx[0] == (size_t)n - 1);
    CHECK(shmem_long_wait_until_some_vector(flags, n, idx, NULL, SHMEM_CMP_NE, cmp_values) == 1);
    /* Signed comparison for negative values; unsigned for large ones. */
    static int neg;
    neg = -5;
    CHECK(shmem_int_test_any(&neg, 1, NULL, SHMEM_CMP_LT, 0) == 0);
    static unsigned int big;
    big = 0xfffffff0u;
    CHECK(shmem_uint_test_all(&big, 1, NULL, SHMEM_CMP_GT, 5u) == 1);
    shmem_barrier_all();

    /* put_signal: the left neighbour puts 4 longs and sets my signal; I wait for the signal
     * and then the data must be there. Then an add-signal round and the _nbi/context forms. */
    int right = (me + 1) % n, left = (me + n - 1) % n;
    long mine[4] = {me, me + 1, me + 2, me + 3};
    if (me % 2) sleep_ms(10);
    shmem_long_put_signal(data[me], mine, 4, &sig, 42, SHMEM_SIGNAL_SET, right);
    CHECK(shmem_signal_wait_until(&sig, SHMEM_CMP_EQ, 42) == 42);
    for (int i = 0; i < 4; i++) CHECK(data[left][i] == left + i);
    shmem_barrier_all();
    shmem_putmem_signal_nbi(data[me], mine, sizeof mine, &sig, 8, SHMEM_SIGNAL_ADD, right);
    shmem_quiet();
    CHECK(shmem_signal_wait_until(&sig, SHMEM_CMP_GE, 50) == 50);
    CHECK(shmem_signal_fetch(&sig) == 50);
    shmem_barrier_all();
    shmem_ctx_t ctx;
    CHECK(shmem_ctx_create(0, &ctx) == 0);
    shmem_ctx_long_put_signal_nbi(ctx, data[me], mine, 1, &sig, 1, SHMEM_SIGNAL_ADD, right);
    shmem_ctx_quiet(ctx);
    CHECK(shmem_signal_wait_until(&sig, SHMEM_CMP_EQ, 51) == 51);
    shmem_barrier_all();
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
    shmem_put_signal(data[me], mine, 2, &sig, 0, SHMEM_SIGNAL_SET, right);
    shmem_put_signal(ctx, data[me], mine, 2, &sig, 7, SHMEM_SIGNAL_SET, right);
    CHECK(shmem_signal_wait_until(&sig, SHMEM_CMP_EQ, 7) == 7);
#endif
    shmem_barrier_all();

    /* Non-blocking puts and gets, completed by quiet (and ordered by fence). */
    static long nb[MAX_PES];
    long back[MAX_PES];
    for (int pe = 0; pe < n; pe++) shmem_long_put_nbi(&nb[me], &mine[1], 1, pe);
    shmem_fence();
    shmem_quiet();
    shmem_barrier_all();
    for (int p = 0; p < n; p++) CHECK(nb[p] == p + 1);
    shmem_long_get_nbi(back, nb, n, right);
    shmem_getmem_nbi(&back[0], &nb[0], sizeof(long), right);
    shmem_ctx_long_get_nbi(ctx, &back[1], &nb[1], 1, left);
    shmem_quiet();
    for (int p = 0; p < n; p++) CHECK(back[p] == p + 1);
    shmem_ctx_destroy(ctx);
    shmem_barrier_all();
    printf("p2p: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
